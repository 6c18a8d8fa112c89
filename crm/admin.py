from django.contrib import admin

from crm.models import OrderNote


@admin.register(OrderNote)
class OrderNoteAdmin(admin.ModelAdmin):
    list_display = ["order_id", "author_id", "created_at"]
    search_fields = ["=order__id"]
    raw_id_fields = ["order", "author"]
