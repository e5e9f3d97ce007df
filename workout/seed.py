"""FitCore's own catalogue content: published workouts and programs built from the imported exercises.

The exercise catalogue (workout/importers.py) gives movements; members need sessions and plans to
follow from day one, so this module ships a curated set of both as plain data below. Exercises are
named by the catalogue's id (``Exercise.source_id``): a catalogue that lost one fails loudly
(``SeedError``) instead of seeding a workout with a hole in it.

Idempotent: a seeded row is known by its title with no tenant. One that exists is left exactly as it
is (staff may have edited it); only missing ones are created, all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.db import transaction

from .models import Category, Exercise, Level, Program, ProgramDay, Workout, WorkoutExercise

Goal = Workout.Goal


class SeedError(RuntimeError):
    """The exercise catalogue lacks something the seed data names (it changed, or was never imported)."""


class Writer(Protocol):
    """A management command's ``self.stdout`` or any text stream."""

    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Step:
    """One exercise of a seeded workout: sets of ``reps``, or sets held/done for ``seconds``."""

    source_id: str
    sets: int
    reps: int | None
    seconds: int | None
    rest: int

    def __post_init__(self) -> None:
        # The table's check constraint would reject it mid-insert; say which step is wrong instead.
        if (self.reps is None) == (self.seconds is None):
            raise ValueError(f"{self.source_id}: give reps or seconds, not both or neither")


def reps(source_id: str, sets: int, count: int, rest: int) -> Step:
    """Lifts, jumps and crunches: counted repetitions."""
    return Step(source_id, sets, count, None, rest)


def timed(source_id: str, sets: int, seconds: int, rest: int) -> Step:
    """Stretches, planks, carries and cardio: a time per set."""
    return Step(source_id, sets, None, seconds, rest)


@dataclass(frozen=True)
class WorkoutSpec:
    title: str
    category: str  # a Category slug the exercise import creates
    difficulty: str
    minutes: int
    goals: tuple[str, ...]
    description: str
    steps: tuple[Step, ...]
    premium: bool = False


@dataclass(frozen=True)
class ProgramSpec:
    """``schedule`` maps a week to its seven days (workout titles, None = rest); a week without
    an entry repeats the week before. ``notes`` are keyed by day number (1 = the first day)."""

    title: str
    description: str
    difficulty: str
    category: str
    goals: tuple[str, ...]
    weeks: int
    schedule: dict[int, tuple[str | None, ...]]
    notes: dict[int, str] = field(default_factory=dict)
    premium: bool = False

    def __post_init__(self) -> None:
        if 1 not in self.schedule or any(len(days) != 7 for days in self.schedule.values()):
            raise ValueError(f"{self.title}: the schedule starts at week 1 and gives 7 days a week")

    def days(self) -> list[tuple[int, str | None, str]]:
        """Every day 1..weeks*7 as (day number, workout title or None, notes)."""
        plan: list[tuple[int, str | None, str]] = []
        week_plan: tuple[str | None, ...] = ()
        for week in range(1, self.weeks + 1):
            week_plan = self.schedule.get(week, week_plan)
            for weekday, title in enumerate(week_plan, start=1):
                day = (week - 1) * 7 + weekday
                plan.append((day, title, self.notes.get(day, "")))
        return plan


WORKOUTS: list[WorkoutSpec] = [
    # Beginner
    WorkoutSpec(
        title="Bodyweight Basics",
        category="strength",
        difficulty=Level.BEGINNER,
        minutes=25,
        goals=(Goal.GENERAL_FITNESS, Goal.STRENGTH, Goal.ENDURANCE),
        description="A full-body session with no equipment beyond a low bar or sturdy table for rows. "
        "Learn the squat, push, pull and hinge patterns everything else builds on.",
        steps=(
            reps("Bodyweight_Squat", 3, 12, 60),
            reps("Pushups", 3, 10, 60),
            reps("Inverted_Row", 3, 8, 60),
            reps("Butt_Lift_Bridge", 3, 12, 45),
            reps("Bodyweight_Walking_Lunge", 3, 10, 60),
            timed("Plank", 3, 30, 30),
        ),
    ),
    WorkoutSpec(
        title="Dumbbell Full-Body Starter",
        category="strength",
        difficulty=Level.BEGINNER,
        minutes=40,
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY, Goal.GENERAL_FITNESS),
        description="One pair of dumbbells and a bench cover every major muscle. Pick a weight you could "
        "lift two or three more times at the end of each set.",
        steps=(
            reps("Dumbbell_Squat", 3, 10, 90),
            reps("Dumbbell_Bench_Press", 3, 10, 90),
            reps("One-Arm_Dumbbell_Row", 3, 10, 60),
            reps("Standing_Dumbbell_Press", 3, 10, 60),
            reps("Stiff-Legged_Dumbbell_Deadlift", 3, 10, 90),
            reps("Dumbbell_Bicep_Curl", 2, 12, 45),
            reps("Tricep_Dumbbell_Kickback", 2, 12, 45),
        ),
    ),
    WorkoutSpec(
        title="Core Foundations",
        category="strength",
        difficulty=Level.BEGINNER,
        minutes=20,
        goals=(Goal.GENERAL_FITNESS, Goal.ENDURANCE),
        description="Slow, controlled core work on the floor: anti-extension, flexion and side holds that "
        "protect the lower back in every other lift.",
        steps=(
            reps("Dead_Bug", 3, 10, 30),
            reps("Crunches", 3, 15, 30),
            reps("Reverse_Crunch", 3, 12, 30),
            reps("Alternate_Heel_Touchers", 3, 20, 30),
            timed("Plank", 3, 30, 30),
            timed("Side_Bridge", 2, 20, 20),
        ),
    ),
    WorkoutSpec(
        title="Gentle Full-Body Stretch",
        category="stretching",
        difficulty=Level.BEGINNER,
        minutes=15,
        goals=(Goal.MOBILITY, Goal.GENERAL_FITNESS),
        description="Eight easy static stretches from neck to calves, no equipment. Breathe slowly and "
        "never stretch into pain; good after any workout or on a rest day.",
        steps=(
            timed("Cat_Stretch", 2, 30, 10),
            timed("Childs_Pose", 2, 45, 10),
            timed("Hamstring_Stretch", 2, 30, 10),
            timed("Kneeling_Hip_Flexor", 2, 30, 10),
            timed("Upper_Back_Stretch", 2, 30, 10),
            timed("Standing_Lateral_Stretch", 2, 30, 10),
            timed("Triceps_Stretch", 2, 30, 10),
            timed("Calf_Stretch_Hands_Against_Wall", 2, 30, 10),
        ),
    ),
    WorkoutSpec(
        title="Morning Mobility Flow",
        category="stretching",
        difficulty=Level.BEGINNER,
        minutes=10,
        goals=(Goal.MOBILITY,),
        description="Joint circles and gentle dynamic stretches to wake the body up: move from one to the "
        "next without stopping, ankles to neck.",
        steps=(
            timed("Ankle_Circles", 1, 30, 5),
            timed("Knee_Circles", 1, 30, 5),
            timed("Standing_Hip_Circles", 1, 30, 5),
            timed("Inchworm", 1, 45, 10),
            timed("Arm_Circles", 1, 30, 5),
            timed("Shoulder_Circles", 1, 30, 5),
            timed("Side_Neck_Stretch", 1, 30, 5),
            timed("Hug_Knees_To_Chest", 1, 45, 0),
        ),
    ),
    WorkoutSpec(
        title="Low-Impact Cardio Intro",
        category="cardio",
        difficulty=Level.BEGINNER,
        minutes=35,
        goals=(Goal.ENDURANCE, Goal.FAT_LOSS, Goal.GENERAL_FITNESS),
        description="Steady, joint-friendly cardio on the gym's machines. Stay at a pace where you can "
        "still hold a conversation.",
        steps=(
            timed("Walking_Treadmill", 1, 300, 60),
            timed("Bicycling_Stationary", 1, 600, 60),
            timed("Recumbent_Bike", 1, 600, 60),
            timed("Jogging_Treadmill", 1, 480, 0),
        ),
    ),
    WorkoutSpec(
        title="Jump Start Plyometrics",
        category="plyometrics",
        difficulty=Level.BEGINNER,
        minutes=25,
        goals=(Goal.FAT_LOSS, Goal.ENDURANCE, Goal.GENERAL_FITNESS),
        description="Your first jumping session: land softly with bent knees and rest fully between sets. "
        "Quality of every landing beats the number of jumps.",
        steps=(
            timed("Fast_Skipping", 2, 30, 45),
            reps("Star_Jump", 3, 10, 60),
            reps("Knee_Tuck_Jump", 3, 8, 60),
            reps("Standing_Long_Jump", 3, 5, 90),
            reps("Lateral_Bound", 3, 8, 60),
            timed("Mountain_Climbers", 3, 30, 30),
        ),
    ),
    WorkoutSpec(
        title="Resistance Band Total Body",
        category="strength",
        difficulty=Level.BEGINNER,
        minutes=35,
        goals=(Goal.GENERAL_FITNESS, Goal.STRENGTH, Goal.ENDURANCE),
        description="A whole-body workout with one set of resistance bands: it fits in a suitcase and is "
        "kind to the joints. Shorten the band to make a set harder.",
        steps=(
            reps("Squats_-_With_Bands", 3, 12, 60),
            reps("Bench_Press_-_With_Bands", 3, 12, 60),
            reps("Band_Pull_Apart", 3, 15, 45),
            reps("Shoulder_Press_-_With_Bands", 3, 12, 60),
            reps("Band_Good_Morning", 3, 12, 60),
            reps("Monster_Walk", 3, 20, 45),
            reps("Band_Skull_Crusher", 2, 15, 45),
        ),
    ),
    WorkoutSpec(
        title="Machine Circuit for Beginners",
        category="strength",
        difficulty=Level.BEGINNER,
        minutes=40,
        goals=(Goal.HYPERTROPHY, Goal.GENERAL_FITNESS, Goal.STRENGTH),
        description="Guided machines and cables take the balance out of the lift so you can learn to work "
        "hard safely. Adjust each seat before the first set.",
        steps=(
            reps("Leg_Press", 3, 12, 90),
            reps("Machine_Bench_Press", 3, 12, 90),
            reps("Seated_Cable_Rows", 3, 12, 90),
            reps("Machine_Shoulder_Military_Press", 3, 12, 60),
            reps("Seated_Leg_Curl", 3, 12, 60),
            reps("Wide-Grip_Lat_Pulldown", 3, 12, 60),
            reps("Leg_Extensions", 2, 15, 60),
        ),
    ),
    # Intermediate
    WorkoutSpec(
        title="Foam Roller Recovery",
        category="stretching",
        difficulty=Level.INTERMEDIATE,
        minutes=15,
        goals=(Goal.MOBILITY,),
        description="Self-massage with a foam roller, calves to upper back. Roll slowly and pause on tender "
        "spots; ideal the day after a hard session.",
        steps=(
            timed("Calves-SMR", 1, 60, 10),
            timed("Hamstring-SMR", 1, 60, 10),
            timed("Quadriceps-SMR", 1, 60, 10),
            timed("Iliotibial_Tract-SMR", 1, 60, 10),
            timed("Piriformis-SMR", 1, 60, 10),
            timed("Latissimus_Dorsi-SMR", 1, 60, 10),
            timed("Rhomboids-SMR", 1, 60, 0),
        ),
    ),
    WorkoutSpec(
        title="Upper Body Push",
        category="strength",
        difficulty=Level.INTERMEDIATE,
        minutes=50,
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY),
        description="Chest, shoulders and triceps: a heavy bench press first, then presses and dips for "
        "volume, finishing with isolation work.",
        steps=(
            reps("Barbell_Bench_Press_-_Medium_Grip", 4, 6, 150),
            reps("Barbell_Shoulder_Press", 3, 8, 120),
            reps("Incline_Dumbbell_Press", 3, 10, 90),
            reps("Dips_-_Chest_Version", 3, 10, 90),
            reps("Side_Lateral_Raise", 3, 15, 45),
            reps("Triceps_Pushdown", 3, 12, 45),
        ),
    ),
    WorkoutSpec(
        title="Upper Body Pull",
        category="strength",
        difficulty=Level.INTERMEDIATE,
        minutes=50,
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY),
        description="Back and biceps: vertical and horizontal pulls, face pulls for shoulder health, and "
        "two curl variations to finish.",
        steps=(
            reps("Pullups", 4, 6, 120),
            reps("Bent_Over_Barbell_Row", 4, 8, 120),
            reps("Seated_Cable_Rows", 3, 10, 90),
            reps("Face_Pull", 3, 15, 60),
            reps("Barbell_Curl", 3, 10, 60),
            reps("Hammer_Curls", 3, 12, 45),
        ),
    ),
    WorkoutSpec(
        title="Lower Body Strength",
        category="strength",
        difficulty=Level.INTERMEDIATE,
        minutes=55,
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY),
        description="Squat heavy, hinge with control, then lunges and machines for volume. Warm up with "
        "two or three lighter squat sets first.",
        steps=(
            reps("Barbell_Full_Squat", 4, 6, 180),
            reps("Romanian_Deadlift", 3, 8, 150),
            reps("Barbell_Lunge", 3, 10, 90),
            reps("Leg_Press", 3, 12, 90),
            reps("Lying_Leg_Curls", 3, 12, 60),
            reps("Standing_Calf_Raises", 4, 15, 45),
        ),
    ),
    WorkoutSpec(
        title="Kettlebell Conditioning",
        category="strength",
        difficulty=Level.INTERMEDIATE,
        minutes=35,
        goals=(Goal.FAT_LOSS, Goal.ENDURANCE, Goal.STRENGTH),
        description="Swings, squats, presses and rows with one or two kettlebells: strength and "
        "conditioning in the same half hour. Keep rests short.",
        steps=(
            reps("One-Arm_Kettlebell_Swings", 4, 15, 60),
            reps("Goblet_Squat", 3, 12, 60),
            reps("Two-Arm_Kettlebell_Military_Press", 3, 10, 60),
            reps("One-Arm_Kettlebell_Row", 3, 10, 60),
            reps("Kettlebell_Thruster", 3, 10, 60),
            reps("Kettlebell_Windmill", 2, 6, 60),
        ),
        premium=True,
    ),
    WorkoutSpec(
        title="Core Strength & Stability",
        category="strength",
        difficulty=Level.INTERMEDIATE,
        minutes=30,
        goals=(Goal.STRENGTH, Goal.GENERAL_FITNESS),
        description="Harder core work: long planks, rotation and anti-rotation, and the ab wheel. Brace as "
        "if for a punch and keep the lower back neutral.",
        steps=(
            timed("Plank", 3, 60, 45),
            reps("Pallof_Press", 3, 12, 45),
            reps("Russian_Twist", 3, 20, 45),
            reps("Ab_Roller", 3, 10, 60),
            reps("Decline_Crunch", 3, 15, 45),
            timed("Side_Bridge", 3, 30, 30),
        ),
    ),
    WorkoutSpec(
        title="Powerlifting Fundamentals",
        category="powerlifting",
        difficulty=Level.INTERMEDIATE,
        minutes=60,
        goals=(Goal.STRENGTH,),
        description="The three competition lifts in their training forms (box squat, paused bench, sumo "
        "deadlift) with the assistance work that moves them.",
        steps=(
            reps("Box_Squat", 5, 5, 180),
            reps("Bench_Press_-_Powerlifting", 5, 5, 180),
            reps("Sumo_Deadlift", 3, 5, 180),
            reps("Good_Morning", 3, 8, 120),
            reps("Floor_Press", 3, 6, 120),
            reps("Barbell_Hip_Thrust", 3, 10, 90),
        ),
        premium=True,
    ),
    WorkoutSpec(
        title="Cardio Intervals",
        category="cardio",
        difficulty=Level.INTERMEDIATE,
        minutes=50,
        goals=(Goal.FAT_LOSS, Goal.ENDURANCE),
        description="Hard intervals on the rope, treadmill and rower, then steady work on the stairs and "
        "elliptical. Work bouts should leave you unable to talk.",
        steps=(
            timed("Rope_Jumping", 5, 60, 30),
            timed("Running_Treadmill", 6, 60, 60),
            timed("Rowing_Stationary", 4, 120, 60),
            timed("Stairmaster", 1, 600, 60),
            timed("Elliptical_Trainer", 1, 600, 0),
        ),
    ),
    WorkoutSpec(
        title="Hip & Hamstring Mobility",
        category="stretching",
        difficulty=Level.INTERMEDIATE,
        minutes=20,
        goals=(Goal.MOBILITY, Goal.GENERAL_FITNESS),
        description="Deeper work for the hips, groin and hamstrings, the places that limit squats and "
        "running. A strap or towel helps with the seated stretches.",
        steps=(
            timed("Worlds_Greatest_Stretch", 2, 45, 15),
            timed("Groiners", 2, 30, 15),
            timed("Adductor_Groin", 2, 30, 15),
            timed("IT_Band_and_Glute_Stretch", 2, 30, 15),
            timed("Intermediate_Hip_Flexor_and_Quad_Stretch", 2, 30, 15),
            timed("Seated_Hamstring_and_Calf_Stretch", 2, 45, 15),
            timed("Pelvic_Tilt_Into_Bridge", 2, 30, 0),
        ),
    ),
    WorkoutSpec(
        title="Strongman Medley",
        category="strongman",
        difficulty=Level.INTERMEDIATE,
        minutes=55,
        goals=(Goal.STRENGTH, Goal.ENDURANCE),
        description="Carries, flips, pushes and loads with strongman implements: grip, back and lungs all "
        "get tested. Needs a strongman-equipped gym.",
        steps=(
            timed("Farmers_Walk", 4, 40, 120),
            reps("Tire_Flip", 4, 6, 120),
            reps("Log_Lift", 4, 5, 150),
            timed("Sled_Push", 4, 30, 120),
            reps("Keg_Load", 3, 5, 120),
            timed("Yoke_Walk", 3, 30, 150),
        ),
        premium=True,
    ),
    # Advanced
    WorkoutSpec(
        title="Olympic Lifting Technique",
        category="olympic-weightlifting",
        difficulty=Level.ADVANCED,
        minutes=60,
        goals=(Goal.STRENGTH,),
        description="Snatch and clean & jerk practice in low-rep sets with full rest, plus the balance, "
        "squat and pull drills that build them. Technique first: stop a set when form slips.",
        steps=(
            reps("Snatch_Balance", 3, 3, 120),
            reps("Power_Snatch", 5, 2, 150),
            reps("Hang_Clean", 4, 3, 150),
            reps("Clean_and_Jerk", 5, 2, 180),
            reps("Overhead_Squat", 3, 5, 150),
            reps("Clean_Pull", 3, 4, 120),
        ),
        premium=True,
    ),
    WorkoutSpec(
        title="Advanced Calisthenics",
        category="strength",
        difficulty=Level.ADVANCED,
        minutes=45,
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY),
        description="Bodyweight skills for strong trainees: muscle-ups, handstand push-ups, one-arm "
        "chin-ups and push-ups. Needs a pull-up bar and a wall.",
        steps=(
            reps("Muscle_Up", 5, 3, 150),
            reps("Handstand_Push-Ups", 4, 5, 120),
            reps("One_Arm_Chin-Up", 4, 3, 150),
            reps("Single-Arm_Push-Up", 3, 5, 90),
            reps("Hanging_Leg_Raise", 3, 10, 60),
            reps("Natural_Glute_Ham_Raise", 3, 6, 90),
        ),
    ),
    WorkoutSpec(
        title="Explosive Plyometrics",
        category="plyometrics",
        difficulty=Level.ADVANCED,
        minutes=45,
        goals=(Goal.STRENGTH, Goal.ENDURANCE),
        description="Depth jumps, hurdle hops and plyo push-ups for power athletes. Every rep at full "
        "intent, full rest between sets, and only on fresh legs.",
        steps=(
            reps("Linear_Depth_Jump", 4, 5, 120),
            reps("Depth_Jump_Leap", 3, 5, 120),
            reps("Box_Jump_Multiple_Response", 3, 5, 90),
            reps("Hurdle_Hops", 3, 8, 90),
            reps("Single-Leg_Hop_Progression", 3, 6, 90),
            reps("Plyo_Push-up", 3, 8, 90),
            reps("Drop_Push", 3, 6, 90),
        ),
    ),
    WorkoutSpec(
        title="Powerlifting: Bands & Chains",
        category="powerlifting",
        difficulty=Level.ADVANCED,
        minutes=70,
        goals=(Goal.STRENGTH,),
        description="Accommodating resistance for experienced lifters: fast sets against bands and chains, "
        "then heavy partial presses to overload the lockout.",
        steps=(
            reps("Box_Squat_with_Bands", 6, 2, 120),
            reps("Bench_Press_with_Chains", 8, 3, 90),
            reps("Deadlift_with_Bands", 6, 1, 120),
            reps("Reverse_Band_Bench_Press", 3, 3, 180),
            reps("Board_Press", 3, 5, 150),
            reps("Good_Morning_off_Pins", 3, 6, 120),
        ),
        premium=True,
    ),
    WorkoutSpec(
        title="Advanced Leg Day",
        category="strength",
        difficulty=Level.ADVANCED,
        minutes=60,
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY),
        description="Front and Zercher squats, single-leg work and jump squats: a demanding leg session "
        "for lifters with a solid squat already.",
        steps=(
            reps("Front_Barbell_Squat", 5, 5, 180),
            reps("Zercher_Squats", 3, 6, 150),
            reps("One_Leg_Barbell_Squat", 3, 8, 120),
            reps("Romanian_Deadlift", 4, 8, 150),
            reps("Natural_Glute_Ham_Raise", 3, 6, 120),
            reps("Weighted_Jump_Squat", 3, 6, 120),
        ),
        premium=True,
    ),
    WorkoutSpec(
        title="Advanced Flexibility",
        category="stretching",
        difficulty=Level.ADVANCED,
        minutes=25,
        goals=(Goal.MOBILITY,),
        description="Long holds at end range for hamstrings, hips, quads, lats and chest. For people who "
        "already stretch regularly; a partner or strap helps.",
        steps=(
            timed("Lying_Hamstring", 2, 60, 15),
            timed("Lying_Crossover", 2, 45, 15),
            timed("Lying_Glute", 2, 45, 15),
            timed("Lying_Bent_Leg_Groin", 2, 60, 15),
            timed("Lying_Prone_Quadriceps", 2, 45, 15),
            timed("Seated_Front_Deltoid", 2, 45, 15),
            timed("Overhead_Lat", 2, 45, 15),
            timed("Behind_Head_Chest_Stretch", 2, 45, 0),
        ),
    ),
]

PROGRAMS: list[ProgramSpec] = [
    ProgramSpec(
        title="4-Week Beginner Foundations",
        description="Three full-body sessions a week for a month: bodyweight and bands first, then "
        "dumbbells and machines. Builds the habit and the basic movement patterns.",
        difficulty=Level.BEGINNER,
        category="strength",
        goals=(Goal.GENERAL_FITNESS, Goal.STRENGTH),
        weeks=4,
        schedule={
            1: ("Bodyweight Basics", None, "Resistance Band Total Body", None, "Core Foundations", None, None),
            3: (
                "Dumbbell Full-Body Starter",
                None,
                "Machine Circuit for Beginners",
                None,
                "Bodyweight Basics",
                None,
                None,
            ),
        },
        notes={
            1: "Start light: learn each movement before adding reps or load.",
            2: "Rest day: a 20-minute walk helps recovery.",
            15: "New block: pick weights you could lift 2-3 more times at the end of each set.",
            26: "Re-test: count your push-ups and compare with day 1.",
        },
    ),
    ProgramSpec(
        title="8-Week Strength Builder",
        description="Four sessions a week on an upper/lower split with a powerlifting day: heavy compound "
        "lifts, progressive load, and a deload halfway.",
        difficulty=Level.INTERMEDIATE,
        category="strength",
        goals=(Goal.STRENGTH, Goal.HYPERTROPHY),
        weeks=8,
        schedule={
            1: (
                "Upper Body Push",
                "Lower Body Strength",
                None,
                "Upper Body Pull",
                "Powerlifting Fundamentals",
                None,
                None,
            ),
        },
        notes={
            1: "Find your working weights: end every set with 2 reps in reserve.",
            3: "Rest day: sleep and protein do the building.",
            22: "Deload: keep the weights at 60%",
            23: "Deload: keep the weights at 60%",
            25: "Deload: keep the weights at 60%",
            26: "Deload: keep the weights at 60%",
            29: "Block two: add 2.5 kg to the main lifts.",
            54: "Test day: work up to a heavy triple on the squat, bench and deadlift.",
        },
        premium=True,
    ),
    ProgramSpec(
        title="6-Week Conditioning & Mobility",
        description="Five days a week of cardio, jumping, core and mobility work: easy aerobic base for two "
        "weeks, then intervals. Builds fitness that lasts and keeps the joints moving.",
        difficulty=Level.INTERMEDIATE,
        category="cardio",
        goals=(Goal.ENDURANCE, Goal.MOBILITY, Goal.FAT_LOSS),
        weeks=6,
        schedule={
            1: (
                "Low-Impact Cardio Intro",
                "Gentle Full-Body Stretch",
                "Jump Start Plyometrics",
                "Core Foundations",
                "Foam Roller Recovery",
                None,
                None,
            ),
            3: (
                "Cardio Intervals",
                "Hip & Hamstring Mobility",
                "Jump Start Plyometrics",
                "Core Strength & Stability",
                "Foam Roller Recovery",
                None,
                None,
            ),
        },
        notes={
            1: "Easy pace: you should be able to talk throughout.",
            15: "Intervals start: go hard in the work bouts, easy in the rests.",
            36: "Last week: hold the pace; do not add volume.",
        },
    ),
]


@dataclass
class SeedResult:
    """Totals the seed owns and what this run created: zero created means it was already there."""

    workouts: int = 0
    programs: int = 0
    workouts_created: int = 0
    programs_created: int = 0
    workout_exercises_created: int = 0
    program_days_created: int = 0

    @property
    def created(self) -> int:
        return self.workouts_created + self.programs_created

    def summary(self) -> str:
        done = f"created {self.created}" if self.created else "already seeded"
        return f"{self.workouts} workouts, {self.programs} programs ({done})"


def seed_catalogue(*, stdout: Writer | None = None) -> SeedResult:
    """Create the missing catalogue workouts and programs (tenant empty, published); ``SeedError``
    when the imported exercises lack one the data names. ``stdout`` gets a line per created row."""
    result = SeedResult(workouts=len(WORKOUTS), programs=len(PROGRAMS))
    with transaction.atomic():
        workouts = _global_by_title(Workout, [spec.title for spec in WORKOUTS])
        existing_programs = _global_by_title(Program, [spec.title for spec in PROGRAMS])
        new_workouts = [spec for spec in WORKOUTS if spec.title not in workouts]
        new_programs = [spec for spec in PROGRAMS if spec.title not in existing_programs]
        if not new_workouts and not new_programs:
            return result
        categories = _categories({spec.category for spec in new_workouts} | {spec.category for spec in new_programs})
        if new_workouts:
            created = _create_workouts(new_workouts, categories)
            workouts.update(created)
            result.workouts_created = len(created)
            result.workout_exercises_created = sum(len(spec.steps) for spec in new_workouts)
        if new_programs:
            result.program_days_created = _create_programs(new_programs, workouts, categories)
            result.programs_created = len(new_programs)
    if stdout is not None:
        for workout_spec in new_workouts:
            stdout.write(f"    + workout {workout_spec.title!r} ({workout_spec.difficulty}, {workout_spec.category})\n")
        for program_spec in new_programs:
            stdout.write(f"    + program {program_spec.title!r} ({program_spec.weeks} weeks)\n")
    return result


def _global_by_title(model: type[Workout] | type[Program], titles: list[str]) -> dict[str, int]:
    """Ids of the global rows with these titles (the lowest id when staff duplicated one)."""
    rows = model.objects.filter(tenant__isnull=True, title__in=titles).order_by("-id").values_list("title", "id")
    return dict(rows)


def _categories(slugs: set[str]) -> dict[str, int]:
    found = dict(Category.objects.filter(slug__in=slugs).values_list("slug", "id"))
    missing = sorted(slugs - found.keys())
    if missing:
        raise SeedError(f"no exercise categories {', '.join(missing)}: import the exercise catalogue first")
    return found


def _exercises(specs: list[WorkoutSpec]) -> dict[str, Exercise]:
    """The global exercises the specs name, by catalogue id, in one query; ``SeedError`` names the missing."""
    wanted = {step.source_id for spec in specs for step in spec.steps}
    found = {
        exercise.source_id: exercise
        for exercise in Exercise.objects.filter(tenant__isnull=True, source_id__in=wanted).only(
            "id", "source_id", "equipment"
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        users = {spec.title for spec in specs for step in spec.steps if step.source_id in missing}
        raise SeedError(
            f"the exercise catalogue has no {', '.join(missing)} (used by {', '.join(sorted(users))}): "
            "import it with `manage.py import_exercises --shipped`, or update workout/seed.py"
        )
    return found


def _create_workouts(specs: list[WorkoutSpec], categories: dict[str, int]) -> dict[str, int]:
    exercises = _exercises(specs)
    workouts = [
        Workout(
            tenant=None,
            title=spec.title,
            description=spec.description,
            duration_minutes=spec.minutes,
            difficulty=spec.difficulty,
            goals=[str(goal) for goal in spec.goals],
            equipment=sorted({exercises[step.source_id].equipment for step in spec.steps} - {""}),
            category_id=categories[spec.category],
            is_premium=spec.premium,
            published=True,
        )
        for spec in specs
    ]
    # PostgreSQL and SQLite >= 3.35 return the new ids, which the exercise rows need.
    Workout.objects.bulk_create(workouts)
    WorkoutExercise.objects.bulk_create(
        WorkoutExercise(
            tenant=None,
            workout=workout,
            exercise=exercises[step.source_id],
            position=position,
            target_sets=step.sets,
            target_reps=step.reps,
            target_duration_seconds=step.seconds,
            rest_seconds=step.rest,
        )
        for spec, workout in zip(specs, workouts, strict=True)
        for position, step in enumerate(spec.steps, start=1)
    )
    return {workout.title: workout.pk for workout in workouts}


def _create_programs(specs: list[ProgramSpec], workouts: dict[str, int], categories: dict[str, int]) -> int:
    """The programs and every one of their days; returns the number of days."""
    unknown = sorted({title for spec in specs for _, title, _ in spec.days() if title and title not in workouts})
    if unknown:
        raise SeedError(f"programs name workouts the seed does not define: {', '.join(unknown)}")
    programs = [
        Program(
            tenant=None,
            title=spec.title,
            description=spec.description,
            weeks=spec.weeks,
            difficulty=spec.difficulty,
            goals=[str(goal) for goal in spec.goals],
            category_id=categories[spec.category],
            is_premium=spec.premium,
            published=True,
        )
        for spec in specs
    ]
    Program.objects.bulk_create(programs)
    days = [
        ProgramDay(
            tenant=None,
            program=program,
            day_number=day,
            workout_id=workouts[title] if title else None,
            notes=notes,
        )
        for spec, program in zip(specs, programs, strict=True)
        for day, title, notes in spec.days()
    ]
    ProgramDay.objects.bulk_create(days)
    return len(days)
