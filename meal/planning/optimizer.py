"""Days of meals that meet daily targets: a small mixed-integer program per day (HiGHS via scipy).

The plan is solved day by day, which keeps each program small (about 100 sampled (slot,
food) pairs, 200-250 variables) and a week fast; what links the days (how often each food
was used, the previous day's meals) is carried from one solve to the next.

Each day: for every meal slot (``SLOTS``), a seeded random sample of the candidates suited to
the slot's meal time, drawn per role and food group first (so "protein" is not five cuts of
beef), weighted towards cheap foods for a low budget and towards the preferred cuisines, plus
the required foods given to that day. For each (slot, food) pair the program has a binary
"chosen" and an integer count of the food's unit in ``min_units * chosen .. max_units *
chosen``: grams are exact multiples of the unit, nothing is rounded after the solve, and
household portion counts follow (``portion_count`` when the unit is half a portion).

Constraints:
- energy within 5 % of the target and protein, carbohydrate and fat within 10 % each,
  solved against tighter inner bands (4.5 % / 9 %) so that results land inside;
- per meal: 2-3 items at breakfast, 2-4 at lunch and dinner, 1-2 for a snack; at most one
  item of each role; lunch and dinner have a protein and a vegetable whenever the sample
  has one;
- each meal's energy within +-50 % of its share of the day (breakfast 25 %, lunch 35 %,
  dinner 30 %, snacks 10 % each, rescaled to the day's slots);
- variety: a food at most once a day and at most ``max_uses_per_week`` times in any 7
  consecutive days (foods used up are left out of the sample), and never exactly the
  previous day's (slot, food) pairs;
- fibre at least ``fiber_min_g`` and sodium at most ``sodium_max_mg`` a day, when set; with
  a sodium maximum, foods whose sodium is unknown are not used; unknown fibre counts 0.

Objective: seeded random weights per (slot, food) (variety), a cost per price tier when the
budget is low (less when medium), a cost for foods matching none of the preferred cuisines,
a small extra cost for snack products, a tiny cost per item; and, in the soft model below,
the band deviations, which dominate everything else.

Models per day. HiGHS spends most of its time proving a good solution optimal, not finding
one (a soft-band model with a 5 % gap took 0.2 s a day, for near-identical days), so:
1. the inner bands, meal shares, fibre and sodium limits are hard constraints, with a loose
   gap (``HARD_GAP``): the first solution inside the bands is taken, steered by the
   objective through HiGHS's LP-based heuristics and by the weighted sample;
2. without a solution, the same on a fresh sample ``RESAMPLE_SCALE`` times larger (a tight
   target may only need foods the first sample missed);
3. without a solution still (an impossible target), soft bands and limits: a deviation
   beyond the inner band costs ``W_INNER`` per % of the day's energy, beyond the tolerance
   ``W_OUTER``, energy counting three times and protein one and a half, so the closest day
   comes back instead of none, keeping energy first and protein next;
4. if even that fails (the meal structure cannot hold), the structure is dropped but for the
   item maxima and the variety limits.
A plan never raises for a hard target; ``PlanResult.feasible`` is False when a day is
outside the tolerance (or misses a fibre or sodium limit), with the largest deviations and
reasons in plain words.

Proposals (foods an LLM chose for a meal) replace that meal's sample: the meal may use only
those foods, in any number from one to all, whatever their role or meal time, with portions
chosen by the program; a day whose proposals cannot meet the tolerance is solved again from
a sample, and marked ``source="optimizer"``.

Reproducible: the same candidates, targets and seed give the same plan. The sample comes
from a numpy Generator seeded with (seed, day); HiGHS is deterministic given its input and
each solve is bounded by a node limit, which is deterministic too. The time limit per solve
(``TIME_LIMIT_S``) keeps a day short; it is the one thing that can make two runs differ, and
only on a day so tight that HiGHS needs that long (about 1 % of solves for random profiles
with demanding diets, none for typical omnivore targets).

Speed: a 7-day, 4-meal plan over the SR28 catalogue (about 3,850 candidates) takes 0.1-0.2 s
p50 and 0.25-0.6 s p95 over 20 seeds on two cores shared with other work, sampling included;
eligibility and classification of the 8,790 foods take 0.1-0.2 s the first time and about
0.01-0.03 s once ``classify`` has cached them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from .foods import BREAKFAST, DINNER, LUNCH, SNACK, Candidate, FoodFacts, Preferences, cuisine_match

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


# --- the candidate pool --------------------------------------------------------------------


class _Group:
    """The foods of one (meal time, role), by food group, with cumulative draw weights."""

    def __init__(self, members: dict[str, list[int]], weight: np.ndarray) -> None:
        self.members = [np.array(indices) for indices in members.values()]
        self.within = [np.cumsum(weight[indices]) / weight[indices].sum() for indices in self.members]
        # A food group is drawn by the mean weight of its foods: with a low budget, beef
        # (all tier 3) comes up less often than legumes, whatever the number of beef cuts.
        group_weight = np.array([weight[indices].mean() for indices in self.members])
        self.groups = np.cumsum(group_weight) / group_weight.sum()

    def draw(self, first: float, second: float) -> int:
        group = min(int(np.searchsorted(self.groups, first, side="right")), len(self.members) - 1)
        within = self.within[group]
        position = min(int(np.searchsorted(within, second, side="right")), len(within) - 1)
        return int(self.members[group][position])


class _Pool:
    """The candidates as arrays, and the sampling groups: (meal time, role) -> food group -> indices."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        need_sodium: bool = False,
        cuisines: tuple[str, ...] = (),
        budget: str = "",
    ) -> None:
        seen: set[int] = set()
        kept: list[Candidate] = []
        for candidate in candidates:
            if candidate.id in seen or (need_sodium and candidate.food.sodium is None):
                continue
            seen.add(candidate.id)
            kept.append(candidate)
        self.items = kept
        self.index = {candidate.id: i for i, candidate in enumerate(kept)}
        size = len(kept)
        per_100g = np.array(
            [[getattr(c.food, column) or 0.0 for column in _NUTRIENT_COLUMNS] for c in kept], dtype=float
        ).reshape(size, len(_NUTRIENT_COLUMNS))
        unit = np.array([c.unit_g for c in kept], dtype=float)
        self.unit_g = unit
        self.per_unit = per_100g * (unit / 100)[:, None]
        self.min_units = np.array([c.min_units for c in kept], dtype=float)
        self.max_units = np.array([c.max_units for c in kept], dtype=float)
        self.price = np.array([c.price for c in kept], dtype=float)
        self.other = np.array([c.role == "other" for c in kept], dtype=bool)
        self.cuisine = np.array([cuisine_match(c.food, cuisines) for c in kept], dtype=bool)
        # Preferences weigh the draw as well as the objective: each day's program only sees
        # its sample, and a sample full of steaks leaves a low budget little to choose from.
        weight = np.ones(size)
        if budget in SAMPLE_PRICE_WEIGHT:
            weight *= np.array(SAMPLE_PRICE_WEIGHT[budget])[self.price.astype(int) - 1]
        if cuisines:
            weight *= np.where(self.cuisine, SAMPLE_CUISINE_WEIGHT, 1.0)
        grouped: dict[tuple[str, str], dict[str, list[int]]] = {}
        for i, candidate in enumerate(kept):
            for meal_time in sorted(candidate.meal_times):
                grouped.setdefault((meal_time, candidate.role), {}).setdefault(candidate.category, []).append(i)
        self.groups = {key: _Group(by_group, weight) for key, by_group in grouped.items()}

    def roles_for(self, meal_time: str) -> list[str]:
        return [role for role in ROLE_WEIGHTS if (meal_time, role) in self.groups]


def _sample(pool: _Pool, meal_time: str, budget: int, rng: np.random.Generator, allowed: np.ndarray) -> list[int]:
    """About ``budget`` allowed foods for ``meal_time``: a quota per role, food groups drawn first."""
    roles = pool.roles_for(meal_time)
    if not roles:
        return []
    weight = sum(ROLE_WEIGHTS[role] for role in roles)
    picked: list[int] = []
    taken: set[int] = set()
    for role in roles:
        quota = max(2, round(budget * ROLE_WEIGHTS[role] / weight))
        group = pool.groups[(meal_time, role)]
        count = 0
        for first, second in rng.random((quota * 6, 2)).tolist():
            index = group.draw(first, second)
            if index in taken or not allowed[index]:
                continue
            taken.add(index)
            picked.append(index)
            count += 1
            if count == quota:
                break
    return picked


# --- one program ---------------------------------------------------------------------------


@dataclass
class _Slot:
    index: int
    meal_time: str
    items: list[int]  # pool indices
    proposed: bool = False


@dataclass
class _Goal:
    values: dict[str, float]  # NUTRIENTS -> target
    fiber_min: float | None = None
    sodium_max: float | None = None
    floors: dict[str, float] | None = None  # absolute tolerance floors (swap)
    kcal_total: float = 0.0  # for meal shares


def _band(goal: _Goal, nutrient: str, pct: dict[str, float]) -> tuple[float, float]:
    target = goal.values[nutrient]
    width = abs(target) * pct[nutrient] / 100
    if goal.floors is not None:
        width = max(width, goal.floors[nutrient] * pct[nutrient] / TOLERANCE_PCT[nutrient])
    return max(target - width, 0.0), target + max(width, 1e-6)


class _Program:
    """Rows and columns of one MILP, collected as triplets and solved once."""

    def __init__(self) -> None:
        self.costs: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def add_vars(self, costs: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, integer: bool) -> int:
        start = len(self.costs)
        self.costs.extend(costs.tolist())
        self.lower.extend(lower.tolist())
        self.upper.extend(upper.tolist())
        self.integer.extend([1 if integer else 0] * len(costs))
        return start

    def add_row(
        self, cols: Sequence[int] | np.ndarray, vals: Sequence[float] | np.ndarray, low: float, high: float
    ) -> None:
        row = len(self.row_lower)
        cols_array = np.asarray(cols, dtype=np.int64)
        self.rows.append(np.full(len(cols_array), row, dtype=np.int64))
        self.cols.append(cols_array)
        self.vals.append(np.asarray(vals, dtype=float))
        self.row_lower.append(low)
        self.row_upper.append(high)

    def add_rows(self, cols: np.ndarray, vals: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
        """One row per line of ``cols``/``vals`` (2-D, same shape)."""
        count, width = cols.shape
        first = len(self.row_lower)
        self.rows.append(np.repeat(np.arange(first, first + count, dtype=np.int64), width))
        self.cols.append(cols.reshape(-1).astype(np.int64))
        self.vals.append(vals.reshape(-1).astype(float))
        self.row_lower.extend(low.tolist())
        self.row_upper.extend(high.tolist())

    def solve(self, node_limit: int | None, gap: float) -> np.ndarray | None:
        size = len(self.costs)
        matrix = coo_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.row_lower), size),
        ).tocsr()
        options: dict[str, Any] = {"time_limit": TIME_LIMIT_S, "mip_rel_gap": gap, "presolve": True}
        if node_limit is not None:
            options["node_limit"] = node_limit
        result = milp(
            np.array(self.costs),
            integrality=np.array(self.integer),
            bounds=Bounds(np.array(self.lower), np.array(self.upper)),
            constraints=LinearConstraint(matrix, np.array(self.row_lower), np.array(self.row_upper)),
            options=options,
        )
        return None if result.x is None else np.asarray(result.x)


def _solve(
    pool: _Pool,
    slots: list[_Slot],
    goal: _Goal,
    rng: np.random.Generator,
    *,
    required: Sequence[int] = (),
    previous: frozenset[tuple[int, int]] = frozenset(),
    budget: str = "",
    use_cuisine: bool = False,
    shares: bool = True,
    relaxed: bool = False,
    hard: bool = False,
    node_limit: int | None = NODE_LIMIT,
) -> list[list[tuple[int, int]]] | None:
    """Per slot, the chosen (pool index, unit count) pairs; ``None`` when HiGHS finds no solution."""
    slot_of = np.array([s for s, slot in enumerate(slots) for _ in slot.items], dtype=np.int64)
    item_of = np.array([item for slot in slots for item in slot.items], dtype=np.int64)
    proposed = np.array([slot.proposed for slot in slots for _ in slot.items], dtype=bool)
    count = len(item_of)
    if count == 0:
        return [[] for _ in slots]
    program = _Program()

    # chosen (binary) and count (integer) per (slot, food)
    preference = rng.random(count) * VARIETY_WEIGHT + ITEM_COST
    preference += OTHER_ROLE_COST * pool.other[item_of]
    if budget in BUDGET_COST:
        preference += BUDGET_COST[budget] * (pool.price[item_of] - 1)
    if use_cuisine:
        preference += CUISINE_MISS_COST * ~pool.cuisine[item_of]
    preference = np.where(proposed, -PROPOSAL_BONUS, preference)
    maxima = pool.max_units[item_of]
    chosen = program.add_vars(preference, np.zeros(count), np.ones(count), integer=True)
    units = program.add_vars(np.zeros(count), np.zeros(count), maxima, integer=True)
    y = np.arange(chosen, chosen + count)
    n = np.arange(units, units + count)
    program.add_rows(
        np.stack([n, y], axis=1), np.stack([np.ones(count), -maxima], axis=1), np.full(count, -np.inf), np.zeros(count)
    )
    program.add_rows(
        np.stack([n, y], axis=1),
        np.stack([np.ones(count), -pool.min_units[item_of]], axis=1),
        np.zeros(count),
        np.full(count, np.inf),
    )

    # daily (or meal) targets, soft: inner band free, then W_INNER up to the tolerance, then W_OUTER
    per_unit = pool.per_unit[item_of]
    for k, nutrient in enumerate(NUTRIENTS):
        inner_low, inner_high = _band(goal, nutrient, INNER_PCT)
        if hard:
            program.add_row(n, per_unit[:, k], inner_low, inner_high)
            continue
        outer_low, outer_high = _band(goal, nutrient, TOLERANCE_PCT)
        # In % of the day's energy, so that 10 g of fat weighs like 22.5 g of carbohydrate.
        scale = 100 * ENERGY_PER_UNIT[nutrient] / max(goal.values["kcal"], 1.0) * PRIORITY[nutrient]
        slack = program.add_vars(
            np.array([W_INNER, W_INNER, W_OUTER, W_OUTER]) * scale,
            np.zeros(4),
            np.array([max(inner_low - outer_low, 0.0), max(outer_high - inner_high, 0.0), np.inf, np.inf]),
            integer=False,
        )
        program.add_row(
            np.concatenate([n, np.arange(slack, slack + 4)]),
            np.concatenate([per_unit[:, k], [1.0, -1.0, 1.0, -1.0]]),
            inner_low,
            inner_high,
        )
    if hard and goal.fiber_min is not None and goal.fiber_min > 0:
        program.add_row(n, per_unit[:, 4], goal.fiber_min, np.inf)
    elif goal.fiber_min is not None and goal.fiber_min > 0:
        slack = program.add_vars(
            np.array([W_LIMIT * 100 / goal.fiber_min]), np.zeros(1), np.full(1, np.inf), integer=False
        )
        program.add_row(np.append(n, slack), np.append(per_unit[:, 4], 1.0), goal.fiber_min, np.inf)
    if hard and goal.sodium_max is not None:
        program.add_row(n, per_unit[:, 5], -np.inf, goal.sodium_max)
    elif goal.sodium_max is not None:
        slack = program.add_vars(
            np.array([W_LIMIT * 100 / max(goal.sodium_max, 1.0)]), np.zeros(1), np.full(1, np.inf), integer=False
        )
        program.add_row(np.append(n, slack), np.append(per_unit[:, 5], -1.0), -np.inf, goal.sodium_max)

    # meals: item counts, energy shares, one item per role, a protein at lunch and dinner
    share_total = sum(MEAL_SHARES[slot.meal_time] for slot in slots)
    for s, slot in enumerate(slots):
        mine = np.flatnonzero(slot_of == s)
        if len(mine) == 0:
            continue
        low, high = ITEM_COUNTS[slot.meal_time]
        roles = [pool.items[item_of[i]].role for i in mine]
        if slot.proposed:
            low, high = 1, len(mine)
        else:
            low = min(low, len(set(roles)))
        program.add_row(y[mine], np.ones(len(mine)), 0.0 if relaxed else float(low), float(high))
        if shares and goal.kcal_total > 0 and hard:
            share = MEAL_SHARES[slot.meal_time] / share_total
            program.add_row(
                n[mine],
                per_unit[mine, 0],
                share * (1 - SHARE_BAND) * goal.kcal_total,
                share * (1 + SHARE_BAND) * goal.kcal_total,
            )
        elif shares and goal.kcal_total > 0:
            share = MEAL_SHARES[slot.meal_time] / share_total
            target = goal.kcal_total
            slack = program.add_vars(np.full(2, W_SHARE * 100 / target), np.zeros(2), np.full(2, np.inf), integer=False)
            program.add_row(
                np.concatenate([n[mine], [slack, slack + 1]]),
                np.concatenate([per_unit[mine, 0], [1.0, -1.0]]),
                share * (1 - SHARE_BAND) * target,
                share * (1 + SHARE_BAND) * target,
            )
        if relaxed or slot.proposed:
            continue
        by_role: dict[str, list[int]] = {}
        for i, role in zip(mine.tolist(), roles, strict=True):
            by_role.setdefault(role, []).append(i)
        for members in by_role.values():
            if len(members) > 1:
                program.add_row(y[members], np.ones(len(members)), 0.0, 1.0)
        if slot.meal_time in MAIN_MEALS:
            for role in ("protein", "vegetable"):
                if role in by_role:
                    program.add_row(y[by_role[role]], np.ones(len(by_role[role])), 1.0, np.inf)

    # a food at most once a day; required foods at least once
    positions: dict[int, list[int]] = {}
    for i, item in enumerate(item_of.tolist()):
        positions.setdefault(item, []).append(i)
    for members in positions.values():
        if len(members) > 1:
            program.add_row(y[members], np.ones(len(members)), 0.0, 1.0)
    if not relaxed:
        for item in required:
            members = positions.get(item, [])
            if members:
                program.add_row(y[members], np.ones(len(members)), 1.0, np.inf)
        # not exactly the previous day's meals
        if previous:
            pairs = {(slots[int(slot_of[i])].index, pool.items[int(item_of[i])].id): i for i in range(count)}
            if all(pair in pairs for pair in previous):
                members = [pairs[pair] for pair in previous]
                program.add_row(y[members], np.ones(len(members)), 0.0, float(len(members) - 1))

    x = program.solve(node_limit, HARD_GAP if hard else MIP_REL_GAP)
    if x is None:
        return None
    picked = np.rint(x[n]).astype(int)
    meals: list[list[tuple[int, int]]] = [[] for _ in slots]
    for i in np.flatnonzero(picked > 0).tolist():
        meals[int(slot_of[i])].append((int(item_of[i]), int(picked[i])))
    return meals


def _solve_robustly(
    pool: _Pool,
    slots: list[_Slot],
    goal: _Goal,
    rng: np.random.Generator,
    resample: Callable[[], list[_Slot]] | None = None,
    **kwargs: Any,
) -> tuple[list[_Slot], list[list[tuple[int, int]]]]:
    """The slots finally used and their meals; never raises.

    Hard bands first; without a solution, hard bands on a fresh, larger sample (when
    ``resample`` is given: a sample may just lack the foods a tight target needs); then soft
    bands; then soft bands without the meal structure.
    """
    meals = _solve(pool, slots, goal, rng, hard=True, node_limit=HARD_NODE_LIMIT, **kwargs)
    if meals is None and resample is not None:
        slots = resample()
        meals = _solve(pool, slots, goal, rng, hard=True, node_limit=HARD_NODE_LIMIT, **kwargs)
    if meals is None:
        meals = _solve(pool, slots, goal, rng, **kwargs)
    if meals is None:
        meals = _solve(pool, slots, goal, rng, **{**kwargs, "relaxed": True})
    if meals is None:
        meals = _solve(pool, slots, goal, rng, **{**kwargs, "relaxed": True, "node_limit": None})
    return slots, meals if meals is not None else [[] for _ in slots]


# --- results -------------------------------------------------------------------------------


def _planned_meal(pool: _Pool, slot: _Slot, chosen: list[tuple[int, int]]) -> PlannedMeal:
    items = []
    for index, count in sorted(chosen, key=lambda pair: _ROLE_ORDER.get(pool.items[pair[0]].role, 99)):
        candidate = pool.items[index]
        grams = round(candidate.unit_g * count, 3)
        if candidate.portion_unit:
            items.append(PlannedItem(candidate.id, grams, count / 2, candidate.food.portion_label))
        else:
            items.append(PlannedItem(candidate.id, grams))
    return PlannedMeal(slot=slot.index, meal_time=slot.meal_time, items=tuple(items))


_ROLE_ORDER = {role: i for i, role in enumerate(ROLE_WEIGHTS)}


def _deviations(sums: Mapping[str, float], goal: Mapping[str, float]) -> dict[str, float]:
    return {nutrient: (sums[nutrient] - goal[nutrient]) / max(goal[nutrient], 1.0) * 100 for nutrient in NUTRIENTS}


def _within(deviation: Mapping[str, float]) -> bool:
    return all(abs(deviation[nutrient]) <= TOLERANCE_PCT[nutrient] for nutrient in NUTRIENTS)


def _rounded(values: Mapping[str, float], digits: int) -> dict[str, float]:
    return {key: round(value, digits) for key, value in values.items()}


# --- the plan ------------------------------------------------------------------------------


def _seed_key(seed: int) -> int:
    return seed % (1 << 63)


def plan(
    candidates: Sequence[Candidate],
    targets: DayTargets,
    *,
    days: int,
    meals_per_day: int,
    seed: int,
    required_ids: Sequence[int] = (),
    proposals: Mapping[tuple[int, int], Sequence[int]] | None = None,
    max_uses_per_week: int = 3,
    prefer: Preferences | None = None,
) -> PlanResult:
    """``days`` days of meals meeting ``targets``; see the module docstring for the model.

    ``required_ids`` are spread over the days (the i-th on day ``i % days + 1``). A
    ``proposals`` entry ``(day, slot) -> food ids`` (1-based day, 0-based slot) limits that
    meal to those foods; a day whose proposals cannot meet the tolerance is solved again
    without them and gets ``source="optimizer"``. ``prefer`` adds the budget, the cuisines,
    and the fibre and sodium limits when ``targets`` has none. Raises ``ValueError`` only
    for arguments outside their domain (``days < 1``, ``meals_per_day`` not in ``SLOTS``).
    """
    started = time.perf_counter()
    if days < 1:
        raise ValueError("days must be at least 1")
    if meals_per_day not in SLOTS:
        raise ValueError(f"meals_per_day must be one of {sorted(SLOTS)}")
    prefer = prefer or Preferences()
    fiber_min = targets.fiber_min_g if targets.fiber_min_g is not None else prefer.fiber_min_g
    sodium_max = targets.sodium_max_mg if targets.sodium_max_mg is not None else prefer.sodium_max_mg
    cuisines = tuple(prefer.cuisines)
    pool = _Pool(candidates, need_sodium=sodium_max is not None, cuisines=cuisines, budget=prefer.budget)
    goal_values = {nutrient: targets.value(nutrient) for nutrient in NUTRIENTS}
    goal = _Goal(goal_values, fiber_min=fiber_min, sodium_max=sodium_max, kcal_total=targets.kcal)
    meal_times = SLOTS[meals_per_day]
    reasons: list[str] = []

    required_by_day: dict[int, list[int]] = {}
    required_set: set[int] = set()
    for position, food_id in enumerate(dict.fromkeys(required_ids)):
        index = pool.index.get(food_id)
        if index is None:
            reasons.append(f"required food {food_id} is not among the allowed candidates and was left out")
            continue
        required_by_day.setdefault(position % days + 1, []).append(index)
        required_set.add(index)
    sampled = np.ones(len(pool.items), dtype=bool)
    sampled[list(required_set)] = False  # required foods come only on their own day

    last_used: dict[int, list[int]] = {}
    previous: frozenset[tuple[int, int]] = frozenset()
    slot_weight = sum(SAMPLE_SLOT_WEIGHT[t] for t in meal_times)
    budgets = {t: round(ITEMS_PER_DAY * SAMPLE_SLOT_WEIGHT[t] / slot_weight) for t in MEAL_SHARES}
    day_plans: list[DayPlan] = []
    for day in range(1, days + 1):
        rng = np.random.default_rng([_seed_key(seed), day])
        recent = np.zeros(len(pool.items), dtype=int)
        for index, used_days in last_used.items():
            recent[index] = sum(1 for used in used_days if used > day - WINDOW_DAYS)
        allowed = sampled & (recent < max_uses_per_week)
        required = required_by_day.get(day, [])
        options: dict[str, Any] = {
            "required": required,
            "previous": previous,
            "budget": prefer.budget,
            "use_cuisine": bool(cuisines),
        }

        def unrestricted(
            scale: int = 1,
            rng: np.random.Generator = rng,
            allowed: np.ndarray = allowed,
            required: list[int] = required,
        ) -> list[_Slot]:
            slots = [_Slot(s, t, _sample(pool, t, budgets[t] * scale, rng, allowed)) for s, t in enumerate(meal_times)]
            _place_required(pool, slots, required)
            return slots

        def larger(unrestricted: Callable[..., list[_Slot]] = unrestricted) -> list[_Slot]:
            return unrestricted(RESAMPLE_SCALE)

        slots: list[_Slot] | None = None
        source = "optimizer"
        if proposals:
            slots = _proposed_slots(pool, meal_times, day, proposals, rng, budgets, allowed)
            if slots is not None:
                _place_required(pool, slots, required)
                source = "proposal"
        if slots is None:
            slots, meals = _solve_robustly(pool, unrestricted(), goal, rng, resample=larger, **options)
        else:
            slots, meals = _solve_robustly(pool, slots, goal, rng, **options)
        day_plan = _day_plan(pool, day, slots, meals, goal, source)
        if source == "proposal" and not day_plan.within:
            slots, meals = _solve_robustly(pool, unrestricted(), goal, rng, resample=larger, **options)
            day_plan = _day_plan(pool, day, slots, meals, goal, "optimizer")
        day_plans.append(day_plan)
        pairs = set()
        for slot, chosen in zip(slots, meals, strict=True):
            for index, _ in chosen:
                last_used.setdefault(index, []).append(day)
                pairs.add((slot.index, pool.items[index].id))
        previous = frozenset(pairs)

    largest = dict.fromkeys(NUTRIENTS, 0.0)
    for day_plan in day_plans:
        for nutrient in NUTRIENTS:
            if abs(day_plan.deviation_pct[nutrient]) > abs(largest[nutrient]):
                largest[nutrient] = day_plan.deviation_pct[nutrient]
    feasible = all(day_plan.within for day_plan in day_plans)
    if not feasible:
        reasons.extend(_reasons(pool, day_plans, targets, prefer, fiber_min, sodium_max, meals_per_day))
    planned_ids = {item.food_id for day_plan in day_plans for meal in day_plan.meals for item in meal.items}
    for index in sorted(required_set):
        if pool.items[index].id not in planned_ids:
            reasons.append(f"required food {pool.items[index].id} could not be fitted into any meal")
    return PlanResult(
        days=tuple(day_plans),
        feasible=feasible,
        largest_deviation_pct=largest,
        reasons=reasons,
        seconds=round(time.perf_counter() - started, 4),
    )


def _place_required(pool: _Pool, slots: list[_Slot], required: Sequence[int]) -> None:
    """Offer each required food in every slot it suits, or in lunch and dinner if it suits none."""
    for index in required:
        candidate = pool.items[index]
        suited = [slot for slot in slots if candidate.meal_times.__contains__(slot.meal_time) and not slot.proposed]
        if not suited:
            suited = [slot for slot in slots if slot.meal_time in MAIN_MEALS and not slot.proposed]
        for slot in suited:
            if index not in slot.items:
                slot.items.append(index)


def _proposed_slots(
    pool: _Pool,
    meal_times: tuple[str, ...],
    day: int,
    proposals: Mapping[tuple[int, int], Sequence[int]],
    rng: np.random.Generator,
    budgets: Mapping[str, int],
    allowed: np.ndarray,
) -> list[_Slot] | None:
    """The day's slots with proposed meals limited to their foods; ``None`` if nothing usable is proposed."""
    slots: list[_Slot] = []
    any_proposed = False
    for s, meal_time in enumerate(meal_times):
        ids = proposals.get((day, s))
        if ids is None:
            slots.append(_Slot(s, meal_time, _sample(pool, meal_time, budgets[meal_time], rng, allowed)))
            continue
        items = [pool.index[food_id] for food_id in dict.fromkeys(ids) if food_id in pool.index]
        items = [index for index in items if allowed[index]]
        if not items:
            return None
        slots.append(_Slot(s, meal_time, items, proposed=True))
        any_proposed = True
    return slots if any_proposed else None


def _day_plan(
    pool: _Pool,
    day: int,
    slots: list[_Slot],
    meals: list[list[tuple[int, int]]],
    goal: _Goal,
    source: str,
) -> DayPlan:
    """The day as planned; ``within`` when every target is inside its tolerance and the limits hold."""
    planned = tuple(_planned_meal(pool, slot, chosen) for slot, chosen in zip(slots, meals, strict=True))
    facts = {candidate.id: candidate.food for candidate in pool.items}
    sums = totals((item for meal in planned for item in meal.items), facts)
    deviation = _deviations(sums, goal.values)
    return DayPlan(
        day=day,
        meals=planned,
        totals=_rounded(sums, 1),
        deviation_pct=_rounded(deviation, 2),
        within=_within(deviation) and _limits_met(sums, goal.fiber_min, goal.sodium_max),
        source=source,
    )


def _limits_met(sums: Mapping[str, float], fiber_min: float | None, sodium_max: float | None) -> bool:
    if fiber_min is not None and sums["fiber_g"] < fiber_min - LIMIT_SLACK:
        return False
    return not (sodium_max is not None and sums["sodium_mg"] > sodium_max + LIMIT_SLACK)


_NUTRIENT_WORDS = {"kcal": "energy", "protein_g": "protein", "carbohydrate_g": "carbohydrate", "fat_g": "fat"}


def _either(words: Sequence[str], conjunction: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _describe(prefer: Preferences) -> str:
    """What the allowed foods are: " for a vegan pattern without soy or peanuts, excluding rice"."""
    text = ""
    if prefer.dietary_pattern and prefer.dietary_pattern != "omnivore":
        text = f" for a {prefer.dietary_pattern.replace('_', ' ')} pattern"
    if prefer.allergens:
        text += " without " + _either(sorted(code.replace("_", " ") for code in prefer.allergens), "or")
    if prefer.excluded:
        shown = list(prefer.excluded[:3]) + (["more"] if len(prefer.excluded) > 3 else [])
        text += ("," if text else "") + " excluding " + _either(shown, "and")
    return text


def _reasons(
    pool: _Pool,
    day_plans: Sequence[DayPlan],
    targets: DayTargets,
    prefer: Preferences,
    fiber_min: float | None,
    sodium_max: float | None,
    meals_per_day: int,
) -> list[str]:
    """Plain words for each nutrient some day misses, and what limits it when that is cheap to tell."""
    allowed = _describe(prefer)
    if not pool.items:
        return [f"no food of the catalogue is allowed{allowed}, so no meal can be planned"]
    reasons = []
    kcal_target = f"{targets.kcal:,.0f} kcal"
    missed: dict[str, tuple[list[DayPlan], DayPlan]] = {}
    for nutrient in NUTRIENTS:
        misses = [d for d in day_plans if abs(d.deviation_pct[nutrient]) > TOLERANCE_PCT[nutrient]]
        if misses:
            missed[nutrient] = (misses, max(misses, key=lambda d: abs(d.deviation_pct[nutrient])))
    protein_short = "protein_g" in missed and missed["protein_g"][1].deviation_pct["protein_g"] < 0
    for nutrient, (misses, worst) in missed.items():
        value = worst.deviation_pct[nutrient]
        word = _NUTRIENT_WORDS[nutrient]
        head = (
            f"{word} stays {abs(value):.0f} % {'below' if value < 0 else 'above'} target on {len(misses)} of "
            f"{len(day_plans)} days (worst: day {worst.day})"
        )
        if nutrient == "kcal":
            if value < 0:
                why = (
                    f"{kcal_target} in {meals_per_day} meals needs more than the largest realistic portions of the "
                    f"foods allowed{allowed} (about 250 g of meat or fish, 300 g of grains or vegetables, at most "
                    "800 kcal an item)"
                )
            else:
                why = (
                    f"even the smallest realistic meals of the foods allowed{allowed} add up to more than {kcal_target}"
                )
            reasons.append(f"{head}: {why}")
            continue
        factor = ENERGY_PER_UNIT[nutrient]
        wanted = factor * targets.value(nutrient) / max(targets.kcal, 1.0) * 100
        reached = factor * worst.totals[nutrient] / max(worst.totals["kcal"], 1.0) * 100
        if value < 0:
            column = NUTRIENTS.index(nutrient)
            energy = pool.per_unit[:, 0]
            # Only foods of some substance (100 kcal/100 g or more): a leaf with 90 % of its few
            # kcal as protein says nothing about what a day of meals can reach.
            substantial = energy * 100 >= 100 * pool.unit_g
            shares = factor * pool.per_unit[substantial, column] * 100 / energy[substantial]
            best = float(shares.max()) if len(shares) else 0.0
            why = (
                f"the target puts {wanted:.0f} % of {kcal_target} in {word}; the {word}-richest foods "
                f"allowed{allowed} have {best:.0f} % of their energy as {word}, and days of realistic meals "
                f"reach {reached:.0f} %"
            )
        elif protein_short and "kcal" not in missed:
            why = (
                f"with protein short, the rest of the energy comes from carbohydrate and fat: the days have "
                f"{reached:.0f} % of their energy as {word}, the target {wanted:.0f} %"
            )
        else:
            why = (
                f"the foods allowed{allowed} carry more {word} than the target leaves room for: the days have "
                f"{reached:.0f} % of their energy as {word}, the target {wanted:.0f} %"
            )
        reasons.append(f"{head}: {why}")
    if fiber_min is not None:
        low = [d for d in day_plans if d.totals["fiber_g"] < fiber_min - LIMIT_SLACK]
        if low:
            least = min(d.totals["fiber_g"] for d in low)
            reasons.append(
                f"fibre stays below the {fiber_min:g} g minimum on {len(low)} of {len(day_plans)} days "
                f"(lowest {least:.0f} g): the foods allowed{allowed} cannot add more within the energy target"
            )
    if sodium_max is not None:
        high = [d for d in day_plans if d.totals["sodium_mg"] > sodium_max + LIMIT_SLACK]
        if high:
            most = max(d.totals["sodium_mg"] for d in high)
            reasons.append(
                f"sodium stays above the {sodium_max:g} mg maximum on {len(high)} of {len(day_plans)} days "
                f"(highest {most:.0f} mg), even with foods of known sodium only"
            )
    return reasons


# --- swapping one meal ---------------------------------------------------------------------


def swap(
    candidates: Sequence[Candidate],
    *,
    meal_time: str,
    original: PlannedMeal,
    original_totals: Mapping[str, float],
    exclude_ids: Collection[int],
    seed: int,
) -> SwapResult:
    """Another meal for ``meal_time`` with the macros of ``original``, none of its foods, nor ``exclude_ids``.

    Energy within 5 % and each macro within 10 % of ``original_totals`` (soft bands, as for
    days); a few grams or kcal off count as within for a small meal (``SWAP_FLOOR``).
    """
    excluded = set(exclude_ids) | {item.food_id for item in original.items}
    pool = _Pool([c for c in candidates if c.id not in excluded])
    rng = np.random.default_rng([_seed_key(seed), 0, original.slot])
    allowed = np.ones(len(pool.items), dtype=bool)
    slot = _Slot(original.slot, meal_time, _sample(pool, meal_time, SWAP_ITEMS, rng, allowed))
    values = {nutrient: float(original_totals.get(nutrient, 0.0)) for nutrient in NUTRIENTS}
    goal = _Goal(values, floors=SWAP_FLOOR)
    (slot,), meals = _solve_robustly(pool, [slot], goal, rng, shares=False)
    meal = _planned_meal(pool, slot, meals[0])
    facts = {candidate.id: candidate.food for candidate in pool.items}
    sums = totals(meal.items, facts)
    deviation = _deviations(sums, values)
    within = all(
        abs(deviation[nutrient]) <= TOLERANCE_PCT[nutrient]
        or abs(sums[nutrient] - values[nutrient]) <= SWAP_FLOOR[nutrient]
        for nutrient in NUTRIENTS
    )
    return SwapResult(meal=meal, totals=_rounded(sums, 1), deviation_pct=_rounded(deviation, 2), within=within)
