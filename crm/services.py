"""What sellers do in the CRM: approve manufacturing, close, cancel, and annotate orders."""

from django.db import transaction

from crm.models import OrderNote
from jewelry import outbox
from jewelry.contracts import ManufacturingApproved, OrderCancelled
from jewelry.errors import InvalidInput, OrderNotFound
from jewelry.lifecycle import OrderStatus
from jewelry.roles import Actor, Role
from shop import events
from shop.models import Order, ShopOutbox
from shop.services import change_status
from tracing import spans


def _seller(seller_id: int) -> Actor:
    return Actor(user_id=seller_id, role=Role.SELLER)


def approve_manufacturing(*, order_id: int, seller_id: int) -> Order:
    """The customer agreed to the price: release the order to the MES operators' queue."""
    with transaction.atomic():
        order = change_status(order_id=order_id, to_status=OrderStatus.MANUFACTURING_APPROVED,
                              actor=_seller(seller_id), savepoint=False, seller_id=seller_id)
        outbox.enqueue(ShopOutbox, ManufacturingApproved(order_id=order.pk, seller_id=seller_id))
    return order


def close_order(*, order_id: int, seller_id: int) -> Order:
    return change_status(order_id=order_id, to_status=OrderStatus.CLOSED, actor=_seller(seller_id))


# Statuses in which MES already holds a job for the order: a cancellation must reach it.
KNOWN_TO_MES = (OrderStatus.SUBMITTED, OrderStatus.PRICE_CALCULATED)


def cancel_order(*, order_id: int, seller_id: int) -> Order:
    """The customer walked away: the order ends, and MES, if it knows the order, is told through the queue."""
    with transaction.atomic():
        before = Order.objects.select_for_update().filter(pk=order_id).values_list("status", flat=True).first()
        order = change_status(order_id=order_id, to_status=OrderStatus.CANCELLED, actor=_seller(seller_id),
                              savepoint=False)
        if before in KNOWN_TO_MES:
            outbox.enqueue(ShopOutbox, OrderCancelled(order_id=order.pk, seller_id=seller_id,
                                                          customer_id=order.customer_id))
    return order


def add_note(*, order_id: int, author_id: int, text: str) -> OrderNote:
    text = text.strip()
    if not text:
        raise InvalidInput("A note needs some text.", code="note_empty")
    if not Order.objects.filter(pk=order_id).exists():
        raise OrderNotFound(order_id)
    spans.annotate_order(order_id=order_id)
    with transaction.atomic():
        note = OrderNote.objects.create(order_id=order_id, author_id=author_id, text=text)
        events.record_note(order_id=order_id, note_id=note.pk, author=_seller(author_id))
    return note
