"""Access to Jaeger through the proxy: the shipped nginx config, run by a real nginx, asks the app.

nginx (Debian package, installed by bin/services) serves deploy/nginx/jaeger-proxy.conf
over HTTPS in front of a stand-in Jaeger; the app runs as pytest-django's live server.
"""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import requests
from django.test import Client

from jewelry.roles import Role
from tests.nginx import running_proxy
from tracing.access import parse_jaeger_uri
from tracing.models import JaegerAccessLog

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "jaeger-proxy.conf"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
Decision = JaegerAccessLog.Decision

# --------------------------------------------------------------- what a URI looks at


@pytest.mark.parametrize("uri, trace_id", [
    (f"/jaeger/trace/{TRACE_ID}", TRACE_ID),
    (f"/jaeger/trace/{TRACE_ID.upper()}?uiFind=abc", TRACE_ID),
    (f"/jaeger/trace/{TRACE_ID}...{'a' * 32}", TRACE_ID),
    (f"/jaeger/api/traces/{TRACE_ID}", TRACE_ID),
    (f"/jaeger/api/v3/traces/{TRACE_ID}?start_time=2026-01-01T00:00:00Z", TRACE_ID),
    ("/jaeger/trace/not-a-trace-id", ""),
])
def test_parse_jaeger_uri_finds_the_trace_looked_at(uri, trace_id):
    assert parse_jaeger_uri(uri).trace_id == trace_id


@pytest.mark.parametrize("uri, service, tags", [
    ("/jaeger/search?" + urlencode({"service": "alexandrite-web", "tags": '{"order.id":"42"}', "limit": 20}),
     "alexandrite-web", '{"order.id":"42"}'),
    ("/jaeger/api/traces?service=alexandrite-mes-worker&tag=order.id:42&tag=error:true",
     "alexandrite-mes-worker", "order.id:42 error:true"),
    ("/jaeger/api/v3/traces?" + urlencode({"query.service_name": "alexandrite-web",
                                           "query.attributes": '{"order.id":"7"}'}),
     "alexandrite-web", '{"order.id":"7"}'),
    ("/jaeger/search", "", ""),
])
def test_parse_jaeger_uri_finds_the_search_parameters(uri, service, tags):
    look = parse_jaeger_uri(uri)
    assert (look.search_service, look.search_tags, look.trace_id) == (service, tags, "")


@pytest.mark.parametrize("uri, is_asset", [
    ("/jaeger/static/index-3f2a.js", True),
    ("/jaeger/favicon.ico", True),
    ("/jaeger/static/../api/traces/" + TRACE_ID, False),
    ("/jaeger/static/%2e%2e/api/services", False),
    ("/jaeger/api/services", False),
    ("/jaeger/", False),
])
def test_parse_jaeger_uri_tells_ui_assets_from_data(uri, is_asset):
    assert parse_jaeger_uri(uri).is_asset is is_asset


def test_parse_jaeger_uri_of_a_traversal_still_finds_the_trace():
    assert parse_jaeger_uri(f"/jaeger/static/../trace/{TRACE_ID}").trace_id == TRACE_ID


# ------------------------------------------------------- the endpoint, without nginx


def test_jaeger_access_without_original_uri_is_refused_and_not_audited(db, client):
    response = client.get("/tracing/jaeger-access/")

    assert response.status_code == 400
    assert not JaegerAccessLog.objects.exists()


def test_jaeger_access_shortens_long_uris_and_ignores_a_bad_address(make_user, client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's address
    client.force_login(make_user(Role.DEVELOPER))
    uri = "/jaeger/search?service=x&tags=" + "a" * 3000

    response = client.get("/tracing/jaeger-access/", HTTP_X_ORIGINAL_URI=uri, HTTP_X_REAL_IP="not-an-ip")

    assert response.status_code == 204
    entry = JaegerAccessLog.objects.get()
    # No usable address from the proxy: the proxy's own is what is known.
    assert (len(entry.uri), len(entry.search_tags), entry.remote_addr) == (2000, 1000, "127.0.0.1")


def test_audit_log_is_shown_read_only_in_the_admin(admin_client, make_user):
    support = make_user(Role.SUPPORT)
    JaegerAccessLog.objects.create(user_id=support.pk, method="GET", uri=f"/jaeger/trace/{TRACE_ID}",
                                   trace_id=TRACE_ID, decision=Decision.ALLOWED, remote_addr="10.0.0.7")

    listing = admin_client.get("/admin/tracing/jaegeraccesslog/?decision=allowed")
    adding = admin_client.get("/admin/tracing/jaegeraccesslog/add/")

    assert listing.status_code == 200
    assert TRACE_ID in listing.content.decode() and "10.0.0.7" in listing.content.decode()
    assert adding.status_code == 403


@pytest.mark.parametrize("term, found", [(TRACE_ID, True), ("42", True), ("10.0.0.7", True),
                                         ("order.id", False), ("not an address", False)])
def test_audit_log_admin_search_finds_by_user_trace_or_address(admin_client, term, found):
    JaegerAccessLog.objects.create(user_id=42, method="GET", uri=f"/jaeger/trace/{TRACE_ID}",
                                   trace_id=TRACE_ID, decision=Decision.ALLOWED, remote_addr="10.0.0.7")

    response = admin_client.get("/admin/tracing/jaegeraccesslog/", {"q": term})

    assert response.status_code == 200
    assert (f"/jaeger/trace/{TRACE_ID}" in response.content.decode()) is found


# -------------------------------------------------------------- the proxy, for real


class _StandInJaeger(BaseHTTPRequestHandler):
    """Answers every request with 'jaeger-ui <path>' and remembers what it was sent."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes
    seen: list[tuple[str, str, str]] = []

    def do_GET(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("Cookie", "")))
        body = f"jaeger-ui {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stand_in_jaeger():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandInJaeger)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Proxy:
    """The running proxy: requests to it over HTTPS, trusting its certificate, never following redirects."""

    def __init__(self, port: int, ca_file: Path):
        self.base = f"https://127.0.0.1:{port}"
        self.ca_file = ca_file

    def request(self, method: str, path: str, *, session_id: str | None = None, browser=None, **kwargs):
        cookies = {"sessionid": session_id} if session_id else None
        return (browser or requests).request(method, self.base + path, cookies=cookies,
                                             verify=str(self.ca_file), allow_redirects=False, timeout=10,
                                             **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)


@pytest.fixture(scope="module")
def proxy(live_server, stand_in_jaeger, tmp_path_factory):
    """nginx running deploy/nginx/jaeger-proxy.conf in front of the live app and the stand-in Jaeger."""
    app_host = "127.0.0.1" if live_server.thread.host == "localhost" else live_server.thread.host
    with running_proxy(SHIPPED_CONFIG, {
        "server web:8000;": f"server {app_host}:{live_server.thread.port};",
        "server jaeger:16686;": f"server 127.0.0.1:{stand_in_jaeger.server_port};",
    }, tmp_path_factory.mktemp("nginx")) as (port, cert):
        yield Proxy(port, cert)


@pytest.fixture
def session_of():
    """``session_of(user)`` -> the id of a fresh session in which ``user`` is logged in."""

    def login(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return login


@pytest.fixture
def jaeger_requests(stand_in_jaeger):
    _StandInJaeger.seen.clear()
    return _StandInJaeger.seen


@pytest.mark.django_db(transaction=True)
def test_proxy_sends_a_visitor_without_session_to_login_and_audits_it(proxy, jaeger_requests):
    uri = "/jaeger/search?" + urlencode({"service": "alexandrite-web", "tags": '{"order.id":"42"}'})

    response = proxy.get(uri)

    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=" + quote(uri, safe="")
    assert jaeger_requests == []
    entry = JaegerAccessLog.objects.get()
    assert (entry.decision, entry.user_id, entry.method, entry.uri) == (Decision.LOGIN, None, "GET", uri)
    assert (entry.search_service, entry.search_tags) == ("alexandrite-web", '{"order.id":"42"}')
    assert entry.remote_addr == "127.0.0.1"


@pytest.mark.django_db(transaction=True)
def test_proxy_refuses_a_customer_with_403_and_audits_it(proxy, jaeger_requests, customer, session_of):
    response = proxy.get(f"/jaeger/trace/{TRACE_ID}", session_id=session_of(customer))

    assert response.status_code == 403
    assert jaeger_requests == []
    entry = JaegerAccessLog.objects.get()
    assert (entry.decision, entry.user_id, entry.trace_id) == (Decision.REFUSED, customer.pk, TRACE_ID)


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.DEVELOPER])
@pytest.mark.django_db(transaction=True)
def test_proxy_lets_support_and_developers_see_a_trace_and_audits_it(proxy, jaeger_requests, make_user,
                                                                     session_of, role):
    user = make_user(role)

    response = proxy.get(f"/jaeger/trace/{TRACE_ID}?uiFind=x", session_id=session_of(user))

    assert response.status_code == 200
    assert response.text == f"jaeger-ui /jaeger/trace/{TRACE_ID}?uiFind=x"
    assert "max-age" in response.headers["Strict-Transport-Security"]
    # Jaeger is not sent our session.
    assert jaeger_requests == [("GET", f"/jaeger/trace/{TRACE_ID}?uiFind=x", "")]
    entry = JaegerAccessLog.objects.get()
    assert (entry.decision, entry.user_id, entry.trace_id) == (Decision.ALLOWED, user.pk, TRACE_ID)
    assert entry.uri == f"/jaeger/trace/{TRACE_ID}?uiFind=x"


@pytest.mark.django_db(transaction=True)
def test_proxy_audits_the_original_method_of_a_post(proxy, jaeger_requests, support, session_of):
    response = proxy.request("POST", f"/jaeger/api/archive/{TRACE_ID}", data=b"{}",
                             session_id=session_of(support))

    assert response.status_code == 200
    assert jaeger_requests[0][:2] == ("POST", f"/jaeger/api/archive/{TRACE_ID}")
    entry = JaegerAccessLog.objects.get()
    assert (entry.decision, entry.method) == (Decision.ALLOWED, "POST")


@pytest.mark.django_db(transaction=True)
def test_proxy_checks_ui_assets_without_auditing_them(proxy, jaeger_requests, support, session_of):
    anonymous = proxy.get("/jaeger/static/main.js")
    allowed = proxy.get("/jaeger/static/main.js", session_id=session_of(support))

    assert anonymous.status_code == 302
    assert allowed.status_code == 200
    assert not JaegerAccessLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_proxy_serves_nothing_else_of_the_app(proxy, support, session_of):
    response = proxy.get("/admin/", session_id=session_of(support))

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_signing_in_through_the_proxy_leads_back_to_the_trace(proxy, jaeger_requests, make_user, settings):
    # What production sets: the app trusts the proxy's X-Forwarded-Proto (CSRF checks are HTTPS-strict).
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    developer = make_user(Role.DEVELOPER, username="dev-on-call")
    trace_page = f"/jaeger/trace/{TRACE_ID}"

    browser = requests.Session()  # keeps the cookies the proxy's host sets, like a browser

    to_login = proxy.get(trace_page, browser=browser)
    login_page = proxy.get(to_login.headers["Location"], browser=browser)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    signed_in = proxy.request(
        "POST", "/accounts/login/", browser=browser,
        data={"username": "dev-on-call", "password": "pw-for-tests", "next": trace_page,
              "csrfmiddlewaretoken": token},
        headers={"Origin": proxy.base, "Referer": proxy.base + to_login.headers["Location"]},
    )
    trace = proxy.get(signed_in.headers.get("Location", ""), browser=browser)

    assert login_page.status_code == 200
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == trace_page
    assert trace.status_code == 200 and trace.text == f"jaeger-ui {trace_page}"
    decisions = list(JaegerAccessLog.objects.order_by("id").values_list("decision", "user_id"))
    assert decisions == [(Decision.LOGIN, None), (Decision.ALLOWED, developer.pk)]
