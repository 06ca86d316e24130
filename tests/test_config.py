"""``otel_genai._config``: keyword arguments, environment and defaults resolved into ``Settings``."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_genai import CaptureMode
from otel_genai._config import (
    DEFAULT_MAX_CONTENT_LENGTH,
    ENV_CAPTURE_CONTENT,
    ENV_DISABLED_INSTRUMENTATIONS,
    ENV_LOGS_EXPORTER,
    ENV_MAX_CONTENT_LENGTH,
    ENV_METRICS_EXPORTER,
    ENV_RETRIEVAL_DOCUMENT_IDS,
    ENV_TOOL_DEFINITION_DETAILS,
    ENV_TRACES_EXPORTER,
    parse_capture_mode,
    resolve,
)


def test_defaults_with_an_empty_environment() -> None:
    settings = resolve(env={})
    assert settings.service_name is None
    assert settings.span_exporters == ("otlp",)
    assert settings.metric_exporters == ("otlp",)
    assert settings.log_exporters == ("otlp",)
    assert settings.capture_mode is CaptureMode.NO_CONTENT
    assert settings.max_content_length == DEFAULT_MAX_CONTENT_LENGTH
    assert settings.tool_definition_details is False
    assert settings.retrieval_document_ids is True
    assert settings.instrumentors is None
    assert settings.disabled_instrumentors == frozenset()
    assert settings.wants("openai")


# --- capture mode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, CaptureMode.SPAN_ONLY),
        (False, CaptureMode.NO_CONTENT),
        (None, CaptureMode.NO_CONTENT),
        ("", CaptureMode.NO_CONTENT),
        ("SPAN_ONLY", CaptureMode.SPAN_ONLY),
        ("span_only", CaptureMode.SPAN_ONLY),
        (" Event_Only ", CaptureMode.EVENT_ONLY),
        ("span_and_event", CaptureMode.SPAN_AND_EVENT),
        ("no_content", CaptureMode.NO_CONTENT),
        (CaptureMode.EVENT_ONLY, CaptureMode.EVENT_ONLY),
    ],
)
def test_parse_capture_mode(value: object, expected: CaptureMode) -> None:
    assert parse_capture_mode(value) is expected


@pytest.mark.parametrize("value", ["true", "yes", "SPAN", "1"])
def test_invalid_capture_mode_is_no_content_with_a_warning(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        assert parse_capture_mode(value) is CaptureMode.NO_CONTENT
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "otel_genai"]
    assert len(warnings) == 1
    assert ENV_CAPTURE_CONTENT in warnings[0].getMessage()
    assert repr(value) in warnings[0].getMessage()


def test_capture_mode_from_the_environment() -> None:
    assert resolve(env={ENV_CAPTURE_CONTENT: "span_and_event"}).capture_mode is CaptureMode.SPAN_AND_EVENT
    assert resolve(env={ENV_CAPTURE_CONTENT: "EVENT_ONLY"}).capture_mode is CaptureMode.EVENT_ONLY


@pytest.mark.parametrize(
    ("keyword", "env_value", "expected"),
    [
        (False, "SPAN_ONLY", CaptureMode.NO_CONTENT),
        (True, "NO_CONTENT", CaptureMode.SPAN_ONLY),
        ("event_only", "SPAN_ONLY", CaptureMode.EVENT_ONLY),
        (CaptureMode.SPAN_AND_EVENT, "NO_CONTENT", CaptureMode.SPAN_AND_EVENT),
    ],
)
def test_capture_content_keyword_beats_the_environment(
    keyword: object, env_value: str, expected: CaptureMode
) -> None:
    assert resolve(capture_content=keyword, env={ENV_CAPTURE_CONTENT: env_value}).capture_mode is expected


def test_capture_mode_properties() -> None:
    assert not CaptureMode.NO_CONTENT.captures
    assert CaptureMode.SPAN_ONLY.on_span and not CaptureMode.SPAN_ONLY.on_event
    assert CaptureMode.EVENT_ONLY.on_event and not CaptureMode.EVENT_ONLY.on_span
    assert CaptureMode.SPAN_AND_EVENT.on_span and CaptureMode.SPAN_AND_EVENT.on_event
    assert all(mode.captures for mode in CaptureMode if mode is not CaptureMode.NO_CONTENT)


# --- content length and tool details ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", 100),
        (" 2048 ", 2048),
        ("0", None),  # 0 = no limit
        ("-5", None),
        ("", DEFAULT_MAX_CONTENT_LENGTH),
        ("   ", DEFAULT_MAX_CONTENT_LENGTH),
    ],
)
def test_max_content_length(value: str, expected: int | None) -> None:
    assert resolve(env={ENV_MAX_CONTENT_LENGTH: value}).max_content_length == expected


def test_invalid_max_content_length_keeps_the_default_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        settings = resolve(env={ENV_MAX_CONTENT_LENGTH: "lots"})
    assert settings.max_content_length == DEFAULT_MAX_CONTENT_LENGTH
    assert any(ENV_MAX_CONTENT_LENGTH in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("ON", True), ("no", False)])
def test_tool_definition_details(value: str, expected: bool) -> None:
    assert resolve(env={ENV_TOOL_DEFINITION_DETAILS: value}).tool_definition_details is expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, True), ("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_retrieval_document_ids(value: str | None, expected: bool) -> None:
    env = {ENV_RETRIEVAL_DOCUMENT_IDS: value} if value is not None else {}
    assert resolve(env=env).retrieval_document_ids is expected


# --- exporters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exporter", "spans", "metrics"),
    [
        ("otlp", ("otlp",), ("otlp",)),
        (" OTLP ", ("otlp",), ("otlp",)),
        ("console", ("console",), ()),
        ("Console", ("console",), ()),
        ("none", (), ()),
    ],
)
def test_exporter_names(exporter: str, spans: tuple[str, ...], metrics: tuple[str, ...]) -> None:
    settings = resolve(exporter=exporter, env={})
    assert settings.span_exporters == spans
    # Metrics and events follow the trace exporter when it is OTLP, and are off otherwise.
    assert settings.metric_exporters == metrics
    assert settings.log_exporters == metrics


def test_exporter_instance() -> None:
    exporter = InMemorySpanExporter()
    settings = resolve(exporter=exporter, env={})
    assert settings.span_exporters == (exporter,)
    assert settings.span_exporters[0] is exporter
    assert settings.metric_exporters == ()
    assert settings.log_exporters == ()


@pytest.mark.parametrize("exporter", ["jaeger", "zipkin", "", "otlp,jaeger", ["console", "zipkin"]])
def test_invalid_exporter_raises(exporter: Any) -> None:
    with pytest.raises(ValueError, match="exporter must be one of"):
        resolve(exporter=exporter, env={})


@pytest.mark.parametrize("exporter", ["console, OTLP", ["console", "otlp"], ("console", "otlp", "none")])
def test_several_exporters_like_otel_traces_exporter(exporter: Any) -> None:
    settings = resolve(exporter=exporter, env={})
    assert settings.span_exporters == ("console", "otlp")
    assert settings.metric_exporters == ("otlp",)  # metrics follow whenever otlp is among them


def test_exporter_instances_can_be_mixed_with_names() -> None:
    exporter = object()
    assert resolve(exporter=["console", exporter], env={}).span_exporters == ("console", exporter)


@pytest.mark.parametrize(
    ("env_value", "spans", "metrics"),
    [
        ("otlp", ("otlp",), ("otlp",)),
        ("CONSOLE", ("console",), ()),
        ("none", (), ()),
    ],
)
def test_traces_exporter_from_the_environment(
    env_value: str, spans: tuple[str, ...], metrics: tuple[str, ...]
) -> None:
    settings = resolve(env={ENV_TRACES_EXPORTER: env_value})
    assert settings.span_exporters == spans
    assert settings.metric_exporters == metrics
    assert settings.log_exporters == metrics


def test_unknown_traces_exporter_in_the_environment_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        settings = resolve(env={ENV_TRACES_EXPORTER: "jaeger,console"})
    assert settings.span_exporters == ("console",)
    assert any("jaeger" in r.getMessage() and ENV_TRACES_EXPORTER in r.getMessage() for r in caplog.records)


def test_exporter_keyword_beats_the_environment() -> None:
    env = {ENV_TRACES_EXPORTER: "otlp"}
    assert resolve(exporter="console", env=env).span_exporters == ("console",)
    assert resolve(exporter="none", env=env).span_exporters == ()
    assert resolve(exporter="otlp", env={ENV_TRACES_EXPORTER: "console"}).span_exporters == ("otlp",)


def test_metrics_and_logs_exporters_from_their_own_variables() -> None:
    settings = resolve(exporter="console", env={ENV_METRICS_EXPORTER: "console", ENV_LOGS_EXPORTER: "otlp"})
    assert settings.metric_exporters == ("console",)
    assert settings.log_exporters == ("otlp",)

    settings = resolve(env={ENV_METRICS_EXPORTER: "none", ENV_LOGS_EXPORTER: "none"})
    assert settings.span_exporters == ("otlp",)
    assert settings.metric_exporters == ()
    assert settings.log_exporters == ()


# --- instrumentors ------------------------------------------------------------------------------


def test_instrumentors_keyword_and_disabled_variable() -> None:
    assert resolve(instrumentors=["OpenAI"], env={}).instrumentors == ("openai",)
    assert resolve(instrumentors=["OpenAI"], env={}).wants("openai")
    assert not resolve(instrumentors=[], env={}).wants("openai")
    assert not resolve(instrumentors=["anthropic"], env={}).wants("openai")

    disabled = resolve(env={ENV_DISABLED_INSTRUMENTATIONS: "requests, OpenAI"})
    assert disabled.disabled_instrumentors == frozenset({"requests", "openai"})
    assert not disabled.wants("openai")
    assert disabled.wants("anthropic")
    # The variable disables even what the keyword asks for.
    assert not resolve(instrumentors=["openai"], env={ENV_DISABLED_INSTRUMENTATIONS: "openai"}).wants(
        "openai"
    )


def test_service_name_and_release_manifest_pass_through() -> None:
    release = {"release": {"feature": "support-bot", "version": "1.4.0"}}
    settings = resolve(service_name="svc", release=release, env={})
    assert settings.service_name == "svc"
    assert [(r.feature, r.version) for r in settings.releases] == [("support-bot", "1.4.0")]


def test_a_release_argument_wins_over_the_environment(tmp_path: Any) -> None:
    path = tmp_path / "release.json"
    path.write_text('{"release": {"feature": "from-env", "version": "1"}}')
    env = {"OTEL_GENAI_RELEASE": str(path)}
    assert [r.feature for r in resolve(env=env).releases] == ["from-env"]
    given = {"release": {"feature": "given", "version": "2"}}
    assert [r.feature for r in resolve(release=given, env=env).releases] == ["given"]


def test_price_overrides_from_the_argument_or_the_environment(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from otel_genai.llmops.prices import PriceFileError

    overrides = {"models": [{"model": "my-finetune", "input": 1.0, "output": 2.0}]}
    settings = resolve(prices=overrides, env={})
    assert settings.prices.price("openai", "my-finetune").input == 1.0
    with pytest.raises(PriceFileError):
        resolve(prices={"models": [{"model": "x", "inptu": 1.0}]}, env={})
    bad = tmp_path / "prices.yaml"
    bad.write_text("models: [{model: x, inptu: 1.0}]")
    with caplog.at_level(logging.ERROR, logger="otel_genai"):
        assert resolve(env={"OTEL_GENAI_PRICES": str(bad)}).prices is None  # logged, the shipped table used
    assert "OTEL_GENAI_PRICES" in caplog.text and "inptu" in caplog.text


def test_redaction_is_on_by_default_and_keyword_wins_over_environment() -> None:
    from otel_genai.redaction import RedactionPolicy

    assert resolve(env={}).redaction == RedactionPolicy()
    assert resolve(env={"OTEL_GENAI_REDACTION": "false"}).redaction is None
    assert resolve(redaction=True, env={"OTEL_GENAI_REDACTION": "false"}).redaction == RedactionPolicy()
    assert resolve(redaction=False, env={}).redaction is None
    policy = RedactionPolicy(operator="hash")
    assert resolve(redaction=policy, env={}).redaction is policy
    with pytest.raises(TypeError):
        resolve(redaction="sometimes", env={})


def test_resolve_reads_os_environ_when_no_env_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CAPTURE_CONTENT, "span_only")
    monkeypatch.setenv(ENV_TRACES_EXPORTER, "console")
    settings = resolve()
    assert settings.capture_mode is CaptureMode.SPAN_ONLY
    assert settings.span_exporters == ("console",)


def test_redaction_isolation_keyword_wins_over_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_genai.redaction import RedactionPolicy

    assert RedactionPolicy().isolation == "thread"
    monkeypatch.setenv("OTEL_GENAI_REDACTION_ISOLATION", "process")
    assert RedactionPolicy().isolation == "process"
    assert RedactionPolicy(isolation="thread").isolation == "thread"
