"""The Prometheus SLO rules shipped with the compose setup (prometheus/), checked with promtool and against
the names the Collector gives our metrics.

``promtool`` (from Debian's ``prometheus`` package: ``make promtool``, which ``make test`` runs) checks the
config and the rules and runs the rules' unit tests (prometheus/tests/otel-genai.rules.test.yml: each alert
fires on unhealthy series and stays silent on healthy ones). Without promtool those tests skip, saying so.

The metric and label names the rules use are checked without a Collector: the instruments' real names,
units and kinds (read from the SDK instruments otel_genai creates) go through the Collector's documented
translation (``prometheus_name`` below), and ``EXPORTED`` is that result written out, so a renamed metric, a
changed unit or a typo in a rule fails here. (The Python SDK's own Prometheus exporter is a different
translator: it is not what the compose setup serves.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider

from helpers.processes import subprocess_env
from otel_genai import semconv as sc

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS_DIR = ROOT / "prometheus"
CONFIG_FILE = PROMETHEUS_DIR / "prometheus.yml"
RULES_FILE = PROMETHEUS_DIR / "rules" / "otel-genai.rules.yml"
RULES_TEST_FILE = PROMETHEUS_DIR / "tests" / "otel-genai.rules.test.yml"

SEVERITIES = {"warning", "critical"}

# Our metrics as the Collector's `prometheus` exporter serves them (no namespace, translation strategy
# UnderscoreEscapingWithSuffixes, the OpenTelemetry Prometheus compatibility specification):
# OTel name -> (unit, kind, Prometheus name).
EXPORTED: dict[str, tuple[str, str, str]] = {
    sc.METRIC_OPERATION_DURATION: ("s", "histogram", "gen_ai_client_operation_duration_seconds"),
    sc.METRIC_TIME_TO_FIRST_CHUNK: ("s", "histogram", "gen_ai_client_operation_time_to_first_chunk_seconds"),
    sc.METRIC_OPERATION_COST: ("{USD}", "histogram", "gen_ai_client_operation_cost"),
    sc.METRIC_TOKEN_USAGE: ("{token}", "histogram", "gen_ai_client_token_usage"),
    sc.METRIC_RELEASE_DRIFT: ("{call}", "counter", "otel_genai_release_drift_total"),
    sc.METRIC_EVALUATION_SCORE: ("1", "histogram", "otel_genai_evaluation_score"),
    sc.OTEL_GENAI_REDACTION_FAILURES: ("{field}", "counter", "otel_genai_redaction_failures_total"),
    sc.OTEL_GENAI_REDACTION_DEGRADED: ("{item}", "counter", "otel_genai_redaction_degraded_total"),
}

# Attributes our metrics carry (telemetry/metrics.py, evaluation/events.py, redaction/redactor.py).
METRIC_ATTRIBUTES = (
    sc.GEN_AI_OPERATION_NAME,
    sc.GEN_AI_PROVIDER_NAME,
    sc.GEN_AI_REQUEST_MODEL,
    sc.GEN_AI_RESPONSE_MODEL,
    sc.ERROR_TYPE,
    sc.OTEL_GENAI_RELEASE_FEATURE,
    sc.OTEL_GENAI_RELEASE_VERSION,
    sc.OTEL_GENAI_RELEASE_DRIFT_KIND,
    sc.OTEL_GENAI_TENANT_ID,
    sc.OTEL_GENAI_FEATURE,
    sc.GEN_AI_PROMPT_NAME,
    sc.GEN_AI_PROMPT_VERSION,
    sc.GEN_AI_USAGE_COST_CURRENCY,
    sc.GEN_AI_EVALUATION_NAME,
    sc.GEN_AI_EVALUATION_SCORE_LABEL,
    sc.OTEL_GENAI_REDACTION_REASON,
    sc.OTEL_GENAI_REDACTION_MODE,
)
# Labels the exporter and Prometheus add: service.name / service.instance.id, histogram buckets.
EXPORTER_LABELS = {"job", "instance", "le"}
# Series Prometheus makes itself, which the rules read.
PROMETHEUS_SERIES = {"up"}

# The Collector's unit translation (otlptranslator's unit map, the part our units can reach).
UNIT_SUFFIXES = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "", "%": "percent"}


def prometheus_name(name: str, unit: str, kind: str) -> str:
    """What the Collector's exporter calls a metric: [dots] characters outside [a-zA-Z0-9:] become ``_``
    (runs collapse); [unit] the unit's suffix unless already in the name, nothing for ``{annotation}`` and
    for ``1`` (``_ratio`` is for gauges only); [total] ``_total`` on a monotonic counter."""
    tokens = [token for token in re.split(r"[^a-zA-Z0-9:]+", name) if token]
    suffix = "" if unit.startswith("{") else UNIT_SUFFIXES[unit]
    if suffix and suffix not in tokens:
        tokens.append(suffix)
    if kind == "counter":
        tokens = [token for token in tokens if token != "total"] + ["total"]
    return "_".join(tokens)


def label_name(attribute: str) -> str:
    """[labels] an attribute name under the same character rule as metric names."""
    return "_".join(token for token in re.split(r"[^a-zA-Z0-9]+", attribute) if token)


# --- the instruments, as otel_genai creates them -------------------------------------------------


@pytest.fixture(scope="module")
def instruments() -> dict[str, tuple[str, str]]:
    """OTel name -> (unit, kind) of every instrument otel_genai creates, from the SDK objects."""
    from otel_genai.evaluation.events import Evaluations
    from otel_genai.redaction.policy import RedactionPolicy
    from otel_genai.redaction.redactor import Redactor
    from otel_genai.telemetry.metrics import GenAIMetrics

    provider = MeterProvider()
    # (each histogram of GenAIMetrics is held by its HistogramRecorder)
    created: list[Any] = [
        getattr(value, "histogram", value) for value in vars(GenAIMetrics("tests", provider)).values()
    ]
    created.append(Evaluations(provider, lambda: None, content=False)._score)
    created.extend(Redactor(RedactionPolicy(), meter_provider=provider)._metrics())
    found = {}
    for instrument in created:
        if isinstance(instrument, Histogram):
            found[instrument.name] = (instrument.unit, "histogram")
        elif isinstance(instrument, Counter):
            found[instrument.name] = (instrument.unit, "counter")
    provider.shutdown()
    return found


@pytest.mark.parametrize("otel_name", sorted(EXPORTED))
def test_the_exported_table_matches_the_instruments_and_the_translation_rules(
    instruments: dict[str, tuple[str, str]], otel_name: str
) -> None:
    unit, kind, exported = EXPORTED[otel_name]
    assert instruments[otel_name] == (unit, kind), f"{otel_name}: the instrument is {instruments[otel_name]}"
    assert prometheus_name(otel_name, unit, kind) == exported


def test_the_translation_rules_on_the_collectors_documented_examples() -> None:
    assert prometheus_name("http.server.request.duration", "s", "histogram") == (
        "http_server_request_duration_seconds"
    )
    assert prometheus_name("requests.count", "1", "counter") == "requests_count_total"
    assert prometheus_name("system.network.packets", "{packet}", "counter") == "system_network_packets_total"
    assert prometheus_name("process.cpu.time.seconds", "s", "counter") == "process_cpu_time_seconds_total"
    assert prometheus_name("jobs.total.count", "{job}", "counter") == "jobs_count_total"
    assert label_name("gen_ai.provider.name") == "gen_ai_provider_name"


# --- the rules file, read as YAML -----------------------------------------------------------------


@pytest.fixture(scope="module")
def groups() -> list[dict[str, Any]]:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["groups"]


def rules(groups: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"] if kind in rule]


def promql_names(expr: str) -> tuple[set[str], set[str]]:
    """(metric names, label names) an expression refers to."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string values
    labels: set[str] = set()
    for clause in re.findall(r"\b(?:by|on|ignoring|without|group_left|group_right)\s*\(([^)]*)\)", expr):
        labels.update(name.strip() for name in clause.split(",") if name.strip())
    expr = re.sub(r"\b(?:by|on|ignoring|without|group_left|group_right)\s*\([^)]*\)", " ", expr)
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        labels.update(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]|\boffset\s+\w+", " ", expr)
    tokens = re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", expr)
    keywords = {"and", "or", "unless", "bool"}
    metrics = {name for name, call in tokens if not call and name not in keywords}
    return metrics, labels


def test_promql_names_reads_metrics_and_labels() -> None:
    metrics, labels = promql_names(
        'sum by (job, a_b) (rate(x_total{c="1", d!~"e"}[5m])) / on () count(up offset 15m) > 0.5 and y:z'
    )
    assert metrics == {"x_total", "up", "y:z"}
    assert labels == {"job", "a_b", "c", "d"}


def test_every_rule_reads_only_series_the_collector_serves(groups: list[dict[str, Any]]) -> None:
    served = set(PROMETHEUS_SERIES)
    for _unit, kind, exported in EXPORTED.values():
        if kind == "histogram":
            served.update(f"{exported}_{part}" for part in ("bucket", "sum", "count"))
        else:
            served.add(exported)
    recorded = {rule["record"] for rule in rules(groups, "record")}
    known_labels = {label_name(attribute) for attribute in METRIC_ATTRIBUTES} | EXPORTER_LABELS
    used_metrics: set[str] = set()
    for rule in rules(groups, "expr"):
        metrics, labels = promql_names(rule["expr"])
        name = rule.get("record") or rule["alert"]
        assert metrics <= served | recorded, f"{name} reads {metrics - served - recorded}"
        assert labels <= known_labels, f"{name} uses labels no metric has: {labels - known_labels}"
        used_metrics |= metrics
    # every SLO of issue 16 reads its metric
    for otel_name in (
        sc.METRIC_OPERATION_DURATION,
        sc.METRIC_TIME_TO_FIRST_CHUNK,
        sc.METRIC_OPERATION_COST,
        sc.METRIC_EVALUATION_SCORE,
        sc.METRIC_RELEASE_DRIFT,
        sc.OTEL_GENAI_REDACTION_FAILURES,
    ):
        exported = EXPORTED[otel_name][2]
        assert any(metric.startswith(exported) for metric in used_metrics), otel_name


def test_recording_rules_follow_the_level_metric_operation_convention(groups: list[dict[str, Any]]) -> None:
    for rule in rules(groups, "record"):
        assert re.fullmatch(r"otel_genai:[a-z0-9_]+:[a-z0-9_]+", rule["record"]), rule["record"]


def test_every_alert_has_a_severity_an_slo_and_templated_annotations(groups: list[dict[str, Any]]) -> None:
    alerts = rules(groups, "alert")
    assert len({alert["alert"] for alert in alerts}) == len(alerts)
    known_labels = {label_name(attribute) for attribute in METRIC_ATTRIBUTES} | EXPORTER_LABELS
    for alert in alerts:
        name = alert["alert"]
        assert alert["labels"]["severity"] in SEVERITIES, name
        assert alert["labels"]["slo"], name
        annotations = alert["annotations"]
        assert set(annotations) == {"summary", "description"}, name
        for text in annotations.values():
            templated = set(re.findall(r"\$labels\.([a-zA-Z0-9_]+)", text))
            assert templated, f"{name}: an annotation without label templates"
            assert templated <= known_labels, f"{name}: {templated - known_labels}"


def test_every_alert_has_a_unit_test_where_it_fires(groups: list[dict[str, Any]]) -> None:
    tests = yaml.safe_load(RULES_TEST_FILE.read_text(encoding="utf-8"))
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {alert["alert"] for alert in rules(groups, "alert")} <= fired


def test_the_rules_files_are_the_ones_prometheus_loads() -> None:
    config = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    loaded = {path for pattern in config["rule_files"] for path in CONFIG_FILE.parent.glob(pattern)}
    assert RULES_FILE in loaded
    tests = yaml.safe_load(RULES_TEST_FILE.read_text(encoding="utf-8"))
    assert {(RULES_TEST_FILE.parent / path).resolve() for path in tests["rule_files"]} == {RULES_FILE}


# --- promtool ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    """promtool on PATH, else the one ``make promtool`` (scripts/get_promtool.sh) put in .venv/bin."""
    path = shutil.which("promtool") or shutil.which("promtool", path=str(ROOT / ".venv" / "bin"))
    if path is None:
        pytest.skip("promtool is not installed: `make promtool` gets it from Debian's prometheus package")
    return path


def run_promtool(promtool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(),
        cwd=PROMETHEUS_DIR,
    )


def test_promtool_accepts_the_config_and_finds_the_rules(promtool: str) -> None:
    result = run_promtool(promtool, "check", "config", CONFIG_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_promtool_accepts_the_rules(promtool: str, groups: list[dict[str, Any]]) -> None:
    result = run_promtool(promtool, "check", "rules", RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(group["rules"]) for group in groups)
    assert f"SUCCESS: {count} rules found" in result.stdout


def test_the_rules_unit_tests_pass(promtool: str) -> None:
    result = run_promtool(promtool, "test", "rules", RULES_TEST_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_unit_tests_fail_for_alerts_that_never_fire(
    promtool: str, groups: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The unit tests can fail: with every alert's expression replaced by one that never fires, each alert's
    test reports it."""
    broken = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    for rule in rules(broken["groups"], "alert"):
        rule["expr"] = "vector(0) > 1"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / RULES_FILE.name).write_text(yaml.safe_dump(broken), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    test_file = tmp_path / "tests" / RULES_TEST_FILE.name
    test_file.write_text(RULES_TEST_FILE.read_text(encoding="utf-8"), encoding="utf-8")

    result = run_promtool(promtool, "test", "rules", test_file)
    assert result.returncode != 0, result.stdout
    for alert in rules(groups, "alert"):
        assert f"alertname: {alert['alert']}," in result.stdout + result.stderr, alert["alert"]


def test_the_unit_tests_fail_for_a_threshold_that_misses_the_unhealthy_series(
    promtool: str, tmp_path: Path
) -> None:
    """A looser schema-valid SLO (85% instead of 99%) lets the 90% group through: its test fails."""
    text = RULES_FILE.read_text(encoding="utf-8")
    assert text.count("otel_genai:evaluation_schema_valid:ratio_rate5m < 0.99") == 1
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / RULES_FILE.name).write_text(
        text.replace(
            "otel_genai:evaluation_schema_valid:ratio_rate5m < 0.99",
            "otel_genai:evaluation_schema_valid:ratio_rate5m < 0.85",
        ),
        encoding="utf-8",
    )
    (tmp_path / "tests").mkdir()
    test_file = tmp_path / "tests" / RULES_TEST_FILE.name
    test_file.write_text(RULES_TEST_FILE.read_text(encoding="utf-8"), encoding="utf-8")

    result = run_promtool(promtool, "test", "rules", test_file)
    assert result.returncode != 0, result.stdout
    output = result.stdout + result.stderr
    assert "alertname: GenAISchemaValidRateLow, time: 30m" in output
    assert "alertname: GenAIGroundednessLow" not in output
