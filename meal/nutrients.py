"""The nutrients a food carries, in one documented structure.

Macronutrients are columns of ``Food`` (per 100 g of the edible part): they are filtered,
sorted and summed on every diary and plan query. Micronutrients live in
``Food.micronutrients``, a JSON object whose keys carry their unit, e.g.
``{"calcium_mg": 125.0, "vitamin_d_ug": 1.2}``. A key that is absent means the source did
not measure it: unknown is not zero.

``MICRONUTRIENTS`` is the catalogue: the key, a label, the unit, the adult reference daily
intake used by the diary summary (EU Regulation 1169/2011 Annex XIII where it sets one,
else the US FDA daily value; cholesterol and trans fat are upper limits, not targets), and
where each importer finds it: the SR28 ABBREV.txt column (0-based), the FoodData Central
nutrient id, and the Open Food Facts ``nutriments`` key with the factor that turns the
Open Food Facts unit (grams) into ours.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Micronutrient:
    key: str
    label: str
    unit: str  # "mg", "ug" or "g"
    reference_intake: float | None
    limit: bool  # True: the reference is a daily maximum, not a target
    sr28_column: int | None
    fdc_ids: tuple[int, ...]
    off_key: str | None
    off_factor: float  # Open Food Facts stores grams per 100 g: x1000 for mg, x1e6 for ug


MICRONUTRIENTS: tuple[Micronutrient, ...] = (
    Micronutrient("calcium_mg", "Calcium", "mg", 800, False, 10, (1087,), "calcium_100g", 1e3),
    Micronutrient("iron_mg", "Iron", "mg", 14, False, 11, (1089,), "iron_100g", 1e3),
    Micronutrient("magnesium_mg", "Magnesium", "mg", 375, False, 12, (1090,), "magnesium_100g", 1e3),
    Micronutrient("phosphorus_mg", "Phosphorus", "mg", 700, False, 13, (1091,), "phosphorus_100g", 1e3),
    Micronutrient("potassium_mg", "Potassium", "mg", 2000, False, 14, (1092,), "potassium_100g", 1e3),
    Micronutrient("zinc_mg", "Zinc", "mg", 10, False, 16, (1095,), "zinc_100g", 1e3),
    Micronutrient("copper_mg", "Copper", "mg", 1, False, 17, (1098,), "copper_100g", 1e3),
    Micronutrient("manganese_mg", "Manganese", "mg", 2, False, 18, (1101,), "manganese_100g", 1e3),
    Micronutrient("selenium_ug", "Selenium", "ug", 55, False, 19, (1103,), "selenium_100g", 1e6),
    Micronutrient("vitamin_c_mg", "Vitamin C", "mg", 80, False, 20, (1162,), "vitamin-c_100g", 1e3),
    Micronutrient("thiamin_mg", "Thiamin (B1)", "mg", 1.1, False, 21, (1165,), "vitamin-b1_100g", 1e3),
    Micronutrient("riboflavin_mg", "Riboflavin (B2)", "mg", 1.4, False, 22, (1166,), "vitamin-b2_100g", 1e3),
    Micronutrient("niacin_mg", "Niacin (B3)", "mg", 16, False, 23, (1167,), "vitamin-pp_100g", 1e3),
    Micronutrient("vitamin_b6_mg", "Vitamin B6", "mg", 1.4, False, 25, (1175,), "vitamin-b6_100g", 1e3),
    # Dietary folate equivalents (SR28 Folate_DFE); FDC Foundation foods report total folate.
    Micronutrient("folate_ug", "Folate", "ug", 200, False, 29, (1190, 1177), "vitamin-b9_100g", 1e6),
    Micronutrient("vitamin_b12_ug", "Vitamin B12", "ug", 2.5, False, 31, (1178,), "vitamin-b12_100g", 1e6),
    # Retinol activity equivalents.
    Micronutrient("vitamin_a_ug", "Vitamin A", "ug", 800, False, 33, (1106,), "vitamin-a_100g", 1e6),
    Micronutrient("vitamin_e_mg", "Vitamin E", "mg", 12, False, 40, (1109,), "vitamin-e_100g", 1e3),
    Micronutrient("vitamin_d_ug", "Vitamin D", "ug", 5, False, 41, (1114,), "vitamin-d_100g", 1e6),
    Micronutrient("vitamin_k_ug", "Vitamin K", "ug", 75, False, 43, (1185,), "vitamin-k_100g", 1e6),
    Micronutrient("cholesterol_mg", "Cholesterol", "mg", 300, True, 47, (1253,), "cholesterol_100g", 1e3),
    Micronutrient("trans_fat_g", "Trans fat", "g", 2.2, True, None, (1257,), "trans-fat_100g", 1.0),
)
MICRONUTRIENT_KEYS = frozenset(item.key for item in MICRONUTRIENTS)
BY_KEY = {item.key: item for item in MICRONUTRIENTS}

# Upper bounds a value per 100 g can physically reach, for validation of custom foods and
# imported rows: nothing weighs more than 100 g in 100 g, and pure fat is 902 kcal (USDA counts
# 9.02 kcal per gram of fat: lard, tallow and fish oils are 902 in SR28).
MAX_GRAMS_PER_100G = 100.0
MAX_KCAL_PER_100G = 902.0
MAX_SODIUM_MG_PER_100G = 40_000.0
# Protein, carbohydrate and fat of 100 g: at most 100 g, with 5 g of slack for rounding in sources.
MAX_MACROS_PER_100G = 105.0  # table salt is 38.8 g sodium per 100 g
# A micronutrient value above this (in its own unit, per 100 g) is a unit error in the source.
MAX_MICRONUTRIENT = 100_000.0


def atwater_kcal(protein_g: float, carbohydrate_g: float, fat_g: float) -> float:
    """Energy from the general Atwater factors 4/4/9, for sources that do not state it."""
    return round(4 * protein_g + 4 * carbohydrate_g + 9 * fat_g, 1)
