"""Carry trace context where OpenTelemetry cannot by itself: into outbox rows and back out."""

from contextlib import contextmanager

from opentelemetry import context, propagate


def capture() -> dict:
    """The current trace context as a W3C carrier dict (empty when nothing is being traced)."""
    carrier: dict = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def attached(carrier: dict | None):
    """Run the block inside the trace context saved in ``carrier`` (no-op when empty)."""
    if not carrier:
        yield
        return
    token = context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        context.detach(token)
