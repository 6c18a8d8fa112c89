"""Where the web path's time goes: the order flow in-process (Django test client), CPU per flow, a profile.

``python -m benchmarks.profile_web --tracing ours --flows 300 [--profile]`` prints the
CPU milliseconds per flow (this process's CPU, export thread included: robust to other
load on the machine) and, with ``--profile``, pyinstrument's call tree.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.environment import SAMPLE_EVERYTHING, BenchWorld
from benchmarks.processes import otlp_sink


def _flow(customer, operator, model: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    created = customer.post("/api/v1/shop/orders/", {"metal": "gold_18k"}, content_type="application/json")
    order_id = created.json()["id"]
    customer.post(f"/api/v1/shop/orders/{order_id}/model/", {"file": SimpleUploadedFile("ring.stl", model)})
    customer.post(f"/api/v1/shop/orders/{order_id}/submit/")
    customer.get(f"/api/v1/shop/orders/{order_id}/")
    response = operator.get("/api/v1/mes/queue/")
    if response.status_code != 200:
        raise RuntimeError(f"queue: {response.status_code} {response.content[:200]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracing", choices=("off", "ours"), default="ours")
    parser.add_argument("--flows", type=int, default=300)
    parser.add_argument("--exporter", choices=("otlp", "none"), default="otlp",
                        help="with --tracing ours: none creates the spans but never encodes or sends them")
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's call tree")
    options = parser.parse_args()

    world = BenchWorld("alexandrite_bench_profile")
    try:
        world.setup()
        with otlp_sink("ok") as sink:
            _run(world, sink, options)
    finally:
        world.teardown()


def _run(world, sink, options) -> None:
    import os

    import django

    tracing = {"TRACING_ENABLED": "false"}
    if options.tracing == "ours":
        tracing = {"TRACING_ENABLED": "true", "OTEL_TRACES_EXPORTER": options.exporter,
                   "OTEL_METRICS_EXPORTER": options.exporter,
                   "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint, **SAMPLE_EVERYTHING}
    os.environ.update(world.env(**tracing))
    django.setup()

    from django.contrib.auth.models import User
    from django.test import Client

    from benchmarks.mes_queue import seed_jobs
    from benchmarks.users import logged_in
    from jewelry.roles import Role
    from jewelry.sample_models import cube_stl

    seed_jobs(1_000)
    clients = []
    for name, role in (("profile-customer", Role.CUSTOMER), ("profile-operator", Role.OPERATOR)):
        logged_in(name, role)
        client = Client()
        client.force_login(User.objects.get(username=name))
        clients.append(client)
    model = cube_stl(10)
    for _ in range(20):
        _flow(*clients, model)
    profiler = None
    if options.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    started = time.process_time()
    for _ in range(options.flows):
        _flow(*clients, model)
    cpu = time.process_time() - started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    from tracing import setup

    setup.flush()
    exporter = f" (exporter {options.exporter})" if options.tracing == "ours" else ""
    print(f"tracing {options.tracing}{exporter}: {cpu / options.flows * 1000:.2f} ms CPU per flow "
          f"({options.flows} flows, 5 requests each)")


if __name__ == "__main__":
    main()
