"""What MES does: price a submitted model, accept approvals, and move jobs through the workshop.

``_move_job`` is the only code that writes ``ManufacturingJob.stage``: it checks the
move against the one lifecycle table (``jewelry.lifecycle``), applies it only if the
job is still where the caller saw it (so two operators cannot both win), and sends
the lifecycle's one signal, as the shop does for its orders.
"""

import contextlib

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from jewelry import outbox
from jewelry.contracts import ManufacturingProgressed, OrderPriced, PriceRequested, PricingFailed
from jewelry.errors import Conflict, InvalidModelFile, OrderNotFound, PermissionRefused
from jewelry.lifecycle import (
    JOB_TRANSITIONS,
    OrderStatus,
    Transition,
    acting_system,
    check_transition,
    order_status_changed,
)
from jewelry.model_files import format_from_name
from jewelry.roles import MES_SYSTEM_ACTOR, Actor, Role
from jewelry.routers import MES_DB
from mes import geometry, pricing
from mes.models import ManufacturingJob, MesOutbox, MetalPrice
from tracing import record, spans

S = OrderStatus


class JobMovedMeanwhile(Conflict):
    code = "job_moved_meanwhile"


def _move_job(job: ManufacturingJob, *, to_stage: str, actor: Actor, **fields) -> ManufacturingJob:
    previous_stage, previous_changed_at = job.stage, job.stage_changed_at
    check_transition(job.stage, to_stage, actor.role, moves=JOB_TRANSITIONS)
    now = timezone.now()
    moved = ManufacturingJob.objects.filter(pk=job.pk, stage=job.stage).update(
        stage=to_stage, stage_changed_at=now, **fields
    )
    if not moved:
        raise JobMovedMeanwhile(f"Order {job.order_id} was moved by someone else; reload it.")
    job.stage, job.stage_changed_at = to_stage, now
    for name, value in fields.items():
        setattr(job, name, value)
    spans.annotate_job(job)
    order_status_changed.send(sender=ManufacturingJob, transition=Transition(
        order_id=job.order_id, from_status=previous_stage, to_status=to_stage, at=now,
        actor_id=actor.user_id, actor_role=actor.role, system=acting_system(actor.role), record="mes_job",
        database=MES_DB, previous_status_changed_at=previous_changed_at,
        customer_id=job.customer_id, operator_id=job.assignee_id,
    ))
    return job


def _job(order_id: int, *, lock: bool = False) -> ManufacturingJob:
    jobs = ManufacturingJob.objects.select_for_update() if lock else ManufacturingJob.objects
    job = jobs.filter(order_id=order_id).first()
    if job is None:
        raise OrderNotFound(order_id, f"MES has no order {order_id}.")
    return job


def price_job(*, order_id: int, customer_id: int, metal: str, model_key: str,
                model_format: str = "", submission: int | None = None) -> ManufacturingJob:
    """Measure the order's model and price it; report the price, or the refusal, to the shop.

    Idempotent: a job already priced, or already refused, for this same submission (or, in a
    request without one, this same file) is left alone; a request for an earlier submission is
    ignored; a newer submission is priced even if the job was priced for an earlier one.
    Storage and database errors propagate so the task retries them.
    """
    job, created = ManufacturingJob.objects.get_or_create(
        order_id=order_id,
        defaults={"customer_id": customer_id, "metal": metal, "model_key": model_key,
                  "submission": submission, "unfinished_pricing_runs": 1},
    )
    spans.annotate_job(job)
    if job.stage == S.CANCELLED:
        return job  # the order was cancelled, even if the cancellation came first
    if not created and _is_newer(submission, than=job.submission):
        job = _start_submission(order_id, submission=submission, metal=metal, model_key=model_key)
    if submission is not None and job.submission != submission:
        record.stale_message_ignored(order_id=order_id, message=PriceRequested.name, submission=submission,
                                     current_submission=job.submission)
        return job  # the shop has submitted the order again since this request
    if job.stage != S.SUBMITTED or (job.error_code and job.model_key == model_key):
        return job  # a redelivered message: the first delivery did the work
    if not created:
        crashes = job.unfinished_pricing_runs
        if crashes >= settings.PRICING_CRASH_LIMIT:
            return _refuse_pricing(job, model_key, "pricing_crashed",
                                   f"Pricing this model stopped the MES worker {crashes} times; "
                                   "check the model (size, geometry) and upload it again.")
        # Committed before the work starts: if this run dies too, the next delivery knows.
        runs = F("unfinished_pricing_runs") + 1
        ManufacturingJob.objects.filter(pk=job.pk).update(unfinished_pricing_runs=runs)
    try:
        return _price(job, metal=metal, model_key=model_key,
                      model_format=model_format or format_from_name(model_key))
    except Exception:
        _pricing_run_ended(job)  # it failed, but it ended: not a crash
        raise


def _is_newer(submission: int | None, *, than: int | None) -> bool:
    """A request naming its submission is newer than a job that names none or an earlier one."""
    return submission is not None and (than is None or submission > than)


def _start_submission(order_id: int, *, submission: int, metal: str, model_key: str) -> ManufacturingJob:
    """The shop submitted the order again: forget the earlier model's result and price this one.

    A job priced for the earlier model goes back to SUBMITTED (the shop ignored that price);
    a job already further on is left alone: the shop cannot submit such an order again.
    """
    with transaction.atomic(using=MES_DB):
        job = _job(order_id, lock=True)
        if not _is_newer(submission, than=job.submission):
            return job  # another delivery started it meanwhile
        fresh = {"submission": submission, "metal": metal, "model_key": model_key, "error_code": "",
                 "error_message": "", "unfinished_pricing_runs": 0}
        if job.stage == S.PRICE_CALCULATED:
            return _move_job(job, to_stage=S.SUBMITTED, actor=MES_SYSTEM_ACTOR, price=None, priced_at=None,
                             **fresh)
        if job.stage == S.SUBMITTED:
            ManufacturingJob.objects.filter(pk=job.pk).update(**fresh)
            for name, value in fresh.items():
                setattr(job, name, value)
        return job


def _pricing_run_ended(job: ManufacturingJob) -> None:
    with contextlib.suppress(DatabaseError):  # the database itself failing: let the original error speak
        ManufacturingJob.objects.filter(pk=job.pk).update(unfinished_pricing_runs=0)


def _price(job: ManufacturingJob, *, metal: str, model_key: str, model_format: str) -> ManufacturingJob:
    order_id = job.order_id
    try:
        with default_storage.open(model_key, "rb") as model_file:
            data = model_file.read()
        measured = geometry.measure_model(data, model_format)
        metal_price = MetalPrice.objects.filter(code=metal).first()
        if metal_price is None:
            raise InvalidModelFile(f"MES has no price for metal {metal!r}.", code="unknown_metal")
    except FileNotFoundError:
        return _refuse_pricing(job, model_key, "model_missing", "The model file is not in storage.")
    except InvalidModelFile as refusal:
        return _refuse_pricing(job, model_key, refusal.code, refusal.message, exception=refusal)
    price = pricing.price_for(
        volume_mm3=measured.volume_mm3,
        density_g_cm3=metal_price.density_g_cm3,
        price_per_gram=metal_price.price_per_gram,
        labour_cost=metal_price.labour_cost,
    )
    record.model_measured(measured, price=price)
    submission = job.submission
    with transaction.atomic(using=MES_DB):
        job = _job(order_id, lock=True)
        if job.stage != S.SUBMITTED or job.submission != submission:
            return job  # priced by another delivery, or the shop submitted the order again meanwhile
        _move_job(
            job, to_stage=S.PRICE_CALCULATED, actor=MES_SYSTEM_ACTOR,
            metal=metal, model_key=model_key, price=price, priced_at=timezone.now(),
            volume_mm3=measured.volume_mm3, surface_area_mm2=measured.surface_area_mm2,
            triangle_count=measured.triangle_count, bbox_mm=list(measured.bbox_mm),
            is_watertight=measured.is_watertight, error_code="", error_message="",
            unfinished_pricing_runs=0,
        )
        outbox.enqueue(MesOutbox, OrderPriced(order_id=order_id, price=price, submission=job.submission))
    return job


def _refuse_pricing(job: ManufacturingJob, model_key: str, code: str, message: str,
                    exception: Exception | None = None) -> ManufacturingJob:
    record.error(code=code, message=message, system="mes", exception=exception)
    with transaction.atomic(using=MES_DB):
        refused = ManufacturingJob.objects.filter(pk=job.pk, submission=job.submission).update(
            model_key=model_key, error_code=code, error_message=message[:500], unfinished_pricing_runs=0
        )
        if not refused:
            return job  # the shop submitted the order again meanwhile: this refusal concerns nobody
        job.model_key, job.error_code, job.error_message = model_key, code, message[:500]
        outbox.enqueue(MesOutbox, PricingFailed(order_id=job.order_id, error_code=code, error_message=message,
                                                submission=job.submission))
    return job


PRICING_TOO_SLOW = (
    "Pricing this model ran out of time; simplify the model (fewer triangles or parts) and upload it again."
)


def give_up_pricing(*, order_id: int, code: str, reason: str, exception: BaseException | None = None,
                    submission: int | None = None) -> None:
    """Pricing cannot succeed (retries ran out, time ran out, an unforeseen error): record it, never drop the order.

    ``reason`` is shown to the customer: ours, never the exception's text, which goes on the span only.
    A run for an earlier ``submission`` than the job's gives up on nothing the shop still waits for.
    """
    job = ManufacturingJob.objects.filter(order_id=order_id).first()
    if job is not None and job.stage == S.SUBMITTED and submission in (None, job.submission):
        _refuse_pricing(job, job.model_key, code, reason[:500], exception=exception)


def release_job(*, order_id: int, seller_id: int) -> ManufacturingJob:
    """The CRM released the order: it enters the operators' queue. Repeats change nothing."""
    with transaction.atomic(using=MES_DB):
        job = _job(order_id, lock=True)
        if job.stage != S.PRICE_CALCULATED:
            spans.annotate_job(job)
            return job
        return _move_job(job, to_stage=S.MANUFACTURING_APPROVED,
                         actor=Actor(user_id=seller_id, role=Role.SELLER), approved_at=timezone.now())


def _operator_move(*, order_id: int, operator_id: int, to_stage: str, assignee_only: bool,
                   **fields) -> ManufacturingJob:
    actor = Actor(user_id=operator_id, role=Role.OPERATOR)
    with transaction.atomic(using=MES_DB):
        job = _job(order_id, lock=True)
        check_transition(job.stage, to_stage, actor.role)  # a step out of order is a 409, whoever asks
        if assignee_only and job.assignee_id != operator_id:
            raise PermissionRefused(f"Order {order_id} is assigned to another operator.",
                                    code="not_your_job")
        _move_job(job, to_stage=to_stage, actor=actor, **fields)
        outbox.enqueue(MesOutbox, ManufacturingProgressed(order_id=order_id, status=to_stage,
                                                          operator_id=operator_id))
    return job


def take_job(*, order_id: int, operator_id: int) -> ManufacturingJob:
    """An operator takes an approved order into work; if two try, exactly one wins."""
    return _operator_move(order_id=order_id, operator_id=operator_id,
                          to_stage=S.MANUFACTURING_STARTED, assignee_only=False,
                          assignee_id=operator_id)


# Once taken, a job is its operator's to the end: completing, packing and shipping it.
def complete_job(*, order_id: int, operator_id: int) -> ManufacturingJob:
    return _operator_move(order_id=order_id, operator_id=operator_id,
                          to_stage=S.MANUFACTURING_COMPLETED, assignee_only=True)


def start_packaging(*, order_id: int, operator_id: int) -> ManufacturingJob:
    return _operator_move(order_id=order_id, operator_id=operator_id,
                          to_stage=S.PACKAGING, assignee_only=True)


def ship_job(*, order_id: int, operator_id: int) -> ManufacturingJob:
    return _operator_move(order_id=order_id, operator_id=operator_id,
                          to_stage=S.SHIPPED, assignee_only=True)


def cancel_job(*, order_id: int, seller_id: int, customer_id: int | None = None) -> ManufacturingJob | None:
    """The CRM cancelled the order before manufacturing: MES drops it too. Repeats change nothing.

    A cancellation of an order MES never heard of overtook its price request (they travel on
    different queues): MES keeps a cancelled job, so that the request, when it comes, prices nothing.
    Without ``customer_id`` (a cancellation sent before it existed) there is nothing to keep.
    """
    with transaction.atomic(using=MES_DB):
        job = ManufacturingJob.objects.select_for_update().filter(order_id=order_id).first()
        if job is None and customer_id is not None:
            job, _ = ManufacturingJob.objects.get_or_create(
                order_id=order_id, defaults={"customer_id": customer_id, "metal": "", "model_key": ""})
        if job is None or job.stage == S.CANCELLED:
            return job
        return _move_job(job, to_stage=S.CANCELLED, actor=Actor(user_id=seller_id, role=Role.SELLER))
