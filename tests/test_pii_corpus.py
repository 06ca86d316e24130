"""Checks of the labelled PII corpora (no Presidio): labels are exact, values are valid-but-fake."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter

import pytest

from helpers.pii_corpora import ALL_CLEAN_TEXTS as CLEAN_TEXTS
from helpers.pii_corpora import ALL_PII_TEXTS as PII_TEXTS
from helpers.pii_corpora import CORPORA, NAME_ORIGINS
from helpers.pii_corpus import CATEGORIES, KINDS, PATTERN_KINDS

# Issue 17: at least 200 texts over all corpora, every kind and category well represented.
MIN_TEXTS = 200
MIN_PER_KIND = {
    "PERSON": 200,
    "EMAIL": 40,
    "PHONE": 60,
    "CREDIT_CARD": 40,
    "US_SSN": 15,
    "IBAN": 15,
    "IP": 20,
    "ADDRESS": 30,
    "API_KEY": 25,
    "DATE_OF_BIRTH": 25,
    "PERSONAL_DATE": 30,
    "LOCATION": 40,
}
MIN_PER_CATEGORY = 20  # texts (with and without personal data) per category, over the later corpora
MIN_NAME_ORIGINS = 12

DOC_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")


def _values(kind: str) -> list[str]:
    return [value for item in PII_TEXTS for k, value in item.spans if k == kind]


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def test_kinds_are_consistent() -> None:
    assert len(set(KINDS)) == len(KINDS)
    assert set(PATTERN_KINDS) <= set(KINDS)
    assert set(MIN_PER_KIND) == set(KINDS)


@pytest.mark.parametrize("item", PII_TEXTS, ids=lambda item: item.text[:40])
def test_spans_are_exact_substrings_of_known_kinds(item) -> None:
    assert 40 <= len(item.text) <= 600
    assert 1 <= len(item.spans) <= 6
    for kind, value in item.spans:
        assert kind in KINDS
        assert value, "empty span"
        assert value in item.text, f"{kind} {value!r} not in text"
        assert value == value.strip(), f"{kind} {value!r} has surrounding whitespace"


def test_minimum_count_per_kind() -> None:
    counts = Counter(kind for item in PII_TEXTS for kind, _ in item.spans)
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, f"{kind}: {counts[kind]} < {minimum}"


def test_lengths_of_clean_texts() -> None:
    for text in CLEAN_TEXTS:
        assert 30 <= len(text) <= 800, text[:60]


def test_the_corpora_are_large_and_varied() -> None:
    assert len(PII_TEXTS) + len(CLEAN_TEXTS) >= MIN_TEXTS
    later = [item for name, module in CORPORA.items() if name != "first" for item in module.PII_TEXTS]
    later += [item for name, module in CORPORA.items() if name != "first" for item in module.CLEAN_TEXTS]
    per_category = Counter(item.category for item in later)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= MIN_PER_CATEGORY, per_category
    assert len(set(NAME_ORIGINS.values())) >= MIN_NAME_ORIGINS


def test_every_later_name_has_an_origin() -> None:
    for name, module in CORPORA.items():
        if name == "first":
            continue
        people = {value for item in module.PII_TEXTS for kind, value in item.spans if kind == "PERSON"}
        assert people == set(module.NAME_ORIGINS), name


def test_no_duplicate_texts() -> None:
    texts = [item.text for item in PII_TEXTS] + list(CLEAN_TEXTS)
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize("card", _values("CREDIT_CARD"))
def test_credit_cards_are_luhn_valid(card: str) -> None:
    assert re.fullmatch(r"[0-9 -]+", card)
    assert 13 <= sum(c.isdigit() for c in card) <= 19
    assert luhn_ok(card)


@pytest.mark.parametrize("iban", _values("IBAN"))
def test_ibans_pass_mod97(iban: str) -> None:
    assert iban_ok(iban)


def test_iban_checker_rejects_a_bad_checksum() -> None:
    assert iban_ok("GB82 WEST 1234 5698 7654 32")
    assert not iban_ok("GB83 WEST 1234 5698 7654 32")


@pytest.mark.parametrize("ssn", _values("US_SSN"))
def test_ssns_are_in_the_reserved_fake_range(ssn: str) -> None:
    """987-65-4320 to 987-65-4329: the numbers the SSA reserves for advertisements."""
    assert re.fullmatch(r"987(?P<sep>[- ]?)65(?P=sep)432[0-9]", ssn), ssn


@pytest.mark.parametrize("ip", _values("IP"))
def test_ips_are_documentation_addresses(ip: str) -> None:
    address = ipaddress.ip_address(ip)
    assert any(address.version == net.version and address in net for net in DOC_NETWORKS)


@pytest.mark.parametrize("email", _values("EMAIL"))
def test_emails_look_like_emails(email: str) -> None:
    assert EMAIL_RE.fullmatch(email)


@pytest.mark.parametrize("text", CLEAN_TEXTS, ids=lambda text: text[:40])
def test_clean_texts_have_no_email(text: str) -> None:
    assert not EMAIL_RE.search(text)


def _card_like_numbers(text: str) -> list[str]:
    """Every digit sequence of 13-19 digits written contiguously or grouped with single spaces/dashes."""
    found = []
    for run in re.findall(r"\d+(?:[ -]\d+)*", text):
        groups = re.split(r"[ -]", run)
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                digits = "".join(groups[i:j])
                if 13 <= len(digits) <= 19:
                    found.append(digits)
    return found


def test_card_like_numbers_finds_grouped_and_contiguous_runs() -> None:
    assert _card_like_numbers("pay 4111 1111 1111 1111 now") == ["4111111111111111"]
    assert _card_like_numbers("x 4111111111111111 y") == ["4111111111111111"]
    assert "4012888888881881" in _card_like_numbers("order 12 4012-8888-8888-1881.")


@pytest.mark.parametrize("text", CLEAN_TEXTS, ids=lambda text: text[:40])
def test_clean_texts_have_no_card_number(text: str) -> None:
    for digits in _card_like_numbers(text):
        assert not luhn_ok(digits), digits
