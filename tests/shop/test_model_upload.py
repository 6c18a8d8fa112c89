"""Uploading a 3D model: accepted formats are recorded, bad files refused with a clear 4xx."""

import hashlib

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from shop.models import Order
from tests.flows import created_order, submitted_order, upload
from tests.mes.models_fixtures import two_vertex_facet_stl

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


@pytest.fixture
def new_order(api, customer):
    return created_order(api(customer))


def test_upload_records_name_format_size_and_checksum(api, customer, new_order):
    content = cube_stl(10)

    response = upload(api(customer), new_order, content, "My Ring.STL")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["model_file_name"], body["model_format"], body["model_size"]) == (
        S.FILE_UPLOADED, "My Ring.STL", "stl", len(content))
    assert body["model_sha256"] == hashlib.sha256(content).hexdigest()
    stored_key = Order.objects.get(pk=new_order).model_file.name
    assert "My Ring" not in stored_key  # storage keys carry ids only


@pytest.mark.parametrize(("name", "content", "code"), [
    ("ring.dwg", b"solid", "model_unsupported_format"),
    ("ring", b"solid", "model_unsupported_format"),
    ("ring.stl", b"", "model_empty"),
])
def test_bad_file_is_refused_and_order_unchanged(api, customer, new_order, name, content, code):
    response = upload(api(customer), new_order, content, name)

    assert response.status_code == 400
    assert response.json()["code"] == code
    order = Order.objects.get(pk=new_order)
    assert (order.status, order.model_file.name) == (S.INITIATED, "")


def test_file_over_the_limit_is_refused(api, customer, new_order, settings):
    settings.MODEL_UPLOAD_MAX_BYTES = 100

    response = upload(api(customer), new_order, cube_stl(10))

    assert response.status_code == 400
    assert response.json()["code"] == "model_too_big"


def test_missing_file_field_is_a_400_not_a_500(api, customer, new_order):
    response = api(customer).post(f"/api/v1/shop/orders/{new_order}/model/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_broken_model_ends_with_an_error_on_the_order_and_a_new_file_recovers_it(api, customer):
    shop = api(customer)
    order_id = submitted_order(shop, two_vertex_facet_stl())  # only pricing can tell it is broken

    refused = shop.get(f"/api/v1/shop/orders/{order_id}/").json()
    assert refused["status"] == S.SUBMITTED
    assert refused["error_code"].startswith("model_")

    assert upload(shop, order_id, cube_stl(10)).json()["status"] == S.FILE_UPLOADED
    assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    recovered = shop.get(f"/api/v1/shop/orders/{order_id}/").json()
    assert (recovered["status"], recovered["error_code"]) == (S.PRICE_CALCULATED, "")


def test_open_mesh_is_refused_as_not_watertight(api, customer):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))

    assert Order.objects.get(pk=order_id).error_code == "model_not_watertight"


def test_model_cannot_be_replaced_once_priced(api, customer):
    shop = api(customer)
    order_id = submitted_order(shop, cube_stl(10))

    response = upload(shop, order_id, cube_stl(12))

    assert response.status_code == 409
    assert response.json()["code"] == "model_locked"
