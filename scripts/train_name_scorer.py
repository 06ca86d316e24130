"""Train ``src/otel_genai/redaction/data/name_scorer.json``, the weights of ``redaction/name_scorer.py``.

Two parts, both deterministic (sorted inputs, fixed seeds):

1. the lexicon: a character 2-4-gram model of name-likeness (hashed into 2**17 buckets; a logistic
   regression by AdaGrad, four epochs, seed 0, weights quantised to int8) fitted on given names and
   surnames (``redaction/data`` lists and Faker's person names of every locale) against the common words
   of 28 languages (wordfreq, Zipf >= 3; words that are also names left out of both), and two Bloom
   filters of common words (Zipf >= 4 and >= 4.5 in any of those languages);
2. the model: two L2-regularised logistic regressions (Newton's method) over ``name_scorer.FEATURES``,
   fitted on the labelled corpora (``tests/helpers/pii_corpora.py``): the keep model on the PERSON
   findings of NER and the cue recognizers before the rules' refinement and the pipeline's final ones
   (label: the finding overlaps a labelled value of any kind; the rules removed the false alarms of the
   corpora they were tuned on, so the final findings alone hold few of them, while on new text NER's
   false alarms on companies, teams, nouns and labels survive; without whether the text holds other
   personal data), the add model (label: the candidate overlaps a labelled PERSON value) on every
   capitalised run and user name, found or not, without the features of the sources and of the keep
   model only (plus a copy of each run of no common word with its gazetteer features cleared: a name of
   an origin the lists lack), so that it learns what a name looks like rather than what the rules
   already found. The thresholds are chosen by leave-one-corpus-out cross-validation (train on all
   corpora but one, score that one; most names found, one clean text given a PERSON finding costing
   three names, a wrong PERSON finding half a name, the least tuned corpora weighing double; of equally
   good keep thresholds the middle one) and the per-corpus table is printed; the shipped weights are
   then fitted on all of them.

Faker and wordfreq are needed at build time only, outside the project venv (the project's own ``regex``
and spaCy stay first on the path). Run from the repository root:
    .venv/bin/python -m venv /tmp/nsv && /tmp/nsv/bin/pip install faker wordfreq
    .venv/bin/python scripts/train_name_scorer.py --build-site /tmp/nsv/lib/python3.11/site-packages
(about two minutes; the engine with the installed spaCy model runs over every corpus text once).
``--no-write`` prints the cross-validation only; ``--patterns-only`` cross-validates without a NER model.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import math
import os
import pickle
import pkgutil
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from redaction_quality import _occurrences  # noqa: E402  (where a labelled value is: as the harness counts)

from otel_genai.redaction import name_scorer  # noqa: E402
from otel_genai.redaction.findings import Finding  # noqa: E402

DATA = ROOT / "src/otel_genai/redaction/data"
OUT = DATA / name_scorer.WEIGHTS_FILE
BUCKETS = 2**17
COMMON_BITS = 2**21
VERY_COMMON_BITS = 2**20
_LANGUAGE_CODES = "en de fr es pt it nl sv nb da fi pl cs sk hu ro tr id ms vi ca sh sl lt lv ru uk bg"
LANGUAGES = tuple(_LANGUAGE_CODES.split())
RIDGE = 3.0
# one clean text given a PERSON finding costs as much as three names missed
ALTERED_COST = 3.0
# a PERSON finding on no labelled value costs half a name missed
WRONG_COST = 0.5
# the corpora nobody tuned on the most weigh double when the thresholds are chosen: they show what new
# text brings
LEAST_TUNED = {"sixth": 2.0, "seventh": 2.0}
AUGMENT = os.environ.get("NAME_SCORER_AUGMENT", "1") == "1"
_COMMON = name_scorer.FEATURES.index("common")
_GAZETTEER = frozenset(
    name_scorer.FEATURES.index(name)
    for name in ("given", "given_first", "surname", "surname_last", "lone_given", "word_name")
)
# what only the keep model reads (``name_scorer.KEEP_FEATURES``)
KEEP_ONLY = name_scorer.KEEP_FEATURES
# what only the add model reads: whether the text holds other personal data or another name (the corpora's
# clean texts, where every finding is a false alarm, hold none, so the keep model would learn to drop a
# lone name in a short message: "this is Oanh from the night shift")
ADD_ONLY = frozenset({"text_has_pii", "text_has_person"})


# --- 1. lexicon ---------------------------------------------------------------------------------------


def _read_list(name: str) -> set[str]:
    lines = (DATA / name).read_text("utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _faker_names() -> set[str]:
    import faker.providers.person as person

    names: set[str] = set()
    for module in sorted(pkgutil.iter_modules(person.__path__), key=lambda m: m.name):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module.name}"), "Provider", None)
        for attribute in sorted(dir(provider)):
            if not (attribute.startswith(("first_name", "last_name")) and attribute.endswith("s")):
                continue
            value = getattr(provider, attribute)
            if isinstance(value, dict):
                value = list(value)
            if isinstance(value, (list, tuple, set, frozenset)):
                names.update(
                    part.lower() for item in value if isinstance(item, str) for part in item.split() if part
                )
    return names


def build_lexicon() -> dict[str, Any]:
    from wordfreq import top_n_list, zipf_frequency

    names = _read_list("first_names.txt") | _read_list("surnames.txt") | _faker_names()
    names = {n for n in names if n.isalpha() or all(c.isalpha() or c in "-'" for c in n)}
    seen: set[str] = set()
    common: set[str] = set()
    very_common: set[str] = set()
    for language in LANGUAGES:
        for word in top_n_list(language, 40_000):
            if not word.isalpha():
                continue
            zipf = zipf_frequency(word, language)
            if zipf >= 3.0:
                seen.add(word)
            if zipf >= 4.0:
                common.add(word)
            if zipf >= 4.5:
                very_common.add(word)
    words = sorted(seen - names)
    only_names = sorted(names - seen)
    print(f"lexicon: {len(only_names)} names, {len(words)} words, {len(common)}+{len(very_common)} common")
    weights, bias = _fit_grams(only_names, words)
    scale = 127 / max(1e-9, float(np.quantile(np.abs(weights), 0.999)))
    table = np.clip(np.round(weights * scale), -127, 127).astype(np.int8)
    return {
        "buckets": BUCKETS,
        "scale": scale,
        "bias": bias,
        "table": base64.b64encode(table.tobytes()).decode(),
        "common_bits": COMMON_BITS,
        "common": base64.b64encode(_bits(common, COMMON_BITS)).decode(),
        "very_common_bits": VERY_COMMON_BITS,
        "very_common": base64.b64encode(_bits(very_common, VERY_COMMON_BITS)).decode(),
    }


def _grams(word: str) -> list[int]:
    padded = f"^{word}$"
    return [
        zlib.crc32(padded[i : i + size].encode()) & (BUCKETS - 1)
        for size in (2, 3, 4)
        for i in range(len(padded) - size + 1)
    ]


def _fit_grams(names: list[str], words: list[str]) -> tuple[np.ndarray, float]:
    """Logistic regression of name (1) vs word (0) on hashed n-grams (score: sum / sqrt(count)), classes
    weighted equally; AdaGrad over mini-batches, four epochs, fixed seed (held-out AUC ~0.95, naive
    Bayes ~0.93)."""
    rows = [_grams(item) for item in [*names, *words]]
    y = np.array([1.0] * len(names) + [0.0] * len(words))
    width = max(map(len, rows))
    index = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width))
    for i, grams in enumerate(rows):
        index[i, : len(grams)] = grams
        mask[i, : len(grams)] = 1
    norm = np.sqrt(mask.sum(1))
    balance = np.where(y == 1, len(y) / (2 * len(names)), len(y) / (2 * len(words)))
    w, bias, squares = np.zeros(BUCKETS), 0.0, np.full(BUCKETS, 1e-8)
    rng = np.random.default_rng(0)
    for _ in range(4):
        order = rng.permutation(len(y))
        for at in range(0, len(y), 4096):
            batch = order[at : at + 4096]
            z = (w[index[batch]] * mask[batch]).sum(1) / norm[batch] + bias
            g = (1 / (1 + np.exp(-z)) - y[batch]) * balance[batch]
            gradient = np.zeros(BUCKETS)
            np.add.at(
                gradient, index[batch].ravel(), (g[:, None] * mask[batch] / norm[batch][:, None]).ravel()
            )
            gradient += 1e-6 * w * len(batch)
            squares += gradient**2
            w -= 0.5 * gradient / np.sqrt(squares)
            bias -= 0.01 * float(g.mean())
    return w, bias


def _bits(words: set[str], size: int) -> bytes:
    bits = bytearray(size // 8)
    for word in words:
        for h in name_scorer._bit_hashes(word, size):
            bits[h >> 3] |= 1 << (h & 7)
    return bytes(bits)


# --- 2. corpus candidates -----------------------------------------------------------------------------


def collect(model: str | None = None) -> list[dict[str, Any]]:
    """Every corpus text through the engine's steps, with what the scorer reads (as ``engine`` runs them)."""
    from helpers.pii_corpora import CORPORA, clean_text
    from otel_genai.redaction.bare_names import bare_names
    from otel_genai.redaction.engine import PresidioDetector
    from otel_genai.redaction.names import refine_names
    from otel_genai.redaction.policy import RedactionPolicy
    from otel_genai.redaction.recognizers import refine_patterns

    detector = PresidioDetector(RedactionPolicy(model=model) if model else RedactionPolicy())
    detector.load()
    nlp = detector._ner_nlp or detector._blank_nlp
    rows = []
    for corpus, module in CORPORA.items():
        items = [(item.text, tuple(item.spans)) for item in module.PII_TEXTS]
        items += [(clean_text(item), ()) for item in module.CLEAN_TEXTS]
        for text, spans in items:
            doc = nlp(text)
            ents = tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
            entities = detector._entities_for(text)
            analysed = detector._lean.analyze(text, entities, doc) if entities else []
            final = (
                bare_names(
                    text, refine_patterns(text, analysed), refine=refine_names, person="PERSON" in entities
                )
                if entities
                else []
            )
            rows.append(
                {
                    "corpus": corpus,
                    "text": text,
                    "spans": spans,
                    "ents": ents,
                    "analysed": analysed,
                    "final": final,
                }
            )
    return rows


def featurise(scorer: name_scorer.NameScorer, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        text = row["text"]
        gold = [o for kind, value in row["spans"] if kind == "PERSON" for o in _occurrences(text, value)]
        row["candidates"] = scorer.candidates(text, row["analysed"], row["final"], row["ents"])
        row["labels"] = [float(any(c.start < e and s < c.end for s, e in gold)) for c in row["candidates"]]
        row["judged"] = _judged(scorer, row)
        # keep a finding on any labelled value (a street's name in an address masks it as well)
        anything = [o for _, value in row["spans"] for o in _occurrences(text, value)]
        row["judged_labels"] = [
            float(any(c.start < e and s < c.end for s, e in anything)) for c in row["judged"]
        ]
        row["runs"] = scorer.candidates(text, row["analysed"], row["final"], row["ents"], every_run=True)
        row["run_labels"] = [float(any(c.start < e and s < c.end for s, e in gold)) for c in row["runs"]]


def _judged(scorer: name_scorer.NameScorer, row: dict[str, Any]) -> list[name_scorer.Candidate]:
    """What the keep model learns from: the PERSON findings of NER and the cue recognizers before the rules'
    refinement (what new text brings: the rules only remove the false alarms they know), and the final
    ones, each span once."""
    text = row["text"]
    context = name_scorer._TextContext(text, row["analysed"], row["final"], row["ents"])
    seen: set[tuple[int, int]] = set()
    judged = []
    raw = [f for f in row["analysed"] if f.entity_type == "PERSON"]
    for finding in [*(f for f in row["final"] if f.entity_type == "PERSON"), *raw]:
        if (finding.start, finding.end) in seen:
            continue
        seen.add((finding.start, finding.end))
        features = scorer._features(context, finding.start, finding.end, finding)
        if features is not None:
            judged.append(name_scorer.Candidate(finding.start, finding.end, finding, features))
    return judged


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (the bias not penalised)."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], RIDGE)
    penalty[0] = 1e-6
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_models(rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """The keep model on the PERSON findings before and after the rules' refinement; the add model on every
    capitalised run and user name (found or not), without the features of the sources."""
    keep_x, keep_y, add_x, add_y = [], [], [], []
    for row in rows:
        for candidate, label in zip(row["judged"], row["judged_labels"], strict=True):
            keep_x.append(candidate.features)
            keep_y.append(label)
        for candidate, label in zip(row["runs"], row["run_labels"], strict=True):
            add_x.append(candidate.features)
            add_y.append(label)
            if AUGMENT and any(candidate.features[i] for i in _GAZETTEER) and not candidate.features[_COMMON]:
                # the same run as if the lists lacked its words: what a name of an origin they miss looks like
                add_x.append([0.0 if i in _GAZETTEER else x for i, x in enumerate(candidate.features)])
                add_y.append(label)
    lexical = np.array(
        [name not in name_scorer.SOURCE_FEATURES | KEEP_ONLY for name in name_scorer.FEATURES], dtype=float
    )
    judged = np.array([name not in ADD_ONLY for name in name_scorer.FEATURES], dtype=float)
    return fit(np.array(keep_x) * judged, np.array(keep_y)), fit(np.array(add_x) * lexical, np.array(add_y))


def _probabilities(rows: Sequence[dict[str, Any]], keep: np.ndarray, add: np.ndarray) -> None:
    for row in rows:
        row["p"] = [
            1 / (1 + math.exp(-max(-30.0, min(30.0, float(np.dot(keep if c.finding else add, c.features))))))
            for c in row["candidates"]
        ]


def apply(row: dict[str, Any], keep_threshold: float, add_threshold: float) -> list[Finding]:
    if keep_threshold is None:
        return list(row["final"])
    dropped, added = set(), []
    for candidate, p in zip(row["candidates"], row["p"], strict=True):
        if candidate.finding is not None:
            if p < keep_threshold:
                dropped.add(id(candidate.finding))
        elif p >= add_threshold:
            added.append(Finding(candidate.start, candidate.end, "PERSON", p))
    return [f for f in row["final"] if id(f) not in dropped] + added


def measure(rows: Sequence[dict[str, Any]], keep_threshold: Any, add_threshold: Any) -> dict[str, int]:
    """PERSON values fully covered (as the harness counts), clean texts with a PERSON / any finding."""
    counts = {"names": 0, "masked": 0, "clean": 0, "person_altered": 0, "altered": 0, "wrong": 0}
    for row in rows:
        findings = apply(row, keep_threshold, add_threshold)
        text = row["text"]
        gold = [o for _, value in row["spans"] for o in _occurrences(text, value)]
        counts["wrong"] += sum(
            f.entity_type == "PERSON" and not any(f.start < e and s < f.end for s, e in gold)
            for f in findings
        )
        if not row["spans"]:
            counts["clean"] += 1
            counts["person_altered"] += any(f.entity_type == "PERSON" for f in findings)
            counts["altered"] += bool(findings)
            continue
        covered = bytearray(len(text))
        for f in findings:
            covered[f.start : f.end] = b"\x01" * (f.end - f.start)
        for kind, value in row["spans"]:
            if kind != "PERSON":
                continue
            counts["names"] += 1
            spans = _occurrences(text, value)
            counts["masked"] += bool(spans) and all(
                covered[i] for s, e in spans for i in range(s, e) if text[i].isalnum()
            )
    return counts


def loco(rows: list[dict[str, Any]]) -> tuple[float, float]:
    corpora = sorted({row["corpus"] for row in rows}, key=[r["corpus"] for r in rows].index)
    for corpus in corpora:
        train = [r for r in rows if r["corpus"] != corpus]
        keep, add = fit_models(train)
        _probabilities([r for r in rows if r["corpus"] == corpus], keep, add)
    # thresholds: the most names found, less three names per clean text given a PERSON finding and half
    # a name per wrong PERSON finding, over the held-out corpora (the least tuned weighing double)
    by_corpus = {corpus: [r for r in rows if r["corpus"] == corpus] for corpus in corpora}
    # the best add threshold and its objective for each keep threshold
    best: dict[float, tuple[float, float]] = {}
    grid = [round(0.05 * i, 2) for i in range(1, 20)]
    for keep_threshold in [0.0, 0.02, *grid]:
        for add_threshold in [*grid, 0.97, 0.99, 1.01]:
            objective = 0.0
            for corpus, part in by_corpus.items():
                m = measure(part, keep_threshold, add_threshold)
                objective += LEAST_TUNED.get(corpus, 1.0) * (
                    m["masked"] - ALTERED_COST * m["person_altered"] - WRONG_COST * m["wrong"]
                )
            if keep_threshold not in best or objective > best[keep_threshold][0] + 1e-9:
                best[keep_threshold] = (objective, add_threshold)
    # of the keep thresholds scoring best (a range: few findings of the corpora fall between them), the
    # middle one: the farthest from the findings at the range's edges, the least fitted to these corpora
    top = max(objective for objective, _ in best.values())
    plateau = [k for k, (objective, _) in best.items() if objective > top - 1e-9]
    keep_threshold = plateau[len(plateau) // 2]
    add_threshold = best[keep_threshold][1]
    print(f"thresholds: keep >= {keep_threshold}, add >= {add_threshold}")
    print(
        f"{'corpus':<9}{'names':>6}{'pipeline':>10}{'+scorer':>9}{'clean':>7}{'PERSON-altered':>16}"
        f"{'altered':>12}{'wrong PERSON':>16}"
    )
    for corpus in [*corpora, "all"]:
        part = [r for r in rows if corpus in ("all", r["corpus"])]
        before, after = measure(part, None, None), measure(part, keep_threshold, add_threshold)
        print(
            f"{corpus:<9}{before['names']:>6}{before['masked'] / before['names']:>10.1%}"
            f"{after['masked'] / after['names']:>9.1%}{before['clean']:>7}"
            f"{before['person_altered']:>8} -> {after['person_altered']:<4}"
            f"{before['altered']:>5} -> {after['altered']:<4}"
            f"{before['wrong']:>8} -> {after['wrong']}"
        )
    return keep_threshold, add_threshold


def _cached(folder: str | None, name: str, build: Any) -> Any:
    path = Path(folder) / name if folder else None
    if path is not None and path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(value))
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--build-site", help="site-packages holding faker and wordfreq (appended to sys.path)"
    )
    parser.add_argument("--no-write", action="store_true", help="print the cross-validation only")
    parser.add_argument(
        "--patterns-only",
        action="store_true",
        help="cross-validate on the engine without a NER model (model=none); writes nothing",
    )
    parser.add_argument("--cache", help="(development) a folder keeping the lexicon and the collected texts")
    args = parser.parse_args()
    if args.build_site:
        sys.path.append(args.build_site)
    lexicon_data = _cached(args.cache, "lexicon.pkl", build_lexicon)
    if args.patterns_only:
        rows = _cached(args.cache, "rows_patterns_only.pkl", lambda: collect("none"))
        args.no_write = True
    else:
        rows = _cached(args.cache, "rows.pkl", collect)
    scorer = name_scorer.NameScorer(name_scorer.lexicon_from(lexicon_data))
    featurise(scorer, rows)
    keep_threshold, add_threshold = loco(rows)
    keep, add = fit_models(rows)
    if args.no_write:
        return 0
    data = {
        "lexicon": lexicon_data,
        "model": {
            "features": list(name_scorer.FEATURES),
            "keep_weights": [round(float(w), 5) for w in keep],
            "add_weights": [round(float(w), 5) for w in add],
            "keep_threshold": keep_threshold,
            "add_threshold": add_threshold,
        },
    }
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
