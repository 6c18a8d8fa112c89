"""Two operators take the same order at the same moment: exactly one wins, the other gets 409.

Real concurrency on PostgreSQL: each operator's request runs in its own thread with its
own database connection, released together by a barrier.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from jewelry.lifecycle import OrderStatus as S
from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob
from shop.models import Order, OrderStatusChange
from tests.flows import submitted_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

ROUNDS = 5  # one race per order: a lucky interleaving once would prove little


def take_at_once(order_id: int, operators: list) -> list:
    barrier = threading.Barrier(len(operators))

    def take(operator):
        client = APIClient()
        client.force_authenticate(operator)
        try:
            barrier.wait(timeout=10)
            response = client.post(f"/api/v1/mes/orders/{order_id}/take/")
            return operator, response.status_code, response.json()
        finally:
            connections.close_all()  # this thread's connections, before the test's table flush

    with ThreadPoolExecutor(len(operators)) as pool:
        return list(pool.map(take, operators))


def test_two_operators_taking_the_same_order_at_once_one_wins_the_other_gets_409(
        api, customer, seller, make_user):
    operators = [make_user(Role.OPERATOR), make_user(Role.OPERATOR)]
    order_ids = [submitted_order(api(customer), cube_stl(10)) for _ in range(ROUNDS)]
    for order_id in order_ids:
        assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200

    for order_id in order_ids:
        answers = take_at_once(order_id, operators)

        assert sorted(status for _, status, _ in answers) == [200, 409]
        [(winner, _, _)] = [answer for answer in answers if answer[1] == 200]
        [(_, _, refusal)] = [answer for answer in answers if answer[1] == 409]
        assert set(refusal) >= {"code", "message"}
        assert ManufacturingJob.objects.get(order_id=order_id).assignee_id == winner.pk
        assert Order.objects.get(pk=order_id).operator_id == winner.pk
        started = OrderStatusChange.objects.filter(order_id=order_id, to_status=S.MANUFACTURING_STARTED)
        assert list(started.values_list("actor_id", flat=True)) == [winner.pk]
