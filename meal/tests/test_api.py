"""The nutrition API as clients use it: foods, meals, plans, diary and targets."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from meal.models import FavoriteFood, Food, FoodLogEntry, Meal, MealItem, MealPlan, ScheduledMeal, TargetOverride
from meal.tests.factories import (
    FoodFactory,
    FoodLogEntryFactory,
    FoodPortionFactory,
    MealFactory,
    MealItemFactory,
    MealPlanFactory,
    ScheduledMealFactory,
)
from users.tests.factories import ProfileFactory, UserFactory

FOODS = "/api/v1/nutrition/foods/"
MEALS = "/api/v1/nutrition/meals/"
PLANS = "/api/v1/nutrition/plans/"
DIARY = "/api/v1/nutrition/diary/"
TARGETS = "/api/v1/nutrition/targets/"

pytestmark = pytest.mark.django_db


def custom_food(user, **kwargs):
    return FoodFactory.create(tenant=user.tenant, owner=user, source="custom", **kwargs)


# --- foods ----------------------------------------------------------------------------


def test_food_list_filters_and_pages(user_client: APIClient) -> None:
    FoodFactory.create(name="Tofu, raw", vegan=True, vegetarian=True, protein_g=15, energy_kcal=76)
    FoodFactory.create(name="Cheddar", vegan=False, vegetarian=True, allergens=["milk"], protein_g=25, energy_kcal=403)
    FoodFactory.create(name="Beef, ground", vegan=False, vegetarian=False, protein_g=26, energy_kcal=250)

    names = lambda r: [row["name"] for row in r.json()["results"]]  # noqa: E731
    assert names(user_client.get(FOODS, {"vegan": "true"})) == ["Tofu, raw"]
    assert names(user_client.get(FOODS, {"allergen_free": "milk", "min_protein": 20})) == ["Beef, ground"]
    assert names(user_client.get(FOODS, {"max_kcal": 100})) == ["Tofu, raw"]
    assert names(user_client.get(FOODS, {"ordering": "-protein_g"})) == ["Beef, ground", "Cheddar", "Tofu, raw"]
    page = user_client.get(FOODS, {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1
    for bad in ({"allergen_free": "peanut"}, {"vegan": "maybe"}, {"max_kcal": -1}, {"ordering": "secret"}):
        response = user_client.get(FOODS, bad)
        assert response.status_code == 400, bad
        assert response["Content-Type"].startswith("application/problem+json")


def test_food_search_ranks_the_name_match_first(user_client: APIClient) -> None:
    FoodFactory.create(name="Soup, chicken noodle, canned")
    FoodFactory.create(name="Chicken breast, roasted")
    FoodFactory.create(name="Broccoli, raw")
    results = user_client.get(FOODS, {"search": "chicken breast"}).json()["results"]
    assert results[0]["name"] == "Chicken breast, roasted"
    assert "Broccoli, raw" not in [row["name"] for row in results]


def test_food_list_queries_do_not_grow_with_rows(user_client: APIClient, django_assert_max_num_queries) -> None:
    FoodFactory.create_batch(3)
    with django_assert_max_num_queries(4) as small:
        user_client.get(FOODS, {"search": "food"})
    FoodFactory.create_batch(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(user_client.get(FOODS, {"search": "food"}).json()["results"]) == 20


def test_custom_food_is_private_to_its_owner(user, tenant) -> None:
    owner = jwt_client_for(user)
    body = {
        "name": "Granola bar",
        "brand": "Homemade",
        "barcode": "012345678905",  # UPC-A, stored as EAN-13
        "energy_kcal": 450,
        "protein_g": 9,
        "carbohydrate_g": 60,
        "fat_g": 18,
        "micronutrients": {"iron_mg": 2.5},
        "allergens": ["gluten", "tree_nuts"],
        "portions": [{"label": "1 bar", "grams": 40}],
    }
    created = owner.post(FOODS, body, format="json")
    assert created.status_code == 201, created.json()
    food = created.json()
    assert food["barcode"] == "0012345678905"
    assert food["micronutrients"] == [{"key": "iron_mg", "label": "Iron", "unit": "mg", "amount": 2.5}]
    assert food["portions"][0]["grams"] == 40.0
    assert Food.objects.get(pk=food["id"]).owner == user

    neighbour = jwt_client_for(UserFactory.create(tenant=tenant))
    assert neighbour.get(f"{FOODS}{food['id']}/").status_code == 404
    assert neighbour.get(f"{FOODS}barcode/012345678905/").status_code == 404
    assert food["id"] not in [row["id"] for row in neighbour.get(FOODS).json()["results"]]
    # The tenant's API key sees it (it acts for every user of the tenant), another tenant's does not.
    assert api_key_client_for(tenant).get(f"{FOODS}{food['id']}/").status_code == 200
    assert owner.get(f"{FOODS}barcode/0012345678905/").json()["id"] == food["id"]


def test_catalogue_food_is_read_only(user_client: APIClient) -> None:
    food = FoodFactory.create(name="Apple, raw")
    response = user_client.patch(f"{FOODS}{food.pk}/", {"name": "Mine now"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "read_only"
    assert user_client.delete(f"{FOODS}{food.pk}/").status_code == 403
    food.refresh_from_db()
    assert food.name == "Apple, raw"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"energy_kcal": -5}, "energy_kcal"),
        ({"energy_kcal": 5000}, "energy_kcal"),
        ({"protein_g": "NaN"}, "protein_g"),
        ({"barcode": "4006381333932"}, "barcode"),
        ({"barcode": "12ab"}, "barcode"),
        ({"micronutrients": {"vitamin_x": 1}}, "micronutrients"),
        ({"fat_g": 90, "protein_g": 50}, "fat_g"),
        ({"portions": [{"label": "1 cup", "grams": 0}]}, "portions[0].grams"),
        ({"allergens": ["peanut"]}, "allergens[0]"),
    ],
)
def test_custom_food_bad_input_is_a_field_error(user_client: APIClient, change: dict, field: str) -> None:
    body = {"name": "X", "energy_kcal": 100, "protein_g": 1, "carbohydrate_g": 1, "fat_g": 1, **change}
    response = user_client.post(FOODS, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not Food.objects.filter(source="custom").exists()


def test_barcode_lookup(user_client: APIClient) -> None:
    food = FoodFactory.create(name="Nutella", barcode="3017620422003", source="off", source_id="3017620422003")
    FoodPortionFactory.create(food=food, label="1 tbsp", grams=15)
    found = user_client.get(f"{FOODS}barcode/3017620422003/")
    assert found.status_code == 200 and found.json()["portions"][0]["label"] == "1 tbsp"
    missing = user_client.get(f"{FOODS}barcode/4006381333931/")
    assert missing.status_code == 404 and missing.json()["code"] == "food_not_found"
    bad = user_client.get(f"{FOODS}barcode/3017620422004/")
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_check_digit"


def test_food_detail_queries(user_client: APIClient, django_assert_max_num_queries) -> None:
    food = FoodFactory.create()
    FoodPortionFactory.create_batch(5, food=food)
    with django_assert_max_num_queries(5):
        body = user_client.get(f"{FOODS}{food.pk}/").json()
    assert len(body["portions"]) == 5
    assert {"key": "calcium_mg", "label": "Calcium", "unit": "mg", "amount": 20.0} in body["micronutrients"]


def test_favourites_and_recent_foods(user, user_client: APIClient) -> None:
    apple, pear, plum = (
        FoodFactory.create(name="Apple"),
        FoodFactory.create(name="Pear"),
        FoodFactory.create(name="Plum"),
    )
    assert user_client.post(f"{FOODS}{pear.pk}/favorite/").status_code == 204
    assert user_client.post(f"{FOODS}{pear.pk}/favorite/").status_code == 204  # idempotent
    assert [f["name"] for f in user_client.get(f"{FOODS}favorites/").json()["results"]] == ["Pear"]
    assert user_client.get(f"{FOODS}{pear.pk}/").json()["is_favorite"] is True
    assert user_client.delete(f"{FOODS}{pear.pk}/favorite/").status_code == 204
    assert FavoriteFood.objects.for_tenant(user.tenant).count() == 0

    for food in (apple, plum, apple):
        user_client.post(DIARY, {"meal_time": "snack", "food": food.pk, "grams": 100}, format="json")
    assert [f["name"] for f in user_client.get(f"{FOODS}recent/").json()] == ["Apple", "Plum"]


# --- meals ----------------------------------------------------------------------------


def test_meal_with_grams_and_portions_totals_in_sql(user_client: APIClient, django_assert_max_num_queries) -> None:
    oats = FoodFactory.create(name="Oats", energy_kcal=380, protein_g=13, carbohydrate_g=67, fat_g=7)
    cup = FoodPortionFactory.create(food=oats, label="1 cup", grams=80)
    milk = FoodFactory.create(name="Milk", energy_kcal=60, protein_g=3.3, carbohydrate_g=4.8, fat_g=3.2)
    body = {
        "name": "Porridge",
        "meal_time": "breakfast",
        "items": [{"food": oats.pk, "portion": cup.pk, "portion_count": 1.5}, {"food": milk.pk, "grams": 250}],
    }
    response = user_client.post(MEALS, body, format="json")
    assert response.status_code == 201, response.json()
    meal = response.json()
    assert meal["items"][0]["grams"] == 120.0
    assert meal["totals"]["kcal"] == round(380 * 1.2 + 60 * 2.5, 1)
    assert meal["totals"]["protein_g"] == round(13 * 1.2 + 3.3 * 2.5, 1)

    for _ in range(3):
        user_client.post(MEALS, body, format="json")
    with django_assert_max_num_queries(6):
        listed = user_client.get(MEALS).json()
    assert listed["count"] == 4 and all(len(m["items"]) == 2 for m in listed["results"])


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"grams": -10}, "items[0].grams"),
        ({"grams": 50000}, "items[0].grams"),
        ({}, "items[0].grams"),
        ({"grams": 10, "food": 999999}, "items[0].food"),
    ],
)
def test_meal_bad_items_write_nothing(user_client: APIClient, item: dict, field: str) -> None:
    food = FoodFactory.create()
    response = user_client.post(
        MEALS, {"name": "Bad", "meal_time": "lunch", "items": [{"food": food.pk, **item}]}, format="json"
    )
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Meal.objects.exists() and not MealItem.objects.exists()


def test_meal_cannot_use_another_users_private_food(user, tenant) -> None:
    secret = custom_food(UserFactory.create(tenant=tenant), name="Neighbour's stew")
    client = jwt_client_for(user)
    response = client.post(
        MEALS, {"name": "M", "meal_time": "lunch", "items": [{"food": secret.pk, "grams": 100}]}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "items[0].food"
    # Nor can the tenant's API key put one user's private food into another user's meal.
    key = api_key_client_for(tenant)
    response = key.post(
        MEALS,
        {"user": user.pk, "name": "M", "meal_time": "lunch", "items": [{"food": secret.pk, "grams": 100}]},
        format="json",
    )
    assert response.status_code == 400
    assert not Meal.objects.exists()


def test_template_meals_are_shared_and_copyable(user, tenant, tenant_admin) -> None:
    food = FoodFactory.create()
    staff_template = MealFactory.create(tenant=None, user=None, name="FitCore oats")
    MealItemFactory.create(meal=staff_template, food=food, grams=90)
    admin = jwt_client_for(tenant_admin)
    made = admin.post(MEALS, {"is_template": True, "name": "Club salad", "meal_time": "lunch"}, format="json")
    assert made.status_code == 201 and made.json()["is_template"] is True

    member = jwt_client_for(user)
    names = {m["name"] for m in member.get(MEALS).json()["results"]}
    assert names == {"FitCore oats", "Club salad"}
    assert (
        member.post(MEALS, {"is_template": True, "name": "x", "meal_time": "lunch"}, format="json").status_code == 403
    )
    assert member.patch(f"{MEALS}{made.json()['id']}/", {"name": "mine"}, format="json").status_code == 403

    copy = member.post(f"{MEALS}{staff_template.pk}/copy/", {}, format="json")
    assert copy.status_code == 201
    assert copy.json()["user"] == user.pk and copy.json()["totals"]["kcal"] == 90.0
    assert member.patch(f"{MEALS}{copy.json()['id']}/", {"name": "My oats"}, format="json").status_code == 200
    # Another tenant sees FitCore's template but not this tenant's.
    other = jwt_client_for(UserFactory.create())
    assert {m["name"] for m in other.get(MEALS).json()["results"]} == {"FitCore oats"}


# --- plans ----------------------------------------------------------------------------


def _plan_with(user, days: int, meals_per_day: int) -> MealPlan:
    plan = MealPlanFactory.create(tenant=user.tenant, user=user, duration_days=days)
    food = FoodFactory.create(energy_kcal=200, protein_g=20, carbohydrate_g=20, fat_g=5)
    for day in range(1, days + 1):
        for slot in range(meals_per_day):
            meal = MealFactory.create(tenant=user.tenant, user=user)
            MealItemFactory.create(meal=meal, food=food, grams=100 + slot)
            MealItemFactory.create(meal=meal, food=food, grams=50)
            ScheduledMealFactory.create(plan=plan, day_of_plan=day, meal=meal, position=slot)
    return plan


def test_plan_detail_totals_per_day_in_constant_queries(user, user_client, django_assert_max_num_queries) -> None:
    small = _plan_with(user, days=1, meals_per_day=1)
    with django_assert_max_num_queries(8) as captured:
        user_client.get(f"{PLANS}{small.pk}/")
    big = _plan_with(user, days=7, meals_per_day=4)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        body = user_client.get(f"{PLANS}{big.pk}/").json()
    assert len(body["days"]) == 7 and all(len(day["meals"]) == 4 for day in body["days"])
    # 4 meals of (100+slot + 50) g at 200 kcal per 100 g.
    expected = sum((150 + slot) * 2 for slot in range(4))
    assert body["days"][0]["totals"]["kcal"] == expected
    assert body["days"][0]["difference"]["kcal"] == expected - 2000


def test_plan_schedule_day_outside_the_plan_is_refused(user, user_client) -> None:
    meal = MealFactory.create(tenant=user.tenant, user=user)
    body = {"name": "Week", "duration_days": 7, "schedule": [{"day_of_plan": 8, "meal": meal.pk}]}
    response = user_client.post(PLANS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "schedule[0].day_of_plan"
    assert not MealPlan.objects.exists()


def test_copy_a_staff_template_plan_then_activate_one_at_a_time(user, user_client) -> None:
    template = MealPlanFactory.create(tenant=None, user=None, name="Lean week")
    meal = MealFactory.create(tenant=None, user=None)
    MealItemFactory.create(meal=meal, grams=100)
    ScheduledMealFactory.create(plan=template, meal=meal, day_of_plan=3)
    first = user_client.post(f"{PLANS}{template.pk}/copy/", {}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "draft" and first.json()["copied_from"] == template.pk
    assert first.json()["days"][2]["totals"]["kcal"] == 100.0
    second = user_client.post(f"{PLANS}{template.pk}/copy/", {}, format="json").json()

    assert user_client.post(f"{PLANS}{first.json()['id']}/activate/", {}, format="json").json()["status"] == "active"
    assert user_client.post(f"{PLANS}{second['id']}/activate/", {}, format="json").json()["status"] == "active"
    statuses = dict(MealPlan.objects.filter(user=user).values_list("pk", "status"))
    assert statuses == {first.json()["id"]: "archived", second["id"]: "active"}
    refused = user_client.post(f"{PLANS}{template.pk}/activate/", {}, format="json")
    assert refused.status_code == 403


# --- diary ----------------------------------------------------------------------------


def test_diary_day_and_entries(user, user_client, django_assert_max_num_queries) -> None:
    ProfileFactory.create(user=user, timezone="Pacific/Auckland")
    rice = FoodFactory.create(name="Rice", energy_kcal=130, protein_g=2.7, carbohydrate_g=28, fat_g=0.3)
    cup = FoodPortionFactory.create(food=rice, label="1 cup", grams=158)
    logged = user_client.post(
        DIARY, {"meal_time": "dinner", "food": rice.pk, "portion": cup.pk, "portion_count": 2}, format="json"
    )
    assert logged.status_code == 201, logged.json()
    entry = logged.json()[0]
    assert entry["grams"] == 316.0 and entry["kcal"] == round(316 * 1.3, 1)
    assert entry["date"] == user.profile.local_today.isoformat()  # today where the user is

    day = user_client.get(DIARY, {"date": entry["date"]}).json()
    assert day["totals"]["kcal"] == round(316 * 1.3, 1)
    for _ in range(10):
        FoodLogEntryFactory.create(user=user, date=date.fromisoformat(entry["date"]), food=rice)
    with django_assert_max_num_queries(7):
        assert len(user_client.get(DIARY, {"date": entry["date"]}).json()["entries"]) == 11

    changed = user_client.patch(f"{DIARY}{entry['id']}/", {"grams": 100}, format="json")
    assert changed.status_code == 200 and changed.json()["portion"] is None and changed.json()["kcal"] == 130.0
    assert user_client.delete(f"{DIARY}{entry['id']}/").status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"meal_time": "lunch", "grams": 100},
        {"meal_time": "lunch", "food": "FOOD", "grams": -1},
        {"meal_time": "lunch", "food": "FOOD", "grams": 100, "date": "2026-02-30"},
        {"meal_time": "lunch", "food": "FOOD", "grams": 100, "date": "30/11/2026"},
        {"meal_time": "brunch", "food": "FOOD", "grams": 100},
        {"meal_time": "lunch", "food": 999999, "grams": 100},
    ],
)
def test_diary_bad_input_writes_nothing(user_client: APIClient, body: dict) -> None:
    food = FoodFactory.create()
    body = {k: (food.pk if v == "FOOD" else v) for k, v in body.items()}
    response = user_client.post(DIARY, body, format="json")
    assert response.status_code == 400, response.json()
    assert not FoodLogEntry.unscoped.exists()


def test_diary_day_with_a_bad_date_is_a_400(user_client: APIClient) -> None:
    response = user_client.get(DIARY, {"date": "2026-13-01"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "date"


def test_log_a_meal_and_a_plan_day(user, user_client) -> None:
    plan = _plan_with(user, days=2, meals_per_day=2)
    meal = ScheduledMeal.objects.filter(plan=plan).earliest("id").meal
    as_meal = user_client.post(DIARY, {"meal_time": "lunch", "meal": meal.pk}, format="json")
    assert as_meal.status_code == 201 and len(as_meal.json()) == 2
    assert {e["source"] for e in as_meal.json()} == {"meal"}

    logged = user_client.post(
        f"{DIARY}log-plan-day/", {"plan": plan.pk, "day_of_plan": 2, "date": "2026-11-20"}, format="json"
    )
    assert logged.status_code == 201 and len(logged.json()) == 4
    assert FoodLogEntry.objects.for_tenant(user.tenant).filter(date=date(2026, 11, 20), plan=plan).count() == 4
    outside = user_client.post(f"{DIARY}log-plan-day/", {"plan": plan.pk, "day_of_plan": 3}, format="json")
    assert outside.status_code == 400 and outside.json()["errors"][0]["field"] == "day_of_plan"


def test_diary_summary_over_30_days(user, user_client, django_assert_max_num_queries) -> None:
    ProfileFactory.create(
        user=user,
        birth_date=date(1990, 1, 1),
        sex="female",
        height_cm=Decimal("165"),
        weight_kg=Decimal("60"),
        activity_level="moderate",
        fitness_goal="maintain",
    )
    food = FoodFactory.create(energy_kcal=100, micronutrients={"calcium_mg": 100.0, "iron_mg": 1.0})
    start = date(2026, 11, 1)
    for offset in range(0, 30, 2):
        FoodLogEntryFactory.create(user=user, date=start + timedelta(days=offset), food=food, grams=1000)
    end = start + timedelta(days=29)
    with django_assert_max_num_queries(8) as small:
        body = user_client.get(f"{DIARY}summary/", {"start": start, "end": end}).json()
    assert body["days_logged"] == 15 and len(body["days"]) == 30 and len(body["weeks"]) == 5
    assert body["days"][0]["totals"]["kcal"] == 1000.0 and body["days"][1]["logged"] is False
    calcium = next(m for m in body["micronutrients"] if m["key"] == "calcium_mg")
    assert calcium["daily_average"] == 1000.0 and calcium["percent_of_reference"] == 125.0
    assert body["days"][0]["targets"]["kcal"] > 1200
    for offset in range(30):
        FoodLogEntryFactory.create_batch(3, user=user, date=start + timedelta(days=offset), food=food)
    with django_assert_max_num_queries(len(small.captured_queries)):
        user_client.get(f"{DIARY}summary/", {"start": start, "end": end})
    too_long = user_client.get(f"{DIARY}summary/", {"start": start, "end": start + timedelta(days=200)})
    assert too_long.status_code == 400


def test_api_key_logs_for_its_users_only(user, tenant) -> None:
    key = api_key_client_for(tenant, ["nutrition:write"])
    food = FoodFactory.create()
    missing_user = key.post(DIARY, {"meal_time": "lunch", "food": food.pk, "grams": 50}, format="json")
    assert missing_user.status_code == 400
    written = key.post(DIARY, {"user": user.pk, "meal_time": "lunch", "food": food.pk, "grams": 50}, format="json")
    assert written.status_code == 201 and written.json()[0]["source"] == "partner"
    stranger = UserFactory.create()
    foreign = key.post(DIARY, {"user": stranger.pk, "meal_time": "lunch", "food": food.pk, "grams": 50}, format="json")
    assert foreign.status_code == 400
    assert key.get(DIARY, {"user": stranger.pk}).status_code == 404
    read_only = api_key_client_for(tenant, ["nutrition:read"])
    assert (
        read_only.post(
            DIARY, {"user": user.pk, "meal_time": "lunch", "food": food.pk, "grams": 5}, format="json"
        ).status_code
        == 403
    )


# --- targets --------------------------------------------------------------------------


def test_targets_explained_and_overridden(user, user_client) -> None:
    missing = user_client.get(TARGETS)
    assert missing.status_code == 422 and missing.json()["code"] == "profile_incomplete"
    assert {e["field"] for e in missing.json()["errors"]} == {
        "birth_date",
        "sex",
        "height_cm",
        "weight_kg",
        "activity_level",
    }

    ProfileFactory.create(
        user=user,
        birth_date=date(1986, 6, 15),
        sex="male",
        height_cm=Decimal("180"),
        weight_kg=Decimal("80"),
        activity_level="moderate",
        fitness_goal="lose",
    )
    body = user_client.get(TARGETS).json()
    age = 40  # on 2026-12-01
    bmr = 10 * 80 + 6.25 * 180 - 5 * age + 5
    assert body["explanation"]["method"] == "mifflin_st_jeor"
    assert body["explanation"]["bmr_kcal"] == round(bmr)
    assert body["computed"]["kcal"] == round(bmr * 1.55 * 0.8)
    assert body["computed"]["protein_g"] == 160  # 2.0 g/kg while losing
    assert body["overrides"]["kcal"] is None

    changed = user_client.put(TARGETS, {"kcal": 2100}, format="json")
    assert changed.status_code == 200
    assert changed.json()["targets"]["kcal"] == 2100 and changed.json()["computed"]["kcal"] == round(bmr * 1.55 * 0.8)
    assert TargetOverride.objects.for_tenant(user.tenant).get(user=user).kcal == 2100
    assert user_client.put(TARGETS, {"kcal": 300}, format="json").status_code == 400


def test_targets_floor_is_applied(user, user_client) -> None:
    ProfileFactory.create(
        user=user,
        birth_date=date(1950, 1, 1),
        sex="female",
        height_cm=Decimal("150"),
        weight_kg=Decimal("45"),
        activity_level="sedentary",
        fitness_goal="lose",
    )
    body = user_client.get(TARGETS).json()
    assert body["computed"]["kcal"] == 1200 and body["explanation"]["floor_applied"] is True


def test_dashboard_and_export_sections(user, user_client) -> None:
    food = custom_food(user, name="My soup", energy_kcal=50)
    user_client.post(DIARY, {"meal_time": "lunch", "food": food.pk, "grams": 300}, format="json")
    dashboard = user_client.get("/api/v1/users/me/dashboard/").json()
    assert dashboard["sections"]["nutrition"]["totals"]["kcal"] == 150.0
    assert dashboard["sections"]["nutrition"]["targets"]["kcal"] is None  # the profile is empty
    export = user_client.get("/api/v1/users/me/export/").json()["sections"]["nutrition"]
    assert [f["name"] for f in export["custom_foods"]] == ["My soup"]
    assert export["diary"][0]["grams"] == 300.0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_trigger_keeps_the_search_vector(user) -> None:
    food = FoodFactory.create(name="Chicken breast")
    assert Food.objects.filter(pk=food.pk, search_vector__isnull=False).exists()


# --- found in review ----------------------------------------------------------------------


def test_a_user_with_private_foods_in_use_can_delete_their_account(user, user_client) -> None:
    from users.services import user_delete

    food = custom_food(user, name="My stew")
    meal = MealFactory.create(tenant=user.tenant, user=user)
    MealItemFactory.create(meal=meal, food=food)
    plan = MealPlanFactory.create(tenant=user.tenant, user=user)
    ScheduledMealFactory.create(plan=plan, meal=meal)
    FoodLogEntryFactory.create(user=user, date=date(2026, 11, 1), food=food)
    user_delete(user=user)
    assert not Food.objects.filter(pk=food.pk).exists()
    assert not FoodLogEntry.unscoped.filter(food_id=food.pk).exists()
    # On its own, a food in use still cannot go.
    other = UserFactory.create()
    kept = custom_food(other)
    FoodLogEntryFactory.create(user=other, date=date(2026, 11, 1), food=kept)
    response = jwt_client_for(other).delete(f"{FOODS}{kept.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "food_in_use"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("meals", {"items": [{"grams": 100}]}, "items[0].food"),
        ("plans", {"schedule": [{"meal": "MEAL"}]}, "schedule[0].day_of_plan"),
        ("foods", {"portions": [{"label": "x"}]}, "portions[0].grams"),
        ("foods", {"fat_g": 99}, "fat_g"),
    ],
)
def test_patch_validates_replaced_lists_and_the_whole_row(user, user_client, path: str, body: dict, field: str) -> None:
    food = custom_food(user, protein_g=10, carbohydrate_g=10, fat_g=2)
    meal = MealFactory.create(tenant=user.tenant, user=user)
    MealItemFactory.create(meal=meal, food=food)
    plan = MealPlanFactory.create(tenant=user.tenant, user=user)
    target = {"meals": meal.pk, "plans": plan.pk, "foods": food.pk}[path]
    body = {
        k: (
            [{kk: (meal.pk if vv == "MEAL" else vv) for kk, vv in item.items()} for item in v]
            if isinstance(v, list)
            else v
        )
        for k, v in body.items()
    }
    response = user_client.patch(f"/api/v1/nutrition/{path}/{target}/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert MealItem.objects.filter(meal=meal).count() == 1


def test_tiny_portions_and_foreign_portions_are_field_errors(user, tenant, user_client) -> None:
    food = FoodFactory.create()
    pinch = FoodPortionFactory.create(food=food, label="a pinch", grams=0.1)
    tiny = user_client.post(
        DIARY, {"meal_time": "lunch", "food": food.pk, "portion": pinch.pk, "portion_count": 0.01}, format="json"
    )
    assert tiny.status_code == 400 and tiny.json()["errors"][0]["field"] == "portion_count"
    # Another user's portion reads exactly like a missing one.
    theirs = FoodPortionFactory.create(food=custom_food(UserFactory.create(tenant=tenant)), grams=50)
    foreign = user_client.post(DIARY, {"meal_time": "lunch", "food": food.pk, "portion": theirs.pk}, format="json")
    missing = user_client.post(DIARY, {"meal_time": "lunch", "food": food.pk, "portion": 99999999}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert (
        foreign.json()["errors"][0]["code"] == "does_not_exist"
        and missing.json()["errors"][0]["code"] == "does_not_exist"
    )
    assert not FoodLogEntry.unscoped.exists()


def test_setting_targets_on_an_incomplete_profile_keeps_nothing(user, user_client) -> None:
    response = user_client.put(TARGETS, {"kcal": 2000}, format="json")
    assert response.status_code == 422
    assert not TargetOverride.objects.for_tenant(user.tenant).exists()
    # Overriding every target needs no profile at all.
    whole = user_client.put(
        TARGETS, {"kcal": 2000, "protein_g": 100, "carbohydrate_g": 250, "fat_g": 60}, format="json"
    )
    assert whole.status_code == 200 and whole.json()["explanation"]["method"] == "override"


def test_plan_schedule_is_resolved_in_a_constant_number_of_queries(
    user, user_client, django_assert_max_num_queries
) -> None:
    meals = [MealFactory.create(tenant=user.tenant, user=user) for _ in range(4)]

    def body(days: int) -> dict:
        schedule = [{"day_of_plan": d, "meal": m.pk} for d in range(1, days + 1) for m in meals]
        return {"name": "P", "duration_days": days, "schedule": schedule}

    # Django validates the plan's check constraints with a query each: many, but not per entry.
    with django_assert_max_num_queries(30) as small:
        assert user_client.post(PLANS, body(1), format="json").status_code == 201
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert user_client.post(PLANS, body(14), format="json").status_code == 201


def test_options_on_every_nutrition_route_is_not_a_500(user, user_client) -> None:
    food = FoodFactory.create()
    for path in (FOODS, f"{FOODS}{food.pk}/", MEALS, PLANS, DIARY, f"{DIARY}summary/", TARGETS):
        assert user_client.options(path).status_code == 200, path


def test_allergen_free_takes_codes_and_empty_means_no_filter(user_client: APIClient) -> None:
    FoodFactory.create(name="Brie", allergens=["milk"])
    FoodFactory.create(name="Pear", allergens=[])
    assert user_client.get(FOODS, {"allergen_free": ""}).json()["count"] == 2
    assert [f["name"] for f in user_client.get(FOODS, {"allergen_free": "milk,eggs"}).json()["results"]] == ["Pear"]
