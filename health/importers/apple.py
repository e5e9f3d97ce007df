"""Apple Health ``export.xml``: records, workouts and daily activity summaries, streamed.

An export is often several GB. It is read with defusedxml's iterparse and every top-level element (Record,
Workout, ActivitySummary, Correlation, ...) is dropped from the tree as soon as it is handled, so memory stays
flat whatever the size; a Workout is handled at its end tag, when its children (metadata, statistics, route) are
all there. Real exports open with a DOCTYPE whose internal subset declares elements and attributes, so a DTD is
accepted; entity declarations and external references are refused (no entity expansion bombs, no XXE).

Decisions worth knowing:
* Apple exports have no stable record ids: ``external_id`` is "" and ingestion derives one from the values.
* AppleExerciseTime records and AppleStandHour categories are skipped: the ActivitySummary rows carry the same
  daily totals (exercise_minutes, stand_hours), and importing both would count them twice. ActivitySummary's
  active energy is not imported either: the ActiveEnergyBurned records hold it.
* Correlations (blood pressure, food) are counted as skipped: Apple writes their member records again at the
  top level, where they are imported.
* Percentages (SpO2, body fat) are written as 0..1 fractions although the unit says "%".
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pyexpat import ErrorString
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from health.catalogue import METRICS, Metric, UnitError
from workout.activity.common import (
    MAX_ELEVATION_M,
    MAX_POINTS,
    MAX_YEAR,
    MIN_ELEVATION_M,
    MIN_YEAR,
    ActivityFileError,
    TrackPoint,
    downsample,
)
from workout.activity.gpx import parse_gpx

from .base import ImportedSample, ImportedWorkout, ImportFileError, ImportStats

QUANTITY_TYPES: dict[str, str] = {
    f"HKQuantityTypeIdentifier{name}": code
    for name, code in {
        "StepCount": "steps",
        "DistanceWalkingRunning": "distance",
        "ActiveEnergyBurned": "active_energy",
        "BasalEnergyBurned": "basal_energy",
        "HeartRate": "heart_rate",
        "RestingHeartRate": "resting_heart_rate",
        "HeartRateVariabilitySDNN": "hrv_sdnn",
        "OxygenSaturation": "spo2",
        "RespiratoryRate": "respiratory_rate",
        "BodyMass": "body_weight",
        "BodyFatPercentage": "body_fat",
        "LeanBodyMass": "lean_mass",
        "BodyMassIndex": "bmi",
        "Height": "height",
        "WaistCircumference": "waist_circumference",
        "BloodPressureSystolic": "blood_pressure_systolic",
        "BloodPressureDiastolic": "blood_pressure_diastolic",
        "BloodGlucose": "blood_glucose",
        "BodyTemperature": "body_temperature",
        "VO2Max": "vo2max",
        "DietaryWater": "water",
        "FlightsClimbed": "flights_climbed",
    }.items()
}
# Apple writes these percentages as fractions (0.97) under the unit "%".
FRACTION_TYPES = frozenset({"HKQuantityTypeIdentifierOxygenSaturation", "HKQuantityTypeIdentifierBodyFatPercentage"})
SLEEP_TYPE = "HKCategoryTypeIdentifierSleepAnalysis"
MINDFUL_TYPE = "HKCategoryTypeIdentifierMindfulSession"
SLEEP_STAGES: dict[str, str] = {
    "HKCategoryValueSleepAnalysisInBed": "in_bed",
    "HKCategoryValueSleepAnalysisAwake": "awake",
    "HKCategoryValueSleepAnalysisAsleep": "core",  # before iOS 16 there were no stages
    "HKCategoryValueSleepAnalysisAsleepUnspecified": "core",
    "HKCategoryValueSleepAnalysisAsleepCore": "core",
    "HKCategoryValueSleepAnalysisAsleepDeep": "deep",
    "HKCategoryValueSleepAnalysisAsleepREM": "rem",
}
# Apple unit spellings the catalogue does not know → (catalogue unit, factor applied first).
UNIT_ALIASES: dict[str, tuple[str, float]] = {
    "fl_oz_imp": ("mL", 28.4130625),
    "cup_imp": ("mL", 284.130625),
    "dL": ("mL", 100.0),
    "mg": ("g", 0.001),
    "mm": ("cm", 0.1),
    "bpm": ("count/min", 1.0),
}
# HealthKit writes mmol/L of glucose with the molar mass inside: "mmol<180.1558800000541>/L".
_MOLAR_UNIT = re.compile(r"^mmol<[0-9.]+>/(L|dL)$")
SPORTS: dict[str, str] = {
    "Running": "running",
    "Cycling": "cycling",
    "Walking": "walking",
    "Swimming": "swimming",
    "Hiking": "hiking",
    "Rowing": "rowing",
    "Yoga": "yoga",
    "TraditionalStrengthTraining": "strength_training",
    "FunctionalStrengthTraining": "strength_training",
    "HighIntensityIntervalTraining": "hiit",
    "Elliptical": "elliptical",
    "Other": "",
}
SPORT_MAX_LENGTH = 32
SOURCE_MAX_LENGTH = 100
DEVICE_MAX_LENGTH = 200
# Counters are keyed by the file's type names; a hostile file must not grow them without bound.
MAX_TYPE_NAMES = 500
TYPE_NAME_MAX_LENGTH = 100
OTHER_TYPES = "(other types)"
# One top-level element is held whole until its end tag: a day-long workout route has ~90,000 locations.
MAX_DESCENDANTS = 200_000
# Characters of text between two tags (exports have none but indentation).
MAX_TEXT = 1_000_000
ACTIVITY_SUMMARY_SOURCE = "Apple Health"

_WORKOUT_DISTANCE_PREFIX = "HKQuantityTypeIdentifierDistance"
_WORKOUT_ENERGY_TYPE = "HKQuantityTypeIdentifierActiveEnergyBurned"
_HK_DEVICE_FIELDS = re.compile(r"(?:^|, )(\w+):(.*?)(?=, \w+:|>$|$)")
_CAMEL_WORDS = re.compile(r"(?<!^)(?=[A-Z])")

# (metric, scale, offset) that turns a record's value into the metric's canonical unit, or an error message.
Conversion = tuple[Metric, float, float] | str


def read_apple_health(
    stream: BinaryIO, *, stats: ImportStats, zone: tzinfo
) -> Iterator[ImportedSample | ImportedWorkout]:
    """Yield what the export holds, in file order; ImportFileError when the XML breaks (earlier items stand).

    ``zone`` is the user's time zone: an ActivitySummary names a calendar day, whose bounds depend on it.
    """
    builder = _TopLevelBuilder()
    parser = SafeElementTree.DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    events = SafeElementTree.iterparse(stream, events=("end",), parser=parser)
    reader = _ExportReader(stats, zone)
    checked_root = False
    while True:
        try:
            _event, element = next(events)
        except StopIteration:
            break
        except DefusedXmlException as exc:
            raise ImportFileError("The export declares XML entities or external references; they are refused.") from exc
        except ParseError as exc:
            raise ImportFileError(_parse_error_message(exc)) from exc
        except (LookupError, ValueError) as exc:  # an encoding Python lacks or expat refuses
            raise ImportFileError(f"The export cannot be decoded ({exc}).") from exc
        root = builder.root
        if root is None or not len(root) or root[0] is not element:
            continue  # a nested element (read with its parent) or the root's own end
        if not checked_root:
            _check_root(root)
            checked_root = True
        line = builder.lines.popleft()
        yield from reader.handle(element, line)
        element.clear()
        del root[0]
    if builder.root is not None and not checked_root:
        _check_root(builder.root)


def _check_root(root: Element) -> None:
    if root.tag != "HealthData":
        raise ImportFileError(f"This XML file is not an Apple Health export (its root is <{root.tag[:40]}>).")


def route_points_from_gpx(data: bytes) -> list[TrackPoint]:
    """The points of a route file from the archive (``workout-routes/*.gpx``); [] when it cannot be read."""
    try:
        return parse_gpx(data).points
    except ActivityFileError:
        return []


class _TopLevelBuilder(TreeBuilder):
    """The standard tree builder, plus what the streaming loop needs: the root, and the line each top-level
    element starts on (read while expat is at that tag, so it is exact at no real cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.expat: Any = None
        self.root: Element | None = None
        self.lines: deque[int] = deque()
        self._depth = 0
        self._descendants = 0
        self._text = 0

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        element = super().start(tag, attrs)
        self._depth += 1
        self._text = 0
        if self._depth == 2:
            self.lines.append(self.expat.CurrentLineNumber)
            self._descendants = 0
        elif self._depth == 1:
            self.root = element
        else:
            self._descendants += 1
            if self._descendants > MAX_DESCENDANTS:
                raise ImportFileError(
                    f"line {self.expat.CurrentLineNumber}: an element holds more than {MAX_DESCENDANTS:,} others; "
                    "the export looks damaged."
                )
        return element

    def end(self, tag: str, /) -> Element:
        self._depth -= 1
        self._text = 0
        return super().end(tag)

    def data(self, data: str, /) -> None:
        # An export keeps everything in attributes; a long run of text is damage or an attack on memory.
        self._text += len(data)
        if self._text > MAX_TEXT:
            raise ImportFileError(
                f"line {self.expat.CurrentLineNumber}: more than {MAX_TEXT:,} characters of text; "
                "the export looks damaged."
            )
        super().data(data)


class _ExportReader:
    """Turns one top-level element at a time into results, counting everything it sees in ``stats``."""

    def __init__(self, stats: ImportStats, zone: tzinfo) -> None:
        self.stats = stats
        self.zone = zone
        self._conversions: dict[tuple[str, str], Conversion] = {}

    def handle(self, element: Element, line: int) -> Iterator[ImportedSample | ImportedWorkout]:
        tag = element.tag
        if tag == "Record":
            sample = self._record(element.attrib, line)
            if sample is not None:
                yield sample
        elif tag == "Workout":
            workout = self._workout(element, line)
            if workout is not None:
                yield workout
        elif tag == "ActivitySummary":
            yield from self._activity_summary(element.attrib, line)
        elif tag in ("ExportDate", "Me"):
            return
        else:  # Correlation, ClinicalRecord, Audiogram, VisionPrescription, ...
            name = element.get("type") or tag
            _bump(self.stats.read, name)
            _bump(self.stats.skipped, name)

    # Records

    def _record(self, attrib: dict[str, str], line: int) -> ImportedSample | None:
        kind = attrib.get("type", "")
        _bump(self.stats.read, kind)
        code = QUANTITY_TYPES.get(kind)
        if code is None:
            if kind in (SLEEP_TYPE, MINDFUL_TYPE):
                return self._category(kind, attrib, line)
            _bump(self.stats.skipped, kind)
            return None

        start, end = _parse_date(attrib.get("startDate", "")), _parse_date(attrib.get("endDate", ""))
        if start is None or end is None:
            self._invalid(kind, line, "no readable startDate/endDate with a UTC offset")
            return None
        if end < start:
            self._invalid(kind, line, "endDate is before startDate")
            return None
        unit = attrib.get("unit", "")
        conversion = self._conversions.get((kind, unit)) or self._conversion(kind, code, unit)
        if isinstance(conversion, str):
            self._invalid(kind, line, conversion)
            return None
        metric, scale, offset = conversion
        raw = attrib.get("value", "")
        try:
            number = float(raw)
        except ValueError:
            self._invalid(kind, line, f"unreadable value {raw[:40]!r}")
            return None
        value = number * scale + offset
        if not metric.minimum <= value <= metric.maximum:  # also false for NaN and infinities
            self._invalid(kind, line, f"value {raw[:40]} {unit[:20]} is outside {metric.code}'s range")
            return None
        return ImportedSample(
            metric=metric.code,
            value=value,
            start_time=start,
            end_time=end,
            source_name=_source(attrib.get("sourceName", "")),
            device=_device(attrib.get("device", "")),
        )

    def _category(self, kind: str, attrib: dict[str, str], line: int) -> ImportedSample | None:
        """Sleep stages and mindful sessions: the value is the time spent, in minutes."""
        start, end = _parse_date(attrib.get("startDate", "")), _parse_date(attrib.get("endDate", ""))
        if start is None or end is None:
            self._invalid(kind, line, "no readable startDate/endDate with a UTC offset")
            return None
        if end < start:
            self._invalid(kind, line, "endDate is before startDate")
            return None
        stage = ""
        if kind == SLEEP_TYPE:
            raw = attrib.get("value", "")
            stage = SLEEP_STAGES.get(raw, "")
            if not stage:
                self._invalid(kind, line, f"unknown sleep value {raw[:60]!r}")
                return None
            metric = METRICS["sleep"]
        else:
            metric = METRICS["mindful_minutes"]
        minutes = (end - start).total_seconds() / 60
        if not metric.in_range(minutes):
            self._invalid(kind, line, f"lasts {minutes:.0f} minutes, outside {metric.code}'s range")
            return None
        return ImportedSample(
            metric=metric.code,
            value=minutes,
            start_time=start,
            end_time=end,
            stage=stage,
            source_name=_source(attrib.get("sourceName", "")),
            device=_device(attrib.get("device", "")),
        )

    def _conversion(self, kind: str, code: str, unit: str) -> Conversion:
        """How this type's values in this unit become canonical; cached, as a file uses a handful of pairs."""
        key = (kind, unit)
        found = self._conversions.get(key)
        if found is not None:
            return found
        metric = METRICS[code]
        name, factor = _catalogue_unit(kind, unit)
        try:
            scale = metric.to_canonical(factor, name)
            offset = metric.to_canonical(0.0, name)
        except UnitError:
            found = f"unit {unit[:30]!r} is not one {metric.code} can be converted from"
        else:
            found = (metric, scale - offset, offset)
        if len(self._conversions) < MAX_TYPE_NAMES:
            self._conversions[key] = found
        return found

    # Workouts

    def _workout(self, element: Element, line: int) -> ImportedWorkout | None:
        _bump(self.stats.read, "Workout")
        start, end = _parse_date(element.get("startDate", "")), _parse_date(element.get("endDate", ""))
        if start is None or end is None:
            self._invalid("Workout", line, "no readable startDate/endDate with a UTC offset")
            return None
        if end < start:
            self._invalid("Workout", line, "endDate is before startDate")
            return None
        distance_km = self._amount(element.get("totalDistance"), element.get("totalDistanceUnit"), "distance", line)
        energy = self._amount(
            element.get("totalEnergyBurned"), element.get("totalEnergyBurnedUnit"), "active_energy", line
        )
        statistics_km: float | None = None
        points: list[TrackPoint] = []
        route_path = ""
        for node in element:
            if node.tag == "WorkoutStatistics":
                kind = node.get("type", "")
                if kind.startswith(_WORKOUT_DISTANCE_PREFIX) and distance_km is None:
                    amount = self._amount(node.get("sum"), node.get("unit"), "distance", line)
                    if amount is not None:  # a multisport workout lists one distance per sport
                        statistics_km = (statistics_km or 0.0) + amount
                elif kind == _WORKOUT_ENERGY_TYPE and energy is None:
                    energy = self._amount(node.get("sum"), node.get("unit"), "active_energy", line)
            elif node.tag == "WorkoutRoute":
                for part in node:
                    if part.tag == "Location":
                        point = _location(part.attrib)
                        if point is not None:
                            points.append(point)
                    elif part.tag == "FileReference" and not route_path:
                        route_path = part.get("path", "").lstrip("/")
        if distance_km is None:
            distance_km = statistics_km
        return ImportedWorkout(
            sport=_sport(element.get("workoutActivityType", "")),
            started_at=start,
            ended_at=end,
            distance_m=None if distance_km is None else distance_km * 1000,
            calories_kcal=energy,
            source_name=_source(element.get("sourceName", "")),
            points=downsample(points, MAX_POINTS),
            route_path=route_path,
        )

    def _amount(self, raw: str | None, unit: str | None, code: str, line: int) -> float | None:
        """A workout total in the metric's canonical unit; None (with an error line) when unusable."""
        if raw is None or raw == "":
            return None
        metric = METRICS[code]
        name, factor = _catalogue_unit("", unit or "")
        try:
            value = metric.to_canonical(float(raw) * factor, name)
        except (ValueError, UnitError):
            self.stats.error(f"line {line}: Workout: {metric.code} {raw[:40]!r} {(unit or '')[:20]!r} left out")
            return None
        if not (math.isfinite(value) and metric.in_range(value)):
            self.stats.error(f"line {line}: Workout: {metric.code} {raw[:40]} is out of range, left out")
            return None
        return value

    # Activity summaries

    def _activity_summary(self, attrib: dict[str, str], line: int) -> Iterator[ImportedSample]:
        _bump(self.stats.read, "ActivitySummary")
        try:
            day = date.fromisoformat(attrib.get("dateComponents", ""))
        except ValueError:
            self._invalid("ActivitySummary", line, "unreadable dateComponents")
            return
        # As UTC instants: subtracting two times of one ZoneInfo ignores a DST change between them.
        start = datetime.combine(day, time(), tzinfo=self.zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=self.zone).astimezone(UTC)
        for attribute, code in (("appleExerciseTime", "exercise_minutes"), ("appleStandHours", "stand_hours")):
            raw = attrib.get(attribute)
            if raw is None or raw == "":
                continue
            try:
                value = float(raw)
            except ValueError:
                self._invalid("ActivitySummary", line, f"unreadable {attribute} {raw[:40]!r}")
                continue
            if not (math.isfinite(value) and METRICS[code].in_range(value)):
                self._invalid("ActivitySummary", line, f"{attribute} {raw[:40]} is out of range")
                continue
            # Keyed by the calendar day, not its instants: importing again after a time-zone change
            # must find the same row, not add a second total for the day.
            yield ImportedSample(
                metric=code,
                value=value,
                start_time=start,
                end_time=end,
                source_name=ACTIVITY_SUMMARY_SOURCE,
                external_id=f"apple-summary:{day.isoformat()}:{code}",
            )

    def _invalid(self, kind: str, line: int, message: str) -> None:
        _bump(self.stats.invalid, kind)
        self.stats.error(f"line {line}: {kind.removeprefix('HKQuantityTypeIdentifier')[:60]}: {message}")


def _bump(counter: Counter[str], key: str) -> None:
    """Count ``key``, folding new names into one bucket once there are too many (a hostile file's doing)."""
    if key not in counter:
        key = key[:TYPE_NAME_MAX_LENGTH] or "(no type)"
        if len(counter) >= MAX_TYPE_NAMES and key not in counter:
            key = OTHER_TYPES
    counter[key] += 1


@functools.lru_cache(maxsize=4096)
def _parse_date(text: str) -> datetime | None:
    """ "2016-11-14 07:25:41 -0700" as an aware datetime; None without an offset or when unreadable.

    Cached: a record's start, end and creation dates are often equal, and neighbouring records share them.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        return None
    return moment


def _catalogue_unit(kind: str, unit: str) -> tuple[str, float]:
    """The catalogue's spelling of an Apple unit, with a factor for the few the catalogue lacks."""
    if unit == "%" and kind in FRACTION_TYPES:
        return "fraction", 1.0
    alias = UNIT_ALIASES.get(unit)
    if alias is not None:
        return alias
    molar = _MOLAR_UNIT.match(unit)
    if molar is not None:
        return "mmol/L", 10.0 if molar.group(1) == "dL" else 1.0
    return unit, 1.0


@functools.lru_cache(maxsize=256)
def _source(text: str) -> str:
    """Apple writes "Apple\u00a0Watch" with a no-break space; plain spaces keep one source one name."""
    return " ".join(text.split())[:SOURCE_MAX_LENGTH]


@functools.lru_cache(maxsize=256)
def _device(text: str) -> str:
    """ "<<HKDevice: 0x…>, name:Apple Watch, manufacturer:Apple, model:Watch, hardware:Watch2,4, …>" →
    "Apple Watch (Watch, Watch2,4)"; any other text is kept as it is."""
    if not text.startswith("<<HKDevice"):
        return text[:DEVICE_MAX_LENGTH]
    fields = dict(_HK_DEVICE_FIELDS.findall(text))
    values = [fields.get(key, "").strip() for key in ("name", "model", "hardware")]
    name, *details = [value for value in values if value and value != "(null)"] or [""]
    details = [detail for detail in details if detail != name]
    return (f"{name} ({', '.join(details)})" if details else name)[:DEVICE_MAX_LENGTH]


@functools.lru_cache(maxsize=256)
def _sport(activity_type: str) -> str:
    """HKWorkoutActivityTypeRunning → running; unlisted types become snake_case words (MixedCardio → mixed_cardio)."""
    name = activity_type.removeprefix("HKWorkoutActivityType")
    if name in SPORTS:
        return SPORTS[name]
    if not name.isascii() or not name.isalpha():
        return ""
    return _CAMEL_WORDS.sub("_", name).lower()[:SPORT_MAX_LENGTH]


def _location(attrib: dict[str, str]) -> TrackPoint | None:
    """One inline route Location; None when its position is unusable (the rest of the route still counts)."""
    try:
        lat, lon = float(attrib["latitude"]), float(attrib["longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    elevation: float | None
    try:
        elevation = float(attrib["altitude"])
    except (KeyError, ValueError):
        elevation = None
    if elevation is not None and not MIN_ELEVATION_M <= elevation <= MAX_ELEVATION_M:
        elevation = None
    return TrackPoint(_parse_date(attrib.get("date", "")), lat, lon, elevation, None)


def _parse_error_message(exc: ParseError) -> str:
    line, column = getattr(exc, "position", (0, 0))
    code = getattr(exc, "code", None)
    reason = ErrorString(code) if isinstance(code, int) else str(exc)
    return f"The export is not well-formed XML (line {line}, column {column + 1}): {reason}."
