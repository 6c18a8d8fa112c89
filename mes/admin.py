"""Back office for MES records (MES DB): jobs and outbox read-only, metal prices editable."""

from django.contrib import admin

from jewelry.admin import OutboxAdmin, ReadOnlyAdmin
from jewelry.routers import MES_DB
from mes.models import ApiClient, ManufacturingJob, MesOutbox, MetalPrice


class MesDatabaseAdmin(admin.ModelAdmin):
    """Admin reads and writes go to the MES DB (the router does it, this keeps it explicit)."""

    using = MES_DB

    def get_queryset(self, request):
        return super().get_queryset(request).using(self.using)


@admin.register(ManufacturingJob)
class ManufacturingJobAdmin(MesDatabaseAdmin, ReadOnlyAdmin):
    list_display = ["order_id", "stage", "metal", "price", "assignee_id", "error_code", "stuck_since", "approved_at"]
    list_filter = ["stage", "metal"]
    search_fields = ["=order_id"]


@admin.register(MesOutbox)
class MesOutboxAdmin(MesDatabaseAdmin, OutboxAdmin):
    pass


@admin.register(MetalPrice)
class MetalPriceAdmin(MesDatabaseAdmin):
    list_display = ["code", "density_g_cm3", "price_per_gram", "labour_cost"]


@admin.register(ApiClient)
class ApiClientAdmin(MesDatabaseAdmin):
    list_display = ["name", "key_prefix", "is_active", "created_at"]
    readonly_fields = ["key_prefix", "key_hash", "created_at"]

    def has_add_permission(self, request):
        return False  # keys are issued by `manage.py create_api_client`, which shows the key once
