"""HTTP Basic from a browser needs CSRF; from an API client it does not; no 401 prompts a browser.

The attack itself, in a real browser: tests/jewelry/test_basic_auth_in_browser.py. Here the
headers a browser sends, one by one. Django's test client skips CSRF checks unless told.
"""

import base64

import pytest
from django.test import Client

from shop.models import Order

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # tests/conftest.py make_user
CROSS_SITE = {"HTTP_ORIGIN": "https://prizes.example", "HTTP_SEC_FETCH_SITE": "cross-site"}


def basic(user, password: str = PASSWORD) -> dict:
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def create_order(client: Client, user, **headers):
    return client.post("/api/v1/shop/orders/", {"metal": "gold_18k"}, content_type="application/json",
                       **basic(user), **headers)


@pytest.mark.parametrize("browser_headers", [
    CROSS_SITE,
    {"HTTP_ORIGIN": "http://127.0.0.1:8001"},  # another port: same site, another origin
    {"HTTP_SEC_FETCH_SITE": "same-site"},
    {"HTTP_ORIGIN": "null"},  # a sandboxed frame or a data: page
])
def test_a_browsers_basic_post_without_the_csrf_token_is_refused(customer, browser_headers):
    response = create_order(Client(enforce_csrf_checks=True), customer, **browser_headers)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["message"]
    assert not Order.objects.exists()


def test_an_api_client_posts_with_basic_alone(customer):
    response = create_order(Client(enforce_csrf_checks=True), customer)

    assert response.status_code == 201
    assert Order.objects.get().customer_id == customer.pk


def test_our_own_page_posts_with_basic_and_the_csrf_token(customer):
    """The API docs page in a browser, for instance: same origin, token from the cookie."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = token = "a" * 32

    response = create_order(client, customer, HTTP_ORIGIN="http://testserver",
                            HTTP_SEC_FETCH_SITE="same-origin", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201


def test_a_browser_still_reads_with_basic(customer):
    """A read changes nothing; what another site's page may see of it is CORS's business."""
    response = Client(enforce_csrf_checks=True).get("/api/v1/shop/orders/", **basic(customer), **CROSS_SITE)

    assert response.status_code == 200


def test_a_forged_post_costs_no_password_check(customer, monkeypatch):
    checked = []
    monkeypatch.setattr("django.contrib.auth.base_user.check_password",
                        lambda *args, **kwargs: checked.append(args) or True)

    create_order(Client(enforce_csrf_checks=True), customer, **CROSS_SITE)

    assert checked == []


@pytest.mark.parametrize(("path", "challenge"), [
    ("/api/v1/shop/orders/", "xBasic"),
    ("/api/v1/crm/orders/", "xBasic"),
    ("/api/v1/mes/queue/", "Api-Key"),
])
def test_no_401_asks_a_browser_for_a_password(path, challenge):
    response = Client().get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].split()[0] == challenge


@pytest.mark.django_db(databases=["default", "mes"])
def test_the_mes_api_asks_a_browser_for_the_csrf_token_too(operator):
    response = Client(enforce_csrf_checks=True).post("/api/v1/mes/orders/1/take/", **basic(operator),
                                                     **CROSS_SITE)

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
