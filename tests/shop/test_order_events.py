"""The order's event log: written in the transaction of each fact, one receipt per delivery, append-only."""

from datetime import timedelta
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from crm import services as crm_services
from jewelry.celery import app as celery_app
from jewelry.contracts import OrderPriced, PriceRequested, PricingFailed
from jewelry.errors import Conflict
from jewelry.lifecycle import OrderStatus as S
from jewelry.messaging import OUTBOX_NOT_DELIVERED
from jewelry.roles import Actor, Role
from jewelry.sample_models import cube_stl
from mes.models import MesOutbox
from shop import services, stuck_orders
from shop.models import AppendOnlyError, Order, OrderEvent, OrderStatusChange, ShopOutbox
from tests.flows import submitted_order, upload
from tests.processes import publishing_to

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

K = OrderEvent.Kind
backfill = import_module("shop.migrations.0006_backfill_order_events").backfill


class Boom(Exception):
    pass


def kinds(order_id: int) -> list[str]:
    return list(OrderEvent.objects.filter(order_id=order_id).values_list("kind", flat=True))


def uploaded_order(customer) -> Order:
    order = services.create_order(customer_id=customer.pk, metal="gold_18k")
    return services.attach_model(order_id=order.pk, customer_id=customer.pk,
                                 uploaded_file=SimpleUploadedFile("ring.stl", cube_stl(10)))


def mes_reports(order_id: int, contract) -> list:
    return list(MesOutbox.objects.filter(order_id=order_id, task_name=contract.name).order_by("created_at"))


def redeliver(row, *, retries: int) -> None:
    """The broker delivers MES's outbox row again: same task id (the row id), ``retries`` so far."""
    celery_app.tasks[row.task_name].apply(kwargs=row.payload, task_id=str(row.pk), retries=retries)


def test_a_transition_is_logged_with_its_actor_system_time_and_trace(customer):
    order = uploaded_order(customer)

    event = OrderEvent.objects.get(order_id=order.pk)
    change = OrderStatusChange.objects.get(order_id=order.pk)
    assert (event.kind, event.detail) == (K.TRANSITION, {"from": S.INITIATED, "to": S.FILE_UPLOADED})
    assert (event.actor_id, event.actor_role, event.system) == (customer.pk, Role.CUSTOMER, "shop")
    assert (event.at, event.trace_id) == (change.at, change.trace_id)


def test_a_rolled_back_transition_and_its_message_leave_no_event(customer):
    order = uploaded_order(customer)

    with pytest.raises(Boom), transaction.atomic():
        services.submit_order(order_id=order.pk, customer_id=customer.pk)
        assert kinds(order.pk) == [K.TRANSITION, K.TRANSITION, K.MESSAGE_SENT]  # inside, before the rollback
        raise Boom

    assert kinds(order.pk) == [K.TRANSITION]
    assert not ShopOutbox.objects.filter(order_id=order.pk).exists()


def test_a_refused_transition_leaves_no_event(customer):
    order = uploaded_order(customer)

    with pytest.raises(Conflict):
        services.change_status(order_id=order.pk, to_status=S.SHIPPED,
                               actor=Actor(user_id=customer.pk, role=Role.CUSTOMER))

    assert kinds(order.pk) == [K.TRANSITION]


def test_a_message_to_mes_is_logged_under_its_outbox_row_id(api, customer):
    order_id = submitted_order(api(customer), cube_stl(10))

    request = ShopOutbox.objects.get(order_id=order_id)
    sent = OrderEvent.objects.get(order_id=order_id, kind=K.MESSAGE_SENT)
    assert sent.detail == {"task": PriceRequested.name, "message_id": str(request.pk)}
    assert (sent.system, sent.at) == ("shop", request.created_at)


def test_a_redelivered_price_is_a_second_receipt_with_its_attempt_and_no_second_transition(api, customer):
    order_id = submitted_order(api(customer), cube_stl(10))  # priced at once: the test's broker is eager
    [price] = mes_reports(order_id, OrderPriced)

    redeliver(price, retries=2)

    receipts = [e.detail for e in OrderEvent.objects.filter(order_id=order_id, kind=K.MESSAGE_RECEIVED)]
    assert [(r["task"], r["message_id"], r["attempt"]) for r in receipts] == [
        (OrderPriced.name, str(price.pk), 0), (OrderPriced.name, str(price.pk), 2)]
    moves = OrderEvent.objects.filter(order_id=order_id, kind=K.TRANSITION)
    assert [event.detail["to"] for event in moves] == [S.FILE_UPLOADED, S.SUBMITTED, S.PRICE_CALCULATED]


def test_a_redelivered_pricing_failure_is_one_failure_with_two_receipts(api, customer):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    [refusal] = mes_reports(order_id, PricingFailed)

    redeliver(refusal, retries=1)

    failures = OrderEvent.objects.filter(order_id=order_id, kind=K.FAILURE)
    assert [(f.detail["code"], f.detail["system"], f.system) for f in failures] == [
        ("model_not_watertight", "mes", "mes")]
    assert OrderEvent.objects.filter(order_id=order_id, kind=K.MESSAGE_RECEIVED).count() == 2


def test_every_failure_is_kept_though_the_order_holds_only_the_last(api, customer):
    shop = api(customer)
    order_id = submitted_order(shop, cube_stl(10, drop_triangles=1))
    assert upload(shop, order_id, cube_stl(2000)).status_code == 200  # MES refuses it as too large
    assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202

    codes = [event.detail["code"] for event in OrderEvent.objects.filter(order_id=order_id, kind=K.FAILURE)]
    assert codes == ["model_not_watertight", "model_too_large"]
    assert Order.objects.get(pk=order_id).error_code == "model_too_large"


def test_a_redispatch_is_logged_with_its_cause_and_the_messages_sent_again(api, customer):
    with publishing_to("amqp://guest:guest@127.0.0.1:9//"):  # nothing listens: the request stays pending
        order_id = submitted_order(api(customer), cube_stl(10))
    request = ShopOutbox.objects.get(order_id=order_id)

    stuck_orders.detect_stuck_orders(now=timezone.now() + timedelta(minutes=20))

    [event] = OrderEvent.objects.filter(order_id=order_id, kind=K.REDISPATCH)
    assert (event.detail, event.system) == (
        {"cause": OUTBOX_NOT_DELIVERED, "message_ids": [str(request.pk)]}, "shop")
    assert Order.objects.get(pk=order_id).status == S.PRICE_CALCULATED


def test_a_note_is_logged_by_id_without_its_text(customer, seller):
    order = uploaded_order(customer)

    note = crm_services.add_note(order_id=order.pk, author_id=seller.pk, text="Called the customer")

    event = OrderEvent.objects.get(order_id=order.pk, kind=K.NOTE)
    assert (event.detail, event.actor_id, event.actor_role, event.system) == (
        {"note_id": note.pk}, seller.pk, Role.SELLER, "crm")


def test_an_event_is_never_updated_or_deleted(customer):
    order = uploaded_order(customer)
    event = OrderEvent.objects.get(order_id=order.pk)

    event.detail = {"from": S.INITIATED, "to": S.CLOSED}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        OrderEvent.objects.filter(order_id=order.pk).update(kind=K.NOTE)
    with pytest.raises(AppendOnlyError):
        OrderEvent.objects.filter(order_id=order.pk).delete()
    with pytest.raises(AppendOnlyError):
        event.delete()

    assert OrderEvent.objects.get(order_id=order.pk).detail == {"from": S.INITIATED, "to": S.FILE_UPLOADED}


def test_the_backfill_recovers_transitions_messages_notes_and_the_current_failure_once(api, customer, seller):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    crm_services.add_note(order_id=order_id, author_id=seller.pk, text="Asked for a closed model")
    with connection.cursor() as cursor:  # an order from before the log: its events never written
        cursor.execute("DELETE FROM shop_orderevent")

    editor = SimpleNamespace(connection=connection)
    backfill(apps, editor)
    backfill(apps, editor)  # a second run adds nothing

    events = list(OrderEvent.objects.filter(order_id=order_id))
    assert [event.kind for event in events] == [K.TRANSITION, K.TRANSITION, K.MESSAGE_SENT, K.FAILURE, K.NOTE]
    assert all(event.detail["backfilled"] for event in events)
    assert events[2].detail["message_id"] == str(ShopOutbox.objects.get(order_id=order_id).pk)
    assert events[3].detail["code"] == "model_not_watertight"
