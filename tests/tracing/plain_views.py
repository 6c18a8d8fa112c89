"""A URLconf of plain Django views (no DRF) that refuse with Django's own exceptions, for the span tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.urls import path


def missing(request):
    raise Http404("no such thing")


def forbidden(request):
    raise PermissionDenied("not yours")


def bad(request):
    raise BadRequest("makes no sense")


def crash(request):
    raise RuntimeError("the back office is on fire")


urlpatterns = [
    path("missing/", missing),
    path("forbidden/", forbidden),
    path("bad/", bad),
    path("crash/", crash),
]
