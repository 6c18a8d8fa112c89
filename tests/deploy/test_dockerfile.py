"""deploy/Dockerfile: the one image every app process runs."""

import json
import re

from .conftest import DEPLOY

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [tuple(line.split(None, 1)) for line in lines]


def test_image_builds_on_python_slim_with_the_pinned_python(versions):
    instructions = _instructions()
    assert ("ARG", f"PYTHON_VERSION={versions['PYTHON_VERSION']}") in instructions
    assert ("FROM", "python:${PYTHON_VERSION}-slim") in instructions


def test_only_the_hashed_runtime_lock_is_installed_before_the_code_is_copied():
    instructions = _instructions()
    install = instructions.index(("RUN", "pip install --require-hashes --no-deps -r requirements.lock"))
    assert instructions.index(("COPY", "requirements.lock .")) < install
    copy_code = next(i for i, (op, arg) in enumerate(instructions) if op == "COPY" and arg.endswith(". ."))
    assert install < copy_code
    assert not any("requirements-dev" in arg for _, arg in instructions)


def test_static_files_are_collected_into_the_image_outside_the_writable_directory():
    instructions = _instructions()
    env = dict(re.findall(r"(\w+)=(\S+)", dict(instructions)["ENV"]))
    assert env["STATIC_ROOT"] == "/app/static"
    assert not env["STATIC_ROOT"].startswith(env["ALEXANDRITE_VAR_DIR"])
    collect = next(i for i, (op, arg) in enumerate(instructions) if "collectstatic --noinput" in arg)
    copy_code = next(i for i, (op, arg) in enumerate(instructions) if op == "COPY" and arg.endswith(". ."))
    assert copy_code < collect < instructions.index(("USER", "alexandrite"))


def test_the_app_runs_unprivileged_and_serves_gunicorn_on_8000(compose):
    instructions = dict(_instructions())
    assert instructions["USER"] not in ("root", "0")
    assert instructions["EXPOSE"] == "8000"
    assert json.loads(instructions["CMD"]) == compose["services"]["web"]["command"]


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = set((DEPLOY / "Dockerfile.dockerignore").read_text().split())
    assert {".git", ".venv", "deploy/certs/"} <= ignored
    assert re.search(r"ALEXANDRITE_VAR_DIR=/var/lib/alexandrite", DOCKERFILE.read_text())
