"""Tracing endpoints (the Jaeger access check for the proxy lives here)."""

urlpatterns: list = []
