"""gunicorn as deploy/gunicorn.conf.py runs it (issue #21, finding 13): its responses do not name it.

A real gunicorn serves the app on the embedded defaults (no database is asked: the liveness
page); nothing here imports Django.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.deploy.conftest import DEPLOY, REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_answer(url: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return urllib.request.urlopen(url, timeout=2)
        except urllib.error.HTTPError as answer:  # any status: the server is up
            return answer
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def gunicorn_env(tmp_path, bind: str, **extra) -> dict:
    env = {name: value for name, value in os.environ.items()
           if not name.endswith("DATABASE_URL") and name != "TRUSTED_PROXIES"}
    env.update(ALEXANDRITE_VAR_DIR=str(tmp_path), GUNICORN_BIND=bind, GUNICORN_WORKERS="1",
               DJANGO_SETTINGS_MODULE="jewelry.settings", OTEL_TRACES_EXPORTER="none",
               OTEL_METRICS_EXPORTER="none", **extra)
    return env


GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "jewelry.wsgi"]


def test_responses_do_not_name_the_server_software(tmp_path):
    port = free_port()
    env = gunicorn_env(tmp_path, f"127.0.0.1:{port}")
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(GUNICORN, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        live = first_answer(f"http://127.0.0.1:{port}/health/live/")
        missing = first_answer(f"http://127.0.0.1:{port}/no-such-page/")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    assert live.status == 200 and missing.status == 404
    for answer in (live, missing):
        assert "gunicorn" not in answer.headers.get("Server", "").lower(), dict(answer.headers)


# --- finding 9: sync workers are held by slow bodies, so only the buffering proxy may reach them ---

def test_gunicorn_refuses_to_bind_beyond_loopback_without_a_proxy_named(tmp_path):
    env = gunicorn_env(tmp_path, f"0.0.0.0:{free_port()}")

    started = subprocess.run(GUNICORN, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)

    assert started.returncode != 0
    assert "must sit behind the buffering proxy" in started.stderr, started.stderr


def test_gunicorn_binds_beyond_loopback_behind_a_named_proxy(tmp_path):
    port = free_port()
    env = gunicorn_env(tmp_path, f"0.0.0.0:{port}", TRUSTED_PROXIES="127.0.0.1")
    with open(tmp_path / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(GUNICORN, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        live = first_answer(f"http://127.0.0.1:{port}/health/live/")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    assert live.status == 200
