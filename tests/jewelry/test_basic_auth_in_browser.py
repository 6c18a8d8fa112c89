"""A browser's HTTP Basic credentials cannot be ridden by another site (docs/threat-model.md, row "Basic in a browser").

Debian's chromium, driven by Playwright, holds a seller's Basic credentials for the app
(served by ``live_server``); a page of another origin (a second local HTTP server) then
posts a form and a ``fetch`` to the CRM's approve action. The order must not move.
An API client without a browser (``requests``, like ``curl -u``) still approves.
"""

import http.server
import os
import threading
from pathlib import Path

import pytest
import requests

from jewelry import basic_auth
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from shop.models import Order
from tests.flows import submitted_order

pytestmark = [pytest.mark.django_db(databases=["default", "mes"], transaction=True), pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "pw-for-tests"  # tests/conftest.py make_user


def _attacker_page(approve_url: str) -> bytes:
    """Auto-submits a form POST, then a credentialed fetch POST, to ``approve_url``; says when both went."""
    return f"""<!doctype html><title>win a prize</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="{approve_url}" target="sink"><input name="x" value="1"></form>
<script>
  document.querySelector("iframe").addEventListener("load", () => {{
    fetch("{approve_url}", {{method: "POST", credentials: "include", mode: "no-cors"}})
      .catch(() => null).finally(() => {{ document.title = "sent"; }});
  }}, {{once: true}});
  document.getElementById("f").submit();
</script>""".encode()


@pytest.fixture
def attacker_site():
    """A second HTTP server, another origin than the app's; ``attacker_site(html)`` -> its page's URL."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(html: bytes, host: str) -> str:
        pages["/prize.html"] = html
        return f"http://{host}:{server.server_port}/prize.html"

    yield serve
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: bin/services installs it")
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are
    # plain synchronous ones all the same, so Django's guard against async callers is lifted.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _app_base(live_server) -> str:
    return f"http://127.0.0.1:{live_server.thread.port}"


def _attack(chromium, app: str, seller, attacker_url: str):
    """The seller's browser, holding their Basic credentials for ``app``, opens the attacker's page."""
    context = chromium.new_context(http_credentials={"username": seller.username, "password": PASSWORD})
    try:
        page = context.new_page()
        # The seller once looked at the API in this browser: a challenge, answered, cached by the browser.
        looked = page.goto(f"{app}/api/v1/crm/orders/")
        page.goto(attacker_url)
        page.wait_for_function("document.title === 'sent'", timeout=15_000)
        page.wait_for_timeout(500)  # the fetch's answer is opaque: give the server its moment
        return looked.status
    finally:
        context.close()


@pytest.mark.parametrize("attacker_host", ["127.0.0.1", "localhost"])  # same site, another port; another site
def test_another_origin_cannot_approve_with_the_browsers_basic_credentials(
        live_server, chromium, attacker_site, api, customer, seller, attacker_host):
    order_id = submitted_order(api(customer), cube_stl(10))
    app = _app_base(live_server)

    looked = _attack(chromium, app, seller,
                     attacker_site(_attacker_page(f"{app}/api/v1/crm/orders/{order_id}/approve/"), attacker_host))

    assert Order.objects.get(pk=order_id).status == S.PRICE_CALCULATED
    assert looked == 401  # no Basic challenge: the browser never prompts, so it never caches a password


def test_credentials_a_browser_holds_anyway_cannot_approve_from_another_origin(
        live_server, chromium, attacker_site, api, customer, seller, monkeypatch):
    """Say a browser holds them all the same (a Basic challenge of a proxy, an older release):
    its unsafe requests carry Origin and Sec-Fetch-Site, and then Basic needs the CSRF token.

    Another port of the same host: this Chromium keeps a site's HTTP credentials from
    requests that another *site* starts, so only a same-site attacker gets them sent here
    (tests/jewelry/test_basic_auth.py covers a cross-site request's headers).
    """
    monkeypatch.setattr(basic_auth.BasicAuthentication, "authenticate_header",
                        lambda self, request: 'Basic realm="api"')
    order_id = submitted_order(api(customer), cube_stl(10))
    app = _app_base(live_server)

    looked = _attack(chromium, app, seller,
                     attacker_site(_attacker_page(f"{app}/api/v1/crm/orders/{order_id}/approve/"), "127.0.0.1"))

    assert Order.objects.get(pk=order_id).status == S.PRICE_CALCULATED
    assert looked == 200  # the browser did sign in with the seller's Basic credentials


def test_an_api_client_without_a_browser_still_uses_basic(live_server, api, customer, seller):
    order_id = submitted_order(api(customer), cube_stl(10))
    url = f"{_app_base(live_server)}/api/v1/crm/orders/{order_id}/approve/"

    anonymous = requests.post(url, timeout=10)
    approved = requests.post(url, auth=(seller.username, PASSWORD), timeout=10)  # curl -u seller:...

    assert anonymous.status_code == 401
    assert not anonymous.headers["WWW-Authenticate"].lower().startswith("basic")
    assert approved.status_code == 200, approved.text
    assert Order.objects.get(pk=order_id).status == S.MANUFACTURING_APPROVED
