"""Bad input of every kind gets a 4xx with {code, message} and leaves nothing half-written.

"Nothing half-written": after each refused request the rows of both databases, the
order itself and the files in storage are exactly as they were. Each test sweeps a
family of inputs over one set of fixtures (a transactional test's set-up costs ~1 s).
"""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import OrderNote
from jewelry.contracts import OrderPriced
from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl, zip_package
from mes.models import ManufacturingJob, MesOutbox
from shop.models import Order, OrderStatusChange, ShopOutbox
from tests.flows import created_order, submitted_order, upload
from tests.mes.models_fixtures import two_vertex_facet_stl

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

UNKNOWN = 987_654_321
HUGE_ID = 10**20  # beyond a bigint
HUGE_TEXT = "x" * 200_000


def snapshot(settings) -> dict:
    """Everything a refused request must leave alone."""
    return {
        "orders": list(Order.objects.order_by("pk").values()),
        "history": OrderStatusChange.objects.count(),
        "shop_outbox": ShopOutbox.objects.count(),
        "mes_outbox": MesOutbox.objects.count(),
        "jobs": list(ManufacturingJob.objects.order_by("pk").values()),
        "notes": OrderNote.objects.count(),
        "files": sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()),
    }


def assert_refused(case, response, status: int | None = None) -> dict:
    """A 4xx (``status`` if given) whose body is ``{code, message, ...}``; returns the body."""
    answer = (case, response.status_code, response.content[:300])
    assert 400 <= response.status_code < 500, answer
    assert status is None or response.status_code == status, answer
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"], answer
    assert isinstance(body.get("message"), str) and body["message"], answer
    return body


def sweep(settings, cases, send, status: int | None = None) -> list[dict]:
    """Send every case; each must be refused and leave everything as it was."""
    before = snapshot(settings)
    bodies = []
    for case in cases:
        bodies.append(assert_refused(case, send(case), status))
        assert snapshot(settings) == before, case
    return bodies


@pytest.fixture
def fresh_order(api, customer):
    return created_order(api(customer))


@pytest.fixture
def priced_order(api, customer):
    return submitted_order(api(customer), cube_stl(10))


# --- model files -------------------------------------------------------------------------

def test_wrong_model_files_are_refused_and_nothing_is_stored(api, customer, fresh_order, settings):
    settings.MODEL_UPLOAD_MAX_BYTES = 500
    cases = [
        ("ring.stl", b"", "model_empty"),
        ("ring.stl", cube_stl(10), "model_too_big"),  # 684 bytes
        ("ring.exe", b"MZ\x90\x00", "model_unsupported_format"),
        ("ring.png", b"\x89PNG\r\n\x1a\n", "model_unsupported_format"),
        ("ring", b"solid", "model_unsupported_format"),
        ("ring.stl.zip", b"PK\x03\x04", "model_unsupported_format"),
    ]

    bodies = sweep(settings, cases, lambda case: upload(api(customer), fresh_order, case[1], case[0]), 400)

    assert [body["code"] for body in bodies] == [code for _, _, code in cases]


def test_upload_without_a_usable_file_is_refused(api, customer, fresh_order, settings):
    url = f"/api/v1/shop/orders/{fresh_order}/model/"
    cases = [
        ({}, "multipart"),
        ({"file": "not a file but a string"}, "multipart"),
        ({"file": ""}, "multipart"),
        ({"other": SimpleUploadedFile("ring.stl", b"solid")}, "multipart"),
        ({"file": "c29saWQ="}, "json"),
    ]

    sweep(settings, cases, lambda case: api(customer).post(url, case[0], format=case[1]))


def test_new_model_for_a_priced_order_is_refused(api, customer, priced_order, settings):
    [body] = sweep(settings, ["replace"], lambda _: upload(api(customer), priced_order, cube_stl(12)), 409)

    assert body["code"] == "model_locked"


def test_files_that_cannot_be_models_are_refused_at_upload_and_nothing_is_stored(
        api, customer, fresh_order, settings):
    cases = [
        ("ring.stl", b"solid nonsense\nthis is not an stl at all"),  # text without vertices
        ("ring.stl", cube_stl(10)[:120]),  # truncated binary STL
        ("ring.stl", b"solid x\n vertex 0 0 0\x00\x01"),  # "ASCII" with a NUL byte
        ("ring.obj", b"\xff\xfe\x00garbage"),
        ("ring.obj", b"# only comments\nv 0 0 0\n"),  # no faces
        ("ring.3mf", b"PK\x03\x04 not really a zip"),
        ("ring.3mf", zip_package({"readme.txt": b"hello"})),  # a zip without a model part
    ]

    bodies = sweep(settings, cases, lambda case: upload(api(customer), fresh_order, case[1], case[0]), 400)

    assert {body["code"] for body in bodies} == {"model_unreadable"}


def test_models_only_pricing_can_find_broken_are_refused_by_pricing_and_nothing_is_priced(api, customer):
    # They pass the upload check; MES reads them whole and refuses them.
    cases = [
        ("ring.stl", two_vertex_facet_stl()),
        ("ring.obj", b"v 0 0 0\nv 1 0 0\nf 1 2 9\n"),  # a face with a missing vertex
        ("ring.3mf", zip_package({"3D/3dmodel.model": b"<model><resources>"})),  # broken XML
    ]
    for name, content in cases:
        order_id = submitted_order(api(customer), content, name=name)

        order = Order.objects.get(pk=order_id)
        assert (order.status, order.price) == (S.SUBMITTED, None), name
        assert order.error_code.startswith("model_") and order.error_message, (name, order.error_code)
        job = ManufacturingJob.objects.get(order_id=order_id)
        assert (job.stage, job.price, job.volume_mm3) == (S.SUBMITTED, None, None), name
        assert not MesOutbox.objects.filter(order_id=order_id, task_name=OrderPriced.name).exists()


# --- request bodies ------------------------------------------------------------------------

def test_create_order_with_wrong_json_types_is_refused(api, customer, settings):
    cases = [{"metal": 5}, {"metal": ["gold_18k"]}, {"metal": {"code": "gold_18k"}}, {"metal": None},
             {"metal": True}, {"metal": HUGE_TEXT}, [1, 2, 3], "gold_18k", 42, None]

    sweep(settings, cases, lambda body: api(customer).post(
        "/api/v1/shop/orders/", json.dumps(body), content_type="application/json"), 400)


def test_create_order_with_a_malformed_body_is_refused(api, customer, settings):
    cases = [("{", "application/json", 400), ('{"metal": "gold_18k"', "application/json", 400),
             ("\xff\xfe", "application/json", 400), ("metal=gold_18k", "text/plain", 415)]

    for raw, content_type, status in cases:
        sweep(settings, [raw], lambda _: api(customer).post(
            "/api/v1/shop/orders/", raw, content_type=content_type), status)


def test_bad_notes_are_refused(api, seller, priced_order, settings):
    cases = [{}, {"text": None}, {"text": ""}, {"text": "   "}, {"text": {"a": 1}}, {"text": ["a"]},
             {"text": "x" * 4001}, {"text": HUGE_TEXT}, {"text": "null byte \x00 inside"}]

    sweep(settings, cases, lambda body: api(seller).post(
        f"/api/v1/crm/orders/{priced_order}/notes/", body, format="json"), 400)


# --- query parameters ----------------------------------------------------------------------

def test_bad_crm_filters_are_refused(api, seller, priced_order, settings):
    cases = [{"customer": "abc"}, {"customer": HUGE_TEXT[:5000]}, {"status": "NOT_A_STATUS"},
             {"created_after": "yesterday"}, {"created_before": "2026-13-45T99:00:00"},
             {"page": "abc"}, {"page": "999999"}, {"page": "-1"}]

    for url in ("/api/v1/crm/orders/", "/api/v1/crm/stuck-orders/"):
        sweep(settings, cases, lambda query: api(seller).get(url, query))


# --- unknown and out-of-range ids ----------------------------------------------------------

ORDER_ENDPOINTS = [
    ("customer", "get", "/api/v1/shop/orders/{id}/"),
    ("customer", "post", "/api/v1/shop/orders/{id}/submit/"),
    ("customer", "post", "/api/v1/shop/orders/{id}/model/"),
    ("seller", "get", "/api/v1/crm/orders/{id}/"),
    ("seller", "post", "/api/v1/crm/orders/{id}/approve/"),
    ("seller", "post", "/api/v1/crm/orders/{id}/close/"),
    ("seller", "post", "/api/v1/crm/orders/{id}/cancel/"),
    ("seller", "post", "/api/v1/crm/orders/{id}/notes/"),
    ("operator", "get", "/api/v1/mes/orders/{id}/"),
    ("operator", "post", "/api/v1/mes/orders/{id}/take/"),
    ("operator", "post", "/api/v1/mes/orders/{id}/complete/"),
    ("operator", "post", "/api/v1/mes/orders/{id}/packaging/"),
    ("operator", "post", "/api/v1/mes/orders/{id}/ship/"),
]


def test_unknown_order_ids_are_404_and_change_nothing(api, customer, seller, operator, priced_order,
                                                      settings):
    users = {"customer": customer, "seller": seller, "operator": operator}
    cases = [(endpoint, order_id) for endpoint in ORDER_ENDPOINTS for order_id in (UNKNOWN, HUGE_ID, 0)]

    def send(case):
        (role, method, path), order_id = case
        if path.endswith("/model/"):
            data, body_format = {"file": SimpleUploadedFile("ring.stl", cube_stl(10))}, "multipart"
        else:
            data, body_format = {"text": "hello"}, "json"
        return getattr(api(users[role]), method)(path.format(id=order_id), data, format=body_format)

    sweep(settings, cases, send, 404)


def test_another_customers_order_is_not_found(api, other_customer, priced_order, settings):
    client = api(other_customer)
    cases = [lambda: client.get(f"/api/v1/shop/orders/{priced_order}/"),
             lambda: client.post(f"/api/v1/shop/orders/{priced_order}/submit/"),
             lambda: upload(client, priced_order, cube_stl(10))]

    sweep(settings, cases, lambda send: send(), 404)


def test_non_numeric_id_in_the_path_is_a_json_404(api, customer, settings):
    sweep(settings, ["abc", "1.5", "-1", "%00"],
          lambda order_id: api(customer).get(f"/api/v1/shop/orders/{order_id}/"), 404)
