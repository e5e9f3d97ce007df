"""Notifications: the inbox row, what each user wants delivered where, their devices, and the outbox.

A ``Notification`` is written once, by ``notification.services.notify()``; in the same
transaction it writes one ``OutboxMessage`` per delivery still to make (one for the email,
one per active push device). Workers deliver outbox rows; a periodic task re-sends rows a
lost queue message left behind, so a notification survives a broker outage.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from fitcore.api.models import TenantOwned


class NotificationType(models.TextChoices):
    SYSTEM = "system", "System message from FitCore"
    ACCOUNT = "account", "Account and security"
    WORKOUT_REMINDER = "workout_reminder", "Workout reminder"
    MEAL_PLAN_READY = "meal_plan_ready", "Meal plan ready"
    IMPORT_FINISHED = "import_finished", "Import finished"
    PAYMENT_SUCCEEDED = "payment_succeeded", "Payment succeeded"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    SUBSCRIPTION_ENDING = "subscription_ending", "Subscription ending"
    ACHIEVEMENT_UNLOCKED = "achievement_unlocked", "Achievement unlocked"
    WEEKLY_REPORT = "weekly_report", "Weekly report"
    PARTNER = "partner", "Message from your app provider"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email"
    PUSH = "push", "Push"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent (switched off, or nowhere to send it)"


# (type, channel) pairs nobody can switch off: security mail must reach the account owner.
LOCKED_CHANNELS: frozenset[tuple[str, str]] = frozenset({(NotificationType.ACCOUNT, Channel.EMAIL)})

MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 2000
MAX_LINK_LENGTH = 2048
MAX_DEDUPE_KEY_LENGTH = 200


class Notification(TenantOwned):
    """One message to one user. ``in_app`` says whether it is in the user's inbox; the
    ``*_status`` fields say how the email and push deliveries went."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=32, choices=NotificationType.choices)
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    data = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=MAX_LINK_LENGTH, blank=True)
    # A repeated trigger with the same key is a no-op (unique per user).
    dedupe_key = models.CharField(max_length=MAX_DEDUPE_KEY_LENGTH, blank=True, default="")
    read_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True)
    email_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SKIPPED)
    push_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SKIPPED)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_key_unique_per_user",
            )
        ]
        indexes = [
            # The inbox (cursor pagination on created_at) and a partner's per-tenant view.
            models.Index(fields=["user", "-created_at"], name="notification_inbox"),
            models.Index(fields=["tenant", "-created_at"], name="notification_tenant_recent"),
            # The unread count reads this index only.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True, in_app=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.type} to user {self.user_id}: {self.title}"


class NotificationPreference(TenantOwned):
    """A user's choice for one type on one channel; without a row, the default in settings holds."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    type = models.CharField(max_length=32, choices=NotificationType.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        ordering = ["type", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "type", "channel"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type}/{self.channel}: {'on' if self.enabled else 'off'}"


class NotificationSettings(TenantOwned):
    """Per-user delivery settings beside the type x channel matrix: quiet hours and the daily digest.

    Quiet hours are local times in the profile's time zone; ``start`` after ``end`` spans
    midnight (22:00-07:00). Email and push due inside them wait until they end.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    daily_digest = models.BooleanField(default=False)
    # The user's local date of the last digest sent: at most one a day, whatever the schedule does.
    last_digest_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notification_quiet_hours_both_or_neither",
            )
        ]

    def __str__(self) -> str:
        return f"Notification settings of user {self.user_id}"


def push_token_hash(token: str) -> str:
    """Tokens are looked up by hash: a unique index on the token itself would cap its length."""
    return hashlib.sha256(token.encode()).hexdigest()


class Device(TenantOwned):
    """A push target. A token is unique in its tenant: registering it again updates the row,
    and a token another user of the tenant registered moves to the new user."""

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    MAX_TOKEN_LENGTH = 4096

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    token = models.TextField(max_length=MAX_TOKEN_LENGTH)
    token_hash = models.CharField(max_length=64, editable=False)
    app_version = models.CharField(max_length=32, blank=True)
    last_seen = models.DateTimeField()
    active = models.BooleanField(default=True)
    # Why a provider retired the token (unregistered, invalid); empty while active.
    deactivated_reason = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [models.UniqueConstraint(fields=["tenant", "token_hash"], name="device_token_unique")]
        indexes = [models.Index(fields=["user"], condition=Q(active=True), name="device_active")]

    def __str__(self) -> str:
        return f"{self.platform} device of user {self.user_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.token_hash = push_token_hash(self.token)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class OutboxMessage(TenantOwned):
    """One delivery still to make: the transactional outbox.

    Written with its notification, in the caller's transaction; queued after commit. A
    worker locks the row, sends, and marks it in the same transaction, so two workers
    (the queue and the re-send task) never send it twice. ``available_at`` holds a delivery
    back (quiet hours, retry backoff); ``enqueued_at`` says when it was last handed to the
    queue, so the re-send task only picks up what the queue lost.
    """

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="outbox")
    channel = models.CharField(max_length=16, choices=[c for c in Channel.choices if c[0] != Channel.IN_APP])
    device = models.ForeignKey(Device, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # An email to another address than the user's own: the security copy of an email change
    # goes to the previous address too, whose owner may not be the one who changed it.
    address = models.EmailField(max_length=254, blank=True)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    available_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "notification", "channel", "device"], name="outbox_one_per_target"
            ),
            models.UniqueConstraint(
                fields=["tenant", "notification", "channel", "address"],
                condition=Q(device__isnull=True),
                name="outbox_one_email_per_address",
            ),
        ]
        indexes = [
            models.Index(fields=["available_at"], condition=Q(status="pending"), name="outbox_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} for notification {self.notification_id}: {self.status}"


class Broadcast(TenantOwned):
    """A staff message (type ``system``) to every active user of a tenant, sent by a task.

    The row is the task's progress report: the admin shows ``sent`` of ``total``. Each
    recipient's notification carries the dedupe key ``broadcast:<id>``, so a task that is
    retried after a crash continues where it stopped instead of sending twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Sending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    link = models.CharField(max_length=MAX_LINK_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Broadcast {self.pk} to {self.tenant_id}: {self.title}"

    @property
    def dedupe_key(self) -> str:
        return f"broadcast:{self.pk}"
