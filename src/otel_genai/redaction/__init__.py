"""PII redaction of captured content, before any exporter sees it.

Importing this package is cheap: Presidio and spaCy are imported on the redaction worker thread the
first time a span with content needs analysing.
"""

from __future__ import annotations

from otel_genai.redaction.engine import engine_status
from otel_genai.redaction.policy import (
    DEFAULT_ENTITIES,
    FAILED_MARKER,
    STRIPPED_MARKER,
    OnOverload,
    Operator,
    RedactionPolicy,
)
from otel_genai.redaction.processor import RedactingLogRecordProcessor, RedactingSpanProcessor

__all__ = [
    "DEFAULT_ENTITIES",
    "FAILED_MARKER",
    "STRIPPED_MARKER",
    "OnOverload",
    "Operator",
    "RedactingLogRecordProcessor",
    "RedactingSpanProcessor",
    "RedactionPolicy",
    "engine_status",
]
