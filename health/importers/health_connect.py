"""Android Health Connect records, as JSON Lines (or one JSON document of at most 32 MB).

Health Connect has no export file of its own; this is the format a companion app writes from it, and it mirrors
the Health Connect record classes (``androidx.health.connect.client.records``) field for field:

* one record object per line::

    {"type": "StepsRecord", "startTime": "2026-11-30T07:00:00Z", "endTime": "2026-11-30T07:15:00Z",
     "count": 812, "metadata": {"id": "1b0c…", "dataOrigin": "com.fitbit.FitbitMobile", "device": "Pixel Watch"}}

* or, for files up to 32 MB, one document ``{"records": [ …the same objects… ]}``.

``type`` is the record class's simple name. Interval records carry ``startTime`` and ``endTime``, instant
records ``time``; every timestamp is ISO 8601 *with* ``Z`` or an offset (a local time without one is refused,
as its instant is unknown). Units follow the Kotlin units' property names: ``distance.inMeters``,
``energy.inKilocalories``, ``weight.inKilograms``, ``percentage.value`` (0-100), ``height.inMeters``,
``systolic.inMillimetersOfMercury``, ``level.inMillimolesPerLiter``, ``temperature.inCelsius``,
``volume.inMilliliters``. ``metadata.id`` becomes ``external_id`` (suffixed ``:<n>`` for the samples of a
HeartRateRecord or the stages of a SleepSessionRecord, ``:systolic`` / ``:diastolic`` for blood pressure);
``metadata.dataOrigin`` (the writing app's package) becomes the source, ``metadata.device`` the device (a string,
or an object whose ``manufacturer`` and ``model`` are used). ``metadata.clientRecordVersion`` (else
``metadata.lastModifiedTime``, as seconds since 1970) is the version: an edited record replaces the stored one.

Types read: StepsRecord, DistanceRecord, ActiveCaloriesBurnedRecord, HeartRateRecord (``samples``:
``[{time, beatsPerMinute}]``), RestingHeartRateRecord, HeartRateVariabilityRmssdRecord, OxygenSaturationRecord,
RespiratoryRateRecord (``rate``), WeightRecord, BodyFatRecord, LeanBodyMassRecord (``mass``), HeightRecord,
BloodPressureRecord, BloodGlucoseRecord, BodyTemperatureRecord, Vo2MaxRecord
(``vo2MillilitersPerMinuteKilogram``), HydrationRecord, FloorsClimbedRecord (``floors``), SleepSessionRecord
(``stages``: ``[{startTime, endTime, stage}]`` with Health Connect's stage codes), MindfulnessSessionRecord.
Skipped on purpose: BasalMetabolicRateRecord (a rate, not an amount), TotalCaloriesBurnedRecord (active plus
resting, which the catalogue keeps apart) and ExerciseSessionRecord (workouts come through the workout app).
A line that is not JSON is an invalid record with its line number; the file fails only when nothing is JSON.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any, BinaryIO

import orjson

from health.catalogue import METRICS, UnitError
from workout.activity.common import MAX_YEAR, MIN_YEAR

from .base import ImportedSample, ImportFileError, ImportStats

DOCUMENT_LIMIT = 32 * 1024 * 1024
# A HeartRateRecord of a long session holds thousands of samples; a line beyond this is not a record.
MAX_LINE_BYTES = 8 * 1024 * 1024
# Lines that are not JSON before any that is: past this many the file is refused without reading on.
MAX_LEADING_GARBAGE = 1_000
ID_MAX_LENGTH = 100
SOURCE_MAX_LENGTH = 100
DEVICE_MAX_LENGTH = 200
MAX_TYPE_NAMES = 200
UNREADABLE = "(unreadable line)"
NO_TYPE = "(no type)"
OTHER_TYPES = "(other types)"

# Record type → (catalogue code, path to the value, unit of that value, whether it spans an interval).
SIMPLE: dict[str, tuple[str, tuple[str, ...], str, bool]] = {
    "StepsRecord": ("steps", ("count",), "count", True),
    "DistanceRecord": ("distance", ("distance", "inMeters"), "m", True),
    "ActiveCaloriesBurnedRecord": ("active_energy", ("energy", "inKilocalories"), "kcal", True),
    "RestingHeartRateRecord": ("resting_heart_rate", ("beatsPerMinute",), "count/min", False),
    "HeartRateVariabilityRmssdRecord": ("hrv_rmssd", ("heartRateVariabilityMillis",), "ms", False),
    "OxygenSaturationRecord": ("spo2", ("percentage", "value"), "%", False),
    "RespiratoryRateRecord": ("respiratory_rate", ("rate",), "count/min", False),
    "WeightRecord": ("body_weight", ("weight", "inKilograms"), "kg", False),
    "BodyFatRecord": ("body_fat", ("percentage", "value"), "%", False),
    "LeanBodyMassRecord": ("lean_mass", ("mass", "inKilograms"), "kg", False),
    "HeightRecord": ("height", ("height", "inMeters"), "m", False),
    "BloodGlucoseRecord": ("blood_glucose", ("level", "inMillimolesPerLiter"), "mmol/L", False),
    "BodyTemperatureRecord": ("body_temperature", ("temperature", "inCelsius"), "degC", False),
    "Vo2MaxRecord": ("vo2max", ("vo2MillilitersPerMinuteKilogram",), "mL/kg/min", False),
    "HydrationRecord": ("water", ("volume", "inMilliliters"), "mL", True),
    "FloorsClimbedRecord": ("flights_climbed", ("floors",), "count", True),
}
SKIPPED = frozenset({"BasalMetabolicRateRecord", "TotalCaloriesBurnedRecord", "ExerciseSessionRecord"})
# SleepSessionRecord.STAGE_TYPE_*: 0 unknown is left out (its state is not known).
SLEEP_STAGES: dict[int, str] = {1: "awake", 2: "core", 3: "awake", 4: "core", 5: "deep", 6: "rem", 7: "awake"}
SLEEP_STAGE_NAMES: dict[str, int] = {
    "awake": 1,
    "sleeping": 2,
    "out_of_bed": 3,
    "light": 4,
    "deep": 5,
    "rem": 6,
    "awake_in_bed": 7,
}


class _Invalid(Exception):
    """One record (or one part of it) cannot be used; the message goes to the import's error list."""


def read_health_connect(stream: BinaryIO, *, stats: ImportStats) -> Iterator[ImportedSample]:
    """Yield the samples of every readable record; ImportFileError only when the file holds no JSON at all."""
    first = stream.readline(MAX_LINE_BYTES + 1)
    document = _parse(first)
    if isinstance(document, dict) and _is_document(document):
        yield from _read_records(document["records"], stats)
        return
    lines: Iterable[tuple[int, bytes | None]]
    if document is None and first.lstrip()[:1] in (b"{", b"["):
        # Maybe a pretty-printed document: small enough ones are read whole.
        rest = stream.read(DOCUMENT_LIMIT + 1 - len(first))
        whole = first + rest
        if len(whole) <= DOCUMENT_LIMIT:
            document = _parse(whole)
            if isinstance(document, dict) and _is_document(document):
                yield from _read_records(document["records"], stats)
                return
        lines = _lines(whole, stream)
    else:
        lines = _lines(first, stream)
    yield from _read_lines(lines, stats)


def _is_document(value: dict[str, Any]) -> bool:
    return "type" not in value and isinstance(value.get("records"), list)


def _parse(data: bytes) -> Any:
    """The JSON value, or None when the bytes are not JSON (JSON's own null is not a record either)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _lines(head: bytes, stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for the lines of ``head`` and then of the stream it was read from; None stands for a
    line longer than MAX_LINE_BYTES, which is skipped without being held."""
    buffer = io.BytesIO(head)
    number = 0
    while True:
        line = buffer.readline(MAX_LINE_BYTES + 1)
        if not line.endswith(b"\n") and len(line) <= MAX_LINE_BYTES:
            line += stream.readline(MAX_LINE_BYTES + 1 - len(line))  # the head ran out, maybe mid-line
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            yield number, None
            if not _skip_line(buffer):
                _skip_line(stream)
        else:
            yield number, line


def _skip_line(source: IO[bytes]) -> bool:
    """Read up to and including the next newline; False when the source ran out first."""
    while True:
        chunk = source.readline(MAX_LINE_BYTES)
        if not chunk:
            return False
        if chunk.endswith(b"\n"):
            return True


def _read_lines(lines: Iterable[tuple[int, bytes | None]], stats: ImportStats) -> Iterator[ImportedSample]:
    parsed_any = False
    garbage = 0
    for number, line in lines:
        if line is not None and not line.strip():
            continue
        record = None if line is None else _parse(line)
        if record is None:
            stats.read[UNREADABLE] += 1
            stats.invalid[UNREADABLE] += 1
            reason = "longer than the 8 MB a record may take" if line is None else "not JSON"
            stats.error(f"line {number}: {reason}")
            garbage += 1
            if not parsed_any and garbage >= MAX_LEADING_GARBAGE:
                break
            continue
        parsed_any = True
        yield from _read_record(record, f"line {number}", stats)
    if not parsed_any and garbage:
        raise ImportFileError("The file is not JSON Lines (nor a JSON document with a records list).")


def _read_records(records: list[Any], stats: ImportStats) -> Iterator[ImportedSample]:
    for index, record in enumerate(records):
        yield from _read_record(record, f"record {index + 1}", stats)


def _read_record(record: Any, where: str, stats: ImportStats) -> Iterator[ImportedSample]:
    if not isinstance(record, dict):
        stats.read[UNREADABLE] += 1
        stats.invalid[UNREADABLE] += 1
        stats.error(f"{where}: not a JSON object")
        return
    kind = record.get("type")
    kind = _type_key(stats, kind if isinstance(kind, str) and kind else NO_TYPE)
    stats.read[kind] += 1
    reader = None if kind in SKIPPED else _READERS.get(kind)
    if reader is None:
        stats.skipped[kind] += 1
        return
    try:
        samples = reader(record, kind)
    except _Invalid as exc:
        stats.invalid[kind] += 1
        stats.error(f"{where}: {kind}: {exc}")
        return
    # Records with parts (heart-rate samples, sleep stages) keep their good parts; each bad part is counted.
    for sample in samples:
        if isinstance(sample, _Invalid):
            stats.invalid[kind] += 1
            stats.error(f"{where}: {kind}: {sample}")
        else:
            yield sample


def _type_key(stats: ImportStats, kind: str) -> str:
    """The type name as counted: bounded in length, and in number (a hostile file could invent millions)."""
    kind = kind[:100]
    if kind not in stats.read and len(stats.read) >= MAX_TYPE_NAMES:
        return OTHER_TYPES
    return kind


# Readers: record → samples (or _Invalid for a bad part); raising _Invalid refuses the whole record.

Parts = list[ImportedSample | _Invalid]


def _simple(record: dict[str, Any], kind: str) -> Parts:
    code, path, unit, interval = SIMPLE[kind]
    if interval:
        start, end = _span(record)
    else:
        start = end = _instant(record, "time")
    value = _value(record, path, code, unit)
    return [_sample(record, code, value, start, end)]


def _heart_rate(record: dict[str, Any], kind: str) -> Parts:
    samples = record.get("samples")
    if not isinstance(samples, list) or not samples:
        raise _Invalid("no samples")
    parts: Parts = []
    for index, item in enumerate(samples):
        try:
            if not isinstance(item, dict):
                raise _Invalid("a sample is not an object")
            moment = _instant(item, "time")
            value = _value(item, ("beatsPerMinute",), "heart_rate", "count/min")
            parts.append(_sample(record, "heart_rate", value, moment, moment, suffix=f":{index}"))
        except _Invalid as exc:
            parts.append(_Invalid(f"sample {index + 1}: {exc}"))
    return parts


def _blood_pressure(record: dict[str, Any], kind: str) -> Parts:
    moment = _instant(record, "time")
    return [
        _sample(
            record,
            f"blood_pressure_{part}",
            _value(record, (part, "inMillimetersOfMercury"), f"blood_pressure_{part}", "mmHg"),
            moment,
            moment,
            suffix=f":{part}",
        )
        for part in ("systolic", "diastolic")
    ]


def _sleep(record: dict[str, Any], kind: str) -> Parts:
    start, end = _span(record)
    stages = record.get("stages")
    if not stages:
        return [_sample(record, "sleep", _minutes("sleep", start, end), start, end, stage="in_bed")]
    if not isinstance(stages, list):
        raise _Invalid("stages is not a list")
    parts: Parts = []
    for index, item in enumerate(stages):
        try:
            if not isinstance(item, dict):
                raise _Invalid("a stage is not an object")
            stage_start, stage_end = _span(item)
            stage = _sleep_stage(item.get("stage"))
            minutes = _minutes("sleep", stage_start, stage_end)
            parts.append(_sample(record, "sleep", minutes, stage_start, stage_end, stage=stage, suffix=f":{index}"))
        except _Invalid as exc:
            parts.append(_Invalid(f"stage {index + 1}: {exc}"))
    return parts


def _mindfulness(record: dict[str, Any], kind: str) -> Parts:
    start, end = _span(record)
    return [_sample(record, "mindful_minutes", _minutes("mindful_minutes", start, end), start, end)]


_READERS = {
    **dict.fromkeys(SIMPLE, _simple),
    "HeartRateRecord": _heart_rate,
    "BloodPressureRecord": _blood_pressure,
    "SleepSessionRecord": _sleep,
    "MindfulnessSessionRecord": _mindfulness,
}


# Field readers


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise _Invalid(f"no {field}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"unreadable {field} {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise _Invalid(f"{field} {value[:40]!r} has no time zone (Z or an offset)")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise _Invalid(f"{field} {value[:40]!r} is out of range")
    return moment


def _instant(record: dict[str, Any], field: str) -> datetime:
    return _time(record.get(field), field)


def _span(record: dict[str, Any]) -> tuple[datetime, datetime]:
    start, end = _time(record.get("startTime"), "startTime"), _time(record.get("endTime"), "endTime")
    if end < start:
        raise _Invalid("endTime is before startTime")
    return start, end


def _value(record: dict[str, Any], path: tuple[str, ...], code: str, unit: str) -> float:
    """The number at ``path``, in the metric's canonical unit and range."""
    node: Any = record
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise _Invalid(f"no number at {'.'.join(path)}")
    metric = METRICS[code]
    try:
        value = metric.to_canonical(float(node), unit)
    except (UnitError, OverflowError):
        raise _Invalid(f"{'.'.join(path)} cannot be converted") from None
    if not metric.minimum <= value <= metric.maximum:
        raise _Invalid(f"{'.'.join(path)} = {node} is outside {code}'s range")
    return value


def _minutes(code: str, start: datetime, end: datetime) -> float:
    minutes = (end - start).total_seconds() / 60
    if not METRICS[code].in_range(minutes):
        raise _Invalid(f"lasts {minutes:.0f} minutes, outside {code}'s range")
    return minutes


def _sleep_stage(raw: Any) -> str:
    code = SLEEP_STAGE_NAMES.get(raw.lower().removeprefix("stage_type_")) if isinstance(raw, str) else raw
    stage = SLEEP_STAGES.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    if stage is None:
        raise _Invalid(f"unknown sleep stage {str(raw)[:20]!r}")
    return stage


def _sample(
    record: dict[str, Any],
    code: str,
    value: float,
    start: datetime,
    end: datetime,
    *,
    stage: str = "",
    suffix: str = "",
) -> ImportedSample:
    metadata = record.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    record_id = metadata.get("id")
    external_id = ""
    if isinstance(record_id, str) and record_id:
        external_id = record_id[: ID_MAX_LENGTH - len(suffix)] + suffix
    origin = metadata.get("dataOrigin")
    return ImportedSample(
        version=_version(metadata),
        metric=code,
        value=value,
        start_time=start,
        end_time=end,
        stage=stage,
        source_name=origin[:SOURCE_MAX_LENGTH] if isinstance(origin, str) else "",
        device=_device(metadata.get("device")),
        external_id=external_id,
    )


def _version(metadata: dict[str, Any]) -> int:
    """The record's revision: an edited record comes back with a later ``lastModifiedTime`` (or a higher
    ``clientRecordVersion``) and must replace the stored sample; seconds since 1970 fit the column to 2038."""
    raw = metadata.get("clientRecordVersion")
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw < 2**31:
        return raw
    modified = metadata.get("lastModifiedTime")
    if isinstance(modified, str):
        try:
            moment = datetime.fromisoformat(modified)
        except ValueError:
            return 1
        if moment.tzinfo is not None and 1 <= moment.timestamp() < 2**31:
            return int(moment.timestamp())
    return 1


def _device(raw: Any) -> str:
    if isinstance(raw, str):
        return raw[:DEVICE_MAX_LENGTH]
    if isinstance(raw, dict):
        parts = [str(raw[key]) for key in ("manufacturer", "model") if isinstance(raw.get(key), str) and raw[key]]
        return " ".join(parts)[:DEVICE_MAX_LENGTH]
    return ""
