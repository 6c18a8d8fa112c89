"""The Collector's config (deploy/otel-collector/config.yaml), cross-checked with the app and the stack."""

import ast
import re
from urllib.parse import urlsplit

import yaml

from .conftest import (
    APP_SERVICES,
    DEPLOY,
    REPO,
    assert_pipelines_consistent,
    collector_env_default,
    load_yaml,
)

PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
ATTRIBUTES_MODULE = REPO / "tracing" / "attributes.py"


def _pipelines(config):
    return config["service"]["pipelines"]


def _port(endpoint: str) -> int:
    return int(str(endpoint).rsplit(":", 1)[1])


def _redaction(config):
    return config["processors"]["redaction/personal_data"]


def _collector_regex(pattern: str) -> re.Pattern:
    # "$$" is the Collector's escape for "$"; the rest is RE2 syntax Python also reads.
    return re.compile(pattern.replace("$$", "$"))


def _masked_keys(config, keys):
    patterns = [_collector_regex(p) for p in _redaction(config)["blocked_key_patterns"]]
    return {key for key in keys if any(p.search(key) for p in patterns)}


def _tracing_vocabulary() -> list[str]:
    """The attribute names of tracing/attributes.py, read without importing the app."""
    tree = ast.parse(ATTRIBUTES_MODULE.read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            target = node.targets[0].id
            if not target.startswith(("METRIC_", "EVENT_")) and isinstance(node.value.value, str):
                names.append(node.value.value)
    return names


def test_every_pipeline_component_is_defined_and_every_defined_one_is_used(collector_config):
    assert_pipelines_consistent(collector_config)


def test_spanmetrics_sees_every_span_while_only_jaeger_gets_sampled_traces(collector_config):
    pipelines = _pipelines(collector_config)
    (incoming,) = [
        p for p in pipelines.values() if "otlp" in p["receivers"] and "span_metrics" in p["exporters"]
    ]
    assert "tail_sampling" not in incoming.get("processors", [])
    sampling = [name for name, p in pipelines.items() if "tail_sampling" in p.get("processors", [])]
    assert sampling == ["traces/sampled"]
    sampled = pipelines["traces/sampled"]
    assert sampled["receivers"] == ["forward/sampling"]
    assert "forward/sampling" in incoming["exporters"]
    assert sampled["exporters"] == ["otlp_grpc/jaeger"]


def test_memory_limiter_comes_first_wherever_apps_send(collector_config):
    for name, pipeline in _pipelines(collector_config).items():
        if "otlp" in pipeline["receivers"]:
            assert pipeline["processors"][0] == "memory_limiter", name


def test_personal_data_is_redacted_before_anything_leaves_the_collector(collector_config):
    for name, pipeline in _pipelines(collector_config).items():
        if "otlp" in pipeline["receivers"]:
            assert "redaction/personal_data" in pipeline["processors"], name


def test_only_trusted_apps_can_send_over_tls_with_the_bearer_token(collector_config):
    extension = collector_config["extensions"]["bearertokenauth/ingest"]
    assert extension["scheme"] == "Bearer"
    assert extension["token"] == "${env:OTEL_INGEST_TOKEN}"
    for protocol in ("grpc", "http"):
        settings = collector_config["receivers"]["otlp"]["protocols"][protocol]
        assert settings["auth"]["authenticator"] == "bearertokenauth/ingest", protocol
        assert settings["tls"]["cert_file"] and settings["tls"]["key_file"], protocol


def test_apps_send_to_the_receiver_port_with_the_token_the_collector_checks(collector_config, compose):
    http_port = _port(collector_config["receivers"]["otlp"]["protocols"]["http"]["endpoint"])
    collector_env = compose["services"]["otel-collector"]["environment"]
    for service in APP_SERVICES:
        environment = compose["services"][service]["environment"]
        endpoint = urlsplit(environment["OTEL_EXPORTER_OTLP_ENDPOINT"])
        assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("https", "otel-collector", http_port)
        assert environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
        assert environment["OTEL_EXPORTER_OTLP_HEADERS"] == (
            f"authorization=Bearer%20{collector_env['OTEL_INGEST_TOKEN']}"
        )


def test_collector_certificate_and_key_are_mounted_where_the_receivers_read_them(collector_config, compose):
    targets = {volume["target"] for volume in compose["services"]["otel-collector"]["volumes"]}
    tls = collector_config["receivers"]["otlp"]["protocols"]["grpc"]["tls"]
    ca_file = collector_config["exporters"]["otlp_grpc/jaeger"]["tls"]["ca_file"]
    assert {tls["cert_file"], tls["key_file"], ca_file} <= targets


def test_a_jaeger_restart_loses_nothing(collector_config, compose):
    exporter = collector_config["exporters"]["otlp_grpc/jaeger"]
    queue = exporter["sending_queue"]
    assert queue["enabled"] is True
    storage = collector_config["extensions"][queue["storage"]]
    assert queue["storage"].startswith("file_storage")
    assert exporter["retry_on_failure"]["enabled"] is True
    assert exporter["retry_on_failure"]["max_elapsed_time"] in ("0s", 0)
    # the queue directory is on the named volume, not in the container
    directory = collector_env_default(storage["directory"])
    volumes = compose["services"]["otel-collector"]["volumes"]
    assert any(v["type"] == "volume" and directory.startswith(v["target"]) for v in volumes)


def test_spans_are_batched_in_the_disk_backed_queue_with_no_batch_processor(collector_config):
    assert "batch" not in (collector_config.get("processors") or {})
    queue = collector_config["exporters"]["otlp_grpc/jaeger"]["sending_queue"]
    assert queue["sizer"] == "items" and queue["storage"] == "file_storage/queue"
    batch = queue["batch"]
    assert batch["flush_timeout"] and 0 < batch["min_size"] <= batch["max_size"] <= queue["queue_size"]


def test_component_names_are_the_current_ones_and_the_status_convention_is_pinned(collector_config, compose):
    assert set(collector_config["connectors"]) == {"span_metrics", "signal_to_metrics/orders", "forward/sampling",
                                                   "forward/orders"}
    gate = "--feature-gates=-spanmetrics.statusCodeConvention.useOtelPrefix"
    assert gate in compose["services"]["otel-collector"]["command"]
    manifest = yaml.safe_load_all((DEPLOY / "k8s" / "otel-collector.yaml").read_text())
    (deployment,) = [doc for doc in manifest if doc and doc["kind"] == "Deployment"]
    assert gate in deployment["spec"]["template"]["spec"]["containers"][0]["args"]


def test_spans_go_to_jaegers_otlp_receiver_over_tls(collector_config, jaeger_config):
    exporter = collector_config["exporters"]["otlp_grpc/jaeger"]
    host, port = collector_env_default(exporter["endpoint"]).split(":")
    receiver = jaeger_config["receivers"]["otlp"]["protocols"]["grpc"]
    assert host == "jaeger"
    assert int(port) == _port(receiver["endpoint"])
    assert receiver["tls"]["cert_file"]
    assert exporter["tls"].get("insecure") is not True


def test_tail_sampling_keeps_errors_slow_traces_and_a_configurable_share(collector_config):
    sampling = collector_config["processors"]["tail_sampling"]
    policies = {policy["type"]: policy for policy in sampling["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert int(collector_env_default(policies["latency"]["latency"]["threshold_ms"])) > 0
    assert policies["probabilistic"]["probabilistic"]["sampling_percentage"] == 10
    # the share is the deployment's to set (compose passes TAIL_SAMPLING_PERCENTAGE)
    assert "${env:TAIL_SAMPLING_PERCENTAGE:-10}" in (DEPLOY / "otel-collector" / "config.yaml").read_text()
    # late Celery spans of a kept trace still reach Jaeger (see the config's comment)
    assert sampling["decision_cache"]["sampled_cache_size"] > 0


def test_span_metrics_buckets_resolve_the_pricing_alert_threshold(collector_config, alert_rules):
    buckets = collector_config["connectors"]["span_metrics"]["histogram"]["explicit"]["buckets"]
    in_ms = {int(b[:-2]) if b.endswith("ms") else int(b[:-1]) * 1000 for b in buckets}
    (rule,) = [
        r for g in alert_rules["groups"] for r in g["rules"] if r.get("alert") == "AlexandritePricingSlow"
    ]
    threshold = int(re.search(r">\s*(\d+)\s*$", rule["expr"].strip()).group(1))
    assert threshold in in_ms
    assert collector_config["connectors"]["span_metrics"]["histogram"]["unit"] == "ms"


def test_span_metrics_keep_the_status_code_dimension_jaeger_needs(collector_config):
    assert "status.code" not in collector_config["connectors"]["span_metrics"].get("exclude_dimensions", [])


def test_prometheus_scrapes_the_collectors_metric_ports(collector_config):
    scrape = load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]
    targets = {t for job in scrape for group in job["static_configs"] for t in group["targets"]}
    exporter_port = _port(collector_config["exporters"]["prometheus"]["endpoint"])
    reader = collector_config["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"][
        "prometheus"
    ]
    assert f"otel-collector:{exporter_port}" in targets
    assert f"otel-collector:{reader['port']}" in targets
    exporter_job = [
        job for job in scrape if f"otel-collector:{exporter_port}" in job["static_configs"][0]["targets"]
    ]
    assert exporter_job[0]["honor_labels"] is True


def test_personal_attribute_keys_are_masked(collector_config):
    personal = {
        "user.email",
        "customer.email",
        "email",
        "user.name",
        "user.full_name",
        "customer.name",
        "order.customer.name",
        "order.seller.name",
        "shipping.address",
        "billing.address",
        "client.address",
        "http.client_ip",
        "phone",
        "customer.phone_number",
        "request.param.name",
        "request.param.email",
        "request.param.password",
        "request.param.shipping_address",
        "http.request.header.authorization",
        "http.request.header.cookie",
        "http.response.header.set_cookie",
        "password",
        "api_key",
        "session_id",
        "csrfmiddlewaretoken",
        "user.username",
        "name",
        "address",
        "token",
    }
    assert _masked_keys(collector_config, personal) == personal


def test_the_apps_own_attribute_names_and_standard_ones_are_left_alone(collector_config):
    harmless = set(_tracing_vocabulary()) | {
        "messaging.destination.name",
        "messaging.operation.name",
        "messaging.consumer.group.name",
        "server.address",
        "network.peer.address",
        "db.name",
        "db.system",
        "db.statement",
        "http.route",
        "http.request.method",
        "http.response.status_code",
        "url.path",
        "celery.task_name",
        "celery.action",
        "service.name",
        "telemetry.sdk.name",
        "host.name",
        "process.pid",
        "exception.type",
        "k8s.pod.name",
    }
    assert "order.id" in harmless and "model.file.sha256" in harmless
    assert _masked_keys(collector_config, harmless) == set()


def test_email_token_and_phone_values_are_masked_under_any_key(collector_config):
    patterns = [_collector_regex(p) for p in _redaction(collector_config)["blocked_values"]]

    def masked(value):
        return any(p.search(value) for p in patterns)

    assert masked("Customer jane.doe@example.com not found")
    assert masked("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl")
    assert masked("call +44 20 7946 0958")
    for value in (
        "1234",
        "SUBMITTED",
        "2026-11-25T15:00:00+00:00",
        "shop.order.priced",
        "GET /api/v1/shop/orders/<id:order_id>/",
        "ring.stl",
        "mes.orders",
    ):
        assert not masked(value), value
