"""MES API shapes: a job as operators and partners see it."""

from rest_framework import serializers

from mes.models import ManufacturingJob


class QueueItemOutput(serializers.ModelSerializer):
    class Meta:
        model = ManufacturingJob
        fields = ["order_id", "metal", "price", "approved_at", "volume_mm3", "triangle_count"]


class JobOutput(serializers.ModelSerializer):
    status = serializers.CharField(source="stage")

    class Meta:
        model = ManufacturingJob
        fields = [
            "order_id", "status", "metal", "price", "assignee_id",
            "volume_mm3", "surface_area_mm2", "triangle_count", "bbox_mm", "is_watertight",
            "error_code", "error_message", "stuck_since", "created_at", "priced_at", "approved_at", "stage_changed_at",
        ]
