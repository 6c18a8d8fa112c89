"""The benchmark command runs end to end at a tiny size (its timings are not checked: benchmarks are not tests)."""

import re
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from benchmarks.environment import PG

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "alexandrite_bench_smoke"


def _databases_named(prefix: str) -> list[str]:
    connection = psycopg2.connect(dbname="postgres", **PG)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def _table_rows(output: str) -> list[dict]:
    lines = [line for line in output.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")))) for line in lines[1:]]


@pytest.fixture(scope="module")
def quick_run():
    return subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--prefix", PREFIX],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.mark.services
def test_quick_benchmark_prints_a_row_for_every_benchmark(quick_run):
    assert quick_run.returncode == 0, quick_run.stdout[-3000:] + quick_run.stderr[-3000:]
    rows = _table_rows(quick_run.stdout)

    assert {row["benchmark"] for row in rows} >= {"per call", "web overhead", "MES queue", "pipeline", "pricing",
                                                   "backbone"}
    assert not [row for row in rows if "failed requests" in row["note"]]
    ours = next(row for row in rows if row["variant"] == "ours" and row["metric"].startswith("throughput"))
    assert float(ours["ratio"]) > 0


@pytest.mark.services
def test_quick_benchmark_counts_the_same_queries_for_every_queue_page_size(quick_run):
    rows = [row for row in _table_rows(quick_run.stdout) if row["benchmark"] == "MES queue"]

    counts = {re.search(r"SQL per page: (\d+)", row["note"]).group(1) for row in rows}

    assert len(rows) >= 3 and len(counts) == 1


@pytest.mark.services
def test_quick_benchmark_drops_its_databases(quick_run):
    assert quick_run.returncode == 0
    assert _databases_named(PREFIX) == []
