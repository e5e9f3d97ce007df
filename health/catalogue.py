"""The metric catalogue and its unit table: what a health sample may measure, in which unit, within which range.

A table in code rather than rows in the database: it changes with the code that interprets it
(summaries, imports, reports), every process reads it without a query, and ingestion checks
10,000 samples against it in microseconds each.

Units. Every metric stores one canonical unit. An incoming unit is converted with the affine map
``canonical = value * scale + offset`` from this table (documented in README "Health data"):

=========================  ================================================================
lb → kg                    x 0.45359237 (exact, by definition of the pound)
mi → km                    x 1.609344 (exact); m x 0.001, ft x 0.0003048, yd x 0.0009144
kJ → kcal                  / 4.184 (thermochemical calorie); Cal (food calorie) = kcal
mg/dL → mmol/L             / 18.0156 (glucose, C6H12O6 = 180.156 g/mol)
°F → °C                    (x - 32) x 5/9
fraction → %               x 100 (Apple Health writes SpO2 and body fat as 0..1)
count/s → count/min        x 60
=========================  ================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How samples of a metric add up: the summary's aggregate follows from it."""

    CUMULATIVE = "cumulative"  # amounts over an interval; a day is their sum (steps, energy)
    DISCRETE = "discrete"  # readings at an instant; a day is their average, min, max (heart rate, weight)
    INTERVAL = "interval"  # time spent; the value is the duration in minutes (mindful sessions)
    CATEGORY = "category"  # time spent in one of several states; value = minutes, ``stage`` = the state (sleep)


class UnitError(ValueError):
    """The unit is not one this metric accepts."""


@dataclass(frozen=True, slots=True)
class Metric:
    code: str
    name: str
    kind: Kind
    unit: str
    # Accepted unit spellings → (scale, offset) to the canonical unit; the canonical unit maps to (1, 0).
    units: Mapping[str, tuple[float, float]]
    minimum: float
    maximum: float
    stages: tuple[str, ...] = field(default=())
    body_measurement: bool = False

    def to_canonical(self, value: float, unit: str | None) -> float:
        """``value`` in ``unit`` (None = already canonical) as the canonical unit; UnitError if unknown."""
        if unit is None or unit == self.unit:
            return value
        try:
            scale, offset = self.units[unit]
        except KeyError:
            raise UnitError(f"{self.code} is measured in {', '.join(self.units)}; not {unit!r}.") from None
        return value * scale + offset

    def in_range(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum


def _units(canonical: str, **others: float | tuple[float, float]) -> dict[str, tuple[float, float]]:
    table: dict[str, tuple[float, float]] = {canonical: (1.0, 0.0)}
    for name, factor in others.items():
        table[name.replace("__", "/")] = factor if isinstance(factor, tuple) else (factor, 0.0)
    return table


LB = 0.45359237
INCH_CM = 2.54
KJ_PER_KCAL = 4.184
GLUCOSE_MG_DL_PER_MMOL_L = 18.0156
FAHRENHEIT = (5 / 9, -32 * 5 / 9)

_COUNT = _units("count")
_PER_MIN = {**_units("count/min"), "bpm": (1.0, 0.0), "count/s": (60.0, 0.0)}
_ENERGY = {**_units("kcal"), "kJ": (1 / KJ_PER_KCAL, 0.0), "Cal": (1.0, 0.0), "cal": (0.001, 0.0)}
_MASS = {**_units("kg"), "g": (0.001, 0.0), "lb": (LB, 0.0), "oz": (LB / 16, 0.0), "st": (LB * 14, 0.0)}
_LENGTH_CM = {**_units("cm"), "m": (100.0, 0.0), "mm": (0.1, 0.0), "in": (INCH_CM, 0.0), "ft": (INCH_CM * 12, 0.0)}
_PERCENT = {**_units("%"), "fraction": (100.0, 0.0)}
_MINUTES = {**_units("min"), "s": (1 / 60, 0.0), "h": (60.0, 0.0), "hr": (60.0, 0.0)}
_PRESSURE = {**_units("mmHg"), "kPa": (7.50061683, 0.0)}
_MS = {**_units("ms"), "s": (1000.0, 0.0)}

SLEEP_STAGES = ("in_bed", "awake", "core", "deep", "rem")

_ALL = [
    Metric("steps", "Steps", Kind.CUMULATIVE, "count", _COUNT, 0, 200_000),
    Metric(
        "distance",
        "Walking and running distance",
        Kind.CUMULATIVE,
        "km",
        {**_units("km"), "m": (0.001, 0.0), "mi": (1.609344, 0.0), "ft": (0.0003048, 0.0), "yd": (0.0009144, 0.0)},
        0,
        1_000,
    ),
    Metric("active_energy", "Active energy burned", Kind.CUMULATIVE, "kcal", _ENERGY, 0, 20_000),
    Metric("basal_energy", "Resting energy burned", Kind.CUMULATIVE, "kcal", _ENERGY, 0, 10_000),
    Metric("heart_rate", "Heart rate", Kind.DISCRETE, "count/min", _PER_MIN, 20, 300),
    Metric("resting_heart_rate", "Resting heart rate", Kind.DISCRETE, "count/min", _PER_MIN, 20, 200),
    Metric("hrv_sdnn", "Heart rate variability (SDNN)", Kind.DISCRETE, "ms", _MS, 0, 1_000),
    Metric("hrv_rmssd", "Heart rate variability (RMSSD)", Kind.DISCRETE, "ms", _MS, 0, 1_000),
    Metric("spo2", "Blood oxygen saturation", Kind.DISCRETE, "%", _PERCENT, 50, 100),
    Metric("respiratory_rate", "Respiratory rate", Kind.DISCRETE, "count/min", _PER_MIN, 1, 100),
    Metric("body_weight", "Body weight", Kind.DISCRETE, "kg", _MASS, 20, 500, body_measurement=True),
    Metric("body_fat", "Body fat", Kind.DISCRETE, "%", _PERCENT, 1, 75, body_measurement=True),
    Metric("lean_mass", "Lean body mass", Kind.DISCRETE, "kg", _MASS, 5, 300, body_measurement=True),
    Metric("bmi", "Body mass index", Kind.DISCRETE, "kg/m2", {**_units("kg/m2"), "count": (1.0, 0.0)}, 5, 150),
    Metric("height", "Height", Kind.DISCRETE, "cm", _LENGTH_CM, 30, 280, body_measurement=True),
    Metric("waist_circumference", "Waist", Kind.DISCRETE, "cm", _LENGTH_CM, 20, 300, body_measurement=True),
    Metric("chest_circumference", "Chest", Kind.DISCRETE, "cm", _LENGTH_CM, 30, 300, body_measurement=True),
    Metric("hips_circumference", "Hips", Kind.DISCRETE, "cm", _LENGTH_CM, 30, 300, body_measurement=True),
    Metric("arm_circumference", "Upper arm", Kind.DISCRETE, "cm", _LENGTH_CM, 5, 150, body_measurement=True),
    Metric("thigh_circumference", "Thigh", Kind.DISCRETE, "cm", _LENGTH_CM, 10, 200, body_measurement=True),
    Metric("blood_pressure_systolic", "Blood pressure, systolic", Kind.DISCRETE, "mmHg", _PRESSURE, 40, 300),
    Metric("blood_pressure_diastolic", "Blood pressure, diastolic", Kind.DISCRETE, "mmHg", _PRESSURE, 20, 200),
    Metric(
        "blood_glucose",
        "Blood glucose",
        Kind.DISCRETE,
        "mmol/L",
        {**_units("mmol/L"), "mg/dL": (1 / GLUCOSE_MG_DL_PER_MMOL_L, 0.0)},
        0.5,
        60,
    ),
    Metric(
        "body_temperature",
        "Body temperature",
        Kind.DISCRETE,
        "degC",
        {**_units("degC"), "°C": (1.0, 0.0), "degF": FAHRENHEIT, "°F": FAHRENHEIT},
        25,
        45,
    ),
    Metric(
        "vo2max",
        "VO2 max",
        Kind.DISCRETE,
        "mL/kg/min",
        {**_units("mL/kg/min"), "mL/min·kg": (1.0, 0.0), "mL/(kg·min)": (1.0, 0.0)},
        5,
        100,
    ),
    Metric(
        "water",
        "Water",
        Kind.CUMULATIVE,
        "mL",
        {**_units("mL"), "L": (1000.0, 0.0), "fl_oz_us": (29.5735295625, 0.0), "cup_us": (236.5882365, 0.0)},
        0,
        20_000,
    ),
    Metric("sleep", "Sleep", Kind.CATEGORY, "min", _MINUTES, 0, 24 * 60, stages=SLEEP_STAGES),
    Metric("mindful_minutes", "Mindful minutes", Kind.INTERVAL, "min", _MINUTES, 0, 24 * 60),
    Metric("flights_climbed", "Flights climbed", Kind.CUMULATIVE, "count", _COUNT, 0, 10_000),
    Metric("exercise_minutes", "Exercise minutes", Kind.CUMULATIVE, "min", _MINUTES, 0, 24 * 60),
    Metric("stand_hours", "Stand hours", Kind.CUMULATIVE, "count", _COUNT, 0, 24),
]

METRICS: dict[str, Metric] = {metric.code: metric for metric in _ALL}
METRIC_CODES: tuple[str, ...] = tuple(METRICS)
BODY_MEASUREMENTS: tuple[str, ...] = tuple(m.code for m in _ALL if m.body_measurement and m.code != "body_weight")
