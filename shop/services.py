"""What the shop does with orders: create, attach a model, submit, and apply what MES reports.

``change_status`` is the only code that writes ``Order.status``.
"""

import hashlib
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from jewelry import outbox
from jewelry.contracts import Message, OrderPriced, PriceRequested, PricingFailed
from jewelry.errors import Conflict, InvalidInput, InvalidModelFile, OrderNotFound, QuotaExceeded
from jewelry.lifecycle import (
    TRANSITIONS,
    OrderStatus,
    Transition,
    acting_system,
    check_transition,
    order_status_changed,
    reached,
)
from jewelry.messaging import PRICING_TOP_PRIORITY
from jewelry.metals import Metal
from jewelry.model_files import check_model_file, format_from_name
from jewelry.roles import MES_SYSTEM_ACTOR, Actor, Role
from shop import events, selectors
from shop.models import Order, OrderStatusChange, ShopOutbox
from tracing import record, spans

S = OrderStatus


def change_status(*, order_id: int, to_status: str, actor: Actor, customer_id: int | None = None,
                  savepoint: bool = True, **fields) -> Order:
    """Move an order along the lifecycle: check, write order + history, send the signal.

    ``customer_id`` limits the lookup to that customer's orders (others are "not
    found"); ``fields`` are saved in the same write (price, seller, ...). A caller
    that wraps this in its own transaction and lets any error end that transaction
    passes ``savepoint=False``: two statements fewer.
    """
    with transaction.atomic(savepoint=savepoint):
        orders = Order.objects.select_for_update()
        if customer_id is not None:
            orders = orders.filter(customer_id=customer_id)
        order = orders.filter(pk=order_id).first()
        if order is None:
            raise OrderNotFound(order_id)
        previous, previous_changed_at = order.status, order.status_changed_at
        spans.annotate_order(order)
        check_transition(previous, to_status, actor.role)
        now = timezone.now()
        order.status = to_status
        order.status_changed_at = now
        order.stuck_since = None
        for name, value in fields.items():
            setattr(order, name, value)
        order.save(update_fields=["status", "status_changed_at", "stuck_since", *fields])
        change = OrderStatusChange.objects.create(
            order=order,
            from_status=previous,
            to_status=to_status,
            at=now,
            actor_id=actor.user_id,
            actor_role=actor.role,
            system=acting_system(actor.role),
            trace_id=spans.current_trace_id(),
        )
        events.record_transition(order_id=order.pk, from_status=previous, to_status=to_status, at=now,
                                 actor=actor)
        order_status_changed.send(sender=Order, transition=Transition(
            order_id=order.pk, from_status=previous, to_status=to_status, at=now,
            actor_id=actor.user_id, actor_role=actor.role, system=change.system, record="order",
            database=change._state.db, previous_status_changed_at=previous_changed_at,
            order_created_at=order.created_at, customer_id=order.customer_id,
            seller_id=order.seller_id, operator_id=order.operator_id,
        ))
    return order


def create_order(*, customer_id: int, metal: str) -> Order:
    if metal not in Metal.values:
        # The value is the caller's: not repeated in a message that reaches the span.
        raise InvalidInput(f"Unknown metal; choose one of {', '.join(Metal.values)}.",
                           code="unknown_metal")
    order = Order.objects.create(customer_id=customer_id, metal=metal,
                                 created_trace_id=spans.current_trace_id())
    spans.annotate_order(order)
    return order


def _sha256(uploaded_file) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def attach_model(*, order_id: int, customer_id: int, uploaded_file) -> Order:
    """Store the customer's 3D model on the order (first upload, replacement, or after a refusal).

    A file that cannot be a model is refused before anything is stored; a replaced
    file is deleted once the new one is committed.
    """
    model_format = format_from_name(uploaded_file.name)
    if uploaded_file.size == 0:
        raise InvalidModelFile("The model file is empty.", code="model_empty")
    if uploaded_file.size > settings.MODEL_UPLOAD_MAX_BYTES:
        raise InvalidModelFile(
            f"The model file is {uploaded_file.size} bytes; the limit is "
            f"{settings.MODEL_UPLOAD_MAX_BYTES} bytes.",
            code="model_too_big",
        )
    check_model_file(uploaded_file, model_format, uploaded_file.size)
    with transaction.atomic():
        # The customer's row serialises their uploads, so two cannot both pass the storage bound.
        list(get_user_model().objects.select_for_update().filter(pk=customer_id).values_list("pk"))
        order = Order.objects.select_for_update().filter(pk=order_id, customer_id=customer_id).first()
        if order is None:
            raise OrderNotFound(order_id)
        if order.status == S.SUBMITTED and not order.error_code:
            raise Conflict("The order is being priced; wait for the result before replacing its model.",
                           code="order_being_priced")
        if order.status not in (S.INITIATED, S.FILE_UPLOADED, S.SUBMITTED):
            raise Conflict(f"An order in {order.status} cannot take a new model.", code="model_locked")
        _check_storage_bound(customer_id=customer_id, replacing=order, size=uploaded_file.size)
        return _store_model(order, customer_id, uploaded_file, model_format)


def _check_storage_bound(*, customer_id: int, replacing: Order, size: int) -> None:
    """All the customer's stored models, the one being replaced left out, plus ``size``, within the bound."""
    stored = (Order.objects.filter(customer_id=customer_id).exclude(model_file="")
              .exclude(pk=replacing.pk).aggregate(total=Sum("model_size"))["total"] or 0)
    bound = settings.MODEL_STORAGE_PER_CUSTOMER_BYTES
    if stored + size > bound:
        raise QuotaExceeded(
            f"Your orders' models already take {stored} bytes; with this one they would pass the "
            f"{bound} bytes a customer may store. Replace the model of an order you have instead.",
            code="model_storage_full",
        )


def _store_model(order: Order, customer_id: int, uploaded_file, model_format: str) -> Order:
    file_name = uploaded_file.name.rsplit("/", 1)[-1][:255]
    details = {
        "model_file_name": file_name,
        "model_format": model_format,
        "model_size": uploaded_file.size,
        "model_sha256": _sha256(uploaded_file),
    }
    record.model_received(file_format=model_format, size=uploaded_file.size, sha256=details["model_sha256"])
    replaced = order.model_file.name
    # Storage is not transactional: write the file first, point the order at it second,
    # and delete the file again if the order could not be pointed at it.
    order.model_file.save(file_name, uploaded_file, save=False)
    stored = order.model_file.name
    try:
        details.update(model_file=stored, error_code="", error_message="")
        if order.status == S.FILE_UPLOADED:
            Order.objects.filter(pk=order.pk).update(**details)
            order.refresh_from_db()
        else:
            actor = Actor(user_id=customer_id, role=Role.CUSTOMER)
            order = change_status(order_id=order.pk, to_status=S.FILE_UPLOADED, actor=actor,
                                  customer_id=customer_id, **details)
    except BaseException:
        default_storage.delete(stored)
        raise
    if replaced and replaced != stored:
        transaction.on_commit(partial(default_storage.delete, replaced))
    return order


def submit_order(*, order_id: int, customer_id: int) -> Order:
    """Hand the order to MES for pricing (through the outbox, after commit), as its next submission."""
    actor = Actor(user_id=customer_id, role=Role.CUSTOMER)
    with transaction.atomic():
        order = change_status(order_id=order_id, to_status=S.SUBMITTED, actor=actor,
                              customer_id=customer_id, savepoint=False, error_code="", error_message="",
                              submission=F("submission") + 1)
        order.refresh_from_db(fields=["submission"])
        waiting = selectors.orders_waiting_for_price(customer_id=order.customer_id, excluding_order_id=order.pk)
        outbox.enqueue(ShopOutbox, PriceRequested(
            order_id=order.pk, customer_id=order.customer_id, metal=order.metal,
            model_key=order.model_file.name, model_format=order.model_format, submission=order.submission,
        ), priority=pricing_priority(waiting=waiting))
    return order


def pricing_priority(*, waiting: int) -> int:
    """The price request's priority when ``waiting`` other orders of its customer already wait for a price.

    A customer's first waiting order goes before every customer's second and later ones, so
    one customer's backlog cannot hold back another's model (docs/threat-model.md, "A fair
    share of pricing"). From the tenth on, a customer's requests share the lowest priority.
    """
    if not settings.PRICING_FAIR_SHARE:
        return 0
    return max(0, PRICING_TOP_PRIORITY - waiting)


def _about_an_earlier_submission(order: Order, message: type[Message], submission: int | None) -> bool:
    """Is a pricing message about a submission the order has since replaced? Then it is ignored.

    A message without ``submission`` (published before messages named it) is taken as current.
    """
    if submission is None or submission == order.submission:
        return False
    record.stale_message_ignored(order_id=order.pk, message=message.name, submission=submission,
                                 current_submission=order.submission)
    return True


def record_price(*, order_id: int, price: Decimal, submission: int | None = None) -> Order | None:
    """MES priced the order's ``submission``. A repeat, or a price of an earlier submission, changes nothing."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise OrderNotFound(order_id)
        spans.annotate_order(order)
        if _about_an_earlier_submission(order, OrderPriced, submission):
            return None  # the customer has uploaded and submitted another model since
        if order.status != S.SUBMITTED:
            return None  # already applied (redelivery) or the order moved on: nothing to do
        return change_status(order_id=order_id, to_status=S.PRICE_CALCULATED, actor=MES_SYSTEM_ACTOR,
                             savepoint=False, price=Decimal(price), error_code="", error_message="")


def record_pricing_failure(*, order_id: int, error_code: str, error_message: str,
                           submission: int | None = None) -> None:
    """MES could not price the order's ``submission``: keep it SUBMITTED, with the reason for CRM and the customer.

    A refusal of an earlier submission changes nothing: the order waits for the current one's answer.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise OrderNotFound(order_id)
        if _about_an_earlier_submission(order, PricingFailed, submission):
            return
        error = {"error_code": error_code[:64], "error_message": error_message[:500]}
        # A repeat of the failure the order already holds (a redelivery) is not a new failure.
        if order.status == S.SUBMITTED and error != {"error_code": order.error_code,
                                                     "error_message": order.error_message}:
            # now it waits for the customer's new file: not lost
            Order.objects.filter(pk=order_id).update(**error, stuck_since=None)
            events.record_failure(order_id=order_id, code=error_code, message=error_message,
                                  system=events.MES, actor=MES_SYSTEM_ACTOR)
    record.failure_reported(code=error_code, message=error_message)


class EarlierProgressPending(Exception):
    """A progress report overtook the report of the move before it; its consumer retries it."""


def record_manufacturing_progress(*, order_id: int, status: str, operator_id: int) -> Order | None:
    """An operator moved the MES job on; the shop order follows. Repeats change nothing.

    A report of a move the order cannot make yet (PACKAGING while it is MANUFACTURING_STARTED)
    overtook the reports before it: ``EarlierProgressPending``, so the consumer tries it again.
    """
    order = Order.objects.filter(pk=order_id).only("status").first()
    if order is None:
        raise OrderNotFound(order_id)
    if reached(order.status, status):
        return None  # a redelivery, or a later report already arrived
    if (order.status, status) not in TRANSITIONS:
        raise EarlierProgressPending(f"Order {order_id} is {order.status}; the report of {status} waits.")
    actor = Actor(user_id=operator_id, role=Role.OPERATOR)
    extra = {"operator_id": operator_id} if status == S.MANUFACTURING_STARTED else {}
    return change_status(order_id=order_id, to_status=status, actor=actor, **extra)
