"""A price request's priority follows its customer's backlog.

docs/threat-model.md, "A fair share of pricing"; the queue itself is tested in tests/queue.
"""

from decimal import Decimal

import pytest

from jewelry.contracts import PriceRequested
from jewelry.sample_models import cube_stl
from shop import services
from shop.models import ShopOutbox
from shop.services import pricing_priority
from tests.flows import submitted_order
from tests.processes import publishing_to, purge_queues

IN_MEMORY_BROKER = "memory://"


@pytest.fixture
def published_not_priced():
    """Price requests go to an in-process broker instead of being priced at once: the orders keep waiting."""
    with publishing_to(IN_MEMORY_BROKER):
        yield
    purge_queues(IN_MEMORY_BROKER)  # the in-process queues outlive the test


def request_priority(order_id: int) -> int:
    return ShopOutbox.objects.get(order_id=order_id, task_name=PriceRequested.name).priority


def test_a_customer_s_first_waiting_order_gets_the_top_priority_and_each_further_one_less():
    assert [pricing_priority(waiting=waiting) for waiting in (0, 1, 2, 8, 9)] == [9, 8, 7, 1, 0]


def test_priority_never_goes_below_zero():
    assert pricing_priority(waiting=10) == pricing_priority(waiting=10_000) == 0


def test_with_the_fair_share_off_every_request_has_the_same_priority(settings):
    settings.PRICING_FAIR_SHARE = False

    assert {pricing_priority(waiting=waiting) for waiting in (0, 1, 50)} == {0}


@pytest.mark.django_db(databases=["default", "mes"], transaction=True)
def test_submit_ranks_a_price_request_behind_its_customer_s_own_waiting_orders_only(
        api, customer, other_customer, published_not_priced):
    backlog = [submitted_order(api(customer), cube_stl(10)) for _ in range(3)]
    other = submitted_order(api(other_customer), cube_stl(10))

    assert [request_priority(order_id) for order_id in backlog] == [9, 8, 7]
    assert request_priority(other) == 9  # another customer's backlog does not count


@pytest.mark.django_db(databases=["default", "mes"], transaction=True)
def test_priced_and_refused_orders_no_longer_count_as_waiting(api, customer, published_not_priced):
    priced, refused = (submitted_order(api(customer), cube_stl(10)) for _ in range(2))
    services.record_price(order_id=priced, price=Decimal("1081.00"), submission=1)
    services.record_pricing_failure(order_id=refused, error_code="model_not_watertight",
                                    error_message="The model is open.", submission=1)
    latest = submitted_order(api(customer), cube_stl(10))

    assert request_priority(refused) == 8  # it was waiting behind the first when it was submitted
    assert request_priority(latest) == 9
