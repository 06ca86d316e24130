"""What every Stainless-generated SDK shares: OpenAI, Anthropic, Groq and the OpenAI-compatible clients.

These SDKs are generated from one template, so the parts an instrumentor touches look alike in each:
the ``NotGiven`` / ``Omit`` sentinels for arguments left out (``<package>._types``), ``client._base_url``,
``Stream`` / ``AsyncStream`` for ``stream=True``, and the raw-response wrapper that ``with_raw_response``
returns, whose ``parse()`` is cached (so reading it costs the application nothing). ``StainlessSDK``
resolves them once per package, when instrumenting; ``StainlessReader`` is the ``CallReader`` of one API
family that dispatches a result to a stream proxy or to ``read()``. The helpers below read request shapes
that several of these APIs share (typed parts, data URLs, tool lists).

A provider module then holds only what is its own: the methods to wrap, how its kwargs map onto the
record, how its responses and stream chunks read, and how its provider is named.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any
from weakref import WeakKeyDictionary

import wrapt

from otel_genai.instrumentation import _servers
from otel_genai.instrumentation._base import CallReader
from otel_genai.telemetry.content import (
    BlobPart,
    FilePart,
    Part,
    ToolDefinition,
    UriPart,
    blob_part,
    file_part,
    text_part,
    tool_definition,
    uri_part,
)
from otel_genai.telemetry.handler import TelemetryHandler
from otel_genai.telemetry.streams import AsyncStreamProxy, StreamAccumulator, SyncStreamProxy

logger = logging.getLogger("otel_genai")

# (client, server.address) -> gen_ai.provider.name: the provider's own hook (OpenAI tells Azure apart).
ProviderName = Callable[[Any, str | None], str]


class StainlessSDK:
    """One SDK package's sentinels, stream classes and raw-response types, and its clients' endpoints.

    ``load("openai", provider=...)`` reads them from the installed package. ``given`` reads a
    request argument (``None`` when it was not given); ``number``, ``double``, ``string`` and ``strings``
    below read one's type, whatever the SDK.
    ``raw_responses`` are ``"module:Class"`` paths of the types ``with_raw_response`` returns whose
    ``parse()`` is synchronous, cached and reads a body already read (openai's ``LegacyAPIResponse``;
    anthropic 2.x's ``APIResponse``, which it also returns for ``with_streaming_response``, so only one
    whose HTTP response is closed is read); a path the release lacks is skipped.
    """

    def __init__(
        self,
        package: str,
        types_module: Any,
        *,
        sync_stream: type,
        async_stream: type,
        raw_responses: tuple[type[Any], ...] = (),
        provider: ProviderName,
    ) -> None:
        self.package = package
        self.sentinels: tuple[type, ...] = tuple(
            kind
            for kind in (getattr(types_module, "NotGiven", None), getattr(types_module, "Omit", None))
            if kind
        )
        self.sync_stream = sync_stream
        self.async_stream = async_stream
        self.raw_responses = raw_responses
        self.provider = provider
        self.given = _given_reader(self.sentinels)
        # client -> (base URL, provider, address, port, _servers.generation() when looked up)
        self._endpoints: WeakKeyDictionary[Any, tuple[Any, str, str | None, int | None, int]] = (
            WeakKeyDictionary()
        )

    @classmethod
    def load(cls, package: str, *, provider: ProviderName, raw_responses: Iterable[str] = ()) -> StainlessSDK:
        """The installed SDK ``package`` (imports it: call when instrumenting, never at our import)."""
        root = importlib.import_module(package)
        raw: list[type[Any]] = []
        for path in raw_responses:
            module_name, class_name = path.split(":")
            try:
                kind = getattr(importlib.import_module(module_name), class_name, None)
            except ImportError:  # releases before this wrapper existed
                continue
            if isinstance(kind, type):
                raw.append(kind)
        return cls(
            package,
            importlib.import_module(f"{package}._types"),
            sync_stream=root.Stream,
            async_stream=root.AsyncStream,
            raw_responses=tuple(raw),
            provider=provider,
        )

    # --- the client ------------------------------------------------------------------------------

    def endpoint(self, client: Any) -> tuple[str, str | None, int | None]:
        """(provider name, server.address, server.port) of a client, cached per client and base URL (and
        until a provider name is given or learned: ``_servers``). A name given to the client
        (``set_provider_name``) wins over the SDK's own answer."""
        if client is None:
            return self.provider(None, None), None, None
        base_url = getattr(client, "_base_url", None) or getattr(client, "base_url", None)
        cached = self._endpoints.get(client)
        if cached is not None and cached[0] is base_url and cached[4] == _servers.generation():
            return cached[1], cached[2], cached[3]
        generation = _servers.generation()
        host = getattr(base_url, "host", None) or None
        port = getattr(base_url, "port", None) or _servers.DEFAULT_PORTS.get(getattr(base_url, "scheme", ""))
        provider = _servers.named_provider(client) or self.provider(client, host)
        with contextlib.suppress(TypeError):  # a client that cannot be weakly referenced is not cached
            self._endpoints[client] = (base_url, provider, host, port, generation)
        return provider, host, port

    # --- results ---------------------------------------------------------------------------------

    def parsed(self, result: Any) -> Any:
        """The response model of a result: a raw response's cached ``parse()``, else the result itself.

        ``with_raw_response`` (LangChain uses it for headers): the SDK caches ``parse()``, so the
        application's own ``parse()`` returns this very object at no extra cost. A response whose body is
        still streaming (``with_streaming_response``) is not read: that would consume the body.
        """
        if self.raw_responses and isinstance(result, self.raw_responses):
            http = getattr(result, "http_response", None)
            if http is not None and getattr(http, "is_closed", True) is False:
                return result
            return result.parse()
        return result


# --- request arguments: the SDK-independent readers (``StainlessSDK.given`` knows the sentinels) ------------
# A sentinel is never a number, a string or a list, so these need no sentinel check of their own.


def number(value: Any) -> Any:
    """An int or float argument as it is (``True`` is not a number); ``None`` for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def double(value: Any) -> float | None:
    """A number as a float: the conventions type temperature and the like as double, also for ``0``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def strings(value: Any) -> list[str] | None:
    """A string or a list of strings (stop sequences) as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return None


def _given_reader(sentinels: tuple[type, ...]) -> Callable[[Any], Any]:
    """``given`` for one SDK: a closure over its sentinel types (a dozen calls per request: no attribute
    lookups on the way)."""

    def given(value: Any) -> Any:
        """``None`` for the SDK's not-given sentinels, the value otherwise."""
        if value is None or isinstance(value, sentinels):
            return None
        return value

    return given


class StainlessReader(CallReader):
    """One API family of a Stainless SDK: a stream becomes a proxy that finishes the record at its end;
    anything else is read at once (``read``) and the record finished."""

    def __init__(self, handler: TelemetryHandler, sdk: StainlessSDK) -> None:
        super().__init__(handler)
        self.sdk = sdk
        self.sync_stream = sdk.sync_stream
        self.async_stream = sdk.async_stream

    def read(self, record: Any, response: Any) -> None:
        """Fill the record from a response model."""
        raise NotImplementedError

    def accumulator(self, record: Any) -> StreamAccumulator:
        """What assembles this family's stream chunks into the record."""
        raise NotImplementedError

    def on_result(self, record: Any, result: Any) -> Any:
        if isinstance(result, self.sync_stream):
            return SyncStreamProxy(result, self.accumulator(record))
        if isinstance(result, self.async_stream):
            return AsyncStreamProxy(result, self.accumulator(record))
        if getattr(record, "stream", False) and self._is_streaming_response(result):
            # ``with_streaming_response.create(stream=True)`` (the OpenAI Agents SDK streams this way): the
            # stream its ``parse()`` gives is read like any other; unparsed, the span ends when it closes
            return _StreamingResponseProxy(result, self, record)
        if not getattr(record, "stream", False):  # a raw streamed response: request, duration and errors only
            try:
                self.read(record, self.sdk.parsed(result))
            except Exception:
                logger.debug("otel_genai: could not read a %s response", self.sdk.package, exc_info=True)
        self.handler.finish(record)
        return result

    def _is_streaming_response(self, result: Any) -> bool:
        """The SDK's response of a ``with_streaming_response`` call with ``stream=True``: its ``parse()``
        gives the stream, its ``close()`` ends it. Not a ``with_raw_response`` result (``raw_responses``),
        which an application may never parse or close: that one's span ends at once, as before."""
        if self.sdk.raw_responses and isinstance(result, self.sdk.raw_responses):
            return False
        return getattr(result, "http_response", None) is not None and callable(getattr(result, "close", None))

    def endpoint_of(self, instance: Any) -> tuple[str, str | None, int | None]:
        """The endpoint of the client a resource (``client.chat.completions``) belongs to."""
        return self.sdk.endpoint(getattr(instance, "_client", None))


class _StreamingResponseProxy(wrapt.ObjectProxy):
    """The SDK's open raw response of a streamed call: ``parse()`` returns our proxy of the stream (which
    ends the span when consumed, closed or collected); closed without being parsed, the span ends then."""

    def __init__(self, response: Any, reader: StainlessReader, record: Any) -> None:
        super().__init__(response)
        self._self_reader = reader
        self._self_record = record
        self._self_handed = False  # the span belongs to the parsed stream from then on

    def _self_stream(self, parsed: Any) -> Any:
        reader = self._self_reader
        if self._self_handed:
            return parsed
        self._self_handed = True
        if isinstance(parsed, reader.sync_stream):
            return SyncStreamProxy(parsed, reader.accumulator(self._self_record))
        if isinstance(parsed, reader.async_stream):
            return AsyncStreamProxy(parsed, reader.accumulator(self._self_record))
        reader.handler.finish(self._self_record)  # not a stream after all: what the request said is kept
        return parsed

    def _self_end_unparsed(self) -> None:
        if not self._self_handed:
            self._self_handed = True
            self._self_reader.handler.finish(self._self_record)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        parsed = self.__wrapped__.parse(*args, **kwargs)
        if inspect.isawaitable(parsed):
            return self._self_parse_async(parsed)
        return self._self_stream(parsed)

    async def _self_parse_async(self, parsed: Any) -> Any:
        return self._self_stream(await parsed)

    def close(self) -> Any:
        closed = self.__wrapped__.close()
        if inspect.isawaitable(closed):
            return self._self_close_async(closed)
        self._self_end_unparsed()
        return closed

    async def _self_close_async(self, closed: Any) -> Any:
        try:
            return await closed
        finally:
            self._self_end_unparsed()


# --- shapes several of these APIs share --------------------------------------------------------------


def field(item: Any, name: str) -> Any:
    """A field of a request item, whether the application passed a dict or the SDK's typed object."""
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def content_parts(content: Any, block_part: Callable[[Any], Part]) -> list[Part]:
    """A message's ``content`` as semconv parts: a string is one text part (none when empty), anything else
    is iterated, each block (a dict or the SDK's model) read by the provider's ``block_part``."""
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)] if content else []
    return [block_part(block) for block in content]


def extra_field(model: Any, name: str) -> Any:
    """A field the SDK does not declare (``reasoning_content`` from OpenAI-compatible servers).

    ``getattr`` on a missing pydantic field raises inside pydantic and costs microseconds per chunk;
    the extras dict (pydantic 2) or ``__dict__`` (pydantic 1) is a plain lookup.
    """
    extra = getattr(model, "__pydantic_extra__", None)
    if extra is not None:
        return extra.get(name)
    return getattr(model, "__dict__", {}).get(name)


def uri_or_blob(url: Any, modality: str, file_id: Any) -> UriPart | BlobPart | FilePart:
    """An attachment given as an uploaded file's id, a ``data:`` URL (inline base64) or a URL."""
    if file_id:
        return file_part(file_id, modality)
    if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
        header, data = url.split(",", 1)
        return blob_part(data, modality, header[5:].split(";")[0] or None)
    return uri_part(str(url or ""), modality)


def tool_definitions(
    tools: Any, details: bool, *, parameters: str = "parameters"
) -> list[ToolDefinition] | None:
    """A request's ``tools`` as semconv tool definitions (type and name; description and parameters too
    when ``details``). A tool is described by itself (Responses, Anthropic) or by the spec nested under
    its type (Chat Completions: ``{"type": "function", "function": {...}}``); ``parameters`` names the
    schema's field (``input_schema`` for Anthropic)."""
    if not tools:
        return None
    definitions = []
    for tool in tools:
        kind = field(tool, "type") or "function"
        spec = field(tool, kind) if kind in ("function", "custom") else None
        source = spec if spec is not None else tool
        name = field(source, "name") or kind
        if details:
            definitions.append(
                tool_definition(
                    kind, name, field(source, "description"), field(source, parameters), details=True
                )
            )
        else:
            definitions.append(tool_definition(kind, name))
    return definitions
