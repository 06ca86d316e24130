"""What every sub-command shares: errors the user can act on, and terminal presentation."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from typing import TextIO

PROG = "otel-genai"


class CommandError(Exception):
    """A failure the user can act on: printed as ``otel-genai <command>: <message>``, no traceback."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Style:
    """Marks (✓ ✗ ·, ASCII where the stream cannot encode them) and colour on terminals only."""

    def __init__(self, stream: TextIO) -> None:
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "✓✗·".encode(encoding)
            unicode = True
        except (LookupError, UnicodeError):
            unicode = False
        self.ok, self.bad, self.off = ("✓", "✗", "·") if unicode else ("+", "x", "-")
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self._color = tty and not os.environ.get("NO_COLOR")

    def paint(self, text: str, color: str) -> str:
        if not self._color:
            return text
        codes = {"green": "32", "red": "31", "dim": "2", "bold": "1", "yellow": "33"}
        return f"\033[{codes[color]}m{text}\033[0m"

    def mark(self, state: bool | None) -> str:
        if state is None:
            return self.paint(self.off, "dim")
        return self.paint(self.ok, "green") if state else self.paint(self.bad, "red")


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows of cells as aligned lines (ANSI colour codes do not count towards the width)."""
    visible = re.compile(r"\033\[[0-9;]*m")
    widths = [0] * max((len(row) for row in rows), default=0)
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths[index], len(visible.sub("", cell)))
    lines = []
    for row in rows:
        cells = [
            cell + " " * (widths[index] - len(visible.sub("", cell))) if index < len(row) - 1 else cell
            for index, cell in enumerate(row)
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def fraction(value: str) -> float:
    """An argparse type: a number from 0 to 1 (a detection threshold, a regression margin)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return number
