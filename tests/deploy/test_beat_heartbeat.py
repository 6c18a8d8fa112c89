"""What AlexandriteBeatSilent and beat's share of the availability SLI stand on: a running
celery beat, traced as in production, sends PRODUCER spans under service alexandrite-beat."""

import os
import subprocess

import pytest

from jewelry.contracts import RelayMesOutbox, RelayShopOutbox
from tests.otlp_receiver import OtlpReceiver
from tests.processes import VENV_BIN, broker_url, purge_queues, wait_until

pytestmark = [pytest.mark.services, pytest.mark.e2e]


def test_a_running_beat_publishes_traced_producer_spans(tmp_path):
    with OtlpReceiver() as receiver:
        env = dict(os.environ, CELERY_BROKER_URL=broker_url(), CELERY_TASK_ALWAYS_EAGER="false",
                   OTEL_SERVICE_NAME="alexandrite-beat", OTEL_TRACES_EXPORTER="otlp",
                   OTEL_METRICS_EXPORTER="none", OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                   OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="200",
                   OUTBOX_RELAY_INTERVAL_SECONDS="1", ALEXANDRITE_VAR_DIR=str(tmp_path))
        beat = subprocess.Popen([str(VENV_BIN / "celery"), "-A", "jewelry", "beat", "--max-interval=1"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            spans = receiver.wait_for(lambda spans: [s for s in spans if s.name.startswith("apply_async/")],
                                      timeout=60)
        finally:
            beat.terminate()
            beat.wait(timeout=15)
            purge_queues(broker_url())

    published = [s for s in spans if s.name.startswith("apply_async/")]
    assert {s.service_name for s in published} == {"alexandrite-beat"}
    assert {s.kind for s in published} == {"PRODUCER"}  # span_kind="SPAN_KIND_PRODUCER" in span metrics
    relays = (f"apply_async/{RelayShopOutbox.name}", f"apply_async/{RelayMesOutbox.name}")
    assert any(s.name in relays for s in published)
    wait_until(lambda: list(tmp_path.glob("celerybeat-schedule*")), timeout=5,
               message="beat's schedule file in ALEXANDRITE_VAR_DIR")
