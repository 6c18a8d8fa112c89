"""The demo's local span store keeps a bounded set of recent spans and gives them back as the console reads them."""

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Status, StatusCode

from jewelry.contracts import PriceRequested
from tests.tracing.fake_jaeger import trace_document
from tracing.recent_spans import RecentSpansExporter, RecentSpansStore, attach
from tracing.span_data import spans_from_otlp_json
from tracing.waterfall import waterfall


def _provider(settings, path, limit=100) -> TracerProvider:
    settings.RECENT_SPANS_FILE, settings.RECENT_SPANS_LIMIT = str(path), limit
    provider = TracerProvider(resource=Resource({"service.name": "alexandrite-worker"}))
    assert attach(provider)
    return provider


def test_spans_written_by_a_provider_are_read_back_as_one_trace(settings, tmp_path):
    provider = _provider(settings, tmp_path / "spans.sqlite3")
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span(f"run/{PriceRequested.name}") as parent:
        parent.set_attribute("order.id", 7)
        with tracer.start_as_current_span("price model") as child:
            child.set_status(Status(StatusCode.ERROR, "The model is not closed."))
    provider.force_flush()
    trace_id = format(parent.get_span_context().trace_id, "032x")

    found = RecentSpansStore(str(tmp_path / "spans.sqlite3")).trace(trace_id)

    assert found.outcome == "found"
    by_name = {span.name: span for span in found.spans}
    run, price = by_name[f"run/{PriceRequested.name}"], by_name["price model"]
    assert (run.service, run.parent_span_id, run.attributes) == ("alexandrite-worker", "", {"order.id": 7})
    assert price.parent_span_id == run.span_id
    assert (price.status, price.status_message) == ("error", "The model is not closed.")
    provider.shutdown()


def test_the_store_keeps_only_the_newest_spans(tmp_path):
    path = str(tmp_path / "spans.sqlite3")
    provider = TracerProvider()
    exporter = RecentSpansExporter(path, limit=3)
    tracer = provider.get_tracer("test")
    spans = []
    for index in range(5):
        with tracer.start_as_current_span(f"span {index}") as span:
            spans.append(span)
    for span in spans:
        exporter.export([span])
    store = RecentSpansStore(path)

    kept = [store.trace(format(s.get_span_context().trace_id, "032x")).outcome for s in spans]

    assert kept == ["not_found", "not_found", "found", "found", "found"]


def test_without_a_file_nothing_is_attached(settings):
    settings.RECENT_SPANS_FILE = ""
    assert attach(TracerProvider()) is False


def test_waterfall_nests_children_under_parents_across_services_and_scales_bars():
    rows = waterfall(spans_from_otlp_json(trace_document()["result"]))

    assert [(row.span.name, row.depth) for row in rows] == [
        ("POST /api/v1/shop/orders/{id}/submit/", 0),
        (f"apply_async/{PriceRequested.name}", 1),
        (f"run/{PriceRequested.name}", 2),
    ]
    root, _, run = rows
    assert (root.left_percent, root.width_percent) == (0, pytest.approx(100 * 40 / 90, abs=0.01))
    assert run.left_percent == pytest.approx(100 * 50 / 90, abs=0.01)
    assert (run.offset_ms, run.duration_ms) == (50.0, 40.0)
    assert run.attributes[0] == ("order.id", 7)  # order facts first
    assert [row.span.failed for row in rows] == [False, False, True]


def test_a_span_whose_parent_is_missing_becomes_a_root():
    spans = [span for span in spans_from_otlp_json(trace_document()["result"]) if span.kind != "producer"]

    rows = waterfall(spans)

    assert [(row.span.name, row.depth) for row in rows] == [
        ("POST /api/v1/shop/orders/{id}/submit/", 0), (f"run/{PriceRequested.name}", 0)]
