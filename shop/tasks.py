"""Shop consumers (queue ``shop.events``): MES results and progress, applied idempotently.

Each handler is named for the message it reacts to (``jewelry.contracts``); each delivery of
MES's messages is logged on its order first (``logged_on_receipt``).
"""

from functools import wraps

from celery import current_task
from django.conf import settings

from jewelry import outbox
from jewelry.contracts import (
    DetectStuckOrders,
    ManufacturingProgressed,
    Message,
    OrderPriced,
    PricingFailed,
    RelayShopOutbox,
    RequestNotReceived,
    consumer,
)
from jewelry.messaging import TRANSIENT_ERRORS
from shop import events, services, stuck_orders
from shop.models import ShopOutbox


def logged_on_receipt(handler):
    """Log each delivery of MES's message on its order (``shop.events``), then apply it.

    The receipt is its own fact, committed before the handler runs: a delivery that fails
    and is retried shows as one receipt per attempt. The message id is the Celery task id,
    which is MES's outbox row id, so a redelivered message shows under the same id.
    """

    @wraps(handler)
    def receive(message: Message):
        request = current_task.request  # a direct call (no broker) has no id: logged without one
        events.record_message_received(
            order_id=message.order_id, task_name=message.name, message_id=str(request.id or ""),
            attempt=request.retries or 0, redelivered=bool((request.delivery_info or {}).get("redelivered")))
        return handler(message)

    return receive


@consumer(OrderPriced)
@logged_on_receipt
def on_order_priced(message: OrderPriced):
    services.record_price(order_id=message.order_id, price=message.price, submission=message.submission)


@consumer(PricingFailed)
@logged_on_receipt
def on_pricing_failed(message: PricingFailed):
    services.record_pricing_failure(order_id=message.order_id, error_code=message.error_code,
                                    error_message=message.error_message, submission=message.submission)


# A report that overtook the one before it is retried like a transient error, with the same backoff:
# the earlier report is in the queue or in MES's outbox. After the last retry the stuck-order
# detector sends it again (docs/lost-orders.md).
@consumer(ManufacturingProgressed, autoretry_for=(*TRANSIENT_ERRORS, services.EarlierProgressPending))
@logged_on_receipt
def on_manufacturing_progress(message: ManufacturingProgressed):
    services.record_manufacturing_progress(order_id=message.order_id, status=message.status,
                                           operator_id=message.operator_id)


@consumer(RequestNotReceived)
@logged_on_receipt
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
