"""``otel-genai redact``: a text or message list as it would be exported, through the same ``Redactor``
the redacting span processor uses."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from otel_genai import semconv
from otel_genai.cli._output import PROG, CommandError, fraction

# The attribute each kind of input is redacted as: the same layouts the span processor uses.
_TEXT_KEY = semconv.GEN_AI_PROMPT_VARIABLE_PREFIX + "text"  # plain text, analysed whole
_MESSAGES_KEY = semconv.GEN_AI_INPUT_MESSAGES  # messages: roles, ids and tool names are kept
_JSON_KEY = semconv.GEN_AI_TOOL_CALL_ARGUMENTS  # any other JSON: every string leaf is text


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``redact`` to the ``otel-genai`` sub-command parsers."""
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
    redact.add_argument("--threshold", type=fraction, help="minimum detection score, 0-1 (default: 0.35)")
    redact.add_argument("--model", help='spaCy pipeline (package or path; "none" = patterns only)')
    redact.add_argument(
        "--allow", action="append", default=[], metavar="WORD", help="never redact this word (repeatable)"
    )
    redact.add_argument("--plain", dest="as_text", action="store_true", help="treat JSON input as plain text")
    redact.set_defaults(handler=_command)


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
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
    found = attributes.get(semconv.REDACTION_PII_TYPES)
    types = [str(entity) for entity in found] if isinstance(found, (list, tuple)) else []
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
