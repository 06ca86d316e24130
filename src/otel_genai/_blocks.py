"""What our ``with``-and-decorator blocks share: ``otel_genai.prompt / feature / attributes`` (an LLMOps
scope) and ``otel_genai.agent / workflow`` (a span).

- ``Entries``: the entries a block has open in this context. They live in a context variable, not on the
  block, so one block object shared by threads or tasks (a module-level ``PROMPT = otel_genai.prompt(...)``)
  ends each entry in the context that made it.
- ``stepped`` / ``async_stepped``: a generator's body runs in the block at each step (and as it is
  closed); its consumer, between steps, does not (holding a context across a ``yield`` would leak it into
  the consumer and detach it in the wrong order). Our decorated generators, and LangGraph's streams.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Protocol

MISSING = object()


class Entries:
    """Per-context stacks of ``(owner, entry)``: ``push`` on entering a block, ``pop`` on leaving it."""

    def __init__(self, name: str) -> None:
        self._open: contextvars.ContextVar[tuple[tuple[int, Any], ...]] = contextvars.ContextVar(
            name, default=()
        )

    def push(self, owner: object, entry: Any) -> None:
        self._open.set((*self._open.get(), (id(owner), entry)))

    def pop(self, owner: object) -> Any:
        """The owner's innermost entry in this context, removed; ``MISSING`` when it has none here."""
        entries = self._open.get()
        key = id(owner)
        for index in range(len(entries) - 1, -1, -1):
            if entries[index][0] == key:
                self._open.set(entries[:index] + entries[index + 1 :])
                return entries[index][1]
        return MISSING


class Steps(Protocol):
    """What a block does around a generator's steps."""

    def enter(self) -> object:
        """Before a step: make the block current; returns the token ``leave`` gets."""

    def leave(self, token: object) -> None:
        """After a step."""

    def item(self, item: Any) -> None:
        """A value the generator yielded."""

    def end(self, error: BaseException | None, value: Any) -> None:
        """Once: the generator returned ``value``, raised ``error``, or was closed (neither)."""


def stepped(generator: Generator[Any, Any, Any], steps: Steps) -> Generator[Any, Any, Any]:
    """``generator``, each of its steps run inside ``steps``."""
    step: Callable[[Any], Any] = generator.send
    argument: Any = None
    while True:
        token = steps.enter()
        try:
            item = step(argument)
        except StopIteration as stop:
            steps.leave(token)
            steps.end(None, stop.value)
            return stop.value
        except BaseException as error:
            steps.leave(token)
            steps.end(error, None)
            raise
        steps.leave(token)
        steps.item(item)
        try:
            argument = yield item
            step = generator.send
        except GeneratorExit:  # closed (or collected) before its end: ended, not failed
            token = steps.enter()  # its clean-up runs inside the block too
            try:
                generator.close()
            finally:
                steps.leave(token)
                steps.end(None, None)
            raise
        except BaseException as error:  # thrown in by the consumer: into the generator, inside the block
            step, argument = generator.throw, error


async def async_stepped(generator: AsyncGenerator[Any, Any], steps: Steps) -> AsyncGenerator[Any, Any]:
    """The async twin of ``stepped``."""
    step: Callable[[Any], Any] = generator.asend
    argument: Any = None
    while True:
        token = steps.enter()
        try:
            item = await step(argument)
        except StopAsyncIteration:
            steps.leave(token)
            steps.end(None, None)
            return
        except BaseException as error:
            steps.leave(token)
            steps.end(error, None)
            raise
        steps.leave(token)
        steps.item(item)
        try:
            argument = yield item
            step = generator.asend
        except GeneratorExit:
            token = steps.enter()
            try:
                await generator.aclose()
            finally:
                steps.leave(token)
                steps.end(None, None)
            raise
        except BaseException as error:
            step, argument = generator.athrow, error


def decorated_generator(
    function: Callable[..., Any], steps: Callable[[tuple[Any, ...], dict[str, Any]], Steps]
) -> Any:
    """For a generator or async-generator ``function``: its decorated form, whose every call runs in the
    ``steps`` made for that call's arguments; None for any other function."""
    if inspect.isasyncgenfunction(function):

        @functools.wraps(function)
        def run_async_generator(*args: Any, **kwargs: Any) -> Any:
            return async_stepped(function(*args, **kwargs), steps(args, kwargs))

        return run_async_generator
    if inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def run_generator(*args: Any, **kwargs: Any) -> Any:
            return stepped(function(*args, **kwargs), steps(args, kwargs))

        return run_generator
    return None
