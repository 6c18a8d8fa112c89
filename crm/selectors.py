"""What sellers and support ask: all orders, filtered, and one order with everything about it."""

from jewelry.errors import OrderNotFound
from shop.models import Order


def all_orders():
    return Order.objects.order_by("-created_at", "-id")


def order_with_history(*, order_id: int) -> Order:
    order = Order.objects.filter(pk=order_id).prefetch_related("history", "notes").first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def stuck_orders():
    """Orders the stuck-order detector marked, longest stuck first."""
    return Order.objects.filter(stuck_since__isnull=False).order_by("stuck_since", "id")
