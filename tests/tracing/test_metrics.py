"""Business metrics: transitions, stage and order durations, errors, stuck and re-dispatched orders.

The instruments are re-created on a meter provider with an in-memory reader, the
way an OTLP exporter would read them.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from jewelry.lifecycle import OrderStatus as S
from jewelry.roles import Actor, Role
from jewelry.sample_models import cube_stl
from shop import stuck_orders
from shop.models import Order, ShopOutbox
from shop.services import change_status
from shop.tasks import on_order_priced
from tests.flows import created_order, operator_steps, submitted_order
from tests.processes import publishing_to
from tracing import attributes as A
from tracing import metrics, setup

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


@pytest.fixture
def reader():
    memory = InMemoryMetricReader()
    metrics.use_meter_provider(MeterProvider(metric_readers=[memory]))
    yield memory
    metrics.use_meter_provider(setup.meter_provider())  # back on the process's own provider


def collected(reader) -> dict:
    """{metric name: (unit, [data points])} of everything recorded so far."""
    data = reader.get_metrics_data()
    found = {}
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                found[metric.name] = (metric.unit, list(metric.data.data_points))
    return found


def points(reader, name: str) -> dict:
    """{frozenset(attributes.items()): value or histogram count} for one metric."""
    _, data_points = collected(reader).get(name, ("", []))
    return {frozenset(p.attributes.items()): getattr(p, "count", getattr(p, "value", None))
            for p in data_points}


def key(**attributes) -> frozenset:
    return frozenset(attributes.items())


def test_a_whole_order_life_counts_every_transition_and_times_every_stage(
        reader, api, customer, seller, operator):
    order_id = submitted_order(api(customer), cube_stl(10))
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    assert operator_steps(api(operator), order_id) == [200, 200, 200, 200]
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/close/").status_code == 200

    lifecycle = [S.INITIATED, S.FILE_UPLOADED, S.SUBMITTED, S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED,
                 S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, S.PACKAGING, S.SHIPPED, S.CLOSED]
    moves = list(zip(lifecycle, lifecycle[1:]))
    # MES's job follows the order from pricing to shipping, through the same lifecycle signal.
    job_moves = moves[2:-1]
    order = {A.TRANSITION_RECORD: "order"}
    job = {A.TRANSITION_RECORD: "mes_job"}
    assert points(reader, A.METRIC_TRANSITIONS) == {
        **{key(**{A.ORDER_PREVIOUS_STATUS: frm, A.ORDER_STATUS: to}, **order): 1 for frm, to in moves},
        **{key(**{A.ORDER_PREVIOUS_STATUS: frm, A.ORDER_STATUS: to}, **job): 1 for frm, to in job_moves}}
    assert points(reader, A.METRIC_STAGE_DURATION) == {
        **{key(**{A.ORDER_STATUS: frm}, **order): 1 for frm, _ in moves},
        **{key(**{A.ORDER_STATUS: frm}, **job): 1 for frm, _ in job_moves}}
    assert points(reader, A.METRIC_ORDER_DURATION) == {key(): 1}


def test_durations_are_histograms_in_seconds_with_buckets_up_to_weeks(reader, api, customer):
    submitted_order(api(customer), cube_stl(10))

    unit, data_points = collected(reader)[A.METRIC_STAGE_DURATION]
    assert unit == "s"
    bounds = data_points[0].explicit_bounds
    assert 900 in bounds and max(bounds) >= 30 * 86400


def test_stage_duration_is_the_time_spent_in_the_status_left(reader, api, customer, seller):
    order_id = submitted_order(api(customer), cube_stl(10))
    Order.objects.filter(pk=order_id).update(status_changed_at=timezone.now() - timedelta(hours=2))
    api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")

    _, data_points = collected(reader)[A.METRIC_STAGE_DURATION]
    [priced] = [p for p in data_points if p.attributes[A.ORDER_STATUS] == S.PRICE_CALCULATED
                and p.attributes[A.TRANSITION_RECORD] == "order"]
    assert 7200 <= priced.sum < 7260


def test_rolled_back_transition_is_not_counted(reader, api, customer):
    order_id = created_order(api(customer))

    with pytest.raises(RuntimeError), transaction.atomic():
        change_status(order_id=order_id, to_status=S.CANCELLED, actor=Actor(user_id=1, role=Role.SELLER))
        raise RuntimeError("the rest of the transaction failed")

    assert points(reader, A.METRIC_TRANSITIONS) == {}


def test_pricing_refusal_counts_an_error_of_mes_by_its_code(reader, api, customer):
    submitted_order(api(customer), cube_stl(10, drop_triangles=2))

    errors = points(reader, A.METRIC_ERRORS)
    [(attributes, count)] = errors.items()
    attributes = dict(attributes)
    assert attributes[A.SYSTEM] == "mes" and attributes[A.ERROR_TYPE].startswith("model_")
    assert count == 1


def test_api_refusal_counts_no_error(reader, api, customer, seller):
    order_id = created_order(api(customer))

    response = api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")

    assert response.status_code == 409
    assert points(reader, A.METRIC_ERRORS) == {}


def test_crashing_request_counts_an_error_of_the_system_called(reader, seller, monkeypatch):
    from rest_framework.test import APIClient

    from crm import selectors

    def crash(**kwargs):
        raise RuntimeError("the order book is on fire")

    monkeypatch.setattr(selectors, "order_with_history", crash)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(seller)

    assert client.get("/api/v1/crm/orders/1/").status_code == 500
    assert points(reader, A.METRIC_ERRORS) == {key(**{A.ERROR_TYPE: "RuntimeError", A.SYSTEM: "crm"}): 1}


def test_system_of_an_api_path():
    assert [metrics.system_of_path(p) for p in (
        "/api/v1/shop/orders/", "/api/v1/crm/orders/1/", "/api/v1/mes/queue/", "/admin/", "/api/v1/x/")] == [
        "shop", "crm", "mes", "web", "web"]


def test_stuck_gauge_reports_the_detectors_count_without_querying(reader, django_assert_num_queries):
    metrics.set_stuck_orders({S.SUBMITTED: 2, S.SHIPPED: 0})

    with django_assert_num_queries(0):
        stuck = points(reader, A.METRIC_STUCK)

    assert stuck == {key(**{A.ORDER_STATUS: S.SUBMITTED}): 2, key(**{A.ORDER_STATUS: S.SHIPPED}): 0}


def test_stuck_gauge_says_nothing_before_a_scan_or_once_stale(reader, monkeypatch):
    assert points(reader, A.METRIC_STUCK) == {}
    metrics.set_stuck_orders({S.SUBMITTED: 2})

    monkeypatch.setattr(metrics.time, "monotonic", lambda: float("inf"))

    assert points(reader, A.METRIC_STUCK) == {}


def test_detector_sets_the_gauge_and_counts_redispatched_orders(reader, api, customer):
    with publishing_to("amqp://guest:guest@127.0.0.1:9//"):
        order_id = submitted_order(api(customer), cube_stl(10))
    assert ShopOutbox.objects.get(order_id=order_id).sent_at is None

    stuck_orders.detect_stuck_orders(now=timezone.now() + timedelta(minutes=20))

    assert points(reader, A.METRIC_STUCK)[key(**{A.ORDER_STATUS: S.SUBMITTED})] == 1
    assert points(reader, A.METRIC_REDISPATCHED) == {
        key(**{A.ORDER_STATUS: S.SUBMITTED, A.REDISPATCH_CAUSE: stuck_orders.OUTBOX_NOT_DELIVERED}): 1}


def test_failed_task_counts_an_error_of_its_system(reader):
    on_order_priced.apply(kwargs={"order_id": 999_999, "price": "1.00"})

    assert points(reader, A.METRIC_ERRORS) == {key(**{A.ERROR_TYPE: "order_not_found", A.SYSTEM: "shop"}): 1}


def test_crashed_request_counts_an_error_by_exception_class(reader, api, support, monkeypatch):
    def crash():
        raise RuntimeError("the database went away")

    monkeypatch.setattr("crm.selectors.stuck_orders", crash)
    client = api(support)
    client.raise_request_exception = False

    assert client.get("/api/v1/crm/stuck-orders/").status_code == 500
    assert points(reader, A.METRIC_ERRORS) == {key(**{A.ERROR_TYPE: "RuntimeError", A.SYSTEM: "crm"}): 1}
