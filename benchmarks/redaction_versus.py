"""Redaction throughput of this tree against an earlier commit, measured in one run.

Run with ``.venv/bin/python benchmarks/redaction_versus.py --baseline <rev>`` (about 4 minutes on the 2-core
VM). The baseline is checked out with ``git worktree`` under the system's temporary directory (nothing in
this tree changes). Each round runs one child process per tree, in alternating order, with the other
tree's ``src`` on ``PYTHONPATH``; each child builds the workloads of ``redaction_throughput.py`` (the same
generator and seeds), warms the engine up, then times ``Redactor(RedactionPolicy()).redact_spans`` over
them in batches of 64 with a fresh cache: ``unique`` (200 distinct ~1 KB texts: raw analysis speed) and
``chat`` (multi-turn support conversations: what a service sees). Reported: medians over rounds and the
ratio this tree / baseline (> 1: faster). ``--save`` writes ``benchmarks/results/redaction_versus.txt``.
Not a test: nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import RESULTS, save

ROOT = Path(__file__).resolve().parent.parent
BATCH = 64


def child(conversations: int) -> None:
    """Runs in a child process: times the workloads with whichever otel_genai is on the path."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gc

    from redaction_throughput import chat_workload, unique_workload

    import otel_genai
    from otel_genai.redaction.policy import RedactionPolicy
    from otel_genai.redaction.redactor import Redactor

    workloads = {"unique": unique_workload(200), "chat": chat_workload(conversations, 8)}
    warm = Redactor(RedactionPolicy())
    warm.redact_spans(unique_workload(8, seed=99).spans())
    timings = {}
    for name, workload in workloads.items():
        spans = workload.spans()
        redactor = Redactor(RedactionPolicy())
        gc.collect()
        started = time.perf_counter()
        for start in range(0, len(spans), BATCH):
            redactor.redact_spans(spans[start : start + BATCH])
        timings[name] = {"seconds": time.perf_counter() - started, "spans": len(spans)}
    print(json.dumps({"source": str(Path(otel_genai.__file__).parent), "timings": timings}))


def worktree(rev: str) -> Path:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"otel-genai-baseline-{commit}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True)
    return path


def run_child(tree: Path, conversations: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--conversations", str(conversations)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["source"].startswith(str(tree)), result["source"]  # the tree we meant was imported
    return result["timings"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conversations", type=int, default=12)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.conversations)
        return 0
    trees = {"baseline": worktree(args.baseline), "this tree": ROOT}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    spans: dict[str, int] = {}
    for round_ in range(args.rounds):
        order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
        for name in order:
            for workload, timing in run_child(trees[name], args.conversations).items():
                samples[name].setdefault(workload, []).append(timing["seconds"])
                spans[workload] = timing["spans"]
            print(f"round {round_ + 1}: {name} done", file=sys.stderr)
    lines = [
        f"redaction throughput, this tree vs {args.baseline} ({trees['baseline'].name}) · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {args.rounds} rounds, alternating processes",
        "",
        f"{'workload':<10}{'spans':>7}{'baseline s':>12}{'this tree s':>13}{'ratio':>8}   per round (s)",
    ]
    for workload in spans:
        base, ours = samples["baseline"][workload], samples["this tree"][workload]
        ratio = statistics.median(base) / statistics.median(ours)
        per_round = ", ".join(f"{b:.2f}/{o:.2f}" for b, o in zip(base, ours, strict=True))
        lines.append(
            f"{workload:<10}{spans[workload]:>7}{statistics.median(base):>12.2f}"
            f"{statistics.median(ours):>13.2f}{ratio:>8.2f}   {per_round}"
        )
    lines.append("ratio: baseline time / this tree's time (1.00 = same speed, 0.90 = 10 % slower)")
    print("\n".join(lines))
    if args.save:
        save(RESULTS, "redaction_versus", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
