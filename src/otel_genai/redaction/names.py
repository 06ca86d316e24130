"""Person names (and the places that go with them) beyond what the NER model finds, and the filter that
drops what NER takes for a name or a place where nothing personal is meant.

``name_recognizers`` are Presidio pattern recognizers (built on the redaction worker thread); they run with
or without a NER model. They find a name by what marks it as one: a title (``Dr.``, ``Ms``), a relation
(``my grandmother``), a greeting (``Hi``, ``Dear``), a sign-off or an e-mail signature, a header field
(``From:``, ``cc``), and, where the cue is weak (``this is``, ``it's``, ``I'm``, ``ask``), a given name
from the gazetteer (``data/first_names.txt``, built from Faker's MIT-licensed lists and the World Gender
Name Dictionary 2.0 by ``scripts/build_name_gazetteer.py``, minus English words). A quoted value under a
key that holds only names (``name``, ``full_name``, ``patient``, ``passenger``, ``assignee``) is a name
when it is 1-3 capitalised words, known or not; under other keys (``subject``, ``product_name``) one word
must be known. A capitalised word with nothing marking it as a name stays.

``refine_names`` runs on every text's findings after analysis: it drops what NER took for a name or a
place where nothing personal is meant (identifiers in code, command lines, a capitalised verb opening an
instruction, a country or city that is not said of a person or part of an address), and extends a list of
names (``Amara, Kofi and Li Wei``) from a name it found.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from otel_genai.redaction._gates import folded_words, gated_recognizer
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.policy import NER_ENTITIES, RedactionPolicy

# NER labels identifiers in code and logs as people and places (`order_id`, `np.arange(0`, `180ms`,
# `CrashLoopBackOff`); names contain no digits, underscores or brackets, nor several inner capitals.
_CODE_LIKE = re.compile(r"[0-9_=(){}\[\]<>/\\@#$%^*+|~`]|\.[a-z]|[a-z][A-Z][a-z]+[A-Z]")


def _word_set(*parts: str) -> frozenset[str]:
    """The words of ``parts``, separated by white space (word lists kept readable, several to a line)."""
    return frozenset(" ".join(parts).split())


# --- what a name looks like -----------------------------------------------------------------------------
# Capitalised words that open a name's place but are never one there (greetings to a group, days,
# sign-off words, pronouns, departments, place suffixes).
_STOP_WORDS = [
    "All",
    "Everyone",
    "Everybody",
    "Team",
    "Teams",
    "There",
    "Folks",
    "Guys",
    "Y'all",
    "Sir",
    "Madam",
    "Customer",
    "Customers",
    "Support",
    "Friend",
    "Friends",
    "World",
    "Hi",
    "Hello",
    "Hey",
    "Dear",
    "Thanks",
    "Thank",
    "Please",
    "Regards",
    "Best",
    "Cheers",
    "Kind",
    "Warm",
    "Many",
    "Sincerely",
    "Yours",
    "Love",
    "Again",
    "Here",
    "Now",
    "Today",
    "Tomorrow",
    "Yesterday",
    "Morning",
    "Afternoon",
    "Evening",
    "Night",
    "Sent",
    "From",
    "To",
    "Subject",
    "Re",
    "Fwd",
    "Fw",
    "Note",
    "Update",
    "Admin",
    "Reception",
    "Accounts",
    "Payroll",
    "Dispatch",
    "Operations",
    "Helpdesk",
    "Management",
    "Administration",
    "Sales",
    "Billing",
    "Engineering",
    "Legal",
    "Finance",
    "Marketing",
    "Product",
    "Security",
    "Ops",
    "IT",
    "HR",
    "Manager",
    "Director",
    "Doctor",
    "Nurse",
    "Patient",
    "Client",
    "User",
    "Users",
    "Member",
    "Guest",
    "Agent",
    "Bot",
    "Assistant",
    "I",
    "Im",
    "The",
    "A",
    "An",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "Its",
    "We",
    "You",
    "They",
    "He",
    "She",
    "My",
    "Our",
    "Your",
    "Their",
    "His",
    "Her",
    "Me",
    "Us",
    "Them",
    "And",
    "Or",
    "But",
    "If",
    "When",
    "So",
    "Yes",
    "No",
    "Ok",
    "Okay",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Street",
    "Road",
    "Avenue",
    "Drive",
    "University",
    "College",
    "Hospital",
    "Clinic",
    "Station",
    "Inc",
    "Ltd",
    "Llc",
    "Corp",
    "Group",
    "Bank",
    "School",
    "Institute",
    "Center",
    "Centre",
    "Dr",
    "Mr",
    "Mrs",
    "Ms",
    "Mx",
    "Prof",
    "Miss",
    "Office",
    "Department",
    "Service",
    "Services",
    "Desk",
    "Account",
    "Order",
    "Ticket",
    "Happy",
    "Sorry",
    "Just",
    "Also",
    "Still",
    "Back",
    "Available",
    "Out",
    "Sure",
    "Great",
    "Good",
    "New",
    "Not",
    "Sick",
    "Home",
    "Done",
    "Ready",
    "Late",
    "On",
    "In",
    "At",
]
_UPPER = r"\p{Lu}"
_LOWER = r"[\p{Ll}\p{M}]"
_STOP = r"(?!(?:" + "|".join(_STOP_WORDS) + r")\b)"
# Amara, O'Connell, McKenzie, Al-Sayed, Jae-won, Chloé, Nguyễn. Possessive repeats: a chain of
# hyphenated parts ("Ab-Ab-Ab-...") is read once, never re-tried part by part (linear time).
_TOKEN = rf"{_STOP}(?:Mc|Mac|O['\u2019])?{_UPPER}{_LOWER}++(?:[\-'\u2019]{_UPPER}?{_LOWER}++)*+"
# where a word starts: not inside one, nor after its hyphen or apostrophe ("Al-|Sayed", "O'|Neil"); a
# pattern tried at every such start reads each chain once
_WORD_START = r"(?<![\p{L}\p{M}])(?<![\p{L}\p{M}][\-'\u2019])"
# a name ends where a word does, or at a possessive: "Ayesha's"
_END = r"(?!\w|['\u2019](?!s\b)\w)"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|do|dos|das|du|la|le|bin|binti|ibn|al|el|ter|ten|y)"
_NAME = rf"{_TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*(?:{_UPPER}\.[ \t]*)?{_TOKEN}){{0,3}}{_END}"
_GAP = r"[ \t]*[:,]?[ \t]+"

# Cues after which any capitalised name is one (case of the cue ignored, of the name kept).
_HONORIFIC = (
    r"\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|Miss|Mme|Mlle|Herr|Frau|Sra|Srta|Rev|Capt|Sgt|Dame|Sir|Khun|Shri|Smt|"
    r"Shrimati|Bapak|Doña|Sheikh|Alhaji|Alhaja|Madame|Monsieur|Mademoiselle|Señora|Señorita|Señor|Senhora|"
    r"Senhor|Dra|Dott\.ssa|Dott|Dottor|Dottoressa|Sig\.(?:ra|na)|Sig|Signora|Signorina|Signor|Mevrouw|Mevr|"
    r"Meneer|Dhr|Fru|Doktor|Dokter|Pani|Sr(?=\.)|mevr|mevrouw|dhr|meneer|"
    # German "Fr." and "Hr.", Indonesian "a.n." (in the name of); Romance titles in lower case inside a
    # sentence: "la signora Giulia De Santis", "el señor Ruiz", "a senhora Costa"
    r"Fr(?=\.)|Hr(?=\.)|a\.n(?=\.)|signora|signorina|signor|se\u00f1ora|se\u00f1orita|se\u00f1or|"
    r"senhora|senhor|madame|monsieur)\.?[ \t]+"
)
# titles that are also words or name parts ("Chief Executive", "Sri Lanka"): the name must be a known one
_SOFT_HONORIFICS = ("Sri", "Pak", "Ibu", "Sr", "Don", "Chief", "Madam", "Pan")
# (and Portuguese "D." of Dona and Dom: "a D. Maria do Carmo")
_SOFT_HONORIFIC = r"\b(?:" + "|".join(_SOFT_HONORIFICS) + r"|D(?=\.[ \t]))\.?[ \t]+"
_POSSESSIVES = ("my", "our", "his", "her", "their", "your")
_RELATION = (
    r"(?i:\b(?:" + "|".join(_POSSESSIVES) + r")[ \t]+"
    r"(?:(?:late|dear|older|younger|elder|little|big|best|great|"
    r"step|ex|twin|new|old)[ \t\-]*)*(?:grand(?:mother|father|ma|pa|mum|mom|dad|son|daughter|child|kid)|"
    r"mother|father|mom|mum|mommy|mummy|dad|daddy|parent|wife|husband|spouse|partner|son|daughter|child|"
    r"kid|baby|brother|sister|sibling|aunt|auntie|aunty|uncle|cousin|nephew|niece|fianc[ée]e?|boyfriend|"
    r"girlfriend|friend|colleague|co-?worker|boss|manager|supervisor|neighbou?r|room-?mate|flatmate|"
    r"landlord|landlady|tenant|client|patient|doctor|nurse|therapist|lawyer|attorney|accountant|teacher|"
    r"tutor|student|assistant|caregiver|carer|(?:mother|father|brother|sister|son|daughter)-in-law)s?)" + _GAP
)
# the possessives of the languages of Europe ("mein", "mi", "mój"), and a relation after one: "Mia madre
# Giuseppina", "mi hermana Lucía", "Mój brat Kacper"
_FOREIGN_POSSESSIVE_WORD = (
    r"(?:mein|meine|meinem|meinen|meiner|unser|unsere|mon|ma|mes|notre|mi|mis|nuestr[oa]|meu|minha|mia|mio|"
    r"mijn|onze|min|mitt|mina|v\u00e5r|m\u00f3j|moja|mojego|mojej)"
)
_FOREIGN_RELATION = (
    r"(?i:\b(?:(?:il|la|o|a)[ \t]+)?" + _FOREIGN_POSSESSIVE_WORD + r"[ \t]+"
    r"(?:mutter|vater|bruder|schwester|sohn|tochter|frau|mann|freund|freundin|kollege|kollegin|oma|opa|"
    r"tante|onkel|cousine?|nachbarin|nachbar|chef|chefin|m\u00e8re|p\u00e8re|fr\u00e8re|s\u0153ur|fils|"
    r"fille|femme|mari|amie?|coll\u00e8gue|grand-m\u00e8re|grand-p\u00e8re|oncle|cousin|voisine?|madre|"
    r"padre|herman[oa]|hij[oa]|espos[oa]|marido|mujer|amig[oa]|compa\u00f1er[oa]|abuel[oa]|t\u00eda|"
    r"t\u00edo|prim[oa]|vecin[oa]|jef[ea]|m\u00e3e|pai|irm\u00e3o|irm\u00e3|filh[oa]|colega|av\u00f3|"
    r"av\u00f4|tia|tio|vizinh[oa]|fratello|sorella|figli[oa]|moglie|marito|amic[oa]|collega|nonn[ao]|"
    r"zi[ao]|cugin[oa]|vicin[oa]|capo|moeder|vader|broer|zus|zoon|dochter|vrouw|man|vriend|vriendin|oma|"
    r"opa|oom|neef|nicht|buurman|buurvrouw|baas|mamma|mor|pappa|far|bror|syster|son|dotter|fru|v\u00e4n|"
    r"kollega|mormor|farmor|morfar|farfar|moster|faster|morbror|farbror|kusin|granne|mama|matka|tata|"
    r"ojciec|brat|siostra|syn|c\u00f3rka|\u017cona|m\u0105\u017c|przyjaciel|przyjaci\u00f3\u0142ka|kolega|"
    r"kole\u017canka|babcia|dziadek|ciocia|wujek|kuzynka|kuzyn|s\u0105siadka|s\u0105siad|szefowa|szef))"
    r"[ \t]*,?[ \t]+"
)
# a relation word alone before a capitalised name: "Wife Sigrid at bedside", "son Tevita will pick up"
_BARE_RELATION_WORDS = _word_set(
    "wife husband partner spouse son daughter mother father mum mom dad sister brother aunt uncle",
    "grandmother grandfather cousin niece nephew friend colleague boss manager neighbour neighbor",
    # the same in the languages of Europe: "Contacto: hija Paz", "Tochter Summer", "córka Joy"
    "hija hijo esposa esposo marido madre padre hermana hermano nieta nieto sobrina sobrino filha filho "
    "esposa mãe irmã irmão neta neto figlia figlio moglie marito sorella fratello nipote tochter sohn "
    "ehefrau ehemann mutter vater schwester bruder enkelin enkel fille épouse mère père sœur frère "
    "dochter zoon echtgenote echtgenoot moeder vader broer córka żona mąż matka ojciec siostra "
    "dotter hustru maka syster bror",
)
_BARE_RELATION = r"(?i:\b(?:" + "|".join(sorted(_BARE_RELATION_WORDS)) + r"))[ \t]*,?[ \t]+"
_STRONG_CUE = (
    r"(?i:\b(?:cc|bcc|attn|attention|signed|my[ \t]+name[ \t]+is|my[ \t]+name's|name[ \t]+is|"
    r"this[ \t]+is[ \t]+(?:dr|mr|mrs|ms)|on[ \t]+behalf[ \t]+of|c/o|assigned[ \t]+to|"
    r"(?:reported|requested|submitted|approved|escalated|assigned|raised|reviewed|handled|resolved|authored|"
    r"referred|prepared|logged|triaged|countersigned)[ \t]+by|escalated[ \t]+to|handed[ \t]+over[ \t]+to|"
    r"forwarded[ \t]+to|spoke[ \t]+(?:to|with)|speak[ \t]+(?:to|with)|talked[ \t]+(?:to|with)|"
    r"met[ \t]+with|married[ \t]+to|care[ \t]+of|sign[ \t]+it(?:[ \t]+as)?|"
    r"under[ \t]+the[ \t]+name(?:[ \t]+of)?|"
    # a record's or a moderator's note: "Full name Blessing Okoro", "real name Rose Otieno"
    r"(?:full|real|legal|birth|maiden)[ \t]+name|"
    r"(?:a|en)[ \t]+nombre[ \t]+de|au[ \t]+nom[ \t]+de|im[ \t]+namen[ \t]+von|"
    # "my name is" in the languages of Europe: "je m'appelle", "ich heiße", "me llamo", "nazywam się"
    r"je[ \t]+m['\u2019][ \t]*appelle|ich[ \t]+hei(?:ße|sse)|mein[ \t]+name[ \t]+ist|me[ \t]+llamo|"
    r"mi[ \t]+nombre[ \t]+es|me[ \t]+chamo|chamo-me|meu[ \t]+nome[ \t]+é|mi[ \t]+chiamo|"
    r"il[ \t]+mio[ \t]+nome[ \t]+è|ik[ \t]+heet|mijn[ \t]+naam[ \t]+is|jag[ \t]+heter|"
    r"mitt[ \t]+namn[ \t]+är|nazywam[ \t]+się|mam[ \t]+na[ \t]+imię)\b\.?)" + _GAP
)
_GREETING_WORD = (
    # a chat line's speaker label may come first: "user: hi this is ..."
    r"(?i:(?:^|(?<=[\n.!?:][ \t]{0,8}))(?:hi|hello|hey|hiya|dear|good[ \t]+(?:morning|afternoon|evening)|"
    r"morning|thanks|thank[ \t]+you|thx|cheers|welcome|congrats|congratulations|"
    # the languages of Europe: "Hej Elin!", "Liebe Anna,", "Beste Sanne,", "Prezado João"
    r"hej|hallo|hola|ol\u00e1|bonjour|salut|ciao|buongiorno|hoi|witaj|moin|servus|liebe|lieber|querida|"
    r"querido|cara|caro|ch\u00e8re|cher|beste|estimad[oa]|prezad[oa]|gentile|szanown[ay]|geachte|"
    # Turkish and Indonesian: "Merhaba Elif", "Halo kak Budi"
    r"merhaba|selam|halo|"
    # Portuguese and Polish: "oi! aqui é a ...", "dzień dobry, tu ..."
    r"oi|dzie\u0144[ \t]+dobry))"
)
_GREETING = _GREETING_WORD + r"[ \t]*,?[ \t]+"
# "Hi, this is Anh" / "hello its kemal": who writes introduces themself
_SELF_INTRO = (
    _GREETING_WORD + r"[ \t]*[,!.]?[ \t]+(?i:this[ \t]+is|it's|it\u2019s|its|it[ \t]+is|i'm|i\u2019m|im|"
    r"i[ \t]+am|my[ \t]+name[ \t]+is|my[ \t]+name's|"
    # the same in the languages of Europe: "aqui é a", "soy", "je suis", "ich bin", "sono", "tu" (Polish)
    r"aqui[ \t]+(?:\u00e9|es)(?:[ \t]+[ao])?|sou(?:[ \t]+[ao])?|soy|je[ \t]+suis|c['\u2019]est|ich[ \t]+bin|"
    r"hier[ \t]+ist|sono|jestem|tu|ik[ \t]+ben|jag[ \t]+\u00e4r|ben)[ \t]+"
)
# the lead of a key-value pair naming a person: `"name": "..."`, `contact_name="..."`, `author='...'`
_KEY_WORD = r"(?:name|author|assignee|reporter|owner|requester|recipient|holder)"
# who a name key is about, when it has a prefix: `customer_name`, `guestName` (not `product_name`)
_PERSONAL_PREFIX = (
    r"(?:customer|patient|contact|guest|employee|user|member|client|passenger|owner|author|sender|recipient|"
    r"account_?holder|card_?holder|holder|account|traveller|traveler|applicant|tenant|student|teacher|"
    r"doctor|physician|driver|buyer|seller|caller|agent|reviewer|approver|requester|reporter|assignee|"
    r"beneficiary|insured|policy_?holder|subscriber|visitor|donor|parent|guardian|spouse|partner|father|"
    r"mother|emergency_?contact|kin|billing|shipping|legal|preferred|middle|maiden|nick|person|candidate|"
    r"resident|staff|attendee|participant|speaker|manager|supervisor|signer|signatory|witness|cardholder)_?"
)
# the key word first (fast to rule out), then a look back at the whole key
_NAME_KEY = (
    rf"(?i:{_KEY_WORD}(?<=(?<![\w-]){_PERSONAL_PREFIX}?(?:full_?|first_?|last_?|given_?|family_?|display_?|"
    rf"sur|card_?)?{_KEY_WORD}))"
)
_KEY_VALUE = rf"{_NAME_KEY}[\"']?[ \t]*[:=][ \t]*[\"']"
# `lastName: "Vainikolo"`, `surname='Ng'`: one capitalised word is a part of a name
_PART_KEY = (
    r"(?i:name(?<=(?<![\w-])(?:[a-z]+_)?(?:first|given|last|family|sur)_?name)|surname(?<=(?<![\w-])surname)|"
    r"(?:first|last)(?<=(?<![\w-])(?:first|last)))"
    r"[\"']?[ \t]*[:=][ \t]*[\"']"
)
# keys whose value is a person in any case style: subject=, "patientName":, customer_full_name=
_PERSON_KEY_WORD = (
    r"(?:name|subject|patient|customer|holder|contact|assignee|author|owner|user|requester|passenger|guest|"
    r"employee|person|client|member|recipient|sender|reporter|approver|reviewer|driver|tenant|applicant|"
    r"caller|callee|agent|nurse|doctor|by)"
)
_PERSON_KEY = (
    rf"(?i:{_PERSON_KEY_WORD}(?<=(?<![\w-])[a-z_]{{0,24}}{_PERSON_KEY_WORD})[a-z_]{{0,16}}(?![\w-]))"
    r"[\"']?[ \t]*[:=][ \t]*[\"']"
)
# keys that only ever hold a person's name: any 1-3 capitalised words under them are one (`"name": "Fatou"`,
# `patient='Tsegaye Worku'`), known or not; other keys (subject, title, product) need a known name
_PERSONAL_KEY = (
    r"(?i:(?<![\w-])(?:name|full_?name|first_?name|last_?name|surname|given_?name|patient(?:_?name)?|"
    r"customer_?name|passenger(?:_?name)?|guest_?name|employee_?name|account_?holder(?:_?name)?|"
    r"holder_?name|contact_?name|assignee))[\"']?[ \t]*[:=][ \t]*[\"']"
)
_PERSONAL_KEY_WORD_VALUE = (
    rf"{_STOP}\p{{Lu}}\p{{Ll}}[\p{{L}}\p{{M}}]*+(?:['\u2019\-]\p{{L}}[\p{{L}}\p{{M}}]*+)*+"
)
_PERSONAL_KEY_VALUE = (
    rf"{_PERSONAL_KEY_WORD_VALUE}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_PERSONAL_KEY_WORD_VALUE}){{0,2}}(?=[\"'])"
)
_QUOTED_WORD = r"\p{Lu}[\p{L}\p{M}]*+(?:['\u2019\-.]\p{L}[\p{L}\p{M}]*+)*+\.?"
_QUOTED_WORD_PLAIN = r"\p{Lu}[\p{Ll}\p{M}]++(?:['\u2019\-]\p{L}[\p{Ll}\p{M}]*+)*+"
_QUOTED_NAME = rf"{_QUOTED_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_QUOTED_WORD}){{1,4}}(?=[\"'])"
# a string literal that opens a call's or SQL VALUES' arguments, or follows a comma in them
_LITERAL_START = (
    r"(?:(?<=[\w\]]\([ \t]{0,8})|(?i:\bvalues[ \t]*\([ \t]*)|(?<=\([^()\n]{0,80},[ \t]{0,8}))[\"']"
)
# 2-3 capitalised words, then the closing quote or an e-mail address: "Nkem Obi <n@x.example>"
_LITERAL_NAME = (
    rf"{_QUOTED_WORD_PLAIN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_QUOTED_WORD_PLAIN}){{1,2}}"
    r"(?=[\"']|[ \t]+<[^>\s]+@)"
)
# a role and a name: "Customer Haruto Watanabe says", "patient Hinemoa Tane" (one word must be a known name)
_ROLE = (
    r"(?i:\b(?:customer|patient|client|user|caller|guest|tenant|applicant|candidate|employee|passenger|"
    r"student|resident|contact|member|driver|buyer|seller|recipient|beneficiary|holder|cardholder|"
    r"subscriber|visitor|donor|claimant|insured|policyholder|traveller|traveler)s?)[ \t]*:?[ \t]+"
)
_FOREIGN_SIGN_OFF = (
    r"merci|gracias|danke|grazie|obrigad[oa]|saludos|groetjes|h\u00e4lsningar|mvh|talofa|cheers|thx|ta|asante|"
    # Indonesian and Malay, Turkish
    r"salam|hormat[ \t]+kami|terima[ \t]+kasih|sayg\u0131lar\u0131m(?:\u0131z)?la|te\u015fekk\u00fcrler|"
    r"bises|bisous|besos|abrazos|un[ \t]+abrazo|cordialement|amiti\u00e9s|atenciosamente|abra\u00e7os|"
    r"(?:liebe|viele|beste|herzliche|sch\u00f6ne)[ \t]+gr\u00fc(?:\u00df|ss)e|lg|mfg|groeten|saluti|"
    r"un[ \t]+saluto|kram|kramar|pozdrawiam|pozdrowienia|z[ \t]+powa\u017caniem|atentamente|"
    r"cordiali[ \t]+saluti|distinti[ \t]+saluti|met[ \t]+vriendelijke[ \t]+groet(?:en)?|"
    r"mit[ \t]+freundlichen[ \t]+gr\u00fc(?:\u00df|ss)en|(?:med[ \t]+)?v\u00e4nliga[ \t]+h\u00e4lsningar"
)
# the sign-off words of a letter ("Kind regards", "Liebe Grüße"): never a name themselves
_SIGN_OFF_WORDS = (
    r"(?:(?:kind|warm|warmest|best|many|with)[ \t]+(?:regards|wishes|thanks)|regards|best|thanks|"
    r"thank[ \t]+you|sincerely|yours(?:[ \t]+(?:truly|sincerely|faithfully))?|warmly|take[ \t]+care|love|"
    r"respectfully|talk[ \t]+soon|" + _FOREIGN_SIGN_OFF + r")"
)
_SIGN_OFF = (
    r"(?i:\b(?:regards|best|cheers|thanks|thank[ \t]+you|many[ \t]+thanks|sincerely|yours(?:[ \t]+"
    r"(?:truly|sincerely|faithfully))?|best[ \t]+wishes|warmly|take[ \t]+care|love|all[ \t]+the[ \t]+best|"
    r"respectfully|talk[ \t]+soon|signed|" + _FOREIGN_SIGN_OFF + r")[ \t]*[,.!:\-]?[ \t]*\r?\n[ \t]*)"
)
_HEADER = (
    r"(?im:(?:^[ \t>]*|(?<=[.;][ \t]{1,8}))(?:from|to|cc|bcc|reply-to|sender|author|reporter|assignee|owner|"
    r"requester|customer|patient|client|contact|(?:full[ \t]+|first[ \t]+|last[ \t]+)?name(?:[ \t]+on[ \t]+"
    r"(?:the[ \t]+)?(?:account|card|file|booking|order|reservation|ticket|policy|lease))?|"
    r"(?:account|card)[ \t]*holder|caller|agent|attendees?|participants?|signed|guest|"
    r"tenant|employee|member|applicant|candidate|user)[ \t]*:[ \t]*)"
)
_KIN = (
    r"(?i:\b(?:next[ \t]+of[ \t]+kin|nok|emergency[ \t]+contact|guardian)[ \t]*[:\-]?[ \t]*"
    r"(?:(?:wife|husband|spouse|partner|mother|father|mum|mom|dad|son|daughter|brother|sister|friend|aunt|"
    r"uncle|grandmother|grandfather|grandson|granddaughter|niece|nephew|cousin|fianc[ée]e?)"
    r"[ \t]*[,:\-][ \t]*)?)"
)
_STRONG_PATTERNS = (
    ("honorific", rf"{_HONORIFIC}\K{_NAME}", 0.85),
    # romanized Korean and Chinese given names with a surname: "Jae-won Park", "Mei-ling Chen"
    (
        "hyphenated_given_name",
        rf"\b{_UPPER}\p{{Ll}}{{1,4}}-(?!(?:up|in|on|off|out|by|to|of|all)\b)"
        rf"\p{{Ll}}{{2,4}}[ \t]+{_TOKEN}{_END}",
        0.7,
    ),
    ("relation", rf"{_RELATION}\K{_NAME}", 0.85),
    ("foreign_relation", rf"{_FOREIGN_RELATION}\K{_NAME}", 0.8),
    # (an initial, a particle and a surname, "P. de Vries", is bare_names.py's ``initials`` rule)
    ("cue", rf"{_STRONG_CUE}\K{_NAME}", 0.8),
    # the name must end the greeting: "Hi Oluwaseun," / "Dear Ms Nakamura" (honorific above)
    ("greeting", rf"{_GREETING}\K{_NAME}(?=[ \t]*(?:[,!:.\-\u2014\u2013]|\r?\n|$))", 0.8),
    ("signature", rf"{_SIGN_OFF}\K{_NAME}(?=[ \t]*(?:[,|]|\r?\n|$))", 0.8),
    ("dash_signature", rf"(?:^|[ \t])(?:[\u2014\u2013]|--)[ \t]*\K{_NAME}(?=[ \t]*\Z)", 0.7),
    ("header", rf"{_HEADER}\K{_NAME}", 0.8),
    ("self_intro", rf"{_SELF_INTRO}\K{_NAME}", 0.8),
    ("key_value", rf"{_KEY_VALUE}\K{_QUOTED_NAME}", 0.75),
    ("name_part_value", rf"{_PART_KEY}\K{_TOKEN}(?=[\"'])", 0.75),
    ("bare_relation", rf"{_BARE_RELATION}\K{_NAME}", 0.8),
    # "Gracias, Valentina" ending a text; a last line of a name after a line ending with a comma
    (
        "sign_off_comma",
        rf"(?:^|(?<=[.!?][ \t]{{0,8}}))(?i:{_SIGN_OFF_WORDS})[ \t]*,[ \t]*\K{_NAME}"
        r"(?=[ \t]*[.!]?[ \t]*\Z)",
        0.8,
    ),
    ("last_line", rf",[ \t]*\r?\n[ \t]*\K{_TOKEN}(?:[ \t]+{_TOKEN}){{0,2}}{_END}(?=[ \t]*\Z)", 0.7),
    # "Sunny and I", "me and Will": a person beside the writer
    ("and_i", rf"(?:^|(?<=[\n.!?][ \t]{{0,8}})){_NAME}(?=[ \t]+and[ \t]+(?:I|me)\b)", 0.7),
    ("and_me", rf"(?i:\b(?:me|I)[ \t]+and[ \t]+)\K{_NAME}", 0.7),
    # a note's next of kin: "NOK: wife, Funmilayo", "emergency contact: husband - Tariq"
    ("kin", rf"{_KIN}\K{_NAME}", 0.75),
)
# "Joy from billing said": a name, then a team in lower case
_DEPARTMENT = (
    r"[ \t]+from[ \t]+(?:the[ \t]+)?(?:billing|support|sales|accounts|finance|payroll|HR|legal|IT|"
    r"marketing|engineering|ops|operations|procurement|compliance|security|dispatch|logistics|reception|"
    r"admin|facilities|front[ \t]+desk|help[ \t]?desk|customer[ \t]+(?:service|care|success)|"
    r"accounting|pharmacy|radiology|the[ \t]+(?:office|team|clinic|bank))\b"
    # or its department in brackets: "done with Joy (HR)", "ask Faith (Finance)"
    r"|[ \t]+\((?:HR|IT|Finance|Payroll|Legal|Sales|Support|Billing|Marketing|Recruiting|Recruitment|"
    r"Ops|Operations|Compliance|Procurement|Accounts|Reception|Admin|People|Talent)\)"
)
# Weak cues: the name's first word must be a given name of the gazetteer ("this is Python" stays).
_WEAK_CUE = (
    r"(?i:\b(?:this[ \t]+is|it's|it[ \t]+is|it\u2019s|i'm|i\u2019m|i[ \t]+am|im|called|named|ask|asked|"
    r"tell|told|"
    r"with|ping|call|email|e-mail|message|text|contact|thank|remind|invite|according[ \t]+to|let|"
    r"meet|met|saw|visit|visited|introduce|introducing)\b)"
    r"[ \t]*,?[ \t]+"
)
_PERSON_VERB = (
    r"(?:said|says|asked|asks|called|calls|moved|lives|lived|wrote|writes|emailed|texted|replied|"
    r"mentioned|told|tells|wants|wanted|needs|needed|thinks|thought|reported|joined|left|prefers|"
    r"approved|signed|booked|paid|ordered|complained|confirmed|requested|sent|shared|promised|agreed|"
    r"invited|visited|started|works|worked|studies|studied|got|had|has[ \t]+been|was[ \t]+born|reviews|"
    r"reviewed|approves|signs|checks|checked|replies|answers|answered|confirms|decides|decided|owns|"
    r"handles|handled|agrees|prefers|is[ \t]+"
    r"(?:allergic|pregnant|sick|unwell|feeling|turning|moving|recovering|my|our|his|her))"
)
# cues of who acted in a log or a ticket; the name after them may be in lower case
_ACTOR_CUE = (
    r"(?:(?i:\b(?:reported|requested|submitted|approved|escalated|assigned|raised|reviewed|handled|resolved|"
    r"closed|opened|created|updated|merged|edited|deleted|acknowledged|claimed|reassigned)[ \t]+by)"
    r"[ \t]*[:=]?[ \t]*|"
    r"(?i:\b(?:changed|reassigned|transferred|moved)[ \t]+from)[ \t]+(?=\p{L}[\p{L}\p{M}]*+[ \t]+to\b)|"
    r"(?i:\bto)(?<=(?i:\b(?:changed|reassigned|transferred)[ \t]+from[ \t]+[\p{L}\p{M}]{1,30}[ \t]+to))"
    r"[ \t]+|"
    r"\b(?:TODO|FIXME|XXX|HACK)\([ \t]*|(?<![\w.@])@|(?i:\bassignee)[ \t]*[:=][ \t]*|"
    r"(?i:^[ \t>]*from)[ \t]+(?=\p{L}[\p{L}\p{M}]*+[ \t]*:))"
)
_WEAK_PATTERNS = (
    ("weak_cue", rf"{_WEAK_CUE}\K{_NAME}", 0.7),
    # no cue at all: a given name of the gazetteer followed by a capitalised surname
    # a given name doing what people do: "Amara moved to Lagos", "Kofi said ..."
    ("given_name_verb", rf"\b{_WORD_START}{_TOKEN}(?=[ \t]+{_PERSON_VERB}\b)", 0.6),
    (
        "full_name",
        rf"\b{_WORD_START}{_TOKEN}[ \t]+(?:{_PARTICLE}[ \t]+)*(?:{_UPPER}\.[ \t]*)?{_TOKEN}{_END}",
        0.6,
    ),
    # lower case, but after a cue that only a name follows: "my friend kemal", "hi its thandiwe"
    (
        "lower_case",
        rf"(?:{_RELATION}|{_SELF_INTRO}|(?i:\bmy[ \t]+name[ \t]+is[ \t]+))"
        r"\K\p{Ll}[\p{Ll}\p{M}]+(?![\w'\u2019])",
        0.7,
    ),
    ("key_value_given_name", rf"{_KEY_VALUE}\K{_TOKEN}(?=[\"'])", 0.7),
    ("person_key_given_name", rf"{_PERSON_KEY}\K{_TOKEN}(?=[\"'])", 0.7),
    # "Ayodele here.", "it's Ayodele here": who writes says who they are
    (
        "name_here",
        rf"(?:^|(?<=[\n.!?][ \t]{{0,8}})|(?i:\b(?:it's|it\u2019s|its|this[ \t]+is)[ \t]+)){_NAME}"
        r"(?=[ \t]+here\b[ \t]*(?:[.,!:;\-\u2014\u2013]|\r?\n|\Z))",
        0.7,
    ),
    # an actor in a log or a ticket, in lower case: "escalated by sunita", "TODO(ahmed)", "@farid"
    ("actor_lower_case", rf"{_ACTOR_CUE}\K\p{{L}}[\p{{Ll}}\p{{M}}]++(?![\w'\u2019@]|\.\w)", 0.7),
    # "Sri Ramesh" but not "Sri Lanka"
    ("soft_honorific_given_name", rf"{_SOFT_HONORIFIC}\K{_NAME}", 0.75),
)
# Any word of the name is a known given name or surname: a role before it, or a given name that is also a
# word ("Grace", "Will") before a surname.
_KNOWN_NAME_PATTERNS = (
    ("role", rf"{_ROLE}\K{_TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_TOKEN}){{1,2}}{_END}", 0.7),
    # "Chief Okonkwo", "Pak Budi" ("Sri" only before a given name: the pattern of the gazetteer recognizer)
    # (a name with particles too: "D. Maria do Carmo Vasconcelos")
    (
        "soft_honorific",
        rf"(?!Sri\b){_SOFT_HONORIFIC}\K{_TOKEN}"
        rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+)+{_TOKEN}(?:[ \t]+{_TOKEN})?|(?:[ \t]+{_TOKEN})?){_END}",
        0.75,
    ),
    # a person's name as a quoted value: subject="Kemal Aydoğan", "customerName": "Nkem Obi"
    ("person_key_value", rf"{_PERSON_KEY}\K{_LITERAL_NAME}", 0.75),
    # a string literal of a call or of SQL VALUES: assertEquals("Nkem Obi <...>", ...)
    ("literal", rf"{_LITERAL_START}\K{_LITERAL_NAME}", 0.7),
)
# --- the places of a person -----------------------------------------------------------------------------
_PLACE_STOP = (
    r"(?!(?:The|A|An|This|That|These|Those|My|Our|His|Her|Their|Your|I|It|And|Or|But|In|On|At|To|For|"
    r"Next|Last|Every|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|"
    r"April|June|July|August|September|October|November|December)\b)"
)
_PLACE_TOKEN = (
    rf"(?:{_PLACE_STOP}{_UPPER}{_LOWER}++(?:[\-'\u2019]{_UPPER}?{_LOWER}++)*+|{_UPPER}{{2,3}}(?![\w'\u2019]))"
)
_PLACE_PART = (
    rf"{_PLACE_TOKEN}(?:[ \t]+(?:(?:de|do|da|del|upon|on|am|la|el|al|of)[ \t]+)?{_PLACE_TOKEN}){{0,2}}"
)
# "Johor Bahru, Malaysia", "Rotorua, New Zealand", "Manchester, UK"
_PLACE = rf"{_PLACE_PART}(?:,[ \t]*{_PLACE_PART})?(?!\w|['\u2019]\w)"  # a closing quote may follow
# what a person does at a place: lives, moved, was born, flies home, travels, "I'm in"
_PLACE_CUE = (
    r"(?i:\b(?:live[sd]?|living|moved|moving|move|relocat(?:ed|ing|es?)|based|born|raised|grew[ \t]+up|"
    r"resides?|residing|settled|home|hometown|flies|fly|flying|flew|travel(?:s|led|ed|ling|ing)?|"
    r"commutes?|commuting|staying|stays?|stayed|landed|arriv(?:ed|ing|es?)|visiting|heading|headed|"
    r"returning|returned|i'm|i\u2019m|i[ \t]+am|im|we're|we[ \t]+are|he's|she's|"
    r"he[ \t]+is|she[ \t]+is|they're|they[ \t]+are)(?:[ \t]+(?:back|home|here|now|currently|still|out|"
    r"over|up|down|mostly|originally|permanently|again|in|off|away|recently|just))*[ \t]+"
    r"(?:in|to|from|at|near|outside|around)"
    r"[ \t]+)"
)
# a place key of a person's record in the languages of Europe, Turkish and Indonesian
_FOREIGN_PLACE_KEYS = (
    r"wohnort|stadt|ville|ciudad|cidade|citt\u00e0|woonplaats|miasto|miejscowo\u015b\u0107|ort|ikamet|"
    r"\u0130kamet|\u015fehir|sehir|kota|domicile|domicilio|residencia|resid\u00eancia|residenza|naturalidade|bostad"
)
# a field of a record: `City: Manchester, UK`, `"city": "Recife"`
# the prefix of a key that says whose place it is: `MailingCity=`, `home_city:`, `profile_country=`
_PLACE_KEY_PREFIX = (
    r"(?:(?:mailing|billing|shipping|home|birth|current|user|customer|profile|residence|delivery|postal|"
    r"contact|client|patient|member|account)[ _]?)?"
)
_PLACE_FIELD_KEYS = (
    r"[\"']?(?:" + _PLACE_KEY_PREFIX + r"(?:city|town|hometown|home[ _]town|birthplace|place[ _]of[ _]birth|"
    r"country[ _]of[ _]residence|residence)|"
    + _PLACE_KEY_PREFIX.removesuffix("?")
    + r"(?:country|region|state|province|county))[\"']?"
)
# a key opening a line or a field (`City: Recife`, `{"city": "Recife"`), or of a log's key=value pairs
_PLACE_FIELD = (
    r"(?im:(?:(?:^[ \t>]*|(?<=[,{;(&?][ \t]{0,8}))"
    + _PLACE_FIELD_KEYS
    + r"[ \t]*[:=]|(?<=\s)"
    + _PLACE_FIELD_KEYS
    + r"=)[ \t]*[\"']?)"
)
# fields that hold a place in a person's record, but also in other records ("Location: Room B"): a place
# under them is personal only when a person is named in the text
_PERSON_PLACE_FIELD = (
    r"(?im:(?:^[ \t>]*|(?<=[\s,{;(&?][ \t]{0,8}))[\"']?" + _PLACE_KEY_PREFIX + r"(?:country|"
    r"location(?:[ \t]+given)?|region|state|province|county|city|town|hometown|residence|"
    # the same keys in the languages of Europe, Turkish and Indonesian: "Wohnort: Graz", "İkamet: Bursa"
     + _FOREIGN_PLACE_KEYS + r")[\"']?[ \t]*[:=]"
    r"[ \t]*[\"']?)"
)
# "a woman from Mombasa"
_PERSON_NOUNS = (
    "man",
    "woman",
    "boy",
    "girl",
    "patient",
    "customer",
    "client",
    "guest",
    "user",
    "passenger",
    "caller",
)
_PLACE_PATTERNS = (
    ("place_cue", rf"{_PLACE_CUE}\K{_PLACE}", 0.6),
    # "moved from Gothenburg to Oslo"
    ("place_pair", rf"{_PLACE_CUE}{_PLACE}[ \t]+(?:to|and|or)[ \t]+\K{_PLACE}", 0.6),
    ("place_field", rf"{_PLACE_FIELD}\K{_PLACE}", 0.6),
    ("person_place_field", rf"{_PERSON_PLACE_FIELD}\K{_PLACE}", 0.55),
    # "holder Ingrid Vik of Tromsø, Norway", "Dr. Adeyemi from Ibadan", "a woman from Mombasa"
    (
        "place_of_a_person",
        rf"(?:{_ROLE}|{_HONORIFIC}){_TOKEN}(?:[ \t]+{_TOKEN}){{0,2}}[ \t]+(?:of|from)[ \t]+\K{_PLACE}",
        0.6,
    ),
    (
        "place_of_a_person_noun",
        r"(?i:\b(?:" + "|".join(_PERSON_NOUNS) + r")[ \t]+from[ \t]+)"
        rf"\K{_PLACE}",
        0.6,
    ),
)

# the verbs of living somewhere of the languages of Europe, conjugated (said of a person), then a
# preposition of place: "wohne seit März in", "j'habite à", "vive en", "mora em", "abito a", "woont in",
# "bor i", "mieszkam w"; in lower case (a capital would read "NATO" as "nato")
_FOREIGN_RESIDENCE_VERBS = _word_set(
    "wohne wohnt wohnen wohnte wohnten lebe lebt leben lebte lebten umgezogen geboren aufgewachsen habite "
    "habites habitons habitez habitent habitais habitait vis vit vivons vivez vivent originaire vivo vive "
    "wohn "
    "vives vivimos viven vivono viviamo resido reside residen mudei mudou moro mora moras moramos moram "
    "nasci nasceu abito abita abiti abitiamo abitano nato nata trasferito trasferita woon woont wonen "
    "woonde verhuisd bor bodde flyttar flyttade mieszkam mieszka mieszkamy "
    # being, arriving or travelling somewhere: "estou em", "estoy de viaje en", "llego a", "kommer till"
    "estou estoy estamos viaje viagem viaggio llego llega llegamos chego chegou chegamos kommer verhuist "
    "verhuizen verhuizing reise reisen sono soy sou "
    # "je suis à Dakar", "har flyttet til Tromsø", "viaja seguido a Bogotá", "natural de Fortaleza"
    "suis sommes flyttet flyttat flyttede flytter viaja viajo viajamos viajan viajou natural naturale "
    "oriundo oriunda",
    # a resident's or a stay's words: "residente a Bari", "domiciliada en", "ik zit die dag in", "estancia en"
    "residente residenti domiciliato domiciliata domiciliado domiciliada zit zitten soggiorno estancia "
    "estadia",
    # a stay, a move or a future stay: "son séjour à Marseille", "se muda a Medellín", "sarò a Torino",
    # "zieht nach Graz", "se traslada a Vigo"
    "s\u00e9jour sejour aufenthalt muda mudo mudamos mudan mudar\u00e1 traslada trasladamos trasladan "
    "sar\u00f2 sar\u00e0 saremo saranno zieht ziehe ziehen gezogen",
    # Indonesian and Malay: "tinggal di Bandung", "lahir di Medan", "pindah ke Surabaya", "berasal dari"
    "tinggal berdomisili domisili lahir pindah berasal menetap",
    # "wohnhaft in Graz", "saya lagi di Denpasar", "siamo di Bologna", "nous arrivons de Marseille"
    "wohnhaft lagi sedang siamo arrivons arriviamo llegamos venimos",
)
_FOREIGN_RESIDENCE_CUE = (
    r"(?<!\w)(?:"
    + "|".join(
        f"[{verb[0]}{verb[0].upper()}]{verb[1:]}"  # a verb opening a sentence too: "Bor numera i Malmö"
        for verb in sorted(_FOREIGN_RESIDENCE_VERBS, key=lambda verb: (-len(verb), verb))
    )
    + r"|d\u00e9m\u00e9nag\w*|n\u00e9e?|mud(?:\u00e9|\u00f3)|nac(?:\u00ed|i\u00f3)|f\u00f6dd|"
    r"mieszkaj\u0105|mieszka\u0142[ae]?m?|przeprowadzi\w*|urodzi\w*|pochodz\w*|install\u00e9e?s?)"
    r"(?:-(?:se|me|nos))?"
    # up to four words between: "né le 3 juin 1983 à", "nata il 5 maggio 1958 a"
    r"(?:[ \t]+[^\s.,;!?]+){0,4}?[ \t]+(?:in|nach|aus|\u00e0|a|au|aux|en|em|no|na|nel|nella|i|w|we|z|ze|"
    r"de|uit|fr\u00e5n|para|naar|till|til|di|ke|dari)[ \t]+(?:(?:o|el|la|le)[ \t]+)?"
)
_TURKISH_PLACE = r"(?<![\w'\u2019])\p{Lu}[\p{Ll}\p{M}]+(?:[ \t]+\p{Lu}[\p{Ll}\p{M}]+)?"
_HOME_KEY = r"(?:^|(?<=[\s,;|(]))(?i:home)[ \t]*:[ \t]*"
_TURKISH_RESIDENCE_AFTER = (
    r"['\u2019](?:de|da|te|ta|den|dan|ten|tan|a|e|ya|ye)[ \t]+(?:[\p{Ll}\p{M}]+[ \t]+)?"  # a word between
    r"(?:otur|ya[\u015fs][\u0131i]|ikamet|do[\u011fg]|b[\u00fcu]y[\u00fcu]|ta[\u015fs][\u0131i]n)\w*"
)
# a place in lower case, or a place NER does not know, where a place is said of a person: "lives in
# durban", `city=durban`; the recognizer keeps only places of the gazetteer
_PLACE_LOWER_WORD = r"\p{Ll}[\p{Ll}\p{M}]{2,}+"
_PLACE_LOWER_END = r"(?![\w'\u2019\-])"
_KNOWN_PLACE_PATTERNS = (
    ("known_place_cue", rf"{_PLACE_CUE}\K{_PLACE_LOWER_WORD}{_PLACE_LOWER_END}", 0.6),
    (
        "known_place_cue",
        rf"{_PLACE_CUE}\K{_PLACE_LOWER_WORD}[ \t]+{_PLACE_LOWER_WORD}{_PLACE_LOWER_END}",
        0.6,
    ),
    ("known_place_field", rf"{_PERSON_PLACE_FIELD}\K{_PLACE_LOWER_WORD}{_PLACE_LOWER_END}", 0.55),
    ("known_place_foreign", rf"{_FOREIGN_RESIDENCE_CUE}\K{_PLACE}", 0.6),
    # in lower case, as chat writes: "vivo en medellín" (a place of the gazetteer only)
    ("known_place_foreign", rf"{_FOREIGN_RESIDENCE_CUE}\K{_PLACE_LOWER_WORD}{_PLACE_LOWER_END}", 0.6),
    # a person's record: "Home: Muscat" (a place of the gazetteer only: "Home: Settings" is a page)
    ("known_place_home", rf"{_HOME_KEY}\K{_PLACE}", 0.55),
    # Turkish says where with a suffix, then the verb: "Izmir'de oturuyorum" (I live in Izmir), "Bursa'da
    # ya\u015f\u0131yor", "Konya'da do\u011fdum"
    ("known_place_turkish", rf"{_TURKISH_PLACE}(?={_TURKISH_RESIDENCE_AFTER})", 0.6),
)

# "Joy from billing", "Hope from accounts": a given name or a name that is also a word, then a team
_TEAM_PATTERNS = (("name_from_team", rf"\b{_WORD_START}{_TOKEN}(?={_DEPARTMENT})", 0.7),)
_WORD_NAME_PATTERNS = (("word_name_surname", rf"\b{_WORD_START}{_TOKEN}[ \t]+{_TOKEN}{_END}", 0.65),)
# a booking in a name: "reserved for Hunter Young", "table booked for Amina"
_BOOKED_FOR_WORDS = ("booked", "reserved", "booking", "reservation", "held", "table", "room")
_BOOKED_FOR = (
    r"(?i:\b(?:" + "|".join(_BOOKED_FOR_WORDS) + r")[ \t]+(?:is[ \t]+|was[ \t]+)?"
    r"(?:for|under))[ \t]+"
)
_BOOKING_PATTERNS = (("booked_for", rf"{_BOOKED_FOR}\K{_NAME}", 0.7),)

# Product and tool names that are also given names: redacted only after a strong cue.
_NOT_PEOPLE = frozenset(
    [
        "claude",
        "gemini",
        "mistral",
        "alexa",
        "siri",
        "cortana",
        "julia",
        "ada",
        "pascal",
        "haskell",
        "hugo",
        "jasper",
        "jenkins",
        "kafka",
        "sage",
        "llama",
        "bard",
        "grok",
        "tesla",
        "mercedes",
        "ubuntu",
        "debian",
        "fedora",
        "sierra",
        "ventura",
        "monterey",
        "sonoma",
        "catalina",
        "mojave",
        "jupyter",
        "pandas",
        "docker",
        "heroku",
        "vercel",
        "elixir",
        "kotlin",
        "rails",
        "django",
        "flask",
        "bella",
        "nova",
        "aurora",
        "luna",
        "okta",
    ]
)


def _gazetteer(filename: str) -> frozenset[str]:
    data = resources.files("otel_genai.redaction").joinpath(f"data/{filename}").read_text("utf-8")
    return frozenset(line for line in data.splitlines() if line and not line.startswith("#"))


@functools.cache
def given_names() -> frozenset[str]:
    """The gazetteer: lower-case given names (loaded once; ~65 000 names, ~450 KB)."""
    return _gazetteer("first_names.txt") - _NOT_PEOPLE


@functools.cache
def surnames() -> frozenset[str]:
    """Lower-case surnames that are neither English words nor given names (~18 000, ~150 KB)."""
    return _gazetteer("surnames.txt") - _NOT_PEOPLE


@functools.cache
def word_names() -> frozenset[str]:
    """Lower-case given names that are also English words ("will", "hope", "grace"; ~700)."""
    return _gazetteer("word_names.txt")


@functools.cache
def places() -> frozenset[str]:
    """Lower-case names of cities of 15 000 people or more, countries and US states (GeoNames, CC BY 4.0;
    ~38 000, ~400 KB): a place is told from another word by it only where a person's context already
    allows a place (``Aigerim Bekova (Almaty)``, ``city=durban``)."""
    return _gazetteer("places.txt")


def is_known_place(value: str) -> bool:
    """Whether ``value`` (any case, one or more words) is a place of the gazetteer."""
    return " ".join(value.split()).lower() in places()


def _place_forms(value: str) -> tuple[str, ...]:
    """``value`` and the forms a place's name takes after a Polish preposition ("w Lublinie" -> Lublin,
    "w Warszawie" -> Warszawa, "w Gdańsku" -> Gdańsk)."""
    return (value, value[:-2], value[:-2] + "a", value[:-1], value[:-3] + "a") if len(value) > 5 else (value,)


def is_given_name(word: str) -> bool:
    """Whether ``word`` (any case) is a given name of the gazetteer, not an English word."""
    return word.lower() in given_names()


def is_surname(word: str) -> bool:
    """Whether ``word`` (any case) is a surname of the gazetteer (not an English word nor a given name)."""
    return word.lower() in surnames()


def _words(value: str) -> list[str]:
    return [word for word in value.split() if word[:1].isupper()]


# --- cheap gates ------------------------------------------------------------------------------------------
# A pattern is one full scan of the text; a gate is a stdlib test that is a NECESSARY condition of its
# pattern (a literal every match contains), so a text that fails it is not scanned at all. A word the
# pattern reads in any case is spelt out with ``_any_case`` (``re.IGNORECASE`` scans ~10x slower). Patterns
# without a gate run on every text.
# where a name or a place starts: \p{Lu} is an ASCII capital or a non-ASCII letter (``str.isupper`` is not
# enough: ``regex`` knows newer capitals than ``unicodedata``)
_CAPITAL = r"(?:[A-Z]|[^\x00-\x7f])"
# every key-value pattern: `key: "Name`, `key='Name`
_QUOTED_VALUE = re.compile(rf"[:=][ \t]*[\"']{_CAPITAL}")
_FIELD_VALUE = re.compile(rf"[:=][ \t]*[\"']?{_CAPITAL}")  # place fields: `City: Recife`
_HEADER_VALUE = re.compile(rf":[ \t]*{_CAPITAL}")  # header: `From: Amara`
_HERE = re.compile(r"[ \t]here")  # name_here: "Ayodele here."
_FOREIGN_POSSESSIVE = re.compile(rf"(?i)(?<!\w){_FOREIGN_POSSESSIVE_WORD}[ \t]")


def _any_case(word: str) -> str:
    """``word`` in any case, as ``regex``'s ``(?i:...)`` reads it (i, k and s have a non-ASCII case too)."""
    special = {"i": "iI\u0130", "k": "kK\u212a", "s": "sS\u017f"}
    return "".join(f"[{special.get(ch, ch + ch.upper())}]" for ch in word)


# actor_lower_case: "<verb>ed by", "<verb>ed from ... to", "TODO(", "@" opening a word, "assignee:", "From x:"
_ACTOR = re.compile(
    rf"{_any_case('ed')}[ \t]+(?:{_any_case('by')}|{_any_case('from')})|{_any_case('assignee')}"
    rf"|^[ \t>]*{_any_case('from')}|(?:TODO|FIXME|XXX|HACK)\(|(?<![A-Za-z0-9_.@])@",
    re.MULTILINE,
)
_OF_OR_FROM = re.compile(rf"[ \t](?:of|from)[ \t]+{_CAPITAL}")  # place_of_a_person: "Ingrid Vik of Tromsø"
_FROM = re.compile(r"[ \t]from[ \t]")  # name_from_team: "Joy from billing"
_AND_I = re.compile(r"[ \t]and[ \t]+(?:I|me)")  # and_i: "Sunny and I"


_PLACE_PREPOSITIONS = ("in", "to", "from", "at", "near", "outside", "around")  # those of _PLACE_CUE
# place_cue, place_pair: "lives in Lagos", "moved from Gothenburg to Oslo" (a preposition in any case)
_PREPOSITION_PLACE = re.compile(
    r"[ \t](?:" + "|".join(_any_case(word) for word in _PLACE_PREPOSITIONS) + rf")[ \t]+{_CAPITAL}"
)
# known_place_cue: "lives in durban" (a preposition, then a word in lower case)
_PREPOSITION_LOWER = re.compile(
    r"[ \t](?:" + "|".join(_any_case(word) for word in _PLACE_PREPOSITIONS) + r")[ \t]+[a-z\u00df-\u024f]"
)
# known_place_field: `city=durban`
_PLACE_KEY = re.compile(
    r"(?i:city|town|country|region|state|province|county|residence|location)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"[a-z\u00df-\u024f]"
)
# place_field, person_place_field: a key of a place, then ":" or "="
_PLACE_KEY_WORD = re.compile(
    r"(?i:city|town|country|region|state|province|county|residence|birthplace|location(?:[ \t]+given)?|"
    r"birth|" + _FOREIGN_PLACE_KEYS + r")[\"']?[ \t]*[:=]"
)
# foreign_relation: a possessive and a word of kin ("Mia madre", "mi hermana", "Mój brat")
# (their ASCII forms and runs: "mère" reads "m", "re" and is left out; "irmão" reads "irm")
_KIN_WORDS = _word_set(
    "mutter vater bruder schwester sohn tochter frau mann freund freundin kollege kollegin oma opa tante",
    "onkel cousin cousine nachbar nachbarin chef chefin fils fille femme mari ami amie oncle voisin voisine",
    "madre padre hermano hermana hijo hija esposo esposa marido mujer amigo amiga abuelo abuela primo prima",
    "vecino vecina jefe jefa irm filho filha colega tio vizinho vizinha fratello sorella figlio figlia",
    "moglie marito amico amica collega nonno nonna zio zia cugino cugina vicino vicina capo moeder vader",
    "broer zus zoon dochter vrouw vriend vriendin oom neef nicht buurman buurvrouw baas mamma pappa bror",
    "syster dotter fru kollega mormor farmor morfar farfar moster faster morbror farbror kusin granne mama",
    "matka tata ojciec brat siostra syn przyjaciel kolega babcia dziadek ciocia wujek kuzyn kuzynka szef",
    "szefowa",
)


def _foreign_relation(text: str) -> bool:
    # the kin word first: a set lookup on the shared folded words, most texts stop there (the possessive's
    # case-free scan costs ten times more)
    return not _KIN_WORDS.isdisjoint(folded_words(text)[1]) and _FOREIGN_POSSESSIVE.search(text) is not None


def _place_key(text: str) -> bool:
    """known_place_field: every match of ``_PLACE_KEY`` has a ":" or a "=" (a text without one skips the
    case-free scan of its keys)."""
    return ("=" in text or ":" in text) and _PLACE_KEY.search(text) is not None


_HOME_KEY_GATE = re.compile(r"(?i:home)[ \t]*:")  # known_place_home: "Home: Muscat"
_TURKISH_APOSTROPHE = re.compile(r"\w['\u2019](?:d|t|y|a|e)")  # known_place_turkish: "İzmir'de"


def _known_place_cue(text: str) -> bool:
    """known_place_cue: a verb of living or travelling, a preposition, a word in lower case, and a word of
    the text (in any case) that is a place of the gazetteer."""
    return (
        _PREPOSITION_LOWER.search(text) is not None
        and "known_place_cue" in _cued_patterns(text)
        and not places().isdisjoint(folded_words(text)[1])
    )


# literal: a quote opening a call's argument or following a comma in one, then a capital
_LITERAL_QUOTE = re.compile(rf"[(,][ \t]*[\"']{_CAPITAL}")


def _last_line(text: str) -> str:
    return text[text.rfind("\n") + 1 :]


# The cue patterns read their cue words in any case: one shared scan per text finds which cue words it
# has, as whole words of its letters folded to lower-case ASCII (the letters ``regex``'s ``(?i:...)`` reads
# as a-z: A-Z, and \u0130, \u212a, \u017f), and each pattern needs one of the first words of its cues.
_GREETING_WORDS = (
    "hi",
    "hello",
    "hey",
    "hiya",
    "dear",
    "good",
    "morning",
    "thanks",
    "thank",
    "thx",
    "cheers",
    "welcome",
    "congrats",
    "congratulations",
    "hej",
    "hallo",
    "hola",
    "ol",
    "bonjour",
    "salut",
    "ciao",
    "buongiorno",
    "hoi",
    "witaj",
    "moin",
    "servus",
    "liebe",
    "lieber",
    "querida",
    "querido",
    "cara",
    "caro",
    "ch",
    "cher",
    "beste",
    "estimado",
    "estimada",
    "prezado",
    "prezada",
    "gentile",
    "szanowna",
    "szanowny",
    "geachte",
    "merhaba",
    "selam",
    "halo",
    "oi",
    "dzie",
)
_ROLE_WORDS = (
    "customer",
    "patient",
    "client",
    "user",
    "caller",
    "guest",
    "tenant",
    "applicant",
    "candidate",
    "employee",
    "passenger",
    "student",
    "resident",
    "contact",
    "member",
    "driver",
    "buyer",
    "seller",
    "recipient",
    "beneficiary",
    "holder",
    "cardholder",
    "subscriber",
    "visitor",
    "donor",
    "claimant",
    "insured",
    "policyholder",
    "traveller",
    "traveler",
)
# pattern -> the words one of which starts (or is needed by) each of its cues
_CUE_WORDS: dict[str, tuple[str, ...]] = {
    "relation": _POSSESSIVES,
    "cue": (
        "cc",
        "bcc",
        "attn",
        "attention",
        "signed",
        "name",
        "dr",
        "mr",
        "mrs",
        "ms",
        "behalf",
        "c",
        "assigned",
        "reported",
        "requested",
        "submitted",
        "approved",
        "escalated",
        "raised",
        "reviewed",
        "handled",
        "resolved",
        "authored",
        "referred",
        "prepared",
        "logged",
        "triaged",
        "countersigned",
        "handed",
        "forwarded",
        "spoke",
        "speak",
        "talked",
        "met",
        "married",
        "care",
        "sign",
        "under",
        "nombre",
        "nom",
        "namen",
        "appelle",
        "hei",
        "heisse",
        "llamo",
        "chamo",
        "nome",
        "chiamo",
        "heet",
        "naam",
        "heter",
        "namn",
        "nazywam",
        "imi",
    ),
    "greeting": _GREETING_WORDS,
    "self_intro": _GREETING_WORDS,
    "bare_relation": tuple(_BARE_RELATION_WORDS),
    "and_me": ("and",),
    "kin": ("kin", "nok", "emergency", "guardian"),
    "weak_cue": (
        "this",
        "it",
        "i",
        "im",
        "called",
        "named",
        "ask",
        "asked",
        "tell",
        "told",
        "with",
        "ping",
        "call",
        "email",
        "mail",
        "message",
        "text",
        "contact",
        "thank",
        "remind",
        "invite",
        "according",
        "let",
        "meet",
        "met",
        "saw",
        "visit",
        "visited",
        "introduce",
        "introducing",
    ),
    "lower_case": _POSSESSIVES + _GREETING_WORDS,
    "role": _ROLE_WORDS + tuple(word + "s" for word in _ROLE_WORDS),
    "place_of_a_person_noun": _PERSON_NOUNS,
    "booked_for": _BOOKED_FOR_WORDS,
    # the first words of _PLACE_CUE: "lives in", "moved to", "i'm from", "we're in"
    "known_place_cue": (
        *("live", "lives", "lived", "living", "moved", "moving", "move", "relocated", "relocating"),
        *("relocate", "relocates", "based", "born", "raised", "grew", "reside", "resides", "residing"),
        *("settled", "home", "hometown", "flies", "fly", "flying", "flew", "travel", "travels", "travelled"),
        *("traveled", "travelling", "traveling", "commute", "commutes", "commuting", "staying", "stays"),
        *("stay", "stayed", "i", "im", "we", "he", "she", "they", "re", "s", "landed", "arrived"),
        *("arriving", "arrive", "arrives", "visiting", "heading", "headed", "returning", "returned"),
    ),
    # the ASCII words of the verbs (non-ASCII forms: their ASCII runs, "d", "m", "nag" of "déménage")
    "known_place_foreign": (
        *_FOREIGN_RESIDENCE_VERBS,
        "mud",
        "nac",
        "mieszkaj",
        "mieszka",
        "przeprowadzi",
        "przeprowadzi\u0142",
        "urodzi",
        "pochodz",
        "pochodzi",
        "install",
        "n",
        "jour",  # "séjour"
        "sar",  # "sarò", "sarà"
        "mudar",  # "mudará"
    ),
    # a given name doing what people do: the verb (of "is allergic", "has been", "was born": the second word)
    "given_name_verb": (
        "said",
        "says",
        "asked",
        "asks",
        "called",
        "calls",
        "moved",
        "lives",
        "lived",
        "wrote",
        "writes",
        "emailed",
        "texted",
        "replied",
        "mentioned",
        "told",
        "tells",
        "wants",
        "wanted",
        "needs",
        "needed",
        "thinks",
        "thought",
        "reported",
        "joined",
        "left",
        "prefers",
        "approved",
        "signed",
        "booked",
        "paid",
        "ordered",
        "complained",
        "confirmed",
        "requested",
        "sent",
        "shared",
        "promised",
        "agreed",
        "invited",
        "visited",
        "started",
        "works",
        "worked",
        "studies",
        "studied",
        "got",
        "had",
        "been",
        "born",
        "reviews",
        "reviewed",
        "approves",
        "signs",
        "checks",
        "checked",
        "replies",
        "answers",
        "answered",
        "confirms",
        "decides",
        "decided",
        "owns",
        "handles",
        "handled",
        "agrees",
        "allergic",
        "pregnant",
        "sick",
        "unwell",
        "feeling",
        "turning",
        "moving",
        "recovering",
        "my",
        "our",
        "his",
        "her",
    ),
}
_CUE_PATTERNS_OF_WORD: dict[str, frozenset[str]] = {
    word: frozenset(name for name, words in _CUE_WORDS.items() if word in words)
    for word in {word for words in _CUE_WORDS.values() for word in words}
}


@functools.lru_cache(maxsize=8)
def _cued_patterns(text: str) -> frozenset[str]:
    """The cue patterns whose cue words ``text`` has (one scan per text, shared by the recognizers)."""
    found: frozenset[str] = frozenset()
    for word in _CUE_PATTERNS_OF_WORD.keys() & folded_words(text)[1]:
        found |= _CUE_PATTERNS_OF_WORD[word]
    return found


def _cue_gate(pattern: str) -> Any:
    return lambda text: pattern in _cued_patterns(text)


def _soft_honorific(text: str) -> bool:
    return "D. " in text or any(title in text for title in _SOFT_HONORIFICS)


def _place_field(text: str) -> bool:
    """place_field, person_place_field: a key of a place, then a value in capitals."""
    return _FIELD_VALUE.search(text) is not None and _PLACE_KEY_WORD.search(text) is not None


_GATES: dict[str, Any] = {
    **{pattern: _cue_gate(pattern) for pattern in _CUE_WORDS},
    "soft_honorific": _soft_honorific,
    "soft_honorific_given_name": _soft_honorific,
    "key_value": _QUOTED_VALUE.search,
    "name_part_value": _QUOTED_VALUE.search,
    "key_value_given_name": _QUOTED_VALUE.search,
    "person_key_given_name": _QUOTED_VALUE.search,
    "person_key_value": _QUOTED_VALUE.search,
    "personal_key_value": _QUOTED_VALUE.search,
    "name_here": _HERE.search,
    "actor_lower_case": _ACTOR.search,
    # a string literal in a call's or VALUES' brackets
    "literal": _LITERAL_QUOTE.search,
    "place_of_a_person": _OF_OR_FROM.search,
    "place_cue": _PREPOSITION_PLACE.search,
    "place_pair": _PREPOSITION_PLACE.search,
    "name_from_team": _FROM.search,
    "and_i": _AND_I.search,
    "place_field": _place_field,
    "known_place_cue": _known_place_cue,
    "known_place_field": _place_key,
    "known_place_foreign": _cue_gate("known_place_foreign"),
    "known_place_turkish": _TURKISH_APOSTROPHE.search,
    "known_place_home": _HOME_KEY_GATE.search,
    "person_place_field": _place_field,
    "header": _HEADER_VALUE.search,
    "foreign_relation": _foreign_relation,
    # a sign-off on its own line, then the name
    "signature": lambda text: "\n" in text,
    # the name ends the text: the comma or the dash is on its last line
    "sign_off_comma": lambda text: "," in _last_line(text),
    "dash_signature": lambda text: any(dash in _last_line(text) for dash in ("\u2014", "\u2013", "--")),
}


# ``regex`` scans some patterns with ``(?i:...)`` cues faster when the cues are spelt out in character
# classes (others slower: measured per pattern on the throughput workloads). ``_case_free`` spells out every
# ``(?i:...)`` group of a pattern, letter by letter as ``regex`` reads it in any case (checked against
# ``regex`` over every code point for each letter and class it meets); a group it cannot spell out exactly
# (a Unicode property inside) raises ValueError and the pattern keeps its source.
_SPELT_OUT = frozenset(
    [
        "greeting",
        "header",
        "self_intro",
        "name_part_value",
        "and_me",
        "kin",
        "lower_case",
        "name_here",
        "literal",
        "place_field",
        "person_place_field",
        "place_of_a_person",
        "booked_for",
    ]
)
_SPECIAL = {
    "i": "iI\u0130",
    "I": "Ii\u0131",
    "k": "kK\u212a",
    "K": "Kk\u212a",
    "s": "sS\u017f",
    "S": "Ss\u017f",
    "\u00df": "\u00df\u1e9e\U0001df95",
}


def _partners(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    lower, upper = ch.lower(), ch.upper()
    found = ch + "".join(c for c in (lower, upper) if len(c) == 1 and c != ch)
    return found


def _case_free(source: str) -> str:
    """``source`` with every ``(?i:...)`` group spelt out in character classes (``(?im:`` keeps ``m``)."""
    out: list[str] = []
    stack: list[bool] = []
    ci = False
    i, n = 0, len(source)

    def literal(ch: str) -> str | None:
        spelt = _partners(ch)
        return (
            ("[" + "".join("\\" + c if c in "\\]^-[" else c for c in spelt) + "]") if len(spelt) > 1 else None
        )

    while i < n:
        c = source[i]
        if c == "\\":
            nxt = source[i + 1]
            if nxt in "pPN" and source[i + 2] == "{":
                if ci:
                    raise ValueError("property in a case-insensitive group")
                end = source.index("}", i) + 1
                out.append(source[i:end])
                i = end
                continue
            if nxt == "u":
                ch = chr(int(source[i + 2 : i + 6], 16))
                spelt = literal(ch) if ci else None
                out.append(spelt or source[i : i + 6])
                i += 6
                continue
            if nxt == "x":
                raise ValueError("\\x")
            if nxt.isalpha() and nxt not in "btKZAnrwdsWDS":
                raise ValueError("escape " + nxt)
            out.append(source[i : i + 2])
            i += 2
            continue
        if c == "[":
            j = i + 1
            body = []
            if source[j] == "^":
                body.append("^")
                j += 1
            if source[j] == "]":
                raise ValueError("] first in a class")
            while source[j] != "]":
                if source[j] == "\\":
                    nxt = source[j + 1]
                    if nxt in "pP":
                        if ci:
                            raise ValueError("property in a case-insensitive class")
                        end = source.index("}", j) + 1
                        body.append(source[j:end])
                        j = end
                        continue
                    if nxt == "u":
                        ch = chr(int(source[j + 2 : j + 6], 16))
                        body.append(source[j : j + 6])
                        if ci:
                            body.extend(c2 for c2 in _partners(ch) if c2 != ch)
                        j += 6
                        continue
                    if nxt.isalpha() and nxt not in "tnrwdsWDS":
                        raise ValueError("class escape " + nxt)
                    body.append(source[j : j + 2])
                    j += 2
                    continue
                if source[j + 1] == "-" and source[j + 2] != "]":
                    lo, hi = source[j], source[j + 2]
                    body.append(source[j : j + 3])
                    if ci:
                        if lo == "a" and hi == "z":
                            body.append("A-Z\u0130\u212a\u017f")
                        elif lo == "A" and hi == "Z":
                            body.append("a-z\u0130\u212a\u017f")
                        elif lo.isalpha() or hi.isalpha():
                            raise ValueError("range " + lo + hi)
                    j += 3
                    continue
                ch = source[j]
                body.append(ch)
                if ci:
                    body.extend(c2 for c2 in _partners(ch) if c2 != ch)
                j += 1
            out.append("[" + "".join(body) + "]")
            i = j + 1
            continue
        if c == "(":
            if source.startswith("(?i:", i):
                stack.append(ci)
                ci = True
                out.append("(?:")
                i += 4
                continue
            if source.startswith("(?im:", i):
                stack.append(ci)
                ci = True
                out.append("(?m:")
                i += 5
                continue
            if source.startswith("(?", i) and source[i + 2] not in ":=!<":
                raise ValueError("inline flags")
            stack.append(ci)
            out.append(c)
            i += 1
            continue
        if c == ")":
            ci = stack.pop()
            out.append(c)
            i += 1
            continue
        if ci and c.isalpha():
            out.append(literal(c) or c)
            i += 1
            continue
        out.append(c)
        i += 1
    assert not stack
    return "".join(out)


def _spelt_out(source: str) -> str:
    try:
        return _case_free(source)
    except ValueError:
        return source


def name_recognizers(policy: RedactionPolicy) -> list[Any]:
    """Presidio recognizers (entity PERSON) of names marked by their context; none if PERSON is off."""
    wanted = policy.wanted_entities()
    if "PERSON" not in wanted:
        return []
    import regex
    from presidio_analyzer import PatternRecognizer

    flags = regex.MULTILINE  # the case of a name matters; cues opt out with (?i:...)

    def build(kind: type, entity: str, name: str, patterns: tuple[tuple[str, str, float], ...]) -> Any:
        return gated_recognizer(
            kind,
            entity=entity,
            name=name,
            patterns=patterns,
            gates=_GATES,
            flags=flags,
            source=lambda pattern, expression: (
                _spelt_out(expression) if pattern in _SPELT_OUT else expression
            ),
        )

    class _KnownPlaceRecognizer(PatternRecognizer):
        """A match counts only when it is a place of the gazetteer ("durban", not "production")."""

        def invalidate_result(self, pattern_text: str) -> bool:
            first = pattern_text.split(",")[0]
            return not any(is_known_place(form) for form in _place_forms(first))

    place_recognizers = (
        [
            build(PatternRecognizer, "LOCATION", "otel_genai_place_of_a_person", _PLACE_PATTERNS),
            build(_KnownPlaceRecognizer, "LOCATION", "otel_genai_known_place", _KNOWN_PLACE_PATTERNS),
        ]
        if "LOCATION" in wanted
        else []
    )

    class _GazetteerNameRecognizer(PatternRecognizer):
        """A match counts only when its first word is a given name (and not a product)."""

        def invalidate_result(self, pattern_text: str) -> bool:
            return not is_given_name(regex.split(r"[ \t]+", pattern_text, maxsplit=1)[0])

    class _KnownNameRecognizer(PatternRecognizer):
        """A match counts only when one of its words is a known given name or surname."""

        def invalidate_result(self, pattern_text: str) -> bool:
            return not any(is_given_name(word) or is_surname(word) for word in _words(pattern_text))

    class _PersonalKeyRecognizer(PatternRecognizer):
        """Any capitalised words under a key that holds only names, but for a tool or product."""

        def invalidate_result(self, pattern_text: str) -> bool:
            return any(w.lower() in _TECH_WORDS or w.lower() in _NOT_PEOPLE for w in pattern_text.split())

    class _WordNameRecognizer(PatternRecognizer):
        """``Hope Mitchell``: a given name that is also a word, then a surname or a given name."""

        def invalidate_result(self, pattern_text: str) -> bool:
            first, _, last = pattern_text.partition(" ")
            last = last.strip()
            return first.lower() not in word_names() or not (is_surname(last) or is_given_name(last))

    class _BookingRecognizer(PatternRecognizer):
        """A match counts only when its first word is a given name or a name that is also a word."""

        def invalidate_result(self, pattern_text: str) -> bool:
            first = regex.split(r"[ \t]+", pattern_text, maxsplit=1)[0].lower()
            return first not in given_names() and first not in word_names()

    class _TeamMemberRecognizer(PatternRecognizer):
        """A match counts only when it is a given name or a given name that is also a word."""

        def invalidate_result(self, pattern_text: str) -> bool:
            return not (is_given_name(pattern_text) or pattern_text.lower() in word_names())

    # load the gazetteers and compile the filter's patterns here, on the worker thread, not during analyses
    given_names(), surnames(), word_names(), places()
    for source in _filter_patterns():
        _pattern(source)
    return [
        build(PatternRecognizer, "PERSON", "otel_genai_person_cue", _STRONG_PATTERNS),
        build(_GazetteerNameRecognizer, "PERSON", "otel_genai_person_given_name", _WEAK_PATTERNS),
        build(_KnownNameRecognizer, "PERSON", "otel_genai_person_known_name", _KNOWN_NAME_PATTERNS),
        build(
            _PersonalKeyRecognizer,
            "PERSON",
            "otel_genai_person_personal_key",
            (("personal_key_value", rf"{_PERSONAL_KEY}\K{_PERSONAL_KEY_VALUE}", 0.75),),
        ),
        build(_WordNameRecognizer, "PERSON", "otel_genai_person_word_name", _WORD_NAME_PATTERNS),
        build(_BookingRecognizer, "PERSON", "otel_genai_person_booking", _BOOKING_PATTERNS),
        build(_TeamMemberRecognizer, "PERSON", "otel_genai_person_from_a_team", _TEAM_PATTERNS),
        *place_recognizers,
    ]


# --- the filter -------------------------------------------------------------------------------------------
# A command line: a shell prompt or a common command first. Names on it go unless they are a full name.
_COMMAND_LINE = re.compile(
    r"^[ \t]*(?:\$|#|>>>|>|PS>|C:\\>)?[ \t]*(?:sudo[ \t]+)?(?:git|pip3?|npm|npx|yarn|pnpm|docker|kubectl|"
    r"helm|curl|wget|ssh|scp|cd|ls|cat|grep|rg|sed|awk|find|make|cargo|go|python3?|node|java|mvn|gradle|"
    r"brew|apt|apt-get|yum|dnf|systemctl|journalctl|export|echo|chmod|chown|mkdir|rm|cp|mv|tar|terraform|"
    r"aws|gcloud|az|uv|poetry|pytest|ruff|mypy|psql|mysql|redis-cli|tail|head|less|vim|nano|code)\b"
    r"[ \t]+\S",
    re.MULTILINE,
)
# An instruction opens with a verb; NER reads a capitalised verb there as a name ("Convert this CSV").
_IMPERATIVE = frozenset(
    [
        "add",
        "analyse",
        "analyze",
        "answer",
        "build",
        "calculate",
        "change",
        "check",
        "classify",
        "clean",
        "compare",
        "compile",
        "compose",
        "compute",
        "convert",
        "count",
        "create",
        "debug",
        "deduplicate",
        "define",
        "delete",
        "deploy",
        "describe",
        "design",
        "draft",
        "edit",
        "estimate",
        "evaluate",
        "explain",
        "export",
        "extract",
        "fill",
        "filter",
        "find",
        "fix",
        "format",
        "generate",
        "give",
        "group",
        "help",
        "identify",
        "implement",
        "improve",
        "install",
        "label",
        "list",
        "load",
        "make",
        "map",
        "merge",
        "migrate",
        "move",
        "name",
        "normalize",
        "optimize",
        "organize",
        "outline",
        "paraphrase",
        "parse",
        "plan",
        "plot",
        "polish",
        "predict",
        "prepare",
        "proofread",
        "provide",
        "recommend",
        "refactor",
        "reformat",
        "remove",
        "rename",
        "reorder",
        "replace",
        "rephrase",
        "reply",
        "respond",
        "restructure",
        "review",
        "rewrite",
        "run",
        "scan",
        "score",
        "show",
        "simplify",
        "sort",
        "split",
        "suggest",
        "summarise",
        "summarize",
        "tag",
        "tell",
        "test",
        "tidy",
        "transcribe",
        "transform",
        "translate",
        "trim",
        "turn",
        "update",
        "upgrade",
        "validate",
        "verify",
        "visualize",
        "write",
        "heap",
        "running",
        "restart",
        "retry",
        "set",
        "shorten",
        "lengthen",
        "expand",
        "condense",
    ]
)
# Words NER tags as people or places in technical prose.
_TECH_WORDS = frozenset(
    [
        "bearer",
        "docker",
        "kubernetes",
        "k8s",
        "python",
        "java",
        "javascript",
        "typescript",
        "rust",
        "golang",
        "redis",
        "postgres",
        "postgresql",
        "mysql",
        "sqlite",
        "mongo",
        "mongodb",
        "kafka",
        "flask",
        "django",
        "fastapi",
        "react",
        "vue",
        "angular",
        "svelte",
        "node",
        "nginx",
        "apache",
        "linux",
        "ubuntu",
        "debian",
        "windows",
        "macos",
        "terraform",
        "ansible",
        "jenkins",
        "github",
        "gitlab",
        "slack",
        "jira",
        "confluence",
        "notion",
        "heroku",
        "vercel",
        "netlify",
        "aws",
        "gcp",
        "azure",
        "openai",
        "anthropic",
        "llama",
        "ollama",
        "pandas",
        "numpy",
        "pytorch",
        "tensorflow",
        "jupyter",
        "grafana",
        "prometheus",
        "datadog",
        "sentry",
        "tableau",
        "excel",
        "visa",
        "mastercard",
        "amex",
        "maestro",
        "paypal",
        "stripe",
        "venmo",
        "revolut",
        "powerpoint",
        "cv",
        "intro",
        "readme",
    ]
)
_NEXT_WORD = re.compile(r"[ \t]*(\S*)")
_INSTRUCTION_OBJECT = frozenset(
    [
        "the",
        "this",
        "that",
        "these",
        "those",
        "a",
        "an",
        "my",
        "our",
        "your",
        "it",
        "its",
        "all",
        "each",
        "every",
        "some",
        "any",
        "following",
        "me",
        "us",
        "them",
        "to",
        "into",
        "from",
        "for",
        "and",
        "in",
        "on",
        "with",
    ]
)
# A place is personal data when said of a person (lives in, moved to, from, based in ...) or part of an
# address; "GDP of Germany and Japan" is not.
_RESIDENCE = re.compile(
    r"(?i:\b(?:lives?|living|lived|moved|moving|relocat\w*|based|resid\w*|born|grew[ \t]+up|raised|"
    r"hometown|home|from|address|settled|stays?|staying|stayed|located|hails|domiciled|citizen|native|"
    r"travel\w*|fl(?:y|ies|ew|ying)|commut\w*|landed|arriv\w*|visit\w*|trip|back|return\w*|heading|headed|"
    r"off[ \t]+to|reach\w*|welcom\w*|join(?:s|ed|ing)?|driv(?:e|es|ing)|drove|"
    r"(?:i'm|i\u2019m|i[ \t]+am|we're|he's|she's)[ \t]+(?:\w+[ \t]+)?in)\b)"
)
# what only a person does at a place, said right before it: "lives alone in Busan", "born in Ibadan",
# "I'm from Hilo"; and the same verbs of the languages of Europe, conjugated ("wohne seit März in",
# "j'habite à", "vive en", "mora em", "abito a", "woont in", "bor i", "mieszkam w")
_STRONG_RESIDENCE = re.compile(
    r"(?i:\b(?:(?:lives?|living|lived|resides?|residing|born|grew[ \t]+up|raised)"
    r"(?:[ \t]+(?:alone|here|now|currently|still|mostly|originally|permanently|together|happily|with[ \t]+"
    r"(?:my|his|her|their|our)[ \t]+\w+))*[ \t]+(?:in|at|near|outside)|hometown[ \t]+(?:is|of)|"
    r"(?:i'm|i\u2019m|im|i[ \t]+am)[ \t]+(?:originally[ \t]+)?from|"
    r"(?:my|his|her|their|our|your)[ \t]+(?:brother|sister|mother|father|mum|mom|dad|son|daughter|wife|"
    r"husband|partner|parents|family|relatives|cousin|aunt|uncle|grandmother|grandfather|grandparents|"
    r"in-laws|kids|children)s?[ \t]+(?:in|from|at|near))[ \t]+)\Z"
)
_FOREIGN_RESIDENCE = re.compile(_FOREIGN_RESIDENCE_CUE + r"\Z")
_PERSONAL = re.compile(
    r"\b(?:I|I'm|I've|(?i:me|my|mine|we|our|us|he|she|they|his|her|hers|him|them|their|i'm|i\u2019m|i've))\b"
    r"|(?<![\w'\u2019.\-])i(?![\w'\u2019\-])"
    r"|(?i:\b(?:man|woman|boy|girl|patient|customer|client|guest|user|passenger|tenant|caller|resident|"
    r"pt|employee|member|applicant|candidate|cardholder|policyholder|holder|student|traveller|traveler|"
    r"family|household|parents|mother|father|mum|mom|dad|wife|husband|spouse|partner|son|daughter|"
    r"brother|sister|grandmother|grandfather|kids|children|"
    r"\d{1,3}[ \-]year[ \-]old)[ \t]+(?:from|in|of|living|who|based|lives|lived|moved|resides|"
    r"relocated|is[ \t]+based|was[ \t]+born|grew[ \t]+up)\b)"
    # an age: "34yo male", "Ana Tuimavave, 29, from Apia"
    r"|\b\d{1,3}[ \t]*(?:yo|y/o|y\.o\.)(?!\w)|(?i:\b(?:male|female)\b)"
    r"|,[ \t]*\d{1,3}[ \t]*,[ \t]*(?:from|living|lives|based)\b"
)
# a person of a place: "holder Ingrid Vik of Tromsø"
_OF_BEFORE = re.compile(r"[ \t]+(?:of|from)[ \t]+\Z")
# a sentence ends at a full stop, but not at an initial's ("P. de Vries")
_SENTENCE_END = re.compile(r"(?<!(?<![\w.])[A-Z])[.!?](?:\s|$)|\n")
_WINDOW = 100
_PREVIOUS_NAME_WORD = rf"(?<![\w'\u2019\-.])({_TOKEN})[ \t]\Z"
_SURNAME = rf"[ \t]+({_TOKEN.replace(_STOP, '')}){_END}"
_LIST_NEXT = rf"[ \t]*(?:,[ \t]*and\b|,|&|\band\b)[ \t]*({_TOKEN.replace(_STOP, '')})"


def refine_names(text: str, findings: list[Finding]) -> list[Finding]:
    """The findings without NER's false alarms (identifiers in code and logs, command lines, an
    instruction's opening verb, places not said of a person), plus the rest of a list of names."""
    kept: list[Finding] = []
    findings = [_trimmed(text, f) if f.entity_type in NER_ENTITIES else f for f in findings]
    findings = [_name_inside_code(text, f) if f.entity_type in NER_ENTITIES else f for f in findings]
    findings = [
        _without_leading_function_words(text, f) if f.entity_type == "PERSON" else f for f in findings
    ]
    findings = [f for f in findings if f.end > f.start]
    # a given name NER read as a place, with a person's context: "Say hi to Olivia!", "Somchai wants ..."
    findings = _unique(
        [
            Finding(f.start, f.end, "PERSON", f.score)
            if f.entity_type == "LOCATION" and _is_person_not_place(text, f)
            else f
            for f in findings
        ]
    )
    weak_persons = {(f.start, f.end) for f in findings if f.entity_type == "PERSON" and f.score < 0.8}
    full_names = {span for span in weak_persons if _is_full_name(text, *span)}
    places = {(f.start, f.end) for f in findings if f.entity_type == "LOCATION"}
    # a place NER is sure of and only a weak cue calls a person ("relative to London") stays a place, but a
    # given name and a surname ("Ewa Zielinska") is a person whatever NER read
    place_not_person = (places & weak_persons) - full_names
    strong_persons = {(f.start, f.end) for f in findings if f.entity_type == "PERSON" and f.score >= 0.7}
    strong_persons -= place_not_person
    full_names |= {span for span in strong_persons & places if _has_cue_before(text, span[0])}
    findings = [
        f
        for f in findings
        if not (f.entity_type == "PERSON" and (f.start, f.end) in place_not_person)
        and not (f.entity_type == "LOCATION" and (f.start, f.end) in full_names)
    ]
    findings = [_extended(text, f) if f.entity_type == "PERSON" else f for f in findings]
    values = frozenset(f.start for f in findings if f.entity_type == "PERSON")
    person_flags = [f.entity_type == "PERSON" and _is_person(text, f, values) for f in findings]
    persons = [f for f, is_person in zip(findings, person_flags, strict=True) if is_person]
    for finding, is_person in zip(findings, person_flags, strict=True):
        if finding.entity_type in NER_ENTITIES and _CODE_LIKE.search(text, finding.start, finding.end):
            continue
        if finding.entity_type in NER_ENTITIES and not _pattern(r"\p{L}").search(
            text[finding.start : finding.end]
        ):
            continue  # an emoji or a symbol NER read as a place ("flight 🙁")
        if finding.entity_type == "PERSON" and not is_person:
            place = Finding(finding.start, finding.end, "LOCATION", finding.score)
            if _could_be_place(text, finding) and _is_personal_place(text, place, findings, persons):
                kept.append(place)  # "joins us from Lviv": NER's one-word person is a place
            continue
        if finding.entity_type == "LOCATION" and not _is_personal_place(text, finding, findings, persons):
            continue
        kept.append(finding)
    kept += _places_of_persons(text, kept, findings)
    kept = _joined_across_particles(text, kept)
    kept += _list_continuations(text, kept)
    return [with_title_and_surname(text, f) if f.entity_type == "PERSON" else f for f in kept]


# a title before a name, any case, in the languages of Europe: "Mr. Hassan", "mevr. Bakker", "Sra. Paz"
_TITLE_BEFORE = (
    r"(?<![\w.])(?i:mr|mrs|ms|mx|miss|dr|dra|prof|mme|mlle|madame|monsieur|herr|frau|hr|fr|sra|srta|sr|"
    r"señora|señor|senhora|senhor|sig|sig\.ra|signora|signor|dott|dott\.ssa|mevr|mevrouw|dhr|meneer|"
    r"pani|pan|fru)\.?[ \t]+\Z"
)
# a surname before the given name in a record: "Kowalski, Piotr", "Krüger,Hannelore", "SOKOLOVA Irina",
# "GUTIÉRREZ LOZANO, María José" (a run that opens its field or line)
_SURNAME_WORD = r"\p{Lu}[\p{L}\p{M}'\u2019\-]*+"
_SURNAMES_BEFORE = (
    rf"(?:^|(?<=[\n\t\"'=:|>(\[]))[ \t]*\K({_SURNAME_WORD}(?:[ \t]+{_SURNAME_WORD})?)"
    r"(?:[ \t]*,[ \t]*|[ \t]+)\Z"
)


_NOT_SURNAMES = frozenset(word.lower() for word in _STOP_WORDS)


def _is_common_lead_word(word: str, caps: bool = False) -> bool:
    """A word that opens a line before a name but is no surname: "Hi, Maria", "Thanks, Piotr", "Name:"; a
    given name only in title case ("Maria, Anna": two given names; "ROJAS, Ana": a surname in capitals)."""
    lower = word.strip(".,;:!?").lower()
    return (
        lower in _NOT_SURNAMES
        or lower in _GREETING_WORDS
        or lower in _FUNCTION_WORDS
        or lower in _FIELD_LABELS
        or lower in _TECH_WORDS
        or lower in _SIGN_OFF_LEAD_WORDS
        or (not caps and is_given_name(lower) and not is_surname(lower))
    )


# words that open a reply or a closing before a name, not surnames
_SIGN_OFF_LEAD_WORDS = _word_set(
    "yes no ok okay sure sorry please cheers regards thanks thank welcome congrats congratulations well oh "
    "bye goodbye night morning evening afternoon love best"
)


def with_title_and_surname(text: str, finding: Finding) -> Finding:
    """A PERSON finding with the title before it ("Mr. Hassan": the whole of what names the person) and
    the surname a record writes before the given name ("Kowalski, Piotr", "SOKOLOVA Irina")."""
    start = finding.start
    words = text[finding.start : finding.end].split()
    before = text[max(0, start - 40) : start]
    surname = _pattern(_SURNAMES_BEFORE).search(before)
    if surname is not None and words and words[0][:1].isupper():
        run = surname.group(1).split()
        caps = all(word.isupper() and len(word) > 1 for word in run)
        comma = "," in before[surname.end(1) :]
        known = all(is_surname(word.lower()) for word in run)
        # a record's field ends after the given name: "A2: Kowalski, Piotr |", '"Oyelaran, Bisi",'
        field_end = _pattern(r"[ \t]*(?:[\"'|,;\t\n]|\Z)").match(text, finding.end) is not None
        if ((caps and (comma or known or len(run) == 1)) or (comma and (known or field_end))) and not any(
            _is_common_lead_word(word, caps) for word in run
        ):
            start = max(0, start - 40) + surname.start(1)
    title = _pattern(_TITLE_BEFORE).search(text[max(0, start - 12) : start])
    if title is not None:
        start = max(0, start - 12) + title.start()
    if start == finding.start:
        return finding
    return Finding(start, finding.end, finding.entity_type, finding.score)


_BETWEEN_PARTICLES = rf"[ \t]+(?:{_PARTICLE}[ \t]+){{1,3}}"


def _joined_across_particles(text: str, kept: list[Finding]) -> list[Finding]:
    """Two PERSON findings with only a name's particles between are one name: "Maria| dos |Santos Ferreira"
    (NER splits it at the lower-case particle)."""
    persons = sorted((f for f in kept if f.entity_type == "PERSON"), key=lambda f: f.start)
    runs: list[Finding] = []
    for person in persons:
        last = runs[-1] if runs else None
        if (
            last is not None
            and last.end < person.start
            and _pattern(_BETWEEN_PARTICLES).fullmatch(text, last.end, person.start)
        ):
            runs[-1] = Finding(last.start, person.end, "PERSON", max(last.score, person.score))
        else:
            runs.append(person)
    if len(runs) == len(persons):
        return kept
    return [f for f in kept if f.entity_type != "PERSON"] + runs


def _unique(findings: list[Finding]) -> list[Finding]:
    """The findings without a repeated span and type (the highest score kept), in their order."""
    best: dict[tuple[int, int, str], Finding] = {}
    for f in findings:
        key = (f.start, f.end, f.entity_type)
        if key not in best or f.score > best[key].score:
            best[key] = f
    return list(best.values())


# Places that are also given names in the gazetteer (countries, states, big cities; not a gazetteer of
# places): NER's place stays a place after a weak cue or a verb ("According to Israel", "Paris wants").
_COMMON_PLACES = frozenset(
    """paris berlin london sydney florence victoria adelaide georgia virginia carolina florida israel
    jordan kenya chad austin dallas houston phoenix denver orlando charlotte madison lincoln jackson
    columbia regina alexandria santiago lima sofia valencia verona siena vienna geneva lourdes odessa
    savannah brooklyn chelsea kingston washington milan roma rome moscow dublin cairo delhi tokyo china
    india asia africa america europe ireland scotland wales england france germany italy spain brazil
    argentina chile peru mexico canada australia nigeria ghana lagos accra nairobi manila jakarta
    dakota montana nevada arizona indiana louisiana sierra trinidad jamaica cuba malta samoa tonga fiji
    hamilton wellington auckland toronto quebec havana barcelona lisbon porto rio munich zurich oslo
    stockholm helsinki memphis nashville aurora sahara siberia indonesia malaysia kerala bali java
    tyrone shannon kildare york devon kent essex troy bethany eden sharon hebron jericho nazareth
    lebanon syria yemen oman qatar dubai kuwait""".split()  # noqa: SIM905
)
# cues that only a person follows, whatever NER read: a greeting or addressing someone
_GREETING_BEFORE = (
    r"(?i:\b(?:say[ \t]+(?:hi|hello)[ \t]+to|hi|hello|hey|hiya|dear|thanks|thank[ \t]+you|congrats|"
    r"congratulations|cc|ping|remind))[ \t]*,?[ \t]+\Z"
)
# cues that a person follows, but a place can too ("according to Israel"): not before a common place
_ADDRESSING_BEFORE = (
    r"(?i:\b(?:ask|asked|tell|told|email|e-mail|message|call|according[ \t]+to|i'm|i\u2019m|i[ \t]+am|"
    r"this[ \t]+is|my[ \t]+name[ \t]+is))[ \t]*,?[ \t]+\Z"
)


def _is_person_not_place(text: str, finding: Finding) -> bool:
    """Whether NER's one-word place is a given name said of a person: a greeting or an address before it
    ("Say hi to Olivia!", "I'm Wiktoria, from ..."), or a person's verb after it ("Somchai wants")."""
    value = text[finding.start : finding.end]
    if not value[:1].isupper() or value.isupper() or not is_given_name(value):
        return False
    before = text[max(0, finding.start - 40) : finding.start]
    if _pattern(_GREETING_BEFORE).search(before):
        return True
    if value.lower() in _COMMON_PLACES:
        return False
    return bool(
        _pattern(_ADDRESSING_BEFORE).search(before)
        or _pattern(rf"[ \t]+{_PERSON_VERB}\b").match(text, finding.end)
    )


_PLACE_WORDS = frozenset(
    "island islands city town bay beach springs falls park hill hills valley lake mount point port "  # noqa: SIM905
    "mountain mountains river heights harbour harbor wall bridge tower palace castle cathedral square "
    "gate".split()
)


def _is_full_name(text: str, start: int, end: int) -> bool:
    words = text[start:end].split()
    if len(words) < 2:
        return False
    if words[-1].lower() in _PLACE_WORDS:
        # "Sunny Park" is a person after a cue ("reported by"), "Central Park" a place
        return (is_given_name(words[0]) or words[0].lower() in word_names()) and _has_cue_before(text, start)
    return is_given_name(words[0])


def _could_be_place(text: str, finding: Finding) -> bool:
    """Whether NER's span that is no person's name may be a place: one capitalised word after "from" or
    "in", a place's shape ("Ho Chi Minh City", "Port Harcourt"), or a place of the gazetteer."""
    value = text[finding.start : finding.end]
    if _CODE_LIKE.search(value) or not value[:1].isupper():
        return False
    words = value.split()
    return (
        _is_place_word_after_from(text, finding)
        or (_is_place_shaped(words) and not _is_business(words))
        or is_known_place(value)
        or (
            len(words) == 1
            and _pattern(_FOREIGN_LOCATIVE).search(text[max(0, finding.start - 8) : finding.start])
            is not None
        )
    )


# a preposition only a place follows: "en Lyon", "wohnt im Allgäu", "i Malmö" (English's and Swedish's
# "i", Polish's and English's "we" only in a text of another language); a dative's "a", "à", "nach" ("merci
# à Marie", "fragen Sie nach Anna") only before a place of the gazetteer
_FOREIGN_PLACE_PREPOSITION = (
    r"(?<![\w'\u2019])(?:(en|em|im|uit|nel|nella|w)|(i|we)|(\u00e0|a|nach|naar|till))[ \t]+\Z"
)


def _after_foreign_place_preposition(text: str, start: int, value: str) -> bool:
    match = _pattern(_FOREIGN_PLACE_PREPOSITION).search(text[max(0, start - 8) : start])
    if match is None:
        return False
    if match.group(1):
        return True
    if match.group(2):
        return _text_language(text) != "en"
    return is_known_place(value)


# a preposition of place of the languages of Europe: "vive en Málaga", "abita a Verona"
_FOREIGN_LOCATIVE = r"(?<![\w'\u2019])(?:\u00e0|a|en|em|nach|aus|i|w|we|uit|nel|nella)[ \t]+\Z"
# a place in brackets or after "from" / "of" right after a person's name: "Aigerim Bekova (Almaty)",
# "Olha Shevchenko (Kyiv, Ukraine)", "Leilani from Hilo", "Rahul Verma (rahul@x.example) from Pune"
_PLACE_WORD = r"\p{Lu}[\p{L}\p{M}]*+(?:[\-'\u2019]\p{L}[\p{L}\p{M}]*+)*+"
_PLACE_NAME = rf"{_PLACE_WORD}(?:[ \t]+{_PLACE_WORD}){{0,3}}"
_AFTER_PERSON_PLACE = (
    # "(Kijów -> Wrocław)", "(Almaty → Berlin)": where a person moves from and to
    rf"[ \t]*(?:\([ \t]*({_PLACE_NAME})[ \t]*(?:(?:,|->|\u2192|\u2013|to)[ \t]*({_PLACE_NAME})[ \t]*)?\)|"
    # "from" in the languages of Europe and in Indonesian: "Pieter de Wit uit Utrecht", "Budi dari Surabaya"
    rf"(?:\([^()\n]{{0,80}}\)[ \t]*)?,?[ \t]+(?:from|of|uit|aus|fr\u00e5n|fra|dari|z|ze|de)[ \t]+"
    rf"({_PLACE_NAME})(?:,[ \t]*({_PLACE_NAME}))?)"
)
# a person joining or moving to a site named by its city: "Ama Owusu joins the Kumasi team"
_JOINS_A_SITE = (
    r"[ \t]+(?:joins|joined|is[ \t]+joining|will[ \t]+join|moves[ \t]+to|moved[ \t]+to|"
    r"is[ \t]+moving[ \t]+to|transfers[ \t]+to|transferred[ \t]+to|starts[ \t]+(?:in|at))"
    r"[ \t]+(?:the|our)[ \t]+"
    rf"({_PLACE_NAME})[ \t]+(?:office|team|branch|site|hub|campus|store|clinic|ward)\b"
)
# a field of a record: a CSV cell, an argument of a call, a value of SQL VALUES
_RECORD_FIELD = r"(?:^|(?<=[,;|\t(]))[ \t]*[\"']?([^,;|\t\"'()\n]{3,40}?)[\"']?[ \t]*(?=[,;|\t)]|$)"


def _places_of_persons(text: str, kept: list[Finding], findings: list[Finding]) -> list[Finding]:
    """Places said of a named person that NER missed or did not keep: in brackets or after "from" right
    after the name, the place next to a kept one ("Kyiv, Ukraine"), a field of the person's record
    ("Wei Zhang,wei.zhang@example.org,China"). Only places of the gazetteer or of NER count."""
    persons = [f for f in kept if f.entity_type == "PERSON"]
    if not persons:
        return []
    ner_places = {(f.start, f.end) for f in findings if f.entity_type == "LOCATION"}
    taken = [(f.start, f.end) for f in kept]
    added: list[Finding] = []

    def add(start: int, end: int, score: float) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        added.append(Finding(start, end, "LOCATION", score))

    def place_at(start: int, end: int) -> tuple[int, int] | None:
        """The longest place of the gazetteer or of NER at the start of ``text[start:end]``."""
        words = list(_pattern(_PLACE_WORD).finditer(text, start, end))
        for count in range(len(words), 0, -1):
            stop = words[count - 1].end()
            if (start, stop) in ner_places or is_known_place(text[start:stop]):
                return start, stop
        return None

    for person in persons:
        site = _pattern(_JOINS_A_SITE).match(text, person.end)
        if site is not None:
            place = place_at(site.start(1), site.end(1))
            if place is not None:
                add(*place, 0.6)  # "Aminata Diallo joins the Dakar team": where she works
        match = _pattern(_AFTER_PERSON_PLACE).match(text, person.end)
        if match is not None:
            for group in range(1, 5):
                if match.start(group) < 0:
                    continue
                place = place_at(match.start(group), match.end(group))
                if (
                    place is None
                    and group == 1
                    and match.start(2) >= 0
                    and place_at(match.start(2), match.end(2)) is not None
                ):  # a place the gazetteer lacks (an exonym: "Kijów"), paired in brackets with a known one
                    add(match.start(1), match.end(1), 0.55)
                    continue
                if place is None:
                    break
                add(*place, 0.6)
        line_start = text.rfind("\n", 0, person.start) + 1
        line_end = text.find("\n", person.end)
        line_end = len(text) if line_end < 0 else line_end
        if sum(text.count(sep, line_start, line_end) for sep in ",;|\t") < 2:
            continue
        cells = re.split(r"[,;|\t()]", text[line_start:line_end])
        if any(sum(word.isalpha() and word.islower() for word in cell.split()) >= 5 for cell in cells):
            continue  # prose with commas, not a record
        for field in _pattern(_RECORD_FIELD).finditer(text, line_start, line_end):
            value = field.group(1)
            if (
                value[:1].isupper()
                and value.lower() not in _FUNCTION_WORDS
                and ((field.start(1), field.end(1)) in ner_places or is_known_place(value))
            ):
                add(field.start(1), field.end(1), 0.55)
    # the second of a pair after a kept place: "Tulsa, Oklahoma", "Da Nang, Vietnam"
    for first in [f for f in kept + added if f.entity_type == "LOCATION"]:
        pair = _pattern(rf",[ \t]*({_PLACE_NAME})").match(text, first.end)
        if pair is not None:
            second = place_at(pair.start(1), pair.end(1))
            if second is not None:
                add(*second, first.score)
    return added


def _is_place_word_after_from(text: str, finding: Finding) -> bool:
    value = text[finding.start : finding.end]
    return (
        " " not in value
        and value[:1].isupper()
        and not _CODE_LIKE.search(value)
        and _pattern(r"(?i:\b(?:from|in))[ \t]+\Z").search(text[max(0, finding.start - 8) : finding.start])
        is not None
    )


_SPAN_SYNTAX = r"[ \t]+[\w.\-]++[ \t]*[=:]|[\"()\[\]{}<>`]|(?<![\p{L}\p{M}])'|'(?![\p{L}\p{M}])"


# what may come before the cut: capitalised words of a name ("Juan Pablo Castillo", "Liam O'Brien")
_NAME_BEFORE_SYNTAX = (
    rf"{_UPPER}[\p{{L}}\p{{M}}]*+(?:[\-'\u2019.][\p{{L}}\p{{M}}]++)*+"
    rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+)*{_UPPER}[\p{{L}}\p{{M}}]*+(?:[\-'\u2019.][\p{{L}}\p{{M}}]++)*+)*+[ \t]*"
)


# "from" inside a span NER read as one name: "Jonas Vogelsang aus Leipzig", "Pieter de Wit uit Utrecht"
_ORIGIN_IN_SPAN = r"[ \t]+(?:from|aus|uit|fr\u00e5n|fra|dari|of)[ \t]+(?=\p{Lu})"


def _trimmed(text: str, finding: Finding) -> Finding:
    """NER's span cut to its first line and without trailing punctuation ("Liam O'Sullivan\n+353")."""
    value = text[finding.start : finding.end]
    first_line, _, rest = value.partition("\n")
    # a letter's closing and the name signed under it: "Beste Grüße\nMax Pichler" -> "Max Pichler"
    if rest.strip() and _pattern(rf"(?i:{_SIGN_OFF_WORDS})").fullmatch(first_line.strip(" \t\r,.!:-")):
        skipped = len(value) - len(rest)
        return _trimmed(
            text, Finding(finding.start + skipped, finding.end, finding.entity_type, finding.score)
        )
    # a span that runs into the next key of a log line, or into a quote or a bracket:
    # "Juan Pablo Castillo dob=1992-" -> "Juan Pablo Castillo"
    syntax = _pattern(_SPAN_SYNTAX).search(first_line, 1)
    if syntax is not None and _pattern(_NAME_BEFORE_SYNTAX).fullmatch(first_line, 0, syntax.start()):
        first_line = first_line[: syntax.start()]
    first_line = first_line.rstrip(" \t\r,;:.+-\"'`")
    if finding.entity_type == "PERSON":
        origin = _pattern(_ORIGIN_IN_SPAN).search(first_line)
        if origin is not None and is_known_place(first_line[origin.end() :].strip()):
            first_line = first_line[: origin.start()]  # "Jonas Vogelsang aus Leipzig": the place apart
    if first_line == value or not first_line.strip():
        return finding
    return Finding(finding.start, finding.start + len(first_line), finding.entity_type, finding.score)


# the name-shaped run of a span that starts or ends with code: `assertEquals("Dhruv Malhotra`
_NAME_WORD = rf"{_UPPER}{_LOWER}++(?:[\-'\u2019]{_UPPER}?{_LOWER}++)*+"
_NAME_RUN = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}}"
_CODE_EDGE = r"[\"'`(){}\[\]<>=,;:.]"


def _name_inside_code(text: str, finding: Finding) -> Finding:
    """A span with code at its start or end cut to the capitalised words between ("Dhruv Malhotra")."""
    value = text[finding.start : finding.end]
    if not _CODE_LIKE.search(value):
        return finding
    inner = _pattern(rf"(?:^|{_CODE_EDGE})[ \t]*\K({_NAME_RUN})[ \t]*(?:{_CODE_EDGE}|$)")
    runs = [m for m in inner.finditer(value) if not _CODE_LIKE.search(m.group(1))]
    if len(runs) != 1:
        return finding
    run = runs[0]
    return Finding(
        finding.start + run.start(1), finding.start + run.end(1), finding.entity_type, finding.score
    )


# the rest of a name after its particles: "Alejandro Fuentes| de la Vega", "Maria| do Carmo Vasconcelos"
_PARTICLES_AFTER = (
    rf"[ \t]+(?:(?:van|von|der|den|de|del|della|di|da|do|dos|das|du|la|le|ter|ten|y)[ \t]+){{1,2}}"
    rf"{_TOKEN.replace(_STOP, '')}(?:[ \t]+{_TOKEN}){{0,1}}{_END}"
)


# a third word after a given name and a surname, ending the name: the mother's surname of Spanish and
# Portuguese names ("Inés Romero Vidal, 54", "Tomás Ibarra Cruz.")
_SECOND_SURNAME = r"[ \t]+(\p{Lu}[\p{Ll}\p{M}]{1,}+)(?=[ \t]*(?:[,.;:)\n]|\Z))"


def _is_second_surname(name: str, word: str) -> bool:
    """Whether ``word`` after the two-word ``name`` is its second surname: the name's last word a known
    surname, ``word`` a known surname or given name, and neither a word name ("Hope"), a place nor a
    technical word."""
    words = name.split()
    lower = word.lower()
    return (
        len(words) == 2
        and is_surname(words[1].strip(".,"))
        and (is_surname(word) or is_given_name(word))
        and lower not in word_names()
        and lower not in _TECH_WORDS
        and lower not in _NOT_PEOPLE
        and not is_known_place(word)
    )


def _extended(text: str, finding: Finding) -> Finding:
    """A surname NER found, with the given name before it: "for Olumide Adebayo"; a name, with the rest of
    it after its particles: "Alejandro Fuentes de la Vega"."""
    second = _pattern(_SECOND_SURNAME).match(text, finding.end)
    if second is not None and _is_second_surname(text[finding.start : finding.end], second.group(1)):
        finding = Finding(finding.start, second.end(1), finding.entity_type, finding.score)
    after = _pattern(_PARTICLES_AFTER).match(text, finding.end)
    if after is not None and not any(
        word.lower() in _TECH_WORDS or is_known_place(word) for word in after.group().split()[-2:]
    ):
        finding = Finding(finding.start, after.end(), finding.entity_type, finding.score)
    before = _pattern(_PREVIOUS_NAME_WORD).search(text, max(0, finding.start - 40), finding.start)
    if before is None:
        return finding
    word = before.group(1)
    if word.lower() in _TECH_WORDS or word.lower() in _IMPERATIVE or word.lower() in _NOT_PEOPLE:
        return finding
    if _is_function_word(word):
        return finding  # "Szanowna Pani Kowalczyk": the name is "Kowalczyk"
    if _opens_sentence(text, before.start(1)) and not is_given_name(word):
        return finding
    return Finding(before.start(1), finding.end, finding.entity_type, finding.score)


def _in_comment(text: str, finding: Finding) -> bool:
    """Whether the finding follows a `#` or `//` comment marker on its line (prose, not code)."""
    line_start = text.rfind("\n", 0, finding.start) + 1
    return _pattern(r"(?:^|[ \t])(?:#|//)[ \t]").search(text, line_start, finding.start) is not None


def _line_of(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end >= 0 else len(text)]


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    window_start = max(0, start - _WINDOW)
    before = [m.end() for m in _SENTENCE_END.finditer(text, window_start, start)]
    sentence_start = before[-1] if before else window_start
    after = _SENTENCE_END.search(text, end, min(len(text), end + _WINDOW))
    return sentence_start, after.start() if after else min(len(text), end + _WINDOW)


# Words of the languages of Europe that NER's English model takes for names when capitalised: pronouns,
# articles, determiners, forms of address and politeness ("Können Sie", "Ihr Termin", "Il Suo"). A span
# with one of them capitalised is not a name; short words that are also surnames (Le, Do, Ma, Son, Han,
# Min, Su, Lo, Ni, Tu, My, Van, De, Da, Di, Del) are left out, and name particles in lower case stay.
_FUNCTION_WORDS = _word_set(
    # German
    "sie ihr ihre ihren ihrem ihrer ihres ihnen der die dem ein eine einen einem einer eines und oder mit "
    "für bei zum zur am vom ich er es wir mir mich dich uns euch euer eure mein meine meinen dein deine "
    "seine unser unsere kein keine nicht bitte können könnten sollten würden wird werden ist sind haben hat "
    "sehr geehrte geehrter geehrtes guten tag vielen dank liebe lieber herzliche herzlichen aufgrund wie was "
    "wann warum dass auch noch schon hier diese dieser dieses alle gerne freundliche freundlichen grüße "
    "grüßen gruß betreff hinweis "
    # French
    "je il nous vous ils elles une aux votre vos notre nos mon mes tes ses leur leurs ce cette ces et pour "
    "avec sur dans merci bonjour bonsoir cordialement objet chère chers madame monsieur messieurs mesdames "
    # Spanish
    "los las unos unas sus mis tus nuestro nuestra usted ustedes él nosotros ellos ellas con por para "
    "estimado estimada estimados hola gracias asunto nota atentamente saludos señor señora sra srta "
    # Portuguese
    "os um uma seu sua seus suas meu minha você vocês ele ela nós eles pelo pela pelos pelas nos nas com "
    "prezado prezada prezados olá obrigado obrigada assunto equipe atenciosamente abraços "
    # Italian
    "gli uno suo suoi tuo tua nostro vostro vostra noi voi loro dei degli delle gentile egregio egregia "
    "il buongiorno grazie oggetto cordiali saluti distinti sig dott "
    # Dutch
    "het een uw jij jouw wij ons onze zij hij zijn mijn met voor geachte beste hartelijk groet groeten "
    "onderwerp mevrouw meneer "
    # Swedish
    "jag dem det ditt er ert era vår vårt och eller med för på hej tack kram kramar hälsningar vänliga "
    "ärende "
    # Polish
    "pani państwo szanowny szanowna szanowni ona wy oni mój moja twój nasz wasz dla dzień dobry dziękujemy "
    "dziękuję dział obsługi temat pozdrawiam "
    # greetings: "Hallo Katarzyna" is "Katarzyna"
    "hallo ciao hoi witaj moin servus "
    # Turkish and Indonesian: "Merhaba, ben Elif", "Halo kak, saya Budi"
    "merhaba selam say\u0131n sayg\u0131lar\u0131mla sayg\u0131lar\u0131m\u0131zla te\u015fekk\u00fcrler "
    "halo yth "
    "kak terima kasih anda kami kita saya mereka "
    # a team signing a letter: "Ihr Kundenservice", "Kundtjänst", "Equipe de Atendimento"
    "kundenservice kundendienst buchhaltung kundtjänst klantenservice servizio servicio serviço atendimento "
    "atención équipe equipo obsługa"
)
# Field labels of forms and tickets: the label before the colon is not the name, the value after it is
# ("Requester: Grace Holloway", "Paciente: Luis ..."); other labels are found by shape (see below).
_FIELD_LABELS = _word_set(
    "requester reporter assignee owner customer client patient paciente patiente cliente kunde kundin "
    "patientin klant kund klient antragsteller status priority priorität prioridad priorité priorità "
    "prioriteit subject summary component description asunto objet oggetto onderwerp ärende temat betreff "
    "nota note notes hinweis ville city stadt ciudad cidade città stad miasto nom prénom nombre apellido "
    "apellidos nome cognome naam voornaam achternaam namn efternamn förnamn imię nazwisko land country "
    "país pays paese kraj adresse dirección endereço indirizzo adres datum fecha data telefon teléfono "
    "telefone telefono motivo estado diagnose diagnosis diagnóstico diagnosi empfänger absender "
    "destinatario remitente expéditeur destinataire mittente afzender ontvanger avsändare mottagare "
    "nadawca odbiorca agent user benutzer usuario utilisateur utente gebruiker användare użytkownik "
    "contact kontakt contacto contato contatto agenda minutes",
    # a record's contact fields: "Email: x@example.com", "Tel: ..."
    "email mail tel tele phone mobile mobil handy fax web website url homepage dob geburtsdatum iban bic",
)
# markers of code comments and logs, in capitals: "FIXME: ...", "NOTE:"
_CODE_MARKERS = _word_set(
    "todo fixme xxx note nb hack bug warn warning error info debug tbd wip optimize review deprecated "
    "security important caution tip notice fatal trace"
)
# a business's kind, opening its name in several languages: "Hotel Sonnenhof", "Pousada Mar Azul"
_BUSINESS_WORDS = _word_set(
    "hotel hôtel hotell hostel hostal pension pensión pensione gasthaus gasthof pousada posada auberge "
    "restaurant restaurante ristorante restauracja café cafe caffè caffe kawiarnia cafetería cafeteria "
    "pizzeria trattoria osteria taverna brasserie bistro bistrot boulangerie pâtisserie bäckerei "
    "konditorei apotheke farmacia pharmacie apteka motel resort inn lodge camping hacienda "
    "klinik clinica clínica praxis",
    # a garage, a workshop, a cooperative: "Carrozzeria Milano Sud", "Taller Hermanos", "Autohaus Nord"
    "carrozzeria autofficina officina taller talleres garage garaje garagem werkstatt autohaus autowerkstatt "
    "cooperativa cooperative coop genossenschaft spółdzielnia kooperatywa coöperatie kooperativ",
)
# a business's kind ending its name: "Sonnenhof Hotel", "Harbour Inn"
_BUSINESS_LAST = _word_set(
    "hotel hostel inn motel resort café cafe restaurant bistro pizzeria",
    # the trade a company's name ends with: "Acme Analytics", "Northwind Maritime", "Seaview Physio"
    "analytics crafts maritime physio physiotherapy logistics solutions systems consulting consultants "
    "holdings ventures technologies labs studios interiors outfitters supplies foods farms freight "
    "shipping robotics software networks dental optics textiles apparel bakery brewery winery",
    # a chain or a trade in the plural: "Rosa Hotels", "Brentford Motors", "Harbour Garages"
    "hotels hostels inns motels resorts restaurants cafés cafes bistros motors garages autos cars tyres "
    "tires repairs rentals travel tours airways",
)
# a geographic feature opening a place's name: "Wadi Rum", "Mount Kenya", "Port Harcourt", "Lake Como"
_GEO_PREFIXES = _word_set(
    "wadi mount mt lake cape port fort isla isle lago lac loch jebel jabal djebel gunung pulau bukit "
    "playa puerto cabo cerro bahía bahia golfo gulf"
)


# a street's kind opening its name: "Rua Augusta", "Calle Mayor", "Via Roma"
_STREET_FIRST = _word_set(
    "rua rue calle avenida avda avenue via viale piazza praça plaza largo travessa carrer camino paseo "
    "boulevard chemin allée ulica aleja"
)
# what ends the name of an agreement, an event or an award, not a person's: "Paris Agreement"
_THING_LAST = _word_set(
    "agreement agreements accord accords treaty protocol convention declaration act summit conference "
    "plus premium ultra "
    "award awards prize cup festival marathon games olympics expo generator server client platform "
    "storage cloud sdk framework library runtime plugin extension dataset policy support",
    # an institution, a field of work
    "university college institute school hospital foundation corporation agency ministry council",
    "clinic clinics klinik practice pharmacy",
    "committee association society learning streaming logging computing networking processing hosting",
    "monitoring testing training engineering marketing consulting accounting publishing manufacturing",
    # a company's line of business or legal form ending its name: "Contoso Retail", "Nordwind Logistik AG"
    "retail holdings holding logistics logistik solutions systems group gruppe groep grupo gmbh kg ag ab sa "
    "bv nv ltd inc llc corp plc partners ventures technologies tech labs industries enterprises services "
    "trading media networks insurance pharma motors foods airlines bank",
)


# what opens the name of an institution, a company or a vendor's product, not a person's, in the languages
# of Europe: "Grupo Andino", "Secretaria de Saúde", "Stadtwerke Nord", "Microsoft Entra"
_THING_FIRST = _word_set(
    "grupo gruppe groupe groep gruppo secretaria secretaría secretariat ministerio ministério ministère "
    "ministerium ministero ministry hospital hospitale clínica clinica klinik klinikum banco banca banque "
    "universidad universidade università universität université instituto istituto institut fundación "
    "fundação fondazione stiftung empresa prefeitura ayuntamiento comune gemeinde stadtwerke abteilung "
    "departamento dipartimento département servicio serviço servizio compañía companhia compagnie "
    "société sociedad sociedade società",
    # vendors whose next word is their product
    "microsoft google amazon aws azure apple oracle ibm adobe salesforce sap atlassian cisco",
)


def _is_function_word(word: str) -> bool:
    """A capitalised function word of a language of Europe ("Sie", "Ihr", "Il", "Prezado")."""
    return word[:1].isupper() and word.strip(".,:;!?").lower() in _FUNCTION_WORDS


# articles and possessives: the word after one is a noun, not a name ("mein Konto", "ein Zimmer")
_DETERMINERS = _word_set(
    "der die das dem den des ein eine einen einem einer eines mein meine meinen dein deine sein seine ihr "
    "ihre ihren ihrem ihrer unser unsere kein keine le la les un une mon ma mes ton ta tes son sa ses votre "
    "vos notre nos el los las una unos unas su sus mi mis tu tus o os um uma seu sua seus suas meu minha "
    "il lo gli uno suo mio tuo het een uw mijn zijn onze din ditt min mitt ert mój moja twój nasz "
    "wasz"
)
_LEADING_WORD = re.compile(r"([^\s]+)[ \t]+")


def _without_leading_function_words(text: str, finding: Finding) -> Finding:
    """NER's span without the words of a language's grammar it opens with: "Hej Elin" -> "Elin",
    "Je m'appelle Élodie Marchand" -> "Élodie Marchand"; what is left must be a given name or follow a
    cue ("Können Sie", "Ihr Termin", "ein Zimmer" -> nothing)."""
    start = finding.start
    while start < finding.end:
        match = _LEADING_WORD.match(text, start, finding.end)
        word = match.group(1) if match else text[start : finding.end]
        if match is None or not (word.strip(".,:;!?").lower() in _FUNCTION_WORDS or word[:1].islower()):
            break  # the last word stays: "hi its deepika" has its name in lower case
        start = match.end() if match else finding.end
    if start == finding.start:
        return finding
    rest = text[start : finding.end].split()
    if not any(word[:1].isupper() for word in rest):
        return Finding(start, start, finding.entity_type, finding.score)  # "ich kann", "su duda"
    last = text[finding.start : start].split()[-1].lower()
    full_name = len(rest) >= 2 and is_given_name(rest[0].strip(".,:;!?")) and rest[1][:1].isupper()
    if last in _DETERMINERS and not full_name and not _has_cue_before(text, finding.start):
        # "mein Konto", "Ihr Termin"; but "Cześć, tu Katarzyna Zając" ("here is"): a full name stays
        return Finding(start, start, finding.entity_type, finding.score)
    if len(rest) == 1 and rest[0].strip(".").lower() in _ADDRESS_WORDS:
        return Finding(start, start, finding.entity_type, finding.score)  # "Prezado Sr"
    if (
        not any(is_given_name(word.strip(".,:;!?")) for word in rest)
        and not _has_cue_before(text, start)
        and not (len(rest) > 1 and rest[0].strip(".").lower() in _ADDRESS_WORDS)  # "Sie Frau Ziegler"
    ):
        return Finding(start, start, finding.entity_type, finding.score)
    return Finding(start, finding.end, finding.entity_type, finding.score)


def _is_code_identifier(text: str, word: str) -> bool:
    """Whether ``text`` uses ``word`` as an identifier in code: `Marshall()`, `o.Marshall`, `Marshall::`."""
    for marked, offset in ((word + "(", 0), (word + "::", 0), ("." + word, 1)):
        index = text.find(marked)
        while index >= 0:
            start = index + offset
            end = start + len(word)
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            if (offset or not (before.isalnum() or before in "_'\u2019")) and not (
                offset and (after.isalnum() or after == "_")
            ):
                return True
            index = text.find(marked, index + 1)
    return False


def _is_place_shaped(words: list[str]) -> bool:
    """A place's name by its first or last word: "Wadi Rum", "Ho Chi Minh City", "Port Harcourt"."""
    return len(words) > 1 and (words[0].lower() in _GEO_PREFIXES or words[-1].lower() in _PLACE_WORDS)


def _is_business(words: list[str]) -> bool:
    return len(words) > 1 and (
        words[0].lower().strip("'\u2019") in _BUSINESS_WORDS or words[-1].lower() in _BUSINESS_LAST
    )


# holidays and festivals NER reads as names: "call after Hari Raya", "back after Diwali"
_HOLIDAYS = frozenset(
    " ".join(holiday.split())
    for holiday in (  # noqa: SIM905
        "hari raya|hari raya aidilfitri|hari raya haji|diwali|deepavali|eid|eid al-fitr|eid al-adha|"
        "eid ul-fitr|eid mubarak|ramadan|ramadhan|hanukkah|chanukah|thanksgiving|nowruz|norouz|christmas|"
        "easter|passover|pesach|purim|sukkot|yom kippur|rosh hashanah|vesak|wesak|songkran|lunar new year|"
        "chinese new year|tet|holi|navratri|durga puja|onam|pongal|lohri|baisakhi|vaisakhi|ugadi|"
        "raksha bandhan|dussehra|kwanzaa|halloween|midsummer|midsommar|weihnachten|ostern|pfingsten|"
        "silvester|noël|navidad|semana santa|pâques|pascua|páscoa|natale|pasqua|ferragosto|kerst|pasen|"
        "carnaval|carnival|karneval|fasching|obon|chuseok|seollal|timkat|meskel|tabaski|mawlid|matariki|"
        "waitangi|hogmanay|boxing day|new year|new year's|new year's eve|id al-fitr|lebaran|galungan|nyepi"
    ).split("|")
)
# titles and forms of address: a span of them alone is no name ("Estimado Sr." -> the name after it)
_ADDRESS_WORDS = _word_set(
    "sr sra srta dr dra mr mrs ms mx prof sig dott herr frau fru pani pan señor señora senor senora don "
    "doña dona dom mme mlle monsieur madame sir madam signor signora sig.ra dhr mevr hr dr. mw"
)


# the commonest words of a language (ASCII ones): which language a text is in, by how many it has
_LANGUAGE_WORDS = {
    "en": _word_set("the and is are was you your with this that have for not will from be"),
    "de": _word_set(
        "der die das und nicht ist sie wir ich mit auf den dem des ein eine bitte zu von sehr uns bei im um",
        "nach oder auch noch wird werden sonst",
        # the telegraphic German of records and logs: "Rahmenvertrag Nr. ... bis", "beim Abruf", "ab KW 9"
        "bis beim ab nr gmbh neuer neue neuen vom zum zur aus uhr bzw",
    ),
    "fr": _word_set(
        "les des est une vous nous pour dans avec sur pas sont que qui au aux du le et nos vos seront sera",
        "ont avons bonjour madame monsieur merci",
    ),
    "es": _word_set("los las el por para con una que del es y usted su muy al"),
    "pt": _word_set("os as uma para com nao voce seu sua do da dos das em que no"),
    "it": _word_set("il gli della che per con una sono non del alla di ci"),
    "nl": _word_set("het een van de en is niet met voor zijn wij u uw naar op ik"),
    "sv": _word_set("och att det som en ett inte med vi jag har till av om kan ska hej tack ses"),
}
# words that open a sentence of a language and that NER reads as a name there: articles, pronouns,
# common verbs ("Les commandes seront ...", "Bor numera i Malmö")
_SENTENCE_OPENERS = {
    "fr": _word_set("les le la des du un une ce ces cette nos vos leur leurs il elle ils elles on nous vous"),
    "es": _word_set("los las el la un una unos unas este esta estos estas nuestro nuestra le les"),
    "pt": _word_set("os as o a um uma este esta estes estas nosso nossa"),
    "it": _word_set("il lo la gli le un una questo questa questi queste"),
    "nl": _word_set("de het een deze dit die onze wij"),
    "sv": _word_set("den det de en ett denna detta vi bor har är kan ska vill kommer finns gäller"),
}
# a German article, possessive or demonstrative, maybe an adjective, before a noun: "auf die alte Karte"
_GERMAN_DETERMINER_BEFORE = (
    r"(?i:\b(?:der|die|das|den|dem|des|ein|eine|einen|einem|einer|eines|kein|keine|keinen|mein|meine|"
    r"meinen|dein|deine|sein|seine|seinen|ihr|ihre|ihren|unser|unsere|unseren|euer|eure|dies(?:e[rmns]?)?|"
    r"jede[rmns]?|alle|zum|zur|im|am|vom|beim))[ \t]+(?:\p{Ll}[\p{L}\p{M}]*[ \t]+)?\Z"
)


@functools.lru_cache(maxsize=8)
def _is_about_travel(text: str) -> bool:
    return _pattern(_TRAVEL_TOPIC).search(text) is not None


@functools.lru_cache(maxsize=8)
def _text_language(text: str) -> str:
    """The language of ``text`` ("en" unless at least two common words of another outnumber English's)."""
    words = folded_words(text)[1]
    counts = {language: len(common & words) for language, common in _LANGUAGE_WORDS.items()}
    best = max(counts, key=lambda language: counts[language])
    return best if counts[best] >= 2 and counts[best] > counts["en"] else "en"


def _is_common_word_of_language(text: str, finding: Finding, words: list[str]) -> bool:
    """Whether NER's span is a common word of the text's language, not a name: a verb of living opening a
    sentence ("Bor numera i Malmö"), an article opening one ("Les commandes ..."), a German noun (German
    capitalises them all: "die alte Karte", "Angebot Nr.", "Leitlinie:") the gazetteers do not know or
    after an article, when no cue marks a name."""
    language = _text_language(text)
    if len(words) > 2 and not (language == "de" and len(words) == 3 and words[1].islower()):
        return False  # (but "Abruf der Wechselkurse": two German nouns and an article)
    first = words[0].strip(".,:;!?")
    if (
        len(words) == 1
        and first.lower() in _FOREIGN_RESIDENCE_VERBS
        and _pattern(_FOREIGN_RESIDENCE_CUE).match(text, finding.start)
    ):
        common = True
    elif language == "en" or any(word.strip(".,:;").lower() in _ADDRESS_WORDS for word in words):
        return False  # "Herr Vogelsang": a title says a name
    elif language != "de":
        common = (
            len(words) == 1
            and first.lower() in _SENTENCE_OPENERS.get(language, frozenset())
            and _opens_sentence(text, finding.start)
        )
    else:
        common = _pattern(_GERMAN_DETERMINER_BEFORE).search(
            text[max(0, finding.start - 30) : finding.start]
        ) is not None or not any(
            is_given_name(word.strip(".,:;!?")) or is_surname(word.strip(".,:;!?")) for word in words
        )
    # the cue last: its pattern is the dearest
    return common and not _has_cue_before(text, finding.start)


def _is_title_or_holiday(value: str) -> bool:
    words = value.split()
    if all(word.strip(".,:;").lower() in _ADDRESS_WORDS for word in words):
        return True
    return " ".join(words).strip(".,:;!?").lower() in _HOLIDAYS


# A team or a department signs a letter as a person would ("Regards, Finance team", "Camila — Financeiro",
# "Med vänliga hälsningar\nEkonomiavdelningen", "Ihre Rechtsabteilung"): its words in the languages of
# Europe, and the endings of a department's compound
_TEAM_WORDS = _word_set(
    """team teams teamet teamit tiimi equipe équipe equipo squadra zespół dział department dept division
    afdeling avdeling avdelning abteilung finance finances financeiro financeira finanzas finanzen finanza
    finanse finans ekonomi ekonomia økonomi økonomiavdelingen billing faturamento facturación facturacion
    fakturering fatturazione rozliczenia accounting accounts contabilidade contabilidad buchhaltung
    redovisning boekhouding contabilità księgowość payroll support suporte soporte supporto wsparcie
    sales vendas ventas vertrieb försäljning verkoop vendite sprzedaż comercial commerciale marketing rh
    rrhh hr legal jurídico juridico compliance helpdesk servicedesk operations logistics logística
    logistik reception recepção recepción empfang kundservice kundeservice kundesenter asiakaspalvelu
    administração administración administration verwaltung secretaria secretaría sekretariat tesouraria
    tesorería cobrança cobranza inkasso facilities procurement purchasing einkauf"""
)
# an office or a service that signs a letter or is greeted, in the languages of Europe, Turkish and
# Indonesian: "Atentamente,\nDelegación", "Grüßen\nBürgeramt Mitte", "Best, Onboarding"
_INSTITUTION_WORDS = _word_set(
    """onboarding admissions admission recruitment recruiting enrollment enrolment registrar registry bursar
    bursary scheduling dispatch concierge membership administration management office front desk helpdesk
    claims underwriting collections fulfilment fulfillment bookings reservations housekeeping maintenance
    safeguarding pastoral careers alumni outreach partnerships payments renewals retention disputes
    moderation editorial talent benefits wellness pharmacy radiology admin scholarships registrations
    delegación subdelegación ayuntamiento consejería jefatura comisaría oficina secretaría gerencia
    dirección tesorería agencia hacienda registro juzgado ministerio consulado embajada prefeitura
    cartório receita departamento direção diretoria coordenação ouvidoria atendimento mairie préfecture
    sous-préfecture direction secrétariat accueil caisse trésorerie ambassade consulat rectorat scolarité
    comune anagrafe questura prefettura ufficio segreteria amministrazione direzione servizio kundenservice
    praxis praxisteam rathaus gemeinde stadtwerke kanzlei gemeente klantenservice administratie
    secretariaat kommun kommunen kundtjänst kansliet expeditionen skatteetaten nav verohallinto
    maistraatti asiakaspalvelu toimisto kela urząd biuro dziekanat kantor bagian kelurahan kecamatan
    ekibi ekip birimi departman\u0131 güvenlik destek muhasebe hizmetleri hizmetler layanan pelanggan
    dukungan keuangan"""
)
# the people a letter greets as a group or by their role: "Dear Parent", "Liebe Kolleginnen und Kollegen"
_GREETED_ROLE_WORDS = _word_set(
    """parent parents guardian guardians colleague colleagues everyone all friends sir madam neighbour
    neighbours neighbor neighbors customers patients residents tenants students applicants members
    subscribers participants attendees volunteers families staff kolleginnen kollegen kollegin kollege
    mitarbeitende mitarbeiterinnen mitarbeiter kundin eltern nachbarn teilnehmende teilnehmer mieter
    collègues collègue client cliente clients clientes colegas compañeros compañeras padres familias
    vecinos vecinas socios alumnos colleghi genitori clienti soci famiglie kollegor kolleger föräldrar
    medlemmar foreldre ouders collega's collega klanten leden bewoners rodzice klienci państwo veliler
    kunden kundinnen kundschaft nutzer nutzerinnen bewohner bewohnerinnen studierende mitglieder
    habitants adhérents membres residenti studenti associati mieszkańcy moradores associados asiakas
    asiakkaat jäsenet beboere medlemmer pelanggan m\u00fc\u015fterimiz m\u00fc\u015fteriler
    m\u00fc\u015fteri de\u011ferli velilerimiz \u00f6\u011frenciler \u00fcyelerimiz"""
)
# a speaker's or a form's role, not a name: "Agent: ... Caller: yeah", "Paciente: Joana", "Nurse:", and
# a group a letter is signed by ("People Team"), in the languages of Europe
_ROLE_LABEL_WORDS = _word_set(
    """caller callers agent agents nurse doctor operator dispatcher interviewer interviewee speaker host
    moderator advisor adviser representative rep clerk receptionist pharmacist therapist technician
    engineer supervisor assistant bot customer patient client user tenant landlord guest passenger people
    llamante agente operador operadora asesor asesora enfermera enfermero médico médica medico paciente
    atendente enfermeira utente cliente inquilino huésped hóspede anrufer anruferin arzt ärztin
    pflegekraft berater beraterin mitarbeiter mitarbeiterin patient patientin mieter mieterin vermieter
    appelant appelante médecin infirmier infirmière conseiller conseillère interlocuteur locataire
    chiamante operatore operatrice infermiere infermiera dottore dottoressa paziente inquilino beller arts
    verpleegkundige medewerker huurder uppringare handläggare läkare sjuksköterska patienten hyresgäst
    innringer lege sykepleier saksbehandler leietaker dzwoniący konsultant konsultantka lekarz
    pielęgniarka pacjent pacjentka najemca"""
)
_TEAM_ENDING = re.compile(
    r"(?:avdelningen|avdelning|avdelingen|avdeling|afdelingen|afdeling|abteilung|osasto|teamet|tjänst|"
    r"tjenesten|tjenester)\Z"
)
# a compound naming an office: "Bürgeramt", "Finanzamt", "Jobcenter", "Lönekontoret", "Skatteverket",
# "Försäkringskassan", "Arbetsförmedlingen", "Belastingdienst", "Verovirasto", "Nüfus Müdürlüğü"
_INSTITUTION_ENDING = re.compile(
    r"\w{3,}(?:amt|ämter|behörde|kasse|kassan|kassen|büro|zentrum|center|centre|verwaltung|kontoret|kontor|"
    r"kontorer|verket|förmedlingen|nämnden|enheten|byrån|etaten|senteret|kantoor|loket|dienst|virasto|"
    r"toimisto|keskus|müdürlüğü|belediyesi|başkanl\u0131ğ\u0131|dairesi)\Z"
)
# an interface's label or a sales stage, not a person: "click 'Change Name'", "moved to Closed Won" (an
# instruction's verb or a participle first, and no word a known name)
_LABEL_FIRST_ENDING = re.compile(r"[a-z]{3,}ed\Z")
# a log line's program, not a person: "kernel: [ 1842.117203] ...", "systemd[1]: Started ..."
_LOG_PROGRAM_AFTER = r"(?:\[\d+\])?:[ \t]+\[|\[\d+\]:"


def _is_team(words: list[str]) -> bool:
    """Whether every word of a PERSON finding names a team, a department, an office or a group greeted by
    its role (``_TEAM_WORDS``, ``_INSTITUTION_WORDS``, ``_GREETED_ROLE_WORDS``), or its first word names an
    office and no given name follows."""
    stripped = [word.strip(".,:;!?\"'()").lower() for word in words]
    stripped = [word for word in stripped if word]
    if len(stripped) > 1 and stripped[0] == "tim":
        stripped = stripped[1:]  # Indonesian "Tim Layanan Pelanggan" (not "Tim" alone, a given name)
    if all(
        word in _TEAM_WORDS
        or word in _INSTITUTION_WORDS
        or word in _GREETED_ROLE_WORDS
        or word in _ROLE_LABEL_WORDS
        or word in ("und", "and", "et", "y", "e", "och", "og", "en", "i", "ve", "dan", "the")
        or _TEAM_ENDING.search(word) is not None
        or _INSTITUTION_ENDING.fullmatch(word) is not None
        for word in stripped
    ):
        return True
    # an office and its district or town: "Bürgeramt Mitte", "Oficina Central" (no given name after it)
    return (
        len(stripped) > 1
        and (stripped[0] in _INSTITUTION_WORDS or _INSTITUTION_ENDING.fullmatch(stripped[0]) is not None)
        and not any(word in lone_given_names() for word in stripped[1:])
    )


def _is_label(words: list[str]) -> bool:
    """Whether a PERSON finding of two or three capitalised words is an interface's label or a stage
    ("Change Name", "Closed Won"): an instruction's verb or a participle first, and no known name."""
    stripped = [word.strip(".,:;!?\"'()") for word in words]
    if not 2 <= len(stripped) <= 3 or not all(word[:1].isupper() for word in stripped):
        return False
    first = stripped[0].lower()
    if first not in _IMPERATIVE and _LABEL_FIRST_ENDING.search(first) is None:
        return False
    return not any(is_given_name(word) or is_surname(word) for word in stripped)


# a German noun's ending: "Stationszimmer", "Einkaufsleitung", "Frühdienst" (names rarely end so)
_GERMAN_NOUN_ENDING = r"\p{L}{4,}(?:ung|heit|keit|schaft|zimmer|dienst|stelle|leitung)\Z"
# a place that names a company's site, not a person: "the Lyon office", "our Graz warehouse"
_SITE_AFTER = (
    r"[ \t]+(?:office|offices|offsite|branch|site|campus|store|shop|warehouse|plant|factory|hub|"
    r"headquarters|HQ|depot|airport|data[ \t]+cent(?:er|re))\b"
)
# a product or service a software integrates with: "the Acme Rewards integration", "Foo Bar plugin"
_PRODUCT_AFTER = (
    r"[ \t]+(?:integration|integrations|plugin|plugins|plug-in|connector|connectors|extension|add-on|"
    r"addon|module|SDK|API|app|widget|webhook|subscription|loyalty[ \t]+program)\b"
)


@functools.cache
def lone_given_names() -> frozenset[str]:
    """The curated given names that are a name alone (``data/lone_given_names.txt``, no foreign words)."""
    return _gazetteer("lone_given_names.txt")


def _is_thing_by_shape_or_use(text: str, finding: Finding, words: list[str]) -> bool:
    """Whether a PERSON finding with no cue before it is a thing by its shape or by what follows it: one
    word in lower case ("procesados hoy"); a German noun's ending; a word of a text not in English that
    no curated given name, surname or word name lists ("Gamla nycklar": the long given-name gazetteer
    holds words of every language); a known place naming a site ("the Lyon office"); a product a
    software integrates with ("the Marriott Bonvoy integration")."""
    if _has_cue_before(text, finding.start):
        return False
    stripped = [word.strip(".,:;!?\"'()") for word in words]
    known = [
        word.lower() in lone_given_names() or is_surname(word) or word.lower() in word_names()
        for word in stripped
    ]
    if any(
        _pattern(_GERMAN_NOUN_ENDING).search(word) and not (is_given_name(word) or is_surname(word))
        for word in stripped
    ):
        return True
    if len(stripped) == 1 and not known[0] and _text_language(text) != "en":
        return not _pattern(_CUE_AFTER).match(text, finding.end)
    if len(stripped) == 1 and is_known_place(stripped[0]) and _pattern(_SITE_AFTER).match(text, finding.end):
        return True
    if (
        len(stripped) > 1
        and is_known_place(" ".join(stripped))
        and (
            _after_foreign_place_preposition(text, finding.start, " ".join(stripped))
            or _pattern(_LOCATIVE_BEFORE).search(text[max(0, finding.start - 12) : finding.start])
        )
    ):
        return True  # "lojas em Belo Horizonte", "an office in Santa Cruz": a place of several words
    return _pattern(_PRODUCT_AFTER).match(text, finding.end) is not None and not any(
        word.lower() in lone_given_names() for word in stripped
    )


# a word that names the thing after it, not a person: a housing estate or a cooperative ("osiedle Zielone
# Wzgórze", "la cooperativa Agua Clara"), a customer segment or a campaign ("Segmento 'Famílias Eco'"), a
# restaurant named after its owner ("La Casa de Rosa", "chez Marcel"), in the languages of Europe
_THING_BEFORE = (
    r"(?i:\b(?:osiedle|osiedlu|osiedla|spółdzielnia|spółdzielni|cooperativa|cooperative|co-op|coop|"
    r"genossenschaft|coöperatie|kooperativ|residencial|condominio|condomínio|urbanización|urbanizacion|"
    r"fraccionamiento|siedlung|wohnanlage|housing[ \t]+estate|estate|segment|segmento|segmentu|campaign|"
    r"campaña|campanha|campagne|kampagne|kampania|casa[ \t]+de|casa[ \t]+di|chez|maison|hotel|hôtel|hotell|"
    r"restaurant|restaurante|ristorante|trattoria|pizzeria|taverna)[ \t]+[\"'\u2018\u201c\u00ab]?)\Z"
)
# a list of businesses or partners: "Garage partner list Q4: AutoFix Leeds, Brentford Motors, ..."
_BUSINESS_LIST_CUE = (
    r"(?i:\b(?:partner|partners|supplier|suppliers|vendor|vendors|garage|garages|dealer|dealers|stockist|"
    r"stockists|retailer|retailers|merchant|merchants|"
    r"proveedores|fornecedores|fornitori|lieferanten|fournisseurs|leveranciers|leverantörer|dostawcy|"
    r"socios|parceiros|partenaires)\b[^:\n]{0,20}:[ \t]*)"
)
# a class's bases in code: `class ClaimStatus(str, Enum):`, `def f(Request)`
_DECLARATION_ARGUMENTS = (
    r"^[ \t]*(?:class|def|fn|func|function|interface|struct|record)[ \t]+\w+[ \t]*[(<][^)\n]*\Z"
)


def _is_named_thing(text: str, finding: Finding, words: list[str]) -> bool:
    """Whether a PERSON finding names a thing by what is around it: an estate, a cooperative, a segment or
    a restaurant by the word before it; an item of a list of businesses (a list cue before it, or a
    business of the same list); a class's base in code."""
    before = text[max(0, finding.start - 40) : finding.start]
    if _pattern(_THING_BEFORE).search(before):
        return True
    line_start = text.rfind("\n", 0, finding.start) + 1
    if _pattern(_DECLARATION_ARGUMENTS).search(text[line_start : finding.start]):
        return True
    return _in_business_list(text, finding, line_start)


_LIST_ITEM = r"[ \t]*(?:,|\band\b|&)[ \t]*"
_LIST_NAME = r"\p{Lu}[\p{L}\p{M}'\u2019\-]*+(?:[ \t]+\p{Lu}[\p{L}\p{M}'\u2019\-]*+){0,3}"


def _in_business_list(text: str, finding: Finding, line_start: int) -> bool:
    """Whether a finding is one item of a comma list on its line that a list cue opens ("suppliers: ...")
    or in which another item is a business by its words ("Brentford Motors", "Taller Hermanos")."""
    line_end = text.find("\n", finding.end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    start = finding.start - line_start
    end = finding.end - line_start
    # the list around the finding: the run of items joined by commas, up to a sentence's end or a colon
    head = max(line.rfind(":", 0, start), line.rfind(". ", 0, start))
    tail_candidates = [i for i in (line.find(". ", end), line.find(":", end)) if i >= 0]
    tail = min(tail_candidates) if tail_candidates else len(line)
    items = [item.strip(" \t.'\"") for item in _pattern(_LIST_ITEM).split(line[head + 1 : tail])]
    items = [item for item in items if item]
    # a list of three or more capitalised runs only, the finding one of them
    if len(items) < 3 or not all(_pattern(_LIST_NAME).fullmatch(item) for item in items):
        return False
    if head >= 0 and line[head] == ":" and _pattern(_BUSINESS_LIST_CUE + r"\Z").search(line[: head + 1]):
        return True
    return any(_is_business(item.split()) for item in items)


def _is_person(text: str, finding: Finding, values: frozenset[int] = frozenset()) -> bool:
    """Whether a PERSON finding is a name where it is; ``values`` are where other PERSON findings start (a
    label before one of them is not a name)."""
    value = text[finding.start : finding.end]
    words = value.split()
    if not words or _is_title_or_holiday(value):
        return False
    if _is_team(words) or _is_label(words):
        return False
    if _is_named_thing(text, finding, words):
        return False
    if (
        len(words) == 1
        and is_known_place(value)
        and text[finding.start - 1 : finding.start] == "("
        and text[finding.end : finding.end + 1] == ")"
    ):
        return False  # "la cooperativa Sol Naciente (Murcia)": a known place in brackets qualifies a name
    if len(words) == 1 and _pattern(_LOG_PROGRAM_AFTER).match(text, finding.end):
        return False
    if _is_common_word_of_language(text, finding, words):
        return False
    if _is_thing_by_shape_or_use(text, finding, words):
        return False
    full_name = len(words) >= 2 and all(word[:1].isupper() for word in words)
    if (
        _COMMAND_LINE.match(_line_of(text, finding.start))
        and not full_name
        and not _in_comment(text, finding)
    ):
        return False
    if any(word.lower() in _TECH_WORDS or word.lower() in _NOT_PEOPLE for word in words):
        return False  # "Will Kubernetes scale"
    if len(words) > 1 and words[0].lower() in _THING_FIRST:
        return False  # "Grupo Andino", "Secretaria de Saúde", "Microsoft Entra": an institution, a product
    if not _is_name_shaped(text, finding, words, values):
        return False
    after_a_preposition = _pattern(_LOCATIVE_BEFORE).search(text[max(0, finding.start - 12) : finding.start])
    if len(words) == 1 and after_a_preposition and not _pattern(r"['\u2019]s\b").match(text, finding.end):
        return False  # "an office in Valencia": a place, whatever names it shares
    if len(words) == 1 and _after_foreign_place_preposition(text, finding.start, value):
        return False  # "aura lieu à Lyon", "wohnt in Graz", "vi ses i Lund": a place
    if (
        len(words) == 1
        and _is_about_travel(text)
        and not _has_cue_before(text, finding.start)
        and not _pattern(_PERSON_AFTER).match(text, finding.end)
    ):
        return False  # "Is Jordan a good destination? How does Petra compare": a place to visit
    if len(words) != 1 or (is_given_name(value) and not (len(value) > 1 and value.isupper())):
        return True  # a known given name, but not an acronym ("JSON")
    word = value.strip("'\u2019\".,:;!?").lower()
    if _has_cue_before(text, finding.start) or _pattern(_CUE_AFTER).match(text, finding.end):
        return True
    if _pattern(_NUMBER_BEFORE).search(text[max(0, finding.start - 20) : finding.start]):
        return False  # a unit: "1000 Mbps"
    if value.islower():
        return False  # "max 1,000 kg": a name in lower case only after a cue
    if not is_surname(word) and not _pattern(_PERSON_AFTER).match(text, finding.end):
        return False  # one word, no known name, nothing a person does: "Lisbon", "Receipt attached"
    if word in _TECH_WORDS or word in _NOT_PEOPLE or (len(word) > 1 and value.isupper()):
        return False  # Docker, Claude, JSON
    if len(word) > 5 and word.endswith("ing"):
        return False  # "logs say Running on all addresses"
    if word in _IMPERATIVE and _opens_sentence(text, finding.start):
        return False
    if _opens_sentence(text, finding.start):
        following = _NEXT_WORD.match(text, finding.end)
        next_word = following.group(1).lower() if following else ""
        if not next_word or next_word in _INSTRUCTION_OBJECT or not next_word[:1].isalpha():
            return False  # "Summarize the thread", "Heap 2.1 GB", "Convert 72 degrees"
    return True


# a heading that opens a line: "Summary: ...", "Action items:"; English nouns end so, names rarely do
_HEADING_SUFFIX = re.compile(
    r"(?:ary|ion|ions|ment|ments|ness|ance|ence|ity|ing|ings|ics|ems|ules|ails|tes|ups)\Z"
)
# a declaration or construction in code: `class Jordan:`, `def Hope(`, `new Grace(`
_CODE_DECLARATION = (
    r"(?:\b(?:class|def|new|function|interface|struct|enum|extends|implements|trait|fn|func|type|import|"
    r"record|object|module)[ \t]+)\Z"
)


def _is_name_shaped(
    text: str, finding: Finding, words: list[str], values: frozenset[int] = frozenset()
) -> bool:
    """Whether NER's span looks like a name where it is: not a sign-off ("Liebe Grüße"), not words in lower
    case ("Nos vemos mañana"), not acronyms ("WAN IP"), not a place's name ("Victoria Falls") or a common
    place ("Jordan") without a person's cue, not an identifier declared in code, not a heading."""
    value = text[finding.start : finding.end]
    before = text[max(0, finding.start - 60) : finding.start]
    cue = _cue_ends(before)
    if not cue and _pattern(rf"(?i:{_SIGN_OFF_WORDS})").fullmatch(value.rstrip(" \t,.!")):
        return False
    if not _is_name_in_its_language(text, finding, words, cue):
        return False
    if len(words) > 1 and any(
        word[:1].islower() and not _pattern(_PARTICLE).fullmatch(word) for word in words
    ):
        return False
    if len(words) > 1 and all(word.isupper() or not word.isalpha() for word in words):
        return False
    if _pattern(_CODE_DECLARATION).search(before[-24:]) and not cue:
        return False
    if len(words) > 1 and words[-1].lower() in _PLACE_WORDS and not cue:
        # "Victoria Falls", "Cape Town" are places; "Sunny Park", "Jae-won Park" people
        first = words[0]
        given = (
            is_given_name(first)
            or first.lower() in word_names()
            or _pattern(r"\p{Lu}\p{Ll}{1,4}-\p{Ll}{2,4}").fullmatch(first)
        )
        if (not given or first.lower() in _COMMON_PLACES) and not _pattern(_PERSON_AFTER).match(
            text, finding.end
        ):
            return False
    if (
        len(words) == 1
        and value.lower() in _COMMON_PLACES
        and not cue
        and not _pattern(_PERSON_AFTER).match(text, finding.end)
    ):
        return False
    if len(words) == 1 and _opens_field(text, finding.start):
        label = _pattern(r"[ \t]*:[ \t]*").match(text, finding.end)
        if label and (value.lower() in _FIELD_LABELS or label.end() in values):
            return False  # "Requester: Grace Holloway": the label, not the name after it
        if label and not is_given_name(value) and _pattern(r"[^\s]*[@\d+]").match(text, label.end()):
            return False  # "Email: weiting.chen@example.com", "Ref: 2025-117": a value no name has
        if label and not _opens_line(text, finding.start) and not (is_given_name(value) or is_surname(value)):
            return False  # "x = 1  # Valid: 19, 20", "Priority: P2 | Status: open"
    if len(words) != 1 or not _opens_line(text, finding.start) or not text.startswith(":", finding.end):
        return True
    # a heading: a noun ("Summary: ..."), or a word the gazetteer does not know alone on its line
    # ("Agenda:"); a speaker opening a chat line ("Amara: can you ...") stays a name
    heading_noun = _HEADING_SUFFIX.search(value.lower()) is not None
    alone = _pattern(r":[ \t]*(?:\r?\n|\Z)").match(text, finding.end) is not None
    known = is_given_name(value) or is_surname(value)
    return not (heading_noun and not is_surname(value)) and not (alone and not known)


def _opens_line(text: str, start: int) -> bool:
    return not text[text.rfind("\n", 0, start) + 1 : start].strip(" \t#*>-")


def _opens_field(text: str, start: int) -> bool:
    """Whether ``start`` opens a line or a field of one: "Priority: P2 | Requester: ..."."""
    line = text[text.rfind("\n", 0, start) + 1 : start]
    return not line.strip(" \t#*>-") or line.rstrip(" \t").endswith(
        ("|", ";", "\t", ".", "!", "?", "#", "//")
    )


# name particles that may open a name in lower case ("van der Merwe"); others ("das", "la") need a known
# name after them: "da Silva", but not "das Gerät"
_OPENING_PARTICLES = frozenset(["van", "von", "ter", "ten", "bin", "binti", "ibn", "al", "af", "zu"])


# after a name: a company's legal form ("Marshall & Price GmbH"), or a thing named after someone
# ("Addison's disease", "Bayes' theorem")
_COMPANY_OR_EPONYM_AFTER = (
    r"(?:[ \t]+(?:&|and|und|et|y|e|en)?[ \t]*\p{Lu}[\p{L}\p{M}]*+){0,3}[ \t]*,?[ \t]+(?:GmbH|AG|Ltd|Inc|LLC|"
    r"LLP|Corp|SA|S\.A\.|SL|S\.L\.|SRL|S\.r\.l\.|BV|B\.V\.|NV|N\.V\.|AB|Oy|ASA|A/S|Pty|PLC|plc|KG|OHG|SE|"
    r"SpA|S\.p\.A\.|Sp\.[ \t]*z[ \t]*o\.o\.|S\.A\.S\.|SAS|SARL|Lda|Ltda)(?![\w])|"
    r"['\u2019]s?[ \t]+(?:disease|syndrome|law|theorem|principle|rule|algorithm|equation|constant|effect|"
    r"paradox|method|test|sign|criteria|lemma|conjecture|distribution|inequality|razor|palsy|sarcoma|"
    r"lymphoma|phenomenon|reflex)\b"
    # not a thing of theirs named so: "Pavel's test card", "Ana's test account"
    r"(?![ \t]+(?:cards?|accounts?|users?|data|logins?|phones?|numbers?|devices?|emails?|servers?|keys?)\b)"
)


# letters after a name that are not an acronym of a product: "Dr. Amara Obi MD", "Jane Doe RN"
_POST_NOMINALS = _word_set("md rn dds dmd cpa qc kc mp obe mbe cbe phd jr sr ii iii iv")
# third-person verbs opening a docstring's sentence: "Returns None for ...", "Converts Timestamp to ..."
_DOC_VERBS = _word_set(
    "returns raises yields converts creates loads gets sets checks computes builds parses reads writes "
    "sends adds removes updates deletes handles runs calls wraps makes"
)
_CODE_LITERALS = frozenset(["none", "null", "nil", "true", "false", "undefined", "nan"])


def _is_technical_span(text: str, finding: Finding, words: list[str]) -> bool:
    """Words NER joins into a name in technical prose: an acronym last ("Admin API", "Server VAD"), a code
    literal ("Returns None"), an instruction's or a docstring's verb first at a sentence's opening ("Add
    Matcher", "Converts Timestamp"), a gerund first ("Getting Started")."""
    last = words[-1].strip(".,:;!?")
    if len(last) > 1 and last.isupper() and last.isalpha() and last.lower() not in _POST_NOMINALS:
        return True
    if len(words[0]) > 2 and words[0].isupper() and words[0].isalpha():
        return True  # "API Key", "SLSA Provenance" ("JJ Abrams" keeps its initials)
    if any(word.strip(".,:;!?").lower() in _CODE_LITERALS for word in words):
        return True
    first = words[0].lower()
    if first in _DOC_VERBS or (first in _IMPERATIVE and _opens_sentence(text, finding.start)):
        return not is_given_name(first)
    return (
        len(first) > 5
        and first.endswith("ing")
        and not (is_given_name(first) or is_surname(first) or first in word_names())  # "Blessing Okoro"
    )


def _is_name_in_its_language(text: str, finding: Finding, words: list[str], cue: bool) -> bool:
    """Whether NER's span can be a name in the language around it: no pronoun, article or form of address
    ("Können Sie", "Ihr Termin", "Il Suo"), no label and value ("Oggetto: Richiesta"), not a business
    ("Pousada Mar Azul") or a place by its feature ("Wadi Rum"), not a marker in code ("FIXME") or a word
    the text uses as an identifier ("Marshall()")."""
    if not words:
        return False
    value = text[finding.start : finding.end]
    if ":" in value:
        return False
    if _is_function_word(words[0]) or (len(words) == 1 and value.strip(".,:;!?").lower() in _FUNCTION_WORDS):
        return False
    if not cue and any(_is_function_word(word) for word in words[1:]):
        return False
    if (
        len(words) > 1
        and words[0][:1].islower()
        and words[0] not in _OPENING_PARTICLES
        and not cue
        and not any(is_surname(word) or is_given_name(word) for word in words[1:] if word[:1].isupper())
    ):
        return False  # "das Gerät"
    if _is_business(words) or (len(words) > 1 and words[0].lower() in _STREET_FIRST):
        return False  # "Atenciosamente,\nPousada Mar Azul": a business signs too; "Rua Augusta"
    if not cue and len(words) > 1 and words[0].lower() in _GEO_PREFIXES:
        return False
    if len(words) > 1 and words[-1].strip(".,:;!?").lower() in _THING_LAST:
        return False  # "Paris Agreement", "Kyoto Protocol", "Openapi Generator"
    if len(words) > 1 and _is_technical_span(text, finding, words):
        return False
    if _pattern(_COMPANY_OR_EPONYM_AFTER).match(text, finding.end):
        return False  # "Marshall & Price Freight GmbH", "Addison's disease"
    if len(words) == 1:
        if value.isupper() and value.lower() in _CODE_MARKERS:
            return False
        if _is_code_identifier(text, value):
            return False
    return True


# what marks the word after it as a name (the cues of the recognizers above)
_CUE_BEFORE = (
    rf"(?:{_HONORIFIC}|{_RELATION}|{_STRONG_CUE}|{_SELF_INTRO}|{_GREETING}|{_SIGN_OFF}|{_HEADER}|{_ROLE}|"
    rf"{_KIN}|{_KEY_VALUE}|{_BARE_RELATION}|{_SOFT_HONORIFIC}|{_PERSON_KEY}|{_PERSONAL_KEY}|{_ACTOR_CUE}|"
    rf"{_PART_KEY}|(?:^|(?<=[.!?][ \t]{{0,8}}))(?i:{_SIGN_OFF_WORDS})[ \t]*,[ \t]*|"
    r"(?:^|[ \t])(?:[\u2014\u2013]|--)[ \t]*|"
    r"(?i:\b(?:my|our|his|her|your|their)[ \t]+[a-z\-]+[ \t]*[,:]?[ \t]+))\Z"
)


# ("via" after an introduction is a person's: "intro via Karim", "introduced via Amara")
_LOCATIVE_BEFORE = (
    r"(?i:\b(?:in|near|(?<!intro[ \t])(?<!introduced[ \t])(?<!introduction[ \t])via|around|outside|across|"
    r"throughout))[ \t]+\Z"
)
# a text about places to visit: a place that is also a given name there is a place ("Petra", "Florence")
_TRAVEL_TOPIC = (
    r"(?i:\b(?:destinations?|itinerary|itineraries|sightseeing|tourists?|tourism|travel[ \t]+guide|"
    r"day[ \t]+trips?|road[ \t]+trip|worth[ \t]+visiting|places[ \t]+to[ \t]+visit)\b)"
)
_CUE_AFTER = rf"[ \t]+and[ \t]+(?:I|me)\b|:[ \t]|{_DEPARTMENT}"
_NUMBER_BEFORE = r"\d[ \t]*\Z"
_PERSON_AFTER = (
    r"(?:[ \t]*,[ \t]*(?:who|my|our|his|her|the[ \t]+\w+[ \t]+who)\b|['\u2019]s[ \t]+\p{Ll}|"
    rf"[ \t]+(?:{_PERSON_VERB}|"
    r"will|would|can|could|should|may|might|must|is|was|has|had|and[ \t]+(?:I|me|his|her)|says|replied|"
    r"called|phoned|rang|emailed|wrote|arrived|came|went|left|won't|can't|didn't|doesn't|isn't|wasn't)\b)"
)


def _filter_patterns() -> tuple[str, ...]:
    """The patterns ``refine_names`` compiles with ``_pattern`` (compiled when the recognizers are built)."""
    return (
        "(?r)" + _CUE_BEFORE,
        _PERSON_AFTER,
        _CUE_AFTER,
        _SURNAME,
        _LIST_NEXT,
        _SPAN_SYNTAX,
        _NAME_BEFORE_SYNTAX,
        _PREVIOUS_NAME_WORD,
        _PLACE_FIELD + r"\Z",
        _PERSON_PLACE_FIELD + r"\Z",
        _PERSON_PLACE_PREPOSITION,
        _COMPANY_SEAT,
        _SUBJECT_BEFORE,
        _FOREIGN_PLACE_PREPOSITION,
        _GERMAN_DETERMINER_BEFORE,
        _FOREIGN_RESIDENCE_CUE,
        _PARTICLE,
        _NUMBER_BEFORE,
        _LOCATIVE_BEFORE,
        _TRAVEL_TOPIC,
        _CARD_AFTER,
        _GREETING_BEFORE,
        _ADDRESSING_BEFORE,
        _FOREIGN_LOCATIVE,
        _AFTER_PERSON_PLACE,
        _JOINS_A_SITE,
        _PLACE_OF_A_THING,
        _RESIDENCE_AFTER,
        _COMPANY_OR_EPONYM_AFTER,
        _RECORD_FIELD,
        _PLACE_WORD,
        _CODE_DECLARATION,
        rf"[ \t]+{_PERSON_VERB}\b",
        rf"(?i:{_SIGN_OFF_WORDS})",
    )


@functools.cache
def _pattern(source: str) -> Any:
    """``source`` compiled with the ``regex`` module (Unicode classes); imported on the worker thread."""
    import regex

    return regex.compile(source, regex.MULTILINE)


def _has_cue_before(text: str, start: int) -> bool:
    return _cue_ends(text[max(0, start - 60) : start])


@functools.lru_cache(maxsize=256)
def _cue_ends(before: str) -> bool:
    """Whether ``before`` ends with a person's cue. Searched right to left (``regex``'s ``(?r)``): every
    match must end at ``\\Z``, so a reverse search fails at once where a forward one tries each start
    (same answer, ~20x faster); cached, since a finding's slice is asked about several times."""
    return _pattern("(?r)" + _CUE_BEFORE).search(before) is not None


def _opens_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start].rstrip(" \t\"'*`>-")
    return not before or before[-1] in ".!?:\n"


def _is_personal_place(text: str, finding: Finding, findings: list[Finding], persons: list[Finding]) -> bool:
    if text[finding.start : finding.end].strip().lower() in _TECH_WORDS:
        return False
    if text[finding.start : finding.end].strip(" ,!").lower() in _GREETING_WORDS:
        return False  # "Merhaba, ben Elif": a greeting NER read as a place
    if " ".join(text[finding.start : finding.end].split()).lower() in _CONTINENTS:
        return False  # "the team lives in Europe": too wide to tell anyone apart
    if text[finding.start : finding.end].lower() in _LANGUAGES or _pattern(_CARD_AFTER).match(
        text, finding.end
    ):
        return False  # "a reminder in Tamil and English", "the Discover card": a language, a brand
    if _pattern(_PERSON_MOVES_TO).search(text[max(0, finding.start - 40) : finding.start]):
        return True  # "she's moving to Leeds office": a person's new place, even a site of her firm
    if _pattern(_PLACE_OF_A_THING).match(text, finding.end) and not any(
        0 <= finding.start - p.end <= 24 for p in persons
    ):
        return False  # "from our Rotterdam warehouse" (but "Yuki Sato from our Osaka team" is hers)
    before = text[max(0, finding.start - 60) : finding.start]
    if _pattern(_COMPANY_SEAT).search(before):
        return False  # "Müller & Söhne KG (Sitz in Hamburg)": a company's seat, not a person's place
    if _pattern(_SITE_MOVED).search(before):
        return False  # "vi flyttar lagret från Malmö": a warehouse moves, not a person
    if _STRONG_RESIDENCE.search(before) or _FOREIGN_RESIDENCE.search(before):
        return True  # "lives in Tulsa", "j'habite à Lyon"
    if _pattern(_RESIDENCE_AFTER).match(text, finding.end) or _pattern(_TURKISH_RESIDENCE_AFTER).match(
        text, finding.end
    ):
        return True  # "Auckland, where they both live now", "İzmir'de oturuyorum"
    # part of an address: next to a street address or a postcode finding
    for other in findings:
        if other.entity_type in ("STREET_ADDRESS",) and (
            abs(other.end - finding.start) <= 3 or abs(finding.end - other.start) <= 3
        ):
            return True
    if _pattern(_PLACE_FIELD + r"\Z").search(text[max(0, finding.start - 40) : finding.start]):
        return True  # "City: Recife"
    if persons and _pattern(_HOME_KEY + r"\Z").search(text[max(0, finding.start - 12) : finding.start]):
        return True  # "Omar Al-Farsi, Platinum. Home: Muscat"
    if persons and _pattern(_PERSON_PLACE_FIELD + r"\Z").search(
        text[max(0, finding.start - 40) : finding.start]
    ):
        return True  # "name=Thabo Mokoena country=South Africa"
    if _of_a_person(text, finding.start, persons):
        return True
    if _after_a_person(text, finding.start, persons):
        return True  # "Mohammed Al-Sayed, Riyadh"
    sentence_start, sentence_end = _sentence_bounds(text, finding.start, finding.end)
    if _pattern(_PERSON_PLACE_PREPOSITION).search(text[max(0, finding.start - 8) : finding.start]) and any(
        sentence_start <= p.start < sentence_end and not (p.start < finding.end and finding.start < p.end)
        for p in persons
    ):
        return True  # "I met Will Turner in Paris.", "Heinz Müller aus München."
    previous_place = re.search(r"(\S[^,.\n]{0,40}),[ \t]*\Z", text[sentence_start : finding.start])
    pair_first = re.search(r"([^\s,(][^,.(\n]{0,40}),[ \t]*\Z", text[sentence_start : finding.start])
    if (previous_place and _of_a_person(text, sentence_start + previous_place.start(1), persons)) or (
        pair_first and _after_a_person(text, sentence_start + pair_first.start(1), persons)
    ):
        return True  # "Ingrid Vik of Tromsø, Norway", "Amina Yusuf, Kano, Nigeria"
    cue = _RESIDENCE.search(text, sentence_start, finding.start)
    if cue is None:
        # "Lagos, Nigeria": the second place of a pair whose first is said of a person
        previous = re.search(r"(\S[^,.\n]{0,40}),[ \t]*\Z", text[sentence_start : finding.start])
        if previous is None:
            return False
        cue = _RESIDENCE.search(text, sentence_start, sentence_start + previous.start())
        if cue is None:
            return False
    said_of_a_person = any(
        sentence_start <= p.start < sentence_end and not (p.start < finding.end and finding.start < p.end)
        for p in persons
    ) or (_PERSONAL.search(text, sentence_start, sentence_end) is not None)
    if not said_of_a_person:
        # a given name is the sentence's subject: "Kavya is based in Pune" (NER may read it as a place)
        subject = _pattern(_SUBJECT_BEFORE).search(text[sentence_start : cue.start()])
        said_of_a_person = (
            subject is not None
            and (is_given_name(subject.group(1)) or subject.group(1).lower() in word_names())
            and subject.group(1).lower() not in _COMMON_PLACES
        )
    # a note about a person leaves the subject out: "Moved from Gothenburg to Oslo in January.", also in a
    # field of a record: "Mobile +1 ... | Based in Tulsa."
    opening = re.split(r"[|;\t]", text[sentence_start : cue.start()])[-1]
    elided = not opening.strip(" \t\"'*-")
    return said_of_a_person or elided


# a site or goods that a firm moves, right before the place: "flyttar lagret från Malmö", "verlegen das
# Lager nach Leipzig", "moving the warehouse from Malmö", "trasladamos la oficina a Sevilla"
_SITE_MOVED = (
    r"(?i:\b(?:lag(?:e?r)\w*|warehouse\w*|kontor\w*|offices?|b\u00fcro\w*|entrep\u00f4t\w*|almac\u00e9n\w*|"
    r"magazzin\w*|magazijn\w*|fabri\w*|factory|plant|butik\w*|stores?|shops?|servers?|stock|inventory|"
    r"depot|headquarters|filial\w*|oficina|ufficio|bureau|kantoor|production|data[ \t]+cent\w+)"
    r"(?:[ \t]+[^\s.!?]+){0,3}?[ \t]+"
    r"(?:from|to|in|fr\u00e5n|till|i|nach|aus|von|de|a|\u00e0|en|em|da|naar|uit)[ \t]+\Z)"
)
# a company's seat: "Sitz in Hamburg", "siège social à Lyon", "headquartered in Austin", "a firm based in"
_COMPANY_SEAT = (
    r"(?i:(?:\b(?:sitz|firmensitz|hauptsitz|unternehmenssitz|si\u00e8ge(?:[ \t]+social)?|siege|"
    r"sede(?:[ \t]+(?:social|legal|central|legale))?|headquartered|headquarters|hq|registered[ \t]+"
    r"(?:office|address)|incorporated|zetel|s\u00e4te)|\b(?:company|firm|startup|vendor|supplier|"
    r"business|corporation|gmbh|ag|kg|ltd|inc|llc|bv|ab|sa|plc|empresa|entreprise|firma|unternehmen|"
    r"azienda|bedrijf|f\u00f6retag)\b[^.\n]{0,30}\b(?:based|located|registered|ans\u00e4ssig))"
    r"[ \t]*(?:in|im|at|a|\u00e0|en|em|di|de|du|i|:)?[ \t]*\Z)"
)
# a capitalised word, then the verb before a cue of residence: "Kavya is based", "Tomás has moved"
_SUBJECT_BEFORE = (
    r"(?<![\w'\u2019\-])(\p{Lu}[\p{Ll}\p{M}]++)[ \t]+(?:(?:is|was|has|had|have|will|now|just|recently|"
    r"been|be|currently)[ \t]+)*\Z"
)
# where someone lives, said after the place: "in Auckland, where they both live now"
_RESIDENCE_AFTER = (
    r"[ \t]*,?[ \t]+where[ \t]+(?:[\w'\u2019]+[ \t]+){0,3}?(?:live|lives|lived|living|grew[ \t]+up|"
    r"was[ \t]+born|were[ \t]+born|resides?|settled)\b"
)
_CONTINENTS = _word_set("europe asia africa oceania antarctica scandinavia caribbean") | {
    "north america",
    "south america",
    "latin america",
    "central america",
    "the middle east",
    "middle east",
    "southeast asia",
    "east asia",
    "west africa",
    "east africa",
}
# languages NER reads as places ("write it in Tamil"), and a card's brand ("the Discover card")
_LANGUAGES = _word_set(
    "english french spanish german italian portuguese dutch swedish norwegian danish finnish polish czech "
    "slovak hungarian romanian greek turkish russian ukrainian arabic hebrew persian farsi urdu hindi "
    "bengali tamil telugu kannada malayalam marathi gujarati punjabi sinhala nepali thai vietnamese "
    "indonesian malay tagalog filipino chinese mandarin cantonese japanese korean swahili amharic yoruba "
    "igbo hausa zulu xhosa afrikaans somali"
)
_CARD_AFTER = r"[ \t]+(?:credit[ \t]+|debit[ \t]+|gift[ \t]+)?cards?\b"
# a place naming a site of an organisation, not where a person is: "the Rotterdam warehouse"
_PLACE_OF_A_THING = (
    r"[ \t]+(?:office|offices|warehouse|warehouses|hub|branch|store|shop|site|plant|factory|depot|"
    r"headquarters|hq|campus|data[ \t]?cent(?:er|re)|region|server|servers|cluster|facility|team|desk|"
    r"airport|terminal|port|fulfil?ment[ \t]+cent(?:er|re)|distribution[ \t]+cent(?:er|re))\b"
)
# a person moving to a place, said with a pronoun: "she's moving to the Leeds office", "I'm relocating to"
_PERSON_MOVES_TO = (
    r"(?i:\b(?:i'm|i\u2019m|i[ \t]+am|she's|she\u2019s|he's|he\u2019s|she[ \t]+is|he[ \t]+is|they're|"
    r"they[ \t]+are|we're)[ \t]+(?:now[ \t]+)?(?:moving|relocating|transferring)[ \t]+to[ \t]+"
    r"(?:the[ \t]+|our[ \t]+|their[ \t]+)?)\Z"
)
# a place said in a sentence about a named person: "in Paris", "aus München", "à Lyon"
_PERSON_PLACE_PREPOSITION = r"(?i:\b(?:in|at|from|of|aus|de|\u00e0|en))[ \t]+\Z"


def _after_a_person(text: str, start: int, persons: list[Finding]) -> bool:
    """Whether the place at ``start`` follows a person's name and a comma: "Mohammed Al-Sayed, Riyadh"."""
    return any(
        p.end < start and p.end >= start - 4 and _pattern(r"[ \t]*[,(][ \t]*\Z").match(text[p.end : start])
        for p in persons
    )


def _of_a_person(text: str, start: int, persons: list[Finding]) -> bool:
    """Whether the place at ``start`` follows a person's name and "of"/"from": "Ingrid Vik of Tromsø"."""
    before = _OF_BEFORE.search(text[max(0, start - 8) : start])
    if before is None:
        return False
    gap_start = start - (len(text[max(0, start - 8) : start]) - before.start())
    return any(p.end == gap_start for p in persons)


def _list_continuations(text: str, findings: list[Finding]) -> list[Finding]:
    """``Amara, Kofi and Li Wei``: the names listed after one found, when each is a given name."""
    added: list[Finding] = []
    taken = {(f.start, f.end) for f in findings}
    covered = [(f.start, f.end) for f in findings]
    for finding in [f for f in findings if f.entity_type == "PERSON"]:
        end = finding.end
        while True:
            match = _pattern(_LIST_NEXT).match(text, end)
            if match is None:
                break
            start = match.start(1)
            stop = match.end(1)
            surname = _pattern(_SURNAME).match(text, stop)
            if surname and not is_given_name(surname.group(1)):
                stop = surname.end()  # "Sun-hee Kang": a full name needs no gazetteer
            elif not is_given_name(match.group(1)):
                break
            if not _is_person(text, Finding(start, stop, "PERSON", finding.score)):
                break  # "AutoFix Leeds, Brentford Motors": a list of businesses, not of names
            if (start, stop) not in taken and not any(s <= start < e for s, e in covered):
                added.append(Finding(start, stop, "PERSON", finding.score))
                taken.add((start, stop))
            end = stop
    return added
