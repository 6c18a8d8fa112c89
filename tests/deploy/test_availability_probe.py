"""The web app's availability probe: Prometheus' job "web-availability" asks the blackbox
exporter (deploy/prometheus/blackbox.yml) to GET the web app's readiness, /health/; its
probe_success is the web share of alexandrite:component_up (deploy/prometheus/rules).

Statically: the job, the relabelling, the module and the compose wiring. For real: Debian's
blackbox exporter (prometheus-blackbox-exporter, installed by bin/services) with the shipped
module against a local server answering 200, 503 and a redirect; and Debian's Prometheus with
the shipped job and rules, reading the web app up and then down through that exporter."""

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from tests.processes import free_port

from .conftest import DEPLOY, REPO, load_yaml

PROMETHEUS_DIR = DEPLOY / "prometheus"
BLACKBOX_CONFIG = PROMETHEUS_DIR / "blackbox.yml"
JOB = "web-availability"
WEB_READINESS_URL = "http://web:8000/health/"
EXPORTER_ADDRESS = "blackbox-exporter:9115"
START_TIMEOUT_SECONDS = 30
SIGNAL_TIMEOUT_SECONDS = 45


def _job(config: dict) -> dict:
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == JOB]
    return job


def _relabel(labels: dict, rules: list[dict]) -> dict:
    """Prometheus' relabelling, action "replace" (the default), as its documentation defines it."""
    labels = dict(labels)
    for rule in rules:
        assert rule.get("action", "replace") == "replace", rule
        sources = [labels.get(name, "") for name in rule.get("source_labels", [])]
        value = rule.get("separator", ";").join(sources)
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if match:
            replacement = rule.get("replacement", "$1")
            labels[rule["target_label"]] = re.sub(
                r"\$\{?(\d+)\}?", lambda group: match.group(int(group[1])) or "", replacement)
    return labels


def _seconds(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m)", duration).groups()
    return int(number) * {"ms": 0.001, "s": 1, "m": 60}[unit]


def _compose_config_path(service: dict) -> str:
    (flag,) = [arg for arg in service["command"] if arg.startswith("--config.file=")]
    return flag.split("=", 1)[1]


# ------------------------------------------------------------------------------- static


def test_prometheus_probes_the_web_app_s_readiness_through_the_exporter():
    job = _job(load_yaml(PROMETHEUS_DIR / "prometheus.yml"))
    assert job["metrics_path"] == "/probe"
    assert job["params"]["module"] == ["http_2xx"]
    (group,) = job["static_configs"]
    assert group["targets"] == [WEB_READINESS_URL]
    assert group["labels"]["tier"] == "app"  # the app's availability, not a tracing component
    # what Prometheus scrapes after relabelling: the exporter, asked to probe the web app
    labels = _relabel({"__address__": WEB_READINESS_URL, **group["labels"]}, job["relabel_configs"])
    assert labels["__address__"] == EXPORTER_ADDRESS
    assert labels["__param_target"] == WEB_READINESS_URL
    assert labels["instance"] == WEB_READINESS_URL  # the probed URL, not the exporter's address
    # the readiness route of the app (jewelry/urls.py), not liveness
    assert 'path("health/", health.ready' in (REPO / "jewelry" / "urls.py").read_text()


def test_the_probe_module_gets_the_url_and_accepts_only_2xx_within_the_scrape_timeout():
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    module = load_yaml(BLACKBOX_CONFIG)["modules"][_job(config)["params"]["module"][0]]
    assert module["prober"] == "http"
    http = module["http"]
    assert http.get("method", "GET") == "GET"
    # none listed means 2xx (the exporter's default); listed ones must all be 2xx
    assert all(200 <= code < 300 for code in http.get("valid_status_codes") or [])
    assert http.get("follow_redirects") is False
    # the exporter answers (a failed probe) before Prometheus gives up on the scrape (a missing one)
    assert _seconds(module["timeout"]) < _seconds(config["global"].get("scrape_timeout", "10s"))


def test_compose_runs_the_exporter_between_prometheus_and_the_web_app(compose, versions):
    services = compose["services"]
    exporter = services[EXPORTER_ADDRESS.split(":")[0]]
    assert exporter["image"] == f"prom/blackbox-exporter:{versions['BLACKBOX_EXPORTER_VERSION']}"
    mounts = {v["target"]: v["source"] for v in exporter["volumes"] if v["type"] == "bind"}
    assert mounts[_compose_config_path(exporter)] == str(BLACKBOX_CONFIG)
    exporter_networks = set(exporter["networks"])
    assert exporter_networks & set(services["prometheus"]["networks"])  # Prometheus asks it
    assert exporter_networks & set(services["web"]["networks"])  # it reaches web:8000
    assert exporter.get("user", "root").split(":")[0] not in ("root", "0")
    # the probe's Host (web:8000) is one the web app answers, not a DisallowedHost 400
    host = urllib.parse.urlsplit(WEB_READINESS_URL).hostname
    assert host in services["web"]["environment"]["ALLOWED_HOSTS"].split(",")


# ----------------------------------------------------------------------------- for real


class _Web(BaseHTTPRequestHandler):
    """A stand-in web app: /health/ answers the server's current status; /health/live/ 200."""

    def do_GET(self):
        self.server.requests.append((self.command, self.path))
        if self.path == "/health/" and self.server.status in (301, 302):
            self.send_response(self.server.status)
            self.send_header("Location", "/health/live/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = self.server.status if self.path == "/health/" else 200
        body = json.dumps({"ok": status == 200}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Web)
    server.status, server.requests = 200, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _start(argv: list[str], ready_url: str, name: str) -> subprocess.Popen:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            urllib.request.urlopen(ready_url, timeout=1)
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{name} did not start: {process.stderr.read().decode()}")
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _exporter_binary() -> str:
    binary = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if binary is None:
        pytest.fail("the blackbox exporter is not installed (Debian package prometheus-blackbox-exporter, "
                    "bin/services)")
    return binary


@pytest.fixture
def exporter():
    """Debian's blackbox exporter with the shipped blackbox.yml on a loopback port; yields its address."""
    address = f"127.0.0.1:{free_port()}"
    argv = [_exporter_binary(), f"--config.file={BLACKBOX_CONFIG}", f"--web.listen-address={address}",
            "--log.level=warn"]
    process = _start(argv, f"http://{address}/-/healthy", "the blackbox exporter")
    yield address
    _stop(process)


def _probe(exporter: str, target: str) -> dict[str, float]:
    query = urllib.parse.urlencode({"module": "http_2xx", "target": target})
    with urllib.request.urlopen(f"http://{exporter}/probe?{query}", timeout=10) as response:
        text = response.read().decode()
    return {name: float(value) for name, value in re.findall(r"^(\w+) (\S+)$", text, re.MULTILINE)}


def test_the_exporter_accepts_the_shipped_config():
    result = subprocess.run([_exporter_binary(), f"--config.file={BLACKBOX_CONFIG}", "--config.check"],
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_probe_succeeds_while_the_web_app_is_ready_and_fails_otherwise(exporter, web):
    target = f"http://127.0.0.1:{web.server_port}/health/"

    ready = _probe(exporter, target)
    assert ready["probe_success"] == 1 and ready["probe_http_status_code"] == 200
    assert web.requests == [("GET", "/health/")]

    web.status = 503  # not ready: a database, the broker or storage does not answer
    not_ready = _probe(exporter, target)
    assert not_ready["probe_success"] == 0 and not_ready["probe_http_status_code"] == 503

    web.status = 302  # something else answers /health/ (a redirect to HTTPS, to a login): not ready
    redirected = _probe(exporter, target)
    assert redirected["probe_success"] == 0
    assert web.requests[-1] == ("GET", "/health/")  # the redirect was not followed

    web.shutdown()
    web.server_close()  # nothing listens any more
    assert _probe(exporter, target)["probe_success"] == 0


def _query(prometheus: str, expr: str) -> list[dict]:
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]["result"]


def _wait_for(prometheus: str, expr: str, value: str) -> list[dict]:
    deadline = time.monotonic() + SIGNAL_TIMEOUT_SECONDS
    while True:
        result = _query(prometheus, expr)
        if result and all(sample["value"][1] == value for sample in result):
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{expr} did not become {value} within {SIGNAL_TIMEOUT_SECONDS} s: {result}")
        time.sleep(0.5)


def test_prometheus_reads_the_web_app_up_then_down_through_the_exporter(exporter, web, tmp_path):
    """The shipped job (only the two addresses moved to loopback) and the shipped rules."""
    prometheus_binary = shutil.which("prometheus")
    if prometheus_binary is None:
        pytest.fail("prometheus is not installed (Debian package prometheus, bin/services)")
    job = _job(load_yaml(PROMETHEUS_DIR / "prometheus.yml"))
    target = f"http://127.0.0.1:{web.server_port}/health/"
    assert job["static_configs"][0]["targets"] == [WEB_READINESS_URL]
    job["static_configs"][0]["targets"] = [target]
    (to_exporter,) = [rule for rule in job["relabel_configs"] if rule["target_label"] == "__address__"]
    assert to_exporter["replacement"] == EXPORTER_ADDRESS
    to_exporter["replacement"] = exporter
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "2s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS_DIR / "rules" / "*.yml")],
        "scrape_configs": [job],
    }))
    address = f"127.0.0.1:{free_port()}"
    argv = [prometheus_binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address={address}", "--log.level=warn"]
    process = _start(argv, f"http://{address}/-/ready", "Prometheus")
    prometheus = f"http://{address}"
    try:
        web_up = 'alexandrite:component_up{component="web"}'
        _wait_for(prometheus, web_up, "1")
        (probe,) = _query(prometheus, "probe_success")
        assert probe["metric"] == {"__name__": "probe_success", "job": JOB, "instance": target, "tier": "app"}
        assert ("GET", "/health/") in web.requests

        web.status = 503
        _wait_for(prometheus, web_up, "0")
        # down because the probe failed, not because it went missing
        assert [sample["value"][1] for sample in _query(prometheus, "probe_success")] == ["0"]
    finally:
        _stop(process)
