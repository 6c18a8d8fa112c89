from django.urls import path

from mes.api import views

app_name = "mes"
urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("orders/<id:order_id>/", views.JobDetailView.as_view(), name="order"),
    path("orders/<id:order_id>/take/", views.TakeView.as_view(), name="order-take"),
    path("orders/<id:order_id>/complete/", views.CompleteView.as_view(), name="order-complete"),
    path("orders/<id:order_id>/packaging/", views.PackagingView.as_view(), name="order-packaging"),
    path("orders/<id:order_id>/ship/", views.ShipView.as_view(), name="order-ship"),
]
