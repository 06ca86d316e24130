"""What the OpenAI instrumentor promises, held for every model provider (issue 12, scope item 4).

Each test runs once per provider (OpenAI, Anthropic, Google GenAI, AWS Bedrock) on the provider's real client
answered by its local fake (``helpers.providers``: one small adapter each); a provider whose client library
is not installed is skipped. The promises: the span (``{operation} {model}``, CLIENT, provider, server,
request and response model, response id, finish reasons, usage), tool calls visible without content, the
four metrics with the semconv buckets and the span's identifying attributes, the four content modes (content
where the mode says and nowhere else, valid JSON), redaction of a prompt's e-mail address before the
exporter, streams (the SDK's type, ended exactly once when consumed fully or partly then closed), errors (the
same exception object, ``error.type``, status ERROR, one span), suppression, uninstrument, and zero-code
(``opentelemetry-instrument``) through the entry points.

Attribute names are spelled out here, not taken from ``otel_genai.semconv``, so the tests check the
conventions, not our constants; the bucket boundaries are the conventions' advice, written out too.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode

import otel_genai
from helpers.conformance import SPEC_DURATION_BUCKETS, SPEC_TOKEN_BUCKETS, assert_conforms
from helpers.processes import json_documents, subprocess_env
from helpers.providers import ANSWER, PROVIDERS, TOOL_ARGUMENTS, TOOL_NAME, Provider
from helpers.redacted import RedactedPipeline
from helpers.telemetry import Telemetry, ended_once, exported_metrics, plain

PROMPT = "What is the capital of France?"
EMAIL = "margaret.thornton@example.com"
PII_PROMPT = f"Write to me at {EMAIL} about my order."

TOKEN_USAGE = "gen_ai.client.token.usage"
DURATION = "gen_ai.client.operation.duration"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"
COST = "gen_ai.client.operation.cost"  # the open proposal genai#443; it gives no bucket advice: ours
COST_BUCKETS = (0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50)
EVENT_NAME = "gen_ai.client.inference.operation.details"
INSTRUMENTS = {
    TOKEN_USAGE: ("{token}", SPEC_TOKEN_BUCKETS),
    DURATION: ("s", SPEC_DURATION_BUCKETS),
    TIME_TO_FIRST_CHUNK: ("s", SPEC_DURATION_BUCKETS),
    TIME_PER_OUTPUT_CHUNK: ("s", SPEC_DURATION_BUCKETS),
    COST: ("{USD}", COST_BUCKETS),
}
CONTENT_ATTRIBUTES = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
)
MODES = {  # capture mode -> (content on the span, content on an event)
    "NO_CONTENT": (False, False),
    "SPAN_ONLY": (True, False),
    "EVENT_ONLY": (False, True),
    "SPAN_AND_EVENT": (True, True),
}


@pytest.fixture(params=list(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    """The provider's real client against its local fake; skipped where its library is not installed."""
    adapter = PROVIDERS[request.param]
    for module in adapter.modules:
        pytest.importorskip(module)
    case = adapter()
    case.open()
    yield case
    case.close()


# --- reading what was emitted -------------------------------------------------------------------------


def identity(provider: Provider) -> dict[str, Any]:
    """What names the operation, on the span and on every metric point."""
    address, port = provider.server
    return {
        "gen_ai.operation.name": provider.operation,
        "gen_ai.provider.name": provider.provider_name,
        "gen_ai.request.model": provider.model,
        "server.address": address,
        "server.port": port,
    }


def assert_identity(attributes: Mapping[str, Any], provider: Provider) -> None:
    """The operation's identity, the response model included (absent where the provider names none)."""
    expected = {**identity(provider), "gen_ai.response.model": provider.response_model}
    for key, value in expected.items():
        assert attributes.get(key) == value, (key, attributes.get(key))


def attributes_of(item: Any) -> dict[str, Any]:
    """A span's, event's or log record's attributes as a plain dict."""
    return dict(item.attributes or {})


def details_events(telemetry: Telemetry) -> list[Any]:
    return [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT_NAME]


def expected_messages(prompt: str, answer: str) -> tuple[list[Any], list[Any]]:
    inputs = [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
    outputs = [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
    return inputs, outputs


# === the span ==============================================================================================


def test_plain_call_span(provider: Provider, telemetry: Telemetry) -> None:
    answer = provider.chat(PROMPT)

    assert answer == ANSWER  # the application's response, untouched
    span = assert_conforms(telemetry, operation=provider.operation, content=False)
    assert span.name == provider.span_name
    assert span.kind is SpanKind.CLIENT
    attributes = attributes_of(span)
    assert_identity(attributes, provider)
    assert attributes.get("gen_ai.response.id") == provider.plain.response_id
    assert attributes["gen_ai.response.finish_reasons"] == provider.plain.finish_reasons
    tokens = (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"])
    assert tokens == provider.plain.usage
    assert span.status.status_code is StatusCode.UNSET
    assert telemetry.logs() == []  # no event without content capture


def test_span_is_a_child_of_the_current_span(provider: Provider, telemetry: Telemetry) -> None:
    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("handle request") as parent:
        provider.chat(PROMPT)

    [span] = [s for s in telemetry.spans() if s.name == provider.span_name]
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id


def test_tool_calls_are_visible_without_content(provider: Provider, telemetry: Telemetry) -> None:
    provider.chat_with_tool_call(PROMPT)

    span = assert_conforms(telemetry, operation=provider.operation, content=False)
    attributes = attributes_of(span)
    assert attributes["otel_genai.response.tool_call.count"] == 1
    assert attributes["otel_genai.response.tool_call.names"] == (TOOL_NAME,)
    if provider.tool_call_id is None:  # no id rather than an invented one
        assert "otel_genai.response.tool_call.ids" not in attributes
    else:
        assert attributes["otel_genai.response.tool_call.ids"] == (provider.tool_call_id,)
    assert attributes["gen_ai.response.finish_reasons"] == provider.tool_finish_reasons
    assert not set(CONTENT_ATTRIBUTES) & set(attributes)
    # the arguments and the tool's description are content: nowhere on the span
    everything = json.dumps({key: str(value) for key, value in attributes.items()})
    assert TOOL_ARGUMENTS["city"] not in everything
    assert "Current weather" not in everything
    assert telemetry.logs() == []


def test_tool_call_content_keeps_the_id(
    provider: Provider, make_telemetry: Callable[..., Telemetry], validate_schema: Callable[[str, Any], None]
) -> None:
    telemetry = make_telemetry(capture_content="SPAN_AND_EVENT")

    provider.chat_with_tool_call(PROMPT)

    span = assert_conforms(telemetry, operation=provider.operation, content=True)
    [message] = json.loads(attributes_of(span)["gen_ai.output.messages"])
    validate_schema("gen-ai-output-messages", [message])
    calls = [part for part in message["parts"] if part["type"] == "tool_call"]
    assert calls == [
        {"type": "tool_call", "id": provider.tool_call_id, "name": TOOL_NAME, "arguments": TOOL_ARGUMENTS}
    ]
    assert message["finish_reason"] == "tool_call"
    definitions = json.loads(attributes_of(span)["gen_ai.tool.definitions"])
    validate_schema("gen-ai-tool-definitions", definitions)
    assert [(d["type"], d["name"]) for d in definitions] == [("function", TOOL_NAME)]
    [event] = details_events(telemetry)
    assert plain(attributes_of(event)["gen_ai.output.messages"]) == [message]


# === metrics ===============================================================================================


def assert_instruments(telemetry: Telemetry, names: set[str]) -> None:
    """Exactly these GenAI instruments, each with the conventions' unit and bucket boundaries."""
    exported = exported_metrics(telemetry.metric_reader)
    assert set(exported) == names
    for name in names:
        unit, buckets = INSTRUMENTS[name]
        assert exported[name].unit == unit, name
        for point in exported[name].data.data_points:
            assert tuple(point.explicit_bounds) == buckets, name


def assert_operation_metrics(telemetry: Telemetry, provider: Provider, usage: tuple[int, int]) -> None:
    """One duration and one input / output token measurement, carrying the span's identity."""
    points = telemetry.metrics()
    [duration] = points[DURATION]
    assert duration.count == 1
    assert_identity(duration.attributes, provider)
    assert "error.type" not in duration.attributes
    tokens = {attributes_of(p)["gen_ai.token.type"]: p for p in points[TOKEN_USAGE]}
    assert set(tokens) == {"input", "output"}
    assert (tokens["input"].sum, tokens["output"].sum) == usage
    for point in tokens.values():
        assert point.count == 1
        assert_identity(point.attributes, provider)


def test_plain_call_metrics(provider: Provider, telemetry: Telemetry) -> None:
    provider.chat(PROMPT)

    assert_instruments(
        telemetry, {TOKEN_USAGE, DURATION, COST} if provider.priced else {TOKEN_USAGE, DURATION}
    )
    assert_operation_metrics(telemetry, provider, provider.plain.usage)


def expected_cost(span_attributes: Mapping[str, Any], price: Any) -> float:
    """Tokens x price, as the provider bills them: cached reads and cache writes at their own prices,
    reasoning at the reasoning (else output) price; the input and output counts include those."""
    count = span_attributes.get
    cache_read = count("gen_ai.usage.cache_read.input_tokens", 0)
    cache_write = count("gen_ai.usage.cache_write.input_tokens", 0)
    reasoning = count("gen_ai.usage.reasoning.output_tokens", 0)
    uncached = count("gen_ai.usage.input_tokens") - cache_read - cache_write
    answer = count("gen_ai.usage.output_tokens") - reasoning
    per_million = (
        uncached * price.input
        + cache_read * (price.cached_input if price.cached_input is not None else price.input)
        + cache_write * (price.cache_write if price.cache_write is not None else price.input)
        + answer * price.output
        + reasoning * (price.reasoning if price.reasoning is not None else price.output)
    )
    return per_million / 1_000_000


@pytest.mark.parametrize("call", ["plain", "stream"])
def test_cost_is_tokens_times_the_shipped_price(provider: Provider, telemetry: Telemetry, call: str) -> None:
    from otel_genai.llmops.prices import PriceTable

    if call == "plain":
        provider.chat(PROMPT)
    else:
        provider.drain(provider.stream(PROMPT))
    span_attributes = attributes_of(ended_once(telemetry))
    if not provider.priced:  # no price, so no cost: never zero, never a look-alike's
        assert not [name for name in span_attributes if "cost" in name]
        assert COST not in telemetry.metrics()
        return
    model = span_attributes.get("gen_ai.response.model") or provider.model
    price = PriceTable.load(None).price(provider.provider_name, model)
    assert price is not None, f"the shipped table prices {model}"
    cost = expected_cost(span_attributes, price)
    assert cost > 0
    assert span_attributes["gen_ai.usage.cost.amount"] == pytest.approx(cost, rel=1e-9)
    assert span_attributes["gen_ai.usage.cost.currency"] == "USD"
    assert span_attributes["gen_ai.usage.cost.source"] == provider.cost_source(call)
    if provider.cost_source(call) == "local":
        assert span_attributes["otel_genai.usage.cost.price_table"] == price.table
    [point] = telemetry.metrics()[COST]
    assert point.sum == pytest.approx(cost, rel=1e-9)
    assert_identity(point.attributes, provider)


def test_stream_metrics(provider: Provider, telemetry: Telemetry) -> None:
    provider.drain(provider.stream(PROMPT))

    assert_instruments(telemetry, set(INSTRUMENTS) if provider.priced else set(INSTRUMENTS) - {COST})
    assert_operation_metrics(telemetry, provider, provider.streamed.usage)
    points = telemetry.metrics()
    [first] = points[TIME_TO_FIRST_CHUNK]
    assert first.count == 1
    assert first.sum == attributes_of(ended_once(telemetry))["gen_ai.response.time_to_first_chunk"]
    [per_chunk] = points[TIME_PER_OUTPUT_CHUNK]
    assert per_chunk.count >= 1  # one interval per chunk after the first
    for point in (first, per_chunk):  # the common attributes; no token type
        assert_identity(point.attributes, provider)
        assert "gen_ai.token.type" not in point.attributes


# === content modes =========================================================================================


@pytest.mark.parametrize("call", ["plain", "stream"])
@pytest.mark.parametrize("mode", list(MODES))
def test_content_modes(
    provider: Provider,
    make_telemetry: Callable[..., Telemetry],
    validate_schema: Callable[[str, Any], None],
    mode: str,
    call: str,
) -> None:
    telemetry = make_telemetry(capture_content=mode)
    on_span, on_event = MODES[mode]

    answer = provider.chat(PROMPT) if call == "plain" else provider.drain(provider.stream(PROMPT))

    assert answer == ANSWER
    span = assert_conforms(telemetry, operation=provider.operation, content=on_span, stream=call == "stream")
    expected_input, expected_output = expected_messages(PROMPT, ANSWER)
    attributes = attributes_of(span)
    if on_span:
        assert json.loads(attributes["gen_ai.input.messages"]) == expected_input
        assert json.loads(attributes["gen_ai.output.messages"]) == expected_output
    else:
        assert not set(CONTENT_ATTRIBUTES) & set(attributes)
        assert PROMPT not in json.dumps({key: str(value) for key, value in attributes.items()})
    events = details_events(telemetry)
    assert len(telemetry.logs()) == len(events)  # nothing else is logged
    if not on_event:
        assert events == []
        return
    [event] = events
    assert (event.trace_id, event.span_id) == (span.context.trace_id, span.context.span_id)
    assert_identity(event.attributes, provider)
    for name, expected in (
        ("gen_ai.input.messages", expected_input),
        ("gen_ai.output.messages", expected_output),
    ):
        value = attributes_of(event)[name]
        assert not isinstance(value, str), f"{name} is structured on events"
        assert plain(value) == expected
        validate_schema(name.replace("gen_ai.", "gen-ai-").replace(".", "-"), plain(value))


# === redaction =============================================================================================


@pytest.fixture(params=["SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT"])
def redacted_telemetry(request: pytest.FixtureRequest) -> Iterator[RedactedPipeline]:
    """Content captured where the mode says, the real redacting processor (Presidio) before that exporter.

    With both (``SPAN_AND_EVENT``) the two processors' workers share one detector and analyse at the same
    time (they take turns inside it: spaCy's memory zones are per pipeline).
    """
    mode = request.param
    pipeline = RedactedPipeline.start(mode, redact_spans="SPAN" in mode, redact_logs="EVENT" in mode)
    yield pipeline
    otel_genai.uninstrument()
    pipeline.shutdown()


def test_an_email_in_the_prompt_never_reaches_the_exporter(
    provider: Provider, redacted_telemetry: RedactedPipeline
) -> None:
    telemetry = redacted_telemetry
    redacted_prompt = PII_PROMPT.replace(EMAIL, "<EMAIL_ADDRESS>")

    assert provider.chat(PII_PROMPT) == ANSWER
    with pytest.raises(provider.error_class()):  # a refusal quoting the prompt: error text is content
        provider.fail(PII_PROMPT, f"Rate limit reached for a request from {EMAIL}.")
    telemetry.flush()

    leaks = [where for where, text in telemetry.exported_texts() if EMAIL in text]
    assert leaks == []
    answered, failed = telemetry.span_exporter.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert attributes_of(failed)["error.type"] == provider.error_type
    expected_input = [{"role": "user", "parts": [{"type": "text", "content": redacted_prompt}]}]
    events = [log.log_record for log in telemetry.log_exporter.get_finished_logs()]
    if "SPAN" in telemetry.mode:
        assert json.loads(attributes_of(answered)["gen_ai.input.messages"]) == expected_input
        assert "<EMAIL_ADDRESS>" in (failed.status.description or "")  # the message, redacted
    else:
        assert not set(CONTENT_ATTRIBUTES) & set(answered.attributes or {})
        assert failed.status.description == provider.error_type  # the message stays off the span
    if "EVENT" in telemetry.mode:
        assert [plain(attributes_of(e)["gen_ai.input.messages"]) for e in events] == [expected_input] * 2
    else:
        assert events == []


# === streams ===============================================================================================


def test_stream_consumed_fully(provider: Provider, telemetry: Telemetry) -> None:
    stream = provider.stream(PROMPT)

    assert isinstance(stream, provider.stream_types())  # the SDK's type, helpers and all
    assert telemetry.spans() == []  # the span lasts as long as the stream
    assert provider.drain(stream) == ANSWER

    span = assert_conforms(telemetry, operation=provider.operation, content=False, stream=True)
    attributes = attributes_of(span)
    assert span.name == provider.span_name and span.kind is SpanKind.CLIENT
    assert_identity(attributes, provider)
    assert attributes.get("gen_ai.response.id") == provider.streamed.response_id
    assert attributes["gen_ai.response.finish_reasons"] == provider.streamed.finish_reasons
    tokens = (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"])
    assert tokens == provider.streamed.usage
    assert attributes["gen_ai.response.time_to_first_chunk"] >= 0
    provider.close_stream(stream)  # closing a finished stream ends nothing twice
    ended_once(telemetry)


@pytest.mark.parametrize("mode", ["NO_CONTENT", "SPAN_ONLY"])
def test_stream_read_partly_then_closed(
    provider: Provider, make_telemetry: Callable[..., Telemetry], mode: str
) -> None:
    telemetry = make_telemetry(capture_content=mode)
    stream = provider.stream(PROMPT)

    received = provider.read_partly(stream)
    assert received and ANSWER.startswith(received)
    assert telemetry.spans() == []
    provider.close_stream(stream)

    span = ended_once(telemetry)
    attributes = attributes_of(span)
    assert span.status.status_code is StatusCode.UNSET and "error.type" not in attributes
    # no finish reason arrived: the conventions' value for one that is not known, in every capture mode
    assert attributes["gen_ai.response.finish_reasons"] == ("error",)
    assert "gen_ai.usage.output_tokens" not in attributes  # the final usage never arrived
    if mode == "SPAN_ONLY":  # what was received before closing is what the output shows
        [message] = json.loads(attributes["gen_ai.output.messages"])
        assert message["parts"] == [{"type": "text", "content": received}]
        assert message["finish_reason"] == "error"
    provider.close_stream(stream)  # closing again ends nothing twice
    ended_once(telemetry)
    assert_conforms(telemetry, operation=provider.operation, stream=True)


# === errors ================================================================================================


def test_failed_call(provider: Provider, telemetry: Telemetry, failures: list[BaseException]) -> None:
    refusal = f"Rate limit reached: {PROMPT}"

    with pytest.raises(provider.error_class()) as raised:
        provider.fail(PROMPT, refusal)

    assert type(raised.value) is provider.error_class()
    assert failures == [raised.value]  # the very object the SDK raised reaches the application
    span = assert_conforms(
        telemetry, operation=provider.operation, content=False, failed=True, error_type=provider.error_type
    )
    assert span.name == provider.span_name and span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == provider.error_type  # the message quotes the prompt: content
    assert identity(provider).items() <= attributes_of(span).items()  # no response: no response model
    assert "gen_ai.response.model" not in attributes_of(span)
    [duration] = telemetry.metrics()[DURATION]
    assert attributes_of(duration)["error.type"] == provider.error_type
    assert TOKEN_USAGE not in telemetry.metrics()
    assert PROMPT not in json.dumps([str(e.attributes) for e in span.events])


# === switched off ==========================================================================================


def test_suppressed_instrumentation_emits_nothing(provider: Provider, telemetry: Telemetry) -> None:
    with suppress_instrumentation():
        assert provider.chat(PROMPT) == ANSWER
        assert provider.drain(provider.stream(PROMPT)) == ANSWER

    assert telemetry.spans() == []
    assert telemetry.metrics() == {}


@pytest.mark.parametrize("how", ["uninstrument", "shutdown"])
def test_turned_off_restores_the_client(
    provider: Provider, make_telemetry: Callable[..., Telemetry], how: str
) -> None:
    telemetry = make_telemetry()
    provider.chat(PROMPT)
    assert len(telemetry.spans()) == 1

    if how == "uninstrument":
        otel_genai.uninstrument()
    else:
        telemetry.instrumentation.shutdown()

    assert provider.chat(PROMPT) == ANSWER
    stream = provider.stream(PROMPT)
    assert not isinstance(stream, wrapt.ObjectProxy)  # the SDK's own object again
    assert provider.drain(stream) == ANSWER
    assert len(telemetry.spans()) == 1


# === instrument() before the application imports its client library ======================================

NEW_PROVIDERS = tuple(key for key in PROVIDERS if key != "openai")  # every provider after the first
LATE_IMPORT_APP = """
import json, sys
sys.path.insert(0, {tests!r})
import otel_genai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from helpers.providers import PROVIDERS

exporter = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
handle = otel_genai.instrument(tracer_provider=tracer_provider, exporter="none")
adapter = PROVIDERS[sys.argv[1]]
before = {{"imported": [m for m in adapter.modules if m in sys.modules], "deferred": list(handle.deferred)}}
provider = adapter()  # the application imports its client library now, after instrument()
provider.open()
try:
    provider.chat("Say hello.")
finally:
    provider.close()
print(json.dumps({{
    "before": before, "instrumented": list(handle.instrumented),
    "spans": [s.name for s in exporter.get_finished_spans()],
}}))
"""


@pytest.mark.parametrize("key", NEW_PROVIDERS)
def test_instrumented_when_imported_after_instrument(key: str) -> None:
    """The registry's post-import hook turns the instrumentor on when the application imports the library."""
    adapter = PROVIDERS[key]
    for module in adapter.modules:
        pytest.importorskip(module)
    script = LATE_IMPORT_APP.format(tests=str(Path(__file__).parent))
    result = subprocess.run(
        [sys.executable, "-c", script, key], capture_output=True, text=True, env=subprocess_env(), timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"]["imported"] == []
    assert key in report["before"]["deferred"]
    assert key in report["instrumented"]
    assert report["spans"] == [adapter().span_name]


# === zero-code =============================================================================================

ZERO_CODE_APP = """
import json, sys
sys.path.insert(0, {tests!r})
from helpers.providers import PROVIDERS

answers = {{}}
for key in sys.argv[2:]:
    provider = PROVIDERS[key]()
    provider.open()
    try:
        answers[key] = provider.chat("Say hello.")
    finally:
        provider.close()
with open(sys.argv[1], "w") as out:
    json.dump(answers, out)
"""


def _installed(key: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in PROVIDERS[key].modules)


@pytest.fixture(scope="module")
def zero_code_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], dict[str, Any]]]:
    """``opentelemetry-instrument python app.py``: one child calling each new provider once.

    Started when this module's first test runs (if the zero-code test is selected), so it runs beside the
    in-process tests; the zero-code test waits for it.
    """
    keys = [key for key in NEW_PROVIDERS if _installed(key)]
    root = tmp_path_factory.mktemp("zero_code")
    app, output = root / "app.py", root / "answers.json"
    app.write_text(ZERO_CODE_APP.format(tests=str(Path(__file__).parent)))
    env = {
        **subprocess_env(),
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_SERVICE_NAME": "zero-code-providers",
    }
    instrument = Path(sys.executable).parent / "opentelemetry-instrument"
    command = [str(instrument), sys.executable, str(app), str(output), *keys]
    process = subprocess.Popen(
        command, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def result() -> dict[str, Any]:
        stdout, stderr = process.communicate(timeout=60)
        return {
            "keys": keys,
            "returncode": process.returncode,
            "stdout": stdout,
            "stderr": stderr,
            "answers": json.loads(output.read_text()) if output.exists() else None,
        }

    yield result
    if process.poll() is None:
        process.kill()
        process.communicate()


# Without the distro (a library leg of `make test-matrix`), `opentelemetry-instrument` configures no SDK.
HAS_DISTRO = importlib.util.find_spec("opentelemetry.distro") is not None


@pytest.fixture(scope="module", autouse=True)
def _start_zero_code_early(request: pytest.FixtureRequest) -> None:
    """Start the child with the module's first test when the zero-code test will run (else never)."""
    selected = any(item.name == "test_zero_code_traces_each_new_provider" for item in request.session.items)
    if selected and HAS_DISTRO:
        request.getfixturevalue("zero_code_app")


@pytest.mark.skipif(not HAS_DISTRO, reason="opentelemetry-distro is not installed")
def test_zero_code_traces_each_new_provider(zero_code_app: Callable[[], dict[str, Any]]) -> None:
    run = zero_code_app()
    if not run["keys"]:
        pytest.skip("none of anthropic, google-genai, boto3 is installed")
    assert run["returncode"] == 0 and run["answers"] is not None, run["stderr"][-3000:]
    assert run["answers"] == {key: ANSWER for key in run["keys"]}

    # the SDK's console exporter prints one JSON document per span
    spans = [s for s in json_documents(run["stdout"]) if "kind" in s and "attributes" in s]
    by_provider: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_provider.setdefault(span["attributes"].get("gen_ai.provider.name"), []).append(span)
    expected = {adapter.provider_name: adapter for adapter in (PROVIDERS[key]() for key in run["keys"])}
    assert set(by_provider) == set(expected), [s["name"] for s in spans]  # no other span (no native one)
    for name, adapter in expected.items():
        [span] = by_provider[name]  # one span per call
        assert span["name"] == f"{adapter.operation} {adapter.model}"
        assert span["kind"] == "SpanKind.CLIENT"
        attributes = span["attributes"]
        assert attributes["gen_ai.operation.name"] == adapter.operation
        assert attributes["gen_ai.request.model"] == adapter.model
        assert attributes["gen_ai.usage.input_tokens"] == adapter.plain.usage[0]
        assert attributes["server.address"] and attributes["server.port"]
        assert "gen_ai.input.messages" not in attributes  # content off by default
        assert span["resource"]["attributes"]["service.name"] == "zero-code-providers"
