"""Session templates per split, and the slots a goal adds to them (rules 1 and 2)."""

from __future__ import annotations

from dataclasses import dataclass

from workout.models import Workout

from .types import CARDIO, CARDIO_SHARE, CARRY, CORE, HINGE, MOBILITY, PULL, PUSH, SQUAT


@dataclass(frozen=True)
class _SlotTemplate:
    pattern: str
    role: str
    muscles: tuple[str, ...] = ()
    required: bool = False
    priority: int = 50


@dataclass(frozen=True)
class _SessionTemplate:
    title: str
    focus: str
    slots: tuple[_SlotTemplate, ...]


def _main(pattern: str, *muscles: str) -> _SlotTemplate:
    return _SlotTemplate(pattern, "main", muscles, required=True, priority=10)


def _accessory(pattern: str, *muscles: str, priority: int = 30) -> _SlotTemplate:
    return _SlotTemplate(pattern, "accessory", muscles, priority=priority)


def _core(*, required: bool = False) -> _SlotTemplate:
    return _SlotTemplate(CORE, "core", ("abdominals",), required=required, priority=15 if required else 35)


_FULL_A = _SessionTemplate(
    "Full body A",
    "Squat, horizontal push and pull",
    (
        _main(SQUAT, "quadriceps"),
        _main(PUSH, "chest"),
        _main(PULL, "middle_back", "lats"),
        _accessory(HINGE, "hamstrings", "glutes"),
        _accessory(PUSH, "shoulders", priority=31),
        _accessory(PULL, "biceps", priority=32),
        _core(),
    ),
)
_FULL_B = _SessionTemplate(
    "Full body B",
    "Hinge, vertical push and pull, core",
    (
        _main(HINGE, "hamstrings", "glutes", "lower_back"),
        _main(PUSH, "shoulders"),
        _main(PULL, "lats"),
        _accessory(SQUAT, "quadriceps", "glutes"),
        _accessory(PUSH, "triceps", priority=31),
        _accessory(PULL, "middle_back", "traps", priority=32),
        _core(required=True),
    ),
)
_FULL_C = _SessionTemplate(
    "Full body C",
    "Squat variation, push and row",
    (
        _main(SQUAT, "glutes", "quadriceps"),
        _main(PUSH, "chest", "shoulders"),
        _main(PULL, "middle_back"),
        _accessory(HINGE, "hamstrings"),
        _accessory(PUSH, "triceps", priority=31),
        _accessory(PULL, "biceps", priority=32),
        _core(),
    ),
)
_UPPER_1 = _SessionTemplate(
    "Upper 1",
    "Horizontal push and pull",
    (
        _main(PUSH, "chest"),
        _main(PULL, "middle_back", "lats"),
        _accessory(PUSH, "shoulders"),
        _accessory(PULL, "lats", priority=31),
        _accessory(PUSH, "triceps", priority=32),
        _accessory(PULL, "biceps", priority=33),
        _core(),
    ),
)
_UPPER_2 = _SessionTemplate(
    "Upper 2",
    "Vertical push and pull",
    (
        _main(PUSH, "shoulders"),
        _main(PULL, "lats"),
        _accessory(PUSH, "chest"),
        _accessory(PULL, "middle_back", priority=31),
        _accessory(PUSH, "triceps", priority=32),
        _accessory(PULL, "biceps", priority=33),
        _core(),
    ),
)
_LOWER_1 = _SessionTemplate(
    "Lower 1",
    "Squat first, then hinge and core",
    (
        _main(SQUAT, "quadriceps"),
        _main(HINGE, "hamstrings", "glutes"),
        _accessory(SQUAT, "quadriceps", "glutes"),
        _accessory(HINGE, "hamstrings", "glutes", priority=31),
        _core(required=True),
    ),
)
_LOWER_2 = _SessionTemplate(
    "Lower 2",
    "Hinge first, then squat and core",
    (
        _main(HINGE, "hamstrings", "glutes", "lower_back"),
        _main(SQUAT, "quadriceps", "glutes"),
        _accessory(HINGE, "hamstrings"),
        _accessory(SQUAT, "quadriceps", priority=31),
        _core(required=True),
    ),
)
_PUSH = _SessionTemplate(
    "Push",
    "Chest, shoulders and triceps",
    (
        _main(PUSH, "chest"),
        _main(PUSH, "shoulders"),
        _accessory(PUSH, "chest"),
        _accessory(PUSH, "shoulders", priority=31),
        _accessory(PUSH, "triceps", priority=32),
        _core(),
    ),
)
_PULL = _SessionTemplate(
    "Pull",
    "Back, biceps and the posterior chain",
    (
        _main(PULL, "lats"),
        _main(PULL, "middle_back"),
        _accessory(HINGE, "lower_back", "hamstrings"),
        _accessory(PULL, "biceps", priority=31),
        _accessory(PULL, "traps", "middle_back", priority=32),
        _core(),
    ),
)
_LEGS = _SessionTemplate(
    "Legs",
    "Squat, hinge and core",
    (
        _main(SQUAT, "quadriceps"),
        _main(HINGE, "hamstrings", "glutes"),
        _accessory(SQUAT, "glutes", "quadriceps"),
        _accessory(HINGE, "hamstrings", priority=31),
        _core(required=True),
    ),
)


def _renamed(template: _SessionTemplate, title: str) -> _SessionTemplate:
    return _SessionTemplate(title, template.focus, template.slots)


SPLITS: dict[int, tuple[str, tuple[_SessionTemplate, ...]]] = {
    2: ("Full body A/B", (_FULL_A, _FULL_B)),
    3: ("Full body A/B/C", (_FULL_A, _FULL_B, _FULL_C)),
    4: ("Upper/lower x2", (_UPPER_1, _LOWER_1, _UPPER_2, _LOWER_2)),
    5: (
        "Upper/lower/push/pull/legs",
        (_renamed(_UPPER_1, "Upper"), _renamed(_LOWER_1, "Lower"), _PUSH, _PULL, _LEGS),
    ),
    6: (
        "Push/pull/legs x2",
        (
            _renamed(_PUSH, "Push 1"),
            _renamed(_PULL, "Pull 1"),
            _renamed(_LEGS, "Legs 1"),
            _renamed(_PUSH, "Push 2"),
            _renamed(_PULL, "Pull 2"),
            _renamed(_LEGS, "Legs 2"),
        ),
    ),
}


def _with_goal_extras(template: _SessionTemplate, index: int, goal: str) -> tuple[_SlotTemplate, ...]:
    """The session's slots plus the goal's carries, cardio and stretches (rule 2)."""
    extras: list[_SlotTemplate] = []
    if goal in CARDIO_SHARE:
        if index % 2 == 0:
            extras.append(_SlotTemplate(CARRY, "carry", ("forearms", "traps"), priority=45))
        endurance = goal == Workout.Goal.ENDURANCE
        extras.append(_SlotTemplate(CARDIO, "cardio", priority=20 if endurance else 31))
    if goal == Workout.Goal.MOBILITY:
        worked = tuple(dict.fromkeys(m for slot in template.slots if slot.role == "main" for m in slot.muscles))
        extras.append(_SlotTemplate(MOBILITY, "mobility", worked, required=True, priority=20))
        extras.append(_SlotTemplate(MOBILITY, "mobility", ("lower_back", "hamstrings", "shoulders"), priority=36))
    elif goal == Workout.Goal.GENERAL_FITNESS:
        extras.append(_SlotTemplate(MOBILITY, "mobility", ("hamstrings", "chest", "lower_back"), priority=50))
    return template.slots + tuple(extras)
