"""Prompt and tool-definition fingerprints (``llmops/fingerprint.py``) and the readers that feed them.

The two functions first: 16 hex characters of BLAKE2b-64, the same in another process (another hash seed),
the same for the same text in every SDK shape, changed by a one-word edit, never fed a user message, never
raising. Then every provider through its real client with its HTTP answered locally, content capture OFF:
the exported span carries ``otel_genai.prompt.fingerprint`` / ``otel_genai.tool.definitions.fingerprint``
of the request's system instructions and tools, and ``usage.cost`` from an OpenAI-compatible router is
the call's reported price.

Expected values are computed here from the text and the schema with ``hashlib`` and ``json``, not with the
module under test, wherever the canonical form is plain JSON.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from helpers.openai_fakes import MODEL, chat_chunks, chat_completion, responses_body, sse
from helpers.processes import subprocess_env
from otel_genai.llmops.fingerprint import instructions_fingerprint, system_messages, tools_fingerprint
from otel_genai.telemetry.handler import TelemetryHandler

PROMPT_FINGERPRINT = "otel_genai.prompt.fingerprint"
TOOLS_FINGERPRINT = "otel_genai.tool.definitions.fingerprint"

SYSTEM = "You are a support assistant for ACME. Answer in two sentences and cite the knowledge base."
EDITED = "You are a support assistant for ACME. Answer in three sentences and cite the knowledge base."
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "The city."}},
    "required": ["city"],
}
OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": WEATHER_PARAMETERS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Local time in a city.",
            "parameters": WEATHER_PARAMETERS,
        },
    },
]
# The same in Gemini's own Schema shape (every google-genai release; parameters_json_schema is newer)
GEMINI_PARAMETERS = {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


# A matrix leg installs one client library: each provider's tests skip where it is missing.
needs_openai = pytest.mark.skipif(not _installed("openai"), reason="openai is not installed")
needs_anthropic = pytest.mark.skipif(not _installed("anthropic"), reason="anthropic is not installed")
needs_google_genai = pytest.mark.skipif(
    not _installed("google.genai"), reason="google-genai is not installed"
)
needs_botocore = pytest.mark.skipif(not _installed("botocore"), reason="botocore is not installed")


def blake(text: str) -> str:
    """What the fingerprint of ``text`` must be: BLAKE2b with an 8-byte digest of its UTF-8 bytes."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def schema_fingerprint(tools: Any) -> str:
    """What the fingerprint of a JSON tool schema must be: its sorted, compact JSON, hashed."""
    return blake(json.dumps(tools, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


# === instructions_fingerprint =======================================================================


def test_a_fingerprint_is_sixteen_hex_characters_of_blake2b():
    fingerprint = instructions_fingerprint(SYSTEM)

    assert fingerprint == blake(SYSTEM)
    assert len(fingerprint) == 16
    assert fingerprint == fingerprint.lower()
    int(fingerprint, 16)


def test_non_ascii_text_is_hashed_as_utf8():
    text = "Réponds en français, s'il te plaît. 答えは短く。"

    assert instructions_fingerprint(text) == blake(text)


def test_a_one_word_edit_changes_the_fingerprint():
    assert instructions_fingerprint(SYSTEM) != instructions_fingerprint(EDITED)
    assert instructions_fingerprint([{"type": "text", "text": SYSTEM}]) != instructions_fingerprint(
        [{"type": "text", "text": EDITED}]
    )


@pytest.mark.parametrize(
    "empty", [None, "", [], (), {}, [{"cachePoint": {"type": "default"}}], [{"text": ""}]]
)
def test_no_instruction_text_is_no_fingerprint(empty):
    assert instructions_fingerprint(empty) is None


def gemini_shapes() -> list[Any]:
    """Gemini's own shapes, where google-genai is installed (a matrix leg may have only one SDK)."""
    try:
        from google.genai import types
    except ImportError:
        return []
    return [
        types.Content(parts=[types.Part(text=SYSTEM)]),
        types.Content(role="system", parts=[types.Part.from_text(text=SYSTEM)]),
        types.Part(text=SYSTEM),
        [types.Part(text=SYSTEM)],
        {"parts": [{"text": SYSTEM}]},
    ]


def sdk_model_shapes() -> list[Any]:
    try:
        from anthropic.types import TextBlock
    except ImportError:
        return []
    return [TextBlock(type="text", text=SYSTEM), [TextBlock(type="text", text=SYSTEM)]]


@pytest.mark.parametrize(
    "shape",
    [
        [SYSTEM],
        [{"type": "text", "text": SYSTEM}],  # Anthropic, OpenAI content parts
        [
            {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}
        ],  # Anthropic prompt caching
        [{"text": SYSTEM}, {"cachePoint": {"type": "default"}}],  # Bedrock Converse
        [{"guardContent": {"text": {"text": SYSTEM, "qualifiers": ["guard_content"]}}}],  # Bedrock guard
        [{"role": "system", "content": SYSTEM}],  # chat messages
        [{"role": "developer", "content": [{"type": "text", "text": SYSTEM}]}],
        [{"type": "message", "role": "system", "content": [{"type": "input_text", "text": SYSTEM}]}],
        *gemini_shapes(),
        *sdk_model_shapes(),
    ],
)
def test_the_same_text_in_any_sdk_shape_has_the_fingerprint_of_the_text(shape):
    assert instructions_fingerprint(shape) == blake(SYSTEM)


def test_several_blocks_are_their_texts_joined_by_newlines():
    first, second = "You are terse.", "Always answer in French."
    joined = blake(f"{first}\n{second}")

    assert instructions_fingerprint([{"text": first}, {"cachePoint": {}}, {"text": second}]) == joined
    assert (
        instructions_fingerprint(
            [{"role": "system", "content": first}, {"role": "developer", "content": second}]
        )
        == joined
    )
    assert instructions_fingerprint(f"{first}\n{second}") == joined
    # the order of the blocks is part of the prompt
    assert instructions_fingerprint([{"text": second}, {"text": first}]) != joined


def test_plain_chat_messages_are_read_as_the_general_walk_reads_them():
    """The shortcut for plain ``{"role", "content": str}`` dicts gives what walking the value gives, and
    hands every other shape (a text block, a guard, a content list, parts, an empty or missing content)
    to the walk."""
    from otel_genai.llmops import fingerprint

    def walked(value):
        pieces = []
        fingerprint._collect_text(value, pieces, 0)
        text = "\n".join(piece for piece in pieces if piece)
        return blake(text) if text else None

    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "system", "content": ""},
        {"role": "developer", "content": "Answer in French."},
        {"role": "system", "content": None, "parts": ["From parts."]},
        {"role": "system", "text": "A block's text.", "content": "not this"},
        {"role": "system", "text": None, "content": "a null text key"},
        {"role": "system", "guardContent": {"text": {"text": "Guarded."}}},
        {"role": "system", "content": [{"type": "text", "text": "A content list."}]},
        {"role": "system"},
    ]
    shapes = [[m] for m in messages] + [messages[:3], messages, messages[:1] * 3, [messages[2], messages[0]]]
    for shape in shapes:
        assert instructions_fingerprint(shape) == walked(shape), shape
        assert instructions_fingerprint(tuple(shape)) == walked(shape), shape


def test_images_in_the_system_part_do_not_count_as_text():
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}

    assert instructions_fingerprint([{"type": "text", "text": SYSTEM}, image]) == blake(SYSTEM)
    assert instructions_fingerprint([image]) is None


def test_system_messages_leave_user_and_assistant_messages_out():
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "My card number is 4111 1111 1111 1111."},
        {"role": "assistant", "content": "I cannot help with that."},
    ]
    other_user = [messages[0], {"role": "user", "content": "Something else entirely."}]

    assert system_messages(messages) == [messages[0]]
    assert instructions_fingerprint(functools.partial(system_messages, messages)) == blake(SYSTEM)
    assert instructions_fingerprint(functools.partial(system_messages, other_user)) == blake(SYSTEM)
    assert instructions_fingerprint(functools.partial(system_messages, messages[1:])) is None


@needs_openai
def test_system_messages_read_sdk_models_too():
    from openai.types.chat import ChatCompletionMessage

    assistant = ChatCompletionMessage(role="assistant", content="Earlier answer.")
    messages = [{"role": "developer", "content": SYSTEM}, assistant, {"role": "user", "content": "Hi"}]

    assert system_messages(messages) == [messages[0]]


def test_a_lazy_source_is_called_when_the_fingerprint_is_taken():
    calls = []

    def source() -> str:
        calls.append(1)
        return SYSTEM

    assert calls == []
    assert instructions_fingerprint(source) == blake(SYSTEM)
    assert calls == [1]


def test_the_same_prompt_string_is_hashed_once(monkeypatch):
    """The common case (the same system prompt on every call) is served from the cache."""
    from otel_genai.llmops import fingerprint as module

    prompt = f"{SYSTEM} (cache test {id(object())})"
    expected, edited = blake(prompt), blake(prompt + " Edited.")
    first = instructions_fingerprint(prompt)
    hashed = []
    blake2b = hashlib.blake2b
    monkeypatch.setattr(module.hashlib, "blake2b", lambda *a, **k: hashed.append(a) or blake2b(*a, **k))

    assert instructions_fingerprint(prompt) == first == expected
    assert hashed == []
    assert instructions_fingerprint(prompt + " Edited.") == edited
    assert len(hashed) == 1


# === tools_fingerprint ==============================================================================


def test_a_tool_schema_is_hashed_as_sorted_compact_json():
    assert tools_fingerprint(OPENAI_TOOLS) == schema_fingerprint(OPENAI_TOOLS)


def test_key_order_does_not_change_the_tool_fingerprint():
    reordered = [
        {"function": {"parameters": WEATHER_PARAMETERS, "description": t["function"]["description"],
                      "name": t["function"]["name"]}, "type": "function"}
        for t in OPENAI_TOOLS
    ]  # fmt: skip

    assert tools_fingerprint(reordered) == tools_fingerprint(OPENAI_TOOLS)


def edited_tools(edit: str) -> list[dict[str, Any]]:
    tools = json.loads(json.dumps(OPENAI_TOOLS))
    function = tools[0]["function"]
    if edit == "order":
        tools.reverse()
    elif edit == "description":
        function["description"] = "Current weather for a town."
    elif edit == "parameter type":
        function["parameters"]["properties"]["city"]["type"] = "integer"
    elif edit == "required":
        function["parameters"]["required"] = []
    elif edit == "name":
        function["name"] = "weather"
    elif edit == "added tool":
        tools.append({"type": "function", "function": {"name": "noop", "parameters": {}}})
    return tools


@pytest.mark.parametrize("edit", ["order", "description", "parameter type", "required", "name", "added tool"])
def test_any_change_to_the_tools_changes_the_fingerprint(edit):
    assert tools_fingerprint(edited_tools(edit)) != tools_fingerprint(OPENAI_TOOLS)


@pytest.mark.parametrize("empty", [None, [], (), {}])
def test_no_tools_is_no_fingerprint(empty):
    assert tools_fingerprint(empty) is None


@needs_google_genai
def test_sdk_models_are_hashed_as_their_fields_that_were_set():
    """A Gemini ``Tool`` model and the dict the application could have written instead agree."""
    from google.genai import types

    declaration = {
        "name": "get_weather",
        "description": "Current weather.",
        "parameters": GEMINI_PARAMETERS,
    }
    model = types.Tool(function_declarations=[types.FunctionDeclaration(**declaration)])

    assert tools_fingerprint([model]) == schema_fingerprint([{"function_declarations": [declaration]}])
    assert tools_fingerprint([model]) == tools_fingerprint(
        [types.Tool.model_validate({"function_declarations": [declaration]})]
    )


@needs_google_genai
def test_enums_are_hashed_as_their_values():
    from google.genai import types

    schema = types.Schema(type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)})

    assert tools_fingerprint([schema]) == schema_fingerprint(
        [{"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}]
    )


TOOL_MODULE = '''
"""Tools a Gemini application hands to automatic function calling."""

_SENTINEL = object()


def get_weather(city: str, unit: str = "celsius", marker: object = _SENTINEL) -> str:
    """Current weather for a city."""
    return city


def get_time(city: str) -> str:
    """Local time in a city."""
    return city
'''


@pytest.fixture
def tool_module(tmp_path, monkeypatch):
    """A module of tool functions, importable here and in a child process."""
    (tmp_path / "fingerprint_tools.py").write_text(TOOL_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fingerprint_tools", raising=False)
    import fingerprint_tools

    return fingerprint_tools


def test_functions_are_described_by_name_signature_and_docstring(tool_module):
    fingerprint = tools_fingerprint([tool_module.get_weather, tool_module.get_time])

    assert fingerprint is not None
    assert fingerprint != tools_fingerprint([tool_module.get_time, tool_module.get_weather])

    def get_weather(city: str, unit: str = "celsius") -> str:
        """Current weather for a city, in the unit asked."""
        return city

    changed_doc = tools_fingerprint([get_weather])
    get_weather.__doc__ = "Current weather for a city."
    assert tools_fingerprint([get_weather]) != changed_doc


def test_a_named_function_is_a_tool_not_a_lazy_source():
    calls = []

    def list_files() -> list[str]:
        """Lists the files."""
        calls.append(1)
        return []

    assert tools_fingerprint(list_files) is not None
    assert tools_fingerprint(lambda: [list_files]) == tools_fingerprint([list_files])
    assert calls == []


STABILITY_PROGRAM = """
import json, sys
from otel_genai.llmops.fingerprint import instructions_fingerprint, tools_fingerprint
import fingerprint_tools
cases = json.loads(sys.stdin.read())
print(json.dumps({
    "instructions": [instructions_fingerprint(case) for case in cases["instructions"]],
    "tools": [tools_fingerprint(case) for case in cases["tools"]],
    "functions": tools_fingerprint([fingerprint_tools.get_weather, fingerprint_tools.get_time]),
}))
"""


def test_fingerprints_are_the_same_in_another_process_with_another_hash_seed(tool_module, tmp_path):
    cases = {
        "instructions": [
            SYSTEM,
            [{"text": SYSTEM}, {"cachePoint": {}}],
            [{"role": "system", "content": EDITED}],
        ],
        "tools": [OPENAI_TOOLS, {"b": 1, "a": [3, 2, 1], "c": {"z": None, "y": "é"}}],
    }
    here = {
        "instructions": [instructions_fingerprint(case) for case in cases["instructions"]],
        "tools": [tools_fingerprint(case) for case in cases["tools"]],
        "functions": tools_fingerprint([tool_module.get_weather, tool_module.get_time]),
    }
    env = subprocess_env()
    env["PYTHONHASHSEED"] = str(int(os.environ.get("PYTHONHASHSEED", "0") or 0) + 12345)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *sys.path])

    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(STABILITY_PROGRAM)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )

    assert json.loads(child.stdout) == here
    assert None not in here["instructions"] + here["tools"]


# === never raising ==================================================================================


class Exploding:
    @property
    def text(self) -> str:
        raise RuntimeError("boom")

    def model_dump(self, **_: Any) -> Any:
        raise RuntimeError("boom")


def failing_source() -> Any:
    raise RuntimeError("the lazy source failed")


def test_failures_give_no_fingerprint_and_are_logged_at_debug(caplog):
    cycle: list[Any] = []
    cycle.append(cycle)
    deep: Any = SYSTEM
    for _ in range(200):
        deep = [deep]

    with caplog.at_level(logging.DEBUG, logger="otel_genai"):
        assert instructions_fingerprint(Exploding()) is None
        assert instructions_fingerprint(failing_source) is None
        assert instructions_fingerprint(cycle) is None
        assert instructions_fingerprint(deep) is None
        assert tools_fingerprint([Exploding()]) is None
        assert tools_fingerprint(lambda: failing_source()) is None
        assert tools_fingerprint(cycle) is None

    assert caplog.records
    assert all(record.levelno == logging.DEBUG for record in caplog.records)


def test_objects_without_a_schema_are_named_by_their_type_never_their_repr():
    class Session:  # what an MCP ClientSession looks like to the fingerprint: no schema, an address in repr
        pass

    assert tools_fingerprint([Session()]) == tools_fingerprint([Session()])


# === the readers, through the real clients, content capture off ======================================


def span_attributes(telemetry: Any) -> dict[str, Any]:
    return dict(telemetry.span().attributes)


def wired(attributes: dict[str, Any]) -> None:
    """The handler puts the fingerprints on spans (``llmops.engine``); name what is missing if it does not."""
    assert PROMPT_FINGERPRINT in attributes or TOOLS_FINGERPRINT in attributes, (
        f"no fingerprint attribute on the span: {sorted(attributes)}"
    )


@pytest.fixture
def finished(monkeypatch) -> list[Any]:
    """Every record the handler finished (spied on, behaviour unchanged)."""
    records: list[Any] = []
    original = TelemetryHandler.finish

    def spy(self: TelemetryHandler, record: Any, *args: Any, **kwargs: Any) -> Any:
        records.append(record)
        return original(self, record, *args, **kwargs)

    monkeypatch.setattr(TelemetryHandler, "finish", spy)
    return records


# --- OpenAI Chat Completions ---


@needs_openai
def test_openai_chat_fingerprints_the_system_message_and_tools(telemetry, client, fake_openai):
    fake_openai.reply("/chat/completions", chat_completion())

    client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Weather in Paris?"}],
        tools=OPENAI_TOOLS,
    )

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert attributes[TOOLS_FINGERPRINT] == schema_fingerprint(OPENAI_TOOLS)
    assert SYSTEM not in json.dumps(attributes)  # the prompt itself is not exported (content is off)


@needs_openai
def test_openai_chat_user_messages_do_not_change_the_fingerprint(telemetry, client, fake_openai):
    fake_openai.reply("/chat/completions", chat_completion())
    conversations = [
        [
            {"role": "developer", "content": [{"type": "text", "text": SYSTEM}]},
            {"role": "user", "content": "Hi"},
        ],
        [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Sunny."},
            {"role": "user", "content": "And in Rome?"},
        ],
    ]

    for messages in conversations:
        client.chat.completions.create(model=MODEL, messages=messages)
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": SYSTEM}])

    first, second, user_only = (dict(span.attributes) for span in telemetry.spans())
    wired(first)
    assert first[PROMPT_FINGERPRINT] == second[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert PROMPT_FINGERPRINT not in user_only  # a user message is never hashed, even one with that text
    assert TOOLS_FINGERPRINT not in first


@needs_openai
def test_openai_chat_deprecated_functions_are_the_tool_schema(telemetry, client, fake_openai):
    fake_openai.reply("/chat/completions", chat_completion())
    functions = [tool["function"] for tool in OPENAI_TOOLS]

    client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hi"}], functions=functions
    )

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[TOOLS_FINGERPRINT] == schema_fingerprint(functions)


@needs_openai
def test_openai_chat_stream_carries_the_fingerprints(telemetry, client, fake_openai):
    fake_openai.reply("/chat/completions", stream=sse(chat_chunks(["Hello", "!"])))

    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hi"}],
        tools=OPENAI_TOOLS, stream=True,
    )  # fmt: skip
    list(stream)

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert attributes[TOOLS_FINGERPRINT] == schema_fingerprint(OPENAI_TOOLS)


@needs_openai
async def test_openai_async_chat_carries_the_fingerprints(telemetry, async_client, fake_openai):
    fake_openai.reply("/chat/completions", chat_completion())

    await async_client.chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": EDITED}, {"role": "user", "content": "Hi"}]
    )

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(EDITED)


# --- OpenAI Responses ---


RESPONSES_TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": WEATHER_PARAMETERS,
        "strict": True,
    }
]


@needs_openai
def test_openai_responses_fingerprints_instructions_and_tools(telemetry, client, fake_openai):
    fake_openai.reply("/responses", responses_body())

    client.responses.create(
        model=MODEL, instructions=SYSTEM, input="Weather in Paris?", tools=RESPONSES_TOOLS
    )

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert attributes[TOOLS_FINGERPRINT] == schema_fingerprint(RESPONSES_TOOLS)


@needs_openai
def test_openai_responses_developer_messages_in_the_input_are_instructions(telemetry, client, fake_openai):
    fake_openai.reply("/responses", responses_body())
    first, second = "You are terse.", "Answer in French."

    client.responses.create(
        model=MODEL,
        instructions=first,
        input=[
            {"role": "developer", "content": second},
            {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
        ],
    )
    client.responses.create(model=MODEL, input=[{"role": "user", "content": "Weather in Paris?"}])

    with_instructions, user_only = (dict(span.attributes) for span in telemetry.spans())
    wired(with_instructions)
    assert with_instructions[PROMPT_FINGERPRINT] == blake(f"{first}\n{second}")
    assert PROMPT_FINGERPRINT not in user_only


# --- OpenAI-compatible routers: the price the response carried ---


def openrouter_usage(cost: Any) -> dict[str, Any]:
    return {"prompt_tokens": 31, "completion_tokens": 58, "total_tokens": 89, "cost": cost, "is_byok": False}


@needs_openai
def test_usage_cost_is_the_reported_price_in_usd(telemetry, client, fake_openai, finished):
    fake_openai.reply("/chat/completions", chat_completion(usage=openrouter_usage(0.000432)))

    client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])

    (record,) = finished
    assert (record.reported_cost, record.reported_cost_currency) == (0.000432, "USD")


@needs_openai
def test_usage_cost_in_a_stream_and_in_responses(telemetry, client, fake_openai, finished):
    chunks = chat_chunks(["Hi"], include_usage=True)
    chunks[-1]["usage"]["cost"] = 0.0021
    fake_openai.reply("/chat/completions", stream=sse(chunks))
    body = responses_body()
    body["usage"]["cost"] = 0.5
    fake_openai.reply("/responses", body)

    list(
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True)
    )
    client.responses.create(model=MODEL, input="Hi")

    assert [(r.reported_cost, r.reported_cost_currency) for r in finished] == [(0.0021, "USD"), (0.5, "USD")]


@pytest.mark.parametrize("cost", [None, "0.01", True, -1])
@needs_openai
def test_no_usable_usage_cost_is_no_reported_price(telemetry, client, fake_openai, finished, cost):
    usage = openrouter_usage(cost)
    if cost is None:
        del usage["cost"]
    fake_openai.reply("/chat/completions", chat_completion(usage=usage))

    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])

    (record,) = finished
    assert (record.reported_cost, record.reported_cost_currency) == (None, None)


@needs_openai
def test_a_reported_price_reaches_the_span(telemetry, client, fake_openai):
    fake_openai.reply("/chat/completions", chat_completion(usage=openrouter_usage(0.000432)))

    client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])

    attributes = span_attributes(telemetry)
    assert attributes["gen_ai.usage.cost.amount"] == 0.000432
    assert attributes["gen_ai.usage.cost.currency"] == "USD"
    assert attributes["gen_ai.usage.cost.source"] == "provider"


# --- Anthropic ---


ANTHROPIC_TOOLS = [
    {"name": "get_weather", "description": "Current weather for a city.", "input_schema": WEATHER_PARAMETERS},
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
]


@pytest.fixture
def anthropic_message() -> Any:
    from helpers.anthropic_fakes import message

    return message


@needs_anthropic
async def test_anthropic_fingerprints_system_blocks_and_tools(
    telemetry, anthropic_api, fake_anthropic, anthropic_message
):
    fake_anthropic.reply(anthropic_message())
    system = [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]

    await anthropic_api.create(system=system, tools=ANTHROPIC_TOOLS)
    await anthropic_api.create(system=SYSTEM, messages=[{"role": "user", "content": "Another question."}])

    cached, plain = (dict(span.attributes) for span in telemetry.spans())
    wired(cached)
    assert cached[PROMPT_FINGERPRINT] == plain[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert cached[TOOLS_FINGERPRINT] == schema_fingerprint(ANTHROPIC_TOOLS)
    assert TOOLS_FINGERPRINT not in plain


@needs_anthropic
async def test_anthropic_beta_and_stream_manager_carry_the_fingerprints(
    telemetry, anthropic_api, fake_anthropic, anthropic_message
):
    from helpers.anthropic_fakes import sse, stream_events

    fake_anthropic.reply(anthropic_message())
    await anthropic_api.call(anthropic_api.client.beta.messages.create, system=SYSTEM, tools=ANTHROPIC_TOOLS)
    fake_anthropic.answers.clear()
    fake_anthropic.reply(stream=sse(stream_events()))
    await anthropic_api.helper("final_message", system=EDITED, tools=ANTHROPIC_TOOLS[:1])

    beta, managed = (dict(span.attributes) for span in telemetry.spans())
    wired(beta)
    assert beta[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert beta[TOOLS_FINGERPRINT] == schema_fingerprint(ANTHROPIC_TOOLS)
    assert managed[PROMPT_FINGERPRINT] == blake(EDITED)
    assert managed[TOOLS_FINGERPRINT] == schema_fingerprint(ANTHROPIC_TOOLS[:1])


# --- Google GenAI ---


def gemini_get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


# real types, not this module's postponed (string) annotations (as in test_google_genai.py)
gemini_get_weather.__annotations__ = {"city": str, "return": str}


@needs_google_genai
async def test_gemini_fingerprints_the_system_instruction_and_tools(telemetry, gemini_api, fake_gemini):
    from google.genai import types

    declaration = {
        "name": "get_weather",
        "description": "Current weather.",
        "parameters": GEMINI_PARAMETERS,
    }
    tools = [types.Tool(function_declarations=[types.FunctionDeclaration(**declaration)])]

    await gemini_api.generate(config=types.GenerateContentConfig(system_instruction=SYSTEM, tools=tools))
    await gemini_api.generate(
        contents="A different question.",
        config={
            "system_instruction": {"parts": [{"text": SYSTEM}]},
            "tools": [{"function_declarations": [declaration]}],
        },
    )

    typed, as_dicts = (dict(span.attributes) for span in telemetry.spans())
    wired(typed)
    assert typed[PROMPT_FINGERPRINT] == as_dicts[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert typed[TOOLS_FINGERPRINT] == as_dicts[TOOLS_FINGERPRINT]
    assert typed[TOOLS_FINGERPRINT] == schema_fingerprint([{"function_declarations": [declaration]}])


@needs_google_genai
async def test_gemini_python_function_tools_are_fingerprinted(telemetry, gemini_api, fake_gemini):
    from google.genai import types

    config = types.GenerateContentConfig(
        system_instruction=types.Content(parts=[types.Part(text=SYSTEM)]),
        tools=[gemini_get_weather],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )

    await gemini_api.generate(config=config)

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert attributes[TOOLS_FINGERPRINT] == tools_fingerprint([gemini_get_weather])


@needs_google_genai
async def test_gemini_without_a_config_has_no_fingerprints(telemetry, gemini_api, fake_gemini):
    await gemini_api.generate()

    attributes = span_attributes(telemetry)
    assert PROMPT_FINGERPRINT not in attributes
    assert TOOLS_FINGERPRINT not in attributes


# --- AWS Bedrock ---


CONVERSE_TOOLS = [
    {
        "toolSpec": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "inputSchema": {"json": WEATHER_PARAMETERS},
        }
    }
]


@pytest.fixture
def runtime(fake_bedrock: Any) -> Any:
    return fake_bedrock.client("bedrock-runtime")


def bedrock_has_member(shape: str, member: str) -> Any:
    fakes = pytest.importorskip("helpers.bedrock_fakes")
    return fakes.has_member("bedrock-runtime", shape, member)


@needs_botocore
def test_bedrock_converse_fingerprints_system_blocks_and_tools(runtime, telemetry, fake_bedrock):
    from helpers.bedrock_fakes import CLAUDE, converse_response

    if not bedrock_has_member("SystemContentBlock", "cachePoint"):
        pytest.skip("this botocore has no cache points")
    fake_bedrock.reply_json(converse_response(), times=2)
    messages = [{"role": "user", "content": [{"text": "Weather in Paris?"}]}]

    runtime.converse(
        modelId=CLAUDE,
        messages=messages,
        system=[{"text": SYSTEM}, {"cachePoint": {"type": "default"}}],
        toolConfig={"tools": CONVERSE_TOOLS},
    )
    runtime.converse(
        modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "Hi"}]}], system=[{"text": SYSTEM}]
    )

    cached, plain = (dict(span.attributes) for span in telemetry.spans())
    wired(cached)
    assert cached[PROMPT_FINGERPRINT] == plain[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert cached[TOOLS_FINGERPRINT] == schema_fingerprint(CONVERSE_TOOLS)
    assert TOOLS_FINGERPRINT not in plain


@needs_botocore
def test_bedrock_converse_stream_carries_the_fingerprints(runtime, telemetry, fake_bedrock):
    from helpers.bedrock_fakes import CLAUDE, converse_stream_messages

    fake_bedrock.reply_event_stream(converse_stream_messages())

    response = runtime.converse_stream(
        modelId=CLAUDE,
        messages=[{"role": "user", "content": [{"text": "Hi"}]}],
        system=[{"text": SYSTEM}],
        toolConfig={"tools": CONVERSE_TOOLS},
    )
    list(response["stream"])

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(SYSTEM)
    assert attributes[TOOLS_FINGERPRINT] == schema_fingerprint(CONVERSE_TOOLS)


def invoke_model_cases() -> list[Any]:
    """(model id, request body, response body, the system text, the tools) per family with a system part
    or tools; a family without one (Titan Text, Mistral's [INST] prompt) has no fingerprint."""
    bodies = pytest.importorskip("helpers.bedrock_bodies")
    claude_tools = bodies.anthropic_tool_request()["tools"]
    nova_tools = [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": bodies.WEATHER_INPUT_SCHEMA}}}]
    openai_tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": bodies.WEATHER_INPUT_SCHEMA}}
    ]
    cohere_tools = [{"name": "top_song", "description": "The most popular song.",
                     "parameter_definitions": {"sign": {"type": "str", "required": True}}}]  # fmt: skip
    llama3 = (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        f"{SYSTEM}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSay hello.<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    llama2 = f"<s>[INST] <<SYS>>\n{SYSTEM}\n<</SYS>>\n\nSay hello. [/INST]"
    return [
        pytest.param(bodies.CLAUDE, bodies.anthropic_request(system=SYSTEM, tools=claude_tools),
                     bodies.anthropic_response(), SYSTEM, claude_tools, id="anthropic"),
        pytest.param(bodies.CLAUDE, bodies.anthropic_request(system=[{"type": "text", "text": SYSTEM,
                     "cache_control": {"type": "ephemeral"}}]), bodies.anthropic_response(), SYSTEM, None,
                     id="anthropic-blocks"),
        pytest.param(bodies.NOVA, bodies.nova_request(system=[{"text": SYSTEM}],
                     toolConfig={"tools": nova_tools}), bodies.nova_response(), SYSTEM, nova_tools,
                     id="nova"),
        pytest.param(bodies.LLAMA, {**bodies.llama_request(), "prompt": llama3}, bodies.llama_response(),
                     SYSTEM, None, id="llama3"),
        pytest.param(bodies.LLAMA, {**bodies.llama_request(), "prompt": llama2}, bodies.llama_response(),
                     SYSTEM, None, id="llama2"),
        pytest.param(bodies.LLAMA, bodies.llama_request(), bodies.llama_response(), None, None,
                     id="llama-no-system"),
        pytest.param(bodies.MISTRAL_LARGE, {**bodies.mistral_chat_request(), "tools": openai_tools},
                     bodies.mistral_chat_response(), "You are terse.", openai_tools, id="mistral-chat"),
        pytest.param(bodies.MISTRAL, bodies.mistral_text_request(), None, None, None, id="mistral-text"),
        pytest.param(bodies.GPT_OSS, {**bodies.openai_chat_request(), "tools": openai_tools},
                     bodies.openai_chat_response(), "You are terse.", openai_tools, id="gpt-oss"),
        pytest.param(bodies.COHERE_R, {**bodies.cohere_chat_request(), "tools": cohere_tools},
                     bodies.cohere_chat_response(), "You are a radio DJ.", cohere_tools, id="cohere-chat"),
        pytest.param(bodies.TITAN, bodies.titan_request(), None, None, None, id="titan"),
    ]  # fmt: skip


@pytest.mark.parametrize(("model", "body", "answer", "system", "tools"), invoke_model_cases())
@needs_botocore
def test_bedrock_invoke_model_fingerprints_per_family(
    runtime, telemetry, fake_bedrock, model, body, answer, system, tools
):
    fake_bedrock.reply_json(answer if answer is not None else {"outputs": [{"text": "ok"}]})

    runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read()

    attributes = span_attributes(telemetry)
    assert attributes.get(PROMPT_FINGERPRINT) == (blake(system) if system else None)
    assert attributes.get(TOOLS_FINGERPRINT) == (schema_fingerprint(tools) if tools else None)
    if system or tools:
        wired(attributes)


@needs_botocore
def test_bedrock_invoke_model_user_messages_do_not_change_the_fingerprint(runtime, telemetry, fake_bedrock):
    from helpers.bedrock_bodies import GPT_OSS, openai_chat_request, openai_chat_response

    fake_bedrock.reply_json(openai_chat_response(), times=2)
    body = openai_chat_request()
    other = {**body, "messages": [body["messages"][0], {"role": "user", "content": "Something else."}]}

    for request in (body, other):
        runtime.invoke_model(modelId=GPT_OSS, body=json.dumps(request))["body"].read()

    first, second = (dict(span.attributes) for span in telemetry.spans())
    wired(first)
    assert first[PROMPT_FINGERPRINT] == second[PROMPT_FINGERPRINT] == blake("You are terse.")


@needs_botocore
def test_bedrock_retrieve_and_generate_fingerprints_its_prompt_template(fake_bedrock, telemetry):
    agent = fake_bedrock.client("bedrock-agent-runtime")
    fake_bedrock.reply_json({"sessionId": "s-1", "output": {"text": "Five days."}, "citations": []})
    template = "Answer from these results only: $search_results$. Be brief."
    model = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"

    agent.retrieve_and_generate(
        input={"text": "How long do refunds take?"},
        retrieveAndGenerateConfiguration={
            "type": "KNOWLEDGE_BASE",
            "knowledgeBaseConfiguration": {
                "knowledgeBaseId": "KB12345678",
                "modelArn": model,
                "generationConfiguration": {"promptTemplate": {"textPromptTemplate": template}},
            },
        },
    )

    attributes = span_attributes(telemetry)
    wired(attributes)
    assert attributes[PROMPT_FINGERPRINT] == blake(template)


def test_a_tool_list_passed_again_is_not_encoded_again_but_edits_are_seen(monkeypatch):
    from otel_genai.llmops import fingerprint

    encoded = []
    real = fingerprint.canonical_json
    monkeypatch.setattr(fingerprint, "canonical_json", lambda value: encoded.append(1) or real(value))
    tools = [dict(tool) for tool in OPENAI_TOOLS]
    first = tools_fingerprint(tools)
    assert [tools_fingerprint(tools) for _ in range(10)] == [first] * 10
    assert len(encoded) == 1  # the same list of the same objects: remembered
    tools.append({"type": "function", "function": {"name": "refund"}})  # another item: seen at once
    assert tools_fingerprint(tools) != first
    edited = tools_fingerprint(tools)
    tools[0]["function"] = {**tools[0]["function"], "description": "Edited in place."}  # the same objects
    later = [tools_fingerprint(tools) for _ in range(fingerprint._TOOLS_RECHECK + 1)]
    assert later[-1] != edited  # seen at the next re-check
    assert later[-1] == schema_fingerprint(tools)
