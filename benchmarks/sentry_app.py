"""``jewelry.wsgi`` with the Sentry SDK tracing every request: the benchmark's Sentry row under gunicorn.

Tracing of ours is off (``TRACING_ENABLED=false``); Sentry sends to ``BENCH_SENTRY_DSN``, the local sink.
"""

import os

import sentry_sdk

# As a shop would turn it on for tracing: every transaction, the default integrations.
sentry_sdk.init(dsn=os.environ["BENCH_SENTRY_DSN"], traces_sample_rate=1.0, send_default_pii=False)

# Imported after the init: Sentry must be set up before Django loads.
from jewelry.wsgi import application  # noqa: E402

__all__ = ["application"]
