"""Isolation sweep cases for /api/v1/workouts/ (see fitcore/tests/sweep.py)."""

from datetime import date, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from fitcore.tests import sweep
from workout.models import (
    ActivityImport,
    Exercise,
    ExerciseSet,
    FavoriteWorkout,
    Program,
    ProgramDay,
    ProgramEnrollment,
    SessionTrack,
    UserAchievement,
    Workout,
    WorkoutExercise,
    WorkoutProgress,
    WorkoutSession,
    WorkoutVideo,
)

# Not an id to the id-spelling test (it has letters): a stream token is a signed string.
BOGUS_TOKEN = "eyJ2IjoxfQ:1vX0b2:not-a-signature"


@sweep.seeder
def seed_workouts(world: sweep.World) -> None:
    # A's private catalogue (an exercise, a published workout with a video, a program) and its
    # member's data: progress, a favourite, a session with sets and a route, an import, an
    # enrollment and an achievement.
    exercise = Exercise.objects.create(tenant=world.a, source_id=world.marker("exercise-id"), name=world.marker("ex"))
    workout = Workout.objects.create(
        tenant=world.a,
        title=world.marker("workout"),
        description=world.marker("desc"),
        duration_minutes=30,
        published=True,
    )
    WorkoutExercise.objects.create(tenant=world.a, workout=workout, exercise=exercise, position=1, target_reps=10)
    video = WorkoutVideo(
        tenant=world.a,
        workout=workout,
        title=world.marker("video"),
        content_type="video/mp4",
        size_bytes=8,
        order_index=0,
        duration_seconds=60,
    )
    video.video.save("a.mp4", ContentFile(b"\0\0\0\x08free"), save=False)
    video.save()
    program = Program.objects.create(tenant=world.a, title=world.marker("program"), weeks=1, published=True)
    ProgramDay.objects.bulk_create(
        ProgramDay(tenant=world.a, program=program, day_number=n, workout=workout if n % 2 else None)
        for n in range(1, 8)
    )
    # A's member's own generated program and its private workout.
    own_workout = Workout.objects.create(
        tenant=world.a, owner=world.a_user, title=world.marker("own-workout"), duration_minutes=40
    )
    own_program = Program.objects.create(
        tenant=world.a,
        owner=world.a_user,
        title=world.marker("own-program"),
        weeks=1,
        source="generator",
        generation={"note": world.marker("generation")},
        generation_status="ready",
    )
    ProgramDay.objects.create(tenant=world.a, program=own_program, day_number=1, workout=own_workout)
    world.objects.update(own_workout=own_workout, own_program=own_program)
    started = timezone.now() - timedelta(days=1)
    session = WorkoutSession.objects.create(
        tenant=world.a,
        user=world.a_user,
        workout=workout,
        started_at=started,
        ended_at=started + timedelta(hours=1),
        notes=world.marker("notes"),
        external_id=world.marker("ext"),
        source="partner",
    )
    ExerciseSet.objects.create(
        tenant=world.a, session=session, user=world.a_user, exercise=exercise, set_number=1, reps=5, weight_kg=60
    )
    SessionTrack.objects.create(tenant=world.a, session=session, points=[[14.1, 46.0, 300.0, None, None]])
    record = ActivityImport.objects.create(
        tenant=world.a,
        user=world.a_user,
        content_hash="a" * 64,
        file_name=world.marker("file"),
        status="succeeded",
        session=session,
        message=world.marker("msg"),
    )
    WorkoutProgress.objects.create(
        tenant=world.a, user=world.a_user, workout=workout, progress_percentage=40, started_at=started
    )
    FavoriteWorkout.objects.create(tenant=world.a, user=world.a_user, workout=workout)
    enrollment = ProgramEnrollment.objects.create(
        tenant=world.a, user=world.a_user, program=program, start_date=date(2026, 11, 30), reminder_time=time(7)
    )
    UserAchievement.objects.create(
        tenant=world.a, user=world.a_user, code="first_workout", earned_at=started, data={"note": world.marker("ach")}
    )
    world.objects.update(
        exercise=exercise,
        workout=workout,
        video=video,
        program=program,
        session=session,
        activity_import=record,
        enrollment=enrollment,
    )


def _pk(name: str):
    return lambda w: {"pk": w.objects[name].pk}


def _session_payload(w: sweep.World) -> dict:
    return {
        "started_at": "2026-11-01T07:00:00Z",
        "workout": w.objects["workout"].pk,
        "sets": [{"exercise": w.objects["exercise"].pk, "reps": 5, "weight_kg": 50}],
    }


sweep.route("workout:category-list")
sweep.route("workout:record-list")
sweep.route("workout:achievement-list")
sweep.route("workout:video-stream", kwargs=lambda w: {"token": BOGUS_TOKEN})
# B's own exercise and workout: allowed, and A's rows stay as they were.
sweep.route("workout:exercise-list", payload=lambda w: {"name": "b-exercise"}, payload_names_foreign=False)
sweep.route("workout:exercise-detail", kwargs=_pk("exercise"), payload=lambda w: {"name": "renamed by b"})
sweep.route("workout:exercise-history", kwargs=_pk("exercise"))
sweep.route(
    "workout:workout-list",
    payload=lambda w: {
        "title": "b-workout",
        "duration_minutes": 10,
        "exercises": [{"exercise": w.objects["exercise"].pk, "target_reps": 5}],
    },
)
sweep.route("workout:workout-detail", kwargs=_pk("workout"), payload=lambda w: {"title": "renamed by b"})
sweep.route("workout:workout-favorites")
sweep.route("workout:workout-favorite", kwargs=_pk("workout"))
sweep.route("workout:workout-videos", kwargs=_pk("workout"), payload=lambda w: {"title": "b", "duration_seconds": 5})
sweep.route("workout:video-detail", kwargs=_pk("video"), payload=lambda w: {"title": "renamed by b"})
sweep.route("workout:video-url", kwargs=_pk("video"))
sweep.route("workout:progress-list", payload=lambda w: {"workout": w.objects["workout"].pk, "progress_percentage": 90})
sweep.route("workout:session-list", payload=_session_payload)
sweep.route("workout:session-detail", kwargs=_pk("session"), payload=lambda w: {"notes": "changed by b"})
sweep.route("workout:session-route", kwargs=_pk("session"))
sweep.route("workout:session-import-file", payload=lambda w: {"user": w.a_user.pk})
sweep.route("workout:import-list")
sweep.route("workout:import-detail", kwargs=_pk("activity_import"))
sweep.route(
    "workout:program-list",
    payload=lambda w: {
        "title": "b-program",
        "weeks": 1,
        "days": [{"day_number": n, "workout": w.objects["workout"].pk} for n in range(1, 8)],
    },
)
sweep.route("workout:program-detail", kwargs=_pk("program"), payload=lambda w: {"title": "renamed by b"})
sweep.route("workout:program-enroll", kwargs=_pk("program"), payload=lambda w: {"start_date": "2026-12-01"})
sweep.route("workout:program-today", kwargs=_pk("program"))
sweep.route("workout:enrollment-list")
sweep.route("workout:enrollment-detail", kwargs=_pk("enrollment"), payload=lambda w: {"status": "abandoned"})
# Generating for A's user: "does not exist".
sweep.route(
    "workout:program-generate",
    payload=lambda w: {
        "user": w.a_user.pk,
        "weeks": 4,
        "days_per_week": 3,
        "goal": "strength",
        "experience": "beginner",
        "equipment": ["dumbbell"],
    },
)
