"""Issues a B2B API key for the MES API; the key is printed once and only its hash is kept."""

from django.core.management.base import BaseCommand, CommandError

from jewelry.management.preconditions import require_migrated
from mes.models import ApiClient


class Command(BaseCommand):
    help = "Create a B2B API client and print its key (shown once). Usage: create_api_client NAME"

    def add_arguments(self, parser):
        parser.add_argument("name", help="The partner's name, unique.")
        parser.add_argument("--if-missing", action="store_true",
                            help="Do nothing, successfully, when a client of that name exists (seed_demo).")

    def handle(self, *args, name, if_missing=False, **options):
        name = name.strip()
        if not name:
            raise CommandError("Name the partner: create_api_client NAME (not blank).")
        longest = ApiClient._meta.get_field("name").max_length
        if len(name) > longest:
            raise CommandError(f"A name has {longest} characters at most; this one has {len(name)}.")
        require_migrated("mes")
        if ApiClient.objects.filter(name=name).exists():
            if if_missing:
                self.stdout.write(f"  API client {name!r} exists")
                return
            raise CommandError(f"An API client named {name!r} exists already; pick another name.")
        client, key = ApiClient.issue(name)
        self.stdout.write(f"API client {client.name!r} created. Its key (send as 'Authorization: Api-Key <key>'):")
        self.stdout.write(key)
