"""What tracing costs the web path: the order flow under gunicorn with tracing off, ours, and zero-code.

Variants run interleaved, each round in a rotated order, each on a fresh gunicorn:
- ``off``: TRACING_ENABLED=false, no SDK at all;
- ``ours``: our set-up (tracing/setup.py), 100% sampling, OTLP/HTTP to a local sink;
- ``ours, full SQL detail``: ours with TRACING_SQL_SPANS=all (psycopg2's span per statement);
- ``zero-code``: TRACING_ENABLED=false under ``opentelemetry-instrument`` with the same OTEL_*:
  the upstream agent's Django/psycopg2/Celery spans, none of our attributes;
- ``Sentry SDK``: TRACING_ENABLED=false, ``benchmarks.sentry_app`` (Sentry at traces_sample_rate=1.0
  sending to the sink);
- ``ours, backend down``: ours, exporting to an endpoint that accepts and never answers;
- ``ours, 10% head-sampled``: ours with ``OTEL_TRACES_SAMPLER_ARG=0.1``, not a deploy
  setting (errors in the other 90% would be lost before the Collector's tail sampling):
  the price of 100% sampling, measured beside it.
Every figure of a variant is paired with "off"'s run of the same round; the ratio is the
median of those per-round ratios, with a bootstrap interval over the rounds.
Submit publishes to RabbitMQ and no worker consumes: the web path is measured, not pricing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from benchmarks import processes
from benchmarks.environment import BIN, SAMPLE_EVERYTHING, BenchWorld, purge_queues
from benchmarks.load import RunResult, run_flows
from benchmarks.report import Figure, interval_text, median_ratio_interval, percentile
from benchmarks.sink import count_spans

SECTION = "web overhead"
OFF, OURS, ZERO_CODE, DOWN = "off", "ours", "zero-code", "ours, backend down"
FULL_SQL, SENTRY = "ours, full SQL detail", "Sentry SDK"
SAMPLED = "ours, 10% head-sampled"
WORKERS = 2
CONCURRENCY = 4  # two requests in flight per sync worker keeps both workers busy
QUEUE_JOBS = 1_000  # approved jobs, so the operator's page renders 50 rows


@dataclass(frozen=True)
class Variant:
    name: str
    traced: bool
    sink_mode: str | None = None
    zero_code: bool = False
    sample_ratio: float = 1.0
    sql_spans: str = "slow"
    sentry: bool = False


VARIANTS = (
    Variant(OFF, traced=False),
    Variant(OURS, traced=True, sink_mode="ok"),
    Variant(FULL_SQL, traced=True, sink_mode="ok", sql_spans="all"),
    Variant(ZERO_CODE, traced=True, sink_mode="ok", zero_code=True),
    Variant(SENTRY, traced=False, sink_mode="ok", sentry=True),
    Variant(DOWN, traced=True, sink_mode="hang"),
    Variant(SAMPLED, traced=True, sink_mode="ok", sample_ratio=0.1),
)


def zero_code_available() -> bool:
    return shutil.which("opentelemetry-instrument", path=str(BIN)) is not None


def _env(world: BenchWorld, variant: Variant, endpoint: str | None) -> dict:
    if variant.sentry:
        return world.env(BENCH_SENTRY_DSN=endpoint.replace("http://", "http://public@") + "/1")
    if not variant.traced:
        return world.env()
    otel = {**SAMPLE_EVERYTHING, "OTEL_TRACES_SAMPLER_ARG": str(variant.sample_ratio),
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none"}
    return world.env(TRACING_ENABLED="false" if variant.zero_code else "true", TRACING_SQL_SPANS=variant.sql_spans,
                     **otel)


def _one_run(world, variant, users, model, *, flows, warmup) -> tuple[RunResult, dict]:
    purge_queues(world.broker_url)
    customers, operator = users
    with processes.otlp_sink(variant.sink_mode or "ok") as sink:
        prefix = (str(BIN / "opentelemetry-instrument"),) if variant.zero_code else ()
        env = _env(world, variant, sink.endpoint if variant.traced or variant.sentry else None)
        app = "benchmarks.sentry_app" if variant.sentry else "jewelry.wsgi"
        with processes.gunicorn(env, workers=WORKERS, prefix=prefix, app=app) as server:
            run_flows(server.port, customers, operator, model, flows=warmup, concurrency=CONCURRENCY)
            cpu_before = processes.cpu_seconds(server.popen.pid)
            result = run_flows(server.port, customers, operator, model, flows=flows, concurrency=CONCURRENCY)
            result.server_cpu_seconds = processes.cpu_seconds(server.popen.pid) - cpu_before
            if variant.sink_mode == "hang":
                server.popen.kill()  # nothing could be flushed anyway; do not wait for the export timeout
        spans = count_spans(sink.dump)
    purge_queues(world.broker_url)
    return result, spans


def run(world: BenchWorld, *, rounds: int, flows: int, progress=print) -> list[Figure]:
    from benchmarks.mes_queue import seed_jobs
    from benchmarks.users import logged_in
    from jewelry.roles import Role
    from jewelry.sample_models import cube_stl

    seed_jobs(QUEUE_JOBS)
    users = ([logged_in(f"bench-customer-{i}", Role.CUSTOMER) for i in range(CONCURRENCY)],
             logged_in("bench-operator", Role.OPERATOR))
    variants = [v for v in VARIANTS if not v.zero_code or zero_code_available()]
    if len(variants) < len(VARIANTS):
        progress("  zero-code skipped: opentelemetry-instrument is not installed (pip install opentelemetry-distro)")
    figures = {v.name: _figures(v.name) for v in variants}
    for round_number in range(rounds):
        shift = round_number % len(variants)
        by_name = {}
        for variant in variants[shift:] + variants[:shift]:
            result, spans = _one_run(world, variant, users, cube_stl(10), flows=flows, warmup=max(4, flows // 10))
            by_name[variant.name] = (result, spans)
            progress(f"  round {round_number + 1}/{rounds} {variant.name:<20} {_summary(result, spans, flows)}")
        _record(figures, by_name, flows)
    found = [figure for name in figures for figure in figures[name].values() if figure.values]
    for figure in found:
        add_interval_note(figure)
    return found


def add_interval_note(figure: Figure) -> None:
    """The ratio column's median of per-round ratios to "off", with its 95% bootstrap interval, as a note."""
    if not figure.ratios:
        return
    text = (f"ratio {interval_text(median_ratio_interval(figure.ratios))} "
            f"(median of {len(figure.ratios)} paired round{'s' if len(figure.ratios) != 1 else ''}, 95% bootstrap)")
    figure.note = f"{figure.note}; {text}" if figure.note else text


def _figures(variant: str) -> dict[str, Figure]:
    return {
        "throughput": Figure(SECTION, variant, "throughput", "req/s"),
        "p50": Figure(SECTION, variant, "p50 latency", "ms"),
        "p99": Figure(SECTION, variant, "p99 latency", "ms"),
        "cpu": Figure(SECTION, variant, "gunicorn CPU per request", "ms"),
        "spans": Figure(SECTION, variant, "spans exported per flow", "spans"),
        "attributes": Figure(SECTION, variant, "attributes per span", "attrs"),
    }


def _record(figures, by_name, flows) -> None:
    off = by_name[OFF][0]
    for name, (result, spans) in by_name.items():
        figure = figures[name]
        throughput = result.requests / result.seconds
        latencies = result.all_latencies()
        figure["throughput"].values.append(throughput)
        figure["p50"].values.append(percentile(latencies, 0.5) * 1000)
        figure["p99"].values.append(percentile(latencies, 0.99) * 1000)
        cpu = result.server_cpu_seconds / result.requests
        figure["cpu"].values.append(cpu * 1000)
        if name != OFF:
            figure["throughput"].ratios.append(throughput / (off.requests / off.seconds))
            figure["p50"].ratios.append(percentile(latencies, 0.5) / percentile(off.all_latencies(), 0.5))
            figure["p99"].ratios.append(percentile(latencies, 0.99) / percentile(off.all_latencies(), 0.99))
            figure["cpu"].ratios.append(cpu / (off.server_cpu_seconds / off.requests))
        if spans["spans"]:
            figure["spans"].values.append(spans["spans"] / (flows + max(4, flows // 10)))
            figure["attributes"].values.append(spans["attributes"] / spans["spans"])
        if result.errors:
            figure["throughput"].note = f"{len(result.errors)} failed requests, e.g. {result.errors[0][:80]}"
    if DOWN in by_name and OURS in by_name:
        # The target for a dead backend: p99 within 5% of the healthy run of the same round.
        healthy = percentile(by_name[OURS][0].all_latencies(), 0.99)
        down = figures[DOWN].setdefault("p99 vs healthy", Figure(SECTION, DOWN, "p99 / healthy ours p99", "x"))
        down.values.append(percentile(by_name[DOWN][0].all_latencies(), 0.99) / healthy)


def _summary(result: RunResult, spans: dict, flows: int) -> str:
    latencies = result.all_latencies()
    text = (f"{result.requests / result.seconds:7.1f} req/s  p50 {percentile(latencies, 0.5) * 1000:6.1f} ms"
            f"  p99 {percentile(latencies, 0.99) * 1000:6.1f} ms"
            f"  CPU {result.server_cpu_seconds / result.requests * 1000:5.2f} ms/req")
    if spans["spans"]:
        text += f"  {spans['spans']} spans, {spans['attributes'] / spans['spans']:.1f} attrs/span"
    if result.errors:
        text += f"  {len(result.errors)} ERRORS: {result.errors[0][:120]}"
    return text
