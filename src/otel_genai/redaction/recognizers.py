"""The pattern recognizers we add to Presidio's, where Presidio is weak and LLM traffic needs it, and the
pre-scan that says which pattern recognizers could match a text at all.

Everything here is built on the redaction worker thread (``pattern_recognizers`` imports Presidio).
``refine_patterns`` runs on every text's findings after analysis: what a pattern found that the text's
context says is not personal data goes (before the name filter in ``names.py``).
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from otel_genai.redaction._gates import folded_words, gated_recognizer, remove_contained
from otel_genai.redaction.addresses import _NOT_A_STREET
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.policy import RedactionPolicy

logger = logging.getLogger("otel_genai")

# --- pre-scan: which pattern recognizers could possibly match a text ------------------------------
# Each gate is a necessary condition for its entities (verified against Presidio on our corpus and on
# synthetic digit strings in tests/test_redaction_engine.py). Entities without a gate always run.
_SEVEN_DIGITS = re.compile(r"\d(?:[^\d\n]{0,3}\d){6}")
# phonenumbers accepts numbers of 4 to 6 digits in some regions (Israeli *16xx numbers, ...)
_ALPHABETIC_TLD = re.compile(r"\.[A-Za-z]{2,}$")
_DIGIT_RUN = re.compile(r"\d(?:[^\dA-Za-z]{0,3}\d){3,}")
_IP_LIKE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:")
_DIGIT = re.compile(r"\d")
# Presidio's recognizers that ours replace (engine.py leaves them out of the registry).
REPLACED_PRESIDIO_RECOGNIZERS = (
    "EmailRecognizer",
    "PhoneRecognizer",
    "CreditCardRecognizer",
    "IbanRecognizer",
)
GATES: tuple[tuple[frozenset[str], Any], ...] = (
    (
        frozenset(
            {
                "CREDIT_CARD",
                "US_SSN",
                "IBAN_CODE",
                "US_BANK_NUMBER",
                "US_ITIN",
                "US_PASSPORT",
                "UK_NHS",
            }
        ),
        _SEVEN_DIGITS.search,
    ),
    # (or a number read out in words: "oh seven seven double oh nine ...")
    (frozenset({"PHONE_NUMBER"}), lambda text: _DIGIT_RUN.search(text) is not None or _spoken_words(text)),
    (frozenset({"EMAIL_ADDRESS"}), lambda text: "@" in text),
    (frozenset({"IP_ADDRESS"}), _IP_LIKE.search),
    # every date format we know has a digit (a year, a day, 03/14)
    (frozenset({"DATE_OF_BIRTH", "PERSONAL_DATE"}), _DIGIT.search),
)
GATED = frozenset().union(*(entities for entities, _ in GATES))

# --- recognizers we add where Presidio is weak and LLM traffic needs it ---------------------------
_STREET_SUFFIX = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|terrace|ter|place|pl|"
    r"way|circle|cir|parkway|pkwy|highway|hwy|square|sq|crescent|close|row|mews|gardens)"
)
_WORD = r"[A-Z][A-Za-z'\-]+"
_STREET_ADDRESS_PATTERNS = (
    # 1742 Evergreen Terrace, Apt 2B, Springfield, IL 62704 / 221B Baker Street, London NW1 6XE
    (
        "street",
        # not names that end in a street word but are products and media ("3 Google Drive", "10 Fast Lane")
        # (not the thousands of an amount: "184,000 EUR. Close date")
        rf"\b(?<!\d[,.])\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?\s+{_NOT_A_STREET}"
        rf"(?:{_WORD}\.?\s+){{1,3}}{_STREET_SUFFIX}\b\.?"
        rf"(?:,?\s*(?i:apt|apartment|suite|ste|unit|flat|floor|fl|#)\.?\s*#?[\w\-]{{1,6}})?"
        rf"(?:,\s*{_WORD}(?:\s{_WORD}){{0,2}})?"
        r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"
        r"(?:,?\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?",
        0.6,
    ),
    ("po_box", r"\b(?i:p\.?\s?o\.?\s?box)\s+\d{1,6}\b", 0.6),
    ("us_state_zip", r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b", 0.4),
    ("uk_postcode", r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b", 0.4),
)
_API_KEY_PATTERNS = (
    ("openai_anthropic", r"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", 0.9),
    ("aws_access_key_id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b", 0.9),
    ("aws_secret", r"(?i:aws.{0,20}secret.{0,20}?[=:]\s*[\"']?)\K[A-Za-z0-9/+]{40}", 0.9),
    ("github", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b", 0.9),
    ("slack", r"\bxox[abposre]-[A-Za-z0-9\-]{10,}", 0.9),
    ("huggingface", r"\bhf_[A-Za-z0-9]{30,}\b", 0.9),
    ("gitlab", r"\bgl(?:pat|ptt|dt|rt|cbt|oas|ft|imt|soat)-[A-Za-z0-9_\-]{20,}", 0.9),
    # (a prefix this distinctive is a key at a length a little off the provider's: a mistyped or
    # truncated key is still a key, as an IBAN of the wrong length is still an account)
    ("google", r"\bAIza[0-9A-Za-z_\-]{30,40}\b", 0.9),
    ("stripe", r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}", 0.9),
    # provider tokens with a fixed prefix, as secret scanners list them (gitleaks, trufflehog): each a
    # whole token of the provider's length and alphabet
    ("npm", r"\bnpm_[A-Za-z0-9]{36}\b", 0.9),
    ("pypi", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}", 0.9),
    ("twilio_sid", r"\b(?:SK|AC)[0-9a-f]{32}\b", 0.9),
    ("sendgrid", r"\bSG\.[A-Za-z0-9_\-]{10,32}\.[A-Za-z0-9_\-]{20,64}\b", 0.9),
    ("mailgun", r"\bkey-[0-9a-f]{32}\b", 0.9),
    ("digitalocean", r"\bdo[opr]_v1_[a-f0-9]{64}\b", 0.9),
    ("shopify", r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b", 0.9),
    ("atlassian", r"\bATATT3[A-Za-z0-9_\-=]{100,}", 0.9),
    ("linear", r"\blin_(?:api|oauth)_[A-Za-z0-9]{40}\b", 0.9),
    ("doppler", r"\bdp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9_\-]{40,}", 0.9),
    ("vault", r"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}", 0.9),
    ("slack_app", r"\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+\b", 0.9),
    ("stripe_webhook", r"\bwhsec_[A-Za-z0-9]{32,}\b", 0.9),
    ("google_oauth", r"\bya29\.[0-9A-Za-z_\-]{30,}", 0.9),
    ("postman", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b", 0.9),
    ("databricks", r"\bdapi[a-f0-9]{32}(?:-\d)?\b", 0.9),
    ("groq", r"\bgsk_[A-Za-z0-9]{48,}\b", 0.9),
    ("replicate", r"\br8_[A-Za-z0-9]{37}\b", 0.9),
    ("perplexity", r"\bpplx-[A-Za-z0-9]{48}\b", 0.9),
    ("langsmith", r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}\b", 0.9),
    ("pinecone", r"\bpcsk_[A-Za-z0-9_]{40,}", 0.9),
    ("supabase", r"\bsbp_[a-f0-9]{40}\b", 0.9),
    ("notion", r"\b(?:secret_[A-Za-z0-9]{43}|ntn_\d{11}[A-Za-z0-9]{35})\b", 0.9),
    ("airtable", r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b", 0.9),
    ("newrelic", r"\bNR(?:AK|AA|II)-[A-Z0-9]{27}\b", 0.9),
    ("square", r"\bsq0(?:atp|csp)-[0-9A-Za-z_\-]{22,43}", 0.9),
    ("sentry", r"\bsntr[ysu]s?_[A-Za-z0-9_=+/]{40,}", 0.9),
    ("telegram_bot", r"\b\d{8,10}:AA[0-9A-Za-z_\-]{33}\b", 0.9),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}", 0.9),
    # a Discord bot token: the base64 of the bot's id, a 6-character timestamp, a 27+ character HMAC,
    # joined by dots; mixed case and digits in the first part (not a dotted name or a version)
    (
        "discord_bot",
        r"(?<![\w.\-])(?=[A-Za-z\d_\-]{0,27}\d)(?=[A-Za-z\d_\-]{0,27}[a-z])(?=[A-Za-z\d_\-]{0,27}[A-Z])"
        r"[A-Za-z\d_\-]{23,28}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,40}(?![\w.\-])",
        0.9,
    ),
    ("bearer", r"(?i:\bbearer\s+)\K[A-Za-z0-9\-._~+/]{16,}=*", 0.8),
    (
        "assigned_secret",
        # HF_TOKEN=..., secret_key = "...", "apiKey": "..."
        r"(?i:(?<![A-Za-z])(?:api[_\-]?key|secret(?:[_\-]?(?:access[_\-]?)?key)?|token|password|passwd|pwd|"
        r"access[_\-]?key)(?![A-Za-z])[\"']?\s*[:=]\s*[\"']?)"
        # not code that reads the secret: os.environ["KEY"], os.getenv("KEY"), process.env.KEY
        r"\K(?!(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*(?:[\[(\s\"',;)]|$)"
        r"|(?i:\w*(?:env|environ|secrets?|config|settings|vault|credentials?))[\[(]"
        # nor a reference a secret store resolves: ${SECRETS_MANAGER:app/api-key}, {{ secrets.TOKEN }}
        r"|\$\{|\{\{"
        # nor a variable's name: api_key=OPENAI_API_KEY), token=authToken
        r"|[A-Za-z_]\w*(?i:key|token|secret|password|passwd|pwd)(?:[)\]\s\"',;]|$))[^\s\"',;]{8,}",
        0.6,
    ),
)
# A gate per key pattern: literals every match contains (the provider's prefix, case as written; the words
# of the case-insensitive ones looked up in the case-folded text), so that a text is scanned only by the
# patterns it could match (results identical: tests check each gate against its pattern).
_API_KEY_LITERALS: dict[str, tuple[str, ...]] = {
    "openai_anthropic": ("sk-",),
    "aws_access_key_id": ("AKIA", "ASIA", "AGPA", "AIDA", "AROA"),
    "github": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "slack": ("xox",),
    "huggingface": ("hf_",),
    "gitlab": ("glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "gloas-", "glft-", "glimt-", "glsoat-"),
    "google": ("AIza",),
    "stripe": ("_live_", "_test_"),
    "npm": ("npm_",),
    "pypi": ("pypi-AgE",),
    "twilio_sid": ("SK", "AC"),
    "sendgrid": ("SG.",),
    "mailgun": ("key-",),
    "digitalocean": ("_v1_",),
    "shopify": ("shp",),
    "atlassian": ("ATATT3",),
    "linear": ("lin_",),
    "doppler": ("dp.",),
    "vault": ("hvs.", "hvb.", "hvr."),
    "slack_app": ("xapp-",),
    "stripe_webhook": ("whsec_",),
    "google_oauth": ("ya29.",),
    "postman": ("PMAK-",),
    "databricks": ("dapi",),
    "groq": ("gsk_",),
    "replicate": ("r8_",),
    "perplexity": ("pplx-",),
    "langsmith": ("lsv2_",),
    "pinecone": ("pcsk_",),
    "supabase": ("sbp_",),
    "notion": ("secret_", "ntn_"),
    "airtable": ("pat",),
    "newrelic": ("NRAK-", "NRAA-", "NRII-"),
    "square": ("sq0",),
    "sentry": ("sntr",),
    "telegram_bot": (":AA",),
    "jwt": ("eyJ",),
    "discord_bot": (".",),
}
_API_KEY_FOLDED_WORDS: dict[str, tuple[str, ...]] = {
    "aws_secret": ("aws",),
    "bearer": ("bearer",),
    "assigned_secret": ("key", "secret", "token", "passw", "pwd"),
}


def _literal_gate(literals: tuple[str, ...]) -> Any:
    return lambda text: any(literal in text for literal in literals)


def _folded_gate(words: tuple[str, ...]) -> Any:
    def gate(text: str) -> bool:
        folded = folded_words(text)[0]
        return any(word in folded for word in words)

    return gate


API_KEY_GATES: dict[str, Any] = {
    **{name: _literal_gate(literals) for name, literals in _API_KEY_LITERALS.items()},
    **{name: _folded_gate(words) for name, words in _API_KEY_FOLDED_WORDS.items()},
}
_PRIVATE_KEY_PATTERN = (
    "pem",
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY"
    r"(?: BLOCK)?-----|\Z)",
    1.0,
)
_MONTH = (
    r"\b(?i:(?:january|february|march|april|may|june|july|august|september|october|november|december)\b"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?)"
)
_DAY = r"\d{1,2}(?i:st|nd|rd|th)?\b"
# months of the languages LLM traffic brings most after English (Spanish, French, Portuguese, German,
# Italian, Dutch, Swedish, Polish in the genitive of dates and the nominative), and their abbreviations
# that are no word of those languages
_FOREIGN_MONTH = (
    r"(?i:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre|"
    r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|"
    r"janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|novembro|dezembro|"
    r"januar|j[äa]nner|februar|m[äa]erz|m[äa]rz|april|juni|juli|august|september|oktober|november|dezember|"
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    r"januari|februari|maart|mei|augustus|augusti|maj|"
    # Indonesian (Malay) months not spelt as a Dutch or German one
    r"maret|agustus|desember|"
    # Turkish (the dotless i or the dotted one: "Aral\u0131k", "ARALIK")
    r"ocak|[şs]ubat|mart|nisan|may[\u0131i]s|haziran|temmuz|a[ğg]ustos|eyl[üu]l|ekim|kas[\u0131i]m|"
    r"aral[\u0131i]k|"
    r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|wrze[śs]nia|pa[źz]dziernika|listopada|"
    r"grudnia|stycze[ńn]|luty|marzec|kwiecie[ńn]|czerwiec|lipiec|sierpie[ńn]|wrzesie[ńn]|pa[źz]dziernik|"
    r"listopad|grudzie[ńn]|"
    r"(?:janv|f[ée]vr|avr|juil|d[ée]c|okt|dez|mrt|ene|abr|dic|giu|lug|ott)(?![A-Za-z\u00c0-\u017f])\.?)"
    r"(?![A-Za-z\u00c0-\u017f])"
)
# A time of day after a date: 10:30, 9h45, 15h, 2:15 pm, 3pm, 14 Uhr, 8.15 Uhr, 10:00-11:30. After a word
# that says a time follows ("at", "à", "a las", "às", "um", "alle", "om", "kl.", "o godz."), a bare hour or
# one with a dot too ("alle 10", "kl. 10.00").
_CLOCK = r"(?:[01]?\d|2[0-3])"
_TIME_UNIT = r"[ \t]*(?i:[ap]\.?m\b|uhr\b|uur\b|h(?![A-Za-z\d])|hrs\b|horas\b|heures?\b)"
_TIME = (
    rf"{_CLOCK}(?:[:h][0-5]\d(?![:\d])(?:{_TIME_UNIT})?|\.[0-5]\d(?={_TIME_UNIT}){_TIME_UNIT}"
    rf"|h(?![A-Za-z\d])|(?={_TIME_UNIT}){_TIME_UNIT}"
    # "7-9am", "2-4 pm": an hour before a range whose end has the unit
    rf"|(?=[ \t]*[\-\u2013][ \t]*{_CLOCK}(?:[:.][0-5]\d)?{_TIME_UNIT}))"
    rf"(?:[ \t]*[\-\u2013][ \t]*{_CLOCK}(?:[:h.][0-5]\d(?![:\d]))?(?:{_TIME_UNIT})?(?![\d:]))?"
)
_TIME_WORD = (
    r"(?i:at|@|à|a[ \t]+las|a[ \t]+la|às|um|alle(?:[ \t]+ore)?|ore|om|kl\.?|klockan|"
    r"o(?:[ \t]+godz\.?)?|godz\.?|pukul|"
    # a time's bounds: "from 15:00", "after 2pm", "between 9 and 11", "ab 14 Uhr", "à partir de 10h",
    # "desde las 9", "vanaf 10.00 uur", "från kl. 9", "od 10:00", "dalle 9"
    r"(?:from|after|before|between|by|until|till|ab|nach|vor|zwischen|von|bis|d[èe]s|apr[èe]s|avant|"
    r"entre|[àa][ \t]+partir[ \t]+de|desde|despu[ée]s[ \t]+de|antes[ \t]+de|vanaf|na|voor|tussen|"
    r"fr[åa]n|efter|f[öo]re|mellan|od|po|przed|mi[ęe]dzy|dalle|dopo|prima[ \t]+delle|tra|fra|depois[ \t]+das|"
    r"antes[ \t]+das)(?:[ \t]+(?:las|la|les|kl\.?|klockan|ore|godz\.?|the|das|den))?)"
)
# the end of a time's bounds ("between 9 and 11", "zwischen 10 und 12 Uhr", "entre las 9 y las 11")
_TIME_AND = r"(?i:and|und|et|y|e|en|och|i|a|to|bis|tot|till|och)(?:[ \t]+(?:las|les|kl\.?|ore|das))?"
# a time zone after a time: "14:00 CET", "13:00 NZST", "10am EET", "9:00 UTC+2"
_TIME_ZONE = (
    r"(?:[ \t]*\(?(?:[A-Z]{2,4}T|UTC|GMT|MSK|WIB|HKT|SGT)(?:[+\-]\d{1,2}(?::?\d{2})?)?\)?(?![A-Za-z]))"
)
_TIME_AFTER_WORD = (
    rf"{_CLOCK}(?:[:h.][0-5]\d(?![:\d]))?(?:{_TIME_UNIT})?(?![\d%]|[.,:/]\d)"
    rf"(?:[ \t]*[\-\u2013][ \t]*{_CLOCK}(?:[:h.][0-5]\d(?![:\d]))?(?:{_TIME_UNIT})?(?![\d:]))?"
)
# 2025-03-14, 14/03/2025, 03/14/25, 14.03.2025, March 14(, 2025), Mar. 14th, 14 March 2025, the 3rd of June,
# 14/01 at 15h, 8 de mayo, le 3 juin, am 3. Juni
_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[ \-])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|"
    r"twentieth|thirtieth"
)
_DATE = (
    # (not the last parts of a longer dashed number: "ip-10-0-3-17")
    r"(?:(?<![\d.])(?<!\d[\-/])(?:\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}|\d{1,2}[\-/.]\d{1,2}[\-/.](?:\d{4}|\d{2}))"
    r"(?!\d|\.\d)"
    rf"|(?<![\d./])\d{{1,2}}/\d{{1,2}}(?=[ T]\d{{1,2}}:\d{{2}}|[ \t]+{_TIME_WORD}[ \t]+{_TIME})"
    rf"|{_MONTH}\s*{_DAY}(?:,?\s+\d{{4}}\b(?![\-/.]\d))?"
    rf"|(?<!\d)(?i:the\s+)?{_DAY}(?:\s*|-)(?i:of\s+)?{_MONTH}(?:(?:,?\s+|-)\d{{4}}\b(?![\-/.]\d))?"
    rf"|(?<![\d.])\d{{1,2}}(?:\.|º|er)?[ \t]+(?i:de[ \t]+)?{_FOREIGN_MONTH}"
    r"(?:[ \t]+(?i:de[ \t]+)?\d{4}\b)?"
    # Japanese, Chinese and Korean: 1990年4月2日, 1990년 4월 2일
    r"|(?<!\d)\d{4}[ \t]*[年년][ \t]*\d{1,2}[ \t]*[月월][ \t]*\d{1,2}[ \t]*[日일]"
    # airline and military dates, in capitals and glued: 15JUN2019, 19DEC, 04OCT86
    r"|(?<![A-Za-z\d])\d{1,2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:\d{4}|\d{2})?(?![A-Za-z\d])"
    # a day said as an ordinal word, with its year: "fourteenth of march 1988" (a date read out in a call)
    rf"|(?i:(?<![A-Za-z])(?:the\s+)?(?:{_ORDINAL_WORD})\s+(?:of\s+)?){_MONTH}\s*,?\s+\d{{4}}\b)"
)
_DOB_WORDS = (
    r"(?:(?i:(?<![A-Za-z])(?:d\.?o\.?b|date[\s_\-]*of[\s_\-]*birth|birth[\s_\-]*date|birthday|born|"
    # German, Spanish, Portuguese, French, Italian, Dutch, Nordic, Polish
    r"geburtsdatum|geb\.?-?[ \t]?datum|geburtstag|geboren|"
    r"fecha[\s_]+de[\s_]+nac(?:imiento|\.)|nacid[oa]|cumpleaños|"
    r"data[\s_]*de[\s_]*nascimento|nascid[oa]|anivers[áa]rio|date[\s_]*(?:de[\s_]*)?naissance|"
    r"n[ée]e?[ \t]+le|"
    r"data[\s_]+di[\s_]+nascita|nat[oa][ \t]+il|geboortedatum|f[öo]delsedatum|f[öo]dd|f[øo]dselsdato|"
    r"f[øo]dt|data[\s_]+urodzenia|urodzon[ya]|"
    # the noun of birth alone, as a form's key or label ("nascimento=", "Geburt:"), and Indonesian,
    # Turkish and Vietnamese ("tgl lahir", "doğum tarihi", "ngày sinh", "sinh ngày")
    r"nascimento|nacimiento|naissance|nascita|geboorte|geburt|lahir|do[ğg]um(?:[ \t]+tarihi)?|do[ğg]umlu|"
    r"ng[àa]y[ \t]+sinh|sinh[ \t]+ng[àa]y|sinh[ \t]+n[ăa]m|"
    # Japanese, Chinese and Korean
    r"生年月日|出生日期|出生|生まれ|誕生日|생년월일|출생)(?![A-Za-z\u00c0-\u017f]))"
    # "(b. 1944-08-02)", "Walter Ames, b. 12/03/1950", "geb. 12.05.1968", "ur. 3.04.1990", Turkish "d."
    # (doğum) or English "d." (died): a person's date either way
    # ("Geb. 04.09.1971", "Nasc. 30/01/1990")
    # Turkish "d.t." (doğum tarihi)
    r"|(?<![A-Za-z.])(?:b|[Gg]eb|ur|d|d\.[ \t]?t|[Nn]asc|[Nn]ac)\.(?=[ \t]*\d))"
)
# the date on the label's line, or (a scanned form, an OCR'd ID) alone on one of the next lines after a
# label line with no digit: "Date of birth / Date de naissance\n04 OCT 1986", "Geb.-Datum:\n  17.02.1984"
_DATE_OF_BIRTH_PATTERN = (
    "date_of_birth",
    rf"{_DOB_WORDS}\.?(?:[^\n\d]{{0,24}}?|[^\n\d]{{0,40}}\n[ \t\n]{{0,8}})\K{_DATE}",
    0.85,
)
_DATE_OF_BIRTH_SCORE = 0.85
# A date said of a person: an appointment, admission, visit, discharge, death, operation (HIPAA's and the
# GDPR's dates). The cue comes before the date within a few words, or right after it ("14 March: seen by").
_VISIT_KIND = (
    r"(?:follow-?up|clinic|home|gp|hospital|doctor'?s?|last|next|first|initial|annual|routine|antenatal|"
    r"postnatal|midwife|nurse|virtual|site|field|house|in-person|technician'?s?|engineer'?s?|video|phone|"
    r"telephone|telehealth|online|remote|dental|vet)"
)
_PERSONAL_CUE = (
    r"(?<![A-Za-z])(?i:appointments?|appts?|(?:slots?|bookings?|dod|visit(?:[_\-]?date)?|check[_\-]?(?:in|out)|"
    r"arrival|departure|reservation|eta)(?=[\"']?\s*[:=])|check-(?:in|out)(?=[ \t]+(?:\d|$))|"
    r"interview|fitting|viewing|lesson|"
    # booked for someone: "demo booked for", "booked Thu 20 Nov"; a wedding
    r"(?:re)?booked|reserved|(?:get|getting|got|be|being)\s+married|marry(?:ing)?|married\s+on|"
    # Spanish, French, Portuguese, German, Italian, Dutch, Swedish, Polish: a booking, an appointment, a
    # consultation, a visit
    r"reservas?|reservaci[oó]n|cita|consulta|rendez-vous|rdv|r[ée]servation|agendamento|marca[çc][ãa]o|"
    r"(?:arzt)?termin|gespr[äa]ch|reservierung|blutabnahme|sprechstunde|appuntamento|prenotazione|visita|visite|"
    r"afspraak|bes[öo]k(?:et)?|wizyt[aęy]|"
    r"admitted|admission|readmitted|attended|"
    # a visit to the emergency department (Turkish "acil servise")
    r"acil[ \t]+servis\w*|emergency[ \t]+(?:department|room)|"
    rf"{_VISIT_KIND}(?:\s+{_VISIT_KIND})?\s+visit|visit\s+(?:on|date)|(?:was|were|been|being)\s+seen|"
    r"discharged?|died|death|deceased|passed\s+away|funeral|surgery|operation|operated|"
    r"(?<!operating\s)(?<!standard\s)procedure|scheduled|rescheduled|check-?up|follow-?up|consultation|"
    r"consult|(?:next|follow-?up)\s+review|referred|diagnosed|vaccinated|vaccination|hospitali[sz]ed|"
    r"gave\s+birth|give\s+birth|giving\s+birth|due\s+date|edd|turns\s+\d{1,3}|anniversary|wedding|"
    # a person's coming and going: arriving, starting a job, on leave, a ward round, a callback
    r"arriv(?:es|ed|ing)|will\s+arrive|courier|start(?:ing)?\s+date|"
    r"on\s+(?:(?:parental|maternity|paternity|sick|medical|annual|compassionate)\s+)?leave|off\s+until|back\s+on|ward\s+rounds?|call\s*back|"
    r"(?:flying|driving|travel+ing|moving|heading)\s+(?:to|out|home|back)|"
    # the same in German, Spanish, French, Italian, Dutch, Portuguese: an admission, a discharge, a
    # callback, meeting someone, arriving
    r"aufnahme\s+am|aufgenommen|entlassung|entlassen|r[üu]ckruf|ingres(?:a|[óo]|ar|o)|(?:de|el)\s+alta|vernos|nos\s+vemos|"
    r"quedamos|hospitalis[ée]e?|hospitali[sz]a(?:tion|ci[óo]n|[çc][ãa]o)|alta\s+(?:prevista|m[ée]dica|hospitalar)|"
    # Vietnamese: an appointment, a medical examination
    r"l[ịi]ch\s+h[ẹe]n|khám|nh[ậa]p\s+vi[ệe]n|xu[ấa]t\s+vi[ệe]n|qua\s+đ[ờo]i|admise?|sortie\s+(?:le|pr[ée]vue)|ricoverat[oa]|ricovero|dimess[oa]|"
    r"opgenomen|opname|ontslag|internad[oa]|interna[çc][ãa]o|"
    # an admission, a discharge, a death, an appointment in Italian, Polish, Turkish, Dutch, German,
    # Spanish, Portuguese, French, Indonesian, Swedish (Turkish words take suffixes: "randevunuz")
    r"dimission[ei]|decedut[oa]|decesso|przyj[ęe]t[yaei]|wypisan[yaei]|wypis|zgon|zmar[łl]\w*|"
    r"yat[\u0131i]r[\u0131i]l\w*|yat[\u0131i][şs]\w*|taburcu\w*|randevu\w*|ameliyat\w*|vefat\w*|muayene\w*|"
    r"overleden|overlijden|verstorben|gestorben|falleci\w*|defunci[óo]n|falecid[oa]|falecimento|[óo]bito|"
    r"d[ée]c[ée]d[ée]e?|d[ée]c[èe]s|meninggal|dirawat|rawat[ \t]+inap|janji[ \t]+temu|avled|inlagd|"
    r"utskriven|"
    # a person's application to a clinic (Turkish "başvurdu"), an accident or a claim's day (German
    # "Schadentag", French "sinistre"), a counselling session, an examination, a notice or a lease
    r"ba[şs]vur\w*|accident|unfall\w*|schadentag|schadensdatum|sinistre|siniestro|sinistro|"
    r"counsel+ing|therapy|exam(?:ination)?[ \t]+date|seen(?=[ \t]+(?:on[ \t]+)?(?:\d|$))|untersuchung|"
    r"vorsorge\w*|k[üu]ndig\w*|sjukskriven|lease|tenancy|signed_at|signature|"
    # a joining day, an interview panel, a wound's dressing, a booking in Swedish or French, a stay's
    # check-in, a cancellation someone made
    r"joining[\s_\-]+date|(?:interview[ \t]+)?panel(?=[ \t]+on\b)|dressing[ \t]+change|"
    r"bok(?:a|ade|at|ning(?:en)?)|r[ée]serv[ée]e?s?|checked[ \t]+(?:in|out)|"
    r"(?:i|he|she|they|we)[ \t]+cancel+ed|"
    # a passenger's flight in a booking record: "FLT LOS-LHR 19DEC"
    r"flt|"
    r"(?:i|i'm|we|we're|she|he|they)\s+(?:land|arrive|fly|leave|move|travel)\w*|my\s+flight|"
    r"date[\s_\-]+of[\s_\-]+(?:death|admission|discharge|visit|service|surgery|injury))(?![A-Za-z])"
)
_PERSONAL_CUE_BEFORE = re.compile(rf"{_PERSONAL_CUE}[^\n\d]{{0,48}}$")
_PERSONAL_CUE_AFTER = re.compile(rf"[^\n\d]{{0,24}}?{_PERSONAL_CUE}")
_PERSONAL_DATE_SCORE = 0.6
# a campaign is an organisation's, in any of the cue languages
_CAMPAIGN_WORDS = (
    r"campaigns?|campagnes?|campa[ñn]as?|campanhas?|campagn[ae]|kampagnen?|kampanj(?:en)?|kampani[ae]|"
    r"kampanya"
)
# Words of a date that is not about a person (a release, a law, a job): near a cue-found date they drop
# it (unless a strong cue is near too); in the sentence of a candidate they keep it from being promoted.
_IMPERSONAL_WORDS = (
    r"release[sd]?|launch(?:ed|es)?|deploy(?:ed|s|ment)?|version|v\d+(?:\.\d+)*|changelog|sprint|"
    r"milestone|roadmap|maintenance|outage|migration|deprecat\w*|end[\s\-]of[\s\-]life|eol|act|law|"
    r"regulation|directive|ruling|published|build|cron|job|"
    # a backup job, not a backup person ("Backup contact: ...")
    r"backup(?![ \t]+(?:contact|person|owner|approver|on-?call|doctor|carer))|"
    r"webinar|conference|pr|pull\s+request|"
    # an organisation's event over days: "the vaccination drive runs from 10 to 24 January", "a blood drive"
    r"(?:vaccination|blood|donation|food|recruitment|fundraising|donor)\s+drives?|"
    r"merged?|standup|warehouse|shipment|package|invoice|contract|off-?site|"
    # a place closed on a day (a clinic's, a shop's holiday), in the cue languages
    r"closed|chius[oa]|geschlossen|ferm[ée]e?|cerrad[oa]|fechad[oa]|gesloten|st[äa]ngt|"
    # maintenance in the cue languages, and a resource's or a payroll's date, not a person's
    r"pemeliharaan|wartung\w*|mantenimiento|manuten[çc][ãa]o|manutenzione|onderhoud|underh[åa]ll|"
    r"konserwacj\w*|bak[\u0131i]m\w*|payroll|delete[ds]?|deletion|teardown|cleanup|"
    rf"{_CAMPAIGN_WORDS}"
)
_IMPERSONAL_DATE_CONTEXT = re.compile(rf"(?i:\b(?:{_IMPERSONAL_WORDS}|commit|meeting)\b)")
_DATE_RE = re.compile(_DATE)
_DIGIT_RUNS = re.compile(r"\d+")
# what can come right before a date's first digits, and right after them
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DATE_LEAD_WORDS = frozenset(("the", "sept", *_MONTH_NAMES, *(month[:3] for month in _MONTH_NAMES)))
_DATE_FOLLOWERS = frozenset("-/. \tsnrtSNRTeEº年년JFMAOD")  # and 15JUN2019
# a date written as code: Python's date(1987, 4, 12), datetime(2026, 12, 3, ...) is read from "date("
_CODE_DATE = re.compile(
    r"date\((?:1[89]|20)\d{2},[ \t]*(?:0?[1-9]|1[0-2]),[ \t]*(?:0?[1-9]|[12]\d|3[01])(?:\)|(?=,))"
)
_CODE_DATE_KEY = re.compile(rf"(?:{_DOB_WORDS}|{_PERSONAL_CUE})[\w\"']*[ \t]*[:=][ \t]*$")
_TIMESTAMP_AFTER = re.compile(r"[T ]\d{2}:\d{2}:\d{2}")
# "Thursday, 6 February 2025", "Mon 10/02/2025", "Tue 4 Mar", "Dienstag, den 8. Oktober", "martes 12 de
# marzo", "lunedì 4 novembre", "segunda-feira, dia 3", "måndag den 3 juni", "we wtorek 8 października";
# "2025-04-08 09:40", "12 March 2025 at 10:30", "12 de marzo a las 9:00", "8. Oktober um 8:15 Uhr"
_WEEKDAY = (
    r"(?i:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|"
    r"sun(?:day)?|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|mo|di|mi|do|fr|sa|so|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim|"
    r"lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|mi[ée]|jue|vie|s[áa]b|dom|"
    r"segunda|ter[çc]a|quarta|quinta|sexta|(?:segunda|ter[çc]a|quarta|quinta|sexta)-feira|seg|qua|qui|sex|"
    r"luned[iì]|marted[iì]|mercoled[iì]|gioved[iì]|venerd[iì]|sabato|domenica|gio|sab|"
    r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|ma|wo|vr|za|zo|"
    r"m[åa]ndag|tisdag|onsdag|torsdag|fredag|l[öo]rdag|s[öo]ndag|mån|tis|ons|tors|fre|lör|sön|"
    r"poniedzia[łl]ek|wtorek|[śs]rod[aęey]|czwartek|pi[ąa]tek|sobot[aęey]|niedziel[aęei]|pon|wt|[śs]r|czw|pt|"
    r"sob|niedz|senin|selasa|rabu|kamis|jumat|sabtu|minggu)"
)
_WEEKDAY_BEFORE = re.compile(
    rf"(?<![A-Za-z\u00c0-\u017f]){_WEEKDAY}\.?,?[ \t]+(?:(?i:den|le|el|the|dia|il)[ \t]+)?$"
)
_WEEKDAY_REACH = 24
_TIME_AFTER = re.compile(
    rf"(?:,?[ \t]+{_TIME_WORD}[ \t]+{_TIME_AFTER_WORD}(?:[ \t]+{_TIME_AND}[ \t]+{_TIME_AFTER_WORD})?"
    rf"|(?:,?[ \t]+|T){_TIME})(?![A-Za-z]){_TIME_ZONE}?"
)
# a range of days before a date's day ("11 to 14 October", "9-12 January", "11.-14. Oktober", "du 3 au 5
# juin", "del 3 al 5 de junio"), and after a month-first date's ("October 11-14", "Oct 11 to 14")
_RANGE_WORD = (
    r"(?:[\-\u2013\u2014]|(?i:to|through|thru|till|until|and|bis|au|al|a|ao|tot|t/m|do|och|und|et|y|e)"
    r"(?![A-Za-z]))"
)
_RANGE_BEFORE = re.compile(
    # a day and month may open it too ("vom 24.11. bis 02.12.2026", "de 15/07 a 19/07/2026")
    rf"(?<![\w.,:/\-])\d{{1,2}}(?:(?i:st|nd|rd|th|er)|\.|º|[./]\d{{1,2}}\.?)?[ \t]*{_RANGE_WORD}[ \t]*$"
)
_RANGE_REACH = 16
# the word that opens a range of days ("du 10 au 14 février", "from 11 to 14 October", "vom 3. bis 5. Mai")
_RANGE_OPEN_BEFORE = re.compile(
    r"(?<![A-Za-z\u00c0-\u017f])(?i:du|from|del|dal|de|vom|von|van|fr[åa]n|od|desde|entre|between)[ \t]+$"
)
# Dates that are dates only in their context: a day and month alone ("18/03"), an ordinal day ("the 14th"),
# a weekday with only a time ("donderdag om 10.00 uur", "Friday at 3pm"). A short date is cued, or a
# candidate (promoted by its sentence, as every other) after a word that puts a date there; an ordinal day
# only cued; neither before a word that makes it a fraction or a century ("3/4 of", "the 14th century").
_SHORT_DATE = re.compile(
    r"(?<![\d./:\-])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])"
    r"(?![\d/]|[.,:\-]\d|[ \t]+(?i:of|de|du|des|di)\b)"
)
# a short date that ends a range opened by another ("de 15/07 a 19/07", "3/5 - 7/5")
_SHORT_RANGE_BEFORE = re.compile(rf"(?<![\d./])\d{{1,2}}/\d{{1,2}}[ \t]*{_RANGE_WORD}[ \t]*$")
_SHORT_DATE_BEFORE = re.compile(
    r"(?<![A-Za-z\u00c0-\u017f])(?i:on|am|le|el|il|op|den|per|until|till|by|from|for|dia|vom|bis|"
    r"before|after|since|ab|seit|desde|hasta|jusqu'au|au|tot|t/m|sedan|od|do)[ \t]+$"
)
_ORDINAL_DAY = re.compile(
    r"(?i:the)[ \t]+(?:[12]?\d|3[01])(?i:st|nd|rd|th)"
    r"(?=[ \t]*(?:[.,;:!?)\n]|$)|[ \t]+(?i:at|or|and|instead|works|would|is|then|from|until|in[ \t]+the|"
    r"morning|afternoon|evening|for|on|with|if|because|so|but|please)\b)"
)
_WEEKDAY_NAME = (
    r"(?:(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|donnerstag|"
    r"freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|mi[ée]rcoles|"
    r"jueves|viernes|s[áa]bado|domingo|(?:segunda|ter[çc]a|quarta|quinta|sexta)-feira|luned[iì]|"
    r"marted[iì]|mercoled[iì]|gioved[iì]|venerd[iì]|sabato|domenica|maandag|dinsdag|woensdag|donderdag|"
    r"vrijdag|zaterdag|zondag|m[åa]ndag|tisdag|onsdag|torsdag|fredag|l[öo]rdag|s[öo]ndag|"
    r"poniedzia[łl]ek|wtorek|[śs]rod[aęey]|czwartek|pi[ąa]tek|sobot[aęey]|niedziel[aęei]|"
    r"senin|selasa|rabu|kamis|jum'?at|sabtu|minggu)|"
    r"Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)"
)
_ENGLISH_WEEKDAYS = frozenset(
    (
        *("mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs"),
        *("thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"),
    )
)
_WEEKDAY_ORDINAL = re.compile(
    r"(?<![A-Za-z])(?i:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?i:day)?\.?,?[ \t]+"
    r"(?:(?i:the)[ \t]+)?(?:[12]?\d|3[01])(?i:st|nd|rd|th)(?![A-Za-z\d])"
)
_WEEKDAY_TIME_BEFORE = re.compile(
    rf"(?<![A-Za-z\u00c0-\u017f]){_WEEKDAY_NAME}\.?(?=,?[ \t]+(?:[^\d\n \t]{{1,12}}[ \t]+){{0,2}}$)"
)
_WEEKDAY_TIME_REACH = 40
# the word right before a weekday's time: the weekday itself ("Friday 15:00") or a word _TIME_WORD ends
# with ("Friday at 3pm", "viernes a las 9", "donderdag om 10.00"): a set lookup before the pattern's search
_BEFORE_WEEKDAY_TIME = frozenset(
    (
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "montag"),
        *("dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "lundi", "mardi"),
        *("mercredi", "jeudi", "vendredi", "samedi", "dimanche", "lunes", "martes", "miércoles"),
        *("miercoles", "jueves", "viernes", "sábado", "sabado", "domingo", "segunda-feira", "terça-feira"),
        *("terca-feira", "quarta-feira", "quinta-feira", "sexta-feira", "lunedì", "lunedi", "martedì"),
        *("martedi", "mercoledì", "mercoledi", "giovedì", "giovedi", "venerdì", "venerdi", "sabato"),
        *("domenica", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        *("måndag", "mandag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "lordag", "söndag"),
        *("sondag", "poniedziałek", "poniedzialek", "wtorek", "środa", "sroda", "środę", "srode"),
        *("środy", "srody", "czwartek", "piątek", "piatek", "sobota", "sobotę", "sobote", "soboty"),
        *("niedziela", "niedzielę", "niedziele", "niedzieli", "srodę", "mon", "tue", "tues", "wed", "thu"),
        *("senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu", "minggu", "pukul"),
        *("thur", "thurs", "fri", "sat", "sun"),
        *("at", "@", "à", "a", "las", "la", "les", "às", "um", "alle", "ore", "om", "kl", "klockan", "o"),
        *("godz", "from", "after", "before", "between", "by", "until", "till", "ab", "nach", "vor"),
        *("zwischen", "von", "bis", "dès", "des", "après", "apres", "avant", "entre", "de", "desde"),
        *("vanaf", "na", "voor", "tussen", "från", "fran", "efter", "före", "fore", "mellan", "od", "po"),
        *("przed", "między", "miedzy", "dalle", "delle", "dopo", "tra", "fra", "das", "the", "den"),
    )
)
# what can follow the hour of a weekday's time ("15:00", "10h", "3pm", "16 Uhr")
_TIME_FOLLOWERS = frozenset(":hapAPuU")
_RANGE_AFTER = re.compile(
    rf"[ \t]*{_RANGE_WORD}[ \t]*\d{{1,2}}(?i:st|nd|rd|th)?(?![\w:/%]|[.,]\d)"
    r"(?:,?[ \t]+\d{4}(?![\w]|[.,/:\-]\d))?"
)
_ENDS_WITH_YEAR = re.compile(r"\d{4}$")
# a date and time at the start of a log line ("[audit] 2024-04-02 17:31 actor=...", "INFO 2024-04-02 17:31")
_LOG_LEVEL = r"info|warn(?:ing)?|error|debug|trace|fatal|critical|notice"
_LOG_LINE_HEAD = re.compile(rf"[ \t]*(?:(?:\[[^\]\n]{{1,24}}\]|(?i:{_LOG_LEVEL}|audit))[ \t]*:?[ \t]*)*")
_LOG_HEAD_REACH = 60
_LOG_LINE_AFTER = re.compile(
    rf"[ \t]+(?:\[|[\w.\-]+=|(?i:{_LOG_LEVEL})\b|"
    r"[\w.\-]+(?:\[\d+\])?:[ \t])"
)
# A version that reads as a date: after a version specifier ("urllib3>=1.26.14", "shibuya==2026.7.12"), glued
# to a name by "@" ("kb-embeddings@2025-03-10"), a version key's value ('api_version="2024-05-01-preview"')
_VERSION_DATE_BEFORE = re.compile(
    r"(?:(?:[<>=!~]=|(?<=[\w)\]])<)[ \t]*|(?<=\w)@|(?i:version|ver)[\"']?[ \t]*[:=][ \t]*[\"']?)$"
)
_VERSION_DATE_AFTER = re.compile(r"-(?i:preview|alpha|beta|rc|dev|snapshot)|\.\d")
# Every date the scan finds and no cue claims is a PERSONAL_DATE of this score (a candidate, told apart
# from cue-found ones by it): refine_patterns promotes it (to the cue score) or drops it.
DATE_CANDIDATE_SCORE = 0.5

# --- payment cards: every network's IIN ranges and lengths, any common grouping, Luhn -----------------
# Digit groups with a space or a dash between them (mixed too: 4-4-4-4, 4-6-5, 8-8, 4-4-8, 4-12, ...) or
# dots throughout (4111.1111.1111.1111), or 12 to 19 digits in a row; whatever follows ("-12/27", ". ").
# Not inside a word, a decimal's fraction or a UUID. ``find_cards`` tries the candidate's groups from
# each group after a space: a whole 12 to 19 digit run, or a group of 4 or 8 and groups of 3 or more.
_CARD_CANDIDATE = re.compile(
    r"(?<!\w)(?<!\d\.)(?<![0-9A-Fa-f]{4}-)(?:\d{4}\.\d{3,7}(?:\.\d{1,7}){1,3}(?!\w|\.\d)|\d+(?:[ \-]\d+)*)"
)
_CARD_GROUP = re.compile(r"\d+")
# (first digits, lowest, highest, lengths): UATP, Visa, Mastercard (51-55 and the 2-series), Amex,
# Discover, JCB, UnionPay, Diners Club, Maestro.
_CARD_RANGES: tuple[tuple[int, int, int, frozenset[int]], ...] = (
    (1, 1, 1, frozenset({15})),
    (1, 4, 4, frozenset({13, 16, 19})),
    (2, 51, 55, frozenset({16})),
    (4, 2221, 2720, frozenset({16})),
    (2, 34, 34, frozenset({15})),
    (2, 37, 37, frozenset({15})),
    (4, 6011, 6011, frozenset(range(16, 20))),
    (3, 644, 649, frozenset(range(16, 20))),
    (2, 65, 65, frozenset(range(16, 20))),
    (4, 3528, 3589, frozenset(range(16, 20))),
    (2, 62, 62, frozenset(range(16, 20))),
    (3, 300, 305, frozenset(range(14, 20))),
    (4, 3095, 3095, frozenset(range(14, 20))),
    (2, 36, 36, frozenset(range(14, 20))),
    (2, 38, 39, frozenset(range(14, 20))),
    (2, 50, 50, frozenset(range(12, 20))),
    (2, 56, 69, frozenset(range(12, 20))),
    # national networks: Mir (RU), RuPay (IN, 81-82), Troy (TR), UzCard and Humo (UZ)
    (4, 2200, 2204, frozenset(range(16, 20))),
    (2, 81, 82, frozenset({16})),
    (4, 9792, 9792, frozenset({16})),
    (4, 8600, 8600, frozenset({16})),
    (4, 9860, 9860, frozenset({16})),
)
_CARD_SCORE = 1.0
_MAESTRO_PREFIXES = frozenset({"50", *(str(prefix) for prefix in range(56, 70))})


def card_network_matches(digits: str) -> bool:
    """Whether ``digits`` starts and is as long as some network's cards (without the Luhn check)."""
    return any(
        len(digits) in lengths and low <= int(digits[:prefix]) <= high
        for prefix, low, high, lengths in _CARD_RANGES
    )


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def find_cards(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every payment card number in ``text``: a network's prefix and length, Luhn.
    Every run of digit groups is tried from its first group and from each group after a space, longest
    first (a card after a quantity, a card followed by a year, a CVV or "-12/27")."""
    found: list[tuple[int, int]] = []
    for match in _CARD_CANDIDATE.finditer(text):
        if match.end() - match.start() < 12:
            continue
        groups = [group.span() for group in _CARD_GROUP.finditer(text, match.start(), match.end())]
        first = 0
        while first < len(groups):
            card = _card_in(text, groups, first)
            if card is not None:
                found.append((groups[first][0], groups[card][1]))
                first = card + 1
                continue
            first += 1
            while first < len(groups) and text[groups[first][0] - 1] != " ":
                first += 1
    return found


def _card_in(text: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """The last group of the longest card starting at ``groups[first]``, if any."""
    lasts: list[int] = []
    count = 0
    for last in range(first, len(groups)):
        size = groups[last][1] - groups[last][0]
        # a card is written whole, or from a group of 4 or 8 on in groups of 3 digits or more (the last
        # may be shorter: 4-4-4-1)
        if last == first + 1 and count not in (4, 8):
            break
        count += size
        if count > 19:
            break
        if count >= 12:
            lasts.append(last)
        if size < 3:
            break
    for last in reversed(lasts):
        digits = "".join(text[start:end] for start, end in groups[first : last + 1])
        if card_network_matches(digits) and luhn_valid(digits):
            return last
    return None


# --- phone numbers the digit-run recognizer cannot see --------------------------------------------
# phonenumbers only accepts numbers valid in Presidio's 8 regions: a 7-digit local number after a cue
# ("call me on 555-0143") and international numbers of other countries or of unassigned ranges (+971,
# UK drama numbers) pass. These take a number written in international form (+ or 00 and a country code
# phonenumbers knows, possible length) and a local number right after a phone cue.
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![\w+])(?:\+|\b00[ ]?)[1-9](?:[ \-.]?(?:\(0\)|\(\d{1,4}\))?[ \-.]?\d){6,14}(?![\d])"
)
_PHONE_CUE = (
    r"(?i:\b(?:call(?:ed|ing)?|phone|tel|telephone|cell|cellphone|mobile|mob|ring|text|txt|sms|whatsapp|"
    r"reach(?:able)?|contact|fax|dial|landline|ph|emergency|"
    r"(?:phone|tel|mobile|cell|fax|contact)[_\-](?:no|num|number|nr)|"
    r"(?:my|his|her|their|your|our|direct|home|work|office)\s+(?:number|no|line)|"
    # the same in the languages our other cues cover: Nummer, numéro, número, Handy, móvil, celular, ...
    r"(?:mitt|min|mein(?:e)?|meu|minha|mi|mon|ma|il\s+mio)\s+(?:\w+\s+)?(?:nummer|numéro|número|numero)|"
    r"telefon(?:nummer)?|teléfono|telefone|téléphone|telefono|handy|móvil|celular|portable|"
    r"cellulare|mobiltelefon|puhelin|"
    # contact labels: Swedish/Norwegian/Danish, German, Dutch, Polish, Finnish, Spanish, Portuguese
    r"tfn|tlf|mobil(?:nummer|nr)?|telefonnr|rufnummer|festnetz|durchwahl|natel|telefoonnummer|mobiel|gsm|"
    r"numer\s+telefonu|kom|puh|m[óo]vil|celu|telem[óo]vel|tél|t[ée]l[ée]phone|"
    # "reachable at" in those languages: "nås på", "erreichbar unter", "joignable au", "bereikbaar op", ...
    r"n[åa]s\s+p[åa]|erreichbar|joignable|localizable|raggiungibile|bereikbaar|contact[áa]vel|"
    r"pod\s+numerem|numaras[\u0131i]|hubungi|nomor(?:\s+hp)?|"
    # Polish "numer"/"numeru" (the number, of an invoice contact too): an identifier's number is skipped
    # below when its word ("numer zamówienia 123 456 789") comes right before the digits
    r"numer(?:u|em)?)\b)"
)
# Numbers first (digits are rare in text, cue words are not), then the cue in the few characters before.
_LOCAL_NUMBER = re.compile(
    r"(?<![\w+])(\(?\d{2,5}\)?(?:[ \-.]?\d{2,5}){1,4})"
    r"(?:\s*(?:ext\.?|x|extension)\s*\d{1,5})?(?![\w]|[.\-/:]\d)"
)
_PHONE_CUE_BEFORE = re.compile(_PHONE_CUE + r"[^\d\n]{0,20}$")
_PHONE_SCORE = 0.6
# A US local number (555-0139, 555 0172, 555.0190) right after "at", "on", "is at", "@": not a range of
# values with a unit ("at 250-4000 Hz", "on 300-5000 rpm").
_US_LOCAL_NUMBER = re.compile(r"(?<![\w+\-./:])[2-9]\d{2}([ \-.])\d{4}(?![\w]|[.\-/:,]\d)")
_LOCAL_CUE_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?i:at|on)|@)[ \t]*$")
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:%|°|(?i:[kmgt]?hz|rpm|ms|sec(?:onds?)?|s|min(?:utes?)?|h|hrs?|hours?|days?|[kmc]?m|mm|"
    r"mi(?:les?)?|ft|feet|in(?:ch(?:es)?)?|[km]?g|lbs?|v|volts?|[km]?w|watts?|[kmgt]i?b|bytes?|px|pages?|"
    r"words?|tokens?|items?|rows?|users?|requests?|units?|ppm|nm|db|dpi|fps|psi|bar|kcal|cal|"
    r"usd|eur|gbp|dollars?|euros?|points?|steps?|runs?|times?|records?|lines?)(?![A-Za-z]))"
)
# Identifiers that are not phone numbers unless written as one: the digits right after these words
# what follows an identifier's word, up to its value: "order number: ", "Ticket #", "Rechnung Nr. "
_ID_NUMBER_AFTER = r"(?:[\s_\-]*(?:number|num|no\.?|id|#|code|nr\.?|n[º°o]\.?))?[\s:=#\"']*$"
_ID_CUE = re.compile(
    r"(?i:\b(?:orders?|ticket|tickets|invoice|invoices|inv|tracking|track|shipment|parcel|package|ref|"
    r"reference|po|purchase\s+order|case|incident|issue|bug|build|job|batch|transaction|txn|receipt|"
    r"confirmation|booking|reservation|order_id|serial|sku|part|model|version|account|acct|customer|"
    r"member|user|id|"
    # the same in the languages of our phone cues: "Bestellung 12345678", "commande", "pedido", "ärende"
    r"bestellung|auftrag|rechnung|kundennummer|commande|facture|pedido|factura|fattura|ordine|"
    r"zam[óo]wieni[aeu]|faktur[ayę]?|konta|klienta|zg[łl]oszenia|przesy[łl]ki|paczki|sprawy|"
    r"fatura|sipari[şs]|pesanan|tiket|[äa]rende|bestelling)\b"
    rf"{_ID_NUMBER_AFTER})"
)
_PHONE_CONTEXT = re.compile(_PHONE_CUE)
# A number in a country's national format (the trunk prefix 0, separators: "070-174 06 55", "06 12 34 56
# 78", "0151 23456789", "(0)20 7946 0958") in brackets right after a capitalised word, a person's name
# ("Anna Lind (070-174 06 55)"): a phone number when phonenumbers finds it valid in one of the regions
# that dial a trunk 0.
_NATIONAL_NUMBER = re.compile(r"(?:\(0\)[ ]?|0)\d{1,4}(?:[ \-/]\d{2,8}){1,4}(?![\w]|[.\-/:]\d)")
_NAME_BRACKET_BEFORE = re.compile(r"(?<![\w.])[A-Z\u00c0-\u00de][\w'\u2019\-]+[ \t]*([(\[])[ \t]*$")
_TRUNK_ZERO_REGIONS = (
    *("SE", "DE", "AT", "CH", "FR", "BE", "NL", "GB", "IE", "FI", "IT", "TR", "RU", "UA", "IL", "EG"),
    *("ZA", "NG", "KE", "GH", "MA", "IN", "PK", "BD", "JP", "KR", "CN", "TW", "TH", "MY", "ID", "PH"),
    *("VN", "AU", "NZ", "AR", "PE", "BR", "IR", "SA", "AE", "RO", "HU", "BG", "RS", "HR", "SI", "SK"),
)
# The Swedish and Finnish way of writing a number: trunk 0 and area code, a dash, then the subscriber
# number in groups of two or three ("070-987 65 43", "08-123 456 78", "040-123 4567"): no date, amount or
# identifier is written so; a phone number when phonenumbers finds it valid in Sweden or Finland.
_NORDIC_NATIONAL_NUMBER = re.compile(r"(?<![\w+\-./:])0\d{1,3}-\d{2,4}(?:[ ]\d{2,4}){1,3}(?![\w]|[.\-/:]\d)")
_NORDIC_REGIONS = ("SE", "FI")
# A number read out in words in a call transcript ("oh seven seven double oh nine ..."): seven or more
# digits said one by one (or doubled, tripled), after a phone cue; numbers spelled out any other way
# ("twenty three") are not caught.
_SPOKEN_DIGIT = r"(?:zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine)"
_SPOKEN_DIGITS = re.compile(
    rf"(?i:(?<![A-Za-z])(?:(?:double|triple)[ \t]+)?{_SPOKEN_DIGIT}"
    rf"(?:[ \t,\-]+(?:(?:double|triple)[ \t]+)?{_SPOKEN_DIGIT}){{4,}}(?![A-Za-z]))"
)
_SPOKEN_REPEAT = {"double": 2, "triple": 3}
_SPOKEN_DIGIT_WORDS = frozenset(("zero", "oh", "o", "nought", "one", "two", "three", "four", "five"))
_SPOKEN_DIGIT_WORDS |= frozenset(("six", "seven", "eight", "nine"))
_SPOKEN_CUE_REACH = 60
_PHONE_CUE_BEFORE_SPOKEN = re.compile(_PHONE_CUE + r"[^\d\n]{0,48}$")
# written without a phone's format: a digit run, or a decimal number ("[12345.678901]" in a kernel log)
_UNFORMATTED = re.compile(r"\[?\d+(?:\.\d+)?\]?")
_CONTEXT_CHARS = 40


def find_phones(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of international-form numbers of a possible length and of local numbers after a
    phone cue (not an identifier's: "case number 555-0143" is not "my number")."""
    import phonenumbers

    found: list[tuple[int, int]] = []
    if "+" in text or "00" in text:
        for match in _INTERNATIONAL_PHONE.finditer(text):
            value = match.group()
            number = "+" + value[2:].lstrip() if value.startswith("00") else value
            try:
                parsed = phonenumbers.parse(number, None)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_possible_number_with_reason(parsed) == 0:  # IS_POSSIBLE
                found.append(match.span())
    for match in _LOCAL_NUMBER.finditer(text):
        start = match.start()
        digits = sum(char.isdigit() for char in match.group(1))
        if not 7 <= digits <= 13 or _DATE_RE.fullmatch(match.group(1)):
            continue
        cue = _PHONE_CUE_BEFORE.search(text, max(0, start - _CONTEXT_CHARS), start)
        if cue is None or _ID_CUE.search(text, cue.start(), start):  # "call about order 5550143"
            continue
        found.append(match.span())
    taken = {span[0] for span in found}
    if "(" in text or "[" in text:
        found.extend(_national_numbers(text, taken, phonenumbers))
        taken = {span[0] for span in found}
    if "-" in text:
        found.extend(_nordic_numbers(text, taken, phonenumbers))
        taken = {span[0] for span in found}
    if _has_spoken_digit(text):
        found.extend(_spoken_numbers(text))
    for match in _US_LOCAL_NUMBER.finditer(text):
        start = match.start()
        if start in taken or _UNIT_AFTER.match(text, match.end()):
            continue
        before = text[max(0, start - _CONTEXT_CHARS) : start]
        cued = _PHONE_CUE_BEFORE.search(before) and not _ID_CUE.search(before)
        if cued or _LOCAL_CUE_BEFORE.search(before):
            found.append(match.span())
    return found


def _nordic_numbers(text: str, taken: set[int], phonenumbers: Any) -> list[tuple[int, int]]:
    """Numbers written the Swedish or Finnish way (``_NORDIC_NATIONAL_NUMBER``), valid in those regions."""
    found: list[tuple[int, int]] = []
    for match in _NORDIC_NATIONAL_NUMBER.finditer(text):
        if match.start() in taken or not 8 <= sum(char.isdigit() for char in match.group()) <= 11:
            continue
        for region in _NORDIC_REGIONS:
            try:
                parsed = phonenumbers.parse(match.group(), region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                found.append(match.span())
                break
    return found


def _has_spoken_digit(text: str) -> bool:
    """Whether a digit's word is among the text's words: what every number read out in words needs."""
    return not _SPOKEN_DIGIT_WORDS.isdisjoint(folded_words(text)[1])


def _spoken_words(text: str) -> bool:
    """Whether a number read out in words is in ``text`` (the phone gate of a text without digits)."""
    return _has_spoken_digit(text) and _SPOKEN_DIGITS.search(text) is not None


def _spoken_numbers(text: str) -> list[tuple[int, int]]:
    """Phone numbers read out digit by digit after a phone cue (``_SPOKEN_DIGITS``)."""
    found: list[tuple[int, int]] = []
    for match in _SPOKEN_DIGITS.finditer(text):
        words = match.group().lower().replace(",", " ").replace("-", " ").split()
        # each digit word is one digit; "double" and "triple" add the repeats of the next one
        digits = sum(_SPOKEN_REPEAT.get(word, 2) - 1 for word in words)
        if not 7 <= digits <= 13:
            continue
        start = match.start()
        cue = _PHONE_CUE_BEFORE_SPOKEN.search(text, max(0, start - _SPOKEN_CUE_REACH), start)
        if cue is not None and not _ID_CUE.search(text, cue.start(), start):
            found.append(match.span())
    return found


def _national_numbers(text: str, taken: set[int], phonenumbers: Any) -> list[tuple[int, int]]:
    """Numbers in a national format in brackets after a capitalised word (``_NATIONAL_NUMBER``)."""
    found: list[tuple[int, int]] = []
    for match in _NATIONAL_NUMBER.finditer(text):
        start, end = match.span()
        if start in taken or start + 1 in taken:
            continue
        name = _NAME_BRACKET_BEFORE.search(text, max(0, start - _CONTEXT_CHARS), start)
        if name is None or _DATE_RE.fullmatch(text, start, end):
            continue
        if _ID_CUE.search(text, max(0, start - _CONTEXT_CHARS), name.start(1)):  # "Order (0123 456 789)"
            continue
        national = "0" + text[start + 3 : end] if text.startswith("(0)", start) else match.group()
        digits = sum(char.isdigit() for char in national)
        if not 8 <= digits <= 12:
            continue
        for region in _TRUNK_ZERO_REGIONS:
            try:
                parsed = phonenumbers.parse(national, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                found.append((start, end))
                break
    return found


def _range_start(text: str, start: int, days_before: re.Pattern[str]) -> int | None:
    """Where a range that ends in the date at ``start`` begins ("11.-14. Oktober", "vom 24.11. bis"), with
    the word that opens it; None when no range's first day is right before."""
    days = days_before.search(text, max(0, start - _RANGE_REACH), start)
    if days is None:
        return None
    opener = _RANGE_OPEN_BEFORE.search(text, max(0, days.start() - 12), days.start())
    return opener.start() if opener is not None else days.start()


def find_dates(text: str) -> list[tuple[int, int, str, float]]:
    """``(start, end, entity, score)`` of every date, with a weekday before it and a time after it: a
    ``PERSONAL_DATE`` when a personal cue is near, else a candidate (score ``DATE_CANDIDATE_SCORE``)
    that ``refine_patterns`` promotes (a person named in its sentence, a procedure in a clinical text, a
    date-of-birth cue) or drops. A log timestamp's date (a time with seconds after it) is no candidate."""
    found: list[tuple[int, int, str, float]] = []
    for start, end, cued in _scan_dates(text):
        if _TIMESTAMP_AFTER.match(text, end):
            if cued:  # refine_patterns decides, as before
                found.append((start, end, "PERSONAL_DATE", _PERSONAL_DATE_SCORE))
            continue
        if text[start].isdigit() and (
            _VERSION_DATE_BEFORE.search(text, max(0, start - 16), start)
            or _VERSION_DATE_AFTER.match(text, end)
        ):
            continue
        range_start = _range_start(text, start, _RANGE_BEFORE)
        if range_start is not None:
            start = range_start
            # the cue is read before the range ("Reservierung vom 11.-14. Oktober")
            cued = cued or bool(_PERSONAL_CUE_BEFORE.search(text, max(0, start - 80), start))
        elif text[start].isalpha() and not _ENDS_WITH_YEAR.search(text, start, end):
            days = _RANGE_AFTER.match(text, end)
            if days is not None:
                end = days.end()
        weekday = _WEEKDAY_BEFORE.search(text, max(0, start - _WEEKDAY_REACH), start)
        if weekday is not None:
            start = weekday.start()
        time = _TIME_AFTER.match(text, end)
        if time is not None:
            if not cued and _log_line_head(text, start, time.end()):
                continue  # "[audit] 2024-04-02 17:31 actor=...": a log line's timestamp
            end = time.end()
        if cued:
            found.append((start, end, "PERSONAL_DATE", _PERSONAL_DATE_SCORE))
        else:
            found.append((start, end, "PERSONAL_DATE", DATE_CANDIDATE_SCORE))
    return found


def _log_line_head(text: str, start: int, end: int) -> bool:
    """Whether the date and time at ``start:end`` head a log line: only a log's tags or level before them
    on their line, and a tag, a level, a process or a key=value after them when nothing is before."""
    line = text.rfind("\n", max(0, start - _LOG_HEAD_REACH), start) + 1
    if line == 0 and start > _LOG_HEAD_REACH:
        return False
    if _LOG_LINE_HEAD.fullmatch(text, line, start) is None:
        return False
    return (line < start and not text[line:start].isspace()) or _LOG_LINE_AFTER.match(text, end) is not None


def _scan_dates(text: str) -> list[tuple[int, int, bool]]:
    found: list[tuple[int, int, bool]] = []
    covered = 0
    for run in _DIGIT_RUNS.finditer(text):
        run_start, run_end = run.span()
        if run_end - run_start > 4 or run_start < covered:  # not a date part, or in a date found
            continue
        head = text[max(0, run_start - 12) : run_start]
        words = head.split()
        lead = words[-1] if words else ""
        starts = [run_start]
        follower = text[run_end : run_end + 1]
        if lead.rstrip(".,").lower() in _DATE_LEAD_WORDS:
            starts.insert(0, run_start - len(head) + head.rindex(lead))
        elif follower not in _DATE_FOLLOWERS:
            if follower == "," and head.endswith("date("):  # code: date(1987, 4, 12)
                code = _CODE_DATE.match(text, run_start - 5)
                # a date in code is a person's only as the value of a birth's or a visit's key
                # ("born=date(1987, 4, 12)"), not a test's reference day ("age_on(date(2025, 1, 1))")
                if code is not None and _CODE_DATE_KEY.search(text, max(0, code.start() - 32), code.start()):
                    covered = max(covered, code.end())
                    found.append((code.start(), code.end(), _personally_cued(text, *code.span())))
                continue
            if follower in _TIME_FOLLOWERS:  # "Friday at 15:00", "vendredi à 10h", "Friday at 3pm"
                extra = _contextual_date(text, run_start, run_end, run_start, lead)
                if extra is not None:
                    covered = max(covered, extra[1])
                    found.append(extra)
            continue
        # "Sept 3 May 2025" reads two ways: both are tried (overlapping findings are merged later)
        dated = False
        for start in starts:
            date = _DATE_RE.match(text, start)
            if date is None or date.end() <= run_start:
                continue
            dated = True
            covered = max(covered, date.end())
            cued = bool(
                _PERSONAL_CUE_BEFORE.search(text, max(0, start - 80), start)
                or _PERSONAL_CUE_AFTER.match(text, date.end())
            )
            found.append((date.start(), date.end(), cued))
        if not dated:
            extra = _contextual_date(text, run_start, run_end, starts[0], lead)
            if extra is not None:
                covered = max(covered, extra[1])
                found.append(extra)
    return found


def _contextual_date(
    text: str, run_start: int, run_end: int, lead: int, word: str
) -> tuple[int, int, bool] | None:
    """A day and month alone (or ending a range of them), an ordinal day (alone or after a weekday) or a
    weekday's time (``_SHORT_DATE``, ``_ORDINAL_DAY``, ``_WEEKDAY_ORDINAL``, ``_WEEKDAY_TIME_BEFORE``) at the
    digit run ``run_start:run_end`` that no date starts at (``lead``:
    where "the" starts; ``word``: the word before the run). Each test is tried only when a cheap
    necessary condition holds (a "/" after the run, "the" before it, a weekday's name shortly before it)."""
    if run_end - run_start > 2:
        return None
    span: tuple[int, int] | None = None
    if word.strip("([.,").lower() in _ENGLISH_WEEKDAYS:
        # "tue 3rd", "(Sat 21st)": a weekday's ordinal day, a date whatever its case
        for weekday_day in _WEEKDAY_ORDINAL.finditer(text, max(0, run_start - 16), run_end + 2):
            if weekday_day.end() > run_start:
                return weekday_day.start(), weekday_day.end(), _personally_cued(text, *weekday_day.span())
    if word.lower() == "the":
        ordinal = _ORDINAL_DAY.match(text, lead)
        # an ordinal day alone is a date only by its cue ("on the 22nd for my grandma's funeral"; not
        # "the direct debit on the 20th")
        if ordinal is not None and _personally_cued(text, *ordinal.span()):
            return ordinal.start(), ordinal.end(), True
        return None
    elif text.startswith("/", run_end):
        short = _SHORT_DATE.match(text, run_start)
        if short is not None:
            cued = _personally_cued(text, run_start, short.end())
            if cued or _SHORT_DATE_BEFORE.search(text, max(0, run_start - 12), run_start):
                return run_start, short.end(), cued
            start = _range_start(text, run_start, _SHORT_RANGE_BEFORE)
            if start is not None:
                return start, short.end(), _personally_cued(text, start, short.end())
        return None
    else:
        if word.rstrip(".,").lower() not in _BEFORE_WEEKDAY_TIME:
            return None
        weekday = _WEEKDAY_TIME_BEFORE.search(text, max(0, run_start - _WEEKDAY_TIME_REACH), run_start)
        if weekday is not None:
            time = _TIME_AFTER.match(text, weekday.end())
            if time is not None and time.end() > run_start:
                span = weekday.start(), time.end()
    if span is None:
        return None
    return span[0], span[1], _personally_cued(text, span[0], span[1])


def _personally_cued(text: str, start: int, end: int) -> bool:
    return bool(
        _PERSONAL_CUE_BEFORE.search(text, max(0, start - 80), start) or _PERSONAL_CUE_AFTER.match(text, end)
    )


# --- IBANs: country code, check digits, groups; mod 97 and the country's format --------------------
# Any case, next to anything but a letter or a digit ("statement_DE89...pdf"), a space after a country
# code in capitals ("PL 61 1090 ..."); a candidate that fails is retried without its last group ("...
# 7466 from next month", "... 7466 2 days"), as Presidio's IbanRecognizer does for one or two groups,
# and at its country's length when letters are glued to it ("...1332EUR").
_IBAN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{2}[ \-]?|[A-Za-z]{2})\d{2}(?:[ \-]?[A-Za-z0-9]{1,4}){3,9}[A-Za-z]*"
    r"(?![A-Za-z0-9])"
)
_IBAN_SCORE = 1.0


# IBAN length per country (SWIFT's IBAN registry); a country not listed is checked by mod 97 alone.
# (Presidio's per-country regexes are not used: some are wrong, e.g. Portugal's allows 21 characters of 25.)
IBAN_LENGTHS: dict[str, int] = {
    **dict.fromkeys(("NO",), 15),
    **dict.fromkeys(("BE",), 16),
    **dict.fromkeys(("DK", "FI", "FO", "GL", "NL", "SD", "FK"), 18),
    **dict.fromkeys(("MK", "SI"), 19),
    **dict.fromkeys(("AT", "BA", "EE", "KZ", "LT", "LU", "XK", "MN"), 20),
    **dict.fromkeys(("CH", "HR", "LI", "LV"), 21),
    **dict.fromkeys(("BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"), 22),
    **dict.fromkeys(("AE", "GI", "IL", "IQ", "TL", "OM", "SO"), 23),
    **dict.fromkeys(("AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"), 24),
    **dict.fromkeys(("LY", "PT", "ST"), 25),
    **dict.fromkeys(("IS", "TR"), 26),
    **dict.fromkeys(("FR", "GR", "IT", "MC", "MR", "SM", "BI", "DJ"), 27),
    **dict.fromkeys(("AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV", "NI"), 28),
    **dict.fromkeys(("BR", "EG", "PS", "QA", "UA"), 29),
    **dict.fromkeys(("JO", "KW", "MU", "YE"), 30),
    **dict.fromkeys(("MT", "SC"), 31),
    **dict.fromkeys(("LC",), 32),
    **dict.fromkeys(("RU",), 33),
}


def iban_valid(value: str, *, any_length: bool = False) -> bool:
    """Mod-97 check of an IBAN written with or without spaces or dashes, and its country's length (unless
    ``any_length``: an account number mistyped by a group still passes mod 97 only by 1 chance in 97)."""
    compact = value.replace(" ", "").replace("-", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact.isalnum():
        return False
    if not any_length and len(compact) != IBAN_LENGTHS.get(compact[:2], len(compact)):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def find_ibans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every IBAN in ``text``, in any case, whatever follows it. One not written in
    capitals must be of a country with a known IBAN length (random ids in lower case are not IBANs)."""
    found: list[tuple[int, int]] = []
    for match in _IBAN_CANDIDATE.finditer(text):
        value = match.group()
        length = _iban_prefix(value)
        if not length and value[:2] in IBAN_LENGTHS:
            # a known country's code in capitals and a valid checksum at another length: an IBAN with a
            # group too many or too few is still an account number ("DE44 3704 0044 0532 0130 0099")
            length = _iban_prefix(value, any_length=True)
        if length:
            found.append((match.start(), match.start() + length))
    return found


def _iban_prefix(value: str, *, any_length: bool = False) -> int:
    """The IBAN's length at the start of a candidate: the whole of it, or with groups cut off its end."""
    while len(value) >= 15:
        length = _iban_length(value, any_length=any_length)
        if length:
            return length
        cut = max(value.rfind(" "), value.rfind("-"))
        if cut < 4:
            return 0
        value = value[:cut]
    return 0


def _iban_length(value: str, *, any_length: bool = False) -> int:
    """How much of ``value`` is an IBAN: all of it, or its country's length with only letters after it.
    ``any_length``: all of it, at any length, when written in capitals and digits only ("... 0099 from"
    is cut first)."""
    if any_length:
        written = value[2:4].isdigit() and value.isupper() and not value[-1].isalpha()
        return len(value) if written and iban_valid(value, any_length=True) else 0
    country = value[:2].upper()
    if not value.isupper() and country not in IBAN_LENGTHS:
        return 0
    if iban_valid(value):
        return len(value)
    expected = IBAN_LENGTHS.get(country, 0)
    count = 0
    for index, char in enumerate(value):
        count += char.isalnum()
        if count == expected:
            rest = value[index + 1 :]
            return index + 1 if rest.isalpha() and iban_valid(value[: index + 1]) else 0
    return 0


# --- a US SSN written as 9 digits in a row: only in a text that speaks of SSNs ----------------------
_BARE_SSN = re.compile(r"(?<![\w\-./])(?!000|666)\d{3}(?!00)\d{2}(?!0000)\d{4}(?![\w]|[\-./,]\d)")
_SSN_CUE = re.compile(
    r"(?i:\b(?:ssns?|social[\s\-]+security|taxpayer[\s\-]+(?:id|identification)|itins?|tins?)\b)"
)
_BARE_SSN_SCORE = 0.6


def find_bare_ssns(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of 9-digit runs in a text with an SSN cue anywhere ("my SSN is ... do I write
    987654323 the second time?"); without one a 9-digit run is an order number."""
    if _SSN_CUE.search(text) is None:
        return []
    return [match.span() for match in _BARE_SSN.finditer(text)]


def pattern_recognizers(policy: RedactionPolicy) -> list[Any]:
    import regex
    from presidio_analyzer import LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

    flags = regex.DOTALL | regex.MULTILINE  # case matters for addresses; parts opt in with (?i:...)

    def recognizer(entity: str, patterns: Iterable[tuple[str, str, float]], **kwargs: Any) -> Any:
        return PatternRecognizer(
            supported_entity=entity,
            name=f"otel_genai_{entity.lower()}",
            patterns=[Pattern(name, pattern, score) for name, pattern, score in patterns],
            global_regex_flags=flags,
            **kwargs,
        )

    recognizers = [
        _offline_email_recognizer(EmailRecognizer),
        _fast_phone_recognizer(PhoneRecognizer),
        recognizer("STREET_ADDRESS", _STREET_ADDRESS_PATTERNS, context=["address", "live", "ship"]),
        gated_recognizer(
            PatternRecognizer,
            entity="API_KEY",
            name="otel_genai_api_key",
            patterns=_API_KEY_PATTERNS,
            gates=API_KEY_GATES,
            flags=flags,
        ),
        recognizer("PRIVATE_KEY", [_PRIVATE_KEY_PATTERN]),
        recognizer("DATE_OF_BIRTH", [_DATE_OF_BIRTH_PATTERN]),
        _dates_recognizer(LocalRecognizer, RecognizerResult),
        _function_recognizer(
            LocalRecognizer,
            RecognizerResult,
            "IBAN_CODE",
            find_ibans,
            _IBAN_SCORE,
            name="find_ibans",
        ),
        _function_recognizer(LocalRecognizer, RecognizerResult, "US_SSN", find_bare_ssns, _BARE_SSN_SCORE),
        _function_recognizer(LocalRecognizer, RecognizerResult, "CREDIT_CARD", find_cards, _CARD_SCORE),
        _function_recognizer(LocalRecognizer, RecognizerResult, "PHONE_NUMBER", find_phones, _PHONE_SCORE),
    ]
    for entity, patterns in policy.patterns.items():
        recognizer_patterns = [(f"user_{i}", p, 0.9) for i, p in enumerate(patterns)]
        recognizers.append(recognizer(entity, recognizer_patterns))
    for entity, words in policy.deny_words().items():
        recognizers.append(
            PatternRecognizer(
                supported_entity=entity, name=f"otel_genai_deny_{entity.lower()}", deny_list=list(words)
            )
        )
    return recognizers


def _offline_email_recognizer(base: type) -> Any:
    """Presidio's e-mail recognizer, validating domains against tldextract's bundled suffix list
    (the default extractor fetches the list from the internet on first use)."""
    import tldextract

    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)

    class OfflineEmailRecognizer(base):
        def validate_result(self, pattern_text: str) -> bool | None:
            # A known public suffix raises the score; an unknown alphabetic one (.internal, .example,
            # .corp) keeps the pattern's score instead of dropping the match (for redaction a miss is
            # the worse error); a numeric one is a package version (react-dom@18.2.0), not an address.
            if extractor(pattern_text).fqdn:
                return True
            return None if _ALPHABETIC_TLD.search(pattern_text) else False

    return OfflineEmailRecognizer()


def _dates_recognizer(base: type, result: type) -> Any:
    """Dates (``find_dates``): personal dates and date candidates, for the PERSONAL_DATE entity."""

    class DatesRecognizer(base):
        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            if "PERSONAL_DATE" not in entities:
                return []
            return [result(kind, start, end, score) for start, end, kind, score in find_dates(text)]

    return DatesRecognizer(supported_entities=["PERSONAL_DATE"], name="otel_genai_find_dates")


def _function_recognizer(
    base: type, result: type, entity: str, find: Any, score: float, name: str | None = None
) -> Any:
    """A Presidio recognizer around ``find(text) -> [(start, end)]`` (plain ``re`` and Python checks)."""

    class FunctionRecognizer(base):
        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            if entity not in entities:
                return []
            return [result(entity, start, end, score) for start, end in find(text)]

    return FunctionRecognizer(supported_entities=[entity], name=f"otel_genai_{name or find.__name__}")


_PHONE_PAD = 12


def _fast_phone_recognizer(base: type) -> Any:
    """Presidio's phone recognizer run on windows around digit runs instead of the whole text.

    ``phonenumbers.PhoneNumberMatcher`` scans the full text once per region (8 by default), ~4 ms/KB;
    a phone number has at least 4 digits, so only windows around such runs can hold one.

    In a window, the matcher of a region runs only where ``_PhoneRegion.could_match`` says one of the
    strings it would parse could be a valid number of that region (a shape and digit-count test, no
    parsing); the matches are Presidio's (same regions, leniency, deduplication and score).
    """
    import phonenumbers
    from presidio_analyzer import RecognizerResult

    class DigitRunPhoneRecognizer(base):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            found: dict[tuple[int, int], str] = {}
            regions = [_phone_region(region) for region in self.supported_regions]
            for start, end in _windows(text):
                window = text[start:end]
                # below VALID the matcher keeps numbers that are not valid: nothing to skip
                parsed = _guarded_parsed_strings(window) if self.leniency >= 1 else None
                shapes = [_NumberShape(string) for string in parsed] if parsed is not None else None
                for region in regions:
                    if shapes is not None and not region.could_match(shapes):
                        continue
                    for match in phonenumbers.PhoneNumberMatcher(window, region.code, leniency=self.leniency):
                        found.setdefault((start + match.start, start + match.end), region.code)
            if not found:
                return []
            # Presidio's results deduplicated (all one score); its explanation names the matching region
            kept = remove_contained([(start, end, self.SCORE) for start, end in found])
            metadata = {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            }
            return [
                RecognizerResult(
                    self.supported_entities[0],
                    start,
                    end,
                    score,
                    self._get_analysis_explanation(found[start, end]),
                    dict(metadata),
                )
                for start, end, score in kept
            ]

    return DigitRunPhoneRecognizer()


def _windows(text: str) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 4 and not digits.startswith("16"):
            # Of all 4-digit strings only 1640-1699 (German numbers) are phone numbers to phonenumbers
            # in Presidio's regions; years and counts are not (tests check every 4-digit string).
            continue
        start, end = max(0, match.start() - _PHONE_PAD), min(len(text), match.end() + _PHONE_PAD)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


# Why a region's matcher can be skipped (phonenumbers 8.x/9.x, leniency VALID and stricter). The matcher
# parses only ``_parsed_strings(window)`` (its candidates and their inner groups) and keeps a number only
# if ``is_valid_number``, which needs the national significant number's length to be a possible length
# of the number's region. Without a plus sign the country code is the default region's or follows an
# international prefix (``_PhoneRegion.idd_first``: the digits it starts with; then at least 4 digits).
# The national number is made of the string's digits (and of its ASCII letters when it has three or
# more: vanity numbers), and of all of them, less a national prefix or the country code, when the
# string is only ASCII digits, spaces and ``().-`` (no extension, no second number, no letters); regions
# whose national prefix rule may add digits (Argentina's "9") are always run.
_PLAIN_PHONE_STRING = re.compile(r"[0-9 ().\-]*")
_PLUS_SIGNS = ("+", "\uff0b")
_ALL_DIGITS = frozenset(range(10))
_MIN_AFTER_IDD = 4  # the prefix's first digit, a country code, two national digits
# the major versions of phonenumbers whose matcher _parsed_strings follows, and what it reads of it
_KNOWN_PHONENUMBERS = ("8", "9")
_MATCHER_PARTS = ("_PATTERN", "_INNER_MATCHES")
_UTIL_PARTS = ("_SECOND_NUMBER_START_PATTERN", "_UNWANTED_END_CHAR_PATTERN")
_GROUPS_ONLY = re.compile(r"(?:\\\d)+")  # a national prefix rewrite that only keeps captured digits


def _parsed_strings(window: str) -> list[str] | None:
    """Every string ``PhoneNumberMatcher`` (any region) would parse in ``window`` while nothing matches
    (its ``_find`` and ``_extract_inner_match`` without the parsing), or None when unsure."""
    from phonenumbers import phonenumbermatcher as matcher
    from phonenumbers import phonenumberutil as util

    if not _matcher_readable():
        return None  # a matcher we have not read: run every region
    strings: list[str] = []
    index = 0
    match = matcher._PATTERN.search(window, index)
    while match is not None:
        start = match.start()
        candidate = window[start : match.end()]
        second = util._SECOND_NUMBER_START_PATTERN.search(candidate)
        if second is not None:
            candidate = candidate[: second.start()]
        if not candidate:
            return None
        strings.append(candidate)
        for inner in matcher._INNER_MATCHES:
            group = inner.search(candidate)
            first = True
            while group is not None:
                if first:
                    strings.append(_trim_unwanted_end(candidate[: group.start()], util))
                    first = False
                strings.append(_trim_unwanted_end(group.group(1), util))
                group = inner.search(candidate, group.start() + 1)
        index = start + len(candidate)
        match = matcher._PATTERN.search(window, index)
    return strings


@functools.cache
def _matcher_readable() -> bool:
    """Whether the installed phonenumbers has the matcher ``_parsed_strings`` follows (checked once)."""
    import phonenumbers
    from phonenumbers import phonenumbermatcher as matcher
    from phonenumbers import phonenumberutil as util

    return (
        phonenumbers.__version__.split(".")[0] in _KNOWN_PHONENUMBERS
        and all(hasattr(matcher, name) for name in _MATCHER_PARTS)
        and all(hasattr(util, name) for name in _UTIL_PARTS)
    )


def _guarded_parsed_strings(window: str) -> list[str] | None:
    """``_parsed_strings``, or None (run every region) if phonenumbers' private names behave otherwise."""
    try:
        return _parsed_strings(window)
    except Exception:
        logger.debug("phone pre-check off for a window", exc_info=True)
        return None


def _trim_unwanted_end(candidate: str, util: Any) -> str:
    trailing = util._UNWANTED_END_CHAR_PATTERN.search(candidate)
    return candidate[: trailing.start()] if trailing is not None else candidate


class _NumberShape:
    """What ``_PhoneRegion`` asks of one string the matcher would parse."""

    __slots__ = ("any_plus", "bound", "count", "digits", "first", "plain", "values")

    def __init__(self, string: str) -> None:
        self.any_plus = any(plus in string for plus in _PLUS_SIGNS)
        digits = [char for char in string if char.isdigit()]
        self.count = len(digits)
        self.plain = _PLAIN_PHONE_STRING.fullmatch(string) is not None
        self.first = int(digits[0]) if self.plain and digits else -1
        self.digits = "".join(digits) if self.plain else ""
        letters = 0 if self.plain else sum(char.isascii() and char.isalpha() for char in string)
        self.bound = self.count + (letters if letters >= 3 else 0)
        self.values = frozenset(unicodedata.digit(char, -1) for char in digits)


class _PhoneRegion:
    """What a valid number parsed with this default region needs (from phonenumbers' metadata)."""

    def __init__(self, code: str) -> None:
        from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
        from phonenumbers.phonenumberutil import (
            _MIN_LENGTH_FOR_NSN,
            _is_number_matching_desc,
            region_code_for_country_code,
        )
        from phonenumbers.re_util import re_compile

        self.code = code
        self.known = False
        metadata = PhoneMetadata.metadata_for_region(code.upper(), None)
        if metadata is None:
            return  # unknown: always run its matcher
        country = metadata.country_code
        if country is None:
            return
        main = PhoneMetadata.metadata_for_region_or_calling_code(
            country, region_code_for_country_code(country)
        )
        rules = [
            each.national_prefix_transform_rule if each is not None else "?" for each in (metadata, main)
        ]
        if any(rule and not _GROUPS_ONLY.fullmatch(rule) for rule in rules):
            return  # a national prefix rule may add digits: no bound
        lengths: set[int] = set()
        # a plain string's national number is one of its digit string's suffixes unless a rule rewrites it
        self.descriptions: dict[int, list[Any]] | None = None if any(rules) else {}
        for region in COUNTRY_CODE_TO_REGION_CODE.get(country, ()):
            other = PhoneMetadata.metadata_for_region_or_calling_code(country, region)
            general = other.general_desc if other is not None else None
            possible = general.possible_length if general is not None else ()
            if general is None or not possible:
                return
            lengths.update(possible)
            if self.descriptions is not None:
                for length in possible:
                    self.descriptions.setdefault(length, []).append(general)
        if not lengths:
            return
        self.lengths = frozenset(lengths)
        self.min_length = max(min(lengths), _MIN_LENGTH_FOR_NSN)
        national_prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
        self.strip_first = (
            _first_digits(national_prefix) | {int(str(country)[0])} if national_prefix else _ALL_DIGITS
        )
        self.idd_first = _first_digits(metadata.international_prefix or "")
        self.idd = re_compile(metadata.international_prefix) if metadata.international_prefix else None
        self.matches_description = _is_number_matching_desc
        self.known = True

    def could_match(self, shapes: list[_NumberShape]) -> bool:
        return not self.known or any(self._could_be_valid(shape) for shape in shapes)

    def _could_be_valid(self, shape: _NumberShape) -> bool:
        if shape.any_plus:
            return True
        if not shape.count:
            return False
        if shape.plain:
            # after an international prefix (phonenumbers' own test of it)
            after_idd = shape.first in self.idd_first and shape.count >= _MIN_AFTER_IDD
            if after_idd and (self.idd is None or self.idd.match(shape.digits)):
                return True
            if self.descriptions is None:
                return shape.count in self.lengths or (
                    shape.first in self.strip_first and shape.count - 1 >= self.min_length
                )
            # the national number: the digits, or (after a national prefix or the country code) a suffix;
            # valid only if it matches the general description of one of the country's regions
            cuts = range(shape.count - 1) if shape.first in self.strip_first else (0,)
            return any(
                self.matches_description(shape.digits[cut:], description)
                for cut in cuts
                for description in self.descriptions.get(shape.count - cut, ())
            )
        after_idd = shape.bound >= _MIN_AFTER_IDD and not shape.values.isdisjoint(self.idd_first)
        return shape.bound >= self.min_length or after_idd


def _first_digits(pattern: str) -> frozenset[int]:
    """The digits a match of ``pattern`` can start with (all ten when the pattern is not a plain
    alternation of digit-led branches)."""
    if not pattern:
        return _ALL_DIGITS
    found: set[int] = set()
    for branch in _branches(pattern):
        if branch[:1].isdigit() and branch[1:2] not in ("?", "*", "{"):
            found.add(int(branch[0]))
        elif branch.startswith("(?:"):
            depth, close = 0, -1
            for index, char in enumerate(branch):
                depth += (char == "(") - (char == ")")
                if depth == 0:
                    close = index
                    break
            if close < 0 or branch[close + 1 : close + 2] in ("?", "*", "{") or "\\" in branch[:close]:
                return _ALL_DIGITS
            found |= _first_digits(branch[3:close])
        else:
            return _ALL_DIGITS
    return frozenset(found)


def _branches(pattern: str) -> list[str]:
    """``pattern``'s top-level alternatives."""
    branches, depth, start = [], 0, 0
    for index, char in enumerate(pattern):
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
    branches.append(pattern[start:])
    return branches


_PHONE_REGIONS: dict[str, _PhoneRegion] = {}


class _UnboundRegion(_PhoneRegion):
    """A region whose metadata could not be read (a phonenumbers release that moved a private name):
    its matcher always runs, as without the pre-check."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.known = False


def _phone_region(code: str) -> _PhoneRegion:
    region = _PHONE_REGIONS.get(code)
    if region is None:
        try:
            region = _PhoneRegion(code)
        except Exception:  # private names of phonenumbers gone or changed: never skip a region
            logger.debug("phone pre-check off for region %s", code, exc_info=True)
            region = _UnboundRegion(code)
        _PHONE_REGIONS[code] = region
    return region


_STRONG_PERSONAL_CUE = re.compile(
    r"(?i:\b(?:appointments?|appts?|follow-?up\s+(?:meeting|call)|(?:meeting|call)\s+(?:re)?booked|"
    r"admitted|admission|discharged?|died|death|deceased|passed\s+away|"
    r"surgery|operation|patient|born|parent[\s\-]+teacher|parents'?\s+evening)\b)"
)


# A version's, a release's, a build's or a firmware's number is no IP address even when it has four parts:
# right after such a word or key ("version 10.2.0.14", "firmware 10.4.255.1", "__version__ = '1.2.3.4'",
# "APP_VERSION=1.2.3.4", "driver v5.1.2.3") or a package pin ("mypkg==1.2.3.4"). Never when an address's
# word is in the key or just before ("version_ip=", "ver from 192.0.2.7"). Nothing else makes one a version:
# "VPN client 5.1.2.44" stays redacted, because "VPN client 198.51.100.9 disconnected" is an address and a
# redacted version number costs less than a leaked address.
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# (and the numbers of a document's sections: "RFC 5890, section 2.3.2.4")
_VERSION_WORDS = frozenset(
    (
        *("version", "ver", "v", "release", "rel", "build", "rev", "revision", "firmware", "driver"),
        *("kernel", "sdk", "bios", "package", "pkg", "section", "sec", "chapter", "clause", "paragraph"),
        "para",
    )
)
# a word or key right before the number (its parts split at "_" and "-" are looked up), or a version
# specifier after a package's name ("mypkg==1.2.3.4", "brotlicffi>=1.2.0.0", "<5.0.0,>=3.7.4.1"; not a lone
# ">", which ends an HTML tag: "<td>192.0.2.7</td>")
_KEY_BEFORE = re.compile(
    r"(?:(?<![\w\-])(_*[A-Za-z][A-Za-z0-9_\-]{0,30})\.?[\"']?[ \t]*[:=#]?[ \t]*[\"']?[ \t]*(?:v[ \t]?)?"
    r"|(?<=[\w\]),])[ \t]*(?:[<>=!~]=|===|<)[ \t]*[\"']?)$"
)
_KEY_PARTS = re.compile(r"[_\-]+")
_ADDRESS_WORD = re.compile(
    r"(?i:(?<![A-Za-z])(?:ips?|ipv4|addr|address|host|hostname|from|src|source|dst|dest|destination|remote|"
    r"peer|connect\w*|server|gateway|gw|dns|nameserver|proxy|endpoint|inet|ping|ssh|listen\w*|bind|route|"
    r"via|nat|wan|lan|subnet|forwarded|origin|node|dhcp|nfs|smb|ntp|ldap|radius|tcp|udp|https?|"
    r"ip_?addr\w*)(?![A-Za-z]))"
)
_VERSION_REACH = 40
# one number and "::", as a slice writes it
_SLICE_LIKE = re.compile(r"\d{1,4}::|::\d{1,4}")


def _is_version_number(text: str, finding: Finding) -> bool:
    """Whether an IP_ADDRESS finding is a dotted version number (or a slice) rather than an address."""
    if text.startswith("::", finding.start) and finding.end == finding.start + 2:
        return True  # "::" alone, the unspecified address: "Environment :: Console", "with ``pip``::"
    if (
        _SLICE_LIKE.fullmatch(text, finding.start, finding.end)
        and finding.start > 0
        and text[finding.start - 1] in "[-"
    ):
        return True  # "digits[-1::-2]", "row[2::]": a slice's step, not "1::" as an address
    if not _DOTTED_QUAD.fullmatch(text, finding.start, finding.end):
        return False
    line = text.rfind("\n", max(0, finding.start - _VERSION_REACH), finding.start) + 1
    before = max(line, finding.start - _VERSION_REACH)
    if _ADDRESS_WORD.search(text, before, finding.start) is not None:
        return False
    key = _KEY_BEFORE.search(text, before, finding.start)
    if key is None:
        return False
    return key.group(1) is None or not _VERSION_WORDS.isdisjoint(_KEY_PARTS.split(key.group(1).lower()))


def refine_patterns(text: str, findings: list[Finding]) -> list[Finding]:
    """The pattern findings the text's context confirms.

    A phone number written as a bare digit run ("Order 1234567890") or a decimal is kept only near a phone
    cue and not right after an identifier's word (order, ticket, invoice, ...); one written as a phone
    number (+, separators, parentheses) stays. A date found by its cue is dropped when it is a log
    timestamp or the words around it are about a release, a law or a job rather than a person. A
    four-part version number ("version 10.2.0.14") is no IP address, and the digits of an international
    phone number no NHS number.
    """
    if not findings:
        return findings
    if any(_is_date_candidate(finding) for finding in findings):
        findings = _promote_date_candidates(text, findings)
    international = [
        (f.start, f.end)
        for f in findings
        if f.entity_type == "PHONE_NUMBER" and text.startswith(("+", "00"), f.start)
    ]
    kept: list[Finding] = []
    for finding in findings:
        if finding.entity_type == "PHONE_NUMBER" and not _phone_confirmed(text, finding):
            continue
        if finding.entity_type == "IP_ADDRESS" and _is_version_number(text, finding):
            continue  # "agent version 10.2.0.14", "build 4.1.0.2", "mypkg==1.2.3.4"
        if finding.entity_type == "UK_NHS" and any(
            start <= finding.start and finding.end <= end for start, end in international
        ):  # "+7 701 000 2290": the phone number's digits, not an NHS number
            continue
        if finding.entity_type == "CREDIT_CARD" and not _card_confirmed(text, finding):
            continue
        if finding.entity_type == "PERSONAL_DATE" and not _personal_date_confirmed(text, finding):
            continue
        if finding.entity_type == "US_BANK_NUMBER" and not _bank_number_confirmed(text, finding):
            continue
        kept.append(finding)
    return kept


# a number glued to an identifier's letters: "INV-2024-000873", "SKU_555-0139", "case#2024-118733"
# (not to a phone word: "mobile-07700 900123")
_ID_PREFIX = re.compile(
    r"(?<![A-Za-z0-9_])(?!(?i:(?:tel|phone|mobile|mob|cell|fax|whatsapp|sms|ph|call|contact|emergency)"
    r"(?:[_\-]?(?:no|num|number|nr))?)[\-_#/]$)[A-Za-z][A-Za-z0-9_]*[\-_#/]$"
)
# written as a phone number, not as an identifier: a space, a parenthesis or a dot between its digits, or
# a North American number in full (212-555-0147, 1-800-555-0199)
# an identifier numbered by its year ("2026-11-0442", "2025-004512")
_YEAR_FIRST_ID = re.compile(r"(?:19|20)\d{2}-\d")
_PHONE_LAYOUT = re.compile(r"[ ().]|^(?:1-)?\d{3}-\d{3}-\d{4}$")


_PARCEL_CUE = re.compile(
    r"(?i:\b(?:tracking|track|shipment|parcel|package|order|invoice|ticket|case|booking|confirmation|"
    r"receipt|transaction|serial|sendung|colis|paquete|pacote|przesy[łl]k[aiy]|paczk[aiy])\b"
    rf"{_ID_NUMBER_AFTER})"
)


def _phone_confirmed(text: str, finding: Finding) -> bool:
    value = text[finding.start : finding.end]
    if (
        not value.startswith("+")
        and _PHONE_LAYOUT.search(value) is None
        and _ID_PREFIX.search(text, max(0, finding.start - 16), finding.start)
    ):  # "INV-2024-000873", but not "UK/020 7946 0123", "Ph#(212) 555-0147"
        return False
    if (
        _YEAR_FIRST_ID.match(value)
        and _PHONE_LAYOUT.search(value) is None
        and _ID_CUE.search(text, max(0, finding.start - _CONTEXT_CHARS), finding.start)
    ):
        return False  # "Rechnung Nr. 2026-11-0442": a number of the year, not a phone number
    if _DATE_RE.fullmatch(value) and not _PHONE_CONTEXT.search(
        text, max(0, finding.start - 24), finding.start
    ):
        return False  # "gültig bis 30.04.2025": a date phonenumbers reads as a German number
    before = max(0, finding.start - _CONTEXT_CHARS)
    if not _UNFORMATTED.fullmatch(value):
        # grouped digits right after a parcel's or an order's word, with no phone word near: "tracking
        # 7731 9902 41" (a number in a phone's brackets or international form stays a phone number)
        return (
            value.startswith(("+", "("))
            or _PARCEL_CUE.search(text, before, finding.start) is None
            or _PHONE_CONTEXT.search(text, before, finding.start) is not None
        )
    if _US_LOCAL_NUMBER.fullmatch(text, finding.start, finding.end) and _LOCAL_CUE_BEFORE.search(
        text, before, finding.start
    ):  # "she's on 555.0190 today"
        return True
    if _ID_CUE.search(text, before, finding.start):
        return False
    # "call me at 2125550147", "is 6175550134 a valid format for the phone field?"
    return (
        _PHONE_CONTEXT.search(text, before, finding.start) is not None
        or _PHONE_CONTEXT.search(text, finding.end, finding.end + _CONTEXT_CHARS) is not None
    )


# the word right before a bank account number: a bank's word or a number's ("account no. 12345678")
_WORD_BEFORE = re.compile(r"([A-Za-z/]+)[^A-Za-z\d\n]{0,4}$")
_BANK_WORDS = frozenset(
    (
        *("account", "accounts", "acct", "a/c", "ac", "bank", "routing", "aba", "checking", "savings"),
        *("deposit", "number", "no", "nr", "num", "konto", "kontonummer", "rekening", "cuenta", "compte"),
        *("conto", "is", "to", "from", "into", "at", "in"),
    )
)


def _bank_number_confirmed(text: str, finding: Finding) -> bool:
    """Presidio's US bank number (8 to 17 digits near "account") is dropped when the word right before it
    is another scheme's: "accounts FF 88120044" is a frequent-flyer number, "PO 88120044" an order's."""
    word = _WORD_BEFORE.search(text, max(0, finding.start - 24), finding.start)
    return word is None or word.group(1).lower() in _BANK_WORDS


def _card_confirmed(text: str, finding: Finding) -> bool:
    """A 12 to 15 digit run that only Maestro's wide ranges (50, 56-69) accept is an identifier after
    "Ticket #"; a card of any other network, or one written in groups, stays a card."""
    digits = text[finding.start : finding.end]
    # below 16 digits only Visa (4), Amex (34, 37) and Diners (30, 36, 38, 39) compete with Maestro
    if not digits.isdigit() or len(digits) >= 16 or digits[:2] not in _MAESTRO_PREFIXES:
        return True
    return _ID_CUE.search(text, max(0, finding.start - _CONTEXT_CHARS), finding.start) is None


# A campaign's dates are an organisation's, however far back in the line it is named ("la campagne de
# vaccination antigrippale du personnel se déroule du 1er au 31 octobre"): as far as a cue is read.
_CAMPAIGN = re.compile(rf"(?i:\b(?:{_CAMPAIGN_WORDS})\b)")
_CAMPAIGN_REACH = 80


def _personal_date_confirmed(text: str, finding: Finding) -> bool:
    if _TIMESTAMP_AFTER.match(text, finding.end) or _in_reply_header(text, finding):
        return False
    start = max(0, finding.start - 50)
    end = _word_end(text, min(len(text), finding.end + 30))
    if _IMPERSONAL_DATE_CONTEXT.search(text, start, end) is None and (
        _CAMPAIGN.search(text, max(0, finding.start - _CAMPAIGN_REACH), finding.start) is None
    ):
        return True
    return _STRONG_PERSONAL_CUE.search(text, start, end) is not None


def _word_end(text: str, end: int) -> int:
    """``end`` moved past the rest of the word it cuts, so that a window's last word is read whole (a
    search ending in "pro" would otherwise find the word "pr")."""
    while end < len(text) and text[end].isalnum():
        end += 1
    return end


# The attribution line of a quoted message: "On 3 May 2025, Ana wrote:", "El 3 dic 2026, ... escribió:",
# "Em ter., 1 de dez. de 2026 ... escreveu", "Il giorno lun 30 nov, ... ha scritto:", "Am ... schrieb",
# "Le ... a écrit", "Op ... schreef", "Den ... skrev", "W dniu ... napisał": a message's date, not a
# person's appointment
_REPLY_HEADER_AFTER = re.compile(
    r"(?i:\b(?:wrote|escribi[óo]|escreveu|ha[ \t]+scritto|schrieb|a[ \t]+[ée]crit|schreef|skrev|"
    r"napisa[łl]a?)\b)"
)
_REPLY_HEADER_REACH = 120


def _in_reply_header(text: str, finding: Finding) -> bool:
    line_end = text.find("\n", finding.end, finding.end + _REPLY_HEADER_REACH)
    if line_end < 0:
        line_end = min(len(text), finding.end + _REPLY_HEADER_REACH)
    return _REPLY_HEADER_AFTER.search(text, finding.end, line_end) is not None


# --- date candidates: a date is personal when its sentence names a person, a clinical text a procedure
# near it, or its sentence a date of birth ("fix the DOB from 03/09/1987 to 09/03/1987") ------------
# (not the dot of a short lower-case abbreviation before a number: "ur. 19.06.1957", "geb. 21-03-1940",
# "d. 14.07.1965", "nr. 5" go on with their sentence)
_SENTENCE_END = re.compile(
    # (nor the dot of an honorific: "Mr. Tesfaye reports" goes on)
    r"[!?](?=\s)|\n|(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bProf)\.(?=\s)"
    r"(?!(?:(?<=[\s(][a-z]\.)|(?<=[\s(][a-z]{2}\.)|(?<=[\s(][a-z]{3}\.))[ \t]*\d)"
)
_DOB_CUE = re.compile(_DOB_WORDS)
# a clinical record: a patient, a ward, a diagnosis, vital signs, a prescription, a vaccination record
_CLINICAL_CONTEXT = re.compile(
    r"(?i:\b(?:patients?|mrn|triage|referrals?|referred|clinic|ward|admitted|soap|symptoms?|fever|"
    r"diagnos(?:is|ed)|prescri(?:bed|ption)|medications?|bp|mmhg|immuni[sz]ations?|vaccin(?:e|es|ated|ation)|"
    r"gp|nhs)\b)"
)
_PROCEDURE_NEAR = re.compile(
    r"(?i:\b(?:mri|ct|scans?|echo(?:cardiogram)?|x-?rays?|biopsy|surgery|operation|consult(?:ation)?|"
    r"ultrasound|endoscopy|colonoscopy|booked\s+for|review|dose|booster|jab|vaccin(?:e|ation)|injection|"
    r"bloods|blood\s+tests?|screening|smear|shots?)\b)"
)
# words that make a date in a sentence with a name about a thing rather than the person
_IMPERSONAL_CANDIDATE_CONTEXT = re.compile(
    rf"(?i:\b(?:{_IMPERSONAL_WORDS}|commit(?:ted)?|releasing|ship(?:ped|s)?|incident|bill|court|deadline|"
    r"quarter|q[1-4]|fiscal|earnings|report|filed|founded|ipo|acquired|acquisition|company|inc|ltd|llc|"
    r"corp|gmbh|info|warn(?:ing)?|error|debug|trace|log(?:ged)?(?![ \t]+(?:in|out)\b)|timestamp|created_at|"
    r"updated_at|"
    # a price, a sale, an offer: a product's date, even when its name reads like a person's
    r"prices?|priced|pricing|sales?|offers?|discount(?:ed|s)?|available|availability|"
    r"usd|eur|gbp|chf|jpy|"
    # a contract's, an offer's, a price list's or the terms' validity: from when and until when they hold
    # (of a business, not of a person: "Rahmenvertrag bis 31.12.2026", "gültig bis", "gäller från 1 maj")
    r"\w*vertr[äa]g\w*|angebot\w*|\w*preisliste\w*|agb|bedingungen|g[üu]ltig\w*|gilt|wirksam|in[ \t]+kraft|"
    r"valid(?:ity)?|effective|expir(?:es|y|ation)|terms|conditions|price[ \t]+list|quotes?|quotation|"
    r"contracts?|contrat\w*|contratt\w*|contrato\w*|umow\w*|avtal\w*|overeenkomst|offert\w*|ofert\w*|"
    r"offre|listino|listini|tarif\w*|prislista|prijslijst|villkor\w*|voorwaarden|condizioni|condiciones|"
    r"warunki|g[äa]ller|g[äa]llande|geldig\w*|valable|vigueur|vigore|vigor|vigente|validit[àa]|"
    r"v[áa]lid[oa]|obowi[ąa]zuj\w*|wa[żz]n[aey])\b|[$€£¥]\s?\d)"
)
# a possessive that makes a date a person's: "your visa interview", "my check-up", "her review" (not
# "our" or "their": a company's office hours, a vendor's launch)
# (and the same words in the cue languages: Spanish, Portuguese, French, Italian, German, Dutch; words no
# other of them reads otherwise: not "su", "ma", "mon", "lei", "el")
_POSSESSIVE = re.compile(
    r"(?i:\b(?:your|my|her|his|mis?|tus?|ella|él|usted|conmigo|contigo|meu|minha|seu|sua|você|ela|ele|"
    r"votre|vos|elle|lui|mio|mia|tuo|tua|mein(?:e[mnrs]?)?|dein(?:e[mnrs]?)?|ihre[mnrs]?|ihm|mijn|jouw|"
    r"uw|hem)\b)"
)
# where a clause ends inside a sentence: a date of birth's cue makes the dates of its clause dates of
# birth ("fix the DOB from 03/09/1987 to 09/03/1987"), not a later event's ("born 6 July 2019 and her
# dose 2 was given on 12 August 2025"). A comma before a correction ("..., should be ...") goes on.
_CLAUSE_END = re.compile(
    r";|\)|\b(?:and|but|while|whereas|then|after|before|when|since|until)\b(?![ \t]*(?:the[ \t]+)?\d)|"
    r",(?![ \t]*(?:should|not|or|is|was|it's|correct(?:ed)?|actually|i[ \t]+mean|sorry|no)\b)"
)
_CANDIDATE_CUE_BEFORE = 48
_CANDIDATE_CUE_AFTER = 24
# how far from a candidate its sentence is read (a text without sentence ends, minified JSON, is one)
_SENTENCE_REACH = 200


# A weekday, a day and a clock time is an appointment's shape ("Wed 15 Jan 2025, 11:00", "dinsdag 11
# februari om 8:30", "Kamis, 13 Februari pukul 10.00"): a candidate of that shape is personal unless its
# sentence is about a thing (``_IMPERSONAL_CANDIDATE_CONTEXT``) or a team's event ("Quarterly review Friday
# 15 Aug at 09:30", "sprint demo Tue 4 Mar 10:00")
_APPOINTMENT_START = re.compile(rf"{_WEEKDAY}\.?,?[ \t]")
_APPOINTMENT_CLOCK = re.compile(r"\d(?:[:h.][0-5]\d|[ \t]*(?i:[ap]\.?m\b|uhr\b|uur\b|h\b))")
_TEAM_EVENT = re.compile(
    r"(?i:\b(?:review|meeting|sync|stand-?up|retro(?:spective)?|demo|webinar|workshop|training|planning|"
    r"kick-?off|all-hands|town[ \t]+hall|presentation|session|sprint|launch|deadline|quarterly|weekly|"
    r"monthly|team)\b)"
)


def _is_appointment_shaped(text: str, finding: Finding) -> bool:
    return (
        _APPOINTMENT_START.match(text, finding.start) is not None
        and _APPOINTMENT_CLOCK.search(text, finding.start, finding.end) is not None
        and _DATE_RE.search(text, finding.start, finding.end) is not None  # a day, not "Monday 06:00"
    )


def _opening_word(text: str, finding: Finding) -> bool:
    """Whether a PERSON finding is one capitalised word no gazetteer knows, opening a sentence or a line
    before a lower-case word: NER's reading of a noun there ("Toner replaced 2024-12-02") makes no date a
    person's ("Kofi flew in on 3 May" does)."""
    value = text[finding.start : finding.end]
    if " " in value or not value[:1].isupper():
        return False
    before = text[max(0, finding.start - 3) : finding.start].rstrip(" \t")
    following = text[finding.end : finding.end + 2]
    if (before and before[-1] not in ".!?\n") or following[:1] != " " or not following[1:2].islower():
        return False
    from otel_genai.redaction.names import is_given_name, is_surname  # the gazetteers, loaded once

    return not (is_given_name(value) or is_surname(value))


def _is_date_candidate(finding: Finding) -> bool:
    return finding.entity_type == "PERSONAL_DATE" and finding.score == DATE_CANDIDATE_SCORE


def _any_within(positions: list[int], start: int, end: int) -> bool:
    """Whether a sorted ``positions`` has one in ``[start, end)``."""
    index = bisect.bisect_left(positions, start)
    return index < len(positions) and positions[index] < end


def _person_within(persons: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    """Whether one of the sorted ``persons`` spans lies in ``[start, end)``."""
    index = bisect.bisect_left(starts, start)
    while index < len(persons) and persons[index][0] < end:
        if persons[index][1] <= end:
            return True
        index += 1
    return False


def _promote_date_candidates(text: str, findings: list[Finding]) -> list[Finding]:
    # Sentence ends and cue words are found once per text; each candidate looks at its sentence, at most
    # _SENTENCE_REACH characters each way, by bisection (linear in the text, not in text x candidates).
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    dob_cues = [match.start() for match in _DOB_CUE.finditer(text)]
    clause_ends = [match.end() for match in _CLAUSE_END.finditer(text)] if dob_cues else []
    possessives = [match.start() for match in _POSSESSIVE.finditer(text)]
    impersonal: list[int] | None = None  # scanned at the first personal candidate (slow, rarely needed)
    persons = sorted(
        (f.start, f.end) for f in findings if f.entity_type == "PERSON" and not _opening_word(text, f)
    )
    person_starts = [start for start, _ in persons]
    clinical: bool | None = None
    result: list[Finding] = []
    for finding in findings:
        if not _is_date_candidate(finding):
            result.append(finding)
            continue
        index = bisect.bisect_right(ends, finding.start)
        start = max(ends[index - 1] if index else 0, finding.start - _SENTENCE_REACH)
        after = bisect.bisect_left(ends, finding.end, index)
        end = min(ends[after] if after < len(ends) else len(text), finding.end + _SENTENCE_REACH)
        if dob_cues and _any_within(dob_cues, *_clause(clause_ends, start, end, finding)):
            result.append(Finding(finding.start, finding.end, "DATE_OF_BIRTH", _DATE_OF_BIRTH_SCORE))
            continue
        near = (
            max(start, finding.start - _CANDIDATE_CUE_BEFORE),
            min(end, finding.end + _CANDIDATE_CUE_AFTER),
        )
        personal = _any_within(possessives, start, end) or _person_within(persons, person_starts, start, end)
        if not personal and _PROCEDURE_NEAR.search(text, *near):
            if clinical is None:
                # a clinical record, or one with a date of birth: a record about a person
                clinical = bool(dob_cues) or _CLINICAL_CONTEXT.search(text) is not None
            personal = clinical
        if not personal and _is_appointment_shaped(text, finding):
            personal = _TEAM_EVENT.search(text, start, end) is None
        if personal and impersonal is None:
            impersonal = [match.start() for match in _IMPERSONAL_CANDIDATE_CONTEXT.finditer(text)]
        if personal and not _any_within(impersonal or [], start, end) and not _in_reply_header(text, finding):
            result.append(Finding(finding.start, finding.end, "PERSONAL_DATE", _PERSONAL_DATE_SCORE))
    return result


def _clause(clause_ends: list[int], start: int, end: int, finding: Finding) -> tuple[int, int]:
    """The clause of ``finding`` within its sentence ``[start, end)``."""
    index = bisect.bisect_right(clause_ends, finding.start)
    if index and clause_ends[index - 1] > start:
        start = clause_ends[index - 1]
    index = bisect.bisect_left(clause_ends, finding.end + 1, index)
    if index < len(clause_ends) and clause_ends[index] < end:
        end = clause_ends[index]
    return start, end
