"""The application's own GenAI operations: ``@otel_genai.retriever``, ``@otel_genai.tool``, and
``otel_genai.tool_call`` / ``otel_genai.run_tool`` to run a tool for a specific model tool call.

They work whether ``instrument()`` ran before or after the decoration (the handler is looked up per call),
keep the function's signature, name, docstring and return value, and work on methods.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar, overload

import wrapt
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_genai import _setup
from otel_genai import semconv as sc
from otel_genai.instrumentation._base import CallReader, call_arguments
from otel_genai.instrumentation._documents import documents_of
from otel_genai.telemetry.content import parse_json_arguments
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Retrieval, ToolExecution

logger = logging.getLogger("otel_genai")

F = TypeVar("F", bound=Callable[..., Any])

# argument names that hold the query text, and the number of documents asked for
_QUERY_ARGUMENTS = ("query", "question", "text", "input", "q")
_TOP_K_ARGUMENTS = ("k", "top_k", "limit", "n_results")


def _traced(function: F, reader: CallReader) -> F:
    """``function`` wrapped (signature, name and docstring kept) with the reader's sync or async path."""
    wrapper = reader.async_wrapper if inspect.iscoroutinefunction(function) else reader.sync_wrapper
    return wrapt.FunctionWrapper(function, wrapper)  # type: ignore[return-value]


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
        return _setup.active_handler()

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
        return _traced(fn, _RetrieverReader(fn, data_source, score_kind, score_metric))

    if isinstance(function, str):  # @retriever("kb-embeddings@2025-03-10")
        data_source, function = function, None
    if function is not None:
        return decorate(function)
    return decorate


# --- tools ------------------------------------------------------------------------------------------


def _first_line(text: str | None) -> str | None:
    """A docstring's first paragraph, on one line."""
    if not text:
        return None
    paragraph = inspect.cleandoc(text).split("\n\n", 1)[0]
    return " ".join(paragraph.split()) or None


class _ToolReader(CallReader):
    """A decorated tool function: an ``execute_tool`` span with its arguments and result as content."""

    def __init__(self, function: Callable[..., Any], name: str | None, description: str | None) -> None:
        self.function = function
        self.tool_name = name or getattr(function, "__name__", None) or "tool"
        self.description = description if description is not None else _first_line(function.__doc__)

    @property
    def handler(self) -> TelemetryHandler:  # type: ignore[override]
        return _setup.active_handler()

    def build(self, instance: Any, kwargs: dict[str, Any]) -> ToolExecution:
        return ToolExecution(
            operation=sc.OPERATION_EXECUTE_TOOL,
            provider=None,
            tool_name=self.tool_name,
            description=self.description,
            tool_type=sc.TOOL_TYPE_FUNCTION,
        )

    def capture_request(self, record: ToolExecution, kwargs: dict[str, Any]) -> None:
        record.arguments = _data_arguments(kwargs)

    def on_result(self, record: ToolExecution, result: Any) -> Any:
        if self.handler.wants_content(record):
            record.result = result
        self.handler.finish(record)
        return result

    def same_execution(self) -> ToolExecution | None:
        """The open execution of this very tool (``run_tool`` calling it): this call is that one."""
        try:
            active = self.handler.active_tool(self.tool_name)
        except Exception:
            return None
        if active is not None:
            active.description = active.description or self.description
        return active

    def join(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Callable[[Any], None] | None:
        """Run by ``run_tool`` for its own call: that execution gets the arguments it lacks."""
        active = self.same_execution()
        if active is None:
            return None
        if active.arguments is None and self.handler.wants_content(active):
            active.arguments = _data_arguments(call_arguments(wrapped, args, kwargs))
        return lambda result: None  # run_tool records the result itself


_DATA = (str, int, float, bool, type(None), list, tuple, dict)


def _data_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments that are data: a framework's injected context object (MCP's ``Context``, a
    LangChain callback manager) is not what the model asked for, and is left out. Pydantic models count as
    data (their fields are recorded)."""
    data = {}
    for name, value in arguments.items():
        if isinstance(value, _DATA):
            data[name] = value
        elif hasattr(value, "model_dump"):
            try:
                data[name] = value.model_dump(mode="json")
            except Exception:
                continue
    return data


@overload
def tool(function: F) -> F: ...
@overload
def tool(*, name: str | None = None, description: str | None = None) -> Callable[[F], F]: ...
def tool(function: Any = None, *, name: str | None = None, description: str | None = None) -> Any:
    """Trace a tool function as a GenAI ``execute_tool`` span (kind INTERNAL).

    Bare (``@tool``) or with arguments (``@tool(name="get_weather", description=...)``), on sync and async
    functions and methods; the function keeps its signature, name, docstring and return value. The span
    carries ``gen_ai.tool.name`` (the function's name unless given), ``gen_ai.tool.description`` (the
    docstring's first paragraph unless given), ``gen_ai.tool.type = function``, and with content capture
    on, the arguments and the result. Run it for a model's tool call with ``run_tool`` / ``tool_call`` and
    the span carries that call's ``gen_ai.tool.call.id``.
    """

    def decorate(fn: F) -> F:
        return _traced(fn, _ToolReader(fn, name, description))

    if function is not None:
        return decorate(function)
    return decorate


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def tool_call_facts(call: Any) -> tuple[str | None, str | None, Any]:
    """``(id, name, arguments)`` of a model's tool call, whichever SDK's shape it has.

    OpenAI Chat Completions (``call.id``, ``call.function.name`` / ``.arguments``, object or dict), the
    Responses API's ``function_call`` items (``call_id``, ``name``, ``arguments``), Anthropic's
    ``tool_use`` blocks (``id``, ``name``, ``input``), Gemini ``FunctionCall``s (``id``, ``name``, ``args``)
    or the ``Part`` holding one, Bedrock Converse ``toolUse`` blocks (``toolUseId``, ``name``, ``input``) or
    the content block holding one, LangChain ``ToolCall`` dicts (``id``, ``name``, ``args``), and plain
    dicts with ``id`` / ``name`` / ``arguments``.
    """
    for wrapper in ("function_call", "toolUse"):  # a Gemini Part / a Bedrock content block around the call
        inner = _get(call, wrapper)
        if inner is not None:
            call = inner
            break
    function = _get(call, "function")
    if function is not None:
        name, arguments = _get(function, "name"), _get(function, "arguments")
    else:
        name = _get(call, "name")
        arguments = next(
            (
                value
                for value in (_get(call, key) for key in ("arguments", "input", "args"))
                if value is not None
            ),
            None,
        )
    call_id = _get(call, "call_id") or _get(call, "id") or _get(call, "toolUseId")
    return (str(call_id) if call_id else None), (str(name) if name else None), arguments


class ToolCallScope:
    """The ``execute_tool`` span of one model tool call; ``set_result`` records what the tool returned."""

    def __init__(self, call: Any, name: str | None, description: str | None, tool_type: str) -> None:
        call_id, call_name, arguments = tool_call_facts(call)
        self.record = ToolExecution(
            operation=sc.OPERATION_EXECUTE_TOOL,
            provider=None,
            tool_name=name or call_name,
            description=description,
            tool_type=tool_type,
            call_id=call_id,
        )
        self._arguments = arguments
        self._handler: TelemetryHandler | None = None
        self._token: object | None = None

    @property
    def call_id(self) -> str | None:
        return self.record.call_id

    @property
    def arguments(self) -> Any:
        """The call's arguments, as an object when they were a JSON string."""
        return parse_json_arguments(self._arguments)

    def set_result(self, result: Any) -> None:
        """Record what the tool returned (unless a tool instrumentation inside already recorded it)."""
        handler = self._handler
        if handler is not None and self.record.result is None and handler.wants_content(self.record):
            self.record.result = result

    def __enter__(self) -> ToolCallScope:
        if not is_instrumentation_enabled():
            return self
        try:
            handler = _setup.active_handler()
            self._token = handler.start(self.record)
            self._handler = handler
            if handler.wants_content(self.record):
                self.record.arguments = self._arguments
        except Exception:
            logger.debug("otel_genai: could not start a tool call span", exc_info=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        handler = self._handler
        if handler is None:
            return
        handler.detach(self._token)
        if error is not None:
            handler.fail(self.record, error)
        else:
            handler.finish(self.record)

    async def __aenter__(self) -> ToolCallScope:
        return self.__enter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.__exit__(kind, error, traceback)


def tool_call(
    call: Any, *, name: str | None = None, description: str | None = None, tool_type: str = "function"
) -> ToolCallScope:
    """``with otel_genai.tool_call(call) as scope:`` runs a model's tool call inside its ``execute_tool``
    span, carrying the call's id (``gen_ai.tool.call.id``), name and, with content capture, arguments;
    ``scope.set_result(value)`` records the result. ``async with`` works too. A ``@tool`` function of the
    same name called inside is this execution, not a second span.
    """
    return ToolCallScope(call, name, description, tool_type)


def run_tool(call: Any, function: Callable[..., Any], /, **extra: Any) -> Any:
    """Run ``function`` for a model's tool call: its JSON arguments become keyword arguments (``extra``
    adds more), inside the call's ``execute_tool`` span, and its result is recorded. For an ``async``
    function it returns the awaitable. The function's own exceptions propagate unchanged.
    """
    _, call_name, _ = tool_call_facts(call)
    scope = tool_call(call, name=None if call_name else getattr(function, "__name__", None))
    if inspect.iscoroutinefunction(function):
        return _run_async(scope, function, extra)
    with scope:
        result = function(*_positional(scope), **_keywords(scope), **extra)
        scope.set_result(result)
        return result


async def _run_async(
    scope: ToolCallScope, function: Callable[..., Awaitable[Any]], extra: dict[str, Any]
) -> Any:
    async with scope:
        result = await function(*_positional(scope), **_keywords(scope), **extra)
        scope.set_result(result)
        return result


def _keywords(scope: ToolCallScope) -> dict[str, Any]:
    arguments = scope.arguments
    return arguments if isinstance(arguments, dict) else {}


def _positional(scope: ToolCallScope) -> tuple[Any, ...]:
    """A tool call whose arguments are not an object (rare) passes them as the one positional argument."""
    arguments = scope.arguments
    return () if arguments is None or isinstance(arguments, dict) else (arguments,)
