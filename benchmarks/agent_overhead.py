"""What tracing an agent run adds, per run and per step: our own ``otel_genai.agent`` loop, a LangGraph ReAct
agent and an OpenAI Agents SDK run, each two model calls and one tool (three steps), the model answered
locally (the real openai client over an in-process transport).

One process, instrumented once (in-memory span pipeline); blocks of runs alternate between traced and bare
(under ``suppress_instrumentation()``), so both see the same machine state; the median block is reported,
with the added time per run and per step and the ratio to bare. Run: ``make bench-agents``.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.pop("OPENAI_API_KEY", None)

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

import otel_genai  # noqa: E402
from helpers.openai_fakes import FakeOpenAI, chat_completion, openai_http, responses_body, tool_call  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
RUNS_PER_BLOCK = int(os.environ.get("BENCH_RUNS", "40"))
STEPS = 3  # model, tool, model
RESULTS = ROOT / "benchmarks" / "results" / "agent_overhead.txt"


def chat_answers(fake: FakeOpenAI) -> None:
    fake.routes.clear()
    asks = chat_completion(
        None, tool_calls=[tool_call("call_1", "lookup", {"order": "A-1"})], finish_reason="tool_calls"
    )
    fake.reply("/chat/completions", asks)
    fake.reply("/chat/completions", chat_completion("Shipped."))


def own_loop() -> Callable[[], None]:
    import openai

    fake = FakeOpenAI()
    httpx = openai_http()
    client = openai.OpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(fake)),
    )

    def lookup(order: str) -> str:
        return "shipped"

    traced_lookup = otel_genai.tool(lookup)

    def run() -> None:
        chat_answers(fake)
        with otel_genai.agent("support-bot"):
            messages: list[Any] = [{"role": "user", "content": "Where is A-1?"}]
            first = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            call = first.choices[0].message.tool_calls[0]
            result = traced_lookup(**json.loads(call.function.arguments))
            messages += [
                first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call.id, "content": result},
            ]
            client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    return run


def langgraph_agent() -> Callable[[], None]:
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    fake = FakeOpenAI()
    httpx = openai_http()
    model = ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(fake)),
    )

    @tool
    def lookup(order: str) -> str:
        """Look up an order."""
        return "shipped"

    agent = create_react_agent(model, [lookup])

    def run() -> None:
        chat_answers(fake)
        agent.invoke({"messages": [("user", "Where is A-1?")]})

    return run


def agents_sdk() -> Callable[[], None]:
    import openai
    from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_trace_processors

    set_trace_processors([])  # the SDK's own upload: off (no network, no key)
    fake = FakeOpenAI()
    httpx = openai_http()
    client = openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake)),
    )

    @function_tool
    def lookup(order: str) -> str:
        """Look up an order."""
        return "shipped"

    agent = Agent(
        name="support-bot",
        instructions="Help.",
        tools=[lookup],
        model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
    )
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "lookup",
        "arguments": json.dumps({"order": "A-1"}),
        "status": "completed",
    }
    loop = asyncio.new_event_loop()

    def run() -> None:
        fake.routes.clear()
        fake.reply("/responses", responses_body(output=[call]))
        fake.reply("/responses", responses_body("Shipped."))
        loop.run_until_complete(Runner.run(agent, "Where is A-1?"))

    return run


def block(run: Callable[[], None], runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        run()
    return (time.perf_counter() - start) / runs


def measure(name: str, make: Callable[[], Callable[[], None]]) -> dict[str, Any] | None:
    """Instrumented once; bare blocks run under OpenTelemetry's ``suppress_instrumentation()`` (what is left
    of us there is each wrapper's check of it, well under a microsecond), so that objects a library built
    while instrumented (openai's cached ``with_raw_response``, which LangChain calls through) are measured
    the way an application runs them."""
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    otel_genai.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider, exporter="none")
    try:
        try:
            run = make()
        except ImportError as error:
            print(f"{name}: skipped ({error})")
            return None
        bare: list[float] = []
        traced: list[float] = []
        block(run, 10)  # warm both paths
        with suppress_instrumentation():
            block(run, 10)
        exporter.clear()
        for _ in range(ROUNDS):
            with suppress_instrumentation():
                bare.append(block(run, RUNS_PER_BLOCK))
            assert not exporter.get_finished_spans(), "a span under suppression"
            traced.append(block(run, RUNS_PER_BLOCK))
            spans_per_run = len(exporter.get_finished_spans()) // RUNS_PER_BLOCK
            exporter.clear()
    finally:
        otel_genai.uninstrument()
    bare_median, traced_median = statistics.median(bare), statistics.median(traced)
    added = traced_median - bare_median
    return {
        "name": name,
        "bare_us": bare_median * 1e6,
        "traced_us": traced_median * 1e6,
        "added_us": added * 1e6,
        "added_per_step_us": added * 1e6 / STEPS,
        "ratio": traced_median / bare_median,
        "spans_per_run": spans_per_run,
    }


def main() -> int:
    results = [
        r
        for r in (
            measure("own loop (otel_genai.agent)", own_loop),
            measure("LangGraph create_react_agent", langgraph_agent),
            measure("OpenAI Agents SDK Runner.run", agents_sdk),
        )
        if r is not None
    ]
    header = (
        f"agent run overhead: 2 model calls + 1 tool per run, model answered in process; {ROUNDS} rounds x "
        f"{RUNS_PER_BLOCK} runs, bare (suppressed) and traced blocks alternating\n"
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} · Python {platform.python_version()} · "
        f"{os.cpu_count()} CPUs\n\n"
        f"{'scenario':32s} {'bare µs':>9s} {'traced µs':>10s} {'added µs':>9s} {'per step':>9s} "
        f"{'x bare':>7s} "
        f"{'spans':>6s}\n"
    )
    lines = [
        f"{r['name']:32s} {r['bare_us']:9.0f} {r['traced_us']:10.0f} {r['added_us']:+9.0f} "
        f"{r['added_per_step_us']:+9.0f} {r['ratio']:7.3f} {r['spans_per_run']:6d}"
        for r in results
    ]
    text = header + "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
