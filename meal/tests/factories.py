"""Factories for the nutrition area. Catalogue foods have no tenant; custom foods need one and an owner."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from meal.models import Food, FoodCategory, FoodLogEntry, FoodPortion, Meal, MealItem, MealPlan, ScheduledMeal


class FoodCategoryFactory(DjangoModelFactory[FoodCategory]):
    class Meta:
        model = FoodCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Group {n}")


class FoodFactory(DjangoModelFactory[Food]):
    """A catalogue food (USDA SR); pass ``tenant`` and ``owner`` with ``source="custom"`` for a private one."""

    class Meta:
        model = Food

    name = factory.Sequence(lambda n: f"Food {n}, raw")
    source = Food.Source.USDA_SR
    source_id = factory.Sequence(lambda n: f"9{n:05d}")
    energy_kcal = 100.0
    protein_g = 10.0
    carbohydrate_g = 10.0
    fat_g = 2.0
    fiber_g = 1.0
    sugar_g = 1.0
    saturated_fat_g = 0.5
    sodium_mg = 50.0
    micronutrients: Any = factory.LazyFunction(lambda: {"calcium_mg": 20.0, "vitamin_c_mg": 5.0})


class FoodPortionFactory(DjangoModelFactory[FoodPortion]):
    class Meta:
        model = FoodPortion

    food = factory.SubFactory(FoodFactory)
    tenant = factory.LazyAttribute(lambda o: o.food.tenant)
    label = "1 cup"
    grams = 150.0


class MealFactory(DjangoModelFactory[Meal]):
    class Meta:
        model = Meal

    name = factory.Sequence(lambda n: f"Meal {n}")
    meal_time = "lunch"
    is_template = factory.LazyAttribute(lambda o: o.user is None)


class MealItemFactory(DjangoModelFactory[MealItem]):
    class Meta:
        model = MealItem

    meal = factory.SubFactory(MealFactory)
    tenant = factory.LazyAttribute(lambda o: o.meal.tenant)
    food = factory.SubFactory(FoodFactory)
    grams = 200.0


class MealPlanFactory(DjangoModelFactory[MealPlan]):
    class Meta:
        model = MealPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    duration_days = 7
    is_template = factory.LazyAttribute(lambda o: o.user is None)
    target_kcal = 2000
    target_protein_g = 120
    target_carbohydrate_g = 220
    target_fat_g = 70


class ScheduledMealFactory(DjangoModelFactory[ScheduledMeal]):
    class Meta:
        model = ScheduledMeal

    plan = factory.SubFactory(MealPlanFactory)
    tenant = factory.LazyAttribute(lambda o: o.plan.tenant)
    day_of_plan = 1
    meal_time = "lunch"


class FoodLogEntryFactory(DjangoModelFactory[FoodLogEntry]):
    class Meta:
        model = FoodLogEntry

    tenant = factory.LazyAttribute(lambda o: o.user.tenant)
    meal_time = "lunch"
    food = factory.SubFactory(FoodFactory)
    grams = 100.0
