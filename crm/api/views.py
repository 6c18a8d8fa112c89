"""CRM API (sellers and support): find orders, read their history, approve, close, cancel, annotate."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors, services
from crm.api.serializers import CrmOrderDetailOutput, CrmOrderOutput, NoteInput, NoteOutput, StuckOrderOutput
from jewelry.api import OrderActionView
from jewelry.filters import IsoDateTimeFilter
from jewelry.lifecycle import OrderStatus
from jewelry.roles import Role, require_roles
from shop.models import Order
from tracing.spans import annotate_order

CanRead = require_roles(Role.SELLER, Role.SUPPORT, Role.DEVELOPER)
IsSeller = require_roles(Role.SELLER)


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["status", "customer", "created_after", "created_before"]


class OrderListView(ListAPIView):
    permission_classes = [CanRead]
    serializer_class = CrmOrderOutput
    filterset_class = OrderFilter

    def get_queryset(self):
        return selectors.all_orders()


class StuckOrderListView(ListAPIView):
    """Lost orders (shop.stuck_orders), longest stuck first; ``?status=`` narrows to one status."""

    permission_classes = [CanRead]
    serializer_class = StuckOrderOutput
    filterset_class = OrderFilter

    def get_queryset(self):
        return selectors.stuck_orders()


class OrderDetailView(APIView):
    permission_classes = [CanRead]

    @extend_schema(responses=CrmOrderDetailOutput)
    def get(self, request, order_id: int):
        order = selectors.order_with_history(order_id=order_id)
        annotate_order(order)
        return Response(CrmOrderDetailOutput(order).data)


@extend_schema_view(post=extend_schema(request=None, responses=CrmOrderDetailOutput))
class _SellerAction(OrderActionView):
    """A seller moves the order on; the answer is the order as it is now, with its history."""

    permission_classes = [IsSeller]
    actor_argument = "seller_id"

    def answer(self, order_id: int, done) -> dict:
        return CrmOrderDetailOutput(selectors.order_with_history(order_id=order_id)).data


class ApproveView(_SellerAction):
    service = staticmethod(services.approve_manufacturing)


class CloseView(_SellerAction):
    service = staticmethod(services.close_order)


class CancelView(_SellerAction):
    service = staticmethod(services.cancel_order)


class NoteCreateView(APIView):
    """A seller's note on an order; support and developers read notes, they do not write them."""

    permission_classes = [IsSeller]

    @extend_schema(request=NoteInput, responses={201: NoteOutput})
    def post(self, request, order_id: int):
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.add_note(order_id=order_id, author_id=request.user.pk, text=data.validated_data["text"])
        return Response(NoteOutput(note).data, status=status.HTTP_201_CREATED)
