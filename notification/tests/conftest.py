import importlib

import pytest
from django.apps import apps


@pytest.fixture
def beat_entries(db) -> None:
    """The periodic-task rows migration 0002 creates: a transactional test's flush may have removed them."""
    migration = importlib.import_module("notification.migrations.0002_periodic_tasks")
    migration.create_entries(apps, None)
