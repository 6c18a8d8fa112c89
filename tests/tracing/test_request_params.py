"""API calls put their allowed parameters (keys by allow-list, values of the key's shape: ids,
enums, dates) on the server span; nothing else, no credentials and no cookies get there,
whichever way they arrive (body, query string, headers)."""

import base64

import pytest
from opentelemetry.sdk.trace import TracerProvider

from tests.tracing.helpers import everything_said, server_spans
from tracing import attributes as A
from tracing.redaction import REDACTED, client_network, mask_sensitive_headers, safe_params, scrub_query

pytestmark = pytest.mark.django_db

EMAIL = "amelia.hartley@example.com"
PHONE = "+44 20 7946 0958"
CAPTURE_HEADERS = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST"


def the_server_span(spans):
    [span] = server_spans(spans.get_finished_spans())
    return span


def user_agent_of(span) -> str:
    """The User-Agent as recorded, under the old or the new convention's name (OTEL_SEMCONV_STABILITY_OPT_IN)."""
    [value] = [span.attributes[name] for name in ("user_agent.original", "http.user_agent")
                if name in span.attributes]
    return value


def params_of(span) -> dict:
    return {key.removeprefix(A.REQUEST_PARAM_PREFIX): value for key, value in span.attributes.items()
            if key.startswith(A.REQUEST_PARAM_PREFIX)}


def test_only_allowed_body_parameters_are_recorded(api, customer, spans):
    api(customer).post("/api/v1/shop/orders/", {
        "metal": "silver_925", "rush": True, "email": EMAIL, "gift_note": "For Amelia",
        "contact": PHONE, "first_name": "Amelia", "engraving": "Ottoline",
    }, format="json")

    span = the_server_span(spans)
    assert params_of(span) == {"metal": "silver_925"}
    assert not [text for text in everything_said(span) if "Ottoline" in text or "Amelia" in text]


def test_query_strings_on_spans_keep_only_allowed_keys_of_the_right_shape(api, seller, spans):
    api(seller).get("/api/v1/crm/orders/", {"status": "SUBMITTED", "customer": "Vasquez", "q": "Hartley",
                                            "ref": EMAIL, "created_after": "2026-01-01T00:00:00Z"})

    span = the_server_span(spans)
    assert params_of(span) == {"status": "SUBMITTED", "created_after": "2026-01-01T00:00:00Z"}
    assert span.attributes[A.HTTP_URL].endswith(
        f"?status=SUBMITTED&customer={REDACTED}&created_after=2026-01-01T00%3A00%3A00Z")
    assert not [text for text in everything_said(span) if "Hartley" in text or EMAIL in text
                or "Vasquez" in text]


def test_a_query_of_only_unknown_keys_leaves_the_bare_path(api, seller, spans):
    api(seller).get("/api/v1/crm/orders/", {"customer_name": "Vasquez"})

    assert the_server_span(spans).attributes[A.HTTP_URL].endswith("/api/v1/crm/orders/")


def test_captured_headers_never_show_credentials_or_cookies(client, customer, monkeypatch, spans):
    monkeypatch.setenv(CAPTURE_HEADERS, ".*")
    credentials = base64.b64encode(f"{customer.username}:pw-for-tests".encode()).decode()

    client.get("/api/v1/shop/orders/", HTTP_AUTHORIZATION=f"Basic {credentials}",
               HTTP_COOKIE="sessionid=s3ss10n-value; csrftoken=csrf-value", HTTP_X_API_KEY="k3y-value",
               HTTP_ACCEPT="application/json")

    span = the_server_span(spans)
    headers = {key: list(value) for key, value in span.attributes.items()
               if key.startswith("http.request.header.")}
    assert headers["http.request.header.accept"] == ["application/json"]  # capture is on
    for name in ("authorization", "cookie", "x_api_key"):
        assert headers[f"http.request.header.{name}"] == ["[REDACTED]"]
    said = "\n".join(everything_said(span))
    for secret in (credentials, "pw-for-tests", "s3ss10n-value", "csrf-value", "k3y-value"):
        assert secret not in said
    assert span.attributes[A.USER_ID] == customer.pk  # the Basic credentials did authenticate


def test_captured_response_headers_named_sensitive_are_masked_on_the_span(monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE", ".*")
    span = TracerProvider().get_tracer("tests").start_span("GET /")
    span.set_attributes({"http.response.header.x_auth_token": ["t0ken", "t0ken2"],
                         "http.response.header.x_session_id": ["s3ss10n"],
                         "http.response.header.content_type": ["application/json"],
                         "http.request.header.accept": ["*/*"]})

    mask_sensitive_headers(span, "response")

    assert dict(span.attributes) == {"http.response.header.x_auth_token": ("[REDACTED]", "[REDACTED]"),
                                     "http.response.header.x_session_id": ("[REDACTED]",),
                                     "http.response.header.content_type": ("application/json",),
                                     "http.request.header.accept": ("*/*",)}


@pytest.mark.parametrize("user_agent", [
    "Mozilla/5.0 (Jane Roe jane.roe@example.org)",
    "Mozilla/5.0 (Jane Roe jane.roe@example.org)" + " Jane Roe" * 1000,  # 8 KB
    "JaneRoe/1.0 (+44 20 7946 0958) Mozilla/5.0",
])
def test_the_user_agent_reaches_spans_as_known_products_only(client, monkeypatch, spans, user_agent):
    monkeypatch.setenv(CAPTURE_HEADERS, ".*")

    client.get("/api/v1/shop/orders/", HTTP_USER_AGENT=user_agent)

    span = the_server_span(spans)
    assert user_agent_of(span) == "Mozilla/5.0"
    assert span.attributes["http.request.header.user_agent"] == ("[REDACTED]",)
    said = "\n".join(everything_said(span)).lower()
    assert "jane" not in said and "7946" not in said


def test_a_browser_user_agent_keeps_its_products_and_loses_its_comments(client, spans):
    client.get("/api/v1/shop/orders/", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")

    assert user_agent_of(the_server_span(spans)) == "Mozilla/5.0 AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"


def test_a_user_agent_of_unknown_software_is_redacted(client, spans):
    client.get("/api/v1/shop/orders/", HTTP_USER_AGENT="amelia-hartley-scripts/3")

    assert user_agent_of(the_server_span(spans)) == REDACTED


@pytest.mark.parametrize("key", ["email", "engraving", "ref", "comment", "name", "q", "Status", "metal "])
def test_keys_not_on_the_allow_list_are_left_out_whatever_the_value(key):
    assert safe_params({key: "12"}) == {}


@pytest.mark.parametrize(("key", "value"), [
    ("status", EMAIL), ("status", "submitted"), ("metal", "Vasquez"), ("customer", "Vasquez"),
    ("customer", "12 34"), ("customer", "1" * 20), ("customer", True), ("customer", -1), ("page", 2**64),
    ("created_after", "Vasquez"), ("created_after", EMAIL), ("created_before", "2026-01-01" * 5),
    ("customer", ["1"]), ("status", {"a": 1}),
])
def test_allowed_keys_with_a_value_of_the_wrong_shape_are_left_out(key, value):
    assert safe_params({key: value}) == {}


def test_allowed_keys_with_values_of_their_shape_are_kept():
    params = {"status": "SUBMITTED", "metal": "gold_18k", "customer": "42", "operator": 7, "page": "3",
              "created_after": "2026-11-30T22:05:00+01:00", "created_before": "2026-12-01"}

    assert safe_params(params) == params


def test_query_string_of_allowed_parameters_is_left_as_it_is():
    assert scrub_query("status=SUBMITTED&page=2") == "status=SUBMITTED&page=2"


def test_query_string_loses_unknown_keys_and_masks_misshapen_values():
    assert scrub_query("Vasquez=1&status=amelia%40example.com&page=2") == f"status={REDACTED}&page=2"


def test_the_client_address_is_cut_to_its_network(api, customer, spans):
    api(customer).get("/api/v1/shop/orders/", REMOTE_ADDR="203.0.113.77")

    span = the_server_span(spans)
    addresses = {name: span.attributes[name] for name in A.CLIENT_ADDRESS_ATTRIBUTES if name in span.attributes}
    assert addresses and set(addresses.values()) == {"203.0.113.0/24"}
    assert not [text for text in everything_said(span) if "203.0.113.77" in text]


@pytest.mark.parametrize(("address", "network"), [
    ("198.51.100.200", "198.51.100.0/24"),
    ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
    ("not-an-address", REDACTED),
])
def test_client_network(address, network):
    assert client_network(address) == network
