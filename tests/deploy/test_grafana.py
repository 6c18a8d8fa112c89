"""The provisioned Grafana: data sources, the dashboard and where compose mounts them."""

import json
import re
import subprocess

import pytest
import yaml

from .conftest import DEPLOY, load_yaml, require_tool
from .metric_names import BUSINESS_METRICS, known_metric_names, metric_names

GRAFANA = DEPLOY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "alexandrite-orders.json"
# Grafana's own variables, replaced by a fixed range to check the PromQL
GRAFANA_VARIABLES = re.compile(r"\$__(rate_interval|interval|range)")


@pytest.fixture(scope="module")
def dashboard():
    return json.loads(DASHBOARD.read_text())


@pytest.fixture(scope="module")
def datasources():
    return load_yaml(GRAFANA / "provisioning" / "datasources" / "datasources.yml")["datasources"]


def _panels(dashboard):
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def _prometheus_queries(dashboard):
    return [
        target["expr"]
        for panel in _panels(dashboard)
        for target in panel["targets"]
        if target["datasource"]["type"] == "prometheus"
    ]


def test_data_sources_are_prometheus_and_jaeger_inside_the_stack(datasources, compose):
    by_type = {source["type"]: source for source in datasources}
    assert set(by_type) == {"prometheus", "jaeger"}
    assert by_type["prometheus"]["url"] == "http://prometheus:9090"
    assert by_type["jaeger"]["url"].startswith("http://jaeger:16686/jaeger")
    grafana_networks = set(compose["services"]["grafana"]["networks"])
    for host in ("prometheus", "jaeger"):
        assert grafana_networks & set(compose["services"][host]["networks"])


def test_every_panel_queries_a_provisioned_data_source(dashboard, datasources):
    uids = {source["uid"]: source["type"] for source in datasources}
    for panel in _panels(dashboard):
        assert uids[panel["datasource"]["uid"]] == panel["datasource"]["type"], panel["title"]
        for target in panel["targets"]:
            assert uids[target["datasource"]["uid"]] == target["datasource"]["type"], panel["title"]


def test_dashboard_queries_are_valid_promql(dashboard, tmp_path):
    promtool = require_tool("promtool")
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query{i}", "expr": GRAFANA_VARIABLES.sub("5m", expr)}
                    for i, expr in enumerate(_prometheus_queries(dashboard))
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_shows_business_metrics_span_metrics_and_the_pipeline(dashboard):
    used = set().union(*(metric_names(expr) for expr in _prometheus_queries(dashboard)))
    assert used <= known_metric_names()
    for name in BUSINESS_METRICS.values():
        assert name.removesuffix("_bucket") in used, name
    assert {"traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds"} <= used
    assert "otelcol_exporter_queue_size" in used and "up" in used
    assert any(panel["datasource"]["type"] == "jaeger" for panel in _panels(dashboard))


def test_panels_have_unique_ids_and_fit_the_grid(dashboard):
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24, panel["title"]


def test_compose_mounts_the_provisioning_where_grafana_reads_it(compose):
    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "dashboards.yml")["providers"][0]
    mounts = {
        v["target"]: v["source"] for v in compose["services"]["grafana"]["volumes"] if v["type"] == "bind"
    }
    assert mounts["/etc/grafana/provisioning"].endswith("deploy/grafana/provisioning")
    assert mounts[provider["options"]["path"]].endswith("deploy/grafana/dashboards")
