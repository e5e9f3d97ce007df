"""Input validation and output shape of /api/v1/notifications/."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import orjson
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fitcore.api.serializers import OptionalCharField, OutputSerializer, RowSerializer, StrictKeysSerializer
from fitcore.api.tenancy import TenantUserField, acts_for_tenant, principal_tenant

from . import preferences
from .models import (
    MAX_BODY_LENGTH,
    MAX_DEDUPE_KEY_LENGTH,
    MAX_LINK_LENGTH,
    MAX_TITLE_LENGTH,
    DeliveryStatus,
    Device,
    NotificationType,
)
from .services import PARTNER_DEDUPE_PREFIX

MAX_DATA_BYTES = 4096
# A deep link: a path of the app (/plans/12), or an absolute URL with a scheme (https:, fitcore:).
_LINK = re.compile(r"^(/\S*|[A-Za-z][A-Za-z0-9+.-]*:\S+)$")
# Push tokens are printable ASCII without spaces (FCM: base64url and ':'; APNs: hex).
_PUSH_TOKEN = re.compile(r"^[!-~]+$")


def _single_line(value: str) -> None:
    """Python's ``$`` also matches before a final newline; the schema's (ECMAScript) does not."""
    if "\n" in value:
        raise serializers.ValidationError("Line breaks are not allowed here.", code="invalid")


class NotificationSerializer(RowSerializer):
    """One notification. ``email_status``/``push_status`` say how those deliveries went:
    ``pending`` (queued, or held by quiet hours), ``sent``, ``failed``, or ``skipped``
    (switched off in the preferences, or no device or address to send to)."""

    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True, help_text="The recipient's user id.")
    type = serializers.ChoiceField(choices=NotificationType.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    # DRF's metaclass moves declared fields off the class, so ``.data`` stays the serializer's.
    data = serializers.JSONField(  # type: ignore[assignment]
        read_only=True, help_text="Structured details for the app (an object)."
    )
    link = OptionalCharField(read_only=True, help_text="Where the app should open: a path or a deep link.")
    created_at = serializers.DateTimeField(read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When it was read; null if unread.")
    in_app = serializers.BooleanField(read_only=True, help_text="Whether it is in the user's inbox.")
    email_status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    push_status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)


class UnreadCountSerializer(OutputSerializer):
    count = serializers.IntegerField(help_text="Unread notifications in the inbox.")


class ReadAllInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=NotificationType.choices, required=False, help_text="Only this type; all types when absent."
    )


class ReadAllSerializer(OutputSerializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class RecipientField(TenantUserField):
    """Any active user of the caller's tenant, for an API key and for a tenant admin alike."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None or not acts_for_tenant(request):
            return super().get_queryset()
        return self.scoped_model._default_manager.filter(tenant=principal_tenant(request), is_active=True)


class PartnerSendInputSerializer(serializers.Serializer):
    user = RecipientField(help_text="The recipient: an active user of your tenant.")
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH)
    body = serializers.CharField(max_length=MAX_BODY_LENGTH)
    data = serializers.DictField(  # type: ignore[assignment]  # as above
        required=False, default=dict, help_text=f"Details for your app; at most {MAX_DATA_BYTES} bytes as JSON."
    )
    link = serializers.RegexField(
        _LINK.pattern,
        max_length=MAX_LINK_LENGTH,
        trim_whitespace=False,
        validators=[_single_line],
        required=False,
        default="",
        allow_blank=True,
        help_text="Where the app should open: a path (`/plans/12`) or a URL with a scheme (`myapp://plans/12`).",
        error_messages={"invalid": "Enter a path starting with / or a URL with a scheme."},
    )
    dedupe_key = serializers.CharField(
        max_length=MAX_DEDUPE_KEY_LENGTH - len(PARTNER_DEDUPE_PREFIX),
        required=False,
        help_text="Sending again with a key this user already had returns that notification and sends nothing.",
    )

    def validate_data(self, value: dict[str, Any]) -> dict[str, Any]:
        _check_json_value(value, depth=0)
        if len(orjson.dumps(value)) > MAX_DATA_BYTES:
            raise serializers.ValidationError(f"At most {MAX_DATA_BYTES} bytes as JSON.", code="max_length")
        return value


MAX_DATA_DEPTH = 16


def _check_json_value(value: Any, *, depth: int) -> None:
    """What PostgreSQL's jsonb refuses (NUL characters) and needlessly deep nesting, as 400s, not 500s."""
    if depth > MAX_DATA_DEPTH:
        raise serializers.ValidationError(f"Nested at most {MAX_DATA_DEPTH} levels deep.", code="max_depth")
    if isinstance(value, str):
        if "\x00" in value:
            raise serializers.ValidationError("Text may not contain NUL (\\u0000) characters.", code="null_character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json_value(key, depth=depth)
            _check_json_value(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json_value(item, depth=depth + 1)


# --- preferences ---------------------------------------------------------------------


class ChannelSwitchesSerializer(StrictKeysSerializer):
    """One type's channels; a channel left out goes back to its default."""

    unknown_key = ("Unknown channel: in_app, email or push.", "unknown_channel")

    in_app = serializers.BooleanField(required=False, help_text="Shown in the inbox (and in real time).")
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)


def _types_serializer_class() -> type[serializers.Serializer]:
    fields: dict[str, Any] = {
        kind: ChannelSwitchesSerializer(required=False, help_text=label) for kind, label in NotificationType.choices
    }
    fields["unknown_key"] = ("Unknown notification type.", "unknown_type")
    fields["__doc__"] = "Channels per notification type; a type left out goes back to its defaults."
    return type("NotificationTypeSwitchesSerializer", (StrictKeysSerializer,), fields)


NotificationTypeSwitchesSerializer = _types_serializer_class()


_WALL_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(:00)?$")


@extend_schema_field({"type": "string", "pattern": _WALL_CLOCK.pattern, "example": "22:00"})
class WallClockField(serializers.Field):
    """A local time to the minute, ``HH:MM`` (``HH:MM:00`` is read too); written ``HH:MM``.

    Quiet hours are a wall-clock matter: seconds would be noise, and an ISO time with
    fractions or an offset would suggest a precision and a zone the rule does not have.
    """

    default_error_messages = {"invalid": "Enter a time as HH:MM, 00:00 to 23:59."}

    def to_internal_value(self, data: Any) -> time:
        # fullmatch, not the pattern's $: Python's also matches before a final newline.
        match = _WALL_CLOCK.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        return time(int(match.group(1)), int(match.group(2)))

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")


class QuietHoursSerializer(serializers.Serializer):
    start = WallClockField(help_text="Local time (the profile's time zone) quiet hours begin, e.g. 22:00.")
    end = WallClockField(help_text="Local time they end, e.g. 07:00; before `start` means the next day.")


class PreferencesInputSerializer(serializers.Serializer):
    """The whole document: types or channels left out go back to their defaults."""

    types = NotificationTypeSwitchesSerializer(required=False)
    quiet_hours = QuietHoursSerializer(allow_null=True, required=False)
    daily_digest = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        quiet = attrs.get("quiet_hours")
        if quiet and quiet["start"] == quiet["end"]:
            raise serializers.ValidationError({"quiet_hours": {"end": ["Must differ from start."]}}, code="invalid")
        chosen = attrs.get("types") or {}
        defaults = preferences.default_matrix()
        attrs["matrix"] = {
            kind: {
                channel: chosen.get(kind, {}).get(channel, defaults[kind][channel]) for channel in preferences.CHANNELS
            }
            for kind in preferences.TYPES
        }
        locked = {
            kind: {channel: ["Security messages cannot be switched off."]}
            for kind, channels in attrs["matrix"].items()
            for channel, enabled in channels.items()
            if not enabled and preferences.is_locked(kind, channel)
        }
        if locked:
            raise serializers.ValidationError({"types": locked}, code="channel_locked")
        return attrs


class ChannelSwitchesOutputSerializer(OutputSerializer):
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    push = serializers.BooleanField()


def _types_output_serializer_class() -> type[serializers.Serializer]:
    fields: dict[str, Any] = {
        kind: ChannelSwitchesOutputSerializer(help_text=label) for kind, label in NotificationType.choices
    }
    return type("NotificationTypeSwitchesOutputSerializer", (OutputSerializer,), fields)


NotificationTypeSwitchesOutputSerializer = _types_output_serializer_class()


class QuietHoursOutputSerializer(OutputSerializer):
    start = WallClockField(help_text="HH:MM, local time.")
    end = WallClockField(help_text="HH:MM, local time.")


class PreferencesSerializer(OutputSerializer):
    types = NotificationTypeSwitchesOutputSerializer(help_text="Every type, every channel: on or off.")
    quiet_hours = QuietHoursOutputSerializer(allow_null=True, help_text="Null when none are set.")
    daily_digest = serializers.BooleanField(help_text="A morning email of the day's unread notifications.")
    timezone = serializers.CharField(help_text="The profile's time zone, which quiet hours are read in.")
    locked = serializers.ListField(
        child=serializers.CharField(), help_text="`type.channel` pairs that cannot be switched off."
    )


# --- devices -------------------------------------------------------------------------


class DeviceRegisterInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    token = serializers.RegexField(
        _PUSH_TOKEN.pattern,
        max_length=Device.MAX_TOKEN_LENGTH,
        trim_whitespace=False,
        validators=[_single_line],
        help_text="The push token from FCM or APNs: printable ASCII without spaces, at most 4096 characters.",
        error_messages={"invalid": "A push token is printable ASCII without spaces."},
    )
    app_version = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class DeviceSerializer(RowSerializer):
    """A registered device. The token itself is never shown again."""

    id = serializers.IntegerField(read_only=True)
    platform = serializers.ChoiceField(choices=Device.Platform.choices, read_only=True)
    app_version = OptionalCharField(read_only=True)
    active = serializers.BooleanField(read_only=True, help_text="False once a provider reported the token dead.")
    last_seen = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
