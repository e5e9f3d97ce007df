"""Generating a meal plan: the request (a pending plan), the task's run, and deleting what it wrote.

``foods`` decides what may be eaten, ``optimizer`` what and how much, ``llm`` (when
``OPENAI_API_KEY`` is set) proposes which foods make each meal. This module reads the rows
they need, records what produced each plan on the plan (``MealPlan.generation``: generator
and version, the request, the targets, the seed, the LLM's model and prompt version or why it
was not used, and the result's deviations), and writes the plan as ordinary meals and
scheduled meals, so a generated plan is read, edited, logged and copied like any other.

Reproducible: the same request, targets, seed and food catalogue give the same plan (the
LLM, when used, is the one part outside our control, and what it answered is recorded).
"""

from __future__ import annotations

import logging
import random
import secrets
from datetime import date
from typing import Any

from django.db import transaction

from fitcore import llm
from fitcore.api.exceptions import ApplicationError
from fitcore.api.tasks import enqueue_after_commit
from notification.services import notify
from users.models import Profile, User

from ..models import Meal, MealItem, MealPlan, ScheduledMeal
from ..selectors import targets_for
from ..targets import MissingProfileData
from . import foods, optimizer
from . import llm as meal_llm
from .catalogue import foods_for

logger = logging.getLogger(__name__)

GENERATOR = "fitcore-meal-optimizer"
GENERATOR_VERSION = "1.0"
# The LLM sees at most this many candidates (sampled with the plan's seed).
LLM_CANDIDATES = 240
TARGET_KEYS = ("kcal", "protein_g", "carbohydrate_g", "fat_g")


# --- requests -------------------------------------------------------------------------


def _profile(user: User) -> Profile:
    return Profile.objects.for_tenant(user.tenant_id).get(user=user)


def preferences_for(profile: Profile, request: dict[str, Any]) -> foods.Preferences:
    """The profile's diet, allergens and excluded foods with the request's preferences."""
    wanted = request.get("preferences") or {}
    return foods.Preferences(
        dietary_pattern=profile.dietary_pattern or "",
        allergens=frozenset(profile.allergens or ()),
        excluded=tuple(profile.excluded_foods or ()),
        include_ids=tuple(wanted.get("include_foods") or ()),
        cuisines=tuple(wanted.get("cuisines") or ()),
        budget=wanted.get("budget") or "",
        fiber_min_g=wanted.get("fiber_min_g"),
        sodium_max_mg=wanted.get("sodium_max_mg"),
    )


def resolve_targets(*, user: User, profile: Profile, goal: str, given: dict[str, Any] | None) -> dict[str, int]:
    """The request's targets, the rest from the user's (their overrides, else computed with ``goal``).

    Raises ``MissingProfileData`` when something is neither given nor computable.
    """
    given = {key: value for key, value in (given or {}).items() if value is not None}
    if all(key in given for key in TARGET_KEYS):
        return {key: int(given[key]) for key in TARGET_KEYS}
    if goal and goal != profile.fitness_goal:
        profile = Profile(**{f.attname: getattr(profile, f.attname) for f in Profile._meta.concrete_fields})
        profile.fitness_goal = goal
    known = targets_for(user=user, profile=profile, today=profile.local_today)["targets"]
    merged = {key: given.get(key, known[key]) for key in TARGET_KEYS}
    missing = [key for key, value in merged.items() if value is None]
    if missing:
        raise MissingProfileData(missing)
    return {key: int(value) for key, value in merged.items()}


def _check_includes(prefs: foods.Preferences, user: User) -> None:
    """Foods asked for that the profile forbids are a 400 naming why, not a silent omission."""
    if not prefs.include_ids:
        return
    facts, _ = foods_for(user)
    by_id = {fact.id: fact for fact in facts}
    errors = []
    for index, food_id in enumerate(prefs.include_ids):
        fact = by_id.get(food_id)
        reason = (
            "it is not one this user can eat (another user's private food, or a food without energy)"
            if fact is None
            else foods.blocked_reason(fact, prefs)
        )
        if reason is not None:
            errors.append(
                {
                    "field": f"preferences.include_foods[{index}]",
                    "code": "food_not_allowed",
                    "message": f"Food {food_id} cannot be in your plan: {reason}.",
                }
            )
    if errors:
        raise ApplicationError(
            code="food_not_allowed",
            message="A food to include is not allowed by your profile or cannot be planned.",
            status=400,
            errors=errors,
        )


def request_plan(*, user: User, request: dict[str, Any], enqueue: bool = True, requested_by: str = "user") -> MealPlan:
    """A pending plan and its generation queued; the task fills it (``run_plan``).

    ``request``: days, meals_per_day, goal, targets, preferences, start_date, name, seed,
    adaptive, activate (validated by the serializer). ``requested_by``: ``user`` (premium
    access applies) or ``api_key`` (the partner's quota does; the weekly re-planning honours
    it). Raises ``MissingProfileData`` when the targets cannot be known and
    ``ApplicationError`` for foods that cannot be included.
    """
    profile = _profile(user)
    goal = request.get("goal") or profile.fitness_goal or ""
    targets = resolve_targets(user=user, profile=profile, goal=goal, given=request.get("targets"))
    prefs = preferences_for(profile, request)
    _check_includes(prefs, user)
    seed = request.get("seed")
    if seed is None:
        seed = secrets.randbelow(2**31)
    days = request["days"]
    stored = {
        key: (value.isoformat() if isinstance(value, date) else value)
        for key, value in request.items()
        if key not in ("user",)
    }
    stored["seed"] = seed
    plan = MealPlan(
        tenant_id=user.tenant_id,
        user=user,
        name=request.get("name") or f"Generated plan, {days} day{'s' if days > 1 else ''}",
        description="Generated for your targets, diet and preferences.",
        goal=goal,
        duration_days=days,
        start_date=request.get("start_date"),
        target_kcal=targets["kcal"],
        target_protein_g=targets["protein_g"],
        target_carbohydrate_g=targets["carbohydrate_g"],
        target_fat_g=targets["fat_g"],
        source=MealPlan.Source.OPTIMIZER,
        generation_status=MealPlan.GenerationStatus.PENDING,
        generation={
            "generator": GENERATOR,
            "version": GENERATOR_VERSION,
            "request": stored,
            "targets": targets,
            "seed": seed,
            "requested_by": requested_by,
            "profile": {
                "dietary_pattern": prefs.dietary_pattern,
                "allergens": sorted(prefs.allergens),
                "excluded_foods": list(prefs.excluded),
            },
        },
    )
    plan.full_clean()
    plan.save()
    if enqueue:  # False: the caller runs it (run_plan) itself, as the demo data does
        from ..tasks import generate_meal_plan  # the task module imports this one

        enqueue_after_commit(generate_meal_plan, plan_id=plan.pk)
    return plan


# --- running a generation ---------------------------------------------------------------


def _llm_proposals(
    *, candidates: list[foods.Candidate], blocked: dict[int, str], plan: MealPlan, prefs: foods.Preferences, seed: int
) -> tuple[dict[tuple[int, int], list[int]] | None, dict[str, Any]]:
    """The LLM's dishes per meal, or None and why not (recorded on the plan either way)."""
    if not llm.enabled():
        return None, {"used": False, "reason": "disabled"}

    rng = random.Random(seed)  # noqa: S311  (reproducible sampling, not secrecy)
    offered = rng.sample(candidates, min(LLM_CANDIDATES, len(candidates)))
    meals_per_day = plan.generation["request"]["meals_per_day"]
    slots = [
        (day, index, meal_time)
        for day in range(1, plan.duration_days + 1)
        for index, meal_time in enumerate(optimizer.SLOTS[meals_per_day])
    ]
    preferences = {"cuisines": list(prefs.cuisines), "budget": prefs.budget or None}
    try:
        proposal = meal_llm.propose(
            candidates=[candidate.food for candidate in offered], slots=slots, preferences=preferences, blocked=blocked
        )
    except llm.LLMFailure as failure:
        logger.info("meal plan %s: LLM fell back to the optimizer (%s)", plan.pk, failure.kind)
        return None, {
            "used": False,
            "fallback": True,
            "failure": {"kind": failure.kind, "detail": failure.detail},
            "model": llm.default_model(),
            "prompt_version": meal_llm.PROMPT_VERSION,
        }
    meta = {key: value for key, value in proposal.meta.items() if key != "prompt_version"}
    return proposal.foods, {"used": True, "prompt_version": meal_llm.PROMPT_VERSION, **meta}


def _write_days(
    *, plan: MealPlan, result: optimizer.PlanResult, portion_ids: dict[int, int], names: dict[int, str]
) -> None:
    user = plan.user
    meals: list[Meal] = []
    placements: list[tuple[Meal, optimizer.PlannedMeal, int]] = []
    for day in result.days:
        for planned in day.meals:
            meal = Meal(
                tenant_id=plan.tenant_id,
                user=user,
                name=_meal_name(planned, names),
                meal_time=planned.meal_time,
                description=f"Generated for plan {plan.pk}, day {day.day}.",
                generated=True,
            )
            meals.append(meal)
            placements.append((meal, planned, day.day))
    Meal.objects.bulk_create(meals)
    items = []
    scheduled = []
    for position, (meal, planned, day_number) in enumerate(placements):
        items += meal_items(meal, planned.items, portion_ids)
        scheduled.append(
            ScheduledMeal(
                tenant_id=plan.tenant_id,
                plan=plan,
                day_of_plan=day_number,
                meal_time=planned.meal_time,
                meal=meal,
                position=position,
            )
        )
    MealItem.objects.bulk_create(items)
    ScheduledMeal.objects.bulk_create(scheduled)


def meal_items(meal: Meal, planned: Any, portion_ids: dict[int, int]) -> list[MealItem]:
    """A planned meal's items as rows: grams always, and the household portion when counted in one."""
    return [
        MealItem(
            tenant_id=meal.tenant_id,
            meal=meal,
            food_id=item.food_id,
            grams=item.grams,
            portion_id=portion_ids.get(item.food_id) if item.portion_count is not None else None,
            portion_count=item.portion_count,
            position=index,
        )
        for index, item in enumerate(planned)
    ]


def _meal_name(planned: optimizer.PlannedMeal, names: dict[int, str]) -> str:
    """ "Oatmeal with banana and milk"-like: the first words of the two largest items."""
    largest = sorted(planned.items, key=lambda item: -item.grams)[:2]
    words = [names.get(item.food_id, "").split(",")[0].strip() for item in largest]
    text = " with ".join(word for word in words if word) or planned.meal_time.title()
    return text[:120]


def run_plan(*, plan_id: int) -> None:
    """The task's body: fill a pending plan, or record why it failed. Safe to run twice."""
    with transaction.atomic():
        plan = MealPlan.objects.select_for_update(of=("self",)).select_related("user").filter(pk=plan_id).first()
        if plan is None or plan.generation_status != MealPlan.GenerationStatus.PENDING:
            return
        try:
            _generate_into(plan)
        except Exception as exc:  # recorded on the plan: a status the client polls, never a silent hang
            logger.exception("meal plan %s generation failed", plan_id)
            transaction.set_rollback(True)
            failed = True
            error = type(exc).__name__
        else:
            failed = False
    if failed:
        MealPlan.objects.filter(pk=plan_id).update(
            generation_status=MealPlan.GenerationStatus.FAILED,
            generation=_with(MealPlan.objects.get(pk=plan_id).generation, error=f"generation failed ({error})"),
        )
        return
    plan.refresh_from_db()
    _ready_notice(plan)


def _with(data: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {**data, **values}


def _generate_into(plan: MealPlan) -> None:
    user = plan.user
    if user is None:
        raise ValueError("a generated plan belongs to a user")
    profile = _profile(user)
    request = plan.generation["request"]
    prefs = preferences_for(profile, request)
    seed = int(plan.generation["seed"])
    facts, portion_ids = foods_for(user)
    candidates, blocked = foods.eligible(facts, prefs)
    if not candidates:
        raise ApplicationError(code="no_foods", message="No food in the catalogue fits this profile.", status=422)
    proposals, llm_record = _llm_proposals(candidates=candidates, blocked=blocked, plan=plan, prefs=prefs, seed=seed)
    targets = plan.generation["targets"]
    day_targets = optimizer.DayTargets(
        kcal=targets["kcal"],
        protein_g=targets["protein_g"],
        carbohydrate_g=targets["carbohydrate_g"],
        fat_g=targets["fat_g"],
        fiber_min_g=prefs.fiber_min_g,
        sodium_max_mg=prefs.sodium_max_mg,
    )
    result = optimizer.plan(
        candidates,
        day_targets,
        days=plan.duration_days,
        meals_per_day=request["meals_per_day"],
        seed=seed,
        required_ids=prefs.include_ids,
        proposals=proposals,
        prefer=prefs,
    )
    names = {fact.id: fact.name for fact in facts}
    _write_days(plan=plan, result=result, portion_ids=portion_ids, names=names)
    proposal_days = [day.day for day in result.days if day.source == "proposal"]
    if llm_record.get("used"):
        llm_record["days_from_proposals"] = proposal_days
        llm_record["days_re_solved"] = [day.day for day in result.days if day.source != "proposal"]
    plan.source = MealPlan.Source.AI if proposal_days else MealPlan.Source.OPTIMIZER
    plan.generation = _with(
        plan.generation,
        llm=llm_record,
        result={
            "feasible": result.feasible,
            "largest_deviation_pct": result.largest_deviation_pct,
            "reasons": list(result.reasons),
            "days": [
                {"day": day.day, "deviation_pct": day.deviation_pct, "within": day.within, "source": day.source}
                for day in result.days
            ],
            "seconds": round(result.seconds, 3),
            "candidates": len(candidates),
        },
    )
    plan.generation_status = MealPlan.GenerationStatus.READY
    plan.save(update_fields=["source", "generation", "generation_status", "updated_at"])
    if request.get("activate"):
        from ..services import meal_plan_activate

        meal_plan_activate(plan=plan, start_date=plan.start_date)


def _ready_notice(plan: MealPlan) -> None:
    if plan.user is None:
        raise ValueError("a generated plan belongs to a user")
    result = plan.generation.get("result", {})
    body = f"{plan.duration_days} days at {plan.target_kcal} kcal a day."
    if not result.get("feasible", True):
        body += " Some days miss the targets: " + "; ".join(result.get("reasons", [])[:2])
    notify(
        user=plan.user,
        type="meal_plan_ready",
        title="Your meal plan is ready",
        body=body[:2000],
        data={"plan": plan.pk, "feasible": result.get("feasible", True)},
        dedupe_key=f"meal_plan_ready:{plan.pk}",
    )


def delete_generated_meals(meal_ids: list[int]) -> None:
    """Meals a generation or swap wrote (``Meal.generated``), once no plan schedules them: a copy
    of the plan shares them, so they go with the last plan that uses them."""
    in_use = ScheduledMeal.objects.filter(meal_id__in=meal_ids).values("meal_id")
    Meal.objects.filter(pk__in=meal_ids, generated=True).exclude(pk__in=in_use).delete()


def delete_plan(*, plan: MealPlan) -> None:
    """A plan and the generated meals only it used (diary entries keep their foods: SET_NULL)."""
    with transaction.atomic():
        meal_ids = list(ScheduledMeal.objects.filter(plan=plan).values_list("meal_id", flat=True))
        plan.delete()
        if meal_ids:
            delete_generated_meals(meal_ids)
