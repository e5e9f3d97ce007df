"""The pure importers (Apple Health, Google Fit, Health Connect) and the upload checks; no database involved."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.core.management import call_command

from health.importers.apple import read_apple_health, route_points_from_gpx
from health.importers.archive import CountingReader, inspect_upload, open_export
from health.importers.base import ImportedSample, ImportedWorkout, ImportFileError, ImportStats
from health.importers.generator import write_apple_export
from health.importers.google_fit import read_google_fit_daily
from health.importers.health_connect import read_health_connect

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "health"
APPLE_OLD = DATA / "apple_health" / "export.xml"
APPLE_FOLDER = DATA / "apple_health" / "apple_health_export"
GOOGLE_FIT = DATA / "google_fit" / "Daily activity metrics.csv"
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
MB = 1024 * 1024

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="the shared sample data (../shared/data) is not here")


def apple(data: bytes | Path, zone: Any = LOS_ANGELES) -> tuple[list[Any], ImportStats]:
    stats = ImportStats()
    raw = data.read_bytes() if isinstance(data, Path) else data
    return list(read_apple_health(io.BytesIO(raw), stats=stats, zone=zone)), stats


def health_data(*elements: str, doctype: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + '<HealthData locale="en_US">\n'
        ' <ExportDate value="2024-01-01 10:00:00 -0700"/>\n' + "\n".join(elements) + "\n</HealthData>\n"
    ).encode()


def record(kind: str, value: str, unit: str = "", start: str = "2024-01-01 08:00:00 -0700", end: str = "") -> str:
    unit_attribute = f' unit="{unit}"' if unit else ""
    return (
        f'<Record type="{kind}" sourceName="Test" startDate="{start}" endDate="{end or start}"'
        f'{unit_attribute} value="{value}"/>'
    )


def quantity(name: str, value: str, unit: str) -> str:
    return record(f"HKQuantityTypeIdentifier{name}", value, unit)


# Apple Health: the shared real files


def test_apple_old_layout_records_workout_route_and_activity_summaries() -> None:
    items, stats = apple(APPLE_OLD)

    samples = [item for item in items if isinstance(item, ImportedSample)]
    workouts = [item for item in items if isinstance(item, ImportedWorkout)]
    bmi = next(sample for sample in samples if sample.metric == "bmi")
    assert bmi.value == 22.5312
    assert bmi.source_name == "Health Mate"
    assert bmi.start_time == datetime(2016, 4, 18, 8, 25, 32, tzinfo=timezone(timedelta(hours=-7)))
    assert bmi.external_id == ""
    heart = next(sample for sample in samples if sample.metric == "heart_rate")
    assert heart.value == 72
    assert "Apple Watch" in heart.device
    assert heart.source_name == "Apple Watch"  # the file's no-break space became a plain one

    (run,) = workouts
    assert run.sport == "running"
    assert run.distance_m == pytest.approx(800.1, abs=0.1)  # 0.4971749504535062 mi
    assert run.calories_kcal == pytest.approx(48.745)
    assert run.started_at == datetime(2016, 11, 14, 14, 25, 41, tzinfo=UTC)
    assert run.ended_at == datetime(2016, 11, 14, 14, 30, 52, tzinfo=UTC)
    assert [(point.lat, point.lon, point.elevation_m) for point in run.points] == [
        (37.7777, -122.426, 21.2694),
        (37.7777, -122.426, 21.2677),
    ]
    assert run.points[0].time == datetime(2016, 11, 14, 14, 25, 44, tzinfo=UTC)
    assert run.route_path == ""

    daily = {(sample.metric, sample.start_time.astimezone(LOS_ANGELES).date()): sample for sample in samples}
    exercise = daily["exercise_minutes", date(2016, 11, 15)]
    assert exercise.value == 68
    assert exercise.start_time == datetime(2016, 11, 15, tzinfo=LOS_ANGELES)
    assert exercise.end_time == datetime(2016, 11, 16, tzinfo=LOS_ANGELES)
    assert daily["stand_hours", date(2016, 11, 15)].value == 13
    assert daily["exercise_minutes", date(2016, 11, 16)].value == 39
    assert not any(sample.metric == "active_energy" for sample in samples)  # the summary's energy is not taken

    assert stats.read == Counter(
        {
            "HKQuantityTypeIdentifierBodyMassIndex": 1,
            "HKQuantityTypeIdentifierHeartRate": 1,
            "Workout": 1,
            "ActivitySummary": 2,
        }
    )
    assert not stats.invalid and not stats.skipped and not stats.errors


def test_apple_new_layout_points_to_the_route_file() -> None:
    items, stats = apple(APPLE_FOLDER / "export.xml")

    (run,) = [item for item in items if isinstance(item, ImportedWorkout)]
    assert run.route_path == "workout-routes/route_2019-06-11_3.00pm.gpx"
    assert run.points == []
    assert (APPLE_FOLDER / run.route_path).is_file()
    assert not stats.invalid


def test_route_points_from_gpx() -> None:
    points = route_points_from_gpx((APPLE_FOLDER / "workout-routes" / "route_2019-06-11_3.00pm.gpx").read_bytes())

    assert len(points) == 3
    assert points[0].lat == pytest.approx(37.781672)
    assert points[0].time == datetime(2019, 6, 11, 22, 0, 42, tzinfo=UTC)
    assert route_points_from_gpx(b"<gpx><trk></trk></gpx>") == []
    assert route_points_from_gpx(b"not xml") == []


# Apple Health: units, categories, bad records


def test_apple_units_become_canonical() -> None:
    items, stats = apple(
        health_data(
            quantity("OxygenSaturation", "0.97", "%"),
            quantity("BodyFatPercentage", "0.215", "%"),
            quantity("BodyMass", "150", "lb"),
            quantity("BloodGlucose", "90", "mg/dL"),
            quantity("BloodGlucose", "5.4", "mmol&lt;180.1558800000541&gt;/L"),
            quantity("BodyTemperature", "98.6", "degF"),
            quantity("Height", "70", "in"),
            quantity("DistanceWalkingRunning", "1", "mi"),
            quantity("ActiveEnergyBurned", "418.4", "kJ"),
            quantity("DietaryWater", "8", "fl_oz_us"),
            quantity("VO2Max", "45.2", "mL/min·kg"),
            quantity("HeartRateVariabilitySDNN", "48", "ms"),
            quantity("BloodPressureSystolic", "121", "mmHg"),
            quantity("BodyMassIndex", "22.4", "count"),
            quantity("HeartRate", "1.2", "count/s"),
        )
    )

    values = [(sample.metric, round(sample.value, 3)) for sample in items]
    assert values == [
        ("spo2", 97.0),
        ("body_fat", 21.5),
        ("body_weight", 68.039),
        ("blood_glucose", 4.996),
        ("blood_glucose", 5.4),
        ("body_temperature", 37.0),
        ("height", 177.8),
        ("distance", 1.609),
        ("active_energy", 100.0),
        ("water", 236.588),
        ("vo2max", 45.2),
        ("hrv_sdnn", 48.0),
        ("blood_pressure_systolic", 121.0),
        ("bmi", 22.4),
        ("heart_rate", 72.0),
    ]
    assert not stats.invalid and not stats.errors


def test_apple_sleep_stages_mindful_minutes_and_skipped_types() -> None:
    sleep = "HKCategoryTypeIdentifierSleepAnalysis"
    items, stats = apple(
        health_data(
            record(
                sleep,
                "HKCategoryValueSleepAnalysisInBed",
                start="2024-01-01 23:00:00 -0700",
                end="2024-01-02 07:00:00 -0700",
            ),
            record(
                sleep,
                "HKCategoryValueSleepAnalysisAsleep",
                start="2024-01-01 23:10:00 -0700",
                end="2024-01-02 01:00:00 -0700",
            ),
            record(
                sleep,
                "HKCategoryValueSleepAnalysisAsleepDeep",
                start="2024-01-02 01:00:00 -0700",
                end="2024-01-02 01:45:00 -0700",
            ),
            record(
                sleep,
                "HKCategoryValueSleepAnalysisAsleepREM",
                start="2024-01-02 01:45:00 -0700",
                end="2024-01-02 02:15:00 -0700",
            ),
            record(
                sleep,
                "HKCategoryValueSleepAnalysisAwake",
                start="2024-01-02 02:15:00 -0700",
                end="2024-01-02 02:20:00 -0700",
            ),
            record(
                sleep,
                "HKCategoryValueSleepAnalysisDreaming",
                start="2024-01-02 02:20:00 -0700",
                end="2024-01-02 02:30:00 -0700",
            ),
            record(
                "HKCategoryTypeIdentifierMindfulSession",
                "HKCategoryValueNotApplicable",
                end="2024-01-01 08:10:00 -0700",
            ),
            quantity("AppleExerciseTime", "5", "min"),
            record("HKCategoryTypeIdentifierAppleStandHour", "HKCategoryValueAppleStandHourStood"),
            quantity("EnvironmentalAudioExposure", "60", "dBASPL"),
        )
    )

    assert [(sample.metric, sample.stage, sample.value) for sample in items] == [
        ("sleep", "in_bed", 480),
        ("sleep", "core", 110),
        ("sleep", "deep", 45),
        ("sleep", "rem", 30),
        ("sleep", "awake", 5),
        ("mindful_minutes", "", 10),
    ]
    assert stats.invalid == Counter({sleep: 1})
    assert stats.skipped == Counter(
        {
            "HKQuantityTypeIdentifierAppleExerciseTime": 1,
            "HKCategoryTypeIdentifierAppleStandHour": 1,
            "HKQuantityTypeIdentifierEnvironmentalAudioExposure": 1,
        }
    )
    assert stats.read[sleep] == 6
    assert sum(stats.read.values()) == 10


def test_apple_bad_records_are_counted_with_their_line_not_raised() -> None:
    heart = "HKQuantityTypeIdentifierHeartRate"
    items, stats = apple(
        health_data(
            quantity("HeartRate", "72", "count/min"),
            quantity("HeartRate", "500", "count/min"),  # out of range
            quantity("HeartRate", "seventy", "count/min"),
            quantity("HeartRate", "72", "furlongs"),
            record(heart, "72", "count/min", start="2024-01-01 08:00:00"),  # no UTC offset
            record(heart, "72", "count/min", start="2024-01-01 09:00:00 -0700", end="2024-01-01 08:00:00 -0700"),
            quantity("OxygenSaturation", "97", "%"),  # 9,700 %: a percentage where Apple writes a fraction
        )
    )

    assert [sample.value for sample in items] == [72]
    assert stats.read[heart] == 6
    assert stats.invalid == Counter({heart: 5, "HKQuantityTypeIdentifierOxygenSaturation": 1})
    assert stats.errors[0].startswith("line 5: HeartRate: value 500")
    assert [error.split(":")[0] for error in stats.errors] == [f"line {n}" for n in range(5, 11)]


def test_apple_workout_statistics_of_newer_exports() -> None:
    workout = """<Workout workoutActivityType="HKWorkoutActivityTypeTraditionalStrengthTraining" duration="30"
        durationUnit="min" sourceName="Watch" startDate="2024-01-01 08:00:00 -0700" endDate="2024-01-01 08:30:00 -0700">
      <MetadataEntry key="HKIndoorWorkout" value="1"/>
      <WorkoutEvent type="HKWorkoutEventTypePause" date="2024-01-01 08:10:00 -0700"/>
      <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="2024-01-01 08:00:00 -0700"
        endDate="2024-01-01 08:30:00 -0700" sum="250.5" unit="Cal"/>
      <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2024-01-01 08:00:00 -0700"
        endDate="2024-01-01 08:30:00 -0700" sum="2.5" unit="km"/>
      <WorkoutStatistics type="HKQuantityTypeIdentifierBasalEnergyBurned" startDate="2024-01-01 08:00:00 -0700"
        endDate="2024-01-01 08:30:00 -0700" sum="40" unit="Cal"/>
    </Workout>"""
    other = workout.replace("TraditionalStrengthTraining", "MixedCardio")

    (strength, cardio), stats = apple(health_data(workout, other))

    assert strength.sport == "strength_training"
    assert strength.calories_kcal == 250.5
    assert strength.distance_m == pytest.approx(2500)
    assert cardio.sport == "mixed_cardio"
    assert stats.read["Workout"] == 2


def test_apple_correlations_and_other_elements_are_counted_as_skipped() -> None:
    correlation = """<Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Cuff"
        startDate="2024-01-01 08:00:00 -0700" endDate="2024-01-01 08:00:00 -0700">
      <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Cuff" unit="mmHg"
        startDate="2024-01-01 08:00:00 -0700" endDate="2024-01-01 08:00:00 -0700" value="120"/>
    </Correlation>"""
    items, stats = apple(
        health_data(
            correlation,
            quantity("BloodPressureSystolic", "120", "mmHg"),  # Apple repeats a correlation's records at the top
            '<Audiogram type="HKDataTypeIdentifierAudiogram" sourceName="Test"/>',
        )
    )

    assert [(sample.metric, sample.value) for sample in items] == [("blood_pressure_systolic", 120)]
    assert stats.skipped == Counter({"HKCorrelationTypeIdentifierBloodPressure": 1, "HKDataTypeIdentifierAudiogram": 1})
    assert stats.read["HKQuantityTypeIdentifierBloodPressureSystolic"] == 1


def test_apple_doctype_with_internal_subset_is_accepted() -> None:
    doctype = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 11 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
]>
"""
    items, _stats = apple(health_data(quantity("StepCount", "120", "count"), doctype=doctype))

    assert [(sample.metric, sample.value) for sample in items] == [("steps", 120)]


def test_apple_entity_declarations_are_refused() -> None:
    doctype = '<!DOCTYPE HealthData [\n<!ENTITY lol "lol">\n]>\n'
    with pytest.raises(ImportFileError, match="entities"):
        apple(health_data(record("HKQuantityTypeIdentifierStepCount", "&lol;", "count"), doctype=doctype))
    external = '<!DOCTYPE HealthData [\n<!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n'
    with pytest.raises(ImportFileError, match="entities"):
        apple(health_data(record("HKQuantityTypeIdentifierStepCount", "&secret;", "count"), doctype=external))


def test_apple_malformed_xml_fails_after_the_earlier_records_were_yielded() -> None:
    good = [quantity("StepCount", str(n), "count") for n in range(1, 4)]
    data = health_data(*good, '<Record type="HKQuantityTypeIdentifierStepCount" value="4" <oops/>')
    received: list[Any] = []

    with pytest.raises(ImportFileError) as raised:
        for item in read_apple_health(io.BytesIO(data), stats=ImportStats(), zone=UTC):
            received.append(item)

    assert [sample.value for sample in received] == [1, 2, 3]
    assert str(raised.value).startswith("The export is not well-formed XML (line 7, column ")
    with pytest.raises(ImportFileError, match="not well-formed"):
        apple(b"")
    with pytest.raises(ImportFileError, match="not well-formed"):
        apple(health_data(quantity("StepCount", "1", "count"))[:-20])  # cut short


def test_apple_other_xml_is_not_an_export() -> None:
    with pytest.raises(ImportFileError, match="not an Apple Health export"):
        apple((APPLE_FOLDER / "workout-routes" / "route_2019-06-11_3.00pm.gpx").read_bytes())
    with pytest.raises(ImportFileError, match="not an Apple Health export"):
        apple(b"<ClinicalDocument/>")
    assert apple(b"<HealthData/>") == ([], ImportStats())


def test_apple_elements_that_would_fill_memory_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImportFileError, match="characters of text"):
        apple(b"<HealthData>" + b"x" * 1_100_000 + b"</HealthData>")

    monkeypatch.setattr("health.importers.apple.MAX_DESCENDANTS", 10)
    locations = "".join(
        f'<Location date="2024-01-01 08:00:{n:02d} -0700" latitude="1" longitude="2"/>' for n in range(11)
    )
    workout = (
        '<Workout workoutActivityType="HKWorkoutActivityTypeRunning" sourceName="W" '
        'startDate="2024-01-01 08:00:00 -0700" endDate="2024-01-01 08:30:00 -0700">'
        f'<WorkoutRoute sourceName="P" startDate="x" endDate="y">{locations}</WorkoutRoute></Workout>'
    )
    with pytest.raises(ImportFileError, match="holds more than 10 others"):
        apple(health_data(workout))


# Apple Health: size


def test_generated_export_is_deterministic_and_complete(tmp_path: Path) -> None:
    first, second, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    counts = write_apple_export(first, records=3_000, seed=7)
    write_apple_export(second, records=3_000, seed=7)
    write_apple_export(other, records=3_000, seed=8)
    assert first.getvalue() == second.getvalue() != other.getvalue()
    assert first.getvalue().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [')

    items, stats = apple(first.getvalue())

    assert counts.records == 3_000 and counts.workouts == 3 and counts.summaries == 730
    assert stats.read["Workout"] == 3
    assert stats.read["ActivitySummary"] == 730
    assert sum(stats.read.values()) == 3_000 + 3 + 730
    assert stats.read.most_common(1)[0][0] == "HKQuantityTypeIdentifierHeartRate"
    assert stats.skipped["HKQuantityTypeIdentifierEnvironmentalAudioExposure"] > 0
    assert not stats.invalid and not stats.errors
    workouts = [item for item in items if isinstance(item, ImportedWorkout)]
    assert any(workout.points for workout in workouts)
    assert {sample.metric for sample in items if isinstance(sample, ImportedSample)} >= {
        "heart_rate",
        "steps",
        "distance",
        "active_energy",
        "basal_energy",
        "sleep",
        "exercise_minutes",
        "stand_hours",
    }


def test_parsing_memory_stays_flat(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    with path.open("wb") as file:
        write_apple_export(file, records=200_000, seed=1)
    assert path.stat().st_size > 70 * MB
    stats = ImportStats()
    count = 0

    tracemalloc.start()
    try:
        with path.open("rb") as file:
            for _item in read_apple_health(file, stats=stats, zone=UTC):
                count += 1
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count > 180_000
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


def test_generate_apple_export_command(tmp_path: Path) -> None:
    xml_path, zip_path = tmp_path / "export.xml", tmp_path / "export.zip"
    call_command(
        "generate_apple_export", records=500, seed=3, output=str(xml_path), progress=False, stdout=io.StringIO()
    )
    call_command(
        "generate_apple_export",
        records=500,
        seed=3,
        output=str(zip_path),
        zip=True,
        progress=False,
        stdout=io.StringIO(),
    )

    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["apple_health_export/export.xml"]
        assert archive.read("apple_health_export/export.xml") == xml_path.read_bytes()
    with open_export(str(zip_path), max_uncompressed=100 * MB, max_ratio=100) as export:
        stats = ImportStats()
        assert sum(1 for _ in read_apple_health(export.xml, stats=stats, zone=UTC)) > 0
        assert export.xml.count == xml_path.stat().st_size == export.uncompressed_size


# Google Fit


def test_google_fit_shared_daily_metrics() -> None:
    stats = ImportStats()
    with GOOGLE_FIT.open("rb") as file:
        samples = list(read_google_fit_daily(file, zone=BERLIN, stats=stats))
        assert not file.closed

    by_metric = Counter(sample.metric for sample in samples)
    assert by_metric == Counter(
        {"steps": 1029, "distance": 992, "exercise_minutes": 969, "body_weight": 21, "heart_rate": 7}
    )
    day = {
        sample.metric: sample for sample in samples if sample.start_time.astimezone(BERLIN).date() == date(2018, 4, 3)
    }
    assert day["steps"].value == 1627
    assert day["steps"].start_time == datetime(2018, 4, 3, tzinfo=BERLIN)
    assert day["steps"].end_time == datetime(2018, 4, 4, tzinfo=BERLIN)
    assert day["distance"].value == pytest.approx(0.8521890783309937)
    assert day["exercise_minutes"].value == 19
    assert day["body_weight"].value == 72
    assert day["body_weight"].start_time == day["body_weight"].end_time == datetime(2018, 4, 3, 12, tzinfo=BERLIN)
    assert {sample.source_name for sample in samples} == {"Google Fit"}
    heart = next(sample for sample in samples if sample.metric == "heart_rate")
    assert heart.start_time == datetime(2020, 4, 14, tzinfo=BERLIN)
    assert heart.value == pytest.approx(91.28198757763975)
    assert stats.read["Step count"] == 1029
    assert stats.skipped["Calories (kcal)"] == stats.read["Calories (kcal)"] == 1051
    assert stats.skipped["Heart Points"] == 632
    assert "Step count" not in stats.skipped
    assert not stats.invalid and not stats.errors


def test_google_fit_columns_by_name_and_bad_cells() -> None:
    csv = (
        b"Step Count,DATE,Distance (m),Some new column\n"
        b"100,2024-03-31,,x\n"  # the day clocks go forward in Berlin: 23 hours
        b"-5,2024-04-01,1000,\n"
        b"50,yesterday,,\n"
        b",,,\n"
        b"abc,2024-04-02\n"
    )
    stats = ImportStats()

    samples = list(read_google_fit_daily(io.BytesIO(csv), zone=BERLIN, stats=stats))

    assert [(sample.metric, sample.value) for sample in samples] == [("steps", 100), ("distance", 1.0)]
    assert samples[0].end_time - samples[0].start_time == timedelta(hours=23)  # UTC instants, so arithmetic holds
    assert stats.invalid == Counter({"Step Count": 2, "Date": 1})
    assert stats.skipped == Counter({"Some new column": 1})
    assert stats.errors == [
        "line 3: Step Count: -5 is outside steps's range",
        "line 4: unreadable or implausible date 'yesterday'; the row is left out",
        "line 6: Step Count: unreadable value 'abc'",
    ]


def test_google_fit_without_a_date_column_is_refused() -> None:
    with pytest.raises(ImportFileError, match="no Date column"):
        list(read_google_fit_daily(io.BytesIO(b"Day,Step count\n2024-01-01,5\n"), zone=UTC, stats=ImportStats()))
    with pytest.raises(ImportFileError, match="empty"):
        list(read_google_fit_daily(io.BytesIO(b""), zone=UTC, stats=ImportStats()))
    with pytest.raises(ImportFileError, match="UTF-8"):
        list(read_google_fit_daily(io.BytesIO(b"Date,Step count\n\xff\xfe,1\n"), zone=UTC, stats=ImportStats()))


# Health Connect


def line(kind: str, **fields: Any) -> bytes:
    return orjson.dumps({"type": kind, **fields}) + b"\n"


HC_RECORDS = [
    line(
        "StepsRecord",
        startTime="2026-11-30T07:00:00Z",
        endTime="2026-11-30T07:15:00Z",
        count=812,
        metadata={"id": "steps-1", "dataOrigin": "com.fitbit.FitbitMobile", "device": "Pixel Watch"},
    ),
    line(
        "HeartRateRecord",
        startTime="2026-11-30T07:00:00Z",
        endTime="2026-11-30T07:01:00Z",
        samples=[
            {"time": "2026-11-30T07:00:00Z", "beatsPerMinute": 71},
            {"time": "2026-11-30T08:00:30+01:00", "beatsPerMinute": 74},
            {"time": "2026-11-30T07:00:45Z", "beatsPerMinute": 900},
        ],
        metadata={"id": "hr-1", "device": {"manufacturer": "Google", "model": "Pixel Watch 2"}},
    ),
    b"{this is not json\n",
    line("WeightRecord", time="2026-11-30T07:00:00", weight={"inKilograms": 70}),  # no zone
    line("WeightRecord", time="2026-11-30T07:00:00+02:00", weight={"inKilograms": 70.5}),
    line(
        "BloodPressureRecord",
        time="2026-11-30T07:05:00Z",
        systolic={"inMillimetersOfMercury": 121},
        diastolic={"inMillimetersOfMercury": 79},
        metadata={"id": "bp-1"},
    ),
    line(
        "SleepSessionRecord",
        startTime="2026-11-29T23:00:00Z",
        endTime="2026-11-30T06:00:00Z",
        stages=[
            {"startTime": "2026-11-29T23:00:00Z", "endTime": "2026-11-30T01:00:00Z", "stage": 4},
            {"startTime": "2026-11-30T01:00:00Z", "endTime": "2026-11-30T01:40:00Z", "stage": 5},
            {"startTime": "2026-11-30T01:40:00Z", "endTime": "2026-11-30T02:00:00Z", "stage": 6},
            {"startTime": "2026-11-30T02:00:00Z", "endTime": "2026-11-30T02:05:00Z", "stage": 7},
        ],
        metadata={"id": "sleep-1"},
    ),
    line("SleepSessionRecord", startTime="2026-11-30T23:00:00Z", endTime="2026-12-01T06:30:00Z"),
    line("MindfulnessSessionRecord", startTime="2026-11-30T12:00:00Z", endTime="2026-11-30T12:15:00Z"),
    line("OxygenSaturationRecord", time="2026-11-30T07:00:00Z", percentage={"value": 97.5}),
    line("HeightRecord", time="2026-11-30T07:00:00Z", height={"inMeters": 1.78}),
    line(
        "DistanceRecord", startTime="2026-11-30T07:00:00Z", endTime="2026-11-30T07:15:00Z", distance={"inMeters": 1200}
    ),
    line("HeartRateVariabilityRmssdRecord", time="2026-11-30T07:00:00Z", heartRateVariabilityMillis=42.5),
    line("TotalCaloriesBurnedRecord", startTime="2026-11-30T07:00:00Z", endTime="2026-11-30T08:00:00Z"),
    line("ExerciseSessionRecord", startTime="2026-11-30T07:00:00Z", endTime="2026-11-30T08:00:00Z"),
    b"\n",
]


def test_health_connect_json_lines() -> None:
    stats = ImportStats()

    samples = list(read_health_connect(io.BytesIO(b"".join(HC_RECORDS)), stats=stats))

    summary = [(sample.metric, sample.stage, round(sample.value, 2), sample.external_id) for sample in samples]
    assert summary == [
        ("steps", "", 812, "steps-1"),
        ("heart_rate", "", 71, "hr-1:0"),
        ("heart_rate", "", 74, "hr-1:1"),
        ("body_weight", "", 70.5, ""),
        ("blood_pressure_systolic", "", 121, "bp-1:systolic"),
        ("blood_pressure_diastolic", "", 79, "bp-1:diastolic"),
        ("sleep", "core", 120, "sleep-1:0"),
        ("sleep", "deep", 40, "sleep-1:1"),
        ("sleep", "rem", 20, "sleep-1:2"),
        ("sleep", "awake", 5, "sleep-1:3"),
        ("sleep", "in_bed", 450, ""),
        ("mindful_minutes", "", 15, ""),
        ("spo2", "", 97.5, ""),
        ("height", "", 178, ""),
        ("distance", "", 1.2, ""),
        ("hrv_rmssd", "", 42.5, ""),
    ]
    assert samples[0].source_name == "com.fitbit.FitbitMobile"
    assert samples[0].device == "Pixel Watch"
    assert samples[1].device == "Google Pixel Watch 2"
    assert samples[2].start_time == datetime(2026, 11, 30, 7, 0, 30, tzinfo=UTC)
    assert stats.invalid == Counter({"HeartRateRecord": 1, "WeightRecord": 1, "(unreadable line)": 1})
    assert stats.skipped == Counter({"TotalCaloriesBurnedRecord": 1, "ExerciseSessionRecord": 1})
    assert stats.errors == [
        "line 2: HeartRateRecord: sample 3: beatsPerMinute = 900 is outside heart_rate's range",
        "line 3: not JSON",
        "line 4: WeightRecord: time '2026-11-30T07:00:00' has no time zone (Z or an offset)",
    ]


def test_health_connect_document_form() -> None:
    records = [orjson.loads(raw) for raw in HC_RECORDS if raw.startswith(b'{"')]
    stats = ImportStats()

    pretty = orjson.dumps({"records": records}, option=orjson.OPT_INDENT_2)
    samples = list(read_health_connect(io.BytesIO(pretty), stats=stats))
    compact = list(read_health_connect(io.BytesIO(orjson.dumps({"records": records})), stats=ImportStats()))

    assert len(samples) == len(compact) == 16
    assert stats.errors[0].startswith("record 2: HeartRateRecord: sample 3")


def test_health_connect_without_any_json_is_refused() -> None:
    with pytest.raises(ImportFileError, match="not JSON Lines"):
        list(read_health_connect(io.BytesIO(b"Date,Steps\n2024-01-01,5\n"), stats=ImportStats()))
    assert list(read_health_connect(io.BytesIO(b""), stats=ImportStats())) == []


def test_health_connect_reads_through_a_counting_reader() -> None:
    data = b"".join(HC_RECORDS)
    counter = CountingReader(io.BytesIO(data))

    assert len(list(read_health_connect(counter, stats=ImportStats()))) == 16
    assert counter.count == len(data)


# Archives and upload checks


def zip_folder(path: Path, folder: Path, *, prefix: str = "apple_health_export/") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, prefix + file.relative_to(folder).as_posix())
    return path


def check(path: Path, format: str = "apple_health", **limits: int) -> None:
    with path.open("rb") as file:
        inspect_upload(
            file,
            format=format,
            max_uncompressed=limits.get("max_uncompressed", 100 * MB),
            max_ratio=limits.get("max_ratio", 100),
        )
        assert file.tell() == 0


def test_zipped_export_folder(tmp_path: Path) -> None:
    path = zip_folder(tmp_path / "export.zip", APPLE_FOLDER)
    check(path)

    with open_export(str(path), max_uncompressed=100 * MB, max_ratio=100) as export:
        routes: dict[str, bytes | None] = {}
        items = []
        for item in read_apple_health(export.xml, stats=ImportStats(), zone=LOS_ANGELES):
            items.append(item)
            if isinstance(item, ImportedWorkout):  # read while export.xml is still being streamed
                routes[item.route_path] = export.read_member(item.route_path)
        assert len(items) == 7
        (run,) = [item for item in items if isinstance(item, ImportedWorkout)]
        route = routes[run.route_path]
        assert route is not None
        assert len(route_points_from_gpx(route)) == 3
        assert export.read_member("/" + run.route_path) == route
        assert export.read_member("workout-routes/missing.gpx") is None
        assert export.read_member("../../../etc/passwd") is None
        assert export.xml.count == export.uncompressed_size == (APPLE_FOLDER / "export.xml").stat().st_size


def test_bare_export_xml(tmp_path: Path) -> None:
    check(APPLE_OLD)
    with open_export(str(APPLE_OLD), max_uncompressed=MB, max_ratio=100) as export:
        assert len(list(read_apple_health(export.xml, stats=ImportStats(), zone=UTC))) == 7
        assert export.xml.count == export.uncompressed_size == APPLE_OLD.stat().st_size
        assert export.read_member("workout-routes/route_2019-06-11_3.00pm.gpx") is None  # nothing beside it counts

    not_xml = tmp_path / "export.xml"
    not_xml.write_bytes(b"%PDF-1.7 ...")
    with pytest.raises(ImportFileError, match="neither"):
        check(not_xml)
    check(not_xml, format="google_fit_daily_csv")  # other formats' contents are their readers' business


def test_zip_without_export_xml(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        archive.writestr("apple_health_export/electrocardiograms/ecg.csv", "x")

    with pytest.raises(ImportFileError, match=r"^The archive holds no export\.xml\.$"):
        check(path)
    with (
        pytest.raises(ImportFileError, match=r"no export\.xml"),
        open_export(str(path), max_uncompressed=MB, max_ratio=100),
    ):
        pass


def test_zip_for_another_format_is_refused(tmp_path: Path) -> None:
    path = zip_folder(tmp_path / "export.zip", APPLE_FOLDER)
    with pytest.raises(ImportFileError, match="not a zip"):
        check(path, format="health_connect_jsonl")


def test_zip_bombs(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("apple_health_export/export.xml", "w", force_zip64=True) as member,
    ):
        zeros = bytes(MB)
        for _ in range(200):
            member.write(zeros)
    assert path.stat().st_size < MB

    with pytest.raises(ImportFileError, match=r"expands [\d,]+ times"):
        check(path, max_uncompressed=1024 * MB, max_ratio=100)
    with pytest.raises(ImportFileError, match="would expand to 200 MB, more than the 100 MB allowed"):
        check(path, max_uncompressed=100 * MB, max_ratio=100_000)
    with (
        pytest.raises(ImportFileError, match="expands"),
        open_export(str(path), max_uncompressed=1024 * MB, max_ratio=100),
    ):
        pass


def test_zip_claiming_a_huge_size(tmp_path: Path) -> None:
    path = zip_folder(tmp_path / "export.zip", APPLE_FOLDER)
    patch_declared_size(path, "apple_health_export/export.xml", 3 * 1024 * MB)

    with pytest.raises(ImportFileError, match="would expand to"):
        check(path)


def test_zip_lying_about_its_size_fails_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("apple_health_export/export.xml", "w") as member,
    ):
        write_apple_export(member, records=2_000, seed=5)
    real_size = zipfile.ZipFile(path).getinfo("apple_health_export/export.xml").file_size
    patch_declared_size(path, "apple_health_export/export.xml", real_size // 2)
    check(path)  # the central directory alone looks fine

    received = 0
    with (  # the failure comes mid-stream, after records were read
        pytest.raises(
            ImportFileError, match=r"archive is damaged: apple_health_export/export\.xml cannot be read \(Bad CRC-32"
        ),
        open_export(str(path), max_uncompressed=100 * MB, max_ratio=100) as export,
    ):
        for _item in read_apple_health(export.xml, stats=ImportStats(), zone=UTC):
            received += 1
    assert received > 0


def test_damaged_zip(tmp_path: Path) -> None:
    path = zip_folder(tmp_path / "export.zip", APPLE_FOLDER)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central : central + 4] = b"XX\x01\x02"
    path.write_bytes(bytes(data))

    with pytest.raises(ImportFileError, match="archive is damaged"):
        check(path)


def test_a_member_delivering_more_than_allowed_is_stopped() -> None:
    from health.importers.archive import _LimitedReader

    reader = _LimitedReader(io.BytesIO(bytes(100)), limit=60, name="export.xml")
    assert reader.read(50) == bytes(50)
    with pytest.raises(ImportFileError, match="holds more data than the archive declares"):
        reader.read(50)


def test_counting_reader_counts_what_was_read() -> None:
    counter = CountingReader(io.BytesIO(b"abc\ndefgh"))
    assert counter.read(2) == b"ab"
    assert counter.readline() == b"c\n"
    assert counter.read() == b"defgh"
    assert counter.count == 9


def patch_declared_size(path: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size the central directory states for ``name`` (not the data)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    position = 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46 : position + 46 + name_length]) == encoded:
            break
        position += 4
    if size >= 0xFFFFFFFF:
        raise ValueError("a zip64 size is out of this helper's reach")
    struct.pack_into("<I", data, position + 24, size)
    path.write_bytes(bytes(data))
