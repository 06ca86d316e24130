"""Local OTLP receivers for the export tests: the real protobuf messages, over gRPC and over HTTP.

``GrpcReceiver`` implements the Collector's ``TraceService``, ``MetricsService`` and ``LogsService``;
``HttpReceiver`` answers ``POST /v1/{traces,metrics,logs}`` (any path ending in the signal's name) and
undoes ``Content-Encoding: gzip`` / ``deflate``. Both keep every request as it arrived (headers, raw
bytes, decoded message), optionally over TLS. ``Blackhole`` accepts connections and never answers (a
Collector that hangs); ``GrpcSniffer`` is a TCP proxy that reads the HTTP/2 frames going through it, to see
whether gRPC messages travel compressed. Everything binds to 127.0.0.1 on a free port and stops with
its ``with`` block.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

# signal -> the gRPC method the Collector serves
METHODS = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
# signal -> (request message, response message)
MESSAGES: dict[str, tuple[Any, Any]] = {
    "traces": (trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "metrics": (
        metrics_service_pb2.ExportMetricsServiceRequest,
        metrics_service_pb2.ExportMetricsServiceResponse,
    ),
    "logs": (logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
}


@dataclass
class Received:
    """One export request as the receiver got it."""

    protocol: str  # "grpc" or "http"
    signal: str  # "traces", "metrics" or "logs"
    path: str  # the HTTP path, or the gRPC method
    headers: dict[str, str]  # names lower-cased
    body: bytes  # the bytes on the wire (compressed if they were)
    message: Any  # the decoded Export*ServiceRequest
    deadline: float | None = None  # gRPC: the seconds the client allowed for the call


@dataclass
class Span:
    """A received span, flattened for assertions."""

    name: str
    span_id: str
    parent_span_id: str
    trace_id: str
    kind: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    status_code: int


def any_value(value: Any) -> Any:
    """A protobuf ``AnyValue`` as plain Python."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in key_values}


class Receiver:
    """What both receivers share: the requests received, and waiting for them."""

    protocol = ""

    def __init__(self, *, tls: tuple[str, str] | None = None) -> None:
        self.tls = tls  # (certificate file, key file)
        self.requests: list[Received] = []
        self._arrived = threading.Condition()
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://{'localhost' if self.tls else '127.0.0.1'}:{self.port}"

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()

    def wait_for(self, predicate: Callable[[Receiver], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(self)`` holds (re-checked on each request), at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._arrived.wait(remaining)
        return True

    def of(self, signal: str) -> list[Received]:
        return [r for r in list(self.requests) if r.signal == signal]

    def one_of_each(self, *signals: str) -> list[Received]:
        """The one request received for each of ``signals`` (asserting there was exactly one)."""
        found = [self.of(signal) for signal in signals]
        assert all(len(requests) == 1 for requests in found), found
        return [requests[0] for requests in found]

    def spans(self) -> list[Span]:
        found = []
        for request in self.of("traces"):
            for resource_spans in request.message.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        found.append(
                            Span(
                                name=span.name,
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                                trace_id=span.trace_id.hex(),
                                kind=span.kind,
                                attributes=attributes(span.attributes),
                                resource=resource,
                                scope=scope_spans.scope.name,
                                status_code=span.status.code,
                            )
                        )
        return found

    def metrics(self) -> dict[str, list[Any]]:
        """Metric name -> the received ``Metric`` messages (one per request that carried it)."""
        found: dict[str, list[Any]] = {}
        for request in self.of("metrics"):
            for resource_metrics in request.message.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        found.setdefault(metric.name, []).append(metric)
        return found

    def wire_bytes(self) -> bytes:
        """Every received body, decompressed, and every header: all that crossed the wire."""
        parts = []
        for request in list(self.requests):
            parts += [request.body, request.message.SerializeToString()]
            parts.extend(f"{k}: {v}".encode() for k, v in request.headers.items())
        return b"\n".join(parts)

    def __enter__(self) -> Receiver:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


# --- gRPC -----------------------------------------------------------------------------------------


class GrpcReceiver(Receiver):
    protocol = "grpc"

    def start(self) -> None:
        import grpc

        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        receiver = self

        def handler(signal: str) -> Callable[[Any, Any], Any]:
            def export(request: Any, context: Any) -> Any:
                metadata = {key.lower(): value for key, value in context.invocation_metadata()}
                remaining = context.time_remaining()
                receiver._record(
                    Received(
                        protocol="grpc",
                        signal=signal,
                        path=METHODS[signal],
                        headers=metadata,
                        body=request.SerializeToString(),
                        message=request,
                        deadline=remaining,
                    )
                )
                return MESSAGES[signal][1]()

            return export

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            Export = staticmethod(handler("traces"))

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            Export = staticmethod(handler("metrics"))

        class Logs(logs_service_pb2_grpc.LogsServiceServicer):
            Export = staticmethod(handler("logs"))

        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), self._server)
        if self.tls:
            certificate, key = (open(path, "rb").read() for path in self.tls)  # noqa: SIM115
            credentials = grpc.ssl_server_credentials([(key, certificate)])
            self.port = self._server.add_secure_port("localhost:0", credentials)
        else:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None).wait(5)


# --- HTTP -----------------------------------------------------------------------------------------


class HttpReceiver(Receiver):
    protocol = "http"

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                signal = next((s for s in MESSAGES if self.path.rstrip("/").endswith(s)), None)
                if signal is None:
                    self._answer(404, b"")
                    return
                encoding = headers.get("content-encoding", "")
                data = (
                    gzip.decompress(body)
                    if encoding == "gzip"
                    else zlib.decompress(body)
                    if encoding == "deflate"
                    else body
                )
                request_type, response_type = MESSAGES[signal]
                message = request_type.FromString(data)
                receiver._record(Received("http", signal, self.path, headers, body, message))
                self._answer(200, response_type().SerializeToString())

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        host = "localhost" if self.tls else "127.0.0.1"
        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# --- a Collector that hangs, and a gRPC wire sniffer ---------------------------------------------


class Blackhole:
    """Accepts TCP connections and never answers: every export waits for its full timeout."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self._held.append(connection)

    def __enter__(self) -> Blackhole:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stopped.set()
        self._thread.join(5)
        for connection in [*self._held, self._socket]:
            connection.close()

    @property
    def connections(self) -> int:
        return len(self._held)


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, PADDED = 0x0, 0x8


@dataclass
class GrpcSniffer:
    """A TCP proxy to ``upstream_port`` that reads the client's HTTP/2 frames as they pass.

    ``compressed_flags`` holds, per gRPC call, the first byte of its first message: 1 when the message
    travels compressed (``grpc-encoding`` in effect), 0 when not.
    """

    upstream_port: int
    compressed_flags: list[int] = field(default_factory=list)

    def __enter__(self) -> GrpcSniffer:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._open: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stopped.set()
        for connection in [*self._open, self._socket]:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # wakes a pump blocked in recv()
            connection.close()
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._socket.accept()
            except OSError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._open += [client, upstream]
            for source, target, watch in ((client, upstream, True), (upstream, client, False)):
                thread = threading.Thread(target=self._pump, args=(source, target, watch), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _pump(self, source: socket.socket, target: socket.socket, watch: bool) -> None:
        frames = self._frames() if watch else None
        if frames is not None:
            next(frames)
        try:
            while chunk := source.recv(65536):
                if frames is not None:
                    frames.send(chunk)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for connection in (source, target):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def _frames(self) -> Iterator[None]:
        """A coroutine fed the client's bytes: notes the compressed flag of each stream's first message."""
        buffer = b""
        while len(buffer) < len(PREFACE):
            buffer += yield
        buffer = buffer[len(PREFACE) :]
        seen: set[int] = set()
        while True:
            while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
                length, kind, flags = int.from_bytes(buffer[:3], "big"), buffer[3], buffer[4]
                stream = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
                payload, buffer = buffer[9 : 9 + length], buffer[9 + length :]
                if kind == DATA and flags & PADDED:
                    payload = payload[1 : len(payload) - payload[0]]
                if kind == DATA and payload and stream not in seen:
                    seen.add(stream)
                    self.compressed_flags.append(payload[0])
            buffer += yield
