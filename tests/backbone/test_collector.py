"""The shipped Collector config in our Collector distribution, for real: who may send, what it
masks, what tail sampling keeps. Spans are sent by the SDK's own OTLP exporter and read back
from Jaeger."""

import random
import socket
import ssl
import time
import uuid

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

pytestmark = [pytest.mark.backbone]

EMPTY_EXPORT = b'{"resourceSpans": []}'
JSON = {"Content-Type": "application/json"}


def tracer_provider(endpoint: str, ca_file: str, token: str, service: str) -> TracerProvider:
    """A provider of the test's own, exporting like the apps do: OTLP/HTTP, TLS, bearer token."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE, where set, replaces certificate_file
    exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", certificate_file=ca_file, session=session,
                                headers={"authorization": f"Bearer {token}"}, timeout=10)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=256))
    return provider


@pytest.fixture
def service_name():
    return f"backbone-test-{uuid.uuid4().hex[:8]}"


def test_the_collector_refuses_senders_without_the_token_and_plain_text(backbone):
    url, ca = f"{backbone.otlp_http_endpoint}/v1/traces", str(backbone.certs / "ca.pem")

    without = requests.post(url, data=EMPTY_EXPORT, headers=JSON, verify=ca, timeout=10)
    wrong = requests.post(url, data=EMPTY_EXPORT, verify=ca, timeout=10,
                          headers={**JSON, "Authorization": "Bearer not-the-token"})
    right = requests.post(url, data=EMPTY_EXPORT, verify=ca, timeout=10,
                          headers={**JSON, "Authorization": f"Bearer {backbone.token}"})
    plain = requests.post(url.replace("https://", "http://"), data=EMPTY_EXPORT, headers=JSON, timeout=10)

    assert (without.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert plain.status_code == 400 and "HTTPS" in plain.text  # no span is read over plain text
    # gRPC too: its port speaks TLS, and a plain-text HTTP/2 client gets no HTTP/2 answer.
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", backbone.ports.otlp_grpc), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert not is_http2_settings(plain_http2_answer(backbone.ports.otlp_grpc))


def plain_http2_answer(port: int) -> bytes:
    """What a server answers a plain-text HTTP/2 client's preface and empty SETTINGS frame."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(9)[:3] + b"\x04" + bytes(5))
        try:
            return sock.recv(64)
        except (ConnectionResetError, TimeoutError):
            return b""


def is_http2_settings(frame: bytes) -> bool:
    return len(frame) >= 9 and frame[3] == 0x04

def test_personal_values_sent_on_purpose_arrive_in_jaeger_masked(backbone, jaeger, service_name):
    provider = tracer_provider(backbone.otlp_http_endpoint, str(backbone.certs / "ca.pem"),
                               backbone.token, service_name)
    personal = {
        "note": "write to jane.roe@example.org",
        "payment.reference": "card 4111 1111 1111 1111",
        "http.request.header.x_forwarded_authorization": "Basic amFuZTpzZWNyZXQtcGFzc3dvcmQ=",
        "customer.name": "Jane Roe",
    }
    with provider.get_tracer("backbone-test").start_as_current_span("checkout") as span:
        span.set_attributes({**personal, "order.id": 42})
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()

    [span] = jaeger.wait_for(lambda: jaeger.trace(trace_id))

    text = repr(span.attributes)
    for leaked in ("jane.roe@example.org", "4111 1111 1111 1111", "amFuZTpzZWNyZXQtcGFzc3dvcmQ=", "Jane Roe"):
        assert leaked not in text
    assert span.attributes["order.id"] == 42  # facts survive
    # a personal key's value is masked whole; a personal value is masked under any key
    assert span.attributes["customer.name"] == "****"
    assert (span.attributes["note"], span.attributes["payment.reference"]) == ("write to ****", "card ****")


def test_tail_sampling_keeps_every_error_and_slow_trace_and_a_share_of_the_rest(backbone, jaeger,
                                                                                 service_name):
    """A second Collector with the shipped share (10%) and slow threshold (2 s)."""
    collector = backbone.another_collector("otel-collector-sampling", TAIL_SAMPLING_DECISION_WAIT="2s",
                                           TAIL_SAMPLING_PERCENTAGE="10")
    collector.start()
    try:
        endpoint = f"https://127.0.0.1:{collector.ports.otlp_http}"
        provider = tracer_provider(endpoint, str(backbone.certs / "ca.pem"), backbone.token, service_name)
        tracer = provider.get_tracer("backbone-test")
        kinds = ["error"] * 20 + ["slow"] * 20 + ["ok"] * 400
        random.shuffle(kinds)
        sent = {}
        for kind in kinds:
            start = time.time_ns()
            end = start + (2_500_000_000 if kind == "slow" else 1_000_000)
            span = tracer.start_span(f"{kind} work", start_time=start)
            if kind == "error":
                span.set_status(Status(StatusCode.ERROR, "failed on purpose"))
            sent[format(span.get_span_context().trace_id, "032x")] = kind
            span.end(end_time=end)
        provider.shutdown()

        def all_decided():
            kept = jaeger.traces(service_name)
            errors_and_slow = sum(1 for trace_id in kept if sent.get(trace_id) in ("error", "slow"))
            return kept if errors_and_slow == 40 else None

        kept = jaeger.wait_for(all_decided, describe=lambda: f"{len(jaeger.traces(service_name))} kept")
        time.sleep(5)  # every decision is made 2 s after its trace's first span: let the last ones land
        kept = jaeger.traces(service_name)
    finally:
        collector.stop()

    kinds_kept = [sent[trace_id] for trace_id in kept]
    ok_kept = kinds_kept.count("ok")
    assert (kinds_kept.count("error"), kinds_kept.count("slow")) == (20, 20)
    # 10% of 400, binomial: 40 expected, 99.99% of draws between 18 and 66.
    assert 18 <= ok_kept <= 66, ok_kept
    print(f"\n[tail sampling] kept {ok_kept}/400 ordinary traces (10% configured), 20/20 errors, 20/20 slow")
