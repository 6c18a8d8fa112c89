"""What a customer reads when pricing refuses or fails: our words from codes, never an exception's text.

The exception itself goes on the span, as an exception event, for developers.
"""

import pytest

from jewelry.lifecycle import OrderStatus as S
from jewelry.sample_models import cube_stl
from mes import geometry
from tests.flows import submitted_order

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

EXCEPTION_WORDS = ("Error", "Exception", "Traceback", "int too large", "(")


def shown_to_customer(client, order_id: int) -> dict:
    return client.get(f"/api/v1/shop/orders/{order_id}/").json()


def test_obj_face_index_of_2_to_the_63_is_unreadable_and_no_exception_text_is_shown(api, customer):
    shop = api(customer)
    obj = f"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 {2**63}\n".encode()

    order_id = submitted_order(shop, obj, name="ring.obj")

    shown = shown_to_customer(shop, order_id)
    assert (shown["status"], shown["error_code"], shown["price"]) == (S.SUBMITTED, "model_unreadable", None)
    assert not any(word in shown["error_message"] for word in EXCEPTION_WORDS), shown["error_message"]


def test_unforeseen_error_shows_our_message_and_puts_the_exception_on_the_span(api, customer, spans,
                                                                               monkeypatch):
    def overflowing(*args, **kwargs):
        raise OverflowError("Python int too large to convert to C long")

    monkeypatch.setattr(geometry, "measure_model", overflowing)
    shop = api(customer)

    order_id = submitted_order(shop, cube_stl(10))

    shown = shown_to_customer(shop, order_id)
    assert shown["error_code"] == "pricing_failed"
    assert not any(word in shown["error_message"] for word in EXCEPTION_WORDS), shown["error_message"]
    events = [event for span in spans.get_finished_spans() for event in span.events if event.name == "exception"]
    assert any(event.attributes["exception.type"] == "OverflowError" for event in events)
