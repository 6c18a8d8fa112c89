"""Back office for tracing: the Jaeger access audit log, read-only."""

from django.contrib import admin
from django.utils.html import format_html

from jewelry.admin import ReadOnlyAdmin
from tracing.links import trace_url
from tracing.models import JaegerAccessLog


@admin.register(JaegerAccessLog)
class JaegerAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "decision", "user_id", "method", "uri", "trace_link", "search_service",
                    "search_tags", "remote_addr"]
    list_filter = ["decision", "method"]
    search_fields = ["=user_id", "=trace_id", "uri", "search_tags", "=remote_addr"]
    date_hierarchy = "at"
    # The log grows with every page view in Jaeger: no COUNT(*) over all of it.
    show_full_result_count = False

    @admin.display(description="trace", ordering="trace_id")
    def trace_link(self, entry):
        if not entry.trace_id:
            return "-"
        return format_html('<a href="{}" target="_blank">{}</a>', trace_url(entry.trace_id), entry.trace_id)
