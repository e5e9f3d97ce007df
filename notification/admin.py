"""Staff views of notifications: what was sent and how it went, devices, and tenant broadcasts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from users.models import User

from . import services
from .models import (
    Broadcast,
    Device,
    Notification,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services: staff look, they do not edit (a hand-made row skips the outbox)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "type", "user", "tenant", "created_at", "read_at", "in_app", "email_status", "push_status"]
    list_filter = ["type", "email_status", "push_status", "in_app", "tenant"]
    search_fields = ["title", "user__email", "dedupe_key"]
    list_select_related = ["user", "tenant"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the table grows with every user: no COUNT(*) per page view


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["notification", "channel", "device", "status", "attempts", "available_at", "sent_at", "last_error"]
    list_filter = ["status", "channel", "tenant"]
    list_select_related = ["notification", "device"]
    actions = ["retry"]
    show_full_result_count = False

    @admin.action(description="Try the selected failed deliveries once more")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = services.outbox_retry_failed(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} failed deliveries will be tried again within a minute.", messages.SUCCESS)


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "tenant", "platform", "app_version", "active", "deactivated_reason", "last_seen"]
    list_filter = ["platform", "active", "tenant"]
    search_fields = ["user__email", "app_version"]
    list_select_related = ["user", "tenant"]
    exclude = ["token"]  # a credential for pushing to someone's phone: not shown to staff


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "type", "channel", "enabled"]
    list_filter = ["type", "channel", "enabled"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(ReadOnlyAdmin):
    list_display = ["user", "quiet_hours_start", "quiet_hours_end", "daily_digest", "last_digest_on"]
    list_filter = ["daily_digest"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    """Send a system message to every active user of a tenant; a task sends it, this page shows how far it got."""

    list_display = ["title", "tenant", "status", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "tenant"]
    list_select_related = ["tenant", "created_by"]
    fields = [
        "tenant",
        "title",
        "body",
        "link",
        "status",
        "total",
        "sent",
        "created_by",
        "started_at",
        "finished_at",
        "error",
    ]
    readonly_fields = ["status", "total", "sent", "created_by", "started_at", "finished_at", "error"]

    @admin.display(description="Progress")
    def progress(self, obj: Broadcast) -> str:
        if not obj.total:
            return "-" if obj.status == Broadcast.Status.QUEUED else "0 / 0"
        percent = round(100 * obj.sent / obj.total)
        return format_html("{} / {} ({}%)", obj.sent, obj.total, percent)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:  # sent (or being sent): the message cannot change any more
            return [*self.readonly_fields, "tenant", "title", "body", "link"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Broadcast, form: Any, change: bool) -> None:
        if change:
            return
        obj.created_by = request.user if isinstance(request.user, User) else None
        services.broadcast_queue(broadcast=obj)
        self.message_user(request, "The broadcast is queued; this page shows its progress.", messages.INFO)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what was sent to whom
