"""Every write of the notification app; ``notify()`` is the one way anything reaches a user.

Other apps call ``notify()`` inside their own transaction. It writes the inbox row and
the outbox rows (one per email or push device) in that transaction and queues their
delivery when it commits: if the caller rolls back, nothing was sent; if the broker is
down, the rows wait for the periodic re-send (``outbox_requeue_due``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fitcore.api.exceptions import ApplicationError
from fitcore.api.tasks import enqueue_after_commit
from users.emails import canonical_email_or_none

from . import preferences, realtime
from .models import (
    MAX_BODY_LENGTH,
    MAX_TITLE_LENGTH,
    Broadcast,
    Channel,
    DeliveryStatus,
    Device,
    Notification,
    NotificationPreference,
    NotificationSettings,
    NotificationType,
    OutboxMessage,
    push_token_hash,
)

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)


# --- notify --------------------------------------------------------------------------


def notify(
    *,
    user: User,
    type: str,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
    channels: Collection[str] | None = None,
    copy_to: Collection[str] = (),
) -> Notification:
    """Send ``user`` a notification of ``type`` on the channels their preferences allow.

    ``channels`` narrows that further for this one message (the welcome skips email: the
    confirmation email already greets the new user); it never adds a channel. ``copy_to``
    emails the same message to other addresses as well (an email change's notice goes to
    the previous address too), when email is on for the type.

    Returns the notification; with a ``dedupe_key`` the user already has, returns that one
    and sends nothing (a retried trigger is a no-op). Email and push are held until the
    user's quiet hours end; security mail (``account`` email) is not.
    """
    return _notify(
        user=user,
        type=type,
        title=title,
        body=body,
        data=data,
        link=link,
        dedupe_key=dedupe_key,
        channels=channels,
        copy_to=copy_to,
    )[0]


PARTNER_DEDUPE_PREFIX = "partner:"


def partner_message_send(
    *,
    recipient: User,
    title: str,
    body: str,
    data: dict[str, Any] | None = None,
    link: str = "",
    dedupe_key: str | None = None,
) -> tuple[Notification, bool]:
    """A tenant's own message to one of its users (POST /notifications/send/); ``(row, created)``.

    The partner's dedupe keys live in a namespace of their own (``partner:``): a guessed
    key of ours (``broadcast:12``) must not suppress a FitCore notification.
    """
    return _notify(
        user=recipient,
        type=NotificationType.PARTNER,
        title=title,
        body=body,
        data=data,
        link=link,
        dedupe_key=f"{PARTNER_DEDUPE_PREFIX}{dedupe_key}" if dedupe_key else None,
    )


def _notify(
    *,
    user: User,
    type: str,
    title: str,
    body: str,
    data: dict[str, Any] | None,
    link: str | None,
    dedupe_key: str | None,
    channels: Collection[str] | None = None,
    copy_to: Collection[str] = (),
) -> tuple[Notification, bool]:
    if type not in NotificationType.values:
        raise ValueError(f"Unknown notification type {type!r}.")
    # Shortened rather than refused: a long tenant name must not make a sign-up fail.
    title = _shorten(" ".join(title.split()), MAX_TITLE_LENGTH)
    body = _shorten(body, MAX_BODY_LENGTH)
    data = dict(data or {})
    now = timezone.now()
    with transaction.atomic():
        if dedupe_key:
            existing = _by_dedupe_key(user, dedupe_key)
            if existing is not None:
                return existing, False
        matrix = preferences.effective_matrix(_stored_choices(user))[type]
        if channels is not None:
            allowed = {str(channel) for channel in channels}
            matrix = {channel: enabled and channel in allowed for channel, enabled in matrix.items()}
        quiet = _quiet_hours(user)
        devices = list(_active_devices(user)) if matrix[Channel.PUSH] and user.is_active else []
        wants_email = matrix[Channel.EMAIL] and user.is_active and bool(user.email)
        copies = sorted(_copy_addresses(copy_to, user)) if matrix[Channel.EMAIL] else []
        notification = Notification(
            tenant_id=user.tenant_id,
            user=user,
            type=type,
            title=title,
            body=body,
            data=data,
            link=link or "",
            dedupe_key=dedupe_key or "",
            in_app=matrix[Channel.IN_APP],
            email_status=DeliveryStatus.PENDING if wants_email or copies else DeliveryStatus.SKIPPED,
            push_status=DeliveryStatus.PENDING if devices else DeliveryStatus.SKIPPED,
        )
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            # Another request stored the same dedupe key between our check and our insert.
            existing = _by_dedupe_key(user, dedupe_key) if dedupe_key else None
            if existing is None:
                raise
            return existing, False
        targets: list[tuple[str, Device | None, str]] = [(Channel.EMAIL, None, "")] if wants_email else []
        targets += [(Channel.EMAIL, None, address) for address in copies]
        targets += [(Channel.PUSH, device, "") for device in devices]
        messages = []
        for channel, device, address in targets:
            available_at = preferences.hold_until(quiet, type, channel, now)
            messages.append(
                OutboxMessage(
                    tenant_id=user.tenant_id,
                    notification=notification,
                    channel=channel,
                    device=device,
                    address=address,
                    available_at=available_at,
                    # Queued on commit if due now; a held one is queued by the re-send task when due.
                    enqueued_at=now if available_at <= now else None,
                )
            )
        OutboxMessage.unscoped.bulk_create(messages)
        _queue_after_commit([message for message in messages if message.enqueued_at is not None])
        if notification.in_app:
            realtime.publish_after_commit(notification)
    return notification, True


def _copy_addresses(addresses: Collection[str], user: User) -> set[str]:
    """Each other mailbox once: canonical (a case-only difference is the same mailbox), not the user's own."""
    canonical = {canonical_email_or_none(address) for address in addresses}
    return {address for address in canonical if address and address != user.email}


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1].rstrip()}…"


def _by_dedupe_key(user: User, dedupe_key: str) -> Notification | None:
    return Notification.objects.for_tenant(user.tenant_id).filter(user=user, dedupe_key=dedupe_key).first()


def _stored_choices(user: User) -> Iterable[tuple[str, str, bool]]:
    return (
        NotificationPreference.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .values_list("type", "channel", "enabled")
    )


def _quiet_hours(user: User) -> preferences.QuietHours | None:
    row = (
        NotificationSettings.objects.for_tenant(user.tenant_id)
        .filter(user=user, quiet_hours_start__isnull=False)
        .values("quiet_hours_start", "quiet_hours_end", "user__profile__timezone")
        .first()
    )
    if row is None:
        return None
    return preferences.QuietHours(
        start=row["quiet_hours_start"], end=row["quiet_hours_end"], timezone=row["user__profile__timezone"] or "UTC"
    )


def _active_devices(user: User) -> Iterable[Device]:
    return Device.objects.for_tenant(user.tenant_id).filter(user=user, active=True).order_by("id")


def _queue_after_commit(messages: Iterable[OutboxMessage]) -> None:
    from .tasks import deliver_outbox_message  # tasks import this module

    for message in messages:
        enqueue_after_commit(deliver_outbox_message, message_id=message.pk)


# --- the inbox -----------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    """Idempotent: the first read time stays."""
    if notification.read_at is None:
        now = timezone.now()
        updated = (
            Notification.objects.for_tenant(notification.tenant_id)
            .filter(pk=notification.pk, read_at__isnull=True)
            .update(read_at=now)
        )
        notification.read_at = (
            now if updated else Notification.unscoped.values_list("read_at", flat=True).get(pk=notification.pk)
        )
    return notification


def notifications_mark_all_read(*, user: User, type: str | None = None) -> int:
    """One UPDATE for the whole inbox (or one type of it); returns how many changed."""
    rows = Notification.objects.for_tenant(user.tenant_id).filter(user=user, in_app=True, read_at__isnull=True)
    if type is not None:
        rows = rows.filter(type=type)
    return rows.update(read_at=timezone.now())


# --- preferences ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHoursInput:
    start: time
    end: time


def preferences_set(
    *,
    user: User,
    matrix: dict[str, dict[str, bool]],
    quiet_hours: QuietHoursInput | None,
    daily_digest: bool,
) -> None:
    """Replace the user's preferences: every type and channel named in ``matrix`` (validated by the caller).

    Only choices that differ from the defaults are stored, so a later change of a default
    reaches everyone who never chose otherwise.
    """
    locked = [
        f"types.{kind}.{channel}"
        for kind, channels in matrix.items()
        for channel, enabled in channels.items()
        if not enabled and preferences.is_locked(kind, channel)
    ]
    if locked:
        message = "Security messages cannot be switched off."
        raise ApplicationError(
            code="channel_locked",
            message=message,
            errors=[{"field": field, "code": "channel_locked", "message": message} for field in locked],
        )
    defaults = preferences.default_matrix()
    rows = [
        NotificationPreference(tenant_id=user.tenant_id, user=user, type=kind, channel=channel, enabled=enabled)
        for kind, channels in matrix.items()
        for channel, enabled in channels.items()
        if defaults[kind][channel] != enabled
    ]
    with transaction.atomic():
        settings_row = _settings_for_update(user)
        NotificationPreference.objects.for_tenant(user.tenant_id).filter(user=user).delete()
        NotificationPreference.unscoped.bulk_create(rows)
        settings_row.quiet_hours_start = quiet_hours.start if quiet_hours else None
        settings_row.quiet_hours_end = quiet_hours.end if quiet_hours else None
        settings_row.daily_digest = daily_digest
        settings_row.save(update_fields=["quiet_hours_start", "quiet_hours_end", "daily_digest", "updated_at"])


def _settings_for_update(user: User) -> NotificationSettings:
    """The user's settings row, locked: two concurrent PUTs apply one after the other."""
    NotificationSettings.unscoped.get_or_create(user=user, defaults={"tenant_id": user.tenant_id})
    return NotificationSettings.objects.for_tenant(user.tenant_id).select_for_update().get(user=user)


# --- devices -------------------------------------------------------------------------


def device_register(*, user: User, platform: str, token: str, app_version: str = "") -> tuple[Device, bool]:
    """Register ``token`` for ``user``; returns the device and whether it is new.

    The same token again updates the row (platform, version, last seen, active again);
    a token another user of the tenant had moves to this user: the phone changed hands
    or accounts, and its pushes must follow whoever is signed in on it now.
    """
    now = timezone.now()
    with transaction.atomic():
        device = (
            Device.objects.for_tenant(user.tenant_id)
            .select_for_update()
            .filter(token_hash=push_token_hash(token))
            .first()
        )
        if device is None:
            try:
                with transaction.atomic():
                    device = Device.objects.create(
                        tenant_id=user.tenant_id,
                        user=user,
                        platform=platform,
                        token=token,
                        app_version=app_version,
                        last_seen=now,
                    )
                return device, True
            except IntegrityError:
                # The same phone registering twice at once: the other request created it.
                device = (
                    Device.objects.for_tenant(user.tenant_id).select_for_update().get(token_hash=push_token_hash(token))
                )
        device.user = user
        device.platform = platform
        device.app_version = app_version
        device.last_seen = now
        device.active = True
        device.deactivated_reason = ""
        device.save()
        return device, False


def device_delete(*, device: Device) -> None:
    """Sign a device out of push. Deactivated, not deleted: deliveries already written for it
    (held by quiet hours, or a notify() running right now) end as skipped instead of losing
    their row or failing the caller's transaction on a vanished foreign key."""
    Device.unscoped.filter(pk=device.pk).update(
        active=False, deactivated_reason="signed_out", updated_at=timezone.now()
    )


def device_deactivate(*, device_id: int, reason: str) -> None:
    """A provider said the token is dead: stop sending to it (the row stays, for the record)."""
    Device.unscoped.filter(pk=device_id, active=True).update(
        active=False, deactivated_reason=reason[:64], updated_at=timezone.now()
    )


# --- delivery ------------------------------------------------------------------------


class TransientDeliveryError(Exception):
    """The provider failed in a way worth retrying; the attempt is recorded, the task retries."""

    def __init__(self, message: str, *, retry_in: int) -> None:
        super().__init__(message)
        self.retry_in = retry_in


def retry_delay(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: the same exponential backoff Celery's retry uses."""
    base = settings.NOTIFICATION_RETRY_BACKOFF
    return int(min(settings.NOTIFICATION_RETRY_BACKOFF_MAX, base * 2 ** max(attempts - 1, 0)))


# How early a queued retry may run before its row's available_at (clocks, countdown rounding).
_EARLY_SLACK = timedelta(seconds=5)


def send_lease() -> timedelta:
    """While a worker sends, its row is held this long: nobody else picks it up. Longer than a task
    may live (Celery kills it at CELERY_TASK_TIME_LIMIT), so only a dead worker's row is taken over
    (and then it may go out twice)."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def outbox_deliver(*, message_id: int) -> str:
    """Deliver one outbox row; returns what happened (for logs and tests).

    Three steps, so no transaction (and on SQLite no database lock) is held while a provider
    answers: claim the row (``SKIP LOCKED``: a worker holding the same id moves on; the
    attempt is counted and the row leased), send, record the outcome. A transient error, or
    any unexpected one, holds the row back by the backoff and raises
    ``TransientDeliveryError`` for the task to retry; the row fails after
    NOTIFICATION_MAX_ATTEMPTS attempts, whatever kind of error they met.
    """
    from .delivery import DeliveryFailed, InvalidTarget, RetryableDeliveryError, deliver

    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.unscoped.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__user__profile", "notification__user__tenant", "device")
            .filter(pk=message_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if message is None:
            return "gone"  # sent, failed or skipped already, or claimed by a worker sending it now
        if message.available_at > now + _EARLY_SLACK:
            return "held"
        if message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            # Every attempt so far was claimed and never recorded: the sends kill their worker.
            _finish(message, DeliveryStatus.FAILED, error=f"gave up after {message.attempts} attempts: worker lost")
            return "failed"
        message.attempts += 1
        message.available_at = message.enqueued_at = now + send_lease()
        message.save(update_fields=["attempts", "available_at", "enqueued_at", "updated_at"])

    try:
        deliver(message)
    except InvalidTarget as error:
        if message.device_id is not None and error.reason not in {"moved", "inactive"}:
            device_deactivate(device_id=message.device_id, reason=error.reason)
        _finish(message, DeliveryStatus.SKIPPED, error=str(error))
        return "invalid_target"
    except DeliveryFailed as error:
        _finish(message, DeliveryStatus.FAILED, error=str(error))
        return "failed"
    except Exception as error:
        if not isinstance(error, RetryableDeliveryError):
            # A bug or a misconfiguration (a template, a credential file): logged with its
            # traceback, and retried like a provider outage, within the same attempt budget.
            logger.exception("delivering outbox message %s failed unexpectedly", message.pk)
        retry_after = getattr(error, "retry_after", None) or 0
        if message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            _finish(message, DeliveryStatus.FAILED, error=f"gave up after {message.attempts} attempts: {error}")
            return "failed"
        delay = max(retry_delay(message.attempts), retry_after)
        later = timezone.now() + timedelta(seconds=delay)
        _claimed(message).update(
            available_at=later, enqueued_at=later, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        raise TransientDeliveryError(str(error), retry_in=delay) from error
    _finish(message, DeliveryStatus.SENT)
    return "sent"


def _claimed(message: OutboxMessage) -> Any:
    """The row as this worker claimed it: if its lease ran out and another worker claimed it since
    (``attempts`` moved on), this worker's late outcome must not overwrite the newer one."""
    return OutboxMessage.unscoped.filter(pk=message.pk, status=DeliveryStatus.PENDING, attempts=message.attempts)


def _finish(message: OutboxMessage, status: str, *, error: str = "") -> None:
    with transaction.atomic():
        _claimed(message).update(
            status=status,
            sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
            last_error=error[:500],
            updated_at=timezone.now(),
        )
        _refresh_channel_status(message.notification_id, message.channel)


def _refresh_channel_status(notification_id: int, channel: str) -> None:
    """The notification's email/push status from its outbox rows: sent if any target got it,
    pending while any is pending, else failed (or skipped when every target was refused).

    The notification row is locked first: two targets finishing at once must not each read
    the other as still pending and leave the status pending for good.
    """
    Notification.unscoped.select_for_update().filter(pk=notification_id).values_list("pk", flat=True).first()
    field = "email_status" if channel == Channel.EMAIL else "push_status"
    statuses = set(
        OutboxMessage.unscoped.filter(notification_id=notification_id, channel=channel).values_list("status", flat=True)
    )
    if DeliveryStatus.SENT in statuses:
        status = DeliveryStatus.SENT
    elif DeliveryStatus.PENDING in statuses:
        status = DeliveryStatus.PENDING
    elif DeliveryStatus.FAILED in statuses:
        status = DeliveryStatus.FAILED
    else:
        status = DeliveryStatus.SKIPPED
    Notification.unscoped.filter(pk=notification_id).update(**{field: status})


def outbox_requeue_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue pending rows that are due and were never queued (held ones) or queued long ago (lost).

    Runs every minute (Celery beat). Each row is marked queued in the same statement that
    selects it, so overlapping runs do not double-queue; delivery itself is at most once anyway.
    """
    from .tasks import deliver_outbox_message

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER_SECONDS)
    with transaction.atomic():
        ids = list(
            OutboxMessage.unscoped.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, available_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=cutoff))
            .order_by("available_at")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.unscoped.filter(pk__in=ids).update(enqueued_at=now)
    for message_id in ids:
        try:
            deliver_outbox_message.delay(message_id=message_id)
        except Exception:  # the broker is down again: the next run picks these up
            logger.exception("could not queue outbox message %s", message_id)
            break
    return len(ids)


def outbox_retry_failed(*, message_ids: Iterable[int]) -> int:
    """For operators (admin action): one more attempt for failed rows, queued by the next re-send run."""
    return OutboxMessage.unscoped.filter(pk__in=list(message_ids), status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING,
        available_at=timezone.now(),
        enqueued_at=None,
        attempts=max(settings.NOTIFICATION_MAX_ATTEMPTS - 1, 0),
        updated_at=timezone.now(),
    )


# --- staff broadcasts ------------------------------------------------------------------


def broadcast_create(*, tenant: Any, title: str, body: str, link: str = "", created_by: Any = None) -> Broadcast:
    """Record a broadcast and queue the task that sends it (after commit)."""
    return broadcast_queue(broadcast=Broadcast(tenant=tenant, title=title, body=body, link=link, created_by=created_by))


def broadcast_queue(*, broadcast: Broadcast) -> Broadcast:
    """Save a new broadcast (the admin's form builds it) and queue its task once the row is committed."""
    from .tasks import send_broadcast

    broadcast.status = Broadcast.Status.QUEUED
    broadcast.save()
    enqueue_after_commit(send_broadcast, broadcast_id=broadcast.pk)
    return broadcast


BROADCAST_CHUNK = 200


def broadcast_run(*, broadcast_id: int, progress: Callable[[int, int], None] | None = None) -> Broadcast:
    """Notify every active user of the broadcast's tenant, reporting progress on the row (and to ``progress``).

    Users who already have this broadcast (a retried task) are skipped by the dedupe key,
    and count as sent. Each chunk commits on its own: the admin sees the count move.
    """
    from users.models import User

    broadcast = Broadcast.unscoped.get(pk=broadcast_id)
    if broadcast.status == Broadcast.Status.DONE:
        return broadcast
    recipients = User.objects.filter(tenant_id=broadcast.tenant_id, is_active=True).order_by("pk")
    total = recipients.count()
    Broadcast.unscoped.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.RUNNING, total=total, sent=0, started_at=timezone.now(), error=""
    )
    sent = 0
    try:
        last_pk = 0
        while True:
            chunk = list(recipients.filter(pk__gt=last_pk)[:BROADCAST_CHUNK])
            if not chunk:
                break
            with transaction.atomic():
                for user in chunk:
                    notify(
                        user=user,
                        type=NotificationType.SYSTEM,
                        title=broadcast.title,
                        body=broadcast.body,
                        link=broadcast.link,
                        data={"broadcast": broadcast.pk},
                        dedupe_key=broadcast.dedupe_key,
                    )
                sent += len(chunk)
                Broadcast.unscoped.filter(pk=broadcast.pk).update(sent=sent)
            last_pk = chunk[-1].pk
            if progress is not None:
                progress(sent, total)
    except Exception as error:
        Broadcast.unscoped.filter(pk=broadcast.pk).update(
            status=Broadcast.Status.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        raise
    Broadcast.unscoped.filter(pk=broadcast.pk).update(status=Broadcast.Status.DONE, finished_at=timezone.now())
    broadcast.refresh_from_db()
    return broadcast
