"""The README's production commands, taken from its text and run as written: migrations,
collectstatic, gunicorn, both workers on one host, beat. Then, through gunicorn, the admin has
its CSS and /health/ answers, and readiness fails when PostgreSQL goes away (a TCP proxy in
front of the shop database is cut; the shared server itself is never stopped).

The test changes only the environment the block exports (this test's databases through the
proxy, its broker vhost, a scratch ALEXANDRITE_VAR_DIR) and gunicorn's port (a free one on
127.0.0.1 instead of 8000).
"""

import glob
import re
import shlex
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.faults.tcp_proxy import TcpProxy
from tests.processes import ROOT, _Process, database_url, free_port, process_env, wait_until

pytestmark = [pytest.mark.services, pytest.mark.e2e,
              pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

MARKER = "<!-- production-commands -->"


def readme_production_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split(MARKER, 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    return [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def get(url: str, timeout: float = 10) -> tuple[int, dict, bytes]:
    # as behind the TLS proxy, should production redirect plain HTTP to HTTPS
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_readme_names_every_production_process():
    commands = readme_production_commands()
    background = [c for c in commands if c.endswith("&")]
    assert background == [
        ".venv/bin/gunicorn -c deploy/gunicorn.conf.py jewelry.wsgi &",
        ".venv/bin/celery -A jewelry worker -Q mes.orders,mes.pricing -n mes@%h &",
        ".venv/bin/celery -A jewelry worker -Q shop.events -n shop@%h &",
        ".venv/bin/celery -A jewelry beat &",
    ]


def test_the_readme_production_commands_run_as_written(tmp_path):
    commands = readme_production_commands()
    port = free_port()
    var_dir = tmp_path / "var"
    shop_proxy = TcpProxy.to_url(database_url("default"))
    env = process_env(OTEL_METRICS_EXPORTER="none", TRACING_ENABLED="true")
    for command in commands:
        if command.startswith("export "):
            env.update(dict(item.split("=", 1) for item in shlex.split(command)[1:]))
    env.update(
        SHOP_DATABASE_URL=shop_proxy.url(database_url("default")),
        MES_DATABASE_URL=database_url("mes"),
        CELERY_BROKER_URL=process_env()["CELERY_BROKER_URL"],
        ALEXANDRITE_VAR_DIR=str(var_dir),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
    )
    env.pop("STATIC_ROOT", None)
    beat_files_before = set(glob.glob(str(ROOT / "celerybeat-schedule*")))
    processes = []
    with shop_proxy:
        try:
            for command in commands:
                if command.startswith("export "):
                    continue
                command = command.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
                if command.endswith("&"):
                    name = command.split(" -n ")[-1] if " -n " in command else command
                    label = re.sub(r"\W+", "-", name)[-30:].strip("-")
                    processes.append(_Process(["bash", "-c", "exec " + command[:-1]], env, label))
                    continue
                if command.startswith("curl "):
                    wait_until(lambda: get(f"http://127.0.0.1:{port}/health/live/", 2)[0] == 200
                               if _answers(port) else False, timeout=60, message="gunicorn")
                result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True,
                                        text=True, timeout=300, check=False)
                assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"

            _gunicorn, mes_worker, shop_worker, beat = processes
            # both workers on one host answer under their own names (one pidbox each)
            nodes = [f"mes@{socket.gethostname()}", f"shop@{socket.gethostname()}"]
            ping = [str(ROOT / ".venv/bin/celery"), "-A", "jewelry", "inspect", "ping", "--timeout", "3",
                    "-d", ",".join(nodes)]

            def both_answer():
                answer = subprocess.run(ping, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
                return all(node in answer.stdout for node in nodes)

            wait_until(both_answer, timeout=90, interval=1,
                       message=lambda: mes_worker.log() + shop_worker.log())
            for worker in (mes_worker, shop_worker):
                assert worker.alive() and "DuplicateNodenameWarning" not in worker.log()

            # the admin's stylesheet, as its login page links it, served by gunicorn
            status, _, page = get(f"http://127.0.0.1:{port}/admin/login/")
            assert status == 200
            stylesheets = re.findall(r'href="(/static/admin/css/[^"]+\.css)"', page.decode())
            assert stylesheets
            for href in stylesheets:
                status, headers, css = get(f"http://127.0.0.1:{port}{href}")
                assert status == 200 and headers["Content-Type"].startswith("text/css") and css, href

            status, _, body = get(f"http://127.0.0.1:{port}/health/")
            assert status == 200, body

            # beat keeps its schedule and gunicorn its control socket in the writable directory
            beat.wait_ready(lambda: glob.glob(str(var_dir / "celerybeat-schedule*")), timeout=30)
            assert set(glob.glob(str(ROOT / "celerybeat-schedule*"))) == beat_files_before
            assert (var_dir / f"gunicorn-{port}.ctl").exists()

            shop_proxy.cut()  # "PostgreSQL stopped", for the shop database
            status, _, body = get(f"http://127.0.0.1:{port}/health/", timeout=30)
            assert status == 503, body
            assert b'"message": "Not ready: shop_database unreachable."' in body.replace(b'":"', b'": "')
            status, _, _ = get(f"http://127.0.0.1:{port}/health/live/")
            assert status == 200  # the process itself still answers: no restart, just no traffic
        finally:
            for process in reversed(processes):
                process.stop()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False
