"""What to redact and how: one immutable options object.

Importing this module is cheap (no Presidio, no spaCy); the engine is built from a policy on the
redaction worker thread, the first time it is needed.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

logger = logging.getLogger("otel_genai")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

ENV_REDACTION = "OTEL_GENAI_REDACTION"
ENV_REDACTION_MODEL = "OTEL_GENAI_REDACTION_MODEL"
ENV_REDACTION_HASH_KEY = "OTEL_GENAI_REDACTION_HASH_KEY"
ENV_REDACTION_ISOLATION = "OTEL_GENAI_REDACTION_ISOLATION"

# Presidio's pattern recognizers plus NER, without the noisy types (DATE_TIME, URL, UUID, MAC, NRP,
# US_DRIVER_LICENSE fire on code, ids and versions) and with ours (addresses, secrets, dates of birth, and
# PERSONAL_DATE: appointment, admission, visit, discharge and death dates, said of a person).
DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "LOCATION",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_BANK_NUMBER",
    "US_ITIN",
    "US_PASSPORT",
    "UK_NHS",
    "STREET_ADDRESS",
    "API_KEY",
    "PRIVATE_KEY",
    "DATE_OF_BIRTH",
    "PERSONAL_DATE",
)
# Entities only a statistical NER model finds; without a model they cannot be detected.
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP", "DATE_TIME", "ORGANIZATION"})

# JSON keys whose string (or long number) value is replaced whole, whatever it looks like: a tool argument
# {"password": "hunter2"} or {"dob": "06/22/1969"} has nothing a recognizer could find. Patterns match
# one or more whole words of the key (snake_case, kebab-case and camelCase keys are split into words).
DEFAULT_SENSITIVE_KEYS: dict[str, str] = {
    # "token" only as the last word: access_token, id_token, token; never token_count or max_tokens
    r"pass(?:word|wd|phrase)?|pwd|secrets?|token$|api_?key|access_key|private_key|client_secret|"
    r"authorization|auth_token|credentials?|cookie|session_token": "SECRET",
    r"ssn|social_security(?:_number)?": "US_SSN",
    r"dob|date_of_birth|birth_?date|birthday": "DATE_OF_BIRTH",
    r"card_number|credit_card(?:_number)?|cc_num(?:ber)?|cvv|cvc": "CREDIT_CARD",
    r"iban|account_number|routing_number": "BANK_ACCOUNT",
}

FAILED_MARKER = "[REDACTION_FAILED]"
STRIPPED_MARKER = "[CONTENT_STRIPPED]"
DROPPED_MARKER = "[REDACTED]"


class Operator(str, enum.Enum):
    """What replaces a detected value."""

    REPLACE = "replace"  # <EMAIL_ADDRESS>
    HASH = "hash"  # <EMAIL_ADDRESS:9f86d081884c7d65>, HMAC-SHA256: joins across spans, unreadable
    MASK = "mask"  # ****************
    DROP = "drop"  # the whole field goes


class OnOverload(str, enum.Enum):
    """What the worker does with spans it cannot redact in time."""

    STRIP = "strip"  # export them with content removed (fail closed)
    PATTERNS = "patterns"  # redact them with the pattern recognizers only (no NER)


@dataclass(frozen=True)
class RedactionPolicy:
    """Which fields are redacted, what is detected, and what replaces it.

    The defaults are tuned for LLM traffic: a score threshold of 0.35 keeps phone numbers without a
    context word (Presidio scores them 0.4) and drops the 0.01-0.3 noise.
    """

    entities: tuple[str, ...] = DEFAULT_ENTITIES
    score_threshold: float = 0.35
    language: str = "en"
    operator: Operator | str = Operator.REPLACE
    # per entity type, overriding ``operator``: {"EMAIL_ADDRESS": "hash"}
    operators: Mapping[str, Operator | str] = field(default_factory=dict)
    # HMAC key for Operator.HASH; default: OTEL_GENAI_REDACTION_HASH_KEY, else a per-process random key
    hash_key: bytes | str | None = None
    mask_char: str = "*"
    # extra attribute keys to redact (exact keys, or prefixes ending in ".")
    extra_keys: tuple[str, ...] = ()
    # user recognizers: {"EMPLOYEE_ID": r"\bEMP-\d{6}\b"} and words that are always redacted
    patterns: Mapping[str, str | Iterable[str]] = field(default_factory=dict)
    deny_list: Mapping[str, Iterable[str]] | Iterable[str] = ()
    # words never redacted, even when detected ("Convert", your product names)
    allow_list: tuple[str, ...] = ()
    # JSON key pattern -> entity type: values under matching keys are replaced whole ({} turns it off)
    sensitive_keys: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SENSITIVE_KEYS))
    # spaCy pipeline: a package name or a path; None = best installed English one; "none" = patterns only
    model: str | None = None
    # wall-clock budget for one analysis call (at most ``analysis_chunk_chars`` of text); over it, the
    # unfinished fields become FAILED_MARKER
    time_budget_seconds: float = 10.0
    # spans that waited longer than this for the worker are handled by ``on_overload``
    max_lag_seconds: float = 30.0
    on_overload: OnOverload | str = OnOverload.STRIP
    # analysis results kept by content hash (multi-turn chats resend their history on every call)
    cache_size: int = 20_000
    ner_batch_size: int = 32
    # "thread": analyse on a worker thread (no extra process; NER can delay the app's threads by up to
    # the GIL switch interval, 5 ms, at p99); "process": in a child process (~200 MB more, app p99 intact)
    # (None: OTEL_GENAI_REDACTION_ISOLATION, else "thread")
    isolation: str | None = None
    # a "process" engine is restarted after this many texts (spaCy's string store still creeps)
    recycle_after_texts: int = 200_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "entities", tuple(self.entities))
        object.__setattr__(self, "extra_keys", tuple(self.extra_keys))
        object.__setattr__(self, "allow_list", tuple(self.allow_list))
        object.__setattr__(self, "operator", Operator(self.operator))
        object.__setattr__(self, "on_overload", OnOverload(self.on_overload))
        object.__setattr__(self, "operators", {str(k): Operator(v) for k, v in dict(self.operators).items()})
        patterns = {
            name: (value,) if isinstance(value, str) else tuple(value)
            for name, value in dict(self.patterns).items()
        }
        object.__setattr__(self, "patterns", patterns)
        deny = self.deny_list
        if isinstance(deny, Mapping):
            deny_map = {name: tuple(words) for name, words in deny.items()}
        else:
            words = tuple(deny)
            deny_map = {"DENY_LIST": words} if words else {}
        object.__setattr__(self, "deny_list", deny_map)
        object.__setattr__(self, "sensitive_keys", dict(self.sensitive_keys))
        if self.model is None and os.environ.get(ENV_REDACTION_MODEL, "").strip():
            object.__setattr__(self, "model", os.environ[ENV_REDACTION_MODEL].strip())
        if self.isolation is None:  # the keyword wins; the variable only fills in
            isolation = os.environ.get(ENV_REDACTION_ISOLATION, "").strip().lower() or "thread"
            object.__setattr__(self, "isolation", isolation)
        if self.isolation not in ("thread", "process"):
            raise ValueError(f"isolation must be 'thread' or 'process', not {self.isolation!r}")

    # --- what the engine is built from (policies that differ only in operators share an engine) --

    def engine_key(self) -> tuple[object, ...]:
        """Everything that changes what is detected; engines are shared between equal keys."""
        return (
            self.entities,
            self.score_threshold,
            self.language,
            tuple(sorted((k, v) for k, v in self.patterns.items())),
            tuple(sorted((k, v) for k, v in self.deny_words().items())),
            self.allow_list,
            self.model,
            self.ner_batch_size,
            self.isolation,
        )

    def deny_words(self) -> Mapping[str, tuple[str, ...]]:
        """``deny_list`` as ``__post_init__`` stored it: entity type -> words (the field also takes words)."""
        return cast("Mapping[str, tuple[str, ...]]", self.deny_list)

    def wanted_entities(self) -> tuple[str, ...]:
        """The policy's entities plus the user's own pattern and deny-list names."""
        extra = [name for name in (*self.patterns, *self.deny_list) if name not in self.entities]
        return (*self.entities, *extra)

    # --- operators --------------------------------------------------------------------------------

    def operator_for(self, entity_type: str) -> Operator:
        return self.operators.get(entity_type, self.operator)  # type: ignore[return-value]

    def replacement(self, entity_type: str, value: str) -> str:
        """The text that stands in for ``value`` (never used for Operator.DROP)."""
        operator = self.operator_for(entity_type)
        if operator is Operator.HASH:
            digest = hmac.new(self._key(), value.encode("utf-8"), hashlib.sha256).hexdigest()
            return f"<{entity_type}:{digest[:16]}>"
        if operator is Operator.MASK:
            return self.mask_char * len(value)
        return f"<{entity_type}>"

    def _key(self) -> bytes:
        key = self.hash_key
        if key is None:
            return _process_hash_key()
        return key.encode("utf-8") if isinstance(key, str) else key

    def key_classifier(self) -> Callable[[str], str | None]:
        """``classify(json_key) -> entity type | None`` for ``sensitive_keys`` (compiled once)."""
        rules = [
            (re.compile(rf"(?:^|_)(?:{pattern})(?:$|_)"), entity)
            for pattern, entity in self.sensitive_keys.items()
        ]

        def classify(key: str) -> str | None:
            words = _CAMEL.sub("_", key).lower().replace("-", "_").replace(".", "_").replace(" ", "_")
            for rule, entity in rules:
                if rule.search(words):
                    return entity
            return None

        return classify

    def redacts_key(self, key: str) -> bool:
        """Whether a user-added attribute key (exact, or under a prefix ending in '.') is content."""
        return any(key == k or (k.endswith(".") and key.startswith(k)) for k in self.extra_keys)


_PROCESS_KEY: bytes | None = None


def _process_hash_key() -> bytes:
    """OTEL_GENAI_REDACTION_HASH_KEY, else a random key: hashes then join within this process only."""
    global _PROCESS_KEY
    if _PROCESS_KEY is None:
        configured = os.environ.get(ENV_REDACTION_HASH_KEY, "")
        if configured:
            _PROCESS_KEY = configured.encode("utf-8")
        else:
            logger.warning(
                "otel_genai: redaction uses the hash operator without a key; hashes join only within "
                "this process. Set %s (the same secret in every service) to join them across services.",
                ENV_REDACTION_HASH_KEY,
            )
            _PROCESS_KEY = secrets.token_bytes(32)
    return _PROCESS_KEY
