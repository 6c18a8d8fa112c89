"""Prometheus config, alert rules (promtool) and Alertmanager routing."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from jewelry.contracts import PriceRequested

from .alerting import ALERTMANAGER_CONFIG, render_alertmanager_config
from .conftest import DEPLOY, TRACING_SERVICES, load_yaml, require_tool
from .metric_names import known_metric_names, metric_names

PROMETHEUS_DIR = DEPLOY / "prometheus"
RULES = PROMETHEUS_DIR / "rules" / "alexandrite.yml"
RULE_TESTS = Path(__file__).parent / "prometheus" / "alexandrite_test.yml"


def _alerts(rules):
    return [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]


def test_alert_rules_pass_their_promtool_unit_tests():
    promtool = require_tool("promtool")
    result = subprocess.run(
        [promtool, "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_and_its_rules_are_valid(tmp_path):
    promtool = require_tool("promtool")
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    # the container path of the rules, pointed at the repository copy
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    config["rule_files"] = [str(PROMETHEUS_DIR / "rules" / "*.yml")]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [promtool, "check", "config", str(checked)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and str(RULES) in result.stdout


def test_every_alert_has_a_unit_test_that_sees_it_fire(alert_rules):
    tests = load_yaml(RULE_TESTS)
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in _alerts(alert_rules)} == fired


def test_alerts_cover_what_the_issue_asks_for(alert_rules):
    exprs = {rule["alert"]: rule["expr"] for rule in _alerts(alert_rules)}
    assert "STATUS_CODE_ERROR" in exprs["AlexandriteHighErrorRate"]
    assert f'span_name="run/{PriceRequested.name}"' in exprs["AlexandritePricingSlow"]
    assert 'order_status="SUBMITTED"' in exprs["AlexandriteSubmittedOrdersNotPriced"]
    assert "alexandrite_orders_stuck" in exprs["AlexandriteOrdersStuck"]
    pipeline = " ".join(exprs.values())
    for metric in (
        "otelcol_receiver_refused_spans",
        "otelcol_exporter_enqueue_failed_spans",
        "otelcol_exporter_send_failed_spans",
        "otelcol_exporter_queue_capacity",
    ):
        assert metric in pipeline
    assert exprs["TracingComponentDown"].replace(" ", "") == 'up{tier="tracing"}==0'


def test_alerts_use_only_metric_names_the_stack_exports(alert_rules):
    known = known_metric_names()
    for rule in _alerts(alert_rules):
        assert metric_names(rule["expr"]) <= known, rule["alert"]


def test_every_tracing_component_is_scraped_and_marked_as_tracing(compose):
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    scraped = set()
    for job in config["scrape_configs"]:
        if job["job_name"] in ("rabbitmq", "web-availability"):
            # tier app: the broker's queue consumers (test_the_broker_s_consumers_are_scraped) and
            # the web app's readiness probe (test_availability_probe.py)
            continue
        for group in job["static_configs"]:
            assert group["labels"]["tier"] == "tracing", job["job_name"]
            for target in group["targets"]:
                host = target.split(":")[0]
                scraped.add("prometheus" if host == "localhost" else host)
    assert set(TRACING_SERVICES) <= scraped
    prometheus_networks = set(compose["services"]["prometheus"]["networks"])
    for host in scraped:
        assert prometheus_networks & set(compose["services"][host]["networks"]), host
    alertmanagers = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanagers == ["alertmanager:9093"]


def _routes(route):
    yield route
    for child in route.get("routes", []):
        yield from _routes(child)


def test_every_alert_reaches_a_defined_receiver(alert_rules):
    config = yaml.safe_load(render_alertmanager_config("http://webhook.invalid/"))
    defined = {receiver["name"] for receiver in config["receivers"]}
    routes = list(_routes(config["route"]))
    used = {route["receiver"] for route in routes}
    assert used == defined
    matchers = " ".join(m for route in routes for m in route.get("matchers", []))
    for rule in _alerts(alert_rules):
        assert f'team="{rule["labels"]["team"]}"' in matchers, rule["alert"]
        expected = ("heartbeat",) if rule["alert"] == "Watchdog" else ("critical", "warning")
        assert rule["labels"]["severity"] in expected, rule["alert"]


def test_every_receiver_is_the_one_configured_webhook():
    config = yaml.safe_load(render_alertmanager_config("http://webhook.invalid/a", "http://beat.invalid/h"))
    urls = {r["name"]: [w["url"] for w in r["webhook_configs"]] for r in config["receivers"]}
    assert urls.pop("heartbeat") == ["http://beat.invalid/h"]
    assert {url for receiver_urls in urls.values() for url in receiver_urls} == {"http://webhook.invalid/a"}
    assert "${ALERT_WEBHOOK_URL}" in ALERTMANAGER_CONFIG.read_text()


def test_the_issue_s_dead_mans_switches_and_watchdog_exist(alert_rules):
    exprs = {rule["alert"]: rule["expr"] for rule in _alerts(alert_rules)}
    assert "absent(alexandrite_orders_stuck)" in exprs["AlexandriteStuckOrderDetectorSilent"]
    assert 'service_name="alexandrite-beat"' in exprs["AlexandriteBeatSilent"]
    for queue in ("mes.orders", "mes.pricing", "shop.events"):
        assert f'absent(rabbitmq_detailed_queue_consumers{{queue="{queue}"}})' in exprs[
            "AlexandriteQueueWithoutConsumers"]
    assert exprs["Watchdog"].strip() == "vector(1)"
    assert "alexandrite_order_errors_total" in exprs["AlexandriteOrderFailures"]


def test_order_transition_metrics_are_filtered_to_the_order_record(alert_rules):
    # MES's own job moves are counted under the same names (alexandrite_transition_record="mes_job")
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "alexandrite-orders.json").read_text())
    exprs = [rule["expr"] for group in alert_rules["groups"] for rule in group["rules"]]
    exprs += [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", []) if "expr" in t]
    metric = re.compile(r"alexandrite_order_(transitions_total|stage_duration_seconds)\w*(\{[^}]*\})?")
    uses = [match for expr in exprs for match in metric.finditer(expr)]
    assert uses
    for use in uses:
        assert 'alexandrite_transition_record="order"' in (use[2] or ""), use[0]


def test_alertmanager_config_is_valid(tmp_path):
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.skip("amtool is not installed (Debian package prometheus-alertmanager)")
    rendered = Path(tmp_path) / "alertmanager.yml"
    rendered.write_text(render_alertmanager_config("https://chat.example.internal/hooks/alexandrite"))
    result = subprocess.run(
        [amtool, "check-config", str(rendered)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_broker_s_consumers_are_scraped(compose):
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "rabbitmq"]
    assert job["params"]["family"] == ["queue_consumer_count"]  # rabbitmq_detailed_queue_consumers
    assert job["static_configs"][0]["targets"] == ["rabbitmq:15692"]
    services = compose["services"]
    assert set(services["prometheus"]["networks"]) & set(services["rabbitmq"]["networks"])
