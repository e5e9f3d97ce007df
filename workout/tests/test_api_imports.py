"""Activity-file imports through the API: 202 + status URL, one session per file, clean failures."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import api_key_client_for, jwt_client_for
from users.tests.factories import UserFactory
from workout.models import ActivityImport, SessionTrack, WorkoutSession

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "activity"
IMPORT = "/api/v1/workouts/sessions/import/"


def send(client, name: str, content: bytes | None = None, **extra):
    body = (DATA / name).read_bytes() if content is None else content
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, body), **extra}, format="multipart")


def status_of(client, response) -> dict:
    assert response.status_code in (200, 202), response.content
    url = response.json()["status_url"]
    assert url == f"/api/v1/workouts/imports/{response.json()['id']}/"
    return client.get(url).json()


def test_a_gpx_track_becomes_a_session_with_a_route(user, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "korita-zbevnica.gpx")
    assert response.status_code == 202
    state = status_of(client, response)
    assert state["status"] == "succeeded", state
    assert state["file_format"] == "gpx"
    session = WorkoutSession.unscoped.get(pk=state["session"])
    assert (session.user, session.source) == (user, "import")
    assert session.distance_m is not None and session.distance_m > 1000
    assert session.ended_at is not None and session.ended_at > session.started_at
    route = client.get(f"/api/v1/workouts/sessions/{session.pk}/route/").json()
    assert route["type"] == "Feature" and route["geometry"]["type"] == "LineString"
    points = route["geometry"]["coordinates"]
    assert len(points) == len(route["properties"]["times"]) > 100
    lon, lat = points[0][:2]
    assert 13 < lon < 16 and 45 < lat < 47  # Slovenia
    assert client.get(f"/api/v1/workouts/sessions/{session.pk}/").json()["has_route"] is True


def test_the_same_file_twice_is_one_session_gzipped_or_not(user, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    raw = (DATA / "garmin-fenix-5-run.fit").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        first = send(client, "run.fit", raw)
        second = send(client, "run.fit.gz", gzip.compress(raw))
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert WorkoutSession.unscoped.filter(user=user).count() == 1
    # Another user's upload of the same file is their own session.
    other = jwt_client_for(UserFactory.create(tenant=user.tenant))
    with django_capture_on_commit_callbacks(execute=True):
        assert send(other, "run.fit", raw).status_code == 202
    assert WorkoutSession.unscoped.count() == 2


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("activity-unexpected-eof.fit", "truncated"),
        ("route.gpx", "route"),
        ("cerknicko-without-times.gpx", "timestamps"),
        ("MonitoringFile.fit", "not an activity"),
    ],
)
def test_unusable_files_fail_cleanly(user, django_capture_on_commit_callbacks, name, fragment) -> None:
    client = jwt_client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, name)
    state = status_of(client, response)
    assert state["status"] == "failed"
    assert fragment in state["message"].lower()
    assert state["session"] is None
    assert not WorkoutSession.unscoped.exists() and not SessionTrack.unscoped.exists()


def test_a_png_is_a_failed_import_and_an_empty_file_a_400(user, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        png = send(client, "photo.gpx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert status_of(client, png)["status"] == "failed"
    empty = send(client, "empty.fit", b"")
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["field"] == "file"
    assert ActivityImport.unscoped.count() == 1


def test_api_keys_import_for_their_users(user, tenant, django_capture_on_commit_callbacks) -> None:
    key = api_key_client_for(tenant)
    assert send(key, "test.tcx").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = send(key, "test.tcx", user=user.pk)
    assert status_of(key, response)["status"] == "succeeded"
    assert WorkoutSession.unscoped.get().user == user


def test_imports_and_routes_are_private(user, tenant, django_capture_on_commit_callbacks) -> None:
    client = jwt_client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "test.tcx")
    neighbour = jwt_client_for(UserFactory.create(tenant=tenant))
    assert neighbour.get(response.json()["status_url"]).status_code == 404
    session = WorkoutSession.unscoped.get()
    assert neighbour.get(f"/api/v1/workouts/sessions/{session.pk}/route/").status_code == 404
