"""Open Food Facts: a JSONL export (one product per line), plain or gzip-compressed.

The file is streamed line by line, so memory stays flat whatever its size. Per product:

- ``source_id``: ``code``; the barcode is ``normalize_barcode(code)``. A product whose code
  is not a valid EAN/UPC is still imported, without a barcode (warning ``barcode_invalid``).
- name: ``product_name``, else ``product_name_en`` (none: skipped, ``no_name``); brand: the
  first of the comma-separated ``brands``; category: ``pnns_groups_1`` unless "unknown".
- nutrients from ``nutriments`` per 100 g: ``energy-kcal_100g``, else ``energy_100g`` (kJ)
  / 4.184, both "stated", else computed from 4/4/9; ``proteins_100g``,
  ``carbohydrates_100g``, ``fat_100g``, ``saturated-fat_100g``, ``sugars_100g``,
  ``fiber_100g``; sodium from ``sodium_100g`` (g) x 1000, else ``salt_100g`` x 400;
  micronutrients from ``Micronutrient.off_key`` x ``off_factor``.
- ``allergens_tags`` mapped to EU-14 codes (``ALLERGEN_TAGS``); ``ingredients_analysis_tags``
  give vegan / vegetarian (en:vegan True, en:non-vegan False, maybe or unknown None). A
  vegan product is also vegetarian, a non-vegetarian one is not vegan, and contradictory
  tags leave both unknown.

A line that is not a JSON object is malformed (with its line number); a product without
energy or macros is skipped.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Iterator
from io import BufferedIOBase
from pathlib import Path
from typing import Any

from meal.barcodes import BarcodeError, normalize_barcode
from meal.models import Food
from meal.nutrients import MICRONUTRIENTS

from .base import (
    BATCH_SIZE,
    FoodRow,
    ImportFormatError,
    ImportReport,
    Malformed,
    Parsed,
    Progress,
    RowError,
    Skipped,
    ensure_readable,
    json_number,
    write_foods,
)

KJ_PER_KCAL = 4.184
SODIUM_MG_PER_G_SALT = 400.0  # salt is 40 % sodium
ALLERGEN_TAGS = {
    "en:gluten": "gluten",
    "en:crustaceans": "crustaceans",
    "en:eggs": "eggs",
    "en:fish": "fish",
    "en:peanuts": "peanuts",
    "en:soybeans": "soy",
    "en:milk": "milk",
    "en:nuts": "tree_nuts",
    "en:celery": "celery",
    "en:mustard": "mustard",
    "en:sesame-seeds": "sesame",
    "en:sulphur-dioxide-and-sulphites": "sulphites",
    "en:lupin": "lupin",
    "en:molluscs": "molluscs",
}
HINT = "Is it an Open Food Facts JSONL export (one JSON product per line, optionally .gz)?"


def import_off(path: str | Path, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None) -> ImportReport:
    """Import (or refresh) the products of an Open Food Facts JSONL file at ``path``."""
    started = time.perf_counter()
    report = ImportReport(source="off")
    file = Path(path)
    if not file.is_file():
        raise ImportFormatError(f"{file} does not exist or is not a file.")
    if progress is not None:
        progress.start(None)
    with _open(file) as stream:
        write_foods(
            _products(stream, report), source=Food.Source.OFF, report=report, batch_size=batch_size, progress=progress
        )
    ensure_readable(report, str(file), HINT)
    report.seconds = time.perf_counter() - started
    return report


def _open(file: Path) -> BufferedIOBase:
    """gzip when the file starts with gzip's magic bytes, whatever its name."""
    with file.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    return gzip.open(file, "rb") if compressed else file.open("rb")


def _products(stream: BufferedIOBase, report: ImportReport) -> Iterator[Parsed]:
    number = 0
    try:
        for raw in stream:
            number += 1
            if not raw.strip():
                continue
            yield _product(number, raw, report)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFormatError(f"The file cannot be read after line {number}: {exc}") from None


def _product(number: int, raw: bytes, report: ImportReport) -> Parsed:
    try:
        product = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return Malformed(number, f"not JSON ({exc})")
    if not isinstance(product, dict):
        return Malformed(number, "not a JSON object")
    code = product.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip():
        return Skipped(number, "no_code")
    nutriments = product.get("nutriments") or {}
    if not isinstance(nutriments, dict):
        return Malformed(number, "nutriments is not a JSON object")
    try:
        return _food(number, code.strip(), product, nutriments, report)
    except RowError as exc:
        return Malformed(number, str(exc))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _food(number: int, code: str, product: dict[str, Any], nutriments: dict[str, Any], report: ImportReport) -> FoodRow:
    def amount(key: str) -> float | None:
        return json_number(nutriments.get(key), key)

    energy = amount("energy-kcal_100g")
    if energy is None:
        kilojoules = amount("energy_100g")
        energy = round(kilojoules / KJ_PER_KCAL, 1) if kilojoules is not None else None
    sodium = amount("sodium_100g")
    if sodium is not None:
        sodium_mg: float | None = round(sodium * 1000, 3)
    else:
        salt = amount("salt_100g")
        sodium_mg = round(salt * SODIUM_MG_PER_G_SALT, 3) if salt is not None else None
    micronutrients = {}
    for item in MICRONUTRIENTS:
        if item.off_key:
            value = amount(item.off_key)
            if value is not None:
                # Rounded: 0.0012 g x 1000 is 1.2000000000000002 mg in binary floating point.
                micronutrients[item.key] = round(value * item.off_factor, 6)
    barcode = ""
    try:
        barcode = normalize_barcode(code)
    except BarcodeError:
        report.warn("barcode_invalid")
    name = _text(product.get("product_name")).strip() or _text(product.get("product_name_en"))
    brands = _text(product.get("brands"))
    group = _text(product.get("pnns_groups_1")).strip()
    vegan, vegetarian = _diet(product.get("ingredients_analysis_tags"))
    tags = product.get("allergens_tags")
    # Tags are strings in the dump; anything else (a dict, a list) is ignored, not fatal.
    allergens = (
        [ALLERGEN_TAGS[t] for t in tags if isinstance(t, str) and t in ALLERGEN_TAGS] if isinstance(tags, list) else []
    )
    return FoodRow(
        line=number,
        source_id=code,
        name=name,
        brand=brands.split(",")[0],
        barcode=barcode,
        category=_humanise(group) if group.lower() != "unknown" else "",
        energy_kcal=energy,
        protein_g=amount("proteins_100g"),
        carbohydrate_g=amount("carbohydrates_100g"),
        fat_g=amount("fat_100g"),
        saturated_fat_g=amount("saturated-fat_100g"),
        sugar_g=amount("sugars_100g"),
        fiber_g=amount("fiber_100g"),
        sodium_mg=sodium_mg,
        micronutrients=micronutrients,
        allergens=allergens,
        vegan=vegan,
        vegetarian=vegetarian,
    )


def _humanise(group: str) -> str:
    """ "fruits-and-vegetables" or "Fruits and vegetables" -> "Fruits and vegetables"."""
    text = " ".join(group.replace("-", " ").replace("_", " ").split())
    return text[:1].upper() + text[1:]


def _diet(tags: Any) -> tuple[bool | None, bool | None]:
    present = set(tags) if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags) else set()
    vegan = True if "en:vegan" in present else False if "en:non-vegan" in present else None
    vegetarian = True if "en:vegetarian" in present else False if "en:non-vegetarian" in present else None
    if vegan is True and vegetarian is False:
        return None, None  # contradictory tags: nothing is known
    if vegan is True and vegetarian is None:
        vegetarian = True
    if vegetarian is False and vegan is None:
        vegan = False
    return vegan, vegetarian
