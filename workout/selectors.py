"""Reads of the workout area that views and other apps share.

Visibility of the catalogue (workouts, programs, exercises):
- FitCore's rows (no tenant) are read by everyone when published; staff change them in the admin;
- a tenant's rows are read by its members when published, and managed (published or not) by
  its API keys and tenant admins;
- anonymous callers read FitCore's published workouts and programs (metadata only);
- a user's own generated programs and their workouts (``owner``) are read and edited by that
  user, and managed by the tenant's API keys and admins like any tenant row; never published.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from .models import SESSION_FIELDS, ExerciseSet, FavoriteWorkout, ProgramEnrollment, WorkoutSession

if TYPE_CHECKING:
    from users.models import User

# Epley: 1RM = w x (1 + reps / 30). Sets of more than this many reps say little about a
# one-rep maximum, so they do not count toward the estimate (they still count as volume).
EPLEY_MAX_REPS = 12


def catalogue_visibility(
    *, tenant: Any, manages_tenant: bool, user: Any = None, all_owned: bool = False, prefix: str = ""
) -> Q:
    """Which catalogue rows (workouts, programs) a caller reads: see the module docstring.

    ``user``: the signed-in user, whose own generated rows are added. ``all_owned``: every
    user's generated rows too (API keys, which act for the tenant's users; a tenant admin's
    login manages the catalogue, not members' private data). ``prefix`` applies it through a
    relation (``"workout__"`` for a workout's videos).
    """
    fitcore = Q(**{f"{prefix}tenant__isnull": True, f"{prefix}published": True})
    if tenant is None:
        return fitcore
    if manages_tenant and all_owned:
        return Q(**{f"{prefix}tenant": tenant}) | fitcore
    if manages_tenant:
        shared = Q(**{f"{prefix}tenant": tenant, f"{prefix}owner__isnull": True}) | fitcore
    else:
        # Owned rows are never published (a check constraint), so this leaves them out.
        shared = Q(**{f"{prefix}tenant": tenant, f"{prefix}published": True}) | fitcore
    if user is None:
        return shared
    return shared | Q(**{f"{prefix}tenant": tenant, f"{prefix}owner": user})


def favorite_workout_ids(*, user: User) -> set[int]:
    return set(
        FavoriteWorkout.objects.for_tenant(user.tenant_id).filter(user=user).values_list("workout_id", flat=True)
    )


def _working_sets(user: User) -> QuerySet[ExerciseSet]:
    """A user's sets that count for records: not warm-ups, with reps and a load."""
    return ExerciseSet.objects.for_tenant(user.tenant_id).filter(
        user=user, is_warmup=False, reps__gt=0, weight_kg__isnull=False
    )


# In floating point on both databases: SQLite would divide the integer reps by 30 as integers.
EPLEY = ExpressionWrapper(
    Cast("weight_kg", FloatField()) * (Value(1.0) + Cast("reps", FloatField()) / Value(30.0)),
    output_field=FloatField(),
)
VOLUME = ExpressionWrapper(F("weight_kg") * F("reps"), output_field=DecimalField(max_digits=12, decimal_places=2))


def personal_records(*, user: User, exercise_id: int | None = None) -> list[dict[str, Any]]:
    """Per exercise: heaviest weight, most reps at that weight, best Epley 1RM, best set and session volume.

    Everything is computed by the database: one grouped query for the maxima, and one
    query per record kind that picks the set (and its date) behind each maximum with
    ``DISTINCT ON``-free window-less subqueries, so it works on SQLite as on PostgreSQL.
    """
    sets = _working_sets(user)
    if exercise_id is not None:
        sets = sets.filter(exercise_id=exercise_id)
    sets_of = sets.filter(exercise_id=OuterRef("exercise_id"))
    heaviest = sets_of.order_by("-weight_kg", "-reps", "session__started_at", "id")
    best_1rm = sets_of.filter(reps__lte=EPLEY_MAX_REPS).annotate(e1rm=EPLEY).order_by("-e1rm", "session__started_at")
    best_set_volume = sets_of.annotate(volume=VOLUME).order_by("-volume", "session__started_at")
    rows = (
        sets.order_by()
        .values("exercise_id", "exercise__name")
        .annotate(
            heaviest_weight_kg=Max("weight_kg"),
            heaviest_on=Subquery(heaviest.values("session__started_at")[:1]),
            reps_at_heaviest=Subquery(heaviest.values("reps")[:1]),
            most_reps=Max("reps"),
            estimated_1rm_kg=Subquery(best_1rm.values("e1rm")[:1]),
            estimated_1rm_on=Subquery(best_1rm.values("session__started_at")[:1]),
            best_set_volume_kg=Subquery(best_set_volume.values("volume")[:1]),
            sets_logged=Count("id"),
            sessions_logged=Count("session_id", distinct=True),
        )
        .order_by("exercise__name", "exercise_id")
    )
    records: list[dict[str, Any]] = [dict(row) for row in rows]
    if not records:
        return []
    # Best session volume: sum per (exercise, session), then the maximum per exercise.
    per_session = (
        sets.order_by()
        .values("exercise_id", "session_id")
        .annotate(volume=Sum(VOLUME))
        .values_list("exercise_id", "volume")
    )
    best_session: dict[int, Decimal] = {}
    for exercise, volume in per_session:
        if volume is not None and volume > best_session.get(exercise, Decimal(-1)):
            best_session[exercise] = volume
    for record in records:
        record["exercise_name"] = record.pop("exercise__name")
        record["best_session_volume_kg"] = best_session.get(record["exercise_id"])
        if record["estimated_1rm_kg"] is not None:
            record["estimated_1rm_kg"] = Decimal(str(round(record["estimated_1rm_kg"], 1)))
    return records


def exercise_history(*, user: User, exercise_id: int) -> QuerySet[Any]:
    """A user's sets of one exercise, newest session first (the caller paginates)."""
    return (
        ExerciseSet.objects.for_tenant(user.tenant_id)
        .filter(user=user, exercise_id=exercise_id)
        .select_related("session")
        .annotate(session_started_at=F("session__started_at"))
        .order_by("-session__started_at", "-session_id", "set_number", "id")
    )


def session_count(*, user: User) -> int:
    return WorkoutSession.objects.for_tenant(user.tenant_id).filter(user=user).count()


def session_days(*, user: User, since: datetime | None = None) -> list[date]:
    """The distinct local dates (the user's time zone) the user trained on, newest first."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(user.profile.timezone)
    sessions = WorkoutSession.objects.for_tenant(user.tenant_id).filter(user=user)
    if since is not None:
        sessions = sessions.filter(started_at__gte=since)
    days = {moment.astimezone(zone).date() for moment in sessions.values_list("started_at", flat=True)}
    return sorted(days, reverse=True)


def active_enrollments(*, user: User) -> QuerySet[ProgramEnrollment]:
    return (
        ProgramEnrollment.objects.for_tenant(user.tenant_id)
        .filter(user=user, status=ProgramEnrollment.Status.ACTIVE)
        .select_related("program")
    )


def training_totals(*, user: User) -> dict[str, Any]:
    """Totals for the dashboard: sessions, the last one, and volume lifted (all in SQL)."""
    sessions = WorkoutSession.objects.for_tenant(user.tenant_id).filter(user=user)
    totals = sessions.aggregate(sessions=Count("id"), last_session_at=Max("started_at"))
    volume = _working_sets(user).aggregate(volume=Coalesce(Sum(VOLUME), Value(Decimal(0))))["volume"]
    return {**totals, "volume_kg": volume}


def dashboard_section(user: User) -> dict[str, Any]:
    """``workouts`` on the user dashboard: totals, active programs and achievements earned."""
    from .models import UserAchievement

    totals = training_totals(user=user)
    return {
        **totals,
        "active_programs": [
            {"id": row.program_id, "title": row.program.title, "start_date": row.start_date}
            for row in active_enrollments(user=user)
        ],
        "achievements_earned": UserAchievement.objects.for_tenant(user.tenant_id).filter(user=user).count(),
    }


def export_section(user: User) -> dict[str, Any]:
    """Everything of the user's in this app, for the personal-data export."""
    from .models import ActivityImport, Program, UserAchievement, Workout, WorkoutExercise, WorkoutProgress

    tenant = user.tenant_id
    exercises: dict[int, list[dict[str, Any]]] = {}
    for row in (
        WorkoutExercise.objects.filter(workout__tenant_id=tenant, workout__owner=user)
        .order_by("workout_id", "position")
        .values(
            "workout_id", "position", "exercise_id", "target_sets", "target_reps", "target_duration_seconds",
            "rest_seconds", "warmup_sets",
        )
    ):  # fmt: skip
        item: dict[str, Any] = dict(row)
        exercises.setdefault(item.pop("workout_id"), []).append(item)
    sessions = list(
        WorkoutSession.objects.for_tenant(tenant)
        .filter(user=user)
        .order_by("started_at", "id")
        .values(
            "id", *(f"{name}_id" if name == "workout" else name for name in SESSION_FIELDS), "source", "external_id"
        )
    )
    sets = list(
        ExerciseSet.objects.for_tenant(tenant)
        .filter(user=user)
        .order_by("session_id", "exercise_id", "set_number")
        .values(
            "session_id",
            "exercise_id",
            "exercise__name",
            "set_number",
            "reps",
            "weight_kg",
            "duration_seconds",
            "distance_m",
            "rpe",
            "is_warmup",
        )
    )
    return {
        "sessions": sessions,
        "sets": sets,
        "progress": list(
            WorkoutProgress.objects.for_tenant(tenant)
            .filter(user=user)
            .values("workout_id", "progress_percentage", "started_at", "completed_at")
        ),
        "favorites": sorted(favorite_workout_ids(user=user)),
        "enrollments": list(
            ProgramEnrollment.objects.for_tenant(tenant)
            .filter(user=user)
            .values("program_id", "start_date", "status", "reminder_time", "completed_at")
        ),
        "achievements": list(
            UserAchievement.objects.for_tenant(tenant).filter(user=user).values("code", "earned_at", "data")
        ),
        "imports": list(
            ActivityImport.objects.for_tenant(tenant)
            .filter(user=user)
            .values("file_name", "file_format", "status", "message", "session_id", "created_at")
        ),
        # Generated for the user: the programs (with what produced them) and their days' workouts.
        "generated_programs": list(
            Program.objects.filter(tenant_id=tenant, owner=user)
            .order_by("id")
            .values("id", "title", "weeks", "difficulty", "goals", "generation_status", "generation", "created_at")
        ),
        "generated_workouts": [
            {**row, "exercises": exercises.get(row["id"], [])}
            for row in Workout.objects.filter(tenant_id=tenant, owner=user)
            .order_by("id")
            .values("id", "title", "description", "duration_minutes")
        ],
    }


def weekly_report_section(user: User, first_day: date, last_day: date) -> dict[str, Any]:
    """``workouts`` in the health app's weekly report: sessions, minutes and volume of the week,
    the week being the user's local days ``first_day``..``last_day`` (two queries)."""
    import zoneinfo
    from datetime import time, timedelta

    zone = zoneinfo.ZoneInfo(user.profile.timezone)
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    sessions = WorkoutSession.objects.for_tenant(user.tenant_id).filter(
        user=user, started_at__gte=start, started_at__lt=end
    )
    rows = list(sessions.values_list("started_at", "ended_at"))
    minutes = sum((ended - started).total_seconds() / 60 for started, ended in rows if ended is not None)
    volume = (
        _working_sets(user)
        .filter(session__started_at__gte=start, session__started_at__lt=end)
        .aggregate(volume=Coalesce(Sum(VOLUME), Value(Decimal(0))))["volume"]
    )
    return {
        "sessions": len(rows),
        "active_days": len({started.astimezone(zone).date() for started, _ in rows}),
        "minutes": round(minutes),
        "volume_kg": float(volume),
    }
