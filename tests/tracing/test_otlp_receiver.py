"""The OTLP receiver decodes what the real OpenTelemetry exporters send, and
fails the way a hanging or slow tracing backend does."""

import json
import time
import urllib.error
import urllib.request

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.otlp_receiver import OtlpReceiver

RESOURCE = Resource.create({"service.name": "alexandrite-test", "deployment.environment": "test"})


@pytest.fixture
def receiver():
    with OtlpReceiver() as running:
        yield running


def local_tracer(endpoint: str, **exporter_options):
    """A tracer of its own provider, so no test touches the global one."""
    exporter = OTLPSpanExporter(endpoint=endpoint + "/v1/traces", **exporter_options)
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, provider.get_tracer("tests.tracing")


def finished_span(name: str = "order.submit"):
    span = TracerProvider(resource=RESOURCE).get_tracer("tests.tracing").start_span(name)
    span.end()
    return span


def test_parent_and_child_spans_are_decoded_with_ids_kinds_attributes_and_status(receiver):
    provider, tracer = local_tracer(receiver.endpoint)

    with tracer.start_as_current_span(
        "POST /orders", kind=SpanKind.SERVER, attributes={"http.request.method": "POST"}
    ) as parent:
        with tracer.start_as_current_span("order.submit", kind=SpanKind.PRODUCER) as child:
            child.set_attributes(
                {
                    "order.id": 42,
                    "order.total": 1250.5,
                    "order.rush": True,
                    "order.stones": ["alexandrite", "diamond"],
                    "order.stone_counts": [1, 12],
                }
            )
            child.add_event("metal.reserved", {"metal.grams": 7.5, "metal.alloy": "18k"})
            child.set_status(Status(StatusCode.ERROR, "foundry offline"))
    provider.shutdown()

    spans = receiver.wait_for(lambda spans: len(spans) == 2)
    by_name = {span.name: span for span in spans}
    server, producer = by_name["POST /orders"], by_name["order.submit"]

    assert server.trace_id == producer.trace_id == format(parent.get_span_context().trace_id, "032x")
    assert server.span_id == format(parent.get_span_context().span_id, "016x")
    assert producer.span_id == format(child.get_span_context().span_id, "016x")
    assert producer.parent_span_id == server.span_id
    assert server.parent_span_id is None
    assert (server.kind, producer.kind) == ("SERVER", "PRODUCER")
    assert server.attributes == {"http.request.method": "POST"}
    assert producer.attributes == {
        "order.id": 42,
        "order.total": 1250.5,
        "order.rush": True,
        "order.stones": ["alexandrite", "diamond"],
        "order.stone_counts": [1, 12],
    }
    assert producer.events == [("metal.reserved", {"metal.grams": 7.5, "metal.alloy": "18k"})]
    assert (producer.status_code, producer.status_message) == ("ERROR", "foundry offline")
    assert server.status_code == "UNSET"
    assert server.start_ns <= producer.start_ns <= producer.end_ns <= server.end_ns
    assert producer.service_name == "alexandrite-test"
    assert producer.resource["deployment.environment"] == "test"
    assert producer.scope_name == "tests.tracing"
    assert list(receiver.traces()) == [server.trace_id]
    assert [span.name for span in receiver.traces()[server.trace_id]] == ["POST /orders", "order.submit"]


def test_gzip_compressed_export_is_decoded(receiver):
    provider, tracer = local_tracer(receiver.endpoint, compression=Compression.Gzip)

    with tracer.start_as_current_span("mes.approve", attributes={"mes.operator": "ines"}):
        pass
    provider.shutdown()

    [span] = receiver.wait_for(lambda spans: spans)
    assert span.attributes == {"mes.operator": "ines"}


def test_json_encoded_export_is_decoded_with_hex_ids(receiver):
    payload = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "crm"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "crm.sync"},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "parentSpanId": "eee19b7ec3c1b173",
                                "name": "crm.customer.sync",
                                "kind": 3,
                                "startTimeUnixNano": "1544712660000000000",
                                "endTimeUnixNano": "1544712661000000000",
                                "attributes": [{"key": "crm.retries", "value": {"intValue": "3"}}],
                                "status": {"code": 1},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    request = urllib.request.Request(
        receiver.endpoint + "/v1/traces",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )

    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {}

    [span] = receiver.spans
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
    )
    assert (span.kind, span.status_code, span.service_name) == ("CLIENT", "OK", "crm")
    assert span.attributes == {"crm.retries": 3}


def test_undecodable_body_is_refused_with_400(receiver):
    request = urllib.request.Request(
        receiver.endpoint + "/v1/traces",
        data=b"\xff not protobuf",
        headers={"Content-Type": "application/x-protobuf"},
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)

    assert refused.value.code == 400
    assert receiver.spans == []


def test_metrics_round_trip_through_the_periodic_reader(receiver):
    exporter = OTLPMetricExporter(endpoint=receiver.endpoint + "/v1/metrics")
    # A long interval: only force_flush exports, so the test decides when.
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    meter = provider.get_meter("tests.tracing")

    meter.create_counter("orders.submitted").add(3, {"order.channel": "web"})
    grams = meter.create_histogram("metal.grams", unit="g")
    grams.record(5.0, {"metal.alloy": "18k"})
    grams.record(15.0, {"metal.alloy": "18k"})
    assert provider.force_flush(timeout_millis=10_000)
    provider.shutdown()

    metrics = receiver.wait_for_metrics(lambda metrics: {"orders.submitted", "metal.grams"} <= {m.name for m in metrics})
    by_name = {metric.name: metric for metric in metrics}
    counter, histogram = by_name["orders.submitted"], by_name["metal.grams"]

    assert (counter.kind, counter.service_name) == ("sum", "alexandrite-test")
    assert counter.data_points == [{"attributes": {"order.channel": "web"}, "value": 3}]
    assert histogram.kind == "histogram"
    [point] = histogram.data_points
    assert (point["attributes"], point["count"], point["sum"]) == ({"metal.alloy": "18k"}, 2, 20.0)
    assert sum(point["bucket_counts"]) == 2


def test_wait_for_times_out_with_the_names_received(receiver):
    provider, tracer = local_tracer(receiver.endpoint)
    with tracer.start_as_current_span("order.quote"):
        pass
    provider.shutdown()

    with pytest.raises(AssertionError, match=r"received 1: \['order.quote'\]"):
        receiver.wait_for(lambda spans: any(span.name == "order.ship" for span in spans), timeout=0.3)


def test_clear_forgets_everything_received(receiver):
    provider, tracer = local_tracer(receiver.endpoint)
    with tracer.start_as_current_span("order.quote"):
        pass
    provider.shutdown()

    receiver.clear()

    assert receiver.spans == [] and receiver.traces() == {}


def test_hanging_backend_makes_the_exporter_give_up_at_its_timeout():
    receiver = OtlpReceiver(mode="hang").start()
    exporter = OTLPSpanExporter(endpoint=receiver.endpoint + "/v1/traces", timeout=1)
    try:
        started = time.monotonic()
        result = exporter.export([finished_span()])
        elapsed = time.monotonic() - started
    finally:
        stopping = time.monotonic()
        receiver.stop()
        stop_took = time.monotonic() - stopping
        exporter.shutdown()

    assert result is SpanExportResult.FAILURE
    # At least the timeout: the connection was accepted and held, not refused.
    assert 0.9 <= elapsed < 5
    assert stop_took < 2
    assert receiver.spans == []


def test_slow_backend_answers_after_its_delay():
    with OtlpReceiver(mode="slow", delay=0.5) as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.endpoint + "/v1/traces", timeout=5)
        started = time.monotonic()
        result = exporter.export([finished_span("order.invoice")])
        elapsed = time.monotonic() - started

        assert result is SpanExportResult.SUCCESS
        assert elapsed >= 0.5
        assert [span.name for span in receiver.spans] == ["order.invoice"]


def test_slow_backend_beyond_the_exporter_timeout_fails_the_export():
    with OtlpReceiver(mode="slow", delay=3) as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.endpoint + "/v1/traces", timeout=1)

        assert exporter.export([finished_span()]) is SpanExportResult.FAILURE
