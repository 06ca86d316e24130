"""The built wheel works on its own: installed into a fresh venv, ``otel-genai doctor`` runs and an OpenAI
call is traced, by the INSTALLED package (not src/), so a file missing from the wheel fails here.

Fast and offline: the wheel is built without build isolation (hatchling comes with the dev extras), the
venv is created without pip and the wheel installed with ``--no-deps`` by this venv's pip. Its
dependencies come from this venv's site-packages, which a ``.pth`` file appends to the new venv's path.
A plain path line in a ``.pth`` does not process the ``.pth`` files of the directory it adds, so the
editable install's own ``.pth`` (which puts src/ on the path) stays inert: the test checks that too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from otel_genai.version import __version__

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGE = ROOT / "src" / "otel_genai"

# One chat call, traced, against the fake API shipped in the wheel's demo package; prints what it saw.
INSTRUMENTED_CALL = """
import json, sys

import openai
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai
from otel_genai.demo.fake_openai_server import FakeOpenAIServer

exporter = InMemorySpanExporter()
instrumentation = otel_genai.instrument(service_name="packaging-check", exporter=exporter)
try:
    with FakeOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0)
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
        )
    instrumentation.force_flush()
    spans = [
        {"name": span.name, "attributes": dict(span.attributes or {})}
        for span in exporter.get_finished_spans()
    ]
finally:
    instrumentation.shutdown()
print(json.dumps({
    "otel_genai": otel_genai.__file__,
    "instrumented": list(instrumentation.instrumented),
    "reply": reply.choices[0].message.content,
    "spans": spans,
    "sys_path": sys.path,
}))
"""


@dataclass(frozen=True)
class InstalledWheel:
    wheel: Path
    python: Path
    scripts: Path
    site_packages: Path


def _clean_env() -> dict[str, str]:
    """No OpenTelemetry or OpenAI settings, no PYTHONPATH and no active venv from the outside."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "OPENAI_")) and key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env=_clean_env())
    assert result.returncode == 0, f"{' '.join(command)[:300]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    pytest.importorskip("build", reason="the dev extras (build, hatchling) are not installed")
    pytest.importorskip("hatchling", reason="the dev extras (build, hatchling) are not installed")
    work = tmp_path_factory.mktemp("packaging")
    dist = work / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)], work)
    (wheel,) = dist.glob("otel_genai-*.whl")

    target = work / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / ("Scripts" if os.name == "nt" else "bin") / "python"
    print_paths = "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"
    new_paths = json.loads(_run([str(python), "-c", print_paths], work).stdout)
    site_packages = Path(new_paths["purelib"])
    pip_install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
    _run([*pip_install, "--no-index", str(wheel)], work)
    # This venv's libraries (opentelemetry, openai, ...) after the new venv's own site-packages.
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site_packages / "_dev_site_packages.pth").write_text("".join(f"{path}\n" for path in ours))
    return InstalledWheel(wheel, python, Path(new_paths["scripts"]), site_packages)


def test_the_wheel_ships_every_file_of_the_package_and_its_type_hints(installed: InstalledWheel) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = {name for name in wheel.namelist() if name.startswith("otel_genai/")}
        metadata = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
        text = wheel.read(metadata).decode()
        assert f"Version: {__version__}" in text
        assert "License-Expression: Apache-2.0" in text
        # the license's text travels with the wheel (what pyproject's license expression names)
        (license_file,) = [name for name in wheel.namelist() if name.endswith(".dist-info/licenses/LICENSE")]
        assert "Apache License" in wheel.read(license_file).decode()
    in_source = {
        "otel_genai/" + path.relative_to(SOURCE_PACKAGE).as_posix()
        for path in SOURCE_PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert "otel_genai/py.typed" in shipped
    assert "otel_genai/demo/fake_openai_server.py" in shipped
    assert in_source <= shipped, sorted(in_source - shipped)


def test_doctor_runs_from_the_installed_package(installed: InstalledWheel, tmp_path: Path) -> None:
    command = str(installed.scripts / "otel-genai")
    report = json.loads(_run([command, "doctor", "--json"], tmp_path).stdout)
    assert report["otel_genai"] == __version__
    assert Path(report["python"]["executable"]).parent == installed.python.parent
    openai_row = next(library for library in report["libraries"] if library["name"] == "openai")
    assert openai_row["would_instrument"] is True

    text = _run([command, "doctor"], tmp_path).stdout
    assert text.startswith(f"otel-genai {__version__}")
    assert "openai" in text


def test_an_openai_call_is_traced_by_the_installed_package(installed: InstalledWheel, tmp_path: Path) -> None:
    seen: dict[str, Any] = json.loads(_run([str(installed.python), "-c", INSTRUMENTED_CALL], tmp_path).stdout)

    package_file = Path(seen["otel_genai"]).resolve()
    assert package_file.is_relative_to(installed.site_packages.resolve()), package_file
    assert not any(Path(entry).resolve() == ROOT / "src" for entry in seen["sys_path"] if entry)
    assert "openai" in seen["instrumented"]
    assert seen["reply"]
    (span,) = seen["spans"]
    assert span["name"] == "chat gpt-4o-mini"
    assert span["attributes"]["gen_ai.operation.name"] == "chat"
    assert span["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"
    assert span["attributes"]["gen_ai.usage.input_tokens"] > 0
