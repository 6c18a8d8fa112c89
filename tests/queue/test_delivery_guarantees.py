"""Publish after commit, never before: rolled-back changes stay silent, committed ones always go out."""

import pytest
from django.db import transaction

from jewelry import outbox
from jewelry.messaging import MES_QUEUE
from shop.lifecycle import OrderStatus as S
from shop.models import Order, ShopOutbox
from shop.tasks import relay_outbox
from tests.factories import cube_stl
from tests.flows import submitted_order
from tests.processes import celery_worker, process_env, publishing_to, queue_depth, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"


class ChangeFailed(Exception):
    pass


def enqueue_price_request(order_id: int):
    return outbox.enqueue(ShopOutbox, task_name="mes.price_order", order_id=order_id,
                          payload={"order_id": order_id, "customer_id": 1, "metal": "gold_18k",
                                   "model_key": f"models/1/{order_id}/ring.stl"})


def test_message_written_in_a_rolled_back_transaction_is_never_published(broker):
    with pytest.raises(ChangeFailed), transaction.atomic():
        enqueue_price_request(order_id=41)
        raise ChangeFailed("the change the message announces fails after the message was written")

    assert not ShopOutbox.objects.exists()
    assert queue_depth(MES_QUEUE) == 0
    # The same write, committed, is on the queue at once (publisher confirms):
    # the empty queue above is a real "nothing was sent".
    with transaction.atomic():
        enqueue_price_request(order_id=42)
    assert queue_depth(MES_QUEUE) == 1


def test_order_submitted_while_the_broker_is_down_is_priced_after_the_relay(api, customer, broker):
    with publishing_to(UNREACHABLE_BROKER):
        order_id = submitted_order(api(customer), cube_stl(10))  # asserts 202 Accepted

    message = ShopOutbox.objects.get(order_id=order_id, task_name="mes.price_order")
    assert (message.sent_at, message.attempts) == (None, 1)
    assert message.last_error
    assert Order.objects.get(pk=order_id).status == S.SUBMITTED
    assert queue_depth(MES_QUEUE) == 0

    # The broker is back: the periodic relay finds the row and a worker prices the order.
    with celery_worker(env=process_env(OUTBOX_RELAY_GRACE_SECONDS=0)) as worker:
        relay_outbox.delay()
        order = wait_until(lambda: Order.objects.filter(pk=order_id, status=S.PRICE_CALCULATED).first(),
                           message=lambda: f"the relayed order to be priced; worker log:\n{worker.log()}")

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert str(order.price) == "1081.00"
