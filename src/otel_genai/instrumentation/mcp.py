"""MCP (``mcp``): a client's ``tools/call`` as one ``execute_tool`` span, in the trace the server continues.

``ClientSession.send_request`` is where every MCP client request passes (``call_tool`` and the high-level
``Client`` go through it, in mcp 1.x and 2.x). For a ``tools/call`` it opens a CLIENT span
``tools/call {tool}`` (``gen_ai.operation.name = execute_tool``, ``gen_ai.tool.type = extension``, the
server's name, version and protocol version, and over HTTP its address), and writes the W3C trace context
into the request's ``params._meta`` so the server's span continues the trace. A ``CallToolResult`` with
``isError`` ends it as ``error.type = tool_error``; a JSON-RPC error as its code. Arguments and the result
are recorded only with content capture on.

One span per call. mcp 2.x traces natively: its dispatcher opens ``MCP send tools/call {tool}`` around
the request. For the request we are tracing it is handed our span instead of starting its own
(``_native_span.NativeSpan``; it then injects that span's context and sets its JSON-RPC error attributes
on it); every other request keeps the SDK's span. Our span goes through otel-genai's provider, so content
passes redaction whichever provider the SDK would have used. Inside an ``otel_genai.tool_call`` /
``run_tool`` scope for the same tool, the scope's ``execute_tool`` span *is* this call (as the MCP
conventions ask): it gets the MCP attributes and no second span is made.

``tools/list`` keeps the SDK's native span where there is one; where there is none (mcp 1.x, the
in-process ``DirectDispatcher``) it gets a light CLIENT span ``tools/list``. The listing also teaches us
each tool's description.

Server side: mcp 2.x's own middleware opens a SERVER span ``tools/call {tool}`` under the client's span
whenever the server process has a global tracer provider; a ``@otel_genai.tool`` function behind it adds
its own INTERNAL ``execute_tool`` span. We add nothing there.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Span, SpanKind
from pydantic import BaseModel

from otel_genai import semconv as sc
from otel_genai.instrumentation._base import Instrumentor, Observer, Target, host_and_port
from otel_genai.instrumentation._native_span import NativeSpan, lend_context
from otel_genai.telemetry.errors import record_error
from otel_genai.telemetry.handler import SCOPE_NAME, TelemetryHandler
from otel_genai.telemetry.records import ToolExecution
from otel_genai.version import __version__

logger = logging.getLogger("otel_genai")

METHOD_TOOLS_CALL = "tools/call"
METHOD_TOOLS_LIST = "tools/list"

_SESSION = ("mcp.client.session", "ClientSession")
_CLIENT = ("mcp.client.client", "Client")  # mcp 2.x: knows the server's URL or command
_DISPATCHER = "mcp.shared.jsonrpc_dispatcher"  # mcp 2.x: opens the SDK's client spans via ``otel_span``

# What the high-level Client knows about a session's connection: network.transport, server.address/port.
_CONNECTIONS: WeakKeyDictionary[Any, dict[str, Any]] = WeakKeyDictionary()
# mcp 1.x: the session's InitializeResult (2.x sessions keep it themselves).
_INITIALIZED: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()
# Tool descriptions from the session's listings.
_DESCRIPTIONS: WeakKeyDictionary[Any, dict[str, str]] = WeakKeyDictionary()


@dataclass(slots=True)
class _ToolCall:
    """A ``tools/call`` being traced: its record, and whether the record is an enclosing scope's."""

    record: ToolExecution
    joined: bool  # the enclosing tool_call / run_tool scope's execution: it starts and ends it
    token: object | None = None


class MCPInstrumentor(Instrumentor):
    """Instruments the ``mcp`` client (``ClientSession``, and ``Client`` in mcp 2.x)."""

    name = "mcp"

    def targets(self, handler: TelemetryHandler, kwargs: Mapping[str, Any]) -> Iterable[Target]:
        tracer = trace.get_tracer(SCOPE_NAME, __version__, kwargs.get("tracer_provider"))
        requests = _Requests(handler, tracer)
        targets: list[Target] = [
            (*_SESSION, "send_request", requests.send_request),
            (*_CLIENT, "_build_session", _build_session),
        ]
        session_class = getattr(importlib.import_module(_SESSION[0]), _SESSION[1], None)
        if session_class is not None and not hasattr(session_class, "server_info"):
            # mcp 1.x: only the initialize result says who the server is; the session does not keep it
            targets.append((*_SESSION, "initialize", _initialize))
        targets.append(_SDK_SPAN.target())  # mcp 2.x only (1.x has no native tracing)
        return targets


# --- requests -----------------------------------------------------------------------------------


class _Requests:
    """``ClientSession.send_request``: a ``tools/call`` as an execute_tool span, ``tools/list`` lightly."""

    def __init__(self, handler: TelemetryHandler, tracer: trace.Tracer) -> None:
        self.handler = handler
        self.tracer = tracer

    async def send_request(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        body = _body(args[0] if args else kwargs.get("request"))
        method = getattr(body, "method", None)
        if method == METHOD_TOOLS_CALL:
            return await self._tool_call(body, wrapped, instance, args, kwargs)
        if method == METHOD_TOOLS_LIST:
            return await self._tool_list(wrapped, instance, args, kwargs)
        return await wrapped(*args, **kwargs)

    # --- tools/call ------------------------------------------------------------------------------

    async def _tool_call(self, body: Any, wrapped: Any, session: Any, args: Any, kwargs: Any) -> Any:
        try:
            call = self._start(session, body)
        except Exception:
            logger.debug("otel_genai: could not read an MCP tool call; calling untraced", exc_info=True)
            call = None
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            with _SDK_SPAN.replacing(call.record):  # the SDK's own span for this request is ours
                args, kwargs = _with_trace_context(args, kwargs)
                result = await wrapped(*args, **kwargs)
        except BaseException as error:
            self._fail(call, error)
            raise
        finally:
            self.handler.detach(call.token)
        self._finish(call, result)
        return result

    def _start(self, session: Any, body: Any) -> _ToolCall | None:
        params = getattr(body, "params", None)
        name = getattr(params, "name", None)
        if not isinstance(name, str):
            return None
        arguments = getattr(params, "arguments", None)
        attributes = _request_attributes(session, METHOD_TOOLS_CALL)
        address, port = attributes.pop(sc.SERVER_ADDRESS, None), attributes.pop(sc.SERVER_PORT, None)
        description = (_DESCRIPTIONS.get(session) or {}).get(name)

        active = self.handler.active_tool()
        if active is not None and active.tool_name == name and not _is_mcp_call(active):
            # The enclosing tool_call / run_tool span is this execution: it becomes the MCP call.
            active.tool_type = sc.TOOL_TYPE_EXTENSION
            active.description = active.description or description
            active.server_address = active.server_address or address
            active.server_port = active.server_port or port
            active.request_attributes.update(attributes)
            if active.arguments is None and arguments is not None and self.handler.wants_content(active):
                active.arguments = arguments
            return _ToolCall(active, joined=True)

        record = ToolExecution(
            operation=sc.OPERATION_EXECUTE_TOOL,
            provider=None,
            server_address=address,
            server_port=port,
            tool_name=name,
            description=description,
            tool_type=sc.TOOL_TYPE_EXTENSION,
            remote=True,
            span_name=f"{METHOD_TOOLS_CALL} {name}",
            request_attributes=attributes,
        )
        token = self.handler.start(record)
        if record.span is None:
            return None
        if arguments is not None and self.handler.wants_content(record):
            record.arguments = arguments
        return _ToolCall(record, joined=False, token=token)

    def _finish(self, call: _ToolCall, result: Any) -> None:
        record = call.record
        try:
            if _is_tool_error(result):
                record.error_type = sc.ERROR_TYPE_TOOL_ERROR
            elif record.result is None and self.handler.wants_content(record):
                record.result = _result_content(result)
        except Exception:
            logger.debug("otel_genai: could not read an MCP tool result", exc_info=True)
        if not call.joined:
            self.handler.finish(record)

    def _fail(self, call: _ToolCall, error: BaseException) -> None:
        try:
            code = _jsonrpc_code(error)
            if code is not None:  # the conventions' error.type: the JSON-RPC code, as the SDK's span has it
                call.record.error_type = code
                call.record.response_attributes[sc.RPC_RESPONSE_STATUS_CODE] = code
        except Exception:
            logger.debug("otel_genai: could not read an MCP error", exc_info=True)
        if not call.joined:  # the scope fails as the exception leaves it
            self.handler.fail(call.record, error)

    # --- tools/list ------------------------------------------------------------------------------

    async def _tool_list(self, wrapped: Any, session: Any, args: Any, kwargs: Any) -> Any:
        span = token = None
        if not _traced_natively(session):
            try:
                attributes = _request_attributes(session, METHOD_TOOLS_LIST)
                span = self.tracer.start_span(METHOD_TOOLS_LIST, kind=SpanKind.CLIENT, attributes=attributes)
                token = otel_context.attach(trace.set_span_in_context(span))
            except Exception:
                logger.debug("otel_genai: could not start an MCP tools/list span", exc_info=True)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            if span is not None:
                _end_failed(span, error, self.handler.capture_mode.on_span)
            raise
        finally:
            if token is not None:
                otel_context.detach(token)
        if span is not None:
            span.end()
        _remember_descriptions(session, result)
        return result


# --- the SDK's own client span --------------------------------------------------------------------


def _is_sdk_span_for(record: ToolExecution, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """``otel_span(name, ..., attributes=...)`` opening the SDK's span for this very ``tools/call``."""
    if kwargs.get("context") is not None:
        return False
    attributes = kwargs.get("attributes") or {}
    name = args[0] if args else kwargs.get("name")
    return (
        attributes.get(sc.MCP_METHOD_NAME) == METHOD_TOOLS_CALL
        and isinstance(name, str)
        and name.endswith(f" {record.tool_name}")
    )


def _adopt_sdk_attributes(span: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    span.set_attributes(kwargs.get("attributes") or {})  # jsonrpc.request.id


# mcp 2.x: the dispatcher's ``with otel_span(...) as span`` gets ours for the tools/call we trace.
_SDK_SPAN: NativeSpan[ToolExecution] = NativeSpan(
    _DISPATCHER, "otel_span", matches=_is_sdk_span_for, lend=lend_context, adopt=_adopt_sdk_attributes
)


# --- what a session and its result tell ---------------------------------------------------------------


def _is_mcp_call(record: ToolExecution) -> bool:
    """Already joined by an MCP call: a second call in the same scope is a call of its own."""
    return sc.MCP_METHOD_NAME in record.request_attributes


def _body(request: Any) -> Any:
    """The request itself: mcp 1.x wraps it in a ``ClientRequest`` root model."""
    root = getattr(request, "root", None)
    return root if root is not None and hasattr(root, "method") else request


def _request_attributes(session: Any, method: str) -> dict[str, Any]:
    """A request's span attributes: its method, the session's facts and how it reaches its server."""
    return {sc.MCP_METHOD_NAME: method, **_session_attributes(session), **(_CONNECTIONS.get(session) or {})}


def _session_attributes(session: Any) -> dict[str, Any]:
    """The protocol version and the server's name and version, once the session is initialized."""
    attributes: dict[str, Any] = {}
    try:
        initialized = _INITIALIZED.get(session)
        version = getattr(session, "protocol_version", getattr(initialized, "protocolVersion", None))
        if isinstance(version, str) and version:
            attributes[sc.MCP_PROTOCOL_VERSION] = version
        info = getattr(session, "server_info", getattr(initialized, "serverInfo", None))
        for name, value in (
            (sc.OTEL_GENAI_MCP_SERVER_NAME, getattr(info, "name", None)),
            (sc.OTEL_GENAI_MCP_SERVER_VERSION, getattr(info, "version", None)),
        ):
            if isinstance(value, str) and value:
                attributes[name] = value
    except Exception:
        logger.debug("otel_genai: could not read the MCP session", exc_info=True)
    return attributes


def _keep_initialized(session: Any, arguments: dict[str, Any], result: Any) -> None:
    _INITIALIZED[session] = result


def _keep_connection(client: Any, arguments: dict[str, Any], session: Any) -> None:
    facts = _connection(getattr(client, "server", None))
    if facts:
        _CONNECTIONS[session] = facts


# mcp 1.x ``ClientSession.initialize``: its result names the server and the protocol version.
_initialize = Observer(_keep_initialized, "the MCP initialize result")
# ``Client._build_session``: how the session reaches its server.
_build_session = Observer(_keep_connection, "the MCP client's server")


def _connection(server: Any) -> dict[str, Any]:
    """A URL is Streamable HTTP over TCP (host and port); a command runs over stdio (a pipe)."""
    if isinstance(server, str):
        address, port = host_and_port(server)
        facts: dict[str, Any] = {sc.NETWORK_TRANSPORT: "tcp"}
        if address:
            facts[sc.SERVER_ADDRESS] = address
        if port:
            facts[sc.SERVER_PORT] = port
        return facts
    if type(server).__name__ == "StdioServerParameters":
        return {sc.NETWORK_TRANSPORT: "pipe"}
    return {}  # an in-process server or a transport object: nothing to say


def _traced_natively(session: Any) -> bool:
    """mcp 2.x's stream dispatcher opens its own client span for every request."""
    dispatcher = getattr(session, "_dispatcher", None)
    return type(dispatcher).__name__ == "JSONRPCDispatcher" and type(dispatcher).__module__ == _DISPATCHER


def _remember_descriptions(session: Any, result: Any) -> None:
    try:
        tools = getattr(result, "tools", None) or ()
        described = {
            t.name: _first_paragraph(t.description) for t in tools if getattr(t, "description", None)
        }
        if described:
            _DESCRIPTIONS.setdefault(session, {}).update(described)
    except Exception:
        logger.debug("otel_genai: could not read an MCP tool listing", exc_info=True)


def _first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n", 1)[0].split())


def _with_trace_context(args: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The request with the current trace context in ``params._meta`` (a copy; the caller's is untouched).

    mcp 2.x's stream dispatcher injects it too (the same values); mcp 1.x and the in-process
    ``DirectDispatcher`` do not.
    """
    try:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if not carrier:
            return args, kwargs
        if args:
            return (_request_with_meta(args[0], carrier), *args[1:]), kwargs
        return args, {**kwargs, "request": _request_with_meta(kwargs["request"], carrier)}
    except Exception:
        logger.debug("otel_genai: could not propagate the trace context to the MCP server", exc_info=True)
        return args, kwargs


def _request_with_meta(request: Any, carrier: dict[str, str]) -> Any:
    body = _body(request)
    if body is not request:  # mcp 1.x ClientRequest
        return request.model_copy(update={"root": _request_with_meta(body, carrier)})
    params = request.params
    meta = getattr(params, "meta", None)
    meta_model = _meta_model(type(params))
    if meta_model is None:  # mcp 2.x: a TypedDict
        meta = {**(meta or {}), **carrier}
    else:  # mcp 1.x: a model that allows extra keys
        meta = meta_model.model_validate({**(meta.model_dump(by_alias=True) if meta else {}), **carrier})
    return request.model_copy(update={"params": params.model_copy(update={"meta": meta})})


_META_MODELS: dict[type, Any] = {}


def _meta_model(params_class: type) -> Any:
    """The model ``params._meta`` must be (mcp 1.x), or None where it is a plain dict (2.x)."""
    if params_class not in _META_MODELS:
        field = params_class.model_fields.get("meta")  # type: ignore[attr-defined]
        annotation = field.annotation if field is not None else None
        candidates = typing.get_args(annotation) or (annotation,)
        _META_MODELS[params_class] = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return _META_MODELS[params_class]


def _is_tool_error(result: Any) -> bool:
    return getattr(result, "is_error", None) is True or getattr(result, "isError", None) is True


def _result_content(result: Any) -> Any:
    """The structured result when the tool declared one, else the content blocks (binary data left out)."""
    structured = getattr(result, "structured_content", getattr(result, "structuredContent", None))
    if structured is not None:
        return structured
    blocks = getattr(result, "content", None)
    if not blocks:
        return None
    parts = []
    for block in blocks:
        if getattr(block, "type", None) == "text":
            parts.append(block.text)
            continue
        part = block.model_dump(mode="json", by_alias=True, exclude_none=True)
        part.pop("data", None)  # base64 images and audio
        resource = part.get("resource")
        if isinstance(resource, dict):
            resource.pop("blob", None)
        parts.append(part)
    return parts[0] if len(parts) == 1 else parts


def _jsonrpc_code(error: BaseException) -> str | None:
    """The JSON-RPC error code of an ``MCPError`` (2.x) / ``McpError`` (1.x), as the conventions want it."""
    code = getattr(getattr(error, "error", None), "code", None)
    return str(code) if isinstance(code, int) and not isinstance(code, bool) else None


def _end_failed(span: Any, error: BaseException, with_message: bool) -> None:
    try:
        code = _jsonrpc_code(error)
        error_type = code if code is not None else type(error).__qualname__
        if code is not None:
            span.set_attributes({sc.ERROR_TYPE: code, sc.RPC_RESPONSE_STATUS_CODE: code})
        else:
            span.set_attribute(sc.ERROR_TYPE, error_type)
        # error text is content: the message only where content goes on spans (telemetry/errors.py)
        record_error(span, error, error_type, with_message=with_message, exception_event=code is None)
    except Exception:
        logger.debug("otel_genai: could not describe a failed MCP request", exc_info=True)
    span.end()
