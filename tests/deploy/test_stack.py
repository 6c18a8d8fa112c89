"""bin/stack, the whole stack without Docker: it starts every process, says where each answers,
and leaves none behind."""

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = [pytest.mark.services, pytest.mark.backbone]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command and "pytest" not in command:
            found.append(command)
    return found


def test_bin_stack_starts_everything_prints_the_addresses_and_stops_it_all(tmp_path):
    workdir = tmp_path / "stack"

    done = subprocess.run([str(REPO / "bin" / "stack"), "--ready-and-stop", "--workdir", str(workdir)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=os.environ)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ready = done.stdout.split("[stack] ready:", 1)[1]
    for answer in ("http://127.0.0.1:8000/support/", "http://127.0.0.1:16686/jaeger/",
                   "https://127.0.0.1:4318", "http://127.0.0.1:9090", "http://127.0.0.1:9093"):
        assert answer in ready, answer
    for log in ("otel-collector", "jaeger", "prometheus", "alertmanager", "web", "mes-worker", "shop-worker",
                "beat"):
        assert (workdir / f"{log}.log").exists(), log
    assert not _processes_mentioning(str(workdir))
