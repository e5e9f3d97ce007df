"""Input validation and output shape of /api/v1/nutrition/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fitcore.api.serializers import (
    FiniteFloatField,
    OptionalCharField,
    OptionalChoiceField,
    RowSerializer,
    SlugChoiceField,
    StrictKeysSerializer,
)
from fitcore.api.tenancy import ScopedListSerializer, ScopedRelatedField, TenantUserField
from users.models import Allergen, Profile

from .barcodes import BarcodeError, normalize_barcode
from .models import (
    MAX_GRAMS,
    MAX_PLAN_DAYS,
    MAX_PORTION_COUNT,
    Food,
    FoodCategory,
    FoodLogEntry,
    FoodPortion,
    Meal,
    MealPlan,
    MealTime,
    TargetChange,
)
from .nutrients import (
    BY_KEY,
    MAX_GRAMS_PER_100G,
    MAX_KCAL_PER_100G,
    MAX_MICRONUTRIENT,
    MAX_SODIUM_MG_PER_100G,
    MICRONUTRIENTS,
)


def _amount(help_text: str, maximum: float, *, required: bool = True, allow_null: bool = False) -> FiniteFloatField:
    return FiniteFloatField(
        min_value=0.0, max_value=maximum, required=required, allow_null=allow_null, help_text=help_text
    )


def _visible_food() -> ScopedRelatedField:
    return ScopedRelatedField(model=Food, owner_field="owner", global_rows=True, help_text="A food id.")


# --- foods ----------------------------------------------------------------------------


class FoodCategorySerializer(RowSerializer):
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class FoodListSerializer(RowSerializer):
    """A food in a list: identity, per-100 g energy and macros, diet flags and allergens."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    brand = OptionalCharField(read_only=True)
    barcode = OptionalCharField(read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    source = serializers.ChoiceField(choices=Food.Source.choices, read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    energy_kcal = serializers.FloatField(read_only=True, help_text="Per 100 g.")
    protein_g = serializers.FloatField(read_only=True, help_text="Per 100 g.")
    carbohydrate_g = serializers.FloatField(read_only=True, help_text="Per 100 g.")
    fat_g = serializers.FloatField(read_only=True, help_text="Per 100 g.")
    vegan = serializers.BooleanField(read_only=True, allow_null=True, help_text="null: unknown.")
    vegetarian = serializers.BooleanField(read_only=True, allow_null=True, help_text="null: unknown.")
    allergens = serializers.ListField(child=serializers.ChoiceField(choices=Allergen.choices), read_only=True)


class FoodPortionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(max_length=120, help_text='A household measure, e.g. "1 cup, chopped".')  # type: ignore[assignment]  # a field named like a Field attribute
    grams = FiniteFloatField(min_value=0.1, max_value=MAX_GRAMS, help_text="What the portion weighs.")


class MicronutrientAmountSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[(m.key, m.label) for m in MICRONUTRIENTS], read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    unit = serializers.ChoiceField(choices=[("mg", "mg"), ("ug", "µg"), ("g", "g")], read_only=True)
    amount = serializers.FloatField(read_only=True, help_text="Per 100 g.")


class FoodDetailSerializer(serializers.Serializer):
    """A food with every nutrient the source states (per 100 g) and its household portions.

    Nutrients the source does not state are ``null`` (macros) or absent (micronutrients):
    unknown is not zero.
    """

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    brand = OptionalCharField(read_only=True)
    barcode = OptionalCharField(read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True, allow_null=True)
    source = serializers.ChoiceField(choices=Food.Source.choices, read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    source_id = serializers.SerializerMethodField()
    is_custom = serializers.SerializerMethodField()
    owner = serializers.IntegerField(source="owner_id", read_only=True, allow_null=True)
    energy_kcal = serializers.FloatField(read_only=True)
    energy_basis = serializers.ChoiceField(choices=Food.EnergyBasis.choices, read_only=True)
    protein_g = serializers.FloatField(read_only=True)
    carbohydrate_g = serializers.FloatField(read_only=True)
    fat_g = serializers.FloatField(read_only=True)
    saturated_fat_g = serializers.FloatField(read_only=True, allow_null=True)
    sugar_g = serializers.FloatField(read_only=True, allow_null=True)
    fiber_g = serializers.FloatField(read_only=True, allow_null=True)
    sodium_mg = serializers.FloatField(read_only=True, allow_null=True)
    micronutrients = serializers.SerializerMethodField()
    vegan = serializers.BooleanField(read_only=True, allow_null=True)
    vegetarian = serializers.BooleanField(read_only=True, allow_null=True)
    allergens = serializers.ListField(child=serializers.ChoiceField(choices=Allergen.choices), read_only=True)
    portions = FoodPortionSerializer(many=True, read_only=True)
    is_favorite = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(read_only=True)

    def get_source_id(self, food: Food) -> str | None:
        return None if food.source == Food.Source.CUSTOM else food.source_id

    def get_is_custom(self, food: Food) -> bool:
        return food.source == Food.Source.CUSTOM

    def get_is_favorite(self, food: Food) -> bool:
        return food.pk in self.context.get("favorite_ids", ())

    @staticmethod
    def _micronutrient_list(food: Food) -> list[dict[str, Any]]:
        return [
            {"key": item.key, "label": item.label, "unit": item.unit, "amount": food.micronutrients[item.key]}
            for item in MICRONUTRIENTS
            if isinstance(food.micronutrients, dict) and food.micronutrients.get(item.key) is not None
        ]

    @extend_schema_field(MicronutrientAmountSerializer(many=True))
    def get_micronutrients(self, food: Food) -> list[dict[str, Any]]:
        return self._micronutrient_list(food)


class FoodInputSerializer(StrictKeysSerializer):
    """A private food. Nutrients per 100 g; what you leave out is unknown, not zero."""

    user = TenantUserField(required=False, help_text="API keys: the user who owns the food.")
    name = serializers.CharField(max_length=255)
    brand = OptionalCharField(max_length=255, required=False)
    barcode = OptionalCharField(max_length=32, required=False, help_text="EAN-13, EAN-8 or UPC-A.")
    category = SlugChoiceField(slug_field="slug", queryset=FoodCategory.objects.all(), required=False, allow_null=True)
    energy_kcal = _amount("Per 100 g.", MAX_KCAL_PER_100G)
    protein_g = _amount("Per 100 g.", MAX_GRAMS_PER_100G)
    carbohydrate_g = _amount("Per 100 g.", MAX_GRAMS_PER_100G)
    fat_g = _amount("Per 100 g.", MAX_GRAMS_PER_100G)
    saturated_fat_g = _amount("Per 100 g.", MAX_GRAMS_PER_100G, required=False, allow_null=True)
    sugar_g = _amount("Per 100 g.", MAX_GRAMS_PER_100G, required=False, allow_null=True)
    fiber_g = _amount("Per 100 g.", MAX_GRAMS_PER_100G, required=False, allow_null=True)
    sodium_mg = _amount("Per 100 g.", MAX_SODIUM_MG_PER_100G, required=False, allow_null=True)
    micronutrients = serializers.DictField(
        child=_amount("Per 100 g, in the unit the key names.", MAX_MICRONUTRIENT),
        required=False,
        help_text="Keys: " + ", ".join(m.key for m in MICRONUTRIENTS) + ".",
    )
    vegan = serializers.BooleanField(required=False, allow_null=True)
    vegetarian = serializers.BooleanField(required=False, allow_null=True)
    allergens = serializers.ListField(
        child=serializers.ChoiceField(choices=Allergen.choices), required=False, max_length=len(Allergen.choices)
    )
    portions = FoodPortionSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]

    def validate_barcode(self, value: str) -> str:
        if not value:
            return value
        try:
            return normalize_barcode(value)
        except BarcodeError as exc:
            raise serializers.ValidationError(str(exc), code=exc.code) from None

    def validate_micronutrients(self, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(BY_KEY))
        if unknown:
            raise serializers.ValidationError(f"Unknown micronutrient(s): {', '.join(unknown)}.", code="invalid")
        return value

    def validate_allergens(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        parts = [attrs.get(name) for name in ("protein_g", "carbohydrate_g", "fat_g")]
        if all(p is not None for p in parts) and sum(parts) > 105:  # type: ignore[arg-type]
            raise serializers.ValidationError(
                {"fat_g": ["Protein, carbohydrate and fat add up to more than 100 g per 100 g."]}, code="invalid"
            )
        if attrs.get("vegan") and attrs.get("vegetarian") is False:
            raise serializers.ValidationError({"vegetarian": ["A vegan food is vegetarian."]}, code="invalid")
        return attrs


class FoodUpdateSerializer(FoodInputSerializer):
    user = None  # type: ignore[assignment]  # a food never changes owner


# --- meals ----------------------------------------------------------------------------


class AmountInputSerializer(StrictKeysSerializer):
    """An amount: ``grams``, or a ``portion`` of the food times ``portion_count`` (default 1)."""

    grams = FiniteFloatField(min_value=0.1, max_value=MAX_GRAMS, required=False, allow_null=True)
    portion = ScopedRelatedField(
        model=FoodPortion, global_rows=True, required=False, allow_null=True, help_text="A portion id of the food."
    )
    portion_count = FiniteFloatField(min_value=0.01, max_value=MAX_PORTION_COUNT, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_grams = attrs.get("grams") is not None
        has_portion = attrs.get("portion") is not None
        if has_grams == has_portion and not self.partial:
            raise serializers.ValidationError(
                {"grams": ["Give either grams, or a portion (and a count)."]}, code="invalid"
            )
        if attrs.get("portion_count") is not None and not has_portion and not self.partial:
            raise serializers.ValidationError({"portion_count": ["A count needs a portion."]}, code="invalid")
        return attrs


class MealItemInputSerializer(AmountInputSerializer):
    food = _visible_food()

    class Meta:
        list_serializer_class = ScopedListSerializer  # one query per field for the whole list


def _share(column: str) -> Any:
    """A method field's getter: what ``grams`` of the row's food hold of ``column`` (per 100 g)."""

    def get(row: Any) -> float:
        return round(row.grams * getattr(row.food, column) / 100, 1)

    return extend_schema_field(serializers.FloatField())(get)


class MealItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    food = serializers.IntegerField(source="food_id", read_only=True)
    food_name = serializers.CharField(source="food.name", read_only=True)
    grams = serializers.FloatField(read_only=True)
    portion = serializers.IntegerField(source="portion_id", read_only=True, allow_null=True)
    portion_label = serializers.CharField(source="portion.label", read_only=True, allow_null=True)
    portion_count = serializers.FloatField(read_only=True, allow_null=True)
    kcal = serializers.SerializerMethodField()
    protein_g = serializers.SerializerMethodField()
    carbohydrate_g = serializers.SerializerMethodField()
    fat_g = serializers.SerializerMethodField()

    # One item's share: grams x per-100 g value; meal totals come from SQL (meals_with_totals).
    get_kcal = staticmethod(_share("energy_kcal"))
    get_protein_g = staticmethod(_share("protein_g"))
    get_carbohydrate_g = staticmethod(_share("carbohydrate_g"))
    get_fat_g = staticmethod(_share("fat_g"))


class TotalsSerializer(serializers.Serializer):
    kcal = serializers.FloatField()
    protein_g = serializers.FloatField()
    carbohydrate_g = serializers.FloatField()
    fat_g = serializers.FloatField()
    fiber_g = serializers.FloatField(help_text="Of the foods that state it.")
    sugar_g = serializers.FloatField(help_text="Of the foods that state it.")
    saturated_fat_g = serializers.FloatField(help_text="Of the foods that state it.")
    sodium_mg = serializers.FloatField(help_text="Of the foods that state it.")


class MealSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    meal_time = serializers.ChoiceField(choices=MealTime.choices, read_only=True)
    description = OptionalCharField(read_only=True)
    is_template = serializers.BooleanField(read_only=True)
    is_global = serializers.SerializerMethodField(help_text="A FitCore template, shared by every app.")
    user = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    copied_from = serializers.IntegerField(source="copied_from_id", read_only=True, allow_null=True)
    totals = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_is_global(self, meal: Meal) -> bool:
        return meal.tenant_id is None

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, meal: Any) -> dict[str, float]:
        from .selectors import TOTALS

        return {key: round(float(getattr(meal, f"total_{key}", 0.0) or 0.0), 1) for key in TOTALS}

    @extend_schema_field(MealItemSerializer(many=True))
    def get_items(self, meal: Meal) -> list[dict[str, Any]]:
        items = self.context.get("items", {}).get(meal.pk, [])
        return MealItemSerializer(items, many=True).data  # type: ignore[return-value]


class MealInputSerializer(StrictKeysSerializer):
    user = TenantUserField(
        required=False,
        allow_null=True,
        help_text="API keys: the user who owns the meal; leave it out (or null) for a template of your tenant.",
    )
    is_template = serializers.BooleanField(
        required=False, default=False, help_text="API keys and tenant admins: a template of your app."
    )
    name = serializers.CharField(max_length=120)
    meal_time = serializers.ChoiceField(choices=MealTime.choices)
    description = OptionalCharField(max_length=1000, required=False)
    items = MealItemInputSerializer(many=True, max_length=50, required=False)  # type: ignore[call-arg]


class MealUpdateSerializer(MealInputSerializer):
    user = None  # type: ignore[assignment]
    is_template = None  # type: ignore[assignment]


class MealCopyInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: the user who gets the copy.")


# --- plans ----------------------------------------------------------------------------


class ScheduleInputSerializer(StrictKeysSerializer):
    day_of_plan = serializers.IntegerField(min_value=1, max_value=MAX_PLAN_DAYS)
    meal_time = serializers.ChoiceField(
        choices=MealTime.choices, required=False, allow_null=True, help_text="Default: the meal's own."
    )
    meal = ScopedRelatedField(model=Meal, owner_field="user", global_rows=True, tenant_shared={"is_template": True})

    class Meta:
        list_serializer_class = ScopedListSerializer


class MealPlanInputSerializer(StrictKeysSerializer):
    user = TenantUserField(
        required=False,
        allow_null=True,
        help_text="API keys: the user who owns the plan; leave it out (or null) for a template of your tenant.",
    )
    is_template = serializers.BooleanField(
        required=False, default=False, help_text="API keys and tenant admins: a template of your app."
    )
    name = serializers.CharField(max_length=120)
    description = OptionalCharField(max_length=1000, required=False)
    goal = OptionalChoiceField(choices=Profile.FitnessGoal.choices, required=False)
    duration_days = serializers.IntegerField(min_value=1, max_value=MAX_PLAN_DAYS)
    start_date = serializers.DateField(required=False, allow_null=True)
    target_kcal = serializers.IntegerField(min_value=0, max_value=10000, required=False, allow_null=True)
    target_protein_g = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    target_carbohydrate_g = serializers.IntegerField(min_value=0, max_value=1500, required=False, allow_null=True)
    target_fat_g = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=[("draft", "Draft"), ("archived", "Archived")],
        required=False,
        help_text="Activate with POST .../activate/ (one active plan per user).",
    )
    schedule = ScheduleInputSerializer(many=True, required=False, max_length=366 * 8)  # type: ignore[call-arg]


class MealPlanUpdateSerializer(MealPlanInputSerializer):
    user = None  # type: ignore[assignment]
    is_template = None  # type: ignore[assignment]


GENERATION_STATUSES = [(value, label) for value, label in MealPlan.GenerationStatus.choices if value]


class MealPlanListSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    goal = OptionalChoiceField(choices=Profile.FitnessGoal.choices, read_only=True)
    duration_days = serializers.IntegerField(read_only=True)
    start_date = serializers.DateField(read_only=True, allow_null=True)
    target_kcal = serializers.IntegerField(read_only=True, allow_null=True)
    target_protein_g = serializers.IntegerField(read_only=True, allow_null=True)
    target_carbohydrate_g = serializers.IntegerField(read_only=True, allow_null=True)
    target_fat_g = serializers.IntegerField(read_only=True, allow_null=True)
    is_template = serializers.BooleanField(read_only=True)
    source = serializers.ChoiceField(choices=MealPlan.Source.choices, read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    status = serializers.ChoiceField(choices=MealPlan.Status.choices, read_only=True)
    generation_status = OptionalChoiceField(choices=GENERATION_STATUSES, read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class TargetValuesSerializer(serializers.Serializer):
    kcal = serializers.IntegerField(allow_null=True)
    protein_g = serializers.IntegerField(allow_null=True)
    carbohydrate_g = serializers.IntegerField(allow_null=True)
    fat_g = serializers.IntegerField(allow_null=True)


class DifferenceSerializer(serializers.Serializer):
    kcal = serializers.FloatField(allow_null=True, help_text="Day total minus target; null without a target.")
    protein_g = serializers.FloatField(allow_null=True)
    carbohydrate_g = serializers.FloatField(allow_null=True)
    fat_g = serializers.FloatField(allow_null=True)


class ScheduledMealSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="scheduled.id")
    meal_time = serializers.ChoiceField(source="scheduled.meal_time", choices=MealTime.choices)
    meal = serializers.IntegerField(source="scheduled.meal_id")
    meal_name = serializers.CharField(source="scheduled.meal.name")
    totals = TotalsSerializer()


class PlanDaySerializer(serializers.Serializer):
    day = serializers.IntegerField()
    meals = ScheduledMealSerializer(many=True)
    totals = TotalsSerializer()
    difference = DifferenceSerializer()


class MealPlanDetailSerializer(serializers.Serializer):
    """A plan with each day's meals, totals and difference to the plan's daily targets."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = OptionalCharField()
    goal = OptionalChoiceField(choices=Profile.FitnessGoal.choices)
    duration_days = serializers.IntegerField()
    start_date = serializers.DateField(allow_null=True)
    targets = TargetValuesSerializer()
    is_template = serializers.BooleanField()
    is_global = serializers.BooleanField()
    source = serializers.ChoiceField(choices=MealPlan.Source.choices)  # type: ignore[assignment]  # a field named like a Field attribute
    status = serializers.ChoiceField(choices=MealPlan.Status.choices)
    generation = serializers.DictField(help_text="What produced a generated plan; empty for manual plans.")
    generation_status = OptionalChoiceField(
        choices=GENERATION_STATUSES,
        help_text="Generated plans: `pending` until a worker has built it, then `ready` or `failed`; null otherwise.",
    )
    user = serializers.IntegerField(allow_null=True)
    copied_from = serializers.IntegerField(allow_null=True)
    days = PlanDaySerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ActivateInputSerializer(StrictKeysSerializer):
    start_date = serializers.DateField(required=False, allow_null=True, help_text="Default: keep the plan's own.")


class PlanCopyInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: the user who gets the copy.")


# --- generated plans ------------------------------------------------------------------

MAX_GENERATED_DAYS = 14


class GenerateTargetsSerializer(StrictKeysSerializer):
    kcal = serializers.IntegerField(min_value=800, max_value=10000, required=False)
    protein_g = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    carbohydrate_g = serializers.IntegerField(min_value=0, max_value=1500, required=False)
    fat_g = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class GeneratePreferencesSerializer(StrictKeysSerializer):
    cuisines = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=5,
        required=False,
        help_text='Words for the kind of food you like ("italian", "mexican"): a preference, never a filter.',
    )
    include_foods = serializers.ListField(
        child=_visible_food(),
        max_length=10,
        required=False,
        help_text="Foods the plan must use at least once (your diet, allergens and excluded foods still apply).",
    )
    budget = serializers.ChoiceField(
        choices=[("low", "Low"), ("medium", "Medium"), ("high", "High")],
        required=False,
        help_text="Low prefers the cheaper food groups (grains, legumes, eggs) over beef, lamb and fish.",
    )
    fiber_min_g = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text="Per day.")
    sodium_max_mg = serializers.IntegerField(min_value=500, max_value=10000, required=False, help_text="Per day.")

    def validate_include_foods(self, value: list[Food]) -> list[int]:
        ids = [food.pk for food in value]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("A food is listed twice.", code="duplicate")
        return ids


class MealPlanGenerateSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: the user the plan is for.")
    days = serializers.IntegerField(min_value=1, max_value=MAX_GENERATED_DAYS, default=7)
    meals_per_day = serializers.IntegerField(min_value=3, max_value=6, default=4)
    goal = OptionalChoiceField(
        choices=Profile.FitnessGoal.choices, required=False, help_text="Default: the profile's goal."
    )
    targets = GenerateTargetsSerializer(
        required=False, help_text="Daily targets; each one left out comes from your targets (GET /nutrition/targets/)."
    )
    preferences = GeneratePreferencesSerializer(required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    name = OptionalCharField(max_length=120, required=False)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, help_text="The same inputs and seed give the same plan."
    )
    adaptive = serializers.BooleanField(
        default=True, help_text="Re-plan every Monday from your measured energy balance while this plan is active."
    )
    activate = serializers.BooleanField(default=False, help_text="Make it your active plan once it is ready.")


class GenerationAcceptedSerializer(serializers.Serializer):
    plan = serializers.IntegerField(help_text="The new plan's id.")
    status = serializers.CharField(help_text="`pending` until the plan is `ready` (or `failed`).")
    status_url = serializers.CharField(help_text="Poll it: the plan, with `generation_status`.")


class SwapItemSerializer(serializers.Serializer):
    food = serializers.IntegerField()
    food_name = serializers.CharField()
    grams = serializers.FloatField()


class MacroValuesSerializer(serializers.Serializer):
    kcal = serializers.FloatField()
    protein_g = serializers.FloatField()
    carbohydrate_g = serializers.FloatField()
    fat_g = serializers.FloatField()


class SwapResultSerializer(serializers.Serializer):
    scheduled_meal = serializers.IntegerField()
    day = serializers.IntegerField()
    meal_time = serializers.ChoiceField(choices=MealTime.choices)
    meal = serializers.IntegerField(help_text="The new meal.")
    meal_name = serializers.CharField()
    replaced_meal = serializers.IntegerField()
    original_totals = MacroValuesSerializer()
    totals = MacroValuesSerializer()
    deviation_pct = serializers.DictField(child=serializers.FloatField(), help_text="New vs original, signed %.")
    within = serializers.BooleanField(help_text="kcal within 5 % and each macro within 10 % of the original.")
    items = SwapItemSerializer(many=True)


class ShoppingItemSerializer(serializers.Serializer):
    food = serializers.IntegerField()
    food_name = serializers.CharField()
    grams = serializers.FloatField(help_text="Total over the days.")
    uses = serializers.IntegerField(help_text="How many meals use it.")


class ShoppingCategorySerializer(serializers.Serializer):
    category = serializers.CharField()
    category_name = serializers.CharField()
    items = ShoppingItemSerializer(many=True)


class ShoppingListSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    first_day = serializers.IntegerField()
    last_day = serializers.IntegerField()
    categories = ShoppingCategorySerializer(many=True)
    total_items = serializers.IntegerField()


class ShoppingQuerySerializer(serializers.Serializer):
    from_day = serializers.IntegerField(
        min_value=1, max_value=MAX_PLAN_DAYS, required=False, help_text="First day (default 1)."
    )
    to_day = serializers.IntegerField(
        min_value=1, max_value=MAX_PLAN_DAYS, required=False, help_text="Last day (default the plan's last)."
    )


class TargetChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    trigger = serializers.ChoiceField(choices=TargetChange.Trigger.choices)
    week_start = serializers.DateField(allow_null=True)
    changed = serializers.BooleanField()
    kcal_before = serializers.IntegerField(allow_null=True)
    kcal_after = serializers.IntegerField(allow_null=True)
    before = serializers.DictField(help_text="kcal and macros before.")
    after = serializers.DictField(help_text="kcal and macros after.")
    tdee_kcal = serializers.IntegerField(allow_null=True, help_text="The measured TDEE, when there was enough data.")
    reason = serializers.CharField()
    numbers = serializers.DictField(help_text="Every number the decision used.")
    plan = serializers.IntegerField(
        source="plan_id", allow_null=True, help_text="The plan generated with the new targets."
    )
    created_at = serializers.DateTimeField()


class AdaptResultSerializer(serializers.Serializer):
    change = TargetChangeSerializer()
    plan = serializers.IntegerField(allow_null=True, help_text="Next week's plan, being generated; null: no change.")
    status_url = serializers.CharField(allow_null=True)


# --- diary ----------------------------------------------------------------------------


class DiaryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    date = serializers.DateField(read_only=True)
    meal_time = serializers.ChoiceField(choices=MealTime.choices, read_only=True)
    food = serializers.IntegerField(source="food_id", read_only=True)
    food_name = serializers.CharField(source="food.name", read_only=True)
    grams = serializers.FloatField(read_only=True)
    portion = serializers.IntegerField(source="portion_id", read_only=True, allow_null=True)
    portion_count = serializers.FloatField(read_only=True, allow_null=True)
    meal = serializers.IntegerField(source="meal_id", read_only=True, allow_null=True)
    plan = serializers.IntegerField(source="plan_id", read_only=True, allow_null=True)
    note = OptionalCharField(read_only=True)
    source = serializers.ChoiceField(choices=FoodLogEntry.Source.choices, read_only=True)  # type: ignore[assignment]  # a field named like a Field attribute
    kcal = serializers.SerializerMethodField()
    protein_g = serializers.SerializerMethodField()
    carbohydrate_g = serializers.SerializerMethodField()
    fat_g = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    get_kcal = staticmethod(_share("energy_kcal"))
    get_protein_g = staticmethod(_share("protein_g"))
    get_carbohydrate_g = staticmethod(_share("carbohydrate_g"))
    get_fat_g = staticmethod(_share("fat_g"))


class DiaryEntryInputSerializer(AmountInputSerializer):
    """Log a food (with grams, or a portion x count), or a whole ``meal`` (one entry per item)."""

    user = TenantUserField(required=False, help_text="API keys: whose diary.")
    date = serializers.DateField(required=False, help_text="Default: today in the user's time zone.")
    meal_time = serializers.ChoiceField(choices=MealTime.choices)
    food = _visible_food()
    meal = ScopedRelatedField(
        model=Meal,
        owner_field="user",
        global_rows=True,
        tenant_shared={"is_template": True},
        required=False,
        allow_null=True,
        help_text="Log this meal's items instead of one food.",
    )
    note = OptionalCharField(max_length=500, required=False)
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like a Field attribute
        choices=[("manual", "Manual"), ("barcode", "Barcode scan"), ("partner", "Partner API")], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["food"].required = False
        self.fields["food"].allow_null = True

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_food = attrs.get("food") is not None
        has_meal = attrs.get("meal") is not None
        if has_food == has_meal:
            raise serializers.ValidationError({"food": ["Give a food (and an amount) or a meal."]}, code="invalid")
        if has_meal:
            if any(attrs.get(name) is not None for name in ("grams", "portion", "portion_count")):
                raise serializers.ValidationError(
                    {"meal": ["A meal is logged as it is: leave grams and portions out."]}, code="invalid"
                )
            return attrs
        return super().validate(attrs)


class DiaryEntryUpdateSerializer(StrictKeysSerializer):
    date = serializers.DateField(required=False)
    meal_time = serializers.ChoiceField(choices=MealTime.choices, required=False)
    food = _visible_food()
    grams = FiniteFloatField(min_value=0.1, max_value=MAX_GRAMS, required=False)
    portion = ScopedRelatedField(model=FoodPortion, global_rows=True, required=False, allow_null=True)
    portion_count = FiniteFloatField(min_value=0.01, max_value=MAX_PORTION_COUNT, required=False, allow_null=True)
    note = OptionalCharField(max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["food"].required = False


class DiaryDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    entries = DiaryEntrySerializer(many=True)
    totals = TotalsSerializer()
    targets = TargetValuesSerializer(help_text="null values: the profile cannot give a target yet.")
    remaining = DifferenceSerializer(help_text="Target minus total.")


class LogPlanDayInputSerializer(StrictKeysSerializer):
    plan = ScopedRelatedField(model=MealPlan, owner_field="user", global_rows=True, tenant_shared={"is_template": True})
    day_of_plan = serializers.IntegerField(min_value=1, max_value=MAX_PLAN_DAYS)
    date = serializers.DateField(required=False, help_text="Default: today in the user's time zone.")
    user = TenantUserField(required=False, help_text="API keys: whose diary.")


class SummaryDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    logged = serializers.BooleanField()
    totals = TotalsSerializer()
    targets = TargetValuesSerializer()
    remaining = DifferenceSerializer()
    adherence_percent = serializers.FloatField(
        allow_null=True, help_text="100 on the energy target, one point less per percent over or under."
    )


class SummaryWeekSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days_logged = serializers.IntegerField()
    average = TotalsSerializer(allow_null=True, help_text="Per logged day.")


class MicronutrientIntakeSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[(m.key, m.label) for m in MICRONUTRIENTS])
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    unit = serializers.ChoiceField(choices=[("mg", "mg"), ("ug", "µg"), ("g", "g")])
    total = serializers.FloatField(allow_null=True)
    daily_average = serializers.FloatField(allow_null=True, help_text="Per logged day.")
    reference_intake = serializers.FloatField(allow_null=True)
    is_limit = serializers.BooleanField(help_text="The reference is a daily maximum, not a target.")
    percent_of_reference = serializers.FloatField(allow_null=True)


class DiarySummarySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days_logged = serializers.IntegerField()
    adherence_percent = serializers.FloatField(allow_null=True)
    days = SummaryDaySerializer(many=True)
    weeks = SummaryWeekSerializer(many=True)
    micronutrients = MicronutrientIntakeSerializer(many=True)


# --- targets --------------------------------------------------------------------------


class TargetsSerializer(serializers.Serializer):
    targets = TargetValuesSerializer(help_text="What applies: your override where set, else the computed value.")
    computed = TargetValuesSerializer(help_text="From the profile; null where the profile lacks data.")
    overrides = TargetValuesSerializer()
    explanation = serializers.DictField(help_text="`method`, `formula`, `inputs` and the intermediate values.")


class TargetOverrideInputSerializer(StrictKeysSerializer):
    user = TenantUserField(required=False, help_text="API keys: whose targets.")
    kcal = serializers.IntegerField(min_value=800, max_value=10000, allow_null=True, required=False, default=None)
    protein_g = serializers.IntegerField(min_value=0, max_value=1000, allow_null=True, required=False, default=None)
    carbohydrate_g = serializers.IntegerField(
        min_value=0, max_value=1500, allow_null=True, required=False, default=None
    )
    fat_g = serializers.IntegerField(min_value=0, max_value=1000, allow_null=True, required=False, default=None)
