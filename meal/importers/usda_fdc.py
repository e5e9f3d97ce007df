"""USDA FoodData Central (FDC), the official CSV download: an unpacked directory or the zip.

Files are found by name wherever they sit (the official zip keeps them in a top-level
folder): ``food.csv`` (fdc_id, data_type, description, food_category_id) and
``food_nutrient.csv`` (fdc_id, nutrient_id, amount per 100 g) are required;
``food_category.csv``, ``food_portion.csv`` and ``measure_unit.csv`` are used when present.

Only foods are imported (data types foundation_food, sr_legacy_food, survey_fndds_food);
the samples and acquisitions a Foundation download also lists are skipped as
``data_type:<type>``.

Nutrient ids, the first one present wins:

- energy: 1008 (kcal, "stated"), else 2048 (Atwater specific factors), else 2047 (Atwater
  general factors), else computed by FitCore from 4/4/9;
- protein 1003, fat 1004, carbohydrate 1005 else 1050 (by summation), sugars 2000 else
  1063, fiber 1079, sodium 1093 (mg), saturated fat 1258;
- micronutrients: ``Micronutrient.fdc_ids``.

food_nutrient.csv is streamed; only the values of the nutrients above for the foods of
food.csv are kept, so memory follows the number of foods, not of nutrient rows.
A food whose nutrient row is malformed is not imported (that row is reported).
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from meal.models import Food
from meal.nutrients import MICRONUTRIENTS

from . import rules
from .base import (
    BATCH_SIZE,
    FoodRow,
    ImportFormatError,
    ImportReport,
    Malformed,
    Parsed,
    PortionRow,
    Progress,
    RowError,
    Skipped,
    ensure_readable,
    format_amount,
    parse_number,
    write_foods,
)

FOOD_TYPES = frozenset({"foundation_food", "sr_legacy_food", "survey_fndds_food"})
ENERGY_IDS = (
    (1008, Food.EnergyBasis.STATED),
    (2048, Food.EnergyBasis.ATWATER_SPECIFIC),
    (2047, Food.EnergyBasis.ATWATER_GENERAL),
)
PROTEIN, FAT, CARBOHYDRATE, CARBOHYDRATE_BY_SUMMATION = 1003, 1004, 1005, 1050
SUGARS, SUGARS_NLEA, FIBER, SODIUM, SATURATED_FAT = 2000, 1063, 1079, 1093, 1258
NEEDED_IDS = frozenset(
    {energy_id for energy_id, _ in ENERGY_IDS}
    | {PROTEIN, FAT, CARBOHYDRATE, CARBOHYDRATE_BY_SUMMATION, SUGARS, SUGARS_NLEA, FIBER, SODIUM, SATURATED_FAT}
    | {fdc_id for item in MICRONUTRIENTS for fdc_id in item.fdc_ids}
)
UNDETERMINED_UNITS = frozenset({"", "undetermined"})
HINT = "Is it the FoodData Central CSV download (a directory or its zip)?"


@dataclass(frozen=True)
class _Food:
    line: int
    fdc_id: str
    name: str
    category_id: str


class _CsvFiles:
    """The CSV files of a directory (searched recursively) or a zip, by base name."""

    def __init__(self, path: Path) -> None:
        self.zip: zipfile.ZipFile | None = None
        self.index: dict[str, str] = {}
        if path.is_dir():
            # The shallowest file of a name wins.
            for found in sorted(path.rglob("*.csv"), key=lambda item: (len(item.parts), str(item))):
                self.index.setdefault(found.name, str(found))
        elif path.is_file():
            if not zipfile.is_zipfile(path):
                raise ImportFormatError(f"{path} is neither a directory nor a zip file. {HINT}")
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ImportFormatError(f"{path} cannot be opened as a zip file: {exc}") from None
            members = [info.filename for info in self.zip.infolist() if not info.is_dir()]
            for member in sorted(members, key=lambda name: (name.count("/"), name)):
                self.index.setdefault(PurePosixPath(member).name, member)
        else:
            raise ImportFormatError(f"{path} does not exist.")

    def has(self, name: str) -> bool:
        return name in self.index

    @contextmanager
    def open(self, name: str) -> Iterator[TextIO]:
        if name not in self.index:
            raise ImportFormatError(f"No {name} found. {HINT}")
        # Foreign bytes become U+FFFD: a binary file then fails on its header, not mid-way.
        if self.zip is not None:
            try:
                raw = self.zip.open(self.index[name])
            except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
                raise ImportFormatError(f"{name} cannot be read from the zip file: {exc}") from None
            with raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        else:
            with open(self.index[name], encoding="utf-8-sig", errors="replace", newline="") as stream:
                yield stream

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


class _Table:
    """Rows of one CSV file as lists, with the column positions of its header."""

    def __init__(self, stream: TextIO, name: str, required: tuple[str, ...]) -> None:
        self.name = name
        self.reader = csv.reader(stream)
        try:
            header = next(self.reader)
        except StopIteration:
            raise ImportFormatError(f"{name} is empty. {HINT}") from None
        except csv.Error as exc:
            raise ImportFormatError(f"{name}: {exc}. {HINT}") from None
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as exc:
            raise ImportFormatError(f"{name} cannot be read: {exc}") from None
        self.columns = {column.strip(): position for position, column in enumerate(header)}
        self.width = len(header)
        missing = [column for column in required if column not in self.columns]
        if missing:
            raise ImportFormatError(f"{name} has no column {', '.join(missing)}. {HINT}")

    def rows(self) -> Iterator[tuple[int, list[str] | RowError]]:
        """(line number, fields) per record, or the ``RowError`` of a broken one."""
        while True:
            try:
                values = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield self.reader.line_num, RowError(str(exc))
                continue
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError) as exc:
                # Truncated or corrupt data, or a compression method Python cannot read (Deflate64).
                raise ImportFormatError(
                    f"{self.name} cannot be read after line {self.reader.line_num}: {exc}"
                ) from None
            if not any(value.strip() for value in values):
                continue
            if len(values) != self.width:
                yield self.reader.line_num, RowError(f"expected {self.width} fields, found {len(values)}")
                continue
            yield self.reader.line_num, values

    def get(self, values: list[str], column: str) -> str:
        position = self.columns.get(column)
        return values[position].strip() if position is not None else ""


def import_usda_fdc(
    path: str | Path, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> ImportReport:
    """Import (or refresh) the foods of an FDC CSV download at ``path`` (directory or zip)."""
    started = time.perf_counter()
    report = ImportReport(source="usda-fdc")
    files = _CsvFiles(Path(path))
    try:
        entries = _food_list(files)
        wanted = {entry.fdc_id for entry in entries if isinstance(entry, _Food)}
        categories = _categories(files)
        nutrients, broken = _nutrients(files, wanted, report)
        portions = _portions(files, wanted, report)
    finally:
        files.close()
    if progress is not None:
        progress.start(len(entries))
    items = _rows(entries, categories, nutrients, broken, portions)
    write_foods(items, source=Food.Source.USDA_FDC, report=report, batch_size=batch_size, progress=progress)
    ensure_readable(report, "food.csv", HINT)
    report.seconds = time.perf_counter() - started
    return report


def _food_list(files: _CsvFiles) -> list[_Food | Parsed]:
    """food.csv in file order: foods to import, or what to report instead."""
    entries: list[_Food | Parsed] = []
    with files.open("food.csv") as stream:
        table = _Table(stream, "food.csv", ("fdc_id", "description"))
        for line, values in table.rows():
            if isinstance(values, RowError):
                entries.append(Malformed(line, f"food.csv: {values}"))
                continue
            fdc_id = table.get(values, "fdc_id")
            data_type = table.get(values, "data_type")
            if not fdc_id.isdigit():
                entries.append(Malformed(line, f"food.csv: fdc_id {fdc_id[:30]!r} is not a number"))
            elif data_type and data_type not in FOOD_TYPES:
                entries.append(Skipped(line, f"data_type:{data_type}"))
            else:
                name, category_id = table.get(values, "description"), table.get(values, "food_category_id")
                entries.append(_Food(line=line, fdc_id=fdc_id, name=name, category_id=category_id))
    return entries


def _categories(files: _CsvFiles) -> dict[str, tuple[str, str]]:
    """food_category id -> (USDA group code, name)."""
    if not files.has("food_category.csv"):
        return {}
    found = {}
    with files.open("food_category.csv") as stream:
        table = _Table(stream, "food_category.csv", ("id", "description"))
        for _, values in table.rows():
            if not isinstance(values, RowError):
                found[table.get(values, "id")] = (table.get(values, "code"), table.get(values, "description"))
    return found


def _nutrients(
    files: _CsvFiles, wanted: set[str], report: ImportReport
) -> tuple[dict[str, dict[int, float]], dict[str, Malformed]]:
    """Amounts of the needed nutrients per food, and per food the first malformed row."""
    amounts: defaultdict[str, dict[int, float]] = defaultdict(dict)
    broken: dict[str, Malformed] = {}
    with files.open("food_nutrient.csv") as stream:
        table = _Table(stream, "food_nutrient.csv", ("fdc_id", "nutrient_id", "amount"))
        for line, values in table.rows():
            if isinstance(values, RowError):
                # Whose row it was cannot be trusted: reported on its own.
                report.add_malformed(line, f"food_nutrient.csv: {values}")
                continue
            fdc_id = table.get(values, "fdc_id")
            if fdc_id not in wanted:
                continue
            try:
                nutrient_id = int(parse_number(table.get(values, "nutrient_id"), "nutrient_id") or 0)
                if nutrient_id not in NEEDED_IDS:
                    continue
                amount = parse_number(table.get(values, "amount"), f"nutrient {nutrient_id} amount")
            except RowError as exc:
                broken.setdefault(fdc_id, Malformed(line, f"food_nutrient.csv: {exc} (food {fdc_id})"))
                continue
            if amount is not None:
                amounts[fdc_id].setdefault(nutrient_id, amount)
    return amounts, broken


def _portion_label(amount: float | None, unit: str, description: str, modifier: str) -> str | None:
    """ "1 cup, chopped": amount, unit, then modifier and description where present.

    The unit "undetermined" (SR Legacy and survey foods) carries its measure in the
    description or modifier; without either there is nothing to show.
    """
    if unit.lower() in UNDETERMINED_UNITS:
        if description:
            return description
        if modifier:
            return f"{format_amount(amount)} {modifier}" if amount is not None else modifier
        return None
    head = f"{format_amount(amount)} {unit}" if amount is not None else unit
    return ", ".join([head, *(text for text in (modifier, description) if text)])


def _portions(files: _CsvFiles, wanted: set[str], report: ImportReport) -> dict[str, list[PortionRow]]:
    if not files.has("food_portion.csv"):
        return {}
    units: dict[str, str] = {}
    if files.has("measure_unit.csv"):
        with files.open("measure_unit.csv") as stream:
            table = _Table(stream, "measure_unit.csv", ("id", "name"))
            for _, values in table.rows():
                if not isinstance(values, RowError):
                    units[table.get(values, "id")] = table.get(values, "name")
    found: defaultdict[str, list[tuple[float, PortionRow]]] = defaultdict(list)
    with files.open("food_portion.csv") as stream:
        table = _Table(stream, "food_portion.csv", ("fdc_id", "gram_weight"))
        for line, values in table.rows():
            if isinstance(values, RowError):
                report.add_malformed(line, f"food_portion.csv: {values}")
                continue
            fdc_id = table.get(values, "fdc_id")
            if fdc_id not in wanted:
                continue
            try:
                amount = parse_number(table.get(values, "amount"), "amount")
                grams = parse_number(table.get(values, "gram_weight"), "gram_weight")
                order = parse_number(table.get(values, "seq_num"), "seq_num")
            except RowError as exc:
                report.add_malformed(line, f"food_portion.csv: {exc}")
                continue
            unit = units.get(table.get(values, "measure_unit_id"), "")
            label = _portion_label(
                amount, unit, table.get(values, "portion_description"), table.get(values, "modifier")
            )
            if label is None:
                report.warn("portion_undetermined")
            elif grams is None or grams <= 0:
                report.warn("portion_without_weight")
            else:
                found[fdc_id].append((order if order is not None else float(line), PortionRow(label, grams)))
    return {
        fdc_id: [portion for _, portion in sorted(rows, key=lambda item: item[0])] for fdc_id, rows in found.items()
    }


def _rows(
    entries: list[_Food | Parsed],
    categories: dict[str, tuple[str, str]],
    nutrients: dict[str, dict[int, float]],
    broken: dict[str, Malformed],
    portions: dict[str, list[PortionRow]],
) -> Iterator[Parsed]:
    for entry in entries:
        if not isinstance(entry, _Food):
            yield entry
        elif entry.fdc_id in broken:
            yield broken[entry.fdc_id]
        else:
            yield _food(entry, categories, nutrients.get(entry.fdc_id, {}), portions.get(entry.fdc_id, []))


def _first(values: dict[int, float], *ids: int) -> float | None:
    for nutrient_id in ids:
        if nutrient_id in values:
            return values[nutrient_id]
    return None


def _food(
    entry: _Food, categories: dict[str, tuple[str, str]], values: dict[int, float], portions: list[PortionRow]
) -> FoodRow:
    group_code, category = categories.get(entry.category_id, ("", ""))
    energy, basis = None, Food.EnergyBasis.STATED
    for energy_id, energy_basis in ENERGY_IDS:
        if energy_id in values:
            energy, basis = values[energy_id], energy_basis
            break
    micronutrients = {}
    for item in MICRONUTRIENTS:
        amount = _first(values, *item.fdc_ids)
        if amount is not None:
            micronutrients[item.key] = amount
    derived = rules.derive(entry.name, group_code)
    return FoodRow(
        line=entry.line,
        source_id=entry.fdc_id,
        name=entry.name,
        category=category,
        energy_kcal=energy,
        energy_basis=basis,
        protein_g=values.get(PROTEIN),
        fat_g=values.get(FAT),
        carbohydrate_g=_first(values, CARBOHYDRATE, CARBOHYDRATE_BY_SUMMATION),
        sugar_g=_first(values, SUGARS, SUGARS_NLEA),
        fiber_g=values.get(FIBER),
        sodium_mg=values.get(SODIUM),
        saturated_fat_g=values.get(SATURATED_FAT),
        micronutrients=micronutrients,
        allergens=derived.allergens,
        vegan=derived.vegan,
        vegetarian=derived.vegetarian,
        portions=portions,
    )
