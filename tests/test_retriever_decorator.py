"""``@otel_genai.retriever``: the application's own retrievers as retrieval spans."""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any

import pytest
from langchain_core.documents import Document
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai


def documents(span: Any) -> list[dict[str, Any]]:
    return json.loads(span.attributes["gen_ai.retrieval.documents"])


@dataclasses.dataclass
class Hit:
    id: int
    score: float
    text: str


# Defined at import time, before any test instruments: the handler is looked up per call.
@otel_genai.retriever(data_source="kb-embeddings@2025-03-10")
def search_dicts(query: str, k: int = 3) -> list[dict[str, Any]]:
    """Search the knowledge base."""
    hits = [
        {"id": "doc-1", "score": 0.91, "content": f"About {query}: ask Jane Roe"},
        {"id": "doc-7", "score": 0.83, "content": "second"},
        {"id": "doc-3", "score": 0.52, "content": "third"},
    ]
    return hits[:k]


def test_span_from_dicts(telemetry: Any, validate_schema: Any) -> None:
    result = search_dicts("refunds", k=2)

    span = telemetry.span()
    assert span.name == "retrieval kb-embeddings@2025-03-10"
    assert span.kind is SpanKind.CLIENT
    assert span.attributes["gen_ai.operation.name"] == "retrieval"
    assert span.attributes["gen_ai.data_source.id"] == "kb-embeddings@2025-03-10"
    assert span.attributes["gen_ai.retrieval.top_k"] == 2
    assert span.attributes["db.response.returned_rows"] == 2
    assert span.attributes["code.function.name"] == "search_dicts"
    assert documents(span) == [{"id": h["id"], "score": h["score"]} for h in result]
    validate_schema("gen-ai-retrieval-documents", documents(span))
    assert "gen_ai.retrieval.query.text" not in span.attributes
    assert "Jane" not in json.dumps(dict(span.attributes))


def test_content_capture_adds_query_and_document_text(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)
    result = search_dicts("refunds")

    span = telemetry.span()
    assert span.attributes["gen_ai.retrieval.query.text"] == "refunds"
    assert [d["content"] for d in documents(span)] == [h["content"] for h in result]


def test_document_ids_can_be_turned_off(make_telemetry: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("OTEL_GENAI_RETRIEVAL_DOCUMENT_IDS", "0")
    telemetry = make_telemetry()
    result = search_dicts("refunds")

    assert documents(telemetry.span()) == [{"score": h["score"]} for h in result]


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (
            [
                Document(page_content="a", id="lc-1", metadata={"score": 0.4}),
                Document(page_content="b", id="lc-2"),
            ],
            [{"id": "lc-1", "score": 0.4}, {"id": "lc-2"}],
        ),
        (
            [(Document(page_content="a", id="p-1"), 0.9), (Document(page_content="b", id="p-2"), 0.25)],
            [{"id": "p-1", "score": 0.9}, {"id": "p-2", "score": 0.25}],
        ),
        ([Hit(11, 0.7, "x"), Hit(5, 0.6, "y")], [{"id": "11", "score": 0.7}, {"id": "5", "score": 0.6}]),
        ([{"doc_id": "d-9", "relevance_score": 0.33}], [{"id": "d-9", "score": 0.33}]),
        ([{"id": "nan", "score": float("nan")}], [{"id": "nan"}]),
    ],
    ids=["documents", "pairs", "objects", "aliases", "nan-score"],
)
def test_result_shapes(telemetry: Any, returned: list[Any], expected: list[dict[str, Any]]) -> None:
    @otel_genai.retriever
    def search(query: str) -> list[Any]:
        return returned

    assert search("q") is returned
    span = telemetry.span()
    assert span.name == "retrieval"
    assert documents(span) == expected


def test_document_text_from_each_shape(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)

    @otel_genai.retriever
    def search(query: str) -> list[Any]:
        return [Document(page_content="from a Document", id="a"), (Document(page_content="from a pair"), 0.5)]

    search("q")
    assert [d.get("content") for d in documents(telemetry.span())] == ["from a Document", "from a pair"]


async def test_async_functions(make_telemetry: Any) -> None:
    telemetry = make_telemetry(capture_content=True)

    @otel_genai.retriever("kb-async")
    async def search(question: str, *, top_k: int = 2) -> list[tuple[str, float]]:
        return [("x-1", 0.5), ("x-2", 0.4)][:top_k]

    assert inspect.iscoroutinefunction(search)
    result = await search("what?", top_k=1)

    assert result == [("x-1", 0.5)]
    span = telemetry.span()
    assert span.name == "retrieval kb-async"
    assert span.attributes["gen_ai.retrieval.top_k"] == 1
    assert span.attributes["gen_ai.retrieval.query.text"] == "what?"
    assert documents(span) == [{"id": "x-1", "score": 0.5}]  # (id, score) pairs


def test_methods_keep_self_and_the_signature(telemetry: Any) -> None:
    class KnowledgeBase:
        def __init__(self) -> None:
            self.calls = 0

        @otel_genai.retriever(data_source="kb-method", score_kind="distance", score_metric="l2")
        def search(self, query: str, limit: int = 5) -> list[dict[str, Any]]:
            """Find documents."""
            self.calls += 1
            return [{"id": "m-1", "score": 0.1}]

    kb = KnowledgeBase()
    assert kb.search("q", 4) == [{"id": "m-1", "score": 0.1}]
    assert kb.calls == 1
    assert KnowledgeBase.search.__name__ == "search"
    assert KnowledgeBase.search.__doc__ == "Find documents."
    assert list(inspect.signature(kb.search).parameters) == ["query", "limit"]

    span = telemetry.span()
    assert span.attributes["gen_ai.retrieval.top_k"] == 4  # positional argument, read by name
    assert span.attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert span.attributes["otel_genai.retrieval.score.metric"] == "l2"
    assert span.attributes["code.function.name"].endswith("KnowledgeBase.search")


def test_exceptions_propagate_unchanged(telemetry: Any) -> None:
    failure = LookupError("index offline")

    @otel_genai.retriever("kb-down")
    def search(query: str) -> list[Any]:
        raise failure

    with pytest.raises(LookupError) as raised:
        search("q")

    assert raised.value is failure
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "LookupError"


def test_unreadable_results_pass_through(telemetry: Any) -> None:
    sentinel = object()

    @otel_genai.retriever("kb-odd")
    def search(query: str) -> object:
        return sentinel

    assert search("q") is sentinel
    span = telemetry.span()
    assert "gen_ai.retrieval.documents" not in span.attributes
    assert span.status.status_code is StatusCode.UNSET


def test_nested_retrievers_are_nested_spans(telemetry: Any) -> None:
    @otel_genai.retriever("kb-dense")
    def dense(query: str) -> list[dict[str, Any]]:
        return [{"id": "a", "score": 0.9}]

    @otel_genai.retriever("kb-hybrid")
    def hybrid(query: str) -> list[dict[str, Any]]:
        return [*dense(query), {"id": "b", "score": 0.2}]

    hybrid("q")
    inner, outer = telemetry.spans()
    assert (outer.name, inner.name) == ("retrieval kb-hybrid", "retrieval kb-dense")
    assert inner.parent.span_id == outer.context.span_id
    assert [d["id"] for d in documents(outer)] == ["a", "b"]


def test_suppressed_instrumentation_is_honoured(telemetry: Any) -> None:
    token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        assert search_dicts("q", k=1)[0]["id"] == "doc-1"
    finally:
        detach(token)
    assert telemetry.spans() == []


def test_without_instrument_the_call_still_works(make_telemetry: Any) -> None:
    from otel_genai import _setup

    otel_genai.uninstrument()
    assert _setup.active_handler() is not None  # the global providers' handler
    assert search_dicts("q", k=1) == [{"id": "doc-1", "score": 0.91, "content": "About q: ask Jane Roe"}]


def test_own_scores_are_never_mixed_with_a_stores(telemetry: Any, chroma_client: Any) -> None:
    collection = chroma_client.create_collection("kb-rerank", embedding_function=None)
    collection.add(ids=["a", "b", "c"], embeddings=[[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])

    @otel_genai.retriever("kb-reranked")
    def search(query: str) -> list[dict[str, Any]]:
        ids = collection.query(query_embeddings=[[1.0, 0.1]], n_results=3)["ids"][0]
        return [{"id": doc_id, "score": 1.0 / (rank + 1)} for rank, doc_id in enumerate(reversed(ids))]

    result = search("q")

    retrieval = next(s for s in telemetry.spans() if s.name == "retrieval kb-reranked")
    assert documents(retrieval) == result  # the reranker's scores, not Chroma's distances
    assert "otel_genai.retrieval.score.kind" not in retrieval.attributes
    assert retrieval.attributes["db.system.name"] == "chroma"  # the rest is still adopted
