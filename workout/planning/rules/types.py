"""The generator's inputs and outputs, its errors, and the constants the rules are written in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workout.models import Equipment, Level, Mechanics, MovementPattern, Workout

SQUAT = MovementPattern.SQUAT.value
HINGE = MovementPattern.HINGE.value
PUSH = MovementPattern.PUSH.value
PULL = MovementPattern.PULL.value
CARRY = MovementPattern.CARRY.value
CORE = MovementPattern.CORE.value
CARDIO = MovementPattern.CARDIO.value
MOBILITY = MovementPattern.MOBILITY.value
COMPOUND = Mechanics.COMPOUND.value
ISOLATION = Mechanics.ISOLATION.value
BEGINNER, INTERMEDIATE, ADVANCED = Level.BEGINNER.value, Level.INTERMEDIATE.value, Level.ADVANCED.value

WEEKLY_PATTERNS = (PUSH, PULL, HINGE, SQUAT, CORE)
LIFTS = frozenset({SQUAT, HINGE, PUSH, PULL})
ALWAYS_AVAILABLE = frozenset({Equipment.BODY_ONLY.value, ""})
LEVEL_RANK = {BEGINNER: 0, INTERMEDIATE: 1, ADVANCED: 2}
NOT_FOR_LIFTS = frozenset({"stretching", "cardio"})
PREFERRED_CATEGORIES = frozenset({"strength", "powerlifting"})
PATTERN_MUSCLES: dict[str, frozenset[str]] = {
    SQUAT: frozenset({"quadriceps", "glutes", "adductors", "abductors"}),
    HINGE: frozenset({"hamstrings", "glutes", "lower_back"}),
    PUSH: frozenset({"chest", "shoulders", "triceps"}),
    PULL: frozenset({"lats", "middle_back", "biceps", "traps"}),
    CORE: frozenset({"abdominals"}),
}
HOLD_WORDS = ("plank", "hold", "wall sit", "isometric", "static")
# Rule 4's familiarity: the catalogue's names of well-known staples (first choice), words that mark
# a common variant (second), and markers of specialist variants (last). Matched on lower-case names.
STAPLES: dict[str, frozenset[str]] = {
    SQUAT: frozenset(
        {
            "barbell squat",
            "front squat (clean grip)",
            "goblet squat",
            "leg press",
            "bodyweight squat",
            "dumbbell lunges",
            "split squat with dumbbells",
            "barbell walking lunge",
            "bodyweight walking lunge",
            "dumbbell step ups",
            "front squats with two kettlebells",
        }
    ),
    HINGE: frozenset(
        {
            "barbell deadlift",
            "romanian deadlift",
            "trap bar deadlift",
            "barbell hip thrust",
            "barbell glute bridge",
            "stiff-legged dumbbell deadlift",
            "one-arm kettlebell swings",
            "kettlebell one-legged deadlift",
            "butt lift (bridge)",
            "single leg glute bridge",
            "hyperextensions (back extensions)",
            "band good morning",
            "good morning",
        }
    ),
    PUSH: frozenset(
        {
            "barbell bench press - medium grip",
            "barbell incline bench press - medium grip",
            "dumbbell bench press",
            "incline dumbbell press",
            "machine bench press",
            "close-grip barbell bench press",
            "standing military press",
            "dumbbell shoulder press",
            "leverage shoulder press",
            "two-arm kettlebell military press",
            "cable shoulder press",
            "pushups",
            "incline push-up",
            "dips - triceps version",
            "bench dips",
            "triceps pushdown",
            "ez-bar skullcrusher",
            "standing dumbbell triceps extension",
            "side lateral raise",
            "dumbbell flyes",
            "bench press - with bands",
            "shoulder press - with bands",
            "lateral raise - with bands",
            "band skull crusher",
        }
    ),
    PULL: frozenset(
        {
            "pullups",
            "chin-up",
            "inverted row",
            "bent over barbell row",
            "bent over two-dumbbell row",
            "one-arm dumbbell row",
            "two-arm kettlebell row",
            "seated cable rows",
            "wide-grip lat pulldown",
            "leverage iso row",
            "face pull",
            "barbell curl",
            "ez-bar curl",
            "dumbbell bicep curl",
            "hammer curls",
            "standing biceps cable curl",
            "barbell shrug",
            "dumbbell shrug",
            "reverse flyes",
            "upright row - with bands",
            "back flyes - with bands",
        }
    ),
    CORE: frozenset(
        {
            "plank",
            "crunches",
            "reverse crunch",
            "cable crunch",
            "hanging leg raise",
            "flat bench lying leg raise",
            "russian twist",
            "dead bug",
            "sit-up",
            "ab roller",
            "barbell ab rollout - on knees",
        }
    ),
    CARRY: frozenset({"farmer's walk"}),
}
COMMON_WORDS = {
    SQUAT: re.compile(r"squat|lunge|leg press|step[- ]?ups?\b"),
    HINGE: re.compile(r"deadlift|hip thrust|bridge|good morning|swing|hyperextension"),
    PUSH: re.compile(r"bench press|press\b|push-?ups?\b|pushups|dips?\b|lateral raise|pushdown|triceps? extension|fly"),
    PULL: re.compile(r"row\b|rows\b|pull-?ups?\b|pullups|chin-?up|pulldown|curl|face pull|shrug"),
    CORE: re.compile(r"plank|crunch|leg raise|twist|sit-?ups?\b|rollout|roller"),
}
SPECIALIST = re.compile(
    r"chains|reverse band|off pins|guillotine|behind the neck|deficit|axle|car deadlift|rickshaw|side deadlift"
    r"|to a bench|suspended|sprint|depth jump|plyo"
)

WEEKDAYS = {2: (1, 4), 3: (1, 3, 5), 4: (1, 2, 4, 5), 5: (1, 2, 4, 5, 6), 6: (1, 2, 3, 4, 5, 6)}
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SETS = {BEGINNER: (2, 3), INTERMEDIATE: (3, 4), ADVANCED: (4, 5)}
WARMUP_SETS = {BEGINNER: 1, INTERMEDIATE: 2, ADVANCED: 3}
HOLD_SECONDS = (30, 60)
HOLD_STEP = 5
STRETCH_SETS = 2
STRETCH_REST = 15
CORE_REST = 60
BODYWEIGHT_REPS = (8, 12)
CARDIO_SHARE = {Workout.Goal.ENDURANCE.value: (0.25, 0.40), Workout.Goal.FAT_LOSS.value: (0.15, 0.25)}

GENERAL_WARMUP_MINUTES = 5
REP_SECONDS = 3
SET_SETUP_SECONDS = 5
CHANGEOVER_SECONDS = 30
WARMUP_REST_SECONDS = 60
NOTE_CHARS = 300
DAY_NOTES_CHARS = 500
DESCRIPTION_CHARS = 2000

# validate_choices() messages; tests compare against them.
MISSING_CHOICE = "slot {key}: no exercise chosen"
UNKNOWN_SLOT = "slot {key}: there is no such slot"
NOT_AN_ID = "slot {key}: {value!r} is not an exercise id"
UNKNOWN_EXERCISE = "slot {key}: exercise {exercise_id} is not offered in any slot"
NOT_A_CANDIDATE = "slot {key}: exercise {exercise_id} is not a candidate for this {pattern} slot"
REPEATED_EXERCISE = "session {session}: exercise {exercise_id} is chosen more than once ({keys})"


class InvalidRequest(ValueError):
    """A ``ProgramRequest`` outside the supported ranges."""


class NoExercises(ValueError):
    """No exercise in the catalogue is usable with this equipment and experience."""


class InvalidChoices(ValueError):
    """``choices`` given to ``generate`` that ``validate_choices`` rejects; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ExerciseFacts:
    id: int
    name: str
    equipment: str
    movement_pattern: str
    mechanics: str
    level: str
    primary_muscles: tuple[str, ...]
    category: str  # the category's slug; "" when none


@dataclass(frozen=True)
class ProgramRequest:
    weeks: int
    days_per_week: int
    session_minutes: int
    goal: str
    equipment: frozenset[str]
    experience: str
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not 4 <= self.weeks <= 12:
            problems.append("weeks must be 4-12")
        if not 2 <= self.days_per_week <= 6:
            problems.append("days_per_week must be 2-6")
        if not 20 <= self.session_minutes <= 120:
            problems.append("session_minutes must be 20-120")
        if self.goal not in Workout.Goal.values:
            problems.append(f"unknown goal {self.goal!r}")
        if self.experience not in LEVEL_RANK:
            problems.append(f"unknown experience {self.experience!r}")
        unknown = sorted(set(self.equipment) - set(Equipment.values) - {""})
        if unknown:
            problems.append(f"unknown equipment {', '.join(unknown)}")
        if problems:
            raise InvalidRequest("; ".join(problems))


@dataclass(frozen=True)
class Slot:
    """One exercise position of a session. ``candidates[0]`` is what ``generate`` picks by default."""

    key: str  # "<session letter>-<position>", e.g. "A-1"
    session: str
    position: int
    pattern: str
    candidates: tuple[int, ...]
    role: str = ""  # main, accessory, core, carry, cardio or mobility


@dataclass(frozen=True)
class SessionSpec:
    letter: str
    title: str
    focus: str


@dataclass(frozen=True)
class ExerciseSpec:
    exercise_id: int
    sets: int
    reps: int | None
    duration_seconds: int | None
    rest_seconds: int
    warmup_sets: int = 0
    notes: str = ""


@dataclass(frozen=True)
class DaySpec:
    day_number: int
    week: int
    session: str | None  # None: a rest day
    title: str
    notes: str
    exercises: tuple[ExerciseSpec, ...] = ()
    deload: bool = False
    estimated_minutes: int = 0


@dataclass(frozen=True)
class ProgramSpec:
    title: str
    description: str
    split: str
    difficulty: str
    goals: tuple[str, ...]
    sessions: tuple[SessionSpec, ...]
    days: tuple[DaySpec, ...]
    explanation: dict[str, Any] = field(default_factory=dict)
