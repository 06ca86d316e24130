"""otel-genai: OpenTelemetry traces and metrics for LLM applications, with one line of setup.

    import otel_genai
    otel_genai.instrument()

Importing this package is cheap: it imports no client library, no exporter and no redaction engine.
"""

from __future__ import annotations

from otel_genai._agents import agent, workflow
from otel_genai._decorators import retriever, run_tool, tool, tool_call
from otel_genai._setup import Instrumentation, instrument, uninstrument
from otel_genai.evaluation import record_evaluation
from otel_genai.instrumentation._servers import set_provider_name
from otel_genai.llmops.attribution import AttributionPolicy
from otel_genai.llmops.scope import attributes, feature, prompt
from otel_genai.redaction.policy import RedactionPolicy
from otel_genai.telemetry.content import CaptureMode
from otel_genai.version import __version__

__all__ = [
    "AttributionPolicy",
    "CaptureMode",
    "Instrumentation",
    "RedactionPolicy",
    "__version__",
    "agent",
    "attributes",
    "feature",
    "instrument",
    "prompt",
    "record_evaluation",
    "retriever",
    "run_tool",
    "set_provider_name",
    "tool",
    "tool_call",
    "uninstrument",
    "workflow",
]
