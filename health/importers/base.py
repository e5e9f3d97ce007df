"""What every health importer yields, and the one error type that refuses a whole file.

Importers are pure: no Django models, no database. They read a binary stream and yield
``ImportedSample`` / ``ImportedWorkout`` objects whose values are already in the catalogue's
canonical units and inside its ranges; what they cannot use they count in ``ImportStats``.
The import task (``health.services``) batches what they yield into the ingestion service.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from workout.activity.common import TrackPoint

# At most this many error lines are kept per import: a broken file must not fill the database.
MAX_ERRORS = 50


class ImportFileError(Exception):
    """The file cannot be imported (or cannot be read further); str(exc) is for the person who uploaded it."""


@dataclass(slots=True)
class ImportedSample:
    metric: str  # a catalogue code
    value: float  # canonical unit, inside the metric's range
    start_time: datetime  # aware
    end_time: datetime  # aware, >= start_time
    stage: str = ""  # sleep stage for category metrics, else ""
    source_name: str = ""  # the app or device that recorded it, as the file names it (<= 100 chars)
    device: str = ""  # <= 200 chars
    external_id: str = ""  # the file's own id when it has one; "" → a deterministic id from the values
    version: int = 1  # the source's revision of the record, when it keeps one: a higher one replaces the stored row


@dataclass(slots=True)
class ImportedWorkout:
    sport: str  # the workout app's sport vocabulary (running, cycling, walking, ...), "" when unknown
    started_at: datetime
    ended_at: datetime
    distance_m: float | None = None
    calories_kcal: float | None = None
    source_name: str = ""
    points: list[TrackPoint] = field(default_factory=list)  # an inline route
    route_path: str = ""  # a route file inside the archive (Apple: "workout-routes/route_….gpx")


@dataclass(slots=True)
class ImportStats:
    """Counts by the file's own type names, for the import's status page."""

    read: Counter[str] = field(default_factory=Counter)  # every record seen, by type
    skipped: Counter[str] = field(default_factory=Counter)  # types not in the catalogue (or deliberately left out)
    invalid: Counter[str] = field(default_factory=Counter)  # records of a known type with unusable values
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS messages ("line 17: ...")

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message[:300])
