"""Log lines carry the current trace and span ids, so a log search leads to the trace."""

import logging

from opentelemetry import trace


class TraceIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.otelTraceID = format(context.trace_id, "032x")
            record.otelSpanID = format(context.span_id, "016x")
        else:
            record.otelTraceID = record.otelSpanID = "0"
        return True
