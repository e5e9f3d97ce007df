"""Achievements: a small rules engine.

Each rule reads one fact about the user (sessions logged, longest streak...) and has a
target. ``evaluate(user)`` is called by the services after a write that can change a fact
(a session logged or imported, a program finished, the profile's weight changed); it
awards each newly reached rule once (a unique row per user and code) and notifies it once
(a dedupe key per code), so a retried or concurrent call awards and notifies nothing twice.
Facts are computed from the stored rows, so back-dated sessions count like any other.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from notification.models import NotificationType
from notification.services import notify
from users.models import Profile

from .models import ExerciseSet, ProgramEnrollment, TrainingBaseline, UserAchievement, WorkoutSession

if TYPE_CHECKING:
    from users.models import User

logger = logging.getLogger(__name__)

WEIGHT_CHANGE_PERCENT = Decimal(5)


@dataclass(frozen=True)
class Facts:
    sessions: int
    longest_streak_days: int
    personal_records: int
    programs_completed: int
    weight_change_toward_goal_percent: Decimal | None  # None: no goal direction or no weights


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    description: str
    target: float
    measure: Callable[[Facts], float | None]


RULES: tuple[Rule, ...] = (
    Rule("first_workout", "First workout", "Log your first session.", 1, lambda f: f.sessions),
    Rule("sessions_5", "Five sessions", "Log 5 sessions.", 5, lambda f: f.sessions),
    Rule("sessions_25", "Twenty-five sessions", "Log 25 sessions.", 25, lambda f: f.sessions),
    Rule("sessions_100", "A hundred sessions", "Log 100 sessions.", 100, lambda f: f.sessions),
    Rule(
        "streak_7",
        "Seven-day streak",
        "Train on 7 days in a row (your calendar days).",
        7,
        lambda f: f.longest_streak_days,
    ),
    Rule(
        "personal_record",
        "Personal record",
        "Lift more on an exercise than in any earlier session.",
        1,
        lambda f: f.personal_records,
    ),
    Rule("program_finished", "Program finished", "Complete a training program.", 1, lambda f: f.programs_completed),
    Rule(
        "weight_change_5",
        "Five percent closer",
        "Change your body weight by 5 % toward your goal (lose or gain), from when you started here.",
        float(WEIGHT_CHANGE_PERCENT),
        lambda f: None if f.weight_change_toward_goal_percent is None else float(f.weight_change_toward_goal_percent),
    ),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}


def longest_streak(days: list[date]) -> int:
    """The longest run of consecutive calendar days in ``days`` (any order, duplicates allowed)."""
    best = run = 0
    previous: date | None = None
    for day in sorted(set(days)):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best


def facts_for(user: User, *, baseline: TrainingBaseline | None = None) -> Facts:
    """Every fact in a handful of queries, whatever the user's history."""
    sessions = WorkoutSession.objects.for_tenant(user.tenant_id).filter(user=user)
    profile = Profile.objects.for_tenant(user.tenant_id).get(user=user)
    zone = zoneinfo.ZoneInfo(profile.timezone)
    days = [moment.astimezone(zone).date() for moment in sessions.values_list("started_at", flat=True)]
    # A record: a working set heavier than every set of the same exercise in earlier sessions,
    # when there was an earlier one (the first set ever logged beats nothing).
    sets = ExerciseSet.objects.for_tenant(user.tenant_id).filter(
        user=user, is_warmup=False, weight_kg__isnull=False, reps__gt=0
    )
    earlier = sets.filter(exercise_id=OuterRef("exercise_id"), session__started_at__lt=OuterRef("session__started_at"))
    earlier_best = earlier.order_by().values("exercise_id").annotate(best=Max("weight_kg")).values("best")
    records = sets.filter(Exists(earlier)).filter(weight_kg__gt=earlier_best[:1])
    completed = ProgramEnrollment.objects.for_tenant(user.tenant_id).filter(
        user=user, status=ProgramEnrollment.Status.COMPLETED
    )
    if baseline is None:
        baseline = TrainingBaseline.objects.for_tenant(user.tenant_id).filter(user=user).first()
    return Facts(
        sessions=len(days),
        longest_streak_days=longest_streak(days),
        personal_records=1 if records.exists() else 0,
        programs_completed=completed.count(),
        weight_change_toward_goal_percent=_weight_change(profile, baseline),
    )


def _weight_change(profile: Profile, baseline: TrainingBaseline | None) -> Decimal | None:
    """How far the weight moved toward the goal since the baseline, in % of the baseline weight."""
    direction = {Profile.FitnessGoal.LOSE: -1, Profile.FitnessGoal.GAIN: 1}.get(profile.fitness_goal)  # type: ignore[call-overload]
    if direction is None or baseline is None or baseline.weight_kg is None or profile.weight_kg is None:
        return None
    change = (profile.weight_kg - baseline.weight_kg) / baseline.weight_kg * 100 * direction
    return max(change, Decimal(0)).quantize(Decimal("0.1"))


def baseline_for(user: User) -> TrainingBaseline:
    """The user's baseline: the profile's weight the first time it is asked for with a weight known.

    Recorded on the first evaluation; a user without a weight then gets the first weight they
    enter, so the rule stays reachable.
    """
    weight = Profile.objects.for_tenant(user.tenant_id).values_list("weight_kg", flat=True).get(user=user)
    existing = TrainingBaseline.objects.for_tenant(user.tenant_id).filter(user=user).first()
    if existing is not None:
        if existing.weight_kg is None and weight is not None:
            TrainingBaseline.objects.for_tenant(user.tenant_id).filter(pk=existing.pk, weight_kg__isnull=True).update(
                weight_kg=weight, recorded_at=timezone.now()
            )
            existing.refresh_from_db()
        return existing
    try:
        with transaction.atomic():
            return TrainingBaseline.objects.create(
                tenant_id=user.tenant_id, user=user, weight_kg=weight, recorded_at=timezone.now()
            )
    except IntegrityError:  # a concurrent first call recorded it
        return TrainingBaseline.objects.for_tenant(user.tenant_id).get(user=user)


def evaluate(user: User) -> list[UserAchievement]:
    """Award every rule ``user`` now meets and has not earned; notify each award once."""
    baseline = baseline_for(user)
    facts = facts_for(user, baseline=baseline)
    earned = set(UserAchievement.objects.for_tenant(user.tenant_id).filter(user=user).values_list("code", flat=True))
    awarded: list[UserAchievement] = []
    for rule in RULES:
        value = rule.measure(facts)
        if rule.code in earned or value is None or value < rule.target:
            continue
        try:
            with transaction.atomic():
                row = UserAchievement.objects.create(
                    tenant_id=user.tenant_id,
                    user=user,
                    code=rule.code,
                    earned_at=timezone.now(),
                    data={"value": value, "target": rule.target},
                )
        except IntegrityError:  # awarded by a concurrent call: it notifies
            continue
        awarded.append(row)
        transaction.on_commit(partial(_notify_award, user, rule))
    return awarded


def _notify_award(user: User, rule: Rule) -> None:
    try:
        notify(
            user=user,
            type=NotificationType.ACHIEVEMENT_UNLOCKED,
            title=f"Achievement unlocked: {rule.title}",
            body=rule.description,
            data={"achievement": rule.code},
            link="/workouts/achievements",
            dedupe_key=f"achievement:{rule.code}",
        )
    except Exception:  # the award stands; a failed notification must not fail the user's write
        logger.exception("achievement notification %s for user %s failed", rule.code, user.pk)


def achievements_for(user: User) -> list[dict[str, Any]]:
    """Every rule, earned (with when) or locked (with progress toward its target). Reads only."""
    facts = facts_for(user)
    earned = {row.code: row for row in UserAchievement.objects.for_tenant(user.tenant_id).filter(user=user).order_by()}
    result = []
    for rule in RULES:
        row = earned.get(rule.code)
        value = rule.measure(facts)
        current = rule.target if row is not None else min(value or 0, rule.target)
        result.append(
            {
                "code": rule.code,
                "title": rule.title,
                "description": rule.description,
                "earned": row is not None,
                "earned_at": row.earned_at if row is not None else None,
                "progress": {"current": current, "target": rule.target},
            }
        )
    return result


def on_profile_changed(user: User, changed: list[str]) -> None:
    """The weight rule reads the profile: a new weight or goal may earn it (users.registry listener)."""
    if {"weight_kg", "fitness_goal"} & set(changed):
        with transaction.atomic():
            evaluate(user)
