"""Context that holds: a model or tool call made in a thread pool, a raw thread, an asyncio task or from a
stream consumed elsewhere keeps the span it was made under as its parent, in one trace.

Python copies ``contextvars`` into asyncio tasks and ``asyncio.to_thread`` but not into
``ThreadPoolExecutor.submit`` / ``map``, ``loop.run_in_executor`` or ``threading.Thread``; ``instrument()``
carries the OpenTelemetry context there (``otel_genai/_context.py``). Real openai client over ``FakeOpenAI``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from wrapt import FunctionWrapper

import otel_genai
from helpers.openai_fakes import FakeOpenAI, chat_chunks, chat_completion, sse
from helpers.telemetry import Telemetry
from otel_genai import _context
from otel_genai._config import resolve

MODEL = "gpt-4o-mini"
MODEL_SPAN = f"chat {MODEL}"


@pytest.fixture(autouse=True)
def _answers(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("/chat/completions", chat_completion("ok"))


@pytest.fixture(autouse=True)
def _wrappers_removed() -> Iterator[None]:
    """Every test leaves the standard library as it found it (the fixture's uninstrument() runs first)."""
    yield
    assert not _context.is_on()


def ask(client: Any) -> str:
    response = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    return str(response.choices[0].message.content)


async def ask_async(async_client: Any) -> str:
    response = await async_client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}]
    )
    return str(response.choices[0].message.content)


def request_span(telemetry: Telemetry, name: str = "request") -> Any:
    """The application's own span (its own tracer on the same provider), made current."""
    return telemetry.tracer_provider.get_tracer("app").start_as_current_span(name)


def named(telemetry: Telemetry, name: str) -> list[ReadableSpan]:
    return [span for span in telemetry.spans() if span.name == name]


def assert_under(telemetry: Telemetry, children: list[ReadableSpan], parent_name: str = "request") -> None:
    """Each child's parent is the one span called ``parent_name``, and everything is one trace."""
    (parent,) = named(telemetry, parent_name)
    assert children
    for child in children:
        assert child.parent is not None, f"{child.name} is a root"
        assert child.parent.span_id == parent.context.span_id
    assert {span.context.trace_id for span in telemetry.spans()} == {parent.context.trace_id}


# --- (a) ThreadPoolExecutor ---------------------------------------------------------------------


def test_pool_submit_keeps_the_parent(telemetry: Telemetry, client: Any) -> None:
    with futures.ThreadPoolExecutor(max_workers=2) as pool, request_span(telemetry):
        answers = [f.result() for f in [pool.submit(ask, client) for _ in range(3)]]

    assert answers == ["ok"] * 3
    assert len(named(telemetry, MODEL_SPAN)) == 3
    assert_under(telemetry, named(telemetry, MODEL_SPAN))


def test_pool_map_keeps_the_parent(telemetry: Telemetry, client: Any) -> None:
    with futures.ThreadPoolExecutor(max_workers=2) as pool, request_span(telemetry):
        answers = list(pool.map(lambda _: ask(client), range(3)))

    assert answers == ["ok"] * 3
    assert len(named(telemetry, MODEL_SPAN)) == 3
    assert_under(telemetry, named(telemetry, MODEL_SPAN))


def test_a_reused_pool_thread_carries_each_submitters_context(telemetry: Telemetry, client: Any) -> None:
    """One worker thread, started under the first request: later work runs under its own submitter's
    context (the second request; nothing at all), never the stale one it was started under."""
    with futures.ThreadPoolExecutor(max_workers=1) as pool:
        with request_span(telemetry, "first"):
            pool.submit(ask, client).result()
        with request_span(telemetry, "second"):
            pool.submit(ask, client).result()
        pool.submit(ask, client).result()

    first, second, alone = named(telemetry, MODEL_SPAN)  # finished in this order: one worker
    (first_parent,) = named(telemetry, "first")
    (second_parent,) = named(telemetry, "second")
    assert first.parent is not None and first.parent.span_id == first_parent.context.span_id
    assert second.parent is not None and second.parent.span_id == second_parent.context.span_id
    assert alone.parent is None
    assert len({first.context.trace_id, second.context.trace_id, alone.context.trace_id}) == 3


def test_without_propagation_a_pool_call_is_a_new_root(
    make_telemetry: Callable[..., Telemetry], client: Any
) -> None:
    """Why the setting exists: Python does not carry context into ``submit``."""
    telemetry = make_telemetry(propagate_context=False)
    assert not _context.is_on()
    with futures.ThreadPoolExecutor(max_workers=1) as pool, request_span(telemetry):
        pool.submit(ask, client).result()

    (model,) = named(telemetry, MODEL_SPAN)
    (parent,) = named(telemetry, "request")
    assert model.parent is None
    assert model.context.trace_id != parent.context.trace_id


def test_the_functions_exception_propagates_as_is(telemetry: Telemetry) -> None:
    error = ValueError("boom")

    def fail() -> None:
        raise error

    with futures.ThreadPoolExecutor(max_workers=1) as pool:
        with request_span(telemetry):
            future = pool.submit(fail)
            with pytest.raises(ValueError) as raised:
                future.result()
        outside = pool.submit(trace.get_current_span).result()  # same worker, no span submitted under
    assert raised.value is error
    assert outside is trace.INVALID_SPAN


# --- (b) threading.Thread -------------------------------------------------------------------------


def test_thread_keeps_the_parent(telemetry: Telemetry, client: Any) -> None:
    with request_span(telemetry):
        thread = threading.Thread(target=ask, args=(client,))
        thread.start()
    thread.join()  # finished after the parent ended: it is still its parent

    assert_under(telemetry, named(telemetry, MODEL_SPAN))
    assert "run" not in vars(thread)  # the thread object keeps no reference to the context


def test_thread_subclass_with_its_own_run_keeps_the_parent(telemetry: Telemetry, client: Any) -> None:
    class Worker(threading.Thread):
        def run(self) -> None:
            ask(client)

    with request_span(telemetry):
        worker = Worker()
        worker.start()
        worker.join()

    assert_under(telemetry, named(telemetry, MODEL_SPAN))


def test_thread_started_outside_any_span_is_a_root(telemetry: Telemetry, client: Any) -> None:
    thread = threading.Thread(target=ask, args=(client,))
    thread.start()
    thread.join()

    (model,) = named(telemetry, MODEL_SPAN)
    assert model.parent is None


# --- (c) asyncio ----------------------------------------------------------------------------------


async def test_asyncio_tasks_keep_the_parent(telemetry: Telemetry, async_client: Any) -> None:
    """create_task and gather copy the context natively; shown here so that it stays true."""
    with request_span(telemetry):
        task = asyncio.create_task(ask_async(async_client))
        await asyncio.gather(ask_async(async_client), ask_async(async_client))
        await task

    assert len(named(telemetry, MODEL_SPAN)) == 3
    assert_under(telemetry, named(telemetry, MODEL_SPAN))


async def test_to_thread_and_run_in_executor_keep_the_parent(telemetry: Telemetry, client: Any) -> None:
    """``to_thread`` copies the context itself; ``run_in_executor`` does not (it calls ``submit``)."""
    loop = asyncio.get_running_loop()
    with futures.ThreadPoolExecutor(max_workers=2) as pool, request_span(telemetry):
        await asyncio.to_thread(ask, client)
        await loop.run_in_executor(None, ask, client)  # the loop's default executor
        await loop.run_in_executor(pool, ask, client)

    assert len(named(telemetry, MODEL_SPAN)) == 3
    assert_under(telemetry, named(telemetry, MODEL_SPAN))


# --- (d) a stream consumed elsewhere ------------------------------------------------------------------


def _stream_reply(fake_openai: FakeOpenAI) -> None:
    fake_openai.routes.clear()  # instead of the plain answer
    fake_openai.reply("/chat/completions", stream=sse(chat_chunks(["Hel", "lo"], include_usage=True)))


@pytest.mark.parametrize("propagate", [True, False])
def test_stream_consumed_in_another_thread_after_the_parent_ended(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI, propagate: bool
) -> None:
    """The model span's parent is where the stream was created: it holds with or without propagation."""
    telemetry = make_telemetry(propagate_context=propagate)
    _stream_reply(fake_openai)
    with request_span(telemetry):
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )
    assert named(telemetry, MODEL_SPAN) == []  # not ended before it is read

    words: list[str] = []
    thread = threading.Thread(
        target=lambda: words.extend(c.choices[0].delta.content or "" for c in stream if c.choices)
    )
    thread.start()
    thread.join()

    assert "".join(words) == "Hello"
    (model,) = named(telemetry, MODEL_SPAN)
    assert model.attributes is not None and model.attributes["gen_ai.usage.output_tokens"] == 58
    assert_under(telemetry, [model])


async def test_async_stream_consumed_in_a_task_created_elsewhere(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    _stream_reply(fake_openai)
    with request_span(telemetry):
        stream = await async_client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )

    async def consume() -> str:
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert await asyncio.create_task(consume()) == "Hello"  # created outside the parent
    assert_under(telemetry, named(telemetry, MODEL_SPAN))


# --- (e) a decorated tool run in a pool -------------------------------------------------------------


@otel_genai.tool
def lookup(client: Any, order_id: str) -> str:
    """Look an order up, asking the model."""
    return ask(client) + order_id


def test_decorated_tool_in_a_pool_keeps_the_parent(telemetry: Telemetry, client: Any) -> None:
    with futures.ThreadPoolExecutor(max_workers=2) as pool, request_span(telemetry):
        results = list(pool.map(lambda order: lookup(client, order), ["A", "B"]))

    assert results == ["okA", "okB"]
    tools = named(telemetry, "execute_tool lookup")
    assert len(tools) == 2
    assert_under(telemetry, tools)
    models = named(telemetry, MODEL_SPAN)
    assert len(models) == 2
    assert {m.parent.span_id for m in models if m.parent} == {t.context.span_id for t in tools}


# --- the LLMOps scope lives in the same context -------------------------------------------------------


def test_prompt_scope_reaches_the_pool_thread(telemetry: Telemetry, client: Any) -> None:
    pool = futures.ThreadPoolExecutor(max_workers=1)
    with pool, request_span(telemetry), otel_genai.prompt("triage", version="v3"):
        pool.submit(ask, client).result()

    (model,) = named(telemetry, MODEL_SPAN)
    assert model.attributes is not None
    assert model.attributes["gen_ai.prompt.name"] == "triage"
    assert model.attributes["gen_ai.prompt.version"] == "v3"
    assert_under(telemetry, [model])


# --- turning it on and off ----------------------------------------------------------------------------


def _original(owner: type, name: str) -> Any:
    current = owner.__dict__[name]
    return current.__wrapped__ if isinstance(current, FunctionWrapper) else current


def test_on_once_and_off_on_uninstrument(make_telemetry: Callable[..., Telemetry]) -> None:
    submit, start = _original(futures.ThreadPoolExecutor, "submit"), _original(threading.Thread, "start")
    make_telemetry()
    assert _context.is_on()
    _context.turn_on(True)  # a second time: no second layer
    wrapper = futures.ThreadPoolExecutor.__dict__["submit"]
    assert isinstance(wrapper, FunctionWrapper) and wrapper.__wrapped__ is submit
    assert threading.Thread.__dict__["start"].__wrapped__ is start

    otel_genai.uninstrument()

    assert not _context.is_on()
    assert futures.ThreadPoolExecutor.__dict__["submit"] is submit
    assert threading.Thread.__dict__["start"] is start


def test_shutdown_turns_it_off(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry()
    assert _context.is_on()
    telemetry.instrumentation.shutdown()
    assert not _context.is_on()
    assert not isinstance(futures.ThreadPoolExecutor.__dict__["submit"], FunctionWrapper)


def test_not_wrapped_twice_when_the_official_instrumentor_is_on(
    make_telemetry: Callable[..., Telemetry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_context, "_official_is_on", lambda: True)
    make_telemetry()
    assert not _context.is_on()
    assert not isinstance(futures.ThreadPoolExecutor.__dict__["submit"], FunctionWrapper)


def test_with_the_real_official_instrumentor(make_telemetry: Callable[..., Telemetry], client: Any) -> None:
    """``opentelemetry-instrumentation-threading`` turned on by the distro or the application: it does the
    work, we add nothing, and uninstrument() leaves it on."""
    threading_instrumentation = pytest.importorskip("opentelemetry.instrumentation.threading")
    official = threading_instrumentation.ThreadingInstrumentor()
    official.instrument()
    try:
        official_submit = futures.ThreadPoolExecutor.__dict__["submit"]
        telemetry = make_telemetry()
        assert not _context.is_on()
        assert futures.ThreadPoolExecutor.__dict__["submit"] is official_submit
        with futures.ThreadPoolExecutor(max_workers=1) as pool, request_span(telemetry):
            pool.submit(ask, client).result()
        assert_under(telemetry, named(telemetry, MODEL_SPAN))
        otel_genai.uninstrument()
        assert futures.ThreadPoolExecutor.__dict__["submit"] is official_submit
    finally:
        official.uninstrument()


def test_the_official_instrumentor_turned_on_after_us(
    make_telemetry: Callable[..., Telemetry], client: Any
) -> None:
    """Its wrapper goes over ours (both carry the same context: harmless); uninstrument() leaves its own."""
    threading_instrumentation = pytest.importorskip("opentelemetry.instrumentation.threading")
    telemetry = make_telemetry()
    assert _context.is_on()
    official = threading_instrumentation.ThreadingInstrumentor()
    official.instrument()
    try:
        with futures.ThreadPoolExecutor(max_workers=1) as pool, request_span(telemetry):
            pool.submit(ask, client).result()
        assert_under(telemetry, named(telemetry, MODEL_SPAN))
        otel_genai.uninstrument()
        assert isinstance(futures.ThreadPoolExecutor.__dict__["submit"], FunctionWrapper)  # theirs stays
        assert _context.is_on()  # ours, under theirs, cannot be taken out yet
    finally:
        official.uninstrument()
    otel_genai.uninstrument()  # now it can
    assert not _context.is_on()
    assert not isinstance(futures.ThreadPoolExecutor.__dict__["submit"], FunctionWrapper)
    assert not isinstance(threading.Thread.__dict__["start"], FunctionWrapper)


@pytest.mark.parametrize(
    ("keyword", "env", "expected"),
    [
        (None, {}, True),
        (None, {"OTEL_GENAI_PROPAGATE_CONTEXT": "false"}, False),
        (None, {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai, threading"}, False),
        (
            None,
            {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "threading", "OTEL_GENAI_PROPAGATE_CONTEXT": "1"},
            True,
        ),
        (True, {"OTEL_GENAI_PROPAGATE_CONTEXT": "false"}, True),
        (False, {}, False),
    ],
)
def test_setting(keyword: bool | None, env: dict[str, str], expected: bool) -> None:
    assert resolve(propagate_context=keyword, env=env).propagate_context is expected


def test_disabled_by_the_standard_variable(
    make_telemetry: Callable[..., Telemetry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "threading")
    make_telemetry()
    assert not _context.is_on()


def test_suppression_reaches_the_pool_thread(telemetry: Telemetry, client: Any) -> None:
    """``suppress_instrumentation()`` lives in the same context: a call in a pool under it is not traced."""
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with futures.ThreadPoolExecutor(max_workers=1) as pool, suppress_instrumentation():
        assert pool.submit(ask, client).result() == "ok"

    assert named(telemetry, MODEL_SPAN) == []


# --- LangGraph nodes ------------------------------------------------------------------------------------


def _ancestors(telemetry: Telemetry, span: ReadableSpan) -> list[str]:
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def _fan_out_graph(node: Callable[..., Any]) -> Any:
    from typing import TypedDict

    langgraph_graph = pytest.importorskip("langgraph.graph")

    class State(TypedDict, total=False):
        a: str
        b: str

    graph = langgraph_graph.StateGraph(State)
    graph.add_node("a", lambda state: {"a": node()})
    graph.add_node("b", lambda state: {"b": node()})
    graph.add_edge(langgraph_graph.START, "a")  # two branches from START: LangGraph runs them in its pool
    graph.add_edge(langgraph_graph.START, "b")
    return graph.compile()


@pytest.mark.parametrize("propagate", [True, False])
def test_langgraph_parallel_nodes_keep_the_parent(
    make_telemetry: Callable[..., Telemetry], client: Any, propagate: bool
) -> None:
    """LangGraph runs parallel sync nodes in its own executor, which copies the context itself: with or
    without our propagation, each node's model call is in the request's trace, beneath it."""
    telemetry = make_telemetry(propagate_context=propagate)
    graph = _fan_out_graph(lambda: ask(client))
    with request_span(telemetry):
        assert graph.invoke({}) == {"a": "ok", "b": "ok"}

    models = named(telemetry, MODEL_SPAN)
    assert len(models) == 2
    (parent,) = named(telemetry, "request")
    assert {m.context.trace_id for m in models} == {parent.context.trace_id}
    assert all("request" in _ancestors(telemetry, m) for m in models)


async def test_langgraph_async_nodes_keep_the_parent(telemetry: Telemetry, async_client: Any) -> None:
    from typing import TypedDict

    langgraph_graph = pytest.importorskip("langgraph.graph")

    class State(TypedDict, total=False):
        a: str
        b: str

    async def node_a(state: State) -> State:
        return {"a": await ask_async(async_client)}

    async def node_b(state: State) -> State:
        return {"b": await ask_async(async_client)}

    builder = langgraph_graph.StateGraph(State)
    builder.add_node("a", node_a)
    builder.add_node("b", node_b)
    builder.add_edge(langgraph_graph.START, "a")
    builder.add_edge(langgraph_graph.START, "b")
    with request_span(telemetry):
        assert await builder.compile().ainvoke({}) == {"a": "ok", "b": "ok"}

    models = named(telemetry, MODEL_SPAN)
    assert len(models) == 2
    (parent,) = named(telemetry, "request")
    assert {m.context.trace_id for m in models} == {parent.context.trace_id}
    assert all("request" in _ancestors(telemetry, m) for m in models)


def test_a_pool_worker_thread_keeps_no_context_of_its_own(telemetry: Telemetry) -> None:
    """The worker thread a submit starts gets no context: between work items it holds no request's spans."""
    seen: list[Any] = []
    with futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ctx-worker") as pool:
        with request_span(telemetry):
            pool.submit(lambda: None).result()  # starts the worker, under the request
        (worker,) = [t for t in threading.enumerate() if t.name.startswith("ctx-worker")]
        assert "run" not in vars(worker)
        pool.submit(lambda: seen.append(trace.get_current_span())).result()
    assert seen == [trace.INVALID_SPAN]


def test_a_process_pools_own_threads_keep_no_request_context(make_telemetry) -> None:
    """A ProcessPoolExecutor's manager and a queue's feeder threads live as long as the pool: they are not
    given the request's context (it would keep the span, and its content, alive)."""
    import concurrent.futures
    import threading

    make_telemetry()
    tracer = trace.get_tracer("app")
    before = set(threading.enumerate())
    with tracer.start_as_current_span("request"), concurrent.futures.ProcessPoolExecutor(1) as pool:
        assert pool.submit(abs, -3).result(timeout=60) == 3
        started = [t for t in threading.enumerate() if t not in before]
        assert started  # the pool's own threads
        assert all("run" not in vars(t) for t in started)  # not wrapped: no context held
