"""Message contracts: a payload that does not fit is refused at both ends, never silently cut short."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from celery import Celery, current_app

from jewelry.celery import _configure_time_limits
from jewelry.contracts import (
    CONTRACTS,
    CheckStuckOrders,
    ContractError,
    DetectStuckOrders,
    ManufacturingApproved,
    ManufacturingProgressed,
    OrderCancelled,
    OrderPriced,
    PriceRequested,
    PricingFailed,
    RelayMesOutbox,
    RelayShopOutbox,
    RequestNotReceived,
    StuckOrder,
)
from jewelry.messaging import PRICE_REQUEST_NOT_RECEIVED

SCANNED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# One message of each kind, as a publisher builds it.
EXAMPLES = [
    PriceRequested(order_id=7, customer_id=3, metal="gold_18k", model_key="models/3/7/1.stl",
                   model_format="stl", submission=2),
    ManufacturingApproved(order_id=7, seller_id=5),
    OrderCancelled(order_id=7, seller_id=5),
    OrderPriced(order_id=7, price=Decimal("1081.00"), submission=2),
    PricingFailed(order_id=7, error_code="model_not_watertight", error_message="The model has holes.",
                  submission=2),
    ManufacturingProgressed(order_id=7, status="MANUFACTURING_STARTED", operator_id=9),
    RequestNotReceived(order_id=7, task_name=PriceRequested.name, cause=PRICE_REQUEST_NOT_RECEIVED,
                       scanned_at=SCANNED_AT),
    RelayShopOutbox(),
    RelayMesOutbox(),
    DetectStuckOrders(),
    CheckStuckOrders(stuck=[StuckOrder(order_id=7, status="SUBMITTED", stuck_since=SCANNED_AT,
                                       model_key="models/3/7/1.stl", diagnose=True, submission=2)],
                     complete=True, scanned_at=SCANNED_AT),
]


def test_every_contract_has_an_example_here():
    assert {type(message) for message in EXAMPLES} == set(CONTRACTS.values())


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda message: type(message).__name__)
def test_a_message_survives_the_wire_as_the_same_typed_message(message):
    payload = message.payload()

    assert type(message).from_payload(payload) == message
    assert all(isinstance(value, str | int | bool | list | type(None)) for value in payload.values())


def test_a_publisher_cannot_build_a_message_with_an_unknown_field():
    with pytest.raises(TypeError, match="prize"):
        OrderPriced(order_id=7, prize=Decimal("10.00"))


def test_a_publisher_cannot_leave_out_a_field():
    with pytest.raises(TypeError, match="seller_id"):
        ManufacturingApproved(order_id=7)


def test_the_consumer_task_refuses_a_payload_missing_a_field():
    result = current_app.tasks[OrderPriced.name].apply(kwargs={"order_id": 7, "submission": 2})

    assert result.failed()
    assert isinstance(result.result, ContractError)
    assert "missing fields ['price']" in str(result.result)


def test_the_consumer_task_refuses_a_renamed_field():
    result = current_app.tasks[ManufacturingApproved.name].apply(kwargs={"order_id": 7, "seller": 5})

    assert result.failed()
    assert str(result.result) == (f"{ManufacturingApproved.name}: unknown fields ['seller'], "
                                  "missing fields ['seller_id'].")


def test_a_price_request_sent_before_format_and_submission_existed_is_still_read():
    legacy = {"order_id": 7, "customer_id": 3, "metal": "gold_18k", "model_key": "models/3/7/1.stl"}

    message = PriceRequested.from_payload(legacy)

    assert (message.model_format, message.submission) == ("", None)


@pytest.mark.parametrize("contract", [c for c in CONTRACTS.values() if c.time_limits],
                         ids=lambda contract: contract.__name__)
def test_a_contracts_soft_time_limit_is_under_its_hard_limit(contract):
    soft, hard = contract.time_limits

    assert 0 < soft < hard


def test_tasks_get_their_contracts_time_limits_unless_the_environment_overrides_them(settings):
    settings.TASK_TIME_LIMITS_SECONDS = {"*": (30.0, 60.0), DetectStuckOrders.name: (100.0, 120.0)}
    app = Celery("limits")

    _configure_time_limits(app)

    assert (app.conf.task_soft_time_limit, app.conf.task_time_limit) == (30.0, 60.0)
    assert app.conf.task_annotations == {
        PriceRequested.name: {"soft_time_limit": 60.0, "time_limit": 90.0},  # from the contract
        DetectStuckOrders.name: {"soft_time_limit": 100.0, "time_limit": 120.0},  # the override
    }
