"""docker-compose.yml and the Collector config beside it, checked without Docker.

Both files are parsed and checked for what ``docker compose up -d`` relies on: pinned images, pipelines
that reference only defined components, the Collector's ports lining up with where otel_genai exports
by default and with what is published, the Collector reaching Jaeger, and redaction patterns that are
valid RE2 and catch cards, e-mail addresses and keys without touching ordinary text. The compose file
is also validated against the Compose Specification's JSON schema by ``check-jsonschema``, which ships
that schema inside the package (nothing is downloaded at test time).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from helpers.processes import subprocess_env

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
COLLECTOR_CONFIG_FILE = ROOT / "otel-collector-config.yaml"

COLLECTOR = "otel-collector"
JAEGER = "jaeger"
DEMO = "demo"
JAEGER_UI_PORT = 16686
OTLP_EXPORTER_TYPES = ("otlp_grpc", "otlp")  # `otlp` is the deprecated alias since Collector v0.144.0

# Every key the contrib redaction processor accepts (processor/redactionprocessor/config.go).
REDACTION_KEYS = {
    "allow_all_keys",
    "allowed_keys",
    "allowed_values",
    "blocked_key_patterns",
    "blocked_values",
    "db_sanitizer",
    "hash_function",
    "hmac_key",
    "ignored_key_patterns",
    "ignored_keys",
    "redact_all_types",
    "summary",
    "url_sanitizer",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def collector_config() -> dict[str, Any]:
    return yaml.safe_load(COLLECTOR_CONFIG_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def blocked_values(collector_config: dict[str, Any]) -> list[re.Pattern[str]]:
    patterns = collector_config["processors"]["redaction"]["blocked_values"]
    # RE2's \b and character classes are ASCII-only, as Python's are under re.ASCII.
    return [re.compile(pattern, re.ASCII) for pattern in patterns]


# --- helpers ------------------------------------------------------------------------------------


def component_type(component_id: str) -> str:
    """``otlp_grpc/jaeger`` -> ``otlp_grpc``: a component id is ``type[/name]``."""
    return component_id.split("/", 1)[0]


def pipelines(config: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    return config["service"]["pipelines"]


def used(config: dict[str, Any], kind: str) -> set[str]:
    return {component for pipeline in pipelines(config).values() for component in pipeline.get(kind, [])}


def endpoint_port(endpoint: str) -> tuple[str, int]:
    """``0.0.0.0:4317``, ``jaeger:4317`` or ``http://localhost:4318/v1/traces`` -> (host, port)."""
    parts = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
    assert parts.hostname is not None and parts.port is not None, endpoint
    return parts.hostname, parts.port


def published_ports(service: dict[str, Any]) -> dict[int, tuple[str, int]]:
    """Container port -> (host IP, host port), from the short (``[IP:]HOST:CONTAINER[/tcp]``) and the long
    (``target``/``published``) syntax."""
    published: dict[int, tuple[str, int]] = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            published[int(entry["target"])] = (entry.get("host_ip", ""), int(entry["published"]))
            continue
        parts = str(entry).split("/", 1)[0].split(":")
        if len(parts) == 1:  # a container port alone is published on a random host port
            continue
        host_ip = parts[0] if len(parts) == 3 else ""
        published[int(parts[-1])] = (host_ip, int(parts[-2]))
    return published


def otlp_receiver_port(config: dict[str, Any], protocol: str) -> int:
    host, port = endpoint_port(config["receivers"]["otlp"]["protocols"][protocol]["endpoint"])
    # The Collector's default is localhost, which a published port cannot reach inside a container.
    assert host in ("0.0.0.0", "::"), f"the OTLP {protocol} receiver listens on {host}, not on all interfaces"
    return port


@pytest.fixture
def otlp_exporter_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``endpoint(**env)``: the (host, port) otel_genai's OTLP span exporter sends to, with only ``env`` set
    of the ``OTEL_*`` variables."""
    from otel_genai import _setup

    exporters: list[Any] = []

    def endpoint(**env: str) -> tuple[str, int]:
        for name in [name for name in os.environ if name.startswith("OTEL_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        exporter = _setup._span_exporter("otlp")
        exporters.append(exporter)
        return endpoint_port(exporter._endpoint)

    yield endpoint
    for exporter in exporters:
        exporter.shutdown()


# --- images -------------------------------------------------------------------------------------


def test_every_image_is_pinned_to_an_explicit_version(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.match(r"^v?[0-9]+\.[0-9]+\.[0-9]+", tag), (
            f"{name}: {image} is not pinned"
        )


def test_the_collector_is_the_contrib_distribution_and_jaeger_is_v2(services: dict[str, Any]) -> None:
    assert services[COLLECTOR]["image"].startswith("otel/opentelemetry-collector-contrib:")
    assert services[JAEGER]["image"].startswith("jaegertracing/jaeger:2.")


# --- the Collector's pipelines ------------------------------------------------------------------


def test_every_pipeline_references_defined_components_and_every_component_is_used(
    collector_config: dict[str, Any],
) -> None:
    assert {component_type(p) for p in pipelines(collector_config)} == {"traces", "metrics", "logs"}
    for kind in ("receivers", "processors", "exporters"):
        defined = set(collector_config.get(kind) or {})
        referenced = used(collector_config, kind)
        assert referenced <= defined, f"undefined {kind}: {referenced - defined}"
        assert defined <= referenced, f"{kind} defined but in no pipeline: {defined - referenced}"
    for name, pipeline in pipelines(collector_config).items():
        assert pipeline.get("receivers") and pipeline.get("exporters"), f"{name} has no receiver or exporter"

    extensions = set(collector_config.get("extensions") or {})
    enabled = set(collector_config["service"].get("extensions", []))
    assert enabled == extensions, f"extensions defined {extensions}, enabled {enabled}"
    assert "health_check" in enabled


def test_memory_limiter_comes_first_and_batch_last_in_every_pipeline(
    collector_config: dict[str, Any],
) -> None:
    for name, pipeline in pipelines(collector_config).items():
        processors = [component_type(p) for p in pipeline["processors"]]
        assert processors[0] == "memory_limiter", f"{name}: {processors}"
        assert processors[-1] == "batch", f"{name}: {processors}"


def test_spans_and_log_records_pass_the_redaction_processor(collector_config: dict[str, Any]) -> None:
    for name, pipeline in pipelines(collector_config).items():
        if component_type(name) in ("traces", "logs"):
            assert "redaction" in pipeline["processors"], name


def test_the_redaction_processor_uses_documented_keys_keeps_attributes_and_counts(
    collector_config: dict[str, Any],
) -> None:
    redaction = collector_config["processors"]["redaction"]
    assert set(redaction) <= REDACTION_KEYS, (
        f"not redaction processor settings: {set(redaction) - REDACTION_KEYS}"
    )
    # Without allow_all_keys the processor deletes every attribute that is not in allowed_keys.
    assert redaction["allow_all_keys"] is True
    # info: redaction.masked.count on each changed record, without the names of the keys.
    assert redaction["summary"] == "info"
    assert redaction["blocked_values"]


def test_the_memory_limiter_stays_below_the_containers_memory_limit(
    collector_config: dict[str, Any], services: dict[str, Any]
) -> None:
    limit = services[COLLECTOR]["mem_limit"]
    match = re.fullmatch(r"([0-9]+)([mg])", str(limit).lower())
    assert match, limit
    container_mib = int(match[1]) * (1024 if match[2] == "g" else 1)
    assert collector_config["processors"]["memory_limiter"]["limit_mib"] < container_mib


# --- redaction patterns -------------------------------------------------------------------------

CARDS = [
    "4111111111111111",  # Visa
    "4111 1111 1111 1111",
    "4012-8888-8888-1881",
    "4222222222222",  # Visa, 13 digits
    "5555555555554444",  # Mastercard
    "5105 1051 0510 5100",
    "2223003122003222",  # Mastercard 2-series
    "378282246310005",  # American Express
    "3714 496353 98431",
    "3782-822463-10005",
]
EMAILS = ["jane.doe@example.com", "first.last+tag@mail.example.co.uk", "JANE_DOE@EXAMPLE.ORG"]
KEYS = [
    "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kL9nP2rS5uX8",  # OpenAI project key
    "sk-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4",  # OpenAI legacy key
    "sk-ant-api03-" + "x" * 40 + "-" + "AbCdEfGh",  # Anthropic
    "AKIAIOSFODNN7EXAMPLE",  # AWS access key id
    "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",  # GitHub classic token
    "github_pat_11ABCDEFG0" + "a1b2c3d4e5f6g7h8i9j0_kLmNoPqRsTuVwXyZ",  # GitHub fine-grained token
]
ORDINARY = [
    "Hi, where is my order A-1042? It shipped on 2024-06-14 with UPS.",
    "Orders ship within two business days; the tracking link arrives by e-mail.",
    "Returns are free within 30 days of delivery; refunds reach you within 5 to 7 days.",
    "The task-force meeting is at 10:30 (room 4B), call (212) 555-0147 or ext. 4417.",
    "gpt-4o-mini text-embedding-3-small claude-sonnet-4 chatcmpl-9xYzAbCdEfGh call_abc123",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
    "input_tokens=1234567 cost=0.000135 timestamp=1732665600000 ns=1732665600000000000",
    "Ask me at user@localhost, or npm install @scope/pkg@1.2.3, or see ASIA on the map.",
    "the demo's fake key is sk-local-demo",
]


@pytest.mark.parametrize("secret", CARDS + EMAILS + KEYS)
def test_blocked_values_mask_cards_emails_and_keys(
    blocked_values: list[re.Pattern[str]], secret: str
) -> None:
    text = f"My details: {secret}, thanks."
    masked = mask(blocked_values, text)
    assert secret not in masked
    assert masked.startswith("My details: ") and masked.endswith(", thanks.")


@pytest.mark.parametrize("text", ORDINARY)
def test_blocked_values_leave_ordinary_text_alone(blocked_values: list[re.Pattern[str]], text: str) -> None:
    assert [p.pattern for p in blocked_values if p.search(text)] == []


def test_masking_keeps_the_message_json_valid(blocked_values: list[re.Pattern[str]]) -> None:
    """What the processor does to a ``gen_ai.input.messages`` value that still holds secrets."""
    messages = [
        {"role": "user", "parts": [{"type": "text", "content": f"Card {CARDS[0]}, mail {EMAILS[0]}."}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"key": KEYS[3]}}]},
    ]
    masked = mask(blocked_values, json.dumps(messages))
    assert json.loads(masked) == [
        {"role": "user", "parts": [{"type": "text", "content": "Card ****, mail ****."}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "arguments": {"key": "****"}}]},
    ]


def test_blocked_values_are_re2_syntax_and_survive_config_expansion(collector_config: dict[str, Any]) -> None:
    for pattern in collector_config["processors"]["redaction"]["blocked_values"]:
        # RE2 (Go's regexp) has no lookarounds, backreferences, atomic groups or possessive quantifiers.
        for construct in ("(?=", "(?!", "(?<=", "(?<!", "(?>", "(?P=", "*+", "++", "?+"):
            assert construct not in pattern, f"{pattern!r} uses {construct}"
        assert not re.search(r"\\[1-9]", pattern), f"{pattern!r} has a backreference"
        # The Collector expands ${...} (and $$) in config values.
        assert "$" not in pattern, pattern
        # \d is Unicode in Python and ASCII in Go: [0-9] means the same in both.
        assert "\\d" not in pattern, pattern


def mask(patterns: list[re.Pattern[str]], text: str) -> str:
    """The processor's masking: each blocked pattern in turn, every match replaced by ``****``."""
    for pattern in patterns:
        text = pattern.sub("****", text)
    return text


# --- ports --------------------------------------------------------------------------------------


def test_the_collector_is_published_where_otel_genai_exports_by_default(
    collector_config: dict[str, Any], services: dict[str, Any], otlp_exporter_endpoint: Any
) -> None:
    published = published_ports(services[COLLECTOR])
    for protocol, env in (("grpc", {}), ("http", {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"})):
        host, port = otlp_exporter_endpoint(**env)
        assert host == "localhost", (protocol, host)
        receiver_port = otlp_receiver_port(collector_config, protocol)
        assert receiver_port in published, f"the {protocol} receiver's port {receiver_port} is not published"
        host_ip, host_port = published[receiver_port]
        assert host_port == port, f"otel_genai sends {protocol} to {port}, the Collector is on {host_port}"
        assert host_ip in ("", "127.0.0.1"), host_ip
    assert otlp_exporter_endpoint() == ("localhost", 4317)


def test_the_collectors_own_endpoints_are_published(
    collector_config: dict[str, Any], services: dict[str, Any]
) -> None:
    published = published_ports(services[COLLECTOR])
    _, health_port = endpoint_port(collector_config["extensions"]["health_check"]["endpoint"])
    _, metrics_port = endpoint_port(collector_config["exporters"]["prometheus"]["endpoint"])
    assert health_port in published and metrics_port in published


def test_the_collector_exports_traces_to_jaeger_on_a_port_jaeger_listens_on(
    collector_config: dict[str, Any], services: dict[str, Any]
) -> None:
    exporters = [
        name
        for name in pipelines(collector_config)["traces"]["exporters"]
        if component_type(name) in OTLP_EXPORTER_TYPES
    ]
    assert len(exporters) == 1, exporters
    settings = collector_config["exporters"][exporters[0]]
    host, port = endpoint_port(settings["endpoint"])
    assert host == JAEGER and JAEGER in services
    assert port in {int(p) for p in services[JAEGER].get("expose", [])}, f"jaeger does not expose {port}"
    assert settings["tls"]["insecure"] is True  # Jaeger's OTLP receiver inside compose has no TLS
    assert JAEGER in services[COLLECTOR]["depends_on"]


def test_the_jaeger_ui_is_published(services: dict[str, Any]) -> None:
    assert published_ports(services[JAEGER])[JAEGER_UI_PORT][1] == JAEGER_UI_PORT


def test_the_collector_reads_the_config_file_beside_the_compose_file(services: dict[str, Any]) -> None:
    collector = services[COLLECTOR]
    config_flags = [arg.split("=", 1)[1] for arg in collector["command"] if arg.startswith("--config=")]
    assert len(config_flags) == 1, collector["command"]
    mounts = {}
    for volume in collector["volumes"]:
        source, target, *_ = volume.split(":")
        mounts[target] = (ROOT / source).resolve()
    assert mounts.get(config_flags[0]) == COLLECTOR_CONFIG_FILE


# --- the demo service ---------------------------------------------------------------------------


def test_the_demo_is_optional_and_exports_to_the_collector(
    collector_config: dict[str, Any], services: dict[str, Any], otlp_exporter_endpoint: Any
) -> None:
    demo = services[DEMO]
    assert demo["profiles"] == ["demo"]  # so a plain `docker compose up -d` does not start it
    assert COLLECTOR in demo["depends_on"]
    env = demo["environment"]
    assert otlp_exporter_endpoint(OTEL_EXPORTER_OTLP_ENDPOINT=env["OTEL_EXPORTER_OTLP_ENDPOINT"]) == (
        COLLECTOR,
        otlp_receiver_port(collector_config, "grpc"),
    )
    assert env["OTEL_SERVICE_NAME"]


def test_the_demo_runs_the_example_from_this_checkout(services: dict[str, Any]) -> None:
    demo = services[DEMO]
    assert any(volume.split(":")[:2] == [".", demo["working_dir"]] for volume in demo["volumes"])
    script = " ".join(demo["command"])
    assert "pip install" in script and "-e '.[dev]'" in script
    assert "otel-genai install-model" in script  # the NER model the demo's redaction uses, pinned by hash
    ran = shlex.split(script.split("&&")[-1])
    assert ran[:2] == ["python", "examples/demo.py"] and (ROOT / ran[1]).is_file()


# --- a real compose-file validator --------------------------------------------------------------


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip(
        "check_jsonschema", reason="check-jsonschema (the dev extra) validates the compose file"
    )
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
    )


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    result = check_jsonschema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_broken_compose_file(compose: dict[str, Any], tmp_path: Path) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"][DEMO]["profiles"] = "demo"  # a string where the specification wants a list
    broken["services"][COLLECTOR]["mem_limt"] = "512m"  # a misspelt key
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = check_jsonschema(path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "'demo' is not of type 'array'" in result.stdout
    assert "mem_limt" in result.stdout


# --- the prometheus service ---------------------------------------------------------------------

PROMETHEUS = "prometheus"
PROMETHEUS_UI_PORT = 9090


def test_prometheus_scrapes_the_collectors_metrics_endpoint(
    collector_config: dict[str, Any], services: dict[str, Any]
) -> None:
    service = services[PROMETHEUS]
    mounts = {}
    for volume in service["volumes"]:
        source, target, *options = volume.split(":")
        mounts[target] = ((ROOT / source).resolve(), options)
    config_flags = [arg.split("=", 1)[1] for arg in service["command"] if arg.startswith("--config.file=")]
    assert len(config_flags) == 1, service["command"]
    config_dir = str(Path(config_flags[0]).parent)
    assert mounts[config_dir] == ((ROOT / "prometheus").resolve(), ["ro"])  # the folder, read-only
    config_file = ROOT / "prometheus" / Path(config_flags[0]).name
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))

    _, metrics_port = endpoint_port(collector_config["exporters"]["prometheus"]["endpoint"])
    targets = [
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    ]
    assert targets == [f"{COLLECTOR}:{metrics_port}"]
    # keep the exporter's job (service.name) and instance labels: the alerts group by job
    assert all(job.get("honor_labels") is True for job in config["scrape_configs"])
    assert COLLECTOR in service["depends_on"]


def test_prometheus_is_published_on_localhost_only(services: dict[str, Any]) -> None:
    published = published_ports(services[PROMETHEUS])
    assert published == {PROMETHEUS_UI_PORT: ("127.0.0.1", PROMETHEUS_UI_PORT)}
    assert services[PROMETHEUS]["image"].startswith("prom/prometheus:v3.")
