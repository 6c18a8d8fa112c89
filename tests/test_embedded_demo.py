"""The README's first command: bin/demo sets up and serves the product on embedded defaults.

No PostgreSQL, RabbitMQ or collector: SQLite files, eager tasks, local files, spans kept in a local file.
"""

import base64
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import requests

from jewelry.contracts import PriceRequested
from jewelry.sample_models import cube_stl

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(base: str, method: str, path: str, user: str, body: bytes | None = None, content_type=None):
    request = urllib.request.Request(base + path, data=body, method=method)
    token = base64.b64encode(f"{user}:alexandrite-demo".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def _multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "alexandrite-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _wait_for(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "bin/demo exited early"
        try:
            urllib.request.urlopen(base + "/api/schema/", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise AssertionError("bin/demo did not answer in time")


def _stored_span_names(store: Path) -> set[str]:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as connection:
            return {name for (name,) in connection.execute("SELECT name FROM span")}
    except sqlite3.OperationalError:  # not written yet
        return set()


def _wait_for_span(store: Path, name: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while name not in _stored_span_names(store):
        assert time.monotonic() < deadline, f"no span {name!r} in {store}"
        time.sleep(0.3)


@contextmanager
def served_demo(tmp_path: Path, **env):
    """``bin/demo`` on a free port with its files in ``tmp_path`` (its log: demo.log); yields its base URL.

    Stopped with its whole process group: the server and the stuck-order detector beside it.
    """
    port = _free_port()
    person_env = {k: v for k, v in os.environ.items()
                  if not k.endswith("DATABASE_URL") and not k.startswith(("OTEL_", "CELERY_"))}
    person_env.update(ALEXANDRITE_VAR_DIR=str(tmp_path), ADDR=f"127.0.0.1:{port}", **env)
    log = (tmp_path / "demo.log").open("wb")  # a file, not a pipe: printed spans must never block the server
    server = subprocess.Popen([str(ROOT / "bin" / "demo")], cwd=ROOT, env=person_env, start_new_session=True,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _console(base: str) -> requests.Session:
    """A browser's session of the demo user ``support``, signed in through the login form."""
    session, login = requests.Session(), f"{base}/accounts/login/"
    session.get(login, timeout=30)
    signed_in = session.post(login, data={"username": "support", "password": "alexandrite-demo",
                                          "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                             headers={"Referer": login}, allow_redirects=False, timeout=30)
    assert signed_in.status_code == 302, signed_in.text
    return session


def _wait_until(condition, message: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, message
        time.sleep(0.5)
    return found


def test_bin_demo_serves_an_order_from_upload_to_price_on_sqlite(tmp_path):
    with served_demo(tmp_path) as base:
        status, order = _call(base, "POST", "/api/v1/shop/orders/", "customer", b'{"metal": "gold_18k"}',
                              "application/json")
        assert status == 201
        body, content_type = _multipart("ring.stl", cube_stl(10))
        _call(base, "POST", f"/api/v1/shop/orders/{order['id']}/model/", "customer", body, content_type)
        status, submitted = _call(base, "POST", f"/api/v1/shop/orders/{order['id']}/submit/", "customer")
        # for the support console
        _wait_for_span(tmp_path / "recent-spans.sqlite3", f"run/{PriceRequested.name}")
    output = (tmp_path / "demo.log").read_text(errors="replace")

    assert status == 202
    assert (submitted["status"], submitted["price"]) == ("PRICE_CALCULATED", "1081.00")
    assert (tmp_path / "shop.sqlite3").exists() and (tmp_path / "mes.sqlite3").exists()
    assert "created user 'seller'" in output
    assert f"support console: http://{base.removeprefix('http://')}/support/" in output
    assert "'support' and 'developer'" in output


def test_simulated_orders_go_through_the_served_demo_and_their_traces_reach_its_console(tmp_path):
    # Seed 3 draws: two orders without failure, a model MES refuses (then a good one), an abandoned one.
    with served_demo(tmp_path) as base:
        run = subprocess.run([sys.executable, "manage.py", "simulate_orders", "--base-url", base,
                              "--orders", "4", "--failure-share", "0.5", "--seed", "3"],
                             cwd=ROOT, env=_person_env(tmp_path), capture_output=True, text=True, timeout=600)
        statuses = {order_id: _call(base, "GET", f"/api/v1/crm/orders/{order_id}/", "support")[1]["status"]
                    for order_id in range(1, 5)}
        console = _console(base)
        journey = _wait_until(lambda: _journey_with_spans(console, f"{base}/support/orders/3/"),
                              "the journey of order 3 never showed its traces' spans")

    assert run.returncode == 0, run.stderr
    assert re.search(r"CANCELLED\s+1\n\s+CLOSED\s+3\n", run.stdout), run.stdout
    assert re.search(r"model_not_watertight\s+2\n", run.stdout), run.stdout
    assert f"3 broken_model model_not_watertight {base}/support/orders/3/" in run.stdout
    assert f"4 abandoned_model model_not_watertight {base}/support/orders/4/" in run.stdout
    assert "100%" in run.stderr and "INFO" not in run.stderr + run.stdout  # a progress bar, no log lines
    assert statuses == {1: "CLOSED", 2: "CLOSED", 3: "CLOSED", 4: "CANCELLED"}
    assert f"run/{PriceRequested.name}" in journey and "model_not_watertight" in journey
    assert "Trace not found" not in journey


def _person_env(tmp_path: Path) -> dict:
    """The shell of a person running a second command beside the demo (no test databases)."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("DATABASE_URL") and not k.startswith("OTEL_")}
    return env | {"ALEXANDRITE_VAR_DIR": str(tmp_path / "simulator")}


def _journey_with_spans(console: requests.Session, url: str) -> str:
    page = console.get(url, timeout=30).text
    return page if 'class="span ' in page and "Trace not found" not in page else ""


def test_the_demos_detector_marks_an_order_past_its_deadline_stuck(tmp_path):
    # Every priced order is overdue at once; the detector beside the server scans every second.
    with served_demo(tmp_path, STUCK_ORDER_DEADLINES_SECONDS="PRICE_CALCULATED=0",
                     STUCK_ORDER_SCAN_INTERVAL_SECONDS="1") as base:
        _, order = _call(base, "POST", "/api/v1/shop/orders/", "customer", b'{"metal": "gold_18k"}',
                         "application/json")
        body, content_type = _multipart("ring.stl", cube_stl(10))
        _call(base, "POST", f"/api/v1/shop/orders/{order['id']}/model/", "customer", body, content_type)
        _call(base, "POST", f"/api/v1/shop/orders/{order['id']}/submit/", "customer")
        stuck = _wait_until(lambda: _call(base, "GET", f"/api/v1/crm/orders/{order['id']}/", "support")[1]
                            ["stuck_since"], "the demo's detector never marked the priced order stuck")
        home = _console(base).get(f"{base}/support/", timeout=30).text
    output = (tmp_path / "demo.log").read_text(errors="replace")

    assert stuck
    stuck_list = home.split("Stuck orders")[1].split("Failed in the last")[0]
    assert f'href="/support/orders/{order["id"]}/"' in stuck_list
    assert "Stuck orders: PRICE_CALCULATED 1 (1 newly marked" in output
