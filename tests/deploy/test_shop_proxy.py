"""deploy/nginx/shop-proxy.conf run by a real nginx (Debian's) in front of a local upstream:
TLS in, the forwarded scheme and host set, request bodies buffered whole before the upstream
sees them, oversized uploads refused at the door."""

import http.client
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.nginx import running_proxy

from .conftest import DEPLOY

SHIPPED_CONFIG = DEPLOY / "nginx" / "shop-proxy.conf"
class Upstream(BaseHTTPRequestHandler):
    """Stands in for gunicorn: answers with what it was sent."""

    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        seen = {"headers": {k.lower(): v for k, v in self.headers.items()}, "body_bytes": len(body)}
        payload = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def shop_proxy(tmp_path_factory):
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with running_proxy(SHIPPED_CONFIG, {"server web:8000;": f"server 127.0.0.1:{upstream.server_address[1]};"},
                           tmp_path_factory.mktemp("shop-proxy")) as (port, cert):
            yield port, ssl.create_default_context(cafile=str(cert))
    finally:
        upstream.shutdown()
        upstream.server_close()


def _request(shop_proxy, method, path, body=None, headers=None):
    port, context = shop_proxy
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request(method, path, body=body, headers=headers or {}, encode_chunked=body is not None
                       and not isinstance(body, bytes))
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def test_the_shop_is_served_over_tls_with_the_forwarded_scheme_and_host(shop_proxy):
    response, data = _request(shop_proxy, "GET", "/admin/", headers={"Host": "shop.example.internal"})

    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    seen = json.loads(data)["headers"]
    assert seen["x-forwarded-proto"] == "https"
    assert seen["host"] == "shop.example.internal"


def test_a_streamed_upload_reaches_gunicorn_whole(shop_proxy):
    # the client trickles a chunked body; the upstream gets one body with its length
    chunks = (b"x" * 65536 for _ in range(32))
    response, data = _request(shop_proxy, "POST", "/api/v1/shop/orders/1/model/", body=chunks,
                              headers={"Content-Type": "application/octet-stream"})

    assert response.status == 200
    seen = json.loads(data)
    assert seen["headers"]["content-length"] == str(32 * 65536)
    assert "transfer-encoding" not in seen["headers"]
    assert seen["body_bytes"] == 32 * 65536


def test_an_upload_over_the_limit_is_refused_at_the_door(shop_proxy):
    port, context = shop_proxy
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.putrequest("POST", "/api/v1/shop/orders/1/model/")
    connection.putheader("Content-Length", str(61 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()

    assert response.status == 413
