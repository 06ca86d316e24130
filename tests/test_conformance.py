"""The shared conformance checks (``tests/helpers/conformance.py``) on the retrieval and tool providers:
Chroma, Qdrant (local mode) and Pinecone (its HTTP answered on loopback) queries, Qdrant writes (database
spans), a LangChain retriever and tool, and the ``@otel_genai.retriever`` / ``@otel_genai.tool``
decorators; each with content capture off and on, and an error. The OpenAI API families run them in their
own test files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import StructuredTool, ToolException
from langchain_core.tools import tool as lc_tool

import otel_genai
from helpers.conformance import assert_conforms
from helpers.telemetry import Telemetry

VECTORS = {"doc-alpha": [1.0, 0.0, 0.0], "doc-beta": [0.0, 1.0, 0.0], "doc-gamma": [0.7, 0.7, 0.0]}


@pytest.fixture
def collection(chroma_client: Any) -> Any:
    created = chroma_client.create_collection("kb-conformance", embedding_function=None)
    created.add(
        ids=list(VECTORS), embeddings=list(VECTORS.values()), documents=[f"text of {k}" for k in VECTORS]
    )
    return created


@pytest.mark.parametrize("capture", [False, True])
def test_chroma_query(make_telemetry: Callable[..., Telemetry], collection: Any, capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture)
    collection.query(query_embeddings=[[0.9, 0.2, 0.1]], n_results=2, include=["documents", "distances"])
    span = assert_conforms(telemetry, operation="retrieval", content=None)
    assert ("text of" in span.attributes["gen_ai.retrieval.documents"]) is capture


def test_chroma_query_error(make_telemetry: Callable[..., Telemetry], collection: Any) -> None:
    telemetry = make_telemetry()
    with pytest.raises(Exception):  # noqa: B017 - whatever Chroma raises for a wrong dimension
        collection.query(query_embeddings=[[1.0, 0.0]], n_results=2)
    assert_conforms(telemetry, operation="retrieval", content=False, failed=True)


@pytest.mark.parametrize("capture", [False, True])
def test_decorated_tool(make_telemetry: Callable[..., Telemetry], capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture)

    @otel_genai.tool
    def get_weather(city: str) -> dict[str, Any]:
        return {"city": city, "temperature_c": 21}

    assert get_weather("Paris") == {"city": "Paris", "temperature_c": 21}
    assert_conforms(telemetry, operation="execute_tool", content=capture)


def test_decorated_tool_error(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry()

    @otel_genai.tool
    def lookup(order_id: str) -> str:
        raise KeyError(order_id)

    with pytest.raises(KeyError):
        lookup("A-1")
    assert_conforms(telemetry, operation="execute_tool", content=False, failed=True, error_type="KeyError")


# --- Qdrant (its own in-process engine) -----------------------------------------------------------


@pytest.fixture
def qdrant() -> Any:
    """A populated cosine collection in Qdrant's local mode, set up before instrumenting."""
    from qdrant_client import QdrantClient, models

    client = QdrantClient(":memory:")
    client.create_collection(
        "kb-conformance", vectors_config=models.VectorParams(size=3, distance=models.Distance.COSINE)
    )
    client.upsert(
        "kb-conformance",
        [
            models.PointStruct(id=index, vector=vector, payload={"text": f"text of {key}"})
            for index, (key, vector) in enumerate(VECTORS.items(), start=1)
        ],
    )
    return client


@pytest.mark.parametrize("capture", [False, True])
def test_qdrant_query(make_telemetry: Callable[..., Telemetry], qdrant: Any, capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture, instrumentors=["qdrant"])
    qdrant.query_points("kb-conformance", [0.9, 0.2, 0.1], limit=2)
    span = assert_conforms(telemetry, operation="retrieval", content=None if capture else False)
    assert ("text of" in span.attributes["gen_ai.retrieval.documents"]) is capture


def test_qdrant_query_error(make_telemetry: Callable[..., Telemetry], qdrant: Any) -> None:
    telemetry = make_telemetry(instrumentors=["qdrant"])
    with pytest.raises(ValueError, match="missing"):  # local mode: an unknown collection
        qdrant.query_points("missing", [0.9, 0.2, 0.1], limit=2)
    assert_conforms(telemetry, operation="retrieval", content=False, failed=True, error_type="ValueError")


@pytest.mark.parametrize("capture", [False, True])
def test_qdrant_write_is_a_database_span(
    make_telemetry: Callable[..., Telemetry], qdrant: Any, capture: bool
) -> None:
    from qdrant_client import models

    telemetry = make_telemetry(capture_content=capture, instrumentors=["qdrant"])
    qdrant.upsert(
        "kb-conformance", [models.PointStruct(id=9, vector=[0.1, 0.2, 0.3], payload={"text": "new"})]
    )
    span = assert_conforms(telemetry, operation="upsert", content=False)  # a write carries no content
    assert span.attributes["db.system.name"] == "qdrant"


def test_qdrant_write_error(make_telemetry: Callable[..., Telemetry], qdrant: Any) -> None:
    from qdrant_client import models

    telemetry = make_telemetry(instrumentors=["qdrant"])
    with pytest.raises(ValueError, match="missing"):
        qdrant.upsert("missing", [models.PointStruct(id=9, vector=[0.1, 0.2, 0.3])])
    assert_conforms(telemetry, operation="upsert", content=False, failed=True, error_type="ValueError")


def test_qdrant_query_under_a_retriever(make_telemetry: Callable[..., Telemetry], qdrant: Any) -> None:
    """The store's query is the retrieval's database span; each conforms, and each is measured once."""
    telemetry = make_telemetry(instrumentors=["qdrant"])

    @otel_genai.retriever(data_source="support-kb")
    def search(vector: list[float]) -> list[str]:
        return [p.payload["text"] for p in qdrant.query_points("kb-conformance", vector, limit=2).points]

    search([0.9, 0.2, 0.1])
    database, retrieval = telemetry.spans()
    assert_conforms(telemetry, database, operation="query_points", content=False)
    assert_conforms(telemetry, retrieval, operation="retrieval", content=False)
    assert database.parent is not None and database.parent.span_id == retrieval.context.span_id


# --- Pinecone (the real client, its HTTP answered on loopback) ------------------------------------

PINECONE_MATCHES = [
    {"id": "doc-alpha", "score": 0.93, "metadata": {"text": "text of doc-alpha"}},
    {"id": "doc-gamma", "score": 0.81, "metadata": {"text": "text of doc-gamma"}},
]


class LocalPinecone:
    """The data plane's ``/query`` on 127.0.0.1: two matches, or a 404 when told to fail."""

    def __init__(self) -> None:
        self.fail = False
        local = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                answer: dict[str, Any]
                if local.fail or self.path != "/query":
                    status, answer = 404, {"error": {"code": "NOT_FOUND", "message": "no such namespace"}}
                else:
                    matches = [
                        {**m, "metadata": m["metadata"] if body.get("includeMetadata") else None}
                        for m in PINECONE_MATCHES[: body["topK"]]
                    ]
                    status, answer = 200, {"matches": matches, "namespace": body.get("namespace", "")}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def index(self) -> Any:
        import pinecone

        return pinecone.Pinecone(api_key="test-key", timeout=5).Index(host=self.url)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_pinecone() -> Iterator[LocalPinecone]:
    pytest.importorskip("pinecone")
    server = LocalPinecone()
    yield server
    server.close()


@pytest.mark.parametrize("capture", [False, True])
def test_pinecone_query(
    make_telemetry: Callable[..., Telemetry], local_pinecone: LocalPinecone, capture: bool
) -> None:
    telemetry = make_telemetry(capture_content=capture, instrumentors=["pinecone"])
    with local_pinecone.index() as index:
        index.query(top_k=2, vector=[0.9, 0.2, 0.1], namespace="articles", include_metadata=True)
    span = assert_conforms(telemetry, operation="retrieval", content=None if capture else False)
    assert ("text of" in span.attributes["gen_ai.retrieval.documents"]) is capture


def test_pinecone_query_error(
    make_telemetry: Callable[..., Telemetry], local_pinecone: LocalPinecone
) -> None:
    import pinecone

    telemetry = make_telemetry(instrumentors=["pinecone"])
    local_pinecone.fail = True
    with local_pinecone.index() as index, pytest.raises(pinecone.NotFoundError):
        index.query(top_k=2, vector=[0.9, 0.2, 0.1], namespace="articles")
    assert_conforms(telemetry, operation="retrieval", content=False, failed=True, error_type="NotFoundError")


# --- LangChain: a retriever of the application's own, and a tool ----------------------------------


class KeywordRetriever(BaseRetriever):
    """No store: the documents sharing most words with the query, two of them."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        words = set(query.split())
        texts = {key: f"text of {key}" for key in VECTORS}
        ranked = sorted(texts.items(), key=lambda item: -len(words & set(item[1].split())))
        return [Document(id=doc_id, page_content=text) for doc_id, text in ranked[:2]]


class IndexOffline(RuntimeError):
    pass


class OfflineRetriever(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        raise IndexOffline("index offline")


@pytest.mark.parametrize("capture", [False, True])
def test_langchain_retriever(make_telemetry: Callable[..., Telemetry], capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture, instrumentors=["langchain"])
    assert [doc.id for doc in KeywordRetriever().invoke("doc-beta")] == ["doc-beta", "doc-alpha"]
    span = assert_conforms(telemetry, operation="retrieval", content=capture)
    assert ("text of" in span.attributes["gen_ai.retrieval.documents"]) is capture


def test_langchain_retriever_error(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry(instrumentors=["langchain"])
    with pytest.raises(IndexOffline):
        OfflineRetriever().invoke("anything")
    assert_conforms(telemetry, operation="retrieval", content=False, failed=True, error_type="IndexOffline")


@lc_tool
def get_forecast(city: str) -> str:
    """Tomorrow's weather for a city."""
    return f"18C and sunny in {city}"


def _no_forecast(city: str) -> str:
    """Always fails."""
    raise IndexOffline(f"no forecast for {city}")


@pytest.mark.parametrize("capture", [False, True])
def test_langchain_tool(make_telemetry: Callable[..., Telemetry], capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture, instrumentors=["langchain"])
    assert get_forecast.invoke({"city": "Paris"}) == "18C and sunny in Paris"
    assert_conforms(telemetry, operation="execute_tool", content=capture)


def test_langchain_tool_error(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry(instrumentors=["langchain"])
    no_forecast = StructuredTool.from_function(_no_forecast, name="no_forecast")
    with pytest.raises(IndexOffline):
        no_forecast.invoke({"city": "Atlantis"})
    assert_conforms(
        telemetry, operation="execute_tool", content=False, failed=True, error_type="IndexOffline"
    )


def test_langchain_tool_error_langchain_handles(make_telemetry: Callable[..., Telemetry]) -> None:
    """A ToolException LangChain turns into the result: nothing raised, and still a failed call."""
    telemetry = make_telemetry(instrumentors=["langchain"])

    def refuse(city: str) -> str:
        """Refuses."""
        raise ToolException(f"{city} is not a city")

    refusing = StructuredTool.from_function(refuse, name="refusing", handle_tool_error=True)
    assert refusing.invoke({"city": "Atlantis"}) == "Atlantis is not a city"
    assert_conforms(telemetry, operation="execute_tool", content=False, failed=True, error_type="tool_error")


# --- @otel_genai.retriever ------------------------------------------------------------------------


@pytest.mark.parametrize("capture", [False, True])
def test_decorated_retriever(make_telemetry: Callable[..., Telemetry], capture: bool) -> None:
    telemetry = make_telemetry(capture_content=capture)

    @otel_genai.retriever(data_source="kb-conformance")
    def search(query: str, k: int = 2) -> list[dict[str, Any]]:
        hits = [
            {"id": key, "score": 0.9 - 0.1 * rank, "content": f"text of {key}"}
            for rank, key in enumerate(VECTORS)
        ]
        return hits[:k]

    assert [hit["id"] for hit in search("refunds")] == ["doc-alpha", "doc-beta"]
    span = assert_conforms(telemetry, operation="retrieval", content=capture)
    assert ("text of" in span.attributes["gen_ai.retrieval.documents"]) is capture


def test_decorated_retriever_error(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry()

    @otel_genai.retriever
    def search(query: str) -> list[str]:
        raise IndexOffline(f"nothing for {query}")

    with pytest.raises(IndexOffline):
        search("refunds")
    assert_conforms(telemetry, operation="retrieval", content=False, failed=True, error_type="IndexOffline")
