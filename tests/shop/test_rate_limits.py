"""One customer cannot flood orders or uploads (finding 4): past the rate, 429 with Retry-After.

Before the limit 400 orders came through in 2.2 s from one session. The limits are per
customer: another customer, and reading, are not held back.
"""

import pytest
from django.conf import settings

from jewelry.sample_models import cube_stl
from shop.models import Order
from tests.flows import created_order, upload

pytestmark = pytest.mark.django_db(databases=["default", "mes"])


def allowed(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "throttled" and body["message"]
    assert int(response["Retry-After"]) >= 1


def test_creating_orders_past_the_rate_is_429_for_that_customer_only(api, customer, other_customer):
    client = api(customer)
    for _ in range(allowed("order_creation")):
        created_order(client)

    refused = client.post("/api/v1/shop/orders/", {"metal": "gold_18k"}, format="json")

    assert_throttled(refused)
    assert Order.objects.filter(customer_id=customer.pk).count() == allowed("order_creation")
    assert client.get("/api/v1/shop/orders/").status_code == 200  # reading is not limited
    assert api(other_customer).post("/api/v1/shop/orders/", {"metal": "gold_18k"},
                                    format="json").status_code == 201


def test_uploading_models_past_the_rate_is_429(api, customer):
    client = api(customer)
    order_id = created_order(client)
    for _ in range(allowed("model_upload")):
        assert upload(client, order_id, cube_stl(10)).status_code == 200

    assert_throttled(upload(client, order_id, cube_stl(10)))
