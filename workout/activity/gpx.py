"""GPX 1.0/1.1: tracks become a session; routes and waypoints are plans and places, not recordings.

The XML is streamed (each point is dropped from the tree once read), so memory follows the number of points kept,
not the size of the markup.

Which points count, and why:
* A segment is cut to the span between its first and last timestamped point: points outside that span have no
  place in time, and a segment with no timestamp at all (a Garmin "saved track", a drawn line) drops out entirely,
  because its distance would be added to a duration it was never part of.
* When fewer than half the track points carry a timestamp, the file is refused rather than summarised from a
  sliver of it.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from .common import (
    MAX_ELEVATION_M,
    MIN_ELEVATION_M,
    ActivityFileError,
    ParsedActivity,
    Sample,
    child_text,
    detach,
    heart_rate_summary,
    local_name,
    normalise_sport,
    parse_heart_rate,
    parse_number,
    parse_time,
    path_distance_m,
    require_duration,
    segments_elevation_gain_m,
    time_span,
    track_points,
    xml_events,
)

LABEL = "GPX"
# Elements read whole at their end tag and then removed from the tree, to keep memory flat on long files.
_CONSUMED = frozenset({"trkpt", "rtept", "wpt"})
# Heart rate inside <extensions>: Garmin TrackPointExtension v1/v2 and Cluetrust gpxdata both call it "hr".
_HEART_RATE_NAMES = frozenset({"hr", "heartrate"})


def parse_gpx(data: bytes) -> ParsedActivity:
    """Summarise the tracks of a GPX file; ActivityFileError when it holds no usable recording."""
    segments: list[list[Sample]] = []
    current: list[Sample] | None = None
    sport = ""
    route_points = waypoints = 0
    stack: list[Element] = []

    for event, element in xml_events(data, LABEL):
        name = local_name(element.tag)
        if event == "start":
            stack.append(element)
            if name == "trkseg":
                if current is not None:
                    segments.append(current)
                current = []
            continue

        stack.pop()
        parent = stack[-1] if stack else None
        if name == "trkpt":
            if current is None:  # a point outside any <trkseg>: keep it, in a segment of its own
                current = []
            current.append(_read_point(element))
        elif name in {"trkseg", "trk"} and current is not None:
            segments.append(current)
            current = None
        elif name == "type" and parent is not None and local_name(parent.tag) == "trk" and not sport:
            sport = normalise_sport(element.text)
        elif name == "rtept":
            route_points += 1
        elif name == "wpt":
            waypoints += 1
        if name in _CONSUMED:
            detach(parent, element)

    return _summarise(segments, sport, route_points, waypoints)


def _read_point(element: Element) -> Sample:
    """One <trkpt>: position from its attributes, then ele, time and an extension heart rate."""
    lat = parse_number(element.get("lat"), "latitude", LABEL, -90, 90)
    lon = parse_number(element.get("lon"), "longitude", LABEL, -180, 180)
    if lat is None or lon is None:
        raise ActivityFileError("This GPX file has a track point without a latitude or longitude.")
    heart_rate = None
    for node in element.iter():
        if local_name(node.tag) in _HEART_RATE_NAMES and node is not element:
            heart_rate = parse_heart_rate(node.text, LABEL)
            break
    return Sample(
        time=parse_time(child_text(element, "time"), LABEL),
        lat=lat,
        lon=lon,
        elevation_m=parse_number(child_text(element, "ele"), "elevation", LABEL, MIN_ELEVATION_M, MAX_ELEVATION_M),
        heart_rate=heart_rate,
    )


def _summarise(segments: list[list[Sample]], sport: str, route_points: int, waypoints: int) -> ParsedActivity:
    """Apply the rules in the module docstring and compute the totals GPX never carries itself."""
    total = sum(len(segment) for segment in segments)
    if total == 0:
        if route_points:
            raise ActivityFileError("This GPX file holds a planned route, not a recorded activity.")
        if waypoints:
            raise ActivityFileError("This GPX file holds only waypoints, not a recorded track.")
        raise ActivityFileError("This GPX file has no track points.")

    timed = sum(1 for segment in segments for sample in segment if sample.time is not None)
    if timed == 0:
        raise ActivityFileError("This GPX file has no timestamps, so it cannot become a session.")
    if timed * 2 < total:
        raise ActivityFileError(
            f"This GPX file has timestamps on only {timed} of its {total} track points, so it cannot become a session."
        )

    kept = [trimmed for trimmed in (_trim_to_timed(segment) for segment in segments) if trimmed]
    samples = [sample for segment in kept for sample in segment]
    span = time_span(samples)
    if span is None:  # unreachable: every kept segment starts with a timed point
        raise ActivityFileError("This GPX file has no timestamps, so it cannot become a session.")
    started_at, ended_at = span
    avg_hr, max_hr = heart_rate_summary(samples)
    return ParsedActivity(
        format="gpx",
        sport=sport,
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=require_duration(LABEL, started_at, ended_at),
        distance_m=path_distance_m(kept),
        elevation_gain_m=segments_elevation_gain_m(kept),
        avg_heart_rate=avg_hr,
        max_heart_rate=max_hr,
        calories_kcal=None,
        points=track_points(kept),
    )


def _trim_to_timed(segment: list[Sample]) -> list[Sample]:
    """The segment from its first to its last timestamped point; empty when it has none."""
    timed = [index for index, sample in enumerate(segment) if sample.time is not None]
    if not timed:
        return []
    return segment[timed[0] : timed[-1] + 1]
