"""What a newcomer opens first: the start page, the login, the API docs (offline), the admin's order page."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from tests.flows import operator_steps, submitted_order

EXTERNAL_URL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.django_db
def test_the_start_page_links_the_api_docs_the_support_console_and_the_admin():
    page = Client().get("/").content.decode()

    for link in ('href="/api/docs/"', 'href="/support/"', 'href="/admin/"', 'href="/api/redoc/"'):
        assert link in page


@pytest.mark.django_db
def test_api_v1_leads_to_the_docs():
    assert Client().get("/api/v1/")["Location"] == "/api/docs/"


@pytest.mark.django_db
def test_signing_in_without_next_lands_on_the_start_page(make_user):
    make_user(Role.SUPPORT, username="sam")

    response = Client().post("/accounts/login/", {"username": "sam", "password": "pw-for-tests"})

    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_load_nothing_from_outside_and_their_files_ship_with_the_app(path):
    response = Client().get(path)
    page = response.content.decode()

    assert not EXTERNAL_URL.search(page), EXTERNAL_URL.search(page)
    # What their scripts add (Redoc's logo from its CDN) the browser may fetch from this site only.
    assert response["Content-Security-Policy"] == (
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'")
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', page)
    assert assets and all(finders.find(asset) for asset in assets)


@pytest.mark.django_db
def test_the_schema_has_one_tag_per_system():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    tags = {path: {tag for op in ops.values() for tag in op["tags"]} for path, ops in schema["paths"].items()}
    assert all(tags[path] == {path.split("/")[3]} for path in tags)
    assert [tag["name"] for tag in schema["tags"]] == ["shop", "crm", "mes"]


@pytest.mark.django_db(databases=["default", "mes"], transaction=True)
def test_the_admin_order_page_shows_seconds_operator_job_notes_and_a_working_model_link(
        api, customer, seller, operator):
    from django.contrib.auth.models import User

    order_id = submitted_order(api(customer), cube_stl(10))
    api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/")
    operator_steps(api(operator), order_id)
    api(seller).post(f"/api/v1/crm/orders/{order_id}/notes/", {"text": "Customer asked for gift wrap."}, format="json")
    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", password="pw-for-tests"))

    page = staff.get(f"/admin/shop/order/{order_id}/change/").content.decode()

    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page)  # times to the second
    assert f'href="/admin/auth/user/{operator.pk}/change/"' in page
    assert f'href="/admin/mes/manufacturingjob/?q={order_id}"' in page
    assert "Customer asked for gift wrap." in page
    model_link = f"/support/orders/{order_id}/model/"
    assert f'href="{model_link}"' in page and "/media/" not in page
    assert staff.get(model_link).status_code == 200


@pytest.mark.django_db(databases=["default", "mes"])
def test_the_admin_index_names_the_outboxes_in_plain_english():
    from django.contrib.auth.models import User

    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", password="pw-for-tests"))

    page = staff.get("/admin/").content.decode()

    assert "Shop outbox messages" in page and "MES outbox messages" in page
    assert "outboxs" not in page.lower()
