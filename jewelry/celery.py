"""The Celery application: configured from Django settings (``CELERY_*``) and the message contracts."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jewelry.settings")

app = Celery("jewelry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _configure_topology(app: Celery) -> None:
    from jewelry.contracts import CONTRACTS
    from jewelry.messaging import EXCHANGE, QUEUES

    app.conf.task_queues = QUEUES
    app.conf.task_default_exchange = EXCHANGE.name
    app.conf.task_default_exchange_type = EXCHANGE.type
    app.conf.task_routes = {
        name: {"queue": c.route.queue, "exchange": c.route.exchange, "routing_key": c.route.routing_key}
        for name, c in CONTRACTS.items()
    }


_configure_topology(app)


def _configure_time_limits(app: Celery) -> None:
    """Every task gets its contract's ``time_limits``, or the ``"*"`` entry of ``TASK_TIME_LIMITS_SECONDS``;
    a task named in that setting (from the environment) gets the setting's limits instead."""
    from django.conf import settings

    from jewelry.contracts import CONTRACTS

    limits = {name: c.time_limits for name, c in CONTRACTS.items() if c.time_limits}
    limits |= settings.TASK_TIME_LIMITS_SECONDS
    app.conf.task_soft_time_limit, app.conf.task_time_limit = limits.pop("*")
    app.conf.task_annotations = {
        name: {"soft_time_limit": soft, "time_limit": hard} for name, (soft, hard) in limits.items()
    }


_configure_time_limits(app)


@signals.task_prerun.connect(weak=False)
def _drop_unusable_db_connections(sender=None, **kwargs):
    """What Django does around each request: connections are reused (CELERY_DB_REUSE_MAX), not broken ones."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return  # an eager task runs inside its caller's request or transaction
    from django.db import close_old_connections

    close_old_connections()


@app.on_after_configure.connect
def _schedule_maintenance(sender, **kwargs):
    from django.conf import settings

    from jewelry.contracts import DetectStuckOrders, RelayMesOutbox, RelayShopOutbox

    sender.conf.beat_schedule = {
        "relay-shop-outbox": {
            "task": RelayShopOutbox.name,
            "schedule": settings.OUTBOX_RELAY_INTERVAL_SECONDS,
        },
        "relay-mes-outbox": {
            "task": RelayMesOutbox.name,
            "schedule": settings.OUTBOX_RELAY_INTERVAL_SECONDS,
        },
        "detect-stuck-orders": {
            "task": DetectStuckOrders.name,
            "schedule": settings.STUCK_ORDER_SCAN_INTERVAL_SECONDS,
        },
    }
