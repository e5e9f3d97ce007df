"""Garmin Training Center (TCX): Activities become a session; Courses and Workouts are plans and are refused.

Totals come from the Laps, which the device wrote (DistanceMeters, Calories, heart rate); the trackpoints fill in
what the Laps lack. Each <Track> is a segment: distance is not walked across the gap between two Tracks.

Duration is elapsed time, as for GPX and FIT: from the first Lap's StartTime to the later of the last Lap's end
(StartTime + TotalTimeSeconds) and the last trackpoint. TotalTimeSeconds alone is timer time, which leaves out
pauses; with no pause the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.etree.ElementTree import Element

from .common import (
    MAX_ELEVATION_M,
    MIN_ELEVATION_M,
    ActivityFileError,
    ParsedActivity,
    Sample,
    child,
    child_text,
    detach,
    heart_rate_summary,
    local_name,
    normalise_sport,
    parse_heart_rate,
    parse_number,
    parse_time,
    path_distance_m,
    recorded_distance_m,
    require_duration,
    segments_elevation_gain_m,
    time_span,
    track_points,
    xml_events,
)

LABEL = "TCX"
# A week of seconds, a trip round the Earth a hundred times, a day of eating: beyond these a lap total is corrupt.
_MAX_LAP_SECONDS = 7 * 24 * 3600.0
_MAX_LAP_METRES = 4_000_000_000.0
_MAX_LAP_KCAL = 100_000.0


@dataclass(slots=True)
class _Lap:
    """The totals a <Lap> states about itself."""

    started_at: datetime | None
    seconds: float | None
    distance_m: float | None
    calories: int | None
    avg_heart_rate: int | None
    max_heart_rate: int | None


def parse_tcx(data: bytes) -> ParsedActivity:
    """Summarise the Activities of a TCX file; ActivityFileError when it holds no recorded activity."""
    laps: list[_Lap] = []
    segments: list[list[Sample]] = []
    current: list[Sample] | None = None
    sport = ""
    activities = courses = workouts = 0
    activity_depth = 0
    stack: list[Element] = []

    for event, element in xml_events(data, LABEL):
        name = local_name(element.tag)
        if event == "start":
            stack.append(element)
            if name == "Activity":
                activity_depth += 1
                activities += 1
                sport = sport or normalise_sport(element.get("Sport"))
            elif name == "Track" and activity_depth:
                current = []
            continue

        stack.pop()
        parent = stack[-1] if stack else None
        if name == "Trackpoint":
            if current is not None:
                current.append(_read_trackpoint(element))
            detach(parent, element)
        elif name == "Track" and current is not None:
            segments.append(current)
            current = None
        elif name == "Lap" and activity_depth:
            laps.append(_read_lap(element))
        elif name == "Activity":
            activity_depth -= 1
        elif name == "Course":
            courses += 1
        elif name == "Workout":
            workouts += 1

    if not activities:
        if courses:
            raise ActivityFileError("This TCX file holds a course (a planned route), not a recorded activity.")
        if workouts:
            raise ActivityFileError("This TCX file holds a planned workout, not a recorded activity.")
        raise ActivityFileError("This TCX file holds no activity.")
    return _summarise(laps, segments, sport)


def _read_trackpoint(element: Element) -> Sample:
    """One <Trackpoint>; Position is optional in TCX (indoor, GPS dropout), Time is not."""
    lat = parse_number(child_text(element, "Position", "LatitudeDegrees"), "latitude", LABEL, -90, 90)
    lon = parse_number(child_text(element, "Position", "LongitudeDegrees"), "longitude", LABEL, -180, 180)
    if (lat is None) != (lon is None):
        raise ActivityFileError("This TCX file has a track point with only half a position.")
    return Sample(
        time=parse_time(child_text(element, "Time"), LABEL),
        lat=lat,
        lon=lon,
        elevation_m=parse_number(
            child_text(element, "AltitudeMeters"), "elevation", LABEL, MIN_ELEVATION_M, MAX_ELEVATION_M
        ),
        heart_rate=parse_heart_rate(child_text(element, "HeartRateBpm", "Value"), LABEL),
        distance_m=parse_number(child_text(element, "DistanceMeters"), "distance", LABEL, 0, _MAX_LAP_METRES),
    )


def _read_lap(element: Element) -> _Lap:
    """A <Lap>'s own totals, read from its direct children (trackpoints have a DistanceMeters of their own)."""
    calories = parse_number(child_text(element, "Calories"), "calorie count", LABEL, 0, _MAX_LAP_KCAL)
    avg = child(element, "AverageHeartRateBpm")
    peak = child(element, "MaximumHeartRateBpm")
    return _Lap(
        started_at=parse_time(element.get("StartTime"), LABEL),
        seconds=parse_number(child_text(element, "TotalTimeSeconds"), "lap time", LABEL, 0, _MAX_LAP_SECONDS),
        distance_m=parse_number(child_text(element, "DistanceMeters"), "lap distance", LABEL, 0, _MAX_LAP_METRES),
        calories=round(calories) if calories is not None else None,
        avg_heart_rate=parse_heart_rate(child_text(avg, "Value"), LABEL) if avg is not None else None,
        max_heart_rate=parse_heart_rate(child_text(peak, "Value"), LABEL) if peak is not None else None,
    )


def _summarise(laps: list[_Lap], segments: list[list[Sample]], sport: str) -> ParsedActivity:
    """Lap totals first, trackpoints for whatever the laps leave out."""
    samples = [sample for segment in segments for sample in segment]
    if not laps and not samples:
        raise ActivityFileError("This TCX file's activity is empty: it has no laps and no track points.")

    span = time_span(samples)
    starts = [lap.started_at for lap in laps if lap.started_at is not None]
    ends = [lap.started_at + timedelta(seconds=lap.seconds) for lap in laps if lap.started_at and lap.seconds]
    if span is not None:
        starts.append(span[0])
        ends.append(span[1])
    if not starts:
        raise ActivityFileError("This TCX file has no timestamps, so it cannot become a session.")
    started_at = min(starts)
    ended_at = max([started_at, *ends])

    lap_distances = [lap.distance_m for lap in laps if lap.distance_m is not None]
    if lap_distances:
        distance_m: float | None = sum(lap_distances)
    else:
        distance_m = recorded_distance_m(samples)
        if distance_m is None:
            distance_m = path_distance_m(segments)

    lap_calories = [lap.calories for lap in laps if lap.calories is not None]
    avg_hr, max_hr = _lap_heart_rate(laps)
    point_avg_hr, point_max_hr = heart_rate_summary(samples)
    return ParsedActivity(
        format="tcx",
        sport=sport,
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=require_duration(LABEL, started_at, ended_at),
        distance_m=distance_m,
        elevation_gain_m=segments_elevation_gain_m(segments),
        avg_heart_rate=avg_hr if avg_hr is not None else point_avg_hr,
        max_heart_rate=max_hr if max_hr is not None else point_max_hr,
        calories_kcal=sum(lap_calories) if lap_calories else None,
        points=track_points(segments),
    )


def _lap_heart_rate(laps: list[_Lap]) -> tuple[int | None, int | None]:
    """Lap averages weighted by lap time (a long easy lap outweighs a short sprint); only if every lap has one."""
    maxima = [lap.max_heart_rate for lap in laps if lap.max_heart_rate is not None]
    peak = max(maxima) if maxima else None
    weighted = [(lap.avg_heart_rate, lap.seconds) for lap in laps if lap.avg_heart_rate is not None and lap.seconds]
    if not laps or len(weighted) != len(laps):
        return None, peak
    total_seconds = sum(seconds for _rate, seconds in weighted)
    return round(sum(rate * seconds for rate, seconds in weighted) / total_seconds), peak
