"""Barcodes, targets and the admin: the small parts with rules of their own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from meal.barcodes import BarcodeError, check_digit, normalize_barcode
from meal.models import Food, Meal
from meal.targets import MissingProfileData, compute
from meal.tests.factories import FoodFactory, MealFactory, MealItemFactory
from users.models import Profile


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("4006381333931", "4006381333931"),  # EAN-13
        ("96385074", "96385074"),  # EAN-8
        ("036000291452", "0036000291452"),  # UPC-A, stored as its EAN-13
        (" 4006-3813 33931 ", "4006381333931"),  # as printed
    ],
)
def test_barcodes_normalise(raw: str, stored: str) -> None:
    assert normalize_barcode(raw) == stored


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("4006381333932", "invalid_check_digit"),
        ("96385075", "invalid_check_digit"),
        ("12345", "invalid_format"),
        ("".join(chr(0xFF10 + int(d)) for d in "4006381333931"), "invalid_format"),  # fullwidth digits
        ("40063813339311", "invalid_format"),
    ],
)
def test_bad_barcodes_say_why(raw: str, code: str) -> None:
    with pytest.raises(BarcodeError) as caught:
        normalize_barcode(raw)
    assert caught.value.code == code


def test_check_digit_of_a_known_code() -> None:
    assert check_digit("400638133393") == 1


def _profile(**kwargs: object) -> Profile:
    values: dict[str, object] = {
        "birth_date": date(1996, 3, 1),
        "sex": "female",
        "height_cm": Decimal("170"),
        "weight_kg": Decimal("65"),
        "activity_level": "light",
        "fitness_goal": "maintain",
        "dietary_pattern": "",
    }
    values.update(kwargs)
    return Profile(**values)


def test_mifflin_st_jeor_maintenance() -> None:
    targets, explanation = compute(_profile(), date(2026, 12, 1))
    bmr = 10 * 65 + 6.25 * 170 - 5 * 30 - 161
    assert explanation["bmr_kcal"] == round(bmr) and explanation["inputs"]["age"] == 30
    assert targets.kcal == round(bmr * 1.375)
    assert targets.protein_g == round(65 * 1.6)
    assert targets.fat_g == round(targets.kcal * 0.30 / 9)
    assert abs(4 * targets.protein_g + 4 * targets.carbohydrate_g + 9 * targets.fat_g - targets.kcal) <= 6


def test_keto_fixes_carbohydrate_and_vegans_get_more_protein() -> None:
    keto, _ = compute(_profile(dietary_pattern="keto"), date(2026, 12, 1))
    assert keto.carbohydrate_g == 25 and keto.fat_g > 100
    vegan, _ = compute(_profile(dietary_pattern="vegan"), date(2026, 12, 1))
    assert vegan.protein_g == round(65 * 1.6 * 1.1)


def test_missing_profile_fields_are_named() -> None:
    with pytest.raises(MissingProfileData) as caught:
        compute(_profile(sex="", weight_kg=None), date(2026, 12, 1))
    assert caught.value.fields == ["sex", "weight_kg"]


@pytest.mark.django_db
def test_staff_search_foods_and_edit_templates_in_the_admin(staff_client) -> None:
    food = FoodFactory.create(name="Lentils, boiled", allergens=[])
    listed = staff_client.get("/admin/meal/food/", {"q": "lentils"})
    assert listed.status_code == 200 and b"Lentils, boiled" in listed.content
    page = staff_client.get(f"/admin/meal/food/{food.pk}/change/")
    assert page.status_code == 200
    template = MealFactory.create(tenant=None, user=None, name="FitCore lentil bowl")
    MealItemFactory.create(meal=template, food=food, grams=200)
    assert staff_client.get(f"/admin/meal/meal/{template.pk}/change/").status_code == 200
    for path in ("/admin/meal/mealplan/", "/admin/meal/foodlogentry/", "/admin/meal/foodcategory/"):
        assert staff_client.get(path).status_code == 200, path
    assert Food.objects.count() == 1 and Meal.objects.count() == 1
