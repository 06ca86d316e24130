"""``otel-genai run``: a program run with instrumentation on, through a ``sitecustomize`` put first on its
``PYTHONPATH`` (like ``opentelemetry-instrument``); ``bootstrap_child`` is what that file calls."""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from otel_genai.cli._output import PROG, CommandError
from otel_genai.cli.doctor import exporter_label, otlp_target, service_name

logger = logging.getLogger("otel_genai")

# Put first on the program's PYTHONPATH by `otel-genai run`: every Python process it starts imports it.
_SITECUSTOMIZE = '''\
"""Written by `otel-genai run`: instruments this Python process, then runs any other sitecustomize."""
try:
    from otel_genai.cli.run import bootstrap_child
except ImportError as error:
    import sys

    print(f"otel-genai run: {sys.executable} cannot import otel_genai ({error}); not instrumented",
          file=sys.stderr)
else:
    bootstrap_child(__file__)
'''

_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?(\.exe)?$")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``run`` to the ``otel-genai`` sub-command parsers."""
    run = commands.add_parser(
        "run",
        help="run a program with instrumentation on",
        usage=f"{PROG} run [options] -- COMMAND [ARGS ...]",
        description="Runs COMMAND with otel-genai's instrumentation turned on in every Python process it "
        "starts (like opentelemetry-instrument, through a sitecustomize on PYTHONPATH), configured "
        "from the OTEL_* environment. Options override the environment; otherwise the service name "
        "defaults to the program's name and content capture stays off. The exit status is COMMAND's.",
    )
    run.add_argument("--service-name", help="OTEL_SERVICE_NAME (default: the program's name)")
    run.add_argument(
        "--exporter",
        help='OTEL_TRACES_EXPORTER: "otlp" (default), "console" (trace trees on stdout), "none", or '
        'several joined by commas, e.g. "console,otlp"',
    )
    run.add_argument(
        "--capture-content",
        nargs="?",
        const="SPAN_ONLY",
        metavar="MODE",
        help="capture prompts and responses, redacted (MODE: SPAN_ONLY (default), EVENT_ONLY, "
        "SPAN_AND_EVENT)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no start-up line on stderr")
    run.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    run.set_defaults(handler=_command)


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_genai import _config
    from otel_genai.telemetry.content import CaptureMode

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise CommandError(f"nothing to run: {PROG} run [options] -- COMMAND [ARGS ...]", status=2)
    env = dict(os.environ)
    if args.service_name:
        env["OTEL_SERVICE_NAME"] = args.service_name
    elif service_name(env) is None:
        env["OTEL_SERVICE_NAME"] = program_name(command)
    if args.exporter:
        try:
            _config.resolve(exporter=args.exporter)
        except ValueError as error:
            raise CommandError(f"--exporter: {error}", status=2) from None
        env[_config.ENV_TRACES_EXPORTER] = args.exporter
    if args.capture_content:
        mode = args.capture_content.strip().upper()
        if mode not in {m.value for m in CaptureMode}:
            raise CommandError(
                f"--capture-content: {args.capture_content!r} is not SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT "
                f"(write {PROG} run [options] -- COMMAND, with -- before the command)",
                status=2,
            )
        env[_config.ENV_CAPTURE_CONTENT] = mode

    if os.sep not in command[0] and shutil.which(command[0], path=env.get("PATH")) is None:
        raise CommandError(f"command not found: {command[0]}", status=127)
    if not args.quiet:
        print(f"{PROG} run: {_run_summary(command, env)}", file=sys.stderr, flush=True)
    bootstrap = tempfile.mkdtemp(prefix="otel-genai-run-")
    try:
        Path(bootstrap, "sitecustomize.py").write_text(_SITECUSTOMIZE)
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join([bootstrap, *paths])
        return _wait_for(command, env)
    finally:
        shutil.rmtree(bootstrap, ignore_errors=True)


def program_name(command: Sequence[str]) -> str:
    """The default service name: the script or module ``python`` runs, else the program itself."""
    program = Path(command[0]).name
    if _PYTHON.match(program):
        arguments = iter(command[1:])
        for argument in arguments:
            if argument == "-m":
                return next(arguments, program)
            if argument == "-c":
                return program
            if argument in ("-W", "-X", "-Q"):
                next(arguments, None)
                continue
            if argument.startswith("-"):
                continue
            path = Path(argument)
            return (path.parent.name if path.stem == "__main__" else path.stem) or program
    return Path(program).stem or program


def _run_summary(command: Sequence[str], env: Mapping[str, str]) -> str:
    from otel_genai import _config

    settings = _config.resolve(env=env)
    exporters = ", ".join(exporter_label(spec) for spec in settings.span_exporters) or "nowhere"
    if "otlp" in settings.span_exporters:
        target = otlp_target("traces", env)
        exporters = exporters.replace("otlp", f"OTLP {target['protocol']} {target['endpoint']}")
    if settings.capture_mode.value == "NO_CONTENT":
        content = "content capture off"
    else:
        redacted = "redacted" if settings.redaction is not None else "NOT redacted"
        content = f"content captured ({settings.capture_mode.value}, {redacted})"
    shown = " ".join(command)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    service = service_name(env) or "?"
    return f'tracing "{shown}" as service "{service}", to {exporters}; {content}'


def _wait_for(command: list[str], env: dict[str, str]) -> int:
    """Runs the program, passes SIGTERM and SIGHUP on, and returns its exit status (128+N on signal N)."""
    started: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: Any) -> None:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signum)

    def interrupt(signum: int, frame: Any) -> None:
        # Ctrl+C in a terminal reaches the whole foreground process group, the program included; a SIGINT
        # sent to this process alone is passed on. Either way the program decides when to stop.
        if not _in_terminal_foreground():
            forward(signum, frame)

    previous: dict[int, Any] = {}
    handlers: dict[str, Callable[[int, Any], None]] = {
        "SIGTERM": forward,
        "SIGHUP": forward,
        "SIGINT": interrupt,
    }
    if threading.current_thread() is threading.main_thread():
        for name, handler in handlers.items():
            number = getattr(signal, name, None)
            if number is not None:
                previous[number] = signal.signal(number, handler)
    try:
        try:
            process = subprocess.Popen(command, env=env)
        except FileNotFoundError:
            raise CommandError(f"command not found: {command[0]}", status=127) from None
        except PermissionError:
            raise CommandError(f"permission denied: {command[0]}", status=126) from None
        except OSError as error:
            raise CommandError(
                f"could not start {command[0]}: {error.strerror or error}", status=126
            ) from None
        started.append(process)
        while True:
            try:
                status = process.wait()
                break
            except KeyboardInterrupt:  # only if a handler could not be installed
                continue
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return status if status >= 0 else 128 - status


def _in_terminal_foreground() -> bool:
    """Whether this process group is the foreground group of its terminal (so Ctrl+C reaches the child)."""
    for descriptor in (0, 1, 2):
        try:
            return os.getpgrp() == os.tcgetpgrp(descriptor)
        except (AttributeError, OSError):
            continue
    return False


def bootstrap_child(sitecustomize_file: str) -> None:
    """In a program ``otel-genai run`` started: ``otel_genai.instrument()`` from the environment, the
    other installed OpenTelemetry instrumentors (as opentelemetry-instrument would), then the
    sitecustomize this one shadows. Never raises: the program runs either way.

    ``OTEL_SDK_DISABLED=true`` turns it off (the redaction engine's own child process sets it)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true":
        try:
            import otel_genai

            otel_genai.instrument()
            _instrument_other_libraries()
        except Exception:
            logger.warning("otel-genai run: could not instrument this process", exc_info=True)
        except KeyboardInterrupt:  # Ctrl+C while starting up: stop, without a fatal error from `site`
            print("otel-genai run: interrupted while instrumenting", file=sys.stderr, flush=True)
            os._exit(128 + signal.SIGINT)
    _run_shadowed_sitecustomize(os.path.dirname(os.path.abspath(sitecustomize_file)))


def _instrument_other_libraries() -> None:
    """Every other ``opentelemetry_instrumentor`` entry point whose library is installed and supported."""
    from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts

    from otel_genai import _config, _context

    disabled = _config.resolve().disabled_instrumentors
    for point in importlib.metadata.entry_points(group="opentelemetry_instrumentor"):
        dist = getattr(point, "dist", None)
        if dist is not None and dist.name.replace("_", "-").lower() == "otel-genai":
            continue  # ours: instrument() did them
        if point.name.lower() in disabled:
            continue
        if point.name == "threading" and _context.is_on():
            continue  # instrument() already carries the context into threads: not twice
        try:
            if dist is not None and get_dist_dependency_conflicts(dist) is not None:
                continue
            instrumentor = point.load()()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(skip_dep_check=True)
        except Exception:
            logger.warning("otel-genai run: could not instrument %s", point.name, exc_info=True)


def _run_shadowed_sitecustomize(own_directory: str) -> None:
    """Python imports only the first sitecustomize on sys.path; run the one ours hides, if any."""
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == own_directory:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if not os.path.isfile(candidate):
            continue
        try:
            spec = importlib.util.spec_from_file_location("_otel_genai_shadowed_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
        except Exception:
            logger.warning("otel-genai run: %s failed", candidate, exc_info=True)
        return
