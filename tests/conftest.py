"""Shared fixtures: users in each role, API clients, an in-memory span exporter, model files."""

from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rest_framework.test import APIClient

from jewelry.roles import Role, create_user

BOTH_DATABASES = ["default", "mes"]


@pytest.fixture(scope="session")
def _memory_exporter():
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_memory_exporter):
    """The spans finished during the test (call ``spans.get_finished_spans()``)."""
    _memory_exporter.clear()
    yield _memory_exporter
    _memory_exporter.clear()


@pytest.fixture(autouse=True)
def _no_failed_logins_carried_over():
    """Failed sign-ins are counted in the cache (jewelry.login_throttle): each test starts afresh."""
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.LOGIN_THROTTLE_CACHE].clear()


@pytest.fixture(scope="session", autouse=True)
def _static_root():
    """WhiteNoise warns about a missing STATIC_ROOT, which importing settings does not make."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _metal_prices(request):
    """Transactional tests flush tables between tests; put the migrated price table back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or "mes" not in (marker.kwargs.get("databases") or []):
        return
    request.getfixturevalue("django_db_setup")
    from mes.metals import seed_metal_prices
    from mes.models import MetalPrice

    request.getfixturevalue("_django_db_helper")
    seed_metal_prices(MetalPrice)


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role: str, username: str | None = None):
        return create_user(username=username or f"{role}{next(counter)}", role=role, password="pw-for-tests")

    return make


@pytest.fixture
def customer(make_user):
    return make_user(Role.CUSTOMER)


@pytest.fixture
def other_customer(make_user):
    return make_user(Role.CUSTOMER)


@pytest.fixture
def seller(make_user):
    return make_user(Role.SELLER)


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR)


@pytest.fixture
def support(make_user):
    return make_user(Role.SUPPORT)


@pytest.fixture
def api():
    """``api(user)`` -> a DRF test client authenticated as ``user`` (``api(None)``: anonymous)."""

    def client_for(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for
