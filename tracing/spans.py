"""The current span and the order facts on it: the span half of what ``tracing.record`` records.

Every helper returns at once when the current span is not recording (tracing off or
the trace not sampled), so the hot paths pay one attribute lookup.
"""

from contextlib import contextmanager

from django.conf import settings
from opentelemetry import trace

from jewelry.errors import DomainError
from tracing import attributes as A

MAX_ERROR_MESSAGE = 500


def recording_span():
    """The current span if our tracing is on and it is recording, else None."""
    if not settings.TRACING_ENABLED:
        return None  # our tracing is off: annotate nothing, not even an outside agent's spans
    span = trace.get_current_span()
    return span if span.is_recording() else None


def current_trace_id() -> str:
    """The current trace id as 32 hex digits, or "" when there is no trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def annotate_order(order=None, *, order_id: int | None = None) -> None:
    span = recording_span()
    if span is None:
        return
    if order is None:
        span.set_attribute(A.ORDER_ID, order_id)
        return
    span.set_attributes({A.ORDER_ID: order.pk, A.ORDER_STATUS: str(order.status),
                         **people(customer_id=order.customer_id, seller_id=order.seller_id,
                                  operator_id=order.operator_id)})


def annotate_job(job) -> None:
    """MES's view of an order: its stage as ``order.status`` and the assigned operator."""
    span = recording_span()
    if span is None:
        return
    span.set_attributes({A.ORDER_ID: job.order_id, A.ORDER_STATUS: str(job.stage),
                         **people(customer_id=job.customer_id, operator_id=job.assignee_id)})


def people(*, customer_id=None, seller_id=None, operator_id=None) -> dict:
    """The people linked to the order, by id (never names or addresses), as span attributes."""
    found = {}
    if customer_id is not None:
        found[A.ORDER_CUSTOMER_ID] = customer_id
    if seller_id is not None:
        found[A.ORDER_SELLER_ID] = seller_id
    if operator_id is not None:
        found[A.ORDER_OPERATOR_ID] = operator_id
    return found


@contextmanager
def order_span(name: str, order=None, *, attributes: dict | None = None):
    """A span of our own around work on one order (or a batch of them), as the current span.

    ``attributes`` keys come from ``tracing.attributes``; ``order`` adds its id, status and users.
    """
    with trace.get_tracer("alexandrite").start_as_current_span(name) as span:
        if order is not None:
            annotate_order(order)
        for key, value in (attributes or {}).items():
            span.set_attribute(key, value)
        yield span


def error_code(exception: BaseException) -> str:
    """What goes in ``error.type``: a domain error's code, else the exception's class name."""
    return exception.code if isinstance(exception, DomainError) else type(exception).__name__
