"""The processes a benchmark measures (gunicorn, a Celery worker) and the OTLP sink they export to."""

from __future__ import annotations

import contextlib
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

from benchmarks.environment import BIN, ROOT
from deploy.stack import free_port

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


class Process:
    """A subprocess in its own process group, its output in a log file; stopped by its own id only."""

    def __init__(self, argv: list[str], env: dict, label: str, cwd: Path = ROOT):
        self.label = label
        self.log_path = Path(tempfile.mkstemp(prefix=f"bench-{label}-", suffix=".log")[1])
        with open(self.log_path, "wb") as log_file:
            self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log_file,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.popen.returncode}:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.label} not ready after {timeout}s:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM (graceful: lets the SDK flush its queue), then SIGKILL this group if it lingers."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        self.log_path.unlink(missing_ok=True)


def children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid``."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its live descendants (gunicorn's master and workers).

    Unlike wall time, this barely moves when other programs share the machine.
    """
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
            pending += children(current)
    return total / os.sysconf("SC_CLK_TCK")


def _answers_http(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # any status: the server is up
    except OSError:
        return False
    return True


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int, prefix: tuple[str, ...] = (), app: str = "jewelry.wsgi"):
    """gunicorn serving ``app`` on a free port (deploy/gunicorn.conf.py when it exists)."""
    port = free_port()
    argv = [*prefix, str(BIN / "gunicorn")]
    config = ROOT / "deploy" / "gunicorn.conf.py"
    if config.exists():
        argv += ["-c", str(config)]
    argv += [app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    server = Process(argv, env, "gunicorn")
    server.port = port
    try:
        server.wait_until(lambda: _answers_http(f"http://127.0.0.1:{port}/api/v1/shop/orders/"))
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def celery_worker(env: dict, *, queues: str, concurrency: int, app: str = "jewelry", cwd: Path = ROOT):
    """One Celery worker process (prefork pool of ``concurrency`` children); ready when it says so.

    ``app``: benchmarks.worker_app for a variant with pieces of our tracing taken out;
    ``cwd``: another checkout of the project, whose code the worker then runs (before/after).
    """
    node = f"bench-{free_port()}@{socket.gethostname()}"
    argv = [str(BIN / "celery"), "-A", app, "worker", "-Q", queues, "-n", node,
            f"--concurrency={concurrency}", "--pool=prefork", "--loglevel=INFO",
            "--without-heartbeat", "--without-gossip", "--without-mingle"]
    worker = Process(argv, env, "celery", cwd=cwd)
    worker.node = node
    try:
        worker.wait_until(lambda: " ready." in worker.log())
        yield worker
    finally:
        worker.stop()


@contextlib.contextmanager
def otlp_sink(mode: str = "ok"):
    """The sink of benchmarks.sink in its own process (so it does not share the load generator's GIL)."""
    port = free_port()
    dump = Path(tempfile.mkstemp(prefix="bench-otlp-", suffix=".bin")[1])
    sink = Process([sys.executable, "-m", "benchmarks.sink", "--port", str(port), "--mode", mode,
                    "--dump", str(dump)], {"PYTHONPATH": str(ROOT), "PATH": ""}, f"sink-{mode}")
    sink.endpoint = f"http://127.0.0.1:{port}"
    sink.dump = dump
    try:
        sink.wait_until(lambda: _port_open(port), timeout=10)
        yield sink
    finally:
        sink.stop()
        # The caller reads the dump inside the block; nothing to keep afterwards.
        dump.unlink(missing_ok=True)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
