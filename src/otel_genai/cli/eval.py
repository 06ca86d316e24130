"""``otel-genai eval``: an offline suite (a JSONL golden set) run through the application's function with
instrumentation on, scored, printed as a table, optionally written as a report and gated on a baseline.

Exit status: 0 all good; 1 a metric regressed against the baseline by more than the margin, or the target
raised on an item (unless ``--allow-errors``); 2 the suite, baseline or target cannot be used (nothing run).
The runner itself is ``otel_genai.evaluation.suite``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from otel_genai.cli._output import PROG, CommandError, Style, fraction, table

DEFAULT_MARGIN = 0.02
# how long the telemetry flush at the end may take (the exporters' own shutdown is bounded too)
FLUSH_TIMEOUT_MILLIS = 5_000
_BAR_WIDTH = 24


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``eval`` to the ``otel-genai`` sub-command parsers."""
    command = commands.add_parser(
        "eval",
        help="run a golden set through a function, score it, and compare with a baseline",
        description='Runs each item of SUITE (JSONL: one object a line with "input", optional '
        '"reference" answer text, optional "schema" and "id") through TARGET with instrumentation on, '
        "each in its own workflow span, and scores the answers: exact, contains, f1 and rouge_l against "
        "the reference, and the built-in evaluators (schema_valid, refusal, pii_detected; groundedness "
        "when the target returns its documents). Every score is also emitted as a gen_ai.evaluation.result "
        "event on the item's span. Exits 1 when a metric's mean is worse than the baseline's by more than "
        "the margin, or the target raised on an item; 2 when the suite cannot be used.",
    )
    command.add_argument("suite", metavar="SUITE.jsonl", help="the golden set")
    command.add_argument(
        "--target",
        required=True,
        metavar="MODULE:FUNCTION",
        help="the function answering an item's input (sync or async; importable from the current directory)",
    )
    command.add_argument("--report", metavar="OUT.json", help="write the run's report here")
    command.add_argument(
        "--baseline", metavar="BASE.json", help="a previous report: fail when a metric got worse than its"
    )
    command.add_argument(
        "--margin",
        type=fraction,
        default=DEFAULT_MARGIN,
        help=f"how much worse (absolute) a metric's mean may get before it is a regression (default: "
        f"{DEFAULT_MARGIN})",
    )
    command.add_argument(
        "--evaluators",
        metavar="NAMES",
        help='comma-separated built-in evaluators to run (default: all; "none": the reference checks only)',
    )
    command.add_argument(
        "--exporter",
        help='OTEL_TRACES_EXPORTER for this run: "otlp", "console", "none", ... (default: the environment)',
    )
    command.add_argument(
        "--allow-errors", action="store_true", help="items whose target call raised do not fail the run"
    )
    command.set_defaults(handler=_command)


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_genai.evaluation import suite as suites

    try:  # everything checked before anything runs
        items = suites.load_suite(args.suite)
        baseline = suites.load_baseline(args.baseline) if args.baseline else None
        evaluators = suites.default_evaluators(_evaluator_names(args.evaluators))
        target = suites.import_target(args.target)
    except suites.SuiteError as error:
        raise CommandError("\n  ".join(error.problems), status=2) from None

    import otel_genai

    instrumentation = otel_genai.instrument(exporter=args.exporter)
    progress = Progress(sys.stderr, len(items))
    try:
        run = suites.run_suite(
            items,
            target,
            suite=Path(args.suite).stem,
            target_name=args.target,
            evaluators=evaluators,
            progress=progress,
        )
    finally:
        progress.close()
        _flush(instrumentation)

    style = Style(sys.stdout)
    out = sys.stdout
    _print_items(run, style, out)
    _print_aggregate(run, out)
    status = 0
    if run.errors:
        print(
            f"\n{style.mark(False)} the target raised on {run.errors} of {len(run.items)} items"
            + (" (allowed)" if args.allow_errors else ""),
            file=out,
        )
        if not args.allow_errors:
            status = 1
    report = run.to_report()
    if baseline is not None:
        regressions = suites.compare(baseline, report["metrics"], args.margin)
        _print_comparison(baseline, report["metrics"], regressions, args.margin, style, out)
        report["baseline"] = {
            "path": args.baseline,
            "margin": args.margin,
            "metrics": baseline,
            "regressions": [
                {"name": r.name, "baseline": r.baseline, "current": r.current, "delta": r.delta}
                for r in regressions
            ],
            "missing": suites.missing(baseline, report["metrics"]),
        }
        if regressions:
            status = 1
            names = ", ".join(r.name for r in regressions)
            print(f"{PROG} eval: regressed against the baseline: {names}", file=sys.stderr)
    out.flush()
    if args.report:
        try:
            Path(args.report).write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
        except OSError as error:
            raise CommandError(f"cannot write the report {args.report}: {error}") from None
        print(f"{PROG} eval: report written to {args.report}", file=sys.stderr)
    return status


def _evaluator_names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    return [] if names == ["none"] else names


def _flush(instrumentation: Any) -> None:
    """Export what is buffered and stop the exporters, within a bounded time; never fails the run."""
    try:
        instrumentation.force_flush(FLUSH_TIMEOUT_MILLIS)
        instrumentation.shutdown()  # our batch processors' shutdown stays within the exit budget
    except Exception as error:
        print(f"{PROG} eval: could not flush the telemetry: {error!r}", file=sys.stderr)


class Progress:
    """A bar redrawn in place on a terminal; one line per item otherwise (CI logs)."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        try:
            self.tty = stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.style = Style(stream)
        self._drawn = False

    def __call__(self, done: int, total: int, item: Any) -> None:
        state = item.error is None
        if self.tty:
            filled = _BAR_WIDTH * done // max(total, 1)
            bar = "#" * filled + "." * (_BAR_WIDTH - filled)
            name = item.id if len(item.id) <= 40 else item.id[:37] + "..."
            self.stream.write(f"\r{PROG} eval [{bar}] {done}/{total} {self.style.mark(state)} {name}\033[K")
            self._drawn = True
        else:
            outcome = "ok" if state else f"error: {item.error['type']}"
            self.stream.write(f"{PROG} eval: {done}/{total} {item.id} {outcome}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _cell(item: Any, name: str) -> str:
    if name in item.scores:
        return f"{item.scores[name]:.2f}"
    if name in item.failed:
        return "err"
    return "-"


def _failures(item: Any) -> str:
    from otel_genai import semconv as sc
    from otel_genai.evaluation.suite import CONTAINS, EXACT, LOWER_IS_BETTER

    if item.error is not None:
        message = item.error["message"].splitlines()[0] if item.error["message"] else ""
        text = f"{item.error['type']}: {message}" if message else item.error["type"]
        return text if len(text) <= 80 else text[:77] + "..."
    found = []
    for name, score in item.scores.items():
        failing = (
            score >= 1.0
            if name in LOWER_IS_BETTER
            else (name in (EXACT, CONTAINS, sc.EVALUATION_SCHEMA_VALID) and score < 1.0)
        )
        if failing:
            explanation = item.explanations.get(name)
            found.append(f"{name} ({explanation})" if explanation else name)
    found.extend(f"{name}: {kind}" for name, kind in item.failed.items())
    return ", ".join(found)


def _print_items(run: Any, style: Style, out: TextIO) -> None:
    names = run.metric_names()
    rows = [["item", *names, "failures"]]
    for item in run.items:
        failures = _failures(item)
        rows.append(
            [
                item.id,
                *(_cell(item, name) for name in names),
                style.paint(failures, "red") if failures else "",
            ]
        )
    print(f"{run.suite}: {len(run.items)} items through {run.target}", file=out)
    for line in table(rows):
        print(line, file=out)


def _print_aggregate(run: Any, out: TextIO) -> None:
    means, counts = run.metrics(), run.counts()
    names = run.metric_names()
    if not names:
        return
    rows = [
        ["", *names],
        ["mean", *(f"{means[name]:.3f}" if name in means else "-" for name in names)],
        ["n", *(str(counts[name]) for name in names)],
    ]
    print("\nAggregate", file=out)
    for line in table(rows):
        print(line, file=out)


def _print_comparison(
    baseline: dict[str, float],
    current: dict[str, float],
    regressions: list[Any],
    margin: float,
    style: Style,
    out: TextIO,
) -> None:
    regressed = {r.name for r in regressions}
    rows = [["", "metric", "baseline", "now", "delta"]]
    for name, before in baseline.items():
        if name in current:
            after = current[name]
            mark = style.mark(name not in regressed)
            rows.append([mark, name, f"{before:.3f}", f"{after:.3f}", f"{after - before:+.3f}"])
        else:
            rows.append([style.mark(None), name, f"{before:.3f}", "-", "not measured in this run"])
    print(f"\nAgainst the baseline (margin {margin:g})", file=out)
    for line in table(rows):
        print(line, file=out)
    for r in regressions:
        print(
            f"  regression: {r.name} {r.baseline:.3f} -> {r.current:.3f} ({r.delta:+.3f}, margin {margin:g})",
            file=out,
        )
