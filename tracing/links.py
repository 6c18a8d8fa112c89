"""Links for a person to an order's traces: into Jaeger's UI when there is one, else into the support console.

``JAEGER_UI_URL`` decides, here only: the embedded demo has no Jaeger, and a link to where
nothing listens helps nobody, so its links open the console, which shows the same traces.
"""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from tracing import attributes as A


def jaeger_ui_url() -> str:
    """Jaeger's UI behind the access proxy, or "" when none is configured."""
    return settings.JAEGER_UI_URL.rstrip("/")


def trace_url(trace_id: str) -> str:
    if not trace_id:
        return ""
    if jaeger_ui_url():
        return f"{jaeger_ui_url()}/trace/{trace_id}"
    return f"{reverse('support:home')}?{urlencode({'by': 'trace', 'find': trace_id})}"


def order_traces_url(order_id: int, *, service: str = "alexandrite-web", lookback: str = "7d") -> str:
    if not jaeger_ui_url():
        return reverse("support:order", kwargs={"order_id": order_id})
    query = urlencode({
        "service": service,
        "tags": json.dumps({A.ORDER_ID: str(order_id)}),
        "lookback": lookback,
        "limit": 50,
    })
    return f"{jaeger_ui_url()}/search?{query}"
