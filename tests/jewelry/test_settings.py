"""Settings come from the environment; production refuses to start on the development secret."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG)"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "jewelry.settings", **env},
        capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_the_insecure_default_secret(tmp_path):
    result = _load_settings(DJANGO_ENV="production", ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_and_debug_off(tmp_path):
    result = _load_settings(DJANGO_ENV="production", SECRET_KEY="x" * 50, ALLOWED_HOSTS="shop.example",
                            ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "False"]


def test_defaults_need_nothing_installed(tmp_path):
    result = _load_settings(ALEXANDRITE_VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]
