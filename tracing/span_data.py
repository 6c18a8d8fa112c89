"""Spans as the support console shows them, whichever source they come from (Jaeger or the demo's store).

``spans_from_otlp_json`` reads OTLP-JSON as Jaeger's api/v3 returns it; the demo's local
store builds the same ``SpanRecord`` from the SDK's spans. One shape, one rendering path.
"""

import base64
import binascii
from dataclasses import dataclass, field

SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
STATUS_CODES = {0: "unset", 1: "ok", 2: "error"}


@dataclass(frozen=True)
class SpanRecord:
    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    parent_span_id: str  # "" for a root
    service: str
    name: str
    kind: str  # server | client | producer | consumer | internal
    start_ns: int
    end_ns: int
    status: str  # unset | ok | error
    status_message: str = ""
    attributes: dict = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass(frozen=True)
class TraceLookup:
    """The answer of a span source for one trace: its spans, or why there are none."""

    trace_id: str
    spans: tuple[SpanRecord, ...] = ()
    # found | not_found (sampled away, expired, never exported) | unavailable (source down)
    outcome: str = "found"
    detail: str = ""


def hex_id(value: str, length: int) -> str:
    """An OTLP-JSON id as lowercase hex: Jaeger writes hex, the OTLP spec's JSON writes base64."""
    value = value or ""
    if len(value) == length and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex() if value else ""
    except (binascii.Error, ValueError):
        return ""


def any_value(value: dict):
    """An OTLP ``AnyValue`` as a plain Python value (int64 comes as a JSON string)."""
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [any_value(item) for item in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return key_values(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def key_values(items: list) -> dict:
    return {item["key"]: any_value(item.get("value", {})) for item in items or [] if "key" in item}


def _enum(value, names: dict) -> str:
    # jsonpb may write enums as numbers (Jaeger does) or as names (SPAN_KIND_SERVER, STATUS_CODE_ERROR).
    if isinstance(value, int):
        return names.get(value, "unspecified")
    text = str(value or "").lower()
    return next((name for name in names.values() if text.endswith(name)), "unspecified")


def spans_from_otlp_json(document: dict) -> list[SpanRecord]:
    """Every span of an OTLP-JSON ``TracesData`` (``{"resourceSpans": [...]}``)."""
    records = []
    for resource_spans in document.get("resourceSpans", []) or []:
        resource = key_values(resource_spans.get("resource", {}).get("attributes", []))
        service = str(resource.get("service.name", "unknown"))
        for scope_spans in resource_spans.get("scopeSpans", []) or []:
            for span in scope_spans.get("spans", []) or []:
                status = span.get("status", {}) or {}
                records.append(SpanRecord(
                    trace_id=hex_id(span.get("traceId", ""), 32),
                    span_id=hex_id(span.get("spanId", ""), 16),
                    parent_span_id=hex_id(span.get("parentSpanId", ""), 16),
                    service=service,
                    name=span.get("name", ""),
                    kind=_enum(span.get("kind", 0), SPAN_KINDS),
                    start_ns=int(span.get("startTimeUnixNano", 0) or 0),
                    end_ns=int(span.get("endTimeUnixNano", 0) or 0),
                    status=_enum(status.get("code", 0), STATUS_CODES),
                    status_message=status.get("message", ""),
                    attributes=key_values(span.get("attributes", [])),
                ))
    return records
