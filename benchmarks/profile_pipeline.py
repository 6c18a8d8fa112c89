"""Where the pipeline's time goes: one worker prices a batch of orders, CPU per order, a profile.

``python -m benchmarks.profile_pipeline --tracing ours --orders 300 [--profile]`` submits
the orders (their ``PriceRequested`` messages wait), starts one Celery worker with the
prefork pool with one child (as in production), lets it consume
until every order is PRICE_CALCULATED, and prints the worker's CPU milliseconds per order.
With ``--profile`` (needs ``pip install py-spy``) py-spy samples the worker and its child
during the measured batch, only while holding the GIL (so waiting on PostgreSQL or
RabbitMQ is not counted, and py-spy's own CPU is not in the figure), and the command prints the functions with the most samples, own and inclusive, and the share
of samples under our own packages.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import processes
from benchmarks.environment import BIN, SAMPLE_EVERYTHING, BenchWorld, purge_queues
from benchmarks.pipeline import IDLE_QUEUE, _batch

OURS = ("tracing/", "jewelry/", "shop/", "mes/", "crm/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracing", choices=("off", "ours"), default="ours")
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="run the worker under py-spy, print the top")
    parser.add_argument("--top", type=int, default=40, help="rows of the profile to print")
    parser.add_argument("--keep", action="store_true", help="keep py-spy's raw stacks and print where")
    options = parser.parse_args()
    if options.profile and shutil.which("py-spy", path=str(BIN)) is None:
        parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")

    world = BenchWorld("alexandrite_bench_profile")
    try:
        world.setup()
        world.start_django()
        with processes.otlp_sink("ok") as sink:
            _run(world, sink, options)
    finally:
        world.teardown()


def _run(world: BenchWorld, sink, options) -> None:
    from jewelry.celery import app

    env = world.env()
    if options.tracing == "ours":
        env = world.env(TRACING_ENABLED="true", OTEL_TRACES_EXPORTER="otlp", OTEL_METRICS_EXPORTER="otlp",
                        OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                        **SAMPLE_EVERYTHING)
    purge_queues(world.broker_url)
    raw = Path(tempfile.mkstemp(prefix="bench-pipeline-", suffix=".txt")[1])
    with processes.celery_worker(env, queues=IDLE_QUEUE, concurrency=1) as worker:
        _batch(app, worker, 20)  # warm-up: imports, connections, first spans
        profiler = None
        if options.profile:
            profiler = subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(worker.popen.pid),
                                         "--subprocesses", "--gil", "--format", "raw", "--rate", "400", "--nonblocking",
                                         "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)  # py-spy attaches
        before = processes.cpu_seconds(worker.popen.pid)
        wall, orders = _batch(app, worker, options.orders)
        time.sleep(1)  # the export thread's last batch
        cpu = processes.cpu_seconds(worker.popen.pid) - before
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            profiler.wait(60)
    purge_queues(world.broker_url)
    print(f"tracing {options.tracing}: {cpu / orders * 1000:.2f} ms worker CPU per order, "
          f"{orders / wall:.1f} orders/s ({orders} orders, one child)")
    if options.tracing == "ours":
        _print_spans(sink.dump, orders + 20)
    if options.profile:
        _print_profile(raw, options.top)
    if options.keep:
        print(f"raw stacks kept in {raw}")
    else:
        raw.unlink(missing_ok=True)


def _print_spans(dump: Path, orders: int) -> None:
    """What the worker exported per order (the warm-up batch included): spans by name, attributes, events."""
    from benchmarks.sink import spans_by_name

    print(f"spans per order (warm-up included, {orders} orders):")
    for name, (spans, attributes, events) in sorted(spans_by_name(dump).items()):
        print(f"  {spans / orders:5.2f}  {name:<40} {len(attributes) / spans:5.1f} attributes, "
              f"{len(events) / spans:4.1f} events each")
        print(f"         attributes: {', '.join(sorted(set(attributes)))}")
        if events:
            print(f"         events: {', '.join(sorted(set(events)))}")


def _print_profile(raw: Path, top: int) -> None:
    """py-spy's raw format: one line per distinct stack, ``frame;frame;... count``, outermost first."""
    own, inclusive, total, ours = collections.Counter(), collections.Counter(), 0, 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
        if any(part in frame for frame in frames for part in OURS if "site-packages" not in frame):
            ours += samples
    if not total:
        print("no samples", file=sys.stderr)
        return
    print(f"\n{total} samples; {ours / total:.0%} under our own packages")
    for title, counter in (("own time", own), ("inclusive", inclusive)):
        print(f"\n{title}:")
        for frame, samples in counter.most_common(top):
            print(f"  {samples / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
