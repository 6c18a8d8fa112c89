"""MES API: the operators' queue, the workshop steps, and B2B partners reading with an API key."""

import pytest
from rest_framework.test import APIClient

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ApiClient
from tests.flows import submitted_order

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


def _approved_order(api, customer, seller) -> int:
    order_id = submitted_order(api(customer), cube_stl(10))
    api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")
    return order_id


def test_queue_lists_approved_untaken_orders_oldest_first(api, customer, seller, operator):
    first, second = _approved_order(api, customer, seller), _approved_order(api, customer, seller)
    _priced_only = submitted_order(api(customer), cube_stl(10))
    api(operator).post(f"/api/v1/mes/orders/{first}/take/")
    third = _approved_order(api, customer, seller)

    page = api(operator).get("/api/v1/mes/queue/").json()

    assert [item["order_id"] for item in page["results"]] == [second, third]
    assert page["results"][0]["volume_mm3"] == pytest.approx(1000.0)


def test_only_the_assigned_operator_completes_the_job(api, customer, seller, make_user):
    order_id = _approved_order(api, customer, seller)
    taker, other = make_user("operator"), make_user("operator")
    api(taker).post(f"/api/v1/mes/orders/{order_id}/take/")

    refused = api(other).post(f"/api/v1/mes/orders/{order_id}/complete/")
    taken_again = api(other).post(f"/api/v1/mes/orders/{order_id}/take/")

    assert (refused.status_code, refused.json()["code"]) == (403, "not_your_job")
    assert (taken_again.status_code, taken_again.json()["code"]) == (409, "illegal_transition")


def test_only_the_assigned_operator_packs_and_ships_the_job(api, customer, seller, make_user):
    order_id = _approved_order(api, customer, seller)
    taker, other = make_user("operator"), make_user("operator")
    api(taker).post(f"/api/v1/mes/orders/{order_id}/take/")
    api(taker).post(f"/api/v1/mes/orders/{order_id}/complete/")

    packed_by_other = api(other).post(f"/api/v1/mes/orders/{order_id}/packaging/")
    packed = api(taker).post(f"/api/v1/mes/orders/{order_id}/packaging/")
    shipped_by_other = api(other).post(f"/api/v1/mes/orders/{order_id}/ship/")

    assert (packed_by_other.status_code, packed_by_other.json()["code"]) == (403, "not_your_job")
    assert (shipped_by_other.status_code, shipped_by_other.json()["code"]) == (403, "not_your_job")
    assert packed.status_code == 200
    assert api(taker).get(f"/api/v1/mes/orders/{order_id}/").json()["status"] == S.PACKAGING


def test_skipping_a_workshop_step_is_refused(api, customer, seller, operator):
    order_id = _approved_order(api, customer, seller)

    response = api(operator).post(f"/api/v1/mes/orders/{order_id}/ship/")

    assert response.status_code == 409
    assert api(operator).get(f"/api/v1/mes/orders/{order_id}/").json()["status"] == S.MANUFACTURING_APPROVED


def test_partner_with_api_key_reads_but_cannot_act(api, customer, seller):
    order_id = _approved_order(api, customer, seller)
    _, key = ApiClient.issue("partner")
    partner = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")

    view = partner.get(f"/api/v1/mes/orders/{order_id}/")
    take = partner.post(f"/api/v1/mes/orders/{order_id}/take/")

    assert view.status_code == 200
    assert view.json()["bbox_mm"] == [10.0, 10.0, 10.0]
    assert take.status_code == 403


def test_wrong_or_revoked_api_key_gets_401(api):
    client, key = ApiClient.issue("revoked")
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)

    revoked = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/mes/queue/")
    forged = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key.split('.')[0]}.forged").get("/api/v1/mes/queue/")

    assert (revoked.status_code, forged.status_code) == (401, 401)
    assert revoked.json()["code"] == "authentication_failed"
