"""The order metrics the Collector derives from the spans' transition events (connector
signal_to_metrics/orders) against the ones the app counts itself (tracing/metrics.py): the same
series, labels and values in Prometheus after orders move through known transitions, and counts
that stay whole when tail sampling drops the traces."""

import time
import uuid

import pytest
import requests
from opentelemetry.trace import Status, StatusCode

from jewelry.contracts import OrderPriced
from tests.backbone.test_collector import tracer_provider
from tests.backbone.test_orders_in_jaeger import walk_to_closed
from tests.e2e.app import running_app
from tests.processes import wait_until
from tracing import attributes as A

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.backbone,
              pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

ORDERS = 2
# Prometheus names of the app's series and of the Collector's copies (docs/lost-orders.md).
PAIRS = {
    "transitions": ("alexandrite_order_transitions_total", "alexandrite_spans_order_transitions_total",
                    "job, order_previous_status, order_status, alexandrite_transition_record"),
    "stage count": ("alexandrite_order_stage_duration_seconds_count",
                    "alexandrite_spans_order_stage_duration_seconds_count",
                    "job, order_status, alexandrite_transition_record"),
    "stage sum": ("alexandrite_order_stage_duration_seconds_sum",
                  "alexandrite_spans_order_stage_duration_seconds_sum",
                  "job, order_status, alexandrite_transition_record"),
    "stage buckets": ("alexandrite_order_stage_duration_seconds_bucket",
                      "alexandrite_spans_order_stage_duration_seconds_bucket",
                      "job, order_status, alexandrite_transition_record, le"),
    "order count": ("alexandrite_order_duration_seconds_count", "alexandrite_spans_order_duration_seconds_count",
                    "job"),
    "order sum": ("alexandrite_order_duration_seconds_sum", "alexandrite_spans_order_duration_seconds_sum",
                  "job"),
}


@pytest.fixture
def service_name():
    return f"backbone-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def _running_app(django_db_setup, tmp_path_factory, backbone):
    """The app as the backbone's other tests run it, exporting its own metrics too (every second)."""
    exporting = backbone.app_env()
    with running_app(tmp_path_factory.mktemp("metrics-media"), exporting.pop("OTEL_EXPORTER_OTLP_ENDPOINT"),
                     OTEL_METRICS_EXPORTER="otlp", OTEL_METRIC_EXPORT_INTERVAL=1000, **exporting) as web:
        yield web


def _series(prometheus_url: str, metric: str, labels: str) -> dict[tuple, float]:
    query = f"sum by ({labels}) ({metric})"
    answer = requests.get(f"{prometheus_url}/api/v1/query", params={"query": query}, timeout=10).json()
    assert answer["status"] == "success", answer
    names = [name.strip() for name in labels.split(",")]
    return {tuple(item["metric"].get(name, "") for name in names): float(item["value"][1])
            for item in answer["data"]["result"]}


def _snapshot(prometheus_url: str) -> dict[str, tuple[dict, dict]]:
    return {what: (_series(prometheus_url, app, labels), _series(prometheus_url, spans, labels))
            for what, (app, spans, labels) in PAIRS.items()}


def _grown(before: dict, after: dict) -> dict[tuple, float]:
    """What each series gained (rounded: the two sides add the same floats in another order)."""
    grown = {key: round(value - before.get(key, 0.0), 6) for key, value in after.items()}
    return {key: value for key, value in grown.items() if value}


def test_the_collector_derives_the_apps_order_metrics_from_the_spans(app, caller, backbone, customer, seller,
                                                                      operator):
    prometheus = backbone.prometheus_url
    # Earlier modules' orders are in the Collector's series already (their apps exported no metrics):
    # start from where they stand once their last spans are in (two scrapes alike).
    before = {}

    def settled():
        nonlocal before
        previous, before = before, _snapshot(prometheus)
        return previous == before

    wait_until(settled, timeout=60, interval=5, message="the earlier orders' series to settle")
    for _ in range(ORDERS):
        walk_to_closed(app, caller, customer, seller, operator)

    def both_sides():
        after = _snapshot(prometheus)
        grown = {what: (_grown(before[what][0], app_side), _grown(before[what][1], spans_side))
                 for what, (app_side, spans_side) in after.items()}
        closed = sum(grown["order count"][0].values()) == ORDERS
        if closed and all(app_side == spans_side for app_side, spans_side in grown.values()):
            return grown
        return None

    try:
        grown = wait_until(both_sides, timeout=60, interval=2, message="the two sides to agree")
    except AssertionError:
        after = _snapshot(prometheus)
        differing = {what: {"app": _grown(before[what][0], after[what][0]),
                            "spans": _grown(before[what][1], after[what][1])} for what in PAIRS}
        raise AssertionError(f"app and Collector series differ: {differing}") from None

    transitions = grown["transitions"][0]
    # each of the nine moves from INITIATED to CLOSED, once per order; MES's job moved too
    order_moves = {key: count for key, count in transitions.items() if key[3] == "order"}
    assert len(order_moves) == 9 and set(order_moves.values()) == {ORDERS}, order_moves
    assert ("alexandrite-web", "SHIPPED", "CLOSED", "order") in order_moves
    assert any(key[3] == "mes_job" for key in transitions), transitions
    assert sum(grown["order count"][0].values()) == ORDERS
    assert grown["stage buckets"][0], "no stage duration buckets"
    print(f"\n[order metrics] {int(sum(transitions.values()))} transitions in {len(transitions)} series, "
          f"the same from the app and from the spans")


def _exported(metrics_url: str, metric: str, job: str) -> float:
    """One series' value on a prometheus exporter's /metrics page (0 if absent)."""
    text = requests.get(metrics_url, timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(metric + "{") and f'job="{job}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_transition_counts_stay_whole_when_tail_sampling_drops_the_traces(backbone, jaeger, service_name):
    """A second Collector keeping no ordinary trace: the counts still see every span."""
    collector = backbone.another_collector("otel-collector-keep-none", TAIL_SAMPLING_DECISION_WAIT="1s",
                                           TAIL_SAMPLING_PERCENTAGE="0")
    collector.start()
    metrics_url = f"http://127.0.0.1:{collector.ports.collector_prometheus}/metrics"
    try:
        provider = tracer_provider(f"https://127.0.0.1:{collector.ports.otlp_http}",
                                   str(backbone.certs / "ca.pem"), backbone.token, service_name)
        tracer = provider.get_tracer("backbone-test")
        for number in range(40):
            with tracer.start_as_current_span(f"run/{OrderPriced.name}") as span:
                span.add_event(A.EVENT_TRANSITION, {
                    A.ORDER_PREVIOUS_STATUS: "SUBMITTED", A.ORDER_STATUS: "PRICE_CALCULATED",
                    A.TRANSITION_RECORD: "order", A.TRANSITION_STAGE_SECONDS: 3.0})
                if number < 2:  # errors are kept whatever the share
                    span.set_status(Status(StatusCode.ERROR, "failed on purpose"))
        provider.shutdown()
        counted = wait_until(
            lambda: _exported(metrics_url, "alexandrite_spans_order_transitions_total", service_name) == 40,
            timeout=30, interval=0.5,
            message=lambda: _exported(metrics_url, "alexandrite_spans_order_transitions_total", service_name))
        assert counted
        stage_count = _exported(metrics_url, "alexandrite_spans_order_stage_duration_seconds_count", service_name)
        stage_sum = _exported(metrics_url, "alexandrite_spans_order_stage_duration_seconds_sum", service_name)
        assert (stage_count, stage_sum) == (40, 120.0)
        kept = jaeger.wait_for(lambda: jaeger.traces(service_name), describe=lambda: "the two failed traces")
        time.sleep(3)  # the decisions are due 1 s after each trace's span: the last ones are in
        kept = jaeger.traces(service_name)
    finally:
        collector.stop()
    assert len(kept) == 2, f"Jaeger kept {len(kept)} of 40 traces"
