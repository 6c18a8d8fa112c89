"""OpenTelemetry set-up, in one place: provider, exporters and instrumentations, once per process.

Configured from the standard ``OTEL_*`` variables (README, "Tracing"). Called from
``TracingConfig.ready()``; gunicorn's ``post_fork`` and Celery's
``worker_process_init`` call ``after_fork()`` so forked workers export on their own
connections; ``flush()`` runs before a worker exits.
"""

import logging
import os

import requests
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

log = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "alexandrite-web"
FLUSH_TIMEOUT_MILLIS = 5_000

_state: dict = {"pid": None, "tracer_provider": None, "meter_provider": None, "sessions": []}


def _exporter_names(variable: str, default: str) -> list[str]:
    value = os.environ.get(variable, default)
    return [name.strip().lower() for name in value.split(",") if name.strip() and name.strip() != "none"]


def _otlp_session() -> requests.Session:
    # Kept so that after a fork the child drops the parent's pooled sockets.
    session = requests.Session()
    _state["sessions"].append(session)
    return session


def _span_exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                                  os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"))
        if protocol != "http/protobuf":
            log.warning("OTLP protocol %r is not installed; exporting with http/protobuf.", protocol)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(session=_otlp_session())
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported (use otlp, console or none).")


def _metric_readers() -> list[PeriodicExportingMetricReader]:
    readers = []
    for name in _exporter_names("OTEL_METRICS_EXPORTER", "none"):
        if name == "console":
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(session=_otlp_session())))
        else:
            raise ValueError(f"OTEL_METRICS_EXPORTER={name!r} is not supported (use otlp, console or none).")
    return readers


def _instrument(tracer_provider, meter_provider) -> None:
    from django.conf import settings
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor

    common = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
    if not DjangoInstrumentor().is_instrumented_by_opentelemetry:
        DjangoInstrumentor().instrument(**common)
    if not CeleryInstrumentor().is_instrumented_by_opentelemetry:
        CeleryInstrumentor().instrument(**common)
    if not Psycopg2Instrumentor().is_instrumented_by_opentelemetry:
        # The SQL commenter stays off: it would defeat PostgreSQL's statement cache.
        Psycopg2Instrumentor().instrument(enable_commenter=False, skip_dep_check=True, **common)
    if settings.STORAGE_BACKEND == "s3":
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

        if not BotocoreInstrumentor().is_instrumented_by_opentelemetry:
            BotocoreInstrumentor().instrument(**common)


def configure_tracing() -> bool:
    """Set up OpenTelemetry for this process; a second call does nothing. True if it set up."""
    from django.conf import settings

    if _state["pid"] is not None:
        return False
    _state["pid"] = os.getpid()
    if not settings.TRACING_ENABLED or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME)})
    # The sampler comes from OTEL_TRACES_SAMPLER / _ARG; the batch limits from OTEL_BSP_*.
    tracer_provider = TracerProvider(resource=resource)
    for name in _exporter_names("OTEL_TRACES_EXPORTER", "otlp"):
        tracer_provider.add_span_processor(BatchSpanProcessor(_span_exporter(name)))
    meter_provider = MeterProvider(resource=resource, metric_readers=_metric_readers())
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    _state["tracer_provider"], _state["meter_provider"] = tracer_provider, meter_provider
    _instrument(tracer_provider, meter_provider)
    return True


def tracer_provider() -> TracerProvider | None:
    return _state["tracer_provider"]


def after_fork() -> None:
    """In a freshly forked worker: the SDK restarts its export threads; we drop inherited sockets."""
    for session in _state["sessions"]:
        session.close()


def flush(timeout_millis: int = FLUSH_TIMEOUT_MILLIS) -> None:
    """Export what is still queued (a worker about to exit), waiting at most ``timeout_millis``."""
    for provider in (_state["tracer_provider"], _state["meter_provider"]):
        if provider is not None:
            provider.force_flush(timeout_millis)
