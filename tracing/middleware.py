"""Puts the order, the caller and the request's safe parameters on each request's server span.

It runs inside the OpenTelemetry Django middleware, so the current span is the
request's server span. Nothing here queries the database: user roles are read
only if the permission check already loaded them.
"""

import json

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.handlers.exception import response_for_exception
from django.http import Http404, UnreadablePostError
from django.utils.functional import SimpleLazyObject, empty
from rest_framework.exceptions import APIException

from tracing import attributes as A
from tracing import record
from tracing.logs import REQUEST_SPAN_CONTEXT
from tracing.metrics import system_of_path
from tracing.redaction import safe_params
from tracing.spans import recording_span

MAX_JSON_BODY = 64 * 1024
# Django answers these itself (its 404/403/400 pages): refusals of the request, not failures.
_REFUSALS = (
    (Http404, "not_found", "No such page."),
    (PermissionDenied, "permission_denied", "You may not do this."),
    (BadRequest, "bad_request", "The request cannot be understood."),
    (SuspiciousOperation, "bad_request", "The request cannot be understood."),
)


def _json_body(request) -> dict:
    """A small JSON body as a dict, or {}: never reads a big one, never fails (tracing changes no answer).

    RecursionError: a few KB of ``[`` nest deeper than the decoder's recursion limit.
    """
    if request.content_type != "application/json":
        return {}
    try:
        if not 0 < int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_JSON_BODY:
            return {}
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError, RequestDataTooBig, UnreadablePostError):
        return {}
    return body if isinstance(body, dict) else {}


class OrderSpanMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        span = recording_span()
        if span is not None:
            _annotate_caller(span, request)
            # Django logs a refused request after the span has ended: let that line find its trace.
            setattr(request, REQUEST_SPAN_CONTEXT, span.get_span_context())
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        span = recording_span()
        if span is None:
            return None
        params = safe_params(request.GET)
        if request.method in ("POST", "PUT", "PATCH"):
            params.update(safe_params(_json_body(request)))
        attributes = {A.REQUEST_PARAM_PREFIX + key: value for key, value in params.items()}
        order_id = view_kwargs.get("order_id")
        if order_id is not None:
            attributes[A.ORDER_ID] = order_id
        if attributes:
            span.set_attributes(attributes)  # one call: the SDK takes the span's lock once
        return None

    def process_exception(self, request, exception):
        """A refusal is answered here, a crash is recorded (the instrumentation adds the exception event).

        Answering a refusal ourselves keeps it from the instrumentation's middleware, which
        would otherwise end the span through the exception and set its status to ERROR.
        """
        for refused, code, message in _REFUSALS:
            if isinstance(exception, refused):
                record.refusal(code=code, message=message)
                return response_for_exception(request, exception)
        if isinstance(exception, APIException):
            # A DRF refusal raised outside a DRF view (a throttled sign-in): the middleware that
            # raised it answers; its class's own text, never the caller's values, goes on the span.
            record.refusal(code=exception.default_code, message=str(exception.default_detail))
            return None
        record.failure(exception, system=system_of_path(request.path))
        return None


def _annotate_caller(span, request) -> None:
    user = getattr(request, "user", None)  # DRF or the session middleware put it there
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return  # nobody looked the user up; we will not pay a query to do it
    if user is None or not user.is_authenticated:
        return
    if getattr(user, "is_api_client", False):
        span.set_attribute(A.API_CLIENT_ID, user.pk)
    else:
        span.set_attribute(A.USER_ID, user.pk)
    roles = getattr(user, "_alexandrite_roles", None)
    if roles:
        span.set_attribute(A.USER_ROLES, sorted(str(role) for role in roles))
