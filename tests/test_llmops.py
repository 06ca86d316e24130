"""The LLMOps layer end to end: release, drift, prompt scopes, attribution and baggage, through real calls.

The openai client is answered locally (``FakeOpenAI``); its default answer comes from
``RESPONSE_MODEL`` (a dated gpt-4o-mini) with cached and reasoning tokens in its usage.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import importlib.util
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import propagate

import otel_genai
from helpers.openai_fakes import RESPONSE_MODEL, FakeOpenAI, chat_completion, embeddings_body
from helpers.telemetry import Telemetry
from otel_genai import semconv as sc
from otel_genai.llmops.attribution import AttributionPolicy
from otel_genai.llmops.manifest import ManifestError

MANIFEST: dict[str, Any] = {
    "release": {
        "feature": "support-summarizer",
        "version": "2025-03-14-rc2",
        "model": {
            "provider": "openai",
            "name": "gpt-4o-mini",
            "pinned_version": "2024-07-18",
            "temperature": 0.2,
            "max_tokens": 800,
        },
        "prompt": {"template_ref": "prompts/summarizer@v7", "guardrails": "guardrails/pii-redact@v3"},
        "retrieval": {
            "index": "kb-embeddings@2025-03-10",
            "embedding_model": "text-embedding-3-small",
            "top_k": 6,
        },
        "rollback_to": "2025-03-07-stable",
    }
}
RELEASE = MANIFEST["release"]
SECRET = "test-secret-for-user-ids"


def manifest(**changes: Any) -> dict[str, Any]:
    """The manifest with some of its top-level release fields replaced."""
    return {"release": {**RELEASE, **changes}}


def summarize(client: Any, *, model: str = "gpt-4o-mini", **kwargs: Any) -> Any:
    """The call the manifest describes: its model, temperature and max_tokens."""
    arguments: dict[str, Any] = {"temperature": 0.2, "max_tokens": 800, **kwargs}
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Summarize my ticket"}], **arguments
    )


def model_spans(telemetry: Telemetry) -> list[Any]:
    return [s for s in telemetry.spans() if s.attributes.get(sc.GEN_AI_OPERATION_NAME) == sc.OPERATION_CHAT]


def points_of(telemetry: Telemetry, metric: str) -> list[Any]:
    return telemetry.metrics().get(metric, [])


# --- the release on every span and metric ---------------------------------------------------------------


def test_every_genai_span_and_metric_carries_the_release(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=MANIFEST)
    fake_openai.reply("/chat/completions", chat_completion())
    fake_openai.reply("/embeddings", embeddings_body())

    @otel_genai.tool
    def lookup(ticket: str) -> str:
        return "open"

    @otel_genai.retriever
    def search(query: str, top_k: int = 6) -> list[dict[str, Any]]:
        return [{"id": "kb-1", "score": 0.9}]

    summarize(client)
    client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    lookup("T-1")
    search("printer")

    spans = telemetry.spans()
    assert len(spans) == 4
    for span in spans:
        assert span.attributes[sc.OTEL_GENAI_RELEASE_FEATURE] == RELEASE["feature"]
        assert span.attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]
        assert (
            span.attributes["otel_genai.release.model.pinned_version"] == RELEASE["model"]["pinned_version"]
        )
        assert span.attributes["otel_genai.release.retrieval.index"] == RELEASE["retrieval"]["index"]
        assert span.attributes["otel_genai.release.rollback_to"] == RELEASE["rollback_to"]
    retrieval = next(s for s in spans if s.attributes[sc.GEN_AI_OPERATION_NAME] == sc.OPERATION_RETRIEVAL)
    assert retrieval.attributes[sc.GEN_AI_DATA_SOURCE_ID] == RELEASE["retrieval"]["index"]
    assert retrieval.name == f"retrieval {RELEASE['retrieval']['index']}"

    metrics = telemetry.metrics()
    for name in (sc.METRIC_OPERATION_DURATION, sc.METRIC_TOKEN_USAGE, sc.METRIC_EXECUTE_TOOL_DURATION):
        assert metrics[name]
        for point in metrics[name]:
            assert point.attributes[sc.OTEL_GENAI_RELEASE_FEATURE] == RELEASE["feature"]
            assert point.attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]


def test_a_retrieval_keeps_its_own_data_source(make_telemetry: Callable[..., Telemetry]) -> None:
    telemetry = make_telemetry(release=MANIFEST)

    @otel_genai.retriever(data_source="tickets")
    def search(query: str) -> list[dict[str, Any]]:
        return []

    search("printer")
    assert telemetry.span().attributes[sc.GEN_AI_DATA_SOURCE_ID] == "tickets"


@pytest.mark.skipif(importlib.util.find_spec("chromadb") is None, reason="chromadb is not installed")
def test_a_retrieval_over_a_store_keeps_the_stores_collection(
    make_telemetry: Callable[..., Telemetry], chroma_client: Any
) -> None:
    """The manifest's index is the data source only where none better is known: a retriever over a vector
    store is named after the store's collection, and the database span under it carries no release."""
    telemetry = make_telemetry(release=MANIFEST)
    collection = chroma_client.create_collection("support_kb", embedding_function=None)
    collection.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])

    @otel_genai.retriever
    def search(query: str) -> list[Any]:
        return collection.query(query_embeddings=[[1.0, 0.1]], n_results=2)["ids"][0]

    search("printer")
    retrieval = next(
        s for s in telemetry.spans() if s.attributes.get(sc.GEN_AI_OPERATION_NAME) == "retrieval"
    )
    assert retrieval.name == "retrieval support_kb"
    assert retrieval.attributes[sc.GEN_AI_DATA_SOURCE_ID] == "support_kb"
    assert retrieval.attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]
    database = [s for s in telemetry.spans() if s is not retrieval]
    assert database and all(sc.OTEL_GENAI_RELEASE_FEATURE not in s.attributes for s in database)


def test_without_a_manifest_spans_carry_no_release(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client)
    attributes = telemetry.span().attributes
    assert not [name for name in attributes if name.startswith(sc.OTEL_GENAI_RELEASE_PREFIX)]
    assert sc.GEN_AI_PROMPT_NAME not in attributes


def test_a_bad_manifest_argument_raises_naming_the_field(make_telemetry: Callable[..., Telemetry]) -> None:
    bad = manifest(model={**RELEASE["model"], "temperature": "hot"})
    with pytest.raises(ManifestError, match=r"release\.model\.temperature"):
        make_telemetry(release=bad)


def test_a_bad_manifest_from_the_environment_is_logged_and_left_out(
    make_telemetry: Callable[..., Telemetry],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    client: Any,
    fake_openai: FakeOpenAI,
) -> None:
    path = tmp_path / "release.json"
    path.write_text(json.dumps(manifest(version=None)))
    monkeypatch.setenv("OTEL_GENAI_RELEASE", str(path))
    telemetry = make_telemetry()
    assert "release.version" in caplog.text
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client)
    assert sc.OTEL_GENAI_RELEASE_FEATURE not in telemetry.span().attributes


def test_the_manifest_path_from_the_environment(
    make_telemetry: Callable[..., Telemetry],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    client: Any,
    fake_openai: FakeOpenAI,
) -> None:
    path = tmp_path / "release.json"
    path.write_text(json.dumps(MANIFEST))
    monkeypatch.setenv("OTEL_GENAI_RELEASE", str(path))
    telemetry = make_telemetry()
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client)
    assert telemetry.span().attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]


def test_one_service_several_features(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    other = {**RELEASE, "feature": "triage", "version": "v3", "model": {"name": "gpt-4o"}}
    telemetry = make_telemetry(release=[MANIFEST, {"release": other}])
    fake_openai.reply("/chat/completions", chat_completion())

    with otel_genai.feature("triage"):
        summarize(client)
    with otel_genai.feature("support-summarizer"):
        summarize(client)
    summarize(client)  # several loaded, none selected: no release

    triage, summarizer, unselected = model_spans(telemetry)
    assert triage.attributes[sc.OTEL_GENAI_RELEASE_FEATURE] == "triage"
    assert triage.attributes[sc.OTEL_GENAI_RELEASE_VERSION] == "v3"
    assert triage.attributes[sc.OTEL_GENAI_FEATURE] == "triage"
    assert summarizer.attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]
    assert sc.OTEL_GENAI_RELEASE_FEATURE not in unselected.attributes


# --- drift ---------------------------------------------------------------------------------------------


def drift_counts(telemetry: Telemetry) -> dict[str, int]:
    return {
        point.attributes[sc.OTEL_GENAI_RELEASE_DRIFT_KIND]: point.value
        for point in points_of(telemetry, sc.METRIC_RELEASE_DRIFT)
    }


def test_no_drift_when_the_pinned_model_answers(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=MANIFEST)
    assert f"{RELEASE['model']['name']}-{RELEASE['model']['pinned_version']}" == RESPONSE_MODEL
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client)
    summarize(client, model=RESPONSE_MODEL)  # the dated name is the manifest's model too
    for span in model_spans(telemetry):
        assert sc.OTEL_GENAI_RELEASE_DRIFT not in span.attributes
    assert drift_counts(telemetry) == {}


@pytest.mark.parametrize(
    ("answering_model", "drifted"),
    [
        ("gpt-4o-mini-2024-07-18", False),
        ("gpt-4o-mini-2025-04-14", True),  # a new snapshot behind the same name
        ("gpt-4o-mini", True),  # an undated answer cannot be the pinned version
        ("gpt-4o-2024-08-06", True),
    ],
)
def test_drift_when_the_provider_answers_with_another_model(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    answering_model: str,
    drifted: bool,
) -> None:
    telemetry = make_telemetry(release=MANIFEST)
    fake_openai.reply("/chat/completions", chat_completion(model=answering_model))
    summarize(client)
    drift = telemetry.span().attributes.get(sc.OTEL_GENAI_RELEASE_DRIFT)
    if drifted:
        assert list(drift) == [sc.DRIFT_MODEL_VERSION]
        assert drift_counts(telemetry) == {sc.DRIFT_MODEL_VERSION: 1}
    else:
        assert drift is None
        assert drift_counts(telemetry) == {}


def test_drift_in_the_request(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=MANIFEST)
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client, model="gpt-4o-mini-2025-04-14")  # another snapshot requested
    summarize(client, temperature=0.7)
    summarize(client, max_tokens=100)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

    requested, hot, short, defaults = (
        set(s.attributes[sc.OTEL_GENAI_RELEASE_DRIFT]) for s in model_spans(telemetry)
    )
    assert requested == {sc.DRIFT_MODEL}
    assert hot == {sc.DRIFT_TEMPERATURE}
    assert short == {sc.DRIFT_MAX_TOKENS}
    # no temperature or max_tokens sent: the provider's defaults apply, not the release's
    assert defaults == {sc.DRIFT_TEMPERATURE, sc.DRIFT_MAX_TOKENS}
    counts = drift_counts(telemetry)
    assert counts == {sc.DRIFT_MODEL: 1, sc.DRIFT_TEMPERATURE: 2, sc.DRIFT_MAX_TOKENS: 2}
    for point in points_of(telemetry, sc.METRIC_RELEASE_DRIFT):
        assert point.attributes[sc.OTEL_GENAI_RELEASE_FEATURE] == RELEASE["feature"]
        assert point.attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]


def test_drift_of_the_provider(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=manifest(model={**RELEASE["model"], "provider": "anthropic"}))
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client)
    assert list(telemetry.span().attributes[sc.OTEL_GENAI_RELEASE_DRIFT]) == [sc.DRIFT_MODEL]


def test_drift_of_retrieval_and_embeddings(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=MANIFEST)
    fake_openai.reply("/embeddings", embeddings_body())

    @otel_genai.retriever
    def search(query: str, top_k: int) -> list[dict[str, Any]]:
        return []

    search("printer", top_k=RELEASE["retrieval"]["top_k"])
    search("printer", top_k=3)
    client.embeddings.create(model=RELEASE["retrieval"]["embedding_model"], input=["a"])
    client.embeddings.create(model="text-embedding-3-large", input=["a"])
    same_k, other_k, same_model, other_model = telemetry.spans()
    assert sc.OTEL_GENAI_RELEASE_DRIFT not in same_k.attributes
    assert list(other_k.attributes[sc.OTEL_GENAI_RELEASE_DRIFT]) == [sc.DRIFT_TOP_K]
    assert sc.OTEL_GENAI_RELEASE_DRIFT not in same_model.attributes
    assert list(other_model.attributes[sc.OTEL_GENAI_RELEASE_DRIFT]) == [sc.DRIFT_EMBEDDING_MODEL]


def test_drift_is_counted_for_unsampled_calls(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")  # read by the fixture's TracerProvider
    telemetry = make_telemetry(release=MANIFEST)
    fake_openai.reply("/chat/completions", chat_completion(model="gpt-4o-mini-2025-04-14"))
    summarize(client)
    assert telemetry.spans() == []
    assert drift_counts(telemetry) == {sc.DRIFT_MODEL_VERSION: 1}
    assert points_of(telemetry, sc.METRIC_OPERATION_COST)


# --- prompt scopes ---------------------------------------------------------------------------------------


def prompt_of(span: Any) -> tuple[Any, Any]:
    return span.attributes.get(sc.GEN_AI_PROMPT_NAME), span.attributes.get(sc.GEN_AI_PROMPT_VERSION)


def test_prompt_scopes_nest(telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.prompt("summarizer", version="v7"):
        summarize(client)
        with otel_genai.prompt("classifier"):
            summarize(client)  # a nested prompt replaces the outer one's version too
        summarize(client)
    summarize(client)
    assert [prompt_of(s) for s in model_spans(telemetry)] == [
        ("summarizer", "v7"),
        ("classifier", None),
        ("summarizer", "v7"),
        (None, None),
    ]


def test_the_manifest_template_is_the_default_prompt(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=MANIFEST)
    fake_openai.reply("/chat/completions", chat_completion())
    summarize(client)
    with otel_genai.prompt("escalation", version="v2"):
        summarize(client)
    name, version = RELEASE["prompt"]["template_ref"].rsplit("@", 1)
    assert [prompt_of(s) for s in model_spans(telemetry)] == [(name, version), ("escalation", "v2")]


def test_prompt_as_a_decorator_sync_and_async(
    telemetry: Telemetry, client: Any, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.prompt("summarizer", version="v7")
    def run() -> Any:
        return summarize(client)

    @otel_genai.prompt("summarizer", version="v8")
    async def run_async() -> Any:
        return await summarize(async_client)

    assert run().choices[0].message.content
    asyncio.run(run_async())
    assert [prompt_of(s) for s in model_spans(telemetry)] == [("summarizer", "v7"), ("summarizer", "v8")]


def test_prompt_scopes_of_concurrent_tasks_do_not_mix(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    async def call(version: str) -> None:
        async with otel_genai.prompt("summarizer", version=version):
            await asyncio.sleep(0)  # the other tasks run here
            await summarize(async_client, user=version)

    async def main() -> None:
        await asyncio.gather(*(call(f"v{i}") for i in range(5)))

    asyncio.run(main())
    requests = [json.loads(r.content)["user"] for r in fake_openai.requests]
    versions = [prompt_of(s)[1] for s in model_spans(telemetry)]
    assert sorted(versions) == sorted(requests) == [f"v{i}" for i in range(5)]


def test_prompt_scopes_stay_in_their_thread(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    barrier = threading.Barrier(3)

    def worker(version: str | None) -> None:
        if version is None:
            barrier.wait()
            summarize(client, user="none")
            return
        with otel_genai.prompt("summarizer", version=version):
            barrier.wait()  # every thread is inside its own scope (or none) at once
            summarize(client, user=version)

    threads = [threading.Thread(target=worker, args=(v,)) for v in ("v1", "v2", None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_user = {json.loads(r.content)["user"]: None for r in fake_openai.requests}
    assert set(by_user) == {"v1", "v2", "none"}
    versions = sorted((prompt_of(s)[1] or "none") for s in model_spans(telemetry))
    assert versions == ["none", "v1", "v2"]


def test_a_prompt_scope_follows_a_copied_context_into_a_pool(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.prompt("summarizer", version="v7"), ThreadPoolExecutor(2) as pool:
        context = contextvars.copy_context()
        pool.submit(context.run, summarize, client).result()
    assert prompt_of(telemetry.span()) == ("summarizer", "v7")


SHARED_PROMPT = otel_genai.prompt("shared", version="v1")  # one block object, entered by many tasks


def test_one_block_object_shared_by_concurrent_tasks(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    async def call(user: str) -> None:
        async with SHARED_PROMPT:
            await asyncio.sleep(0)  # the other tasks enter the same block here
            await summarize(async_client, user=user)
        await summarize(async_client, user=f"{user}-after")  # the block is left: no prompt

    async def main() -> None:
        await asyncio.gather(*(call(f"u{i}") for i in range(4)))

    asyncio.run(main())
    prompts = Counter(prompt_of(span) for span in model_spans(telemetry))
    # inside the block: the prompt; after it, in every task: none (no task detached another's entry)
    assert prompts == {("shared", "v1"): 4, (None, None): 4}


def test_a_decorated_generator_runs_each_step_in_the_scope(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.prompt("streaming", version="v2")
    def answers(count: int) -> Any:
        for _ in range(count):
            yield summarize(client)

    generator = answers(2)
    next(generator)
    summarize(client)  # the consumer, between two steps: not in the generator's scope
    list(generator)
    inside, between, last = model_spans(telemetry)
    assert prompt_of(inside) == prompt_of(last) == ("streaming", "v2")
    assert prompt_of(between) == (None, None)


def test_a_decorated_async_generator_runs_each_step_in_the_scope(
    telemetry: Telemetry, async_client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.attributes(tenant="acme")
    async def answers(count: int) -> Any:
        for _ in range(count):
            yield await summarize(async_client)

    async def main() -> None:
        stream = answers(2)
        await stream.__anext__()
        await summarize(async_client)
        async for _ in stream:
            pass

    asyncio.run(main())
    tenants = [s.attributes.get(sc.OTEL_GENAI_TENANT_ID) for s in model_spans(telemetry)]
    assert tenants == ["acme", None, "acme"]


def test_attribution_values_may_be_any_object(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI
) -> None:
    import uuid

    fake_openai.reply("/chat/completions", chat_completion())
    user = uuid.uuid4()
    with otel_genai.attributes(tenant=42, user=user):
        summarize(client)
    attributes = telemetry.span().attributes
    assert attributes[sc.OTEL_GENAI_TENANT_ID] == "42"
    assert str(user) not in everything_exported(telemetry)


def test_prompt_variables_only_with_content_capture(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    variables = {"product": "printer", "tone": "friendly"}

    telemetry = make_telemetry()
    with otel_genai.prompt("summarizer", version="v7", variables=variables):
        summarize(client)
    assert not [k for k in telemetry.span().attributes if k.startswith(sc.GEN_AI_PROMPT_VARIABLE_PREFIX)]
    otel_genai.uninstrument()

    telemetry = make_telemetry(capture_content=True, redaction=False)
    with otel_genai.prompt("summarizer", version="v7", variables=variables):
        summarize(client)
    attributes = telemetry.span().attributes
    for name, value in variables.items():
        assert attributes[sc.GEN_AI_PROMPT_VARIABLE_PREFIX + name] == value


def test_in_the_event_modes_the_event_carries_prompt_variables_and_cost(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(capture_content="EVENT_ONLY", redaction=False, release=MANIFEST)
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.prompt("summarizer", version="v7", variables={"product": "printer"}):
        summarize(client)
    span = telemetry.span()
    assert not [
        k for k in span.attributes if k.startswith(sc.GEN_AI_PROMPT_VARIABLE_PREFIX)
    ]  # content: not here
    [log] = telemetry.logs()
    event = dict(log.log_record.attributes)
    assert event[sc.GEN_AI_PROMPT_VARIABLE_PREFIX + "product"] == "printer"
    assert (event[sc.GEN_AI_PROMPT_NAME], event[sc.GEN_AI_PROMPT_VERSION]) == ("summarizer", "v7")
    assert event[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]
    assert event[sc.GEN_AI_USAGE_COST_AMOUNT] == span.attributes[sc.GEN_AI_USAGE_COST_AMOUNT]


def test_prompt_variables_pass_through_redaction(client: Any, fake_openai: FakeOpenAI) -> None:
    from helpers.redacted import RedactedPipeline

    email = "margaret.thornton@example.com"
    pipeline = RedactedPipeline.start("SPAN_ONLY", redact_spans=True, redact_logs=False)
    try:
        fake_openai.reply("/chat/completions", chat_completion())
        with otel_genai.prompt(
            "summarizer", version="v7", variables={"customer": email, "product": "printer"}
        ):
            summarize(client)
        [span] = pipeline.spans()
        attributes = span.attributes or {}
        assert email not in json.dumps(dict(attributes))
        assert attributes[sc.GEN_AI_PROMPT_VARIABLE_PREFIX + "customer"] == "<EMAIL_ADDRESS>"
        assert attributes[sc.GEN_AI_PROMPT_VARIABLE_PREFIX + "product"] == "printer"
    finally:
        otel_genai.uninstrument()
        pipeline.shutdown()


def test_prompt_arguments_are_checked() -> None:
    with pytest.raises(TypeError):
        otel_genai.prompt(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        otel_genai.prompt(" ")


# --- attribution -----------------------------------------------------------------------------------------


def pseudo(user: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), user.encode(), hashlib.sha256).hexdigest()[:32]


def everything_exported(telemetry: Telemetry) -> str:
    """Every span attribute and event, every metric point's attributes, as one text."""
    parts = [json.dumps(dict(s.attributes), default=str) for s in telemetry.spans()]
    parts += [
        json.dumps([dict(e.attributes or {}) for e in s.events], default=str) for s in telemetry.spans()
    ]
    for points in telemetry.metrics().values():
        parts += [json.dumps(dict(p.attributes), default=str) for p in points]
    return "\n".join(parts)


def test_attribution_on_every_span_and_on_spend_metrics(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(release=MANIFEST, attribution=AttributionPolicy(user_id_secret=SECRET))
    fake_openai.reply("/chat/completions", chat_completion())

    @otel_genai.tool
    def lookup(ticket: str) -> str:
        return "open"

    with otel_genai.attributes(tenant="acme", user="u-17", session="s-42", feature="summaries"):
        summarize(client)
        lookup("T-1")
    for span in telemetry.spans():
        assert span.attributes[sc.OTEL_GENAI_TENANT_ID] == "acme"
        assert span.attributes[sc.SESSION_ID] == "s-42"
        assert span.attributes[sc.OTEL_GENAI_FEATURE] == "summaries"
        assert span.attributes[sc.ENDUSER_PSEUDO_ID] == pseudo("u-17")
    assert "u-17" not in everything_exported(telemetry)
    for metric in (sc.METRIC_TOKEN_USAGE, sc.METRIC_OPERATION_COST):
        for point in points_of(telemetry, metric):
            assert point.attributes[sc.OTEL_GENAI_TENANT_ID] == "acme"
            assert point.attributes[sc.OTEL_GENAI_FEATURE] == "summaries"
            assert point.attributes[sc.GEN_AI_PROMPT_NAME] == "prompts/summarizer"
            assert point.attributes[sc.GEN_AI_PROMPT_VERSION] == "v7"
            assert sc.ENDUSER_PSEUDO_ID not in point.attributes  # users are never a metric dimension
    for point in points_of(telemetry, sc.METRIC_OPERATION_DURATION):
        assert sc.OTEL_GENAI_TENANT_ID not in point.attributes


def test_raw_user_ids_only_when_opted_in(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    telemetry = make_telemetry(attribution=AttributionPolicy(raw_user_ids=True))
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.attributes(user="u-17"):
        summarize(client)
    attributes = telemetry.span().attributes
    assert attributes[sc.ENDUSER_ID] == "u-17"
    assert sc.ENDUSER_PSEUDO_ID not in attributes


def test_without_a_secret_user_ids_are_still_pseudonymous(
    telemetry: Telemetry, client: Any, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.attributes(user="u-17"):
        summarize(client)
        summarize(client)
    first, second = (s.attributes[sc.ENDUSER_PSEUDO_ID] for s in telemetry.spans())
    assert first == second != pseudo("u-17")
    assert "u-17" not in everything_exported(telemetry)
    assert "OTEL_GENAI_USER_ID_SECRET" in caplog.text


def test_metric_values_beyond_the_allow_list_are_other(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    policy = AttributionPolicy(metric_allow_list={"tenant": ["acme"]}, metric_value_limit=1)
    telemetry = make_telemetry(attribution=policy)
    fake_openai.reply("/chat/completions", chat_completion())
    for tenant, feature in (("acme", "a"), ("globex", "b"), ("initech", "a")):
        with otel_genai.attributes(tenant=tenant, feature=feature):
            summarize(client)
    seen = {
        (p.attributes[sc.OTEL_GENAI_TENANT_ID], p.attributes[sc.OTEL_GENAI_FEATURE])
        for p in points_of(telemetry, sc.METRIC_TOKEN_USAGE)
    }
    other = sc.METRIC_VALUE_OTHER
    assert seen == {("acme", "a"), (other, other), (other, "a")}
    # spans keep the real values
    assert [s.attributes[sc.OTEL_GENAI_TENANT_ID] for s in model_spans(telemetry)] == [
        "acme",
        "globex",
        "initech",
    ]


def test_attribution_from_the_environment(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_GENAI_USER_ID_SECRET", SECRET)
    monkeypatch.setenv("OTEL_GENAI_METRIC_TENANTS", "acme, globex")
    telemetry = make_telemetry()
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.attributes(tenant="initech", user="u-17"):
        summarize(client)
    assert telemetry.span().attributes[sc.ENDUSER_PSEUDO_ID] == pseudo("u-17")
    assert {p.attributes[sc.OTEL_GENAI_TENANT_ID] for p in points_of(telemetry, sc.METRIC_TOKEN_USAGE)} == {
        sc.METRIC_VALUE_OTHER
    }


class _TicketService:
    """A second "service" over loopback HTTP: it extracts the caller's W3C context and makes a model call."""

    def __init__(self, client: Any) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}  # urllib capitalises
                service.received_headers.append(headers)
                context = propagate.extract(headers)
                token = otel_context.attach(context)
                try:
                    summarize(client)
                finally:
                    otel_context.detach(token)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received_headers: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/summaries"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ticket_service(client: Any) -> Iterator[_TicketService]:
    service = _TicketService(client)
    yield service
    service.close()


def test_attribution_travels_as_baggage_into_another_service(
    make_telemetry: Callable[..., Telemetry],
    client: Any,
    fake_openai: FakeOpenAI,
    ticket_service: _TicketService,
) -> None:
    import urllib.request

    telemetry = make_telemetry(attribution=AttributionPolicy(user_id_secret=SECRET))
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.attributes(tenant="acme", user="u-17", session="s-42", feature="summaries"):
        headers: dict[str, str] = {}
        propagate.inject(headers)
        request = urllib.request.Request(ticket_service.url, data=b"{}", headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    downstream = telemetry.span()  # made by the other "service", under the extracted context
    assert downstream.attributes[sc.OTEL_GENAI_TENANT_ID] == "acme"
    assert downstream.attributes[sc.SESSION_ID] == "s-42"
    assert downstream.attributes[sc.OTEL_GENAI_FEATURE] == "summaries"
    assert downstream.attributes[sc.ENDUSER_PSEUDO_ID] == pseudo("u-17")
    # the raw id never left the first service
    assert "u-17" not in json.dumps(ticket_service.received_headers)
    assert "u-17" not in everything_exported(telemetry)


def test_a_raw_user_id_in_upstream_baggage_is_pseudonymised(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI
) -> None:
    from opentelemetry import baggage

    telemetry = make_telemetry(attribution=AttributionPolicy(user_id_secret=SECRET))
    fake_openai.reply("/chat/completions", chat_completion())
    context = baggage.set_baggage(sc.ENDUSER_ID, "u-17", baggage.set_baggage(sc.OTEL_GENAI_TENANT_ID, "acme"))
    token = otel_context.attach(context)
    try:
        summarize(client)
        with otel_genai.prompt("summarizer"):  # a scope of ours opened under the upstream baggage
            summarize(client)
            outgoing: dict[str, str] = {}
            propagate.inject(outgoing)
    finally:
        otel_context.detach(token)
    for span in model_spans(telemetry):
        assert span.attributes[sc.ENDUSER_PSEUDO_ID] == pseudo("u-17")
        assert span.attributes[sc.OTEL_GENAI_TENANT_ID] == "acme"
    assert "u-17" not in everything_exported(telemetry)
    assert "u-17" not in json.dumps(outgoing)


# --- offline ---------------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every socket connection and name lookup is refused (and remembered)."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network access refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_release_cost_and_attribution_need_no_network(
    make_telemetry: Callable[..., Telemetry], client: Any, fake_openai: FakeOpenAI, no_network: list[Any]
) -> None:
    telemetry = make_telemetry(
        release=MANIFEST,
        prices={"models": [{"model": "gpt-4o-mini-2024-07-18", "input": 1.0, "output": 2.0}]},
        attribution=AttributionPolicy(user_id_secret=SECRET),
    )
    fake_openai.reply("/chat/completions", chat_completion())
    with otel_genai.attributes(tenant="acme", user="u-17"), otel_genai.prompt("summarizer", version="v7"):
        summarize(client)
    attributes = telemetry.span().attributes
    assert attributes[sc.OTEL_GENAI_RELEASE_VERSION] == RELEASE["version"]
    assert attributes[sc.GEN_AI_USAGE_COST_AMOUNT] > 0
    assert attributes[sc.ENDUSER_PSEUDO_ID] == pseudo("u-17")
    assert no_network == []


# --- doctor ----------------------------------------------------------------------------------------------


def test_doctor_shows_the_release_its_errors_and_an_unpriced_release_model(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from otel_genai.cli import doctor
    from otel_genai.cli._output import Style

    def settings_section() -> str:
        report = doctor.doctor_report()
        return doctor.render_doctor(report, Style(io.StringIO())).split("\nOTLP export")[0]

    good = tmp_path / "release.json"
    good.write_text(json.dumps(MANIFEST))
    monkeypatch.setenv("OTEL_GENAI_RELEASE", str(good))
    text = settings_section()
    assert f"{RELEASE['feature']}@{RELEASE['version']}" in text
    assert "No price" not in text

    unpriced = tmp_path / "unpriced.json"
    unpriced.write_text(json.dumps(manifest(model={"provider": "openai", "name": "acme-finetune-7"})))
    monkeypatch.setenv("OTEL_GENAI_RELEASE", str(unpriced))
    assert (
        "No price for the release's model support-summarizer: acme-finetune-7 (openai)" in settings_section()
    )
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": [{"model": "acme-finetune-7", "input": 1.0, "output": 2.0}]}))
    monkeypatch.setenv("OTEL_GENAI_PRICES", str(prices))
    assert "No price" not in settings_section()  # the override prices it

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(manifest(model={"name": "gpt-4o-mini", "temprature": 0.2})))
    monkeypatch.setenv("OTEL_GENAI_RELEASE", str(bad))
    text = settings_section()
    assert "The release manifest does not load" in text
    assert "release.model.temprature" in text and "temperature" in text
