"""Messages are traced as RabbitMQ messages on both ends (system, operation, exchange:routing key,
routing key, queue, message id), and the trace context travels with them, even when the outbox
relays a message long after the request that wrote it."""

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from jewelry import outbox
from jewelry.celery import app as celery_app
from jewelry.contracts import PriceRequested
from jewelry.sample_models import cube_stl
from shop.models import ShopOutbox
from tests.flows import submitted_order
from tests.processes import publishing_to
from tests.tracing.helpers import one, trace_id
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

SUBMIT = "POST api/v1/shop/orders/<id:order_id>/submit/"
IN_MEMORY_BROKER = "memory://"
UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"


def messaging_attributes(span) -> dict:
    return {key: value for key, value in span.attributes.items() if key.startswith("messaging.")
            and key in {A.MESSAGING_SYSTEM, A.MESSAGING_OPERATION_NAME, A.MESSAGING_OPERATION_TYPE,
                        A.MESSAGING_DESTINATION_NAME, A.MESSAGING_ROUTING_KEY, A.MESSAGING_CONSUMER_GROUP,
                        A.MESSAGING_MESSAGE_ID}}


def expected(operation_name: str, operation_type: str, message_id) -> dict:
    return {
        A.MESSAGING_SYSTEM: "rabbitmq",
        A.MESSAGING_OPERATION_NAME: operation_name,
        A.MESSAGING_OPERATION_TYPE: operation_type,
        A.MESSAGING_DESTINATION_NAME: "alexandrite:pricing.order.submitted",
        A.MESSAGING_ROUTING_KEY: "pricing.order.submitted",
        A.MESSAGING_CONSUMER_GROUP: "mes.pricing",
        A.MESSAGING_MESSAGE_ID: str(message_id),
    }


def test_publish_span_is_a_child_of_the_request_and_its_context_rides_in_the_message(api, customer, spans):
    with publishing_to(IN_MEMORY_BROKER):
        order_id = submitted_order(api(customer), cube_stl(10))
        with celery_app.connection_for_read() as connection:
            message = connection.default_channel.basic_get("mes.pricing", no_ack=True)

    row = ShopOutbox.objects.get(order_id=order_id)
    finished = spans.get_finished_spans()
    publish, submit = one(finished, f"apply_async/{PriceRequested.name}"), one(finished, SUBMIT)
    assert publish.kind == SpanKind.PRODUCER
    assert publish.parent.span_id == submit.context.span_id
    assert messaging_attributes(publish) == expected("publish", "send", row.id)
    assert publish.attributes[A.ORDER_ID] == order_id
    assert publish.attributes[A.ORDER_CUSTOMER_ID] == customer.pk
    traceparent = message.headers["traceparent"]
    assert traceparent.split("-")[1:3] == [trace_id(submit), format(publish.context.span_id, "016x")]


def test_consume_span_names_the_same_message_and_continues_the_request_trace(api, customer, spans):
    order_id = submitted_order(api(customer), cube_stl(10))

    row = ShopOutbox.objects.get(order_id=order_id)
    finished = spans.get_finished_spans()
    run, submit = one(finished, f"run/{PriceRequested.name}"), one(finished, SUBMIT)
    assert run.kind == SpanKind.CONSUMER
    assert messaging_attributes(run) == expected("process", "process", row.id)
    assert (run.attributes[A.ORDER_ID], run.attributes[A.ORDER_CUSTOMER_ID]) == (order_id, customer.pk)
    assert trace_id(run) == trace_id(submit)


def test_message_relayed_later_lands_in_the_trace_of_the_request_that_wrote_it(api, customer, spans):
    with publishing_to(UNREACHABLE_BROKER):
        order_id = submitted_order(api(customer), cube_stl(10))
    row = ShopOutbox.objects.get(order_id=order_id)
    assert row.sent_at is None  # the broker was down: the row waits for the relay
    submit = one(spans.get_finished_spans(), SUBMIT)
    spans.clear()

    assert outbox.relay_pending(ShopOutbox, older_than_seconds=0) == 1

    relayed = one(spans.get_finished_spans(), f"run/{PriceRequested.name}")
    assert trace_id(relayed) == trace_id(submit)
    assert relayed.parent.span_id == submit.context.span_id


def test_failed_publish_ends_its_span_as_an_error_and_later_work_does_not_nest_under_it(api, customer, spans):
    with publishing_to(UNREACHABLE_BROKER):
        order_id = submitted_order(api(customer), cube_stl(10))

    row = ShopOutbox.objects.get(order_id=order_id)
    finished = spans.get_finished_spans()
    publish, submit = one(finished, f"apply_async/{PriceRequested.name}"), one(finished, SUBMIT)
    assert publish.parent.span_id == submit.context.span_id
    assert publish.status.status_code == StatusCode.ERROR
    assert publish.attributes[A.ERROR_TYPE] and publish.attributes[A.MESSAGING_MESSAGE_ID] == str(row.id)
    # The outbox's bookkeeping after the failure belongs to the request, not to the dead publish.
    under_publish = [span.name for span in finished
                     if span.parent and span.parent.span_id == publish.context.span_id]
    assert under_publish == []
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_failed_publish_outside_any_trace_leaves_no_context_behind(spans):
    with publishing_to(UNREACHABLE_BROKER):
        message = PriceRequested(order_id=5, customer_id=1, metal="gold_18k", model_key="m")
        row = outbox.enqueue(ShopOutbox, message)

    assert row.trace_context == {}  # written by a script, say: no trace to return to
    publish = one(spans.get_finished_spans(), f"apply_async/{PriceRequested.name}")
    assert publish.status.status_code == StatusCode.ERROR
    assert trace.get_current_span() is trace.INVALID_SPAN  # the next work starts a trace of its own
