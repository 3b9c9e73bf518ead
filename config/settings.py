"""Settings read from the environment (SPEC §7).

With nothing set, the project runs on its embedded default: SQLite and Celery's file-system broker under
`var/`, so a fresh machine needs no services. With DATABASE_URL and REDIS_URL it uses PostgreSQL and Redis.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.ops.logs import logging_config
from config.ops.sentry import sentry_init

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state of the embedded default: SQLite database, file-system broker, media, collected static files.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# The default starts with "django-insecure-": `check --deploy` refuses it (W009) where SECRET_KEY is not set.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    # Operations (config.ops): /health/ and /metrics.
    "health_check",
    "django_prometheus",
    "org",
    "criteria",
    "plans",
    "tasks",
    "scoring",
    "notifications",
    "config",
]

MIDDLEWARE = [
    # First: every answer carries X-Request-ID, every log line of the request its id (config.ops.request_id).
    "config.ops.request_id.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RejectNullBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any middleware's process_view or view reads the body (CsrfViewMiddleware reads request.POST),
    # after the ones the 413 page needs (language, user, messages).
    "config.middleware.RequestBodyLimitMiddleware",
    "config.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.ops.middleware.PrometheusAfterMiddleware",
    # Last: turns a sign-in refused for too many failures into the lockout answer (config.auth).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "notifications.context.unread_count",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web, worker and beat share one file: wait for the lock rather than fail.
    # WAL lets pages read while the worker writes; IMMEDIATE takes the write lock up front instead of
    # failing on a lock upgrade ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # The tasks' scoring index includes extra columns on PostgreSQL (an index-only scan at national scale);
    # SQLite builds it on its key columns alone, which is all a single-machine install needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if not env.bool("POSTGRES_JIT", default=False):
        # PostgreSQL's JIT compiles any query whose estimated cost is high, e.g. a scan of a million tasks,
        # and that compiling costs seconds; these short OLTP queries never win it back (benchmarks/).
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# Query counts and durations for /metrics (django-prometheus wraps the same driver; METRICS_DATABASE=0: off).
if env.bool("METRICS_DATABASE", default=True):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends.", 1
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in (page or POST /api/auth/token/) while its username and address are locked out.
    "config.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions in org.UserSession, a database session row that knows its user: signing a user out everywhere
# (a password change, a deactivation) is one indexed delete (org.accounts.user_sign_out_everywhere).
SESSION_ENGINE = "org.sessions"
# A session idle longer than this is signed out (config.middleware.SessionIdleTimeoutMiddleware).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=480)
# API tokens (DRF's, one per user) expire this many days after they were issued (org.api.authentication).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=30)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# dd/mm/yyyy and a decimal comma in both languages (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here once collectstatic ran
# Every asset is served by the app itself (government intranets have no internet): our own CSS/JS, and htmx
# installed from the npm registry by `npm ci` (Makefile `venv`). Before `npm ci`, manage.py still works.
STATICFILES_DIRS: list = [BASE_DIR / "config" / "static"]
if (BASE_DIR / "node_modules" / "htmx.org" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # evidence is only served through a permission-checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Evidence files (SPEC §2): bytes, not names, decide the type.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Parallel work (issue 6): a full score recompute with more scored units than this, and a reminder cycle with
# more candidate tasks than this, are cut into chunks of that size which every free worker takes in parallel.
SCORING_PARALLEL_UNITS = env.int("SCORING_PARALLEL_UNITS", default=400)
REMINDER_PARALLEL_TASKS = env.int("REMINDER_PARALLEL_TASKS", default=4000)
# Web pages: a task is "due soon" when its effective due date is at most this many working days away.
TASK_DUE_SOON_WORKING_DAYS = env.int("TASK_DUE_SOON_WORKING_DAYS", default=3)
# XLSX task import: refuse bigger files or more rows (the whole file is validated before anything is written).
TASK_IMPORT_MAX_BYTES = env.int("TASK_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
TASK_IMPORT_MAX_ROWS = env.int("TASK_IMPORT_MAX_ROWS", default=1000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A request body declared bigger than this is refused with 413 before a byte of it is read
# (config.middleware.RequestBodyLimitMiddleware): the biggest file we accept plus a margin for the form's
# other fields, so that a file a little over its limit still gets the message naming the limit.
REQUEST_BODY_MAX_BYTES = env.int(
    "REQUEST_BODY_MAX_BYTES", default=max(EVIDENCE_MAX_BYTES, TASK_IMPORT_MAX_BYTES) + 5 * 1024 * 1024
)

# Cache and Celery: Redis when REDIS_URL is set, else local memory and the file-system broker.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # A message taken by a worker that then died (acks_late) goes back to the queue after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # A broker that does not answer fails a publish quickly (the outbox keeps the event) rather than
        # holding the request that published.
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The worker looks for a new message this often (kombu's default, 1 s, is one job a second: the
        # demo's first minutes of recomputes would hold its notices back for minutes).
        "polling_interval": 0.1,
    }
    for _d in ("queue", "processed", "control"):
        (_broker_dir / _d).mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="reform")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Reform Tracker <noreply@reform-tracker.local>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
WEBHOOK_URL = env.str("WEBHOOK_URL", default="")  # notifications' chat-bridge channel; empty: off
WEBHOOK_SECRET = env.str("WEBHOOK_SECRET", default="")  # HMAC-SHA256 key of X-Reform-Signature

# Zalo Official Account template messages (ZNS), the notifications' Zalo channel: on when the app id and a
# template are set. Templates: JSON, notice kind (or "default") → the pre-approved ZNS template id.
ZALO_OA_APP_ID = env.str("ZALO_OA_APP_ID", default="")
ZALO_OA_SECRET_KEY = env.str("ZALO_OA_SECRET_KEY", default="")
ZALO_OA_ACCESS_TOKEN = env.str("ZALO_OA_ACCESS_TOKEN", default="")  # seeds the stored token row
ZALO_OA_REFRESH_TOKEN = env.str("ZALO_OA_REFRESH_TOKEN", default="")
ZALO_OA_TEMPLATES = env.json("ZALO_OA_TEMPLATES", default={})
ZALO_OA_MESSAGE_URL = env.str(
    "ZALO_OA_MESSAGE_URL", default="https://business.openapi.zalo.me/message/template"
)
ZALO_OA_TOKEN_URL = env.str("ZALO_OA_TOKEN_URL", default="https://oauth.zaloapp.com/v4/oa/access_token")
# A brandname SMS gateway (JSON over HTTP, README "Zalo and SMS"): on when the URL is set.
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_API_KEY = env.str("SMS_GATEWAY_API_KEY", default="")  # sent as `Authorization: Bearer …`
SMS_GATEWAY_USER = env.str("SMS_GATEWAY_USER", default="")  # or HTTP basic authentication
SMS_GATEWAY_PASSWORD = env.str("SMS_GATEWAY_PASSWORD", default="")
SMS_GATEWAY_BRANDNAME = env.str("SMS_GATEWAY_BRANDNAME", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "org.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reform Tracker API",
    "DESCRIPTION": "CCHC plans, tasks, evidence, reminders and PAR-index scores.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # No CDN: the Swagger UI assets come from the installed sidecar package.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Logs (config.ops.logs): LOG_FORMAT=console (default: `make run`) or json (docker-compose, production), one
# line per record with the request id (X-Request-ID) or the Celery job's ids bound to it. LOG_REQUESTS: a
# line per request (method, path, status, duration), on by default with JSON (gunicorn's access log is off).
LOG_FORMAT = env.str("LOG_FORMAT", default="console")
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=LOG_FORMAT == "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Health (config.ops.health): /health/ fails when the reminder cycle (every 15 minutes) or the beat's
# heartbeat (every minute) last completed longer ago than these many seconds.
HEALTH_REMINDER_CYCLE_MAX_AGE = env.int("HEALTH_REMINDER_CYCLE_MAX_AGE", default=45 * 60)
HEALTH_BEAT_MAX_AGE = env.int("HEALTH_BEAT_MAX_AGE", default=5 * 60)
# Metrics (config.ops.metrics): /metrics answers clients from these addresses or networks, and any client
# sending "Authorization: Bearer <METRICS_TOKEN>" when that is set; everyone else gets 403.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Login throttling (django-axes): 5 failed sign-ins for one username from one address lock that pair out
# for 15 minutes, on the sign-in page (a message on the page) and POST /api/auth/token/ (429 JSON).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.auth.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The address is REMOTE_ADDR, or behind our reverse proxy (TRUSTED_PROXY) the address it forwards: a
# client-set X-Forwarded-For would otherwise let an attacker pick a new address per try.
AXES_CLIENT_IP_CALLABLE = "config.auth.client_ip_address"
AXES_VERBOSE = False

# Sign-in with the province's accounts (org.sso, README "Sign-in with the province's accounts"). Both off
# unless configured; local accounts keep signing in either way. A first sign-in is linked by username or
# e-mail to an account an administrator created; SSO_CREATE_USERS=1 creates unknown users instead.
SSO_CREATE_USERS = env.bool("SSO_CREATE_USERS", default=False)
# Roles a claim or group mapping may grant (memberships are only ever added; "admin" is granted by people).
SSO_MAPPED_ROLES = env.list("SSO_MAPPED_ROLES", default=["official", "leader", "appraiser"])
# OpenID Connect (mozilla-django-oidc), on when OIDC_RP_CLIENT_ID is set: the endpoints each, or read from
# the provider's OIDC_OP_DISCOVERY_URL (…/.well-known/openid-configuration). Redirect URI to register at the
# provider: SITE_URL + /accounts/oidc/callback/.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_DISCOVERY_URL = env.str("OIDC_OP_DISCOVERY_URL", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_CREATE_USER = SSO_CREATE_USERS
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
# Optional mapping: the claims naming a unit code and a role (e.g. unit_code, role); empty: no mapping.
OIDC_UNIT_CLAIM = env.str("OIDC_UNIT_CLAIM", default="")
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="")
OIDC_AUTHENTICATE_CLASS = "org.sso.OidcSignInStartView"
OIDC_CALLBACK_CLASS = "org.sso.OidcCallbackView"
LOGIN_REDIRECT_URL_FAILURE = "login"
# LDAP / Active Directory (django-auth-ldap), on when LDAP_SERVER_URI is set; it signs in through the same
# username and password form, before the local accounts (and behind the login throttle).
LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
LDAP_ENABLED = bool(LDAP_SERVER_URI)
AUTH_LDAP_SERVER_URI = LDAP_SERVER_URI
AUTH_LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
AUTH_LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
AUTH_LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
LDAP_TIMEOUT = env.int("LDAP_TIMEOUT", default=5)  # seconds to connect, and for each answer
LDAP_USER_SEARCH_BASE = env.str("LDAP_USER_SEARCH_BASE", default="")
# Active Directory: (sAMAccountName=%(user)s).
LDAP_USER_FILTER = env.str("LDAP_USER_FILTER", default="(uid=%(user)s)")
LDAP_ATTR_FULL_NAME = env.str("LDAP_ATTR_FULL_NAME", default="cn")
LDAP_ATTR_EMAIL = env.str("LDAP_ATTR_EMAIL", default="mail")
AUTH_LDAP_USER_ATTR_MAP = {"full_name": LDAP_ATTR_FULL_NAME, "email": LDAP_ATTR_EMAIL}
AUTH_LDAP_ALWAYS_UPDATE_USER = False  # the account is ours: LDAP only fills a user it creates
AUTH_LDAP_NO_NEW_USERS = not SSO_CREATE_USERS
# Optional mapping: groups under LDAP_GROUP_SEARCH_BASE of LDAP_GROUP_TYPE (groupOfNames, activeDirectory,
# nestedActiveDirectory, posixGroup) to memberships, as JSON {"<group DN>": ["<unit code>", "<role>"], …}.
LDAP_GROUP_SEARCH_BASE = env.str("LDAP_GROUP_SEARCH_BASE", default="")
LDAP_GROUP_TYPE = env.str("LDAP_GROUP_TYPE", default="groupOfNames")
LDAP_GROUP_ROLES = env.json("LDAP_GROUP_ROLES", default={})
# After the throttle, before the local accounts (org.sso.LdapBackend builds its searches from the above).
AUTHENTICATION_BACKENDS[1:1] = (["org.sso.LdapBackend"] if LDAP_ENABLED else []) + (
    ["org.sso.OidcBackend"] if OIDC_ENABLED else []
)

# Content Security Policy (django-csp 4): only this origin's scripts, styles, images and fonts; no inline
# script or style, no plugins, no framing. The Swagger UI page has its own, scoped allowance
# (config.urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Production hardening (checked by `manage.py check --deploy` in CI).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    # Probes and the metrics scraper talk plain HTTP to the web process itself, not through the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
    SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0

# Behind our reverse proxy only (docker-compose.yml, deploy/nginx.conf): it overwrites X-Forwarded-Proto and
# X-Forwarded-For, so they can be believed. Where clients reach the app directly they would set them.
TRUSTED_PROXY = env.bool("TRUSTED_PROXY", default=False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sentry (config.ops.sentry): errors of the web and the Celery jobs go to SENTRY_DSN when it is set; nothing
# is sent, nothing is loaded, without it. No personal data (send_default_pii off).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENABLED = sentry_init(
    dsn=SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default=""),
    release=env.str("SENTRY_RELEASE", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)

# ---- More than one host (issue 17 part 4; docs/deploy.md). Each piece is off unless its variable is set, so
# `make run` and a single host need none of them. ----
# Evidence and published annexes on S3-compatible storage (MinIO, Ceph, a cloud's S3) when a bucket is named:
# private objects, streamed through the permission-checked downloads, never a public URL (config.storage).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "config.storage.EvidenceS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            # MinIO and most S3-compatible servers want path-style addressing (http://minio:9000/bucket/key).
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "location": env.str("AWS_S3_LOCATION", default=""),
        },
    }
# A PostgreSQL replica for the reads of the dashboard and ranking pages (config.replica): those views only,
# and never for a browser that wrote in the last REPLICA_PIN_SECONDS (its own change is read back from the
# primary). Tests share the primary's test database (TEST MIRROR).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=30)
# Views that only read (a published annex is rendered and stored on first download: not among them).
REPLICA_READ_VIEWS = [
    "scoring:dashboard",
    "scoring:ranking",
    "scoring:ranking_pdf",
    "scoring:breakdown",
    "scoring:breakdown_pdf",
]
if DATABASE_REPLICA_URL:
    _primary = DATABASES["default"]
    _shared = ("ENGINE", "OPTIONS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        # The primary's driver (django-prometheus's, when metrics are on), options and pooling.
        **{k: v for k, v in _primary.items() if k in _shared},
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "config.replica.ReplicaMiddleware",
    )
# Redis Sentinel: REDIS_URL=sentinel://host1:26379,host2:26379/0?master=mymaster (config.sentinel) gives the
# cache and Celery's broker the current master, followed through a failover.
if REDIS_URL and REDIS_URL.split("://", 1)[0].lower() in ("sentinel", "redis+sentinel"):
    from config.sentinel import parse_sentinel_url

    _sentinel = parse_sentinel_url(REDIS_URL)
    CACHES = {"default": {"BACKEND": "config.sentinel.SentinelRedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = _sentinel.kombu_url()
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "master_name": _sentinel.master}
# ---- end: more than one host ----
