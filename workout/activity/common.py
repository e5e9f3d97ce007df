"""What the GPX, TCX and FIT readers share: the result types, the one error type, the maths and the safe XML reader.

Pure on purpose: no Django, no database, no files; every limit arrives as an argument. That keeps the parsers
usable from a view, a Celery task or a management command alike, and testable without a database.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from fitdecode.profile import FIELD_TYPES

# Mean Earth radius (IUGG); the spherical model errs by under 0.5 % against the ellipsoid, well inside GPS noise.
EARTH_RADIUS_M = 6_371_008.8
# Elevation wiggles smaller than this are not counted as climbing: GPX files from phones and many devices quantise
# or jitter altitude by about half a metre, which would otherwise add up to tens of metres of phantom climbing.
ELEVATION_NOISE_M = 1.0
# How many track points a ParsedActivity keeps at most; longer tracks are thinned evenly (summaries use every point).
MAX_POINTS = 50_000
# Plausibility bounds: values outside them are corrupt data, not a real recording.
MIN_ELEVATION_M, MAX_ELEVATION_M = -12_000.0, 100_000.0
MAX_HEART_RATE = 255
# Timestamps outside these years are a reset clock or a hostile file; refusing them keeps date arithmetic safe.
MIN_YEAR, MAX_YEAR = 1970, 2200

NOT_AN_ACTIVITY_FILE = "Not a GPX, TCX or FIT file."
XML_DECLARATIONS_REFUSED = "XML files that declare a DOCTYPE or entities are not accepted."

# The FIT profile's sport names are the shared vocabulary; "generic" and "all" mean "unknown" here.
KNOWN_SPORTS = frozenset(str(name) for name in FIELD_TYPES["sport"].enum.values()) - {"generic", "all"}
# Words GPX and TCX writers use for the same sports (TCX says "Biking", Strava-style GPX says "ride", ...).
SPORT_ALIASES = {
    "run": "running",
    "trail_running": "running",
    "biking": "cycling",
    "bike": "cycling",
    "ride": "cycling",
    "cycle": "cycling",
    "road_biking": "cycling",
    "road_cycling": "cycling",
    "mountain_biking": "cycling",
    "walk": "walking",
    "hike": "hiking",
    "swim": "swimming",
    "row": "rowing",
}


class ActivityFileError(Exception):
    """The file cannot become a session; str(exc) is written for the person who uploaded it."""


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One recorded position; time, elevation and heart rate are optional because devices omit them."""

    time: datetime | None
    lat: float
    lon: float
    elevation_m: float | None
    heart_rate: int | None


@dataclass(frozen=True, slots=True)
class ParsedActivity:
    """A recorded activity, summarised; the file's own totals win over numbers computed from its points."""

    format: str
    sport: str
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    distance_m: float | None
    elevation_gain_m: float | None
    avg_heart_rate: int | None
    max_heart_rate: int | None
    calories_kcal: int | None
    points: list[TrackPoint] = field(default_factory=list)


@dataclass(slots=True)
class Sample:
    """One recorded moment before summarising: unlike TrackPoint it may lack a position (indoor, GPS dropout)."""

    time: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    elevation_m: float | None = None
    heart_rate: int | None = None
    # The device's own cumulative distance (TCX DistanceMeters, FIT record.distance), when it wrote one.
    distance_m: float | None = None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres; haversine stays accurate for the metre-scale steps of a track."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def path_distance_m(segments: Iterable[Sequence[Sample]]) -> float | None:
    """Sum of steps between consecutive positioned samples of each segment; a gap between segments is not walked."""
    total = 0.0
    positioned = False
    for segment in segments:
        previous: tuple[float, float] | None = None
        for sample in segment:
            if sample.lat is None or sample.lon is None:
                continue
            positioned = True
            if previous is not None:
                total += haversine_m(previous[0], previous[1], sample.lat, sample.lon)
            previous = (sample.lat, sample.lon)
    return total if positioned else None


def recorded_distance_m(samples: Iterable[Sample]) -> float | None:
    """The device's cumulative distance: its largest value, so a trailing reset or dropout cannot shrink it."""
    values = [sample.distance_m for sample in samples if sample.distance_m is not None]
    return max(values) if values else None


def elevation_gain_m(elevations: Iterable[float | None], noise_m: float = ELEVATION_NOISE_M) -> float | None:
    """Total climbing along one continuous sequence of elevations (None = no reading); None if none was measured.

    A rise counts once it is noise_m above the lowest point since the last counted rise, and then counts in full
    from that low point: jitter smaller than noise_m adds nothing, a real climb loses nothing.
    """
    gain = 0.0
    reference: float | None = None
    for elevation in elevations:
        if elevation is None:
            continue
        if reference is None or elevation < reference:
            reference = elevation
        elif elevation > reference and elevation - reference >= noise_m:
            gain += elevation - reference
            reference = elevation
    return gain if reference is not None else None


def segments_elevation_gain_m(segments: Iterable[Sequence[Sample]]) -> float | None:
    """Climbing summed per segment: the jump across a gap between segments is not a climb."""
    gains = [elevation_gain_m(sample.elevation_m for sample in segment) for segment in segments]
    measured = [gain for gain in gains if gain is not None]
    return sum(measured) if measured else None


def heart_rate_summary(samples: Iterable[Sample]) -> tuple[int | None, int | None]:
    """Mean and maximum of the heart-rate samples (a plain mean: devices sample at a near-steady rate)."""
    rates = [sample.heart_rate for sample in samples if sample.heart_rate is not None]
    if not rates:
        return None, None
    return round(sum(rates) / len(rates)), max(rates)


def time_span(samples: Iterable[Sample]) -> tuple[datetime, datetime] | None:
    """Earliest and latest timestamp; min/max rather than first/last so an out-of-order point cannot go negative."""
    times = [sample.time for sample in samples if sample.time is not None]
    if not times:
        return None
    return min(times), max(times)


def track_points(segments: Iterable[Sequence[Sample]]) -> list[TrackPoint]:
    """The positioned samples, in order, as the public TrackPoint type."""
    return [
        TrackPoint(
            time=sample.time,
            lat=sample.lat,
            lon=sample.lon,
            elevation_m=sample.elevation_m,
            heart_rate=sample.heart_rate,
        )
        for segment in segments
        for sample in segment
        if sample.lat is not None and sample.lon is not None
    ]


def downsample(points: list[TrackPoint], limit: int) -> list[TrackPoint]:
    """Keep `limit` evenly spaced points, always the first and the last, so the drawn route keeps its shape."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(index * step)] for index in range(limit)]


def require_duration(label: str, started_at: datetime, ended_at: datetime) -> float:
    """Elapsed seconds, refusing a zero span: a single moment has no pace, no duration, nothing to log."""
    seconds = (ended_at - started_at).total_seconds()
    if seconds <= 0:
        raise ActivityFileError(
            f"This {label} file covers no time (a single timestamp), so it cannot become a session."
        )
    return seconds


def normalise_sport(raw: object) -> str:
    """A FIT-profile sport name ("running", "cycling", ...) or "" when the file's word is unknown or generic."""
    if not isinstance(raw, str):
        return ""
    word = "_".join(raw.strip().lower().replace("-", " ").split())
    word = SPORT_ALIASES.get(word, word)
    return word if word in KNOWN_SPORTS else ""


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken as UTC, which is what GPX and TCX prescribe for their timestamps."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _snippet(text: str) -> str:
    """A short quote of a bad value, so an error message never echoes a megabyte of hostile input."""
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:40] + "…")


def parse_time(text: str | None, label: str) -> datetime | None:
    """An ISO 8601 timestamp as aware UTC; None when absent or empty, ActivityFileError when unreadable."""
    if text is None or not text.strip():
        return None
    try:
        moment = as_utc(datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError) as exc:
        raise ActivityFileError(f"This {label} file has an unreadable timestamp: {_snippet(text)}.") from exc
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ActivityFileError(f"This {label} file has an impossible timestamp: {_snippet(text)}.")
    return moment


def parse_number(text: str | None, what: str, label: str, low: float, high: float) -> float | None:
    """A finite number within [low, high]; None when absent or empty, ActivityFileError when unreadable."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError as exc:
        raise ActivityFileError(f"This {label} file has an unreadable {what}: {_snippet(text)}.") from exc
    if not math.isfinite(value) or not low <= value <= high:
        raise ActivityFileError(f"This {label} file has an impossible {what}: {_snippet(text)}.")
    return value


def parse_heart_rate(text: str | None, label: str) -> int | None:
    """Beats per minute; 0 is how devices write "no reading", so it becomes None rather than dragging the mean."""
    value = parse_number(text, "heart rate", label, 0, MAX_HEART_RATE)
    if value is None or value == 0:
        return None
    return round(value)


def local_name(tag: object) -> str:
    """'{namespace}gpx' -> 'gpx'. Files disagree on namespaces (GPX 1.0 vs 1.1, none at all), never on local names."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def child(element: Element, name: str) -> Element | None:
    """The first direct child with this local name."""
    for node in element:
        if local_name(node.tag) == name:
            return node
    return None


def child_text(element: Element, *path: str) -> str | None:
    """Text of the element reached by following direct children by local name, or None."""
    node: Element | None = element
    for name in path:
        if node is None:
            return None
        node = child(node, name)
    return node.text if node is not None else None


def detach(parent: Element | None, element: Element) -> None:
    """Remove a fully read element from the tree so memory does not grow with the file.

    iterparse reports events a whole chunk late, so the element is not necessarily its parent's last child; it is
    nearly always the first, though, since every earlier sibling of its kind was detached already.
    """
    if parent is not None:
        with contextlib.suppress(ValueError):
            parent.remove(element)


def _iterparse(data: bytes) -> Generator[tuple[str, Element], None, None]:
    """Start and end events from defusedxml, which refuses any DOCTYPE: no entity expansion bombs, no XXE."""
    yield from SafeElementTree.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True)


def xml_events(data: bytes, label: str) -> Iterator[tuple[str, Element]]:
    """Stream the document, turning every parser failure into an ActivityFileError that names the format."""
    try:
        yield from _iterparse(data)
    except DefusedXmlException as exc:
        raise ActivityFileError(XML_DECLARATIONS_REFUSED) from exc
    except (ParseError, LookupError, ValueError) as exc:  # Lookup/Value: an encoding Python lacks or expat refuses
        raise ActivityFileError(f"This {label} file is not well-formed XML ({exc}).") from exc


def xml_root_name(data: bytes) -> str | None:
    """Local name of the root element, reading no further than its start tag; None when the bytes are not XML."""
    events = _iterparse(data)
    try:
        for _event, element in events:
            return local_name(element.tag)
    except DefusedXmlException as exc:
        raise ActivityFileError(XML_DECLARATIONS_REFUSED) from exc
    except (ParseError, LookupError, ValueError):
        return None
    finally:
        events.close()
    return None
