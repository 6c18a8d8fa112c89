"""What one call of each tracing piece costs, in microseconds of CPU, measured in-process.

``python -m benchmarks.per_call [--calls 3000] [--json]`` runs each piece ``--calls``
times inside a recording span (the SDK as configured in production, nothing exported),
five times over, and prints the fastest of the five per call: CPU time of this process,
so other load on the machine barely moves it. Pieces that make or change a span are
measured as "span with the piece" minus "span alone". The end-to-end figures (batches,
pipeline) say what the whole costs; this says where, call by call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from jewelry.contracts import PriceRequested

REPEATS = 5


def _setup() -> None:
    os.environ.update(TRACING_ENABLED="true", OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none",
                      OTEL_TRACES_SAMPLER="always_on")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jewelry.settings")
    import django

    django.setup()


def _per_call(work, calls: int) -> float:
    """Fastest of REPEATS runs of ``calls`` calls, in CPU microseconds per call."""
    work()
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        for _ in range(calls):
            work()
        best = min(best, (time.process_time() - started) / calls * 1e6)
    return best


def measure(calls: int) -> dict[str, float]:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from jewelry import trace_context
    from jewelry.lifecycle import Transition
    from tracing import hooks, metrics, record, setup, spans, sql

    tracer = trace.get_tracer("benchmarks.per_call")
    now = datetime.now(UTC)
    moved = Transition(order_id=1, from_status="SUBMITTED", to_status="PRICE_CALCULATED", at=now, actor_id=None,
                       actor_role="system", system="mes", record="mes_job", database="mes",
                       previous_status_changed_at=now, customer_id=3)
    metrics.use_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()],
                                             exemplar_filter=setup._exemplar_filter()))

    # What a Celery task and a MES job look like to the hooks (only these attributes are read).
    request = SimpleNamespace(delivery_info={"exchange": "alexandrite", "routing_key": PriceRequested.name})
    task = SimpleNamespace(name=PriceRequested.name, request=request)
    job = SimpleNamespace(order_id=1, stage="PRICE_CALCULATED", customer_id=3, assignee_id=None)
    price_kwargs = {"order_id": 1, "customer_id": 3, "metal": "gold_18k", "model_key": "models/1.stl"}
    with tracer.start_as_current_span("carrier"):
        carrier = trace_context.capture()

    def span_alone():
        with tracer.start_as_current_span("s"):
            pass

    def span_with(piece):
        def work():
            with tracer.start_as_current_span("s") as span:
                piece(span)
        return work

    results = {}
    with tracer.start_as_current_span("outer"):
        alone = _per_call(span_alone, calls)
        results["a span started and ended (SDK, nothing exported)"] = alone
        pieces = {
            "record.transition (span attributes, event; its metrics counted outside a transaction)":
                lambda span: record.transition(moved),
            "hooks.on_task_prerun (messaging and order attributes)":
                lambda span: hooks.on_task_prerun(task_id="id", task=task, kwargs=price_kwargs),
            "spans.annotate_job": lambda span: spans.annotate_job(job),
            "sql tally of a task (begin and end, totals on the span)":
                lambda span: (sql.begin(nested=True), sql.end(span)),
        }
        for name, piece in pieces.items():
            results[name] = _per_call(span_with(piece), calls) - alone
        results["metrics.count_transition (counter and histogram)"] = _per_call(
            lambda: metrics.count_transition(previous_status="SUBMITTED", status="PRICE_CALCULATED",
                                             record="mes_job", stage_seconds=1.0, order_seconds=None), calls)
        results["trace_context.capture (context into an outbox row)"] = _per_call(trace_context.capture, calls)

        def attach():
            with trace_context.attached(carrier):
                pass
        results["trace_context.attached (an outbox row's context, attached and detached)"] = _per_call(attach, calls)

    # Encoding for export (the export thread's work), on spans shaped like the pipeline's.
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    local = provider.get_tracer("benchmarks.per_call")
    for attributes, events in ((13, 0), (31, 1)):
        memory.clear()
        for _ in range(512):
            with local.start_as_current_span(f"run/{PriceRequested.name}") as span:
                span.set_attributes({f"attribute.{i}": (i if i % 3 else f"value-{i}") for i in range(attributes)})
                for _ in range(events):
                    span.add_event("order.transition", {f"event.{i}": f"value-{i}" for i in range(8)})
        finished = memory.get_finished_spans()
        per_batch = _per_call(lambda: encode_spans(finished).SerializeToString(), 3)  # noqa: B023 - used at once
        results[f"OTLP encoding of one span, {attributes} attributes, {events} event(s) of 8"] = per_batch / 512
    provider.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--json", action="store_true", help="one JSON line (for python -m benchmarks)")
    options = parser.parse_args()
    _setup()
    results = measure(options.calls)
    if options.json:
        print(json.dumps(results))
        return
    width = max(len(name) for name in results)
    for name, micros in results.items():
        print(f"{name:<{width}}  {micros:7.1f} us")


if __name__ == "__main__":
    sys.exit(main())
