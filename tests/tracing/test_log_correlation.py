"""Log lines carry the trace and span ids of the work that wrote them, in web processes and in
Celery workers (which replace Django's logging with their own)."""

import io
import logging

import pytest
from opentelemetry import trace

from jewelry.contracts import PriceRequested
from tests.tracing.helpers import server_spans, trace_id
from tracing import hooks
from tracing.logs import TraceIdFilter


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []
        self.addFilter(TraceIdFilter())

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def django_request_log():
    handler, logger = Collect(), logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_log_line_inside_a_span_carries_its_trace_and_span_ids():
    handler = Collect()
    with trace.get_tracer("tests.tracing").start_as_current_span("order.check") as span:
        handler.handle(logging.LogRecord("shop", logging.INFO, __file__, 1, "checked", None, None))
    handler.handle(logging.LogRecord("shop", logging.INFO, __file__, 2, "outside", None, None))

    inside, outside = handler.records
    assert (inside.otelTraceID, inside.otelSpanID) == (
        format(span.get_span_context().trace_id, "032x"), format(span.get_span_context().span_id, "016x"))
    assert (outside.otelTraceID, outside.otelSpanID) == ("0", "0")


@pytest.mark.django_db
def test_refused_request_log_line_carries_the_trace_of_the_request(api, customer, spans, django_request_log):
    response = api(customer).get("/api/v1/shop/orders/987654/")

    [span] = server_spans(spans.get_finished_spans())
    [record] = django_request_log  # Django writes "Not Found: ..." after the span has ended
    assert response.status_code == 404
    assert (record.otelTraceID, record.otelSpanID) == (trace_id(span), format(span.context.span_id, "016x"))


def test_celery_worker_log_lines_get_the_trace_ids_appended():
    stream, logger = io.StringIO(), logging.getLogger("tests.tracing.celery-worker")
    logger.addHandler(logging.StreamHandler(stream))
    logger.propagate = False

    hooks.on_after_setup_logger(logger=logger, format="%(levelname)s %(message)s", colorize=False)
    with trace.get_tracer("tests.tracing").start_as_current_span(f"run/{PriceRequested.name}") as span:
        logger.warning("pricing order 7")

    context = span.get_span_context()
    assert stream.getvalue().strip() == (
        f"WARNING pricing order 7 [trace_id={context.trace_id:032x} span_id={context.span_id:016x}]")
