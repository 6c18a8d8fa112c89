"""What every process needs first: where files go, which environment this is, apps and middleware."""

from pathlib import Path

from jewelry.settings.env import env

BASE_DIR = Path(__file__).resolve().parents[2]
# The one writable directory (SQLite files, uploads, beat's schedule, gunicorn's socket). Importing
# settings creates nothing: each folder is made by what writes there first (docs/deploy.md).
VAR_DIR = Path(env("ALEXANDRITE_VAR_DIR", default=str(BASE_DIR / "var")))

# The only switch between a laptop demo and production; what it changes is in production.py.
DJANGO_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

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

# Outermost first: a request passes these top to bottom, its response bottom to top.
# (The OpenTelemetry Django instrumentation puts its own in front of all, at set-up.)
MIDDLEWARE = [
    # First: HSTS, nosniff and the HTTPS redirect apply to every answer, the refusals below included.
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the query string is refused before any lookup, a static file's request's too.
    "jewelry.nul_guard.RefuseNulMiddleware",
    # A body declared bigger than any endpoint takes is refused before a byte of it is read.
    "jewelry.body_limit.RefuseOversizedBodyMiddleware",
    # Static files are answered here, before sessions and sign-in spend anything on them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that can fail below: any error under /api/ becomes {code, message}.
    "jewelry.api.ApiErrorsAsJsonMiddleware",
    # Before everything that reads the session: CSRF (if told to keep its token there), sign-in, messages.
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Slash redirects and Content-Length: near the top, outside what may change a response.
    "django.middleware.common.CommonMiddleware",
    # Before the views, which assume a forged cross-site POST was already refused.
    "django.middleware.csrf.CsrfViewMiddleware",
    # Next to authentication: a throttled sign-in from the login form or the admin answers 429 JSON.
    "jewelry.login_throttle.LoginThrottleMiddleware",
    # After sessions: request.user comes from the session (or, for the API, from DRF's own classes).
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After sessions: the admin's one-time messages are kept there.
    "django.contrib.messages.middleware.MessageMiddleware",
    # Any position: X-Frame-Options goes on every page, so no other site frames the admin or the console.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, below authentication: it puts the user and the view's order on the request's span.
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
FORMAT_MODULE_PATH = ["jewelry.formats"]  # times to the second everywhere (admin included)
USE_TZ = True

# Readiness (/health/) gives each dependency this long before calling it down.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
# `manage.py test` runs the pytest suite (same as bin/test), exit code included.
TEST_RUNNER = "jewelry.test_runner.PytestTestRunner"
