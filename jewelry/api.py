"""The one place errors become HTTP: every refusal is JSON ``{code, message}`` with a 4xx status."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from jewelry.errors import DomainError
from tracing import record


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        field, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if field == "non_field_errors" else f"{field}: {text}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def error_body(code: str, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


def exception_handler(exc, context):
    """DRF's exception handler: domain errors, DRF errors and Django's 404/403 in one shape."""
    if isinstance(exc, DomainError):
        record.refusal(code=exc.code, message=exc.message)
        set_rollback()
        return Response(error_body(exc.code, exc.message), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        return None  # a real crash: Django's 500 handler and the tracing middleware see it
    code = exc.default_code if not isinstance(exc, drf.ValidationError) else "invalid_input"
    extra = {"fields": exc.detail} if isinstance(exc, drf.ValidationError) else {}
    message = _first_message(exc.detail)
    record.refusal(code=code, message=message)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    return Response(error_body(code, message, **extra), status=exc.status_code, headers=headers)


def not_found_view(request, exception=None):
    return JsonResponse(error_body("not_found", "No such page."), status=404)


def server_error_view(request):
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side; it has been recorded."),
        status=500,
    )
