"""Back office for orders: read-mostly; status changes go through the APIs, never the admin."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from jewelry.admin import OutboxAdmin, ReadOnlyAdmin
from shop.models import Order, OrderEvent, OrderStatusChange, ShopOutbox
from tracing.links import jaeger_ui_url, order_traces_url, trace_url


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
    # The file field itself would link to a public media URL: the console's download view instead.
    exclude = ["model_file"]
    readonly_fields = ["journey_link", "traces_link", "model_file_link", "operator_link", "mes_job_link",
                       "crm_notes"]
    inlines = [StatusChangeInline]

    def get_ordering(self, request):
        if request.GET.get(StuckFilter.parameter_name) == "yes":
            return ["stuck_since", "id"]  # the longest stuck first
        return super().get_ordering(request)

    @admin.display(description="journey")
    def journey_link(self, order):
        return format_html('<a href="{}">Open in the support console</a>',
                           reverse("support:order", args=[order.pk]))

    @admin.display(description="model file")
    def model_file_link(self, order):
        if not order.model_file:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("support:model-file", args=[order.pk]),
                           order.model_file_name or "download")

    @admin.display(description="operator")
    def operator_link(self, order):
        if order.operator_id is None:
            return "-"
        return format_html('<a href="{}">user {}</a>',
                           reverse("admin:auth_user_change", args=[order.operator_id]), order.operator_id)

    @admin.display(description="MES job")
    def mes_job_link(self, order):
        # MES's job lives in the MES DB and knows the order by id: link its admin list, searched by id.
        return format_html('<a href="{}?q={}">job of order {}</a>',
                           reverse("admin:mes_manufacturingjob_changelist"), order.pk, order.pk)

    @admin.display(description="notes")
    def crm_notes(self, order):
        notes = order.notes.all()  # the CRM's notes, through their reverse relation
        if not notes:
            return "-"
        return format_html_join("", "<p>{} <small>(user {}, {})</small></p>",
                                ((note.text, note.author_id, f"{note.created_at:%Y-%m-%d %H:%M:%S}")
                                 for note in notes))

    @admin.display(description="all traces of this order")
    def traces_link(self, order):
        label = "Search Jaeger" if jaeger_ui_url() else "Its journey in the support console"
        return format_html('<a href="{}" target="_blank">{}</a>', order_traces_url(order.pk), label)


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "from_status", "to_status", "at", "actor_role", "actor_id", "system", "trace_id"]
    list_filter = ["to_status", "system"]
    search_fields = ["=order__id", "trace_id"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    """The append-only event log: read here, written only by ``shop.events``."""

    list_display = ["order_id", "at", "kind", "system", "actor_role", "actor_id", "detail", "trace_id"]
    list_filter = ["kind", "system"]
    search_fields = ["=order__id", "trace_id"]


@admin.register(ShopOutbox)
class ShopOutboxAdmin(OutboxAdmin):
    pass
