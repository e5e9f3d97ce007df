"""A day's slots, its solve with fallbacks, and the day as planned.

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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .model import _Goal, _Slot, _solve
from .pool import _Pool, _sample
from .types import (
    HARD_NODE_LIMIT,
    LIMIT_SLACK,
    MAIN_MEALS,
    NUTRIENTS,
    ROLE_WEIGHTS,
    TOLERANCE_PCT,
    DayPlan,
    PlannedItem,
    PlannedMeal,
    totals,
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
