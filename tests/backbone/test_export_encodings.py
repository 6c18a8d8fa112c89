"""Every OTLP encoding upstream's exporters offer delivers our spans to Jaeger unchanged: one span
of each shape the export benchmark measures (benchmarks/export.py) goes through the real Collector
in each encoding and is read back from Jaeger, attribute by attribute, type by type."""

import json
import uuid

import pytest
import requests
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from benchmarks.export import BIG_INT, FAMILIES, GRPC, HTTP_JSON, HTTP_PROTOBUF, record_spans

pytestmark = [pytest.mark.backbone]

ABSENT = "<absent>"


def http_protobuf_exporter(backbone):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE, where set, replaces certificate_file
    return OTLPSpanExporter(endpoint=f"{backbone.otlp_http_endpoint}/v1/traces", session=session,
                            certificate_file=str(backbone.certs / "ca.pem"),
                            headers={"authorization": f"Bearer {backbone.token}"}, timeout=10)


def http_json_exporter(backbone):
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{backbone.otlp_http_endpoint}/v1/traces",
                            certificate_file=str(backbone.certs / "ca.pem"),
                            headers={"authorization": f"Bearer {backbone.token}"}, timeout=10)


def grpc_exporter(backbone):
    # A development requirement only: the app exports over HTTP (a gRPC channel does not survive a fork).
    import grpc
    from opentelemetry.exporter.otlp.proto.grpc import trace_exporter as exporter_module

    credentials = grpc.ssl_channel_credentials((backbone.certs / "ca.pem").read_bytes())
    return exporter_module.OTLPSpanExporter(endpoint=f"https://127.0.0.1:{backbone.ports.otlp_grpc}",
                                            credentials=credentials, timeout=10,
                                            headers=(("authorization", f"Bearer {backbone.token}"),))


EXPORTERS = {HTTP_PROTOBUF: http_protobuf_exporter, HTTP_JSON: http_json_exporter, GRPC: grpc_exporter}


def differences(sent: dict, received: dict) -> dict:
    """{name: (sent, received)} for every attribute missing, added, changed or of another type.

    Jaeger's storage keeps a list attribute as JSON text, whatever the encoding it arrived in:
    a list is compared with that text read back, by value.
    """
    found = {}
    for name in sent.keys() | received.keys():
        want, got = sent.get(name, ABSENT), received.get(name, ABSENT)
        if isinstance(want, tuple) and isinstance(got, str):
            same = list(want) == json.loads(got)
        else:
            same = type(want) is type(got) and want == got
        if not same:
            found[name] = (want, got)
    return found


@pytest.mark.parametrize("encoding", [HTTP_PROTOBUF, HTTP_JSON, GRPC])
def test_our_span_shapes_reach_jaeger_with_every_attribute_and_its_type(backbone, jaeger, encoding):
    service = f"backbone-encoding-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(EXPORTERS[encoding](backbone)))
    tracer = provider.get_tracer("backbone-test")
    sent = {family: format(record_spans(tracer, family, 1)[0], "032x") for family in FAMILIES}
    provider.shutdown()

    received = {}
    for family, trace_id in sent.items():
        [span] = jaeger.wait_for(lambda trace_id=trace_id: jaeger.trace(trace_id),
                                 describe=lambda family=family: f"the {family} span sent over {encoding}")
        received[family] = span
        name, kind, attributes, events = FAMILIES[family]

        assert (span.name, span.kind, span.service_name) == (name, kind, service)
        assert differences(attributes, span.attributes) == {}, family
        assert [event_name for event_name, _ in span.events] == [event_name for event_name, _ in events]
        for (_, got), (_, event_attributes) in zip(span.events, events):
            assert differences(event_attributes, got) == {}, family
    # OTLP JSON writes a 64-bit integer as a string: it arrived as that integer, to the last digit
    delivery_tag = received["31 attributes, 1 event"].attributes["messaging.rabbitmq.message.delivery_tag"]
    assert (type(delivery_tag), delivery_tag) == (int, BIG_INT)
