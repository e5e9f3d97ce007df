"""Import or refresh FitCore's exercise catalogue.

    manage.py import_exercises PATH           # free-exercise-db's exercises.json (or .json.gz)
    manage.py import_exercises --shipped      # the copy in workout/data (make run)

Safe to run again: exercises are upserted on their catalogue id. ``--if-empty`` does nothing
when the catalogue's exercises are there already. A progress bar goes to stderr on a
terminal; the summary and the first malformed entries go to stdout.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fitcore.progress import TerminalProgress, terminal_of
from workout.importers import SHIPPED_EXERCISES, ExerciseError, import_exercises
from workout.models import Exercise

SHOWN_MALFORMED = 10


class Command(BaseCommand):
    help = "Import or refresh the exercise catalogue (free-exercise-db's exercises.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="exercises.json, plain or gzip-compressed.")
        parser.add_argument("--shipped", action="store_true", help="Import the copy shipped in workout/data.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the catalogue already has imported exercises."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        if options["shipped"] == bool(options["path"]):
            raise CommandError("Give a PATH or --shipped (one of them).")
        path = SHIPPED_EXERCISES if options["shipped"] else options["path"]
        if options["if_empty"]:
            existing = Exercise.objects.filter(tenant__isnull=True).count()
            if existing:
                if verbosity:
                    self.stdout.write(f"exercises: {existing} already imported; nothing to do (--if-empty).")
                return
        bar = TerminalProgress(
            "exercises", terminal_of(self) if verbosity and not options["no_progress"] else None, " exercises"
        )
        try:
            report = import_exercises(path, progress=bar)
        except ExerciseError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        if not verbosity:
            return
        style = self.style.SUCCESS if not report.malformed else self.style.WARNING
        self.stdout.write(style(report.summary()))
        for position, reason in report.malformed_rows[:SHOWN_MALFORMED]:
            self.stdout.write(f"  entry {position}: {reason}")
        if report.malformed > SHOWN_MALFORMED:
            self.stdout.write(f"  ... and {report.malformed - SHOWN_MALFORMED} more malformed entries")
