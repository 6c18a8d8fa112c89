"""Queue tests run on the real broker: this process publishes to it, a real worker consumes."""

import pytest
from django.test import override_settings

from tests.processes import celery_worker, process_env, publishing_to, purge_queues


@pytest.fixture
def broker():
    """Empty system queues, and this process publishing to RabbitMQ instead of running tasks eagerly."""
    purge_queues()
    with publishing_to() as app:
        yield app
    purge_queues()


@pytest.fixture(scope="module")
def _module_worker(django_db_setup, tmp_path_factory):
    # One worker per module (starting and stopping one costs ~3 s); its media
    # directory is shared by the module's tests through the ``worker`` fixture.
    media_root = tmp_path_factory.mktemp("worker-media")
    with override_settings(MEDIA_ROOT=media_root):
        env = process_env(OUTBOX_RELAY_GRACE_SECONDS=0)
        with celery_worker(env=env) as running:
            running.media_root = media_root
            yield running


@pytest.fixture
def worker(_module_worker, broker, settings):
    """A real worker on both system queues, reading this test's uploads; it relays pending rows at once."""
    settings.MEDIA_ROOT = _module_worker.media_root
    return _module_worker
