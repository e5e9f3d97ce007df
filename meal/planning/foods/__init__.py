"""Which foods a meal plan may use, and what part each can play in a meal.

Pure functions over ``FoodFacts`` (a food's name, category slug, nutrients per 100 g, diet
flags, allergens and first household portion); nothing here touches the database.

The rules live in the modules below and are explained there; everything callers use is
re-exported here, so ``from meal.planning import foods`` and ``foods.eligible(...)`` work as before.

- ``types``: ``FoodFacts``, ``Preferences``, ``Candidate``, and the constants (USDA food groups,
  meal times, roles, limits);
- ``rules``: blocking (``blocked_reason``) by allergen, excluded word and dietary pattern;
- ``classification``: ``classify`` (role, meal times, amount unit and bounds, price tier),
  ``generic_candidate`` for foods the user asked for, and ``eligible``, which applies both;
- ``vocabulary``: whole-word name matching, and the food groups and words classification uses;
- ``cuisines``: ``cuisine_match``, a preference, never a filter.
"""

from __future__ import annotations

from .classification import classify, eligible, generic_candidate
from .cuisines import CUISINE_KEYWORDS, cuisine_match
from .rules import blocked_reason, net_carbs
from .types import (
    BABY_FOODS,
    BAKED,
    BEEF,
    BEVERAGES,
    BREAKFAST,
    BREAKFAST_CEREALS,
    DAIRY_EGG,
    DENSE_KCAL,
    DINNER,
    FAST_FOODS,
    FATS_OILS,
    FISH,
    FRUITS,
    GRAINS_PASTA,
    KETO_MAX_NET_CARBS_G,
    LAMB_VEAL_GAME,
    LEGUMES,
    LOW_CARB_MAX_NET_CARBS_G,
    LUNCH,
    MAX_ITEM_KCAL,
    MEAL_TIMES,
    MEALS_ENTREES,
    NATIVE_FOODS,
    NUTS_SEEDS,
    PORK,
    PORTION_UNIT_RANGE,
    POULTRY,
    RESTAURANT,
    ROLES,
    SAUSAGES,
    SNACK,
    SNACKS,
    SOUPS_SAUCES,
    SPICES,
    SWEETS,
    VEGETABLES,
    Candidate,
    FoodFacts,
    Preferences,
)

__all__ = [
    "BABY_FOODS",
    "BAKED",
    "BEEF",
    "BEVERAGES",
    "BREAKFAST",
    "BREAKFAST_CEREALS",
    "CUISINE_KEYWORDS",
    "DAIRY_EGG",
    "DENSE_KCAL",
    "DINNER",
    "FAST_FOODS",
    "FATS_OILS",
    "FISH",
    "FRUITS",
    "GRAINS_PASTA",
    "KETO_MAX_NET_CARBS_G",
    "LAMB_VEAL_GAME",
    "LEGUMES",
    "LOW_CARB_MAX_NET_CARBS_G",
    "LUNCH",
    "MAX_ITEM_KCAL",
    "MEALS_ENTREES",
    "MEAL_TIMES",
    "NATIVE_FOODS",
    "NUTS_SEEDS",
    "PORK",
    "PORTION_UNIT_RANGE",
    "POULTRY",
    "RESTAURANT",
    "ROLES",
    "SAUSAGES",
    "SNACK",
    "SNACKS",
    "SOUPS_SAUCES",
    "SPICES",
    "SWEETS",
    "VEGETABLES",
    "Candidate",
    "FoodFacts",
    "Preferences",
    "blocked_reason",
    "classify",
    "cuisine_match",
    "eligible",
    "generic_candidate",
    "net_carbs",
]
