"""Django's SQLite backend, making the database file's folder at the first connection.

The demo's databases live in ``var/`` (``ALEXANDRITE_VAR_DIR``), which importing the settings
does not create: the first ``migrate`` (or any first query) on a fresh checkout makes it here.
"""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params["database"])
        if not self.is_in_memory_db() and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
