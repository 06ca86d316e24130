"""Span readers and assertions shared by the vector-store tests (Chroma, Qdrant, Pinecone, LangChain)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from opentelemetry.trace import SpanKind


def documents(span: Any) -> list[dict[str, Any]]:
    return json.loads(span.attributes["gen_ai.retrieval.documents"])


def retrieval_spans(telemetry: Any) -> list[Any]:
    return [s for s in telemetry.spans() if s.attributes.get("gen_ai.operation.name") == "retrieval"]


def assert_retrieval_span(
    span: Any, *, system: str, collection: str, operation: str, top_k: int, returned_rows: int
) -> None:
    """A store query's ``retrieval {collection}`` CLIENT span and its ``db.*`` / ``gen_ai.*`` basics."""
    assert span.name == f"retrieval {collection}"
    assert span.kind is SpanKind.CLIENT
    attributes = span.attributes
    assert attributes["gen_ai.operation.name"] == "retrieval"
    assert attributes["gen_ai.data_source.id"] == collection
    assert attributes["db.system.name"] == system
    assert attributes["db.collection.name"] == collection
    assert attributes["db.operation.name"] == operation
    assert attributes["gen_ai.retrieval.top_k"] == top_k
    assert attributes["db.response.returned_rows"] == returned_rows


def assert_database_spans(
    spans: Iterable[Any], *, system: str, secret: str | None = None, expected: dict[str, Any] | None = None
) -> None:
    """Write spans: database CLIENT spans (no GenAI operation), with counts but never the records' content."""
    for span in spans:
        assert span.kind is SpanKind.CLIENT
        assert span.attributes["db.system.name"] == system
        for name, value in (expected or {}).items():
            assert span.attributes[name] == value, name
        assert "gen_ai.operation.name" not in span.attributes
        if secret is not None:
            assert secret not in json.dumps(dict(span.attributes))
