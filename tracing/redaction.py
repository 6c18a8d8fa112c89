"""What of a request may go on a span: parameters by allow-list of keys and value shapes.

Request parameters pass ``safe_params``; query strings the Django instrumentation
records keep only allowed keys, client addresses are cut to their network and the
User-Agent to known products, in ``scrub_request_attributes``; captured headers are
masked by name (``SENSITIVE_HEADERS``, in ``mask_sensitive_headers``).
"""

import ipaddress
import os
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from jewelry.lifecycle import OrderStatus
from jewelry.metals import Metal
from tracing import attributes as A

REDACTED = "REDACTED"
_DIGITS = frozenset("0123456789")
_ISO_DATETIME_CHARS = frozenset("0123456789-:T.+Z ")  # the space: a "+" unquoted from a URL
_MAX_ID_DIGITS = 19  # a bigint
_MAX_DATETIME_LENGTH = 40


def _is_id(value) -> bool:
    """A database id or count: an integer, or a string of at most 19 digits."""
    if isinstance(value, str):
        return 0 < len(value) <= _MAX_ID_DIGITS and _DIGITS.issuperset(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _is_datetime(value) -> bool:
    """The characters of an ISO date or time: no letters but T and Z, so no names or e-mails."""
    return isinstance(value, str) and 0 < len(value) <= _MAX_DATETIME_LENGTH \
        and _ISO_DATETIME_CHARS.issuperset(value)


def _one_of(*choices):
    allowed = frozenset(str(choice) for group in choices for choice in group)
    return lambda value: isinstance(value, str) and value in allowed


# The only parameters that reach a span, each with the shape its value must have.
# Anything else (names, e-mails, notes, engravings, search boxes, new fields) is left
# out until someone adds it here, with a shape that cannot hold personal data.
ALLOWED_PARAMS = {
    "status": _one_of(OrderStatus.values),
    "metal": _one_of(Metal.values),
    "customer": _is_id,
    "seller": _is_id,
    "operator": _is_id,
    "order_id": _is_id,
    "page": _is_id,
    "page_size": _is_id,
    "created_after": _is_datetime,
    "created_before": _is_datetime,
    "format": _one_of(("json", "yaml", "openapi", "openapi-json", "api")),
}
# Software whose name may stand in a User-Agent on a span (browsers, HTTP libraries, probes).
# Anything else there is the caller's text: a product named after a person, a comment
# "(Jane Roe jane.roe@example.org)". Add a name here to see it on spans.
KNOWN_USER_AGENT_PRODUCTS = frozenset({
    "Mozilla", "AppleWebKit", "Gecko", "Chrome", "Chromium", "HeadlessChrome", "Safari", "Version",
    "Mobile", "Firefox", "Edg", "OPR", "CriOS", "FxiOS", "SamsungBrowser",
    "curl", "Wget", "HTTPie", "python-requests", "python-httpx", "Python-urllib", "aiohttp", "okhttp",
    "Go-http-client", "Java", "Apache-HttpClient", "axios", "node-fetch", "node", "undici",
    "PostmanRuntime", "kube-probe", "Prometheus", "nginx",
})
MAX_USER_AGENT = 512  # characters looked at; the header can be 8 KB
_USER_AGENT_PRODUCT = re.compile(r"([A-Za-z][A-Za-z0-9_-]{0,31})/([0-9][0-9A-Z.]{0,15})(?=[\s(]|$)")
# Header names (regex searches, case-insensitive) whose values never reach a span,
# even when OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=".*".
SENSITIVE_HEADERS = (
    "authorization", "cookie", "token", "session", "secret", "password", "api-key", "apikey",
    "csrf", "email", "phone", "forwarded", "x-real-ip", "x-original-uri",
    "user-agent",  # whole, with its comments; user_agent.original keeps the known products
)
_SENSITIVE_HEADER = re.compile("|".join(SENSITIVE_HEADERS), re.IGNORECASE)
# Which headers the instrumentation captures, per direction (it reads these on every request too).
_CAPTURE_VARIABLES = {"request": "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST",
                      "response": "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE"}
HEADER_MASK = "[REDACTED]"  # what the instrumentation itself writes for a sanitized header
_QUERY_ATTRIBUTES = (A.HTTP_TARGET, A.HTTP_URL, A.URL_FULL)


def is_allowed(key, value) -> bool:
    shape = ALLOWED_PARAMS.get(key) if isinstance(key, str) else None
    return shape is not None and shape(value)


def safe_params(params) -> dict[str, str | int]:
    """The entries of ``params`` (a dict or QueryDict) whose key is allowed and value has its shape."""
    return {key: value for key, value in params.items() if is_allowed(key, value)}


def scrub_query(query: str) -> str:
    """``query`` with only allowed keys; an allowed key's value of the wrong shape is REDACTED."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if all(is_allowed(key, value) for key, value in pairs):
        return query
    return urlencode([(key, value if is_allowed(key, value) else REDACTED)
                      for key, value in pairs if key in ALLOWED_PARAMS])


@lru_cache(maxsize=4096)  # one parse per caller instead of one per request (~20 us -> 0.2 us)
def client_network(address: str) -> str:
    """An IP address cut to its network (IPv4 /24, IPv6 /48): where from, not who."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return REDACTED
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@lru_cache(maxsize=1024)  # a few agents send most requests
def user_agent_products(user_agent: str) -> str:
    """The known products of a User-Agent (``Mozilla/5.0 Chrome/120.0.0.0``): what sent it, not who.

    Comments (parentheses), unknown products and the text past MAX_USER_AGENT are left out;
    REDACTED when nothing known is left.
    """
    products = [f"{name}/{version}" for name, version in _USER_AGENT_PRODUCT.findall(user_agent[:MAX_USER_AGENT])
                if name in KNOWN_USER_AGENT_PRODUCTS]
    return " ".join(products) or REDACTED


def mask_sensitive_headers(span, direction: str) -> None:
    """Captured ``direction`` ("request" or "response") headers named in SENSITIVE_HEADERS show only
    HEADER_MASK, whatever OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS says."""
    if not os.environ.get(_CAPTURE_VARIABLES[direction]) or not span.is_recording():
        return  # nothing captured: no attribute to look at
    # The instrumentation names a captured header's attribute by the header, "-" written "_".
    prefix = f"http.{direction}.header."
    sensitive = [(key, values) for key, values in span.attributes.items() if key.startswith(prefix)
                 and _SENSITIVE_HEADER.search(key[len(prefix):].replace("_", "-"))]
    for key, values in sensitive:
        span.set_attribute(key, [HEADER_MASK] * len(values))


def scrub_request_attributes(span, request) -> None:
    """Django instrumentation request_hook: client address to its network, User-Agent to known
    products, query string allow-listed."""
    if not span.is_recording():
        return
    attributes = span.attributes
    for name in A.CLIENT_ADDRESS_ATTRIBUTES:
        address = attributes.get(name)
        if isinstance(address, str):
            span.set_attribute(name, client_network(address))
    for name in A.USER_AGENT_ATTRIBUTES:
        user_agent = attributes.get(name)
        if isinstance(user_agent, str):
            span.set_attribute(name, user_agent_products(user_agent))
    query = request.META.get("QUERY_STRING")
    if not query:
        return
    scrubbed = scrub_query(query)
    if scrubbed == query:
        return
    for name in _QUERY_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            base = value.split("?", 1)[0]
            span.set_attribute(name, f"{base}?{scrubbed}" if scrubbed else base)
    if attributes.get(A.URL_QUERY):
        span.set_attribute(A.URL_QUERY, scrubbed)
