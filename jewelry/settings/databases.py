"""The two databases: the shop DB (shop, crm, auth, admin) and the MES DB (mes only)."""

from jewelry.settings.base import VAR_DIR
from jewelry.settings.env import env

_CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection the database dropped (a restart, a fail-over, an idle timeout) is
# checked and replaced at a request's first query, instead of failing it with a 500.
_CONN_HEALTH_CHECKS = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
# A dead database host answers a probe in seconds, not after the kernel's TCP timeout.
_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
# SQLite's file folder is made at the first connection (jewelry/sqlite3), not here.
_SQLITE_ENGINE = "jewelry.sqlite3"


def _database(config: dict) -> dict:
    """A database from its URL, with the connection settings every process uses."""
    options = config.get("OPTIONS", {})
    if config["ENGINE"].endswith("sqlite3"):
        # SQLite waits for a writer instead of failing at once under the eager demo; a transaction
        # takes the write lock when it begins (IMMEDIATE), since one that began reading cannot wait
        # for it later ("database is locked" at once, as the demo's server and detector both write).
        config = {**config, "ENGINE": _SQLITE_ENGINE}
        options = {**options, "timeout": 20, "transaction_mode": "IMMEDIATE"}
    elif config["ENGINE"].endswith("postgresql"):
        options = {"connect_timeout": _CONNECT_TIMEOUT, **options}
    return {"CONN_MAX_AGE": _CONN_MAX_AGE, "CONN_HEALTH_CHECKS": _CONN_HEALTH_CHECKS,
            **config, "OPTIONS": options}


DATABASES = {
    "default": _database(env.db("SHOP_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'shop.sqlite3'}")),
    "mes": _database(env.db("MES_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mes.sqlite3'}")),
}
DATABASE_ROUTERS = ["jewelry.routers.SystemDatabaseRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
