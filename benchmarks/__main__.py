"""One command for every benchmark: ``python -m benchmarks [--quick] [--only calls,cpu,overhead,queue,pipeline,pricing,backbone,export]``.

It creates its own databases, vhost and media folder (benchmarks.environment), prints
progress as it goes, then one table: median over runs, spread, ratio to the baseline.
``--quick`` uses tiny sizes: it checks that everything runs, its figures mean nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from dataclasses import dataclass

from benchmarks.environment import ROOT, SAMPLE_EVERYTHING, BenchWorld
from benchmarks.report import Figure, load_average, machine, table

SECTIONS = ("calls", "cpu", "overhead", "queue", "pipeline", "pricing", "backbone", "export")


@dataclass(frozen=True)
class Sizes:
    cpu_rounds: int
    cpu_flows: int
    overhead_rounds: int
    overhead_flows: int
    queue_jobs: int
    queue_rounds: int
    queue_requests: int
    pipeline_rounds: int
    pipeline_orders: int
    pricing_triangles: int
    pricing_runs: int
    pipeline_concurrencies: tuple[int, ...] = (1, 2)
    pipeline_batch_rounds: int = 20
    pipeline_batch_orders: int = 30
    calls: int = 3000
    backbone_orders: int = 300
    backbone_probes: int = 60
    export_rounds: int = 10
    export_spans: int = 4000
    export_settle: float = 3.0


FULL = Sizes(cpu_rounds=30, cpu_flows=20, overhead_rounds=5, overhead_flows=300, queue_jobs=100_000, queue_rounds=3, queue_requests=200,
             pipeline_rounds=3, pipeline_orders=300, pricing_triangles=1_000_000, pricing_runs=5)
QUICK = Sizes(cpu_rounds=2, cpu_flows=2, overhead_rounds=1, overhead_flows=6, queue_jobs=2_000, queue_rounds=1, queue_requests=5,
              pipeline_rounds=1, pipeline_orders=5, pricing_triangles=10_000, pricing_runs=1,
              pipeline_concurrencies=(1,), pipeline_batch_rounds=1, pipeline_batch_orders=3, calls=50,
              backbone_orders=5, backbone_probes=3, export_rounds=1, export_spans=100, export_settle=0.5)


def progress(message: str) -> None:
    print(message, flush=True)


def calls(world: BenchWorld, sizes: Sizes) -> list[Figure]:
    """Per-call costs of the tracing pieces (benchmarks/per_call.py), in a process with tracing on."""
    progress(f"per-call costs: {sizes.calls} calls of each piece, fastest of 5, CPU microseconds")
    done = subprocess.run([sys.executable, "-m", "benchmarks.per_call", "--json", "--calls", str(sizes.calls)],
                          cwd=ROOT, env=world.env(), capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"per-call measurement failed:\n{done.stderr[-4000:]}")
    return [Figure("per call", name, "CPU per call (fastest of 5)", "us", values=[micros])
            for name, micros in json.loads(done.stdout.splitlines()[-1]).items()]


def cpu(world: BenchWorld, sizes: Sizes, sets: tuple[str, ...] = ("main",)) -> list[Figure]:
    from benchmarks import batches

    figures = []
    for name in sets:
        variants = batches.with_noise_floor(batches.SETS[name])
        progress(f"web CPU, {name} variants ({'; '.join(v.name for v in variants)}): {sizes.cpu_rounds} rounds "
                 f"of one {sizes.cpu_flows}-flow batch per variant, each variant in its own long-lived process")
        figures += batches.run(world, rounds=sizes.cpu_rounds, flows=sizes.cpu_flows, variants=variants,
                               progress=progress)
    return figures


def overhead(world: BenchWorld, sizes: Sizes) -> list[Figure]:
    from benchmarks import overhead as web

    progress(f"web overhead: {sizes.overhead_rounds} rounds x {sizes.overhead_flows} flows "
             f"(5 requests each), {web.WORKERS} gunicorn workers, {web.CONCURRENCY} client threads")
    return web.run(world, rounds=sizes.overhead_rounds, flows=sizes.overhead_flows, progress=progress)


def queue(world: BenchWorld, sizes: Sizes) -> list[Figure]:
    from benchmarks import mes_queue
    from benchmarks.processes import otlp_sink
    from benchmarks.users import logged_in
    from jewelry.roles import Role

    in_queue = mes_queue.seed_jobs(sizes.queue_jobs)
    logged_in(mes_queue.OPERATOR, Role.OPERATOR)
    progress(f"MES queue: {sizes.queue_jobs:,} jobs, {in_queue:,} in the queue; "
             f"{sizes.queue_requests} GETs per page size per run, {sizes.queue_rounds} runs per variant")
    progress("  plan of the first page:\n    " + mes_queue.explain().replace("\n", "\n    "))
    figures: dict[tuple[str, str], Figure] = {}
    for round_number in range(sizes.queue_rounds):
        for variant in ("off", "ours"):
            with otlp_sink("ok") as sink:
                env = world.env()
                if variant == "ours":
                    env = world.env(TRACING_ENABLED="true", OTEL_TRACES_EXPORTER="otlp",
                                    OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint, **SAMPLE_EVERYTHING)
                done = subprocess.run([sys.executable, "-m", "benchmarks.mes_queue",
                                       "--requests", str(sizes.queue_requests)],
                                      cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            if done.returncode:
                raise RuntimeError(f"queue measurement failed:\n{done.stderr[-4000:]}")
            for label, result in json.loads(done.stdout.splitlines()[-1]).items():
                progress(f"  run {round_number + 1} tracing {variant:<4} {label:<22} p50 {result['p50_ms']:5.1f} ms"
                         f"  p95 {result['p95_ms']:5.1f} ms  queries: shop {result['shop']}, mes {result['mes']}")
                key = (variant, label)
                figure = figures.setdefault(key, Figure("MES queue", f"tracing {variant}, {label}", "p95", "ms"))
                figure.values.append(result["p95_ms"])
                figure.note = f"p50 {result['p50_ms']:.1f} ms; SQL per page: {result['shop'] + result['mes']}" \
                              f" (shop {result['shop']}, mes {result['mes']})"
    return list(figures.values())


def pipeline(world: BenchWorld, sizes: Sizes, sets: tuple[str, ...] = ("main",), baseline: str = "") -> list[Figure]:
    from benchmarks import pipeline as flow

    figures = []
    if sizes.pipeline_rounds:
        progress(f"pipeline: {sizes.pipeline_orders} orders per run, {sizes.pipeline_rounds} rounds")
        figures += flow.run(world, rounds=sizes.pipeline_rounds, orders=sizes.pipeline_orders,
                            concurrencies=sizes.pipeline_concurrencies, progress=progress)
    for name in sets:
        variants = flow.SETS[name]
        if baseline:
            variants = flow.with_baseline(variants, baseline)
        progress(f"pipeline, alternating, {name} variants ({', '.join(v.name for v in variants)}): "
                 f"{sizes.pipeline_batch_rounds} rounds of one {sizes.pipeline_batch_orders}-order batch "
                 f"per worker, every worker long-lived")
        figures += flow.run_alternating(world, rounds=sizes.pipeline_batch_rounds,
                                        orders=sizes.pipeline_batch_orders, variants=variants, progress=progress)
    return figures


def pricing(world: BenchWorld, sizes: Sizes) -> list[Figure]:
    from benchmarks import pricing as price

    progress(f"pricing: a {sizes.pricing_triangles:,}-triangle STL, {sizes.pricing_runs} runs after a warm-up")
    rows = price.run(triangles=sizes.pricing_triangles, runs=sizes.pricing_runs)
    ours = next(row for row in rows if row["implementation"] == price.OURS)
    figures = []
    for row in rows:
        # pricing.run keeps the median, min and max of its runs: enough for the median and the spread.
        spread = [row["min_s"], row["median_s"], row["max_s"]] if row["runs"] > 1 else [row["median_s"]]
        figure = Figure("pricing", row["implementation"], f"{row['triangles']:,}-triangle STL", "s",
                        values=spread, runs=row["runs"])
        figure.note = f"{row['median_s'] / ours['median_s']:.1f}x the time of ours"
        figures.append(figure)
    return figures


def backbone(world: BenchWorld, sizes: Sizes) -> list[Figure]:
    """The real Collector and Jaeger: their CPU, memory and disk, and how soon a span is queryable."""
    from benchmarks import backbone as measure

    return measure.run(world, orders=sizes.backbone_orders, probes=sizes.backbone_probes, progress=progress)


def export(world: BenchWorld, sizes: Sizes) -> list[Figure]:
    """Per OTLP encoding: the app's CPU to encode and send a span, the real Collector's to receive it."""
    from benchmarks import export as encodings

    progress(f"export encodings: {', '.join(encodings.ENCODINGS)} to the real Collector, "
             f"shapes: {'; '.join(encodings.FAMILIES)}")
    return encodings.run(world, rounds=sizes.export_rounds, spans=sizes.export_spans, settle=sizes.export_settle,
                         progress=progress)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that it runs (~1 min)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--prefix", default="alexandrite_bench", help="name prefix of the bench databases/vhost")
    parser.add_argument("--cpu-rounds", type=int, help="rounds of the cpu section (default: 30, at least 24 to separate 3%%; quick: 2)")
    parser.add_argument("--cpu-sets", default="main",
                        help="variant sets of the cpu section: main, pieces (per-piece costs), upstream, export")
    parser.add_argument("--pipeline-sets", default="main",
                        help="variant sets of the alternating pipeline run: main, pieces (per-piece costs), metrics, upstream")
    parser.add_argument("--pipeline-rounds", type=int,
                        help="rounds of the alternating pipeline run (default: 20, quick: 1); "
                             "given alone, the long interleaved pipeline runs are skipped")
    parser.add_argument("--pipeline-baseline", default="", metavar="CHECKOUT",
                        help="also run ours from another checkout of the project (before/after in one run)")
    parser.add_argument("--export-rounds", type=int, help="rounds of the export section (default: 10, quick: 1)")
    options = parser.parse_args(argv)
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    sizes = QUICK if options.quick else FULL
    if options.cpu_rounds:
        sizes = dataclasses.replace(sizes, cpu_rounds=options.cpu_rounds)
    if options.export_rounds:
        sizes = dataclasses.replace(sizes, export_rounds=options.export_rounds)
    if options.pipeline_rounds:
        sizes = dataclasses.replace(sizes, pipeline_batch_rounds=options.pipeline_rounds, pipeline_rounds=0)
    started = time.monotonic()
    world = BenchWorld(options.prefix)
    progress(f"machine: {machine()}")
    progress(f"setting up databases {world.shop_db}, {world.mes_db} and vhost {world.vhost or '/'}")
    figures: list[Figure] = []
    failed = []
    try:
        world.setup()
        world.start_django()
        for name in SECTIONS:
            if name in chosen:
                progress(f"[{name}] starting; {load_average()}")
                try:
                    if name == "cpu":
                        figures += cpu(world, sizes, tuple(options.cpu_sets.split(",")))
                    elif name == "pipeline":
                        figures += pipeline(world, sizes, tuple(options.pipeline_sets.split(",")),
                                            options.pipeline_baseline)
                    elif name == "export":
                        figures += export(world, sizes)
                    else:
                        figures += globals()[name](world, sizes)
                except Exception as error:  # report it, keep the other sections' figures
                    failed.append(name)
                    progress(f"[{name}] FAILED: {error!r}"[:4000])
    finally:
        world.teardown()
    progress(f"\nmachine: {machine()}; client, server, PostgreSQL, RabbitMQ and the sink share the cores; "
             f"at the end: {load_average()}")
    progress(f"sizes: {'quick (smoke test only, figures meaningless)' if options.quick else 'full'}; "
             f"took {time.monotonic() - started:.0f} s\n")
    progress(table(figures) if figures else "(no figures)")
    if failed:
        progress(f"\nFAILED: {', '.join(failed)} (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
