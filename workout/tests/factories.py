"""Factories for the workout area. Catalogue rows default to FitCore's (no tenant), published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from workout.models import (
    Category,
    Exercise,
    ExerciseSet,
    Program,
    ProgramDay,
    Workout,
    WorkoutExercise,
    WorkoutSession,
)


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = "strength"
    name = "Strength"


class ExerciseFactory(DjangoModelFactory[Exercise]):
    class Meta:
        model = Exercise

    source_id = factory.Sequence(lambda n: f"Test_Exercise_{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    primary_muscles: Any = factory.LazyFunction(lambda: ["chest"])
    equipment = "barbell"
    movement_pattern = "push"
    mechanics = "compound"
    level = "beginner"


class WorkoutFactory(DjangoModelFactory[Workout]):
    class Meta:
        model = Workout

    title = factory.Sequence(lambda n: f"Workout {n}")
    duration_minutes = 30
    difficulty = "beginner"
    goals: Any = factory.LazyFunction(lambda: ["strength"])
    equipment: Any = factory.LazyFunction(lambda: ["barbell"])
    published = True


def add_exercise(workout: Workout, exercise: Exercise, position: int, **kwargs: Any) -> WorkoutExercise:
    kwargs.setdefault("target_reps", 10)
    return WorkoutExercise.objects.create(
        tenant=workout.tenant, workout=workout, exercise=exercise, position=position, **kwargs
    )


class SessionFactory(DjangoModelFactory[WorkoutSession]):
    """Pass ``user``; the tenant follows it."""

    class Meta:
        model = WorkoutSession

    tenant = factory.LazyAttribute(lambda o: o.user.tenant)
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(hours=1))


def add_set(
    session: WorkoutSession, exercise: Exercise, number: int, reps: int, weight: Any, **kwargs: Any
) -> ExerciseSet:
    return ExerciseSet.unscoped.create(
        tenant=session.tenant,
        session=session,
        user=session.user,
        exercise=exercise,
        set_number=number,
        reps=reps,
        weight_kg=weight,
        **kwargs,
    )


def make_program(workouts: list[Workout | None], *, weeks: int = 1, tenant: Any = None, **kwargs: Any) -> Program:
    """A program whose days cycle through ``workouts`` (None: rest)."""
    kwargs.setdefault("published", True)
    program = Program.objects.create(tenant=tenant, title=kwargs.pop("title", "Test program"), weeks=weeks, **kwargs)
    ProgramDay.objects.bulk_create(
        ProgramDay(tenant=tenant, program=program, day_number=day, workout=workouts[(day - 1) % len(workouts)])
        for day in range(1, weeks * 7 + 1)
    )
    return program
