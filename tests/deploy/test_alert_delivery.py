"""End to end: a real Alertmanager (Debian's prometheus-alertmanager) with the stack's config,
rendered with a local webhook as ALERT_WEBHOOK_URL, delivers an alert posted to its API."""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.webhook import Webhook

from .alerting import render_alertmanager_config

DELIVERY_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def webhook():
    """A local webhook receiver: every POSTed notification lands in the queue (path, body)."""
    with Webhook() as hook:
        yield hook.url, hook.received


@pytest.fixture
def alertmanager(tmp_path, webhook):
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        pytest.fail("Alertmanager is not installed (Debian package prometheus-alertmanager, bin/services)")
    url, _ = webhook
    config = tmp_path / "alertmanager.yml"
    config.write_text(render_alertmanager_config(f"{url}/alerts", f"{url}/heartbeat"))
    port = free_port()
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/ready", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Alertmanager did not start: {process.stderr.read().decode()}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def post_alert(base: str, labels: dict, annotations: dict) -> None:
    now = datetime.now(UTC)
    alert = {"labels": labels, "annotations": annotations, "startsAt": now.isoformat(),
             "endsAt": (now + timedelta(minutes=10)).isoformat()}
    request = urllib.request.Request(f"{base}/api/v2/alerts", data=json.dumps([alert]).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    assert urllib.request.urlopen(request, timeout=5).status == 200


def next_delivery(received, path: str) -> dict:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        got_path, body = received.get(timeout=left)
        if got_path == path:
            return body
    pytest.fail(f"nothing delivered to {path} within {DELIVERY_TIMEOUT_SECONDS} s")


def test_a_critical_order_alert_is_delivered_to_the_webhook(alertmanager, webhook):
    _, received = webhook
    post_alert(alertmanager,
               {"alertname": "AlexandriteQueueWithoutConsumers", "severity": "critical", "team": "orders",
                "queue": "mes.orders"},
               {"summary": "Queue mes.orders has no consumer"})

    # critical: the on-call pager first (group_wait 30 s), and the order desk too (continue: true)
    receivers = set()
    while receivers != {"on-call-pager", "order-desk"}:
        body = next_delivery(received, "/alerts")
        assert body["status"] == "firing"
        [alert] = body["alerts"]
        assert alert["labels"]["alertname"] == "AlexandriteQueueWithoutConsumers"
        assert alert["labels"]["queue"] == "mes.orders"
        assert alert["annotations"]["summary"] == "Queue mes.orders has no consumer"
        receivers.add(body["receiver"])


def test_the_watchdog_goes_to_the_heartbeat_url_only(alertmanager, webhook):
    _, received = webhook
    post_alert(alertmanager, {"alertname": "Watchdog", "severity": "heartbeat", "team": "tracing-platform"},
               {"summary": "Alerting works (always firing)"})

    body = next_delivery(received, "/heartbeat")  # group_wait 0 s
    assert body["receiver"] == "heartbeat"
    assert [a["labels"]["alertname"] for a in body["alerts"]] == ["Watchdog"]
    assert received.empty()  # nothing went to the pager or a team
