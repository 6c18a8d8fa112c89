"""Health endpoints: liveness answers without touching anything, readiness checks both databases,
the broker and storage for real, and says 503 with the one that is down."""

import os
import socket

import pytest
from django.db import connections
from django.test import Client

from jewelry.celery import app as celery_app


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_liveness_answers_without_a_database():
    # no django_db mark: any query here would fail the test
    response = Client().get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(databases=["default", "mes"])
def test_readiness_is_ok_when_every_dependency_answers(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", os.environ["TEST_BROKER_URL"])

    response = Client().get("/health/")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert set(checks) == {"shop_database", "mes_database", "broker", "storage"}
    assert all(check["ok"] for check in checks.values())


@pytest.mark.django_db(databases=["default", "mes"], transaction=True)
def test_readiness_fails_when_the_mes_database_is_unreachable():
    mes = connections["mes"]
    real_port = mes.settings_dict["PORT"]
    mes.close()
    mes.settings_dict["PORT"] = closed_port()
    try:
        response = Client().get("/health/")
    finally:
        mes.close()
        mes.settings_dict["PORT"] = real_port

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["message"] == "Not ready: mes_database unreachable."
    assert body["checks"]["mes_database"] == {"ok": False, "error": "OperationalError",
                                              "seconds": body["checks"]["mes_database"]["seconds"]}
    assert body["checks"]["shop_database"]["ok"] is True


@pytest.mark.django_db(databases=["default", "mes"])
def test_readiness_fails_when_the_broker_is_unreachable(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", f"amqp://guest:guest@127.0.0.1:{closed_port()}//")

    response = Client().get("/health/")

    assert response.status_code == 503
    assert response.json()["message"] == "Not ready: broker unreachable."


def test_health_endpoints_refuse_writes():
    assert Client().post("/health/live/").status_code == 405
