"""Shop consumers (queue ``shop.events``): MES results and progress, applied idempotently.

Each handler is named for the message it reacts to (``jewelry.contracts``).
"""

from django.conf import settings

from jewelry import outbox
from jewelry.contracts import (
    DetectStuckOrders,
    ManufacturingProgressed,
    OrderPriced,
    PricingFailed,
    RelayShopOutbox,
    RequestNotReceived,
    consumer,
)
from shop import services, stuck_orders
from shop.models import ShopOutbox


@consumer(OrderPriced)
def on_order_priced(message: OrderPriced):
    services.record_price(order_id=message.order_id, price=message.price, submission=message.submission)


@consumer(PricingFailed)
def on_pricing_failed(message: PricingFailed):
    services.record_pricing_failure(order_id=message.order_id, error_code=message.error_code,
                                    error_message=message.error_message, submission=message.submission)


@consumer(ManufacturingProgressed)
def on_manufacturing_progress(message: ManufacturingProgressed):
    services.record_manufacturing_progress(order_id=message.order_id, status=message.status,
                                           operator_id=message.operator_id)


@consumer(RequestNotReceived)
def on_request_not_received(message: RequestNotReceived):
    stuck_orders.resend_request(order_id=message.order_id, task_name=message.task_name, cause=message.cause,
                                scanned_at=message.scanned_at)


@consumer(RelayShopOutbox)
def relay_outbox(message: RelayShopOutbox):
    return outbox.relay_pending(ShopOutbox, older_than_seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)


@consumer(DetectStuckOrders)
def detect_stuck_orders(message: DetectStuckOrders):
    scan = stuck_orders.detect_stuck_orders()
    return {"stuck": scan.stuck_by_status, "redispatched": len(scan.redispatched)}
