"""SQL as facts about the span that ran it: statements and time per database alias, a span only when slow or failed.

A ``connection.execute_wrapper`` on every Django connection counts into the request's or
task's tally; the totals go on its span when it ends (docs/tracing.md, "SQL").
"""

import sys
import time
from contextvars import ContextVar

from celery import signals as celery_signals
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections
from django.db.backends.signals import connection_created
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from tracing import attributes as A

SLOW = "slow"  # the default: totals on the span, a span per slow or failed statement
ALL = "all"  # the psycopg2 instrumentation's span per statement, as well as the totals
MODES = (SLOW, ALL)
MAX_STATEMENT_LENGTH = 4096  # an IN (%s, %s, ...) of a thousand ids is long enough
_NEVER = sys.maxsize
_SQL_SETTINGS = frozenset({"TRACING_SQL_SPANS", "TRACING_SLOW_SQL_MS"})

# Read from settings once (and again when a test overrides them), not on every statement.
_config = {"slow_ns": _NEVER, "mode": SLOW}


class _Tally(dict):
    """Alias -> [statements, nanoseconds] of one request or task; ``outer`` is the enclosing tally."""

    __slots__ = ("outer",)


_tally: ContextVar[_Tally | None] = ContextVar("alexandrite_sql_tally", default=None)


def mode() -> str:
    return _config["mode"]


def load_settings(**kwargs) -> None:
    """Take TRACING_SQL_SPANS and TRACING_SLOW_SQL_MS from settings (at set-up and when they change)."""
    if kwargs.get("setting") is not None and kwargs["setting"] not in _SQL_SETTINGS:
        return
    chosen = settings.TRACING_SQL_SPANS
    if chosen not in MODES:
        raise ValueError(f"TRACING_SQL_SPANS={chosen!r} is not supported (use {' or '.join(MODES)}).")
    _config["mode"] = chosen
    # In full-detail mode the psycopg2 instrumentation already makes a span of every statement.
    _config["slow_ns"] = _NEVER if chosen == ALL else int(settings.TRACING_SLOW_SQL_MS * 1_000_000)


class StatementRecorder:
    """Django execute wrapper: counts a statement into the tally; a span only when slow or failed."""

    __slots__ = ("alias", "connection")

    def __init__(self, connection):
        self.alias = connection.alias
        self.connection = connection

    def _attributes(self) -> dict:
        # Read when a span is made (rarely), so a renamed database (the test run's) is named right.
        options = self.connection.settings_dict
        attributes = {A.DB_SYSTEM: self.connection.vendor, A.DB_NAME: str(options.get("NAME") or ""),
                      A.DB_ALIAS: self.alias}
        if options.get("USER"):
            attributes[A.DB_USER] = options["USER"]
        if options.get("HOST"):
            attributes[A.NET_PEER_NAME] = options["HOST"]
        if str(options.get("PORT") or "").isdigit():
            attributes[A.NET_PEER_PORT] = int(options["PORT"])
        return attributes

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter_ns()
        try:
            result = execute(sql, params, many, context)
        except Exception as error:
            self._count(time.perf_counter_ns() - started, sql, error)
            raise
        self._count(time.perf_counter_ns() - started, sql, None)
        return result

    def _count(self, elapsed_ns: int, sql, error) -> None:
        tally = _tally.get()
        if tally is not None:
            totals = tally.get(self.alias)
            if totals is None:
                tally[self.alias] = [1, elapsed_ns]
            else:
                totals[0] += 1
                totals[1] += elapsed_ns
        if error is not None or elapsed_ns >= _config["slow_ns"]:
            self._span(elapsed_ns, sql, error)

    def _span(self, elapsed_ns: int, sql, error) -> None:
        if error is not None and _config["mode"] == ALL:
            return  # the psycopg2 instrumentation's span already holds the failure
        if not trace.get_current_span().is_recording():
            return  # outside any sampled trace: nothing to hang the statement on
        statement = sql if isinstance(sql, str) else str(sql)
        operation = statement.split(None, 1)[0].upper() if statement.strip() else "SQL"
        attributes = {**self._attributes(), A.DB_STATEMENT: statement[:MAX_STATEMENT_LENGTH]}
        ended = time.time_ns()
        # Made after the fact, with the measured times, as a child of the span that ran it.
        span = trace.get_tracer(__name__).start_span(operation, kind=SpanKind.CLIENT, attributes=attributes,
                                                     start_time=ended - elapsed_ns)
        if error is not None:
            # The class and SQLSTATE only: a database's message can quote the row's values.
            span.set_attribute(A.ERROR_TYPE, type(error).__qualname__)
            code = getattr(error.__cause__, "pgcode", None) or getattr(error, "pgcode", None)
            if code:
                span.set_attribute(A.DB_RESPONSE_STATUS_CODE, code)
            span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
        span.end(end_time=ended)


def install_on(connection, **kwargs) -> None:
    """``connection_created`` receiver: the recorder goes on each connection once."""
    if not any(isinstance(wrapper, StatementRecorder) for wrapper in connection.execute_wrappers):
        # First, not last: ``with connection.execute_wrapper(w)`` pops the last wrapper when it
        # ends, which would be ours if the connection opened inside that block.
        connection.execute_wrappers.insert(0, StatementRecorder(connection))


# --- the tally of one request or task -------------------------------------------------

def begin(*, nested: bool = False) -> None:
    """Start counting for a request (``nested=False``: never inside another) or a task."""
    tally = _Tally()
    tally.outer = _tally.get() if nested else None
    _tally.set(tally)


def end(span) -> None:
    """Write the totals on ``span`` (zero for an alias not used) and return to the enclosing tally."""
    tally = _tally.get()
    if tally is None:
        return
    _tally.set(tally.outer)
    if tally.outer is not None:  # an eager task inside a request: the request ran its SQL too
        for alias, (statements, elapsed_ns) in tally.items():
            totals = tally.outer.setdefault(alias, [0, 0])
            totals[0] += statements
            totals[1] += elapsed_ns
    if not span.is_recording():
        return
    totals = {}
    for alias in settings.DATABASES:
        statements, elapsed_ns = tally.get(alias, (0, 0))
        statements_name, duration_name = A.DB_TOTALS.get(alias) or tuple(
            pattern.format(alias=alias) for pattern in A.DB_TOTALS_PATTERN)
        totals[statements_name] = statements
        totals[duration_name] = round(elapsed_ns / 1_000_000, 3)
    span.set_attributes(totals)  # one call: the SDK takes its lock once, not per attribute


def on_task_prerun(**kwargs) -> None:
    begin(nested=True)


def on_task_postrun(**kwargs) -> None:
    # Connected before the Celery instrumentation's receiver: its task span is still current.
    end(trace.get_current_span())


def install() -> None:
    """Record SQL in this process: on the connections to come and on those already open."""
    load_settings()
    setting_changed.connect(load_settings, dispatch_uid="tracing.sql.settings")
    connection_created.connect(install_on, dispatch_uid="tracing.sql.recorder")
    for connection in connections.all(initialized_only=True):
        install_on(connection)
    celery_signals.task_prerun.connect(on_task_prerun, dispatch_uid="tracing.sql.prerun", weak=False)
    celery_signals.task_postrun.connect(on_task_postrun, dispatch_uid="tracing.sql.postrun", weak=False)
