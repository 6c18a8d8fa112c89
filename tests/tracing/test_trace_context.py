"""Whose trace context a request continues (issue #21, finding 5): a caller from outside cannot pick our
trace or switch tracing off; its request starts a new trace that links to the caller's. Only
TRACE_CONTEXT_TRUSTED_SENDERS continue theirs; messages between our own processes always do."""

import pytest
from django.test import Client
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from tests.tracing.helpers import everything_said, server_spans
from tracing import attributes as A

pytestmark = pytest.mark.django_db

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
INTERNAL = "10.1.2.3"


@pytest.fixture(autouse=True)
def _production_sampler(monkeypatch):
    """The sampler production runs (docs/tracing.md), not the suite's always_on: the parent's flag counts."""
    monkeypatch.setattr(_DjangoMiddleware._tracer, "sampler", ParentBased(TraceIdRatioBased(1.0)))


def traceparent(flags: str) -> str:
    return f"00-{CALLER_TRACE}-{CALLER_SPAN}-{flags}"


def request_span(spans, **headers):
    Client().get("/api/v1/shop/orders/", **headers)
    [span] = server_spans(spans.get_finished_spans())
    return span


def ids(context) -> tuple[str, str]:
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


@pytest.mark.parametrize("flags", ["00", "01"])
def test_a_callers_trace_context_starts_a_new_trace_linked_to_it(settings, spans, flags):
    settings.TRACE_CONTEXT_TRUSTED_SENDERS = [INTERNAL]

    span = request_span(spans, HTTP_TRACEPARENT=traceparent(flags), REMOTE_ADDR="198.51.100.7")

    assert ids(span.context)[0] != CALLER_TRACE and span.parent is None  # exported although "00"
    [link] = span.links
    assert ids(link.context) == (CALLER_TRACE, CALLER_SPAN)
    assert dict(link.attributes) == {A.LINK_KIND: A.LINK_KIND_CALLER}


def test_a_trusted_sender_continues_its_trace(settings, spans):
    settings.TRACE_CONTEXT_TRUSTED_SENDERS = ["10.0.0.0/8"]

    span = request_span(spans, HTTP_TRACEPARENT=traceparent("01"), REMOTE_ADDR=INTERNAL)

    assert ids(span.context)[0] == CALLER_TRACE
    assert ids(span.parent) == (CALLER_TRACE, CALLER_SPAN)
    assert list(span.links) == []


def test_claiming_an_internal_address_does_not_make_a_caller_trusted(settings, spans):
    settings.TRACE_CONTEXT_TRUSTED_SENDERS = ["10.0.0.0/8"]
    settings.TRUSTED_PROXIES = []

    span = request_span(spans, HTTP_TRACEPARENT=traceparent("01"), REMOTE_ADDR="198.51.100.7",
                        HTTP_X_REAL_IP=INTERNAL)

    assert ids(span.context)[0] != CALLER_TRACE


def test_a_callers_trace_state_and_baggage_are_dropped(spans):
    span = request_span(spans, HTTP_TRACEPARENT=traceparent("01"), HTTP_TRACESTATE="vendor=jane.roe",
                        HTTP_BAGGAGE="user=jane.roe@example.org")

    [link] = span.links
    assert not link.context.trace_state
    assert not [text for text in everything_said(span) if "jane" in text]


def test_a_request_without_trace_context_has_no_link(spans):
    assert list(request_span(spans).links) == []
