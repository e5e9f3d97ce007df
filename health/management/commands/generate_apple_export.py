"""Write a synthetic Apple Health export for load tests: ``manage.py generate_apple_export --records 1000000``.

The file is streamed to disk as it is generated (a million records never sit in memory) and is the same for
the same ``--seed`` and ``--until``; ``--zip`` writes ``export.zip`` with ``apple_health_export/export.xml``
inside, the layout an iPhone produces.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from health.importers.generator import write_apple_export

ZIP_MEMBER = "apple_health_export/export.xml"


class Command(BaseCommand):
    help = "Write a realistic synthetic Apple Health export.xml (or export.zip) with N records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--records", type=int, default=1_000_000, help="How many Record elements (1,000,000).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed: the same seed gives the same file.")
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            default=None,
            help="Last day covered, YYYY-MM-DD (a fixed date by default, so the file is reproducible).",
        )
        parser.add_argument("--zip", action="store_true", help=f"Write a zip holding {ZIP_MEMBER}.")
        parser.add_argument("--output", help="Where to write (default: export.xml, or export.zip with --zip).")
        parser.add_argument("--no-progress", dest="progress", action="store_false", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        records: int = options["records"]
        if records < 0:
            raise CommandError("--records cannot be negative.")
        path = Path(options["output"] or ("export.zip" if options["zip"] else "export.xml"))
        with tqdm(total=records, unit="rec", unit_scale=True, disable=not options["progress"]) as bar:
            if options["zip"]:
                with (
                    zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
                    archive.open(ZIP_MEMBER, "w", force_zip64=True) as member,
                ):
                    counts = write_apple_export(
                        member, records=records, seed=options["seed"], until=options["until"], progress=bar.update
                    )
            else:
                with path.open("wb") as file:
                    counts = write_apple_export(
                        file, records=records, seed=options["seed"], until=options["until"], progress=bar.update
                    )
        self.stdout.write(
            f"Wrote {path}: {counts.records:,} records, {counts.workouts:,} workouts, "
            f"{counts.summaries:,} activity summaries."
        )
