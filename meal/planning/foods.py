"""Which foods a meal plan may use, and what part each can play in a meal.

Pure functions over ``FoodFacts`` (a food's name, category slug, nutrients per 100 g, diet
flags, allergens and first household portion); nothing here touches the database.

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
from dataclasses import dataclass
from functools import lru_cache

# USDA SR28 food groups, as ``meal.importers.base.category_slug`` names them.
DAIRY_EGG = "dairy-and-egg-products"
SPICES = "spices-and-herbs"
BABY_FOODS = "baby-foods"
FATS_OILS = "fats-and-oils"
POULTRY = "poultry-products"
SOUPS_SAUCES = "soups-sauces-and-gravies"
SAUSAGES = "sausages-and-luncheon-meats"
BREAKFAST_CEREALS = "breakfast-cereals"
FRUITS = "fruits-and-fruit-juices"
PORK = "pork-products"
VEGETABLES = "vegetables-and-vegetable-products"
NUTS_SEEDS = "nut-and-seed-products"
BEEF = "beef-products"
BEVERAGES = "beverages"
FISH = "finfish-and-shellfish-products"
LEGUMES = "legumes-and-legume-products"
LAMB_VEAL_GAME = "lamb-veal-and-game-products"
BAKED = "baked-products"
SWEETS = "sweets"
GRAINS_PASTA = "cereal-grains-and-pasta"
FAST_FOODS = "fast-foods"
MEALS_ENTREES = "meals-entrees-and-side-dishes"
SNACKS = "snacks"
NATIVE_FOODS = "american-indianalaska-native-foods"
RESTAURANT = "restaurant-foods"

BREAKFAST, LUNCH, DINNER, SNACK = "breakfast", "lunch", "dinner", "snack"
MEAL_TIMES = (BREAKFAST, LUNCH, DINNER, SNACK)
ROLES = ("protein", "starch", "vegetable", "fruit", "dairy", "fat", "nuts", "other")

KETO_MAX_NET_CARBS_G = 10.0
LOW_CARB_MAX_NET_CARBS_G = 30.0
MAX_ITEM_KCAL = 800.0
DENSE_KCAL = 300.0  # per 100 g: counted in 5 g units, not 10 g
PORTION_UNIT_RANGE = (10.0, 400.0)


@dataclass(frozen=True)
class FoodFacts:
    id: int
    name: str
    category: str  # FoodCategory slug, "" when none
    kcal: float  # per 100 g, like every nutrient here
    protein: float
    carbs: float
    fat: float
    fiber: float | None  # g
    sodium: float | None  # mg
    vegan: bool | None
    vegetarian: bool | None
    allergens: tuple[str, ...]
    portion_label: str | None = None  # the first household portion, if any
    portion_grams: float | None = None


@dataclass(frozen=True)
class Preferences:
    dietary_pattern: str = ""  # "" = omnivore
    allergens: frozenset[str] = frozenset()
    excluded: tuple[str, ...] = ()  # food names or words the user never wants
    include_ids: tuple[int, ...] = ()  # foods the user asked for (must appear in the plan)
    cuisines: tuple[str, ...] = ()  # "italian", "mexican": a preference, never a filter
    budget: str = ""  # "", "low", "medium", "high"
    fiber_min_g: float | None = None  # per day
    sodium_max_mg: float | None = None  # per day


@dataclass(frozen=True)
class Candidate:
    """A food the optimizer may plan: ``grams = unit_g * count``, count in ``min_units..max_units``."""

    food: FoodFacts
    role: str
    meal_times: frozenset[str]
    unit_g: float
    min_units: int
    max_units: int
    price: int  # 1 (cheap) .. 3
    portion_unit: bool  # unit_g is half of the food's household portion

    @property
    def id(self) -> int:
        return self.food.id

    @property
    def name(self) -> str:
        return self.food.name

    @property
    def category(self) -> str:
        return self.food.category


# --- blocking ------------------------------------------------------------------------------


def _word_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """Whole words or phrases, each with an optional plural ending, case-insensitive."""
    alternatives = []
    for word in words:
        stem = " ".join(word.lower().split())
        if not stem:
            continue
        if stem.endswith("ies") and len(stem) > 4:
            body, ending = stem[:-3], "(?:y|ies)"
        elif stem.endswith("y") and len(stem) > 2 and stem[-2] not in "aeiou":
            body, ending = stem[:-1], "(?:y|ies)"
        elif stem.endswith(("ches", "shes", "sses", "xes", "oes")):
            body, ending = stem[:-2], "(?:es)?"
        elif stem.endswith("s") and not stem.endswith("ss") and len(stem) > 3:
            body, ending = stem[:-1], "(?:e?s)?"
        else:
            body, ending = stem, "(?:e?s)?"
        alternatives.append(re.escape(body).replace(r"\ ", r"[\s,-]+") + ending)
    if not alternatives:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


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


# --- classification ------------------------------------------------------------------------

_REJECTED_GROUPS = frozenset(
    {
        BABY_FOODS,
        SPICES,
        FAST_FOODS,
        RESTAURANT,
        SOUPS_SAUCES,
        MEALS_ENTREES,
        NATIVE_FOODS,
        BEVERAGES,
        SWEETS,
    }
)
_MEAT_GROUPS = frozenset({POULTRY, PORK, BEEF, LAMB_VEAL_GAME, FISH})
_EXPENSIVE_GROUPS = frozenset({BEEF, LAMB_VEAL_GAME, FISH})
_CHEAP_GROUPS = frozenset({LEGUMES, GRAINS_PASTA, VEGETABLES})

_REJECTED_WORDS = _word_pattern(
    [
        "babyfood",
        "baby",
        "infant",
        "toddler",
        "formula",
        "powder",
        "powdered",
        "dehydrated",
        "concentrate",
        "juice",
        "nectar",
        "drink",
        "beverage",
        "smoothie",
        "shake",
        "unprepared",
        "uncooked",
        "not reconstituted",
        "dry mix",
        "mix, dry",
        "industrial",
        "shortening",
        "lard",
        "tallow",
        "suet",
        "fish oil",
        "seal",
        "walrus",
        "whale",
        "protein isolate",
        "wheat gluten",
        "isolate",
        "yeast",
        "leavening",
        "extract",
        "seasoning",
        "pie filling",
        "frosting",
        "topping",
        "candied",
        "variety meats",
        "by-products",
        "giblets",
        "mechanically separated",
        "skin only",
        "fat only",
        "separable fat",
        "seam fat",
        "cartilage",
        "feet",
        "tail",
        "snout",
        "chitterlings",
        "as purchased",
        "restaurant",
        "spray",
    ]
)
_DRIED = re.compile(
    r"\b(?:dried|desiccated|freeze-dried|dehydrated)\b|\bdry\b(?![\s-]+(?:heat|roasted))", re.IGNORECASE
)
# Flours, meals and starches are ingredients, except in the name of a baked product ("tortillas, flour").
_INGREDIENT = _word_pattern(["flour", "meal", "starch"])
_COOKED = _word_pattern(
    [
        "cooked",
        "roasted",
        "boiled",
        "braised",
        "broiled",
        "grilled",
        "baked",
        "fried",
        "stewed",
        "simmered",
        "steamed",
        "poached",
        "smoked",
        "cured",
        "canned",
        "rotisserie",
        "heated",
        "microwaved",
        "toasted",
        "prepared",
        "moist heat",
        "dry heat",
        "scrambled",
        "kippered",
        "ready-to-eat",
        "ready-to-serve",
        "precooked",
    ]
)
_RAW = _word_pattern(["raw", "fresh"])
_SWEET_BAKED = _word_pattern(
    [
        "cake",
        "cookie",
        "pie",
        "pastry",
        "pastries",
        "doughnut",
        "danish",
        "brownie",
        "sweet roll",
        "cinnamon roll",
        "dough",
        "mix",
        "crust",
        "stuffing",
        "crouton",
        "bread crumbs",
        "coffeecake",
        "strudel",
        "turnover",
        "eclair",
        "cheesecake",
        "pop-tarts",
        "toaster pastries",
        "coating",
        "cream puff",
        "ice cream cone",
        "wafer",
        "sweet",
    ]
)
_BAKED_STARCH = _word_pattern(
    ["bread", "roll", "bagel", "tortilla", "pita", "english muffin", "toast", "biscuit", "matzo", "focaccia"]
)
_BAKED_BREAKFAST = _word_pattern(["pancake", "waffle", "french toast", "muffin", "croissant"])
_BAKED_SNACK = _word_pattern(["cracker", "crispbread", "rice cake", "melba toast", "breadstick"])
_DAIRY_REJECTED = _word_pattern(
    [
        "ice cream",
        "ice milk",
        "frozen",
        "dessert",
        "custard",
        "eggnog",
        "milkshake",
        "substitute",
        "imitation",
        "whipped",
        "sweetened condensed",
        "dulce",
        "whey",
        "casein",
        "sauce",
        "spread",
        "food",
        "cheez",
        "product",
        "pudding",
        "yolk",
        "human",
    ]
)
_EGG = _word_pattern(["egg", "egg white"])
_CHEESE = _word_pattern(["cheese"])
_SOFT_CHEESE = _word_pattern(["cottage", "ricotta", "quark", "farmer"])
_DRINKABLE_DAIRY = _word_pattern(["milk", "yogurt", "kefir", "buttermilk", "soymilk", "soy milk"])
_CREAMY_FAT = _word_pattern(["butter", "cream", "sour cream", "half and half", "ghee", "margarine"])
_DRESSING = _word_pattern(["dressing", "mayonnaise", "mayo", "sandwich spread", "tartar"])
_FAT_REJECTED = _word_pattern(
    ["frying", "hydrogenated", "confection", "animal", "beef", "chicken", "pork", "mutton", "turkey", "duck", "goose"]
)
_OIL = re.compile(r"^oils?\b", re.IGNORECASE)
_STARCHY_VEGETABLES = _word_pattern(
    ["potato", "sweet potato", "yam", "cassava", "taro", "plantain", "corn", "parsnip", "hominy", "breadfruit"]
)
_VEGETABLE_REJECTED = _word_pattern(
    ["paste", "sauce", "ketchup", "catsup", "puree", "flakes", "chips", "pickle relish"]
)
_SNACKING_VEGETABLES = _word_pattern(["carrot", "celery", "cucumber", "tomato", "peppers, sweet", "radish", "snap pea"])
_READY_LEGUMES = _word_pattern(
    [
        "tofu",
        "tempeh",
        "hummus",
        "falafel",
        "natto",
        "soymilk",
        "soy milk",
        "peanut butter",
        "peanuts",
        "edamame",
        "refried",
        "veggie",
        "meatless",
    ]
)
_PEANUT = _word_pattern(["peanut", "peanuts"])
_LEGUME_REJECTED = _word_pattern(["miso", "soy sauce", "creamer", "frozen", "mature seeds, raw", "sprouted, raw"])
_NUTS_REJECTED = _word_pattern(["milk", "water", "cream", "oil", "paste", "protein"])
_NUT_BUTTER = _word_pattern(["butter", "tahini", "spread"])
_CEREALS_RTE = _word_pattern(["ready-to-eat"])
_BREAKFAST_MEAT = _word_pattern(["bacon", "sausage", "ham", "canadian bacon", "salmon, smoked", "lox"])
_FRUIT_REJECTED = _word_pattern(["pie filling", "heavy syrup", "fruit cocktail, canned, extra heavy syrup", "sauce"])


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


# --- cuisines ------------------------------------------------------------------------------

CUISINE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "italian": (
        "pasta",
        "spaghetti",
        "macaroni",
        "penne",
        "lasagna",
        "ravioli",
        "gnocchi",
        "polenta",
        "mozzarella",
        "parmesan",
        "ricotta",
        "provolone",
        "olive",
        "basil",
        "tomato",
        "zucchini",
        "eggplant",
        "prosciutto",
        "focaccia",
        "ciabatta",
    ),
    "mexican": (
        "tortilla",
        "beans, black",
        "beans, pinto",
        "refried",
        "avocado",
        "salsa",
        "jalapeno",
        "chili",
        "corn",
        "queso",
        "chorizo",
        "cilantro",
        "lime",
        "tomatillo",
    ),
    "japanese": (
        "rice",
        "tofu",
        "edamame",
        "seaweed",
        "nori",
        "salmon",
        "tuna",
        "mackerel",
        "soba",
        "udon",
        "shiitake",
        "daikon",
        "natto",
        "miso",
    ),
    "chinese": ("rice", "tofu", "bok choy", "pak-choi", "noodle", "ginger", "scallion", "shiitake", "bamboo", "mung"),
    "indian": (
        "lentil",
        "chickpea",
        "dal",
        "paneer",
        "basmati",
        "curry",
        "spinach",
        "cauliflower",
        "yogurt",
        "naan",
        "ghee",
        "okra",
    ),
    "thai": ("rice", "coconut", "lemongrass", "basil", "peanut", "noodle", "tofu", "shrimp", "lime"),
    "greek": ("feta", "olive", "yogurt", "cucumber", "tomato", "lamb", "pita", "chickpea", "eggplant", "spinach"),
    "mediterranean": (
        "olive",
        "feta",
        "chickpea",
        "hummus",
        "lentil",
        "yogurt",
        "tomato",
        "eggplant",
        "pita",
        "bulgur",
        "couscous",
        "sardine",
        "salmon",
        "almond",
    ),
    "middle eastern": ("chickpea", "hummus", "tahini", "pita", "lentil", "bulgur", "lamb", "falafel", "date"),
    "french": ("baguette", "brie", "camembert", "croissant", "leek", "butter", "lentil", "duck"),
    "korean": ("kimchi", "rice", "tofu", "sesame", "seaweed", "beef", "cabbage"),
    "american": ("beef", "turkey", "potato", "corn", "cheddar", "bacon", "peanut butter", "apple"),
    "spanish": ("chorizo", "olive", "paprika", "rice", "chickpea", "tomato", "almond"),
}


@lru_cache(maxsize=256)
def _cuisine_pattern(cuisines: tuple[str, ...]) -> re.Pattern[str]:
    words: list[str] = []
    for cuisine in cuisines:
        key = " ".join(cuisine.lower().replace("_", " ").split())
        if key:
            words.append(key)
            words.extend(CUISINE_KEYWORDS.get(key, ()))
    return _word_pattern(words)


def cuisine_match(food: FoodFacts, cuisines: tuple[str, ...]) -> bool:
    """Whether the food's name fits one of the cuisines (its keywords, or the word itself)."""
    return bool(cuisines) and _cuisine_pattern(tuple(cuisines)).search(food.name) is not None
