"""Business metrics of the order lifecycle (OpenTelemetry metrics API, exported over OTLP like the traces).

Instruments are made once, lazily, from the global meter provider. Transitions are
counted once their transaction commits; the stuck-order gauge reports the last count
the detector left in this process and never queries the database. Names and
attributes are the ones the dashboards and alerts use (docs/lost-orders.md).
"""

import os
import threading
import time

from django.conf import settings
from django.db import transaction
from opentelemetry.metrics import Observation

from tracing import attributes as A
from tracing import setup

# From seconds (the demo, pricing) to months (manufacturing); 900 s is the pricing-backlog alert's line.
DURATION_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400,
                    30 * 86400, 60 * 86400)
SYSTEMS = ("shop", "crm", "mes")
STUCK_COUNT_GRACE_SECONDS = 120  # how late a scan may be before its count goes stale

_lock = threading.Lock()
_instruments: dict = {}
# The process that made the instruments: a forked child makes its own, on its own provider.
_made_in: dict = {"pid": None}
# The detector's last count per status, and when (monotonic) it was taken, in this process.
_stuck: dict = {"counts": None, "at": 0.0}


def _create_instruments(provider) -> dict:
    meter = provider.get_meter("alexandrite.orders")
    return {
        "order_duration": meter.create_histogram(
            A.METRIC_ORDER_DURATION, unit="s", description="Time from an order's creation to CLOSED.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS),
        "stage_duration": meter.create_histogram(
            A.METRIC_STAGE_DURATION, unit="s", description="Time an order spent in the status it left.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS),
        "transitions": meter.create_counter(
            A.METRIC_TRANSITIONS, unit="{transition}", description="Order status transitions."),
        "errors": meter.create_counter(
            A.METRIC_ERRORS, unit="{error}",
            description="Errors while processing orders, by code and system."),
        "redispatched": meter.create_counter(
            A.METRIC_REDISPATCHED, unit="{order}",
            description="Stuck orders whose lost message the detector sent again."),
        "stuck": meter.create_observable_gauge(
            A.METRIC_STUCK, callbacks=[_observe_stuck], unit="{order}",
            description="Orders past their status deadline at the detector's last scan."),
    }


def _here() -> dict:
    """This process's instruments, made on its own provider the first time."""
    if _made_in["pid"] != os.getpid():
        with _lock:
            if _made_in["pid"] != os.getpid():
                _instruments.clear()
                _instruments.update(_create_instruments(setup.meter_provider()))
                _made_in["pid"] = os.getpid()
    return _instruments


def _get(name: str):
    return _here()[name]


def use_meter_provider(provider) -> None:
    """Re-create the instruments on ``provider`` (tests read them with an in-memory reader)."""
    with _lock:
        _instruments.clear()
        _instruments.update(_create_instruments(provider))
        _made_in["pid"] = os.getpid()
        _stuck.update(counts=None, at=0.0)


# --- order transitions ---------------------------------------------------------------

def count_transition_on_commit(*, database: str, previous_status: str, status: str, record: str,
                               stage_seconds: float | None, order_seconds: float | None) -> None:
    """Count a transition once its transaction commits: a rolled-back move never happened."""
    transaction.on_commit(
        lambda: count_transition(previous_status=previous_status, status=status, record=record,
                                 stage_seconds=stage_seconds, order_seconds=order_seconds),
        using=database,
    )


def count_transition(*, previous_status: str, status: str, record: str, stage_seconds: float | None,
                     order_seconds: float | None) -> None:
    instruments = _here()
    instruments["transitions"].add(
        1, {A.ORDER_PREVIOUS_STATUS: previous_status, A.ORDER_STATUS: status, A.TRANSITION_RECORD: record})
    if stage_seconds is not None:
        # Labelled with the status the order left: "how long did pricing (SUBMITTED) take".
        instruments["stage_duration"].record(max(stage_seconds, 0.0),
                                             {A.ORDER_STATUS: previous_status, A.TRANSITION_RECORD: record})
    if order_seconds is not None:
        instruments["order_duration"].record(max(order_seconds, 0.0))


# --- errors ---------------------------------------------------------------------------

def count_error(*, code: str, system: str) -> None:
    """Count one failure; ``code`` is the same low-cardinality value the span's ``error.type`` has."""
    _get("errors").add(1, {A.ERROR_TYPE: code, A.SYSTEM: system})


def system_of_path(path: str) -> str:
    """Which system an API path belongs to (``/api/v1/<system>/...``), else "web"."""
    parts = path.split("/")
    return parts[3] if len(parts) > 3 and parts[1:3] == ["api", "v1"] and parts[3] in SYSTEMS else "web"


# --- lost orders ----------------------------------------------------------------------

def set_stuck_orders(counts: dict[str, int]) -> None:
    """The detector's count per status; the gauge reports it until it goes stale."""
    _get("stuck")
    _stuck.update(counts=dict(counts), at=time.monotonic())


def _observe_stuck(options):
    counts, at = _stuck["counts"], _stuck["at"]
    # A process whose detector has not run lately says nothing rather than something old:
    # among a worker's children, the one that ran the last scan (give or take two minutes) speaks.
    stale_after = settings.STUCK_ORDER_SCAN_INTERVAL_SECONDS + STUCK_COUNT_GRACE_SECONDS
    if counts is None or time.monotonic() - at > stale_after:
        return []
    return [Observation(count, {A.ORDER_STATUS: status}) for status, count in counts.items()]


def count_redispatch(*, status: str, cause: str) -> None:
    _get("redispatched").add(1, {A.ORDER_STATUS: status, A.REDISPATCH_CAUSE: cause})

