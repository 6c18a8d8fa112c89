"""The benchmarks' own world: fresh PostgreSQL databases, a RabbitMQ vhost, a media folder, the env.

Nothing here touches the development or test databases: every name starts with the
prefix (``alexandrite_bench`` by default), and ``teardown()`` removes it all again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
# Same head sampling as deploy/compose.yaml: keep every trace, the Collector samples later.
SAMPLE_EVERYTHING = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.0"}


class BenchWorld:
    """Two empty, migrated databases, a vhost and a media folder that only the benchmarks use."""

    def __init__(self, prefix: str = "alexandrite_bench"):
        self.prefix = prefix
        self.shop_db = f"{prefix}_shop"
        self.mes_db = f"{prefix}_mes"
        self.folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        # STATIC_ROOT (var/static): WhiteNoise warns in every process when it is missing,
        # and importing settings makes no folder.
        (self.folder / "var" / "static").mkdir(parents=True)
        self.vhost = prefix if _rabbitmqctl("list_vhosts") is not None else ""
        self.secret_key = secrets.token_urlsafe(48)

    @property
    def broker_url(self) -> str:
        return AMQP + self.vhost

    def env(self, **overrides) -> dict:
        """Environment of every benchmark process: production settings on the bench resources."""
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="jewelry.settings",
            DJANGO_ENV="production",
            SECURE_SSL_REDIRECT="false",  # plain HTTP on 127.0.0.1: no TLS proxy in front here
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            SHOP_DATABASE_URL=_pg_url(self.shop_db),
            MES_DATABASE_URL=_pg_url(self.mes_db),
            CELERY_BROKER_URL=self.broker_url,
            CELERY_TASK_ALWAYS_EAGER="false",
            MEDIA_ROOT=str(self.folder / "media"),
            ALEXANDRITE_VAR_DIR=str(self.folder / "var"),
            LOG_LEVEL="WARNING",
            OTEL_SERVICE_NAME="alexandrite-bench",
            OTEL_TRACES_EXPORTER="none",
            OTEL_METRICS_EXPORTER="none",
            OTEL_LOGS_EXPORTER="none",
            TRACING_ENABLED="false",
            PYTHONUNBUFFERED="1",
            # the load generator is a few customers making hundreds of orders: no per-customer rates
            ORDER_CREATION_RATE="",
            MODEL_UPLOAD_RATE="",
            ORDER_SUBMISSION_RATE="",
        )
        env.update({name: str(value) for name, value in overrides.items()})
        return env

    def setup(self) -> None:
        for name in (self.shop_db, self.mes_db):
            _recreate_database(name)
        if self.vhost:
            _rabbitmqctl("delete_vhost", self.vhost)
            _rabbitmqctl("add_vhost", self.vhost)
            _rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")
        migrations = [
            subprocess.Popen([sys.executable, "manage.py", "migrate", "--noinput", "--database", alias],
                             cwd=ROOT, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for alias in ("default", "mes")
        ]
        for migration in migrations:
            output, _ = migration.communicate()
            if migration.returncode:
                raise RuntimeError(f"migrate failed:\n{output.decode(errors='replace')}")

    def start_django(self) -> None:
        """Configure Django in this process on the bench databases, with our tracing off."""
        import django

        os.environ.update(self.env())
        django.setup()

    def teardown(self) -> None:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        for name in (self.shop_db, self.mes_db):
            with contextlib.suppress(psycopg2.Error):
                _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.vhost:
            _rabbitmqctl("delete_vhost", self.vhost)
        shutil.rmtree(self.folder, ignore_errors=True)


def _pg_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def _admin_execute(sql: str) -> None:
    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _recreate_database(name: str) -> None:
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{name}"')


def _rabbitmqctl(*args: str) -> str | None:
    """Run rabbitmqctl; None when it is missing or refuses (then the default vhost is used)."""
    if shutil.which("rabbitmqctl") is None:
        return None
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)
    return done.stdout if done.returncode == 0 else None


def purge_queues(broker_url: str) -> None:
    """Declare the system queues on the bench vhost and empty them."""
    from kombu import Connection

    from jewelry.messaging import QUEUES

    with Connection(broker_url, connect_timeout=5) as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            bound = queue(channel)
            bound.declare()
            bound.purge()
