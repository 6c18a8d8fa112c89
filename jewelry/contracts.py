"""The messages between the systems: one small frozen class per kind, with its wire name, route and fields.

A publisher builds one (``PriceRequested(order_id=..., ...)``) and hands it to
``jewelry.outbox.enqueue``; the consumer task is registered with ``@consumer(PriceRequested)``
and its handler receives the same class. ``name`` is the Celery task name on the wire:
never rename it, or messages in flight after a deploy find no consumer.
"""

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from celery import current_app, shared_task

from jewelry.messaging import MES_QUEUE, PRICING_QUEUE, RETRY, SHOP_QUEUE, Route


class ContractError(TypeError):
    """A payload that does not fit its contract: a field missing or unknown. Not retried."""


@dataclass(frozen=True, kw_only=True)
class Message:
    name: ClassVar[str]  # the Celery task name
    route: ClassVar[Route]
    task_options: ClassVar[dict] = RETRY  # Celery task options of the consumer
    time_limits: ClassVar[tuple[float, float] | None] = None  # soft, hard seconds; None: the default

    def payload(self) -> dict:
        """The fields as JSON values: what the outbox row stores and the task receives as kwargs."""
        return _to_json(self)

    @classmethod
    def from_payload(cls, payload: dict) -> "Message":
        """The message a consumer received; a missing or unknown field raises ``ContractError``."""
        fields = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(payload) - set(fields))
        missing = sorted(name for name, field in fields.items() if name not in payload
                         and field.default is dataclasses.MISSING)
        if unknown or missing:
            raise ContractError(f"{cls.name}: unknown fields {unknown}, missing fields {missing}.")
        return cls(**cls.decode(payload))

    @classmethod
    def decode(cls, payload: dict) -> dict:
        """JSON values back to the fields' types: only a contract with such fields overrides it."""
        return payload


def _to_json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {field.name: _to_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    return value


# --- shop / crm -> mes ------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PriceRequested(Message):
    """The customer submitted the order: MES prices its model (``submission`` names which upload)."""

    name = "mes.price_order"
    route = Route(PRICING_QUEUE, "pricing.order.submitted")  # a priority queue: the fair share of pricing
    task_options: ClassVar[dict] = {"max_retries": RETRY["max_retries"]}  # retried by hand: see mes.tasks
    time_limits = (60.0, 90.0)  # the largest accepted model prices in about 20 s

    order_id: int
    customer_id: int
    metal: str
    model_key: str
    model_format: str = ""  # empty, and submission None, only in requests sent before they existed
    submission: int | None = None


@dataclass(frozen=True, kw_only=True)
class ManufacturingApproved(Message):
    """A seller approved manufacturing: the job enters the operators' queue."""

    name = "mes.approve_manufacturing"
    route = Route(MES_QUEUE, "mes.order.approved")

    order_id: int
    seller_id: int


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Message):
    """A seller cancelled an order MES already holds."""

    name = "mes.cancel_order"
    route = Route(MES_QUEUE, "mes.order.cancelled")

    order_id: int
    seller_id: int
    customer_id: int | None = None  # None only in cancellations sent before it existed


# --- mes -> shop --------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OrderPriced(Message):
    name = "shop.record_price"
    route = Route(SHOP_QUEUE, "shop.order.priced")

    order_id: int
    price: Decimal
    submission: int | None = None

    @classmethod
    def decode(cls, payload: dict) -> dict:
        return {**payload, "price": Decimal(payload["price"])}


@dataclass(frozen=True, kw_only=True)
class PricingFailed(Message):
    """MES refused the model or could not price it; the message is shown to the customer."""

    name = "shop.record_pricing_failure"
    route = Route(SHOP_QUEUE, "shop.order.pricing_failed")

    order_id: int
    error_code: str
    error_message: str
    submission: int | None = None


@dataclass(frozen=True, kw_only=True)
class ManufacturingProgressed(Message):
    """An operator moved the job on (taken, completed, packaging, shipped)."""

    name = "shop.record_manufacturing_progress"
    route = Route(SHOP_QUEUE, "shop.order.progress")

    order_id: int
    status: str
    operator_id: int


@dataclass(frozen=True, kw_only=True)
class RequestNotReceived(Message):
    """MES never received the shop's ``task_name`` message for a stuck order: the shop sends it again."""

    name = "shop.resend_request"
    route = Route(SHOP_QUEUE, "shop.order.request_not_received")

    order_id: int
    task_name: str  # the ``name`` of the lost contract
    cause: str
    scanned_at: datetime

    @classmethod
    def decode(cls, payload: dict) -> dict:
        return {**payload, "scanned_at": datetime.fromisoformat(payload["scanned_at"])}


# --- maintenance: beat and the stuck-order detector ---------------------------------------

@dataclass(frozen=True, kw_only=True)
class RelayShopOutbox(Message):
    name = "shop.relay_outbox"
    route = Route(SHOP_QUEUE, "shop.maintenance.relay_outbox")
    task_options: ClassVar[dict] = {}


@dataclass(frozen=True, kw_only=True)
class RelayMesOutbox(Message):
    name = "mes.relay_outbox"
    route = Route(MES_QUEUE, "mes.maintenance.relay_outbox")
    task_options: ClassVar[dict] = {}


@dataclass(frozen=True, kw_only=True)
class DetectStuckOrders(Message):
    name = "shop.detect_stuck_orders"
    route = Route(SHOP_QUEUE, "shop.maintenance.detect_stuck_orders")
    task_options: ClassVar[dict] = {}
    time_limits = (240.0, 300.0)


@dataclass(frozen=True, kw_only=True)
class StuckOrder:
    """One order of the shop's stuck list; ``diagnose`` False: the shop has just re-sent its request."""

    order_id: int
    status: str
    stuck_since: datetime
    model_key: str
    diagnose: bool
    submission: int | None = None


@dataclass(frozen=True, kw_only=True)
class CheckStuckOrders(Message):
    """The shop's stuck list for MES: sent plainly (``send``), not through the outbox; each scan sends one."""

    name = "mes.check_stuck_orders"
    route = Route(MES_QUEUE, "mes.maintenance.check_stuck_orders")
    task_options: ClassVar[dict] = {}

    stuck: list[StuckOrder]
    complete: bool  # False: the list was cut at the shop's scan limit
    scanned_at: datetime

    @classmethod
    def decode(cls, payload: dict) -> dict:
        stuck = [StuckOrder(**{**entry, "stuck_since": datetime.fromisoformat(entry["stuck_since"])})
                 for entry in payload["stuck"]]
        return {**payload, "stuck": stuck,
                "scanned_at": datetime.fromisoformat(payload["scanned_at"])}


CONTRACTS: dict[str, type[Message]] = {contract.name: contract for contract in (
    PriceRequested, ManufacturingApproved, OrderCancelled,
    OrderPriced, PricingFailed, ManufacturingProgressed, RequestNotReceived,
    RelayShopOutbox, RelayMesOutbox, DetectStuckOrders, CheckStuckOrders,
)}


def contract_for(task_name: str) -> type[Message]:
    return CONTRACTS[task_name]


def publish(task_name: str, payload: dict, *, task_id: str | None = None, priority: int = 0) -> None:
    """Send one message on its contract's route now (the outbox calls this after commit)."""
    route = contract_for(task_name).route
    current_app.tasks[task_name].apply_async(kwargs=payload, task_id=task_id, queue=route.queue,
                                             exchange=route.exchange, routing_key=route.routing_key,
                                             priority=priority)


def send(message: Message) -> None:
    """Publish without an outbox row: only for messages that are sent again anyway when lost."""
    publish(message.name, message.payload())


def consumer(contract: type[Message], **task_options):
    """Register the decorated handler as the Celery task of ``contract``.

    The handler receives the typed message (after ``self`` if ``bind=True``); a payload
    that does not fit the contract fails with ``ContractError`` instead of losing a field.
    """
    def register(handler):
        def run(*args, **payload):
            return handler(*args, contract.from_payload(payload))

        for attribute in ("__name__", "__qualname__", "__module__", "__doc__"):
            setattr(run, attribute, getattr(handler, attribute))
        return shared_task(name=contract.name, **{**contract.task_options, **task_options})(run)

    return register
