"""Loaded by pytest before Django (``-p tests.pytest_env``): tracing exports nowhere by default.

The test fixtures then add an in-memory exporter; end-to-end tests start their own
processes with real OTLP settings.
"""

import os

os.environ.setdefault("OTEL_TRACES_EXPORTER", "none")
os.environ.setdefault("OTEL_METRICS_EXPORTER", "none")
os.environ.setdefault("OTEL_SERVICE_NAME", "alexandrite-test")
os.environ.setdefault("OTEL_TRACES_SAMPLER", "always_on")
os.environ.setdefault("ALEXANDRITE_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))
