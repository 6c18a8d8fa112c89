"""What the domain apps may say to tracing: put order, model and error facts on the current span.

Every helper returns at once when the current span is not recording (tracing off or
the trace not sampled), so the hot paths pay one attribute lookup.
"""

from contextlib import contextmanager

from django.conf import settings
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from jewelry.errors import DomainError
from tracing import attributes as A

MAX_ERROR_MESSAGE = 500


def _recording_span():
    if not settings.TRACING_ENABLED:
        return None  # our tracing is off: annotate nothing, not even an outside agent's spans
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
    span.set_attribute(A.ORDER_STATUS, str(order.status))
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
    span.set_attribute(A.ORDER_STATUS, str(job.stage))
    span.set_attribute(A.ORDER_CUSTOMER_ID, job.customer_id)
    if job.assignee_id is not None:
        span.set_attribute(A.ORDER_OPERATOR_ID, job.assignee_id)


def record_transition(*, order_id: int, previous_status: str, status: str, system: str, at,
                      actor_id: int | None, actor_role: str) -> None:
    """A status change on the current span: before/after as attributes, plus one event at its time."""
    span = _recording_span()
    if span is None:
        return
    previous_status, status = str(previous_status), str(status)
    span.set_attribute(A.ORDER_ID, order_id)
    span.set_attribute(A.ORDER_PREVIOUS_STATUS, previous_status)
    span.set_attribute(A.ORDER_STATUS, status)
    span.set_attribute(A.SYSTEM, system)
    event = {
        A.ORDER_ID: order_id,
        A.ORDER_PREVIOUS_STATUS: previous_status,
        A.ORDER_STATUS: status,
        A.SYSTEM: system,
        A.EVENT_TRANSITION_AT: at.isoformat(),
        A.USER_ROLES: [str(actor_role)],
    }
    if actor_id is not None:
        event[A.USER_ID] = actor_id
    # The event's own time is the transition's recorded time, to the nanosecond.
    span.add_event(A.EVENT_TRANSITION, event, timestamp=int(at.timestamp() * 1e9))


def job_moved(job, *, previous_stage: str, actor) -> None:
    """MES moved a job (its mirror of the order's status): annotate it and record the transition."""
    annotate_job(job)
    record_transition(order_id=job.order_id, previous_status=previous_stage, status=job.stage, system="mes",
                      at=job.stage_changed_at, actor_id=actor.user_id, actor_role=actor.role)


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


def error_code(exception: BaseException) -> str:
    """What goes in ``error.type``: a domain error's code, else the exception's class name."""
    return exception.code if isinstance(exception, DomainError) else type(exception).__name__


def record_failure(exception: BaseException) -> None:
    """A raised exception the instrumentation already records as an event: add its code and message."""
    record_error(code=error_code(exception), message=str(exception)[:MAX_ERROR_MESSAGE])
