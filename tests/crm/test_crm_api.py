"""CRM: sellers and support find orders, read the full history with trace links, annotate, cancel."""

import pytest
from django.test import Client

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from tests.flows import created_order, submitted_order

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


def test_orders_filter_by_status_and_customer(api, customer, other_customer, seller):
    priced = submitted_order(api(customer), cube_stl(10))
    fresh = created_order(api(other_customer))
    crm = api(seller)

    by_status = crm.get("/api/v1/crm/orders/", {"status": S.PRICE_CALCULATED}).json()["results"]
    by_customer = crm.get("/api/v1/crm/orders/", {"customer": other_customer.pk}).json()["results"]

    assert [o["id"] for o in by_status] == [priced]
    assert [o["id"] for o in by_customer] == [fresh]
    assert crm.get("/api/v1/crm/orders/", {"status": "NOPE"}).status_code == 400
    assert crm.get("/api/v1/crm/orders/", {"created_after": "not-a-date"}).status_code == 400


def test_detail_links_each_transition_to_its_trace_in_jaeger(api, customer, support, settings):
    settings.JAEGER_UI_URL = "https://tracing.example/jaeger"
    order_id = submitted_order(api(customer), cube_stl(10))

    detail = api(support).get(f"/api/v1/crm/orders/{order_id}/").json()

    first = detail["history"][0]
    assert first["trace_url"] == f"https://tracing.example/jaeger/trace/{first['trace_id']}"
    assert detail["traces_url"].startswith("https://tracing.example/jaeger/search?service=")
    assert "order.id" in detail["traces_url"] and str(order_id) in detail["traces_url"]


def test_seller_adds_a_note_and_support_reads_it(api, customer, seller, support):
    order_id = submitted_order(api(customer), cube_stl(10))

    created = api(seller).post(f"/api/v1/crm/orders/{order_id}/notes/", {"text": "Customer called"},
                               format="json")
    blank = api(seller).post(f"/api/v1/crm/orders/{order_id}/notes/", {"text": "   "}, format="json")

    assert created.status_code == 201
    assert blank.status_code == 400
    notes = api(support).get(f"/api/v1/crm/orders/{order_id}/").json()["notes"]
    assert [n["text"] for n in notes] == ["Customer called"]


def test_seller_cancels_a_priced_order_but_not_a_started_one(api, customer, seller, operator):
    cancelled = submitted_order(api(customer), cube_stl(10))
    started = submitted_order(api(customer), cube_stl(10))
    api(seller).post(f"/api/v1/crm/orders/{started}/approve/")
    api(operator).post(f"/api/v1/mes/orders/{started}/take/")

    assert api(seller).post(f"/api/v1/crm/orders/{cancelled}/cancel/").json()["status"] == S.CANCELLED
    refused = api(seller).post(f"/api/v1/crm/orders/{started}/cancel/")
    assert (refused.status_code, refused.json()["code"]) == (409, "illegal_transition")


def test_support_may_read_but_not_approve(api, customer, support):
    order_id = submitted_order(api(customer), cube_stl(10))

    assert api(support).get(f"/api/v1/crm/orders/{order_id}/").status_code == 200
    assert api(support).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 403


def test_support_may_not_add_notes(api, customer, support):
    order_id = submitted_order(api(customer), cube_stl(10))

    refused = api(support).post(f"/api/v1/crm/orders/{order_id}/notes/", {"text": "hello"}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert api(support).get(f"/api/v1/crm/orders/{order_id}/").json()["notes"] == []


def test_cancelling_an_order_mes_never_saw_sends_mes_nothing(api, customer, seller, operator):
    order_id = created_order(api(customer))

    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/cancel/").json()["status"] == S.CANCELLED

    detail = api(seller).get(f"/api/v1/crm/orders/{order_id}/").json()
    assert detail["status"] == S.CANCELLED
    assert api(operator).get(f"/api/v1/mes/orders/{order_id}/").status_code == 404


def test_cancelling_a_priced_order_cancels_its_mes_job(api, customer, seller, operator):
    order_id = submitted_order(api(customer), cube_stl(10))

    api(seller).post(f"/api/v1/crm/orders/{order_id}/cancel/")

    assert api(operator).get(f"/api/v1/mes/orders/{order_id}/").json()["status"] == S.CANCELLED


def test_without_a_jaeger_ui_every_trace_link_opens_the_support_console(api, customer, support, settings,
                                                                       admin_client):
    settings.JAEGER_UI_URL = ""
    order_id = submitted_order(api(customer), cube_stl(10))

    detail = api(support).get(f"/api/v1/crm/orders/{order_id}/").json()
    first = detail["history"][0]
    console = Client()
    console.force_login(support)
    opened = console.get(first["trace_url"])
    journey = console.get(detail["traces_url"]).content.decode()
    admin_page = admin_client.get(f"/admin/shop/order/{order_id}/change/").content.decode()

    assert first["trace_url"] == f"/support/?by=trace&find={first['trace_id']}"
    assert opened["Location"] == f"/support/orders/{order_id}/#trace-{first['trace_id']}"
    assert detail["traces_url"] == f"/support/orders/{order_id}/"
    assert f'id="trace-{first["trace_id"]}"' in journey and "Open in Jaeger" not in journey
    assert f'href="/support/?by=trace&amp;find={first["trace_id"]}"' in admin_page
    assert f'href="/support/orders/{order_id}/"' in admin_page and "Search Jaeger" not in admin_page
