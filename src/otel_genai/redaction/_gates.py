"""Cheap necessary conditions in front of expensive patterns, shared by names.py and addresses.py.

Presidio scans a text once per pattern. A gate is a test every match of its patterns needs (a cue word, a
quote after ``:``, a street word); a group of patterns is scanned only on texts that pass its gate, so the
results are exactly those of the ungated patterns. ``folded_words`` is the one case-folded view of a text
the word gates share (computed once per text, not once per recognizer). ``scan_patterns`` is Presidio's
``PatternRecognizer`` matching without a result object and an explanation per match (the gated
recognizers and ``_analysis.LeanAnalyzer`` use it; tests compare it with ``PatternRecognizer.analyze``).
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
    from presidio_analyzer import AnalysisExplanation, EntityRecognizer, Pattern, RecognizerResult

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
    lean_parts = all(plain_pattern_recognizer(each) for _, each in parts)

    class Gated(kind):
        def analyze(self, text: str, entities: list[str], *args: Any, **kw: Any) -> Any:
            if requires is not None and not requires(text):
                return []
            if args or kw.get("regex_flags") or not lean_parts or not _SCAN_PATTERNS:
                return self._analyze_parts(text, entities, *args, **kw)
            spans: list[tuple[int, int, float]] = []
            for gate, each in parts:
                if gate is None or gate(text):
                    spans.extend(scan_patterns(each, text))
            if not spans:
                return []
            # the results its parts' analyze would give, deduplicated across parts, reported as this
            # recognizer's (its context words apply to them)
            name, identifier = self.name, self.id
            return [
                RecognizerResult(
                    entity,
                    start,
                    end,
                    score,
                    AnalysisExplanation(name, score, textual_explanation=f"Detected by `{name}`"),
                    {
                        RecognizerResult.RECOGNIZER_NAME_KEY: name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: identifier,
                    },
                )
                for start, end, score in remove_contained(spans)
            ]

        def _analyze_parts(self, text: str, entities: list[str], *args: Any, **kw: Any) -> Any:
            """Through each part's ``PatternRecognizer.analyze`` (what ``scan_patterns`` reproduces)."""
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


def plain_pattern_recognizer(recognizer: Any) -> bool:
    """A ``PatternRecognizer`` whose matching is Presidio's own (``scan_patterns`` reproduces it)."""
    from presidio_analyzer import PatternRecognizer

    kind = type(recognizer)
    return (
        isinstance(recognizer, PatternRecognizer)
        and kind.analyze is PatternRecognizer.analyze
        and getattr(kind, "_PatternRecognizer__analyze_patterns", None)
        is PatternRecognizer._PatternRecognizer__analyze_patterns  # type: ignore[attr-defined]
    )


def scan_patterns(recognizer: Any, text: str) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of what ``recognizer.analyze(text, ...)`` returns for a plain
    ``PatternRecognizer``: the same regexes, flags, timeout, validation, invalidation, scores and
    deduplication, without building a result and an explanation per match."""
    from presidio_analyzer import pattern_recognizer

    flags = recognizer.global_regex_flags
    timeout = pattern_recognizer.REGEX_TIMEOUT_SECONDS
    validate, invalidate = recognizer.validate_result, recognizer.invalidate_result
    found: list[tuple[int, int, float]] = []
    for pattern in recognizer.patterns:
        if not pattern.compiled_regex or pattern.compiled_with_flags != flags:
            pattern.compiled_with_flags = flags
            pattern.compiled_regex = pattern_recognizer.re.compile(pattern.regex, flags=flags)
        try:
            for match in pattern.compiled_regex.finditer(text, timeout=timeout):
                start, end = match.span()
                if start == end:
                    continue
                matched = text[start:end]
                score = pattern.score
                validation = validate(matched)
                if validation is not None:
                    score = _MAX_SCORE if validation else _MIN_SCORE
                invalidation = invalidate(matched)
                if invalidation is not None and invalidation:
                    score = _MIN_SCORE
                if score > _MIN_SCORE:
                    found.append((start, end, score))
        except TimeoutError:
            pattern_recognizer.logger.warning(
                "Regex pattern '%s' timed out after %s seconds, skipping.",
                pattern.name,
                timeout,
                exc_info=True,
            )
    return remove_contained(found) if len(found) > 1 else found


def remove_contained(spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """``EntityRecognizer.remove_duplicates`` for results of one entity type: drops zero scores and spans
    contained in another with an equal or higher score (order: score, start, longest first)."""
    ordered = sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]), -s[2]))
    kept: list[tuple[int, int, float]] = []
    active: list[tuple[int, int, float]] = []
    for start, end, score in ordered:
        if score == 0:
            continue
        active = [other for other in active if other[1] >= start]
        if not any(start >= o[0] and end <= o[1] and score <= o[2] for o in active):
            kept.append((start, end, score))
            active.append((start, end, score))
    return sorted(kept, key=lambda s: (-s[2], s[0], -(s[1] - s[0])))


_MIN_SCORE, _MAX_SCORE = 0, 1.0  # EntityRecognizer.MIN_SCORE, MAX_SCORE
# False: gated recognizers match through their parts' PatternRecognizer.analyze (tests compare the two)
_SCAN_PATTERNS = True
