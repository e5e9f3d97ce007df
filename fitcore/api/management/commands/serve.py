"""`make run`'s server: the web app and its WebSocket server, plus a Celery worker and beat when tasks go
through a broker."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fitcore.launcher import Supervisor, instance_programs


class Command(BaseCommand):
    help = (
        "Serve the app under gunicorn, its WebSockets under uvicorn and, unless tasks run eagerly (no broker "
        "configured), a Celery worker and beat. Ctrl-C or SIGTERM stops them all; if one exits, the rest are "
        "stopped too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT for gunicorn (default: %(default)s).")
        parser.add_argument(
            "--realtime-bind",
            help="HOST:PORT for the WebSocket server (uvicorn; default: the port after --bind's).",
        )
        parser.add_argument(
            "--beat-schedule",
            type=Path,
            default=Path(settings.BASE_DIR) / "celerybeat-schedule",
            help="Celery beat's schedule file (default: celerybeat-schedule in the project, git-ignored).",
        )
        parser.add_argument(
            "--shutdown-timeout",
            type=float,
            default=30.0,
            help="Seconds each process gets to stop after SIGTERM before it is killed (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        programs = instance_programs(
            bind=options["bind"],
            eager_tasks=settings.CELERY_TASK_ALWAYS_EAGER,
            beat_schedule=options["beat_schedule"],
            gunicorn_config=Path(settings.BASE_DIR) / "gunicorn.conf.py",
            realtime_bind=options["realtime_bind"],
        )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stderr.write(
                "serve: no broker configured, tasks run inside the web process: starting the web only "
                "(and run_periodic for the periodic tasks)"
            )
        # Children inherit this environment, DJANGO_SETTINGS_MODULE and the SECRET_KEY
        # the settings resolved included, so every process runs the same configuration.
        supervisor = Supervisor(
            programs,
            env=os.environ,
            cwd=Path(settings.BASE_DIR),
            shutdown_timeout=options["shutdown_timeout"],
            log=lambda message: self.stderr.write(f"serve: {message}"),
        )
        code = supervisor.run()
        if code:
            raise CommandError("an instance process exited; everything else was stopped", returncode=code)
