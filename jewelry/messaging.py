"""The broker topology and the consumers' retry policy: one exchange, a queue per consuming system.

One topic exchange carries everything; each consuming system has its own queue
bound to its own prefix, and MES a second one for price requests (docs/messages.md).
Each message's route is on its contract (``jewelry.contracts``); ``jewelry.celery`` builds
Celery's queues and routes from both.
"""

from dataclasses import dataclass

from django.db import InterfaceError, OperationalError
from kombu import Exchange, Queue

EXCHANGE = Exchange("alexandrite", type="topic", durable=True)
MES_QUEUE = "mes.orders"
SHOP_QUEUE = "shop.events"
# Price requests wait in a priority queue of their own, bound to the ``pricing.`` prefix: the
# durable ``mes.orders`` queue keeps its ``mes.#`` binding on deployed brokers, so a ``mes.``
# key would reach it too. A request's priority is 0..PRICING_TOP_PRIORITY, highest first
# (docs/threat-model.md, "A fair share of pricing").
PRICING_QUEUE = "mes.pricing"
PRICING_TOP_PRIORITY = 9


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


QUEUES = (
    Queue(MES_QUEUE, EXCHANGE, routing_key="mes.#", durable=True),
    Queue(SHOP_QUEUE, EXCHANGE, routing_key="shop.#", durable=True),
    Queue(PRICING_QUEUE, EXCHANGE, routing_key="pricing.#", durable=True,
          queue_arguments={"x-max-priority": PRICING_TOP_PRIORITY + 1}),
)


# Why the stuck-order detector sent a message again (span event and counter: alexandrite.redispatch.cause).
# Each system finds the causes on its own side (docs/lost-orders.md).
OUTBOX_NOT_DELIVERED = "outbox_not_delivered"  # either side: the row never left its outbox
PRICE_REQUEST_NOT_RECEIVED = "price_request_not_received"  # MES has no request for this model
PRICE_NOT_RECORDED = "price_not_recorded"  # MES priced it; the shop never heard
PRICING_FAILURE_NOT_RECORDED = "pricing_failure_not_recorded"  # MES refused it; the shop never heard
APPROVAL_NOT_RECEIVED = "approval_not_received"  # the CRM approved; MES never heard
PROGRESS_NOT_RECORDED = "progress_not_recorded"  # MES moved on; the shop never heard


# Failures worth retrying with backoff: storage and database hiccups, not bad data.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
# Every consumer's retry policy (Celery task options): 2, 4, 8, ... s, capped at 300 s, six times.
RETRY = {"autoretry_for": TRANSIENT_ERRORS, "max_retries": 6, "retry_backoff": 2, "retry_backoff_max": 300,
         "retry_jitter": True}


def retry_backoff(retries: int) -> int:
    """Seconds before retry number ``retries + 1`` under ``RETRY``, for a task that retries by hand."""
    return min(RETRY["retry_backoff"] ** (retries + 1), RETRY["retry_backoff_max"])
