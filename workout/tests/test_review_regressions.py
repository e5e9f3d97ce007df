"""Bugs an independent review found, each pinned by a test."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from users.models import Profile
from workout import achievements
from workout.models import ActivityImport, UserAchievement, WorkoutSession, WorkoutVideo
from workout.tests.factories import SessionFactory, WorkoutFactory, make_program
from workout.tests.test_api_imports import DATA
from workout.tests.test_premium import mp4_bytes

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/workouts/sessions/"


def test_sessions_before_1970_are_refused_and_no_timezone_breaks_the_account(user) -> None:
    client = jwt_client_for(user)
    response = client.post(SESSIONS, {"started_at": "0001-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "started_at",
        "code": "too_early",
        "message": "Give a time after 1970.",
    }
    Profile.unscoped.filter(user=user).update(timezone="America/New_York")
    assert client.post(SESSIONS, {"started_at": "1970-01-02T00:00:00Z"}, format="json").status_code == 201
    assert client.get("/api/v1/workouts/achievements/").status_code == 200


def test_a_resent_partner_session_replaces_the_stored_one_whole(user, tenant) -> None:
    key = api_key_client_for(tenant)
    start = timezone.now() - timedelta(days=1)
    first = {
        "user": user.pk,
        "external_id": "abc",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "notes": "v1",
    }
    assert key.post(SESSIONS, first, format="json").status_code == 201
    later = {"user": user.pk, "external_id": "abc", "started_at": (start + timedelta(hours=3)).isoformat()}
    response = key.post(SESSIONS, later, format="json")
    assert response.status_code == 201, response.content
    session = WorkoutSession.unscoped.get()
    assert (session.ended_at, session.notes) == (None, "")


def test_a_program_patch_with_a_day_missing_its_number_is_a_400(admin_client_jwt, tenant) -> None:
    workout = WorkoutFactory.create(tenant=tenant)
    program = make_program([workout], tenant=tenant, title="Ours")
    response = admin_client_jwt.patch(
        f"/api/v1/workouts/programs/{program.pk}/", {"days": [{"workout": None}]}, format="json"
    )
    assert response.status_code == 400


def test_members_never_see_unpublished_workouts_through_programs(user, tenant_admin, tenant) -> None:
    draft = WorkoutFactory.create(tenant=tenant, title="SECRET DRAFT", published=False)
    admin = jwt_client_for(tenant_admin)
    days = [{"day_number": n, "workout": draft.pk if n == 1 else None} for n in range(1, 8)]
    refused = admin.post(
        "/api/v1/workouts/programs/", {"title": "P", "weeks": 1, "published": True, "days": days}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "unpublished_workout"
    # A workout unpublished after the program was written is hidden from members.
    live = WorkoutFactory.create(tenant=tenant, title="Live then hidden")
    program = make_program([live], tenant=tenant, title="Ours")
    live.published = False
    live.save()
    member = jwt_client_for(user)
    body = member.get(f"/api/v1/workouts/programs/{program.pk}/").content.decode()
    assert "Live then hidden" not in body
    assert "Live then hidden" in admin.get(f"/api/v1/workouts/programs/{program.pk}/").content.decode()
    member.post(f"/api/v1/workouts/programs/{program.pk}/enroll/", {}, format="json")
    today = member.get(f"/api/v1/workouts/programs/{program.pk}/today/").json()
    assert (today["state"], today["workout"]) == ("unavailable", None)


def test_a_lost_or_failed_import_is_read_again_when_the_file_comes_again(
    user, django_capture_on_commit_callbacks
) -> None:
    client = jwt_client_for(user)
    raw = (DATA / "test.tcx").read_bytes()
    post = lambda: client.post(  # noqa: E731
        "/api/v1/workouts/sessions/import/", {"file": SimpleUploadedFile("a.tcx", raw)}, format="multipart"
    )
    first = post()  # not run: the callbacks are not executed, as if the broker had lost it
    assert first.status_code == 202
    assert post().status_code == 200  # still pending and fresh: the same import
    ActivityImport.unscoped.update(
        created_at=timezone.now() - timedelta(hours=1), updated_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = post()
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    assert ActivityImport.unscoped.get().status == "succeeded"
    assert WorkoutSession.unscoped.count() == 1


def test_the_weight_rule_stays_reachable_for_users_without_a_weight_at_first(user) -> None:
    SessionFactory.create(user=user)
    achievements.evaluate(user)  # baseline recorded with no weight
    Profile.unscoped.filter(user=user).update(weight_kg=Decimal("100"), fitness_goal="lose")
    achievements.evaluate(user)  # the first weight becomes the baseline
    Profile.unscoped.filter(user=user).update(weight_kg=Decimal("94"))
    achievements.evaluate(user)
    assert UserAchievement.unscoped.filter(user=user, code="weight_change_5").exists()


def test_deleting_a_workout_removes_its_video_files(
    admin_client_jwt, tenant, django_capture_on_commit_callbacks
) -> None:
    workout = WorkoutFactory.create(tenant=tenant)
    uploaded = admin_client_jwt.post(
        f"/api/v1/workouts/{workout.pk}/videos/",
        {"title": "a", "duration_seconds": 5, "video": SimpleUploadedFile("a.mp4", mp4_bytes())},
        format="multipart",
    )
    video = WorkoutVideo.objects.get(pk=uploaded.json()["id"])
    storage, name = video.video.storage, video.video.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client_jwt.delete(f"/api/v1/workouts/{workout.pk}/").status_code == 204
    assert not storage.exists(name)


# --- found by the contract fuzzing -------------------------------------------------------


def test_an_empty_category_slug_is_a_400_not_a_cleared_category(admin_client_jwt) -> None:
    response = admin_client_jwt.post(
        "/api/v1/workouts/", {"title": "T", "duration_minutes": 5, "category": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "category"
    cleared = admin_client_jwt.post(
        "/api/v1/workouts/", {"title": "T", "duration_minutes": 5, "category": None}, format="json"
    )
    assert cleared.status_code == 201


def test_reminder_times_are_wall_clock_hh_mm(user_client) -> None:
    program = make_program([WorkoutFactory.create()], title="P")
    enrolled = user_client.post(
        f"/api/v1/workouts/programs/{program.pk}/enroll/", {"reminder_time": "07:30"}, format="json"
    ).json()
    assert enrolled["reminder_time"] == "07:30"
    bad = user_client.patch(
        f"/api/v1/workouts/enrollments/{enrolled['id']}/", {"reminder_time": "7:30pm"}, format="json"
    )
    assert bad.status_code == 400


def test_a_session_without_sets_has_zero_volume(user_client) -> None:
    user_client.post(SESSIONS, {"started_at": "2026-11-01T07:00:00Z"}, format="json")
    [row] = user_client.get(SESSIONS).json()["results"]
    assert (row["set_count"], row["volume_kg"]) == (0, 0.0)


def test_the_schema_says_which_reads_need_no_credentials() -> None:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {} in paths["/api/v1/workouts/"]["get"]["security"]
    assert {} not in paths["/api/v1/workouts/"]["post"]["security"]
    assert {} not in paths["/api/v1/workouts/sessions/"]["get"]["security"]
    assert {} not in paths["/api/v1/workouts/favorites/"]["get"]["security"]


@pytest.mark.parametrize("slug", ["", "a\x00b", "x" * 65, "Ü"])
def test_anything_but_a_slug_is_refused_before_the_database(admin_client_jwt, slug) -> None:
    response = admin_client_jwt.post("/api/v1/workouts/exercises/", {"name": "Row", "category": slug}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "category",
        "code": "does_not_exist",
        "message": response.json()["errors"][0]["message"],
    }
