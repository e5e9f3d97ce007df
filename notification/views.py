"""/api/v1/notifications/: the inbox, preferences, devices, and partner messages."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from fitcore.api.filters import DjangoFilterBackend
from fitcore.api.pagination import CursorPagination
from fitcore.api.permissions import IsEndUser, IsTenantWide, ScopedAccess
from fitcore.api.tenancy import TenantScopedViewSet, is_api_key
from fitcore.api.throttling import FixedWindowRateThrottle
from users.models import User

from . import selectors, services
from .filters import NotificationFilter
from .models import Device, Notification
from .serializers import (
    DeviceRegisterInputSerializer,
    DeviceSerializer,
    NotificationSerializer,
    PartnerSendInputSerializer,
    PreferencesInputSerializer,
    PreferencesSerializer,
    ReadAllInputSerializer,
    ReadAllSerializer,
    UnreadCountSerializer,
)

TAGS = ["notifications"]


def _me(request: Request) -> User:
    return cast(User, request.user)


class NotificationCursorPagination(CursorPagination):
    page_size = 20
    max_page_size = 100
    ordering = "-created_at"


class NotificationSendThrottle(FixedWindowRateThrottle):
    """Partner messages, per API key or tenant admin: a leaked key must not become a spam cannon."""

    scope = "notification_send"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = f"key{request.auth.pk}" if is_api_key(request) else f"user{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


NOTIFICATION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The notification's id.")


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications, newest first",
        description=(
            "A user's login sees its own inbox; an API key (`notifications:read`) sees every notification of its "
            "tenant's users, with their delivery status, narrowed by `?user=`. Cursor-paginated: follow `next`."
        ),
        parameters=[
            OpenApiParameter(
                "user", OpenApiTypes.INT, description="API keys only: one user's notifications.", required=False
            )
        ],
    ),
    retrieve=extend_schema(summary="One notification", parameters=[NOTIFICATION_ID]),
    read=extend_schema(
        summary="Mark a notification read",
        description="Idempotent: reading it again keeps the first read time.",
        parameters=[NOTIFICATION_ID],
        request=None,
        responses={200: NotificationSerializer},
    ),
    read_all=extend_schema(
        summary="Mark every notification read",
        request=ReadAllInputSerializer,
        responses={200: ReadAllSerializer},
    ),
    unread_count=extend_schema(
        summary="How many unread notifications you have", responses={200: UnreadCountSerializer}
    ),
    send=extend_schema(
        summary="Send one of your users a message",
        description=(
            "For a partner backend (`notifications:write`) or a tenant admin: a `partner` notification to one "
            "active user of your tenant, delivered on the channels the user's preferences allow. With a "
            "`dedupe_key` the user already had, answers 200 with that notification and sends nothing. "
            "Rate-limited per key (429 with `Retry-After`)."
        ),
        request=PartnerSendInputSerializer,
        responses={201: NotificationSerializer, 200: NotificationSerializer},
    ),
)
@extend_schema(tags=TAGS)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    model = Notification
    scope_area = "notifications"
    serializer_class = NotificationSerializer
    pagination_class = NotificationCursorPagination
    filterset_class = NotificationFilter
    # Newest first, always: the cursor is built on that order, so no ?ordering=.
    filter_backends = [DjangoFilterBackend]

    def get_permissions(self) -> list[BasePermission]:
        if self.action in {"read", "read_all", "unread_count"}:
            return [IsEndUser()]
        if self.action == "send":
            return [IsTenantWide()]
        return [ScopedAccess()]

    def get_throttles(self) -> list[Any]:
        throttles = list(super().get_throttles())
        if self.action == "send":
            throttles.append(NotificationSendThrottle())
        return throttles

    def scope_queryset(self, queryset: Any) -> Any:
        if is_api_key(self.request):
            return queryset
        return selectors.inbox(queryset=queryset)

    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        payload = ReadAllInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = services.notifications_mark_all_read(user=_me(request), type=payload.validated_data.get("type"))
        return Response(ReadAllSerializer({"marked": marked}).data)

    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response(UnreadCountSerializer({"count": selectors.unread_count(user=_me(request))}).data)

    @action(detail=False, methods=["post"])
    def send(self, request: Request) -> Response:
        payload = PartnerSendInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        notification, created = services.partner_message_send(
            recipient=data["user"],
            title=data["title"],
            body=data["body"],
            data=data["data"],
            link=data["link"],
            dedupe_key=data.get("dedupe_key"),
        )
        notification.refresh_from_db()  # delivery statuses, when tasks ran in-process
        return Response(
            NotificationSerializer(notification).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return NotificationSerializer


@extend_schema(tags=TAGS)
class PreferencesView(APIView):
    """Which types reach you on which channel, quiet hours, and the daily digest."""

    permission_classes = [IsEndUser]

    @extend_schema(summary="Your notification preferences", responses={200: PreferencesSerializer})
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(selectors.preferences_get(user=_me(request))).data)

    @extend_schema(
        summary="Replace your notification preferences",
        description=(
            "The whole document: a type or channel left out goes back to its default, `quiet_hours: null` removes "
            "them. During quiet hours (local times in your profile's time zone) email and push wait until they end; "
            "the inbox still updates. Security messages (`account` by email) cannot be switched off (400 "
            "`channel_locked`)."
        ),
        request=PreferencesInputSerializer,
        responses={200: PreferencesSerializer},
    )
    def put(self, request: Request) -> Response:
        payload = PreferencesInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        quiet = data.get("quiet_hours")
        services.preferences_set(
            user=_me(request),
            matrix=data["matrix"],
            quiet_hours=services.QuietHoursInput(start=quiet["start"], end=quiet["end"]) if quiet else None,
            daily_digest=data["daily_digest"],
        )
        return Response(PreferencesSerializer(selectors.preferences_get(user=_me(request))).data)


DEVICE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The device's id.")


@extend_schema_view(
    list=extend_schema(summary="Your devices that receive push notifications"),
    create=extend_schema(
        summary="Register this device for push",
        description=(
            "Send the FCM or APNs token each time the app starts (it can change). The same token again updates "
            "the device (200); a new one creates it (201). A token registered by another account of this app "
            "moves to you: pushes follow whoever is signed in on the phone."
        ),
        request=DeviceRegisterInputSerializer,
        responses={201: DeviceSerializer, 200: DeviceSerializer},
    ),
    destroy=extend_schema(
        summary="Stop push to a device", description="For sign-out on that device.", parameters=[DEVICE_ID]
    ),
)
@extend_schema(tags=TAGS)
class DeviceViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, TenantScopedViewSet):
    model = Device
    permission_classes = [IsEndUser]
    serializer_class = DeviceSerializer
    pagination_class = None  # a handful per user
    filter_backends: list[Any] = []

    def scope_queryset(self, queryset: Any) -> Any:
        return selectors.devices(queryset=queryset).order_by("-last_seen", "-id")

    def create(self, request: Request) -> Response:
        payload = DeviceRegisterInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        device, created = services.device_register(user=_me(request), **payload.validated_data)
        return Response(
            DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def perform_destroy(self, instance: Device) -> None:
        services.device_delete(device=instance)
