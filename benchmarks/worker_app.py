"""The Celery app of a benchmark worker, with the pieces ``BENCH_WITHOUT`` names taken out.

``celery -A benchmarks.worker_app worker ...``: the product's app (jewelry.celery), once
benchmarks.pieces has replaced what the variant runs without.
"""

from benchmarks.pieces import take_out_from_environment

take_out_from_environment()

from jewelry.celery import app  # noqa: E402  after the take-out, before Django sets up

__all__ = ["app"]
