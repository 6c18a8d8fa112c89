"""A tracing backend that does not answer never fails or slows a request (export runs off the
request path, into a bounded queue), the processes still stop within a bound, and spans
still queued when a process stops are flushed before it exits."""

import statistics
import time

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from shop.models import Order
from tests.e2e.app import WEB_SERVICE, WORKER_SERVICE, Caller, submit_order, traced_env
from tests.e2e.traces import PRICE_RUN, SUBMIT, one, wait_for_trace
from tests.otlp_receiver import OtlpReceiver
from tests.processes import celery_worker, gunicorn_server, process_env, purge_queues, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.services,
              pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

EXPORT_TIMEOUT_S = 5
FLUSH_BOUND_MS = 2000
REQUEST_BOUND_S = 2  # well under the exporter's timeout: a request never waits for an export
STOP_BOUND_S = 10  # flush bound + process teardown; unbounded, the exporter retries for longer
ORDERS = 8
# A small queue, filled within a few requests: spans beyond it are dropped, not waited for.
HANGING_BACKEND_SETTINGS = {
    "OTEL_EXPORTER_OTLP_TIMEOUT": EXPORT_TIMEOUT_S,
    "OTEL_BSP_EXPORT_TIMEOUT": FLUSH_BOUND_MS,
    "OTEL_BSP_MAX_QUEUE_SIZE": 64,
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": 16,
    "OTEL_BSP_SCHEDULE_DELAY": 100,
}


def timed_order_flows(caller) -> list[float]:
    """Create, upload, submit and read back orders; the duration of each request."""
    durations = []

    def timed(call, *args, expected: int, **kwargs):
        started = time.monotonic()
        response = call(*args, **kwargs)
        durations.append(time.monotonic() - started)
        assert response.status_code == expected, response.text
        return response

    for _ in range(ORDERS):
        created = timed(caller.post, "/api/v1/shop/orders/", json={"metal": "gold_18k"}, expected=201)
        order_id = created.json()["id"]
        timed(caller.post, f"/api/v1/shop/orders/{order_id}/model/",
              files={"file": ("ring.stl", cube_stl(10))}, expected=200)
        timed(caller.post, f"/api/v1/shop/orders/{order_id}/submit/", expected=202)
        timed(caller.get, f"/api/v1/shop/orders/{order_id}/", expected=200)
    return durations


def stopping_time(process) -> float:
    started = time.monotonic()
    assert process.stop() == 0, process.log()[-3000:]  # left by itself, not killed
    return time.monotonic() - started


@pytest.mark.parametrize("backend", ["hanging", "none"])
def test_requests_neither_fail_nor_wait_on_a_hanging_tracing_backend(customer, backend, capsys):
    purge_queues()
    with OtlpReceiver(mode="hang") as receiver:
        if backend == "hanging":
            web_env = traced_env(receiver.endpoint, WEB_SERVICE, **HANGING_BACKEND_SETTINGS)
            worker_env = traced_env(receiver.endpoint, WORKER_SERVICE, **HANGING_BACKEND_SETTINGS)
        else:
            web_env = worker_env = process_env(OTEL_TRACES_EXPORTER="none")
        with celery_worker(env=worker_env) as worker, gunicorn_server(env=web_env, workers=2) as web:
            durations = timed_order_flows(Caller(web.url, customer))
            wait_until(lambda: Order.objects.filter(status=S.PRICE_CALCULATED).count() == ORDERS,
                       message=lambda: f"every order to be priced; worker log:\n{worker.log()}")
            web_stop, worker_stop = stopping_time(web), stopping_time(worker)
        assert receiver.spans == []  # the backend really took nothing

    with capsys.disabled():
        median_ms, max_ms = statistics.median(durations) * 1000, max(durations) * 1000
        print(f"\n[{backend} backend] {len(durations)} requests: median {median_ms:.0f} ms, "
              f"max {max_ms:.0f} ms; gunicorn stopped in {web_stop:.1f} s, "
              f"celery worker in {worker_stop:.1f} s")
    assert max(durations) < REQUEST_BOUND_S
    assert web_stop < STOP_BOUND_S and worker_stop < STOP_BOUND_S


def test_spans_still_queued_when_the_processes_stop_are_exported_before_they_exit(customer):
    purge_queues()
    # Nothing leaves on schedule: only the flush at exit can deliver these spans.
    hold = {"OTEL_BSP_SCHEDULE_DELAY": 600_000}
    with OtlpReceiver() as receiver:
        with celery_worker(env=traced_env(receiver.endpoint, WORKER_SERVICE, **hold)) as worker, \
                gunicorn_server(env=traced_env(receiver.endpoint, WEB_SERVICE, **hold), workers=2) as web:
            order_id = submit_order(Caller(web.url, customer), cube_stl(10))
            wait_until(lambda: Order.objects.filter(pk=order_id, status=S.PRICE_CALCULATED).exists(),
                       message=lambda: f"the order to be priced; worker log:\n{worker.log()}")
            assert receiver.spans == []
            stopping_time(web), stopping_time(worker)

        trace = wait_for_trace(receiver, root=SUBMIT, order_id=order_id, names={SUBMIT, PRICE_RUN})
    assert one(trace, SUBMIT).service_name == WEB_SERVICE
    assert one(trace, PRICE_RUN).service_name == WORKER_SERVICE
