"""CPU per request of each tracing variant, from short batches alternated between long-lived processes.

Each variant lives in its own process (``--serve``), set up once and warmed up; the
controller asks each in turn for a batch of order flows (Django test client, in-process)
and reads the process's CPU clock, export thread included. A batch's CPU runs from its
start to the start of that process's next batch, so export work done while the others ran
counts where it belongs. Ratios against "off" come with a bootstrap interval over rounds:
interleaved long rounds on this shared machine swing more than the few percent measured.
Every run also measures "off" twice, as two variants in two processes (an A/A pair): the
second one's ratio to the first, and its interval, is the noise floor of that run.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from benchmarks import pieces
from benchmarks.environment import BIN, ROOT, SAMPLE_EVERYTHING, BenchWorld, purge_queues
from benchmarks.processes import otlp_sink
from benchmarks.report import Figure, interval_text, ratio_interval
from benchmarks.sink import count_spans

SECTION = "web CPU (alternating batches)"
OFF_AA = "off (A/A: noise floor)"  # "off" again, in its own process: any ratio to "off" is noise
OFF, OURS, FULL_SQL, ZERO_CODE, SENTRY = "off", "ours", "ours, full SQL detail", "zero-code", "Sentry SDK"
REPLY = "@@ "  # marks the worker's answers among whatever else it prints
REQUESTS_PER_FLOW = 5
WARMUP_FLOWS = 20


@dataclass(frozen=True)
class Variant:
    name: str
    env: dict = field(default_factory=dict)
    traced: bool = True  # exports to a sink
    zero_code: bool = False
    sentry: bool = False
    without: tuple[str, ...] = ()  # pieces of ours taken out (per-piece costs)
    checkout: str = ""  # another checkout's code (pipeline workers only): a before/after pair in one run


OTLP = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", **SAMPLE_EVERYTHING}
MAIN = (
    Variant(OFF, {"TRACING_ENABLED": "false"}, traced=False),
    Variant(OURS, {"TRACING_ENABLED": "true", **OTLP}),
    Variant(FULL_SQL, {"TRACING_ENABLED": "true", "TRACING_SQL_SPANS": "all", **OTLP}),
    Variant(ZERO_CODE, {"TRACING_ENABLED": "false", **OTLP}, zero_code=True),
    Variant(SENTRY, {"TRACING_ENABLED": "false"}, sentry=True),
)
# Ours with one piece taken out at a time: the difference to "ours" is that piece's cost.
PIECES = (
    Variant(OFF, {"TRACING_ENABLED": "false"}, traced=False),
    Variant(OURS, {"TRACING_ENABLED": "true", **OTLP}),
    Variant("ours without export", {"TRACING_ENABLED": "true", **OTLP, "OTEL_TRACES_EXPORTER": "none",
                                    "OTEL_METRICS_EXPORTER": "none"}, traced=False),
    Variant("ours without OrderSpanMiddleware", {"TRACING_ENABLED": "true", **OTLP}, without=("middleware",)),
    Variant("ours without request hook", {"TRACING_ENABLED": "true", **OTLP}, without=("request_hook",)),
    Variant("ours without signal hooks", {"TRACING_ENABLED": "true", **OTLP}, without=("hooks",)),
    Variant("ours without business metrics", {"TRACING_ENABLED": "true", **OTLP}, without=("metrics",)),
    Variant("ours without SQL totals", {"TRACING_ENABLED": "true", **OTLP}, without=("sql",)),
)
OURS_PIECES = pieces.PIECES
# What upstream costs by itself: ours with all of our own code out, then without export as well.
UPSTREAM = (
    Variant(OFF, {"TRACING_ENABLED": "false"}, traced=False),
    Variant(OURS, {"TRACING_ENABLED": "true", **OTLP}),
    Variant("upstream only (SDK, instrumentations, export)", {"TRACING_ENABLED": "true", **OTLP},
            without=OURS_PIECES),
    Variant("upstream only, no export", {"TRACING_ENABLED": "true", **OTLP, "OTEL_TRACES_EXPORTER": "none",
                                         "OTEL_METRICS_EXPORTER": "none"}, traced=False, without=OURS_PIECES),
)
# The export thread's settings (tracing/setup.py defaults against the SDK's and gzip).
EXPORT = (
    Variant(OFF, {"TRACING_ENABLED": "false"}, traced=False),
    Variant(OURS, {"TRACING_ENABLED": "true", **OTLP}),
    Variant("SDK batch defaults (512 / 5 s)", {"TRACING_ENABLED": "true", **OTLP,
                                               "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
                                               "OTEL_BSP_SCHEDULE_DELAY": "5000"}),
    Variant("batches of 64 / 1 s", {"TRACING_ENABLED": "true", **OTLP, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
                                    "OTEL_BSP_SCHEDULE_DELAY": "1000"}),
    Variant("gzip", {"TRACING_ENABLED": "true", **OTLP, "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}),
)
SETS = {"main": MAIN, "pieces": PIECES, "upstream": UPSTREAM, "export": EXPORT}


def with_noise_floor(variants) -> tuple[Variant, ...]:
    """The variants with "off" measured a second time right after it (an A/A pair), once.

    The twin runs the same code as "off" in a process of its own, so its ratio to "off"
    and that ratio's interval show what the run cannot tell apart from nothing.
    """
    variants = tuple(variants)
    if any(variant.name == OFF_AA for variant in variants):
        return variants
    position = next((i for i, variant in enumerate(variants) if variant.name == OFF), None)
    if position is None:
        raise ValueError(f'an A/A pair needs an "{OFF}" variant to repeat')
    twin = Variant(OFF_AA, dict(variants[position].env), traced=False)
    return variants[:position + 1] + (twin,) + variants[position + 1:]


# --- the controller --------------------------------------------------------------------

class Server:
    """One variant's long-lived process, spoken to by lines on stdin/stdout."""

    def __init__(self, world: BenchWorld, variant: Variant, endpoint: str):
        env = world.env(**variant.env, **{pieces.VARIABLE: ",".join(variant.without)})
        if variant.traced:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
        if variant.sentry:
            env["BENCH_SENTRY_DSN"] = endpoint.replace("http://", "http://public@") + "/1"
        prefix = [str(BIN / "opentelemetry-instrument")] if variant.zero_code else []
        self.variant = variant
        self.popen = subprocess.Popen([*prefix, sys.executable, "-m", "benchmarks.batches", "--serve"], cwd=ROOT,
                                      env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = self.read()

    def read(self) -> dict:
        for line in self.popen.stdout:
            if line.startswith(REPLY):
                return json.loads(line[len(REPLY):])
        raise RuntimeError(f"{self.variant.name}: the benchmark process exited ({self.popen.wait()})")

    def ask(self, command: str) -> dict:
        self.popen.stdin.write(command + "\n")
        self.popen.stdin.flush()
        return self.read()

    def close(self) -> dict:
        try:
            return self.ask("quit")
        finally:
            self.popen.wait(60)


@dataclass
class Measured:
    cpu_marks: list[float] = field(default_factory=list)  # process CPU at each batch's start, then at the end
    walls: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    spans: dict = field(default_factory=dict)

    def batch_cpu(self) -> list[float]:
        return [after - before for before, after in zip(self.cpu_marks, self.cpu_marks[1:])]


def run(world: BenchWorld, *, rounds: int, flows: int, variants=MAIN, progress=print) -> list[Figure]:
    from benchmarks.mes_queue import seed_jobs
    from benchmarks.overhead import QUEUE_JOBS, zero_code_available
    from benchmarks.users import logged_in
    from jewelry.roles import Role

    seed_jobs(QUEUE_JOBS)
    logged_in("batch-customer", Role.CUSTOMER)
    logged_in("batch-operator", Role.OPERATOR)
    variants = with_noise_floor(variants)
    if not zero_code_available():
        progress("  zero-code skipped: opentelemetry-instrument is not installed")
        variants = [v for v in variants if not v.zero_code]
    measured = {variant.name: Measured() for variant in variants}
    sinks, servers = [], []
    with contextlib.ExitStack() as stack:
        for variant in variants:
            sinks.append(stack.enter_context(otlp_sink("ok")))
        try:
            _alternate(world, variants, sinks, servers, measured, rounds=rounds, flows=flows, progress=progress)
        finally:
            for server in servers:
                if server.popen.poll() is None:
                    server.popen.kill()
            for sink, variant in zip(sinks, variants):
                measured[variant.name].spans = count_spans(sink.dump)
            purge_queues(world.broker_url)
    return _figures(measured, rounds, flows)


def _alternate(world, variants, sinks, servers, measured, *, rounds: int, flows: int, progress) -> None:
    for variant, sink in zip(variants, sinks):
        servers.append(Server(world, variant, sink.endpoint))
    for round_number in range(rounds):
        # Rotated, so that no variant always follows the same neighbour.
        shift = round_number % len(servers)
        for server in servers[shift:] + servers[:shift]:
            answer = server.ask(f"run {flows}")
            if answer.get("error"):
                raise RuntimeError(f"{server.variant.name}: {answer['error']}")
            mine = measured[server.variant.name]
            mine.cpu_marks.append(answer["cpu_start"])
            mine.walls.append(answer["wall"])
            mine.requests.append(answer["requests"])
        if (round_number + 1) % 10 == 0 or round_number + 1 == rounds:
            progress(f"  round {round_number + 1}/{rounds}")
    for server in servers:
        measured[server.variant.name].cpu_marks.append(server.close()["cpu"])


def _figures(measured: dict[str, Measured], rounds: int, flows: int) -> list[Figure]:
    off = measured[OFF]
    off_cpu = off.batch_cpu()
    figures = []
    for name, mine in measured.items():
        cpu = mine.batch_cpu()
        per_request = [c / r * 1000 for c, r in zip(cpu, mine.requests)]
        throughput = [r / w for r, w in zip(mine.requests, mine.walls)]
        cpu_figure = Figure(SECTION, name, "CPU per request", "ms", values=per_request)
        rate_figure = Figure(SECTION, name, "throughput, one client in-process", "req/s", values=throughput)
        if name != OFF:
            cpu_figure.ratios = [c / o for c, o in zip(cpu, off_cpu)]
            rate_figure.ratios = [t / (r / w) for t, r, w in zip(throughput, off.requests, off.walls)]
            cpu_figure.note = f"CPU ratio {interval_text(ratio_interval(cpu, off_cpu))} (sum, 95% bootstrap)"
            walls_as_rate = ratio_interval(off.walls, mine.walls)  # same requests per batch: rate = 1 / wall
            rate_figure.note = f"rate ratio {interval_text(walls_as_rate)}"
            if name == OFF_AA:
                cpu_figure.note += "; off against off: the noise floor"
                rate_figure.note += "; off against off: the noise floor"
            elif name != OURS and OURS in measured:
                # Against ours directly, round by round: two intervals against "off" may overlap
                # where the paired ratio still tells the two apart.
                versus = ratio_interval(cpu, measured[OURS].batch_cpu())
                cpu_figure.note += f"; / ours {interval_text(versus)}"
        figures += [cpu_figure, rate_figure]
        if mine.spans.get("spans"):
            total_flows = rounds * flows + WARMUP_FLOWS
            figures.append(Figure(SECTION, name, "spans exported per flow", "spans",
                                  values=[mine.spans["spans"] / total_flows]))
            figures.append(Figure(SECTION, name, "attributes per span", "attrs",
                                  values=[mine.spans["attributes"] / mine.spans["spans"]]))
    return figures


# --- one variant's process -------------------------------------------------------------

def _reply(message: dict) -> None:
    print(REPLY + json.dumps(message), flush=True)


def serve() -> None:
    if os.environ.get("BENCH_SENTRY_DSN"):
        import sentry_sdk

        # As a shop would turn it on for tracing: every transaction, default integrations.
        sentry_sdk.init(dsn=os.environ["BENCH_SENTRY_DSN"], traces_sample_rate=1.0, send_default_pii=False)
    import django

    pieces.take_out_from_environment()
    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from benchmarks.profile_web import _flow
    from jewelry.sample_models import cube_stl

    clients = []
    for name in ("batch-customer", "batch-operator"):
        client = Client()
        client.force_login(User.objects.get(username=name))
        clients.append(client)
    model = cube_stl(10)
    for _ in range(WARMUP_FLOWS):
        _flow(*clients, model)
    _reply({"ready": True})
    for line in sys.stdin:
        command = line.split()
        if command[0] == "run":
            count = int(command[1])
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            try:
                for _ in range(count):
                    _flow(*clients, model)
            except Exception as error:  # noqa: BLE001 - any failure: the controller reports it and stops
                _reply({"error": repr(error)[:2000]})
                continue
            _reply({"cpu_start": cpu_start, "wall": time.perf_counter() - wall_start,
                    "requests": count * REQUESTS_PER_FLOW})
        elif command[0] == "quit":
            _flush()
            _reply({"cpu": time.process_time()})
            return


def _flush() -> None:
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush()
    if os.environ.get("BENCH_SENTRY_DSN"):
        import sentry_sdk

        sentry_sdk.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    serve()
