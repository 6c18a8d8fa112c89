"""The benchmark command runs end to end at a tiny size (its timings are not checked: benchmarks are not tests)."""

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


@pytest.mark.services
def test_quick_benchmark_prints_every_section_and_cleans_up():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--prefix", PREFIX],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout.split("| benchmark", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    sections = {row.split("|")[1].strip() for row in rows}
    assert sections >= {"web overhead", "MES queue", "pipeline", "pricing"}
    assert "failed requests" not in table
    assert any("| off " in row and "throughput" in row for row in rows)
    assert any("ours" in row and "ratio" not in row and "throughput" in row for row in rows)
    assert _databases_named(PREFIX) == []
