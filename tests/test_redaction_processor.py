"""RedactingSpanProcessor and RedactingLogRecordProcessor: what reaches the exporter, and when.

Most tests inject a fake detector (fast, deterministic, and able to raise, hang or block on cue); the
``real_engine`` tests run Presidio with the installed spaCy model (one engine per process for the
default detection settings, loaded once; a custom policy builds one more).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.context import Context
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Decision, Sampler, SamplingResult

from helpers.telemetry import NEEDS_LOG_EXCEPTIONS, InMemoryLogRecordExporter
from otel_genai.redaction import (
    FAILED_MARKER,
    STRIPPED_MARKER,
    RedactingLogRecordProcessor,
    RedactingSpanProcessor,
    RedactionPolicy,
)
from otel_genai.redaction.engine import EngineUnavailable, Finding, shared_detector

INPUT = "gen_ai.input.messages"
OUTPUT = "gen_ai.output.messages"
STRIPPED = "redaction.content.stripped"
FAILURES = "otel_genai.redaction.failures"
DEGRADED = "otel_genai.redaction.degraded"
REASON = "otel_genai.redaction.reason"
MODE = "otel_genai.redaction.mode"

# What a chat span carries besides its content; redaction must never touch any of it.
NON_CONTENT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": "chatcmpl-abc123",
    "gen_ai.usage.input_tokens": 31,
    "gen_ai.usage.output_tokens": 58,
    "gen_ai.response.finish_reasons": ("stop",),
}

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FAKE_NAME = "Jane Doe"


# --- a fake detector ----------------------------------------------------------------------------


class FakeDetector:
    """Finds e-mail addresses (always) and "Jane Doe" (only with NER).

    Texts containing ``trigger`` are analysed last and run ``on_trigger`` first (which may raise, hang or
    block); the others are yielded before, so what finishes before a failure is known.
    """

    description = "fake-engine"

    def __init__(
        self,
        trigger: str | None = None,
        on_trigger: Callable[[], None] | None = None,
        load_error: BaseException | None = None,
    ) -> None:
        self.trigger = trigger
        self.on_trigger = on_trigger
        self.load_error = load_error
        self.calls: Counter[str] = Counter()  # text -> times analysed
        self.ner_flags: list[bool] = []
        self.threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def load(self) -> None:
        if self.load_error is not None:
            raise self.load_error

    def _triggers(self, text: str) -> bool:
        return self.trigger is not None and self.trigger in text

    def analyze_iter(self, texts: Sequence[str], *, ner: bool = True) -> Iterator[tuple[int, tuple]]:
        with self._lock:
            self.threads.add(threading.current_thread())
            self.ner_flags.append(ner)
        for index in sorted(range(len(texts)), key=lambda i: self._triggers(texts[i])):
            text = texts[index]
            with self._lock:
                self.calls[text] += 1
            if self._triggers(text) and self.on_trigger is not None:
                self.on_trigger()
            yield index, find(text, ner=ner)


def find(text: str, *, ner: bool = True) -> tuple[Finding, ...]:
    findings = [Finding(m.start(), m.end(), "EMAIL_ADDRESS", 1.0) for m in EMAIL.finditer(text)]
    if ner:
        start = text.find(FAKE_NAME)
        if start >= 0:
            findings.append(Finding(start, start + len(FAKE_NAME), "PERSON", 0.85))
    return tuple(findings)


def raise_(error: BaseException) -> Callable[[], None]:
    def run() -> None:
        raise error

    return run


# --- pipelines ----------------------------------------------------------------------------------


class RecordingExporter(SpanExporter):
    """Keeps what it is given; can fail its first exports; remembers being shut down."""

    def __init__(self, fail_first: int = 0) -> None:
        self.items: list[Any] = []
        self.batch_sizes: list[int] = []
        self.export_calls = 0
        self.fail_first = fail_first
        self.shutdown_called = False
        self._lock = threading.Lock()

    def export(self, items: Sequence[Any]) -> SpanExportResult:
        with self._lock:
            self.export_calls += 1
            if self.fail_first:
                self.fail_first -= 1
                raise ConnectionError("the collector is down")
            self.items.extend(items)
            self.batch_sizes.append(len(items))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.shutdown_called = True

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


@dataclass
class Pipeline:
    provider: TracerProvider
    processor: RedactingSpanProcessor
    exporter: RecordingExporter
    reader: InMemoryMetricReader
    detector: Any

    @property
    def tracer(self) -> Any:
        return self.provider.get_tracer("test")

    def flush(self, timeout_millis: int = 10_000) -> None:
        assert self.processor.force_flush(timeout_millis) is True, "force_flush failed or timed out"

    def exported(self) -> list[ReadableSpan]:
        return list(self.exporter.items)

    def by_name(self) -> dict[str, ReadableSpan]:
        spans = self.exported()
        names = [s.name for s in spans]
        assert len(names) == len(set(names)), f"a span was exported twice: {sorted(names)}"
        return {s.name: s for s in spans}

    def metric(self, name: str, where: dict[str, str] | None = None) -> int:
        return metric_sum(self.reader, name, where or {})


def metric_sum(reader: InMemoryMetricReader, name: str, where: dict[str, str]) -> int:
    """The sum of a counter's points whose attributes include ``where``."""
    total = 0
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    attributes = dict(point.attributes or {})
                    if all(attributes.get(k) == v for k, v in where.items()):
                        total += point.value
    return total


@dataclass
class Cleanup:
    events: list[threading.Event] = field(default_factory=list)
    processors: list[Any] = field(default_factory=list)


def blocked_detector(cleanup: Cleanup) -> tuple[FakeDetector, threading.Event, threading.Event]:
    """A detector that blocks on texts containing "BLOCK" (setting ``entered``) until ``release``."""
    entered, release = threading.Event(), threading.Event()
    cleanup.events.append(release)

    def block() -> None:
        entered.set()
        release.wait(60)

    return FakeDetector(trigger="BLOCK", on_trigger=block), entered, release


@pytest.fixture
def cleanup() -> Iterator[Cleanup]:
    state = Cleanup()
    yield state
    for event in state.events:  # let hung or blocked analysis threads finish
        event.set()
    for processor in state.processors:
        processor.shutdown()


@pytest.fixture
def make_pipeline(cleanup: Cleanup) -> Callable[..., Pipeline]:
    def make(
        detector: Any = None,
        policy: RedactionPolicy | None = None,
        *,
        exporter: RecordingExporter | None = None,
        sampler: Sampler | None = None,
        **kwargs: Any,
    ) -> Pipeline:
        exporter = exporter or RecordingExporter()
        reader = InMemoryMetricReader()
        kwargs.setdefault("schedule_delay_millis", 20)
        kwargs.setdefault("export_timeout_millis", 2_000)
        processor = RedactingSpanProcessor(
            exporter,
            policy,
            meter_provider=MeterProvider(metric_readers=[reader]),
            detector=detector,
            **kwargs,
        )
        cleanup.processors.append(processor)
        provider = TracerProvider(sampler=sampler, shutdown_on_exit=False)
        provider.add_span_processor(processor)
        return Pipeline(provider, processor, exporter, reader, detector)

    return make


@pytest.fixture(scope="module")
def real_engine() -> Any:
    """Presidio with the installed model, for the default detection settings (loaded once)."""
    detector = shared_detector(RedactionPolicy())
    detector.load()
    return detector


def messages(*texts: str, role: str = "user") -> str:
    """A messages attribute (JSON) with one text part per message; assistant messages finished."""
    extra = {"finish_reason": "stop"} if role == "assistant" else {}
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": t}], **extra} for t in texts])


def end_chat(
    pipeline: Pipeline,
    name: str,
    inputs: Sequence[str],
    outputs: Sequence[str] = (),
    *,
    end_time: int | None = None,
    error: Exception | None = None,
    **extra: Any,
) -> Any:
    """Starts and ends a chat span with content (and ``error`` recorded); returns its span context."""
    attributes: dict[str, Any] = {**NON_CONTENT, INPUT: messages(*inputs)}
    if outputs:
        attributes[OUTPUT] = messages(*outputs, role="assistant")
    attributes.update(extra)
    start_time = end_time - 1_000_000 if end_time is not None else None
    span = pipeline.tracer.start_span(name, attributes=attributes, start_time=start_time)
    if error is not None:
        try:
            raise error
        except Exception as raised:
            span.record_exception(raised)
    span.end(end_time=end_time)
    return span.get_span_context()


def texts_of(value: str) -> list[str]:
    """The text parts of a messages attribute, in order (it must be valid JSON)."""
    return [part["content"] for message in json.loads(value) for part in message["parts"]]


def all_strings(span: ReadableSpan) -> str:
    """Every attribute value of the span and its events, as one string (to look for raw text)."""
    values = [str(v) for v in (span.attributes or {}).values()]
    for event in span.events:
        values += [str(v) for v in (event.attributes or {}).values()]
    return "\n".join(values)


def assert_non_content_kept(span: ReadableSpan) -> None:
    assert {key: span.attributes.get(key) for key in NON_CONTENT} == NON_CONTENT


# --- fail closed, per field -----------------------------------------------------------------------


def test_a_field_whose_analysis_raises_becomes_a_marker_and_the_rest_is_redacted(
    make_pipeline: Callable[..., Pipeline], validate_schema: Callable[[str, Any], None]
) -> None:
    detector = FakeDetector(trigger="TRIGGER", on_trigger=raise_(RuntimeError("model crashed")))
    pipeline = make_pipeline(detector)
    context = end_chat(
        pipeline,
        "chat",
        ["hello, I am reachable at jane@example.com", "TRIGGER this one: bob@example.org"],
        ["Sure, I will write to carol@example.net"],
    )
    pipeline.flush()

    [span] = pipeline.exported()
    assert span.context.trace_id == context.trace_id and span.context.span_id == context.span_id
    assert_non_content_kept(span)
    validate_schema("gen-ai-input-messages", span.attributes[INPUT])
    validate_schema("gen-ai-output-messages", span.attributes[OUTPUT])
    assert texts_of(span.attributes[INPUT]) == ["hello, I am reachable at <EMAIL_ADDRESS>", FAILED_MARKER]
    assert texts_of(span.attributes[OUTPUT]) == ["Sure, I will write to <EMAIL_ADDRESS>"]
    assert "bob@example.org" not in all_strings(span)
    assert span.attributes["redaction.failed.count"] == 1
    assert span.attributes["redaction.pii.count"] == 2
    assert pipeline.metric(FAILURES, {"error.type": "RuntimeError"}) == 1
    assert pipeline.metric(FAILURES) == 1


def test_a_detector_that_always_raises_exports_the_span_with_markers_only(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    detector = FakeDetector(trigger="", on_trigger=raise_(ValueError("broken")))
    pipeline = make_pipeline(detector)
    end_chat(pipeline, "chat", ["mail jane@example.com", "second part"], ["reply to bob@example.org"])
    pipeline.flush()

    [span] = pipeline.exported()
    assert_non_content_kept(span)
    assert texts_of(span.attributes[INPUT]) == [FAILED_MARKER, FAILED_MARKER]
    assert texts_of(span.attributes[OUTPUT]) == [FAILED_MARKER]
    assert span.attributes["redaction.failed.count"] == 3
    assert pipeline.metric(FAILURES, {"error.type": "ValueError"}) == 3


def test_an_unavailable_engine_exports_markers(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector(load_error=EngineUnavailable("presidio is not installed"))
    pipeline = make_pipeline(detector)
    end_chat(pipeline, "chat", ["I am Jane Doe, jane@example.com"], ["Hello Jane"])
    pipeline.flush()

    [span] = pipeline.exported()
    assert_non_content_kept(span)
    assert texts_of(span.attributes[INPUT]) == [FAILED_MARKER]
    assert texts_of(span.attributes[OUTPUT]) == [FAILED_MARKER]
    assert span.attributes["redaction.failed.count"] == 2
    assert pipeline.metric(FAILURES, {"error.type": "EngineUnavailable"}) == 2
    assert detector.calls == Counter()


@pytest.mark.parametrize("error", [OSError("model files are missing"), SystemExit(1)], ids=repr)
def test_a_detector_whose_load_raises_anything_else_exports_nothing_raw(
    make_pipeline: Callable[..., Pipeline], error: BaseException
) -> None:
    """Whatever building the engine raises (a library may even call sys.exit while being imported on
    the worker), spans are still exported, without raw content, and the worker keeps going."""
    detector = FakeDetector(load_error=error)
    pipeline = make_pipeline(detector)
    end_chat(pipeline, "first", ["I am jane@example.com"], ["write to bob@example.org"])
    pipeline.flush()
    end_chat(pipeline, "second", ["and carol@example.net"])
    pipeline.flush()

    spans = pipeline.by_name()
    assert sorted(spans) == ["first", "second"]
    for span in spans.values():
        assert_non_content_kept(span)
        assert not EMAIL.search(all_strings(span)), dict(span.attributes)


def test_system_exit_inside_analysis_does_not_escape(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector(trigger="EXIT", on_trigger=raise_(SystemExit(3)))
    pipeline = make_pipeline(detector)
    end_chat(pipeline, "exits", ["EXIT now jane@example.com", "keep me: bob@example.org"])
    pipeline.flush()
    end_chat(pipeline, "after", ["still working for carol@example.net"])
    pipeline.flush()

    spans = pipeline.by_name()
    assert texts_of(spans["exits"].attributes[INPUT]) == [FAILED_MARKER, "keep me: <EMAIL_ADDRESS>"]
    assert pipeline.metric(FAILURES, {"error.type": "SystemExit"}) == 1
    assert texts_of(spans["after"].attributes[INPUT]) == ["still working for <EMAIL_ADDRESS>"]


# --- the time budget ------------------------------------------------------------------------------


def test_analysis_over_the_time_budget_becomes_a_timeout_marker(
    make_pipeline: Callable[..., Pipeline], cleanup: Cleanup
) -> None:
    never = threading.Event()
    cleanup.events.append(never)
    detector = FakeDetector(trigger="HANG", on_trigger=lambda: never.wait(60))
    # HANG never returns, so any budget runs out on it; the fast texts must not, on a loaded machine either
    pipeline = make_pipeline(detector, RedactionPolicy(time_budget_seconds=1.0))

    end_chat(
        pipeline,
        "slow",
        ["fast one: jane@example.com", "HANG on this: bob@example.org"],
        ["fast answer for carol@example.net"],
    )
    pipeline.flush()
    [span] = pipeline.exported()
    assert_non_content_kept(span)
    assert texts_of(span.attributes[INPUT]) == ["fast one: <EMAIL_ADDRESS>", FAILED_MARKER]
    assert texts_of(span.attributes[OUTPUT]) == ["fast answer for <EMAIL_ADDRESS>"]
    assert span.attributes["redaction.failed.count"] == 1
    assert pipeline.metric(FAILURES, {"error.type": "timeout"}) == 1

    # The worker is not stuck behind the abandoned analysis.
    end_chat(pipeline, "later", ["a quick one from dave@example.com"])
    pipeline.flush()
    later = pipeline.by_name()["later"]
    assert texts_of(later.attributes[INPUT]) == ["a quick one from <EMAIL_ADDRESS>"]
    assert "redaction.failed.count" not in later.attributes


# --- overload -------------------------------------------------------------------------------------


def test_queue_overflow_exports_stripped_then_drops(
    make_pipeline: Callable[..., Pipeline], cleanup: Cleanup, caplog: pytest.LogCaptureFixture
) -> None:
    detector, entered, release = blocked_detector(cleanup)
    pipeline = make_pipeline(
        detector, RedactionPolicy(time_budget_seconds=60), max_queue_size=4, max_export_batch_size=2
    )
    end_chat(pipeline, "blocker", ["BLOCK the worker, says zoe@example.com"])
    assert entered.wait(10), "the worker never started analysing"

    names = [f"span-{i:02d}" for i in range(12)]
    for i, name in enumerate(names):
        end_chat(
            pipeline, name, [f"note from user{i}@example.com"], error=LookupError(f"no user{i}@example.com")
        )
    assert pipeline.exported() == []  # the worker is still busy with the blocker
    release.set()
    pipeline.flush()

    spans = pipeline.by_name()
    queued, overflowed, dropped = names[:4], names[4:8], names[8:]
    assert sorted(spans) == sorted(["blocker", *queued, *overflowed])
    for name in dropped:
        assert name not in spans
    for name in queued:
        assert texts_of(spans[name].attributes[INPUT]) == ["note from <EMAIL_ADDRESS>"]
        assert STRIPPED not in spans[name].attributes
    for name in overflowed:
        span = spans[name]
        assert span.attributes[STRIPPED] == "queue_full"
        assert INPUT not in span.attributes
        assert_non_content_kept(span)
        [event] = span.events
        assert event.attributes["exception.type"] == "LookupError"
        assert event.attributes["exception.message"] == STRIPPED_MARKER
    for span in spans.values():
        assert not EMAIL.search(all_strings(span)), (span.name, dict(span.attributes))
    assert pipeline.metric(DEGRADED, {REASON: "queue_full", MODE: "strip"}) == 4
    assert pipeline.metric(DEGRADED, {REASON: "queue_full", MODE: "drop"}) == len(dropped)
    assert pipeline.metric(DEGRADED, {MODE: "strip"}) == 4
    assert any("dropping" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_export_batches_never_exceed_max_export_batch_size(
    make_pipeline: Callable[..., Pipeline], cleanup: Cleanup
) -> None:
    """OTEL_BSP_MAX_EXPORT_BATCH_SIZE bounds every export call, stripped overflow included."""
    detector, entered, release = blocked_detector(cleanup)
    pipeline = make_pipeline(
        detector, RedactionPolicy(time_budget_seconds=60), max_queue_size=6, max_export_batch_size=2
    )
    end_chat(pipeline, "blocker", ["BLOCK the worker"])
    assert entered.wait(10)
    for i in range(12):  # six queued, six in the overflow
        end_chat(pipeline, f"span-{i:02d}", [f"note {i}"])
    release.set()
    pipeline.flush()

    assert len(pipeline.by_name()) == 13
    assert max(pipeline.exporter.batch_sizes) <= 2, pipeline.exporter.batch_sizes


def _old_end_time() -> int:
    return time.time_ns() - 60 * 1_000_000_000


def test_a_backlog_is_exported_stripped_by_default(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector()
    pipeline = make_pipeline(detector, RedactionPolicy(max_lag_seconds=5))
    end_chat(pipeline, "old", ["from jane@example.com"], ["hi"], end_time=_old_end_time())
    pipeline.flush()
    end_chat(pipeline, "fresh", ["from bob@example.org"])
    pipeline.flush()

    spans = pipeline.by_name()
    old = spans["old"]
    assert old.attributes[STRIPPED] == "backlog"
    assert INPUT not in old.attributes and OUTPUT not in old.attributes
    assert_non_content_kept(old)
    assert detector.calls["from jane@example.com"] == 0
    assert texts_of(spans["fresh"].attributes[INPUT]) == ["from <EMAIL_ADDRESS>"]
    assert STRIPPED not in spans["fresh"].attributes
    assert pipeline.metric(DEGRADED, {REASON: "backlog", MODE: "strip"}) == 1


def test_a_backlog_under_patterns_is_analysed_without_ner(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector()
    pipeline = make_pipeline(detector, RedactionPolicy(max_lag_seconds=5, on_overload="patterns"))
    end_chat(pipeline, "old", [f"I am {FAKE_NAME}, jane@example.com"], end_time=_old_end_time())
    pipeline.flush()

    [span] = pipeline.exported()
    assert STRIPPED not in span.attributes
    assert detector.ner_flags and not any(detector.ner_flags)
    assert texts_of(span.attributes[INPUT]) == [f"I am {FAKE_NAME}, <EMAIL_ADDRESS>"]
    assert pipeline.metric(DEGRADED, {REASON: "backlog", MODE: "patterns"}) == 1

    # Caught up: the same text is analysed with NER (a patterns-only result is not reused for it).
    end_chat(pipeline, "fresh", [f"I am {FAKE_NAME}, jane@example.com"])
    pipeline.flush()
    fresh = pipeline.by_name()["fresh"]
    assert texts_of(fresh.attributes[INPUT]) == ["I am <PERSON>, <EMAIL_ADDRESS>"]
    assert detector.ner_flags[-1] is True


def test_a_backlog_under_patterns_with_the_real_engine(
    make_pipeline: Callable[..., Pipeline], real_engine: Any
) -> None:
    """Real engine: patterns still catch e-mail addresses (a name in no name list and after no cue is the
    model's and the name scorer's to find: not asserted here)."""
    pipeline = make_pipeline(policy=RedactionPolicy(max_lag_seconds=5, on_overload="patterns"))
    end_chat(
        pipeline,
        "old",
        ["The invoice went to Zorvath Quillmere and margaret.thornton@example.com"],
        end_time=_old_end_time(),
    )
    pipeline.flush(60_000)

    [span] = pipeline.exported()
    [text] = texts_of(span.attributes[INPUT])
    assert "margaret.thornton@example.com" not in text
    assert "<EMAIL_ADDRESS>" in text
    assert span.attributes["redaction.engine"] == "presidio patterns-only"
    assert "EMAIL_ADDRESS" in span.attributes["redaction.pii.types"]
    assert text.startswith("The invoice went to ")


# --- off the application thread --------------------------------------------------------------------


def test_on_end_returns_before_analysis_and_never_analyses_on_the_caller(
    make_pipeline: Callable[..., Pipeline], cleanup: Cleanup
) -> None:
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()
    cleanup.events.append(release)

    def block() -> None:
        entered.set()
        release.wait(10)
        finished.set()

    detector = FakeDetector(trigger="BLOCK", on_trigger=block)
    pipeline = make_pipeline(detector, RedactionPolicy(time_budget_seconds=60))
    end_chat(pipeline, "chat", ["BLOCK here, jane@example.com"])

    # span.end() has returned; the analysis is running elsewhere and has not finished.
    assert entered.wait(10)
    assert not finished.is_set()
    assert pipeline.exported() == []
    release.set()
    pipeline.flush()

    [span] = pipeline.exported()
    assert texts_of(span.attributes[INPUT]) == ["BLOCK here, <EMAIL_ADDRESS>"]
    assert detector.threads
    assert threading.current_thread() not in detector.threads
    assert threading.main_thread() not in detector.threads


# --- flush and shutdown ---------------------------------------------------------------------------


def test_force_flush_exports_everything_ended_before_it(make_pipeline: Callable[..., Pipeline]) -> None:
    # A long schedule delay: only the flush makes the worker export.
    pipeline = make_pipeline(FakeDetector(), schedule_delay_millis=60_000, max_export_batch_size=1_000)
    names = [f"span-{i}" for i in range(20)]
    for i, name in enumerate(names):
        end_chat(pipeline, name, [f"contact user{i}@example.com"])
    pipeline.flush()

    spans = pipeline.by_name()
    assert sorted(spans) == sorted(names)
    for span in spans.values():
        assert texts_of(span.attributes[INPUT]) == ["contact <EMAIL_ADDRESS>"]


def test_shutdown_exports_what_is_queued_and_shuts_the_exporter_down(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    pipeline = make_pipeline(FakeDetector(), schedule_delay_millis=60_000, max_export_batch_size=1_000)
    for i in range(3):
        end_chat(pipeline, f"span-{i}", [f"contact user{i}@example.com"])
    pipeline.processor.shutdown()

    spans = pipeline.by_name()
    assert sorted(spans) == ["span-0", "span-1", "span-2"]
    for span in spans.values():
        assert texts_of(span.attributes[INPUT]) == ["contact <EMAIL_ADDRESS>"]
        assert STRIPPED not in span.attributes
    assert pipeline.exporter.shutdown_called is True

    # Spans ended after shutdown are ignored, quietly.
    end_chat(pipeline, "late", ["late@example.com"])
    assert "late" not in pipeline.by_name()


def test_shutdown_with_a_hung_detector_returns_and_exports_leftovers_stripped(
    make_pipeline: Callable[..., Pipeline], cleanup: Cleanup
) -> None:
    entered, never = threading.Event(), threading.Event()
    cleanup.events.append(never)

    def hang() -> None:
        entered.set()
        never.wait(60)

    detector = FakeDetector(trigger="HANG", on_trigger=hang)
    pipeline = make_pipeline(detector, RedactionPolicy(time_budget_seconds=60), export_timeout_millis=300)
    end_chat(pipeline, "hung", ["HANG here: jane@example.com"])
    assert entered.wait(10)
    end_chat(pipeline, "left-1", ["queued for bob@example.org"])
    end_chat(pipeline, "left-2", ["queued for carol@example.net"])

    stopper = threading.Thread(target=pipeline.processor.shutdown, daemon=True)
    stopper.start()
    stopper.join(timeout=20)
    assert not stopper.is_alive(), "shutdown() did not return while the detector hung"

    spans = pipeline.by_name()
    assert sorted(spans) == ["left-1", "left-2"]
    for span in spans.values():
        assert span.attributes[STRIPPED] == "shutdown"
        assert INPUT not in span.attributes
        assert_non_content_kept(span)
        assert not EMAIL.search(all_strings(span))
    assert pipeline.exporter.shutdown_called is True
    assert pipeline.metric(DEGRADED, {REASON: "shutdown"}) == 2


# --- sampling and exporter failures ---------------------------------------------------------------


class RecordOnly(Sampler):
    """Records the spans whose name starts with "unsampled" without sampling them."""

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        decision = Decision.RECORD_ONLY if name.startswith("unsampled") else Decision.RECORD_AND_SAMPLE
        return SamplingResult(decision, attributes)

    def get_description(self) -> str:
        return "RecordOnly"


def test_unsampled_spans_are_not_exported(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector()
    pipeline = make_pipeline(detector, sampler=RecordOnly())
    end_chat(pipeline, "unsampled chat", ["secret from jane@example.com"])
    end_chat(pipeline, "sampled chat", ["hello from bob@example.org"])
    pipeline.flush()
    assert sorted(pipeline.by_name()) == ["sampled chat"]
    assert detector.calls["secret from jane@example.com"] == 0

    dropped = make_pipeline(detector, sampler=ALWAYS_OFF)
    end_chat(dropped, "chat", ["secret from carol@example.net"])
    dropped.flush()
    assert dropped.exported() == []


def test_an_exporter_that_raises_does_not_stop_the_worker(make_pipeline: Callable[..., Pipeline]) -> None:
    exporter = RecordingExporter(fail_first=1)
    pipeline = make_pipeline(FakeDetector(), exporter=exporter)
    end_chat(pipeline, "lost", ["from jane@example.com"])
    pipeline.flush()
    assert exporter.export_calls == 1 and exporter.items == []

    end_chat(pipeline, "delivered", ["from bob@example.org"])
    pipeline.flush()
    [span] = pipeline.exported()
    assert span.name == "delivered"
    assert texts_of(span.attributes[INPUT]) == ["from <EMAIL_ADDRESS>"]


# --- the cache ------------------------------------------------------------------------------------


def test_a_text_seen_in_many_spans_is_analysed_once(make_pipeline: Callable[..., Pipeline]) -> None:
    detector = FakeDetector()
    pipeline = make_pipeline(detector)
    system = "You help jane@example.com with her account."
    for round_ in range(3):  # separate batches
        for i in range(4):  # one batch
            end_chat(pipeline, f"chat-{round_}-{i}", [system, f"question {round_}-{i}"])
        pipeline.flush()

    spans = pipeline.exported()
    assert len(spans) == 12
    for span in spans:
        assert texts_of(span.attributes[INPUT])[0] == "You help <EMAIL_ADDRESS> with her account."
    assert detector.calls[system] == 1
    assert all(detector.calls[f"question {r}-{i}"] == 1 for r in range(3) for i in range(4))


# --- exception events -----------------------------------------------------------------------------


def test_exception_messages_and_their_copy_in_the_stacktrace_are_redacted(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    pipeline = make_pipeline(FakeDetector())
    email = "jane@example.com"
    span = pipeline.tracer.start_span("chat", attributes=dict(NON_CONTENT))
    try:
        raise ValueError(f"no account for user {email} (id 42)")
    except ValueError as error:
        span.record_exception(error)
    span.end()
    pipeline.flush()

    [exported] = pipeline.exported()
    [event] = [e for e in exported.events if e.name == "exception"]
    assert event.attributes["exception.type"] == "ValueError"
    assert event.attributes["exception.message"] == "no account for user <EMAIL_ADDRESS> (id 42)"
    stacktrace = event.attributes["exception.stacktrace"]
    assert "ValueError: no account for user <EMAIL_ADDRESS> (id 42)" in stacktrace
    assert "Traceback (most recent call last)" in stacktrace
    assert email not in all_strings(exported)
    assert_non_content_kept(exported)


# --- the real engine on spans -------------------------------------------------------------------


def test_real_engine_redacts_a_chat_span(make_pipeline: Callable[..., Pipeline], real_engine: Any) -> None:
    pipeline = make_pipeline()
    tool_call = {
        "role": "assistant",
        "parts": [
            {
                "type": "tool_call",
                "id": "call_1",
                "name": "lookup_customer",
                "arguments": {"email": "margaret.thornton@example.com", "phone": "+1 212-555-0147"},
            }
        ],
    }
    inputs = [
        {"role": "user", "parts": [{"type": "text", "content": "Hi, I'm Margaret Thornton."}]},
        tool_call,
    ]
    attributes = {**NON_CONTENT, INPUT: json.dumps(inputs)}
    span = pipeline.tracer.start_span("chat", attributes=attributes)
    span.end()
    pipeline.flush(60_000)

    [exported] = pipeline.exported()
    assert_non_content_kept(exported)
    redacted = json.loads(exported.attributes[INPUT])
    assert redacted[0]["parts"][0]["content"] == "Hi, I'm <PERSON>."
    part = redacted[1]["parts"][0]
    assert (part["type"], part["id"], part["name"]) == ("tool_call", "call_1", "lookup_customer")
    assert part["arguments"] == {"email": "<EMAIL_ADDRESS>", "phone": "<PHONE_NUMBER>"}
    text = all_strings(exported)
    for raw in ("Margaret", "Thornton", "margaret.thornton@example.com", "555-0147"):
        assert raw not in text
    assert exported.attributes["redaction.pii.types"] == ("EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER")
    assert exported.attributes["redaction.pii.count"] == 3
    assert exported.attributes["redaction.engine"] == real_engine.description


def test_real_engine_with_user_keys_patterns_and_deny_list(make_pipeline: Callable[..., Pipeline]) -> None:
    policy = RedactionPolicy(
        extra_keys=("app.note", "app.user."),
        patterns={"EMPLOYEE_ID": r"\bEMP-\d{6}\b"},
        deny_list=["Project Bluebird"],
    )
    pipeline = make_pipeline(policy=policy)
    attributes = {
        **NON_CONTENT,
        "app.note": "Ask jane.roe@example.com about EMP-123456 and Project Bluebird.",
        "app.user.bio": "badge EMP-654321",
        "app.build": "EMP-111111",  # not listed: not content, left alone
    }
    span = pipeline.tracer.start_span("chat", attributes=attributes)
    span.end()
    pipeline.flush(60_000)

    [exported] = pipeline.exported()
    assert exported.attributes["app.note"] == "Ask <EMAIL_ADDRESS> about <EMPLOYEE_ID> and <DENY_LIST>."
    assert exported.attributes["app.user.bio"] == "badge <EMPLOYEE_ID>"
    assert exported.attributes["app.build"] == "EMP-111111"
    assert set(exported.attributes["redaction.pii.types"]) == {"DENY_LIST", "EMAIL_ADDRESS", "EMPLOYEE_ID"}
    assert_non_content_kept(exported)


# --- log records --------------------------------------------------------------------------------


@dataclass
class LogPipeline:
    provider: LoggerProvider
    processor: RedactingLogRecordProcessor
    exporter: InMemoryLogRecordExporter
    reader: InMemoryMetricReader

    def emit(self, **kwargs: Any) -> None:
        self.provider.get_logger("test").emit(LogRecord(context=Context(), **kwargs))

    def flush(self, timeout_millis: int = 10_000) -> None:
        assert self.processor.force_flush(timeout_millis) is True, "force_flush failed or timed out"

    def records(self) -> list[Any]:
        return [r.log_record for r in self.exporter.get_finished_logs()]


@pytest.fixture
def make_log_pipeline(cleanup: Cleanup) -> Callable[..., LogPipeline]:
    def make(detector: Any = None, policy: RedactionPolicy | None = None, **kwargs: Any) -> LogPipeline:
        exporter = InMemoryLogRecordExporter()
        reader = InMemoryMetricReader()
        kwargs.setdefault("schedule_delay_millis", 20)
        kwargs.setdefault("export_timeout_millis", 2_000)
        processor = RedactingLogRecordProcessor(
            exporter,
            policy,
            meter_provider=MeterProvider(metric_readers=[reader]),
            detector=detector,
            **kwargs,
        )
        cleanup.processors.append(processor)
        provider = LoggerProvider(shutdown_on_exit=False)
        provider.add_log_record_processor(processor)
        return LogPipeline(provider, processor, exporter, reader)

    return make


EVENT = "gen_ai.client.inference.operation.details"


def structured(text: str, role: str = "user") -> list[dict[str, Any]]:
    return [{"role": role, "parts": [{"type": "text", "content": text}]}]


@NEEDS_LOG_EXCEPTIONS
def test_real_engine_redacts_log_records(
    make_log_pipeline: Callable[..., LogPipeline], real_engine: Any
) -> None:
    pipeline = make_log_pipeline()
    pipeline.emit(
        event_name=EVENT,
        attributes={
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 31,
            INPUT: structured("I'm Margaret Thornton, write to margaret.thornton@example.com"),
            OUTPUT: structured("Noted, Margaret.", role="assistant"),
        },
    )
    pipeline.emit(body="contact me at bob.smith@example.org")
    email = "carol.jones@example.net"
    try:
        raise KeyError(f"unknown user {email}")
    except KeyError as error:
        pipeline.emit(body="lookup failed", exception=error)
    pipeline.flush(60_000)

    event, body, failure = pipeline.records()
    assert event.event_name == EVENT
    assert event.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert event.attributes["gen_ai.usage.input_tokens"] == 31
    inputs = event.attributes[INPUT]
    assert inputs[0]["role"] == "user" and inputs[0]["parts"][0]["type"] == "text"  # still structured
    assert inputs[0]["parts"][0]["content"] == "I'm <PERSON>, write to <EMAIL_ADDRESS>"
    assert event.attributes[OUTPUT][0]["parts"][0]["content"] == "Noted, <PERSON>."
    assert body.body == "contact me at <EMAIL_ADDRESS>"
    assert failure.body == "lookup failed"
    assert failure.attributes["exception.type"] == "KeyError"
    assert email not in failure.attributes["exception.message"]
    assert "<EMAIL_ADDRESS>" in failure.attributes["exception.message"]
    assert email not in failure.attributes["exception.stacktrace"]
    everything = json.dumps(
        [[r.body, dict(r.attributes)] for r in pipeline.records()], default=str, ensure_ascii=False
    )
    for raw in ("Margaret", "margaret.thornton@example.com", "bob.smith@example.org", email):
        assert raw not in everything


def test_log_records_overflowing_the_queue_are_stripped(
    make_log_pipeline: Callable[..., LogPipeline], cleanup: Cleanup
) -> None:
    detector, entered, release = blocked_detector(cleanup)
    pipeline = make_log_pipeline(
        detector, RedactionPolicy(time_budget_seconds=60), max_queue_size=2, max_export_batch_size=2
    )
    pipeline.emit(body="BLOCK from zoe@example.com")
    assert entered.wait(10)
    for i in range(4):  # two queued, two in the overflow
        pipeline.emit(
            event_name=EVENT,
            body=f"body of user{i}@example.com",
            attributes={
                "gen_ai.request.model": "gpt-4o-mini",
                INPUT: structured(f"from user{i}@example.com"),
            },
        )
    release.set()
    pipeline.flush()

    records = pipeline.records()
    assert len(records) == 5
    stripped = [r for r in records if r.attributes.get(STRIPPED) == "queue_full"]
    assert len(stripped) == 2
    for record in stripped:
        assert record.body == STRIPPED_MARKER
        assert INPUT not in record.attributes
        assert record.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    for record in records:
        assert not EMAIL.search(json.dumps([record.body, dict(record.attributes)], default=str))
    assert metric_sum(pipeline.reader, DEGRADED, {REASON: "queue_full"}) == 2


ADDRESS = "jane.doe@example.com"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_worker_and_exports_its_own_spans(tmp_path) -> None:
    """gunicorn --preload: instrument() runs in the parent, requests are served by forked children."""
    exporter = InMemorySpanExporter()
    processor = RedactingSpanProcessor(exporter, RedactionPolicy(), detector=FakeDetector())
    processor.force_flush(1_000)  # the worker thread is running in the parent
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    result = tmp_path / "child.json"
    pid = os.fork()
    if pid == 0:  # the child: end a span, flush, report what its exporter received
        try:
            span = tracer.start_span("in the child", attributes={INPUT: messages(f"from {ADDRESS}")})
            span.end()
            flushed = processor.force_flush(10_000)
            exported = [
                {"name": s.name, "input": s.attributes.get(INPUT)} for s in exporter.get_finished_spans()
            ]
            result.write_text(json.dumps({"flushed": flushed, "exported": exported}))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = json.loads(result.read_text())
    assert child["flushed"] is True
    assert [s["name"] for s in child["exported"]] == ["in the child"]
    assert ADDRESS not in child["exported"][0]["input"]
    provider.shutdown()


# --- isolation="process": the engine in a child process --------------------------------------------


@pytest.fixture(scope="module")
def process_policy() -> RedactionPolicy:
    return RedactionPolicy(isolation="process")


def test_process_isolation_redacts_in_a_child_process(process_policy: RedactionPolicy) -> None:
    exporter = InMemorySpanExporter()
    processor = RedactingSpanProcessor(exporter, process_policy)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    span = provider.get_tracer("test").start_span(
        "chat", attributes={INPUT: messages(f"I am {FAKE_NAME}, mail {ADDRESS}")}
    )
    span.end()
    assert processor.force_flush(60_000)
    (exported,) = exporter.get_finished_spans()
    assert (
        json.loads(exported.attributes[INPUT])[0]["parts"][0]["content"]
        == "I am <PERSON>, mail <EMAIL_ADDRESS>"
    )
    assert exported.attributes["redaction.engine"].endswith("(process)")
    child = processor.redactor.detector._process
    assert child is not None and child.pid != os.getpid() and child.poll() is None
    provider.shutdown()


def test_process_isolation_kills_an_overrunning_analysis_and_recovers() -> None:
    policy = RedactionPolicy(isolation="process", time_budget_seconds=0.5, cache_size=0)
    from otel_genai.redaction.redactor import Redactor

    redactor = Redactor(policy)
    detector = redactor.detector
    detector.load()
    first_child = detector._process
    slow = " ".join(f"Paragraph {i} was written by Maria Lopez in Austin." for i in range(3000))
    results = redactor._analyse([slow], ner=True)
    assert type(results[slow]).__name__ == "_Failed" and results[slow].reason == "timeout"
    assert first_child.wait(timeout=10) is not None  # killed, not left running
    again = redactor._analyse(["mail jane@example.com"], ner=True)  # a fresh child answers
    assert [f.entity_type for f in again["mail jane@example.com"]] == ["EMAIL_ADDRESS"]
    assert detector._process is not first_child
    detector.close()


def test_the_child_process_exits_with_its_parent(tmp_path) -> None:
    code = textwrap.dedent(
        """
        from otel_genai.redaction import RedactionPolicy
        from otel_genai.redaction.engine import shared_detector
        detector = shared_detector(RedactionPolicy(isolation="process"))
        detector.load()
        print(detector._process.pid, flush=True)
        """
    )  # the parent exits without closing the detector
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    child = int(result.stdout.split()[-1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_engine_process(process_policy: RedactionPolicy, tmp_path) -> None:
    detector = shared_detector(process_policy)
    detector.load()
    parent_engine = detector._process.pid
    result = tmp_path / "child.json"
    pid = os.fork()
    if pid == 0:
        try:
            (found,) = detector.analyze_iter(["mail jane@example.com"])
            engine = detector._process.pid
            detector.close()
            result.write_text(json.dumps({"engine": engine, "types": [f.entity_type for f in found[1]]}))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = json.loads(result.read_text())
    assert child["types"] == ["EMAIL_ADDRESS"]
    assert child["engine"] != parent_engine
    (found,) = detector.analyze_iter(["call 212-555-0147"])  # the parent's engine is untouched
    assert detector._process.pid == parent_engine
    assert [f.entity_type for f in found[1]] == ["PHONE_NUMBER"]
