"""Backfill the event log of orders made before it existed, from what the shop database still holds.

Recovered: every transition (the status history), every message the shop and CRM sent
(their outbox rows), every CRM note, and the order's current failure (``error_code``).
Not recoverable: failures that a later one or a re-upload overwrote, the time of the current
failure (its event takes the time of the last message the shop sent, the price request
it answered, or of the order's last status change if later),
MES's messages the shop received and their attempts, and the stuck-order detector's
re-dispatches: those lived only in traces. Backfilled events say ``"backfilled": true``.
An order that already has events is left alone, so the migration can run again.
"""

from django.db import migrations

BATCH = 500


def _trace_id(carrier: dict) -> str:
    parts = (carrier or {}).get("traceparent", "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else ""


def _events_of(order, history, outbox_rows, notes, OrderEvent) -> list:
    events = [OrderEvent(order_id=order.pk, kind="transition", at=change.at, actor_id=change.actor_id,
                         actor_role=change.actor_role, system=change.system, trace_id=change.trace_id,
                         detail={"from": change.from_status, "to": change.to_status, "backfilled": True})
              for change in history]
    events += [OrderEvent(order_id=order.pk, kind="message_sent", at=row.created_at, system="shop",
                          trace_id=_trace_id(row.trace_context),
                          detail={"task": row.task_name, "message_id": str(row.pk), "backfilled": True})
               for row in outbox_rows]
    events += [OrderEvent(order_id=order.pk, kind="note", at=note.created_at, actor_id=note.author_id,
                          actor_role="seller", system="crm", detail={"note_id": note.pk, "backfilled": True})
               for note in notes]
    if order.error_code:
        answered = max([order.status_changed_at] + [row.created_at for row in outbox_rows])
        events.append(OrderEvent(order_id=order.pk, kind="failure", at=answered, system="mes",
                                 actor_role="mes-system",
                                 detail={"code": order.error_code, "message": order.error_message,
                                         "system": "mes", "backfilled": True}))
    return events


def backfill(apps, schema_editor):
    db = schema_editor.connection.alias
    Order, OrderEvent = apps.get_model("shop", "Order"), apps.get_model("shop", "OrderEvent")
    OrderStatusChange = apps.get_model("shop", "OrderStatusChange")
    ShopOutbox = apps.get_model("shop", "ShopOutbox")
    OrderNote = apps.get_model("crm", "OrderNote")
    logged = OrderEvent.objects.using(db).values("order_id")
    # The ids first: once a batch is logged, its orders would drop out of a re-read query.
    unlogged = Order.objects.using(db).exclude(pk__in=logged).order_by("pk")
    order_ids = list(unlogged.values_list("pk", flat=True))
    for start in range(0, len(order_ids), BATCH):
        ids = order_ids[start:start + BATCH]
        batch = list(Order.objects.using(db).filter(pk__in=ids))
        history, outbox_rows, notes = {}, {}, {}
        for change in OrderStatusChange.objects.using(db).filter(order_id__in=ids).order_by("at", "id"):
            history.setdefault(change.order_id, []).append(change)
        for row in ShopOutbox.objects.using(db).filter(order_id__in=ids).order_by("created_at"):
            outbox_rows.setdefault(row.order_id, []).append(row)
        for note in OrderNote.objects.using(db).filter(order_id__in=ids).order_by("created_at", "id"):
            notes.setdefault(note.order_id, []).append(note)
        events = []
        for order in batch:
            events += _events_of(order, history.get(order.pk, []), outbox_rows.get(order.pk, []),
                                 notes.get(order.pk, []), OrderEvent)
        OrderEvent.objects.using(db).bulk_create(sorted(events, key=lambda event: event.at))


class Migration(migrations.Migration):
    dependencies = [("shop", "0005_order_event"), ("crm", "0001_initial")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
