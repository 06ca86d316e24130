"""Qdrant: queries become retrieval spans with the ids and scores Qdrant returned; writes become db spans.

Local mode (``":memory:"``, Qdrant's own in-process engine) with explicit vectors for most tests; a small
HTTP server on loopback answering the REST API for the remote client.
"""

from __future__ import annotations

import inspect
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from qdrant_client import AsyncQdrantClient, QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

import otel_genai
from helpers.vector_store_asserts import (
    assert_database_spans,
    assert_retrieval_span,
    documents,
    retrieval_spans,
)

COLLECTION = "kb-docs"
VECTORS: dict[int | str, list[float]] = {
    1: [1.0, 0.0, 0.0],
    2: [0.0, 1.0, 0.0],
    str(uuid.UUID(int=3)): [0.7, 0.7, 0.0],
    4: [0.0, 0.2, 0.9],
    str(uuid.UUID(int=5)): [0.5, 0.1, 0.4],
}
QUERY = [0.9, 0.2, 0.1]
OTHER_QUERY = [0.0, 1.0, 0.1]


def points() -> list[models.PointStruct]:
    return [
        models.PointStruct(
            id=point_id,
            vector=vector,
            payload={"text": f"text of doc {point_id} for alice@example.com", "group": index % 2},
        )
        for index, (point_id, vector) in enumerate(VECTORS.items())
    ]


def local_client(distance: models.Distance = models.Distance.COSINE) -> QdrantClient:
    client = QdrantClient(":memory:")
    client.create_collection(COLLECTION, vectors_config=models.VectorParams(size=3, distance=distance))
    client.upsert(COLLECTION, points())
    return client


async def async_local_client(distance: models.Distance = models.Distance.COSINE) -> AsyncQdrantClient:
    client = AsyncQdrantClient(":memory:")
    await client.create_collection(COLLECTION, vectors_config=models.VectorParams(size=3, distance=distance))
    await client.upsert(COLLECTION, points())
    return client


@pytest.fixture
def client() -> QdrantClient:
    """A populated cosine collection in local mode, set up before instrumenting."""
    return local_client()


def instrument(make_telemetry: Any, **kwargs: Any) -> Any:
    return make_telemetry(instrumentors=["qdrant"], **kwargs)


def hits(scored: list[Any]) -> list[tuple[str, float]]:
    """What Qdrant returned, as (id, score) in rank order."""
    return [(str(point.id), point.score) for point in scored]


def id_scores(returned: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(d["id"], d["score"]) for d in returned]


# --- single queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, len(VECTORS)])
def test_query_points_span_carries_the_ids_and_scores_qdrant_returned(
    make_telemetry: Any, client: QdrantClient, validate_schema: Any, k: int
) -> None:
    telemetry = instrument(make_telemetry)
    result = client.query_points(COLLECTION, QUERY, limit=k)

    span = telemetry.span()
    assert len(result.points) == k
    assert_retrieval_span(
        span, system="qdrant", collection=COLLECTION, operation="query_points", top_k=k, returned_rows=k
    )
    attributes = span.attributes
    # a cosine collection: Qdrant's scores are similarities, higher is closer
    assert attributes["otel_genai.retrieval.score.kind"] == "similarity"
    assert attributes["otel_genai.retrieval.score.metric"] == "cosine"
    returned = documents(span)
    assert id_scores(returned) == hits(result.points)
    validate_schema("gen-ai-retrieval-documents", returned)
    assert "server.address" not in attributes  # local mode
    assert "server.port" not in attributes
    assert span.status.status_code is StatusCode.UNSET


def test_default_limit_is_the_clients(make_telemetry: Any, client: QdrantClient) -> None:
    default = inspect.signature(QdrantClient.query_points).parameters["limit"].default
    telemetry = instrument(make_telemetry)
    result = client.query_points(COLLECTION, query=QUERY)

    span = telemetry.span()
    assert span.attributes["gen_ai.retrieval.top_k"] == default
    assert id_scores(documents(span)) == hits(result.points)


@pytest.mark.parametrize(
    ("distance", "kind"),
    [
        (models.Distance.COSINE, "similarity"),
        (models.Distance.DOT, "similarity"),
        (models.Distance.EUCLID, "distance"),
        (models.Distance.MANHATTAN, "distance"),
    ],
)
def test_score_kind_follows_the_collections_distance(
    make_telemetry: Any, distance: models.Distance, kind: str
) -> None:
    client = local_client(distance)
    telemetry = instrument(make_telemetry)
    result = client.query_points(COLLECTION, QUERY, limit=4)

    span = telemetry.span()
    assert span.attributes["otel_genai.retrieval.score.kind"] == kind
    assert span.attributes["otel_genai.retrieval.score.metric"] == distance.value.lower()
    scores = [d["score"] for d in documents(span)]
    assert scores == [point.score for point in result.points]
    # what the kind claims is how Qdrant ranked: distances rise down the list, similarities fall
    ordered = scores == sorted(scores, reverse=kind == "similarity")
    assert ordered and scores[0] != scores[-1]


def test_named_vectors_use_the_queried_vectors_distance(make_telemetry: Any) -> None:
    client = QdrantClient(":memory:")
    client.create_collection(
        "multi",
        vectors_config={
            "text": models.VectorParams(size=3, distance=models.Distance.COSINE),
            "image": models.VectorParams(size=3, distance=models.Distance.EUCLID),
        },
    )
    client.upsert(
        "multi",
        [models.PointStruct(id=i, vector={"text": v, "image": v}) for i, v in enumerate(VECTORS.values())],
    )
    telemetry = instrument(make_telemetry)
    client.query_points("multi", QUERY, using="image", limit=2)
    client.query_points("multi", QUERY, using="text", limit=2)

    image, text = telemetry.spans()
    assert image.attributes["otel_genai.retrieval.score.metric"] == "euclid"
    assert image.attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert text.attributes["otel_genai.retrieval.score.metric"] == "cosine"
    assert text.attributes["otel_genai.retrieval.score.kind"] == "similarity"


def test_fused_scores_are_not_called_similarity_or_distance(make_telemetry: Any) -> None:
    client = local_client(models.Distance.EUCLID)
    telemetry = instrument(make_telemetry)
    result = client.query_points(
        COLLECTION,
        prefetch=[models.Prefetch(query=QUERY, limit=4), models.Prefetch(query=OTHER_QUERY, limit=4)],
        query=models.FusionQuery(fusion=models.Fusion.RRF),
        limit=3,
    )

    span = telemetry.span()
    assert id_scores(documents(span)) == hits(result.points)
    assert "otel_genai.retrieval.score.kind" not in span.attributes  # RRF ranks, not the Euclid distance
    assert "otel_genai.retrieval.score.metric" not in span.attributes


def test_groups_query_reports_the_hits_of_every_group(make_telemetry: Any, client: QdrantClient) -> None:
    telemetry = instrument(make_telemetry)
    result = client.query_points_groups(COLLECTION, group_by="group", query=QUERY, limit=2, group_size=2)

    span = telemetry.span()
    assert span.attributes["db.operation.name"] == "query_points_groups"
    assert span.attributes["gen_ai.retrieval.top_k"] == 2
    expected = [hit for group in result.groups for hit in group.hits]
    assert len(expected) == 4
    assert id_scores(documents(span)) == hits(expected)
    assert span.attributes["db.response.returned_rows"] == 4


# --- content ----------------------------------------------------------------------------------------


def test_content_is_off_by_default_ids_and_scores_stay(make_telemetry: Any, client: QdrantClient) -> None:
    telemetry = instrument(make_telemetry)
    result = client.query_points(COLLECTION, QUERY, limit=3, with_payload=True)

    span = telemetry.span()
    assert "gen_ai.retrieval.query.text" not in span.attributes
    returned = documents(span)
    assert all(set(d) == {"id", "score"} for d in returned)
    assert id_scores(returned) == hits(result.points)
    flat = json.dumps(dict(span.attributes))
    assert "alice@example.com" not in flat
    assert "0.9, 0.2" not in flat  # the query vector is nowhere


def test_content_capture_adds_the_payload_text(
    make_telemetry: Any, client: QdrantClient, validate_schema: Any
) -> None:
    telemetry = instrument(make_telemetry, capture_content=True)
    result = client.query_points(COLLECTION, QUERY, limit=3)

    span = telemetry.span()
    returned = documents(span)
    assert [d["content"] for d in returned] == [point.payload["text"] for point in result.points]
    assert id_scores(returned) == hits(result.points)
    validate_schema("gen-ai-retrieval-documents", returned)
    assert "gen_ai.retrieval.query.text" not in span.attributes  # a vector query has no text
    assert "0.9, 0.2" not in json.dumps(dict(span.attributes))


@pytest.mark.skipif(
    "scoring" not in models.TextIndexParams.model_fields,
    reason="text queries with BM25 scoring are new in qdrant-client 1.20",
)
@pytest.mark.parametrize("capture", [True, False])
def test_text_query_records_its_text_only_with_content_on(
    make_telemetry: Any, client: QdrantClient, capture: bool
) -> None:
    client.create_payload_index(
        COLLECTION, "text", field_schema=models.TextIndexParams(type="text", scoring=True)
    )
    telemetry = instrument(make_telemetry, capture_content=capture)
    result = client.query_points(COLLECTION, models.TextQuery(text="doc 2 alice"), using="text", limit=3)

    span = telemetry.span()
    assert span.attributes.get("gen_ai.retrieval.query.text") == ("doc 2 alice" if capture else None)
    assert id_scores(documents(span)) == hits(result.points)
    assert span.attributes["otel_genai.retrieval.score.metric"] == "bm25"
    assert span.attributes["otel_genai.retrieval.score.kind"] == "similarity"


def test_document_ids_can_be_turned_off(make_telemetry: Any, client: QdrantClient, monkeypatch: Any) -> None:
    monkeypatch.setenv("OTEL_GENAI_RETRIEVAL_DOCUMENT_IDS", "false")
    telemetry = instrument(make_telemetry)
    result = client.query_points(COLLECTION, QUERY, limit=3)

    returned = documents(telemetry.span())
    assert [d["score"] for d in returned] == [point.score for point in result.points]
    assert all("id" not in d for d in returned)


# --- batches ----------------------------------------------------------------------------------------


def test_batch_query_is_one_span_with_each_hit_tagged_by_its_query(
    make_telemetry: Any, client: QdrantClient, validate_schema: Any
) -> None:
    telemetry = instrument(make_telemetry)
    responses = client.query_batch_points(
        COLLECTION,
        [models.QueryRequest(query=QUERY, limit=2), models.QueryRequest(query=OTHER_QUERY, limit=2)],
    )

    span = telemetry.span()
    assert span.name == f"retrieval {COLLECTION}"
    assert span.attributes["db.operation.name"] == "query_batch_points"
    assert span.attributes["otel_genai.retrieval.query.count"] == 2
    assert span.attributes["gen_ai.retrieval.top_k"] == 2
    assert span.attributes["db.response.returned_rows"] == 4
    assert span.attributes["otel_genai.retrieval.score.kind"] == "similarity"
    returned = documents(span)
    assert [(d["query_index"], d["id"], d["score"]) for d in returned] == [
        (index, str(p.id), p.score) for index, r in enumerate(responses) for p in r.points
    ]
    validate_schema("gen-ai-retrieval-documents", returned)


def test_batch_with_different_limits_names_no_single_top_k(make_telemetry: Any, client: QdrantClient) -> None:
    telemetry = instrument(make_telemetry)
    responses = client.query_batch_points(
        COLLECTION, [models.QueryRequest(query=QUERY, limit=1), models.QueryRequest(query=OTHER_QUERY)]
    )

    span = telemetry.span()
    assert "gen_ai.retrieval.top_k" not in span.attributes
    assert span.attributes["db.response.returned_rows"] == sum(len(r.points) for r in responses) == 6


# --- async ------------------------------------------------------------------------------------------


async def test_async_query_and_batch(make_telemetry: Any, validate_schema: Any) -> None:
    client = await async_local_client(models.Distance.EUCLID)
    telemetry = instrument(make_telemetry, capture_content=True)
    result = await client.query_points(COLLECTION, QUERY, limit=3)
    responses = await client.query_batch_points(
        COLLECTION,
        [models.QueryRequest(query=QUERY, limit=2), models.QueryRequest(query=OTHER_QUERY, limit=2)],
    )

    single, batch = telemetry.spans()
    assert single.name == batch.name == f"retrieval {COLLECTION}"
    assert single.attributes["gen_ai.retrieval.top_k"] == 3
    assert single.attributes["otel_genai.retrieval.score.kind"] == "distance"
    returned = documents(single)
    assert id_scores(returned) == hits(result.points)
    assert [d["content"] for d in returned] == [point.payload["text"] for point in result.points]
    validate_schema("gen-ai-retrieval-documents", returned)
    assert batch.attributes["otel_genai.retrieval.query.count"] == 2
    assert [(d["query_index"], d["id"]) for d in documents(batch)] == [
        (index, str(p.id)) for index, r in enumerate(responses) for p in r.points
    ]


async def test_async_writes_and_the_async_clients_plain_upload(make_telemetry: Any) -> None:
    client = await async_local_client()
    telemetry = instrument(make_telemetry)
    await client.upsert(COLLECTION, [models.PointStruct(id=10, vector=[1.0, 1.0, 1.0])])
    # AsyncQdrantClient.upload_points is a plain method: it must still return, not a coroutine
    uploaded = client.upload_points(
        COLLECTION, [models.PointStruct(id=i, vector=[0.1, 0.2, float(i)]) for i in (11, 12)]
    )
    assert uploaded is None
    await client.delete(COLLECTION, models.PointIdsList(points=[10, 11, 12]))

    upsert, upload, delete = telemetry.spans()
    assert [upsert.name, upload.name, delete.name] == [
        f"upsert {COLLECTION}",
        f"upload_points {COLLECTION}",
        f"delete {COLLECTION}",
    ]
    counts = [span.attributes["otel_genai.db.record.count"] for span in (upsert, upload, delete)]
    assert counts == [1, 2, 3]
    assert (await client.count(COLLECTION)).count == len(VECTORS)


async def test_async_query_error_propagates(make_telemetry: Any) -> None:
    client = AsyncQdrantClient(":memory:")
    telemetry = instrument(make_telemetry)
    with pytest.raises(ValueError, match="missing"):
        await client.query_points("missing", QUERY)

    span = telemetry.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"


# --- writes, errors, nesting ------------------------------------------------------------------------


def test_writes_are_db_spans_with_counts_only(make_telemetry: Any) -> None:
    client = QdrantClient(":memory:")
    client.create_collection(
        "writes", vectors_config=models.VectorParams(size=3, distance=models.Distance.DOT)
    )
    telemetry = instrument(make_telemetry, capture_content=True)
    client.upsert("writes", points())
    client.upsert("writes", models.Batch(ids=[20, 21], vectors=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    client.upload_points("writes", [models.PointStruct(id=30, vector=[0.3, 0.3, 0.3])])
    client.upload_points("writes", (models.PointStruct(id=i, vector=[0.1, 0.1, 0.1]) for i in (31, 32)))
    client.upload_collection("writes", vectors=numpy.ones((3, 3)), ids=None)
    client.delete("writes", points_selector=[20, 21])
    client.delete(
        "writes",
        models.FilterSelector(
            filter=models.Filter(must=[models.FieldCondition(key="group", match=models.MatchValue(value=1))])
        ),
    )

    spans = telemetry.spans()
    assert [s.name for s in spans] == [
        "upsert writes",
        "upsert writes",
        "upload_points writes",
        "upload_points writes",
        "upload_collection writes",
        "delete writes",
        "delete writes",
    ]
    counts = [s.attributes.get("otel_genai.db.record.count") for s in spans]
    assert counts == [len(VECTORS), 2, 1, None, 3, 2, None]  # a generator or a filter: not counted
    assert_database_spans(
        spans, system="qdrant", secret="alice@example.com", expected={"db.collection.name": "writes"}
    )
    written, deleted = len(VECTORS) + 2 + 1 + 2 + 3, 2 + 2  # by ids, and the two points of group 1
    assert client.count("writes").count == written - deleted  # the generator was uploaded in full


def test_errors_propagate_unchanged(make_telemetry: Any) -> None:
    client = QdrantClient(":memory:")
    with pytest.raises(Exception) as uninstrumented:
        client.query_points("missing", QUERY)
    telemetry = instrument(make_telemetry)
    with pytest.raises(Exception) as instrumented:
        client.query_points("missing", QUERY)

    assert type(instrumented.value) is type(uninstrumented.value)
    assert str(instrumented.value) == str(uninstrumented.value)
    span = telemetry.span()
    assert span.name == "retrieval missing"
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(uninstrumented.value).__qualname__
    assert "gen_ai.retrieval.documents" not in span.attributes


def test_query_inside_a_retriever_becomes_its_db_span(make_telemetry: Any, client: QdrantClient) -> None:
    telemetry = instrument(make_telemetry)

    @otel_genai.retriever(data_source="support-kb")
    def search(vector: list[float], k: int = 3) -> list[str]:
        return [point.payload["text"] for point in client.query_points(COLLECTION, vector, limit=k).points]

    search(QUERY, k=3)
    expected = client.query_points(COLLECTION, QUERY, limit=3).points  # the same question, outside

    db, retrieval, again = telemetry.spans()
    assert db.name == f"query_points {COLLECTION}"
    assert db.kind is SpanKind.CLIENT
    assert db.parent.span_id == retrieval.context.span_id
    assert db.attributes["db.system.name"] == "qdrant"
    assert db.attributes["db.response.returned_rows"] == 3
    assert "gen_ai.retrieval.documents" not in db.attributes  # handed up, not repeated
    assert "gen_ai.operation.name" not in db.attributes
    assert retrieval.name == "retrieval support-kb"
    assert id_scores(documents(retrieval)) == hits(expected)
    assert retrieval.attributes["otel_genai.retrieval.score.kind"] == "similarity"
    assert retrieval.attributes["db.system.name"] == "qdrant"
    assert again.name == f"retrieval {COLLECTION}"  # outside the retriever: a retrieval of its own
    assert again.parent is None


def test_uninstrument_restores_the_original_methods(make_telemetry: Any, client: QdrantClient) -> None:
    originals = {
        (owner, name): inspect.getattr_static(owner, name)
        for owner in (QdrantClient, AsyncQdrantClient)
        for name in ("query_points", "query_batch_points", "upsert", "upload_points", "get_collection")
    }
    telemetry = instrument(make_telemetry)
    assert all(inspect.getattr_static(o, n) is not f for (o, n), f in originals.items())
    otel_genai.uninstrument()

    assert all(inspect.getattr_static(o, n) is f for (o, n), f in originals.items())
    client.query_points(COLLECTION, QUERY, limit=2)
    client.upsert(COLLECTION, [models.PointStruct(id=99, vector=[1.0, 1.0, 1.0])])
    assert telemetry.spans() == []


# --- a remote client --------------------------------------------------------------------------------


class FakeQdrant(ThreadingHTTPServer):
    """Answers Qdrant's REST API with canned JSON (``routes``: (method, path) -> result) and keeps the
    requests it saw."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FakeQdrantHandler)
        self.routes: dict[tuple[str, str], Any] = {}
        self.requests: list[tuple[str, str, Any]] = []


class _FakeQdrantHandler(BaseHTTPRequestHandler):
    server: FakeQdrant

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        path = self.path.split("?")[0]
        self.server.requests.append((method, path, body))
        if (method, path) in self.server.routes:
            status, payload = 200, {"result": self.server.routes[method, path], "status": "ok", "time": 0.001}
        else:
            status, payload = 404, {"status": {"error": f"Not found: {path}"}, "time": 0.0}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_qdrant() -> Iterator[FakeQdrant]:
    server = FakeQdrant()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


REMOTE_POINTS = [
    {"id": 7, "version": 1, "score": 0.93, "payload": {"page_content": "Refunds take 5 days."}},
    {"id": str(uuid.UUID(int=8)), "version": 1, "score": 0.71, "payload": {"page_content": "Call Bob."}},
]
MODEL = "sentence-transformers/all-minilm-l6-v2"


def remote_collection_info(distance: models.Distance) -> dict[str, Any]:
    """What ``GET /collections/{name}`` answers: a real CollectionInfo, from local mode."""
    local = QdrantClient(":memory:")
    local.create_collection("remote-kb", vectors_config=models.VectorParams(size=3, distance=distance))
    return local.get_collection("remote-kb").model_dump(mode="json", exclude_none=True)


def test_remote_client_reports_its_server_and_learns_the_distance(
    make_telemetry: Any, fake_qdrant: FakeQdrant, validate_schema: Any
) -> None:
    port = fake_qdrant.server_address[1]
    fake_qdrant.routes["POST", "/collections/remote-kb/points/query"] = {"points": REMOTE_POINTS}
    fake_qdrant.routes["GET", "/collections/remote-kb"] = remote_collection_info(models.Distance.DOT)
    # cloud inference: the server embeds the Document, so no model is downloaded here
    client = QdrantClient(url=f"http://127.0.0.1:{port}", cloud_inference=True, check_compatibility=False)
    telemetry = instrument(make_telemetry, capture_content=True)
    question = models.Document(text="how do refunds work?", model=MODEL)

    before = client.query_points("remote-kb", query=question, limit=2)
    client.get_collection("remote-kb")  # the application's own call teaches the distance
    after = client.query_points("remote-kb", query=question, limit=2)

    first, second = retrieval_spans(telemetry)
    for span, result in ((first, before), (second, after)):
        assert span.attributes["server.address"] == "127.0.0.1"
        assert span.attributes["server.port"] == port
        assert span.attributes["gen_ai.request.model"] == MODEL
        assert span.attributes["gen_ai.retrieval.query.text"] == "how do refunds work?"
        returned = documents(span)
        assert id_scores(returned) == hits(result.points)
        assert [d["content"] for d in returned] == [p["payload"]["page_content"] for p in REMOTE_POINTS]
        validate_schema("gen-ai-retrieval-documents", returned)
    assert "otel_genai.retrieval.score.kind" not in first.attributes  # unknown yet: unsaid, no extra request
    assert second.attributes["otel_genai.retrieval.score.kind"] == "similarity"
    assert second.attributes["otel_genai.retrieval.score.metric"] == "dot"
    assert [(m, p) for m, p, _ in fake_qdrant.requests] == [
        ("POST", "/collections/remote-kb/points/query"),
        ("GET", "/collections/remote-kb"),
        ("POST", "/collections/remote-kb/points/query"),
    ]
    assert fake_qdrant.requests[0][2]["query"]["nearest"]["text"] == "how do refunds work?"  # sent as is


async def test_async_remote_batch_and_server_errors(make_telemetry: Any, fake_qdrant: FakeQdrant) -> None:
    port = fake_qdrant.server_address[1]
    fake_qdrant.routes["PUT", "/collections/remote-kb"] = True
    fake_qdrant.routes["POST", "/collections/remote-kb/points/query/batch"] = [
        {"points": REMOTE_POINTS},
        {"points": REMOTE_POINTS[:1]},
    ]
    client = AsyncQdrantClient(host="127.0.0.1", port=port, check_compatibility=False)
    telemetry = instrument(make_telemetry)
    await client.create_collection(
        "remote-kb", vectors_config=models.VectorParams(size=3, distance=models.Distance.EUCLID)
    )
    responses = await client.query_batch_points(
        "remote-kb",
        [models.QueryRequest(query=QUERY, limit=2), models.QueryRequest(query=OTHER_QUERY, limit=2)],
    )
    with pytest.raises(UnexpectedResponse) as error:
        await client.query_points("other-kb", QUERY)
    assert error.value.status_code == 404  # the client's own error, unchanged

    batch, failed = retrieval_spans(telemetry)
    assert batch.attributes["server.address"] == "127.0.0.1"
    assert batch.attributes["server.port"] == port
    assert batch.attributes["otel_genai.retrieval.query.count"] == 2
    assert [(d["query_index"], d["id"], d["score"]) for d in documents(batch)] == [
        (index, str(p.id), p.score) for index, r in enumerate(responses) for p in r.points
    ]
    # learned from the application's own create_collection, without a request of ours
    assert batch.attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert batch.attributes["otel_genai.retrieval.score.metric"] == "euclid"
    assert [(m, p) for m, p, _ in fake_qdrant.requests] == [
        ("PUT", "/collections/remote-kb"),
        ("POST", "/collections/remote-kb/points/query/batch"),
        ("POST", "/collections/other-kb/points/query"),
    ]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes["error.type"] == "UnexpectedResponse"
    assert failed.attributes["server.port"] == port
