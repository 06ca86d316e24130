"""The pattern recognizers we add to Presidio's, where Presidio is weak and LLM traffic needs it, and the
pre-scan that says which pattern recognizers could match a text at all.

Everything here is built on the redaction worker thread (``pattern_recognizers`` imports Presidio).
``refine_patterns`` runs on every text's findings after analysis: what a pattern found that the text's
context says is not personal data goes (before the name filter in ``names.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from otel_genai.redaction.findings import Finding
from otel_genai.redaction.policy import RedactionPolicy

# --- pre-scan: which pattern recognizers could possibly match a text ------------------------------
# Each gate is a necessary condition for its entities (verified against Presidio on our corpus and on
# synthetic digit strings in tests/test_redaction_engine.py). Entities without a gate always run.
_SEVEN_DIGITS = re.compile(r"\d(?:[^\d\n]{0,3}\d){6}")
# phonenumbers accepts numbers of 4 to 6 digits in some regions (Israeli *16xx numbers, ...)
_ALPHABETIC_TLD = re.compile(r"\.[A-Za-z]{2,}$")
_DIGIT_RUN = re.compile(r"\d(?:[^\dA-Za-z]{0,3}\d){3,}")
_IP_LIKE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:")
# Presidio's recognizers that ours replace (engine.py leaves them out of the registry).
REPLACED_PRESIDIO_RECOGNIZERS = ("EmailRecognizer", "PhoneRecognizer")
GATES: tuple[tuple[frozenset[str], Any], ...] = (
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
GATED = frozenset().union(*(entities for entities, _ in GATES))

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


def pattern_recognizers(policy: RedactionPolicy) -> list[Any]:
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


def refine_patterns(text: str, findings: list[Finding]) -> list[Finding]:
    """The pattern findings the text's context confirms (all of them, for now)."""
    return findings
