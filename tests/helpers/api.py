"""The same calls on a provider's sync and async client: tests ``await`` either one.

Each provider's ``Api`` (in its ``helpers.*_fakes`` module or test file) extends ``SyncOrAsync`` with its own
calls and says whether its client is the async one.
"""

from __future__ import annotations

from typing import Any

END = object()  # what ``SyncOrAsync.next`` returns once a stream is exhausted


class SyncOrAsync:
    """Stream handling written once for both clients: ``for`` or ``async for``, ``next`` or ``anext``."""

    @property
    def is_async(self) -> bool:
        """Whether the client is the async one (each provider's ``Api`` knows how to tell)."""
        raise NotImplementedError

    async def drain(self, stream: Any, into: list[Any] | None = None) -> list[Any]:
        """Iterate the stream to its end the usual way (``for`` / ``async for``), into ``into`` if given
        (what arrived before a failure stays there)."""
        chunks = [] if into is None else into
        if self.is_async:
            async for chunk in stream:
                chunks.append(chunk)
        else:
            for chunk in stream:
                chunks.append(chunk)
        return chunks

    async def next(self, stream: Any) -> Any:
        """``next()`` / ``anext()``; ``END`` once the stream is exhausted."""
        return await anext(stream, END) if self.is_async else next(stream, END)

    async def close(self, stream: Any) -> None:
        """The SDK stream's ``close()`` (a coroutine on the async client)."""
        result = stream.close()
        if self.is_async:
            await result

    async def _await(self, result: Any) -> Any:
        """A call's result: awaited on the async client."""
        return await result if self.is_async else result


def breaking_body(is_async: bool, head: bytes, error: Exception) -> Any:
    """A streamed body that sends ``head`` and then fails the way a dropped connection does."""
    if is_async:

        async def async_body() -> Any:
            yield head
            raise error

        return async_body()

    def sync_body() -> Any:
        yield head
        raise error

    return sync_body()
