"""The demo's accounts never reach production (issue #21, finding 12): ``seed_demo`` refuses to run
there, and the deploy check refuses a database where a demo account has the published password."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.core.management import CommandError, call_command

from jewelry.demo_accounts import DEMO_PASSWORD, DEMO_SUPERUSER
from jewelry.roles import Role, create_user
from mes.models import ApiClient
from tests.jewelry.test_deploy_check import PRODUCTION, ROOT


def deploy_errors() -> list[checks.CheckMessage]:
    return [message for message in checks.run_checks(include_deployment_checks=True, databases=["default"],
                                                     tags=[checks.Tags.security])
            if message.is_serious()]


def test_seed_demo_refuses_to_run_in_production(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}

    result = subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, capture_output=True, text=True,
                            env={**clean, "ALEXANDRITE_VAR_DIR": str(tmp_path), **PRODUCTION}, timeout=120)

    assert result.returncode != 0 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "DJANGO_ENV=production" in line
    assert not (tmp_path / "shop.sqlite3").exists()  # refused before touching a database


@pytest.mark.django_db(databases=["default", "mes"])
def test_seed_demo_in_production_creates_nothing(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert not User.objects.exists() and not ApiClient.objects.exists()


@pytest.mark.django_db
def test_the_deploy_check_refuses_a_demo_account_with_the_published_password(settings):
    settings.PRODUCTION = True
    User.objects.create_superuser(DEMO_SUPERUSER, password=DEMO_PASSWORD)
    create_user(username=Role.SUPPORT.value, role=Role.SUPPORT, password="a-password-of-its-own")

    [error] = deploy_errors()

    assert error.id == "jewelry.E001" and repr(DEMO_SUPERUSER) in error.msg


@pytest.mark.django_db
def test_the_deploy_check_passes_once_the_password_is_changed(settings):
    settings.PRODUCTION = True
    admin = User.objects.create_superuser(DEMO_SUPERUSER, password=DEMO_PASSWORD)
    admin.set_password("a-password-of-its-own")
    admin.save()

    assert deploy_errors() == []


@pytest.mark.django_db
def test_the_laptop_demo_keeps_its_accounts(settings):
    settings.PRODUCTION = False
    User.objects.create_superuser(DEMO_SUPERUSER, password=DEMO_PASSWORD)

    assert deploy_errors() == []
