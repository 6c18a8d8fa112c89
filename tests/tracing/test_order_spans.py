"""Every span about an order names it, its status before and after, its customer and operator,
and the caller by id and roles; tracing adds no database work to get there."""

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from jewelry.contracts import ManufacturingProgressed
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ApiClient
from tests.flows import submitted_order
from tests.tracing.helpers import one, server_spans
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

SUBMIT = "POST api/v1/shop/orders/<id:order_id>/submit/"
TAKE = "POST api/v1/mes/orders/<id:order_id>/take/"
SHOP_ORDER = "GET api/v1/shop/orders/<id:order_id>/"
TRACING_MIDDLEWARE = ("opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware",
                      "tracing.middleware.OrderSpanMiddleware")


def approved_order(api, customer, seller) -> int:
    order_id = submitted_order(api(customer), cube_stl(10))
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    return order_id


def test_transition_span_carries_order_status_before_and_after_and_the_customer(api, customer, spans):
    order_id = submitted_order(api(customer), cube_stl(10))

    submit = one(spans.get_finished_spans(), SUBMIT)

    assert {key: submit.attributes.get(key) for key in (
        A.ORDER_ID, A.ORDER_PREVIOUS_STATUS, A.ORDER_STATUS, A.ORDER_CUSTOMER_ID, A.SYSTEM)} == {
        A.ORDER_ID: order_id,
        A.ORDER_PREVIOUS_STATUS: S.FILE_UPLOADED,
        A.ORDER_STATUS: S.SUBMITTED,
        A.ORDER_CUSTOMER_ID: customer.pk,
        A.SYSTEM: "shop",
    }


def test_operator_step_span_carries_the_operator_and_the_caller(api, customer, seller, operator, spans):
    order_id = approved_order(api, customer, seller)
    spans.clear()

    api(operator).post(f"/api/v1/mes/orders/{order_id}/take/")

    finished = spans.get_finished_spans()
    take, shop_follows = one(finished, TAKE), one(finished, f"run/{ManufacturingProgressed.name}")
    assert take.attributes[A.ORDER_OPERATOR_ID] == operator.pk
    assert shop_follows.attributes[A.ORDER_OPERATOR_ID] == operator.pk  # set by this very transition
    assert (take.attributes[A.ORDER_PREVIOUS_STATUS], take.attributes[A.ORDER_STATUS]) == (
        S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED)
    assert take.attributes[A.USER_ID] == operator.pk
    assert list(take.attributes[A.USER_ROLES]) == ["operator"]
    assert take.attributes[A.SYSTEM] == "mes"


def test_request_about_an_order_carries_its_id_even_when_refused(api, customer, other_customer, spans):
    order_id = submitted_order(api(customer), cube_stl(10))
    spans.clear()

    response = api(other_customer).get(f"/api/v1/shop/orders/{order_id}/")

    span = one(spans.get_finished_spans(), SHOP_ORDER)
    assert response.status_code == 404
    assert (span.attributes[A.ORDER_ID], span.attributes[A.USER_ID]) == (order_id, other_customer.pk)


def test_session_login_caller_lands_on_the_server_span_with_roles(client, seller, spans):
    client.force_login(seller)

    assert client.get("/api/v1/crm/orders/").status_code == 200

    [span] = server_spans(spans.get_finished_spans())
    assert (span.attributes[A.USER_ID], list(span.attributes[A.USER_ROLES])) == (seller.pk, ["seller"])


def test_b2b_partner_is_named_by_its_api_client_id_not_as_a_user(spans):
    partner, key = ApiClient.issue("partner")

    APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/mes/queue/")

    [span] = server_spans(spans.get_finished_spans())
    assert span.attributes[A.API_CLIENT_ID] == partner.pk
    assert A.USER_ID not in span.attributes
    assert list(span.attributes[A.USER_ROLES]) == ["api-client"]


def test_anonymous_caller_leaves_no_user_on_the_span(spans):
    APIClient().get("/api/v1/shop/orders/")

    [span] = server_spans(spans.get_finished_spans())
    assert A.USER_ID not in span.attributes and A.USER_ROLES not in span.attributes


def _queries(client, path: str) -> list[str]:
    with CaptureQueriesContext(connections["default"]) as shop, \
            CaptureQueriesContext(connections["mes"]) as mes:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in (*shop.captured_queries, *mes.captured_queries)]


def test_tracing_adds_no_database_queries_to_a_request(api, customer, seller, settings, spans):
    order_id = submitted_order(api(customer), cube_stl(10))
    path = f"/api/v1/crm/orders/{order_id}/"

    # A fresh user object per request: roles are cached on the object after one lookup.
    traced = _queries(api(User.objects.get(pk=seller.pk)), path)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in TRACING_MIDDLEWARE]
    untraced = _queries(api(User.objects.get(pk=seller.pk)), path)

    assert traced == untraced
    traced_span = one(spans.get_finished_spans(), "GET api/v1/crm/orders/<id:order_id>/")
    assert traced_span.attributes[A.USER_ID] == seller.pk
