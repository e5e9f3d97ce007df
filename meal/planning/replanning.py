"""Adaptive re-planning: the user's measured TDEE moves the targets, and next week's plan follows.

``adaptive`` holds the method and its bounds; this module gathers the data (the diary's
energy per local day here, weights and measured expenditure from the health app through
``users.registry.daily_body_data``), records every decision in ``TargetChange`` (the targets
history) and queues the new plan. The weekly run is a local-time hook of the notification beat.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Sum
from django.db.models.functions import Cast

from fitcore.api.exceptions import ApplicationError
from users.models import Profile, User
from users.registry import daily_body_data

from ..models import FoodLogEntry, MealPlan, TargetChange
from ..selectors import targets_for
from ..targets import KCAL_FLOOR, SEX_CONSTANT, MissingProfileData, Targets, age_on
from . import adaptive, foods
from .catalogue import foods_for
from .generation import TARGET_KEYS, _profile, preferences_for, request_plan

logger = logging.getLogger(__name__)


def gather_daily_data(*, user: User, last_day: date) -> list[adaptive.DailyData]:
    """Diary energy per local day (SQL sum) with the health app's weights and expenditure."""
    first_day = last_day - timedelta(days=adaptive.WINDOW_DAYS - 1)
    energy = Sum(F("grams") * Cast(F("food__energy_kcal"), FloatField()) / 100.0)
    intake = dict(
        FoodLogEntry.objects.for_tenant(user.tenant_id)
        .filter(user=user, date__gte=first_day, date__lte=last_day)
        .values("date")
        .annotate(kcal=energy)
        .values_list("date", "kcal")
    )
    body = daily_body_data(user, first_day, last_day)
    days = sorted(set(intake) | set(body))
    return [
        adaptive.DailyData(
            day=day,
            intake_kcal=intake.get(day),
            weight_kg=(body.get(day) or {}).get("weight_kg"),
            expenditure_kcal=(body.get(day) or {}).get("expenditure_kcal"),
        )
        for day in days
    ]


def _floor(profile: Profile) -> int:
    """The safety floor: the higher of the BMR and the sex's floor (``meal.targets``)."""
    if not (profile.sex and profile.weight_kg and profile.height_cm and profile.birth_date):
        return KCAL_FLOOR.get(profile.sex or "female", 1200)
    age = age_on(profile.birth_date, profile.local_today)
    bmr = 10 * float(profile.weight_kg) + 6.25 * float(profile.height_cm) - 5 * age + SEX_CONSTANT[profile.sex]
    return round(max(bmr, KCAL_FLOOR[profile.sex]))


def _last_step(user: User, today: date) -> TargetChange | None:
    """The newest adaptive change that moved the targets within the last week, if any."""
    return (
        TargetChange.objects.for_tenant(user.tenant_id)
        .filter(
            user=user,
            changed=True,
            trigger__in=(TargetChange.Trigger.WEEKLY, TargetChange.Trigger.ADAPT),
            created_at__date__gt=today - timedelta(days=adaptive.STEP_INTERVAL_DAYS),
        )
        .order_by("-created_at")
        .first()
    )


def _next_request(plan: MealPlan, *, targets: Targets, start: date, goal: str, profile: Profile) -> dict[str, Any]:
    """Next week's request: the plan's own, with the new targets, a new seed, and without any food
    to include that the profile now forbids (recorded, not a failure every week)."""
    request = dict(plan.generation.get("request") or {})
    preferences = dict(request.get("preferences") or {})
    wanted = list(preferences.get("include_foods") or [])
    dropped: list[int] = []
    if wanted:
        prefs = preferences_for(profile, request)
        facts = {fact.id: fact for fact in foods_for(plan.user)[0]} if plan.user is not None else {}
        dropped = [food_id for food_id in wanted if food_id not in facts or foods.blocked_reason(facts[food_id], prefs)]
        preferences["include_foods"] = [food_id for food_id in wanted if food_id not in dropped]
    request.update(
        days=7,
        meals_per_day=request.get("meals_per_day", 4),
        targets=asdict(targets),
        preferences=preferences,
        start_date=start,
        name=f"Week of {start:%b} {start.day} (adapted)",
        goal=goal,
        adaptive=True,
        activate=True,
        seed=(int(plan.generation.get("seed") or 0) + start.toordinal()) % 2**31,
    )
    if dropped:
        request["dropped_include_foods"] = dropped
    return request


def adapt(
    *, plan: MealPlan, trigger: str, week_start: date | None = None
) -> tuple[TargetChange, MealPlan | None, bool]:
    """Estimate the user's TDEE, move the targets one safe step, and queue next week's plan.

    Returns ``(change, new plan or None, whether the change is new)``. Records a
    ``TargetChange`` even when nothing moves (``changed`` false, with the reason). Under the
    user's row lock, so concurrent runs cannot both step: the targets move at most once per
    ``STEP_INTERVAL_DAYS`` whoever asks (a weekly run after a recent ``adapt`` records why it
    kept them; ``adapt`` itself answers 409 ``adapted_recently``), and a weekly run writes one
    row per user and week (a second run returns the first). Raises ``MissingProfileData`` when
    the user's current targets cannot be known.
    """
    if plan.user is None:
        raise ValueError("a generated plan belongs to a user")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=plan.user.pk)
        profile = _profile(user)
        today = profile.local_today
        if trigger == TargetChange.Trigger.WEEKLY:
            existing = (
                TargetChange.objects.for_tenant(user.tenant_id)
                .filter(user=user, trigger=trigger, week_start=week_start)
                .first()
            )
            if existing is not None:
                return existing, None, False
        current_values = targets_for(user=user, profile=profile, today=today)["targets"]
        if any(current_values[key] is None for key in TARGET_KEYS):
            raise MissingProfileData([key for key in TARGET_KEYS if current_values[key] is None])
        current = Targets(**{key: int(current_values[key]) for key in TARGET_KEYS})
        recent = _last_step(user, today)
        if recent is not None and trigger == TargetChange.Trigger.ADAPT:
            again = recent.created_at.date() + timedelta(days=adaptive.STEP_INTERVAL_DAYS)
            raise ApplicationError(
                code="adapted_recently",
                message=f"The targets changed on {recent.created_at.date()}; the next step is possible on {again}.",
                status=409,
            )
        estimate = adaptive.estimate(gather_daily_data(user=user, last_day=today - timedelta(days=1)))
        goal = plan.goal or profile.fitness_goal or "maintain"
        if recent is not None:
            adjustment = adaptive.Adjustment(
                False,
                current,
                f"kept: the targets changed on {recent.created_at.date()}, less than a week ago",
                {**estimate.numbers, "previous_change": recent.pk},
            )
        else:
            adjustment = adaptive.adjust(
                current=current,
                tdee=estimate,
                goal=goal,
                floor_kcal=_floor(profile),
                pattern=profile.dietary_pattern or "",
            )
        new_plan = None
        try:
            with transaction.atomic():
                change = TargetChange.objects.create(
                    tenant_id=user.tenant_id,
                    user=user,
                    trigger=trigger,
                    week_start=week_start,
                    changed=adjustment.changed,
                    kcal_before=current.kcal,
                    kcal_after=adjustment.targets.kcal,
                    before=asdict(current),
                    after=asdict(adjustment.targets),
                    tdee_kcal=estimate.tdee_kcal,
                    reason=adjustment.reason[:500],
                    numbers=adjustment.numbers,
                )
                if adjustment.changed:
                    from ..services import target_override_set

                    target_override_set(user=user, values=asdict(adjustment.targets))
                    request = _next_request(
                        plan, targets=adjustment.targets, start=week_start or today, goal=goal, profile=profile
                    )
                    new_plan = request_plan(
                        user=user, request=request, requested_by=plan.generation.get("requested_by", "user")
                    )
                    change.plan = new_plan
                    change.save(update_fields=["plan"])
        except IntegrityError:  # a weekly row for this week exists (written by a concurrent run)
            existing = TargetChange.objects.for_tenant(user.tenant_id).get(
                user=user, trigger=trigger, week_start=week_start
            )
            return existing, None, False
    return change, new_plan, True


def record_manual_change(*, user: User, before: dict[str, Any], after: dict[str, Any]) -> None:
    """The user's own targets, in the same history as the adaptive changes."""
    if before == after:
        return
    TargetChange.objects.create(
        tenant_id=user.tenant_id,
        user=user,
        trigger=TargetChange.Trigger.MANUAL,
        changed=True,
        kcal_before=before.get("kcal"),
        kcal_after=after.get("kcal"),
        before=before,
        after=after,
        reason="set by the user",
        numbers={},
    )


def run_weekly_adaptation(window: Any) -> int:
    """Monday 06:00 local: adapt every active generated plan with ``adaptive`` on, once per user and
    week. Users need premium access, unless their app's API key asked for the plan (the partner
    pays). Returns how many users got a new row this run."""
    from datetime import time
    from zoneinfo import ZoneInfo

    from payment.selectors import has_active_access

    adapted = 0
    for zone in window.zones_at(time(6, 0), weekday=0):
        week_start = window.end.astimezone(ZoneInfo(zone)).date()  # the Monday this tick covered
        if week_start.weekday() != 0:
            week_start = window.start.astimezone(ZoneInfo(zone)).date()
        plans = (
            MealPlan.objects.filter(
                status=MealPlan.Status.ACTIVE,
                source__in=(MealPlan.Source.OPTIMIZER, MealPlan.Source.AI),
                user__profile__timezone=zone,
                user__is_active=True,
                generation__request__adaptive=True,
            )
            .select_related("user")
            .order_by("pk")
        )
        for plan in plans.iterator(chunk_size=200):
            try:
                by_partner = plan.generation.get("requested_by") == "api_key"
                if plan.user is None or not (by_partner or has_active_access(plan.user)):
                    continue
                _, _, created = adapt(plan=plan, trigger=TargetChange.Trigger.WEEKLY, week_start=week_start)
                adapted += created
            except MissingProfileData:
                continue
            except Exception:  # one user's failure does not stop the others
                logger.exception("weekly adaptation failed", extra={"plan_id": plan.pk})
    return adapted
