"""One order's journey for the support console: stages with times and durations, error, stuck mark, messages.

Read from the shop DB only. What MES did shows up through the traces (its spans join the
order's traces through the messages); the CRM does not read MES's database.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from jewelry.errors import NotFound
from jewelry.lifecycle import OrderStatus, waiting_for
from jewelry.messaging import route_for
from jewelry.roles import Role
from shop.models import Order, ShopOutbox


@dataclass(frozen=True)
class Stage:
    status: str
    entered_at: datetime
    left_at: datetime | None  # None: the order is still in this stage
    seconds: float  # time spent in it (so far, for the current stage)
    actor_id: int | None
    actor_role: str
    system: str
    trace_id: str

    @property
    def is_current(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True)
class Message:
    message_id: str
    task_name: str
    routing_key: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    trace_id: str


@dataclass(frozen=True)
class StuckMark:
    since: datetime  # the moment the status deadline passed
    deadline: timedelta | None  # how long the status may last (STUCK_ORDER_DEADLINES_SECONDS)
    waiting_for: str  # the system whose move is missing


@dataclass(frozen=True)
class Journey:
    order: Order
    stages: list[Stage]
    messages: list[Message]
    notes: list
    stuck: StuckMark | None
    trace_ids: list[str]  # every trace of the order, oldest first

    @property
    def error(self) -> dict | None:
        if not self.order.error_code:
            return None
        # Only MES reports failures onto the order (pricing refused or failed the model).
        return {"code": self.order.error_code, "message": self.order.error_message, "system": "mes"}


def trace_id_of(carrier: dict) -> str:
    """The trace id of a W3C ``traceparent`` (``00-<trace id>-<span id>-<flags>``), or ""."""
    parts = (carrier or {}).get("traceparent", "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else ""


def _stages(order: Order, now: datetime) -> list[Stage]:
    history = list(order.history.all())
    # The order's creation has no history row: the customer created it in the shop.
    entries = [(OrderStatus.INITIATED, order.created_at, order.customer_id, Role.CUSTOMER, "shop", "")]
    entries += [(change.to_status, change.at, change.actor_id, change.actor_role, change.system,
                 change.trace_id) for change in history]
    stages = []
    for index, (status, entered_at, actor_id, role, system, trace_id) in enumerate(entries):
        left_at = entries[index + 1][1] if index + 1 < len(entries) else None
        seconds = ((left_at or now) - entered_at).total_seconds()
        stages.append(Stage(status, entered_at, left_at, seconds, actor_id, role, system, trace_id))
    return stages


def _messages(order_id: int) -> list[Message]:
    return [Message(message_id=str(row.pk), task_name=row.task_name,
                    routing_key=route_for(row.task_name).routing_key, attempts=row.attempts,
                    last_error=row.last_error, created_at=row.created_at, sent_at=row.sent_at,
                    trace_id=trace_id_of(row.trace_context))
            for row in ShopOutbox.objects.filter(order_id=order_id).order_by("created_at")]


def _stuck(order: Order) -> StuckMark | None:
    if order.stuck_since is None:
        return None
    seconds = settings.STUCK_ORDER_DEADLINES_SECONDS.get(order.status)
    return StuckMark(since=order.stuck_since, deadline=timedelta(seconds=seconds) if seconds else None,
                     waiting_for=waiting_for(order.status))


def order_journey(*, order_id: int, now: datetime | None = None) -> Journey:
    order = Order.objects.filter(pk=order_id).prefetch_related("history", "notes").first()
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.", code="order_not_found")
    stages, messages = _stages(order, now or timezone.now()), _messages(order_id)
    trace_ids = []
    for trace_id in [stage.trace_id for stage in stages] + [message.trace_id for message in messages]:
        if trace_id and trace_id not in trace_ids:
            trace_ids.append(trace_id)
    return Journey(order=order, stages=stages, messages=messages, notes=list(order.notes.all()),
                   stuck=_stuck(order), trace_ids=trace_ids)
