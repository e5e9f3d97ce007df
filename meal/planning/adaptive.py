"""Adaptive targets: the user's real energy expenditure from their own data, and a safe step toward the goal.

The formula targets (``meal.targets``) guess the total daily energy expenditure (TDEE) from
body data and an activity level; people differ from it by several hundred kcal. Energy
balance measures it instead: over a window, what was eaten minus what the body stored is
what was spent::

    TDEE = mean daily intake - 7,700 kcal/kg x (weight trend change per day)

7,700 kcal per kg is the usual energy density of body-weight change (mostly fat, some
lean tissue and water).

The weight trend. Daily weights swing by about half a kilogram with water and food in
the gut, so single readings say little. The trend weight is an exponentially weighted
moving average (``EWMA_ALPHA`` = 0.1: each day moves the trend a tenth of the way to the
reading, about a ten-day memory), which is what the app shows and what screens out
readings more than ``OUTLIER_KG`` from it (a scale glitch, a reading in clothes). The *rate*
of change, though, is the least-squares slope of the accepted readings over the window,
not the difference of two EWMA values: an EWMA lags a steady trend by (1 - alpha) / alpha
days, and started on a three-week window it reports only ~60 % of the true slope, which
over-states the TDEE of someone losing 0.5 kg a week by about 250 kcal (measured on
synthetic users in ``meal/tests/test_planning_adaptive.py``). The regression slope has no
such lag and, with 0.3 kg daily noise, a standard error near 100 kcal after 21 days.

Enough data. No change is made with fewer than ``MIN_INTAKE_DAYS`` logged days or
``MIN_WEIGHINGS`` weights spanning ``MIN_SPAN_DAYS`` days in the window: a guess from a few
days is noise. Days without diary entries are left out of the intake mean (they are
unlogged, not fasting days); a partly logged day still lowers it, which the note on the
change says.

Measured expenditure (active + basal energy from a watch), when present on enough days,
is recorded beside the estimate and its difference reported, but not blended in: wrist
devices are known to misjudge energy by 10-30 %, and the balance estimate has no device bias.

The step. The new daily energy target is the estimated TDEE adjusted for the goal (the same
``GOAL_ADJUSTMENTS`` as the formula), moved from the current target by at most
``MAX_WEEKLY_STEP_KCAL`` (250 kcal) a week, never below the safety floor (the higher of the
BMR and the sex's floor, ``meal.targets.KCAL_FLOOR``), and not at all when the difference is
under ``MIN_STEP_KCAL`` (not worth a new plan). Protein stays at the user's grams; fat and
carbohydrate follow ``meal.targets.split_macros``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from meal.targets import GOAL_ADJUSTMENTS, Targets, split_macros

KCAL_PER_KG = 7700.0
EWMA_ALPHA = 0.1
OUTLIER_KG = 2.0
WINDOW_DAYS = 28
MIN_INTAKE_DAYS = 14
MIN_WEIGHINGS = 8
MIN_SPAN_DAYS = 14
MIN_EXPENDITURE_DAYS = 14
MAX_WEEKLY_STEP_KCAL = 250
# One step per this many days, whoever asks (the weekly run or the adapt endpoint).
STEP_INTERVAL_DAYS = 7
MIN_STEP_KCAL = 25


@dataclass(frozen=True)
class DailyData:
    """One local day of the user's: kcal logged in the diary, a weight, measured expenditure (each may be absent)."""

    day: date
    intake_kcal: float | None = None
    weight_kg: float | None = None
    expenditure_kcal: float | None = None


@dataclass(frozen=True)
class Estimate:
    tdee_kcal: int | None
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def enough_data(self) -> bool:
        return self.tdee_kcal is not None


@dataclass(frozen=True)
class Adjustment:
    changed: bool
    targets: Targets
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)


def ewma_trend(weights: Sequence[tuple[int, float]], alpha: float = EWMA_ALPHA) -> list[tuple[int, float]]:
    """The trend weight after each reading: ``(day index, trend)``; the first reading starts it.

    A gap of several days moves the trend as far as that many days of the same reading would
    (1 - (1 - alpha) ** gap), so a weekly weigher's trend is not slower than a daily one's.
    """
    trend: list[tuple[int, float]] = []
    level: float | None = None
    previous = 0
    for index, value in weights:
        if level is None:
            level = value
        else:
            weight_of_reading = 1 - (1 - alpha) ** max(index - previous, 1)
            level += weight_of_reading * (value - level)
        previous = index
        trend.append((index, level))
    return trend


def _without_outliers(weights: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Readings within ``OUTLIER_KG`` of the trend so far (started at the median of the first five,
    so a bad first reading cannot disqualify the rest); a rejected one does not move the trend."""
    if not weights:
        return []
    level = statistics.median(value for _, value in weights[:5])
    kept: list[tuple[int, float]] = []
    previous = weights[0][0]
    for index, value in weights:
        if abs(value - level) > OUTLIER_KG:
            continue
        level += (1 - (1 - EWMA_ALPHA) ** max(index - previous, 1)) * (value - level)
        previous = index
        kept.append((index, value))
    return kept


def _slope(points: Sequence[tuple[int, float]]) -> float:
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return sxy / sxx


def estimate(days: Sequence[DailyData]) -> Estimate:
    """The TDEE from the last ``WINDOW_DAYS`` of ``days`` (sorted or not), or why there is not enough data."""
    if not days:
        return Estimate(None, "no diary or weight data yet")
    ordered = sorted(days, key=lambda d: d.day)
    last = ordered[-1].day
    window = [d for d in ordered if (last - d.day).days < WINDOW_DAYS]
    first = window[0].day
    intake = [d.intake_kcal for d in window if d.intake_kcal is not None and d.intake_kcal > 0]
    weights = [((d.day - first).days, d.weight_kg) for d in window if d.weight_kg is not None]
    numbers: dict[str, Any] = {
        "window": {"first": first.isoformat(), "last": last.isoformat(), "days": (last - first).days + 1},
        "intake_days": len(intake),
        "weighings": len(weights),
        "kcal_per_kg": KCAL_PER_KG,
        "ewma_alpha": EWMA_ALPHA,
        "min_intake_days": MIN_INTAKE_DAYS,
        "min_weighings": MIN_WEIGHINGS,
    }
    if len(intake) < MIN_INTAKE_DAYS:
        return Estimate(None, f"{len(intake)} days with diary entries; at least {MIN_INTAKE_DAYS} are needed", numbers)
    accepted = _without_outliers(weights)
    trend = ewma_trend(accepted)
    numbers["weighings_used"] = len(accepted)
    span = accepted[-1][0] - accepted[0][0] if accepted else 0
    if len(accepted) < MIN_WEIGHINGS or span < MIN_SPAN_DAYS:
        return Estimate(
            None,
            f"{len(accepted)} weights over {span} days; at least {MIN_WEIGHINGS} over {MIN_SPAN_DAYS} days are needed",
            numbers,
        )
    slope = _slope(accepted)
    mean_intake = sum(intake) / len(intake)
    tdee = mean_intake - KCAL_PER_KG * slope
    numbers.update(
        {
            "mean_intake_kcal": round(mean_intake),
            "trend_start_kg": round(trend[0][1], 2),
            "trend_end_kg": round(trend[-1][1], 2),
            "trend_change_kg_per_day": round(slope, 4),
            "trend_change_kg_per_week": round(slope * 7, 2),
            "stored_kcal_per_day": round(KCAL_PER_KG * slope),
            "tdee_kcal": round(tdee),
        }
    )
    measured = [d.expenditure_kcal for d in window if d.expenditure_kcal is not None and d.expenditure_kcal > 0]
    if len(measured) >= MIN_EXPENDITURE_DAYS:
        mean_measured = sum(measured) / len(measured)
        numbers["measured_expenditure_kcal"] = round(mean_measured)
        numbers["measured_expenditure_days"] = len(measured)
        numbers["measured_minus_estimate_kcal"] = round(mean_measured - tdee)
    return Estimate(round(tdee), "energy balance over the window", numbers)


def adjust(
    *, current: Targets, tdee: Estimate, goal: str, floor_kcal: int, pattern: str, today: date | None = None
) -> Adjustment:
    """Targets one safe step toward what the measured TDEE and the goal call for."""
    if tdee.tdee_kcal is None:
        return Adjustment(False, current, f"not enough data: {tdee.reason}", dict(tdee.numbers))
    goal = goal or "maintain"
    desired = tdee.tdee_kcal * (1 + GOAL_ADJUSTMENTS[goal])
    difference = desired - current.kcal
    step = max(-MAX_WEEKLY_STEP_KCAL, min(MAX_WEEKLY_STEP_KCAL, difference))
    proposed = current.kcal + step
    new_kcal = round(max(proposed, floor_kcal))
    numbers = {
        **tdee.numbers,
        "goal": goal,
        "goal_adjustment": GOAL_ADJUSTMENTS[goal],
        "desired_kcal": round(desired),
        "current_kcal": current.kcal,
        "difference_kcal": round(difference),
        "max_weekly_step_kcal": MAX_WEEKLY_STEP_KCAL,
        "step_kcal": new_kcal - current.kcal,
        "floor_kcal": floor_kcal,
        "floor_applied": proposed < floor_kcal,
    }
    if abs(new_kcal - current.kcal) < MIN_STEP_KCAL:
        return Adjustment(False, current, "on track: the targets already match the measured expenditure", numbers)
    protein, carbs, fat, split = split_macros(new_kcal, current.protein_g, pattern or "omnivore")
    numbers["macro_split"] = split
    direction = "up" if new_kcal > current.kcal else "down"
    capped = abs(difference) > MAX_WEEKLY_STEP_KCAL
    reason = (
        f"measured TDEE {tdee.tdee_kcal} kcal/day; the {goal} goal calls for {round(desired)} kcal, "
        f"so the target moves {direction} by {abs(new_kcal - current.kcal)} kcal"
        + (f" (capped at {MAX_WEEKLY_STEP_KCAL} kcal a week)" if capped else "")
        + (" (held at the safety floor)" if proposed < floor_kcal else "")
    )
    return Adjustment(True, Targets(new_kcal, protein, carbs, fat), reason, numbers)
