"""Orders per second from SUBMITTED to PRICE_CALCULATED through RabbitMQ with one Celery worker.

The orders are submitted through the real service first, so their ``PriceRequested``
messages wait in ``mes.pricing``. One worker process (prefork, ``concurrency`` children)
starts consuming only ``shop.events``; the clock starts when it is told to consume
``mes.pricing`` too, and stops at the last PRICE_CALCULATED transition.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import processes
from benchmarks.batches import OFF, OTLP, OURS, OURS_PIECES, Variant
from benchmarks.environment import ROOT, SAMPLE_EVERYTHING, BenchWorld, purge_queues
from benchmarks.report import Figure

SECTION = "pipeline"
MAX_WAIT_SECONDS = 300


def _submitted_orders(count: int) -> list[int]:
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jewelry.roles import Role, create_user
    from jewelry.sample_models import cube_stl
    from shop import services

    name = "bench-pipeline-customer"
    customer = User.objects.filter(username=name).first() or create_user(username=name, role=Role.CUSTOMER)
    model = cube_stl(10)
    ids = []
    for _ in range(count):
        order = services.create_order(customer_id=customer.pk, metal="gold_18k")
        services.attach_model(order_id=order.pk, customer_id=customer.pk,
                              uploaded_file=SimpleUploadedFile("ring.stl", model))
        services.submit_order(order_id=order.pk, customer_id=customer.pk)  # publishes after commit
        ids.append(order.pk)
    return ids


def _priced(ids: list[int]) -> int:
    from jewelry.lifecycle import OrderStatus
    from shop.models import Order

    return Order.objects.filter(pk__in=ids, status=OrderStatus.PRICE_CALCULATED).count()


def _last_priced_at(ids: list[int]) -> datetime:
    from django.db.models import Max

    from jewelry.lifecycle import OrderStatus
    from shop.models import OrderStatusChange

    return OrderStatusChange.objects.filter(order_id__in=ids, to_status=OrderStatus.PRICE_CALCULATED) \
        .aggregate(last=Max("at"))["last"]


def _one_run(world: BenchWorld, *, orders: int, concurrency: int, traced: bool) -> float:
    from jewelry.celery import app
    from jewelry.messaging import EXCHANGE, PRICING_QUEUE

    purge_queues(world.broker_url)
    ids = _submitted_orders(orders)
    with processes.otlp_sink("ok") as sink:
        env = world.env()
        if traced:
            env = world.env(TRACING_ENABLED="true", OTEL_TRACES_EXPORTER="otlp", OTEL_METRICS_EXPORTER="otlp",
                            OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                            **SAMPLE_EVERYTHING)
        with processes.celery_worker(env, queues="shop.events", concurrency=concurrency) as worker:
            started = datetime.now(UTC)
            app.control.add_consumer(PRICING_QUEUE, exchange=EXCHANGE.name, routing_key="pricing.#",
                                     destination=[worker.node], reply=True, timeout=10)
            deadline = time.monotonic() + MAX_WAIT_SECONDS
            while _priced(ids) < len(ids):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {_priced(ids)}/{len(ids)} orders priced after "
                                       f"{MAX_WAIT_SECONDS}s:\n{worker.log()[-3000:]}")
                time.sleep(0.05)
    purge_queues(world.broker_url)
    return len(ids) / (_last_priced_at(ids) - started).total_seconds()


def run(world: BenchWorld, *, rounds: int, orders: int, concurrencies=(1, 2), progress=print) -> list[Figure]:
    variants = [(concurrency, traced) for concurrency in concurrencies for traced in (False, True)]
    figures = {
        variant: Figure(SECTION, f"1 worker x{variant[0]} children, tracing {'ours' if variant[1] else 'off'}",
                        f"SUBMITTED -> PRICE_CALCULATED, {orders} orders", "orders/s")
        for variant in variants
    }
    for round_number in range(rounds):
        measured = {}
        for concurrency, traced in variants:
            rate = _one_run(world, orders=orders, concurrency=concurrency, traced=traced)
            measured[concurrency, traced] = rate
            progress(f"  round {round_number + 1}/{rounds} concurrency {concurrency} "
                     f"tracing {'ours' if traced else 'off'}: {rate:.1f} orders/s")
            figures[concurrency, traced].values.append(rate)
        for concurrency in concurrencies:
            figures[concurrency, True].ratios.append(measured[concurrency, True] / measured[concurrency, False])
    return list(figures.values())


# --- traced / untraced as alternating batches between two long-lived workers -------------

IDLE_QUEUE = "bench.idle"  # what a worker listens to between its batches: nothing is ever sent there


def _consume(app, node: str, on: bool) -> None:
    from jewelry.messaging import EXCHANGE, QUEUES

    for queue in QUEUES:
        if on:
            app.control.add_consumer(queue.name, exchange=EXCHANGE.name, routing_key=queue.routing_key,
                                     destination=[node], reply=True, timeout=10)
        else:
            app.control.cancel_consumer(queue.name, destination=[node], reply=True, timeout=10)


def _batch(app, worker, orders: int) -> tuple[float, int]:
    """Submit ``orders`` (their messages wait), let ``worker`` consume until all are priced; wall seconds."""
    ids = _submitted_orders(orders)
    started = datetime.now(UTC)
    _consume(app, worker.node, on=True)
    deadline = time.monotonic() + MAX_WAIT_SECONDS
    while _priced(ids) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {_priced(ids)}/{len(ids)} priced:\n{worker.log()[-3000:]}")
        time.sleep(0.02)
    _consume(app, worker.node, on=False)
    return (_last_priced_at(ids) - started).total_seconds(), len(ids)


def _worker_env(world: BenchWorld, variant, endpoint: str) -> dict:
    from benchmarks import pieces

    env = world.env(**variant.env, **{pieces.VARIABLE: ",".join(variant.without)})
    if variant.traced:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    return env


def run_alternating(world: BenchWorld, *, rounds: int, orders: int, variants=None, progress=print) -> list[Figure]:
    """CPU of each variant's worker (parent and child, export thread included) per order, and its rate.

    One worker (1 child) per variant runs all along; each batch of orders goes to one of them,
    in a rotated order. A batch's CPU runs from its start to that worker's next batch, like
    the web batches, so what the export thread does later is charged where the spans came from.
    """
    from benchmarks.report import interval_text, ratio_interval
    from jewelry.celery import app

    variants = variants or SETS["main"]
    purge_queues(world.broker_url)
    marks = {variant.name: [] for variant in variants}
    walls = {variant.name: [] for variant in variants}
    with processes.otlp_sink("ok") as sink, contextlib.ExitStack() as stack:
        workers = [
            stack.enter_context(processes.celery_worker(
                _worker_env(world, variant, sink.endpoint), queues=IDLE_QUEUE, concurrency=1,
                app="benchmarks.worker_app" if variant.without else "jewelry",
                cwd=Path(variant.checkout) if variant.checkout else ROOT))
            for variant in variants
        ]
        for worker in workers:
            _batch(app, worker, 5)  # warm-up: imports, connections, first spans
        for round_number in range(rounds):
            shift = round_number % len(workers)  # rotated: no variant always follows the same one
            for variant, worker in list(zip(variants, workers))[shift:] + list(zip(variants, workers))[:shift]:
                marks[variant.name].append(processes.cpu_seconds(worker.popen.pid))
                wall, _ = _batch(app, worker, orders)
                walls[variant.name].append(wall)
            if (round_number + 1) % 5 == 0 or round_number + 1 == rounds:
                progress(f"  round {round_number + 1}/{rounds}")
        time.sleep(6)  # past the export thread's schedule delay: the last spans go out
        for variant, worker in zip(variants, workers):
            marks[variant.name].append(processes.cpu_seconds(worker.popen.pid))
    purge_queues(world.broker_url)
    cpu = {name: [b - a for a, b in itertools.pairwise(points)] for name, points in marks.items()}
    figures = []
    for variant in variants:
        name = f"1 worker x1 child per variant, alternating, {variant.name}"
        mine = variant.name
        per_order = Figure(SECTION, name, f"worker CPU per order ({orders}-order batches)", "ms",
                           values=[c / orders * 1000 for c in cpu[mine]])
        rate = Figure(SECTION, name, "SUBMITTED -> PRICE_CALCULATED", "orders/s",
                      values=[orders / w for w in walls[mine]])
        if mine != OFF:
            per_order.ratios = [c / o for c, o in zip(cpu[mine], cpu[OFF])]
            rate.ratios = [o / t for t, o in zip(walls[mine], walls[OFF])]
            per_order.note = f"CPU ratio {interval_text(ratio_interval(cpu[mine], cpu[OFF]))}"
            rate.note = f"rate ratio {interval_text(ratio_interval(walls[OFF], walls[mine]))}"
        figures += [per_order, rate]
    return figures


_OFF = Variant(OFF, {"TRACING_ENABLED": "false"}, traced=False)
_OURS = Variant(OURS, {"TRACING_ENABLED": "true", **OTLP})
# The alternating run's variant sets (``--pipeline-sets``).
SETS = {
    "main": (_OFF, _OURS),
    # Ours with one piece taken out at a time, then upstream alone.
    "pieces": (
        _OFF, _OURS,
        Variant("ours without export", {"TRACING_ENABLED": "true", **OTLP, "OTEL_TRACES_EXPORTER": "none",
                                        "OTEL_METRICS_EXPORTER": "none"}, traced=False),
        Variant("ours without signal hooks", {"TRACING_ENABLED": "true", **OTLP}, without=("hooks",)),
        Variant("ours without business metrics", {"TRACING_ENABLED": "true", **OTLP}, without=("metrics",)),
        Variant("ours without SQL totals", {"TRACING_ENABLED": "true", **OTLP}, without=("sql",)),
        Variant("upstream only (SDK, instrumentations, export)", {"TRACING_ENABLED": "true", **OTLP},
                without=OURS_PIECES),
    ),
    # The business metrics the Collector can derive from spans instead (docs/lost-orders.md):
    # ours without the app's counts, beside ours twice (A/A: the noise floor of the same run).
    "metrics": (
        _OFF, _OURS,
        Variant("ours without business metrics", {"TRACING_ENABLED": "true", **OTLP}, without=("metrics",)),
        Variant("ours again (A/A)", {"TRACING_ENABLED": "true", **OTLP}),
    ),
    # What upstream costs by itself: with its export, then without.
    "upstream": (
        _OFF, _OURS,
        Variant("upstream only (SDK, instrumentations, export)", {"TRACING_ENABLED": "true", **OTLP},
                without=OURS_PIECES),
        Variant("upstream only, no export", {"TRACING_ENABLED": "true", **OTLP, "OTEL_TRACES_EXPORTER": "none",
                                             "OTEL_METRICS_EXPORTER": "none"}, traced=False, without=OURS_PIECES),
    ),
}


def with_baseline(variants, checkout: str) -> tuple:
    """``variants`` and "ours" once more, run from ``checkout`` (say, a clone of the last commit)."""
    baseline = replace(_OURS, name=f"ours at {checkout}", checkout=checkout)
    return (*variants, baseline)
