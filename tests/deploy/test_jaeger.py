"""Jaeger v2's configs (deploy/jaeger/), cross-checked with the Collector, Prometheus and compose."""

import copy
import json
import re
from urllib.parse import urlsplit

import pytest

from .conftest import DEPLOY, DEV_ENV, assert_pipelines_consistent, collector_env_default, read_env_file

UI_CONFIG = DEPLOY / "jaeger" / "ui-config.json"
ISM_POLICY = DEPLOY / "jaeger" / "opensearch-ism-policy.json"


def _hours(duration: str) -> float:
    match = re.fullmatch(r"(\d+)h", duration)
    assert match, f"retention {duration!r} should be whole hours"
    return int(match.group(1))


@pytest.fixture(params=["config.yaml", "config-opensearch.yaml"])
def any_jaeger_config(request, jaeger_config, jaeger_opensearch_config):
    return {"config.yaml": jaeger_config, "config-opensearch.yaml": jaeger_opensearch_config}[request.param]


def test_every_pipeline_component_is_defined_and_every_defined_one_is_used(any_jaeger_config):
    assert_pipelines_consistent(any_jaeger_config)


def test_query_and_exporter_use_storage_that_is_defined(any_jaeger_config):
    storage = any_jaeger_config["extensions"]["jaeger_storage"]
    query = any_jaeger_config["extensions"]["jaeger_query"]["storage"]
    assert query["traces"] in storage["backends"]
    assert query["metrics"] in storage["metric_backends"]
    assert any_jaeger_config["exporters"]["jaeger_storage_exporter"]["trace_storage"] == query["traces"]


def test_default_storage_is_persistent_badger_with_retention(jaeger_config, compose):
    badger = jaeger_config["extensions"]["jaeger_storage"]["backends"]["traces_store"]["badger"]
    assert badger["ephemeral"] is False
    assert _hours(collector_env_default(badger["ttl"]["spans"])) >= 24
    volumes = compose["services"]["jaeger"]["volumes"]
    (data,) = [v["target"] for v in volumes if v["type"] == "volume"]
    for directory in badger["directories"].values():
        assert directory.startswith(data + "/")


def test_opensearch_variant_differs_only_in_trace_storage(jaeger_config, jaeger_opensearch_config):
    def without_trace_storage(config):
        config = copy.deepcopy(config)
        del config["extensions"]["jaeger_storage"]["backends"]["traces_store"]
        return config

    assert without_trace_storage(jaeger_config) == without_trace_storage(jaeger_opensearch_config)
    opensearch = jaeger_opensearch_config["extensions"]["jaeger_storage"]["backends"]["traces_store"][
        "opensearch"
    ]
    assert opensearch["server_urls"] and opensearch["indices"]["index_prefix"]


def test_opensearch_indices_are_deleted_after_the_retention_period(jaeger_opensearch_config):
    opensearch = jaeger_opensearch_config["extensions"]["jaeger_storage"]["backends"]["traces_store"][
        "opensearch"
    ]
    prefix = opensearch["indices"]["index_prefix"]
    retention_days = _hours(collector_env_default(opensearch["max_span_age"])) / 24
    policy = json.loads(ISM_POLICY.read_text())["policy"]
    (hot,) = [state for state in policy["states"] if state["name"] == policy["default_state"]]
    assert hot["transitions"][0]["conditions"]["min_index_age"] == f"{retention_days:.0f}d"
    patterns = policy["ism_template"][0]["index_patterns"]
    assert f"{prefix}-jaeger-span-*" in patterns


def test_monitor_tab_reads_the_span_metrics_the_collector_exports(jaeger_config, collector_config, compose):
    spanmetrics = collector_config["connectors"]["span_metrics"]
    prometheus = jaeger_config["extensions"]["jaeger_storage"]["metric_backends"]["span_metrics"][
        "prometheus"
    ]
    assert prometheus["metric_namespace"] == spanmetrics["namespace"].replace(".", "_")
    assert prometheus["latency_unit"] == spanmetrics["histogram"]["unit"]
    # the Collector's prometheus exporter adds _total and the unit suffix
    assert prometheus["normalize_calls"] is True and prometheus["normalize_duration"] is True
    url = urlsplit(collector_env_default(prometheus["endpoint"]))
    assert url.hostname in compose["services"]
    assert set(compose["services"]["jaeger"]["networks"]) & set(compose["services"][url.hostname]["networks"])


def test_ui_links_an_order_id_to_its_crm_order_page_on_the_shop_host(jaeger_config, compose):
    ui = json.loads(UI_CONFIG.read_text())
    (pattern,) = [p for p in ui["linkPatterns"] if p["key"] == "order.id"]
    assert pattern["type"] == "tags"
    # absolute: the proxy's host serves Jaeger and the login only, the CRM lives on the shop host
    shop_host = read_env_file(DEV_ENV)["SHOP_HOST"]
    assert pattern["url"] == f"https://{shop_host}/api/v1/crm/orders/#{{order.id}}/"
    config_file = jaeger_config["extensions"]["jaeger_query"]["ui"]["config_file"]
    mounts = {
        v["target"]: v["source"] for v in compose["services"]["jaeger"]["volumes"] if v["type"] == "bind"
    }
    assert mounts[config_file].endswith("deploy/jaeger/ui-config.json")
    assert ui["monitor"]["menuEnabled"] is True


def test_jaeger_is_reached_only_through_the_proxy_under_the_public_path(jaeger_config, compose):
    assert not compose["services"]["jaeger"].get("ports")
    base_path = jaeger_config["extensions"]["jaeger_query"]["base_path"]
    public = urlsplit(compose["services"]["web"]["environment"]["JAEGER_UI_URL"])
    assert public.scheme == "https"
    assert public.path.rstrip("/") == base_path


def test_jaeger_certificate_is_mounted_where_the_receiver_reads_it(jaeger_config, compose):
    tls = jaeger_config["receivers"]["otlp"]["protocols"]["grpc"]["tls"]
    targets = {v["target"] for v in compose["services"]["jaeger"]["volumes"]}
    assert {tls["cert_file"], tls["key_file"]} <= targets
