"""API calls put their non-personal parameters on the server span; personal ones, credentials
and cookies never get there, whichever way they arrive (body, query string, headers)."""

import base64

import pytest

from tests.tracing.helpers import everything_said, server_spans
from tracing import attributes as A
from tracing.redaction import REDACTED, client_network, safe_params, scrub_query

pytestmark = pytest.mark.django_db

EMAIL = "amelia.hartley@example.com"
PHONE = "+44 20 7946 0958"
CAPTURE_HEADERS = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST"


def the_server_span(spans):
    [span] = server_spans(spans.get_finished_spans())
    return span


def params_of(span) -> dict:
    return {key.removeprefix(A.REQUEST_PARAM_PREFIX): value for key, value in span.attributes.items()
            if key.startswith(A.REQUEST_PARAM_PREFIX)}


def test_body_parameters_are_recorded_except_personal_ones(api, customer, spans):
    api(customer).post("/api/v1/shop/orders/", {
        "metal": "silver_925", "rush": True, "email": EMAIL, "gift_note": "For Amelia",
        "contact": PHONE, "first_name": "Amelia",
    }, format="json")

    assert params_of(the_server_span(spans)) == {"metal": "silver_925", "rush": True}


def test_query_parameters_are_recorded_and_personal_ones_are_masked_in_the_url(api, seller, spans):
    api(seller).get("/api/v1/crm/orders/", {"status": "SUBMITTED", "q": "Hartley", "ref": EMAIL})

    span = the_server_span(spans)
    assert params_of(span) == {"status": "SUBMITTED"}
    assert span.attributes[A.HTTP_URL].endswith(f"?status=SUBMITTED&q={REDACTED}&ref={REDACTED}")
    assert not [text for text in everything_said(span) if "Hartley" in text or EMAIL in text]


def test_captured_headers_never_show_credentials_or_cookies(client, customer, monkeypatch, spans):
    monkeypatch.setenv(CAPTURE_HEADERS, ".*")
    credentials = base64.b64encode(f"{customer.username}:pw-for-tests".encode()).decode()

    client.get("/api/v1/shop/orders/", HTTP_AUTHORIZATION=f"Basic {credentials}",
               HTTP_COOKIE="sessionid=s3ss10n-value; csrftoken=csrf-value", HTTP_X_API_KEY="k3y-value",
               HTTP_USER_AGENT="jewelry-shop-frontend/2.1")

    span = the_server_span(spans)
    headers = {key: list(value) for key, value in span.attributes.items()
               if key.startswith("http.request.header.")}
    assert headers["http.request.header.user_agent"] == ["jewelry-shop-frontend/2.1"]  # capture is on
    for name in ("authorization", "cookie", "x_api_key"):
        assert headers[f"http.request.header.{name}"] == ["[REDACTED]"]
    said = "\n".join(everything_said(span))
    for secret in (credentials, "pw-for-tests", "s3ss10n-value", "csrf-value", "k3y-value"):
        assert secret not in said
    assert span.attributes[A.USER_ID] == customer.pk  # the Basic credentials did authenticate


@pytest.mark.parametrize("key", ["email", "customer_email", "password", "api_key", "phone_number",
                                 "shipping_address", "last_name", "fullName", "q", "note"])
def test_personal_and_secret_keys_are_refused_whatever_the_value(key):
    assert safe_params({key: "ring"}) == {}


@pytest.mark.parametrize("value", [EMAIL, PHONE, "0044 20 7946 0958"])
def test_personal_looking_values_are_refused_under_any_key(value):
    assert safe_params({"ref": value}) == {}


def test_parameters_are_scalars_shortened_and_bounded_in_number():
    params = {"metal": "x" * 500, "quantity": 2, "tags": ["a"], **{f"p{i}": i for i in range(40)}}

    safe = safe_params(params)

    assert safe["metal"] == "x" * 128 and safe["quantity"] == 2 and "tags" not in safe
    assert len(safe) == 20


def test_query_string_without_personal_data_is_left_as_it_is():
    assert scrub_query("status=SUBMITTED&page=2") == "status=SUBMITTED&page=2"


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
