"""MES consumers (``mes.orders``, ``mes.pricing``): thin wrappers of ``mes.services``, safe to redeliver.

Each handler is named for the message it reacts to (``jewelry.contracts``).
"""

from functools import partial

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings

from jewelry import outbox
from jewelry.contracts import (
    CheckStuckOrders,
    ManufacturingApproved,
    OrderCancelled,
    PriceRequested,
    RelayMesOutbox,
    consumer,
)
from jewelry.messaging import TRANSIENT_ERRORS, retry_backoff
from mes import services, stuck_orders
from mes.models import MesOutbox


class PricingTask(Task):
    # Killed at the hard time limit, the message goes back to the queue instead of being
    # acknowledged: its next delivery is a no-op once the refusal below is recorded.
    acks_on_timeout = False

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """A hard time limit killed the pool process: the worker itself records the refusal.

        Celery calls this in the worker's main process. If recording fails too, the next
        delivery of the requeued message counts the dead run towards ``PRICING_CRASH_LIMIT``.
        """
        if isinstance(exc, TimeLimitExceeded) and "order_id" in kwargs:
            services.give_up_pricing(order_id=kwargs["order_id"], code="model_too_complex",
                                     reason=services.PRICING_TOO_SLOW, exception=exc,
                                     submission=kwargs.get("submission"))


@consumer(PriceRequested, bind=True, base=PricingTask)
def on_price_requested(self, message: PriceRequested):
    """Transient failures retry with backoff; whatever cannot be priced ends as an error on the order.

    The messages recorded are ours; the exception goes on the span for developers only.
    """
    order_id, submission = message.order_id, message.submission
    give_up = partial(services.give_up_pricing, order_id=order_id, submission=submission)
    try:
        services.price_job(order_id=order_id, customer_id=message.customer_id, metal=message.metal,
                           model_key=message.model_key, model_format=message.model_format,
                           submission=submission)
    except SoftTimeLimitExceeded as exc:
        give_up(code="model_too_complex", reason=services.PRICING_TOO_SLOW, exception=exc)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            give_up(code="pricing_unavailable",
                    reason="Pricing could not reach storage or its database; "
                           "it was retried and has been recorded.", exception=exc)
            return
        raise self.retry(exc=exc, countdown=retry_backoff(self.request.retries))
    except Exception as exc:
        # A bug or an input nobody foresaw fails the same way on every retry:
        # record it where CRM and MES see it instead of dropping the order.
        give_up(code="pricing_failed", reason="Pricing failed on our side; the error has been recorded.",
                exception=exc)
        raise


@consumer(ManufacturingApproved)
def on_manufacturing_approved(message: ManufacturingApproved):
    services.release_job(order_id=message.order_id, seller_id=message.seller_id)


@consumer(OrderCancelled)
def on_order_cancelled(message: OrderCancelled):
    services.cancel_job(order_id=message.order_id, seller_id=message.seller_id,
                        customer_id=message.customer_id)


@consumer(RelayMesOutbox)
def relay_outbox(message: RelayMesOutbox):
    return outbox.relay_pending(MesOutbox, older_than_seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)


@consumer(CheckStuckOrders)
def check_stuck_orders(message: CheckStuckOrders):
    found = stuck_orders.check_stuck_orders(stuck=message.stuck, complete=message.complete,
                                            scanned_at=message.scanned_at)
    return {"redispatched": len(found)}
