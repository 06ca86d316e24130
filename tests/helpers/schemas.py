"""The GenAI semconv JSON schemas (v1.41.1, copied from the team's shared reference) and a validator."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@functools.cache
def _validator(name: str) -> Any:
    import jsonschema

    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def validate_schema(name: str, value: Any) -> None:
    """``validate_schema("gen-ai-input-messages", value)``: value (JSON text or object) against the schema."""
    document = json.loads(value) if isinstance(value, str) else value
    _validator(name).validate(document)
