"""One day's (or one meal's) mixed-integer program, built and solved once with HiGHS.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from .pool import _Pool
from .types import (
    BUDGET_COST,
    CUISINE_MISS_COST,
    ENERGY_PER_UNIT,
    HARD_GAP,
    INNER_PCT,
    ITEM_COST,
    ITEM_COUNTS,
    MAIN_MEALS,
    MEAL_SHARES,
    MIP_REL_GAP,
    NODE_LIMIT,
    NUTRIENTS,
    OTHER_ROLE_COST,
    PRIORITY,
    PROPOSAL_BONUS,
    SHARE_BAND,
    TIME_LIMIT_S,
    TOLERANCE_PCT,
    VARIETY_WEIGHT,
    W_INNER,
    W_LIMIT,
    W_OUTER,
    W_SHARE,
)


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
