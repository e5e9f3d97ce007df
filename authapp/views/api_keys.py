from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fitcore.api.permissions import IsTenantAdminUser
from fitcore.api.schema import ProblemSerializer
from fitcore.api.tenancy import TenantScopedViewSet, principal_tenant

from .. import services
from ..models import ApiKey
from ..serializers_api_keys import ApiKeyCreatedSerializer, ApiKeyCreateSerializer, ApiKeySerializer


def _created_body(issued: services.IssuedKey) -> dict[str, Any]:
    body = dict(ApiKeySerializer(issued.api_key).data)
    body["key"] = issued.secret
    return body


@extend_schema(tags=["tenant"])
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The tenant's API keys, managed by its tenant admins. Secrets are shown once, at creation."""

    model = ApiKey
    owner_field = None
    permission_classes = [IsTenantAdminUser]
    serializer_class = ApiKeySerializer
    ordering_fields = ["created_at", "last_used_at", "name"]
    filterset_fields = ["name"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("created_by")

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.api_key_create(
            tenant=principal_tenant(request), created_by=request.user, **data.validated_data
        )
        return Response(_created_body(issued), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: ApiKeySerializer},
        description=(
            "Revoke the key: it stops working on the very next request. The record stays, with `revoked_at`, "
            "for the tenant's audit (which is why this is not a DELETE). Revoking a revoked key changes nothing."
        ),
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        api_key = services.api_key_revoke(api_key=self.get_object())
        return Response(ApiKeySerializer(api_key).data)

    @extend_schema(
        request=None,
        responses={
            201: ApiKeyCreatedSerializer,
            409: OpenApiResponse(
                ProblemSerializer,
                description="`api_key_not_usable` (revoked or expired) or `api_key_already_rotated`.",
            ),
        },
        description=(
            "Issue a replacement with the same name, scopes and expiry policy (a key that expires is replaced "
            "by one with the same lifetime, counted from now); the old key keeps working for 24 hours, or "
            "until its own expiry if sooner. A key can be rotated once: rotate the replacement next time."
        ),
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str) -> Response:
        issued = services.api_key_rotate(api_key=self.get_object(), created_by=request.user)
        return Response(_created_body(issued), status=status.HTTP_201_CREATED)
