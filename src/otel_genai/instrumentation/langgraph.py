"""LangGraph: a compiled graph's run as one ``invoke_workflow`` span, a prebuilt agent's as ``invoke_agent``.

Every run of a graph passes through ``Pregel`` (``CompiledStateGraph`` subclasses it): ``invoke`` /
``ainvoke`` iterate ``self.stream`` / ``self.astream``, so each of the four is wrapped and a call of
``invoke`` marks the one ``stream`` call it makes itself (a context variable, cleared by that call before
any node runs): one call, one span. A subgraph added as a node (or called from a node) is a Pregel run of
its own (its own loop, checkpoint namespace and ``invoke``), so it is a nested span; nodes are not spans.

Context: LangGraph submits sync nodes to a thread pool and async nodes as tasks, each with a copy of the
context current when it is submitted, so the run's span is made current around each step of the run (a
stream's span is attached around each ``next()``, never across a ``yield``) and everything the nodes call
(model calls through an SDK we instrument, LangChain tools) nests under it. No LangChain callback is
installed: a ``ChatOpenAI`` call is the openai SDK's span, ours, once.

A prebuilt agent (``langgraph.prebuilt.create_react_agent``, ``langchain.agents.create_agent``) is
recognised by its model node's function, defined inside those factories, read once per compiled graph.
Its usage is the sum of the model calls made inside it (the handler does this). The run's name is the
``run_name`` of its config, else the graph's name (``compile(name=...)``; LangGraph's default is
``"LangGraph"``); a ``thread_id`` is the conversation id.

Content (only when captured): the input state's ``messages`` as input messages, and the messages the run
added as output messages; a state without ``messages`` records no content (never the arbitrary state).
A run that stops with ``GraphBubbleUp`` (an interrupt or a ``Command`` for the parent graph, how a
subgraph hands control up) ends normally; any other exception fails the span and propagates unchanged.
"""

from __future__ import annotations

import contextvars
import logging
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_genai import semconv as sc
from otel_genai._blocks import async_stepped, stepped
from otel_genai.instrumentation._base import Instrumentor, Target, call_arguments
from otel_genai.telemetry.content import (
    InputMessage,
    OutputMessage,
    Part,
    ToolDefinition,
    generic_part,
    input_message,
    output_message,
    reasoning_part,
    semconv_finish_reason,
    text_part,
    tool_call_part,
    tool_call_response_part,
    tool_definition,
    uri_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import AgentInvocation, Invocation, WorkflowInvocation

logger = logging.getLogger("otel_genai")

_PREGEL = ("langgraph.pregel", "Pregel")
# The factories whose compiled graphs are agents: (module of the model node's function, its qualname prefix)
_AGENT_FACTORIES = (
    ("langgraph.prebuilt.chat_agent_executor", "create_react_agent."),
    ("langchain.agents.factory", "create_agent."),
)
_TASK_ID = "__pregel_task_id"  # CONFIG_KEY_TASK_ID: a graph run as a node streams "values" by default
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool"}

# The graph whose ``invoke`` is running its own ``stream`` call next (that call is the same run).
_INNER: contextvars.ContextVar[Any] = contextvars.ContextVar("otel_genai_langgraph_inner", default=None)


class LangGraphInstrumentor(Instrumentor):
    """Instruments ``langgraph``'s ``Pregel`` runs (compiled graphs and prebuilt agents)."""

    name = "langgraph"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        runs = _GraphRuns(handler)
        return [
            (*_PREGEL, "invoke", runs.invoke),
            (*_PREGEL, "ainvoke", runs.ainvoke),
            (*_PREGEL, "stream", runs.stream),
            (*_PREGEL, "astream", runs.astream),
        ]

    def forget(self) -> None:
        _AGENTS.clear()


# --- what a graph is ----------------------------------------------------------------------------------

# compiled graph -> (is an agent, its tools); read once per graph (its nodes do not change once compiled)
_AGENTS: weakref.WeakKeyDictionary[Any, tuple[bool, tuple[Any, ...]]] = weakref.WeakKeyDictionary()


def _agent_facts(graph: Any) -> tuple[bool, tuple[Any, ...]]:
    try:
        return _AGENTS[graph]
    except (KeyError, TypeError):
        pass
    agent, tools = False, ()
    try:
        for node in getattr(graph, "nodes", {}).values():
            bound = getattr(node, "bound", None)
            function = getattr(bound, "func", None) or getattr(bound, "afunc", None)
            module = getattr(function, "__module__", None)
            qualname = getattr(function, "__qualname__", "") or ""
            if any(module == m and qualname.startswith(q) for m, q in _AGENT_FACTORIES):
                agent = True
            found = getattr(bound, "tools_by_name", None)  # the ToolNode
            if isinstance(found, dict):
                tools = tuple(found.values())
        _AGENTS[graph] = (agent, tools)
    except Exception:
        logger.debug("otel_genai: could not read a LangGraph graph's nodes", exc_info=True)
    return agent, tools


def _record(graph: Any, config: Any) -> Invocation:
    config = config if isinstance(config, Mapping) else {}
    name = config.get("run_name")
    if not isinstance(name, str) or not name:
        name = getattr(graph, "name", None)
        name = name if isinstance(name, str) and name else None
    configurable = config.get("configurable")
    thread = configurable.get("thread_id") if isinstance(configurable, Mapping) else None
    conversation = str(thread) if isinstance(thread, (str, int)) and thread != "" else None
    if _agent_facts(graph)[0]:
        return AgentInvocation(
            operation=sc.OPERATION_INVOKE_AGENT, provider=None, agent_name=name, conversation_id=conversation
        )
    return WorkflowInvocation(
        operation=sc.OPERATION_INVOKE_WORKFLOW,
        provider=None,
        workflow_name=name,
        conversation_id=conversation,
    )


# --- one run ------------------------------------------------------------------------------------------


class _Run:
    """One graph run: its record, the context its steps run in, and (with content) what it outputs."""

    __slots__ = ("arguments", "context", "done", "graph", "handler", "inputs", "outputs", "record", "values")

    def __init__(self, handler: TelemetryHandler, graph: Any, arguments: dict[str, Any]) -> None:
        self.handler = handler
        self.graph = graph
        self.arguments = arguments
        self.record: Invocation | None = None
        self.context: Any = None
        self.done = False
        self.inputs: list[Any] | None = None  # the input's messages (LangChain objects), with content only
        self.values: Any = None  # the last top-level state seen
        self.outputs: list[Any] | None = None  # messages from the updates seen

    def start(self) -> object | None:
        """Start the span and make it current; returns the token to detach. Never raises."""
        try:
            record = self.record = _record(self.graph, self.arguments.get("config"))
        except Exception:
            logger.debug("otel_genai: could not read a LangGraph run; running it untraced", exc_info=True)
            self.done = True
            return None
        token = self.handler.start(record)
        self.context = otel_context.get_current()
        # agent and workflow content goes on their spans only (no event describes them)
        if self.handler.capture_mode.on_span and self.handler.wants_content(record):
            try:
                self._capture_request(record)
            except Exception:
                logger.debug("otel_genai: could not read a LangGraph run's input", exc_info=True)
        else:
            self.arguments = {}  # nothing else is read from them
        return token

    def _capture_request(self, record: Invocation) -> None:
        self.inputs = _messages(_state_messages(self.arguments.get("input")))
        if self.inputs:
            record.input_messages = [_input_message(m) for m in self.inputs]  # type: ignore[attr-defined]
        if isinstance(record, AgentInvocation):
            tools = _agent_facts(self.graph)[1]
            if tools:
                details = self.handler.tool_definition_details
                record.tool_definitions = [_tool_definition(tool, details) for tool in tools]

    @property
    def wants_output(self) -> bool:
        return self.inputs is not None

    def observe(self, chunk: Any, mode: Any, subgraphs: bool, version: Any) -> None:
        """Keep what a stream chunk says about the run's output (with content only)."""
        try:
            found = _chunk(chunk, mode, subgraphs, version)
            if found is None:
                return
            kind, data = found
            if kind == "values":
                self.values = data
            elif kind == "updates" and isinstance(data, Mapping):
                for update in data.values():
                    messages = _state_messages(update)
                    if messages is not None:
                        if self.outputs is None:
                            self.outputs = []
                        self.outputs.extend(_messages(messages))  # in place: a long stream stays linear
        except Exception:
            logger.debug("otel_genai: could not read a LangGraph stream chunk", exc_info=True)

    def end(self, error: BaseException | None = None) -> None:
        if self.done or self.record is None:
            return
        self.done = True
        record = self.record
        if self.inputs is not None:
            try:
                outputs = self._output_messages()
                if outputs:
                    record.output_messages = outputs  # type: ignore[attr-defined]
            except Exception:
                logger.debug("otel_genai: could not read a LangGraph run's output", exc_info=True)
        if error is None or (_BUBBLE_UP is not None and isinstance(error, _BUBBLE_UP)):
            self.handler.finish(record)
        else:
            self.handler.fail(record, error)

    def _output_messages(self) -> list[OutputMessage]:
        if self.values is not None:
            added = _added(_messages(_state_messages(self.values)), self.inputs or [])
        else:
            added = self.outputs or []
        return [_output_message(m) for m in added]


# GraphBubbleUp (set by _GraphRuns): how a run hands control up (an interrupt, a Command for the parent).
_BUBBLE_UP: type[BaseException] | None = None


class _GraphRuns:
    """The wrappers of ``Pregel.invoke`` / ``ainvoke`` / ``stream`` / ``astream``."""

    def __init__(self, handler: TelemetryHandler) -> None:
        global _BUBBLE_UP
        self.handler = handler
        try:
            from langgraph.errors import GraphBubbleUp

            _BUBBLE_UP = GraphBubbleUp
        except ImportError:
            _BUBBLE_UP = None

    def _run(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Run | None:
        try:
            return _Run(self.handler, instance, call_arguments(wrapped, args, kwargs))
        except Exception:
            logger.debug("otel_genai: could not read a LangGraph call; running it untraced", exc_info=True)
            return None

    def invoke(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        run = self._run(wrapped, instance, args, kwargs)
        if run is None:
            return wrapped(*args, **kwargs)
        token = run.start()
        inner = _INNER.set(instance)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            run.end(error)
            raise
        finally:
            _INNER.reset(inner)
            self.handler.detach(token)
        _invoked(run, result)
        return result

    async def ainvoke(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        run = self._run(wrapped, instance, args, kwargs)
        if run is None:
            return await wrapped(*args, **kwargs)
        token = run.start()
        inner = _INNER.set(instance)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            run.end(error)
            raise
        finally:
            _INNER.reset(inner)
            self.handler.detach(token)
        _invoked(run, result)
        return result

    def stream(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._stream(wrapped, instance, args, kwargs, stepped)

    def astream(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._stream(wrapped, instance, args, kwargs, async_stepped)

    def _stream(self, wrapped: Any, instance: Any, args: Any, kwargs: Any, proxy: Any) -> Any:
        if _INNER.get() is instance:  # invoke's own stream: the same run, already traced
            _INNER.set(None)
            return wrapped(*args, **kwargs)
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        run = self._run(wrapped, instance, args, kwargs)
        generator = wrapped(*args, **kwargs)  # a generator: nothing has run yet
        if run is None:
            return generator
        try:  # still a generator to the application; each step (and its close) in the run's context
            return proxy(generator, _StreamState(run, otel_context.get_current(), run.graph))
        except Exception:
            logger.debug("otel_genai: could not wrap a LangGraph stream", exc_info=True)
            return generator


def _invoked(run: _Run, result: Any) -> None:
    """End an ``invoke`` run with its result: the final state (``values``), else the chunks it collected."""
    try:
        if run.wants_output:
            mode = run.arguments.get("stream_mode", "values")
            if mode == "values":
                run.values = getattr(result, "value", result)  # version="v2" returns a GraphOutput
            elif isinstance(result, list):
                version = run.arguments.get("version", "v1")
                for chunk in result:
                    run.observe(chunk, mode, False, version)
    except Exception:
        logger.debug("otel_genai: could not read a LangGraph run's result", exc_info=True)
    run.end()


# --- streams ------------------------------------------------------------------------------------------


class _StreamState:
    """A stream's run: started at its first step (in the context the stream was created in), current around
    each step, ended once (exhausted, failed, closed, or collected)."""

    __slots__ = ("mode", "parent", "run", "started", "subgraphs", "version")

    def __init__(self, run: _Run, parent: Any, graph: Any) -> None:
        self.run = run
        self.parent = parent
        self.started = False
        arguments = run.arguments
        mode = arguments.get("stream_mode")
        if mode is None:
            config = arguments.get("config")
            nested = isinstance(config, Mapping) and _TASK_ID in (config.get("configurable") or {})
            mode = "values" if nested else getattr(graph, "stream_mode", "values")
        self.mode = mode
        self.subgraphs = bool(arguments.get("subgraphs", False))
        self.version = arguments.get("version", "v1")

    def enter(self) -> object | None:
        """Attach the run's context for one step (starting the run at the first)."""
        try:
            if not self.started:
                self.started = True
                outer = otel_context.attach(self.parent)
                try:
                    TelemetryHandler.detach(self.run.start())
                finally:
                    otel_context.detach(outer)
            if self.run.context is None:
                return None
            return otel_context.attach(self.run.context)
        except Exception:
            logger.debug("otel_genai: could not enter a LangGraph run's context", exc_info=True)
            return None

    def leave(self, token: Any) -> None:
        TelemetryHandler.detach(token)

    def item(self, chunk: Any) -> None:
        if self.run.wants_output:
            self.run.observe(chunk, self.mode, self.subgraphs, self.version)

    def end(self, error: BaseException | None = None, value: Any = None) -> None:
        try:
            self.run.end(error)
        except Exception:
            logger.debug("otel_genai: could not end a LangGraph run", exc_info=True)


def _chunk(chunk: Any, mode: Any, subgraphs: bool, version: Any) -> tuple[Any, Any] | None:
    """A stream chunk as (mode, data) when it is the top-level graph's, else None."""
    if version == "v2":
        if isinstance(chunk, Mapping) and not chunk.get("ns"):
            return chunk.get("type"), chunk.get("data")
        return None
    several = not isinstance(mode, str)
    if subgraphs:
        if not isinstance(chunk, tuple) or not chunk or chunk[0]:
            return None
        chunk = chunk[1:] if several else chunk[1]
    if several:
        return (chunk[0], chunk[1]) if isinstance(chunk, tuple) and len(chunk) == 2 else None
    return mode, chunk


# --- content ------------------------------------------------------------------------------------------


def _state_messages(state: Any) -> Any:
    """The ``messages`` of a state (a mapping or an object), else None: no other state is ever read."""
    if isinstance(state, Mapping):
        return state.get("messages")
    if state is None or isinstance(state, (str, bytes, list, tuple)):
        return None
    messages = getattr(state, "messages", None)
    return messages if isinstance(messages, list) else None


def _messages(value: Any) -> list[Any]:
    """LangChain messages from what a state holds (messages, tuples, dicts, strings; one or a list)."""
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    from langchain_core.messages import BaseMessage, convert_to_messages

    if all(isinstance(item, BaseMessage) for item in value):
        return list(value)
    return list(convert_to_messages(value))


def _added(final: list[Any], inputs: list[Any]) -> list[Any]:
    """The messages a run added: those after the last input message in the final state."""
    if inputs:
        last = inputs[-1]
        for index in range(len(final) - 1, -1, -1):
            if _same(final[index], last):
                return final[index + 1 :]
    if final and getattr(final[-1], "type", None) == "ai":
        return final[-1:]
    return []


def _same(message: Any, other: Any) -> bool:
    if message is other:
        return True
    ident = getattr(other, "id", None)
    if ident is not None:
        return getattr(message, "id", None) == ident
    # a converted copy (the input was tuples, dicts or strings): the same kind and content
    return getattr(message, "type", None) == getattr(other, "type", None) and getattr(
        message, "content", None
    ) == getattr(other, "content", None)


def _role(message: Any) -> str:
    kind = getattr(message, "type", None)
    if kind == "chat":
        return str(getattr(message, "role", "user"))
    return _ROLES.get(str(kind), str(kind or "user"))


def _parts(message: Any) -> list[Part]:
    parts: list[Part] = []
    if getattr(message, "type", None) == "tool":
        parts.append(tool_call_response_part(getattr(message, "tool_call_id", None), message.content))
        return parts
    content = getattr(message, "content", None)
    if isinstance(content, str):
        if content:
            parts.append(text_part(content))
    elif isinstance(content, list):
        for block in content:
            parts.append(_block(block))
    for call in getattr(message, "tool_calls", None) or ():
        parts.append(tool_call_part(call.get("id"), call.get("name"), call.get("args")))
    return parts


def _block(block: Any) -> Part:
    if isinstance(block, str):
        return text_part(block)
    if isinstance(block, Mapping):
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            return text_part(block["text"])
        if kind in ("reasoning", "thinking"):
            text = block.get("reasoning") or block.get("thinking") or block.get("text")
            if isinstance(text, str):
                return reasoning_part(text)
        if kind == "image_url":
            url = block.get("image_url")
            url = url.get("url") if isinstance(url, Mapping) else url
            if isinstance(url, str) and not url.startswith("data:"):
                return uri_part(url, "image")
        return generic_part(str(kind or "unknown"))
    return generic_part("unknown")


def _input_message(message: Any) -> InputMessage:
    name = getattr(message, "name", None)
    return input_message(_role(message), _parts(message), name if isinstance(name, str) else None)


def _output_message(message: Any) -> OutputMessage:
    role = _role(message)
    if role == "assistant":
        metadata = getattr(message, "response_metadata", None) or {}
        reason = metadata.get("finish_reason") or metadata.get("stop_reason")
        if reason is None:
            reason = "tool_call" if getattr(message, "tool_calls", None) else "stop"
        finish = semconv_finish_reason(reason)
    else:
        finish = "stop"
    return output_message(_parts(message), finish, role)


def _tool_definition(tool: Any, details: bool) -> ToolDefinition:
    parameters = None
    if details:
        try:
            parameters = tool.tool_call_schema.model_json_schema()
        except Exception:
            parameters = None
    return tool_definition(
        sc.TOOL_TYPE_FUNCTION,
        str(getattr(tool, "name", "")),
        getattr(tool, "description", None),
        parameters,
        details=details,
    )
