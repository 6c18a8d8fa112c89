"""Django's own refusals outside DRF (Http404, PermissionDenied, BadRequest raised by a plain view,
the admin's or a page's) leave the server span's status unset, like DRF's: only a crash is an error."""

import pytest
from django.test import Client
from opentelemetry.trace import StatusCode

from tests.tracing.helpers import events, server_spans
from tracing import attributes as A

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tracing.plain_views")]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [("/missing/", 404, "not_found"), ("/forbidden/", 403, "permission_denied"), ("/bad/", 400, "bad_request")],
)
def test_a_refusal_by_a_plain_django_view_is_not_an_error(spans, url, status, code):
    response = Client(raise_request_exception=False).get(url)

    [span] = server_spans(spans.get_finished_spans())
    assert response.status_code == status
    assert span.status.status_code == StatusCode.UNSET
    assert A.ERROR_TYPE not in span.attributes
    assert events(span, "exception") == []
    assert span.attributes[A.REFUSAL_CODE] == code


def test_a_crash_in_a_plain_django_view_is_still_an_error(spans):
    response = Client(raise_request_exception=False).get("/crash/")

    [span] = server_spans(spans.get_finished_spans())
    assert response.status_code == 500
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes[A.ERROR_TYPE] == "RuntimeError"
    assert [event["exception.type"] for event in events(span, "exception")] == ["RuntimeError"]
