"""Food search on the real, shipped food database (PostgreSQL: full-text plus trigram ranking)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from conftest import api_key_client_for
from meal.importers.off import import_off
from meal.importers.usda_sr import SHIPPED_DIR, import_usda_sr

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="ranked search with typos needs PostgreSQL"),
]

OFF_SAMPLE = Path(__file__).parent / "data" / "off" / "products.jsonl"


@pytest.fixture
def foods() -> None:
    import_usda_sr(SHIPPED_DIR)
    import_off(OFF_SAMPLE)


def first(client, text: str) -> dict:
    response = client.get("/api/v1/nutrition/foods/", {"search": text, "limit": 5})
    assert response.status_code == 200
    return response.json()["results"][0]


def test_searches_find_the_right_food_first(foods, tenant) -> None:
    partner = api_key_client_for(tenant, ["nutrition:read"])
    chicken = first(partner, "chicken breast")
    assert chicken["name"].lower().startswith("chicken") and "breast" in chicken["name"].lower()
    assert first(partner, "brocoli")["name"].lower().startswith("broccoli")  # a typo still matches
    assert first(partner, "Madelaine")["brand"] == "Madelaine Chocolate Novelties"  # a brand
    assert first(partner, "monterey jack")["name"] == "Monterey Jack"
    # And a barcode, through the lookup: the UPC-A form finds the EAN-13 the product was stored under.
    scanned = partner.get("/api/v1/nutrition/foods/barcode/000609124107/")
    assert scanned.status_code == 200 and scanned.json()["name"] == "Solid Milk Chocolate"
    # Monterey Jack's code (00002220) fails its check digit: imported, but without a barcode.
    assert partner.get("/api/v1/nutrition/foods/barcode/00002220/").status_code == 400


def test_a_word_being_typed_already_matches(foods, tenant) -> None:
    partner = api_key_client_for(tenant, ["nutrition:read"])
    assert first(partner, "brocc")["name"].lower().startswith("broccoli")
    chicken = first(partner, "chicken brea")
    assert chicken["name"].lower().startswith("chicken") and "breast" in chicken["name"].lower()


def test_search_combines_with_filters(foods, tenant) -> None:
    partner = api_key_client_for(tenant, ["nutrition:read"])
    response = partner.get("/api/v1/nutrition/foods/", {"search": "cheese", "allergen_free": "milk"})
    assert response.status_code == 200
    assert all("milk" not in row["allergens"] for row in response.json()["results"])
    lean = partner.get("/api/v1/nutrition/foods/", {"search": "chicken", "min_protein": 25, "max_kcal": 200}).json()
    assert lean["count"] > 0
    assert all(row["protein_g"] >= 25 and row["energy_kcal"] <= 200 for row in lean["results"])


def test_a_brand_is_found_unstemmed_beside_names_that_stem(tenant) -> None:
    from meal.tests.factories import FoodFactory

    # English stemming makes "skippy" 'skippi' in names; brands are indexed as written.
    FoodFactory.create(name="Peanut butter, creamy", brand="Skippy")
    FoodFactory.create(name="Skippy's dog biscuits")
    partner = api_key_client_for(tenant, ["nutrition:read"])
    names = [row["name"] for row in partner.get("/api/v1/nutrition/foods/", {"search": "skippy"}).json()["results"]]
    assert set(names) == {"Peanut butter, creamy", "Skippy's dog biscuits"}
