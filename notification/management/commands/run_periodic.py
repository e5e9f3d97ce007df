"""Without a broker, run the database's periodic tasks in this process (what Celery beat does otherwise).

``make run`` on the embedded default (no REDIS_URL) starts this beside gunicorn: the
outbox re-send, the daily digest and other local-time hooks then run there too. It reads
the same django-celery-beat rows staff edit in the admin (enabled interval schedules), and
runs each due task eagerly, one at a time.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

from celery import current_app
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django_celery_beat.models import PeriodicTask

logger = logging.getLogger(__name__)


def run_due(last_run: dict[int, float], now: float) -> list[str]:
    """Run every enabled interval task whose interval has passed since its last run here; returns their names."""
    ran = []
    for entry in PeriodicTask.objects.filter(enabled=True, interval__isnull=False).select_related("interval"):
        interval = entry.interval
        assert interval is not None  # noqa: S101 - filtered above
        every = timedelta(**{interval.period: interval.every}).total_seconds()
        last = last_run.get(entry.pk)
        if last is not None and now - last < every:
            continue
        # From the previous due time, not from now: polling and run time must not add up to
        # skipped intervals (a local-time hook would miss a quarter hour). Far behind: restart.
        last_run[entry.pk] = last + every if last is not None and now - (last + every) < every else now
        task = current_app.tasks.get(entry.task)
        if task is None:
            logger.warning("periodic task %s names an unknown task %s", entry.name, entry.task)
            continue
        try:
            task.apply(args=json.loads(entry.args or "[]"), kwargs=json.loads(entry.kwargs or "{}"), throw=True)
        except Exception:
            logger.exception("periodic task %s failed", entry.name)
        ran.append(entry.name)
    return ran


class Command(BaseCommand):
    help = "Run the periodic tasks (django-celery-beat's enabled interval schedules) in-process, without a broker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--poll", type=float, default=5.0, help="Seconds between looks at the schedule.")

    def handle(self, *args: Any, **options: Any) -> None:
        # What a Celery worker does at start: import every app's tasks module (autodiscovery),
        # so the schedule's task names resolve in this process too.
        current_app.loader.import_default_modules()
        last_run: dict[int, float] = {}
        while True:
            try:
                for name in run_due(last_run, time.monotonic()):
                    self.stdout.write(f"run_periodic: ran {name}")
            except DatabaseError as error:  # not migrated yet, or the database is away: look again later
                logger.warning("run_periodic: cannot read the schedule: %s", error)
            if options["once"]:
                return
            time.sleep(options["poll"])
            close_old_connections()  # as after a request: a long-lived process must not keep a dead connection
