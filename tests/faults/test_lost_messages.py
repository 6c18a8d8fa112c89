"""Messages really lost on RabbitMQ are found by the stuck-order detector and sent again.

MES prices an order, its answer to the shop is purged from the queue (the way a
deleted queue or a broker restart without persistence loses it), and the detector
(the service behind the beat task) tells MES the order is stuck; a real MES worker
finds its lost answer and sends it again, and a real shop worker records the price.
Also: the traffic generator drives orders through a live server and real workers.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jewelry.contracts import CheckStuckOrders, OrderPriced
from jewelry.lifecycle import OrderStatus as S
from jewelry.messaging import SHOP_QUEUE
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob, MesOutbox
from shop import stuck_orders
from shop.models import Order, OrderStatusChange
from tests.flows import submitted_order
from tests.processes import celery_worker, publishing_to, purge_queues, queue_depth, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


def test_price_lost_between_mes_and_the_shop_is_sent_again_and_recorded(api, customer):
    purge_queues()
    with publishing_to():
        with celery_worker(queues=("mes.orders", "mes.pricing")) as mes_worker:
            order_id = submitted_order(api(customer), cube_stl(10))
            priced_in_mes = ManufacturingJob.objects.filter(order_id=order_id, stage=S.PRICE_CALCULATED)
            wait_until(priced_in_mes.exists, message=lambda: f"MES to price; log:\n{mes_worker.log()}")
            wait_until(lambda: queue_depth(SHOP_QUEUE) == 1, message="MES's answer on the shop queue")
        assert purge_queues()[SHOP_QUEUE] == 1  # the answer is gone
        assert Order.objects.get(pk=order_id).status == S.SUBMITTED

        scan = stuck_orders.detect_stuck_orders(now=timezone.now() + timedelta(minutes=20))

        assert scan.redispatched == {}  # the shop's side lost nothing: the answer is MES's to send
        assert Order.objects.get(pk=order_id).stuck_since is not None
        with celery_worker(queues=("mes.orders", "mes.pricing", "shop.events")) as worker:
            order = wait_until(lambda: Order.objects.filter(pk=order_id, status=S.PRICE_CALCULATED).first(),
                               message=lambda: f"the shop to record the price; log:\n{worker.log()}")
            worker_log = worker.log()
    assert (str(order.price), order.stuck_since) == ("1081.00", None)
    assert OrderStatusChange.objects.filter(order_id=order_id, to_status=S.PRICE_CALCULATED).count() == 1
    [answer] = MesOutbox.objects.filter(order_id=order_id, task_name=OrderPriced.name)
    assert answer.attempts == 2  # sent at pricing, and again by MES's side of the detector
    assert CheckStuckOrders.name in worker_log


def test_traffic_generator_drives_orders_through_real_workers(live_server):
    purge_queues()
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    with publishing_to(), celery_worker(concurrency=2) as worker:
        call_command("simulate_orders", base_url=live_server.url, orders=6, failure_share=0.5, seed=7,
                     timeout=60, no_progress=True, stdout=out)
        worker_log = worker.log()

    report = out.getvalue()
    assert "Still waiting" not in report, f"{report}\nworker log:\n{worker_log[-4000:]}"
    assert set(Order.objects.values_list("status", flat=True)) <= {S.CLOSED, S.CANCELLED}, report
    assert re.search(rf"{S.CLOSED}\s+\d", report), report
