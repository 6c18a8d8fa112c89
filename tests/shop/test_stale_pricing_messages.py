"""Pricing messages about an earlier submission of the order change nothing (issue 21, finding 2).

Every pricing message names the order's submission it is about. Here the broker is
down, so every message stays in its outbox, and the test delivers each one by calling
its consumer task with the payload its publisher wrote: twice, late, out of order.
"""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry import trace

from jewelry.celery import app as celery_app
from jewelry.contracts import OrderPriced, PriceRequested, PricingFailed
from jewelry.lifecycle import OrderStatus as S
from jewelry.messaging import PRICE_REQUEST_NOT_RECEIVED
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob, MesOutbox
from shop import stuck_orders
from shop.models import Order, ShopOutbox
from tests.flows import submitted_order, upload
from tests.processes import publishing_to
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:9//"  # nothing listens: every message stays pending
OPEN_MESH, MODEL_B, MODEL_C = cube_stl(10, drop_triangles=2), cube_stl(10), cube_stl(12)
PRICE_OF_B = "1081.00"


def deliver(row) -> None:
    """One delivery of an outbox row's message: its consumer task run with the published payload.

    Called directly, the task gets no span from the Celery instrumentation: the test opens one.
    """
    with trace.get_tracer(__name__).start_as_current_span(f"run/{row.task_name}"):
        celery_app.tasks[row.task_name](**row.payload)


def sent(outbox_model, order_id: int, task_name: str) -> list:
    return list(outbox_model.objects.filter(order_id=order_id, task_name=task_name).order_by("created_at", "id"))


def resubmit(shop, order_id: int, model: bytes) -> int:
    """Upload ``model`` and submit it; returns the HTTP status of the upload (the submit must pass)."""
    uploaded = upload(shop, order_id, model).status_code
    if uploaded == 200:
        assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    return uploaded


def refused_then_resubmitted(shop) -> int:
    """A's refusal recorded, then model B uploaded and submitted; B's price request not delivered yet."""
    order_id = submitted_order(shop, OPEN_MESH)
    deliver(sent(ShopOutbox, order_id, PriceRequested.name)[0])
    deliver(sent(MesOutbox, order_id, PricingFailed.name)[0])
    assert Order.objects.get(pk=order_id).error_code
    assert resubmit(shop, order_id, MODEL_B) == 200
    return order_id


def ignored_events(spans) -> list[tuple[int, int]]:
    return [(event.attributes[A.PRICING_SUBMISSION], event.attributes[A.PRICING_CURRENT_SUBMISSION])
            for span in spans.get_finished_spans() for event in span.events
            if event.name == A.EVENT_STALE_MESSAGE_IGNORED]


def holds_its_models_price(order: Order) -> None:
    """The order's price, if any, is the price MES computed for the file the order holds."""
    job = ManufacturingJob.objects.get(order_id=order.pk)
    with order.model_file.open("rb") as held:
        assert hashlib.sha256(held.read()).hexdigest() == order.model_sha256
    assert job.model_key == order.model_file.name
    assert job.submission == order.submission
    if order.status == S.PRICE_CALCULATED:
        assert order.price == job.price


def test_refusal_of_an_earlier_model_delivered_again_while_the_next_is_priced_changes_nothing(
        spans, api, customer):
    shop = api(customer)
    with publishing_to(UNREACHABLE_BROKER):
        order_id = refused_then_resubmitted(shop)
        [refusal_of_a] = sent(MesOutbox, order_id, PricingFailed.name)

        deliver(refusal_of_a)  # the campaign's duplicate, while MES prices B
        deliver(refusal_of_a)

        order = Order.objects.get(pk=order_id)
        assert (order.status, order.error_code) == (S.SUBMITTED, "")  # still waiting for B's price
        assert ignored_events(spans) == [(1, 2), (1, 2)]
        assert resubmit(shop, order_id, MODEL_C) == 409  # still being priced: no model C
        deliver(sent(ShopOutbox, order_id, PriceRequested.name)[-1])
        deliver(sent(MesOutbox, order_id, OrderPriced.name)[-1])

    order = Order.objects.get(pk=order_id)
    assert (order.status, str(order.price)) == (S.PRICE_CALCULATED, PRICE_OF_B)
    holds_its_models_price(order)


def legacy_refusal(row) -> MesOutbox:
    """The same refusal as published before messages named their submission."""
    payload = {key: value for key, value in row.payload.items() if key != "submission"}
    return MesOutbox(task_name=row.task_name, order_id=row.order_id, payload=payload)


def customer_moved_on_to_c(shop, *, mes_prices_b_meanwhile: bool) -> int:
    """The campaign with a duplicate from before messages named their submission: the shop still
    takes it for a refusal of B, and the customer uploads and submits C, while MES prices B
    (its answer not delivered yet) or before B's request reached MES."""
    order_id = refused_then_resubmitted(shop)
    deliver(legacy_refusal(sent(MesOutbox, order_id, PricingFailed.name)[0]))
    if mes_prices_b_meanwhile:
        deliver(sent(ShopOutbox, order_id, PriceRequested.name)[1])
        assert ManufacturingJob.objects.get(order_id=order_id).stage == S.PRICE_CALCULATED
    assert resubmit(shop, order_id, MODEL_C) == 200
    return order_id


def test_price_of_an_earlier_model_late_and_twice_is_ignored_and_the_new_model_is_priced(spans, api, customer):
    shop = api(customer)
    with publishing_to(UNREACHABLE_BROKER):
        order_id = customer_moved_on_to_c(shop, mes_prices_b_meanwhile=True)
        request_b, request_c = sent(ShopOutbox, order_id, PriceRequested.name)[1:]
        [price_of_b] = sent(MesOutbox, order_id, OrderPriced.name)

        deliver(price_of_b)  # MES finished B after C was submitted
        assert Order.objects.get(pk=order_id).status == S.SUBMITTED  # B's price is not C's
        deliver(request_c)  # priced for B, yet C is priced
        deliver(request_c)
        deliver(request_b)  # again, and about submission 2: nothing happens
        price_of_c = sent(MesOutbox, order_id, OrderPriced.name)[-1]
        for message in (price_of_c, price_of_b, price_of_c, price_of_b):
            deliver(message)

    order = Order.objects.get(pk=order_id)
    assert (order.status, order.submission) == (S.PRICE_CALCULATED, 3)
    assert str(order.price) != PRICE_OF_B
    holds_its_models_price(order)
    assert len(sent(MesOutbox, order_id, OrderPriced.name)) == 2  # B once, C once
    assert (2, 3) in ignored_events(spans)


def test_price_requests_out_of_order_price_the_last_submitted_model(api, customer):
    shop = api(customer)
    with publishing_to(UNREACHABLE_BROKER):
        order_id = customer_moved_on_to_c(shop, mes_prices_b_meanwhile=False)
        request_b, request_c = sent(ShopOutbox, order_id, PriceRequested.name)[1:]

        deliver(request_c)
        deliver(request_b)  # arrives after C's: ignored, B is never priced
        for message in sent(MesOutbox, order_id, OrderPriced.name):
            deliver(message)

    order = Order.objects.get(pk=order_id)
    assert order.status == S.PRICE_CALCULATED
    assert str(order.price) != PRICE_OF_B
    holds_its_models_price(order)


def test_stuck_order_detector_asks_for_the_current_request_instead_of_resending_an_earlier_price(
        spans, api, customer):
    """MES priced B; C's request was lost: the detector must not send B's price again."""
    shop = api(customer)
    with publishing_to(UNREACHABLE_BROKER):
        order_id = customer_moved_on_to_c(shop, mes_prices_b_meanwhile=True)
    ShopOutbox.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())  # lost on the way
    MesOutbox.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())
    assert ManufacturingJob.objects.get(order_id=order_id).stage == S.PRICE_CALCULATED

    stuck_orders.detect_stuck_orders(now=timezone.now() + timedelta(minutes=20))  # messages run in-process

    causes = [event.attributes[A.REDISPATCH_CAUSE] for span in spans.get_finished_spans()
              for event in span.events if event.name == A.EVENT_REDISPATCHED]
    assert causes == [PRICE_REQUEST_NOT_RECEIVED]
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.submission) == (S.PRICE_CALCULATED, 3)
    assert str(order.price) != PRICE_OF_B
    holds_its_models_price(order)
