"""What the shop asks: a customer's orders, one order with its history, the customer's pricing backlog."""

from jewelry.errors import OrderNotFound
from jewelry.lifecycle import OrderStatus
from shop.models import Order


def customer_orders(*, customer_id: int):
    return Order.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")


def customer_order(*, customer_id: int, order_id: int) -> Order:
    """One of the customer's orders; another customer's order is simply not found."""
    order = (
        Order.objects.filter(customer_id=customer_id, pk=order_id).prefetch_related("history").first()
    )
    if order is None:
        raise OrderNotFound(order_id)
    return order


def orders_waiting_for_price(*, customer_id: int, excluding_order_id: int) -> int:
    """How many of the customer's other orders wait for MES's price: submitted, and not refused."""
    waiting = Order.objects.filter(customer_id=customer_id, status=OrderStatus.SUBMITTED, error_code="")
    return waiting.exclude(pk=excluding_order_id).count()
