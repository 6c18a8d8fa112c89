"""Models MES cannot price end as an error on the order, recorded once, never retried."""

import pytest
from django.core.files.storage import default_storage

from jewelry.contracts import PriceRequested
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from shop.models import Order
from tests.flows import submitted_order, upload
from tests.mes.models_fixtures import two_vertex_facet_stl
from tests.queue.support import price_request_id, task_log_count, wait_for_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


def submitted_order_without_its_file(client) -> int:
    order_id = client.post("/api/v1/shop/orders/", {"metal": "gold_18k"}, format="json").json()["id"]
    assert upload(client, order_id, cube_stl(10)).status_code == 200
    default_storage.delete(Order.objects.get(pk=order_id).model_file.name)
    assert client.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    return order_id


def test_unpriceable_models_end_with_an_error_on_the_order_after_one_attempt(
        api, customer, seller, operator, worker):
    shop = api(customer)
    garbage = submitted_order(shop, two_vertex_facet_stl(), name="ring.stl")  # passes the upload check
    missing = submitted_order_without_its_file(shop)

    for order_id, code in ((garbage, "model_unreadable"), (missing, "model_missing")):
        order = wait_for_order(worker, order_id, error_code=code)
        assert (order.status, order.error_code, order.price) == (S.SUBMITTED, code, None)
        crm = api(seller).get(f"/api/v1/crm/orders/{order_id}/").json()
        assert (crm["status"], crm["error_code"]) == (S.SUBMITTED, code)
        assert crm["error_message"]
        mes = api(operator).get(f"/api/v1/mes/orders/{order_id}/").json()
        assert (mes["status"], mes["error_code"]) == (S.SUBMITTED, code)
        task_id = price_request_id(order_id)
        assert task_log_count(worker, PriceRequested.name, task_id, "received") == 1
        assert task_log_count(worker, PriceRequested.name, task_id, "retry") == 0
