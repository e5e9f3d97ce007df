"""POST /health/data/ and /health/data/batch/: validation, unit conversion, the upsert's counts,
idempotency keys, and who may write for whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from health.models import HealthSample
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/health/data/batch/"
ONE = "/api/v1/health/data/"


def at(hours_ago: float) -> str:
    return (timezone.now() - timedelta(hours=hours_ago)).isoformat()


def steps(n: int, *, value: int = 100, version: int = 1) -> list[dict]:
    base = timezone.now() - timedelta(days=2)
    return [
        {
            "metric": "steps",
            "value": value,
            "start_time": (base + timedelta(seconds=10 * i)).isoformat(),
            "end_time": (base + timedelta(seconds=10 * i + 10)).isoformat(),
            "external_id": f"s-{i}",
            "version": version,
        }
        for i in range(n)
    ]


def stored(user) -> int:
    return HealthSample.unscoped.filter(user=user).count()


def test_batch_creates_then_replays_unchanged_then_updates_higher_versions(user, user_client) -> None:
    first = user_client.post(BATCH, {"samples": steps(50)}, format="json")
    assert first.status_code == 200, first.content
    assert first.json() == {"received": 50, "created": 50, "updated": 0, "unchanged": 0}
    again = user_client.post(BATCH, {"samples": steps(50)}, format="json")
    assert again.json() == {"received": 50, "created": 0, "updated": 0, "unchanged": 50}
    newer = user_client.post(BATCH, {"samples": steps(10, value=250, version=2) + steps(5)}, format="json")
    # 10 newer versions replace; the 5 at version 1 repeat samples already stored (duplicates of the key
    # inside the batch keep the highest version).
    assert newer.json() == {"received": 15, "created": 0, "updated": 10, "unchanged": 5}
    assert stored(user) == 50
    assert HealthSample.unscoped.get(user=user, external_id="s-3").value == 250
    assert HealthSample.unscoped.get(user=user, external_id="s-3").version == 2
    assert HealthSample.unscoped.get(user=user, external_id="s-30").value == 100


def test_samples_without_external_id_get_a_deterministic_one(user, user_client) -> None:
    sample = {"metric": "heart_rate", "value": 61, "start_time": at(3)}
    assert user_client.post(BATCH, {"samples": [sample]}, format="json").json()["created"] == 1
    assert user_client.post(BATCH, {"samples": [sample]}, format="json").json()["unchanged"] == 1
    other = {**sample, "value": 62}
    assert user_client.post(BATCH, {"samples": [other]}, format="json").json()["created"] == 1
    ids = set(HealthSample.unscoped.filter(user=user).values_list("external_id", flat=True))
    assert len(ids) == 2 and all(value.startswith("auto:") for value in ids)


@pytest.mark.parametrize(
    ("sample", "unit_value"),
    [
        ({"metric": "body_weight", "value": 154.3, "unit": "lb"}, 69.989),
        ({"metric": "distance", "value": 3.1, "unit": "mi"}, 4.989),
        ({"metric": "active_energy", "value": 418.4, "unit": "kJ"}, 100.0),
        ({"metric": "blood_glucose", "value": 90, "unit": "mg/dL"}, 4.996),
        ({"metric": "body_temperature", "value": 98.6, "unit": "degF"}, 37.0),
        ({"metric": "spo2", "value": 0.97, "unit": "fraction"}, 97.0),
        ({"metric": "heart_rate", "value": 1.2, "unit": "count/s"}, 72.0),
        ({"metric": "water", "value": 0.5, "unit": "L"}, 500.0),
    ],
)
def test_units_are_converted_to_the_canonical_unit(user, user_client, sample, unit_value) -> None:
    response = user_client.post(ONE, {**sample, "start_time": at(1)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["value"] == pytest.approx(unit_value, abs=0.001)


@pytest.mark.parametrize(
    ("sample", "field", "code"),
    [
        ({"metric": "stepz", "value": 1}, "samples[1].metric", "unknown_metric"),
        ({"metric": "steps", "value": 1, "unit": "parsecs"}, "samples[1].unit", "unknown_unit"),
        ({"metric": "heart_rate", "value": 900}, "samples[1].value", "out_of_range"),
        ({"metric": "body_weight", "value": 2, "unit": "kg"}, "samples[1].value", "out_of_range"),
        ({"metric": "steps", "value": "many"}, "samples[1].value", "invalid"),
        ({"metric": "steps", "value": True}, "samples[1].value", "invalid"),
        ({"metric": "steps"}, "samples[1].value", "required"),
        ({"metric": "sleep", "stage": "dreaming"}, "samples[1].stage", "invalid_choice"),
        ({"metric": "steps", "value": 1, "stage": "rem"}, "samples[1].stage", "not_allowed"),
        ({"metric": "steps", "value": 1, "colour": "red"}, "samples[1].colour", "unknown_field"),
    ],
)
def test_a_bad_sample_names_its_field_and_nothing_is_written(user, user_client, sample, field, code) -> None:
    good = steps(1)[0]
    response = user_client.post(BATCH, {"samples": [good, {**sample, "start_time": at(2)}]}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["code"] == code
    assert stored(user) == 0


def test_time_errors(user, user_client) -> None:
    cases = [
        ({"start_time": at(1), "end_time": at(2)}, "samples[0].end_time", "ends_before_start"),
        ({"start_time": "2026-11-30T07:00:00"}, "samples[0].start_time", "naive_datetime"),
        ({"start_time": "yesterday"}, "samples[0].start_time", "invalid"),
        ({"start_time": "1969-12-31T23:00:00Z"}, "samples[0].start_time", "too_early"),
        ({"start_time": at(-72)}, "samples[0].end_time", "in_future"),
        ({"start_time": at(24 * 40), "end_time": at(1)}, "samples[0].end_time", "too_long"),
    ]
    for times, field, code in cases:
        response = user_client.post(BATCH, {"samples": [{"metric": "steps", "value": 5, **times}]}, format="json")
        assert response.status_code == 400, times
        assert (response.json()["errors"][0]["field"], response.json()["errors"][0]["code"]) == (field, code)
    assert stored(user) == 0


def test_every_bad_sample_is_reported_and_the_batch_limit_holds(user, user_client) -> None:
    samples = steps(5)
    samples[1]["value"] = -1
    samples[3]["metric"] = "nope"
    response = user_client.post(BATCH, {"samples": samples}, format="json")
    assert [error["field"] for error in response.json()["errors"]] == ["samples[1].value", "samples[3].metric"]
    too_many = user_client.post(BATCH, {"samples": steps(10_001)}, format="json")
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "samples"
    bodies: list[object] = [{"samples": []}, {"samples": "x"}, {}, [1, 2], {"samples": steps(1), "extra": 1}]
    for body in bodies:
        assert user_client.post(BATCH, body, format="json").status_code == 400, body
    assert stored(user) == 0


def test_a_full_batch_of_10000_is_written(user, user_client) -> None:
    response = user_client.post(BATCH, {"samples": steps(10_000)}, format="json")
    assert response.json() == {"received": 10_000, "created": 10_000, "updated": 0, "unchanged": 0}
    assert stored(user) == 10_000


def test_sleep_without_value_counts_its_minutes(user, user_client) -> None:
    response = user_client.post(
        ONE,
        {"metric": "sleep", "stage": "deep", "start_time": at(8), "end_time": at(6.5)},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["value"] == pytest.approx(90)
    assert response.json()["stage"] == "deep"


def test_single_sample_again_is_200_and_the_same_row(user, user_client) -> None:
    sample = {"metric": "resting_heart_rate", "value": 55, "start_time": at(5), "source_name": "Watch"}
    first = user_client.post(ONE, sample, format="json")
    second = user_client.post(ONE, sample, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["source"] == "manual"
    assert first.json()["user"] == user.pk


def test_idempotency_key_replays_the_first_reply(user, user_client) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "4f7c1f0e-batch-1"}
    body = {"samples": steps(20)}
    first = user_client.post(BATCH, body, format="json", **headers)
    HealthSample.unscoped.filter(user=user).delete()  # a replay does not run again: nothing is re-created
    replay = user_client.post(BATCH, body, format="json", **headers)
    assert replay.status_code == 200
    assert replay.json() == first.json() == {"received": 20, "created": 20, "updated": 0, "unchanged": 0}
    assert replay["Idempotent-Replayed"] == "true"
    assert stored(user) == 0
    different = user_client.post(BATCH, {"samples": steps(21)}, format="json", **headers)
    assert different.status_code == 422
    assert different.json()["code"] == "idempotency_key_reused"
    assert stored(user) == 0


def test_a_failed_request_does_not_burn_its_idempotency_key(user, user_client) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-after-fix"}
    bad = steps(3)
    bad[0]["value"] = -5
    assert user_client.post(BATCH, {"samples": bad}, format="json", **headers).status_code == 400
    fixed = user_client.post(BATCH, {"samples": steps(3)}, format="json", **headers)
    assert fixed.status_code == 200 and fixed.json()["created"] == 3


def test_idempotency_keys_are_per_principal_and_expire(user, user_client, tenant) -> None:
    import time_machine

    other = jwt_client_for(UserFactory(tenant=tenant))
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    assert user_client.post(BATCH, {"samples": steps(2)}, format="json", **headers).status_code == 200
    assert other.post(BATCH, {"samples": steps(3)}, format="json", **headers).json()["created"] == 3
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        later = jwt_client_for(user).post(BATCH, {"samples": steps(4)}, format="json", **headers)
    assert later.status_code == 200 and later.json()["received"] == 4
    bad_key = user_client.post(BATCH, {"samples": steps(1)}, format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert bad_key.status_code == 400


def test_api_key_writes_for_a_user_of_its_tenant_only(tenant, other_tenant, user) -> None:
    client = api_key_client_for(tenant, scopes=["health:write", "health:read"])
    response = client.post(BATCH, {"user": user.pk, "samples": steps(3)}, format="json")
    assert response.json()["created"] == 3
    assert set(HealthSample.unscoped.filter(user=user).values_list("source", flat=True)) == {"partner"}
    stranger = UserFactory.create(tenant=other_tenant)
    assert client.post(BATCH, {"user": stranger.pk, "samples": steps(3)}, format="json").status_code == 404
    missing = client.post(BATCH, {"samples": steps(3)}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "user"
    assert stored(stranger) == 0
    read_only = api_key_client_for(tenant, scopes=["health:read"])
    assert read_only.post(BATCH, {"user": user.pk, "samples": steps(3)}, format="json").status_code == 403


def test_a_user_cannot_write_for_someone_else(tenant, user, user_client) -> None:
    teammate = UserFactory.create(tenant=tenant)
    response = user_client.post(BATCH, {"user": teammate.pk, "samples": steps(2)}, format="json")
    assert response.status_code == 404
    assert stored(teammate) == 0


def test_a_new_weight_becomes_the_profile_weight(user, user_client) -> None:
    old = {"metric": "body_weight", "value": 80, "start_time": at(48)}
    new = {"metric": "body_weight", "value": 79.4, "start_time": at(1)}
    user_client.post(BATCH, {"samples": [new, old]}, format="json")
    user.profile.refresh_from_db()
    assert user.profile.weight_kg == Decimal("79.40")
    # An older reading sent later does not replace the newer one.
    user_client.post(ONE, {"metric": "body_weight", "value": 85, "start_time": at(100)}, format="json")
    user.profile.refresh_from_db()
    assert user.profile.weight_kg == Decimal("79.40")


def test_weight_and_measurement_endpoints(user, user_client) -> None:
    weight = user_client.post(
        "/api/v1/health/weight/", {"value": 176.4, "unit": "lb", "measured_at": at(2)}, format="json"
    )
    assert weight.status_code == 201, weight.content
    assert weight.json()["samples"][0]["metric"] == "body_weight"
    assert weight.json()["samples"][0]["value"] == pytest.approx(80.014, abs=0.001)
    user.profile.refresh_from_db()
    assert user.profile.weight_kg == Decimal("80.01")
    measured = user_client.post(
        "/api/v1/health/measurements/",
        {"measured_at": at(2), "unit": "in", "waist": 32, "hips": 38, "body_fat": 18.5},
        format="json",
    )
    assert measured.status_code == 201, measured.content
    by_metric = {row["metric"]: row["value"] for row in measured.json()["samples"]}
    assert by_metric == pytest.approx({"waist_circumference": 81.28, "hips_circumference": 96.52, "body_fat": 18.5})
    listed = user_client.get("/api/v1/health/measurements/").json()["results"]
    assert {row["metric"] for row in listed} == set(by_metric)
    assert [row["metric"] for row in user_client.get("/api/v1/health/weight/").json()["results"]] == ["body_weight"]
    bad = user_client.post("/api/v1/health/measurements/", {"measured_at": at(2), "waist": 900}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "waist"
    empty = user_client.post("/api/v1/health/measurements/", {"measured_at": at(2)}, format="json")
    assert empty.status_code == 400


def test_sqlite_and_postgresql_agree_on_a_mixed_batch(user, user_client) -> None:
    """The two upsert paths count the same: new, replaced, and a stale version ignored."""
    user_client.post(BATCH, {"samples": steps(4, version=3)}, format="json")
    mixed = steps(6, version=2)  # 0-3 stale (stored at 3), 4-5 new
    mixed[0]["version"] = 4  # replaces
    result = user_client.post(BATCH, {"samples": mixed}, format="json").json()
    assert result == {"received": 6, "created": 2, "updated": 1, "unchanged": 3}
    row = HealthSample.unscoped.get(user=user, external_id="s-0")
    assert (row.version, row.updated_at > row.created_at) == (4, True)
    assert HealthSample.unscoped.get(user=user, external_id="s-1").version == 3


def test_times_are_stored_in_utc(user, user_client) -> None:
    user_client.post(ONE, {"metric": "steps", "value": 10, "start_time": "2026-01-05T08:00:00+02:00"}, format="json")
    assert HealthSample.unscoped.get(user=user).start_time == datetime(2026, 1, 5, 6, tzinfo=UTC)


def test_a_new_weight_moves_the_nutrition_targets(user, user_client) -> None:
    from datetime import date

    from users.tests.factories import ProfileFactory

    ProfileFactory.create(
        user=user,
        birth_date=date(1986, 6, 15),
        sex="male",
        height_cm=Decimal("180"),
        weight_kg=Decimal("80"),
        activity_level="moderate",
        fitness_goal="lose",
    )
    before = user_client.get("/api/v1/nutrition/targets/").json()
    assert before["computed"]["protein_g"] == 160  # 2.0 g/kg while losing
    user_client.post("/api/v1/health/weight/", {"value": 75, "measured_at": at(1)}, format="json")
    after = user_client.get("/api/v1/nutrition/targets/").json()
    assert after["computed"]["protein_g"] == 150
    assert after["computed"]["kcal"] < before["computed"]["kcal"]
