"""Drives N orders through their whole life over the real HTTP APIs: the demo, and the benchmarks' load.

Customers, sellers and operators act through Django's test client (every request
goes through the middleware, the permissions and the tracing like real traffic);
each request runs under a span of the generator, so a failure's trace id is known.
Works eagerly (embedded mode, SQLite) and against a real broker and workers: between
steps it waits, reading the databases, until the messages have done their work.
"""

import logging
import random
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.test import Client, override_settings
from tqdm import tqdm

from jewelry.lifecycle import OrderStatus
from jewelry.management.preconditions import require_migrated
from jewelry.roles import Role, create_user
from jewelry.sample_models import cube_stl
from mes.models import ManufacturingJob
from shop.models import Order
from tracing import attributes as A
from tracing import propagation, spans
from tracing.links import trace_url

S = OrderStatus
FAILURE_KINDS = ("broken_model", "abandoned_model", "bad_upload", "operator_conflict")
OPERATOR_STEPS = ("take", "complete", "packaging", "ship")
POLL_SECONDS = 0.05


@dataclass
class Failure:
    order_id: int | None
    kind: str
    code: str
    trace_id: str


@dataclass
class SimulatedOrder:
    number: int
    customer: Client
    seller: Client
    operators: list[Client]
    model_size_mm: float
    failure_kind: str = ""
    id: int | None = None
    waited_since: float = 0.0


@dataclass
class Summary:
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    timed_out: list[int] = field(default_factory=list)


class UnexpectedAnswer(Exception):
    """An API call did not answer as the script expected: that order's life ends here."""


class Simulation:
    """The orders' lives as generators: each yields a condition to wait for before its next step."""

    def __init__(self, *, orders: int, failure_share: float, timeout: float, rng: random.Random,
                 customers: list[Client], sellers: list[Client], operators: list[Client]):
        self.timeout = timeout
        self.summary = Summary()
        self.orders = [
            SimulatedOrder(
                number=n, customer=rng.choice(customers), seller=rng.choice(sellers),
                operators=rng.sample(operators, min(2, len(operators))), model_size_mm=rng.uniform(6, 14),
                failure_kind=rng.choice(FAILURE_KINDS) if rng.random() < failure_share else "",
            )
            for n in range(orders)
        ]

    # --- requests ------------------------------------------------------------------------

    def request(self, order: SimulatedOrder, client: Client, step: str, path: str, *, expect: int,
                **kwargs) -> tuple[dict, str]:
        """One POST in its own trace: the answer's JSON and the trace id. Unexpected answers end the order."""
        attributes = {A.ORDER_ID: order.id} if order.id is not None else {}
        with spans.order_span(f"simulate {step}", attributes=attributes):
            response = client.post(path, headers=propagation.capture(), **kwargs)
            trace_id = spans.current_trace_id()
        body = response.json() if response.headers.get("Content-Type") == "application/json" else {}
        if response.status_code == expect:
            return body, trace_id
        self.fail(order, order.failure_kind or "unexpected", body.get("code", f"http_{response.status_code}"),
                  trace_id)
        raise UnexpectedAnswer(f"{step} answered {response.status_code}, not {expect}")

    def fail(self, order: SimulatedOrder, kind: str, code: str, trace_id: str) -> None:
        self.summary.errors[code] += 1
        self.summary.failures.append(Failure(order.id, kind, code, trace_id))

    def upload(self, order: SimulatedOrder, content: bytes, name: str, *,
               expect: int = 200) -> tuple[dict, str]:
        return self.request(order, order.customer, "upload model", f"/api/v1/shop/orders/{order.id}/model/",
                            expect=expect, data={"file": SimpleUploadedFile(name, content)})

    def upload_and_submit(self, order: SimulatedOrder, content: bytes) -> str:
        """Upload a model (after a refusal: a new one) and submit it; returns the submit's trace id."""
        self.upload(order, content, "ring.stl")
        _, trace_id = self.request(order, order.customer, "submit", f"/api/v1/shop/orders/{order.id}/submit/",
                                   expect=202)
        return trace_id

    def seller_action(self, order: SimulatedOrder, action: str) -> None:
        self.request(order, order.seller, action, f"/api/v1/crm/orders/{order.id}/{action}/", expect=200)

    def operator_step(self, order: SimulatedOrder, operator: Client, step: str, *, expect: int = 200):
        return self.request(order, operator, step, f"/api/v1/mes/orders/{order.id}/{step}/", expect=expect)

    # --- one order's life ------------------------------------------------------------------

    def life(self, order: SimulatedOrder):
        created, _ = self.request(order, order.customer, "create order", "/api/v1/shop/orders/", expect=201,
                                  data={"metal": "gold_18k"}, content_type="application/json")
        order.id = created["id"]
        good_model = cube_stl(order.model_size_mm)
        if order.failure_kind == "bad_upload":
            refused, trace_id = self.upload(order, b"not a model", "ring.txt", expect=400)
            self.fail(order, order.failure_kind, refused["code"], trace_id)
        if order.failure_kind in ("broken_model", "abandoned_model"):
            trace_id = self.upload_and_submit(order, cube_stl(order.model_size_mm, drop_triangles=2))
            yield lambda: self.shop_order(order).error_code != ""
            self.fail(order, order.failure_kind, self.shop_order(order).error_code, trace_id)
            if order.failure_kind == "abandoned_model":
                self.seller_action(order, "cancel")
                return
        self.upload_and_submit(order, good_model)
        yield lambda: self.shop_order(order).status == S.PRICE_CALCULATED
        self.seller_action(order, "approve")
        yield lambda: self.job_stage(order) == S.MANUFACTURING_APPROVED
        first, second = order.operators[0], order.operators[-1]
        self.operator_step(order, first, "take")
        if order.failure_kind == "operator_conflict":  # a colleague clicks "take" a moment too late
            refused, trace_id = self.operator_step(order, second, "take", expect=409)
            self.fail(order, order.failure_kind, refused["code"], trace_id)
        for step in OPERATOR_STEPS[1:]:
            self.operator_step(order, first, step)
        yield lambda: self.shop_order(order).status == S.SHIPPED
        self.seller_action(order, "close")

    @staticmethod
    def shop_order(order: SimulatedOrder) -> Order:
        return Order.objects.only("status", "error_code").get(pk=order.id)

    @staticmethod
    def job_stage(order: SimulatedOrder) -> str:
        stages = ManufacturingJob.objects.filter(order_id=order.id).values_list("stage", flat=True)
        return stages.first() or ""

    # --- the driver ------------------------------------------------------------------------

    def run(self, progress) -> Summary:
        """Advance every order whose condition holds; wait a little when none moved."""
        lives = {order.number: (order, self.life(order), None) for order in self.orders}
        while lives:
            moved = False
            for number, (order, life, condition) in list(lives.items()):
                if condition is not None and not condition():
                    if time.monotonic() - order.waited_since > self.timeout:
                        self.summary.timed_out.append(order.id)
                        del lives[number]
                        progress.update(1)
                    continue
                moved = True
                try:
                    lives[number] = (order, life, next(life))
                    order.waited_since = time.monotonic()
                except (StopIteration, UnexpectedAnswer):
                    del lives[number]
                    progress.update(1)
            if not moved:
                time.sleep(POLL_SECONDS)
        ids = [order.id for order in self.orders if order.id is not None]
        self.summary.statuses.update(Order.objects.filter(pk__in=ids).values_list("status", flat=True))
        return self.summary


@contextmanager
def _quiet_refusals():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _clients(role: str, count: int) -> list[Client]:
    """Logged-in clients for ``count`` simulated users of ``role`` (created once, reused after)."""
    clients = []
    for n in range(1, count + 1):
        username = f"sim-{role}-{n}"
        user = User.objects.filter(username=username).first() or create_user(username=username, role=role)
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


class Command(BaseCommand):
    help = "Drive N orders through their whole life over the HTTP APIs, with a share of failures."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=20, help="how many orders to drive (default 20)")
        parser.add_argument("--failure-share", type=float, default=0.2,
                            help="share of orders that meet a failure: " + ", ".join(FAILURE_KINDS))
        parser.add_argument("--customers", type=int, default=5, help="simulated customers (default 5)")
        parser.add_argument("--sellers", type=int, default=2, help="simulated sellers (default 2)")
        parser.add_argument("--operators", type=int, default=3, help="simulated operators (default 3)")
        parser.add_argument("--timeout", type=float, default=120.0,
                            help="seconds an order may wait for the message queue before it counts as stuck")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")

    def handle(self, *args, **options):
        if options["orders"] < 0 or not 0 <= options["failure_share"] <= 1:
            raise CommandError("--orders must be >= 0 and --failure-share between 0 and 1.")
        if min(options["customers"], options["sellers"], options["operators"]) < 1:
            raise CommandError("Every role needs at least one simulated user.")
        require_migrated("default", "mes")
        started = time.monotonic()
        # The test client's host name is allowed for the run only; the refusals the script
        # provokes on purpose are in the summary, not logged one by one.
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]), _quiet_refusals():
            simulation = Simulation(
                orders=options["orders"], failure_share=options["failure_share"], timeout=options["timeout"],
                rng=random.Random(options["seed"]),
                customers=_clients(Role.CUSTOMER, options["customers"]),
                sellers=_clients(Role.SELLER, options["sellers"]),
                operators=_clients(Role.OPERATOR, options["operators"]),
            )
            with tqdm(total=options["orders"], unit="order", disable=options["no_progress"]) as progress:
                summary = simulation.run(progress)
        self.report(summary, time.monotonic() - started, options["orders"])

    def report(self, summary: Summary, seconds: float, orders: int) -> None:
        out = self.stdout
        out.write(f"{orders} orders in {seconds:.1f} s ({orders / seconds if seconds else 0:.1f} orders/s)")
        out.write("Orders per status:")
        for status, count in sorted(summary.statuses.items()):
            out.write(f"  {status:<24} {count}")
        out.write("Errors by code:" if summary.errors else "Errors: none")
        for code, count in summary.errors.most_common():
            out.write(f"  {code:<32} {count}")
        if summary.timed_out:
            out.write(self.style.WARNING(f"Still waiting after the timeout: orders {summary.timed_out}"))
        if summary.failures:
            out.write("Failures (order, kind, code, trace):")
        for failure in summary.failures:
            link = trace_url(failure.trace_id) if failure.trace_id else "-"
            out.write(f"  {failure.order_id} {failure.kind} {failure.code} {failure.trace_id or '-'} {link}")
