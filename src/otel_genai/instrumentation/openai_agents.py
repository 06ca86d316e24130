"""The OpenAI Agents SDK (``openai-agents``): each agent of a run as an ``invoke_agent`` span, its function
tools as ``execute_tool`` spans, its guardrails as events; the model calls are the openai instrumentor's.

Two layers, because neither alone gives a correct parent chain:

- ``AgentRunner.run`` / ``run_streamed`` (``Runner.run_sync`` ends in ``run``) are wrapped: the run's
  first agent is a span we open and end around the call, so it sees the application's exception itself
  (``MaxTurnsExceeded``, ``InputGuardrailTripwireTriggered``: ``error.type`` is its class) and ends exactly
  once on every path, also when the SDK's own tracing is turned off. A streamed run's span ends when the
  SDK's run-loop task does (a done callback: cancellation and early ``break`` of ``stream_events`` too).
- What happens inside a run (handoffs, function tools, guardrails) is read from the SDK's tracing events,
  at ``SynchronousMultiTracingProcessor.on_span_start`` / ``on_span_end``: the dispatcher every SDK span
  reports to, whatever processors the application set (``set_trace_processors([])``, which turns the
  upload to OpenAI off, leaves ours on). That is correct for the OpenTelemetry context only because the
  SDK starts and finishes each agent and function span in one coroutine (agent spans in the run loop, a
  function span in a ``with`` around the tool's call), and the tasks it creates for model calls, tools
  and guardrails copy the context when they are created, inside those spans: our span is attached at the
  SDK span's start and detached at its end, in the same context, in order.

The SDK's agent spans are siblings (a handoff ends one agent and starts the next); ours nest: the agent
handed off to is a child of the one that handed off, whose span stays open (and current) until the run's
last agent ends. Function tools carry the model's call id (read where the SDK builds the tool's
``ToolContext``); a tool error the SDK turns into a message for the model is ``error.type = tool_error``.
Guardrails are ``otel_genai.guardrail`` events on the agent's span (name, whether it tripped).

The SDK's own traces (``ResponseSpanData`` / ``GenerationSpanData`` included) are never turned into spans of
ours: the model call's span is the openai client's. Their upload to OpenAI is left as the application
configured it; turning it off (``set_trace_processors([])``, or no ``OPENAI_API_KEY``) is the
application's choice. With the SDK's tracing disabled (``set_tracing_disabled``, ``RunConfig(
tracing_disabled=True)``) there are no SDK events: the run's span and its model calls remain.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import Instrumentor, Target, call_arguments
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import AgentInvocation, ToolExecution

logger = logging.getLogger("otel_genai")

# The run whose spans the SDK's tracing events belong to (set by the run wrappers; a run started inside a
# tool, ``Agent.as_tool``, has its own).
_RUN_KEY = otel_context.create_key("otel_genai.openai_agents.run")


@dataclass(slots=True)
class _Agent:
    """One agent of a run: its record, the context token to detach, whether it handed off."""

    record: AgentInvocation
    token: object | None = None
    handed_off: bool = False


@dataclass(slots=True)
class _Run:
    """What one ``Runner`` call has open."""

    root: _Agent
    adopted: bool = False  # the SDK's first agent span is the root we opened
    current: _Agent | None = None  # the agent whose SDK span is open
    agents: dict[str, _Agent] = field(default_factory=dict)  # by SDK span id
    kept: list[_Agent] = field(default_factory=list)  # nested agents that handed off (or failed), still open
    tools: dict[str, tuple[ToolExecution, object | None]] = field(default_factory=dict)
    done: bool = False


class _Runs:
    """The run wrappers and the tracing-event handlers, sharing one handler."""

    def __init__(self, handler: TelemetryHandler) -> None:
        self.handler = handler

    # --- the run ------------------------------------------------------------------------------------

    def _open(self, wrapped: Any, args: Any, kwargs: Any) -> tuple[_Run, object | None, object | None] | None:
        try:
            arguments = call_arguments(wrapped, args, kwargs)
            record = _agent_record(arguments.get("starting_agent"))
            record.conversation_id = _string(arguments.get("conversation_id"))
            token = self.handler.start(record)
            run = _Run(root=_Agent(record, token))
            run.current = run.root
            return run, token, otel_context.attach(otel_context.set_value(_RUN_KEY, run))
        except Exception:
            logger.debug("otel_genai: could not start an Agents SDK run's span", exc_info=True)
            return None

    def _close(self, run: _Run, error: BaseException | None, detach: bool) -> None:
        """End what the run still has open, innermost first, then its first agent; once."""
        if run.done:
            return
        run.done = True
        try:
            for tool, token in list(run.tools.values())[::-1]:
                self._end(tool, error)
                if detach:
                    self.handler.detach(token)
            run.tools.clear()
            while run.kept:
                agent = run.kept.pop()
                self._end(agent.record, error)
                if detach:
                    self.handler.detach(agent.token)
            self._end(run.root.record, error)
        except Exception:
            logger.debug("otel_genai: could not end an Agents SDK run's spans", exc_info=True)

    def _end(self, record: Any, error: BaseException | None) -> None:
        if error is None:
            self.handler.finish(record)
        else:
            self.handler.fail(record, error)

    async def run(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        opened = self._open(wrapped, args, kwargs)
        if opened is None:
            return await wrapped(*args, **kwargs)
        run, token, run_token = opened
        error: BaseException | None = None
        try:
            return await wrapped(*args, **kwargs)
        except BaseException as raised:
            error = raised
            raise
        finally:  # the agents still open were attached after ours: they end and detach first
            self._close(run, error, detach=True)
            self.handler.detach(run_token)
            self.handler.detach(token)

    def run_streamed(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        opened = self._open(wrapped, args, kwargs)
        if opened is None:
            return wrapped(*args, **kwargs)
        run, token, run_token = opened
        try:
            # the run-loop task created in here copies the context: our span and run are its parents
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            self._close(run, error, detach=False)
            raise
        finally:
            self.handler.detach(run_token)
            self.handler.detach(token)
        try:
            task = getattr(result, "run_loop_task", None)
            if isinstance(task, asyncio.Future):
                task.add_done_callback(lambda done: self._streamed_done(run, result, done))
            else:
                self._close(run, None, detach=False)
        except Exception:
            logger.debug("otel_genai: could not follow a streamed run", exc_info=True)
            self._close(run, None, detach=False)
        return result

    def _streamed_done(self, run: _Run, result: Any, task: asyncio.Future[Any]) -> None:
        """The run loop ended (its own context is gone: nothing to detach)."""
        error: BaseException | None
        if task.cancelled():
            error = asyncio.CancelledError()
        else:
            error = task.exception() or getattr(result, "_stored_exception", None)
        self._close(run, error, detach=False)

    # --- the SDK's tracing events -------------------------------------------------------------------

    def span_started(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        try:
            run = otel_context.get_value(_RUN_KEY)
            if isinstance(run, _Run) and not run.done and args:
                self._started(run, args[0])
        except Exception:
            logger.debug("otel_genai: could not read an Agents SDK span's start", exc_info=True)
        return result

    def span_ended(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        try:
            run = otel_context.get_value(_RUN_KEY)
            if isinstance(run, _Run) and not run.done and args:
                self._ended(run, args[0])
        except Exception:
            logger.debug("otel_genai: could not read an Agents SDK span's end", exc_info=True)
        return result

    def _started(self, run: _Run, span: Any) -> None:
        data = span.span_data
        kind = data.type
        if kind == "agent":
            if not run.adopted and data.name == run.root.record.agent_name:
                run.adopted = True
                agent = run.root
            else:  # handed off to: a child of the agent that handed off (its context is still attached)
                record = AgentInvocation(
                    operation=sc.OPERATION_INVOKE_AGENT, provider=None, agent_name=_string(data.name)
                )
                agent = _Agent(record, self.handler.start(record))
            run.agents[span.span_id] = agent
            run.current = agent
        elif kind == "function":
            tool = ToolExecution(
                operation=sc.OPERATION_EXECUTE_TOOL,
                provider=None,
                tool_name=_string(data.name),
                tool_type="function",
            )
            run.tools[span.span_id] = (tool, self.handler.start(tool))
        elif kind == "handoff" and run.current is not None:
            run.current.handed_off = True

    def _ended(self, run: _Run, span: Any) -> None:
        data = span.span_data
        kind = data.type
        if kind == "agent":
            agent = run.agents.pop(span.span_id, None)
            if agent is None or agent is run.root:
                return  # the run's first agent ends with the run
            if agent.handed_off or span.error is not None:
                # stays open and current: the next agent nests under it; a failure's exception, when it
                # propagates, reaches the run wrapper, which ends it with its type
                run.kept.append(agent)
                return
            self.handler.finish(agent.record)
            self.handler.detach(agent.token)
            while run.kept:  # the agents that handed off down to this one end with it
                outer = run.kept.pop()
                self.handler.finish(outer.record)
                self.handler.detach(outer.token)
        elif kind == "function":
            entry = run.tools.pop(span.span_id, None)
            if entry is None:
                return
            tool, token = entry
            if self.handler.wants_content(tool):
                tool.arguments = getattr(data, "input", None)
                tool.result = getattr(data, "output", None)
            if span.error is not None:
                tool.error_type = "tool_error"  # the SDK told the model (or raised UserError) instead
            self.handler.finish(tool)
            self.handler.detach(token)
        elif kind == "guardrail":
            agent = run.current
            target = agent.record.span if agent is not None else None
            if target is not None and target.is_recording():
                target.add_event(
                    sc.OTEL_GENAI_GUARDRAIL_EVENT,
                    {
                        sc.OTEL_GENAI_GUARDRAIL_NAME: str(data.name),
                        sc.OTEL_GENAI_GUARDRAIL_TRIGGERED: bool(data.triggered),
                    },
                )

    # --- the model's call id ------------------------------------------------------------------------

    def tool_context(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        """The SDK builds a tool's ``ToolContext`` right inside its function span: the call id is ours."""
        result = wrapped(*args, **kwargs)
        try:
            tool = self.handler.active_tool(getattr(instance, "tool_name", None))
            if tool is not None and tool.call_id is None:
                tool.call_id = _string(getattr(instance, "tool_call_id", None))
        except Exception:
            logger.debug("otel_genai: could not read a tool call's id", exc_info=True)
        return result


def _agent_record(agent: Any) -> AgentInvocation:
    description = getattr(agent, "handoff_description", None)
    model = getattr(agent, "model", None)
    return AgentInvocation(
        operation=sc.OPERATION_INVOKE_AGENT,
        provider=None,
        request_model=model if isinstance(model, str) else None,
        agent_name=_string(getattr(agent, "name", None)),
        description=description if isinstance(description, str) else None,
    )


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dispatcher_module() -> str | None:
    """Where the SDK's span dispatcher is defined (``tracing.provider`` now, ``tracing.setup`` before)."""
    for name in ("agents.tracing.provider", "agents.tracing.setup"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        cls = getattr(module, "SynchronousMultiTracingProcessor", None)
        if cls is not None and cls.__module__ == name:
            return name
    return None


class OpenAIAgentsInstrumentor(Instrumentor):
    """``Runner.run`` / ``run_sync`` / ``run_streamed`` and what they run, as agent and tool spans."""

    name = "openai_agents"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        runs = _Runs(handler)
        targets: list[Target] = [
            ("agents.run", "AgentRunner", "run", runs.run),
            ("agents.run", "AgentRunner", "run_streamed", runs.run_streamed),
            ("agents.tool_context", "ToolContext", "__init__", runs.tool_context),
        ]
        dispatcher = _dispatcher_module()
        if dispatcher is not None:
            targets.append(
                (dispatcher, "SynchronousMultiTracingProcessor", "on_span_start", runs.span_started)
            )
            targets.append((dispatcher, "SynchronousMultiTracingProcessor", "on_span_end", runs.span_ended))
        return targets
