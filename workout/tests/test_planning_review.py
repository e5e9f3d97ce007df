"""Regressions found by the independent review of generated programs (each failed before its fix)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from payment.models import Subscription
from users.models import User
from users.services import user_delete
from users.tests.factories import UserFactory
from workout.models import Exercise, Program, ProgramDay, ProgramEnrollment, WorkoutProgress, WorkoutVideo
from workout.planning.service import run_program
from workout.tests.factories import ExerciseFactory, WorkoutFactory
from workout.tests.test_media import mp4
from workout.tests.test_planning_api import GENERATE, REQUEST

pytestmark = pytest.mark.django_db


def _generated(member: Any, post: Any) -> int:
    response = post(jwt_client_for(member), GENERATE, REQUEST)
    assert response.status_code == 202, response.content
    return int(response.json()["program"])


def _a_workout_of(program_id: int) -> int:
    return int(
        ProgramDay.objects.filter(program_id=program_id, workout__isnull=False)
        .order_by("day_number")
        .values_list("workout_id", flat=True)[0]
    )


def test_catalogue_rows_without_an_owner_are_still_managed_by_api_keys(tenant: Any) -> None:
    exercise = cast(Exercise, ExerciseFactory(tenant=tenant))
    workout = WorkoutFactory(tenant=tenant, published=True)
    video = WorkoutVideo.objects.create(
        tenant=tenant, workout=workout, title="v", video="x.mp4", content_type="video/mp4", size_bytes=1,
        order_index=0, duration_seconds=10,
    )  # fmt: skip
    client = api_key_client_for(tenant)
    assert (
        client.patch(f"/api/v1/workouts/exercises/{exercise.pk}/", {"name": "Renamed"}, format="json").status_code
        == 200
    )
    assert client.patch(f"/api/v1/workouts/videos/{video.pk}/", {"title": "t2"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/workouts/exercises/{exercise.pk}/").status_code == 204


def test_the_owner_cannot_add_videos_to_a_generated_workout(
    member: Any, post: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    workout_id = _a_workout_of(_generated(member, post))
    upload = SimpleUploadedFile("a.mp4", mp4())
    response = jwt_client_for(member).post(
        f"/api/v1/workouts/{workout_id}/videos/", {"title": "x", "duration_seconds": 5, "video": upload},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 403
    assert not WorkoutVideo.objects.filter(workout_id=workout_id).exists()


def test_today_shows_the_owner_their_generated_workout(member: Any, post: Any) -> None:
    program_id = _generated(member, post)
    client = jwt_client_for(member)
    assert client.post(f"/api/v1/workouts/programs/{program_id}/enroll/", {}, format="json").status_code == 201
    body = client.get(f"/api/v1/workouts/programs/{program_id}/today/").json()
    assert body["state"] == "workout"
    assert body["workout"]["id"] == ProgramDay.objects.get(program_id=program_id, day_number=1).workout_id


def test_the_owner_deletes_a_generated_program_they_followed(member: Any, post: Any) -> None:
    program_id = _generated(member, post)
    client = jwt_client_for(member)
    enrollment = client.post(f"/api/v1/workouts/programs/{program_id}/enroll/", {}, format="json").json()
    client.patch(f"/api/v1/workouts/enrollments/{enrollment['id']}/", {"status": "abandoned"}, format="json")
    assert client.delete(f"/api/v1/workouts/programs/{program_id}/").status_code == 204
    assert not ProgramEnrollment.unscoped.filter(program_id=program_id).exists()


def test_a_tenant_admins_login_does_not_read_members_generated_programs(member: Any, post: Any, tenant: Any) -> None:
    program_id = _generated(member, post)
    admin = jwt_client_for(cast(User, UserFactory(tenant=tenant, role=User.Role.TENANT_ADMIN)))
    assert admin.get(f"/api/v1/workouts/programs/{program_id}/").status_code == 404
    assert admin.get(f"/api/v1/workouts/{_a_workout_of(program_id)}/").status_code == 404
    assert program_id not in [row["id"] for row in admin.get("/api/v1/workouts/programs/").json()["results"]]


def test_an_api_key_cannot_attach_another_user_to_someones_private_rows(member: Any, post: Any, tenant: Any) -> None:
    program_id = _generated(member, post)
    workout_id = _a_workout_of(program_id)
    other = cast(User, UserFactory(tenant=tenant))
    key = api_key_client_for(tenant)
    enroll = key.post(f"/api/v1/workouts/programs/{program_id}/enroll/", {"user": other.pk}, format="json")
    favorite = key.post(f"/api/v1/workouts/{workout_id}/favorite/?user={other.pk}")
    progress = key.post(
        "/api/v1/workouts/progress/",
        {"user": other.pk, "workout": workout_id, "progress_percentage": 10},
        format="json",
    )
    session = key.post(
        "/api/v1/workouts/sessions/",
        {"user": other.pk, "workout": workout_id, "started_at": timezone.now().isoformat()},
        format="json",
    )
    assert (enroll.status_code, favorite.status_code, progress.status_code, session.status_code) == (404, 404, 400, 400)
    assert not ProgramEnrollment.unscoped.filter(user=other).exists()
    assert not WorkoutProgress.unscoped.filter(user=other).exists()
    # ... so the owner can still delete their account.
    user_delete(user=member)
    assert not Program.objects.filter(pk=program_id).exists()


def test_a_pending_program_is_not_edited_under_its_worker(member: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = jwt_client_for(member)
    with django_capture_on_commit_callbacks(execute=False):
        program_id = client.post(GENERATE, REQUEST, format="json").json()["program"]
    days = [{"day_number": n, "workout": None} for n in range(1, 29)]
    response = client.patch(f"/api/v1/workouts/programs/{program_id}/", {"days": days}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "generation_pending")
    run_program(program_id=program_id)
    assert Program.objects.get(pk=program_id).generation_status == "ready"


def test_deleting_a_program_leaves_other_users_workouts_alone(member: Any, post: Any, tenant: Any) -> None:
    other = cast(User, UserFactory(tenant=tenant))
    Subscription.objects.create(
        tenant=tenant, user=other, status="active", current_period_end=timezone.now() + timedelta(days=20)
    )
    theirs = _a_workout_of(_generated(other, post))
    mine = _generated(member, post)
    # The tenant's key puts the other member's workout into this member's program.
    days = [{"day_number": n, "workout": theirs if n == 1 else None} for n in range(1, 29)]
    key = api_key_client_for(tenant)
    assert key.patch(f"/api/v1/workouts/programs/{mine}/", {"days": days}, format="json").status_code == 200
    assert key.delete(f"/api/v1/workouts/programs/{mine}/").status_code == 204
    assert ProgramDay.objects.filter(workout_id=theirs).exists()


def test_the_export_includes_generated_programs(member: Any, post: Any) -> None:
    program_id = _generated(member, post)
    export = jwt_client_for(member).get("/api/v1/users/me/export/").json()["sections"]["workouts"]
    assert [row["id"] for row in export["generated_programs"]] == [program_id]
    assert len(export["generated_workouts"]) == 12
    assert export["generated_workouts"][0]["exercises"]
