"""Tracing, the support console's trace sources, and logs that carry trace ids.

OpenTelemetry's own ``OTEL_*`` variables are not settings: the SDK and tracing/setup.py read
them as the OpenTelemetry specification names them (docs/tracing.md).
"""

from jewelry.settings.env import env

TRACING_ENABLED = env.bool("TRACING_ENABLED", default=True)
# SQL on traces (docs/tracing.md, "SQL"): "slow" puts statement counts and time on each request's
# and task's span and makes a span only of a slow or failed statement; "all" a span of every one.
TRACING_SQL_SPANS = env("TRACING_SQL_SPANS", default="slow")
TRACING_SLOW_SQL_MS = env.float("TRACING_SLOW_SQL_MS", default=50.0)
# Addresses or networks of internal callers whose W3C trace context an HTTP request continues
# (issue #21). Anyone else's starts a new trace linked to theirs: whether a request is traced,
# and in which trace, is not the caller's to decide (tracing.propagation.PublicEdgePropagator).
TRACE_CONTEXT_TRUSTED_SENDERS = env.list("TRACE_CONTEXT_TRUSTED_SENDERS", default=[])

# Jaeger's UI for people (behind the access proxy); unset, trace links open the support console.
JAEGER_UI_URL = env("JAEGER_UI_URL", default="")
# --- support console (docs/support-console.md): where its trace waterfalls come from ----
# Production: Jaeger's query service (api/v3, internal network) with its base_path,
# e.g. http://jaeger:16686/jaeger.
JAEGER_QUERY_URL = env("JAEGER_QUERY_URL", default="")
JAEGER_QUERY_TIMEOUT_SECONDS = env.float("JAEGER_QUERY_TIMEOUT_SECONDS", default=3.0)
# The embedded demo (bin/demo) has no Jaeger: its processes also write their spans to this
# bounded SQLite file, and the console reads them back. Never in production (production.py).
RECENT_SPANS_FILE = env("RECENT_SPANS_FILE", default="")
RECENT_SPANS_LIMIT = env.int("RECENT_SPANS_LIMIT", default=20_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace_ids": {"()": "tracing.logs.TraceIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] %(message)s"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["trace_ids"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
