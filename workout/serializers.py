"""Input validation and output shapes of /api/v1/workouts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from fitcore.api.principals import acts_for_tenant, principal_tenant
from fitcore.api.serializers import (
    FiniteFloatField,
    OptionalCharField,
    OptionalChoiceField,
    RoundedDecimalField,
    RowSerializer,
    SlugChoiceField,
    StrictKeysSerializer,
)
from fitcore.api.tenancy import ScopedListSerializer, ScopedRelatedField, TenantUserField, is_api_key
from notification.serializers import WallClockField

from . import selectors
from .models import (
    ActivityImport,
    Category,
    Equipment,
    Exercise,
    GenerationStatus,
    Level,
    Mechanics,
    MovementPattern,
    Muscle,
    Program,
    ProgramEnrollment,
    SessionSource,
    Workout,
    WorkoutVideo,
)

MAX_EXERCISES_PER_WORKOUT = 50
MAX_SETS_PER_SESSION = 300
MAX_WEIGHT_KG = Decimal("1000")
# Phones' clocks run a little ahead: a session "now" may start a few minutes in our future.
_CLOCK_SKEW = timedelta(minutes=5)
# Sessions are recent history: earlier times are typos, and every local-time computation
# (streaks, "today") stays far from the calendar's ends.
EARLIEST_SESSION = datetime(1970, 1, 1, tzinfo=UTC)


class VisibleCatalogueField(ScopedRelatedField):
    """A workout or program a caller may name: one it can read (see selectors.catalogue_visibility)."""

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        if request is None or not getattr(request.user, "is_authenticated", False):
            return self.scoped_model._default_manager.none()
        key = is_api_key(request)
        visible = selectors.catalogue_visibility(
            tenant=principal_tenant(request),
            manages_tenant=acts_for_tenant(request),
            user=None if key else request.user,
            all_owned=key,
        )
        return self.scoped_model._default_manager.filter(visible)


class VisibleExerciseField(ScopedRelatedField):
    """An exercise of FitCore's catalogue or of the caller's tenant."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=Exercise, global_rows=True, **kwargs)


def _codes(choices: Any, *, max_length: int, help_text: str, required: bool = False) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices),
        max_length=max_length,
        required=required,
        help_text=help_text,
    )


# --- catalogue ------------------------------------------------------------------------


class CategorySerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ExerciseListSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    primary_muscles = serializers.ListField(child=serializers.ChoiceField(choices=Muscle.choices), read_only=True)
    secondary_muscles = serializers.ListField(child=serializers.ChoiceField(choices=Muscle.choices), read_only=True)
    equipment = OptionalChoiceField(choices=Equipment.choices, read_only=True)
    movement_pattern = OptionalChoiceField(choices=MovementPattern.choices, read_only=True)
    mechanics = OptionalChoiceField(choices=Mechanics.choices, read_only=True)
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    is_global = serializers.BooleanField(read_only=True, help_text="FitCore's catalogue (read-only) or your own.")


class ExerciseDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    instructions = serializers.ListField(child=serializers.CharField(), read_only=True)
    primary_muscles = serializers.ListField(child=serializers.ChoiceField(choices=Muscle.choices), read_only=True)
    secondary_muscles = serializers.ListField(child=serializers.ChoiceField(choices=Muscle.choices), read_only=True)
    equipment = OptionalChoiceField(choices=Equipment.choices, read_only=True)
    movement_pattern = OptionalChoiceField(choices=MovementPattern.choices, read_only=True)
    mechanics = OptionalChoiceField(choices=Mechanics.choices, read_only=True)
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    is_global = serializers.SerializerMethodField()

    def get_is_global(self, exercise: Exercise) -> bool:
        return exercise.tenant_id is None


class ExerciseInputSerializer(StrictKeysSerializer):
    name = serializers.CharField(max_length=200)
    instructions = serializers.ListField(
        child=serializers.CharField(max_length=2000), max_length=30, required=False, help_text="Steps, in order."
    )
    primary_muscles = _codes(Muscle.choices, max_length=len(Muscle.choices), help_text="Muscle codes.")
    secondary_muscles = _codes(Muscle.choices, max_length=len(Muscle.choices), help_text="Muscle codes.")
    equipment = OptionalChoiceField(choices=Equipment.choices, required=False)
    movement_pattern = OptionalChoiceField(choices=MovementPattern.choices, required=False)
    mechanics = OptionalChoiceField(choices=Mechanics.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    category = SlugChoiceField(slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True)


class WorkoutExerciseSerializer(StrictKeysSerializer):
    position = serializers.IntegerField(read_only=True, help_text="1 = first; the list's order on input.")
    exercise = VisibleExerciseField()
    exercise_name = serializers.CharField(source="exercise.name", read_only=True)
    target_sets = serializers.IntegerField(min_value=1, max_value=20, required=False, default=3)
    target_reps = serializers.IntegerField(min_value=1, max_value=200, required=False, allow_null=True)
    target_duration_seconds = serializers.IntegerField(min_value=1, max_value=7200, required=False, allow_null=True)
    rest_seconds = serializers.IntegerField(min_value=0, max_value=900, required=False, default=60)
    warmup_sets = serializers.IntegerField(
        min_value=0, max_value=5, required=False, default=0, help_text="Lighter ramp-up sets before the working sets."
    )

    class Meta:
        list_serializer_class = ScopedListSerializer

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("target_reps") is None) == (attrs.get("target_duration_seconds") is None):
            raise serializers.ValidationError(
                {"target_reps": ["Give target_reps or target_duration_seconds, not both and not neither."]},
                code="reps_or_duration",
            )
        return attrs


class WorkoutListSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True)
    difficulty = serializers.ChoiceField(choices=Level.choices, read_only=True)
    goals = serializers.ListField(child=serializers.ChoiceField(choices=Workout.Goal.choices), read_only=True)
    equipment = serializers.ListField(child=serializers.ChoiceField(choices=Equipment.choices), read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    is_premium = serializers.BooleanField(read_only=True)
    published = serializers.BooleanField(read_only=True)
    is_global = serializers.BooleanField(read_only=True, help_text="FitCore's catalogue (read-only) or your own.")


class VideoSerializer(serializers.Serializer):
    """A video's metadata; its URL comes from ``GET /workouts/videos/{id}/url/`` (gated for premium)."""

    id = serializers.IntegerField(read_only=True)
    workout = serializers.IntegerField(source="workout_id", read_only=True)
    title = serializers.CharField(read_only=True)
    order_index = serializers.IntegerField(read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True)
    is_free = serializers.BooleanField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size_bytes = serializers.IntegerField(read_only=True)
    has_thumbnail = serializers.SerializerMethodField()
    locked = serializers.SerializerMethodField(help_text="True: the URL needs an active subscription.")

    def get_has_thumbnail(self, video: WorkoutVideo) -> bool:
        return bool(video.thumbnail)

    def get_locked(self, video: WorkoutVideo) -> bool:
        return bool(self.context.get("premium_locked")) and video.workout.is_premium and not video.is_free


class WorkoutDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True)
    difficulty = serializers.ChoiceField(choices=Level.choices, read_only=True)
    goals = serializers.ListField(child=serializers.ChoiceField(choices=Workout.Goal.choices), read_only=True)
    equipment = serializers.ListField(child=serializers.ChoiceField(choices=Equipment.choices), read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    is_premium = serializers.BooleanField(read_only=True)
    published = serializers.BooleanField(read_only=True)
    is_global = serializers.SerializerMethodField()
    is_favorite = serializers.SerializerMethodField(help_text="Always false for anonymous callers and API keys.")
    exercises = WorkoutExerciseSerializer(many=True, read_only=True)
    videos = VideoSerializer(many=True, read_only=True)

    def get_is_global(self, workout: Workout) -> bool:
        return workout.tenant_id is None

    def get_is_favorite(self, workout: Workout) -> bool:
        return workout.pk in self.context.get("favorite_ids", ())


class WorkoutInputSerializer(StrictKeysSerializer):
    title = serializers.CharField(max_length=200)
    description = OptionalCharField(max_length=2000, required=False)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600)
    difficulty = serializers.ChoiceField(choices=Level.choices, required=False)
    goals = _codes(Workout.Goal.choices, max_length=len(Workout.Goal.choices), help_text="Goal codes.")
    equipment = _codes(
        Equipment.choices, max_length=len(Equipment.choices), help_text="Default: the equipment of its exercises."
    )
    category = SlugChoiceField(slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True)
    is_premium = serializers.BooleanField(required=False)
    published = serializers.BooleanField(required=False)
    exercises = WorkoutExerciseSerializer(many=True, max_length=MAX_EXERCISES_PER_WORKOUT, required=False)  # type: ignore[call-arg]

    def validate_goals(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def validate_equipment(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class VideoUploadSerializer(StrictKeysSerializer):
    title = serializers.CharField(max_length=200)
    video = serializers.FileField(help_text="MP4, WebM or MOV; checked by its content, not its name.")
    thumbnail = serializers.ImageField(required=False, help_text="Re-encoded as a JPEG of at most 640 x 360.")
    order_index = serializers.IntegerField(min_value=0, max_value=999, required=False, help_text="Default: last.")
    duration_seconds = serializers.IntegerField(min_value=1, max_value=86_400)
    is_free = serializers.BooleanField(required=False, default=False, help_text="A preview for everyone signed in.")


class VideoUpdateSerializer(StrictKeysSerializer):
    title = serializers.CharField(max_length=200, required=False)
    thumbnail = serializers.ImageField(required=False)
    order_index = serializers.IntegerField(min_value=0, max_value=999, required=False)
    duration_seconds = serializers.IntegerField(min_value=1, max_value=86_400, required=False)
    is_free = serializers.BooleanField(required=False)


class VideoUrlSerializer(serializers.Serializer):
    url = serializers.CharField(read_only=True, help_text="Signed; works until expires_at.")
    expires_at = serializers.DateTimeField(read_only=True)


# --- progress -------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    workout = serializers.IntegerField(source="workout_id", read_only=True)
    progress_percentage = serializers.IntegerField(read_only=True)
    last_video = serializers.IntegerField(source="last_video_id", read_only=True, allow_null=True)
    started_at = serializers.DateTimeField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ProgressInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose progress.")
    workout = VisibleCatalogueField(model=Workout)
    progress_percentage = serializers.IntegerField(min_value=0, max_value=100)
    last_video = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="A video of this workout."
    )
    reset = serializers.BooleanField(
        required=False, default=False, help_text="Start over: allows a lower percentage than before."
    )


# --- sessions -------------------------------------------------------------------------


class ExerciseSetSerializer(StrictKeysSerializer):
    exercise = VisibleExerciseField()
    exercise_name = serializers.CharField(source="exercise.name", read_only=True)
    set_number = serializers.IntegerField(
        min_value=1, max_value=100, required=False, help_text="Default: the next number for that exercise."
    )
    reps = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    weight_kg = RoundedDecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_WEIGHT_KG,
        required=False,
        allow_null=True,
        help_text="External load; 0 for body weight.",
    )
    duration_seconds = serializers.IntegerField(min_value=0, max_value=86_400, required=False, allow_null=True)
    distance_m = FiniteFloatField(min_value=0, max_value=1_000_000, required=False, allow_null=True)
    rpe = RoundedDecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=Decimal(1),
        max_value=Decimal(10),
        required=False,
        allow_null=True,
        help_text="Rate of perceived exertion, 1-10.",
    )
    is_warmup = serializers.BooleanField(required=False, default=False)

    class Meta:
        list_serializer_class = ScopedListSerializer


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    workout = serializers.IntegerField(source="workout_id", read_only=True, allow_null=True)
    sport = OptionalCharField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    perceived_effort = serializers.IntegerField(read_only=True, allow_null=True)
    notes = serializers.CharField(read_only=True)
    calories_kcal = serializers.IntegerField(read_only=True, allow_null=True)
    distance_m = serializers.FloatField(read_only=True, allow_null=True)
    elevation_gain_m = serializers.FloatField(read_only=True, allow_null=True)
    avg_heart_rate = serializers.IntegerField(read_only=True, allow_null=True)
    max_heart_rate = serializers.IntegerField(read_only=True, allow_null=True)
    source = serializers.ChoiceField(choices=SessionSource.choices, read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    external_id = OptionalCharField(read_only=True)
    has_route = serializers.BooleanField(read_only=True)
    sets = ExerciseSetSerializer(many=True, read_only=True)


class SessionListSerializer(SessionSerializer):
    sets = None  # type: ignore[assignment]
    set_count = serializers.IntegerField(read_only=True)
    volume_kg = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, coerce_to_string=False, help_text="Sum of reps x weight."
    )


class SessionInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose session.")
    workout = VisibleCatalogueField(model=Workout, required=False, allow_null=True)
    sport = OptionalCharField(max_length=32, required=False)
    started_at = serializers.DateTimeField(help_text="When it happened; the past is fine (back-dated logging).")
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    perceived_effort = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    notes = OptionalCharField(max_length=2000, required=False)
    calories_kcal = serializers.IntegerField(min_value=0, max_value=20_000, required=False, allow_null=True)
    distance_m = FiniteFloatField(min_value=0, max_value=1_000_000, required=False, allow_null=True)
    elevation_gain_m = FiniteFloatField(min_value=0, max_value=50_000, required=False, allow_null=True)
    avg_heart_rate = serializers.IntegerField(min_value=20, max_value=250, required=False, allow_null=True)
    max_heart_rate = serializers.IntegerField(min_value=20, max_value=250, required=False, allow_null=True)
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like a Field attribute
        choices=[(SessionSource.MANUAL, "Logged by hand"), (SessionSource.PARTNER, "Pushed by a partner")],
        required=False,
        help_text="Default: manual (partner for API keys). Imports come from /sessions/import/.",
    )
    external_id = OptionalCharField(
        max_length=200, required=False, help_text="Your id: sending it again updates that session."
    )
    sets = ExerciseSetSerializer(many=True, max_length=MAX_SETS_PER_SESSION, required=False)  # type: ignore[call-arg]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from django.utils import timezone

        started, ended = attrs.get("started_at"), attrs.get("ended_at")
        for name, moment in (("started_at", started), ("ended_at", ended)):
            if moment is not None and moment < EARLIEST_SESSION:
                raise serializers.ValidationError({name: ["Give a time after 1970."]}, code="too_early")
        if started is not None and started > timezone.now() + _CLOCK_SKEW:
            raise serializers.ValidationError({"started_at": ["A session cannot start in the future."]}, code="future")
        if started is not None and ended is not None and ended < started:
            raise serializers.ValidationError(
                {"ended_at": ["A session ends after it starts."]}, code="ends_before_start"
            )
        if started is not None and ended is not None and (ended - started).total_seconds() > 7 * 86_400:
            raise serializers.ValidationError({"ended_at": ["A session lasts at most 7 days."]}, code="too_long")
        average, peak = attrs.get("avg_heart_rate"), attrs.get("max_heart_rate")
        if average is not None and peak is not None and average > peak:
            raise serializers.ValidationError(
                {"avg_heart_rate": ["The average heart rate is above the maximum."]}, code="above_max"
            )
        return attrs


class SessionUpdateSerializer(SessionInputSerializer):
    user = None  # type: ignore[assignment]
    source = None  # type: ignore[assignment]
    external_id = None  # type: ignore[assignment]


class ActivityUploadSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose activity.")
    file = serializers.FileField(help_text="One GPX, TCX or FIT file, optionally gzipped.")


class ActivityImportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=ActivityImport.Status.choices, read_only=True)
    message = serializers.CharField(read_only=True)
    file_name = serializers.CharField(read_only=True)
    file_format = OptionalCharField(read_only=True)
    session = serializers.IntegerField(source="session_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    status_url = serializers.SerializerMethodField()

    def get_status_url(self, record: ActivityImport) -> str:
        return f"/api/v1/workouts/imports/{record.pk}/"


class RouteGeometrySerializer(serializers.Serializer):
    type = serializers.CharField(read_only=True, help_text='Always "LineString".')
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()), read_only=True, help_text="[lon, lat, elevation]"
    )


class RoutePropertiesSerializer(serializers.Serializer):
    session = serializers.IntegerField(read_only=True)
    times = serializers.ListField(child=serializers.DateTimeField(allow_null=True), read_only=True)
    heart_rates = serializers.ListField(child=serializers.IntegerField(allow_null=True), read_only=True)


class RouteSerializer(serializers.Serializer):
    """A GeoJSON Feature: the track as a LineString; times and heart rates per point in properties."""

    type = serializers.CharField(read_only=True, help_text='Always "Feature".')
    geometry = RouteGeometrySerializer(read_only=True)
    properties = RoutePropertiesSerializer(read_only=True)


# --- records --------------------------------------------------------------------------


class RecordSerializer(serializers.Serializer):
    exercise = serializers.IntegerField(source="exercise_id", read_only=True)
    exercise_name = serializers.CharField(read_only=True)
    heaviest_weight_kg = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, coerce_to_string=False
    )
    reps_at_heaviest = serializers.IntegerField(read_only=True, help_text="Most reps done at the heaviest weight.")
    heaviest_on = serializers.DateTimeField(read_only=True)
    most_reps = serializers.IntegerField(read_only=True)
    estimated_1rm_kg = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        coerce_to_string=False,
        help_text="Best Epley estimate, weight x (1 + reps / 30), over sets of at most 12 reps.",
    )
    estimated_1rm_on = serializers.DateTimeField(read_only=True, allow_null=True)
    best_set_volume_kg = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, coerce_to_string=False
    )
    best_session_volume_kg = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, coerce_to_string=False
    )
    sets_logged = serializers.IntegerField(read_only=True)
    sessions_logged = serializers.IntegerField(read_only=True)


class HistorySetSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session_id", read_only=True)
    session_started_at = serializers.DateTimeField(read_only=True)
    set_number = serializers.IntegerField(read_only=True)
    reps = serializers.IntegerField(read_only=True, allow_null=True)
    weight_kg = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, allow_null=True, coerce_to_string=False
    )
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    distance_m = serializers.FloatField(read_only=True, allow_null=True)
    rpe = serializers.DecimalField(
        max_digits=3, decimal_places=1, read_only=True, allow_null=True, coerce_to_string=False
    )
    is_warmup = serializers.BooleanField(read_only=True)


# --- programs -------------------------------------------------------------------------


class ProgramDaySerializer(StrictKeysSerializer):
    day_number = serializers.IntegerField(min_value=1, max_value=364)
    workout = VisibleCatalogueField(
        model=Workout, allow_null=True, help_text="null: a rest day (or a workout not published yet)."
    )
    workout_title = serializers.CharField(source="workout.title", read_only=True, allow_null=True)
    notes = OptionalCharField(max_length=500, required=False)

    class Meta:
        list_serializer_class = ScopedListSerializer

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        workout = getattr(instance, "workout", None)
        # Members see published workouts only, here as everywhere (a workout unpublished after
        # the program was written); the program's managers see their drafts.
        own = workout is not None and workout.owner_id is not None and workout.owner_id == self.context.get("viewer")
        if workout is not None and not workout.published and not self.context.get("manages") and not own:
            data["workout"] = data["workout_title"] = None
        return data


GENERATION_STATUSES = [(value, label) for value, label in GenerationStatus.choices if value]


class ProgramListSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    weeks = serializers.IntegerField(read_only=True)
    difficulty = serializers.ChoiceField(choices=Level.choices, read_only=True)
    goals = serializers.ListField(child=serializers.ChoiceField(choices=Workout.Goal.choices), read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    is_premium = serializers.BooleanField(read_only=True)
    published = serializers.BooleanField(read_only=True)
    is_global = serializers.BooleanField(read_only=True)
    owner = serializers.IntegerField(
        source="owner_id", read_only=True, allow_null=True, help_text="A user's own generated program: that user."
    )
    generation_status = OptionalChoiceField(choices=GENERATION_STATUSES, read_only=True)


class ProgramDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    weeks = serializers.IntegerField(read_only=True)
    difficulty = serializers.ChoiceField(choices=Level.choices, read_only=True)
    goals = serializers.ListField(child=serializers.ChoiceField(choices=Workout.Goal.choices), read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    is_premium = serializers.BooleanField(read_only=True)
    published = serializers.BooleanField(read_only=True)
    source = serializers.ChoiceField(choices=Program.Source.choices, read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    is_global = serializers.SerializerMethodField()
    owner = serializers.IntegerField(
        source="owner_id", read_only=True, allow_null=True, help_text="A user's own generated program: that user."
    )
    generation = serializers.DictField(
        read_only=True, help_text="What produced a generated program (rules, request, seed, LLM); empty otherwise."
    )
    generation_status = OptionalChoiceField(
        choices=GENERATION_STATUSES,
        read_only=True,
        help_text="Generated programs: `pending` until a worker has built it, then `ready` or `failed`.",
    )
    days = ProgramDaySerializer(many=True, read_only=True)

    def get_is_global(self, program: Program) -> bool:
        return program.tenant_id is None


class ProgramInputSerializer(StrictKeysSerializer):
    title = serializers.CharField(max_length=200)
    description = OptionalCharField(max_length=2000, required=False)
    weeks = serializers.IntegerField(min_value=1, max_value=52)
    difficulty = serializers.ChoiceField(choices=Level.choices, required=False)
    goals = _codes(Workout.Goal.choices, max_length=len(Workout.Goal.choices), help_text="Goal codes.")
    category = SlugChoiceField(slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True)
    is_premium = serializers.BooleanField(required=False)
    published = serializers.BooleanField(required=False)
    days = ProgramDaySerializer(
        many=True, max_length=364, help_text="Every day from 1 to weeks x 7, each once (workout null: rest)."
    )  # type: ignore[call-arg]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        weeks = attrs.get("weeks", getattr(self.instance, "weeks", None))
        days = attrs.get("days")
        if days is not None and weeks is not None:
            numbers = [day.get("day_number") for day in days]  # a partial PATCH may leave one out
            if sorted(numbers) != list(range(1, weeks * 7 + 1)):
                raise serializers.ValidationError(
                    {"days": [f"Give each day from 1 to {weeks * 7} ({weeks} weeks) exactly once."]},
                    code="days_mismatch",
                )
        published = attrs.get("published", getattr(self.instance, "published", False))
        if published and days is not None and any(d.get("workout") and not d["workout"].published for d in days):
            raise serializers.ValidationError(
                {"days": ["A published program uses published workouts only: publish them first."]},
                code="unpublished_workout",
            )
        return attrs


class EnrollInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: who enrolls.")
    start_date = serializers.DateField(required=False, help_text="Default: today in the user's time zone.")
    reminder_time = WallClockField(
        required=False, allow_null=True, help_text="HH:MM, your local time, of a reminder on workout days; null: none."
    )


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    program = serializers.IntegerField(source="program_id", read_only=True)
    program_title = serializers.CharField(source="program.title", read_only=True)
    start_date = serializers.DateField(read_only=True)
    status = serializers.ChoiceField(choices=ProgramEnrollment.Status.choices, read_only=True)
    reminder_time = WallClockField(read_only=True, allow_null=True, help_text="HH:MM, local time; null: none.")
    current_day = serializers.IntegerField(read_only=True, help_text="Today's day of the program (user's calendar).")
    length_days = serializers.IntegerField(source="program.length_days", read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class EnrollmentUpdateSerializer(StrictKeysSerializer):
    status = serializers.ChoiceField(
        choices=[(ProgramEnrollment.Status.COMPLETED, "Completed"), (ProgramEnrollment.Status.ABANDONED, "Abandoned")],
        required=False,
    )
    reminder_time = WallClockField(required=False, allow_null=True, help_text="HH:MM, local time; null: none.")


class TodaySerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True, help_text="Today in the user's time zone.")
    enrolled = serializers.BooleanField(read_only=True)
    enrollment = serializers.IntegerField(read_only=True, allow_null=True)
    day_number = serializers.IntegerField(read_only=True, allow_null=True)
    state = serializers.ChoiceField(
        choices=[
            ("not_enrolled", "Not following this program"),
            ("not_started", "Starts later"),
            ("workout", "A workout day"),
            ("rest", "A rest day"),
            ("unavailable", "A workout that is not published now"),
            ("finished", "Past the last day"),
        ],
        read_only=True,
    )
    workout = WorkoutListSerializer(read_only=True, allow_null=True)
    notes = serializers.CharField(read_only=True)
    done_today = serializers.BooleanField(read_only=True, help_text="A session of today's workout is logged today.")


# --- achievements ---------------------------------------------------------------------


class AchievementProgressSerializer(serializers.Serializer):
    current = serializers.FloatField(read_only=True)
    target = serializers.FloatField(read_only=True)


class AchievementSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    earned = serializers.BooleanField(read_only=True)
    earned_at = serializers.DateTimeField(read_only=True, allow_null=True)
    progress = AchievementProgressSerializer(read_only=True)


class ProgramGenerateSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: the user the program is for.")
    weeks = serializers.IntegerField(min_value=4, max_value=12)
    days_per_week = serializers.IntegerField(min_value=2, max_value=6)
    session_minutes = serializers.IntegerField(min_value=20, max_value=120, default=60)
    goal = serializers.ChoiceField(choices=Workout.Goal.choices)
    equipment = serializers.ListField(
        child=serializers.ChoiceField(choices=Equipment.choices),
        max_length=len(Equipment.choices),
        required=False,
        help_text="What you have; body weight is always assumed.",
    )
    experience = serializers.ChoiceField(choices=Level.choices)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, help_text="The same inputs and seed give the same program."
    )

    def validate_equipment(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class ProgramGenerationAcceptedSerializer(serializers.Serializer):
    program = serializers.IntegerField(help_text="The new program's id.")
    status = serializers.CharField(help_text="`pending` until the program is `ready` (or `failed`).")
    status_url = serializers.CharField(help_text="Poll it: the program, with `generation_status`.")
