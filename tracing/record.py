"""What the domain records about an order, one call per fact: on the span and in the metrics together.

A transition, an error, a refusal, a re-dispatch, a model received or measured: each
has one function here, so "where is X recorded" has one answer. The span half lives in
``tracing.spans``, the metric half in ``tracing.metrics``. Beside these facts the domain
apps only put an order or job on the current span, read its trace id or open a span
around a batch (``tracing.spans``), and report the stuck-order gauge (``tracing.metrics``).
"""

import logging

from opentelemetry.trace import Status, StatusCode

from jewelry.lifecycle import OrderStatus, Transition
from tracing import attributes as A
from tracing import metrics
from tracing.spans import MAX_ERROR_MESSAGE, error_code, people, recording_span

log = logging.getLogger(__name__)


def transition(moved: Transition) -> None:
    """A status move (any system's): attributes and one event at its recorded time, counted on commit."""
    stage_seconds = order_seconds = None
    if moved.previous_status_changed_at is not None:
        stage_seconds = max((moved.at - moved.previous_status_changed_at).total_seconds(), 0.0)
    if moved.to_status == OrderStatus.CLOSED and moved.order_created_at is not None:
        order_seconds = max((moved.at - moved.order_created_at).total_seconds(), 0.0)
    span = recording_span()
    if span is not None:
        previous_status, status = str(moved.from_status), str(moved.to_status)
        span.set_attributes({  # one call: the SDK takes the span's lock once, not per attribute
            A.ORDER_ID: moved.order_id, A.ORDER_PREVIOUS_STATUS: previous_status, A.ORDER_STATUS: status,
            A.SYSTEM: moved.system,
            **people(customer_id=moved.customer_id, seller_id=moved.seller_id, operator_id=moved.operator_id),
        })
        event = {
            A.ORDER_ID: moved.order_id,
            A.ORDER_PREVIOUS_STATUS: previous_status,
            A.ORDER_STATUS: status,
            A.SYSTEM: moved.system,
            A.TRANSITION_RECORD: moved.record,
            A.EVENT_TRANSITION_AT: moved.at.isoformat(),
            A.USER_ROLES: [str(moved.actor_role)],
        }
        if moved.actor_id is not None:
            event[A.USER_ID] = moved.actor_id
        if stage_seconds is not None:
            event[A.TRANSITION_STAGE_SECONDS] = stage_seconds
        if order_seconds is not None:
            event[A.TRANSITION_ORDER_SECONDS] = order_seconds
        # The event's own time is the transition's recorded time, to the nanosecond.
        span.add_event(A.EVENT_TRANSITION, event, timestamp=int(moved.at.timestamp() * 1e9))
    metrics.count_transition_on_commit(
        database=moved.database, previous_status=str(moved.from_status), status=str(moved.to_status),
        record=moved.record, stage_seconds=stage_seconds, order_seconds=order_seconds)


def error(*, code: str, message: str, system: str, exception: BaseException | None = None) -> None:
    """A failure while processing an order: the span fails with ``error.type`` = ``code``; one error counted.

    ``message`` is built by our code from codes and field names, never from a caller's values.
    """
    span = recording_span()
    if span is not None:
        span.set_attribute(A.ERROR_TYPE, code)
        span.set_attribute(A.ERROR_MESSAGE, message)
        if exception is not None:
            span.record_exception(exception)
        span.set_status(Status(StatusCode.ERROR, message))
    metrics.count_error(code=code, system=system)


def failure_reported(*, code: str, message: str) -> None:
    """Another system's failure, reported to this one: the span fails too; its own system counted it."""
    span = recording_span()
    if span is not None:
        span.set_attribute(A.ERROR_TYPE, code)
        span.set_attribute(A.ERROR_MESSAGE, message)
        span.set_status(Status(StatusCode.ERROR, message))


def failure(exception: BaseException, *, system: str) -> None:
    """A raised exception (crash or failed task) the instrumentation already records as an event."""
    error(code=error_code(exception), message=str(exception)[:MAX_ERROR_MESSAGE], system=system)


def refusal(*, code: str, message: str) -> None:
    """A 4xx answer: the caller's request was refused, nothing failed. The span status stays unset."""
    span = recording_span()
    if span is not None:
        span.set_attribute(A.REFUSAL_CODE, code)
        span.set_attribute(A.REFUSAL_MESSAGE, message)


def redispatch(*, status: str, cause: str, messages: list[tuple[str, str]]) -> None:
    """The stuck-order detector sent an order's lost messages again: an event per message, one count.

    ``messages`` are (message id, ``messaging.destination.name``) pairs.
    """
    span = recording_span()
    if span is not None:
        for message_id, destination in messages:
            span.add_event(A.EVENT_REDISPATCHED, {
                A.REDISPATCH_CAUSE: cause,
                A.MESSAGING_MESSAGE_ID: message_id,
                A.MESSAGING_DESTINATION_NAME: destination,
            })
    metrics.count_redispatch(status=status, cause=cause)


def stale_message_ignored(*, order_id: int, message: str, submission: int, current_submission: int | None) -> None:
    """A pricing message about an older submission of the order arrived late or twice: ignored, not a failure."""
    log.info("Order %s: ignored %s about submission %s; the order is at submission %s.",
             order_id, message, submission, current_submission)
    span = recording_span()
    if span is not None:
        span.add_event(A.EVENT_STALE_MESSAGE_IGNORED, {
            A.ORDER_ID: order_id, A.PRICING_SUBMISSION: submission,
            A.PRICING_CURRENT_SUBMISSION: -1 if current_submission is None else current_submission,
        })


def model_received(*, file_format: str, size: int, sha256: str) -> None:
    """A customer's 3D model arrived: what it is, never what it holds nor what the customer named it."""
    span = recording_span()
    if span is None:
        return
    span.set_attribute(A.MODEL_FORMAT, file_format)
    span.set_attribute(A.MODEL_SIZE, size)
    span.set_attribute(A.MODEL_SHA256, sha256)


def model_measured(geometry, *, price=None) -> None:
    """MES measured the model (and priced it): the geometry the price came from."""
    span = recording_span()
    if span is None:
        return
    measured = {
        A.MODEL_VOLUME: geometry.volume_mm3,
        A.MODEL_SURFACE_AREA: geometry.surface_area_mm2,
        A.MODEL_TRIANGLE_COUNT: geometry.triangle_count,
        A.MODEL_BBOX: [float(v) for v in geometry.bbox_mm],
        A.MODEL_WATERTIGHT: geometry.is_watertight,
    }
    if price is not None:
        measured[A.ORDER_PRICE] = str(price)
    span.set_attributes(measured)
