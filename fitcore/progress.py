"""Progress bars for long management commands (imports), shared by every app's commands."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand
from tqdm import tqdm


class TerminalProgress:
    """A tqdm bar on a terminal, or nothing: ``start(total)``, ``advance(n)``, ``close()``.

    The importers call the first two (their ``Progress`` protocol); a total that was only an
    estimate grows instead of overflowing the bar.
    """

    def __init__(self, label: str, stream: TextIO | None, unit: str = " rows") -> None:
        self.label = label
        self.stream = stream
        self.unit = unit
        self.bar: Any = None

    def start(self, total: int | None) -> None:
        if self.stream is not None:
            self.bar = tqdm(
                total=total, desc=self.label, unit=self.unit, unit_scale=True, file=self.stream, leave=False
            )

    def advance(self, count: int) -> None:
        if self.bar is not None:
            if self.bar.total is not None and self.bar.n + count > self.bar.total:
                self.bar.total = self.bar.n + count
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def terminal_of(command: BaseCommand) -> TextIO | None:
    """The command's real stderr when it is a terminal: tqdm redraws its line, OutputWrapper would add newlines."""
    stream = getattr(command.stderr, "_out", sys.stderr)
    return stream if hasattr(stream, "isatty") and stream.isatty() else None
