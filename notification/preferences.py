"""Who gets what where: the type x channel matrix (defaults in settings, overrides in rows) and quiet hours.

Pure functions over plain values, so the rules are tested without a database and the
same code answers the API (``GET /notifications/preferences/``) and the sender.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings

from .models import LOCKED_CHANNELS, Channel, NotificationType

CHANNELS: tuple[str, ...] = tuple(Channel.values)
TYPES: tuple[str, ...] = tuple(NotificationType.values)

Matrix = dict[str, dict[str, bool]]


def default_matrix() -> Matrix:
    """Settings' defaults for every type and channel; a type or channel they omit is on."""
    configured = getattr(settings, "NOTIFICATION_DEFAULTS", {})
    matrix = {
        kind: {channel: bool(configured.get(kind, {}).get(channel, True)) for channel in CHANNELS} for kind in TYPES
    }
    for kind, channel in LOCKED_CHANNELS:
        matrix[kind][channel] = True
    return matrix


def effective_matrix(overrides: Iterable[tuple[str, str, bool]]) -> Matrix:
    """The defaults with a user's stored choices ``(type, channel, enabled)`` applied; locked pairs stay on."""
    matrix = default_matrix()
    for kind, channel, enabled in overrides:
        if kind in matrix and channel in matrix[kind] and (kind, channel) not in LOCKED_CHANNELS:
            matrix[kind][channel] = enabled
    return matrix


def is_locked(kind: str, channel: str) -> bool:
    return (kind, channel) in LOCKED_CHANNELS


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    timezone: str

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(zoneinfo.ZoneInfo(self.timezone)).time().replace(tzinfo=None)
        if self.start == self.end:
            return False  # an empty window, not a whole day
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight

    def next_end(self, moment: datetime) -> datetime:
        """The first moment after ``moment`` outside the window (``moment`` itself if outside).

        The end is a local wall-clock time, so a DST change moves it with the clock (07:00
        stays 07:00 local). Each candidate (today's and tomorrow's, either reading of a wall
        time the fall-back repeats) is compared as an instant: during the repeated hour, the
        end's first occurrence may already lie in the past while the window still holds.
        An end inside a spring-forward gap is read with the offset before the change, so it
        falls up to an hour after the jump, never before it.
        """
        if not self.contains(moment):
            return moment
        zone = zoneinfo.ZoneInfo(self.timezone)
        local_day = moment.astimezone(zone).date()
        for day in (local_day, local_day + timedelta(days=1)):
            for fold in (0, 1):
                end = datetime.combine(day, self.end, tzinfo=zone).replace(fold=fold)
                if end.astimezone(UTC) > moment.astimezone(UTC) and not self.contains(end):
                    return end.astimezone(moment.tzinfo)
        raise AssertionError("a window shorter than a day always ends within two days")  # pragma: no cover


def hold_until(quiet: QuietHours | None, kind: str, channel: str, now: datetime) -> datetime:
    """When a delivery of ``kind`` on ``channel`` may go out: now, or when quiet hours end.

    Locked (security) mail is never held: a "your password was changed" email that arrives
    eight hours later is useless.
    """
    if quiet is None or is_locked(kind, channel):
        return now
    return quiet.next_end(now)
