"""Chroma: queries become retrieval spans with the ids and distances Chroma returned; writes become db spans.

In-process client for most tests; a real ``chroma run`` server on loopback for the HTTP and async clients.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings
from opentelemetry.trace import StatusCode

import otel_genai
from helpers.processes import unused_port
from helpers.vector_store_asserts import (
    assert_database_spans,
    assert_retrieval_span,
    documents,
    retrieval_spans,
)

VECTORS = {
    "doc-alpha": [1.0, 0.0, 0.0],
    "doc-beta": [0.0, 1.0, 0.0],
    "doc-gamma": [0.7, 0.7, 0.0],
    "doc-delta": [0.0, 0.2, 0.9],
    "doc-eps": [0.5, 0.1, 0.4],
}
TEXTS = {key: f"text of {key} for alice@example.com" for key in VECTORS}
QUERY = [0.9, 0.2, 0.1]


@pytest.fixture
def collection(chroma_client: Any) -> Iterator[Any]:
    created = chroma_client.create_collection("kb-docs", embedding_function=None)
    created.add(ids=list(VECTORS), embeddings=list(VECTORS.values()), documents=list(TEXTS.values()))
    yield created


@pytest.mark.parametrize("k", [1, 3, 5])
def test_query_span_carries_the_ids_and_distances_chroma_returned(
    make_telemetry: Any, collection: Any, validate_schema: Any, k: int
) -> None:
    telemetry = make_telemetry()
    result = collection.query(query_embeddings=[QUERY], n_results=k)

    span = telemetry.span()
    assert_retrieval_span(
        span, system="chroma", collection="kb-docs", operation="query", top_k=k, returned_rows=k
    )
    attributes = span.attributes
    assert attributes["gen_ai.request.top_k"] == k
    # Chroma returns distances in the collection's space (l2 by default): said, not passed off as similarity
    assert attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert attributes["otel_genai.retrieval.score.metric"] == "l2"
    returned = documents(span)
    assert [d["id"] for d in returned] == result["ids"][0]
    assert [d["score"] for d in returned] == pytest.approx(result["distances"][0])
    assert all(a["score"] <= b["score"] for a, b in itertools.pairwise(returned))
    validate_schema("gen-ai-retrieval-documents", returned)
    assert "server.address" not in attributes  # in-process


def test_content_is_off_by_default_and_vectors_never_recorded(make_telemetry: Any, collection: Any) -> None:
    telemetry = make_telemetry()
    collection.query(query_embeddings=[QUERY], n_results=2, include=["documents", "distances", "embeddings"])

    span = telemetry.span()
    assert "gen_ai.retrieval.query.text" not in span.attributes
    assert all(set(d) == {"id", "score"} for d in documents(span))
    flat = json.dumps(dict(span.attributes))
    assert "alice@example.com" not in flat
    assert "0.9" not in flat.replace(str(documents(span)[0]["score"]), "")  # no query vector anywhere


def test_content_capture_adds_document_text_and_query_text(make_telemetry: Any, chroma_client: Any) -> None:
    class Embedder(chromadb.EmbeddingFunction):  # type: ignore[misc]
        def __init__(self) -> None:
            pass

        def __call__(self, input: Any) -> Any:
            return [[1.0, 0.0, float(len(text) % 3)] for text in input]

        @staticmethod
        def name() -> str:
            return "letters-v1"

        def get_config(self) -> dict[str, Any]:
            return {"model_name": "letters-v1"}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            return Embedder()

    client = chroma_client
    embedded = client.create_collection("kb-text", embedding_function=Embedder())
    embedded.add(ids=["a", "b"], documents=["Call Bob on 555-0100", "Nothing here"])
    telemetry = make_telemetry(capture_content=True)
    result = embedded.query(query_texts=["how do I reach Bob?"], n_results=2)

    span = telemetry.span()
    assert span.attributes["gen_ai.retrieval.query.text"] == "how do I reach Bob?"
    assert span.attributes["gen_ai.request.model"] == "letters-v1"  # the embedding model
    returned = documents(span)
    assert [d["content"] for d in returned] == result["documents"][0]
    assert [d["id"] for d in returned] == result["ids"][0]


def test_document_ids_can_be_turned_off(make_telemetry: Any, collection: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("OTEL_GENAI_RETRIEVAL_DOCUMENT_IDS", "false")
    telemetry = make_telemetry()
    result = collection.query(query_embeddings=[QUERY], n_results=3)

    returned = documents(telemetry.span())
    assert [d["score"] for d in returned] == pytest.approx(result["distances"][0])
    assert all("id" not in d for d in returned)


def test_batch_query_is_one_span_with_each_hit_tagged_by_its_query(
    make_telemetry: Any, collection: Any
) -> None:
    telemetry = make_telemetry()
    result = collection.query(query_embeddings=[QUERY, [0.0, 1.0, 0.0]], n_results=2)

    span = telemetry.span()
    assert span.attributes["otel_genai.retrieval.query.count"] == 2
    assert span.attributes["db.response.returned_rows"] == 4
    returned = documents(span)
    assert [(d["query_index"], d["id"]) for d in returned] == [
        (index, doc_id) for index, ids in enumerate(result["ids"]) for doc_id in ids
    ]


def test_positional_arguments_are_read(make_telemetry: Any, collection: Any) -> None:
    telemetry = make_telemetry()
    result = collection.query([QUERY], None, None, None, None, 2)

    span = telemetry.span()
    assert span.attributes["gen_ai.retrieval.top_k"] == 2
    assert [d["id"] for d in documents(span)] == result["ids"][0]


def test_cosine_collections_report_cosine_distance(make_telemetry: Any, chroma_client: Any) -> None:
    client = chroma_client
    cosine = client.create_collection(
        "kb-cosine", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    cosine.add(ids=list(VECTORS), embeddings=list(VECTORS.values()))
    telemetry = make_telemetry()
    cosine.query(query_embeddings=[QUERY], n_results=2)

    assert telemetry.span().attributes["otel_genai.retrieval.score.metric"] == "cosine"
    assert telemetry.span().attributes["otel_genai.retrieval.score.kind"] == "distance"


def test_get_with_a_filter_is_a_retrieval_and_by_ids_a_lookup(
    make_telemetry: Any, chroma_client: Any
) -> None:
    client = chroma_client
    tagged = client.create_collection("kb-tagged", embedding_function=None)
    tagged.add(
        ids=["a", "b", "c"],
        embeddings=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        metadatas=[{"team": "x"}, {"team": "y"}, {"team": "x"}],
    )
    telemetry = make_telemetry()
    filtered = tagged.get(where={"team": "x"}, limit=5)
    tagged.get(ids=["b"])

    search, lookup = telemetry.spans()
    assert search.name == "retrieval kb-tagged"
    assert search.attributes["db.operation.name"] == "get"
    assert search.attributes["gen_ai.retrieval.top_k"] == 5
    assert [d["id"] for d in documents(search)] == filtered["ids"]
    assert all("score" not in d for d in documents(search))  # a filter has no scores
    assert "otel_genai.retrieval.score.kind" not in search.attributes
    assert lookup.name == "get kb-tagged"
    assert "gen_ai.operation.name" not in lookup.attributes
    assert lookup.attributes["db.response.returned_rows"] == 1


def test_writes_are_database_spans_with_counts_only(make_telemetry: Any, chroma_client: Any) -> None:
    client = chroma_client
    telemetry = make_telemetry(capture_content=True)
    target = client.create_collection("kb-writes", embedding_function=None)
    target.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["secret a", "secret b"])
    target.upsert(ids=["c"], embeddings=[[1.0, 1.0]], documents=["secret c"])
    target.update(ids=["a"], embeddings=[[0.5, 0.5]], documents=["secret a2"])
    target.delete(ids=["a", "b"])

    spans = telemetry.spans()
    assert [s.name for s in spans] == [
        "add kb-writes",
        "upsert kb-writes",
        "update kb-writes",
        "delete kb-writes",
    ]
    assert [s.attributes["otel_genai.db.record.count"] for s in spans] == [2, 1, 1, 2]
    assert_database_spans(spans, system="chroma", secret="secret")
    durations = telemetry.metrics()["db.client.operation.duration"]
    assert {p.attributes["db.operation.name"] for p in durations} == {"add", "upsert", "update", "delete"}


def test_query_duration_metric(make_telemetry: Any, collection: Any) -> None:
    telemetry = make_telemetry()
    collection.query(query_embeddings=[QUERY], n_results=2)

    (point,) = telemetry.metrics()["gen_ai.client.operation.duration"]
    assert point.attributes["gen_ai.operation.name"] == "retrieval"
    assert point.attributes["db.system.name"] == "chroma"
    assert "gen_ai.provider.name" not in point.attributes
    assert point.count == 1


def test_errors_propagate_unchanged_and_mark_the_span(make_telemetry: Any, collection: Any) -> None:
    telemetry = make_telemetry()
    with pytest.raises(Exception) as raised:
        collection.query(query_embeddings=[[1.0, 0.0]], n_results=2)  # wrong dimension
    uninstrumented_error = None
    otel_genai.uninstrument()
    try:
        collection.query(query_embeddings=[[1.0, 0.0]], n_results=2)
    except Exception as error:
        uninstrumented_error = error

    assert type(raised.value) is type(uninstrumented_error)
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__qualname__
    assert "gen_ai.retrieval.documents" not in span.attributes


def test_a_query_inside_a_decorated_retriever_is_its_database_span(
    make_telemetry: Any, collection: Any
) -> None:
    telemetry = make_telemetry()

    @otel_genai.retriever(data_source="kb-embeddings@2025-03-10")
    def search(question: str, k: int = 3) -> list[str]:
        return collection.query(query_embeddings=[QUERY], n_results=k)["ids"][0]

    ids = search("where is alpha?", k=3)

    retrieval, database = sorted(telemetry.spans(), key=lambda s: s.start_time)
    assert retrieval.name == "retrieval kb-embeddings@2025-03-10"
    assert database.name == "query kb-docs"
    assert database.parent.span_id == retrieval.context.span_id
    assert "gen_ai.operation.name" not in database.attributes
    assert database.attributes["db.response.returned_rows"] == 3
    assert "gen_ai.retrieval.documents" not in database.attributes
    # the function returned bare ids: the store's hits (with their distances) describe the retrieval
    assert [d["id"] for d in documents(retrieval)] == ids
    assert retrieval.attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert retrieval.attributes["db.system.name"] == "chroma"
    assert len(retrieval_spans(telemetry)) == 1


def test_uninstrument_restores_the_collection_methods(make_telemetry: Any, collection: Any) -> None:
    originals = {name: Collection.__dict__[name] for name in ("query", "get", "add", "upsert", "delete")}
    telemetry = make_telemetry()
    assert all(Collection.__dict__[name] is not original for name, original in originals.items())
    otel_genai.uninstrument()

    assert all(Collection.__dict__[name] is original for name, original in originals.items())
    collection.query(query_embeddings=[QUERY], n_results=1)
    assert telemetry.spans() == []


# --- a real Chroma server on loopback: the HTTP client and the async client -------------------------


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: Any) -> Iterator[int]:
    port = unused_port()
    path = tmp_path_factory.mktemp("chroma")
    executable = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [str(executable), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=path,  # the server writes chroma.log into its working directory
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("chroma run did not start")
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_http_client_spans_name_the_server(make_telemetry: Any, chroma_server: int) -> None:
    client = chromadb.HttpClient(
        host="127.0.0.1", port=chroma_server, settings=Settings(anonymized_telemetry=False)
    )
    remote = client.get_or_create_collection("kb-remote", embedding_function=None)
    remote.upsert(ids=list(VECTORS), embeddings=list(VECTORS.values()))
    telemetry = make_telemetry()
    result = remote.query(query_embeddings=[QUERY], n_results=3)

    span = telemetry.span()
    assert span.attributes["server.address"] == "127.0.0.1"
    assert span.attributes["server.port"] == chroma_server
    assert [d["id"] for d in documents(span)] == result["ids"][0]


async def test_async_client_queries_and_writes(make_telemetry: Any, chroma_server: int) -> None:
    client = await chromadb.AsyncHttpClient(
        host="127.0.0.1", port=chroma_server, settings=Settings(anonymized_telemetry=False)
    )
    telemetry = make_telemetry(capture_content=True)
    remote = await client.get_or_create_collection("kb-async", embedding_function=None)
    await remote.upsert(ids=list(VECTORS), embeddings=list(VECTORS.values()), documents=list(TEXTS.values()))
    result = await remote.query(query_embeddings=[QUERY], n_results=2)

    write, query = telemetry.spans()
    assert write.name == "upsert kb-async"
    assert write.attributes["otel_genai.db.record.count"] == len(VECTORS)
    assert query.name == "retrieval kb-async"
    assert query.attributes["server.port"] == chroma_server
    assert [d["id"] for d in documents(query)] == result["ids"][0]
    assert [d["score"] for d in documents(query)] == pytest.approx(result["distances"][0])
    assert [d["content"] for d in documents(query)] == result["documents"][0]


def test_document_text_and_query_text_are_redacted_before_export(collection: Any) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from otel_genai.redaction import RedactingSpanProcessor

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(RedactingSpanProcessor(exported, otel_genai.RedactionPolicy()))
    handle = otel_genai.instrument(tracer_provider=provider, capture_content=True, exporter="none")
    try:
        result = collection.query(query_embeddings=[QUERY], n_results=3)
        provider.force_flush()
    finally:
        handle.shutdown()
        provider.shutdown()

    (span,) = exported.get_finished_spans()
    returned = documents(span)
    assert [d["id"] for d in returned] == result["ids"][0]  # ids and scores are not content: kept
    assert [d["score"] for d in returned] == pytest.approx(result["distances"][0])
    assert all("<EMAIL_ADDRESS>" in d["content"] and "alice@" not in d["content"] for d in returned)
    assert span.attributes["redaction.pii.count"] == 3
