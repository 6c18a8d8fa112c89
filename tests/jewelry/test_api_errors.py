"""Every error under /api/ is JSON ``{code, message}``, in DEBUG as in production: an unknown path,
a bad id, a wrong method, a browser's request and a crash alike."""

import pytest
from rest_framework.test import APIClient

from shop.api import views as shop_views

pytestmark = pytest.mark.django_db(databases=["default", "mes"])

MODES = [pytest.param(True, id="debug"), pytest.param(False, id="production")]

UNKNOWN = [  # (method, path, code): no such path, or no such order
    ("get", "/api/nowhere/", "not_found"),
    ("get", "/api/v1/nowhere/", "not_found"),
    ("get", "/api/v1/shop/nowhere/", "not_found"),
    ("get", "/api/v1/shop/orders/abc/", "not_found"),
    ("post", "/api/v1/shop/orders/abc/submit/", "not_found"),
    ("get", "/api/v1/crm/orders/-1/", "not_found"),
    ("post", "/api/v1/mes/orders/abc/take/", "not_found"),
    ("get", "/api/v1/shop/orders/99999999/", "order_not_found"),
    ("get", "/api/v1/mes/orders/99999999/", "order_not_found"),
]
WRONG_METHOD = [
    ("delete", "/api/v1/shop/orders/"),
    ("put", "/api/v1/shop/orders/"),
    ("get", "/api/v1/shop/orders/1/submit/"),
    ("patch", "/api/v1/mes/queue/"),
    ("post", "/api/schema/"),
]


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert body["code"] == code and body["message"], body


def as_user(user, **headers):
    client = APIClient(raise_request_exception=False, headers=headers)
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("debug", MODES)
@pytest.mark.parametrize("method, path, code", UNKNOWN)
def test_unknown_path_or_id_is_a_json_404(settings, support, customer, debug, method, path, code):
    settings.DEBUG = debug
    user = customer if "/shop/" in path else support

    assert_json_error(getattr(as_user(user), method)(path), 404, code)


@pytest.mark.parametrize("debug", MODES)
@pytest.mark.parametrize("method, path", WRONG_METHOD)
def test_wrong_method_is_a_json_405_naming_the_allowed_ones(settings, customer, operator, debug, method,
                                                            path):
    settings.DEBUG = debug
    user = operator if "/mes/" in path else customer

    response = getattr(as_user(user), method)(path)

    assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"]


@pytest.mark.parametrize("debug", MODES)
def test_a_browser_gets_json_errors_too(settings, customer, debug):
    settings.DEBUG = debug
    browser = as_user(customer, accept="text/html,application/xhtml+xml")

    assert_json_error(browser.get("/api/v1/shop/orders/99999999/"), 404, "order_not_found")
    assert_json_error(browser.delete("/api/v1/shop/orders/"), 405, "method_not_allowed")
    assert_json_error(browser.get("/api/v1/shop/nowhere/"), 404, "not_found")


@pytest.mark.parametrize("debug", MODES)
def test_a_crash_is_a_json_500(settings, customer, monkeypatch, debug):
    settings.DEBUG = debug

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(shop_views.OrderListCreateView, "get", crash)

    response = as_user(customer).get("/api/v1/shop/orders/")

    assert_json_error(response, 500, "server_error")
    assert "a bug" not in response.content.decode()


def test_pages_outside_the_api_keep_their_own_errors(settings, customer):
    settings.DEBUG = True

    response = as_user(customer).get("/support/nowhere/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
