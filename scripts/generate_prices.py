"""Write ``src/otel_genai/llmops/_price_data.py``, the price table otel-genai ships, from genai-prices.

genai-prices (pydantic's, MIT) is the well-kept source of LLM prices, but importing it costs ~150 ms and a
price ~70 µs: too slow for the request path. So it is a dev-time input only. This script reads its data
snapshot and writes a plain Python data module (tuples of floats and strings, nothing imported) with the
prices of text tokens in force on the generation date, for the providers we name in ``PROVIDER_IDS``:

    python scripts/generate_prices.py                       # pip-downloads genai-prices==PINNED
    python scripts/generate_prices.py --from /tmp/gp/x      # an unpacked wheel
    python scripts/generate_prices.py --installed           # the genai-prices this Python imports
    python scripts/generate_prices.py --date 2026-12-06 --output /tmp/_price_data.py

It needs pydantic (genai-prices' data module builds pydantic dataclasses). Before writing, it checks its
translation: for every model written and a few token splits (tiers crossed, cached reads and writes,
reasoning), the cost ``otel_genai.llmops.prices`` computes from the written row must equal what
genai-prices computes from the model's text-token prices; any difference fails the run.

What is kept, per model, in genai-prices' order (the first clause that matches wins, as in genai-prices):
its match clause, translated to nested tuples; ``input_mtok``, ``cache_read_mtok``, ``cache_write_mtok``
(the 5-minute write), ``output_mtok`` and ``output_reasoning_mtok``, with their tiers. Left out: audio,
image and video tokens, per-request and per-search fees, 1-hour cache writes, batch / flex / priority
variants (``price_variants`` need a request context we do not have) and off-peak time-of-day discounts
(the standard price is kept). A model without an ``input_mtok`` keeps its clause with no price, so that a
name it matches is never priced by a later, looser clause.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

PINNED = "0.2.3"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src" / "otel_genai" / "llmops" / "_price_data.py"

# gen_ai.provider.name -> the genai-prices provider that prices it. Its ``fallback_model_providers`` follow
# it, one step deep, as in genai-prices (Azure serves OpenAI's models, Vertex AI serves Anthropic's).
PROVIDER_IDS: dict[str, str] = {
    "openai": "openai",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "anthropic": "anthropic",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "aws.bedrock": "aws",
    "groq": "groq",
    "mistral_ai": "mistral",
    "deepseek": "deepseek",
    "x_ai": "x-ai",
    "perplexity": "perplexity",
    "cohere": "cohere",
}

# genai-prices price keys -> the row's fields, in row order
PRICE_KEYS = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok", "output_reasoning_mtok")

# Token splits the self-check prices: (input, cache read, cache write, output, reasoning); input includes
# the cached reads and writes, output includes reasoning (both as in genai-prices and in our records).
CHECK_USAGES = (
    (1_000, 0, 0, 500, 0),
    (12_345, 4_000, 1_500, 2_000, 700),
    (150_000, 20_000, 0, 8_000, 3_000),  # above 128k tiers
    (250_000, 100_000, 30_000, 9_000, 1_000),  # above 200k tiers
    (1_500_000, 0, 0, 1, 0),
)


# --- reading genai-prices ---------------------------------------------------------------------------


def fetch(version: str, into: Path) -> Path:
    """``pip download`` genai-prices==version (no dependencies) and unpack its wheel; the unpacked dir."""
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"),
            *("-d", str(into), f"genai-prices=={version}"),
        ],
        check=True,
    )
    (wheel,) = into.glob("genai_prices-*.whl")
    unpacked = into / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    return unpacked


def load(source: Path | None) -> tuple[list[Any], str, str]:
    """genai-prices' providers, its version and its licence text, imported from ``source`` (an unpacked
    wheel), or from this environment when ``source`` is None."""
    if source is not None:
        sys.path.insert(0, str(source))
    try:
        module = importlib.import_module("genai_prices.data")
    finally:
        if source is not None:
            sys.path.remove(str(source))
    origin = Path(module.__file__ or "").resolve()
    if source is not None and source.resolve() not in origin.parents:
        raise SystemExit(f"genai_prices was imported from {origin}, not from {source}")
    search = [str(source)] if source is not None else sys.path
    distribution = next(iter(importlib.metadata.distributions(name="genai-prices", path=search)))
    licence = next(
        (
            Path(str(distribution.locate_file(path))).read_text(encoding="utf-8")
            for path in distribution.files or ()
            if Path(str(path)).name.upper().startswith("LICENSE")
        ),
        "",
    )
    if "MIT License" not in licence:
        raise SystemExit("genai-prices' licence is not the MIT licence it was: check it before shipping")
    return list(module.providers), distribution.version, licence.strip()


# --- translating --------------------------------------------------------------------------------------


def clause(logic: Any) -> tuple[Any, ...]:
    """A genai-prices ``MatchLogic`` as ``("eq"|"sw"|"ew"|"in"|"re", text)`` or ``("or"|"and", *clauses)``.

    genai-prices lowercases the model name and (except for regexes) the clause's text before comparing;
    the texts are written lowercased, so the runtime lowercases only the name."""
    kind = type(logic).__name__
    simple = {
        "ClauseEquals": ("eq", "equals"),
        "ClauseStartsWith": ("sw", "starts_with"),
        "ClauseEndsWith": ("ew", "ends_with"),
        "ClauseContains": ("in", "contains"),
    }
    if kind in simple:
        tag, attribute = simple[kind]
        return (tag, getattr(logic, attribute).lower())
    if kind == "ClauseRegex":
        return ("re", logic.regex)
    if kind == "ClauseOr":
        return ("or", *(clause(part) for part in logic.or_))
    if kind == "ClauseAnd":
        return ("and", *(clause(part) for part in logic.and_))
    raise SystemExit(f"unknown genai-prices match clause {logic!r}: teach clause() and prices.py about it")


def prices_on(model: Any, day: datetime.date) -> Any:
    """The model's ``ModelPrice`` in force on ``day``: the last start date on or before it (genai-prices
    takes the last active conditional price); time-of-day prices (off-peak discounts) are skipped."""
    if not isinstance(model.prices, list):
        return model.prices
    chosen = model.prices[0].prices
    for conditional in model.prices:
        constraint = conditional.constraint
        if constraint is None:
            chosen = conditional.prices
        elif type(constraint).__name__ == "StartDateConstraint":
            if constraint.start_date <= day:
                chosen = conditional.prices
        elif type(constraint).__name__ != "TimeOfDateConstraint":
            raise SystemExit(f"{model.id}: unknown price constraint {constraint!r}")
    return chosen


def number(value: Decimal) -> float:
    result = float(value)
    if result < 0 or result != result or result in (float("inf"), float("-inf")):
        raise SystemExit(f"bad price {value!r}")
    return result


def price_row(model_price: Any) -> tuple[Any, ...] | None:
    """``(input, cached_input, cache_write, output, reasoning, tiers)`` per 1M tokens, or None when the model
    has no per-token input price. ``tiers``: ``((threshold, (input, ..., reasoning)), ...)``, each in force
    when the call's total input tokens exceed its threshold (genai-prices' ``TieredPrices``: crossing a
    threshold prices all tokens at the tier's rate)."""
    values = [getattr(model_price, key, None) for key in PRICE_KEYS]
    if values[0] is None:
        return None
    thresholds = sorted(
        {
            tier.start
            for value in values
            if value is not None and hasattr(value, "tiers")
            for tier in value.tiers
        }
    )

    def at(value: Any, threshold: int | None) -> float | None:
        if value is None:
            return None
        if not hasattr(value, "tiers"):
            return number(value)
        price = value.base
        for tier in sorted(value.tiers, key=lambda tier: tier.start):
            if threshold is not None and tier.start <= threshold:
                price = tier.price
        return number(price)

    base = tuple(at(value, None) for value in values)
    tiers = tuple((threshold, tuple(at(value, threshold) for value in values)) for threshold in thresholds)
    return (*base, tiers)


def provider_chains(providers: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    by_id = {provider.id: provider for provider in providers}
    chains = {}
    for ours, theirs in PROVIDER_IDS.items():
        if theirs not in by_id:
            raise SystemExit(f"genai-prices has no provider {theirs!r} (for {ours})")
        fallbacks = [pid for pid in by_id[theirs].fallback_model_providers or () if pid in by_id]
        chains[ours] = (theirs, *fallbacks)
    return chains


def table(providers: Sequence[Any], day: datetime.date) -> dict[str, list[tuple[str, Any, Any]]]:
    """genai-prices provider id -> [(model id, clause, row or None)] for every provider a chain names."""
    by_id = {provider.id: provider for provider in providers}
    needed = sorted({pid for chain in provider_chains(providers).values() for pid in chain})
    return {
        pid: [
            (model.id, clause(model.match), price_row(prices_on(model, day))) for model in by_id[pid].models
        ]
        for pid in needed
    }


# --- checking the translation against genai-prices ---------------------------------------------------


def our_cost(row: tuple[Any, ...], usage: tuple[int, int, int, int, int]) -> float:
    """The cost prices.py computes (kept in step with ``PriceTable._amount``)."""
    input_tokens, cache_read, cache_write, output_tokens, reasoning = usage
    prices = row[:5]
    for threshold, tier in row[5]:
        if input_tokens > threshold:
            prices = tier
    p_input, p_cached, p_write, p_output, p_reasoning = prices
    p_output = p_output or 0.0
    uncached = max(input_tokens - cache_read - cache_write, 0)
    return (
        uncached * p_input
        + cache_read * (p_input if p_cached is None else p_cached)
        + cache_write * (p_input if p_write is None else p_write)
        + max(output_tokens - reasoning, 0) * p_output
        + reasoning * (p_output if p_reasoning is None else p_reasoning)
    ) / 1_000_000


def check(providers: Sequence[Any], day: datetime.date, models: dict[str, list[tuple[str, Any, Any]]]) -> int:
    """Each written row prices each ``CHECK_USAGES`` split as genai-prices does; the number checked."""
    from genai_prices.types import ModelPrice, Usage

    by_id = {provider.id: provider for provider in providers}
    checked = 0
    for pid, rows in models.items():
        for model, (model_id, _, row) in zip(by_id[pid].models, rows, strict=True):
            assert model.id == model_id
            if row is None:
                continue
            source = prices_on(model, day)
            text_only = ModelPrice(**{key: getattr(source, key, None) for key in PRICE_KEYS})
            for usage in CHECK_USAGES:
                input_tokens, cache_read, cache_write, output_tokens, reasoning = usage
                expected = text_only.calc_price(
                    Usage(
                        input_tokens=input_tokens,
                        cache_read_tokens=cache_read,
                        cache_write_tokens=cache_write,
                        output_tokens=output_tokens,
                        output_reasoning_tokens=reasoning,
                    )
                )["total_price"]
                ours = our_cost(row, usage)
                if abs(ours - float(expected)) > 1e-9 * max(1.0, float(expected)):
                    raise SystemExit(f"{pid}/{model_id} {usage}: ours {ours!r} != genai-prices {expected}")
                checked += 1
    return checked


# --- writing ------------------------------------------------------------------------------------------


def literal(value: Any) -> str:
    """A Python literal, the same text for the same value (floats as their shortest repr)."""
    if isinstance(value, tuple):
        inner = ", ".join(literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None or isinstance(value, (int, float)):
        return repr(value)
    raise TypeError(value)


PROVIDERS_COMMENT = """\
# gen_ai.provider.name -> the genai-prices providers whose models price it, in lookup order: the
# first provider with a model whose clause matches decides (genai-prices' one-step fallback)."""

MODELS_COMMENT = """\
# genai-prices provider -> its models in genai-prices' order; the first whose clause matches wins.
# (model id, clause, prices). clause: ("eq" | "sw" | "ew" | "in" | "re", text) or ("or" | "and",
# *clauses): equals / starts with / ends with / contains / regex search, on the lowercased name.
# prices: (input, cached_input, cache_write, output, reasoning, tiers) in USD per 1M tokens, or
# None: the model is matched but has no per-token price (no cost). cached_input / cache_write None:
# billed as input; reasoning None: billed as output; output None: not billed (embeddings). tiers:
# ((threshold, (input, cached_input, cache_write, output, reasoning)), ...), ascending: in force
# when the call's total input tokens exceed the threshold (all its tokens at that rate)."""


def render(
    models: dict[str, list[tuple[str, Any, Any]]],
    chains: dict[str, tuple[str, ...]],
    version: str,
    licence: str,
    day: datetime.date,
) -> str:
    licence_lines = "\n".join(f"    {line}".rstrip() for line in licence.splitlines())
    lines = [
        '"""The price table otel-genai ships: USD per 1M text tokens, by provider and model.',
        "",
        f"GENERATED by scripts/generate_prices.py on {day.isoformat()} from genai-prices {version}",
        "(https://github.com/pydantic/genai-prices): do not edit; run the script to refresh it. The prices",
        "are those in force on that date; see the script for what is kept and what is left out.",
        "",
        "The data is genai-prices' and is used under its licence (MIT):",
        "",
        licence_lines,
        '"""',
        "",
        "# fmt: off",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        'TABLE_NAME = "otel-genai"',
        f'TABLE_DATE = "{day.isoformat()}"',
        f'SOURCE = "genai-prices {version}"',
        'SOURCE_LICENSE = "MIT"',
        'CURRENCY = "USD"',
        "",
        *PROVIDERS_COMMENT.splitlines(),
        "PROVIDERS: dict[str, tuple[str, ...]] = {",
        *(f"    {literal(ours)}: {literal(chain)}," for ours, chain in chains.items()),
        "}",
        "",
        *MODELS_COMMENT.splitlines(),
        "MODELS: dict[str, tuple[tuple[Any, ...], ...]] = {",
    ]
    for pid, rows in models.items():
        lines.append(f"    {literal(pid)}: (")
        lines += [f"        {literal(row)}," for row in rows]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from", dest="source", type=Path, help="an unpacked genai-prices wheel")
    source.add_argument("--installed", action="store_true", help="the genai-prices this Python imports")
    parser.add_argument("--version", default=PINNED, help=f"genai-prices to download (default {PINNED})")
    parser.add_argument("--date", type=datetime.date.fromisoformat, help="generation date (default today)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(list(argv) if argv is not None else None)
    day = args.date or datetime.datetime.now(datetime.timezone.utc).date()

    with tempfile.TemporaryDirectory() as scratch:
        source = None if args.installed else args.source or fetch(args.version, Path(scratch))
        providers, version, licence = load(source)
        if args.source is None and version != args.version:
            raise SystemExit(f"downloaded genai-prices {version}, not {args.version}")
        models = table(providers, day)
        chains = provider_chains(providers)
        checked = check(providers, day, models)
    args.output.write_text(render(models, chains, version, licence, day), encoding="utf-8")
    priced = sum(row[2] is not None for rows in models.values() for row in rows)
    print(
        f"wrote {args.output}: genai-prices {version} on {day}, {priced} priced models of "
        f"{len(models)} providers; {checked} costs agree with genai-prices",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
