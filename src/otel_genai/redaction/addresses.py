"""Street addresses in the shapes of many countries, with their whole tail (unit, locality, city, region,
postcode), so nothing of an address is left beside its replacement.

``recognizers.py`` has the US/UK shape ("<number> <Name> Street", PO box, "IL 62704", UK postcodes). These
add: the number after the street (DE/AT/CH/NL/Nordic "Lindenstraße 42", ES/PT/IT/BR "Calle de Alcalá 48",
"Rua Augusta, 1508", "Via Roma 10"), French lower-case street types ("12 rue des Lilas"), unit and house
prefixes ("Flat 2, ...", "Unit 5, ...", "House 12, Ngong Road", "House 7, Road 45"), Indian ordinals and
building names ("Flat 402, Shanti Apartments, 14th Cross Road"), Korean "-ro"/"-gil" roads, Japanese
chome-ban-go ("2-14-5 Nishi-Shinjuku, Shinjuku-ku"), Colombian "Calle 93 # 11-27", Eastern European types
("ul. Tverskaya 7", "Nevsky Prospekt 88", "Bulevardul Unirii 12"), and after any of them the
comma-separated tail: units ("apto 72", "3.º Esq.", "bajo B", "kv. 14", "ap. 4"), localities, cities with
a region or postcode ("Bondi NSW 2026", "São Paulo - SP", "Tokyo 160-0023", "34728 Kadikoy/Istanbul"),
postcodes of many countries (and Argentina's "C1043AAB"), Danish/Norwegian floors ("2. th", "st. tv.",
"3. etg") and district letters ("2200 København N"), localities' phases ("Lekki Phase 1"), and last a
country ("..., 2196, South Africa", "Auckland 1010 New Zealand", or on its own line). Indian residences
and numbered cross/main roads ("Flat 302, Sai Residency, 14th Cross") follow a unit; "Av." before a name
and a number starts an address when a unit, postcode or locality follows ("Av. Corrientes 1234, Piso 5").

Every pattern is anchored on a street word, a unit/house word or a house number next to one, so a list
("Section 4, Chapter 2"), a version ("v2.14.5"), a score ("2-14-5"), a time or a price is never a core;
the tail only extends a core. Patterns use the ``regex`` module (Unicode letters: ß, ã, ç, é, º),
case-sensitive with ``(?i:...)`` opt-ins, bounded repetitions and no nested unbounded quantifiers (no
catastrophic backtracking; Presidio's REGEX_TIMEOUT_SECONDS still applies). The recognizer skips texts
without a digit (every shape here has one), so most prose costs one scan for a digit.
"""

from __future__ import annotations

import re
from typing import Any

from otel_genai.redaction._gates import folded_words, gated_recognizer
from otel_genai.redaction.policy import RedactionPolicy

ENTITY = "STREET_ADDRESS"
_DIGIT = re.compile(r"\d")

# --- building blocks -------------------------------------------------------------------------------
# A capitalised word of two letters or more, in any script with case: "Alcalá", "São", "MG", "O'Connell",
# "Nishi-Shinjuku", "Adeyemi-Jones". Not "I", not "I'm".
_W = r"\p{Lu}[\p{L}\p{M}]++(?:[\-'\u2019]\p{L}[\p{L}\p{M}]*+)*+(?!\d)"
# a match starts at the start of a word, not inside one
_WORD_START = r"(?<![\p{L}\p{M}\d\-'\u2019])"
# Words that start sentences or sign-offs, never a locality in an address's tail
_STOP = (
    r"(?!(?:The|This|That|These|Those|There|Here|Please|Pls|Thanks|Thank|Cheers|Regards|Best|Kind|Call|"
    r"Phone|Mobile|Cell|Email|Mail|Name|Contact|Billing|Shipping|Delivery|Cardholder|Card|And|But|Or|"
    r"If|When|Then|So|We|You|He|She|They|It|Its|My|Our|Your|His|Her|Their|Hi|Hello|Hey|Dear|Note|Also|"
    r"See|Ticket|Order|Invoice|Sprint|Section|Chapter|Build|Step|Version|Page|Line|Item|Task|Team|"
    r"Figure|Fig|Table|Tab|Appendix|Annex|Exhibit|Example|Slide|Part|Para|Paragraph|Clause|Article|Rule|"
    r"Equation|Eq|Listing|Panel|Phase|Stage|Level|Tier|Room|Test|Case|Issue|Bug|Fix|Review|Round|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|June|July|"
    r"August|September|October|November|December|Today|Tomorrow|Yesterday|Is|Are|Was|Can|Could|Will|"
    r"Would|Should|Do|Does|Did|Not|No|Yes|Ok|Okay|Sent|From|To|For|With|Via|At|In|On|By|Re|Fwd|Subject)"
    r"(?![\p{L}\p{M}\-'\u2019]))"
)
# A house number: "27", "221B", "5/18", "12-14", "14th"; not inside a version, a time, a price, an id.
_NUM = (
    r"(?<![\w.,:/#$\u20ac\u00a3\-])(?:\d{1,5}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?|\d{1,3}(?i:st|nd|rd|th))"
    r"(?![\w.:/\-]?\d|[\w%\u00b0])"
)
# English street types after the street's name ("Holloway Road"), Indian "Marg"/"Salai"
_EN_SUFFIX = (
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|court|ct|terrace|tce|place|pl|way|close|crescent|"
    r"cres|grove|gardens|gdns|mews|row|square|sq|parade|pde|boulevard|blvd|highway|hwy|parkway|pkwy|"
    r"circle|cir|esplanade|embankment|marg|salai)(?![\p{L}\d])\.?"
)
# the street types that come before a number in Israel, Eastern Europe ("Rothschild Blvd 22, Tel Aviv")
_EN_SUFFIX_BEFORE_NUMBER = r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Boulevard|Blvd\.?|Lane|Prospect)"
# names that end in a street word but are products and media, not streets
_NOT_A_STREET = (
    r"(?!(?:Google|Hard|Flash|Network|Shared|Team|My|Virtual|Local|External|USB|Cloud|One|Test|Fast|"
    r"Express|Milky)\s)"
)
# A street's direction after its type: "Queen Street West", "Ring Road East", "Main St NW", "5th Ave. S."
_DIRECTION = (
    r"(?:(?:North|South|East|West)(?:[\- ]?(?:east|west|East|West))?|Northeast|Northwest|Southeast|Southwest"
    r"|(?:N|S|E|W|NE|NW|SE|SW)\.?)(?![\p{L}\d])"
)
# A street's name before its English type: one to four capitalised words or ordinals ("Holloway", "Jan
# Smuts", "5th", "14th Cross", "MG"), then the type and a direction
_EN_STREET = (
    # (a direction may come first: "3100 W Main St", "22 North Shore Road")
    rf"{_NOT_A_STREET}(?:(?:N|S|E|W|NE|NW|SE|SW)\.?[ \t]+(?=\p{{Lu}}))?"
    rf"(?:(?:{_W}|\d{{1,3}}(?i:st|nd|rd|th)(?![\p{{L}}\d]))\.?[ \t]+){{1,4}}?{_EN_SUFFIX}"
    rf"(?:[ \t]+{_DIRECTION})?(?:[ \t]+\d{{1,3}}(?=[ \t]*,))?"
)
# Korean road names: "Teheran-ro", "Sejong-daero", "Insadong 5-gil"
_KR_ROAD = r"\p{Lu}\p{Ll}++(?:\s\d{1,3})?-(?:ro|gil|daero)(?:\s?\d{1,3}(?:-gil)?)?(?![\p{L}\d])"
# Particles inside Romance, Dutch and German street names: "de la", "d'", "dos", "della", "van der"
_PARTICLE = (
    r"(?:(?:de[ \t]+la|de[ \t]+las|de[ \t]+los|de|del|des|du|la|le|les|los|las|el|da|do|dos|das|di|della|"
    r"delle|dei|degli|van|von|der|den|am|an|aux|au|sur|en|et|y|i)[ \t]+|[dlDL]['\u2019])"
)
# A street's name after its type: "des Lilas", "de Alcalá", "Augusta", "Jean Jaurès", "de l'Église"
_ROMANCE_NAME = rf"{_PARTICLE}{{0,2}}{_W}(?:[ \t]+{_PARTICLE}{{0,2}}{_W}){{0,4}}"
# French-style types with the number first: "12 rue des Lilas", "3 bis avenue Jean Jaurès"
# (English words capitalised, "4 Place Value", "2 Route Planning", need a postcode after them.)
_FR_TYPE = (
    r"(?:(?i:rue|chemin|allée|allee|impasse|quai|bd|rte|sentier|faubourg|rond-point|parvis|cité|"
    r"résidence|lotissement)|avenue|av\.|boulevard|bld|place|cours|route|square|passage|voie|promenade|"
    r"esplanade)"
)
_FR_TYPE_AMBIGUOUS = r"(?:Avenue|Av\.|Boulevard|Place|Cours|Route|Square|Passage|Voie|Promenade|Esplanade)"
# Types with the number after the name. Unambiguous ones stand alone ("Calle de Alcalá 48"); ambiguous
# ones ("Via", "Plaza", "Corso") need a postcode after them ("Via Roma 10, 00184 Roma").
_SOUTH_TYPE = (
    r"(?:[Cc]alle|C/|[Aa]venida|Avda\.|[Cc]arrer|Carretera|Travesía|Glorieta|[Rr]ua|[Tt]ravessa|Praça|"
    r"Praca|Rodovia|[Vv]iale|[Pp]iazza(?:le)?|[Vv]icolo|Contrada|Jalan|Jl\.|Jir[óo]n|Pasaje|Psje\.)"
)
_SOUTH_TYPE_AMBIGUOUS = (
    r"(?:Via|via|Plaza|Largo|Corso|Paseo|Camino|Alameda|Estrada|Ronda|Av\.|Rue|Avenue|Boulevard|[Pp]rospect)"
)
# Eastern European types before the name ("ul. Tverskaya 7", "vul. Khreshchatyk 22", "prospekt Mira 101",
# "pr. Lenina 5", "pl. Konstytucji 3", "Bulevardul Unirii 12", "str. Memorandumului 28"). The abbreviations
# are also words of prose ("see pr. 12", "pl. 3 in the figure"): a capitalised name that starts no sentence
# must sit between the type and the number.
_EAST_TYPE = (
    r"(?:[Uu](?:l\.|lica|litsa)|[Vv]ul(?:\.|ytsia)|[Pp](?:rospekt|rosp\.|loshchad|ereulok|ia[tț]a)|p(?:r\.|r-t|l\.)"
    r"|[Bb](?:ulevardul|ulvar|-dul\.?)|Bd\.|bul\.|[Ss](?:trada|tr\.|plaiul|oseaua)|Șoseaua|[Cc]alea|[Aa]leea)"
)
# ... and after it, with the number after both ("Nevsky Prospekt 88", "Tverskaya ulitsa 7", "Váci utca 5")
_EAST_SUFFIX = (
    r"(?:Prospekt|prospekt|[Uu]litsa|[Vv]ulytsia|[Pp]ereulok|[Ss]hosse|[Nn]aberezhnaya|[Bb]ulvar|utca|út|"
    r"körút|tér)"
)
_NUMBER_WORD = r"(?:(?i:n\.?[º°o]|nº|núm|num|no|nr|n|d|dom)[.:]?[ \t]*)?"
# German, Dutch and Nordic compounds with the number after: "Lindenstraße 42", "Keizersgracht 123",
# "Drottninggatan 5", "Hauptstr. 7a"; and two words: "Berliner Straße 5", "Karl Johans gate 22".
_COMPOUND = (
    r"(?<![\p{L}\-])(?!(?i:brigade|renegade|ferweg)\b)\p{Lu}[\p{Ll}\p{M}]{2,}?"
    r"(?:straße|strasse|weg|gasse|allee|platz|damm|ufer|chaussee|steig|pfad|straat|gracht|laan|plein|"
    r"kade|singel|dijk|steeg|gatan|gata|vägen|väg|veien|gaten|gade|vej|katu|kuja)"
    # Finnish "-tie" (a road) only before a house and a Finnish postcode: "Garantie 2" is no street
    r"|(?<![\p{L}\-])\p{Lu}\p{Ll}{3,}?tie(?=[ \t]+\d{1,4}(?:[ \t]?[A-Za-z])?(?:[ \t]+\d{1,3})?[ \t]*,"
    r"[ \t]*\d{5}[ \t]+\p{Lu})"
    r"|(?<![\p{L}\-])\p{Lu}\p{Ll}{3,}?str\."
    # a street named after a person or a place, hyphenated to its type: "Karl-Marx-Straße 5",
    # "Rosa-Luxemburg-Platz 2", "Konrad-Adenauer-Ring 11", "Van-Gogh-Laan 3"
    r"|(?<![\p{L}\-])\p{Lu}[\p{L}\p{M}]{1,20}(?:-\p{L}[\p{L}\p{M}]{0,20}){0,3}-"
    r"(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz|Damm|Ufer|Ring|Chaussee|Steig|Pfad|Straat|Laan|Plein|Kade)"
)
# (and the Eastern European types after the name, "Nevsky Prospekt 88": one scan of the words for both)
_SEPARATE_GERMANIC = (
    rf"{_WORD_START}(?:{_W}[ \t]+){{1,2}}"
    r"(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz|Damm|Ufer|Ring|Chaussee|gate|gata|gatan|vei|veien|vej|gade|väg|vägen|straat|laan|weg|plein"
    rf"|{_EAST_SUFFIX})"
)
_TURKISH = (
    rf"{_WORD_START}(?:{_W}[ \t]+){{1,3}}"
    r"(?:Caddesi|Cad\.|Cd\.|Sokak|Soka\u011f\u0131|Sok\.|Sk\.|Bulvar\u0131|Blv\.)"
    r"[ \t]*,?[ \t]*"
    r"No[:.]?[ \t]*\d{1,4}[A-Za-z]?(?:/\d{1,3})?(?![\w.:]?\d|\w)"
    # a floor and a flat without a comma: "No: 12 K: 3 D: 7", "No:5 Daire 2"
    r"(?:[ \t]+(?:Kat|K)[:.][ \t]*\d{1,2}(?!\w))?(?:[ \t]+(?:Daire|D)(?:[:.][ \t]*|[ \t]+)\d{1,3}(?!\w))?"
)
# (a house letter after a dash, "221-H"; a stair's letter and a flat's number before a comma, "14 B 22,")
_HOUSE_AFTER = (
    r"[ \t]+\d{1,4}(?:[ \t]?-?[a-zA-Z](?![\p{L}\d])(?:[ \t]+\d{1,3}(?=[ \t]*,))?)?"
    r"(?:[\-/]\d{1,4}[a-zA-Z]?)?(?![\w.,:]?\d|\w)"
)
# A unit or house before the street: "Flat 2, ", "Unit 5/", "House 12, ", "Suite 400, "
_UNIT_WORD_NUMBERLESS = r"(?:Flat|House|Plot|Apt\.?|Apartment|Unit|Villa|Bungalow|Door|No\.|Erf|Stand|Blk\.?)"
_UNIT_WORD = rf"(?:{_UNIT_WORD_NUMBERLESS}|Suite|Level|Floor|Shop|Building|Bldg\.?|Block)"
_UNIT_NUMBER = r"[ \t]*(?:No\.?[ \t]*)?#?[ \t]*\d{1,5}[A-Za-z]?(?:[\-/]\d{1,4}[A-Za-z]?)?(?![\w.:]?\d|\w)"
# a comma, a new line or both ("Flat 2,\n27 Holloway Road")
_UNIT_SEP = r"(?:[ \t]*,[ \t]*\n?[ \t]*|[ \t]*\n[ \t]*|[ \t]+)"
# "Shanti Apartments", "Sunrise Towers", "Block C"
_BUILDING = (
    rf"(?:(?:{_W}[ \t]+){{1,3}}(?:Apartments|Apts|Towers?|Residency|Residences|Heights|Mansions?|House|"
    r"Building|Bldg|Complex|Plaza|Estate|Villas?|Enclave|Chambers|Centre|Center|Lodge|Court|Colony|"
    r"Society|Flats|Hall)(?![\p{L}\d])|Block[ \t]+[A-Z\d]{1,2}(?![\p{L}\d]))"
)
# A residence's name alone after a unit, before its locality: "Flat 302, Sai Residency, Indiranagar"
_RESIDENCE = (
    rf"(?:{_W}[ \t]+){{1,3}}(?:Residency|Residences|Apartments|Apts|Towers|Heights|Enclave|Court|Villas?|"
    r"Mansions?|House)(?![\p{L}\d])"
)
# Indian cross and main roads, numbered: "14th Cross", "5th Main Road", "2nd A Cross", "3rd Stage"
_ORDINAL_ROAD = (
    r"\d{1,2}(?i:st|nd|rd|th)(?:[ \t]+[A-D])?[ \t]+(?:Cross|Main|Stage|Phase|Block|Sector)"
    r"(?:[ \t]+(?:Road|Rd\.?|Street|St\.?))?(?![\p{L}\d])"
)
# Numbered roads (Bangladesh, Kenya): "Road 45", "Road No. 5", "Sector 7"
_NUMBERED_ROAD = (
    r"(?:Road|Rd\.?|Street|St\.?|Lane|Avenue|Sector|Block)[ \t]*(?:No\.?[ \t]*)?\d{1,4}[A-Z]?(?![\w.:]?\d|\w)"
)


def _listed(words: str) -> tuple[str, ...]:
    """``"a|b|c"`` as a tuple."""
    return tuple(words.split("|"))


# --- countries: only ever the last element of an address's tail ("..., 2196, South Africa") ----------
# ~200 English names and local spellings (any case: "SOUTH AFRICA"), then the short forms (exact case).
_COUNTRY_NAMES = _listed(
    "Afghanistan|Albania|Algeria|Andorra|Angola|Anguilla|Antigua and Barbuda|Argentina|Armenia|Aruba|"
    "Australia|Austria|Azerbaijan|Bahamas|The Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|"
    "Benin|Bermuda|Bhutan|Bolivia|Bosnia and Herzegovina|Bosnia|Botswana|Brazil|Brasil|Brunei|Bulgaria|"
    "Burkina Faso|Burundi|Cabo Verde|Cape Verde|Cambodia|Cameroon|Canada|Cayman Islands|"
    "Central African Republic|Chad|Chile|China|Colombia|Comoros|Congo|Republic of the Congo|Costa Rica|"
    "Côte d'Ivoire|Cote d'Ivoire|Ivory Coast|Croatia|Cuba|Curaçao|Cyprus|Czechia|Czech Republic|"
    "Democratic Republic of the Congo|DR Congo|Denmark|Danmark|Djibouti|Dominica|Dominican Republic|"
    "East Timor|Timor-Leste|Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|"
    "Swaziland|Ethiopia|Fiji|Finland|France|Gabon|Gambia|The Gambia|Georgia|Germany|Deutschland|Ghana|"
    "Gibraltar|Greece|Greenland|Grenada|Guadeloupe|Guam|Guatemala|Guernsey|Guinea|Guinea-Bissau|Guyana|"
    "Haiti|Honduras|Hong Kong|Hong Kong SAR|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|"
    "Republic of Ireland|Northern Ireland|Isle of Man|Israel|Italy|Italia|Jamaica|Japan|Jersey|Jordan|"
    "Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|"
    "Liechtenstein|Lithuania|Luxembourg|Macau|Macao|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|"
    "Marshall Islands|Martinique|Mauritania|Mauritius|Mexico|México|Micronesia|Moldova|Monaco|Mongolia|"
    "Montenegro|Morocco|Mozambique|Myanmar|Burma|Namibia|Nauru|Nepal|Netherlands|The Netherlands|Holland|"
    "New Caledonia|New Zealand|Aotearoa|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Macedonia|"
    "Norway|Norge|Oman|Pakistan|Palau|Palestine|Panama|Panamá|Papua New Guinea|Paraguay|Peru|Perú|"
    "Philippines|The Philippines|Poland|Polska|Portugal|Puerto Rico|Qatar|Réunion|Romania|Russia|"
    "Russian Federation|Rwanda|Saint Kitts and Nevis|Saint Lucia|Saint Vincent and the Grenadines|Samoa|"
    "San Marino|Sao Tome and Principe|São Tomé and Príncipe|Saudi Arabia|Scotland|Senegal|Serbia|"
    "Seychelles|Sierra Leone|Singapore|Republic of Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|"
    "Somaliland|South Africa|South Korea|Republic of Korea|Korea|South Sudan|Spain|España|Sri Lanka|"
    "Sudan|Suriname|Sweden|Sverige|Switzerland|Schweiz|Suisse|Syria|Taiwan|Tajikistan|Tanzania|Thailand|"
    "Togo|Tonga|Trinidad and Tobago|Tunisia|Turkey|Türkiye|Turkmenistan|Tuvalu|Uganda|Ukraine|"
    "United Arab Emirates|United Kingdom|Great Britain|England|Wales|United States|"
    "United States of America|Uruguay|Uzbekistan|Vanuatu|Vatican City|Venezuela|Vietnam|Viet Nam|Yemen|"
    "Zambia|Zimbabwe"
)
_COUNTRY_SHORT_FORMS = _listed("USA|U.S.A.|US|U.S.|UK|U.K.|UAE|U.A.E.|GB|NZ|N.Z.|KSA|RSA|PRC|DRC")


def _alternation(words: tuple[str, ...]) -> str:
    """Longest first (so "Republic of Ireland" wins over "Ireland"); spaces match runs of blanks."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(r"[ \t]+".join(re.escape(part) for part in word.split(" ")) for word in ordered)


_COUNTRY = (
    rf"(?:(?i:{_alternation(_COUNTRY_NAMES)})|{_alternation(_COUNTRY_SHORT_FORMS)})"
    r"(?![\p{L}\p{M}\d\-'\u2019]|\.\p{L})"
)
# ... which ends its line or its clause when it follows without a comma ("Auckland 1010 New Zealand",
# "London N7 6PA\nUnited Kingdom")
_COUNTRY_ALONE = rf"{_COUNTRY}(?=[ \t]*(?:[,.;:!?)\n]|$))"

# --- the tail: unit, localities, city, region, postcode -----------------------------------------------
_POSTCODE = (
    r"(?<![\w.\-])(?:(?i:cep|pin|pincode|zip|plz|postcode|post[ \t]code|cp)[ \t]*:?[ \t]*)?"
    r"(?:\d{5}-\d{3}|\d{3}-\d{4}|\d{4}-\d{3}|\d{2}-\d{3}|\d{4}[ \t]?[A-Z]{2}(?![\p{L}\d])|\d{3}[ \t]\d{2}"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|[A-Z]\d{2}[ \t]?[A-Z\d]{4}|\d{4,7}"
    # Argentina's CPA: a province letter, four digits, the block's three letters ("C1043", "C1043AAB")
    r"|[A-HJ-NP-Z]\d{4}(?:[A-Z]{3})?)"
    r"(?![\w\-.:/]?\d|[\w\-])"
)
_REGION = r"[A-Z]{2,3}(?![\p{L}\d.\-])"
# a district and its city joined by a slash ("Kadikoy/Istanbul", "Cankaya / Ankara") count as one
_CITY = (
    # (a Vietnamese ward or district in lower case: "phường Hải Châu 1", "quận 3")
    r"(?:(?:Col|Urb|Fracc|Bo|Qr|TP|Tp)\.[ \t]*|(?:Colonia|Bairro|Barrio|Quartier|ph\u01b0\u1eddng|qu\u1eadn|"
    r"huy\u1ec7n)[ \t]+)?"
    rf"{_STOP}{_W}(?:[ \t]+(?:(?:de|do|da|dos|das|del|di|la|le|of|upon|on|am|im|sur|en)[ \t]+)?{_STOP}{_W})"
    rf"{{0,3}}(?:[ \t]?/[ \t]?{_STOP}{_W}(?:[ \t]+{_W})?)?"
    # a locality's phase or stage: "Lekki Phase 1", "Banashankari Stage II"
    r"(?:[ \t]+(?:Phase|Stage|Sector)[ \t]+(?:\d{1,2}|[IVX]{1,4})(?![\p{L}\d]))?"
    r"(?:[ \t]+\d{1,2}(?![\w.:/\-]?\d|[\w%]))?"
)
# a floor's side or door after an ordinal: "3º izq.", "3.º Esq.", "2.º Dto.", "1º A", "4ºD", "3º 2ª"
_SIDE = (
    r"(?:[ \t]*-?[ \t]*\d{1,2}[ \t]*\.?[ \t]*[º°ª]|[ \t]*(?i:izq(?:da|uierda)?|dcha|der(?:echa)?|ctro|centro|"
    r"esq(?:uerd[oa])?|dto|dta|dt|direit[oa]|dir|frente|fte|fr)(?![\p{L}])|[ \t]*[A-Ha-h](?![\p{L}\d]))"
)
_UNIT = (
    r"(?:(?i:apt|apto|apartamento|apartment|suite|ste|unit|flat|floor|fl|piso|planta|andar|sala|bloco|"
    r"esc|escalera|puerta|pta|interno|int|scala|stiege|top|étage|etage|bâtiment|bât|dept|depto|dpto|"
    r"casa|door|level|lvl|block|bl|kv|kw|kvartira|ap|daire|kat|korp|korpus|etazh|house|wohnung|whg|lokal|"
    r"oficina|of|mieszkanie|lok|lgh)(?![\p{L}])[.:]?"
    r"[ \t]*(?:n[º°o]\.?[ \t]*)?#?[ \t]*[\p{L}\d][\p{L}\d\-]{0,4}(?![\p{L}\d])\.?"
    # Romanian "sc. B", "et. 3" (with the dot: "et" and "sc" are words too)
    # and Polish "m. 6" (mieszkanie, a flat)
    r"|(?i:sc|et|m)\.[ \t]*[\p{L}\d]{1,3}(?![\p{L}\d])"
    rf"|\d{{1,2}}[ \t]*\.?[ \t]*[º°ª]{_SIDE}?\.?"
    # a floor without a number: "bajo B", "entresuelo 2ª", "r/c Esq."
    r"|(?i:bajo|bajos|entresuelo|entlo|[aá]tico|sobre[aá]tico|s[oó]tano|r/c|cave|loja|cobertura)"
    rf"(?![\p{{L}}]){_SIDE}?\.?"
    r"|#\d{1,3}-\d{1,4}(?![\w\-])|(?i:bis|ter)(?![\p{L}])"
    # Danish and Norwegian floors and sides: "2. th", "3.tv.", "st. mf.", "kl.", "1. sal", "3. etg", "H0301"
    r"|(?:\d{1,2}\.?|st\.|kl\.)[ \t]*(?:th|tv|mf)(?![\p{L}\d])\.?|(?:st|kl)\.(?![\p{L}\d])"
    r"|\d{1,2}\.[ \t]*(?:sal|etg|etasje)(?![\p{L}\d])\.?|H\d{4}(?![\p{L}\d]))"
)
_DISTRICT = r"(?:[ \t]+(?:SV|NV|NØ|[KVNSCØ])(?![\p{L}\d]))?"
_ELEMENT = (
    # a country first, when its clause ends there ("Singapore 238823" is a city and its postcode)
    rf"(?:{_COUNTRY}(?=[ \t]*(?:[,.;:!?)\n]|$)|[ \t]+\p{{Ll}})|{_UNIT}"
    rf"|{_POSTCODE}(?:[ \t]+{_CITY}{_DISTRICT})?|{_CITY}(?:[ \t]*-?[ \t]*{_REGION})?(?:[ \t]+{_POSTCODE})?"
    rf"|{_REGION}(?:[ \t]+{_POSTCODE})?)"
)
# Elements after a comma (or " - ", "São Paulo - SP"); a new line only before a postcode ("...\n10969 Berlin")
# "Apt 4B" or "#12" after a street without a comma
_SPACED_UNIT = (
    # (Swedish "lgh 1102", a lägenhet's number)
    r"[ \t]+(?:(?i:apt|apartment|suite|ste|unit|flat|depto|dpto|piso|wohnung|whg|lok|lgh)(?![\p{L}])"
    r"\.?[ \t]*#?"
    # the house's number after a kilometre marker or a block: "Jl. Kaliurang Km 7 No. 21"
    r"|No\.?[ \t]*(?=\d)"
    r"|m\.[ \t]*|#)"
    r"[ \t]*[\p{L}\d][\p{L}\d\-]{0,4}"
    r"(?![\p{L}\d])"
)
_TAIL = (
    rf"(?:(?:[ \t]*,[ \t]*|[ \t]+-[ \t]+){_ELEMENT}|{_SPACED_UNIT}"
    rf"|[ \t]*\n[ \t]*(?:{_POSTCODE}(?:[ \t]+{_CITY})?|{_CITY}(?:[ \t]+{_REGION})?[ \t]+{_POSTCODE})"
    # a locality said or typed without a comma, ending its clause or before a postcode: "6 Wilmslow Road
    # Manchester", "22 Harbour Street Leith Edinburgh EH6 6LN" (a call's transcript)
    rf"|[ \t]+{_CITY}(?:[ \t]+{_POSTCODE})?(?=[ \t]*(?:[,.;:!?)\"'\n]|$))){{0,8}}"
    # a country after the rest without a comma, or on its own line
    rf"(?:(?:[ \t]+|[ \t]*\n[ \t]*){_COUNTRY_ALONE})?"
)
# Something with a postcode follows within the next few elements (for ambiguous street types)
_POSTCODE_AHEAD = (
    rf"(?=(?:(?:[ \t]*,[ \t]*|[ \t]+-[ \t]+)(?:{_UNIT}|{_CITY}(?:[ \t]*-?[ \t]*{_REGION})?)){{0,3}}"
    rf"[ \t]*,?[ \t]*{_POSTCODE})"
)
# A unit, a postcode, or a locality that ends its clause follows ("Av. Corrientes 1234, Piso 5";
# not "Av. Speed 35, Max 50")
_LOCALITY_AHEAD = (
    rf"(?=(?:[ \t]*,[ \t]*|[ \t]+-[ \t]+)(?:{_UNIT}|{_POSTCODE}|{_STOP}{_W}(?:[ \t]+{_STOP}{_W}){{0,3}}"
    r"[ \t]*(?:[,.;\n]|$)))"
)

# the label of a form's postcode field (German, English, French, Italian, Swedish, Polish, Spanish)
_POSTCODE_LABEL = (
    # ("ZIP" and Italian "CAP" in capitals only: "cap: 5000 Tokens" is a limit)
    r"(?<![\p{L}])(?:(?i:plz(?:[ \t]*/[ \t]*ort)?|postleitzahl|post[ \t]?code|zip[ \t]*code|"
    r"code[ \t]postal|postnummer|kod[ \t]pocztowy|c[óo]digo[ \t]postal)|ZIP|CAP)(?![\p{L}])"
)
_POSTCODE_LABEL_WORDS = frozenset(("plz", "postleitzahl", "postcode", "post", "zip", "code", "cap"))
_POSTCODE_LABEL_WORDS |= frozenset(("postnummer", "kod", "digo", "c"))

# --- addresses in CJK scripts: the administrative units' characters anchor them, a number ends them --------
# Kanji and katakana (no hiragana: the grammar's particles, "渋谷区で3-4人", stop a name), digits any width
_KANJI_KANA = r"[\p{Han}\p{Katakana}\u30fc\u3005\u30f6]"
_CJK_DASH = r"[\-\u2212\uff0d\u30fc\u2010]"
# A run of kanji and katakana that starts at its word (no kanji before it) with a city, ward, town, village
# or district character (市区町村郡) in its first 24 (prefecture, city, the district's name), then the block
# numbers. Words have those characters too (市場 market, 区間 interval): one unit and a block of two numbers
# ("市場1-2位") need a postal code or a prefecture (都道府県) before; three numbers ("神宮前1-2-3") or the
# block words ("2丁目8番1号") do not.
_JP_UNIT_AHEAD = rf"(?<!{_KANJI_KANA})(?={_KANJI_KANA}{{0,24}}?[市区町村郡])"
_JP_BLOCK = rf"\d{{1,4}}(?:(?:丁目|番地?|号|{_CJK_DASH})\d{{1,4}}){{1,3}}(?:番地?|号)?(?![\d\-])"
_JP_FULL_BLOCK = (
    rf"\d{{1,4}}(?:(?:丁目|番地?|号)\d{{1,4}}(?:(?:番地?|号|{_CJK_DASH})\d{{1,4}})?(?:番地?|号)?"
    rf"|(?:{_CJK_DASH}\d{{1,4}}){{2,3}})(?![\d\-])"
)
_JP_ADDRESS = (
    rf"\u3012[ \t\u3000]*\d{{3}}{_CJK_DASH}?\d{{4}}[ \t\u3000]*"
    rf"{_JP_UNIT_AHEAD}{_KANJI_KANA}{{1,32}}?{_JP_BLOCK}"
    rf"|(?<!{_KANJI_KANA})(?={_KANJI_KANA}{{0,12}}?[都道府県]{_KANJI_KANA}{{0,12}}?[市区町村郡])"
    rf"{_KANJI_KANA}{{1,32}}?{_JP_BLOCK}"
    rf"|{_JP_UNIT_AHEAD}{_KANJI_KANA}{{1,32}}?{_JP_FULL_BLOCK}"
)
# Chinese: up to 30 characters (province, city, district) before a road or street and its number (号),
# floors and rooms after it:
# "北京市朝阳区建国路88号", "上海市黄浦区南京东路100号5楼"
_ZH_ADDRESS = (
    r"\p{Han}{1,30}?(?:路|街|大道|巷|弄|胡同)\d{1,5}(?:号|號)"
    r"(?:\p{Han}{0,8}?\d{1,5}(?:室|楼|樓|栋|棟|层|層|单元|單元|号|號))*"
)
# Korean: a city or province, a district (구, 군, 시), then a road and its building number ("테헤란로 152",
# "세종대로 209", "강남대로 94길 12") or a neighbourhood and its lot number ("역삼동 123-45")
_KO_ADDRESS = (
    r"(?<!\p{Hangul})(?:\p{Hangul}{1,8}(?:특별시|광역시|특별자치시|특별자치도|시|도)[ \t]+)?"
    r"(?:\p{Hangul}{1,8}(?:시|군|구)[ \t]+){1,2}(?:\p{Hangul}{1,8}(?:읍|면)[ \t]+)?"
    r"(?:\p{Hangul}{1,10}(?:대로|로|길)[ \t]*\d{1,4}(?:[ \t]*번?길[ \t]*\d{1,4})?"
    r"|\p{Hangul}{1,8}(?:동|리|가)[ \t]*\d{1,4}(?:-\d{1,4})?(?:[ \t]*번지)?)(?:-\d{1,4})?(?![\d])"
)
# Vietnam: a number and a street's name, then its ward, district or city by the unit's word ("112 Lê Lợi,
# Phường Bến Thành, Quận 1, TP. Hồ Chí Minh"); Thailand: a lane (soi) or a road (thanon) and its number, or a
# village (moo) after the house's ("59/12 Sukhumvit Soi 31, Khlong Toei Nuea, Bangkok 10110", "99 Moo 4,
# Thanon Chang Phueak")
_VN_UNIT = (
    r"(?:[Pp]h\u01b0\u1eddng|[PQ]\.[ \t]*(?=\d)|[Qq]u\u1eadn|[Hh]uy\u1ec7n|X\u00e3|Th\u1ecb[ \t]+x\u00e3|"
    r"Th\u00e0nh[ \t]+ph\u1ed1|TP\.|Tp\.)"
)
# a letter only Vietnamese writes (ơ, ư, đ, ă and the stacked tone marks)
_VN_LETTER = "[\u0102\u0103\u0110\u0111\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]"
# the cities such an address ends with (a list of names before one is not an address)
_VN_CITY = (
    r"(?:H\u00e0[ \t]+N\u1ed9i|(?:TP\.?[ \t]*)?H\u1ed3[ \t]+Ch\u00ed[ \t]+Minh|TP\.?[ \t]*HCM|"
    r"S\u00e0i[ \t]+G\u00f2n|\u0110\u00e0[ \t]+N\u1eb5ng|H\u1ea3i[ \t]+Ph\u00f2ng|C\u1ea7n[ \t]+Th\u01a1|"
    r"Hu\u1ebf|Nha[ \t]+Trang|\u0110\u00e0[ \t]+L\u1ea1t|V\u0169ng[ \t]+T\u00e0u|Bi\u00ean[ \t]+H\u00f2a|"
    r"Quy[ \t]+Nh\u01a1n|H\u1ea1[ \t]+Long|Vinh)(?![\p{L}])"
)
_SOUTHEAST_ASIAN = (
    rf"{_NUM}[ \t]+(?:{_W}[ \t]+){{0,3}}{_W}(?=[ \t]*,[ \t]*{_VN_UNIT}[ \t]*(?:{_W}|\d))"
    rf"|{_NUM}[ \t]+(?:(?:{_W}[ \t]+){{1,3}}(?:Soi|Moo|Mu)[ \t]+\d{{1,3}}(?![\w.:/]?\d|\w)"
    rf"(?:[ \t]*,?[ \t]*(?:Thanon|Soi)[ \t]+{_W}(?:[ \t]+{_W}){{0,2}})?"
    rf"|(?:Soi|Moo|Mu)[ \t]+\d{{1,3}}(?![\w.:/]?\d|\w)"
    rf"|(?:Soi|Thanon)[ \t]+{_W}(?:[ \t]+{_W}){{0,2}}{_LOCALITY_AHEAD}"
    # a Vietnamese street with no unit word, written with Vietnamese letters, then a district and a city
    # ("25 Lê Thánh Tông, Hoàn Kiếm, Hà Nội")
    # (inside the group that follows the house number)
    rf"|(?=[^\n]{{0,60}}?{_VN_LETTER})(?:{_W}[ \t]+){{1,3}}{_W}"
    rf"(?=(?:[ \t]*,[ \t]*{_W}(?:[ \t]+{_W}){{0,3}}){{1,2}}[ \t]*,[ \t]*{_VN_CITY}))"
)

_ADDRESS_PATTERNS = (
    # 31 Jan Smuts Avenue, Parktown, Johannesburg 2193 / 14th Cross Road / 123 Teheran-ro, Gangnam-gu
    ("number_street", rf"{_NUM}[ \t]+(?:{_EN_STREET}|{_KR_ROAD}){_TAIL}", 0.6),
    # 42, 3rd Cross, Indiranagar (a locality or a postcode must follow) / 221 Kingsway, Apt 9B, Vancouver
    # (a street without a type word, then a unit and a locality)
    (
        "number_street_untyped",
        rf"{_NUM}(?:[ \t]*,?[ \t]+{_ORDINAL_ROAD}(?=[ \t]*,[ \t]*(?:{_CITY}|{_POSTCODE}))"
        rf"|[ \t]+{_NOT_A_STREET}{_W}(?:[ \t]+{_W}){{0,2}}"
        rf"(?=[ \t]*,[ \t]*{_UNIT_WORD}{_UNIT_NUMBER}[ \t]*,[ \t]*(?:{_CITY}|{_POSTCODE}))){_TAIL}",
        0.6,
    ),
    # 12 rue des Lilas, 69003 Lyon / 3 bis, avenue Jean Jaurès
    (
        "number_romance_street",
        rf"{_NUM}(?:[ \t]+(?i:bis|ter))?,?[ \t]+(?:{_FR_TYPE}[ \t]+{_ROMANCE_NAME}"
        rf"|{_FR_TYPE_AMBIGUOUS}[ \t]+{_ROMANCE_NAME}{_POSTCODE_AHEAD}){_TAIL}",
        0.6,
    ),
    # Calle de Alcalá 48, 3º izq., 28014 Madrid / Rua Augusta, 1508, apto 72, ... / Via Roma 10, 00184 Roma
    (
        "street_number",
        rf"(?<![\p{{L}}\d])(?:(?:{_SOUTH_TYPE}|{_EAST_TYPE})[ \t]+{_STOP}{_ROMANCE_NAME},?[ \t]*"
        rf"{_NUMBER_WORD}\d{{1,5}}[A-Za-z]?(?:/\d{{1,4}}[A-Za-z]?)?(?![\w.:/]?\d|\w)"
        rf"|{_SOUTH_TYPE_AMBIGUOUS}[ \t]+{_ROMANCE_NAME},?[ \t]*{_NUMBER_WORD}\d{{1,5}}[A-Za-z]?"
        rf"(?![\w.:/]?\d|\w){_POSTCODE_AHEAD}"
        # Av. Corrientes 1234, Piso 5, ... / Av. Paulista, 1000 - Bela Vista, ...
        # (Peru's "Jr. Junín 455, Miraflores, Lima": a jirón)
        rf"|(?:Av|Jr)\.[ \t]+{_STOP}{_ROMANCE_NAME},?[ \t]*{_NUMBER_WORD}\d{{1,5}}[A-Za-z]?(?![\w.:/]?\d|\w)"
        rf"{_LOCALITY_AHEAD}){_TAIL}",
        0.6,
    ),
    # Lindenstraße 42, 10969 Berlin / Keizersgracht 123, 1015 CJ Amsterdam / Teheran-ro 152
    (
        "compound_street_number",
        rf"(?:(?:{_COMPOUND}|{_SEPARATE_GERMANIC}|{_KR_ROAD}){_HOUSE_AFTER}|{_TURKISH}"
        rf"|{_WORD_START}{_NOT_A_STREET}(?:{_W}[ \t]+){{1,3}}?{_EN_SUFFIX_BEFORE_NUMBER}{_HOUSE_AFTER}"
        rf"(?=[ \t]*,[ \t]*(?:{_UNIT}|{_CITY}|{_POSTCODE})|[ \t]+{_POSTCODE})){_TAIL}",
        0.6,
    ),
    # Flat 2, 27 Holloway Road / House 12, Ngong Road / Flat 402, Shanti Apartments, 14th Cross Road /
    # House 7, Road 45, Gulshan 2, Dhaka 1212 / Unit 5/18 Beach Road
    (
        "unit_street",
        rf"(?<![\p{{L}}\d])(?:{_UNIT_WORD}{_UNIT_NUMBER}{_UNIT_SEP}(?:{_BUILDING}{_UNIT_SEP})?"
        rf"(?:{_NUM}[ \t]*,?[ \t]+{_EN_STREET}|{_NUMBERED_ROAD}|{_ORDINAL_ROAD})"
        rf"|{_UNIT_WORD_NUMBERLESS}{_UNIT_NUMBER}{_UNIT_SEP}(?:{_BUILDING}{_UNIT_SEP})?{_EN_STREET}"
        # Flat 302, Sai Residency, Indiranagar, Bengaluru 560038 (a locality or a postcode must follow)
        rf"|{_UNIT_WORD_NUMBERLESS}{_UNIT_NUMBER}{_UNIT_SEP}{_RESIDENCE}"
        rf"(?=[ \t]*,[ \t]*(?:{_CITY}|{_POSTCODE}))"
        # Marina Heights, Tower B, Unit 1804, Dubai Marina (a residence, its tower, the unit; a locality
        # follows)
        rf"|{_WORD_START}{_RESIDENCE}"
        rf"(?:[ \t]*,[ \t]*(?:Tower|Block|Wing|Building)[ \t]+[A-Z\d]{{1,2}}(?![\p{{L}}\d]))?"
        rf"[ \t]*,[ \t]*{_UNIT_WORD}{_UNIT_NUMBER}(?=[ \t]*,[ \t]*{_CITY})"
        # Bole Road, House 77, Addis Ababa (a street without a number, then its house; a locality follows)
        rf"|{_WORD_START}{_EN_STREET}[ \t]*,[ \t]*{_UNIT_WORD_NUMBERLESS}{_UNIT_NUMBER}"
        rf"(?=[ \t]*,[ \t]*(?:{_CITY}|{_POSTCODE}))"
        rf"){_TAIL}",
        0.6,
    ),
    # 2-14-5 Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023 (a ward or town, or a postcode, must follow)
    (
        "japan_chome",
        rf"(?<![\w.\-:/])\d{{1,2}}-\d{{1,2}}(?:-\d{{1,3}})?[ \t]+{_W}"
        rf"(?=[ \t]*,[ \t]*{_W}-(?:ku|shi|cho|machi|gun|mura|ward)(?![\p{{L}}])"
        rf"|(?:[ \t]*,[ \t]*{_W}){{0,3}}[ \t]*,?[ \t]*\d{{3}}-\d{{4}}(?!\d)){_TAIL}",
        0.6,
    ),
    # Carrera 7 # 71-21, Bogotá / Calle 93 No. 11-27
    (
        "colombia_grid",
        r"(?<![\p{L}\d])(?:Calle|Carrera|Cra\.|Kra\.|Cl\.|Avenida|Diagonal|Transversal|Av\.)[ \t]+"
        rf"\d{{1,3}}[A-Z]?(?:[ \t]+(?i:bis))?[ \t]*(?:#|No\.?|N[º°o]\.?)[ \t]*\d{{1,3}}[A-Z]?-\d{{1,3}}"
        rf"(?![\w.]?\d){_TAIL}",
        0.6,
    ),
    # Addresses in Japanese, Chinese and Korean script (no spaces between words in the first two):
    # 〒150-0001 東京都渋谷区神宮前1-2-3 / 北京市朝阳区建国路88号 / 서울특별시 강남구 테헤란로 152
    ("cjk_address", rf"{_ZH_ADDRESS}|{_JP_ADDRESS}|{_KO_ADDRESS}", 0.6),
    # 112 Lê Lợi, Phường Bến Thành, Quận 1, TP. Hồ Chí Minh / 59/12 Sukhumvit Soi 31, Bangkok 10110
    ("southeast_asian", rf"(?:{_SOUTHEAST_ASIAN}){_TAIL}", 0.6),
    # a form's postcode field with the town after it: "PLZ/Ort: 04109 Leipzig", "Code postal : 69003 Lyon"
    (
        "postcode_field",
        rf"{_POSTCODE_LABEL}[ \t]*:[ \t]*\K\d{{4,5}}[ \t]+{_CITY}",
        0.6,
    ),
)


# --- cheap gates: a stdlib test per pattern that is a NECESSARY condition of it (a street or unit word it
# needs), so a text that fails it is not scanned by the pattern. Words read in any case are looked up among
# the text's words folded to lower-case ASCII (the letters ``regex``'s ``(?i:...)`` reads as a-z: A-Z, and
# \u0130, \u212a, \u017f; and \u00c9 as \u00e9): one scan per text, shared by the gates.
def _has_word(words: frozenset[str], accented: tuple[str, ...] = ()) -> Any:
    """A gate: the folded text has one of ``words`` as a run of a-z, or contains one of ``accented``."""

    def gate(text: str) -> bool:
        folded, found = folded_words(text)
        return not words.isdisjoint(found) or any(word in folded for word in accented)

    return gate


# English street types ("Road", "st", "AVE"; any case), Korean roads ("Teheran-ro")
_NUMBER_STREET_WORDS = frozenset(
    _listed(
        "street|st|road|rd|avenue|ave|lane|ln|drive|dr|court|ct|terrace|tce|place|pl|way|close|crescent|cres|"
        "grove|gardens|gdns|mews|row|square|sq|parade|pde|boulevard|blvd|highway|hwy|parkway|pkwy|circle|cir|"
        "esplanade|embankment|marg|salai|ro|gil|daero"
    )
)
# French types (the accented ones as substrings)
_ROMANCE_STREET_WORDS = frozenset(
    _listed(
        "rue|chemin|allee|impasse|quai|bd|rte|sentier|faubourg|rond|parvis|lotissement|avenue|av|boulevard|bld|"
        "place|cours|route|square|passage|voie|promenade|esplanade"
    )
)
_ROMANCE_STREET_ACCENTED = ("all\u00e9e", "cit\u00e9", "r\u00e9sidence")
# Southern and Eastern European types, before the name ("Calle", "C/", "Travesía", "ul.", "B-dul", "Șoseaua")
_STREET_NUMBER_WORDS = frozenset(
    _listed(
        "calle|c|avenida|avda|carrer|carretera|traves|glorieta|rua|travessa|praca|rodovia|viale|piazza|piazzale|"
        "vicolo|contrada|jalan|jl|ul|ulica|ulitsa|vul|vulytsia|prospekt|prosp|ploshchad|pereulok|piata|pr|pl|"
        "bulevardul|bulvar|dul|bd|bul|strada|str|splaiul|soseaua|oseaua|calea|aleea|via|plaza|largo|corso|paseo|"
        "camino|alameda|estrada|ronda|av|rue|avenue|boulevard|prospect|jr|jiron|pasaje|psje"
    )
)
_STREET_NUMBER_ACCENTED = ("pra\u00e7a", "pia\u021ba", "jir\u00f3n")
# a street word right before the house number: "Lindenstraße 42", "Karl Johans gate 22", "Rothschild Blvd 22"
_BEFORE_NUMBER = _listed(
    "stra\u00dfe|strasse|weg|gasse|allee|platz|damm|ufer|chaussee|steig|pfad|straat|gracht|laan|plein|kade|"
    "singel|dijk|steeg|gatan|gata|v\u00e4gen|v\u00e4g|veien|gaten|gade|vej|katu|kuja|tie|str.|Stra\u00dfe|"
    "Strasse|Str.|Weg|Gasse|Allee|Platz|Damm|Ufer|Ring|Chaussee|gate|vei|Prospekt|prospekt|Ulitsa|ulitsa|"
    "Vulytsia|vulytsia|Pereulok|pereulok|Shosse|shosse|Naberezhnaya|naberezhnaya|Bulvar|bulvar|utca|\u00fat|"
    "k\u00f6r\u00fat|t\u00e9r|Street|St|St.|Road|Rd|Rd.|Avenue|Ave|Ave.|Boulevard|Blvd|Blvd.|Lane|"
    "Prospect"
)
_BLANKS_DIGIT = re.compile(r"[ \t]+\d")
# Korean roads and Turkish streets ("Teheran-ro 152", "Bağdat Caddesi No: 12")
_COMPOUND_ANYWHERE = (
    "-ro",
    "-gil",
    "-daero",
    "Caddesi",
    "Cad.",
    "Cd.",
    "Sokak",
    "Soka\u011f\u0131",
    "Sok.",
    "Sk.",
    "Bulvar\u0131",
    "Blv.",
)


def _compound_gate(text: str) -> bool:
    if any(word in text for word in _COMPOUND_ANYWHERE):
        return True
    return any(text.endswith(_BEFORE_NUMBER, 0, match.start()) for match in _BLANKS_DIGIT.finditer(text))


_UNIT_WORDS = _listed(
    "Flat|House|Plot|Apt|Apartment|Unit|Villa|Bungalow|Door|No.|Erf|Stand|Blk|Suite|Level|Floor|Shop|"
    "Building|Bldg|Block"
)
# a house number (its digit, up to two letters: "221B", "14th"), blanks, and a street's capitalised name or
# ordinal ("350 5th Avenue")
_NUMBER_THEN_CAPITAL = re.compile(r"\d\S{0,2}[ \t]+(?:[A-Z\u0080-\U0010ffff]|\d{1,3}(?i:st|nd|rd|th))")
_has_number_street_word = _has_word(_NUMBER_STREET_WORDS)
_has_ordinal_road_word = _has_word(frozenset(_listed("cross|main|stage|phase|block|sector")))
_CHOME = re.compile(r"\d-\d")
_CJK_UNIT = re.compile("[市区町村郡路街道巷弄胡구군시]")
_COLOMBIA = re.compile(r"(?:Calle|Carrera|Cra\.|Kra\.|Cl\.|Avenida|Diagonal|Transversal|Av\.)[ \t]+\d")
_SOUTHEAST_ASIAN_WORD = re.compile(
    r"[Pp]h\u01b0\u1eddng|[Qq]u\u1eadn|[Hh]uy\u1ec7n|X\u00e3|TP\.|Tp\.|Th\u00e0nh ph\u1ed1|[PQ]\. ?\d|"
    r"Soi |Moo |Mu |Thanon |" + _VN_LETTER
)
_GATES: dict[str, Any] = {
    "number_street": lambda text: (
        _NUMBER_THEN_CAPITAL.search(text) is not None and _has_number_street_word(text)
    ),
    "number_street_untyped": lambda text: (
        any(word in text for word in _UNIT_WORDS) or _has_ordinal_road_word(text)
    ),
    "number_romance_street": _has_word(_ROMANCE_STREET_WORDS, _ROMANCE_STREET_ACCENTED),
    "street_number": _has_word(_STREET_NUMBER_WORDS, _STREET_NUMBER_ACCENTED),
    "compound_street_number": _compound_gate,
    "unit_street": lambda text: any(word in text for word in _UNIT_WORDS),
    "japan_chome": _CHOME.search,
    "colombia_grid": _COLOMBIA.search,
    # every CJK address has one of these units' characters (Japanese, Chinese or Korean)
    "cjk_address": _CJK_UNIT.search,
    "southeast_asian": _SOUTHEAST_ASIAN_WORD.search,
    "postcode_field": _has_word(_POSTCODE_LABEL_WORDS, ("código", "CÓDIGO")),
}


def address_recognizers(policy: RedactionPolicy) -> list[Any]:
    """Presidio recognizers of STREET_ADDRESS in many countries' shapes (beside recognizers.py's)."""
    if ENTITY not in policy.wanted_entities():
        return []
    import regex
    from presidio_analyzer import PatternRecognizer

    # one recognizer (its context words raise what it finds); every shape here has a digit
    return [
        gated_recognizer(
            PatternRecognizer,
            entity=ENTITY,
            name="otel_genai_international_address",
            patterns=_ADDRESS_PATTERNS,
            gates=_GATES,
            flags=regex.DOTALL | regex.MULTILINE,
            requires=_DIGIT.search,
            context=["address", "live", "ship", "deliver", "post"],
        )
    ]


def address_patterns() -> tuple[tuple[str, str, float], ...]:
    """``(name, regex, score)`` of every pattern (for tests and tools)."""
    return _ADDRESS_PATTERNS
