"""The rule-based program generator: exercise facts and a request in, a multi-week program out.

Pure and deterministic: no database, no clock, no global random state. The same exercises, request
and seed always give the same ``ProgramSpec``; the seed only reorders candidates that the rules rank
as equally good. ``slots()`` lays the program out (sessions, and in each a slot per movement with the
exercises that fit it); ``generate()`` fills the slots (its own picks, or ``choices`` that a caller
such as a language model made among the candidates) and writes every day of every week.

Rules, and why
--------------
1. Split by days per week. 2 days: full body A/B; 3: full body A/B/C; 4: upper/lower twice;
   5: upper, lower, push, pull, legs; 6: push/pull/legs twice. Fewer days need every session to
   train everything; more days let a session specialise so each muscle still gets about two sessions
   a week with time to recover. Training days are spread over the 7-day week (2: Mon/Thu; 3:
   Mon/Wed/Fri; 4: Mon/Tue/Thu/Fri; 5: Mon/Tue/Thu/Fri/Sat; 6: Mon-Sat) so rest falls between hard
   days; the other days are rest days (``session`` None).
2. Movement balance. The split's templates put push, pull, squat, hinge and core in every week (each
   is required in at least one session), so no pattern is forgotten and pushing never outgrows
   pulling. Fat loss and endurance add a carry (every other session) and a cardio finisher when an
   exercise exists and the time allows; a mobility goal adds two stretches per session, general fitness
   one cool-down stretch. Push and pull slots only take upper-body exercises (chest/shoulders/triceps,
   lats/middle back/biceps/traps): the catalogue files a leg extension under "push".
3. Eligibility. An exercise fits a slot only if the user has its equipment (body weight and "no
   equipment" always count), its level is at most the user's (beginner: beginner only; intermediate:
   up to intermediate; advanced: all) and, for lifts, core and carries, its category is not
   stretching or cardio (those fill mobility and cardio slots). Category slugs are compared with
   "-" and " " read as "_" ("olympic-weightlifting" = "olympic_weightlifting").
4. Ranking. Main slots prefer compounds, accessories prefer the slot's target muscles; then
   familiar staples (a short list of catalogue names such as "Barbell Squat" or "Pullups", then
   names with a common lift word, last specialist variants with chains, pins, deficits...) because a
   program should be followable without a coach; then strength or powerlifting categories over
   plyometric, Olympic and strongman ones; then loaded equipment the user owns over body weight
   (strength, hypertrophy and general goals, where load is the progression); then the level closest
   to the user's; then the seed. Within a session, lifts come first with compounds before isolation
   (the heaviest, most technical work when fresh), then core, carries, cardio and stretching. A
   session never repeats an exercise, and the program prefers exercises no other session uses, for
   variety. ``Slot.candidates`` lists the default pick first, then the rest best first; positions
   follow this order.
5. Substitution. When the equipment leaves a pattern with no exercise, the slot takes body-weight
   exercises that train the pattern's muscles (e.g. a hamstring exercise for a hinge) and the
   explanation lists the substitution. When there is truly none the slot is dropped and the
   explanation says why; nothing crashes. ``NoExercises`` is raised only when no exercise at all is
   usable (none with the user's equipment and level, or none fits any slot).
6. Volume. Working sets per exercise by experience: beginner 2-3, intermediate 3-4, advanced 4-5
   (enough stimulus, recoverable at that training age). Reps and rest by goal: strength 3-6 reps with
   180 s rest (accessories 6-10 / 120 s: very low reps on isolation work adds risk, not strength);
   hypertrophy 8-12 / 90 s (60 s); endurance 15-20 / 45 s (30 s); fat loss 10-15 / 45 s (30 s);
   mobility 10-15 / 60 s (45 s); general fitness 8-12 / 75 s (60 s). Body-weight lifts never go
   below 8-12 reps (no load to add, so reps are the progression). Core does at least 10-15 reps, or
   30-60 s for planks and holds, with at most 60 s rest; carries 30-60 s walks; stretches 2 x 30-60 s
   holds with 15 s rest; cardio one bout of 25-40 % (endurance) or 15-25 % (fat loss) of the session.
7. Session length. A session's time is estimated as a 5-minute general warm-up plus, per exercise,
   sets x (work + rest) + 30 s changeover, plus warm-up sets; work is 3 s per rep + 5 s set-up, or the
   hold/bout length. Slots are added in priority order (required main lifts first) while the estimate
   at the program's peak week fits ``session_minutes``, so every week fits. If the required slots do
   not fit, the whole program steps down in density (fewer sets, shorter rest, down to one set with
   half rest) until they do, and the explanation records it; leftover time still takes further slots,
   so a very short session becomes a circuit of single sets. Required slots that fit at no density
   are dropped and listed.
8. Progression (double progression). Within a block (the weeks up to a deload), reps rise by one each
   week from the bottom of the range to its top, and sets rise by one every other week up to the
   experience maximum; holds rise 5 s and cardio 1 minute a week. Each new block starts back at the
   bottom of the rep range with one more set (capped) and a note to add 2.5-5 % load. Weekly volume
   therefore never drops inside a block.
9. Deload. Programs of up to 6 weeks deload in their last week; longer ones every 4th week, plus the
   last week when it is at least 3 weeks after the previous deload. A deload keeps the exercises,
   halves the sets (rounded up), returns reps to the bottom of the range at lighter loads, and says so
   in the day's notes: fatigue drops while skill and habit stay.
10. Warm-up sets. The first compound lift (squat, hinge, push or pull) of each session gets 1
   (beginner), 2 (intermediate) or 3 (advanced) ramp-up sets; the heavier the working weight, the
   more steps it takes to reach it. Every other exercise has none: the muscles are already warm.
11. Overrides. ``choices`` (slot key -> exercise id) replace the picks after ``validate_choices``
   passes; ``notes`` (session letter -> coaching note, trimmed to 300 characters) are added to that
   session's days.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
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


# --- templates -------------------------------------------------------------------------------


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


# --- volume ----------------------------------------------------------------------------------


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


# --- candidates ------------------------------------------------------------------------------


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


# --- the program -----------------------------------------------------------------------------


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
