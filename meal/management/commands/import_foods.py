"""Import or refresh FitCore's food catalogue from a public source.

    manage.py import_foods usda-fdc PATH        # FoodData Central CSV download (directory or zip)
    manage.py import_foods usda-sr PATH         # SR28 ASCII files (a directory, plain or .gz)
    manage.py import_foods usda-sr --shipped    # the SR28 copy in meal/data/usda_sr28
    manage.py import_foods off PATH             # Open Food Facts JSONL (or .jsonl.gz)

Safe to run again: foods are upserted on (source, source id), so a second run updates
what the first created. ``--if-empty`` does nothing when the source's foods are there
already (``make run`` uses it). A progress bar goes to stderr when it is a terminal; the
summary line and the first malformed rows go to stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fitcore.progress import TerminalProgress, terminal_of
from meal.importers import (
    SHIPPED_SR28_DIR,
    ImportFormatError,
    ImportReport,
    import_off,
    import_usda_fdc,
    import_usda_sr,
)
from meal.importers.base import BATCH_SIZE
from meal.models import Food

Importer = Callable[..., ImportReport]
SOURCES: dict[str, tuple[str, Importer]] = {
    "usda-fdc": (Food.Source.USDA_FDC, import_usda_fdc),
    "usda-sr": (Food.Source.USDA_SR, import_usda_sr),
    "off": (Food.Source.OFF, import_off),
}
# The command prints this many malformed rows; the report keeps more.
SHOWN_MALFORMED = 10


class Command(BaseCommand):
    help = "Import or refresh foods from USDA FoodData Central, USDA SR28 or Open Food Facts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=sorted(SOURCES), help="Which source PATH holds.")
        parser.add_argument("path", nargs="?", help="The source's files (see --help of each source above).")
        parser.add_argument(
            "--shipped", action="store_true", help="usda-sr only: import the SR28 copy shipped in meal/data/usda_sr28."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when foods of this source exist already."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (it is drawn only on a terminal anyway)."
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Foods per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        label: str = options["source"]
        source, importer = SOURCES[label]
        path = self._path(label, options["path"], options["shipped"])
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        verbosity: int = options["verbosity"]
        if options["if_empty"]:
            existing = Food.objects.filter(source=source).count()
            if existing:
                if verbosity:
                    self.stdout.write(f"{label}: {existing} foods already imported; nothing to do (--if-empty).")
                return
        bar = TerminalProgress(label, terminal_of(self) if verbosity and not options["no_progress"] else None, " foods")
        try:
            report = importer(path, batch_size=options["batch_size"], progress=bar)
        except ImportFormatError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from None
        finally:
            bar.close()
        if verbosity:
            self._print(report)

    def _path(self, label: str, path: str | None, shipped: bool) -> Path:
        if shipped:
            if label != "usda-sr":
                raise CommandError("--shipped is only for usda-sr (FitCore ships the SR28 files).")
            if path:
                raise CommandError("Give either PATH or --shipped, not both.")
            return SHIPPED_SR28_DIR
        if not path:
            raise CommandError(f"PATH is required for {label}" + (" (or --shipped)." if label == "usda-sr" else "."))
        if not Path(path).exists():
            raise CommandError(f"{path} does not exist.")
        return Path(path)

    def _print(self, report: ImportReport) -> None:
        style = self.style.SUCCESS if not report.malformed else self.style.WARNING
        self.stdout.write(style(report.summary()))
        for line, reason in report.malformed_rows[:SHOWN_MALFORMED]:
            self.stdout.write(f"  line {line}: {reason}")
        hidden = report.malformed - min(len(report.malformed_rows), SHOWN_MALFORMED)
        if hidden > 0:
            self.stdout.write(f"  ... and {hidden} more malformed rows")
