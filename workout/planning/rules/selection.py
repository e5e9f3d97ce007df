"""Which exercises fit a slot, in what order, and which slots fit a session (rules 3-5, 7, 11)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workout.models import Workout

from .prescription import _densities, _peak_seconds, _Volume, _warmup_reserve, _Week, _weeks
from .templates import SPLITS, _SlotTemplate, _with_goal_extras
from .types import (
    ALWAYS_AVAILABLE,
    CARDIO,
    COMMON_WORDS,
    COMPOUND,
    GENERAL_WARMUP_MINUTES,
    ISOLATION,
    LEVEL_RANK,
    LIFTS,
    MISSING_CHOICE,
    MOBILITY,
    NOT_A_CANDIDATE,
    NOT_AN_ID,
    NOT_FOR_LIFTS,
    PATTERN_MUSCLES,
    PREFERRED_CATEGORIES,
    PULL,
    PUSH,
    REPEATED_EXERCISE,
    SPECIALIST,
    STAPLES,
    UNKNOWN_EXERCISE,
    UNKNOWN_SLOT,
    ExerciseFacts,
    NoExercises,
    ProgramRequest,
    SessionSpec,
    Slot,
)


def _slug(category: str) -> str:
    return category.strip().lower().replace("-", "_").replace(" ", "_")


def _jitter(seed: int, where: str, exercise_id: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{where}:{exercise_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _fits_muscles(exercise: ExerciseFacts, pattern: str) -> bool:
    if pattern not in (PUSH, PULL):
        return True
    return not PATTERN_MUSCLES[pattern].isdisjoint(exercise.primary_muscles)


def _familiarity(exercise: ExerciseFacts, pattern: str) -> int:
    """0: a staple, 1: a common variant, 2: anything else, 3: a specialist variant (rule 4)."""
    name = exercise.name.lower()
    if SPECIALIST.search(name):
        return 3
    if name in STAPLES.get(pattern, ()):
        return 0
    common = COMMON_WORDS.get(pattern)
    return 1 if common is not None and common.search(name) else 2


def _rank(
    pool: Sequence[ExerciseFacts], template: _SlotTemplate, request: ProgramRequest, where: str
) -> tuple[int, ...]:
    """Rule 4: the pool's ids, best first; the seed breaks ties only."""
    wanted = {"main": COMPOUND, "accessory": ISOLATION if template.pattern in (PUSH, PULL) else ""}.get(
        template.role, ""
    )
    loaded_first = request.goal in (
        Workout.Goal.STRENGTH,
        Workout.Goal.HYPERTROPHY,
        Workout.Goal.GENERAL_FITNESS,
    ) and template.role in ("main", "accessory")
    rank = LEVEL_RANK[request.experience]

    def key(exercise: ExerciseFacts) -> tuple[int, ...]:
        mechanics = 0 if not wanted or exercise.mechanics == wanted else 1 if exercise.mechanics else 2
        muscles = 0 if not template.muscles or set(template.muscles) & set(exercise.primary_muscles) else 1
        fit = (mechanics, muscles) if template.role == "main" else (muscles, mechanics)
        familiar = _familiarity(exercise, template.pattern)
        category = 0 if template.role == "carry" or _slug(exercise.category) in PREFERRED_CATEGORIES else 1
        loaded = 1 if loaded_first and exercise.equipment in ALWAYS_AVAILABLE else 0
        level = rank - LEVEL_RANK[exercise.level]
        return (*fit, familiar, category, loaded, level, _jitter(request.seed, where, exercise.id), exercise.id)

    return tuple(exercise.id for exercise in sorted(pool, key=key))


def _usable(exercises: Sequence[ExerciseFacts], request: ProgramRequest) -> list[ExerciseFacts]:
    """Rule 3's equipment and level filters."""
    owned = ALWAYS_AVAILABLE | request.equipment
    rank = LEVEL_RANK[request.experience]
    return [
        exercise
        for exercise in exercises
        if exercise.equipment in owned and LEVEL_RANK.get(exercise.level, len(LEVEL_RANK)) <= rank
    ]


def _candidates(
    usable: Sequence[ExerciseFacts], template: _SlotTemplate, request: ProgramRequest, where: str
) -> tuple[tuple[int, ...], bool]:
    """The slot's ranked candidates and whether they are body-weight substitutes (rule 5)."""
    lifting = template.pattern not in (CARDIO, MOBILITY)
    pool = [
        exercise
        for exercise in usable
        if exercise.movement_pattern == template.pattern
        and not (lifting and _slug(exercise.category) in NOT_FOR_LIFTS)
        and _fits_muscles(exercise, template.pattern)
    ]
    if pool:
        return _rank(pool, template, request, where), False
    if template.pattern not in PATTERN_MUSCLES:
        return (), False
    muscles = PATTERN_MUSCLES[template.pattern]
    substitutes = [
        exercise
        for exercise in usable
        if exercise.equipment in ALWAYS_AVAILABLE
        and exercise.movement_pattern not in (CARDIO, MOBILITY)
        and _slug(exercise.category) not in NOT_FOR_LIFTS
        and not muscles.isdisjoint(exercise.primary_muscles)
    ]
    return _rank(substitutes, template, request, where), True


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    slot: Slot
    template: _SlotTemplate
    substitute: bool


@dataclass(frozen=True)
class _Layout:
    split: str
    sessions: tuple[SessionSpec, ...]
    planned: tuple[_Planned, ...]
    volume: _Volume
    reduced_for_time: bool
    dropped: tuple[dict[str, str], ...]
    by_id: Mapping[int, ExerciseFacts]


def _group(template: _SlotTemplate, exercise: ExerciseFacts) -> tuple[int, int]:
    """Order within a session: lifts (compounds first), core, carry, cardio, stretches (rule 4)."""
    order = {"main": 0, "accessory": 0, "core": 1, "carry": 2, "cardio": 3, "mobility": 4}[template.role]
    return order, 0 if order == 0 and exercise.mechanics == COMPOUND else 1


def _fit(
    options: list[tuple[int, _SlotTemplate, tuple[int, ...], bool]],
    volume: _Volume,
    minutes: int,
    weeks: Sequence[_Week],
) -> tuple[set[int], bool]:
    """Slot indexes that fit the session at peak volume, by priority, and whether all required ones did."""
    budget = (minutes - GENERAL_WARMUP_MINUTES) * 60
    if any(template.pattern in LIFTS for _, template, _, _ in options):
        budget -= _warmup_reserve(volume)
    chosen: set[int] = set()
    complete = True
    for index, template, _, _ in sorted(options, key=lambda option: (option[1].priority, option[0])):
        cost = _peak_seconds(template, volume, weeks)
        if cost <= budget:
            chosen.add(index)
            budget -= cost
        elif template.required:
            complete = False
    return chosen, complete


def _dropped(letter: str, template: _SlotTemplate, reason: str) -> dict[str, str]:
    return {"session": letter, "pattern": template.pattern, "role": template.role, "reason": reason}


def _layout(exercises: Sequence[ExerciseFacts], request: ProgramRequest) -> _Layout:
    usable = _usable(exercises, request)
    if not usable:
        raise NoExercises("no exercise matches the equipment and experience given")
    by_id = {exercise.id: exercise for exercise in usable}
    split, templates = SPLITS[request.days_per_week]
    letters = [chr(ord("A") + index) for index in range(len(templates))]
    dropped: list[dict[str, str]] = []

    # Candidates per template slot; slots with none are dropped here (rule 5).
    options: dict[str, list[tuple[int, _SlotTemplate, tuple[int, ...], bool]]] = {}
    for session_index, (letter, session) in enumerate(zip(letters, templates, strict=True)):
        options[letter] = []
        for index, template in enumerate(_with_goal_extras(session, session_index, request.goal)):
            candidates, substitute = _candidates(usable, template, request, f"{letter}:{index}")
            if candidates:
                options[letter].append((index, template, candidates, substitute))
            else:
                dropped.append(_dropped(letter, template, "no exercise fits the equipment and experience given"))

    # The densest program whose required slots all fit, trying full volume first (rule 7).
    volumes, weeks = _densities(request), _weeks(request.weeks)
    for volume in volumes:
        fitted = {letter: _fit(options[letter], volume, request.session_minutes, weeks) for letter in letters}
        if all(complete for _, complete in fitted.values()):
            break
    reduced = volume != volumes[0]

    planned: list[_Planned] = []
    used_in_program: set[int] = set()
    sessions: list[SessionSpec] = []
    for letter, session in zip(letters, templates, strict=True):
        keep, _ = fitted[letter]
        picks: list[tuple[int, _SlotTemplate, tuple[int, ...], bool, int]] = []
        used_here: set[int] = set()
        for index, template, candidates, substitute in sorted(
            options[letter], key=lambda option: (option[1].priority, option[0])
        ):
            if index not in keep:
                dropped.append(_dropped(letter, template, "does not fit the session length"))
                continue
            free = [candidate for candidate in candidates if candidate not in used_here]
            fresh = [candidate for candidate in free if candidate not in used_in_program]
            if not free:
                dropped.append(_dropped(letter, template, "every candidate is already used in this session"))
                continue
            pick = (fresh or free)[0]
            used_here.add(pick)
            used_in_program.add(pick)
            picks.append((index, template, candidates, substitute, pick))
        if not picks:
            continue
        sessions.append(SessionSpec(letter, session.title, session.focus))
        picks.sort(key=lambda item: (_group(item[1], by_id[item[4]]), item[0]))
        for position, (_, template, candidates, substitute, pick) in enumerate(picks, start=1):
            ordered = (pick, *(candidate for candidate in candidates if candidate != pick))
            slot = Slot(f"{letter}-{position}", letter, position, template.pattern, ordered, template.role)
            planned.append(_Planned(slot, template, substitute))
    if not planned:
        raise NoExercises("no usable exercise fits any slot of the program")
    return _Layout(split, tuple(sessions), tuple(planned), volume, reduced, tuple(dropped), by_id)


def slots(exercises: Sequence[ExerciseFacts], request: ProgramRequest) -> list[Slot]:
    """Every slot of the program in session and position order; raises ``NoExercises``."""
    return [planned.slot for planned in _layout(exercises, request).planned]


def validate_choices(slots: Sequence[Slot], choices: Mapping[str, int]) -> list[str]:
    """What is wrong with ``choices`` (slot key -> exercise id); empty when they can be used as they are."""
    problems: list[str] = []
    offered = {candidate for slot in slots for candidate in slot.candidates}
    known = {slot.key for slot in slots}
    in_session: dict[tuple[str, int], list[str]] = {}
    for slot in slots:
        if slot.key not in choices:
            problems.append(MISSING_CHOICE.format(key=slot.key))
            continue
        value = choices[slot.key]
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(NOT_AN_ID.format(key=slot.key, value=value))
        elif value not in offered:
            problems.append(UNKNOWN_EXERCISE.format(key=slot.key, exercise_id=value))
        elif value not in slot.candidates:
            problems.append(NOT_A_CANDIDATE.format(key=slot.key, exercise_id=value, pattern=slot.pattern))
        else:
            in_session.setdefault((slot.session, value), []).append(slot.key)
    for (session, exercise_id), keys in in_session.items():
        if len(keys) > 1:
            problems.append(REPEATED_EXERCISE.format(session=session, exercise_id=exercise_id, keys=", ".join(keys)))
    problems.extend(UNKNOWN_SLOT.format(key=key) for key in sorted(set(choices) - known))
    return problems
