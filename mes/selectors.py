"""What MES asks: the operators' work queue and one job."""

from jewelry.errors import OrderNotFound
from jewelry.lifecycle import OrderStatus
from mes.models import ManufacturingJob

QUEUE_FIELDS = ("id", "order_id", "metal", "price", "approved_at", "volume_mm3", "triangle_count")


def operator_queue():
    """Approved jobs nobody has taken, oldest approval first (served by ``mes_job_queue_idx``)."""
    return (
        ManufacturingJob.objects.filter(stage=OrderStatus.MANUFACTURING_APPROVED, assignee_id__isnull=True)
        .order_by("approved_at", "id")
        .only(*QUEUE_FIELDS)
    )


def job_for_order(order_id: int) -> ManufacturingJob:
    job = ManufacturingJob.objects.filter(order_id=order_id).first()
    if job is None:
        raise OrderNotFound(order_id, f"MES has no order {order_id}.")
    return job


def jobs_by_order(order_ids: list[int]) -> dict[int, ManufacturingJob]:
    return {job.order_id: job for job in ManufacturingJob.objects.filter(order_id__in=order_ids)}
