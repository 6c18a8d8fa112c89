"""One order's journey for the support console: who, what happened, what next.

Who: the customer, seller, operator and every actor by name (the console is the one place
where people are named; spans, logs and metrics carry ids only). What happened: stages with
times and durations, error, messages. What next: the move the order waits for and its deadline.

Read from the shop DB only, mostly from the order's event log (``shop.models.OrderEvent``):
its transitions, every failure and every message sent and received are kept with the order,
so an order older than trace retention still tells its story. What MES did inside MES shows
up through the traces (its spans join the order's traces through the messages); the CRM does
not read MES's database.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from jewelry.contracts import ManufacturingProgressed, OrderPriced, PricingFailed, contract_for
from jewelry.errors import OrderNotFound
from jewelry.lifecycle import FINAL_STATUSES, NextMove, OrderStatus, next_move, status_deadlines, waiting_for
from jewelry.roles import Role
from jewelry.trace_context import trace_id_of
from shop.models import Order, OrderEvent, ShopOutbox
from tracing import attributes as A


@dataclass(frozen=True)
class Person:
    """A user as support reads them: full name (or username), e-mail."""

    user_id: int
    name: str
    email: str


@dataclass(frozen=True)
class Stage:
    status: str
    entered_at: datetime
    left_at: datetime | None  # None: the order is still in this stage (or ended in it)
    seconds: float | None  # time spent in it (so far, for the current stage); None for a final status
    actor_id: int | None
    actor_role: str
    system: str
    trace_id: str
    actor: Person | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_current(self) -> bool:
        """The stage the order is in and whose clock runs (a final status stops the clock)."""
        return self.left_at is None and not self.is_final


@dataclass(frozen=True)
class Message:
    """A message of the order: one the shop/CRM sent (log + outbox row), or one of MES's reports
    (``MES_REPORTS``) the shop received (one per delivery, from the log) or MES sent (seen in the traces)."""

    message_id: str
    task_name: str
    routing_key: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    trace_id: str
    sender: str = "shop"  # shop (the shop's and CRM's outbox) | mes (a report: received, or in the traces)
    received_at: datetime | None = None  # when the shop ran the report (MES's reports only)
    attempt: int | None = None  # the delivery's retry count (0: first delivery), for a report received

    @property
    def delivery(self) -> int | None:
        """Which delivery of the report this receipt was: 1 for the first."""
        return None if self.attempt is None else self.attempt + 1


@dataclass(frozen=True)
class Failure:
    """One failure of the order, as the log keeps it: none is overwritten by a later one."""

    code: str
    message: str
    system: str
    at: datetime
    trace_id: str


@dataclass(frozen=True)
class LogEntry:
    """One event of the order's log, as the console lists it."""

    at: datetime
    kind: str
    summary: str  # ids, statuses and codes only; people are named through ``actor``
    actor_id: int | None
    actor_role: str
    system: str
    trace_id: str
    actor: Person | None = None


@dataclass(frozen=True)
class StuckMark:
    since: datetime  # the moment the status deadline passed
    deadline: timedelta | None  # how long the status may last (STUCK_ORDER_DEADLINES_SECONDS)
    waiting_for: str  # the system whose move is missing


@dataclass(frozen=True)
class NextStep:
    """What the order waits for: ``move`` (who must do what), and when its status deadline passes."""

    move: NextMove
    deadline: timedelta | None  # how long the status may last; None: no deadline (the customer's pace)
    due_at: datetime | None


@dataclass(frozen=True)
class Journey:
    order: Order
    stages: list[Stage]
    messages: list[Message]
    failures: list[Failure]  # every failure, oldest first (the event log)
    log: list[LogEntry]  # every event of the order, oldest first
    notes: list
    stuck: StuckMark | None
    trace_ids: list[str]  # every trace of the order, oldest first
    people: dict  # user id -> Person: the customer, seller, operator, actors and note authors
    next_step: NextStep | None  # None: the order is CLOSED or CANCELLED
    now: datetime

    @property
    def customer(self) -> Person | None:
        return self.people.get(self.order.customer_id)

    @property
    def seller(self) -> Person | None:
        return self.people.get(self.order.seller_id)

    @property
    def operator(self) -> Person | None:
        return self.people.get(self.order.operator_id)

    @property
    def ended_at(self) -> datetime | None:
        """When the order reached CLOSED or CANCELLED: the end of its time axis (else ``now``)."""
        last = self.stages[-1]
        return last.entered_at if last.is_final else None

    @property
    def seconds(self) -> float:
        """The order's age, or its whole duration once it ended."""
        return ((self.ended_at or self.now) - self.order.created_at).total_seconds()

    @property
    def error(self) -> dict | None:
        if not self.order.error_code:
            return None
        # Only MES reports failures onto the order (pricing refused or failed the model).
        return {"code": self.order.error_code, "message": self.order.error_message, "system": "mes"}


def name_of(user) -> str:
    return user.get_full_name() or user.get_username()


def _people(order: Order, events: list, notes: list) -> dict:
    """Everyone the page names, in one query (the operator and the actors are plain user ids)."""
    ids = {order.customer_id, order.seller_id, order.operator_id}
    ids |= {event.actor_id for event in events} | {note.author_id for note in notes}
    users = get_user_model().objects.filter(pk__in=ids - {None}).only(
        "id", "username", "first_name", "last_name", "email")
    return {user.pk: Person(user_id=user.pk, name=name_of(user), email=user.email) for user in users}


def _stages(order: Order, events: list, now: datetime, people: dict | None = None) -> list[Stage]:
    # The order's creation is no transition: the customer created it in the shop, in this trace.
    entries = [(OrderStatus.INITIATED, order.created_at, order.customer_id, Role.CUSTOMER, "shop",
                order.created_trace_id)]
    entries += [(event.detail["to"], event.at, event.actor_id, event.actor_role, event.system, event.trace_id)
                for event in events if event.kind == OrderEvent.Kind.TRANSITION]
    stages = []
    for index, (status, entered_at, actor_id, role, system, trace_id) in enumerate(entries):
        left_at = entries[index + 1][1] if index + 1 < len(entries) else None
        seconds = None if status in FINAL_STATUSES else ((left_at or now) - entered_at).total_seconds()
        stages.append(Stage(status, entered_at, left_at, seconds, actor_id, role, system, trace_id,
                            actor=(people or {}).get(actor_id)))
    return stages


def _sent(row) -> Message:
    return Message(message_id=str(row.pk), task_name=row.task_name,
                   routing_key=contract_for(row.task_name).route.routing_key, attempts=row.attempts,
                   last_error=row.last_error, created_at=row.created_at, sent_at=row.sent_at,
                   trace_id=trace_id_of(row.trace_context))


def _received(event: OrderEvent) -> Message:
    task = event.detail["task"]
    return Message(message_id=event.detail["message_id"], task_name=task,
                   routing_key=contract_for(task).route.routing_key, attempts=0, last_error="", created_at=event.at,
                   sent_at=None, trace_id=event.trace_id, sender="mes", received_at=event.at,
                   attempt=event.detail.get("attempt", 0))


def _messages(order_id: int, events: list) -> list[Message]:
    """Every message in the log: each one sent (with its outbox row's publishing), each delivery received.

    An outbox row the log does not name (none should be left after the backfill) is listed too;
    outbox rows are never deleted, so every message sent the log names has its row.
    """
    rows = {str(row.pk): row for row in ShopOutbox.objects.filter(order_id=order_id).order_by("created_at")}
    messages = []
    for event in events:
        if event.kind == OrderEvent.Kind.MESSAGE_SENT and event.detail["message_id"] in rows:
            messages.append(_sent(rows.pop(event.detail["message_id"])))
        elif event.kind == OrderEvent.Kind.MESSAGE_RECEIVED:
            messages.append(_received(event))
    return messages + [_sent(row) for row in rows.values()]


def with_reports(messages: list[Message], reports: list[Message]) -> list[Message]:
    """The log's messages with MES's reports seen in the traces, oldest first.

    A report the shop received takes when MES sent it from the trace; one the shop never
    received (no receipt in the log) is listed on its own.
    """
    by_id = {report.message_id: report for report in reports}
    merged = [replace(message, created_at=by_id[message.message_id].created_at,
                      sent_at=by_id[message.message_id].sent_at)
              if message.sender == "mes" and message.message_id in by_id else message for message in messages]
    received = {message.message_id for message in messages if message.sender == "mes"}
    merged += [report for report in reports if report.message_id not in received]
    return sorted(merged, key=lambda message: message.created_at)


def _failures(events: list) -> list[Failure]:
    return [Failure(code=event.detail["code"], message=event.detail["message"], system=event.detail["system"],
                    at=event.at, trace_id=event.trace_id)
            for event in events if event.kind == OrderEvent.Kind.FAILURE]


def _summary(event: OrderEvent) -> str:
    detail, kind = event.detail, OrderEvent.Kind
    if event.kind == kind.TRANSITION:
        return f"{detail['from']} → {detail['to']}"
    if event.kind == kind.FAILURE:
        return f"{detail['code']}: {detail['message']}"
    if event.kind == kind.MESSAGE_SENT:
        return f"sent {detail['task']} ({detail['message_id']})"
    if event.kind == kind.MESSAGE_RECEIVED:
        again = ", redelivered" if detail.get("redelivered") else ""
        return (f"received {detail['task']} ({detail['message_id'] or 'no id'}), "
                f"delivery {detail.get('attempt', 0) + 1}{again}")
    if event.kind == kind.REDISPATCH:
        return f"sent again ({detail['cause']}): {', '.join(detail['message_ids'])}"
    return f"note {detail['note_id']}"


def _log(events: list, people: dict) -> list[LogEntry]:
    return [LogEntry(at=event.at, kind=event.kind, summary=_summary(event), actor_id=event.actor_id,
                     actor_role=event.actor_role, system=event.system, trace_id=event.trace_id,
                     actor=people.get(event.actor_id))
            for event in events]


# MES's reports to the shop, and what each says: the CRM sees them in the traces, not in MES's database.
MES_REPORTS = {OrderPriced.name: "priced", PricingFailed.name: "refused",
               ManufacturingProgressed.name: "progress"}


def _moment(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def mes_reports(spans) -> list[Message]:
    """MES's replies (priced, refused, progress) from the order's spans: each sending
    (``apply_async/<task>``) with its message id, and when the shop's consumer ran it."""
    runs = {}
    for span in spans:
        if span.name.startswith("run/") and span.attributes.get(A.MESSAGING_MESSAGE_ID):
            runs.setdefault(str(span.attributes[A.MESSAGING_MESSAGE_ID]), span.start_ns)
    reports = []
    for span in spans:
        task = span.name.removeprefix("apply_async/")
        if span.kind != "producer" or task not in MES_REPORTS:
            continue
        message_id = str(span.attributes.get(A.MESSAGING_MESSAGE_ID, ""))
        reports.append(Message(
            message_id=message_id, task_name=task, routing_key=contract_for(task).route.routing_key,
            attempts=0,
            last_error="", created_at=_moment(span.start_ns), sent_at=_moment(span.end_ns),
            trace_id=span.trace_id, sender="mes",
            received_at=_moment(runs[message_id]) if message_id in runs else None))
    return reports


def _stuck(order: Order) -> StuckMark | None:
    if order.stuck_since is None:
        return None
    return StuckMark(since=order.stuck_since, deadline=status_deadlines().get(order.status),
                     waiting_for=waiting_for(order.status))


def _next_step(order: Order) -> NextStep | None:
    refused = bool(order.error_code)
    move = next_move(order.status, refused=refused)
    if move is None:
        return None
    # A refused model waits for the customer's new file: no deadline (the stuck detector agrees).
    deadline = None if refused else status_deadlines().get(order.status)
    return NextStep(move=move, deadline=deadline, due_at=order.status_changed_at + deadline if deadline else None)


def order_journey(*, order_id: int, now: datetime | None = None) -> Journey:
    order = Order.objects.filter(pk=order_id).prefetch_related("events", "notes").first()
    if order is None:
        raise OrderNotFound(order_id)
    now = now or timezone.now()
    notes, events = list(order.notes.all()), list(order.events.all())
    people = _people(order, events, notes)
    stages, messages = _stages(order, events, now, people), _messages(order_id, events)
    trace_ids = []
    for trace_id in ([stage.trace_id for stage in stages] + [message.trace_id for message in messages]
                     + [event.trace_id for event in events]):
        if trace_id and trace_id not in trace_ids:
            trace_ids.append(trace_id)
    return Journey(order=order, stages=stages, messages=messages, failures=_failures(events),
                   log=_log(events, people), notes=notes, stuck=_stuck(order), trace_ids=trace_ids,
                   people=people, next_step=_next_step(order), now=now)
