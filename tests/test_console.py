"""ConsoleTreeExporter: finished traces printed as trees, fed by a real SDK TracerProvider."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags

from otel_genai import semconv as sc
from otel_genai._console import CONTENT_PREVIEW_CHARS, ConsoleTreeExporter


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def make_tracer(exporter: ConsoleTreeExporter) -> trace.Tracer:
    provider = TracerProvider(resource=Resource.create({"service.name": "console-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def tracer(output: io.StringIO) -> trace.Tracer:
    return make_tracer(ConsoleTreeExporter(output))


def line_index(lines: list[str], text: str) -> int:
    return next(i for i, line in enumerate(lines) if text in line)


def test_nothing_is_printed_until_the_root_span_ends(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("root"):
        with tracer.start_as_current_span("child"):
            pass
        assert output.getvalue() == ""
    assert "root" in output.getvalue()
    assert "child" in output.getvalue()


def test_children_are_nested_under_their_parents_in_start_order(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("support_request"):
        first = tracer.start_span("first")  # started first, ends last
        with tracer.start_as_current_span("second"), tracer.start_as_current_span("grandchild"):
            pass
        first.end()

    lines = output.getvalue().splitlines()
    assert lines[0].startswith("trace ") and "service=console-test" in lines[0]
    assert lines[1].startswith("support_request  ")
    assert lines[2].startswith("├─ first  ")
    assert lines[3].startswith("└─ second  ")
    assert lines[4].startswith("   └─ grandchild  ")
    assert len(lines) == 5


def test_each_trace_is_printed_once_and_separately(tracer: trace.Tracer, output: io.StringIO) -> None:
    for name in ("one", "two"):
        with tracer.start_as_current_span(name):
            pass
    text = output.getvalue()
    assert text.count("trace ") == 2
    assert text.index("one") < text.index("two")


def test_a_span_with_a_remote_parent_is_a_root(tracer: trace.Tracer, output: io.StringIO) -> None:
    remote = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    incoming = trace.set_span_in_context(trace.NonRecordingSpan(remote))
    with (
        tracer.start_as_current_span("handle_request", context=incoming),
        tracer.start_as_current_span("chat"),
    ):
        pass
    lines = output.getvalue().splitlines()
    assert lines[0].startswith(f"trace {0xABC:032x}")
    assert lines[1].startswith("handle_request")
    assert lines[2].startswith("└─ chat  ")


def test_duration_status_and_genai_attributes(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("support_request") as root:
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:
            span.set_attributes(
                {
                    sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                    sc.GEN_AI_USAGE_INPUT_TOKENS: 61,
                    sc.GEN_AI_USAGE_OUTPUT_TOKENS: 12,
                    sc.GEN_AI_RESPONSE_FINISH_REASONS: ["tool_calls"],
                    sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: 0.0123,
                    sc.OTEL_GENAI_RESPONSE_TOOL_CALL_NAMES: ["get_order_status", "get_weather"],
                }
            )
        with tracer.start_as_current_span(
            "chat gpt-4o", record_exception=False, set_status_on_exception=False
        ) as bad:
            bad.set_attribute(sc.ERROR_TYPE, "RateLimitError")
            bad.set_status(Status(StatusCode.ERROR, "slow down"))
        root.set_status(Status(StatusCode.OK))

    lines = output.getvalue().splitlines()
    assert lines[1].startswith("support_request  ") and lines[1].endswith(" ms  OK")
    chat = line_index(lines, "chat gpt-4o-mini")
    assert lines[chat].endswith("UNSET")
    facts = lines[chat + 1]
    assert facts.startswith("│     ")  # under the span, inside the parent's branch
    assert "model=gpt-4o-mini → gpt-4o-mini-2024-07-18" in facts
    assert "tokens in=61 out=12" in facts
    assert "finish=tool_calls" in facts
    assert "first_chunk=12.3 ms" in facts
    assert "tool_calls=get_order_status,get_weather" in facts
    failed = line_index(lines, "chat gpt-4o  ")
    assert lines[failed].endswith("ERROR: slow down")
    assert "error.type=RateLimitError" in lines[failed + 1]


def test_retrieval_spans_show_their_hits_and_what_the_scores_mean(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    hits = [{"id": f"doc-{i}", "score": 0.1 * i} for i in range(1, 6)]
    with tracer.start_as_current_span("retrieval kb-docs") as span:
        span.set_attributes(
            {
                sc.DB_SYSTEM_NAME: "chroma",
                sc.GEN_AI_RETRIEVAL_TOP_K: 5,
                sc.DB_RESPONSE_RETURNED_ROWS: 5,
                sc.GEN_AI_RETRIEVAL_DOCUMENTS: json.dumps(hits),
                sc.OTEL_GENAI_RETRIEVAL_SCORE_KIND: "distance",
                sc.OTEL_GENAI_RETRIEVAL_SCORE_METRIC: "l2",
            }
        )
    text = output.getvalue()
    assert "db=chroma  top_k=5  rows=5  hits: doc-1 (0.1), doc-2 (0.2), doc-3 (0.3), …" in text
    assert "documents:" not in text  # content off: ids and scores only
    assert "[distance l2]" in text
    assert "doc-4" not in text


def test_retrieved_text_is_listed_when_captured(tracer: trace.Tracer, output: io.StringIO) -> None:
    hits = [{"id": "kb-1", "score": 0.2, "content": "Returns are free."}, {"id": "kb-2", "score": 0.4}]
    with tracer.start_as_current_span("retrieval kb") as span:
        span.set_attribute(sc.GEN_AI_RETRIEVAL_DOCUMENTS, json.dumps(hits))
    lines = output.getvalue().splitlines()
    at = line_index(lines, "documents:")
    assert "kb-1: Returns are free." in lines[at + 1]
    assert not any("kb-2:" in line for line in lines)


def test_content_is_abbreviated_on_its_own_lines(tracer: trace.Tracer, output: io.StringIO) -> None:
    long_question = "My name is Jane Doe, email jane.doe@example.com. " + "Where is my order? " * 20
    input_messages = [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": long_question}]},
    ]
    output_messages = [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "c1", "name": "get_order_status", "arguments": {"id": "A-1"}}
            ],
            "finish_reason": "tool_call",
        }
    ]
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attribute(sc.GEN_AI_INPUT_MESSAGES, json.dumps(input_messages))
        span.set_attribute(sc.GEN_AI_OUTPUT_MESSAGES, json.dumps(output_messages))
        span.set_attribute(
            sc.GEN_AI_TOOL_DEFINITIONS, json.dumps([{"type": "function", "name": "get_order_status"}])
        )

    lines = output.getvalue().splitlines()
    start = line_index(lines, "input:")
    assert lines[start] == "   input:"
    assert lines[start + 1] == "     system: Be brief."
    user_line = lines[start + 2]
    preview = user_line.strip()
    assert preview.startswith("user: My name is Jane Doe")
    assert preview.endswith("…")
    assert len(preview) == CONTENT_PREVIEW_CHARS + 1
    assert '   output: assistant: get_order_status({"id":"A-1"})' in lines
    assert "   tools: get_order_status" in lines


def test_content_that_is_not_message_json_is_shown_as_text(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("retrieval") as span:
        span.set_attribute(sc.GEN_AI_RETRIEVAL_QUERY_TEXT, "where is\nmy order")
        span.set_attribute(sc.GEN_AI_INPUT_MESSAGES, "{not json")
    text = output.getvalue()
    assert "query: where is my order" in text
    assert "input: {not json" in text


# --- LLMOps: cost, prompt, drift, release and attribution ----------------------------------------

RELEASE = {
    sc.OTEL_GENAI_RELEASE_FEATURE: "support-summarizer",
    sc.OTEL_GENAI_RELEASE_VERSION: "2025-03-14-rc2",
    sc.OTEL_GENAI_RELEASE_PREFIX + "model.name": "gpt-4o-mini",
    sc.OTEL_GENAI_RELEASE_PREFIX + "model.pinned_version": "2024-07-18",
    sc.OTEL_GENAI_RELEASE_PREFIX + "model.temperature": 0.2,
    sc.OTEL_GENAI_RELEASE_PREFIX + "retrieval.top_k": 6,
}
PSEUDO_ID = "9f86d081884c7d659a2feaa0c55ad015"  # what enduser.pseudo.id looks like: 32 hex characters


def priced_chat(amount: float, source: str = sc.COST_SOURCE_LOCAL, **extra: Any) -> dict[str, Any]:
    return {
        **RELEASE,
        sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
        sc.GEN_AI_USAGE_INPUT_TOKENS: 600,
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: 55,
        sc.GEN_AI_USAGE_COST_AMOUNT: amount,
        sc.GEN_AI_USAGE_COST_CURRENCY: "USD",
        sc.GEN_AI_USAGE_COST_SOURCE: source,
        sc.OTEL_GENAI_TENANT_ID: "acme",
        sc.SESSION_ID: "s-42",
        sc.ENDUSER_PSEUDO_ID: PSEUDO_ID,
        **extra,
    }


def test_a_model_span_shows_its_cost_next_to_the_tokens(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("request"):
        with tracer.start_as_current_span("chat estimated") as span:
            span.set_attributes(priced_chat(0.000123))
        with tracer.start_as_current_span("chat billed") as span:
            span.set_attributes(priced_chat(0.0125, sc.COST_SOURCE_PROVIDER))
    lines = output.getvalue().splitlines()
    estimated = lines[line_index(lines, "chat estimated") + 1]
    assert "tokens in=600 out=55  cost=~$0.000123" in estimated  # ~: tokens x the price table
    billed = lines[line_index(lines, "chat billed") + 1]
    assert "cost=$0.0125" in billed and "~" not in billed  # the price the provider reported


def test_cost_in_another_currency_and_large_amounts(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("chat euros") as span:
        span.set_attributes({sc.GEN_AI_USAGE_COST_AMOUNT: 0.5, sc.GEN_AI_USAGE_COST_CURRENCY: "EUR"})
    with tracer.start_as_current_span("chat dollars") as span:
        span.set_attributes({sc.GEN_AI_USAGE_COST_AMOUNT: 12.345, sc.GEN_AI_USAGE_COST_CURRENCY: "USD"})
    text = output.getvalue()
    assert "cost=~0.50 EUR" in text
    assert "cost=~$12.35" in text  # (no source said: an estimate)


def test_no_cost_is_shown_for_a_span_without_one(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("chat unknown-model") as span:
        span.set_attributes({sc.GEN_AI_REQUEST_MODEL: "my-finetune", sc.GEN_AI_USAGE_INPUT_TOKENS: 5})
    assert "cost" not in output.getvalue()
    assert "$" not in output.getvalue()


def test_the_prompt_version_and_fingerprints_are_on_their_own_line(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes(
            priced_chat(
                0.0001,
                **{
                    sc.GEN_AI_PROMPT_NAME: "summarizer",
                    sc.GEN_AI_PROMPT_VERSION: "v7",
                    sc.OTEL_GENAI_PROMPT_FINGERPRINT: "0123456789abcdef",
                    sc.OTEL_GENAI_TOOL_DEFINITIONS_FINGERPRINT: "fedcba9876543210",
                },
            )
        )
    lines = output.getvalue().splitlines()
    chat = line_index(lines, "chat gpt-4o-mini  ")
    assert "model=gpt-4o-mini" in lines[chat + 1]
    assert lines[chat + 2].strip() == (
        "prompt=summarizer@v7  fingerprints: system=0123456789abcdef tools=fedcba9876543210"
    )


def test_drift_is_named_with_the_calls_value_and_the_releases(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes(
            priced_chat(
                0.0001,
                **{
                    sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-09-30",
                    sc.GEN_AI_REQUEST_TEMPERATURE: 0.7,
                    sc.OTEL_GENAI_RELEASE_DRIFT: [
                        sc.DRIFT_MODEL_VERSION,
                        sc.DRIFT_TEMPERATURE,
                        sc.DRIFT_MAX_TOKENS,
                    ],
                },
            )
        )
    lines = output.getvalue().splitlines()
    drift = lines[line_index(lines, "drift:")]
    assert drift.strip() == (
        "drift: model_version=gpt-4o-mini-2024-09-30 (release: 2024-07-18), temperature=0.7 (release: 0.2), "
        "max_tokens"  # the span does not say what the release pinned: the kind alone
    )
    assert line_index(lines, "drift:") == line_index(lines, "model=") + 1  # right under the span's facts


def test_a_request_without_the_pinned_value_drifts_to_unset(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("retrieval kb") as span:
        span.set_attributes({**RELEASE, sc.OTEL_GENAI_RELEASE_DRIFT: [sc.DRIFT_TEMPERATURE, sc.DRIFT_TOP_K],
                             sc.GEN_AI_RETRIEVAL_TOP_K: 3})  # fmt: skip
    assert "drift: temperature=unset (release: 0.2), top_k=3 (release: 6)" in output.getvalue()


def test_drift_is_red_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = FakeTerminal()
    tracer = make_tracer(ConsoleTreeExporter(terminal))
    with tracer.start_as_current_span("chat") as span:
        span.set_attributes(
            {**RELEASE, sc.OTEL_GENAI_RELEASE_DRIFT: [sc.DRIFT_MODEL], sc.GEN_AI_REQUEST_MODEL: "gpt-4o"}
        )
    assert "\033[31mdrift: model=gpt-4o (release: gpt-4o-mini)\033[0m" in terminal.getvalue()


def test_no_drift_line_without_drift(tracer: trace.Tracer, output: io.StringIO) -> None:
    with tracer.start_as_current_span("chat") as span:
        span.set_attributes(priced_chat(0.0001))
    assert "drift" not in output.getvalue()


def test_the_root_sums_up_release_attribution_and_total_cost(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    amounts = [0.000123, 0.0004, 0.00002]
    with tracer.start_as_current_span("support_request"):
        for index, amount in enumerate(amounts):
            with tracer.start_as_current_span(f"chat {index}") as span:
                span.set_attributes(priced_chat(amount))
        with tracer.start_as_current_span("execute_tool lookup") as span:
            span.set_attributes({**RELEASE, sc.OTEL_GENAI_TENANT_ID: "acme"})
    lines = output.getvalue().splitlines()
    assert lines[1].startswith("support_request  ")
    summary = lines[2]
    assert summary.startswith("│  ")  # beneath the root, before its children
    total = f"~${sum(amounts):.6f}"
    assert summary[3:] == (
        f"release=support-summarizer@2025-03-14-rc2  tenant=acme  session=s-42  "
        f"user={PSEUDO_ID[:8]}…  total cost={total} ({len(amounts)} calls)"
    )
    assert PSEUDO_ID not in output.getvalue()  # shortened
    assert lines[3].startswith("├─ chat 0  ")


def test_the_summary_lists_every_distinct_value_and_raw_user_ids(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("request"):
        with tracer.start_as_current_span("chat a") as span:
            span.set_attributes({**RELEASE, sc.OTEL_GENAI_TENANT_ID: "acme", sc.ENDUSER_ID: "u-17"})
        with tracer.start_as_current_span("chat b") as span:
            span.set_attributes(
                {
                    sc.OTEL_GENAI_RELEASE_FEATURE: "search",
                    sc.OTEL_GENAI_RELEASE_VERSION: "v2",
                    sc.OTEL_GENAI_FEATURE: "search",
                    sc.OTEL_GENAI_TENANT_ID: "globex",
                    sc.ENDUSER_ID: "u-17",
                }
            )
    summary = output.getvalue().splitlines()[2]
    assert "release=support-summarizer@2025-03-14-rc2,search@v2  tenant=acme,globex  user=u-17" in summary
    assert "feature=" not in summary  # the attributed feature is the release's: said once
    assert "total cost" not in summary  # no span has a cost


def test_one_priced_call_has_no_total_and_a_provider_total_is_exact(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("one"), tracer.start_as_current_span("chat") as span:
        span.set_attributes(priced_chat(0.001))
    assert "total cost" not in output.getvalue()
    assert "release=support-summarizer@2025-03-14-rc2" in output.getvalue()
    with tracer.start_as_current_span("two"):
        for _ in range(2):
            with tracer.start_as_current_span("chat") as span:
                span.set_attributes(priced_chat(0.001, sc.COST_SOURCE_PROVIDER))
    assert "total cost=$0.002 (2 calls)" in output.getvalue()


def test_a_root_model_span_shows_its_facts_then_the_summary(
    tracer: trace.Tracer, output: io.StringIO
) -> None:
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes(priced_chat(0.001))
    lines = output.getvalue().splitlines()
    assert "model=gpt-4o-mini" in lines[2]
    assert lines[3].strip().startswith("release=support-summarizer@2025-03-14-rc2  tenant=acme")
    assert len(lines) == 4


def test_no_color_when_the_stream_is_not_a_terminal(output: io.StringIO) -> None:
    tracer = make_tracer(ConsoleTreeExporter(output))
    with tracer.start_as_current_span("plain"):
        pass
    assert "\033[" not in output.getvalue()


def test_color_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = FakeTerminal()
    tracer = make_tracer(ConsoleTreeExporter(terminal))
    with tracer.start_as_current_span("colored"):
        pass
    assert "\033[1mcolored\033[0m" in terminal.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    terminal = FakeTerminal()
    tracer = make_tracer(ConsoleTreeExporter(terminal))
    with tracer.start_as_current_span("plain"):
        pass
    assert "\033[" not in terminal.getvalue()


def test_ascii_tree_when_the_stream_cannot_encode_box_drawing() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    tracer = make_tracer(ConsoleTreeExporter(stream))
    with tracer.start_as_current_span("root"), tracer.start_as_current_span("child"):
        pass
    assert "`- child" in raw.getvalue().decode("ascii")


def test_shutdown_prints_traces_whose_root_never_ended(output: io.StringIO) -> None:
    exporter = ConsoleTreeExporter(output)
    tracer = make_tracer(exporter)
    root = tracer.start_span("never_ends")
    with tracer.start_as_current_span("orphan", context=trace.set_span_in_context(root)):
        pass
    assert output.getvalue() == ""
    exporter.shutdown()
    assert "incomplete" in output.getvalue()
    assert "orphan" in output.getvalue()


def test_console_exporter_spec_uses_the_tree_exporter() -> None:
    from otel_genai._setup import _span_exporter

    assert isinstance(_span_exporter("console"), ConsoleTreeExporter)


# --- never raises -------------------------------------------------------------------------------


def context(span_id: int, trace_id: int = 1) -> SpanContext:
    return SpanContext(trace_id, span_id, is_remote=False)


ODD_SPANS: list[Any] = [
    object(),
    None,
    ReadableSpan(name=None),  # type: ignore[arg-type]
    ReadableSpan(name="no times", context=context(1)),
    ReadableSpan(name="self parent", context=context(2), parent=context(2)),
    ReadableSpan(name="cycle a", context=context(3), parent=context(4)),
    ReadableSpan(name="cycle b", context=context(4), parent=context(3)),
    ReadableSpan(
        name="odd attributes",
        context=context(5, trace_id=2),
        attributes={
            sc.GEN_AI_INPUT_MESSAGES: "[1, null, {}]",
            sc.GEN_AI_OUTPUT_MESSAGES: '[{"parts": [null, 3, {"type": "x"}]}]',
            sc.GEN_AI_RESPONSE_FINISH_REASONS: (),
            sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: "fast",
            sc.GEN_AI_USAGE_COST_AMOUNT: "a lot",
            sc.OTEL_GENAI_RELEASE_DRIFT: 7,
            sc.ENDUSER_PSEUDO_ID: "",
        },
        start_time=10,
        end_time=5,
    ),
    ReadableSpan(
        name="odd numbers",
        context=context(6, trace_id=3),
        attributes={
            sc.GEN_AI_USAGE_COST_AMOUNT: float("nan"),
            sc.OTEL_GENAI_RELEASE_DRIFT: ("model", None),
            sc.OTEL_GENAI_RELEASE_FEATURE: 3,
        },
        start_time=10,
        end_time=5,
    ),
]


def test_export_never_raises_on_odd_spans(output: io.StringIO) -> None:
    exporter = ConsoleTreeExporter(output)
    for span in ODD_SPANS:
        assert exporter.export([span]) in (SpanExportResult.SUCCESS, SpanExportResult.FAILURE)
    exporter.shutdown()
    assert "odd attributes" in output.getvalue()
    assert "odd numbers" in output.getvalue()


def test_export_never_raises_when_the_stream_fails() -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    exporter = ConsoleTreeExporter(Broken())
    tracer = make_tracer(exporter)
    with tracer.start_as_current_span("root"):
        pass
    assert exporter.export([ReadableSpan(name="x", context=context(9))]) is SpanExportResult.FAILURE
    exporter.shutdown()
