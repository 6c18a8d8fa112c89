"""Where the support console's spans come from (one setting), and a trace laid out as a waterfall.

Production reads Jaeger's query API (``JAEGER_QUERY_URL``); the embedded demo reads its
local store (``RECENT_SPANS_FILE``, refused in production); both give ``SpanRecord``s.
"""

from dataclasses import dataclass

from django.conf import settings

from tracing import attributes as A
from tracing.jaeger_query import JaegerQueryClient
from tracing.recent_spans import RecentSpansStore
from tracing.span_data import SpanRecord, TraceLookup

# The attributes the console shows first when a span is unfolded (the rest follow).
SHOWN_FIRST = (A.ORDER_ID, A.ORDER_PREVIOUS_STATUS, A.ORDER_STATUS, A.SYSTEM, A.ERROR_TYPE,
               A.REFUSAL_CODE, A.REFUSAL_MESSAGE, A.MODEL_FORMAT, A.MODEL_SIZE, A.MODEL_VOLUME,
               A.MODEL_TRIANGLE_COUNT, A.MESSAGING_MESSAGE_ID, A.MESSAGING_DESTINATION_NAME,
               A.MESSAGING_ROUTING_KEY, A.MESSAGING_CONSUMER_GROUP)


def span_source():
    """The configured span source, or None when neither Jaeger nor the demo store is set."""
    if settings.JAEGER_QUERY_URL:
        return JaegerQueryClient(settings.JAEGER_QUERY_URL, timeout=settings.JAEGER_QUERY_TIMEOUT_SECONDS)
    if settings.RECENT_SPANS_FILE:
        return RecentSpansStore(settings.RECENT_SPANS_FILE)
    return None


def lookup(source, trace_id: str) -> TraceLookup:
    if source is None:
        return TraceLookup(trace_id, outcome="unavailable",
                           detail="No span source is configured (set JAEGER_QUERY_URL).")
    return source.trace(trace_id)


@dataclass(frozen=True)
class WaterfallRow:
    span: SpanRecord
    depth: int
    offset_ms: float
    duration_ms: float
    left_percent: float
    width_percent: float
    attributes: list  # (key, value) pairs, the order facts first


def _ordered_attributes(attributes: dict) -> list:
    first = [(key, attributes[key]) for key in SHOWN_FIRST if key in attributes]
    rest = sorted((key, value) for key, value in attributes.items() if key not in SHOWN_FIRST)
    return first + rest


def waterfall(spans) -> list[WaterfallRow]:
    """Spans as a tree (children under their parent, by start time), with bars scaled to the trace."""
    if not spans:
        return []
    start = min(span.start_ns for span in spans)
    total = max(max(span.end_ns for span in spans) - start, 1)
    ids = {span.span_id for span in spans}
    children: dict[str, list] = {}
    for span in spans:
        # A parent that is missing (not sampled, not stored) makes its child a root of the waterfall.
        parent = span.parent_span_id if span.parent_span_id in ids else ""
        children.setdefault(parent, []).append(span)
    rows: list[WaterfallRow] = []

    def visit(parent_id: str, depth: int) -> None:
        for span in sorted(children.get(parent_id, []), key=lambda s: (s.start_ns, s.name)):
            duration = max(span.end_ns - span.start_ns, 0)
            rows.append(WaterfallRow(
                span=span, depth=depth,
                offset_ms=(span.start_ns - start) / 1e6, duration_ms=duration / 1e6,
                left_percent=round(100 * (span.start_ns - start) / total, 2),
                width_percent=max(round(100 * duration / total, 2), 0.3),
                attributes=_ordered_attributes(span.attributes),
            ))
            visit(span.span_id, depth + 1)

    visit("", 0)
    return rows
