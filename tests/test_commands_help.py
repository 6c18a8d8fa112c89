"""Every command a person is told to run answers --help and does nothing else, and refuses bad input
in one line.

The commands are found, not listed: every script in bin/ and every command of ours that
README.md names. Each runs in a process group of its own, so nothing it starts survives
the test, even when --help regresses into starting a server.
"""

import os
import re
import signal
import subprocess
import sys

import pytest

from mes.geometry import measure_model
from tests.processes import ROOT, free_port

BIN = ROOT / "bin"
# These set up or install things (their work is the suite's own set-up): only --help is checked.
INSTALLERS = {"services", "test", "build-backbone"}
TIMEOUT = 60
# Refused bad input is one line; argparse's refusals add their usage (a few lines) above it.
MAX_ERROR_LINES = 8


def _bin_scripts() -> list[str]:
    return sorted(path.name for path in BIN.iterdir() if path.is_file() and os.access(path, os.X_OK))


def _our_commands_in_readme() -> list[str]:
    named = set(re.findall(r"manage\.py (\w+)", (ROOT / "README.md").read_text()))
    ours = {path.stem for path in ROOT.glob("*/management/commands/*.py") if not path.stem.startswith("_")}
    return sorted(named & ours)


def _checkout_files() -> dict[str, tuple[int, int]]:
    """Every file of the checkout (ignored ones too, .git and .venv aside) with its size and mtime."""
    files = {}
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [name for name in dirs if not (folder == str(ROOT) and name in (".git", ".venv"))]
        for name in names:
            path = os.path.join(folder, name)
            stat = os.lstat(path)
            files[os.path.relpath(path, ROOT)] = (stat.st_size, stat.st_mtime_ns)
    return files


def _person_env(**overrides) -> dict:
    """A person's shell: no test databases or var/ folder of the suite's, no bytecode written."""
    env = {name: value for name, value in os.environ.items()
           if not name.endswith("DATABASE_URL") and name not in ("ALEXANDRITE_VAR_DIR", "MEDIA_ROOT")}
    env.update(PYTHONDONTWRITEBYTECODE="1", NO_BROWSER="1", ADDR=f"127.0.0.1:{free_port()}", **overrides)
    return env


def _run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run ``argv`` in its own process group; fail if it outlives TIMEOUT or leaves a process behind."""
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{' '.join(argv)} still ran after {TIMEOUT} s (killed)")
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        pass  # the group is empty: nothing left behind
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"{' '.join(argv)} left a process running (killed)")
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def _manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def assert_answers_help(argv: list[str], *, checkout_unchanged: bool = True, env=None):
    before = _checkout_files()

    result = _run(argv, env or _person_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "--help" in result.stdout and len(result.stdout.splitlines()) >= 3, result.stdout
    if checkout_unchanged:
        after = _checkout_files()
        assert {path: after.get(path) for path in after if after.get(path) != before.get(path)} == {}


def assert_refused_in_a_line(argv: list[str], hint: str, *, env=None):
    before = _checkout_files()

    result = _run(argv, env or _person_env())

    error = result.stderr.strip()
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert 1 <= len(error.splitlines()) <= MAX_ERROR_LINES, error
    assert hint in error.splitlines()[-1], error
    after = _checkout_files()
    assert {path: after.get(path) for path in after if after.get(path) != before.get(path)} == {}


# --- bin/ ------------------------------------------------------------------------------------

@pytest.mark.parametrize("script", [name for name in _bin_scripts() if name not in INSTALLERS])
def test_bin_script_answers_help_and_does_nothing_else(script):
    assert_answers_help([str(BIN / script), "--help"])


@pytest.mark.parametrize("script", [name for name in _bin_scripts() if name in INSTALLERS])
def test_bin_installer_answers_help(script):
    assert_answers_help([str(BIN / script), "--help"], checkout_unchanged=False)


def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


# script -> (arguments, what the one-line refusal must say); every script outside INSTALLERS has one
BIN_BAD_INPUT = {
    "demo": (["--no-such-option"], "unknown argument: --no-such-option"),
    "setup": (["--no-such-option"], "unknown argument: --no-such-option"),
    "stack": (["--no-such-option"], "unknown argument: --no-such-option"),
    "try-order": ([_dead_url()], "start the demo first with bin/demo"),
}


def test_every_bin_script_has_a_bad_input_case():
    assert set(BIN_BAD_INPUT) == set(_bin_scripts()) - INSTALLERS


@pytest.mark.parametrize("script", sorted(BIN_BAD_INPUT))
def test_bin_script_refuses_bad_input_in_one_line(script):
    arguments, hint = BIN_BAD_INPUT[script]

    assert_refused_in_a_line([str(BIN / script), *arguments], hint)


def test_try_order_refuses_a_base_url_that_is_no_url():
    assert_refused_in_a_line([str(BIN / "try-order"), "localhost:8000"], "must start with http://")


# --- manage.py commands named in README.md ---------------------------------------------------

@pytest.mark.parametrize("command", _our_commands_in_readme())
def test_readme_command_answers_help_and_does_nothing_else(command):
    assert_answers_help(_manage(command, "--help"))


def test_manage_py_test_help_shows_what_it_passes_to_pytest():
    result = _run(_manage("test", "--help"), _person_env())

    assert "--failfast" in result.stdout and "--exitfirst" in result.stdout and "--reuse-db" in result.stdout
    assert "pytest_path" in result.stdout and "modulename.TestCase" not in result.stdout


# command -> [(arguments, what the refusal's last line must say)]; ``{tmp}`` is a fresh folder
COMMAND_BAD_INPUT = {
    "write_sample_model": [
        (["{tmp}/ring.stl", "--size-mm", "-5"], "--size-mm must be over 0"),
        (["{tmp}/ring.txt"], "name a file ending in one of .stl, .obj, .3mf"),
        (["{tmp}/a-file/ring.stl"], "pick a writable path"),
        (["{tmp}/ring.obj", "--open"], "--open writes STL only"),
    ],
    "create_api_client": [([""], "not blank"), (["   "], "not blank")],
    "seed_demo": [([], "run manage.py migrate first")],  # on a database never migrated
    "simulate_orders": [
        (["--orders", "-1"], "--orders must be >= 0"),
        (["--base-url", "localhost:8000"], "must start with http://"),
        (["--base-url", _dead_url()], "start the demo first with bin/demo"),  # nothing listens there
    ],
    "detect_stuck_orders": [(["--every", "0"], "--every must be over 0")],
    "test": [(["--no-such-option"], "unrecognized arguments: --no-such-option")],
}


def test_every_readme_command_has_a_bad_input_case():
    assert set(COMMAND_BAD_INPUT) == set(_our_commands_in_readme())


@pytest.mark.parametrize("command, arguments, hint", [
    (command, arguments, hint)
    for command, cases in sorted(COMMAND_BAD_INPUT.items()) for arguments, hint in cases
])
def test_readme_command_refuses_bad_input_in_one_line(command, arguments, hint, tmp_path):
    (tmp_path / "a-file").write_text("a file, not a folder")
    # Databases of its own, never migrated: a command reaching them says what to run first.
    env = _person_env(ALEXANDRITE_VAR_DIR=str(tmp_path / "var"))

    assert_refused_in_a_line(_manage(command, *[a.replace("{tmp}", str(tmp_path)) for a in arguments]), hint,
                             env=env)

    assert list(tmp_path.glob("ring.*")) == []


@pytest.mark.parametrize("suffix", ["stl", "obj", "3mf"])
def test_write_sample_model_writes_the_format_its_suffix_names(suffix, tmp_path):
    target = tmp_path / f"ring.{suffix}"

    result = _run(_manage("write_sample_model", str(target), "--size-mm", "5"), _person_env())

    assert result.returncode == 0, result.stderr
    geometry = measure_model(target.read_bytes(), suffix)
    assert (geometry.volume_mm3, geometry.is_watertight) == (pytest.approx(125.0), True)
