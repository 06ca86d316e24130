"""The speed-ups of the redaction rules give the answers of the plain code they replace.

Each test keeps the plain form (a forward regex search, the per-word loop) and compares it with the fast
one on every registered corpus text and on generated strings made of the characters the fast forms treat
specially.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import pytest

from helpers.pii_corpora import ALL_CLEAN_TEXTS, ALL_PII_TEXTS
from otel_genai.redaction import name_scorer, names

_TEXTS = tuple(dict.fromkeys([item.text for item in ALL_PII_TEXTS] + list(ALL_CLEAN_TEXTS)))
_CAPITAL = re.compile(r"(?<!\w)[^\W\d_]")


def _generated(count: int, seed: int) -> list[str]:
    pieces = [
        # letters of every kind _WORD and str.isupper treat apart: titlecase, a roman numeral, dotless i
        *"aAzZ \u00e9\u00c9\u00df\u01c5\u21601_'\u2019-.@/\\#$\t\n,;:\u00d6\u00f6\u0130\u0131\u212a",
        *("Anna ", "de ", "R ", "R. ", "Berg", "I've ", "a ", "Thanks ", "DWAYNE ", "iPhone", "O'Neil"),
        *("x'Y", "--", "'s ", "Regards,\n", "my sister ", "Dr. ", "cc: ", "Hi ", "Hello, I'm ", "— "),
    ]
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 24))) for _ in range(count)]


def test_the_reverse_search_for_a_cue_answers_as_the_forward_search() -> None:
    """``_cue_ends`` searches ``_CUE_BEFORE`` right to left; every match ends at ``\\Z`` either way."""
    forward = names._pattern(names._CUE_BEFORE)
    slices = [
        text[max(0, match.start() - 60) : match.start()]
        for text in _TEXTS
        for match in _CAPITAL.finditer(text)
    ]
    slices += _generated(3000, seed=11)
    assert any(forward.search(s) for s in slices)  # the slices do hold cues
    for before in slices:
        assert names._cue_ends(before) == (forward.search(before) is not None), before


def _plain_free_runs(
    scorer: name_scorer.NameScorer, text: str, taken: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The per-word loop ``NameScorer._free_runs`` replaces (every word of the text, a scan of ``taken``)."""
    runs: list[list[tuple[int, int]]] = []
    previous_end = -1
    for match in name_scorer._WORD.finditer(text):
        word = match.group()
        start, end = match.span()
        if len(word) == 1 and word.isupper() and previous_end >= 0:
            continue
        if not word[0].isupper() or len(word) < 2 or name_scorer._CONTRACTION.match(word):
            previous_end = -1
            continue
        if (start and (text[start - 1] in "_@/\\.#$" or text[start - 1].isdigit())) or (
            end < len(text) and (text[end] in "_@/\\" or text[end].isdigit())
        ):
            previous_end = -1
            continue
        if any(s < end and start < e for s, e in taken):
            previous_end = -1
            continue
        if (
            runs
            and previous_end >= 0
            and len(runs[-1]) < 3
            and name_scorer._SEPARATOR.match(text[previous_end:start])
        ):
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
        previous_end = end
    spans: list[tuple[int, int]] = []
    for run in runs:
        while run and scorer._edge_word(text[run[0][0] : run[0][1]]):
            run = run[1:]
        while run and scorer._edge_word(text[run[-1][0] : run[-1][1]]):
            run = run[:-1]
        if run:
            spans.append((run[0][0], run[-1][1]))
    return spans


def test_free_runs_are_those_of_the_per_word_loop() -> None:
    scorer = name_scorer.shared_scorer()
    if scorer is None:
        pytest.skip("the name scorer's weights are not installed")
    rng = random.Random(5)
    cases: list[tuple[str, list[tuple[int, int]]]] = [(text, []) for text in _TEXTS]
    for text in _generated(20000, seed=7):
        taken = []
        for _ in range(rng.randint(0, 3)):
            start = rng.randint(0, len(text))
            taken.append((start, rng.randint(start, len(text))))
        cases.append((text, sorted(taken)))
    for text, taken in cases:
        assert scorer._free_runs(text, taken) == _plain_free_runs(scorer, text, taken), (text, taken)
