"""Which request parameters may go on a span: anything but personal data and secrets."""

import re

# A key containing any of these words is never recorded, whatever its value.
DENIED_KEY_PARTS = (
    "password", "passwd", "secret", "token", "key", "auth", "cookie", "session", "csrf",
    "email", "mail", "phone", "address", "street", "city", "zip", "postcode",
    "name", "first", "last", "birth", "card", "iban", "text", "note", "message", "comment",
)
# Values that look like personal data are dropped even under an innocent key.
_PERSONAL_VALUE = re.compile(r"@|\+?\d[\d\s().-]{7,}\d")
MAX_VALUE_LENGTH = 128
MAX_PARAMS = 20


def is_denied_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in DENIED_KEY_PARTS)


def safe_params(params) -> dict[str, str | int | float | bool]:
    """Scalar, non-personal entries of ``params`` (a dict or QueryDict), values shortened."""
    safe = {}
    for key, value in params.items():
        if len(safe) >= MAX_PARAMS:
            break
        if not isinstance(key, str) or is_denied_key(key):
            continue
        if isinstance(value, bool | int | float):
            safe[key] = value
        elif isinstance(value, str) and not _PERSONAL_VALUE.search(value):
            safe[key] = value[:MAX_VALUE_LENGTH]
    return safe
