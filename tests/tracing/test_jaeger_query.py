"""The Jaeger api/v3 client reads real api/v3 answers, and a dead or empty Jaeger is an answer, not a crash."""

import socket
import time

from tests.tracing.fake_jaeger import TRACE_ID, WEB_DB, WEB_ROOT, WORKER_RUN, fake_jaeger, trace_document
from tracing.jaeger_query import JaegerQueryClient


def test_a_trace_is_read_with_services_parents_status_and_typed_attributes():
    with fake_jaeger({TRACE_ID: trace_document()}) as (handler, url):
        found = JaegerQueryClient(url).trace(TRACE_ID)

    assert handler.requests == [f"/api/v3/traces/{TRACE_ID}"]
    assert found.outcome == "found"
    by_id = {span.span_id: span for span in found.spans}
    assert set(by_id) == {WEB_ROOT, WEB_DB, WORKER_RUN}
    root, publish, run = by_id[WEB_ROOT], by_id[WEB_DB], by_id[WORKER_RUN]
    assert (root.service, root.kind, root.parent_span_id, root.status) == ("alexandrite-web", "server", "", "unset")
    assert (publish.kind, publish.parent_span_id) == ("producer", WEB_ROOT)
    assert (run.service, run.kind, run.parent_span_id) == ("alexandrite-worker", "consumer", WEB_DB)
    assert (run.status, run.status_message, run.failed) == ("error", "The model is not closed.", True)
    assert run.attributes["order.id"] == 7  # int64 comes as a JSON string
    assert run.attributes["model.bbox_mm"] == [10.0, 10.0, 10.0]
    assert run.end_ns - run.start_ns == 40_000_000


def test_an_unknown_trace_id_is_not_found_with_jaegers_message():
    with fake_jaeger({TRACE_ID: trace_document()}) as (_, url):
        found = JaegerQueryClient(url).trace("0" * 31 + "1")

    assert (found.outcome, found.spans) == ("not_found", ())
    assert found.detail == "trace not found"


def test_an_unreachable_jaeger_is_unavailable_at_once():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens once the socket closes

    started = time.monotonic()
    found = JaegerQueryClient(f"http://127.0.0.1:{closed_port}", timeout=1).trace(TRACE_ID)

    assert found.outcome == "unavailable"
    assert "did not answer" in found.detail
    assert time.monotonic() - started < 1


def test_a_slow_jaeger_is_given_up_after_the_timeout():
    with fake_jaeger({TRACE_ID: trace_document()}, behaviour="slow") as (_, url):
        started = time.monotonic()
        found = JaegerQueryClient(url, timeout=0.3).trace(TRACE_ID)
        waited = time.monotonic() - started

    assert found.outcome == "unavailable"
    assert waited < 1.5


def test_a_failing_jaeger_is_unavailable_with_its_status():
    with fake_jaeger(behaviour="broken") as (_, url):
        found = JaegerQueryClient(url).trace(TRACE_ID)

    assert found.outcome == "unavailable"
    assert found.detail == "Jaeger answered 500: storage error"
