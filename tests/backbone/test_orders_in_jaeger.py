"""Orders walked over the real backbone and read back from Jaeger: app -> Collector (TLS, token,
redaction, tail sampling, span metrics) -> Jaeger, and span metrics -> Prometheus -> Jaeger's
Monitor data and the alert rules -> Alertmanager -> a webhook."""

import json
import time

import pytest
import requests

from jewelry.contracts import OrderPriced, PriceRequested, PricingFailed
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import MesOutbox
from shop.models import Order, ShopOutbox
from tests.e2e.app import BEAT_SERVICE, WEB_SERVICE, WORKER_SERVICE, submit_order, traced_env
from tests.e2e.traces import PRICE_RUN, SUBMIT, messaging, one, rabbitmq, transitions
from tests.processes import WORKER_QUEUES, celery_beat, queue_depth, wait_until
from tracing import attributes as A

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.backbone,
              pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

PRICE = f"apply_async/{PriceRequested.name}"
PRICED_RUN = f"run/{OrderPriced.name}"
REFUSED_RUN = f"run/{PricingFailed.name}"
CLOSE = "POST api/v1/crm/orders/<id:order_id>/close/"
OPERATOR_STEPS = ("take", "complete", "packaging", "ship")


def wait_for_status(app, order_id: int, status: str) -> Order:
    return wait_until(lambda: Order.objects.filter(pk=order_id, status=status).first(), timeout=60,
                      message=lambda: f"order {order_id} to reach {status}; worker log:\n{app.worker.log()}")


def order_traces(jaeger, order_id: int, names: set[str]) -> dict[str, list]:
    """Jaeger's traces holding a span about ``order_id``, once all ``names`` are among their spans."""
    def found():
        traces = {trace_id: spans for trace_id, spans in jaeger.traces(WEB_SERVICE).items()
                  if any(span.attributes.get(A.ORDER_ID) == order_id for span in spans)}
        seen = {span.name for spans in traces.values() for span in spans}
        return traces if names <= seen else None

    return jaeger.wait_for(found, describe=lambda: f"order {order_id}: wanted {sorted(names)}")


def walk_to_closed(app, caller, customer, seller, operator) -> int:
    order_id = submit_order(caller(customer), cube_stl(10))
    wait_for_status(app, order_id, S.PRICE_CALCULATED)
    assert caller(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    wait_until(lambda: caller(operator).post(f"/api/v1/mes/orders/{order_id}/take/").status_code == 200,
               timeout=30, interval=0.5, message="MES to release the job")
    for step in OPERATOR_STEPS[1:]:
        assert caller(operator).post(f"/api/v1/mes/orders/{order_id}/{step}/").status_code == 200, step
    wait_for_status(app, order_id, S.SHIPPED)
    assert caller(seller).post(f"/api/v1/crm/orders/{order_id}/close/").status_code == 200
    return order_id


def test_an_order_to_closed_and_a_pricing_failure_are_read_back_from_jaeger(
        app, caller, jaeger, customer, seller, operator):
    closed = walk_to_closed(app, caller, customer, seller, operator)
    failed = submit_order(caller(customer), cube_stl(10, drop_triangles=2))  # an open shell

    traces = order_traces(jaeger, closed, {SUBMIT, PRICE, PRICE_RUN, PRICED_RUN, CLOSE})
    spans = [span for trace in traces.values() for span in trace]
    submit, publish, pricing = one(spans, SUBMIT), one(spans, PRICE), one(spans, PRICE_RUN)
    # Across the queue, in one trace: the request, its message and MES's worker.
    assert submit.trace_id == publish.trace_id == pricing.trace_id
    assert (submit.service_name, pricing.service_name) == (WEB_SERVICE, WORKER_SERVICE)
    # Order id, status before and after, stage times (the transition events), people as ids.
    assert (submit.attributes[A.ORDER_ID], submit.attributes[A.ORDER_CUSTOMER_ID]) == (closed, customer.pk)
    assert transitions(submit) == [(S.FILE_UPLOADED, S.SUBMITTED)]
    assert all(attributes[A.EVENT_TRANSITION_AT] for name, attributes in submit.events
               if name == A.EVENT_TRANSITION)
    close = one(spans, CLOSE)
    assert (close.attributes[A.USER_ID], close.attributes[A.ORDER_STATUS]) == (seller.pk, S.CLOSED)
    moves = {move for span in spans for move in transitions(span)}
    assert {(S.PACKAGING, S.SHIPPED), (S.SHIPPED, S.CLOSED)} <= moves
    assert any(span.attributes.get(A.ORDER_OPERATOR_ID) == operator.pk for span in spans)
    # Request parameters and the 3D model's facts (never its name or bytes).
    upload = next(span for span in spans if span.attributes.get(A.MODEL_SHA256))
    assert upload.attributes[A.MODEL_FORMAT] == "stl" and upload.attributes[A.MODEL_SIZE] > 0
    assert any(key.startswith(A.REQUEST_PARAM_PREFIX) for span in spans for key in span.attributes)
    assert pricing.attributes[A.MODEL_TRIANGLE_COUNT] == 12
    # Jaeger's storage model has no arrays: a list attribute comes back as its JSON text.
    assert json.loads(pricing.attributes[A.MODEL_BBOX]) == pytest.approx([10.0, 10.0, 10.0])
    # Message id, topic and queue, as sent and as consumed.
    request_id = str(ShopOutbox.objects.get(order_id=closed, task_name=PriceRequested.name).id)
    assert messaging(pricing) == rabbitmq("process", "pricing.order.submitted", "mes.pricing", request_id)
    assert messaging(publish) == rabbitmq("send", "pricing.order.submitted", "mes.pricing", request_id)

    failure = [span for trace in order_traces(jaeger, failed, {PRICE_RUN, REFUSED_RUN}).values()
               for span in trace]
    refused_pricing = one(failure, PRICE_RUN)
    assert (refused_pricing.status_code, refused_pricing.attributes[A.ERROR_TYPE]) == (
        "ERROR", "model_not_watertight")
    assert refused_pricing.attributes[A.ERROR_MESSAGE] == refused_pricing.status_message != ""
    assert one(failure, REFUSED_RUN).attributes[A.ERROR_TYPE] == "model_not_watertight"
    refusal_id = str(MesOutbox.objects.get(order_id=failed, task_name=PricingFailed.name).id)
    assert one(failure, REFUSED_RUN).attributes[A.MESSAGING_MESSAGE_ID] == refusal_id

    # Nothing personal arrived in Jaeger.
    personal = {customer.username, customer.email, seller.username, operator.username, "ring.stl"}
    values = {str(value) for span in spans + failure for value in span.attributes.values()}
    assert not {value for value in values if any(word and word in value for word in personal)}


def test_the_support_console_shows_the_order_waterfall_from_the_real_jaeger(app, caller, jaeger,
                                                                            customer, support):
    order_id = submit_order(caller(customer), cube_stl(10))
    wait_for_status(app, order_id, S.PRICE_CALCULATED)
    order_traces(jaeger, order_id, {SUBMIT, PRICE_RUN, PRICED_RUN})

    page = caller(support).get(f"/support/orders/{order_id}/")

    assert page.status_code == 200
    assert "Jaeger" in page.text
    for name in (SUBMIT, PRICE_RUN, PRICED_RUN):  # the web process's and the worker's spans
        assert name in page.text.replace("&lt;", "<").replace("&gt;", ">"), name
    assert "Trace not found" not in page.text


def test_beat_and_workers_reach_jaeger_as_services_of_their_own(app, backbone, jaeger):
    exporting = backbone.app_env()
    # beat's first relay goes out one interval after it starts: 2 s here, not the default 30
    beat_env = traced_env(exporting.pop("OTEL_EXPORTER_OTLP_ENDPOINT"), BEAT_SERVICE,
                          OUTBOX_RELAY_INTERVAL_SECONDS="2", **exporting)
    wanted = {WEB_SERVICE, WORKER_SERVICE, BEAT_SERVICE}

    with celery_beat(env=beat_env):
        jaeger.wait_for(lambda: wanted <= set(jaeger.services()), describe=lambda: str(jaeger.services()))

    # what beat sent is done before the test's tables are flushed
    wait_until(lambda: not any(queue_depth(queue) for queue in WORKER_QUEUES), timeout=60,
               message="the worker to finish what beat sent")
    time.sleep(2)


def test_span_metrics_reach_prometheus_and_jaegers_monitor_data(app, caller, backbone, jaeger, customer):
    wait_for_status(app, submit_order(caller(customer), cube_stl(10)), S.PRICE_CALCULATED)

    def calls_in_prometheus():
        query = f'sum(traces_span_metrics_calls_total{{service_name="{WEB_SERVICE}"}})'
        answer = requests.get(f"{backbone.prometheus_url}/api/v1/query", params={"query": query},
                              timeout=10).json()
        return answer["data"]["result"]

    jaeger.wait_for(calls_in_prometheus, describe=lambda: "no span metrics in Prometheus")
    for kind in ("calls", "latencies", "errors"):
        params = {"quantile": 0.95} if kind == "latencies" else {}
        answer = jaeger.wait_for(
            lambda kind=kind, params=params: _monitor_points(jaeger.metrics(kind, WEB_SERVICE, **params)),
            describe=lambda kind=kind: f"/api/metrics/{kind} is empty")
        assert answer, kind


def _monitor_points(answer: dict) -> list:
    return [point for family in answer.get("metrics", []) for point in family.get("metricPoints", [])]


def test_an_alert_from_trace_data_fires_on_real_failures_and_refusals_page_no_one(
        app, caller, backbone, webhook, customer, seller):
    shop = caller(customer)
    # A burst of refusals first: 409s (approving an order that is not priced) mark no span as failed.
    refused = submit_order(shop, cube_stl(10, drop_triangles=2))
    for _ in range(30):
        assert caller(seller).post(f"/api/v1/crm/orders/{refused}/approve/").status_code == 409
    # Then real failures: pricing refuses open shells, a failure of MES's pricing task each.
    failing_orders = [submit_order(shop, cube_stl(10, drop_triangles=2)) for _ in range(8)]

    started = time.monotonic()
    alerts = []
    while time.monotonic() - started < 150:
        body = webhook.next("/alerts", timeout=5)
        if body:
            alerts += [alert["labels"] for alert in body["alerts"] if alert["status"] == "firing"]
        if any(labels["alertname"] == "AlexandriteHighErrorRate" for labels in alerts):
            break
    failing = {labels.get("span_name") for labels in alerts
               if labels["alertname"] == "AlexandriteHighErrorRate"}
    refusals = Order.objects.filter(pk__in=[refused, *failing_orders]).exclude(error_code="")
    # the worker is done with them before the test's tables are flushed
    wait_until(lambda: refusals.count() == 9, timeout=60, message="the shop to record every refusal")
    assert PRICE_RUN in failing, alerts
    assert not {name for name in failing if "approve" in (name or "")}, alerts
