"""gunicorn for the web app: ``gunicorn -c deploy/gunicorn.conf.py jewelry.wsgi``.

Every value comes from a GUNICORN_* variable with a production default. The app is
loaded once in the master (preload) and forked; the hooks make each worker export
its spans on its own connections and flush them, within a bound, before it exits
(docs/tracing.md, "Fork safety").
"""

import ipaddress
import os
import sys
from pathlib import Path

import gunicorn.http.wsgi

# gunicorn writes "Server: gunicorn" on every response and has no setting for it: the header
# is its module's SERVER (gunicorn/http/wsgi.py, Response.__init__, read per response). A
# scanner learns nothing of the server software from ours.
SERVER_HEADER = "alexandrite"
gunicorn.http.wsgi.SERVER = SERVER_HEADER

# What one sync worker of this app needs (the preloaded app is shared copy-on-write).
WORKER_MEMORY_BYTES = 160 * 1024 * 1024


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def default_workers() -> int:
    """2 x CPUs + 1, the CPUs being the pod's (CPU_REQUEST, downward API) rather than the node's,
    and no more workers than MEMORY_LIMIT (downward API, bytes) holds."""
    cpus = _int("CPU_REQUEST", 0) or len(os.sched_getaffinity(0))
    workers = 2 * cpus + 1
    memory = _int("MEMORY_LIMIT", 0)
    if memory:
        workers = min(workers, max(1, memory // WORKER_MEMORY_BYTES))
    return workers


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = _int("GUNICORN_WORKERS", default_workers())
threads = _int("GUNICORN_THREADS", 1)
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() == "true"
timeout = _int("GUNICORN_TIMEOUT", 30)
# A worker asked to stop gets this long; the tracing flush at exit waits at most
# OTEL_BSP_EXPORT_TIMEOUT (5 s unset), well inside it.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycling workers bounds memory growth; each leaving worker flushes its spans first.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The heartbeat file on tmpfs: a container's overlay disk can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn's control socket (gunicornc) defaults to one $HOME/.gunicorn/gunicorn.ctl shared by
# every gunicorn of the user (and $HOME is read-only in the image): one per bind, in the
# writable directory.
_var_dir = Path(os.environ.get("ALEXANDRITE_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET", str(_var_dir / f"gunicorn-{bind.rsplit(':', 1)[-1]}.ctl")
)
# Importing the Django settings makes no folder: the socket's is made here, where it is needed.
Path(control_socket).parent.mkdir(parents=True, exist_ok=True)


def _is_local(address: str) -> bool:
    """True for a loopback address (``127.0.0.1:8000``, ``[::1]:8000``, ``localhost:8000``) or a unix socket."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def on_starting(server):
    """Refuse to face the public directly: sync workers are held by a slow body (four
    connections at 1 byte/s block three workers), so only the buffering proxy may reach
    them. A bind beyond loopback is allowed only where TRUSTED_PROXIES names that proxy."""
    exposed = [address for address in server.cfg.bind if not _is_local(address)]
    if exposed and not os.environ.get("TRUSTED_PROXIES"):
        server.log.error(
            "Refusing to bind %s: gunicorn must sit behind the buffering proxy (deploy/nginx, the "
            "ingress). Bind 127.0.0.1, or set TRUSTED_PROXIES to the proxy's address.", ", ".join(exposed))
        sys.exit(1)


def post_fork(server, worker):
    """A new worker: export on connections of its own (the SDK restarts its threads itself)."""
    from tracing import setup

    setup.after_fork()


def worker_exit(server, worker):
    """A worker leaving (stop, restart, max_requests): send its queued spans, boundedly."""
    from tracing import setup

    setup.flush()
