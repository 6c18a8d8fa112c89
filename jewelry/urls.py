"""URL map: the three systems' APIs under /api/v1/, the schema and docs, admin, tracing, health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from jewelry import health

urlpatterns = [
    path("api/v1/shop/", include("shop.api.urls")),
    path("api/v1/crm/", include("crm.api.urls")),
    path("api/v1/mes/", include("mes.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("tracing/", include("tracing.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # health (issue #15): liveness and readiness for probes and the availability checks
    path("health/live/", health.live, name="health-live"),
    path("health/", health.ready, name="health-ready"),
]

handler404 = "jewelry.api.not_found_view"
handler500 = "jewelry.api.server_error_view"
