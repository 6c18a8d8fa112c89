"""What the project's commands need before they start, each refused in one line that says the fix."""

from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

MIGRATE_COMMAND = {"default": "manage.py migrate", "mes": "manage.py migrate --database mes"}


def require_migrated(*aliases: str) -> None:
    """Refuse to run on a database with migrations still to apply (a fresh checkout's, say)."""
    for alias in aliases:
        executor = MigrationExecutor(connections[alias])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(f"The {alias!r} database is not migrated: run {MIGRATE_COMMAND[alias]} first "
                               f"(bin/demo --no-server migrates both).")
