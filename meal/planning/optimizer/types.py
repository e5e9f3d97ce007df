"""The optimizer's targets and results, and the constants its model is tuned with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..foods import BREAKFAST, DINNER, LUNCH, SNACK, FoodFacts

SLOTS: dict[int, tuple[str, ...]] = {
    3: (BREAKFAST, LUNCH, DINNER),
    4: (BREAKFAST, LUNCH, SNACK, DINNER),
    5: (BREAKFAST, SNACK, LUNCH, SNACK, DINNER),
    6: (BREAKFAST, SNACK, LUNCH, SNACK, DINNER, SNACK),
}
NUTRIENTS = ("kcal", "protein_g", "carbohydrate_g", "fat_g")
TOLERANCE_PCT = {"kcal": 5.0, "protein_g": 10.0, "carbohydrate_g": 10.0, "fat_g": 10.0}
INNER_PCT = {"kcal": 4.5, "protein_g": 9.0, "carbohydrate_g": 9.0, "fat_g": 9.0}
# A swapped meal is small: a few grams or kcal off is "within" whatever the percentage.
SWAP_FLOOR = {"kcal": 20.0, "protein_g": 2.0, "carbohydrate_g": 2.0, "fat_g": 2.0}
MEAL_SHARES = {BREAKFAST: 0.25, LUNCH: 0.35, DINNER: 0.30, SNACK: 0.10}
SHARE_BAND = 0.5  # a meal's energy within +-50 % of its share
ITEM_COUNTS = {BREAKFAST: (2, 3), LUNCH: (2, 4), DINNER: (2, 4), SNACK: (1, 2)}
MAIN_MEALS = frozenset({LUNCH, DINNER})
ROLE_WEIGHTS = {
    "protein": 3.0,
    "starch": 2.0,
    "vegetable": 2.0,
    "fruit": 1.5,
    "dairy": 1.5,
    "fat": 1.0,
    "nuts": 1.0,
    "other": 1.0,
}
ITEMS_PER_DAY = 100  # (slot, food) pairs in one day's program, shared by the slots as below
SAMPLE_SLOT_WEIGHT = {BREAKFAST: 1.0, LUNCH: 1.3, DINNER: 1.3, SNACK: 0.5}
RESAMPLE_SCALE = 3  # a day without a solution tries once more on a sample this much larger
SWAP_ITEMS = 90
WINDOW_DAYS = 7

# Soft model: cost per % of the day's energy beyond the inner band / beyond the tolerance.
W_INNER = 50.0
W_OUTER = 500.0
# Energy first: when not every target can be met, the day stays close in energy and gives up macros.
PRIORITY = {"kcal": 3.0, "protein_g": 1.5, "carbohydrate_g": 1.0, "fat_g": 1.0}
ENERGY_PER_UNIT = {"kcal": 1.0, "protein_g": 4.0, "carbohydrate_g": 4.0, "fat_g": 9.0}
W_SHARE = 1.0  # per % of the day's energy outside a meal's share band
W_LIMIT = 100.0  # per % below the fibre minimum or above the sodium maximum
LIMIT_SLACK = 0.05  # g or mg: HiGHS's feasibility tolerance, not a leniency
VARIETY_WEIGHT = 1.0
ITEM_COST = 0.05
OTHER_ROLE_COST = 0.3
CUISINE_MISS_COST = 0.8
BUDGET_COST = {"low": 0.6, "medium": 0.2}
SAMPLE_PRICE_WEIGHT = {"low": (1.0, 0.35, 0.1), "medium": (1.0, 0.8, 0.5)}  # by price tier 1..3
SAMPLE_CUISINE_WEIGHT = 4.0
PROPOSAL_BONUS = 0.5

# HiGHS limits: the hard model stops at its first solution inside the bands; the soft one
# within 10 % of the best deviation it can prove.
HARD_GAP = 0.99
HARD_NODE_LIMIT = 200
NODE_LIMIT = 400
MIP_REL_GAP = 0.1
TIME_LIMIT_S = 1.0

_NUTRIENT_COLUMNS = ("kcal", "protein", "carbs", "fat", "fiber", "sodium")
_TOTAL_KEYS = ("kcal", "protein_g", "carbohydrate_g", "fat_g", "fiber_g", "sodium_mg")


@dataclass(frozen=True)
class DayTargets:
    kcal: float
    protein_g: float
    carbohydrate_g: float
    fat_g: float
    fiber_min_g: float | None = None
    sodium_max_mg: float | None = None

    def value(self, nutrient: str) -> float:
        return float(getattr(self, nutrient))


@dataclass(frozen=True)
class PlannedItem:
    food_id: int
    grams: float
    portion_count: float | None = None  # of ``portion_label``, when the amount is counted in half portions
    portion_label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PlannedMeal:
    slot: int  # 0-based position in SLOTS[meals_per_day]
    meal_time: str
    items: tuple[PlannedItem, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DayPlan:
    day: int  # 1-based
    meals: tuple[PlannedMeal, ...]
    totals: dict[str, float]
    deviation_pct: dict[str, float]  # signed, vs the target, per nutrient of NUTRIENTS
    within: bool
    source: str  # "optimizer", or "proposal" when the proposed foods were used for this day

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PlanResult:
    days: tuple[DayPlan, ...]
    feasible: bool
    largest_deviation_pct: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SwapResult:
    meal: PlannedMeal
    totals: dict[str, float]
    deviation_pct: dict[str, float]
    within: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def totals(items: Iterable[PlannedItem], facts_by_id: Mapping[int, FoodFacts]) -> dict[str, float]:
    """kcal, protein_g, carbohydrate_g, fat_g, fiber_g, sodium_mg of ``items`` (unknown fibre/sodium: 0)."""
    sums = dict.fromkeys(_TOTAL_KEYS, 0.0)
    for item in items:
        food = facts_by_id[item.food_id]
        factor = item.grams / 100
        sums["kcal"] += food.kcal * factor
        sums["protein_g"] += food.protein * factor
        sums["carbohydrate_g"] += food.carbs * factor
        sums["fat_g"] += food.fat * factor
        sums["fiber_g"] += (food.fiber or 0.0) * factor
        sums["sodium_mg"] += (food.sodium or 0.0) * factor
    return sums
