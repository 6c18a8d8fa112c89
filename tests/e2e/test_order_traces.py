"""Each business flow, run against the real app, exports one trace of the expected shape: the
request's server span, the message published after commit, the worker consuming it in the same
trace (with its SQL), and the attributes support needs to follow the order."""

import pytest

from jewelry.contracts import (
    ManufacturingApproved,
    ManufacturingProgressed,
    OrderPriced,
    PriceRequested,
    PricingFailed,
)
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob, MesOutbox
from shop.models import Order, OrderStatusChange, ShopOutbox
from tests.e2e.app import WEB_SERVICE, WORKER_SERVICE, submit_order
from tests.e2e.traces import (
    PRICE_RUN,
    SUBMIT,
    children,
    messaging,
    one,
    rabbitmq,
    transitions,
    wait_for_trace,
)
from tests.processes import child_pids, wait_until
from tracing import attributes as A

pytestmark = [pytest.mark.e2e, pytest.mark.services,
              pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

APPROVE = "POST api/v1/crm/orders/<id:order_id>/approve/"
PRICE = f"apply_async/{PriceRequested.name}"
PRICED, PRICED_RUN = f"apply_async/{OrderPriced.name}", f"run/{OrderPriced.name}"
REFUSED, REFUSED_RUN = f"apply_async/{PricingFailed.name}", f"run/{PricingFailed.name}"
APPROVAL, APPROVAL_RUN = f"apply_async/{ManufacturingApproved.name}", f"run/{ManufacturingApproved.name}"
PROGRESS = f"apply_async/{ManufacturingProgressed.name}"
PROGRESS_RUN = f"run/{ManufacturingProgressed.name}"
OPERATOR_STEPS = [
    ("take", S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED),
    ("complete", S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED),
    ("packaging", S.MANUFACTURING_COMPLETED, S.PACKAGING),
    ("ship", S.PACKAGING, S.SHIPPED),
]


def wait_for_status(app, order_id: int, status: str) -> Order:
    return wait_until(lambda: Order.objects.filter(pk=order_id, status=status).first(),
                      message=lambda: f"order {order_id} to reach {status}; worker log:\n{app.worker.log()}")


def approved_order(app, caller, customer, seller) -> int:
    order_id = submit_order(caller(customer), cube_stl(10))
    wait_for_status(app, order_id, S.PRICE_CALCULATED)
    assert caller(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    released = ManufacturingJob.objects.filter(order_id=order_id, stage=S.MANUFACTURING_APPROVED)
    wait_until(released.exists,
               message=lambda: f"MES to take the approval; worker log:\n{app.worker.log()}")
    return order_id


def message_id(outbox, order_id: int, task_name: str) -> str:
    return str(outbox.objects.get(order_id=order_id, task_name=task_name).id)


def assert_sent_by_forked_processes(app, web_spans, worker_spans):
    """Spans came from gunicorn's forked workers and the Celery pool's child, not their parents."""
    web_workers, pool_children = set(child_pids(app.pid)), set(app.worker.children())
    assert {span.resource["process.pid"] for span in web_spans} <= web_workers
    assert {span.resource["process.pid"] for span in worker_spans} <= pool_children


def test_submit_trace_holds_the_mes_pricing_and_its_sql_across_the_queue(app, caller, otlp, customer):
    order_id = submit_order(caller(customer), cube_stl(10))

    trace = wait_for_trace(otlp, root=SUBMIT, order_id=order_id,
                           names={SUBMIT, PRICE, PRICE_RUN, PRICED, PRICED_RUN})

    submit, publish, pricing = one(trace, SUBMIT), one(trace, PRICE), one(trace, PRICE_RUN)
    report, applied = one(trace, PRICED), one(trace, PRICED_RUN)
    # The request, in the web app: who asked what of which order.
    assert (submit.kind, submit.service_name, submit.parent_span_id) == ("SERVER", WEB_SERVICE, None)
    assert {key: submit.attributes.get(key) for key in (
        A.ORDER_ID, A.ORDER_CUSTOMER_ID, A.ORDER_PREVIOUS_STATUS, A.ORDER_STATUS, A.USER_ID, A.USER_ROLES)
    } == {
        A.ORDER_ID: order_id, A.ORDER_CUSTOMER_ID: customer.pk, A.ORDER_PREVIOUS_STATUS: S.FILE_UPLOADED,
        A.ORDER_STATUS: S.SUBMITTED, A.USER_ID: customer.pk, A.USER_ROLES: ["customer"]}
    assert transitions(submit) == [(S.FILE_UPLOADED, S.SUBMITTED)]
    # The message, published by the request after commit, consumed by the MES worker.
    price_request = message_id(ShopOutbox, order_id, PriceRequested.name)
    assert (publish.kind, publish.service_name, publish.parent_span_id) == (
        "PRODUCER", WEB_SERVICE, submit.span_id)
    assert messaging(publish) == rabbitmq("send", "pricing.order.submitted", "mes.pricing", price_request)
    assert (pricing.kind, pricing.service_name, pricing.parent_span_id) == ("CONSUMER", WORKER_SERVICE,
                                                                           publish.span_id)
    assert messaging(pricing) == rabbitmq("process", "pricing.order.submitted", "mes.pricing", price_request)
    # What MES measured and decided.
    assert pricing.attributes[A.MODEL_VOLUME] == pytest.approx(1000.0)
    assert pricing.attributes[A.MODEL_TRIANGLE_COUNT] == 12
    assert pricing.attributes[A.MODEL_BBOX] == pytest.approx([10.0, 10.0, 10.0])
    assert pricing.attributes[A.ORDER_PRICE] == "1081.00"
    assert transitions(pricing) == [(S.SUBMITTED, S.PRICE_CALCULATED)]
    # Its SQL, as facts about the pricing span: MES's database only, and no span per statement.
    assert pricing.attributes[A.DB_MES_STATEMENTS] > 0 and pricing.attributes[A.DB_MES_DURATION] > 0
    assert pricing.attributes[A.DB_DEFAULT_STATEMENTS] == 0
    assert submit.attributes[A.DB_DEFAULT_STATEMENTS] > 0
    assert not [span for span in children(trace, pricing) if span.attributes.get(A.DB_SYSTEM)]
    # The price travels back to the shop, still in the same trace.
    price_report = message_id(MesOutbox, order_id, OrderPriced.name)
    assert (report.parent_span_id, applied.parent_span_id) == (pricing.span_id, report.span_id)
    assert messaging(applied) == rabbitmq("process", "shop.order.priced", "shop.events", price_report)
    assert transitions(applied) == [(S.SUBMITTED, S.PRICE_CALCULATED)]
    # The history rows of both transitions lead to this trace.
    rows = OrderStatusChange.objects.filter(order_id=order_id,
                                            to_status__in=[S.SUBMITTED, S.PRICE_CALCULATED])
    assert {row.trace_id for row in rows} == {submit.trace_id}
    assert_sent_by_forked_processes(app, [submit, publish], [pricing, report, applied])


def test_approval_trace_holds_the_seller_and_the_mes_job_release(app, caller, otlp, customer, seller):
    order_id = approved_order(app, caller, customer, seller)

    trace = wait_for_trace(otlp, root=APPROVE, order_id=order_id, names={APPROVE, APPROVAL, APPROVAL_RUN})

    approve, publish, release = one(trace, APPROVE), one(trace, APPROVAL), one(trace, APPROVAL_RUN)
    move = (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED)
    assert (approve.attributes[A.USER_ID], approve.attributes[A.USER_ROLES]) == (seller.pk, ["seller"])
    assert (approve.attributes[A.ORDER_CUSTOMER_ID], transitions(approve)) == (customer.pk, [move])
    assert (publish.parent_span_id, release.parent_span_id) == (approve.span_id, publish.span_id)
    approval = message_id(ShopOutbox, order_id, ManufacturingApproved.name)
    assert messaging(publish) == rabbitmq("send", "mes.order.approved", "mes.orders", approval)
    assert messaging(release) == rabbitmq("process", "mes.order.approved", "mes.orders", approval)
    assert (release.service_name, release.attributes[A.ORDER_ID], transitions(release)) == (
        WORKER_SERVICE, order_id, [move])
    assert_sent_by_forked_processes(app, [approve, publish], [release])


def test_each_operator_step_traces_the_workshop_move_and_the_shop_following_it(
        app, caller, otlp, customer, seller, operator):
    order_id = approved_order(app, caller, customer, seller)
    workshop = caller(operator)

    for step, before, after in OPERATOR_STEPS:
        assert workshop.post(f"/api/v1/mes/orders/{order_id}/{step}/").status_code == 200
        route = f"POST api/v1/mes/orders/<id:order_id>/{step}/"

        trace = wait_for_trace(otlp, root=route, order_id=order_id, names={route, PROGRESS, PROGRESS_RUN})

        request, publish, follow = one(trace, route), one(trace, PROGRESS), one(trace, PROGRESS_RUN)
        assert {key: request.attributes.get(key) for key in (
            A.USER_ID, A.USER_ROLES, A.ORDER_OPERATOR_ID, A.ORDER_STATUS, A.ORDER_PREVIOUS_STATUS)} == {
            A.USER_ID: operator.pk, A.USER_ROLES: ["operator"], A.ORDER_OPERATOR_ID: operator.pk,
            A.ORDER_STATUS: after, A.ORDER_PREVIOUS_STATUS: before}, step
        assert transitions(request) == [(before, after)], step
        assert (publish.parent_span_id, follow.parent_span_id) == (request.span_id, publish.span_id), step
        assert messaging(follow)[A.MESSAGING_ROUTING_KEY] == "shop.order.progress"
        assert (follow.service_name, transitions(follow)) == (WORKER_SERVICE, [(before, after)]), step
        assert follow.attributes[A.ORDER_OPERATOR_ID] == operator.pk, step
        wait_for_status(app, order_id, after)


def test_failing_pricing_trace_shows_the_refusal_in_mes_and_in_the_shop(app, caller, otlp, customer):
    order_id = submit_order(caller(customer), cube_stl(10, drop_triangles=2))  # an open shell

    trace = wait_for_trace(otlp, root=SUBMIT, order_id=order_id,
                           names={SUBMIT, PRICE, PRICE_RUN, REFUSED, REFUSED_RUN})

    submit, pricing, reported = one(trace, SUBMIT), one(trace, PRICE_RUN), one(trace, REFUSED_RUN)
    assert submit.status_code == "UNSET"  # the request itself succeeded (202)
    assert (pricing.status_code, pricing.attributes[A.ERROR_TYPE]) == ("ERROR", "model_not_watertight")
    message = pricing.attributes[A.ERROR_MESSAGE]
    assert pricing.status_message == message
    [exception] = [attributes for name, attributes in pricing.events if name == "exception"]
    assert exception["exception.type"].endswith("InvalidModelFile")
    assert (reported.status_code, reported.attributes[A.ERROR_TYPE]) == ("ERROR", "model_not_watertight")
    assert reported.parent_span_id == one(trace, REFUSED).span_id
    order = wait_until(lambda: Order.objects.filter(pk=order_id, error_code="model_not_watertight").first())
    assert (order.status, order.error_message) == (S.SUBMITTED, message)
