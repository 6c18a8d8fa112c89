"""Requests from the public that were 500s or logged tracebacks (issue #21, finding 6): now 4xx, quietly.

A refusal's code goes on the server span under ``alexandrite.refusal.*``; the span's status
stays unset (only failures are errors).
"""

import logging

import pytest
from django.test import Client
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from tests.faults.test_bad_input import ORDER_ENDPOINTS, assert_refused, sweep
from tests.tracing.helpers import server_spans
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

DEEP = 3000  # levels of "[": past the decoder's recursion limit, in 3 KB


def assert_refusal_spans(spans, count: int) -> list:
    finished = server_spans(spans.get_finished_spans())
    assert len(finished) == count
    for span in finished:
        assert span.attributes.get(A.REFUSAL_CODE), span.attributes
        assert A.ERROR_TYPE not in span.attributes and span.status.is_unset
    return finished


def test_deeply_nested_json_is_refused_not_a_crash(api, customer, settings, spans):
    small = "[" * DEEP  # read by tracing (under 64 KB) and by the parser
    big = "[" * 70_000  # past tracing's 64 KB: only the parser reads it
    inside = '{"metal": ' + "[" * DEEP + "}"
    cases = [(None, small, 401), (None, big, 401), (customer, small, 400), (customer, big, 400),
             (customer, inside, 400)]

    def send(case):
        user, body, status = case
        response = api(user).post("/api/v1/shop/orders/", body, content_type="application/json")
        assert response.status_code == status, case[::2]
        return response

    bodies = sweep(settings, cases, send)

    assert [body["code"] for body in bodies[2:]] == ["json_too_deep"] * 3
    finished = assert_refusal_spans(spans, len(cases))
    assert [span.attributes[A.REFUSAL_CODE] for span in finished[2:]] == ["json_too_deep"] * 3


@pytest.mark.parametrize("order_id", [2**63, 10**20, 99999999999999999999999])
def test_an_order_id_beyond_a_bigint_is_404_and_exports_cleanly(api, customer, seller, operator, support,
                                                                  settings, spans, caplog, order_id):
    users = {"customer": customer, "seller": seller, "operator": operator}
    cases = [(users[role], method, path.format(id=order_id)) for role, method, path in ORDER_ENDPOINTS]

    bodies = sweep(settings, cases, lambda case: getattr(api(case[0]), case[1])(case[2]), 404)
    page = Client(raise_request_exception=False)
    page.force_login(support)
    console = page.get(f"/support/orders/{order_id}/")

    assert {body["code"] for body in bodies} == {"not_found"}
    assert console.status_code == 404
    finished = spans.get_finished_spans()
    assert all(A.ORDER_ID not in span.attributes for span in finished)
    with caplog.at_level(logging.WARNING, logger="opentelemetry"):
        encode_spans(finished)  # what the OTLP exporter does with them
    assert [record.getMessage() for record in caplog.records if record.name.startswith("opentelemetry")] == []


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_options_on_a_docs_page_is_answered_with_allow(spans, path):
    response = Client(raise_request_exception=False).options(path)

    assert response.status_code == 200, response.content[:300]
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    [span] = server_spans(spans.get_finished_spans())
    assert A.ERROR_TYPE not in span.attributes and span.status.is_unset


def test_there_is_no_password_reset_by_mail(customer, settings, caplog, mailoutbox):
    customer.email = "jane.roe@example.org"
    customer.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # no mail server here
    settings.EMAIL_PORT = 9  # discard: nothing listens

    with caplog.at_level(logging.ERROR):
        asked = Client(raise_request_exception=False).post("/accounts/password_reset/",
                                                           {"email": customer.email})
        confirm = Client(raise_request_exception=False).get("/accounts/reset/MQ/set-password/")

    assert assert_refused("password reset", asked, 404)["code"] == "not_found"
    assert confirm.status_code == 404
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert mailoutbox == []
