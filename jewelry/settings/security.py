"""Who may do what, and what hostile requests meet (issue #12; docs/threat-model.md says why)."""

from jewelry.settings.env import env
from jewelry.settings.storage import MODEL_UPLOAD_MAX_BYTES

# Production refuses to start on this one (production.py).
INSECURE_SECRET_KEY = "insecure-development-secret-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY", default=INSECURE_SECRET_KEY)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Django's model backend, with the session user's roles read in the same query (jewelry/auth.py).
AUTHENTICATION_BACKENDS = ["jewelry.auth.RolesBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # the landing page: API docs, support console, admin

# A session cookie that cannot be a session key (a NUL in it) is no session, not a 500.
SESSION_ENGINE = "jewelry.sessions"
# The largest body any endpoint takes: a model upload and its multipart framing. A body
# declared bigger is refused 413 before Django streams it to a temporary file.
REQUEST_BODY_MAX_BYTES = MODEL_UPLOAD_MAX_BYTES + 1024 * 1024
# Bodies Django and DRF read into memory (not file uploads) stop here: 413 {code, message}.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# Addresses or networks of the reverse proxies (nginx, the ingress) whose X-Real-IP is
# believed; from anyone else the connection's own address counts (jewelry.client_address).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Wrong passwords (HTTP Basic, the login form, the admin) are counted per user name and
# per client address in a fixed window; at the limit, sign-ins are answered 429.
LOGIN_FAILURES_PER_USER = env.int("LOGIN_FAILURES_PER_USER", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_THROTTLE_CACHE = "default"
# A right password is not hashed again for this long (jewelry.verified_passwords): HTTP Basic
# checks it on every request.
VERIFIED_PASSWORD_SECONDS = env.int("VERIFIED_PASSWORD_SECONDS", default=5 * 60)
VERIFIED_PASSWORD_CACHE = "verified_passwords"
CACHES = {
    # Failed sign-ins and the API's rate limits: per process by default; a shared one (CACHE_URL,
    # e.g. "dbcache://login_throttle" after createcachetable) makes the limits hold across workers.
    LOGIN_THROTTLE_CACHE: env.cache("CACHE_URL", default="locmemcache://"),
    # Kept in each process's memory on purpose, never in the shared cache: each worker hashes
    # once per user and period.
    VERIFIED_PASSWORD_CACHE: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                              "LOCATION": "verified-passwords", "OPTIONS": {"MAX_ENTRIES": 10_000}},
}
