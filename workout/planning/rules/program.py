"""``generate()``: every day of every week with its notes, and the program's description and explanation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from workout.models import Workout

from .prescription import _prescribe, _variant, _Week, _weeks, deload_weeks, estimate_minutes
from .selection import _group, _Layout, _layout, _Planned, validate_choices
from .types import (
    COMPOUND,
    DAY_NAMES,
    DAY_NOTES_CHARS,
    DESCRIPTION_CHARS,
    LIFTS,
    NOTE_CHARS,
    WEEKDAYS,
    DaySpec,
    ExerciseFacts,
    ExerciseSpec,
    InvalidChoices,
    ProgramRequest,
    ProgramSpec,
)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _exercise_notes(planned: _Planned, variant: str, warmup_sets: int, week: _Week) -> str:
    notes = []
    if warmup_sets:
        notes.append(f"Start with {warmup_sets} lighter ramp-up set{'s' if warmup_sets > 1 else ''}.")
    if planned.substitute:
        notes.append(f"Body-weight stand-in for a {planned.slot.pattern} exercise.")
    lift = planned.template.role in ("main", "accessory")
    if week.deload and variant == "load" and planned.template.role not in ("cardio", "mobility"):
        notes.append("Deload: about 60-70% of last week's load.")
    elif week.deload and variant == "bodyweight":
        notes.append("Deload: stop every set well short of failure.")
    elif lift and variant == "load":
        notes.append("Reach the top of the rep range on every set, then add load.")
    elif lift and variant == "bodyweight":
        notes.append("Reach the top of the rep range on every set, then move to a harder variation.")
    return " ".join(notes)


def _day_notes(week: _Week, focus: str, coaching: str) -> str:
    parts = [f"Focus: {focus}."]
    if week.deload:
        parts.append(
            "Deload week: same exercises, about half the sets, lighter loads (~60-70%); finish every set "
            "with several reps in reserve."
        )
    elif week.index == 0 and week.block > 0:
        parts.append("New block: add 2.5-5% load to your lifts and start again at the bottom of the rep range.")
    if coaching:
        parts.append(coaching)
    return _clip(" ".join(parts), DAY_NOTES_CHARS)


def _session_exercises(
    planned: Sequence[_Planned], picks: Mapping[str, int], layout: _Layout, week: _Week
) -> list[tuple[_Planned, ExerciseSpec]]:
    """The session's exercises for ``week`` in session order, each with its slot."""
    ordered = sorted(
        planned, key=lambda item: (_group(item.template, layout.by_id[picks[item.slot.key]]), item.slot.position)
    )
    warmed = False
    result = []
    for item in ordered:
        exercise = layout.by_id[picks[item.slot.key]]
        variant = _variant(exercise, item.template.role)
        sets, reps, duration, rest = _prescribe(item.template.role, variant, layout.volume, week)
        warmup = 0
        if not warmed and exercise.mechanics == COMPOUND and exercise.movement_pattern in LIFTS:
            warmup, warmed = layout.volume.warmup_sets, True
        notes = _exercise_notes(item, variant, warmup, week)
        result.append((item, ExerciseSpec(exercise.id, sets, reps, duration, rest, warmup, notes)))
    return result


def _describe(request: ProgramRequest, layout: _Layout, deloads: tuple[int, ...], weekdays: list[str]) -> str:
    goal, (low, high) = layout.volume.goal, layout.volume.set_range
    sets = f"{low}-{high}" if low != high else str(low)
    sessions = ", ".join(f"{session.letter}: {session.title}" for session in layout.sessions)
    lines = [
        f"{layout.split} over {request.weeks} weeks, {request.days_per_week} days a week "
        f"({'/'.join(weekdays)}), about {request.session_minutes} minutes a session. Sessions: {sessions}.",
        f"Every week trains push, pull, squat, hinge and core. Main lifts: {sets} working sets of "
        f"{goal.reps[0]}-{goal.reps[1]} reps with {layout.volume.rest(goal.rest)} s rest; accessories "
        f"{goal.accessory_reps[0]}-{goal.accessory_reps[1]} reps with {layout.volume.rest(goal.accessory_rest)} s "
        f"rest. The first compound lift of each session starts with {layout.volume.warmup_sets} warm-up set(s).",
        "Progression: add one rep a week until the top of the range, and a set every other week; once every "
        "set reaches the top, add 2.5-5% load and start again at the bottom.",
        f"Deload: week{'s' if len(deloads) > 1 else ''} {', '.join(map(str, deloads))}, with about half the sets "
        "at lighter loads to recover before the next block.",
    ]
    if layout.reduced_for_time:
        lines.append("Sets and rest were reduced so every session fits its time.")
    if any(planned.substitute for planned in layout.planned):
        lines.append("Some slots use body-weight stand-ins where the equipment has no exercise for the pattern.")
    return _clip(" ".join(lines), DESCRIPTION_CHARS)


def generate(
    exercises: Sequence[ExerciseFacts],
    request: ProgramRequest,
    *,
    choices: Mapping[str, int] | None = None,
    notes: Mapping[str, str] | None = None,
) -> ProgramSpec:
    """The whole program (``weeks`` x 7 days). Raises ``NoExercises``, or ``InvalidChoices`` for bad choices."""
    layout = _layout(exercises, request)
    all_slots = [planned.slot for planned in layout.planned]
    if choices is not None:
        problems = validate_choices(all_slots, choices)
        if problems:
            raise InvalidChoices(problems)
        picks = {slot.key: choices[slot.key] for slot in all_slots}
    else:
        picks = {slot.key: slot.candidates[0] for slot in all_slots}
    by_session: dict[str, list[_Planned]] = {}
    for planned in layout.planned:
        by_session.setdefault(planned.slot.session, []).append(planned)
    titles = {session.letter: session.title for session in layout.sessions}
    focus = {session.letter: session.focus for session in layout.sessions}
    coaching = {letter: _clip(note, NOTE_CHARS) for letter, note in (notes or {}).items() if letter in titles}

    weekdays = WEEKDAYS[request.days_per_week]
    split_letters = [chr(ord("A") + index) for index in range(len(weekdays))]
    schedule = dict(zip(weekdays, split_letters, strict=True))
    days: list[DaySpec] = []
    weekly_sets: list[dict[str, Any]] = []
    for week in _weeks(request.weeks):
        totals: dict[str, int] = {}
        for weekday in range(1, 8):
            number = (week.number - 1) * 7 + weekday
            letter = schedule.get(weekday)
            if letter is None or letter not in titles:  # a rest day, or a session left without exercises
                rest_title = f"Week {week.number} · {DAY_NAMES[weekday - 1]} · Rest"
                rest_notes = "Rest day: easy walking or light stretching is fine."
                days.append(DaySpec(number, week.number, None, rest_title, rest_notes, deload=week.deload))
                continue
            paired = _session_exercises(by_session[letter], picks, layout, week)
            items = tuple(item for _, item in paired)
            for planned, item in paired:
                totals[planned.slot.pattern] = totals.get(planned.slot.pattern, 0) + item.sets
            title = f"Week {week.number} · {DAY_NAMES[weekday - 1]} · {titles[letter]}"
            days.append(
                DaySpec(
                    number,
                    week.number,
                    letter,
                    title + (" (deload)" if week.deload else ""),
                    _day_notes(week, focus[letter], coaching.get(letter, "")),
                    items,
                    week.deload,
                    math.ceil(estimate_minutes(items)),
                )
            )
        weekly_sets.append({"week": week.number, "deload": week.deload, "sets": dict(sorted(totals.items()))})

    deloads, goal = deload_weeks(request.weeks), layout.volume.goal
    names = [DAY_NAMES[day - 1] for day in weekdays]
    explanation: dict[str, Any] = {
        "split": {
            "name": layout.split,
            "days_per_week": request.days_per_week,
            "training_days": names,
            "sessions": [
                {
                    "letter": session.letter,
                    "title": session.title,
                    "patterns": [planned.slot.pattern for planned in by_session[session.letter]],
                }
                for session in layout.sessions
            ],
        },
        "weekly_sets": weekly_sets,
        "deload_weeks": list(deloads),
        "volume_rule": (
            f"{layout.volume.set_range[0]}-{layout.volume.set_range[1]} sets per exercise for "
            f"{request.experience}; reps and rest by goal {request.goal}; exercises per session fitted to "
            f"{request.session_minutes} minutes at peak volume"
        ),
        "volume": {
            "sets_per_exercise": list(layout.volume.set_range),
            "main_reps": list(goal.reps),
            "accessory_reps": list(goal.accessory_reps),
            "main_rest_seconds": layout.volume.rest(goal.rest),
            "accessory_rest_seconds": layout.volume.rest(goal.accessory_rest),
            "warmup_sets": layout.volume.warmup_sets,
        },
        "progression_rule": (
            "+1 rep a week up to the top of the rep range and +1 set every other week up to the maximum; "
            "holds +5 s and cardio +1 min a week; each block after a deload adds 2.5-5% load, restarts at "
            "the bottom of the rep range and keeps one more set (capped)"
        ),
        "deload_rule": (
            "the last week for programs up to 6 weeks; else every 4th week, plus the last week when it is 3+ "
            "weeks after the previous deload; about half the sets, reps at the bottom of the range, lighter loads"
        ),
        "reduced_for_time": layout.reduced_for_time,
        "substitutions": [
            {"slot": planned.slot.key, "pattern": planned.slot.pattern}
            for planned in layout.planned
            if planned.substitute
        ],
        "dropped": [dict(item) for item in layout.dropped],
        "seed": request.seed,
    }
    goal_label = Workout.Goal(request.goal).label
    return ProgramSpec(
        title=f"{request.weeks}-week {layout.split} program: {goal_label}",
        description=_describe(request, layout, deloads, names),
        split=layout.split,
        difficulty=request.experience,
        goals=(request.goal,),
        sessions=layout.sessions,
        days=tuple(days),
        explanation=explanation,
    )
