"""A slice of the shipped USDA SR28 catalogue for plan-generation tests: real foods, imported fast.

Every ``STEP``-th food of every food group (about 2,200 of 8,790) with its portions, written
once per test session to a temporary directory in the SR28 format and imported through the
real importer, so categories, portions, allergens and diet flags are what production has.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from meal.importers import import_usda_sr

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "usda_sr28"
STEP = 4


def _lines(name: str) -> list[bytes]:
    with gzip.open(SHIPPED / f"{name}.gz", "rb") as stream:
        return stream.read().splitlines(keepends=True)


def _key(line: bytes) -> bytes:
    return line.split(b"^", 1)[0].strip(b"~")


def write_subset(directory: Path, step: int = STEP) -> Path:
    descriptions = _lines("FOOD_DES.txt")
    kept = {_key(line) for index, line in enumerate(descriptions) if index % step == 0}
    for name in ("FOOD_DES.txt", "ABBREV.txt", "WEIGHT.txt"):
        rows = [line for line in _lines(name) if _key(line) in kept]
        (directory / name).write_bytes(b"".join(rows))
    (directory / "FD_GROUP.txt").write_bytes(b"".join(_lines("FD_GROUP.txt")))
    return directory


def load(directory: Path) -> int:
    report = import_usda_sr(directory)
    return report.created
