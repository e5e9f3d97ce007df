"""Import the public-domain exercise catalogue (free-exercise-db's ``exercises.json``).

Idempotent and set-based: exercises are upserted in batches on their catalogue id
(``INSERT ... ON CONFLICT (source_id) DO UPDATE``), categories once. An entry that is not
an exercise (no id or name, an unknown level, a muscle or equipment we do not know) is
reported with its position in the file and never written; it does not stop the import.

The catalogue has no movement pattern; ``movement_pattern()`` derives one, first rule
that applies:

1. category ``cardio`` -> cardio; ``stretching`` -> mobility;
2. the name says carry or walk with a load (farmer's walk, yoke, carry) -> carry;
3. the name says squat, lunge, leg press, step-up or split squat -> squat;
4. the name says deadlift, good morning, hip thrust, bridge, swing, clean or snatch
   (the hip drives the lift) -> hinge;
5. the primary muscle is the abdominals, or the force is static -> core;
6. the force is push or pull -> push / pull; anything else -> none (blank).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils.text import slugify

from .models import Category, Equipment, Exercise, Level, Mechanics, MovementPattern, Muscle

SHIPPED_EXERCISES = Path(__file__).resolve().parent / "data" / "exercises.json.gz"
BATCH_SIZE = 500
FIELDS = [
    "name",
    "instructions",
    "primary_muscles",
    "secondary_muscles",
    "equipment",
    "movement_pattern",
    "mechanics",
    "level",
    "category",
    "images",
    "updated_at",
]
LEVELS = {"beginner": Level.BEGINNER, "intermediate": Level.INTERMEDIATE, "expert": Level.ADVANCED}
_CARRY = re.compile(r"\b(carry|farmer|yoke|suitcase walk)", re.IGNORECASE)
_SQUAT = re.compile(r"\b(squat|lunge|leg press|step[- ]?up|pistol)", re.IGNORECASE)
_HINGE = re.compile(r"\b(deadlift|good morning|hip thrust|bridge|swing|clean|snatch|hyperextension)", re.IGNORECASE)


class Progress(Protocol):
    def start(self, total: int | None) -> None: ...

    def advance(self, count: int) -> None: ...


class ExerciseError(ValueError):
    """Why one catalogue entry is not an exercise."""


@dataclass
class ExerciseReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    malformed: int = 0
    malformed_rows: list[tuple[int, str]] = field(default_factory=list)
    patterns: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add_malformed(self, position: int, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_rows) < 50:
            self.malformed_rows.append((position, reason))

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds else 0.0
        patterns = ", ".join(f"{name or 'none'} {count}" for name, count in sorted(self.patterns.items()))
        return (
            f"exercises: read {self.read}, created {self.created}, updated {self.updated}, "
            f"malformed {self.malformed}; movement patterns: {patterns}; {rate:,.0f} exercises/s"
        )


def movement_pattern(name: str, category: str, force: str, primary: list[str]) -> str:
    """The movement pattern by the rules in the module docstring; "" when none applies."""
    if category == "cardio":
        return MovementPattern.CARDIO
    if category == "stretching":
        return MovementPattern.MOBILITY
    if _CARRY.search(name):
        return MovementPattern.CARRY
    if _SQUAT.search(name):
        return MovementPattern.SQUAT
    if _HINGE.search(name):
        return MovementPattern.HINGE
    if "abdominals" in primary or force == "static":
        return MovementPattern.CORE
    if force in ("push", "pull"):
        return MovementPattern(force)
    return ""


def _code(value: Any, allowed: set[str], what: str) -> str:
    """A catalogue word ("middle back", "e-z curl bar") as our code, or ``ExerciseError``."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ExerciseError(f"{what} is not text")
    code = slugify(value).replace("-", "_")
    if code not in allowed:
        raise ExerciseError(f"unknown {what} {value[:40]!r}")
    return code


def _muscles(value: Any, what: str) -> list[str]:
    if not isinstance(value, list):
        raise ExerciseError(f"{what} is not a list")
    return sorted({_code(item, set(Muscle.values), what) for item in value} - {""})


def parse(entry: Any) -> tuple[dict[str, Any], str]:
    """One catalogue entry as Exercise fields and its category name, or ``ExerciseError``."""
    if not isinstance(entry, dict):
        raise ExerciseError("not an object")
    source_id, name = entry.get("id"), entry.get("name")
    if not isinstance(source_id, str) or not source_id.strip() or len(source_id) > 100:
        raise ExerciseError("no usable id")
    if not isinstance(name, str) or not name.strip():
        raise ExerciseError("no name")
    level = LEVELS.get(entry.get("level") or "")
    if level is None:
        raise ExerciseError(f"unknown level {str(entry.get('level'))[:20]!r}")
    instructions = entry.get("instructions") or []
    if not isinstance(instructions, list) or not all(isinstance(step, str) for step in instructions):
        raise ExerciseError("instructions are not a list of steps")
    images = entry.get("images") or []
    if not isinstance(images, list) or not all(isinstance(path, str) for path in images):
        raise ExerciseError("images are not a list of paths")
    category = entry.get("category") or ""
    if not isinstance(category, str):
        raise ExerciseError("category is not text")
    force = entry.get("force") or ""
    primary = _muscles(entry.get("primaryMuscles") or [], "primary muscle")
    fields = {
        "source_id": source_id.strip(),
        "name": name.strip()[:200],
        "instructions": [step.strip() for step in instructions if step.strip()],
        "primary_muscles": primary,
        "secondary_muscles": _muscles(entry.get("secondaryMuscles") or [], "secondary muscle"),
        "equipment": _code(entry.get("equipment"), set(Equipment.values), "equipment"),
        "mechanics": _code(entry.get("mechanic"), set(Mechanics.values), "mechanic"),
        "level": level,
        "movement_pattern": movement_pattern(name, category, force if isinstance(force, str) else "", primary),
        "images": images,
    }
    return fields, category.strip()


def _entries(path: Path) -> list[Any]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            data = json.loads(stream.read())
    except FileNotFoundError:
        raise ExerciseError(f"{path} does not exist") from None
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExerciseError(f"{path} is not the exercise catalogue's JSON: {exc}") from None
    if not isinstance(data, list):
        raise ExerciseError(f"{path} is not a JSON list of exercises")
    return data


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_exercises(
    path: str | Path, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> ExerciseReport:
    """Import (or refresh) every exercise in ``path`` (``.json`` or ``.json.gz``).

    Raises ``ExerciseError`` when the file itself cannot be read; bad entries only count.
    """
    started = time.perf_counter()
    report = ExerciseReport()
    entries = _entries(Path(path))
    if progress is not None:
        progress.start(len(entries))
    parsed: dict[str, tuple[dict[str, Any], str]] = {}
    for position, entry in enumerate(entries, start=1):
        report.read += 1
        try:
            fields, category = parse(entry)
        except ExerciseError as exc:
            report.add_malformed(position, str(exc))
            continue
        if fields["source_id"] in parsed:
            report.add_malformed(position, f"id {fields['source_id']!r} repeats an earlier entry")
            continue
        parsed[fields["source_id"]] = (fields, category)
        report.patterns[fields["movement_pattern"]] += 1
    categories = _categories({category for _, category in parsed.values() if category})
    for batch in _batches(list(parsed.values()), batch_size):
        ids = [fields["source_id"] for fields, _ in batch]
        with transaction.atomic():
            existing = set(Exercise.objects.filter(source_id__in=ids).values_list("source_id", flat=True))
            Exercise.objects.bulk_create(
                [Exercise(category_id=categories.get(category), **fields) for fields, category in batch],
                update_conflicts=True,
                unique_fields=["source_id"],
                update_fields=FIELDS,
            )
        report.created += len(ids) - len(existing)
        report.updated += len(existing)
        if progress is not None:
            progress.advance(len(batch))
    if (report.created or report.updated) and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE workout_exercise")
    report.seconds = time.perf_counter() - started
    return report


def _categories(names: set[str]) -> dict[str, int]:
    """Category ids by the catalogue's name, creating the missing ones (names staff edited stay)."""
    slugs = {name: slugify(name)[:64] for name in names}
    Category.objects.bulk_create(
        [Category(slug=slug, name=name.title()) for name, slug in slugs.items()], ignore_conflicts=True
    )
    by_slug = dict(Category.objects.filter(slug__in=slugs.values()).values_list("slug", "pk"))
    return {name: by_slug[slug] for name, slug in slugs.items()}
