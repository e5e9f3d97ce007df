"""Classification: the part an allowed food can play in a meal, its amounts and its price.

Classification (``classify``) turns an allowed food into a ``Candidate``: its role in a meal
(protein, starch, vegetable, fruit, dairy, fat, nuts, other), the meal times it suits, the
amount unit the optimizer counts in and realistic bounds on the amount, and a price tier.
Rows that make no sense as a plan ingredient give ``None``:
- no energy; baby foods and infant formula; spices and herbs; fast-food and restaurant
  items, soups and sauces, frozen entrees and box mixes (their nutrients depend on the
  recipe); American Indian/Alaska Native foods (walrus liver, seal oil: traditional foods
  that a generated plan should not suggest at random); beverages; sweets, and cakes,
  cookies, pies and pastries among baked products;
- powders, dehydrated foods, dried vegetables, fish and milk, flours, meals, starches,
  concentrates, juices, drink mixes, "unprepared" products, offal and industrial fats (dried
  fruit stays, as a snack);
- raw meat, poultry, fish and eggs, dry grains and pasta, dry legumes: those groups need a
  cooking or ready-to-eat word in the name (cooked, roasted, boiled, grilled, baked,
  canned, smoked, cured, prepared ...). Tofu, tempeh, hummus, soy milk, peanut butter and
  ready-to-eat cereals need none.
A food the user asked for (``Preferences.include_ids``) is planned even when it is not
plausible: it then gets a generic classification. Foods outside the USDA groups (no
category: custom foods) get a role from their macros; other categories are not planned.

Amounts: the unit is half the food's first household portion when that half weighs
10-400 g and at least one such unit fits the role's bounds ("1 cup" of rice, 158 g, is
counted in 79 g, so plans say "1.5 cup"; a 15 g tablespoon is not, or an omelet would come
in tablespoons), else 5 g for dense foods (over 300 kcal/100 g) and 10 g otherwise. The
bounds are by role: meat and fish 60-250 g, eggs 50-200 g, cooked grains and potatoes
50-300 g, vegetables 50-300 g, fruit 50-300 g (over 200 kcal/100 g, dried: 15-50 g), milk and yogurt
100-400 g, cheese 15-60 g, oil and butter 5-20 g, nuts 10-50 g ...; and no single item
above 800 kcal.

Prices are tiers, 1 (cheap) to 3, by food group: beef, lamb, veal, game and fish 3;
poultry, pork, cold cuts, dairy, nuts, fruit, cereals and baked products 2; legumes,
grains, vegetables, eggs, peanuts and oils 1. A heuristic for "low budget", not a price.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

from .rules import blocked_reason
from .types import (
    BAKED,
    BREAKFAST,
    BREAKFAST_CEREALS,
    DAIRY_EGG,
    DENSE_KCAL,
    DINNER,
    FATS_OILS,
    FISH,
    FRUITS,
    GRAINS_PASTA,
    LEGUMES,
    LUNCH,
    MAX_ITEM_KCAL,
    MEAL_TIMES,
    NUTS_SEEDS,
    PORTION_UNIT_RANGE,
    SAUSAGES,
    SNACK,
    SNACKS,
    VEGETABLES,
    Candidate,
    FoodFacts,
    Preferences,
)
from .vocabulary import (
    _BAKED_BREAKFAST,
    _BAKED_SNACK,
    _BAKED_STARCH,
    _BREAKFAST_MEAT,
    _CEREALS_RTE,
    _CHEAP_GROUPS,
    _CHEESE,
    _COOKED,
    _CREAMY_FAT,
    _DAIRY_REJECTED,
    _DRESSING,
    _DRIED,
    _DRINKABLE_DAIRY,
    _EGG,
    _EXPENSIVE_GROUPS,
    _FAT_REJECTED,
    _FRUIT_REJECTED,
    _INGREDIENT,
    _LEGUME_REJECTED,
    _MEAT_GROUPS,
    _NUT_BUTTER,
    _NUTS_REJECTED,
    _OIL,
    _PEANUT,
    _RAW,
    _READY_LEGUMES,
    _REJECTED_GROUPS,
    _REJECTED_WORDS,
    _SNACKING_VEGETABLES,
    _SOFT_CHEESE,
    _STARCHY_VEGETABLES,
    _SWEET_BAKED,
    _VEGETABLE_REJECTED,
)


@lru_cache(maxsize=32768)
def classify(food: FoodFacts) -> Candidate | None:
    """The food's part in a planned meal, or ``None`` for a row that is no plan ingredient."""
    if not (food.kcal > 0 and math.isfinite(food.kcal)):
        return None
    name = food.name.lower()
    if food.category in _REJECTED_GROUPS or _REJECTED_WORDS.search(name):
        return None
    if food.category != BAKED and _INGREDIENT.search(name):
        return None
    shape = _shape(food, name)
    if shape is None:
        return None
    role, times, grams_min, grams_max = shape
    return _candidate(food, role, times, grams_min, grams_max)


def generic_candidate(food: FoodFacts) -> Candidate:
    """A classification for a food ``classify`` turned down but the user asked for."""
    shape = _shape(food, food.name.lower()) or _by_macros(food)
    role, times, grams_min, grams_max = shape
    candidate = _candidate(food, role, times, grams_min, grams_max, kcal_cap=False)
    assert candidate is not None  # noqa: S101 - only a kcal cap can refuse one
    return candidate


_Shape = tuple[str, frozenset[str], float, float]
_MAIN = frozenset({LUNCH, DINNER})
_ALL = frozenset(MEAL_TIMES)
_MEALS = frozenset({BREAKFAST, LUNCH, DINNER})


def _shape(food: FoodFacts, name: str) -> _Shape | None:
    """Role, meal times and gram bounds from the food group and name; ``None`` to reject."""
    category = food.category
    if category in _MEAT_GROUPS:
        if not _COOKED.search(name) or (_DRIED.search(name) and category == FISH):
            return None
        times = _MEALS if _BREAKFAST_MEAT.search(name) else _MAIN
        return "protein", times, 60.0, 250.0
    if category == SAUSAGES:
        if _RAW.search(name):
            return None
        times = _MEALS if _BREAKFAST_MEAT.search(name) else _MAIN
        return "protein", times, 20.0, 150.0
    if category == DAIRY_EGG:
        return _dairy_shape(name)
    if category == LEGUMES:
        if _LEGUME_REJECTED.search(name) or (_DRIED.search(name) and not _COOKED.search(name)):
            return None
        ready = _READY_LEGUMES.search(name)
        if not ready and (not _COOKED.search(name) or _RAW.search(name)):
            return None
        if _PEANUT.search(name):
            if _NUT_BUTTER.search(name):
                return "nuts", frozenset({BREAKFAST, SNACK}), 10.0, 40.0
            return "nuts", frozenset({SNACK}), 10.0, 50.0
        if re.search(r"\bsoy ?milk\b", name):
            return "dairy", frozenset({BREAKFAST, SNACK}), 100.0, 400.0
        if "hummus" in name:
            return "protein", frozenset({LUNCH, DINNER, SNACK}), 30.0, 150.0
        return "protein", _MAIN, 80.0, 300.0
    if category == GRAINS_PASTA:
        if not _COOKED.search(name) or _RAW.search(name):
            return None
        return "starch", _MAIN, 50.0, 300.0
    if category == BREAKFAST_CEREALS:
        if _CEREALS_RTE.search(name):
            return "starch", frozenset({BREAKFAST}), 20.0, 80.0
        if not _COOKED.search(name):
            return None
        return "starch", frozenset({BREAKFAST}), 150.0, 400.0
    if category == BAKED:
        if _SWEET_BAKED.search(name):
            return None
        if _BAKED_SNACK.search(name):
            return "starch", frozenset({SNACK}), 10.0, 50.0
        if _BAKED_BREAKFAST.search(name):
            return "starch", frozenset({BREAKFAST}), 40.0, 200.0
        if _BAKED_STARCH.search(name):
            return "starch", frozenset({BREAKFAST, LUNCH, DINNER}), 25.0, 120.0
        return None
    if category == VEGETABLES:
        if _DRIED.search(name) or _VEGETABLE_REJECTED.search(name):
            return None
        if _STARCHY_VEGETABLES.search(name.split(",")[0]):
            if _RAW.search(name) or (not _COOKED.search(name) and "frozen" in name):
                return None
            return "starch", _MAIN, 50.0, 300.0
        times = _MAIN | {SNACK} if _SNACKING_VEGETABLES.search(name) and _RAW.search(name) else _MAIN
        return "vegetable", times, 50.0, 300.0
    if category == FRUITS:
        if _FRUIT_REJECTED.search(name):
            return None
        if food.kcal > 200:
            return "fruit", frozenset({BREAKFAST, SNACK}), 15.0, 50.0
        if "avocado" in name:
            return "fruit", frozenset({BREAKFAST, LUNCH, DINNER, SNACK}), 30.0, 150.0
        return "fruit", frozenset({BREAKFAST, SNACK}), 50.0, 300.0
    if category == NUTS_SEEDS:
        if _NUTS_REJECTED.search(name) or ("chestnut" in name and _DRIED.search(name)):
            return None
        if _NUT_BUTTER.search(name):
            return "nuts", frozenset({BREAKFAST, SNACK}), 10.0, 40.0
        if "chestnut" in name:
            return "starch", _MAIN, 30.0, 150.0
        return "nuts", frozenset({BREAKFAST, SNACK}), 10.0, 50.0
    if category == FATS_OILS:
        if _FAT_REJECTED.search(name):
            return None
        if _OIL.search(name):
            return "fat", _MAIN, 5.0, 20.0
        if _DRESSING.search(name):
            return "fat", _MAIN, 10.0, 30.0
        if _CREAMY_FAT.search(name):
            return "fat", _MEALS, 5.0, 20.0
        return None
    if category == SNACKS:
        return "other", frozenset({SNACK}), 15.0, 60.0
    if category:
        return None  # a USDA group not planned, or a category we do not know
    return _by_macros(food)


def _dairy_shape(name: str) -> _Shape | None:
    if _DAIRY_REJECTED.search(name) or _DRIED.search(name):
        return None
    if _EGG.search(name.split(",")[0]):
        if not _COOKED.search(name):
            return None
        return "protein", _ALL - {SNACK}, 50.0, 200.0
    if _CHEESE.search(name):
        if _SOFT_CHEESE.search(name):
            return "dairy", frozenset({BREAKFAST, SNACK}), 50.0, 250.0
        return "dairy", _ALL, 15.0, 60.0
    if _DRINKABLE_DAIRY.search(name):
        return "dairy", frozenset({BREAKFAST, SNACK}), 100.0, 400.0
    if _CREAMY_FAT.search(name):
        if "cream" in name and "sour" not in name and "butter" not in name:
            return "fat", frozenset({BREAKFAST}), 10.0, 60.0
        return "fat", _MEALS, 5.0, 30.0
    return None


def _by_macros(food: FoodFacts) -> _Shape:
    """Foods outside the USDA groups (Open Food Facts, custom): a role from their macros."""
    if food.kcal > 0 and 4 * food.protein / food.kcal >= 0.4 and food.protein >= 10:
        return "protein", _MAIN, 60.0, 250.0
    if food.fat >= 70:
        return "fat", _MEALS, 5.0, 20.0
    return "other", _ALL, 20.0, 250.0


def _candidate(
    food: FoodFacts, role: str, times: frozenset[str], grams_min: float, grams_max: float, *, kcal_cap: bool = True
) -> Candidate | None:
    half = food.portion_grams / 2 if food.portion_grams is not None else None
    portion_unit = half is not None and PORTION_UNIT_RANGE[0] <= half <= PORTION_UNIT_RANGE[1]
    unit = half if half is not None and portion_unit else 0.0
    if not portion_unit or unit > grams_max:
        portion_unit = False
        unit = 5.0 if food.kcal > DENSE_KCAL else 10.0
    kcal_per_unit = unit * food.kcal / 100
    low = max(1, math.ceil(grams_min / unit - 1e-9))
    high = max(low, math.floor(grams_max / unit + 1e-9))
    if kcal_cap:
        high = min(high, math.floor(MAX_ITEM_KCAL / kcal_per_unit + 1e-9)) if kcal_per_unit > 0 else high
        if high < low:
            if not portion_unit:
                return None
            # Half a household portion is too much: count in small units instead.
            unit = 5.0 if food.kcal > DENSE_KCAL else 10.0
            portion_unit = False
            low = max(1, math.ceil(grams_min / unit - 1e-9))
            high = min(math.floor(grams_max / unit + 1e-9), math.floor(MAX_ITEM_KCAL / (unit * food.kcal / 100)))
            if high < low:
                return None
    return Candidate(
        food=food,
        role=role,
        meal_times=times,
        unit_g=unit,
        min_units=low,
        max_units=high,
        price=_price(food),
        portion_unit=portion_unit,
    )


def _price(food: FoodFacts) -> int:
    if food.category in _EXPENSIVE_GROUPS:
        return 3
    name = food.name.lower()
    if food.category in _CHEAP_GROUPS or _OIL.search(name) or _PEANUT.search(name):
        return 1
    if food.category == DAIRY_EGG and _EGG.search(name.split(",")[0]):
        return 1
    return 2


def eligible(foods: Iterable[FoodFacts], prefs: Preferences) -> tuple[list[Candidate], dict[int, str]]:
    """The candidates allowed for ``prefs``, and the blocked food ids with the reason for each.

    A food the user asked for (``include_ids``) that is allowed but implausible still becomes
    a candidate; one that is blocked stays blocked and is reported like any other.
    """
    candidates: list[Candidate] = []
    blocked: dict[int, str] = {}
    wanted = set(prefs.include_ids)
    for food in foods:
        reason = blocked_reason(food, prefs)
        if reason is not None:
            blocked[food.id] = reason
            continue
        candidate = classify(food)
        if candidate is None and food.id in wanted:
            candidate = generic_candidate(food)
        if candidate is not None:
            candidates.append(candidate)
    return candidates, blocked
