"""Stream proxies: the application keeps the SDK's own stream object, and the span ends exactly once.

A proxy wraps the SDK stream with ``wrapt.ObjectProxy`` (so ``isinstance``, ``.response`` and every helper
keep working) and reports each chunk to a ``StreamAccumulator``. The span ends when the stream is
exhausted, closed, fails, or is abandoned and garbage collected, whichever comes first.
Per-chunk work is kept to reading a few fields; everything else happens once, at the end.
"""

from __future__ import annotations

import logging
import timeit
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import wrapt
from opentelemetry import trace

from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.records import Inference

logger = logging.getLogger("otel_genai")
_clock = timeit.default_timer

if TYPE_CHECKING:  # wrapt 2 types ObjectProxy as a generic; wrapt 1.x (still supported) cannot subscript it
    _ObjectProxy = wrapt.ObjectProxy[Any]
else:
    _ObjectProxy = wrapt.ObjectProxy


class StreamAccumulator:
    """Collects what a stream teaches us; a provider subclasses ``on_chunk`` and ``on_end``."""

    __slots__ = ("_intervals", "_last", "done", "handler", "record")

    def __init__(self, handler: TelemetryHandler, record: Inference) -> None:
        self.handler = handler
        self.record = record
        self.done = False
        self._last: float | None = None
        # Chunk intervals only feed the time_per_output_chunk metric.
        self._intervals: list[float] | None = [] if handler.chunk_timing else None

    def observe(self, chunk: Any) -> None:
        """One chunk arrived: note when (the first one always, later ones for the chunk metric), read it."""
        last = self._last
        if last is None:
            now = self._last = _clock()
            self.record.time_to_first_chunk = now - self.record.start_time
            self.record.chunk_intervals = self._intervals
        elif self._intervals is not None:  # without the metric, no clock after the first chunk
            now = _clock()
            self._intervals.append(now - last)
            self._last = now
        try:
            self.on_chunk(chunk)
        except Exception:
            logger.debug("otel_genai: could not read a stream chunk", exc_info=True)

    def observing(self, stream: Iterable[Any], proxy: object) -> Iterator[Any]:
        """``stream``'s chunks, each observed, and the span ended however the iteration ends: a proxy's
        ``__iter__``. ``proxy`` is held by the generator so that an application keeping only the iterator
        (``for chunk in client...create(stream=True)``) does not have the proxy collected, and the span
        ended, mid-stream."""
        observe = self.observe
        try:
            for chunk in stream:
                observe(chunk)
                yield chunk
        except GeneratorExit:
            self.finish()
            raise
        except BaseException as error:
            self.fail(error)
            raise
        self.finish()

    async def observing_async(self, stream: AsyncIterable[Any], proxy: object) -> AsyncIterator[Any]:
        """``observing`` for ``async for``."""
        observe = self.observe
        try:
            async for chunk in stream:
                observe(chunk)
                yield chunk
        except GeneratorExit:
            self.finish()
            raise
        except BaseException as error:
            self.fail(error)
            raise
        self.finish()

    def on_chunk(self, chunk: Any) -> None:
        """Read one chunk (subclass)."""

    def on_end(self) -> None:
        """Turn what was collected into record fields (subclass)."""

    def on_error(self, error: BaseException) -> None:
        """What the stream's exception teaches before the span fails (a provider's error code); runs once,
        before ``on_end``, and its own failure is logged, never raised (subclass)."""

    def finish(self) -> None:
        self._end(None)

    def fail(self, error: BaseException) -> None:
        self._end(error)

    def _end(self, error: BaseException | None) -> None:
        if self.done:
            return
        self.done = True
        if error is not None:
            try:
                self.on_error(error)
            except Exception:
                logger.debug("otel_genai: could not read the stream's error", exc_info=True)
        try:
            self.on_end()
        except Exception:
            logger.debug("otel_genai: could not summarise a stream", exc_info=True)
        if error is None:
            self.handler.finish(self.record)
        else:
            self.handler.fail(self.record, error)

    def abandoned(self) -> None:
        """The proxy is being collected: a stream nobody finished ends here."""
        if not self.done:
            self.finish()


class SyncStreamProxy(_ObjectProxy):
    """Wraps a synchronous SDK stream (``openai.Stream`` and the like)."""

    def __init__(self, stream: Any, accumulator: StreamAccumulator) -> None:
        super().__init__(stream)
        self._self_accumulator = accumulator

    def __iter__(self) -> Iterator[Any]:
        return self._self_accumulator.observing(self.__wrapped__, self)

    def __next__(self) -> Any:
        try:
            chunk = self.__wrapped__.__next__()
        except StopIteration:
            self._self_accumulator.finish()
            raise
        except BaseException as error:
            self._self_accumulator.fail(error)
            raise
        self._self_accumulator.observe(chunk)
        return chunk

    def __enter__(self) -> SyncStreamProxy:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_accumulator.finish()

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_accumulator.finish()

    @property
    def response(self) -> Any:
        # The SDK's stream helpers (``responses.stream()``, ``chat.completions.stream()``) keep the raw
        # stream's HTTP response and close that, not the stream: closing it must end the span too.
        return _closing_response(self.__wrapped__.response, self._self_accumulator)

    def __del__(self) -> None:
        accumulator = getattr(self, "_self_accumulator", None)
        if accumulator is not None:
            accumulator.abandoned()


class AsyncStreamMethods:
    """``async for``, ``anext()`` and ``async with`` over ``__wrapped__``, observed by ``_self_accumulator``:
    ``AsyncStreamProxy``'s, and a proxy's of a stream that is both sync and async (LiteLLM's)."""

    __slots__ = ()
    __wrapped__: Any
    _self_accumulator: StreamAccumulator

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._self_accumulator.observing_async(self.__wrapped__, self)

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_accumulator.finish()
            raise
        except BaseException as error:
            self._self_accumulator.fail(error)
            raise
        self._self_accumulator.observe(chunk)
        return chunk

    async def __aenter__(self) -> Any:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_accumulator.finish()


class AsyncStreamProxy(AsyncStreamMethods, _ObjectProxy):
    """Wraps an asynchronous SDK stream (``openai.AsyncStream`` and the like)."""

    def __init__(self, stream: Any, accumulator: StreamAccumulator) -> None:
        super().__init__(stream)
        self._self_accumulator = accumulator

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_accumulator.finish()

    @property
    def response(self) -> Any:
        return _closing_response(self.__wrapped__.response, self._self_accumulator)

    def __del__(self) -> None:
        accumulator = getattr(self, "_self_accumulator", None)
        if accumulator is not None:
            accumulator.abandoned()


class AsyncGeneratorProxy(AsyncStreamProxy):
    """Wraps an SDK's async generator of chunks (Ollama's, Cohere's): its ``aclose()`` ends the span too.
    (Not on ``AsyncStreamProxy``: a stream class without ``aclose`` must not seem to have one.)"""

    async def aclose(self) -> None:
        try:
            await self.__wrapped__.aclose()
        finally:
            self._self_accumulator.finish()


def _closing_response(response: Any, accumulator: StreamAccumulator) -> Any:
    return response if response is None else _ClosingResponse(response, accumulator)


class _ClosingResponse(_ObjectProxy):
    """A stream's HTTP response whose ``close()`` / ``aclose()`` also ends the stream's span."""

    def __init__(self, response: Any, accumulator: StreamAccumulator) -> None:
        super().__init__(response)
        self._self_accumulator = accumulator

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_accumulator.finish()

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_accumulator.finish()


def span_context(record: Inference) -> Any:
    """The context with the call's span current (None once the span ended): where a stream whose request
    goes out only at its first step (Ollama's generators, Cohere's raw stream manager) sends it, so the
    HTTP client's span nests under ours."""
    span = record.span
    return trace.set_span_in_context(span) if span is not None else None
