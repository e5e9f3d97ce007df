"""The workout catalogue: categories, exercises, workouts and their ordered exercises.

``tenant`` empty: FitCore's catalogue, read by every tenant and changed by staff only;
``tenant`` set: a tenant's private catalogue. Child rows (a workout's exercises) repeat their
workout's tenant, so every tenant-owned row carries ``tenant``.

Muscles, equipment and goals are short lists of fixed codes in JSON columns: a workout has
several, filters read them with one containment test, and no join table is needed for a
list that is always read whole.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from fitcore.api.models import BaseModel


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

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["tenant", "published", "difficulty"], name="workout_workout_listing"),
        ]
        constraints = [
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
