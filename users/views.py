"""/api/v1/users/: the signed-in user's own account (me/...) and the tenant's user management."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from fitcore.api.exceptions import PROBLEM_CONTENT_TYPE, ApplicationError
from fitcore.api.permissions import IsEndUser, IsTenantWide
from fitcore.api.schema import AutoSchema, problem_response
from fitcore.api.tenancy import TenantScopedViewSet, is_api_key, principal_tenant
from fitcore.api.throttling import PasswordCheckThrottle

from . import selectors, services
from .filters import ManagedUserFilter
from .images import MAX_DECODED_BYTES, MAX_SIDE, MAX_SOURCE_PIXELS
from .models import User
from .serializers import (
    AccountDeleteInputSerializer,
    ManagedUserCreateInputSerializer,
    ManagedUserListSerializer,
    ManagedUserSerializer,
    ManagedUserUpdateInputSerializer,
    MeSerializer,
    MeUpdateInputSerializer,
    PersonalDataExportSerializer,
    ProfileImageInputSerializer,
    ProfileSerializer,
    UserDashboardSerializer,
    UserSettingsInputSerializer,
    UserSettingsSerializer,
    UserTokenPairSerializer,
    split_profile,
)

TAGS = ["users"]


def _me(request: Request) -> User:
    # IsEndUser admits only JWT-authenticated users, never API-key principals.
    return cast(User, request.user)


class _JsonBodyOnDeleteSchema(AutoSchema):
    """Document the JSON body of ``DELETE me/`` (the password).

    OpenAPI 3.0 leaves a DELETE body's meaning open, so drf-spectacular drops it; ours is required.
    """

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        if self.method != "DELETE":
            return cast(dict[str, Any] | None, super()._get_request_body(direction))
        serializer = self.get_request_serializer()
        if serializer is None:
            return None
        schema, _ = self._get_request_for_media_type(serializer, direction)
        return None if schema is None else {"content": {"application/json": {"schema": schema}}}


# --- the signed-in user --------------------------------------------------------------


@extend_schema(tags=TAGS)
class MeView(APIView):
    """The signed-in user: names and profile. Email changes go through /auth/ (they need verification)."""

    permission_classes = [IsEndUser]
    schema = _JsonBodyOnDeleteSchema()

    def get_throttles(self) -> list[Any]:
        throttles = list(super().get_throttles())
        if self.request.method == "DELETE":
            throttles.append(PasswordCheckThrottle())
        return throttles

    @extend_schema(summary="Your account and profile", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        user = _me(request)
        selectors.profile_get(user=user)
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(
        summary="Change your names and profile",
        description="Partial update; send only what changes. The profile image has its own endpoint, `me/image/`.",
        request=MeUpdateInputSerializer,
        responses={200: MeSerializer},
    )
    def patch(self, request: Request) -> Response:
        user = _me(request)
        payload = MeUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        user_data, profile_data = split_profile(payload.validated_data)
        user = services.user_update(user=user, data=user_data, profile_data=profile_data)
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(
        summary="Delete your account and all its data",
        description=(
            'Irreversible. Send `{"password": ...}` in the JSON body. An account without a password '
            "(Google/Apple sign-in only) instead needs an access token issued in the last 5 minutes: "
            "sign in again first. Every token of the account stops working."
        ),
        request=AccountDeleteInputSerializer,
        responses={
            204: OpenApiResponse(description="Deleted."),
            403: problem_response(
                "No password (`password_required`), a wrong one (`password_incorrect`) or, for an account "
                "without a password, a sign-in too old (`recent_login_required`)."
            ),
            409: problem_response("Records that must be kept block deletion (`account_deletion_blocked`)."),
        },
    )
    def delete(self, request: Request) -> Response:
        payload = AccountDeleteInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_account_delete(
            request=request._request,  # the password check goes through the sign-in lockout
            user=_me(request),
            password=payload.validated_data.get("password"),
            token_issued_at=_token_issued_at(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _token_issued_at(request: Request) -> datetime | None:
    """When the caller last proved who they are (the ``auth_time`` claim; a refresh keeps it unchanged)."""
    token = request.auth
    if token is None or not hasattr(token, "get"):
        return None
    stamp = token.get("auth_time")
    if not isinstance(stamp, int | float):
        return None
    return datetime.fromtimestamp(stamp, tz=UTC)


@extend_schema(tags=TAGS)
class MeSettingsView(APIView):
    """Display and communication preferences (notification preferences live under /notifications/)."""

    permission_classes = [IsEndUser]

    @extend_schema(summary="Your settings", responses={200: UserSettingsSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserSettingsSerializer(selectors.profile_get(user=_me(request))).data)

    @extend_schema(
        summary="Change your settings",
        request=UserSettingsInputSerializer,
        responses={200: UserSettingsSerializer},
    )
    def patch(self, request: Request) -> Response:
        payload = UserSettingsInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        profile = services.profile_update(profile=selectors.profile_get(user=_me(request)), data=payload.validated_data)
        return Response(UserSettingsSerializer(profile).data)


@extend_schema(tags=TAGS)
class MeImageView(APIView):
    """The profile picture: upload replaces it, delete removes it. Multipart, field ``image``."""

    permission_classes = [IsEndUser]
    parser_classes = [MultiPartParser]  # a urlencoded form cannot carry a file

    @extend_schema(
        summary="Upload your profile image",
        description=(
            "`multipart/form-data` with the file in `image`: JPEG, PNG or WebP, at most 5 MB, at most "
            f"{MAX_SIDE:,} px on each side, {MAX_SOURCE_PIXELS // 1_000_000} megapixels in all and "
            f"{MAX_DECODED_BYTES // 2**20} MB of raw pixel data. Only the file's header is read before the "
            "answer: not an image, or over these limits: 400 `invalid_image`; over 5 MB: 413 `image_too_large`.\n\n"
            "Otherwise the upload is accepted, **202**, with the profile, and a worker does the rest: it "
            "decodes the whole file, turns it upright, converts it to sRGB, drops all metadata (EXIF, GPS), "
            "shrinks it to at most 1024 px as WebP and makes a 256x256 thumbnail. Meanwhile `image_status` "
            "is `processing` and `image` is still the previous image. Poll `GET /users/me/`: `ready` means "
            "`image` and `image_thumbnail` are the new ones; `failed` means they are unchanged and "
            "`image_error` says why (`invalid_image` for a damaged file). Where tasks run in-process (no "
            "broker), the 202 already shows the outcome. A newer upload supersedes one still processing."
        ),
        request=ProfileImageInputSerializer,
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                required=True,
                description="Where to follow the upload: `/api/v1/users/me/` (`profile.image_status`).",
                response=[202],
            )
        ],
        responses={
            202: ProfileSerializer,
            (400, PROBLEM_CONTENT_TYPE): problem_response(
                "Not a JPEG, PNG or WebP image, or over the size limits (`invalid_image`).", validation=True
            ),
            (413, PROBLEM_CONTENT_TYPE): problem_response(
                "The file is over 5 MB (`image_too_large`, with a field error in `errors`), "
                "or the whole request body is over the upload limit."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        payload = ProfileImageInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        profile = services.profile_image_set(
            profile=selectors.profile_get(user=_me(request)), upload=payload.validated_data["image"]
        )
        # Re-read: with eager tasks the worker's half has already run and changed the row.
        profile.refresh_from_db()
        return Response(
            ProfileSerializer(profile, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(reverse("users:me"))},
        )

    @extend_schema(
        summary="Remove your profile image",
        description="Also discards an upload still being processed.",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request) -> Response:
        services.profile_image_clear(profile=selectors.profile_get(user=_me(request)))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=TAGS)
class MeDashboardView(APIView):
    permission_classes = [IsEndUser]

    @extend_schema(
        summary="Your dashboard",
        description=(
            "Profile summary; BMI, BMR (Mifflin-St Jeor) and TDEE, each `null` with a `reason` and the "
            "`missing_fields` when the profile lacks inputs; and the sections other apps contribute."
        ),
        responses={200: UserDashboardSerializer},
    )
    def get(self, request: Request) -> Response:
        data = selectors.user_dashboard_get(user=_me(request))
        return Response(UserDashboardSerializer(data).data)


@extend_schema(tags=TAGS)
class MeExportView(APIView):
    permission_classes = [IsEndUser]

    @extend_schema(
        summary="Download all your data",
        description="One JSON document with every section of your data, sent as an attachment.",
        responses={200: PersonalDataExportSerializer},
    )
    def get(self, request: Request) -> Response:
        user = _me(request)
        data = selectors.user_export_get(user=user)
        filename = f"fitcore-export-{user.pk}-{datetime.now(tz=UTC):%Y%m%d}.json"
        return Response(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- the tenant's users ---------------------------------------------------------------

USER_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The user's id.")


@extend_schema_view(
    list=extend_schema(summary="List the tenant's users"),
    retrieve=extend_schema(summary="One of the tenant's users", parameters=[USER_ID]),
    create=extend_schema(
        summary="Create a user in your tenant",
        description="With or without a password. The email must be new to this tenant (any letter case).",
        request=ManagedUserCreateInputSerializer,
        responses={201: ManagedUserSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a user",
        description="Names, `is_active`, `role` (tenant admins only) and the nested `profile`.",
        parameters=[USER_ID],
        request=ManagedUserUpdateInputSerializer,
        responses={200: ManagedUserSerializer, 409: problem_response("You cannot change your own role or access.")},
    ),
    destroy=extend_schema(
        summary="Delete a user and all their data",
        parameters=[USER_ID],
        responses={204: None, 409: problem_response("You cannot delete yourself here; use `DELETE me/`.")},
    ),
    tokens=extend_schema(
        summary="Sign a user in: mint a JWT pair",
        description=(
            "For a partner backend that authenticates its users itself. Who may mint for whom:\n\n"
            "- the caller is an API key holding `users:tokens` **by name** (no wildcard and no default key "
            "includes it), or a tenant admin;\n"
            "- the user is an active **member** of the caller's tenant. Nobody mints for a tenant admin, not "
            "even an admin for themselves (403 `mint_for_members_only`): a minted token would hand over the "
            "admin's powers."
        ),
        parameters=[USER_ID],
        request=None,
        responses={
            201: UserTokenPairSerializer,
            403: problem_response("`mint_for_members_only`, `insufficient_scope`, `tenant_admin_required`."),
            409: problem_response("The user is deactivated (`user_inactive`)."),
        },
    ),
    sign_out=extend_schema(
        summary="Sign a user out everywhere",
        description=(
            "Every access and refresh token issued to the user so far stops working at once and for good "
            "(reactivating or changing the user later does not revive them). API keys (`users:write`) may do "
            "this to members, tenant admins to anyone of their tenant."
        ),
        parameters=[USER_ID],
        request=None,
        responses={204: None},
    ),
)
@extend_schema(tags=TAGS)
class ManagedUserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    """The tenant's end users, for its API keys (``users:read`` / ``users:write``) and tenant admins.

    Tenant-admin accounts are managed by tenant admins only: an API key may read them,
    but not change, delete or sign in as them, nor grant the role.
    """

    model = User
    owner_field = None
    permission_classes = [IsTenantWide]
    scope_area = "users"
    action_scopes = {"tokens": "users:tokens"}
    serializer_class = ManagedUserSerializer
    filterset_class = ManagedUserFilter
    ordering_fields = ["id", "email", "date_joined", "last_name"]
    ordering = ["id"]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return ManagedUserListSerializer if self.action == "list" else ManagedUserSerializer

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action == "list":
            return selectors.managed_users(queryset=queryset)
        return selectors.managed_user_detail(queryset=queryset)

    def create(self, request: Request) -> Response:
        payload = ManagedUserCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        self._check_role_change(request, data.get("role"))
        user = services.user_create(tenant=principal_tenant(request), **data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        user = self._target_for_write(request)
        payload = ManagedUserUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        user_data, profile_data = split_profile(payload.validated_data)
        if "role" in user_data and user_data["role"] != user.role:
            self._check_role_change(request, user_data["role"])
        if user == request.user and any(
            field in user_data and user_data[field] != getattr(user, field) for field in ("role", "is_active")
        ):
            raise ApplicationError(
                code="cannot_change_own_access",
                message="You cannot change your own role or deactivate yourself; ask another tenant admin.",
                status=409,
            )
        user = services.user_update(user=user, data=user_data, profile_data=profile_data)
        return Response(self.get_serializer(user).data)

    def destroy(self, request: Request, pk: str) -> Response:
        user = self._target_for_write(request)
        if user == request.user:
            raise ApplicationError(
                code="cannot_delete_self",
                message="Delete your own account with DELETE /api/v1/users/me/.",
                status=409,
            )
        services.user_delete(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def tokens(self, request: Request, pk: str) -> Response:
        tokens = services.user_tokens_issue(user=self._target_for_write(request))
        return Response(UserTokenPairSerializer(tokens).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="sign-out")
    def sign_out(self, request: Request, pk: str) -> Response:
        services.user_sign_out_everywhere(user=self._target_for_write(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _target_for_write(self, request: Request) -> User:
        user = cast(User, self.get_object())
        if is_api_key(request) and user.is_tenant_admin:
            raise PermissionDenied(
                "Tenant admin accounts are managed by tenant admins, not API keys.", code="tenant_admin_required"
            )
        return user

    @staticmethod
    def _check_role_change(request: Request, role: str | None) -> None:
        # An API key that could mint tenant admins could then manage the tenant's API keys.
        if role not in (None, User.Role.MEMBER) and is_api_key(request):
            raise PermissionDenied("Only a tenant admin can grant the tenant admin role.", code="tenant_admin_required")
