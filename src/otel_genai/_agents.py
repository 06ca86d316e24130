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

import contextlib
import functools
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_genai import _setup
from otel_genai import semconv as sc
from otel_genai._blocks import MISSING, Entries, decorated_generator
from otel_genai.telemetry.content import InputMessage, input_message, output_message, text_part, to_json
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import AgentInvocation, WorkflowInvocation

logger = logging.getLogger("otel_genai")
F = TypeVar("F", bound=Callable[..., Any])

# The runs entered in this context (``_blocks.Entries``: per context, not per block): (run, token)
_OPEN = Entries("otel_genai.agents.open")


_UNTRACED = object()  # the token of a run entered under suppress_instrumentation()


class Run:
    """The open agent or workflow, as ``with otel_genai.agent(...) as run`` gives it."""

    def __init__(self, record: AgentInvocation | WorkflowInvocation, handler: TelemetryHandler) -> None:
        self.record = record
        self._handler = handler
        self.traced = False  # a span is open for it (not under suppress_instrumentation(); not ended yet)
        # agent and workflow content goes on their spans only (no event describes them)
        self._content = handler.capture_mode.on_span

    def input(self, content: Any) -> None:
        """What the agent was asked (text, or chat messages as ``{"role", "content"}`` dicts): recorded
        only when content is captured."""
        if self._content:
            self.record.input_messages = _input_messages(content)

    def output(self, content: Any) -> None:
        """What the agent answered: recorded only when content is captured."""
        if self._content and content is not None:
            self.record.output_messages = [output_message([text_part(_text(content))], "stop")]

    def instructions(self, text: str) -> None:
        """The agent's system instructions (an agent only): recorded only when content is captured."""
        if self._content and isinstance(self.record, AgentInvocation):
            self.record.system_instructions = [text_part(text)]


class _InvocationBlock:
    """A ``with`` block (sync or async) and a decorator (functions, coroutines, generators and async
    generators) opening one agent or workflow span per entry."""

    def __init__(self, make: Callable[[str | None], AgentInvocation | WorkflowInvocation], name: str | None):
        self._make = make
        self._name = name
        # the runs opened by ``with`` and not ended yet: the fallback when one ends in another context
        self._open: list[Run] = []

    def _start(self, default_name: str | None = None) -> tuple[Run, object]:
        handler = _setup.active_handler()
        record = self._make(self._name or default_name)
        run = Run(record, handler)
        # OpenTelemetry's suppress_instrumentation(): no span (the run still works, untraced)
        token = handler.start(record) if is_instrumentation_enabled() else _UNTRACED
        run.traced = token is not _UNTRACED
        return run, token

    @staticmethod
    def _finish(run: Run, error: BaseException | None) -> None:
        if not run.traced:
            return
        run.traced = False  # once
        if error is None:
            run._handler.finish(run.record)
        else:
            run._handler.fail(run.record, error)

    def _enter(self) -> Run:
        run, token = self._start()
        _OPEN.push(self, (run, token))
        self._open.append(run)
        return run

    def _exit(self, error: BaseException | None) -> None:
        entry = _OPEN.pop(self)
        if entry is not MISSING:
            run, token = entry
            self._forget(run)
            self._finish(run, error)
            if token is not _UNTRACED:
                run._handler.detach(token)
        elif self._open:
            # left in another context than it was entered in (a generator stepped in copied contexts, an
            # exit stack closed by another task): end the newest open run here; its context is not ours
            logger.debug("otel_genai: an agent or workflow block ended in another context than it began")
            self._finish(self._open.pop(), error)

    def _forget(self, run: Run) -> None:
        with contextlib.suppress(ValueError):
            self._open.remove(run)

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
        its arguments are the run's input and its return value (a generator: the text it yielded) the
        output. A generator's run lasts from its first step to its end or ``close()``; each step runs in
        the run's span (its consumer, between steps, does not)."""
        name = getattr(function, "__name__", None)
        try:
            signature: inspect.Signature | None = inspect.signature(function)
        except (TypeError, ValueError):
            signature = None
        call = _Call(self, name, signature)
        generator = decorated_generator(function, lambda args, kwargs: _AgentSteps(call, args, kwargs))
        if generator is not None:
            return generator
        if inspect.iscoroutinefunction(function):
            return functools.wraps(function)(functools.partial(call.coroutine, function))  # type: ignore[return-value]
        return functools.wraps(function)(functools.partial(call.function, function))  # type: ignore[return-value]


class _Call:
    """How a decorated function runs in its block: one run per call."""

    def __init__(self, block: _InvocationBlock, name: str | None, signature: inspect.Signature | None):
        self.block = block
        self.name = name
        self.signature = signature

    def _begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Run, object]:
        run, token = self.block._start(self.name)
        _record_arguments(run, self.signature, args, kwargs)
        return run, token

    def _end(self, run: Run, token: object, error: BaseException | None, result: Any = None) -> None:
        if error is None:
            _record_result(run, result)
        self.block._finish(run, error)
        if token is not _UNTRACED:
            run._handler.detach(token)

    def function(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        run, token = self._begin(args, kwargs)
        try:
            result = function(*args, **kwargs)
        except BaseException as error:
            self._end(run, token, error)
            raise
        self._end(run, token, None, result)
        return result

    async def coroutine(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        run, token = self._begin(args, kwargs)
        try:
            result = await function(*args, **kwargs)
        except BaseException as error:
            self._end(run, token, error)
            raise
        self._end(run, token, None, result)
        return result


class _AgentSteps:
    """A decorated generator's run: started at its first step, each step in the run's span; it ends with
    the generator (its output: the text it yielded, or what it returned)."""

    def __init__(self, call: _Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.call = call
        self.args = args
        self.kwargs = kwargs
        self.run: Run | None = None
        self.context: Any = None
        self.texts: list[str] = []

    def enter(self) -> object:
        if self.run is None:
            self.run, token = self.call._begin(self.args, self.kwargs)
            self.context = otel_context.get_current()  # re-attached around each step
            if token is not _UNTRACED:
                self.run._handler.detach(token)
        return otel_context.attach(self.context)

    def leave(self, token: Any) -> None:
        otel_context.detach(token)

    def item(self, item: Any) -> None:
        if isinstance(item, str):
            self.texts.append(item)

    def end(self, error: BaseException | None, value: Any) -> None:
        if self.run is None:
            return
        if error is None:
            _record_result(self.run, "".join(self.texts) if self.texts else value)
        self.call.block._finish(self.run, error)


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
    if not run._content:
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
    if not run._content:
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
        return to_json(value)
    except (TypeError, ValueError):  # a cycle
        return str(value)
