"""What exporting a span costs, per OTLP encoding: the app's CPU to encode and send it, the Collector's to receive it.

``run()`` starts the real Collector from the shipped config (deploy/stack.py; tail sampling's
decision wait shortened so that a batch is decided and forwarded before the next one) and a client
process, ``python -m benchmarks.export``, which exports fresh spans of our two shapes through
upstream's exporters as released: protobuf over HTTP, protobuf over gRPC and JSON over HTTP, all
with TLS and the bearer token. Every round runs each (encoding, shape) once in a rotated order,
plus an idle arm that measures what the Collector spends with nothing arriving (subtracted). Per
arm: the encode function's CPU and ``export()``'s CPU in the client (``time.process_time()``: every
thread, gRPC's included), and the Collector's CPU from /proc over the arm.

The gRPC and JSON exporters are development requirements; one that is not installed is skipped
and said so.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import Figure, interval_text, ratio_interval
from jewelry.contracts import OrderPriced, PriceRequested

HTTP_PROTOBUF, GRPC, HTTP_JSON = "http/protobuf", "grpc", "http/json"
ENCODINGS = (HTTP_PROTOBUF, GRPC, HTTP_JSON)
IDLE = "idle"
BATCH = 512  # tracing.setup.EXPORT_DEFAULTS: spans per export request
# A 64-bit value a double cannot hold exactly: OTLP JSON writes int64 as a string, and a receiver
# that read it through a float would change it.
BIG_INT = 2**53 + 1

# The pipeline's span shapes (benchmarks/README.md, "What a traced order exports"): the publish of
# a task, 13 attributes; the MES pricing run, 31 attributes and the job's transition event of 8.
PUBLISH = {
    "celery.action": "apply_async",
    "celery.task_name": OrderPriced.name,
    "messaging.message.id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
    "messaging.destination": "shop.events",
    "messaging.system": "rabbitmq",
    "messaging.operation.name": "publish",
    "messaging.operation.type": "send",
    "messaging.destination.name": f"alexandrite:{OrderPriced.name}",
    "messaging.rabbitmq.destination.routing_key": OrderPriced.name,
    "server.address": "rabbitmq",
    "server.port": 5672,
    "order.id": 48213,
    "alexandrite.system": "mes",
}
PRICE = {
    "celery.action": "run",
    "celery.state": "SUCCESS",
    "celery.task_name": PriceRequested.name,
    "celery.delivery_info": f"{{'exchange': 'alexandrite', 'routing_key': '{PriceRequested.name}'}}",
    "messaging.message.id": "0c8ee0a1-3b55-4e3c-9a55-4a5c35a1d8a0",
    "messaging.destination": "mes.orders",
    "messaging.system": "rabbitmq",
    "messaging.operation.name": "process",
    "messaging.operation.type": "process",
    "messaging.destination.name": f"alexandrite:{PriceRequested.name}",
    "messaging.rabbitmq.destination.routing_key": PriceRequested.name,
    "messaging.rabbitmq.message.delivery_tag": BIG_INT,
    "messaging.consumer.group.name": "mes.orders",
    "server.address": "rabbitmq",
    "server.port": 5672,
    "order.id": 48213,
    "order.customer.id": 311,
    "order.status": "PRICE_CALCULATED",
    "order.previous_status": "SUBMITTED",
    "order.price": 1234.5,
    "order.metal": "gold_18k",
    "model.format": "stl",
    "model.file.size": 684,
    "model.volume_mm3": 1000.0,
    "model.triangle_count": 12,
    "model.bbox_mm": (10.0, 10.0, 10.0),
    "model.watertight": True,
    "alexandrite.system": "mes",
    "alexandrite.db.mes.statements": 9,
    "alexandrite.db.mes.duration_ms": 7.9,
    "user.roles": ("system",),
}
TRANSITION = {
    "order.id": 48213,
    "order.previous_status": "SUBMITTED",
    "order.status": "PRICE_CALCULATED",
    "order.transition.at": "2026-12-02T10:15:00.123456+00:00",
    "alexandrite.transition.record": "mes_job",
    "alexandrite.system": "mes",
    "user.id": 7,
    "user.roles": ("operator", "system"),
}
# family -> (span name, span kind name, attributes, events)
FAMILIES = {
    "13 attributes": (f"apply_async/{OrderPriced.name}", "PRODUCER", PUBLISH, ()),
    "31 attributes, 1 event": (f"run/{PriceRequested.name}", "CONSUMER", PRICE,
                               (("order.transition", TRANSITION),)),
}


def record_spans(tracer, family: str, count: int) -> list[int]:
    """``count`` spans of ``family``, each the root of a trace of its own, ended at once; their trace ids."""
    from opentelemetry.trace import SpanKind

    name, kind, attributes, events = FAMILIES[family]
    trace_ids = []
    for _ in range(count):
        with tracer.start_as_current_span(name, kind=SpanKind[kind], attributes=attributes) as span:
            for event_name, event_attributes in events:
                span.add_event(event_name, event_attributes)
        trace_ids.append(span.get_span_context().trace_id)
    return trace_ids


def installed_exporters(grpc_endpoint: str) -> tuple[dict, dict]:
    """({encoding: (span exporter, encode function)}, {encoding: why it is missing}).

    Each exporter is configured by the standard OTEL_EXPORTER_OTLP_* variables (endpoint,
    certificate, bearer token), as the app's is; gRPC gets the Collector's gRPC port.
    """
    found, missing = {}, {}
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as encode_protobuf
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPProtobufExporter

    def protobuf(spans) -> bytes:
        return encode_protobuf(spans).SerializeToString()

    found[HTTP_PROTOBUF] = (HTTPProtobufExporter(), protobuf)
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCExporter
    except ImportError as error:
        missing[GRPC] = f"opentelemetry-exporter-otlp-proto-grpc not importable ({error})"
    else:
        found[GRPC] = (GRPCExporter(endpoint=grpc_endpoint), protobuf)  # the same encoder, gRPC's framing
    try:
        from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans as encode_json
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter as HTTPJSONExporter
    except ImportError as error:
        missing[HTTP_JSON] = f"opentelemetry-exporter-otlp-json-http not importable ({error})"
    else:
        found[HTTP_JSON] = (HTTPJSONExporter(), lambda spans: encode_json(spans).to_json().encode())
    return found, missing


def _collector_cpu(pid: int) -> float:
    from benchmarks.processes import cpu_seconds

    return cpu_seconds(pid)


def measure(*, collector_pid: int, grpc_endpoint: str, rounds: int, spans: int, settle: float) -> dict:
    """The client's side of the benchmark; every figure per span, one value per round."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-export"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("benchmarks.export")
    exporters, missing = installed_exporters(grpc_endpoint)
    arms = [(encoding, family) for family in FAMILIES for encoding in exporters] + [(IDLE, "")]
    results = {f"{encoding}|{family}": {"encode_us": [], "export_us": [], "collector_us": [], "bytes": []}
               for encoding, family in arms if encoding != IDLE}

    def one_arm(encoding: str, family: str) -> tuple[float, float, float, float, float]:
        """(encode CPU s, export CPU s, Collector CPU s, wall s, body bytes) of one arm."""
        if encoding == IDLE:
            collector, wall = _collector_cpu(collector_pid), time.monotonic()
            time.sleep(settle + 0.5)
            return 0.0, 0.0, _collector_cpu(collector_pid) - collector, time.monotonic() - wall, 0
        memory.clear()
        record_spans(tracer, family, spans)
        finished = memory.get_finished_spans()
        batches = [finished[start:start + BATCH] for start in range(0, len(finished), BATCH)]
        exporter, encode = exporters[encoding]
        started = time.process_time()
        size = sum(len(encode(batch)) for batch in batches)
        encoded = time.process_time()
        collector, wall = _collector_cpu(collector_pid), time.monotonic()
        started_export = time.process_time()
        for batch in batches:
            if exporter.export(batch) is not SpanExportResult.SUCCESS:
                raise RuntimeError(f"the Collector refused an export over {encoding}")
        exported = time.process_time()
        time.sleep(settle)  # decided by tail sampling, forwarded to Jaeger: charged to this arm
        return (encoded - started, exported - started_export, _collector_cpu(collector_pid) - collector,
                time.monotonic() - wall, size)

    for encoding, family in arms:  # warm-up: connections, the Collector's first-seen series
        if encoding != IDLE:
            one_arm(encoding, family)
    for round_number in range(rounds):
        shift = round_number % len(arms)
        measured = {arm: one_arm(*arm) for arm in arms[shift:] + arms[:shift]}
        _, _, idle_cpu, idle_wall, _ = measured[(IDLE, "")]
        idle_rate = idle_cpu / idle_wall  # the Collector's own ticking (health, telemetry, scrapes)
        for (encoding, family), (encode_s, export_s, collector_s, wall, size) in measured.items():
            if encoding == IDLE:
                continue
            result = results[f"{encoding}|{family}"]
            result["encode_us"].append(encode_s / spans * 1e6)
            result["export_us"].append(export_s / spans * 1e6)
            result["collector_us"].append(max(collector_s - idle_rate * wall, 0.0) / spans * 1e6)
            result["bytes"].append(size / spans)
    for exporter, _ in exporters.values():
        exporter.shutdown()
    provider.shutdown()
    return {"results": results, "missing": missing}


def figures(measured: dict, *, spans: int) -> list[Figure]:
    """Table rows: per (shape, encoding), the app's, the Collector's and the sum's cost per span."""
    results = measured["results"]
    rows = []
    for family in FAMILIES:
        baseline = results.get(f"{HTTP_PROTOBUF}|{family}")
        for encoding in ENCODINGS:
            result = results.get(f"{encoding}|{family}")
            if not result:
                continue
            system = [app + collector for app, collector in zip(result["export_us"], result["collector_us"])]
            base_system = [app + collector for app, collector in
                           zip(baseline["export_us"], baseline["collector_us"])]
            variant = f"{encoding}, {family}"
            for metric, values, base in (
                    ("app: encode function, CPU per span", result["encode_us"], baseline["encode_us"]),
                    ("app: export() to the Collector, CPU per span", result["export_us"], baseline["export_us"]),
                    ("Collector CPU per span received (ms per 1,000)", result["collector_us"],
                     baseline["collector_us"]),
                    ("system: export() + Collector, CPU per span", system, base_system)):
                figure = Figure("export", variant, metric, "us", values=list(values),
                                ratios=[v / b for v, b in zip(values, base) if b])
                if len(values) > 1 and encoding != HTTP_PROTOBUF and sum(base):
                    figure.note = f"/ http/protobuf: {interval_text(ratio_interval(values, base))} (95%)"
                rows.append(figure)
            size = Figure("export", variant, "request body per span", "bytes", values=result["bytes"][:1])
            size.note = f"{spans} spans a round in batches of {BATCH}"
            rows.append(size)
    return rows


def run(world, *, rounds: int, spans: int, settle: float, progress=print) -> list[Figure]:
    import subprocess

    from benchmarks.environment import ROOT
    from deploy.stack import Backbone, Webhook

    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    # The shipped config; only the decision wait is short, so that each arm's spans are decided and
    # sent on to Jaeger before the next arm starts (the shipped 60 s would spread them over others).
    with Webhook() as webhook, Backbone(workdir, webhook_url=webhook.url,
                                        collector_env={"TAIL_SAMPLING_DECISION_WAIT": "1s"}) as backbone:
        env = world.env(**backbone.app_env())
        progress(f"  {rounds} rounds; each round sends {spans} fresh spans per shape and encoding to the "
                 f"Collector, rotated, then waits {settle:.1f} s; plus an idle arm")
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.export", "--json", "--collector-pid",
             str(backbone.collector.popen.pid), "--grpc-endpoint", f"https://127.0.0.1:{backbone.ports.otlp_grpc}",
             "--rounds", str(rounds), "--spans", str(spans), "--settle", str(settle)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"export measurement failed:\n{done.stderr[-4000:]}")
    measured = json.loads(done.stdout.splitlines()[-1])
    for encoding, why in measured["missing"].items():
        progress(f"  {encoding}: skipped, {why}")
    return figures(measured, spans=spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collector-pid", type=int, required=True)
    parser.add_argument("--grpc-endpoint", required=True, help="https://host:port of the Collector's OTLP/gRPC")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--spans", type=int, default=4000, help="spans per shape and encoding in a round")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after an arm, for the Collector")
    parser.add_argument("--json", action="store_true", help="one JSON line (for python -m benchmarks)")
    options = parser.parse_args()
    measured = measure(collector_pid=options.collector_pid, grpc_endpoint=options.grpc_endpoint,
                       rounds=options.rounds, spans=options.spans, settle=options.settle)
    if options.json:
        print(json.dumps(measured))
        return
    for key, result in measured["results"].items():
        print(key, {name: round(sorted(values)[len(values) // 2], 1) for name, values in result.items()})


if __name__ == "__main__":
    sys.exit(main())
