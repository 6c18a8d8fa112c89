"""The support console: who may open it (audited), and what an order's page tells (journey, error, traces)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from shop.models import Order, OrderStatusChange
from tests.flows import operator_steps, submitted_order
from tests.tracing.fake_jaeger import fake_jaeger, trace_document
from tracing.models import JaegerAccessLog

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def closed_order(api, customer, seller, operator) -> int:
    order_id = submitted_order(api(customer), cube_stl(10))
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/approve/").status_code == 200
    assert operator_steps(api(operator), order_id) == [200, 200, 200, 200]
    assert api(seller).post(f"/api/v1/crm/orders/{order_id}/close/").status_code == 200
    return order_id


@pytest.mark.parametrize("path", ["/support/", "/support/orders/1/"])
def test_anonymous_visitors_go_to_the_login_page_and_are_audited(path):
    response = browser().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    row = JaegerAccessLog.objects.get()
    assert (row.decision, row.user_id, row.uri, row.search_service) == ("login", None, path, "support-console")


def test_a_customer_is_refused_with_403_and_the_refusal_is_audited(customer):
    response = browser(customer).get("/support/")

    assert response.status_code == 403
    assert b"for support and developers" in response.content
    assert JaegerAccessLog.objects.get().decision == "refused"


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.DEVELOPER])
def test_support_and_developers_may_open_the_console(make_user, role):
    user = make_user(role)

    assert browser(user).get("/support/").status_code == 200
    row = JaegerAccessLog.objects.get()
    assert (row.decision, row.user_id) == ("allowed", user.pk)


def test_find_by_order_trace_and_customer_id(api, customer, support):
    order_id = submitted_order(api(customer), cube_stl(10))
    trace_id = OrderStatusChange.objects.filter(order_id=order_id).first().trace_id
    console = browser(support)

    assert console.get("/support/", {"by": "order", "find": order_id})["Location"] == f"/support/orders/{order_id}/"
    assert console.get("/support/", {"by": "trace", "find": trace_id})["Location"] == (
        f"/support/orders/{order_id}/#trace-{trace_id}")
    by_customer = console.get("/support/", {"by": "customer", "find": customer.pk})
    assert f'href="/support/orders/{order_id}/"' in by_customer.content.decode()
    for not_an_id in ("abc", "9" * 30, "\u00b2"):  # letters, past a bigint, a non-ASCII digit
        answer = console.get("/support/", {"by": "order", "find": not_an_id})
        assert answer.status_code == 200 and "ids are numbers" in answer.content.decode()
    searched = [row.search_tags for row in JaegerAccessLog.objects.order_by("id")]
    assert searched[:2] == [f"order={order_id}", f"trace={trace_id}"]


def test_the_home_page_lists_stuck_and_recently_failed_orders(api, customer, support):
    stuck = submitted_order(api(customer), cube_stl(10))
    failed = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    Order.objects.filter(pk=stuck).update(stuck_since=timezone.now() - timedelta(hours=2))

    page = browser(support).get("/support/").content.decode()

    stuck_part, failed_part = page.split("Failed in the last 24 hours")
    assert f'href="/support/orders/{stuck}/"' in stuck_part.split("Stuck orders")[1]
    assert f'href="/support/orders/{failed}/"' in failed_part and "model_not_watertight" in failed_part


def test_a_closed_orders_page_shows_every_stage_with_its_time_duration_actor_and_system(
        api, customer, seller, operator, support, settings):
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", ""
    order_id = closed_order(api, customer, seller, operator)

    response = browser(support).get(f"/support/orders/{order_id}/")

    page = response.content.decode()
    journey = response.context["journey"]
    assert [stage.status for stage in journey.stages] == [
        "INITIATED", "FILE_UPLOADED", "SUBMITTED", "PRICE_CALCULATED", "MANUFACTURING_APPROVED",
        "MANUFACTURING_STARTED", "MANUFACTURING_COMPLETED", "PACKAGING", "SHIPPED", "CLOSED"]
    assert all(stage.seconds >= 0 for stage in journey.stages)
    assert [(s.actor_id, s.actor_role, s.system) for s in journey.stages][4:6] == [
        (seller.pk, "seller", "crm"), (operator.pk, "operator", "mes")]
    assert page.count('class="stage') == 10 and "so far" in page  # CLOSED is the current stage
    assert timezone.localtime(journey.stages[3].entered_at).strftime("%Y-%m-%d %H:%M:%S") in page
    assert "mes.order.submitted" in page and "mes.order.approved" in page  # the outbox messages
    assert "No span source is configured" in page
    assert f"<title>Order {order_id} · Alexandrite</title>" in page


def test_a_pricing_failure_shows_its_code_message_and_the_failing_span_from_jaeger(
        api, customer, support, settings):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    trace_ids = list(OrderStatusChange.objects.filter(order_id=order_id).values_list("trace_id", flat=True))
    document = trace_document()  # the worker's pricing span fails, as in the real trace
    with fake_jaeger({trace_ids[-1]: _retraced(document, trace_ids[-1])}) as (handler, url):
        settings.JAEGER_QUERY_URL, settings.JAEGER_UI_URL = url, "https://tracing.example/jaeger"
        response = browser(support).get(f"/support/orders/{order_id}/")

    page = response.content.decode()
    order = Order.objects.get(pk=order_id)
    assert order.error_code == "model_not_watertight"
    assert 'id="current-error"' in page and order.error_code in page and order.error_message in page
    assert "alexandrite-worker" in page and "alexandrite-web" in page
    assert page.count('class="span consumer failed"') == 1
    assert f'href="https://tracing.example/jaeger/trace/{trace_ids[-1]}"' in page
    assert "Trace not found: trace not found" in page  # the first step's trace is not in this Jaeger
    assert sorted(handler.requests) == sorted({f"/api/v3/traces/{t}" for t in trace_ids})


def _retraced(document: dict, trace_id: str) -> dict:
    for resource in document["result"]["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                span["traceId"] = trace_id
    return document


def test_with_jaeger_down_the_journey_is_still_shown_and_marked(api, customer, support, settings):
    order_id = submitted_order(api(customer), cube_stl(10))
    with fake_jaeger() as (_, url):
        pass  # the server is gone: its port refuses connections
    settings.JAEGER_QUERY_URL = url

    page = browser(support).get(f"/support/orders/{order_id}/").content.decode()

    assert 'id="spans-missing"' in page and "Span source unavailable" in page
    assert page.count('class="stage') == 4  # INITIATED .. PRICE_CALCULATED


def test_the_page_says_when_spans_come_from_the_demo_store(api, customer, support, settings, tmp_path):
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", str(tmp_path / "spans.sqlite3")
    order_id = submitted_order(api(customer), cube_stl(10))

    page = browser(support).get(f"/support/orders/{order_id}/").content.decode()

    assert "Production never uses it" in page
    assert "Trace not found: Not in the local store" in page  # nothing exported to the file in-process
    assert "Open in Jaeger" not in page  # the demo has no Jaeger to link to


def test_the_model_file_downloads_for_staff_only(api, customer, support, other_customer):
    order_id = submitted_order(api(customer), cube_stl(10))

    allowed = browser(support).get(f"/support/orders/{order_id}/model/")
    refused = browser(other_customer).get(f"/support/orders/{order_id}/model/")

    assert allowed.status_code == 200
    assert b"".join(allowed.streaming_content) == cube_stl(10)
    assert 'filename="ring.stl"' in allowed["Content-Disposition"]
    assert refused.status_code == 403
    assert browser().get(f"/support/orders/{order_id}/model/").status_code == 302


def test_every_model_download_and_refusal_is_audited(api, customer, seller, other_customer):
    order_id = submitted_order(api(customer), cube_stl(10))
    path = f"/support/orders/{order_id}/model/"

    browser(seller).get(path)  # a seller may download (not open the console: the audit says what happened)
    browser(other_customer).get(path)
    browser().get(path)

    rows = list(JaegerAccessLog.objects.order_by("id").values_list("decision", "user_id", "uri", "search_tags"))
    looked_for = f"order.id={order_id} model file"
    assert rows == [("allowed", seller.pk, path, looked_for), ("refused", other_customer.pk, path, looked_for),
                    ("login", None, path, looked_for)]


def test_an_unknown_order_is_a_readable_404(support):
    response = browser(support).get("/support/orders/999999/")

    assert response.status_code == 404
    assert b"No order 999999" in response.content


def test_a_stuck_order_shows_the_deadline_it_missed_and_who_it_waits_for(api, customer, support, settings):
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", ""
    settings.STUCK_ORDER_DEADLINES_SECONDS = {**settings.STUCK_ORDER_DEADLINES_SECONDS, "PRICE_CALCULATED": 90}
    order_id = submitted_order(api(customer), cube_stl(10))
    passed = timezone.now() - timedelta(minutes=5)
    Order.objects.filter(pk=order_id).update(stuck_since=passed)

    page = browser(support).get(f"/support/orders/{order_id}/").content.decode()

    stuck = page.split('id="stuck"')[1].split("</section>")[0]
    assert "deadline of 1 min 30 s" in stuck
    assert f"{timezone.localtime(passed):%Y-%m-%d %H:%M:%S} UTC" in stuck
    assert "waiting for <strong>crm</strong>" in stuck


def test_the_admin_link_is_shown_only_to_those_the_admin_lets_in(make_user):
    support = make_user(Role.SUPPORT)
    staff = make_user(Role.DEVELOPER)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])

    for_support = browser(support).get("/support/").content.decode()
    for_staff = browser(staff).get("/support/").content.decode()

    assert 'href="/admin/"' not in for_support
    assert 'href="/admin/"' in for_staff
    assert browser(staff).get("/admin/").status_code == 200
    assert browser(support).get("/admin/").status_code == 302  # the admin's own sign-in page
