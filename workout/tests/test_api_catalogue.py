"""The catalogue API: who sees which workouts, filters, management rights, favourites, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import api_key_client_for, jwt_client_for
from users.tests.factories import UserFactory
from workout.models import Workout, WorkoutExercise
from workout.tests.factories import CategoryFactory, ExerciseFactory, WorkoutFactory, add_exercise

pytestmark = pytest.mark.django_db

URL = "/api/v1/workouts/"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.fixture
def catalogue(tenant, other_tenant):
    strength = CategoryFactory.create(slug="strength", name="Strength")
    cardio = CategoryFactory.create(slug="cardio", name="Cardio")
    bench = ExerciseFactory.create(name="Bench press", primary_muscles=["chest"], equipment="barbell")
    squat = ExerciseFactory.create(name="Squat", primary_muscles=["quadriceps"], equipment="barbell")
    jog = ExerciseFactory.create(name="Jogging", primary_muscles=["quadriceps"], equipment="body_only")
    rows = {
        "global": WorkoutFactory.create(title="A Global Push", category=strength, goals=["strength", "hypertrophy"]),
        "premium": WorkoutFactory.create(
            title="B Premium Legs", category=strength, is_premium=True, difficulty="advanced", duration_minutes=60
        ),
        "draft": WorkoutFactory.create(title="C Global Draft", published=False),
        "cardio": WorkoutFactory.create(
            title="D Easy Run", category=cardio, goals=["endurance"], equipment=["body_only"], duration_minutes=20
        ),
        "mine": WorkoutFactory.create(title="E Acme Special", tenant=tenant),
        "mine_draft": WorkoutFactory.create(title="F Acme Draft", tenant=tenant, published=False),
        "theirs": WorkoutFactory.create(title="G Globex Secret", tenant=other_tenant),
    }
    add_exercise(rows["global"], bench, 1)
    add_exercise(rows["premium"], squat, 1)
    add_exercise(rows["cardio"], jog, 1, target_reps=None, target_duration_seconds=1200)
    return rows


def test_anonymous_callers_browse_fitcore_published_workouts_only(catalogue) -> None:
    assert titles(APIClient().get(URL)) == ["A Global Push", "B Premium Legs", "D Easy Run"]


def test_members_also_see_their_tenants_published_workouts(catalogue, user_client) -> None:
    assert titles(user_client.get(URL)) == ["A Global Push", "B Premium Legs", "D Easy Run", "E Acme Special"]


def test_tenant_managers_also_see_their_drafts_never_another_tenants(catalogue, admin_client_jwt, tenant) -> None:
    expected = ["A Global Push", "B Premium Legs", "D Easy Run", "E Acme Special", "F Acme Draft"]
    assert titles(admin_client_jwt.get(URL)) == expected
    assert titles(api_key_client_for(tenant).get(URL)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("difficulty=advanced", ["B Premium Legs"]),
        ("goal=hypertrophy", ["A Global Push"]),
        ("equipment=body_only", ["D Easy Run"]),
        ("available_equipment=body_only", ["D Easy Run"]),
        ("muscle=quadriceps", ["B Premium Legs", "D Easy Run"]),
        ("min_duration=30&max_duration=59", ["A Global Push", "E Acme Special"]),
        ("premium=true", ["B Premium Legs"]),
        ("category=cardio", ["D Easy Run"]),
        ("search=run", ["D Easy Run"]),
        ("mine=true", ["E Acme Special"]),
        ("ordering=-duration_minutes&premium=false&mine=false", ["A Global Push", "D Easy Run"]),
    ],
)
def test_filters(catalogue, user_client, query, expected) -> None:
    assert titles(user_client.get(f"{URL}?{query}")) == expected


@pytest.mark.parametrize("query", ["difficulty=expert", "goal=", "premium=maybe", "max_duration=0", "muscle=tail"])
def test_bad_filters_are_400_problems(catalogue, user_client, query) -> None:
    response = user_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_list_rows_and_detail(catalogue, user_client) -> None:
    row = user_client.get(URL).json()["results"][0]
    assert row == {
        "id": catalogue["global"].pk,
        "title": "A Global Push",
        "duration_minutes": 30,
        "difficulty": "beginner",
        "goals": ["strength", "hypertrophy"],
        "equipment": ["barbell"],
        "category": "strength",
        "is_premium": False,
        "published": True,
        "is_global": True,
    }
    detail = user_client.get(f"{URL}{catalogue['global'].pk}/").json()
    assert detail["exercises"][0]["exercise_name"] == "Bench press"
    assert detail["exercises"][0]["position"] == 1
    assert detail["is_favorite"] is False


def test_drafts_and_other_tenants_workouts_are_404(catalogue, user_client) -> None:
    for name in ("draft", "mine_draft", "theirs"):
        assert user_client.get(f"{URL}{catalogue[name].pk}/").status_code == 404
    assert APIClient().get(f"{URL}{catalogue['mine'].pk}/").status_code == 404


def test_list_queries_do_not_grow_with_the_page(catalogue, user_client, django_assert_max_num_queries) -> None:
    for n in range(30):
        WorkoutFactory.create(title=f"Z {n}")
    with django_assert_max_num_queries(3):
        assert len(user_client.get(f"{URL}?limit=50").json()["results"]) == 34


def test_detail_queries_are_constant(catalogue, user_client, django_assert_max_num_queries) -> None:
    workout = catalogue["global"]
    for position in range(2, 15):
        add_exercise(workout, ExerciseFactory.create(), position)
    with django_assert_max_num_queries(9):
        assert len(user_client.get(f"{URL}{workout.pk}/").json()["exercises"]) == 14


def test_members_cannot_manage_the_catalogue(catalogue, user_client) -> None:
    response = user_client.post(URL, {"title": "Mine", "duration_minutes": 20}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "tenant_admin_required"


def test_fitcore_workouts_are_read_only_to_tenants(catalogue, admin_client_jwt) -> None:
    response = admin_client_jwt.patch(f"{URL}{catalogue['global'].pk}/", {"title": "Hijacked"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "read_only"
    assert Workout.objects.get(pk=catalogue["global"].pk).title == "A Global Push"


def test_a_tenant_admin_builds_a_workout_from_visible_exercises(
    catalogue, admin_client_jwt, tenant, other_tenant
) -> None:
    bench = WorkoutExercise.objects.get(workout=catalogue["global"]).exercise
    private = ExerciseFactory.create(tenant=other_tenant, name="Globex move")
    payload: dict[str, Any] = {
        "title": "Acme Circuit",
        "duration_minutes": 25,
        "difficulty": "intermediate",
        "goals": ["fat_loss", "endurance"],
        "published": True,
        "exercises": [
            {"exercise": bench.pk, "target_sets": 4, "target_reps": 8, "rest_seconds": 90},
            {"exercise": private.pk, "target_reps": 8},
        ],
    }
    refused = admin_client_jwt.post(URL, payload, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "exercises[1].exercise"
    payload["exercises"] = [payload["exercises"][0], {"exercise": bench.pk, "target_duration_seconds": 60}]
    created = admin_client_jwt.post(URL, payload, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert [row["position"] for row in body["exercises"]] == [1, 2]
    assert body["equipment"] == ["barbell"]
    workout = Workout.objects.get(pk=body["id"])
    assert workout.tenant == tenant
    assert WorkoutExercise.objects.filter(workout=workout, tenant=tenant).count() == 2
    # Reps and duration together, or neither: a field error, nothing written.
    both = admin_client_jwt.patch(
        f"{URL}{workout.pk}/",
        {"exercises": [{"exercise": bench.pk, "target_reps": 5, "target_duration_seconds": 5}]},
        format="json",
    )
    assert both.status_code == 400
    assert WorkoutExercise.objects.filter(workout=workout).count() == 2


def test_favourites_are_idempotent_and_per_user(catalogue, user, tenant) -> None:
    client = jwt_client_for(user)
    workout = catalogue["global"]
    assert client.post(f"{URL}{workout.pk}/favorite/").status_code == 204
    assert client.post(f"{URL}{workout.pk}/favorite/").status_code == 204
    assert titles(client.get(f"{URL}favorites/")) == ["A Global Push"]
    assert client.get(f"{URL}{workout.pk}/").json()["is_favorite"] is True
    neighbour = jwt_client_for(UserFactory.create(tenant=tenant))
    assert titles(neighbour.get(f"{URL}favorites/")) == []
    assert client.delete(f"{URL}{workout.pk}/favorite/").status_code == 204
    assert titles(client.get(f"{URL}favorites/")) == []
    key = api_key_client_for(tenant)
    assert key.post(f"{URL}{workout.pk}/favorite/").status_code == 400  # names no user
    assert key.post(f"{URL}{workout.pk}/favorite/?user={user.pk}").status_code == 204
    assert titles(client.get(f"{URL}favorites/")) == ["A Global Push"]


def test_categories_and_exercises_are_public_reading(catalogue) -> None:
    client = APIClient()
    assert [row["slug"] for row in client.get(f"{URL}categories/").json()] == ["cardio", "strength"]
    names = [row["name"] for row in client.get(f"{URL}exercises/?muscle=quadriceps").json()["results"]]
    assert names == ["Jogging", "Squat"]
    assert client.post(f"{URL}exercises/", {"name": "x"}, format="json").status_code == 401
