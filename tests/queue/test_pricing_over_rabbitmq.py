"""Shop submits, MES prices, the shop records the price: over RabbitMQ, with a real Celery worker."""

from decimal import Decimal

import pytest
import requests

from jewelry import outbox
from jewelry.contracts import CONTRACTS, OrderPriced, PriceRequested
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob, MesOutbox
from shop.models import Order, ShopOutbox
from tests.flows import submitted_order
from tests.processes import gunicorn_server, wait_until
from tests.queue.support import task_log_count, wait_for_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

# What a message may carry: ids, the metal, the storage key, a status, a price, an error.
ALLOWED_PAYLOAD_FIELDS = {"order_id", "customer_id", "seller_id", "operator_id", "metal", "model_key", "model_format",
                          "status", "price", "error_code", "error_message", "submission"}


def test_submitted_order_is_priced_by_the_worker_from_the_model_volume(api, customer, worker):
    order_id = submitted_order(api(customer), cube_stl(10), metal="gold_18k")

    order = wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    # 10 mm cube = 1 cm3 of 18k gold (15.5 g/cm3) at 62.00/g, plus 120.00 labour
    assert order.price == Decimal("1081.00")
    job = ManufacturingJob.objects.get(order_id=order_id)
    assert (job.stage, job.price) == (S.PRICE_CALCULATED, Decimal("1081.00"))
    assert job.volume_mm3 == pytest.approx(1000.0)
    assert (job.triangle_count, job.is_watertight) == (12, True)
    priced = order.history.get(to_status=S.PRICE_CALCULATED)
    assert (priced.from_status, priced.system, priced.actor_role) == (S.SUBMITTED, "mes", "mes-system")
    assert not ShopOutbox.objects.filter(sent_at__isnull=True).exists()
    assert not MesOutbox.objects.filter(sent_at__isnull=True).exists()


def test_order_submitted_to_gunicorn_is_priced_by_the_worker(customer, worker):
    with gunicorn_server(workers=1) as server:
        session = requests.Session()
        session.auth = (customer.username, "pw-for-tests")
        order_id = session.post(f"{server.url}/api/v1/shop/orders/", json={"metal": "gold_18k"}).json()["id"]
        uploaded = session.post(f"{server.url}/api/v1/shop/orders/{order_id}/model/",
                                files={"file": ("ring.stl", cube_stl(10))})
        submitted = session.post(f"{server.url}/api/v1/shop/orders/{order_id}/submit/")
        assert (uploaded.status_code, submitted.status_code) == (200, 202)

        wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)
        shown = session.get(f"{server.url}/api/v1/shop/orders/{order_id}/").json()

    assert (shown["status"], shown["price"]) == (S.PRICE_CALCULATED, "1081.00")


def test_worker_acknowledges_late_and_prefetches_one_message(worker, broker):
    inspect = broker.control.inspect([worker.name], timeout=5)

    conf, stats = inspect.conf()[worker.name], inspect.stats()[worker.name]

    assert (conf["CELERY_TASK_ACKS_LATE"], conf["CELERY_TASK_REJECT_ON_WORKER_LOST"]) == (True, True)
    assert conf["CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS"] is True
    assert stats["prefetch_count"] == 1  # one worker process, multiplier 1
    for task_name in CONTRACTS.keys() & broker.tasks.keys():
        task = broker.tasks[task_name]
        assert (task_name, task.acks_late, task.reject_on_worker_lost) == (task_name, True, True)


def test_messages_of_a_whole_pricing_carry_only_allowed_fields(api, customer, worker):
    order_id = submitted_order(api(customer), cube_stl(10))
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    payloads = [row.payload for model in (ShopOutbox, MesOutbox) for row in model.objects.all()]

    assert {row.task_name for model in (ShopOutbox, MesOutbox) for row in model.objects.all()} == {
        PriceRequested.name, OrderPriced.name}
    assert all(set(payload) <= ALLOWED_PAYLOAD_FIELDS for payload in payloads), payloads


def test_redelivered_messages_change_nothing_twice(api, customer, seller, worker):
    order_id = submitted_order(api(customer), cube_stl(10))
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)
    price_request = ShopOutbox.objects.get(order_id=order_id, task_name=PriceRequested.name)
    price_report = MesOutbox.objects.get(order_id=order_id, task_name=OrderPriced.name)

    # The broker delivers both messages again (same message id, same body).
    assert outbox.dispatch(price_request) and outbox.dispatch(price_report)
    for task_name, row in ((PriceRequested.name, price_request), (OrderPriced.name, price_report)):
        wait_until(lambda: task_log_count(worker, task_name, str(row.id), "succeeded") == 2,
                   message=lambda: f"the redelivered {task_name} to run; worker log:\n{worker.log()}")

    order = Order.objects.get(pk=order_id)
    assert (order.status, order.price) == (S.PRICE_CALCULATED, Decimal("1081.00"))
    assert order.history.filter(to_status=S.PRICE_CALCULATED).count() == 1
    assert ManufacturingJob.objects.filter(order_id=order_id).count() == 1
    assert MesOutbox.objects.filter(order_id=order_id).count() == 1  # MES did not report twice

    # A late redelivery of the price does not pull an approved order back.
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    wait_until(lambda: ManufacturingJob.objects.filter(order_id=order_id,
                                                       stage=S.MANUFACTURING_APPROVED).exists(),
               message=lambda: f"MES to accept the approval; worker log:\n{worker.log()}")
    assert outbox.dispatch(price_report)
    wait_until(lambda: task_log_count(worker, OrderPriced.name, str(price_report.id), "succeeded") == 3,
               message=lambda: f"the third {OrderPriced.name} to run; worker log:\n{worker.log()}")
    assert Order.objects.get(pk=order_id).status == S.MANUFACTURING_APPROVED
