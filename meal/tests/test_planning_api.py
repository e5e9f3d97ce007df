"""Generated meal plans through the API: generation, swap, shopping list, adaptive re-planning, history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

import httpx
import pytest
import time_machine
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from fitcore import llm
from health.models import HealthSample
from meal.models import Food, FoodLogEntry, Meal, MealItem, MealPlan, ScheduledMeal, TargetChange, TargetOverride
from meal.planning import generation as plan_generation
from meal.planning import replanning
from notification.models import Notification
from notification.schedule import LocalTimeWindow
from payment.models import Subscription
from users.models import User
from users.tests.factories import ProfileFactory, UserFactory

GENERATE = "/api/v1/nutrition/plans/generate/"
NUTRIENTS = ("kcal", "protein_g", "carbohydrate_g", "fat_g")
TOLERANCE = {"kcal": 0.05, "protein_g": 0.10, "carbohydrate_g": 0.10, "fat_g": 0.10}


def subscribe(user: Any) -> None:
    Subscription.objects.create(
        tenant=user.tenant, user=user, status="active", current_period_end=timezone.now() + timedelta(days=20)
    )


def complete_profile(user: Any, **fields: Any) -> None:
    values = {
        "birth_date": date(1990, 5, 1),
        "sex": "female",
        "height_cm": Decimal("168"),
        "weight_kg": Decimal("68"),
        "activity_level": "moderate",
        "fitness_goal": "maintain",
        **fields,
    }
    ProfileFactory(user=user, **values)


def plan_items(plan_id: int) -> list[tuple[int, int, str, float]]:
    """(day, food, food name, grams) of every item of a plan, in order."""
    rows = []
    for scheduled in ScheduledMeal.objects.filter(plan_id=plan_id).order_by("day_of_plan", "position"):
        for item in MealItem.objects.filter(meal_id=scheduled.meal_id).select_related("food").order_by("position"):
            rows.append((scheduled.day_of_plan, item.food_id, item.food.name, item.grams))
    return rows


def test_a_member_generates_a_plan_that_hits_the_targets_and_respects_the_profile(member: Any, post: Any) -> None:
    client = jwt_client_for(member)
    response = post(
        client,
        GENERATE,
        {"days": 3, "meals_per_day": 4, "preferences": {"cuisines": ["italian"]}, "seed": 11},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["status_url"].endswith(f"/api/v1/nutrition/plans/{body['plan']}/")
    assert response["Location"] == body["status_url"]

    detail = client.get(body["status_url"]).json()
    assert detail["generation_status"] == "ready"
    assert detail["source"] == "optimizer"
    generation = detail["generation"]
    assert generation["generator"] == plan_generation.GENERATOR
    assert generation["seed"] == 11
    assert generation["llm"] == {"used": False, "reason": "disabled"}
    assert generation["result"]["feasible"] is True
    targets = detail["targets"]
    assert generation["targets"] == targets
    assert [len(day["meals"]) for day in detail["days"]] == [4, 4, 4]
    for day in detail["days"]:
        for nutrient in NUTRIENTS:
            assert abs(day["difference"][nutrient]) <= TOLERANCE[nutrient] * targets[nutrient] + 0.5, (day, nutrient)
    names = [name.lower() for _, _, name, _ in plan_items(body["plan"])]
    assert names
    assert not any("peanut" in name or "mushroom" in name for name in names)
    assert all(
        "peanuts" not in food.allergens
        for food in Food.objects.filter(pk__in=[food for _, food, _, _ in plan_items(body["plan"])])
    )
    notice = Notification.objects.for_tenant(member.tenant_id).get(user=member, type="meal_plan_ready")
    assert notice.data["plan"] == body["plan"]


def test_the_same_inputs_and_seed_reproduce_the_same_plan(member: Any, post: Any) -> None:
    client = jwt_client_for(member)
    request = {"days": 2, "meals_per_day": 3, "seed": 2026}
    first = post(client, GENERATE, request).json()["plan"]
    second = post(client, GENERATE, request).json()["plan"]
    other = post(client, GENERATE, {**request, "seed": 7}).json()["plan"]
    strip = [(day, food, grams) for day, food, _, grams in plan_items(first)]
    assert strip == [(day, food, grams) for day, food, _, grams in plan_items(second)]
    assert strip != [(day, food, grams) for day, food, _, grams in plan_items(other)]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 15}, "days"),
        ({"meals_per_day": 9}, "meals_per_day"),
        ({"meals_per_day": 2}, "meals_per_day"),
        ({"preferences": {"include_foods": [987654321]}}, "preferences.include_foods"),
        ({"preferences": {"budget": "free"}}, "preferences.budget"),
        ({"targets": {"kcal": 100}}, "targets.kcal"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_requests_are_400_problems_and_write_nothing(member: Any, payload: dict, field: str, post: Any) -> None:
    response = post(jwt_client_for(member), GENERATE, payload)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert any(error["field"].startswith(field) for error in response.json()["errors"]), response.json()
    assert not MealPlan.objects.filter(user=member).exists()


def test_another_users_private_food_cannot_be_included(member: Any, tenant: Any, post: Any) -> None:
    someone = cast(User, UserFactory(tenant=tenant))
    private = Food.objects.create(
        tenant=tenant, owner=someone, source="custom", source_id="x1", name="Secret stew", energy_kcal=120,
        protein_g=8, carbohydrate_g=10, fat_g=4,
    )  # fmt: skip
    response = post(jwt_client_for(member), GENERATE, {"preferences": {"include_foods": [private.pk]}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "preferences.include_foods[0]"


def test_a_food_the_profile_forbids_is_refused_with_the_reason(member: Any, post: Any) -> None:
    peanut_butter = next(food for food in Food.objects.order_by("id") if "peanuts" in food.allergens)
    assert peanut_butter is not None
    response = post(jwt_client_for(member), GENERATE, {"preferences": {"include_foods": [peanut_butter.pk]}})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "food_not_allowed"
    assert "peanut" in body["errors"][0]["message"]


def test_included_foods_appear_in_the_plan(member: Any, post: Any) -> None:
    salmon = Food.objects.filter(name__istartswith="Fish, salmon", name__icontains="cooked").first()
    assert salmon is not None
    response = post(
        jwt_client_for(member),
        GENERATE,
        {"days": 2, "preferences": {"include_foods": [salmon.pk]}, "seed": 5},
    )
    assert response.status_code == 202
    assert salmon.pk in {food for _, food, _, _ in plan_items(response.json()["plan"])}


def test_generation_is_premium_for_members_and_quota_bound_for_api_keys(
    tenant: Any, plan_catalogue: int, post: Any
) -> None:
    free = cast(User, UserFactory(tenant=tenant))
    complete_profile(free)
    response = post(jwt_client_for(free), GENERATE, {"days": 1})
    assert (response.status_code, response.json()["code"]) == (403, "subscription_required")
    partner = api_key_client_for(tenant)
    accepted = post(partner, GENERATE, {"user": free.pk, "days": 1, "meals_per_day": 3})
    assert accepted.status_code == 202
    assert MealPlan.objects.get(pk=accepted.json()["plan"]).user == free


def test_the_quota_answers_429(member: Any, settings: Any, post: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "generation": "1/hour"},
    }
    client = jwt_client_for(member)
    assert post(client, GENERATE, {"days": 1}).status_code == 202
    assert post(client, GENERATE, {"days": 1}).status_code == 429


def test_an_incomplete_profile_needs_targets(tenant: Any, plan_catalogue: int, post: Any) -> None:
    user = cast(User, UserFactory(tenant=tenant))
    subscribe(user)
    client = jwt_client_for(user)
    response = post(client, GENERATE, {"days": 1})
    assert (response.status_code, response.json()["code"]) == (422, "profile_incomplete")
    targets = {"kcal": 2100, "protein_g": 120, "carbohydrate_g": 240, "fat_g": 70}
    response = post(client, GENERATE, {"days": 1, "targets": targets})
    assert response.status_code == 202
    assert MealPlan.objects.get(pk=response.json()["plan"]).target_kcal == 2100


def test_infeasible_targets_still_give_a_plan_that_says_why(member: Any, post: Any) -> None:
    targets = {"kcal": 1400, "protein_g": 300, "carbohydrate_g": 20, "fat_g": 20}
    response = post(jwt_client_for(member), GENERATE, {"days": 1, "targets": targets})
    assert response.status_code == 202
    plan = MealPlan.objects.get(pk=response.json()["plan"])
    assert plan.generation_status == "ready"
    result = plan.generation["result"]
    assert result["feasible"] is False
    assert result["largest_deviation_pct"]["protein_g"] < -10
    assert any("protein" in reason for reason in result["reasons"])
    assert ScheduledMeal.objects.filter(plan=plan).count() == 4


# --- the LLM, through the real client on a mock transport --------------------------------------


def _reply(content: dict[str, Any]) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-test-2026",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": json.dumps(content), "refusal": None},
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        },
    )


def _sensible_meals(request: httpx.Request) -> dict[str, Any]:
    """What a good model answers: per slot, foods of the main roles, by category."""
    data = json.loads(json.loads(request.content)["messages"][-1]["content"])
    by_category: dict[str, list[int]] = {}
    for food in data["candidates"]:
        by_category.setdefault(food["category"], []).append(food["id"])
    wanted = {
        "breakfast": ["breakfast-cereals", "dairy-and-egg-products", "fruits-and-fruit-juices"],
        "snack": ["fruits-and-fruit-juices", "nut-and-seed-products"],
    }
    main = ["poultry-products", "cereal-grains-and-pasta", "vegetables-and-vegetable-products", "fats-and-oils"]
    meals = []
    for index, slot in enumerate(data["slots"]):
        ids = []
        for category in wanted.get(slot["meal_time"], main):
            options = by_category.get(category) or []
            if options:
                ids.append(options[index % len(options)])
        meals.append({"day": slot["day"], "slot": slot["slot"], "food_ids": ids[:4] or [data["candidates"][0]["id"]]})
    return {"meals": meals}


def test_with_an_llm_its_dishes_are_used_and_recorded(member: Any, settings: Any, post: Any) -> None:
    settings.OPENAI_API_KEY = "sk-test"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _reply(_sensible_meals(request))

    with llm.use_http_client(httpx.Client(transport=httpx.MockTransport(handler))):
        response = post(jwt_client_for(member), GENERATE, {"days": 2, "meals_per_day": 4, "seed": 3})
    assert response.status_code == 202
    assert len(seen) == 1
    plan = MealPlan.objects.get(pk=response.json()["plan"])
    record = plan.generation["llm"]
    assert record["used"] is True
    assert record["model"] == "gpt-test-2026"
    assert record["prompt_version"] == "meal-v1"
    assert sorted(record["days_from_proposals"] + record["days_re_solved"]) == [1, 2]
    assert plan.source == ("ai" if record["days_from_proposals"] else "optimizer")
    # The profile's allergen foods were never offered to the model.
    offered = json.loads(json.loads(seen[0].content)["messages"][-1]["content"])["candidates"]
    peanut_ids = {food.id for food in Food.objects.all() if "peanuts" in food.allergens}
    assert peanut_ids and not peanut_ids & {food["id"] for food in offered}


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (lambda request: httpx.Response(200, json={"choices": []}), "malformed"),
        (lambda request: _reply({"meals": [{"day": 1, "slot": 0, "food_ids": [999999999]}]}), "invalid"),
        (lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)), "timeout"),
    ],
)
def test_any_llm_failure_falls_back_to_the_optimizer_and_is_recorded(
    member: Any, settings: Any, answer: Any, kind: str, post: Any
) -> None:
    settings.OPENAI_API_KEY = "sk-test"
    with llm.use_http_client(httpx.Client(transport=httpx.MockTransport(answer))):
        response = post(jwt_client_for(member), GENERATE, {"days": 1, "meals_per_day": 3})
    assert response.status_code == 202
    plan = MealPlan.objects.get(pk=response.json()["plan"])
    assert plan.generation_status == "ready"
    assert plan.source == "optimizer"
    assert plan.generation["llm"]["fallback"] is True
    assert plan.generation["llm"]["failure"]["kind"] == kind
    assert ScheduledMeal.objects.filter(plan=plan).count() == 3


# --- swap, shopping list -------------------------------------------------------------


def test_a_meal_is_swapped_for_other_foods_with_the_same_macros(member: Any, generated: MealPlan, post: Any) -> None:
    client = jwt_client_for(member)
    scheduled = ScheduledMeal.objects.filter(plan=generated, day_of_plan=2, meal_time="lunch").get()
    old_foods = set(MealItem.objects.filter(meal_id=scheduled.meal_id).values_list("food_id", flat=True))
    old_meal = scheduled.meal_id
    response = post(client, f"/api/v1/nutrition/plans/{generated.pk}/days/2/meals/{scheduled.pk}/swap/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["replaced_meal"] == old_meal
    assert body["within"] is True
    assert abs(body["totals"]["kcal"] - body["original_totals"]["kcal"]) <= 0.05 * body["original_totals"]["kcal"]
    scheduled.refresh_from_db()
    assert scheduled.meal_id == body["meal"] != old_meal
    new_foods = set(MealItem.objects.filter(meal_id=scheduled.meal_id).values_list("food_id", flat=True))
    assert new_foods and not new_foods & old_foods
    assert not Meal.objects.filter(pk=old_meal).exists()  # the generated meal nothing uses any more
    missing = post(client, f"/api/v1/nutrition/plans/{generated.pk}/days/1/meals/{scheduled.pk}/swap/")
    assert missing.status_code == 404


def test_the_shopping_list_sums_every_use_by_category(
    member: Any, generated: MealPlan, django_assert_max_num_queries: Any
) -> None:
    client = jwt_client_for(member)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/nutrition/plans/{generated.pk}/shopping-list/")
    assert response.status_code == 200
    body = response.json()
    expected: dict[int, float] = {}
    for _, food, _, grams in plan_items(generated.pk):
        expected[food] = expected.get(food, 0.0) + grams
    listed = {item["food"]: item["grams"] for group in body["categories"] for item in group["items"]}
    assert listed == {food: round(grams, 1) for food, grams in expected.items()}
    assert body["total_items"] == len(expected)
    categories = [group["category_name"] for group in body["categories"]]
    assert categories == sorted(categories, key=lambda name: (name == "Other", name))
    day_one = client.get(f"/api/v1/nutrition/plans/{generated.pk}/shopping-list/?from_day=1&to_day=1").json()
    assert day_one["last_day"] == 1
    assert client.get(f"/api/v1/nutrition/plans/{generated.pk}/shopping-list/?from_day=2&to_day=1").status_code == 400
    assert client.get(f"/api/v1/nutrition/plans/{generated.pk}/shopping-list/?to_day=9").status_code == 400


def test_reading_a_generated_plan_is_a_bounded_number_of_queries(
    member: Any, generated: MealPlan, django_assert_max_num_queries: Any
) -> None:
    client = jwt_client_for(member)
    with django_assert_max_num_queries(10):
        assert client.get(f"/api/v1/nutrition/plans/{generated.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/nutrition/plans/").status_code == 200


def test_deleting_a_generated_plan_removes_the_meals_it_wrote(member: Any, generated: MealPlan) -> None:
    meal_ids = list(ScheduledMeal.objects.filter(plan=generated).values_list("meal_id", flat=True))
    assert jwt_client_for(member).delete(f"/api/v1/nutrition/plans/{generated.pk}/").status_code == 204
    assert not Meal.objects.filter(pk__in=meal_ids).exists()


# --- adaptive re-planning and the targets history -------------------------------------------


def _history(member: Any, *, days: int, true_tdee: float = 2300, intake: float = 1800) -> None:
    """Diary entries and morning weights following the energy balance of a known TDEE."""
    food = Food.objects.filter(energy_kcal__gte=100).order_by("id").first()
    assert food is not None
    today = member.profile.local_today
    weight = 70.0
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        FoodLogEntry.objects.create(
            tenant=member.tenant, user=member, date=day, meal_time="lunch", food=food,
            grams=round(intake * 100 / food.energy_kcal, 1),
        )  # fmt: skip
        moment = datetime.combine(day, time(7), tzinfo=UTC)
        HealthSample.objects.create(
            tenant=member.tenant, user=member, metric="body_weight", value=round(weight, 2), start_time=moment,
            end_time=moment, created_at=moment, updated_at=moment, external_id=f"w{offset}",
        )  # fmt: skip
        weight += (intake - true_tdee) / 7700


def test_adapt_measures_the_tdee_moves_the_targets_one_step_and_plans_next_week(
    member: Any, generated: MealPlan, post: Any
) -> None:
    _history(member, days=21)
    client = jwt_client_for(member)
    response = post(client, f"/api/v1/nutrition/plans/{generated.pk}/adapt/")
    assert response.status_code == 202, response.content
    body = response.json()
    change = body["change"]
    assert change["changed"] is True
    assert abs(change["tdee_kcal"] - 2300) <= 60  # noiseless data: the balance is exact but for rounding
    assert change["trigger"] == "adapt"
    assert abs(change["kcal_after"] - change["kcal_before"]) <= 250
    assert change["numbers"]["intake_days"] == 21
    assert change["numbers"]["weighings_used"] == 21
    new_plan = MealPlan.objects.get(pk=body["plan"])
    assert new_plan.generation_status == "ready"
    assert new_plan.target_kcal == change["kcal_after"]
    assert new_plan.status == "active"
    assert TargetOverride.objects.for_tenant(member.tenant_id).get(user=member).kcal == change["kcal_after"]
    history = client.get("/api/v1/nutrition/targets/history/").json()["results"]
    assert history[0]["id"] == change["id"]
    assert history[0]["plan"] == new_plan.pk


def test_adapt_without_enough_data_changes_nothing_and_says_why(member: Any, generated: MealPlan, post: Any) -> None:
    _history(member, days=5)
    response = post(jwt_client_for(member), f"/api/v1/nutrition/plans/{generated.pk}/adapt/")
    assert response.status_code == 200
    body = response.json()
    assert body["plan"] is None
    assert body["change"]["changed"] is False
    assert body["change"]["reason"] == "not enough data: 5 days with diary entries; at least 14 are needed"


def test_the_weekly_run_adapts_once_per_week_in_the_users_time_zone(member: Any, generated: MealPlan) -> None:
    ProfileFactory(user=member, timezone="Europe/Berlin")
    generated.status = "active"
    generated.save(update_fields=["status"])
    _history(member, days=21)
    # Monday 2026-12-07 06:00 in Berlin is 05:00 UTC: the tick at 05:15 covers it.
    with time_machine.travel(datetime(2026, 12, 7, 5, 15, tzinfo=UTC), tick=False):
        window = LocalTimeWindow.before(timezone.now())
        assert replanning.run_weekly_adaptation(window) == 1
        assert replanning.run_weekly_adaptation(window) == 0  # looked again: the week's row exists
    changes = TargetChange.objects.for_tenant(member.tenant_id).filter(user=member, trigger="weekly")
    assert changes.count() == 1
    assert changes.get().week_start == date(2026, 12, 7)


def test_setting_targets_by_hand_is_in_the_history(member: Any, django_assert_max_num_queries: Any) -> None:
    client = jwt_client_for(member)
    assert client.put("/api/v1/nutrition/targets/", {"kcal": 1900}).status_code == 200
    with django_assert_max_num_queries(6):
        history = client.get("/api/v1/nutrition/targets/history/").json()["results"]
    assert [(row["trigger"], row["kcal_after"]) for row in history] == [("manual", 1900)]
    partner = api_key_client_for(member.tenant)
    listed = partner.get(f"/api/v1/nutrition/targets/history/?user={member.pk}").json()["results"]
    assert [row["id"] for row in listed] == [history[0]["id"]]
