"""Garmin FIT (binary), decoded with fitdecode: activity files become a session, other file types are refused.

The whole file is decoded with the CRC checked before anything is summarised: a truncated or damaged file often
still yields a plausible session message (a file cut before its checksum does), and half a file is not a session.

Totals come from the session message(s) the device wrote; the record messages fill in what is missing, and carry
the track. Positions are semicircles (degrees = semicircles * 180 / 2**31). Unlike the XML formats, an implausible
binary value (a heart rate of 0, a latitude past the pole) is read as "no reading" rather than failing the file:
devices write such sentinels routinely.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import fitdecode

from .common import (
    MAX_ELEVATION_M,
    MAX_HEART_RATE,
    MAX_YEAR,
    MIN_ELEVATION_M,
    MIN_YEAR,
    ActivityFileError,
    ParsedActivity,
    Sample,
    as_utc,
    elevation_gain_m,
    heart_rate_summary,
    normalise_sport,
    path_distance_m,
    recorded_distance_m,
    require_duration,
    time_span,
    track_points,
)

LABEL = "FIT"
SEMICIRCLE_TO_DEGREES = 180 / 2**31
_CORRUPT = "The FIT file is truncated or corrupt"
# FIT stores elapsed time as milliseconds in a uint32 (about 50 days); anything longer is not a real session value.
_MAX_SESSION_SECONDS = 2**32 / 1000
_MAX_SESSION_METRES = 4_000_000_000.0
_MAX_SESSION_KCAL = 100_000.0
# Planned things get their own message; other file types are named in plain words.
_PLANNED = {
    "course": "This FIT file holds a planned course, not a recorded activity.",
    "workout": "This FIT file holds a planned workout, not a recorded activity.",
}
_FILE_TYPE_WORDS = {"monitoring_a": "monitoring", "monitoring_b": "monitoring", "monitoring_daily": "monitoring"}


@dataclass(slots=True)
class _Session:
    """The totals one session message states; None where the device left a field out or wrote "invalid"."""

    started_at: datetime | None
    written_at: datetime | None
    elapsed_seconds: float | None
    distance_m: float | None
    ascent_m: float | None
    avg_heart_rate: int | None
    max_heart_rate: int | None
    calories: int | None
    sport: str


@dataclass(slots=True)
class _Decoded:
    """Everything parse_fit needs from one pass over the file."""

    file_type: object = None
    sessions: list[_Session] = field(default_factory=list)
    records: list[Sample] = field(default_factory=list)
    sport: str = ""
    lap_sport: str = ""


def is_fit(data: bytes) -> bool:
    """A FIT header: size byte 12 or 14, then ".FIT" at bytes 8-11, whatever the file was called."""
    return len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT"


def parse_fit(data: bytes) -> ParsedActivity:
    """Summarise a FIT activity; ActivityFileError for damaged files and for files that are not activities."""
    decoded = _decode(data)
    if decoded.file_type is not None and decoded.file_type != "activity":
        if isinstance(decoded.file_type, str) and decoded.file_type in _PLANNED:
            raise ActivityFileError(_PLANNED[decoded.file_type])
        raise ActivityFileError(f"This FIT file is not an activity (file type: {_file_type_words(decoded.file_type)}).")
    return _summarise(decoded.sessions, decoded.records, decoded.sport or decoded.lap_sport)


def _decode(data: bytes) -> _Decoded:
    """One pass over every frame, CRC checked; any decoding failure ends as ActivityFileError."""
    decoded = _Decoded()
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            # Undefined developer fields and similar quirks are common in real files and harmless here.
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                if frame.name == "file_id":
                    file_type = frame.get_value("type", fallback=None)
                    if file_type is not None and file_type != "activity":
                        decoded.file_type = file_type
                        return decoded  # no need to decode a monitoring log to refuse it
                    decoded.file_type = decoded.file_type or file_type
                elif frame.name == "record":
                    decoded.records.append(_read_record(frame))
                elif frame.name == "session":
                    decoded.sessions.append(_read_session(frame))
                elif frame.name == "sport":
                    decoded.sport = decoded.sport or normalise_sport(frame.get_value("sport", fallback=None))
                elif frame.name == "lap":
                    decoded.lap_sport = decoded.lap_sport or normalise_sport(frame.get_value("sport", fallback=None))
    except fitdecode.FitCRCError as exc:
        raise ActivityFileError(f"{_CORRUPT}: its checksum does not match ({exc}).") from exc
    except fitdecode.FitEOFError as exc:
        raise ActivityFileError(f"{_CORRUPT}: it ends too early ({exc}).") from exc
    except fitdecode.FitHeaderError as exc:
        raise ActivityFileError(f"{_CORRUPT}: a damaged header, or bytes after its end ({exc}).") from exc
    except fitdecode.FitError as exc:
        raise ActivityFileError(f"{_CORRUPT}: {exc}.") from exc
    except Exception as exc:
        # fitdecode trusts the definitions a file makes; a hostile one can trip it in ways it never names.
        raise ActivityFileError(f"{_CORRUPT}: it could not be decoded ({type(exc).__name__}).") from exc
    return decoded


def _file_type_words(file_type: object) -> str:
    """'monitoring_b' -> 'monitoring', 'blood_pressure' -> 'blood pressure', 37 -> 'unknown (37)'."""
    if not isinstance(file_type, str):
        return f"unknown ({file_type})"
    return _FILE_TYPE_WORDS.get(file_type, file_type.replace("_", " "))


def _number(frame: Any, name: str, low: float, high: float) -> float | None:
    """A finite numeric field within [low, high], else None (absent, "invalid" sentinel, array, nonsense)."""
    value = frame.get_value(name, fallback=None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and low <= number <= high else None


def _time(frame: Any, name: str) -> datetime | None:
    """A date_time field as aware UTC; fitdecode leaves device-relative "system time" as int, which is unusable."""
    value = frame.get_value(name, fallback=None)
    if not isinstance(value, datetime):
        return None
    moment = as_utc(value)
    return moment if MIN_YEAR <= moment.year <= MAX_YEAR else None


def _heart_rate(frame: Any, name: str) -> int | None:
    """Beats per minute; 0 means no reading."""
    value = _number(frame, name, 1, MAX_HEART_RATE)
    return round(value) if value is not None else None


def _read_record(frame: Any) -> Sample:
    """One record message: time, position (semicircles), altitude, heart rate, the device's cumulative distance."""
    lat = _number(frame, "position_lat", -(2**31), 2**31)
    lon = _number(frame, "position_long", -(2**31), 2**31)
    lat_deg = lat * SEMICIRCLE_TO_DEGREES if lat is not None else None
    lon_deg = lon * SEMICIRCLE_TO_DEGREES if lon is not None else None
    if lat_deg is None or lon_deg is None or abs(lat_deg) > 90 or abs(lon_deg) > 180:
        lat_deg = lon_deg = None
    elevation = _number(frame, "enhanced_altitude", MIN_ELEVATION_M, MAX_ELEVATION_M)
    if elevation is None:
        elevation = _number(frame, "altitude", MIN_ELEVATION_M, MAX_ELEVATION_M)
    return Sample(
        time=_time(frame, "timestamp"),
        lat=lat_deg,
        lon=lon_deg,
        elevation_m=elevation,
        heart_rate=_heart_rate(frame, "heart_rate"),
        distance_m=_number(frame, "distance", 0, _MAX_SESSION_METRES),
    )


def _read_session(frame: Any) -> _Session:
    """One session message's totals."""
    calories = _number(frame, "total_calories", 0, _MAX_SESSION_KCAL)
    return _Session(
        started_at=_time(frame, "start_time"),
        written_at=_time(frame, "timestamp"),
        elapsed_seconds=_number(frame, "total_elapsed_time", 0, _MAX_SESSION_SECONDS),
        distance_m=_number(frame, "total_distance", 0, _MAX_SESSION_METRES),
        ascent_m=_number(frame, "total_ascent", 0, MAX_ELEVATION_M - MIN_ELEVATION_M),
        avg_heart_rate=_heart_rate(frame, "avg_heart_rate"),
        max_heart_rate=_heart_rate(frame, "max_heart_rate"),
        calories=round(calories) if calories is not None else None,
        sport=normalise_sport(frame.get_value("sport", fallback=None)),
    )


def _summarise(sessions: list[_Session], records: list[Sample], fallback_sport: str) -> ParsedActivity:
    """Session totals field by field, each falling back to the records when the sessions do not state it."""
    if not sessions and not records:
        raise ActivityFileError("This FIT activity holds no session and no records, so it cannot become a session.")
    span = time_span(records)

    starts = [session.started_at for session in sessions if session.started_at is not None]
    if not starts and span is not None:
        starts = [span[0]]
    if not starts:
        raise ActivityFileError("This FIT file has no timestamps, so it cannot become a session.")
    started_at = min(starts)

    ends: list[datetime] = []
    for session in sessions:
        if session.started_at is not None and session.elapsed_seconds is not None:
            ends.append(session.started_at + timedelta(seconds=session.elapsed_seconds))
        elif session.written_at is not None:
            ends.append(session.written_at)
    if not ends and span is not None:
        ends = [span[1]]
    ended_at = max([started_at, *ends])

    distances = [session.distance_m for session in sessions if session.distance_m is not None]
    if distances:
        distance_m: float | None = sum(distances)
    else:
        distance_m = recorded_distance_m(records)
        if distance_m is None:
            distance_m = path_distance_m([records])

    ascents = [session.ascent_m for session in sessions if session.ascent_m is not None]
    calories = [session.calories for session in sessions if session.calories is not None]
    avg_hr, max_hr = _session_heart_rate(sessions)
    record_avg_hr, record_max_hr = heart_rate_summary(records)
    return ParsedActivity(
        format="fit",
        sport=_sport(sessions, fallback_sport),
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=require_duration(LABEL, started_at, ended_at),
        distance_m=distance_m,
        elevation_gain_m=sum(ascents) if ascents else elevation_gain_m(record.elevation_m for record in records),
        avg_heart_rate=avg_hr if avg_hr is not None else record_avg_hr,
        max_heart_rate=max_hr if max_hr is not None else record_max_hr,
        calories_kcal=sum(calories) if calories else None,
        points=track_points([records]),
    )


def _session_heart_rate(sessions: list[_Session]) -> tuple[int | None, int | None]:
    """Session averages weighted by elapsed time, only when every session states one; the highest maximum."""
    maxima = [session.max_heart_rate for session in sessions if session.max_heart_rate is not None]
    peak = max(maxima) if maxima else None
    weighted = [
        (session.avg_heart_rate, session.elapsed_seconds)
        for session in sessions
        if session.avg_heart_rate is not None and session.elapsed_seconds
    ]
    if not sessions or len(weighted) != len(sessions):
        return None, peak
    total_seconds = sum(seconds for _rate, seconds in weighted)
    return round(sum(rate * seconds for rate, seconds in weighted) / total_seconds), peak


def _sport(sessions: list[_Session], fallback: str) -> str:
    """The sessions' sport; several different ones make a multisport activity (a triathlon, say)."""
    sports = {session.sport for session in sessions if session.sport and session.sport != "transition"}
    if len(sports) > 1:
        return "multisport"
    return sports.pop() if sports else fallback
