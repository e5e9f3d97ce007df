"""What the food importers share: parsed rows, validation, the report and the batch writer.

An importer turns its source into a stream of ``FoodRow`` (a food to write), ``Skipped``
(a food left out on purpose, with a reason) and ``Malformed`` (a line that cannot be read,
with its line number), and hands it to ``write_foods``. The writer validates each row
against the model's bounds, collects batches of 1,000 and writes each batch in one
transaction with a fixed number of queries, however many rows it holds:

1. categories the import has not met before: one INSERT ... ON CONFLICT DO NOTHING and
   one SELECT (an existing category keeps its name: staff curate them);
2. which of the batch's source ids exist already: one SELECT (created vs updated);
3. the foods: one INSERT ... ON CONFLICT (source, source_id) DO UPDATE;
4. source id -> primary key: one SELECT;
5. the portions: one SELECT of the foods' current portions, then only the difference:
   one DELETE of the portions gone (with Django's SET NULL of meal items and diary entries
   that used them), one bulk UPDATE of changed weights or order, one INSERT of new ones.

Portions are matched by label, not deleted and recreated: a diary entry or meal item that
points at "1 cup, chopped" keeps pointing at it when the same data is imported again.

A malformed or invalid row is counted, listed with its line number and never written; it
never stops the import. Only a source that cannot be read at all raises
``ImportFormatError``, which the command shows as a one-line error.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from meal.models import MAX_GRAMS, Food, FoodCategory, FoodPortion, food_fields
from meal.nutrients import (
    MAX_GRAMS_PER_100G,
    MAX_KCAL_PER_100G,
    MAX_MICRONUTRIENT,
    MAX_SODIUM_MG_PER_100G,
    MICRONUTRIENT_KEYS,
    atwater_kcal,
)
from users.models import Allergen

BATCH_SIZE = 1000
# The report lists this many malformed rows (it counts them all).
MAX_LISTED_MALFORMED = 50
# Protein + fat + carbohydrate of 100 g can exceed 100 g only by rounding in the source.
MAX_MACRO_SUM_G = 105.0
ALLERGEN_CODES = frozenset(Allergen.values)
# updated_at too: the time a food was last imported.
UPDATE_FIELDS = [*food_fields(), "updated_at"]


def _max_length(model: type[models.Model], name: str) -> int:
    length = model._meta.get_field(name).max_length  # type: ignore[union-attr]
    assert isinstance(length, int)  # noqa: S101 - a CharField always has one
    return length


NAME_MAX = _max_length(Food, "name")
BRAND_MAX = _max_length(Food, "brand")
BARCODE_MAX = _max_length(Food, "barcode")
SOURCE_ID_MAX = _max_length(Food, "source_id")
CATEGORY_SLUG_MAX = _max_length(FoodCategory, "slug")
CATEGORY_NAME_MAX = _max_length(FoodCategory, "name")
LABEL_MAX = _max_length(FoodPortion, "label")


class ImportFormatError(Exception):
    """The input is not something the importer reads (missing file, wrong format); nothing more is imported."""


class RowError(ValueError):
    """One row cannot be imported; the message is the reason shown beside its line number."""


@dataclass
class PortionRow:
    label: str
    grams: float


@dataclass
class FoodRow:
    """A food as the source describes it, per 100 g; ``None`` is unknown, never zero."""

    line: int
    source_id: str
    name: str
    energy_kcal: float | None
    protein_g: float | None
    carbohydrate_g: float | None
    fat_g: float | None
    energy_basis: str = Food.EnergyBasis.STATED
    saturated_fat_g: float | None = None
    sugar_g: float | None = None
    fiber_g: float | None = None
    sodium_mg: float | None = None
    brand: str = ""
    barcode: str = ""
    category: str = ""
    micronutrients: dict[str, float] = field(default_factory=dict)
    vegan: bool | None = None
    vegetarian: bool | None = None
    allergens: list[str] = field(default_factory=list)
    portions: list[PortionRow] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


@dataclass(frozen=True)
class Malformed:
    line: int
    reason: str


Parsed: TypeAlias = FoodRow | Skipped | Malformed


class Progress(Protocol):
    """Where an import tells how far it got (the command draws a progress bar)."""

    def start(self, total: int | None) -> None: ...

    def advance(self, count: int) -> None: ...


@dataclass
class ImportReport:
    """What an import did. ``read`` counts the source's food rows; ``malformed`` counts every
    line rejected in any of its files, and ``malformed_rows`` lists the first of them."""

    source: str
    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    malformed: int = 0
    portions: int = 0
    seconds: float = 0.0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    energy_basis: Counter[str] = field(default_factory=Counter)
    malformed_rows: list[tuple[int, str]] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason] += 1

    def warn(self, reason: str) -> None:
        self.warnings[reason] += 1

    def add_malformed(self, line: int, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_rows) < MAX_LISTED_MALFORMED:
            self.malformed_rows.append((line, reason))

    @property
    def rate(self) -> float:
        """Source rows read per second."""
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: ``usda-sr: read 8790, created 8790, updated 0, skipped 0, malformed 0; 4,321 foods/s``."""
        skipped = f"skipped {self.skipped}"
        if self.skip_reasons:
            skipped += f" ({_counts(self.skip_reasons)})"
        parts = [
            f"{self.source}: read {self.read}, created {self.created}, updated {self.updated}, "
            f"{skipped}, malformed {self.malformed}"
        ]
        if self.energy_basis:
            # In the model's order, not by frequency: runs compare at a glance.
            order = [basis for basis in Food.EnergyBasis.values if basis in self.energy_basis]
            parts.append("energy basis: " + ", ".join(f"{basis} {self.energy_basis[basis]}" for basis in order))
        if self.portions:
            parts.append(f"portions {self.portions}")
        if self.warnings:
            parts.append(f"warnings: {_counts(self.warnings)}")
        parts.append(f"{self.rate:,.0f} foods/s")
        return "; ".join(parts)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common())


# --- parsing helpers -------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parse_number(text: str, what: str) -> float | None:
    """A decimal number, ``None`` for an empty field (unknown), ``RowError`` otherwise.

    Stricter than ``float()``, which also takes "nan", "inf" and "1_000".
    """
    text = text.strip()
    if not text:
        return None
    if text.replace(".", "", 1).isdecimal() and text.isascii():
        value = float(text)  # the common case, without the regular expression
    elif not _NUMBER.fullmatch(text):
        raise RowError(f"{what} {text[:30]!r} is not a number")
    else:
        value = float(text)
    if not math.isfinite(value):
        raise RowError(f"{what} {text[:30]!r} is out of range")
    return value


def json_number(value: object, what: str) -> float | None:
    """A number from JSON: ints, floats and numeric strings; ``None`` and "" are unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(f"{what} {value!r} is not a number")
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise RowError(f"{what} is out of range") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RowError(f"{what} {value!r} is not a finite number")
        return value
    if isinstance(value, str):
        return parse_number(value, what)
    raise RowError(f"{what} is not a number")


def clean_text(value: str) -> str:
    """NFC, without control characters, runs of whitespace as one space, stripped.

    A lone surrogate (JSON allows ``"\\ud800"``) is a ``RowError``: neither UTF-8 nor
    PostgreSQL can store it.
    """
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RowError("text is not valid Unicode") from None
    return " ".join(text.split())


def truncate(text: str, limit: int) -> str:
    return text[:limit].rstrip()


def format_amount(amount: float) -> str:
    """1.0 -> "1", 0.5 -> "0.5": household amounts as people write them."""
    return f"{amount:g}"


# --- validation ------------------------------------------------------------------------


def _check_range(value: float | None, what: str, high: float) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < 0 or value > high:
        raise RowError(f"{what} {value:g} is outside 0..{high:g}")


def prepare(row: FoodRow, report: ImportReport) -> str | None:
    """Clean ``row`` in place and complete its energy; return a skip reason or ``None``.

    Raises ``RowError`` for a row that breaks the model's bounds. Portions that cannot be
    stored are dropped with a warning: the food itself is still good.
    """
    row.source_id = clean_text(row.source_id)
    if not row.source_id:
        raise RowError("the row has no id")
    if len(row.source_id) > SOURCE_ID_MAX:
        raise RowError(f"id is longer than {SOURCE_ID_MAX} characters")
    row.name = clean_text(row.name)
    if not row.name:
        return "no_name"
    if len(row.name) > NAME_MAX:
        raise RowError(f"name is longer than {NAME_MAX} characters")
    row.brand = truncate(clean_text(row.brand), BRAND_MAX)
    row.category = clean_text(row.category)
    if len(row.barcode) > BARCODE_MAX:
        raise RowError(f"barcode is longer than {BARCODE_MAX} characters")

    macros = (row.protein_g, row.carbohydrate_g, row.fat_g)
    if row.energy_kcal is None and all(value is None for value in macros):
        return "no_nutrition_data"
    if row.protein_g is None or row.carbohydrate_g is None or row.fat_g is None:
        return "missing_macros"
    for what, value in (
        ("protein", row.protein_g),
        ("carbohydrate", row.carbohydrate_g),
        ("fat", row.fat_g),
        ("saturated fat", row.saturated_fat_g),
        ("sugar", row.sugar_g),
        ("fiber", row.fiber_g),
    ):
        _check_range(value, f"{what} (g)", MAX_GRAMS_PER_100G)
    _check_range(row.sodium_mg, "sodium (mg)", MAX_SODIUM_MG_PER_100G)
    total = row.protein_g + row.carbohydrate_g + row.fat_g
    if total > MAX_MACRO_SUM_G:
        raise RowError(f"protein + fat + carbohydrate is {total:g} g per 100 g (at most {MAX_MACRO_SUM_G:g})")
    if row.energy_kcal is None:
        row.energy_kcal = atwater_kcal(row.protein_g, row.carbohydrate_g, row.fat_g)
        row.energy_basis = Food.EnergyBasis.COMPUTED
    _check_range(row.energy_kcal, "energy (kcal)", MAX_KCAL_PER_100G)

    for key, amount in row.micronutrients.items():
        if key not in MICRONUTRIENT_KEYS:
            raise RowError(f"unknown micronutrient {key}")
        _check_range(amount, key, MAX_MICRONUTRIENT)
    unknown = set(row.allergens) - ALLERGEN_CODES
    if unknown:
        raise RowError(f"unknown allergen(s) {', '.join(sorted(unknown))}")
    row.allergens = sorted(set(row.allergens))

    portions = []
    for portion in row.portions:
        label = truncate(clean_text(portion.label), LABEL_MAX)
        if not label:
            report.warn("portion_without_label")
        elif not (math.isfinite(portion.grams) and 0 < portion.grams <= MAX_GRAMS):
            report.warn("portion_weight_out_of_range")
        else:
            portions.append(PortionRow(label, portion.grams))
    row.portions = portions
    return None


# --- writing ---------------------------------------------------------------------------


def write_foods(
    items: Iterable[Parsed],
    *,
    source: str,
    report: ImportReport,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> None:
    """Validate and upsert ``items`` in batches; count everything in ``report``."""
    writer = _BatchWriter(source, report)
    batch: dict[str, FoodRow] = {}
    seen: set[str] = set()  # over the whole run: the first row of an id wins, in any batch
    pending = 0
    for item in items:
        report.read += 1
        pending += 1
        if isinstance(item, Malformed):
            report.add_malformed(item.line, item.reason)
        elif isinstance(item, Skipped):
            report.skip(item.reason)
        else:
            try:
                reason = prepare(item, report)
            except RowError as exc:
                report.add_malformed(item.line, str(exc))
            else:
                if reason is not None:
                    report.skip(reason)
                elif item.source_id in seen:
                    # ON CONFLICT cannot touch one row twice in a statement, and a later batch
                    # would overwrite the first row and count it as updated: the first wins.
                    report.skip("duplicate_id")
                else:
                    seen.add(item.source_id)
                    batch[item.source_id] = item
        if len(batch) >= batch_size:
            writer.write(list(batch.values()))
            batch.clear()
            if progress is not None:
                progress.advance(pending)
            pending = 0
    if batch:
        writer.write(list(batch.values()))
    if progress is not None and pending:
        progress.advance(pending)
    if (report.created or report.updated) and connection.vendor == "postgresql":
        # Fresh planner statistics: with the ones from before the import, PostgreSQL guesses a
        # handful of catalogue rows and plans searches as table scans until autovacuum runs.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE meal_food, meal_foodportion")


def ensure_readable(report: ImportReport, what: str, hint: str) -> None:
    """A source of which not one row could be read is the wrong file, not a file of bad rows."""
    if report.created or report.updated or report.skipped:
        return
    if not report.malformed_rows:
        raise ImportFormatError(f"{what} holds no rows. {hint}")
    line, reason = report.malformed_rows[0]
    raise ImportFormatError(f"No row of {what} could be read (line {line}: {reason}). {hint}")


def category_slug(name: str) -> str:
    return slugify(name)[:CATEGORY_SLUG_MAX].strip("-")


class _BatchWriter:
    def __init__(self, source: str, report: ImportReport) -> None:
        self.source = source
        self.report = report
        self.category_ids: dict[str, int] = {}

    def write(self, rows: list[FoodRow]) -> None:
        ids = [row.source_id for row in rows]
        with transaction.atomic():
            self._ensure_categories(rows)
            existing = set(
                Food.objects.filter(source=self.source, source_id__in=ids).values_list("source_id", flat=True)
            )
            Food.objects.bulk_create(
                [self._food(row) for row in rows],
                update_conflicts=True,
                unique_fields=["source", "source_id"],
                update_fields=UPDATE_FIELDS,
            )
            pk_by_id = dict(Food.objects.filter(source=self.source, source_id__in=ids).values_list("source_id", "pk"))
            self._sync_portions(rows, pk_by_id)
        self.report.created += len(rows) - len(existing)
        self.report.updated += len(existing)
        self.report.portions += sum(len(row.portions) for row in rows)
        self.report.energy_basis.update(row.energy_basis for row in rows)

    def _ensure_categories(self, rows: list[FoodRow]) -> None:
        wanted: dict[str, str] = {}
        for row in rows:
            slug = category_slug(row.category)
            if slug and slug not in self.category_ids:
                wanted.setdefault(slug, truncate(row.category, CATEGORY_NAME_MAX))
        if not wanted:
            return
        FoodCategory.objects.bulk_create(
            [FoodCategory(slug=slug, name=name) for slug, name in wanted.items()], ignore_conflicts=True
        )
        self.category_ids.update(FoodCategory.objects.filter(slug__in=wanted).values_list("slug", "pk"))

    def _food(self, row: FoodRow) -> Food:
        assert row.energy_kcal is not None  # noqa: S101 - prepare() completed it
        return Food(
            tenant=None,
            owner=None,
            source=self.source,
            source_id=row.source_id,
            name=row.name,
            brand=row.brand,
            barcode=row.barcode,
            category_id=self.category_ids.get(category_slug(row.category)),
            energy_kcal=row.energy_kcal,
            energy_basis=row.energy_basis,
            protein_g=row.protein_g,
            carbohydrate_g=row.carbohydrate_g,
            fat_g=row.fat_g,
            saturated_fat_g=row.saturated_fat_g,
            sugar_g=row.sugar_g,
            fiber_g=row.fiber_g,
            sodium_mg=row.sodium_mg,
            micronutrients=row.micronutrients,
            vegan=row.vegan,
            vegetarian=row.vegetarian,
            allergens=row.allergens,
        )

    def _sync_portions(self, rows: list[FoodRow], pk_by_id: dict[str, int]) -> None:
        """Make the foods' portions those of ``rows``, keeping every portion whose label stays."""
        current: defaultdict[tuple[int, str], deque[tuple[int, float, int]]] = defaultdict(deque)
        for portion_id, food_id, label, grams, position in (
            FoodPortion.objects.filter(food_id__in=pk_by_id.values())
            .order_by("food_id", "position", "id")
            .values_list("id", "food_id", "label", "grams", "position")
        ):
            current[(food_id, label)].append((portion_id, grams, position))
        now = timezone.now()
        new: list[FoodPortion] = []
        changed: list[FoodPortion] = []
        for row in rows:
            food_id = pk_by_id[row.source_id]
            for position, portion in enumerate(row.portions):
                kept = current.get((food_id, portion.label))
                if kept:
                    # Same label and weight first: a food may list several "1 cup"s, and a diary
                    # entry on "1 cup = 100 g" must not end up on the row that now weighs 150 g.
                    same = next((i for i, (_, grams, _) in enumerate(kept) if grams == portion.grams), 0)
                    kept.rotate(-same)
                    portion_id, grams, old_position = kept.popleft()
                    kept.rotate(same)
                    if grams != portion.grams or old_position != position:
                        changed.append(
                            FoodPortion(id=portion_id, grams=portion.grams, position=position, updated_at=now)
                        )
                else:
                    new.append(
                        FoodPortion(food_id=food_id, label=portion.label, grams=portion.grams, position=position)
                    )
        stale = [portion_id for kept in current.values() for portion_id, _, _ in kept]
        if stale:
            FoodPortion.objects.filter(pk__in=stale).delete()
        if changed:
            FoodPortion.objects.bulk_update(changed, ["grams", "position", "updated_at"])
        if new:
            FoodPortion.objects.bulk_create(new)
