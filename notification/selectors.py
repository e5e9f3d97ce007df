"""Reads of the notification app that views and other apps share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from . import preferences
from .models import Device, Notification, NotificationPreference, NotificationSettings

if TYPE_CHECKING:
    from users.models import User


def inbox(*, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
    """What a user's own login lists: the rows their preferences put in the inbox."""
    return queryset.filter(in_app=True)


def unread_count(*, user: User) -> int:
    """One COUNT over the partial index ``notification_unread``."""
    return Notification.objects.for_tenant(user.tenant_id).filter(user=user, in_app=True, read_at__isnull=True).count()


def preferences_get(*, user: User) -> dict[str, Any]:
    """The whole preferences document: every type x channel (defaults applied), quiet hours, digest."""
    choices = (
        NotificationPreference.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .values_list("type", "channel", "enabled")
    )
    settings_row = (
        NotificationSettings.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .values("quiet_hours_start", "quiet_hours_end", "daily_digest")
        .first()
    ) or {"quiet_hours_start": None, "quiet_hours_end": None, "daily_digest": False}
    start, end = settings_row["quiet_hours_start"], settings_row["quiet_hours_end"]
    return {
        "types": preferences.effective_matrix(choices),
        "quiet_hours": {"start": start, "end": end} if start is not None else None,
        "daily_digest": settings_row["daily_digest"],
        "timezone": user.profile.timezone,
        "locked": sorted(f"{kind}.{channel}" for kind, channel in preferences.LOCKED_CHANNELS),
    }


def devices(*, queryset: QuerySet[Device]) -> QuerySet[Device]:
    return queryset.filter(active=True)


# --- sections of users' dashboard and export (registered in NotificationConfig.ready) ---


def dashboard_section(user: User) -> dict[str, Any]:
    return {"unread": unread_count(user=user)}


def export_section(user: User) -> dict[str, Any]:
    """Everything this app holds about the user: notifications, preferences and devices (no tokens)."""
    notifications = list(
        Notification.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .order_by("created_at", "id")
        .values(
            "id",
            "type",
            "title",
            "body",
            "data",
            "link",
            "created_at",
            "read_at",
            "in_app",
            "email_status",
            "push_status",
        )
    )
    device_rows = list(
        Device.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .order_by("id")
        .values("id", "platform", "app_version", "active", "last_seen", "created_at")
    )
    return {"notifications": notifications, "preferences": preferences_get(user=user), "devices": device_rows}
