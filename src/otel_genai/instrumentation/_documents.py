"""Reading retrieved documents out of whatever a retriever returns.

Shared by the ``@retriever`` decorator and the framework instrumentors: dicts with ``id``/``score``,
LangChain ``Document``s, ``(document, score)`` pairs, and objects with ``id``/``score`` attributes (Qdrant's
``ScoredPoint``, Pinecone's ``ScoredVector``). Anything unreadable is skipped, never raised.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from otel_genai.telemetry.records import RetrievedDocument

_ID_KEYS = ("id", "_id", "doc_id", "document_id")
_SCORE_KEYS = ("score", "similarity", "relevance_score", "distance", "_score")
_TEXT_KEYS = ("page_content", "content", "text", "document", "chunk")
# where a document object keeps its fields when they are not attributes of its own
_FIELD_HOLDERS = ("metadata", "payload")
# result containers that hold the hits under a name
_HIT_LISTS = ("points", "matches", "documents", "results")


def score_of(value: Any) -> float | None:
    """A finite float, or None (bools, strings and NaN are not scores)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def int_of(value: Any) -> int | None:
    """An int (``n_results``, ``limit``, ``top_k``), or None for bools and anything unreadable."""
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def id_of(value: Any) -> str | None:
    return None if value is None else str(value)


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # the ABC check is slow; most are dicts


def _field(item: Any, keys: tuple[str, ...]) -> Any:
    """The first of ``keys`` the item has: as a mapping key, an attribute, or inside its metadata."""
    if _is_mapping(item):
        for key in keys:
            value = item.get(key)
            if value is not None:
                return value
        holders: Iterable[Any] = (item.get(name) for name in _FIELD_HOLDERS)
    else:
        for key in keys:
            value = _attribute(item, key)
            if value is not None and not callable(value):
                return value
        holders = (_attribute(item, name) for name in _FIELD_HOLDERS)
    for holder in holders:
        if holder is not None and _is_mapping(holder):
            for key in keys:
                value = holder.get(key)
                if value is not None:
                    return value
    return None


def _attribute(item: Any, name: str) -> Any:
    """``getattr`` without the failed lookups: pydantic models (Qdrant's ``ScoredPoint``) spend ~4 µs
    building an AttributeError for each missing name, and we probe several per hit."""
    fields = getattr(item, "__dict__", None)
    if fields is not None and name in fields:
        return fields[name]
    key = (type(item), name)
    defined = _CLASS_HAS.get(key)
    if defined is None:  # properties, slots, class attributes (pydantic's metaclass makes hasattr slow)
        defined = _CLASS_HAS[key] = hasattr(type(item), name)
    return getattr(item, name, None) if defined else None


_CLASS_HAS: dict[tuple[type, str], bool] = {}


def document_of(item: Any, *, content: bool, score: Any = None) -> RetrievedDocument:
    """One hit. ``score`` is given for ``(document, score)`` pairs."""
    if isinstance(item, str):
        return RetrievedDocument(content=item if content else None)
    document = RetrievedDocument(
        id=id_of(_field(item, _ID_KEYS)),
        score=score_of(score if score is not None else _field(item, _SCORE_KEYS)),
    )
    if content:
        text = _field(item, _TEXT_KEYS)
        if isinstance(text, str):
            document.content = text
    return document


def _is_pair(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and score_of(item[1]) is not None


def documents_of(result: Any, *, content: bool) -> list[RetrievedDocument] | None:
    """The hits in a retriever's result, in order; None when the result is not a list of hits.

    A bare string is a document's text; in a ``(value, score)`` pair a string or number is its id.
    """
    if result is None or isinstance(result, (str, bytes, Mapping)):
        hits = _field(result, _HIT_LISTS) if isinstance(result, Mapping) else None
    elif isinstance(result, (list, tuple)):
        hits = result
    else:
        hits = next((getattr(result, name) for name in _HIT_LISTS if hasattr(result, name)), None)
    if not isinstance(hits, (list, tuple)):
        return None
    documents = []
    for item in hits:
        if _is_pair(item):
            if isinstance(item[0], (str, int)):  # (id, score)
                documents.append(RetrievedDocument(id=id_of(item[0]), score=score_of(item[1])))
            else:
                documents.append(document_of(item[0], content=content, score=item[1]))
        else:
            documents.append(document_of(item, content=content))
    return documents
