"""Retrievals: the documents attribute, and what a retrieval adopts from the store calls made under it.

A framework retriever (LangChain's, a ``@retriever`` function) returns documents without scores and
knows no collection; the vector-store query beneath it knows both. The store call hands its hits up
(``TelemetryHandler.start`` appends it to the open retrieval), and when the retrieval ends it takes what
it lacks: scores matched by document id (never by position), the score kind, the store, the collection.
"""

from __future__ import annotations

from typing import Any

from otel_genai import semconv as sc
from otel_genai.telemetry.content import to_json, truncated
from otel_genai.telemetry.records import Retrieval, RetrievedDocument, StoreCall


def documents_json(documents: list[RetrievedDocument], *, ids: bool, content: bool, limit: int | None) -> str:
    """``gen_ai.retrieval.documents``: ``[{"id", "score", "content"?}]`` in rank order."""
    items = []
    for document in documents:
        item: dict[str, Any] = {}
        if ids and document.id is not None:
            item["id"] = document.id
        if document.score is not None:
            item["score"] = document.score
        if document.query_index is not None:
            item["query_index"] = document.query_index
        if content and document.content is not None:
            item["content"] = cut(document.content, limit)
        items.append(item)
    return to_json(items)


def retrieval_content(record: Retrieval, limit: int | None) -> dict[str, str]:
    """The query text, the only retrieval content outside the documents attribute."""
    text = record.query_text
    if not text:
        return {}
    return {sc.GEN_AI_RETRIEVAL_QUERY_TEXT: cut(text, limit)}


def cut(value: Any, limit: int | None) -> Any:
    """Long strings cut at ``limit`` characters, at any depth (``OTEL_GENAI_MAX_CONTENT_LENGTH``)."""
    return truncated(value, limit) if limit else value


def adopt_store_calls(record: Retrieval) -> bool:
    """Fill what the retrieval could not see from the store queries made under it.

    Returns True when it learned its data source (the collection), which renames its span.
    """
    queries = [call for call in record.store_calls if call.documents is not None]
    if queries and scores_from_store(record, queries):
        kinds = {(call.score_kind, call.score_metric) for call in queries}
        if record.score_kind is None and len(kinds) == 1:
            record.score_kind, record.score_metric = kinds.pop()
    calls = record.store_calls

    def first(field: str) -> Any:
        return next((getattr(call, field) for call in calls if getattr(call, field)), None)

    record.db_system = record.db_system or first("db_system")
    record.request_model = record.request_model or first("request_model")
    if record.collection is None:
        record.collection = first("collection")
        if record.data_source_id is None and record.collection:
            record.data_source_id = record.collection
            return True
    return False


def scores_from_store(record: Retrieval, queries: list[StoreCall]) -> bool:
    """Give the retrieval the store's scores where it has none; True when its scores are the store's.

    Matched by document id, never by position. A retrieval with scores of its own keeps them (a
    reranker's are never mixed with the store's); they count as the store's when they are the same.
    """
    store_scores: dict[str | None, float | None] = {
        d.id: d.score for call in queries for d in call.documents or () if d.id is not None
    }
    own = record.documents or []
    if any(d.score is not None for d in own):
        return all(d.score is None or store_scores.get(d.id) == d.score for d in own)
    if any(d.id is not None for d in own):
        for document in own:
            document.score = store_scores.get(document.id)
        return True
    # nothing to match by (a function returning bare texts): the store's hits describe it better, and
    # keep the function's texts when they line up one to one
    record.documents = [document for call in queries for document in call.documents or ()]
    if len(own) == len(record.documents):
        for mine, theirs in zip(own, record.documents, strict=True):
            theirs.content = theirs.content or mine.content
    return True
