"""RabbitMQ goes away while customers submit orders: nothing is lost and nobody has to step in.

Real gunicorn, real worker, real beat, real PostgreSQL and RabbitMQ; every process
reaches the broker through a TCP proxy the test cuts (connections refused and
dropped) and restores.
"""

import pytest
import requests

from jewelry.lifecycle import OrderStatus as S
from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from shop.models import Order, OrderStatusChange, ShopOutbox
from tests.faults.tcp_proxy import TcpProxy
from tests.processes import (
    broker_url,
    celery_beat,
    celery_worker,
    gunicorn_server,
    process_env,
    purge_queues,
    wait_until,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

ORDERS = 5
# A request that waited this long for a dead broker would be a failure of its own.
HTTP_TIMEOUT = 10


def submit_over_http(session: requests.Session, base_url: str, model: bytes) -> int:
    created = session.post(f"{base_url}/api/v1/shop/orders/", json={"metal": "gold_18k"},
                           timeout=HTTP_TIMEOUT)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    uploaded = session.post(f"{base_url}/api/v1/shop/orders/{order_id}/model/",
                            files={"file": ("ring.stl", model)}, timeout=HTTP_TIMEOUT)
    assert uploaded.status_code == 200, uploaded.text
    submitted = session.post(f"{base_url}/api/v1/shop/orders/{order_id}/submit/", timeout=HTTP_TIMEOUT)
    assert submitted.status_code == 202, submitted.text
    return order_id


def test_orders_submitted_while_the_broker_is_down_are_all_priced_once_it_is_back(make_user):
    customer = make_user(Role.CUSTOMER)
    session = requests.Session()
    session.auth = (customer.username, "pw-for-tests")
    purge_queues()
    with TcpProxy.to_url(broker_url()) as proxy:
        env = process_env(CELERY_BROKER_URL=proxy.url(broker_url()), OUTBOX_RELAY_INTERVAL_SECONDS=1,
                          OUTBOX_RELAY_GRACE_SECONDS=1)
        with gunicorn_server(env=env) as web, celery_worker(env=env) as worker, celery_beat(env=env) as beat:
            proxy.cut()

            order_ids = [submit_over_http(session, web.url, cube_stl(8 + n)) for n in range(ORDERS)]

            # Every order is persisted, its message waits in the outbox, and the API still answers.
            assert Order.objects.filter(pk__in=order_ids, status=S.SUBMITTED).count() == ORDERS
            pending = ShopOutbox.objects.filter(order_id__in=order_ids, sent_at__isnull=True)
            assert pending.count() == ORDERS
            listed = session.get(f"{web.url}/api/v1/shop/orders/", timeout=HTTP_TIMEOUT)
            assert (listed.status_code, listed.json()["count"]) == (200, ORDERS)

            proxy.restore()

            wait_until(
                lambda: Order.objects.filter(pk__in=order_ids, status=S.PRICE_CALCULATED).count() == ORDERS,
                timeout=90, interval=0.5,
                message=lambda: (f"all orders priced; worker log:\n{worker.log()[-4000:]}\n"
                                 f"beat log:\n{beat.log()[-2000:]}"),
            )
    priced = OrderStatusChange.objects.filter(order_id__in=order_ids, to_status=S.PRICE_CALCULATED)
    assert sorted(priced.values_list("order_id", flat=True)) == sorted(order_ids)  # each exactly once
    assert not ShopOutbox.objects.filter(order_id__in=order_ids, sent_at__isnull=True).exists()
