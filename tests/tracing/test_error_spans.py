"""Whatever fails, a crash or a domain failure, in a request or a task: the span says so with
error.type (the domain code or exception class), the message, an exception event and
status ERROR. A 4xx refusal is not a failure: its code goes under alexandrite.refusal.*
and the status stays unset. Successful work never carries error.type."""

import pytest
from opentelemetry.trace import StatusCode
from rest_framework.test import APIClient

from jewelry.contracts import OrderPriced, PriceRequested, PricingFailed
from jewelry.sample_models import cube_stl
from shop import services as shop_services
from shop.tasks import on_order_priced
from tests.flows import created_order, submitted_order
from tests.tracing.helpers import events, one, server_spans
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


def assert_failed(span, *, error_type: str, message: str, exception_type: str):
    assert span.attributes[A.ERROR_TYPE] == error_type
    assert span.attributes[A.ERROR_MESSAGE] == message
    assert span.status.status_code == StatusCode.ERROR
    assert message in span.status.description
    [exception] = events(span, "exception")
    assert exception["exception.type"].endswith(exception_type)
    assert exception["exception.message"] == message


def test_refused_request_carries_its_refusal_code_and_is_not_an_error(api, customer, spans):
    shop = api(customer)
    order_id = created_order(shop)
    spans.clear()

    response = shop.post(f"/api/v1/shop/orders/{order_id}/submit/")

    [span] = server_spans(spans.get_finished_spans())
    assert response.status_code == 409
    assert span.attributes[A.REFUSAL_CODE] == "illegal_transition"
    assert span.attributes[A.REFUSAL_MESSAGE] == ("An order in INITIATED cannot move to SUBMITTED: "
                                                  "first the customer must upload a model (FILE_UPLOADED).")
    assert A.ERROR_TYPE not in span.attributes
    assert span.status.status_code == StatusCode.UNSET
    assert events(span, "exception") == []


def test_crashing_request_is_an_error_named_by_its_exception_class(customer, monkeypatch, spans):
    def crash(**kwargs):
        raise RuntimeError("the order book is on fire")

    monkeypatch.setattr(shop_services, "create_order", crash)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(customer)

    response = client.post("/api/v1/shop/orders/", {"metal": "gold_18k"}, format="json")

    [span] = server_spans(spans.get_finished_spans())
    assert response.status_code == 500
    assert_failed(span, error_type="RuntimeError", exception_type="RuntimeError",
                  message="the order book is on fire")


def test_refused_pricing_is_an_error_on_the_mes_task_and_on_the_shop_consumer(api, customer, spans):
    submitted_order(api(customer), cube_stl(10, drop_triangles=2))  # an open shell: no volume to cast

    finished = spans.get_finished_spans()
    pricing, report = one(finished, f"run/{PriceRequested.name}"), one(finished, f"run/{PricingFailed.name}")
    message = pricing.attributes[A.ERROR_MESSAGE]
    assert_failed(pricing, error_type="model_not_watertight", exception_type="InvalidModelFile",
                  message=message)
    assert report.attributes[A.ERROR_TYPE] == "model_not_watertight"
    assert report.attributes[A.ERROR_MESSAGE] == message
    assert report.status.status_code == StatusCode.ERROR


def test_failing_task_is_an_error_with_its_domain_code(spans):
    on_order_priced.apply_async(kwargs={"order_id": 404_404, "price": "10.00"})

    task = one(spans.get_finished_spans(), f"run/{OrderPriced.name}")
    assert_failed(task, error_type="order_not_found", exception_type="OrderNotFound",
                  message="Order 404404 does not exist.")


def test_successful_work_carries_no_error_type(api, customer, spans):
    submitted_order(api(customer), cube_stl(10))

    finished = spans.get_finished_spans()
    assert finished
    assert [span.name for span in finished if A.ERROR_TYPE in span.attributes] == []
    assert [span.name for span in finished if span.status.status_code == StatusCode.ERROR] == []
