"""What the queue tests ask of the database and of a worker's log while messages are in flight."""

from jewelry.contracts import PriceRequested
from shop.models import Order, ShopOutbox
from tests.processes import wait_until


def wait_for_order(worker, order_id: int, **lookup) -> Order:
    """The order once it matches ``lookup`` (e.g. ``status=...``); fails with the worker's log."""
    return wait_until(lambda: Order.objects.filter(pk=order_id, **lookup).first(),
                      message=lambda: f"order {order_id} to match {lookup}; worker log:\n{worker.log()}")


def price_request_id(order_id: int) -> str:
    """The id of the shop's price request for the order: message id and Celery task id alike."""
    return str(ShopOutbox.objects.get(order_id=order_id, task_name=PriceRequested.name).id)


def task_log_count(worker, task_name: str, task_id: str, event: str = "received") -> int:
    """How often the worker logged ``event`` (received, succeeded, retry) for that message."""
    return worker.log().count(f"Task {task_name}[{task_id}] {event}")
