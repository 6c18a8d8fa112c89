"""Drives N orders through their whole life over the HTTP APIs of a running server: the demo, and load.

It signs in as the demo users (``manage.py seed_demo``: customer, seller, operator), so
every request goes through the server's middleware, permissions and tracing like real
traffic, and its spans land where that server keeps them: against ``bin/demo`` the support
console shows each simulated order's journey with its traces. Between steps it asks the
APIs until the messages have done their work (at once in the eager demo, a little later
with a broker and workers).
"""

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import requests
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from jewelry.demo_accounts import DEMO_PASSWORD
from jewelry.lifecycle import OrderStatus
from jewelry.sample_models import cube_stl

S = OrderStatus
FAILURE_KINDS = ("broken_model", "abandoned_model", "bad_upload", "operator_conflict")
OPERATOR_STEPS = ("take", "complete", "packaging", "ship")
POLL_SECONDS = 0.2
REQUEST_TIMEOUT_SECONDS = 30
# A 429 from the per-customer rates is waited out; a longer Retry-After than this is shortened.
MAX_RETRY_AFTER_SECONDS = 10


@dataclass
class Failure:
    order_id: int | None
    kind: str
    code: str


@dataclass
class SimulatedOrder:
    number: int
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
    order_ids: list[int] = field(default_factory=list)


class UnexpectedAnswer(Exception):
    """An API call did not answer as the script expected: that order's life ends here."""


class DemoServer:
    """The server's APIs as the demo users, each signed in once through the login form.

    A session, not HTTP Basic on every call: Basic checks the password (a deliberately slow
    hash) on each request, which made the polling between steps the run's bottleneck.
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.sessions: dict[str, requests.Session] = {}

    def call(self, username: str, method: str, path: str, **kwargs) -> tuple[int, dict]:
        """One API call; a 429 (the per-customer rates) is waited out as its Retry-After says."""
        while True:
            response = self.sessions[username].request(method, self.base_url + path,
                                                       timeout=REQUEST_TIMEOUT_SECONDS, **kwargs)
            if response.status_code != 429:
                break
            time.sleep(min(float(response.headers.get("Retry-After", "1")), MAX_RETRY_AFTER_SECONDS))
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.status_code, response.json() if is_json else {}

    def sign_in(self) -> None:
        """Refuse in one line, before any order, a server that is not there or has no demo users."""
        try:
            requests.get(f"{self.base_url}/health/live/", timeout=5)
        except requests.ConnectionError:
            raise CommandError(f"Nothing answers at {self.base_url}: start the demo first with bin/demo "
                               "(in another terminal), or pass its address with --base-url.") from None
        for username in ("customer", "seller", "operator"):
            self.sessions[username] = self._signed_in(username)

    def _signed_in(self, username: str) -> requests.Session:
        session, login = requests.Session(), f"{self.base_url}/accounts/login/"
        session.get(login, timeout=REQUEST_TIMEOUT_SECONDS)  # the form's CSRF cookie
        form = {"username": username, "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
        answer = session.post(login, data=form, headers={"Referer": login}, allow_redirects=False,
                              timeout=REQUEST_TIMEOUT_SECONDS)
        if answer.status_code != 302:
            raise CommandError(f"The demo user {username!r} cannot sign in at {self.base_url} "
                               f"(HTTP {answer.status_code}): run manage.py seed_demo for that server "
                               "(bin/demo does).")
        # The API checks CSRF on a session's POSTs, as it would a browser's.
        session.headers.update({"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": login})
        return session

    def journey_url(self, order_id: int) -> str:
        return f"{self.base_url}/support/orders/{order_id}/"


class Simulation:
    """The orders' lives as generators: each yields a condition to wait for before its next step."""

    def __init__(self, server: DemoServer, *, orders: int, failure_share: float, timeout: float,
                 rng: random.Random):
        self.server = server
        self.timeout = timeout
        self.summary = Summary()
        self.orders = [
            SimulatedOrder(number=n, model_size_mm=rng.uniform(6, 14),
                           failure_kind=rng.choice(FAILURE_KINDS) if rng.random() < failure_share else "")
            for n in range(orders)
        ]

    # --- requests ------------------------------------------------------------------------

    def request(self, order: SimulatedOrder, username: str, path: str, *, expect: int, **kwargs) -> dict:
        """One POST; its answer's JSON. An unexpected answer is a failure of the order and ends its life."""
        status, body = self.server.call(username, "POST", path, **kwargs)
        if status == expect:
            return body
        self.fail(order, order.failure_kind or "unexpected", body.get("code", f"http_{status}"))
        raise UnexpectedAnswer(f"POST {path} answered {status}, not {expect}")

    def fail(self, order: SimulatedOrder, kind: str, code: str) -> None:
        self.summary.errors[code] += 1
        self.summary.failures.append(Failure(order.id, kind, code))

    def upload(self, order: SimulatedOrder, content: bytes, name: str, *, expect: int = 200) -> dict:
        return self.request(order, "customer", f"/api/v1/shop/orders/{order.id}/model/", expect=expect,
                            files={"file": (name, content)})

    def upload_and_submit(self, order: SimulatedOrder, content: bytes) -> None:
        """Upload a model (after a refusal: a new one) and submit it."""
        self.upload(order, content, "ring.stl")
        self.request(order, "customer", f"/api/v1/shop/orders/{order.id}/submit/", expect=202)

    def seller_action(self, order: SimulatedOrder, action: str) -> None:
        self.request(order, "seller", f"/api/v1/crm/orders/{order.id}/{action}/", expect=200)

    def operator_step(self, order: SimulatedOrder, step: str, *, expect: int = 200) -> dict:
        return self.request(order, "operator", f"/api/v1/mes/orders/{order.id}/{step}/", expect=expect)

    # --- what the APIs say now ---------------------------------------------------------------

    def shop_order(self, order: SimulatedOrder) -> dict:
        return self.server.call("customer", "GET", f"/api/v1/shop/orders/{order.id}/")[1]

    def job_status(self, order: SimulatedOrder) -> str:
        """The MES job's status ("" until the approval's message has made the job known to MES)."""
        return self.server.call("operator", "GET", f"/api/v1/mes/orders/{order.id}/")[1].get("status", "")

    # --- one order's life ------------------------------------------------------------------

    def life(self, order: SimulatedOrder):
        created = self.request(order, "customer", "/api/v1/shop/orders/", expect=201,
                               json={"metal": "gold_18k"})
        order.id = created["id"]
        if order.failure_kind == "bad_upload":
            refused = self.upload(order, b"not a model", "ring.txt", expect=400)
            self.fail(order, order.failure_kind, refused["code"])
        if order.failure_kind in ("broken_model", "abandoned_model"):  # an open cube: MES refuses it
            self.upload_and_submit(order, cube_stl(order.model_size_mm, drop_triangles=2))
            yield lambda: self.shop_order(order).get("error_code", "") != ""
            self.fail(order, order.failure_kind, self.shop_order(order)["error_code"])
            if order.failure_kind == "abandoned_model":
                self.seller_action(order, "cancel")
                return
        self.upload_and_submit(order, cube_stl(order.model_size_mm))
        yield lambda: self.shop_order(order).get("status") == S.PRICE_CALCULATED
        self.seller_action(order, "approve")
        yield lambda: self.job_status(order) == S.MANUFACTURING_APPROVED
        self.operator_step(order, "take")
        if order.failure_kind == "operator_conflict":  # "take" clicked again on a job already taken
            refused = self.operator_step(order, "take", expect=409)
            self.fail(order, order.failure_kind, refused["code"])
        for step in OPERATOR_STEPS[1:]:
            self.operator_step(order, step)
        yield lambda: self.shop_order(order).get("status") == S.SHIPPED
        self.seller_action(order, "close")

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
        self.summary.order_ids = [order.id for order in self.orders if order.id is not None]
        self.summary.statuses.update(self.shop_order(order)["status"] for order in self.orders
                                     if order.id is not None)
        return self.summary


class Command(BaseCommand):
    help = ("Drive N orders through their whole life over the HTTP APIs of a running server (bin/demo), "
            "as its demo users, with a share of failures; the summary links each failure's journey.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=f"http://{os.environ.get('ADDR', '127.0.0.1:8000')}",
                            help="the running server (default: bin/demo's, http://$ADDR or "
                                 "http://127.0.0.1:8000)")
        parser.add_argument("--orders", type=int, default=20, help="how many orders to drive (default 20)")
        parser.add_argument("--failure-share", type=float, default=0.2,
                            help="share of orders that meet a failure: " + ", ".join(FAILURE_KINDS))
        parser.add_argument("--timeout", type=float, default=120.0,
                            help="seconds an order may wait for the message queue before it counts as stuck")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")

    def handle(self, *args, **options):
        base_url = options["base_url"].rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must start with http:// or https://, not {base_url!r} "
                               "(e.g. http://127.0.0.1:8000).")
        if options["orders"] < 0 or not 0 <= options["failure_share"] <= 1:
            raise CommandError("--orders must be >= 0 and --failure-share between 0 and 1.")
        server = DemoServer(base_url)
        server.sign_in()
        simulation = Simulation(server, orders=options["orders"], failure_share=options["failure_share"],
                                timeout=options["timeout"], rng=random.Random(options["seed"]))
        started = time.monotonic()
        try:
            with tqdm(total=options["orders"], unit="order", disable=options["no_progress"]) as progress:
                summary = simulation.run(progress)
        except requests.ConnectionError:
            raise CommandError(f"{base_url} stopped answering: is bin/demo still running?") from None
        self.report(server, summary, time.monotonic() - started)

    def report(self, server: DemoServer, summary: Summary, seconds: float) -> None:
        out, orders = self.stdout, len(summary.order_ids)
        out.write(f"{orders} orders in {seconds:.1f} s ({orders / seconds if seconds else 0:.1f} orders/s) "
                  f"against {server.base_url}")
        out.write("Orders per status:")
        for status, count in sorted(summary.statuses.items()):
            out.write(f"  {status:<24} {count}")
        out.write("Errors by code:" if summary.errors else "Errors: none")
        for code, count in summary.errors.most_common():
            out.write(f"  {code:<32} {count}")
        if summary.timed_out:
            out.write(self.style.WARNING(f"Still waiting after the timeout: orders {summary.timed_out}"))
        if summary.failures:
            out.write("Failures (order, kind, code, journey):")
        for failure in summary.failures:
            link = server.journey_url(failure.order_id) if failure.order_id else "-"
            out.write(f"  {failure.order_id} {failure.kind} {failure.code} {link}")
        if summary.order_ids:
            out.write(f"Every order's journey and traces, in the support console (sign in as support, "
                      f"password {DEMO_PASSWORD}): {server.journey_url(summary.order_ids[0])} (orders "
                      f"{min(summary.order_ids)} to {max(summary.order_ids)})")
