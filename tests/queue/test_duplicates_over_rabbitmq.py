"""Every message between the systems delivered twice, late and out of order, over RabbitMQ to a real worker
(issue 21, finding 2).

A message is published again the way the broker or the stuck-order detector would: its outbox
row once more, under the same message id. Messages the test holds back are written while this
process publishes to a broker nobody listens on, so they stay pending until the test sends them;
MES's answers are held in their queue while the worker stops consuming ``shop.events``.
"""

import contextlib
from datetime import timedelta

import pytest
from django.utils import timezone

from jewelry import outbox
from jewelry.contracts import (
    ManufacturingApproved,
    ManufacturingProgressed,
    OrderCancelled,
    OrderPriced,
    PriceRequested,
    PricingFailed,
    RequestNotReceived,
    publish,
)
from jewelry.lifecycle import OrderStatus as S
from jewelry.messaging import PRICE_REQUEST_NOT_RECEIVED, SHOP_QUEUE
from jewelry.sample_models import cube_stl
from mes import pricing
from mes.models import ManufacturingJob, MesOutbox, MetalPrice
from shop.models import Order, OrderEvent, ShopOutbox
from tests.flows import operator_steps, submitted_order, upload
from tests.processes import publishing_to, wait_until
from tests.queue.support import wait_for_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:9//"  # nothing listens: messages written stay pending
OPEN_MESH, MODEL_B, MODEL_C = cube_stl(10, drop_triangles=2), cube_stl(10), cube_stl(12)
Kind = OrderEvent.Kind


def held():
    """Messages written inside stay in their outbox until the test sends them."""
    return publishing_to(UNREACHABLE_BROKER)


def sent(outbox_model, order_id: int, contract) -> list:
    return list(outbox_model.objects.filter(order_id=order_id, task_name=contract.name)
                .order_by("created_at", "id"))


def runs_ended(worker, task_name: str, message_id) -> int:
    """How many deliveries of the message the worker has finished, well or with an exception."""
    log, task = worker.log(), f"Task {task_name}[{message_id}]"
    return log.count(f"{task} succeeded") + log.count(f"{task} raised")


def deliver(worker, row, *, times: int = 1, payload: dict | None = None) -> None:
    """Publish the row's message ``times`` more (same message id), and wait until the worker ran each.

    ``payload`` replaces the row's body (a message as an older publisher wrote it).
    """
    before = runs_ended(worker, row.task_name, row.id)
    for _ in range(times):
        publish(row.task_name, row.payload if payload is None else payload, task_id=str(row.id))
    wait_until(lambda: runs_ended(worker, row.task_name, row.id) >= before + times, timeout=20,
               message=lambda: f"{row.task_name}[{row.id}] to run {times} more; worker log:\n{worker.log()}")


@contextlib.contextmanager
def shop_messages_waiting(broker, worker):
    """The worker stops taking messages from ``shop.events`` inside: they wait in the queue."""
    control = broker.control
    assert control.cancel_consumer(SHOP_QUEUE, destination=[worker.name], reply=True)
    try:
        yield
    finally:
        assert control.add_consumer(SHOP_QUEUE, destination=[worker.name], reply=True)


def events(order_id: int, kind: str) -> list[dict]:
    return [event.detail for event in OrderEvent.objects.filter(order_id=order_id, kind=kind)]


def transitions(order_id: int) -> list[tuple[str, str]]:
    return [(detail["from"], detail["to"]) for detail in events(order_id, Kind.TRANSITION)]


def cube_price(side_mm: float, metal: str = "gold_18k"):
    """What MES charges for a closed cube: its volume priced with the metal's row, as MES does."""
    row = MetalPrice.objects.get(code=metal)
    return pricing.price_for(volume_mm3=side_mm ** 3, density_g_cm3=row.density_g_cm3,
                             price_per_gram=row.price_per_gram, labour_cost=row.labour_cost)


def test_campaign_duplicates_leave_the_order_at_the_price_of_the_last_submitted_model(
        api, customer, broker, worker):
    shop = api(customer)
    order_id = submitted_order(shop, OPEN_MESH)
    wait_until(lambda: events(order_id, Kind.FAILURE), message=lambda: f"A's refusal; log:\n{worker.log()}")
    [refusal_of_a] = sent(MesOutbox, order_id, PricingFailed)
    assert upload(shop, order_id, MODEL_B).status_code == 200
    with held():
        assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    [request_b] = sent(ShopOutbox, order_id, PriceRequested)[1:]

    deliver(worker, refusal_of_a, times=2)  # the campaign's duplicate, before MES answers for B

    order = Order.objects.get(pk=order_id)
    assert (order.status, order.error_code, order.submission) == (S.SUBMITTED, "", 2)
    assert len(events(order_id, Kind.FAILURE)) == 1
    assert upload(shop, order_id, MODEL_C).json()["code"] == "order_being_priced"

    # The same refusal as published before messages named their submission: the shop cannot tell
    # it from B's, so the customer may upload C while MES prices B, as in the campaign.
    legacy = {key: value for key, value in refusal_of_a.payload.items() if key != "submission"}
    deliver(worker, refusal_of_a, payload=legacy)
    with shop_messages_waiting(broker, worker):
        deliver(worker, request_b)
        [price_of_b] = sent(MesOutbox, order_id, OrderPriced)
        assert upload(shop, order_id, MODEL_C).status_code == 200
    wait_until(lambda: runs_ended(worker, OrderPriced.name, price_of_b.id) == 1,
               message=lambda: f"B's price to reach the shop; worker log:\n{worker.log()}")
    assert Order.objects.get(pk=order_id).status == S.FILE_UPLOADED  # B's price came after C's upload
    with held():
        assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    [request_c] = sent(ShopOutbox, order_id, PriceRequested)[2:]
    deliver(worker, price_of_b, times=2)  # the stuck-order detector re-sends B's price, before C's is in
    assert Order.objects.get(pk=order_id).status == S.SUBMITTED
    deliver(worker, request_c)
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    for late in (price_of_b, request_b, refusal_of_a, price_of_b):  # the detector or the broker, late
        deliver(worker, late)

    order, job = Order.objects.get(pk=order_id), ManufacturingJob.objects.get(order_id=order_id)
    assert (order.status, order.submission, order.price) == (S.PRICE_CALCULATED, 3, cube_price(12))
    with order.model_file.open("rb") as held_file:
        assert held_file.read() == MODEL_C
    assert (job.stage, job.submission, job.model_key, job.price) == (
        S.PRICE_CALCULATED, 3, order.model_file.name, order.price)
    assert transitions(order_id).count((S.SUBMITTED, S.PRICE_CALCULATED)) == 1
    assert len(sent(MesOutbox, order_id, OrderPriced)) == 2  # B once, C once


def test_approval_and_progress_twice_and_out_of_order_end_where_the_operator_left_the_job(
        api, customer, seller, operator, worker):
    order_id = submitted_order(api(customer), MODEL_B)
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    [approval] = sent(ShopOutbox, order_id, ManufacturingApproved)
    deliver(worker, approval, times=2)
    assert ManufacturingJob.objects.get(order_id=order_id).stage == S.MANUFACTURING_APPROVED
    with held():
        assert operator_steps(api(operator), order_id) == [200, 200, 200, 200]
    started, completed, packaging, shipped = sent(MesOutbox, order_id, ManufacturingProgressed)

    for report in (started, packaging, completed, shipped):  # PACKAGING before MANUFACTURING_COMPLETED
        assert outbox.dispatch(report)
    wait_for_order(worker, order_id, status=S.SHIPPED)
    for late in (packaging, started, approval, completed, shipped):
        deliver(worker, late)

    order, job = Order.objects.get(pk=order_id), ManufacturingJob.objects.get(order_id=order_id)
    assert (order.status, job.stage, order.operator_id, job.assignee_id) == (
        S.SHIPPED, S.SHIPPED, operator.pk, operator.pk)
    assert transitions(order_id)[2:] == [  # each once, after the upload and the submission
        (S.SUBMITTED, S.PRICE_CALCULATED),
        (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED),
        (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED),
        (S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED),
        (S.MANUFACTURING_COMPLETED, S.PACKAGING),
        (S.PACKAGING, S.SHIPPED),
    ]


def test_cancellation_twice_and_ahead_of_the_price_request_leaves_both_systems_cancelled(
        api, customer, seller, worker):
    with held():
        order_id = submitted_order(api(customer), MODEL_B)
        assert api(seller).post(f"/api/v1/crm/orders/{order_id}/cancel/").status_code == 200
    [request] = sent(ShopOutbox, order_id, PriceRequested)
    [cancellation] = sent(ShopOutbox, order_id, OrderCancelled)

    deliver(worker, cancellation, times=2)  # on mes.orders, it overtakes the request on mes.pricing
    deliver(worker, request)
    deliver(worker, cancellation)

    assert Order.objects.get(pk=order_id).status == S.CANCELLED
    assert ManufacturingJob.objects.get(order_id=order_id).stage == S.CANCELLED
    assert not sent(MesOutbox, order_id, OrderPriced)
    assert transitions(order_id)[-1] == (S.SUBMITTED, S.CANCELLED)


def test_request_not_received_twice_and_late_sends_the_price_request_again_once(api, customer, worker):
    with held():
        order_id = submitted_order(api(customer), MODEL_B)
    [request] = sent(ShopOutbox, order_id, PriceRequested)
    # The shop's relay published it two hours ago (as far as the shop knows); MES never got it.
    ShopOutbox.objects.filter(pk=request.pk).update(sent_at=timezone.now() - timedelta(hours=2))
    scanned_at = timezone.now()
    lost, earlier_scan = (RequestNotReceived(order_id=order_id, task_name=PriceRequested.name,
                                             cause=PRICE_REQUEST_NOT_RECEIVED, scanned_at=at)
                          for at in (scanned_at, scanned_at - timedelta(minutes=5)))

    report = outbox.enqueue(MesOutbox, lost)  # published at once: autocommit
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)
    deliver(worker, report, times=2)
    deliver(worker, outbox.enqueue(MesOutbox, earlier_scan))

    assert len(events(order_id, Kind.REDISPATCH)) == 1
    assert runs_ended(worker, PriceRequested.name, request.id) == 1
    assert Order.objects.get(pk=order_id).price == cube_price(10)
    assert transitions(order_id).count((S.SUBMITTED, S.PRICE_CALCULATED)) == 1
    assert len(sent(MesOutbox, order_id, OrderPriced)) == 1
