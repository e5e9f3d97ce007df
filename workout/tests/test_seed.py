"""The catalogue seed: what it creates from the shipped exercises, that it runs once, and its cost."""

from __future__ import annotations

from collections import Counter

import pytest

from workout.importers import SHIPPED_EXERCISES, import_exercises
from workout.models import Exercise, Level, Program, ProgramDay, Workout, WorkoutExercise
from workout.seed import PROGRAMS, WORKOUTS, SeedError, seed_catalogue

pytestmark = pytest.mark.django_db

LEVEL_RANK = {Level.BEGINNER: 0, Level.INTERMEDIATE: 1, Level.ADVANCED: 2}
# Measured on SQLite: the savepoint and its release, 4 reads (seeded titles twice, categories, exercises)
# and 5 INSERTs, the 151 workout exercises taking two there (one on PostgreSQL). Re-running: 4.
MAX_QUERIES = 11


@pytest.fixture
def catalogue() -> None:
    import_exercises(SHIPPED_EXERCISES)


def snapshot() -> dict[str, list[tuple]]:
    """Every seeded row with its modification time: equal snapshots mean nothing was touched."""
    return {
        "workouts": list(Workout.objects.order_by("id").values_list("id", "updated_at")),
        "exercises": list(WorkoutExercise.objects.order_by("id").values_list("id", "updated_at")),
        "programs": list(Program.objects.order_by("id").values_list("id", "updated_at")),
        "days": list(ProgramDay.objects.order_by("id").values_list("id", "updated_at")),
    }


def test_seeds_published_global_workouts_across_categories_and_levels(catalogue: None) -> None:
    result = seed_catalogue()
    assert (result.workouts_created, result.programs_created) == (len(WORKOUTS), 3)
    workouts = list(Workout.objects.filter(tenant__isnull=True, published=True).select_related("category"))
    assert len(workouts) == len(WORKOUTS) >= 20
    assert len({workout.category.slug for workout in workouts if workout.category}) >= 3
    assert {workout.difficulty for workout in workouts} == set(Level.values)
    premium = sum(workout.is_premium for workout in workouts)
    assert 0.15 <= premium / len(workouts) <= 0.35
    goals = set(Workout.Goal.values)
    for workout in workouts:
        assert workout.category is not None and workout.goals and set(workout.goals) <= goals
        assert workout.description and 1 <= workout.duration_minutes <= 600
        steps = list(WorkoutExercise.objects.filter(workout=workout).select_related("exercise").order_by("position"))
        assert 4 <= len(steps) <= 8, workout.title
        assert [step.position for step in steps] == list(range(1, len(steps) + 1))
        for step in steps:
            assert step.tenant_id is None and 1 <= step.target_sets <= 20 and step.rest_seconds <= 900
            assert (step.target_reps is None) != (step.target_duration_seconds is None), workout.title
            # Stretches and cardio are held for a time, never counted.
            if step.exercise.movement_pattern in ("mobility", "cardio"):
                assert step.target_duration_seconds, (workout.title, step.exercise.source_id)
            # A beginner workout asks for no advanced exercise.
            assert LEVEL_RANK[Level(step.exercise.level)] <= LEVEL_RANK[Level(workout.difficulty)]
        assert workout.equipment == sorted({step.exercise.equipment for step in steps} - {""}), workout.title
    basics = Workout.objects.get(title="Bodyweight Basics")
    assert basics.difficulty == Level.BEGINNER and basics.equipment == ["body_only"]


def test_seeds_three_programs_with_every_day_and_only_seeded_workouts(catalogue: None) -> None:
    seed_catalogue()
    seeded = set(Workout.objects.filter(tenant__isnull=True).values_list("id", flat=True))
    programs = list(Program.objects.filter(tenant__isnull=True, published=True))
    assert {program.title for program in programs} == {spec.title for spec in PROGRAMS}
    assert {program.difficulty for program in programs} >= {Level.BEGINNER, Level.INTERMEDIATE}
    for program in programs:
        assert program.source == Program.Source.MANUAL and program.category is not None
        days = list(ProgramDay.objects.filter(program=program).order_by("day_number"))
        assert [day.day_number for day in days] == list(range(1, program.weeks * 7 + 1))
        training = [day for day in days if day.workout_id is not None]
        assert training and len(training) < len(days)
        assert {day.workout_id for day in training} <= seeded
        assert all(day.tenant_id is None for day in days) and any(day.notes for day in days)
        per_week = Counter((day.day_number - 1) // 7 for day in training)
        assert len(set(per_week.values())) == 1, program.title  # the same number of training days every week
    strength = Program.objects.get(title="8-Week Strength Builder")
    assert strength.is_premium and strength.weeks == 8
    assert ProgramDay.objects.filter(program=strength, notes__startswith="Deload").count() == 4
    # Free programs only use free workouts: a member who starts one can open every day.
    for program in programs:
        if not program.is_premium:
            assert not ProgramDay.objects.filter(program=program, workout__is_premium=True).exists()


def test_running_it_again_changes_nothing(catalogue: None) -> None:
    first = seed_catalogue()
    before = snapshot()
    again = seed_catalogue()
    assert first.created == len(WORKOUTS) + 3 and first.summary().endswith(f"(created {first.created})")
    assert again.created == 0 and again.workout_exercises_created == again.program_days_created == 0
    assert again.summary() == f"{len(WORKOUTS)} workouts, 3 programs (already seeded)"
    assert snapshot() == before


def test_an_edited_workout_is_kept_and_a_deleted_one_comes_back(catalogue: None) -> None:
    seed_catalogue()
    Workout.objects.filter(title="Bodyweight Basics").update(description="Edited by staff.", published=False)
    Workout.objects.filter(title="Advanced Flexibility").delete()  # used by no program
    result = seed_catalogue()
    assert (result.workouts_created, result.programs_created) == (1, 0)
    assert Workout.objects.get(title="Bodyweight Basics").description == "Edited by staff."
    assert WorkoutExercise.objects.filter(workout__title="Advanced Flexibility").count() == 8
    assert Workout.objects.filter(tenant__isnull=True).count() == len(WORKOUTS)


def test_the_seed_runs_in_a_fixed_number_of_queries(catalogue: None, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(MAX_QUERIES):
        seed_catalogue()
    with django_assert_max_num_queries(4):
        seed_catalogue()


def test_a_missing_catalogue_exercise_is_named_and_nothing_is_written(catalogue: None) -> None:
    Exercise.objects.filter(source_id="Plank").delete()
    with pytest.raises(SeedError, match=r"no Plank \(used by Bodyweight Basics, Core Foundations, Core Strength"):
        seed_catalogue()
    assert not Workout.objects.exists() and not Program.objects.exists()


def test_without_the_catalogue_it_refuses() -> None:
    with pytest.raises(SeedError, match="import the exercise catalogue first"):
        seed_catalogue()
