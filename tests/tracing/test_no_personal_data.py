"""No personal data in any span: a whole order flow by people with real-looking names, emails,
phones and passwords, who type them wherever they can (file names, notes, engraving-like
fields, filters, refused values), leaves none of it in any span name, attribute, event,
status, link or resource."""

import base64

import pytest
from rest_framework.test import APIClient

from crm.models import OrderNote
from jewelry.contracts import OrderPriced, PriceRequested
from jewelry.roles import Role, create_user
from jewelry.sample_models import cube_stl
from shop.models import Order
from tests.flows import upload
from tests.tracing.helpers import everything_said

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

PEOPLE = {
    Role.CUSTOMER: ("amelia.hartley", "Amelia", "Hartley", "amelia.hartley@example.com", "+44 20 7946 0958"),
    Role.SELLER: ("oliver.brandt", "Oliver", "Brandt", "o.brandt@jewels.example", "+49 30 901820"),
    Role.OPERATOR: ("sofia.marquez", "Sofía", "Márquez", "sofia.marquez@workshop.example", "+34 912 345 678"),
}
PASSWORD = "Opal-Sunrise-2291!"
STREET_ADDRESS = "221B Baker Street, London NW1 6XE"
DESIGN_MARKER = b"SIGNET-DESIGN-amelia-7f3a"
# Single words a person types: a surname in a file name and a filter, a name to engrave.
FILE_NAME = "Vasquez-Brandtmoor engagement ring.stl"
WORDS = ["Vasquez", "Brandtmoor", "Ottoline", "engagement"]


@pytest.fixture
def people(settings):
    """Real-looking users, signing in with HTTP Basic (credentials in every request's headers)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast checks per request
    clients, personal = {}, [PASSWORD, STREET_ADDRESS, DESIGN_MARKER.decode(), FILE_NAME, *WORDS]
    for role, (username, first, last, email, phone) in PEOPLE.items():
        user = create_user(username=username, role=role, password=PASSWORD)
        user.first_name, user.last_name, user.email = first, last, email
        user.save()
        credentials = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
        clients[role] = APIClient(HTTP_AUTHORIZATION=f"Basic {credentials}",
                                  HTTP_COOKIE=f"sessionid=session-of-{username}")
        personal += [username, first, last, email, phone, credentials, f"session-of-{username}"]
    return clients, personal


def run_order_flow(clients) -> int:
    shop, crm, mes = clients[Role.CUSTOMER], clients[Role.SELLER], clients[Role.OPERATOR]
    customer_phone, customer_email = PEOPLE[Role.CUSTOMER][4], PEOPLE[Role.CUSTOMER][3]
    # Refused first: the customer's e-mail where a metal belongs (the refusal's span must not say it).
    assert shop.post("/api/v1/shop/orders/", {"metal": customer_email}, format="json").status_code == 400
    created = shop.post("/api/v1/shop/orders/", {
        "metal": "gold_18k", "email": customer_email, "phone": customer_phone, "deliver_to": STREET_ADDRESS,
        "engraving": "Ottoline", "inscription": {"inside": "Amelia Hartley"}, "contact": customer_email,
    }, format="json")
    order_id = created.json()["id"]
    assert upload(shop, order_id, b"x", "ring.Vasquez").status_code == 400  # the extension is theirs too
    upload(shop, order_id, DESIGN_MARKER.ljust(80) + cube_stl(10)[80:], FILE_NAME)
    shop.post(f"/api/v1/shop/orders/{order_id}/submit/?ref={customer_email}")
    crm.post(f"/api/v1/crm/orders/{order_id}/notes/", {
        "text": f"Called Amelia Hartley on {customer_phone}, confirm by mail to {customer_email}; "
                f"ships to {STREET_ADDRESS}"}, format="json")
    crm.get("/api/v1/crm/orders/", {"q": "Hartley", "customer_email": customer_email})
    assert crm.get("/api/v1/crm/orders/", {"customer": "Vasquez"}).status_code == 400
    assert crm.get("/api/v1/crm/orders/", {"status": customer_email}).status_code == 400
    crm.get("/api/v1/crm/orders/", {"Brandtmoor": "1", "created_after": "2026-01-01T00:00:00Z"})
    crm.post(f"/api/v1/crm/orders/{order_id}/approve/")
    for step in ("take", "complete", "packaging", "ship"):
        mes.post(f"/api/v1/mes/orders/{order_id}/{step}/")
    crm.post(f"/api/v1/crm/orders/{order_id}/close/")
    shop.post(f"/api/v1/shop/orders/{order_id}/submit/")  # refused: an error span too
    return order_id


def test_no_span_of_a_whole_order_flow_carries_personal_data(people, spans, monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", ".*")
    clients, personal = people

    order_id = run_order_flow(clients)

    # The flow really ran and really carried the personal data through the system.
    assert clients[Role.SELLER].get(f"/api/v1/crm/orders/{order_id}/").json()["status"] == "CLOSED"
    assert PEOPLE[Role.CUSTOMER][4] in OrderNote.objects.get(order_id=order_id).text
    assert Order.objects.get(pk=order_id).model_file_name == FILE_NAME
    finished = spans.get_finished_spans()
    assert {"POST api/v1/shop/orders/<id:order_id>/submit/", f"run/{PriceRequested.name}",
            f"run/{OrderPriced.name}",
            "POST api/v1/crm/orders/<id:order_id>/close/"} <= {span.name for span in finished}
    said = [text.lower() for span in finished for text in everything_said(span)]
    leaks = {value for value in personal for text in said if value.lower() in text}
    assert leaks == set()
