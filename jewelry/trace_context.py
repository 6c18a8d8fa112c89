"""W3C trace context where OpenTelemetry cannot carry it by itself: into an outbox row, back out of it.

In the kernel, below ``tracing/``: the outbox needs it and never imports ``tracing/``. Only the
OpenTelemetry API is used here; what a failed publish records is ``tracing``'s (``publish_failed``).
"""

from contextlib import contextmanager

from django.dispatch import Signal
from opentelemetry import context as context_api
from opentelemetry import propagate, trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Sent with ``exception`` while the span a failed publish left open is current, just before it is ended.
publish_failed = Signal()

_W3C = TraceContextTextMapPropagator()


def capture() -> dict:
    """The current trace context as a W3C carrier dict (empty when nothing is being traced)."""
    carrier: dict = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def attached(carrier: dict | None):
    """Run the block inside the trace context saved in ``carrier`` (the current one when empty).

    Nothing the block attaches outlives it. A publish that fails leaves Celery's producer
    span open and current (no after_task_publish signal comes): it is ended here, after
    ``publish_failed`` lets tracing mark it failed, so later work does not nest under a dead span.
    """
    token = context_api.attach(propagate.extract(carrier) if carrier else context_api.get_current())
    entered = trace.get_current_span()
    try:
        yield
    except Exception as exc:
        dangling = trace.get_current_span()
        if dangling is not entered and dangling.is_recording():
            publish_failed.send(sender=None, exception=exc)
            dangling.end()
        raise
    finally:
        context_api.detach(token)


def trace_id_of(carrier: dict | None) -> str:
    """The trace id in a carrier's W3C ``traceparent`` as 32 hex digits, or "" when it holds none."""
    context = trace.get_current_span(_W3C.extract(carrier or {})).get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""
