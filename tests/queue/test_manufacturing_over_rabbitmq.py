"""After pricing: the CRM approval reaches MES, and operator progress in MES flows back to the shop order."""

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob, MesOutbox
from tests.flows import operator_steps, submitted_order
from tests.processes import wait_until
from tests.queue.support import wait_for_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


def test_approval_and_operator_progress_flow_between_shop_and_mes(api, customer, seller, operator, worker):
    order_id = submitted_order(api(customer), cube_stl(10))
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    wait_until(lambda: ManufacturingJob.objects.filter(order_id=order_id,
                                                       stage=S.MANUFACTURING_APPROVED).exists(),
               message=lambda: f"MES to accept the approval; worker log:\n{worker.log()}")
    assert operator_steps(api(operator), order_id) == [200, 200, 200, 200]
    order = wait_for_order(worker, order_id, status=S.SHIPPED)

    moves = list(order.history.values_list("from_status", "to_status", "system", "actor_id"))
    assert moves[2:] == [
        (S.SUBMITTED, S.PRICE_CALCULATED, "mes", None),
        (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED, "crm", seller.pk),
        (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED, "mes", operator.pk),
        (S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, "mes", operator.pk),
        (S.MANUFACTURING_COMPLETED, S.PACKAGING, "mes", operator.pk),
        (S.PACKAGING, S.SHIPPED, "mes", operator.pk),
    ]
    assert order.operator_id == operator.pk
    assert ManufacturingJob.objects.get(order_id=order_id).stage == S.SHIPPED
    assert not MesOutbox.objects.filter(sent_at__isnull=True).exists()


def test_cancelled_order_is_cancelled_in_mes_too(api, customer, seller, operator, worker):
    order_id = submitted_order(api(customer), cube_stl(10))
    wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/cancel/").status_code == 200

    wait_until(lambda: ManufacturingJob.objects.filter(order_id=order_id, stage=S.CANCELLED).exists(),
               message=lambda: f"MES to learn of the cancellation; worker log:\n{worker.log()}")
    assert api(operator).get(f"/api/v1/mes/orders/{order_id}/").json()["status"] == S.CANCELLED
    assert api(operator).post(f"/api/v1/mes/orders/{order_id}/take/").status_code == 409
