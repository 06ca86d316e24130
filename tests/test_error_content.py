"""Error text is content: an error message that quotes the user never reaches the exporter raw.

A provider's 400 often repeats the offending prompt, and a tool's exception says what it could not find.
Every provider path and our decorators fail here with an e-mail address, an SSN and a card number in the
error text, in three capture modes:

- ``NO_CONTENT`` (the default) and ``EVENT_ONLY`` (spans carry no content): the exported spans go through a
  plain ``SimpleSpanProcessor``, so what we write must already be clean: status description = ``error.type``,
  an ``exception`` event with the type, a stack trace of frames and type names, no message;
- ``SPAN_AND_EVENT`` with the real ``RedactingSpanProcessor`` / ``RedactingLogRecordProcessor`` (Presidio):
  the full exception event and the message as status description, redacted.

In every mode the error stays visible: status ERROR and ``error.type``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from opentelemetry.util._once import Once

import otel_genai
from helpers.openai_fakes import MODEL, responses_body
from helpers.redacted import RedactedPipeline
from otel_genai import _setup
from otel_genai.redaction import (
    FAILED_MARKER,
    RedactingSpanProcessor,
    RedactionPolicy,
)
from otel_genai.redaction.engine import Finding
from otel_genai.telemetry.errors import MESSAGE_NOT_CAPTURED, stacktrace_without_messages

EMAIL = "margaret.thornton@example.com"
SSN = "987-65-4321"
CARD = "4111 1111 1111 1111"
# What the user typed, and what a provider or a tool says back about it.
PROMPT = f"My e-mail is {EMAIL}, my SSN is {SSN} and my card is {CARD}."
ERROR_TEXT = f"no customer matches {EMAIL} (SSN {SSN}, card {CARD})"
RAW = (EMAIL, SSN, CARD, CARD.replace(" ", ""))

MODES = ["NO_CONTENT", "EVENT_ONLY", "SPAN_AND_EVENT"]


# --- the pipeline -----------------------------------------------------------------------------------


class Pipeline(RedactedPipeline):
    """One ``instrument()`` with in-memory exporters; redacting processors where content is captured."""

    @property
    def spans_redacted(self) -> bool:
        return self.mode == "SPAN_AND_EVENT"

    def span(self, name: str) -> ReadableSpan:
        """Our one span of that name (the MCP SDK's server span has the same name)."""
        found = [s for s in self.spans("otel_genai") if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]


@pytest.fixture
def make_pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Pipeline]]:
    monkeypatch.setattr(
        _setup,
        "INSTRUMENTORS",
        {**_setup.INSTRUMENTORS, "mcp": ("mcp", "otel_genai.instrumentation.mcp:MCPInstrumentor")},
    )
    made: list[Pipeline] = []

    def make(mode: str, instrumentors: list[str], *, global_provider: bool = False) -> Pipeline:
        pipeline = Pipeline.start(
            mode,
            redact_spans=mode == "SPAN_AND_EVENT",
            redact_logs=mode != "NO_CONTENT",
            instrumentors=instrumentors,
        )
        made.append(pipeline)
        if global_provider:  # the MCP SDK traces through the global provider
            import mcp.shared._otel as mcp_otel

            monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
            monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
            trace.set_tracer_provider(pipeline.tracer_provider)
            monkeypatch.setattr(mcp_otel, "_tracer", trace.get_tracer("mcp-python-sdk"))
        return pipeline

    yield make
    otel_genai.uninstrument()
    for pipeline in made:
        pipeline.shutdown()


# --- what is exported -----------------------------------------------------------------------------


def assert_no_raw_error_text(pipeline: Pipeline, scope: str | None = None) -> None:
    leaks = [(where, raw) for where, text in pipeline.exported_texts(scope) for raw in RAW if raw in text]
    assert leaks == []


def assert_failed(pipeline: Pipeline, span: ReadableSpan, error_type: str, *, raised: bool = True) -> None:
    """Still visibly failed; described as the mode allows."""
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_type
    events = [e for e in span.events if e.name == "exception"]
    assert len(events) == (1 if raised else 0)
    if pipeline.spans_redacted:
        if raised:  # the message, redacted: the status still says what went wrong
            assert "<EMAIL_ADDRESS>" in span.status.description
            assert "<EMAIL_ADDRESS>" in events[0].attributes["exception.message"]
            assert span.attributes["redaction.pii.count"] >= 3
        return
    assert span.status.description == error_type
    if raised:
        event = events[0].attributes
        assert event["exception.message"] == MESSAGE_NOT_CAPTURED
        assert event["exception.type"]
        assert "Traceback (most recent call last)" in event["exception.stacktrace"]
        assert event["exception.escaped"] == "False"


# --- OpenAI ---------------------------------------------------------------------------------------


def openai_400(code: str | None) -> dict[str, Any]:
    """A 400 whose message quotes the prompt, as OpenAI's do."""
    message = f"Invalid 'messages[0].content': the content '{PROMPT}' was flagged."
    return {"error": {"message": message, "type": "invalid_request_error", "param": "input", "code": code}}


# Each OpenAI API's 400: where it goes, how the client calls it, the span it fails and the error.type.
OPENAI_400S = {
    "chat": (
        "/chat/completions",
        None,
        lambda client: client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT}]
        ),
        f"chat {MODEL}",
        "BadRequestError",
    ),
    "responses-with-a-code": (
        "/responses",
        "invalid_prompt",
        lambda client: client.responses.create(model=MODEL, input=PROMPT),
        f"chat {MODEL}",
        "invalid_prompt",  # the provider's code
    ),
    "embeddings": (
        "/embeddings",
        None,
        lambda client: client.embeddings.create(model="text-embedding-3-small", input=PROMPT),
        "embeddings text-embedding-3-small",
        "BadRequestError",
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", OPENAI_400S)
def test_openai_400(
    make_pipeline: Callable[..., Pipeline], client: Any, fake_openai: Any, mode: str, api: str
) -> None:
    import openai

    path, code, call, span_name, error_type = OPENAI_400S[api]
    pipeline = make_pipeline(mode, ["openai"])
    fake_openai.reply(path, openai_400(code), status=400)
    with pytest.raises(openai.BadRequestError) as raised:
        call(client)

    assert EMAIL in str(raised.value)  # the provider did echo it
    assert_failed(pipeline, pipeline.span(span_name), error_type)
    assert_no_raw_error_text(pipeline)


@pytest.mark.parametrize("mode", MODES)
def test_openai_responses_failed_response(
    make_pipeline: Callable[..., Pipeline], client: Any, fake_openai: Any, mode: str
) -> None:
    """A ``failed`` response is returned, not raised: its ``error.message`` is never recorded."""
    pipeline = make_pipeline(mode, ["openai"])
    error = {"code": "server_error", "message": f"could not answer '{PROMPT}'"}
    fake_openai.reply("/responses", responses_body(output=[], status="failed", error=error))
    response = client.responses.create(model=MODEL, input=PROMPT)

    assert response.status == "failed"
    assert_failed(pipeline, pipeline.span(f"chat {MODEL}"), "server_error", raised=False)
    assert_no_raw_error_text(pipeline)


# --- a vector store -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_chroma_error_echoing_the_filter(
    make_pipeline: Callable[..., Pipeline], chroma_client: Any, mode: str
) -> None:
    collection = chroma_client.create_collection("customers")
    collection.add(ids=["a"], documents=["a customer"], embeddings=[[0.1, 0.2, 0.3]])
    pipeline = make_pipeline(mode, ["chromadb"])
    with pytest.raises(ValueError, match="exactly one operator") as raised:  # Chroma quotes the filter
        collection.get(ids=["a"], where_document={"$contains": "x", "note": ERROR_TEXT})

    assert EMAIL in str(raised.value)
    [span] = pipeline.spans()
    assert_failed(pipeline, span, "ValueError")
    assert_no_raw_error_text(pipeline)


# --- LangChain ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_langchain_retriever(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    from langchain_core.retrievers import BaseRetriever

    class CustomerRetriever(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Any]:
            raise LookupError(f"no customer matches {query!r}")

    pipeline = make_pipeline(mode, ["langchain"])
    with pytest.raises(LookupError):
        CustomerRetriever().invoke(PROMPT)

    [span] = pipeline.spans()
    assert_failed(pipeline, span, "LookupError")
    assert_no_raw_error_text(pipeline)


def _lookup_customer(email: str) -> str:
    """Looks a customer up."""
    raise KeyError(f"no customer matches {email} (SSN {SSN}, card {CARD})")


@pytest.mark.parametrize("mode", MODES)
def test_langchain_tool(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    from langchain_core.tools import StructuredTool

    lookup = StructuredTool.from_function(_lookup_customer, name="lookup_customer")
    pipeline = make_pipeline(mode, ["langchain"])
    with pytest.raises(KeyError):
        lookup.invoke(
            {"type": "tool_call", "id": "call_1", "name": "lookup_customer", "args": {"email": EMAIL}}
        )

    assert_failed(pipeline, pipeline.span("execute_tool lookup_customer"), "KeyError")
    assert_no_raw_error_text(pipeline)


@pytest.mark.parametrize("mode", MODES)
def test_langchain_handled_tool_error(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    """``handle_tool_error``: the error text becomes the tool's result, which is content."""
    from langchain_core.tools import StructuredTool, ToolException

    def refuse(email: str) -> str:
        """Refuses."""
        raise ToolException(ERROR_TEXT)

    lookup = StructuredTool.from_function(refuse, name="refuse", handle_tool_error=True)
    pipeline = make_pipeline(mode, ["langchain"])
    output = lookup.invoke({"email": EMAIL})

    assert output == ERROR_TEXT  # what LangChain hands back to the agent
    span = pipeline.span("execute_tool refuse")
    assert_failed(pipeline, span, "tool_error", raised=False)
    assert_no_raw_error_text(pipeline)


# --- MCP ------------------------------------------------------------------------------------------


def customer_server() -> Any:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.shared.exceptions import MCPError

    server = MCPServer("customers", version="1.0.0")

    @server.tool()
    def lookup(email: str) -> str:  # a deliberate ToolError reaches the client with its text
        raise ToolError(f"no customer matches {email} (SSN {SSN}, card {CARD})")

    @server.tool()
    def strict(email: str) -> str:
        raise MCPError(code=-32602, message=f"unknown customer {email} (SSN {SSN}, card {CARD})")

    return server


@pytest.mark.parametrize("mode", MODES)
async def test_mcp_tool_call(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    pipeline = make_pipeline(mode, ["mcp"], global_provider=True)
    async with Client(customer_server(), mode="legacy") as client:  # the SDK's own spans too
        result = await client.call_tool("lookup", {"email": EMAIL})
        with pytest.raises(MCPError) as raised:
            await client.call_tool("strict", {"email": EMAIL})

    assert result.is_error and EMAIL in result.content[0].text
    assert EMAIL in str(raised.value)
    assert_failed(pipeline, pipeline.span("tools/call lookup"), "tool_error", raised=False)
    assert_failed(pipeline, pipeline.span("tools/call strict"), "-32602")
    # Capture off, the MCP SDK's own server spans (same process, same provider here) are the library's
    # business; with content on spans, the redacting processor cleans every span it exports.
    assert_no_raw_error_text(pipeline, None if pipeline.spans_redacted else "otel_genai")


# --- our decorators -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_tool_decorator(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    @otel_genai.tool
    def find_customer(email: str) -> str:
        """Finds a customer."""
        raise LookupError(f"no customer matches {email} (SSN {SSN}, card {CARD})")

    pipeline = make_pipeline(mode, [])
    with pytest.raises(LookupError):
        find_customer(EMAIL)

    assert_failed(pipeline, pipeline.span("execute_tool find_customer"), "LookupError")
    assert_no_raw_error_text(pipeline)


@pytest.mark.parametrize("mode", MODES)
def test_retriever_decorator(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    @otel_genai.retriever
    def search_customers(query: str) -> list[str]:
        raise LookupError(f"nothing for {query!r}")

    pipeline = make_pipeline(mode, [])
    with pytest.raises(LookupError):
        search_customers(PROMPT)

    [span] = pipeline.spans()
    assert_failed(pipeline, span, "LookupError")
    assert_no_raw_error_text(pipeline)


@pytest.mark.parametrize("mode", MODES)
def test_run_tool_with_a_chained_error(make_pipeline: Callable[..., Pipeline], mode: str) -> None:
    """The cause's message is inside a chained stack trace too: both are left out (or redacted)."""

    def charge(email: str, card: str) -> str:
        try:
            raise ConnectionError(f"gateway refused {card}")
        except ConnectionError as error:
            raise RuntimeError(f"could not charge {email} (SSN {SSN})") from error

    call = {
        "id": "call_9",
        "type": "function",
        "function": {"name": "charge", "arguments": json.dumps({"email": EMAIL, "card": CARD})},
    }
    pipeline = make_pipeline(mode, [])
    with pytest.raises(RuntimeError):
        otel_genai.run_tool(call, charge)

    span = pipeline.span("execute_tool charge")
    assert_failed(pipeline, span, "RuntimeError")
    assert_no_raw_error_text(pipeline)
    if not pipeline.spans_redacted:
        [event] = span.events
        stacktrace = event.attributes["exception.stacktrace"]
        assert "ConnectionError\n\nThe above exception was the direct cause" in stacktrace
        assert stacktrace.rstrip().endswith("RuntimeError")


# --- redaction turned off -------------------------------------------------------------------------


def test_content_on_spans_without_redaction_is_raw_as_asked(
    make_telemetry: Callable[..., Any],
) -> None:
    """The user's policy said no redaction: the error text is content they asked to see."""
    telemetry = make_telemetry(capture_content=True, redaction=False)

    @otel_genai.tool
    def find_customer(email: str) -> str:
        """Finds a customer."""
        raise LookupError(ERROR_TEXT)

    with pytest.raises(LookupError):
        find_customer(EMAIL)

    span = telemetry.span()
    assert span.status.description == ERROR_TEXT
    [event] = span.events
    assert event.attributes["exception.message"] == ERROR_TEXT


# --- the redactor: the status description is a content field --------------------------------------


class EmailDetector:
    """Finds e-mail addresses; raises on texts containing ``explode``."""

    description = "fake"

    def load(self) -> None:
        pass

    def analyze_iter(
        self, texts: list[str], *, ner: bool = True
    ) -> Iterator[tuple[int, tuple[Finding, ...]]]:
        for index, text in enumerate(texts):
            if "explode" in text:
                raise RuntimeError("analysis failed")
            start = text.find(EMAIL)
            yield index, ((Finding(start, start + len(EMAIL), "EMAIL_ADDRESS", 1.0),) if start >= 0 else ())


def failed_span(provider: TracerProvider, description: str, error_type: str | None = "LookupError") -> None:
    from opentelemetry.trace import Status

    span = provider.get_tracer("app").start_span("lookup")
    if error_type:
        span.set_attribute("error.type", error_type)
    span.set_status(Status(StatusCode.ERROR, description))
    span.end()


def redacting(
    detector: Any, **kwargs: Any
) -> tuple[TracerProvider, RedactingSpanProcessor, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    processor = RedactingSpanProcessor(
        exporter,
        RedactionPolicy(time_budget_seconds=5),
        detector=detector,
        schedule_delay_millis=20,
        **kwargs,
    )
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    return provider, processor, exporter


def test_the_redactor_redacts_a_status_description() -> None:
    provider, processor, exporter = redacting(EmailDetector())
    try:
        failed_span(provider, f"no customer matches {EMAIL}")
        failed_span(provider, "LookupError")  # just the error type: not content, left alone
        assert processor.force_flush(10_000)
    finally:
        processor.shutdown()
    redacted, plain = exporter.get_finished_spans()
    assert redacted.status.status_code is StatusCode.ERROR
    assert redacted.status.description == "no customer matches <EMAIL_ADDRESS>"
    assert redacted.attributes["redaction.pii.count"] == 1
    assert plain.status.description == "LookupError"
    assert "redaction.pii.count" not in plain.attributes


def test_a_status_description_whose_analysis_fails_becomes_the_marker() -> None:
    provider, processor, exporter = redacting(EmailDetector())
    try:
        failed_span(provider, f"explode on {EMAIL}")
        assert processor.force_flush(10_000)
    finally:
        processor.shutdown()
    [span] = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == FAILED_MARKER
    assert span.attributes["error.type"] == "LookupError"


@pytest.mark.parametrize("error_type", ["LookupError", None], ids=["error-type", "no-error-type"])
def test_a_stripped_span_keeps_only_the_error_type_as_status(error_type: str | None) -> None:
    """Overload strips content: the status description becomes the error type (or the strip marker)."""
    from otel_genai.redaction import STRIPPED_MARKER
    from otel_genai.redaction.redactor import Redactor

    provider = TracerProvider(shutdown_on_exit=False)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    failed_span(provider, f"no customer matches {EMAIL}", error_type)
    [original] = exporter.get_finished_spans()

    [stripped] = Redactor(RedactionPolicy(), detector=EmailDetector()).strip_spans([original], "queue_full")
    assert stripped.status.status_code is StatusCode.ERROR
    assert stripped.status.description == (error_type or STRIPPED_MARKER)
    assert stripped.attributes["redaction.content.stripped"] == "queue_full"


# --- the stack trace without messages ---------------------------------------------------------------


def test_stacktrace_without_messages_keeps_frames_types_and_links() -> None:
    def inner() -> None:
        raise KeyError(EMAIL)

    def outer() -> None:
        try:
            inner()
        except KeyError as error:
            raise ValueError(CARD) from error

    try:
        try:
            outer()
        except ValueError:
            raise RuntimeError(SSN)  # noqa: B904 (the implicit context is what this checks)
    except RuntimeError as error:
        caught = error

    text = stacktrace_without_messages(caught)
    assert not [raw for raw in RAW if raw in text]
    assert text.count("Traceback (most recent call last):") == 3
    assert "KeyError\n\nThe above exception was the direct cause of the following exception:" in text
    assert "ValueError\n\nDuring handling of the above exception, another exception occurred:" in text
    assert "in inner\n" in text and "in outer\n" in text
    assert text.rstrip().endswith("RuntimeError")


@pytest.mark.parametrize("with_message", [False, True], ids=["content-off", "content-on"])
def test_a_failed_mcp_listing_follows_the_capture_mode(with_message: bool) -> None:
    """``tools/list`` spans are ours but not the handler's: the same rule holds."""
    from otel_genai.instrumentation import mcp as mcp_instrumentation

    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = provider.get_tracer("otel_genai").start_span("tools/list")
    try:
        raise ConnectionError(ERROR_TEXT)
    except ConnectionError as error:
        mcp_instrumentation._end_failed(span, error, with_message)

    [exported] = exporter.get_finished_spans()
    assert exported.status.status_code is StatusCode.ERROR
    assert exported.attributes["error.type"] == "ConnectionError"
    [event] = exported.events
    if with_message:  # for the redacting processor
        assert exported.status.description == ERROR_TEXT
        assert event.attributes["exception.message"] == ERROR_TEXT
    else:
        assert exported.status.description == "ConnectionError"
        assert event.attributes["exception.message"] == MESSAGE_NOT_CAPTURED
        assert not [raw for raw in RAW if raw in event.attributes["exception.stacktrace"]]
