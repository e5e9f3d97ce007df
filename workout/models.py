"""The workout catalogue: categories, exercises, workouts and their ordered exercises.

``tenant`` empty: FitCore's catalogue, read by every tenant and changed by staff only;
``tenant`` set: a tenant's private catalogue. Child rows (a workout's exercises) repeat their
workout's tenant, so every tenant-owned row carries ``tenant``.

Muscles, equipment and goals are short lists of fixed codes in JSON columns: a workout has
several, filters read them with one containment test, and no join table is needed for a
list that is always read whole.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from fitcore.api.models import BaseModel, TenantOwned


class Level(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class Muscle(models.TextChoices):
    """The muscle groups of the public-domain exercise catalogue (workout/data/exercises.json)."""

    ABDOMINALS = "abdominals", "Abdominals"
    ABDUCTORS = "abductors", "Abductors"
    ADDUCTORS = "adductors", "Adductors"
    BICEPS = "biceps", "Biceps"
    CALVES = "calves", "Calves"
    CHEST = "chest", "Chest"
    FOREARMS = "forearms", "Forearms"
    GLUTES = "glutes", "Glutes"
    HAMSTRINGS = "hamstrings", "Hamstrings"
    LATS = "lats", "Lats"
    LOWER_BACK = "lower_back", "Lower back"
    MIDDLE_BACK = "middle_back", "Middle back"
    NECK = "neck", "Neck"
    QUADRICEPS = "quadriceps", "Quadriceps"
    SHOULDERS = "shoulders", "Shoulders"
    TRAPS = "traps", "Traps"
    TRICEPS = "triceps", "Triceps"


class Equipment(models.TextChoices):
    BODY_ONLY = "body_only", "Body weight"
    BARBELL = "barbell", "Barbell"
    DUMBBELL = "dumbbell", "Dumbbell"
    KETTLEBELLS = "kettlebells", "Kettlebells"
    CABLE = "cable", "Cable"
    MACHINE = "machine", "Machine"
    BANDS = "bands", "Resistance bands"
    MEDICINE_BALL = "medicine_ball", "Medicine ball"
    EXERCISE_BALL = "exercise_ball", "Exercise ball"
    FOAM_ROLL = "foam_roll", "Foam roller"
    EZ_CURL_BAR = "e_z_curl_bar", "EZ curl bar"
    OTHER = "other", "Other"


class MovementPattern(models.TextChoices):
    SQUAT = "squat", "Squat"
    HINGE = "hinge", "Hinge"
    PUSH = "push", "Push"
    PULL = "pull", "Pull"
    CARRY = "carry", "Carry"
    CORE = "core", "Core"
    CARDIO = "cardio", "Cardio"
    MOBILITY = "mobility", "Mobility (stretching)"


class Mechanics(models.TextChoices):
    COMPOUND = "compound", "Compound"
    ISOLATION = "isolation", "Isolation"


class Category(BaseModel):
    """A kind of training (strength, stretching, plyometrics, cardio...); staff curate them."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Exercise(BaseModel):
    """One movement with how to do it. Imported ones carry the catalogue's id in ``source_id``."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    source_id = models.CharField(
        max_length=100, unique=True, help_text="The catalogue's id for imported exercises; random for a tenant's own."
    )
    name = models.CharField(max_length=200)
    instructions = models.JSONField(default=list, blank=True, help_text="Steps, in order.")
    primary_muscles = models.JSONField(default=list, blank=True)
    secondary_muscles = models.JSONField(default=list, blank=True)
    equipment = models.CharField(max_length=32, choices=Equipment.choices, blank=True)
    movement_pattern = models.CharField(max_length=16, choices=MovementPattern.choices, blank=True)
    mechanics = models.CharField(max_length=16, choices=Mechanics.choices, blank=True)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="exercises")
    images = models.JSONField(default=list, blank=True, help_text="The catalogue's image paths (not shipped).")

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["tenant", "name"], name="workout_exercise_tenant_name"),
            models.Index(fields=["movement_pattern"], name="workout_exercise_pattern"),
        ]

    def __str__(self) -> str:
        return self.name


class Workout(BaseModel):
    """A session someone follows: ordered exercises with targets. Generated ones are ordinary workouts."""

    class Goal(models.TextChoices):
        STRENGTH = "strength", "Strength"
        HYPERTROPHY = "hypertrophy", "Muscle gain"
        ENDURANCE = "endurance", "Endurance"
        FAT_LOSS = "fat_loss", "Fat loss"
        MOBILITY = "mobility", "Mobility"
        GENERAL_FITNESS = "general_fitness", "General fitness"

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=2000, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(600)])
    difficulty = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    goals = models.JSONField(default=list, blank=True)
    equipment = models.JSONField(default=list, blank=True, help_text="Everything the workout needs.")
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="workouts")
    is_premium = models.BooleanField(default=False)
    published = models.BooleanField(default=False)
    # A user's own generated workout or program: visible to that user (and their tenant's
    # managers), never published in the catalogue, editable by the user.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["tenant", "published", "difficulty"], name="workout_workout_listing"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(tenant__isnull=False, published=False),
                name="workout_workout_owned_is_private",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=600), name="workout_workout_duration_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class WorkoutExercise(BaseModel):
    """One exercise of a workout, in order: sets of reps, or sets of a duration, with rest between."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE, related_name="exercises")
    # RESTRICT: an exercise in a workout is not deleted on its own; deleting the workout frees it.
    exercise = models.ForeignKey(Exercise, on_delete=models.RESTRICT, related_name="+")
    position = models.PositiveSmallIntegerField()
    target_sets = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(20)])
    target_reps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    target_duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7200)]
    )
    rest_seconds = models.PositiveSmallIntegerField(default=60, validators=[MaxValueValidator(900)])
    warmup_sets = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(5)], help_text="Lighter sets before the working sets."
    )

    class Meta:
        ordering = ["workout", "position"]
        constraints = [
            models.UniqueConstraint(fields=["workout", "position"], name="workout_exercise_position_unique"),
            # Reps or a duration, not both and not neither.
            models.CheckConstraint(
                condition=Q(target_reps__isnull=False, target_duration_seconds__isnull=True)
                | Q(target_reps__isnull=True, target_duration_seconds__isnull=False),
                name="workout_exercise_reps_or_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. exercise {self.exercise_id}"


def video_upload_to(instance: WorkoutVideo, filename: str) -> str:
    """A random name under the workout: the client's file name never reaches the storage path."""
    suffix = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov"}.get(instance.content_type, "")
    return f"workouts/{instance.workout_id}/videos/{uuid.uuid4().hex}{suffix}"


def thumbnail_upload_to(instance: WorkoutVideo, filename: str) -> str:
    return f"workouts/{instance.workout_id}/thumbnails/{uuid.uuid4().hex}.jpg"


class WorkoutVideo(BaseModel):
    """A video of a workout. Premium workouts' videos are for subscribers, unless ``is_free`` (a preview)."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=200)
    video = models.FileField(upload_to=video_upload_to, max_length=200)
    content_type = models.CharField(max_length=32, help_text="Sniffed from the file's bytes on upload.")
    size_bytes = models.PositiveBigIntegerField()
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True, max_length=200)
    order_index = models.PositiveSmallIntegerField()
    duration_seconds = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(86_400)])
    is_free = models.BooleanField(default=False, help_text="A preview anyone signed in may watch.")

    class Meta:
        ordering = ["workout", "order_index"]
        constraints = [
            models.UniqueConstraint(fields=["workout", "order_index"], name="workout_video_order_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class FavoriteWorkout(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_workouts")
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "workout"], name="workout_favorite_unique"),
        ]


class WorkoutProgress(TenantOwned):
    """How far a user is through one workout's videos: one row per user and workout."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workout_progress")
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE, related_name="+")
    progress_percentage = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    last_video = models.ForeignKey(WorkoutVideo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField()
    # Set when progress first reaches 100; never unset, not even by a reset.
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "workout"], name="workout_progress_unique"),
            models.CheckConstraint(condition=Q(progress_percentage__lte=100), name="workout_progress_range"),
        ]


class SessionSource(models.TextChoices):
    MANUAL = "manual", "Logged by hand"
    IMPORT = "import", "Imported from a GPX, TCX or FIT file"
    PARTNER = "partner", "Pushed by a partner"


class WorkoutSession(TenantOwned):
    """One training session that happened: lifted sets, a run, a ride. Times may be in the past."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workout_sessions")
    # SET_NULL: history outlives a catalogue workout that is later removed.
    workout = models.ForeignKey(Workout, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sport = models.CharField(max_length=32, blank=True, help_text="running, cycling, walking, strength...")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    perceived_effort = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    notes = models.CharField(max_length=2000, blank=True)
    calories_kcal = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(20_000)])
    distance_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    elevation_gain_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    avg_heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    max_heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    source = models.CharField(max_length=16, choices=SessionSource.choices, default=SessionSource.MANUAL)
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "user", "-started_at", "-id"], name="workout_session_history"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="workout_session_ends_after_start",
            ),
            # A partner's or a file's id names one session per user: a retried push updates it.
            models.UniqueConstraint(
                fields=["tenant", "user", "source", "external_id"],
                condition=~Q(external_id=""),
                name="workout_session_external_unique",
            ),
        ]

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


# What a session says about itself (not whose it is, nor where it came from): what a re-sent
# session replaces, and what the personal-data export lists.
SESSION_FIELDS = (
    "workout",
    "sport",
    "started_at",
    "ended_at",
    "perceived_effort",
    "notes",
    "calories_kcal",
    "distance_m",
    "elevation_gain_m",
    "avg_heart_rate",
    "max_heart_rate",
)


class ExerciseSet(TenantOwned):
    """One set of a session. ``user`` repeats the session's owner so records read one index."""

    session = models.ForeignKey(WorkoutSession, on_delete=models.CASCADE, related_name="sets")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    exercise = models.ForeignKey(Exercise, on_delete=models.RESTRICT, related_name="+")
    set_number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    reps = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)])
    weight_kg = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, validators=[MaxValueValidator(Decimal("1000"))]
    )
    duration_seconds = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(86_400)])
    distance_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    rpe = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
    )
    is_warmup = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "exercise", "set_number"]
        indexes = [models.Index(fields=["tenant", "user", "exercise"], name="workout_set_user_exercise")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "session", "exercise", "set_number"], name="workout_set_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=0), name="workout_set_weight_not_negative"
            ),
        ]


class SessionTrack(TenantOwned):
    """The recorded route of an imported session: ``points`` are [lon, lat, elevation, time, heart rate].

    One JSON array per session: the route is always read whole (GeoJSON), never queried point by point.
    """

    session = models.OneToOneField(WorkoutSession, on_delete=models.CASCADE, related_name="track")
    points = models.JSONField(default=list)


class ActivityImport(TenantOwned):
    """An uploaded GPX, TCX or FIT file and what became of it (parsed by a Celery task)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        SUCCEEDED = "succeeded", "A session was created"
        FAILED = "failed", "The file could not be read"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="activity-imports/", max_length=200, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_format = models.CharField(max_length=8, blank=True, help_text="gpx, tcx or fit, sniffed from the content.")
    # SHA-256 of the (decompressed) file: the same activity uploaded twice is one session.
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(max_length=500, blank=True)
    session = models.ForeignKey(WorkoutSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "content_hash"], name="workout_import_once_per_file"),
        ]


class GenerationStatus(models.TextChoices):
    NONE = "", "Not generated"
    PENDING = "pending", "Waiting for a worker"
    READY = "ready", "Generated"
    FAILED = "failed", "Generation failed"


class Program(BaseModel):
    """A multi-week plan: one row per day, each a workout or rest. Generated programs are ordinary ones."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Written by a coach"
        GENERATOR = "generator", "Generated"

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=2000, blank=True)
    weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])
    difficulty = models.CharField(max_length=16, choices=Level.choices, default=Level.BEGINNER)
    goals = models.JSONField(default=list, blank=True)
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_premium = models.BooleanField(default=False)
    published = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    # A user's own generated workout or program: visible to that user (and their tenant's
    # managers), never published in the catalogue, editable by the user.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What produced a generated program (generator and version, request, seed, model and
    # prompt version when an LLM chose exercises, fallback); empty for written ones.
    generation = models.JSONField(default=dict, blank=True)
    generation_status = models.CharField(
        max_length=16, choices=GenerationStatus.choices, default=GenerationStatus.NONE, blank=True
    )

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["tenant", "owner"], name="workout_program_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(tenant__isnull=False, published=False),
                name="workout_program_owned_is_private",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def length_days(self) -> int:
        return self.weeks * 7


class ProgramDay(BaseModel):
    """Day ``day_number`` (1 = the first day) of a program: a workout, or rest when ``workout`` is empty."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="days")
    day_number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(364)])
    # RESTRICT: a workout a program uses is not deleted from under it.
    workout = models.ForeignKey(Workout, on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["program", "day_number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "day_number"], name="workout_program_day_unique"),
        ]


class ProgramEnrollment(TenantOwned):
    """A user following a program from ``start_date``; the current day follows from the user's calendar."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        ABANDONED = "abandoned", "Abandoned"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_enrollments")
    # RESTRICT: a program someone follows is not deleted from under them.
    program = models.ForeignKey(Program, on_delete=models.RESTRICT, related_name="+")
    start_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    reminder_time = models.TimeField(null=True, blank=True, help_text="Local time of the day's reminder; empty: none.")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "program"],
                condition=Q(status="active"),
                name="workout_enrollment_one_active",
            ),
        ]

    def day_on(self, day: date) -> int:
        """The program day ``day`` falls on (1 = the start date; may be < 1 or past the end)."""
        return (day - self.start_date).days + 1


class UserAchievement(TenantOwned):
    """An achievement a user earned, once (the rules live in workout/achievements.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements")
    code = models.CharField(max_length=32)
    earned_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True, help_text="What earned it (the record, the program...).")

    class Meta:
        ordering = ["-earned_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "code"], name="workout_achievement_once")]


class TrainingBaseline(TenantOwned):
    """What achievements compare against: the body weight when the user's training here began."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_baseline")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    recorded_at = models.DateTimeField()
