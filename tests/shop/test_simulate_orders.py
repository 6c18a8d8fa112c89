"""The traffic generator drives orders through their whole life over HTTP and reports what went wrong.

It runs against a live server of the test databases, signed in as the demo users; the
embedded demo's own run (SQLite, the console showing the traces) is in tests/test_embedded_demo.py.
"""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jewelry.lifecycle import OrderStatus as S
from shop.models import Order
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

JOURNEY = re.compile(r"(https?://\S+)/support/orders/(\d+)/$")


@pytest.fixture
def server(live_server):
    call_command("seed_demo", stdout=io.StringIO())
    return live_server.url


def simulate(**options) -> str:
    out = io.StringIO()
    call_command("simulate_orders", no_progress=True, stdout=out, **options)
    return out.getvalue()


def test_orders_without_failures_all_end_closed(server):
    report = simulate(base_url=server, orders=3, failure_share=0, seed=1)

    assert list(Order.objects.values_list("status", flat=True)) == [S.CLOSED] * 3
    assert re.search(rf"{S.CLOSED}\s+3", report)
    assert "Errors: none" in report
    history = Order.objects.first().history.values_list("to_status", flat=True)
    assert list(history) == [S.FILE_UPLOADED, S.SUBMITTED, S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED,
                             S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, S.PACKAGING, S.SHIPPED,
                             S.CLOSED]


def test_failures_are_summed_up_by_code_with_the_journey_of_each(server, support, spans):
    report = simulate(base_url=server, orders=8, failure_share=1, seed=5)

    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses <= {S.CLOSED, S.CANCELLED}
    failures = report.split("Failures (order, kind, code, journey):")[1].strip().splitlines()[:8]
    assert len(failures) == 8
    assert all(JOURNEY.search(line) for line in failures)
    # A refused model's line links the journey of the order where the server recorded that refusal.
    refused = next(line for line in failures if "broken_model" in line or "abandoned_model" in line)
    order_id, _, code = refused.split()[:3]
    assert JOURNEY.search(refused).groups() == (server, order_id)
    of_the_order = [span for span in spans.get_finished_spans()
                    if span.attributes.get(A.ORDER_ID) == int(order_id)]
    assert any(span.attributes.get(A.ERROR_TYPE) == code for span in of_the_order)
    console = Client()
    console.force_login(support)
    journey = console.get(f"/support/orders/{order_id}/").content.decode()
    assert f"<title>Order {order_id} · Alexandrite</title>" in journey


def test_nonsense_options_are_refused():
    with pytest.raises(CommandError):
        simulate(orders=1, failure_share=1.5)
