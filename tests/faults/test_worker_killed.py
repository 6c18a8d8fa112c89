"""A worker dies in the middle of pricing: RabbitMQ delivers the message again and the order is priced once.

To catch the worker mid-task, the model in storage is swapped for a named pipe: the
pricing child blocks opening it, after it has created the MES job. The test puts the
real file back and SIGKILLs the child; the redelivered message is priced by the next child.
"""

import os

import pytest

from jewelry.contracts import OrderPriced, PriceRequested
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob, MesOutbox
from shop.models import Order, OrderStatusChange, ShopOutbox
from tests.flows import created_order, upload
from tests.processes import celery_worker, process_env, publishing_to, purge_queues, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


def test_worker_killed_while_pricing_gets_the_message_again_and_prices_once(api, customer):
    purge_queues()
    shop = api(customer)
    with celery_worker(concurrency=1) as worker, publishing_to():
        order_id = created_order(shop)
        assert upload(shop, order_id, cube_stl(10)).status_code == 200
        model_path = Order.objects.get(pk=order_id).model_file.path
        os.replace(model_path, model_path + ".real")
        os.mkfifo(model_path)  # open() blocks here until a writer comes: none will

        assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
        wait_until(lambda: ManufacturingJob.objects.filter(order_id=order_id).exists(),
                   message=lambda: f"the pricing to start; worker log:\n{worker.log()}")
        os.replace(model_path + ".real", model_path)  # the blocked child still waits on the pipe
        killed = worker.kill_child()

        wait_until(lambda: Order.objects.filter(pk=order_id, status=S.PRICE_CALCULATED).exists(), timeout=60,
                   message=lambda: f"the order to be priced after the kill; worker log:\n{worker.log()}")
        log = worker.log()

    task_id = str(ShopOutbox.objects.get(order_id=order_id, task_name=PriceRequested.name).pk)
    assert f"pid:{killed} exited with 'signal 9 (SIGKILL)'" in log
    assert log.count(f"Task {PriceRequested.name}[{task_id}] received") == 2  # delivered, then redelivered
    assert OrderStatusChange.objects.filter(order_id=order_id, to_status=S.PRICE_CALCULATED).count() == 1
    assert MesOutbox.objects.filter(order_id=order_id, task_name=OrderPriced.name).count() == 1
    assert str(Order.objects.get(pk=order_id).price) == "1081.00"


def test_a_model_that_kills_every_worker_is_refused_after_the_crash_limit(api, customer):
    """Without a limit the message would come back forever and hold the pricing queue (prefetch 1)."""
    purge_queues()
    shop = api(customer)
    with celery_worker(concurrency=1, env=process_env(PRICING_CRASH_LIMIT=2)) as worker, publishing_to():
        order_id = created_order(shop)
        assert upload(shop, order_id, cube_stl(10)).status_code == 200
        model_path = Order.objects.get(pk=order_id).model_file.path
        os.replace(model_path, model_path + ".real")
        os.mkfifo(model_path)  # every pricing run blocks opening it, and is killed there

        assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
        for run in (1, 2):
            wait_until(lambda run=run: ManufacturingJob.objects.filter(
                order_id=order_id, unfinished_pricing_runs=run).exists(),
                timeout=60, message=lambda: f"pricing run {run} to start; worker log:\n{worker.log()}")
            worker.kill_child()

        wait_until(lambda: Order.objects.filter(pk=order_id, error_code="pricing_crashed").exists(), timeout=60,
                   message=lambda: f"the order to be refused; worker log:\n{worker.log()}")
        log = worker.log()

    task_id = str(ShopOutbox.objects.get(order_id=order_id, task_name=PriceRequested.name).pk)
    assert log.count(f"Task {PriceRequested.name}[{task_id}] received") == 3  # two deaths, then the refusal
    assert f"Task {PriceRequested.name}[{task_id}] succeeded" in log  # the third delivery ends it: acked
    order, job = Order.objects.get(pk=order_id), ManufacturingJob.objects.get(order_id=order_id)
    assert (order.status, order.price, job.unfinished_pricing_runs) == (S.SUBMITTED, None, 0)
    assert "stopped the MES worker 2 times" in order.error_message
