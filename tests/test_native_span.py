"""``instrumentation/_native_span``: a library that opens its own span for a call we trace gets ours instead
(one span per call), shown on a stand-in library with both kinds of span factory: a context manager
(mcp 2.x's ``otel_span``) and a function returning a started span (Anthropic's ``start_api_call_span``)."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_genai.instrumentation._base import unwrap_methods, wrap_methods
from otel_genai.instrumentation._native_span import NativeSpan, lend_context, lend_span
from otel_genai.telemetry.records import ToolExecution

LIBRARY = "otel_genai_test_native_library"


@pytest.fixture
def library() -> Iterator[tuple[types.ModuleType, InMemorySpanExporter, trace.Tracer]]:
    """A library that traces itself with its own tracer, and the exporter both tracers share."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    native = provider.get_tracer("the-library")
    module = types.ModuleType(LIBRARY)

    @contextmanager
    def span_context(name: str, attributes: dict[str, Any]) -> Iterator[Any]:
        with native.start_as_current_span(name, attributes=attributes) as span:
            yield span

    def start_call_span(name: str) -> Any:
        return native.start_span(name, kind=SpanKind.CLIENT)

    def call(tool: str) -> str:
        """Context-manager style: the span ends when the block does."""
        with module.span_context(f"send {tool}", {"rpc.id": 7}) as span:
            span.set_attribute("library.detail", "set inside")
            return f"{tool} done"

    def api_call(name: str, fail: bool = False) -> str:
        """Returned-span style: the library sets attributes, status, and ends the span itself."""
        span = module.start_call_span(name)
        span.set_attribute("http.response.status_code", 500 if fail else 200)
        if fail:
            error = RuntimeError("secret prompt text")
            span.record_exception(error)
            span.set_status(StatusCode.ERROR, str(error))
        else:
            span.set_status(StatusCode.OK)
        span.end()
        return name

    module.span_context = span_context  # type: ignore[attr-defined]
    module.start_call_span = start_call_span  # type: ignore[attr-defined]
    module.call = call  # type: ignore[attr-defined]
    module.api_call = api_call  # type: ignore[attr-defined]
    sys.modules[LIBRARY] = module
    yield module, exporter, provider.get_tracer("otel_genai")
    del sys.modules[LIBRARY]


def _record(name: str) -> ToolExecution:
    return ToolExecution(operation="execute_tool", provider=None, tool_name=name)


def _matches_tool(record: ToolExecution, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return args[0] == f"send {record.tool_name}"


def test_a_context_manager_span_is_ours_for_the_traced_call_only(library: Any) -> None:
    module, exporter, ours = library
    native = NativeSpan(
        LIBRARY,
        "span_context",
        matches=_matches_tool,
        lend=lend_context,
        adopt=lambda span, args, kwargs: span.set_attributes(args[1]),
    )
    wrapped = wrap_methods([native.target()])
    try:
        record = _record("weather")
        with ours.start_as_current_span("tools/call weather") as span:
            record.span = span
            with native.replacing(record):
                assert module.call("weather") == "weather done"
                assert module.call("weather") == "weather done"  # a second request is its own span
        module.call("weather")  # not traced by us: the library's own span
    finally:
        unwrap_methods(wrapped)

    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["send weather", "tools/call weather", "send weather"]
    second, mine, untraced = spans
    assert mine.attributes == {"rpc.id": 7, "library.detail": "set inside"}
    assert second.parent is not None and second.parent.span_id == mine.context.span_id
    assert untraced.parent is None
    assert module.span_context.__name__ == "span_context"  # unwrapped


def test_a_returned_span_is_ours_and_only_we_end_it(library: Any) -> None:
    module, exporter, ours = library
    native = NativeSpan(LIBRARY, "start_call_span", matches=lambda record, args, kwargs: True, lend=lend_span)
    wrapped = wrap_methods([native.target()])
    try:
        record = _record("messages.create")
        span = ours.start_span("chat claude")
        record.span = span
        with trace.use_span(span), native.replacing(record):
            module.api_call("POST /v1/messages", fail=True)
        assert span.is_recording()  # the library's end() did not end it
        span.set_attribute("gen_ai.response.id", "msg_1")
        span.end()
    finally:
        unwrap_methods(wrapped)

    (only,) = exporter.get_finished_spans()
    assert only.name == "chat claude"
    assert only.attributes == {"http.response.status_code": 500, "gen_ai.response.id": "msg_1"}
    assert only.status.status_code is StatusCode.UNSET  # the outcome is ours to record
    assert only.events == ()  # no exception text from the library


def test_no_replacement_outside_the_span_our_wrapper_made_current(library: Any) -> None:
    """A library span asked for in another context (a background task) keeps its own span."""
    module, exporter, ours = library
    native = NativeSpan(LIBRARY, "start_call_span", matches=lambda record, args, kwargs: True)
    wrapped = wrap_methods([native.target()])
    try:
        record = _record("x")
        record.span = ours.start_span("ours")
        with native.replacing(record):  # ours is not the current span here
            module.api_call("POST /v1/messages")
        record.span.end()
    finally:
        unwrap_methods(wrapped)

    assert sorted(s.name for s in exporter.get_finished_spans()) == ["POST /v1/messages", "ours"]


def test_a_broken_matcher_leaves_the_library_its_span(library: Any) -> None:
    module, exporter, ours = library

    def broken(record: Any, args: Any, kwargs: Any) -> bool:
        raise RuntimeError("bug in our matcher")

    native = NativeSpan(LIBRARY, "start_call_span", matches=broken)
    wrapped = wrap_methods([native.target()])
    try:
        record = _record("x")
        with ours.start_as_current_span("ours") as span:
            record.span = span
            with native.replacing(record):
                assert module.api_call("POST /v1/messages") == "POST /v1/messages"
    finally:
        unwrap_methods(wrapped)

    assert sorted(s.name for s in exporter.get_finished_spans()) == ["POST /v1/messages", "ours"]


def test_a_bypass_tells_the_library_there_is_no_span_and_keeps_its_handoff(library: Any) -> None:
    """``bypass``: the library gets ``declined`` (no span, so it skips its span work) and the call's handoff
    is there while the call runs; a bypass that returns None or fails lends our span as usual."""
    module, exporter, ours = library
    seen: list[Any] = []

    def bypass(span: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if args[0] == "broken":
            raise RuntimeError("bug in our bypass")
        return None if args[0] == "lend" else ("our work", args[0])

    native = NativeSpan(LIBRARY, "start_call_span", matches=lambda r, a, k: True, bypass=bypass)
    wrapped = wrap_methods([native.target()])
    try:
        for name in ("POST /v1/messages", "lend", "broken"):
            with ours.start_as_current_span(f"ours {name}") as span:
                record = _record(name)
                record.span = span
                with native.replacing(record):
                    assert native.handoff() is None  # not asked yet
                    answer = module.start_call_span(name)
                    seen.append(
                        (answer is span or getattr(answer, "__wrapped__", None) is span, native.handoff())
                    )
                    if answer is not None:
                        answer.end()  # lent: does nothing
                assert native.handoff() is None  # the call is over
    finally:
        unwrap_methods(wrapped)

    assert seen == [(False, ("our work", "POST /v1/messages")), (True, None), (True, None)]
    assert sorted(s.name for s in exporter.get_finished_spans()) == [
        "ours POST /v1/messages",
        "ours broken",
        "ours lend",
    ]  # no span of the library's
