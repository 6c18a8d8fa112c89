"""Everything ``DJANGO_ENV=production`` changes, in one place: no other settings module looks at it.

Production refuses to start on a setting only a laptop may have; its browsers are told to use
HTTPS only, behind the TLS proxy; static files are the image's hashed, compressed copies.
"""

from django.core.exceptions import ImproperlyConfigured

from jewelry.settings.base import PRODUCTION
from jewelry.settings.env import env
from jewelry.settings.security import INSECURE_SECRET_KEY, SECRET_KEY
from jewelry.settings.storage import MODEL_FILES_STORAGE
from jewelry.settings.tracing import RECENT_SPANS_FILE

if PRODUCTION and (SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs SECRET_KEY set to a random value of 32+ characters."
    )
if PRODUCTION and RECENT_SPANS_FILE:
    raise ImproperlyConfigured(
        "RECENT_SPANS_FILE is for the embedded demo; production reads JAEGER_QUERY_URL.")

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])

STORAGES = {
    "default": MODEL_FILES_STORAGE,
    # WhiteNoise serves collectstatic's output from gunicorn itself (no separate file server);
    # production reads hashed, compressed files from STATIC_ROOT, which the image fills at build.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Behind the TLS proxy, which sets X-Forwarded-Proto: plain HTTP is redirected, and
    # browsers are told to use HTTPS only (HSTS).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
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
