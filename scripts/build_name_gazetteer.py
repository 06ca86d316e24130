"""Build the name gazetteers of src/otel_genai/redaction/data/: given names and surnames of many origins.

* ``first_names.txt``: given names, minus English words;
* ``word_names.txt``: given names that ARE English words ("will", "hope", "grace"): a name only when a
  surname of ``surnames.txt`` follows ("Hope Mitchell");
* ``surnames.txt``: surnames, minus English words.

Source: the person-name lists of Faker (https://github.com/joke2k/faker, MIT licence,
Copyright (c) 2012 Daniele Faraglia), every locale, given names only, Latin script only (romanized lists
where a locale has them: ja_JP, zh_CN, zh_TW). Names that are also common English words ("will", "may",
"bill", "grace", "mark") are left out, judged by a lowercase entry in an English word list (SCOWL, the
Debian ``wamerican`` package, /usr/share/dict/american-english; used only to exclude, nothing of it is
shipped): such a name is redacted only when something marks it as a name.

Run (outside the project venv; Faker is not a dependency of the package):
    python -m venv /tmp/faker && /tmp/faker/bin/pip install faker==40.54.0
    apt-get install wamerican
    /tmp/faker/bin/python scripts/build_name_gazetteer.py
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src/otel_genai/redaction/data"
WORDS = Path("/usr/share/dict/american-english")
# Latin letters (with accents), inner hyphen or apostrophe; at least 3 letters (no "Al", "Jo", "Li").
LATIN_NAME = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['\-][A-Za-z\u00c0-\u024f]+)*")
# Short or function-like words the word list lacks in lower case but that read as words in prose.
EXTRA_WORDS = {"don", "van", "von", "del", "della", "bin", "ben", "san", "ana", "asia", "china", "india"}


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
    "# script; https://github.com/joke2k/faker, MIT licence, Copyright (c) 2012 Daniele Faraglia),\n"
    "# {filter} (lowercase entries of SCOWL's american-english list).\n"
)


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


def write(filename: str, names: set[str], what: str, keep: str) -> None:
    text = HEADER.format(what=what, filter=keep) + "\n".join(sorted(names)) + "\n"
    (DATA / filename).write_text(text, encoding="utf-8")
    print(f"{len(names)} {what.lower()} -> {DATA / filename}", file=sys.stderr)


def main() -> int:
    words = {line.strip() for line in WORDS.read_text(encoding="utf-8").splitlines()}
    lower_words = {word for word in words if word and word == word.lower()} | EXTRA_WORDS
    given = collect("first")
    surnames = collect("last")
    write("first_names.txt", given - lower_words, "Given names of many origins", "minus common English words")
    write(
        "word_names.txt",
        given & lower_words - EXTRA_WORDS,
        "Given names that are English words",
        "only those",
    )
    write(
        "surnames.txt",
        surnames - lower_words - given,
        "Surnames of many origins",
        "minus English words and given names",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
