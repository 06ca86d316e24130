"""Check the OpenAI instrumentor against whichever openai release is installed (1.x, 2.x or 3.x).

`make test` runs against the newest openai only; this script is the quick check for older majors:

    python -m venv /tmp/oa1 && /tmp/oa1/bin/pip install 'openai<2' opentelemetry-sdk \
        opentelemetry-instrumentation wrapt && /tmp/oa1/bin/pip install --no-deps -e .
    /tmp/oa1/bin/python scripts/openai_compat.py

It drives the real client over its own mock transport (``httpx`` before openai 3, ``httpx2`` from 3 on)
and exits non-zero when a span or attribute is missing.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import json
import sys

import openai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_genai

http = importlib.import_module("httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx")
MODEL = "gpt-4o-mini"


def chat_body() -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL + "-2024",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": "{}"},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def chunks() -> bytes:
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": MODEL + "-2024"}
    events = [
        {**base, "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]} for w in "abc"
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events.append(
        {**base, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}
    )
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()


def answer(request):
    body = json.loads(request.content)
    path = request.url.path
    if path.endswith("/chat/completions"):
        if body.get("stream"):
            return http.Response(200, content=chunks(), headers={"content-type": "text/event-stream"})
        return http.Response(200, json=chat_body())
    if path.endswith("/embeddings"):
        data = [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}]
        usage = {"prompt_tokens": 3, "total_tokens": 3}
        return http.Response(200, json={"object": "list", "model": "emb", "data": data, "usage": usage})
    if path.endswith("/responses"):
        text = {"type": "output_text", "text": "hi", "annotations": []}
        output = [
            {"type": "message", "id": "m", "status": "completed", "role": "assistant", "content": [text]}
        ]
        usage = {
            "input_tokens": 4,
            "output_tokens": 1,
            "total_tokens": 5,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        body = {"id": "resp_1", "object": "response", "created_at": 1, "model": MODEL, "status": "completed"}
        body.update(output=output, usage=usage, parallel_tool_calls=True, tool_choice="auto", tools=[])
        return http.Response(200, json=body)
    return http.Response(404, json={"error": {"message": "no"}})


def main() -> int:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel_genai.instrument(tracer_provider=provider, exporter="none", capture_content=True)
    transport = http.MockTransport(answer)
    client = openai.OpenAI(api_key="x", http_client=http.Client(transport=transport), max_retries=0)
    messages = [{"role": "user", "content": "hi"}]
    problems = []

    def check(label: str, expect: dict) -> None:
        gc.collect()
        spans = exporter.get_finished_spans()
        exporter.clear()
        if len(spans) != 1:
            problems.append(f"{label}: {len(spans)} spans")
            return
        attributes = dict(spans[0].attributes or {})
        for key, value in expect.items():
            if attributes.get(key) != value:
                problems.append(f"{label}: {key}={attributes.get(key)!r}, expected {value!r}")
        print(f"ok  {label:28} {spans[0].name}")

    client.chat.completions.create(model=MODEL, messages=messages, temperature=0.5)
    check("chat", {"gen_ai.usage.input_tokens": 5, "otel_genai.response.tool_call.names": ("lookup",)})
    usage_option = {}
    if "stream_options" in inspect.signature(type(client.chat.completions).create).parameters:
        usage_option = {"stream_options": {"include_usage": True}}
    stream = client.chat.completions.create(model=MODEL, messages=messages, stream=True, **usage_option)
    assert isinstance(stream, openai.Stream)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "abc", text
    check("chat stream", {"gen_ai.usage.output_tokens": 3, "gen_ai.response.finish_reasons": ("stop",)})
    client.embeddings.create(model="emb", input="hi")
    check("embeddings", {"gen_ai.embeddings.dimension.count": 3})
    if hasattr(client, "responses"):
        client.responses.create(model=MODEL, input="hi")
        check("responses", {"gen_ai.usage.input_tokens": 4, "openai.api.type": "responses"})

    async def run_async() -> None:
        async_client = openai.AsyncOpenAI(
            api_key="x", http_client=http.AsyncClient(transport=transport), max_retries=0
        )
        await async_client.chat.completions.create(model=MODEL, messages=messages)
        check("async chat", {"gen_ai.usage.input_tokens": 5})
        stream = await async_client.chat.completions.create(model=MODEL, messages=messages, stream=True)
        async for _ in stream:
            pass
        check("async chat stream", {"gen_ai.request.stream": True})

    asyncio.run(run_async())
    otel_genai.uninstrument()
    client.chat.completions.create(model=MODEL, messages=messages)
    if exporter.get_finished_spans():
        problems.append("uninstrument left a wrapper")
    print(f"openai {openai.__version__}: {'OK' if not problems else 'PROBLEMS'}")
    for problem in problems:
        print("  -", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
