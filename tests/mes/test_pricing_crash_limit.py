"""A model whose pricing keeps killing the worker is refused at PRICING_CRASH_LIMIT, not redelivered forever.

Eager tasks here; the same with a real worker killed mid-pricing is in
tests/faults/test_worker_killed.py.
"""

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes import geometry
from mes.models import ManufacturingJob
from mes.tasks import on_price_requested
from shop.models import Order
from tests.flows import created_order, upload

# transaction=True: the outbox publishes on commit, and the shop hears back only then.
pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


@pytest.fixture
def submitted_without_pricing(api, customer, monkeypatch):
    """An order in SUBMITTED with its MES job, as a worker that died mid-pricing leaves it."""
    shop = api(customer)
    order_id = created_order(shop)
    assert upload(shop, order_id, cube_stl(10)).status_code == 200
    with monkeypatch.context() as patch:
        # the message is "in flight"
        patch.setattr(on_price_requested, "apply_async", lambda *args, **kwargs: None)
        assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202
    order = Order.objects.get(pk=order_id)
    ManufacturingJob.objects.create(order_id=order.pk, customer_id=customer.pk, metal=order.metal,
                                    model_key=order.model_file.name, unfinished_pricing_runs=1)
    return order


def _redeliver(order: Order):
    return on_price_requested.delay(order_id=order.pk, customer_id=order.customer_id, metal=order.metal,
                                     model_key=order.model_file.name)


def test_at_the_limit_the_order_is_refused_with_its_own_code(submitted_without_pricing, settings):
    settings.PRICING_CRASH_LIMIT = 3
    order = submitted_without_pricing
    ManufacturingJob.objects.filter(order_id=order.pk).update(unfinished_pricing_runs=3)

    _redeliver(order)

    job = ManufacturingJob.objects.get(order_id=order.pk)
    order.refresh_from_db()
    assert (job.stage, job.error_code, job.unfinished_pricing_runs) == (S.SUBMITTED, "pricing_crashed", 0)
    assert "stopped the MES worker 3 times" in job.error_message
    assert (order.status, order.error_code, order.price) == (S.SUBMITTED, "pricing_crashed", None)


def test_below_the_limit_a_redelivery_counts_its_run_before_working_and_clears_it_when_done(
        submitted_without_pricing, settings, monkeypatch):
    settings.PRICING_CRASH_LIMIT = 3
    order = submitted_without_pricing
    ManufacturingJob.objects.filter(order_id=order.pk).update(unfinished_pricing_runs=2)
    seen_while_working = []
    measure = geometry.measure_model

    def measuring(*args, **kwargs):
        seen_while_working.append(ManufacturingJob.objects.get(order_id=order.pk).unfinished_pricing_runs)
        return measure(*args, **kwargs)

    monkeypatch.setattr(geometry, "measure_model", measuring)

    _redeliver(order)

    order.refresh_from_db()
    assert seen_while_working == [3]  # this run is on record while it works: if it dies, the next one knows
    assert (order.status, str(order.price)) == (S.PRICE_CALCULATED, "1081.00")
    assert ManufacturingJob.objects.get(order_id=order.pk).unfinished_pricing_runs == 0


def test_a_run_that_fails_with_an_error_is_not_counted_as_a_crash(submitted_without_pricing, settings,
                                                                   monkeypatch):
    settings.PRICING_CRASH_LIMIT = 2
    order = submitted_without_pricing

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in pricing")

    monkeypatch.setattr(geometry, "measure_model", broken)
    assert _redeliver(order).failed()

    job = ManufacturingJob.objects.get(order_id=order.pk)
    assert (job.unfinished_pricing_runs, job.error_code) == (0, "pricing_failed")
