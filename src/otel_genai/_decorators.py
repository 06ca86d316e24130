"""Decorators for the application's own GenAI operations: ``@otel_genai.retriever``.

They work whether ``instrument()`` ran before or after the decoration (the handler is looked up per call),
keep the function's signature, name, docstring and return value, and work on methods.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

import wrapt

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, traced_async_call, traced_call
from otel_genai.instrumentation._documents import documents_of
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Retrieval

F = TypeVar("F", bound=Callable[..., Any])

# argument names that hold the query text, and the number of documents asked for
_QUERY_ARGUMENTS = ("query", "question", "text", "input", "q")
_TOP_K_ARGUMENTS = ("k", "top_k", "limit", "n_results")


class _RetrieverReader(CallReader):
    """A decorated retriever function: its arguments and its returned documents, as a Retrieval."""

    def __init__(
        self,
        function: Callable[..., Any],
        data_source: str | None,
        score_kind: str | None,
        score_metric: str | None,
    ) -> None:
        self.function_name = getattr(function, "__qualname__", None) or getattr(function, "__name__", "")
        self.data_source = data_source
        self.score_kind = score_kind
        self.score_metric = score_metric

    @property
    def handler(self) -> TelemetryHandler:  # type: ignore[override]
        from otel_genai._setup import active_handler

        return active_handler()

    def build(self, instance: Any, kwargs: dict[str, Any]) -> Retrieval:
        top_k = next((kwargs[n] for n in _TOP_K_ARGUMENTS if isinstance(kwargs.get(n), int)), None)
        return Retrieval(
            operation=sc.OPERATION_RETRIEVAL,
            provider=None,
            data_source_id=self.data_source,
            top_k=top_k if not isinstance(top_k, bool) else None,
            score_kind=self.score_kind,
            score_metric=self.score_metric,
            request_attributes={sc.CODE_FUNCTION_NAME: self.function_name} if self.function_name else {},
        )

    def capture_request(self, record: Retrieval, kwargs: dict[str, Any]) -> None:
        named = (kwargs.get(n) for n in _QUERY_ARGUMENTS)
        text = next((v for v in named if isinstance(v, str)), None)
        if text is None:  # else the first text argument
            text = next((v for v in kwargs.values() if isinstance(v, str)), None)
        record.query_text = text

    def on_result(self, record: Retrieval, result: Any) -> Any:
        record.documents = documents_of(result, content=self.handler.wants_content(record))
        if record.documents is not None:
            record.returned_rows = len(record.documents)
        self.handler.finish(record)
        return result


@overload
def retriever(function: F) -> F: ...
@overload
def retriever(
    *, data_source: str | None = None, score_kind: str | None = None, score_metric: str | None = None
) -> Callable[[F], F]: ...
def retriever(
    function: Any = None,
    *,
    data_source: str | None = None,
    score_kind: str | None = None,
    score_metric: str | None = None,
) -> Any:
    """Trace a function that retrieves documents as a GenAI ``retrieval`` span.

    Use bare (``@retriever``) or with arguments (``@retriever(data_source="kb@2025-03-10")``), on sync or
    async functions and methods. The span carries the returned documents' IDs and scores in rank order
    (dicts with ``id``/``score``, LangChain ``Document``s, ``(document, score)`` pairs, or objects with
    ``id``/``score`` attributes), the requested ``k``/``top_k``/``limit`` and, with content capture on,
    the query text and the documents' text. ``score_kind`` says what the scores mean: ``"similarity"``
    (higher is closer) or ``"distance"`` (lower is closer); ``score_metric`` which one (``"cosine"``...).
    A store client instrumented by otel-genai and called inside becomes this span's database span.
    """

    def decorate(fn: F) -> F:
        reader = _RetrieverReader(fn, data_source, score_kind, score_metric)
        if inspect.iscoroutinefunction(fn):

            @wrapt.decorator
            async def traced_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
                return await traced_async_call(reader, wrapped, instance, args, kwargs)

            return traced_async(fn)  # type: ignore[no-any-return]

        @wrapt.decorator
        def traced(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            return traced_call(reader, wrapped, instance, args, kwargs)

        return traced(fn)  # type: ignore[no-any-return]

    if isinstance(function, str):  # @retriever("kb-embeddings@2025-03-10")
        data_source, function = function, None
    if function is not None:
        return decorate(function)
    return decorate
