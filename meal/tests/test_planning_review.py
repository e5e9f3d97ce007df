"""Regressions found by the independent review of generated meal plans (each failed before its fix)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
import time_machine
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from meal.models import Food, Meal, MealPlan, ScheduledMeal, TargetChange
from meal.planning import replanning
from meal.tests.test_planning_api import GENERATE, _history, complete_profile
from notification.schedule import LocalTimeWindow, _hooks
from users.models import User
from users.tests.factories import ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_weekly_re_planning_is_a_registered_local_time_hook() -> None:
    assert _hooks["meal_adaptive_replanning"] is replanning.run_weekly_adaptation


@pytest.mark.parametrize(
    "targets",
    [
        {"kcal": 2000, "protein_g": 0, "carbohydrate_g": 250, "fat_g": 70},
        {"kcal": 2000, "protein_g": 0, "carbohydrate_g": 0, "fat_g": 0},
        {"kcal": 800, "protein_g": 1000, "carbohydrate_g": 1500, "fat_g": 1000},
    ],
)
def test_odd_targets_still_give_a_plan(member: Any, post: Any, targets: dict) -> None:
    response = post(jwt_client_for(member), GENERATE, {"days": 1, "meals_per_day": 3, "seed": 1, "targets": targets})
    plan = MealPlan.objects.get(pk=response.json()["plan"])
    assert plan.generation_status == "ready"
    assert ScheduledMeal.objects.filter(plan=plan).count() == 3


def test_generated_meals_go_with_the_last_plan_that_uses_them(member: Any, generated: MealPlan) -> None:
    client = jwt_client_for(member)
    meal_ids = set(ScheduledMeal.objects.filter(plan=generated).values_list("meal_id", flat=True))
    copy = client.post(f"/api/v1/nutrition/plans/{generated.pk}/copy/", {}, format="json").json()["id"]
    assert client.delete(f"/api/v1/nutrition/plans/{generated.pk}/").status_code == 204
    assert Meal.objects.filter(pk__in=meal_ids).count() == len(meal_ids)  # the copy still uses them
    assert client.delete(f"/api/v1/nutrition/plans/{copy}/").status_code == 204
    assert not Meal.objects.filter(pk__in=meal_ids).exists()


def test_adapt_drops_an_included_food_the_profile_now_forbids(member: Any, post: Any) -> None:
    client = jwt_client_for(member)
    food = Food.objects.filter(name__istartswith="Fish, salmon", name__icontains="cooked").order_by("id").first()
    assert food is not None
    response = post(
        client, GENERATE, {"days": 1, "meals_per_day": 3, "seed": 3, "preferences": {"include_foods": [food.pk]}}
    )
    plan = MealPlan.objects.get(pk=response.json()["plan"])
    member.profile.excluded_foods = ["salmon"]
    member.profile.save()
    _history(member, days=21)
    adapted = post(client, f"/api/v1/nutrition/plans/{plan.pk}/adapt/")
    assert adapted.status_code == 202, adapted.content
    request = MealPlan.objects.get(pk=adapted.json()["plan"]).generation["request"]
    assert request["preferences"]["include_foods"] == []
    assert request["dropped_include_foods"] == [food.pk]


def test_another_users_private_food_is_named_as_such_for_an_api_key(member: Any, post: Any, tenant: Any) -> None:
    other = cast(User, UserFactory(tenant=tenant))
    private = Food.objects.create(
        tenant=tenant, owner=other, name="Secret stew", energy_kcal=150, source_id="rev-1", protein_g=10,
        carbohydrate_g=10, fat_g=5,
    )  # fmt: skip
    response = post(
        api_key_client_for(tenant),
        GENERATE,
        {"user": member.pk, "days": 1, "preferences": {"include_foods": [private.pk]}},
    )
    assert response.status_code == 400
    assert "another user's private food" in response.json()["errors"][0]["message"]


def test_adapt_steps_at_most_once_a_week(member: Any, generated: MealPlan, post: Any) -> None:
    _history(member, days=21, true_tdee=3300, intake=2800)
    client = jwt_client_for(member)
    first = post(client, f"/api/v1/nutrition/plans/{generated.pk}/adapt/")
    assert first.status_code == 202
    again = post(client, f"/api/v1/nutrition/plans/{generated.pk}/adapt/")
    assert (again.status_code, again.json()["code"]) == (409, "adapted_recently")
    changes = TargetChange.objects.for_tenant(member.tenant_id).filter(user=member, changed=True)
    assert changes.count() == 1
    assert changes.get().kcal_after - changes.get().kcal_before == 250


def test_a_pending_plan_is_not_changed_under_its_worker(member: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = jwt_client_for(member)
    with django_capture_on_commit_callbacks(execute=False):
        plan_id = client.post(GENERATE, {"days": 1}, format="json").json()["plan"]
    for response in (
        client.patch(f"/api/v1/nutrition/plans/{plan_id}/", {"name": "Mine"}, format="json"),
        client.post(f"/api/v1/nutrition/plans/{plan_id}/activate/", {}, format="json"),
        client.post(f"/api/v1/nutrition/plans/{plan_id}/adapt/"),
    ):
        assert (response.status_code, response.json()["code"]) == (409, "generation_pending")


def test_the_weekly_run_adapts_plans_a_partner_generated_for_users_without_a_subscription(
    tenant: Any, plan_catalogue: Any, post: Any
) -> None:
    free = cast(User, UserFactory(tenant=tenant))
    complete_profile(free)
    ProfileFactory(user=free, timezone="Europe/Berlin")
    response = post(
        api_key_client_for(tenant), GENERATE, {"user": free.pk, "days": 2, "meals_per_day": 3, "activate": True}
    )
    plan = MealPlan.objects.get(pk=response.json()["plan"])
    assert (plan.status, plan.generation["requested_by"]) == ("active", "api_key")
    _history(free, days=21)
    with time_machine.travel(datetime(2026, 12, 7, 5, 15, tzinfo=UTC), tick=False):
        window = LocalTimeWindow.before(timezone.now())
        assert replanning.run_weekly_adaptation(window) == 1
        assert replanning.run_weekly_adaptation(window) == 0  # the week's row exists: nothing new


def test_the_export_includes_the_targets_history(member: Any) -> None:
    client = jwt_client_for(member)
    client.put("/api/v1/nutrition/targets/", {"kcal": 1900}, format="json")
    section = client.get("/api/v1/users/me/export/").json()["sections"]["nutrition"]
    assert [(row["trigger"], row["after"]["kcal"]) for row in section["target_history"]] == [("manual", 1900)]
