"""Property-based run over the OpenAPI schema (schemathesis): no input, valid or not, gets a 5xx,
and every refusal is documented: its status is in the schema and its body is ``{code, message}``.

In-process against the WSGI application, once per role, for an API-key partner and for
anonymous callers, with schema-conforming and schema-violating requests; order ids are
random or those of real orders in several states. Bounded (a few examples per operation)
and derandomized, so CI stays fast and a failure replays.
"""

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from jewelry.wsgi import application
from mes.models import ApiClient
from tests.flows import created_order, submitted_order

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)

EXAMPLES_PER_OPERATION = 8
PASSWORD = "pw-for-tests"  # tests.conftest.make_user


def basic_auth(user) -> dict:
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def refusal_is_documented(ctx, response, case):
    """A 4xx answer has a status the schema lists for the operation and the documented body."""
    if 400 <= response.status_code < 500:
        status_code_conformance(ctx, response, case)
        content_type_conformance(ctx, response, case)
        response_schema_conformance(ctx, response, case)
    return None


def operations(schema):
    return [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]


def cases_for(operation, order_ids: list[int]):
    """Valid and invalid requests; where a path takes an order id, real ones half of the time."""
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if "{order_id}" in operation.path:
        strategies += [operation.as_strategy(path_parameters={"order_id": order_id})
                       for order_id in order_ids]
    return st.one_of(strategies)


@pytest.fixture
def orders_in_several_states(api, customer, seller, operator):
    created = created_order(api(customer))
    priced = submitted_order(api(customer), cube_stl(10))
    started = submitted_order(api(customer), cube_stl(11))
    api(seller).post(f"/api/v1/crm/orders/{started}/approve/")
    api(operator).post(f"/api/v1/mes/orders/{started}/take/")
    return [created, priced, started]


def api_key_headers() -> dict:
    _, key = ApiClient.issue("fuzzing partner")
    return {"Authorization": f"Api-Key {key}"}


CALLERS = [Role.CUSTOMER, Role.SELLER, Role.OPERATOR, Role.SUPPORT, Role.DEVELOPER, Role.API_CLIENT, "anonymous"]


@pytest.mark.parametrize("caller", CALLERS)
def test_no_request_of_any_shape_gets_a_server_error(settings, make_user, caller, orders_in_several_states):
    # Every request authenticates with Basic auth: a cheap hasher keeps ~1000 logins fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if caller == "anonymous":
        headers = {}
    elif caller == Role.API_CLIENT:
        headers = api_key_headers()
    else:
        headers = basic_auth(make_user(caller))
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    tested = []

    for operation in operations(schema):
        @given(case=cases_for(operation, orders_in_several_states))
        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                             database=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, refusal_is_documented])

        no_server_error()  # a 5xx or an undocumented refusal fails here, with a curl line to replay it
        tested.append(operation.label)

    assert len(tested) >= 15  # the schema really was read: every API operation was exercised
