"""Cheap necessary conditions in front of expensive patterns, shared by names.py and addresses.py.

Presidio scans a text once per pattern. A gate is a test every match of its patterns needs (a cue word, a
quote after ``:``, a street word); a group of patterns is scanned only on texts that pass its gate, so the
results are exactly those of the ungated patterns. ``folded_words`` is the one case-folded view of a text
the word gates share (computed once per text, not once per recognizer).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Gate = Callable[[str], Any]

# A-Z and the three non-ASCII letters the `regex` module matches case-insensitively as i, k and s; É so that
# accented words can be looked up as substrings in one case.
_FOLD = str.maketrans(
    {
        **{chr(code): chr(code + 32) for code in range(ord("A"), ord("Z") + 1)},
        "\u0130": "i",
        "\u212a": "k",
        "\u017f": "s",
        "\u00c9": "\u00e9",
    }
)
_ASCII_WORD = re.compile(r"[a-z]+")


@functools.lru_cache(maxsize=8)
def folded_words(text: str) -> tuple[str, frozenset[str]]:
    """``text`` case-folded, and its maximal runs of a-z (what a word gate looks up)."""
    folded = text.translate(_FOLD)
    return folded, frozenset(_ASCII_WORD.findall(folded))


def gated_recognizer(
    kind: type,
    *,
    entity: str,
    name: str,
    patterns: Iterable[tuple[str, str, float]],
    gates: Mapping[str, Gate],
    flags: int,
    requires: Gate | None = None,
    source: Callable[[str, str], str] = lambda _name, expression: expression,
    **kwargs: Any,
) -> Any:
    """One Presidio recognizer of class ``kind`` (a ``PatternRecognizer``) over ``patterns``: those with a
    gate in ``gates`` are scanned only on texts that pass it, all only on texts that pass ``requires``.
    ``source(name, regex)`` may rewrite a pattern's regex. Patterns are compiled here, on the worker thread.
    """
    import regex
    from presidio_analyzer import EntityRecognizer, Pattern, RecognizerResult

    groups: dict[Gate | None, list[Any]] = {}
    every: list[Any] = []
    for pattern_name, expression, score in patterns:
        pattern: Any = Pattern(pattern_name, source(pattern_name, expression), score)
        pattern.compiled_regex = regex.compile(pattern.regex, flags=flags)  # here, not on the first text
        pattern.compiled_with_flags = flags
        groups.setdefault(gates.get(pattern_name), []).append(pattern)
        every.append(pattern)

    def part(members: list[Any]) -> Any:
        return kind(supported_entity=entity, name=name, patterns=members, global_regex_flags=flags, **kwargs)

    parts = [(gate, part(members)) for gate, members in groups.items()]

    class Gated(kind):
        def analyze(self, text: str, entities: list[str], *args: Any, **kw: Any) -> Any:
            if requires is not None and not requires(text):
                return []
            results = []
            for gate, each in parts:
                if gate is None or gate(text):
                    results.extend(each.analyze(text, entities, *args, **kw))
            if not results:
                return results
            for result in results:  # reported as this recognizer's (its context words apply to them)
                result.recognition_metadata[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] = self.id
            return EntityRecognizer.remove_duplicates(results)

    return Gated(supported_entity=entity, name=name, patterns=every, global_regex_flags=flags, **kwargs)
