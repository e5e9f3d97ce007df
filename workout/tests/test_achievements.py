"""Achievements: awarded once, after the write that earns them, each notified once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import jwt_client_for
from notification.models import Notification
from users.models import Profile
from workout import achievements
from workout.models import UserAchievement
from workout.tests.factories import ExerciseFactory, SessionFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/workouts/sessions/"


def log(client, when: datetime, sets=None) -> None:
    payload = {"started_at": when.isoformat(), "sets": sets or []}
    response = client.post(SESSIONS, payload, format="json")
    assert response.status_code == 201, response.content


def earned(user) -> set[str]:
    return set(UserAchievement.unscoped.filter(user=user).values_list("code", flat=True))


def awards_notified(user) -> list[str]:
    rows = Notification.objects.for_tenant(user.tenant_id).filter(user=user, type="achievement_unlocked")
    return sorted(row.data["achievement"] for row in rows)


def test_first_workout_then_five_sessions_and_a_streak(user, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    start = timezone.now() - timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        log(client, start)
    assert earned(user) == {"first_workout"}
    with django_capture_on_commit_callbacks(execute=True):
        for day in range(1, 7):  # back-dated: seven days in a row with the first
            log(client, start + timedelta(days=day))
    assert earned(user) == {"first_workout", "sessions_5", "streak_7"}
    assert awards_notified(user) == ["first_workout", "sessions_5", "streak_7"]
    listed = {row["code"]: row for row in client.get("/api/v1/workouts/achievements/").json()}
    assert listed["sessions_25"]["earned"] is False
    assert listed["sessions_25"]["progress"] == {"current": 7.0, "target": 25.0}
    assert listed["streak_7"]["earned"] is True and listed["streak_7"]["earned_at"]


def test_a_personal_record_needs_an_earlier_session_to_beat(user, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    bench = ExerciseFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        log(client, timezone.now() - timedelta(days=3), [{"exercise": bench.pk, "reps": 5, "weight_kg": 80}])
        assert "personal_record" not in earned(user)
        log(client, timezone.now() - timedelta(days=2), [{"exercise": bench.pk, "reps": 5, "weight_kg": 80}])
        assert "personal_record" not in earned(user)  # equal is not a record
        log(client, timezone.now() - timedelta(days=1), [{"exercise": bench.pk, "reps": 3, "weight_kg": 85}])
    assert "personal_record" in earned(user)


def test_awards_are_idempotent(user) -> None:
    SessionFactory.create(user=user)
    assert [row.code for row in achievements.evaluate(user)] == ["first_workout"]
    assert achievements.evaluate(user) == []
    assert UserAchievement.unscoped.filter(user=user).count() == 1


def test_weight_change_toward_the_goal(user, django_capture_on_commit_callbacks) -> None:
    Profile.unscoped.filter(user=user).update(weight_kg=Decimal("90.00"), fitness_goal="lose")
    achievements.baseline_for(user)  # training here starts at 90 kg
    client = jwt_client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.patch("/api/v1/users/me/", {"profile": {"weight_kg": 87}}, format="json")
    assert "weight_change_5" not in earned(user)
    progress = {row["code"]: row for row in client.get("/api/v1/workouts/achievements/").json()}
    assert progress["weight_change_5"]["progress"]["current"] == pytest.approx(3.3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch("/api/v1/users/me/", {"profile": {"weight_kg": 85.5}}, format="json")
    assert response.status_code == 200, response.content
    assert "weight_change_5" in earned(user)
    assert awards_notified(user) == ["weight_change_5"]


def test_gaining_is_not_progress_for_a_user_who_wants_to_lose(user) -> None:
    Profile.unscoped.filter(user=user).update(weight_kg=Decimal("70.00"), fitness_goal="lose")
    achievements.baseline_for(user)
    Profile.unscoped.filter(user=user).update(weight_kg=Decimal("80.00"))
    achievements.evaluate(user)
    assert "weight_change_5" not in earned(user)


def test_streaks_count_calendar_days_in_the_users_zone(user) -> None:
    Profile.unscoped.filter(user=user).update(timezone="America/New_York")
    # 04:30 UTC is 23:30 the evening before in New York: the local dates make the streak.
    base = datetime(2026, 11, 10, 4, 30, tzinfo=UTC)  # 23:30 on 9 Nov in New York
    for day in range(7):
        SessionFactory.create(user=user, started_at=base + timedelta(days=day))
    assert achievements.facts_for(user).longest_streak_days == 7
    Profile.unscoped.filter(user=user).update(timezone="Asia/Tokyo")  # 13:30 the same day: same dates + 1
    assert achievements.facts_for(user).longest_streak_days == 7
    SessionFactory.create(user=user, started_at=base + timedelta(days=8))  # a gap of one day
    assert achievements.facts_for(user).longest_streak_days == 7
    assert achievements.longest_streak([]) == 0
