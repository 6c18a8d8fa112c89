"""URLs of the support console (mounted at /support/)."""

from django.urls import path

from crm.support import views

app_name = "support"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/<id:order_id>/", views.order_page, name="order"),
    path("orders/<id:order_id>/model/", views.model_file, name="model-file"),
]
