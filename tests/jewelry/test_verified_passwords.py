"""HTTP Basic hashes a user's password once, not on every request (jewelry.verified_passwords).

The hasher's ``verify`` is counted: it is the ~300 ms of CPU a request used to pay.
"""

import base64

import pytest
from django.contrib.auth.hashers import get_hasher
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # tests/conftest.py make_user
ORDERS = "/api/v1/shop/orders/"


def basic(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def hashings(monkeypatch) -> list:
    """One entry per password the default hasher verifies."""
    hasher = type(get_hasher())
    calls, verify = [], hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda self, password, encoded: calls.append(1) or verify(
        self, password, encoded))
    return calls


def get(username: str, password: str) -> int:
    return Client().get(ORDERS, **basic(username, password)).status_code


def test_the_second_basic_request_does_not_hash_the_password(customer, hashings):
    statuses = [get(customer.username, PASSWORD) for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert len(hashings) == 1


def test_a_changed_password_is_checked_again_at_once(customer, hashings):
    assert get(customer.username, PASSWORD) == 200
    customer.set_password("a-new-password")
    customer.save()

    assert get(customer.username, PASSWORD) == 401
    assert get(customer.username, "a-new-password") == 200
    assert len(hashings) == 3


def test_a_wrong_password_is_never_remembered(customer, hashings):
    statuses = [get(customer.username, "guess") for _ in range(3)]

    assert statuses == [401, 401, 401]
    assert len(hashings) == 3


def test_a_deactivated_user_is_refused_though_their_password_was_verified(customer, hashings):
    assert get(customer.username, PASSWORD) == 200
    customer.is_active = False
    customer.save()

    assert get(customer.username, PASSWORD) == 401


def test_another_users_password_is_no_key_to_this_one(customer, other_customer, hashings):
    other_customer.set_password(PASSWORD)
    other_customer.save()
    assert get(other_customer.username, PASSWORD) == 200

    assert get(customer.username, PASSWORD) == 200
    assert len(hashings) == 2


def test_the_throttle_still_locks_a_remembered_password_out(customer, settings):
    settings.LOGIN_FAILURES_PER_USER = 3
    assert get(customer.username, PASSWORD) == 200
    for _ in range(3):
        get(customer.username, "guess")

    assert get(customer.username, PASSWORD) == 429
