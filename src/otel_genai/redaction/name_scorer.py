"""A learned second look at person names: keep or drop each PERSON finding, add capitalised words the rules
missed, by a small logistic regression over what is known about each candidate.

Why: hand rules plateau on text nobody tuned them on (82-86 % name recall and 11-15 % of clean texts
altered at the first look at each blind corpus), because every corpus brings names the lists lack and
capitalised words (UI labels, departments, log prefixes) that look like names. The scorer weighs the same
evidence the rules use (which recognizer or NER found it, gazetteers, casing, the words around it, the
text's language, code) together with a character n-gram model of name-likeness that generalises beyond
the gazetteers, and was fitted on the labelled corpora (``scripts/train_name_scorer.py``). The keep model
learnt from NER's and the cue recognizers' PERSON findings before the rules' refinement as well as after
it: on new text the false alarms the rules know nothing about survive (a company, a team, a German noun,
a label), and what they look like is what the rules removed on the corpora (a word of a company or a
team, a noun's ending, words no gazetteer knows, common words, no other personal data in the text).

Candidates of a text are (1) every PERSON finding of the pipeline and (2) every run of 1-3 capitalised
words (Title case or ALL CAPS, with a middle initial) that no finding of any kind touches, without common
words at its edges ("Thanks", "Team"). Inference is plain Python over weights shipped in
``data/name_scorer.json`` (hashed 2-4-gram table and common-word bit sets, base64; loaded once, lazily).
The scorer only drops or adds PERSON findings; on any error the findings go on as they were.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import itertools
import json
import logging
import math
import operator
import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from otel_genai.redaction.bare_names import lone_given_names
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.names import (
    _CONTINENTS,
    _HOLIDAYS,
    _LANGUAGES,
    _NOT_PEOPLE,
    _TEAM_WORDS,
    _TECH_WORDS,
    _has_cue_before,
    _text_language,
    _word_set,
    given_names,
    places,
    surnames,
    word_names,
)

logger = logging.getLogger("otel_genai")

WEIGHTS_FILE = "name_scorer.json"
# ents: (start, end, label) of the NER model's entities of the text (empty without a model)
Entity = tuple[int, int, str]

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019\-](?=[^\W\d_]))*")
# the words of _WORD that do not begin with a-z, at the same starts (a letter no word reaches): a run of
# capitalised words needs only them, and a letter between two of them (a word in a-z) ends the run
_WORD_NOT_A_TO_Z = re.compile(r"(?<![^\W\d_])(?<![^\W\d_]['\u2019\-])(?![a-z])" + _WORD.pattern)
_LETTER = re.compile(r"[^\W\d_]")
# between the words of a run: spaces, a middle initial ("Anna K. Berg", "DWAYNE R PARKS")
_SEPARATOR = re.compile(r"[ \t]+(?:[^\W\d_]\.?[ \t]+)?\Z")
_INITIAL = re.compile(r"[ \t]+[^\W\d_]\.?[ \t]+")
# "I've", "She's", "Don't": a pronoun or a verb, not a name
_CONTRACTION = re.compile(
    r"(?i)(?:i|you|he|she|it|we|they|that|there|what|who|here|let|don|can|won|isn|aren|wasn|didn|doesn)"
    r"['\u2019](?:ve|ll|d|re|m|s|t)\Z"
)
_COMPANY_AFTER = re.compile(
    r"[ \t]*(?:&|\+|(?:GmbH|AG|KG|AB|Ltd|LLC|LLP|Inc|Corp|Co|plc|PLC|BV|NV|Oy|ASA|AS|SpA|Srl|SAS|SARL|Pty|"
    r"S\.A|S\.L|SE|Group|Holdings|Ventures|Partners|Traders)\b)"
)
_NUMBER_AFTER = re.compile(r"[ \t]+v?\d")
_KEY_BEFORE = re.compile(r"[:=][ \t]*[\"']?\Z")
# a user name: two lower-case words joined by a dot or an underscore ("dilnoza.yusupova")
_USER_NAME = re.compile(r"(?<![\w.@/\\-])[a-z]{2,}[._][a-z]{2,}(?![\w@/\\-]|\.\w)")
_CODE_LINE = re.compile(
    r"[{}\[\]<>=;|`$\\]|\w\(|\b(?:def|class|import|return|const|let|var|function|SELECT|INSERT|UPDATE)\b"
    r"|\d\d:\d\d:\d\d|\b(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL)\b"
)
_EMAIL_LOCAL = re.compile(r"([\w.+\-]+)@[\w\-]+\.")
_DOTTED_USER = re.compile(r"(?<![\w.@])([a-z]+)[._]([a-z]+)(?![\w@])")
_OPENERS = "\n.!?"
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb`"
_BULLETS = " \t\"'\u201c\u2018(*\u2022>-#0123456789)"


_GREETING = _word_set(
    "hi hello hey dear hej hallo hola bonjour ciao ola olá merhaba salut thanks thank cheers morning "
    "afternoon evening welcome congrats congratulations bye ahoj cześć czesc privet servus moin "
    "goeiemorgen buongiorno buenos buenas selam"
)
_PERSON_BEFORE = _word_set(
    "with by to cc for ask asked told tell call called contact contacted met meet per via and or from "
    "mr mrs ms dr prof sir madam herr frau señor senor señora sra sr monsieur madame signor signora "
    "mit und und avec et y e och og ja i"
)
_PLACE_BEFORE = _word_set("in at near into across around outside inside towards nach aus en em à dans")
_DETERMINER = _word_set(
    "the a an this that these those our your my their his her its der die das den dem des ein eine le la "
    "les un une el los las il lo gli het een"
)
_PERSON_AFTER = _word_set(
    "said says wrote writes asked asks called calls replied replies confirmed confirms mentioned agreed "
    "will would can could is was has had and thinks thought wants wanted needs needed joined joins "
    "sent sends signed approved here"
)
_SIGN_OFF = _word_set(
    "regards thanks thank cheers best sincerely yours love warmly cordially respectfully "
    "saludos grüße gruesse gruß hälsningar halsningar cordialement atenciosamente abraços abracos "
    "cumprimentos saluti distinti groeten pozdrawiam pozdrav terveisin hilsen mvh vh"
)
# words of a company, a team, a department or a role rather than of a person ("Reef Logistics", "Tim
# Billing", "VP Ops"): with names.py's team words, what a false alarm of NER on a capitalised noun holds
_ORG_WORDS = _word_set(
    "group groep grupo gruppe gruppo groupe holding holdings logistics logistik logistica logística "
    "logistique bank banco banque banca solutions systems services software labs lab tech technologies "
    "technology energy energie energia stadtwerke werke versicherung seguros insurance pharma media "
    "digital capital partners airlines airways motors foods retail market markets transport transportes "
    "construction industries industrie industria international global consulting cloud data network "
    "networks analytics platform studio studios agency agentur company companies corporation trading "
    "foundation stiftung fundação fundación institute institut instituto university universität "
    "universidad universidade hospital klinik clínica clinica hotel office ops growth scheduling "
    "callback procurement einkauf dispatch facilities security engineering product research admin it "
    "vp ceo cto cfo coo cio director manager head lead chief desk center centre zentrale central "
    "store shop station dienst service unit board committee council ministry ministerio ministério "
    "department dept kantor bagian divisi tim perusahaan pt cv tbk"
)
# the endings of a noun or an organisation's name (German, Romance, English), not of a given name
_NOUN_ENDING = re.compile(
    r"(?:ung|heit|keit|schaft|tion|sion|ment|zimmer|vertrag|plan|werk|werke|amt|ería|eria|ção|ções|dade|"
    r"idad|ität|ware|soft|tech|ics|ing|ness|ship|ance|ence|ismo|ologie|ology)\Z"
)
_NOT_PERSONAL = frozenset({"PERSON", "LOCATION", "NRP", "DATE_TIME", "ORGANIZATION", "URL"})
_CUE_WORDS = _GREETING | _PERSON_BEFORE | _SIGN_OFF | _DETERMINER

FEATURES = (
    "bias",
    "is_finding",
    "ner_person",
    "ner_person_exact",
    "ner_other",
    "ner_place",
    "ner_org",
    "cue_person",
    "cue_score",
    "analysed_place",
    "final_score",
    "added_by_rules",
    "next_to_person",
    "ngram_min",
    "ngram_mean",
    "ngram_max",
    "given",
    "given_first",
    "surname",
    "surname_last",
    "lone_given",
    "word_name",
    "place",
    "not_people",
    "very_common",
    "common",
    "all_common",
    "words_1",
    "words_2",
    "words_3",
    "all_caps",
    "initial",
    "short_word",
    "long_word",
    "sentence_initial",
    "after_colon",
    "line_start",
    "alone_on_line",
    "after_sign_off",
    "in_quotes",
    "before_colon",
    "possessive",
    "greeting_before",
    "person_before",
    "place_before",
    "determiner_before",
    "person_after",
    "lower_after",
    "capital_after",
    "code_line",
    "language_en",
    "language_de",
    "lower_elsewhere",
    "in_user_name",
    "user_name_shape",
    "capital_before",
    "company_near",
    "call_after",
    "after_key",
    "possessive_noun",
    "number_after",
    "text_has_pii",
    "text_has_person",
    "common_unknown",
    "comma_line_end",
    "org_word",
    "noun_ending",
    "unknown_words",
    "all_known",
    "any_common",
    "any_very_common",
    "first_common",
    "language_other",
    "acronym_inside",
    "person_ent_only",
)
# what only the keep model reads: whether the gazetteers know every word and how common the words are
# (the add model, fitted on runs again with their gazetteer features cleared so that it adds the names the
# lists lack, must not learn that a word they lack is no name)
KEEP_FEATURES = _word_set("unknown_words all_known any_common any_very_common first_common person_ent_only")
# what the add model reads: not which recognizer found what (it is fitted on every capitalised run, found
# or not, so that it learns what a name looks like rather than what the rules already found)
SOURCE_FEATURES = _word_set(
    "is_finding ner_person ner_person_exact ner_other ner_place ner_org cue_person cue_score analysed_place "
    "final_score added_by_rules next_to_person person_ent_only"
)


@dataclass(frozen=True)
class Lexicon:
    """Word-level evidence: the hashed 2-4-gram name-likeness model and the common-word bit sets."""

    buckets: int
    scale: float
    bias: float
    table: bytes  # int8 per bucket: the logistic regression's weight of the n-gram, times ``scale``
    common_bits: int
    common: bytes  # words of Zipf >= 4 in some language (a Bloom filter of two hashes)
    very_common_bits: int
    very_common: bytes  # words of Zipf >= 4.5 in some language

    def gram_score(self, word: str) -> float:
        padded = f"^{word}$"
        total, count = 0, 0
        table, mask = self.table, self.buckets - 1
        for size in (2, 3, 4):
            for i in range(len(padded) - size + 1):
                value = table[zlib.crc32(padded[i : i + size].encode()) & mask]
                total += value - 256 if value > 127 else value
                count += 1
        return total / self.scale / math.sqrt(count) + self.bias if count else 0.0

    def is_common(self, word: str) -> bool:
        return _has(self.common, self.common_bits, word)

    def is_very_common(self, word: str) -> bool:
        return _has(self.very_common, self.very_common_bits, word)


def _has(bits: bytes, size: int, word: str) -> bool:
    return all(bits[h >> 3] >> (h & 7) & 1 for h in _bit_hashes(word, size))


def _bit_hashes(word: str, bits: int) -> tuple[int, int]:
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little") % bits, int.from_bytes(digest[4:], "little") % bits


@dataclass(frozen=True)
class Model:
    """Two logistic regressions over ``FEATURES``: keep a finding, add a candidate; and their thresholds."""

    keep_weights: tuple[float, ...]
    add_weights: tuple[float, ...]
    keep_threshold: float
    add_threshold: float


@dataclass
class Candidate:
    start: int
    end: int
    finding: Finding | None
    features: list[float]


class NameScorer:
    """Features of the candidates of a text, and the rescored findings."""

    def __init__(self, lexicon: Lexicon, model: Model | None = None) -> None:
        self.lexicon = lexicon
        self.model = model
        self._given = given_names()
        self._surnames = surnames()
        self._lone = lone_given_names()
        self._word_names = word_names()
        self._places = places()
        self._not_people: frozenset[str] = frozenset().union(
            _NOT_PEOPLE, _TECH_WORDS, _HOLIDAYS, _LANGUAGES, _CONTINENTS
        )
        self._org_words = _ORG_WORDS | _TEAM_WORDS
        self._words: dict[str, tuple[float, ...]] = {}

    # --- word evidence (cached: a service sees the same words again) ----------------------------------

    def word(self, word: str) -> tuple[float, ...]:
        lower = word.lower()
        cached = self._words.get(lower)
        if cached is None:
            if len(self._words) > 50_000:
                self._words.clear()
            lexicon = self.lexicon
            cached = (
                lexicon.gram_score(lower),
                float(lower in self._given),
                float(lower in self._surnames),
                float(lower in self._lone),
                float(lower in self._word_names),
                float(lower in self._places),
                float(lower in self._not_people),
                float(lexicon.is_very_common(lower)),
                float(lexicon.is_common(lower)),
                float(lower in self._org_words),
                float(len(lower) >= 6 and _NOUN_ENDING.search(lower) is not None),
            )
            self._words[lower] = cached
        return cached

    # --- candidates ----------------------------------------------------------------------------------

    def candidates(
        self,
        text: str,
        analysed: Sequence[Finding],
        final: Sequence[Finding],
        ents: Sequence[Entity],
        *,
        every_run: bool = False,
        findings: bool = True,
    ) -> list[Candidate]:
        """The PERSON findings of ``final`` and the free capitalised runs and user names of ``text``, with
        features. ``every_run`` (training the add model): every run and user name, findings or not;
        ``findings=False``: the runs only."""
        found: list[Candidate] = []
        context = _TextContext(text, analysed, final, ents)
        if findings and not every_run:
            for finding in final:
                if finding.entity_type == "PERSON":
                    features = self._features(context, finding.start, finding.end, finding)
                    if features is not None:
                        found.append(Candidate(finding.start, finding.end, finding, features))
        taken = [] if every_run else sorted((f.start, f.end) for f in final)
        spans = self._free_runs(text, taken)
        spans += [
            m.span()
            for m in _USER_NAME.finditer(text)
            if not any(s < m.end() and m.start() < e for s, e in taken)
        ]
        for start, end in spans:
            features = self._features(context, start, end, None)
            if features is not None:
                found.append(Candidate(start, end, None, features))
        return found

    def _free_runs(self, text: str, taken: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        runs: list[list[tuple[int, int]]] = []
        previous_end = -1
        # ``taken`` is sorted by start: a word [start, end) overlaps one iff the furthest end of those that
        # start before ``end`` lies after ``start`` (a bisection per word, not a scan of every finding)
        taken_starts = [s for s, _ in taken]
        furthest = list(itertools.accumulate((e for _, e in taken), max))
        last_end = 0  # of the previous word not in a-z
        for match in _WORD_NOT_A_TO_Z.finditer(text):
            word = match.group()
            start, end = match.span()
            if previous_end >= 0 and _LETTER.search(text, last_end, start):
                previous_end = -1  # a word in a-z in between: not capitalised, it ends the run
            last_end = end
            if len(word) == 1 and word.isupper() and previous_end >= 0:
                continue  # a middle initial: the separator of the run allows it
            if not word[0].isupper() or len(word) < 2 or _CONTRACTION.match(word):
                previous_end = -1
                continue
            if (start and (text[start - 1] in "_@/\\.#$" or text[start - 1].isdigit())) or (
                end < len(text) and (text[end] in "_@/\\" or text[end].isdigit())
            ):
                previous_end = -1
                continue
            before_end = bisect.bisect_left(taken_starts, end)
            if before_end and furthest[before_end - 1] > start:
                previous_end = -1
                continue
            if (
                runs
                and previous_end >= 0
                and len(runs[-1]) < 3
                and _SEPARATOR.match(text[previous_end:start])
            ):
                runs[-1].append((start, end))
            else:
                runs.append([(start, end)])
            previous_end = end
        spans: list[tuple[int, int]] = []
        for run in runs:
            # common words at the edges are not part of a name: "Thanks Anna", "Closed Won"
            while run and self._edge_word(text[run[0][0] : run[0][1]]):
                run = run[1:]
            while run and self._edge_word(text[run[-1][0] : run[-1][1]]):
                run = run[:-1]
            if run:
                spans.append((run[0][0], run[-1][1]))
        return spans

    def _place_with_neighbours(self, text: str, start: int, end: int, before: list[str], after: str) -> float:
        """Whether the run with the capitalised word before or after it is a place ("São Paulo")."""
        value = text[start:end].lower()
        if before and before[-1][0].isupper() and f"{before[-1].lower()} {value}" in self._places:
            return 1.0
        return float(bool(after) and after[0].isupper() and f"{value} {after.lower()}" in self._places)

    def _edge_word(self, word: str) -> bool:
        if word.isupper():
            return False  # "DWAYNE R PARKS": a name in capitals is all of it
        evidence = self.word(word)
        return bool(evidence[7]) and not (evidence[1] or evidence[2] or evidence[3] or evidence[4])

    def _features(
        self, context: _TextContext, start: int, end: int, finding: Finding | None
    ) -> list[float] | None:
        text = context.text
        words = [m.group() for m in _WORD.finditer(text, start, end) if len(m.group()) > 1]
        if not words:
            return None
        evidence = [self.word(w) for w in words]
        # each evidence column once (sum, max and all over a column: the values of the per-word loops)
        grams, given, surname, lone, word_name, place, not_person, very_common, common, org, noun = zip(
            *evidence, strict=True
        )
        n = len(words)
        ner_person = ner_exact = ner_other = ner_place = ner_org = 0.0
        for s, e, label in context.ents:
            if s < end and start < e:
                if label == "PERSON":
                    ner_person = 1.0
                    ner_exact = max(ner_exact, float(s == start and e == end))
                else:
                    ner_other = 1.0
                    ner_place = max(ner_place, float(label in ("GPE", "LOC", "FAC")))
                    ner_org = max(ner_org, float(label == "ORG"))
        cue = cue_score = analysed_place = 0.0
        for f in context.analysed:
            if f.start < end and start < f.end:
                if f.entity_type == "PERSON":
                    cue_score = max(cue_score, f.score)
                    if (f.start, f.end) not in context.person_ents:
                        cue = 1.0
                elif f.entity_type == "LOCATION":
                    analysed_place = 1.0
        added = float(
            finding is not None
            and not any(
                f.entity_type == "PERSON" and f.start < end and start < f.end for f in context.analysed
            )
        )
        next_to_person = 0.0
        if finding is None:
            for f in context.final:
                if f.entity_type == "PERSON" and (0 <= start - f.end <= 1 or 0 <= f.start - end <= 1):
                    next_to_person = 1.0
        before = text[max(0, start - 60) : start]
        stripped = before.rstrip(_BULLETS)
        line_start_at = text.rfind("\n", 0, start) + 1
        line_end_at = text.find("\n", end)
        line_end_at = len(text) if line_end_at < 0 else line_end_at
        line = text[line_start_at:line_end_at]
        head = text[line_start_at:start]
        tail = text[end:line_end_at]
        previous_words = _WORD.findall(before[-30:])
        previous = previous_words[-1].lower() if previous_words else ""
        after_match = _WORD.match(tail.lstrip(" \t"))
        after = after_match.group() if after_match else ""
        previous_line = text[:line_start_at].rstrip().rsplit("\n", 1)[-1].strip()
        previous_line_words = _WORD.findall(previous_line.lower())
        signed = bool(
            previous_line
            and len(previous_line_words) <= 4
            and (previous_line.endswith(",") or any(w in _SIGN_OFF for w in previous_line_words))
        )
        lowers = {w.lower() for w in words}
        # a word of a gazetteer of names (given, surname, lone given, word name)
        known = [bool(e[1] or e[2] or e[3] or e[4]) for e in evidence]
        return [
            1.0,
            float(finding is not None),
            ner_person,
            ner_exact,
            ner_other,
            ner_place,
            ner_org,
            cue,
            cue_score,
            analysed_place,
            finding.score if finding is not None else 0.0,
            added,
            next_to_person,
            min(grams),
            sum(grams) / n,
            max(grams),
            sum(given) / n,
            evidence[0][1],
            sum(surname) / n,
            evidence[-1][2],
            sum(lone) / n,
            sum(word_name) / n,
            max(
                max(place),
                self._place_with_neighbours(text, start, end, previous_words, after),
            ),
            max(not_person),
            sum(very_common) / n,
            sum(common) / n,
            float(all(common)),
            float(n == 1),
            float(n == 2),
            float(n >= 3),
            float(all(w.isupper() for w in words)),
            float(_INITIAL.search(text, start, end) is not None),
            float(any(len(w) <= 3 for w in words)),
            float(any(len(w) >= 12 for w in words)),
            float(not stripped or stripped[-1] in _OPENERS),
            float(bool(stripped) and stripped[-1] == ":"),
            float(not head.strip(_BULLETS)),
            float(not head.strip(_BULLETS) and not tail.strip(" \t.,!:;")),
            float(signed and not head.strip(_BULLETS)),
            float(bool(before) and before[-1] in _QUOTES and end < len(text) and text[end] in _QUOTES),
            float(tail.lstrip(" \t").startswith(":")),
            float(text.endswith(("'s", "\u2019s"), start, end) or tail.startswith(("'s", "\u2019s"))),
            float(previous in _GREETING),
            float(previous in _PERSON_BEFORE),
            float(previous in _PLACE_BEFORE),
            float(previous in _DETERMINER),
            float(after.lower() in _PERSON_AFTER),
            float(bool(after) and after[0].islower()),
            float(bool(after) and after[0].isupper()),
            float(_CODE_LINE.search(line) is not None),
            float(context.language == "en"),
            float(context.language == "de"),
            float(any(w in context.lower_words for w in lowers)),
            float(any(w in context.user_parts for w in lowers)),
            float(text[start].islower()),
            float(
                bool(previous_words)
                and previous_words[-1][0].isupper()
                and previous not in _CUE_WORDS
                and before.endswith((" ", "\t"))
                and before[:-1].rstrip(" \t").endswith(previous_words[-1])
            ),
            float(_COMPANY_AFTER.match(text, end) is not None or before.rstrip(" \t").endswith(("&", "+"))),
            float(text.startswith("(", end)),
            float(_KEY_BEFORE.search(before) is not None),
            float(text.endswith(("'s", "\u2019s"), start, end) and bool(after) and after[0].islower()),
            float(_NUMBER_AFTER.match(text, end) is not None),
            context.has_pii,
            # a PERSON finding in the text; for a finding: another one (what the keep model learns from
            # includes the findings the rules removed, alone in their texts, while what it judges is always
            # a finding, so "a PERSON finding in the text" would always hold)
            float(bool(context.persons))
            if finding is None
            else float(any(e <= start or end <= s for s, e in context.persons)),
            sum(e[8] and not (e[1] or e[2] or e[3] or e[4]) for e in evidence) / n,
            float(tail.startswith(",") and not tail[1:].strip() and line_end_at < len(text)),
            max(org),
            max(noun),
            known.count(False) / n,
            float(all(known)),
            max(common),
            max(very_common),
            evidence[0][8],
            float(context.language not in ("en", "de")),
            float(any(w.isupper() and len(w) <= 4 for w in words) and not all(w.isupper() for w in words)),
            float(ner_person and not cue and not ner_other),
        ]

    # --- decisions -----------------------------------------------------------------------------------

    def probability(self, candidate: Candidate) -> float:
        assert self.model is not None
        weights = self.model.keep_weights if candidate.finding is not None else self.model.add_weights
        features = candidate.features
        if len(weights) != len(features):
            raise ValueError("the features do not match the weights")
        z = sum(map(operator.mul, weights, features))  # the same products summed in the same order
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def rescore(
        self, text: str, analysed: Sequence[Finding], final: Sequence[Finding], ents: Sequence[Entity]
    ) -> list[Finding]:
        """``final`` with the PERSON findings the model doubts dropped and the names it sees added."""
        assert self.model is not None
        dropped: set[int] = set()
        added: list[Finding] = []
        # a keep threshold of 0 drops nothing: no need to score the findings then
        keep = self.model.keep_threshold > 0
        for candidate in self.candidates(text, analysed, final, ents, findings=keep):
            p = self.probability(candidate)
            if candidate.finding is not None:
                # a name a context cue introduces ("this is Oanh", "assignee": ...) stays: recall first
                if p < self.model.keep_threshold and not _has_cue_before(text, candidate.start):
                    dropped.add(id(candidate.finding))
            elif p >= self.model.add_threshold and not _rejected_by_rules(candidate, analysed):
                added.append(Finding(candidate.start, candidate.end, "PERSON", round(p, 2)))
        if not dropped and not added:
            return list(final)
        return [f for f in final if id(f) not in dropped] + added


def _rejected_by_rules(candidate: Candidate, analysed: Sequence[Finding]) -> bool:
    """Whether the analysis found a PERSON here that the rules then took out (a holiday, a company, a
    label): the rules' explicit no is not overturned."""
    return any(
        f.entity_type == "PERSON" and f.start < candidate.end and candidate.start < f.end for f in analysed
    )


class _TextContext:
    """What the features of every candidate of one text share (computed once per text)."""

    def __init__(
        self, text: str, analysed: Sequence[Finding], final: Sequence[Finding], ents: Sequence[Entity]
    ) -> None:
        self.text = text
        self.analysed = analysed
        self.final = final
        self.ents = ents
        self.person_ents = {(s, e) for s, e, label in ents if label == "PERSON"}
        # personal data of another kind in the text (an e-mail, a phone, a card): a text about a person
        self.has_pii = float(any(f.entity_type not in _NOT_PERSONAL for f in final))
        self.persons = [(f.start, f.end) for f in final if f.entity_type == "PERSON"]
        self.language = _text_language(text)

    @functools.cached_property
    def user_parts(self) -> set[str]:
        """The parts of the text's e-mail local parts and dotted user names (at the first candidate that
        asks)."""
        parts: set[str] = set()
        for match in _EMAIL_LOCAL.finditer(self.text):
            parts.update(p.lower() for p in re.split(r"[._+\-]", match.group(1)) if len(p) > 1)
        for match in _DOTTED_USER.finditer(self.text):
            parts.update((match.group(1), match.group(2)))
        return parts

    @functools.cached_property
    def lower_words(self) -> set[str]:
        """The words of the text in lower case (at the first candidate that asks)."""
        return set(filter(str.islower, _WORD.findall(self.text)))


# --- weights: loaded once, lazily ------------------------------------------------------------------------

_SCORER: NameScorer | None = None
_LOADED = False
_LOAD_LOCK = threading.Lock()


def lexicon_from(data: dict[str, Any]) -> Lexicon:
    return Lexicon(
        buckets=int(data["buckets"]),
        scale=float(data["scale"]),
        bias=float(data["bias"]),
        table=base64.b64decode(data["table"]),
        common_bits=int(data["common_bits"]),
        common=base64.b64decode(data["common"]),
        very_common_bits=int(data["very_common_bits"]),
        very_common=base64.b64decode(data["very_common"]),
    )


def model_from(data: dict[str, Any]) -> Model:
    if list(data["features"]) != list(FEATURES):
        raise ValueError("the name scorer's weights were trained on other features")
    return Model(
        keep_weights=tuple(float(w) for w in data["keep_weights"]),
        add_weights=tuple(float(w) for w in data["add_weights"]),
        keep_threshold=float(data["keep_threshold"]),
        add_threshold=float(data["add_threshold"]),
    )


def shared_scorer() -> NameScorer | None:
    """The scorer of the shipped weights (read once), or None when they are missing or unreadable."""
    global _SCORER, _LOADED
    if _LOADED:
        return _SCORER
    with _LOAD_LOCK:
        if not _LOADED:
            try:
                raw = (
                    resources.files("otel_genai.redaction")
                    .joinpath(f"data/{WEIGHTS_FILE}")
                    .read_text("utf-8")
                )
                data = json.loads(raw)
                _SCORER = NameScorer(lexicon_from(data["lexicon"]), model_from(data["model"]))
            except Exception:
                logger.warning("otel_genai: the name scorer's weights could not be loaded", exc_info=True)
                _SCORER = None
            _LOADED = True
    return _SCORER


def rescore_names(
    text: str, analysed: Sequence[Finding], final: list[Finding], ents: Sequence[Entity] = ()
) -> list[Finding]:
    """``final`` rescored by the shipped model (PERSON findings only); ``final`` itself on any error."""
    try:
        scorer = shared_scorer()
        if scorer is None:
            return final
        return scorer.rescore(text, analysed, final, ents)
    except Exception:
        logger.debug("otel_genai: the name scorer failed; findings kept as they were", exc_info=True)
        return final
