"""Every labelled PII corpus, by name: what the corpus checks, the acceptance test and the benchmark read.

* ``first``: ``pii_corpus.py``, written for the first redaction issue (recognizers were tuned on it);
* ``dev``: ``pii_corpus_dev.py``, written for issue 17; recognizers were tuned on it;
* ``holdout``: ``pii_corpus_holdout.py``, written blind at the same time by another author and kept away
  from tuning until its first measurement; its misses then showed gaps that were fixed as general rules;
* ``fresh``: ``pii_corpus_fresh.py``, written blind by a third author after that; measured once, then its
  misses too showed gaps that were fixed as general rules;
* ``final``: ``pii_corpus_final.py``, written blind by a fourth author during that last round and measured
  once at the end; its misses then showed the gaps of the next round (names with no cue, other languages);
* ``unseen``: ``pii_corpus_unseen.py``, written blind by a fifth author at the start of the second session;
  measured once after its first round, then read and tuned on in the second;
* ``sixth``: ``pii_corpus_sixth.py``, written blind by a sixth author during that round and measured once
  after it, then read and tuned on in the third session;
* ``seventh``, ``eighth``, ``ninth``, ``tenth``: ``pii_corpus_seventh.py`` ..., written blind by four more
  authors in the third session; each measured once before anyone read it (seventh after the first round,
  eighth and ninth after the second, tenth after the third), then read and tuned on (tenth in the fourth
  session), see ``benchmarks/results/redaction_quality_history.md``;
* ``eleventh``, ``twelfth``: ``pii_corpus_eleventh.py``, ``pii_corpus_twelfth.py``, written blind by two
  more authors at the start of the fourth session; measured once after its first round (the tenth set's
  misses), then read and tuned on in its second.
"""

from __future__ import annotations

from types import ModuleType

from helpers import (
    pii_corpus,
    pii_corpus_dev,
    pii_corpus_eighth,
    pii_corpus_eleventh,
    pii_corpus_final,
    pii_corpus_fresh,
    pii_corpus_holdout,
    pii_corpus_ninth,
    pii_corpus_seventh,
    pii_corpus_sixth,
    pii_corpus_tenth,
    pii_corpus_twelfth,
    pii_corpus_unseen,
)
from helpers.pii_corpus import Labelled

CORPORA: dict[str, ModuleType] = {
    "first": pii_corpus,
    "dev": pii_corpus_dev,
    "holdout": pii_corpus_holdout,
    "fresh": pii_corpus_fresh,
    "final": pii_corpus_final,
    "unseen": pii_corpus_unseen,
    "sixth": pii_corpus_sixth,
    "seventh": pii_corpus_seventh,
    "eighth": pii_corpus_eighth,
    "ninth": pii_corpus_ninth,
    "tenth": pii_corpus_tenth,
    "eleventh": pii_corpus_eleventh,
    "twelfth": pii_corpus_twelfth,
}


def clean_text(item: Labelled | str) -> str:
    """The first corpus keeps its clean texts as plain strings; the later ones as unlabelled ``Labelled``."""
    return item if isinstance(item, str) else item.text


ALL_PII_TEXTS: tuple[Labelled, ...] = tuple(item for module in CORPORA.values() for item in module.PII_TEXTS)
ALL_CLEAN_TEXTS: tuple[str, ...] = tuple(
    clean_text(item) for module in CORPORA.values() for item in module.CLEAN_TEXTS
)
NAME_ORIGINS: dict[str, str] = {
    name: origin
    for module in CORPORA.values()
    for name, origin in getattr(module, "NAME_ORIGINS", {}).items()
}
