"""The message topology, declared once: which task goes to which exchange, routing key and queue.

One topic exchange carries everything; each consuming system has its own queue
bound to its own prefix (README, "Messages"). ``jewelry.celery`` builds Celery's
queues and routes from this table, and the outbox publishes with it.
"""

from dataclasses import dataclass

from django.db import InterfaceError, OperationalError
from kombu import Exchange, Queue

EXCHANGE = Exchange("alexandrite", type="topic", durable=True)
MES_QUEUE = "mes.orders"
SHOP_QUEUE = "shop.events"


@dataclass(frozen=True)
class Route:
    queue: str
    routing_key: str

    @property
    def exchange(self) -> str:
        return EXCHANGE.name

    @property
    def destination(self) -> str:
        return destination_name(self.exchange, self.routing_key)


def destination_name(exchange: str, routing_key: str) -> str:
    """``messaging.destination.name`` for RabbitMQ: ``<exchange>:<routing key>``, or the key alone."""
    return f"{exchange}:{routing_key}" if exchange else routing_key


ROUTES: dict[str, Route] = {
    # shop / crm -> mes
    "mes.price_order": Route(MES_QUEUE, "mes.order.submitted"),
    "mes.approve_manufacturing": Route(MES_QUEUE, "mes.order.approved"),
    "mes.relay_outbox": Route(MES_QUEUE, "mes.maintenance.relay_outbox"),
    # mes -> shop / crm
    "shop.record_price": Route(SHOP_QUEUE, "shop.order.priced"),
    "shop.record_pricing_failure": Route(SHOP_QUEUE, "shop.order.pricing_failed"),
    "shop.record_manufacturing_progress": Route(SHOP_QUEUE, "shop.order.progress"),
    "shop.relay_outbox": Route(SHOP_QUEUE, "shop.maintenance.relay_outbox"),
    "shop.detect_stuck_orders": Route(SHOP_QUEUE, "shop.maintenance.detect_stuck_orders"),
}

QUEUES = (
    Queue(MES_QUEUE, EXCHANGE, routing_key="mes.#", durable=True),
    Queue(SHOP_QUEUE, EXCHANGE, routing_key="shop.#", durable=True),
)


def route_for(task_name: str) -> Route:
    return ROUTES[task_name]


# Failures worth retrying with backoff: storage and database hiccups, not bad data.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
# Every consumer's retry policy (Celery task options): 2, 4, 8, ... s, capped at 300 s, six times.
RETRY = {"autoretry_for": TRANSIENT_ERRORS, "max_retries": 6, "retry_backoff": 2, "retry_backoff_max": 300,
         "retry_jitter": True}


def retry_backoff(retries: int) -> int:
    """Seconds before retry number ``retries + 1`` under ``RETRY``, for a task that retries by hand."""
    return min(RETRY["retry_backoff"] ** (retries + 1), RETRY["retry_backoff_max"])
