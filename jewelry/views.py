"""The start page: where a newcomer finds the API docs, the support console and the admin; the docs pages."""

from django.shortcuts import render
from django.views.generic import View
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from jewelry.roles import Role, has_role


def home(request):
    return render(request, "jewelry/home.html", {
        "may_support": has_role(request.user, Role.SUPPORT, Role.DEVELOPER),
    })


class _PlainOptions:
    """OPTIONS answered with ``Allow`` alone, as Django does.

    DRF renders its OPTIONS metadata through the page's only renderer, an HTML template; the
    Swagger page's template cannot render without its own data: a 500 for anyone.
    """

    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)


class SwaggerView(_PlainOptions, SpectacularSwaggerView):
    pass


class RedocView(_PlainOptions, SpectacularRedocView):
    pass
