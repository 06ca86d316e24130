"""Pinecone instrumentation: the real ``pinecone`` client (sync ``Index``, asyncio ``AsyncIndex``, the
control plane's ``describe``) talking plain HTTP to a local server on 127.0.0.1 that answers with canned
JSON. Nothing here needs an API key or the network.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

import otel_genai
from helpers.vector_store_asserts import assert_database_spans, assert_retrieval_span, documents
from otel_genai import semconv as sc

pinecone = pytest.importorskip("pinecone")

API_KEY = "test-key"
NAMESPACE = "articles-en"
QUERY_VECTOR = [0.125, -0.5, 0.75]
# the local index's ranked answer; a query for top_k gets the first top_k (metadata only when asked for)
MATCHES = [
    {"id": "doc-7", "score": 0.93, "metadata": {"text": "Vector databases index embeddings."}},
    {"id": "doc-2", "score": 0.81, "metadata": {"page_content": "RAG retrieves before it generates."}},
    {"id": "doc-9", "score": 0.64, "metadata": {"content": "Cosine similarity compares angles."}},
    {"id": "doc-4", "score": 0.52, "metadata": {"year": 2024}},
    {"id": "doc-1", "score": 0.31, "metadata": {"text": "Pinecone namespaces partition an index."}},
]
HITS = [
    {"_id": "rec-3", "_score": 0.88, "fields": {"chunk_text": "Apples are rich in fibre."}},
    {"_id": "rec-8", "_score": 0.47, "fields": {"chunk_text": "Pears ripen off the tree.", "tag": "fruit"}},
]
ERROR_BODIES = {
    500: {"error": {"code": "INTERNAL", "message": "the local index fell over"}, "status": 500},
    404: {"error": {"code": "NOT_FOUND", "message": "Namespace not found"}, "status": 404},
}
RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents"
# our own names (no semconv attribute exists for these)
SCORE_KIND = sc.OTEL_GENAI_RETRIEVAL_SCORE_KIND
SCORE_METRIC = sc.OTEL_GENAI_RETRIEVAL_SCORE_METRIC
RECORD_COUNT = sc.OTEL_GENAI_DB_RECORD_COUNT


# --- a local Pinecone -------------------------------------------------------------------------------


class LocalPinecone:
    """Answers the SDK's REST calls on 127.0.0.1; keeps every request (path and JSON body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.failures: dict[str, tuple[int, dict[str, Any]]] = {}  # path -> (status, body)
        self.indexes: dict[str, dict[str, Any]] = {}  # name -> describe answer
        local = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                local.answer(self)

            def do_POST(self) -> None:
                local.answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        raw = request.rfile.read(int(request.headers.get("content-length") or 0))
        body: Any = (
            json.loads(raw) if raw and request.headers.get("content-type") == "application/json" else raw
        )
        path = request.path
        self.requests.append((request.command, path, body))
        status, answer = self.route(path, body)
        data = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def route(self, path: str, body: Any) -> tuple[int, Any]:
        if path in self.failures:
            return self.failures[path]
        if path == "/query":
            matches = [
                {**m, "metadata": m["metadata"] if body.get("includeMetadata") else None}
                for m in MATCHES[: body["topK"]]
            ]
            namespace = body.get("namespace", "")
            if namespace != NAMESPACE:  # another namespace ranks the same ids differently
                matches = [{**m, "id": f"{namespace}/{m['id']}", "score": m["score"] - 0.05} for m in matches]
            return 200, {"matches": matches, "namespace": namespace, "usage": {"readUnits": 5}}
        if path == "/vectors/upsert":
            return 200, {"upsertedCount": len(body["vectors"])}
        if path == "/vectors/delete":
            return 200, {}
        if path.startswith("/records/namespaces/") and path.endswith("/search"):
            return 200, {"result": {"hits": HITS[: body["query"]["top_k"]]}, "usage": {"read_units": 6}}
        if path.startswith("/records/namespaces/") and path.endswith("/upsert"):
            return 201, {}
        if path.startswith("/indexes/") and path.removeprefix("/indexes/") in self.indexes:
            return 200, self.indexes[path.removeprefix("/indexes/")]
        return 404, ERROR_BODIES[404]

    def add_index(self, name: str, metric: str) -> None:
        """What the control plane's describe says about an index served here."""
        self.indexes[name] = {
            "name": name,
            "host": self.url,
            "status": {"ready": True, "state": "Ready"},
            "schema": {"fields": {"values": {"type": "dense_vector", "dimension": 3, "metric": metric}}},
            "deployment": {"deployment_type": "managed", "cloud": "aws", "region": "us-east-1"},
            "deletion_protection": "disabled",
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local() -> Iterator[LocalPinecone]:
    server = LocalPinecone()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK retries a 5xx with backoff; its own patchable seams make the retries immediate."""
    from pinecone._internal import http_client

    async def no_async_sleep(_: float) -> None:
        return None

    monkeypatch.setattr(http_client, "_retry_sleep", lambda _: None)
    monkeypatch.setattr(http_client, "_async_retry_sleep", no_async_sleep)


def sync_index(local: LocalPinecone) -> Any:
    return pinecone.Pinecone(api_key=API_KEY, timeout=5).Index(host=local.url)


def async_index(local: LocalPinecone) -> Any:
    return pinecone.Pinecone(api_key=API_KEY, timeout=5).IndexAsyncio(host=local.url)


def id_scores(matches: Any) -> list[tuple[str, float]]:
    return [(m.id, m.score) for m in matches]


def assert_no_vector(spans: Any) -> None:
    for span in spans:
        text = json.dumps(dict(span.attributes))
        assert "0.125" not in text and "-0.5" not in text, span.name


def assert_query_span(span: Any, local: LocalPinecone, result: Any, top_k: int, name: str) -> None:
    assert_retrieval_span(
        span,
        system="pinecone",
        collection=name,
        operation="query",
        top_k=top_k,
        returned_rows=len(result.matches),
    )
    attributes = span.attributes
    assert attributes["db.namespace"] == NAMESPACE
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == local.port
    assert [(d["id"], d["score"]) for d in documents(span)] == id_scores(result.matches)
    assert "gen_ai.provider.name" not in attributes


# --- query ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("top_k", [1, 3, 5])
def test_query_is_a_retrieval_with_the_matches_in_rank_order(
    make_telemetry: Callable[..., Any], local: LocalPinecone, validate_schema: Any, top_k: int
) -> None:
    telemetry = make_telemetry()
    with sync_index(local) as index:
        result = index.query(top_k=top_k, vector=QUERY_VECTOR, namespace=NAMESPACE, include_metadata=True)

    assert id_scores(result.matches) == [(m["id"], m["score"]) for m in MATCHES[:top_k]]
    span = telemetry.span()
    assert_query_span(span, local, result, top_k, f"127.0.0.1:{local.port}")
    validate_schema("gen-ai-retrieval-documents", span.attributes[RETRIEVAL_DOCUMENTS])
    # content is off: no text, and the metric (so what a score means) is unknown for a host-only index
    assert all("content" not in d for d in documents(span))
    assert SCORE_KIND not in span.attributes and SCORE_METRIC not in span.attributes
    assert span.status.status_code is StatusCode.UNSET
    assert_no_vector([span])
    assert local.requests[-1][2]["topK"] == top_k


@pytest.mark.parametrize("top_k", [2, 4])
async def test_async_query_is_a_retrieval_with_the_matches_in_rank_order(
    make_telemetry: Callable[..., Any], local: LocalPinecone, validate_schema: Any, top_k: int
) -> None:
    telemetry = make_telemetry()
    async with async_index(local) as index:
        result = await index.query(top_k=top_k, vector=QUERY_VECTOR, namespace=NAMESPACE)

    assert len(result.matches) == top_k
    span = telemetry.span()
    assert_query_span(span, local, result, top_k, f"127.0.0.1:{local.port}")
    validate_schema("gen-ai-retrieval-documents", span.attributes[RETRIEVAL_DOCUMENTS])
    assert_no_vector([span])


def test_query_text_of_matches_is_recorded_only_with_content_capture(
    make_telemetry: Callable[..., Any], local: LocalPinecone, validate_schema: Any
) -> None:
    telemetry = make_telemetry(capture_content=True)
    with sync_index(local) as index:
        result = index.query(top_k=5, vector=QUERY_VECTOR, namespace=NAMESPACE, include_metadata=True)
        bare = index.query(top_k=2, vector=QUERY_VECTOR, namespace=NAMESPACE)  # no metadata asked for

    with_metadata, without_metadata = telemetry.spans()
    docs = documents(with_metadata)
    validate_schema("gen-ai-retrieval-documents", docs)
    assert [(d["id"], d["score"]) for d in docs] == id_scores(result.matches)
    expected_texts = [
        next((m.metadata[k] for k in ("text", "page_content", "content") if k in m.metadata), None)
        for m in result.matches
    ]
    assert [d.get("content") for d in docs] == expected_texts
    assert expected_texts[3] is None and "content" not in docs[3]  # metadata without text
    assert [(d["id"], d["score"]) for d in documents(without_metadata)] == id_scores(bare.matches)
    assert all("content" not in d for d in documents(without_metadata))
    assert_no_vector(telemetry.spans())


def test_document_ids_can_be_left_out(
    monkeypatch: pytest.MonkeyPatch, make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    monkeypatch.setenv("OTEL_GENAI_RETRIEVAL_DOCUMENT_IDS", "false")
    telemetry = make_telemetry()
    with sync_index(local) as index:
        result = index.query(top_k=3, vector=QUERY_VECTOR, namespace=NAMESPACE)

    # the scores stay, in rank order; the ids do not (so the [C] schema, which requires ids, does not apply)
    assert documents(telemetry.span()) == [{"score": m.score} for m in result.matches]


@pytest.mark.parametrize(
    ("metric", "kind"), [("cosine", "similarity"), ("dotproduct", "similarity"), ("euclidean", "distance")]
)
def test_the_control_plane_names_the_index_and_its_metric(
    make_telemetry: Callable[..., Any], local: LocalPinecone, metric: str, kind: str
) -> None:
    telemetry = make_telemetry()
    local.add_index("docs-index", metric)
    pc = pinecone.Pinecone(api_key=API_KEY, host=local.url, timeout=5)
    with pc.index(name="docs-index") as index:  # one describe request, made by the application
        result = index.query(top_k=3, vector=QUERY_VECTOR, namespace=NAMESPACE)
    pc.close()

    assert [path for _, path, _ in local.requests] == ["/indexes/docs-index", "/query"]
    span = telemetry.span()
    assert_query_span(span, local, result, 3, "docs-index")
    assert span.attributes[SCORE_KIND] == kind
    assert span.attributes[SCORE_METRIC] == metric


async def test_the_async_control_plane_names_the_index_and_its_metric(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry()
    local.add_index("docs-index", "euclidean")
    async with (
        pinecone.AsyncPinecone(api_key=API_KEY, host=local.url, timeout=5) as pc,
        await pc.index(name="docs-index") as index,
    ):
        result = await index.query(top_k=2, vector=QUERY_VECTOR, namespace=NAMESPACE)

    span = telemetry.span()
    assert_query_span(span, local, result, 2, "docs-index")
    assert (span.attributes[SCORE_KIND], span.attributes[SCORE_METRIC]) == ("distance", "euclidean")


def test_a_query_inside_a_retrieval_is_its_database_span(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry()
    local.add_index("docs-index", "cosine")
    pc = pinecone.Pinecone(api_key=API_KEY, host=local.url, timeout=5)
    answers: list[Any] = []

    @otel_genai.retriever
    def find(question: str, k: int) -> list[str]:
        with pc.index(name="docs-index") as index:
            result = index.query(top_k=k, vector=QUERY_VECTOR, namespace=NAMESPACE, include_metadata=True)
        answers.append(result)
        return [str(m.metadata) for m in result.matches]  # bare texts: no ids, no scores

    find("what is a vector database?", k=3)
    pc.close()

    query, retrieval = telemetry.spans()
    assert query.parent.span_id == retrieval.context.span_id
    assert query.name == "query docs-index"
    assert query.attributes["db.system.name"] == "pinecone"
    assert query.attributes["db.namespace"] == NAMESPACE
    assert query.attributes["db.response.returned_rows"] == 3
    assert RETRIEVAL_DOCUMENTS not in query.attributes and "gen_ai.operation.name" not in query.attributes
    # the retrieval above it takes the store's ids, scores and what they mean
    assert [(d["id"], d["score"]) for d in documents(retrieval)] == id_scores(answers[0].matches)
    assert retrieval.attributes["db.collection.name"] == "docs-index"
    assert retrieval.attributes[SCORE_KIND] == "similarity"


# --- query_namespaces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("metric", "kind"), [("cosine", "similarity"), ("euclidean", "distance")])
def test_query_namespaces_is_one_retrieval_over_a_database_span_per_namespace(
    make_telemetry: Callable[..., Any], local: LocalPinecone, metric: str, kind: str
) -> None:
    telemetry = make_telemetry()
    namespaces = [NAMESPACE, "articles-fr", "articles-de"]
    with sync_index(local) as index:
        result = index.query_namespaces(vector=QUERY_VECTOR, namespaces=namespaces, metric=metric, top_k=4)

    spans = telemetry.spans()
    (retrieval,) = [s for s in spans if s.name.startswith("retrieval")]
    queries = [s for s in spans if s is not retrieval]
    assert retrieval.attributes["db.operation.name"] == "query_namespaces"
    assert retrieval.attributes["gen_ai.retrieval.top_k"] == 4
    assert [(d["id"], d["score"]) for d in documents(retrieval)] == id_scores(result.matches)
    assert (retrieval.attributes[SCORE_KIND], retrieval.attributes[SCORE_METRIC]) == (kind, metric)
    # the SDK queries each namespace on a thread pool; each query is a database span of this retrieval
    assert sorted(q.attributes["db.namespace"] for q in queries) == sorted(namespaces)
    for query in queries:
        assert query.name == f"query 127.0.0.1:{local.port}"
        assert query.context.trace_id == retrieval.context.trace_id
        assert query.parent.span_id == retrieval.context.span_id
        assert query.attributes["db.response.returned_rows"] == 4
    assert_no_vector(spans)


async def test_async_query_namespaces_is_one_retrieval_over_a_database_span_per_namespace(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry()
    namespaces = [NAMESPACE, "articles-fr"]
    async with async_index(local) as index:
        result = await index.query_namespaces(
            vector=QUERY_VECTOR, namespaces=namespaces, metric="dotproduct", top_k=3
        )

    spans = telemetry.spans()
    (retrieval,) = [s for s in spans if s.name.startswith("retrieval")]
    queries = [s for s in spans if s is not retrieval]
    assert [(d["id"], d["score"]) for d in documents(retrieval)] == id_scores(result.matches)
    assert retrieval.attributes[SCORE_KIND] == "similarity"
    assert sorted(q.attributes["db.namespace"] for q in queries) == sorted(namespaces)
    assert all(q.parent.span_id == retrieval.context.span_id for q in queries)


# --- search (Records API) -------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["search", "search_records"])
def test_search_records_text_query_and_hits(
    make_telemetry: Callable[..., Any], local: LocalPinecone, validate_schema: Any, alias: str
) -> None:
    telemetry = make_telemetry(capture_content=True)
    question = "which fruit ripens off the tree?"
    with sync_index(local) as index:
        result = getattr(index, alias)(namespace="fruit", top_k=2, inputs={"text": question})

    span = telemetry.span()  # search_records calls search: still one span
    assert span.name == f"retrieval 127.0.0.1:{local.port}"
    assert span.attributes["db.operation.name"] == "search"
    assert span.attributes["db.namespace"] == "fruit"
    assert span.attributes["gen_ai.retrieval.top_k"] == 2
    assert span.attributes["gen_ai.retrieval.query.text"] == question
    docs = documents(span)
    validate_schema("gen-ai-retrieval-documents", docs)
    hits = result.result.hits
    assert [(d["id"], d["score"], d["content"]) for d in docs] == [
        (h.id, h.score, h.fields["chunk_text"]) for h in hits
    ]


async def test_async_search_without_content_and_reranked_scores_have_no_metric(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry()
    local.add_index("fruit-index", "cosine")
    rerank = {"model": "bge-reranker-v2-m3", "rank_fields": ["chunk_text"]}
    async with (
        pinecone.AsyncPinecone(api_key=API_KEY, host=local.url, timeout=5) as pc,
        await pc.index(name="fruit-index") as index,
    ):
        plain = await index.search(namespace="fruit", top_k=1, inputs={"text": "pears"})
        reranked = await index.search(namespace="fruit", top_k=2, inputs={"text": "pears"}, rerank=rerank)

    plain_span, reranked_span = telemetry.spans()
    assert [(d["id"], d["score"]) for d in documents(plain_span)] == id_scores(plain.result.hits)
    assert plain_span.attributes[SCORE_KIND] == "similarity"
    assert [(d["id"], d["score"]) for d in documents(reranked_span)] == id_scores(reranked.result.hits)
    assert SCORE_KIND not in reranked_span.attributes  # the reranker's scale, not the index's
    for span in (plain_span, reranked_span):
        assert "gen_ai.retrieval.query.text" not in span.attributes
        assert all("content" not in d for d in documents(span))


# --- failures -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(500, "ServiceError"), (404, "NotFoundError")])
def test_a_server_error_propagates_unchanged_and_fails_the_span(
    make_telemetry: Callable[..., Any], local: LocalPinecone, status: int, error: str
) -> None:
    telemetry = make_telemetry()
    local.failures["/query"] = (status, ERROR_BODIES[status])
    with sync_index(local) as index, pytest.raises(pinecone.ApiError) as raised:
        index.query(top_k=3, vector=QUERY_VECTOR, namespace=NAMESPACE)

    assert type(raised.value).__name__ == error
    assert raised.value.status_code == status
    assert raised.value.body == ERROR_BODIES[status]
    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error
    assert RETRIEVAL_DOCUMENTS not in span.attributes
    exception_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    assert [e.attributes["exception.type"] for e in span.events] == [exception_type]


async def test_an_async_server_error_propagates_unchanged_and_fails_the_span(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry()
    local.failures["/vectors/delete"] = (500, ERROR_BODIES[500])
    async with async_index(local) as index:
        with pytest.raises(pinecone.ServiceError) as raised:
            await index.delete(ids=["doc-7"], namespace=NAMESPACE)

    assert raised.value.status_code == 500
    span = telemetry.span()
    assert span.name == f"delete 127.0.0.1:{local.port}"
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ServiceError"
    assert sum(path == "/vectors/delete" for _, path, _ in local.requests) == 4  # the SDK's retries, once


# --- writes -----------------------------------------------------------------------------------------------


def test_writes_are_database_spans_with_counts_and_no_contents(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry(capture_content=True)
    vectors = [
        {"id": "doc-7", "values": QUERY_VECTOR, "metadata": {"text": "secret words"}},
        ("doc-2", QUERY_VECTOR),
        pinecone.Vector(id="doc-9", values=QUERY_VECTOR),
    ]
    with sync_index(local) as index:
        upserted = index.upsert(vectors=vectors, namespace=NAMESPACE)
        index.delete(ids=["doc-7", "doc-2"], namespace=NAMESPACE)
        index.delete(delete_all=True, namespace=NAMESPACE)
        index.upsert_records(namespace="fruit", records=[{"_id": "rec-3", "chunk_text": "secret words"}])

    assert upserted.upserted_count == 3
    upsert, delete_ids, delete_all, upsert_records = telemetry.spans()
    host = f"127.0.0.1:{local.port}"
    assert [s.name for s in telemetry.spans()] == [
        f"upsert {host}",
        f"delete {host}",
        f"delete {host}",
        f"upsert_records {host}",
    ]
    assert upsert.attributes[RECORD_COUNT] == 3
    assert delete_ids.attributes[RECORD_COUNT] == 2
    assert RECORD_COUNT not in delete_all.attributes  # how many it removed is not reported
    assert upsert_records.attributes[RECORD_COUNT] == 1
    assert_database_spans(
        telemetry.spans(),
        system="pinecone",
        secret="secret words",
        expected={"db.collection.name": host, "server.port": local.port},
    )
    assert upsert.attributes["db.namespace"] == NAMESPACE
    assert upsert_records.attributes["db.namespace"] == "fruit"
    assert_no_vector(telemetry.spans())


async def test_async_writes_are_database_spans_with_counts(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    telemetry = make_telemetry()
    async with async_index(local) as index:
        await index.upsert(vectors=[("doc-1", QUERY_VECTOR), ("doc-4", QUERY_VECTOR)], namespace=NAMESPACE)
        await index.delete(ids=["doc-1"], namespace=NAMESPACE)

    upsert, delete = telemetry.spans()
    assert (upsert.attributes["db.operation.name"], upsert.attributes[RECORD_COUNT]) == ("upsert", 2)
    assert (delete.attributes["db.operation.name"], delete.attributes[RECORD_COUNT]) == ("delete", 1)


# --- uninstrument -------------------------------------------------------------------------------------------


def test_uninstrument_restores_the_methods_and_silences_indexes_built_while_instrumented(
    make_telemetry: Callable[..., Any], local: LocalPinecone
) -> None:
    from pinecone.async_client.async_index import AsyncIndex
    from pinecone.index import Index

    methods = ("query", "query_namespaces", "search", "upsert", "upsert_records", "delete")
    originals = {(cls, name): cls.__dict__[name] for cls in (Index, AsyncIndex) for name in methods}
    telemetry = make_telemetry()
    assert all(cls.__dict__[name] is not original for (cls, name), original in originals.items())
    built_while_instrumented = sync_index(local)  # the SDK copies query and upsert onto the instance
    built_while_instrumented.query(top_k=1, vector=QUERY_VECTOR)
    assert len(telemetry.spans()) == 1

    otel_genai.uninstrument()

    assert all(cls.__dict__[name] is original for (cls, name), original in originals.items())
    with sync_index(local) as index, built_while_instrumented:
        for handle in (index, built_while_instrumented):
            assert len(handle.query(top_k=2, vector=QUERY_VECTOR).matches) == 2
            handle.upsert(vectors=[("doc-1", QUERY_VECTOR)])
            handle.delete(ids=["doc-1"])
    assert len(telemetry.spans()) == 1
