"""What the planning rules work on: a food's facts, the user's preferences, a plannable candidate.

``FoodFacts`` are a food's catalogue data, ``Preferences`` what the user asked for, and a
``Candidate`` an allowed food with its role, meal times and amount unit (see
``classification``). The constants below are the words the rules are written in: the USDA
food groups, the meal times, the roles and the limits.
"""

from __future__ import annotations

from dataclasses import dataclass

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
