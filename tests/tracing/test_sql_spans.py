"""SQL on traces: statement counts and time per database on each request's and task's span, a span
only for a slow or failed statement (never its parameter values), and psycopg2's span per
statement when TRACING_SQL_SPANS=all."""

import threading

import pytest
from django.db import DataError, connections, transaction
from django.test.utils import CaptureQueriesContext
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from jewelry.contracts import PriceRequested
from jewelry.sample_models import cube_stl
from tests.flows import submitted_order
from tests.tracing.helpers import everything_said, one
from tracing import attributes as A
from tracing import setup, sql

SUBMIT = "POST api/v1/shop/orders/<id:order_id>/submit/"
SHOP_ORDER = "GET api/v1/shop/orders/<id:order_id>/"
PRICE_RUN = f"run/{PriceRequested.name}"


def sql_spans(finished) -> list:
    return [span for span in finished if span.kind == SpanKind.CLIENT and A.DB_STATEMENT in span.attributes]


def run_statement(statement: str, params=None, alias: str = "default"):
    with connections[alias].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


@pytest.mark.django_db(databases=["default", "mes"], transaction=True)
def test_request_span_counts_each_databases_statements_and_time_and_no_statement_span(api, customer, spans):
    order_id = submitted_order(api(customer), cube_stl(10))
    spans.clear()

    with CaptureQueriesContext(connections["default"]) as shop, CaptureQueriesContext(connections["mes"]) as mes:
        assert api(customer).get(f"/api/v1/shop/orders/{order_id}/").status_code == 200

    finished = spans.get_finished_spans()
    read = one(finished, SHOP_ORDER)
    assert read.attributes[A.DB_DEFAULT_STATEMENTS] == len(shop.captured_queries) > 0
    assert read.attributes[A.DB_MES_STATEMENTS] == len(mes.captured_queries)
    assert read.attributes[A.DB_DEFAULT_DURATION] > 0
    assert sql_spans(finished) == []


@pytest.mark.django_db(databases=["default", "mes"], transaction=True)
def test_task_span_counts_its_sql_and_the_request_that_ran_it_eagerly_counts_it_too(api, customer, spans):
    submitted_order(api(customer), cube_stl(10))

    finished = spans.get_finished_spans()
    submit, pricing = one(finished, SUBMIT), one(finished, PRICE_RUN)
    assert pricing.attributes[A.DB_MES_STATEMENTS] > 0
    assert pricing.attributes[A.DB_MES_DURATION] > 0
    # In tests the task runs inside the request (eager): the request ran that SQL as well.
    assert submit.attributes[A.DB_MES_STATEMENTS] >= pricing.attributes[A.DB_MES_STATEMENTS]
    assert submit.attributes[A.DB_DEFAULT_STATEMENTS] > pricing.attributes[A.DB_DEFAULT_STATEMENTS]


@pytest.mark.django_db
def test_slow_statement_becomes_a_client_span_with_its_measured_times_under_the_span_that_ran_it(
        settings, spans):
    settings.TRACING_SLOW_SQL_MS = 30
    with trace.get_tracer("test").start_as_current_span("work") as work:
        run_statement("SELECT %s::text", ["fast-secret"])
        run_statement("SELECT pg_sleep(%s), %s::text", [0.05, "slow-secret"])

    finished = spans.get_finished_spans()
    [slow] = sql_spans(finished)
    work = one(finished, "work")
    assert slow.parent.span_id == work.context.span_id
    assert (slow.name, slow.attributes[A.DB_STATEMENT]) == ("SELECT", "SELECT pg_sleep(%s), %s::text")
    assert (slow.attributes[A.DB_SYSTEM], slow.attributes[A.DB_ALIAS]) == ("postgresql", "default")
    assert slow.attributes[A.DB_NAME] == connections["default"].settings_dict["NAME"]
    assert slow.end_time - slow.start_time >= 50_000_000
    assert work.start_time <= slow.start_time < slow.end_time <= work.end_time
    assert not any("secret" in text for text in everything_said(slow))


@pytest.mark.django_db
def test_failed_statement_becomes_an_error_span_without_the_databases_message(settings, spans):
    settings.TRACING_SLOW_SQL_MS = 60_000
    with trace.get_tracer("test").start_as_current_span("work"), \
            pytest.raises(DataError, match="customer-typed-secret"), transaction.atomic():
        run_statement("SELECT %s::int", ["customer-typed-secret"])

    [failed] = sql_spans(spans.get_finished_spans())
    assert failed.status.status_code == StatusCode.ERROR
    assert (failed.attributes[A.ERROR_TYPE], failed.attributes[A.DB_RESPONSE_STATUS_CODE]) == ("DataError", "22P02")
    assert failed.attributes[A.DB_STATEMENT] == "SELECT %s::int"
    # PostgreSQL's message quotes the value ("invalid input syntax ...: customer-typed-secret").
    assert not any("secret" in text for text in everything_said(failed))


@pytest.mark.django_db
def test_statement_outside_any_trace_makes_no_span_and_counts_nowhere(settings, spans):
    settings.TRACING_SLOW_SQL_MS = 0
    run_statement("SELECT 1")

    assert spans.get_finished_spans() == ()


@pytest.mark.django_db(databases=["default", "mes"])
def test_connections_opened_later_in_other_threads_are_recorded_too(settings, spans):
    settings.TRACING_SLOW_SQL_MS = 0
    tracer = trace.get_tracer("test")

    def in_a_thread():
        with tracer.start_as_current_span("thread work"):
            run_statement("SELECT %s", [1], alias="mes")
        connections.close_all()

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()

    [statement] = sql_spans(spans.get_finished_spans())
    assert statement.attributes[A.DB_ALIAS] == "mes"
    assert statement.parent.span_id == one(spans.get_finished_spans(), "thread work").context.span_id


@pytest.mark.django_db
def test_totals_are_written_for_every_database_even_unused_ones(spans):
    with trace.get_tracer("test").start_as_current_span("task") as span:
        sql.begin()
        run_statement("SELECT 1")
        run_statement("SELECT 2")
        sql.end(span)

    task = one(spans.get_finished_spans(), "task")
    assert (task.attributes[A.DB_DEFAULT_STATEMENTS], task.attributes[A.DB_MES_STATEMENTS]) == (2, 0)
    assert task.attributes[A.DB_MES_DURATION] == 0


@pytest.mark.django_db
def test_full_detail_mode_leaves_a_span_per_statement_to_the_psycopg2_instrumentation(settings, spans):
    from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor

    settings.TRACING_SQL_SPANS = sql.ALL
    settings.TRACING_SLOW_SQL_MS = 0
    setup._instrument(setup.tracer_provider())
    fresh = connections.create_connection("default")  # psycopg2 instruments connections opened from now
    try:
        with trace.get_tracer("test").start_as_current_span("task") as span:
            sql.begin()
            with fresh.cursor() as cursor:
                cursor.execute("SELECT %s::text", ["a-value"])
            sql.end(span)
    finally:
        fresh.close()
        Psycopg2Instrumentor().uninstrument()

    finished = spans.get_finished_spans()
    # (Django's own set-up statements on connecting are psycopg2 spans too.)
    [statement] = [span for span in sql_spans(finished) if span.attributes[A.DB_STATEMENT] == "SELECT %s::text"]
    assert statement.instrumentation_scope.name == "opentelemetry.instrumentation.psycopg2"
    assert not [span for span in finished if span.instrumentation_scope.name == sql.__name__]
    assert one(finished, "task").attributes[A.DB_DEFAULT_STATEMENTS] == 1


def test_an_unknown_sql_mode_is_refused_at_set_up(monkeypatch):
    from django.conf import settings

    monkeypatch.setattr(settings, "TRACING_SQL_SPANS", "some")  # no setting_changed: set-up reads it
    with pytest.raises(ValueError, match="TRACING_SQL_SPANS"):
        sql.load_settings()
    assert sql.mode() == sql.SLOW


def test_default_mode_leaves_psycopg2_uninstrumented():
    from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor

    assert sql.mode() == sql.SLOW
    assert not Psycopg2Instrumentor().is_instrumented_by_opentelemetry


@pytest.mark.django_db(databases=["default", "mes"])
def test_a_wrapper_of_someone_elses_ends_with_its_block_even_when_the_connection_opens_inside_it():
    from django.db import connections as handler

    seen = []

    def counting(execute, sql_, params, many, context):
        seen.append(sql_)
        return execute(sql_, params, many, context)

    def in_a_thread():
        connection = handler["mes"]  # a new thread: its connection opens inside the block
        with connection.execute_wrapper(counting):
            run_statement("SELECT 1", alias="mes")
        run_statement("SELECT 2", alias="mes")
        remaining.extend(type(wrapper).__name__ for wrapper in connection.execute_wrappers)
        handler.close_all()

    remaining = []
    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()

    assert seen == ["SELECT 1"]
    assert remaining == ["StatementRecorder"]
