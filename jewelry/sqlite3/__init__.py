"""Django's SQLite backend, making the database file's folder at the first connection."""
