"""The support console: who may open it (audited), and what an order's page tells (journey, error, traces)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from crm import timeline as timeline_module
from crm.timeline import Axis, span_marks
from jewelry.contracts import PriceRequested, PricingFailed
from jewelry.roles import Role
from jewelry.sample_models import cube_stl
from shop.models import Order, OrderStatusChange
from tests.flows import operator_steps, submitted_order
from tests.tracing.fake_jaeger import START, TRACE_ID, WORKER_RUN, fake_jaeger, trace_document
from tracing.models import JaegerAccessLog
from tracing.span_data import SpanRecord
from tracing.waterfall import waterfall

pytestmark = pytest.mark.django_db(databases=["default", "mes"], transaction=True)


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def order_trace_ids(order_id: int) -> list[str]:
    """The creation call's trace, then every status change's: the journey's traces, oldest first."""
    history = OrderStatusChange.objects.filter(order_id=order_id).values_list("trace_id", flat=True)
    return list(dict.fromkeys([Order.objects.get(pk=order_id).created_trace_id, *history]))


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
    created = Order.objects.get(pk=order_id).created_trace_id  # the creation call's: no status change
    assert console.get("/support/", {"by": "trace", "find": created})["Location"] == (
        f"/support/orders/{order_id}/#trace-{created}")
    by_customer = console.get("/support/", {"by": "customer", "find": customer.pk})
    assert f'href="/support/orders/{order_id}/"' in by_customer.content.decode()
    for not_an_id in ("abc", "9" * 30, "\u00b2"):  # letters, past a bigint, a non-ASCII digit
        answer = console.get("/support/", {"by": "order", "find": not_an_id})
        assert answer.status_code == 200 and "ids are numbers" in answer.content.decode()
    searched = [row.search_tags for row in JaegerAccessLog.objects.order_by("id")]
    assert searched[:2] == [f"order={order_id}", f"trace={trace_id}"]


def test_the_creation_call_is_traced_on_the_initiated_row_and_on_the_axis(api, customer, support, settings):
    order_id = submitted_order(api(customer), cube_stl(10))
    created = Order.objects.get(pk=order_id).created_trace_id
    with fake_jaeger({created: _retraced(trace_document(), created)}) as (_, url):
        settings.JAEGER_QUERY_URL = url
        response = browser(support).get(f"/support/orders/{order_id}/")

    assert len(created) == 32 and created not in order_trace_ids(order_id)[1:]  # its own trace
    initiated = response.context["journey"].stages[0]
    assert (initiated.status, initiated.trace_id) == ("INITIATED", created)
    first_row = response.context["timeline"].rows[0]
    assert first_row.trace["lookup"].trace_id == created and len(first_row.marks) == 3
    assert first_row.trace["steps"] == ["INITIATED"]
    stages = response.content.decode().split('class="journey"')[1].split("</table>")[0]
    assert f'href="#trace-{created}"' in stages.split("INITIATED")[1].split("</tr>")[0]


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
    assert all(stage.seconds >= 0 for stage in journey.stages[:-1])
    assert journey.stages[-1].seconds is None  # CLOSED stops the clock
    assert [(s.actor_id, s.actor_role, s.system) for s in journey.stages][4:6] == [
        (seller.pk, "seller", "crm"), (operator.pk, "operator", "mes")]
    assert page.count('class="stage') == 10
    assert "so far" not in page and "Nothing: CLOSED is final" in page and "Waiting for" not in page
    assert timezone.localtime(journey.stages[3].entered_at).strftime("%Y-%m-%d %H:%M:%S") in page
    assert "pricing.order.submitted" in page and "mes.order.approved" in page  # the outbox messages
    assert "No span source is configured" in page
    assert f"<title>Order {order_id} · Alexandrite</title>" in page


def test_a_pricing_failure_shows_its_code_message_and_the_failing_span_from_jaeger(
        api, customer, support, settings):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    trace_ids = order_trace_ids(order_id)
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


def _named(user, first: str, last: str, email: str):
    user.first_name, user.last_name, user.email = first, last, email
    user.save(update_fields=["first_name", "last_name", "email"])
    return user


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.DEVELOPER])
def test_the_journey_names_the_customer_seller_and_operator_for_support_and_developers(
        api, customer, seller, operator, make_user, role, settings):
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", ""
    _named(customer, "Jane", "Roe", "jane.roe@example.org")
    _named(seller, "Sam", "Seller", "sam@alexandrite.example")
    # The operator has no full name: the username stands in.
    order_id = closed_order(api, customer, seller, operator)
    viewer = _named(make_user(role), "Dana", "Desk", "dana@alexandrite.example")

    page = browser(viewer).get(f"/support/orders/{order_id}/").content.decode()

    who = page.split('id="who"')[1].split("</section>")[0]
    assert "Jane Roe" in who and "jane.roe@example.org" in who
    assert "Sam Seller" in who and operator.username in who
    assert f"user {customer.pk}" not in page and f"user {seller.pk}" not in page
    stages = page.split('class="journey"')[1].split("</table>")[0]
    assert "Sam Seller · seller" in stages and f"{operator.username} · operator" in stages
    assert "signed in as Dana Desk" in page


def test_find_a_customers_orders_by_name_and_by_e_mail(api, customer, other_customer, support):
    _named(customer, "Jane", "Roe", "jane.roe@example.org")
    _named(other_customer, "Jan", "Other", "jan@example.org")
    order_id = submitted_order(api(customer), cube_stl(10))
    other_id = submitted_order(api(other_customer), cube_stl(10))
    console = browser(support)

    for term in ("Jane Roe", "roe", "JANE.ROE@example.org"):
        page = console.get("/support/", {"by": "customer", "find": term}).content.decode()
        found = page.split("Orders of customers matching")[1].split("Stuck orders")[0]
        assert f'href="/support/orders/{order_id}/"' in found, term
        assert f'href="/support/orders/{other_id}/"' not in found, term
        assert "jane.roe@example.org" in found
    nobody = console.get("/support/", {"by": "customer", "find": "nobody@example.org"}).content.decode()
    assert "No orders of a customer matching" in nobody


def test_a_failed_pricing_waits_for_the_customers_new_file_without_a_deadline(api, customer, support, settings):
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", ""
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))

    page = browser(support).get(f"/support/orders/{order_id}/").content.decode()

    next_step = page.split('id="next"')[1].split("</section>")[0]
    assert "Waiting for <strong>the customer</strong> to upload a new file" in next_step
    assert "No deadline" in next_step


def test_a_priced_order_waits_for_a_seller_until_its_deadline(api, customer, support, settings):
    settings.JAEGER_QUERY_URL, settings.RECENT_SPANS_FILE = "", ""
    settings.STUCK_ORDER_DEADLINES_SECONDS = {**settings.STUCK_ORDER_DEADLINES_SECONDS, "PRICE_CALCULATED": 3600}
    order_id = submitted_order(api(customer), cube_stl(10))
    order = Order.objects.get(pk=order_id)
    assert order.status == "PRICE_CALCULATED"

    page = browser(support).get(f"/support/orders/{order_id}/").content.decode()

    next_step = page.split('id="next"')[1].split("</section>")[0]
    assert "Waiting for <strong>a seller</strong> to approve manufacturing" in next_step
    due = timezone.localtime(order.status_changed_at + timedelta(hours=1))
    assert f"Deadline: <strong>{due:%Y-%m-%d %H:%M:%S} UTC</strong>" in next_step


def _with_the_shops_report(document: dict) -> dict:
    """The trace as it really ends: MES reports the refusal, the shop records it (its span fails too)."""
    worker = document["result"]["resourceSpans"][1]["scopeSpans"][0]["spans"]
    error = [{"key": "error.type", "value": {"stringValue": "model_not_watertight"}},
             {"key": "messaging.message.id", "value": {"stringValue": "9a7e"}}]
    worker += [
        {"traceId": TRACE_ID, "spanId": "b1b2b3b4b5b6b7b8", "parentSpanId": WORKER_RUN,
         "name": f"apply_async/{PricingFailed.name}", "kind": 4, "startTimeUnixNano": str(START + 80_000_000),
         "endTimeUnixNano": str(START + 82_000_000), "attributes": error[1:], "status": {}},
        {"traceId": TRACE_ID, "spanId": "c1c2c3c4c5c6c7c8", "parentSpanId": "b1b2b3b4b5b6b7b8",
         "name": f"run/{PricingFailed.name}", "kind": 5, "startTimeUnixNano": str(START + 95_000_000),
         "endTimeUnixNano": str(START + 99_000_000), "attributes": error,
         "status": {"code": 2, "message": "The model is not closed."}},
    ]
    return document


def test_a_failed_pricing_is_flagged_once_where_it_happened_and_mes_report_is_a_message(
        api, customer, support, settings):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    trace_ids = list(OrderStatusChange.objects.filter(order_id=order_id).values_list("trace_id", flat=True))
    document = _with_the_shops_report(trace_document())
    with fake_jaeger({trace_ids[-1]: _retraced(document, trace_ids[-1])}) as (_, url):
        settings.JAEGER_QUERY_URL = url
        page = browser(support).get(f"/support/orders/{order_id}/").content.decode()

    assert page.count('<span class="mark" title="failed here">') == 1
    assert page.count('class="mark-span consumer alexandrite-worker failed"') == 1
    failed = page.split('class="span consumer failed"')
    assert len(failed) == 2 and f"run/{PriceRequested.name}" in failed[1].split("</summary>")[0]
    report = page.split('id="span-c1c2c3c4c5c6c7c8"')[1].split("</summary>")[0]
    assert "reports the error" in report and "failed" not in report
    messages = page.split('class="messages"')[1].split("</table>")[0]
    assert PricingFailed.name in messages and "9a7e" in messages and "refused" in messages
    assert ">unset<" not in page  # a status is shown only where it says something


def test_the_timeline_has_one_row_per_trace_on_the_orders_axis(api, customer, support, settings):
    order_id = submitted_order(api(customer), cube_stl(10, drop_triangles=1))
    trace_ids = order_trace_ids(order_id)
    with fake_jaeger({trace_ids[-1]: _retraced(trace_document(), trace_ids[-1])}) as (_, url):
        settings.JAEGER_QUERY_URL = url
        response = browser(support).get(f"/support/orders/{order_id}/")

    timeline = response.context["timeline"]
    assert [row.trace["lookup"].trace_id for row in timeline.rows] == trace_ids
    assert [len(row.marks) for row in timeline.rows] == [0] * (len(trace_ids) - 1) + [3]
    page = response.content.decode()
    assert page.count('class="lane trace-row"') == len(trace_ids)
    assert page.count('class="band') == len(response.context["journey"].stages) * (1 + len(trace_ids))


def test_a_journey_with_many_traces_draws_its_failures_and_newest_on_the_axis_and_counts_the_rest(
        api, customer, support, settings, monkeypatch):
    monkeypatch.setattr(timeline_module, "MAX_AXIS_ROWS", 2)
    order_id = submitted_order(api(customer), cube_stl(10))
    trace_ids = order_trace_ids(order_id)  # creation, upload, submit (and the price, in its trace)
    document = trace_document()  # a failure in the oldest trace: kept on the axis all the same
    with fake_jaeger({trace_ids[0]: _retraced(document, trace_ids[0])}) as (_, url):
        settings.JAEGER_QUERY_URL = url
        response = browser(support).get(f"/support/orders/{order_id}/")

    timeline = response.context["timeline"]
    assert len(timeline.rows) == len(trace_ids) == 3
    assert [row.trace["lookup"].trace_id for row in timeline.axis_rows] == [trace_ids[0], trace_ids[-1]]
    page = response.content.decode()
    assert page.count('class="lane trace-row"') == 2
    assert "1 more trace, older and without failures" in page
    assert page.count('<section class="trace" id="spans-') == len(trace_ids)  # every trace's spans, below


def _span(span_id: str, start_ms: int, end_ms: int, parent: str = "", status: str = "unset", **attributes):
    return SpanRecord(trace_id="ab" * 16, span_id=span_id, parent_span_id=parent, service="alexandrite-web",
                      name=span_id, kind="internal", start_ns=START + start_ms * 1_000_000,
                      end_ns=START + end_ms * 1_000_000, status=status, attributes=attributes)


def test_spans_are_placed_by_their_start_offset_on_the_orders_axis():
    # An order created at START and closed 10 s later: 1 % of the axis is 100 ms.
    axis = Axis(start_ns=START, end_ns=START + 10_000 * 1_000_000)
    spans = [_span("root", 1_000, 3_000), _span("child", 1_500, 1_510, parent="root"),
             _span("late", 9_990, 12_000), _span("failing", 5_000, 5_200, status="error", **{"error.type": "x"}),
             _span("report", 6_000, 6_100, status="error", **{"error.type": "x"})]

    marks = span_marks(waterfall(spans), axis, seen_errors=set())

    placed = {mark.span.span_id: (mark.left_percent, mark.width_percent) for mark in marks}
    assert placed == {"root": (10.0, 20.0), "child": (15.0, 0.4),  # 0.1 % is widened to stay visible
                      "late": (99.9, 0.1),  # cut at the axis's end
                      "failing": (50.0, 2.0), "report": (60.0, 1.0)}
    assert [mark.span.span_id for mark in marks] == ["root", "child", "failing", "report", "late"]
    assert [mark.since_order_s for mark in marks][:2] == [1.0, 1.5]
    assert [(m.span.span_id, m.failed_here, m.reports_failure) for m in marks if m.span.failed] == [
        ("failing", True, False), ("report", False, True)]
