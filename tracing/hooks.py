"""Signal hooks: order transitions and Celery messages become span events and attributes.

Connected once from ``TracingConfig.ready()``, after the Celery instrumentation, so
that its producer/consumer span is the current span when these run.
"""

from celery import signals as celery_signals

from jewelry.lifecycle import order_status_changed
from jewelry.messaging import ROUTES, destination_name
from tracing import attributes as A
from tracing import logs, record
from tracing.spans import error_code, recording_span

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


def _messaging_attributes(span, task_name: str, message_id: str | None, operation: str,
                          delivery_info: dict | None = None) -> None:
    route = ROUTES.get(task_name)
    exchange = (delivery_info or {}).get("exchange") or (route.exchange if route else "")
    routing_key = (delivery_info or {}).get("routing_key") or (route.routing_key if route else "")
    span.set_attribute(A.MESSAGING_SYSTEM, RABBITMQ)
    span.set_attribute(A.MESSAGING_OPERATION_TYPE, operation)
    span.set_attribute(A.MESSAGING_OPERATION_NAME, "publish" if operation == "send" else "process")
    span.set_attribute(A.MESSAGING_DESTINATION_NAME, destination_name(exchange, routing_key))
    span.set_attribute(A.MESSAGING_ROUTING_KEY, routing_key)
    if route is not None:
        span.set_attribute(A.MESSAGING_CONSUMER_GROUP, route.queue)
    if message_id:
        span.set_attribute(A.MESSAGING_MESSAGE_ID, message_id)


def _order_attributes(span, task_kwargs) -> None:
    if not isinstance(task_kwargs, dict):
        return
    for argument, name in _ORDER_ARGUMENTS.items():
        if isinstance(task_kwargs.get(argument), int):
            span.set_attribute(name, task_kwargs[argument])


def on_before_task_publish(sender=None, headers=None, body=None, exchange=None, routing_key=None, **kwargs):
    span = recording_span()  # the instrumentation's apply_async/<task> PRODUCER span
    if span is None or not headers:
        return
    _messaging_attributes(span, headers.get("task", sender), headers.get("id"), "send",
                          {"exchange": exchange, "routing_key": routing_key})
    _order_attributes(span, body[1] if isinstance(body, tuple | list) and len(body) > 1 else None)


def on_task_prerun(sender=None, task_id=None, task=None, kwargs=None, **extra):
    span = recording_span()  # the instrumentation's run/<task> CONSUMER span
    if span is None or task is None:
        return
    request = task.request
    _messaging_attributes(span, task.name, task_id, "process", getattr(request, "delivery_info", None))
    _order_attributes(span, kwargs)


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
