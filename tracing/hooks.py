"""Signal hooks: order transitions and Celery messages become span events and attributes.

Connected once from ``TracingConfig.ready()``, after the Celery instrumentation, so
that its producer/consumer span is the current span when these run.
"""

from celery import signals as celery_signals

from jewelry.errors import DomainError
from jewelry.messaging import ROUTES
from shop.signals import order_status_changed
from tracing import attributes as A
from tracing.spans import _recording_span, record_error

RABBITMQ = "rabbitmq"


def on_order_status_changed(sender, order, change, previous_status, **kwargs):
    span = _recording_span()
    if span is None:
        return
    span.set_attribute(A.ORDER_ID, order.pk)
    span.set_attribute(A.ORDER_PREVIOUS_STATUS, previous_status)
    span.set_attribute(A.ORDER_STATUS, change.to_status)
    span.set_attribute(A.SYSTEM, change.system)
    event = {
        A.ORDER_ID: order.pk,
        A.ORDER_PREVIOUS_STATUS: previous_status,
        A.ORDER_STATUS: change.to_status,
        A.SYSTEM: change.system,
        A.EVENT_TRANSITION_AT: change.at.isoformat(),
        A.USER_ROLES: [change.actor_role],
    }
    if change.actor_id is not None:
        event[A.USER_ID] = change.actor_id
    span.add_event(A.EVENT_TRANSITION, event)


def _messaging_attributes(span, task_name: str, message_id: str | None, operation: str,
                          delivery_info: dict | None = None) -> None:
    route = ROUTES.get(task_name)
    exchange = (delivery_info or {}).get("exchange") or (route.exchange if route else "")
    routing_key = (delivery_info or {}).get("routing_key") or (route.routing_key if route else "")
    span.set_attribute(A.MESSAGING_SYSTEM, RABBITMQ)
    span.set_attribute(A.MESSAGING_OPERATION_TYPE, operation)
    span.set_attribute(A.MESSAGING_OPERATION_NAME, "publish" if operation == "send" else "process")
    span.set_attribute(A.MESSAGING_DESTINATION_NAME, f"{exchange}:{routing_key}" if exchange else routing_key)
    span.set_attribute(A.MESSAGING_ROUTING_KEY, routing_key)
    if route is not None:
        span.set_attribute(A.MESSAGING_CONSUMER_GROUP, route.queue)
    if message_id:
        span.set_attribute(A.MESSAGING_MESSAGE_ID, message_id)


def on_before_task_publish(sender=None, headers=None, body=None, exchange=None, routing_key=None, **kwargs):
    span = _recording_span()  # the instrumentation's apply_async/<task> PRODUCER span
    if span is None or not headers:
        return
    _messaging_attributes(span, headers.get("task", sender), headers.get("id"), "send",
                          {"exchange": exchange, "routing_key": routing_key})
    task_kwargs = body[1] if isinstance(body, tuple | list) and len(body) > 1 else {}
    if isinstance(task_kwargs, dict) and "order_id" in task_kwargs:
        span.set_attribute(A.ORDER_ID, task_kwargs["order_id"])


def on_task_prerun(sender=None, task_id=None, task=None, kwargs=None, **extra):
    span = _recording_span()  # the instrumentation's run/<task> CONSUMER span
    if span is None or task is None:
        return
    request = task.request
    _messaging_attributes(span, task.name, task_id, "process", getattr(request, "delivery_info", None))
    if getattr(request, "retries", 0):
        span.set_attribute("celery.retries", request.retries)
    if kwargs and "order_id" in kwargs:
        span.set_attribute(A.ORDER_ID, kwargs["order_id"])


def on_task_failure(sender=None, exception=None, **kwargs):
    if exception is None:
        return
    code = exception.code if isinstance(exception, DomainError) else type(exception).__name__
    record_error(code=code, message=str(exception)[:500])


def on_task_retry(sender=None, reason=None, **kwargs):
    span = _recording_span()
    if span is not None:
        span.add_event("celery.retry", {A.ERROR_TYPE: type(reason).__name__ if reason else "retry"})


def connect() -> None:
    order_status_changed.connect(on_order_status_changed, dispatch_uid="tracing.transition")
    celery_signals.before_task_publish.connect(on_before_task_publish, dispatch_uid="tracing.publish")
    celery_signals.task_prerun.connect(on_task_prerun, dispatch_uid="tracing.prerun")
    celery_signals.task_failure.connect(on_task_failure, dispatch_uid="tracing.failure")
    celery_signals.task_retry.connect(on_task_retry, dispatch_uid="tracing.retry")
    celery_signals.worker_process_init.connect(_after_fork, dispatch_uid="tracing.fork", weak=False)
    celery_signals.worker_process_shutdown.connect(_flush, dispatch_uid="tracing.flush", weak=False)


def _after_fork(**kwargs):
    from tracing import setup

    setup.after_fork()


def _flush(**kwargs):
    from tracing import setup

    setup.flush()
