"""Query filters of /api/v1/nutrition/."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from fitcore.api.filters import FilterSet, StrictBooleanFilter
from users.models import Allergen

from . import selectors
from .models import Food, Meal, MealPlan, MealTime
from .nutrients import MAX_KCAL_PER_100G


class AllergenListField(forms.Field):
    """``milk,gluten``: EU-14 allergen codes, comma-separated."""

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        codes = [code.strip() for code in str(value).split(",")]
        unknown = sorted({code for code in codes if code not in Allergen.values})
        if unknown or len(codes) > len(Allergen.values):
            raise forms.ValidationError(
                f"Comma-separated allergen codes: {', '.join(Allergen.values)}.", code="invalid_choice"
            )
        return codes


class AllergenListFilter(django_filters.CharFilter):
    # A CharFilter, so an empty value means "no filter", as for the other text parameters.
    field_class = AllergenListField


class FoodFilter(FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Words of the name or brand; best match first (typos tolerated on PostgreSQL).",
    )
    category = django_filters.CharFilter(field_name="category__slug", max_length=64, help_text="A category slug.")
    source = django_filters.ChoiceFilter(choices=Food.Source.choices)
    vegan = StrictBooleanFilter()
    vegetarian = StrictBooleanFilter()
    allergen_free = AllergenListFilter(
        method="filter_allergen_free", help_text="Leave out foods that contain any of these allergens (milk,gluten)."
    )
    max_kcal = django_filters.NumberFilter(
        field_name="energy_kcal", lookup_expr="lte", min_value=0, max_value=MAX_KCAL_PER_100G, help_text="Per 100 g."
    )
    min_protein = django_filters.NumberFilter(
        field_name="protein_g", lookup_expr="gte", min_value=0, max_value=100, help_text="Grams per 100 g."
    )
    custom = StrictBooleanFilter(method="filter_custom", help_text="true: only private foods; false: only catalogue.")

    class Meta:
        model = Food
        fields = ["search", "category", "source", "vegan", "vegetarian", "allergen_free", "max_kcal", "min_protein"]

    def filter_search(self, queryset: QuerySet[Food], name: str, value: str) -> QuerySet[Food]:
        return selectors.food_search(queryset, value)

    def filter_allergen_free(self, queryset: QuerySet[Food], name: str, value: list[str]) -> QuerySet[Food]:
        # ``allergens`` holds what was derived on import (or what staff set): a food whose
        # source lists none passes, so apps should still show the label to allergic users.
        for code in value:
            queryset = queryset.exclude(allergens__icontains=f'"{code}"')
        return queryset

    def filter_custom(self, queryset: QuerySet[Food], name: str, value: bool) -> QuerySet[Food]:
        return queryset.filter(source="custom") if value else queryset.exclude(source="custom")


class MealFilter(FilterSet):
    meal_time = django_filters.ChoiceFilter(choices=MealTime.choices)
    is_template = StrictBooleanFilter()
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = Meal
        fields = ["meal_time", "is_template", "search"]


class MealPlanFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=MealPlan.Status.choices)
    is_template = StrictBooleanFilter()
    source = django_filters.ChoiceFilter(choices=MealPlan.Source.choices)

    class Meta:
        model = MealPlan
        fields = ["status", "is_template", "source"]
