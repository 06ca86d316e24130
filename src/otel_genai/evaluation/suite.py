"""Offline evaluation suites (``otel-genai eval``): a golden set run through the application's function.

A suite is JSONL: one object a line with ``input`` (any JSON value, handed to the target as is), an optional
``reference`` (the expected answer text), an optional ``schema`` (a JSON schema the answer must match) and an
optional ``id`` (else the line number). ``load_suite`` reads it and reports every bad line at once.

``run_suite`` calls the target once per item inside an ``invoke_workflow eval {suite}`` span of its own (so
the model, retrieval and tool calls the target makes nest under it), then scores the answer:

- against the reference, when there is one: ``exact`` (whitespace collapsed, case folded), ``contains`` (the
  reference inside the answer, same normalisation), ``f1`` (token-overlap F1 with SQuAD normalisation: lower
  case, punctuation and the articles a/an/the removed) and ``rouge_l`` (the F-measure of the longest common
  token subsequence, same tokens);
- with the built-in evaluators (``evaluators.BUILT_IN``) that apply: ``schema_valid`` with the item's schema,
  ``refusal``, ``pii_detected``, and ``groundedness`` only when the target returned its documents
  (``TargetOutput(text, documents)``).

Every score goes on the item's span as a ``gen_ai.evaluation.result`` event (``record_evaluation``), after
the span has ended, so the span's duration is the target's alone. A target that raises fails its item: the
span ends with the error, every metric the item would have had is recorded with ``error.type``, and the run
goes on. Means leave out items and evaluators that failed (``counts`` says how many each mean is over).

``compare`` checks a run's means against a baseline report's: for the metrics where higher is better a
drop by more than the margin is a regression; for ``pii_detected`` and ``refusal`` (1 = PII found /
refused) a rise.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import json
import math
import re
import string
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from otel_genai import semconv as sc

EXACT = "exact"
CONTAINS = "contains"
F1 = "f1"
ROUGE_L = "rouge_l"
REFERENCE_METRICS = (EXACT, CONTAINS, F1, ROUGE_L)
# the metrics where a higher mean is worse (score 1 = PII found / the model refused)
LOWER_IS_BETTER = frozenset({sc.EVALUATION_PII_DETECTED, sc.EVALUATION_REFUSAL})
# absolute tolerance on top of the margin, so that a drop of exactly the margin is not a regression
_EPSILON = 1e-9


class SuiteError(Exception):
    """A suite, target or baseline that cannot be used: every problem, one a line (``problems``)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class SuiteItem:
    """One line of a suite."""

    id: str
    input: Any
    reference: str | None = None
    schema: Mapping[str, Any] | None = None
    line: int = 0


@dataclass(frozen=True)
class TargetOutput:
    """What a target returns when it has more to say than the answer: ``documents`` (the texts it answered
    from: strings, ``{"content"|"text"|"page_content": ...}`` dicts or LangChain ``Document``s) turn on the
    ``groundedness`` evaluator for the item."""

    text: Any
    documents: Sequence[Any] | None = None


@dataclass
class ItemResult:
    """One item's run: the answer, its scores, and what failed."""

    id: str
    line: int
    input: Any
    reference: str | None
    answer: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    # metric -> error type: the evaluator could not run, or (with ``error``) the target failed
    failed: dict[str, str] = field(default_factory=dict)
    # the target raised: {"type", "message"}
    error: dict[str, str] | None = None
    duration_ms: float = 0.0
    trace_id: str | None = None
    span_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "line": self.line,
            "input": self.input,
            "reference": self.reference,
            "answer": self.answer,
            "scores": self.scores,
            "labels": self.labels,
            "explanations": self.explanations,
            "failed": self.failed,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
            "trace_id": self.trace_id,
            "span_id": self.span_id,
        }


@dataclass
class SuiteRun:
    """A suite's run: its items, in suite order, and the aggregate."""

    suite: str
    target: str
    release: Any = None
    started: str = ""
    finished: str = ""
    items: list[ItemResult] = field(default_factory=list)

    def metric_names(self) -> list[str]:
        """Every metric some item has (scored or failed), reference metrics first, then the evaluators'."""
        seen: dict[str, None] = {}
        for item in self.items:
            for name in (*item.scores, *item.failed):
                seen.setdefault(name, None)
        reference = [name for name in REFERENCE_METRICS if name in seen]
        return reference + sorted(name for name in seen if name not in REFERENCE_METRICS)

    def counts(self) -> dict[str, int]:
        """Metric -> how many items have a score for it."""
        return {name: sum(1 for item in self.items if name in item.scores) for name in self.metric_names()}

    def metrics(self) -> dict[str, float]:
        """Metric -> mean score over the items that have one."""
        means = {}
        for name in self.metric_names():
            values = [item.scores[name] for item in self.items if name in item.scores]
            if values:
                means[name] = math.fsum(values) / len(values)
        return means

    @property
    def errors(self) -> int:
        """How many items' target call raised."""
        return sum(1 for item in self.items if item.error is not None)

    def to_report(self) -> dict[str, Any]:
        """The JSON report (``--report``), which a later run reads as its ``--baseline``."""
        return {
            "suite": self.suite,
            "target": self.target,
            "release": self.release,
            "started": self.started,
            "finished": self.finished,
            "items": [item.to_json() for item in self.items],
            "metrics": self.metrics(),
            "counts": self.counts(),
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Regression:
    """A metric whose mean moved the wrong way by more than the margin."""

    name: str
    baseline: float
    current: float

    @property
    def delta(self) -> float:
        return self.current - self.baseline


# --- reading a suite ----------------------------------------------------------------------------------


def load_suite(path: str | Path) -> list[SuiteItem]:
    """The suite's items; ``SuiteError`` naming every malformed line (``line N: ...``). Blank lines are
    skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError) as error:
        raise SuiteError([f"cannot read {path}: {error}"]) from None
    return parse_suite(text.splitlines())


def parse_suite(lines: Iterable[str]) -> list[SuiteItem]:
    """``load_suite`` on lines already read."""
    items: list[SuiteItem] = []
    problems: list[str] = []
    ids: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError as error:
            problems.append(f"line {number}: not JSON ({error})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"line {number}: expected a JSON object, got {type(entry).__name__}")
            continue
        found = []
        if "input" not in entry:
            found.append('no "input"')
        reference = entry.get("reference")
        if reference is not None and not isinstance(reference, str):
            found.append('"reference" is not a string')
        schema = entry.get("schema")
        if schema is not None and not isinstance(schema, dict):
            found.append('"schema" is not a JSON schema (an object)')
        raw_id = entry.get("id", number)
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            found.append('"id" is not a string or an integer')
            raw_id = number
        item_id = str(raw_id)
        if item_id in ids:
            found.append(f'"id" {item_id!r} is already used on line {ids[item_id]}')
        if found:
            problems.append(f"line {number}: " + "; ".join(found))
            continue
        ids[item_id] = number
        items.append(SuiteItem(item_id, entry["input"], reference, schema, number))
    if problems:
        raise SuiteError(problems)
    if not items:
        raise SuiteError(["the suite has no items"])
    return items


def load_baseline(path: str | Path) -> dict[str, float]:
    """A report's ``metrics`` (name -> mean), for ``compare``; ``SuiteError`` if it is not one."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeError, ValueError) as error:
        raise SuiteError([f"cannot read the baseline {path}: {error}"]) from None
    metrics = report.get("metrics") if isinstance(report, dict) else None
    if not isinstance(metrics, dict):
        raise SuiteError([f'the baseline {path} is not a report: no "metrics" object'])
    bad = [
        name
        for name, value in metrics.items()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
    ]
    if bad:
        raise SuiteError([f"the baseline {path}: metric {name!r} is not a number" for name in bad])
    return {str(name): float(value) for name, value in metrics.items()}


def import_target(spec: str, search_path: str | Path | None = None) -> Callable[..., Any]:
    """``module:function`` (``module:Class.method`` too) imported, with ``search_path`` (default: the
    current directory) first on ``sys.path``; ``SuiteError`` saying what went wrong."""
    module_name, _, qualname = spec.partition(":")
    if not module_name or not qualname:
        raise SuiteError([f"--target {spec!r}: expected module:function"])
    directory = str(Path(search_path if search_path is not None else Path.cwd()).resolve())
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        value: Any = importlib.import_module(module_name)
    except Exception as error:
        raise SuiteError([f"--target {spec!r}: cannot import {module_name}: {error!r}"]) from error
    for part in qualname.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise SuiteError([f"--target {spec!r}: {module_name} has no {qualname}"]) from None
    if not callable(value):
        raise SuiteError([f"--target {spec!r}: {qualname} is not callable"])
    return value


# --- reference-based scores ---------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def _collapsed(text: str) -> str:
    return " ".join(text.split()).casefold()


def exact_match(answer: str, reference: str) -> float:
    """1.0 when the two are equal once whitespace is collapsed and case folded."""
    return 1.0 if _collapsed(answer) == _collapsed(reference) else 0.0


def contains(answer: str, reference: str) -> float:
    """1.0 when the reference occurs in the answer (whitespace collapsed, case folded)."""
    return 1.0 if _collapsed(reference) in _collapsed(answer) else 0.0


def tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation, as tokens: lower case, punctuation (any Unicode P* character) and the
    articles a / an / the removed, split on whitespace."""
    lowered = text.lower()
    kept = "".join(
        " " if ch in _PUNCTUATION or unicodedata.category(ch).startswith("P") else ch for ch in lowered
    )
    return _ARTICLES.sub(" ", kept).split()


def token_f1(answer: str, reference: str) -> float:
    """SQuAD's token-overlap F1 (multiset overlap of ``tokens``); 1.0 when both are empty."""
    predicted, expected = tokens(answer), tokens(reference)
    if not predicted or not expected:
        return 1.0 if predicted == expected else 0.0
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """The length of the longest common subsequence (dynamic programming, one row at a time)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(answer: str, reference: str) -> float:
    """ROUGE-L F-measure (beta = 1) over ``tokens``: LCS / len as precision (answer) and recall (reference);
    1.0 when both are empty."""
    predicted, expected = tokens(answer), tokens(reference)
    if not predicted or not expected:
        return 1.0 if predicted == expected else 0.0
    common = lcs_length(predicted, expected)
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


_REFERENCE_SCORES: dict[str, Callable[[str, str], float]] = {
    EXACT: exact_match,
    CONTAINS: contains,
    F1: token_f1,
    ROUGE_L: rouge_l,
}
_REFERENCE_LABELS = {EXACT: ("match", "mismatch"), CONTAINS: ("contains", "missing")}


# --- running ------------------------------------------------------------------------------------------


def default_evaluators(names: Iterable[str] | None = None) -> list[Any]:
    """The built-in evaluators by name (default: all of them), built with their defaults."""
    from otel_genai.evaluation.evaluators import BUILT_IN

    chosen = list(BUILT_IN) if names is None else list(names)
    unknown = [name for name in chosen if name not in BUILT_IN]
    if unknown:
        raise SuiteError(
            [f"unknown evaluator {name!r} (built-in: {', '.join(BUILT_IN)})" for name in unknown]
        )
    return [BUILT_IN[name]() for name in chosen]


def answer_text(value: Any) -> str:
    """The answer as text: a string as is, a dict or list as JSON, None as "", anything else ``str()``."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _document_texts(documents: Sequence[Any]) -> list[str]:
    from otel_genai.instrumentation._documents import document_of

    texts = []
    for document in documents:
        text = document_of(document, content=True).content
        if text is not None:
            texts.append(text)
    return texts


def release_of(instrumentation: Any) -> Any:
    """The release(s) instrumentation runs as (``OTEL_GENAI_RELEASE`` / ``instrument(release=...)``):
    ``{"feature", "version"}``, a list of them, or None."""
    releases = getattr(getattr(instrumentation, "settings", None), "releases", ()) or ()
    found = [{"feature": release.feature, "version": release.version} for release in releases]
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class _Runner:
    """Calls the target per item in its workflow span; one event loop for async targets."""

    def __init__(self, target: Callable[..., Any], suite_name: str, evaluators: Sequence[Any]) -> None:
        self.target = target
        self.suite_name = suite_name
        self.evaluators = list(evaluators)
        self._loop: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()
            self._loop = None

    def _call(self, value: Any) -> Any:
        result = self.target(value)
        if inspect.isawaitable(result):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            result = self._loop.run_until_complete(_awaited(result))  # a task: copies this context
        return result

    def run(self, item: SuiteItem) -> ItemResult:
        import otel_genai

        result = ItemResult(item.id, item.line, item.input, item.reference)
        documents: Sequence[Any] | None = None
        span = None
        error: Exception | None = None
        started = time.perf_counter()
        try:
            with otel_genai.workflow(f"eval {self.suite_name}") as run:
                span = run.record.span
                if span is not None and span.is_recording():
                    span.set_attribute(sc.OTEL_GENAI_EVALUATION_SUITE, self.suite_name)
                    span.set_attribute(sc.OTEL_GENAI_EVALUATION_ITEM_ID, item.id)
                run.input(item.input)
                output = self._call(item.input)
                if isinstance(output, TargetOutput):
                    documents = output.documents
                    output = output.text
                result.answer = answer_text(output)
                run.output(result.answer)
        except Exception as raised:  # the target's failure fails its item, not the run
            error = raised
        result.duration_ms = (time.perf_counter() - started) * 1000
        if span is not None:
            context = span.get_span_context()
            if context.is_valid:
                result.trace_id = f"{context.trace_id:032x}"
                result.span_id = f"{context.span_id:016x}"
        if error is not None:
            self._failed(item, result, error, span)
        else:
            self._score(item, result, documents, span)
        return result

    def _failed(self, item: SuiteItem, result: ItemResult, error: Exception, span: Any) -> None:
        from otel_genai.evaluation import record_evaluation
        from otel_genai.telemetry.errors import error_type

        kind = error_type(error)
        result.error = {"type": kind, "message": str(error)}
        names = list(REFERENCE_METRICS) if item.reference is not None else []
        for evaluator in self.evaluators:
            name = evaluator.name
            if name == sc.EVALUATION_GROUNDEDNESS or (
                name == sc.EVALUATION_SCHEMA_VALID and item.schema is None
            ):
                continue
            names.append(name)
        for name in names:
            result.failed[name] = kind
            record_evaluation(name, error_type=kind, span=span)

    def _score(self, item: SuiteItem, result: ItemResult, documents: Sequence[Any] | None, span: Any) -> None:
        from otel_genai.evaluation import record_evaluation
        from otel_genai.evaluation.evaluators import Answer

        text = result.answer or ""
        if item.reference is not None:
            for name, score in _REFERENCE_SCORES.items():
                value = score(text, item.reference)
                result.scores[name] = value
                labels = _REFERENCE_LABELS.get(name)
                label = None if labels is None else labels[0] if value == 1.0 else labels[1]
                if label is not None:
                    result.labels[name] = label
                record_evaluation(name, score=value, label=label, span=span)
        answer = Answer(
            text=text,
            output_schema=item.schema,
            documents=_document_texts(documents) if documents is not None else None,
        )
        for evaluator in self.evaluators:
            if evaluator.name == sc.EVALUATION_GROUNDEDNESS and documents is None:
                continue  # the target returned no documents: nothing to be grounded in
            try:
                outcome = evaluator.evaluate(answer)
            except Exception as raised:  # a user's evaluator; the built-ins never raise
                from otel_genai.telemetry.errors import error_type

                outcome = _Failure(evaluator.name, error_type(raised))
            if outcome is None:
                continue
            name = outcome.name
            if outcome.error_type is not None:
                result.failed[name] = outcome.error_type
            elif outcome.score is not None:
                result.scores[name] = float(outcome.score)
            if outcome.label is not None:
                result.labels[name] = outcome.label
            if outcome.explanation is not None:
                result.explanations[name] = outcome.explanation
            record_evaluation(
                name,
                score=outcome.score,
                label=outcome.label,
                explanation=outcome.explanation,
                error_type=outcome.error_type,
                span=span,
            )


@dataclass(frozen=True)
class _Failure:
    name: str
    error_type: str
    score: float | None = None
    label: str | None = None
    explanation: str | None = None


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def run_suite(
    items: Sequence[SuiteItem],
    target: Callable[..., Any],
    *,
    suite: str = "suite",
    target_name: str | None = None,
    evaluators: Sequence[Any] | None = None,
    progress: Callable[[int, int, ItemResult], None] | None = None,
) -> SuiteRun:
    """Runs every item through ``target`` (sync or async) and scores it; returns the run.

    Emits through what ``otel_genai.instrument()`` set up (call it first; without it the spans and events go
    to the global providers, if any). ``evaluators``: objects with ``name`` and ``evaluate(Answer)`` (default:
    every built-in). ``progress(done, total, item)`` is called after each item.
    """
    from otel_genai import _setup

    run = SuiteRun(
        suite=suite,
        target=target_name or str(getattr(target, "__qualname__", None) or repr(target)),
        release=release_of(_setup._active),
        started=now_iso(),
    )
    runner = _Runner(target, suite, default_evaluators() if evaluators is None else evaluators)
    try:
        for done, item in enumerate(items, start=1):
            result = runner.run(item)
            run.items.append(result)
            if progress is not None:
                progress(done, len(items), result)
    finally:
        runner.close()
    run.finished = now_iso()
    return run


def compare(baseline: Mapping[str, float], current: Mapping[str, float], margin: float) -> list[Regression]:
    """The metrics of ``baseline`` whose mean in ``current`` is worse by more than ``margin`` (absolute):
    lower for most, higher for ``pii_detected`` and ``refusal``. Metrics missing on either side are not
    compared (``missing`` lists the baseline's)."""
    regressions = []
    for name, before in baseline.items():
        if name not in current:
            continue
        after = current[name]
        worse = after - before if name in LOWER_IS_BETTER else before - after
        if worse > margin + _EPSILON:
            regressions.append(Regression(name, before, after))
    return regressions


def missing(baseline: Mapping[str, float], current: Mapping[str, float]) -> list[str]:
    """The baseline's metrics this run has no mean for."""
    return [name for name in baseline if name not in current]
