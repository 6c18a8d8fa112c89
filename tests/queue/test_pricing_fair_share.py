"""One customer's backlog of slow models does not hold back another customer's small one.

Real RabbitMQ and one real worker process (docs/threat-model.md, "A fair share of pricing").
"""

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.roles import Role
from jewelry.sample_models import (
    CUBE_FACES,
    CUBE_VERTICES,
    cube_stl,
    mesh_object_xml,
    model_xml,
    three_mf_package,
)
from mes.models import ManufacturingJob
from shop.models import Order
from tests.flows import created_order, upload
from tests.processes import wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

BACKLOG = 5
# A 1 mm cube placed this many times, 2 mm apart: 27 KB of 3MF, like the campaign's small slow
# 3MFs. Measuring it took 0.4-0.5 s on an idle machine (10,000: 0.35 s; 16,000: 0.62 s) and
# 1-1.5 s on a loaded one; the test asserts the order of pricing, never its time.
SLOW_MODEL_PLACEMENTS = 12_000


def slow_model() -> bytes:
    cube = mesh_object_xml(1, CUBE_VERTICES, CUBE_FACES)
    places = [(2 * (i % 30), 2 * (i // 30 % 30), 2 * (i // 900)) for i in range(SLOW_MODEL_PLACEMENTS)]
    components = "".join(f'<component objectid="1" transform="1 0 0 0 1 0 0 0 1 {x} {y} {z}"/>'
                         for x, y, z in places)
    assembly = f'<object id="2"><components>{components}</components></object>'
    return three_mf_package(model_xml(cube + assembly, '<item objectid="2"/>'))


def uploaded_orders(client, model: bytes, name: str, count: int) -> list[int]:
    order_ids = [created_order(client) for _ in range(count)]
    for order_id in order_ids:
        assert upload(client, order_id, model, name).status_code == 200
    return order_ids


def order_of_pricing(order_ids: list[int]) -> list[int]:
    """The orders as MES started pricing them: a job is created when its first pricing starts."""
    return list(ManufacturingJob.objects.filter(order_id__in=order_ids)
                .order_by("created_at", "id").values_list("order_id", flat=True))


def a_backlog_then_a_small_model(api, make_user, worker) -> tuple[list[int], int, list[int]]:
    """Customer A submits BACKLOG slow models, then customer B one small cube; all are priced.

    Returns A's orders, B's order and every order in the order its pricing started.
    """
    client_a, client_b = api(make_user(Role.CUSTOMER)), api(make_user(Role.CUSTOMER))
    backlog = uploaded_orders(client_a, slow_model(), "piece.3mf", BACKLOG)
    (small,) = uploaded_orders(client_b, cube_stl(10), "ring.stl", 1)

    for client, order_id in [(client_a, order_id) for order_id in backlog] + [(client_b, small)]:
        assert client.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202

    everything = [*backlog, small]
    priced = Order.objects.filter(pk__in=everything, status=S.PRICE_CALCULATED)
    wait_until(lambda: priced.count() == len(everything), timeout=90,
               message=lambda: f"all {len(everything)} orders priced; worker log:\n{worker.log()[-3000:]}")
    return backlog, small, order_of_pricing(everything)


def test_another_customer_s_small_model_is_priced_before_the_third_of_a_backlog(api, make_user, worker):
    backlog, small, started = a_backlog_then_a_small_model(api, make_user, worker)

    # A's first was running when B's cube came; at most one more of A's (if it had started
    # before B's request was published) goes before it.
    assert started.index(small) < started.index(backlog[2]), started


def test_without_the_fair_share_the_small_model_waits_for_the_whole_backlog(api, make_user, worker, settings):
    settings.PRICING_FAIR_SHARE = False  # read by the shop, i.e. this process, when it submits

    backlog, small, started = a_backlog_then_a_small_model(api, make_user, worker)

    assert started == [*backlog, small]
