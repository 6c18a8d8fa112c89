"""Who may look at traces in Jaeger, and the audit of every look.

The access proxy (deploy/nginx/jaeger-proxy.conf) asks ``jaeger_access`` before each
request it passes to Jaeger (nginx ``auth_request``): 204 lets it through, 401 sends
the user to the login page, 403 refuses. Each answer is written to ``JaegerAccessLog``;
a URI with control characters (a NUL) is refused for everyone and audited, escaped.
Every allowed look is audited; a refused or anonymous one, which saw nothing, within a
budget (``tracing.audit_budget``) and with its URI cut shorter.
"""

import posixpath
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.views.decorators.csrf import csrf_exempt

from jewelry.client_address import client_address
from jewelry.roles import Role, has_role
from tracing import audit_budget
from tracing.models import MAX_SEARCH_LENGTH, MAX_URI_LENGTH, JaegerAccessLog

JAEGER_ROLES = (Role.SUPPORT, Role.DEVELOPER)
# Jaeger's base_path (deploy/jaeger/config.yaml), under which the proxy serves it.
JAEGER_BASE_PATH = "/jaeger"
# The UI's own files (scripts, styles, fonts) hold no trace data: checked, not audited.
ASSET_PREFIXES = ("/static/",)
ASSET_PATHS = frozenset({"/favicon.ico"})

# One trace: the UI page /trace/<id> (also /trace/<a>...<b> to compare), API v1 and v3.
_TRACE_PATH_PREFIXES = ("/trace/", "/api/traces/", "/api/v3/traces/")
# A search: the UI page, the API v1 search (UI) and the API v3 search.
_SEARCH_PATHS = frozenset({"/search", "/api/traces", "/api/v3/traces"})
_SERVICE_PARAMS = ("service", "query.service_name")
_TAGS_PARAMS = ("tags", "tag", "query.attributes")

Decision = JaegerAccessLog.Decision
# search_service of the audit rows written for the support console's pages (not Jaeger's).
CONSOLE = "support-console"
STATUS_OF = {Decision.ALLOWED: 204, Decision.REFUSED: 403, Decision.LOGIN: 401}
# What a row of a look that saw nothing keeps of its URI and search: enough to tell a probe.
MAX_REFUSED_TEXT_LENGTH = 256


@dataclass(frozen=True)
class JaegerLook:
    """What one request to Jaeger looks at: a trace, a search, or the UI's assets."""

    trace_id: str = ""
    search_service: str = ""
    search_tags: str = ""
    is_asset: bool = False


def parse_jaeger_uri(uri: str) -> JaegerLook:
    """Read the trace id or search parameters out of a proxied URI (path and query)."""
    parts = urlsplit(uri)
    # Normalised as nginx does before routing, so /static/../api/... is no asset.
    path = posixpath.normpath(unquote(parts.path) or "/").removeprefix(JAEGER_BASE_PATH) or "/"
    if path in ASSET_PATHS or path.startswith(ASSET_PREFIXES):
        return JaegerLook(is_asset=True)
    for prefix in _TRACE_PATH_PREFIXES:
        if path.startswith(prefix):
            return JaegerLook(trace_id=_trace_id(path.removeprefix(prefix)))
    if path.rstrip("/") not in _SEARCH_PATHS:
        return JaegerLook()
    query = parse_qs(parts.query)
    service = next((query[name][0] for name in _SERVICE_PARAMS if name in query), "")
    tags = " ".join(value for name in _TAGS_PARAMS for value in query.get(name, []))
    return JaegerLook(search_service=service[:200], search_tags=tags[:MAX_SEARCH_LENGTH])


def _trace_id(rest: str) -> str:
    """The leading hex id of ``rest`` (a compare page names two; the first is kept)."""
    candidate = rest.split("/", 1)[0].split("...", 1)[0].lower()
    if 0 < len(candidate) <= 32 and all(c in "0123456789abcdef" for c in candidate):
        return candidate
    return ""


def jaeger_access_decision(user) -> str:
    if user is None or not user.is_authenticated:
        return Decision.LOGIN
    return Decision.ALLOWED if has_role(user, *JAEGER_ROLES) else Decision.REFUSED


# C0 controls and DEL: no search or trace id holds them; PostgreSQL cannot store a NUL.
_CONTROL_CHARACTERS = frozenset(map(chr, [*range(32), 127]))


def _has_controls(*texts: str) -> bool:
    return any(not _CONTROL_CHARACTERS.isdisjoint(text) for text in texts)


def _escaped(text: str) -> str:
    """``text`` storable and readable: each control character as ``\\xNN``."""
    if not _has_controls(text):
        return text
    return "".join(f"\\x{ord(c):02x}" if c in _CONTROL_CHARACTERS else c for c in text)


def check_jaeger_access(*, user, method: str, uri: str, remote_addr: str | None) -> str:
    """Decide whether ``user`` may make this request to Jaeger and audit it (assets excepted).

    No audit row, no access: a failed INSERT raises and the proxy answers 500.
    ``remote_addr`` is the client's address as far as we know it (jewelry.client_address).
    """
    decision = jaeger_access_decision(user)
    look = parse_jaeger_uri(uri)
    if _has_controls(uri, method, look.search_service, look.search_tags):
        # Refused whoever asks (403: a 4xx nginx understands), and audited: it is a probe.
        decision = Decision.REFUSED
        look = JaegerLook(search_service=_escaped(look.search_service)[:200],
                          search_tags=_escaped(look.search_tags)[:MAX_SEARCH_LENGTH])
        uri, method = _escaped(uri), _escaped(method)
    if not look.is_asset:
        _audit(user=user, decision=decision, method=method, uri=uri, remote_addr=remote_addr,
               trace_id=look.trace_id, search_service=look.search_service, search_tags=look.search_tags)
    return decision


def _audit(*, user, decision: str, method: str, uri: str, remote_addr: str | None, trace_id: str,
           search_service: str, search_tags: str) -> None:
    """One audit row; a look that saw nothing only within its caller's budget, its texts cut shorter."""
    user_id = getattr(user, "pk", None) if decision != Decision.LOGIN else None
    if decision != Decision.ALLOWED:
        if not audit_budget.may_write(user_id=user_id, remote_addr=remote_addr):
            return
        uri, search_tags = uri[:MAX_REFUSED_TEXT_LENGTH], search_tags[:MAX_REFUSED_TEXT_LENGTH]
    JaegerAccessLog.objects.create(
        user_id=user_id, method=method[:10].upper(), uri=uri[:MAX_URI_LENGTH], trace_id=trace_id[:32],
        search_service=search_service, search_tags=search_tags[:MAX_SEARCH_LENGTH],
        decision=decision, remote_addr=remote_addr,
    )


def audit_console_view(*, user, method: str, uri: str, remote_addr: str | None, trace_id: str = "",
                       looked_for: str = "", decision: str | None = None) -> str:
    """A support console page (CRM) shown or refused, audited as a Jaeger request is; the decision.

    ``remote_addr`` is the client's address as far as we know it (jewelry.client_address).
    ``decision``: a page with its own rule (a model file download) says what it decided;
    by default, the console's rule (``jaeger_access_decision``).
    """
    decision = decision or jaeger_access_decision(user)
    _audit(user=user, decision=decision, method=method, uri=uri, remote_addr=remote_addr,
           trace_id=trace_id, search_service=CONSOLE, search_tags=looked_for)
    return decision


def login_url_for(uri: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': uri})}"


# Only nginx calls this, with GET (proxy_method) and no body; exempt so that a POST to
# Jaeger is still answered 401/403/204 instead of a CSRF failure. It changes nothing
# but the audit log.
@csrf_exempt
def jaeger_access(request):
    """nginx auth_request endpoint: 204 allowed, 401 log in first (X-Login-URL), 403 refused."""
    uri = request.headers.get("X-Original-URI")
    if not uri:
        return HttpResponseBadRequest("Only the Jaeger access proxy asks here (X-Original-URI missing).")
    decision = check_jaeger_access(
        user=request.user,
        method=request.headers.get("X-Original-Method") or request.method,
        uri=uri,
        remote_addr=client_address(request),  # X-Real-IP only from a trusted proxy
    )
    response = HttpResponse(status=STATUS_OF[decision])
    if decision == Decision.LOGIN:
        response["X-Login-URL"] = login_url_for(uri)
    return response
