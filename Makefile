# The two commands a new user needs: `make run` and `make test`. Each does its own set-up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml package-lock.json | sha1sum | cut -c1-12)
# The test database (pytest-django prefixes it: test_reform) and Redis db; a second run at the same time (CI's
# dated run) takes others.
TEST_DB ?= reform
TEST_REDIS_DB ?= 15
TEST_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(TEST_DB) REDIS_URL=redis://127.0.0.1:6379/$(TEST_REDIS_DB) \
	DJANGO_SETTINGS_MODULE=config.settings

.PHONY: run test check services venv browser bench load clean

# Python packages from PyPI; front-end assets (htmx) from the npm registry, served by the app itself
# (no CDN: government intranets have no internet).
venv: $(STAMP)
$(STAMP): pyproject.toml package-lock.json
	@test -x $(PY) || python3 -m venv $(VENV)
	@dpkg -s $(LDAP_BUILD_DEBS) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(LDAP_BUILD_DEBS) >/dev/null; }
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check ".[dev]"
	npm ci --no-audit --no-fund --silent
	@rm -f $(VENV)/.installed-* && touch $@

## make run: SQLite + file-system broker, demo data, web + worker + beat (Ctrl-C stops all).
run: venv
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo --if-empty
	DEBUG=1 $(VENV)/bin/honcho -f Procfile start

## make test: the whole suite against PostgreSQL and Redis (started if they are not answering). TEST_NOW=2027-02-08T10:00
## (an ISO date-time, Asia/Ho_Chi_Minh) moves the clock of the whole session there. Each run
## uses its own Celery queue, so messages left in Redis by an earlier run never reach this run's workers.
test: venv services browser
	$(TEST_ENV) CELERY_QUEUE=test-$$$$ $(VENV)/bin/pytest -q $(PYTEST_ARGS)

## make check: lint, layering, migrations, deploy checks, OpenAPI schema (CI runs it too).
check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=ci-$$(head -c 32 /dev/urandom | sha256sum | cut -c1-50) ALLOWED_HOSTS=reform.example.vn \
		SECURE_SSL_REDIRECT=1 SECURE_COOKIES=1 SECURE_HSTS_SECONDS=31536000 \
		$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# Browser tests drive Debian's Chromium (never a downloaded browser build); the catalogue test runs GNU
# gettext's xgettext (Django's makemessages); PDF documents (WeasyPrint) need Pango, HarfBuzz's subsetter
# and a local serif font (DejaVu Serif renders every Vietnamese letter).
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# python-ldap (org.sso) builds against these; the LDAP sign-in tests start their own slapd (never the service).
LDAP_BUILD_DEBS := libldap2-dev libsasl2-dev
LDAP_DEBS := $(LDAP_BUILD_DEBS) slapd ldap-utils
# More than one host (tests/hosts/): Redis Sentinel is `redis-server --sentinel` (Debian's redis-server); the
# Kubernetes manifests are rendered offline by kubectl's kustomize (Debian's kubernetes-client).
HOSTS_DEBS := redis-server kubernetes-client
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v xgettext >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	@dpkg -s $(PDF_DEBS) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_DEBS) >/dev/null; }
	@dpkg -s $(LDAP_DEBS) >/dev/null 2>&1 || { apt-get update -qq && echo "slapd slapd/no_configuration boolean true" | debconf-set-selections && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confdef $(LDAP_DEBS) >/dev/null; }
	@{ command -v redis-server && command -v kubectl; } >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(HOSTS_DEBS) >/dev/null; }

services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
		echo "PostgreSQL or Redis did not come up" >&2; exit 1

clean:
	rm -rf var

## make bench: the national-scale benchmark (issue 6): its own database (reform_bench, generated once and
## reused), 3,400 units and 1,000,000 tasks, real Celery workers on Redis db 13; prints a table and writes
## benchmarks/results/*.json. BENCH_ARGS="--workers 1,2 --approvals 100 --requests 40" to change the run.
BENCH_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/reform_bench REDIS_URL=redis://127.0.0.1:6379/13 \
	CELERY_QUEUE=reform-bench DJANGO_SETTINGS_MODULE=config.settings LOG_LEVEL=WARNING
bench: venv services
	$(BENCH_ENV) $(PY) -m benchmarks.run --units 3400 --tasks 1000000 $(BENCH_ARGS)

## make load: locust, 200 users for 2 minutes, against gunicorn + PostgreSQL + Redis on 127.0.0.1 (its own
## database reform_loadtest and Redis db 12); fails if any request failed. Results in var/loadtest/.
load: venv services
	bash loadtest/run.sh
