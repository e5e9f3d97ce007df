"""Fixtures for the users app's tests."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Each test stores uploads in its own directory, so file assertions see only its own files."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root
