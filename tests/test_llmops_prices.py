"""The shipped price table, overrides and a call's cost (``otel_genai.llmops.prices``).

Costs are checked against the table's own ``Price`` (never a hard-coded dollar amount), except one check
per major provider against the price the provider publishes, so that a broken generator is caught.
"""

from __future__ import annotations

import datetime
import importlib.util
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.processes import subprocess_env
from otel_genai import semconv as sc
from otel_genai.cli import doctor
from otel_genai.cli._output import Style
from otel_genai.llmops import _price_data, prices
from otel_genai.llmops.prices import Cost, Price, PriceFileError, PriceTable, unpriced_models
from otel_genai.telemetry.records import Embedding, Inference

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "generate_prices.py"
SHIPPED = f"{_price_data.TABLE_NAME}@{_price_data.TABLE_DATE}"


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load()


def inference(
    provider: str | None, model: str | None, response_model: str | None = None, **usage: Any
) -> Inference:
    usage.setdefault("input_tokens", 1_000)
    usage.setdefault("output_tokens", 200)
    return Inference(
        operation="chat", provider=provider, request_model=model, response_model=response_model, **usage
    )


def expected_cost(
    price: Price,
    input_tokens: int,
    output_tokens: int,
    cache_read: int = 0,
    cache_write: int = 0,
    reasoning: int = 0,
) -> float:
    """Tokens x the price, as the provider bills them: cached reads and writes and reasoning at their own
    rates where the table has one, else at the input / output rate."""
    for threshold, tier in price.tiers:
        if input_tokens > threshold:
            price = tier
    cached_rate = price.input if price.cached_input is None else price.cached_input
    write_rate = price.input if price.cache_write is None else price.cache_write
    reasoning_rate = price.output if price.reasoning is None else price.reasoning
    return (
        (input_tokens - cache_read - cache_write) * price.input
        + cache_read * cached_rate
        + cache_write * write_rate
        + (output_tokens - reasoning) * price.output
        + reasoning * reasoning_rate
    ) / 1e6


def unique(prefix: str) -> str:
    """A model name no other test notes (the unpriced note is once per process)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- cost = tokens x price ------------------------------------------------------------------------

SPLITS = {
    "uncached": {"input_tokens": 1_000, "output_tokens": 200},
    "cached read": {"input_tokens": 1_000, "output_tokens": 200, "cache_read_input_tokens": 600},
    "cache write": {"input_tokens": 1_000, "output_tokens": 200, "cache_write_input_tokens": 300},
    "read and write": {
        "input_tokens": 5_000,
        "output_tokens": 10,
        "cache_read_input_tokens": 2_000,
        "cache_write_input_tokens": 1_500,
    },
    "reasoning": {"input_tokens": 1_000, "output_tokens": 500, "reasoning_output_tokens": 350},
}
MODELS = [
    ("anthropic", "claude-sonnet-4-5-20250929"),  # cache reads and writes at their own rates
    ("openai", "gpt-4o-mini"),  # cached reads at their own rate, no cache-write rate
    ("openai", "o4-mini"),  # reasoning billed as output
    ("perplexity", "sonar-deep-research"),  # reasoning at its own rate
    ("gcp.gemini", "gemini-2.5-flash"),
    ("aws.bedrock", "us.amazon.nova-lite-v1:0"),
]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(("provider", "model"), MODELS)
def test_cost_is_tokens_times_the_price(table: PriceTable, provider: str, model: str, split: str) -> None:
    usage = SPLITS[split]
    price = table.price(provider, model)
    assert price is not None
    cost = table.cost_of(inference(provider, model, **usage))
    assert cost == Cost(
        pytest.approx(expected_cost(price, *_tokens(usage))), "USD", sc.COST_SOURCE_LOCAL, SHIPPED
    )


def _tokens(usage: dict[str, int]) -> tuple[int, int, int, int, int]:
    return (
        usage["input_tokens"],
        usage["output_tokens"],
        usage.get("cache_read_input_tokens", 0),
        usage.get("cache_write_input_tokens", 0),
        usage.get("reasoning_output_tokens", 0),
    )


def test_cached_and_reasoning_tokens_cost_what_the_provider_bills(table: PriceTable) -> None:
    """Cached reads are cheaper than fresh input; a cache write costs more (Anthropic); reasoning tokens
    cost as output where the provider has no separate rate, and at their own rate where it has one."""
    claude = table.price("anthropic", "claude-sonnet-4-5")
    assert claude is not None and claude.cached_input is not None and claude.cache_write is not None
    assert claude.cached_input < claude.input < claude.cache_write
    plain = table.cost_of(inference("anthropic", "claude-sonnet-4-5", input_tokens=10_000))
    read = table.cost_of(
        inference("anthropic", "claude-sonnet-4-5", input_tokens=10_000, cache_read_input_tokens=8_000)
    )
    written = table.cost_of(
        inference("anthropic", "claude-sonnet-4-5", input_tokens=10_000, cache_write_input_tokens=8_000)
    )
    assert plain and read and written
    assert read.amount < plain.amount < written.amount

    mini = table.price("openai", "gpt-4o-mini")
    assert mini is not None and mini.cache_write is None and mini.reasoning is None
    base = table.cost_of(inference("openai", "gpt-4o-mini", input_tokens=1_000, output_tokens=500))
    as_input = table.cost_of(
        inference(
            "openai", "gpt-4o-mini", input_tokens=1_000, output_tokens=500, cache_write_input_tokens=400
        )
    )
    as_output = table.cost_of(
        inference("openai", "gpt-4o-mini", input_tokens=1_000, output_tokens=500, reasoning_output_tokens=300)
    )
    assert base == as_input == as_output

    deep = table.price("perplexity", "sonar-deep-research")
    assert deep is not None and deep.reasoning is not None and deep.reasoning != deep.output


def test_a_cost_is_never_negative(table: PriceTable) -> None:
    """Counts that leave out the cached or reasoning tokens: those at their rates, nothing below zero."""
    price = table.price("anthropic", "claude-sonnet-4-5")
    assert price is not None and price.cached_input is not None
    cost = table.cost_of(
        inference(
            "anthropic", "claude-sonnet-4-5", input_tokens=100, cache_read_input_tokens=900, output_tokens=10,
            reasoning_output_tokens=50,
        )
    )  # fmt: skip
    assert cost is not None
    assert cost.amount == pytest.approx((900 * price.cached_input + 50 * price.output) / 1e6)


@pytest.mark.parametrize(
    ("tier", "priced"), [("default", True), ("scale", True), ("flex", False), ("priority", False)]
)
def test_openai_service_tiers_at_other_rates_get_no_cost(table: PriceTable, tier: str, priced: bool) -> None:
    """Flex and priority calls are billed at other rates than the table's standard price: no cost, not a
    wrong one."""
    record = inference("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    record.response_attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
    assert (table.cost_of(record) is not None) is priced


def test_embeddings_are_priced_by_their_input(table: PriceTable) -> None:
    price = table.price("openai", "text-embedding-3-small")
    assert price is not None and price.output == 0
    record = Embedding(
        operation="embeddings", provider="openai", request_model="text-embedding-3-small", input_tokens=5_000
    )
    assert table.cost_of(record) == Cost(
        pytest.approx(5_000 * price.input / 1e6), "USD", sc.COST_SOURCE_LOCAL, SHIPPED
    )


def test_tiers_price_every_token_of_a_long_call_at_the_higher_rate(table: PriceTable) -> None:
    price = table.price("gcp.vertex_ai", "gemini-2.5-pro")
    assert price is not None and price.tiers
    threshold, tier = price.tiers[0]
    assert tier.input > price.input and tier.output > price.output
    at_threshold = table.cost_of(
        inference("gcp.vertex_ai", "gemini-2.5-pro", input_tokens=threshold, output_tokens=100)
    )
    above = table.cost_of(
        inference("gcp.vertex_ai", "gemini-2.5-pro", input_tokens=threshold + 1, output_tokens=100)
    )
    assert at_threshold and above
    assert at_threshold.amount == pytest.approx((threshold * price.input + 100 * price.output) / 1e6)
    assert above.amount == pytest.approx(((threshold + 1) * tier.input + 100 * tier.output) / 1e6)
    assert price.at(threshold) is price and price.at(threshold + 1) is tier


def test_the_answering_model_is_priced_before_the_requested_one(table: PriceTable) -> None:
    """An alias or an Azure deployment name is requested; the response names the model that answered."""
    mini = table.price("openai", "gpt-4o-mini")
    big = table.price("openai", "gpt-4o")
    assert mini is not None and big is not None and mini != big
    cost = table.cost_of(inference("openai", "gpt-4o", response_model="gpt-4o-mini-2024-07-18"))
    assert cost is not None and cost.amount == pytest.approx(expected_cost(mini, 1_000, 200))
    # an Azure deployment name is nothing the table knows: the answering model prices the call
    deployment = table.cost_of(
        inference("azure.ai.openai", "support-bot", response_model="gpt-4o-mini-2024-07-18")
    )
    # an answering snapshot the table does not know yet: the requested model prices it
    unknown_snapshot = table.cost_of(
        inference("openai", "gpt-4o-mini", response_model="gpt-4o-mini-2099-01-01")
    )
    assert deployment == unknown_snapshot == cost


# --- one check per provider against its published price -----------------------------------------


@pytest.mark.parametrize(
    ("provider", "model", "published"),
    [
        # https://openai.com/api/pricing: $0.15 input, $0.075 cached input, $0.60 output per 1M tokens
        ("openai", "gpt-4o-mini", {"input": 0.15, "cached_input": 0.075, "output": 0.60}),
        # https://www.anthropic.com/pricing#api: $3, $0.30 cache hits, $3.75 5-minute cache writes, $15
        (
            "anthropic",
            "claude-sonnet-4-5",
            {"input": 3.0, "cached_input": 0.30, "cache_write": 3.75, "output": 15.0},
        ),
        # https://ai.google.dev/gemini-api/docs/pricing: $0.30 text input, $0.03 cached, $2.50 output
        ("gcp.gemini", "gemini-2.5-flash", {"input": 0.30, "cached_input": 0.03, "output": 2.50}),
        # https://aws.amazon.com/bedrock/pricing/: Nova Lite $0.06 input, $0.015 cached, $0.24 output
        ("aws.bedrock", "amazon.nova-lite-v1:0", {"input": 0.06, "cached_input": 0.015, "output": 0.24}),
    ],
)
def test_the_table_has_the_providers_published_prices(
    table: PriceTable, provider: str, model: str, published: dict[str, float]
) -> None:
    price = table.price(provider, model)
    assert price is not None
    assert {field: getattr(price, field) for field in published} == pytest.approx(published)
    assert price.currency == "USD" and price.table == SHIPPED


# --- names --------------------------------------------------------------------------------------------

CLAUDE_ON_BEDROCK = "anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.mark.parametrize(
    ("provider", "name", "same_as"),
    [
        ("openai", "gpt-4o-mini-2024-07-18", ("openai", "gpt-4o-mini")),
        ("openai", "GPT-4o-mini", ("openai", "gpt-4o-mini")),
        ("openai", "gpt-5.2-20251211", ("openai", "gpt-5.2")),  # a compact date, as LiteLLM writes it
        (
            "azure.ai.openai",
            "gpt-4o-mini-2024-07-18",
            ("openai", "gpt-4o-mini"),
        ),  # Azure's fallback to OpenAI
        ("anthropic", "claude-sonnet-4-5-20250929", ("anthropic", "claude-sonnet-4-5")),
        ("aws.bedrock", f"us.{CLAUDE_ON_BEDROCK}", ("aws.bedrock", CLAUDE_ON_BEDROCK)),
        ("aws.bedrock", f"eu.{CLAUDE_ON_BEDROCK}", ("aws.bedrock", CLAUDE_ON_BEDROCK)),
        (
            "aws.bedrock",
            f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{CLAUDE_ON_BEDROCK}",
            ("aws.bedrock", CLAUDE_ON_BEDROCK),
        ),
        (
            "aws.bedrock",
            f"arn:aws:bedrock:us-east-1::foundation-model/{CLAUDE_ON_BEDROCK}",
            ("aws.bedrock", CLAUDE_ON_BEDROCK),
        ),
        ("aws.bedrock", "us.amazon.nova-lite-v1:0", ("aws.bedrock", "amazon.nova-lite-v1:0")),
        # named by an exact clause, which only the routing-prefix normalisation reaches
        (
            "aws.bedrock",
            "arn:aws:bedrock:us-west-2::foundation-model/openai.gpt-5.4",
            ("aws.bedrock", "openai.gpt-5.4"),
        ),
        ("aws.bedrock", "us.openai.gpt-5.4", ("aws.bedrock", "openai.gpt-5.4")),
        ("gcp.gemini", "models/gemini-2.5-flash", ("gcp.gemini", "gemini-2.5-flash")),
        ("gcp.vertex_ai", "publishers/google/models/gemini-2.5-flash", ("gcp.gemini", "gemini-2.5-flash")),
        (
            "gcp.vertex_ai",
            "projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash",
            ("gcp.gemini", "gemini-2.5-flash"),
        ),
        ("gcp.vertex_ai", "claude-sonnet-4-5@20250929", ("gcp.vertex_ai", "claude-sonnet-4-5")),
    ],
)
def test_dated_and_routed_names_are_priced(
    table: PriceTable, provider: str, name: str, same_as: tuple[str, str]
) -> None:
    expected = table.price(*same_as)
    assert expected is not None
    assert table.price(provider, name) == expected


def test_a_global_bedrock_profile_has_its_own_price(table: PriceTable) -> None:
    """``global.`` profiles are priced by their own entries, never by stripping the prefix."""
    global_price = table.price("aws.bedrock", f"global.{CLAUDE_ON_BEDROCK}")
    assert global_price is not None
    assert all(name.startswith("global.") for name in prices.name_variants(f"global.{CLAUDE_ON_BEDROCK}"))


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("openai", "gpt-4o-mini-tts-xyz"),  # gpt-4o-mini-tts is priced per audio, look-alikes are not
        ("openai", "gpt-4o-ultra"),
        ("openai", "gpt-4o-mini-2099-01-01"),  # an unknown snapshot is not the alias
        ("anthropic", "claude-foo"),
        ("openai", "whisper-1"),  # known, but priced per audio minute, not per token
        ("openai", "my-finetune"),
        ("aws.bedrock", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"),
        ("gcp.vertex_ai", "projects/acme/locations/us-central1/endpoints/1234567890"),
        ("ollama", "gpt-4o-mini"),  # a self-hosted copy: the provider has no table
        (None, "gpt-4o-mini"),
    ],
)
def test_unknown_and_look_alike_names_get_no_price(
    table: PriceTable, provider: str | None, name: str
) -> None:
    assert table.price(provider, name) is None
    assert table.cost_of(inference(provider, name)) is None


def test_every_provider_we_instrument_has_a_table() -> None:
    for provider in (
        sc.PROVIDER_OPENAI, sc.PROVIDER_AZURE_OPENAI, sc.PROVIDER_ANTHROPIC, sc.PROVIDER_AWS_BEDROCK,
        sc.PROVIDER_GCP_GEMINI, sc.PROVIDER_GCP_VERTEX_AI, sc.PROVIDER_GCP_GEN_AI,
    ):  # fmt: skip
        assert _price_data.MODELS[_price_data.PROVIDERS[provider][0]], provider


# --- reported cost, missing tokens -------------------------------------------------------------------


def test_a_reported_cost_wins_over_the_table(table: PriceTable, caplog: pytest.LogCaptureFixture) -> None:
    record = inference("openai", "gpt-4o-mini", reported_cost=0.0123, reported_cost_currency="EUR")
    assert table.cost_of(record) == Cost(0.0123, "EUR", sc.COST_SOURCE_PROVIDER, None)
    unknown = inference("openai", unique("gateway-model"), reported_cost=0.5)
    with caplog.at_level(logging.WARNING, logger="otel_genai"):
        assert table.cost_of(unknown) == Cost(0.5, "USD", sc.COST_SOURCE_PROVIDER, None)
    assert not caplog.records  # priced by the provider: nothing to note


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": None, "output_tokens": None},
        {"input_tokens": None, "output_tokens": 20},
        {"input_tokens": 100, "output_tokens": None},  # half a count is not a cost
    ],
)
def test_no_cost_without_token_counts(table: PriceTable, usage: dict[str, Any]) -> None:
    assert table.cost_of(inference("openai", "gpt-4o-mini", **usage)) is None


def test_no_cost_without_a_model(table: PriceTable) -> None:
    assert table.cost_of(inference("openai", None)) is None


# --- overrides -----------------------------------------------------------------------------------------

ACME = {
    "name": "acme-prices",
    "date": "2026-12-01",
    "models": [
        {"model": "gpt-4o-mini", "provider": "openai", "input": 1.0, "output": 2.0},
        {"match": "^ft:gpt-4o-mini", "input": 0.30, "output": 1.20, "cached_input": 0.15},
        {"model": "support-bot", "input": 0.5, "output": 0.5, "reasoning": 9.0},
        {"model": "llama3:8b", "provider": "ollama", "input": 0.0, "output": 0.0},
    ],
}
ACME_YAML = """\
name: acme-prices
date: 2026-12-01
models:
  - model: gpt-4o-mini
    provider: openai
    input: 1.0
    output: 2.0
  - match: "^ft:gpt-4o-mini"
    input: 0.30
    output: 1.20
    cached_input: 0.15
  - model: support-bot
    input: 0.5
    output: 0.5
    reasoning: 9.0
  - model: llama3:8b
    provider: ollama
    input: 0
    output: 0
"""


@pytest.fixture(params=["yaml", "json", "mapping"])
def acme(request: pytest.FixtureRequest, tmp_path: Path) -> PriceTable:
    if request.param == "mapping":
        return PriceTable.load(ACME)
    path = tmp_path / f"acme.{request.param}"
    path.write_text(ACME_YAML if request.param == "yaml" else json.dumps(ACME))
    return PriceTable.load(path if request.param == "yaml" else str(path))


def test_overrides_win_over_the_shipped_table(acme: PriceTable, table: PriceTable) -> None:
    price = acme.price("openai", "gpt-4o-mini")
    assert price == Price(1.0, 2.0, table="acme-prices@2026-12-01")
    cost = acme.cost_of(inference("openai", "gpt-4o-mini", input_tokens=1_000_000, output_tokens=1_000_000))
    assert cost == Cost(pytest.approx(3.0), "USD", sc.COST_SOURCE_LOCAL, "acme-prices@2026-12-01")
    # the entry names a provider: elsewhere the shipped table prices the model
    assert acme.price("azure.ai.openai", "gpt-4o-mini") == table.price("azure.ai.openai", "gpt-4o-mini")


def test_overrides_price_fine_tunes_deployments_and_self_hosted_models(acme: PriceTable) -> None:
    tuned = acme.price("openai", "ft:gpt-4o-mini-2024-07-18:acme:support:abc123")
    assert tuned is not None and (tuned.input, tuned.cached_input, tuned.output) == (0.30, 0.15, 1.20)
    # the requested deployment name is overridden: it wins over the shipped price of the answering model
    record = inference(
        "azure.ai.openai", "support-bot", response_model="gpt-4o-mini-2024-07-18", reasoning_output_tokens=100
    )
    cost = acme.cost_of(record)
    assert cost is not None and cost.table == "acme-prices@2026-12-01"
    assert cost.amount == pytest.approx((1_000 * 0.5 + 100 * 0.5 + 100 * 9.0) / 1e6)
    free = acme.cost_of(inference("ollama", "llama3:8b"))
    assert free is not None and free.amount == 0.0  # priced at zero by the user: a cost, not a guess


def test_an_override_file_names_its_table_and_currency(tmp_path: Path) -> None:
    path = tmp_path / "negotiated.yml"
    path.write_text("currency: EUR\nmodels:\n  - model: gpt-4o\n    input: 2\n    output: 8\n")
    cost = PriceTable.load(path).cost_of(inference("openai", "gpt-4o", input_tokens=500_000, output_tokens=0))
    assert cost == Cost(pytest.approx(1.0), "EUR", sc.COST_SOURCE_LOCAL, "negotiated")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"models": [{"model": "m", "inptu": 1.0}]}, "models[0].inptu: unknown field"),
        ({"modles": []}, "modles: unknown field"),
        ({"models": [{"model": "m", "input": 1, "output": -1}]}, "models[0].output"),
        ({"models": [{"model": "m", "input": "cheap"}]}, "models[0].input"),
        ({"models": [{"model": "m", "input": True}]}, "models[0].input"),
        ({"models": [{"model": "m", "output": 1}]}, "models[0].input: missing"),
        ({"models": [{"match": "gpt-(", "input": 1}]}, "models[0].match: not a regular expression"),
        ({"models": [{"model": "m", "match": "m", "input": 1}]}, "models[0]: needs 'model'"),
        ({"models": [{"input": 1}]}, "models[0]: needs 'model'"),
        ({"models": [{"model": "", "input": 1}]}, "models[0].model"),
        ({"models": ["gpt-4o"]}, "models[0]: expected a mapping"),
        ({"models": {"gpt-4o": {}}}, "models: expected a list"),
        ({"name": "x"}, "models: expected a list"),
        ({"models": [], "currency": 3}, "currency"),
    ],
)
def test_a_bad_override_file_names_the_file_and_the_field(
    tmp_path: Path, content: dict[str, Any], field: str
) -> None:
    path = tmp_path / "acme-prices.json"
    path.write_text(json.dumps(content))
    with pytest.raises(PriceFileError) as raised:
        PriceTable.load(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert field in str(raised.value)
    with pytest.raises(PriceFileError, match=r"^prices: ") as raised:
        PriceTable.load(content)
    assert field in str(raised.value)


def test_an_unreadable_override_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError, match=r"missing\.yaml: cannot read"):
        PriceTable.load(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [unclosed\n")
    with pytest.raises(PriceFileError, match=r"broken\.yaml: not valid YAML"):
        PriceTable.load(broken)
    assert isinstance(PriceFileError("x"), ValueError)


# --- models seen without a price ----------------------------------------------------------------------


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(prices.ENV_STATE_DIR, str(tmp_path / "state"))
    return tmp_path / "state"


def test_an_unpriced_model_is_noted_once(
    table: PriceTable, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = unique("acme-llm")
    with caplog.at_level(logging.DEBUG, logger="otel_genai"):
        for _ in range(3):
            assert table.cost_of(inference("openai", model)) is None
        assert PriceTable.load().cost_of(inference("openai", model)) is None  # once per process
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"no price for {model} (openai): no cost recorded; add it with prices=... or OTEL_GENAI_PRICES"
    ]
    assert unpriced_models() == [("openai", model)]
    saved = json.loads((state_dir / "unpriced-models.json").read_text())
    assert saved["models"][0]["provider"] == "openai" and saved["models"][0]["model"] == model
    datetime.datetime.fromisoformat(saved["models"][0]["first_seen"])


def test_calls_without_tokens_note_nothing(table: PriceTable, state_dir: Path) -> None:
    table.cost_of(inference("openai", unique("acme-llm"), input_tokens=0, output_tokens=0))
    table.cost_of(inference("openai", unique("acme-llm"), input_tokens=None, output_tokens=None))
    assert unpriced_models() == []


def test_another_process_sees_the_unpriced_models(table: PriceTable, state_dir: Path) -> None:
    first = unique("acme-llm")
    table.cost_of(inference("openai", first))
    second = unique("acme-embedder")
    program = (
        "from otel_genai.llmops.prices import PriceTable\n"
        "from otel_genai.telemetry.records import Embedding\n"
        f"PriceTable.load().cost_of(Embedding('embeddings', 'cohere', {second!r}, input_tokens=12))\n"
    )
    env = {**subprocess_env(), prices.ENV_STATE_DIR: str(state_dir)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"no price for {second} (cohere)" in done.stderr  # the warning, through logging's last resort
    assert unpriced_models() == [("openai", first), ("cohere", second)]


def test_an_empty_state_dir_disables_the_file(
    table: PriceTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(prices.ENV_STATE_DIR, "")
    monkeypatch.chdir(tmp_path)
    assert prices.state_file() is None
    table.cost_of(inference("openai", unique("acme-llm")))
    assert unpriced_models() == [] and list(tmp_path.iterdir()) == []


def test_the_default_state_dir_is_the_user_cache(tmp_path: Path) -> None:
    assert (
        prices.state_file({"XDG_CACHE_HOME": str(tmp_path)})
        == tmp_path / "otel-genai" / "unpriced-models.json"
    )
    assert prices.state_file({}) == Path.home() / ".cache" / "otel-genai" / "unpriced-models.json"


def test_a_state_file_that_cannot_be_written_is_ignored(
    table: PriceTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv(prices.ENV_STATE_DIR, str(blocker))
    model = unique("acme-llm")
    with caplog.at_level(logging.DEBUG, logger="otel_genai"):
        assert table.cost_of(inference("openai", model)) is None
    assert any(r.levelno == logging.DEBUG and "could not record" in r.getMessage() for r in caplog.records)
    assert unpriced_models() == []


def test_a_corrupt_state_file_reads_as_empty(state_dir: Path, table: PriceTable) -> None:
    state_dir.mkdir()
    (state_dir / "unpriced-models.json").write_text("{not json")
    assert unpriced_models() == []
    model = unique("acme-llm")
    table.cost_of(inference("openai", model))
    assert unpriced_models() == [("openai", model)]


# --- lookups are cached -------------------------------------------------------------------------------


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every search of the clauses (``PriceTable._search``): a cached lookup makes none."""
    seen: list[tuple[Any, ...]] = []
    original = PriceTable._search

    def spy(self: PriceTable, provider: str | None, models: Any) -> Price | None:
        seen.append((provider, *models))
        return original(self, provider, models)

    monkeypatch.setattr(PriceTable, "_search", spy)
    return seen


def test_a_second_lookup_does_not_search_again(searches: list[tuple[Any, ...]]) -> None:
    table = PriceTable.load()
    record = inference("openai", "gpt-4o", response_model="gpt-4o-2024-08-06")
    first = table.cost_of(record)
    assert table.cost_of(record) == first and first is not None
    assert table.price("anthropic", "claude-sonnet-4-5") == table.price("anthropic", "claude-sonnet-4-5")
    unknown = inference("openai", unique("acme-llm"))
    table.cost_of(unknown)
    table.cost_of(unknown)
    assert searches == [
        ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ("anthropic", "claude-sonnet-4-5"),
        ("openai", unknown.request_model),
    ]


def test_the_cache_is_bounded(searches: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prices, "CACHE_SIZE", 3)
    table = PriceTable.load()
    names = [f"model-{index}" for index in range(5)]
    for name in names:
        table.price("openai", name)
    table.price("openai", names[-1])  # still remembered
    table.price("openai", names[0])  # forgotten: searched again
    assert [models[1] for models in searches] == [*names, names[0]]


# --- doctor -------------------------------------------------------------------------------------------


def test_doctor_shows_the_table_the_override_file_and_the_unpriced_models(
    table: PriceTable, state_dir: Path, tmp_path: Path
) -> None:
    still_unpriced, now_priced = unique("acme-llm"), unique("acme-tuned")
    table.cost_of(inference("openai", still_unpriced))
    table.cost_of(inference("openai", now_priced))
    overrides = tmp_path / "acme.yaml"
    overrides.write_text(f"name: acme\nmodels:\n  - model: {now_priced}\n    input: 1\n    output: 1\n")
    env = {prices.ENV_STATE_DIR: str(state_dir), prices.ENV_PRICES: str(overrides)}

    status = prices.price_status(env)
    assert status["table"]["label"] == SHIPPED and status["table"]["source"] == _price_data.SOURCE
    assert status["overrides"] == {
        "path": str(overrides),
        "loads": True,
        "table": "acme",
        "models": 1,
        "error": None,
    }
    assert [(e["provider"], e["model"]) for e in status["unpriced"]] == [("openai", still_unpriced)]

    text = "\n".join(doctor._render_prices(status, Style(io.StringIO())))
    assert f"{SHIPPED} ({status['table']['models']} models, from {_price_data.SOURCE})" in text
    assert f"{overrides}: acme, 1 models" in text
    assert prices.unpriced_hint("openai", still_unpriced) in text and now_priced not in text


def test_doctor_says_when_the_override_file_does_not_load(tmp_path: Path) -> None:
    bad = tmp_path / "acme.yaml"
    bad.write_text("models:\n  - model: x\n    inptu: 1\n")
    status = prices.price_status({prices.ENV_PRICES: str(bad), prices.ENV_STATE_DIR: ""})
    assert status["overrides"]["loads"] is False
    assert "models[0].inptu: unknown field" in status["overrides"]["error"]
    text = "\n".join(doctor._render_prices(status, Style(io.StringIO())))
    assert "models[0].inptu" in text
    assert prices.price_status({prices.ENV_STATE_DIR: ""})["overrides"] is None


# --- the generated table ------------------------------------------------------------------------------


def test_the_shipped_table_says_where_it_comes_from() -> None:
    assert _price_data.TABLE_NAME == "otel-genai"
    datetime.date.fromisoformat(_price_data.TABLE_DATE)
    assert _price_data.SOURCE.startswith("genai-prices ") and _price_data.SOURCE_LICENSE == "MIT"
    header = _price_data.__doc__ or ""
    assert "MIT License" in header and "Copyright (c) Pydantic Services Inc." in header
    assert f"on {_price_data.TABLE_DATE} from {_price_data.SOURCE}" in header


@pytest.fixture(scope="module")
def genai_prices_source() -> Iterator[list[str]]:
    """The generator's arguments for a genai-prices available offline (installed, or an unpacked wheel
    named by ``GENAI_PRICES_FROM``); the test is skipped without one."""
    if importlib.util.find_spec("genai_prices") is not None:
        yield ["--installed"]
    elif os.environ.get("GENAI_PRICES_FROM"):
        yield ["--from", os.environ["GENAI_PRICES_FROM"]]
    else:
        pytest.skip("genai-prices is not available offline (install it, or set GENAI_PRICES_FROM)")


def generate(source: list[str], output: Path, day: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *source, "--date", day, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_the_generator_is_deterministic_and_made_the_shipped_table(
    genai_prices_source: list[str], tmp_path: Path
) -> None:
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    done = generate(genai_prices_source, first, _price_data.TABLE_DATE)
    generate(genai_prices_source, second, _price_data.TABLE_DATE)
    assert "costs agree with genai-prices" in done.stderr  # its own check against genai-prices ran
    assert first.read_bytes() == second.read_bytes()
    if f"from {_price_data.SOURCE}" in first.read_text():
        shipped = Path(_price_data.__file__).read_text(encoding="utf-8")
        assert first.read_text(encoding="utf-8") == shipped, "_price_data.py was edited by hand"


def test_lookups_agree_with_genai_prices(
    genai_prices_source: list[str], table: PriceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every name a clause of the table spells, for every provider: the model genai-prices finds, and
    its text-token prices, are ours."""
    if genai_prices_source[0] == "--from":
        monkeypatch.syspath_prepend(genai_prices_source[1])
    from genai_prices.data import providers  # type: ignore[import-not-found]

    monkeypatch.syspath_prepend(str(GENERATOR.parent))
    import generate_prices  # type: ignore[import-not-found]

    by_id = {provider.id: provider for provider in providers}
    day = datetime.date.fromisoformat(_price_data.TABLE_DATE)
    names = {model_id for rows in _price_data.MODELS.values() for model_id, _, _ in rows}
    names |= {
        text for rows in _price_data.MODELS.values() for _, clause, _ in rows for text in _texts(clause)
    }
    for ours, theirs in generate_prices.PROVIDER_IDS.items():
        for name in sorted(names):
            model = by_id[theirs].find_model(name, all_providers=providers)
            row = generate_prices.price_row(generate_prices.prices_on(model, day)) if model else None
            price = table.price(ours, name)
            assert (price and (price.input, price.output)) == (row and (row[0], row[3] or 0.0)), (ours, name)


def _texts(clause: tuple[Any, ...]) -> Iterator[str]:
    if clause[0] in ("or", "and"):
        for part in clause[1:]:
            yield from _texts(part)
    elif clause[0] != "re":
        yield clause[1]
