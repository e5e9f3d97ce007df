"""A synthetic Apple Health ``export.xml`` of any size, for load tests and the streaming-memory test.

Shaped like a real export (DOCTYPE with an internal subset, ExportDate, Me, records grouped loosely in time,
workouts with inline routes, one ActivitySummary per day at the end) with a realistic mix: heart rate most of
all, then steps, distance, energy, sleep, and types the importer does not know. Written as it is generated, a
batch at a time, so a 1,000,000-record file never sits in memory; the same seed and end date give the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO

OFFSET = "-0700"
OFFSET_SECONDS = -7 * 3600
SPAN_DAYS = 730
BATCH = 5_000

DTD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse CDATA #IMPLIED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutEvent (MetadataEntry?)>
<!ATTLIST WorkoutEvent
  type         CDATA #REQUIRED
  date         CDATA #REQUIRED
  duration     CDATA #IMPLIED
  durationUnit CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type      CDATA #REQUIRED
  startDate CDATA #REQUIRED
  endDate   CDATA #REQUIRED
  average   CDATA #IMPLIED
  minimum   CDATA #IMPLIED
  maximum   CDATA #IMPLIED
  sum       CDATA #IMPLIED
  unit      CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference|Location)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT Location EMPTY>
<!ATTLIST Location
  date               CDATA #REQUIRED
  latitude           CDATA #REQUIRED
  longitude          CDATA #REQUIRED
  altitude           CDATA #IMPLIED
  horizontalAccuracy CDATA #IMPLIED
  verticalAccuracy   CDATA #IMPLIED
  course             CDATA #IMPLIED
  speed              CDATA #IMPLIED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleMoveTime            CDATA #IMPLIED
  appleMoveTimeGoal        CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute
  bpm  CDATA #REQUIRED
  time CDATA #REQUIRED
>
]>
"""

WATCH = (
    'sourceName="Apple Watch" sourceVersion="10.1" device="&lt;&lt;HKDevice: 0x28303a0d0&gt;, name:Apple Watch, '
    'manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.1&gt;"'
)
PHONE = (
    'sourceName="iPhone" sourceVersion="17.1" device="&lt;&lt;HKDevice: 0x2830ad4a0&gt;, name:iPhone, '
    'manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5, software:17.1&gt;"'
)
SCALE = 'sourceName="Health Mate" sourceVersion="6010202"'
SLEEP_VALUES = (
    "HKCategoryValueSleepAnalysisInBed",
    "HKCategoryValueSleepAnalysisAsleepCore",
    "HKCategoryValueSleepAnalysisAsleepCore",
    "HKCategoryValueSleepAnalysisAsleepDeep",
    "HKCategoryValueSleepAnalysisAsleepREM",
    "HKCategoryValueSleepAnalysisAwake",
    "HKCategoryValueSleepAnalysisAsleepUnspecified",
)
# (name, weight): how often each kind of record appears, heart rate far ahead as in a real export.
KINDS: tuple[tuple[str, float], ...] = (
    ("heart_rate", 40),
    ("steps", 16),
    ("distance", 11),
    ("active_energy", 10),
    ("basal_energy", 7),
    ("audio", 4),  # EnvironmentalAudioExposure: a type the importer does not know
    ("sleep", 3),
    ("exercise_time", 2),
    ("stand_hour", 1.2),
    ("spo2", 1),
    ("hrv", 1),
    ("flights", 1),
    ("headphone", 0.8),  # HeadphoneAudioExposure: unknown too
    ("resting_hr", 0.4),
    ("respiratory", 0.4),
    ("body_mass", 0.2),
)
WORKOUT_EVERY = 1_000  # one workout per this many records
WORKOUT_TYPES = (
    ("Running", True),
    ("Walking", True),
    ("Cycling", True),
    ("Hiking", True),
    ("TraditionalStrengthTraining", False),
    ("Yoga", False),
    ("HighIntensityIntervalTraining", False),
)


@dataclass(frozen=True, slots=True)
class Generated:
    records: int
    workouts: int
    summaries: int


def write_apple_export(
    out: IO[bytes],
    *,
    records: int,
    seed: int = 0,
    until: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Generated:
    """Write an export.xml of ``records`` records over the ~2 years before ``until`` (default: a fixed date, so
    a seed alone makes the file reproducible); ``progress`` is called with the number of records just written."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    writer = _Writer(out, rng=rng, records=records, until=until or date(2026, 1, 1))
    return writer.write(progress)


class _Writer:
    def __init__(self, out: IO[bytes], *, rng: random.Random, records: int, until: date) -> None:
        self.out = out
        self.rng = rng
        self.records = max(0, records)
        self.first_day = until - timedelta(days=SPAN_DAYS)
        self.until = until
        # Local seconds since the first day's midnight; the file's times are all "-0700".
        self.span = SPAN_DAYS * 86_400
        self.days: dict[int, str] = {}
        self.workouts = 0

    def write(self, progress: Callable[[int], None] | None) -> Generated:
        rng = self.rng
        head = [
            DTD,
            '<HealthData locale="en_US">\n',
            f' <ExportDate value="{self.stamp(self.span)}"/>\n',
            ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1988-05-17" '
            'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
            'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" '
            'HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" '
            'HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>\n',
        ]
        self.out.write("".join(head).encode())
        makers: list[Callable[[int], str]] = [getattr(self, f"_{name}") for name, _weight in KINDS]
        weights = [weight for _name, weight in KINDS]
        step = self.span / max(self.records, 1)
        cursor = 0.0
        written = 0
        while written < self.records:
            count = min(BATCH, self.records - written)
            parts: list[str] = []
            for make in rng.choices(makers, weights, k=count):
                cursor += rng.random() * 2 * step
                moment = min(int(cursor), self.span - 1)
                parts.append(make(moment))
                written += 1
                if written % WORKOUT_EVERY == 0:
                    parts.append(self.workout(moment))
            self.out.write("".join(parts).encode())
            if progress is not None:
                progress(count)
        summaries = [self.summary(day) for day in range(SPAN_DAYS)]
        self.out.write(("".join(summaries) + "</HealthData>\n").encode())
        return Generated(records=self.records, workouts=self.workouts, summaries=len(summaries))

    # Times

    def stamp(self, seconds: int) -> str:
        day, rest = divmod(seconds, 86_400)
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = (self.first_day + timedelta(days=day)).isoformat()
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{text} {hours:02d}:{minutes:02d}:{secs:02d} {OFFSET}"

    def dates(self, start: int, duration: int) -> str:
        end = start + duration
        created = end + self.rng.randrange(5, 600)
        return f'creationDate="{self.stamp(created)}" startDate="{self.stamp(start)}" endDate="{self.stamp(end)}"'

    def quantity(
        self, kind: str, source: str, unit: str, value: str, start: int, duration: int, extra: str = ""
    ) -> str:
        head = f' <Record type="HKQuantityTypeIdentifier{kind}" {source} unit="{unit}" {self.dates(start, duration)}'
        if extra:
            return f'{head} value="{value}">\n{extra} </Record>\n'
        return f'{head} value="{value}"/>\n'

    # Records, one method per kind in KINDS

    def _heart_rate(self, t: int) -> str:
        value = str(self.rng.randrange(52, 175))
        extra = ""
        if self.rng.random() < 0.3:
            extra = f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="{self.rng.randrange(0, 3)}"/>\n'
        return self.quantity("HeartRate", WATCH, "count/min", value, t, 0, extra)

    def _steps(self, t: int) -> str:
        return self.quantity(
            "StepCount", PHONE, "count", str(self.rng.randrange(8, 1600)), t, self.rng.randrange(60, 600)
        )

    def _distance(self, t: int) -> str:
        value = f"{self.rng.uniform(0.005, 1.2):.6f}"
        return self.quantity("DistanceWalkingRunning", PHONE, "km", value, t, self.rng.randrange(60, 600))

    def _active_energy(self, t: int) -> str:
        value = f"{self.rng.uniform(0.05, 25):.3f}"
        return self.quantity("ActiveEnergyBurned", WATCH, "kcal", value, t, self.rng.randrange(30, 300))

    def _basal_energy(self, t: int) -> str:
        value = f"{self.rng.uniform(0.5, 30):.3f}"
        return self.quantity("BasalEnergyBurned", WATCH, "kcal", value, t, self.rng.randrange(60, 1800))

    def _audio(self, t: int) -> str:
        value = f"{self.rng.uniform(35, 85):.4f}"
        return self.quantity("EnvironmentalAudioExposure", WATCH, "dBASPL", value, t, 1800)

    def _headphone(self, t: int) -> str:
        value = f"{self.rng.uniform(50, 90):.4f}"
        return self.quantity("HeadphoneAudioExposure", PHONE, "dBASPL", value, t, self.rng.randrange(60, 1800))

    def _sleep(self, t: int) -> str:
        stage = self.rng.choice(SLEEP_VALUES)
        dates = self.dates(t, self.rng.randrange(120, 5400))
        return f' <Record type="HKCategoryTypeIdentifierSleepAnalysis" {WATCH} {dates} value="{stage}"/>\n'

    def _exercise_time(self, t: int) -> str:
        return self.quantity("AppleExerciseTime", WATCH, "min", str(self.rng.randrange(1, 5)), t, 60)

    def _stand_hour(self, t: int) -> str:
        value = "HKCategoryValueAppleStandHourStood" if self.rng.random() < 0.8 else "HKCategoryValueAppleStandHourIdle"
        return (
            f' <Record type="HKCategoryTypeIdentifierAppleStandHour" {WATCH} {self.dates(t, 3600)} value="{value}"/>\n'
        )

    def _spo2(self, t: int) -> str:
        return self.quantity("OxygenSaturation", WATCH, "%", f"{self.rng.uniform(0.92, 1.0):.2f}", t, 0)

    def _hrv(self, t: int) -> str:
        beats = "".join(
            f'   <InstantaneousBeatsPerMinute bpm="{self.rng.randrange(55, 80)}" '
            f'time="{index}:0{index}.5{index} AM"/>\n'
            for index in range(1, 6)
        )
        extra = f"  <HeartRateVariabilityMetadataList>\n{beats}  </HeartRateVariabilityMetadataList>\n"
        return self.quantity("HeartRateVariabilitySDNN", WATCH, "ms", f"{self.rng.uniform(15, 120):.4f}", t, 60, extra)

    def _flights(self, t: int) -> str:
        return self.quantity(
            "FlightsClimbed", PHONE, "count", str(self.rng.randrange(1, 6)), t, self.rng.randrange(30, 300)
        )

    def _resting_hr(self, t: int) -> str:
        return self.quantity("RestingHeartRate", WATCH, "count/min", str(self.rng.randrange(48, 70)), t, 86_000)

    def _respiratory(self, t: int) -> str:
        return self.quantity("RespiratoryRate", WATCH, "count/min", f"{self.rng.uniform(11, 19):.1f}", t, 600)

    def _body_mass(self, t: int) -> str:
        extra = '  <MetadataEntry key="HKWasUserEntered" value="0"/>\n'
        return self.quantity("BodyMass", SCALE, "kg", f"{self.rng.uniform(60, 64):.2f}", t, 0, extra)

    # Workouts and daily summaries

    def workout(self, start: int) -> str:
        rng = self.rng
        self.workouts += 1
        kind, outdoor = rng.choice(WORKOUT_TYPES)
        minutes = rng.randrange(20, 90)
        duration = minutes * 60
        dates = self.dates(start, duration)
        energy = f"{minutes * rng.uniform(6, 12):.3f}"
        distance = f"{minutes * rng.uniform(0.1, 0.35):.4f}" if outdoor else ""
        legacy = self.workouts % 2 == 0  # half written the pre-iOS 16 way, half with WorkoutStatistics
        attributes = f'workoutActivityType="HKWorkoutActivityType{kind}" duration="{minutes}" durationUnit="min"'
        if legacy:
            attributes += f' totalEnergyBurned="{energy}" totalEnergyBurnedUnit="kcal"'
            if distance:
                attributes += f' totalDistance="{distance}" totalDistanceUnit="km"'
        parts = [f" <Workout {attributes} {WATCH} {dates}>\n"]
        parts.append(f'  <MetadataEntry key="HKIndoorWorkout" value="{0 if outdoor else 1}"/>\n')
        parts.append('  <MetadataEntry key="HKTimeZone" value="America/Los_Angeles"/>\n')
        pause = start + duration // 2
        parts.append(f'  <WorkoutEvent type="HKWorkoutEventTypePause" date="{self.stamp(pause)}"/>\n')
        parts.append(f'  <WorkoutEvent type="HKWorkoutEventTypeResume" date="{self.stamp(pause + 30)}"/>\n')
        if not legacy:
            span = f'startDate="{self.stamp(start)}" endDate="{self.stamp(start + duration)}"'
            parts.append(
                f'  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" {span} '
                f'sum="{energy}" unit="kcal"/>\n'
            )
            if distance:
                parts.append(
                    f'  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" {span} '
                    f'sum="{distance}" unit="km"/>\n'
                )
        if outdoor:
            parts.append(self.route(start, duration))
        parts.append(" </Workout>\n")
        return "".join(parts)

    def route(self, start: int, duration: int) -> str:
        rng = self.rng
        lat, lon, altitude = 37.77 + rng.uniform(-0.05, 0.05), -122.42 + rng.uniform(-0.05, 0.05), 20.0
        parts = [f"  <WorkoutRoute {PHONE} {self.dates(start, duration)}>\n"]
        for second in range(0, duration, 15):
            lat += rng.uniform(-0.0002, 0.0002)
            lon += rng.uniform(-0.0002, 0.0002)
            altitude += rng.uniform(-0.5, 0.5)
            parts.append(
                f'   <Location date="{self.stamp(start + second)}" latitude="{lat:.6f}" longitude="{lon:.6f}" '
                f'altitude="{altitude:.3f}" horizontalAccuracy="3.5" verticalAccuracy="2.1" course="-1" '
                f'speed="{rng.uniform(1, 4):.3f}"/>\n'
            )
        parts.append("  </WorkoutRoute>\n")
        return "".join(parts)

    def summary(self, day: int) -> str:
        rng = self.rng
        return (
            f' <ActivitySummary dateComponents="{(self.first_day + timedelta(days=day)).isoformat()}" '
            f'activeEnergyBurned="{rng.uniform(150, 900):.3f}" activeEnergyBurnedGoal="500" '
            'activeEnergyBurnedUnit="kcal" '
            f'appleMoveTime="0" appleMoveTimeGoal="0" appleExerciseTime="{rng.randrange(0, 95)}" '
            f'appleExerciseTimeGoal="30" appleStandHours="{rng.randrange(2, 16)}" appleStandHoursGoal="12"/>\n'
        )
