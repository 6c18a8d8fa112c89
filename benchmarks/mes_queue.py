"""The MES operator queue over a large job table: p50/p95 per page size and SQL queries per page.

``seed_jobs`` loads the jobs with COPY; ``measure`` requests the queue through the whole
Django stack (middleware, session auth, DRF) with the test client, in a child process
per tracing variant (``python -m benchmarks.mes_queue --requests N``, printing JSON).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import time
from datetime import UTC, datetime, timedelta

from benchmarks.report import percentile

OPERATOR = "bench-operator"
PAGE_SIZES = (10, 50, 200)
DEEP_PAGE = 100  # page number for the "far page" figure, at 50 a page
FIRST_ORDER_ID = 10_000_000  # far from the ids of real orders the other benchmarks create
# Share of jobs in each stage: a year of history, a fifth of it waiting in the queue.
STAGE_SHARES = {
    "PRICE_CALCULATED": 0.10,
    "MANUFACTURING_APPROVED": 0.25,  # of which 4 in 5 are untaken: the queue
    "MANUFACTURING_STARTED": 0.05,
    "MANUFACTURING_COMPLETED": 0.05,
    "PACKAGING": 0.05,
    "SHIPPED": 0.20,
    "CLOSED": 0.30,
}


def _job_row(index: int, stage: str, rng: random.Random, now: datetime) -> dict[str, str]:
    created = now - timedelta(minutes=rng.randrange(1, 525_600))
    approved = stage not in ("PRICE_CALCULATED",)
    taken = stage != "MANUFACTURING_APPROVED" or rng.random() < 0.2
    assignee = str(rng.randrange(1, 40)) if approved and taken else r"\N"
    return {
        "order_id": str(FIRST_ORDER_ID + index),
        "customer_id": str(rng.randrange(1, 20_000)),
        "metal": rng.choice(("gold_18k", "silver_925", "platinum_950")),
        "model_key": f"models/{index}.stl",
        "stage": stage,
        "assignee_id": assignee,
        "price": f"{rng.uniform(200, 5000):.2f}",
        "volume_mm3": f"{rng.uniform(100, 3000):.3f}",
        "surface_area_mm2": f"{rng.uniform(500, 9000):.3f}",
        "triangle_count": str(rng.randrange(1_000, 2_000_000)),
        "bbox_mm": "[20.0, 20.0, 8.0]",
        "is_watertight": "t",
        "error_code": "",
        "error_message": "",
        "created_at": created.isoformat(),
        "priced_at": (created + timedelta(minutes=1)).isoformat(),
        "approved_at": (created + timedelta(days=1)).isoformat() if approved else r"\N",
        "stage_changed_at": (created + timedelta(days=2)).isoformat(),
    }


def seed_jobs(total: int, seed: int = 7) -> int:
    """COPY ``total`` jobs into the MES DB in the stage mix above; returns how many are in the queue."""
    from django.db import connections

    from mes.models import ManufacturingJob

    ManufacturingJob.objects.filter(order_id__gte=FIRST_ORDER_ID).delete()  # a previous seeding
    rng, now = random.Random(seed), datetime.now(UTC)
    stages = rng.choices(list(STAGE_SHARES), weights=list(STAGE_SHARES.values()), k=total)
    rows = [_job_row(index, stage, rng, now) for index, stage in enumerate(stages)]
    columns = list(rows[0])
    text = io.StringIO("".join("\t".join(row[column] for column in columns) + "\n" for row in rows))
    table = ManufacturingJob._meta.db_table
    with connections["mes"].cursor() as cursor:
        cursor.connection.cursor().copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", text
        )
        # As autovacuum leaves a settled table: with the visibility map set, COUNT(*) can read
        # the partial queue index alone (an index-only scan) instead of visiting the rows.
        cursor.execute(f"VACUUM ANALYZE {table}")
    return sum(row["stage"] == "MANUFACTURING_APPROVED" and row["assignee_id"] == r"\N" for row in rows)


def _timed_get(client, url: str, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code} {response.content[:300]!r}")
    return seconds


def _queries(client, url: str) -> dict:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections["default"]) as shop, CaptureQueriesContext(connections["mes"]) as mes:
        client.get(url)
    return {"shop": len(shop.captured_queries), "mes": len(mes.captured_queries),
            "mes_sql": [query["sql"] for query in mes.captured_queries]}


def measure(requests: int) -> dict:
    """Per URL: p50 and p95 in ms over ``requests`` GETs after 10 warm-ups, and the queries of one GET."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=OPERATOR))
    urls = {f"page 1, {size} a page": f"/api/v1/mes/queue/?page_size={size}" for size in PAGE_SIZES}
    from mes import selectors

    deep = max(1, min(DEEP_PAGE, selectors.operator_queue().count() // 50))
    urls[f"page {deep}, 50 a page"] = f"/api/v1/mes/queue/?page_size=50&page={deep}"
    results = {}
    for label, url in urls.items():
        _timed_get(client, url, 10)
        seconds = _timed_get(client, url, requests)
        results[label] = {"p50_ms": percentile(seconds, 0.5) * 1000, "p95_ms": percentile(seconds, 0.95) * 1000,
                          **_queries(client, url)}
    return results


def explain() -> str:
    """PostgreSQL's plans for the first queue page and its COUNT(*), to check which index serves them."""
    from django.db import connections

    from mes import selectors

    plans = []
    for query in (selectors.operator_queue()[:50], selectors.operator_queue().order_by().values("id")):
        sql, params = query.query.sql_with_params()
        if "LIMIT" not in sql:
            sql = f"SELECT COUNT(*) FROM ({sql}) AS queue"
        with connections["mes"].cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n".join(plans)


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    django.setup()
    print(json.dumps(measure(options.requests)))


if __name__ == "__main__":
    main()
