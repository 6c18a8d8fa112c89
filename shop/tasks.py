"""Shop consumers (queue ``shop.events``): MES results and progress, applied idempotently."""

from datetime import datetime
from decimal import Decimal
from functools import wraps

from celery import current_task, shared_task
from django.conf import settings

from jewelry import outbox
from jewelry.messaging import RETRY
from shop import events, services, stuck_orders
from shop.models import ShopOutbox


def logged_on_receipt(consumer):
    """Log each delivery of MES's message on its order (``shop.events``), then apply it.

    The receipt is its own fact, committed before the consumer runs: a delivery that fails
    and is retried shows as one receipt per attempt. The message id is the Celery task id,
    which is MES's outbox row id, so a redelivered message shows under the same id.
    """

    @wraps(consumer)
    def receive(**message):
        request = current_task.request  # a direct call (no broker) has no id: logged without one
        events.record_message_received(
            order_id=message["order_id"], task_name=current_task.name, message_id=str(request.id or ""),
            attempt=request.retries or 0, redelivered=bool((request.delivery_info or {}).get("redelivered")))
        return consumer(**message)

    return receive


@shared_task(name="shop.record_price", **RETRY)
@logged_on_receipt
def record_price(*, order_id: int, price: str, submission: int | None = None):
    services.record_price(order_id=order_id, price=Decimal(price), submission=submission)


@shared_task(name="shop.record_pricing_failure", **RETRY)
@logged_on_receipt
def record_pricing_failure(*, order_id: int, error_code: str, error_message: str, submission: int | None = None):
    services.record_pricing_failure(order_id=order_id, error_code=error_code, error_message=error_message,
                                    submission=submission)


@shared_task(name="shop.record_manufacturing_progress", **RETRY)
@logged_on_receipt
def record_manufacturing_progress(*, order_id: int, status: str, operator_id: int):
    services.record_manufacturing_progress(order_id=order_id, status=status, operator_id=operator_id)


@shared_task(name="shop.resend_request", **RETRY)
@logged_on_receipt
def resend_request(*, order_id: int, task_name: str, cause: str, scanned_at: str):
    stuck_orders.resend_request(order_id=order_id, task_name=task_name, cause=cause,
                                scanned_at=datetime.fromisoformat(scanned_at))


@shared_task(name="shop.relay_outbox")
def relay_outbox():
    return outbox.relay_pending(ShopOutbox, older_than_seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)


@shared_task(name="shop.detect_stuck_orders")
def detect_stuck_orders():
    scan = stuck_orders.detect_stuck_orders()
    return {"stuck": scan.stuck_by_status, "redispatched": len(scan.redispatched)}
