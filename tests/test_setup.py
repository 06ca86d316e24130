"""The public API: ``otel_genai.instrument()``, ``uninstrument()`` and the ``Instrumentation`` handle.

What touches the process-wide OpenTelemetry providers runs in subprocesses (started together, once per
module, by the ``scenarios`` fixture); everything else runs here on the in-memory pipelines of
``conftest.py``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

import otel_genai
from helpers.openai_fakes import MODEL, FakeOpenAI, chat_completion, responses_body
from helpers.processes import collect_runs, json_documents, subprocess_env, unused_port
from helpers.telemetry import Telemetry
from otel_genai import _config, _setup
from otel_genai.instrumentation.openai import _TARGETS


def _unwrapped(value: Any) -> Any:
    return value.__wrapped__ if isinstance(value, wrapt.FunctionWrapper) else value


# The client methods otel-genai wraps, as they are before instrumentation.
TARGETS = [(getattr(importlib.import_module(module), cls), method) for module, cls, method, _ in _TARGETS]
ORIGINALS = {(owner, method): _unwrapped(owner.__dict__[method]) for owner, method in TARGETS}


def assert_wrapped_once() -> None:
    for (owner, method), original in ORIGINALS.items():
        current = owner.__dict__[method]
        assert isinstance(current, wrapt.FunctionWrapper), (owner, method)
        assert current.__wrapped__ is original, (owner, method)


def assert_not_wrapped() -> None:
    for (owner, method), original in ORIGINALS.items():
        assert owner.__dict__[method] is original, (owner, method)


def call_both(client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    fake_openai.reply("/responses", responses_body())
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    client.responses.create(model=MODEL, input="hi")


# --- the public surface ---------------------------------------------------------------------------


BUILT_IN = tuple(_setup.INSTRUMENTORS)  # ("openai", "chromadb", ...), in registry order


def turned_on(handle: otel_genai.Instrumentation) -> tuple[str, ...]:
    """Instrumented now, or as soon as the library is imported (a test run alone imports fewer)."""
    return tuple(name for name in BUILT_IN if name in handle.instrumented or name in handle.deferred)


def test_public_api() -> None:
    assert sorted(otel_genai.__all__) == [
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
    for name in otel_genai.__all__:
        assert getattr(otel_genai, name) is not None
    assert otel_genai.__version__ == importlib.metadata.version("otel-genai")
    assert callable(otel_genai.instrument) and callable(otel_genai.uninstrument)


def test_instrument_wraps_every_openai_method(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    handle = telemetry.instrumentation
    assert isinstance(handle, otel_genai.Instrumentation)
    assert turned_on(handle) == BUILT_IN  # every client library is installed for the tests
    assert "openai" in handle.instrumented
    assert handle.tracer_provider is telemetry.tracer_provider
    assert handle.meter_provider is telemetry.meter_provider
    assert_wrapped_once()
    call_both(client, fake_openai)
    assert sorted(s.attributes["openai.api.type"] for s in telemetry.spans()) == [
        "chat_completions",
        "responses",
    ]


def test_empty_instrumentors_instrument_nothing(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(instrumentors=[])
    assert telemetry.instrumentation.instrumented == ()
    assert_not_wrapped()
    call_both(client, fake_openai)
    assert telemetry.spans() == []


def test_disabled_instrumentations_variable_is_honoured(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "requests,openai")
    telemetry = make_telemetry()
    assert turned_on(telemetry.instrumentation) == tuple(n for n in BUILT_IN if n != "openai")
    assert_not_wrapped()
    call_both(client, fake_openai)
    assert telemetry.spans() == []


def test_instrument_twice_returns_the_same_handle_and_wraps_once(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    other = TracerProvider()
    again = otel_genai.instrument(exporter="none", tracer_provider=other, capture_content=True)
    assert again is telemetry.instrumentation
    assert again.tracer_provider is telemetry.tracer_provider
    assert_wrapped_once()
    call_both(client, fake_openai)
    assert len(telemetry.spans()) == 2  # one per call
    # The second call changed nothing: content is still off.
    assert all("gen_ai.input.messages" not in s.attributes for s in telemetry.spans())


def test_uninstrument_restores_the_original_methods(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    first = make_telemetry()
    assert_wrapped_once()
    otel_genai.uninstrument()
    assert_not_wrapped()
    call_both(client, fake_openai)
    assert first.spans() == []
    # The application's providers are left as they are.
    first.tracer_provider.get_tracer("app").start_span("app work").end()
    assert [s.name for s in first.spans()] == ["app work"]

    # And instrumenting again starts over with a new handle.
    second = make_telemetry()
    assert second.instrumentation is not first.instrumentation
    assert_wrapped_once()
    call_both(client, fake_openai)
    assert len(second.spans()) == 2
    assert [s.name for s in first.spans()] == ["app work"]


def test_a_wrapper_the_sdk_kept_traces_nothing_after_uninstrument(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    """openai caches ``with_raw_response`` with the bound method it saw (LangChain's ChatOpenAI calls
    through it): after uninstrument that reference is ours still, and must only pass the call on."""
    telemetry = make_telemetry()
    fake_openai.reply("/chat/completions", chat_completion())
    raw = client.chat.completions.with_raw_response  # cached: holds our wrapper from now on
    raw.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]).parse()
    assert len(telemetry.spans()) == 1
    otel_genai.uninstrument()
    completion = raw.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]).parse()
    assert completion.choices[0].message.content
    assert len(telemetry.spans()) == 1  # no new span


def test_uninstrument_without_instrument_is_harmless() -> None:
    otel_genai.uninstrument()
    otel_genai.uninstrument()
    assert_not_wrapped()


def test_shutdown_removes_the_wrappers_and_keeps_given_providers(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    handle = telemetry.instrumentation
    assert handle.force_flush() is True
    handle.shutdown()
    assert_not_wrapped()
    call_both(client, fake_openai)
    assert telemetry.spans() == []
    # Providers the application passed in are not shut down.
    telemetry.tracer_provider.get_tracer("app").start_span("still exported").end()
    assert [s.name for s in telemetry.spans()] == ["still exported"]
    # A new instrument() builds a new handle.
    again = otel_genai.instrument(exporter="none", tracer_provider=telemetry.tracer_provider)
    try:
        assert again is not handle
        assert_wrapped_once()
    finally:
        again.shutdown()


def test_force_flush_reports_failure(telemetry: Telemetry) -> None:
    class Failing:
        def force_flush(self, timeout_millis: int = 30_000) -> bool:
            return False

    telemetry.instrumentation._owned.append(Failing())
    assert telemetry.instrumentation.force_flush() is False


def test_content_capture_through_instrument(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(capture_content="span_and_event")
    assert telemetry.instrumentation.settings.capture_mode is otel_genai.CaptureMode.SPAN_AND_EVENT
    call_both(client, fake_openai)
    assert all("gen_ai.input.messages" in s.attributes for s in telemetry.spans())
    assert len(telemetry.logs()) == 2


# --- resource and exporters (no global state involved) --------------------------------------------


@pytest.mark.parametrize(
    ("argument", "env", "expected"),
    [
        ("svc-arg", {}, "svc-arg"),
        (None, {"OTEL_SERVICE_NAME": "svc-env"}, "svc-env"),
        (None, {"OTEL_RESOURCE_ATTRIBUTES": "service.name=svc-attrs"}, "svc-attrs"),
        (
            None,
            {"OTEL_SERVICE_NAME": "svc-env", "OTEL_RESOURCE_ATTRIBUTES": "service.name=svc-attrs"},
            "svc-env",
        ),
        ("svc-arg", {"OTEL_SERVICE_NAME": "svc-env"}, "svc-arg"),
    ],
)
def test_resource_service_name(
    argument: str | None, env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resource: Resource = _setup._resource(_config.resolve(service_name=argument, env={}))
    assert resource.attributes["service.name"] == expected
    assert resource.attributes["telemetry.sdk.name"] == "opentelemetry"


@pytest.mark.parametrize(
    ("env", "module"),
    [
        ({}, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
            "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ),
    ],
)
def test_otlp_span_exporter_protocol(
    env: dict[str, str], module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{unused_port()}")
    exporter = _setup._span_exporter("otlp")
    try:
        assert type(exporter).__name__ == "OTLPSpanExporter"
        assert type(exporter).__module__ == module
    finally:
        exporter.shutdown()


def test_span_exporter_instance_is_used_as_is() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    assert _setup._span_exporter(exporter) is exporter
    console = _setup._span_exporter("console")
    assert "OTLP" not in type(console).__name__


# --- global providers, exporters and zero-code: subprocesses ---------------------------------------

PRELUDE = """
import json, logging, sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
import otel_genai
from otel_genai import _setup

RESULT = {}
LOG = []
handler = logging.Handler()
handler.emit = lambda record: LOG.append(record.getMessage())
logging.getLogger("otel_genai").addHandler(handler)
logging.getLogger("otel_genai").setLevel(logging.INFO)

def name_of(obj):
    return f"{type(obj).__module__}.{type(obj).__qualname__}"

from otel_genai.redaction.processor import exporter_of, processors_of as processors

def exporters(provider):
    return [name_of(exporter_of(p)) for p in processors(provider)]

def chat():
    import httpx2, openai
    message = {"role": "assistant", "content": "hi"}
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(
                               lambda request: httpx2.Response(200, json=body))))
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

def wrapped():
    import openai, wrapt
    return isinstance(openai.resources.chat.completions.Completions.__dict__["create"], wrapt.FunctionWrapper)

CONSOLE = name_of(_setup._span_exporter("console"))
"""

# name -> (environment, script body run after PRELUDE; it fills RESULT)
SCENARIOS: dict[str, tuple[dict[str, str], str]] = {
    # No tracer_provider: an SDK provider is built, with our resource, and made global.
    "built": (
        {"OTEL_SERVICE_NAME": "svc-env"},
        """
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        memory = InMemorySpanExporter()
        handle = otel_genai.instrument(service_name="svc-arg", exporter=memory)
        provider = trace.get_tracer_provider()
        RESULT["global_is_handle"] = provider is handle.tracer_provider
        RESULT["sdk"] = isinstance(provider, SdkTracerProvider)
        RESULT["service_name"] = provider.resource.attributes.get("service.name")
        RESULT["processors"] = [type(p).__name__ for p in processors(provider)]
        RESULT["exporter_is_given"] = [exporter_of(p) is memory for p in processors(provider)]
        chat()
        RESULT["flushed"] = handle.force_flush()
        RESULT["spans"] = [
            [s.name, s.resource.attributes.get("service.name"), s.attributes.get("gen_ai.provider.name")]
            for s in memory.get_finished_spans()
        ]
        handle.shutdown()
        RESULT["wrapped_after_shutdown"] = wrapped()
        RESULT["instrumented_again"] = otel_genai.instrument(exporter="none") is not handle
        """,
    ),
    # Resource and exporter from the environment only.
    "from_env": (
        {
            "OTEL_SERVICE_NAME": "svc-env",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=svc-attrs,deployment.environment.name=test",
            "OTEL_TRACES_EXPORTER": "console",
        },
        """
        handle = otel_genai.instrument(instrumentors=[])
        provider = trace.get_tracer_provider()
        RESULT["global_is_handle"] = provider is handle.tracer_provider
        RESULT["service_name"] = provider.resource.attributes.get("service.name")
        RESULT["environment"] = provider.resource.attributes.get("deployment.environment.name")
        RESULT["exporters"] = exporters(provider)
        RESULT["console"] = CONSOLE
        RESULT["settings_exporters"] = list(handle.settings.span_exporters)
        RESULT["metric_exporters"] = list(handle.settings.metric_exporters)
        """,
    ),
    "otlp_default": (
        {},
        """
        handle = otel_genai.instrument(instrumentors=[])
        RESULT["exporters"] = exporters(trace.get_tracer_provider())
        RESULT["processors"] = [type(p).__name__ for p in processors(trace.get_tracer_provider())]
        handle.shutdown()
        """,
    ),
    "otlp_http": (
        {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
        """
        handle = otel_genai.instrument(exporter="otlp", instrumentors=[])
        RESULT["exporters"] = exporters(trace.get_tracer_provider())
        handle.shutdown()
        """,
    ),
    "console_argument_beats_env": (
        {"OTEL_TRACES_EXPORTER": "otlp"},
        """
        otel_genai.instrument(exporter="console", instrumentors=[])
        RESULT["exporters"] = exporters(trace.get_tracer_provider())
        RESULT["console"] = CONSOLE
        """,
    ),
    "none": (
        {"OTEL_TRACES_EXPORTER": "console"},
        """
        handle = otel_genai.instrument(exporter="none", instrumentors=[])
        RESULT["sdk"] = isinstance(trace.get_tracer_provider(), SdkTracerProvider)
        RESULT["exporters"] = exporters(trace.get_tracer_provider())
        """,
    ),
    # The application set its own SDK provider first: ours is added to it, never replaces it.
    "application_provider": (
        {},
        """
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        app = SdkTracerProvider(resource=Resource.create({"service.name": "the-app"}))
        memory = InMemorySpanExporter()
        app.add_span_processor(SimpleSpanProcessor(memory))
        trace.set_tracer_provider(app)

        handle = otel_genai.instrument(service_name="ignored", exporter="console")
        RESULT["handle_is_app"] = handle.tracer_provider is app
        RESULT["global_is_app"] = trace.get_tracer_provider() is app
        RESULT["exporters"] = exporters(app)
        RESULT["console"] = CONSOLE
        RESULT["log"] = list(LOG)
        chat()
        RESULT["spans"] = [[s.name, s.resource.attributes["service.name"]]
                           for s in memory.get_finished_spans()]
        handle.shutdown()
        RESULT["wrapped_after_shutdown"] = wrapped()
        app.get_tracer("app").start_span("after shutdown").end()
        RESULT["app_still_exports"] = [s.name for s in memory.get_finished_spans()][-1]

        # An application that already exports over OTLP gets no second OTLP exporter.
        app.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        LOG.clear()
        before = exporters(app)
        handle = otel_genai.instrument(exporter="otlp")
        RESULT["otlp_before"] = before
        RESULT["otlp_after"] = exporters(app)
        RESULT["otlp_log"] = list(LOG)
        handle.shutdown()
        """,
    ),
    # Importing the package is cheap: no client library, exporter or redaction engine.
    "imports": (
        {},
        """
        RESULT["loaded"] = sorted(m for m in ("openai", "presidio_analyzer", "spacy", "grpc", "httpx2")
                                  if m in sys.modules)
        """,
    ),
}
NO_PRELUDE = {"imports"}

ZERO_CODE_SCRIPT = """
import json, os, sys
from otel_genai import _instrumentors
# every instrumentor is on, but no client library the application has not imported is loaded yet
preloaded = [d.module for d in _instrumentors.DECLARATIONS if d.module in sys.modules]
import httpx2, openai

body = {"id": "chatcmpl-zero", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                       http_client=httpx2.Client(transport=httpx2.MockTransport(
                           lambda request: httpx2.Response(200, json=body))))
prompt = os.environ.get("ZERO_CODE_PROMPT", "hi")
answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
wrapper = openai.resources.chat.completions.Completions.__dict__["create"]
reader = getattr(getattr(wrapper, "_self_wrapper", None), "__self__", None)
with open(sys.argv[1], "w") as out:
    json.dump({"answer": answer.choices[0].message.content, "wrapped_by": type(reader).__module__,
               "preloaded": preloaded}, out)
"""


ZERO_CODE_PII_PROMPT = "I am Maria Gonzalez, write to maria.gonzalez@example.com or call (212) 555-0147"


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Runs every subprocess scenario at once; name -> {"result", "stdout", "stderr", "returncode"}."""
    root = tmp_path_factory.mktemp("scenarios")
    bin_dir = Path(sys.executable).parent
    running: dict[str, tuple[subprocess.Popen[str], Path]] = {}

    for name, (env_overrides, body) in SCENARIOS.items():
        script = root / f"{name}.py"
        code = "import sys, json\nRESULT = {}\n" if name in NO_PRELUDE else PRELUDE
        if name in NO_PRELUDE:
            code += "import otel_genai\n"
        code += textwrap.dedent(body)
        code += "\nwith open(sys.argv[1], 'w') as _out:\n    json.dump(RESULT, _out)\n"
        script.write_text(code)
        output = root / f"{name}.json"
        env = {**subprocess_env(), **env_overrides}
        running[name] = (_start([sys.executable, str(script), str(output)], env, root), output)

    zero_code = root / "zero_code_app.py"
    zero_code.write_text(ZERO_CODE_SCRIPT)
    env = {
        **subprocess_env(),
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_SERVICE_NAME": "zero-code-app",
    }
    # opentelemetry-distro (a dev dependency, as the README tells users) configures the SDK from OTEL_*.
    output = root / "zero_code.json"
    command = [str(bin_dir / "opentelemetry-instrument"), sys.executable, str(zero_code), str(output)]
    running["zero_code"] = (_start(command, env, root), output)
    # The same with content capture on: the distro's exporter must only ever see redacted content.
    content_env = {
        **env,
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
        "ZERO_CODE_PROMPT": ZERO_CODE_PII_PROMPT,
    }
    output = root / "zero_code_content.json"
    command = [str(bin_dir / "opentelemetry-instrument"), sys.executable, str(zero_code), str(output)]
    running["zero_code_content"] = (_start(command, content_env, root), output)

    yield collect_runs(running)


def _start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def result_of(scenarios: dict[str, Any], name: str) -> dict[str, Any]:
    run = scenarios[name]
    assert run["returncode"] == 0 and run["result"] is not None, f"{name} failed:\n{run['stderr'][-3000:]}"
    return run["result"]


GRPC = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter.OTLPSpanExporter"
HTTP = "opentelemetry.exporter.otlp.proto.http.trace_exporter.OTLPSpanExporter"


def test_builds_and_sets_a_global_provider(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "built")
    assert result["global_is_handle"] is True
    assert result["sdk"] is True
    assert result["service_name"] == "svc-arg"  # the argument beats OTEL_SERVICE_NAME
    assert result["processors"] == ["BatchSpanProcessor"]
    assert result["exporter_is_given"] == [True]
    assert result["flushed"] is True
    assert result["spans"] == [[f"chat {MODEL}", "svc-arg", "openai"]]
    assert result["wrapped_after_shutdown"] is False
    assert result["instrumented_again"] is True


def test_resource_and_exporter_from_the_environment(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "from_env")
    assert result["global_is_handle"] is True
    assert result["service_name"] == "svc-env"
    assert result["environment"] == "test"
    assert result["settings_exporters"] == ["console"]
    assert result["exporters"] == [result["console"]]
    assert result["metric_exporters"] == []


def test_otlp_grpc_is_the_default_exporter(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "otlp_default")
    assert result["exporters"] == [GRPC]
    assert result["processors"] == ["BatchSpanProcessor"]


def test_otlp_protocol_variable_selects_http(scenarios: dict[str, Any]) -> None:
    assert result_of(scenarios, "otlp_http")["exporters"] == [HTTP]


def test_console_argument_beats_the_environment(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "console_argument_beats_env")
    assert result["exporters"] == [result["console"]]
    assert GRPC not in result["exporters"]


def test_exporter_none_exports_nothing(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "none")
    assert result["exporters"] == []
    assert result["sdk"] is True


def test_the_applications_provider_is_extended_not_replaced(scenarios: dict[str, Any]) -> None:
    result = result_of(scenarios, "application_provider")
    assert result["handle_is_app"] is True
    assert result["global_is_app"] is True
    assert result["exporters"] == [
        "opentelemetry.sdk.trace.export.in_memory_span_exporter.InMemorySpanExporter",
        result["console"],
    ]
    assert any("added console exporting to the application's TracerProvider" in m for m in result["log"])
    assert result["spans"] == [[f"chat {MODEL}", "the-app"]]  # the application's resource, not ours
    assert result["wrapped_after_shutdown"] is False
    assert result["app_still_exports"] == "after shutdown"
    assert result["otlp_after"] == result["otlp_before"]
    assert result["otlp_after"].count(GRPC) == 1
    assert any("already exports to otlp" in m for m in result["otlp_log"])


def test_import_is_cheap(scenarios: dict[str, Any]) -> None:
    assert result_of(scenarios, "imports")["loaded"] == []


def test_zero_code_instrumentation(scenarios: dict[str, Any]) -> None:
    """``opentelemetry-instrument python app.py`` finds our ``opentelemetry_instrumentor`` entry point."""
    result = result_of(scenarios, "zero_code")
    assert result["answer"] == "hi"
    # wrapped when the application imported openai, not before: start-up imports no client library
    assert result["wrapped_by"] == "otel_genai.instrumentation.openai"
    assert result["preloaded"] == []

    # The SDK's console exporter prints one JSON document per span.
    spans = json_documents(scenarios["zero_code"]["stdout"])
    (span,) = [s for s in spans if s["name"] == f"chat {MODEL}"]
    assert span["kind"] == "SpanKind.CLIENT"
    assert span["attributes"]["gen_ai.operation.name"] == "chat"
    assert span["attributes"]["gen_ai.provider.name"] == "openai"
    assert span["attributes"]["gen_ai.request.model"] == MODEL
    assert span["attributes"]["gen_ai.response.id"] == "chatcmpl-zero"
    assert span["attributes"]["gen_ai.usage.input_tokens"] == 3
    assert span["attributes"]["gen_ai.usage.output_tokens"] == 1
    assert span["resource"]["attributes"]["service.name"] == "zero-code-app"


def test_every_instrumentor_has_an_entry_point() -> None:
    """``opentelemetry-instrument`` finds exactly what ``instrument()`` knows (pyproject mirrors it)."""
    points = {
        point.name: point.value
        for point in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
        if point.dist is not None and point.dist.name == "otel-genai"
    }
    assert points == {name: target for name, (_, target) in _setup.INSTRUMENTORS.items()}


def test_zero_code_with_content_capture_redacts_before_the_distros_exporter(
    scenarios: dict[str, Any],
) -> None:
    result_of(scenarios, "zero_code_content")
    stdout = scenarios["zero_code_content"]["stdout"]
    (span,) = [s for s in json_documents(stdout) if s["name"] == f"chat {MODEL}"]
    messages = json.loads(span["attributes"]["gen_ai.input.messages"])
    text = messages[0]["parts"][0]["content"]
    assert text == "I am <PERSON>, write to <EMAIL_ADDRESS> or call <PHONE_NUMBER>"
    for pii in ("Maria", "Gonzalez", "maria.gonzalez@example.com", "555-0147"):
        assert pii not in stdout
    assert span["attributes"]["redaction.pii.count"] == 3


# --- which instrumentors turn on ------------------------------------------------------------------


class BrokenInstrumentor(BaseInstrumentor):
    """An integration whose own set-up fails: it must disable itself and nothing else."""

    def instrumentation_dependencies(self) -> tuple[str, ...]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        raise RuntimeError("this integration is broken")

    def _uninstrument(self, **kwargs: Any) -> None:
        pass


class FutureOpenAIInstrumentor(BaseInstrumentor):
    """Asks for an openai release that does not exist yet."""

    def instrumentation_dependencies(self) -> tuple[str, ...]:
        return ("openai >= 99",)

    def _instrument(self, **kwargs: Any) -> None:
        raise AssertionError("must not be called when the installed version is not supported")

    def _uninstrument(self, **kwargs: Any) -> None:
        pass


def _with_instrumentors(monkeypatch: pytest.MonkeyPatch, extra: dict[str, tuple[str, str]]) -> None:
    monkeypatch.setattr(_setup, "INSTRUMENTORS", {**_setup.INSTRUMENTORS, **extra})


def test_a_library_that_is_not_installed_is_skipped_quietly(
    make_telemetry: Callable[..., Telemetry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _with_instrumentors(
        monkeypatch, {"nosuchlib": ("nosuchlib_otel_genai_test", f"{__name__}:BrokenInstrumentor")}
    )
    caplog.set_level(logging.DEBUG, logger="otel_genai")

    telemetry = make_telemetry()

    assert turned_on(telemetry.instrumentation) == BUILT_IN
    [message] = [r for r in caplog.records if "nosuchlib_otel_genai_test" in r.getMessage()]
    assert message.levelno == logging.DEBUG and "not installed" in message.getMessage()


def test_an_unsupported_library_version_is_skipped_at_debug_level(
    make_telemetry: Callable[..., Telemetry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _with_instrumentors(monkeypatch, {"future": ("openai", f"{__name__}:FutureOpenAIInstrumentor")})
    caplog.set_level(logging.DEBUG, logger="otel_genai")

    telemetry = make_telemetry()

    assert turned_on(telemetry.instrumentation) == BUILT_IN
    [message] = [r for r in caplog.records if "not instrumenting future" in r.getMessage()]
    assert message.levelno == logging.DEBUG and "openai >= 99" in message.getMessage()


def test_a_broken_integration_disables_itself_and_nothing_else(
    make_telemetry: Callable[..., Telemetry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    client: Any,
    fake_openai: FakeOpenAI,
) -> None:
    _with_instrumentors(monkeypatch, {"broken": ("json", f"{__name__}:BrokenInstrumentor")})

    telemetry = make_telemetry()

    assert turned_on(telemetry.instrumentation) == BUILT_IN
    assert any("could not instrument broken" in r.getMessage() for r in caplog.records)
    fake_openai.reply("/chat/completions", chat_completion())
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert len(telemetry.spans()) == 1


# --- libraries imported after instrument() ------------------------------------------------------------

LATE_IMPORT = """
import json, sys
import otel_genai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
handle = otel_genai.instrument(tracer_provider=provider, exporter="none")
before = {
    "imported": sorted(m for m in ("chromadb", "qdrant_client", "langchain_core", "mcp") if m in sys.modules),
    "instrumented": list(handle.instrumented),
    "deferred": list(handle.deferred),
}
import chromadb
from chromadb.config import Settings

client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
collection = client.create_collection("late-docs", embedding_function=None)
collection.add(ids=["a"], embeddings=[[1.0, 0.0]])
collection.query(query_embeddings=[[1.0, 0.0]], n_results=1)
after = {"instrumented": list(handle.instrumented), "deferred": list(handle.deferred)}
otel_genai.uninstrument()
import qdrant_client  # imported after uninstrument(): must stay untouched
wrapped = hasattr(qdrant_client.QdrantClient.query_points, "__wrapped__")
print(json.dumps({
    "before": before, "after": after, "qdrant_wrapped": wrapped,
    "spans": [s.name for s in exporter.get_finished_spans()],
}))
"""


def test_a_library_imported_after_instrument_is_instrumented_on_its_import() -> None:
    """instrument() does not import client libraries the application has not imported (that took seconds)."""
    result = subprocess.run(
        [sys.executable, "-c", LATE_IMPORT], capture_output=True, text=True, env=subprocess_env(), timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"]["imported"] == []
    assert "chromadb" in report["before"]["deferred"] and "chromadb" not in report["before"]["instrumented"]
    assert "chromadb" in report["after"]["instrumented"] and "chromadb" not in report["after"]["deferred"]
    assert report["spans"] == ["add late-docs", "retrieval late-docs"]
    assert report["qdrant_wrapped"] is False
