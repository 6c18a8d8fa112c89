"""The traffic generator drives orders through their whole life and reports what went wrong, with traces."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from jewelry.lifecycle import OrderStatus as S
from shop.models import Order
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

TRACE_ID = re.compile(r"\b[0-9a-f]{32}\b")


def simulate(**options) -> str:
    out = io.StringIO()
    call_command("simulate_orders", no_progress=True, stdout=out, **options)
    return out.getvalue()


def test_orders_without_failures_all_end_closed():
    report = simulate(orders=3, failure_share=0, seed=1)

    assert list(Order.objects.values_list("status", flat=True)) == [S.CLOSED] * 3
    assert re.search(rf"{S.CLOSED}\s+3", report)
    assert "Errors: none" in report
    history = Order.objects.first().history.values_list("to_status", flat=True)
    assert list(history) == [S.FILE_UPLOADED, S.SUBMITTED, S.PRICE_CALCULATED, S.MANUFACTURING_APPROVED,
                             S.MANUFACTURING_STARTED, S.MANUFACTURING_COMPLETED, S.PACKAGING, S.SHIPPED,
                             S.CLOSED]


def test_failures_are_summed_up_by_code_with_the_trace_of_each(spans):
    report = simulate(orders=8, failure_share=1, seed=5)

    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses <= {S.CLOSED, S.CANCELLED}
    failures = report.split("Failures (order, kind, code, trace):")[1].strip().splitlines()
    assert len(failures) == 8
    assert all(TRACE_ID.search(line) for line in failures)
    # The trace named for a refused model is the one where MES refused it.
    refused = next(line for line in failures if "broken_model" in line or "abandoned_model" in line)
    _, _, code, trace_id = refused.split()[:4]
    in_trace = [span for span in spans.get_finished_spans()
                if format(span.context.trace_id, "032x") == trace_id]
    assert any(span.attributes.get(A.ERROR_TYPE) == code for span in in_trace)


def test_users_are_created_once_and_reused():
    simulate(orders=1, failure_share=0, seed=1, customers=2)
    simulate(orders=1, failure_share=0, seed=2, customers=2)

    assert User.objects.filter(username__startswith="sim-customer-").count() == 2


def test_nonsense_options_are_refused():
    with pytest.raises(CommandError):
        simulate(orders=1, failure_share=1.5)
