"""Signal hooks: order transitions, refusals, failed publishes and Celery messages become span
events and attributes.

Connected once from ``TracingConfig.ready()``, after the Celery instrumentation, so
that its producer/consumer span is the current span when these run.
"""

import functools

from celery import signals as celery_signals

from jewelry.api import request_refused
from jewelry.contracts import CONTRACTS
from jewelry.lifecycle import order_status_changed
from jewelry.messaging import destination_name
from jewelry.trace_context import publish_failed
from tracing import attributes as A
from tracing import logs, record
from tracing.spans import MAX_ERROR_MESSAGE, error_code, recording_span

RABBITMQ = "rabbitmq"
# Task arguments that name the order and its people by id; nothing else of a payload is recorded.
_ORDER_ARGUMENTS = {
    "order_id": A.ORDER_ID,
    "customer_id": A.ORDER_CUSTOMER_ID,
    "seller_id": A.ORDER_SELLER_ID,
    "operator_id": A.ORDER_OPERATOR_ID,
}


def on_order_status_changed(sender, transition, **kwargs):
    record.transition(transition)


def on_request_refused(sender, code, message, **kwargs):
    record.refusal(code=code, message=message)


def on_publish_failed(sender, exception, **kwargs):
    """The producer span a failed publish left open is current: it fails, and the error is counted."""
    record.error(code=error_code(exception), message=str(exception)[:MAX_ERROR_MESSAGE], system="messaging",
                 exception=exception)


@functools.lru_cache(maxsize=256)
def _messaging_attributes(task_name: str, operation: str, exchange: str, routing_key: str) -> dict:
    """The messaging attributes of one route and operation: made once, shared (never change the dict).

    The message id is not here: the Celery instrumentation puts it on both spans itself.
    Bounded: the topology has a few routes; a cache miss only costs the making.
    """
    contract = CONTRACTS.get(task_name)
    route = contract.route if contract else None
    exchange = exchange or (route.exchange if route else "")
    routing_key = routing_key or (route.routing_key if route else "")
    attributes = {
        A.MESSAGING_SYSTEM: RABBITMQ,
        A.MESSAGING_OPERATION_TYPE: operation,
        A.MESSAGING_OPERATION_NAME: "publish" if operation == "send" else "process",
        A.MESSAGING_DESTINATION_NAME: destination_name(exchange, routing_key),
        A.MESSAGING_ROUTING_KEY: routing_key,
    }
    if route is not None:
        attributes[A.MESSAGING_CONSUMER_GROUP] = route.queue
    return attributes


def _with_order(attributes: dict, task_kwargs) -> dict:
    """``attributes`` and the order and people ids among a task's arguments, as a new dict."""
    if not isinstance(task_kwargs, dict):
        return attributes
    found = {name: task_kwargs[argument] for argument, name in _ORDER_ARGUMENTS.items()
             if isinstance(task_kwargs.get(argument), int)}
    return {**attributes, **found} if found else attributes


def on_before_task_publish(sender=None, headers=None, body=None, exchange=None, routing_key=None, **kwargs):
    span = recording_span()  # the instrumentation's apply_async/<task> PRODUCER span
    if span is None or not headers:
        return
    attributes = _messaging_attributes(headers.get("task", sender), "send", exchange or "", routing_key or "")
    # One call: the SDK takes the span's lock once, not per attribute.
    span.set_attributes(_with_order(attributes, body[1] if isinstance(body, tuple | list) and len(body) > 1
                                    else None))


def on_task_prerun(sender=None, task_id=None, task=None, kwargs=None, **extra):
    span = recording_span()  # the instrumentation's run/<task> CONSUMER span
    if span is None or task is None:
        return
    delivery_info = getattr(task.request, "delivery_info", None) or {}
    attributes = _messaging_attributes(task.name, "process", delivery_info.get("exchange") or "",
                                       delivery_info.get("routing_key") or "")
    span.set_attributes(_with_order(attributes, kwargs))


def on_task_failure(sender=None, exception=None, **kwargs):
    """The instrumentation records the exception event and status; we add the domain code and count it."""
    if exception is not None and sender is not None:
        record.failure(exception, system=sender.name.split(".", 1)[0])


def on_task_retry(sender=None, reason=None, **kwargs):
    span = recording_span()
    if span is not None:
        span.add_event(A.EVENT_TASK_RETRY, {A.ERROR_TYPE: error_code(reason) if reason else "retry"})


def on_after_setup_logger(logger=None, format=None, colorize=None, **kwargs):
    from celery.utils.log import ColorFormatter

    logs.add_trace_ids(logger, ColorFormatter(format + logs.FORMAT_SUFFIX, use_color=colorize))


def on_after_setup_task_logger(logger=None, format=None, colorize=None, **kwargs):
    from celery.app.log import TaskFormatter

    logs.add_trace_ids(logger, TaskFormatter(format + logs.FORMAT_SUFFIX, use_color=colorize))


def connect() -> None:
    order_status_changed.connect(on_order_status_changed, dispatch_uid="tracing.transition")
    request_refused.connect(on_request_refused, dispatch_uid="tracing.refusal")
    publish_failed.connect(on_publish_failed, dispatch_uid="tracing.publish_failed")
    celery_signals.before_task_publish.connect(on_before_task_publish, dispatch_uid="tracing.publish")
    celery_signals.task_prerun.connect(on_task_prerun, dispatch_uid="tracing.prerun")
    celery_signals.task_failure.connect(on_task_failure, dispatch_uid="tracing.failure")
    celery_signals.task_retry.connect(on_task_retry, dispatch_uid="tracing.retry")
    celery_signals.after_setup_logger.connect(on_after_setup_logger, dispatch_uid="tracing.logger")
    celery_signals.after_setup_task_logger.connect(on_after_setup_task_logger,
                                                   dispatch_uid="tracing.task_logger")
    celery_signals.worker_process_init.connect(_after_fork, dispatch_uid="tracing.fork", weak=False)
    celery_signals.worker_process_shutdown.connect(_flush, dispatch_uid="tracing.flush", weak=False)


def _after_fork(**kwargs):
    from tracing import setup

    setup.after_fork()


def _flush(**kwargs):
    # A prefork child leaves with os._exit (no atexit): what it queued goes now or never.
    from tracing import setup

    setup.flush()
