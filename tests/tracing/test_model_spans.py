"""The 3D model is described on spans by format, size, checksum and, once priced, its
geometry; its bytes and the name the customer gave it never are."""

import hashlib

import pytest

from jewelry.contracts import PriceRequested
from jewelry.sample_models import cube_stl
from tests.flows import submitted_order
from tests.tracing.helpers import everything_said, one
from tracing import attributes as A

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

UPLOAD = "POST api/v1/shop/orders/<id:order_id>/model/"
PRICING = f"run/{PriceRequested.name}"


def test_upload_span_carries_format_size_and_sha256_but_not_the_file_name(api, customer, spans):
    model = cube_stl(10)

    submitted_order(api(customer), model, name="Vasquez-Brandtmoor signet ring.STL")

    upload = one(spans.get_finished_spans(), UPLOAD)
    assert not [text for text in everything_said(upload) if "vasquez" in text.lower()]
    assert {key: value for key, value in upload.attributes.items() if key.startswith("model.")} == {
        A.MODEL_FORMAT: "stl",
        A.MODEL_SIZE: len(model),
        A.MODEL_SHA256: hashlib.sha256(model).hexdigest(),
    }


def test_pricing_span_carries_volume_triangle_count_and_bounding_box(api, customer, spans):
    order_id = submitted_order(api(customer), cube_stl(20))

    pricing = one(spans.get_finished_spans(), PRICING)
    assert pricing.attributes[A.ORDER_ID] == order_id
    assert pricing.attributes[A.MODEL_VOLUME] == pytest.approx(8000.0)
    assert pricing.attributes[A.MODEL_TRIANGLE_COUNT] == 12
    assert list(pricing.attributes[A.MODEL_BBOX]) == pytest.approx([20.0, 20.0, 20.0])
    assert pricing.attributes[A.MODEL_WATERTIGHT] is True
    assert pricing.attributes[A.ORDER_PRICE] == "7808.00"  # 8 cm3 x 15.5 g/cm3 x 62.00 + 120.00


def test_no_span_carries_the_model_bytes(api, customer, spans):
    model = b"SECRET-DESIGN-7f3a9c".ljust(80) + cube_stl(10)[80:]  # the STL header is free text

    submitted_order(api(customer), model)

    said = "\n".join(text for span in spans.get_finished_spans() for text in everything_said(span))
    assert "SECRET-DESIGN-7f3a9c" not in said
    assert model.hex()[:64] not in said
