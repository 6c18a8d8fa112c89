"""The real tracing backbone on loopback: our Collector distribution and Jaeger (built by
bin/build-backbone), Debian's Prometheus and Alertmanager, each started from the shipped config
(deploy/stack.py). The app runs as in production: gunicorn, a Celery worker and beat on
PostgreSQL and RabbitMQ, exporting over OTLP/HTTP with TLS and the bearer token.

Test-only changes, all through the configs' own settings: loopback addresses and ports, the
certificates of deploy/make-dev-certs.sh, tail sampling's decision wait (2 s, not 60 s) and
share (100%: these tests follow every order; test_tail_sampling runs a second Collector at the
shipped 10%), Prometheus' interval (2 s) and the alert rules' ``for`` (0 s) so that an alert
fires within a test's minute.
"""

from pathlib import Path

import pytest
import yaml

from deploy.stack import PROMETHEUS_RULES, Backbone
from tests.backbone.jaeger import Jaeger
from tests.e2e.app import running_app
from tests.e2e.conftest import app, caller  # noqa: F401 - the same fixtures over the real backbone
from tests.webhook import Webhook

TEST_COLLECTOR_ENV = {"TAIL_SAMPLING_DECISION_WAIT": "2s", "TAIL_SAMPLING_PERCENTAGE": "100"}


def rules_without_waiting(directory: Path) -> Path:
    """The shipped alert rules with every ``for`` at 0 s: the expressions are what is tested."""
    directory.mkdir(parents=True, exist_ok=True)
    for source in PROMETHEUS_RULES.glob("*.yml"):
        rules = yaml.safe_load(source.read_text())
        for group in rules["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = "0s"
        (directory / source.name).write_text(yaml.safe_dump(rules, sort_keys=False))
    return directory


@pytest.fixture(scope="session")
def webhook():
    with Webhook() as hook:
        yield hook


@pytest.fixture(scope="session")
def backbone(tmp_path_factory, webhook):
    """One backbone for every module (starting it costs seconds); a module that stops a part
    of it (test_faults) starts it again."""
    workdir = tmp_path_factory.mktemp("backbone")
    with Backbone(workdir, webhook_url=webhook.url, collector_env=TEST_COLLECTOR_ENV, interval="2s",
                  rules_dir=rules_without_waiting(workdir / "rules"), alert_group_wait="1s") as running:
        yield running


@pytest.fixture(scope="session")
def jaeger(backbone) -> Jaeger:
    return Jaeger(backbone.jaeger_query_url)


@pytest.fixture(scope="module")
def _running_app(django_db_setup, tmp_path_factory, backbone):
    exporting = backbone.app_env()
    with running_app(tmp_path_factory.mktemp("backbone-media"), exporting.pop("OTEL_EXPORTER_OTLP_ENDPOINT"),
                     **exporting) as web:
        yield web
