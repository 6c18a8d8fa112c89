"""A database drops its connections (a restart, a fail-over, a proxy's idle timeout) while gunicorn
keeps them open (CONN_MAX_AGE): the next request is answered, not a 500 (issue #21, finding 7).

Real gunicorn, real PostgreSQL: the test terminates the worker's server-side sessions.
"""

import pytest
import requests
from django.db import connections

from jewelry.roles import Role
from tests.processes import gunicorn_server, process_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

PASSWORD = "pw-for-tests"  # tests.conftest.make_user


def terminate_other_sessions(alias: str) -> int:
    """Cut every session of ``alias``'s database but the test's own, as a database restart would."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_requests_after_the_databases_dropped_their_connections_are_answered(make_user):
    customer, operator = make_user(Role.CUSTOMER), make_user(Role.OPERATOR)
    shop, mes = requests.Session(), requests.Session()
    shop.auth, mes.auth = (customer.username, PASSWORD), (operator.username, PASSWORD)
    with gunicorn_server(env=process_env(DATABASE_CONN_MAX_AGE=60), workers=1) as web:
        before = [shop.get(f"{web.url}/api/v1/shop/orders/"), mes.get(f"{web.url}/api/v1/mes/queue/")]

        cut = {alias: terminate_other_sessions(alias) for alias in ("default", "mes")}
        after = [shop.get(f"{web.url}/api/v1/shop/orders/"), mes.get(f"{web.url}/api/v1/mes/queue/")]

    assert [response.status_code for response in before] == [200, 200]
    assert cut["default"] >= 1 and cut["mes"] >= 1, cut  # the worker's kept connections were cut
    assert [response.status_code for response in after] == [200, 200], [r.text[:200] for r in after]
