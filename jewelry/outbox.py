"""The transactional outbox: a message is a row written in the same transaction as the change it announces.

After commit the row is published (``transaction.on_commit``); if the broker is
down the row stays pending and ``relay_pending`` sends it later (a beat task in
each system, and the stuck-order detector). The row id is the message id and the
Celery task id, so consumers can recognise a redelivery.
"""

import logging
import uuid
from datetime import timedelta

from django.db import models, router, transaction
from django.db.models import F
from django.utils import timezone

from jewelry import trace_context
from jewelry.contracts import Message, contract_for, publish
from jewelry.lifecycle import status_deadlines

log = logging.getLogger(__name__)


class OutboxMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=100)
    payload = models.JSONField()
    order_id = models.BigIntegerField(db_index=True)
    # W3C trace context of the transaction that wrote the row: a late relay still
    # lands the consumer in the trace of the request that caused the message.
    trace_context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # The message's priority in its queue (higher first; only ``mes.pricing`` orders by it), kept
    # so that a relayed or re-sent message is as urgent as when it was written.
    priority = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        abstract = True
        ordering = ["created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self):
        return f"{self.task_name} for order {self.order_id} ({'sent' if self.sent_at else 'pending'})"


def enqueue(model: type[OutboxMessage], message: Message, *, priority: int = 0):
    """Write ``message`` (a contract naming its order) in the caller's transaction; publish after commit.

    ``priority`` (0-9, highest first) matters only on a priority queue (``mes.pricing``).
    """
    row = model.objects.create(
        task_name=message.name,
        payload=message.payload(),
        order_id=message.order_id,
        trace_context=trace_context.capture(),
        priority=priority,
    )
    transaction.on_commit(lambda: dispatch(row), using=router.db_for_write(model))
    return row


def dispatch(row: OutboxMessage) -> bool:
    """Publish one outbox row; on any failure leave it pending for the relay. Never raises."""
    manager = type(row).objects
    try:
        with trace_context.attached(row.trace_context):
            publish(row.task_name, row.payload, task_id=str(row.id), priority=row.priority)
    except Exception as exc:  # broker down, DNS, auth...: the row keeps the message
        log.warning("Outbox message %s not published yet: %r", row.id, exc)
        manager.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=repr(exc)[:500])
        return False
    manager.filter(pk=row.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
    return True


# A message sent again gets this long (or its order's status deadline, if shorter) before the next try.
RESEND_AFTER = timedelta(hours=1)


def resend(rows: list[OutboxMessage], *, status: str, now) -> list[OutboxMessage]:
    """Publish ``rows`` of an order in ``status`` again, unless they went out lately; returns those sent.

    Safe to repeat: every consumer ignores a message whose effect is already there.
    """
    wait = min(RESEND_AFTER, status_deadlines().get(status, RESEND_AFTER))
    due = [row for row in rows if row.sent_at is None or row.sent_at <= now - wait]
    return [row for row in due if dispatch(row)]


def by_order(model: type[OutboxMessage], order_ids: list[int]) -> dict[int, list[OutboxMessage]]:
    """A system's outbox rows for these orders, oldest first, grouped by order id."""
    rows: dict[int, list[OutboxMessage]] = {}
    for row in model.objects.filter(order_id__in=order_ids).order_by("created_at"):
        rows.setdefault(row.order_id, []).append(row)
    return rows


def carrying(rows: list[OutboxMessage], contract: type[Message]) -> list[OutboxMessage]:
    """Those of ``rows`` that carry a ``contract`` message, in their order."""
    return [row for row in rows if row.task_name == contract.name]


def latest(rows: list[OutboxMessage], contract: type[Message]) -> list[OutboxMessage]:
    """The newest of ``rows`` carrying a ``contract`` message (as a list: empty if none)."""
    return carrying(rows, contract)[-1:]


def destination(row: OutboxMessage) -> str:
    """The row's ``messaging.destination.name``, from its contract's route."""
    return contract_for(row.task_name).route.destination


def pending(model: type[OutboxMessage], *, older_than_seconds: float = 0):
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return model.objects.filter(sent_at__isnull=True, created_at__lte=cutoff).order_by("created_at")


def relay_pending(model: type[OutboxMessage], *, older_than_seconds: float, limit: int = 500) -> int:
    """Publish rows still pending after ``older_than_seconds``; returns how many went out."""
    return sum(dispatch(row) for row in pending(model, older_than_seconds=older_than_seconds)[:limit])
