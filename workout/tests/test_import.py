"""The exercise catalogue import: real entries, idempotency, malformed entries, the command."""

from __future__ import annotations

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workout.importers import SHIPPED_EXERCISES, import_exercises, movement_pattern
from workout.models import Category, Exercise

pytestmark = pytest.mark.django_db


def shipped() -> list[dict]:
    with gzip.open(SHIPPED_EXERCISES, "rb") as stream:
        return json.loads(stream.read())


def test_the_shipped_catalogue_imports_whole_and_once() -> None:
    report = import_exercises(SHIPPED_EXERCISES)
    assert (report.read, report.created, report.updated, report.malformed) == (873, 873, 0, 0)
    squat = Exercise.objects.get(source_id="Barbell_Squat")
    assert squat.movement_pattern == "squat" and squat.equipment == "barbell" and squat.mechanics == "compound"
    assert "quadriceps" in squat.primary_muscles and squat.category is not None and squat.category.slug == "strength"
    assert squat.instructions and all(isinstance(step, str) for step in squat.instructions)
    assert Exercise.objects.get(source_id="Pullups").movement_pattern == "pull"
    assert Category.objects.count() == 7

    again = import_exercises(SHIPPED_EXERCISES)
    assert (again.created, again.updated) == (0, 873)
    assert Exercise.objects.count() == 873 and Category.objects.count() == 7


def test_malformed_entries_are_reported_by_position_and_never_written(tmp_path: Path) -> None:
    good = shipped()[:3]
    entries = [
        good[0],
        {"id": "No_Name"},
        {**good[1], "level": "godlike"},
        {**good[2], "primaryMuscles": ["spleen"]},
        "not an object",
        good[0],  # the same id twice
    ]
    path = tmp_path / "exercises.json"
    path.write_text(json.dumps(entries))
    report = import_exercises(path)
    assert report.created == 1 and report.malformed == 5
    assert [position for position, _ in report.malformed_rows] == [2, 3, 4, 5, 6]
    assert "unknown level 'godlike'" in report.malformed_rows[1][1]
    assert Exercise.objects.count() == 1


def test_queries_do_not_grow_with_the_number_of_exercises(tmp_path: Path) -> None:
    entries = shipped()
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text(json.dumps(entries[:20]))
    large.write_text(json.dumps(entries[20:420]))
    with CaptureQueriesContext(connection) as first:
        import_exercises(small, batch_size=500)
    with CaptureQueriesContext(connection) as second:
        import_exercises(large, batch_size=500)
    # SQLite splits a bulk insert into statements of at most 999 parameters: compare on PostgreSQL terms.
    assert len(second.captured_queries) <= len(first.captured_queries) + (30 if connection.vendor == "sqlite" else 0)


@pytest.mark.parametrize(
    ("name", "category", "force", "primary", "pattern"),
    [
        ("Farmer's Walk", "strongman", "pull", ["forearms"], "carry"),
        ("Romanian Deadlift", "strength", "pull", ["hamstrings"], "hinge"),
        ("Bench Press", "strength", "push", ["chest"], "push"),
        ("Plank", "strength", "static", ["abdominals"], "core"),
        ("Jogging, Treadmill", "cardio", "", ["quadriceps"], "cardio"),
        ("Hamstring Stretch", "stretching", "static", ["hamstrings"], "mobility"),
    ],
)
def test_movement_pattern_rules(name: str, category: str, force: str, primary: list[str], pattern: str) -> None:
    assert movement_pattern(name, category, force, primary) == pattern


def test_the_command_prints_a_summary_and_refuses_a_bad_file(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_exercises", shipped=True, stdout=out)
    assert out.getvalue().startswith("exercises: read 873, created 873, updated 0, malformed 0")
    again = StringIO()
    call_command("import_exercises", shipped=True, if_empty=True, stdout=again)
    assert "873 already imported; nothing to do" in again.getvalue()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="is not the exercise catalogue's JSON"):
        call_command("import_exercises", str(broken))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_exercises", str(tmp_path / "missing.json"))
