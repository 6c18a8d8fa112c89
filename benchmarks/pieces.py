"""Pieces of our tracing that a benchmark process can run without (per-piece costs): ``BENCH_WITHOUT``.

Called before Django starts, in a web benchmark process (benchmarks.batches) and in a
benchmark worker (benchmarks.worker_app). Each piece is replaced by what tracing does
without it; what the product needs to work at all (the fork and flush hooks) stays.
"""

from __future__ import annotations

import os

VARIABLE = "BENCH_WITHOUT"
PIECES = ("middleware", "request_hook", "hooks", "metrics", "sql")


def _nothing(*args, **kwargs) -> None:
    """A receiver that does nothing (module level: signals hold their receivers weakly)."""


def take_out(pieces: set[str]) -> None:
    from django.conf import settings

    unknown = pieces - set(PIECES)
    if unknown:
        raise ValueError(f"unknown pieces {sorted(unknown)}; choose from {PIECES}")
    if "middleware" in pieces:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "tracing.middleware.OrderSpanMiddleware"]
    if "hooks" in pieces:
        from tracing import hooks

        # The receivers that annotate spans; the fork, flush and logging hooks stay connected.
        for name in ("on_order_status_changed", "on_before_task_publish", "on_task_prerun", "on_task_failure",
                     "on_task_retry"):
            setattr(hooks, name, _nothing)
    if "request_hook" in pieces:
        from tracing import setup, sql

        setup._request_hook = lambda span, request: sql.begin()
    if "metrics" in pieces:
        from tracing import metrics

        metrics.count_transition_on_commit = _nothing
        metrics.count_error = _nothing
    if "sql" in pieces:
        from tracing import redaction, setup, sql

        sql.install = sql.load_settings
        setup._request_hook = redaction.scrub_request_attributes
        setup._response_hook = lambda span, request, response: None


def take_out_from_environment() -> None:
    take_out({piece for piece in os.environ.get(VARIABLE, "").split(",") if piece})
