"""The ``otel-genai`` command: each command run as a subprocess, its output checked as a user reads it."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.processes import collect_runs, subprocess_env, trace_children, unused_port
from otel_genai import cli
from otel_genai._instrumentors import DECLARATIONS

CLI = [sys.executable, "-m", "otel_genai.cli"]

PII_TEXT = "Hi, I'm Jane Doe: write to jane.doe@example.com or call (212) 555-0147 about order A-1042."
PII = ("Jane Doe", "jane.doe@example.com", "555-0147")

OPENAI_MESSAGES = [
    {"role": "system", "content": "You are the support assistant of Acme Shop."},
    {"role": "user", "content": PII_TEXT},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {
                    "name": "find_customer",
                    "arguments": json.dumps({"email": "jane.doe@example.com", "password": "hunter2"}),
                },
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"customer": "Jane Doe", "id": 7})},
]

SEMCONV_MESSAGES = [
    {"role": "user", "parts": [{"type": "text", "content": "Mail jane.doe@example.com, says Jane Doe"}]},
    {
        "role": "assistant",
        "parts": [{"type": "text", "content": "Done: jane.doe@example.com"}],
        "finish_reason": "stop",
    },
]

# A program `otel-genai run` instruments: a real openai client answered in process, a prompt with PII.
APP = """
import sys
import httpx2, openai

body = {"id": "chatcmpl-run", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "hello"}}]}
client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", max_retries=0,
                       http_client=httpx2.Client(transport=httpx2.MockTransport(
                           lambda request: httpx2.Response(200, json=body))))
answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}])
print("the app got:", answer.choices[0].message.content)
sys.exit(3)
"""


# `otel-genai eval`: an async target answering from a table, and a suite whose scores are worked out by hand
# (tokens: lower case, punctuation and a/an/the removed; f1 and rouge_l = 2PR / (P + R)):
#   "Paris" / "paris":               exact 1, contains 1, f1 1, rouge_l 1
#   "The answer is 4." / "4":        exact 0, contains 1; [answer, is, 4] / [4]: f1 1/2, LCS 1 -> rouge_l 1/2
#   "blue green red" / "red green":  exact 0, contains 0; overlap 2: f1 4/5; LCS 1: P 1/3 R 1/2 -> 2/5
#   {"order_id": ...}:               valid against its schema
EVAL_APP = """
import asyncio

ANSWERS = {"capital": "Paris", "sum": "The answer is 4.", "colours": "blue green red",
           "order": {"order_id": "A-1042", "status": "shipped"}}

async def answer(question):
    await asyncio.sleep(0)
    if question == "boom":
        raise ValueError("no answer for boom")
    return ANSWERS[question]
"""
EVAL_SUITE: list[dict[str, Any]] = [
    {"id": "capital", "input": "capital", "reference": "paris"},
    {"id": "sum", "input": "sum", "reference": "4"},
    {"id": "colours", "input": "colours", "reference": "red green"},
    {"id": "order", "input": "order", "schema": {"type": "object", "required": ["order_id", "status"]}},
]
EVAL_MEANS = {
    "exact": (1 + 0 + 0) / 3,
    "contains": (1 + 1 + 0) / 3,
    "f1": (1 + 1 / 2 + 4 / 5) / 3,
    "rouge_l": (1 + 1 / 2 + 2 / 5) / 3,
    "schema_valid": 1.0,
    "refusal": 0.0,
    "pii_detected": 0.0,
}


def all_instrumentors_but(*names: str) -> str:
    """An ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` value leaving only ``names`` enabled."""
    return ",".join(d.name for d in DECLARATIONS if d.name not in names)


# --- every subprocess, started together ------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """name -> {"returncode", "stdout", "stderr"}; all commands run at once (the slow ones load spaCy)."""
    root = tmp_path_factory.mktemp("cli")
    listener = socket.socket()  # an "OTLP endpoint" that accepts TCP connections (the kernel answers)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    answering = f"http://127.0.0.1:{listener.getsockname()[1]}"
    app = root / "support_app.py"
    app.write_text(f"PROMPT = {PII_TEXT!r}\n" + APP)
    release = root / "release.json"
    release.write_text(
        json.dumps(
            {"release": {"feature": "support-app", "version": "7.1", "model": {"name": "gpt-4o-mini"}}}
        )
    )

    (root / "eval_app.py").write_text(EVAL_APP)
    (root / "golden.jsonl").write_text("".join(json.dumps(item) + "\n" for item in EVAL_SUITE))
    (root / "flaky.jsonl").write_text(
        json.dumps({"id": "boom", "input": "boom", "reference": "x"})
        + "\n"
        + json.dumps(EVAL_SUITE[0])
        + "\n"
    )
    (root / "malformed.jsonl").write_text(
        json.dumps(EVAL_SUITE[0]) + "\n{not json\n" + '{"reference": "x"}\n'
    )
    # within the margin (0.02) of this run: f1 0.01 higher, the rest equal
    (root / "passing.json").write_text(json.dumps({"metrics": {**EVAL_MEANS, "f1": EVAL_MEANS["f1"] + 0.01}}))
    # exact was better by 0.1; pii_detected lower by 0.5 (lower is better there)
    failing = {**EVAL_MEANS, "exact": EVAL_MEANS["exact"] + 0.1, "pii_detected": 0.0, "refusal": 0.5}
    (root / "failing.json").write_text(json.dumps({"metrics": failing}))
    eval_env = {
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": all_instrumentors_but("openai"),  # faster
        "OTEL_GENAI_REDACTION_MODEL": "none",  # pii_detected with the pattern recognizers: fast
        "OTEL_GENAI_RELEASE": str(release),
    }
    evaluate = [*CLI, "eval", "--target", "eval_app:answer", "--exporter", "none"]

    commands: dict[str, tuple[list[str], dict[str, str], str | None]] = {
        # subprocess_env() points OTLP at a port nothing listens on
        "doctor": ([*CLI, "doctor"], {}, None),
        "doctor_ascii_answering": (
            [*CLI, "doctor"],
            {"OTEL_EXPORTER_OTLP_ENDPOINT": answering, "PYTHONIOENCODING": "ascii"},
            None,
        ),
        "doctor_json": (
            [*CLI, "doctor", "--json"],
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": answering,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_HEADERS": "api-key=sekrit-value,x-tenant=acme",
                "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "qdrant",
                "OTEL_GENAI_PROVIDER_HOSTS": "llm.internal:8000=vllm",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only",
                "OTEL_SERVICE_NAME": "checkout",
            },
            None,
        ),
        "redact_text": ([*CLI, "redact"], {}, PII_TEXT),
        "redact_openai_messages": ([*CLI, "redact"], {}, json.dumps(OPENAI_MESSAGES)),
        "redact_semconv_masked": (
            [*CLI, "redact", "--entities", "EMAIL_ADDRESS", "--operator", "mask", "--model", "none"],
            {},
            json.dumps(SEMCONV_MESSAGES),
        ),
        "demo": ([*CLI, "demo"], {}, None),
        "demo_without_chromadb": (
            [
                sys.executable,
                "-c",
                "import sys; sys.modules['chromadb'] = None\n"
                "from otel_genai.cli import main; sys.exit(main(['demo']))",
            ],
            {},
            None,
        ),
        "run_app": (
            [*CLI, "run", "--exporter", "console", "--capture-content", "--", sys.executable, str(app)],
            {
                "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": all_instrumentors_but("openai"),  # faster
                "OTEL_GENAI_RELEASE": str(release),
            },
            None,
        ),
        "run_exit_status": (
            [
                *CLI,
                "run",
                "-q",
                "--exporter",
                "none",
                "--",
                sys.executable,
                "-c",
                "import os, sys, otel_genai\n"
                "handle = otel_genai.instrument()\n"
                "print(os.environ['OTEL_SERVICE_NAME'], sorted(handle.instrumented + handle.deferred))\n"
                "sys.exit(5)",
            ],
            {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": all_instrumentors_but("openai", "chromadb")},
            None,
        ),
        # --report into the path collect_runs reads back as the run's "result"
        "eval_passing": (
            [*evaluate, "golden.jsonl", "--baseline", "passing.json", "--report", "eval_passing.unused"],
            eval_env,
            None,
        ),
        "eval_regressed": ([*evaluate, "golden.jsonl", "--baseline", "failing.json"], eval_env, None),
        "eval_target_raises": (
            [*evaluate, "flaky.jsonl", "--evaluators", "none", "--report", "eval_target_raises.unused"],
            eval_env,
            None,
        ),
        "eval_malformed": (
            [*evaluate, "malformed.jsonl", "--report", "eval_malformed.unused"],
            eval_env,
            None,
        ),
        "import_cost": (
            [
                sys.executable,
                "-c",
                "import sys, otel_genai.cli\n"
                "heavy = ('openai', 'chromadb', 'presidio_analyzer', 'spacy', 'grpc', 'httpx2')\n"
                "print(sorted(m for m in heavy if m in sys.modules))",
            ],
            {},
            None,
        ),
    }
    running = {}
    for name, (command, overrides, stdin_text) in commands.items():
        stdin = None
        if stdin_text is not None:
            path = root / f"{name}.stdin"
            path.write_text(stdin_text)
            stdin = path.open()
        process = subprocess.Popen(
            command,
            env={**subprocess_env(), **overrides},
            cwd=root,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        running[name] = (process, root / f"{name}.unused")
    try:
        yield collect_runs(running)
    finally:
        listener.close()


def ok(runs: dict[str, dict[str, Any]], name: str, status: int = 0) -> dict[str, Any]:
    run = runs[name]
    assert run["returncode"] == status, f"{name}: exit {run['returncode']}\n{run['stdout']}\n{run['stderr']}"
    return run


def section(output: str, title: str) -> list[str]:
    """The lines under a doctor section title, up to the next blank line."""
    lines = output.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def row(lines: list[str], word: str) -> str:
    (found,) = [line for line in lines if word in line.split()]
    return found


# --- doctor -----------------------------------------------------------------------------------------


def test_doctor_lists_installed_libraries_and_that_they_would_be_instrumented(runs: dict[str, Any]) -> None:
    output = ok(runs, "doctor")["stdout"]
    libraries = section(output, "Libraries")
    for name, package in (("openai", "openai"), ("chromadb", "chromadb"), ("qdrant", "qdrant-client")):
        line = row(libraries, name)
        assert line.lstrip().startswith("✓"), line
        assert importlib.metadata.version(package) in line.split()
        assert line.endswith("would be instrumented")


def test_doctor_says_when_the_otlp_endpoint_does_not_answer(runs: dict[str, Any]) -> None:
    output = ok(runs, "doctor")["stdout"]
    traces = row(section(output, "OTLP export"), "traces")
    assert traces.lstrip().startswith("✗")
    assert "grpc" in traces.split()
    assert re.search(r"http://127\.0\.0\.1:\d+\s", traces)  # subprocess_env()'s endpoint, as given
    assert "not answering (connection refused)" in traces
    assert "Start an OpenTelemetry Collector" in output


def test_doctor_says_when_the_otlp_endpoint_answers(runs: dict[str, Any]) -> None:
    output = ok(runs, "doctor_ascii_answering")["stdout"]
    traces = row(section(output, "OTLP export"), "traces")
    assert traces.split()[0] == "+"  # ASCII marks where stdout cannot encode check marks
    assert traces.endswith(" answering") and "not answering" not in traces
    assert "Start an OpenTelemetry Collector" not in output
    output.encode("ascii")  # nothing it printed needs more


def test_doctor_shows_the_settings_and_the_redaction_engine(runs: dict[str, Any]) -> None:
    output = ok(runs, "doctor")["stdout"]
    settings = section(output, "Settings")
    assert row(settings, "capture").split()[2] == "off"
    assert row(settings, "redaction").split()[1] == "on"
    assert "32768 characters" in row(settings, "length")
    redaction = section(output, "Redaction")
    model = row(redaction, "model")
    assert model.lstrip().startswith("✓")
    assert "en_core_web_sm" in model  # the pinned pipeline the venv installs
    assert "NER + patterns" in row(redaction, "mode")


def test_doctor_json(runs: dict[str, Any]) -> None:
    run = ok(runs, "doctor_json")
    report = json.loads(run["stdout"])
    libraries = {library["name"]: library for library in report["libraries"]}
    assert list(libraries) == [declaration.name for declaration in DECLARATIONS]  # every one, registry order
    for name in ("openai", "anthropic", "google_genai", "bedrock"):
        assert libraries[name]["would_instrument"] is True, name
    assert libraries["openai"]["version"] == importlib.metadata.version("openai")
    assert libraries["bedrock"]["version"] == importlib.metadata.version("botocore")
    assert libraries["qdrant"]["installed"] is True and libraries["qdrant"]["would_instrument"] is False
    assert libraries["qdrant"]["reason"] == "disabled by OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
    assert report["settings"]["provider_hosts"] == {"llm.internal:8000": "vllm"}

    settings = report["settings"]
    assert settings["service_name"] == "checkout"
    assert settings["traces_exporter"] == ["otlp"]
    assert settings["capture_content"] == "SPAN_ONLY" and settings["redaction"] is True
    assert settings["disabled_instrumentations"] == ["qdrant"]

    (traces,) = [target for target in report["otlp"] if target["signal"] == "traces"]
    assert traces["protocol"] == "http/protobuf"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1/traces", traces["endpoint"])
    assert traces["answering"] is True and traces["tls"] is False
    assert traces["header_names"] == ["api-key", "x-tenant"]
    assert "sekrit-value" not in run["stdout"]  # header values are secrets: never printed

    assert report["redaction"]["mode"] == "ner+patterns" and report["redaction"]["model"]


# --- redact -----------------------------------------------------------------------------------------


def test_redact_text(runs: dict[str, Any]) -> None:
    run = ok(runs, "redact_text")
    assert run["stdout"] == (
        "Hi, I'm <PERSON>: write to <EMAIL_ADDRESS> or call <PHONE_NUMBER> about order A-1042.\n"
    )
    assert "replaced 3 values: EMAIL_ADDRESS 1, PERSON 1, PHONE_NUMBER 1" in run["stderr"]
    assert "engine: presidio+en_core_web_sm" in run["stderr"]


def test_redact_openai_messages_prints_semconv_messages_with_roles_and_ids_kept(runs: dict[str, Any]) -> None:
    run = ok(runs, "redact_openai_messages")
    for pii in (*PII, "hunter2"):
        assert pii not in run["stdout"]
    messages = json.loads(run["stdout"])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[0]["parts"] == [
        {"type": "text", "content": "You are the support assistant of Acme Shop."}
    ]
    assert messages[1]["parts"][0]["content"] == (
        "Hi, I'm <PERSON>: write to <EMAIL_ADDRESS> or call <PHONE_NUMBER> about order A-1042."
    )
    (call,) = messages[2]["parts"]
    assert (call["type"], call["id"], call["name"]) == ("tool_call", "call_1", "find_customer")
    assert call["arguments"] == {"email": "<EMAIL_ADDRESS>", "password": "<SECRET>"}
    (response,) = messages[3]["parts"]
    assert (response["type"], response["id"]) == ("tool_call_response", "call_1")
    assert json.loads(response["response"]) == {"customer": "<PERSON>", "id": 7}
    assert "EMAIL_ADDRESS 2" in run["stderr"] and "SECRET 1" in run["stderr"]


def test_redact_options_mirror_the_policy(runs: dict[str, Any]) -> None:
    run = ok(runs, "redact_semconv_masked")
    messages = json.loads(run["stdout"])
    stars = "*" * len("jane.doe@example.com")
    # only the entity asked for, masked; no NER model asked for, so the name stays
    assert messages[0]["parts"][0]["content"] == f"Mail {stars}, says Jane Doe"
    assert messages[1] == {
        "role": "assistant",
        "parts": [{"type": "text", "content": f"Done: {stars}"}],
        "finish_reason": "stop",
    }
    assert "replaced 2 values: EMAIL_ADDRESS 2 (engine: presidio patterns-only)" in run["stderr"]


def test_redact_with_nothing_to_read_is_a_usage_error() -> None:
    result = subprocess.run(
        [*CLI, "redact"], input="  \n", capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    assert result.returncode == 2
    assert "otel-genai redact: nothing to redact" in result.stderr
    assert "Traceback" not in result.stderr


# --- demo -------------------------------------------------------------------------------------------


def test_demo_prints_the_redacted_trace_tree(runs: dict[str, Any]) -> None:
    output = ok(runs, "demo")["stdout"]
    conversation, tree = output.split("The trace, as it was exported:")
    assert "jane.doe@example.com" in conversation  # the app saw the real text
    assert re.search(r"^trace [0-9a-f]{32}  service=support-bot-demo$", tree, re.MULTILINE)
    assert trace_children(tree.splitlines()) == ["invoke_agent support-bot"]  # the bot's loop under its agent
    assert "<EMAIL_ADDRESS>" in tree and "<PERSON>" in tree
    for pii in ("Jane Doe", "jane.doe@example.com", "555-0147"):
        assert pii not in tree


def test_demo_without_its_client_libraries_says_what_to_install(runs: dict[str, Any]) -> None:
    run = ok(runs, "demo_without_chromadb", status=2)
    assert "The demo needs chromadb, which is not installed" in run["stderr"]
    assert "-m pip install chromadb" in run["stderr"]
    assert "openai" not in run["stderr"]  # it is installed
    assert "Traceback" not in run["stderr"]


# --- run --------------------------------------------------------------------------------------------


def test_run_instruments_the_program_and_passes_its_exit_status(runs: dict[str, Any]) -> None:
    run = ok(runs, "run_app", status=3)
    assert "the app got: hello" in run["stdout"]
    # the console exporter's tree, printed by the program's own process as it exits
    assert re.search(r"^trace [0-9a-f]{32}  service=support_app$", run["stdout"], re.MULTILINE)
    assert re.search(r"^chat gpt-4o-mini  ", run["stdout"], re.MULTILINE)
    assert "tokens in=3 out=1" in run["stdout"]
    # OTEL_GENAI_RELEASE in the environment: the release under the root; the call priced from the table
    assert "release=support-app@7.1" in run["stdout"]
    assert re.search(r"tokens in=3 out=1  cost=~\$[0-9.]+", run["stdout"])
    # --capture-content: captured, and redacted before the exporter saw it
    assert "<PERSON>" in run["stdout"] and "<EMAIL_ADDRESS>" in run["stdout"]
    for pii in PII:
        assert pii not in run["stdout"]
    assert 'otel-genai run: tracing "' in run["stderr"]
    assert 'as service "support_app", to console; content captured (SPAN_ONLY, redacted)' in run["stderr"]


def test_run_defaults_the_service_name_and_instruments_every_python_process(runs: dict[str, Any]) -> None:
    run = ok(runs, "run_exit_status", status=5)
    service, instrumented = run["stdout"].strip().split(" ", 1)
    assert service == "python"  # `python -c`: no script to name the service after
    assert instrumented == "['chromadb', 'openai']"  # what the environment leaves enabled
    assert run["stderr"] == ""  # -q


def test_run_reports_a_missing_command_or_none() -> None:
    missing = subprocess.run(
        [*CLI, "run", "--", "no-such-program-here"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert missing.returncode == 127
    assert missing.stderr.strip() == "otel-genai run: command not found: no-such-program-here"
    nothing = subprocess.run([*CLI, "run"], capture_output=True, text=True, env=subprocess_env(), timeout=60)
    assert nothing.returncode == 2
    assert "nothing to run" in nothing.stderr


# --- eval -----------------------------------------------------------------------------------------


def test_eval_scores_a_suite_and_passes_a_baseline_within_the_margin(runs: dict[str, Any]) -> None:
    run = ok(runs, "eval_passing")
    lines = run["stdout"].splitlines()
    assert lines[0] == "golden: 4 items through eval_app:answer"
    header = lines[1].split()
    assert header[0] == "item" and header[-1] == "failures"
    names = header[1:-1]
    assert set(names) == set(EVAL_MEANS)
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:6]}
    assert rows["capital"][: names.index("rouge_l") + 1] == ["1.00"] * 4
    assert rows["sum"][-1] == "exact"  # the failed check named
    mean = next(line for line in lines if line.split()[:1] == ["mean"]).split()[1:]
    assert {name: float(value) for name, value in zip(names, mean, strict=True)} == pytest.approx(
        EVAL_MEANS, abs=5e-4
    )
    assert "regression" not in run["stdout"]
    # progress on stderr, one line per item when it is not a terminal
    assert [line for line in run["stderr"].splitlines() if "/4 " in line][
        -1
    ] == "otel-genai eval: 4/4 order ok"
    report = run["result"]
    assert report["suite"] == "golden" and report["target"] == "eval_app:answer"
    assert report["release"] == {"feature": "support-app", "version": "7.1"}
    assert report["metrics"] == pytest.approx(EVAL_MEANS)
    assert report["counts"]["f1"] == 3 and report["counts"]["refusal"] == 4 and report["errors"] == 0
    assert [item["id"] for item in report["items"]] == [item["id"] for item in EVAL_SUITE]
    assert report["items"][3]["answer"] == json.dumps({"order_id": "A-1042", "status": "shipped"})
    assert report["baseline"]["regressions"] == [] and report["started"] <= report["finished"]


def test_eval_fails_when_a_metric_regressed_against_the_baseline(runs: dict[str, Any]) -> None:
    run = ok(runs, "eval_regressed", status=1)
    regressions = [
        line.strip() for line in run["stdout"].splitlines() if line.strip().startswith("regression:")
    ]
    before, after = EVAL_MEANS["exact"] + 0.1, EVAL_MEANS["exact"]
    # refusal fell from 0.5 to 0: better, not a regression
    assert regressions == [f"regression: exact {before:.3f} -> {after:.3f} (-0.100, margin 0.02)"]
    assert "regressed against the baseline: exact" in run["stderr"]


def test_eval_goes_on_when_the_target_raises_and_fails_the_run(runs: dict[str, Any]) -> None:
    run = ok(runs, "eval_target_raises", status=1)
    assert "ValueError: no answer for boom" in run["stdout"]
    assert "the target raised on 1 of 2 items" in run["stdout"]
    assert "otel-genai eval: 1/2 boom error: ValueError" in run["stderr"]
    boom, capital = run["result"]["items"]
    assert boom["error"] == {"type": "ValueError", "message": "no answer for boom"}
    assert boom["failed"] == dict.fromkeys(["exact", "contains", "f1", "rouge_l"], "ValueError")
    assert capital["scores"] == {"exact": 1.0, "contains": 1.0, "f1": 1.0, "rouge_l": 1.0}
    assert run["result"]["errors"] == 1 and run["result"]["metrics"]["exact"] == 1.0


def test_eval_reports_malformed_lines_and_runs_nothing(runs: dict[str, Any]) -> None:
    run = ok(runs, "eval_malformed", status=2)
    assert run["stdout"] == "" and run["result"] is None
    assert "line 2: not JSON" in run["stderr"]
    assert 'line 3: no "input"' in run["stderr"]
    assert "/" not in run["stderr"].split("line 2")[0]  # no progress: nothing ran


# --- the module itself --------------------------------------------------------------------------------


def test_importing_the_cli_is_cheap(runs: dict[str, Any]) -> None:
    assert ok(runs, "import_cost")["stdout"].strip() == "[]"


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["python", "app.py"], "app"),
        (["/usr/bin/python3.11", "-u", "-X", "dev", "src/service/main.py", "--port", "80"], "main"),
        (["python3", "-m", "uvicorn", "app:api"], "uvicorn"),
        (["python", "pkg/__main__.py"], "pkg"),
        (["python", "-c", "print(1)"], "python"),
        (["gunicorn", "app:api"], "gunicorn"),
        (["./bin/worker.sh"], "worker"),
    ],
)
def test_the_default_service_name_is_the_program(command: list[str], name: str) -> None:
    assert cli.program_name(command) == name


@pytest.mark.parametrize(
    ("env", "protocol", "endpoint", "address", "tls"),
    [
        ({}, "grpc", "http://localhost:4317", ("localhost", 4317), False),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            "http/protobuf",
            "http://localhost:4318/v1/traces",
            ("localhost", 4318),
            False,
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example/",
            },
            "http/protobuf",
            "https://otel.example/v1/traces",
            ("otel.example", 443),
            True,
        ),
        (
            {  # the signal's own endpoint is used as it is
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:9999/custom",
            },
            "http/protobuf",
            "http://collector:9999/custom",
            ("collector", 9999),
            False,
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"},
            "grpc",
            "collector:4317",
            ("collector", 4317),
            True,
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true"},
            "grpc",
            "collector:4317",
            ("collector", 4317),
            False,
        ),
    ],
)
def test_otlp_target_reads_the_variables_as_the_exporters_do(
    env: dict[str, str], protocol: str, endpoint: str, address: tuple[str, int], tls: bool
) -> None:
    target = cli.otlp_target("traces", env)
    assert (target["protocol"], target["endpoint"], (target["host"], target["port"]), target["tls"]) == (
        protocol,
        endpoint,
        address,
        tls,
    )


def test_redact_input_kinds() -> None:
    assert cli.parse_redact_input("just text\n") == ("text", "just text")
    assert cli.parse_redact_input('{"note": "x"}') == ("json", {"note": "x"})
    assert cli.parse_redact_input('{"note": "x"}', as_text=True) == ("text", '{"note": "x"}')
    assert cli.parse_redact_input(json.dumps(SEMCONV_MESSAGES)) == ("messages", SEMCONV_MESSAGES)
    one = cli.parse_redact_input('{"role": "user", "content": "hi"}')
    assert one == ("messages", [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])


def test_the_installed_console_script() -> None:
    script = shutil.which("otel-genai", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the otel-genai console script is not installed next to this Python")
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"otel-genai {cli.__version__}"
    env = {**subprocess_env(), "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{unused_port()}"}
    doctor = subprocess.run([script, "doctor", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert doctor.returncode == 0, doctor.stderr
    assert json.loads(doctor.stdout)["otlp"][0]["answering"] is False


def test_usage_without_a_command() -> None:
    result = subprocess.run(CLI, capture_output=True, text=True, env=subprocess_env(), timeout=60)
    assert result.returncode == 2
    for command in ("demo", "doctor", "eval", "redact", "run"):
        assert command in result.stderr
    assert result.stdout == ""
