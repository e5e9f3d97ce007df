"""Program-day reminders at each user's chosen local time (a notification local-time hook).

Every tick, for each active enrollment with a reminder time, the hook asks the tick's window
whether that local time just passed in the user's zone; if so and the day is a workout day
of the program, it notifies once (the dedupe key names the enrollment and the local date).
"""

from __future__ import annotations

import logging
import zoneinfo
from typing import TYPE_CHECKING

from notification.models import NotificationType
from notification.services import notify

from .models import ProgramDay, ProgramEnrollment

if TYPE_CHECKING:
    from notification.schedule import LocalTimeWindow

logger = logging.getLogger(__name__)


def send_due_reminders(window: LocalTimeWindow) -> int:
    sent = 0
    enrollments = (
        ProgramEnrollment.unscoped.filter(
            status=ProgramEnrollment.Status.ACTIVE, reminder_time__isnull=False, user__is_active=True
        )
        .select_related("user__profile", "user__tenant", "program")
        .order_by("pk")
    )
    for enrollment in enrollments.iterator(chunk_size=500):
        zone = enrollment.user.profile.timezone
        moment = window.local_occurrence(zone, enrollment.reminder_time) if enrollment.reminder_time else None
        if moment is None:
            continue
        local_day = moment.astimezone(zoneinfo.ZoneInfo(zone)).date()
        day_number = enrollment.day_on(local_day)
        if not 1 <= day_number <= enrollment.program.length_days:
            continue
        day = (
            ProgramDay.objects.filter(program_id=enrollment.program_id, day_number=day_number)
            .select_related("workout")
            .first()
        )
        if day is None or day.workout is None:  # a rest day: nothing to remind of
            continue
        try:
            notify(
                user=enrollment.user,
                type=NotificationType.WORKOUT_REMINDER,
                title=f"Today: {day.workout.title}",
                body=f"Day {day_number} of {enrollment.program.title}, {day.workout.duration_minutes} minutes.",
                data={"program": enrollment.program_id, "day": day_number, "workout": day.workout.pk},
                link=f"/workouts/programs/{enrollment.program_id}/today",
                dedupe_key=f"program-reminder:{enrollment.pk}:{local_day.isoformat()}",
            )
            sent += 1
        except Exception:  # one user's failure must not stop the others' reminders
            logger.exception("program reminder for enrollment %s failed", enrollment.pk)
    return sent
