"""The one place errors become HTTP: every refusal is JSON ``{code, message}`` with a 4xx status.

Under ``/api/`` nothing else is answered, DEBUG or not (``ApiErrorsAsJsonMiddleware``).

The caller's body may quote what they sent; the span never does: a refusal's span
message is built from our codes and field names only (``span_message``).
"""

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.dispatch import Signal
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from jewelry.errors import DomainError
from jewelry.parsers import RequestTooLarge

MAX_SPAN_MESSAGE = 300
# Sent for every refusal with its code and a message fit for a span; tracing records it (tracing.hooks).
request_refused = Signal()


def announce_refusal(*, code: str, message: str) -> None:
    """A 4xx answer is on its way: nothing failed, but the request's span says why it was refused."""
    request_refused.send(sender=None, code=code, message=message)


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        field, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if field == "non_field_errors" else f"{field}: {text}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _codes(codes) -> list[str]:
    if isinstance(codes, dict):
        return [code for value in codes.values() for code in _codes(value)]
    if isinstance(codes, list):
        return [code for value in codes for code in _codes(value)]
    return [str(codes)]


def span_message(exc: drf.APIException) -> str:
    """``"metal: invalid_choice"``: the fields (our serializers' names) and DRF's codes.

    Only the top level's keys: deeper ones can be the caller's (a dict field's keys).
    """
    codes = exc.get_codes()
    if not isinstance(exc, drf.ValidationError):
        default = str(exc.default_detail)
        return default if "{" not in default else exc.default_code  # a template fills in caller text
    if isinstance(codes, dict):
        parts = [f"{field}: {', '.join(dict.fromkeys(_codes(value)))}" for field, value in codes.items()]
        return "; ".join(parts)[:MAX_SPAN_MESSAGE]
    return ", ".join(dict.fromkeys(_codes(codes)))[:MAX_SPAN_MESSAGE]


def error_body(code: str, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


def exception_handler(exc, context):
    """DRF's exception handler: domain errors, DRF errors and Django's 404/403 in one shape."""
    if isinstance(exc, DomainError):
        # Domain messages are ours; raise sites never put the caller's values into them.
        announce_refusal(code=exc.code, message=exc.message)
        set_rollback()
        return Response(error_body(exc.code, exc.message), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if not isinstance(exc, drf.APIException):
        return None  # a real crash: Django's 500 handler and the tracing middleware see it
    code = exc.default_code if not isinstance(exc, drf.ValidationError) else "invalid_input"
    extra = {}
    if isinstance(exc, drf.ValidationError):  # per field; a bare list is about the whole input
        extra["fields"] = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    announce_refusal(code=code, message=span_message(exc))
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    set_rollback()
    return Response(error_body(code, _first_message(exc.detail), **extra), status=exc.status_code,
                    headers=headers)


class OrderActionView(APIView):
    """One POST, no body, one service: the signed-in user moves one order on.

    A subclass names ``service`` (a services.py function), the keyword that takes the user's
    id (``actor_argument``), and what it answers (``answer``); its schema goes on the class
    with ``extend_schema_view(post=...)``.
    """

    service = None
    actor_argument = ""  # "seller_id", "operator_id"

    def post(self, request, order_id: int):
        done = self.service(order_id=order_id, **{self.actor_argument: request.user.pk})
        return Response(self.answer(order_id, done))

    def answer(self, order_id: int, done) -> dict:
        raise NotImplementedError


def bad_request_view(request, exception=None):
    """Django's own refusals (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host) as JSON, not HTML."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body("request_too_large", "The request body is too large."), status=413)
    return JsonResponse(error_body("bad_request", "The request was malformed."), status=400)


def not_found_view(request, exception=None):
    return JsonResponse(error_body("not_found", "No such page."), status=404)


SERVER_ERROR_MESSAGE = "Something went wrong on our side; it has been recorded."


def server_error_view(request):
    return JsonResponse(error_body("server_error", SERVER_ERROR_MESSAGE), status=500)


API_PREFIX = "/api/"
# An error answered by Django itself (DEBUG's HTML pages, a plain view's 405) as the API says it.
STATUS_ERRORS = {
    400: ("bad_request", "The request was malformed."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "No such path in the API; its paths are listed at /api/docs/."),
    405: ("method_not_allowed", "This path does not take {method}; it takes {allow}."),
    413: ("request_too_large", "The request body is too large."),
    500: ("server_error", SERVER_ERROR_MESSAGE),
}
# What the JSON keeps of the response it replaces.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiErrorsAsJsonMiddleware:
    """Every error under ``/api/`` is JSON ``{code, message}``: in DEBUG Django would answer an
    unknown path or a crash with an HTML page, and the browsable API renders HTML for browsers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code < 400 or not request.path.startswith(API_PREFIX)
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        body = getattr(response, "data", None)  # a DRF answer rendered as HTML: its body was ours
        if not (isinstance(body, dict) and "code" in body):
            body = _status_error(request, response)
        replacement = JsonResponse(body, status=response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement


def _status_error(request, response) -> dict:
    status = response.status_code
    code, message = STATUS_ERRORS.get(status, (f"http_{status}", response.reason_phrase))
    allow = response.get("Allow", "other methods")
    return error_body(code, message.format(method=request.method, allow=allow))
