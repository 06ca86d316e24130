"""The demo (``make demo``, ``otel-genai demo``) and the fake OpenAI server it runs against."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.processes import trace_children
from otel_genai.demo.fake_openai_server import FakeOpenAIServer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# --- the demo -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_run() -> subprocess.CompletedProcess[str]:
    """Run ``examples/demo.py`` once, as ``make demo`` does, with no OpenTelemetry settings around."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "OPENAI_"))}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=EXAMPLES.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def demo_output(demo_run: subprocess.CompletedProcess[str]) -> str:
    return demo_run.stdout


def tree_lines(output: str) -> list[str]:
    """The printed trace: from its ``trace <id>`` header line to the end."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("trace "))
    return lines[start:]


def test_demo_prints_one_trace_with_the_expected_spans(demo_output: str) -> None:
    tree = tree_lines(demo_output)
    assert "service=support-bot-demo" in tree[0]
    assert tree[1].startswith("support_request  ")
    # support_request holds the bot's agent span; the agent's loop, in the order it ran, under it
    assert trace_children(tree) == ["invoke_agent support-bot"]
    assert agent_children(tree) == [
        "embeddings text-embedding-3-small",
        "retrieval help-articles",
        "chat gpt-4o-mini",
        "execute_tool get_order_status",
        "chat gpt-4o-mini",
    ]
    assert sum(line.startswith("trace ") for line in demo_output.splitlines()) == 1


def test_demo_tree_shows_the_tool_call_and_token_counts(demo_output: str) -> None:
    tree = "\n".join(tree_lines(demo_output))
    assert "tool_calls=get_order_status" in tree
    assert "finish=tool_calls" in tree and "finish=stop" in tree
    assert re.search(r"model=text-embedding-3-small\s+tokens in=\d+\s+cost=~\$[\d.]+\s+dimensions=256", tree)
    chats = [
        re.search(r"tokens in=(\d+) out=(\d+)", d[0])
        for d in span_details(tree.splitlines(), "chat gpt-4o-mini")
    ]
    assert len(chats) == 2 and all(chats)  # both chat calls
    # the agent's usage is the sum of its model calls'
    [agent] = span_details(tree.splitlines(), "invoke_agent support-bot")
    summed = [sum(int(c.group(i)) for c in chats if c) for i in (1, 2)]
    assert f"tokens in={summed[0]} out={summed[1]}" in agent[0]
    assert "first_chunk=" in tree  # the streamed answer


def test_demo_tree_shows_the_retrieved_articles_and_their_distances(demo_output: str) -> None:
    tree = "\n".join(tree_lines(demo_output))
    looked_up = re.search(r"looked up help articles: (kb-\S+), (kb-\S+)\)", demo_output)
    assert looked_up, demo_output
    first, second = looked_up.groups()
    # the ids the application got, in its order, with Chroma's cosine distances, said to be distances
    assert re.search(rf"db=chroma\s+top_k=2\s+rows=2\s+hits: {first} \([\d.]+\), {second} \([\d.]+\)", tree)
    assert "[distance cosine]" in tree


def test_demo_tool_span_is_linked_to_the_models_tool_call(demo_output: str) -> None:
    tree = "\n".join(tree_lines(demo_output))
    asked = re.search(r"\(calls get_order_status\(.*\), call id (call_\w+)\)", demo_output)
    assert asked, demo_output
    # the tool span carries the id of the call the model made, and what ran with which arguments and result
    ran = re.search(r"tool=get_order_status\s+call_id=(call_\w+)", tree)
    assert ran, tree
    assert ran.group(1) == asked.group(1)
    assert 'arguments: {"order_id":"A-1042"}' in tree
    assert '"status":"shipped"' in tree


def test_demo_trace_shows_content_with_the_fake_pii_redacted(demo_output: str) -> None:
    tree = "\n".join(tree_lines(demo_output))
    conversation = demo_output.split("The trace, as it was exported")[0]
    for pii in ("Jane Doe", "jane.doe@example.com", "555-0147", "1742 Evergreen Terrace"):
        assert pii in conversation  # the application itself saw and printed it
        assert pii not in tree  # the exported trace did not
    for placeholder in ("<PERSON>", "<EMAIL_ADDRESS>", "<PHONE_NUMBER>", "<STREET_ADDRESS>"):
        assert placeholder in tree
    assert "Where is my order A-1042?" in tree  # the rest of the prompt is intact
    assert "[result]" in tree  # the tool result sent back to the model
    assert "Thanks for waiting!" in demo_output  # the streamed answer, printed as it arrived


def headline(line: str) -> str | None:
    """The span headline a tree line starts, at any depth (``│  ├─ name  ...``), else None."""
    match = re.match(r"^[│ ]*[├└]─ (.*)$", line)
    return match.group(1) if match else None


def span_details(tree: list[str], name: str) -> list[list[str]]:
    """The detail lines of every span whose headline starts with ``name`` (tree glyphs stripped)."""
    found = []
    for index, line in enumerate(tree):
        if (headline(line) or "").startswith(name + "  "):
            details = []
            for detail in tree[index + 1 :]:
                if headline(detail) is not None:
                    break
                details.append(detail.lstrip("│ ").strip())
            found.append(details)
    return found


def agent_children(tree: list[str]) -> list[str]:
    """The names of the agent span's children (one level below the root's only child)."""
    return [line[6:].split("  ")[0] for line in tree if line.startswith(("   ├─ ", "   └─ "))]


def dollars(text: str) -> float:
    match = re.search(r"cost=~\$([\d.]+)", text)
    assert match, text
    return float(match.group(1))


def test_demo_tree_shows_the_release_attribution_and_total_cost(demo_run: Any) -> None:
    from otel_genai.demo.app import RELEASE, SESSION, TENANT, USER, USER_ID_SECRET
    from otel_genai.llmops.attribution import Pseudonymizer

    tree = tree_lines(demo_run.stdout)
    release = RELEASE["release"]
    pseudo_id = Pseudonymizer(USER_ID_SECRET)(USER)
    summary = tree[2]
    assert summary.startswith("│  release=")  # under the root span, before its children
    assert summary[3:].startswith(
        f"release={release['feature']}@{release['version']}  tenant={TENANT}  session={SESSION}  "
        f"user={pseudo_id[:8]}…  total cost=~$"
    )
    assert summary.endswith("(3 calls)")  # the embedding and the two chat calls
    costs = [dollars(line) for line in tree if "cost=" in line and "total cost" not in line]
    assert len(costs) == 3
    assert dollars(summary) == pytest.approx(sum(costs), rel=0.01)  # each shown to 3 significant digits
    output = demo_run.stdout + demo_run.stderr
    assert USER not in output  # the raw user id never leaves the process
    assert pseudo_id not in output  # and the pseudo id is shortened in the tree
    assert "secret" not in demo_run.stderr  # no warning about a missing user-id secret


def test_demo_model_calls_are_priced_from_the_shipped_table(demo_output: str) -> None:
    from otel_genai.demo.app import CHAT_MODEL
    from otel_genai.llmops.prices import PriceTable

    price = PriceTable.load(None).price("openai", CHAT_MODEL)
    assert price is not None
    chats = span_details(tree_lines(demo_output), f"chat {CHAT_MODEL}")
    assert len(chats) == 2
    for details in chats:
        tokens = re.search(r"tokens in=(\d+) out=(\d+)", details[0])
        assert tokens, details
        expected = (int(tokens[1]) * price.input + int(tokens[2]) * (price.output or 0)) / 1_000_000
        assert dollars(details[0]) == pytest.approx(expected, rel=0.01)


def test_demo_model_spans_name_their_prompt_and_fingerprints(demo_output: str) -> None:
    from otel_genai.demo.app import CHAT_MODEL, PROMPT_NAME, PROMPT_VERSION

    chats = span_details(tree_lines(demo_output), f"chat {CHAT_MODEL}")
    prompts = [details[1] for details in chats]
    for line in prompts:
        assert re.fullmatch(
            rf"prompt={PROMPT_NAME}@{PROMPT_VERSION}  "
            r"fingerprints: system=[0-9a-f]{16} tools=[0-9a-f]{16}",
            line,
        ), line
    assert prompts[0] == prompts[1]  # the same system prompt and tools: the same fingerprints


def test_demo_marks_only_the_deliberately_drifted_call(demo_output: str) -> None:
    from otel_genai.demo.app import CHAT_MODEL, DRIFTED_TEMPERATURE, MODEL_SETTINGS

    tree = tree_lines(demo_output)
    assert sum("drift:" in line for line in tree) == 1
    first, streamed = span_details(tree, f"chat {CHAT_MODEL}")
    assert not any("drift" in line for line in first)  # matches the release: no drift
    assert (
        streamed[2] == f"drift: temperature={DRIFTED_TEMPERATURE} (release: {MODEL_SETTINGS['temperature']})"
    )


def test_demo_evaluates_its_answers_under_the_model_calls(demo_output: str) -> None:
    """The demo's online evaluators: the tool call's arguments against the tool's schema, the streamed
    answer's groundedness in the retrieved help articles (the order status comes from the tool, not the
    articles: one of its two claims is supported)."""
    from otel_genai.demo.app import CHAT_MODEL

    tool_call, streamed = span_details(tool_lines := tree_lines(demo_output), f"chat {CHAT_MODEL}")
    assert "evaluation schema_valid 1.00 valid" in tool_call
    assert not any("groundedness" in line for line in tool_call)  # a tool call alone makes no claim
    assert "evaluation groundedness 0.50 partially_grounded: 1 of 2 claims supported" in streamed
    assert sum("evaluation " in line for line in tool_lines) == 2


# --- the fake server alone ----------------------------------------------------------------------

ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_order_status",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def openai_client(server: Any) -> Any:
    import openai

    return openai.OpenAI(base_url=server.base_url, api_key="sk-local", max_retries=0)


def test_fake_server_asks_for_a_tool_then_streams_the_answer(openai_client: Any) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What is the status of order A-1042?"}]
    first = openai_client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=[ORDER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert first.model == "gpt-4o-mini-2024-07-18"
    assert first.system_fingerprint and first.service_tier == "default"
    assert first.usage.prompt_tokens > 0 and first.usage.completion_tokens > 0
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_order_status"
    assert json.loads(call.function.arguments) == {"order_id": "A-1042"}

    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call.id, "type": "function", "function": call.function.model_dump()}],
        }
    )
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"status": "shipped"})})
    stream = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        tools=[ORDER_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "status: shipped" in text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_fake_server_is_deterministic(openai_client: Any) -> None:
    def ask() -> Any:
        return openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
        )

    first, second = ask(), ask()
    assert first.id == second.id
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].finish_reason == "stop"


def test_fake_server_streams_without_usage_unless_asked(openai_client: Any) -> None:
    chunks = list(
        openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    )
    assert all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_fake_server_embeddings_follow_the_text_and_dimensions(openai_client: Any) -> None:
    response = openai_client.embeddings.create(
        model="text-embedding-3-small", input=["refund policy", "refund policy", "shipping"], dimensions=64
    )
    vectors = [item.embedding for item in response.data]
    assert [len(v) for v in vectors] == [64, 64, 64]
    assert vectors[0] == vectors[1] != vectors[2]
    assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-3  # unit length
    assert response.usage.prompt_tokens > 0
    floats = openai_client.embeddings.create(
        model="text-embedding-3-small", input="refund policy", dimensions=64, encoding_format="float"
    )
    assert floats.data[0].embedding == pytest.approx(vectors[0], abs=1e-6)


def test_fake_server_responses_api(openai_client: Any) -> None:
    response = openai_client.responses.create(model="gpt-4o-mini", input="Hello there")
    assert response.status == "completed"
    assert "Hello there" in response.output_text
    assert response.usage.input_tokens > 0

    tools = [
        {"type": "function", "name": "get_order_status", "parameters": ORDER_TOOL["function"]["parameters"]}
    ]
    asked = openai_client.responses.create(model="gpt-4o-mini", input="Where is order 12345?", tools=tools)
    assert asked.output[0].type == "function_call"
    assert json.loads(asked.output[0].arguments) == {"order_id": "12345"}


def test_fake_server_answers_unknown_paths_with_an_api_error(openai_client: Any) -> None:
    import openai

    with pytest.raises(openai.NotFoundError):
        openai_client.post("/nowhere", body={}, cast_to=object)
