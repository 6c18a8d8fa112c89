"""Transient failures retry with backoff until they succeed or run out; nothing ends silently."""

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage

from jewelry.contracts import PriceRequested
from jewelry.lifecycle import OrderStatus as S
from jewelry.messaging import retry_backoff
from jewelry.sample_models import cube_stl
from mes import geometry
from mes.models import ManufacturingJob
from shop.models import Order
from tests.flows import submitted_order
from tests.processes import celery_worker, process_env, wait_until
from tests.queue.support import price_request_id, task_log_count, wait_for_order

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


def test_storage_failure_is_retried_with_backoff_until_the_order_is_priced(api, customer, broker, tmp_path):
    # The worker reads models through a mount point that is down at first (ENOTDIR, not ENOENT).
    mount, down = tmp_path / "models-mount", tmp_path / "mount-is-down"
    down.write_text("")
    mount.symlink_to(down)

    with celery_worker(env=process_env(MEDIA_ROOT=mount)) as worker:
        order_id = submitted_order(api(customer), cube_stl(10))
        task_id = price_request_id(order_id)
        # The first retry waits 2 s, the next ones 4, 8, 16... (capped at 300 s).
        wait_until(lambda: task_log_count(worker, PriceRequested.name, task_id, "retry: Retry in 2s"),
                   message=lambda: f"the first retry; worker log:\n{worker.log()}")
        mount.unlink()
        mount.symlink_to(settings.MEDIA_ROOT)  # the mount is back
        order = wait_for_order(worker, order_id, status=S.PRICE_CALCULATED)

    assert (str(order.price), order.error_code) == ("1081.00", "")
    assert order.history.filter(to_status=S.PRICE_CALCULATED).count() == 1
    assert ManufacturingJob.objects.get(order_id=order_id).error_code == ""


class Failing:
    """Stands in for one function and raises ``error`` on every call, counting the calls."""

    def __init__(self, error: Exception):
        self.error, self.calls = error, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        raise self.error


def test_storage_that_stays_down_ends_as_an_error_on_the_order_after_the_last_retry(
        api, customer, monkeypatch):
    # Eager tasks: Celery runs each retry at once, so the whole schedule fits in the test.
    storage_down = Failing(ConnectionResetError("storage connection reset"))
    monkeypatch.setattr(FileSystemStorage, "open", storage_down)

    order = Order.objects.get(pk=submitted_order(api(customer), cube_stl(10)))

    assert (order.status, order.error_code) == (S.SUBMITTED, "pricing_unavailable")
    assert order.error_message and "storage connection reset" not in order.error_message  # ours, not the exception's
    assert storage_down.calls == 1 + 6  # the first attempt and six retries
    assert [retry_backoff(retries) for retries in range(6)] == [2, 4, 8, 16, 32, 64]


def test_unforeseen_pricing_error_is_recorded_on_the_order_not_dropped(api, customer, monkeypatch):
    geometry_bug = Failing(ValueError("a bug in the geometry code"))
    monkeypatch.setattr(geometry, "measure_model", geometry_bug)

    order = Order.objects.get(pk=submitted_order(api(customer), cube_stl(10)))

    assert (order.status, order.error_code) == (S.SUBMITTED, "pricing_failed")
    assert order.error_message and "a bug in the geometry code" not in order.error_message
    assert geometry_bug.calls == 1  # retrying a bug would only fail again
    job = ManufacturingJob.objects.get(order_id=order.pk)
    assert (job.stage, job.error_code) == (S.SUBMITTED, "pricing_failed")
