"""Things that happen at a user's local time: the daily digest now, reminders of later apps.

Celery beat (django-celery-beat: the entries are rows staff can see, pause and re-time
in the admin; migration 0002 creates them) runs ``notification.local_time_tick`` every
15 minutes. Each tick covers the previous quarter hour, a ``LocalTimeWindow``, and calls
every registered hook with it. A hook asks the window which time zones just passed a
local time (``zones_at``) and notifies those users, with a dedupe key per occurrence, so a
repeated or overlapping tick sends nothing twice::

    # workout/apps.py, in ready()
    from notification.schedule import register_local_time_hook
    register_local_time_hook("workout_reminders", send_due_workout_reminders)

Later apps register theirs the same way: workout reminders at each user's chosen local
time, the weekly report on Monday morning, subscription-ending reminders.
"""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from users.models import Profile

from . import preferences
from .delivery.email import display_name
from .models import Notification, NotificationSettings

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)

TICK = timedelta(minutes=15)


@dataclass(frozen=True)
class LocalTimeWindow:
    """A span of UTC time, ``[start, end)``; hooks ask which local times fell inside it."""

    start: datetime
    end: datetime

    @classmethod
    def before(cls, now: datetime) -> LocalTimeWindow:
        """The whole quarter hour before ``now``'s (ticks at :00 cover :45-:00 of the hour before)."""
        utc = now.astimezone(UTC)
        end = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)
        return cls(start=end - TICK, end=end)

    def local_occurrence(self, zone: str, local: time, weekday: int | None = None) -> datetime | None:
        """The moment in this window when the wall clock in ``zone`` read ``local`` (on ``weekday``,
        0 = Monday, if given), or None. A local time repeated by a DST change happens at its
        first occurrence; one skipped by it, as far after the change as it was into the gap
        (02:30 on a spring-forward night is 03:30), Python's ``fold=0`` reading."""
        tz = zoneinfo.ZoneInfo(zone)
        for day in {self.start.astimezone(tz).date(), self.end.astimezone(tz).date()}:
            if weekday is not None and day.weekday() != weekday:
                continue
            utc = datetime.combine(day, local, tzinfo=tz).astimezone(UTC)
            if self.start <= utc < self.end:
                return utc
        return None

    def zones_at(self, local: time, weekday: int | None = None) -> list[str]:
        """The time zones users have where ``local`` (on ``weekday``) fell inside this window."""
        return [zone for zone in timezones_in_use() if self.local_occurrence(zone, local, weekday) is not None]


def timezones_in_use() -> list[str]:
    """Distinct profile time zones: a few hundred at most, whatever the number of users."""
    return sorted(Profile.unscoped.order_by().values_list("timezone", flat=True).distinct())


Hook = Callable[[LocalTimeWindow], int]
_hooks: dict[str, Hook] = {}


def register_local_time_hook(name: str, hook: Hook) -> None:
    """Call ``hook(window)`` every tick; it returns how many notifications it sent (for the log)."""
    existing = _hooks.get(name)
    if existing is not None and existing is not hook:
        raise ValueError(f"Local-time hook {name!r} is already registered by {existing!r}.")
    _hooks[name] = hook


def unregister_local_time_hook(name: str) -> None:
    _hooks.pop(name, None)


def run_local_time_hooks(window: LocalTimeWindow) -> dict[str, int]:
    """Every hook, each on its own: one failing hook does not stop the others."""
    results: dict[str, int] = {}
    for name, hook in sorted(_hooks.items()):
        try:
            results[name] = hook(window)
        except Exception:
            logger.exception("local-time hook %s failed for %s-%s", name, window.start, window.end)
            results[name] = -1
    return results


# --- the daily digest (a hook of this app) ----------------------------------------------


def send_daily_digests(window: LocalTimeWindow) -> int:
    """Email each user who asked for it their unread notifications of the last day, once a local day.

    Due from NOTIFICATION_DIGEST_HOUR local time; a user whose quiet hours cover that hour
    gets it at the first tick after they end. Nothing unread, no email.
    """
    sent = 0
    rows = (
        NotificationSettings.unscoped.filter(daily_digest=True, user__is_active=True)
        .select_related("user__tenant", "user__profile")
        .order_by("pk")
    )
    for row in rows.iterator(chunk_size=500):
        if not _digest_due(row, window.end):
            continue
        try:
            sent += _send_digest(row, window.end)
        except Exception:  # one bad address or a template bug must not stop everyone after it
            logger.exception("daily digest for user %s failed", row.user_id)
    return sent


def _digest_due(row: NotificationSettings, now: datetime) -> bool:
    zone = row.user.profile.timezone
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    if local.time() < time(settings.NOTIFICATION_DIGEST_HOUR) or row.last_digest_on == local.date():
        return False
    if row.quiet_hours_start is not None and row.quiet_hours_end is not None:
        quiet = preferences.QuietHours(start=row.quiet_hours_start, end=row.quiet_hours_end, timezone=zone)
        if quiet.contains(now):
            return False
    return True


def _send_digest(row: NotificationSettings, now: datetime) -> int:
    """Claim the user's local day (a conditional UPDATE: overlapping ticks send one digest), then send.

    The send happens outside the claim's transaction. A mail server that is down releases the
    claim, so a later tick that day tries again; a refused address keeps it (tomorrow, again).
    """
    user = row.user
    local_day = now.astimezone(zoneinfo.ZoneInfo(user.profile.timezone)).date()
    claimed = (
        NotificationSettings.unscoped.filter(pk=row.pk)
        .exclude(last_digest_on=local_day)
        .update(last_digest_on=local_day)
    )
    if not claimed:
        return 0
    unread = list(
        Notification.objects.for_tenant(user.tenant_id)
        .filter(user=user, in_app=True, read_at__isnull=True, created_at__gte=now - timedelta(days=1))
        .order_by("-created_at")
        .values("title", "body", "type", "created_at")[:50]
    )
    if not unread:
        return 0
    try:
        _digest_email(user, unread, local_day).send()
    except smtplib.SMTPRecipientsRefused:
        raise
    except (smtplib.SMTPException, OSError):
        NotificationSettings.unscoped.filter(pk=row.pk, last_digest_on=local_day).update(
            last_digest_on=row.last_digest_on
        )
        raise
    return 1


def _digest_email(user: User, unread: list[dict[str, Any]], day: date) -> EmailMultiAlternatives:
    context = {
        "name": display_name(user),
        "brand": user.tenant.name,
        "items": unread,
        "day": day,
        "preferences_url": f"{settings.FRONTEND_URL.rstrip('/')}/settings/notifications",
        "inbox_url": f"{settings.FRONTEND_URL.rstrip('/')}/notifications",
    }
    count = len(unread)
    subject = f"{count} unread notification{'s' if count != 1 else ''} from {context['brand']}"
    email = EmailMultiAlternatives(
        subject=subject, body=render_to_string("notification/digest/digest.txt", context), to=[user.email]
    )
    email.attach_alternative(render_to_string("notification/digest/digest.html", context), "text/html")
    return email
