"""Volume, progression, deload and time estimates (rules 6-10)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from workout.models import Workout

from .templates import _SlotTemplate
from .types import (
    ALWAYS_AVAILABLE,
    BODYWEIGHT_REPS,
    CARDIO_SHARE,
    CHANGEOVER_SECONDS,
    CORE_REST,
    GENERAL_WARMUP_MINUTES,
    HOLD_SECONDS,
    HOLD_STEP,
    HOLD_WORDS,
    REP_SECONDS,
    SET_SETUP_SECONDS,
    SETS,
    STRETCH_REST,
    STRETCH_SETS,
    WARMUP_REST_SECONDS,
    WARMUP_SETS,
    ExerciseFacts,
    ExerciseSpec,
    ProgramRequest,
)


@dataclass(frozen=True)
class _GoalRules:
    reps: tuple[int, int]
    accessory_reps: tuple[int, int]
    rest: int
    accessory_rest: int

    @property
    def core_reps(self) -> tuple[int, int]:
        return max(self.accessory_reps[0], 10), max(self.accessory_reps[1], 15)


GOAL_RULES = {
    Workout.Goal.STRENGTH.value: _GoalRules((3, 6), (6, 10), 180, 120),
    Workout.Goal.HYPERTROPHY.value: _GoalRules((8, 12), (8, 12), 90, 60),
    Workout.Goal.ENDURANCE.value: _GoalRules((15, 20), (15, 20), 45, 30),
    Workout.Goal.FAT_LOSS.value: _GoalRules((10, 15), (10, 15), 45, 30),
    Workout.Goal.MOBILITY.value: _GoalRules((10, 15), (10, 15), 60, 45),
    Workout.Goal.GENERAL_FITNESS.value: _GoalRules((8, 12), (8, 12), 75, 60),
}


@dataclass(frozen=True)
class _Volume:
    """Sets range, rest scaling and warm-up sets for the whole program (rules 6, 7, 10)."""

    goal: _GoalRules
    set_range: tuple[int, int]
    rest_factor: float
    warmup_sets: int
    cardio_minutes: tuple[int, int]

    def rest(self, seconds: int) -> int:
        return int(round(seconds * self.rest_factor / 5) * 5)


def _densities(request: ProgramRequest) -> list[_Volume]:
    """Full volume first, then denser versions for short sessions (rule 7)."""
    low, high = SETS[request.experience]
    share = CARDIO_SHARE.get(request.goal, (0.0, 0.0))
    cardio = (max(1, round(request.session_minutes * share[0])), max(1, round(request.session_minutes * share[1])))
    goal, warmup = GOAL_RULES[request.goal], WARMUP_SETS[request.experience]
    steps = [((low, high), 1.0), ((low, low), 1.0), ((low, low), 0.67), ((min(2, low),) * 2, 0.5), ((1, 1), 0.5)]
    volumes: list[_Volume] = []
    for set_range, factor in steps:
        volume = _Volume(goal, set_range, factor, warmup, cardio)
        if volume not in volumes:
            volumes.append(volume)
    return volumes


@dataclass(frozen=True)
class _Week:
    number: int
    block: int  # blocks finished before this week (each ends with a deload)
    index: int  # week within its block, from 0
    deload: bool


def deload_weeks(weeks: int) -> tuple[int, ...]:
    """Rule 9: the last week up to 6 weeks; else every 4th, plus the last if 3+ weeks after the previous."""
    if weeks <= 6:
        return (weeks,)
    found = list(range(4, weeks + 1, 4))
    if weeks - found[-1] >= 3:
        found.append(weeks)
    return tuple(found)


def _weeks(total: int) -> list[_Week]:
    deloads = set(deload_weeks(total))
    weeks, block, index = [], 0, 0
    for number in range(1, total + 1):
        weeks.append(_Week(number, block, index, number in deloads))
        if number in deloads:
            block, index = block + 1, 0
        else:
            index += 1
    return weeks


def _variant(exercise: ExerciseFacts, role: str) -> str:
    """How an exercise is dosed in its slot: "hold" (core holds), "bodyweight" (no load to add) or "load"."""
    if role == "core" and any(word in exercise.name.lower() for word in HOLD_WORDS):
        return "hold"
    if role in ("main", "accessory", "core") and exercise.equipment in ALWAYS_AVAILABLE:
        return "bodyweight"
    return "load"


VARIANTS = {"main": ("load", "bodyweight"), "accessory": ("load", "bodyweight"), "core": ("load", "bodyweight", "hold")}


def _prescribe(role: str, variant: str, volume: _Volume, week: _Week) -> tuple[int, int | None, int | None, int]:
    """(sets, reps, duration, rest) for a slot's exercise in ``week`` (rules 6, 8, 9)."""
    # A deload mirrors the week before it, then halves the work.
    step = max(week.index - 1, 0) if week.deload else week.index
    deload = week.deload
    if role == "cardio":
        low, high = volume.cardio_minutes
        minutes = min(low + step, high)
        return 1, None, 60 * (max(1, math.ceil(minutes / 2)) if deload else minutes), 0
    hold_seconds = HOLD_SECONDS[0] if deload else min(HOLD_SECONDS[0] + HOLD_STEP * step, HOLD_SECONDS[1])
    if role == "mobility":
        return (1 if deload else STRETCH_SETS), None, hold_seconds, STRETCH_REST
    low, high = volume.set_range
    sets = min(low + week.block + step // 2, high)
    if deload:
        sets = max(1, (sets + 1) // 2)
    goal = volume.goal
    rest_seconds = {"main": goal.rest, "core": min(goal.accessory_rest, CORE_REST)}.get(role, goal.accessory_rest)
    rest = volume.rest(rest_seconds)
    if variant == "hold" or role == "carry":
        return sets, None, hold_seconds, rest
    first, last = goal.reps if role == "main" else goal.core_reps if role == "core" else goal.accessory_reps
    if variant == "bodyweight":  # no load to add: progress by reps, never below 8
        first, last = max(first, BODYWEIGHT_REPS[0]), max(last, BODYWEIGHT_REPS[1])
    reps = first if deload else min(first + step, last)
    return sets, reps, None, rest


def _seconds(sets: int, reps: int | None, duration: int | None, rest: int, warmup_sets: int) -> int:
    work = duration if duration is not None else (reps or 0) * REP_SECONDS + SET_SETUP_SECONDS
    return sets * (work + rest) + warmup_sets * (work + WARMUP_REST_SECONDS) + CHANGEOVER_SECONDS


def estimate_minutes(exercises: Sequence[ExerciseSpec]) -> float:
    """Rule 7's estimate of a session: general warm-up, then each exercise's sets, rest and changeover."""
    if not exercises:
        return 0.0
    total = sum(
        _seconds(item.sets, item.reps, item.duration_seconds, item.rest_seconds, item.warmup_sets) for item in exercises
    )
    return GENERAL_WARMUP_MINUTES + total / 60


def _peak_seconds(template: _SlotTemplate, volume: _Volume, weeks: Sequence[_Week]) -> int:
    """The most a slot costs in any week of the program, whichever candidate fills it."""
    variants = VARIANTS.get(template.role, ("load",))
    return max(_seconds(*_prescribe(template.role, variant, volume, week), 0) for variant in variants for week in weeks)


def _warmup_reserve(volume: _Volume) -> int:
    goal = volume.goal
    reps = max(goal.reps[1], goal.accessory_reps[1], BODYWEIGHT_REPS[1])
    return volume.warmup_sets * (reps * REP_SECONDS + SET_SETUP_SECONDS + WARMUP_REST_SECONDS)
