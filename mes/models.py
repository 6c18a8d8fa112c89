"""MES data (MES DB only): manufacturing jobs, the metal price table, B2B API clients, the MES outbox.

No foreign key leaves this database: a job knows its order, customer and
operator by id.
"""

import hashlib
import secrets

from django.db import models
from django.utils import timezone

from jewelry.lifecycle import OrderStatus
from jewelry.outbox import OutboxMessage


class MetalPrice(models.Model):
    code = models.CharField(max_length=32, unique=True)  # a jewelry.metals.Metal
    density_g_cm3 = models.DecimalField(max_digits=6, decimal_places=3)
    price_per_gram = models.DecimalField(max_digits=10, decimal_places=2)
    labour_cost = models.DecimalField(max_digits=10, decimal_places=2)  # casting, finishing, setting

    def __str__(self):
        return self.code


class ManufacturingJob(models.Model):
    """MES's view of one order, from pricing to shipping."""

    order_id = models.BigIntegerField(unique=True)
    customer_id = models.BigIntegerField()
    metal = models.CharField(max_length=32)
    model_key = models.CharField(max_length=255)
    # The shop's submission of the order this job prices (None: a request sent before requests named it).
    submission = models.PositiveIntegerField(null=True, blank=True)
    # Mirrors the order's lifecycle as MES sees it; written only by mes.services._move_job.
    stage = models.CharField(max_length=32, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED)
    assignee_id = models.BigIntegerField(null=True, blank=True)  # operator user id

    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    volume_mm3 = models.FloatField(null=True, blank=True)
    surface_area_mm2 = models.FloatField(null=True, blank=True)
    triangle_count = models.PositiveIntegerField(null=True, blank=True)
    bbox_mm = models.JSONField(null=True, blank=True)
    is_watertight = models.BooleanField(null=True, blank=True)

    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # Copied from the shop's order by the stuck-order detector, so MES sees the mark too.
    stuck_since = models.DateTimeField(null=True, blank=True)
    # Pricing runs that started and never ended: each one a worker that died mid-task.
    unfinished_pricing_runs = models.PositiveSmallIntegerField(default=0, db_default=0)

    created_at = models.DateTimeField(default=timezone.now)
    priced_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    stage_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The operator queue, oldest approval first: partial, so its page and its COUNT(*)
            # read only queued jobs, however long the history (benchmarks/README.md).
            models.Index(
                fields=["approved_at", "id"],
                name="mes_job_queue_idx",
                condition=models.Q(stage=OrderStatus.MANUFACTURING_APPROVED, assignee_id__isnull=True),
            ),
            models.Index(fields=["assignee_id", "stage"]),
        ]

    def __str__(self):
        return f"Job for order {self.order_id} ({self.stage})"


class MesOutbox(OutboxMessage):
    """Messages MES sends back to the shop (see jewelry.outbox)."""

    class Meta(OutboxMessage.Meta):
        verbose_name = "MES outbox message"
        verbose_name_plural = "MES outbox messages"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    """A B2B partner calling the MES API with a key; only the key's hash is stored."""

    name = models.CharField(max_length=100, unique=True)
    key_prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name

    @classmethod
    def issue(cls, name: str) -> tuple["ApiClient", str]:
        """Create a client and return it with its key (shown once, never stored)."""
        prefix = secrets.token_hex(4)
        key = f"{prefix}.{secrets.token_urlsafe(32)}"
        client = cls.objects.create(name=name, key_prefix=prefix, key_hash=hash_api_key(key))
        return client, key

    # Lets DRF and roles treat an API client as an authenticated principal.
    is_authenticated = True
    is_api_client = True
