"""What the tracing backbone costs: the real Collector and Jaeger (deploy/stack.py) fed by the app.

- Collector CPU and memory per 1,000 spans: gunicorn and a Celery worker run the order flow
  (create, upload, submit + MES pricing, read, queue), exporting over OTLP/HTTP with TLS and the
  token; the Collector's CPU time (/proc) over the spans it accepted (its own counter).
- Jaeger's disk per 1,000 orders: Badger's allocated blocks (du) after those flows, every trace
  kept (tail sampling at 100%: the upper bound; the shipped 10% keeps a tenth of the ordinary ones).
- Span end -> queryable in Jaeger: single-span traces exported at once, polled on api/v3.
  Measured with a decision wait of 2 s; the shipped 60 s adds 58 s to every figure.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import requests

from benchmarks import processes
from benchmarks.environment import SAMPLE_EVERYTHING, BenchWorld, purge_queues
from benchmarks.load import run_flows
from benchmarks.report import Figure, percentile
from deploy.stack import Backbone, Webhook

DECISION_WAIT = "2s"


def _cpu_seconds(pid: int) -> float:
    return processes.cpu_seconds(pid)


def _memory_mb(pid: int) -> tuple[float, float]:
    """(RSS now, peak RSS) in MB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def _disk_mb(path: Path) -> float:
    used = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout
    return int(used.split()[0]) / 1024


def _accepted_spans(backbone: Backbone) -> float:
    """The Collector's own count of spans its receiver accepted (otelcol_receiver_accepted_spans_total)."""
    url = f"http://127.0.0.1:{backbone.ports.collector_telemetry}/metrics"
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("otelcol_receiver_accepted_spans"))


def _app_env(world: BenchWorld, backbone: Backbone) -> dict:
    return world.env(TRACING_ENABLED="true", OTEL_TRACES_EXPORTER="otlp", OTEL_METRICS_EXPORTER="none",
                     **SAMPLE_EVERYTHING, **backbone.app_env())


def _queryable_latencies(backbone: Backbone, count: int) -> list[float]:
    """Seconds from a span's end to Jaeger answering its trace, for ``count`` single-span traces."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    session = requests.Session()
    session.trust_env = False
    exporter = OTLPSpanExporter(endpoint=f"{backbone.otlp_http_endpoint}/v1/traces", session=session,
                                certificate_file=str(backbone.certs / "ca.pem"),
                                headers={"authorization": f"Bearer {backbone.token}"})
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-latency"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    ended = {}
    for number in range(count):
        with provider.get_tracer("bench").start_as_current_span(f"probe {number}") as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
        ended[trace_id] = time.monotonic()
        time.sleep(0.05)
    provider.shutdown()
    latencies, deadline = {}, time.monotonic() + 120
    while len(latencies) < count and time.monotonic() < deadline:
        for trace_id in set(ended) - set(latencies):
            answer = requests.get(f"{backbone.jaeger_query_url}/api/v3/traces/{trace_id}", timeout=5)
            if answer.status_code == 200:
                latencies[trace_id] = time.monotonic() - ended[trace_id]
        time.sleep(0.1)
    if len(latencies) < count:
        raise RuntimeError(f"only {len(latencies)} of {count} probe traces reached Jaeger within 120 s")
    return list(latencies.values())


def run(world: BenchWorld, *, orders: int, probes: int, progress=print) -> list[Figure]:
    # the app's batch delay (5 s), the decision wait (2 s) and the exporter's flush (2 s), with room;
    # a smoke run (a handful of orders) only checks that the section runs
    settle = 10 if orders >= 50 else 3
    from benchmarks.users import logged_in
    from jewelry.roles import Role
    from jewelry.sample_models import cube_stl

    users = ([logged_in(f"bench-backbone-customer-{i}", Role.CUSTOMER) for i in range(2)],
             logged_in("bench-backbone-operator", Role.OPERATOR))
    workdir = Path(tempfile.mkdtemp(prefix="bench-backbone-"))
    figures = []
    with Webhook() as webhook, Backbone(workdir, webhook_url=webhook.url, collector_env={
            "TAIL_SAMPLING_DECISION_WAIT": DECISION_WAIT, "TAIL_SAMPLING_PERCENTAGE": "100"}) as backbone:
        collector_pid, jaeger_pid = backbone.collector.popen.pid, backbone.jaeger.popen.pid
        purge_queues(world.broker_url)
        env = _app_env(world, backbone)
        with processes.celery_worker(env, queues="mes.orders,mes.pricing,shop.events", concurrency=1), \
                processes.gunicorn(env, workers=2) as server:
            run_flows(server.port, *users, cube_stl(10), flows=5, concurrency=2)  # warm up
            time.sleep(settle)  # the warm-up's spans are decided and stored
            spans_before, disk_before = _accepted_spans(backbone), _disk_mb(workdir / "badger")
            collector_cpu, jaeger_cpu = _cpu_seconds(collector_pid), _cpu_seconds(jaeger_pid)
            progress(f"  {orders} order flows through gunicorn and a worker, exporting to the Collector")
            result = run_flows(server.port, *users, cube_stl(10), flows=orders, concurrency=2)
            time.sleep(settle)  # the worker's last spans, the decision wait, the exporter's flush
            spans = _accepted_spans(backbone) - spans_before
            collector_cpu = _cpu_seconds(collector_pid) - collector_cpu
            jaeger_cpu = _cpu_seconds(jaeger_pid) - jaeger_cpu
            disk = _disk_mb(workdir / "badger") - disk_before
        rss, peak = _memory_mb(collector_pid)
        rate = spans / result.seconds
        progress(f"  {spans:.0f} spans in {result.seconds:.1f} s ({rate:.0f}/s); Collector "
                 f"{collector_cpu:.2f} s CPU, RSS {rss:.0f} MB (peak {peak:.0f}); Jaeger {jaeger_cpu:.2f} s "
                 f"CPU, Badger +{disk:.1f} MB")
        figures += [
            Figure("backbone", "Collector (shipped, all kept)", "CPU per 1,000 spans", "s",
                   [collector_cpu / spans * 1000]),
            Figure("backbone", "Collector (shipped, all kept)", "resident memory (peak)", "MB", [peak]),
            Figure("backbone", "Jaeger (Badger)", "CPU per 1,000 spans", "s", [jaeger_cpu / spans * 1000]),
            Figure("backbone", "Jaeger (Badger)", "disk per 1,000 orders, every trace kept", "MB",
                   [disk / orders * 1000]),
        ]
        figures[0].note = f"{rate:.0f} spans/s offered; at 1,000 spans/s this is the share of a core"
        progress(f"  {probes} probe traces: span end -> queryable in Jaeger")
        latencies = _queryable_latencies(backbone, probes)
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            figure = Figure("backbone", "span end -> queryable", f"{name}, decision wait {DECISION_WAIT}",
                            "s", [percentile(latencies, fraction)])
            figure.note = "the shipped decision wait (60 s) adds 58 s"
            figures.append(figure)
    purge_queues(world.broker_url)
    return figures
