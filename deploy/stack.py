"""The tracing backbone as local processes, without Docker: the Collector, Jaeger, Prometheus
and Alertmanager, each started from the shipped config with only addresses, ports, paths and
certificates changed (through the configs' ``${env:...}`` settings). ``bin/stack`` and the
backbone's end-to-end tests (tests/backbone/) both start it through ``Backbone``.

Binaries: ``bin/build-backbone`` builds the Collector and Jaeger (or ``OTELCOL_BIN`` /
``JAEGER_BIN`` name them); Prometheus and Alertmanager are Debian's (``bin/services``).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COLLECTOR_CONFIG = DEPLOY / "otel-collector" / "config.yaml"
JAEGER_CONFIG = DEPLOY / "jaeger" / "config.yaml"
JAEGER_UI_CONFIG = DEPLOY / "jaeger" / "ui-config.json"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
PROMETHEUS_RULES = DEPLOY / "prometheus" / "rules"
BLACKBOX_CONFIG = DEPLOY / "prometheus" / "blackbox.yml"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
# As compose and Kubernetes run the Collector (deploy/compose.yaml, deploy/k8s/otel-collector.yaml).
COLLECTOR_FLAGS = ("--feature-gates=-spanmetrics.statusCodeConvention.useOtelPrefix",)
JAEGER_BASE_PATH = "/jaeger"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def backbone_binaries() -> dict[str, str]:
    """OTELCOL_BIN and JAEGER_BIN: from the environment, else built (cached) by bin/build-backbone."""
    if os.environ.get("OTELCOL_BIN") and os.environ.get("JAEGER_BIN"):
        return {"OTELCOL_BIN": os.environ["OTELCOL_BIN"], "JAEGER_BIN": os.environ["JAEGER_BIN"]}
    built = subprocess.run([str(ROOT / "bin" / "build-backbone")], check=True, text=True,
                           stdout=subprocess.PIPE).stdout
    return dict(pair.split("=", 1) for pair in built.split())


def debian_binary(*names: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise RuntimeError(f"{names[0]} is not installed: bin/services installs it (Debian package)")


class Process:
    """One backbone program in its own process group, its output in ``<workdir>/<name>.log``."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: Path, ready_url: str = "",
                 ready_log: str = ""):
        """Ready when ``ready_url`` answers, or when ``ready_log`` shows up in its output."""
        self.name, self.argv, self.env, self.ready_url, self.ready_log = name, argv, env, ready_url, ready_log
        self.ports: Ports | None = None
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self, timeout: float = START_TIMEOUT) -> Process:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.stop()
                waited_for = self.ready_url or repr(self.ready_log)
                raise RuntimeError(f"{self.name} did not become ready ({waited_for}):\n{self.log()[-4000:]}")
            time.sleep(0.2)
        return self

    def ready(self) -> bool:
        return answers(self.ready_url) if self.ready_url else self.ready_log in self.log()

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (a graceful stop: queues flushed to disk) or, with ``kill``, SIGKILL (a crash)."""
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.popen.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Ports:
    otlp_grpc: int = field(default_factory=free_port)
    otlp_http: int = field(default_factory=free_port)
    collector_health: int = field(default_factory=free_port)
    collector_telemetry: int = field(default_factory=free_port)
    collector_prometheus: int = field(default_factory=free_port)
    jaeger_otlp: int = field(default_factory=free_port)
    jaeger_query: int = field(default_factory=free_port)
    jaeger_query_grpc: int = field(default_factory=free_port)
    jaeger_health: int = field(default_factory=free_port)
    jaeger_telemetry: int = field(default_factory=free_port)
    prometheus: int = field(default_factory=free_port)
    alertmanager: int = field(default_factory=free_port)
    blackbox: int = field(default_factory=free_port)


class Backbone:
    """Collector -> Jaeger, span metrics -> Prometheus -> Alertmanager, on 127.0.0.1.

    ``collector_env`` overrides the Collector config's ``${env:...}`` settings (tail sampling's
    share and decision wait, say); ``interval`` is Prometheus' scrape and rule interval;
    ``rules_dir`` replaces the shipped alert rules (tests shorten their ``for``); with
    ``web_health_url``, the blackbox exporter probes the web app's readiness there; with
    ``rabbitmq_metrics`` (host:port of RabbitMQ's Prometheus plugin), the workers' queues are
    watched too (on the default vhost, this machine's); ``alert_group_wait`` replaces Alertmanager's
    30 s wait before a new group's first notification (tests).
    """

    def __init__(self, workdir: Path, *, webhook_url: str, token: str = "local-ingest-token",
                 collector_env: dict | None = None, interval: str = "15s", rules_dir: Path | None = None,
                 ports: Ports | None = None, web_health_url: str = "", rabbitmq_metrics: str = "",
                 alert_group_wait: str = ""):
        self.workdir, self.webhook_url, self.token = Path(workdir), webhook_url, token
        self.collector_env, self.interval = dict(collector_env or {}), interval
        self.rules_dir = rules_dir or PROMETHEUS_RULES
        self.ports = ports or Ports()
        self.web_health_url, self.rabbitmq_metrics = web_health_url, rabbitmq_metrics
        self.alert_group_wait = alert_group_wait
        self.certs = self.workdir / "certs"
        self.binaries = backbone_binaries()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.collector = self._collector()
        self.jaeger = self._jaeger()
        self.prometheus = self._prometheus()
        self.alertmanager = self._alertmanager()
        self.blackbox = self._blackbox() if web_health_url else None

    # ------------------------------------------------------------------ addresses

    @property
    def otlp_http_endpoint(self) -> str:
        return f"https://127.0.0.1:{self.ports.otlp_http}"

    @property
    def jaeger_query_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.jaeger_query}{JAEGER_BASE_PATH}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.prometheus}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.alertmanager}"

    def app_env(self) -> dict:
        """What an app process needs to export to this Collector: OTLP/HTTP over TLS with the token."""
        return {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_http_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(self.certs / "ca.pem"),
            "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{self.token}",
            "JAEGER_QUERY_URL": self.jaeger_query_url,
            # requests lets these override the exporter's own CA (OTEL_EXPORTER_OTLP_CERTIFICATE):
            # empty, they step aside (docs/deploy.md, "TLS to the Collector").
            "REQUESTS_CA_BUNDLE": "",
            "CURL_CA_BUNDLE": "",
        }

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Backbone:
        self._make_certs()
        for process in self.processes():
            process.start()
        return self

    def stop(self) -> None:
        for process in reversed(self.processes()):
            process.stop()

    def __enter__(self) -> Backbone:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def processes(self) -> list[Process]:
        """In start order: what receives before what sends."""
        probe = [self.blackbox] if self.blackbox else []
        return [self.jaeger, *probe, self.prometheus, self.alertmanager, self.collector]

    # ------------------------------------------------------------------ the four programs

    def _make_certs(self) -> None:
        env = {**os.environ, "CERTS_DIR": str(self.certs)}
        subprocess.run([str(DEPLOY / "make-dev-certs.sh")], env=env, check=True,
                       stdout=subprocess.DEVNULL)

    def another_collector(self, name: str, **collector_env: str) -> Process:
        """A second Collector on ports of its own, sending to the same Jaeger (not started).

        Its OTLP/HTTP endpoint is ``https://127.0.0.1:<process.ports.otlp_http>``.
        """
        return self._collector(name, Ports(), {**self.collector_env, **collector_env})

    def _collector(self, name: str = "otel-collector", ports: Ports | None = None,
                   collector_env: dict | None = None) -> Process:
        p, certs = ports or self.ports, self.certs
        env = {
            **os.environ,
            "OTEL_INGEST_TOKEN": self.token,
            "OTEL_QUEUE_DIRECTORY": str(self.workdir / f"{name}-queue"),
            "OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{p.collector_health}",
            "OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{p.otlp_grpc}",
            "OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{p.otlp_http}",
            "OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{p.collector_prometheus}",
            "OTELCOL_TELEMETRY_HOST": "127.0.0.1",
            "OTELCOL_TELEMETRY_PORT": str(p.collector_telemetry),
            "OTELCOL_TLS_CERT_FILE": str(certs / "otel-collector.pem"),
            "OTELCOL_TLS_KEY_FILE": str(certs / "otel-collector-key.pem"),
            "OTELCOL_TLS_CA_FILE": str(certs / "ca.pem"),
            "JAEGER_OTLP_ENDPOINT": f"127.0.0.1:{self.ports.jaeger_otlp}",
            **(self.collector_env if collector_env is None else collector_env),
        }
        argv = [self.binaries["OTELCOL_BIN"], f"--config={COLLECTOR_CONFIG}", *COLLECTOR_FLAGS]
        process = Process(name, argv, env, self.workdir, f"http://127.0.0.1:{p.collector_health}/")
        process.ports = p
        return process

    def _jaeger(self) -> Process:
        p, certs = self.ports, self.certs
        env = {
            **os.environ,
            "JAEGER_BADGER_DIR": str(self.workdir / "badger"),
            "JAEGER_UI_CONFIG_FILE": str(JAEGER_UI_CONFIG),
            "JAEGER_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{p.jaeger_otlp}",
            "JAEGER_QUERY_HTTP_ENDPOINT": f"127.0.0.1:{p.jaeger_query}",
            "JAEGER_QUERY_GRPC_ENDPOINT": f"127.0.0.1:{p.jaeger_query_grpc}",
            "JAEGER_HEALTH_ENDPOINT": f"127.0.0.1:{p.jaeger_health}",
            "JAEGER_TELEMETRY_HOST": "127.0.0.1",
            "JAEGER_TELEMETRY_PORT": str(p.jaeger_telemetry),
            "JAEGER_TLS_CERT_FILE": str(certs / "jaeger.pem"),
            "JAEGER_TLS_KEY_FILE": str(certs / "jaeger-key.pem"),
            "PROMETHEUS_URL": self.prometheus_url,
        }
        argv = [self.binaries["JAEGER_BIN"], "--config", str(JAEGER_CONFIG)]
        return Process("jaeger", argv, env, self.workdir, f"{self.jaeger_query_url}/api/services")

    def _prometheus(self) -> Process:
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(self.prometheus_config(), sort_keys=False))
        argv = [debian_binary("prometheus"), f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{self.ports.prometheus}", "--log.level=warn"]
        return Process("prometheus", argv, dict(os.environ), self.workdir, f"{self.prometheus_url}/-/ready")

    def prometheus_config(self) -> dict:
        """The shipped prometheus.yml with this machine's addresses, and only the jobs that run here."""
        shipped = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
        p = self.ports
        local_targets = {
            "otel-collector-exporter": p.collector_prometheus,
            "otel-collector": p.collector_telemetry,
            "jaeger": p.jaeger_telemetry,
            "prometheus": p.prometheus,
            "alertmanager": p.alertmanager,
            "web-availability": p.blackbox,
        }
        jobs = []
        for job in shipped["scrape_configs"]:
            if job["job_name"] == "rabbitmq" and self.rabbitmq_metrics:
                job["static_configs"][0]["targets"] = [self.rabbitmq_metrics]
                job["params"]["vhost"] = ["/"]
                jobs.append(job)
                continue
            if job["job_name"] not in local_targets:
                continue  # Grafana is not part of the local stack
            if job["job_name"] == "web-availability":
                if not self.web_health_url:
                    continue
                # the probed URL is the target; the exporter's address is the relabelled __address__
                job["static_configs"][0]["targets"] = [self.web_health_url]
                for relabel in job["relabel_configs"]:
                    if relabel.get("target_label") == "__address__":
                        relabel["replacement"] = f"127.0.0.1:{p.blackbox}"
            else:
                for static in job["static_configs"]:
                    static["targets"] = [f"127.0.0.1:{local_targets[job['job_name']]}"]
            jobs.append(job)
        shipped["global"].update(scrape_interval=self.interval, evaluation_interval=self.interval)
        alertmanagers = shipped["alerting"]["alertmanagers"][0]["static_configs"][0]
        alertmanagers["targets"] = [f"127.0.0.1:{p.alertmanager}"]
        shipped["rule_files"] = [str(Path(self.rules_dir) / "*.yml")]
        shipped["scrape_configs"] = jobs
        return shipped

    def _blackbox(self) -> Process:
        argv = [debian_binary("prometheus-blackbox-exporter", "blackbox_exporter"),
                f"--config.file={BLACKBOX_CONFIG}", f"--web.listen-address=127.0.0.1:{self.ports.blackbox}",
                "--log.level=warn"]
        return Process("blackbox-exporter", argv, dict(os.environ), self.workdir,
                       f"http://127.0.0.1:{self.ports.blackbox}/-/healthy")

    def _alertmanager(self) -> Process:
        config = self.workdir / "alertmanager.yml"
        shipped = yaml.safe_load(ALERTMANAGER_CONFIG.read_text()
                                 .replace("${ALERT_WEBHOOK_URL}", f"{self.webhook_url}/alerts")
                                 .replace("${ALERT_HEARTBEAT_URL}", f"{self.webhook_url}/heartbeat"))
        if self.alert_group_wait:
            shipped["route"]["group_wait"] = self.alert_group_wait
        config.write_text(yaml.safe_dump(shipped, sort_keys=False))
        argv = [debian_binary("prometheus-alertmanager", "alertmanager"), f"--config.file={config}",
                f"--storage.path={self.workdir / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{self.ports.alertmanager}",
                "--cluster.listen-address=", "--log.level=warn"]
        return Process("alertmanager", argv, dict(os.environ), self.workdir,
                       f"{self.alertmanager_url}/-/ready")


class Webhook:
    """A local webhook receiver for Alertmanager: every POST as (path, JSON body) in ``received``,
    and passed to ``on_post`` when given (bin/stack prints the alerts)."""

    def __init__(self, on_post=None):
        self.received: queue.Queue = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                received.put((self.path, body))
                if on_post:
                    on_post(self.path, body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Webhook:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next(self, path: str, timeout: float) -> dict | None:
        """The next body POSTed to ``path`` within ``timeout`` seconds (others are passed over), or None."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got_path, body = self.received.get(timeout=left)
            except queue.Empty:
                return None
            if got_path == path:
                return body
        return None


# ---------------------------------------------------------------------- bin/stack

APP_ADDRESS = "127.0.0.1:8000"
STACK_DATABASES = {"SHOP_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/alexandrite_shop",
                   "MES_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/alexandrite_mes"}
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
VENV_BIN = ROOT / ".venv" / "bin"


def _say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


def _print_alert(path: str, body: dict) -> None:
    for alert in body.get("alerts", []):
        labels = alert.get("labels", {})
        _say(f"alert {alert.get('status')} via {body.get('receiver')}: {labels.get('alertname')} "
             f"{alert.get('annotations', {}).get('summary', '')}")


def app_processes(backbone: Backbone, log_dir: Path) -> list[Process]:
    """gunicorn, one Celery worker per queue and beat, exporting to the backbone's Collector."""
    base = {**os.environ, **STACK_DATABASES, **backbone.app_env(), "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false", "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "otlp", "DJANGO_SETTINGS_MODULE": "jewelry.settings"}

    def app(name: str, service: str, argv: list[str], **ready) -> Process:
        return Process(name, argv, {**base, "OTEL_SERVICE_NAME": service}, log_dir, **ready)

    celery = [str(VENV_BIN / "celery"), "-A", "jewelry"]
    worker = [*celery, "worker", "--concurrency=1", "--loglevel=INFO"]
    return [
        app("web", "alexandrite-web", [str(VENV_BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"),
                                       "jewelry.wsgi", "-b", APP_ADDRESS],
            ready_url=f"http://{APP_ADDRESS}/health/live/"),
        app("mes-worker", "alexandrite-worker", [*worker, "-Q", "mes.orders,mes.pricing", "-n", "mes@%h"],
            ready_log=" ready."),
        app("shop-worker", "alexandrite-worker", [*worker, "-Q", "shop.events", "-n", "shop@%h"],
            ready_log=" ready."),
        app("beat", "alexandrite-beat",
            [*celery, "beat", f"--schedule={log_dir / 'beat-schedule'}", "--loglevel=INFO"],
            ready_log="beat: Starting..."),
    ]


def _prepare_databases() -> None:
    env = {**os.environ, **STACK_DATABASES}
    manage = [str(VENV_BIN / "python"), str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput", "-v", "0"],
                    ["migrate", "--database", "mes", "--noinput", "-v", "0"],
                    ["seed_demo"]):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bin/stack",
        description="Runs the whole Alexandrite stack on this machine without Docker: PostgreSQL and "
                    "RabbitMQ (bin/services), gunicorn, the two Celery workers and beat, exporting over "
                    "OTLP/TLS with the token to the Collector, Jaeger, Prometheus and Alertmanager "
                    "(shipped configs). Prints where each answers; Ctrl-C stops them all.")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "stack",
                        help="logs, certificates, Jaeger's and Prometheus' data (default: var/stack)")
    parser.add_argument("--ready-and-stop", action="store_true",
                        help="start everything, print the addresses, then stop (a smoke test)")
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    _say("migrating the shop and MES databases, demo users")
    _prepare_databases()
    started: list[Process] = []
    with Webhook(on_post=_print_alert) as webhook:
        # A laptop's volume is tiny: keep every trace and decide soon, so that an order walked by
        # hand is in the console within seconds (production keeps 10% of ordinary traces after 60 s).
        sampling = {"TAIL_SAMPLING_PERCENTAGE": os.environ.get("TAIL_SAMPLING_PERCENTAGE", "100"),
                    "TAIL_SAMPLING_DECISION_WAIT": os.environ.get("TAIL_SAMPLING_DECISION_WAIT", "5s")}
        backbone = Backbone(args.workdir, webhook_url=webhook.url, collector_env=sampling, ports=Ports(
            otlp_grpc=4317, otlp_http=4318, collector_health=13133, collector_telemetry=8888,
            collector_prometheus=8889, jaeger_otlp=14317, jaeger_query=16686, jaeger_query_grpc=16685,
            jaeger_health=14133, jaeger_telemetry=14269, prometheus=9090, alertmanager=9093, blackbox=9115),
            web_health_url=f"http://{APP_ADDRESS}/health/", rabbitmq_metrics="127.0.0.1:15692")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            _say("starting Jaeger, Prometheus, Alertmanager and the Collector")
            backbone.start()
            for process in app_processes(backbone, args.workdir):
                _say(f"starting {process.name}")
                started.append(process.start())
            _say("ready:")
            for line in addresses(backbone):
                _say(f"  {line}")
            _say(f"logs in {args.workdir}; Ctrl-C stops everything")
            if not args.ready_and_stop:
                stop.wait()
        except KeyboardInterrupt:
            pass
        except RuntimeError as error:
            _say(f"ERROR: {error}")
            return 1
        finally:
            for process in reversed(started):
                process.stop()
            backbone.stop()
            _say("stopped")
    return 0


def addresses(backbone: Backbone) -> list[str]:
    return [
        f"shop, CRM and MES APIs   http://{APP_ADDRESS}/api/docs/  (bin/try-order walks an order)",
        f"support console          http://{APP_ADDRESS}/support/  (support / alexandrite-demo)",
        f"Jaeger query API         {backbone.jaeger_query_url}/api/v3/services  (built from the module: "
        "no UI assets)",
        f"Collector OTLP           grpc 127.0.0.1:{backbone.ports.otlp_grpc}, {backbone.otlp_http_endpoint} "
        f"(TLS, bearer token)",
        f"Prometheus               {backbone.prometheus_url}/alerts",
        f"Alertmanager             {backbone.alertmanager_url}/  (alerts are printed here)",
        "PostgreSQL 127.0.0.1:5432, RabbitMQ 127.0.0.1:5672",
    ]


if __name__ == "__main__":
    sys.exit(main())
