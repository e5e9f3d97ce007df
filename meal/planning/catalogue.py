"""The food catalogue as the generator sees it: ``FoodFacts`` for every food a user may be planned.

FitCore's catalogue is read once per process and kept until it changes (see ``catalogue_facts``);
a user's own custom foods are read on every generation.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max, Q

from users.models import User

from ..models import Food, FoodPortion
from . import foods

_catalogue_lock = threading.Lock()
_catalogue_cache: dict[str, Any] = {}


def _facts(rows: Any, portions: dict[int, tuple[int, str, float]]) -> list[foods.FoodFacts]:
    result = []
    for row in rows:
        portion = portions.get(row["id"])
        result.append(
            foods.FoodFacts(
                id=row["id"],
                name=row["name"],
                category=row["category__slug"] or "",
                kcal=row["energy_kcal"],
                protein=row["protein_g"],
                carbs=row["carbohydrate_g"],
                fat=row["fat_g"],
                fiber=row["fiber_g"],
                sodium=row["sodium_mg"],
                vegan=row["vegan"],
                vegetarian=row["vegetarian"],
                allergens=tuple(row["allergens"] or ()),
                portion_label=portion[1] if portion else None,
                portion_grams=portion[2] if portion else None,
            )
        )
    return result


_FACT_COLUMNS = (
    "id",
    "name",
    "category__slug",
    "energy_kcal",
    "protein_g",
    "carbohydrate_g",
    "fat_g",
    "fiber_g",
    "sodium_mg",
    "vegan",
    "vegetarian",
    "allergens",
)


def _first_portions(food_filter: Q) -> dict[int, tuple[int, str, float]]:
    """The first household portion of each food: ``{food id: (portion id, label, grams)}``."""
    first: dict[int, tuple[int, str, float]] = {}
    rows = (
        FoodPortion.objects.filter(food_filter)
        .order_by("food_id", "position", "id")
        .values_list("food_id", "id", "label", "grams")
    )
    for food_id, portion_id, label, grams in rows:
        first.setdefault(food_id, (portion_id, label, grams))
    return first


def catalogue_facts() -> tuple[list[foods.FoodFacts], dict[int, int]]:
    """FitCore's catalogue (foods without a tenant) and each food's first portion id.

    Kept in the process and re-read only when the catalogue changed (its row count or newest
    ``updated_at``: one indexed aggregate), because reading ~9,000 foods and their portions
    costs more than a whole 7-day optimization.
    """
    version = Food.objects.filter(tenant__isnull=True).aggregate(count=Count("id"), newest=Max("updated_at"))
    portion_version = FoodPortion.objects.filter(food__tenant__isnull=True).aggregate(
        count=Count("id"), newest=Max("updated_at")
    )
    key = f"{version['count']}:{version['newest']}:{portion_version['count']}:{portion_version['newest']}"
    with _catalogue_lock:
        if _catalogue_cache.get("key") == key:
            return _catalogue_cache["facts"], _catalogue_cache["portion_ids"]
    global_foods = Q(tenant__isnull=True, energy_kcal__gt=0)
    portions = _first_portions(Q(food__tenant__isnull=True))
    facts = _facts(Food.objects.filter(global_foods).values(*_FACT_COLUMNS).order_by("id"), portions)
    portion_ids = {food_id: value[0] for food_id, value in portions.items()}
    with _catalogue_lock:
        _catalogue_cache.update(key=key, facts=facts, portion_ids=portion_ids)
    return facts, portion_ids


def foods_for(user: User) -> tuple[list[foods.FoodFacts], dict[int, int]]:
    """The catalogue plus the user's own custom foods."""
    facts, portion_ids = catalogue_facts()
    own = Q(tenant_id=user.tenant_id, owner=user, energy_kcal__gt=0)
    custom_portions = _first_portions(Q(food__tenant_id=user.tenant_id, food__owner=user))
    custom = _facts(Food.objects.filter(own).values(*_FACT_COLUMNS).order_by("id"), custom_portions)
    if not custom:
        return facts, portion_ids
    return [*facts, *custom], {**portion_ids, **{k: v[0] for k, v in custom_portions.items()}}
