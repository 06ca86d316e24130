"""LangChain retrieval: real ``langchain_core`` retrievers and vector stores, and a real in-process Chroma.

Stores are ``InMemoryVectorStore`` (numpy cosine similarity) over a deterministic word-count embedding, so
every score on a span can be compared with what the store itself returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import InMemoryVectorStore, VectorStore
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import StatusCode

import otel_genai
from helpers.vector_store_asserts import documents

VOCABULARY = ("cat", "dog", "fish", "bird", "tree", "river", "sun", "moon", "car", "road")
TEXTS = {
    "d1": "cat dog",
    "d2": "cat cat fish",
    "d3": "dog bird tree",
    "d4": "river fish fish",
    "d5": "sun moon",
    "d6": "car road car",
    "d7": "cat tree river sun",
}
MODEL = "word-count-v1"
SEARCH_METHODS = (
    "similarity_search",
    "similarity_search_with_score",
    "similarity_search_with_relevance_scores",
    "similarity_search_by_vector",
    "similarity_search_with_score_by_vector",
)
SEARCH_METHODS += tuple(f"a{name}" for name in SEARCH_METHODS)


class WordEmbeddings(Embeddings):
    """One dimension per vocabulary word (its count) plus a constant one, so no vector is zero."""

    model = MODEL

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        words = text.lower().split()
        return [float(words.count(word)) for word in VOCABULARY] + [0.5]


class RelevanceStore(InMemoryVectorStore):
    """InMemoryVectorStore has no relevance function; this one maps cosine [-1, 1] onto [0, 1]."""

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return lambda similarity: (similarity + 1) / 2


class KeywordRetriever(BaseRetriever):
    """A retriever with no store: the documents sharing most words with the query, ``k`` of them."""

    k: int = 2

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        words = set(query.split())
        ranked = sorted(TEXTS.items(), key=lambda item: -len(words & set(item[1].split())))
        return [Document(id=doc_id, page_content=text) for doc_id, text in ranked[: self.k]]


class RetrievalFailed(RuntimeError):
    pass


class FailingRetriever(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        raise RetrievalFailed("index offline")


def make_store(cls: type[InMemoryVectorStore] = InMemoryVectorStore) -> InMemoryVectorStore:
    store = cls(WordEmbeddings())
    store.add_texts(list(TEXTS.values()), ids=list(TEXTS))
    return store


def pairs(span: Any) -> list[tuple[str, float]]:
    return [(d["id"], d["score"]) for d in documents(span)]


@pytest.fixture
def lc_telemetry(make_telemetry: Callable[..., Any]) -> Any:
    """LangChain instrumented alone, content on spans."""
    return make_telemetry(capture_content=True, instrumentors=["langchain"])


@pytest.fixture
def store() -> InMemoryVectorStore:
    return make_store()


# --- vector-store searches ------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 5])
def test_similarity_search_with_score_records_the_store_hits(
    lc_telemetry: Any, store: InMemoryVectorStore, k: int, validate_schema: Any
) -> None:
    hits = store.similarity_search_with_score("cat fish", k=k)

    span = lc_telemetry.span()  # the nested search by vector opened no second span
    assert pairs(span) == [(doc.id, score) for doc, score in hits]
    assert len(hits) == k
    validate_schema("gen-ai-retrieval-documents", span.attributes["gen_ai.retrieval.documents"])
    attributes = span.attributes
    assert span.name == "retrieval"  # the in-memory store has no collection name to show
    assert attributes["gen_ai.operation.name"] == "retrieval"
    assert attributes["gen_ai.retrieval.top_k"] == k
    assert attributes["db.operation.name"] == "similarity_search_with_score"
    assert attributes["db.response.returned_rows"] == k
    assert attributes["gen_ai.request.model"] == MODEL
    assert attributes["otel_genai.retrieval.score.kind"] == "similarity"
    assert attributes["otel_genai.retrieval.score.metric"] == "cosine"
    assert "db.system.name" not in attributes and "gen_ai.data_source.id" not in attributes


@pytest.mark.parametrize("k", [2, 4])
def test_similarity_search_takes_the_scores_of_its_nested_scored_search(
    lc_telemetry: Any, store: InMemoryVectorStore, k: int
) -> None:
    expected = [(doc.id, score) for doc, score in store.similarity_search_with_score("dog tree", k=k)]
    lc_telemetry.span_exporter.clear()

    found = store.similarity_search("dog tree", k=k)

    span = lc_telemetry.span()
    assert [doc.id for doc in found] == [doc_id for doc_id, _ in expected]
    assert pairs(span) == expected
    assert span.attributes["db.operation.name"] == "similarity_search"
    assert span.attributes["otel_genai.retrieval.score.metric"] == "cosine"


def test_the_default_k_is_the_search_methods_own(lc_telemetry: Any, store: InMemoryVectorStore) -> None:
    found = store.similarity_search("sun")
    assert lc_telemetry.span().attributes["gen_ai.retrieval.top_k"] == 4 == len(found)


@pytest.mark.parametrize("k", [1, 3])
def test_relevance_scores_are_marked_as_relevance(lc_telemetry: Any, k: int) -> None:
    store = make_store(RelevanceStore)
    cosine = dict((doc.id, score) for doc, score in store.similarity_search_with_score("river fish", k=k))
    lc_telemetry.span_exporter.clear()

    hits = store.similarity_search_with_relevance_scores("river fish", k=k)

    span = lc_telemetry.span()
    assert pairs(span) == [(doc.id, score) for doc, score in hits]
    # the span keeps the relevance scores the caller got, not the cosine similarities beneath them
    assert [score for _, score in pairs(span)] != [cosine[doc.id] for doc, _ in hits]
    assert span.attributes["otel_genai.retrieval.score.kind"] == "similarity"
    assert span.attributes["otel_genai.retrieval.score.metric"] == "relevance"
    assert span.attributes["db.operation.name"] == "similarity_search_with_relevance_scores"


def test_search_by_vector_has_ids_but_no_query_text(lc_telemetry: Any, store: InMemoryVectorStore) -> None:
    vector = WordEmbeddings().embed_query("car road")
    found = store.similarity_search_by_vector(vector, k=2)

    span = lc_telemetry.span()
    assert [d["id"] for d in documents(span)] == [doc.id for doc in found]
    assert [d["content"] for d in documents(span)] == [doc.page_content for doc in found]
    assert "gen_ai.retrieval.query.text" not in span.attributes
    assert all(set(d) == {"id", "score", "content"} for d in documents(span))  # and no vector anywhere
    assert all(not isinstance(value, tuple) for value in span.attributes.values())


async def test_async_store_searches(lc_telemetry: Any) -> None:
    store = make_store(RelevanceStore)
    scored = await store.asimilarity_search_with_score("cat dog", k=3)
    found = await store.asimilarity_search("cat dog", k=3)
    relevant = await store.asimilarity_search_with_relevance_scores("cat dog", k=2)

    with_score, plain, relevance = lc_telemetry.spans()
    assert pairs(with_score) == [(doc.id, score) for doc, score in scored]
    assert pairs(plain) == pairs(with_score) and [doc.id for doc in found] == [d for d, _ in pairs(plain)]
    assert pairs(relevance) == [(doc.id, score) for doc, score in relevant]
    assert [s.attributes["db.operation.name"] for s in (with_score, plain, relevance)] == [
        "asimilarity_search_with_score",
        "asimilarity_search",
        "asimilarity_search_with_relevance_scores",
    ]
    assert relevance.attributes["otel_genai.retrieval.score.metric"] == "relevance"


def test_a_store_defined_after_instrument_is_traced(lc_telemetry: Any) -> None:
    class NotesStore(VectorStore):
        """A third-party store imported late: its own searches, its own collection name, k defaults to 3."""

        def __init__(self) -> None:
            self.collection_name = "team-notes"

        def similarity_search_with_score(self, query: str, k: int = 3, **kwargs: Any) -> Any:
            hits = [(Document(id=f"n{i}", page_content=f"note {i}"), 10.0 - i) for i in range(5)]
            return hits[:k]

        def similarity_search(self, query: str, k: int = 3, **kwargs: Any) -> list[Document]:
            return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

        @classmethod
        def from_texts(cls, texts: Any, embedding: Any, metadatas: Any = None, **kwargs: Any) -> Any:
            return cls()

    store = NotesStore()
    hits = store.similarity_search_with_score("notes")
    found = store.as_retriever().invoke("notes")

    search, retrieval = lc_telemetry.spans()
    assert search.name == "retrieval team-notes"
    assert search.attributes["gen_ai.data_source.id"] == "team-notes"
    assert search.attributes["db.collection.name"] == "team-notes"
    assert search.attributes["gen_ai.retrieval.top_k"] == 3
    assert pairs(search) == [(doc.id, score) for doc, score in hits]
    # nothing says what this store's scores mean, so the span does not claim to know
    assert "otel_genai.retrieval.score.kind" not in search.attributes
    assert retrieval.name == "retrieval team-notes"
    assert retrieval.attributes["gen_ai.retrieval.top_k"] == 3
    assert pairs(retrieval) == [(doc.id, score) for doc, score in hits] and len(found) == 3


# --- retrievers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3])
def test_a_retriever_over_an_instrumented_store_is_one_span(
    lc_telemetry: Any, store: InMemoryVectorStore, k: int
) -> None:
    expected = [(doc.id, score) for doc, score in store.similarity_search_with_score("cat river", k=k)]
    lc_telemetry.span_exporter.clear()

    found = store.as_retriever(search_kwargs={"k": k}).invoke("cat river")

    span = lc_telemetry.span()
    assert [doc.id for doc in found] == [doc_id for doc_id, _ in expected]
    assert pairs(span) == expected  # the store's scores, handed up to the retriever's span
    assert span.attributes["gen_ai.retrieval.top_k"] == k
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert span.attributes["gen_ai.retrieval.query.text"] == "cat river"
    assert span.attributes["code.function.name"] == "VectorStoreRetriever.invoke"
    assert span.attributes["otel_genai.retrieval.score.metric"] == "cosine"
    assert [d["content"] for d in documents(span)] == [doc.page_content for doc in found]


def test_k_given_to_invoke_overrides_the_search_kwargs(lc_telemetry: Any, store: InMemoryVectorStore) -> None:
    found = store.as_retriever(search_kwargs={"k": 1}).invoke("cat", k=3)
    span = lc_telemetry.span()
    assert span.attributes["gen_ai.retrieval.top_k"] == 3 == len(found)


async def test_retriever_ainvoke_over_a_store_is_one_span(
    lc_telemetry: Any, store: InMemoryVectorStore
) -> None:
    expected = [(doc.id, score) for doc, score in store.similarity_search_with_score("moon sun", k=2)]
    lc_telemetry.span_exporter.clear()

    found = await store.as_retriever(search_kwargs={"k": 2}).ainvoke("moon sun")

    span = lc_telemetry.span()
    assert [doc.id for doc in found] == [doc_id for doc_id, _ in expected]
    assert pairs(span) == expected


def test_score_threshold_retriever_keeps_the_store_scores(lc_telemetry: Any) -> None:
    store = make_store(RelevanceStore)
    cosine = dict((doc.id, score) for doc, score in store.similarity_search_with_score("fish", k=4))
    lc_telemetry.span_exporter.clear()
    retriever = store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"k": 4, "score_threshold": 0.6}
    )

    found = retriever.invoke("fish")

    span = lc_telemetry.span()
    assert 0 < len(found) < 4  # the threshold dropped some
    assert pairs(span) == [(doc.id, cosine[doc.id]) for doc in found]
    assert span.attributes["otel_genai.retrieval.score.metric"] == "cosine"


@pytest.mark.parametrize("k", [1, 3])
async def test_custom_retriever_invoke_and_ainvoke(lc_telemetry: Any, k: int) -> None:
    retriever = KeywordRetriever(k=k)
    found = retriever.invoke("cat tree")
    found_async = await retriever.ainvoke("cat tree")

    spans = lc_telemetry.spans()
    assert len(spans) == 2
    for span, result, method in zip(spans, (found, found_async), ("invoke", "ainvoke"), strict=True):
        assert [d["id"] for d in documents(span)] == [doc.id for doc in result]
        assert all("score" not in d for d in documents(span))  # the retriever gives none
        assert span.attributes["gen_ai.retrieval.top_k"] == k
        assert span.attributes["code.function.name"] == f"KeywordRetriever.{method}"
        assert span.attributes["gen_ai.retrieval.query.text"] == "cat tree"


@pytest.fixture
def chroma_collection(chroma_client: Any) -> Iterator[Any]:
    client = chroma_client
    name = f"notes-{uuid.uuid4().hex[:8]}"
    collection = client.create_collection(name, embedding_function=None)
    embeddings = WordEmbeddings()
    collection.add(
        ids=list(TEXTS),
        embeddings=embeddings.embed_documents(list(TEXTS.values())),
        documents=list(TEXTS.values()),
    )
    yield collection
    client.delete_collection(name)


class ChromaRetriever(BaseRetriever):
    """A hand-written retriever over a Chroma collection (returns documents without scores)."""

    collection: Any
    k: int = 3

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        result = self.collection.query(
            query_embeddings=[WordEmbeddings().embed_query(query)], n_results=self.k
        )
        return [
            Document(id=doc_id, page_content=text)
            for doc_id, text in zip(result["ids"][0], result["documents"][0], strict=True)
        ]


@pytest.mark.parametrize("k", [2, 4])
def test_a_retriever_over_chroma_has_the_chroma_span_under_it(
    make_telemetry: Callable[..., Any], chroma_collection: Any, k: int
) -> None:
    telemetry = make_telemetry(capture_content=True, instrumentors=["langchain", "chromadb"])
    query = [WordEmbeddings().embed_query("dog fish")]
    direct = chroma_collection.query(query_embeddings=query, n_results=k)
    telemetry.span_exporter.clear()

    found = ChromaRetriever(collection=chroma_collection, k=k).invoke("dog fish")

    database, retrieval = telemetry.spans()
    assert database.parent is not None and database.parent.span_id == retrieval.context.span_id
    assert database.name == f"query {chroma_collection.name}"
    assert "gen_ai.retrieval.documents" not in database.attributes
    assert [doc.id for doc in found] == direct["ids"][0]
    assert pairs(retrieval) == list(zip(direct["ids"][0], direct["distances"][0], strict=True))
    assert retrieval.name == f"retrieval {chroma_collection.name}"  # adopted from the collection
    assert retrieval.attributes["db.system.name"] == "chroma"
    assert retrieval.attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert retrieval.attributes["otel_genai.retrieval.score.metric"] == "l2"
    assert retrieval.attributes["gen_ai.retrieval.top_k"] == k


class ChromaStore(VectorStore):
    """A LangChain store over a Chroma collection, shaped like ``langchain_chroma.Chroma``."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self._collection_name = collection.name
        self.embedding = WordEmbeddings()

    @property
    def embeddings(self) -> Embeddings:
        return self.embedding

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> Any:
        result = self._collection.query(query_embeddings=[self.embedding.embed_query(query)], n_results=k)
        hits = zip(result["ids"][0], result["documents"][0], result["distances"][0], strict=True)
        return [(Document(id=doc_id, page_content=text), distance) for doc_id, text, distance in hits]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    @classmethod
    def from_texts(cls, texts: Any, embedding: Any, metadatas: Any = None, **kwargs: Any) -> Any:
        raise NotImplementedError


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_retriever_over_a_chroma_backed_store_is_one_retrieval_over_one_query(
    make_telemetry: Callable[..., Any], chroma_collection: Any, asynchronous: bool
) -> None:
    telemetry = make_telemetry(instrumentors=["langchain", "chromadb"])
    store = ChromaStore(chroma_collection)
    expected = [(doc.id, score) for doc, score in store.similarity_search_with_score("bird tree", k=3)]
    direct_search, direct_query = telemetry.spans()[::-1]  # the query ends first
    telemetry.span_exporter.clear()

    retriever = store.as_retriever(search_kwargs={"k": 3})
    found = await retriever.ainvoke("bird tree") if asynchronous else retriever.invoke("bird tree")

    # the store alone: its retrieval span, Chroma's database span under it, Chroma's distances adopted
    assert direct_search.name == f"retrieval {chroma_collection.name}"
    assert direct_query.parent.span_id == direct_search.context.span_id
    assert pairs(direct_search) == expected
    assert direct_search.attributes["otel_genai.retrieval.score.kind"] == "distance"
    # the retriever over it: one retrieval span (none for the store's searches), the query under it
    query, retrieval = telemetry.spans()
    assert query.name == f"query {chroma_collection.name}"
    assert query.parent.span_id == retrieval.context.span_id
    assert retrieval.name == f"retrieval {chroma_collection.name}"
    assert [doc.id for doc in found] == [doc_id for doc_id, _ in expected]
    assert pairs(retrieval) == expected
    assert retrieval.attributes["db.system.name"] == "chroma"
    assert retrieval.attributes["otel_genai.retrieval.score.kind"] == "distance"
    assert retrieval.attributes["gen_ai.retrieval.top_k"] == 3


# --- content, errors, suppression, uninstrument ---------------------------------------------------


def test_content_off_keeps_ids_and_scores_but_no_text(telemetry: Any, store: InMemoryVectorStore) -> None:
    hits = store.similarity_search_with_score("cat dog", k=2)
    store.as_retriever(search_kwargs={"k": 2}).invoke("cat dog")

    for span in telemetry.spans():
        assert pairs(span) == [(doc.id, score) for doc, score in hits]
        assert all("content" not in d for d in documents(span))
        assert "gen_ai.retrieval.query.text" not in span.attributes


def test_store_errors_propagate_unchanged(lc_telemetry: Any, store: InMemoryVectorStore) -> None:
    error = RetrievalFailed("index offline")

    class BrokenStore(InMemoryVectorStore):
        def similarity_search_with_score_by_vector(self, *args: Any, **kwargs: Any) -> Any:
            raise error

    with pytest.raises(NotImplementedError):  # InMemoryVectorStore has no relevance function
        store.similarity_search_with_relevance_scores("cat")
    with pytest.raises(RetrievalFailed) as raised:
        make_store(BrokenStore).similarity_search("cat", k=2)

    unsupported, broken = lc_telemetry.spans()
    assert raised.value is error
    assert unsupported.attributes["error.type"] == "NotImplementedError"
    assert broken.attributes["error.type"] == "RetrievalFailed"
    assert broken.attributes["db.operation.name"] == "similarity_search"  # the outermost search
    for span in (unsupported, broken):
        assert span.status.status_code is StatusCode.ERROR
        assert "gen_ai.retrieval.documents" not in span.attributes


async def test_retriever_errors_propagate_unchanged(lc_telemetry: Any) -> None:
    with pytest.raises(RetrievalFailed, match="index offline"):
        FailingRetriever().invoke("anything")
    with pytest.raises(RetrievalFailed, match="index offline"):
        await FailingRetriever().ainvoke("anything")

    for span in lc_telemetry.spans():
        assert span.attributes["error.type"] == "RetrievalFailed"
        assert span.status.status_code is StatusCode.ERROR


def test_suppressed_instrumentation_emits_nothing(lc_telemetry: Any, store: InMemoryVectorStore) -> None:
    with suppress_instrumentation():
        store.similarity_search_with_score("cat")
        store.as_retriever().invoke("cat")
    assert lc_telemetry.spans() == []


def _search_methods(cls: type) -> dict[str, Any]:
    return {name: cls.__dict__[name] for name in SEARCH_METHODS if name in cls.__dict__}


def test_uninstrument_restores_every_method(make_telemetry: Callable[..., Any]) -> None:
    before = {cls: _search_methods(cls) for cls in (VectorStore, InMemoryVectorStore)}
    invoke, ainvoke = BaseRetriever.__dict__["invoke"], BaseRetriever.__dict__["ainvoke"]
    assert "__init_subclass__" not in VectorStore.__dict__
    telemetry = make_telemetry(instrumentors=["langchain"])
    assert (
        InMemoryVectorStore.__dict__["similarity_search"]
        is not before[InMemoryVectorStore]["similarity_search"]
    )

    class LateStore(InMemoryVectorStore):
        def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
            return super().similarity_search(query, k, **kwargs)

    late_search = LateStore.__dict__["similarity_search"]
    assert late_search.__wrapped__ is not None  # wrapped when the class was defined

    otel_genai.uninstrument()

    assert {cls: _search_methods(cls) for cls in (VectorStore, InMemoryVectorStore)} == before
    assert BaseRetriever.__dict__["invoke"] is invoke and BaseRetriever.__dict__["ainvoke"] is ainvoke
    assert LateStore.__dict__["similarity_search"] is late_search.__wrapped__
    assert "__init_subclass__" not in VectorStore.__dict__

    class AfterStore(InMemoryVectorStore):
        def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
            return super().similarity_search(query, k, **kwargs)

    assert not hasattr(AfterStore.__dict__["similarity_search"], "__wrapped__")
    store = make_store(LateStore)
    store.similarity_search("cat")
    store.as_retriever().invoke("cat")
    KeywordRetriever().invoke("cat")
    assert telemetry.spans() == []
