"""What Presidio's ``AnalyzerEngine.analyze`` does for the detector, without its per-call overhead.

Per text, ``AnalyzerEngine.analyze`` selects the recognizers of the requested entities (a scan of the whole
registry), builds the spaCy artifacts eagerly (lemmas, token offsets and the keyword list: two vocabulary
look-ups per token), deep-copies every result for context enhancement, then thresholds, deduplicates and
applies the allow list. ``LeanAnalyzer`` does the same steps on the same recognizers with the same
arithmetic, so its findings are identical (same spans, types, scores and order), but it:

* selects recognizers once per distinct set of entities;
* matches a plain ``PatternRecognizer``'s patterns with ``_gates.scan_patterns`` (no result object and
  explanation per match);
* builds the artifacts lazily: the lemmas and keywords only when a result's recognizer has context words,
  the NER entities only when a recognizer reads them; lemmas and token ends from one array copy of the
  doc (``Doc.to_array``), not a ``Token`` object per token;
* enhances scores on plain tuples (no deep copy), finding a match's token by bisection and looking keywords
  up in a set.

It is used only where it reproduces Presidio exactly: ``LeanAnalyzer.applies(analyzer, threshold)`` is
false (and the detector calls Presidio) for an enhancer other than Presidio's lemma enhancer, for a
recognizer with its own ``enhance_using_context``, or without an explicit score threshold. Presidio stays
the oracle: ``PresidioDetector(policy, lean=False)`` calls it (tests compare both).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from typing import Any

from otel_genai.redaction._gates import plain_pattern_recognizer, remove_contained, scan_patterns
from otel_genai.redaction.findings import Finding

_LAZY_PARTS = frozenset(
    {
        "entities",
        "scores",
        "lemmas",
        "tokens_indices",
        "lower_lemmas",
        "keywords",
        "keyword_set",
        "token_ends",
    }
)
# (entity_type, start, end, score)
_Span = tuple[str, int, int, float]
# a keyword-candidate memo this large is dropped and rebuilt (a long-running service sees many words)
_MEMO_LIMIT = 50_000


class LeanAnalyzer:
    """``analyze(text, entities, doc)`` -> the findings ``AnalyzerEngine.analyze`` would return."""

    @staticmethod
    def applies(analyzer: Any, score_threshold: float | None) -> bool:
        from presidio_analyzer import EntityRecognizer
        from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

        enhancer = analyzer.context_aware_enhancer
        return (
            score_threshold is not None
            and type(enhancer) is LemmaContextAwareEnhancer
            and enhancer.context_matching_mode in ("substring", "whole_word")
            and all(
                type(recognizer).enhance_using_context is EntityRecognizer.enhance_using_context
                for recognizer in analyzer.registry.recognizers
            )
        )

    def __init__(
        self,
        analyzer: Any,
        nlp_engine: Any,
        language: str,
        score_threshold: float,
        allow_list: Sequence[str],
    ) -> None:
        from presidio_analyzer import RecognizerResult
        from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
        from presidio_analyzer.nlp_engine import NlpArtifacts

        self._recognizers = list(analyzer.registry.recognizers)
        self._nlp_engine = nlp_engine
        self._language = language
        self._threshold = score_threshold
        self._allow = frozenset(allow_list)
        enhancer = analyzer.context_aware_enhancer
        self._find_supportive_word = enhancer._find_supportive_word_in_context
        self._factor = enhancer.context_similarity_factor
        self._min_with_context = enhancer.min_score_with_context_similarity
        self._prefix = enhancer.context_prefix_count
        self._suffix = enhancer.context_suffix_count
        self._mode = enhancer.context_matching_mode
        self._max_score = ContextAwareEnhancer.MAX_SCORE
        self._id_key = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY
        self._enhanced_key = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
        self._artifacts_type = _lazy_artifacts_type(NlpArtifacts)
        self._selected: dict[tuple[str, ...], tuple[list[tuple[Any, str | None]], dict[str, Any]]] = {}
        self._keyword_memo: dict[str, tuple[str, ...]] = {}

    def _select(self, entities: tuple[str, ...]) -> tuple[list[tuple[Any, str | None]], dict[str, Any]]:
        """The recognizers for ``entities`` (each with its entity when ``scan_patterns`` can match for it),
        and by id."""
        selected = self._selected.get(entities)
        if selected is None:
            recognizers = [
                recognizer
                for recognizer in self._recognizers
                if recognizer.supported_language == self._language
                and any(entity in recognizer.supported_entities for entity in entities)
            ]
            if not recognizers:  # as Presidio's registry
                raise ValueError("No matching recognizers were found to serve the request.")
            selected = (
                [
                    (
                        recognizer,
                        recognizer.supported_entities[0] if plain_pattern_recognizer(recognizer) else None,
                    )
                    for recognizer in recognizers
                ],
                {recognizer.id: recognizer for recognizer in recognizers},
            )
            self._selected[entities] = selected
        return selected

    def analyze(self, text: str, entities: tuple[str, ...], doc: Any) -> list[Finding]:
        recognizers, by_id = self._select(entities)
        artifacts = self._artifacts_type(doc, self._nlp_engine, self._language, self._keywords)
        requested = list(entities)
        id_key, enhanced_key = self._id_key, self._enhanced_key
        threshold = self._threshold
        kept: list[_Span] = []
        for recognizer, plain_entity in recognizers:
            if not recognizer.is_loaded:
                recognizer.load()
                recognizer.is_loaded = True
            if plain_entity is not None:  # Presidio's pattern matching, without a result object per match
                for start, end, score in scan_patterns(recognizer, text):
                    if recognizer.context:
                        score = self._enhanced(text, start, score, recognizer.context, artifacts)
                    if score >= threshold:
                        kept.append((plain_entity, start, end, score))
                continue
            results = recognizer.analyze(text=text, entities=requested, nlp_artifacts=artifacts)
            if not results:
                continue
            for result in results:
                metadata = result.recognition_metadata or {}
                owner = by_id.get(metadata[id_key]) if id_key in metadata else recognizer
                if owner is None:
                    continue  # Presidio drops results of a recognizer it did not run
                score = result.score
                if owner.context and not metadata.get(enhanced_key):
                    score = self._enhanced(text, result.start, score, owner.context, artifacts)
                if score >= threshold:
                    kept.append((result.entity_type, result.start, result.end, score))
        findings = _remove_duplicates(kept)
        allow = self._allow
        return [
            Finding(start, end, entity, float(score))
            for entity, start, end, score in findings
            if not allow or text[start:end] not in allow
        ]

    def _enhanced(self, text: str, start: int, score: float, context: list[str], artifacts: Any) -> float:
        """LemmaContextAwareEnhancer's score for one result (its steps, in its order)."""
        if not len(artifacts.tokens):
            surrounding = [""]
        else:
            index = artifacts.token_at(start)
            if index is None:
                raise ValueError(
                    "Did not find word '" + text[start:] + "' in the list of tokens although it "
                    "is expected to be found"
                )
            lemmas, keywords = artifacts.lower_lemmas, artifacts.keyword_set
            surrounding = list(
                {
                    *_n_words(index, self._prefix, lemmas, keywords, -1),
                    *_n_words(index, self._suffix, lemmas, keywords, 1),
                }
            )
        if self._find_supportive_word(surrounding, context, self._mode) != "":
            score += self._factor
            score = max(score, self._min_with_context)
            score = min(score, self._max_score)
        return score

    def _keywords(self, lemmas: list[str]) -> set[str]:
        """``NlpArtifacts.set_keywords`` as a set (membership is all the enhancer asks of it)."""
        memo = self._keyword_memo
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        engine, language = self._nlp_engine, self._language
        keywords: set[str] = set()
        for lemma in set(lemmas):  # each distinct lemma once: the union is the same
            pieces = memo.get(lemma)
            if pieces is None:
                keep = (
                    not engine.is_stopword(lemma, language)
                    and not engine.is_punct(lemma, language)
                    and lemma != "-PRON-"
                    and lemma != "be"
                )
                pieces = tuple(lemma.lower().split(":")) if keep else ()
                memo[lemma] = pieces
            keywords.update(pieces)
        return keywords


def _n_words(index: int, count: int, lemmas: list[str], keywords: set[str], step: int) -> list[str]:
    """LemmaContextAwareEnhancer._add_n_words: up to ``count + 1`` keywords from ``index`` on."""
    words: list[str] = []
    remaining = count + 1
    while 0 <= index < len(lemmas) and remaining > 0:
        lemma = lemmas[index]
        if lemma in keywords:
            words.append(lemma)
            remaining -= 1
        index += step
    return words


def _remove_duplicates(results: list[_Span]) -> list[_Span]:
    """EntityRecognizer.remove_duplicates on tuples: drops zero scores and results contained in another of
    the same type with an equal or higher score; returns them ordered by score, start, longest first."""
    kept: list[_Span] = []
    for entity, group in itertools.groupby(sorted(results), key=lambda r: r[0]):
        kept.extend((entity, *span) for span in remove_contained([r[1:] for r in group]))
    return sorted(kept, key=lambda r: (-r[3], r[1], -(r[2] - r[1])))


def _lazy_artifacts_type(base: type) -> type:
    """An ``NlpArtifacts`` whose parts are computed on first use (same values as Presidio's)."""

    class LazyArtifacts(base):
        def __init__(self, doc: Any, engine: Any, language: str, keywords: Any) -> None:
            # no super().__init__: it computes everything eagerly
            self.tokens = doc
            self.nlp_engine = engine
            self._language = language
            self._keyword_builder = keywords

        def __getattr__(self, name: str) -> Any:
            # computed once, then stored as plain attributes (so __getattr__ runs once per part)
            if name not in _LAZY_PARTS:
                raise AttributeError(name)
            doc, engine = self.__dict__["tokens"], self.__dict__["nlp_engine"]
            if name in ("entities", "scores"):
                entities, scores = engine._get_updated_entities(
                    engine._get_entities(doc), engine._get_scores_for_entities(doc)
                )
                self.entities, self.scores = entities, scores if scores else [0.85] * len(entities)
            elif name == "lemmas":  # token.lemma_ of each token, without building a Token per token
                from spacy.attrs import LEMMA

                strings = doc.vocab.strings
                self.lemmas = list(map(strings.__getitem__, doc.to_array(LEMMA).tolist()))
            elif name == "tokens_indices":
                self.tokens_indices = [token.idx for token in doc]
            elif name == "lower_lemmas":
                self.lower_lemmas = list(map(str.lower, self.lemmas))
            elif name == "keywords":
                self.keywords = [
                    piece
                    for lemma in self.lemmas
                    if not engine.is_stopword(lemma, self._language)
                    and not engine.is_punct(lemma, self._language)
                    and lemma != "-PRON-"
                    and lemma != "be"
                    for piece in lemma.lower().split(":")
                ]
            elif name == "keyword_set":
                self.keyword_set = self._keyword_builder(self.lemmas)
            else:  # token_ends: each token's idx + len, in one array copy (not a Python loop per token)
                from spacy.attrs import IDX, LENGTH

                starts_lengths = doc.to_array([IDX, LENGTH])
                # bisection needs strictly increasing ends: every token has a character
                nonempty = len(doc) == 0 or bool(starts_lengths[:, 1].all())
                self.token_ends = starts_lengths.sum(axis=1).tolist() if nonempty else None
            return self.__dict__[name]

        def token_at(self, start: int) -> int | None:
            """The first token that starts at ``start`` or ends after it (the enhancer's search)."""
            ends = self.token_ends
            if ends is None:  # Presidio's linear search
                for index, token in enumerate(self.tokens):
                    if self.tokens_indices[index] == start or start < self.tokens_indices[index] + len(token):
                        return index
                return None
            index = bisect.bisect_right(ends, start)
            return index if index < len(ends) else None

    return LazyArtifacts
