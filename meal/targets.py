"""Daily targets from the profile, with the working shown.

Energy: Mifflin-St Jeor resting energy (BMR, kcal/day)

    BMR = 10 x weight_kg + 6.25 x height_cm - 5 x age_years + s
    s = +5 (male), -161 (female), -78 (other: the midpoint)

times an activity factor (``ACTIVITY_FACTORS``) gives the total daily energy expenditure
(TDEE). The goal then adjusts it (``GOAL_ADJUSTMENTS``: -20 % to lose, +10 % to gain), and the
result is never below the safety floor: the higher of the BMR and 1,200 kcal (female) /
1,500 kcal (male) / 1,350 kcal (other), the usual floors below which a diet needs medical
supervision.

Macros: protein in g per kg of body weight by goal (``PROTEIN_G_PER_KG``; +10 % for vegans,
whose protein sources are less digestible), fat as a share of energy (``FAT_SHARE``;
ketogenic and low-carb patterns set carbohydrate instead), carbohydrate the rest
(4 kcal/g protein and carbohydrate, 9 kcal/g fat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from users.models import Profile

ACTIVITY_FACTORS = {
    "sedentary": 1.2,
    "light": 1.375,
    "moderate": 1.55,
    "active": 1.725,
    "very_active": 1.9,
}
SEX_CONSTANT = {"male": 5.0, "female": -161.0, "other": -78.0}
GOAL_ADJUSTMENTS = {"lose": -0.20, "maintain": 0.0, "gain": 0.10, "performance": 0.05}
KCAL_FLOOR = {"male": 1500, "female": 1200, "other": 1350}
PROTEIN_G_PER_KG = {"lose": 2.0, "maintain": 1.6, "gain": 1.8, "performance": 1.8}
FAT_SHARE = 0.30
KETO_CARB_G = 25
LOW_CARB_SHARE = 0.25
REQUIRED_FIELDS = ("birth_date", "sex", "height_cm", "weight_kg", "activity_level")


class MissingProfileData(Exception):
    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass(frozen=True)
class Targets:
    kcal: int
    protein_g: int
    carbohydrate_g: int
    fat_g: int


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def split_macros(kcal: int, protein: int, pattern: str) -> tuple[int, int, int, str]:
    """Protein (capped at 35 % of energy), carbohydrate and fat in grams for ``kcal``, and how they were split.

    Shared by the computed targets and the adaptive re-planning, which moves the energy and
    keeps the same rules for the macros.
    """
    # Protein never takes more than 35 % of energy, however heavy the person.
    protein = min(protein, round(kcal * 0.35 / 4))
    if pattern == "keto":
        carbs = KETO_CARB_G
        fat = round((kcal - 4 * protein - 4 * carbs) / 9)
        split = "ketogenic: carbohydrate fixed at 25 g, fat the rest"
    elif pattern == "low_carb":
        carbs = round(kcal * LOW_CARB_SHARE / 4)
        fat = round((kcal - 4 * protein - 4 * carbs) / 9)
        split = "low carb: carbohydrate 25 % of energy, fat the rest"
    else:
        fat = round(kcal * FAT_SHARE / 9)
        carbs = round((kcal - 4 * protein - 9 * fat) / 4)
        split = "fat 30 % of energy, carbohydrate the rest"
    return protein, max(carbs, 0), max(fat, 0), split


def compute(profile: Profile, today: date) -> tuple[Targets, dict[str, Any]]:
    """The computed targets and an explanation (``method``, ``inputs``, intermediate values).

    Raises ``MissingProfileData`` naming every profile field the formula needs and lacks.
    """
    missing = [name for name in REQUIRED_FIELDS if getattr(profile, name) in (None, "")]
    if missing:
        raise MissingProfileData(missing)
    weight = float(profile.weight_kg)  # type: ignore[arg-type]
    height = float(profile.height_cm)  # type: ignore[arg-type]
    age = age_on(profile.birth_date, today)  # type: ignore[arg-type]
    sex = profile.sex
    goal = profile.fitness_goal or "maintain"
    pattern = profile.dietary_pattern or "omnivore"
    factor = ACTIVITY_FACTORS[profile.activity_level]

    bmr = 10 * weight + 6.25 * height - 5 * age + SEX_CONSTANT[sex]
    tdee = bmr * factor
    adjusted = tdee * (1 + GOAL_ADJUSTMENTS[goal])
    floor = max(bmr, KCAL_FLOOR[sex])
    kcal = round(max(adjusted, floor))

    protein_per_kg = PROTEIN_G_PER_KG[goal] * (1.1 if pattern == "vegan" else 1.0)
    protein, carbs, fat, split = split_macros(kcal, round(weight * protein_per_kg), pattern)
    explanation = {
        "method": "mifflin_st_jeor",
        "formula": "BMR = 10*weight_kg + 6.25*height_cm - 5*age + s; TDEE = BMR * activity_factor; "
        "target = max(TDEE * (1 + goal_adjustment), floor)",
        "inputs": {
            "weight_kg": weight,
            "height_cm": height,
            "age": age,
            "sex": sex,
            "activity_level": profile.activity_level,
            "fitness_goal": goal,
            "fitness_goal_assumed": not profile.fitness_goal,
            "dietary_pattern": pattern,
        },
        "bmr_kcal": round(bmr),
        "activity_factor": factor,
        "tdee_kcal": round(tdee),
        "goal_adjustment": GOAL_ADJUSTMENTS[goal],
        "floor_kcal": round(floor),
        "floor_applied": adjusted < floor,
        "protein_g_per_kg": round(protein_per_kg, 2),
        "macro_split": split,
    }
    return Targets(kcal=kcal, protein_g=protein, carbohydrate_g=max(carbs, 0), fat_g=max(fat, 0)), explanation
