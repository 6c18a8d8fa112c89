"""Settings for every environment, read from the environment once.

Defaults run a laptop demo with nothing installed (two SQLite files, tasks run
eagerly in-process, files on local disk, spans wherever OTEL_* says).
Production differs only by environment variables (see README, "Production").
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env("ALEXANDRITE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

_INSECURE_SECRET = "insecure-development-secret-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY", default=_INSECURE_SECRET)
if PRODUCTION and (SECRET_KEY == _INSECURE_SECRET or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs SECRET_KEY set to a random value of 32+ characters."
    )
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served by the app, no CDN
    "jewelry",  # the shared kernel; the URL map and the demo commands (seed_demo, simulate_orders)
    "tracing",
    "shop",
    "crm",
    "mes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jewelry.api.ApiErrorsAsJsonMiddleware",  # outside all but security: it sees every error
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tracing.middleware.OrderSpanMiddleware",
]

ROOT_URLCONF = "jewelry.urls"
WSGI_APPLICATION = "jewelry.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- databases: shop DB (shop, crm, auth, admin) and MES DB (mes only) -------------
DATABASES = {
    "default": env.db("SHOP_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'shop.sqlite3'}"),
    "mes": env.db("MES_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mes.sqlite3'}"),
}
for _db in DATABASES.values():
    _db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    # A kept connection the database dropped (a restart, a fail-over, an idle timeout) is
    # checked and replaced at a request's first query, instead of failing it with a 500.
    _db.setdefault("CONN_HEALTH_CHECKS", env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True))
    if _db["ENGINE"].endswith("sqlite3"):
        # SQLite waits for a writer instead of failing at once under the eager demo; a transaction
        # takes the write lock when it begins (IMMEDIATE), since one that began reading cannot wait
        # for it later ("database is locked" at once, as the demo's server and detector both write).
        _db.setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DATABASE_ROUTERS = ["jewelry.routers.SystemDatabaseRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Django's model backend, with the session user's roles read in the same query (jewelry/auth.py).
AUTHENTICATION_BACKENDS = ["jewelry.auth.RolesBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # the landing page: API docs, support console, admin
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
FORMAT_MODULE_PATH = ["jewelry.formats"]  # times to the second everywhere (admin included)
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- file storage (3D models): local disk by default, S3/MinIO in production -------
STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MODEL_UPLOAD_MAX_BYTES = env.int("MODEL_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# What all of one customer's orders' models may take in storage together (a replaced model's
# file is deleted, so this counts one file per order): five models of the largest size.
MODEL_STORAGE_PER_CUSTOMER_BYTES = env.int("MODEL_STORAGE_PER_CUSTOMER_BYTES", default=250 * 1024 * 1024)
# Bodies bigger than this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Basic first: an anonymous API call gets 401 with a WWW-Authenticate challenge, one no
        # browser answers with a prompt; from a browser, Basic needs CSRF (jewelry/basic_auth.py).
        "jewelry.basic_auth.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "jewelry.schema.ErrorDocumentingAutoSchema",  # 4xx documented (#12)
    "EXCEPTION_HANDLER": "jewelry.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Alexandrite API",
    "DESCRIPTION": "Shop, CRM and MES APIs of the custom-jewelry platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One tag per system: the first path segment after /api/v1/ (shop, crm, mes).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "TAGS": [
        {"name": "shop", "description": "Customers: create orders, upload 3D models, submit, follow."},
        {"name": "crm", "description": "Sellers and support: find orders, approve, close, cancel, notes."},
        {"name": "mes", "description": "Manufacturing operators and B2B partners: queue, take, complete, ship."},
    ],
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- message queue (Celery over RabbitMQ; eager in-process without a broker) ---------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Price requests are ordered by their customer's backlog, a customer's first waiting order before
# anyone's second (docs/threat-model.md, "A fair share of pricing"); off: first come, first served.
PRICING_FAIR_SHARE = env.bool("PRICING_FAIR_SHARE", default=True)
# A lost broker connection requeues the unacknowledged message anyway: stop its task
# rather than let the redelivery run next to it (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
# A request publishing after commit must not wait long for a dead broker: the
# outbox row keeps the message and the relay sends it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
# Celery's Django fix-up closes every database connection around each task unless told to
# reuse them; a new PostgreSQL connection per task took a quarter of a worker's time
# (benchmarks/README.md). jewelry.celery still drops broken or old ones before each task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
OUTBOX_RELAY_INTERVAL_SECONDS = env.float("OUTBOX_RELAY_INTERVAL_SECONDS", default=30.0)
OUTBOX_RELAY_GRACE_SECONDS = env.float("OUTBOX_RELAY_GRACE_SECONDS", default=10.0)
# A model whose pricing kills the worker (out of memory, a crash in native code) comes back
# with every redelivery; after this many unfinished runs MES refuses it instead (docs/messages.md).
PRICING_CRASH_LIMIT = env.int("PRICING_CRASH_LIMIT", default=3)
# Time limits of every task, in seconds (docs/threat-model.md): at the soft limit the task is
# interrupted and records why; the hard limit kills the pool process if that did not end it.
# Pricing's soft limit ends as a refusal (model_too_complex); the largest accepted model
# prices in about 20 s. Tasks that need longer say so on their contract (jewelry/contracts.py,
# ``time_limits``); override per task name with TASK_TIME_LIMITS_SECONDS="<task name>=30:45".
TASK_TIME_LIMITS_SECONDS = {
    "*": (30.0, 60.0),  # every other task: a few database writes or a publish
} | {
    name: tuple(float(seconds) for seconds in limits.split(":"))
    for name, limits in env.dict("TASK_TIME_LIMITS_SECONDS", default={}).items()
}
if any(soft > hard for soft, hard in TASK_TIME_LIMITS_SECONDS.values()):
    # Celery refuses to publish such a task: every message to it would be lost at the sender.
    raise ImproperlyConfigured("TASK_TIME_LIMITS_SECONDS: a soft limit is over its hard limit.")

# --- lost orders (docs/lost-orders.md): how long an order may stay in a status -------
STUCK_ORDER_SCAN_INTERVAL_SECONDS = env.float("STUCK_ORDER_SCAN_INTERVAL_SECONDS", default=300.0)
_DAY = 86400
# Statuses left out (INITIATED, FILE_UPLOADED, final ones) wait for nobody but the customer.
# Override some with STUCK_ORDER_DEADLINES_SECONDS="SUBMITTED=600,SHIPPED=864000".
STUCK_ORDER_DEADLINES_SECONDS = {
    "SUBMITTED": 15 * 60,  # MES prices in seconds; 15 min means a message went missing
    "PRICE_CALCULATED": 3 * _DAY,  # the seller confirms the price with the customer
    "MANUFACTURING_APPROVED": 2 * _DAY,  # an operator takes it into work
    "MANUFACTURING_STARTED": 10 * _DAY,
    "MANUFACTURING_COMPLETED": 2 * _DAY,
    "PACKAGING": 2 * _DAY,
    "SHIPPED": 21 * _DAY,  # delivered, then the seller closes it
} | {
    status: float(seconds)
    for status, seconds in env.dict("STUCK_ORDER_DEADLINES_SECONDS", default={}).items()
}

# --- tracing -------------------------------------------------------------------------
# Jaeger's UI for people (behind the access proxy); unset, trace links open the support console.
JAEGER_UI_URL = env("JAEGER_UI_URL", default="")
TRACING_ENABLED = env.bool("TRACING_ENABLED", default=True)
# SQL on traces (docs/tracing.md, "SQL"): "slow" puts statement counts and time on each request's
# and task's span and makes a span only of a slow or failed statement; "all" a span of every one.
TRACING_SQL_SPANS = env("TRACING_SQL_SPANS", default="slow")
TRACING_SLOW_SQL_MS = env.float("TRACING_SLOW_SQL_MS", default=50.0)
# --- support console (docs/support-console.md): where its trace waterfalls come from ----
# Production: Jaeger's query service (api/v3, internal network) with its base_path,
# e.g. http://jaeger:16686/jaeger.
JAEGER_QUERY_URL = env("JAEGER_QUERY_URL", default="")
JAEGER_QUERY_TIMEOUT_SECONDS = env.float("JAEGER_QUERY_TIMEOUT_SECONDS", default=3.0)
# The embedded demo (bin/demo) has no Jaeger: its processes also write their spans to this
# bounded SQLite file, and the console reads them back. Never in production.
RECENT_SPANS_FILE = env("RECENT_SPANS_FILE", default="")
RECENT_SPANS_LIMIT = env.int("RECENT_SPANS_LIMIT", default=20_000)
if PRODUCTION and RECENT_SPANS_FILE:
    raise ImproperlyConfigured(
        "RECENT_SPANS_FILE is for the embedded demo; production reads JAEGER_QUERY_URL.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace_ids": {"()": "tracing.logs.TraceIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] %(message)s"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["trace_ids"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- hostile requests (issue #12; docs/threat-model.md says what each limit is for) ------
# A session cookie that cannot be a session key (a NUL in it) is no session, not a 500;
# a query string with a NUL is refused before any filter or admin lookup sees it.
SESSION_ENGINE = "jewelry.sessions"
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "jewelry.nul_guard.RefuseNulMiddleware")
# The largest body any endpoint takes: a model upload and its multipart framing. A body
# declared bigger is refused 413 before Django streams it to a temporary file.
REQUEST_BODY_MAX_BYTES = MODEL_UPLOAD_MAX_BYTES + 1024 * 1024
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "jewelry.body_limit.RefuseOversizedBodyMiddleware")
# Addresses or networks of the reverse proxies (nginx, the ingress) whose X-Real-IP is
# believed; from anyone else the connection's own address counts (jewelry.client_address).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Addresses or networks of internal callers whose W3C trace context an HTTP request continues
# (issue #21). Anyone else's starts a new trace linked to theirs: whether a request is traced,
# and in which trace, is not the caller's to decide (tracing.propagation.PublicEdgePropagator).
TRACE_CONTEXT_TRUSTED_SENDERS = env.list("TRACE_CONTEXT_TRUSTED_SENDERS", default=[])
# Bodies Django and DRF read into memory (not file uploads) stop here: 413 {code, message}.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "jewelry.parsers.BoundedJSONParser",
    "jewelry.parsers.BoundedFormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Wrong passwords (HTTP Basic, the login form, the admin) are counted per user name and
# per client address in a fixed window; at the limit, sign-ins are answered 429.
# Counts live in the cache: per process by default; a shared one (CACHE_URL, e.g.
# "dbcache://login_throttle" after createcachetable) makes the limit hold across workers.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
LOGIN_THROTTLE_CACHE = "default"
# Per customer, in the same cache (DRF's ScopedRateThrottle): one session cannot flood the
# orders table or the pricing queue (400 orders in 2.2 s were taken). 429 with Retry-After.
# An empty value switches a limit off (a load test with few customers).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "order_creation": env("ORDER_CREATION_RATE", default="20/min") or None,
    "model_upload": env("MODEL_UPLOAD_RATE", default="20/min") or None,
    "order_submission": env("ORDER_SUBMISSION_RATE", default="20/min") or None,
}
LOGIN_FAILURES_PER_USER = env.int("LOGIN_FAILURES_PER_USER", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# A right password is not hashed again for this long (jewelry.verified_passwords): HTTP Basic
# checks it on every request. Kept in each process's memory on purpose, never in the shared
# cache: each worker hashes once per user and period.
VERIFIED_PASSWORD_SECONDS = env.int("VERIFIED_PASSWORD_SECONDS", default=5 * 60)
VERIFIED_PASSWORD_CACHE = "verified_passwords"
CACHES[VERIFIED_PASSWORD_CACHE] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "verified-passwords", "OPTIONS": {"MAX_ENTRIES": 10_000}}
# Order ids in paths are bigints (jewelry/converters.py): documented as such, the range included.
SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"] = {
    "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1},
}
# One name for the order statuses in the schema (the deploy check warns about several).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"OrderStatusEnum": "jewelry.lifecycle.OrderStatus"}
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware"),
                  "jewelry.login_throttle.LoginThrottleMiddleware")
if PRODUCTION:
    # Behind the TLS proxy (it sets X-Forwarded-Proto, see SECURE_PROXY_SSL_HEADER above):
    # plain HTTP is redirected, and browsers are told to use HTTPS only (HSTS).
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes inside the cluster speak plain HTTP to the pod: no redirect for them.
    SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT",
                                      default=[r"^(health|healthz|readyz|livez)(/|$)"])
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    # Sub-domains and the browsers' preload list are the domain owner's commitments, not the
    # app's: off unless set, and their two deploy-check warnings answered here.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]

# --- deploy (issue #15): static files, health checks, process sizing, test runner ------
# WhiteNoise serves collectstatic's output from gunicorn itself (no separate file server);
# production reads hashed, compressed files from STATIC_ROOT, which the image fills at build.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "whitenoise.middleware.WhiteNoiseMiddleware")
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(STATIC_ROOT)))
if PRODUCTION:
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
else:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
# Readiness (/health/) gives each dependency this long before calling it down.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
for _db in DATABASES.values():
    if _db["ENGINE"].endswith("postgresql"):
        # a dead database host answers a probe in seconds, not after the kernel's TCP timeout
        _db.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )
# Celery's default is one child per CPU of the node; a pod sets it from its CPU request.
if env("CELERY_WORKER_CONCURRENCY", default=""):
    CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY")
# beat's schedule state goes with the other writable files, never into the checkout.
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# `manage.py test` runs the pytest suite (same as bin/test), exit code included.
TEST_RUNNER = "jewelry.test_runner.PytestTestRunner"
