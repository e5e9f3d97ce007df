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

from .prescription import GOAL_RULES, VARIANTS, deload_weeks, estimate_minutes
from .program import generate
from .selection import slots, validate_choices
from .templates import SPLITS
from .types import (
    ADVANCED,
    ALWAYS_AVAILABLE,
    BEGINNER,
    BODYWEIGHT_REPS,
    CARDIO,
    CARDIO_SHARE,
    CARRY,
    CHANGEOVER_SECONDS,
    COMMON_WORDS,
    COMPOUND,
    CORE,
    CORE_REST,
    DAY_NAMES,
    DAY_NOTES_CHARS,
    DESCRIPTION_CHARS,
    GENERAL_WARMUP_MINUTES,
    HINGE,
    HOLD_SECONDS,
    HOLD_STEP,
    HOLD_WORDS,
    INTERMEDIATE,
    ISOLATION,
    LEVEL_RANK,
    LIFTS,
    MISSING_CHOICE,
    MOBILITY,
    NOT_A_CANDIDATE,
    NOT_AN_ID,
    NOT_FOR_LIFTS,
    NOTE_CHARS,
    PATTERN_MUSCLES,
    PREFERRED_CATEGORIES,
    PULL,
    PUSH,
    REP_SECONDS,
    REPEATED_EXERCISE,
    SET_SETUP_SECONDS,
    SETS,
    SPECIALIST,
    SQUAT,
    STAPLES,
    STRETCH_REST,
    STRETCH_SETS,
    UNKNOWN_EXERCISE,
    UNKNOWN_SLOT,
    WARMUP_REST_SECONDS,
    WARMUP_SETS,
    WEEKDAYS,
    WEEKLY_PATTERNS,
    DaySpec,
    ExerciseFacts,
    ExerciseSpec,
    InvalidChoices,
    InvalidRequest,
    NoExercises,
    ProgramRequest,
    ProgramSpec,
    SessionSpec,
    Slot,
)

__all__ = [
    "ADVANCED",
    "ALWAYS_AVAILABLE",
    "BEGINNER",
    "BODYWEIGHT_REPS",
    "CARDIO",
    "CARDIO_SHARE",
    "CARRY",
    "CHANGEOVER_SECONDS",
    "COMMON_WORDS",
    "COMPOUND",
    "CORE",
    "CORE_REST",
    "DAY_NAMES",
    "DAY_NOTES_CHARS",
    "DESCRIPTION_CHARS",
    "GENERAL_WARMUP_MINUTES",
    "GOAL_RULES",
    "HINGE",
    "HOLD_SECONDS",
    "HOLD_STEP",
    "HOLD_WORDS",
    "INTERMEDIATE",
    "ISOLATION",
    "LEVEL_RANK",
    "LIFTS",
    "MISSING_CHOICE",
    "MOBILITY",
    "NOTE_CHARS",
    "NOT_AN_ID",
    "NOT_A_CANDIDATE",
    "NOT_FOR_LIFTS",
    "PATTERN_MUSCLES",
    "PREFERRED_CATEGORIES",
    "PULL",
    "PUSH",
    "REPEATED_EXERCISE",
    "REP_SECONDS",
    "SETS",
    "SET_SETUP_SECONDS",
    "SPECIALIST",
    "SPLITS",
    "SQUAT",
    "STAPLES",
    "STRETCH_REST",
    "STRETCH_SETS",
    "UNKNOWN_EXERCISE",
    "UNKNOWN_SLOT",
    "VARIANTS",
    "WARMUP_REST_SECONDS",
    "WARMUP_SETS",
    "WEEKDAYS",
    "WEEKLY_PATTERNS",
    "DaySpec",
    "ExerciseFacts",
    "ExerciseSpec",
    "InvalidChoices",
    "InvalidRequest",
    "NoExercises",
    "ProgramRequest",
    "ProgramSpec",
    "SessionSpec",
    "Slot",
    "deload_weeks",
    "estimate_minutes",
    "generate",
    "slots",
    "validate_choices",
]
