from django.urls import path

from crm.api import views

app_name = "crm"
urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<id:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path("orders/<id:order_id>/approve/", views.ApproveView.as_view(), name="order-approve"),
    path("orders/<id:order_id>/close/", views.CloseView.as_view(), name="order-close"),
    path("orders/<id:order_id>/cancel/", views.CancelView.as_view(), name="order-cancel"),
    path("orders/<id:order_id>/notes/", views.NoteCreateView.as_view(), name="order-notes"),
    path("stuck-orders/", views.StuckOrderListView.as_view(), name="stuck-orders"),
]
