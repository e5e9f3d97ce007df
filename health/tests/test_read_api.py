"""Reading samples back: lists, the latest per metric, summaries in the user's time zone,
incremental sync with tombstones, deletes, the metric catalogue and the weekly report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from conftest import api_key_client_for, jwt_client_for
from health.models import HealthSample, SampleTombstone
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/health/data/batch/"


def post(client, *samples: dict, user: int | None = None) -> dict:
    body: dict = {"samples": list(samples)}
    if user is not None:
        body["user"] = user
    response = client.post(BATCH, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def sample(metric: str, value: float, start: datetime, minutes: int = 0, **extra) -> dict:
    return {
        "metric": metric,
        "value": value,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


def test_metric_catalogue_lists_units_and_ranges(user_client) -> None:
    rows = {row["code"]: row for row in user_client.get("/api/v1/health/metrics/").json()}
    assert len(rows) >= 31
    assert rows["body_weight"]["unit"] == "kg" and "lb" in rows["body_weight"]["accepted_units"]
    assert rows["sleep"]["kind"] == "category"
    assert rows["sleep"]["stages"] == ["in_bed", "awake", "core", "deep", "rem"]
    assert rows["steps"]["kind"] == "cumulative"


def test_list_is_newest_first_filtered_and_paged_by_cursor(user, user_client, django_assert_max_num_queries) -> None:
    start = timezone.now() - timedelta(days=3)
    post(user_client, *(sample("heart_rate", 60 + i % 20, start + timedelta(minutes=i)) for i in range(130)))
    post(user_client, sample("steps", 500, start, 10, source="apple_health"))
    with django_assert_max_num_queries(3):
        first = user_client.get("/api/v1/health/data/?metric=heart_rate&page_size=50")
    body = first.json()
    assert len(body["results"]) == 50 and body["next"]
    times = [row["start_time"] for row in body["results"]]
    assert times == sorted(times, reverse=True)
    seen = {row["id"] for row in body["results"]}
    page = body
    while page["next"]:
        page = user_client.get(page["next"]).json()
        seen |= {row["id"] for row in page["results"]}
    assert len(seen) == 130
    assert [r["metric"] for r in user_client.get("/api/v1/health/data/?source=apple_health").json()["results"]] == [
        "steps"
    ]
    window = user_client.get(
        "/api/v1/health/data/",
        {"start": (start + timedelta(minutes=10)).isoformat(), "end": (start + timedelta(minutes=20)).isoformat()},
    )
    assert len(window.json()["results"]) == 10
    assert user_client.get("/api/v1/health/data/?metric=nope").status_code == 400


def test_detail_and_delete_leave_a_tombstone(user, user_client, django_assert_max_num_queries) -> None:
    post(user_client, sample("steps", 42, timezone.now() - timedelta(hours=2), 5, external_id="x1"))
    pk = HealthSample.unscoped.get(user=user).pk
    with django_assert_max_num_queries(3):
        detail = user_client.get(f"/api/v1/health/data/{pk}/")
    assert detail.json()["value"] == 42
    assert user_client.delete(f"/api/v1/health/data/{pk}/").status_code == 204
    assert not HealthSample.unscoped.filter(pk=pk).exists()
    tomb = SampleTombstone.unscoped.get(user=user)
    assert (tomb.sample_id, tomb.external_id, tomb.metric) == (pk, "x1", "steps")


def test_delete_by_source_and_time_range(user, user_client) -> None:
    base = timezone.now() - timedelta(days=1)
    post(user_client, *(sample("steps", 10, base + timedelta(hours=i), source="google_fit") for i in range(6)))
    post(user_client, sample("steps", 10, base + timedelta(hours=2), source="apple_health"))
    from urllib.parse import urlencode

    query = urlencode(
        {
            "source": "google_fit",
            "start": (base + timedelta(hours=1)).isoformat(),
            "end": (base + timedelta(hours=4)).isoformat(),
        }
    )
    response = user_client.delete(f"/api/v1/health/data/range/?{query}")
    assert response.status_code == 200, response.content
    assert response.json() == {"deleted": 3}
    assert HealthSample.unscoped.filter(user=user).count() == 4
    assert SampleTombstone.unscoped.filter(user=user).count() == 3
    assert user_client.delete("/api/v1/health/data/range/?source=google_fit").status_code == 400


def test_latest_is_one_query_per_request(user, user_client, django_assert_max_num_queries) -> None:
    now = timezone.now()
    post(
        user_client,
        sample("body_weight", 81, now - timedelta(days=3)),
        sample("body_weight", 80.2, now - timedelta(days=1)),
        sample("heart_rate", 70, now - timedelta(hours=5)),
        sample("heart_rate", 64, now - timedelta(hours=1)),
    )
    with django_assert_max_num_queries(3):  # auth, profile, the one UNION ALL
        rows = user_client.get("/api/v1/health/data/latest/").json()
    assert {row["metric"]: row["sample"]["value"] for row in rows} == {"heart_rate": 64, "body_weight": 80.2}
    assert {row["metric"]: row["unit"] for row in rows} == {"heart_rate": "count/min", "body_weight": "kg"}


def test_summary_sums_steps_per_local_day(user, user_client) -> None:
    user.profile.timezone = "America/New_York"
    user.profile.save()
    # 23:30 New York on Jan 5 is 04:30 UTC on Jan 6: it belongs to Jan 5 locally.
    late = datetime(2026, 1, 6, 4, 30, tzinfo=UTC)
    post(
        user_client,
        sample("steps", 1000, late),
        sample("steps", 250, datetime(2026, 1, 5, 15, 0, tzinfo=UTC)),
        sample("steps", 400, datetime(2026, 1, 6, 15, 0, tzinfo=UTC)),
    )
    body = user_client.get("/api/v1/health/summary/?metric=steps&bucket=day&start=2026-01-05&end=2026-01-06").json()
    assert body["timezone"] == "America/New_York"
    assert [(b["start"][:10], b["sum"]) for b in body["buckets"]] == [("2026-01-05", 1250), ("2026-01-06", 400)]
    assert body["buckets"][0]["start"].endswith("-05:00")


def test_summary_of_readings_and_sleep(user, user_client) -> None:
    day = datetime(2026, 2, 10, 8, tzinfo=UTC)
    post(user_client, *(sample("heart_rate", v, day + timedelta(minutes=i)) for i, v in enumerate([60, 70, 80])))
    night = datetime(2026, 2, 9, 23, tzinfo=UTC)
    post(
        user_client,
        {
            "metric": "sleep",
            "stage": "core",
            "start_time": night.isoformat(),
            "end_time": (night + timedelta(hours=4)).isoformat(),
        },
        {
            "metric": "sleep",
            "stage": "deep",
            "start_time": (night + timedelta(hours=4)).isoformat(),
            "end_time": (night + timedelta(hours=5)).isoformat(),
        },
        {
            "metric": "sleep",
            "stage": "awake",
            "start_time": (night + timedelta(hours=5)).isoformat(),
            "end_time": (night + timedelta(hours=5, minutes=20)).isoformat(),
        },
    )
    hr = user_client.get("/api/v1/health/summary/?metric=heart_rate&start=2026-02-10&end=2026-02-10").json()
    assert hr["buckets"] == [
        {
            "start": "2026-02-10T00:00:00Z",
            "sum": None,
            "avg": 70.0,
            "min": 60.0,
            "max": 80.0,
            "count": 3,
            "stages": None,
        }
    ]
    sleep = user_client.get("/api/v1/health/summary/?metric=sleep&start=2026-02-10&end=2026-02-10").json()
    (night_bucket,) = sleep["buckets"]
    assert night_bucket["stages"] == {"in_bed": 0, "awake": 20, "core": 240, "deep": 60, "rem": 0}
    assert night_bucket["sum"] == 300  # minutes asleep, on the day the night ended
    hours = user_client.get("/api/v1/health/summary/?metric=heart_rate&bucket=hour&start=2026-02-10&end=2026-02-10")
    assert len(hours.json()["buckets"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "metric=nope",
        "",
        "metric=steps&bucket=year",
        "metric=steps&start=2026-13-01",
        "metric=steps&start=2026-02-10&end=2026-02-01",
        "metric=steps&bucket=hour&start=2026-01-01&end=2026-03-01",
        "metric=steps&start=0001-01-01&end=0001-01-02",
    ],
)
def test_summary_bad_parameters_are_400(user_client, query) -> None:
    assert user_client.get(f"/api/v1/health/summary/?{query}").status_code == 400


@override_settings(HEALTH_SYNC_SETTLE_SECONDS=0)
def test_sync_returns_changes_since_the_cursor_with_tombstones(user, user_client) -> None:
    start = timezone.now() - timedelta(days=1)
    post(user_client, *(sample("steps", i, start + timedelta(minutes=i), external_id=f"e{i}") for i in range(5)))
    first = user_client.get("/api/v1/health/sync/?limit=3").json()
    assert len(first["samples"]) == 3 and first["has_more"]
    rest = user_client.get(f"/api/v1/health/sync/?limit=3&cursor={first['next_cursor']}").json()
    assert len(rest["samples"]) == 2 and not rest["has_more"]
    cursor = rest["next_cursor"]
    assert user_client.get(f"/api/v1/health/sync/?cursor={cursor}").json()["samples"] == []
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        client = jwt_client_for(user)
        post(client, sample("steps", 99, start, external_id="e0", version=2))
        victim = HealthSample.unscoped.get(user=user, external_id="e4")
        assert client.delete(f"/api/v1/health/data/{victim.pk}/").status_code == 204
    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        changed = jwt_client_for(user).get(f"/api/v1/health/sync/?cursor={cursor}").json()
    assert [(s["external_id"], s["value"]) for s in changed["samples"]] == [("e0", 99)]
    assert [(d["id"], d["external_id"]) for d in changed["deleted"]] == [(victim.pk, "e4")]
    for bad in ("garbage", "e30=", "eyJzIjogMX0"):
        assert user_client.get(f"/api/v1/health/sync/?cursor={bad}").status_code == 400
    assert user_client.get("/api/v1/health/sync/?limit=0").status_code == 400


def test_sync_holds_back_changes_younger_than_the_settle_time(user, user_client) -> None:
    post(user_client, sample("steps", 1, timezone.now() - timedelta(hours=1)))
    assert user_client.get("/api/v1/health/sync/").json()["samples"] == []
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        assert len(jwt_client_for(user).get("/api/v1/health/sync/").json()["samples"]) == 1


def test_api_key_reads_need_the_user_and_stay_in_the_tenant(tenant, other_tenant, user) -> None:
    post(
        api_key_client_for(tenant, ["health:write"]),
        sample("steps", 5, timezone.now() - timedelta(hours=1)),
        user=user.pk,
    )
    reader = api_key_client_for(tenant, ["health:read"])
    assert reader.get("/api/v1/health/summary/?metric=steps").status_code == 400  # whose?
    assert reader.get(f"/api/v1/health/summary/?metric=steps&user={user.pk}").status_code == 200
    assert len(reader.get("/api/v1/health/data/").json()["results"]) == 1
    foreign = api_key_client_for(other_tenant, ["health:read", "health:write"])
    assert foreign.get("/api/v1/health/data/").json()["results"] == []
    assert foreign.get(f"/api/v1/health/summary/?metric=steps&user={user.pk}").status_code == 404
    assert foreign.get(f"/api/v1/health/data/latest/?user={user.pk}").status_code == 404
    teammate = jwt_client_for(UserFactory(tenant=tenant))
    assert teammate.get("/api/v1/health/data/").json()["results"] == []
    pk = HealthSample.unscoped.get(user=user).pk
    assert teammate.get(f"/api/v1/health/data/{pk}/").status_code == 404
    assert teammate.delete(f"/api/v1/health/data/{pk}/").status_code == 404
    assert HealthSample.unscoped.filter(pk=pk).exists()


def test_weekly_report(user, user_client) -> None:
    from workout.tests.factories import SessionFactory

    monday = date(2026, 11, 23)
    base = datetime(2026, 11, 23, 12, tzinfo=UTC)
    post(
        user_client,
        sample("body_weight", 82.0, base - timedelta(days=2)),  # before the week: the baseline
        sample("body_weight", 81.6, base + timedelta(days=2)),
        sample("body_weight", 81.1, base + timedelta(days=6)),
        *(sample("steps", 8000 + 1000 * i, base + timedelta(days=i)) for i in range(4)),
        sample("resting_heart_rate", 58, base),
        sample("resting_heart_rate", 54, base + timedelta(days=3)),
        {
            "metric": "sleep",
            "stage": "core",
            "start_time": (base + timedelta(hours=10)).isoformat(),
            "end_time": (base + timedelta(hours=17)).isoformat(),
        },
    )
    SessionFactory(user=user, started_at=base + timedelta(days=1), ended_at=base + timedelta(days=1, minutes=45))
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC)):
        report = jwt_client_for(user).get("/api/v1/health/reports/weekly/?week=2026-11-25").json()
    assert report["week_start"] == monday.isoformat() and report["week_end"] == "2026-11-29"
    assert report["weight"] == {"start_kg": 82.0, "end_kg": 81.1, "change_kg": -0.9, "readings": 2}
    assert report["steps"] == {"total": 38000, "days_with_data": 4, "daily_average": 9500}
    assert report["sleep"] == {"nights": 1, "average_minutes": 420}
    assert report["resting_heart_rate"]["average"] == 56.0
    assert report["workouts"]["sessions"] == 1 and report["workouts"]["minutes"] == 45
    assert report["nutrition"]["days_logged"] == 0
    assert user_client.get("/api/v1/health/reports/weekly/?week=someday").status_code == 400


def test_dashboard_and_export_sections(user, user_client) -> None:
    post(user_client, sample("body_weight", 77.7, timezone.now() - timedelta(hours=3)))
    dashboard = user_client.get("/api/v1/users/me/dashboard/").json()
    assert dashboard["sections"]["health"]["latest"]["body_weight"]["value"] == 77.7
    export = user_client.get("/api/v1/users/me/export/").json()
    assert [row["value"] for row in export["sections"]["health"]["samples"]] == [77.7]


def test_queries_stay_constant_as_the_data_grows(user, user_client, django_assert_max_num_queries) -> None:
    from health.models import HealthImport

    start = timezone.now() - timedelta(days=6)
    post(
        user_client,
        *(sample("body_weight", 80 - i * 0.1, start + timedelta(hours=i)) for i in range(40)),
        *(sample("waist_circumference", 90, start + timedelta(hours=i)) for i in range(40)),
        *(sample("steps", 100, start + timedelta(hours=i), 30) for i in range(100)),
        *(sample("resting_heart_rate", 55, start + timedelta(days=i)) for i in range(6)),
        *(
            {
                "metric": "sleep",
                "stage": "core",
                "start_time": (start + timedelta(days=i, hours=1)).isoformat(),
                "end_time": (start + timedelta(days=i, hours=7)).isoformat(),
            }
            for i in range(6)
        ),
    )
    for n in range(12):
        HealthImport.objects.create(tenant=user.tenant, user=user, format="apple_health", file_name=f"e{n}.zip")
    record = HealthImport.objects.for_tenant(user.tenant).filter(user=user).latest("id")
    week = (timezone.now() - timedelta(days=3)).date().isoformat()
    cases = [
        ("/api/v1/health/weight/", 2),
        ("/api/v1/health/measurements/", 2),
        ("/api/v1/health/imports/", 2),
        (f"/api/v1/health/imports/{record.pk}/", 2),
        ("/api/v1/health/summary/?metric=steps", 2),
        ("/api/v1/health/summary/?metric=sleep", 2),
        ("/api/v1/health/sync/", 3),  # samples and tombstones
        # weight (2), steps, sleep, resting heart rate, and the workouts and nutrition sections
        (f"/api/v1/health/reports/weekly/?week={week}", 11),
    ]
    for url, most in cases:
        with django_assert_max_num_queries(most):
            response = user_client.get(url)
        assert response.status_code == 200, (url, response.content)
    assert len(user_client.get("/api/v1/health/weight/?page_size=100").json()["results"]) == 40
