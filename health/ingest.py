"""Validate samples and write them with one set-based upsert: the path every sample takes in.

The API's single and batch endpoints and every importer end here, so a sample means the same
thing whichever way it arrived. Validation is hand-written rather than a DRF serializer per
item, because a batch holds up to 10,000 of them (README "Health data" has the measurement);
the errors keep DRF's shape (``samples[17].value``).

The write is one statement per chunk:
``INSERT … ON CONFLICT (tenant, user, source, external_id) DO UPDATE … WHERE excluded.version >
health_sample.version``. PostgreSQL gets the rows as arrays through ``unnest`` (10 parameters,
whatever the batch size); SQLite, the embedded default, as multi-row VALUES.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from .catalogue import METRICS, Kind, Metric, UnitError
from .models import Source

MAX_BATCH = 10_000
MAX_SPAN = timedelta(days=31)  # a sample covers at most this (a monthly total); longer is a mistake
FUTURE_SLACK = timedelta(days=1)  # device clocks and time zones drift; beyond this it is an error
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SOURCE_VALUES = frozenset(Source.values)
FIELDS = frozenset(
    {"metric", "value", "unit", "stage", "start_time", "end_time", "source", "source_name", "device", "external_id"}
    | {"version"}
)


class Row(NamedTuple):
    """A validated sample, ready for the upsert (value canonical, times aware UTC)."""

    metric: str
    value: float
    stage: str
    start_time: datetime
    end_time: datetime
    source: str
    source_name: str
    device: str
    external_id: str
    version: int


@dataclass(frozen=True, slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.created + other.created, self.updated + other.updated, self.unchanged + other.unchanged)

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class FieldError(ValueError):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


def deterministic_id(metric: str, stage: str, start: datetime, end: datetime, value: float) -> str:
    """The id of a sample whose source gave none: the same reading sent twice is the same row."""
    text = f"{metric}|{stage}|{start.timestamp():.6f}|{end.timestamp():.6f}|{round(value, 6)!r}"
    return "auto:" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def parse_time(raw: object, field: str) -> datetime:
    if not isinstance(raw, str):
        raise FieldError(field, "invalid", "An ISO 8601 date-time with a time zone, e.g. 2026-11-30T07:00:00Z.")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise FieldError(field, "invalid", f"{raw[:40]!r} is not an ISO 8601 date-time.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError(field, "naive_datetime", "The time needs a time zone (Z or an offset such as +02:00).")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise FieldError(field, "invalid", "Out of range.") from None


def _text(item: Mapping[str, Any], name: str, limit: int, prefix: str) -> str:
    raw = item.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FieldError(prefix + name, "invalid", "A string.")
    if len(raw) > limit:
        raise FieldError(prefix + name, "max_length", f"At most {limit} characters.")
    if "\x00" in raw:
        raise FieldError(prefix + name, "null_characters_not_allowed", "No NUL characters.")
    return raw


def _number(raw: object, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise FieldError(field, "invalid", "A number.")
    value = float(raw)
    if not math.isfinite(value):
        raise FieldError(field, "invalid", "A finite number.")
    return value


def clean_sample(item: object, *, prefix: str, default_source: str, now: datetime) -> Row:
    """One sample from its JSON form, or FieldError naming the first bad field (``prefix`` + name)."""
    if not isinstance(item, dict):
        raise FieldError(prefix.rstrip("."), "invalid", "A sample object.")
    unknown = item.keys() - FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise FieldError(prefix + str(name)[:50], "unknown_field", "Not a field of a sample.")
    code = item.get("metric")
    metric: Metric | None = METRICS.get(code) if isinstance(code, str) else None
    if metric is None:
        raise FieldError(prefix + "metric", "unknown_metric", "Not a metric of GET /health/metrics/.")
    start = parse_time(item.get("start_time"), prefix + "start_time")
    end = start if item.get("end_time") is None else parse_time(item["end_time"], prefix + "end_time")
    if start < EARLIEST:
        raise FieldError(prefix + "start_time", "too_early", "Samples start in 1970 or later.")
    if end < start:
        raise FieldError(prefix + "end_time", "ends_before_start", "end_time is before start_time.")
    if end > now + FUTURE_SLACK:
        raise FieldError(prefix + "end_time", "in_future", "More than a day in the future.")
    if end - start > MAX_SPAN:
        raise FieldError(prefix + "end_time", "too_long", "A sample covers at most 31 days.")
    stage = _text(item, "stage", 8, prefix)
    if metric.kind == Kind.CATEGORY:
        if stage not in metric.stages:
            raise FieldError(prefix + "stage", "invalid_choice", f"One of {', '.join(metric.stages)}.")
    elif stage:
        raise FieldError(prefix + "stage", "not_allowed", f"Only {', '.join(_CATEGORY_CODES)} samples have a stage.")
    unit = item.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise FieldError(prefix + "unit", "invalid", "A unit string.")
    raw_value = item.get("value")
    if raw_value is None and metric.kind in (Kind.CATEGORY, Kind.INTERVAL):
        value = (end - start).total_seconds() / 60  # time spent: the interval says it all
    elif raw_value is None:
        raise FieldError(prefix + "value", "required", "This field is required.")
    else:
        try:
            value = metric.to_canonical(_number(raw_value, prefix + "value"), unit)
        except UnitError as exc:
            raise FieldError(prefix + "unit", "unknown_unit", str(exc)) from None
    if not metric.in_range(value):
        raise FieldError(
            prefix + "value",
            "out_of_range",
            f"{metric.name} is between {metric.minimum:g} and {metric.maximum:g} {metric.unit}; got {value:g}.",
        )
    source = item.get("source")
    if source is None:
        source = default_source
    if not isinstance(source, str) or source not in SOURCE_VALUES:
        raise FieldError(prefix + "source", "invalid_choice", f"One of {', '.join(sorted(SOURCE_VALUES))}.")
    external_id = _text(item, "external_id", 100, prefix) or deterministic_id(metric.code, stage, start, end, value)
    version = item.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 2_147_483_647:
        raise FieldError(prefix + "version", "invalid", "A whole number from 1.")
    return Row(
        metric.code,
        value,
        stage,
        start,
        end,
        source,
        _text(item, "source_name", 100, prefix),
        _text(item, "device", 200, prefix),
        external_id,
        version,
    )


_CATEGORY_CODES = [m.code for m in METRICS.values() if m.kind == Kind.CATEGORY]


def clean_batch(items: Sequence[object], *, default_source: str) -> tuple[list[Row], list[dict[str, str]]]:
    """Every sample of a batch; the errors (one per bad sample) name ``samples[i].field``."""
    now = timezone.now()
    rows: list[Row] = []
    errors: list[dict[str, str]] = []
    for index, item in enumerate(items):
        try:
            rows.append(clean_sample(item, prefix=f"samples[{index}].", default_source=default_source, now=now))
        except FieldError as exc:
            errors.append({"field": exc.field, "code": exc.code, "message": exc.message})
    return rows, errors


def _dedupe(rows: Iterable[Row]) -> tuple[list[Row], int]:
    """One row per key (ON CONFLICT cannot touch a row twice in one statement): the highest
    version wins, the later one on a tie. Returns the rows and how many were dropped."""
    kept: dict[tuple[str, str], Row] = {}
    total = 0
    for row in rows:
        total += 1
        key = (row.source, row.external_id)
        previous = kept.get(key)
        if previous is None or row.version >= previous.version:
            kept[key] = row
    return list(kept.values()), total - len(kept)


_COLUMNS = (
    "tenant_id, user_id, metric, value, stage, start_time, end_time, source, source_name, device, "
    "external_id, version, created_at, updated_at"
)
_ON_CONFLICT = """
ON CONFLICT (tenant_id, user_id, source, external_id) DO UPDATE SET
    metric = excluded.metric, value = excluded.value, stage = excluded.stage,
    start_time = excluded.start_time, end_time = excluded.end_time,
    source_name = excluded.source_name, device = excluded.device,
    version = excluded.version, updated_at = excluded.updated_at
WHERE excluded.version > health_sample.version
"""
# Only constants are formatted into the SQL; every value is a parameter.
_PG_UPSERT = f"""
WITH written AS (
    INSERT INTO health_sample ({_COLUMNS})
    SELECT %s, %s, m, v, st, s, e, src, sn, d, x, ver, %s, %s
    FROM unnest(%b::varchar[], %b::float8[], %b::varchar[], %b::timestamptz[], %b::timestamptz[],
                %b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[], %b::int[])
         AS t(m, v, st, s, e, src, sn, d, x, ver)
    {_ON_CONFLICT}
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FROM written
"""  # noqa: S608
# SQLite: 14 parameters a row, under its 32,766 limit.
_SQLITE_CHUNK = 2_000


def upsert(*, tenant_id: int, user_id: int, rows: Sequence[Row], now: datetime | None = None) -> Counts:
    """Write ``rows`` for one user in the caller's transaction; count what each row did.

    A row whose key exists is replaced only when its version is higher (``updated``); otherwise
    it is left alone (``unchanged``, as is an in-batch duplicate).
    """
    if not rows:
        return Counts()
    now = now or timezone.now()
    unique, duplicates = _dedupe(rows)
    if connection.vendor == "postgresql":
        created, written = _upsert_postgresql(tenant_id, user_id, unique, now)
    else:
        created, written = _upsert_sqlite(tenant_id, user_id, unique, now)
    return Counts(created=created, updated=written - created, unchanged=len(unique) - written + duplicates)


def _upsert_postgresql(tenant_id: int, user_id: int, rows: Sequence[Row], now: datetime) -> tuple[int, int]:
    """Server-side binding with the arrays in binary (``%b``): Django's cursors bind on the client,
    which writes each array out as quoted text (half the time of a 10,000-row batch went to escaping)."""
    import psycopg

    columns = list(zip(*rows, strict=True))
    connection.ensure_connection()
    raw = connection.connection
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(_PG_UPSERT, [tenant_id, user_id, now, now, *map(list, columns)])
        created, written = cursor.fetchone()  # type: ignore[misc]
    return int(created), int(written)


def _upsert_sqlite(tenant_id: int, user_id: int, rows: Sequence[Row], now: datetime) -> tuple[int, int]:
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    created = written = 0
    with connection.cursor() as cursor:
        for begin in range(0, len(rows), _SQLITE_CHUNK):
            chunk = rows[begin : begin + _SQLITE_CHUNK]
            params: list[Any] = []
            for row in chunk:
                params += [tenant_id, user_id, row.metric, row.value, row.stage, adapt(row.start_time)]
                params += [adapt(row.end_time), row.source, row.source_name, row.device, row.external_id]
                params += [row.version, stamp, stamp]
            values = ", ".join(["(" + ", ".join(["%s"] * 14) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO health_sample ({_COLUMNS}) VALUES {values} {_ON_CONFLICT} RETURNING created_at = %s",  # noqa: S608
                [*params, stamp],
            )
            flags = cursor.fetchall()
            written += len(flags)
            created += sum(1 for (flag,) in flags if flag)
    return created, written
