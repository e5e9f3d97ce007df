"""Reads of the nutrition area: search, totals and summaries, all computed in SQL.

Every total is ``SUM(grams * value_per_100g / 100)`` over a join to ``Food``: a constant
number of queries however many items a meal, plan or diary holds. Querysets come in from
the views already scoped to the caller (``TenantScopedViewSet``); these functions only
narrow, annotate and aggregate them.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Length

from users.models import Profile, User

from .models import FavoriteFood, Food, FoodLogEntry, MealItem, MealPlan, ScheduledMeal, TargetChange, TargetOverride
from .nutrients import MICRONUTRIENTS
from .targets import MissingProfileData, Targets, compute

# Totals reported for meals, plan days and diary days: output name -> Food column.
TOTALS = {
    "kcal": "energy_kcal",
    "protein_g": "protein_g",
    "carbohydrate_g": "carbohydrate_g",
    "fat_g": "fat_g",
    "fiber_g": "fiber_g",
    "sugar_g": "sugar_g",
    "saturated_fat_g": "saturated_fat_g",
    "sodium_mg": "sodium_mg",
}
TARGET_KEYS = ("kcal", "protein_g", "carbohydrate_g", "fat_g")


@functools.cache
def nutrient_sums(grams: str, food: str, *, prefix: str = "") -> dict[str, Any]:
    """``{prefix + name: SUM(grams * food.column / 100)}`` for every total in ``TOTALS``.

    A nutrient the food does not state (NULL) adds nothing: unknown is not zero. Built once
    per shape and reused (annotate() resolves copies): building and hashing these
    expressions was a third of a diary request's time.
    """
    return {
        f"{prefix}{name}": Coalesce(Sum(F(grams) * F(f"{food}{column}") / 100.0, output_field=FloatField()), 0.0)
        for name, column in TOTALS.items()
    }


@functools.cache
def micronutrient_sums(grams: str, food: str) -> dict[str, Any]:
    return {
        # KeyTextTransform over the joined column: KT() would read "food" itself as the JSON field.
        item.key: Sum(Cast(KeyTextTransform(item.key, f"{food}micronutrients"), FloatField()) * F(grams) / 100.0)
        for item in MICRONUTRIENTS
    }


def rounded(totals: dict[str, Any], digits: int = 1) -> dict[str, float]:
    return {key: round(float(value or 0.0), digits) for key, value in totals.items()}


# --- foods ----------------------------------------------------------------------------

_WORDS = re.compile(r"\w+", re.UNICODE)


def food_search(queryset: QuerySet[Food], text: str) -> QuerySet[Food]:
    """``queryset`` matching ``text``, best match first.

    PostgreSQL, in two steps so the common case never scans the table:

    1. Full text: every word as a prefix (``chick:* & breast:*``, so a word being typed
       matches too) against the weighted name/brand vector, through its GIN index.
    2. Only when that finds nothing (a typo: "brocoli"), trigram word similarity on name or
       brand (``pg_trgm``'s ``%>``): slower, and only paid for misspellings.

    Either way the matches are ranked by text rank, similarity and a bonus for names that
    start with the first word (the food itself before dishes and brands that mention it:
    "Chicken, broilers or fryers, breast" before "POPEYES, Fried Chicken, Breast"), then
    shorter names. SQLite: every word must appear in name or brand; a name that starts
    with the text ranks first, then names containing it whole, then shorter names.
    """
    words = [word[:50] for word in _WORDS.findall(text)[:10]]
    text = " ".join(words)[:100]
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

        # Words are \w+ runs: nothing in them is tsquery syntax. Names are indexed with English
        # stemming, brands without ("simple"): the query is asked both ways.
        prefixes = " & ".join(f"{word}:*" for word in words)
        query = SearchQuery(prefixes, config="english", search_type="raw") | SearchQuery(
            prefixes, config="simple", search_type="raw"
        )
        matches = queryset.filter(search_vector=query)
        if not matches.exists():
            matches = queryset.filter(Q(name__trigram_word_similar=text) | Q(brand__trigram_word_similar=text))
        return matches.annotate(
            rank=SearchRank(F("search_vector"), query) * 2
            + TrigramWordSimilarity(text, "name")
            + TrigramWordSimilarity(text, "brand") * 0.5
            + Case(When(name__istartswith=words[0], then=Value(1.0)), default=Value(0.0))
        ).order_by("-rank", Length("name"), "id")
    words = text.split()
    for word in words:
        queryset = queryset.filter(Q(name__icontains=word) | Q(brand__icontains=word))
    return queryset.annotate(
        rank=Case(
            When(name__istartswith=text, then=Value(3)),
            When(name__icontains=text, then=Value(2)),
            When(brand__icontains=text, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("-rank", Length("name"), "id")


def favorite_food_ids(*, user: User) -> set[int]:
    return set(FavoriteFood.objects.for_tenant(user.tenant_id).filter(user=user).values_list("food_id", flat=True))


def recent_food_ids(*, user: User, limit: int = 20) -> list[int]:
    """The foods ``user`` logged most recently, newest first, each once (one grouped query)."""
    rows = (
        FoodLogEntry.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .values("food_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")[:limit]
    )
    return [row["food_id"] for row in rows]


# --- meals and plans ------------------------------------------------------------------


def meals_with_totals(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.annotate(**nutrient_sums("items__grams", "items__food__", prefix="total_"))


def meal_items(meal_ids: Iterable[int]) -> dict[int, list[MealItem]]:
    """Items of these meals with their food and portion, in one query."""
    grouped: dict[int, list[MealItem]] = defaultdict(list)
    items = MealItem.objects.filter(meal_id__in=list(meal_ids)).select_related("food", "portion")
    for item in items.order_by("meal_id", "position", "id"):
        grouped[item.meal_id].append(item)
    return grouped


def plan_days(plan: MealPlan) -> list[dict[str, Any]]:
    """Each day of ``plan`` with its meals, totals and difference to the plan's targets.

    Three queries whatever the plan's size: the schedule with its meals, every meal's items,
    and the totals per day and per scheduled meal grouped in SQL.
    """
    scheduled = list(
        ScheduledMeal.objects.filter(plan=plan).select_related("meal").order_by("day_of_plan", "position", "id")
    )
    per_meal: dict[int, Any] = {
        row["pk"]: row
        for row in ScheduledMeal.objects.filter(plan=plan)
        .values("pk")
        .annotate(**nutrient_sums("meal__items__grams", "meal__items__food__"))
    }
    targets = plan_targets(plan)
    days: dict[int, dict[str, Any]] = {
        day: {"day": day, "meals": [], "totals": dict.fromkeys(TOTALS, 0.0)} for day in range(1, plan.duration_days + 1)
    }
    for entry in scheduled:
        day = days.get(entry.day_of_plan)
        if day is None:  # beyond a shortened plan: kept, not shown
            continue
        totals = {key: per_meal[entry.pk][key] for key in TOTALS}
        day["meals"].append({"scheduled": entry, "totals": rounded(totals)})
        for key, value in totals.items():
            day["totals"][key] += value
    result = []
    for day in days.values():
        day["totals"] = rounded(day["totals"])
        day["difference"] = {
            key: (round(day["totals"][key] - target, 1) if target is not None else None)
            for key, target in targets.items()
        }
        result.append(day)
    return result


def plan_targets(plan: MealPlan) -> dict[str, int | None]:
    return {
        "kcal": plan.target_kcal,
        "protein_g": plan.target_protein_g,
        "carbohydrate_g": plan.target_carbohydrate_g,
        "fat_g": plan.target_fat_g,
    }


# --- targets --------------------------------------------------------------------------


def targets_for(*, user: User, profile: Profile, today: date) -> dict[str, Any]:
    """Computed targets, the user's overrides and the effective values (override wins).

    Raises ``MissingProfileData`` when the profile lacks what the formula needs and the user
    has not overridden every target either.
    """
    override = TargetOverride.objects.for_tenant(user.tenant_id).filter(user=user).first()
    overrides = {key: (getattr(override, key) if override else None) for key in TARGET_KEYS}
    computed: Targets | None
    try:
        computed, explanation = compute(profile, today)
    except MissingProfileData:
        if any(value is None for value in overrides.values()):
            raise
        computed, explanation = None, {"method": "override", "inputs": {}}
    computed_values = {key: (getattr(computed, key) if computed else None) for key in TARGET_KEYS}
    effective = {key: overrides[key] if overrides[key] is not None else computed_values[key] for key in TARGET_KEYS}
    return {
        "targets": effective,
        "computed": computed_values,
        "overrides": overrides,
        "explanation": explanation,
    }


def effective_targets(*, user: User, profile: Profile, today: date) -> dict[str, int | None]:
    """The targets, or all None when the profile cannot give them (diary views still work)."""
    try:
        return dict(targets_for(user=user, profile=profile, today=today)["targets"])
    except MissingProfileData:
        return dict.fromkeys(TARGET_KEYS)


# --- diary ----------------------------------------------------------------------------


def diary_entries(queryset: QuerySet[FoodLogEntry], day: date) -> QuerySet[FoodLogEntry]:
    return queryset.filter(date=day).select_related("food").order_by("created_at", "id")


def day_totals(queryset: QuerySet[FoodLogEntry], day: date) -> dict[str, float]:
    return rounded(queryset.filter(date=day).aggregate(**nutrient_sums("grams", "food__")))


def remaining(targets: dict[str, int | None], totals: dict[str, float]) -> dict[str, float | None]:
    return {key: (round(target - totals[key], 1) if target is not None else None) for key, target in targets.items()}


def diary_summary(
    queryset: QuerySet[FoodLogEntry], *, start: date, end: date, targets: dict[str, int | None]
) -> dict[str, Any]:
    """Per-day totals against targets, weekly averages and micronutrients against reference intakes.

    Two queries: totals grouped by date, and micronutrient totals over the range.
    """
    rows = queryset.filter(date__range=(start, end)).values("date").annotate(**nutrient_sums("grams", "food__"))
    by_date: dict[date, Any] = {row["date"]: row for row in rows.order_by("date")}
    days: list[dict[str, Any]] = []
    logged_days = 0
    span = (end - start).days + 1
    for offset in range(span):
        day = start + timedelta(days=offset)
        row = by_date.get(day)
        totals = rounded({key: row[key] for key in TOTALS}) if row else rounded(dict.fromkeys(TOTALS, 0.0))
        logged = row is not None
        logged_days += logged
        adherence = None
        if logged and targets["kcal"]:
            # 100 % on target; every percent over or under the energy target costs one.
            adherence = round(max(0.0, 100 - abs(totals["kcal"] - targets["kcal"]) / targets["kcal"] * 100), 1)
        days.append(
            {
                "date": day,
                "logged": logged,
                "totals": totals,
                "targets": targets,
                "remaining": remaining(targets, totals),
                "adherence_percent": adherence,
            }
        )
    weeks = []
    for index in range(0, span, 7):
        chunk = [d for d in days[index : index + 7] if d["logged"]]
        weeks.append(
            {
                "start": days[index]["date"],
                "end": days[min(index + 6, span - 1)]["date"],
                "days_logged": len(chunk),
                "average": rounded({key: sum(d["totals"][key] for d in chunk) / len(chunk) for key in TOTALS})
                if chunk
                else None,
            }
        )
    micro = queryset.filter(date__range=(start, end)).aggregate(**micronutrient_sums("grams", "food__"))
    micronutrients = []
    for item in MICRONUTRIENTS:
        total = micro[item.key]
        daily = (total / logged_days) if (total is not None and logged_days) else None
        micronutrients.append(
            {
                "key": item.key,
                "label": item.label,
                "unit": item.unit,
                "total": round(total, 2) if total is not None else None,
                "daily_average": round(daily, 2) if daily is not None else None,
                "reference_intake": item.reference_intake,
                "is_limit": item.limit,
                "percent_of_reference": round(daily / item.reference_intake * 100, 1)
                if daily is not None and item.reference_intake
                else None,
            }
        )
    adherences = [d["adherence_percent"] for d in days if d["adherence_percent"] is not None]
    return {
        "start": start,
        "end": end,
        "days_logged": logged_days,
        "adherence_percent": round(sum(adherences) / len(adherences), 1) if adherences else None,
        "days": days,
        "weeks": weeks,
        "micronutrients": micronutrients,
    }


# --- the user's dashboard and personal-data export (users.registry) ---------------------


def dashboard_section(user: User) -> dict[str, Any]:
    """Today's totals against the targets, in the user's time zone (two queries)."""
    profile = Profile.objects.for_tenant(user.tenant_id).get(user=user)
    today = profile.local_today
    entries = FoodLogEntry.objects.for_tenant(user.tenant_id).filter(user=user)
    totals = day_totals(entries, today)
    targets = effective_targets(user=user, profile=profile, today=today)
    return {
        "date": today,
        "totals": {key: totals[key] for key in TARGET_KEYS},
        "targets": targets,
        "remaining": remaining(targets, totals),
    }


def export_section(user: User) -> dict[str, Any]:
    """Everything the user put in: private foods, meals, plans, diary, favourites, target overrides."""
    tenant_id = user.tenant_id
    foods = Food.objects.filter(tenant_id=tenant_id, owner=user).prefetch_related("portions").order_by("id")
    meals = MealItem.objects.filter(tenant_id=tenant_id, meal__user=user).order_by("meal_id", "position", "id")
    plans = MealPlan.objects.filter(tenant_id=tenant_id, user=user).order_by("id")
    scheduled = ScheduledMeal.objects.filter(tenant_id=tenant_id, plan__user=user).order_by("plan_id", "day_of_plan")
    override = TargetOverride.objects.for_tenant(tenant_id).filter(user=user).first()
    meal_rows: dict[int, dict[str, Any]] = {
        meal.pk: {"name": meal.name, "meal_time": meal.meal_time, "description": meal.description, "items": []}
        for meal in user.meals.filter(tenant_id=tenant_id).order_by("id")
    }
    for item in meals:
        meal_rows[item.meal_id]["items"].append({"food": item.food_id, "grams": item.grams})
    schedule: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in scheduled:
        schedule[row.plan_id].append({"day_of_plan": row.day_of_plan, "meal_time": row.meal_time, "meal": row.meal_id})
    return {
        "custom_foods": [
            {
                "id": food.pk,
                "name": food.name,
                "brand": food.brand,
                "barcode": food.barcode,
                "energy_kcal": food.energy_kcal,
                "protein_g": food.protein_g,
                "carbohydrate_g": food.carbohydrate_g,
                "fat_g": food.fat_g,
                "micronutrients": food.micronutrients,
                "portions": [{"label": p.label, "grams": p.grams} for p in food.portions.all()],
            }
            for food in foods
        ],
        "meals": [{"id": pk, **row} for pk, row in meal_rows.items()],
        "meal_plans": [
            {
                "id": plan.pk,
                "name": plan.name,
                "status": plan.status,
                "duration_days": plan.duration_days,
                "start_date": plan.start_date,
                "targets": plan_targets(plan),
                "source": plan.source,
                "generation": plan.generation,
                "schedule": schedule.get(plan.pk, []),
            }
            for plan in plans
        ],
        "diary": [
            {"date": e.date, "meal_time": e.meal_time, "food": e.food_id, "grams": e.grams, "note": e.note}
            for e in FoodLogEntry.objects.for_tenant(tenant_id).filter(user=user).order_by("date", "id")
        ],
        "favorite_foods": sorted(favorite_food_ids(user=user)),
        "target_overrides": None if override is None else {key: getattr(override, key) for key in TARGET_KEYS},
        "target_history": list(
            TargetChange.objects.for_tenant(tenant_id)
            .filter(user=user)
            .order_by("created_at", "id")
            .values(
                "created_at", "trigger", "week_start", "changed", "before", "after", "tdee_kcal", "reason", "numbers"
            )
        ),
    }


def weekly_report_section(user: User, first_day: date, last_day: date) -> dict[str, Any]:
    """``nutrition`` in the health app's weekly report: days logged, the average day and how
    close it came to the energy target (the diary summary's adherence, over the week)."""
    profile = Profile.objects.for_tenant(user.tenant_id).get(user=user)
    targets = effective_targets(user=user, profile=profile, today=last_day)
    entries = FoodLogEntry.objects.for_tenant(user.tenant_id).filter(user=user)
    summary = diary_summary(entries, start=first_day, end=last_day, targets=targets)
    week = summary["weeks"][0] if summary["weeks"] else {"average": None}
    return {
        "days_logged": summary["days_logged"],
        "average_day": week["average"],
        "kcal_target": targets["kcal"],
        "adherence_percent": summary["adherence_percent"],
    }
