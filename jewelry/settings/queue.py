"""The message queue (Celery over RabbitMQ; eager in-process without a broker) and lost orders."""

from django.core.exceptions import ImproperlyConfigured

from jewelry.settings.base import VAR_DIR
from jewelry.settings.env import env

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Price requests are ordered by their customer's backlog, a customer's first waiting order before
# anyone's second (docs/threat-model.md, "A fair share of pricing"); off: first come, first served.
PRICING_FAIR_SHARE = env.bool("PRICING_FAIR_SHARE", default=True)
# Celery's default (None) is one child per CPU of the node; a pod sets it from its CPU request.
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=None)
# A lost broker connection requeues the unacknowledged message anyway: stop its task
# rather than let the redelivery run next to it (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
# A request publishing after commit must not wait long for a dead broker: the
# outbox row keeps the message and the relay sends it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
# Celery's Django fix-up closes every database connection around each task unless told to
# reuse them; a new PostgreSQL connection per task took a quarter of a worker's time
# (benchmarks/README.md). jewelry.celery still drops broken or old ones before each task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# beat's schedule state goes with the other writable files, never into the checkout; its
# scheduler makes the folder when it opens the file (jewelry.beat.BeatScheduler).
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULER = "jewelry.beat.BeatScheduler"
OUTBOX_RELAY_INTERVAL_SECONDS = env.float("OUTBOX_RELAY_INTERVAL_SECONDS", default=30.0)
OUTBOX_RELAY_GRACE_SECONDS = env.float("OUTBOX_RELAY_GRACE_SECONDS", default=10.0)
# A model whose pricing kills the worker (out of memory, a crash in native code) comes back
# with every redelivery; after this many unfinished runs MES refuses it instead (docs/messages.md).
PRICING_CRASH_LIMIT = env.int("PRICING_CRASH_LIMIT", default=3)
# Time limits of every task, in seconds (docs/threat-model.md): at the soft limit the task is
# interrupted and records why; the hard limit kills the pool process if that did not end it.
# Pricing's soft limit ends as a refusal (model_too_complex); the largest accepted model
# prices in about 20 s. Tasks that need longer say so on their contract (jewelry/contracts.py,
# ``time_limits``); override per task name with TASK_TIME_LIMITS_SECONDS="<task name>=30:45".
TASK_TIME_LIMITS_SECONDS = {
    "*": (30.0, 60.0),  # every other task: a few database writes or a publish
} | {
    name: tuple(float(seconds) for seconds in limits.split(":"))
    for name, limits in env.dict("TASK_TIME_LIMITS_SECONDS", default={}).items()
}
if any(soft > hard for soft, hard in TASK_TIME_LIMITS_SECONDS.values()):
    # Celery refuses to publish such a task: every message to it would be lost at the sender.
    raise ImproperlyConfigured("TASK_TIME_LIMITS_SECONDS: a soft limit is over its hard limit.")

# --- lost orders (docs/lost-orders.md): how long an order may stay in a status -------
STUCK_ORDER_SCAN_INTERVAL_SECONDS = env.float("STUCK_ORDER_SCAN_INTERVAL_SECONDS", default=300.0)
_DAY = 86400
# Statuses left out (INITIATED, FILE_UPLOADED, final ones) wait for nobody but the customer.
# Override some with STUCK_ORDER_DEADLINES_SECONDS="SUBMITTED=600,SHIPPED=864000".
STUCK_ORDER_DEADLINES_SECONDS = {
    "SUBMITTED": 15 * 60,  # MES prices in seconds; 15 min means a message went missing
    "PRICE_CALCULATED": 3 * _DAY,  # the seller confirms the price with the customer
    "MANUFACTURING_APPROVED": 2 * _DAY,  # an operator takes it into work
    "MANUFACTURING_STARTED": 10 * _DAY,
    "MANUFACTURING_COMPLETED": 2 * _DAY,
    "PACKAGING": 2 * _DAY,
    "SHIPPED": 21 * _DAY,  # delivered, then the seller closes it
} | {
    status: float(seconds)
    for status, seconds in env.dict("STUCK_ORDER_DEADLINES_SECONDS", default={}).items()
}
