"""Staff views of nutrition: the food database, categories and templates are curated here.

Imported foods can be corrected (diet flags, allergens, category); a re-import of the
source updates nutrients and names, so edits that must survive belong on custom fields
or in the importer's rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from users.models import Allergen

from .models import (
    FavoriteFood,
    Food,
    FoodCategory,
    FoodLogEntry,
    FoodPortion,
    Meal,
    MealItem,
    MealPlan,
    ScheduledMeal,
    TargetChange,
    TargetOverride,
    food_fields,
)


class ChildRowsShareTenant(admin.ModelAdmin):
    """Inline rows (portions, meal items, scheduled meals) carry their parent's tenant, so a
    private food's portions stay private and a tenant's template's rows stay the tenant's."""

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        for row in formset.save(commit=False):
            row.tenant_id = form.instance.tenant_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()


@admin.register(FoodCategory)
class FoodCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class FoodPortionInline(admin.TabularInline):
    model = FoodPortion
    fields = ["label", "grams", "position"]
    extra = 0


class FoodAdminForm(forms.ModelForm):
    allergens = forms.MultipleChoiceField(choices=Allergen.choices, required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Food
        # Identity and ownership, then every column an importer writes.
        fields = ["source", "source_id", "tenant", "owner", *food_fields()]

    def clean_allergens(self) -> list[str]:
        return sorted(self.cleaned_data["allergens"])


@admin.register(Food)
class FoodAdmin(ChildRowsShareTenant):
    form = FoodAdminForm
    list_display = ["name", "brand", "barcode", "category", "source", "energy_kcal", "protein_g", "vegan", "tenant"]
    list_filter = ["source", "vegan", "vegetarian", "category", "energy_basis"]
    search_fields = ["name", "brand", "barcode", "source_id"]
    list_select_related = ["category", "tenant"]
    autocomplete_fields = ["category", "tenant", "owner"]
    inlines = [FoodPortionInline]

    show_full_result_count = False  # a COUNT(*) over the whole database on every page is wasted work
    fieldsets = [
        (None, {"fields": ["name", "brand", "barcode", "category", "source", "source_id", "tenant", "owner"]}),
        (
            "Per 100 g",
            {
                "fields": [
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
                ]
            },
        ),
        ("Diet", {"fields": ["vegan", "vegetarian", "allergens"]}),
    ]


class MealItemInlineFormSet(forms.BaseInlineFormSet):
    """A template is read by every member of its tenant (or of every tenant): it may only use
    foods they can all read, so no user's private food."""

    def clean(self) -> None:
        super().clean()
        meal = self.instance
        for form in self.forms:
            food = form.cleaned_data.get("food") if hasattr(form, "cleaned_data") else None
            if food is None or form.cleaned_data.get("DELETE"):
                continue
            private = food.tenant_id is not None
            if private and (meal.user_id is None or food.owner_id != meal.user_id):
                form.add_error("food", "A private food can only be in its owner's own meals.")


class MealItemInline(admin.TabularInline):
    model = MealItem
    formset = MealItemInlineFormSet
    fields = ["food", "grams", "portion", "portion_count", "position"]
    autocomplete_fields = ["food"]
    raw_id_fields = ["portion"]
    extra = 0


@admin.register(Meal)
class MealAdmin(ChildRowsShareTenant):
    """Staff templates have no tenant and no user: every app's members can copy them."""

    list_display = ["name", "meal_time", "is_template", "tenant", "user"]
    list_filter = ["is_template", "meal_time"]
    search_fields = ["name"]
    list_select_related = ["tenant", "user"]
    autocomplete_fields = ["tenant", "user"]
    inlines = [MealItemInline]


class ScheduledMealInline(admin.TabularInline):
    model = ScheduledMeal
    fields = ["day_of_plan", "meal_time", "meal", "position"]
    autocomplete_fields = ["meal"]
    extra = 0


@admin.register(MealPlan)
class MealPlanAdmin(ChildRowsShareTenant):
    list_display = ["name", "status", "source", "generation_status", "is_template", "duration_days", "tenant", "user"]
    list_filter = ["is_template", "status", "source", "generation_status"]
    search_fields = ["name"]
    list_select_related = ["tenant", "user"]
    autocomplete_fields = ["tenant", "user"]
    inlines = [ScheduledMealInline]


@admin.register(FoodLogEntry)
class FoodLogEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "meal_time", "user", "food", "grams", "source", "tenant"]
    list_filter = ["source", "meal_time"]
    search_fields = ["user__email", "food__name"]
    list_select_related = ["user", "food", "tenant"]
    raw_id_fields = ["user", "food", "portion", "meal", "plan"]
    date_hierarchy = "date"


@admin.register(FavoriteFood)
class FavoriteFoodAdmin(admin.ModelAdmin):
    list_display = ["user", "food", "created_at"]
    list_select_related = ["user", "food"]
    raw_id_fields = ["user", "food"]


@admin.register(TargetOverride)
class TargetOverrideAdmin(admin.ModelAdmin):
    list_display = ["user", "kcal", "protein_g", "carbohydrate_g", "fat_g"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(TargetChange)
class TargetChangeAdmin(admin.ModelAdmin):
    """The targets history, read-only: what changed a user's targets, when and from which numbers."""

    list_display = ["created_at", "user", "trigger", "changed", "kcal_before", "kcal_after", "tdee_kcal", "tenant"]
    list_filter = ["trigger", "changed"]
    search_fields = ["user__email", "reason"]
    list_select_related = ["user", "tenant"]
    raw_id_fields = ["user", "plan"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
