"""The one signal of the order lifecycle, sent by ``shop.services.change_status``."""

from django.dispatch import Signal

# kwargs: order (after the change), change (the OrderStatusChange row), previous_status,
# previous_status_changed_at (when the order entered previous_status)
order_status_changed = Signal()
