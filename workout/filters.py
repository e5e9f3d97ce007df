"""Query filters of /api/v1/workouts/.

Goals, equipment and muscles are JSON lists of fixed codes; a filter on one code matches
its quoted form in the list (``"strength"``), which both databases answer alike. The codes
come from choices, so a quoted code never matches part of another.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from fitcore.api.filters import FilterSet, StrictBooleanFilter, UtcDateTimeFilter

from .models import (
    Equipment,
    Exercise,
    Level,
    Mechanics,
    MovementPattern,
    Muscle,
    Program,
    Workout,
    WorkoutExercise,
    WorkoutSession,
)


def _has_code(field: str, code: str) -> Q:
    return Q(**{f"{field}__icontains": f'"{code}"'})


class WorkoutFilter(FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text="Words of the title or description."
    )
    category = django_filters.CharFilter(field_name="category__slug", max_length=64, help_text="A category slug.")
    difficulty = django_filters.ChoiceFilter(choices=Level.choices)
    goal = django_filters.ChoiceFilter(choices=Workout.Goal.choices, method="filter_goal", help_text="Has this goal.")
    equipment = django_filters.ChoiceFilter(
        choices=Equipment.choices, method="filter_equipment", help_text="Uses this equipment."
    )
    available_equipment = django_filters.CharFilter(
        method="filter_available_equipment",
        max_length=300,
        help_text="Comma-separated codes: only workouts that need nothing else (body_only,dumbbell).",
    )
    muscle = django_filters.ChoiceFilter(
        choices=Muscle.choices, method="filter_muscle", help_text="Works this muscle (primary muscle of an exercise)."
    )
    min_duration = django_filters.NumberFilter(
        field_name="duration_minutes", lookup_expr="gte", min_value=1, max_value=600, help_text="Minutes."
    )
    max_duration = django_filters.NumberFilter(
        field_name="duration_minutes", lookup_expr="lte", min_value=1, max_value=600, help_text="Minutes."
    )
    premium = StrictBooleanFilter(field_name="is_premium")
    mine = StrictBooleanFilter(method="filter_mine", help_text="true: only your tenant's own; false: only FitCore's.")

    class Meta:
        model = Workout
        fields = [
            "search",
            "category",
            "difficulty",
            "goal",
            "equipment",
            "available_equipment",
            "muscle",
            "min_duration",
            "max_duration",
            "premium",
            "mine",
        ]

    def filter_search(self, queryset: QuerySet[Workout], name: str, value: str) -> QuerySet[Workout]:
        for word in value.split()[:8]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
        return queryset

    def filter_goal(self, queryset: QuerySet[Workout], name: str, value: str) -> QuerySet[Workout]:
        return queryset.filter(_has_code("goals", value))

    def filter_equipment(self, queryset: QuerySet[Workout], name: str, value: str) -> QuerySet[Workout]:
        return queryset.filter(_has_code("equipment", value))

    def filter_available_equipment(self, queryset: QuerySet[Workout], name: str, value: str) -> QuerySet[Workout]:
        codes = {code.strip() for code in value.split(",") if code.strip()}
        unknown = codes - set(Equipment.values)
        if unknown:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({name: [f"Unknown equipment: {', '.join(sorted(unknown))}."]}, code="invalid_choice")
        for code in set(Equipment.values) - codes:
            queryset = queryset.exclude(_has_code("equipment", code))
        return queryset

    def filter_muscle(self, queryset: QuerySet[Workout], name: str, value: str) -> QuerySet[Workout]:
        works = WorkoutExercise.objects.filter(workout=OuterRef("pk")).filter(
            _has_code("exercise__primary_muscles", value)
        )
        return queryset.filter(Exists(works))

    def filter_mine(self, queryset: QuerySet[Workout], name: str, value: bool) -> QuerySet[Workout]:
        return queryset.filter(tenant__isnull=not value)


class ExerciseFilter(FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100, help_text="Words of the name.")
    muscle = django_filters.ChoiceFilter(choices=Muscle.choices, method="filter_muscle", help_text="Primary muscle.")
    equipment = django_filters.ChoiceFilter(choices=Equipment.choices)
    movement_pattern = django_filters.ChoiceFilter(choices=MovementPattern.choices)
    mechanics = django_filters.ChoiceFilter(choices=Mechanics.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    category = django_filters.CharFilter(field_name="category__slug", max_length=64, help_text="A category slug.")

    class Meta:
        model = Exercise
        fields = ["search", "muscle", "equipment", "movement_pattern", "mechanics", "level", "category"]

    def filter_search(self, queryset: QuerySet[Exercise], name: str, value: str) -> QuerySet[Exercise]:
        for word in value.split()[:8]:
            queryset = queryset.filter(name__icontains=word)
        return queryset

    def filter_muscle(self, queryset: QuerySet[Exercise], name: str, value: str) -> QuerySet[Exercise]:
        return queryset.filter(_has_code("primary_muscles", value))


class ProgramFilter(FilterSet):
    difficulty = django_filters.ChoiceFilter(choices=Level.choices)
    goal = django_filters.ChoiceFilter(choices=Workout.Goal.choices, method="filter_goal")
    category = django_filters.CharFilter(field_name="category__slug", max_length=64, help_text="A category slug.")
    premium = StrictBooleanFilter(field_name="is_premium")

    class Meta:
        model = Program
        fields = ["difficulty", "goal", "category", "premium"]

    def filter_goal(self, queryset: QuerySet[Program], name: str, value: str) -> QuerySet[Program]:
        return queryset.filter(_has_code("goals", value))


class SessionFilter(FilterSet):
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte", help_text="ISO 8601, inclusive.")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt", help_text="ISO 8601, exclusive.")
    workout = django_filters.NumberFilter(field_name="workout_id", min_value=1, max_value=2**63 - 1)
    source = django_filters.ChoiceFilter(choices=WorkoutSession._meta.get_field("source").choices)
    sport = django_filters.CharFilter(max_length=32)

    class Meta:
        model = WorkoutSession
        fields = ["started_after", "started_before", "workout", "source", "sport"]
