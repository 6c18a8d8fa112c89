"""Each status transition is an event at its recorded time, its history row keeps the trace id,
and the CRM and the admin link both that trace and the search for all of the order's traces."""

import html
import itertools
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from shop.models import Order, OrderStatusChange
from tests.flows import operator_steps, submitted_order
from tests.tracing.helpers import trace_id
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

JAEGER = "https://tracing.example.com/jaeger"


def shop_transition_events(finished, order_id: int) -> dict:
    """(from, to) -> (trace id, event) for the transitions the shop recorded."""
    found = {}
    for span in finished:
        for event in span.events:
            attributes = event.attributes
            if event.name == A.EVENT_TRANSITION and attributes[A.ORDER_ID] == order_id:
                key = (attributes[A.ORDER_PREVIOUS_STATUS], attributes[A.ORDER_STATUS], attributes[A.SYSTEM])
                found.setdefault(key, []).append((trace_id(span), event))
    return found


def shipped_order(api, customer, seller, operator) -> int:
    order_id = submitted_order(api(customer), cube_stl(10))
    api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")
    assert operator_steps(api(operator), order_id) == [200, 200, 200, 200]
    return order_id


def test_every_transition_is_an_event_at_its_recorded_time_in_the_trace_its_history_row_names(
        api, customer, seller, operator, spans):
    order_id = shipped_order(api, customer, seller, operator)

    events = shop_transition_events(spans.get_finished_spans(), order_id)

    history = list(OrderStatusChange.objects.filter(order_id=order_id))
    assert [row.to_status for row in history] == [
        S.FILE_UPLOADED, S.SUBMITTED, S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED,
        S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, S.PACKAGING, S.SHIPPED]
    for row in history:
        at_ns = int(row.at.timestamp() * 1e9)
        [event] = [event for tid, event in events[(row.from_status, row.to_status, row.system)]
                   if tid == row.trace_id and event.timestamp == at_ns]
        assert event.attributes[A.EVENT_TRANSITION_AT] == row.at.isoformat()
        assert list(event.attributes[A.USER_ROLES]) == [row.actor_role]
        assert event.attributes.get(A.USER_ID) == row.actor_id


def test_transition_events_carry_the_time_in_the_status_left_and_the_close_the_orders_age(
        api, customer, seller, operator, spans):
    order_id = shipped_order(api, customer, seller, operator)
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/close/").status_code == 200

    events = shop_transition_events(spans.get_finished_spans(), order_id)
    history = list(OrderStatusChange.objects.filter(order_id=order_id))
    def event_of(row):
        [event] = [event for _, event in events[(row.from_status, row.to_status, row.system)]
                   if event.attributes[A.TRANSITION_RECORD] == "order"]
        return event

    for left, row in itertools.pairwise(history):
        event = event_of(row)
        assert event.attributes[A.TRANSITION_STAGE_SECONDS] == pytest.approx((row.at - left.at).total_seconds())
        assert (A.TRANSITION_ORDER_SECONDS in event.attributes) == (row.to_status == S.CLOSED)
    closed = history[-1]
    event = event_of(closed)
    age = (closed.at - Order.objects.get(pk=order_id).created_at).total_seconds()
    assert event.attributes[A.TRANSITION_ORDER_SECONDS] == pytest.approx(age)


def test_a_move_names_the_system_of_whoever_made_it_in_the_order_and_in_the_mes_job_alike(
        api, customer, seller, operator, spans):
    order_id = shipped_order(api, customer, seller, operator)

    events = shop_transition_events(spans.get_finished_spans(), order_id)

    # MES moves the job (pricing, workshop steps) and the shop applies those moves to the order:
    # two events each, both "mes". The seller's approval reaches MES as a message: the job's
    # mirror of it is the seller's move too, "crm" in both, never "mes".
    assert len(events[(S.SUBMITTED, S.PRICE_CALCULATED, "mes")]) == 2
    assert len(events[(S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED, "mes")]) == 2
    assert len(events[(S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED, "crm")]) == 2
    assert (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED, "mes") not in events


def test_crm_links_each_transition_to_its_trace_and_the_order_to_a_search_of_its_traces(
        api, customer, seller, settings):
    settings.JAEGER_UI_URL = JAEGER
    order_id = submitted_order(api(customer), cube_stl(10))

    detail = api(seller).get(f"/api/v1/crm/orders/{order_id}/").json()

    assert len(detail["history"]) == 3
    for change in detail["history"]:
        assert len(change["trace_id"]) == 32
        assert change["trace_url"] == f"{JAEGER}/trace/{change['trace_id']}"
    search = urlsplit(detail["traces_url"])
    assert f"{search.scheme}://{search.netloc}{search.path}" == f"{JAEGER}/search"
    assert json.loads(parse_qs(search.query)["tags"][0]) == {A.ORDER_ID: str(order_id)}


def test_admin_order_page_links_to_the_transitions_traces_and_the_order_search(
        api, customer, admin_client, settings):
    settings.JAEGER_UI_URL = JAEGER
    order_id = submitted_order(api(customer), cube_stl(10))

    page = html.unescape(admin_client.get(f"/admin/shop/order/{order_id}/change/").content.decode())

    for row in OrderStatusChange.objects.filter(order_id=order_id):
        assert f'href="{JAEGER}/trace/{row.trace_id}"' in page
    assert f'href="{JAEGER}/search?' in page
