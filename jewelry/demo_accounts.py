"""The laptop demo's accounts (``seed_demo``, bin/demo): their published password, and the deploy
check that refuses a production database where one of them still has it."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core import checks
from django.db import DatabaseError

from jewelry.roles import GROUP_ROLES

DEMO_PASSWORD = "alexandrite-demo"  # in the README: anyone can sign in with it
DEMO_SUPERUSER = "admin"
DEMO_USERNAMES = (*(role.value for role in GROUP_ROLES), DEMO_SUPERUSER)


def demo_accounts_with_published_password(databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Deploy check (``check --deploy --database default``, run before the migrations in production).

    Reads only the demo user names' rows of the databases it is given, as Django asks of checks.
    """
    if not settings.PRODUCTION or "default" not in (databases or ()):
        return []
    from django.contrib.auth.models import User

    try:
        hashes = dict(User.objects.filter(username__in=DEMO_USERNAMES, is_active=True)
                      .values_list("username", "password"))
    except DatabaseError:  # no tables yet (a first deploy): then no demo account either
        return []
    published = sorted(name for name, encoded in hashes.items() if check_password(DEMO_PASSWORD, encoded))
    return [checks.Error(
        f"Demo account {name!r} has the published demo password in production.",
        hint="Change its password or deactivate it (manage.py changepassword, or the admin).",
        id="jewelry.E001",
    ) for name in published]
