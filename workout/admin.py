"""Staff views of the workout area: the catalogue (with exercises, videos and program days inline),
sessions and their sets, imports, enrollments and achievements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from rest_framework.exceptions import ValidationError

from . import media, services
from .models import (
    ActivityImport,
    Category,
    Exercise,
    ExerciseSet,
    Program,
    ProgramDay,
    ProgramEnrollment,
    UserAchievement,
    Workout,
    WorkoutExercise,
    WorkoutSession,
    WorkoutVideo,
)


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


class WorkoutVideoInline(admin.TabularInline):
    model = WorkoutVideo
    fields = ["order_index", "title", "duration_seconds", "is_free", "content_type"]
    readonly_fields = ["content_type"]
    extra = 0
    can_delete = False  # on the videos' own page, which removes the files too

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # on the videos' own page, which checks the content


class WorkoutExerciseInline(admin.TabularInline):
    model = WorkoutExercise
    fields = [
        "position",
        "exercise",
        "target_sets",
        "target_reps",
        "target_duration_seconds",
        "rest_seconds",
        "warmup_sets",
    ]
    autocomplete_fields = ["exercise"]
    extra = 0


@admin.register(Workout)
class WorkoutAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "difficulty", "duration_minutes", "is_premium", "published", "owner", "tenant"]
    list_filter = ["published", "is_premium", "difficulty", "category"]
    search_fields = ["title", "owner__email"]
    list_select_related = ["category", "tenant", "owner"]
    autocomplete_fields = ["category", "tenant"]
    raw_id_fields = ["owner"]
    inlines = [
        WorkoutExerciseInline,
    ]

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        # A workout's exercises carry its tenant, like every tenant-owned row.
        for row in formset.save(commit=False):
            row.tenant_id = form.instance.tenant_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()


class _TenantFromParent:
    """Inline rows carry their parent's tenant, like every tenant-owned row."""

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        for row in formset.save(commit=False):
            row.tenant_id = form.instance.tenant_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()


class WorkoutVideoForm(forms.ModelForm):
    """Staff uploads get the API's checks: the container from the bytes, the size limit, and a
    re-encoded thumbnail. FitCore's own workouts have no other way to get videos."""

    class Meta:
        model = WorkoutVideo
        fields = ["workout", "title", "video", "thumbnail", "order_index", "duration_seconds", "is_free"]

    def clean_video(self) -> Any:
        upload = self.cleaned_data.get("video")
        if upload is not None and hasattr(upload, "content_type"):  # a new upload, not the stored file
            try:
                self.instance.content_type = media.validate_video(upload)
            except ValidationError as exc:
                raise forms.ValidationError(_messages(exc)) from None
            self.instance.size_bytes = upload.size
        return upload

    def clean_thumbnail(self) -> Any:
        upload = self.cleaned_data.get("thumbnail")
        if upload and hasattr(upload, "content_type"):
            try:
                return media.make_thumbnail(upload)
            except ValidationError as exc:
                raise forms.ValidationError(_messages(exc)) from None
        return upload


def _messages(exc: ValidationError) -> list[str]:
    detail = exc.detail
    items = detail if isinstance(detail, list) else [detail]
    return [str(item) for item in items]


@admin.register(WorkoutVideo)
class WorkoutVideoAdmin(admin.ModelAdmin):
    form = WorkoutVideoForm
    list_display = ["title", "workout", "order_index", "duration_seconds", "is_free", "content_type", "size_bytes"]
    list_filter = ["is_free", "content_type"]
    search_fields = ["title", "workout__title"]
    list_select_related = ["workout"]
    autocomplete_fields = ["workout"]
    readonly_fields = ["content_type", "size_bytes", "tenant"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        obj.tenant_id = obj.workout.tenant_id  # a video carries its workout's tenant
        super().save_model(request, obj, form, change)

    def delete_model(self, request: Any, obj: Any) -> None:
        services.video_delete(video=obj)  # the files go with the row

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for video in queryset:
            services.video_delete(video=video)


class ProgramDayInline(admin.TabularInline):
    model = ProgramDay
    fields = ["day_number", "workout", "notes"]
    autocomplete_fields = ["workout"]
    extra = 0


@admin.register(Program)
class ProgramAdmin(_TenantFromParent, admin.ModelAdmin):
    list_display = [
        "title",
        "weeks",
        "difficulty",
        "is_premium",
        "published",
        "source",
        "generation_status",
        "owner",
        "tenant",
    ]
    list_filter = ["published", "is_premium", "difficulty", "source", "generation_status"]
    search_fields = ["title", "owner__email"]
    list_select_related = ["tenant", "owner"]
    autocomplete_fields = ["category", "tenant"]
    raw_id_fields = ["owner"]
    inlines = [ProgramDayInline]


class ExerciseSetInline(admin.TabularInline):
    model = ExerciseSet
    fields = ["exercise", "set_number", "reps", "weight_kg", "duration_seconds", "distance_m", "rpe", "is_warmup"]
    autocomplete_fields = ["exercise"]
    extra = 0


@admin.register(WorkoutSession)
class WorkoutSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "started_at", "sport", "workout", "source", "distance_m", "tenant"]
    list_filter = ["source", "sport"]
    search_fields = ["user__email", "external_id"]
    date_hierarchy = "started_at"
    list_select_related = ["user", "workout", "tenant"]
    raw_id_fields = ["user", "workout"]
    inlines = [ExerciseSetInline]

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        for row in formset.save(commit=False):
            row.tenant_id = form.instance.tenant_id
            row.user_id = form.instance.user_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()


@admin.register(ActivityImport)
class ActivityImportAdmin(admin.ModelAdmin):
    list_display = ["user", "file_name", "file_format", "status", "created_at", "finished_at"]
    list_filter = ["status", "file_format"]
    search_fields = ["user__email", "file_name", "content_hash"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ActivityImport._meta.fields]


@admin.register(ProgramEnrollment)
class ProgramEnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "start_date", "status", "reminder_time"]
    list_filter = ["status"]
    search_fields = ["user__email", "program__title"]
    list_select_related = ["user", "program"]
    raw_id_fields = ["user", "program"]


@admin.register(UserAchievement)
class UserAchievementAdmin(admin.ModelAdmin):
    list_display = ["user", "code", "earned_at"]
    list_filter = ["code"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["tenant", "user", "code", "earned_at", "data"]
