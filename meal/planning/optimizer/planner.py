"""``plan()``: days of meals for daily targets; ``swap()``: another meal like a given one.

Proposals (foods an LLM chose for a meal) replace that meal's sample: the meal may use only
those foods, in any number from one to all, whatever their role or meal time, with portions
chosen by the program; a day whose proposals cannot meet the tolerance is solved again from
a sample, and marked ``source="optimizer"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from ..foods import Candidate, Preferences
from .model import _Goal, _Slot
from .pool import _Pool, _sample
from .solve import _day_plan, _deviations, _place_required, _planned_meal, _proposed_slots, _rounded, _solve_robustly
from .types import (
    ENERGY_PER_UNIT,
    ITEMS_PER_DAY,
    LIMIT_SLACK,
    MEAL_SHARES,
    NUTRIENTS,
    RESAMPLE_SCALE,
    SAMPLE_SLOT_WEIGHT,
    SLOTS,
    SWAP_FLOOR,
    SWAP_ITEMS,
    TOLERANCE_PCT,
    WINDOW_DAYS,
    DayPlan,
    DayTargets,
    PlannedMeal,
    PlanResult,
    SwapResult,
    totals,
)


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
    """``days`` days of meals meeting ``targets``; see the ``model`` and ``solve`` docstrings for the model.

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
