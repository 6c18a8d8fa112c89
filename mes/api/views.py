"""MES API (operators; B2B partners read with an API key): the work queue and the workshop steps."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from jewelry.api import OrderActionView
from jewelry.basic_auth import BasicAuthentication
from jewelry.roles import Role, require_roles
from mes import selectors, services
from mes.api.serializers import JobOutput, QueueItemOutput
from mes.auth import ApiKeyAuthentication
from tracing.spans import annotate_job

AUTHENTICATION = [ApiKeyAuthentication, BasicAuthentication, SessionAuthentication]
CanRead = require_roles(Role.OPERATOR, Role.API_CLIENT, Role.SUPPORT, Role.DEVELOPER)
IsOperator = require_roles(Role.OPERATOR)


class QueuePagination(PageNumberPagination):
    """50 jobs a page by default; a screen or a partner may ask for up to 200 with ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 200


class QueueView(ListAPIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanRead]
    serializer_class = QueueItemOutput
    pagination_class = QueuePagination

    def get_queryset(self):
        return selectors.operator_queue()


class JobDetailView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [CanRead]

    @extend_schema(responses=JobOutput)
    def get(self, request, order_id: int):
        job = selectors.job_for_order(order_id)
        annotate_job(job)
        return Response(JobOutput(job).data)


@extend_schema_view(post=extend_schema(request=None, responses=JobOutput))
class _OperatorAction(OrderActionView):
    """An operator moves the job on; the answer is the job as the service left it."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsOperator]
    actor_argument = "operator_id"

    def answer(self, order_id: int, done) -> dict:
        return JobOutput(done).data


class TakeView(_OperatorAction):
    service = staticmethod(services.take_job)


class CompleteView(_OperatorAction):
    service = staticmethod(services.complete_job)


class PackagingView(_OperatorAction):
    service = staticmethod(services.start_packaging)


class ShipView(_OperatorAction):
    service = staticmethod(services.ship_job)
