"""The lifecycle table itself (jewelry.lifecycle): every allowed move with the one role that makes it,
and a sample of refused moves with their refusal."""

import pytest

from jewelry.lifecycle import (
    JOB_TRANSITIONS,
    IllegalTransition,
    TransitionNotAllowedForRole,
    check_transition,
)
from jewelry.lifecycle import OrderStatus as S
from jewelry.roles import Role

# The brief's lifecycle (README, "The order lifecycle") and the two moves the business added.
ALLOWED = [
    (S.INITIATED, S.FILE_UPLOADED, Role.CUSTOMER),
    (S.FILE_UPLOADED, S.SUBMITTED, Role.CUSTOMER),
    (S.SUBMITTED, S.PRICE_CALCULATED, Role.MES_SYSTEM),
    (S.SUBMITTED, S.FILE_UPLOADED, Role.CUSTOMER),  # a refused model, uploaded again
    (S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED, Role.SELLER),
    (S.MANUFACTURING_APPROVED, S.MANUFACTURING_STARTED, Role.OPERATOR),
    (S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, Role.OPERATOR),
    (S.MANUFACTURING_COMPLETED, S.PACKAGING, Role.OPERATOR),
    (S.PACKAGING, S.SHIPPED, Role.OPERATOR),
    (S.SHIPPED, S.CLOSED, Role.SELLER),
    (S.INITIATED, S.CANCELLED, Role.SELLER),
    (S.FILE_UPLOADED, S.CANCELLED, Role.SELLER),
    (S.SUBMITTED, S.CANCELLED, Role.SELLER),
    (S.PRICE_CALCULATED, S.CANCELLED, Role.SELLER),
]
MOVING_ROLES = [Role.CUSTOMER, Role.SELLER, Role.OPERATOR, Role.MES_SYSTEM]


@pytest.mark.parametrize("from_status, to_status, role", ALLOWED)
def test_an_allowed_move_is_made_by_its_role_alone(from_status, to_status, role):
    check_transition(from_status, to_status, role)  # no refusal

    for other in [r for r in MOVING_ROLES if r != role] + [Role.SUPPORT, Role.DEVELOPER]:
        with pytest.raises(TransitionNotAllowedForRole) as refused:
            check_transition(from_status, to_status, other)
        assert refused.value.message == (
            f"Moving an order from {from_status} to {to_status} is for the {role} role.")
        assert refused.value.http_status == 403


def test_no_move_outside_the_brief_is_allowed_to_anyone():
    allowed = {(frm, to) for frm, to, _ in ALLOWED}
    for from_status in S.values:
        for to_status in S.values:
            if (from_status, to_status) in allowed:
                continue
            for role in MOVING_ROLES:
                with pytest.raises(IllegalTransition):
                    check_transition(from_status, to_status, role)


@pytest.mark.parametrize("from_status, to_status, role, reason", [
    (S.INITIATED, S.SUBMITTED, Role.CUSTOMER, "first the customer must upload a model (FILE_UPLOADED)"),
    (S.FILE_UPLOADED, S.PRICE_CALCULATED, Role.MES_SYSTEM, "first the customer must submit the order (SUBMITTED)"),
    (S.PRICE_CALCULATED, S.SUBMITTED, Role.MES_SYSTEM, "it is past SUBMITTED already"),
    (S.MANUFACTURING_STARTED, S.CANCELLED, Role.SELLER,
     "only an order in INITIATED, FILE_UPLOADED, SUBMITTED, PRICE_CALCULATED can move to CANCELLED"),
    (S.SHIPPED, S.SHIPPED, Role.OPERATOR, "it is in SHIPPED already"),
    (S.CANCELLED, S.FILE_UPLOADED, Role.CUSTOMER, "CANCELLED is final"),
])
def test_a_refused_move_is_a_conflict_that_says_why(from_status, to_status, role, reason):
    with pytest.raises(IllegalTransition) as refused:
        check_transition(from_status, to_status, role)

    assert refused.value.message == f"An order in {from_status} cannot move to {to_status}: {reason}."
    assert (refused.value.code, refused.value.http_status) == ("illegal_transition", 409)


def test_only_mes_may_send_its_job_back_to_pricing_and_never_the_order():
    check_transition(S.PRICE_CALCULATED, S.SUBMITTED, Role.MES_SYSTEM, moves=JOB_TRANSITIONS)

    with pytest.raises(TransitionNotAllowedForRole):
        check_transition(S.PRICE_CALCULATED, S.SUBMITTED, Role.SELLER, moves=JOB_TRANSITIONS)
    with pytest.raises(IllegalTransition):
        check_transition(S.PRICE_CALCULATED, S.SUBMITTED, Role.MES_SYSTEM)

