"""What the MCP tests share across mcp 2.x (``test_mcp.py``), 1.x (``test_mcp_v1.py``) and both
(``test_mcp_common.py``): reading what a call emitted, and an ``Sdk`` that hides how each major version
builds the weather server and opens a session to it (``helpers.mcp_v2`` / ``helpers.mcp_v1``)."""

from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from opentelemetry.util._once import Once

from helpers.telemetry import Telemetry

SERVER_NAME = "weather"
INVALID_PARAMS = -32602
REFUSAL = "unknown city"  # the message a refused ``strict`` call carries

# the _meta each get_weather call arrived with, as the server saw it (appended by both versions' servers)
seen_meta: list[dict[str, Any]] = []


def get_forecast(city: str) -> str:
    """Tomorrow's weather."""
    return f"rain in {city}"


@dataclass(frozen=True)
class Sdk:
    """What a test asserting the same spans on mcp 1.x and 2.x needs from the installed major version."""

    native_tracing: bool  # 2.x: the SDK traces both ends itself (its server span continues our client span)
    server_version: str  # what the weather server reports at initialize
    protocol_error: type[Exception]  # what a JSON-RPC error response raises at the caller
    weather: Callable[[], AbstractAsyncContextManager[Any]]  # an initialized session to the weather server
    refusing: Callable[[], AbstractAsyncContextManager[Any]]  # its ``strict`` call refused: INVALID_PARAMS
    protocol_version: Callable[[Any], str]  # what an open session negotiated


def installed_sdk() -> Sdk:
    """The ``Sdk`` of the mcp major version installed (only that one's modules import)."""
    if int(importlib.metadata.version("mcp").split(".")[0]) >= 2:
        from helpers import mcp_v2

        return mcp_v2.SDK
    from helpers import mcp_v1

    return mcp_v1.SDK


# The fixtures every MCP test module uses: ``from helpers.mcp import instrument_fixture, telemetry_fixture``
# registers them as ``instrument`` and ``telemetry`` (overriding conftest's ``telemetry`` in that module).


@pytest.fixture(name="instrument")
def instrument_fixture(
    monkeypatch: pytest.MonkeyPatch, make_telemetry: Callable[..., Telemetry]
) -> Callable[..., Telemetry]:
    """``instrument(capture_content=..., global_provider=...)``: only MCP. On 2.x its provider is also the
    global one the SDK traces through (``global_provider=False`` leaves the SDK's spans going nowhere), and
    the SDK's tracer, which caches the first provider it saw, is re-resolved. 1.x traces through nothing
    but us."""
    seen_meta.clear()

    def make(*, global_provider: bool = True, **kwargs: Any) -> Telemetry:
        telemetry = make_telemetry(instrumentors=["mcp"], **kwargs)
        try:
            import mcp.shared._otel as mcp_otel
        except ImportError:  # mcp 1.x: no native tracing
            return telemetry
        monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
        if global_provider:
            trace.set_tracer_provider(telemetry.tracer_provider)
        monkeypatch.setattr(mcp_otel, "_tracer", trace.get_tracer("mcp-python-sdk"))
        return telemetry

    return make


@pytest.fixture(name="telemetry")
def telemetry_fixture(instrument: Callable[..., Telemetry]) -> Telemetry:
    """MCP instrumented, without content."""
    return instrument()


@contextmanager
def served_over_http(app: Any) -> Iterator[int]:
    """``app`` served by uvicorn on its own thread and loop, on a free loopback port (yielded), for as long
    as the block runs."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5  # how long uvicorn may take to start listening
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(5)


def tool_failed(result: Any) -> bool:
    """A ``CallToolResult``'s error flag: ``is_error`` on 2.x, ``isError`` on 1.x."""
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def only(spans: list[ReadableSpan], name: str, kind: SpanKind | None = None) -> ReadableSpan:
    """The one span called ``name`` (of ``kind``); fails listing them all when there is not exactly one."""
    found = [s for s in spans if s.name == name and (kind is None or s.kind == kind)]
    assert len(found) == 1, [(s.name, s.kind) for s in spans]
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def traceparent_span_id(meta: dict[str, Any]) -> int:
    """The span id a W3C ``traceparent`` in a request's ``_meta`` names."""
    return int(meta["traceparent"].split("-")[2], 16)


def tool_durations(telemetry: Telemetry, tool_type: str = "extension") -> list[Any]:
    points = telemetry.metrics().get("gen_ai.execute_tool.duration", [])
    return [p for p in points if p.attributes.get("gen_ai.tool.type") == tool_type]
