"""What detection returns: one value found in one text (shared by the engine, recognizers and filters)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value: where it is in the analysed text, what it is, how sure the recognizer was."""

    start: int
    end: int
    entity_type: str
    score: float
