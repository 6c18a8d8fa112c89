"""deploy/Dockerfile: the one image every app process runs."""

import json
import re

from .conftest import DEPLOY, REPO

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [tuple(line.split(None, 1)) for line in lines]


def test_image_builds_on_python_slim_with_the_pinned_python(versions):
    instructions = _instructions()
    assert ("ARG", f"PYTHON_VERSION={versions['PYTHON_VERSION']}") in instructions
    assert ("FROM", "python:${PYTHON_VERSION}-slim") in instructions


def test_requirements_are_installed_before_the_code_is_copied():
    instructions = _instructions()
    install = instructions.index(("RUN", "pip install -r requirements.txt"))
    assert instructions.index(("COPY", "requirements.txt .")) < install
    copy_code = next(i for i, (op, arg) in enumerate(instructions) if op == "COPY" and arg.endswith(". ."))
    assert install < copy_code
    assert (REPO / "requirements.txt").is_file()


def test_the_app_runs_unprivileged_and_serves_gunicorn_on_8000(compose):
    instructions = dict(_instructions())
    assert instructions["USER"] not in ("root", "0")
    assert instructions["EXPOSE"] == "8000"
    assert json.loads(instructions["CMD"]) == compose["services"]["web"]["command"]


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = set((DEPLOY / "Dockerfile.dockerignore").read_text().split())
    assert {".git", ".venv", "deploy/certs/"} <= ignored
    assert re.search(r"ALEXANDRITE_VAR_DIR=/var/lib/alexandrite", DOCKERFILE.read_text())
