"""Log lines carry the current trace and span ids, so a log search leads to the trace."""

import logging

from opentelemetry import trace

NO_ID = "0"
# Appended to a log format that has no ids of its own (Celery's worker formats).
FORMAT_SUFFIX = " [trace_id=%(otelTraceID)s span_id=%(otelSpanID)s]"
# Where OrderSpanMiddleware leaves the server span's ids: Django logs a refused request
# ("Conflict: /api/...") after that span has ended.
REQUEST_SPAN_CONTEXT = "trace_span_context"


def _span_context(record: logging.LogRecord):
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return context
    request = getattr(record, "request", None)
    return getattr(request, REQUEST_SPAN_CONTEXT, None)


class TraceIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _span_context(record)
        if context is not None:
            record.otelTraceID = format(context.trace_id, "032x")
            record.otelSpanID = format(context.span_id, "016x")
        else:
            record.otelTraceID = record.otelSpanID = NO_ID
        return True


def add_trace_ids(logger: logging.Logger, formatter: logging.Formatter) -> None:
    """Give the handlers Celery just set up the trace ids (it replaces Django's logging in workers)."""
    for handler in logger.handlers:
        if not any(isinstance(f, TraceIdFilter) for f in handler.filters):
            handler.addFilter(TraceIdFilter())
            handler.setFormatter(formatter)
