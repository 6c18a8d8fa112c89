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


# What the docs pages may fetch: this site only. Redoc's bundle shows its maker's logo from
# cdn.redoc.ly whatever its options say; the browser refuses it here, and Redoc drops the image.
DOCS_CONTENT_SECURITY_POLICY = "img-src 'self' data:; font-src 'self' data:; connect-src 'self'"


class _Offline:
    """A docs page the browser may complete from this site alone."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(_Offline, _PlainOptions, SpectacularSwaggerView):
    pass


class RedocView(_Offline, _PlainOptions, SpectacularRedocView):
    pass
