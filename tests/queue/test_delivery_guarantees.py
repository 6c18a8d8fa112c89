"""What goes on the queue and when: after commit only, never for a rollback, later if the broker is down."""

import json

import pytest
from django.db import transaction
from kombu import Connection

from jewelry import outbox
from jewelry.contracts import PriceRequested
from jewelry.lifecycle import OrderStatus as S
from jewelry.messaging import PRICING_QUEUE, QUEUES
from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from shop.models import Order, ShopOutbox
from shop.tasks import relay_outbox
from tests.flows import submitted_order
from tests.processes import broker_url, celery_worker, process_env, publishing_to, queue_depth
from tests.queue.support import price_request_id, wait_for_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"


class ChangeFailed(Exception):
    pass


def enqueue_price_request(order_id: int, priority: int = 0):
    return outbox.enqueue(ShopOutbox, PriceRequested(order_id=order_id, customer_id=1, metal="gold_18k",
                                                     model_key=f"models/1/{order_id}/ring.stl"),
                          priority=priority)


def next_price_request():
    with Connection(broker_url(), connect_timeout=5) as connection:
        queue = next(q for q in QUEUES if q.name == PRICING_QUEUE)(connection.default_channel)
        return queue.get(no_ack=True)


def test_message_written_in_a_rolled_back_transaction_is_never_published(broker):
    with pytest.raises(ChangeFailed), transaction.atomic():
        enqueue_price_request(order_id=41)
        raise ChangeFailed("the change the message announces fails after the message was written")

    assert not ShopOutbox.objects.exists()
    assert queue_depth(PRICING_QUEUE) == 0
    # The same write, committed, is on the queue at once (publisher confirms):
    # the empty queue above is a real "nothing was sent".
    with transaction.atomic():
        enqueue_price_request(order_id=42)
    assert queue_depth(PRICING_QUEUE) == 1


def test_order_submitted_while_the_broker_is_down_is_priced_after_the_relay(api, customer, broker):
    with publishing_to(UNREACHABLE_BROKER):
        order_id = submitted_order(api(customer), cube_stl(10))  # asserts 202 Accepted

    message = ShopOutbox.objects.get(order_id=order_id, task_name=PriceRequested.name)
    assert (message.sent_at, message.attempts) == (None, 1)
    assert message.last_error
    assert Order.objects.get(pk=order_id).status == S.SUBMITTED
    assert queue_depth(PRICING_QUEUE) == 0

    # The broker is back: the periodic relay finds the row and a worker prices the order.
    with celery_worker(env=process_env(OUTBOX_RELAY_GRACE_SECONDS=0)) as worker:
        relay_outbox.delay()
        order = wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert str(order.price) == "1081.00"


def test_published_message_carries_ids_and_no_personal_data(api, make_user, broker):
    customer = make_user(Role.CUSTOMER, username="jane.doe@example.com")
    order_id = submitted_order(api(customer), cube_stl(10), name="Jane Doe engagement ring.stl")

    message = next_price_request()

    assert message is not None, "submitting published nothing"
    assert message.headers["task"] == PriceRequested.name
    assert message.headers["id"] == price_request_id(order_id)
    _, kwargs, _ = json.loads(message.body)
    assert set(kwargs) == {"order_id", "customer_id", "metal", "model_key", "model_format", "submission"}
    assert (kwargs["order_id"], kwargs["customer_id"], kwargs["metal"]) == (order_id, customer.pk, "gold_18k")
    assert kwargs["submission"] == 1  # the order's first submit: what the price will be about
    assert kwargs["model_format"] == "stl"
    assert kwargs["model_key"].startswith(f"models/{customer.pk}/{order_id}/")
    body = message.body if isinstance(message.body, str) else message.body.decode()
    assert "jane" not in (body + repr(message.headers)).lower()


def test_price_request_relayed_after_a_broker_outage_keeps_its_priority(broker):
    with publishing_to(UNREACHABLE_BROKER), transaction.atomic():
        row = enqueue_price_request(order_id=43, priority=7)
    assert ShopOutbox.objects.get(pk=row.pk).sent_at is None

    assert outbox.relay_pending(ShopOutbox, older_than_seconds=0) == 1

    message = next_price_request()
    assert message.headers["id"] == str(row.id)
    assert message.properties["priority"] == 7
