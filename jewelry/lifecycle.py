"""The order lifecycle, shared by every system: statuses, the allowed moves and who makes each.

Shop, CRM and MES check every move against ``TRANSITIONS`` and announce it with the
one ``order_status_changed`` signal; what may follow what is decided here and nowhere else.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.dispatch import Signal

from jewelry.errors import Conflict, PermissionRefused
from jewelry.roles import Role


class OrderStatus(models.TextChoices):
    INITIATED = "INITIATED"
    FILE_UPLOADED = "FILE_UPLOADED"
    SUBMITTED = "SUBMITTED"
    PRICE_CALCULATED = "PRICE_CALCULATED"
    MANUFACTURING_APPROVED = "MANUFACTURING_APPROVED"
    MANUFACTURING_STARTED = "MANUFACTURING_STARTED"
    MANUFACTURING_COMPLETED = "MANUFACTURING_COMPLETED"
    PACKAGING = "PACKAGING"
    SHIPPED = "SHIPPED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


S = OrderStatus

# (from, to) -> the role that makes the move. One system per move: the role says which.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.INITIATED, S.FILE_UPLOADED): Role.CUSTOMER,
    (S.FILE_UPLOADED, S.SUBMITTED): Role.CUSTOMER,
    (S.SUBMITTED, S.PRICE_CALCULATED): Role.MES_SYSTEM,
    # A model MES refused to price goes back to the customer for a new file.
    (S.SUBMITTED, S.FILE_UPLOADED): Role.CUSTOMER,
    (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED): Role.SELLER,
    (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED): Role.OPERATOR,
    (S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED): Role.OPERATOR,
    (S.MANUFACTURING_COMPLETED, S.PACKAGING): Role.OPERATOR,
    (S.PACKAGING, S.SHIPPED): Role.OPERATOR,
    (S.SHIPPED, S.CLOSED): Role.SELLER,
    # The customer walks away before anything is made: the seller records it.
    (S.INITIATED, S.CANCELLED): Role.SELLER,
    (S.FILE_UPLOADED, S.CANCELLED): Role.SELLER,
    (S.SUBMITTED, S.CANCELLED): Role.SELLER,
    (S.PRICE_CALCULATED, S.CANCELLED): Role.SELLER,
}

# MES's job moves as the order does, plus one move of its own: a newer submission of the order
# (the shop ignored the price of an older model) sends a job priced for that older model back
# to pricing. Never the order's: the shop's order cannot leave PRICE_CALCULATED for SUBMITTED.
JOB_TRANSITIONS: dict[tuple[str, str], str] = {**TRANSITIONS, (S.PRICE_CALCULATED, S.SUBMITTED): Role.MES_SYSTEM}

FINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED})

# The move into each status, as a refusal asks for it ("first the customer must upload a model").
MOVE_INTO = {
    S.FILE_UPLOADED: "upload a model",
    S.SUBMITTED: "submit the order",
    S.PRICE_CALCULATED: "price the model",
    S.MANUFACTURING_APPROVED: "approve manufacturing",
    S.MANUFACTURING_STARTED: "take the order into work",
    S.MANUFACTURING_COMPLETED: "complete manufacturing",
    S.PACKAGING: "pack the order",
    S.SHIPPED: "ship the order",
    S.CLOSED: "close the order",
    S.CANCELLED: "cancel the order",
}
# Who makes a role's moves, as a refusal names them.
ACTOR_OF_ROLE = {
    Role.CUSTOMER: "the customer",
    Role.SELLER: "a seller",
    Role.OPERATOR: "an operator",
    Role.MES_SYSTEM: "MES",
}

# Which system owns a role's moves (recorded on each history row and span).
SYSTEM_OF_ROLE = {
    Role.CUSTOMER: "shop",
    Role.SELLER: "crm",
    Role.OPERATOR: "mes",
    Role.MES_SYSTEM: "mes",
}


def acting_system(role: str) -> str:
    """The system a move is made in, decided by the role of who makes it (history rows and spans say it)."""
    return SYSTEM_OF_ROLE[role]


# Where each status stands along the happy path (CANCELLED last): "has the order got this far?"
POSITION = {status: index for index, status in enumerate(OrderStatus.values)}


class IllegalTransition(Conflict):
    code = "illegal_transition"


class TransitionNotAllowedForRole(PermissionRefused):
    code = "transition_not_allowed_for_role"


def check_transition(from_status: str, to_status: str, role: str,
                     moves: dict[tuple[str, str], str] = TRANSITIONS) -> None:
    """Raise unless ``role`` may move an order (or, with ``JOB_TRANSITIONS``, a job) between the statuses."""
    allowed_role = moves.get((from_status, to_status))
    if allowed_role is None:
        reason = what_comes_first(from_status, to_status)
        raise IllegalTransition(f"An order in {from_status} cannot move to {to_status}: {reason}.")
    if allowed_role != role:
        raise TransitionNotAllowedForRole(
            f"Moving an order from {from_status} to {to_status} is for the {allowed_role} role."
        )


def what_comes_first(from_status: str, to_status: str) -> str:
    """Why an order in ``from_status`` cannot move to ``to_status``, read from ``TRANSITIONS``: the first
    move on the way there and who makes it, or why there is no way."""
    if from_status in FINAL_STATUSES:
        return f"{from_status} is final"
    if from_status == to_status:
        return f"it is in {to_status} already"
    path = _shortest_path(from_status, to_status)
    if path:
        next_status = path[1]
        actor = ACTOR_OF_ROLE[TRANSITIONS[(from_status, next_status)]]
        return f"first {actor} must {MOVE_INTO[next_status]} ({next_status})"
    if reached(from_status, to_status):
        return f"it is past {to_status} already"
    sources = [frm for (frm, to) in TRANSITIONS if to == to_status]
    return f"only an order in {', '.join(sources)} can move to {to_status}"


def _shortest_path(from_status: str, to_status: str) -> list[str]:
    """The statuses from ``from_status`` to ``to_status`` by the fewest moves ([] if there is no way)."""
    paths = {from_status: [from_status]}
    frontier = [from_status]
    while frontier:
        following = []
        for status in frontier:
            for (frm, to) in TRANSITIONS:
                if frm == status and to not in paths:
                    paths[to] = [*paths[status], to]
                    following.append(to)
        frontier = following
    return paths.get(to_status, [])


def reached(current: str, target: str) -> bool:
    """Has an order in ``current`` already got as far as ``target`` (or ended)?

    A report of a move that is already behind the order is a redelivery: its consumer
    changes nothing.
    """
    return current in FINAL_STATUSES or POSITION[current] >= POSITION[target]


def waiting_for(status: str) -> str:
    """The system whose move takes an order out of ``status`` along the happy path ("" if final)."""
    position = POSITION[status]
    forward = [role for (frm, to), role in TRANSITIONS.items()
               if frm == status and POSITION[to] == position + 1]
    return acting_system(forward[0]) if forward else ""


@dataclass(frozen=True)
class NextMove:
    """What takes an order out of its status: who makes the move, what they must do, and into what."""

    actor: str  # "the customer", "a seller", "an operator", "MES"
    action: str  # "upload a new file", "approve manufacturing", ...
    into: str  # the status the move leads to
    system: str  # as ``waiting_for`` names it


def next_move(status: str, *, refused: bool = False) -> NextMove | None:
    """The move an order in ``status`` waits for (None if final), read from ``TRANSITIONS``.

    ``refused``: MES refused to price the model (the order keeps its status and an error code);
    then the customer must upload a new file before anything else happens.
    """
    if status in FINAL_STATUSES:
        return None
    if refused and status == S.SUBMITTED:
        into, action = S.FILE_UPLOADED, "upload a new file"
    else:
        position = POSITION[status]
        into = next(to for (frm, to) in TRANSITIONS if frm == status and POSITION[to] == position + 1)
        action = MOVE_INTO[into]
    role = TRANSITIONS[(status, into)]
    return NextMove(actor=ACTOR_OF_ROLE[role], action=action, into=into, system=acting_system(role))


def status_deadlines() -> dict[str, timedelta]:
    """How long an order may stay in each status before it counts as stuck (``STUCK_ORDER_DEADLINES_SECONDS``).

    Statuses left out, and final ones, wait for nobody but the customer.
    """
    configured = settings.STUCK_ORDER_DEADLINES_SECONDS
    unknown = sorted(set(configured) - set(OrderStatus.values))
    if unknown:
        raise ImproperlyConfigured(f"STUCK_ORDER_DEADLINES_SECONDS names unknown statuses: {unknown}")
    return {status: timedelta(seconds=float(seconds)) for status, seconds in configured.items()
            if status not in FINAL_STATUSES}


@dataclass(frozen=True)
class Transition:
    """One status move, as every system announces it (the payload of ``order_status_changed``).

    ``record`` says whose record moved: ``"order"`` (the shop's order, moved by Shop, CRM
    or on MES's report) or ``"mes_job"`` (MES's own mirror of the order). ``database`` is the
    alias of the transaction the move was written in; listeners act once it commits.
    """

    order_id: int
    from_status: str
    to_status: str
    at: datetime
    actor_id: int | None
    actor_role: str
    system: str
    record: str
    database: str
    # When the order entered ``from_status`` (None if unknown): the time spent in that stage.
    previous_status_changed_at: datetime | None = None
    # When the order was created, where the record knows it: the order's whole duration at CLOSED.
    order_created_at: datetime | None = None
    # The people linked to the order, as ids, after the move.
    customer_id: int | None = None
    seller_id: int | None = None
    operator_id: int | None = None


# The one signal of the lifecycle. kwargs: transition (a Transition).
order_status_changed = Signal()
