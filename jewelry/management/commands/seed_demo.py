"""Creates the demo users (one per role) and a B2B API key; running it again changes nothing.

Never in production: the password is published (README) and ``admin`` is a superuser.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jewelry.demo_accounts import DEMO_PASSWORD, DEMO_SUPERUSER
from jewelry.management.preconditions import require_migrated
from jewelry.roles import GROUP_ROLES, create_user

DEMO_PARTNER = "demo-partner"
# Made-up people, so that the support console names them as it would real ones (example domains only).
DEMO_PEOPLE = {
    "customer": ("Jane", "Roe", "jane.roe@example.org"),
    "seller": ("Marta", "Silva", "marta.silva@example.com"),
    "operator": ("Tomas", "Kral", "tomas.kral@example.com"),
    "support": ("Ines", "Duarte", "ines.duarte@example.com"),
    "developer": ("Lee", "Park", "lee.park@example.com"),
}


class Command(BaseCommand):
    help = "Create demo users (customer, seller, operator, support, developer) and a demo MES API key."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production: its accounts' "
                               "password is published.")
        require_migrated("default", "mes")
        for role in (r.value for r in GROUP_ROLES):
            if User.objects.filter(username=role).exists():
                self.stdout.write(f"  user {role!r} exists")
                continue
            user = create_user(username=role, role=role, password=DEMO_PASSWORD)
            if role in DEMO_PEOPLE:
                user.first_name, user.last_name, user.email = DEMO_PEOPLE[role]
                user.save(update_fields=["first_name", "last_name", "email"])
            self.stdout.write(self.style.SUCCESS(f"  created user {role!r} (password {DEMO_PASSWORD!r})"))
        if not User.objects.filter(username=DEMO_SUPERUSER).exists():
            User.objects.create_superuser(DEMO_SUPERUSER, password=DEMO_PASSWORD)
            self.stdout.write(self.style.SUCCESS(f"  created superuser 'admin' (password {DEMO_PASSWORD!r})"))
        # MES's own command issues the key (the kernel names it, imports nothing of MES).
        call_command("create_api_client", DEMO_PARTNER, if_missing=True, stdout=self.stdout)
