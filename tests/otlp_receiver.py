"""An in-process OTLP/HTTP receiver for end-to-end tracing tests.

It decodes what a real exporter sends to /v1/traces and /v1/metrics into plain
dataclasses, and can also play a tracing backend that hangs or answers late.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

MODES = ("ok", "hang", "slow")
DEFAULT_WAIT_TIMEOUT = 15.0
# OTLP/JSON spells these ids in hex where protobuf's JSON mapping expects base64.
_HEX_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})

T = TypeVar("T")


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    kind: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    status_code: str
    status_message: str
    service_name: str | None
    resource: dict[str, Any]
    scope_name: str


@dataclass(frozen=True)
class ReceivedMetric:
    name: str
    service_name: str | None
    kind: str
    data_points: list[dict[str, Any]]


# ------------------------------------------------------------------ decoding


def decode_any_value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [decode_any_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return getattr(value, which)


def decode_attributes(key_values: list[KeyValue]) -> dict[str, Any]:
    return {kv.key: decode_any_value(kv.value) for kv in key_values}


def _decode_span(span: Span, resource: dict[str, Any], scope_name: str) -> ReceivedSpan:
    return ReceivedSpan(
        name=span.name,
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex() or None,
        kind=Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
        attributes=decode_attributes(span.attributes),
        events=[(event.name, decode_attributes(event.attributes)) for event in span.events],
        status_code=Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
        status_message=span.status.message,
        service_name=resource.get("service.name"),
        resource=resource,
        scope_name=scope_name,
    )


def decode_spans(request: ExportTraceServiceRequest) -> list[ReceivedSpan]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = decode_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(_decode_span(span, resource, scope_spans.scope.name))
    return spans


def _decode_data_point(kind: str, point: Message) -> dict[str, Any]:
    decoded: dict[str, Any] = {"attributes": decode_attributes(point.attributes)}
    if kind in ("gauge", "sum"):
        decoded["value"] = getattr(point, point.WhichOneof("value") or "as_int")
        return decoded
    decoded["count"] = point.count
    decoded["sum"] = point.sum
    if kind == "histogram":
        decoded["bucket_counts"] = list(point.bucket_counts)
        decoded["explicit_bounds"] = list(point.explicit_bounds)
    if kind == "summary":
        decoded["quantiles"] = {q.quantile: q.value for q in point.quantile_values}
    return decoded


def decode_metrics(request: ExportMetricsServiceRequest) -> list[ReceivedMetric]:
    metrics = []
    for resource_metrics in request.resource_metrics:
        resource = decode_attributes(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                points = getattr(metric, kind).data_points if kind else []
                metrics.append(
                    ReceivedMetric(
                        name=metric.name,
                        service_name=resource.get("service.name"),
                        kind=kind or "",
                        data_points=[_decode_data_point(kind, point) for point in points],
                    )
                )
    return metrics


def _hex_ids_to_base64(node: Any) -> Any:
    if isinstance(node, list):
        return [_hex_ids_to_base64(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key in _HEX_ID_FIELDS and isinstance(value, str):
            value = base64.b64encode(bytes.fromhex(value)).decode("ascii")
        converted[key] = _hex_ids_to_base64(value)
    return converted


def _parse_otlp(body: bytes, content_type: str, message: Message) -> None:
    if content_type == "application/json":
        payload = _hex_ids_to_base64(json.loads(body))
        json_format.ParseDict(payload, message, ignore_unknown_fields=True)
    else:
        message.ParseFromString(body)


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


# ------------------------------------------------------------------- serving


class _ClientError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _OtlpHandler(BaseHTTPRequestHandler):
    server: _OtlpHttpServer

    def do_POST(self) -> None:
        receiver = self.server.receiver
        try:
            body = self._read_body()
            if receiver.mode == "hang":
                # Hold the connection, unanswered, until the receiver stops.
                receiver._stopping.wait()
                self.close_connection = True
                return
            if receiver.mode == "slow" and receiver._stopping.wait(receiver.delay):
                return
            self._export(receiver, body)
        except _ClientError as error:
            self._reply(error.status, "text/plain", str(error).encode())

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            raise _ClientError(411, "Content-Length required")
        body = self.rfile.read(int(length))
        try:
            return _decompress(body, self.headers.get("Content-Encoding", "").strip().lower())
        except (OSError, ValueError, zlib.error) as error:
            raise _ClientError(400, f"cannot decompress body: {error}") from error

    def _export(self, receiver: OtlpReceiver, body: bytes) -> None:
        content_type = self.headers.get("Content-Type", "application/x-protobuf").split(";")[0].strip()
        if content_type not in ("application/x-protobuf", "application/json"):
            raise _ClientError(415, f"unsupported Content-Type {content_type!r}")
        if self.path == "/v1/traces":
            request, response = ExportTraceServiceRequest(), ExportTraceServiceResponse()
        elif self.path == "/v1/metrics":
            request, response = ExportMetricsServiceRequest(), ExportMetricsServiceResponse()
        else:
            raise _ClientError(404, f"no OTLP signal at {self.path}")
        try:
            _parse_otlp(body, content_type, request)
        except (DecodeError, json_format.ParseError, ValueError) as error:
            raise _ClientError(400, f"cannot decode {type(request).__name__}: {error}") from error

        if isinstance(request, ExportTraceServiceRequest):
            receiver._store(spans=decode_spans(request))
        else:
            receiver._store(metrics=decode_metrics(request))

        if content_type == "application/json":
            self._reply(200, content_type, json_format.MessageToJson(response).encode())
        else:
            self._reply(200, content_type, response.SerializeToString())

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass


class _OtlpHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: OtlpReceiver):
        super().__init__(("127.0.0.1", 0), _OtlpHandler)
        self.receiver = receiver


class OtlpReceiver:
    """An OTLP/HTTP endpoint on 127.0.0.1 that keeps what it receives.

    mode="ok" answers at once, mode="slow" answers after `delay` seconds, and
    mode="hang" accepts requests but never answers them until stop().
    """

    def __init__(self, mode: str = "ok", delay: float = 2.0):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.delay = delay
        self._spans: list[ReceivedSpan] = []
        self._metrics: list[ReceivedMetric] = []
        self._received = threading.Condition()
        self._generation = 0  # bumped on every store, so waiters miss nothing
        self._stopping = threading.Event()
        self._server: _OtlpHttpServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> OtlpReceiver:
        if self._server is not None:
            raise RuntimeError("the receiver is already started")
        self._stopping.clear()
        self._server = _OtlpHttpServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="otlp-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        # Release hanging and sleeping handlers first, so nothing waits on them.
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None

    # ------------------------------------------------------------ queries

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._received:
            return list(self._spans)

    @property
    def metrics(self) -> list[ReceivedMetric]:
        with self._received:
            return list(self._metrics)

    def traces(self) -> dict[str, list[ReceivedSpan]]:
        """Spans grouped by trace id, each trace in start order."""
        grouped: dict[str, list[ReceivedSpan]] = defaultdict(list)
        for span in sorted(self.spans, key=lambda span: span.start_ns):
            grouped[span.trace_id].append(span)
        return dict(grouped)

    def clear(self) -> None:
        with self._received:
            self._spans.clear()
            self._metrics.clear()

    def wait_for(
        self,
        predicate: Callable[[list[ReceivedSpan]], object],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> list[ReceivedSpan]:
        """Wait until predicate(spans) is truthy and return those spans."""
        return self._wait(self._spans, predicate, timeout, "spans")

    def wait_for_metrics(
        self,
        predicate: Callable[[list[ReceivedMetric]], object],
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> list[ReceivedMetric]:
        """Wait until predicate(metrics) is truthy and return those metrics."""
        return self._wait(self._metrics, predicate, timeout, "metrics")

    def _wait(
        self,
        items: list[T],
        predicate: Callable[[list[T]], object],
        timeout: float,
        what: str,
    ) -> list[T]:
        deadline = time.monotonic() + timeout
        while True:
            with self._received:
                received = list(items)
                seen = self._generation
            # The predicate runs unlocked: it may call back into the receiver.
            if predicate(received):
                return received
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                names = [item.name for item in received]
                raise AssertionError(f"no matching {what} after {timeout}s; received {len(names)}: {names[:50]}")
            with self._received:
                self._received.wait_for(lambda: self._generation != seen, remaining)

    def _store(
        self,
        spans: Iterable[ReceivedSpan] = (),
        metrics: Iterable[ReceivedMetric] = (),
    ) -> None:
        with self._received:
            self._spans.extend(spans)
            self._metrics.extend(metrics)
            self._generation += 1
            self._received.notify_all()
