"""A small HTTP server answering like Jaeger's query API v3, for the client and console tests.

The bodies follow Jaeger's own api_v3 gateway (cmd/jaeger/.../apiv3/http_gateway.go and its
snapshots): ``{"result": <OTLP-JSON TracesData>}`` with hex ids, enums as numbers, int64 as
strings; a trace Jaeger does not hold is a 404 whose body is ``{"error": {...}}`` sent as text.
"""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jewelry.contracts import PriceRequested

TRACE_ID = "5b8efff798038103d269b633813fc60c"
WEB_ROOT, WEB_DB, WORKER_RUN = "eee19b7ec3c1b174", "0d1c2a9b8e7f6a5b", "a1b2c3d4e5f60718"
START = 1_764_626_400_000_000_000  # ns
PRICE_PUBLISH, PRICE_RUN = f"apply_async/{PriceRequested.name}", f"run/{PriceRequested.name}"


def _string(key, value):
    return {"key": key, "value": {"stringValue": value}}


def _int(key, value):
    return {"key": key, "value": {"intValue": str(value)}}


def trace_document() -> dict:
    """One order's submit: the web request (two spans) and the worker's failing pricing run."""
    web = {
        "resource": {"attributes": [_string("service.name", "alexandrite-web")]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.django"}, "spans": [
            {"traceId": TRACE_ID, "spanId": WEB_ROOT, "parentSpanId": "", "name": "POST /api/v1/shop/orders/{id}/submit/",
             "kind": 2, "startTimeUnixNano": str(START), "endTimeUnixNano": str(START + 40_000_000),
             "attributes": [_int("order.id", 7), _string("order.status", "SUBMITTED")], "status": {}},
            {"traceId": TRACE_ID, "spanId": WEB_DB, "parentSpanId": WEB_ROOT, "name": PRICE_PUBLISH,
             "kind": 4, "startTimeUnixNano": str(START + 30_000_000), "endTimeUnixNano": str(START + 35_000_000),
             "attributes": [_string("messaging.message.id", "3f1c")], "status": {"code": 0}},
        ]}],
    }
    worker = {
        "resource": {"attributes": [_string("service.name", "alexandrite-worker")]},
        "scopeSpans": [{"scope": {}, "spans": [
            {"traceId": TRACE_ID, "spanId": WORKER_RUN, "parentSpanId": WEB_DB, "name": PRICE_RUN,
             "kind": 5, "startTimeUnixNano": str(START + 50_000_000), "endTimeUnixNano": str(START + 90_000_000),
             "attributes": [_int("order.id", 7), _string("error.type", "model_not_watertight"),
                            {"key": "model.bbox_mm", "value": {"arrayValue": {"values": [
                                {"doubleValue": 10.0}, {"doubleValue": 10.0}, {"doubleValue": 10.0}]}}}],
             "status": {"code": 2, "message": "The model is not closed."}},
        ]}],
    }
    return {"result": {"resourceSpans": [web, worker]}}


class _Handler(BaseHTTPRequestHandler):
    traces: dict = {}
    requests: list = []
    behaviour = "normal"  # normal | broken (500) | slow

    def do_GET(self):  # the name http.server calls
        type(self).requests.append(self.path)
        if self.behaviour == "slow":
            threading.Event().wait(2)
        if self.behaviour == "broken":
            return self._send(500, {"error": {"httpCode": 500, "message": "storage error"}})
        trace_id = self.path.split("?")[0].removeprefix("/api/v3/traces/")
        if self.path.startswith("/api/v3/traces/") and trace_id in self.traces:
            return self._send(200, self.traces[trace_id], content_type="application/json")
        return self._send(404, {"error": {"httpCode": 404, "message": "trace not found"}})

    def _send(self, status, body, content_type="text/plain; charset=utf-8"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)  # Jaeger's errors go out through http.Error
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def fake_jaeger(traces: dict | None = None, behaviour: str = "normal"):
    """Serve ``traces`` ({trace id: response body}) on a free port; yields the handler class and URL."""
    handler = type("Handler", (_Handler,), {"traces": traces or {}, "requests": [], "behaviour": behaviour})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
