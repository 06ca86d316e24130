"""OTLP export over the wire (``_export`` and the exporter half of ``_setup``).

Everything here talks to real receivers in this process (``helpers/otlp_receiver.py``: the Collector's gRPC
services and its HTTP endpoints, decoding the real protobuf messages), or to a port where nothing
listens, or to a Collector that accepts connections and never answers:

* the standard ``OTEL_EXPORTER_OTLP_*`` variables, generic and per signal, reach the wire;
* ``OTEL_BSP_*`` batching is followed, and values the SDK would reject do not break set-up;
* a Collector that is down or hangs costs the application's calls nothing, a full queue is warned about
  once, and exit waits at most the exit budget;
* the demo's trace and metrics arrive over gRPC and HTTP with their structure and attributes, and none
  of the fake PII in its prompts.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai
from helpers.exporters import GatedExporter
from helpers.openai_fakes import FakeOpenAI, chat_completion
from helpers.otlp_receiver import Blackhole, GrpcReceiver, GrpcSniffer, HttpReceiver, Receiver
from helpers.processes import collect_runs, subprocess_env, unused_port
from helpers.telemetry import InMemoryLogRecordExporter
from otel_genai import _config, _export, _setup
from otel_genai.redaction import RedactingSpanProcessor

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo.py"
DEMO_PII = ("Jane Doe", "jane.doe@example.com", "555-0147", "1742 Evergreen Terrace")
PROTOCOLS = ["grpc", "http/protobuf"]
RECEIVERS = {"grpc": GrpcReceiver, "http/protobuf": HttpReceiver}
SIGNALS = ("TRACES", "METRICS", "LOGS")
HTTP_PATHS = {"traces": "/v1/traces", "metrics": "/v1/metrics", "logs": "/v1/logs"}


@pytest.fixture
def otlp_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """No OTEL_* variables but the ones a test sets: ``otlp_env(OTEL_EXPORTER_OTLP_ENDPOINT=...)``."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)

    def set_env(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_env


# --- sample telemetry, exported the way _setup builds the exporters -------------------------------


def sample(signal: str) -> Any:
    """A few real SDK items of a signal, as its exporter receives them."""
    if signal == "TRACES":
        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("export-test")
        with tracer.start_as_current_span("parent"), tracer.start_as_current_span("child") as child:
            child.set_attribute("gen_ai.operation.name", "chat")
        return memory.get_finished_spans()
    if signal == "METRICS":
        reader = InMemoryMetricReader()
        MeterProvider(metric_readers=[reader]).get_meter("export-test").create_counter("calls").add(3)
        return reader.get_metrics_data()
    memory_logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(memory_logs))
    logger_provider.get_logger("export-test").emit(body="an event", event_name="gen_ai.test")
    return memory_logs.get_finished_logs()


def send(signal: str) -> bool:
    """Build the signal's exporter as ``instrument()`` does, export a sample, shut it down."""
    exporter = _setup._otlp_exporter(signal)
    assert exporter is not None
    try:
        return getattr(exporter.export(sample(signal)), "name", "") == "SUCCESS"
    finally:
        exporter.shutdown()


# --- the exporter variables reach the wire ----------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_signal_reaches_the_receiver_over_the_chosen_protocol(
    protocol: str, otlp_env: Callable[..., None]
) -> None:
    with RECEIVERS[protocol]() as receiver:
        otlp_env(OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
        assert all(send(signal) for signal in SIGNALS)
    assert [r.signal for r in receiver.requests] == ["traces", "metrics", "logs"]
    assert {r.protocol for r in receiver.requests} == {receiver.protocol}
    if protocol == "http/protobuf":  # the base endpoint gets the signal's path
        assert [r.path for r in receiver.requests] == list(HTTP_PATHS.values())
        assert {r.headers["content-type"] for r in receiver.requests} == {"application/x-protobuf"}
    assert sorted(s.name for s in receiver.spans()) == ["child", "parent"]
    assert list(receiver.metrics()) == ["calls"]
    [log_request] = receiver.of("logs")
    [record] = log_request.message.resource_logs[0].scope_logs[0].log_records
    assert record.body.string_value == "an event"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_signal_specific_endpoints_beat_the_generic_one(protocol: str, otlp_env: Callable[..., None]) -> None:
    receiver = RECEIVERS[protocol]
    with receiver() as generic, receiver() as traces, receiver() as metrics:
        # OTLP/HTTP takes a signal's own endpoint as the full URL, path included
        custom = "/collector/traces" if protocol == "http/protobuf" else ""
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_EXPORTER_OTLP_ENDPOINT=generic.endpoint,
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=traces.endpoint + custom,
            OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=metrics.endpoint + ("/v1/metrics" if custom else ""),
        )
        assert all(send(signal) for signal in SIGNALS)
    assert [r.signal for r in traces.requests] == ["traces"]
    assert [r.signal for r in metrics.requests] == ["metrics"]
    assert [r.signal for r in generic.requests] == ["logs"]
    if custom:
        assert traces.requests[0].path == custom


def test_a_signal_specific_protocol_beats_the_generic_one(otlp_env: Callable[..., None]) -> None:
    with GrpcReceiver() as grpc_receiver, HttpReceiver() as http_receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
            OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http/protobuf",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"{http_receiver.endpoint}/v1/traces",
            OTEL_EXPORTER_OTLP_ENDPOINT=grpc_receiver.endpoint,
        )
        assert send("TRACES") and send("METRICS")
    assert [(r.protocol, r.signal) for r in http_receiver.requests] == [("http", "traces")]
    assert [(r.protocol, r.signal) for r in grpc_receiver.requests] == [("grpc", "metrics")]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_headers_arrive_and_a_signals_own_headers_replace_the_generic_ones(
    protocol: str, otlp_env: Callable[..., None]
) -> None:
    with RECEIVERS[protocol]() as receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_EXPORTER_OTLP_HEADERS="x-tenant=acme,authorization=Bearer%20t0ken",
            OTEL_EXPORTER_OTLP_TRACES_HEADERS="x-tenant=traces-team",
        )
        assert send("TRACES") and send("METRICS")
    traces, metrics = receiver.one_of_each("traces", "metrics")
    assert traces.headers["x-tenant"] == "traces-team"
    assert "authorization" not in traces.headers
    assert metrics.headers["x-tenant"] == "acme"
    assert metrics.headers["authorization"] == "Bearer t0ken"  # percent-decoded, as the spec says


def test_http_gzip_compression_is_on_the_wire_per_signal(otlp_env: Callable[..., None]) -> None:
    with HttpReceiver() as receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_EXPORTER_OTLP_TRACES_COMPRESSION="gzip",
        )
        assert send("TRACES") and send("METRICS")
    traces, metrics = receiver.one_of_each("traces", "metrics")
    assert traces.headers["content-encoding"] == "gzip"
    assert traces.body[:2] == b"\x1f\x8b"
    assert gzip.decompress(traces.body) == traces.message.SerializeToString()
    assert "content-encoding" not in metrics.headers
    assert metrics.body == metrics.message.SerializeToString()


def test_grpc_gzip_compression_is_on_the_wire_per_signal(otlp_env: Callable[..., None]) -> None:
    with GrpcReceiver() as receiver, GrpcSniffer(receiver.port) as sniffer:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT=sniffer.endpoint,
            OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
            OTEL_EXPORTER_OTLP_TRACES_COMPRESSION="none",
        )
        assert send("TRACES") and send("METRICS")
    assert [r.signal for r in receiver.requests] == ["traces", "metrics"]
    # each call's message prefix: 0 = sent as is (traces), 1 = compressed (metrics, the generic gzip)
    assert sniffer.compressed_flags == [0, 1]


@pytest.mark.parametrize("variable", ["OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TIMEOUT"])
def test_grpc_settings_the_sdk_raises_on_are_logged_and_export_goes_on(
    variable: str, otlp_env: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    """The SDK's gRPC exporters raise on ``deflate`` (OTLP/HTTP knows it) and on a timeout that is not a
    number: a typo in a variable must not cost the application its traces."""
    with GrpcReceiver() as receiver, GrpcSniffer(receiver.port) as sniffer:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT=sniffer.endpoint,
            **{variable: "deflate" if variable.endswith("COMPRESSION") else "10s"},
        )
        with caplog.at_level(logging.WARNING, logger="otel_genai"):
            assert send("TRACES") is True
    assert [r.signal for r in receiver.requests] == ["traces"]
    assert sniffer.compressed_flags == [0]
    warned = [r.getMessage() for r in caplog.records if r.name == "otel_genai"]
    assert any("'deflate' is not supported" in m or "'10s' is not a number" in m for m in warned), warned


def test_grpc_timeouts_arrive_as_the_calls_deadline(otlp_env: Callable[..., None]) -> None:
    with GrpcReceiver() as receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_EXPORTER_OTLP_TIMEOUT="40",
            OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="3",
        )
        assert send("TRACES") and send("METRICS")
    traces, metrics = receiver.one_of_each("traces", "metrics")
    assert traces.deadline is not None and metrics.deadline is not None
    # Seconds, as the Python exporters read the variable. What is left when the call arrives can only be
    # less than what was sent (the wire format rounds up a little), so the upper bounds are exact; the
    # values are far apart, so telling 3 s from the default 10 s and from 40 s leaves ~30 s for the trip.
    assert 0 < traces.deadline <= 3.1
    assert 10.1 < metrics.deadline <= 40.1


def test_http_timeout_ends_an_export_to_a_collector_that_never_answers(
    otlp_env: Callable[..., None],
) -> None:
    with Blackhole() as hole:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_EXPORTER_OTLP_ENDPOINT=hole.endpoint,
            OTEL_EXPORTER_OTLP_TIMEOUT="300",
            OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="0.5",
        )
        result: list[bool] = []
        exporting = threading.Thread(target=lambda: result.append(send("TRACES")), daemon=True)
        exporting.start()
        exporting.join(30)  # a bound on hanging, far above the 0.5 s asked for (300 s would hang)
        assert not exporting.is_alive(), "the export ignored OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
        assert result == [False]
        assert hole.connections >= 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost: (certificate file, key file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "collector.pem", root / "collector-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_tls_with_the_certificate_variables(
    protocol: str,
    certificate: tuple[str, str],
    otlp_env: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import requests.certs

    # requests' own CA variable must not override the OTLP one (it did, for OTLP/HTTP)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    with RECEIVERS[protocol](tls=certificate) as receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,  # https://localhost:port
            OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE=certificate[0],
            OTEL_EXPORTER_OTLP_TIMEOUT="1",
        )
        assert send("TRACES") is True  # trusts the Collector through its own certificate variable
        assert send("METRICS") is False  # no certificate for metrics: the self-signed one is refused
        otlp_env(OTEL_EXPORTER_OTLP_CERTIFICATE=certificate[0])
        assert send("METRICS") is True  # the generic variable
    assert [r.signal for r in receiver.requests] == ["traces", "metrics"]


def test_grpc_insecure_variable_for_an_endpoint_without_scheme(otlp_env: Callable[..., None]) -> None:
    with GrpcReceiver() as receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"127.0.0.1:{receiver.port}",
            OTEL_EXPORTER_OTLP_TIMEOUT="1",
        )
        assert send("TRACES") is False  # no scheme means TLS, which a plaintext Collector cannot speak
        otlp_env(OTEL_EXPORTER_OTLP_INSECURE="true")
        assert send("TRACES") is True
    assert [r.signal for r in receiver.requests] == ["traces"]


# --- batching ---------------------------------------------------------------------------------------


def our_span_processor(capture_content: bool = False) -> Any:
    """The span processor ``instrument(exporter="otlp")`` builds from the current environment."""
    settings = _config.resolve(exporter="otlp", capture_content=capture_content)
    return _setup._span_processor(settings, ["otlp"], MeterProvider(shutdown_on_exit=False))


def test_batches_follow_the_bsp_variables(
    otlp_env: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    with GrpcReceiver() as receiver:
        otlp_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE="3",
            OTEL_BSP_SCHEDULE_DELAY="50",
        )
        processor = our_span_processor()
        assert isinstance(processor, _export.BatchSpanProcessor)
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(processor)
        for i in range(7):
            provider.get_tracer("t").start_span(f"span {i}").end()
        # no flush: the schedule delay and the batch size send them
        assert receiver.wait_for(lambda r: len(r.spans()) == 7, timeout=10), len(receiver.spans())
        with caplog.at_level(logging.WARNING, logger="otel_genai"):
            provider.shutdown()
    assert [r.getMessage() for r in caplog.records if r.name == "otel_genai"] == []  # a quiet exit
    sizes = [len(r.message.resource_spans[0].scope_spans[0].spans) for r in receiver.of("traces")]
    assert max(sizes) <= 3 and sum(sizes) == 7


def test_batching_values_the_sdk_would_reject_do_not_break_set_up(
    otlp_env: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    # A queue smaller than the default batch (512) makes the SDK's BatchSpanProcessor raise.
    otlp_env(OTEL_BSP_MAX_QUEUE_SIZE="100", OTEL_BSP_SCHEDULE_DELAY="0", OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="x")
    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        spans = _export.batching("OTEL_BSP")
        logs = _export.batching("OTEL_BLRP")
    assert spans == {"max_queue_size": 100, "schedule_delay_millis": 5000, "max_export_batch_size": 100}
    assert logs == {"max_queue_size": 2048, "schedule_delay_millis": 1000, "max_export_batch_size": 512}
    warned = [r.getMessage() for r in caplog.records if r.name == "otel_genai"]
    assert any("OTEL_BSP_SCHEDULE_DELAY='0'" in m for m in warned), warned
    assert any("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE='x'" in m for m in warned), warned
    _export.BatchSpanProcessor(InMemorySpanExporter()).shutdown()


def test_exit_budget_is_the_export_timeout_and_at_most_one_otlp_timeout(
    otlp_env: Callable[..., None],
) -> None:
    assert _export.exit_budget_millis("OTEL_BSP", "TRACES") == 10_000  # OTLP's default 10 s
    assert _export.exit_budget_millis("OTEL_BSP", None) == 30_000  # the SDK's default export timeout
    otlp_env(OTEL_EXPORTER_OTLP_TIMEOUT="4", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="2")
    assert _export.exit_budget_millis("OTEL_BSP", "TRACES") == 2_000
    assert _export.exit_budget_millis("OTEL_BLRP", "LOGS") == 4_000
    otlp_env(OTEL_BSP_EXPORT_TIMEOUT="1500")
    assert _export.exit_budget_millis("OTEL_BSP", "TRACES") == 1_500


# --- a Collector that is down or hangs ----------------------------------------------------------------


@pytest.fixture
def held_otlp_exporters(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[GatedExporter]]:
    """Every OTLP exporter built from now on is the real one behind a ``GatedExporter``, held in its first
    export until the test releases it (all are released at the end)."""
    gates: list[GatedExporter] = []
    build = _export.otlp_exporter

    def held(signal: str) -> Any:
        gates.append(GatedExporter(build(signal)))
        return gates[-1]

    monkeypatch.setattr(_export, "otlp_exporter", held)
    yield gates
    for gate in gates:
        gate.release()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_calls_stay_fast_when_the_collector_is_down_or_hangs(
    protocol: str,
    otlp_env: Callable[..., None],
    client: Any,
    fake_openai: FakeOpenAI,
    held_otlp_exporters: list[GatedExporter],
) -> None:
    """The application thread never waits on an export, and a full queue drops instead of blocking.

    Proved without a clock: the OTLP exporter (to a Collector that is down, nothing listens, or hangs,
    accepts and never answers) is held in its first export, so the worker is provably busy. Calls made
    then all return while no export has finished (a call that waited on one could not), and they overflow
    the queue whatever the machine's speed. Released, the real exporter meets the broken Collector while
    more calls go on, and shutdown ends within the exit budget.
    """
    fake_openai.reply("/chat/completions", chat_completion("Fine, thanks."))
    otlp_env(
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_TIMEOUT="0.5",
        OTEL_BSP_MAX_QUEUE_SIZE="16",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE="8",
        OTEL_BSP_SCHEDULE_DELAY="20",
    )

    def call() -> None:
        answer = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "How are you?"}]
        )
        assert answer.choices[0].message.content == "Fine, thanks."

    with Blackhole() as hole:
        for collector, endpoint in (("down", f"http://127.0.0.1:{unused_port()}"), ("hangs", hole.endpoint)):
            otlp_env(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
            processor = our_span_processor()
            gate = held_otlp_exporters[-1]
            provider = TracerProvider(shutdown_on_exit=False)
            provider.add_span_processor(processor)
            handle = otel_genai.instrument(
                tracer_provider=provider,
                meter_provider=MeterProvider(shutdown_on_exit=False),
                exporter="none",
                instrumentors=["openai"],
            )
            try:
                for _ in range(8):  # a full batch wakes the worker (the 20 ms schedule would anyway)
                    call()
                assert gate.entered.wait(30), f"{collector}: the worker never started exporting"
                # the worker holds at most one batch (8) in its export; the queue takes 16 more
                for _ in range(40):
                    call()
                assert gate.finished == 0, f"{collector}: a call waited for an export"
                assert processor.dropped >= 8 + 40 - 8 - 16, collector  # the queue did fill
                gate.release()
                for _ in range(40):  # while the real exporter fails or hangs on the Collector
                    call()
            finally:
                handle.shutdown()
                gate.release()
                provider.shutdown()
            assert threading.get_ident() not in gate.threads  # exports ran on the worker only
            assert gate.started >= 1


@pytest.mark.parametrize("capture_content", [False, True], ids=["batch", "redacting"])
def test_a_full_queue_drops_spans_with_one_rate_limited_warning(
    capture_content: bool,
    otlp_env: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
    held_otlp_exporters: list[GatedExporter],
) -> None:
    with Blackhole() as hole:
        otlp_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=hole.endpoint,
            OTEL_EXPORTER_OTLP_TIMEOUT="1",
            OTEL_BSP_MAX_QUEUE_SIZE="5",  # and the default batch (512) is trimmed to it
            OTEL_BSP_SCHEDULE_DELAY="60000",
        )
        processor = our_span_processor(capture_content)
        assert isinstance(
            processor, RedactingSpanProcessor if capture_content else _export.BatchSpanProcessor
        )
        [gate] = held_otlp_exporters
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(processor)
        tracer = provider.get_tracer("t")
        with caplog.at_level(logging.WARNING, logger="otel_genai"):
            for i in range(5):  # a full batch: the worker takes these five and is held exporting them
                tracer.start_span(f"span {i}").end()
            assert gate.entered.wait(30), "the worker never started exporting"
            for i in range(5, 205):
                tracer.start_span(f"span {i}").end()
            # The redacting processor exports what is left at exit itself: for it, let the exporter go.
            if capture_content:
                gate.release()
            provider.shutdown()  # else the export is still held: the exit budget runs out
            gate.release()
    warnings = [r.getMessage() for r in caplog.records if r.name == "otel_genai"]
    dropping = [m for m in warnings if "dropping spans" in m]
    assert len(dropping) == 1, warnings  # once, however many spans are dropped
    if capture_content:
        assert processor._worker.dropped == 200 - 5 - 5  # 5 queued, 5 in the overflow (exported stripped)
    else:
        assert "OTEL_BSP_MAX_QUEUE_SIZE=5" in dropping[0]
        assert processor.dropped == 200 - 5  # five queued behind the five being exported
        # what was still queued at shutdown is dropped within the exit budget, and said so
        assert any("exporting did not finish within 1.0 s" in m for m in warnings), warnings


def test_force_flush_honours_its_timeout_when_the_collector_hangs(
    otlp_env: Callable[..., None], held_otlp_exporters: list[GatedExporter]
) -> None:
    with Blackhole() as hole:
        otlp_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=hole.endpoint,
            OTEL_EXPORTER_OTLP_TIMEOUT="5",
            OTEL_BSP_EXPORT_TIMEOUT="500",  # and shutdown gives up after half a second
        )
        processor = our_span_processor()
        [gate] = held_otlp_exporters
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(processor)
        provider.get_tracer("t").start_span("waiting").end()
        result: list[bool] = []
        flushing = threading.Thread(target=lambda: result.append(processor.force_flush(100)), daemon=True)
        flushing.start()
        # The export cannot finish before release(): only the 100 ms bound can end the flush. The SDK's own
        # flush would wait for the export (for the exporter's 5 s, on a Collector that hangs).
        flushing.join(30)  # a bound on hanging, not a measurement
        assert not flushing.is_alive(), "force_flush(100) waited for the exporter"
        assert result == [False]  # not flushed, and said so
        assert gate.finished == 0
        gate.release()
        provider.shutdown()


# --- exit, the demo: subprocesses run together -----------------------------------------------------

EXIT_SCRIPT = """
import atexit, os, sys, time
STARTED = []
# Registered before instrument(): atexit runs it last, after every provider's shutdown.
atexit.register(lambda: print(f"exit took {time.monotonic() - STARTED[0]:.2f} s", flush=True))
import otel_genai
handle = otel_genai.instrument(
    exporter="otlp", service_name="exit-test", instrumentors=[],
    capture_content=os.environ.get("CAPTURE") == "1",
)

@otel_genai.tool
def lookup(order_id):
    return {"order_id": order_id, "status": "shipped"}

tracer = handle.tracer_provider.get_tracer("exit-test")
MESSAGES = '[{"role": "user", "parts": [{"type": "text", "content": "Hi, where is my order?"}]}]'
for i in range(int(os.environ.get("REQUESTS", "100"))):
    with tracer.start_as_current_span("request") as span:
        span.set_attribute("gen_ai.input.messages", MESSAGES)
        lookup(f"A-{i}")
STARTED.append(time.monotonic())
if os.environ.get("EXPLICIT") == "1":
    handle.shutdown()
"""
# name -> (protocol, Collector "down" or "hangs", OTEL_EXPORTER_OTLP_TIMEOUT in s, extra environment)
EXITS: dict[str, tuple[str, str, float, dict[str, str]]] = {
    "grpc-down": ("grpc", "down", 2, {}),
    "grpc-hangs": ("grpc", "hangs", 2, {}),
    "http-down": ("http/protobuf", "down", 2, {}),
    "http-hangs": ("http/protobuf", "hangs", 2, {"EXPLICIT": "1"}),
    # one span a batch, to queue many batches with few spans (redaction is slow to start)
    "grpc-hangs-content": (
        "grpc",
        "hangs",
        0.5,
        {"CAPTURE": "1", "REQUESTS": "6", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1"},
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo against a gRPC and an HTTP receiver, and the exit scripts, all at once.

    name -> {"returncode", "stdout", "stderr", "receiver"} (the receiver for the demo runs).
    """
    root = tmp_path_factory.mktemp("export-runs")
    script = root / "exit_app.py"
    script.write_text(textwrap.dedent(EXIT_SCRIPT))
    receivers: dict[str, Receiver] = {"demo-grpc": GrpcReceiver(), "demo-http": HttpReceiver()}
    hole = Blackhole()
    running: dict[str, tuple[Any, Path]] = {}
    with hole, receivers["demo-grpc"], receivers["demo-http"]:
        for name, protocol in (("demo-grpc", "grpc"), ("demo-http", "http/protobuf")):
            env = subprocess_env()
            env.pop("OTEL_METRICS_EXPORTER")  # the demo's metrics go over OTLP too
            env.update(
                OTEL_EXPORTER_OTLP_ENDPOINT=receivers[name].endpoint,
                OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                OTEL_EXPORTER_OTLP_TIMEOUT="10",
            )
            running[name] = (start([sys.executable, str(DEMO)], env), root / "none")
        for name, (protocol, collector, timeout, extra) in EXITS.items():
            env = subprocess_env()
            env.pop("OTEL_METRICS_EXPORTER")
            endpoint = hole.endpoint if collector == "hangs" else f"http://127.0.0.1:{unused_port()}"
            env.update(
                OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
                OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                OTEL_EXPORTER_OTLP_TIMEOUT=str(timeout),
                OTEL_BSP_MAX_EXPORT_BATCH_SIZE="5",  # 40 batches of spans when it exits
            )
            env.update(extra)
            running[name] = (start([sys.executable, str(script)], env), root / "none")
        results = collect_runs(running)
    for name, receiver in receivers.items():
        results[name]["receiver"] = receiver
    yield results


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def exit_seconds(run: dict[str, Any]) -> float:
    assert run["returncode"] == 0, run["stderr"][-3000:]
    line = next(line for line in run["stdout"].splitlines() if line.startswith("exit took "))
    return float(line.split()[2])


@pytest.mark.parametrize(
    "name",
    list(EXITS),
)
def test_exit_waits_at_most_the_exit_budget_per_signal(runs: dict[str, Any], name: str) -> None:
    """With dozens of batches queued and a Collector that is down or hangs, exit (atexit, or an explicit
    ``shutdown()``) takes about one OTLP timeout for spans and one for metrics, not one per batch."""
    seconds = exit_seconds(runs[name])
    _, _, timeout, extra = EXITS[name]
    # spans, then metrics; with content on, one more export: what redaction had not finished, stripped
    exports = 3 if extra.get("CAPTURE") else 2
    assert seconds < exports * timeout + 3, f"{name}: exit took {seconds} s"


@pytest.mark.parametrize("name", ["demo-grpc", "demo-http"])
def test_the_demos_trace_arrives_over_the_wire(runs: dict[str, Any], name: str) -> None:
    run = runs[name]
    assert run["returncode"] == 0, run["stderr"][-3000:]
    receiver: Receiver = run["receiver"]
    spans = receiver.spans()
    by_name: dict[str, list[Any]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    assert sorted(by_name) == [
        "chat gpt-4o-mini",
        "embeddings text-embedding-3-small",
        "execute_tool get_order_status",
        "invoke_agent support-bot",
        "retrieval help-articles",
        "support_request",
    ]
    assert len(by_name["chat gpt-4o-mini"]) == 2 and len(spans) == 7
    # one trace: support_request is the root, the bot's agent span its child, the agent's loop under it
    [root] = by_name["support_request"]
    [agent] = by_name["invoke_agent support-bot"]
    assert root.parent_span_id == ""
    assert {s.trace_id for s in spans} == {root.trace_id}
    assert agent.parent_span_id == root.span_id
    assert all(s.parent_span_id == agent.span_id for s in spans if s not in (root, agent))
    assert {s.resource["service.name"] for s in spans} == {"support-bot-demo"}

    first, second = by_name["chat gpt-4o-mini"]
    if "gen_ai.request.stream" in first.attributes:
        first, second = second, first
    client_kind = 3  # SpanKind.CLIENT in the protobuf enum
    for chat in (first, second):
        assert chat.kind == client_kind
        assert chat.attributes["gen_ai.operation.name"] == "chat"
        assert chat.attributes["gen_ai.provider.name"] == "openai"
        assert chat.attributes["gen_ai.request.model"] == "gpt-4o-mini"
        assert chat.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
        assert chat.attributes["gen_ai.usage.input_tokens"] > 0
        assert chat.attributes["gen_ai.usage.output_tokens"] > 0
    assert first.attributes["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert second.attributes["gen_ai.response.finish_reasons"] == ["stop"]
    assert second.attributes["gen_ai.request.stream"] is True

    [tool] = by_name["execute_tool get_order_status"]
    assert tool.attributes["gen_ai.tool.name"] == "get_order_status"
    assert [tool.attributes["gen_ai.tool.call.id"]] == first.attributes["otel_genai.response.tool_call.ids"]
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"order_id": "A-1042"}
    [embeddings] = by_name["embeddings text-embedding-3-small"]
    assert embeddings.attributes["gen_ai.operation.name"] == "embeddings"
    assert embeddings.attributes["gen_ai.embeddings.dimension.count"] == 256
    [retrieval] = by_name["retrieval help-articles"]
    assert retrieval.attributes["db.system.name"] == "chroma"
    assert retrieval.attributes["gen_ai.retrieval.top_k"] == 2

    # content crossed the wire, redacted
    [user] = [m for m in json.loads(first.attributes["gen_ai.input.messages"]) if m["role"] == "user"]
    text = user["parts"][0]["content"]
    for placeholder in ("<PERSON>", "<EMAIL_ADDRESS>", "<PHONE_NUMBER>", "<STREET_ADDRESS>"):
        assert placeholder in text
    assert "Where is my order A-1042?" in text
    if name == "demo-http":
        assert {r.path for r in receiver.requests} == {"/v1/traces", "/v1/metrics"}


@pytest.mark.parametrize("name", ["demo-grpc", "demo-http"])
def test_the_demos_metrics_arrive_over_the_wire(runs: dict[str, Any], name: str) -> None:
    run = runs[name]
    assert run["returncode"] == 0, run["stderr"][-3000:]
    metrics = run["receiver"].metrics()
    for metric in ("gen_ai.client.operation.duration", "gen_ai.client.token.usage"):
        assert metric in metrics, sorted(metrics)
    points = [p for m in metrics["gen_ai.client.token.usage"] for p in m.histogram.data_points]
    described = {
        (a["gen_ai.operation.name"], a["gen_ai.request.model"], a["gen_ai.token.type"])
        for a in ({kv.key: kv.value.string_value for kv in p.attributes} for p in points)
    }
    assert ("chat", "gpt-4o-mini", "input") in described
    assert ("chat", "gpt-4o-mini", "output") in described
    assert all(p.sum > 0 for p in points)


@pytest.mark.parametrize("name", ["demo-grpc", "demo-http"])
def test_no_fake_pii_from_the_demo_crossed_the_wire(runs: dict[str, Any], name: str) -> None:
    run = runs[name]
    assert run["returncode"] == 0, run["stderr"][-3000:]
    for pii in DEMO_PII:
        assert pii in run["stdout"]  # the application saw it
    wire = run["receiver"].wire_bytes()
    assert len(wire) > 1000 and b"Where is my order A-1042?" in wire
    for pii in DEMO_PII:
        assert pii.encode() not in wire, pii
