"""Offline suites (issue 16, item 3): ``otel_genai.evaluation.suite``, in process.

The reference scores on strings worked out by hand; ``run_suite`` over in-memory pipelines (one workflow span
per item, the target's model call nested under it, every score an event on that span); the baseline
comparison. The ``otel-genai eval`` command itself runs as a subprocess in ``test_cli.py``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from helpers.openai_fakes import FakeOpenAI, chat_completion
from helpers.telemetry import Telemetry, exported_metrics
from otel_genai.evaluation import suite as suites
from otel_genai.evaluation.evaluators import Groundedness, Refusal, SchemaValid
from otel_genai.evaluation.suite import SuiteError, SuiteItem, TargetOutput

EVENT = "gen_ai.evaluation.result"
SCORE = "otel_genai.evaluation.score"

# answer -> reference; the scores worked out by hand (tokens: lower case, punctuation and a/an/the removed)
#   "Paris" / "paris":            exact 1, contains 1; tokens [paris] / [paris]: f1 1, rouge_l 1
#   "The answer is 4." / "4":     exact 0, contains 1; [answer, is, 4] / [4]: overlap 1, P 1/3, R 1
#                                  -> f1 = 2PR/(P+R) = 1/2; LCS 1 -> rouge_l 1/2
#   "blue green red" / "red green": exact 0, contains 0; overlap 2, P 2/3, R 1 -> f1 4/5;
#                                  LCS ([green] or [red]) 1, P 1/3, R 1/2 -> rouge_l 2/5
ANSWERS: dict[str, Any] = {
    "capital": "Paris",
    "sum": "The answer is 4.",
    "colours": "blue green red",
    "order": {"order_id": "A-1042", "status": "shipped"},
}
SUITE = [
    SuiteItem("capital", "capital", reference="paris", line=1),
    SuiteItem("sum", "sum", reference="4", line=2),
    SuiteItem("colours", "colours", reference="red green", line=3),
    SuiteItem(
        "order",
        "order",
        schema={
            "type": "object",
            "required": ["order_id", "status"],
            "properties": {"status": {"enum": ["shipped"]}},
        },
        line=4,
    ),
]
EXPECTED = {
    "exact": (1 + 0 + 0) / 3,
    "contains": (1 + 1 + 0) / 3,
    "f1": (1 + 1 / 2 + 4 / 5) / 3,
    "rouge_l": (1 + 1 / 2 + 2 / 5) / 3,
    "schema_valid": 1.0,
    "refusal": 0.0,
}


def answer(question: str) -> Any:
    return ANSWERS[question]


def evaluation_logs(telemetry: Telemetry) -> list[Any]:
    return [log.log_record for log in telemetry.logs() if log.log_record.event_name == EVENT]


def workflow_spans(telemetry: Telemetry) -> list[Any]:
    return [span for span in telemetry.spans() if span.name.startswith("invoke_workflow")]


@pytest.fixture
def evaluators() -> list[Any]:
    """The built-ins that need no redaction engine (``pii_detected`` runs in the CLI test)."""
    return [SchemaValid(), Refusal()]


# --- reference scores -----------------------------------------------------------------------------------


def test_exact_and_contains_collapse_whitespace_and_case() -> None:
    assert suites.exact_match("  The  Eiffel\nTower ", "the eiffel tower") == 1.0
    assert suites.exact_match("The Eiffel Tower.", "the eiffel tower") == 0.0  # punctuation counts
    assert suites.contains("It is the Eiffel   Tower, in Paris", "eiffel tower") == 1.0
    assert suites.contains("Tower Eiffel", "eiffel tower") == 0.0


def test_token_f1_is_squads() -> None:
    # [cat, sat, on, mat] / [cat, sat]: overlap 2, P 2/4, R 2/2 -> 2 * 1/2 * 1 / (3/2) = 2/3
    assert suites.token_f1("The cat sat on the mat.", "a cat sat") == pytest.approx(2 / 3)
    # a repeated token counts as often as both have it: [yes, yes, yes] / [yes]: overlap 1, P 1/3, R 1 -> 1/2
    assert suites.token_f1("yes yes yes", "Yes!") == pytest.approx(1 / 2)
    assert suites.token_f1("nothing alike", "different words") == 0.0
    assert suites.token_f1("The.", "a") == 1.0  # both empty once normalised
    assert suites.token_f1("", "something") == 0.0


def test_rouge_l_is_the_lcs_f_measure() -> None:
    # [police, killed, gunman] / [gunman, police, killed]: LCS [police, killed] = 2, P = R = 2/3 -> 2/3
    assert suites.rouge_l("police killed the gunman", "the gunman police killed") == pytest.approx(2 / 3)
    # order matters where f1 does not: [z, y, x] / [x, y, z]: LCS 1 -> 1/3; f1 1
    assert suites.rouge_l("z y x", "x y z") == pytest.approx(1 / 3)
    assert suites.token_f1("z y x", "x y z") == 1.0
    assert suites.lcs_length(list("ABCBDAB"), list("BDCABA")) == 4  # the textbook example
    assert suites.rouge_l("", "") == 1.0
    assert suites.rouge_l("words", "") == 0.0


# --- reading a suite ----------------------------------------------------------------------------------


def test_every_malformed_line_is_reported_with_its_number() -> None:
    lines = [
        '{"input": "fine", "reference": "ok"}',
        "",
        "{not json",
        '["a", "list"]',
        '{"reference": "no input"}',
        '{"input": 1, "reference": 7, "schema": "object"}',
        '{"id": "x", "input": 1}',
        '{"id": "x", "input": 2}',
    ]
    with pytest.raises(SuiteError) as raised:
        suites.parse_suite(lines)
    problems = raised.value.problems
    assert [problem.split(":")[0] for problem in problems] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 8",
    ]
    assert "not JSON" in problems[0]
    assert "expected a JSON object, got list" in problems[1]
    assert 'no "input"' in problems[2]
    assert '"reference" is not a string' in problems[3] and '"schema" is not a JSON schema' in problems[3]
    assert "already used on line 7" in problems[4]


def test_items_are_numbered_by_line_unless_they_have_an_id(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text('{"input": {"q": 1}}\n\n{"id": 42, "input": "x", "reference": "y", "schema": {}}\n')
    first, second = suites.load_suite(path)
    assert first == SuiteItem("1", {"q": 1}, None, None, 1)
    assert second == SuiteItem("42", "x", "y", {}, 3)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(SuiteError, match="no items"):
        suites.load_suite(empty)


def test_a_target_is_imported_from_the_given_directory(tmp_path: Path) -> None:
    (tmp_path / "suite_target_mod.py").write_text(
        "class Bot:\n    @staticmethod\n    def ask(q):\n        return q\n"
    )
    try:
        target = suites.import_target("suite_target_mod:Bot.ask", tmp_path)
        assert target("hi") == "hi"
        for spec, message in (
            ("suite_target_mod", "expected module:function"),
            ("suite_target_mod:missing", "has no missing"),
            ("no_such_module_here:f", "cannot import no_such_module_here"),
        ):
            with pytest.raises(SuiteError, match=message):
                suites.import_target(spec, tmp_path)
    finally:
        sys.modules.pop("suite_target_mod", None)
        sys.path.remove(str(tmp_path.resolve()))


# --- running --------------------------------------------------------------------------------------------


def test_scores_and_aggregate(telemetry: Telemetry, evaluators: list[Any]) -> None:
    progress: list[tuple[int, int, str]] = []
    run = suites.run_suite(
        SUITE,
        answer,
        suite="golden",
        evaluators=evaluators,
        progress=lambda done, total, item: progress.append((done, total, item.id)),
    )

    assert progress == [(1, 4, "capital"), (2, 4, "sum"), (3, 4, "colours"), (4, 4, "order")]
    assert run.metrics() == pytest.approx(EXPECTED)
    assert run.counts() == {"exact": 3, "contains": 3, "f1": 3, "rouge_l": 3, "refusal": 4, "schema_valid": 1}
    capital, _, colours, order = run.items
    assert capital.labels["exact"] == "match" and colours.labels["contains"] == "missing"
    assert order.answer == json.dumps(ANSWERS["order"])  # a dict answer is its JSON
    assert order.labels["schema_valid"] == "valid"
    assert run.errors == 0

    report = json.loads(json.dumps(run.to_report()))  # JSON-ready
    assert report["suite"] == "golden" and report["metrics"] == pytest.approx(EXPECTED)
    assert [item["id"] for item in report["items"]] == ["capital", "sum", "colours", "order"]
    assert report["started"] <= report["finished"]


def test_each_item_is_a_workflow_span_with_its_scores_as_events(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI, evaluators: list[Any]
) -> None:
    """The target's model call nests under the item's span; every score is an event on that span, and the
    score metric carries the release (``OTEL_GENAI_RELEASE`` / ``release=``), as does the report."""
    telemetry = make_telemetry(release={"release": {"feature": "support", "version": "7"}})
    fake_openai.reply("/chat/completions", chat_completion("Paris"))

    def ask(question: str) -> str:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
        return str(reply.choices[0].message.content)

    run = suites.run_suite(SUITE[:2], ask, suite="golden", evaluators=evaluators)

    assert run.release == {"feature": "support", "version": "7"}
    items = workflow_spans(telemetry)
    assert [span.name for span in items] == ["invoke_workflow eval golden"] * 2
    assert [span.attributes["otel_genai.evaluation.item.id"] for span in items] == ["capital", "sum"]
    assert {span.attributes["otel_genai.evaluation.suite"] for span in items} == {"golden"}
    models = [span for span in telemetry.spans() if span.name.startswith("chat")]
    assert [model.parent and model.parent.span_id for model in models] == [
        span.context.span_id for span in items
    ]
    for span, result in zip(items, run.items, strict=True):
        assert result.span_id == f"{span.context.span_id:016x}"
        assert result.trace_id == f"{span.context.trace_id:032x}"
        events = [log for log in evaluation_logs(telemetry) if log.span_id == span.context.span_id]
        assert {
            log.attributes["gen_ai.evaluation.name"]: log.attributes["gen_ai.evaluation.score.value"]
            for log in events
        } == result.scores
    points = exported_metrics(telemetry.metric_reader)[SCORE].data.data_points
    f1 = [point for point in points if point.attributes["gen_ai.evaluation.name"] == "f1"]
    # "Paris" against "paris" (1) and "4" (0): both on the release
    assert sum(point.count for point in f1) == 2 and sum(point.sum for point in f1) == pytest.approx(1.0)
    assert {point.attributes["otel_genai.release.version"] for point in f1} == {"7"}


def test_a_target_that_raises_fails_its_item_and_the_run_goes_on(
    telemetry: Telemetry, evaluators: list[Any]
) -> None:
    def flaky(question: str) -> Any:
        if question == "sum":
            raise TimeoutError("the model took too long")
        return answer(question)

    run = suites.run_suite(SUITE, flaky, suite="golden", evaluators=evaluators)

    failed = run.items[1]
    assert failed.error == {"type": "TimeoutError", "message": "the model took too long"}
    assert failed.failed == dict.fromkeys(["exact", "contains", "f1", "rouge_l", "refusal"], "TimeoutError")
    assert failed.scores == {} and run.errors == 1
    assert [item.answer is not None for item in run.items] == [True, False, True, True]
    # the means are over the items that answered
    assert run.metrics()["f1"] == pytest.approx((1 + 4 / 5) / 2)
    assert run.counts()["f1"] == 2
    span = workflow_spans(telemetry)[1]
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "TimeoutError"
    events = [log for log in evaluation_logs(telemetry) if log.span_id == span.context.span_id]
    assert len(events) == 5
    assert {log.attributes["error.type"] for log in events} == {"TimeoutError"}
    assert all("gen_ai.evaluation.score.value" not in log.attributes for log in events)
    assert run.to_report()["errors"] == 1


def test_an_async_target_is_awaited_in_the_items_span(telemetry: Telemetry, evaluators: list[Any]) -> None:
    from opentelemetry import trace

    seen: list[int] = []

    async def ask(question: str) -> Any:
        await asyncio.sleep(0)
        seen.append(trace.get_current_span().get_span_context().span_id)
        return answer(question)

    run = suites.run_suite(SUITE, ask, suite="golden", evaluators=evaluators)

    assert run.metrics() == pytest.approx(EXPECTED)
    assert seen == [span.context.span_id for span in workflow_spans(telemetry)]


def test_groundedness_runs_only_when_the_target_returns_its_documents(telemetry: Telemetry) -> None:
    documents = ["Refunds are issued within 14 days of the returned parcel arriving at our warehouse."]

    def grounded(question: str) -> Any:
        text = "Refunds are issued within 14 days of the parcel arriving at the warehouse."
        return TargetOutput(text, documents=[{"content": documents[0]}]) if question == "with" else text

    items = [SuiteItem("with", "with", line=1), SuiteItem("without", "without", line=2)]
    run = suites.run_suite(items, grounded, evaluators=[Groundedness()])

    with_documents, without = run.items
    assert with_documents.scores == {"groundedness": 1.0}
    assert with_documents.explanations == {"groundedness": "1 of 1 claims supported"}
    assert without.scores == {} and without.failed == {}


def test_a_user_evaluator_that_raises_is_an_evaluator_error(telemetry: Telemetry) -> None:
    class Broken:
        name = "tone"

        def evaluate(self, answer: Any) -> Any:
            raise RuntimeError("judge unavailable")

    run = suites.run_suite(SUITE[:1], answer, evaluators=[Broken()])

    assert run.items[0].failed == {"tone": "RuntimeError"}
    assert run.items[0].error is None and run.errors == 0
    [event] = [
        log for log in evaluation_logs(telemetry) if log.attributes["gen_ai.evaluation.name"] == "tone"
    ]
    assert event.attributes["error.type"] == "RuntimeError"


def test_unknown_built_in_evaluators_are_named() -> None:
    with pytest.raises(SuiteError, match="unknown evaluator 'tone'"):
        suites.default_evaluators(["refusal", "tone"])
    assert [evaluator.name for evaluator in suites.default_evaluators(["refusal"])] == ["refusal"]


# --- baselines ------------------------------------------------------------------------------------------


def test_compare_flags_drops_beyond_the_margin_and_rises_where_lower_is_better() -> None:
    baseline = {"f1": 0.80, "exact": 0.50, "rouge_l": 0.70, "pii_detected": 0.10, "refusal": 0.0, "gone": 1.0}
    current = {"f1": 0.78, "exact": 0.40, "rouge_l": 0.90, "pii_detected": 0.25, "refusal": 0.0}

    regressions = suites.compare(baseline, current, margin=0.02)

    # f1 dropped by exactly the margin: not a regression; rouge_l rose; pii_detected rose (worse)
    assert [(r.name, r.baseline, r.current) for r in regressions] == [
        ("exact", 0.50, 0.40),
        ("pii_detected", 0.10, 0.25),
    ]
    assert regressions[0].delta == pytest.approx(-0.10)
    assert suites.missing(baseline, current) == ["gone"]
    assert suites.compare(baseline, current, margin=0.2) == []


def test_a_baseline_must_be_a_report(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"metrics": {"f1": 0.5, "exact": 1}}))
    assert suites.load_baseline(good) == {"f1": 0.5, "exact": 1.0}
    for name, content, message in (
        ("missing.json", None, "cannot read the baseline"),
        ("text.json", "not json", "cannot read the baseline"),
        ("list.json", "[]", 'no "metrics" object'),
        ("bad.json", json.dumps({"metrics": {"f1": "high"}}), "metric 'f1' is not a number"),
    ):
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        with pytest.raises(SuiteError, match=message):
            suites.load_baseline(path)
