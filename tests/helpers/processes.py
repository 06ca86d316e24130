"""Child programs: a free port, a clean environment, collecting their results, parsing what they print."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env() -> dict[str, str]:
    """This environment without OTEL_*, exporting nowhere fast if anything is exported at all (the test
    session's state directory kept: a child never writes to the real home)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") or k == "OTEL_GENAI_STATE_DIR"}
    env.update(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{unused_port()}",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


# A hang guard, not a speed limit: programs started together on a loaded 2-core machine (each importing
# Presidio and spaCy) can take minutes; only one that never ends is killed.
RUN_DEADLINE_SECONDS = 600.0


def collect_runs(
    running: dict[str, tuple[Any, Any]], timeout: float = RUN_DEADLINE_SECONDS
) -> dict[str, dict[str, Any]]:
    """Waits for subprocesses started together: name -> {"returncode", "stdout", "stderr", "result"},
    where "result" is the JSON the program wrote to its output path (None if it wrote none, or wrote it
    only in part before it was killed: the test that reads it then fails with the program's stderr)."""
    import subprocess

    results: dict[str, dict[str, Any]] = {}
    for name, (process, output) in running.items():
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        try:
            result = json.loads(output.read_text()) if output.exists() else None
        except ValueError:
            result = None
        results[name] = {
            "returncode": process.returncode,
            "stdout": stdout,
            "stderr": stderr,
            "result": result,
        }
    return results


def json_documents(text: str) -> list[dict[str, Any]]:
    """The JSON documents printed one after another (the SDK's console exporters print one per item)."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while (start := text.find("{", position)) != -1:
        document, position = decoder.raw_decode(text, start)
        documents.append(document)
    return documents


def trace_children(lines: Iterable[str]) -> list[str]:
    """The names of the root span's children in a trace printed as a tree (``├─ name  ...`` lines)."""
    return [line[3:].split("  ")[0] for line in lines if line.startswith(("├─ ", "└─ "))]
