"""What a customer's models take in storage: one file per order, deleted when replaced, and a bound per customer.

Also the cheap check at upload: a file that cannot be a model is refused before it is stored.
"""

from pathlib import Path

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl, obj_cube, three_mf_cube
from shop.models import Order
from tests.flows import created_order, upload
from tests.mes.models_fixtures import component_bomb_3mf, zip_bomb_3mf

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


def stored_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def new_order(client) -> int:
    return created_order(client)


def test_uploading_three_times_to_one_order_keeps_only_the_last_file(api, customer, settings):
    shop = api(customer)
    order_id = new_order(shop)

    for size in (10, 11, 12):
        assert upload(shop, order_id, cube_stl(size)).status_code == 200

    order = Order.objects.get(pk=order_id)
    assert stored_files(settings) == [Path(order.model_file.path)]
    assert Path(order.model_file.path).read_bytes() == cube_stl(12)


def test_a_model_refused_by_pricing_is_deleted_when_the_customer_replaces_it(api, customer, settings):
    shop = api(customer)
    order_id = new_order(shop)
    assert upload(shop, order_id, cube_stl(10, drop_triangles=1)).status_code == 200
    assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    assert Order.objects.get(pk=order_id).error_code == "model_not_watertight"

    assert upload(shop, order_id, cube_stl(10)).status_code == 200

    order = Order.objects.get(pk=order_id)
    assert stored_files(settings) == [Path(order.model_file.path)]


def test_upload_past_the_customer_storage_bound_is_refused_and_nothing_changes(
        api, customer, other_customer, settings):
    model = cube_stl(10)  # 684 bytes
    settings.MODEL_STORAGE_PER_CUSTOMER_BYTES = 2 * len(model)
    shop = api(customer)
    first, second, third = new_order(shop), new_order(shop), new_order(shop)
    assert upload(shop, first, model).status_code == 200
    assert upload(shop, second, model).status_code == 200
    assert upload(shop, second, cube_stl(10)).status_code == 200  # a replacement frees its own file
    files_before = stored_files(settings)
    third_before = Order.objects.filter(pk=third).values().get()

    response = upload(shop, third, model)

    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "model_storage_full" and body["message"]
    assert stored_files(settings) == files_before
    assert Order.objects.filter(pk=third).values().get() == third_before
    assert upload(api(other_customer), new_order(api(other_customer)), model).status_code == 200  # per customer


@pytest.mark.parametrize(("name", "content", "code"), [
    ("ring.3mf", zip_bomb_3mf(), "model_too_complex"),
    ("ring.stl", b"\x00" * 84 + b"\x01", "model_unreadable"),  # binary STL whose size and count disagree
    ("ring.stl", b"x" * 80 + (0).to_bytes(4, "little"), "model_empty"),  # binary STL of no triangles
    ("ring.obj", b"v 0 0 0\nv 1 0 0\n\x00f 1 2 3\n", "model_unreadable"),
])
def test_file_that_cannot_be_a_model_is_refused_at_upload_and_nothing_is_stored(
        api, customer, settings, name, content, code):
    shop = api(customer)
    order_id = new_order(shop)

    response = upload(shop, order_id, content, name)

    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["message"]
    assert stored_files(settings) == []
    assert Order.objects.get(pk=order_id).status == S.INITIATED


@pytest.mark.parametrize(("name", "content"), [
    ("ring.stl", cube_stl(10)), ("ring.obj", obj_cube(10)), ("ring.3mf", three_mf_cube(10)),
    ("ring.3mf", component_bomb_3mf(10)),  # a sound zip: only MES can count what it expands to
])
def test_sound_files_of_each_format_pass_the_upload_check(api, customer, name, content):
    shop = api(customer)

    assert upload(shop, new_order(shop), content, name).status_code == 200
