"""An order's event log: one small keyword-only writer per kind of fact (``OrderEvent``).

Each is called inside the transaction that makes the fact, so a rolled-back change leaves
no event; a delivery received and a re-dispatch are facts of their own, committed as they
happen. Callers: the status writer (``shop.services.change_status``), the outbox rows the
shop and CRM write for MES (``ShopOutbox`` post-save, below), the shop's consumers of MES's
messages (``shop.tasks``), the stuck-order detector's re-dispatches and the CRM's notes.
Only ids and codes are written: the support console resolves people by id.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from jewelry.lifecycle import acting_system
from jewelry.roles import MES_SYSTEM_ACTOR, Actor
from shop.models import Order, OrderEvent, ShopOutbox
from tracing import spans

Kind = OrderEvent.Kind
# What the CRM and the shop write themselves; what MES reports arrives as a message.
SHOP, MES = "shop", "mes"


def _write(*, order_id: int, kind: str, system: str, detail: dict, actor: Actor | None = None,
           at=None) -> OrderEvent:
    fields = {"at": at} if at is not None else {}
    return OrderEvent.objects.create(
        order_id=order_id, kind=kind, system=system, detail=detail, trace_id=spans.current_trace_id(),
        actor_id=actor.user_id if actor else None, actor_role=actor.role if actor else "", **fields)


def record_transition(*, order_id: int, from_status: str, to_status: str, at, actor: Actor) -> OrderEvent:
    return _write(order_id=order_id, kind=Kind.TRANSITION, system=acting_system(actor.role), at=at,
                  actor=actor, detail={"from": from_status, "to": to_status})


def record_failure(*, order_id: int, code: str, message: str, system: str,
                   actor: Actor | None = None) -> OrderEvent:
    """A failure another system (or the shop) reported; every one is kept, unlike ``Order.error_code``."""
    return _write(order_id=order_id, kind=Kind.FAILURE, system=system, actor=actor,
                  detail={"code": code[:64], "message": message[:500], "system": system})


def record_message_received(*, order_id: int, task_name: str, message_id: str, attempt: int,
                            redelivered: bool = False) -> OrderEvent | None:
    """A message from MES reached the shop's consumer: each delivery is one event (a repeat too).

    None when the order does not exist (the consumer refuses such a message itself).
    """
    if not Order.objects.filter(pk=order_id).exists():
        return None
    return _write(order_id=order_id, kind=Kind.MESSAGE_RECEIVED, system=MES, actor=MES_SYSTEM_ACTOR,
                  detail={"task": task_name, "message_id": message_id, "attempt": attempt,
                          "redelivered": redelivered})


def record_redispatch(*, order_id: int, cause: str, message_ids: list[str]) -> OrderEvent:
    """The stuck-order detector sent the shop's ``message_ids`` again, for ``cause``."""
    return _write(order_id=order_id, kind=Kind.REDISPATCH, system=SHOP,
                  detail={"cause": cause, "message_ids": message_ids})


def record_note(*, order_id: int, note_id: int, author: Actor) -> OrderEvent:
    # The note's text stays in the CRM's table: it may name people, the log does not.
    return _write(order_id=order_id, kind=Kind.NOTE, system=acting_system(author.role), actor=author,
                  detail={"note_id": note_id})


@receiver(post_save, sender=ShopOutbox, dispatch_uid="shop.events.message_sent")
def record_message_sent(sender, instance: ShopOutbox, created: bool, **kwargs) -> None:
    """A message for MES was written to the shop's outbox (by the shop or the CRM): in that transaction.

    The message id is the row id, which is also the Celery task id the consumer sees. No actor:
    the transition written beside it, in the same transaction and trace, names who caused it.
    A row for an order the shop does not hold (the outbox itself does not require one) is not logged.
    """
    if created and Order.objects.filter(pk=instance.order_id).exists():
        _write(order_id=instance.order_id, kind=Kind.MESSAGE_SENT, system=SHOP, at=instance.created_at,
               detail={"task": instance.task_name, "message_id": str(instance.pk)})
