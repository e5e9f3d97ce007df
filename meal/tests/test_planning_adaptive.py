"""The TDEE estimate on synthetic users whose true expenditure is known, and the safe weekly step."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from meal.planning import adaptive
from meal.planning.adaptive import DailyData
from meal.targets import Targets

START = date(2026, 11, 2)


def synthetic_user(
    seed: int,
    *,
    true_tdee: float = 2450,
    mean_intake: float = 1950,
    days: int = 21,
    weight_noise_kg: float = 0.3,
    logging_noise: float = 0.08,
    expenditure: float | None = None,
) -> list[DailyData]:
    """Intake varying day to day, weight following the energy balance plus scale noise."""
    rng = random.Random(seed)
    weight = 82.0
    rows = []
    for offset in range(days):
        eaten = rng.gauss(mean_intake, 200)
        logged = eaten * (1 + rng.gauss(0, logging_noise))
        rows.append(
            DailyData(
                day=START + timedelta(days=offset),
                intake_kcal=logged,
                weight_kg=weight + rng.gauss(0, weight_noise_kg),
                expenditure_kcal=expenditure,
            )
        )
        weight += (eaten - true_tdee) / adaptive.KCAL_PER_KG
    return rows


def test_the_estimate_is_within_150_kcal_of_the_true_tdee_after_three_weeks() -> None:
    result = adaptive.estimate(synthetic_user(seed=7))
    assert result.enough_data
    assert result.tdee_kcal is not None
    assert abs(result.tdee_kcal - 2450) <= 150
    assert result.numbers["intake_days"] == 21
    assert result.numbers["weighings_used"] == 21
    assert result.numbers["trend_change_kg_per_week"] < 0  # a 500 kcal deficit loses weight


def test_over_200_synthetic_users_the_estimate_is_unbiased_and_mostly_within_150_kcal() -> None:
    errors = []
    for seed in range(200):
        true_tdee = 2000 + (seed % 10) * 100
        rows = synthetic_user(seed, true_tdee=true_tdee, mean_intake=true_tdee - 500 + (seed % 3) * 400)
        result = adaptive.estimate(rows)
        assert result.tdee_kcal is not None
        errors.append(result.tdee_kcal - true_tdee)
    within = sum(abs(error) <= 150 for error in errors) / len(errors)
    bias = sum(errors) / len(errors)
    # With 0.3 kg of daily scale noise the slope's standard error is ~100 kcal after 21 days.
    assert within >= 0.85, within
    assert abs(bias) < 25, bias


def test_an_ewma_endpoint_difference_would_have_been_biased() -> None:
    """Why the rate is a regression slope: the EWMA's lag under-reads a steady loss."""
    rows = synthetic_user(seed=3, weight_noise_kg=0.0, logging_noise=0.0)
    weights = [((row.day - START).days, row.weight_kg) for row in rows if row.weight_kg is not None]
    trend = adaptive.ewma_trend(weights)
    lagged_rate = (trend[-1][1] - trend[0][1]) / (trend[-1][0] - trend[0][0])
    intake = sum(row.intake_kcal or 0 for row in rows) / len(rows)
    lagged_tdee = intake - adaptive.KCAL_PER_KG * lagged_rate
    assert abs(lagged_tdee - 2450) > 150
    assert abs((adaptive.estimate(rows).tdee_kcal or 0) - 2450) <= 60


def test_a_scale_glitch_is_ignored() -> None:
    rows = synthetic_user(seed=11)
    glitch = rows[10]
    rows[10] = DailyData(day=glitch.day, intake_kcal=glitch.intake_kcal, weight_kg=(glitch.weight_kg or 0) + 6)
    result = adaptive.estimate(rows)
    assert result.numbers["weighings"] == 21
    assert result.numbers["weighings_used"] == 20
    assert abs((result.tdee_kcal or 0) - 2450) <= 150


@pytest.mark.parametrize(
    ("intake_days", "weights", "reason"),
    [(10, 21, "10 days with diary entries"), (21, 5, "5 weights over"), (21, 0, "0 weights over")],
)
def test_too_little_data_gives_no_estimate_and_says_why(intake_days: int, weights: int, reason: str) -> None:
    rows = [
        DailyData(
            day=row.day,
            intake_kcal=row.intake_kcal if index < intake_days else None,
            weight_kg=row.weight_kg if index < weights else None,
        )
        for index, row in enumerate(synthetic_user(seed=1))
    ]
    result = adaptive.estimate(rows)
    assert not result.enough_data
    assert reason in result.reason


def test_measured_expenditure_is_recorded_beside_the_estimate_not_blended() -> None:
    without = adaptive.estimate(synthetic_user(seed=5))
    with_device = adaptive.estimate(synthetic_user(seed=5, expenditure=2900))
    assert with_device.tdee_kcal == without.tdee_kcal
    assert with_device.numbers["measured_expenditure_kcal"] == 2900
    assert with_device.numbers["measured_minus_estimate_kcal"] == 2900 - (without.tdee_kcal or 0)


CURRENT = Targets(kcal=2200, protein_g=150, carbohydrate_g=230, fat_g=73)


def _estimate(tdee: int) -> adaptive.Estimate:
    return adaptive.Estimate(tdee, "energy balance over the window", {"tdee_kcal": tdee})


def test_a_step_is_capped_at_250_kcal_a_week() -> None:
    result = adaptive.adjust(current=CURRENT, tdee=_estimate(2400), goal="lose", floor_kcal=1500, pattern="")
    # lose: 2,400 x 0.8 = 1,920 wanted; 280 below the current 2,200, so one step of 250.
    assert result.changed
    assert result.targets.kcal == 1950
    assert result.numbers["desired_kcal"] == 1920
    assert result.numbers["step_kcal"] == -250
    assert "capped at 250" in result.reason
    assert result.targets.protein_g == 150
    assert abs(4 * result.targets.protein_g + 4 * result.targets.carbohydrate_g + 9 * result.targets.fat_g - 1950) < 10


def test_never_below_the_safety_floor() -> None:
    low = Targets(kcal=1300, protein_g=100, carbohydrate_g=120, fat_g=45)
    result = adaptive.adjust(current=low, tdee=_estimate(1400), goal="lose", floor_kcal=1250, pattern="")
    assert result.targets.kcal == 1250
    assert result.numbers["floor_applied"] is True
    assert "safety floor" in result.reason


def test_small_differences_and_missing_data_change_nothing() -> None:
    on_track = adaptive.adjust(current=CURRENT, tdee=_estimate(2210), goal="maintain", floor_kcal=1500, pattern="")
    assert not on_track.changed
    assert on_track.targets == CURRENT
    missing = adaptive.adjust(
        current=CURRENT,
        tdee=adaptive.Estimate(None, "3 days with diary entries"),
        goal="gain",
        floor_kcal=1500,
        pattern="",
    )
    assert not missing.changed
    assert missing.reason == "not enough data: 3 days with diary entries"


def test_keto_keeps_its_carbohydrate_limit_when_energy_moves() -> None:
    result = adaptive.adjust(current=CURRENT, tdee=_estimate(2600), goal="maintain", floor_kcal=1500, pattern="keto")
    assert result.targets.kcal == 2450
    assert result.targets.carbohydrate_g == 25
