"""The compose stack (deploy/compose.yaml) as `docker compose config` renders it."""

import ipaddress
import re
import subprocess

from .conftest import (
    APP_SERVICES,
    DEPLOY,
    DEV_ENV,
    REPO,
    TRACING_SERVICES,
    VERSIONS_ENV,
    read_env_file,
    require_tool,
    run_compose_config,
)

# Files the stack mounts that are not committed: made by make-dev-certs.sh, or owned by others.
GENERATED_CERTS = re.compile(r"deploy/certs/[a-z-]+\.pem$")
PROXY_CONF = "deploy/nginx/jaeger-proxy.conf"


def _published(service: dict) -> list:
    return [port for port in service.get("ports", []) if port.get("published")]


def _bind_sources(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                yield name, volume["source"], volume["target"]


def test_compose_file_renders_with_the_pinned_versions_and_dev_values(compose):
    assert compose["name"] == "alexandrite"
    assert set(APP_SERVICES) | set(TRACING_SERVICES) | {
        "proxy",
        "shop-db",
        "mes-db",
        "rabbitmq",
        "minio",
    } <= set(compose["services"])


def test_compose_refuses_to_start_without_the_pinned_versions():
    result = run_compose_config(DEV_ENV)
    assert result.returncode != 0
    assert "versions.env" in result.stderr


def test_compose_refuses_to_start_without_secrets():
    result = run_compose_config(VERSIONS_ENV)
    assert result.returncode != 0
    assert "is not set" in result.stderr or "missing a value" in result.stderr


def test_only_the_shop_s_tls_proxy_and_the_tracing_proxy_are_published(compose):
    published = {name: _published(service) for name, service in compose["services"].items()}
    assert {name for name, ports in published.items() if ports} == {"shop-proxy", "proxy"}
    assert [(p["published"], p["target"]) for p in published["shop-proxy"]] == [("8443", 8443)]
    assert [(p["published"], p["target"]) for p in published["proxy"]] == [("443", 8443)]


def test_tracing_services_sit_on_internal_networks_only(compose):
    internal = {name for name, network in compose["networks"].items() if network.get("internal")}
    assert {"telemetry", "backend"} <= internal
    for name in TRACING_SERVICES:
        if name == "alertmanager":
            continue  # the one with a way out, below
        assert set(compose["services"][name]["networks"]) <= internal, name
    for name in ("shop-db", "mes-db", "rabbitmq", "minio"):
        assert set(compose["services"][name]["networks"]) <= internal, name


def test_every_image_is_pinned_through_versions_env(compose, versions):
    pinned = set(versions.values())
    for name, service in compose["services"].items():
        image = service["image"]
        if image.startswith("alexandrite:"):
            continue
        tag = image.rsplit(":", 1)[1]
        assert tag != "latest" and tag in pinned, f"{name}: {image}"
    raw = (DEPLOY / "compose.yaml").read_text()
    for key in versions:
        assert "${" + key in raw, f"{key} of versions.env is used by no service"


def test_app_processes_run_their_commands_under_their_service_names(compose):
    commands = {
        "web": ["gunicorn", "-c", "deploy/gunicorn.conf.py", "jewelry.wsgi"],
        "mes-worker": ["celery", "-A", "jewelry", "worker", "-Q", "mes.orders,mes.pricing", "-n", "mes@%h"],
        "shop-worker": ["celery", "-A", "jewelry", "worker", "-Q", "shop.events", "-n", "shop@%h"],
        "beat": ["celery", "-A", "jewelry", "beat"],
    }
    for name, service_name in APP_SERVICES.items():
        service = compose["services"][name]
        assert service["command"] == commands[name]
        assert service["environment"]["OTEL_SERVICE_NAME"] == service_name
        assert service["image"] == compose["services"]["web"]["image"]


def test_app_processes_get_the_production_settings(compose):
    required = {
        "SHOP_DATABASE_URL",
        "MES_DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "JAEGER_UI_URL",
        "STORAGE_BACKEND",
        "AWS_STORAGE_BUCKET_NAME",
        "AWS_S3_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
        "OTEL_METRICS_EXPORTER",
    }
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert required <= set(environment), name
        assert environment["DJANGO_ENV"] == "production" and environment["DEBUG"] == "false"
        assert environment["SHOP_DATABASE_URL"].startswith("postgres://")
        assert "@shop-db:5432/" in environment["SHOP_DATABASE_URL"]
        assert "@mes-db:5432/" in environment["MES_DATABASE_URL"]
        assert (
            environment["CELERY_BROKER_URL"].startswith("amqp://")
            and "@rabbitmq:5672/" in environment["CELERY_BROKER_URL"]
        )
        assert environment["STORAGE_BACKEND"] == "s3"
        assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"


def test_apps_trust_the_collector_through_the_mounted_ca(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        certificate = service["environment"]["OTEL_EXPORTER_OTLP_CERTIFICATE"]
        mounts = {v["target"]: v["source"] for v in service["volumes"] if v["type"] == "bind"}
        assert mounts[certificate].endswith("deploy/certs/ca.pem")


def test_mounted_files_exist_or_are_made_by_the_cert_script(compose):
    certs_made = set(re.findall(r"\[([a-z-]+)\]=", (DEPLOY / "make-dev-certs.sh").read_text())) | {
        "app-client"
    }
    for name, source, _ in _bind_sources(compose):
        relative = source.removeprefix(str(REPO) + "/")
        if GENERATED_CERTS.match(relative):
            stem = relative.rsplit("/", 1)[1].removesuffix(".pem").removesuffix("-key")
            assert stem in certs_made | {"ca"}, f"{name}: {relative} is not made by make-dev-certs.sh"
        elif relative != PROXY_CONF:
            assert (REPO / relative).exists(), f"{name}: {relative} does not exist"


def test_the_proxy_serves_the_jaeger_proxy_config_with_tls(compose):
    proxy = compose["services"]["proxy"]
    mounts = {
        source.removeprefix(str(REPO) + "/"): target
        for _, source, target in _bind_sources({"services": {"proxy": proxy}})
    }
    assert mounts[PROXY_CONF] == "/etc/nginx/conf.d/default.conf"
    assert {"/etc/nginx/tls/tls.crt", "/etc/nginx/tls/tls.key"} <= set(mounts.values())
    # it must reach Jaeger (telemetry) and the web app's auth endpoint (edge)
    assert {"edge", "telemetry"} <= set(proxy["networks"])
    assert "edge" in compose["services"]["web"]["networks"]


def test_stateful_services_keep_their_data_in_named_volumes(compose):
    for name, target in {
        "shop-db": "/var/lib/postgresql",
        "mes-db": "/var/lib/postgresql",
        "rabbitmq": "/var/lib/rabbitmq",
        "minio": "/data",
        "jaeger": "/badger",
        "otel-collector": "/var/lib/otelcol",
        "prometheus": "/prometheus",
        "alertmanager": "/alertmanager",
        "grafana": "/var/lib/grafana",
    }.items():
        volumes = compose["services"][name]["volumes"]
        assert any(v["type"] == "volume" and v["target"] == target for v in volumes), name


def test_dev_env_sets_every_variable_compose_requires():
    raw = (DEPLOY / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", raw))
    provided = set(read_env_file(DEV_ENV)) | set(read_env_file(VERSIONS_ENV))
    assert required <= provided, required - provided


def test_alertmanager_alone_has_a_way_out_and_its_receiver_is_one_variable(compose):
    alertmanager = compose["services"]["alertmanager"]
    (way_out,) = set(alertmanager["networks"]) - {"telemetry"}
    assert not compose["networks"][way_out].get("internal")
    others = {name for name, service in compose["services"].items() if way_out in service.get("networks", {})}
    assert others == {"alertmanager"}
    assert alertmanager["environment"]["ALERT_WEBHOOK_URL"] == "http://alert-webhook.invalid/alexandrite"
    assert "ALERT_WEBHOOK_URL" in " ".join(alertmanager["command"])


def test_the_shop_s_tls_proxy_buffers_in_front_of_gunicorn(compose):
    shop_proxy = compose["services"]["shop-proxy"]
    mounts = {source.removeprefix(str(REPO) + "/"): target
              for _, source, target in _bind_sources({"services": {"shop-proxy": shop_proxy}})}
    assert mounts["deploy/nginx/shop-proxy.conf"] == "/etc/nginx/conf.d/default.conf"
    conf = (REPO / "deploy" / "nginx" / "shop-proxy.conf").read_text()
    assert "server web:8000;" in conf and "listen 8443 ssl;" in conf
    assert "proxy_request_buffering on;" in conf and "proxy_buffering on;" in conf
    assert set(shop_proxy["networks"]) & set(compose["services"]["web"]["networks"])


def test_alertmanager_s_start_command_renders_a_valid_config(compose, tmp_path):
    # the shell part of the entrypoint as compose runs it ($$ is compose's escape for $)
    command = compose["services"]["alertmanager"]["command"][0].replace("$$", "$")
    render = command.split(" &&")[0]
    assert render.endswith("> /alertmanager/alertmanager.yml")
    rendered = tmp_path / "alertmanager.yml"
    render = render.replace("> /alertmanager/alertmanager.yml", f"> {rendered}").replace(
        "/etc/alertmanager/alertmanager.yml", str(REPO / "deploy" / "alertmanager" / "alertmanager.yml"))
    env = {"PATH": "/usr/bin:/bin", **compose["services"]["alertmanager"]["environment"]}
    subprocess.run(["/bin/sh", "-c", render], env=env, check=True)

    text = rendered.read_text()
    assert "${" not in text.split("receivers:")[1]
    assert text.count("url: http://alert-webhook.invalid/alexandrite") == 5
    amtool = require_tool("amtool")
    checked = subprocess.run([amtool, "check-config", str(rendered)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_app_believes_forwarded_addresses_only_from_the_two_tls_proxies(compose):
    services = compose["services"]
    web_networks = set(services["web"]["networks"])
    proxy_addresses = set()
    for name in ("shop-proxy", "proxy"):
        for network, attachment in services[name]["networks"].items():
            if network in web_networks:  # whichever network nginx reaches web by, its address is known
                address = ipaddress.ip_address(attachment["ipv4_address"])
                assert address in ipaddress.ip_network(compose["networks"][network]["ipam"]["config"][0]["subnet"])
                proxy_addresses.add(str(address))

    assert len(proxy_addresses) == 3  # the shop's proxy on edge; the access proxy on edge and telemetry
    for name in APP_SERVICES:
        assert set(services[name]["environment"]["TRUSTED_PROXIES"].split(",")) == proxy_addresses, name


def test_sign_in_failures_are_counted_in_one_table_the_migrate_service_makes(compose):
    for name in APP_SERVICES:
        assert compose["services"][name]["environment"]["CACHE_URL"] == "dbcache://alexandrite_cache", name
    assert compose["services"]["migrate"]["command"][-1].endswith("manage.py createcachetable")
