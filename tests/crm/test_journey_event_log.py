"""An order's journey outlives its traces: the support console reads the order's event log (issue 20)."""

import sqlite3
from contextlib import closing
from html import unescape

import pytest
from django.test import Client

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes.models import MesOutbox
from shop.models import Order, OrderEvent, OrderStatusChange, ShopOutbox
from tests.flows import submitted_order, upload
from tracing.recent_spans import RecentSpansExporter

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

OPEN_SHELL, TOO_LARGE, GOOD = cube_stl(10, drop_triangles=1), cube_stl(2000), cube_stl(10)


def section(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def journey_page(support, order_id: int) -> str:
    client = Client()
    client.force_login(support)
    response = client.get(f"/support/orders/{order_id}/")
    assert response.status_code == 200
    return unescape(response.content.decode())


def resubmitted(shop, order_id: int, model: bytes) -> None:
    assert upload(shop, order_id, model).status_code == 200
    assert shop.post(f"/api/v1/shop/orders/{order_id}/submit/").status_code == 202


def test_with_every_span_deleted_the_journey_still_shows_both_failures_every_message_and_transition(
        spans, api, customer, support, settings, tmp_path):
    store = tmp_path / "spans.sqlite3"
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", str(store)
    shop = api(customer)
    order_id = submitted_order(shop, OPEN_SHELL)  # MES refuses it (the test's broker is eager)
    resubmitted(shop, order_id, TOO_LARGE)  # refused again
    resubmitted(shop, order_id, GOOD)  # priced
    assert Order.objects.get(pk=order_id).status == S.PRICE_CALCULATED
    RecentSpansExporter(str(store), limit=100_000).export(spans.get_finished_spans())
    assert "trace expired" not in journey_page(support, order_id)  # every trace is still in the store

    with closing(sqlite3.connect(store)) as spans_file, spans_file:
        spans_file.execute("DELETE FROM span")
    page = journey_page(support, order_id)

    failures = section(page, 'id="failures"', "<h3>Messages</h3>")
    assert failures.count('class="failure"') == 2
    for code, message in [("model_not_watertight", "not a closed surface"), ("model_too_large", "mm across")]:
        assert code in failures and message in failures
    messages = section(page, "<h3>Messages</h3>", 'id="event-log"')
    sent = [str(row.pk) for row in ShopOutbox.objects.filter(order_id=order_id)]
    to_shop = MesOutbox.objects.filter(order_id=order_id, task_name__startswith="shop.")
    answers = [str(row.pk) for row in to_shop]
    assert len(sent) == 3 and len(answers) == 3  # three price requests, two refusals and a price
    assert all(message_id in messages for message_id in sent + answers)
    assert messages.count("delivery 1") == 3  # each of MES's answers, received once
    log = section(page, 'id="event-log"', "<h2>Notes</h2>")
    moves = OrderStatusChange.objects.filter(order_id=order_id)
    assert len(moves) == 7
    assert all(f"{move.from_status} → {move.to_status}" in log for move in moves)
    assert log.count('class="event transition"') == 7
    traced = {event.trace_id for event in OrderEvent.objects.filter(order_id=order_id)} - {""}
    assert traced and 'href="#trace-' not in page and page.count("trace expired") >= len(traced)
