"""What the shop asks: a customer's orders, and one order with its history."""

from jewelry.errors import OrderNotFound
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
