"""CRM data: sellers' notes on orders (shop DB)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OrderNote(models.Model):
    order = models.ForeignKey("shop.Order", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Note on order {self.order_id}"
