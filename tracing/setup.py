"""OpenTelemetry set-up, in one place: provider, exporters and instrumentations, once per process.

Configured from the standard ``OTEL_*`` variables (docs/tracing.md). Called from
``TracingConfig.ready()``; gunicorn's ``post_fork`` and Celery's
``worker_process_init`` call ``after_fork()`` so forked workers export on their own
connections and report metrics under their own ``service.instance.id``; ``flush()`` runs before a worker exits, and every wait on the backend
is bounded so that a dead Collector never holds a request or a shutdown.
"""

import atexit
import logging
import os
import socket
import threading

import requests
from opentelemetry import metrics, trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from tracing import propagation, redaction, sql

log = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "alexandrite-web"
# How long a flush or shutdown may wait for the backend, unless OTEL_BSP_EXPORT_TIMEOUT says
# otherwise (the SDK's batch processor ignores that variable; we honour it here).
DEFAULT_FLUSH_TIMEOUT_MILLIS = 5_000
# The one encoding exported: JSON over HTTP cost 1.14-1.40 times its CPU per span, app and
# Collector together, and gRPC not measurably less (benchmarks/README.md, "Export encodings").
HTTP_PROTOBUF = "http/protobuf"
# The export thread, when OTEL_BSP_* leave it unsaid (chosen from benchmarks/batches.py EXPORT;
# docs/tracing.md, "Export settings"): large batches, rarely, uncompressed on the local network.
EXPORT_DEFAULTS = {
    # About 1.2 spans a request by default: 2048 hold ~15 s of a 100 req/s worker's spans while a
    # Collector hangs (the exporter's timeout), before the SDK drops any.
    "OTEL_BSP_MAX_QUEUE_SIZE": 2048,
    "OTEL_BSP_SCHEDULE_DELAY": 5000,  # ms between exports when the batch is not full
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": 512,  # spans per export request
}
# Exemplars (a trace id kept beside a metric's bucket) are off unless OTEL_METRICS_EXEMPLAR_FILTER
# asks for them: nothing downstream keeps them (the Collector's Prometheus exporter and
# Prometheus would each need exemplar storage turned on), and offering one on every
# transition's counter and histogram was a third of what a business measurement cost.
EXEMPLAR_FILTER_VARIABLE = "OTEL_METRICS_EXEMPLAR_FILTER"

_state: dict = {"pid": None, "tracer_provider": None, "meter_provider": None, "sessions": [],
                "backend_stuck": False}
_lock = threading.Lock()


def _exporter_names(variable: str, default: str) -> list[str]:
    value = os.environ.get(variable, default)
    return [name.strip().lower() for name in value.split(",") if name.strip() and name.strip() != "none"]


def flush_timeout_millis() -> int:
    try:
        return int(os.environ.get("OTEL_BSP_EXPORT_TIMEOUT", DEFAULT_FLUSH_TIMEOUT_MILLIS))
    except ValueError:
        return DEFAULT_FLUSH_TIMEOUT_MILLIS


def _otlp_session() -> requests.Session:
    # Kept so that after a fork the child drops the parent's pooled sockets.
    session = requests.Session()
    _state["sessions"].append(session)
    return session


def _check_protocol(signal: str) -> None:
    protocol = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL",
                              os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", HTTP_PROTOBUF))
    if protocol != HTTP_PROTOBUF:
        # gRPC channels do not survive a fork and its exporter is not installed: say so loudly.
        log.error("OTEL_EXPORTER_OTLP_PROTOCOL=%r is not supported; exporting with %s (point "
                  "OTEL_EXPORTER_OTLP_ENDPOINT at the Collector's port 4318).", protocol, HTTP_PROTOBUF)


def _span_exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        _check_protocol("TRACES")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # Endpoint, headers, certificate, compression and timeout come from OTEL_EXPORTER_OTLP_*.
        return OTLPSpanExporter(session=_otlp_session())
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r} is not supported (use otlp, console or none).")


def _metric_readers() -> list[PeriodicExportingMetricReader]:
    readers = []
    for name in _exporter_names("OTEL_METRICS_EXPORTER", "none"):
        if name == "console":
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        elif name == "otlp":
            _check_protocol("METRICS")
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(session=_otlp_session())))
        else:
            raise ValueError(f"OTEL_METRICS_EXPORTER={name!r} is not supported (use otlp, console or none).")
    return readers


def build_resource() -> Resource:
    """service.name and attributes from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, or our default."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


def build_tracer_provider(resource: Resource | None = None) -> TracerProvider:
    """A provider as the environment describes it; nothing global is touched.

    The sampler comes from OTEL_TRACES_SAMPLER / _ARG (the SDK reads them), the batch
    limits from OTEL_BSP_*; exporters from OTEL_TRACES_EXPORTER (otlp, console, none).
    """
    provider = TracerProvider(resource=resource or build_resource(), shutdown_on_exit=False)
    for name in _exporter_names("OTEL_TRACES_EXPORTER", "otlp"):
        provider.add_span_processor(_batch_processor(_span_exporter(name)))
    return provider


def _batch_processor(exporter: SpanExporter) -> BatchSpanProcessor:
    """The SDK's batch processor with our EXPORT_DEFAULTS, each OTEL_BSP_* variable set winning."""
    def setting(variable: str) -> int:
        try:
            return int(os.environ[variable])
        except (KeyError, ValueError):
            return EXPORT_DEFAULTS[variable]

    return BatchSpanProcessor(exporter, max_queue_size=setting("OTEL_BSP_MAX_QUEUE_SIZE"),
                              schedule_delay_millis=setting("OTEL_BSP_SCHEDULE_DELAY"),
                              max_export_batch_size=setting("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"))


# The hooks run after the instrumentation has put the captured headers on the span (request
# headers before the request hook, response headers before the response hook).
def _request_hook(span, request) -> None:
    sql.begin()
    redaction.mask_sensitive_headers(span, "request")
    redaction.scrub_request_attributes(span, request)
    propagation.link_caller(span)


def _response_hook(span, request, response) -> None:
    redaction.mask_sensitive_headers(span, "response")
    sql.end(span)


def _instrument(tracer_provider) -> None:
    from django.conf import settings
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor

    # The instrumentations' own metrics (request, task and query duration histograms) stay off:
    # the Collector derives the same rates and durations from the spans (spanmetrics), and
    # recording them here cost a histogram update or two on every request and every query.
    common = {"tracer_provider": tracer_provider, "meter_provider": NoOpMeterProvider()}
    # Before the Celery instrumentation: the SQL totals go on its task span before it ends it.
    sql.install()
    if not DjangoInstrumentor().is_instrumented_by_opentelemetry:
        DjangoInstrumentor().instrument(request_hook=_request_hook, response_hook=_response_hook, **common)
    if not CeleryInstrumentor().is_instrumented_by_opentelemetry:
        # Also in web processes: apply_async must carry the trace context to the worker.
        CeleryInstrumentor().instrument(**common)
    if sql.mode() == sql.ALL and not Psycopg2Instrumentor().is_instrumented_by_opentelemetry:
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

    tracer_provider = build_tracer_provider(build_resource())
    # --- the embedded demo's local span store (support console, #13): demo only, see
    # tracing/recent_spans.py; does nothing unless RECENT_SPANS_FILE is set. ---
    from tracing import recent_spans

    recent_spans.attach(tracer_provider)
    # --- end of the demo span store hook ---
    trace.set_tracer_provider(tracer_provider)
    propagation.guard_public_edge()
    _state["tracer_provider"] = tracer_provider
    _instrument(tracer_provider)
    atexit.register(shutdown)
    return True


def tracer_provider() -> TracerProvider | None:
    return _state["tracer_provider"]


def meter_provider() -> metrics.MeterProvider:
    """This process's meter provider for the business metrics, made at the first measurement.

    Made per process, not before a fork: cumulative series are told apart by
    ``service.instance.id`` (Prometheus' ``instance`` label), so each gunicorn worker
    and Celery child must carry its own. A no-op provider when tracing is off.
    """
    if _state["tracer_provider"] is None:  # tracing is off in this process
        return NoOpMeterProvider()
    provider = _state["meter_provider"]
    if provider is None:
        with _lock:
            provider = _state["meter_provider"]
            if provider is None:
                provider = MeterProvider(resource=process_resource(), metric_readers=_metric_readers(),
                                         exemplar_filter=_exemplar_filter(), shutdown_on_exit=False)
                _state["meter_provider"] = provider
    return provider


def _exemplar_filter():
    """None (the SDK reads OTEL_METRICS_EXEMPLAR_FILTER) when it is set, else no exemplars."""
    if os.environ.get(EXEMPLAR_FILTER_VARIABLE):
        return None
    return AlwaysOffExemplarFilter()


def process_resource() -> Resource:
    """The resource with ``service.instance.id`` = the configured id (or host name) + "/" + pid."""
    resource = build_resource()
    instance = resource.attributes.get(SERVICE_INSTANCE_ID) or socket.gethostname()
    return resource.merge(Resource({SERVICE_INSTANCE_ID: f"{instance}/{os.getpid()}"}))


def after_fork() -> None:
    """In a freshly forked worker: the SDK restarts its export threads; we drop inherited sockets."""
    _state["backend_stuck"] = False
    for session in _state["sessions"]:
        session.close()
    # A provider the parent made would report under the parent's service.instance.id
    # (tracing.metrics makes its instruments again in each new process).
    _state["meter_provider"] = None


def _within(timeout_millis: int, work) -> bool:
    """Run ``work`` on a daemon thread, waiting at most ``timeout_millis``; True if it finished."""
    done = threading.Event()

    def run():
        try:
            work()
        finally:
            done.set()

    threading.Thread(target=run, name="otel-flush", daemon=True).start()
    return done.wait(timeout_millis / 1000)


def _providers():
    return [p for p in (_state["tracer_provider"], _state["meter_provider"]) if p is not None]


def flush(timeout_millis: int | None = None) -> bool:
    """Export what is still queued (a worker about to exit), waiting at most ``timeout_millis``.

    The SDK's own force_flush ignores its timeout and waits on a hanging backend; this does not.
    """
    timeout_millis = flush_timeout_millis() if timeout_millis is None else timeout_millis
    finished = _within(timeout_millis, lambda: [p.force_flush(timeout_millis) for p in _providers()])
    if not finished:
        _state["backend_stuck"] = True
        log.warning("Tracing backend did not take the queued spans within %s ms; giving up on them.",
                    timeout_millis)
    return finished


def shutdown(timeout_millis: int | None = None) -> None:
    """Flush and stop exporting, at process exit; no second wait if a flush already timed out."""
    providers = _providers()
    if not providers:
        return
    timeout_millis = flush_timeout_millis() if timeout_millis is None else timeout_millis
    if _state["backend_stuck"]:
        timeout_millis = 0
    _within(timeout_millis, lambda: [p.shutdown() for p in providers])
