"""The Collector and Jaeger the tests run are the ones that ship: built from the project's Go
modules at deploy/versions.env's releases, with exactly the components the shipped config uses,
and both shipped configs accepted by the real binaries' ``validate``."""

import os
import re
import subprocess

import pytest
import yaml

from .conftest import DEPLOY

COLLECTOR_MODULE = DEPLOY / "otel-collector" / "distribution"
JAEGER_MODULE = DEPLOY / "jaeger" / "distribution"
KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")
# Placeholders the shipped configs need from their environment, as compose gives them.
CONFIG_ENV = {"OTEL_INGEST_TOKEN": "validate-token", "OPENSEARCH_URL": "https://opensearch:9200",
              "OPENSEARCH_USERNAME": "jaeger", "OPENSEARCH_PASSWORD": "secret"}


def _requires(module) -> dict[str, str]:
    text = (module / "go.mod").read_text()
    return dict(re.findall(r"^\s*(\S+) (v\S+)(?: // indirect)?$", text, flags=re.MULTILINE))


def _binary(name: str) -> str:
    path = os.environ.get(name)
    if not path:
        pytest.fail(f"{name} is not set: bin/test builds the backbone (bin/build-backbone) and sets it")
    return path


def _run(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **CONFIG_ENV, **(env or {})})


def test_every_collector_module_is_at_the_one_release_of_versions_env(versions):
    release = versions["OTEL_COLLECTOR_VERSION"]
    requires = _requires(COLLECTOR_MODULE)
    collector = {module: version for module, version in requires.items()
                 if module.startswith(("go.opentelemetry.io/collector",
                                       "github.com/open-telemetry/opentelemetry-collector-contrib"))}
    assert requires["go.opentelemetry.io/collector/otelcol"] == f"v{release}"
    # core's stable modules are numbered v1.N alongside v0.M: one pair per release
    stable = requires["go.opentelemetry.io/collector/component"]
    assert {version for version in collector.values()} == {f"v{release}", stable}, collector


def test_jaeger_is_built_from_the_module_release_of_versions_env_as_upstream_builds_it(versions):
    major, minor, patch = versions["JAEGER_VERSION"].split(".")
    assert major == "2"
    requires = _requires(JAEGER_MODULE)
    assert requires["github.com/jaegertracing/jaeger"] == f"v1.{int(minor) + 63}.{patch}"
    go_mod = (JAEGER_MODULE / "go.mod").read_text()
    assert "tool github.com/jaegertracing/jaeger/cmd/jaeger" in go_mod
    assert "replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0" in go_mod


def test_the_binaries_the_tests_run_report_the_shipped_versions(versions):
    collector = _run(_binary("OTELCOL_BIN"), "--version")
    jaeger = _run(_binary("JAEGER_BIN"), "version")
    assert collector.stdout.split()[-1] == versions["OTEL_COLLECTOR_VERSION"], collector
    assert f'"gitVersion":"v{versions["JAEGER_VERSION"]}"' in jaeger.stdout + jaeger.stderr, jaeger


def test_the_collector_has_exactly_the_components_its_config_uses(collector_config):
    built = yaml.safe_load(_run(_binary("OTELCOL_BIN"), "components").stdout)
    for kind in KINDS:
        used = {name.split("/")[0] for name in collector_config.get(kind) or {}}
        have = {component["name"] for component in built.get(kind) or []}
        assert have == used, kind


@pytest.mark.parametrize("config", ["otel-collector/config.yaml"])
def test_the_shipped_collector_config_passes_the_real_validate(config):
    result = _run(_binary("OTELCOL_BIN"), "validate", f"--config={DEPLOY / config}",
                  "--feature-gates=-spanmetrics.statusCodeConvention.useOtelPrefix")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("config", ["jaeger/config.yaml", "jaeger/config-opensearch.yaml"])
def test_the_shipped_jaeger_configs_pass_the_real_validate(config):
    result = _run(_binary("JAEGER_BIN"), "validate", "--config", str(DEPLOY / config))
    assert result.returncode == 0, result.stderr


def test_compose_builds_the_collector_image_from_the_same_module(compose):
    service = compose["services"]["otel-collector"]
    assert service["build"]["context"] == str(DEPLOY / "otel-collector")
    dockerfile = (DEPLOY / "otel-collector" / "Dockerfile").read_text()
    assert "COPY distribution/go.mod distribution/go.sum" in dockerfile
    assert "main.version=${OTEL_COLLECTOR_VERSION}" in dockerfile
