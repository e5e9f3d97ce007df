"""Progress, sessions with sets, history, personal records: what a user logs and reads back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from users.tests.factories import UserFactory
from workout.models import ExerciseSet, WorkoutProgress, WorkoutSession
from workout.tests.factories import ExerciseFactory, SessionFactory, WorkoutFactory, add_set

pytestmark = pytest.mark.django_db

PROGRESS = "/api/v1/workouts/progress/"
SESSIONS = "/api/v1/workouts/sessions/"


# --- progress ---------------------------------------------------------------------------


def test_progress_moves_forward_completes_once_and_is_idempotent(user, user_client) -> None:
    workout = WorkoutFactory.create()
    first = user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 40}, format="json")
    assert first.status_code == 201
    assert (
        user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 40}, format="json").status_code == 200
    )
    done = user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 100}, format="json").json()
    assert done["completed_at"] is not None
    again = user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 100}, format="json").json()
    assert again["completed_at"] == done["completed_at"]
    back = user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 30}, format="json")
    assert back.status_code == 409
    assert back.json()["code"] == "progress_backwards"
    reset = user_client.post(
        PROGRESS, {"workout": workout.pk, "progress_percentage": 0, "reset": True}, format="json"
    ).json()
    assert reset["progress_percentage"] == 0
    assert reset["completed_at"] == done["completed_at"]  # never unset
    assert WorkoutProgress.unscoped.filter(user=user).count() == 1


@pytest.mark.parametrize("value", [101, -1, "half", None, 50.5])
def test_progress_out_of_range_is_a_400(user_client, value) -> None:
    workout = WorkoutFactory.create()
    response = user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "progress_percentage"
    assert not WorkoutProgress.unscoped.exists()


def test_progress_names_only_visible_workouts(user_client, other_tenant) -> None:
    hidden = [WorkoutFactory.create(published=False), WorkoutFactory.create(tenant=other_tenant)]
    for workout in hidden:
        response = user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 5}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "workout"


def test_progress_list_is_the_users_own(user, user_client, tenant, django_assert_max_num_queries) -> None:
    workouts = [WorkoutFactory.create() for _ in range(5)]
    for workout in workouts:
        user_client.post(PROGRESS, {"workout": workout.pk, "progress_percentage": 10}, format="json")
    jwt_client_for(UserFactory.create(tenant=tenant)).post(
        PROGRESS, {"workout": workouts[0].pk, "progress_percentage": 90}, format="json"
    )
    with django_assert_max_num_queries(4):
        body = user_client.get(PROGRESS).json()
    assert body["count"] == 5
    assert {row["progress_percentage"] for row in body["results"]} == {10}


# --- sessions ---------------------------------------------------------------------------


@pytest.fixture
def bench():
    return ExerciseFactory.create(name="Bench press")


def session_payload(bench, **overrides):
    start = timezone.now() - timedelta(days=30)
    payload = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=50)).isoformat(),
        "perceived_effort": 7,
        "notes": "Felt strong",
        "sets": [
            {"exercise": bench.pk, "reps": 10, "weight_kg": 60, "is_warmup": True},
            {"exercise": bench.pk, "reps": 5, "weight_kg": 100},
            {"exercise": bench.pk, "reps": 3, "weight_kg": 102.5, "rpe": 9},
        ],
    }
    payload.update(overrides)
    return payload


def test_a_back_dated_session_keeps_its_dates_and_sets(user, user_client, bench) -> None:
    payload = session_payload(bench)
    response = user_client.post(SESSIONS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    session = WorkoutSession.unscoped.get(pk=body["id"])
    assert session.started_at.isoformat() == payload["started_at"]
    assert body["duration_seconds"] == 50 * 60
    assert [(row["set_number"], row["weight_kg"]) for row in body["sets"]] == [(1, 60.0), (2, 100.0), (3, 102.5)]
    assert ExerciseSet.unscoped.filter(session=session, user=user, tenant=user.tenant).count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sets": [{"exercise": 0, "reps": 5, "weight_kg": -5}]}, "sets[0].weight_kg"),
        ({"ended_at": "2020-01-01T00:00:00Z", "started_at": "2020-01-02T00:00:00Z"}, "ended_at"),
        ({"started_at": "2999-01-01T00:00:00Z", "ended_at": None}, "started_at"),
        ({"perceived_effort": 11}, "perceived_effort"),
        ({"avg_heart_rate": 180, "max_heart_rate": 150}, "avg_heart_rate"),
        ({"sets": [{"exercise": 0, "reps": 5, "weight_kg": "NaN"}]}, "sets[0].weight_kg"),
    ],
)
def test_bad_sessions_are_400_and_write_nothing(user_client, bench, change, field) -> None:
    for item in change.get("sets", []):
        item["exercise"] = bench.pk
    response = user_client.post(SESSIONS, session_payload(bench, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not WorkoutSession.unscoped.exists()


def test_sets_name_only_visible_exercises(user_client, bench, other_tenant) -> None:
    private = ExerciseFactory.create(tenant=other_tenant)
    response = user_client.post(
        SESSIONS, session_payload(bench, sets=[{"exercise": private.pk, "reps": 1}]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sets[0].exercise"


def test_history_is_cursor_paginated_newest_first_with_date_filters(
    user, user_client, bench, django_assert_max_num_queries
) -> None:
    now = timezone.now()
    for days in range(25):
        session = SessionFactory.create(user=user, started_at=now - timedelta(days=days, hours=1))
        add_set(session, bench, 1, 5, Decimal(50 + days))
    SessionFactory.create(user=UserFactory.create(tenant=user.tenant))  # a neighbour's
    with django_assert_max_num_queries(3):
        first = user_client.get(f"{SESSIONS}?page_size=10").json()
    assert len(first["results"]) == 10
    assert first["results"][0]["volume_kg"] == 250.0 and first["results"][0]["set_count"] == 1
    starts = [row["started_at"] for row in first["results"]]
    assert starts == sorted(starts, reverse=True)
    with django_assert_max_num_queries(3):
        second = user_client.get(first["next"]).json()
    assert len(second["results"]) == 10 and second["results"][0]["started_at"] < starts[-1]
    window = user_client.get(
        SESSIONS, {"started_after": (now - timedelta(days=5)).isoformat(), "started_before": now.isoformat()}
    ).json()
    assert len(window["results"]) == 5
    assert user_client.get(f"{SESSIONS}?started_after=yesterday").status_code == 400


def test_api_keys_log_for_their_users_and_retries_update_in_place(user, tenant, other_tenant, bench) -> None:
    key = api_key_client_for(tenant)
    payload = session_payload(bench, external_id="garmin-123")
    assert key.post(SESSIONS, payload, format="json").status_code == 400  # no user named
    payload["user"] = user.pk
    first = key.post(SESSIONS, payload, format="json")
    assert first.status_code == 201
    assert first.json()["source"] == "partner"
    payload["notes"] = "Edited on the watch"
    second = key.post(SESSIONS, payload, format="json")
    assert second.json()["id"] == first.json()["id"]
    assert WorkoutSession.unscoped.get().notes == "Edited on the watch"
    assert ExerciseSet.unscoped.count() == 3
    stranger = UserFactory.create(tenant=other_tenant)
    payload["user"] = stranger.pk
    assert key.post(SESSIONS, payload, format="json").status_code == 400


def test_a_patch_replaces_sets_and_checks_times(user_client, bench) -> None:
    session_id = user_client.post(SESSIONS, session_payload(bench), format="json").json()["id"]
    changed = user_client.patch(
        f"{SESSIONS}{session_id}/", {"sets": [{"exercise": bench.pk, "reps": 8, "weight_kg": 80}]}, format="json"
    )
    assert changed.status_code == 200
    assert [row["reps"] for row in changed.json()["sets"]] == [8]
    bad = user_client.patch(f"{SESSIONS}{session_id}/", {"ended_at": "2000-01-01T00:00:00Z"}, format="json")
    assert bad.status_code == 400
    ended = WorkoutSession.unscoped.get(pk=session_id).ended_at
    assert ended is not None and ended.year > 2000


def test_session_detail_queries_are_constant(user, user_client, bench, django_assert_max_num_queries) -> None:
    session = SessionFactory.create(user=user)
    for number in range(1, 30):
        add_set(session, ExerciseFactory.create(), number, 5, 40)
    with django_assert_max_num_queries(6):
        assert len(user_client.get(f"{SESSIONS}{session.pk}/").json()["sets"]) == 29


# --- records ----------------------------------------------------------------------------


def test_personal_records_are_computed_in_sql(user, user_client, bench) -> None:
    old = SessionFactory.create(user=user, started_at=timezone.now() - timedelta(days=10))
    add_set(old, bench, 1, 10, Decimal("80"))  # Epley 106.7, volume 800
    add_set(old, bench, 2, 8, Decimal("80"))
    new = SessionFactory.create(user=user, started_at=timezone.now() - timedelta(days=1))
    add_set(new, bench, 1, 3, Decimal("100"))  # Epley 110.0
    add_set(new, bench, 2, 1, Decimal("105"))  # heaviest; Epley 108.5
    add_set(new, bench, 3, 20, Decimal("120"), is_warmup=True)  # warm-ups never count
    add_set(new, bench, 4, 30, Decimal("40"))  # most reps; too many reps for Epley
    [record] = user_client.get("/api/v1/workouts/records/").json()
    assert record["heaviest_weight_kg"] == 105.0
    assert record["reps_at_heaviest"] == 1
    assert record["most_reps"] == 30
    assert record["estimated_1rm_kg"] == 110.0
    assert record["best_set_volume_kg"] == 1200.0
    assert record["best_session_volume_kg"] == 1605.0  # 300 + 105 + 1200 beats 800 + 640
    assert record["sessions_logged"] == 2 and record["sets_logged"] == 5
    history = user_client.get(f"/api/v1/workouts/exercises/{bench.pk}/history/").json()["results"]
    assert [row["weight_kg"] for row in history[:2]] == [100.0, 105.0]
    assert jwt_client_for(UserFactory.create(tenant=user.tenant)).get("/api/v1/workouts/records/").json() == []
