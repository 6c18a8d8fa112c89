"""Shop API shapes: what a customer sends and sees."""

from rest_framework import serializers

from jewelry.metals import Metal
from shop.models import Order, OrderStatusChange

METAL_CHOICE = f"Name the metal: one of {', '.join(Metal.values)}."


class OrderCreateInput(serializers.Serializer):
    # No default: a piece made in a metal the customer never chose is a wrong piece.
    metal = serializers.ChoiceField(
        choices=Metal.choices, help_text="The alloy to make the piece in.",
        error_messages={refusal: METAL_CHOICE for refusal in ("required", "null", "blank", "invalid_choice")},
    )


class ModelUploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, max_length=255)


class StatusChangeOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "at", "actor_id", "actor_role", "system", "trace_id"]


class OrderOutput(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = [
            "id", "status", "metal", "price", "model_file_name", "model_format", "model_size",
            "model_sha256", "error_code", "error_message", "created_at", "status_changed_at",
        ]


class OrderDetailOutput(OrderOutput):
    history = StatusChangeOutput(many=True, read_only=True)

    class Meta(OrderOutput.Meta):
        fields = [*OrderOutput.Meta.fields, "history"]
