"""The app as it runs in production: gunicorn (preloaded, forked workers) and a Celery prefork
worker on RabbitMQ and PostgreSQL, exporting over real OTLP/HTTP to a receiver this test runs.

One set of processes per module (starting them costs seconds); every test makes its own
order, so tests find their traces by order id.
"""

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings
from django.utils.crypto import get_random_string

from tests.otlp_receiver import OtlpReceiver
from tests.processes import celery_worker, gunicorn_server, process_env, purge_queues

WEB_SERVICE = "alexandrite-web"
WORKER_SERVICE = "alexandrite-worker"
HTTP_TIMEOUT = 10


def traced_env(endpoint: str, service_name: str, **overrides) -> dict:
    """A process exporting every span over OTLP/HTTP to ``endpoint``, quickly, with its pid on its spans."""
    settings_ = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_SERVICE_NAME": service_name,
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_BSP_SCHEDULE_DELAY": 200,
        # process.pid on every span: proves which process (forked worker or not) sent it.
        "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "otel,process",
    }
    return process_env(**{**settings_, **overrides})


class Caller:
    """A signed-in person calling the running app over HTTP, as a browser does: session cookie + CSRF."""

    def __init__(self, base_url: str, user):
        client = Client()
        client.force_login(user)  # the session row is committed: the app's processes see it
        token = get_random_string(32)
        self.base_url = base_url
        self.http = requests.Session()
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
        self.http.cookies.set(settings.CSRF_COOKIE_NAME, token)
        self.http.headers["X-CSRFToken"] = token

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)


@pytest.fixture(scope="module")
def otlp():
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def _running_app(django_db_setup, tmp_path_factory, otlp):
    media_root = tmp_path_factory.mktemp("e2e-media")
    purge_queues()
    with override_settings(MEDIA_ROOT=media_root):
        worker_env = traced_env(otlp.endpoint, WORKER_SERVICE)
        web_env = traced_env(otlp.endpoint, WEB_SERVICE)
        with celery_worker(env=worker_env) as worker, gunicorn_server(env=web_env, workers=2) as web:
            web.media_root, web.worker = media_root, worker
            yield web
    purge_queues()


@pytest.fixture
def app(_running_app, settings):
    """The running web app (``.url``, ``.worker``), sharing its media directory with this test."""
    settings.MEDIA_ROOT = _running_app.media_root
    return _running_app


@pytest.fixture
def caller(app):
    """``caller(user)`` -> a Caller signed in as ``user`` against the running app."""
    return lambda user: Caller(app.url, user)
