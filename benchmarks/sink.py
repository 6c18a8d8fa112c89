"""A cheap OTLP/HTTP endpoint for benchmarks: it answers 200 without decoding, or never answers.

Decoding protobuf costs CPU on the same two cores as the server under test, so the
sink only appends each body to a dump file; the benchmark decodes it after the timed
run (``count_spans``). ``--mode hang`` reads requests and never answers them: a
tracing backend that is down but still accepts connections, the worst case.
Run: ``python -m benchmarks.sink --port P --mode ok|hang --dump FILE``.
"""

from __future__ import annotations

import argparse
import gzip
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real Collector offers

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.mode == "hang":
            threading.Event().wait()  # until the process is stopped
        if self.path == "/v1/traces":
            gzipped = self.headers.get("Content-Encoding", "") == "gzip"
            with self.server.lock:
                self.server.dump.write(struct.pack("<?I", gzipped, len(body)) + body)
                self.server.dump.flush()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the base class names it so
        pass


def _requests(dump: Path):
    """Each export a sink received, as (bytes on the wire, decoded request), from its dump file."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    data = dump.read_bytes() if dump.exists() else b""
    offset, header = 0, struct.calcsize("<?I")
    while offset < len(data):
        gzipped, length = struct.unpack_from("<?I", data, offset)
        body = data[offset + header: offset + header + length]
        offset += header + length
        yield length, ExportTraceServiceRequest.FromString(gzip.decompress(body) if gzipped else body)


def _spans(request):
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            yield from scope_spans.spans


def count_spans(dump: Path) -> dict:
    """Spans, their attributes and events, and the bytes received, from a sink's dump file."""
    totals = {"exports": 0, "bytes": 0, "spans": 0, "attributes": 0, "events": 0}
    for length, request in _requests(dump):
        totals["exports"] += 1
        totals["bytes"] += length
        for span in _spans(request):
            totals["spans"] += 1
            totals["attributes"] += len(span.attributes)
            totals["events"] += len(span.events)
    return totals


def spans_by_name(dump: Path) -> dict[str, tuple[int, list[str], list[str]]]:
    """Per span name: how many spans, and the names of all their attributes and events."""
    found: dict[str, tuple[list[int], list[str], list[str]]] = {}
    for _, request in _requests(dump):
        for span in _spans(request):
            count, attributes, events = found.setdefault(span.name, ([0], [], []))
            count[0] += 1
            attributes += [attribute.key for attribute in span.attributes]
            events += [event.name for event in span.events]
    return {name: (count[0], attributes, events) for name, (count, attributes, events) in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("ok", "hang"), default="ok")
    parser.add_argument("--dump", type=Path, required=True)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), _Handler)
    server.daemon_threads = True
    server.mode, server.lock = options.mode, threading.Lock()
    with open(options.dump, "ab") as server.dump:
        server.serve_forever()


if __name__ == "__main__":
    main()
