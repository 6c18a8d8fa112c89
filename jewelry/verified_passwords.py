"""A password verified a moment ago is not hashed again (docs/threat-model.md, "What a sign-in costs").

HTTP Basic checks the password on every request, and one check is PBKDF2 with Django's
iteration count (about 300 ms of CPU): one client's loop could keep every web worker busy.
A right password is remembered for ``VERIFIED_PASSWORD_SECONDS`` under an HMAC of the
user's id, their stored hash and the password: a changed password (a new stored hash)
matches nothing remembered, and a wrong password is never remembered.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import caches

# This process's own key, never stored or shared: a copy of the cache (even with
# SECRET_KEY) is no oracle to try guesses at HMAC speed instead of PBKDF2's.
_PROCESS_KEY = secrets.token_bytes(32)


def _cache():
    return caches[settings.VERIFIED_PASSWORD_CACHE]


def _key(user, password: str) -> str:
    message = "\x00".join((str(user.pk), user.password, password)).encode("utf-8", "surrogatepass")
    return "verified-password:" + hmac.new(_PROCESS_KEY, message, hashlib.sha256).hexdigest()


def recently_verified(user, password: str) -> bool:
    return _cache().get(_key(user, password)) is not None


def remember(user, password: str) -> None:
    """Call only once ``user.check_password(password)`` said yes (it may have rehashed: key by the new hash)."""
    _cache().set(_key(user, password), True, timeout=settings.VERIFIED_PASSWORD_SECONDS)
