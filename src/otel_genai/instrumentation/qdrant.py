"""Qdrant (``qdrant-client``): ``query_points`` / ``query_points_groups`` / ``query_batch_points`` (and the
older ``search`` / ``search_groups`` / ``search_batch`` where the installed release still has them) as a
GenAI ``retrieval``; ``upsert`` / ``upload_points`` / ``upload_collection`` / ``delete`` as database spans
with counts only. ``QdrantClient`` and ``AsyncQdrantClient``, local mode and remote (REST or gRPC).

What a Qdrant score means depends on the collection's distance: Cosine and Dot are similarities (higher is
closer), Euclid and Manhattan distances (lower is closer), BM25 text scores relevance (higher is closer);
fusion, formula, recommend and other query kinds score by their own rules. The distance is read without a
request of our own: from local mode's in-memory collection, or from what this client already learned when
the application called ``create_collection`` / ``recreate_collection`` / ``get_collection``. Unknown stays
unsaid. Query vectors are never recorded; query text only with content capture, from a ``Document`` or a
``TextQuery``.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, Instrumentor, Observer, Target, store_query
from otel_genai.instrumentation._documents import document_of, int_of
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import RetrievedDocument, StoreCall

logger = logging.getLogger("otel_genai")

DB_SYSTEM = "qdrant"
_DEFAULT_LIMIT = 10  # the client's and the server's ``limit`` when none is given
_DEFAULT_VECTOR = ""  # the unnamed vector's name in a collection's configuration

_CLIENTS = (
    ("qdrant_client.qdrant_client", "QdrantClient"),
    ("qdrant_client.async_qdrant_client", "AsyncQdrantClient"),
)

# score metric -> what the score means
_SCORE_KINDS = {
    "cosine": sc.SCORE_SIMILARITY,
    "dot": sc.SCORE_SIMILARITY,
    "euclid": sc.SCORE_DISTANCE,
    "manhattan": sc.SCORE_DISTANCE,
    "bm25": sc.SCORE_SIMILARITY,
}
# query inputs scored by the collection's distance to them (besides lists, ints and str point ids)
_NEAREST_INPUTS = ("ndarray", "UUID", "PointId", "Document", "Image", "InferenceObject")
_SPARSE_METRIC = "dot"  # sparse vectors are scored by dot product (with or without the IDF modifier)


class QdrantInstrumentor(Instrumentor):
    """Instruments ``qdrant_client.QdrantClient`` and ``AsyncQdrantClient``."""

    name = "qdrant"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        readers: dict[str, Any] = {
            "query_points": _QueryReader(handler, "query_points", "query"),
            "query_points_groups": _QueryReader(handler, "query_points_groups", "query", groups=True),
            "query_batch_points": _BatchReader(handler, "query_batch_points", "query"),
            "search": _QueryReader(handler, "search", "query_vector"),
            "search_groups": _QueryReader(handler, "search_groups", "query_vector", groups=True),
            "search_batch": _BatchReader(handler, "search_batch", "vector"),
            "upsert": _WriteReader(handler, "upsert", "points"),
            "upload_points": _WriteReader(handler, "upload_points", "points"),
            "upload_records": _WriteReader(handler, "upload_records", "records"),
            "upload_collection": _WriteReader(handler, "upload_collection", "ids", "vectors"),
            "delete": _WriteReader(handler, "delete", "points_selector"),
            "create_collection": _remember_collection("create_collection"),
            "recreate_collection": _remember_collection("recreate_collection"),
            "get_collection": _remember_collection("get_collection"),
            "delete_collection": _remember_collection("delete_collection"),
        }
        # the async client is not async throughout (its upload_points / upload_collection are plain
        # methods; upload_points was a coroutine in 1.7): wrap_methods lets each method choose
        return [
            (module, cls, method, reader) for module, cls in _CLIENTS for method, reader in readers.items()
        ]


# --- what a client tells about itself ---------------------------------------------------------------


def _server(client: Any) -> tuple[str | None, int | None]:
    """Host and port of a remote client's server (the gRPC port when it prefers gRPC); none in local mode."""
    remote = getattr(client, "_client", None)
    host = getattr(remote, "_host", None)
    if not isinstance(host, str) or not host:
        return None, None
    port = getattr(remote, "_grpc_port" if getattr(remote, "_prefer_grpc", False) else "_port", None)
    return host, port if isinstance(port, int) and not isinstance(port, bool) else None


def _store_fields(client: Any, collection: Any, operation: str) -> dict[str, Any]:
    address, port = _server(client)
    return {
        "db_system": DB_SYSTEM,
        "collection": collection if isinstance(collection, str) else None,
        "db_operation": operation,
        "server_address": address,
        "server_port": port,
    }


# client -> collection -> vector name -> metric; what the application's own collection calls taught us
_learned: weakref.WeakKeyDictionary[Any, dict[str, dict[str, str]]] = weakref.WeakKeyDictionary()


def _metrics_of(vectors: Any, sparse_vectors: Any) -> dict[str, str]:
    """Vector name -> metric, from a collection's ``vectors`` / ``sparse_vectors`` configuration."""
    metrics: dict[str, str] = {}
    if isinstance(vectors, Mapping):
        named: Iterable[tuple[Any, Any]] = vectors.items()
    else:
        named = ((_DEFAULT_VECTOR, vectors),) if vectors is not None else ()
    for name, params in named:
        distance = getattr(params, "distance", None)
        distance = getattr(distance, "value", distance)
        if isinstance(distance, str):
            metrics[str(name)] = distance.lower()
    if isinstance(sparse_vectors, Mapping):
        for name in sparse_vectors:
            metrics[str(name)] = _SPARSE_METRIC
    return metrics


def _collection_metrics(client: Any, collection: Any) -> dict[str, str] | None:
    """The collection's metrics: local mode's own collection, else what this client learned."""
    local = getattr(client, "_client", None)
    collections = getattr(local, "collections", None)
    if isinstance(collections, dict):  # local mode (QdrantLocal / AsyncQdrantLocal)
        found = collections.get(collection)
        if found is None:
            aliases = getattr(local, "aliases", None)
            found = collections.get(aliases.get(collection)) if isinstance(aliases, dict) else None
        config = getattr(found, "config", None)
        if config is not None:
            return _metrics_of(getattr(config, "vectors", None), getattr(config, "sparse_vectors", None))
    try:
        return _learned.get(client, {}).get(collection)
    except TypeError:  # not weak-referenceable
        return None


def _learn(client: Any, collection: Any, metrics: dict[str, str] | None) -> None:
    if not isinstance(collection, str):
        return
    try:
        known = _learned.setdefault(client, {})
    except TypeError:
        return
    if metrics:
        known[collection] = metrics
    else:
        known.pop(collection, None)


def _remember_collection(method: str) -> Observer:
    """Learn a collection's distance from the application's own create / get / delete calls."""

    def remember(client: Any, arguments: dict[str, Any], result: Any) -> None:
        collection = arguments.get("collection_name")
        if method == "get_collection":
            params = getattr(getattr(result, "config", None), "params", None)
            metrics = _metrics_of(getattr(params, "vectors", None), getattr(params, "sparse_vectors", None))
        elif method == "delete_collection":
            metrics = None
        elif result is False:  # create_collection / recreate_collection, refused
            return
        else:
            metrics = _metrics_of(arguments.get("vectors_config"), arguments.get("sparse_vectors_config"))
        _learn(client, collection, metrics)

    return Observer(remember, "a Qdrant collection's configuration")


# --- what a query asks ------------------------------------------------------------------------------


def _ranking(query: Any, using: Any) -> tuple[str | None, str | None] | None:
    """How the hits are scored: ``(metric, None)`` when the query itself says (sparse, BM25), ``(None,
    vector name)`` when it is that vector's distance, None when the score is something else (fusion,
    formula, recommend, order-by, sampling, MMR, no query)."""
    name = using if isinstance(using, str) else _DEFAULT_VECTOR
    kind = type(query).__name__
    if kind == "TextQuery":
        return "bm25", None
    if kind == "NearestQuery":
        if getattr(query, "mmr", None) is not None:
            return None
        return _ranking(getattr(query, "nearest", None), using)
    if kind in ("SparseVector", "NamedSparseVector"):
        return _SPARSE_METRIC, None
    if kind == "NamedVector":  # the older search API
        return None, str(getattr(query, "name", name))
    if isinstance(query, tuple) and len(query) == 2 and isinstance(query[0], str):  # ("name", vector)
        return _ranking(query[1], query[0])
    if query is None or isinstance(query, (bool, bytes, dict)):
        return None
    if isinstance(query, (int, str, list, tuple)) or kind in _NEAREST_INPUTS:
        return None, name  # a vector, a point id, or something the client embeds: nearest by distance
    return None


def _metric(client: Any, collection: Any, query: Any, using: Any) -> str | None:
    ranking = _ranking(query, using)
    if ranking is None:
        return None
    metric, vector = ranking
    if metric is not None:
        return metric
    known = _collection_metrics(client, collection)
    return known.get(vector) if known and vector is not None else None


def _inner(query: Any) -> Any:
    """A ``NearestQuery``'s input, else the query."""
    return getattr(query, "nearest", query) if type(query).__name__ == "NearestQuery" else query


def _model_of(query: Any) -> str | None:
    """The embedding model of a query the client or the server embeds (``Document``, ``Image``...)."""
    inner = _inner(query)
    if type(inner).__name__ in ("Document", "Image", "InferenceObject"):
        model = getattr(inner, "model", None)
        return model if isinstance(model, str) and model else None
    return None


def _text_of(query: Any) -> str | None:
    """The text of a text query (content): a ``Document``'s text or a ``TextQuery``'s; never a vector."""
    inner = _inner(query)
    kind = type(inner).__name__
    text = getattr(inner, "text", None) if kind in ("Document", "TextQuery") else None
    if text is not None and not isinstance(text, str):  # TextQueryInput
        text = getattr(text, "query", None)
    return text if isinstance(text, str) else None


def _same(values: list[Any]) -> Any:
    """The one value all share, else None."""
    return values[0] if values and all(value == values[0] for value in values) else None


# --- readers ----------------------------------------------------------------------------------------


class _QdrantReader(CallReader):
    def __init__(self, handler: Any, operation: str, query_field: str) -> None:
        super().__init__(handler)
        self.operation = operation
        self.query_field = query_field

    def record_for(self, client: Any, collection: Any, metric: str | None, **fields: Any) -> StoreCall:
        """A retrieval span, or, inside a retrieval someone else opened, that retrieval's database span."""
        record = store_query(self.handler, _store_fields(client, collection, self.operation), **fields)
        record.score_metric = metric
        record.score_kind = _SCORE_KINDS.get(metric or "")
        return record

    def finish_with(self, record: StoreCall, hit_lists: list[Any]) -> None:
        """The hits of each query, in rank order, handed to the record; then the span ends."""
        try:
            capture = self.handler.wants_content(record)  # never for a database span
            batch = len(hit_lists) > 1
            documents: list[RetrievedDocument] = []
            for index, hits in enumerate(hit_lists):
                for hit in hits if isinstance(hits, (list, tuple)) else ():
                    document = document_of(hit, content=capture)
                    document.query_index = index if batch else None
                    documents.append(document)
            record.documents = documents
            record.returned_rows = len(documents)
        finally:
            self.handler.finish(record)


class _QueryReader(_QdrantReader):
    """One query: ``query_points`` / ``search``, and their ``_groups`` variants (hits of all groups)."""

    def __init__(self, handler: Any, operation: str, query_field: str, *, groups: bool = False) -> None:
        super().__init__(handler, operation, query_field)
        self.groups = groups

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        collection = kwargs.get("collection_name")
        query = kwargs.get(self.query_field)
        return self.record_for(
            instance,
            collection,
            _metric(instance, collection, query, kwargs.get("using")),
            top_k=int_of(kwargs.get("limit", _DEFAULT_LIMIT)),
            request_model=_model_of(query),
        )

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        record.query_text = _text_of(kwargs.get(self.query_field))

    def on_result(self, record: Any, result: Any) -> Any:
        if self.groups:
            groups = getattr(result, "groups", None) or ()
            hits = [hit for group in groups for hit in (getattr(group, "hits", None) or ())]
        else:
            hits = getattr(result, "points", result)  # QueryResponse, or the older search's list
        self.finish_with(record, [hits])
        return result


class _BatchReader(_QdrantReader):
    """``query_batch_points`` / ``search_batch``: one retrieval for the batch, hits tagged by query."""

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        collection = kwargs.get("collection_name")
        requests = kwargs.get("requests")
        if not isinstance(requests, (list, tuple)):  # an iterator is the client's to consume
            return self.record_for(instance, collection, None)
        queries = [getattr(request, self.query_field, None) for request in requests]
        limits = [int_of(getattr(request, "limit", None)) or _DEFAULT_LIMIT for request in requests]
        metrics = [
            _metric(instance, collection, query, getattr(request, "using", None))
            for query, request in zip(queries, requests, strict=True)
        ]
        return self.record_for(
            instance,
            collection,
            _same(metrics),
            top_k=_same(limits),
            query_count=len(requests),
            request_model=_same([_model_of(query) for query in queries]),
        )

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        requests = kwargs.get("requests")
        if not isinstance(requests, (list, tuple)):
            return
        texts = [_text_of(getattr(request, self.query_field, None)) for request in requests]
        if texts and all(texts):
            record.query_text = "\n".join(texts)  # type: ignore[arg-type]

    def on_result(self, record: Any, result: Any) -> Any:
        responses = result if isinstance(result, (list, tuple)) else []
        self.finish_with(record, [getattr(response, "points", response) for response in responses])
        return result


class _WriteReader(CallReader):
    """upsert / upload / delete: how many records, never their contents."""

    def __init__(self, handler: Any, operation: str, *count_fields: str) -> None:
        super().__init__(handler)
        self.operation = operation
        self.count_fields = count_fields

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        count = None
        for name in self.count_fields:
            count = _count(kwargs.get(name))
            if count is not None:
                break
        return StoreCall(
            operation=self.operation,
            provider=None,
            record_count=count,
            **_store_fields(instance, kwargs.get("collection_name"), self.operation),
        )


def _count(value: Any) -> int | None:
    """How many points a write carries, when that is known without consuming an iterator.

    A list of points or ids, a ``Batch`` (its ids), a ``PointIdsList``, an array of vectors (its rows);
    a filter selector or a generator: unknown.
    """
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return None
    kind = type(value).__name__
    if kind == "Batch":
        value = getattr(value, "ids", None)
    elif kind == "PointIdsList":
        value = getattr(value, "points", None)
    elif kind == "ndarray":
        shape = getattr(value, "shape", None)
        return int(shape[0]) if shape else None
    if isinstance(value, (list, tuple)):
        return len(value)
    return None
