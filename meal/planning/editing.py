"""Using a plan: swapping one meal for another with the same macros, and the shopping list."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, F, FloatField, Sum
from django.db.models.functions import Cast

from fitcore.api.exceptions import ApplicationError

from ..models import Meal, MealItem, MealPlan, ScheduledMeal
from . import foods, optimizer
from .catalogue import foods_for
from .generation import _meal_name, _profile, _with, delete_generated_meals, meal_items, preferences_for

# --- swap -----------------------------------------------------------------------------


def _meal_totals(meal_id: int) -> dict[str, float]:
    def total(column: str) -> Any:
        return Sum(F("grams") * Cast(F(f"food__{column}"), FloatField()) / 100.0)

    row = MealItem.objects.filter(meal_id=meal_id).aggregate(
        kcal=total("energy_kcal"),
        protein_g=total("protein_g"),
        carbohydrate_g=total("carbohydrate_g"),
        fat_g=total("fat_g"),
    )
    return {key: float(value or 0.0) for key, value in row.items()}


def swap_meal(*, plan: MealPlan, scheduled: ScheduledMeal) -> dict[str, Any]:
    """Replace one scheduled meal with another of the same energy and macros, from other foods.

    Under the plan's row lock: two swaps at once are applied one after the other, each to the
    meal the other left, and neither loses the other's record.
    """
    with transaction.atomic():
        plan = MealPlan.objects.select_for_update(of=("self",)).select_related("user").get(pk=plan.pk)
        scheduled = ScheduledMeal.objects.get(pk=scheduled.pk)
        return _swap(plan, scheduled)


def _swap(plan: MealPlan, scheduled: ScheduledMeal) -> dict[str, Any]:
    user = plan.user
    if user is None:
        raise ValueError("a generated plan belongs to a user")
    profile = _profile(user)
    prefs = preferences_for(profile, plan.generation.get("request") or {})
    original_ids = set(MealItem.objects.filter(meal_id=scheduled.meal_id).values_list("food_id", flat=True))
    original_totals = _meal_totals(scheduled.meal_id)
    if original_totals["kcal"] <= 0:
        raise ApplicationError(code="empty_meal", message="This meal has no energy to match.", status=409)
    facts, portion_ids = foods_for(user)
    candidates, _ = foods.eligible(facts, prefs)
    candidates = [candidate for candidate in candidates if candidate.id not in original_ids]
    if not any(scheduled.meal_time in candidate.meal_times for candidate in candidates):
        raise ApplicationError(
            code="no_alternative", message="No other food fits this meal for your profile.", status=409
        )
    swaps = list(plan.generation.get("swaps") or [])
    seed = int(plan.generation.get("seed") or 0) + 7919 * (len(swaps) + 1) + scheduled.pk
    original_meal = optimizer.PlannedMeal(slot=scheduled.position, meal_time=scheduled.meal_time, items=())
    result = optimizer.swap(
        candidates,
        meal_time=scheduled.meal_time,
        original=original_meal,
        original_totals=original_totals,
        exclude_ids=original_ids,
        seed=seed,
    )
    names = {fact.id: fact.name for fact in facts}
    with transaction.atomic():  # the caller's, under the plan's lock
        old_meal_id = scheduled.meal_id
        meal = Meal.objects.create(
            tenant_id=plan.tenant_id,
            user=user,
            name=_meal_name(result.meal, names),
            meal_time=scheduled.meal_time,
            description=f"Swapped in for plan {plan.pk}, day {scheduled.day_of_plan}.",
            generated=True,
        )
        MealItem.objects.bulk_create(meal_items(meal, result.meal.items, portion_ids))
        scheduled.meal = meal
        scheduled.save(update_fields=["meal", "updated_at"])
        record = {
            "day": scheduled.day_of_plan,
            "scheduled_meal": scheduled.pk,
            "replaced_meal": old_meal_id,
            "meal": meal.pk,
            "within": result.within,
            "deviation_pct": result.deviation_pct,
        }
        plan.generation = _with(plan.generation, swaps=[*swaps, record][-100:])
        plan.save(update_fields=["generation", "updated_at"])
        delete_generated_meals([old_meal_id])
    return {
        "scheduled_meal": scheduled.pk,
        "day": scheduled.day_of_plan,
        "meal_time": scheduled.meal_time,
        "meal": meal.pk,
        "meal_name": meal.name,
        "replaced_meal": old_meal_id,
        "original_totals": {key: round(value, 1) for key, value in original_totals.items()},
        "totals": {
            key: round(float(result.totals[key]), 1) for key in ("kcal", "protein_g", "carbohydrate_g", "fat_g")
        },
        "deviation_pct": result.deviation_pct,
        "within": result.within,
        "items": [
            {"food": item.food_id, "food_name": names.get(item.food_id, ""), "grams": item.grams}
            for item in result.meal.items
        ],
    }


# --- shopping list --------------------------------------------------------------------


def shopping_list(*, plan: MealPlan, first_day: int, last_day: int) -> dict[str, Any]:
    """Everything the plan's days ``first_day``..``last_day`` use, summed in SQL, grouped by category."""
    rows = (
        ScheduledMeal.objects.filter(plan=plan, day_of_plan__gte=first_day, day_of_plan__lte=last_day)
        .filter(meal__items__isnull=False)
        .values(
            food_id=F("meal__items__food_id"),
            food_name=F("meal__items__food__name"),
            slug=F("meal__items__food__category__slug"),
            category_name=F("meal__items__food__category__name"),
        )
        .annotate(grams=Sum("meal__items__grams"), uses=Count("meal__items__id"))
        .order_by("category_name", "food_name", "food_id")
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        slug = row["slug"] or "other"
        group = groups.setdefault(
            slug, {"category": slug, "category_name": row["category_name"] or "Other", "items": []}
        )
        group["items"].append(
            {
                "food": row["food_id"],
                "food_name": row["food_name"],
                "grams": round(row["grams"], 1),
                "uses": row["uses"],
            }
        )
    ordered = sorted(groups.values(), key=lambda group: (group["category"] == "other", group["category_name"]))
    return {
        "plan": plan.pk,
        "first_day": first_day,
        "last_day": last_day,
        "categories": ordered,
        "total_items": sum(len(group["items"]) for group in ordered),
    }
