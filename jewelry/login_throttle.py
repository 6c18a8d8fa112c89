"""Repeated wrong passwords are throttled, per user name and per client address (docs/threat-model.md).

Each failure is counted in the cache for a fixed window; once a count reaches its
limit, every sign-in for that name or from that address (right password or not) is
answered 429 with ``Retry-After`` until the window ends.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.http import JsonResponse
from rest_framework.exceptions import Throttled

from jewelry.api import error_body


class LoginThrottled(Throttled):
    default_code = "too_many_failed_logins"
    default_detail = "Too many failed sign-ins; try again later."


def _cache():
    return caches[settings.LOGIN_THROTTLE_CACHE]


def keys_for(username: str, address: str | None) -> dict[str, int]:
    """Cache key -> failure limit. The name is hashed: no user name sits in the cache."""
    name = hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    keys = {f"login-failures:user:{name}": settings.LOGIN_FAILURES_PER_USER}
    if address:
        keys[f"login-failures:addr:{address}"] = settings.LOGIN_FAILURES_PER_ADDRESS
    return keys


def check(keys: dict[str, int]) -> dict:
    """Raise LoginThrottled if any key reached its limit within its window; else the counts found."""
    now = time.time()
    counts = _cache().get_many(keys)
    for key, (count, ends_at) in counts.items():
        if count >= keys[key] and ends_at > now:
            raise LoginThrottled(wait=max(1, int(ends_at - now) + 1))
    return counts


def failed(keys: dict[str, int], counts: dict) -> None:
    """Count one failure under every key (``counts``: what ``check`` found).

    Not atomic: two racing failures may count as one; nobody is ever blocked by a race.
    """
    now, window = time.time(), settings.LOGIN_FAILURE_WINDOW_SECONDS
    updated = {}
    for key in keys:
        count, ends_at = counts.get(key, (0, 0.0))
        if ends_at <= now:
            count, ends_at = 0, now + window
        updated[key] = (count + 1, ends_at)
    _cache().set_many(updated, timeout=window)


def succeeded(keys: dict[str, int], counts: dict) -> None:
    """The right password: that name starts afresh (its address keeps its count)."""
    stale = [key for key in counts if key.startswith("login-failures:user:")]
    if stale:  # nearly always empty: a signed-in request pays no write
        _cache().delete_many(stale)


class LoginThrottleMiddleware:
    """Django's own sign-in pages (login form, admin) answer a throttled sign-in like the API: 429 JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LoginThrottled):
            return None
        response = JsonResponse(error_body(exception.default_code, str(exception.detail)), status=429)
        response["Retry-After"] = str(int(exception.wait))
        return response
