"""``manage.py test`` hands over to pytest: the same suite as ``bin/test`` (pytest-django's recipe).

pytest runs in a fresh interpreter: the suite's own start-up (``tests/pytest_env.py``) must come
before Django reads its settings, which ``manage.py`` has already done by the time a runner starts.
"""

import subprocess
import sys

from django.conf import settings


class PytestTestRunner:
    """Django's test-runner interface on top of pytest: labels are pytest paths or node ids."""

    def __init__(self, verbosity=1, failfast=False, keepdb=False, **kwargs):
        self.verbosity = verbosity
        self.failfast = failfast
        self.keepdb = keepdb

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--failfast", action="store_true",
                            help="Stop at the first failure (pytest --exitfirst).")
        parser.add_argument("--keepdb", action="store_true",
                            help="Keep the test databases (pytest --reuse-db).")

    def pytest_arguments(self, test_labels) -> list[str]:
        argv = []
        if self.verbosity == 0:
            argv.append("--quiet")
        elif self.verbosity >= 2:
            argv.append("-" + "v" * (self.verbosity - 1))
        if self.failfast:
            argv.append("--exitfirst")
        if self.keepdb:
            argv.append("--reuse-db")
        return argv + list(test_labels)

    def run_tests(self, test_labels, **kwargs):
        """0 when pytest passed; otherwise exits with pytest's own code (Django would make it 1)."""
        command = [sys.executable, "-m", "pytest", *self.pytest_arguments(test_labels)]
        code = subprocess.run(command, cwd=settings.BASE_DIR, check=False).returncode
        if code:
            raise SystemExit(code)
        return 0
