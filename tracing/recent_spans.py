"""The embedded demo's span store: the most recent spans in a small SQLite file, never in production.

Every demo process (web, worker) writes its finished spans here through a batch processor,
off the request path; the support console reads a trace back when no Jaeger is configured.
The file keeps the newest ``RECENT_SPANS_LIMIT`` spans and drops older ones.
"""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from django.conf import settings
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from tracing.span_data import SPAN_KINDS, STATUS_CODES, SpanRecord, TraceLookup

LABEL = "the demo's local span store"
# Spans reach the page within about a second, not the SDK's default five.
EXPORT_DELAY_MILLIS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS span (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT NOT NULL,
    service TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
    status TEXT NOT NULL, status_message TEXT NOT NULL, attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS span_trace ON span (trace_id);
"""
_COLUMNS = ("trace_id", "span_id", "parent_span_id", "service", "name", "kind", "start_ns", "end_ns",
            "status", "status_message", "attributes")
_INSERT = f"INSERT INTO span ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_TRIM = "DELETE FROM span WHERE id <= (SELECT MAX(id) FROM span) - ?"  # keep the newest ``limit`` rows


def _connect(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # the demo's var/, made on first use
    connection = sqlite3.connect(path, timeout=10)
    # WAL: the console reads while a worker writes; a lost tail of a demo's spans costs nothing.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.executescript(_SCHEMA)
    return connection


def record_of(span: ReadableSpan) -> SpanRecord:
    """The SDK's finished span as the console's ``SpanRecord``."""
    context, parent = span.get_span_context(), span.parent
    return SpanRecord(
        trace_id=format(context.trace_id, "032x"),
        span_id=format(context.span_id, "016x"),
        parent_span_id=format(parent.span_id, "016x") if parent is not None else "",
        service=str(span.resource.attributes.get("service.name", "unknown")),
        name=span.name,
        kind=SPAN_KINDS.get(span.kind.value + 1, "internal"),  # the SDK counts from INTERNAL = 0
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        status=STATUS_CODES.get(span.status.status_code.value, "unset"),
        status_message=span.status.description or "",
        attributes={key: list(value) if isinstance(value, tuple) else value
                    for key, value in (span.attributes or {}).items()},
    )


class RecentSpansExporter(SpanExporter):
    """Writes each batch to the store file and trims it to ``limit`` spans."""

    def __init__(self, path: str, limit: int):
        self.path = path
        self.limit = limit

    def export(self, spans) -> SpanExportResult:
        rows = []
        for span in spans:
            record = record_of(span)
            rows.append((*(getattr(record, name) for name in _COLUMNS[:-1]),
                         json.dumps(record.attributes, default=str)))
        try:
            with closing(_connect(self.path)) as connection, connection:
                connection.executemany(_INSERT, rows)
                connection.execute(_TRIM, (self.limit,))
        except sqlite3.Error:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def attach(tracer_provider) -> bool:
    """Add the store's processor to ``tracer_provider`` when ``RECENT_SPANS_FILE`` is set; True if added."""
    path = getattr(settings, "RECENT_SPANS_FILE", "")
    if not path:
        return False
    exporter = RecentSpansExporter(path, settings.RECENT_SPANS_LIMIT)
    processor = BatchSpanProcessor(exporter, schedule_delay_millis=EXPORT_DELAY_MILLIS)
    tracer_provider.add_span_processor(processor)
    return True


class RecentSpansStore:
    """Reads traces back from the store file: the console's span source in the demo."""

    label = LABEL
    is_demo_store = True

    def __init__(self, path: str):
        self.path = path

    def trace(self, trace_id: str) -> TraceLookup:
        try:
            with closing(_connect(self.path)) as connection:
                rows = connection.execute(
                    f"SELECT {', '.join(_COLUMNS)} FROM span WHERE trace_id = ? ORDER BY start_ns, id",
                    (trace_id,)).fetchall()
        except sqlite3.Error as exc:
            return TraceLookup(trace_id, outcome="unavailable",
                               detail=f"The local span store could not be read ({exc}).")
        if not rows:
            return TraceLookup(trace_id, outcome="not_found",
                               detail="Not in the local store: sampled away, older than its last "
                                      f"{settings.RECENT_SPANS_LIMIT} spans, or not exported yet.")
        spans = tuple(SpanRecord(**dict(zip(_COLUMNS[:-1], row[:-1])), attributes=json.loads(row[-1]))
                      for row in rows)
        return TraceLookup(trace_id, spans=spans)
