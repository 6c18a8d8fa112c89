"""Pricing failures over the real queue: bad data is recorded on the order once, storage hiccups are retried."""

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from mes.models import ManufacturingJob
from shop.lifecycle import OrderStatus as S
from shop.models import Order, ShopOutbox
from tests.factories import cube_stl
from tests.flows import submitted_order, upload
from tests.processes import celery_worker, process_env, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


def price_request_id(order_id: int) -> str:
    return str(ShopOutbox.objects.get(order_id=order_id, task_name="mes.price_order").id)


def wait_for_error(order_id: int, worker) -> Order:
    return wait_until(lambda: Order.objects.filter(pk=order_id).exclude(error_code="").first(),
                      message=lambda: f"an error on order {order_id}; worker log:\n{worker.log()}")


def submitted_order_without_its_file(client) -> int:
    order_id = client.post("/api/v1/shop/orders/", {"metal": "gold_18k"}, format="json").json()["id"]
    assert upload(client, order_id, cube_stl(10)).status_code == 200
    default_storage.delete(Order.objects.get(pk=order_id).model_file.name)
    assert client.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    return order_id


def test_unpriceable_models_end_with_an_error_on_the_order_after_one_attempt(
        api, customer, seller, operator, worker):
    shop = api(customer)
    garbage = submitted_order(shop, b"\x00\x13 this is not a mesh \xff" * 40, name="ring.stl")
    missing = submitted_order_without_its_file(shop)

    for order_id, code in ((garbage, "model_unreadable"), (missing, "model_missing")):
        order = wait_for_error(order_id, worker)
        assert (order.status, order.error_code, order.price) == (S.SUBMITTED, code, None)
        crm = api(seller).get(f"/api/v1/crm/orders/{order_id}/").json()
        assert (crm["status"], crm["error_code"]) == (S.SUBMITTED, code)
        assert crm["error_message"]
        mes = api(operator).get(f"/api/v1/mes/orders/{order_id}/").json()
        assert (mes["status"], mes["error_code"]) == (S.SUBMITTED, code)
        log = worker.log()
        assert log.count(f"Task mes.price_order[{price_request_id(order_id)}] received") == 1
    assert "retry" not in worker.log().lower()


def test_storage_failure_is_retried_with_backoff_until_the_order_is_priced(api, customer, broker, tmp_path):
    # The worker reads models through a mount point that is down at first (ENOTDIR, not ENOENT).
    mount, down = tmp_path / "models-mount", tmp_path / "mount-is-down"
    down.write_text("")
    mount.symlink_to(down)

    with celery_worker(env=process_env(MEDIA_ROOT=mount)) as worker:
        order_id = submitted_order(api(customer), cube_stl(10))
        first_retry = f"Task mes.price_order[{price_request_id(order_id)}] retry: Retry in 2s"
        wait_until(lambda: first_retry in worker.log(),
                   message=lambda: f"the first retry; worker log:\n{worker.log()}")
        mount.unlink()
        mount.symlink_to(settings.MEDIA_ROOT)  # the mount is back
        order = wait_until(lambda: Order.objects.filter(pk=order_id, status=S.PRICE_CALCULATED).first(),
                           message=lambda: f"the retried pricing; worker log:\n{worker.log()}")

    assert (str(order.price), order.error_code) == ("1081.00", "")
    assert order.history.filter(to_status=S.PRICE_CALCULATED).count() == 1
    assert ManufacturingJob.objects.get(order_id=order_id).error_code == ""
