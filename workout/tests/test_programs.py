"""Programs: management, enrollment, today in the user's time zone, reminders, completion."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from conftest import api_key_client_for, jwt_client_for
from notification.models import Notification
from notification.schedule import LocalTimeWindow
from payment.models import Subscription
from users.models import Profile
from workout.models import ProgramEnrollment
from workout.reminders import send_due_reminders
from workout.tests.factories import ExerciseFactory, WorkoutFactory, add_exercise, make_program

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/workouts/programs/"


@pytest.fixture
def workouts():
    rows = [WorkoutFactory.create(title="Push"), WorkoutFactory.create(title="Pull")]
    for row in rows:
        add_exercise(row, ExerciseFactory.create(), 1)
    return rows


@pytest.fixture
def program(workouts):
    # Day 1 push, day 2 rest, day 3 pull, repeating; one week.
    return make_program([workouts[0], None, workouts[1]], weeks=1, title="Starter week")


def set_timezone(user, zone: str) -> None:
    Profile.unscoped.filter(user=user).update(timezone=zone)


def test_program_detail_lists_every_day_in_constant_queries(
    program, user_client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(6):
        body = user_client.get(f"{PROGRAMS}{program.pk}/").json()
    assert [day["workout_title"] for day in body["days"][:3]] == ["Push", None, "Pull"]
    assert len(body["days"]) == 7


def test_today_follows_the_users_time_zone(program, user) -> None:
    set_timezone(user, "Pacific/Auckland")
    # 11:00 UTC on 1 Dec is already 00:00 on 2 Dec in Auckland (UTC+13).
    with time_machine.travel(datetime(2026, 12, 1, 11, 30, tzinfo=UTC)):
        client = jwt_client_for(user)
        enrolled = client.post(f"{PROGRAMS}{program.pk}/enroll/", {}, format="json")
        assert enrolled.status_code == 201, enrolled.content
        assert enrolled.json()["start_date"] == "2026-12-02"
        assert enrolled.json()["current_day"] == 1
        today = client.get(f"{PROGRAMS}{program.pk}/today/").json()
    assert (today["date"], today["day_number"], today["state"]) == ("2026-12-02", 1, "workout")
    assert today["workout"]["title"] == "Push"
    with time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)):  # day 2 in Auckland
        assert jwt_client_for(user).get(f"{PROGRAMS}{program.pk}/today/").json()["state"] == "rest"
    with time_machine.travel(datetime(2026, 12, 20, 12, 0, tzinfo=UTC)):
        assert jwt_client_for(user).get(f"{PROGRAMS}{program.pk}/today/").json()["state"] == "finished"


def test_not_enrolled_and_duplicate_enrollment(program, user_client) -> None:
    assert user_client.get(f"{PROGRAMS}{program.pk}/today/").json()["state"] == "not_enrolled"
    assert user_client.post(f"{PROGRAMS}{program.pk}/enroll/", {}, format="json").status_code == 201
    again = user_client.post(f"{PROGRAMS}{program.pk}/enroll/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_enrolled"


def test_premium_programs_need_access_to_enroll(workouts, user) -> None:
    premium = make_program([workouts[0]], title="Elite", is_premium=True)
    client = jwt_client_for(user)
    refused = client.post(f"{PROGRAMS}{premium.pk}/enroll/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "subscription_required")
    Subscription.objects.for_tenant(user.tenant_id).create(tenant=user.tenant, user=user, status="active")
    assert jwt_client_for(user).post(f"{PROGRAMS}{premium.pk}/enroll/", {}, format="json").status_code == 201


def test_an_api_key_enrolls_its_user(program, user, tenant) -> None:
    key = api_key_client_for(tenant)
    assert key.post(f"{PROGRAMS}{program.pk}/enroll/", {}, format="json").status_code == 400
    response = key.post(f"{PROGRAMS}{program.pk}/enroll/", {"user": user.pk, "start_date": "2026-11-01"}, format="json")
    assert response.status_code == 201
    assert ProgramEnrollment.unscoped.get().user == user


def test_reminders_at_the_users_local_time_on_workout_days_only(program, user) -> None:
    set_timezone(user, "Europe/Berlin")
    ProgramEnrollment.objects.for_tenant(user.tenant_id).create(
        tenant=user.tenant, user=user, program=program, start_date=date(2026, 12, 1), reminder_time=time(7, 0)
    )
    # 07:00 in Berlin is 06:00 UTC in December; the tick at 06:15 covers 06:00-06:15.
    day_one = LocalTimeWindow.before(datetime(2026, 12, 1, 6, 15, tzinfo=UTC))
    assert send_due_reminders(day_one) == 1
    assert send_due_reminders(day_one) == 1  # a repeated tick: deduplicated by notify()
    assert Notification.objects.for_tenant(user.tenant_id).filter(type="workout_reminder").count() == 1
    rest_day = LocalTimeWindow.before(datetime(2026, 12, 2, 6, 15, tzinfo=UTC))
    assert send_due_reminders(rest_day) == 0
    wrong_hour = LocalTimeWindow.before(datetime(2026, 12, 3, 9, 15, tzinfo=UTC))
    assert send_due_reminders(wrong_hour) == 0


def test_finishing_the_last_workout_completes_the_program(workouts, user) -> None:
    program = make_program([workouts[0], workouts[1]], weeks=1, title="Two-a-day")
    client = jwt_client_for(user)
    start = datetime.now(UTC).date() - timedelta(days=6)  # the user's zone is UTC
    client.post(f"{PROGRAMS}{program.pk}/enroll/", {"start_date": start.isoformat()}, format="json")
    # Day 7 (the last) is the push workout: logging it today completes the program.
    session = {"workout": workouts[0].pk, "started_at": datetime.now(UTC).replace(microsecond=0).isoformat()}
    assert client.post("/api/v1/workouts/sessions/", session, format="json").status_code == 201
    enrollment = ProgramEnrollment.unscoped.get()
    assert enrollment.status == "completed"
    codes = [row["code"] for row in client.get("/api/v1/workouts/achievements/").json() if row["earned"]]
    assert "program_finished" in codes


def test_enrollments_complete_only_when_the_program_has_ended(program, user_client) -> None:
    enrollment = user_client.post(f"{PROGRAMS}{program.pk}/enroll/", {}, format="json").json()
    early = user_client.patch(
        f"/api/v1/workouts/enrollments/{enrollment['id']}/", {"status": "completed"}, format="json"
    )
    assert (early.status_code, early.json()["code"]) == (409, "program_not_finished")
    abandoned = user_client.patch(
        f"/api/v1/workouts/enrollments/{enrollment['id']}/", {"status": "abandoned"}, format="json"
    )
    assert abandoned.json()["status"] == "abandoned"
    # Abandoned, it can be started again.
    assert user_client.post(f"{PROGRAMS}{program.pk}/enroll/", {}, format="json").status_code == 201


def test_tenant_programs_must_cover_every_day(workouts, admin_client_jwt, tenant) -> None:
    days = [{"day_number": n, "workout": workouts[0].pk if n % 2 else None} for n in range(1, 7)]
    payload = {"title": "Acme week", "weeks": 1, "days": days, "published": True}
    short = admin_client_jwt.post(PROGRAMS, payload, format="json")
    assert short.status_code == 400
    assert short.json()["errors"][0]["field"] == "days"
    payload["days"] = [*days, {"day_number": 7, "workout": None}]
    created = admin_client_jwt.post(PROGRAMS, payload, format="json")
    assert created.status_code == 201, created.content
    assert len(created.json()["days"]) == 7
    assert admin_client_jwt.post(PROGRAMS, payload, format="json").status_code == 201
    # A member reads it but cannot change it.
    member = jwt_client_for(tenant.users.exclude(role="tenant_admin").first() or _member(tenant))
    program_id = created.json()["id"]
    assert member.get(f"{PROGRAMS}{program_id}/").status_code == 200
    assert member.patch(f"{PROGRAMS}{program_id}/", {"title": "x"}, format="json").status_code == 403


def _member(tenant):
    from users.tests.factories import UserFactory

    return UserFactory.create(tenant=tenant)
