"""Chroma (``chromadb``): ``Collection.query`` as a GenAI ``retrieval``, ``get`` with a filter too, and
``add`` / ``upsert`` / ``update`` / ``delete`` as database spans with counts only. Sync and async collections.

Chroma returns distances (lower is closer) in the collection's space (``l2`` by default, ``cosine``,
``ip``); the span says so (``otel_genai.retrieval.score.kind = distance``) instead of passing them off
as similarities. Query embeddings are never recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, Instrumentor, Target, store_query
from otel_genai.instrumentation._documents import id_of, int_of, score_of
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Retrieval, RetrievedDocument, StoreCall

DB_SYSTEM = "chroma"
_DEFAULT_SPACE = "l2"

_SYNC = ("chromadb.api.models.Collection", "Collection")
_ASYNC = ("chromadb.api.models.AsyncCollection", "AsyncCollection")


class ChromaInstrumentor(Instrumentor):
    """Instruments ``chromadb`` collections."""

    name = "chromadb"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        readers = {
            "query": _QueryReader(handler),
            "get": _GetReader(handler),
            "add": _WriteReader(handler, "add"),
            "upsert": _WriteReader(handler, "upsert"),
            "update": _WriteReader(handler, "update"),
            "delete": _WriteReader(handler, "delete"),
        }
        return [
            (module, cls, method, reader)
            for module, cls in (_SYNC, _ASYNC)
            for method, reader in readers.items()
        ]


# --- what a collection tells about itself -------------------------------------------------------


def _space(collection: Any) -> str:
    """The distance function: the collection's configuration, its legacy ``hnsw:space`` metadata, or l2."""
    try:
        configuration = collection.configuration_json or {}
        for index in ("hnsw", "spann"):
            space = (configuration.get(index) or {}).get("space")
            if space:
                return str(space)
    except Exception:
        pass
    metadata = getattr(collection, "metadata", None) or {}
    return str(metadata.get("hnsw:space") or _DEFAULT_SPACE)


def _embedding_model(collection: Any) -> str | None:
    """The embedding function's model, when the collection embeds the query text itself."""
    function = getattr(collection, "_embedding_function", None)
    if function is None:
        return None
    try:
        config = function.get_config() or {}
        model = config.get("model_name") or config.get("model")
        if model:
            return str(model)
    except Exception:
        pass
    try:
        return str(function.name())
    except Exception:
        return None


def _server(collection: Any) -> tuple[str | None, int | None]:
    """Host and port of an HTTP client's server; (None, None) for the in-process client."""
    client = getattr(collection, "_client", None)
    settings = getattr(client, "_settings", None)
    if settings is None or not hasattr(client, "_api_url"):
        return None, None
    host = getattr(settings, "chroma_server_host", None)
    return (str(host) if host else None), int_of(getattr(settings, "chroma_server_http_port", None))


def _store_fields(collection: Any, operation: str) -> dict[str, Any]:
    address, port = _server(collection)
    database = getattr(collection, "database", None)
    return {
        "db_system": DB_SYSTEM,
        "collection": getattr(collection, "name", None),
        "namespace": str(database) if database else None,
        "db_operation": operation,
        "server_address": address,
        "server_port": port,
    }


def _count(value: Any) -> int | None:
    """How many items a one-or-many argument holds."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        return 1
    try:
        return len(value)
    except TypeError:
        return None


def _query_count(kwargs: dict[str, Any]) -> int | None:
    for name in ("query_embeddings", "query_texts", "query_images", "query_uris"):
        value = kwargs.get(name)
        if value is None:
            continue
        if name == "query_embeddings" and _is_single_vector(value):
            return 1
        return _count(value)
    return None


def _is_single_vector(value: Any) -> bool:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return len(shape) == 1
    return bool(value) and isinstance(value, (list, tuple)) and not hasattr(value[0], "__len__")


# --- readers --------------------------------------------------------------------------------------


class _ChromaReader(CallReader):
    operation = "query"

    def record_for(self, collection: Any, **fields: Any) -> StoreCall:
        """A retrieval span, or, inside a retrieval someone else opened, that retrieval's database span."""
        return store_query(self.handler, _store_fields(collection, self.operation), **fields)

    def read_hits(self, record: StoreCall, result: Any) -> None:
        ids = _field(result, "ids") or []
        distances = _field(result, "distances")
        texts = _field(result, "documents")
        capture = self.handler.wants_content(record)  # never for a database span
        query_count = record.query_count if isinstance(record, Retrieval) else None
        nested = bool(ids) and isinstance(ids[0], (list, tuple))
        groups = ids if nested else [ids]
        documents = []
        for index, group in enumerate(groups):
            group_distances = _group(distances, index, nested)
            group_texts = _group(texts, index, nested) if capture else None
            for rank, document_id in enumerate(group):
                document = RetrievedDocument(
                    id=id_of(document_id),
                    score=score_of(_at(group_distances, rank)),
                    query_index=index if (query_count or len(groups)) > 1 else None,
                )
                text = _at(group_texts, rank)
                if isinstance(text, str):
                    document.content = text
                documents.append(document)
        record.documents = documents
        record.returned_rows = len(documents)
        if distances is not None:
            record.score_kind = sc.SCORE_DISTANCE
        else:
            record.score_metric = None


class _QueryReader(_ChromaReader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall | None:
        query_count = _query_count(kwargs)
        uses_embedding_function = kwargs.get("query_embeddings") is None
        record = self.record_for(
            instance,
            top_k=int_of(kwargs.get("n_results", 10)),
            query_count=query_count,
            request_model=_embedding_model(instance) if uses_embedding_function else None,
        )
        record.score_metric = _space(instance)
        return record

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        texts = kwargs.get("query_texts")
        if isinstance(texts, str):
            record.query_text = texts
        elif isinstance(texts, (list, tuple)) and texts and all(isinstance(t, str) for t in texts):
            record.query_text = texts[0] if len(texts) == 1 else "\n".join(texts)

    def on_result(self, record: Any, result: Any) -> Any:
        try:
            self.read_hits(record, result)
        finally:
            self.handler.finish(record)
        return result


class _GetReader(_QueryReader):
    """``get`` is a retrieval only when it filters (``where`` / ``where_document``); by ids it is a lookup."""

    operation = "get"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall | None:
        if kwargs.get("where") is None and kwargs.get("where_document") is None:
            return StoreCall(
                operation=self.operation, provider=None, **_store_fields(instance, self.operation)
            )
        return self.record_for(instance, top_k=int_of(kwargs.get("limit")))

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        return None  # a filter is not query text

    def on_result(self, record: Any, result: Any) -> Any:
        if not isinstance(record, Retrieval):
            record.returned_rows = _count(_field(result, "ids"))
            self.handler.finish(record)
            return result
        return super().on_result(record, result)


class _WriteReader(CallReader):
    """add / upsert / update / delete: how many records, never their contents."""

    def __init__(self, handler: Any, operation: str) -> None:
        super().__init__(handler)
        self.operation = operation

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        return StoreCall(
            operation=self.operation,
            provider=None,
            record_count=_count(kwargs.get("ids")),
            **_store_fields(instance, self.operation),
        )

    def on_result(self, record: Any, result: Any) -> Any:
        deleted = _field(result, "deleted") if self.operation == "delete" else None
        if isinstance(deleted, int) and not isinstance(deleted, bool):
            record.record_count = deleted
        self.handler.finish(record)
        return result


# --- small readers ----------------------------------------------------------------------------------


def _field(result: Any, name: str) -> Any:
    if isinstance(result, dict):
        return result.get(name)
    return getattr(result, name, None)


def _group(values: Any, index: int, nested: bool) -> Any:
    if values is None:
        return None
    if not nested:
        return values
    return values[index] if index < len(values) else None


def _at(values: Any, index: int) -> Any:
    if values is None:
        return None
    try:
        return values[index]
    except (IndexError, TypeError, KeyError):
        return None
