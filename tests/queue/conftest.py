"""Queue tests run on the real broker: this process publishes to it, a real worker consumes."""

import pytest

from tests.processes import celery_worker, process_env, publishing_to, purge_queues


@pytest.fixture
def broker():
    """Empty system queues, and this process publishing to RabbitMQ instead of running tasks eagerly."""
    purge_queues()
    with publishing_to() as app:
        yield app
    purge_queues()


@pytest.fixture
def worker(broker):
    """A real worker on both system queues; it relays every pending outbox row when asked."""
    with celery_worker(env=process_env(OUTBOX_RELAY_GRACE_SECONDS=0)) as running:
        yield running
