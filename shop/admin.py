"""Back office for orders: read-mostly; status changes go through the APIs, never the admin."""

from django.contrib import admin
from django.utils.html import format_html

from jewelry.admin import OutboxAdmin, ReadOnlyAdmin
from shop.models import Order, OrderStatusChange, ShopOutbox
from tracing.links import order_traces_url, trace_url


class StatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor_role", "actor_id", "system", "trace_link"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="trace")
    def trace_link(self, change):
        return format_html('<a href="{}" target="_blank">{}</a>', trace_url(change.trace_id),
                           change.trace_id) if change.trace_id else "-"


class StuckFilter(admin.SimpleListFilter):
    """Lost orders (marked by the stuck-order detector), longest stuck first."""

    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", "Stuck, oldest first"), ("no", "Moving")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(stuck_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(stuck_since__isnull=True)
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "customer_id", "metal", "price", "error_code", "stuck_since", "created_at"]
    list_filter = [StuckFilter, "status", "metal"]
    search_fields = ["=id", "=customer__id", "model_sha256"]
    date_hierarchy = "created_at"
    readonly_fields = ["traces_link"]
    inlines = [StatusChangeInline]

    def get_ordering(self, request):
        if request.GET.get(StuckFilter.parameter_name) == "yes":
            return ["stuck_since", "id"]  # the longest stuck first
        return super().get_ordering(request)

    @admin.display(description="all traces of this order")
    def traces_link(self, order):
        return format_html('<a href="{}" target="_blank">Search Jaeger</a>', order_traces_url(order.pk))


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "from_status", "to_status", "at", "actor_role", "actor_id", "system", "trace_id"]
    list_filter = ["to_status", "system"]
    search_fields = ["=order__id", "trace_id"]


@admin.register(ShopOutbox)
class ShopOutboxAdmin(OutboxAdmin):
    pass
