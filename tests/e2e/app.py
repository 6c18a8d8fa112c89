"""The app under test, as its users and operators reach it: processes exporting over OTLP, and
HTTP callers signed in the way a browser is."""

import contextlib

import requests
from django.conf import settings
from django.test import Client, override_settings
from django.utils.crypto import get_random_string

from tests.processes import celery_worker, gunicorn_server, process_env, purge_queues

WEB_SERVICE = "alexandrite-web"
WORKER_SERVICE = "alexandrite-worker"
BEAT_SERVICE = "alexandrite-beat"
HTTP_TIMEOUT = 10


def traced_env(endpoint: str, service_name: str, **overrides) -> dict:
    """A process exporting every span over OTLP/HTTP to ``endpoint``, quickly, with its pid on its spans."""
    tracing = {
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
    return process_env(**{**tracing, **overrides})


@contextlib.contextmanager
def running_app(media_root, endpoint: str, **overrides):
    """gunicorn (two forked workers) and a Celery prefork worker exporting to ``endpoint``;
    yields the web server with ``.media_root`` and ``.worker``.

    No beat: its scheduled tasks would write while a transactional test's tables are flushed
    (a deadlock); a test that needs beat runs it within itself (``celery_beat``).
    """
    purge_queues()
    with override_settings(MEDIA_ROOT=media_root), \
            celery_worker(env=traced_env(endpoint, WORKER_SERVICE, **overrides)) as worker, \
            gunicorn_server(env=traced_env(endpoint, WEB_SERVICE, **overrides), workers=2) as web:
        web.media_root, web.worker = media_root, worker
        yield web
    purge_queues()


class Caller:
    """A signed-in person calling the running app over HTTP, as a browser does: session cookie + CSRF."""

    def __init__(self, base_url: str, user):
        client = Client()
        client.force_login(user)  # the session row is committed: the app's processes see it
        token = get_random_string(32)
        self.base_url = base_url
        self.http = requests.Session()
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, session)
        self.http.cookies.set(settings.CSRF_COOKIE_NAME, token)
        self.http.headers["X-CSRFToken"] = token

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)


def submit_order(shop: Caller, model: bytes) -> int:
    """Create an order, upload ``model`` and submit it over HTTP; returns the order id."""
    created = shop.post("/api/v1/shop/orders/", json={"metal": "gold_18k"})
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    uploaded = shop.post(f"/api/v1/shop/orders/{order_id}/model/", files={"file": ("ring.stl", model)})
    assert uploaded.status_code == 200, uploaded.text
    submitted = shop.post(f"/api/v1/shop/orders/{order_id}/submit/")
    assert submitted.status_code == 202, submitted.text
    return order_id
