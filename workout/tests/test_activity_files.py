"""Activity files: every shipped sample against an independent computation, and every hostile shape failing cleanly.

"Independent" means the expected numbers never come from workout.activity: FIT from the record CSVs or fitdecode
read here, GPX from gpxpy's own parser and distance, TCX from an ElementTree walk and gpxpy's distance.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import struct
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import fitdecode
import gpxpy
import gpxpy.geo
import pytest
from defusedxml import ElementTree as SafeElementTree
from PIL import Image

from workout.activity import ActivityFileError, ParsedActivity, elevation_gain_m, haversine_m, parse_activity

DATA = Path(__file__).parent / "data" / "activity"
NOT_ACTIVITY = "Not a GPX, TCX or FIT file."
REFUSED_XML = "declare a DOCTYPE or entities"
PDT = timezone(timedelta(hours=-7))
TCX_NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"

# Files that become a session: (format, sport).
SESSIONS = {
    "Activity.fit": ("fit", "running"),
    "activity-small-fenix2-run.fit": ("fit", "running"),
    "garmin-edge-500-activity.fit": ("fit", "cycling"),
    "garmin-fenix-5-bike.fit": ("fit", "cycling"),
    "garmin-fenix-5-run.fit": ("fit", "running"),
    "garmin-fenix-5-walk.fit": ("fit", "walking"),
    "korita-zbevnica.gpx": ("gpx", ""),
    "track-with-empty-segment.gpx": ("gpx", ""),
    "test.tcx": ("tcx", "running"),
}
# Files that must be refused, with the words the uploader will read.
FAILURES = {
    "MonitoringFile.fit": "This FIT file is not an activity (file type: monitoring).",
    "WeightScaleSingleUser.fit": "This FIT file is not an activity (file type: weight).",
    "activity-unexpected-eof.fit": "The FIT file is truncated or corrupt: it ends too early",
    "cerknicko-without-times.gpx": "timestamps on only 5 of its 296 track points, so it cannot become a session.",
    "gpx1.1_with_all_fields.gpx": "This GPX file covers no time (a single timestamp)",
    "gpx_with_garmin_extension.gpx": "This GPX file holds only waypoints, not a recorded track.",
    "route.gpx": "This GPX file holds a planned route, not a recorded activity.",
}


def outcome(data: bytes, **limits: int) -> ParsedActivity | ActivityFileError:
    """The parse result or its ActivityFileError; any other exception escapes and fails the test."""
    try:
        return parse_activity(data, **limits)
    except ActivityFileError as exc:
        return exc


@functools.cache
def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


@functools.cache
def parsed(name: str) -> ParsedActivity:
    return parse_activity(sample(name))


def assert_close(ours: float | None, theirs: float, *, resolution: float = 0.0) -> None:
    """Within 1 %, or within the reference's own resolution when that is coarser (whole-second timestamps)."""
    assert ours is not None
    assert abs(ours - theirs) <= max(0.01 * abs(theirs), resolution), (ours, theirs)


# --- independent references: (distance in metres, duration in seconds, first timestamp) -------------------------


def reference_from_csv(path: Path) -> tuple[float, float, datetime]:
    """The records CSV shipped with the FIT file: last cumulative distance, last minus first timestamp."""
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    times = [datetime.strptime(row["timestamp"], "%a %b %d %H:%M:%S PDT %Y").replace(tzinfo=PDT) for row in rows]
    return float(rows[-1]["distance"]), (times[-1] - times[0]).total_seconds(), times[0]


def reference_from_fitdecode(path: Path) -> tuple[float, float, datetime]:
    """The record messages, decoded here with fitdecode directly."""
    times: list[datetime] = []
    distances: list[float] = []
    with fitdecode.FitReader(str(path)) as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record":
                times.append(frame.get_value("timestamp"))
                distance = frame.get_value("distance", fallback=None)
                if distance is not None:
                    distances.append(distance)
    return distances[-1], (times[-1] - times[0]).total_seconds(), times[0]


def reference_from_gpxpy(path: Path) -> tuple[float, float, datetime]:
    """gpxpy's parser and length_2d over the segments that were recorded with time (all their points timed)."""
    with path.open() as stream:
        gpx = gpxpy.parse(stream)
    timed = [
        segment
        for track in gpx.tracks
        for segment in track.segments
        if segment.points and all(point.time is not None for point in segment.points)
    ]
    bounds = [segment.get_time_bounds() for segment in timed]
    starts = [bound.start_time for bound in bounds if bound.start_time is not None]
    ends = [bound.end_time for bound in bounds if bound.end_time is not None]
    return sum(segment.length_2d() for segment in timed), (max(ends) - min(starts)).total_seconds(), min(starts)


def reference_from_tcx(path: Path) -> tuple[float, float, datetime]:
    """An ElementTree walk over every Trackpoint, distance by gpxpy.geo, duration first to last Time."""
    root = SafeElementTree.parse(str(path)).getroot()
    locations = []
    times = []
    for point in root.iter(f"{TCX_NS}Trackpoint"):
        times.append(datetime.fromisoformat(point.findtext(f"{TCX_NS}Time", "")))
        lat = point.findtext(f"{TCX_NS}Position/{TCX_NS}LatitudeDegrees")
        lon = point.findtext(f"{TCX_NS}Position/{TCX_NS}LongitudeDegrees")
        if lat is not None and lon is not None:
            locations.append(gpxpy.geo.Location(float(lat), float(lon)))
    return gpxpy.geo.length_2d(locations), (times[-1] - times[0]).total_seconds(), times[0]


def reference(name: str) -> tuple[float, float, datetime]:
    path = DATA / name
    if name.endswith(".fit"):
        records_csv = DATA / name.replace(".fit", "-records.csv")
        return reference_from_csv(records_csv) if records_csv.exists() else reference_from_fitdecode(path)
    if name.endswith(".gpx"):
        return reference_from_gpxpy(path)
    return reference_from_tcx(path)


# --- every shipped file -------------------------------------------------------------------------------------------


def test_every_sample_file_has_an_expected_outcome() -> None:
    samples = {path.name for path in DATA.iterdir() if path.suffix in {".gpx", ".tcx", ".fit"}}
    assert samples == set(SESSIONS) | set(FAILURES)
    assert not set(SESSIONS) & set(FAILURES)


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_session_matches_an_independent_computation(name: str) -> None:
    activity = parsed(name)
    distance, duration, first_time = reference(name)
    assert (activity.format, activity.sport) == SESSIONS[name]
    assert_close(activity.distance_m, distance)
    assert_close(activity.duration_seconds, duration, resolution=1.0)
    assert abs((activity.started_at - first_time).total_seconds()) <= 1.0
    assert activity.started_at.tzinfo is UTC and activity.ended_at.tzinfo is UTC
    assert activity.ended_at - activity.started_at == timedelta(seconds=activity.duration_seconds)
    assert activity.points and all(-90 <= point.lat <= 90 and -180 <= point.lon <= 180 for point in activity.points)


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_refused_files_say_why(name: str) -> None:
    result = outcome(sample(name))
    assert isinstance(result, ActivityFileError)
    assert FAILURES[name] in str(result)


@pytest.mark.parametrize("name", sorted(name for name in SESSIONS if name.endswith(".fit")))
def test_fit_durations_match_the_laps_within_one_percent(name: str) -> None:
    """A second reference with the session's own precision: the device writes each lap's elapsed
    time in separate messages, to the millisecond (records are whole seconds, see above)."""
    laps = [
        frame.get_value("total_elapsed_time")
        for frame in fitdecode.FitReader(io.BytesIO(sample(name)))
        if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "lap"
    ]
    assert laps
    assert_close(parsed(name).duration_seconds, sum(laps))


def test_fit_totals_come_from_the_session_message() -> None:
    run = parsed("garmin-fenix-5-run.fit")
    assert run.duration_seconds == pytest.approx(56.887)  # session total_elapsed_time, not the 57 s of records
    assert (run.avg_heart_rate, run.max_heart_rate, run.calories_kcal, run.elevation_gain_m) == (90, 112, 5, 2)
    assert run.started_at == datetime(2017, 6, 11, 14, 34, 9, tzinfo=UTC)

    with (DATA / "garmin-fenix-5-run-records.csv").open(newline="") as stream:
        rows = [row for row in csv.DictReader(stream) if row["position_lat"] and row["position_long"]]
    assert len(run.points) == len(rows)
    first = rows[0]
    assert run.points[0].lat == pytest.approx(int(first["position_lat"]) * 180 / 2**31)
    assert run.points[0].lon == pytest.approx(int(first["position_long"]) * 180 / 2**31)
    assert run.points[0].heart_rate == int(first["heart_rate"])
    assert run.points[0].elevation_m == pytest.approx(float(first["altitude"]))

    edge = parsed("garmin-edge-500-activity.fit")
    assert (edge.avg_heart_rate, edge.max_heart_rate, edge.calories_kcal) == (162, 189, 1954)
    assert edge.elevation_gain_m == 541


def test_tcx_totals_come_from_the_laps() -> None:
    activity = parsed("test.tcx")
    root = SafeElementTree.parse(str(DATA / "test.tcx")).getroot()
    laps = list(root.iter(f"{TCX_NS}Lap"))
    assert activity.distance_m == pytest.approx(sum(float(lap.findtext(f"{TCX_NS}DistanceMeters", "")) for lap in laps))
    assert activity.calories_kcal == sum(int(lap.findtext(f"{TCX_NS}Calories", "")) for lap in laps)
    seconds = [float(lap.findtext(f"{TCX_NS}TotalTimeSeconds", "")) for lap in laps]
    averages = [int(lap.findtext(f"{TCX_NS}AverageHeartRateBpm/{TCX_NS}Value", "")) for lap in laps]
    maxima = [int(lap.findtext(f"{TCX_NS}MaximumHeartRateBpm/{TCX_NS}Value", "")) for lap in laps]
    assert activity.avg_heart_rate == round(sum(a * s for a, s in zip(averages, seconds, strict=True)) / sum(seconds))
    assert activity.max_heart_rate == max(maxima)
    assert_close(activity.duration_seconds, sum(seconds))
    assert len(activity.points) == 383  # 384 trackpoints, the last one has no position


def test_gpx_keeps_only_the_timed_tracks() -> None:
    """korita-zbevnica holds an untimed saved track elsewhere (8.6 km) beside the two timed active logs."""
    activity = parsed("korita-zbevnica.gpx")
    with (DATA / "korita-zbevnica.gpx").open() as stream:
        gpx = gpxpy.parse(stream)
    assert gpx.length_2d() > 2 * (activity.distance_m or 0)  # the whole file, saved track included
    assert len(activity.points) == 176 + 337
    assert all(point.time is not None for point in activity.points)
    assert activity.elevation_gain_m is not None and activity.elevation_gain_m > 0


# --- synthetic shapes ---------------------------------------------------------------------------------------------

GARMIN_HR_GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
  <trk><type>Running</type><trkseg>
    <trkpt lat="37.778259" lon="-122.391386"><ele>3.4</ele><time>2016-06-17T23:41:03Z</time>
      <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>171</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>
    </trkpt>
    <trkpt lat="37.779259" lon="-122.391386"><ele>5.4</ele><time>2016-06-17T23:41:33+00:00</time>
      <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>175</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>
    </trkpt>
  </trkseg></trk>
</gpx>"""


def test_gpx_heart_rate_from_garmin_extension() -> None:
    activity = parse_activity(GARMIN_HR_GPX)
    assert (activity.avg_heart_rate, activity.max_heart_rate) == (173, 175)
    assert activity.sport == "running" and activity.duration_seconds == 30
    assert activity.distance_m == pytest.approx(haversine_m(37.778259, -122.391386, 37.779259, -122.391386))
    assert activity.elevation_gain_m == pytest.approx(2.0)


def test_distance_is_not_walked_across_segment_gaps() -> None:
    two_segments = GARMIN_HR_GPX.replace(b"</trkpt>\n    <trkpt", b"</trkpt></trkseg><trkseg><trkpt")
    activity = parse_activity(two_segments)
    assert activity.distance_m == 0 and activity.duration_seconds == 30 and len(activity.points) == 2


def test_tcx_course_and_empty_database_are_refused() -> None:
    course = b"""<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
      <Courses><Course><Name>Loop</Name><Track><Trackpoint><Time>2020-01-01T00:00:00Z</Time></Trackpoint></Track>
      </Course></Courses></TrainingCenterDatabase>"""
    assert "holds a course (a planned route)" in str(outcome(course))
    assert "holds no activity" in str(outcome(b"<TrainingCenterDatabase/>"))


def test_fit_without_session_is_summarised_from_its_records() -> None:
    """Rebuild the Fenix 5 run without its session message (new sizes, new CRCs) and parse what is left."""
    frames: list[bytes] = []
    with fitdecode.FitReader(str(DATA / "garmin-fenix-5-run.fit"), keep_raw_chunks=True) as reader:
        for frame in reader:
            is_session = frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "session"
            if frame.frame_type in {fitdecode.FIT_FRAME_DEFINITION, fitdecode.FIT_FRAME_DATA} and not is_session:
                frames.append(frame.chunk.bytes)
    body = b"".join(frames)
    header = bytearray(sample("garmin-fenix-5-run.fit")[:14])
    header[4:8] = struct.pack("<I", len(body))
    header[12:14] = struct.pack("<H", fitdecode.utils.compute_crc(header[:12]))
    rebuilt = bytes(header) + body
    rebuilt += struct.pack("<H", fitdecode.utils.compute_crc(rebuilt))

    activity = parse_activity(rebuilt)
    distance, duration, first_time = reference_from_csv(DATA / "garmin-fenix-5-run-records.csv")
    assert activity.distance_m == pytest.approx(distance)  # the records' own cumulative distance
    assert activity.duration_seconds == duration and activity.started_at == first_time
    assert activity.sport == "running"  # from the sport message
    assert activity.max_heart_rate == 112 and activity.calories_kcal is None


# --- limits and hostile input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["garmin-fenix-5-walk.fit", "track-with-empty-segment.gpx", "test.tcx"])
def test_gzipped_input_gives_the_same_result(name: str) -> None:
    assert parse_activity(gzip.compress(sample(name))) == parsed(name)


def test_gzip_bomb_stops_at_the_limit_fast_and_small() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(megabyte) for _ in range(60)) + compressor.flush()
    assert len(bomb) < 100 * 1024

    tracemalloc.start()
    started = time.monotonic()
    try:
        result = outcome(bomb, max_bytes=10 * 1024 * 1024)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, ActivityFileError)
    assert str(result) == "The file is larger than the 10 MB limit once decompressed."
    assert time.monotonic() - started < 5
    assert peak < 30 * 1024 * 1024  # the 60 MB were never held


def test_oversized_file_is_refused_before_parsing() -> None:
    assert str(outcome(sample("test.tcx"), max_bytes=1024)) == "The file is larger than the 1 KB limit."


def test_corrupt_gzip_fails_clearly() -> None:
    packed = gzip.compress(sample("garmin-fenix-5-run.fit"))
    bad_crc = packed[:-8] + bytes(4) + packed[-4:]
    for broken in (packed[: len(packed) // 2], bad_crc, b"\x1f\x8b", b"\x1f\x8bnot gzip at all"):
        result = outcome(broken)
        assert isinstance(result, ActivityFileError) and str(result) == "The gzip file is corrupt or truncated."


def test_non_activity_bytes_are_not_an_activity_file() -> None:
    png = io.BytesIO()
    Image.new("RGB", (2, 2)).save(png, format="PNG")
    for data in (png.getvalue(), b"", b"   ", b"hello", b"<kml><Document/></kml>", b"\x00" * 64, b"{}"):
        result = outcome(data)
        assert isinstance(result, ActivityFileError) and str(result) == NOT_ACTIVITY


@pytest.mark.parametrize(
    "document",
    [
        # Billion laughs.
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><gpx><trk><name>&c;</name></trk></gpx>',
        # XXE.
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx><name>&x;</name></gpx>',
        # Any DOCTYPE at all, even harmless, and in a TCX.
        b'<!DOCTYPE TrainingCenterDatabase SYSTEM "http://example.invalid/tcx.dtd"><TrainingCenterDatabase/>',
    ],
)
def test_xml_with_doctype_or_entities_is_refused(document: bytes) -> None:
    result = outcome(document)
    assert isinstance(result, ActivityFileError) and REFUSED_XML in str(result)


def test_malformed_xml_names_its_format() -> None:
    gpx, tcx = sample("korita-zbevnica.gpx"), sample("test.tcx")
    assert "This GPX file is not well-formed XML" in str(outcome(gpx[: len(gpx) // 2]))
    assert "This TCX file is not well-formed XML" in str(outcome(tcx[: len(tcx) // 2]))


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ('<trkpt lat="91" lon="0"><time>2020-01-01T00:00:00Z</time></trkpt>', "impossible latitude"),
        ('<trkpt lat="nan" lon="0"><time>2020-01-01T00:00:00Z</time></trkpt>', "impossible latitude"),
        ('<trkpt lat="x" lon="0"><time>2020-01-01T00:00:00Z</time></trkpt>', "unreadable latitude"),
        ('<trkpt lon="0"><time>2020-01-01T00:00:00Z</time></trkpt>', "without a latitude or longitude"),
        ('<trkpt lat="1" lon="0"><time>yesterday</time></trkpt>', "unreadable timestamp"),
        ('<trkpt lat="1" lon="0"><time>9999-12-31T23:59:59Z</time></trkpt>', "impossible timestamp"),
        ('<trkpt lat="1" lon="0"><ele>1e999</ele><time>2020-01-01T00:00:00Z</time></trkpt>', "impossible elevation"),
        ("<trkpt/>", "without a latitude or longitude"),
        ("", "has no track points"),
    ],
)
def test_broken_gpx_values_fail_with_a_message(point: str, message: str) -> None:
    document = f'<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{point}</trkseg></trk></gpx>'
    result = outcome(document.encode())
    assert isinstance(result, ActivityFileError) and message in str(result)


@pytest.mark.parametrize("encoding", ["rot13", "utf-32", "no-such-codec", "hex"])
def test_odd_xml_encodings_fail_cleanly(encoding: str) -> None:
    document = f'<?xml version="1.0" encoding="{encoding}"?><gpx><trk/></gpx>'.encode()
    assert isinstance(outcome(document), ActivityFileError)


def test_truncated_fit_fails_cleanly_at_every_cut() -> None:
    data = sample("garmin-fenix-5-run.fit")
    for cut in (12, 13, 14, 15, 40, 100, 500, 1000, 2500, 4000, len(data) - 3, len(data) - 2, len(data) - 1):
        result = outcome(data[:cut])
        assert isinstance(result, ActivityFileError), cut
        assert str(result).startswith("The FIT file is truncated or corrupt"), (cut, str(result))


def test_damaged_fit_fails_cleanly() -> None:
    data = sample("garmin-fenix-5-walk.fit")
    assert "checksum does not match" in str(outcome(data[:-1] + bytes([data[-1] ^ 0xFF])))
    assert "truncated or corrupt" in str(outcome(data + b"trailing junk"))
    for offset in range(14, len(data), 101):  # one flipped byte at a time: refused or (rarely) still valid
        damaged = bytearray(data)
        damaged[offset] ^= 0x5A
        assert isinstance(outcome(bytes(damaged)), ActivityFileError | ParsedActivity)


def test_long_tracks_are_thinned_evenly_without_changing_the_summary() -> None:
    full = parsed("activity-small-fenix2-run.fit")
    thinned = parse_activity(sample("activity-small-fenix2-run.fit"), max_points=100)
    assert len(full.points) == 2809 and len(thinned.points) == 100
    assert (thinned.points[0], thinned.points[-1]) == (full.points[0], full.points[-1])
    assert thinned.distance_m == full.distance_m and thinned.duration_seconds == full.duration_seconds


def test_helpers() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)  # one degree of latitude
    assert haversine_m(45, 14, 45, 14) == 0
    assert elevation_gain_m([100, 100.5, 100, 101.2, 105, 103, 110]) == pytest.approx(12.0)  # 1.2 + 3.8 + 7
    assert elevation_gain_m([100, 100.5, 100, 101.2], noise_m=0) == pytest.approx(1.7)
    assert elevation_gain_m([None, None]) is None


def test_xml_is_streamed_not_held_whole() -> None:
    """Read points leave the tree: memory follows the points kept (~250 B each), not the markup (~1.3 KB each)."""
    points = "".join(
        f'<trkpt lat="{45 + index * 1e-5:.6f}" lon="14.0"><ele>500</ele>'
        f"<time>{datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=index):%Y-%m-%dT%H:%M:%SZ}</time></trkpt>"
        for index in range(10_000)
    )
    document = f"<gpx><trk><trkseg>{points}</trkseg></trk></gpx>".encode()
    tracemalloc.start()
    try:
        activity = parse_activity(document)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(activity.points) == 10_000 and activity.duration_seconds == 9_999
    assert peak < 8 * 1024 * 1024
