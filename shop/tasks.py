"""Shop consumers (queue ``shop.events``): MES results and progress, applied idempotently."""

from datetime import datetime
from decimal import Decimal

from celery import shared_task
from django.conf import settings

from jewelry import outbox
from jewelry.messaging import RETRY
from shop import services, stuck_orders
from shop.models import ShopOutbox


@shared_task(name="shop.record_price", **RETRY)
def record_price(*, order_id: int, price: str, submission: int | None = None):
    services.record_price(order_id=order_id, price=Decimal(price), submission=submission)


@shared_task(name="shop.record_pricing_failure", **RETRY)
def record_pricing_failure(*, order_id: int, error_code: str, error_message: str, submission: int | None = None):
    services.record_pricing_failure(order_id=order_id, error_code=error_code, error_message=error_message,
                                    submission=submission)


@shared_task(name="shop.record_manufacturing_progress", **RETRY)
def record_manufacturing_progress(*, order_id: int, status: str, operator_id: int):
    services.record_manufacturing_progress(order_id=order_id, status=status, operator_id=operator_id)


@shared_task(name="shop.resend_request", **RETRY)
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
