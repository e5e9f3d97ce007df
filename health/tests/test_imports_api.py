"""POST /health/imports/ end to end: the shared real exports, twice (no duplicates), bad uploads
refused before anything is stored, and a broken file that keeps its committed batches."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from health import services
from health.models import HealthImport, HealthSample
from notification.models import Notification
from workout.models import SessionTrack, WorkoutSession

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "health"
URL = "/api/v1/health/imports/"
# The real exports live beside the project in development and CI checkouts (../shared/data).
needs_shared_data = pytest.mark.skipif(not DATA.is_dir(), reason="the shared sample data (../shared/data) is not here")


def apple_zip() -> bytes:
    buffer = io.BytesIO()
    folder = DATA / "apple_health" / "apple_health_export"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"apple_health_export/{path.relative_to(folder)}")
    return buffer.getvalue()


def upload(client, format: str, name: str, data: bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(URL, {"format": format, "file": SimpleUploadedFile(name, data)}, format="multipart")


def all_files() -> list[tuple[str, str, bytes]]:
    return [
        ("apple_health", "export.xml", (DATA / "apple_health" / "export.xml").read_bytes()),
        ("apple_health", "export.zip", apple_zip()),
        (
            "google_fit_daily_csv",
            "Daily activity metrics.csv",
            (DATA / "google_fit" / "Daily activity metrics.csv").read_bytes(),
        ),
    ]


@needs_shared_data
def test_every_shared_file_twice_gives_no_duplicates(user, user_client, django_capture_on_commit_callbacks) -> None:
    counts = []
    for _ in range(2):
        for format, name, data in all_files():
            response = upload(user_client, format, name, data, django_capture_on_commit_callbacks)
            assert response.status_code == 202, response.content
            status = user_client.get(response.json()["status_url"]).json()
            assert status["status"] == "succeeded", status
            assert status["progress"] == 100
        counts.append(
            (
                HealthSample.unscoped.filter(user=user).count(),
                WorkoutSession.unscoped.filter(user=user).count(),
            )
        )
    assert counts[0] == counts[1]
    samples, sessions = counts[0]
    assert samples > 1000  # the Google Fit file alone has 1,053 days of steps, weight, heart rate
    # Both Apple layouts hold the same run (same start, same sport): one session, whose route came
    # inline in the old layout and as workout-routes/*.gpx in the zip.
    assert sessions == 1
    assert SessionTrack.unscoped.filter(session__user=user).count() == 1
    second_round = HealthImport.unscoped.filter(user=user).order_by("-id")[: len(all_files())]
    for record in second_round:
        assert record.sample_counts["created"] == 0, record.sample_counts
    assert Notification.objects.for_tenant(user.tenant_id).filter(user=user, type="import_finished").count() == 6


@needs_shared_data
def test_apple_status_counts_types(user, user_client, django_capture_on_commit_callbacks) -> None:
    data = (DATA / "apple_health" / "export.xml").read_bytes()
    response = upload(user_client, "apple_health", "export.xml", data, django_capture_on_commit_callbacks)
    status = user_client.get(response.json()["status_url"]).json()
    assert status["read_counts"]["HKQuantityTypeIdentifierBodyMassIndex"] == 1
    assert status["read_counts"]["Workout"] == 1
    assert status["workouts_imported"] == 1
    bmi = HealthSample.unscoped.get(user=user, metric="bmi")
    assert bmi.value == pytest.approx(22.5312) and bmi.source == "apple_health"
    # Achievements are evaluated once after the import, not per workout.
    from workout.models import UserAchievement

    assert UserAchievement.objects.for_tenant(user.tenant_id).filter(user=user, code="first_workout").exists()


def test_bad_uploads_are_refused_and_store_nothing(user, user_client, django_capture_on_commit_callbacks) -> None:
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("notes.txt", "no export here")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("apple_health_export/export.xml", b"<HealthData>" + b" " * 50_000_000 + b"</HealthData>")
    cases = [
        ("apple_health", "export.zip", empty_zip.getvalue(), "export.xml"),
        ("apple_health", "export.zip", bomb.getvalue(), "expand"),
        ("apple_health", "export.zip", b"PK\x03\x04 broken", ""),
        ("apple_health", "export.xml", b"", ""),
        ("apple_health", "photo.jpg", b"\xff\xd8\xff\xe0 not xml", ""),
    ]
    for format, name, data, words in cases:
        response = upload(user_client, format, name, data, django_capture_on_commit_callbacks)
        assert response.status_code == 400, (name, response.content)
        assert words in response.json()["detail"]
    assert user_client.post(URL, {"file": SimpleUploadedFile("x.xml", b"<a/>")}, format="multipart").status_code == 400
    wrong = user_client.post(
        URL, {"format": "fitbit", "file": SimpleUploadedFile("x.xml", b"<a/>")}, format="multipart"
    )
    assert wrong.status_code == 400
    assert not HealthImport.unscoped.exists()
    assert not HealthSample.unscoped.exists()


@override_settings(HEALTH_IMPORT_MAX_BYTES=1000)
def test_an_upload_over_the_limit_is_413(user_client) -> None:
    response = user_client.post(
        URL,
        {"format": "apple_health", "file": SimpleUploadedFile("export.xml", b"<HealthData>" + b" " * 5000)},
        format="multipart",
    )
    assert response.status_code == 413
    assert not HealthImport.unscoped.exists()


def test_malformed_xml_keeps_committed_batches_and_a_retry_completes(
    user, user_client, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 10)
    records = "".join(
        f'<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count" '
        f'startDate="2026-01-01 08:{i:02d}:00 +0100" endDate="2026-01-01 08:{i:02d}:30 +0100" value="{10 + i}"/>'
        for i in range(45)
    )
    broken = f'<?xml version="1.0"?><HealthData locale="en_US">{records}<Record type="oops"'.encode()
    response = upload(user_client, "apple_health", "export.xml", broken, django_capture_on_commit_callbacks)
    status = user_client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed"
    assert "well-formed" in status["message"]
    kept = HealthSample.unscoped.filter(user=user).count()
    assert kept == 40  # four whole batches committed before the break
    fixed = f'<?xml version="1.0"?><HealthData locale="en_US">{records}</HealthData>'.encode()
    retry = upload(user_client, "apple_health", "export.xml", fixed, django_capture_on_commit_callbacks)
    done = user_client.get(retry.json()["status_url"]).json()
    assert done["status"] == "succeeded"
    assert done["sample_counts"] == {"created": 5, "updated": 0, "unchanged": 40}
    assert HealthSample.unscoped.filter(user=user).count() == 45


def test_health_connect_json_lines(user, user_client, django_capture_on_commit_callbacks) -> None:
    lines = [
        '{"type": "StepsRecord", "startTime": "2026-11-30T07:00:00Z", "endTime": "2026-11-30T08:00:00Z", '
        '"count": 812, "metadata": {"id": "hc-1", "dataOrigin": "com.fitbit.FitbitMobile"}}',
        '{"type": "WeightRecord", "time": "2026-11-30T06:30:00+01:00", "weight": {"inKilograms": 74.2}, '
        '"metadata": {"id": "hc-2"}}',
        "not json",
    ]
    data = "\n".join(lines).encode()
    response = upload(user_client, "health_connect_json", "records.jsonl", data, django_capture_on_commit_callbacks)
    status = user_client.get(response.json()["status_url"]).json()
    assert status["status"] == "succeeded", status
    assert status["sample_counts"]["created"] == 2
    assert len(status["errors"]) == 1
    user.profile.refresh_from_db()
    assert float(user.profile.weight_kg) == 74.2


@needs_shared_data
def test_imports_list_and_api_key_uploads_for_a_user(tenant, user, django_capture_on_commit_callbacks) -> None:
    from conftest import api_key_client_for

    client = api_key_client_for(tenant, ["health:write", "health:read"])
    data = (DATA / "apple_health" / "export.xml").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {"user": user.pk, "format": "apple_health", "file": SimpleUploadedFile("export.xml", data)},
            format="multipart",
        )
    assert response.status_code == 202
    assert response.json()["user"] == user.pk
    listed = client.get(f"{URL}?user={user.pk}").json()
    assert [row["id"] for row in listed["results"]] == [response.json()["id"]]
