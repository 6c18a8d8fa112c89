"""Whose trace context an HTTP request may continue (``PublicEdgePropagator``).

Carrying context into and out of outbox rows is the kernel's (``jewelry.trace_context``)."""

from django.conf import settings
from opentelemetry import context as context_api
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.wsgi import WSGIGetter
from opentelemetry.propagators import textmap

from jewelry.client_address import address_in_environ, is_in
from tracing import attributes as A

# The span context an untrusted HTTP caller sent, kept for the request's span to link to.
CALLER_SPAN_CONTEXT = context_api.create_key("alexandrite-caller-span-context")


class PublicEdgePropagator(textmap.TextMapPropagator):
    """The configured propagators (OTEL_PROPAGATORS), except for HTTP requests from outside.

    A ``traceparent`` from the public internet would let the caller pick our trace id and switch
    our sampling off (flag 00). Such a request starts a new trace instead, sampled by our sampler
    alone, and its span links to the caller's (``link_caller``); its baggage and trace state are
    dropped. Callers in TRACE_CONTEXT_TRUSTED_SENDERS, and every other carrier (Celery messages,
    outbox rows), continue their trace.
    """

    def __init__(self, configured: textmap.TextMapPropagator):
        self._configured = configured

    def extract(self, carrier, context=None, getter=textmap.default_getter):
        fresh = context if context is not None else Context()
        extracted = self._configured.extract(carrier, context, getter)
        # The Django instrumentation reads request.META (the WSGI environ) with a WSGIGetter;
        # a request that sent no trace context costs no address check.
        if not isinstance(getter, WSGIGetter) or extracted == fresh or _trusted_sender(carrier):
            return extracted
        sent = trace.get_current_span(extracted).get_span_context()
        if not sent.is_valid:
            return fresh
        caller = trace.SpanContext(sent.trace_id, sent.span_id, is_remote=True, trace_flags=sent.trace_flags)
        return context_api.set_value(CALLER_SPAN_CONTEXT, caller, fresh)

    def inject(self, carrier, context=None, setter=textmap.default_setter):
        self._configured.inject(carrier, context, setter)

    @property
    def fields(self):
        return self._configured.fields


def _trusted_sender(environ) -> bool:
    trusted = settings.TRACE_CONTEXT_TRUSTED_SENDERS
    return bool(trusted) and is_in(address_in_environ(environ), trusted)


def link_caller(span) -> None:
    """On a request's span: a link to the trace context its untrusted caller sent, if any."""
    caller = context_api.get_value(CALLER_SPAN_CONTEXT)
    if caller is not None:
        span.add_link(caller, {A.LINK_KIND: A.LINK_KIND_CALLER})


def guard_public_edge() -> None:
    """Wrap the global propagator once (tracing.setup): HTTP callers outside no longer continue traces."""
    configured = propagate.get_global_textmap()
    if not isinstance(configured, PublicEdgePropagator):
        propagate.set_global_textmap(PublicEdgePropagator(configured))
