"""Tracing endpoints: the Jaeger access check that the proxy asks before every request."""

from django.urls import path

from tracing.access import jaeger_access

urlpatterns = [
    path("jaeger-access/", jaeger_access, name="jaeger-access"),
]
