"""The session's user comes with its roles in one query (jewelry.auth.RolesBackend)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from jewelry.auth import RolesBackend
from jewelry.roles import Role, roles_of
from shop.models import Order

pytestmark = pytest.mark.django_db


def test_get_user_brings_every_role_in_one_query(make_user, django_assert_num_queries):
    user = make_user(Role.SELLER)
    user.groups.add(Group.objects.get_or_create(name=Role.SUPPORT)[0])
    user.groups.add(Group.objects.get_or_create(name="newsletter")[0])  # a group that is not a role

    with django_assert_num_queries(1):
        loaded = RolesBackend().get_user(str(user.pk))  # the session keeps the id as a string
        roles = roles_of(loaded)

    assert loaded.pk == user.pk and loaded.username == user.username
    assert roles == {Role.SELLER, Role.SUPPORT}


def test_a_user_in_no_group_has_no_roles(django_user_model, django_assert_num_queries):
    user = django_user_model.objects.create_user(username="nobody")

    with django_assert_num_queries(1):
        assert roles_of(RolesBackend().get_user(user.pk)) == frozenset()


def test_missing_inactive_and_malformed_users_are_nobody(make_user):
    inactive = make_user(Role.CUSTOMER)
    inactive.is_active = False
    inactive.save()

    assert RolesBackend().get_user(inactive.pk) is None
    assert RolesBackend().get_user(inactive.pk + 1000) is None
    assert RolesBackend().get_user("not-a-number") is None


def test_a_session_request_reads_the_user_and_roles_once(customer, django_assert_num_queries):
    Order.objects.create(customer=customer)
    client = Client()
    client.force_login(customer)

    with django_assert_num_queries(4) as queries:  # session, user with roles, the page and its count
        response = client.get("/api/v1/shop/orders/")

    assert response.status_code == 200
    group_reads = [query["sql"] for query in queries.captured_queries if "auth_group" in query["sql"]]
    assert len(group_reads) == 1 and group_reads[0].startswith('SELECT "auth_user".*')


def test_a_role_removed_takes_effect_on_the_next_request(customer):
    client = Client()
    client.force_login(customer)
    assert client.get("/api/v1/shop/orders/").status_code == 200

    customer.groups.clear()

    assert client.get("/api/v1/shop/orders/").status_code == 403
