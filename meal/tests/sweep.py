"""Isolation sweep cases for /api/v1/nutrition/ (see fitcore/tests/sweep.py)."""

from datetime import date

from fitcore.tests import sweep
from meal.models import (
    FavoriteFood,
    Food,
    FoodLogEntry,
    FoodPortion,
    Meal,
    MealItem,
    MealPlan,
    ScheduledMeal,
    TargetChange,
    TargetOverride,
)

# Not an id to the id-spelling test (a leading zero): a barcode is a code, not a row number.
A_BARCODE = "0012345678905"


@sweep.seeder
def seed_nutrition(world: sweep.World) -> None:
    # A's member has a private food (with a barcode and a portion), a meal, a plan and a diary;
    # A has a template meal of its own.
    food = Food.objects.create(
        tenant=world.a,
        owner=world.a_user,
        source="custom",
        source_id=world.marker("food-id"),
        name=world.marker("food"),
        brand=world.marker("brand"),
        barcode=A_BARCODE,
        energy_kcal=250,
        protein_g=10,
        carbohydrate_g=30,
        fat_g=8,
    )
    portion = FoodPortion.objects.create(tenant=world.a, food=food, label=world.marker("portion"), grams=40)
    meal = Meal.objects.create(tenant=world.a, user=world.a_user, name=world.marker("meal"), meal_time="lunch")
    MealItem.objects.create(tenant=world.a, meal=meal, food=food, grams=120)
    template = Meal.objects.create(
        tenant=world.a, user=None, is_template=True, name=world.marker("template"), meal_time="breakfast"
    )
    plan = MealPlan.objects.create(
        tenant=world.a, user=world.a_user, name=world.marker("plan"), duration_days=3, target_kcal=2100
    )
    scheduled = ScheduledMeal.objects.create(tenant=world.a, plan=plan, day_of_plan=1, meal_time="lunch", meal=meal)
    entry = FoodLogEntry.objects.create(
        tenant=world.a,
        user=world.a_user,
        date=date(2026, 11, 30),
        meal_time="lunch",
        food=food,
        grams=90,
        note=world.marker("note"),
    )
    FavoriteFood.objects.create(tenant=world.a, user=world.a_user, food=food)
    TargetOverride.objects.create(tenant=world.a, user=world.a_user, kcal=1999)
    TargetChange.objects.create(
        tenant=world.a,
        user=world.a_user,
        trigger="adapt",
        changed=True,
        kcal_before=2200,
        kcal_after=1999,
        reason=world.marker("target-change"),
        numbers={"note": world.marker("numbers")},
    )
    world.objects.update(
        food=food, portion=portion, meal=meal, template=template, plan=plan, entry=entry, scheduled=scheduled
    )


def _pk(name: str):
    return lambda w: {"pk": w.objects[name].pk}


# B creates its own food from this payload (nothing of A's in it): allowed, and A's rows stay as they were.
sweep.route(
    "meal:food-list",
    payload=lambda w: {"name": "b-food", "energy_kcal": 100, "protein_g": 1, "carbohydrate_g": 1, "fat_g": 1},
    payload_names_foreign=False,
)
sweep.route(
    "meal:food-detail",
    kwargs=_pk("food"),
    payload=lambda w: {"name": "renamed by b"},
    payload_names_foreign=False,
)
sweep.route("meal:food-barcode", kwargs=lambda w: {"code": A_BARCODE})
sweep.route("meal:food-favorites")
sweep.route("meal:food-recent")
sweep.route("meal:food-categories")
sweep.route("meal:food-favorite", kwargs=_pk("food"), payload=lambda w: {}, payload_names_foreign=False)
# B's meal naming A's private food and portion: "does not exist".
sweep.route(
    "meal:meal-list",
    payload=lambda w: {
        "name": "b-meal",
        "meal_time": "lunch",
        "items": [{"food": w.objects["food"].pk, "portion": w.objects["portion"].pk}],
    },
)
sweep.route("meal:meal-detail", kwargs=_pk("meal"), payload=lambda w: {"name": "x"}, payload_names_foreign=False)
sweep.route("meal:meal-copy", kwargs=_pk("template"), payload=lambda w: {}, payload_names_foreign=False)
sweep.route(
    "meal:plan-list",
    payload=lambda w: {
        "name": "b-plan",
        "duration_days": 2,
        "schedule": [{"day_of_plan": 1, "meal": w.objects["meal"].pk}],
    },
)
sweep.route("meal:plan-detail", kwargs=_pk("plan"), payload=lambda w: {"name": "x"}, payload_names_foreign=False)
sweep.route("meal:plan-copy", kwargs=_pk("plan"), payload=lambda w: {}, payload_names_foreign=False)
sweep.route("meal:plan-activate", kwargs=_pk("plan"), payload=lambda w: {}, payload_names_foreign=False)
sweep.route("meal:plan-archive", kwargs=_pk("plan"), payload=lambda w: {}, payload_names_foreign=False)
sweep.route("meal:diary-list", payload=lambda w: {"meal_time": "lunch", "food": w.objects["food"].pk, "grams": 50})
sweep.route("meal:diary-detail", kwargs=_pk("entry"), payload=lambda w: {"grams": 10}, payload_names_foreign=False)
sweep.route("meal:diary-summary")
sweep.route("meal:diary-log-plan-day", payload=lambda w: {"plan": w.objects["plan"].pk, "day_of_plan": 1})
sweep.route("meal:targets", payload=lambda w: {"kcal": 2500}, payload_names_foreign=False)
# Generation naming A's private food to include, and A's user: "does not exist" either way.
sweep.route(
    "meal:plan-generate",
    payload=lambda w: {
        "user": w.a_user.pk,
        "days": 1,
        "meals_per_day": 3,
        "targets": {"kcal": 2000, "protein_g": 120, "carbohydrate_g": 220, "fat_g": 70},
        "preferences": {"include_foods": [w.objects["food"].pk]},
    },
)
sweep.route(
    "meal:plan-swap",
    kwargs=lambda w: {"pk": w.objects["plan"].pk, "day": 1, "meal": w.objects["scheduled"].pk},
    payload=lambda w: {},
    payload_names_foreign=False,
)
sweep.route("meal:plan-shopping-list", kwargs=_pk("plan"))
sweep.route("meal:plan-adapt", kwargs=_pk("plan"), payload=lambda w: {}, payload_names_foreign=False)
sweep.route("meal:target-history-list")
