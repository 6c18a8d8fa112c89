"""A shipped nginx config (deploy/nginx/) run by a real nginx (Debian's, installed by bin/services).

``running_proxy`` writes the config with its deployment values swapped for local ones
(upstream addresses, the port, a fresh self-signed certificate), starts nginx in the
foreground in a folder of the test's and yields ``(port, certificate)`` once it listens.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

# nginx's main context, as the official image has it, with every path in the test's folder.
MAIN_CONFIG = """\
master_process off;
pid {run}/nginx.pid;
lock_file {run}/nginx.lock;
error_log {run}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/{config};
}}
"""
SHIPPED_PORT = "listen 8443 ssl;"
SHIPPED_CERTIFICATE = "/etc/nginx/tls/tls.crt;"
SHIPPED_KEY = "/etc/nginx/tls/tls.key;"


def render_proxy_config(text: str, replacements: dict[str, str], name: str = "the config") -> str:
    """The shipped config with its deployment values swapped; each must be there exactly once."""
    for shipped, local in replacements.items():
        assert text.count(shipped) == 1, f"{shipped!r} should appear once in {name}"
        text = text.replace(shipped, local)
    return text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "proxy.pem", folder / "proxy-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def _wait_for_port(port: int, process: subprocess.Popen, error_log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}:\n{error_log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port} within 10 s:\n{error_log.read_text()}")


@contextlib.contextmanager
def running_proxy(shipped: Path, upstreams: dict[str, str], folder: Path):
    """nginx serving ``shipped`` with ``upstreams`` swapped in, over TLS on a free port: (port, cert)."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        pytest.fail("nginx is not installed: run bin/services (it installs the Debian package nginx)")
    cert, key = self_signed_certificate(folder)
    port = free_port()
    (folder / shipped.name).write_text(render_proxy_config(shipped.read_text(), {
        **upstreams,
        SHIPPED_PORT: f"listen 127.0.0.1:{port} ssl;",
        SHIPPED_CERTIFICATE: f"{cert};",
        SHIPPED_KEY: f"{key};",
    }, shipped.name))
    (folder / "nginx.conf").write_text(MAIN_CONFIG.format(run=folder, config=shipped.name))
    error_log = folder / "error.log"
    process = subprocess.Popen(
        [nginx, "-p", str(folder), "-e", str(error_log), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, error_log)
        yield port, cert
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
