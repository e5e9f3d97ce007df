"""Without a broker, the periodic tasks run in-process from the same schedule staff edit in the admin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from notification.management.commands.run_periodic import run_due
from notification.models import OutboxMessage
from notification.services import notify, preferences_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beat_entries")]


def test_due_tasks_run_once_per_interval_and_disabled_ones_not_at_all(user, django_capture_on_commit_callbacks) -> None:
    preferences_set(
        user=user,
        matrix={"system": {"in_app": True, "email": True, "push": False}},
        quiet_hours=None,
        daily_digest=False,
    )
    notification = notify(user=user, type="system", title="Lost by the broker", body="…")  # never queued: no commit
    OutboxMessage.unscoped.filter(notification=notification).update(enqueued_at=timezone.now() - timedelta(minutes=2))
    # Only the outbox re-send: the tick and other apps' entries (health's daily purge) are paused.
    PeriodicTask.objects.exclude(task="notification.requeue_outbox").update(enabled=False)
    last_run: dict[int, float] = {}

    assert run_due(last_run, now=1000.0) == ["notification: re-send the outbox"]
    assert run_due(last_run, now=1030.0) == []  # its interval is 60 s
    assert run_due(last_run, now=1060.0) == ["notification: re-send the outbox"]
    notification.refresh_from_db()
    assert notification.email_status == "sent"


def test_the_command_runs_what_is_due_and_reports_it() -> None:
    out = StringIO()
    call_command("run_periodic", once=True, stdout=out)
    assert "run_periodic: ran notification: re-send the outbox" in out.getvalue()
    assert "run_periodic: ran notification: local-time tick" in out.getvalue()


def test_intervals_count_from_when_they_were_due_not_from_when_they_ran() -> None:
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.exclude(task="notification.local_time_tick").update(enabled=False)
    PeriodicTask.objects.filter(task="notification.local_time_tick").update(task="fitcore.ping")  # cheap stand-in
    last_run: dict[int, float] = {}
    runs = 0
    now = 0.0
    # A week of looks every 60 s, each run taking 3 s: the 15-minute tick must not drift (counted
    # from when it ran, it would come 670 times and leave two quarter hours uncovered).
    while now < 7 * 24 * 3600:
        if run_due(last_run, now):
            runs += 1
            now += 3.0
        now += 60.0
    assert runs == 7 * 24 * 4


def test_in_a_process_of_its_own_the_schedules_tasks_are_found(tmp_path) -> None:
    """As make run starts it: a fresh process, where no code has imported the tasks modules yet."""
    import subprocess
    import sys

    from fitcore.tests.test_launcher import ROOT, launcher_env

    env = launcher_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "run_periodic", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "ran notification: re-send the outbox" in done.stdout and "ran notification: local-time tick" in done.stdout
    assert "unknown task" not in done.stderr
