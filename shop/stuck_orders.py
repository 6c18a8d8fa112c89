"""Lost orders: find orders past their status deadline, mark them stuck, and send lost messages again.

An operations job that looks at both systems by order id: next to the shop's order it
reads MES's job and outbox from the MES DB (no query joins the two databases, no
foreign key crosses them). Sending again is safe: every consumer is idempotent.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, F, Q
from django.utils import timezone

from jewelry import outbox
from jewelry.lifecycle import FINAL_STATUSES, POSITION, OrderStatus, waiting_for
from jewelry.messaging import route_for
from mes.models import ManufacturingJob, MesOutbox
from shop.models import Order, ShopOutbox
from tracing import attributes as A
from tracing import metrics, record, spans

S = OrderStatus
# Stuck orders examined (spans, re-dispatch) per scan, longest stuck first; the gauge counts all.
SCAN_LIMIT = 1000
# A message sent again gets this long (or the status deadline, if shorter) before the next try.
RESEND_AFTER = timedelta(hours=1)
ORDER_STUCK = "order_stuck"  # error.type of the per-order span
MANUFACTURING = (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, S.PACKAGING)

# Why a stuck order's message is sent again (the span event's and the counter's cause).
OUTBOX_NOT_DELIVERED = "outbox_not_delivered"
PRICE_REQUEST_NOT_RECEIVED = "price_request_not_received"
PRICE_NOT_RECORDED = "price_not_recorded"
PRICING_FAILURE_NOT_RECORDED = "pricing_failure_not_recorded"
APPROVAL_NOT_RECEIVED = "approval_not_received"
PROGRESS_NOT_RECORDED = "progress_not_recorded"


@dataclass
class Scan:
    """What one run of the detector found and did."""

    stuck_by_status: dict[str, int]
    newly_marked: int = 0
    cleared: int = 0
    redispatched: dict[int, str] = field(default_factory=dict)  # order id -> cause


def deadlines() -> dict[str, timedelta]:
    """``STUCK_ORDER_DEADLINES_SECONDS`` as timedeltas, checked against the lifecycle."""
    configured = settings.STUCK_ORDER_DEADLINES_SECONDS
    unknown = sorted(set(configured) - set(OrderStatus.values))
    if unknown:
        raise ImproperlyConfigured(f"STUCK_ORDER_DEADLINES_SECONDS names unknown statuses: {unknown}")
    return {status: timedelta(seconds=float(seconds)) for status, seconds in configured.items()
            if status not in FINAL_STATUSES}


def _overdue(now: datetime) -> Q:
    # A model MES refused (error_code) waits for the customer's new file: not lost.
    by_status = [Q(status=status, status_changed_at__lte=now - deadline)
                 for status, deadline in deadlines().items()]
    return reduce(or_, by_status, Q(pk__in=[])) & Q(error_code="")


def overdue_orders(*, now: datetime | None = None):
    return Order.objects.filter(_overdue(now or timezone.now()))


def _mark(now: datetime) -> int:
    """Stamp newly overdue orders with the moment their deadline passed."""
    marked = 0
    for status, deadline in deadlines().items():
        marked += Order.objects.filter(
            status=status, status_changed_at__lte=now - deadline, error_code="", stuck_since__isnull=True,
        ).update(stuck_since=F("status_changed_at") + deadline)
    return marked


def _clear_recovered(now: datetime) -> int:
    """Orders no longer overdue (a refusal came back, a deadline was raised) lose their mark."""
    return Order.objects.filter(stuck_since__isnull=False).exclude(_overdue(now)).update(stuck_since=None)


def _count_by_status(now: datetime) -> dict[str, int]:
    rows = overdue_orders(now=now).order_by().values_list("status").annotate(count=Count("id"))
    counted = dict(rows)
    return {status: counted.get(status, 0) for status in deadlines()}


def detect_stuck_orders(*, now: datetime | None = None) -> Scan:
    """One scan: mark and count stuck orders, emit a span for each, re-send what was lost."""
    now = now or timezone.now()
    with spans.order_span("detect stuck orders"):
        scan = Scan(stuck_by_status={}, cleared=_clear_recovered(now), newly_marked=_mark(now))
        scan.stuck_by_status = _count_by_status(now)
        metrics.set_stuck_orders(scan.stuck_by_status)
        stuck = list(overdue_orders(now=now).filter(stuck_since__isnull=False)
                     .order_by("stuck_since", "id")[:SCAN_LIMIT])
        scan.redispatched = _handle_stuck(stuck, now)
    return scan


def _rows_by_order(model, order_ids: list[int]) -> dict[int, list]:
    rows: dict[int, list] = {}
    for row in model.objects.filter(order_id__in=order_ids).order_by("created_at"):
        rows.setdefault(row.order_id, []).append(row)
    return rows


def _handle_stuck(orders: list[Order], now: datetime) -> dict[int, str]:
    order_ids = [order.pk for order in orders]
    jobs = {job.order_id: job for job in ManufacturingJob.objects.filter(order_id__in=order_ids)}
    _show_in_mes(orders, jobs)
    shop_rows, mes_rows = _rows_by_order(ShopOutbox, order_ids), _rows_by_order(MesOutbox, order_ids)
    redispatched = {}
    for order in orders:
        with spans.order_span("stuck order", order,
                              attributes={A.ORDER_STUCK_SINCE: order.stuck_since.isoformat()}) as span:
            record.error(code=ORDER_STUCK, system="shop", message=(
                f"Order {order.pk} has been stuck in {order.status} since {order.stuck_since.isoformat()}, "
                f"waiting for {waiting_for(order.status) or 'nobody'}."))
            cause, rows = diagnose(order, jobs.get(order.pk), shop_rows.get(order.pk, []),
                                   mes_rows.get(order.pk, []))
            if cause and redispatch(order, cause, rows, now=now, span=span):
                redispatched[order.pk] = cause
    return redispatched


def _show_in_mes(orders: list[Order], jobs: dict[int, ManufacturingJob]) -> None:
    """Copy the stuck marks onto MES's jobs (by order id), so operators see them in the MES API."""
    ManufacturingJob.objects.filter(stuck_since__isnull=False).exclude(
        order_id__in=[order.pk for order in orders]).update(stuck_since=None)
    for order in orders:
        job = jobs.get(order.pk)
        if job is not None and job.stuck_since != order.stuck_since:
            ManufacturingJob.objects.filter(pk=job.pk).update(stuck_since=order.stuck_since)
            job.stuck_since = order.stuck_since


def diagnose(order: Order, job: ManufacturingJob | None, shop_rows: list, mes_rows: list) -> tuple[str, list]:
    """Which message of a stuck order went missing, and the outbox rows that carry it ("" if none)."""
    pending = [row for row in (*shop_rows, *mes_rows) if row.sent_at is None]
    if pending:
        return OUTBOX_NOT_DELIVERED, pending
    if order.status == S.SUBMITTED:
        return _lost_in_pricing(job, shop_rows, mes_rows)
    if order.status not in MANUFACTURING or job is None:
        return "", []  # waiting for a person (seller, operator), not for a message
    if order.status == S.MANUFACTURING_APPROVED and job.stage == S.PRICE_CALCULATED:
        return APPROVAL_NOT_RECEIVED, _latest(shop_rows, "mes.approve_manufacturing")
    missed = [row for row in mes_rows if row.task_name == "shop.record_manufacturing_progress"
              and POSITION.get(row.payload.get("status"), -1) > POSITION[order.status]]
    return (PROGRESS_NOT_RECORDED, missed) if missed else ("", [])


def _lost_in_pricing(job: ManufacturingJob | None, shop_rows: list, mes_rows: list) -> tuple[str, list]:
    request = _latest(shop_rows, "mes.price_order")
    if job is not None and job.stage != S.SUBMITTED:
        return PRICE_NOT_RECORDED, _latest(mes_rows, "shop.record_price")
    requested_key = request[0].payload.get("model_key") if request else None
    if job is not None and job.error_code and job.model_key == requested_key:
        return PRICING_FAILURE_NOT_RECORDED, _latest(mes_rows, "shop.record_pricing_failure")
    # No job, a job still unpriced, or a refusal of an older file: the request itself is lost.
    return PRICE_REQUEST_NOT_RECEIVED, request


def _latest(rows: list, task_name: str) -> list:
    matching = [row for row in rows if row.task_name == task_name]
    return matching[-1:]


def redispatch(order: Order, cause: str, rows: list, *, now: datetime, span=None) -> bool:
    """Publish ``rows`` again unless they went out recently; True if anything was sent.

    Idempotent twice over: a row sent within ``RESEND_AFTER`` (or the status deadline) is
    left alone, and every consumer ignores a message whose effect is already there.
    """
    wait = min(RESEND_AFTER, deadlines().get(order.status, RESEND_AFTER))
    due = [row for row in rows if row.sent_at is None or row.sent_at <= now - wait]
    sent = [row for row in due if outbox.dispatch(row)]
    if sent:
        record.redispatch(status=order.status, cause=cause,
                          messages=[(str(row.pk), route_for(row.task_name).destination) for row in sent])
    return bool(sent)
