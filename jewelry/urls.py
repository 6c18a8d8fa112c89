"""URL map: the start page, the three systems' APIs under /api/v1/, the schema and docs, the support
console, admin, tracing, health."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from jewelry import health
from jewelry.views import RedocView, SwaggerView, home

urlpatterns = [
    path("", home, name="home"),
    path("api/v1/", RedirectView.as_view(pattern_name="api-docs")),
    path("api/v1/shop/", include("shop.api.urls")),
    path("api/v1/crm/", include("crm.api.urls")),
    path("api/v1/mes/", include("mes.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Our template: the stock one loads web fonts from the internet.
    path("api/redoc/", RedocView.as_view(url_name="schema", template_name="jewelry/redoc.html"),
         name="api-redoc"),
    path("support/", include("crm.support.urls")),
    path("tracing/", include("tracing.urls")),
    # Sign-in, sign-out and a signed-in user's password change; no password reset by mail: the
    # product sends no mail (docs/threat-model.md). A forgotten password is reset by an admin.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("admin/", admin.site.urls),
    # health (issue #15): liveness and readiness for probes and the availability checks
    path("health/live/", health.live, name="health-live"),
    path("health/", health.ready, name="health-ready"),
]

handler400 = "jewelry.api.bad_request_view"
handler404 = "jewelry.api.not_found_view"
handler500 = "jewelry.api.server_error_view"
