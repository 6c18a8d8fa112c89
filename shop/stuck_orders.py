"""Lost orders, the shop's side: mark orders past their status deadline, re-send the shop's lost messages.

Each system looks after its own side (docs/lost-orders.md). The shop marks and counts
its orders, sends again what never left its outbox, and tells MES which orders are
stuck (``CheckStuckOrders``); MES sends its own lost answers again and asks the
shop, by message, for requests it never received (``RequestNotReceived``).
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, F, Q
from django.utils import timezone

from jewelry import outbox
from jewelry.contracts import CheckStuckOrders, StuckOrder, contract_for, send
from jewelry.lifecycle import status_deadlines, waiting_for
from jewelry.messaging import OUTBOX_NOT_DELIVERED
from shop import events
from shop.models import Order, ShopOutbox
from tracing import attributes as A
from tracing import metrics, record, spans

# Stuck orders examined (spans, re-dispatch) per scan, longest stuck first; the gauge counts all.
SCAN_LIMIT = 1000
ORDER_STUCK = "order_stuck"  # error.type of the per-order span


@dataclass
class Scan:
    """What one run of the shop's detector found and did."""

    stuck_by_status: dict[str, int]
    newly_marked: int = 0
    cleared: int = 0
    redispatched: dict[int, str] = field(default_factory=dict)  # order id -> cause (the shop's side)


def _overdue(now: datetime) -> Q:
    # A model MES refused (error_code) waits for the customer's new file: not lost.
    by_status = [Q(status=status, status_changed_at__lte=now - deadline)
                 for status, deadline in status_deadlines().items()]
    return reduce(or_, by_status, Q(pk__in=[])) & Q(error_code="")


def overdue_orders(*, now: datetime | None = None):
    return Order.objects.filter(_overdue(now or timezone.now()))


def _mark(now: datetime) -> int:
    """Stamp newly overdue orders with the moment their deadline passed."""
    marked = 0
    for status, deadline in status_deadlines().items():
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
    return {status: counted.get(status, 0) for status in status_deadlines()}


def detect_stuck_orders(*, now: datetime | None = None) -> Scan:
    """One scan: mark and count stuck orders, emit a span for each, re-send what the shop lost, tell MES."""
    now = now or timezone.now()
    with spans.order_span("detect stuck orders"):
        scan = Scan(stuck_by_status={}, cleared=_clear_recovered(now), newly_marked=_mark(now))
        scan.stuck_by_status = _count_by_status(now)
        metrics.set_stuck_orders(scan.stuck_by_status)
        stuck = list(overdue_orders(now=now).filter(stuck_since__isnull=False)
                     .order_by("stuck_since", "id")[:SCAN_LIMIT + 1])
        complete = len(stuck) <= SCAN_LIMIT
        stuck = stuck[:SCAN_LIMIT]
        scan.redispatched = _handle_stuck(stuck, now)
        _tell_mes(stuck, scan.redispatched, now=now, complete=complete)
    return scan


def _handle_stuck(orders: list[Order], now: datetime) -> dict[int, str]:
    rows_by_order = outbox.by_order(ShopOutbox, [order.pk for order in orders])
    redispatched = {}
    for order in orders:
        with spans.order_span("stuck order", order, attributes={A.ORDER_STUCK_SINCE: order.stuck_since.isoformat()}):
            record.error(code=ORDER_STUCK, system="shop", message=(
                f"Order {order.pk} has been stuck in {order.status} since {order.stuck_since.isoformat()}, "
                f"waiting for {waiting_for(order.status) or 'nobody'}."))
            pending = [row for row in rows_by_order.get(order.pk, []) if row.sent_at is None]
            if pending and redispatch(order, OUTBOX_NOT_DELIVERED, pending, now=now):
                redispatched[order.pk] = OUTBOX_NOT_DELIVERED
    return redispatched


def _tell_mes(orders: list[Order], redispatched: dict[int, str], *, now: datetime, complete: bool) -> None:
    """Send MES the stuck list: it marks its jobs and looks for what it lost itself.

    A plain message, not an outbox row: if it is lost, the next scan sends a new one.
    An order whose request the shop has just sent again is not diagnosed this time.
    """
    stuck = [StuckOrder(order_id=order.pk, status=order.status, stuck_since=order.stuck_since,
                        model_key=order.model_file.name, submission=order.submission,
                        diagnose=order.pk not in redispatched)
             for order in orders]
    try:
        send(CheckStuckOrders(stuck=stuck, complete=complete, scanned_at=now))
    except Exception as exc:  # the broker is down: the marks reach MES with the next scan
        record.error(code="stuck_check_not_sent", system="shop", exception=exc,
                     message="The stuck-order list could not be sent to MES; the next scan sends it again.")


def redispatch(order: Order, cause: str, rows: list, *, now: datetime) -> bool:
    """Publish the shop's ``rows`` again unless they went out recently; True if anything was sent."""
    sent = outbox.resend(rows, status=order.status, now=now)
    if sent:
        record.redispatch(status=order.status, cause=cause,
                          messages=[(str(row.pk), outbox.destination(row)) for row in sent])
        events.record_redispatch(order_id=order.pk, cause=cause, message_ids=[str(row.pk) for row in sent])
    return bool(sent)


def resend_request(*, order_id: int, task_name: str, cause: str, scanned_at: datetime) -> bool:
    """MES never received the shop's ``task_name`` message for this order: send the latest one again."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return False
    spans.annotate_order(order)
    rows = outbox.latest(outbox.by_order(ShopOutbox, [order_id]).get(order_id, []), contract_for(task_name))
    return redispatch(order, cause, rows, now=scanned_at)
