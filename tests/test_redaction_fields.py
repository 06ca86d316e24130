"""The structure-aware layer of redaction, without the real engine.

A fake detector (``RedactingSpanProcessor(..., detector=...)``) finds given substrings, or flags every text
it is handed, so these tests pin down what is analysed, what is kept, how findings are replaced, and how
spans and log records are rebuilt; ``otel_genai.redaction.fields`` / ``redactor`` are also called directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, TraceFlags

from helpers.telemetry import NEEDS_LOG_EXCEPTIONS, InMemoryLogRecordExporter, redacted_entity_counts
from otel_genai.redaction import RedactingLogRecordProcessor, RedactingSpanProcessor, RedactionPolicy
from otel_genai.redaction.engine import Finding
from otel_genai.redaction.fields import MESSAGES, TEXT, open_field
from otel_genai.redaction.redactor import merge_findings, redact_text

NAME = "Sarah Whitfield"
EMAIL = "sarah.whitfield@example.com"
PHONE = "212-555-0147"
# What the fake detector finds, and as what.
KNOWN: dict[str, str] = {NAME: "PERSON", EMAIL: "EMAIL_ADDRESS", PHONE: "PHONE_NUMBER"}
BLOB = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
INPUT = "gen_ai.input.messages"
OUTPUT = "gen_ai.output.messages"


class FakeDetector:
    """Finds the given substrings (every occurrence), or with ``everything=True`` flags each whole text."""

    description = "fake-engine"

    def __init__(
        self,
        values: Mapping[str, str | tuple[str, float]] | None = None,
        *,
        everything: bool = False,
    ) -> None:
        self.values = {
            value: kind if isinstance(kind, tuple) else (kind, 0.9)
            for value, kind in (KNOWN if values is None else values).items()
        }
        self.everything = everything
        self.seen: list[str] = []

    def load(self) -> None:
        pass

    def analyze_iter(
        self, texts: Sequence[str], *, ner: bool = True
    ) -> Iterator[tuple[int, tuple[Finding, ...]]]:
        for index, text in enumerate(texts):
            self.seen.append(text)
            yield index, tuple(self.find(text))

    def find(self, text: str) -> list[Finding]:
        if self.everything:
            return [Finding(0, len(text), "PERSON", 0.9)]
        found = []
        for value, (kind, score) in self.values.items():
            start = text.find(value)
            while start != -1:
                found.append(Finding(start, start + len(value), kind, score))
                start = text.find(value, start + 1)
        return found


@dataclass
class Pipeline:
    """A TracerProvider whose one processor is a RedactingSpanProcessor with a fake detector."""

    detector: FakeDetector
    processor: RedactingSpanProcessor
    exporter: InMemorySpanExporter
    provider: TracerProvider
    metric_reader: InMemoryMetricReader
    exported: list[ReadableSpan] = field(default_factory=list)

    def emit(
        self,
        attributes: Mapping[str, Any],
        *,
        events: Sequence[tuple[str, Mapping[str, Any]]] = (),
        exception: BaseException | None = None,
    ) -> ReadableSpan:
        """One span with these attributes (and events), ended, flushed; returns what was exported."""
        tracer = self.provider.get_tracer("test")
        span = tracer.start_span("chat gpt-4o-mini", attributes=dict(attributes))
        for name, event_attributes in events:
            span.add_event(name, dict(event_attributes))
        if exception is not None:
            span.record_exception(exception)
        span.end()
        assert self.processor.force_flush(10_000)
        spans = self.exporter.get_finished_spans()
        self.exporter.clear()
        assert len(spans) == 1
        return spans[0]

    def entity_metric(self) -> Counter:
        return redacted_entity_counts(self.metric_reader)


@pytest.fixture
def make_pipeline() -> Iterator[Callable[..., Pipeline]]:
    created: list[Pipeline] = []

    def make(policy: RedactionPolicy | None = None, detector: FakeDetector | None = None) -> Pipeline:
        detector = detector or FakeDetector()
        exporter = InMemorySpanExporter()
        metric_reader = InMemoryMetricReader()
        processor = RedactingSpanProcessor(
            exporter,
            policy or RedactionPolicy(),
            detector=detector,
            meter_provider=MeterProvider(metric_readers=[metric_reader]),
        )
        provider = TracerProvider()
        provider.add_span_processor(processor)
        pipeline = Pipeline(detector, processor, exporter, provider, metric_reader)
        created.append(pipeline)
        return pipeline

    yield make
    for pipeline in created:
        pipeline.provider.shutdown()


@pytest.fixture
def pipeline(make_pipeline: Callable[..., Pipeline]) -> Pipeline:
    return make_pipeline()


def compact(value: Any) -> str:
    return json.dumps(value)


def content(span: ReadableSpan, key: str) -> Any:
    return json.loads(span.attributes[key])


# --- messages ----------------------------------------------------------------------------------------

CONVERSATION = [
    {"role": "system", "parts": [{"type": "text", "content": f"You are helping {NAME}."}]},
    {
        "role": "user",
        "parts": [
            {"type": "text", "content": f"Hi, I'm {NAME}, mail me at {EMAIL}."},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": BLOB},
        ],
    },
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": f"{NAME} wants a callback on {PHONE}."},
            {
                "type": "tool_call",
                "id": "call_7",
                "name": "create_contact",
                "arguments": {"name": NAME, "email": EMAIL, "tags": ["vip", NAME], "age": 41},
            },
        ],
    },
    {
        "role": "tool",
        "parts": [
            {
                "type": "tool_call_response",
                "id": "call_7",
                "response": json.dumps({"name": NAME, "email": EMAIL, "status": "created"}),
            }
        ],
    },
]


def test_messages_text_reasoning_tool_call_response_and_blob(
    pipeline: Pipeline, validate_schema: Any
) -> None:
    span = pipeline.emit({INPUT: compact(CONVERSATION)})

    messages = content(span, INPUT)
    response = messages[3]["parts"][0].pop("response")
    assert messages == [
        {"role": "system", "parts": [{"type": "text", "content": "You are helping <PERSON>."}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Hi, I'm <PERSON>, mail me at <EMAIL_ADDRESS>."},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": "[BINARY_CONTENT_REDACTED]",
                },
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "<PERSON> wants a callback on <PHONE_NUMBER>."},
                {
                    "type": "tool_call",
                    "id": "call_7",
                    "name": "create_contact",
                    "arguments": {
                        "name": "<PERSON>",
                        "email": "<EMAIL_ADDRESS>",
                        "tags": ["vip", "<PERSON>"],
                        "age": 41,
                    },
                },
            ],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_7"}]},
    ]
    # The tool result stays a string holding JSON: its keys are kept, its values redacted.
    assert isinstance(response, str)
    assert json.loads(response) == {"name": "<PERSON>", "email": "<EMAIL_ADDRESS>", "status": "created"}
    messages[3]["parts"][0]["response"] = response
    validate_schema("gen-ai-input-messages", messages)

    attributes = span.attributes
    assert attributes["redaction.pii.count"] == 10
    assert attributes["redaction.pii.types"] == ("EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER")
    assert attributes["redaction.pii.person.count"] == 6
    assert attributes["redaction.pii.email_address.count"] == 3
    assert attributes["redaction.pii.phone_number.count"] == 1
    assert attributes["redaction.binary.count"] == 1
    assert attributes["redaction.engine"] == "fake-engine"
    assert pipeline.entity_metric() == {"PERSON": 6, "EMAIL_ADDRESS": 3, "PHONE_NUMBER": 1}


def test_only_text_leaves_reach_the_detector(pipeline: Pipeline) -> None:
    pipeline.emit({INPUT: compact(CONVERSATION)})

    assert set(pipeline.detector.seen) == {
        f"You are helping {NAME}.",
        f"Hi, I'm {NAME}, mail me at {EMAIL}.",
        f"{NAME} wants a callback on {PHONE}.",
        NAME,
        EMAIL,
        "vip",
        "created",
    }
    assert len(pipeline.detector.seen) == len(set(pipeline.detector.seen))  # each distinct text once


def test_structure_survives_a_detector_that_flags_every_text(
    make_pipeline: Callable[..., Pipeline], validate_schema: Any
) -> None:
    pipeline = make_pipeline(detector=FakeDetector(everything=True))
    output = [
        {"role": "assistant", "parts": [{"type": "text", "content": "Done."}], "finish_reason": "stop"},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_9", "name": "lookup", "arguments": {"q": "x"}}],
            "finish_reason": "tool_call",
        },
    ]
    span = pipeline.emit({INPUT: compact(CONVERSATION), OUTPUT: compact(output)})

    inputs, outputs = content(span, INPUT), content(span, OUTPUT)
    validate_schema("gen-ai-input-messages", inputs)
    validate_schema("gen-ai-output-messages", outputs)

    def skeleton(messages: list[dict[str, Any]]) -> list[Any]:
        return [
            (
                m["role"],
                m.get("finish_reason"),
                [
                    (p["type"], p.get("id"), p.get("name"), p.get("mime_type"), p.get("modality"))
                    for p in m["parts"]
                ],
            )
            for m in messages
        ]

    assert skeleton(inputs) == skeleton(CONVERSATION)
    assert skeleton(outputs) == skeleton(output)
    assert outputs[0]["parts"][0]["content"] == "<PERSON>"
    assert outputs[1]["parts"][0]["arguments"] == {"q": "<PERSON>"}
    assert inputs[2]["parts"][1]["arguments"] == {
        "name": "<PERSON>",
        "email": "<PERSON>",
        "tags": ["<PERSON>", "<PERSON>"],
        "age": 41,
    }
    assert json.loads(inputs[3]["parts"][0]["response"]) == {
        "name": "<PERSON>",
        "email": "<PERSON>",
        "status": "<PERSON>",
    }


def test_system_instructions(pipeline: Pipeline, validate_schema: Any) -> None:
    instructions = [
        {"type": "text", "content": f"Address the customer as {NAME}."},
        {"type": "text", "content": "Be brief."},
    ]
    span = pipeline.emit({"gen_ai.system_instructions": compact(instructions)})

    redacted = content(span, "gen_ai.system_instructions")
    assert redacted == [
        {"type": "text", "content": "Address the customer as <PERSON>."},
        {"type": "text", "content": "Be brief."},
    ]
    validate_schema("gen-ai-system-instructions", redacted)


TOOL_DEFINITIONS = [
    {
        "type": "function",
        "name": "email_customer",
        "description": f"Sends an e-mail to a customer such as {EMAIL}.",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "string", "format": "email", "description": f"Recipient, e.g. {NAME}"},
                "customer": {"$ref": "#/$defs/Customer"},
            },
            "required": ["to"],
            "additionalProperties": False,
            "$defs": {"Customer": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        },
    }
]


def test_tool_definitions_keep_names_and_schema_keywords(pipeline: Pipeline, validate_schema: Any) -> None:
    span = pipeline.emit({"gen_ai.tool.definitions": compact(TOOL_DEFINITIONS)})

    redacted = content(span, "gen_ai.tool.definitions")
    expected = json.loads(compact(TOOL_DEFINITIONS))
    expected[0]["description"] = "Sends an e-mail to a customer such as <EMAIL_ADDRESS>."
    expected[0]["parameters"]["properties"]["to"]["description"] = "Recipient, e.g. <PERSON>"
    assert redacted == expected
    validate_schema("gen-ai-tool-definitions", redacted)


def test_tool_definitions_schema_keywords_are_not_analysed(make_pipeline: Callable[..., Pipeline]) -> None:
    """``type``, ``format``, ``required``, ``$ref`` describe the tool at any depth of its schema."""
    pipeline = make_pipeline(detector=FakeDetector(everything=True))
    span = pipeline.emit({"gen_ai.tool.definitions": compact(TOOL_DEFINITIONS)})

    redacted = content(span, "gen_ai.tool.definitions")[0]
    assert (redacted["type"], redacted["name"]) == ("function", "email_customer")
    parameters = redacted["parameters"]
    assert parameters["type"] == "object"
    assert parameters["properties"]["to"]["type"] == "string"
    assert parameters["properties"]["to"]["format"] == "email"
    assert parameters["properties"]["customer"] == {"$ref": "#/$defs/Customer"}
    assert parameters["required"] == ["to"]
    assert parameters["$defs"]["Customer"]["properties"]["id"] == {"type": "integer"}
    assert redacted["description"] == "<PERSON>"


def test_retrieval_documents_keep_id_and_score(
    make_pipeline: Callable[..., Pipeline], validate_schema: Any
) -> None:
    pipeline = make_pipeline(detector=FakeDetector(everything=True))
    documents = [
        {"id": "kb-118", "score": 0.93, "content": f"{NAME} lives at 1742 Evergreen Terrace."},
        {"id": "kb-7", "score": 0.41, "content": "Opening hours are 9 to 5.", "rank": 2},
    ]
    span = pipeline.emit(
        {
            "gen_ai.retrieval.documents": compact(documents),
            "gen_ai.retrieval.query.text": f"where does {NAME} live",
        }
    )

    redacted = content(span, "gen_ai.retrieval.documents")
    assert redacted == [
        {"id": "kb-118", "score": 0.93, "content": "<PERSON>"},
        {"id": "kb-7", "score": 0.41, "content": "<PERSON>", "rank": 2},
    ]
    validate_schema("gen-ai-retrieval-documents", redacted)
    assert span.attributes["gen_ai.retrieval.query.text"] == "<PERSON>"


# --- plain-text, user and odd attribute values -------------------------------------------------------


def test_plain_text_attributes(pipeline: Pipeline) -> None:
    query = f'{{"who": "{NAME}",  "note": "kept as typed"}}'  # a text attribute is never parsed as JSON
    span = pipeline.emit(
        {
            "gen_ai.retrieval.query.text": query,
            "gen_ai.prompt.variable.customer": NAME,
            "gen_ai.prompt.variable.topic": "refunds",
            "gen_ai.operation.name": "chat",
            "user.email": EMAIL,  # not content and not configured: not ours to touch
        }
    )

    attributes = span.attributes
    assert attributes["gen_ai.retrieval.query.text"] == '{"who": "<PERSON>",  "note": "kept as typed"}'
    assert attributes["gen_ai.prompt.variable.customer"] == "<PERSON>"
    assert attributes["gen_ai.prompt.variable.topic"] == "refunds"
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["user.email"] == EMAIL
    assert "chat" not in pipeline.detector.seen


def test_extra_keys_exact_and_prefix(make_pipeline: Callable[..., Pipeline]) -> None:
    pipeline = make_pipeline(RedactionPolicy(extra_keys=("app.note", "app.customer.")))
    span = pipeline.emit(
        {
            "app.note": f"Call {NAME} back",
            "app.customer.name": NAME,
            "app.customer.profile": compact({"email": EMAIL, "tier": "gold"}),
            "app.notes": NAME,  # not the exact key
            "app.customer": NAME,  # the prefix is "app.customer."
            "app.customer_id": NAME,
        }
    )

    attributes = span.attributes
    assert attributes["app.note"] == "Call <PERSON> back"
    assert attributes["app.customer.name"] == "<PERSON>"
    assert json.loads(attributes["app.customer.profile"]) == {"email": "<EMAIL_ADDRESS>", "tier": "gold"}
    assert attributes["app.notes"] == NAME
    assert attributes["app.customer"] == NAME
    assert attributes["app.customer_id"] == NAME
    assert attributes["redaction.pii.count"] == 3


TRUNCATED = f'[{{"role": "user", "parts": [{{"type": "text", "content": "I am {NAME} and my'


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # cut by someone's length limit: not JSON any more, so the whole value is text
        (INPUT, TRUNCATED, TRUNCATED.replace(NAME, "<PERSON>")),
        (OUTPUT, f"plain answer for {NAME}", "plain answer for <PERSON>"),
        ("gen_ai.tool.call.result", f"Created a contact for {NAME}.", "Created a contact for <PERSON>."),
        ("gen_ai.tool.call.result", json.dumps(NAME), json.dumps("<PERSON>")),  # a JSON string stays one
        ("gen_ai.tool.call.arguments", f"{{'email': '{EMAIL}'}}", "{'email': '<EMAIL_ADDRESS>'}"),
    ],
    ids=["truncated-messages", "plain-output", "text-result", "json-string", "python-repr-arguments"],
)
def test_non_json_values_in_json_attributes(pipeline: Pipeline, key: str, value: str, expected: str) -> None:
    span = pipeline.emit({key: value})

    assert span.attributes[key] == expected
    assert span.attributes["redaction.pii.count"] == 1


def test_tool_call_arguments_and_result_attributes_keep_keys(pipeline: Pipeline) -> None:
    arguments = {"name": NAME, "email": EMAIL, "count": 3, "nested": {"phone": PHONE}}
    span = pipeline.emit(
        {"gen_ai.tool.call.arguments": compact(arguments), "gen_ai.tool.call.result": compact([NAME, 1])}
    )

    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {
        "name": "<PERSON>",
        "email": "<EMAIL_ADDRESS>",
        "count": 3,
        "nested": {"phone": "<PHONE_NUMBER>"},
    }
    assert json.loads(span.attributes["gen_ai.tool.call.result"]) == ["<PERSON>", 1]


@pytest.mark.parametrize("value", ["42", "true", "null", "3.5"])
def test_json_scalars_in_content_attributes_pass_unchanged(
    make_pipeline: Callable[..., Pipeline], value: str
) -> None:
    pipeline = make_pipeline(detector=FakeDetector(everything=True))
    span = pipeline.emit({"gen_ai.tool.call.result": value, "gen_ai.tool.call.arguments": 42})

    assert span.attributes["gen_ai.tool.call.result"] == value
    assert span.attributes["gen_ai.tool.call.arguments"] == 42


def test_string_array_attributes(make_pipeline: Callable[..., Pipeline]) -> None:
    pipeline = make_pipeline(RedactionPolicy(extra_keys=("app.recipients",)))
    span = pipeline.emit(
        {
            "gen_ai.prompt.variable.names": (NAME, "the billing team", EMAIL),
            "app.recipients": [EMAIL, "ops@"],
            "gen_ai.prompt.variable.ids": (1, 2),
        }
    )

    assert span.attributes["gen_ai.prompt.variable.names"] == (
        "<PERSON>",
        "the billing team",
        "<EMAIL_ADDRESS>",
    )
    assert tuple(span.attributes["app.recipients"]) == ("<EMAIL_ADDRESS>", "ops@")
    assert tuple(span.attributes["gen_ai.prompt.variable.ids"]) == (1, 2)
    assert span.attributes["redaction.pii.count"] == 3


# --- exceptions ------------------------------------------------------------------------------------


def _raise(message: str) -> None:
    raise LookupError(message)


def test_exception_message_and_stacktrace_on_exception_events(pipeline: Pipeline) -> None:
    message = f"no account for {EMAIL} ({NAME})"
    try:
        _raise(message)
    except LookupError as error:
        span = pipeline.emit(
            {"gen_ai.operation.name": "chat"}, events=[("retry", {"attempt": 1})], exception=error
        )

    retry, exception = span.events
    assert retry.name == "retry" and dict(retry.attributes) == {"attempt": 1}
    attributes = dict(exception.attributes)
    assert attributes["exception.type"] == "LookupError"
    assert attributes["exception.message"] == "no account for <EMAIL_ADDRESS> (<PERSON>)"
    stacktrace = attributes["exception.stacktrace"]
    assert EMAIL not in stacktrace and NAME not in stacktrace
    assert "LookupError: no account for <EMAIL_ADDRESS> (<PERSON>)" in stacktrace
    assert "in _raise" in stacktrace  # the rest of the trace is kept
    # the message and its copy in the stack trace are each analysed and counted
    assert span.attributes["redaction.pii.count"] == 4


def _find_account(email: str) -> None:
    accounts: dict[str, int] = {}
    try:
        accounts[email]
    except KeyError as missing:
        raise LookupError(f"no account for {missing}") from missing


def test_values_found_in_the_exception_message_leave_the_whole_stacktrace(pipeline: Pipeline) -> None:
    """A chained exception repeats the value in its cause's line, not as the whole message."""
    try:
        _find_account(EMAIL)
    except LookupError as error:
        span = pipeline.emit({}, exception=error)

    attributes = dict(span.events[0].attributes)
    assert attributes["exception.message"] == "no account for '<EMAIL_ADDRESS>'"
    assert "KeyError" in attributes["exception.stacktrace"]
    assert EMAIL not in attributes["exception.stacktrace"]


# --- operators ---------------------------------------------------------------------------------------


def _hashes(text: str, entity: str) -> list[str]:
    return re.findall(rf"<{entity}:([0-9a-f]{{16}})>", text)


def test_hash_operator_joins_across_spans_and_depends_on_the_key(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    other = "bob.stone@example.com"
    detector = FakeDetector({EMAIL: "EMAIL_ADDRESS", other: "EMAIL_ADDRESS"})
    keyed = make_pipeline(RedactionPolicy(operator="hash", hash_key=b"key-one"), detector)
    first = keyed.emit({"gen_ai.prompt.variable.to": f"write to {EMAIL}"})
    second = keyed.emit(
        {INPUT: compact([{"role": "user", "parts": [{"type": "text", "content": f"{EMAIL} / {other}"}]}])}
    )
    rekeyed = make_pipeline(
        RedactionPolicy(operator="hash", hash_key=b"key-two"), FakeDetector(detector.values)
    )
    third = rekeyed.emit({"gen_ai.prompt.variable.to": f"write to {EMAIL}"})

    (first_hash,) = _hashes(first.attributes["gen_ai.prompt.variable.to"], "EMAIL_ADDRESS")
    second_text = content(second, INPUT)[0]["parts"][0]["content"]
    second_hashes = _hashes(second_text, "EMAIL_ADDRESS")
    (third_hash,) = _hashes(third.attributes["gen_ai.prompt.variable.to"], "EMAIL_ADDRESS")
    assert second_hashes[0] == first_hash  # the same value, the same hash, in another span and field
    assert second_hashes[1] != first_hash  # another value
    assert third_hash != first_hash  # another key
    assert first_hash == hmac.new(b"key-one", EMAIL.encode(), hashlib.sha256).hexdigest()[:16]
    for text in (first.attributes["gen_ai.prompt.variable.to"], second_text):
        assert EMAIL not in text and other not in text


def test_mask_operator(make_pipeline: Callable[..., Pipeline]) -> None:
    pipeline = make_pipeline(RedactionPolicy(operator="mask", mask_char="#"))
    span = pipeline.emit({"gen_ai.prompt.variable.x": f"{NAME} <{EMAIL}>"})

    assert span.attributes["gen_ai.prompt.variable.x"] == f"{'#' * len(NAME)} <{'#' * len(EMAIL)}>"


def test_drop_operator(make_pipeline: Callable[..., Pipeline], validate_schema: Any) -> None:
    pipeline = make_pipeline(RedactionPolicy(operator="drop"))
    messages = [
        {
            "role": "user",
            "parts": [{"type": "text", "content": f"Call {NAME}"}, {"type": "text", "content": "Thanks"}],
        }
    ]
    span = pipeline.emit(
        {
            "gen_ai.retrieval.query.text": f"where is {NAME}",
            "gen_ai.prompt.variable.topic": "refunds",
            INPUT: compact(messages),
        }
    )

    attributes = span.attributes
    assert "gen_ai.retrieval.query.text" not in attributes  # a plain-text field goes entirely
    assert attributes["gen_ai.prompt.variable.topic"] == "refunds"
    redacted = content(span, INPUT)
    assert redacted == [
        {
            "role": "user",
            "parts": [{"type": "text", "content": "[REDACTED]"}, {"type": "text", "content": "Thanks"}],
        }
    ]
    validate_schema("gen-ai-input-messages", redacted)
    assert attributes["redaction.pii.count"] == 2


def test_per_entity_operators(make_pipeline: Callable[..., Pipeline]) -> None:
    policy = RedactionPolicy(operators={"EMAIL_ADDRESS": "hash", "PERSON": "mask"}, hash_key="k")
    pipeline = make_pipeline(policy)
    span = pipeline.emit({"gen_ai.prompt.variable.x": f"{NAME}, {EMAIL}, {PHONE}"})

    text = span.attributes["gen_ai.prompt.variable.x"]
    assert text.startswith("*" * len(NAME) + ", <EMAIL_ADDRESS:")
    assert len(_hashes(text, "EMAIL_ADDRESS")) == 1
    assert text.endswith(", <PHONE_NUMBER>")


def test_per_entity_drop_empties_only_the_fields_with_that_entity(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    pipeline = make_pipeline(RedactionPolicy(operators={"PHONE_NUMBER": "drop"}))
    span = pipeline.emit(
        {"gen_ai.prompt.variable.a": f"{NAME} on {PHONE}", "gen_ai.prompt.variable.b": f"{NAME} by mail"}
    )

    assert "gen_ai.prompt.variable.a" not in span.attributes
    assert span.attributes["gen_ai.prompt.variable.b"] == "<PERSON> by mail"


# --- findings ------------------------------------------------------------------------------------------


def _spans(findings: list[Finding]) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.entity_type) for f in findings]


def test_merge_findings_takes_the_union_typed_by_the_longest_then_most_confident() -> None:
    merged = merge_findings(
        [
            Finding(30, 36, "LOCATION", 0.85),  # a city inside the address below
            Finding(6, 15, "PERSON", 0.85),
            Finding(0, 15, "PERSON", 0.6),  # contains the one above
            Finding(22, 50, "STREET_ADDRESS", 0.6),
            Finding(45, 60, "LOCATION", 0.5),  # overlaps the address's end
            Finding(60, 64, "US_SSN", 0.9),  # touches it, does not overlap
            Finding(75, 85, "LOCATION", 0.85),  # as long as the next one, more confident
            Finding(70, 80, "PERSON", 0.6),
        ]
    )

    assert _spans(merged) == [
        (0, 15, "PERSON"),
        (22, 60, "STREET_ADDRESS"),
        (60, 64, "US_SSN"),
        (70, 85, "LOCATION"),
    ]


def test_merge_findings_chain_is_typed_by_its_longest_finding() -> None:
    """A chain of overlaps is typed by its longest finding, not by the union built so far."""
    merged = merge_findings(
        [
            Finding(0, 10, "PERSON", 0.85),
            Finding(5, 12, "LOCATION", 0.85),
            Finding(11, 22, "STREET_ADDRESS", 0.85),  # the longest finding of the chain
        ]
    )

    assert _spans(merged) == [(0, 22, "STREET_ADDRESS")]


def test_redact_text_leaves_nothing_of_overlapping_findings() -> None:
    text = "Ship to Sarah Whitfield Road 12, please. Sarah called."
    findings = [
        Finding(8, 23, "PERSON", 0.85),
        Finding(14, 31, "STREET_ADDRESS", 0.6),
        Finding(41, 46, "PERSON", 0.85),
    ]

    redacted, counts, drop = redact_text(text, findings, RedactionPolicy())

    assert redacted == "Ship to <STREET_ADDRESS>, please. <PERSON> called."
    assert counts == Counter({"STREET_ADDRESS": 1, "PERSON": 1})
    assert drop is False


def test_redact_text_with_no_findings_returns_the_text() -> None:
    assert redact_text("nothing here", [], RedactionPolicy()) == ("nothing here", Counter(), False)


def test_overlapping_findings_through_the_processor(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector({NAME: ("PERSON", 0.85), "Whitfield Road 12": ("STREET_ADDRESS", 0.95)})
    pipeline = make_pipeline(detector=detector)
    span = pipeline.emit({"gen_ai.prompt.variable.x": f"Ship to {NAME} Road 12, please."})

    text = span.attributes["gen_ai.prompt.variable.x"]
    assert text == "Ship to <STREET_ADDRESS>, please."
    assert span.attributes["redaction.pii.count"] == 1
    assert span.attributes["redaction.pii.types"] == ("STREET_ADDRESS",)
    assert pipeline.entity_metric() == {"STREET_ADDRESS": 1}


def test_open_field_messages_and_text_layouts() -> None:
    opened = open_field(compact(CONVERSATION), MESSAGES)
    texts = list(opened.texts())
    assert NAME in texts and EMAIL in texts  # the tool-call arguments' values
    assert "create_contact" not in texts and "call_7" not in texts and "user" not in texts
    assert BLOB not in texts and opened.binary_parts == 1

    as_text = open_field(compact(CONVERSATION), TEXT)
    assert list(as_text.texts()) == [compact(CONVERSATION)]
    assert open_field(17, TEXT) is None


# --- what is not changed ----------------------------------------------------------------------------


def test_unchanged_fields_keep_their_exact_original_string(pipeline: Pipeline) -> None:
    # Spaced, escaped, in an unusual key order: nothing to redact, so not even re-serialised.
    untouched = '[ {"parts": [ {"content": "Caf\\u00e9 opens at 9", "type": "text"} ], "role": "user"} ]'
    output = compact([{"role": "assistant", "parts": [{"type": "text", "content": f"Hello {NAME}"}]}])
    span = pipeline.emit({INPUT: untouched, OUTPUT: output, "gen_ai.tool.call.result": '{ "ok" : true }'})

    assert span.attributes[INPUT] == untouched
    assert span.attributes["gen_ai.tool.call.result"] == '{ "ok" : true }'
    assert content(span, OUTPUT)[0]["parts"][0]["content"] == "Hello <PERSON>"


def test_unchanged_leaves_of_a_changed_field_keep_their_value(pipeline: Pipeline) -> None:
    messages = [
        {"role": "user", "parts": [{"type": "text", "content": 'Caf\u00e9 \u2615 "quoted"\n\ttabbed'}]},
        {"role": "user", "parts": [{"type": "text", "content": f"I am {NAME}"}], "name": "customer-7"},
    ]
    span = pipeline.emit({INPUT: json.dumps(messages, indent=2)})

    redacted = content(span, INPUT)
    assert redacted[0] == messages[0]
    assert redacted[1]["parts"][0]["content"] == "I am <PERSON>"


def test_spans_without_content_pass_through_untouched(pipeline: Pipeline) -> None:
    context = SpanContext(0x1234, 0x5678, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    original = ReadableSpan(
        name="embeddings",
        context=context,
        attributes={
            "gen_ai.operation.name": "embeddings",
            "user.email": EMAIL,
            "gen_ai.usage.input_tokens": 6,
        },
        start_time=1,
        end_time=2,
    )

    pipeline.processor.on_end(original)
    assert pipeline.processor.force_flush(10_000)

    (exported,) = pipeline.exporter.get_finished_spans()
    assert exported is original
    assert pipeline.detector.seen == []


def test_spans_with_clean_content_keep_their_attributes(pipeline: Pipeline) -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        INPUT: compact([{"role": "user", "parts": [{"type": "text", "content": "What time is it?"}]}]),
        "gen_ai.prompt.variable.tz": "CET",
    }
    span = pipeline.emit(attributes)

    assert {k: v for k, v in span.attributes.items() if not k.startswith("redaction.")} == attributes
    assert "redaction.pii.count" not in span.attributes
    assert pipeline.entity_metric() == {}


def test_unsampled_spans_are_not_exported(pipeline: Pipeline) -> None:
    context = SpanContext(0x1234, 0x5678, is_remote=False, trace_flags=TraceFlags(TraceFlags.DEFAULT))
    pipeline.processor.on_end(ReadableSpan(name="chat", context=context, attributes={INPUT: NAME}))
    assert pipeline.processor.force_flush(10_000)

    assert pipeline.exporter.get_finished_spans() == ()
    assert pipeline.detector.seen == []


# --- log records -------------------------------------------------------------------------------------


@dataclass
class Logs:
    logger: Any
    processor: RedactingLogRecordProcessor
    exporter: InMemoryLogRecordExporter
    detector: FakeDetector

    def exported(self) -> list[Any]:
        assert self.processor.force_flush(10_000)
        return list(self.exporter.get_finished_logs())


@pytest.fixture
def logs() -> Iterator[Logs]:
    """A LoggerProvider whose one processor is a RedactingLogRecordProcessor with a fake detector."""
    exporter = InMemoryLogRecordExporter()
    detector = FakeDetector()
    provider = LoggerProvider(shutdown_on_exit=False)
    processor = RedactingLogRecordProcessor(exporter, RedactionPolicy(), detector=detector)
    provider.add_log_record_processor(processor)
    yield Logs(provider.get_logger("test"), processor, exporter, detector)
    provider.shutdown()


def test_log_records_with_structured_attributes_and_a_string_body(logs: Logs) -> None:
    messages = [
        {"role": "user", "parts": [{"type": "text", "content": f"I am {NAME}"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c1", "name": "mail", "arguments": {"to": EMAIL}}],
        },
    ]
    logs.logger.emit(
        event_name="gen_ai.client.inference.operation.details",
        body=f"{NAME} asked about {PHONE}",
        attributes={INPUT: messages, "gen_ai.operation.name": "chat", "gen_ai.prompt.variable.to": EMAIL},
    )

    (record,) = logs.exported()
    log = record.log_record
    assert log.body == "<PERSON> asked about <PHONE_NUMBER>"
    redacted = log.attributes[INPUT]
    assert not isinstance(redacted, str)  # structured values stay structured on log records
    assert json.loads(json.dumps(redacted)) == [
        {"role": "user", "parts": [{"type": "text", "content": "I am <PERSON>"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "c1", "name": "mail", "arguments": {"to": "<EMAIL_ADDRESS>"}}
            ],
        },
    ]
    assert log.attributes["gen_ai.prompt.variable.to"] == "<EMAIL_ADDRESS>"
    assert log.attributes["gen_ai.operation.name"] == "chat"
    assert log.event_name == "gen_ai.client.inference.operation.details"
    assert log.attributes["redaction.pii.count"] == 5
    assert log.attributes["redaction.pii.types"] == ("EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER")
    assert messages[0]["parts"][0]["content"] == f"I am {NAME}"  # the application's objects are not mutated


@NEEDS_LOG_EXCEPTIONS
def test_log_record_exception_message_and_structured_body(logs: Logs) -> None:
    try:
        _raise(f"no account for {EMAIL}")
    except LookupError as error:
        logs.logger.emit(body={"text": f"for {NAME}", "count": 2}, exception=error)

    (record,) = logs.exported()
    log = record.log_record
    assert log.attributes["exception.message"] == "no account for <EMAIL_ADDRESS>"
    assert EMAIL not in log.attributes["exception.stacktrace"]
    assert log.attributes["exception.type"] == "LookupError"
    assert dict(log.body) == {"text": "for <PERSON>", "count": 2}


def test_log_records_without_content_pass_unchanged(logs: Logs) -> None:
    logs.logger.emit(event_name="app.started", attributes={"app.version": "1.2.3", "user.email": EMAIL})

    (record,) = logs.exported()
    assert dict(record.log_record.attributes) == {"app.version": "1.2.3", "user.email": EMAIL}
    assert logs.detector.seen == []


# --- values under sensitive keys, numbers -------------------------------------------------------------


def test_values_under_sensitive_keys_are_replaced_whole_without_analysis(pipeline: Pipeline) -> None:
    arguments = {
        "username": "sarah",
        "password": "correct horse battery",
        "apiKey": "k-41c9e0",
        "X-Auth-Token": "opaque-value",
        "customer": {"dob": "06/22/1969", "ssn": "987654324", "card_number": 4111111111111111},
        "max_tokens": 100,
        "page_token_count": "7",
    }
    span = pipeline.emit({"gen_ai.tool.call.arguments": compact(arguments)})

    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {
        "username": "sarah",
        "password": "<SECRET>",
        "apiKey": "<SECRET>",
        "X-Auth-Token": "<SECRET>",
        "customer": {"dob": "<DATE_OF_BIRTH>", "ssn": "<US_SSN>", "card_number": "<CREDIT_CARD>"},
        "max_tokens": 100,
        "page_token_count": "7",
    }
    for secret in ("correct horse battery", "k-41c9e0", "opaque-value", "06/22/1969", "987654324"):
        assert secret not in pipeline.detector.seen  # never even analysed
    assert span.attributes["redaction.pii.secret.count"] == 3


def test_sensitive_keys_can_be_extended_or_turned_off(make_pipeline: Callable[..., Pipeline]) -> None:
    arguments = compact({"password": "hunter2", "employee_ref": "E-1"})
    own = make_pipeline(RedactionPolicy(sensitive_keys={r"employee_ref": "EMPLOYEE"}))
    assert json.loads(
        own.emit({"gen_ai.tool.call.arguments": arguments}).attributes["gen_ai.tool.call.arguments"]
    ) == {"password": "hunter2", "employee_ref": "<EMPLOYEE>"}
    off = make_pipeline(RedactionPolicy(sensitive_keys={}))
    assert off.emit({"gen_ai.tool.call.arguments": arguments}).attributes["gen_ai.tool.call.arguments"] == (
        arguments
    )


def test_long_numbers_are_analysed_and_short_ones_left_alone(make_pipeline: Callable[..., Pipeline]) -> None:
    pipeline = make_pipeline(detector=FakeDetector({"4111111111111111": "CREDIT_CARD"}))
    arguments = {"order": 48213, "paid_with": 4111111111111111, "refund": 12345678}
    span = pipeline.emit({"gen_ai.tool.call.arguments": compact(arguments)})

    assert json.loads(span.attributes["gen_ai.tool.call.arguments"]) == {
        "order": 48213,
        "paid_with": "<CREDIT_CARD>",
        "refund": 12345678,  # analysed, nothing found: still a number
    }
    assert "12345678" in pipeline.detector.seen and "48213" not in pipeline.detector.seen
