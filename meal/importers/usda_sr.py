"""USDA National Nutrient Database for Standard Reference, Release 28 (SR28), ASCII files.

Reads from one directory, each file plain or gzip-compressed (``ABBREV.txt`` or
``ABBREV.txt.gz``):

- ``ABBREV.txt``: one food per line, nutrients per 100 g in fixed columns (0-based:
  3 Energ_Kcal, 4 Protein, 5 Lipid_Tot, 7 Carbohydrt, 8 Fiber_TD, 9 Sugar_Tot, 15 Sodium
  in mg, 44 FA_Sat; micronutrients at ``Micronutrient.sr28_column``). It drives the import:
  one food per line, and its line numbers are the ones reported.
- ``FOOD_DES.txt``: NDB_No, FdGrp_Cd, Long_Desc (the name), Shrt_Desc, ComName,
  ManufacName (the brand), ... A food missing here keeps ABBREV's short description as its
  name (warning ``name_from_abbrev``).
- ``FD_GROUP.txt``: food group code and name, the food's category.
- ``WEIGHT.txt``: household portions, NDB_No, Seq, Amount, Msre_Desc, Gm_Wgt
  ("1" + "cup, chopped" = 91 g).

The format: no header, ``^`` between fields, ``~`` around text, CRLF line ends; an empty
field is unknown, not zero. USDA documents the files as ASCII, but a few bytes are
Windows-1252 (curly quotes in FOOD_DES.txt's scientific names) or Latin-1 (é in WEIGHT.txt):
a line is decoded as Windows-1252, else as Latin-1.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from io import BufferedIOBase
from pathlib import Path

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
    ensure_readable,
    format_amount,
    parse_number,
    write_foods,
)

# The copy shipped with FitCore (meal/data/usda_sr28/*.txt.gz), imported by `make run`.
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "data" / "usda_sr28"
FILES = ("ABBREV.txt", "FOOD_DES.txt", "FD_GROUP.txt", "WEIGHT.txt")

ABBREV_FIELDS = 53
FOOD_DES_FIELDS = 14
FD_GROUP_FIELDS = 2
WEIGHT_FIELDS = 7

# ABBREV.txt columns (0-based), as USDA's sr28_doc lists them.
NDB_NO, SHRT_DESC, ENERGY, PROTEIN, FAT, CARBOHYDRATE, FIBER, SUGAR, SODIUM, SATURATED_FAT = (
    0,
    1,
    3,
    4,
    5,
    7,
    8,
    9,
    15,
    44,
)
_MICRO_COLUMNS = [(item.key, item.sr28_column) for item in MICRONUTRIENTS if item.sr28_column is not None]


@dataclass(frozen=True)
class _Description:
    group_code: str
    name: str
    brand: str


def import_usda_sr(path: str | Path, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None) -> ImportReport:
    """Import (or refresh) every SR28 food in directory ``path``."""
    started = time.perf_counter()
    report = ImportReport(source="usda-sr")
    directory = Path(path)
    if not directory.is_dir():
        raise ImportFormatError(f"{directory} is not a directory (the SR28 ASCII files: {', '.join(FILES)}).")
    with ExitStack() as stack:
        files = {name: stack.enter_context(_open(directory, name)) for name in FILES}
        groups = {
            fields[0]: fields[1] for fields in _table(files["FD_GROUP.txt"], "FD_GROUP.txt", FD_GROUP_FIELDS, report)
        }
        # Foods with a broken FOOD_DES.txt or WEIGHT.txt line are not written at all: half of
        # a food (no name, or some portions missing) would overwrite a good copy on re-import.
        broken: set[str] = set()
        descriptions = {
            fields[0]: _Description(group_code=fields[1], name=fields[2], brand=fields[5])
            for fields in _table(files["FOOD_DES.txt"], "FOOD_DES.txt", FOOD_DES_FIELDS, report, broken)
        }
        portions = _portions(files["WEIGHT.txt"], report, broken)
        if progress is not None:
            progress.start(len(descriptions) or None)
        items = _foods(files["ABBREV.txt"], groups, descriptions, portions, broken, report)
        write_foods(items, source=Food.Source.USDA_SR, report=report, batch_size=batch_size, progress=progress)
    ensure_readable(report, str(directory / "ABBREV.txt"), "Is it the SR28 ASCII release?")
    report.seconds = time.perf_counter() - started
    return report


def _open(directory: Path, name: str) -> BufferedIOBase:
    plain, compressed = directory / name, directory / f"{name}.gz"
    if plain.is_file():
        return plain.open("rb")
    if compressed.is_file():
        return gzip.open(compressed, "rb")
    raise ImportFormatError(f"{directory} has no {name} (or {name}.gz): is it the SR28 ASCII release?")


def _lines(stream: BufferedIOBase, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each non-empty line; a broken gzip file stops the import."""
    number = 0
    try:
        for raw in stream:
            number += 1
            line = raw.rstrip(b"\r\n")
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")  # a BOM from an editor that re-saved the file
            if not line.strip():
                continue
            # USDA wrote Windows-1252; a copy re-saved as UTF-8 must not turn into mojibake.
            try:
                text = line.decode("utf-8") if not line.isascii() else line.decode("ascii")
            except UnicodeDecodeError:
                try:
                    text = line.decode("cp1252")
                except UnicodeDecodeError:
                    text = line.decode("latin-1")
            yield number, text
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFormatError(f"{name} cannot be read after line {number}: {exc}") from None


def _split(text: str, expected: int) -> list[str]:
    """The fields of one line, text fields without their ``~``; ``RowError`` if it is cut or garbled."""
    fields = text.split("^")
    if len(fields) != expected:
        raise RowError(f"expected {expected} fields, found {len(fields)}")
    values = []
    for value in fields:
        if "~" in value:
            if len(value) < 2 or value[0] != "~" or value[-1] != "~":
                raise RowError(f"unbalanced ~ in {value[:30]!r}")
            value = value[1:-1]
        values.append(value)
    return values


def _key(text: str) -> str:
    """The NDB number a line starts with, as far as it can be read: whose line broke."""
    return text.split("^", 1)[0].strip().strip("~")


def _table(
    stream: BufferedIOBase, name: str, expected: int, report: ImportReport, broken: set[str] | None = None
) -> Iterator[list[str]]:
    """Rows of a lookup file; a bad line is reported as malformed, left out, and its key put in ``broken``."""
    for number, text in _lines(stream, name):
        try:
            fields = _split(text, expected)
            if not fields[0]:
                raise RowError("no key in the first field")
        except RowError as exc:
            report.add_malformed(number, f"{name}: {exc}")
            if broken is not None and _key(text):
                broken.add(_key(text))
            continue
        yield fields


def _portions(stream: BufferedIOBase, report: ImportReport, broken: set[str]) -> dict[str, list[PortionRow]]:
    found: defaultdict[str, list[tuple[float, PortionRow]]] = defaultdict(list)
    for number, text in _lines(stream, "WEIGHT.txt"):
        try:
            ndb, seq, amount_text, measure, grams_text = _split(text, WEIGHT_FIELDS)[:5]
            amount = parse_number(amount_text, "Amount")
            grams = parse_number(grams_text, "Gm_Wgt")
            order = parse_number(seq, "Seq") or 0.0
            if not ndb or grams is None:
                raise RowError("NDB_No and Gm_Wgt are required")
        except RowError as exc:
            report.add_malformed(number, f"WEIGHT.txt: {exc}")
            if _key(text):
                broken.add(_key(text))
            continue
        label = f"{format_amount(amount)} {measure}" if amount is not None else measure
        found[ndb].append((order, PortionRow(label=label, grams=grams)))
    return {ndb: [portion for _, portion in sorted(rows, key=lambda item: item[0])] for ndb, rows in found.items()}


def _foods(
    stream: BufferedIOBase,
    groups: dict[str, str],
    descriptions: dict[str, _Description],
    portions: dict[str, list[PortionRow]],
    broken: set[str],
    report: ImportReport,
) -> Iterator[Parsed]:
    for number, text in _lines(stream, "ABBREV.txt"):
        if _key(text) in broken:
            yield Malformed(number, "ABBREV.txt: not imported, its FOOD_DES.txt or WEIGHT.txt line is malformed")
            continue
        try:
            yield _food(number, text, groups, descriptions, portions, report)
        except RowError as exc:
            yield Malformed(number, f"ABBREV.txt: {exc}")


def _food(
    number: int,
    text: str,
    groups: dict[str, str],
    descriptions: dict[str, _Description],
    portions: dict[str, list[PortionRow]],
    report: ImportReport,
) -> FoodRow:
    fields = _split(text, ABBREV_FIELDS)

    def value(column: int, what: str) -> float | None:
        return parse_number(fields[column], what)

    ndb = fields[NDB_NO]
    description = descriptions.get(ndb)
    if description is None:
        report.warn("name_from_abbrev")
        name, brand, group_code = fields[SHRT_DESC], "", ""
    else:
        name, brand, group_code = description.name, description.brand, description.group_code
    derived = rules.derive(name, group_code)
    micronutrients = {}
    for key, column in _MICRO_COLUMNS:
        amount = value(column, key)
        if amount is not None:
            micronutrients[key] = amount
    return FoodRow(
        line=number,
        source_id=ndb,
        name=name,
        brand=brand,
        category=groups.get(group_code, ""),
        energy_kcal=value(ENERGY, "Energ_Kcal"),
        protein_g=value(PROTEIN, "Protein"),
        fat_g=value(FAT, "Lipid_Tot"),
        carbohydrate_g=value(CARBOHYDRATE, "Carbohydrt"),
        fiber_g=value(FIBER, "Fiber_TD"),
        sugar_g=value(SUGAR, "Sugar_Tot"),
        sodium_mg=value(SODIUM, "Sodium"),
        saturated_fat_g=value(SATURATED_FAT, "FA_Sat"),
        micronutrients=micronutrients,
        allergens=derived.allergens,
        vegan=derived.vegan,
        vegetarian=derived.vegetarian,
        portions=list(portions.get(ndb, ())),
    )
