"""An order lives its whole life through the three HTTP APIs (eager tasks, both databases)."""

from decimal import Decimal

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob
from shop.models import Order

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

from tests.flows import created_order, operator_steps, submitted_order, upload  # noqa: E402


def test_order_goes_from_initiated_to_closed_and_every_step_is_recorded(api, customer, seller, operator):
    shop, crm, mes = api(customer), api(seller), api(operator)

    order_id = submitted_order(shop, cube_stl(10))

    priced = shop.get(f"/api/v1/shop/orders/{order_id}/").json()
    assert priced["status"] == S.PRICE_CALCULATED
    # 1 cm3 of 18k gold (15.5 g/cm3) at 62.00/g, plus 120.00 labour
    assert Decimal(priced["price"]) == Decimal("1081.00")

    assert crm.post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    queue = mes.get("/api/v1/mes/queue/").json()["results"]
    assert [item["order_id"] for item in queue] == [order_id]

    assert operator_steps(mes, order_id) == [200, 200, 200, 200]
    assert crm.post(f"/api/v1/crm/orders/{order_id}/close/").status_code == 200

    detail = crm.get(f"/api/v1/crm/orders/{order_id}/").json()
    assert detail["status"] == S.CLOSED
    moves = [(h["from_status"], h["to_status"], h["actor_role"], h["actor_id"], h["system"])
             for h in detail["history"]]
    assert moves == [
        (S.INITIATED, S.FILE_UPLOADED, "customer", customer.pk, "shop"),
        (S.FILE_UPLOADED, S.SUBMITTED, "customer", customer.pk, "shop"),
        (S.SUBMITTED, S.PRICE_CALCULATED, "mes-system", None, "mes"),
        (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED, "seller", seller.pk, "crm"),
        (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED, "operator", operator.pk, "mes"),
        (S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, "operator", operator.pk, "mes"),
        (S.MANUFACTURING_COMPLETED, S.PACKAGING, "operator", operator.pk, "mes"),
        (S.PACKAGING, S.SHIPPED, "operator", operator.pk, "mes"),
        (S.SHIPPED, S.CLOSED, "seller", seller.pk, "crm"),
    ]
    times = [h["at"] for h in detail["history"]]
    assert times == sorted(times)
    assert all(len(h["trace_id"]) == 32 for h in detail["history"])

    job = ManufacturingJob.objects.get(order_id=order_id)
    assert (job.stage, job.assignee_id) == (S.SHIPPED, operator.pk)
    assert job.volume_mm3 == pytest.approx(1000.0)
    assert Order.objects.get(pk=order_id).operator_id == operator.pk


def test_illegal_jump_is_refused_with_409_and_changes_nothing(api, customer, seller):
    shop = api(customer)
    order_id = created_order(shop)

    response = api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    order = Order.objects.get(pk=order_id)
    assert order.status == S.INITIATED
    assert order.history.count() == 0


def test_submit_without_model_is_refused_and_says_to_upload_one_first(api, customer):
    shop = api(customer)
    order_id = created_order(shop)

    response = shop.post(f"/api/v1/shop/orders/{order_id}/submit/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "illegal_transition",
        "message": "An order in INITIATED cannot move to SUBMITTED: first the customer must upload a model "
                   "(FILE_UPLOADED).",
    }


def test_approving_an_unsubmitted_order_is_refused_and_says_to_submit_it_first(api, customer, seller):
    order_id = created_order(api(customer))
    upload(api(customer), order_id, cube_stl(10))

    response = api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")

    assert response.status_code == 409
    assert response.json()["message"].endswith("first the customer must submit the order (SUBMITTED).")


def test_create_order_without_a_metal_is_refused_with_the_metals_to_choose_from(api, customer):
    for body in ({}, {"metal": None}, {"metal": ""}, {"metal": "unobtainium"}):
        response = api(customer).post("/api/v1/shop/orders/", body, format="json")

        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid_input"
        assert response.json()["message"] == (
            "metal: Name the metal: one of gold_18k, gold_14k, silver_925, platinum_950.")
    assert not Order.objects.exists()


def test_customer_never_sees_another_customers_order(api, customer, other_customer):
    order_id = submitted_order(api(customer), cube_stl(10))
    intruder = api(other_customer)

    assert intruder.get(f"/api/v1/shop/orders/{order_id}/").status_code == 404
    assert intruder.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 404
    assert intruder.get("/api/v1/shop/orders/").json()["results"] == []


def test_wrong_role_is_refused_with_403(api, customer, seller, operator):
    order_id = submitted_order(api(customer), cube_stl(10))

    by_customer = api(customer).post(f"/api/v1/crm/orders/{order_id}/approve/")
    by_operator = api(operator).post(f"/api/v1/crm/orders/{order_id}/approve/")
    by_seller = api(seller).post(f"/api/v1/mes/orders/{order_id}/take/")

    assert [by_customer.status_code, by_operator.status_code, by_seller.status_code] == [403, 403, 403]
    assert by_customer.json()["code"] == "permission_denied"
    assert Order.objects.get(pk=order_id).status == S.PRICE_CALCULATED


def test_anonymous_caller_gets_401_json(api):
    response = api(None).get("/api/v1/shop/orders/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_order_gives_404_everywhere(api, customer, seller, operator):
    assert api(customer).get("/api/v1/shop/orders/999999/").status_code == 404
    assert api(seller).get("/api/v1/crm/orders/999999/").status_code == 404
    assert api(seller).post("/api/v1/crm/orders/999999/approve/").status_code == 404
    assert api(operator).get("/api/v1/mes/orders/999999/").status_code == 404
    assert api(operator).post("/api/v1/mes/orders/999999/take/").json()["code"] == "order_not_found"
