"""Real processes (Celery workers, gunicorn) run against this test's databases, broker and media.

Tests using them need ``@pytest.mark.django_db(..., transaction=True)`` so their rows
are committed and visible to the subprocesses, and ``@pytest.mark.services``.
Leave each context manager before the test ends: the table flush after a
transactional test waits for the subprocesses' connections to go away.
"""

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections

from deploy.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # the virtualenv running the tests (bin/test: ROOT/.venv)
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
WORKER_QUEUES = ("mes.orders", "mes.pricing", "shop.events")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_names = itertools.count(1)


def broker_url() -> str:
    return os.environ.get("TEST_BROKER_URL", DEFAULT_BROKER_URL)


def wait_until(predicate, timeout: float = 30, interval: float = 0.1, message="condition"):
    """Poll ``predicate`` until it returns something truthy (returned); fail the test after ``timeout``.

    ``message`` may be a callable, evaluated on timeout (e.g. to show a worker's log).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            described = message() if callable(message) else message
            raise AssertionError(f"Timed out after {timeout}s waiting for {described}")
        time.sleep(interval)


def database_url(alias: str) -> str:
    """The URL of the database ``alias`` points at now (the test database during a test)."""
    db = connections[alias].settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        raise RuntimeError(f"Subprocesses need PostgreSQL test databases; {alias!r} is {db['ENGINE']}")
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def process_env(**overrides) -> dict:
    """The environment for a subprocess: this test's databases, broker and media, no trace export."""
    env = dict(os.environ)
    env.update(
        SHOP_DATABASE_URL=database_url("default"),
        MES_DATABASE_URL=database_url("mes"),
        CELERY_BROKER_URL=broker_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        OTEL_TRACES_EXPORTER="none",
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "jewelry.settings"),
        PYTHONUNBUFFERED="1",
    )
    env.update({name: str(value) for name, value in overrides.items()})
    return env


def _log_dir() -> Path:
    """Next to the test's media, i.e. in its ``tmp_path`` (the conftest puts MEDIA_ROOT there)."""
    directory = Path(settings.MEDIA_ROOT).parent / "process-logs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class _Process:
    """A subprocess in its own process group, with its output in a log file."""

    def __init__(self, argv: list[str], env: dict, label: str):
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
        self.label = label
        self.log_path = Path(tempfile.mkstemp(prefix=f"{label}-", suffix=".log", dir=_log_dir())[1])
        with open(self.log_path, "wb") as log_file:
            self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log_file,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_ready(self, is_ready, timeout: float = START_TIMEOUT) -> None:
        def ready():
            if not self.alive():
                raise AssertionError(f"{self.label} exited with {self.popen.returncode}:\n{self.log()}")
            return is_ready()

        try:
            wait_until(ready, timeout=timeout, interval=0.1, message=f"{self.label} to be ready")
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"{exc}\n--- {self.label} log ---\n{self.log()}") from None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (warm shutdown), then SIGKILL the whole group if it lingers."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            self._after_sigterm()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # leftover children (prefork pool, gunicorn workers)
        return self.popen.wait()

    def _after_sigterm(self) -> None:
        pass


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``, read from /proc (no psutil here)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return sorted(set(children))


class Worker(_Process):
    def __init__(self, argv, env, name):
        super().__init__(argv, env, label=name.split("@")[0])
        self.name = name
        self.broker_url = env["CELERY_BROKER_URL"]

    def _after_sigterm(self) -> None:
        """An idle worker only sees its stop flag when its event loop wakes (up to 10 s): poke it."""
        from kombu import Connection
        from kombu.pidbox import Mailbox

        # Celery's own mailbox, reached without the app (this process may be eager, on memory://).
        mailbox = Mailbox("celery", type="fanout", accept=["json"], serializer="json")
        with contextlib.suppress(Exception), Connection(self.broker_url, connect_timeout=2) as connection:
            mailbox(connection)._broadcast("ping", destination=[self.name])

    def children(self) -> list[int]:
        return child_pids(self.pid)

    def kill_child(self) -> int:
        """SIGKILL the prefork child (use ``concurrency=1``: then it is the one running the task)."""
        children = wait_until(self.children, timeout=10, message=f"a pool child of {self.name}")
        os.kill(children[0], signal.SIGKILL)
        return children[0]


@contextlib.contextmanager
def celery_worker(queues=WORKER_QUEUES, *, env: dict | None = None, concurrency: int = 1,
                  pool: str = "prefork", name: str | None = None, loglevel: str = "INFO"):
    """A real ``celery worker`` consuming ``queues``; ready when it logs "ready.", stopped on exit."""
    node = f"{name or 'test-worker'}-{os.getpid()}-{next(_names)}@%h"
    argv = [str(VENV_BIN / "celery"), "-A", "jewelry", "worker", "-Q", ",".join(queues),
            "-n", node, f"--concurrency={concurrency}", f"--pool={pool}", f"--loglevel={loglevel}",
            "--without-heartbeat", "--without-gossip", "--without-mingle"]
    worker = Worker(argv, env or process_env(), node.replace("%h", socket.gethostname()))
    try:
        worker.wait_ready(lambda: " ready." in worker.log())
        yield worker
    finally:
        worker.stop()


def _answers_http(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is up
    except OSError:
        return False
    return True


class Server(_Process):
    url: str


@contextlib.contextmanager
def gunicorn_server(*, env: dict | None = None, workers: int = 2, preload: bool = True,
                    extra_args: tuple[str, ...] = ()):
    """A real gunicorn serving ``jewelry.wsgi`` on a free local port; ``.url`` has no trailing slash."""
    port = free_port()
    config = ROOT / "deploy" / "gunicorn.conf.py"
    argv = [str(VENV_BIN / "gunicorn")]
    if config.exists():
        argv += ["-c", str(config)]
    argv += ["jewelry.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
             *(["--preload"] if preload else []), *extra_args]
    server = Server(argv, env or process_env(), label="gunicorn")
    server.url = f"http://127.0.0.1:{port}"
    try:
        server.wait_ready(lambda: _answers_http(server.url + "/api/schema/"))
        yield server
    finally:
        server.stop()


def purge_queues(url: str | None = None) -> dict[str, int]:
    """Declare and empty the system queues, so messages left by earlier runs do not leak in."""
    from kombu import Connection

    from jewelry.messaging import QUEUES

    purged = {}
    with Connection(url or broker_url(), connect_timeout=5) as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            bound = queue(channel)
            bound.declare()
            purged[queue.name] = bound.purge() or 0
    return purged


def queue_depth(name: str, url: str | None = None) -> int:
    """Messages ready in queue ``name`` (declared if missing)."""
    from kombu import Connection

    from jewelry.messaging import QUEUES

    queue = next(q for q in QUEUES if q.name == name)
    with Connection(url or broker_url(), connect_timeout=5) as connection:
        _, depth, _ = queue(connection.default_channel).queue_declare()
    return depth


@contextlib.contextmanager
def publishing_to(url: str | None = None):
    """Make this test process publish to a real broker instead of running tasks eagerly.

    The Celery app reads its settings once, at import; the ``settings`` fixture cannot
    reach it, so this switches ``app.conf`` and the connection pool, and restores both.
    """
    from jewelry.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    _reset_connections(app)
    app.conf.update(broker_url=url or broker_url(), task_always_eager=False)
    try:
        yield app
    finally:
        _reset_connections(app)
        app.conf.update(saved)


def _reset_connections(app) -> None:
    """Drop pooled broker connections; kombu keys its pools by URL and keeps closed ones otherwise."""
    from kombu import pools

    pools.reset()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


@contextlib.contextmanager
def celery_beat(*, env: dict | None = None, loglevel: str = "INFO"):
    """A real ``celery beat`` sending the maintenance schedule (outbox relays, stuck-order scan)."""
    schedule = Path(tempfile.mkdtemp(prefix="beat-")) / "schedule"
    argv = [str(VENV_BIN / "celery"), "-A", "jewelry", "beat", f"--schedule={schedule}",
            "--max-interval=1", f"--loglevel={loglevel}"]
    beat = _Process(argv, env or process_env(), label="beat")
    try:
        beat.wait_ready(lambda: "beat: Starting..." in beat.log())
        yield beat
    finally:
        beat.stop()
