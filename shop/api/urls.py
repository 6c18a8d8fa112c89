from django.urls import path

from shop.api import views

app_name = "shop"
urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="orders"),
    path("orders/<id:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path("orders/<id:order_id>/model/", views.OrderModelUploadView.as_view(), name="order-model"),
    path("orders/<id:order_id>/submit/", views.OrderSubmitView.as_view(), name="order-submit"),
]
