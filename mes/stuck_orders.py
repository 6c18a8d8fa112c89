"""Lost orders, MES's side: mark the jobs of stuck orders and send again what MES lost.

The shop's detector sends the list of stuck orders (``CheckStuckOrders``). For
each, MES looks at its own job and outbox only: answers it gave that never arrived are
sent again from its outbox; requests it never got are asked of the shop by message
(``RequestNotReceived``), since only the shop holds them. docs/lost-orders.md.
"""

from datetime import datetime

from django.db import transaction

from jewelry import outbox
from jewelry.contracts import (
    ManufacturingApproved,
    ManufacturingProgressed,
    OrderPriced,
    PriceRequested,
    PricingFailed,
    RequestNotReceived,
    StuckOrder,
)
from jewelry.lifecycle import POSITION, OrderStatus
from jewelry.messaging import (
    APPROVAL_NOT_RECEIVED,
    OUTBOX_NOT_DELIVERED,
    PRICE_NOT_RECORDED,
    PRICE_REQUEST_NOT_RECEIVED,
    PRICING_FAILURE_NOT_RECORDED,
    PROGRESS_NOT_RECORDED,
)
from jewelry.routers import MES_DB
from mes import selectors
from mes.models import ManufacturingJob, MesOutbox
from tracing import attributes as A
from tracing import record, spans

S = OrderStatus
MANUFACTURING = (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, S.PACKAGING)
# Requests only the shop can send again: which cause asks for which of its messages.
ASK_THE_SHOP = {PRICE_REQUEST_NOT_RECEIVED: PriceRequested, APPROVAL_NOT_RECEIVED: ManufacturingApproved}


def check_stuck_orders(*, stuck: list[StuckOrder], complete: bool, scanned_at: datetime) -> dict[int, str]:
    """Mark the stuck orders' jobs, then find and re-send what MES lost; returns order id -> cause."""
    order_ids = [entry.order_id for entry in stuck]
    jobs = selectors.jobs_by_order(order_ids)
    _show_stuck_marks(stuck, jobs, complete=complete)
    rows_by_order = outbox.by_order(MesOutbox, order_ids)
    found = {}
    for entry in stuck:
        job = jobs.get(entry.order_id)
        with spans.order_span("check stuck order", attributes={A.ORDER_ID: entry.order_id,
                                                              A.ORDER_STATUS: entry.status}):
            if job is not None:
                spans.annotate_job(job)
            rows = rows_by_order.get(entry.order_id, [])
            cause, lost = _diagnose(entry, job, rows)
            if cause and _send_again(entry, cause, lost, scanned_at=scanned_at):
                found[entry.order_id] = cause
    return found


def _show_stuck_marks(stuck: list[StuckOrder], jobs: dict[int, ManufacturingJob], *, complete: bool) -> None:
    """Copy the shop's stuck marks onto MES's jobs, so operators see them in the MES API."""
    if complete:  # a list cut at the shop's scan limit says nothing of the orders left out
        ManufacturingJob.objects.filter(stuck_since__isnull=False).exclude(
            order_id__in=[entry.order_id for entry in stuck]).update(stuck_since=None)
    for entry in stuck:
        job = jobs.get(entry.order_id)
        if job is not None and job.stuck_since != entry.stuck_since:
            ManufacturingJob.objects.filter(pk=job.pk).update(stuck_since=entry.stuck_since)
            job.stuck_since = entry.stuck_since


def _diagnose(entry: StuckOrder, job: ManufacturingJob | None, rows: list) -> tuple[str, list]:
    """Which message of a stuck order MES's side lost, and the MES outbox rows that carry it."""
    pending = [row for row in rows if row.sent_at is None]
    if pending:
        return OUTBOX_NOT_DELIVERED, pending
    if not entry.diagnose:
        return "", []  # the shop has just sent its own lost request again
    status = entry.status
    if status == S.SUBMITTED:
        return _lost_in_pricing(job, rows, model_key=entry.model_key, submission=entry.submission)
    if status not in MANUFACTURING or job is None:
        return "", []  # waiting for a person (seller, operator), not for a message
    if status == S.MANUFACTURING_APPROVED and job.stage == S.PRICE_CALCULATED:
        return APPROVAL_NOT_RECEIVED, []
    missed = [row for row in outbox.carrying(rows, ManufacturingProgressed)
              if POSITION.get(row.payload.get("status"), -1) > POSITION[status]]
    return (PROGRESS_NOT_RECORDED, missed) if missed else ("", [])


def _lost_in_pricing(job: ManufacturingJob | None, rows: list, *, model_key: str,
                     submission: int | None) -> tuple[str, list]:
    if job is not None and submission and job.submission is not None and job.submission != submission:
        # MES's answer concerns another submission than the one the order waits for.
        return PRICE_REQUEST_NOT_RECEIVED, []
    if job is not None and job.stage != S.SUBMITTED:
        return PRICE_NOT_RECORDED, outbox.latest(rows, OrderPriced)
    if job is not None and job.error_code and job.model_key == model_key:
        return PRICING_FAILURE_NOT_RECORDED, outbox.latest(rows, PricingFailed)
    # No job, a job still unpriced, or a refusal of an older file: the request itself is lost.
    return PRICE_REQUEST_NOT_RECEIVED, []


def _send_again(entry: StuckOrder, cause: str, rows: list, *, scanned_at: datetime) -> bool:
    if cause in ASK_THE_SHOP:
        with transaction.atomic(using=MES_DB):
            ask = RequestNotReceived(order_id=entry.order_id, task_name=ASK_THE_SHOP[cause].name, cause=cause,
                                     scanned_at=scanned_at)
            outbox.enqueue(MesOutbox, ask)
        return True  # the shop records the re-send on its own span
    sent = outbox.resend(rows, status=entry.status, now=scanned_at)
    if sent:
        record.redispatch(status=entry.status, cause=cause,
                          messages=[(str(row.pk), outbox.destination(row)) for row in sent])
    return bool(sent)
