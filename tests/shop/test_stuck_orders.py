"""Lost orders: the detector marks orders past their status deadline and re-sends lost messages.

A lost message is made for real: the message is published to a broker that refuses
connections (its outbox row stays pending), or the row is then marked sent, as when
the broker accepted a message that never reached its consumer. Each system finds and
re-sends what its side lost; the span event of every re-send names its cause.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from jewelry import outbox
from jewelry.celery import app as celery_app
from jewelry.contracts import DetectStuckOrders
from jewelry.lifecycle import OrderStatus as S
from jewelry.lifecycle import status_deadlines, waiting_for
from jewelry.messaging import (
    APPROVAL_NOT_RECEIVED,
    OUTBOX_NOT_DELIVERED,
    PRICE_NOT_RECORDED,
    PRICE_REQUEST_NOT_RECEIVED,
    PRICING_FAILURE_NOT_RECORDED,
    PROGRESS_NOT_RECORDED,
)
from jewelry.sample_models import cube_stl
from mes import services as mes_services
from mes.models import ManufacturingJob, MesOutbox
from shop import stuck_orders
from shop.models import Order, OrderStatusChange, ShopOutbox
from shop.tasks import detect_stuck_orders as detect_task
from tests.flows import submitted_order
from tests.processes import publishing_to
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:9//"  # nothing listens: connection refused


@contextmanager
def broker_down():
    """Publishing fails as it does when RabbitMQ is down; outbox rows stay pending."""
    with publishing_to(UNREACHABLE_BROKER):
        yield


def sent_but_lost(model) -> None:
    """The broker took every pending message of ``model`` and lost it (a purged queue, say)."""
    model.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())


def answered_by_mes_but_lost(client, model: bytes) -> int:
    """An order MES priced (or refused) whose answer never reached the shop; returns its id."""
    with broker_down():
        order_id = submitted_order(client, model)
        mes_services.price_job(**ShopOutbox.objects.get(order_id=order_id).payload)
    sent_but_lost(ShopOutbox)
    sent_but_lost(MesOutbox)
    return order_id


def later(**delta) -> timezone.datetime:
    return timezone.now() + timedelta(**delta)


def detect(**delta) -> stuck_orders.Scan:
    return stuck_orders.detect_stuck_orders(now=later(**delta))


def redispatched(spans) -> dict[int, str]:
    """Order id -> cause of every re-send either system recorded on its spans."""
    return {span.attributes[A.ORDER_ID]: event.attributes[A.REDISPATCH_CAUSE]
            for span in spans.get_finished_spans() for event in span.events
            if event.name == A.EVENT_REDISPATCHED}


@pytest.fixture
def priced_order(api, customer):
    return submitted_order(api(customer), cube_stl(10))


@pytest.fixture
def approved_order(api, seller, priced_order):
    assert api(seller).post(f"/api/v1/crm/orders/{priced_order}/approve/").status_code == 200
    return priced_order


def test_order_past_its_deadline_is_marked_stuck_since_the_deadline_passed(spans, priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 3600}
    entered = Order.objects.get(pk=priced_order).status_changed_at

    scan = detect(hours=2)

    order = Order.objects.get(pk=priced_order)
    assert order.stuck_since == entered + timedelta(hours=1)
    assert scan.stuck_by_status == {S.PRICE_CALCULATED: 1}
    assert scan.newly_marked == 1
    assert redispatched(spans) == {}  # waiting for a seller, not for a message


def test_order_within_its_deadline_is_not_stuck(priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 3600}

    scan = detect(minutes=59)

    assert Order.objects.get(pk=priced_order).stuck_since is None
    assert scan.stuck_by_status == {S.PRICE_CALCULATED: 0}


def test_refused_model_waits_for_the_customer_and_is_not_stuck(api, customer):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=2))
    assert Order.objects.get(pk=order_id).error_code  # MES refused the open mesh

    scan = detect(days=1)

    assert scan.stuck_by_status[S.SUBMITTED] == 0
    assert Order.objects.get(pk=order_id).stuck_since is None


def test_marked_order_loses_its_mark_once_no_longer_overdue(priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 3600}
    detect(hours=2)
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 86400}

    scan = detect(hours=2)

    assert scan.cleared == 1
    assert Order.objects.get(pk=priced_order).stuck_since is None


def test_stuck_mark_shows_in_the_mes_api_and_goes_once_recovered(api, operator, priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 3600}
    detect(hours=2)
    marked = api(operator).get(f"/api/v1/mes/orders/{priced_order}/").json()
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 86400}
    detect(hours=2)

    assert marked["stuck_since"] is not None
    assert (marked["status"], marked["order_id"]) == (S.PRICE_CALCULATED, priced_order)
    assert ManufacturingJob.objects.get(order_id=priced_order).stuck_since is None


def test_moving_on_clears_the_stuck_mark(api, seller, priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 0}
    detect(seconds=1)
    assert Order.objects.get(pk=priced_order).stuck_since is not None

    assert api(seller).post(f"/api/v1/crm/orders/{priced_order}/approve/").status_code == 200

    assert Order.objects.get(pk=priced_order).stuck_since is None


def test_undelivered_outbox_row_is_relayed_and_the_order_gets_priced(api, customer):
    with broker_down():
        order_id = submitted_order(api(customer), cube_stl(10))
    assert ShopOutbox.objects.get(order_id=order_id).sent_at is None

    scan = detect(minutes=20)

    assert scan.stuck_by_status[S.SUBMITTED] == 1
    assert scan.redispatched == {order_id: OUTBOX_NOT_DELIVERED}
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.stuck_since) == (S.PRICE_CALCULATED, None)


def test_price_request_lost_on_the_way_to_mes_is_sent_again(spans, api, customer):
    with broker_down():
        order_id = submitted_order(api(customer), cube_stl(10))
    sent_but_lost(ShopOutbox)
    assert not ManufacturingJob.objects.filter(order_id=order_id).exists()

    detect(minutes=20)

    assert redispatched(spans) == {order_id: PRICE_REQUEST_NOT_RECEIVED}
    assert Order.objects.get(pk=order_id).status == S.PRICE_CALCULATED


def test_price_calculated_in_mes_but_never_recorded_in_the_shop_is_sent_again(spans, api, customer):
    order_id = answered_by_mes_but_lost(api(customer), cube_stl(10))
    assert ManufacturingJob.objects.get(order_id=order_id).stage == S.PRICE_CALCULATED
    assert Order.objects.get(pk=order_id).status == S.SUBMITTED

    detect(minutes=20)

    assert redispatched(spans) == {order_id: PRICE_NOT_RECORDED}
    order = Order.objects.get(pk=order_id)
    assert (order.status, str(order.price)) == (S.PRICE_CALCULATED, "1081.00")


def test_pricing_refusal_never_recorded_in_the_shop_is_sent_again(spans, api, customer):
    order_id = answered_by_mes_but_lost(api(customer), cube_stl(10, drop_triangles=2))

    detect(minutes=20)

    assert redispatched(spans) == {order_id: PRICING_FAILURE_NOT_RECORDED}
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.stuck_since) == (S.SUBMITTED, None)
    assert order.error_code == ManufacturingJob.objects.get(order_id=order_id).error_code != ""


def test_approval_lost_on_the_way_to_mes_is_sent_again(spans, api, seller, priced_order):
    with broker_down():
        assert api(seller).post(f"/api/v1/crm/orders/{priced_order}/approve/").status_code == 200
    sent_but_lost(ShopOutbox)
    assert ManufacturingJob.objects.get(order_id=priced_order).stage == S.PRICE_CALCULATED

    detect(days=3)

    assert redispatched(spans) == {priced_order: APPROVAL_NOT_RECEIVED}
    assert ManufacturingJob.objects.get(order_id=priced_order).stage == S.MANUFACTURING_APPROVED


def test_progress_lost_on_the_way_to_the_shop_is_sent_again(spans, api, operator, approved_order):
    with broker_down():
        assert api(operator).post(f"/api/v1/mes/orders/{approved_order}/take/").status_code == 200
    sent_but_lost(MesOutbox)
    assert Order.objects.get(pk=approved_order).status == S.MANUFACTURING_APPROVED

    detect(days=3)

    assert redispatched(spans) == {approved_order: PROGRESS_NOT_RECORDED}
    order = Order.objects.get(pk=approved_order)
    assert (order.status, order.operator_id) == (S.MANUFACTURING_STARTED, operator.pk)


def test_order_waiting_for_an_operator_is_stuck_but_nothing_is_resent(spans, approved_order):
    scan = detect(days=3)

    assert scan.stuck_by_status[S.MANUFACTURING_APPROVED] == 1
    assert redispatched(spans) == {}


def test_redispatch_twice_prices_the_order_exactly_once(api, customer):
    order_id = answered_by_mes_but_lost(api(customer), cube_stl(10))
    order = Order.objects.get(pk=order_id)
    rows = list(MesOutbox.objects.filter(order_id=order_id))

    first = outbox.resend(rows, status=order.status, now=later(hours=2))
    rows = list(MesOutbox.objects.filter(order_id=order_id))
    second = outbox.resend(rows, status=order.status, now=later(hours=4))

    assert (len(first), len(second)) == (1, 1)  # the message really went out twice
    priced = OrderStatusChange.objects.filter(order_id=order_id, to_status=S.PRICE_CALCULATED)
    assert priced.count() == 1


def test_message_sent_again_recently_is_not_sent_once_more(api, customer):
    order_id = answered_by_mes_but_lost(api(customer), cube_stl(10))
    order = Order.objects.get(pk=order_id)
    [row] = MesOutbox.objects.filter(order_id=order_id)

    sent = outbox.resend([row], status=order.status, now=later(minutes=5))

    assert sent == []
    assert MesOutbox.objects.get(pk=row.pk).attempts == row.attempts


def test_each_stuck_order_gets_a_span_with_its_attributes(spans, customer, priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 3600}
    spans.clear()

    detect(hours=2)

    finished = {span.name: span for span in spans.get_finished_spans()}
    scan, stuck = finished["detect stuck orders"], finished["stuck order"]
    assert stuck.parent.span_id == scan.context.span_id
    order = Order.objects.get(pk=priced_order)
    assert stuck.attributes[A.ORDER_ID] == priced_order
    assert stuck.attributes[A.ORDER_STATUS] == S.PRICE_CALCULATED
    assert stuck.attributes[A.ORDER_CUSTOMER_ID] == customer.pk
    assert stuck.attributes[A.ORDER_STUCK_SINCE] == order.stuck_since.isoformat()
    assert stuck.attributes[A.ERROR_TYPE] == stuck_orders.ORDER_STUCK


def test_redispatch_is_recorded_on_the_stuck_order_span(spans, api, customer):
    with broker_down():
        order_id = submitted_order(api(customer), cube_stl(10))
    row = ShopOutbox.objects.get(order_id=order_id)
    spans.clear()

    detect(minutes=20)

    stuck = next(span for span in spans.get_finished_spans() if span.name == "stuck order")
    [event] = [event for event in stuck.events if event.name == A.EVENT_REDISPATCHED]
    assert event.attributes[A.REDISPATCH_CAUSE] == OUTBOX_NOT_DELIVERED
    assert event.attributes[A.MESSAGING_MESSAGE_ID] == str(row.pk)


def test_deadline_for_an_unknown_status_is_refused(settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"SUBMITED": 60}

    with pytest.raises(ImproperlyConfigured, match="SUBMITED"):
        status_deadlines()


def test_waiting_for_names_the_system_whose_move_is_next():
    assert [waiting_for(status) for status in (
        S.SUBMITTED, S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED, S.SHIPPED, S.CLOSED)] == [
        "mes", "crm", "mes", "crm", ""]


def test_detector_task_is_scheduled_on_beat_and_runs(settings, priced_order):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 0}

    result = detect_task.delay().get()

    entry = celery_app.conf.beat_schedule["detect-stuck-orders"]
    assert entry["task"] == DetectStuckOrders.name
    assert entry["schedule"] == settings.STUCK_ORDER_SCAN_INTERVAL_SECONDS
    assert result == {"stuck": {S.PRICE_CALCULATED: 1}, "redispatched": 0}


# --- the CRM's view of lost orders ---------------------------------------------------------

def test_crm_lists_stuck_orders_longest_stuck_first(api, customer, support, settings):
    first = submitted_order(api(customer), cube_stl(10))
    second = submitted_order(api(customer), cube_stl(12))
    Order.objects.filter(pk=first).update(status_changed_at=timezone.now() - timedelta(days=5))
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 86400}
    detect(days=2)

    response = api(support).get("/api/v1/crm/stuck-orders/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["id"] for row in results] == [first, second]
    assert [(row["status"], row["waiting_for"]) for row in results] == [(S.PRICE_CALCULATED, "crm")] * 2
    assert all(row["stuck_since"] and row["traces_url"] for row in results)


def test_crm_stuck_orders_filter_by_status(api, support, priced_order, settings):
    settings.STUCK_ORDER_DEADLINES_SECONDS = {"PRICE_CALCULATED": 0}
    detect(seconds=1)

    response = api(support).get("/api/v1/crm/stuck-orders/", {"status": S.SUBMITTED})

    assert response.json()["results"] == []


def test_customers_cannot_see_stuck_orders(api, customer):
    response = api(customer).get("/api/v1/crm/stuck-orders/")

    assert response.status_code == 403
    assert set(response.json()) >= {"code", "message"}
