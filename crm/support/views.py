"""The support console's pages: find an order, see its journey and traces, open its model file.

For the support and developer roles; every page view (shown or refused) is audited like
a Jaeger access (``tracing.access``). Anonymous users go to the login page.
"""

from datetime import timedelta
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from crm.journey import MES_REPORTS, mes_reports, order_journey, with_reports
from crm.timeline import order_timeline
from jewelry.client_address import client_address
from jewelry.errors import NotFound
from jewelry.roles import Role, has_role
from shop.models import Order, OrderStatusChange
from tracing import access
from tracing.links import jaeger_ui_url, trace_url
from tracing.waterfall import lookup, span_source

LIST_LIMIT = 50
# The customer is found by id, e-mail or name (full name, part of it, or username).
FIND_BY = {"order": "order id", "trace": "trace id", "customer": "customer id, name or e-mail"}
# Who may download an order's 3D model: the staff who handle orders (and admin staff).
MODEL_FILE_ROLES = (Role.SELLER, Role.SUPPORT, Role.DEVELOPER, Role.OPERATOR)


def _audit(request, **looked_at) -> str:
    return access.audit_console_view(user=request.user, method=request.method, uri=request.get_full_path(),
                                     remote_addr=client_address(request), **looked_at)


def console_page(view):
    """Support and developer roles only: others get 403, anonymous users the login page; all audited."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        decision = access.jaeger_access_decision(request.user)
        if decision == access.Decision.LOGIN:
            _audit(request)
            return redirect_to_login(request.get_full_path())
        if decision == access.Decision.REFUSED:
            _audit(request)
            return render(request, "crm/support/refused.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def _is_id(term: str) -> bool:
    # ASCII digits that fit a bigint: anything else would fail in the database, not here.
    return term.isascii() and term.isdigit() and len(term) <= 18


def _customers_like(term: str) -> Q:
    """Orders whose customer has this id or e-mail, or whose name holds every word of ``term``."""
    if _is_id(term):
        return Q(customer_id=int(term))
    if "@" in term:
        return Q(customer__email__iexact=term)
    by_name = Q()
    for word in term.split():
        by_name &= (Q(customer__first_name__icontains=word) | Q(customer__last_name__icontains=word)
                    | Q(customer__username__iexact=word))
    return by_name


def _order_of_trace(trace_id: str) -> int | None:
    """The order created or moved in this trace, if any."""
    change = OrderStatusChange.objects.filter(trace_id=trace_id).only("order_id").first()
    if change is not None:
        return change.order_id
    return Order.objects.filter(created_trace_id=trace_id).values_list("pk", flat=True).first()


def _find(by: str, term: str):
    """A redirect to the order found, a list of orders (customer), or an error message."""
    if by == "order" and not _is_id(term):
        return None, [], f"{by.capitalize()} ids are numbers; {term!r} is not."
    if by == "order":
        if Order.objects.filter(pk=int(term)).exists():
            return redirect("support:order", order_id=int(term)), [], ""
        return None, [], f"No order {term}."
    if by == "trace":
        order_id = _order_of_trace(term.lower())
        if order_id is not None:
            return redirect(f"{reverse('support:order', args=[order_id])}#trace-{term.lower()}"), [], ""
        return None, [], f"No order was created or moved in trace {term}."
    orders = list(Order.objects.filter(_customers_like(term)).select_related("customer")
                  .order_by("-created_at", "-id")[:LIST_LIMIT])
    return None, orders, "" if orders else f"No orders of a customer matching {term!r}."


@console_page
def home(request):
    by, term = request.GET.get("by", "order"), request.GET.get("find", "").strip()
    by = by if by in FIND_BY else "order"
    _audit(request, looked_for=f"{by}={term}" if term else "")
    found, customer_orders, problem = _find(by, term) if term else (None, [], "")
    if found is not None:
        return found
    since = timezone.now() - timedelta(hours=24)
    return render(request, "crm/support/home.html", {
        "by": by, "term": term, "problem": problem, "customer_orders": customer_orders,
        "stuck": Order.objects.filter(stuck_since__isnull=False).select_related("customer")
                              .order_by("stuck_since", "id")[:LIST_LIMIT],
        # A failure keeps the order's status (SUBMITTED), so its last move dates the failure closely.
        "failed": Order.objects.exclude(error_code="").filter(status_changed_at__gte=since)
                               .select_related("customer").order_by("-status_changed_at", "-id")[:LIST_LIMIT],
        "find_by": FIND_BY,
    })


def _traces(journey) -> tuple[object, list[dict]]:
    source = span_source()
    traces = []
    for trace_id in journey.trace_ids:
        found = lookup(source, trace_id)
        traces.append({
            "lookup": found, "services": sorted({span.service for span in found.spans}),
            "steps": [stage.status for stage in journey.stages if stage.trace_id == trace_id],
            "jaeger_url": trace_url(trace_id) if jaeger_ui_url() else "",  # else the trace is here already
        })
    return source, traces


@console_page
def order_page(request, order_id: int):
    try:
        journey = order_journey(order_id=order_id)
    except NotFound:
        _audit(request, looked_for=f"order.id={order_id}")
        return render(request, "crm/support/not_found.html", {"order_id": order_id}, status=404)
    _audit(request, trace_id=journey.trace_ids[0] if journey.trace_ids else "",
           looked_for=f"order.id={order_id} traces={','.join(journey.trace_ids)}")
    source, traces = _traces(journey)
    reports = mes_reports([span for trace in traces for span in trace["lookup"].spans])
    return render(request, "crm/support/order.html", {
        "journey": journey, "order": journey.order, "source": source,
        "messages": with_reports(journey.messages, reports),
        # found | not_found (expired, sampled away) | unavailable, by trace id: links only to traces shown
        "trace_outcomes": {trace["lookup"].trace_id: trace["lookup"].outcome for trace in traces},
        "timeline": order_timeline(journey=journey, traces=traces), "mes_reports": MES_REPORTS,
        "spans_missing": any(trace["lookup"].outcome != "found" for trace in traces),
    })


def model_file(request, order_id: int):
    """The order's 3D model, streamed to staff who handle orders; never a public media URL.

    Every download and every refusal is audited: a customer's model is their design.
    """
    looked_for = f"order.id={order_id} model file"
    if not request.user.is_authenticated:
        _audit(request, looked_for=looked_for, decision=access.Decision.LOGIN)
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_staff or has_role(request.user, *MODEL_FILE_ROLES)):
        _audit(request, looked_for=looked_for, decision=access.Decision.REFUSED)
        raise PermissionDenied("Model files are for sellers, operators, support and developers.")
    order = Order.objects.filter(pk=order_id).only("model_file", "model_file_name").first()
    if order is None or not order.model_file:
        _audit(request, looked_for=f"{looked_for} (none)", decision=access.Decision.ALLOWED)
        raise Http404(f"Order {order_id} has no model file.")
    _audit(request, looked_for=looked_for, decision=access.Decision.ALLOWED)
    return FileResponse(order.model_file.open("rb"), as_attachment=True,
                        filename=order.model_file_name or order.model_file.name.rsplit("/", 1)[-1])
