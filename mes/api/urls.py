from django.urls import path

from mes.api import views

app_name = "mes"
urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("orders/<int:order_id>/", views.JobDetailView.as_view(), name="order"),
    path("orders/<int:order_id>/take/", views.TakeView.as_view(), name="order-take"),
    path("orders/<int:order_id>/complete/", views.CompleteView.as_view(), name="order-complete"),
    path("orders/<int:order_id>/packaging/", views.PackagingView.as_view(), name="order-packaging"),
    path("orders/<int:order_id>/ship/", views.ShipView.as_view(), name="order-ship"),
]
