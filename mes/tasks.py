"""MES consumers (``mes.orders``, ``mes.pricing``): thin wrappers of ``mes.services``, safe to redeliver."""

from datetime import datetime
from functools import partial

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.conf import settings

from jewelry import outbox
from jewelry.messaging import RETRY, TRANSIENT_ERRORS, retry_backoff
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


@shared_task(name="mes.price_order", bind=True, base=PricingTask, max_retries=RETRY["max_retries"])
def price_order(self, *, order_id: int, customer_id: int, metal: str, model_key: str, model_format: str = "",
                submission: int | None = None):
    """Transient failures retry with backoff; whatever cannot be priced ends as an error on the order.

    ``model_format`` is empty, and ``submission`` None, only in requests sent before the message
    carried them. The messages recorded are ours; the exception goes on the span for developers only.
    """
    give_up = partial(services.give_up_pricing, order_id=order_id, submission=submission)
    try:
        services.price_order(order_id=order_id, customer_id=customer_id, metal=metal, model_key=model_key,
                             model_format=model_format, submission=submission)
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


@shared_task(name="mes.approve_manufacturing", **RETRY)
def approve_manufacturing(*, order_id: int, seller_id: int):
    services.approve_manufacturing(order_id=order_id, seller_id=seller_id)


@shared_task(name="mes.relay_outbox")
def relay_outbox():
    return outbox.relay_pending(MesOutbox, older_than_seconds=settings.OUTBOX_RELAY_GRACE_SECONDS)


@shared_task(name="mes.cancel_order", **RETRY)
def cancel_order(*, order_id: int, seller_id: int):
    services.cancel_job(order_id=order_id, seller_id=seller_id)


@shared_task(name="mes.check_stuck_orders")
def check_stuck_orders(*, stuck: list, complete: bool, scanned_at: str):
    found = stuck_orders.check_stuck_orders(stuck=stuck, complete=complete,
                                            scanned_at=datetime.fromisoformat(scanned_at))
    return {"redispatched": len(found)}
