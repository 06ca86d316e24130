"""``otel-genai demo``: the support-bot demo (``otel_genai.demo``), its trace printed as a tree."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``demo`` to the ``otel-genai`` sub-command parsers."""
    demo = commands.add_parser(
        "demo",
        help="run the support-bot demo and print its trace",
        description="A small support bot (retrieval, a tool call, a streamed answer, an embedding) run "
        "with the real openai client against a local fake API, traced with content capture and "
        "redaction on, as a release with a tenant and a user; the trace is printed as a tree with "
        "each call's cost and any drift from the release. Needs the openai and chromadb packages, no "
        "network and no API key. Also exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.",
    )
    demo.add_argument("--question", help="what the customer asks (default: a question full of fake PII)")
    demo.set_defaults(handler=_command)


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from otel_genai.demo import run

    return run(args.question)
