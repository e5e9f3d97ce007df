"""Foods, meals, meal plans, the food diary and per-user target overrides.

Who owns what:
- ``tenant`` empty: FitCore's catalogue (imported foods, staff template meals and plans),
  read by every tenant, changed only by staff in the admin.
- ``tenant`` set, ``user`` set: a user's own rows (custom foods, meals, plans, diary).
- ``tenant`` set, ``user`` empty, ``is_template``: a tenant's templates, read by all of its
  members, managed by its API keys and tenant admins.

Child rows (portions, meal items, scheduled meals) repeat their parent's tenant, so every
tenant-owned row carries ``tenant`` and stays distributable by it.

Nutrient values are per 100 g (see ``meal.nutrients``); amounts eaten are grams, so every
total is ``SUM(grams * value / 100)`` in SQL (``meal.selectors``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from fitcore.api.models import BaseModel, TenantOwned
from users.models import Profile, validate_allergens

from .nutrients import MAX_GRAMS_PER_100G, MAX_KCAL_PER_100G, MAX_SODIUM_MG_PER_100G

# One serving is at most 5 kg, and a plan at most a year: beyond that an amount is a typo.
MAX_GRAMS = 5000.0
MIN_GRAMS = 0.1
MAX_PORTION_COUNT = 100.0
MAX_PLAN_DAYS = 366


class MealTime(models.TextChoices):
    BREAKFAST = "breakfast", "Breakfast"
    LUNCH = "lunch", "Lunch"
    DINNER = "dinner", "Dinner"
    SNACK = "snack", "Snack"


class FoodCategory(BaseModel):
    """A food group (USDA food groups, Open Food Facts' main categories); staff curate them."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "food categories"

    def __str__(self) -> str:
        return self.name


def _per_100g(name: str, limit: float = MAX_GRAMS_PER_100G, *, null: bool = True) -> models.FloatField:
    return models.FloatField(
        null=null,
        blank=null,
        validators=[MinValueValidator(0.0), MaxValueValidator(limit)],
        help_text=f"{name} per 100 g{'' if not null else '; empty when the source does not state it'}.",
    )


class Food(BaseModel):
    """One food, its nutrients per 100 g, diet flags and allergens."""

    class Source(models.TextChoices):
        USDA_FDC = "usda_fdc", "USDA FoodData Central"
        USDA_SR = "usda_sr", "USDA Standard Reference (SR28)"
        OFF = "off", "Open Food Facts"
        CUSTOM = "custom", "Custom"

    class EnergyBasis(models.TextChoices):
        STATED = "stated", "Stated by the source"
        ATWATER_GENERAL = "atwater_general", "Atwater general factors (source)"
        ATWATER_SPECIFIC = "atwater_specific", "Atwater specific factors (source)"
        COMPUTED = "computed", "Computed by FitCore from 4/4/9"

    tenant = models.ForeignKey(
        "users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="custom_foods"
    )
    name = models.CharField(max_length=255)
    brand = models.CharField(max_length=255, blank=True)
    barcode = models.CharField(
        max_length=13,
        blank=True,
        db_index=True,
        help_text="EAN-13, EAN-8 or UPC-A (stored as EAN-13), check digit valid.",
    )
    category = models.ForeignKey(FoodCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="foods")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CUSTOM)
    source_id = models.CharField(
        max_length=64, help_text="The source's own id (FDC id, NDB number, barcode); random for custom foods."
    )
    energy_kcal = _per_100g("Energy (kcal)", MAX_KCAL_PER_100G, null=False)
    energy_basis = models.CharField(max_length=16, choices=EnergyBasis.choices, default=EnergyBasis.STATED)
    protein_g = _per_100g("Protein (g)", null=False)
    carbohydrate_g = _per_100g("Carbohydrate by difference (g)", null=False)
    fat_g = _per_100g("Total fat (g)", null=False)
    saturated_fat_g = _per_100g("Saturated fat (g)")
    sugar_g = _per_100g("Total sugars (g)")
    fiber_g = _per_100g("Dietary fiber (g)")
    sodium_mg = _per_100g("Sodium (mg)", MAX_SODIUM_MG_PER_100G)
    micronutrients = models.JSONField(
        default=dict, blank=True, help_text='Per 100 g, keys from meal.nutrients.MICRONUTRIENTS: {"calcium_mg": 12.0}.'
    )
    vegan = models.BooleanField(null=True, blank=True, help_text="Empty: unknown.")
    vegetarian = models.BooleanField(null=True, blank=True, help_text="Empty: unknown.")
    allergens = models.JSONField(
        default=list, blank=True, validators=[validate_allergens], help_text="EU-14 allergen codes it contains."
    )
    # Kept by a PostgreSQL trigger (migration 0002) from name and brand; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["tenant", "owner"], name="meal_food_tenant_owner"),
            models.Index(fields=["category", "name"], name="meal_food_category_name"),
        ]
        constraints = [
            # Unconditional, so importers can upsert with ON CONFLICT (source, source_id);
            # custom foods get a random source_id (services.food_create).
            models.UniqueConstraint(fields=["source", "source_id"], name="meal_food_unique_source_id"),
            # Imported foods are FitCore's; custom foods belong to a user of a tenant.
            models.CheckConstraint(
                condition=(Q(source="custom", tenant__isnull=False, owner__isnull=False))
                | (~Q(source="custom") & Q(tenant__isnull=True, owner__isnull=True)),
                name="meal_food_custom_is_private",
            ),
            models.CheckConstraint(condition=~Q(source_id=""), name="meal_food_has_source_id"),
            models.CheckConstraint(
                condition=Q(energy_kcal__gte=0, protein_g__gte=0, carbohydrate_g__gte=0, fat_g__gte=0),
                name="meal_food_macros_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.brand})" if self.brand else self.name

    @property
    def is_global(self) -> bool:
        return self.tenant_id is None


class FoodPortion(BaseModel):
    """A household measure of a food ("1 cup, chopped" = 91 g)."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    food = models.ForeignKey(Food, on_delete=models.CASCADE, related_name="portions")
    label = models.CharField(max_length=120)
    grams = models.FloatField(validators=[MinValueValidator(0.01), MaxValueValidator(MAX_GRAMS)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["food", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(grams__gt=0), name="meal_foodportion_grams_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.grams:g} g)"


class FavoriteFood(TenantOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_foods")
    food = models.ForeignKey(Food, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "food"], name="meal_favoritefood_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.food_id}"


class Meal(BaseModel):
    """A named set of foods: a user's own, or a template (staff's or a tenant's) to copy."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="meals"
    )
    is_template = models.BooleanField(default=False)
    name = models.CharField(max_length=120)
    meal_time = models.CharField(max_length=16, choices=MealTime.choices)
    description = models.CharField(max_length=1000, blank=True)
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Written by a plan generation or a swap: deleted with the last plan that schedules it.
    generated = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "user", "meal_time"], name="meal_meal_owner_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_template=True, user__isnull=True) | Q(is_template=False, user__isnull=False),
                name="meal_meal_template_has_no_user",
            ),
            models.CheckConstraint(
                condition=Q(tenant__isnull=False) | Q(is_template=True), name="meal_meal_global_is_template"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MealItem(BaseModel):
    """One food in a meal: grams, or a count of one of the food's portions (grams then follow)."""

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    meal = models.ForeignKey(Meal, on_delete=models.CASCADE, related_name="items")
    # RESTRICT, not PROTECT: a food in use cannot be deleted on its own, but deleting its owner
    # (the account) takes the food and the rows using it together.
    food = models.ForeignKey(Food, on_delete=models.RESTRICT, related_name="+")
    grams = models.FloatField(validators=[MinValueValidator(MIN_GRAMS), MaxValueValidator(MAX_GRAMS)])
    portion = models.ForeignKey(FoodPortion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    portion_count = models.FloatField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["meal", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(grams__gt=0), name="meal_mealitem_grams_positive")]

    def __str__(self) -> str:
        return f"{self.grams:g} g of food {self.food_id}"


class MealPlan(BaseModel):
    """Days of scheduled meals with daily targets. Generated plans (optimizer, AI) are ordinary
    plans with ``source`` set and what produced them in ``generation``."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        OPTIMIZER = "optimizer", "Optimizer"
        AI = "ai", "AI-assisted"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    class GenerationStatus(models.TextChoices):
        NONE = "", "Not generated"
        PENDING = "pending", "Waiting for a worker"
        READY = "ready", "Generated"
        FAILED = "failed", "Generation failed"

    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="meal_plans"
    )
    is_template = models.BooleanField(default=False)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=1000, blank=True)
    goal = models.CharField(max_length=16, choices=Profile.FitnessGoal.choices, blank=True)
    duration_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PLAN_DAYS)]
    )
    start_date = models.DateField(null=True, blank=True)
    target_kcal = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(10000)])
    target_protein_g = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)])
    target_carbohydrate_g = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1500)])
    target_fat_g = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)])
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # What produced a generated plan: generator name and version, model and prompt version,
    # input targets, random seed. Empty for manual plans.
    generation = models.JSONField(default=dict, blank=True)
    generation_status = models.CharField(
        max_length=16, choices=GenerationStatus.choices, default=GenerationStatus.NONE, blank=True
    )
    copied_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "user", "status"], name="meal_plan_owner_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_template=True, user__isnull=True) | Q(is_template=False, user__isnull=False),
                name="meal_plan_template_has_no_user",
            ),
            models.CheckConstraint(
                condition=Q(tenant__isnull=False) | Q(is_template=True), name="meal_plan_global_is_template"
            ),
            models.CheckConstraint(
                condition=Q(is_template=False) | ~Q(status="active"), name="meal_plan_template_not_active"
            ),
            models.CheckConstraint(
                condition=Q(duration_days__gte=1, duration_days__lte=MAX_PLAN_DAYS), name="meal_plan_duration_range"
            ),
            # One active plan per user: activating another archives the previous one (services).
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=Q(status="active"), name="meal_plan_one_active_per_user"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduledMeal(BaseModel):
    tenant = models.ForeignKey("users.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    plan = models.ForeignKey(MealPlan, on_delete=models.CASCADE, related_name="scheduled_meals")
    day_of_plan = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_PLAN_DAYS)])
    meal_time = models.CharField(max_length=16, choices=MealTime.choices)
    meal = models.ForeignKey(Meal, on_delete=models.RESTRICT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "day_of_plan", "position", "id"]
        indexes = [models.Index(fields=["plan", "day_of_plan"], name="meal_scheduled_plan_day")]
        constraints = [models.CheckConstraint(condition=Q(day_of_plan__gte=1), name="meal_scheduled_day_positive")]

    def __str__(self) -> str:
        return f"day {self.day_of_plan} {self.meal_time}"


class FoodLogEntry(TenantOwned):
    """One food eaten, on a local date of the user's (their profile's time zone)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        BARCODE = "barcode", "Barcode scan"
        MEAL = "meal", "From a meal"
        PLAN = "plan", "From a meal plan"
        PARTNER = "partner", "Partner API"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="food_log")
    date = models.DateField()
    meal_time = models.CharField(max_length=16, choices=MealTime.choices)
    food = models.ForeignKey(Food, on_delete=models.RESTRICT, related_name="+")
    grams = models.FloatField(validators=[MinValueValidator(MIN_GRAMS), MaxValueValidator(MAX_GRAMS)])
    portion = models.ForeignKey(FoodPortion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    portion_count = models.FloatField(null=True, blank=True)
    meal = models.ForeignKey(Meal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    plan = models.ForeignKey(MealPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["date", "created_at", "id"]
        verbose_name_plural = "food log entries"
        indexes = [
            models.Index(fields=["tenant", "user", "date"], name="meal_foodlog_user_date"),
            models.Index(fields=["tenant", "user", "-created_at"], name="meal_foodlog_user_recent"),
        ]
        constraints = [models.CheckConstraint(condition=Q(grams__gt=0), name="meal_foodlog_grams_positive")]

    def __str__(self) -> str:
        return f"{self.date} {self.meal_time}: {self.grams:g} g of food {self.food_id}"


class TargetOverride(TenantOwned):
    """A user's own daily targets; each empty field falls back to the computed value."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nutrition_targets")
    kcal = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(800), MaxValueValidator(10000)]
    )
    protein_g = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)])
    carbohydrate_g = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1500)])
    fat_g = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)])

    def __str__(self) -> str:
        return f"targets of user {self.user_id}"


class TargetChange(TenantOwned):
    """One change of a user's daily targets, with why and every number used: the targets history.

    Written by the adaptive re-planning (weekly, or asked for with ``adapt``) and by the user
    setting their own targets. A weekly run writes at most one row per user and week, which
    makes the beat task idempotent.
    """

    class Trigger(models.TextChoices):
        WEEKLY = "weekly", "Weekly adaptive re-planning"
        ADAPT = "adapt", "Re-planning asked for"
        MANUAL = "manual", "Set by the user"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="target_changes")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    week_start = models.DateField(null=True, blank=True, help_text="The local Monday a weekly run covered.")
    changed = models.BooleanField(help_text="False: the run looked and kept the targets (the reason says why).")
    kcal_before = models.PositiveIntegerField(null=True, blank=True)
    kcal_after = models.PositiveIntegerField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True, help_text="kcal and macros before.")
    after = models.JSONField(default=dict, blank=True, help_text="kcal and macros after.")
    tdee_kcal = models.PositiveIntegerField(null=True, blank=True, help_text="The measured TDEE, when there was one.")
    reason = models.CharField(max_length=500)
    numbers = models.JSONField(default=dict, blank=True, help_text="Every input and intermediate value.")
    plan = models.ForeignKey(MealPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "user", "-created_at"], name="meal_targetchange_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "week_start"],
                condition=Q(trigger="weekly"),
                name="meal_targetchange_weekly_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} change of user {self.user_id}: {self.kcal_before} -> {self.kcal_after}"


def food_fields() -> list[str]:
    """Nutrient columns the importers write (everything but identity and ownership)."""
    names: list[Any] = [
        "name",
        "brand",
        "barcode",
        "category",
        "energy_kcal",
        "energy_basis",
        "protein_g",
        "carbohydrate_g",
        "fat_g",
        "saturated_fat_g",
        "sugar_g",
        "fiber_g",
        "sodium_mg",
        "micronutrients",
        "vegan",
        "vegetarian",
        "allergens",
    ]
    return names
