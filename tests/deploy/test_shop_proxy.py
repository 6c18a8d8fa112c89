"""deploy/nginx/shop-proxy.conf run by a real nginx (Debian's) in front of a local upstream:
TLS in, the forwarded scheme and host set, request bodies buffered whole before the upstream
sees them, oversized uploads refused at the door."""

import http.client
import json
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.tracing.test_jaeger_access import _self_signed_certificate, _wait_for_port, render_proxy_config

from .conftest import DEPLOY

SHIPPED_CONFIG = DEPLOY / "nginx" / "shop-proxy.conf"
MAIN_CONFIG = """\
master_process off;
pid {run}/nginx.pid;
error_log {run}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/shop-proxy.conf;
}}
"""


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def shop_proxy(tmp_path_factory):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        pytest.fail("nginx is not installed: run bin/services (it installs the Debian package nginx)")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    run = tmp_path_factory.mktemp("shop-proxy")
    cert, key = _self_signed_certificate(run)
    port = _free_port()
    (run / "shop-proxy.conf").write_text(render_proxy_config(SHIPPED_CONFIG.read_text(), {
        "server web:8000;": f"server 127.0.0.1:{upstream.server_address[1]};",
        "listen 8443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/nginx/tls/tls.crt;": f"{cert};",
        "/etc/nginx/tls/tls.key;": f"{key};",
    }))
    (run / "nginx.conf").write_text(MAIN_CONFIG.format(run=run))
    error_log = run / "error.log"
    process = subprocess.Popen(
        [nginx, "-p", str(run), "-e", str(error_log), "-c", str(run / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, error_log)
        yield port, ssl.create_default_context(cafile=str(cert))
    finally:
        process.terminate()
        process.wait(timeout=10)
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
