"""What every benchmark records about the run: the machine, the package versions and the commit."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"  # where the benchmarks save their reports by default


def git_revision() -> str:
    """The commit measured, with "-dirty" when src/ has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


REVISION = git_revision()  # at start: the code this process imported


def versions(names: Iterable[str]) -> dict[str, str]:
    """Installed version of each distribution ("not installed" when absent); ours with its commit."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    if "otel-genai" in out:
        out["otel-genai"] += f" @ {REVISION}"
    return out


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine(loadavg_start: list[float]) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_start": loadavg_start,
        "loadavg_end": load_average(),
    }


def run_header(report: dict[str, Any]) -> list[str]:
    """The two lines under a results table's title: when, where, under what load, with which versions."""
    machine = report["machine"]

    def loads(values: list[float]) -> str:
        return " ".join(f"{x:.2f}" for x in values)

    return [
        f"{report['when']} · Python {machine['python']} · {machine['cpus']} CPUs · load avg "
        f"{loads(machine['loadavg_start'])} (start) / {loads(machine['loadavg_end'])} (end)",
        " · ".join(f"{k} {v}" for k, v in report["versions"].items()),
    ]


def apply_defaults(args: argparse.Namespace, defaults: dict[str, tuple[Any, Any]]) -> None:
    """Sets each option left unset to its ``(quick, full)`` default, as ``args.quick`` says."""
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)


def write_text(path: str | Path, text: str) -> None:
    """``text`` and a newline to ``path``, its directory created if need be."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def write_json(path: str | Path, report: dict[str, Any]) -> None:
    write_text(path, json.dumps(report, indent=1, default=str))


def save(out_dir: str | Path, name: str, text: str, report: dict[str, Any] | None = None) -> None:
    """``<out_dir>/<name>.txt`` (the table) and, given the report, ``<out_dir>/<name>.json``."""
    write_text(Path(out_dir, f"{name}.txt"), text)
    if report is not None:
        write_json(Path(out_dir, f"{name}.json"), report)
