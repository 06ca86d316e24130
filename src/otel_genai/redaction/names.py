"""Person names (and the places that go with them) beyond what the NER model finds, and the filter that
drops what NER takes for a name or a place where nothing personal is meant.

``name_recognizers`` are Presidio pattern recognizers (built on the redaction worker thread); they run with
or without a NER model. ``refine_names`` runs on every text's findings after analysis.
"""

from __future__ import annotations

import re
from typing import Any

from otel_genai.redaction.findings import Finding
from otel_genai.redaction.policy import NER_ENTITIES, RedactionPolicy

# NER labels identifiers in code and logs as people and places (`order_id`, `np.arange(0`, `180ms`,
# `CrashLoopBackOff`); names contain no digits, underscores or brackets, nor several inner capitals.
_CODE_LIKE = re.compile(r"[0-9_=(){}\[\]<>/\\@#$%^*+|~`]|\.[a-z]|[a-z][A-Z][a-z]+[A-Z]")


def name_recognizers(policy: RedactionPolicy) -> list[Any]:
    """Recognizers of person names by their context (none yet)."""
    return []


def refine_names(text: str, findings: list[Finding]) -> list[Finding]:
    """The findings without NER's false alarms: identifiers in code and logs are not names or places."""
    return [
        f for f in findings if not (f.entity_type in NER_ENTITIES and _CODE_LIKE.search(text, f.start, f.end))
    ]
