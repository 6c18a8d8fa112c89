"""Links into Jaeger's UI for a support engineer: one transition's trace, or every trace of an order."""

import json
from urllib.parse import urlencode

from django.conf import settings

from tracing import attributes as A


def trace_url(trace_id: str) -> str:
    return f"{settings.JAEGER_UI_URL.rstrip('/')}/trace/{trace_id}" if trace_id else ""


def order_traces_url(order_id: int, *, service: str = "alexandrite-web", lookback: str = "7d") -> str:
    query = urlencode({
        "service": service,
        "tags": json.dumps({A.ORDER_ID: str(order_id)}),
        "lookback": lookback,
        "limit": 50,
    })
    return f"{settings.JAEGER_UI_URL.rstrip('/')}/search?{query}"
