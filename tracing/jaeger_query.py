"""A client of Jaeger's query API v3 (HTTP, OTLP-JSON): the support console's span source in production.

``GET /api/v3/traces/{trace_id}`` answers ``{"result": {"resourceSpans": [...]}}``, or 404
with ``{"error": {"httpCode": 404, "message": ...}}`` when Jaeger holds no such trace.
"""

import logging

import requests

from tracing.span_data import TraceLookup, spans_from_otlp_json

log = logging.getLogger(__name__)

LABEL = "Jaeger"


class JaegerQueryClient:
    """Reads traces from Jaeger's query service over the internal network (``JAEGER_QUERY_URL``)."""

    label = LABEL
    is_demo_store = False

    def __init__(self, base_url: str, *, timeout: float = 3.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def trace(self, trace_id: str) -> TraceLookup:
        """One trace by id; never raises: a dead or confused Jaeger is an ``unavailable`` answer."""
        url = f"{self.base_url}/api/v3/traces/{trace_id}"
        try:
            response = self.session.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            log.warning("Jaeger query API unreachable at %s: %r", self.base_url, exc)
            return TraceLookup(trace_id, outcome="unavailable",
                               detail=f"Jaeger did not answer ({type(exc).__name__}).")
        if response.status_code == 404:
            return TraceLookup(trace_id, outcome="not_found", detail=_error_message(response))
        if response.status_code != 200:
            return TraceLookup(trace_id, outcome="unavailable",
                               detail=f"Jaeger answered {response.status_code}: {_error_message(response)}")
        try:
            spans = spans_from_otlp_json(response.json().get("result", {}))
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            return TraceLookup(trace_id, outcome="unavailable",
                               detail=f"Jaeger's answer was not OTLP-JSON ({exc}).")
        spans = [span for span in spans if span.trace_id == trace_id]
        if not spans:
            return TraceLookup(trace_id, outcome="not_found", detail="Jaeger returned no span of this trace.")
        return TraceLookup(trace_id, spans=tuple(spans))


def _error_message(response: requests.Response) -> str:
    # Jaeger writes its error JSON with http.Error, i.e. as text/plain: parse the text.
    try:
        return str(response.json()["error"]["message"])[:300]
    except (ValueError, KeyError, TypeError):
        return response.text[:300]
