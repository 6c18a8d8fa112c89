"""Health endpoints: liveness (the process answers) and readiness (both databases, the broker, storage).

Probes and the availability checks of deploy/ read these; they query nothing of the business
and carry no personal data. A failed readiness check is 503 with the shape of every refusal.
"""

import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jewelry.api import error_body
from jewelry.routers import MES_DB

# a name that no upload uses: storage answers whether it exists, which needs it reachable
_STORAGE_PROBE_NAME = "health/probe"


def _database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from jewelry.celery import app

    if app.conf.broker_url.startswith("memory://"):
        return  # eager demo: no broker to reach
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS)


def _storage() -> None:
    default_storage.exists(_STORAGE_PROBE_NAME)


CHECKS = {
    "shop_database": lambda: _database("default"),
    "mes_database": lambda: _database(MES_DB),
    "broker": _broker,
    "storage": _storage,
}


def _run(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the class says which
        result = {"ok": False, "error": type(exc).__name__}
    else:
        result = {"ok": True}
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


@never_cache
@require_GET
def live(request):
    """The process answers: restart it if this fails, nothing else is looked at."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """Every dependency answers: send traffic only while this is 200."""
    results = {name: _run(check) for name, check in CHECKS.items()}
    down = sorted(name for name, result in results.items() if not result["ok"])
    if down:
        body = error_body("not_ready", "Not ready: " + ", ".join(down) + " unreachable.", checks=results)
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "checks": results})
