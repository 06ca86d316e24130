"""``otel_genai.agent(...)`` and ``otel_genai.workflow(...)``: an application's own agents and workflows.

For an agent loop written without a framework: ``with otel_genai.agent("support-bot") as run:`` (or
``@otel_genai.agent(...)`` on a function, sync or async) opens an ``invoke_agent support-bot`` span, and
every model, retrieval and tool call inside becomes its descendant; the agent's span sums its model calls'
usage. ``otel_genai.workflow(name)`` does the same for a pipeline of several steps or agents
(``invoke_workflow {name}``). With content capture, the agent's input and output (a decorated function's
arguments and return value, or ``run.input(...)`` / ``run.output(...)``) go on its span, redacted like the
rest.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_genai import _setup
from otel_genai import semconv as sc
from otel_genai.telemetry.content import InputMessage, input_message, output_message, text_part
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import AgentInvocation, WorkflowInvocation

logger = logging.getLogger("otel_genai")
F = TypeVar("F", bound=Callable[..., Any])

# The runs entered in this context, innermost last (a context variable, so one block object used by
# several threads or tasks ends each run in the context that opened it).
_OPEN: contextvars.ContextVar[tuple[tuple[int, Run, object], ...]] = contextvars.ContextVar(
    "otel_genai.agents.open", default=()
)


_UNTRACED = object()  # the token of a run entered under suppress_instrumentation()


class Run:
    """The open agent or workflow, as ``with otel_genai.agent(...) as run`` gives it."""

    def __init__(self, record: AgentInvocation | WorkflowInvocation, handler: TelemetryHandler) -> None:
        self.record = record
        self._handler = handler

    def input(self, content: Any) -> None:
        """What the agent was asked (text, or chat messages as ``{"role", "content"}`` dicts): recorded
        only when content is captured."""
        if self._handler.capture_content:
            self.record.input_messages = _input_messages(content)

    def output(self, content: Any) -> None:
        """What the agent answered: recorded only when content is captured."""
        if self._handler.capture_content:
            self.record.output_messages = [output_message([text_part(_text(content))], "stop")]

    def instructions(self, text: str) -> None:
        """The agent's system instructions (an agent only): recorded only when content is captured."""
        if self._handler.capture_content and isinstance(self.record, AgentInvocation):
            self.record.system_instructions = [text_part(text)]


class _InvocationBlock:
    """A ``with`` block (sync or async) and a decorator opening one agent or workflow span per entry."""

    def __init__(self, make: Callable[[str | None], AgentInvocation | WorkflowInvocation], name: str | None):
        self._make = make
        self._name = name

    def _enter(self, default_name: str | None = None) -> Run:
        handler = _setup.active_handler()
        record = self._make(self._name or default_name)
        run = Run(record, handler)
        # OpenTelemetry's suppress_instrumentation(): no span (the run still works, untraced)
        token = handler.start(record) if is_instrumentation_enabled() else _UNTRACED
        _OPEN.set((*_OPEN.get(), (id(self), run, token)))
        return run

    def _exit(self, error: BaseException | None) -> None:
        entries = _OPEN.get()
        for index in range(len(entries) - 1, -1, -1):
            owner, run, token = entries[index]
            if owner == id(self):
                _OPEN.set(entries[:index] + entries[index + 1 :])
                if token is _UNTRACED:
                    return
                handler = run._handler
                if error is None:
                    handler.finish(run.record)
                else:
                    handler.fail(run.record, error)
                handler.detach(token)
                return

    def __enter__(self) -> Run:
        return self._enter()

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        self._exit(error)

    async def __aenter__(self) -> Run:
        return self._enter()

    async def __aexit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        self._exit(error)

    def __call__(self, function: F) -> F:
        """As a decorator: one run per call, named after the function unless named; with content capture,
        its arguments are the run's input and its return value the output."""
        name = getattr(function, "__name__", None)
        try:
            signature: inspect.Signature | None = inspect.signature(function)
        except (TypeError, ValueError):
            signature = None

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                run = self._enter(name)
                try:
                    _record_arguments(run, signature, args, kwargs)
                    result = await function(*args, **kwargs)
                    _record_result(run, result)
                except BaseException as error:
                    self._exit(error)
                    raise
                self._exit(None)
                return result

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run_sync(*args: Any, **kwargs: Any) -> Any:
            run = self._enter(name)
            try:
                _record_arguments(run, signature, args, kwargs)
                result = function(*args, **kwargs)
                _record_result(run, result)
            except BaseException as error:
                self._exit(error)
                raise
            self._exit(None)
            return result

        return run_sync  # type: ignore[return-value]


def agent(
    name: str | Callable[..., Any] | None = None,
    *,
    description: str | None = None,
    id: str | None = None,
    version: str | None = None,
    conversation_id: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    server_address: str | None = None,
    server_port: int | None = None,
) -> Any:
    """An ``invoke_agent {name}`` span around an agent's run: ``with otel_genai.agent("support-bot") as
    run:`` or ``@otel_genai.agent(...)``. INTERNAL for an agent run in this process; a remote agent (give
    ``server_address``) is a CLIENT span with ``server.*``. ``model`` is the agent's request model (else the
    first model it calls); its usage is the sum of the model calls made inside it."""

    def make(run_name: str | None) -> AgentInvocation:
        return AgentInvocation(
            operation=sc.OPERATION_INVOKE_AGENT,
            provider=provider,
            request_model=model,
            server_address=server_address,
            server_port=server_port,
            agent_name=run_name,
            agent_id=id,
            description=description,
            version=version,
            conversation_id=conversation_id,
            remote=server_address is not None,
        )

    return _block(make, name)


def workflow(name: str | Callable[..., Any] | None = None, *, conversation_id: str | None = None) -> Any:
    """An ``invoke_workflow {name}`` span around a pipeline of steps or agents: ``with
    otel_genai.workflow("triage"):`` or ``@otel_genai.workflow(...)``."""

    def make(run_name: str | None) -> WorkflowInvocation:
        return WorkflowInvocation(
            operation=sc.OPERATION_INVOKE_WORKFLOW,
            provider=None,
            workflow_name=run_name,
            conversation_id=conversation_id,
        )

    return _block(make, name)


def _block(make: Callable[[str | None], AgentInvocation | WorkflowInvocation], name: Any) -> Any:
    """A block named ``name``; used bare as a decorator (``@otel_genai.agent``), the decorated function."""
    if callable(name):
        return _InvocationBlock(make, None)(name)
    return _InvocationBlock(make, name)


# --- content -------------------------------------------------------------------------------------------


def _record_arguments(
    run: Run, signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """A decorated function's arguments as the run's input: its one text argument (the question), else its
    plain-data arguments as JSON (clients, indexes and other objects left out)."""
    if not run._handler.capture_content:
        return
    try:
        arguments: dict[str, Any] = dict(kwargs)
        if signature is not None:
            arguments = dict(signature.bind_partial(*args, **kwargs).arguments)
        plain = {name: value for name, value in arguments.items() if _is_plain(value)}
        texts = [value for value in plain.values() if isinstance(value, str)]
        if len(texts) == 1:
            run.input(texts[0])
        elif plain:
            run.input(plain)
    except Exception:
        logger.debug("otel_genai: could not record an agent's input", exc_info=True)


def _record_result(run: Run, result: Any) -> None:
    if not run._handler.capture_content:
        return
    try:
        run.output(result)
    except Exception:
        logger.debug("otel_genai: could not record an agent's output", exc_info=True)


def _is_plain(value: Any, depth: int = 0) -> bool:
    """JSON data (not a client, a connection or another object whose repr says nothing)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if depth > 4:
        return False
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item, depth + 1) for item in value)
    return False


def _input_messages(content: Any) -> list[InputMessage]:
    """Text, or ``{"role", "content"}`` messages (OpenAI-style), as semconv input messages."""
    if (
        isinstance(content, Sequence)
        and not isinstance(content, str)
        and all(isinstance(m, Mapping) and "role" in m for m in content)
    ):
        return [input_message(str(m["role"]), [text_part(_text(m.get("content")))]) for m in content]
    return [input_message("user", [text_part(_text(content))])]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)
