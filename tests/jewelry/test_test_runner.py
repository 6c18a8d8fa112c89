"""``python manage.py test`` runs the pytest suite, as bin/test does, and exits with pytest's code."""

import subprocess
import sys

from tests.deploy.conftest import REPO

ONE_TEST = "tests/jewelry/test_health.py::test_liveness_answers_without_a_database"


def manage_test(*labels):
    return subprocess.run([sys.executable, "manage.py", "test", *labels], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_manage_py_test_runs_pytest_tests_and_passes():
    result = manage_test(ONE_TEST)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_manage_py_test_fails_with_pytests_exit_code(tmp_path):
    failing = tmp_path / "test_failing.py"
    failing.write_text("def test_fails():\n    assert 1 == 2\n")

    assert manage_test(str(failing)).returncode == 1
    # a test that does not exist is pytest's usage error (4): never the false green "Ran 0 tests ... OK"
    result = manage_test("tests/jewelry/test_health.py::no_such_test")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Ran 0 tests" not in result.stdout + result.stderr


def test_manage_py_test_failfast_stops_pytest_at_the_first_failure(tmp_path):
    failing = tmp_path / "test_two_failures.py"
    failing.write_text("def test_first():\n    assert 1 == 2\n\n\ndef test_second():\n    assert 1 == 3\n")

    result = manage_test("--failfast", str(failing))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout and "2 failed" not in result.stdout
