"""The order lifecycle, declared once: statuses, the allowed moves, and who may make each.

Every status change in the product (the shop order, and the MES job that mirrors
it) is checked against ``TRANSITIONS``; nothing else decides what may follow what.
"""

from django.db import models

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

FINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED})

# Which system owns a role's moves (recorded on each history row).
SYSTEM_OF_ROLE = {
    Role.CUSTOMER: "shop",
    Role.SELLER: "crm",
    Role.OPERATOR: "mes",
    Role.MES_SYSTEM: "mes",
}


class IllegalTransition(Conflict):
    code = "illegal_transition"


class TransitionNotAllowedForRole(PermissionRefused):
    code = "transition_not_allowed_for_role"


def check_transition(from_status: str, to_status: str, role: str) -> None:
    """Raise unless ``role`` may move an order from ``from_status`` to ``to_status``."""
    allowed_role = TRANSITIONS.get((from_status, to_status))
    if allowed_role is None:
        raise IllegalTransition(f"An order in {from_status} cannot move to {to_status}.")
    if allowed_role != role:
        raise TransitionNotAllowedForRole(
            f"Moving an order from {from_status} to {to_status} is for the {allowed_role} role."
        )


# Where each status stands along the happy path (CANCELLED last): "has the order got this far?"
POSITION = {status: index for index, status in enumerate(OrderStatus.values)}
