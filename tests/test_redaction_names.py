"""Names in context and fewer NER false alarms: cues, titles, greetings and signatures find names (with
or without the NER model); instructions, code, command lines and places not said of a person stay."""

from __future__ import annotations

import pytest

from otel_genai.redaction import RedactionPolicy
from otel_genai.redaction.engine import shared_detector
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.names import (
    given_names,
    is_given_name,
    is_known_place,
    is_surname,
    places,
    refine_names,
    word_names,
)
from otel_genai.redaction.redactor import redact_text

# (text, names that must be redacted), invented, many origins
NAMED = [
    ("cc Ngozi Eze and Rohan Iyer on the refund thread, please.", ["Ngozi Eze", "Rohan Iyer"]),
    ("My grandmother Adaeze turns 90 next week, what should I get her?", ["Adaeze"]),
    ("Hi, it's Thandiwe again, the parcel still hasn't arrived.", ["Thandiwe"]),
    ("This is Kwabena from the Accra office.", ["Kwabena"]),
    (
        "Hi Oluwaseun,\n\nThanks for the update.\n\nKind regards,\nNomvula Dlamini\nHead of Operations",
        ["Oluwaseun", "Nomvula Dlamini"],
    ),
    ("Dear Ms Nakamura, your appointment is confirmed.", ["Nakamura"]),
    (
        "Dr. Adeyemi will see you at 3pm; Mr Okafor and Prof. Chatterjee also attend. Mx Tran asked too.",
        ["Adeyemi", "Okafor", "Chatterjee", "Tran"],
    ),
    ("signed, Priyanka Venkataraman", ["Priyanka Venkataraman"]),
    ("Thanks Wei, see you on the call.", ["Wei"]),
    (
        "Meeting notes. Attendees: Hamid Karimi, Sun-hee Kang, Aarav Sharma",
        ["Hamid Karimi", "Sun-hee Kang", "Aarav Sharma"],
    ),
    ("The ticket was escalated to Siddharth and then reassigned to Wanjiru Kamau.", ["Siddharth", "Wanjiru"]),
    ("Yesterday Jae-won Park from the Seoul office sent the payroll file.", ["Jae-won Park"]),
    ("my son Tendai has a peanut allergy, can the menu say which dishes are safe?", ["Tendai"]),
    ("From: Lakshmi Narayanan <lakshmi@example.com>\nSubject: invoice", ["Lakshmi Narayanan"]),
    ("Please loop in my colleague Bongani, he owns the migration.", ["Bongani"]),
]
# (text, what must stay) where nothing marks a name or a personal place
CLEAN = [
    ("Convert this CSV to JSON and keep the header row.", ["Convert", "JSON"]),
    ("Summarize the thread below in three bullet points.", ["Summarize"]),
    ("What was the GDP of Germany and Japan in 2022?", ["Germany", "Japan"]),
    (
        "Compare Portugal and Spain for a remote worker: cost of living and time zones relative to London.",
        ["Portugal", "Spain", "London"],
    ),
    ('git commit -m "Fix tokenizer" && git push origin main', ["git commit", "Fix"]),
    ("Will the May release include the Bill of Materials export?", ["Will", "May", "Bill"]),
    ("Ask Claude to summarize this document.", ["Claude"]),
    ("This is Python code; run it with python3 main.py.", ["Python"]),
    ("The container logs say Running on all addresses.", ["Running"]),
    ("Hi team, the deploy is done.", ["team"]),
    ("Dear Customer, your order has shipped.", ["Customer"]),
]
# places said of a person, or part of an address, are personal data
PLACES = [
    ("Amara moved to Lagos, Nigeria last year.", ["Amara", "Lagos", "Nigeria"]),
    ("I'm based in Nairobi, Kenya.", ["Nairobi", "Kenya"]),
]


@pytest.fixture(scope="module")
def detector():
    found = shared_detector(RedactionPolicy())
    found.load()
    return found


def _redacted(detector, text: str) -> str:
    (findings,) = detector.analyze([text])
    return redact_text(text, list(findings), RedactionPolicy())[0]


@pytest.mark.parametrize(("text", "names"), NAMED + PLACES)
def test_names_and_personal_places_are_redacted(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


@pytest.mark.parametrize(("text", "kept"), CLEAN)
def test_clean_text_keeps_words_nothing_marks_as_a_name(detector, text, kept):
    redacted = _redacted(detector, text)
    assert redacted == text
    for word in kept:
        assert word in redacted


@pytest.mark.parametrize(("text", "names"), [t for t in NAMED if "Dr." in t[0] or "cc " in t[0]][:2])
def test_cue_names_are_found_without_a_model(text, names):
    detector = shared_detector(RedactionPolicy(model="none"))
    (findings,) = detector.analyze([text])
    redacted = redact_text(text, list(findings), RedactionPolicy(model="none"))[0]
    for name in names:
        assert name not in redacted, redacted


def test_gazetteer_has_names_of_many_origins_and_no_common_words():
    names = given_names()
    assert 5_000 < len(names) < 100_000
    for name in ("Kofi", "Ngozi", "Priya", "Hiroshi", "Chloé", "Tomasz", "Siobhan", "Thandiwe", "Wei"):
        assert is_given_name(name), name
    for word in ("will", "may", "bill", "grace", "mark", "claude", "the"):
        assert not is_given_name(word), word


def test_refine_names_keeps_a_place_of_an_address_and_drops_a_place_alone():
    text = "Ship it to 12 Harbour Road, Mombasa please. Mombasa has a port."
    road = text.index("12 Harbour Road")
    first, second = text.index("Mombasa"), text.rindex("Mombasa")
    findings = [
        Finding(road, road + len("12 Harbour Road"), "STREET_ADDRESS", 0.6),
        Finding(first, first + 7, "LOCATION", 0.85),
        Finding(second, second + 7, "LOCATION", 0.85),
    ]
    kept = refine_names(text, findings)
    assert Finding(first, first + 7, "LOCATION", 0.85) in kept
    assert Finding(second, second + 7, "LOCATION", 0.85) not in kept


def test_refine_names_extends_a_list_of_names():
    text = "Thanks to Amara, Kofi and Li Wei for the review."
    start = text.index("Amara")
    kept = refine_names(text, [Finding(start, start + 5, "PERSON", 0.85)])
    found = {text[f.start : f.end] for f in kept}
    assert {"Amara", "Kofi"} <= found


# --- issue 17: mechanisms, each with a text it catches and one it keeps (all invented) --------------------
CAUGHT = [
    # a quoted value of a name field, diacritics and short words included
    ('owner = Owner(full_name="Đặng Thị Lâm", plan="pro")', ["Đặng Thị Lâm"]),
    ('{"event": "signup", "contact_name": "Rafaela do Carmo Nunes"}', ["Rafaela do Carmo Nunes"]),
    # a greeting, then who writes introduces themself; in lower case too when the name is known
    ("Hello, this is Oanh from the night shift. The fridge alarm went off twice.", ["Oanh"]),
    ("hey its tomasz, my parcel never came", ["tomasz"]),
    # a lower-case given name after a relation
    ("can you write a toast for my cousin ayodele, she graduates friday", ["ayodele"]),
    # who did something to a ticket
    ("Refund triaged by Ngozika: duplicate charge confirmed.", ["Ngozika"]),
    # the person beside the writer
    ("Chidinma and I want to split the invoice, how do we do that?", ["Chidinma"]),
    # a given name that is also a word, then a known surname
    ("The lease was signed by the tenant yesterday; Joy Okafor pays on the 1st.", ["Joy Okafor"]),
    # a role, then a name with a known surname
    ("Passenger Renji Takahashi missed the connection in Doha.", ["Renji Takahashi"]),
    # next of kin in a clinical note
    ("Allergies: none known. NOK: husband, Tavita, on 0491 570 156.", ["Tavita"]),
    # a possessive after a cue
    ("My niece Ayodele's recital is on Saturday, can you suggest flowers?", ["Ayodele"]),
    # a signature NER runs into the next line
    ("Kind regards,\nTeodora Vasquez\n+44 7700 900456", ["Teodora Vasquez"]),
]
KEPT = [
    ('{"name": "build-cache", "service_name": "checkout"}', ["build-cache", "checkout"]),
    ("Hello, this is a reminder that the office closes early on Friday.", ["Friday"]),
    ("My friend said the cake was great.", ["said"]),
    ("Reviewed by Legal and approved by the board.", ["Legal"]),
    ("You and I both know the deadline moved.", ["You"]),
    ("Grace period ends when the trial does; Will Kubernetes scale to 500 pods?", ["Grace", "Will"]),
    ("Customer Success Plan: quarterly review of the onboarding funnel.", ["Customer Success Plan"]),
    ("The link negotiated 2500 Kbps, and the cap is max 20 GB a day.", ["Kbps", "max"]),
    ("Is Valparaíso warmer than Arequipa in May? We want beaches and wine.", ["Valparaíso", "Arequipa"]),
    ("Receipt attached. Invoice follows next week.", ["Receipt", "Invoice"]),
]
PERSONAL_PLACES = [
    ("She flies home to Kraków, Poland on the 9th.", ["Kraków", "Poland"]),
    ("Lead: Ilse Varga, logistics. Moved from Busan to Daejeon in 2021.", ["Busan", "Daejeon"]),
    ("Name: Ilse Varga\nCity: Tromsø, Norway\nSource: webinar", ["Tromsø", "Norway"]),
    ('{"user": {"name": "Ilse Varga", "city": "Szeged"}}', ["Szeged"]),
    ("hi, i'm in Kumasi till Monday so call after 6", ["Kumasi"]),
]
PUBLIC_PLACES = [
    ("What is the cheapest way to fly to Kraków from Vienna?", ["Kraków", "Vienna"]),
    ('{"country": "NL", "currency": "EUR", "vat_rate": 21}', ["NL"]),
    ("Should we open the new office in Porto or in Valencia?", ["Porto", "Valencia"]),
]


@pytest.mark.parametrize(("text", "names"), CAUGHT + PERSONAL_PLACES)
def test_mechanisms_catch_names_and_places_of_a_person(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


@pytest.mark.parametrize(("text", "kept"), KEPT + PUBLIC_PLACES)
def test_mechanisms_keep_words_and_public_places(detector, text, kept):
    redacted = _redacted(detector, text)
    assert redacted == text
    for word in kept:
        assert word in redacted


def test_gazetteers_of_surnames_and_of_names_that_are_words():
    assert is_surname("Takahashi") and is_surname("okafor")
    assert not is_surname("harbour") and not is_surname("Kofi")  # a word, a given name
    assert {"joy", "will", "hope"} <= word_names()
    assert not word_names() & given_names()


def _spans(text: str, kept: list[Finding]) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in kept}


def test_refine_names_adds_the_given_name_before_a_surname_ner_found():
    text = "Referral for Chidubem Okafor, seen today. Translate Okafor's letter."
    first, second = text.index("Okafor"), text.rindex("Okafor")
    kept = refine_names(
        text, [Finding(first, first + 6, "PERSON", 0.85), Finding(second, second + 6, "PERSON", 0.85)]
    )
    assert ("PERSON", "Chidubem Okafor") in _spans(text, kept)
    assert ("PERSON", "Okafor") in _spans(text, kept)  # an instruction's verb is not a given name


def test_refine_names_prefers_a_full_name_to_a_place_on_the_same_span():
    text = "Intake: Teodora Zając reviewed. Ferry to Victoria Island at noon."
    person = text.index("Teodora Zając")
    island = text.index("Victoria Island")
    findings = [
        Finding(person, person + 13, "LOCATION", 0.85),
        Finding(person, person + 13, "PERSON", 0.6),
        Finding(island, island + 15, "LOCATION", 0.85),
        Finding(island, island + 15, "PERSON", 0.6),
    ]
    spans = _spans(text, refine_names(text, findings))
    assert ("PERSON", "Teodora Zając") in spans
    assert ("LOCATION", "Teodora Zając") not in spans
    assert ("PERSON", "Victoria Island") not in spans


def test_refine_names_drops_one_unknown_word_nothing_marks_as_a_person():
    text = "Is Valparaíso warmer than Santiago? Ebiere will send the itinerary."
    place, person = text.index("Valparaíso"), text.index("Ebiere")
    findings = [Finding(place, place + 10, "PERSON", 0.85), Finding(person, person + 6, "PERSON", 0.85)]
    spans = _spans(text, refine_names(text, findings))
    assert spans == {("PERSON", "Ebiere")}


# --- issue 17, second round: general mechanisms, each caught and kept (all invented) ----------------------
CAUGHT_2 = [
    # 1. a quoted value of a name-ish key in any case style, SQL VALUES and call literals
    ('audit subject="Kemal Aydoğan" action=export', ["Kemal Aydoğan"]),
    ('{ firstName: "Losa", lastName: "Vainikolo" }', ["Losa", "Vainikolo"]),
    ("INSERT INTO guests VALUES ('Grzegorz Wójcik', 'PL', 3);", ["Grzegorz Wójcik"]),
    ('assertEquals("Nkem Obi <nkem@example.org>", render(row));', ["Nkem Obi"]),
    # 3. prose after a comment marker on a command line
    ("git push origin main  # Henrik set this up for the CI runner", ["Henrik"]),
    # 4. a relation word without "my"
    ("Wife Sigrid at bedside, daughter Min-ji visits weekly.", ["Sigrid", "Min-ji"]),
    ("Called his sister Almaz; son Tevita will pick up.", ["Almaz", "Tevita"]),
    # 5. honorifics of many cultures
    (
        "Khun Somchai confirmed; Sheikh Rashid and Frau Lindqvist will join.",
        ["Somchai", "Rashid", "Lindqvist"],
    ),
    ("Chief Okonkwo signed the minutes.", ["Okonkwo"]),
    # 6. multilingual sign-offs and a last line after a comma
    ("Please call back.\n\nMerci,\nAmélie", ["Amélie"]),
    ("Send the file.\nGracias, Valentina", ["Valentina"]),
    ("See you there,\nOkello", ["Okello"]),
    # 7. a name, then a team
    ("Joy from billing said the refund is on its way; Hope from accounts agreed.", ["Joy", "Hope"]),
    # 9. a word name before a place word, after a cue
    ("Ticket assigned by Sunny Park yesterday.", ["Sunny Park"]),
]
KEPT_2 = [
    ('{"subject": "Quarterly Report", "owner": "platform-team"}', ["Quarterly Report"]),
    ('print("Hello World", end="")', ["Hello World"]),
    ("The Chief Executive spoke about tea exports from Sri Lanka.", ["Chief Executive", "Sri Lanka"]),
    ("Thanks,\nSupport Team", ["Support Team"]),
    ("Merci,\nReception", ["Reception"]),
    ("We walked through Central Park and Hyde Park.", ["Central Park", "Hyde Park"]),
    ("Requests from billing spiked after the release.", ["Requests"]),
    ("git push origin main  # see the docs", ["git push"]),
]
PERSONAL_PLACES_2 = [
    ("i moved to Lodz, Poland last spring", ["Lodz", "Poland"]),
    ("Card holder Ingrid Vik of Tromsø, Norway called.", ["Ingrid Vik", "Tromsø", "Norway"]),
    ("52-year-old woman from Mombasa, Kenya presents with fever.", ["Mombasa", "Kenya"]),
]


@pytest.mark.parametrize(("text", "names"), CAUGHT_2 + PERSONAL_PLACES_2)
def test_second_round_mechanisms_catch_names_and_places(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


@pytest.mark.parametrize(("text", "kept"), KEPT_2)
def test_second_round_mechanisms_keep_words(detector, text, kept):
    redacted = _redacted(detector, text)
    assert redacted == text
    for word in kept:
        assert word in redacted


def test_refine_names_trims_code_off_a_ner_span_and_drops_what_is_code():
    text = 'assertEquals("Dhruv Malhotra", formatter.format(user));'
    name = text.index('assertEquals("Dhruv')
    code = text.index("formatter.format(user")
    findings = [
        Finding(name, text.index("Malhotra") + len("Malhotra"), "PERSON", 0.85),
        Finding(code, code + len("formatter.format(user"), "PERSON", 0.85),
    ]
    assert _spans(text, refine_names(text, findings)) == {("PERSON", "Dhruv Malhotra")}


def test_refine_names_turns_a_one_word_person_after_from_into_a_personal_place():
    text = "Our new analyst joins us from Lviv next week."
    start = text.index("Lviv")
    kept = refine_names(text, [Finding(start, start + 4, "PERSON", 0.85)])
    assert _spans(text, kept) == {("LOCATION", "Lviv")}


# --- issue 17, C4: a broader gazetteer (WGND 2.0) and keys that hold only names (all invented) ------------
# given names of many origins that Faker's lists lacked (checked against the Faker-only gazetteer)
ORIGIN_NAMES = {
    "south_asian": ["Priyanka", "Deepika", "Sunita"],
    "west_african": ["Olumide", "Temitope", "Nkechi", "Efua", "Fatou", "Ousmane", "Aminata", "Boubacar"],
    "east_african": ["Tesfaye", "Abebe", "Yohannes", "Zawadi"],
    "southern_african": ["Lerato", "Thabo", "Bongani", "Zanele", "Tumelo", "Lindiwe", "Mpho"],
    "slavic": ["Wiktoria", "Mykola", "Oksana", "Oleksandr", "Yaroslava", "Dmytro"],
    "southeast_asian": ["Thuy", "Huong", "Somchai", "Narong", "Wayan", "Ketut", "Maricel", "Rodel"],
    "middle_eastern": ["Parisa", "Behnam", "Farzaneh", "Kourosh", "Shirin", "Ebru", "Noura"],
    "pacific": ["Tevita", "Mele"],
}
# words, places and brands the broader list must not take for given names
NOT_GIVEN_NAMES = ["hello", "world", "team", "germany", "honour", "widget", "tetris", "lausanne", "brixton"]
CAUGHT_C4 = [
    # a weak cue that only the gazetteer confirms
    ("Can you ask Olumide whether the refund went through?", ["Olumide"]),
    ("this is Parisa, calling about my prescription renewal", ["Parisa"]),
    ("Meet Lerato at the gate at 9.", ["Lerato"]),
    ("Message Temitope about the venue deposit.", ["Temitope"]),
    ("Efua emailed the signed lease yesterday.", ["Efua"]),
    ("Invite Yaroslava to Thursday's planning call.", ["Yaroslava"]),
    ("Tevita asked for a window seat.", ["Tevita"]),
    # a key that holds only names: any capitalised words under it, known or not
    ('{"name": "Funmilayo", "age": 34}', ["Funmilayo"]),
    ("Booking(passenger='Siosaia Fifita', seat='14C')", ["Siosaia Fifita"]),
    ('{"assignee": "Małgorzata", "status": "open"}', ["Małgorzata"]),
    ('{"account_holder": "Mbali Khumalo-Nkosi"}', ["Mbali Khumalo-Nkosi"]),
    ('{"fullName": "Dương Văn Khoa"}', ["Dương Văn Khoa"]),
    ('guest_name: "Ngaio Te Rangi"', ["Ngaio Te Rangi"]),
    ("patient = 'Gülşen'", ["Gülşen"]),
]
KEPT_C4 = [
    # other keys stay gated by the gazetteer, or are not about a person at all
    ('{"product_name": "Blue Widget", "price": 12}', ["Blue Widget"]),
    (
        '{"company_name": "Acme Holdings", "subject": "Quarterly Review"}',
        ["Acme Holdings", "Quarterly Review"],
    ),
    ('{"title": "Senior Engineer", "product": "Cloud Sync"}', ["Senior Engineer", "Cloud Sync"]),
    ('{"event_name": "Spring Launch", "name": "build-cache"}', ["Spring Launch", "build-cache"]),
    ('{"name": "Docker", "image": "nginx"}', ["Docker"]),
    # places, brands and words the broader gazetteer holds no name for
    ("Brixton Academy hosts the gig on Friday.", ["Brixton Academy"]),
    ("Aldi sells it cheaper than the corner shop.", ["Aldi"]),
    ("The Bogota office opens at eight.", ["Bogota"]),
    ("Use the Primo plan for larger teams.", ["Primo"]),
    ("Luxe Hotels has a spa.", ["Luxe Hotels"]),
]


def test_gazetteer_covers_given_names_of_many_origins():
    for origin, names in ORIGIN_NAMES.items():
        for name in names:
            assert is_given_name(name), (origin, name)
    for word in NOT_GIVEN_NAMES:
        assert not is_given_name(word), word
    assert not word_names() & given_names()


@pytest.mark.parametrize(("text", "names"), CAUGHT_C4)
def test_broader_gazetteer_and_name_keys_catch_names(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


@pytest.mark.parametrize(("text", "kept"), KEPT_C4)
def test_other_keys_places_and_brands_stay(detector, text, kept):
    redacted = _redacted(detector, text)
    assert redacted == text
    for word in kept:
        assert word in redacted


# --- linear time on adversarial text; names NER reads as places -----------------------------------------
def test_name_patterns_stay_linear_on_adversarial_text():
    """Chains of hyphenated words ("Ab-Ab-..."), runs of cues and capitals: every pattern reads them in
    linear time, so none hits Presidio's regex timeout and loses the names after them."""
    from otel_genai.redaction.names import name_recognizers

    shapes = ["Ab-", "Ab'", "A", "Ab ", "Mr. ", "'Ab' ", '"name": "', "Hi Ab,\n", "cc Ab ", "Abc Def "]
    shapes += ["changed from ab to ", "TODO(", "Kind regards, Ab ", "reserved for Ab ", "country=Ab "]
    sizes = {"Ab-": 40_000}  # one long chain: re-read part by part it took minutes
    blocks = "\n".join((shape * 40_000)[: sizes.get(shape, 2000)] for shape in shapes)
    tail = "\n\nYesterday Amara said hi. Chidi Okafor joined. Joy from billing agreed. Hope Mitchell called."
    text = blocks + tail
    found = set()
    for recognizer in name_recognizers(RedactionPolicy()):
        for result in recognizer.analyze(text, recognizer.supported_entities, None):
            if result.start >= len(blocks):
                found.add(text[result.start : result.end])
    assert {"Amara", "Chidi Okafor", "Joy", "Hope Mitchell"} <= found


def _located(text: str, *spans: tuple[str, str, float]) -> list[Finding]:
    return [
        Finding(text.index(value), text.index(value) + len(value), kind, score)
        for value, kind, score in spans
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Say hi to Olivia!", "Olivia"),  # a greeting: any given name
        ("According to Behnam, the invoice is wrong.", "Behnam"),  # an address, not a common place
        ("I'm Wiktoria, from the Gdansk office", "Wiktoria"),
        ("Somchai wants the refund", "Somchai"),  # a person's verb after it
    ],
)
def test_refine_names_reads_a_given_name_ner_took_for_a_place_as_a_person(text, value):
    for findings in (
        _located(text, (value, "LOCATION", 0.85)),
        _located(text, (value, "LOCATION", 0.85), (value, "PERSON", 0.6)),  # a weak cue found it too
    ):
        assert _spans(text, refine_names(text, findings)) == {("PERSON", value)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("According to Israel, the talks failed.", "Israel"),  # a common place after a weak cue
        ("Paris wants to ban cars from the centre.", "Paris"),  # a city "wants": still a city
        ("Is Paris bigger than Berlin?", "Paris"),
    ],
)
def test_refine_names_keeps_a_common_place_a_place(text, value):
    spans = _spans(
        text, refine_names(text, _located(text, (value, "LOCATION", 0.85), (value, "PERSON", 0.6)))
    )
    assert ("PERSON", value) not in spans


@pytest.mark.parametrize(
    ("text", "person", "place"),
    [
        ("I met Will Turner in Paris.", "Will Turner", "Paris"),
        ("Heinz Müller aus München.", "Heinz Müller", "München"),
        ("Mohammed Al-Sayed, Riyadh", "Mohammed Al-Sayed", "Riyadh"),
    ],
)
def test_refine_names_keeps_the_place_of_a_named_person(text, person, place):
    findings = _located(text, (person, "PERSON", 0.85), (place, "LOCATION", 0.85))
    assert _spans(text, refine_names(text, findings)) == {("PERSON", person), ("LOCATION", place)}


NER_PLACE_NAMES = [
    ("Say hi to Olivia!", ["Olivia"]),
    ("I met Will Turner in Paris.", ["Will Turner", "Paris"]),
    ("Heinz Müller aus München.", ["Heinz Müller", "München"]),
    ("Mohammed Al-Sayed, Riyadh", ["Mohammed Al-Sayed", "Riyadh"]),
    ("Somchai wants the refund", ["Somchai"]),
    ("According to Behnam, the invoice is wrong.", ["Behnam"]),
    # a trip of the writer: the city is a personal place (LOCATION), not a person
    ("I'm flying to Florence next week.", ["Florence"]),
]
PLACES_OF_NO_ONE = [
    ("What was the GDP of Germany and Japan in 2020?", ["Germany", "Japan"]),
    ("Is Paris bigger than Berlin?", ["Paris", "Berlin"]),
    ("According to Israel, the talks failed.", ["Israel"]),
]


@pytest.mark.parametrize(("text", "names"), NER_PLACE_NAMES)
def test_names_and_places_of_a_person_ner_reads_as_places_are_redacted(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


def test_a_trip_of_the_writer_is_a_place_not_a_person(detector):
    text = "I'm flying to Florence next week."
    (found,) = detector.analyze([text])
    assert {(f.entity_type, text[f.start : f.end]) for f in found} == {("LOCATION", "Florence")}


@pytest.mark.parametrize(("text", "kept"), PLACES_OF_NO_ONE)
def test_places_of_no_one_stay(detector, text, kept):
    assert _redacted(detector, text) == text


# --- sign-offs, keys, bookings, actors in logs, places of a record; NER's false alarms ------------------
SIGNED_AND_KEYED = [
    # a sign-off and a name on the same line, or a name alone after a sign-off line, ending the text
    ("Please check the invoice.\n\nKind regards, Chidera", ["Chidera"]),
    ("Nos vemos el lunes.\nSaludos, Ximena", ["Ximena"]),
    ("On se voit demain.\nBises,\nYanis", ["Yanis"]),
    ("Bis morgen.\nLiebe Grüße, Lukas", ["Lukas"]),
    ("See the attached file.\n-- Takeshi", ["Takeshi"]),
    ("See the attached file.\n\u2014 Nomsa", ["Nomsa"]),
    ("Draft the letter for me. Sign it Folake.", ["Folake"]),
    ("Tunde here. Can you resend the code?", ["Tunde"]),
    ("hey, it's Tunde here, the tap is leaking", ["Tunde"]),
    ("Please merge before Oksana reviews this.", ["Oksana"]),
    # NER's span runs into the next key: the name stays, cut at the key
    ("log: name=Diego Andrés Morales dob=1990-04-02", ["Diego Andrés Morales"]),
    ('caller="Sipho Ndlovu" callee="Mei Tanaka"', ["Sipho Ndlovu", "Mei Tanaka"]),
    ('nurse="Rahel" driver="Tomasz"', ["Rahel", "Tomasz"]),
    ("action=refund by=agent:Kerstin Holm status=ok", ["Kerstin Holm"]),
    ('Customer(first="Kwame", last="Asante")', ["Kwame", "Asante"]),
    ("Table for four under the name Grant Rivers, 8pm.", ["Grant Rivers"]),
    ("Una mesa a nombre de Lucía Ferrer, por favor.", ["Lucía Ferrer"]),
    ("The suite is reserved for Hunter Young.", ["Hunter Young"]),
    # lower-case actors after a log's cue, when the gazetteer knows the name
    ("ticket 812 escalated by priya at 09:12", ["priya"]),
    ("owner changed from dmitri to Farida", ["dmitri", "Farida"]),
    ("# TODO(ahmed): remove after migration", ["ahmed"]),
    ("from fatima: the form says my number is invalid", ["fatima"]),
    # the places of a person: in brackets, in a record's field, "lives in", a pair after a name
    ("Contact: Emre Yilmaz (Antalya)", ["Emre Yilmaz", "Antalya"]),
    ("name=Thabo Mokoena country=South Africa", ["Thabo Mokoena", "South Africa"]),
    ("name=Kemal Aydin; city=Bursa", ["Kemal Aydin", "Bursa"]),
    ("Caller Wanjiku Mwangi. Location given: Eldoret", ["Wanjiku Mwangi", "Eldoret"]),
    ("Customer lives in Da Nang and wants a refund.", ["Da Nang"]),
    ("Card registered to Femi Adewale, Ibadan, Nigeria.", ["Femi Adewale", "Ibadan", "Nigeria"]),
    ("Ship to Joana Ribeiro, Recife, Brazil.", ["Joana Ribeiro", "Recife", "Brazil"]),
]
NOT_NAMES = [
    "What's the weather in Madrid compared to Seville this week?",
    "Is Jordan or Chad bigger by area?",
    "Victoria Falls or Cape Town for a honeymoon?",
    "Set the WAN IP in the router config.",
    "TODO: rename SLACK_BOT_TOKEN before release",
    "Agenda:\n- budget\n- hiring",
    "Summary: the deploy failed twice.",
    "class Jordan:\n    pass",
    "def Hope(x):\n    return x",
    "const g = new Grace(cfg);",
    "Pay with Mastercard 2367 or Visa.",
    "Kind regards,\nThe Support Team",
    "Liebe Grüße",
    "Nos vemos mañana.",
    "The room is reserved for Staff only.",
    "Location: Conference Room B",
    "state=Running owner changed from team to admin",
    "# TODO(later): remove the shim",
    "Meeting moved to 3pm. Location: Lisbon office",
]


@pytest.mark.parametrize(("text", "names"), SIGNED_AND_KEYED)
def test_sign_offs_keys_bookings_actors_and_places_of_a_record_are_redacted(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


@pytest.mark.parametrize("text", NOT_NAMES)
def test_places_headings_code_and_sign_off_words_stay(detector, text):
    assert _redacted(detector, text) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("On se voit demain.\nBises,\nYanis", "Yanis"),  # a sign-off before it
        ("Please merge before Oksana reviews this.", "Oksana"),  # a person's verb after it
        ("Approved by Oksana.", "Oksana"),  # a cue before it
    ],
)
def test_refine_names_prefers_a_person_with_a_cue_to_ner_s_place(text, value):
    findings = _located(text, (value, "LOCATION", 0.85), (value, "PERSON", 0.8))
    assert _spans(text, refine_names(text, findings)) == {("PERSON", value)}


@pytest.mark.parametrize(
    ("text", "span", "name"),
    [
        ("name=Juan Pablo Castillo dob=1992-03-04", "Juan Pablo Castillo dob=1992-", "Juan Pablo Castillo"),
        ("user: Amara Okafor role:admin", "Amara Okafor role:admin", "Amara Okafor"),
        ('author "Liam O\'Brien" wrote', "Liam O'Brien\" wrote", "Liam O'Brien"),
    ],
)
def test_refine_names_cuts_a_ner_span_at_the_next_key_or_quote(text, span, name):
    assert _spans(text, refine_names(text, _located(text, (span, "PERSON", 0.85)))) == {("PERSON", name)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Victoria Falls or Cape Town for a trip?", "Victoria Falls"),  # a place's name
        ("Is Jordan or Chad bigger by area?", "Jordan"),  # a common place, no person's cue
        ("Summary: the deploy failed twice.", "Summary"),  # a heading
        ("class Jordan:\n    pass", "Jordan"),  # declared in code
        ("Set the WAN IP here.", "WAN IP"),  # acronyms
        ("Liebe Grüße", "Liebe Grüße"),  # a sign-off
        ("Nos vemos mañana.", "Nos vemos mañana"),  # words in lower case
    ],
)
def test_refine_names_drops_ner_persons_that_are_not_name_shaped(text, value):
    assert refine_names(text, _located(text, (value, "PERSON", 0.85))) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Jordan said the build is green.", "Jordan"),  # a common place doing what people do
        ("Reported by Victoria Falls", "Victoria Falls"),  # a cue before a place-shaped name
        ("Sunny Park approved the refund.", "Sunny Park"),
        ("Amara: can you check the invoice?", "Amara"),  # a speaker's name opens a chat line
    ],
)
def test_refine_names_keeps_names_that_look_like_places_or_headings_with_a_cue(text, value):
    assert _spans(text, refine_names(text, _located(text, (value, "PERSON", 0.85)))) == {("PERSON", value)}


def test_a_place_is_not_personal_because_ner_called_another_place_a_person():
    text = "Flights from Lisbon to Porto, Jordan or Chad?"
    findings = _located(
        text, ("Lisbon", "LOCATION", 0.85), ("Porto", "LOCATION", 0.85), ("Jordan", "PERSON", 0.85)
    )
    assert refine_names(text, findings) == []


# --- issue 17, languages of Europe: the grammar of a language is no name; names and places of a person in
# them are (all invented) ------------------------------------------------------------------------------------
EUROPEAN_CLEAN = [
    # German: politeness forms, articles and possessives before capitalised nouns
    "Sehr geehrte Damen und Herren,\n\nvielen Dank für Ihre Anfrage. Können Sie uns bitte die "
    "Rechnungsnummer mitteilen?\n\nMit freundlichen Grüßen\nIhr Kundenservice",
    "Ihr Termin zur Kontrolluntersuchung ist am Mittwoch um 10:30 Uhr. Bitte bringen Sie Ihre "
    "Versichertenkarte mit. Sollten Sie verhindert sein, sagen Sie bitte ab.",
    "Guten Tag,\n\nleider konnten wir Ihre Zahlung nicht zuordnen. Bitte überweisen Sie den Betrag erneut.",
    "Hinweis: Aufgrund von Wartungsarbeiten ist das Kundenportal am Samstag nicht erreichbar.",
    # French, Spanish, Portuguese, Italian
    "Madame, Monsieur,\n\nNous accusons réception de votre demande.\n\nCordialement,\nLe service client",
    "Estimado cliente:\n\nLe informamos de que su pedido ha sido enviado.\n\nAtentamente,\nEl equipo",
    "Prezado cliente,\n\nConfirmamos o recebimento do seu pedido. Acompanhe a entrega pelo nosso site.\n\n"
    "Atenciosamente,\nEquipe de Atendimento",
    "Gentile cliente,\n\nLa informiamo che il Suo ordine è stato spedito.\n\nCordiali saluti,\n"
    "Il Servizio Clienti",
    "Oggetto: Richiesta di rimborso\n\nCon la presente chiedo il rimborso del biglietto.",
    # Dutch, Swedish, Polish
    "Geachte heer/mevrouw,\n\nHartelijk dank voor uw bericht.\n\nMet vriendelijke groet,\nKlantenservice",
    "Hej!\n\nTack för ditt meddelande. Vi skickar beställningen inom två dagar.\n\nMed vänliga hälsningar\n"
    "Kundtjänst",
    "Hej, hur ändrar jag min leveransadress? Jag flyttar nästa månad. Kram",
    "Szanowni Państwo,\n\nDziękujemy za zgłoszenie.\n\nZ poważaniem,\nDział Obsługi Klienta",
    # form labels, markers in code, an identifier of the text's code, businesses, a place's feature
    "Requester: (not set)\nPriority: P3\nComponent: Billing",
    "Paciente: pendiente de asignar\nMotivo de consulta: revisión anual",
    "# TODO: handle the retry case\n# FIXME: this leaks a file handle\n# XXX: remove before release",
    "// Marshall converts the order to JSON\nfunc (o *Order) Marshall() ([]byte, error) {\n}",
    "Wir haben ein Zimmer im Hotel Sonnenhof und einen Tisch im Restaurant Zur Post reserviert.",
    "Confirmamos sua reserva na Pousada Mar Azul para duas noites.",
    "Is Wadi Rum worth a first trip to the desert, or is Jordan too hot in August?",
]
EUROPEAN_NAMED = [
    (
        "Sehr geehrter Herr Vogelsang,\n\nIhr Termin ist am Montag. Bitte bringen Sie Ihre Versichertenkarte "
        "mit.\n\nMit freundlichen Grüßen\nKatharina Brenner",
        ["Vogelsang", "Katharina Brenner"],
    ),
    ("Ich heiße Torsten Kaufmann und wohne in Bielefeld. Können Sie mir helfen?", ["Torsten", "Bielefeld"]),
    ("Bonjour, je m'appelle Théo Lambert et j'habite à Grenoble depuis deux ans.", ["Théo", "Grenoble"]),
    ("Hola, me llamo Álvaro Cifuentes y vivo en Zaragoza.", ["Álvaro Cifuentes", "Zaragoza"]),
    ("Olá, meu nome é Gustavo Rezende e moro em Curitiba.", ["Gustavo Rezende", "Curitiba"]),
    ("Buongiorno, mi chiamo Lorenzo Gatti e abito a Bergamo.", ["Lorenzo Gatti", "Bergamo"]),
    ("Mevrouw Bakker woont in Haarlem.", ["Bakker", "Haarlem"]),
    ("Hej Elin!\n\nTack för igår. Jag bor numera i Västerås. Kram, Annika", ["Elin", "Västerås", "Annika"]),
    ("Szanowna Pani Kowalczyk,\n\nwizyta została przesunięta na piątek.", ["Kowalczyk"]),
    ("Mia madre Giuseppina abita a Palermo.", ["Giuseppina", "Palermo"]),
    ("Mój brat Kacper mieszka w Poznaniu.", ["Kacper", "Poznaniu"]),
    ("Requester: Ingeborg Halvorsen | Priority: P2 | Issue: login fails", ["Ingeborg Halvorsen"]),
    (
        "Paciente: Marcelo Ordóñez Vidal, 54 años, vive en Valparaíso.",
        ["Marcelo Ordóñez Vidal", "Valparaíso"],
    ),
]


@pytest.mark.parametrize("text", EUROPEAN_CLEAN)
def test_the_grammar_labels_and_code_of_a_text_are_no_names(detector, text):
    # names and places only: "Ihr Termin ... am Mittwoch um 10:30 Uhr" is a personal date, rightly redacted
    (findings,) = detector.analyze([text])
    assert not [text[f.start : f.end] for f in findings if f.entity_type in ("PERSON", "LOCATION")]


@pytest.mark.parametrize(("text", "names"), EUROPEAN_NAMED)
def test_names_and_places_of_a_person_in_the_languages_of_europe_are_redacted(detector, text, names):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted


# places said of a person: a residence verb, brackets or "from" after a name, a record of a person, a
# field in lower case, the second place of a pair
PLACES_OF_A_PERSON = [
    (
        "contact 'bill cooper', phone 555-0173, lives in Tulsa, Oklahoma; next visit Friday.",
        ["Tulsa", "Oklahoma"],
    ),
    ("Support ticket: Olha Marchuk (Kyiv, Ukraine) cannot verify her phone.", ["Kyiv", "Ukraine"]),
    ("Churn risk: Aigerim Tulegenova (Almaty) has not logged in since May.", ["Almaty"]),
    ("Hi, I'm Kealani from Hilo. My card was charged twice.", ["Hilo"]),
    ("hey its tanvir, im from sylhet, can u reset my pin", ["sylhet"]),
    ("GET /api/v1/users?first=lerato&city=durban 200 12ms", ["durban"]),
    ('customer_id=88123 name="Rangi Parata" home_city=Rotorua tier=gold', ["Rotorua"]),
    ("name,email,country\nZhou Wei,zhou.wei@example.com,China", ["China"]),
    ('Patient p = new Patient("Chidi Okafor", "1984-06-02", "Port Harcourt");', ["Port Harcourt"]),
    ("She met Tevita in Auckland, where they both live now.", ["Auckland"]),
    ("Ticket: Tran Thi Mai (Da Nang, Vietnam) cannot log in.", ["Da Nang", "Vietnam"]),
]
PLACES_OF_NO_ONE_2 = [
    "Order 7730451288 shipped from our Rotterdam warehouse; arrival in 3-5 business days.",
    "Is it better to visit Lisbon or Seville in November? And how about Marrakech?",
    "city,country,population\nOsaka,Japan,2.7M\nLyon,France,0.5M",
    "The conference moved to Vienna this year; registration closes on Friday.",
    "Weather tomorrow: Auckland 18°C and sunny, Wellington 14°C with showers.",
    "Die Filiale in München ist am Feiertag geschlossen.",
]


@pytest.mark.parametrize(("text", "places_"), PLACES_OF_A_PERSON)
def test_places_said_of_a_person_are_redacted(detector, text, places_):
    redacted = _redacted(detector, text)
    for place in places_:
        assert place not in redacted, redacted


@pytest.mark.parametrize("text", PLACES_OF_NO_ONE_2)
def test_places_of_no_one_stay_in_any_phrasing(detector, text):
    assert _redacted(detector, text) == text


def test_place_gazetteer_knows_cities_countries_and_states_but_not_english_words():
    assert 20_000 < len(places()) < 60_000
    for place in ("Almaty", "durban", "Port Harcourt", "Gdańsk", "gdansk", "Oklahoma", "Singapore"):
        assert is_known_place(place), place
    for word in ("reading", "mobile", "production", "support", "billing"):
        assert not is_known_place(word), word


@pytest.mark.parametrize(
    ("text", "value", "kept"),
    [
        ("Hej Elin!", "Hej Elin", "Elin"),  # a greeting of a language opening NER's span
        ("Je m'appelle Élodie Marchand.", "Je m'appelle Élodie Marchand", "Élodie Marchand"),
        ("Können Sie mir helfen?", "Können Sie", None),  # a politeness form
        ("Bitte auf mein Konto überweisen.", "mein Konto", None),  # a noun after a possessive
        ("Requester: Grace Holloway", "Requester", None),  # the label before a name
        ("# FIXME: leaks a handle", "FIXME", None),
        ("// Marshall does it\nfunc Marshall() {}", "Marshall", None),  # the text's identifier
        ("Atenciosamente,\nPousada Mar Azul", "Pousada Mar Azul", None),  # a business signs
        ("Compare Petra with Wadi Rum.", "Wadi Rum", None),  # a place by its feature
        ("Returns None for other hosts.", "Returns None", None),  # a docstring
        ("Use an organization-level Admin API key.", "Admin API", None),  # an acronym last
        ("Is Addison's disease rare?", "Addison", None),  # named after someone
        ("Company: Marshall & Price GmbH", "Marshall", None),  # a company
    ],
)
def test_refine_names_drops_the_grammar_and_labels_of_a_text(text, value, kept):
    findings = [Finding(text.index(value), text.index(value) + len(value), "PERSON", 0.85)]
    if text.startswith("Requester"):
        findings.append(Finding(text.index("Grace"), len(text), "PERSON", 0.8))
    spans = {span for kind, span in _spans(text, refine_names(text, findings)) if kind == "PERSON"}
    assert value not in spans or value == kept
    if kept:
        assert kept in spans


# round 2: common words of a text's language, labels, titles, holidays, companies and a company's seat are
# no names; real names in the same languages and layouts stay found (all invented)
NO_NAMES_OF_ANY_LANGUAGE = [
    "Hallo, bitte die Erstattung auf das neue Konto überweisen, nicht auf die alte Karte. Danke!",
    "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unser Angebot Nr. 2024-88 über 12 Lizenzen.",
    "Leitlinie: Bei Fieber zunächst die Temperatur messen und den Verlauf dokumentieren.",
    "Madame, Monsieur,\n\nnos bureaux seront fermés lundi. Les commandes seront traitées mardi.",
    "Pipeline review: largest deal Fabrikam Logistics (renewal, 40k), then Northwind Holdings.",
    "Shop closes early for Diwali and again for Hari Raya; the team is back after Thanksgiving.",
    "Firmenkonto: Beispiel & Partner KG (Sitz in Bremen), Zahlungsziel 30 Tage.",
    "Our vendor, a company headquartered in Austin, ships the parts next week.",
    "La réunion aura lieu à Lyon, salle B.",
    "Is Chile a good destination in May? How does Florence compare with Siena for a first trip?",
]

NAMES_OF_ANY_LANGUAGE = [
    ("Contact record\nName: Liu Mei-hua\nEmail: meihua.liu@example.com", ["Liu Mei-hua"], ["Email"]),
    ("Estimado Sr. Tadeo Quispe:\nsu pedido llega el lunes.", ["Tadeo Quispe"], []),
    ("Bitte rufen Sie Frau Ziegler zurück.", ["Ziegler"], []),
    ("Der Kunde Herr Albrecht hat angerufen, Gruß, Reto Gasser", ["Albrecht", "Reto Gasser"], []),
    ("Hej! Vi ses i Lund på fredag. Hälsningar, Klara", ["Klara"], ["Lund"]),
    (
        "Kundanteckning: Sven Ek vill byta till autogiro. Bor numera i Göteborg.",
        ["Sven Ek", "Göteborg"],
        ["Bor"],
    ),
    ("Marie habite à Lyon depuis mars.", ["Marie", "Lyon"], []),
    ("Les Paul signed the guitar.", ["Les Paul"], []),
    ("Travel itinerary: my sister Florence arrives Monday.", ["Florence"], []),
    (
        "my father Ravi Menon needs his discharge letter in Tamil and English; his Discover card is on file.",
        ["Ravi Menon"],
        ["Tamil", "Discover"],
    ),
]


@pytest.mark.parametrize("text", NO_NAMES_OF_ANY_LANGUAGE)
def test_common_words_labels_titles_holidays_companies_and_seats_are_no_names(detector, text):
    assert _redacted(detector, text) == text


@pytest.mark.parametrize(("text", "names", "kept"), NAMES_OF_ANY_LANGUAGE)
def test_names_stay_found_next_to_labels_titles_and_common_words(detector, text, names, kept):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted
    for word in kept:
        assert word in redacted, redacted


# cities said of a person: travel, a visit, a move, a stay, kin living there, a patient's origin
TRAVELS_OF_A_PERSON = [
    ("she says the parcel never reached her in Nairobi", ["Nairobi"]),
    ("both cards stopped working since we landed in Osaka. i'm Keoni", ["Osaka"]),
    ("estoy de viaje en Arequipa hasta el viernes. soy Rosa Condori", ["Arequipa"]),
    ("Nota CRM: cliente Joana Brito ligou, mudou-se para o Porto.", ["Porto"]),
    ("Klant Sanne de Wit verhuist op 1 juni naar Utrecht.", ["Utrecht"]),
    ("Hej Elin! Jonas och jag kommer till Uppsala på fredag.", ["Uppsala"]),
    ("Vive con su hijo en Cuenca.", ["Cuenca"]),
    ("Siosaia, 41, from Nukualofa, currently staying in Wellington for treatment.", ["Wellington"]),
    ("He's off to Cardiff for his brother's wedding.", ["Cardiff"]),
    ("34yo female, recently back from Accra (visiting family).", ["Accra"]),
    ("pt asked that his sister in Wuhan not be told.", ["Wuhan"]),
    ("Hina Takeda is flying in from Sapporo on Sunday.", ["Sapporo"]),
    ("Noam Levi is visiting Haifa for his father's birthday.", ["Haifa"]),
    ("Hi all, Ama Owusu joins the Kumasi team on Monday.", ["Kumasi"]),
    ("Grace is moving to Lisbon next month.", ["Lisbon"]),
    ("UPDATE users SET city = 'Innsbruck' WHERE id = 4; -- Tobias moved", ["Innsbruck"]),
]

TRAVELS_OF_NO_ONE = [
    "Acme is based in Austin and sells to Denver.",
    "Deploy the app to the Frankfurt region.",
    "The Rotterdam warehouse ships on Mondays.",
    "Python moved to GitHub in 2017.",
]


@pytest.mark.parametrize(("text", "places_"), TRAVELS_OF_A_PERSON)
def test_cities_a_person_travels_to_visits_or_moves_to_are_redacted(detector, text, places_):
    redacted = _redacted(detector, text)
    for place in places_:
        assert place not in redacted, redacted


@pytest.mark.parametrize("text", TRAVELS_OF_NO_ONE)
def test_cities_of_companies_and_code_stay(detector, text):
    assert _redacted(detector, text) == text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("We had a great week. Zorbalt and I will come back in May.", "Zorbalt"),
        ("The parcel came today. Many thanks, Quillon", "Quillon"),
    ],
)
def test_sentence_start_cues_find_a_name_after_a_full_stop_without_a_model(text, name):
    detector = shared_detector(RedactionPolicy(model="none"))
    (findings,) = detector.analyze([text])
    redacted = redact_text(text, list(findings), RedactionPolicy(model="none"))[0]
    assert name not in redacted, redacted


# --- the sixth blind set's false alarms and misses, as rules (own texts; issue 17) --------------------------
NO_PERSON_AFTER_A_CUE = [
    "Thanks for your patience.\n\nBest regards,\nMarketing team",  # a team signs
    "Mit freundlichen Grüßen\nIhre Rechtsabteilung",  # a department's compound
    "Tack för ordern. Vänliga hälsningar\nLöneavdelningen",
    "Then open Profile and click 'Update Email' to save it.",  # an interface's label
    "The opportunity moved to Closed Lost after the review.",  # a sales stage
    "auditd: [warn] audit rules reloaded",  # a log line's program
    "Merhaba, siparişim hâlâ gelmedi.",  # a greeting
]


@pytest.mark.parametrize("text", NO_PERSON_AFTER_A_CUE)
def test_teams_labels_log_programs_and_greetings_are_no_names(detector, text):
    (findings,) = detector.analyze([text])
    assert [text[f.start : f.end] for f in findings if f.entity_type in ("PERSON", "LOCATION")] == []


@pytest.mark.parametrize(
    ("text", "names", "kept"),
    [
        ("Atenciosamente,\nLucas — Comercial", ["Lucas"], ["Comercial"]),
        ("Cześć, tu Agnieszka Wójcik, dzwonię w sprawie faktury.", ["Agnieszka Wójcik"], []),
        ("Jadwal sudah dikirim. Salam, Bambang", ["Bambang"], []),
        ("Warm intro via Nomvula, she knows the buyer.", ["Nomvula"], []),
        ("    token = load()  # Ayesha's test account on staging", ["Ayesha"], []),
        ("Notatka: pani Hanna (Lwów -> Kraków) prosi o telefon.", ["Hanna", "Lwów", "Kraków"], []),
    ],
)
def test_names_and_places_after_cues_of_other_languages(detector, text, names, kept):
    redacted = _redacted(detector, text)
    for name in names:
        assert name not in redacted, redacted
    for word in kept:
        assert word in redacted, redacted


@pytest.mark.parametrize(
    ("text", "person", "place"),
    [
        ("Goedemiddag, ik ben Sanne de Wit uit Eindhoven.", "Sanne de Wit", "Eindhoven"),
        ("Selamat pagi, saya Dewi Lestari dari Medan.", "Dewi Lestari", "Medan"),
        ("Servus, hier spricht Lena Huber aus Graz.", "Lena Huber", "Graz"),
    ],
)
def test_a_persons_town_after_from_in_other_languages(text, person, place):
    start = text.index(person)
    found = refine_names(text, [Finding(start, start + len(person), "PERSON", 0.85)])
    assert ("LOCATION", place) in [(f.entity_type, text[f.start : f.end]) for f in found]


# --- the seventh set's lessons: cues of residence, self-introductions and particles in more languages ---
@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("bonjour, je suis à Nantes cette semaine pour le salon", "Nantes"),
        ("Dossier : Karim Haddad, né le 14 mars 1979 à Oran, suivi depuis 2020.", "Oran"),
        ("Dossier : Karim Haddad, installé à Toulouse depuis 2012.", "Toulouse"),
        ("Hei, vi har flyttet til Bergen og trenger ny adresse.", "Bergen"),
        ("Hej, jag har flyttat till Luleå i somras.", "Luleå"),
        ("Sigue en Quito pero viaja cada mes a Lima por trabajo.", "Lima"),
        ("Paciente Joana Prates, 71 anos. Natural de Recife.", "Recife"),
        ("Scheda: sig. Paolo Greco, nato il 2 aprile 1950 a Lecce.", "Lecce"),
    ],
)
def test_a_place_after_a_residence_cue_of_other_languages(detector, text, place):
    assert place not in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("oi! aqui é o Anselmo, meu boleto venceu ontem", "Anselmo"),
        ("dzień dobry, tu Bożena Kamińska, mam pytanie o fakturę", "Bożena Kamińska"),
        ("agent: ok\nuser: hello this is Hope, the invoice is wrong", "Hope"),
        ("hola, soy Ximena Huamán y no puedo entrar", "Ximena Huamán"),
    ],
)
def test_self_introductions_of_other_languages_and_after_a_speaker_label(detector, text, name):
    assert name not in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Reclamación 55 - Cliente: Ignacio Robles de la Fuente. Pide la devolución.", "Robles de la Fuente"),
        ("Registo: a D. Ana dos Santos Cardoso ligou ontem.", "Ana dos Santos Cardoso"),
    ],
)
def test_a_name_goes_on_through_its_particles(detector, text, name):
    assert name.split()[-1] not in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Lieferant: Weber & Kinder KG, Abteilung Vertrieb. Auftrag Nr. 7781 gilt bis 30.06.", "Vertrieb"),
        (
            "FEHLER Versanddienst: Abbruch beim Abgleich der Lagerbestände, neuer Versuch ab 10 Uhr.",
            "Abgleich",
        ),
        ("Schichtplan Etage 2: Nachtdienst bis 06:00 Uhr. Treffpunkt im Pausenraum.", "Pausenraum"),
        ("Propuesta: Grupo Pacífico Alimentos. Interés en el módulo de facturación.", "Pacífico"),
        ("Aviso da Secretaria de Educação: matrículas abertas até sexta.", "Educação"),
        ("Can we log in with Google Workspace or Okta instead of passwords?", "Workspace"),
    ],
)
def test_institutions_products_and_german_nouns_are_no_names(detector, text, kept):
    assert kept in _redacted(detector, text)


def test_turkish_and_indonesian_closings_and_pronouns_are_no_names(detector):
    closing = "Sayg\u0131lar\u0131m\u0131zla"  # Turkish, with its dotless i
    redacted = _redacted(detector, f"Pesanan Anda sudah dikirim hari ini.\n\n{closing},\nDestek Ekibi")
    assert "Anda" in redacted and closing in redacted


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Hasta: Emre Y\u0131ld\u0131z, 54 ya\u015f. \u0130kamet: Konya. Kontrol 2 hafta sonra.", "Konya"),
        ("Patientin Greta Huber, Wohnort: Linz, Aufnahme heute.", "Linz"),
    ],
)
def test_a_place_under_a_residence_key_of_another_language(detector, text, place):
    assert place not in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Dear Ms. Otieno,\n\nYour visit at Harbourview Clinic is confirmed for Monday.", "Harbourview"),
        ("Hi Facilities, the new desk for Amara Nwosu arrives Monday.", "Facilities"),
    ],
)
def test_a_clinic_and_a_department_are_no_names(detector, text, kept):
    assert kept in _redacted(detector, text)


# --- the eighth and ninth sets' lessons: things by shape or use, places said of a person, second surnames ---
@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Wochenplan Ebene 4: Spätschicht bis 22:00. Besprechung im Aufenthaltsraum.", "Aufenthaltsraum"),
        ("Hej!\n\nVi har flyttat servern till version 5. Nya priser gäller från den 1 april.", "Nya"),
        ("does the Ritterhof Bonvia integration work with our booking widget yet?", "Ritterhof Bonvia"),
        ("Madame, notre formule Sérénité Famille Plus est disponible dès janvier.", "Sérénité"),
        ("Heads up: the Bristol office closes early on Friday for maintenance.", "Bristol"),
        ("Cliente potencial: 4 lojas em Porto Alegre, interesse no módulo fiscal.", "Porto Alegre"),
    ],
)
def test_words_of_other_languages_sites_and_products_are_no_names(detector, text, kept):
    assert kept in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("QBR with Fjordline Analytics: the champion is Ingrid Solberg (VP Ops).", "Fjordline"),
        ("Kickoff with Tidewater Logistics went well; Ana Moura will send the plan.", "Tidewater"),
    ],
)
def test_a_company_named_by_its_trade_is_no_name(detector, text, kept):
    assert kept in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Scheda: sig.ra Carla Neri, residente a Lecce, controllo a marzo.", "Lecce"),
        ("Hoi, ik zit volgende week in Utrecht, kan het gesprek online?", "Utrecht"),
        ("hola! vivo en cartagena ahora, cambien mi dirección por favor", "cartagena"),
        ("Payroll: employee lives in Oregon now, moved from Nevada in March.", "Nevada"),
        ("Role: Data Analyst | Mobile +1 555 0100 | Based in Tucson. Prefers email.", "Tucson"),
        ("Pt relocated to Tashkent last spring; follow-up by phone.", "Tashkent"),
    ],
)
def test_a_place_said_of_a_person_by_a_cue_of_residence_or_moving(detector, text, place):
    assert place not in _redacted(detector, text)


def test_a_site_a_person_moves_to_is_her_place():
    text = "Call with Thandeka Zulu about travel. She's moving to the Durban office in May."
    start = text.index("Durban")
    found = refine_names(text, [Finding(start, start + len("Durban"), "LOCATION", 0.85)])
    assert [(f.entity_type, text[f.start : f.end]) for f in found] == [("LOCATION", "Durban")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Expediente 311 - Paciente: Inés Romero Vidal, 58 años, alta hoy.", "Inés Romero Vidal"),
        ("Cliente: Tomás Ibarra Cruz.\nTeléfono pendiente.", "Tomás Ibarra Cruz"),
    ],
)
def test_a_second_surname_goes_with_the_name(detector, text, name):
    assert name.split()[-1] not in _redacted(detector, text)


# --- round 5: offices, greeted groups, sign-off lines, households, places in other languages -------------
@pytest.mark.parametrize(
    "text",
    [
        "Sehr geehrte Damen und Herren,\nIhr Antrag liegt vor.\nMit freundlichen Grüßen\nFinanzamt Nord",
        "Hola,\nsu cita está confirmada.\nAtentamente,\nAyuntamiento",
        "Bonjour,\nvotre dossier est complet.\nCordialement,\nPréfecture",
        "Hej,\nlönen betalas ut den 25:e.\nHälsningar,\nEkonomikontoret",
        "Hi there,\nyour interview is booked for Monday.\nRegards,\nRecruitment",
        "Dear Guardian,\nthe school trip leaves at 8.\nThanks,\nThe Office",
        "Liebe Eltern,\nder Ausflug beginnt um 8 Uhr.",
        "Cari colleghi,\nla riunione è spostata a giovedì.",
        "Merhaba,\nşifreniz değiştirildi.\nSayg\u0131lar\u0131m\u0131zla,\nDestek Ekibi",
    ],
)
def test_offices_and_greeted_groups_are_no_names(detector, text):
    assert _redacted(detector, text) == text


def test_a_name_signed_under_a_closing_ner_read_with_it(detector):
    text = "Guten Tag,\nIhre Unterlagen sind angekommen.\nViele Grüße\nMax Reindl\nKundenservice"
    assert "Max Reindl" not in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("Pt Amira Khoury, 9F. Family relocated from Amman to Lyon last year.", ["Amman", "Lyon"]),
        ("servus, ich bin Lukas Hofbauer aus Salzburg und brauche Hilfe mit dem Konto.", ["Salzburg"]),
        ('lookup(ad="Emre Koç") -> {"sehir": "Bursa", "durum": "aktif"}', ["Bursa"]),
        ("Nota: la cliente Chiara Galli ha cambiato banca. Vive a Milano.", ["Milano"]),
    ],
)
def test_places_of_a_household_an_origin_a_record_and_an_endonym(detector, text, places):
    redacted = _redacted(detector, text)
    for place in places:
        assert place not in redacted, redacted


def test_a_warehouse_moving_between_cities_is_no_personal_place(detector):
    text = "Hej,\nvi flyttar lagret från Uppsala till Västerås i mars. Leveranser kan bli sena."
    assert _redacted(detector, text) == text


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("selam, ben Kerem Ayd\u0131n, Eskişehir'de oturuyorum. hesab\u0131m kilitlendi", "Eskişehir"),
        ("Catatan: Ibu Sri Wahyuni tinggal di Semarang, minta kartu baru.", "Semarang"),
        ("Client 360: Lina Haddad, Gold. Home: Beirut. Card renewal sent.", "Beirut"),
        ("servus, ich wohn jetzt in Linz, bitte Adresse ändern. Grüße, Paul Huber", "Linz"),
        ("La cliente Amélie Roux conteste un achat fait pendant son séjour à Toulouse.", "Toulouse"),
    ],
)
def test_places_said_of_a_person_in_turkish_indonesian_a_record_and_by_a_stay(detector, text, place):
    assert place not in _redacted(detector, text)


def test_a_home_key_of_a_page_is_no_place(detector):
    text = "Customer: Ana Lima. Home: Settings page is broken"
    assert "Settings" in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Reklamation: Gutschrift an Fr. Wagenknecht bitte bis Freitag.", "Wagenknecht"),
        ("Reclamo: la signora Carla Di Stefano non ha ricevuto il rimborso.", "Di Stefano"),
        ("Laporan: rekening a.n. Made Suartini diblokir sementara.", "Made Suartini"),
        ("Nota: el señor Quiroga pidió la baja del servicio.", "Quiroga"),
    ],
)
def test_abbreviated_and_lower_case_titles_mark_a_name(detector, text, name):
    assert name not in _redacted(detector, text)


def test_two_persons_with_only_particles_between_are_one_name():
    text = "Titular: Joana dos Reis Barbosa"
    first = text.index("Joana")
    second = text.index("Reis")
    found = refine_names(
        text,
        [Finding(first, first + len("Joana"), "PERSON", 0.85), Finding(second, len(text), "PERSON", 0.85)],
    )
    assert [text[f.start : f.end] for f in found if f.entity_type == "PERSON"] == ["Joana dos Reis Barbosa"]


@pytest.mark.parametrize(
    "text",
    [
        "Liebe Kundinnen und Kunden,\nunser Shop ist am Montag geschlossen.",
        "Say\u0131n M\u00fc\u015fterimiz,\nsipari\u015finiz kargoya verildi.\nM\u00fc\u015fteri Hizmetleri",
    ],
)
def test_customers_greeted_and_a_service_signing_are_no_names(detector, text):
    assert _redacted(detector, text) == text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # speakers of a transcript and a form's role are no names (the names they introduce are)
        ("Operator: how can I help? Caller: yes hi, it's about the bill. Operator: sure", []),
        ("Atención 3/11 - Paciente: refiere dolor lumbar desde ayer. Médico: reposo", []),
        # businesses of a list, a cooperative, an estate, a segment, a restaurant or a chain after a name
        ("Approved suppliers: Northgate Tyres, Halden Motors, Officina Rossi Nord, Taller Ramos.", []),
        ("Reunión con la cooperativa Sol Naciente (Murcia) el martes sobre tarifas.", []),
        ("Awaria oświetlenia na osiedle Słoneczne Wzgórze, klatka C.", []),
        ("Campanha 'Casas Verdes': 2.310 clientes, adesão de 4 %.", []),
        ("Menu of 'Casa de Lucia' changes on Friday; Maria Hotels opens a new site.", []),
        ("class InvoiceState(str, Enum):\n    DRAFT = 'draft'", []),
    ],
)
def test_roles_businesses_and_named_things_are_no_names(detector, text, kept):
    assert _redacted(detector, text) == text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Said her neighbour Mr. Oyewole saw it.", "Mr. Oyewole"),
        ("Klacht van mevr. Verhoeven over de factuur.", "mevr. Verhoeven"),
        ("R7: Wiśniewska, Halina | R8: 1950-02-11", "Wiśniewska, Halina"),
        ('export failed for employee="PETROVA Olga" ssn=redacted', "PETROVA Olga"),
        ("Apellidos y nombre:\nFERNÁNDEZ ROJAS, Ana Belén\nDomicilio: ...", "FERNÁNDEZ ROJAS, Ana Belén"),
    ],
)
def test_a_title_and_a_records_surname_before_a_name_are_masked_with_it(detector, text, name):
    redacted = _redacted(detector, text)
    assert name not in redacted
    assert not any(part in redacted for part in name.replace(",", " ").split())


def test_greetings_before_a_name_are_no_surnames(detector):
    assert "Hi," in _redacted(detector, "Hi, Maria, thanks for the note.")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Contacto de emergencia: hermana Paz, +56 9 5550 0000.", "Paz"),
        ("First interview done with Joy (HR); panel next week.", "Joy"),
        ("Pref. name Bee. Full name Blessing Okonkwo-Eze, seen today.", "Blessing Okonkwo-Eze"),
    ],
)
def test_word_names_after_a_relation_a_department_or_a_full_name_cue(detector, text, name):
    assert name not in _redacted(detector, text)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        (
            "Arztbrief: Frau Edith Kraus, geb. 02.02.1950. Wohnhaft in Innsbruck. Diagnose: Fraktur.",
            "Innsbruck",
        ),
        ("halo kak, saya Made Wirawan, saya lagi di Denpasar, tolong cek tagihan", "Denpasar"),
        (
            "Hasta notu: Zeynep Kaya, \u0130zmir'de k\u0131z\u0131yla ya\u015f\u0131yor. Tel yok.",
            "\u0130zmir",
        ),
    ],
)
def test_places_said_of_a_person_by_more_residence_words(detector, text, place):
    assert place not in _redacted(detector, text)


def test_place_key_and_foreign_relation_gates_give_what_their_scans_give() -> None:
    """``_place_key`` tests for ":" or "=" before its scan, ``_foreign_relation`` looks up its kin words
    before its scan: on keys, possessives, kin words and separators glued together at random, each says
    exactly what the scans alone say."""
    import random

    from otel_genai.redaction._gates import folded_words
    from otel_genai.redaction.names import (
        _FOREIGN_POSSESSIVE,
        _KIN_WORDS,
        _PLACE_KEY,
        _foreign_relation,
        _place_key,
    )

    rng = random.Random(23)
    pieces = [
        *("City", "town", "COUNTRY", "state", "Location", "residence", "durban", "Ölüdeniz", "x"),
        *("mi", "Mein", "meine", "mój", "ma", "mon", "Mia", "minha", *sorted(_KIN_WORDS)[:40]),
        *(":", "=", " ", " ", "\t", '"', "'", ",", "\n", "é"),
    ]
    place_keys = relations = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        expected_key = _PLACE_KEY.search(text) is not None
        assert _place_key(text) == expected_key, text
        place_keys += expected_key
        expected_relation = _FOREIGN_POSSESSIVE.search(text) is not None and not _KIN_WORDS.isdisjoint(
            folded_words(text)[1]
        )
        assert _foreign_relation(text) == expected_relation, text
        relations += expected_relation
    assert place_keys > 100 and relations > 20  # both sides met
