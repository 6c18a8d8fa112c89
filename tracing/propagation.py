"""Carry trace context where OpenTelemetry cannot by itself: into outbox rows and back out."""

from contextlib import contextmanager

from opentelemetry import context, propagate, trace

from tracing import record
from tracing.spans import MAX_ERROR_MESSAGE, error_code


def capture() -> dict:
    """The current trace context as a W3C carrier dict (empty when nothing is being traced)."""
    carrier: dict = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def attached(carrier: dict | None):
    """Run the block inside the trace context saved in ``carrier`` (the current one when empty).

    Nothing the block attaches outlives it. A publish that fails leaves Celery's producer
    span open and current (no after_task_publish signal comes): it is ended here, marked
    failed, so the failure is exported and later work does not nest under a dead span.
    """
    token = context.attach(propagate.extract(carrier) if carrier else context.get_current())
    entered = trace.get_current_span()
    try:
        yield
    except Exception as exc:
        _end_dangling_span(entered, exc)
        raise
    finally:
        context.detach(token)


def _end_dangling_span(entered, exc: Exception) -> None:
    dangling = trace.get_current_span()
    if dangling is entered or not dangling.is_recording():
        return
    record.error(code=error_code(exc), message=str(exc)[:MAX_ERROR_MESSAGE], system="messaging", exception=exc)
    dangling.end()
