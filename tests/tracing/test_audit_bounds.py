"""Callers who saw nothing cannot fill the audit log (tracing.audit_budget); every allowed look is still audited."""

import pytest
from django.test import Client

from jewelry.roles import Role
from tracing import audit_budget
from tracing.access import MAX_REFUSED_TEXT_LENGTH
from tracing.models import JaegerAccessLog

pytestmark = pytest.mark.django_db

JAEGER_ACCESS = "/tracing/jaeger-access/"
LONG_SEARCH = "/jaeger/search?service=x&tags=" + "a" * 1800  # the campaign's 1.8 KB URIs


def ask_jaeger_access(client: Client, uri: str = LONG_SEARCH, address: str = "203.0.113.7"):
    return client.get(JAEGER_ACCESS, HTTP_X_ORIGINAL_URI=uri, REMOTE_ADDR=address)


def test_200_anonymous_jaeger_requests_write_a_few_rows():
    statuses = {ask_jaeger_access(Client()).status_code for _ in range(200)}

    assert statuses == {401}  # every one still sent to the login page
    assert JaegerAccessLog.objects.count() == audit_budget.PER_CALLER


def test_200_anonymous_console_searches_write_a_few_rows():
    statuses = {Client().get("/support/", {"find": "1" * 1800}, REMOTE_ADDR="203.0.113.7").status_code
                for _ in range(200)}

    assert statuses == {302}
    assert JaegerAccessLog.objects.count() == audit_budget.PER_CALLER


def test_anonymous_callers_from_many_addresses_share_one_budget():
    for i in range(200):
        ask_jaeger_access(Client(), address=f"203.0.113.{i}")

    assert JaegerAccessLog.objects.count() == audit_budget.ANONYMOUS


def test_a_refused_user_has_a_budget_of_their_own_wherever_they_come_from(customer):
    client = Client()
    client.force_login(customer)

    statuses = {ask_jaeger_access(client, address=f"198.51.100.{i}").status_code for i in range(50)}

    assert statuses == {403}
    assert set(JaegerAccessLog.objects.values_list("user_id", flat=True)) == {customer.pk}
    assert JaegerAccessLog.objects.count() == audit_budget.PER_CALLER


def test_the_budget_comes_back_with_the_next_window(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(audit_budget.time, "time", lambda: now[0])
    for _ in range(50):
        ask_jaeger_access(Client())
    now[0] += audit_budget.WINDOW_SECONDS + 1

    ask_jaeger_access(Client())

    assert JaegerAccessLog.objects.count() == audit_budget.PER_CALLER + 1


def test_every_allowed_look_is_audited(make_user):
    client = Client()
    client.force_login(make_user(Role.SUPPORT))

    statuses = {ask_jaeger_access(client, uri=f"/jaeger/trace/{i:032x}").status_code for i in range(50)}

    assert statuses == {204}
    assert JaegerAccessLog.objects.count() == 50


def test_a_long_uri_of_a_look_that_saw_nothing_is_stored_cut(customer):
    signed_in = Client()
    signed_in.force_login(customer)

    ask_jaeger_access(Client())
    ask_jaeger_access(signed_in)
    Client().get("/support/", {"find": "1" * 1800})

    rows = JaegerAccessLog.objects.order_by("id")
    assert [row.decision for row in rows] == ["login", "refused", "login"]
    assert all(len(row.uri) == MAX_REFUSED_TEXT_LENGTH for row in rows)
    assert all(len(row.search_tags) <= MAX_REFUSED_TEXT_LENGTH for row in rows)
    assert rows.filter(uri=LONG_SEARCH[:MAX_REFUSED_TEXT_LENGTH]).count() == 2
