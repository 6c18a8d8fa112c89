"""``manage.py check --deploy`` in production mode is clean: each security warning is answered by a setting."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"DJANGO_ENV": "production", "SECRET_KEY": "k7-Qz9!vX2#mR4pL8wN1sT6yB3cF5hJ0dG-a8Uo2Wq4Er6Ty8Ui0Op1As3Df", "DEBUG": "false",
              "ALLOWED_HOSTS": "shop.example.com"}


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "jewelry.settings", "ALEXANDRITE_VAR_DIR": str(tmp_path),
                       **PRODUCTION, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_the_deploy_check_is_clean_in_production(tmp_path):
    result = deploy_check(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_turning_the_ssl_redirect_or_hsts_off_is_reported(tmp_path):
    result = deploy_check(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")

    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W004" in result.stderr

