"""The support console in a real headless browser (Debian's chromium, driven by Playwright), on the demo.

``bin/demo`` serves on SQLite with its local span store; a real Celery worker (its own
process and service name) shares the demo's files and a RabbitMQ vhost, so the waterfall
holds spans of both processes. ``simulate_orders`` drives orders over HTTP first; a short
PRICE_CALCULATED deadline and a run of the stuck-order detector on the demo's files make a
priced order stuck.
``SCREENSHOTS=1`` also writes the pictures into docs/.
"""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from jewelry.contracts import OrderPriced, PriceRequested, PricingFailed
from jewelry.sample_models import cube_stl
from tests.processes import broker_url, free_port, purge_queues, wait_until

pytestmark = [pytest.mark.services, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "alexandrite-demo"
STATUSES = ["INITIATED", "FILE_UPLOADED", "SUBMITTED", "PRICE_CALCULATED", "MANUFACTURING_APPROVED",
            "MANUFACTURING_STARTED", "MANUFACTURING_COMPLETED", "PACKAGING", "SHIPPED", "CLOSED"]
DURATION = re.compile(r"^\d+(\.\d+)? s|^\d+ (d|h|min|s)\b")
CUSTOMER_EMAIL = "jane.roe@example.org"  # seed_demo's customer, who places every order here
PRICED_DEADLINE_SECONDS = 4  # a priced order waits this long for a seller before it counts as stuck
DEADLINES = {"STUCK_ORDER_DEADLINES_SECONDS": f"PRICE_CALCULATED={PRICED_DEADLINE_SECONDS}"}


def _demo_env(var_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("DATABASE_URL") and not k.startswith(("OTEL_", "CELERY_", "DJANGO_"))}
    env.update(ALEXANDRITE_VAR_DIR=str(var_dir), RECENT_SPANS_FILE=str(var_dir / "recent-spans.sqlite3"),
               CELERY_BROKER_URL=broker_url(), PYTHONUNBUFFERED="1", **extra)
    return env


def _start(argv, env, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """bin/demo (web) and a Celery worker on the demo's SQLite files and span store; yields the base URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: bin/services installs it")
    var_dir = tmp_path_factory.mktemp("demo")
    port = free_port()
    purge_queues(broker_url())
    web = _start([str(ROOT / "bin" / "demo")], _demo_env(var_dir, ADDR=f"127.0.0.1:{port}",
                                                         OTEL_SERVICE_NAME="alexandrite-web", **DEADLINES),
                 var_dir / "web.log")
    base = f"http://127.0.0.1:{port}"
    worker = None
    try:
        wait_until(lambda: _answers(base + "/api/schema/") or web.poll() is not None, timeout=90,
                   message=lambda: (var_dir / "web.log").read_text(errors="replace")[-3000:])
        assert web.poll() is None, (var_dir / "web.log").read_text(errors="replace")[-3000:]
        # A thread pool, not solo: under solo, a message that came in while a task ran waited about
        # 10 s at times (seen in the worker's log: an approval, a progress report), several times a run.
        worker = _start([str(ROOT / ".venv" / "bin" / "celery"), "-A", "jewelry", "worker", "-Q",
                         "mes.orders,mes.pricing,shop.events", "--concurrency=1", "--pool=threads", "--loglevel=INFO",
                         "--without-heartbeat", "--without-gossip", "--without-mingle",
                         "-n", f"console-browser-{os.getpid()}@%h"],
                        _demo_env(var_dir, OTEL_SERVICE_NAME="alexandrite-worker", OTEL_TRACES_EXPORTER="none"),
                        var_dir / "worker.log")
        wait_until(lambda: " ready." in (var_dir / "worker.log").read_text(errors="replace"), timeout=60,
                   message=lambda: (var_dir / "worker.log").read_text(errors="replace")[-3000:])
        yield base, var_dir
    finally:
        if worker is not None:
            _stop(worker)
        _stop(web)


@pytest.fixture(scope="module")
def simulated(demo) -> dict:
    """``simulate_orders`` over HTTP against the served demo (before anything else), then a priced
    order nobody approves: its PRICE_CALCULATED deadline passes while the other tests look around."""
    base, var_dir = demo
    # A person's second terminal beside the demo: no test databases, no collector.
    person = {k: v for k, v in os.environ.items()
              if not k.endswith("DATABASE_URL") and not k.startswith("OTEL_")}
    run = _manage("simulate_orders", "--base-url", base, "--orders", "2", "--failure-share", "0",
                  "--no-progress", env=person | {"ALEXANDRITE_VAR_DIR": str(var_dir / "simulator")})
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"CLOSED\s+2\n", run.stdout), run.stdout
    first, last = map(int, re.search(r"\(orders (\d+) to (\d+)\)", run.stdout).groups())
    assert f"{base}/support/orders/{first}/" in run.stdout  # the summary's link opens the console
    left_priced = _order_with(base, cube_stl(10))
    assert left_priced["status"] == "PRICE_CALCULATED"
    return {"orders": list(range(first, last + 1)), "left_priced": left_priced["id"],
            "overdue_at": time.monotonic() + PRICED_DEADLINE_SECONDS}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def _closed_order(base: str, var_dir: Path) -> tuple[int, str]:
    """The README's walk (bin/try-order), over the HTTP APIs; returns the order id and its price."""
    result = subprocess.run([str(ROOT / "bin" / "try-order"), base], cwd=ROOT, capture_output=True, text=True,
                            check=False, timeout=120,
                            env={**os.environ, "NO_BROWSER": "1", "ALEXANDRITE_VAR_DIR": str(var_dir)})
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"order (\d+): CLOSED, price ([\d.]+)", result.stdout)
    assert found, result.stdout
    assert f"{base}/support/orders/{found[1]}/" in result.stdout
    return int(found[1]), found[2]


def _order_with(base: str, model: bytes) -> dict:
    """An order of ``model``, submitted through the shop API; the shop's order once MES has answered."""
    shop = requests.Session()
    shop.auth = ("customer", PASSWORD)
    order_id = shop.post(f"{base}/api/v1/shop/orders/", json={"metal": "gold_18k"}, timeout=10).json()["id"]
    uploaded = shop.post(f"{base}/api/v1/shop/orders/{order_id}/model/", timeout=10,
                         files={"file": ("ring.stl", model)})
    assert uploaded.status_code == 200, uploaded.text
    assert shop.post(f"{base}/api/v1/shop/orders/{order_id}/submit/", timeout=10).status_code == 202

    def answered() -> dict | None:
        order = shop.get(f"{base}/api/v1/shop/orders/{order_id}/", timeout=10).json()
        return order if order["status"] != "SUBMITTED" or order["error_code"] else None

    return wait_until(answered, timeout=60, message="MES's answer")


def _failed_order(base: str) -> dict:
    """An order whose model MES refuses to price (an open mesh), through the shop API."""
    return _order_with(base, cube_stl(10, drop_triangles=1))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _signed_in(browser, base: str, user: str, outside: list):
    """A fresh browser session signed in through the login form; requests leaving 127.0.0.1 are cut."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def cut_the_network(route):
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", cut_the_network)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _journey_with_spans_of(page, url: str, services: set[str], timeout: float = 30):
    """Open ``url`` until its waterfall shows spans of every service (the stores fill within a second or so)."""
    deadline = time.monotonic() + timeout
    while True:
        response = page.goto(url)
        assert response.status == 200
        shown = set(page.locator(".spans summary .service").all_inner_texts())
        if services <= shown or time.monotonic() > deadline:
            return shown
        time.sleep(1)


def _screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SCREENSHOTS") == "1":
        shutil.copy(path, ROOT / "docs" / name)
    return path


def test_support_follows_a_closed_and_a_failed_order_in_the_browser_and_a_customer_is_refused(
        demo, simulated, browser, tmp_path):
    base, var_dir = demo
    closed_id, price = _closed_order(base, var_dir)
    failed = _failed_order(base)
    outside: list[str] = []
    page = _signed_in(browser, base, "support", outside)

    shown = _journey_with_spans_of(page, f"{base}/support/orders/{closed_id}/",
                                   {"alexandrite-web", "alexandrite-worker"})
    stages = page.locator("table.journey tbody tr")
    assert [stages.nth(i).locator("td").nth(1).inner_text() for i in range(stages.count())] == STATUSES
    durations = page.locator("table.journey td.duration").all_inner_texts()
    assert len(durations) == 10 and all(DURATION.match(text) for text in durations[:-1]), durations
    assert durations[-1] == "final"  # CLOSED has no duration: the clock stopped
    assert {"alexandrite-web", "alexandrite-worker"} <= shown
    assert page.locator("details.span", has_text=f"run/{PriceRequested.name}").count() >= 1
    who = page.inner_text("#who")
    assert "Jane Roe" in who and "jane.roe@example.org" in who and "Marta Silva" in who  # seed_demo's people
    assert "Nothing: CLOSED is final" in page.inner_text("#next")
    assert "so far" not in page.inner_text("table.journey")  # CLOSED stopped the clock
    # One time axis: a band per stage, one row per trace, spans of both processes on it.
    assert page.locator(".stages-lane .band").count() == 10
    rows = page.locator(".timeline .trace-row")
    step_traces = {link.get_attribute("href") for link in page.locator("table.journey a").all()}
    assert rows.count() >= len(step_traces) >= 2  # every step's trace, plus the messages' own
    assert page.locator(".trace-row .mark-span.alexandrite-web").count() >= 1
    assert page.locator(".trace-row .mark-span.alexandrite-worker").count() >= 1
    assert price == "1081.00" and "1081.00" in page.inner_text("dl.facts")
    assert "Production never uses it" in page.inner_text("main")
    _screenshot(page, tmp_path, "support-console-order.png")

    shown = _journey_with_spans_of(page, f"{base}/support/orders/{failed['id']}/",
                                   {"alexandrite-web", "alexandrite-worker"})
    error = page.inner_text("#current-error")
    assert failed["error_code"] == "model_not_watertight"
    assert failed["error_code"] in error and failed["error_message"] in error
    assert "Waiting for the customer to upload a new file" in page.inner_text("#next")
    failing = page.locator("details.span.failed")
    assert failing.count() == 1 and "alexandrite-worker" in failing.first.locator(".service").inner_text()
    summary = failing.first.locator("summary").inner_text()
    assert f"run/{PriceRequested.name}" in summary  # not the shop's record of it
    assert page.locator(".trace-row .mark-span.failed").count() == 1
    assert PricingFailed.name in page.inner_text("table.messages")  # MES's report
    failing.first.locator("summary").click()  # unfold its attributes
    attributes = failing.first.locator("dl.attributes")
    assert attributes.is_visible() and "model_not_watertight" in attributes.inner_text()
    _screenshot(page, tmp_path, "support-console-failure.png")

    page.goto(f"{base}/support/")
    assert str(failed["id"]) in page.inner_text("#failed-orders")  # failed in the last 24 hours

    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert {tag.strip() for tag in page.locator(".opblock-tag h3, .opblock-tag span").all_inner_texts()
            if tag.strip() in ("shop", "crm", "mes")} == {"shop", "crm", "mes"}
    page.goto(f"{base}/api/redoc/", wait_until="networkidle")  # its scripts have asked for all they show
    page.wait_for_selector(".api-content", timeout=20_000)
    assert {"shop", "crm", "mes"} <= set(page.locator(".menu-content label").all_inner_texts())
    assert page.locator("img[alt='redocly logo']").count() == 0  # refused (not fetched), then dropped
    assert outside == []  # nothing the pages load comes from outside (Redoc's logo included)

    customer = _signed_in(browser, base, "customer", outside)
    refused = customer.goto(f"{base}/support/orders/{closed_id}/")
    assert refused.status == 403
    assert "for support and developers" in customer.inner_text("main")
    assert customer.locator("table.journey, table.waterfall").count() == 0  # nothing of the order shown


def test_support_finds_a_simulated_order_by_e_mail_and_every_trace_link_of_its_journey_shows_spans(
        demo, simulated, browser):
    base, _ = demo
    order_id = simulated["orders"][0]
    outside: list[str] = []
    page = _signed_in(browser, base, "support", outside)
    page.goto(f"{base}/support/")
    page.select_option("select[name=by]", "customer")
    page.fill("#find", CUSTOMER_EMAIL)
    page.click("form.find button[type=submit]")
    page.locator(f"main a[href='/support/orders/{order_id}/']").click()
    page.wait_for_url(f"{base}/support/orders/{order_id}/")

    journey = page.url
    shown = _journey_with_spans_of(page, journey, {"alexandrite-web", "alexandrite-worker"})
    assert {"alexandrite-web", "alexandrite-worker"} <= shown
    assert "Jane Roe" in page.inner_text("#who") and CUSTOMER_EMAIL in page.inner_text("#who")
    assert page.locator(".trace-row .mark-span.alexandrite-web").count() >= 1  # one axis, both processes
    assert page.locator(".trace-row .mark-span.alexandrite-worker").count() >= 1
    initiated = page.locator("table.journey tbody tr").first  # the creation call, traced
    assert "INITIATED" in initiated.inner_text()
    created = initiated.locator("a").get_attribute("href").removeprefix("#trace-")
    assert page.locator(f"#trace-{created} .mark-span.alexandrite-web").count() >= 1
    assert "POST api/v1/shop/orders/" in page.inner_text(f"#spans-{created}")
    reply = page.locator("table.messages tr.mes", has_text=OrderPriced.name)  # MES's reply
    assert reply.count() >= 1 and "priced" in reply.first.inner_text()
    assert "Nothing: CLOSED is final" in page.inner_text("#next")
    assert "so far" not in page.inner_text("table.journey") and page.locator(".band.now").count() == 0

    # Every trace link: the stages' and the axis rows' on the page, and the CRM API's trace_url.
    links = {link.get_attribute("href") for link in page.locator("table.journey a, .lane-label a").all()}
    history = page.request.get(f"{base}/api/v1/crm/orders/{order_id}/").json()["history"]
    links |= {change["trace_url"] for change in history}
    for href in sorted(links):
        page.goto(urljoin(journey, href))
        target = "#" + urlsplit(page.url).fragment
        assert page.locator(f"{target} .mark-span, {target} details.span").count() >= 1, href
    assert outside == []


def test_a_priced_order_past_its_short_deadline_is_marked_stuck_on_the_front_page(
        demo, simulated, browser, tmp_path):
    base, _ = demo
    order_id = simulated["left_priced"]
    time.sleep(max(simulated["overdue_at"] - time.monotonic(), 0))  # its deadline passed (long ago, mostly)
    # The detector bin/demo runs every minute, run once on the demo's files (as beat would send it).
    scan = _manage("detect_stuck_orders", env=_demo_env(demo[1], OTEL_TRACES_EXPORTER="none", **DEADLINES))
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert "Stuck orders: PRICE_CALCULATED 1 " in scan.stdout, scan.stdout
    page = _signed_in(browser, base, "support", [])
    page.goto(f"{base}/support/")
    stuck_link = page.locator(f"#stuck-orders a[href='/support/orders/{order_id}/']")
    assert stuck_link.count() == 1
    _screenshot(page, tmp_path, "support-console-home.png")
    stuck_link.click()
    page.wait_for_url(f"{base}/support/orders/{order_id}/")
    stuck = page.inner_text("#stuck")
    assert f"Stuck in PRICE_CALCULATED past its deadline of {PRICED_DEADLINE_SECONDS:.2f} s" in stuck
    assert "Waiting for a seller to approve manufacturing" in page.inner_text("#next")
    assert page.locator(".band.now").count() == 1  # its clock runs
