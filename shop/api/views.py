"""Shop API (customers): create an order, upload its model, submit it, follow it."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from jewelry.roles import Role, require_roles
from shop import selectors, services
from shop.api.serializers import ModelUploadInput, OrderCreateInput, OrderDetailOutput, OrderOutput
from tracing.spans import annotate_order

IsCustomer = require_roles(Role.CUSTOMER)


class OrderListCreateView(ListAPIView):
    permission_classes = [IsCustomer]
    serializer_class = OrderOutput
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "order_creation"

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []  # reading is free

    def get_queryset(self):
        return selectors.customer_orders(customer_id=self.request.user.pk)

    @extend_schema(request=OrderCreateInput, responses={201: OrderDetailOutput})
    def post(self, request):
        data = OrderCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.create_order(customer_id=request.user.pk, **data.validated_data)
        return Response(OrderDetailOutput(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses=OrderDetailOutput)
    def get(self, request, order_id: int):
        order = selectors.customer_order(customer_id=request.user.pk, order_id=order_id)
        annotate_order(order)
        return Response(OrderDetailOutput(order).data)


class OrderModelUploadView(APIView):
    permission_classes = [IsCustomer]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "model_upload"

    @extend_schema(request={"multipart/form-data": ModelUploadInput}, responses=OrderDetailOutput)
    def post(self, request, order_id: int):
        data = ModelUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.attach_model(order_id=order_id, customer_id=request.user.pk,
                                      uploaded_file=data.validated_data["file"])
        return Response(OrderDetailOutput(order).data)


class OrderSubmitView(APIView):
    permission_classes = [IsCustomer]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "order_submission"

    @extend_schema(request=None, responses={202: OrderDetailOutput})
    def post(self, request, order_id: int):
        services.submit_order(order_id=order_id, customer_id=request.user.pk)
        order = selectors.customer_order(customer_id=request.user.pk, order_id=order_id)
        return Response(OrderDetailOutput(order).data, status=status.HTTP_202_ACCEPTED)
