"""Reads of health samples: lists, the latest value per metric, summaries, incremental sync, the weekly report.

Every query here is bounded by ``(tenant, user, metric, start_time)`` or another index of
``HealthSample.Meta.indexes`` (``health/tests/test_explain.py`` checks the plans on PostgreSQL).
"""

from __future__ import annotations

import base64
import binascii
import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, DateTimeField, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from users.models import User
from users.registry import weekly_report_sections

from .catalogue import METRIC_CODES, METRICS, SLEEP_STAGES, Kind
from .models import HealthSample, SampleTombstone

SAMPLE_FIELDS = (
    "id",
    "metric",
    "value",
    "stage",
    "start_time",
    "end_time",
    "source",
    "source_name",
    "device",
    "external_id",
    "version",
    "created_at",
    "updated_at",
)


def samples_of(user: User) -> QuerySet[HealthSample]:
    return HealthSample.objects.for_tenant(user.tenant_id).filter(user=user)


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(user.profile.timezone)


# --- latest value per metric ----------------------------------------------------------------


def latest_per_metric(*, user: User, metrics: tuple[str, ...] = METRIC_CODES) -> list[dict[str, Any]]:
    """The newest sample of each metric the user has, in one query.

    One ``LIMIT 1`` probe of the ``(tenant, user, metric, start_time)`` index per metric, glued
    with UNION ALL: ``DISTINCT ON`` would read every sample of the user to find the same rows.
    """
    columns = ", ".join(SAMPLE_FIELDS)
    probe = (
        f"SELECT * FROM (SELECT {columns} FROM health_sample WHERE tenant_id = %s AND user_id = %s AND metric = %s "  # noqa: S608
        "ORDER BY start_time DESC, id DESC LIMIT 1) AS m{n}"
    )
    sql = " UNION ALL ".join(probe.format(n=n) for n in range(len(metrics)))
    params: list[Any] = []
    for code in metrics:
        params += [user.tenant_id, user.pk, code]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        item = dict(zip(SAMPLE_FIELDS, row, strict=True))
        for name in ("start_time", "end_time", "created_at", "updated_at"):
            item[name] = _as_datetime(item[name])
        result.append(item)
    result.sort(key=lambda item: METRIC_CODES.index(item["metric"]))
    return result


def _as_datetime(raw: Any) -> datetime:
    """Raw SQL bypasses the field converters: SQLite hands back text, PostgreSQL aware datetimes."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


# --- summaries ------------------------------------------------------------------------------

BUCKET_LIMITS = {"hour": 31, "day": 366, "week": 5 * 366, "month": 10 * 366}  # the longest range, in days


def local_bounds(zone: zoneinfo.ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """``[first 00:00, the day after last 00:00)`` in ``zone``, as aware datetimes."""
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


# A night counts for the day it ends, and so do its stages that end before midnight: a sleep
# sample belongs to the local day of ``end_time + SLEEP_DAY_SHIFT`` (sleep ending 18:00 or later
# counts for the next day, so the 23:00-23:50 stage of a night joins the rest of that night).
SLEEP_DAY_SHIFT = timedelta(hours=6)


def _bucket(field: Any, bucket: str, zone: zoneinfo.ZoneInfo) -> Trunc:
    """Buckets in the user's zone; hours in UTC (labelled in the zone): a local hour is ambiguous on
    the night clocks go back, and would merge two real hours."""
    return Trunc(field, bucket, tzinfo=UTC if bucket == "hour" else zone, output_field=DateTimeField())


def summary(*, user: User, metric: str, bucket: str, first: date, last: date) -> dict[str, Any]:
    """Buckets of ``metric`` over the local days ``first``..``last``, aggregated in SQL in the user's zone.

    Cumulative metrics and time spent are summed; readings get average, minimum, maximum and
    count; sleep gets minutes per stage, on the day the night ends (SLEEP_DAY_SHIFT).
    """
    definition = METRICS[metric]
    zone = user_zone(user)
    start, end = local_bounds(zone, first, last)
    samples = samples_of(user).filter(metric=metric)
    buckets: list[dict[str, Any]]
    if definition.kind == Kind.CATEGORY:
        shifted = ExpressionWrapper(F("end_time") + SLEEP_DAY_SHIFT, output_field=DateTimeField())
        # The index bounds start_time; a night began at most a day before it ended.
        stage_rows = (
            samples.filter(start_time__gte=start - timedelta(days=2), start_time__lt=end)
            .filter(end_time__gte=start - SLEEP_DAY_SHIFT, end_time__lt=end - SLEEP_DAY_SHIFT)
            .annotate(bucket=_bucket(shifted, bucket, zone))
            .values("bucket", "stage")
            .annotate(minutes=Sum("value"), count=Count("*"))
            .order_by("bucket", "stage")
        )
        grouped: dict[datetime, dict[str, Any]] = {}
        for row in stage_rows:
            entry = grouped.setdefault(
                row["bucket"], {"start": row["bucket"], "count": 0, "stages": dict.fromkeys(SLEEP_STAGES, 0.0)}
            )
            entry["stages"][row["stage"]] = round(row["minutes"], 1)
            entry["count"] += row["count"]
        buckets = []
        for entry in grouped.values():
            asleep = sum(entry["stages"][stage] for stage in ("core", "deep", "rem"))
            buckets.append(
                {**_empty(), **entry, "sum": round(asleep or entry["stages"]["in_bed"], 1)},
            )
    else:
        base = samples.filter(start_time__gte=start, start_time__lt=end).annotate(
            bucket=_bucket("start_time", bucket, zone)
        )
        # Only value and start_time: the (tenant, user, metric, start_time) INCLUDE (value) index
        # answers it without reading the table.
        if definition.kind in (Kind.CUMULATIVE, Kind.INTERVAL):
            sums = base.values("bucket").annotate(total=Sum("value"), count=Count("*")).order_by("bucket")
            buckets = [{**_empty(), "start": r["bucket"], "sum": _round(r["total"]), "count": r["count"]} for r in sums]
        else:
            readings = (
                base.values("bucket")
                .annotate(avg=Avg("value"), low=Min("value"), high=Max("value"), count=Count("*"))
                .order_by("bucket")
            )
            buckets = [
                {
                    **_empty(),
                    "start": r["bucket"],
                    "avg": _round(r["avg"]),
                    "min": _round(r["low"]),
                    "max": _round(r["high"]),
                    "count": r["count"],
                }
                for r in readings
            ]
    for entry in buckets:
        entry["start"] = entry["start"].astimezone(zone)
    return {
        "metric": metric,
        "unit": definition.unit,
        "kind": definition.kind.value,
        "bucket": bucket,
        "timezone": str(zone),
        "start": first,
        "end": last,
        "buckets": buckets,
    }


def summary_queryset(*, user: User, metric: str, bucket: str, first: date, last: date) -> QuerySet[Any]:
    """The summary's query for a non-sleep metric, for EXPLAIN in tests and the bench."""
    zone = user_zone(user)
    start, end = local_bounds(zone, first, last)
    return (
        samples_of(user)
        .filter(metric=metric, start_time__gte=start, start_time__lt=end)
        .annotate(bucket=_bucket("start_time", bucket, zone))
        .values("bucket")
        .annotate(total=Sum("value"), count=Count("*"))
        .order_by("bucket")
    )


def _empty() -> dict[str, Any]:
    return {"sum": None, "avg": None, "min": None, "max": None, "count": 0, "stages": None}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- incremental sync -----------------------------------------------------------------------


class InvalidCursor(ValueError):
    pass


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def encode_cursor(position: dict[str, tuple[datetime, int]]) -> str:
    data = {key: [moment.isoformat(), pk] for key, (moment, pk) in position.items()}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode_cursor(raw: str | None) -> dict[str, tuple[datetime, int]]:
    start = {"s": (EPOCH, 0), "d": (EPOCH, 0)}
    if not raw:
        return start
    try:
        data = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        position = {}
        for key in ("s", "d"):
            moment, pk = data[key]
            parsed = datetime.fromisoformat(moment)
            if parsed.tzinfo is None or not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk < 2**63:
                raise ValueError
            parsed = parsed.astimezone(UTC)
            if not EPOCH <= parsed <= LATEST:
                raise ValueError
            position[key] = (parsed, pk)
        return position
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidCursor("Not a cursor from GET /health/sync/; start again without one.") from None


def changes(*, user: User, cursor: str | None, limit: int) -> dict[str, Any]:
    """Samples written and samples deleted after ``cursor``, oldest change first, ``limit`` of each.

    A change is served once it is HEALTH_SYNC_SETTLE_SECONDS old: a write stamped earlier but
    committed later (a long batch) still lands after any cursor handed out before it committed.
    """
    position = decode_cursor(cursor)
    horizon = timezone.now() - timedelta(seconds=settings.HEALTH_SYNC_SETTLE_SECONDS)
    since, after_id = position["s"]
    samples = list(
        samples_of(user)
        .filter(Q(updated_at__gt=since) | Q(updated_at=since, id__gt=after_id), updated_at__lte=horizon)
        .order_by("updated_at", "id")
        .values(*SAMPLE_FIELDS)[: limit + 1]
    )
    since, after_id = position["d"]
    deleted = list(
        SampleTombstone.objects.for_tenant(user.tenant_id)
        .filter(user=user)
        .filter(Q(deleted_at__gt=since) | Q(deleted_at=since, id__gt=after_id), deleted_at__lte=horizon)
        .order_by("deleted_at", "id")
        .values("id", "sample_id", "metric", "source", "external_id", "deleted_at")[: limit + 1]
    )
    has_more = len(samples) > limit or len(deleted) > limit
    samples, deleted = samples[:limit], deleted[:limit]
    if samples:
        position["s"] = (samples[-1]["updated_at"], samples[-1]["id"])
    if deleted:
        position["d"] = (deleted[-1]["deleted_at"], deleted[-1]["id"])
    return {
        "samples": samples,
        "deleted": [
            {
                "id": row["sample_id"],
                "tombstone": row["id"],
                "metric": row["metric"],
                "source": row["source"],
                "external_id": row["external_id"],
                "deleted_at": row["deleted_at"],
            }
            for row in deleted
        ],
        "next_cursor": encode_cursor(position),
        "has_more": has_more,
    }


# --- the weekly progress report -------------------------------------------------------------


def week_bounds(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def weekly_report(*, user: User, first_day: date) -> dict[str, Any]:
    """A week (Monday..Sunday, local) of weight, steps, sleep and resting heart rate, plus the
    sections other apps register (workouts, nutrition) through ``users.registry``."""
    zone = user_zone(user)
    last_day = first_day + timedelta(days=6)
    start, end = local_bounds(zone, first_day, last_day)
    samples = samples_of(user)

    weights = samples.filter(metric="body_weight")
    before = weights.filter(start_time__lt=start).order_by("-start_time", "-id").values_list("value", flat=True)[:1]
    during = list(
        weights.filter(start_time__gte=start, start_time__lt=end)
        .order_by("start_time", "id")
        .values_list("value", flat=True)
    )
    baseline = next(iter(before), None)  # the last weight before the week, else its first
    first_value = baseline if baseline is not None else (during[0] if during else None)
    last_value = during[-1] if during else None
    weight = {
        "start_kg": _round(first_value),
        "end_kg": _round(last_value),
        "change_kg": _round(last_value - first_value) if last_value is not None and first_value is not None else None,
        "readings": len(during),
    }

    steps_days = _daily_sums(samples, "steps", start, end, zone)
    steps = {
        "total": round(sum(steps_days.values())),
        "days_with_data": len(steps_days),
        "daily_average": round(sum(steps_days.values()) / len(steps_days)) if steps_days else None,
    }

    nights = summary(user=user, metric="sleep", bucket="day", first=first_day, last=last_day)["buckets"]
    asleep = [night["sum"] for night in nights if night["sum"]]
    sleep = {
        "nights": len(asleep),
        "average_minutes": round(sum(asleep) / len(asleep)) if asleep else None,
    }

    resting = samples.filter(metric="resting_heart_rate", start_time__gte=start, start_time__lt=end).aggregate(
        avg=Avg("value"), low=Min("value"), high=Max("value"), count=Count("id")
    )
    report: dict[str, Any] = {
        "week_start": first_day,
        "week_end": last_day,
        "timezone": str(zone),
        "weight": weight,
        "steps": steps,
        "sleep": sleep,
        "resting_heart_rate": {
            "average": round(resting["avg"], 1) if resting["avg"] is not None else None,
            "min": _round(resting["low"]),
            "max": _round(resting["high"]),
            "readings": resting["count"],
        },
    }
    for name, provider in weekly_report_sections():
        report[name] = provider(user, first_day, last_day)
    return report


def _daily_sums(
    samples: QuerySet[HealthSample], metric: str, start: datetime, end: datetime, zone: zoneinfo.ZoneInfo
) -> dict[date, float]:
    rows = (
        samples.filter(metric=metric, start_time__gte=start, start_time__lt=end)
        .annotate(day=Trunc("start_time", "day", tzinfo=zone))
        .values("day")
        .annotate(total=Sum("value"))
    )
    totals: dict[date, float] = defaultdict(float)
    for row in rows:
        totals[row["day"].astimezone(zone).date()] += row["total"]
    return dict(totals)


def daily_body_data(user: User, first_day: date, last_day: date) -> dict[date, dict[str, Any]]:
    """Per local day: the average weight and the measured expenditure (active + basal energy),
    for the meal app's adaptive re-planning (``users.registry.daily_body_data``). Two queries."""
    zone = user_zone(user)
    start, end = local_bounds(zone, first_day, last_day)
    samples = samples_of(user).filter(start_time__gte=start, start_time__lt=end)
    days: dict[date, dict[str, Any]] = defaultdict(lambda: {"weight_kg": None, "expenditure_kcal": None})
    weights = (
        samples.filter(metric="body_weight")
        .annotate(day=Trunc("start_time", "day", tzinfo=zone))
        .values("day")
        .annotate(avg=Avg("value"))
    )
    for row in weights:
        days[row["day"].astimezone(zone).date()]["weight_kg"] = row["avg"]
    # A day counts only with both parts: active energy alone would read as a tiny expenditure.
    energy = (
        samples.filter(metric__in=("active_energy", "basal_energy"))
        .annotate(day=Trunc("start_time", "day", tzinfo=zone))
        .values("day")
        .annotate(total=Sum("value"), metrics=Count("metric", distinct=True))
    )
    for sums in energy:
        if sums["metrics"] == 2:
            days[sums["day"].astimezone(zone).date()]["expenditure_kcal"] = sums["total"]
    return dict(days)


# --- the user's dashboard and personal-data export (users.registry) -------------------------


def dashboard_section(user: User) -> dict[str, Any]:
    """``health`` on the dashboard: today's steps and the latest weight, resting heart rate and sleep."""
    latest = {row["metric"]: row for row in latest_per_metric(user=user, metrics=DASHBOARD_METRICS)}
    zone = user_zone(user)
    today = timezone.now().astimezone(zone).date()
    start, end = local_bounds(zone, today, today)
    steps = (
        samples_of(user).filter(metric="steps", start_time__gte=start, start_time__lt=end).aggregate(total=Sum("value"))
    )
    return {
        "steps_today": round(steps["total"] or 0),
        "latest": {
            code: {"value": _round(row["value"]), "unit": METRICS[code].unit, "at": row["start_time"]}
            for code, row in latest.items()
        },
    }


DASHBOARD_METRICS = ("body_weight", "resting_heart_rate", "body_fat")


def export_section(user: User) -> dict[str, Any]:
    """Every sample and import of the user, for the personal-data export."""
    from .models import HealthImport

    return {
        "samples": list(samples_of(user).order_by("start_time", "id").values(*SAMPLE_FIELDS).iterator(chunk_size=5000)),
        "imports": list(
            HealthImport.objects.for_tenant(user.tenant_id)
            .filter(user=user)
            .order_by("created_at", "id")
            .values("id", "format", "status", "file_name", "sample_counts", "created_at", "finished_at")
        ),
    }
