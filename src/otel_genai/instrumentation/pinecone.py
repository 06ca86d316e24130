"""Pinecone (``pinecone``): ``Index.query``, ``query_namespaces`` and the Records API ``search`` as GenAI
``retrieval``s, and ``upsert`` / ``upsert_records`` / ``delete`` as database spans with counts only. Sync
``Index`` and ``AsyncIndex`` (the REST clients; the gRPC ``GrpcIndex`` is not covered).

What a Pinecone score means depends on the index's metric (``cosine`` and ``dotproduct`` are
similarities, ``euclidean`` is a squared distance, lower is closer), and a data-plane ``Index`` knows
neither its metric nor its name: only its host. Both are learned, without any request of our own, when
the application asks the control plane about the index (``pc.index(name=...)`` and
``pc.indexes.describe`` do): until then the span names the index by its host and says nothing about
what the scores mean. ``query_namespaces`` is told the metric by its caller. Query vectors are never
recorded.

The SDK copies ``query`` and ``upsert`` onto each ``Index`` when it is built (its legacy ``async_req``
support), so an ``Index`` built before ``instrument()`` keeps untraced copies of those two methods; one
built while instrumented follows the current instrumentation, and goes quiet after ``uninstrument()``.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import context as otel_context

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import (
    CallReader,
    Instrumentor,
    Observer,
    Target,
    store_query,
    traced_call,
)
from otel_genai.instrumentation._documents import id_of, int_of, score_of
from otel_genai.instrumentation._servers import DEFAULT_PORTS
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import RetrievedDocument, StoreCall

DB_SYSTEM = "pinecone"

_SYNC = ("pinecone.index", "Index")
_ASYNC = ("pinecone.async_client.async_index", "AsyncIndex")
# the control plane's describe answers name an index's host, name and metric
_DESCRIBE = (("pinecone.client.indexes", "Indexes"), ("pinecone.async_client.indexes", "AsyncIndexes"))

# a Pinecone metric -> what its scores are
_SCORE_KINDS = {
    "cosine": sc.SCORE_SIMILARITY,
    "dotproduct": sc.SCORE_SIMILARITY,
    "euclidean": sc.SCORE_DISTANCE,
}
# where a record keeps its text (query metadata, search fields)
_TEXT_KEYS = ("text", "page_content", "content", "chunk_text")
_CATALOG_LIMIT = 1024

# operation -> the reader the current instrumentation reads it with. The wrappers look it up on every
# call, so an Index that copied a wrapped method when it was built follows instrument()/uninstrument().
_readers: dict[str, _PineconeReader] = {}


class PineconeInstrumentor(Instrumentor):
    """Instruments ``pinecone`` data-plane indexes (sync and asyncio)."""

    name = "pinecone"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        _readers.update(
            {
                "query": _QueryReader(handler),
                "query_namespaces": _QueryNamespacesReader(handler),
                "search": _SearchReader(handler),
                "upsert": _WriteReader(handler, "upsert", "vectors"),
                "upsert_records": _WriteReader(handler, "upsert_records", "records"),
                "delete": _WriteReader(handler, "delete", "ids"),
            }
        )
        targets: list[Target] = []
        for (module, cls), is_async in ((_SYNC, False), (_ASYNC, True)):
            for operation in _readers:
                targets.append((module, cls, operation, _dispatcher(operation, is_async)))
        for module, cls in _DESCRIBE:
            targets.append((module, cls, "describe", _DESCRIBED))
        return targets

    def forget(self) -> None:
        _readers.clear()
        _catalog.clear()


def _dispatcher(operation: str, is_async: bool) -> Callable[..., Any]:
    """The wrapper for one method: the current reader's, or a plain call when not instrumented."""
    if is_async:

        async def async_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            reader = _readers.get(operation)
            if reader is None:
                return await wrapped(*args, **kwargs)
            return await reader.async_wrapper(wrapped, instance, args, kwargs)

        return async_wrapper

    def sync_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        reader = _readers.get(operation)
        if reader is None:
            return wrapped(*args, **kwargs)
        return reader.sync_wrapper(wrapped, instance, args, kwargs)

    return sync_wrapper


# --- what the control plane told about an index ---------------------------------------------------

# index host (``netloc``, lower case) -> (name, metric)
_catalog: dict[str, tuple[str | None, str | None]] = {}


def _learn(model: Any) -> None:
    """Remember an ``IndexModel``'s name and metric under its host (and private host)."""
    try:
        name = getattr(model, "name", None)
        metric = getattr(model, "metric", None)  # None when the schema has several vector fields
        entry = (str(name) if name else None, metric if isinstance(metric, str) else None)
        for host in (getattr(model, "host", None), getattr(model, "private_host", None)):
            key = _host_key(host)
            if key:
                if len(_catalog) >= _CATALOG_LIMIT and key not in _catalog:
                    _catalog.pop(next(iter(_catalog)))
                _catalog[key] = entry
    except Exception:
        pass


# the control plane's describe answers, observed: an index's host, name and metric
_DESCRIBED = Observer(lambda indexes, arguments, model: _learn(model), "a Pinecone index description")


def _host_key(host: Any) -> str | None:
    if not isinstance(host, str) or not host:
        return None
    return urlsplit(host if "://" in host else f"https://{host}").netloc.lower() or None


# --- what an index tells about itself ---------------------------------------------------------------


def _server(index: Any) -> tuple[str | None, int | None, str | None]:
    """Host, port and ``netloc`` of the index's data-plane URL."""
    try:
        return _parse_host(str(index.host))
    except Exception:
        return None, None, None


@functools.lru_cache(maxsize=_CATALOG_LIMIT)
def _parse_host(host: str) -> tuple[str | None, int | None, str | None]:
    url = urlsplit(host)
    port = url.port or DEFAULT_PORTS.get(url.scheme)
    return url.hostname, port, url.netloc.lower() or None


def _index_name(host: str | None, netloc: str | None) -> str | None:
    """The index's name if the control plane told us, else its host's first label.

    Pinecone hosts read ``{name}-{project}.svc.{environment}.pinecone.io``; a local emulator's
    (``localhost:5081``, ``127.0.0.1:5081``) is named by host and port, one port per index.
    """
    known = _catalog.get(netloc or "")
    if known and known[0]:
        return known[0]
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
        return netloc
    except ValueError:
        pass
    return host.split(".", 1)[0] if "." in host else netloc


def _metric(index: Any) -> str | None:
    _, _, netloc = _server(index)
    known = _catalog.get(netloc or "")
    return known[1] if known else None


def _store_fields(index: Any, operation: str, namespace: Any) -> dict[str, Any]:
    host, port, netloc = _server(index)
    return {
        "db_system": DB_SYSTEM,
        "collection": _index_name(host, netloc),
        "namespace": namespace if isinstance(namespace, str) and namespace else None,
        "db_operation": operation,
        "server_address": host,
        "server_port": port,
    }


# --- readers --------------------------------------------------------------------------------------


class _PineconeReader(CallReader):
    operation = "query"

    def record_for(self, index: Any, namespace: Any, **fields: Any) -> StoreCall:
        """A retrieval span, or, inside a retrieval someone else opened, that retrieval's database span."""
        return store_query(self.handler, _store_fields(index, self.operation, namespace), **fields)

    def finish_hits(self, record: StoreCall, hits: Any, text_holder: str) -> None:
        """``hits`` in rank order: ids, scores and, when captured, the text the record carries."""
        try:
            capture = self.handler.wants_content(record)  # never for a database span
            documents = []
            for hit in hits if isinstance(hits, (list, tuple)) else ():
                document = RetrievedDocument(
                    id=id_of(_field(hit, "id")), score=score_of(_field(hit, "score"))
                )
                if capture:
                    document.content = _text(_field(hit, text_holder))
                documents.append(document)
            record.documents = documents
            record.returned_rows = len(documents)
            # what the scores mean, only when the index's metric is known
            record.score_kind = _SCORE_KINDS.get(record.score_metric or "")
            if record.score_kind is None:
                record.score_metric = None
        finally:
            self.handler.finish(record)


class _QueryReader(_PineconeReader):
    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        record = self.record_for(instance, kwargs.get("namespace"), top_k=int_of(kwargs.get("top_k")))
        record.score_metric = _metric(instance)
        return record

    def on_result(self, record: Any, result: Any) -> Any:
        self.finish_hits(record, _field(result, "matches"), "metadata")
        return result

    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        fan_out = _fan_out_of(instance, kwargs)
        if fan_out is None or fan_out.context is None:
            return traced_call(self, wrapped, instance, args, kwargs)
        # one namespace of a sync query_namespaces, on its thread pool: back into that retrieval's context
        token = otel_context.attach(fan_out.context)
        try:
            return traced_call(self, wrapped, instance, args, kwargs)
        finally:
            otel_context.detach(token)


class _QueryNamespacesReader(_QueryReader):
    """One query over several namespaces, merged by the SDK into one ranking (its caller names the metric).

    Each namespace's ``query`` becomes a database span under it. The async client's fan-out keeps our
    context; the sync client's runs on a thread pool, which ``_FanOut`` bridges.
    """

    operation = "query_namespaces"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        top_k = kwargs.get("top_k")
        record = self.record_for(instance, None, top_k=int_of(10 if top_k is None else top_k))
        metric = kwargs.get("metric")
        record.score_metric = metric if isinstance(metric, str) else None
        return record

    def sync_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if args:  # keyword-only: the SDK refuses this call itself
            return traced_call(self, wrapped, instance, args, kwargs)
        fan_out = _FanOut(instance, kwargs)

        def fan_out_in_context(**arguments: Any) -> Any:
            fan_out.context = otel_context.get_current()  # the retrieval's, attached by traced_call
            with _fan_outs_lock:
                _fan_outs.append(fan_out)
            try:
                return wrapped(**arguments)
            finally:
                with _fan_outs_lock:
                    _fan_outs.remove(fan_out)

        return traced_call(self, fan_out_in_context, instance, args, kwargs)


class _SearchReader(_PineconeReader):
    """The Records API ``search`` (``search_records`` is its alias and calls it): text in, hits out."""

    operation = "search"

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        top_k = kwargs.get("top_k")
        if top_k is None:
            top_k = _field(kwargs.get("query"), "top_k")  # the older nested form
        record = self.record_for(instance, kwargs.get("namespace"), top_k=int_of(top_k))
        # reranked hits carry the reranker's scores, not the index's
        record.score_metric = None if kwargs.get("rerank") is not None else _metric(instance)
        return record

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        inputs = kwargs.get("inputs")
        if inputs is None:
            inputs = _field(kwargs.get("query"), "inputs")
        text = _field(inputs, "text")
        if isinstance(text, str):
            record.query_text = text

    def on_result(self, record: Any, result: Any) -> Any:
        self.finish_hits(record, _field(_field(result, "result"), "hits"), "fields")
        return result


class _WriteReader(_PineconeReader):
    """upsert / upsert_records / delete: how many records, never their contents."""

    def __init__(self, handler: Any, operation: str, items: str) -> None:
        super().__init__(handler)
        self.operation = operation
        self.items = items  # the argument holding the records (ids for delete)

    def build(self, instance: Any, kwargs: dict[str, Any]) -> StoreCall:
        return StoreCall(
            operation=self.operation,
            provider=None,
            record_count=_count(kwargs.get(self.items)),
            **_store_fields(instance, self.operation, kwargs.get("namespace")),
        )


# --- the sync query_namespaces fan-out ------------------------------------------------------------


class _FanOut:
    """A sync ``query_namespaces`` in flight.

    Its per-namespace ``query`` calls run on a ``ThreadPoolExecutor``, which does not carry our context,
    so they are recognised by what they share with it: the same index, the very same query vector and
    filter objects, one of its namespaces, and another thread.
    """

    __slots__ = ("context", "filter", "index", "namespaces", "sparse_vector", "thread", "vector")

    def __init__(self, index: Any, kwargs: dict[str, Any]) -> None:
        self.index = index
        self.vector = kwargs.get("vector")
        self.sparse_vector = kwargs.get("sparse_vector")
        self.filter = kwargs.get("filter")
        self.namespaces: Any = kwargs.get("namespaces")
        self.thread = threading.get_ident()
        self.context: Any = None

    def owns(self, index: Any, kwargs: dict[str, Any]) -> bool:
        return (
            index is self.index
            and kwargs.get("vector") is self.vector
            and kwargs.get("sparse_vector") is self.sparse_vector
            and kwargs.get("filter") is self.filter
            and threading.get_ident() != self.thread
            and kwargs.get("namespace") in self.namespaces
        )


_fan_outs: list[_FanOut] = []
_fan_outs_lock = threading.Lock()


def _fan_out_of(index: Any, kwargs: dict[str, Any]) -> _FanOut | None:
    if not _fan_outs:
        return None
    try:
        with _fan_outs_lock:
            return next((fan_out for fan_out in _fan_outs if fan_out.owns(index, kwargs)), None)
    except Exception:
        return None


# --- small readers ----------------------------------------------------------------------------------


def _field(value: Any, name: str) -> Any:
    """An attribute of a response model, or a key of a mapping; None when absent."""
    if value is None:
        return None
    found = getattr(value, name, None)
    if found is not None and not callable(found):
        return found
    if isinstance(value, Mapping):
        return value.get(name)
    return None


def _text(holder: Any) -> str | None:
    if not isinstance(holder, Mapping):
        return None
    for key in _TEXT_KEYS:
        text = holder.get(key)
        if isinstance(text, str):
            return text
    return None


def _count(value: Any) -> int | None:
    """How many items a write carried (never iterating a one-shot iterable)."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        return len(value)
    except TypeError:
        return None
