"""Back-office building blocks every system's admin shares: read-only records and outbox views."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the product writes (orders, history, jobs, outboxes, audit rows)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OutboxAdmin(ReadOnlyAdmin):
    """A system's outbox (``jewelry.outbox.OutboxMessage``): what was sent, when, how often, why it failed."""

    list_display = ["id", "task_name", "order_id", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task_name"]
    search_fields = ["=order_id"]
