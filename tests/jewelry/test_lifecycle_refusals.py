"""A refused move says what must happen first, read from the lifecycle table (jewelry.lifecycle)."""

import pytest

from jewelry.lifecycle import ACTOR_OF_ROLE, MOVE_INTO, TRANSITIONS, IllegalTransition, check_transition
from jewelry.lifecycle import OrderStatus as S
from jewelry.roles import Role


def refusal(from_status: str, to_status: str, role: str = Role.CUSTOMER) -> str:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(from_status, to_status, role)
    return refused.value.message


def test_every_move_of_the_table_can_be_asked_for():
    assert {to for (_, to) in TRANSITIONS} <= set(MOVE_INTO)
    assert set(TRANSITIONS.values()) <= set(ACTOR_OF_ROLE)


@pytest.mark.parametrize("from_status, to_status, reason", [
    (S.INITIATED, S.SUBMITTED, "first the customer must upload a model (FILE_UPLOADED)"),
    (S.INITIATED, S.MANUFACTURING_APPROVED, "first the customer must upload a model (FILE_UPLOADED)"),
    (S.SUBMITTED, S.MANUFACTURING_APPROVED, "first MES must price the model (PRICE_CALCULATED)"),
    (S.PRICE_CALCULATED, S.MANUFACTURING_STARTED, "first a seller must approve manufacturing "
                                                  "(MANUFACTURING_APPROVED)"),
    (S.MANUFACTURING_APPROVED, S.SHIPPED, "first an operator must take the order into work "
                                          "(MANUFACTURING_STARTED)"),
    (S.PACKAGING, S.CLOSED, "first an operator must ship the order (SHIPPED)"),
])
def test_a_move_too_early_names_the_next_step_and_who_makes_it(from_status, to_status, reason):
    expected = f"An order in {from_status} cannot move to {to_status}: {reason}."
    assert refusal(from_status, to_status) == expected


def test_a_move_with_no_way_there_says_why():
    assert refusal(S.MANUFACTURING_STARTED, S.MANUFACTURING_STARTED).endswith(
        "it is in MANUFACTURING_STARTED already.")
    assert refusal(S.PRICE_CALCULATED, S.FILE_UPLOADED).endswith("it is past FILE_UPLOADED already.")
    assert refusal(S.CLOSED, S.SHIPPED).endswith("CLOSED is final.")
    assert refusal(S.MANUFACTURING_STARTED, S.CANCELLED).endswith(
        "only an order in INITIATED, FILE_UPLOADED, SUBMITTED, PRICE_CALCULATED can move to CANCELLED.")


def test_every_refused_move_gets_a_reason():
    for from_status in S.values:
        for to_status in S.values:
            if (from_status, to_status) not in TRANSITIONS:
                message = refusal(from_status, to_status)
                assert message.startswith(f"An order in {from_status} cannot move to {to_status}: "), message
