"""``otel_genai.telemetry.streams``: the proxies end the record exactly once, however the stream ends."""

from __future__ import annotations

import asyncio
import gc
import timeit
from typing import Any

import pytest

from otel_genai.telemetry import streams
from otel_genai.telemetry.records import Inference
from otel_genai.telemetry.streams import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy

CHUNKS = ["a", "b", "c"]


class FakeHandler:
    """Stands in for ``TelemetryHandler``: remembers what was finished and failed."""

    chunk_timing = True

    def __init__(self) -> None:
        self.finished: list[Any] = []
        self.failed: list[tuple[Any, BaseException]] = []

    def finish(self, record: Any) -> None:
        self.finished.append(record)

    def fail(self, record: Any, error: BaseException) -> None:
        self.failed.append((record, error))

    @property
    def ends(self) -> int:
        return len(self.finished) + len(self.failed)


class Recorder(StreamAccumulator):
    __slots__ = ("chunks", "summaries")

    def __init__(self, handler: Any, record: Inference) -> None:
        super().__init__(handler, record)
        self.chunks: list[Any] = []
        self.summaries = 0

    def on_chunk(self, chunk: Any) -> None:
        self.chunks.append(chunk)

    def on_end(self) -> None:
        self.summaries += 1


class Broken(Recorder):
    """An accumulator whose reading fails on every chunk and at the end."""

    __slots__ = ()

    def on_chunk(self, chunk: Any) -> None:
        raise ValueError("cannot read this chunk")

    def on_end(self) -> None:
        raise ValueError("cannot summarise")


class Interrupted(BaseException):
    """Not an ``Exception``: what a reader must never swallow (like ``KeyboardInterrupt``)."""


class InterruptedAtB(Recorder):
    """An accumulator whose reading of the second chunk is interrupted."""

    __slots__ = ()

    def on_chunk(self, chunk: Any) -> None:
        super().on_chunk(chunk)
        if chunk == "b":
            raise Interrupted


class FakeResponse:
    """The HTTP response an SDK stream reads from."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


class _FakeStreamState:
    """What both fake streams record: their chunks, where to fail, and how they were closed."""

    def __init__(
        self, chunks: list[Any], error_at: int | None = None, error: BaseException | None = None
    ) -> None:
        self._chunks = list(chunks)
        self._index = 0
        self._error_at = error_at
        self._error = error
        self.response = FakeResponse()
        self.closed = 0
        self.entered = 0
        self.exited: list[Any] = []


class FakeStream(_FakeStreamState):
    """A minimal SDK-like synchronous stream."""

    def __iter__(self) -> FakeStream:
        return self

    def __next__(self) -> Any:
        if self._index == self._error_at:
            raise self._error  # type: ignore[misc]
        if self._index >= len(self._chunks):
            raise StopIteration
        self._index += 1
        return self._chunks[self._index - 1]

    def close(self) -> None:
        self.closed += 1

    def __enter__(self) -> FakeStream:
        self.entered += 1
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.exited.append(exc_type)
        self.close()

    def helper(self) -> str:
        return f"helper of {len(self._chunks)}"


class CountingStream(FakeStream):
    """Counts how often it is asked for a chunk."""

    def __init__(self, chunks: list[Any]) -> None:
        super().__init__(chunks)
        self.asked = 0

    def __next__(self) -> Any:
        self.asked += 1
        return super().__next__()


class AsyncFakeStream(_FakeStreamState):
    """A minimal SDK-like asynchronous stream."""

    def __aiter__(self) -> AsyncFakeStream:
        return self

    async def __anext__(self) -> Any:
        await asyncio.sleep(0)
        if self._index == self._error_at:
            raise self._error  # type: ignore[misc]
        if self._index >= len(self._chunks):
            raise StopAsyncIteration
        self._index += 1
        return self._chunks[self._index - 1]

    async def close(self) -> None:
        self.closed += 1

    async def __aenter__(self) -> AsyncFakeStream:
        self.entered += 1
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.exited.append(exc_type)
        await self.close()


def _record() -> Inference:
    record = Inference(operation="chat", provider="openai", request_model="m", stream=True)
    record.start_time = timeit.default_timer()
    return record


def _accumulator(accumulator_class: type[Recorder], chunk_timing: bool) -> Recorder:
    handler = FakeHandler()
    handler.chunk_timing = chunk_timing
    return accumulator_class(handler, _record())


def sync_proxy(
    stream: FakeStream, accumulator_class: type[Recorder] = Recorder, chunk_timing: bool = True
) -> tuple[Any, Any, Any]:
    accumulator = _accumulator(accumulator_class, chunk_timing)
    return SyncStreamProxy(stream, accumulator), accumulator, accumulator.handler


def async_proxy(
    stream: AsyncFakeStream, accumulator_class: type[Recorder] = Recorder, chunk_timing: bool = True
) -> tuple[Any, Any, Any]:
    accumulator = _accumulator(accumulator_class, chunk_timing)
    return AsyncStreamProxy(stream, accumulator), accumulator, accumulator.handler


@pytest.fixture
def ticks(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The streams' clock made to read 1, 2, 4, 8, ... seconds (and the readings kept): which moments a time
    to first chunk or an interval spans is then exact."""
    readings: list[float] = []

    def clock() -> float:
        readings.append(float(2 ** len(readings)))
        return readings[-1]

    monkeypatch.setattr(streams, "_clock", clock)
    return readings


# --- synchronous --------------------------------------------------------------------------------


def test_sync_proxy_is_still_the_sdk_stream() -> None:
    stream = FakeStream(CHUNKS)
    proxy, _, handler = sync_proxy(stream)
    assert isinstance(proxy, FakeStream)
    assert isinstance(proxy.response, FakeResponse)
    assert proxy.helper() == "helper of 3"
    assert proxy.__wrapped__ is stream
    assert handler.ends == 0


def test_sync_exhaustion_finishes_once() -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS))
    assert list(proxy) == CHUNKS
    assert handler.finished == [accumulator.record]
    assert handler.failed == []
    assert accumulator.chunks == CHUNKS
    assert accumulator.summaries == 1
    record = accumulator.record
    assert record.time_to_first_chunk is not None and record.time_to_first_chunk >= 0
    assert len(record.chunk_intervals) == len(CHUNKS) - 1
    assert all(interval >= 0 for interval in record.chunk_intervals)
    # Closing and dropping the exhausted stream changes nothing.
    proxy.close()
    del proxy
    gc.collect()
    assert handler.ends == 1
    assert accumulator.summaries == 1


def test_sync_exhaustion_through_next_finishes_once() -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS))
    assert [next(proxy) for _ in CHUNKS] == CHUNKS
    assert handler.ends == 0
    for _ in range(2):
        with pytest.raises(StopIteration):
            next(proxy)
    assert handler.finished == [accumulator.record]
    assert accumulator.chunks == CHUNKS


def test_sync_close_part_way_finishes_once() -> None:
    stream = FakeStream(CHUNKS)
    proxy, accumulator, handler = sync_proxy(stream)
    assert next(proxy) == "a"
    proxy.close()
    assert stream.closed == 1
    assert handler.finished == [accumulator.record]
    proxy.close()
    del proxy
    gc.collect()
    assert stream.closed == 2
    assert handler.ends == 1
    assert accumulator.chunks == ["a"]


def test_sync_closing_the_http_response_finishes_once() -> None:
    """What the SDK's stream helpers do: keep ``stream.response`` and close that."""
    stream = FakeStream(CHUNKS)
    proxy, accumulator, handler = sync_proxy(stream)
    response = proxy.response
    next(proxy)
    assert handler.ends == 0
    response.close()
    assert stream.response.closed == 1
    assert handler.finished == [accumulator.record]
    proxy.close()
    proxy.response.close()
    assert handler.ends == 1


def test_sync_response_of_none_stays_none() -> None:
    stream = FakeStream(CHUNKS)
    stream.response = None
    proxy, _, _ = sync_proxy(stream)
    assert proxy.response is None


def test_sync_context_manager_finishes_once() -> None:
    stream = FakeStream(CHUNKS)
    proxy, accumulator, handler = sync_proxy(stream)
    with proxy as entered:
        assert entered is proxy
        assert next(entered) == "a"
        assert handler.ends == 0
    assert stream.entered == 1
    assert stream.exited == [None]
    assert handler.finished == [accumulator.record]
    del proxy, entered
    gc.collect()
    assert handler.ends == 1


def test_sync_context_manager_with_an_application_error() -> None:
    stream = FakeStream(CHUNKS)
    proxy, accumulator, handler = sync_proxy(stream)
    with pytest.raises(KeyError), proxy:
        next(proxy)
        raise KeyError("application bug")
    assert stream.exited == [KeyError]
    # The application's own error is not a failure of the stream.
    assert handler.finished == [accumulator.record]
    assert handler.failed == []


def test_sync_stream_error_fails_once_with_the_same_exception() -> None:
    error = ConnectionError("dropped")
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS, error_at=1, error=error))
    seen = []
    with pytest.raises(ConnectionError) as raised:
        for chunk in proxy:
            seen.append(chunk)
    assert raised.value is error
    assert seen == ["a"]
    assert handler.finished == []
    assert handler.failed == [(accumulator.record, error)]
    assert accumulator.summaries == 1
    del proxy
    gc.collect()
    assert handler.ends == 1


def test_sync_stream_error_through_next() -> None:
    error = TimeoutError("slow")
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS, error_at=0, error=error))
    with pytest.raises(TimeoutError) as raised:
        next(proxy)
    assert raised.value is error
    assert handler.failed == [(accumulator.record, error)]
    with pytest.raises(TimeoutError):
        next(proxy)
    assert handler.ends == 1


def test_sync_break_out_of_a_loop_finishes_once() -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS))
    for chunk in proxy:
        assert chunk == "a"
        break
    gc.collect()
    assert handler.finished == [accumulator.record]
    del proxy
    gc.collect()
    assert handler.ends == 1
    assert accumulator.chunks == ["a"]


@pytest.mark.parametrize("consumed", [0, 1])
def test_sync_abandoned_stream_finishes_once_when_collected(consumed: int) -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS))
    for _ in range(consumed):
        next(proxy)
    assert handler.ends == 0
    del proxy
    gc.collect()
    assert handler.finished == [accumulator.record]
    assert accumulator.summaries == 1


def test_sync_failing_accumulator_does_not_break_iteration() -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS), Broken)
    assert list(proxy) == CHUNKS
    assert handler.finished == [accumulator.record]
    assert accumulator.record.time_to_first_chunk is not None


def test_sync_intervals_span_consecutive_arrivals_however_they_were_read(ticks: list[float]) -> None:
    """A loop's iterator and ``next(proxy)`` mixed: every chunk is read once and timed from the one before."""
    proxy, accumulator, handler = sync_proxy(FakeStream(["a", "b", "c", "d"]))
    record = accumulator.record
    record.start_time = 0.0
    iterator = iter(proxy)
    assert next(iterator) == "a"  # arrives at 1
    assert next(proxy) == "b"  # at 2
    assert next(iterator) == "c"  # at 4
    assert list(iterator) == ["d"]  # at 8, then the end
    assert accumulator.chunks == ["a", "b", "c", "d"]
    assert record.time_to_first_chunk == 1.0
    assert record.chunk_intervals == [1.0, 2.0, 4.0]
    assert handler.finished == [record]


def test_sync_loop_after_next_times_the_rest(ticks: list[float]) -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS))
    accumulator.record.start_time = 0.0
    assert next(proxy) == "a"
    assert list(proxy) == ["b", "c"]
    assert accumulator.chunks == CHUNKS
    assert accumulator.record.time_to_first_chunk == 1.0
    assert accumulator.record.chunk_intervals == [1.0, 2.0]
    assert handler.finished == [accumulator.record]


@pytest.mark.parametrize("read", ["loop", "next"])
def test_sync_without_the_chunk_metric_only_the_first_chunk_is_timed(ticks: list[float], read: str) -> None:
    proxy, accumulator, _ = sync_proxy(FakeStream(CHUNKS), chunk_timing=False)
    accumulator.record.start_time = 0.0
    assert (list(proxy) if read == "loop" else [next(proxy) for _ in CHUNKS]) == CHUNKS
    assert ticks == [1.0]
    assert accumulator.record.time_to_first_chunk == 1.0
    assert accumulator.record.chunk_intervals is None
    assert accumulator.chunks == CHUNKS


@pytest.mark.parametrize("chunks", [[], CHUNKS])
def test_sync_loop_asks_the_stream_until_it_ends_and_no_further(chunks: list[Any]) -> None:
    stream = CountingStream(chunks)
    proxy, accumulator, handler = sync_proxy(stream)
    assert list(proxy) == chunks
    assert stream.asked == len(chunks) + 1
    assert handler.finished == [accumulator.record]
    assert accumulator.summaries == 1
    if not chunks:
        assert accumulator.record.time_to_first_chunk is None
        assert accumulator.record.chunk_intervals is None


def test_sync_iterator_kept_alone_ends_the_span_at_the_end() -> None:
    """``for chunk in client.chat.completions.create(stream=True)``: only the loop holds the proxy."""
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS))
    iterator = iter(proxy)
    del proxy  # without the loop holding it, the proxy would be collected (and the span ended) here
    assert next(iterator) == "a"
    gc.collect()  # or here, were it in a cycle: one full collection (~1 s in the whole suite's process)
    assert handler.ends == 0
    assert list(iterator) == ["b", "c"]
    assert handler.finished == [accumulator.record]


def test_sync_reader_interrupted_mid_loop_fails_once_with_the_same_exception() -> None:
    proxy, accumulator, handler = sync_proxy(FakeStream(CHUNKS), InterruptedAtB)
    seen = []
    with pytest.raises(Interrupted) as raised:
        for chunk in proxy:
            seen.append(chunk)
    assert seen == ["a"]
    assert handler.failed == [(accumulator.record, raised.value)]
    assert handler.finished == []
    del proxy
    gc.collect()
    assert handler.ends == 1


# --- asynchronous -------------------------------------------------------------------------------


async def test_async_proxy_is_still_the_sdk_stream() -> None:
    stream = AsyncFakeStream(CHUNKS)
    proxy, _, handler = async_proxy(stream)
    assert isinstance(proxy, AsyncFakeStream)
    assert isinstance(proxy.response, FakeResponse)
    assert proxy.__wrapped__ is stream
    assert handler.ends == 0


async def test_async_exhaustion_finishes_once() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS))
    assert [chunk async for chunk in proxy] == CHUNKS
    assert handler.finished == [accumulator.record]
    assert accumulator.chunks == CHUNKS
    assert accumulator.summaries == 1
    assert len(accumulator.record.chunk_intervals) == len(CHUNKS) - 1
    await proxy.close()
    del proxy
    gc.collect()
    assert handler.ends == 1


async def test_async_exhaustion_through_anext_finishes_once() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS))
    assert [await proxy.__anext__() for _ in CHUNKS] == CHUNKS
    assert handler.ends == 0
    for _ in range(2):
        with pytest.raises(StopAsyncIteration):
            await proxy.__anext__()
    assert handler.finished == [accumulator.record]


async def test_async_close_part_way_finishes_once() -> None:
    stream = AsyncFakeStream(CHUNKS)
    proxy, accumulator, handler = async_proxy(stream)
    assert await proxy.__anext__() == "a"
    await proxy.close()
    await proxy.close()
    assert stream.closed == 2
    assert handler.finished == [accumulator.record]
    assert accumulator.chunks == ["a"]


async def test_async_closing_the_http_response_finishes_once() -> None:
    stream = AsyncFakeStream(CHUNKS)
    proxy, accumulator, handler = async_proxy(stream)
    response = proxy.response
    await proxy.__anext__()
    assert handler.ends == 0
    await response.aclose()
    assert stream.response.closed == 1
    assert handler.finished == [accumulator.record]
    await proxy.close()
    assert handler.ends == 1


async def test_async_context_manager_finishes_once() -> None:
    stream = AsyncFakeStream(CHUNKS)
    proxy, accumulator, handler = async_proxy(stream)
    async with proxy as entered:
        assert entered is proxy
        assert await entered.__anext__() == "a"
        assert handler.ends == 0
    assert stream.entered == 1
    assert stream.exited == [None]
    assert handler.finished == [accumulator.record]
    del proxy, entered
    gc.collect()
    assert handler.ends == 1


async def test_async_stream_error_fails_once_with_the_same_exception() -> None:
    error = ConnectionError("dropped")
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS, error_at=2, error=error))
    seen = []
    with pytest.raises(ConnectionError) as raised:
        async for chunk in proxy:
            seen.append(chunk)
    assert raised.value is error
    assert seen == ["a", "b"]
    assert handler.failed == [(accumulator.record, error)]
    assert handler.finished == []


async def test_async_stream_error_through_anext() -> None:
    error = TimeoutError("slow")
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS, error_at=0, error=error))
    with pytest.raises(TimeoutError) as raised:
        await proxy.__anext__()
    assert raised.value is error
    assert handler.failed == [(accumulator.record, error)]


async def test_async_break_out_of_a_loop_finishes_once() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS))
    async for chunk in proxy:
        assert chunk == "a"
        break
    # The abandoned async generator is closed by the event loop's finaliser.
    gc.collect()
    for _ in range(5):
        await asyncio.sleep(0)
    assert handler.finished == [accumulator.record]
    del proxy
    gc.collect()
    assert handler.ends == 1


async def test_async_abandoned_stream_finishes_once_when_collected() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS))
    await proxy.__anext__()
    assert handler.ends == 0
    del proxy
    gc.collect()
    assert handler.finished == [accumulator.record]


async def test_async_failing_accumulator_does_not_break_iteration() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS), Broken)
    assert [chunk async for chunk in proxy] == CHUNKS
    assert handler.finished == [accumulator.record]


async def test_async_intervals_span_consecutive_arrivals_however_they_were_read(ticks: list[float]) -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(["a", "b", "c", "d"]))
    record = accumulator.record
    record.start_time = 0.0
    iterator = aiter(proxy)
    assert await anext(iterator) == "a"
    assert await proxy.__anext__() == "b"
    assert await anext(iterator) == "c"
    assert [chunk async for chunk in iterator] == ["d"]
    assert accumulator.chunks == ["a", "b", "c", "d"]
    assert record.time_to_first_chunk == 1.0
    assert record.chunk_intervals == [1.0, 2.0, 4.0]
    assert handler.finished == [record]


async def test_async_without_the_chunk_metric_only_the_first_chunk_is_timed(ticks: list[float]) -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS), chunk_timing=False)
    accumulator.record.start_time = 0.0
    assert [chunk async for chunk in proxy] == CHUNKS
    assert ticks == [1.0]
    assert accumulator.record.time_to_first_chunk == 1.0
    assert accumulator.record.chunk_intervals is None
    assert handler.finished == [accumulator.record]


async def test_async_empty_stream_finishes_once() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream([]))
    assert [chunk async for chunk in proxy] == []
    assert handler.finished == [accumulator.record]
    assert accumulator.record.time_to_first_chunk is None


async def test_async_iterator_kept_alone_ends_the_span_at_the_end() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS))
    iterator = aiter(proxy)
    del proxy
    assert await anext(iterator) == "a"
    gc.collect()
    assert handler.ends == 0
    assert [chunk async for chunk in iterator] == ["b", "c"]
    assert handler.finished == [accumulator.record]


async def test_async_reader_interrupted_mid_loop_fails_once_with_the_same_exception() -> None:
    proxy, accumulator, handler = async_proxy(AsyncFakeStream(CHUNKS), InterruptedAtB)
    with pytest.raises(Interrupted) as raised:
        async for _ in proxy:
            pass
    assert handler.failed == [(accumulator.record, raised.value)]
    assert handler.finished == []
