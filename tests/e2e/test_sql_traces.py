"""Slow statements over real OTLP on PostgreSQL: with the threshold at zero every statement is slow,
so each one arrives as a CLIENT span under the request or task span that ran it, placeholders only."""

import pytest
from django.db import connections

from jewelry.sample_models import cube_stl
from tests.e2e.app import submit_order
from tests.e2e.traces import PRICE_RUN, SUBMIT, children, one, wait_for_trace
from tracing import attributes as A

pytestmark = [pytest.mark.e2e, pytest.mark.services,
              pytest.mark.django_db(databases=["default", "mes"], transaction=True)]


@pytest.fixture(scope="module")
def app_env() -> dict:
    return {"TRACING_SLOW_SQL_MS": "0"}


def own_statements(trace, parent) -> list:
    """The statement spans under ``parent`` (through its publish spans), not those of the next task."""
    found, pending = [], children(trace, parent)
    while pending:
        span = pending.pop()
        if span.kind in ("SERVER", "CONSUMER"):
            continue
        if span.attributes.get(A.DB_SYSTEM):
            found.append(span)
        pending += children(trace, span)
    return found


def test_every_slow_statement_is_a_client_span_of_the_span_that_ran_it(app, caller, otlp, customer):
    order_id = submit_order(caller(customer), cube_stl(10))

    trace = wait_for_trace(otlp, root=SUBMIT, order_id=order_id, names={SUBMIT, PRICE_RUN})

    submit, pricing = one(trace, SUBMIT), one(trace, PRICE_RUN)
    for parent, alias in ((submit, "default"), (pricing, "mes")):
        statements = own_statements(trace, parent)
        # Counted on the parent; each one arrived as a span (the same statements, the same number).
        statements_name, _ = A.DB_TOTALS[alias]
        on_alias = [span for span in statements if span.attributes[A.DB_ALIAS] == alias]
        assert len(on_alias) == parent.attributes[statements_name] > 0
        assert {span.kind for span in statements} == {"CLIENT"}
        assert {span.attributes[A.DB_NAME] for span in on_alias} == {connections[alias].settings_dict["NAME"]}
        assert all(parent.start_ns <= span.start_ns <= span.end_ns <= parent.end_ns for span in statements)
    # Statements with placeholders, never the values: the order's id goes in as a parameter.
    texts = [span.attributes[A.DB_STATEMENT] for span in own_statements(trace, pricing)]
    assert any('"order_id" = %s' in text for text in texts), texts
    assert not any(f"= {order_id}" in text for text in texts)
