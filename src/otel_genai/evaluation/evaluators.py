"""The built-in evaluators (issue 16): pure functions of one model call's answer.

Each evaluator reads an ``Answer`` (what the instrumentation captured about one model call's output)
and returns an ``EvaluationResult`` (``None`` when it does not apply to that answer). They are
deterministic, offline and never raise: a failure comes back as a result whose ``error_type`` is the
exception's type name. Explanations never quote the evaluated content (a JSON path, a count by entity
type, "k of n claims supported"), so they can go on the ``gen_ai.evaluation.result`` event as is.

- ``schema_valid``: the output is JSON valid against the requested schema; tool-call arguments are
  valid against the tool's declared parameters (``validate_json_schema``, a subset of JSON Schema).
- ``refusal``: the model declined (provider refusal field / finish reason, then a phrase list).
- ``pii_detected``: the output contains PII (the redaction engine's findings, counted by type).
- ``groundedness``: the share of the answer's sentences supported by the retrieved documents (a
  lexical measure, see ``Groundedness``).

Importing this module is cheap: the redaction engine is built the first time ``pii_detected`` runs.
"""

from __future__ import annotations

import collections
import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from otel_genai import semconv
from otel_genai.redaction.policy import RedactionPolicy
from otel_genai.telemetry.content import semconv_finish_reason

CONTENT_NOT_CAPTURED = "content_not_captured"


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """What one evaluator says about one answer."""

    name: str
    score: float | None = None  # in [0, 1] for the built-ins
    label: str | None = None
    explanation: str | None = None  # never the evaluated content itself
    error_type: str | None = None  # the evaluator could not run ("content_not_captured", an exception type)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the evaluators read: one model call's answer."""

    # the output text (all text parts of the output messages joined); None: not captured / no text
    text: str | None
    # the JSON schema the request asked for (response_format json_schema, pydantic parse, Anthropic /
    # Gemini structured output); None if none
    output_schema: Mapping[str, Any] | None = None
    # (tool name, arguments JSON string) per tool call in the output
    tool_calls: Sequence[tuple[str | None, str | None]] = ()
    # tool name -> its declared JSON-schema parameters
    tool_parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # the provider's refusal field (OpenAI message.refusal) or stop reason text
    refusal: str | None = None
    # the provider's finish / stop reason ("content_filter", Anthropic "refusal", Gemini "SAFETY", ...)
    finish_reason: str | None = None
    # retrieved documents' text from the same trace; None = unknown (content not captured)
    documents: Sequence[str] | None = None


@runtime_checkable
class Evaluator(Protocol):
    """An evaluator: the built-ins, a user's own, an LLM-as-judge."""

    name: str

    def evaluate(self, answer: Answer) -> EvaluationResult | None:
        """The result for this answer; ``None`` when the evaluator does not apply to it."""
        ...


class _BuiltIn:
    """Runs ``_evaluate`` and turns any exception into a result with ``error_type``."""

    name: str = ""

    def evaluate(self, answer: Answer) -> EvaluationResult | None:
        try:
            return self._evaluate(answer)
        except Exception as error:  # an evaluator never raises into its caller
            return EvaluationResult(self.name, error_type=type(error).__name__)

    def _evaluate(self, answer: Answer) -> EvaluationResult | None:
        raise NotImplementedError

    def _not_captured(self, what: str) -> EvaluationResult:
        return EvaluationResult(
            self.name,
            explanation=f"needs content capture: {what} not captured",
            error_type=CONTENT_NOT_CAPTURED,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# --- schema_valid --------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_KEY_IN_PATH = 64
_MAX_DEPTH = 64
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
}


class _Invalid(Exception):
    """One validation error: where (a JSON path) and what (never the value)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key[:_MAX_KEY_IN_PATH]}"
    return f"{path}[{json.dumps(key[:_MAX_KEY_IN_PATH])}]"


def validate_json_schema(instance: Any, schema: Mapping[str, Any] | bool) -> str | None:
    """The first error of ``instance`` against ``schema`` as ``"$.path: message"``, or None if valid.

    Not a full JSON Schema validator (``jsonschema`` is not an install dependency): the subset that
    structured outputs and tool parameters use (OpenAI strict mode, pydantic ``model_json_schema()``,
    Anthropic tool ``input_schema``, Gemini ``Schema``): ``type`` (one or a list, upper-case Gemini
    names too; ``nullable: true``), ``properties``, ``required``, ``additionalProperties`` (bool or
    schema), ``items``, ``prefixItems``, ``minItems`` / ``maxItems``, ``enum``, ``const``, ``anyOf`` /
    ``oneOf`` (as anyOf) / ``allOf``, ``minimum`` / ``maximum`` / ``exclusiveMinimum`` /
    ``exclusiveMaximum``, ``minLength`` / ``maxLength``, local ``$ref`` (``#/$defs/...``,
    ``#/definitions/...``). Ignored: ``format``, ``pattern`` (a user regex is not run on model output),
    and every other keyword. Messages name the schema's expectation, never the offending value.
    """
    root = schema if isinstance(schema, Mapping) else {}
    try:
        _check(instance, schema, "$", root, 0)
    except _Invalid as error:
        return str(error)
    return None


def _resolve(ref: str, root: Mapping[str, Any]) -> Any:
    if not ref.startswith("#"):
        raise ValueError("only local $ref is supported")
    node: Any = root
    for part in ref[1:].split("/")[1:] if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _type_names(schema: Mapping[str, Any]) -> list[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    names = [declared] if isinstance(declared, str) else list(declared)
    names = [str(name).lower() for name in names]
    if schema.get("nullable") is True and "null" not in names:
        names.append("null")
    return names


def _check(value: Any, schema: Any, path: str, root: Mapping[str, Any], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ValueError("schema nested too deeply (a $ref cycle?)")
    if schema is True or schema is None:
        return
    if schema is False:
        raise _Invalid(path, "not allowed")
    if not isinstance(schema, Mapping):
        return
    if "$ref" in schema:
        _check(value, _resolve(str(schema["$ref"]), root), path, root, depth + 1)
    if value is None and schema.get("nullable") is True:
        return
    types = _type_names(schema)
    if types is not None and not any(_JSON_TYPES.get(name, lambda v: True)(value) for name in types):
        raise _Invalid(path, f"expected {' or '.join(types)}")
    if "enum" in schema and not any(_equal(value, option) for option in schema["enum"]):
        raise _Invalid(path, "not one of the allowed values")
    if "const" in schema and not _equal(value, schema["const"]):
        raise _Invalid(path, "not the required constant")
    for sub in schema.get("allOf", ()):
        _check(value, sub, path, root, depth + 1)
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if options:
            _check_any(value, options, path, root, depth, keyword)
    if isinstance(value, dict):
        _check_object(value, schema, path, root, depth)
    elif isinstance(value, list):
        _check_array(value, schema, path, root, depth)
    elif isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise _Invalid(path, f"shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise _Invalid(path, f"longer than {schema['maxLength']} characters")
    elif _JSON_TYPES["number"](value):
        _check_number(value, schema, path)


def _check_any(
    value: Any, options: Sequence[Any], path: str, root: Mapping[str, Any], depth: int, keyword: str
) -> None:
    errors: list[_Invalid] = []
    for option in options:
        try:
            _check(value, option, path, root, depth + 1)
            return
        except _Invalid as error:
            errors.append(error)
    # the most telling error: the deepest one, else the only branch whose type matched
    deepest = max(errors, key=lambda error: len(error.path))
    if deepest.path != path:
        raise deepest
    typed = [error for error in errors if not error.message.startswith("expected ")]
    if len(typed) == 1:
        raise typed[0]
    raise _Invalid(path, f"matches none of the {keyword} schemas")


def _check_object(
    value: dict[str, Any], schema: Mapping[str, Any], path: str, root: Mapping[str, Any], depth: int
) -> None:
    properties = schema.get("properties") or {}
    for name in schema.get("required", ()):
        if name not in value:
            raise _Invalid(_child(path, str(name)), "missing required property")
    additional = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(item, properties[key], _child(path, key), root, depth + 1)
        elif additional is False:  # the key is the model's, not the schema's: never written (it may be PII)
            raise _Invalid(f"{path}[*]", "unexpected property")
        elif isinstance(additional, Mapping):
            _check(item, additional, f"{path}[*]", root, depth + 1)


def _check_array(
    value: list[Any], schema: Mapping[str, Any], path: str, root: Mapping[str, Any], depth: int
) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        raise _Invalid(path, f"fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise _Invalid(path, f"more than {schema['maxItems']} items")
    prefix = schema.get("prefixItems") or ()
    for index, (item, sub) in enumerate(zip(value, prefix, strict=False)):
        _check(item, sub, _child(path, index), root, depth + 1)
    items = schema.get("items")
    if isinstance(items, list | tuple):  # draft-4 tuple form
        for index, (item, sub) in enumerate(zip(value, items, strict=False)):
            _check(item, sub, _child(path, index), root, depth + 1)
    elif items is not None:
        for index in range(len(prefix), len(value)):
            _check(value[index], items, _child(path, index), root, depth + 1)


def _check_number(value: float, schema: Mapping[str, Any], path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(path, "not a finite number")
    if "minimum" in schema and value < schema["minimum"]:
        raise _Invalid(path, f"below minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise _Invalid(path, f"above maximum {schema['maximum']}")
    low = schema.get("exclusiveMinimum")
    if isinstance(low, int | float) and not isinstance(low, bool) and value <= low:
        raise _Invalid(path, f"not above exclusive minimum {low}")
    high = schema.get("exclusiveMaximum")
    if isinstance(high, int | float) and not isinstance(high, bool) and value >= high:
        raise _Invalid(path, f"not below exclusive maximum {high}")


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) or (_JSON_TYPES["number"](a) and _JSON_TYPES["number"](b))) and a == b


class SchemaValid(_BuiltIn):
    """``schema_valid``: the output is JSON valid against ``output_schema``, and each tool call's
    arguments are a JSON object valid against that tool's declared parameters.

    Score 1 / 0, label ``valid`` / ``invalid``, explanation = the first error as a JSON path and what
    was expected (``$.items[2].price: expected number``; ``$: not JSON``; tool calls prefixed with
    ``tool_calls[i] (name): ``), never the offending value. Not applicable (None) without a schema and
    without tool calls, and for the text when the model refused (the ``refusal`` evaluator covers it)
    or answered with tool calls only. A call to a tool that was not declared is invalid when the
    request declared tools; a call whose tool's parameters are unknown is only checked to be a JSON
    object. The output text is parsed as is (no stripping of Markdown code fences: a client's
    ``json.loads`` / pydantic parse would fail on them too).
    """

    name = semconv.EVALUATION_SCHEMA_VALID

    def _evaluate(self, answer: Answer) -> EvaluationResult | None:
        checked = False
        if answer.output_schema is not None and not (answer.refusal and not answer.text):
            if answer.text is not None and (answer.text.strip() or not answer.tool_calls):
                checked = True
                error = _text_error(answer.text, answer.output_schema)
                if error is not None:
                    return self._invalid(error)
            elif not answer.tool_calls:
                return self._not_captured("the output text")
        for index, (tool, arguments) in enumerate(answer.tool_calls):
            checked = True
            error = _tool_call_error(tool, arguments, answer.tool_parameters)
            if error is not None:
                return self._invalid(f"tool_calls[{index}] ({(tool or '?')[:_MAX_KEY_IN_PATH]}): {error}")
        if not checked:
            return None
        return EvaluationResult(self.name, score=1.0, label="valid")

    def _invalid(self, explanation: str) -> EvaluationResult:
        return EvaluationResult(self.name, score=0.0, label="invalid", explanation=explanation)


def _parse(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except ValueError:  # JSONDecodeError, and int conversion limits
        return False, None
    except RecursionError:
        return False, None


def _text_error(text: str, schema: Mapping[str, Any]) -> str | None:
    ok, value = _parse(text)
    if not ok:
        return "$: not JSON"
    return validate_json_schema(value, schema)


def _tool_call_error(
    tool: str | None, arguments: str | None, declared: Mapping[str, Mapping[str, Any]]
) -> str | None:
    if declared and tool not in declared:
        return "undeclared tool"
    # OpenAI sends "" (and some providers None) for a call without arguments
    ok, value = _parse(arguments) if arguments and arguments.strip() else (True, {})
    if not ok:
        return "$: not JSON"
    if not isinstance(value, dict):
        return "$: expected object"
    parameters = declared.get(tool) if tool is not None else None
    return validate_json_schema(value, parameters) if parameters is not None else None


# --- refusal -------------------------------------------------------------------------------------------

# "I'm sorry, but", "Sorry,", "Unfortunately,", "I apologize, but" before the refusal itself
_APOLOGY = (
    r"(?:(?:i'm|i am|i'm really|i am really)\s+sorry|sorry|i apologi[sz]e|unfortunately)[,.!]?\s+(?:but\s+)?"
)
_NOT_ABLE = (
    r"(?:i\s+(?:can't|cannot|can not|won't|will not|am unable to|am not able to)"
    r"|i'm\s+(?:unable|not able) to)"
)
# what is declined: "help with", "assist you with that", "provide", "comply", "fulfil(l)", "do that"
_DECLINED = (
    r"(?:help|assist)(?:\s+you)?\s+with\b|(?:help|assist)(?:\s+you)?(?:\s+with)?\s+(?:that|this)\b"
    r"|provide\b|comply\b|fulfill?\b|do\s+that\b"
)
_REFUSAL_PHRASES = re.compile(
    rf"^(?:{_APOLOGY})?(?:{_NOT_ABLE})\s+(?:{_DECLINED})"
    r"|^(?:" + _APOLOGY + r")?i\s+(?:must|have to)\s+decline\b"
    r"|^as an ai(?:\s+(?:language model|assistant|model))?\s*,",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^[\s\"'*_>#\-`]+")
_REFUSAL_WINDOW = 200


def refusal_phrase_at_start(text: str) -> bool:
    """Whether ``text`` begins with one of the documented refusal phrases (see ``Refusal``)."""
    start = _LEADING.sub("", text[:_REFUSAL_WINDOW]).replace("\u2019", "'").replace("\u2018", "'")
    start = re.sub(r"\bi\s*'\s*m\b", "i'm", start, flags=re.IGNORECASE)
    start = re.sub(r"\s+", " ", start)
    return _REFUSAL_PHRASES.search(start) is not None


class Refusal(_BuiltIn):
    """``refusal``: the model declined to answer. Score 1 = refused, label ``refusal`` / ``answered``.

    In order: (1) the provider's refusal field (OpenAI ``message.refusal``); (2) a finish reason that
    means the provider blocked or the model declined: whatever ``semconv_finish_reason`` maps to
    ``content_filter`` (``content_filter``, Anthropic ``refusal``, Gemini ``SAFETY`` / ``RECITATION``
    / ``PROHIBITED_CONTENT`` / ..., Bedrock ``guardrail_intervened``); (3) the answer BEGINS (after
    Markdown / quotes; case-insensitive; curly apostrophes normalised) with one of:

    - ``[apology] I can't | cannot | won't | am unable to | am not able to`` followed by ``help with``,
      ``assist (you) with``, ``help / assist (you) (with) that / this``, ``provide``, ``comply``,
      ``fulfil(l)`` or ``do that``, where the optional apology is ``I'm sorry,`` / ``Sorry,`` /
      ``I apologize,`` / ``Unfortunately,`` (each optionally followed by ``but``);
    - ``[apology] I must / have to decline``;
    - ``As an AI[ language model | assistant | model],``.

    So "I can't wait to help", "I can't help but notice", "I'm unable to find that order" and
    "As an AI researcher, you ..." are answers. Only the start counts: a refusal quoted later in an
    answer is not one. An answer made only of tool calls is ``answered``. No text, no tool calls and
    no refusal signal: ``content_not_captured``.
    """

    name = semconv.EVALUATION_REFUSAL

    def _evaluate(self, answer: Answer) -> EvaluationResult | None:
        if answer.refusal and answer.refusal.strip():
            return self._refused("provider refusal field")
        if answer.finish_reason and semconv_finish_reason(answer.finish_reason) == "content_filter":
            return self._refused(f"finish reason {answer.finish_reason[:32]}")
        if answer.text is None or not answer.text.strip():
            if answer.tool_calls:
                return EvaluationResult(self.name, score=0.0, label="answered")
            return self._not_captured("the output text")
        if refusal_phrase_at_start(answer.text):
            return self._refused("refusal phrase at the start of the answer")
        return EvaluationResult(self.name, score=0.0, label="answered")

    def _refused(self, explanation: str) -> EvaluationResult:
        return EvaluationResult(self.name, score=1.0, label="refusal", explanation=explanation)


# --- pii_detected --------------------------------------------------------------------------------------


class PiiDetected(_BuiltIn):
    """``pii_detected``: the model's output contains PII, as the redaction engine finds it.

    Runs the redaction engine's analysis (``analyze_iter``: findings, nothing replaced)
    on the output text with ``policy`` (default ``RedactionPolicy()``: the default entities, the best
    installed spaCy model, or patterns only with ``OTEL_GENAI_REDACTION_MODEL=none``). Overlapping
    findings are merged as redaction merges them. Score 1 = PII found, label ``pii`` / ``clean``,
    explanation = counts by entity type (``EMAIL_ADDRESS=1,PHONE_NUMBER=2``), never the values.

    The detector is the process's shared one for the policy (``shared_detector``), looked up on the
    first evaluation and kept; the engine loads on first use (~1-2 s with NER). Run it on the output
    BEFORE redaction: redacted text holds ``<EMAIL_ADDRESS>`` markers, which are not found again.
    """

    name = semconv.EVALUATION_PII_DETECTED

    def __init__(self, policy: RedactionPolicy | None = None, *, detector: Any = None) -> None:
        self._policy = policy
        self._detector = detector
        self._lock = threading.Lock()
        if detector is None:  # the engine will load on the evaluation worker: see settle_engine_imports
            from otel_genai.redaction.engine import settle_engine_imports

            settle_engine_imports(self._policy or RedactionPolicy())

    def _get_detector(self) -> Any:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from otel_genai.redaction.engine import shared_detector

                    self._detector = shared_detector(self._policy or RedactionPolicy())
        return self._detector

    def _evaluate(self, answer: Answer) -> EvaluationResult | None:
        if answer.text is None:
            if answer.tool_calls or answer.refusal:
                return None
            return self._not_captured("the output text")
        counts = collections.Counter[str]()
        if answer.text.strip():
            from otel_genai.redaction.redactor import merge_findings

            # analyze_iter: what both the thread and the process detectors offer (as the redactor uses them)
            for _, findings in self._get_detector().analyze_iter([answer.text]):
                counts.update(finding.entity_type for finding in merge_findings(findings))
        if not counts:
            return EvaluationResult(self.name, score=0.0, label="clean")
        explanation = ",".join(f"{entity}={count}" for entity, count in sorted(counts.items()))
        return EvaluationResult(self.name, score=1.0, label="pii", explanation=explanation)

    def __repr__(self) -> str:
        return f"PiiDetected(policy={self._policy!r})"


# --- groundedness --------------------------------------------------------------------------------------

# Lines are split first (Markdown list markers and headings dropped), then sentences end at . ! ?
# followed by space and an upper-case letter, digit or opening quote. Abbreviations followed by a
# lower-case word ("e.g. a refund") are therefore not sentence ends.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)]|#{1,6})\s+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# English function words, pronouns, auxiliaries and filler: what says nothing about a claim's facts.
_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each either else etc even
    ever every few for from further get gets got had has have having he her here hers herself him
    himself his how however i if in into is it its itself just let like may me might more most much
    must my myself no nor not now of off often on once only or other our ours ourselves out over own
    per please quite rather really same shall she should so some such than that the their theirs them
    themselves then there these they this those through thus to too under until up upon us use used
    using very via was we well were what when where whether which while who whom whose why will with
    within without would yes yet you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ness",
    "ment",
    "ings",
    "ing",
    "edly",
    "ies",
    "ied",
    "ed",
    "ly",
    "es",
    "s",
)


def stem(word: str) -> str:
    """A crude suffix stripper: "refunds" / "refunded" / "refunding" meet "refund", "shipping" meets
    "ship", "issued" meets "issue" (a final "e" is dropped), "deliveries" meets "delivery"."""
    word = word.split("'", 1)[0]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix in ("ies", "ied"):
                return word[: -len(suffix)] + "y"
            if suffix == "es" and not word.endswith(("shes", "ches", "xes", "sses", "zes")):
                word = word[:-1]  # "purchases" -> "purchase", but "boxes" -> "box"
                break
            word = word[: -len(suffix)]
            if suffix in ("ing", "ings", "ed", "edly") and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "shipping" -> "ship", but "called" -> "call"
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """Lower-cased, stop words removed, stemmed; numbers kept (they are the facts claims hinge on)."""
    return {stem(token) for token in _TOKEN.findall(text.lower()) if token not in STOP_WORDS}


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (see ``_SENTENCE_END``), without list markers, blank ones dropped."""
    sentences = (
        sentence.strip()
        for line in text.splitlines()
        for sentence in _SENTENCE_END.split(_LIST_MARKER.sub("", line))
    )
    return [sentence for sentence in sentences if sentence]


class Groundedness(_BuiltIn):
    """``groundedness``: the share of the answer's claims supported by the retrieved documents.

    Deterministic and offline (no model): a claim is a sentence of the answer (``split_sentences``)
    with at least ``min_claim_words`` (4) distinct content words (``content_words``: lower-cased,
    stop words removed, suffixes stripped); it is supported when at least ``threshold`` (0.6) of its
    content words occur in ONE document (token-overlap recall against the best document). Score =
    supported / claims, label ``grounded`` (>= 0.8), ``partially_grounded`` or ``ungrounded`` (< 0.5),
    explanation ``"k of n claims supported"``.

    Lexical overlap does not understand negation or paraphrase: "the refund is not available" is
    supported by a document saying it is; a faithful paraphrase with other words is not. Treat the
    score as a drift signal, not a verdict.

    ``documents is None`` (the documents' text was not captured), or only blank documents: result with
    ``error_type="content_not_captured"``; no documents (no retrieval): None; no claims: None.
    """

    name = semconv.EVALUATION_GROUNDEDNESS

    def __init__(self, threshold: float = 0.6, min_claim_words: int = 4) -> None:
        self.threshold = threshold
        self.min_claim_words = min_claim_words

    def _evaluate(self, answer: Answer) -> EvaluationResult | None:
        if answer.documents is None:
            return self._not_captured("the retrieved documents' text")
        if not answer.documents:
            return None
        if answer.text is None:
            return self._not_captured("the output text")
        documents = [
            content_words(document) for document in answer.documents if document and document.strip()
        ]
        if not documents:
            return self._not_captured("the retrieved documents' text")
        claims = [
            words
            for words in map(content_words, split_sentences(answer.text))
            if len(words) >= self.min_claim_words
        ]
        if not claims:
            return None
        supported = sum(
            1
            for words in claims
            if max(len(words & document) for document in documents) >= self.threshold * len(words)
        )
        score = supported / len(claims)
        label = "grounded" if score >= 0.8 else "ungrounded" if score < 0.5 else "partially_grounded"
        return EvaluationResult(
            self.name, score=score, label=label, explanation=f"{supported} of {len(claims)} claims supported"
        )

    def __repr__(self) -> str:
        return f"Groundedness(threshold={self.threshold}, min_claim_words={self.min_claim_words})"


# The built-in evaluators by their semconv names (``instrument(evaluators=[...])``, OTEL_GENAI_EVALUATORS).
BUILT_IN: Mapping[str, type[_BuiltIn]] = MappingProxyType(
    {
        semconv.EVALUATION_SCHEMA_VALID: SchemaValid,
        semconv.EVALUATION_REFUSAL: Refusal,
        semconv.EVALUATION_PII_DETECTED: PiiDetected,
        semconv.EVALUATION_GROUNDEDNESS: Groundedness,
    }
)
