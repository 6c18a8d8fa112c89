"""Django's database sessions, with a cookie that could not be a session key treated as no session.

Django only checks a key's length; a cookie holding a NUL (``sessionid="\\000..."``)
then reached PostgreSQL, which refuses NUL in text, and the request failed with 500.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_CHARS = frozenset(VALID_KEY_CHARS)
# Django makes 32-character keys; anything much longer was not made here.
_MAX_KEY_LENGTH = 64


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key)) and len(key) <= _MAX_KEY_LENGTH \
            and _KEY_CHARS.issuperset(key)
