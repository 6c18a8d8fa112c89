"""The audit log of Jaeger access: one row per request the access proxy asked about (shop DB)."""

from django.db import models
from django.utils import timezone

MAX_URI_LENGTH = 2000
MAX_SEARCH_LENGTH = 1000


class JaegerAccessLog(models.Model):
    class Decision(models.TextChoices):
        ALLOWED = "allowed"
        REFUSED = "refused"  # logged in, but neither Support nor Developer
        LOGIN = "login"  # not logged in: sent to the login page

    at = models.DateTimeField(default=timezone.now)
    # The user's id only, never a name, and no foreign key: the audit must outlive the account.
    user_id = models.IntegerField(null=True, blank=True)
    method = models.CharField(max_length=10)
    uri = models.CharField(max_length=MAX_URI_LENGTH, help_text="Path and query, shortened if longer.")
    trace_id = models.CharField(max_length=32, blank=True, help_text="The trace looked at, if any.")
    search_service = models.CharField(max_length=200, blank=True)
    search_tags = models.CharField(max_length=MAX_SEARCH_LENGTH, blank=True,
                                   help_text="The attributes searched for (e.g. an order id).")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    # The client's address as the proxy saw it (X-Real-IP). Personal-ish, but auditing
    # staff access to production data is a legitimate interest; kept with the row.
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="jaeger_access_at"),
            models.Index(fields=["user_id", "-at"], name="jaeger_access_user_at"),
            models.Index(fields=["trace_id"], name="jaeger_access_trace",
                         condition=~models.Q(trace_id="")),
        ]

    def __str__(self):
        return f"{self.decision} {self.method} {self.uri[:80]} (user {self.user_id})"
