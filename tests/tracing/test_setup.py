"""OpenTelemetry is set up once per process from the standard OTEL_* variables, and never waits
on a tracing backend for longer than its bound."""

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from tests.otlp_receiver import OtlpReceiver
from tests.processes import ROOT
from tracing import setup

REMOTE_TRACE_ID = 0x5B8EFFF798038103D269B633813FC60C
REMOTE_SPAN_ID = 0xEEE19B7EC3C1B174


def remote_parent(sampled: bool):
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(REMOTE_TRACE_ID, REMOTE_SPAN_ID, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(context))


def is_sampled(provider, parent=None) -> bool:
    span = provider.get_tracer("tests.tracing").start_span("order.check", context=parent)
    span.end()
    return span.get_span_context().trace_flags.sampled


@pytest.fixture
def no_export(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")


def test_service_name_and_resource_attributes_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OTEL_SERVICE_NAME", "alexandrite-mes-worker")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES",
                       "deployment.environment=staging,service.namespace=alexandrite")

    resource = setup.build_resource().attributes

    assert resource["service.name"] == "alexandrite-mes-worker"
    assert resource["deployment.environment"] == "staging"
    assert resource["service.namespace"] == "alexandrite"


def test_service_name_defaults_to_the_web_app_only_when_the_environment_names_none(monkeypatch):
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert setup.build_resource().attributes["service.name"] == "alexandrite-web"

    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=alexandrite-beat")
    assert setup.build_resource().attributes["service.name"] == "alexandrite-beat"


def test_parent_based_ratio_sampler_comes_from_the_environment(monkeypatch, no_export):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")

    provider = setup.build_tracer_provider()

    # A new trace at ratio 0 is dropped; work continuing a sampled trace (a task whose
    # request was sampled) is kept, and one continuing a dropped trace is dropped.
    assert not is_sampled(provider)
    assert is_sampled(provider, remote_parent(sampled=True))
    assert not is_sampled(provider, remote_parent(sampled=False))

    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "1.0")
    assert is_sampled(setup.build_tracer_provider())


def test_without_a_sampler_variable_new_traces_are_sampled_and_parents_followed(monkeypatch, no_export):
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER_ARG", raising=False)

    provider = setup.build_tracer_provider()

    assert is_sampled(provider)
    assert not is_sampled(provider, remote_parent(sampled=False))


def test_otlp_exporter_sends_to_the_endpoint_from_the_environment(monkeypatch):
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "alexandrite-shop-worker")
        provider = setup.build_tracer_provider()

        tracer = provider.get_tracer("tests.tracing")
        with tracer.start_as_current_span("order.check", attributes={"order.id": 7}):
            pass
        provider.force_flush()
        provider.shutdown()

        [span] = receiver.wait_for(lambda spans: spans)
    assert (span.name, span.attributes, span.service_name) == ("order.check", {"order.id": 7},
                                                               "alexandrite-shop-worker")


def test_console_exporter_prints_spans_for_the_embedded_mode():
    # A process of its own: the console exporter writes to the stdout it found at import.
    script = ("from tracing import setup\n"
              "provider = setup.build_tracer_provider()\n"
              "provider.get_tracer('tests').start_span('order.check').end()\n"
              "provider.shutdown()\n")
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "console"}

    printed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60, check=True).stdout

    assert json.loads(printed)["name"] == "order.check"


def test_exporter_none_exports_nothing(no_export, capfd):
    provider = setup.build_tracer_provider()

    with provider.get_tracer("tests.tracing").start_as_current_span("order.check") as span:
        pass
    provider.shutdown()

    assert span.get_span_context().trace_flags.sampled  # traced in process (trace ids for logs and history)
    assert "order.check" not in capfd.readouterr().out


def test_unknown_exporter_is_refused_with_the_supported_names(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "jaeger")

    with pytest.raises(ValueError, match="otlp, console or none"):
        setup.build_tracer_provider()


@pytest.mark.django_db
def test_second_set_up_changes_nothing_and_requests_get_one_server_span(api, customer, spans):
    assert setup.configure_tracing() is False
    assert trace.get_tracer_provider() is setup.tracer_provider()

    api(customer).get("/api/v1/shop/orders/")

    assert [s.name for s in spans.get_finished_spans() if s.kind == trace.SpanKind.SERVER] == [
        "GET api/v1/shop/orders/"
    ]


def test_flush_gives_up_on_a_hanging_backend_at_its_bound(monkeypatch):
    threads_before = set(threading.enumerate())
    with OtlpReceiver(mode="hang") as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        # Long enough to show the bound.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "3")
        provider = setup.build_tracer_provider()
        monkeypatch.setitem(setup._state, "tracer_provider", provider)
        monkeypatch.setitem(setup._state, "meter_provider", None)
        monkeypatch.setitem(setup._state, "backend_stuck", False)
        provider.get_tracer("tests.tracing").start_span("order.check").end()

        started = time.monotonic()
        flushed = setup.flush(timeout_millis=300)
        setup.shutdown()
        waited = time.monotonic() - started
    provider.shutdown()  # the backend is gone now: this returns at once, and nothing keeps retrying

    assert flushed is False
    # The exporter alone would wait 3 s; flush and shutdown together stop at the flush bound.
    assert waited < 2
    # The abandoned export still runs out its own timeout in the background: let it end here,
    # not after the test session's summary (where it would log its failure).
    deadline = time.monotonic() + 10
    while [t for t in threading.enumerate() if t not in threads_before] and time.monotonic() < deadline:
        time.sleep(0.1)


def test_s3_storage_calls_are_traced_when_models_live_in_s3(settings, spans):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

    settings.STORAGE_BACKEND = "s3"
    setup._instrument(setup.tracer_provider())
    try:
        s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:1", region_name="eu-west-1",
                          aws_access_key_id="AKIAEXAMPLEKEYID", aws_secret_access_key="example-secret",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=1))
        with pytest.raises(EndpointConnectionError):
            s3.head_object(Bucket="alexandrite-models", Key="models/1/2/ring.stl")
    finally:
        BotocoreInstrumentor().uninstrument()

    [call] = [span for span in spans.get_finished_spans() if span.kind == trace.SpanKind.CLIENT]
    assert (call.name, call.attributes["rpc.method"]) == ("S3.HeadObject", "HeadObject")
    assert "example-secret" not in str(dict(call.attributes))


def test_instrumentations_record_no_metrics_of_their_own():
    """Request and query durations come from the Collector's span metrics, not from each process."""
    from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware
    from opentelemetry.metrics import NoOpMeter
    from opentelemetry.sdk.metrics import MeterProvider

    assert isinstance(_DjangoMiddleware._meter, NoOpMeter)
    # ...while the business metrics keep the SDK's provider (tracing/metrics.py).
    assert isinstance(setup.meter_provider(), MeterProvider)


def _instance_id(provider) -> str:
    return provider._sdk_config.resource.attributes["service.instance.id"]


def test_each_forked_worker_reports_metrics_under_its_own_instance(monkeypatch):
    """Gunicorn workers and Celery children of one pod must not share cumulative series."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=pod-7")
    monkeypatch.setitem(setup._state, "meter_provider", None)
    parent = _instance_id(setup.meter_provider())
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: what post_fork / worker_process_init do, then its first measurement
        try:
            setup.after_fork()
            os.write(write, _instance_id(setup.meter_provider()).encode())
        finally:
            os._exit(0)
    os.close(write)
    in_child = os.read(read, 200).decode()
    os.waitpid(child, 0)

    assert parent == f"pod-7/{os.getpid()}"
    assert in_child == f"pod-7/{child}"


def test_setting_up_tracing_leaves_the_environment_as_it_was():
    """Settings and set-up read the environment; nothing in the process writes it (captured headers
    are masked by the request and response hooks, not by adding names to an OTEL_* variable)."""
    code = ("import json, os; before = dict(os.environ); import django; django.setup(); "
            "from tracing import setup; "
            "print(json.dumps([setup.tracer_provider() is not None, dict(os.environ) == before]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jewelry.settings", "TRACING_ENABLED": "true",
           "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
           "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS": "x-partner-signature"}
    env.pop("OTEL_SDK_DISABLED", None)

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [True, True]  # set up, and nothing written
