"""The outbox itself (jewelry.outbox), on the real broker: a committed message goes out once, a
rolled-back one never, a message the broker refused waits for the relay, and each keeps the trace
of the transaction that wrote it."""

import pytest
from django.db import transaction
from kombu import Connection
from opentelemetry import trace

from jewelry import outbox
from jewelry.contracts import PriceRequested
from jewelry.messaging import QUEUES
from shop.models import ShopOutbox
from tests.processes import broker_url, publishing_to, purge_queues
from tests.tracing.helpers import one, trace_id

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

MESSAGE = PriceRequested(order_id=7, customer_id=1, metal="gold_18k", model_key="models/7.stl")
UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"


@pytest.fixture
def queue():
    """The price request's queue on the real broker, empty; what the test published, by message id."""
    purge_queues()
    with publishing_to():
        yield _Queue(MESSAGE.route.queue)
    purge_queues()


class _Queue:
    def __init__(self, name: str):
        self.declared = next(q for q in QUEUES if q.name == name)

    def message_ids(self) -> list[str]:
        """Take every message waiting in the queue; their Celery task ids (the outbox row ids)."""
        taken = []
        with Connection(broker_url(), connect_timeout=5) as connection:
            bound = self.declared(connection.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                taken.append(message.headers["id"])
        return taken


def enqueue() -> ShopOutbox:
    return outbox.enqueue(ShopOutbox, MESSAGE)


def test_a_committed_message_is_published_once_after_the_commit(queue):
    with transaction.atomic():
        row = enqueue()
        assert queue.message_ids() == []  # nothing leaves before the change it announces is committed

    assert queue.message_ids() == [str(row.pk)]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1
    assert outbox.relay_pending(ShopOutbox, older_than_seconds=0) == 0
    assert queue.message_ids() == []  # the relay does not send a sent row again


def test_a_rolled_back_message_is_never_published(queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the change failed")

    assert not ShopOutbox.objects.exists()
    assert outbox.relay_pending(ShopOutbox, older_than_seconds=0) == 0
    assert queue.message_ids() == []


def test_a_message_the_broker_refused_stays_pending_until_the_relay_sends_it(queue):
    with publishing_to(UNREACHABLE_BROKER):
        row = enqueue()

    row.refresh_from_db()
    assert (row.sent_at, row.attempts) == (None, 1) and row.last_error
    assert queue.message_ids() == []

    assert outbox.relay_pending(ShopOutbox, older_than_seconds=0) == 1
    assert queue.message_ids() == [str(row.pk)]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert outbox.relay_pending(ShopOutbox, older_than_seconds=0) == 0


def test_the_row_keeps_the_writers_trace_context_and_its_publish_joins_that_trace(queue, spans):
    with publishing_to(UNREACHABLE_BROKER), trace.get_tracer("test").start_as_current_span("request"):
        row = enqueue()
    request = one(spans.get_finished_spans(), "request")
    assert row.trace_context["traceparent"].split("-")[1] == trace_id(request)
    spans.clear()

    outbox.relay_pending(ShopOutbox, older_than_seconds=0)  # later, outside any trace

    publish = one(spans.get_finished_spans(), f"apply_async/{MESSAGE.name}")
    assert trace_id(publish) == trace_id(request)
    assert publish.parent.span_id == request.context.span_id
    assert trace.get_current_span() is trace.INVALID_SPAN  # the row's context did not stay attached
