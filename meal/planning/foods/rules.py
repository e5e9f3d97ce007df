"""Blocking: the foods a plan may never use, by allergen, excluded word and dietary pattern.

Blocking (``blocked_reason``): a food is never planned when
- it has any of the user's allergens (the food's EU-14 codes; for USDA foods these are
  derived from the name and food group by ``meal.importers.rules``, a keyword heuristic, so an
  allergen missing from a food only means no keyword matched);
- its name contains one of the user's excluded words as a whole word, case-insensitive, in
  singular or plural ("mushroom" blocks "Mushrooms, white, raw"; "egg" does not block
  "Eggplant"; "berries" blocks "Berry, ..." too);
- it breaks the dietary pattern. The rules work on the same derived flags and on the USDA
  food group, so they are heuristics too, and they err on the side of blocking:
  - vegan: the food's ``vegan`` flag must be True; unknown (None) blocks, since breads,
    cereals and mixed dishes often hide milk, egg or honey;
  - vegetarian: ``vegetarian`` must be True; unknown blocks (cheese made with animal rennet
    is unknown in the USDA rules, so cheese is left out);
  - pescatarian: ``vegetarian`` True, or a food of the finfish and shellfish group;
  - keto: at most 10 g net carbohydrate (carbohydrate minus fibre when known) per 100 g,
    which keeps meat, fish, eggs, cheese, most nuts, oils and leafy vegetables and leaves
    out grains, bread, potatoes, legumes and most fruit;
  - low carb: at most 30 g net carbohydrate per 100 g: bread (~50 g), dry cereals (~80 g)
    and sweets go; cooked grains, potatoes, legumes and fruit stay, and the 25 %-of-energy
    carbohydrate target is then met by portion size;
  - paleo: no grains, legumes, dairy (eggs are fine), baked products, breakfast cereals or
    sweets (by food group and by the gluten, milk, soy and peanut allergens), and no food
    named as sweetened, candied, glazed, frosted, with syrup or added sugar;
  - gluten free: no food with the "gluten" allergen;
  - halal: nothing of the pork group and no food named with pork, bacon, ham, lard,
    gelatin, pepperoni, prosciutto, pancetta, chorizo or alcohol (wine, beer, rum, liqueur,
    ...); whether meat was slaughtered by the rules cannot be known from the catalogue;
  - kosher: nothing of the pork group, no pork words as for halal, no crustaceans or
    molluscs (allergens), no rabbit, horse, catfish, eel or shark; keeping meat and dairy
    apart is not modelled;
  - mediterranean and omnivore (or none): no restriction.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .types import (
    BAKED,
    BREAKFAST_CEREALS,
    DAIRY_EGG,
    FISH,
    GRAINS_PASTA,
    KETO_MAX_NET_CARBS_G,
    LEGUMES,
    LOW_CARB_MAX_NET_CARBS_G,
    PORK,
    SWEETS,
    FoodFacts,
    Preferences,
)
from .vocabulary import _word_pattern


@lru_cache(maxsize=256)
def _excluded_pattern(excluded: tuple[str, ...]) -> re.Pattern[str]:
    return _word_pattern(excluded)


_HALAL_WORDS = _word_pattern(
    [
        "pork",
        "bacon",
        "ham",
        "lard",
        "gelatin",
        "gelatine",
        "pepperoni",
        "prosciutto",
        "pancetta",
        "chorizo",
        "wine",
        "beer",
        "ale",
        "alcohol",
        "alcoholic",
        "liqueur",
        "rum",
        "brandy",
        "whiskey",
        "vodka",
        "sherry",
        "sake",
    ]
)
_KOSHER_WORDS = _word_pattern(
    ["pork", "bacon", "ham", "lard", "prosciutto", "pancetta", "rabbit", "horse", "catfish", "eel", "shark"]
)
_SHELLFISH = frozenset({"crustaceans", "molluscs"})
_PALEO_GROUPS = frozenset({GRAINS_PASTA, LEGUMES, BAKED, SWEETS, BREAKFAST_CEREALS})
_PALEO_ALLERGENS = frozenset({"gluten", "milk", "soy", "peanuts"})
# "no sugar added", "unsweetened", "sugar-free" are not added sugar: negations go first.
_SUGAR_NEGATIONS = re.compile(r"\b(?:no|without|not|low|reduced)[\s-]+(?:added[\s-]+)?sugars?\b|\bsugars?[\s-]+free\b")
_ADDED_SUGAR = _word_pattern(["sugar", "sweetened", "candied", "glazed", "frosted", "syrup", "honey", "added sugar"])


def net_carbs(food: FoodFacts) -> float:
    """Carbohydrate minus fibre (fibre unknown counts as none), per 100 g."""
    return max(food.carbs - (food.fiber or 0.0), 0.0)


def blocked_reason(food: FoodFacts, prefs: Preferences) -> str | None:
    """Why ``food`` may never appear for ``prefs`` ("contains peanuts", "not vegan"), or ``None``."""
    for code in sorted(prefs.allergens.intersection(food.allergens)):
        return f"contains {code.replace('_', ' ')}"
    if prefs.excluded:
        match = _excluded_pattern(prefs.excluded).search(food.name)
        if match is not None:
            return f"excluded: {_which_excluded(prefs.excluded, match.group(0))}"
    return _diet_reason(food, prefs.dietary_pattern or "omnivore")


def _which_excluded(excluded: tuple[str, ...], matched: str) -> str:
    for word in excluded:
        if _excluded_pattern((word,)).fullmatch(matched):
            return word.strip()
    return matched.lower()


def _diet_reason(food: FoodFacts, pattern: str) -> str | None:
    if pattern == "vegan":
        if food.vegan is None:
            return "not known to be vegan"
        return None if food.vegan else "not vegan"
    if pattern == "vegetarian":
        if food.vegetarian is None:
            return "not known to be vegetarian"
        return None if food.vegetarian else "not vegetarian"
    if pattern == "pescatarian":
        if food.vegetarian or food.category == FISH:
            return None
        return "not known to be vegetarian" if food.vegetarian is None else "meat, not fish"
    if pattern in ("keto", "low_carb"):
        limit = KETO_MAX_NET_CARBS_G if pattern == "keto" else LOW_CARB_MAX_NET_CARBS_G
        carbs = net_carbs(food)
        if carbs > limit:
            what = "keto" if pattern == "keto" else "low carb"
            return f"{carbs:.0f} g net carbohydrate per 100 g ({what}: at most {limit:.0f} g)"
        return None
    if pattern == "paleo":
        if food.category in _PALEO_GROUPS:
            return "not paleo: grains, legumes, baked goods and sweets"
        if food.category == DAIRY_EGG and "eggs" not in food.allergens:
            return "not paleo: dairy"
        hit = sorted(_PALEO_ALLERGENS.intersection(food.allergens))
        if hit:
            return f"not paleo: contains {hit[0]}"
        if _ADDED_SUGAR.search(_SUGAR_NEGATIONS.sub(" ", food.name.lower())):
            return "not paleo: added sugar"
        return None
    if pattern == "gluten_free":
        return "contains gluten" if "gluten" in food.allergens else None
    if pattern == "halal":
        if food.category == PORK:
            return "not halal: pork"
        match = _HALAL_WORDS.search(food.name)
        return f"not halal: {match.group(0).lower()}" if match else None
    if pattern == "kosher":
        if food.category == PORK:
            return "not kosher: pork"
        if _SHELLFISH.intersection(food.allergens):
            return "not kosher: shellfish"
        match = _KOSHER_WORDS.search(food.name)
        return f"not kosher: {match.group(0).lower()}" if match else None
    return None
