"""The registry (``otel_genai._instrumentors``) and the ``Instrumentor`` base: one declaration per
instrumentor that ``instrument()``, the entry points, doctor and the README all follow; and the zero-code
set-up done once."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
from packaging.requirements import Requirement

from otel_genai import _config, _instrumentors, _setup
from otel_genai.instrumentation import _base
from otel_genai.telemetry.content import CaptureMode

ROOT = Path(__file__).resolve().parent.parent


def _readme_rows() -> dict[str, str]:
    """Distribution -> versions, from the README's "What is instrumented" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What is instrumented", 1)[1].split("\n## ", 1)[0]
    table = section.split("| library (distribution) |", 1)[1].split("\n\n", 1)[0]  # the first table only
    rows: dict[str, str] = {}
    for line in table.splitlines():
        match = re.match(r"\| `([^`]+)`[^|]*\| `([^`]+)` \|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_each_instrumentor_class_names_its_own_declaration() -> None:
    for declared in _instrumentors.DECLARATIONS:
        cls = declared.load()
        assert issubclass(cls, _base.Instrumentor), declared.name
        assert cls.name == declared.name
        assert tuple(cls().instrumentation_dependencies()) == (declared.requirement,)


def test_declarations_are_valid_requirements_of_the_library_they_wait_for() -> None:
    for declared in _instrumentors.DECLARATIONS:
        requirement = Requirement(declared.requirement)
        assert requirement.name == declared.distribution
        assert str(requirement.specifier), f"{declared.name} declares no version range"
        # the installed test environment is within every declared range
        assert get_dependency_conflicts([declared.requirement]) is None, declared.name
        assert importlib.util.find_spec(declared.module) is not None, declared.module


def test_setup_turns_on_exactly_the_registry() -> None:
    assert {d.name: (d.module, d.instrumentor) for d in _instrumentors.DECLARATIONS} == _setup.INSTRUMENTORS


def test_pyproject_entry_points_match_the_registry() -> None:
    """``opentelemetry-instrument`` finds exactly the registry (installed metadata and the source file)."""
    expected = {d.name: d.instrumentor for d in _instrumentors.DECLARATIONS}
    installed = {
        point.name: point.value
        for point in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
        if point.dist is not None and point.dist.name == "otel-genai"
    }
    assert installed == expected
    if sys.version_info >= (3, 11):
        import tomllib

        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        assert pyproject["project"]["entry-points"]["opentelemetry_instrumentor"] == expected


def test_readme_table_matches_the_registry() -> None:
    rows = _readme_rows()
    expected = {d.distribution: d.versions for d in _instrumentors.DECLARATIONS}
    table = "\n".join(f"| `{dist}` ... | `{versions}` | ... |" for dist, versions in expected.items())
    assert rows == expected, f"the README table's rows should read:\n{table}"
    assert list(rows) == list(expected), "the README lists the libraries in registry order"


def test_declarations_do_not_import_instrumentors_or_libraries() -> None:
    """``instrument()`` reads the registry before any client library is imported (post-import hooks)."""
    import subprocess

    code = (
        "import sys\n"
        "from otel_genai import _instrumentors\n"
        "names = [d.module for d in _instrumentors.DECLARATIONS]\n"
        "names += [d.instrumentor.split(':')[0] for d in _instrumentors.DECLARATIONS]\n"
        "print([n for n in names if n in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- zero-code set-up (opentelemetry-instrument): the global processors are prepared once -------------


@pytest.fixture
def redactions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Calls of ``redact_existing_processors``; zero-code state reset around the test."""
    from otel_genai.redaction import processor

    calls: list[tuple[Any, Any]] = []
    monkeypatch.setattr(
        processor,
        "redact_existing_processors",
        lambda tracers, loggers, policy: calls.append((tracers, loggers)),
    )
    monkeypatch.setattr(_base, "_zero_code_done", [])
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    return calls


def test_building_a_handler_rewires_nothing(redactions: list[tuple[Any, Any]]) -> None:
    settings = _config.resolve()
    assert settings.capture_mode.on_span and settings.redaction is not None

    _base.handler_from_kwargs({"settings": settings})
    _base.handler_from_kwargs({})

    assert redactions == []


def test_instrumenting_twice_without_our_handler_rewires_once(redactions: list[tuple[Any, Any]]) -> None:
    """What ``opentelemetry-instrument`` does: each entry point's instrument() with no handler."""
    from otel_genai.instrumentation.chromadb import ChromaInstrumentor
    from otel_genai.instrumentation.openai import OpenAIInstrumentor

    first, second = OpenAIInstrumentor(), ChromaInstrumentor()
    try:
        first.instrument()
        second.instrument()
        first.uninstrument()
        first.instrument()  # and once more
        assert len(redactions) == 1
    finally:
        for instrumentor in (first, second):
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()


def test_zero_code_with_content_off_touches_nothing(
    redactions: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "NO_CONTENT")
    _base.zero_code_settings()
    assert redactions == []


def test_a_failed_wrap_leaves_nothing_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The base unwraps what it wrapped before a wrapper failed: no half-instrumented library."""
    import openai.resources.embeddings as embeddings

    from otel_genai.instrumentation.openai import OpenAIInstrumentor

    original = embeddings.Embeddings.__dict__["create"]

    def broken_targets(self: Any, handler: Any, kwargs: Any) -> Any:
        yield ("openai.resources.embeddings", "Embeddings", "create", lambda w, i, a, k: w(*a, **k))
        raise RuntimeError("this integration is broken")

    monkeypatch.setattr(OpenAIInstrumentor, "targets", broken_targets)
    instrumentor = OpenAIInstrumentor()
    with pytest.raises(RuntimeError):
        instrumentor._instrument(telemetry_handler=_base.handler_from_kwargs({}))
    assert embeddings.Embeddings.__dict__["create"] is original


def test_zero_code_capture_fails_closed_when_redaction_cannot_stand_in_front(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An SDK whose processors cannot be reached would export content raw: capture is turned off instead,
    for every instrumentor that turns on with these providers."""
    from otel_genai.redaction import processor

    def unreachable(tracers: Any, loggers: Any, policy: Any) -> int:
        raise processor.RedactionUnavailable("processors moved")

    monkeypatch.setattr(processor, "redact_existing_processors", unreachable)
    monkeypatch.setattr(_base, "_zero_code_done", [])
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_AND_EVENT")

    for _ in range(2):
        settings = _base.zero_code_settings()
        assert settings.capture_mode is CaptureMode.NO_CONTENT
    assert len(_base._zero_code_done) == 1
    assert [r for r in caplog.records if "content capture is off" in r.getMessage()]


def test_a_dotted_module_of_a_missing_package_is_not_installed() -> None:
    """``langgraph.pregel`` names the module to wait for; without langgraph, ``find_spec`` raises for it."""
    from otel_genai._instrumentors import is_installed

    assert is_installed("json.decoder")
    assert not is_installed("no_such_package_here.pregel")
    assert not is_installed("no_such_package_here")
