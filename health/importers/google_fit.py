"""Google Takeout Fit: ``Daily activity metrics.csv``, one row per day, one column per metric.

Columns come and go between Takeout versions and most cells are empty, so columns are matched by header name
(case-insensitive) and an empty cell means "no data that day", never an error. Daily totals become samples
spanning the user's local day; the average weight becomes one reading at local noon.

Calories are not imported: Google Fit's figure is total energy (resting plus active) and the catalogue keeps
those apart, so it is counted as skipped rather than guessed into one of them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import BinaryIO

from health.catalogue import METRICS, UnitError

from .base import ImportedSample, ImportFileError, ImportStats

SOURCE_NAME = "Google Fit"
DATE_COLUMN = "date"
# Lower-cased header → (catalogue code, the column's unit, how the day becomes a time span).
DAILY = "day"  # a total over the local day
NOON = "noon"  # one reading at local noon
COLUMNS: dict[str, tuple[str, str, str]] = {
    "step count": ("steps", "count", DAILY),
    "distance (m)": ("distance", "m", DAILY),
    "average weight (kg)": ("body_weight", "kg", NOON),
    "average heart rate (bpm)": ("heart_rate", "count/min", DAILY),
    "move minutes count": ("exercise_minutes", "min", DAILY),
}
MAX_COLUMNS = 500


def read_google_fit_daily(stream: BinaryIO, *, zone: tzinfo, stats: ImportStats) -> Iterator[ImportedSample]:
    """Yield one sample per known column and day; ImportFileError when the file is not this CSV."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    try:
        yield from _read(csv.reader(text), zone, stats)
    except UnicodeDecodeError as exc:
        raise ImportFileError("The file is not UTF-8 text, so it is not a Takeout CSV.") from exc
    except csv.Error as exc:
        raise ImportFileError(f"The CSV is malformed ({exc}).") from exc
    finally:
        text.detach()  # the caller owns the stream: closing the wrapper must not close it


def _read(rows: Iterator[list[str]], zone: tzinfo, stats: ImportStats) -> Iterator[ImportedSample]:
    header = next(rows, None)
    if header is None:
        raise ImportFileError("The file is empty.")
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"The CSV has {len(header):,} columns; a Takeout daily file has a few dozen.")
    names = [name.strip() for name in header]
    keys = [name.lower() for name in names]
    if DATE_COLUMN not in keys:
        raise ImportFileError("The CSV has no Date column: it is not Google Fit's Daily activity metrics.csv.")
    date_index = keys.index(DATE_COLUMN)
    columns = [(index, names[index], COLUMNS.get(key)) for index, key in enumerate(keys) if index != date_index]

    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        line = _line(rows)
        raw_day = row[date_index].strip() if date_index < len(row) else ""
        try:
            day = date.fromisoformat(raw_day)
            if not 1970 <= day.year <= 2200:
                raise ValueError(raw_day)
        except ValueError:
            stats.invalid["Date"] += 1
            stats.error(f"line {line}: unreadable or implausible date {raw_day[:40]!r}; the row is left out")
            continue
        # As UTC instants: subtracting two times of one ZoneInfo ignores a DST change between them.
        start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
        noon = datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)
        for index, name, target in columns:
            cell = row[index].strip() if index < len(row) else ""
            if not cell:
                continue
            stats.read[name] += 1
            if target is None:
                stats.skipped[name] += 1
                continue
            code, unit, span = target
            metric = METRICS[code]
            try:
                value = metric.to_canonical(float(cell), unit)
            except (ValueError, UnitError):
                stats.invalid[name] += 1
                stats.error(f"line {line}: {name}: unreadable value {cell[:40]!r}")
                continue
            if not (math.isfinite(value) and metric.in_range(value)):
                stats.invalid[name] += 1
                stats.error(f"line {line}: {name}: {cell[:40]} is outside {code}'s range")
                continue
            # Keyed by the calendar day, not its instants: importing again after a time-zone change
            # must find the same row, not add a second total for the day.
            key = f"google-fit:{day.isoformat()}:{code}"
            if span == NOON:
                yield ImportedSample(
                    metric=code, value=value, start_time=noon, end_time=noon, source_name=SOURCE_NAME, external_id=key
                )
            else:
                yield ImportedSample(
                    metric=code, value=value, start_time=start, end_time=end, source_name=SOURCE_NAME, external_id=key
                )


def _line(rows: Iterator[list[str]]) -> int:
    """The CSV reader's line number (rows may span lines inside quotes)."""
    return int(getattr(rows, "line_num", 0))
