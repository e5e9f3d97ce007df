"""Writes of the workout area: catalogue management, favourites, progress, sessions, programs, imports.

Each function is one transaction. Achievements are evaluated after the writes that can earn
one (``achievements.evaluate``), inside the same transaction: an award never outlives a
write that was rolled back, and its notification is sent on commit.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import zlib
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, RestrictedError
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from fitcore.api.exceptions import ApplicationError
from fitcore.api.tasks import enqueue_after_commit

from . import achievements
from .activity import ActivityFileError, ParsedActivity, parse_activity
from .models import (
    SESSION_FIELDS,
    ActivityImport,
    Exercise,
    ExerciseSet,
    FavoriteWorkout,
    Program,
    ProgramDay,
    ProgramEnrollment,
    SessionSource,
    SessionTrack,
    Workout,
    WorkoutExercise,
    WorkoutProgress,
    WorkoutSession,
    WorkoutVideo,
)

if TYPE_CHECKING:
    from users.models import Tenant, User

logger = logging.getLogger(__name__)


# --- catalogue ------------------------------------------------------------------------


def _equipment_of(exercises: list[dict[str, Any]]) -> list[str]:
    return sorted({item["exercise"].equipment for item in exercises if item["exercise"].equipment})


def _write_workout_exercises(workout: Workout, items: list[dict[str, Any]]) -> None:
    WorkoutExercise.objects.filter(workout=workout).delete()
    WorkoutExercise.objects.bulk_create(
        WorkoutExercise(
            tenant_id=workout.tenant_id,
            workout=workout,
            position=position,
            exercise=item["exercise"],
            target_sets=item.get("target_sets", 3),
            target_reps=item.get("target_reps"),
            target_duration_seconds=item.get("target_duration_seconds"),
            rest_seconds=item.get("rest_seconds", 60),
            warmup_sets=item.get("warmup_sets", 0),
        )
        for position, item in enumerate(items, start=1)
    )


def workout_create(*, tenant: Tenant, data: dict[str, Any], exercises: list[dict[str, Any]]) -> Workout:
    """A tenant's workout with its exercises in the given order. ``equipment`` defaults to theirs."""
    with transaction.atomic():
        if "equipment" not in data:
            data = {**data, "equipment": _equipment_of(exercises)}
        workout = Workout.objects.create(tenant=tenant, **data)
        _write_workout_exercises(workout, exercises)
    return workout


def workout_update(*, workout: Workout, data: dict[str, Any], exercises: list[dict[str, Any]] | None) -> Workout:
    """Fields as given; ``exercises``, when given, replaces the whole ordered list."""
    with transaction.atomic():
        workout = Workout.objects.select_for_update().get(pk=workout.pk)
        for name, value in data.items():
            setattr(workout, name, value)
        if exercises is not None:
            _write_workout_exercises(workout, exercises)
            if "equipment" not in data:
                workout.equipment = _equipment_of(exercises)
        workout.save()
    return workout


def workout_delete(*, workout: Workout) -> None:
    """Programs name their workouts: one that a program uses is refused (409), not broken.
    Its videos' files go with it, once the delete commits."""
    with transaction.atomic():
        if ProgramDay.objects.filter(workout=workout).exists():
            raise _in_use("workout_in_use", "A program uses this workout: change the program first.")
        names = [
            name
            for pair in WorkoutVideo.objects.filter(workout=workout).values_list("video", "thumbnail")
            for name in pair
        ]
        try:
            with transaction.atomic():
                workout.delete()
        except RestrictedError:  # a program took it up meanwhile
            raise _in_use("workout_in_use", "A program uses this workout: change the program first.") from None
        transaction.on_commit(lambda: _delete_files(names))


def _in_use(code: str, message: str) -> ApplicationError:
    return ApplicationError(code=code, message=message, status=409)


def exercise_create(*, tenant: Tenant, data: dict[str, Any]) -> Exercise:
    import uuid

    return Exercise.objects.create(tenant=tenant, source_id=f"tenant-{tenant.pk}-{uuid.uuid4().hex}", **data)


def exercise_delete(*, exercise: Exercise) -> None:
    if (
        WorkoutExercise.objects.filter(exercise=exercise).exists()
        or ExerciseSet.unscoped.filter(exercise=exercise).exists()
    ):
        raise ApplicationError(
            code="exercise_in_use",
            message="Workouts or logged sets use this exercise; it stays so their history stays whole.",
            status=409,
        )
    try:
        with transaction.atomic():
            exercise.delete()
    except RestrictedError:
        raise _in_use("exercise_in_use", "Workouts or logged sets use this exercise.") from None


def _private_to_another(row: Any, user: User) -> bool:
    """A generated program or workout of another user: an API key may not attach someone else to it."""
    owner_id = getattr(row, "owner_id", None)
    return owner_id is not None and owner_id != user.pk


def _check_not_private(row: Any, user: User, field: str | None = None) -> None:
    """404 for a path object, or "does not exist" for a payload field, like any row the user cannot see."""
    if row is None or not _private_to_another(row, user):
        return
    if field is None:
        raise ApplicationError(code="not_found", message="Not found.", status=404)
    raise ValidationError({field: [f'Invalid pk "{row.pk}" - object does not exist.']}, code="does_not_exist")


def favorite_add(*, user: User, workout: Workout) -> bool:
    """Idempotent: True when it was added now, False when it already was a favourite."""
    _check_not_private(workout, user)
    _, created = FavoriteWorkout.objects.for_tenant(user.tenant_id).get_or_create(
        tenant_id=user.tenant_id, user=user, workout=workout
    )
    return created


def favorite_remove(*, user: User, workout: Workout) -> None:
    FavoriteWorkout.objects.for_tenant(user.tenant_id).filter(user=user, workout=workout).delete()


# --- videos ---------------------------------------------------------------------------


def video_create(
    *, workout: Workout, upload: Any, content_type: str, thumbnail: ContentFile | None, data: dict[str, Any]
) -> WorkoutVideo:
    """Store a sniffed upload (and its re-encoded thumbnail); ``order_index`` defaults to the end."""
    with transaction.atomic():
        Workout.objects.select_for_update().get(pk=workout.pk)  # order_index assignment is serialised
        if data.get("order_index") is None:
            last = WorkoutVideo.objects.filter(workout=workout).aggregate(last=Max("order_index"))["last"]
            data = {**data, "order_index": 0 if last is None else last + 1}
        elif WorkoutVideo.objects.filter(workout=workout, order_index=data["order_index"]).exists():
            raise ApplicationError(
                code="order_index_taken",
                message="Another video of this workout has that order_index.",
                status=400,
                errors=[{"field": "order_index", "code": "unique", "message": "Already used in this workout."}],
            )
        video = WorkoutVideo(
            tenant_id=workout.tenant_id, workout=workout, content_type=content_type, size_bytes=upload.size, **data
        )
        video.video.save("video", upload, save=False)
        if thumbnail is not None:
            video.thumbnail.save("thumbnail.jpg", thumbnail, save=False)
        try:
            with transaction.atomic():
                video.save()
        except Exception:  # no row, no files: nothing points at them
            _delete_files([video.video.name, video.thumbnail.name])
            raise
    return video


def _delete_files(names: list[str | None]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


def video_update(*, video: WorkoutVideo, data: dict[str, Any], thumbnail: ContentFile | None) -> WorkoutVideo:
    with transaction.atomic():
        video = WorkoutVideo.objects.select_for_update().get(pk=video.pk)
        if "order_index" in data and data["order_index"] != video.order_index:
            taken = WorkoutVideo.objects.filter(workout_id=video.workout_id, order_index=data["order_index"])
            if taken.exists():
                raise ApplicationError(
                    code="order_index_taken",
                    message="Another video of this workout has that order_index.",
                    status=400,
                    errors=[{"field": "order_index", "code": "unique", "message": "Already used in this workout."}],
                )
        for name, value in data.items():
            setattr(video, name, value)
        old_thumbnail = video.thumbnail.name if thumbnail is not None else None
        if thumbnail is not None:
            video.thumbnail.save("thumbnail.jpg", thumbnail, save=False)
        video.save()
        if old_thumbnail:
            transaction.on_commit(lambda: video.thumbnail.storage.delete(old_thumbnail))
    return video


def video_delete(*, video: WorkoutVideo) -> None:
    names = [video.video.name, video.thumbnail.name]
    with transaction.atomic():
        video.delete()
        transaction.on_commit(lambda: _delete_files(names))


# --- progress -------------------------------------------------------------------------


def progress_update(
    *,
    user: User,
    workout: Workout,
    percentage: int,
    last_video: WorkoutVideo | None = None,
    reset: bool = False,
) -> tuple[WorkoutProgress, bool]:
    """Record how far ``user`` is through ``workout``; returns ``(row, created)``.

    Progress only moves forward: a lower value is a 409 unless ``reset`` says the user starts
    over. Sending the same value again changes nothing (a retried request is harmless).
    ``completed_at`` is set the first time progress reaches 100 and never unset.
    """
    _check_not_private(workout, user, "workout")
    now = timezone.now()
    with transaction.atomic():
        rows = WorkoutProgress.objects.for_tenant(user.tenant_id).select_for_update()
        progress = rows.filter(user=user, workout=workout).first()
        created = progress is None
        if progress is None:
            try:
                with transaction.atomic():
                    progress = WorkoutProgress.objects.create(
                        tenant_id=user.tenant_id, user=user, workout=workout, started_at=now, progress_percentage=0
                    )
            except IntegrityError:  # a concurrent first update made it
                created = False
                progress = rows.get(user=user, workout=workout)
        if percentage < progress.progress_percentage and not reset:
            raise ApplicationError(
                code="progress_backwards",
                message=(
                    f"Progress is already {progress.progress_percentage} %; send reset=true to start this workout over."
                ),
                status=409,
            )
        progress.progress_percentage = percentage
        if last_video is not None:
            progress.last_video = last_video
        if reset and not created:
            progress.started_at = now
        if percentage == 100 and progress.completed_at is None:
            progress.completed_at = now
        progress.save()
    return progress, created


# --- sessions -------------------------------------------------------------------------


def _write_sets(session: WorkoutSession, sets: list[dict[str, Any]]) -> None:
    ExerciseSet.objects.for_tenant(session.tenant_id).filter(session=session).delete()
    numbers: dict[int, int] = {}
    rows = []
    for item in sets:
        exercise = item["exercise"]
        number = item.get("set_number") or numbers.get(exercise.pk, 0) + 1
        numbers[exercise.pk] = max(numbers.get(exercise.pk, 0), number)
        rows.append(
            ExerciseSet(
                tenant_id=session.tenant_id,
                session=session,
                user_id=session.user_id,
                exercise=exercise,
                set_number=number,
                reps=item.get("reps"),
                weight_kg=item.get("weight_kg"),
                duration_seconds=item.get("duration_seconds"),
                distance_m=item.get("distance_m"),
                rpe=item.get("rpe"),
                is_warmup=item.get("is_warmup", False),
            )
        )
    seen: set[tuple[int, int]] = set()
    for index, row in enumerate(rows):
        key = (row.exercise_id, row.set_number)
        if key in seen:
            raise ApplicationError(
                code="duplicate_set_number",
                message="Two sets of the same exercise have the same set_number.",
                status=400,
                errors=[{"field": f"sets[{index}].set_number", "code": "unique", "message": "Already used."}],
            )
        seen.add(key)
    ExerciseSet.objects.bulk_create(rows)


def session_create(*, user: User, data: dict[str, Any], sets: list[dict[str, Any]]) -> WorkoutSession:
    """Log a session, at whatever time it happened (back-dating is a normal case), with its sets.

    A session with a partner's ``external_id`` that already exists is updated in place: a
    retried push never makes two.
    """
    _check_not_private(data.get("workout"), user, "workout")
    with transaction.atomic():
        external_id = data.get("external_id") or ""
        session = None
        if external_id:
            session = _session_by_external_id(user, data.get("source", SessionSource.MANUAL), external_id)
        if session is None:
            try:
                with transaction.atomic():
                    session = WorkoutSession.objects.create(tenant_id=user.tenant_id, user=user, **data)
            except IntegrityError:
                if not external_id:
                    raise
                # The same push, sent twice at once: the other one created it; replace it with ours.
                session = _session_by_external_id(user, data.get("source", SessionSource.MANUAL), external_id)
                if session is None:
                    raise
                _replace(session, data)
        else:
            _replace(session, data)
        _write_sets(session, sets)
        _after_session(user, session)
    return session


def _session_by_external_id(user: User, source: str, external_id: str) -> WorkoutSession | None:
    return (
        WorkoutSession.objects.for_tenant(user.tenant_id)
        .select_for_update()
        .filter(user=user, source=source, external_id=external_id)
        .first()
    )


def _replace(session: WorkoutSession, data: dict[str, Any]) -> None:
    """A re-sent session replaces the stored one whole: a field left out is cleared, so the
    row is exactly what was sent and validated (never half old, half new)."""
    blank = WorkoutSession()
    for name in SESSION_FIELDS:
        setattr(session, name, data[name] if name in data else getattr(blank, name))
    session.save()


def session_update(
    *, session: WorkoutSession, data: dict[str, Any], sets: list[dict[str, Any]] | None
) -> WorkoutSession:
    if session.user is not None:
        _check_not_private(data.get("workout"), session.user, "workout")
    with transaction.atomic():
        session = WorkoutSession.objects.for_tenant(session.tenant_id).select_for_update().get(pk=session.pk)
        for name, value in data.items():
            setattr(session, name, value)
        if session.ended_at is not None and session.ended_at < session.started_at:
            raise ApplicationError(
                code="invalid",
                message="A session ends after it starts.",
                status=400,
                errors=[{"field": "ended_at", "code": "ends_before_start", "message": "Before started_at."}],
            )
        session.save()
        if sets is not None:
            _write_sets(session, sets)
        _after_session(session.user, session)
    return session


def session_delete(*, session: WorkoutSession) -> None:
    session.delete()


def _after_session(user: User, session: WorkoutSession) -> None:
    """A logged session may finish a program and may earn achievements."""
    if session.workout_id is not None:
        _complete_enrollments(user, session)
    achievements.evaluate(user)


def _complete_enrollments(user: User, session: WorkoutSession) -> None:
    """An active enrollment is complete once its program's last workout day's workout is logged on or after it."""
    import zoneinfo

    local_day = session.started_at.astimezone(zoneinfo.ZoneInfo(user.profile.timezone)).date()
    for enrollment in ProgramEnrollment.objects.for_tenant(user.tenant_id).filter(
        user=user, status=ProgramEnrollment.Status.ACTIVE
    ):
        last = (
            ProgramDay.objects.filter(program_id=enrollment.program_id, workout__isnull=False)
            .order_by("-day_number")
            .values_list("day_number", "workout_id")
            .first()
        )
        if last is None or last[1] != session.workout_id:
            continue
        if enrollment.day_on(local_day) >= last[0]:
            enrollment.status = ProgramEnrollment.Status.COMPLETED
            enrollment.completed_at = timezone.now()
            enrollment.save(update_fields=["status", "completed_at", "updated_at"])


# --- programs -------------------------------------------------------------------------


def _write_program_days(program: Program, days: list[dict[str, Any]]) -> None:
    ProgramDay.objects.filter(program=program).delete()
    ProgramDay.objects.bulk_create(
        ProgramDay(
            tenant_id=program.tenant_id,
            program=program,
            day_number=item["day_number"],
            workout=item.get("workout"),
            notes=item.get("notes", ""),
        )
        for item in days
    )


def program_create(*, tenant: Tenant, data: dict[str, Any], days: list[dict[str, Any]]) -> Program:
    with transaction.atomic():
        program = Program.objects.create(tenant=tenant, **data)
        _write_program_days(program, days)
    return program


def program_update(*, program: Program, data: dict[str, Any], days: list[dict[str, Any]] | None) -> Program:
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        for name, value in data.items():
            setattr(program, name, value)
        program.save()
        if days is not None:
            _write_program_days(program, days)
    return program


def program_delete(*, program: Program) -> None:
    message = "Users have followed this program; unpublish it instead."
    if program.owner_id is not None:
        # A generated program is its owner's alone (nobody else may enroll): their own
        # enrollments go with it.
        ProgramEnrollment.unscoped.filter(program=program, user_id=program.owner_id).delete()
    if ProgramEnrollment.unscoped.filter(program=program).exists():
        raise _in_use("program_in_use", message)
    owned = list(
        ProgramDay.objects.filter(program=program, workout__owner_id=program.owner_id)
        .exclude(workout__owner__isnull=True)
        .values_list("workout_id", flat=True)
    )
    try:
        with transaction.atomic():
            program.delete()
            if owned:
                from .planning.service import delete_owned_workouts

                delete_owned_workouts(owned)
    except RestrictedError:  # someone enrolled meanwhile
        raise _in_use("program_in_use", message) from None


def enrollment_create(
    *, user: User, program: Program, start_date: date, reminder_time: Any = None
) -> ProgramEnrollment:
    """Start following ``program`` on ``start_date``; one active enrollment per program (409 otherwise)."""
    _check_not_private(program, user)
    try:
        with transaction.atomic():
            return ProgramEnrollment.objects.create(
                tenant_id=user.tenant_id,
                user=user,
                program=program,
                start_date=start_date,
                reminder_time=reminder_time,
            )
    except IntegrityError:
        raise ApplicationError(
            code="already_enrolled",
            message="You already follow this program; finish or abandon it first.",
            status=409,
        ) from None


def enrollment_update(*, enrollment: ProgramEnrollment, data: dict[str, Any], today: date) -> ProgramEnrollment:
    """Reminder time and status. ``completed`` is for a program whose last day has come."""
    with transaction.atomic():
        enrollment = (
            ProgramEnrollment.objects.for_tenant(enrollment.tenant_id).select_for_update().get(pk=enrollment.pk)
        )
        status = data.get("status")
        if status is not None and status != enrollment.status:
            if enrollment.status != ProgramEnrollment.Status.ACTIVE:
                raise ApplicationError(
                    code="enrollment_closed", message=f"This enrollment is already {enrollment.status}.", status=409
                )
            if status == ProgramEnrollment.Status.COMPLETED:
                length = enrollment.program.length_days
                if enrollment.day_on(today) < length:
                    raise ApplicationError(
                        code="program_not_finished",
                        message=f"The program runs {length} days; today is day {enrollment.day_on(today)}.",
                        status=409,
                    )
                enrollment.completed_at = timezone.now()
            enrollment.status = status
        if "reminder_time" in data:
            enrollment.reminder_time = data["reminder_time"]
        enrollment.save()
        if enrollment.status == ProgramEnrollment.Status.COMPLETED:
            achievements.evaluate(enrollment.user)
    return enrollment


# --- activity files -------------------------------------------------------------------


def activity_import_create(*, user: User, upload: Any) -> tuple[ActivityImport, bool]:
    """Keep an uploaded activity file for a worker; the same file again is the same import.

    Returns ``(import, queued)``: ``queued`` is False when this user already sent the file
    (its import, finished or not, is returned as it is).
    """
    raw = upload.read()
    if not raw:
        raise ApplicationError(
            code="invalid",
            message="The file is empty.",
            status=400,
            errors=[{"field": "file", "code": "empty_file", "message": "The file is empty."}],
        )
    if len(raw) > settings.WORKOUT_IMPORT_MAX_BYTES:
        limit = settings.WORKOUT_IMPORT_MAX_BYTES // (1024 * 1024)
        raise ApplicationError(
            code="invalid",
            message=f"Activity files are at most {limit} MB.",
            status=400,
            errors=[{"field": "file", "code": "file_too_large", "message": f"At most {limit} MB."}],
        )
    content_hash = hashlib.sha256(_decompressed_for_hash(raw)).hexdigest()
    existing = ActivityImport.objects.for_tenant(user.tenant_id).filter(user=user, content_hash=content_hash).first()
    if existing is not None and not _worth_retrying(existing):
        return existing, False
    with transaction.atomic():
        if existing is not None:  # failed, lost by the queue, or its session deleted since: again
            record = existing
            record.status = ActivityImport.Status.PENDING
            record.message = ""
            record.finished_at = None
            record.session = None
            if record.file.name:
                _delete_files([record.file.name])
        else:
            record = ActivityImport(
                tenant_id=user.tenant_id,
                user=user,
                content_hash=content_hash,
                file_name=(getattr(upload, "name", "") or "")[:200],
            )
        record.file.save(f"{content_hash}.bin", ContentFile(raw), save=False)
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:  # the same file, sent twice at once
            record.file.delete(save=False)
            return ActivityImport.objects.for_tenant(user.tenant_id).get(user=user, content_hash=content_hash), False
        from .tasks import import_activity

        enqueue_after_commit(import_activity, import_id=record.pk)
    return record, True


# A pending import older than this was lost (the broker was down, the worker was killed):
# the same file sent again queues it again.
STALE_PENDING = timedelta(minutes=15)


def _worth_retrying(record: ActivityImport) -> bool:
    """Whether the same file sent again should be read again rather than answered from ``record``.

    A failed import is read again (a reason may have passed; a broken file just fails again),
    and so is one whose session was deleted, or one pending for too long.
    """
    if record.status == ActivityImport.Status.FAILED:
        return True
    if record.status == ActivityImport.Status.SUCCEEDED:
        return record.session_id is None
    return record.created_at < timezone.now() - STALE_PENDING and record.updated_at < timezone.now() - STALE_PENDING


def _decompressed_for_hash(raw: bytes) -> bytes:
    """The same activity gzipped or not hashes alike; a corrupt gzip hashes as sent (it will fail)."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            return stream.read(settings.WORKOUT_IMPORT_MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        return raw


def activity_import_run(*, import_id: int) -> None:
    """Parse the file and create its session and route, all or nothing; failures are recorded, not raised."""
    record = ActivityImport.unscoped.select_related("user__profile").get(pk=import_id)
    if record.status != ActivityImport.Status.PENDING:
        return
    try:
        with record.file.open("rb") as handle:
            raw = handle.read()
        parsed = parse_activity(raw, max_bytes=settings.WORKOUT_IMPORT_MAX_BYTES)
    except ActivityFileError as exc:
        _import_failed(record, str(exc))
        return
    except OSError:
        _import_failed(record, "The uploaded file is no longer available; upload it again.")
        return
    if parsed.started_at > timezone.now() + timedelta(minutes=5):
        _import_failed(record, "The activity starts in the future: check the device's clock.")
        return
    with transaction.atomic():
        locked = ActivityImport.unscoped.select_for_update().get(pk=record.pk)
        if locked.status != ActivityImport.Status.PENDING:
            return
        session = session_from_activity(record.user, parsed, external_id=f"file:{record.content_hash}")
        locked.status = ActivityImport.Status.SUCCEEDED
        locked.file_format = parsed.format
        locked.session = session
        locked.message = (
            f"Imported a {parsed.format.upper()} {parsed.sport or 'activity'} of {len(parsed.points)} points."[:500]
        )
        locked.finished_at = timezone.now()
        locked.save()
        name = locked.file.name
        if name:
            transaction.on_commit(lambda: locked.file.storage.delete(name))


def _import_failed(record: ActivityImport, message: str) -> None:
    ActivityImport.unscoped.filter(pk=record.pk, status=ActivityImport.Status.PENDING).update(
        status=ActivityImport.Status.FAILED, message=message[:500], finished_at=timezone.now()
    )
    if record.file.name:
        record.file.storage.delete(record.file.name)


def session_from_activity(
    user: User, parsed: ParsedActivity, *, external_id: str, evaluate_achievements: bool = True
) -> WorkoutSession:
    """The session (and route) of a recorded activity; the same ``external_id`` again is the same session.

    Public for the health app's imports (Apple Health workouts arrive as ParsedActivity too); an
    import of hundreds of workouts passes ``evaluate_achievements=False`` and calls
    ``achievements_after_import`` once at the end.
    """
    data: dict[str, Any] = {
        "sport": parsed.sport[:32],
        "started_at": parsed.started_at,
        "ended_at": parsed.ended_at,
        # What the API refuses from a person, a file does not bring in either.
        "calories_kcal": parsed.calories_kcal
        if parsed.calories_kcal is not None and parsed.calories_kcal <= 20_000
        else None,
        "distance_m": round(parsed.distance_m, 1) if parsed.distance_m is not None else None,
        "elevation_gain_m": round(parsed.elevation_gain_m, 1) if parsed.elevation_gain_m is not None else None,
        "avg_heart_rate": _heart_rate(parsed.avg_heart_rate),
        "max_heart_rate": _heart_rate(parsed.max_heart_rate),
        "source": SessionSource.IMPORT,
        "external_id": external_id,
    }
    session = (
        WorkoutSession.objects.for_tenant(user.tenant_id)
        .filter(user=user, source=SessionSource.IMPORT, external_id=external_id)
        .first()
    )
    if session is None:
        session = WorkoutSession.objects.create(tenant_id=user.tenant_id, user=user, **data)
    points = [
        [
            round(point.lon, 7),
            round(point.lat, 7),
            round(point.elevation_m, 1) if point.elevation_m is not None else None,
            point.time.isoformat().replace("+00:00", "Z") if point.time is not None else None,
            point.heart_rate,
        ]
        for point in parsed.points
    ]
    SessionTrack.objects.for_tenant(user.tenant_id).update_or_create(
        session=session, defaults={"tenant_id": user.tenant_id, "points": points}
    )
    if evaluate_achievements:
        achievements.evaluate(user)
    return session


def achievements_after_import(user: User) -> None:
    """Achievements earned by sessions imported in bulk (``session_from_activity(evaluate_achievements=False)``)."""
    achievements.evaluate(user)


def _heart_rate(value: int | None) -> int | None:
    """Out-of-range sensor values (0, 255 = no reading) are dropped rather than stored."""
    return value if value is not None and 20 <= value <= 250 else None
