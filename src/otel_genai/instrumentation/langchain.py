"""LangChain (``langchain_core``): retrievers and vector-store searches as GenAI ``retrieval`` spans, tools
as ``execute_tool`` spans.

Two kinds of target, instrumented differently:

- Methods defined once on a base class and rarely overridden (``BaseRetriever.invoke`` / ``ainvoke``) are
  wrapped there (``_retriever_targets``, ``_tool_targets``).
- ``VectorStore.similarity_search*`` (and their async ``a...`` twins) are abstract or overridden by every
  concrete store, so the base class alone would miss them: they are wrapped on ``VectorStore`` and on
  every subclass that implements them itself, including classes defined after ``instrument()`` (a
  ``VectorStore.__init_subclass__`` hook). Uninstrumenting restores every one of them.

One span per logical operation: a store search made while a retrieval is already open (a retriever above
it, or the store's ``similarity_search`` calling its own ``similarity_search_with_score``) opens no span of
its own. It hands its hits and scores up to the open retrieval, which adopts the scores by document id; the
database span, when there is one, comes from the store's client instrumentation (Chroma, Qdrant, ...).
Query vectors are never recorded.

Tools are traced where every call passes: ``BaseTool.run`` / ``arun``. ``invoke`` / ``ainvoke`` only unpack a
``ToolCall`` (its ``args`` and ``id``) and call them, and ``StructuredTool`` / ``Tool`` override ``ainvoke``
(falling back to ``invoke`` in a thread), so wrapping the runners gives exactly one span per tool call,
whichever entry point was used, with the call id whenever LangChain has one. A tool run while an execution
of the same tool is the current span (``otel_genai.tool_call`` / ``run_tool`` for that call) is that
execution: no second span, its call id, arguments and result go on the open one. LangChain turns a
``ToolException`` into returned content when the tool has ``handle_tool_error`` (and a validation error when
it has ``handle_validation_error``); such a call ends with ``error.type = tool_error``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import wrapt
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, Instrumentor, Target, call_arguments
from otel_genai.instrumentation._documents import documents_of, int_of
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Retrieval, StoreCall, ToolExecution

logger = logging.getLogger("otel_genai")

_RETRIEVER = ("langchain_core.retrievers", "BaseRetriever")
_TOOL = ("langchain_core.tools.base", "BaseTool")
# The function run / arun format a tool's output with; the only place that sees a handled error's status.
# Its owner is the module itself (``langchain_core.tools.base``, an attribute of the lazily importing
# ``langchain_core.tools`` once imported: the BaseTool targets, listed first, import it). A release
# without it is skipped; a returned error ToolMessage is still seen.
_TOOL_OUTPUT = ("langchain_core.tools", "base", "_format_output")
_DEFAULT_K = 4  # VectorStore's own default for k

# The searches a store implements; each also has an async twin named "a" + name.
_SEARCHES = (
    "similarity_search",
    "similarity_search_with_score",
    "similarity_search_with_relevance_scores",
    "similarity_search_by_vector",
    # not on VectorStore itself, but on most stores (InMemory, Chroma, FAISS, ...)
    "similarity_search_with_score_by_vector",
)
_SEARCH_METHODS = _SEARCHES + tuple(f"a{name}" for name in _SEARCHES)

# What a store's scores mean, where the source says so. Relevance scores are VectorStore's contract:
# "relevance scores in the range [0, 1], 0 is dissimilar, 1 is most similar", whatever the store.
_RELEVANCE = (sc.SCORE_SIMILARITY, "relevance")
_RELEVANCE_METHODS = ("similarity_search_with_relevance_scores", "asimilarity_search_with_relevance_scores")
# (defining class, method) -> meaning; InMemoryVectorStore ranks by numpy cosine similarity.
_KNOWN_SCORES = {
    ("langchain_core.vectorstores.in_memory.InMemoryVectorStore", method): (sc.SCORE_SIMILARITY, "cosine")
    for method in (
        "similarity_search_with_score",
        "asimilarity_search_with_score",
        "similarity_search_with_score_by_vector",
    )
}

# The method a VectorStoreRetriever's search_type calls (its default k is the request's top-k).
_SEARCH_FOR_TYPE = {
    "similarity": "similarity_search",
    "similarity_score_threshold": "similarity_search_with_relevance_scores",
    "mmr": "max_marginal_relevance_search",
}
# Where stores keep their collection / index name (instance attributes only: no property runs).
_NAME_ATTRIBUTES = (
    "collection_name",
    "_collection_name",
    "index_name",
    "_index_name",
    "table_name",
    "_table_name",
)
# Where embeddings objects keep their model name.
_MODEL_ATTRIBUTES = ("model", "model_name", "model_id")


class LangChainInstrumentor(Instrumentor):
    """Instruments ``langchain_core`` retrievers, vector stores and tools."""

    name = "langchain"
    _stores: _VectorStorePatcher | None = None

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        return [*_retriever_targets(handler), *_tool_targets(handler)]

    def _wrap(self, kwargs: dict[str, Any]) -> None:
        super()._wrap(kwargs)
        self._stores = _VectorStorePatcher(self.handler)
        try:
            self._stores.install()
        except Exception:  # the retrievers stay traced
            logger.warning("otel_genai: could not instrument LangChain vector stores", exc_info=True)

    def forget(self) -> None:
        if self._stores is not None:
            self._stores.remove()
        self._stores = None


# --- targets wrapped on their base class ------------------------------------------------------------


def _retriever_targets(handler: TelemetryHandler) -> list[Target]:
    return [
        (*_RETRIEVER, "invoke", _RetrieverReader(handler, "invoke").sync_wrapper),
        (*_RETRIEVER, "ainvoke", _RetrieverReader(handler, "ainvoke").async_wrapper),
    ]


def _tool_targets(handler: TelemetryHandler) -> list[Target]:
    reader = _ToolReader(handler)
    return [
        (*_TOOL, "run", reader.sync_wrapper),
        (*_TOOL, "arun", reader.async_wrapper),
        (*_TOOL_OUTPUT, reader.output_wrapper),
    ]


# --- vector stores: every class that implements a search, now and later -----------------------------


class _VectorStorePatcher:
    """Wraps the searches of ``VectorStore`` and of every subclass that implements them itself.

    Subclasses that exist now are found through ``__subclasses__()``; classes defined later (a store
    package imported after ``instrument()``) through a ``VectorStore.__init_subclass__`` hook. Everything
    replaced is remembered so ``remove`` puts back exactly what was there.
    """

    _ABSENT = object()

    def __init__(self, handler: TelemetryHandler) -> None:
        self.handler = handler
        self._patched: list[tuple[type, str, Any, Any]] = []  # (class, name, original, wrapper)
        self._base: type | None = None
        self._original_hook: Any = self._ABSENT
        self._hook: Any = None
        self._active = False

    def install(self) -> None:
        from langchain_core.vectorstores import VectorStore

        self._base = VectorStore
        self._active = True
        for cls in _family(VectorStore):
            self.patch(cls)
        original = VectorStore.__dict__.get("__init_subclass__", self._ABSENT)
        self._original_hook = original
        patcher = self

        def __init_subclass__(cls: Any, **kwargs: Any) -> None:
            if original is _VectorStorePatcher._ABSENT:
                super(VectorStore, cls).__init_subclass__(**kwargs)  # type: ignore[misc]  # cls is a subclass
            else:
                original.__get__(None, cls)(**kwargs)
            patcher.patch(cls)

        self._hook = classmethod(__init_subclass__)
        VectorStore.__init_subclass__ = self._hook  # type: ignore[method-assign]

    def patch(self, cls: type) -> None:
        """Wrap the searches ``cls`` defines itself (inherited ones are already wrapped where defined)."""
        if not self._active:
            return
        try:
            for name in _SEARCH_METHODS:
                original = cls.__dict__.get(name)
                if not inspect.isfunction(original) or getattr(original, "__isabstractmethod__", False):
                    continue
                reader = _StoreReader(self.handler, name, cls, original)
                is_async = inspect.iscoroutinefunction(original)
                wrapper = wrapt.FunctionWrapper(
                    original, reader.async_wrapper if is_async else reader.sync_wrapper
                )
                setattr(cls, name, wrapper)
                self._patched.append((cls, name, original, wrapper))
        except Exception:
            logger.debug("otel_genai: could not instrument the vector store %r", cls, exc_info=True)

    def remove(self) -> None:
        self._active = False
        base = self._base
        if (
            base is not None
            and self._hook is not None
            and base.__dict__.get("__init_subclass__") is self._hook
        ):
            if self._original_hook is self._ABSENT:
                delattr(base, "__init_subclass__")
            else:
                base.__init_subclass__ = self._original_hook  # type: ignore[method-assign]
        self._hook = None
        for cls, name, original, wrapper in reversed(self._patched):
            if cls.__dict__.get(name) is wrapper:
                setattr(cls, name, original)
            else:  # someone wrapped it again on top of us: theirs stays, and ours with it
                logger.debug("otel_genai: %s.%s was replaced after instrumenting; left as is", cls, name)
        self._patched = []


def _family(base: type) -> Iterator[type]:
    """``base`` and all its subclasses, each once."""
    seen: set[type] = set()
    pending = [base]
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        try:
            pending.extend(cls.__subclasses__())
        except TypeError:
            continue


# --- what a store tells about itself ----------------------------------------------------------------


def _store_name(store: Any) -> str | None:
    """The store's collection / index name, when it keeps one; never made up (not the class name)."""
    try:
        fields = vars(store)
    except TypeError:
        return None
    for name in _NAME_ATTRIBUTES:
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _embedding_model(store: Any) -> str | None:
    """The model of the store's query embeddings, when its embeddings object names one."""
    if store is None:
        return None
    try:
        embeddings = store.embeddings
    except Exception:
        embeddings = None
    if embeddings is None:
        embeddings = getattr(store, "embedding", None) or getattr(store, "embedding_function", None)
    for name in _MODEL_ATTRIBUTES:
        value = getattr(embeddings, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _default_k(function: Any) -> int | None:
    """The default of a search's ``k`` parameter (stores differ), or None if it has none."""
    try:
        parameter = inspect.signature(function).parameters.get("k")
    except (TypeError, ValueError):
        return None
    return int_of(parameter.default) if parameter is not None else None


@functools.lru_cache(maxsize=256)
def _search_default_k(store_class: Any, method: str) -> int:
    """The default ``k`` of a store class's search (read once per class), else VectorStore's."""
    function = getattr(store_class, method, None)
    default = _default_k(function) if function is not None else None
    return default if default is not None else _DEFAULT_K


def _code_function(owner: type, method: str) -> dict[str, Any]:
    return {sc.CODE_FUNCTION_NAME: f"{owner.__qualname__}.{method}"}


# --- readers ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _HandedUp(StoreCall):
    """A LangChain store search made under an open retrieval: no span, only its hits for the retrieval."""


class _DocumentsReader(CallReader):
    """Finishes a retrieval with the ``Document``s (or ``(Document, score)`` pairs) a call returned."""

    def on_result(self, record: Any, result: Any) -> Any:
        try:
            record.documents = documents_of(result, content=self.handler.wants_content(record))
            if record.documents is not None:
                record.returned_rows = len(record.documents)
        finally:
            self.handler.finish(record)
        return result


class _StoreReader(_DocumentsReader):
    """One search method of one store class: a retrieval span, or its hits handed up to the open one."""

    def __init__(self, handler: TelemetryHandler, method: str, owner: type, function: Any) -> None:
        super().__init__(handler)
        self.method = method
        self.owner = owner
        self.default_k = _default_k(function)
        if method in _RELEVANCE_METHODS:
            meaning: tuple[str | None, str | None] = _RELEVANCE
        else:
            meaning = _KNOWN_SCORES.get((f"{owner.__module__}.{owner.__qualname__}", method), (None, None))
        self.score_kind, self.score_metric = meaning

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Retrieval:
        name = _store_name(instance)
        k = kwargs.get("k", self.default_k)
        return Retrieval(
            operation=sc.OPERATION_RETRIEVAL,
            provider=None,
            data_source_id=name,
            collection=name,
            db_operation=self.method,
            top_k=int_of(k),
            request_model=_embedding_model(instance),
            score_kind=self.score_kind,
            score_metric=self.score_metric,
            request_attributes=_code_function(type(instance), self.method),
        )

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        query = kwargs.get("query")
        if isinstance(query, str):
            record.query_text = query

    def join(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Callable[[Any], None] | None:
        """Under an open retrieval: no span, the hits go up to it once the search returns."""
        try:
            enclosing = self.handler.active_retrieval() if is_instrumentation_enabled() else None
        except Exception:
            return None
        if enclosing is None:
            return None
        mark = len(enclosing.store_calls)
        return functools.partial(self._hand_up, enclosing, mark, instance)

    def _hand_up(self, enclosing: Retrieval, mark: int, instance: Any, result: Any) -> None:
        """Give the open retrieval this search's scored hits, unless a call beneath said it better.

        The innermost report wins: a database call under this one (Chroma's ``query``) saw the backend's
        own scores, and a nested LangChain search whose scores have a known meaning is more specific
        than one whose scores have none.
        """
        try:
            documents = documents_of(result, content=self.handler.wants_content(enclosing))
            if not documents or all(document.score is None for document in documents):
                return
            beneath = [call for call in enclosing.store_calls[mark:] if call.documents is not None]
            if any(not isinstance(call, _HandedUp) or call.score_kind for call in beneath):
                return
            if beneath and self.score_kind is None:
                return
            for call in beneath:
                enclosing.store_calls.remove(call)
            enclosing.store_calls.append(
                _HandedUp(
                    operation=self.method,
                    provider=None,
                    db_operation=self.method,
                    request_model=_embedding_model(instance),
                    documents=documents,
                    returned_rows=len(documents),
                    score_kind=self.score_kind,
                    score_metric=self.score_metric,
                )
            )
        except Exception:
            logger.debug("otel_genai: could not hand a store search up to its retrieval", exc_info=True)


class _RetrieverReader(_DocumentsReader):
    """``BaseRetriever.invoke`` / ``ainvoke``: the query string in, ``list[Document]`` out."""

    def __init__(self, handler: TelemetryHandler, method: str) -> None:
        super().__init__(handler)
        self.method = method

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Retrieval:
        store = _vector_store_of(instance)
        name = _store_name(store) if store is not None else None
        return Retrieval(
            operation=sc.OPERATION_RETRIEVAL,
            provider=None,
            data_source_id=name,
            collection=name,
            top_k=_retriever_top_k(instance, store, kwargs),
            request_model=_embedding_model(store),
            request_attributes=_code_function(type(instance), self.method),
        )

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        query = kwargs.get("input")
        if isinstance(query, str):
            record.query_text = query


def _vector_store_of(retriever: Any) -> Any:
    """The vector store a retriever searches (``VectorStoreRetriever``, ``MultiVectorRetriever``, ...)."""
    store = getattr(retriever, "vectorstore", None)
    if store is None:
        return None
    return store if isinstance(store, _langchain("langchain_core.vectorstores", "VectorStore")) else None


def _retriever_top_k(retriever: Any, store: Any, kwargs: dict[str, Any]) -> int | None:
    """``k`` from the search kwargs (and the call's), the search's default, or the retriever's ``k`` field."""
    if store is not None:
        search_kwargs = getattr(retriever, "search_kwargs", None)
        search_kwargs = dict(search_kwargs) if isinstance(search_kwargs, dict) else {}
        search_kwargs.update((key, value) for key, value in kwargs.items() if key not in ("input", "config"))
        if "k" in search_kwargs:
            return int_of(search_kwargs["k"])
        search_type = getattr(retriever, "search_type", "similarity")
        store_class: Any = type(store)
        return _search_default_k(store_class, _SEARCH_FOR_TYPE.get(search_type, "similarity_search"))
    # BM25Retriever, TFIDFRetriever, KNNRetriever, ...: the number of documents to return
    return int_of(getattr(retriever, "k", None))


# --- tools ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _ToolRun(ToolExecution):
    """A LangChain tool's execution; keeps the tool, which knows its injected arguments."""

    tool: Any = None


class _ToolReader(CallReader):
    """``BaseTool.run`` / ``arun``: the tool's input (a ``ToolCall``'s args, a dict or a string) and its
    ``tool_call_id`` in, its output (a ``ToolMessage`` when there is a call id) out."""

    def build(self, instance: Any, kwargs: dict[str, Any]) -> ToolExecution:
        return _ToolRun(
            operation=sc.OPERATION_EXECUTE_TOOL,
            provider=None,
            tool_name=_text(getattr(instance, "name", None)),
            description=_text(getattr(instance, "description", None)),
            tool_type=sc.TOOL_TYPE_FUNCTION,
            call_id=_text(kwargs.get("tool_call_id")),
            tool=instance,
        )

    def capture_request(self, record: Any, kwargs: dict[str, Any]) -> None:
        record.arguments = _tool_input(record.tool, kwargs.get("tool_input"))

    def on_result(self, record: Any, result: Any) -> Any:
        try:
            _read_output(self.handler, record, result)
        finally:
            self.handler.finish(record)
        return result

    def join(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Callable[[Any], None] | None:
        active = self._same_execution(instance)
        if active is None:
            return None
        self._join(active, wrapped, instance, args, kwargs)
        return functools.partial(self._joined_output, active)

    def output_wrapper(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        """``_format_output(content, artifact, tool_call_id, name, status)``: a handled error is a failure."""
        try:
            name, status = _output_facts(*args, **kwargs)
            if status == "error" and is_instrumentation_enabled():
                active = self.handler.active_tool()
                if active is not None and active.tool_name == name:
                    active.error_type = active.error_type or sc.ERROR_TYPE_TOOL_ERROR
        except Exception:
            logger.debug("otel_genai: could not read a LangChain tool's status", exc_info=True)
        return wrapped(*args, **kwargs)

    def _same_execution(self, tool: Any) -> ToolExecution | None:
        """The open execution of this very tool (``run_tool`` / ``tool_call`` running it): this run is it."""
        if not is_instrumentation_enabled():
            return None
        try:
            active = self.handler.active_tool()
            if active is None or active.tool_name != getattr(tool, "name", None):
                return None
        except Exception:
            return None
        return active

    def _join(self, active: ToolExecution, wrapped: Any, tool: Any, args: Any, kwargs: Any) -> None:
        """What this run knows and the open execution lacks: the call id, the description, the input."""
        try:
            arguments = call_arguments(wrapped, args, kwargs)
            active.call_id = active.call_id or _text(arguments.get("tool_call_id"))
            active.description = active.description or _text(getattr(tool, "description", None))
            if active.arguments is None and self.handler.wants_content(active):
                active.arguments = _tool_input(tool, arguments.get("tool_input"))
        except Exception:
            logger.debug("otel_genai: could not read a LangChain tool's input", exc_info=True)

    def _joined_output(self, active: ToolExecution, result: Any) -> None:
        try:
            if active.result is None:
                _read_output(self.handler, active, result)
        except Exception:
            logger.debug("otel_genai: could not read a LangChain tool's output", exc_info=True)


@functools.cache
def _langchain(module: str, name: str) -> Any:
    """A LangChain class, imported on first use (this module loads without LangChain installed)."""
    return getattr(importlib.import_module(module), name)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _output_facts(
    content: Any = None,
    artifact: Any = None,
    tool_call_id: Any = None,
    name: Any = None,
    status: Any = None,
    *args: Any,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """The tool name and status ``_format_output`` was given."""
    return name, status


def _tool_input(tool: Any, value: Any) -> Any:
    """The tool's input as content: a dict without the arguments LangChain injects (runtime, state, ...)."""
    if not isinstance(value, dict):
        return value
    try:
        return tool._filter_injected_args(value)
    except AttributeError:  # langchain-core before 1.1: keep what the model is shown (tool_call_schema)
        pass
    except Exception:
        return dict(value)
    try:
        schema = tool.tool_call_schema
        shown = schema.model_fields if hasattr(schema, "model_fields") else schema.get("properties", {})
        return {key: item for key, item in value.items() if key in shown}
    except Exception:
        return dict(value)


def _read_output(handler: TelemetryHandler, record: ToolExecution, result: Any) -> None:
    """A returned error ``ToolMessage`` fails the call; the result is its content (or the raw value)."""
    message = result if isinstance(result, _langchain("langchain_core.messages", "ToolMessage")) else None
    if message is not None and message.status == "error":
        record.error_type = record.error_type or sc.ERROR_TYPE_TOOL_ERROR
    if handler.wants_content(record):
        record.result = message.content if message is not None else _plain(result)


def _plain(value: Any) -> Any:
    """A pydantic model as its JSON-able dict; anything else as it is (``str()`` if JSON cannot hold it)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return dump(mode="json")
        except Exception:
            return value
    return value
