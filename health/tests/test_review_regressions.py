"""Bugs an independent review found in the health app, each pinned by the request that showed it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from conftest import jwt_client_for
from health import services
from health.models import HealthImport, HealthSample, IdempotentReply
from notification.models import Notification

pytestmark = pytest.mark.django_db

ONE = "/api/v1/health/data/"
BATCH = "/api/v1/health/data/batch/"
IMPORTS = "/api/v1/health/imports/"


def at(hours_ago: float) -> str:
    return (timezone.now() - timedelta(hours=hours_ago)).isoformat()


def upload(client, format: str, name: str, data: bytes, capture):
    with capture(execute=True):
        response = client.post(IMPORTS, {"format": format, "file": SimpleUploadedFile(name, data)}, format="multipart")
    assert response.status_code == 202, response.content
    return client.get(response.json()["status_url"]).json()


@pytest.mark.parametrize("source", [["manual"], {"a": 1}, 0, False, ""])
def test_a_source_that_is_not_a_string_is_a_400(user_client, source) -> None:
    response = user_client.post(
        ONE, {"metric": "steps", "value": 5, "start_time": at(1), "source": source}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "source"


def test_a_height_the_profile_refuses_is_stored_and_leaves_the_profile_alone(user, user_client) -> None:
    user.profile.height_cm = Decimal("170.0")
    user.profile.save()
    child = user_client.post(ONE, {"metric": "height", "value": 40, "start_time": at(1)}, format="json")
    assert child.status_code == 201, child.content
    user.profile.refresh_from_db()
    assert user.profile.height_cm == Decimal("170.0")
    tall = user_client.post("/api/v1/health/measurements/", {"measured_at": at(0.5), "height": 275}, format="json")
    assert tall.status_code == 201
    assert HealthSample.unscoped.filter(user=user, metric="height").count() == 2


def test_a_batch_over_django_s_default_body_limit_is_accepted(user, user_client) -> None:
    base = timezone.now() - timedelta(days=2)
    samples = [
        {
            "metric": "heart_rate",
            "value": 60 + i % 30,
            "start_time": (base + timedelta(seconds=9 * i)).isoformat(),
            "source_name": "A partner's wearable with a long product name " * 2,
            "device": "Device model " * 10,
            "external_id": f"partner-sample-{i:08d}",
        }
        for i in range(10_000)
    ]
    body = orjson.dumps({"samples": samples})
    assert len(body) > 3_000_000
    response = user_client.generic("POST", BATCH, body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 10_000


def test_an_unexpected_error_ends_the_import_as_failed(
    user, user_client, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_write", broken)
    csv = b"Date,Step count\n2024-01-02,1000\n"
    status = upload(
        user_client, "google_fit_daily_csv", "Daily activity metrics.csv", csv, django_capture_on_commit_callbacks
    )
    assert status["status"] == "failed"
    assert "unexpected" in status["message"]
    record = HealthImport.unscoped.get(pk=status["id"])
    assert not record.file.name or not record.file.storage.exists(record.file.name)
    assert Notification.objects.for_tenant(user.tenant_id).filter(user=user, type="import_finished").count() == 1


def test_implausible_dates_in_imports_are_invalid_not_stored(
    user, user_client, django_capture_on_commit_callbacks
) -> None:
    csv = b"Date,Step count\n9999-12-31,100\n0001-01-01,100\n2024-01-02,1000\n"
    status = upload(
        user_client, "google_fit_daily_csv", "Daily activity metrics.csv", csv, django_capture_on_commit_callbacks
    )
    assert status["status"] == "succeeded"
    assert status["invalid_counts"]["Date"] == 2
    apple = (
        b'<?xml version="1.0"?><HealthData locale="en_US">'
        b'<Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" unit="kg" '
        b'startDate="2199-01-01 08:00:00 +0000" endDate="2199-01-01 08:00:00 +0000" value="150"/>'
        b'<Record type="HKQuantityTypeIdentifierStepCount" sourceName="Phone" unit="count" '
        b'startDate="1970-01-01 08:00:00 +0000" endDate="2100-01-01 08:00:00 +0000" value="10"/>'
        b"</HealthData>"
    )
    status = upload(user_client, "apple_health", "export.xml", apple, django_capture_on_commit_callbacks)
    assert status["status"] == "succeeded"
    assert sum(status["invalid_counts"].values()) == 2
    assert list(HealthSample.unscoped.filter(user=user).values_list("metric", flat=True)) == ["steps"]
    user.profile.refresh_from_db()
    assert user.profile.weight_kg != Decimal("150")


def test_an_abandoned_first_request_does_not_lock_its_idempotency_key(user, user_client) -> None:
    body = {"samples": [{"metric": "steps", "value": 5, "start_time": at(1)}]}
    headers = {"HTTP_IDEMPOTENCY_KEY": "crashed-first"}
    assert user_client.post(BATCH, body, format="json", **headers).status_code == 200
    reply = IdempotentReply.unscoped.get(key="crashed-first")
    IdempotentReply.unscoped.filter(pk=reply.pk).update(status_code=None, body=b"")  # as a killed worker leaves it
    assert user_client.post(BATCH, body, format="json", **headers).status_code == 409
    IdempotentReply.unscoped.filter(pk=reply.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    retry = user_client.post(BATCH, body, format="json", **headers)
    assert retry.status_code == 200 and retry.json()["unchanged"] == 1


def test_a_night_is_one_night_even_when_a_stage_ends_before_midnight(user, user_client) -> None:
    user.profile.timezone = "Europe/Berlin"
    user.profile.save()
    night = [
        ("core", "2026-03-03T22:00:00Z", "2026-03-03T22:50:00Z"),  # 23:00-23:50 in Berlin
        ("deep", "2026-03-03T22:50:00Z", "2026-03-04T00:00:00Z"),
        ("core", "2026-03-04T00:00:00Z", "2026-03-04T06:00:00Z"),
    ]
    samples = [{"metric": "sleep", "stage": stage, "start_time": a, "end_time": b} for stage, a, b in night]
    assert user_client.post(BATCH, {"samples": samples}, format="json").status_code == 200
    summary = user_client.get("/api/v1/health/summary/?metric=sleep&start=2026-03-03&end=2026-03-05").json()
    assert [(b["start"][:10], b["sum"]) for b in summary["buckets"]] == [("2026-03-04", 480)]


def test_hour_buckets_keep_the_two_hours_of_a_dst_fall_back_apart(user, user_client) -> None:
    user.profile.timezone = "Europe/Berlin"
    user.profile.save()
    samples = [
        {"metric": "steps", "value": 100, "start_time": "2024-10-27T00:30:00Z"},  # 02:30 CEST
        {"metric": "steps", "value": 1, "start_time": "2024-10-27T01:30:00Z"},  # 02:30 CET, an hour later
    ]
    user_client.post(BATCH, {"samples": samples}, format="json")
    buckets = user_client.get(
        "/api/v1/health/summary/?metric=steps&bucket=hour&start=2024-10-27&end=2024-10-27"
    ).json()["buckets"]
    assert [(b["start"], b["sum"]) for b in buckets] == [
        ("2024-10-27T02:00:00+02:00", 100),
        ("2024-10-27T02:00:00+01:00", 1),
    ]


def test_reimporting_daily_totals_after_a_time_zone_change_adds_nothing(
    user, user_client, django_capture_on_commit_callbacks
) -> None:
    csv = b"Date,Step count\n2024-01-02,1000\n2024-01-03,2000\n"
    upload(user_client, "google_fit_daily_csv", "Daily activity metrics.csv", csv, django_capture_on_commit_callbacks)
    user.profile.timezone = "Europe/Berlin"
    user.profile.save()
    again = upload(
        jwt_client_for(user),
        "google_fit_daily_csv",
        "Daily activity metrics.csv",
        csv,
        django_capture_on_commit_callbacks,
    )
    assert again["sample_counts"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert HealthSample.unscoped.filter(user=user, metric="steps").count() == 2


def test_an_edited_health_connect_record_replaces_the_stored_one(
    user, user_client, django_capture_on_commit_callbacks
) -> None:
    def line(kg: float, modified: str) -> bytes:
        return orjson.dumps(
            {
                "type": "WeightRecord",
                "time": "2026-11-20T07:00:00Z",
                "weight": {"inKilograms": kg},
                "metadata": {"id": "w-1\x00", "lastModifiedTime": modified, "dataOrigin": "com.scale\x00app"},
            }
        )

    upload(
        user_client,
        "health_connect_json",
        "r.jsonl",
        line(80, "2026-11-20T07:01:00Z"),
        django_capture_on_commit_callbacks,
    )
    edited = upload(
        user_client,
        "health_connect_json",
        "r.jsonl",
        line(70, "2026-11-21T09:00:00Z"),
        django_capture_on_commit_callbacks,
    )
    assert edited["sample_counts"] == {"created": 0, "updated": 1, "unchanged": 0}
    sample = HealthSample.unscoped.get(user=user)
    assert (sample.value, sample.external_id, sample.source_name) == (70, "w-1", "com.scaleapp")


def test_an_old_weight_sent_later_does_not_undo_a_newer_profile_weight(user, user_client) -> None:
    user_client.post(ONE, {"metric": "body_weight", "value": 79, "start_time": at(24)}, format="json")
    user.profile.refresh_from_db()
    assert user.profile.weight_kg == Decimal("79.00")
    user.profile.weight_kg = Decimal("75.00")  # typed in by hand since
    user.profile.save()
    user_client.post(ONE, {"metric": "body_weight", "value": 90, "start_time": at(24 * 400)}, format="json")
    user.profile.refresh_from_db()
    assert user.profile.weight_kg == Decimal("75.00")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "1969-01-01T00:00:00Z"])
def test_a_forged_cursor_with_an_extreme_date_is_a_400(user_client, moment) -> None:
    cursor = base64.urlsafe_b64encode(orjson.dumps({"s": [moment, 1], "d": [moment, 1]})).decode().rstrip("=")
    assert user_client.get(f"/api/v1/health/sync/?cursor={cursor}").status_code == 400


@override_settings(HEALTH_SYNC_SETTLE_SECONDS=0)
def test_sync_tombstones_have_exactly_the_documented_keys(user, user_client) -> None:
    user_client.post(ONE, {"metric": "steps", "value": 5, "start_time": at(1)}, format="json")
    pk = HealthSample.unscoped.get(user=user).pk
    user_client.delete(f"{ONE}{pk}/")
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        deleted = jwt_client_for(user).get("/api/v1/health/sync/").json()["deleted"]
    assert set(deleted[0]) == {"id", "tombstone", "metric", "source", "external_id", "deleted_at"}
    assert deleted[0]["id"] == pk


def test_a_running_import_is_not_taken_twice_unless_abandoned(user) -> None:
    record = HealthImport.objects.create(
        tenant=user.tenant, user=user, format="google_fit_daily_csv", status=HealthImport.Status.RUNNING
    )
    assert services._claim(record.pk) is False
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        assert services._claim(record.pk) is True
