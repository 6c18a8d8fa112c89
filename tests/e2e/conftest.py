"""The app as it runs in production: gunicorn (preloaded, forked workers) and a Celery prefork
worker on RabbitMQ and PostgreSQL, exporting over real OTLP/HTTP to a receiver this test runs.

One set of processes per module (starting them costs seconds); every test makes its own
order, so tests find their traces by order id.
"""

import pytest

from tests.e2e.app import Caller, running_app
from tests.otlp_receiver import OtlpReceiver


@pytest.fixture(scope="module")
def otlp():
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def app_env() -> dict:
    """Extra environment of the app's processes; a module overrides it to run them differently."""
    return {}


@pytest.fixture(scope="module")
def _running_app(django_db_setup, tmp_path_factory, otlp, app_env):
    with running_app(tmp_path_factory.mktemp("e2e-media"), otlp.endpoint, **app_env) as web:
        yield web


@pytest.fixture
def app(_running_app, settings):
    """The running web app (``.url``, ``.worker``), sharing its media directory with this test."""
    settings.MEDIA_ROOT = _running_app.media_root
    return _running_app


@pytest.fixture
def caller(app):
    """``caller(user)`` -> a Caller signed in as ``user`` against the running app."""
    return lambda user: Caller(app.url, user)
