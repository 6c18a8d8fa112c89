"""What the domain apps may say to tracing: put order, model and error facts on the current span.

Every helper returns at once when the current span is not recording (tracing off or
the trace not sampled), so the hot paths pay one attribute lookup.
"""

from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from tracing import attributes as A


def _recording_span():
    span = trace.get_current_span()
    return span if span.is_recording() else None


def current_trace_id() -> str:
    """The current trace id as 32 hex digits, or "" when there is no trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def annotate_order(order=None, *, order_id: int | None = None) -> None:
    span = _recording_span()
    if span is None:
        return
    if order is None:
        span.set_attribute(A.ORDER_ID, order_id)
        return
    span.set_attribute(A.ORDER_ID, order.pk)
    span.set_attribute(A.ORDER_STATUS, order.status)
    if order.customer_id is not None:
        span.set_attribute(A.ORDER_CUSTOMER_ID, order.customer_id)
    if order.seller_id is not None:
        span.set_attribute(A.ORDER_SELLER_ID, order.seller_id)
    if order.operator_id is not None:
        span.set_attribute(A.ORDER_OPERATOR_ID, order.operator_id)


def annotate_job(job) -> None:
    """MES's view of an order: its stage as ``order.status`` and the assigned operator."""
    span = _recording_span()
    if span is None:
        return
    span.set_attribute(A.ORDER_ID, job.order_id)
    span.set_attribute(A.ORDER_STATUS, job.stage)
    span.set_attribute(A.ORDER_CUSTOMER_ID, job.customer_id)
    if job.assignee_id is not None:
        span.set_attribute(A.ORDER_OPERATOR_ID, job.assignee_id)


def annotate_model(*, file_name: str, file_format: str, size: int, sha256: str) -> None:
    span = _recording_span()
    if span is None:
        return
    span.set_attribute(A.MODEL_FILE_NAME, file_name)
    span.set_attribute(A.MODEL_FORMAT, file_format)
    span.set_attribute(A.MODEL_SIZE, size)
    span.set_attribute(A.MODEL_SHA256, sha256)


def annotate_geometry(geometry, *, price=None) -> None:
    span = _recording_span()
    if span is None:
        return
    span.set_attribute(A.MODEL_VOLUME, geometry.volume_mm3)
    span.set_attribute(A.MODEL_SURFACE_AREA, geometry.surface_area_mm2)
    span.set_attribute(A.MODEL_TRIANGLE_COUNT, geometry.triangle_count)
    span.set_attribute(A.MODEL_BBOX, [float(v) for v in geometry.bbox_mm])
    span.set_attribute(A.MODEL_WATERTIGHT, geometry.is_watertight)
    if price is not None:
        span.set_attribute(A.ORDER_PRICE, str(price))


def record_error(*, code: str, message: str, exception: BaseException | None = None) -> None:
    """Mark the current span failed with a domain code (``error.type``) and its message."""
    span = _recording_span()
    if span is None:
        return
    span.set_attribute(A.ERROR_TYPE, code)
    span.set_attribute(A.ERROR_MESSAGE, message)
    if exception is not None:
        span.record_exception(exception)
    span.set_status(Status(StatusCode.ERROR, message))


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
