"""Reading what an MCP call emitted: shared by the mcp 2.x (``test_mcp.py``) and 1.x (``test_mcp_v1.py``)
tests, whose servers and sessions differ but whose spans must not."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from helpers.telemetry import Telemetry


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
