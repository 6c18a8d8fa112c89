"""Settings for every environment, read from the environment once (``jewelry.settings.env``).

Defaults run a laptop demo with nothing installed (two SQLite files, tasks run eagerly
in-process, files on local disk, spans wherever OTEL_* says). Production differs only by
environment variables (README, "Production"); what ``DJANGO_ENV=production`` changes is
gathered in ``production``. Read the topics in this order: each defines its settings once,
with their final value, and may use only what an earlier one defined. Importing them
writes nothing: no folder, no ``os.environ``.
"""

# In reading order, not alphabetical: a later topic may use an earlier one's settings.
from jewelry.settings.base import *  # noqa: I001  paths, environment, apps, middleware
from jewelry.settings.databases import *  # the shop DB and the MES DB
from jewelry.settings.queue import *  # Celery, the outbox relay, time limits, lost orders
from jewelry.settings.storage import *  # model files, upload limits, static files
from jewelry.settings.api import *  # DRF and the OpenAPI schema
from jewelry.settings.security import *  # secret, sign-in, throttles, hostile requests
from jewelry.settings.tracing import *  # tracing, trace sources, logging
from jewelry.settings.production import *  # what DJANGO_ENV=production changes
