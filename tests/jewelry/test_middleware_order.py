"""The order of MIDDLEWARE (jewelry/settings/base.py) where it matters: refusals come before
static files are served, and every answer, a refusal too, gets the security headers."""

import pytest
from django.test import Client

STATIC_FILE = "/static/admin/css/base.css"


@pytest.fixture
def static_files(settings):
    """WhiteNoise serving the apps' static files, as after collectstatic (its middleware is built per Client)."""
    settings.WHITENOISE_USE_FINDERS = True
    return Client()


def test_a_nul_in_the_query_of_a_static_file_is_refused_before_whitenoise_serves_it(static_files):
    assert static_files.get(STATIC_FILE).status_code == 200  # WhiteNoise does serve it

    response = static_files.get(f"{STATIC_FILE}?v=%00")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_a_body_declared_too_big_is_refused_before_whitenoise_serves_anything(static_files, settings):
    response = static_files.get(STATIC_FILE, CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1))

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.parametrize("autorefresh", [False, True])  # True: how DEBUG serves, looking files up on disk
def test_a_nul_in_a_static_file_path_is_a_404_not_a_500(settings, autorefresh):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = autorefresh

    response = Client(raise_request_exception=False).get("/static/admin/css/ba%00se.css")

    assert response.status_code == 404


@pytest.mark.parametrize("send", [lambda client: client.get("/api/v1/shop/orders/?status=%00"),
                                  lambda client: client.post("/api/v1/shop/orders/", CONTENT_LENGTH=str(2**40))])
def test_refusals_carry_the_security_headers(send):
    response = send(Client())

    assert response.status_code in (400, 413)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
