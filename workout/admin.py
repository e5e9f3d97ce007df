"""Staff views of the workout catalogue: categories, exercises and workouts (with their exercises inline)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import Category, Exercise, Workout, WorkoutExercise


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "movement_pattern", "equipment", "mechanics", "level", "tenant"]
    list_filter = ["movement_pattern", "level", "mechanics", "equipment", "category"]
    search_fields = ["name", "source_id"]
    list_select_related = ["category", "tenant"]
    autocomplete_fields = ["category", "tenant"]


class WorkoutExerciseInline(admin.TabularInline):
    model = WorkoutExercise
    fields = ["position", "exercise", "target_sets", "target_reps", "target_duration_seconds", "rest_seconds"]
    autocomplete_fields = ["exercise"]
    extra = 0


@admin.register(Workout)
class WorkoutAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "difficulty", "duration_minutes", "is_premium", "published", "tenant"]
    list_filter = ["published", "is_premium", "difficulty", "category"]
    search_fields = ["title"]
    list_select_related = ["category", "tenant"]
    autocomplete_fields = ["category", "tenant"]
    inlines = [WorkoutExerciseInline]

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        # A workout's exercises carry its tenant, like every tenant-owned row.
        for row in formset.save(commit=False):
            row.tenant_id = form.instance.tenant_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()
