"""Shop data: customers' orders, their status history and event log, and the shop's outbox (shop DB)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from jewelry.lifecycle import OrderStatus
from jewelry.metals import Metal
from jewelry.outbox import OutboxMessage


def model_upload_path(order: "Order", file_name: str) -> str:
    # The key holds ids only: a customer's file name never reaches storage paths or messages.
    extension = file_name.rsplit(".", 1)[-1].lower()
    return f"models/{order.customer_id}/{order.pk}/{timezone.now():%Y%m%d%H%M%S}.{extension}"


class Order(models.Model):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    # Written only by shop.services.change_status.
    status = models.CharField(max_length=32, choices=OrderStatus.choices, default=OrderStatus.INITIATED)
    metal = models.CharField(max_length=32, choices=Metal.choices, default=Metal.GOLD_18K)

    model_file = models.FileField(upload_to=model_upload_path, blank=True, max_length=255)
    model_file_name = models.CharField(max_length=255, blank=True)
    model_format = models.CharField(max_length=8, blank=True)
    model_size = models.PositiveBigIntegerField(null=True, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)

    # Raised by every submit; each pricing message names the submission it is about, so a
    # late or repeated answer about an earlier model is told apart (README, "The order lifecycle").
    submission = models.PositiveIntegerField(default=0)

    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operator_id = models.BigIntegerField(null=True, blank=True)  # the MES operator (user id)

    # The last failure another system reported for this order (e.g. pricing refused the model).
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # Set by the stuck-order detector while the order is past its status deadline.
    stuck_since = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    # The creation call's trace (hex): INITIATED has no history row to keep it. The database default
    # lets the previous release, which does not know the column, create orders during a rolling deploy.
    created_trace_id = models.CharField(max_length=32, blank=True, default="", db_default="")
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "status_changed_at"]),
            models.Index(fields=["-created_at"]),
        ]

    def __str__(self):
        return f"Order {self.pk} ({self.status})"


class OrderStatusChange(models.Model):
    """One row per transition: append-only history, written with the status in one transaction."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=32, choices=OrderStatus.choices)
    to_status = models.CharField(max_length=32, choices=OrderStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)  # user id; none for MES machinery
    actor_role = models.CharField(max_length=32)
    system = models.CharField(max_length=8)  # shop | crm | mes
    trace_id = models.CharField(max_length=32, blank=True)  # the transition's trace (hex)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"


class AppendOnlyError(RuntimeError):
    """An order's event log is only ever added to: an event is never changed or deleted by the product."""


class OrderEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Order events are never updated.")

    def delete(self):
        raise AppendOnlyError("Order events are never deleted; they go with their order.")


class OrderEvent(models.Model):
    """Every fact about an order, kept with the order (unlike traces): written by ``shop.events``.

    ``detail`` holds ids and codes only, never a name or an address: the console resolves people.
    """

    class Kind(models.TextChoices):
        TRANSITION = "transition"  # detail: from, to
        FAILURE = "failure"  # detail: code, message, system
        MESSAGE_SENT = "message_sent"  # detail: task, message_id
        MESSAGE_RECEIVED = "message_received"  # detail: task, message_id, attempt, redelivered
        REDISPATCH = "redispatch"  # detail: cause, message_ids
        NOTE = "note"  # detail: note_id

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)  # user id; none for machinery
    actor_role = models.CharField(max_length=32, blank=True)
    system = models.CharField(max_length=8)  # shop | crm | mes: where the fact was made
    trace_id = models.CharField(max_length=32, blank=True)  # the trace it was made in (hex)
    detail = models.JSONField(default=dict, blank=True)

    objects = OrderEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self):
        return f"{self.order_id}: {self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Order events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Order events are never deleted; they go with their order.")


class ShopOutbox(OutboxMessage):
    """Messages the shop and CRM send to MES (see jewelry.outbox)."""

    class Meta(OutboxMessage.Meta):
        verbose_name = "shop outbox message"
        verbose_name_plural = "shop outbox messages"
