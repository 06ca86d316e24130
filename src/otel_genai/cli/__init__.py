"""The ``otel-genai`` command: ``demo``, ``doctor``, ``eval``, ``install-model``, ``redact`` and ``run``.

    otel-genai demo                     the support-bot demo: one traced request, printed as a tree
    otel-genai doctor [--json]          what would be instrumented, exported and redacted, and whether
                                        the OTLP endpoint answers
    otel-genai install-model [--dry-run]
                                        the spaCy NER model redaction uses for names, pinned by hash
    otel-genai redact < messages.json   a text or message list as it would be exported, redacted
    otel-genai run -- python app.py     a program run with instrumentation on (like opentelemetry-instrument)
    otel-genai eval SUITE.jsonl --target module:function [--report OUT.json] [--baseline BASE.json]
                                        a golden set run through a function, scored, gated on a baseline

One module per command (``demo``, ``doctor``, ``eval``, ``install_model``, ``redact``, ``run``); ``_output``
holds what they share. Importing this package is cheap: client libraries, exporters and the redaction engine
are imported by the command that needs them. Results go to stdout, progress and diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from otel_genai.cli import demo, doctor, install_model, redact, run
from otel_genai.cli import eval as evaluate  # not to shadow the builtin
from otel_genai.cli._output import PROG, CommandError
from otel_genai.cli.doctor import CONNECT_TIMEOUT_SECONDS, doctor_report, otlp_target, render_doctor
from otel_genai.cli.redact import parse_redact_input, redact_value
from otel_genai.cli.run import bootstrap_child, program_name
from otel_genai.version import __version__

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "PROG",
    "CommandError",
    "__version__",
    "bootstrap_child",
    "doctor_report",
    "main",
    "otlp_target",
    "parse_redact_input",
    "program_name",
    "redact_value",
    "render_doctor",
]

logger = logging.getLogger("otel_genai")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command_name is None:
        parser.print_help(sys.stderr)
        return 2
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        return int(args.handler(args, parser) or 0)
    except CommandError as error:
        print(f"{PROG} {args.command_name}: {error}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print(f"\n{PROG} {args.command_name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `otel-genai doctor | head`: the reader left; not an error
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="OpenTelemetry traces and metrics for LLM applications: try it, check it, run with it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log otel_genai's debug messages")
    commands = parser.add_subparsers(dest="command_name", metavar="COMMAND")
    for command in (demo, doctor, evaluate, install_model, redact, run):
        command.register(commands)
    return parser
