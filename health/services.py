"""Writes of the health app that span rows or apps: deletions with tombstones, the profile's weight,
imports of device exports, and the weekly report's notification."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fitcore.api.exceptions import ApplicationError
from fitcore.api.tasks import enqueue_after_commit
from notification.services import notify
from users.models import Profile, User
from users.services import profile_update

from . import selectors
from .importers.base import ImportedSample, ImportedWorkout, ImportFileError, ImportStats
from .ingest import EARLIEST, FUTURE_SLACK, MAX_SPAN, Counts, Row, deterministic_id, upsert
from .models import HealthImport, HealthSample, SampleTombstone, Source

logger = logging.getLogger(__name__)

# --- after a write: the profile follows the latest weight and height -------------------------

# Metric → the profile field it feeds, the field's step, and the range the profile accepts
# (narrower than the catalogue's: a child's height is a valid sample, not a valid profile).
PROFILE_FIELDS = {
    "body_weight": ("weight_kg", Decimal("0.01"), Decimal("20"), Decimal("500")),
    "height": ("height_cm", Decimal("0.1"), Decimal("50"), Decimal("272")),
}


def after_ingest(*, tenant_id: int, user_id: int, written: set[tuple[str, str, str]]) -> None:
    """The newest body weight (and height) becomes the profile's, so nutrition targets and the
    workout app's weight goal follow the scale without the user typing it twice.

    Only when this write holds the newest sample (``written``: (metric, source, external_id)):
    an old reading sent today does not undo a newer weight, nor a newer manual profile edit. A
    failure here is logged, never raised: the samples are stored whatever the profile says.
    """
    wanted = tuple(code for code in PROFILE_FIELDS if any(metric == code for metric, _, _ in written))
    if not wanted:
        return
    try:
        profile = Profile.objects.for_tenant(tenant_id).select_related("user").get(user_id=user_id)
        data: dict[str, Any] = {}
        for row in selectors.latest_per_metric(user=profile.user, metrics=wanted):
            field, step, low, high = PROFILE_FIELDS[row["metric"]]
            if (row["metric"], row["source"], row["external_id"]) not in written:
                continue
            value = Decimal(str(row["value"])).quantize(step)
            if low <= value <= high and getattr(profile, field) != value:
                data[field] = value
        if data:
            profile_update(profile=profile, data=data)
    except Exception:
        logger.exception("the profile could not follow a new measurement", extra={"user_id": user_id})


def profile_keys(rows: Iterable[Row]) -> set[tuple[str, str, str]]:
    return {(row.metric, row.source, row.external_id) for row in rows if row.metric in PROFILE_FIELDS}


def ingest_rows(*, user: User, rows: list[Row]) -> Counts:
    """One user's validated rows in one transaction; then the profile follows a new weight."""
    with transaction.atomic():
        counts = upsert(tenant_id=user.tenant_id, user_id=user.pk, rows=rows)
    if counts.created or counts.updated:
        after_ingest(tenant_id=user.tenant_id, user_id=user.pk, written=profile_keys(rows))
    return counts


# --- deleting, with tombstones for sync ------------------------------------------------------

DELETE_CHUNK = 5_000


def delete_samples(*, samples: Any) -> int:
    """Delete the (already scoped) ``samples`` queryset and leave a tombstone for each, in one transaction."""
    now = timezone.now()
    deleted = 0
    with transaction.atomic():
        while True:
            rows = list(
                samples.values_list("id", "tenant_id", "user_id", "metric", "source", "external_id")[:DELETE_CHUNK]
            )
            if not rows:
                break
            SampleTombstone.objects.bulk_create(
                SampleTombstone(
                    tenant_id=tenant_id,
                    user_id=user_id,
                    sample_id=pk,
                    metric=metric,
                    source=source,
                    external_id=external_id,
                    deleted_at=now,
                )
                for pk, tenant_id, user_id, metric, source, external_id in rows
            )
            HealthSample.unscoped.filter(id__in=[row[0] for row in rows]).delete()
            deleted += len(rows)
    return deleted


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Idempotency replies past their 24 h, tombstones past HEALTH_TOMBSTONE_DAYS (a daily beat task)."""
    from .models import IdempotentReply

    now = now or timezone.now()
    replies, _ = IdempotentReply.unscoped.filter(created_at__lt=now - timedelta(hours=24)).delete()
    tombstones, _ = SampleTombstone.unscoped.filter(
        deleted_at__lt=now - timedelta(days=settings.HEALTH_TOMBSTONE_DAYS)
    ).delete()
    return {"idempotency_replies": replies, "tombstones": tombstones}


# --- imports ---------------------------------------------------------------------------------


def import_create(*, user: User, format: str, upload: UploadedFile) -> HealthImport:
    """Check the upload cheaply (size, archive layout, zip bombs), keep it, and queue its import."""
    from .importers.archive import inspect_upload

    size = upload.size or 0
    if size > settings.HEALTH_IMPORT_MAX_BYTES:
        raise ApplicationError(
            code="file_too_large",
            message=f"Exports are at most {settings.HEALTH_IMPORT_MAX_BYTES // (1024 * 1024)} MB.",
            status=413,
        )
    if size == 0:
        raise ApplicationError(
            code="invalid",
            message="The file is empty.",
            status=400,
            errors=[{"field": "file", "code": "empty_file", "message": "The file is empty."}],
        )
    try:
        upload.seek(0)
        inspect_upload(
            upload,
            format=format,
            max_uncompressed=settings.HEALTH_IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_ratio=settings.HEALTH_IMPORT_MAX_RATIO,
        )
        upload.seek(0)
    except ImportFileError as exc:
        raise ApplicationError(
            code="invalid",
            message=str(exc),
            status=400,
            errors=[{"field": "file", "code": "unreadable_export", "message": str(exc)}],
        ) from None
    with transaction.atomic():
        record = HealthImport(
            tenant_id=user.tenant_id,
            user=user,
            format=format,
            file_name=(upload.name or "")[:200],
            file_size=size,
        )
        record.file.save(f"{user.pk}-{timezone.now():%Y%m%d%H%M%S%f}.bin", upload, save=False)
        record.save()
        from .tasks import run_import

        enqueue_after_commit(run_import, import_id=record.pk)
    return record


BATCH_SIZE = 5_000
PROGRESS_EVERY = timedelta(seconds=1)
# A running import whose progress has not moved for this long lost its worker (killed, or the
# broker redelivered the task to another one): the task may take it over. Progress is written at
# least every few seconds while it runs.
STALE_RUNNING = timedelta(minutes=10)


def _claim(import_id: int) -> bool:
    """Take the import for this worker: pending, or running but abandoned (a redelivered task)."""
    now = timezone.now()
    claimable = Q(status=HealthImport.Status.PENDING) | Q(
        status=HealthImport.Status.RUNNING, updated_at__lt=now - STALE_RUNNING
    )
    taken = HealthImport.unscoped.filter(claimable, pk=import_id).update(
        status=HealthImport.Status.RUNNING, started_at=now, updated_at=now
    )
    return taken == 1


def import_run(*, import_id: int) -> None:
    """Stream the file through its importer into the ingestion upsert, BATCH_SIZE samples a transaction.

    Batches that committed stay when a later part of the file is broken; a retry (upload the
    same file again) upserts them as unchanged and completes the rest. Whatever goes wrong, the
    import ends as ``failed`` with a message, the user is told, and the upload is deleted.
    """
    if not _claim(import_id):
        return
    record = HealthImport.unscoped.select_related("user__profile").get(pk=import_id)
    user = record.user
    stats = ImportStats()
    counts = Counts()
    workouts = 0
    failure = ""
    written: set[tuple[str, str, str]] = set()
    position: Any = lambda: 0  # noqa: E731 - replaced once the file is open
    try:
        with _open_items(record, stats) as (items, position, read_member):
            batch: list[Row] = []
            last_progress = timezone.now()
            now = timezone.now()
            for count, item in enumerate(items, start=1):
                if isinstance(item, ImportedWorkout):
                    workouts += _import_workout(user, item, read_member, stats)
                else:
                    row = _row(item, record.format, now, stats)
                    if row is not None:
                        batch.append(row)
                if len(batch) >= BATCH_SIZE:
                    counts += _write(user, batch)
                    written |= profile_keys(batch)
                    batch = []
                if count % 1000 == 0 and timezone.now() - last_progress >= PROGRESS_EVERY:
                    last_progress = timezone.now()
                    _progress(record, position(), stats, counts, workouts)
            counts += _write(user, batch)
            written |= profile_keys(batch)
    except ImportFileError as exc:
        failure = str(exc)
    except OSError:
        failure = "The uploaded file is no longer available; upload it again."
    except Exception:  # a bug or the database: the import must not hang as "running"
        logger.exception("health import failed", extra={"import_id": record.pk})
        failure = "The import stopped on an unexpected error; what was read before it is kept. Try again later."
    status = HealthImport.Status.FAILED if failure else HealthImport.Status.SUCCEEDED
    HealthImport.unscoped.filter(pk=record.pk).update(
        status=status,
        bytes_read=record.file_size if not failure else position(),
        read_counts=dict(stats.read),
        skipped_counts=dict(stats.skipped),
        invalid_counts=dict(stats.invalid),
        sample_counts=counts.as_dict(),
        workouts_imported=workouts,
        errors=stats.errors,
        message=(failure or _summary_line(counts, workouts, stats))[:500],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if counts.created or counts.updated:
        after_ingest(tenant_id=user.tenant_id, user_id=user.pk, written=written)
    if workouts:
        from workout.services import achievements_after_import

        try:
            achievements_after_import(user)
        except Exception:  # the import itself is done; achievements are evaluated again on the next session
            logger.exception("achievements after a health import failed", extra={"import_id": record.pk})
    if record.file.name:
        record.file.storage.delete(record.file.name)
    notify(
        user=user,
        type="import_finished",
        title="Health import finished" if not failure else "Health import stopped",
        body=(failure or _summary_line(counts, workouts, stats))[:2000],
        data={"import_id": record.pk, "status": status},
        link=f"/api/v1/health/imports/{record.pk}/",
        dedupe_key=f"health_import:{record.pk}",
    )


def _summary_line(counts: Counts, workouts: int, stats: ImportStats) -> str:
    skipped = sum(stats.skipped.values())
    invalid = sum(stats.invalid.values())
    return (
        f"{counts.created} samples created, {counts.updated} updated, {counts.unchanged} unchanged; "
        f"{workouts} workouts; {skipped} records of other types skipped; {invalid} invalid."
    )


def _progress(record: HealthImport, position: int, stats: ImportStats, counts: Counts, workouts: int) -> None:
    HealthImport.unscoped.filter(pk=record.pk).update(
        bytes_read=position,
        read_counts=dict(stats.read),
        skipped_counts=dict(stats.skipped),
        invalid_counts=dict(stats.invalid),
        sample_counts=counts.as_dict(),
        workouts_imported=workouts,
        updated_at=timezone.now(),
    )


SOURCES = {
    HealthImport.Format.APPLE_HEALTH: Source.APPLE_HEALTH,
    HealthImport.Format.GOOGLE_FIT_DAILY_CSV: Source.GOOGLE_FIT,
    HealthImport.Format.HEALTH_CONNECT_JSON: Source.HEALTH_CONNECT,
}


def _text(value: str, limit: int) -> str:
    return value.replace("\x00", "")[:limit]  # PostgreSQL text holds no NUL


def _row(item: ImportedSample, format: str, now: datetime, stats: ImportStats) -> Row | None:
    """The importer's sample as a row, under the API's time rules (from 1970, at most a day ahead,
    at most 31 days long); a sample breaking them is counted invalid, not stored."""
    problem = ""
    if item.start_time < EARLIEST:
        problem = "starts before 1970"
    elif item.end_time > now + FUTURE_SLACK:
        problem = "ends more than a day in the future"
    elif item.end_time < item.start_time:
        problem = "ends before it starts"
    elif item.end_time - item.start_time > MAX_SPAN:
        problem = "covers more than 31 days"
    if problem:
        stats.invalid[item.metric] += 1
        stats.error(f"{item.metric} at {item.start_time:%Y-%m-%d %H:%M}: {problem}")
        return None
    external_id = _text(item.external_id, 100) or deterministic_id(
        item.metric, item.stage, item.start_time, item.end_time, item.value
    )
    return Row(
        item.metric,
        item.value,
        item.stage,
        item.start_time,
        item.end_time,
        SOURCES[HealthImport.Format(format)],
        _text(item.source_name, 100),
        _text(item.device, 200),
        external_id,
        item.version if 1 <= item.version < 2**31 else 1,
    )


def _write(user: User, batch: list[Row]) -> Counts:
    if not batch:
        return Counts()
    with transaction.atomic():
        return upsert(tenant_id=user.tenant_id, user_id=user.pk, rows=batch)


@contextmanager
def _open_items(record: HealthImport, stats: ImportStats) -> Iterator[tuple[Iterator[Any], Any, Any]]:
    """The importer's items over the stored upload, a function giving the bytes read so far (for
    the progress %), and one reading a member of the archive (Apple's workout routes)."""
    from .importers.archive import CountingReader, open_export

    zone = zoneinfo.ZoneInfo(record.user.profile.timezone)
    if record.format == HealthImport.Format.APPLE_HEALTH:
        from .importers.apple import read_apple_health

        if not _has_path(record):
            raise ImportFileError("Apple Health imports read the upload from local storage (MEDIA_ROOT).")
        with open_export(
            record.file.path,
            max_uncompressed=settings.HEALTH_IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_ratio=settings.HEALTH_IMPORT_MAX_RATIO,
        ) as export:
            yield (
                read_apple_health(export.xml, stats=stats, zone=zone),
                lambda: _scaled_position(export, record),
                export.read_member,
            )
        return
    with record.file.open("rb") as handle:
        counter = CountingReader(handle)
        items: Iterator[Any]
        if record.format == HealthImport.Format.GOOGLE_FIT_DAILY_CSV:
            from .importers.google_fit import read_google_fit_daily

            items = read_google_fit_daily(counter, zone=zone, stats=stats)
        else:
            from .importers.health_connect import read_health_connect

            items = read_health_connect(counter, stats=stats)
        yield items, lambda: counter.count, lambda name: None


def _has_path(record: HealthImport) -> bool:
    try:
        record.file.path  # noqa: B018
    except NotImplementedError:
        return False
    return True


def _scaled_position(export: Any, record: HealthImport) -> int:
    """How far into the upload the XML reader is, scaled to the upload's size for the progress %."""
    read = getattr(export.xml, "count", 0)
    total = getattr(export, "uncompressed_size", 0) or record.file_size
    return int(read * record.file_size / total) if total else 0


def _import_workout(user: User, item: ImportedWorkout, read_member: Any, stats: ImportStats) -> int:
    """An Apple Health workout becomes a workout session (with its route) through the workout app."""
    from workout.activity.common import ParsedActivity, elevation_gain_m
    from workout.services import session_from_activity

    from .importers.apple import route_points_from_gpx

    points = list(item.points)
    if not points and item.route_path:
        data = read_member(item.route_path)
        if data:
            points = route_points_from_gpx(data)
        if not points:
            stats.invalid["WorkoutRoute"] += 1
            stats.error(f"The route {item.route_path} could not be read; the workout is kept without it.")
    duration = (item.ended_at - item.started_at).total_seconds()
    if duration <= 0 or item.started_at > timezone.now() + timedelta(minutes=5):
        stats.invalid["Workout"] += 1
        stats.error(f"A workout at {item.started_at:%Y-%m-%d %H:%M} has no duration or is in the future.")
        return 0
    parsed = ParsedActivity(
        format="apple",
        sport=item.sport or "",
        started_at=item.started_at,
        ended_at=item.ended_at,
        duration_seconds=duration,
        distance_m=item.distance_m,
        elevation_gain_m=elevation_gain_m(point.elevation_m for point in points) if points else None,
        avg_heart_rate=None,
        max_heart_rate=None,
        calories_kcal=round(item.calories_kcal) if item.calories_kcal is not None else None,
        points=points,
    )
    # In UTC: the same workout exported from another time zone is the same session.
    external_id = f"apple:{item.started_at.astimezone(UTC).isoformat()}:{item.sport}"[:200]
    with transaction.atomic():
        session_from_activity(user, parsed, external_id=external_id, evaluate_achievements=False)
    return 1


# --- the weekly report ----------------------------------------------------------------------


def send_weekly_reports(window: Any) -> int:
    """Monday 08:00 in each user's time zone: last week's report, once per user and week (dedupe key)."""
    from datetime import time

    sent = 0
    for zone in window.zones_at(time(8, 0), weekday=0):
        today = datetime.now(zoneinfo.ZoneInfo(zone)).date()
        first_day = today - timedelta(days=today.weekday() + 7)
        profiles = (
            Profile.unscoped.filter(timezone=zone, user__is_active=True)
            .select_related("user", "user__profile")
            .order_by("pk")
        )
        for profile in profiles.iterator(chunk_size=500):
            try:
                send_weekly_report(user=profile.user, first_day=first_day)
                sent += 1
            except Exception:  # one user's failure does not stop the others
                logger.exception("weekly report failed", extra={"user_id": profile.user_id})
    return sent


def send_weekly_report(*, user: User, first_day: date) -> None:
    report = selectors.weekly_report(user=user, first_day=first_day)
    parts = []
    if report["steps"]["daily_average"] is not None:
        parts.append(f"{report['steps']['daily_average']:,} steps a day")
    if report["sleep"]["average_minutes"] is not None:
        minutes = report["sleep"]["average_minutes"]
        parts.append(f"{minutes // 60} h {minutes % 60:02d} min of sleep a night")
    if report["weight"]["change_kg"] is not None:
        parts.append(f"weight {report['weight']['change_kg']:+.1f} kg")
    workouts = report.get("workouts") or {}
    if workouts.get("sessions"):
        parts.append(f"{workouts['sessions']} workouts")
    body = (
        ("Last week: " + ", ".join(parts) + ".")
        if parts
        else "No health data last week. Sync your devices to see your progress."
    )
    notify(
        user=user,
        type="weekly_report",
        title=f"Your week of {first_day:%b} {first_day.day}",
        body=body,
        data={"week": first_day.isoformat()},
        link=f"/api/v1/health/reports/weekly/?week={first_day.isoformat()}",
        dedupe_key=f"weekly_report:{first_day.isoformat()}",
    )
