"""Days of meals that meet daily targets: a small mixed-integer program per day (HiGHS via scipy).

The plan is solved day by day, which keeps each program small (about 100 sampled (slot,
food) pairs, 200-250 variables) and a week fast; what links the days (how often each food
was used, the previous day's meals) is carried from one solve to the next.

The model is explained with its code; everything callers use is re-exported here, so
``from meal.planning import optimizer`` and ``optimizer.plan(...)`` work as before.

- ``types``: ``DayTargets`` and the results (``PlanResult``, ``DayPlan``, ``PlannedMeal``,
  ``PlannedItem``, ``SwapResult``), ``totals``, and the tuning constants;
- ``pool``: the candidates as arrays, and each day's seeded sample;
- ``model``: one mixed-integer program: variables, constraints, objective;
- ``solve``: a day's models, from hard bands to soft ones, and the day as planned;
- ``planner``: ``plan()`` over the days, proposals, plain-word reasons, and ``swap()``.

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

from .planner import plan, swap
from .types import (
    BUDGET_COST,
    CUISINE_MISS_COST,
    ENERGY_PER_UNIT,
    HARD_GAP,
    HARD_NODE_LIMIT,
    INNER_PCT,
    ITEM_COST,
    ITEM_COUNTS,
    ITEMS_PER_DAY,
    LIMIT_SLACK,
    MAIN_MEALS,
    MEAL_SHARES,
    MIP_REL_GAP,
    NODE_LIMIT,
    NUTRIENTS,
    OTHER_ROLE_COST,
    PRIORITY,
    PROPOSAL_BONUS,
    RESAMPLE_SCALE,
    ROLE_WEIGHTS,
    SAMPLE_CUISINE_WEIGHT,
    SAMPLE_PRICE_WEIGHT,
    SAMPLE_SLOT_WEIGHT,
    SHARE_BAND,
    SLOTS,
    SWAP_FLOOR,
    SWAP_ITEMS,
    TIME_LIMIT_S,
    TOLERANCE_PCT,
    VARIETY_WEIGHT,
    W_INNER,
    W_LIMIT,
    W_OUTER,
    W_SHARE,
    WINDOW_DAYS,
    DayPlan,
    DayTargets,
    PlannedItem,
    PlannedMeal,
    PlanResult,
    SwapResult,
    totals,
)

__all__ = [
    "BUDGET_COST",
    "CUISINE_MISS_COST",
    "ENERGY_PER_UNIT",
    "HARD_GAP",
    "HARD_NODE_LIMIT",
    "INNER_PCT",
    "ITEMS_PER_DAY",
    "ITEM_COST",
    "ITEM_COUNTS",
    "LIMIT_SLACK",
    "MAIN_MEALS",
    "MEAL_SHARES",
    "MIP_REL_GAP",
    "NODE_LIMIT",
    "NUTRIENTS",
    "OTHER_ROLE_COST",
    "PRIORITY",
    "PROPOSAL_BONUS",
    "RESAMPLE_SCALE",
    "ROLE_WEIGHTS",
    "SAMPLE_CUISINE_WEIGHT",
    "SAMPLE_PRICE_WEIGHT",
    "SAMPLE_SLOT_WEIGHT",
    "SHARE_BAND",
    "SLOTS",
    "SWAP_FLOOR",
    "SWAP_ITEMS",
    "TIME_LIMIT_S",
    "TOLERANCE_PCT",
    "VARIETY_WEIGHT",
    "WINDOW_DAYS",
    "W_INNER",
    "W_LIMIT",
    "W_OUTER",
    "W_SHARE",
    "DayPlan",
    "DayTargets",
    "PlanResult",
    "PlannedItem",
    "PlannedMeal",
    "SwapResult",
    "plan",
    "swap",
    "totals",
]
