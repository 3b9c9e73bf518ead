#!/usr/bin/env bash
# `make load`: a dedicated PostgreSQL database (reform_loadtest) with the demo data and the load test's
# people, gunicorn (4 workers) on 127.0.0.1:8099 and a Celery worker on Redis db 12, then locust: 200
# users for 2 minutes. Everything listens on the loopback address only and is stopped at the end. Fails
# if any request failed, or if the scores left by the incremental path differ from a full recompute once
# the queue has drained. Results: var/loadtest/locust_stats.csv (and the rest of locust's CSV files).
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${LOAD_USERS:-200}
SPAWN_RATE=${LOAD_SPAWN_RATE:-20}
DURATION=${LOAD_DURATION:-2m}
PORT=${LOAD_PORT:-8099}
OUT=var/loadtest
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/reform_loadtest
export REDIS_URL=redis://127.0.0.1:6379/12
export CELERY_QUEUE=loadtest
export DEBUG=0
export VAR_DIR=$PWD/$OUT/var
export MEDIA_ROOT=$VAR_DIR/media
export LOAD_ACCOUNTS=$PWD/$OUT/accounts.json
export LOG_LEVEL=WARNING
export DJANGO_SETTINGS_MODULE=config.settings
PY=.venv/bin/python

rm -rf "$OUT" && mkdir -p "$OUT" "$VAR_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

echo "== database reform_loadtest, demo data, load-test accounts"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS reform_loadtest WITH (FORCE)"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE reform_loadtest"
redis-cli -h 127.0.0.1 -n 12 flushdb >/dev/null
$PY manage.py migrate --noinput -v 0
$PY manage.py collectstatic --noinput -v 0
$PY manage.py load_demo >/dev/null
$PY loadtest/prepare.py
redis-cli -h 127.0.0.1 -n 12 flushdb >/dev/null  # the set-up's notices and recomputes: start from an idle queue

echo "== gunicorn on 127.0.0.1:$PORT (4 workers) and a Celery worker"
.venv/bin/gunicorn config.wsgi --workers 4 --bind "127.0.0.1:$PORT" --timeout 60 \
  --access-logfile /dev/null --error-logfile "$OUT/gunicorn.log" &
pids+=($!)
.venv/bin/celery -A config worker --loglevel WARNING --concurrency 2 --queues "$CELERY_QUEUE" \
  >"$OUT/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/accounts/login/"

echo "== locust: $USERS users, $SPAWN_RATE/s, $DURATION"
status=0
timeout 600 .venv/bin/locust -f loadtest/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" \
  --host "http://127.0.0.1:$PORT" --csv "$OUT/locust" --only-summary --stop-timeout 10 \
  --loglevel WARNING || status=$?
$PY loadtest/report.py "$OUT/locust_stats.csv" "$OUT/locust_failures.csv" || status=1
$PY loadtest/verify.py || status=1
exit $status
