"""What of a request may go on a span: anything but personal data and secrets.

Request parameters pass ``safe_params``; query strings the Django instrumentation
records are masked and client addresses cut to their network by
``scrub_request_attributes``; captured headers are masked by name
(``SENSITIVE_HEADERS``, enforced by tracing.setup).
"""

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode

from tracing import attributes as A

# A key containing any of these words is never recorded, whatever its value.
DENIED_KEY_PARTS = (
    "password", "passwd", "secret", "token", "key", "auth", "cookie", "session", "csrf",
    "email", "mail", "phone", "address", "street", "city", "zip", "postcode",
    "name", "first", "last", "birth", "card", "iban", "text", "note", "message", "comment",
)
# Free-text search boxes (the admin's ?q=) hold whatever a person typed: a name, an email.
DENIED_KEYS = frozenset({"q", "search", "query", "term"})
# Values that look like personal data are dropped even under an innocent key: an email,
# a phone number, or prose (words with spaces: where people type names and addresses).
# Parameters worth tracing are codes, ids, numbers and dates, which have no spaces.
_PERSONAL_VALUE = re.compile(r"@|\+?\d[\d\s().-]{7,}\d|\S\s+\S")
MAX_VALUE_LENGTH = 128
MAX_PARAMS = 20
REDACTED = "REDACTED"
# Header names (regex searches, case-insensitive) whose values never reach a span,
# even when OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=".*".
SENSITIVE_HEADERS = (
    "authorization", "cookie", "token", "session", "secret", "password", "api-key", "apikey",
    "csrf", "email", "phone", "forwarded", "x-real-ip",
)
_QUERY_ATTRIBUTES = (A.HTTP_TARGET, A.HTTP_URL, A.URL_FULL)


def is_denied_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in DENIED_KEYS or any(part in lowered for part in DENIED_KEY_PARTS)


def looks_personal(value: str) -> bool:
    return bool(_PERSONAL_VALUE.search(value))


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
        elif isinstance(value, str) and not looks_personal(value):
            safe[key] = value[:MAX_VALUE_LENGTH]
    return safe


def scrub_query(query: str) -> str:
    """``query`` with the values of denied keys and personal-looking values replaced by REDACTED."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if all(not is_denied_key(key) and not looks_personal(value) for key, value in pairs):
        return query
    return urlencode([(key, REDACTED if is_denied_key(key) or looks_personal(value) else value)
                      for key, value in pairs])


def client_network(address: str) -> str:
    """An IP address cut to its network (IPv4 /24, IPv6 /48): where from, not who."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return REDACTED
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def scrub_request_attributes(span, request) -> None:
    """Django instrumentation request_hook: client address to its network, query string masked."""
    if not span.is_recording():
        return
    attributes = span.attributes
    for name in A.CLIENT_ADDRESS_ATTRIBUTES:
        address = attributes.get(name)
        if isinstance(address, str):
            span.set_attribute(name, client_network(address))
    query = request.META.get("QUERY_STRING")
    if not query:
        return
    scrubbed = scrub_query(query)
    if scrubbed == query:
        return
    for name in _QUERY_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, f"{value.split('?', 1)[0]}?{scrubbed}")
    if attributes.get(A.URL_QUERY):
        span.set_attribute(A.URL_QUERY, scrubbed)
