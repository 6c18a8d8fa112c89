"""CRM API shapes: the shop order seen by sellers, with history, notes and links to its traces."""

from rest_framework import serializers

from crm.models import OrderNote
from jewelry.lifecycle import waiting_for
from shop.api.serializers import OrderOutput, StatusChangeOutput
from tracing.links import order_traces_url, trace_url


class CrmStatusChangeOutput(StatusChangeOutput):
    trace_url = serializers.SerializerMethodField()

    class Meta(StatusChangeOutput.Meta):
        fields = [*StatusChangeOutput.Meta.fields, "trace_url"]

    def get_trace_url(self, change) -> str:
        return trace_url(change.trace_id)


class NoteOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderNote
        fields = ["id", "author_id", "text", "created_at"]


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000)


class CrmOrderOutput(OrderOutput):
    class Meta(OrderOutput.Meta):
        fields = [*OrderOutput.Meta.fields, "customer_id", "seller_id", "operator_id", "stuck_since"]


class CrmOrderDetailOutput(CrmOrderOutput):
    history = CrmStatusChangeOutput(many=True, read_only=True)
    notes = NoteOutput(many=True, read_only=True)
    traces_url = serializers.SerializerMethodField()

    class Meta(CrmOrderOutput.Meta):
        fields = [*CrmOrderOutput.Meta.fields, "history", "notes", "traces_url"]

    def get_traces_url(self, order) -> str:
        return order_traces_url(order.pk)


class StuckOrderOutput(CrmOrderOutput):
    """A lost order: since when it is stuck, where (status) and which system should move it."""

    waiting_for = serializers.SerializerMethodField()
    traces_url = serializers.SerializerMethodField()

    class Meta(CrmOrderOutput.Meta):
        fields = [*CrmOrderOutput.Meta.fields, "waiting_for", "traces_url"]

    def get_waiting_for(self, order) -> str:
        return waiting_for(order.status)

    def get_traces_url(self, order) -> str:
        return order_traces_url(order.pk)
