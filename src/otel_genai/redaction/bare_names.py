"""Person names with nothing marking them as names but the name itself: one cheap scan over a text's words.

NER misses names it has not seen ("Deepa says the invoice is wrong", "Dilnoza Karimova"), names in lower
case or capitals ("lerato mokoena", "SOMCHAI WONGSAKUL"), initials with particles ("P. de Vries") and names
in Chinese, Japanese or Korean script ("佐藤 花子"); ``names.py`` adds names only after a cue (a title, a
greeting, a header, a relation). ``bare_names`` adds the names that the gazetteers alone recognise:

* ``lone``: a capitalised given name of ``data/lone_given_names.txt`` (built by
  ``scripts/build_bare_names.py``: Faker's curated names, minus English words, places and common words of
  other languages), not written in lower case elsewhere in the text ("Dict"/"dict"), not in code
  (``os.Path``, ``Camila(``), not after a place preposition ("in Valencia");
* ``possessive``: any given name of the gazetteer followed by ``'s`` and a word ("Priyanka's line");
* ``suffix_surname``: a capitalised word and a surname of a distinctive form ("Karimova", "Petrenko",
  "Ionescu", "Jovanović", "Beridze", "Papadopoulos", "Karaoğlu");
* ``initials``: initials and particles before a capitalised word ("P. de Vries", "J. van der Berg",
  "A. al-Rashid");
* ``caps_pair``: a given name and a surname of the gazetteers, both in capitals ("SOMCHAI WONGSAKUL" in a
  quoted or key value); not in lower case, where such pairs are as often words ("ivar param");
* ``romanised``: a hyphenated romanised Korean or Chinese given name, both syllables of such names
  ("Ji-woo", "Mei-ling", "Seo-yeon");
* ``last_line``: one or two capitalised words alone on a text's last line after a blank line or a dash,
  where a note is signed ("...\\n\\n- Sipho");
* ``cjk``: a Chinese, Japanese or Korean name: a common family name (``data/cjk_family_names.txt``) and
  1-2 more ideographs with an honorific after (様, さん, 先生, 氏, 女士, 小姐), or with a space between
  family and given name ("佐藤 花子").

* ``arabic``: a given name, then bin/bint/ibn/abu/abd or an al-/el- article and a name ("Layla al-Hashimi",
  "Maryam bint Saeed");
* ``trailer``, ``blame``: the name of a commit trailer ("Reported-by: Ana Lee") or a ``git blame`` line;
* ``and_me``: a given name before "and I" and its forms in other languages ("Björn och jag");
* ``vocative``: a given name (or a name that is a word) opening a line, then a request ("Mark, can you");
* ``named``: a capitalised word ending a clause after "I'm", "this is", "she's" ("i'm Hemi, she's Kalena");
* ``lower``: a lower-case given name (and surname) after a self-introduction or a name key ("soy wilson
  mamani", "user: sanjana pillai") or in ``TODO(olena)``;
* ``feminine``: a feminine Czech or Slovak surname alone ("Frau Horváthová");
* ``initial_quoted``: an initial and a surname, a whole quoted value (``"name":"J. Bautista"``);
* ``name_age``: two capitalised words, then an age or a birth date ("Ana Tuimavave, 29, from Apia");
* ``apposition``, ``key_name``, ``asked``: a given name (or a name that is a word) in a person's place:
  between commas after a role ("the technician, Joy, never came"), ending a role's value ("Assigned:
  Mark."), after "ask", "tell", "ping", "remind" ("tell Sunny I'll be late", "ask priya");
* ``field``: the value of a first or last name field ("?first=lerato&last=mokoena", "LastName=Park"), of a
  user name or "name" field the gazetteers know (``"username": "amani"``), the user of an sshd log line;
* ``last_word``: one given name of the gazetteer alone on the text's last line ("...\nDeepika",
  "Abraço,\nLuciana");
* ``user_name``: a given name and a surname joined by a dot or an underscore, in a mention too
  ("@amina_bouzid"), or an initial before a surname ("j.okoro");
* ``surname_comma_given``: a surname of the list in capitals, a comma, a given name in capitals ("NKOSI,
  THANDO", as records list people);
* ``product_given_surname``: a given name that is also a product's before a surname ("Hugo Lefèvre");
* ``vietnamese``: a common Vietnamese family name and the syllables of a name ("Bui Anh Tuan"), in lower
  case after a self-introduction too ("mình là trần văn minh", a ``lower`` rule);
* ``handle``: a user handle after a user's cue ("user=siosaia.tupou", "(user: rohan-mehta)", "@sunny.park",
  "<wanjiru_k>") with a part the gazetteers know as a name, a tag or an initial after it allowed;
* ``lower`` also: a given name after "my tasker", "our driver" (a word name too: "my tasker hope") or before
  "the seller"; a lower-case name before "here" in the languages of Europe ("lotte van der berg hier"),
  after a greeting ("hey sunny here") or in brackets after "me" ("me again (rob)"); a surname after a
  self-introduction whatever the given name ("sou a thaís barbosa");
* ``caps_label`` also: a name in capitals after a person's role ("Customer GRACE OKAFOR"), or as a key's
  value, accented or Cyrillic too ("Reporter: MARGARET O'SULLIVAN", "name=ЕКАТЕРИНА СМИРНОВА"), and an
  airline's SURNAME/GIVEN with a title ("MS ADEBAYO/FOLASADE");
* ``handle`` also: a handle of names joined by underscores ("bram_devries88", "Mei_Lin_Zhao"), or of one
  given name after a player's cue ("user xX_Dmitri_Xx#4412").

Then the other mentions of a name found are added (``_same_person``: "Bethany Rourke ... ask Bethany"),
when the gazetteers know a word of the full name, with a given name right before a surname ("Zeynep
Arslan ... Eşi Murat Arslan").

The capitalised findings pass through ``refine_names`` with the rest (it drops what is code, a heading, a
place); the capital, CJK and signature ones are added after it (its filter reads such spans as no name).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from importlib import resources

from otel_genai.redaction._gates import folded_words
from otel_genai.redaction.findings import Finding
from otel_genai.redaction.names import (
    _COMMON_PLACES,
    _LOCATIVE_BEFORE,
    _NOT_PEOPLE,
    _STOP_WORDS,
    _TECH_WORDS,
    _text_language,
    _word_set,
    given_names,
    is_known_place,
    surnames,
    with_title_and_surname,
    word_names,
)

__all__ = ["bare_names", "cjk_family_names", "lone_given_names"]

_SCORE = 0.6
_POSSESSIVE_ENDINGS = ("'s", "\u2019s")

_PARTICLES = _word_set(
    "van von der den de del della di da do dos das du la le bin binti ibn al el ter ten af zu y"
)
# a place, an organisation, a thing: the capitalised word after a given name makes it no person's name
_NOT_SURNAMES = _word_set(
    """street road avenue drive lane way place square park city town county island islands bay beach hill
    hills valley lake mount river falls springs hospital clinic university college school institute
    center centre hotel cafe restaurant bank group inc ltd llc corp foundation project model api sdk
    library framework airport station church museum gallery theatre theater arena stadium"""
)
_STOP = frozenset(word.lower() for word in _STOP_WORDS) | _PARTICLES
_SIGN_OFF_WORDS = _word_set(
    """thanks thank regards best cheers sincerely yours love warmly ciao bye merci gracias danke grazie
    obrigado obrigada saludos groeten kram hugs xoxo talofa asante salam
    sayg\u0131lar\u0131mla sayg\u0131lar\u0131m\u0131zla te\u015fekk\u00fcrler atenciosamente cordialement
    pozdrawiam"""
)
# a place preposition before a one-word name makes it a place ("an office in Valencia")
_LOCATIVE = re.compile(_LOCATIVE_BEFORE)
# what marks a word as code around it: `os.Path`, `Camila(`, `Camila_id`, `Camila=`, `@Camila`, `$Camila`
_CODE_BEFORE = frozenset("._/\\@#$%&*=<>{}[]|~^`")
_CODE_AFTER = frozenset("(_[{=<>@/\\|`")
# surnames of a distinctive form (Slavic, Baltic, Romanian, Georgian, Armenian, Greek, Turkish, Persian)
_SURNAME_FORM = re.compile(
    r"(?:ova|eva|ová|ovna|evna|ovich|evich|enko|chenko|escu|ovic|evic|ović|ević|shvili|adze|idze|yan|"
    r"opoulos|poulos|akis|idis|oğlu|oglu|zadeh|owski|ewski|owska|ewska|inski|inska|skyi|ckyi|auskas|"
    r"ienė|aitė|ytė|"
    # Russian and Central Asian surnames of men ("Serikbayev", "Smirnov"), Kazakh patronymic surnames
    r"ov|ev|uly|kyzy)\Z"
)
# honorifics after a CJK name, and family names that open one
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HANGUL = r"\uac00-\ud7af"
_KANA = r"\u3040-\u30ff"
_CJK_HONORIFIC = r"(?:様|さま|さん|くん|君|ちゃん|先生|氏|殿|女士|小姐|老师|老師)"
# a name before an honorific: "佐藤花子様", "田中さん", "王先生"; a family name, a space, a given name:
# "佐藤 花子" (CJK prose has no spaces between words); Korean: three syllables and 씨 ("김민준 씨")
_CJK_NAME = re.compile(
    rf"(?<![{_CJK}{_KANA}])(?P<honored>[{_CJK}]{{1,4}})[ \u3000]?(?={_CJK_HONORIFIC})"
    rf"|(?<![{_CJK}{_KANA}])(?P<family>[{_CJK}]{{1,2}})[ \u3000](?P<given>[{_CJK}{_KANA}]{{1,3}})"
    rf"(?![{_CJK}{_KANA}])"
    rf"|(?<![{_HANGUL}])(?P<korean>[{_HANGUL}]{{3}})(?:[ ]?씨(?![{_HANGUL}])|[ ]씨)"
)
_CJK_GATE = re.compile(rf"[{_CJK}{_HANGUL}]")
# the text's last line: one or two capitalised words, after a blank line or a dash ("\n\n- Sipho")
_LAST_LINE = re.compile(
    r"(?:\n[ \t]*\n|\n[ \t]*[\-\u2013\u2014~]+)[ \t]*(?:[\-\u2013\u2014~]+[ \t]*)?"
    r"(?P<name>[^\W\d_][^\W\d_'\u2019\-]*(?:[ \t]+[^\W\d_][^\W\d_'\u2019\-]*)?)[ \t]*[.!]?[ \t]*\Z"
)
# a capitalised word (Latin, Greek, Cyrillic capitals; case checked after), with a possessive 's
_CAPITAL = r"[A-Z\u00c0-\u00de\u0100-\u024f\u0386-\u03ab\u0400-\u042f]"
_CAPITAL_WORD = re.compile(rf"(?<![^\W_]){_CAPITAL}[^\W\d_]*(?:['\u2019\-][^\W\d_]+)*")
_CAPITAL_GATE = re.compile(_CAPITAL)
_PREVIOUS_WORD = re.compile(r"([^\W\d_]+(?:['\u2019\-][^\W\d_]+)*)[ \t]\Z")
# the particles inside a name (al-/el- are read with their hyphen, "y" joins two names)
_PARTICLE_SOURCE = "|".join(sorted(_PARTICLES - {"al", "el", "y"}))
_NEXT_WORDS = re.compile(
    rf"[ ](?P<particles>(?:(?:{_PARTICLE_SOURCE})[ ])*)(?P<word>[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*)"
)
# initials, then particles or an Arabic article, then a capitalised word: "P. de Vries", "A. al-Rashid"
_INITIALS_TAIL = re.compile(
    rf"\.[ \t]?(?:(?:(?:{_PARTICLE_SOURCE})[ \t]+){{1,3}}[A-Z][a-z\u00e0-\u024f]+"
    r"|(?:al|el)-[A-Z][a-z\u00e0-\u024f]+)"
    r"(?![\w\-])"
)
_INITIALS_HEAD = re.compile(r"(?<![\w.\\/@])[A-Z]\.(?:[ \t]?[A-Z]\.){0,3}\Z")
_CAPS_SECOND = re.compile(r"[ ]([^\W\d_a-z]{3,})(?![^\W_])")
# syllables of romanised Korean (Revised Romanization, McCune-Reischauer) and Chinese (pinyin) given names
_ROMANISED_SYLLABLES = _word_set(
    """a ae ah bin bo chae chan chang cheol chul dae do dong eun gi gyu ha hae han ho hoon hun hwa hwan hye
    hyeon hyo hyuk hyun hyung il ja jae jeong ji jin jong joo ju jun jung kang ki kyu kyung min mi myung na
    nam ok rin seo seok seon seong seung shin sik so sol soo su sun sung suk tae won woo woong ye yeon yeong
    yong young yoon yu yun yul ai an bao bei bing chen cheng chun dan di fang fei feng gang guo hai hao hong
    hua hui jia jian jie jing kai lan lei li lian liang lin ling long mei ming ning peng ping qi qian qiang
    qing rong rui shan sheng shu si tao ting wei wen xi xia xian xiang xiao xin xing xiu xu ya yan yang yi
    ying yuan yue zhen zhi zhong"""
)
_ROMANISED_TAIL = re.compile(r"-([a-z]{1,5})(?![\w\-])")
_FAMILY_AFTER = re.compile(r"[ ]([A-Z][a-z]{1,11})(?![\w\-])")
_ROMANISED_HEAD = re.compile(r"(?<![\w\-.'])([A-Z][a-z]{0,4})\Z")
# a name's possessive before a condition, a law or a method named after someone: "Addison's disease"
_EPONYM_AFTER = re.compile(
    r"['\u2019]s[ \t]+(?:\w+[ \t]+)?(?:disease|syndrome|disorder|palsy|sign|test|law|laws|theorem|lemma|"
    r"principle|rule|razor|constant|equation|algorithm|method|paradox|conjecture|hypothesis|effect|number|"
    r"triangle|distribution)\b"
    # not a thing of theirs named so: "Pavel's test card", "Ana's test account"
    r"(?![ \t]+(?:cards?|accounts?|users?|data|logins?|phones?|numbers?|devices?|emails?|servers?|keys?))",
    re.IGNORECASE,
)
# a company: "Marshall & Price", "Keller Logistics GmbH"
_COMPANY_AFTER = re.compile(
    r"(?:[ \t]*&|(?:[ \t]+[A-Z][\w'\-]*){0,3}[ \t,]+"
    r"(?:GmbH|Ltd|Inc|LLC|LLP|AG|SA|SAS|SRL|plc|Pty|BV|NV|KG|Corp|"
    r"Co\b|Limited|Group|Holdings))"
)
_VERSION_AFTER = re.compile(r"[ ]?v?\d")
_PLACE_PREFIXES = _word_set(
    "san santa sao são st saint sainte los las new port fort mount lake cape north south east west upper "
    "lower"
)
# titles before a surname: the surname alone is the name ("Frau Horváthová", "pan Kowalski")
_TITLES = _word_set(
    "mr mrs ms miss dr prof herr frau monsieur madame mme sr sra señor señora pan pani paní pane gospodin "
    "gospodja sig signor signora sayin dhr mevr"
)
_ENGLISH_ENDING = re.compile(r"(?:ing|ed|tion|sion|ly|ment|ness|able|ible|ful|less|ous|ive|ize|ise)\Z")

# a lower-case name (and surname) after a chat self-introduction or a name key: "soy wilson mamani"
_LOWER_NAME = r"(?P<first>[a-z\u00e0-\u024f]{2,})(?:[ ](?P<second>[a-z\u00e0-\u024f]{2,}))?(?![\w\-])"


# cues after a space, one scan for all: a name and the writer ("Björn och jag", "Ana and I", "Jonas und
# ich"); an Arabic name's particle ("Layla al-Hashimi", "Maryam bint Saeed", "Yusuf Abd el-Rahman"), the
# given name checked before them; a lower-case name after a self-introduction ("soy wilson mamani")
_SPACE_CUES = re.compile(
    # the look-ahead skips the spaces before a letter no cue begins with (a third of the scan's time)
    r"[ ](?=[aeiouyjbABEtmnsShHprcdD])"
    r"(?:(?:[sS]he|[hH]e)(?:'s|[ ]is)[ ](?P<named_other>[A-Z][a-z]{2,})(?=[,.!?;]|\Z)"
    r"|(?:ask|tell|ping|remind)[ ](?P<asked>[A-Za-z][a-z]{2,})(?![\w\-'\u2019.(])"
    r"|(?P<and_me>and[ ]I|och[ ]jag|og[ ]jeg|und[ ]ich|et[ ]moi|y[ ]yo|e[ ]eu|en[ ]ik|ja[ ]minä)"
    r"(?![\w\-'\u2019])"
    r"|(?P<arabic>(?:b(?:in|int|inti|en)|ibn|[aA]b[ud]|[bB]ou)[ ](?:[aAeE]l-)?[A-Z][a-z]+"
    r"|[aAeE]l-[A-Z][a-z]+)(?![\w\-])"
    r"|(?:i'?m|i[ ]am|this[ ]is|my[ ]name[ ]is|name'?s|it'?s|soy|me[ ]llamo|sou(?:[ ][ao])?|ich[ ]bin|"
    # "aqui é o", "hier" (German "here's"), "c'est", Polish "jestem"
    r"ik[ ]ben|je[ ]suis|sono|aqui[ ]\u00e9(?:[ ][ao])?|hier[ ]ist|hier|c'est|jestem|det[ ]\u00e4r|det[ ]er|"
    r"mi[ ]chiamo|jag[ ]heter|jeg[ ]heter)[ ]+"
    rf"(?:(?P<named>[A-Z][a-z]{{2,}})(?=[,.!?;]|\Z)|{_LOWER_NAME}))"
)
# a letter only German spells with: a text with one says "im" (in the), not "I'm"
_GERMAN_LETTER = re.compile("[äöüßÄÖÜ]")
# a word after "I'm", "she's" that is no name: a nationality, a language ("she's Brazilian", "he's Dutch")
_NOT_NAMED = re.compile(r"(?:ian|ese|ish|ch|ic|ean|an|ing|ed|ly|ful|less|ous|ive|able|ry)\Z")
_NAME_BEFORE = re.compile(r"(?<![\w\-.'\u2019])([A-Z][^\W\d_]+)\Z")
# commit trailers and `git blame` lines: "Reported-by: Tatenda Chikwanha",
# "(Ana Lee 2024-11-02 14:22:10 +0100 42)"
_TRAILER = re.compile(
    r"\b(?:Signed-off|Co-authored|Reported|Reviewed|Acked|Tested|Suggested|Helped|Requested|Approved)-by:"
    r"[ \t]+(?P<name>[A-Z][^\W\d_]+(?:[\-'\u2019][^\W\d_]+)*(?:[ \t]+(?:[a-z]{1,3}[ \t]+){0,2}"
    r"[A-Z][^\W\d_]+(?:[\-'\u2019][^\W\d_]+)*){0,3})",
    re.IGNORECASE,
)
_BLAME = re.compile(
    r"\((?P<name>[^\W\d_][^\W\d_'\u2019.\-]*(?:[ ][^\W\d_][^\W\d_'\u2019.\-]*){0,3})[ ]+"
    r"\d{4}-\d\d-\d\d[ ]\d\d:\d\d:\d\d[ ][+\-]\d{4}[ ]+\d+\)"
)
# an initial and a surname, the whole of a quoted value: "name":"J. Bautista"
_INITIAL_QUOTED = re.compile(r"[\"'][A-Z]\.[ ]?[A-Z][a-z\u00e0-\u024f]+(?:[\-'][A-Z][a-z]+)?[\"']")
# a name, then an age, as intake notes and news write it: "Ana Tuimavave, 29, from Apia", "Li Wei, 41 y/o"
_AGE_AFTER = re.compile(
    r",[ ](?:(?:1[0-1]\d|[1-9]?\d)(?:,|[ ](?:years?[ ]old|y/?o|yo|yrs)\b)|(?:born|b\.|DOB:?|d\.o\.b\.?)[ ]\d)"
)
_NAME_BEFORE_AGE = re.compile(r"(?<![\w\-])([A-Z][a-z]+)[ ]([A-Z][a-z]+(?:[\-'][A-Z]?[a-z]+)?)\Z")
# a name's field in a query string, a log's key=value or JSON: "first=lerato&last=mokoena",
# "FirstName=Ji-woo; LastName=Park", "username": "amani"; and the user of an sshd log line
_NAME_FIELD_KEYS = ("name", "first", "last")
# the separator and the value after a key found by its name ("name", "first", "last"), the key checked before
_NAME_FIELD = re.compile(
    r"[\"']?(?:=|[ ]?:[ ]?[\"'])(?P<value>[^\W\d_]{2,}(?:[\-'][^\W\d_]+)?)(?=[\"'&;,\s]|\Z)"
)
_NAME_FIELD_KEY = re.compile(
    r"(?<![\w\-])(?P<key>(?:first|last|given|family|sur|f|l|user)?[_\-]?name|first|last)\Z", re.IGNORECASE
)
_SSHD_USER = re.compile(
    r"(?:Accepted|Failed)[ ]\w+[ ]for[ ](?:invalid[ ]user[ ])?(?P<value>[a-z][a-z\-]{1,30})[ ]from[ ]"
)
# a given name addressed at the start of a line, then a request: "Mark, can you sign off ..."
_VOCATIVE = re.compile(r",[ \t]+(?:can|could|would|will|please|pls|are|do|did|have)[ \t]")
_VOCATIVE_NAME = re.compile(r"(?:^|\n)[ \t]*([A-Z][a-z]+)\Z")
# a person's role, then the name between commas: "the technician, Joy, never came"; a role's key, then a
# name ending the value: "Assigned: Mark.", "Owner: Faith"
_APPOSITION = re.compile(r",[ ](?P<name>[A-Z][a-z]{2,}),[ ]")
_ROLE_BEFORE = re.compile(
    r"(?<![\w\-])(?:technician|engineer|nurse|doctor|driver|agent|manager|colleague|friend|wife|husband|partner|"
    r"son|daughter|sister|brother|mother|father|mum|mom|dad|boss|neighbou?r|landlord|landlady|tenant|courier|"
    r"rep|assistant|teacher|coach|midwife|carer|caregiver)\Z",
    re.IGNORECASE,
)
_KEY_NAME = re.compile(r":[ ]?(?P<name>[A-Z][a-z]{2,})(?=[.,;|]?(?:\n|\Z)|[ ]?\|)")
_ROLE_KEY_BEFORE = re.compile(
    r"(?<![\w\-])(?:owner|assigned(?:[ ]to)?|assignee|reporter|author|contact|requester|agent|rep|"
    r"technician|handled[ ]by|closed[ ]by|updated[ ]by|created[ ]by|approved[ ]by)\Z",
    re.IGNORECASE,
)
# a feminine Czech or Slovak surname, alone: "Frau Horváthová", "paní Dvořáková"
_FEMININE_SURNAME = re.compile(r"(?<![\w\-])[A-Z\u010c\u0160\u017d\u0158][^\W\d_]{3,}ová(?![\w\-])")
# a lower-case name after a name key: "user: sanjana pillai"
_LOWER_KEY = re.compile(rf":[ ]?{_LOWER_NAME}")
_LOWER_KEY_BEFORE = re.compile(
    r"(?<![\w\-])(?:user|name|customer|contact|client|patient|owner|assignee|reporter|author|requester)"
    r"[\"']?[ \t]*\Z",
    re.IGNORECASE,
)
_TODO = re.compile(r"\b(?:TODO|FIXME|XXX|HACK)\((?P<name>[a-z][a-z\-]{1,30})\)")
# a user name of a given name and a name joined by a dot or an underscore: "roberto.mancini",
# "zarina_akhmedova" (not a module's attribute, a file, a host or an e-mail's local part)
# (a mention "@nkosi_dlamini" too, and an initial before a surname: "j.okoro", "s.kuznetsova")
_USER_NAME = re.compile(
    r"(?:(?<![\w.@/\\\-])|(?<=(?<![\w.])@))(?P<first>[a-z]{3,}|[a-z](?=\.))[._]"
    r"(?P<last>[a-z]{2,}(?:-[a-z]{2,})?)(?![\w@\-(\[=]|\.\w)"
)
# a full name in capitals after a person's role: "Customer GRACE OKAFOR", "patient ASEL TOKTOGULOVA"
_CAPS_AFTER_ROLE = re.compile(
    r"(?i:\b(?:customer|patient|client|member|passenger|guest|tenant|applicant|employee|cardholder|"
    r"holder|insured|beneficiary|claimant|policyholder|student|caller))[ ]"
    r"(?P<name>[A-Z]{2,}(?:['\-][A-Z]{2,})?(?:[ ][A-Z]{2,}(?:['\-][A-Z]{2,})?){1,2})(?![\w\-'])"
)
# a full name in capitals after a name's label: "Name: KAGISO MOLEFE", "name on card DWAYNE R PARKS"
_CAPS_NAME_LABEL = re.compile(
    r"(?i:\b(?:(?:full[ \t_]?|card[ \t_]?holder[ \t_]?)?name(?:[ \t]+on[ \t]+(?:the[ \t]+)?card)?|"
    r"card[ \t_]?holder))[ \t]*[:=\-]?[ \t]*"
    r"(?P<name>[A-Z]{2,}(?:['\-][A-Z]{2,})?(?:[ ][A-Z]\.?)?(?:[ ][A-Z]{2,}(?:['\-][A-Z]{2,})?){1,2})"
    r"(?![\w'\-])"
)
# a name in capitals (Latin with accents, Cyrillic; "O'SULLIVAN", "MBEKI-DLAMINI") as a key's value:
# "Reporter: MARGARET O'SULLIVAN", "name=ЕКАТЕРИНА СМИРНОВА", '"employee":"KOWALSKI, PIOTR"'
_CAP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017e\u0410-\u042f\u0401"
_CAPS_WORD = rf"[{_CAP}](?:['\u2019\-]?[{_CAP}])+"
_CAPS_AFTER_KEY = re.compile(
    r"(?i:\b(?P<key>name|full[ _]?name|reporter|requester|employee|applicant|patient|customer|client|"
    r"contact|passenger|guest|tenant|holder|beneficiary|insured|claimant|caller|member|pax[ ]?\d*))"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?"
    rf"(?P<name>{_CAPS_WORD}(?:(?:,[ ]?|[ ]){_CAPS_WORD}){{1,2}})(?![\w'\-])"
)
# what every match of _CAPS_AFTER_ROLE, _CAPS_NAME_LABEL and _CAPS_AFTER_KEY holds (a capital, a space or a
# comma, a capital: the end of the name's first word and the start of the next one or of an initial); a
# text without it skips the three scans (their role and key alternations are slow to try at every word)
_CAPS_PAIR_GATE = re.compile(rf"[{_CAP}](?:,[ ]?|[ ])[{_CAP}]")
# an airline's SURNAME/GIVEN, with a title before or after it: "PAX 1: MS ADEBAYO/FOLASADE", "SMITH/JOHN MR"
_AIRLINE_NAME = re.compile(
    r"(?:(?P<title>\b(?:MR|MRS|MS|MSTR|MISS|DR|CHD|INF)[ ]+)|(?<![\w/]))"
    r"(?P<name>[A-Z]{2,}(?:[-' ][A-Z]{2,})?/[A-Z]{2,}(?:[ ][A-Z]{2,})?)"
    r"(?P<after>[ ]+(?:MR|MRS|MS|MSTR|MISS|DR)\b)?(?![\w/])"
)
_NOT_CAPS_NAMES = _word_set("test user admin none unknown null demo sample customer guest name card holder")
# an initial and a surname of an Irish or Scottish form: "M. O'Leary", "J. McKenzie"
_INITIAL_PREFIXED = re.compile(
    r"(?<![\w.\-])[A-Z]\.[ \t]?(?:O['\u2019]|Mc|Mac)[A-Z][a-z\u00e0-\u024f]+(?![\w\-])"
)
# a name that is also a word ("Grace", "Hunter", "Rose"), alone, read as a name only before what a person
# says or does: "Grace said", "Hunter just texted me", "Rose is on leave"
_PERSON_ACT_AFTER = re.compile(
    r"[ \t]+(?:(?:just|also|already|then|finally|has)[ \t]+)?(?:said|says|texted|emailed|messaged|replied|"
    r"asked|told|phoned|rang|wrote|"
    r"is[ \t]+(?:on[ \t]+(?:leave|holiday|vacation)|off[ \t]+sick|out[ \t]+sick))"
    r"(?![\w\-])"
)
_WORD_NAME_BEFORE_ACT = re.compile(r"(?<![\w\-.'\u2019@#$])([A-Z][a-z]{2,})\Z")
# two names joined, then a plural verb: "Skye & Will are coming", "Grace and Hunter were there"
_NAME_PAIR = re.compile(
    r"(?<![\w\-.'\u2019])(?P<first>[A-Z][a-z]{2,})[ \t]+(?:&|and)[ \t]+(?P<second>[A-Z][a-z]{2,})[ \t]+"
    r"(?:are|were|have|both|aren't|weren't|haven't)\b"
)
# the writer and another, then a plural verb: "me and Aigerim are flying out", "Me and Tafadzwa were"
_ME_AND = re.compile(
    r"(?<![\w\-])(?:[mM]e|I)[ \t]+and[ \t]+(?P<name>[A-Z][a-z]{2,})[ \t]+(?:are|were|have|will|both)\b"
)
# who acts or is acted on in a log line, before a user name: "granted admin to x.y by z.w"
_USER_ACTOR_BEFORE = re.compile(r"(?<![\w\-])(?:by|to|for|user|from)[ \t]+['\"]?\Z")
_CALENDAR_WORDS = _word_set(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday"
)
# the last line, one word, a given name (no word), after a line that ends a sentence or a closing
# ("...call 07700 900412.\nDeepika", "Abraço,\nLuciana", "lol\n\n- Zanele")
# (or after a dash at the end of the last sentence: "... not my work mail. - Vusi")
_LAST_WORD = re.compile(
    r"(?:\n[ \t]*(?:[\-\u2013\u2014~]+[ \t]*)?|(?<=[.!?])[ \t]+[\-\u2013\u2014~]+[ \t]*)"
    r"(?P<name>[A-Z][^\W\d_]{2,})[ \t]*[.!]?[ \t]*\Z"
)


def _data(filename: str) -> frozenset[str]:
    text = resources.files("otel_genai.redaction").joinpath(f"data/{filename}").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@functools.cache
def lone_given_names() -> frozenset[str]:
    """Lower-case given names that are a name alone, capitalised (``data/lone_given_names.txt``)."""
    return _data("lone_given_names.txt") - _NOT_PEOPLE - _TECH_WORDS - _COMMON_PLACES


@functools.cache
def cjk_family_names() -> frozenset[str]:
    """Common Chinese, Japanese and Korean family names in their script (``data/cjk_family_names.txt``)."""
    return _data("cjk_family_names.txt")


def _title(word: str) -> bool:
    """``Deepa``, ``Ji-woo``, ``O'Neil``: a capital, then lower case (after a hyphen or apostrophe too)."""
    return word[0].isupper() and (len(word) == 1 or word[1:].replace("-", "").replace("'", "").islower())


def _is_known(word: str) -> bool:
    lower = word.lower()
    return lower in given_names() or lower in surnames()


def _in_code(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if text.startswith(_POSSESSIVE_ENDINGS, end):
        after = text[end + 2] if end + 2 < len(text) else " "
    if before in _CODE_BEFORE or after in _CODE_AFTER:
        return True
    # `Camila.run`, `Camila::x`, "Camila:" ends no code, "Camila." a sentence
    return after in ".:" and end + 1 < len(text) and (text[end + 1].isalnum() or text[end + 1] in "_:")


def _scan(text: str) -> list[tuple[str, int, int]]:
    """(rule, start, end) of every name the rules find (overlaps allowed)."""
    found: list[tuple[str, int, int]] = []
    if _CAPITAL_GATE.search(text):
        caps = _capitalised(text, found)
        # initials: found from their particle after a dot (a pattern with a literal start scans fast)
        for match in _INITIALS_TAIL.finditer(text):
            head = _INITIALS_HEAD.search(text, max(0, match.start() - 12), match.start() + 1)
            if head is not None:
                found.append(("initials", head.start(), match.end()))
        # romanised given names: from the hyphen
        for match in _ROMANISED_TAIL.finditer(text):
            head = _ROMANISED_HEAD.search(text, max(0, match.start() - 6), match.start())
            if head is not None:
                first, second = head.group(1).lower(), match.group(1)
                if first != second and first in _ROMANISED_SYLLABLES and second in _ROMANISED_SYLLABLES:
                    # the family name after it, whatever word it is: "Ji-woo Park", "Mei-ling Lim"
                    family = _FAMILY_AFTER.match(text, match.end())
                    stop = family.end() if family and family.group(1).lower() not in _STOP else match.end()
                    found.append(("romanised", head.start(1), stop))
        for word in caps:
            for start, end in _occurrences(text, word):
                _caps_pair(text, start, end, found)
                _surname_comma_given(text, start, end, found)
        _product_given_surname(text, found)
        _vietnamese(text, found)
        _last_line(text, found)
        _formats(text, found)
        _shapes(text, found)
    if " l\u00e0 " in text:
        for match in _VIETNAMESE_LOWER_INTRO.finditer(text):
            words = match.group("name").split()
            while len(words) > 2 and words[-1] in _VIETNAMESE_NOT_NAME:
                words.pop()
            found.append(("lower", match.start("name"), match.start("name") + len(" ".join(words))))
    if "TODO(" in text or "FIXME(" in text or "XXX(" in text or "HACK(" in text:
        for match in _TODO.finditer(text):
            if _is_known(match.group("name")):
                found.append(("lower", match.start("name"), match.end("name")))
    if "." in text or "_" in text:
        _user_names(text, found)
    if "." in text or "_" in text or "-" in text:
        _cued_handles(text, found)
    if "_" in text:
        _name_handles(text, found)
    _space_cues(text, found)
    _service_roles(text, found)
    _fields(text, found)
    if _CJK_GATE.search(text):
        _cjk(text, found)
    return found


def _capitalised(text: str, found: list[tuple[str, int, int]]) -> list[str]:
    """lone, possessive and suffix_surname: one look-up per distinct capitalised word of the text. Returns
    the given names in capitals (for caps_pair)."""
    lone = lone_given_names()
    given = given_names()
    candidates: list[tuple[str, str]] = []
    caps: list[str] = []
    for word in set(_CAPITAL_WORD.findall(text)):
        if not _title(word):
            if len(word) >= 3 and word.isupper() and word.lower() in given:
                caps.append(word)
            continue
        possessive = word[-2:] in _POSSESSIVE_ENDINGS
        base = word[:-2] if possessive else word
        lower = base.lower()
        if lower in lone:
            candidates.append(("lone", base))
        elif possessive and lower in given:
            candidates.append(("possessive", base))
        if (
            len(base) >= 6
            and _SURNAME_FORM.search(lower)
            and lower not in _COMMON_PLACES
            and not is_known_place(lower)
        ):
            candidates.append(("suffix_surname", base))
    for rule, word in candidates:
        # a word the text also has in lower case is a word of it, not a name ("Dict ... dict")
        if rule != "suffix_surname" and _lower_case_elsewhere(text, word.lower()):
            continue
        for start, end in _occurrences(text, word):
            if rule == "suffix_surname":
                _suffix_surname(text, start, end, found)
            elif _in_code(text, start, end):
                continue
            elif rule == "possessive":
                if _EPONYM_AFTER.match(text, end):
                    continue
                if (
                    text.startswith(_POSSESSIVE_ENDINGS, end)
                    and text[end + 2 : end + 3] == " "
                    and text[end + 3 : end + 4].islower()
                ):
                    found.append(("possessive", start, end))
            else:
                _lone(text, word, start, end, found)
    return caps


def _occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """Where ``word`` stands as a whole word (a possessive 's may follow)."""
    spans = []
    position = text.find(word)
    while position >= 0:
        end = position + len(word)
        if (position == 0 or not _is_word_char(text[position - 1])) and (
            end == len(text)
            or not _is_word_char(text[end])
            or text.startswith(_POSSESSIVE_ENDINGS, end)
            or (text[end] in "'\u2019" and not text[end + 1 : end + 2].isalpha())
        ):
            spans.append((position, end))
        position = text.find(word, end)
    return spans


def _opens_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 6) : start].rstrip(" \t\"'*`>([-")
    return not before or before[-1] in ".!?:;\n"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-'\u2019"


def _suffix_surname(text: str, start: int, end: int, found: list[tuple[str, int, int]]) -> None:
    """ "Dilnoza Karimova": a capitalised word before a surname of a distinctive form."""
    before = _PREVIOUS_WORD.search(text, max(0, start - 30), start)
    if before is None:
        return
    first = before.group(1)
    lower = first.lower()
    if lower in _TITLES:
        found.append(("suffix_surname", start, end))  # "Herr Petrenko": the surname alone
        return
    if not _title(first) or lower in _STOP or lower in _NOT_SURNAMES or lower in _PLACE_PREFIXES:
        return
    if lower not in given_names() and _opens_sentence(text, before.start(1)):
        return  # "See Supernova": a capitalised verb, not a given name
    if _in_code(text, before.start(1), end):
        return
    found.append(("suffix_surname", before.start(1), end))


def _lone(text: str, word: str, start: int, end: int, found: list[tuple[str, int, int]]) -> None:
    """A given name alone, or with the rest of its name: "Deepa", "Élodie Marchand", "Ana de Souza"."""
    if _LOCATIVE.search(text, max(0, start - 12), start):
        return  # "an office in Valencia"
    before = _PREVIOUS_WORD.search(text, max(0, start - 30), start)
    if before is not None and before.group(1).lower() in _PLACE_PREFIXES:
        return  # "San Francisco", "Port Elizabeth"
    if before is not None and before.group(1).lower() in ("the", "a", "an"):
        return  # "the Nile", "a Camila": a thing named so, not a person
    if _VERSION_AFTER.match(text, end):
        return  # "Gemma 2", "Bria 3.2": a product
    if _EPONYM_AFTER.match(text, end) or _COMPANY_AFTER.match(text, end):
        return  # "Addison's disease", "Marshall & Price Freight GmbH"
    stop = end
    rest = _NEXT_WORDS.match(text, end)
    if rest is not None:
        following = rest.group("word")
        lower_following = following.lower()
        if _title(following) and lower_following not in _STOP and lower_following not in _NOT_SURNAMES:
            if not _in_code(text, rest.start("word"), rest.end("word")):
                stop = rest.end("word") - (2 if following[-2:] in _POSSESSIVE_ENDINGS else 0)
        elif not rest.group("particles") and (lower_following in _NOT_SURNAMES or following.isupper()):
            return  # "Camila Street", "Bria API"
    found.append(("lone", start, stop))


@functools.lru_cache(maxsize=64)
def _lower_case_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w\-'\u2019@./]){re.escape(word)}(?![\w\-@]|\.\w)")


def _lower_case_elsewhere(text: str, lower: str) -> bool:
    return lower in text and _lower_case_pattern(lower).search(text) is not None


def _caps_pair(text: str, start: int, first_end: int, found: list[tuple[str, int, int]]) -> None:
    """ "SOMCHAI WONGSAKUL": a given name in capitals (at ``start``) and a surname or a given name, or a
    word in capitals that ends a quoted or key value with it."""
    match = _CAPS_SECOND.match(text, first_end)
    if match is None or not match.group(1).isupper():
        return
    lower_second = match.group(1).lower()
    known = lower_second in surnames() or lower_second in given_names()
    end = match.end(1)
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    quoted = before in "\"'=" and after in "\"',;|&"
    if known or quoted:
        found.append(("caps_pair", start, end))


# a surname in capitals, a comma, then the given name: "holder DLAMINI, THANDO", "pt NKOSI, Ayanda"
_SURNAME_COMMA = re.compile(r"(?<![\w\-'])([A-Z]{2,}(?:-[A-Z]{2,})?),[ \t]+\Z")


def _surname_comma_given(text: str, start: int, end: int, found: list[tuple[str, int, int]]) -> None:
    """A given name in capitals (at ``start``) after a surname of the list in capitals and a comma: the
    order of records and registers."""
    before = _SURNAME_COMMA.search(text, max(0, start - 40), start)
    if before is not None and before.group(1).lower() in surnames():
        found.append(("surname_comma_given", before.start(1), end))


# a given name that is also a product's ("Hugo", "Julia", "Claude"), then a capitalised word
_PRODUCT_GIVEN = re.compile(
    r"(?<![\w.@/\\\-])(?P<first>" + "|".join(sorted(word.title() for word in _NOT_PEOPLE)) + r")[ \t]+"
    r"(?P<last>[A-Z\u00c0-\u00de][^\W\d_]+)(?![\w\-])"
)


def _product_given_surname(text: str, found: list[tuple[str, int, int]]) -> None:
    """product_given_surname: a product's given name is a person's before a surname of the list ("Hugo
    Lefèvre", "Julia Schmidt"; not "Kafka Streams")."""
    for match in _PRODUCT_GIVEN.finditer(text):
        last = match.group("last").lower()
        if last in surnames() and last not in word_names() and last not in _TECH_WORDS:
            found.append(("product_given_surname", match.start(), match.end()))


# The most common Vietnamese family names (nine in ten people bear one; Wikipedia, "Vietnamese name"),
# with their marks; without them only those that are no word of a language of Europe (not Le, Do, Ho, Vo)
_VIETNAMESE_FAMILY = (
    "Nguy\u1ec5n|Tr\u1ea7n|L\u00ea|Ph\u1ea1m|Ho\u00e0ng|Hu\u1ef3nh|Phan|V\u0169|V\u00f5|\u0110\u1eb7ng|"
    "B\u00f9i|\u0110\u1ed7|H\u1ed3|Ng\u00f4|D\u01b0\u01a1ng|L\u00fd|Tr\u01b0\u01a1ng|\u0110inh|"
    "Nguyen|Tran|Pham|Hoang|Huynh|Dang|Bui|Duong|Ngo|Truong|Dinh"
)
# a syllable of a Vietnamese name: one capital and at most five letters ("Anh", "Tuấn", "Thanh")
_VIETNAMESE_SYLLABLE = r"[A-Z\u00c0-\u1ef9][a-z\u00e0-\u1ef9]{1,5}"
# a family name first, then one to three syllables ("Bui Anh Tuan", "Trần Văn Hùng")
_VIETNAMESE_NAME = re.compile(
    rf"(?<![\w\-'])(?:{_VIETNAMESE_FAMILY})(?:[ \t]+{_VIETNAMESE_SYLLABLE}){{1,3}}(?![\w\-])"
)


# a Vietnamese chat's self-introduction, in lower case: "mình là trần văn minh", "tên em là nguyễn thu hà"
_VIETNAMESE_LOWER_INTRO = re.compile(
    r"(?<![\w])(?:m\u00ecnh|t\u00f4i|em|anh|ch\u1ecb|t\u1edb|con|ch\u00e1u)[ ]l\u00e0[ ]"
    rf"(?P<name>(?:{_VIETNAMESE_FAMILY.lower()})(?:[ ][a-z\u00e0-\u1ef9]{{1,6}}){{1,3}})(?![\w\-])"
)
# the lower-case syllables of a Vietnamese sentence that end a name's run: "mình là trần văn minh ạ"
_VIETNAMESE_NOT_NAME = frozenset(("\u1ea1", "nha", "nh\u00e9", "\u0111\u00e2y", "n\u00e8", "\u0111\u01a1n"))


def _vietnamese(text: str, found: list[tuple[str, int, int]]) -> None:
    """vietnamese: a common Vietnamese family name before the syllables of a name."""
    for match in _VIETNAMESE_NAME.finditer(text):
        parts = match.group().split()
        if any(part.lower() in _STOP - _PARTICLES or part.lower() in _TECH_WORDS for part in parts[1:]):
            continue
        if _in_code(text, match.start(), match.end()):
            continue
        found.append(("vietnamese", match.start(), match.end()))


def _last_line(text: str, found: list[tuple[str, int, int]]) -> None:
    """One or two capitalised words alone on the last line, after a blank line or a dash: a signature."""
    last = _LAST_LINE.search(text, max(0, len(text) - 80))
    if last is None:
        return
    parts = last.group("name").split()
    previous = text[: last.start()].rstrip()
    previous_line = previous[previous.rfind("\n") + 1 :].lstrip()
    if len(previous) < 20 or previous[-1] not in ".!?)\"'\u2019" or previous_line[:1] in "-*\u2022#>|":
        return  # a list ("Steps:\n\n- Install"), a heading, a table: no signature
    if all(
        _title(part)
        and part.lower() not in _STOP
        and part.lower() not in _SIGN_OFF_WORDS
        and part.lower() not in _TECH_WORDS
        and part.lower() not in _NOT_PEOPLE
        and part.lower() not in word_names()
        and not _ENGLISH_ENDING.search(part.lower())
        for part in parts
    ) and (len(parts) == 1 or _is_known(parts[0]) or _is_known(parts[1])):
        found.append(("last_line", last.start("name"), last.end("name")))


def _formats(text: str, found: list[tuple[str, int, int]]) -> None:
    """arabic, trailer, blame, and_me, vocative, feminine, last_word: names of a format or a grammar."""
    given = given_names()
    if "-by:" in text or "-By:" in text:
        for match in _TRAILER.finditer(text):
            found.append(("trailer", match.start("name"), match.end("name")))
    if "0 " in text:
        for match in _BLAME.finditer(text):
            found.append(("blame", match.start("name"), match.end("name")))
    for match in _VOCATIVE.finditer(text):
        head = _VOCATIVE_NAME.search(text, max(0, match.start() - 20), match.start())
        lower = head.group(1).lower() if head is not None else ""
        if (lower in given or lower in word_names()) and lower not in _STOP and lower not in _TECH_WORDS:
            found.append(("vocative", head.start(1), head.end(1)))  # type: ignore[union-attr]
    for match in _APPOSITION.finditer(text):
        if _ROLE_BEFORE.search(text, max(0, match.start() - 12), match.start()):
            _person_word(match.group("name"), match.start("name"), "apposition", found)
    for match in _KEY_NAME.finditer(text):
        if _ROLE_KEY_BEFORE.search(text, max(0, match.start() - 12), match.start()):
            _person_word(match.group("name"), match.start("name"), "key_name", found)
    if '."' in text or ".'" in text or ". " in text:
        for match in _INITIAL_QUOTED.finditer(text):
            word = text[match.start() + 1 : match.end() - 1].split(".")[-1].strip().lower()
            if word not in _STOP and word not in _TECH_WORDS and word not in _NOT_PEOPLE:
                found.append(("initial_quoted", match.start() + 1, match.end() - 1))
    for match in _AGE_AFTER.finditer(text):
        head = _NAME_BEFORE_AGE.search(text, max(0, match.start() - 40), match.start())
        if head is not None and not any(
            word in _STOP or word in _NOT_PEOPLE or word in _TECH_WORDS or word in _COMMON_PLACES
            for word in (head.group(1).lower(), head.group(2).lower())
        ):
            found.append(("name_age", head.start(1), head.end(2)))
    if "ová" in text:
        for match in _FEMININE_SURNAME.finditer(text):
            if match.group().lower() not in _COMMON_PLACES:
                found.append(("feminine", match.start(), match.end()))
    last = _LAST_WORD.search(text, max(0, len(text) - 40))
    if last is not None:
        lower = last.group("name").lower()
        previous = text[: last.start()].rstrip()
        if (
            lower in given
            and lower not in word_names()
            and lower not in _STOP
            and lower not in _SIGN_OFF_WORDS
            and lower not in _TECH_WORDS
            and lower not in _NOT_PEOPLE
            and len(previous) >= 20
            and (previous[-1] in ".!?,)" or previous[-1].isalpha())
            and previous[previous.rfind("\n") + 1 :].lstrip()[:1] not in "-*\u2022#>|"
        ):
            found.append(("last_word", last.start("name"), last.end("name")))


def _user_names(text: str, found: list[tuple[str, int, int]]) -> None:
    """user_name: a given name and a surname (or a name of a surname's form) joined by a dot or an
    underscore, as user names are made: "roberto.mancini", "amina_bouzid" ("max.length" is no name)."""
    given = given_names()
    for match in _USER_NAME.finditer(text):
        first, last = match.group("first"), match.group("last")
        if first in _STOP or first in _TECH_WORDS or first in _NOT_PEOPLE:
            continue
        if last in _STOP or last in _TECH_WORDS or last in _COMMON_PLACES:
            continue
        form = len(last) >= 6 and _SURNAME_FORM.search(last) is not None
        if len(first) == 1:  # an initial: only before a surname of the list or of a surname's form
            if len(last) >= 4 and (last in surnames() or form) and last not in word_names():
                found.append(("user_name", match.start(), match.end()))
            continue
        if first in given and (_is_surname_any_accent(last) or form):
            found.append(("user_name", match.start(), match.end()))
        elif (
            form
            and len(first) >= 4
            and _USER_ACTOR_BEFORE.search(text, max(0, match.start() - 8), match.start()) is not None
        ):  # "to dilnoza.yusupova by ...": a surname's form and an actor's place make a given name unknown
            found.append(("user_name", match.start(), match.end()))


# a user handle where a person's account is meant: "user=siosaia.tupou", "(user: rohan-mehta)",
# "--hub-user abdi-warsame", "the seller sunny_okafor88", "# owner: nils.ekstrom", "@sunny.park", a chat's
# "<wanjiru_k>", "handle dilnoza-karimova-dev" (an initial, a tag or digits after: how handles are made
# unique)
_HANDLE_CUE = re.compile(
    r"(?:(?i:(?<![\w\-])(?:user(?:[ _]?name)?|login|owner|admin|author|handle|account|seller|buyer|member|"
    r"uploader|maintainer|committer|reviewer|assignee|--?[a-z]+-user|(?:triggered|run|pushed|opened|"
    r"created|merged|approved|reviewed|requested|assigned|reported|deployed|committed|authored|started)"
    r"[ \t]+by))[\"']?(?:[ \t]*[:=][ \t]*|[ \t]+)[\"'`]?|(?<![\w.@])@|(?:^|(?<=[\s\]]))<(?=[a-z][\w.\-]*>))"
    r"(?P<handle>(?P<first>[a-z]{2,})(?P<rest>(?:[._\-][a-z]+){1,2})\d{0,4})(?![\w@\-(\[]|\.\w)"
)


# the people who work for someone, named in lower case as phones type: "my tasker hope didnt finish",
# "our driver kemal", "kemal the seller is a scammer" (a name that is a word too only after "my <role>")
_SERVICE_ROLES = (
    r"tasker|driver|rider|courier|cleaner|tutor|nanny|babysitter|sitter|landlord|landlady|agent|plumber|"
    r"electrician|mechanic|contractor|handyman|builder|gardener|caretaker|seller|buyer|host|guide|coach|"
    r"trainer|instructor|dentist|doctor|nurse|midwife|therapist|carer|caregiver|stylist|barber|"
    r"hairdresser|technician|installer|inspector|mentor|teacher|neighbou?r|roommate|flatmate|housemate|"
    r"boss|manager|supervisor|colleague|coworker|caseworker|recruiter|advisor|adviser|rep|vendor|"
    r"delivery[ ](?:guy|man|woman|driver)|mover|painter|chef|cook|maid|housekeeper"
)
_ROLE_THEN_LOWER = re.compile(
    rf"(?i:\b(?:my|our|his|her|their|your)[ ](?:{_SERVICE_ROLES})s?)[ ]"
    r"(?P<name>[a-z][a-z\u00e0-\u024f]{2,})(?![\w'\u2019\-@.])"
)
# found from " the <role>" (a literal start scans fast), the name looked for before it
_THE_ROLE = re.compile(r"[ ]the[ ](?:" + _SERVICE_ROLES + r")\b")
_LOWER_BEFORE_ROLE = re.compile(r"(?:^|(?<=[\s'\"(]))([a-z][a-z\u00e0-\u024f]{2,})\Z")
# words that follow a role where no name is: "my driver will", "my tutor said"
_NOT_A_NAME_AFTER_ROLE = frozenset(
    (
        *("will", "may", "can", "could", "would", "should", "might", "must", "shall", "said", "says"),
        *("did", "does", "do", "is", "was", "has", "had", "got", "gets", "never", "always", "just"),
        *("still", "also", "again", "already", "only", "even", "really"),
    )
)


def _service_roles(text: str, found: list[tuple[str, int, int]]) -> None:
    """lower: a lower-case given name after "my tasker" (a name that is a word too: "my tasker hope") or
    before "the seller" ("kemal the seller")."""
    lower = text.lower()
    possessive = any(word in lower for word in ("my ", "our ", "his ", "her ", "their ", "your "))
    for match in _ROLE_THEN_LOWER.finditer(text) if possessive else ():
        name = match.group("name")
        if name in _NOT_A_NAME_AFTER_ROLE or not _word_name(name):
            continue
        found.append(("lower", match.start("name"), match.end("name")))
    for match in _THE_ROLE.finditer(text):
        head = _LOWER_BEFORE_ROLE.search(text, max(0, match.start() - 30), match.start())
        if head is None:
            continue
        name = head.group(1)
        if name in given_names() and name not in word_names() and _word_name(name):
            found.append(("lower", head.start(1), head.end(1)))


# the words of _HANDLE_CUE: a text with none of them has no cued handle (a quick test before the scan)
_HANDLE_CUE_WORDS = (
    *("user", "login", "owner", "admin", "author", "handle", "account", "seller", "buyer", "member"),
    *("uploader", "maintainer", "committer", "reviewer", "assignee", " by", " @", "(@", "<"),
)


@functools.cache
def _folded_surnames() -> frozenset[str]:
    """The surnames without their accents, as handles and e-mail addresses write them ("ekstrom")."""
    return frozenset(_ascii(name) for name in surnames())


def _ascii(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")


def _is_surname_any_accent(word: str) -> bool:
    return word in surnames() or word in _folded_surnames()


def _cued_handles(text: str, found: list[tuple[str, int, int]]) -> None:
    """handle: a lower-case handle after a user's cue with a part the gazetteers know as a name (a given
    name, a surname, one of a surname's form, or two names that are words too: "sunny.park"), and no part
    a technical word but a tag at its end ("user=build-bot" stays, "dilnoza-karimova-dev" is a person)."""
    lower = text.lower()
    if not lower.startswith(("@", "<")) and not any(cue in lower for cue in _HANDLE_CUE_WORDS):
        return
    for match in _HANDLE_CUE.finditer(text):
        parts = [match.group("first"), *re.split(r"[._\-]", match.group("rest"))[1:]]
        if len(parts) > 1 and (len(parts[-1]) <= 3 or parts[-1] in _TECH_WORDS):
            parts = parts[:-1]  # an initial or a tag: "wanjiru_k", "mwangi-dev"
        if any(part in _STOP or part in _TECH_WORDS or part in _NOT_PEOPLE for part in parts):
            continue
        named = [
            (part in given_names() or _is_surname_any_accent(part) or _SURNAME_FORM.search(part) is not None)
            and part not in word_names()
            for part in parts
            if len(part) >= 3
        ]
        if any(named) or (len(parts) >= 2 and all(part in word_names() for part in parts)):
            found.append(("handle", match.start("handle"), match.end("handle")))


# a handle of a name's parts joined by underscores, with digits, a tag or a gamer's decoration around them:
# "bram_devries88", "BRUNO_SANTOS_77", "Mei_Lin_Zhao", "JeroenDeVries_NL", "xX_Dmitri_Xx#4412"
_NAME_HANDLE = re.compile(
    r"(?<![\w@.\\\-#])(?P<handle>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?:#\d{2,6})?)(?![\w@\-(\[])"
)
_HANDLE_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# who a handle with one name part belongs to: "user xX_Dmitri_Xx", "jogador ...", "speler ..."
_PLAYER_CUE = re.compile(
    r"(?i:\b(?:user|username|player|jogador|jugador|joueur|spieler|speler|gracz|gamer|handle|nick|"
    r"nickname|login|account|banned|member|streamer)\b)[ \t]*[:=]?[ \t]*[\"'`]?\Z"
)


def _name_handles(text: str, found: list[tuple[str, int, int]]) -> None:
    """handle: a handle with underscores whose parts are two names of the gazetteers, or one given name
    after a user's or a player's cue (an identifier in code has parts no gazetteer lists as names)."""
    for match in _NAME_HANDLE.finditer(text):
        handle = match.group("handle")
        parts = [part.lower() for part in _HANDLE_PART.findall(handle.split("#")[0])]
        parts = [part for part in parts if len(part) >= 3]
        if not parts or any(part in _STOP or part in _TECH_WORDS or part in _NOT_PEOPLE for part in parts):
            continue
        names = [
            (part in given_names() or _is_surname_any_accent(part)) and part not in word_names()
            for part in parts
        ]
        cue = _PLAYER_CUE.search(text, max(0, match.start() - 30), match.start()) is not None
        # the long given-name list holds words of every language ("fecha_nacimiento"): a curated given
        # name, a surname or a user's cue too
        curated = any(part in lone_given_names() or part in surnames() for part in parts)
        two_names = sum(names) >= 2 and names.count(False) <= 1 and (curated or cue)
        one_given = sum(names) == 1 and len(parts) <= 2 and cue and parts[names.index(True)] in given_names()
        if two_names or one_given:
            found.append(("handle", match.start("handle"), match.end("handle")))


def _word_name(word: str) -> bool:
    """Whether ``word`` is a given name (a word too or not) that no other list makes a thing."""
    lower = word.lower()
    return (lower in given_names() or lower in word_names()) and not (
        lower in _STOP
        or lower in _TECH_WORDS
        or lower in _NOT_PEOPLE
        or lower in _COMMON_PLACES
        or lower in _CALENDAR_WORDS
    )


def _shapes(text: str, found: list[tuple[str, int, int]]) -> None:
    """caps_label, initial_prefixed, acted, pair: names of a shape or with a person's act after them."""
    capitals = _CAPS_PAIR_GATE.search(text) is not None  # else no caps_label of a label, a key, a role
    if capitals:
        for match in _CAPS_NAME_LABEL.finditer(text):
            words = re.split(r"[ ]", match.group("name"))
            if not any(word.lower().rstrip(".") in _NOT_CAPS_NAMES | _STOP | _TECH_WORDS for word in words):
                found.append(("caps_label", match.start("name"), match.end("name")))
    if "/" in text:
        for match in _AIRLINE_NAME.finditer(text):
            value = match.group("name")
            surname, _, given = value.partition("/")
            words = [word.lower() for word in re.split(r"[ /\-']+", value) if word]
            if any(word in _NOT_CAPS_NAMES | _STOP | _TECH_WORDS for word in words):
                continue
            titled = match.group("title") is not None or match.group("after") is not None
            sides = [word in given_names() or word in surnames() for word in (surname.lower(), given.lower())]
            if (titled and any(sides)) or all(sides):
                found.append(("caps_label", match.start("name"), match.end("name")))
    if capitals:
        for match in _CAPS_AFTER_KEY.finditer(text):
            value = match.group("name")
            words = [word.lower() for word in re.split(r"[ ,\-]+", value) if word]
            if any(word in _NOT_CAPS_NAMES | _STOP | _TECH_WORDS for word in words):
                continue
            lower_case = value.lower()
            cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in value)
            known = any(
                (word in given_names() or word in surnames() or _SURNAME_FORM.search(word) is not None)
                and word not in word_names()
                for word in words
            )
            if lower_case != value and (known or cyrillic or "name" in match.group("key").lower()):
                found.append(("caps_label", match.start("name"), match.end("name")))
        for match in _CAPS_AFTER_ROLE.finditer(text):
            words = [word.lower() for word in re.split(r"[ \-]", match.group("name"))]
            if any(word in _NOT_CAPS_NAMES | _STOP | _TECH_WORDS for word in words):
                continue
            if any(
                (word in given_names() or word in surnames() or _SURNAME_FORM.search(word) is not None)
                and word not in word_names()
                for word in words
            ):  # "Customer GRACE OKAFOR" (by the surname), "patient ASEL TOKTOGULOVA" (by its form)
                found.append(("caps_label", match.start("name"), match.end("name")))
    if "." in text:
        for match in _INITIAL_PREFIXED.finditer(text):
            found.append(("initial_prefixed", match.start(), match.end()))
    for match in _PERSON_ACT_AFTER.finditer(text):
        head = _WORD_NAME_BEFORE_ACT.search(text, max(0, match.start() - 20), match.start())
        if head is not None and _word_name(head.group(1)) and not _in_code(text, head.start(1), head.end(1)):
            found.append(("acted", head.start(1), head.end(1)))
    if " and " in text:
        for match in _ME_AND.finditer(text):
            if match.group("name").lower() not in _STOP | _TECH_WORDS | _NOT_PEOPLE | _COMMON_PLACES:
                found.append(("pair", match.start("name"), match.end("name")))
    if "&" in text or " and " in text:
        for match in _NAME_PAIR.finditer(text):
            first, second = match.group("first"), match.group("second")
            if not (_word_name(first) and _word_name(second)):
                continue
            if first.lower() in lone_given_names() or second.lower() in lone_given_names():
                found.append(("pair", match.start("first"), match.end("first")))
                found.append(("pair", match.start("second"), match.end("second")))


# a person's role as a key, a given name in lower case as its quoted value: `admin: "yara"`,
# `"owner": "kemal"`, `reviewer='anneke'`
_ROLE_KEY_VALUE = re.compile(
    r"(?i:(?<![\w\-])(?:admin|owner|author|assignee|reviewer|approver|maintainer|contact|agent|manager|"
    r"requester|reporter|created_by|updated_by|assigned_to|on_call|oncall)[\"']?[ \t]*[:=][ \t]*[\"'])"
    r"(?P<value>[a-z\u00e0-\u024f]{3,})(?=[\"'])"
)


def _fields(text: str, found: list[tuple[str, int, int]]) -> None:
    """field: the value of a name's field (query string, key=value, JSON) or an sshd log line's user."""
    folded = folded_words(text)[0]  # the text's case-folded view, shared with the gates (same offsets)
    for name in _NAME_FIELD_KEYS:
        stem = folded.find(name)
        while stem >= 0:
            stem += len(name)
            match = _NAME_FIELD.match(text, stem)
            head = _NAME_FIELD_KEY.search(text, max(0, stem - 12), stem) if match is not None else None
            stem = folded.find(name, stem)
            if match is None or head is None:
                continue
            value, key = match.group("value"), head.group("key").lower()
            # a user name or a "name" (of anything) is a name when the gazetteers know it; a first or last
            # name field, any word
            if key.strip("_-").startswith(("user", "name")) and not _is_known(value):
                continue
            if value.lower() not in _STOP and value.lower() not in _TECH_WORDS:
                found.append(("field", match.start("value"), match.end("value")))
    if "'" in text or '"' in text:
        for match in _ROLE_KEY_VALUE.finditer(text):
            value = match.group("value")
            if value in given_names() and not _word_name_or_tech(value) and value not in _COMMON_PLACES:
                found.append(("field", match.start("value"), match.end("value")))
    if " for " in text and "from " in text:
        for match in _SSHD_USER.finditer(text):
            if _is_known(match.group("value")):
                found.append(("field", match.start("value"), match.end("value")))


def _person_word(word: str, start: int, rule: str, found: list[tuple[str, int, int]]) -> None:
    """A word in a person's place: a name when it is a given name, or a name that is also a word."""
    lower = word.lower()
    if (lower in given_names() or lower in word_names()) and not (
        lower in _STOP or lower in _TECH_WORDS or lower in _NOT_PEOPLE or lower in _COMMON_PLACES
    ):
        found.append((rule, start, start + len(word)))


def _space_cues(text: str, found: list[tuple[str, int, int]]) -> None:
    """and_me, arabic, lower (after a self-introduction), lower (after a name key: "user: sanjana pillai")."""
    given = given_names()
    lower_names: list[tuple[str, str | None, int]] = []
    for match in _SPACE_CUES.finditer(" " + text):  # a space before the text: a cue at its start too
        if match.group("first") is not None:
            lower_names.append((match.group("first"), match.group("second"), match.start("first") - 1))
            continue
        asked = match.group("asked")
        if asked is not None:
            start = match.start("asked") - 1
            if asked[0].isupper():
                _person_word(asked, start, "asked", found)
            elif asked in lone_given_names() and asked not in _STOP:
                found.append(("asked", start, start + len(asked)))
            continue
        named = match.group("named") or match.group("named_other")
        if named is not None:
            lower = named.lower()
            if match.group().startswith((" im ", " Im ")) and (
                _text_language(text) == "de" or _GERMAN_LETTER.search(text) is not None
            ):
                continue  # "Übergabe im Stationszimmer": German "im" (in the), no "I'm"
            if match.group()[1:3].lower() == "it":
                continue  # "it's Friday": after "it's" only a lone given name in lower case ("its priya")
            if not (
                lower in _STOP
                or lower in _NOT_PEOPLE
                or lower in _TECH_WORDS
                or lower in _COMMON_PLACES
                or lower in word_names()
                or lower in _SIGN_OFF_WORDS
                or _NOT_NAMED.search(lower)
            ):
                start = match.start("named" if match.group("named") else "named_other") - 1
                found.append(("named", start, start + len(named)))
            continue
        space = match.start() - 1  # where the space before the cue is in the text
        head = _NAME_BEFORE.search(text, max(0, space - 20), max(0, space))
        lower = head.group(1).lower() if head is not None else ""
        if lower not in given or lower in _STOP or lower in _TECH_WORDS or lower in _NOT_PEOPLE:
            continue
        if match.group("arabic") is not None:
            found.append(("arabic", head.start(1), match.end() - 1))  # type: ignore[union-attr]
        else:
            found.append(("and_me", head.start(1), head.end(1)))  # type: ignore[union-attr]
    for match in _LOWER_KEY.finditer(text):
        if _LOWER_KEY_BEFORE.search(text, max(0, match.start() - 16), match.start()):
            lower_names.append((match.group("first"), match.group("second"), match.start("first")))
    for first, second, start in lower_names:
        if first in _STOP:
            continue
        # after a self-introduction, a surname names the writer whatever the given name ("sou a thaís
        # barbosa"); a given name the gazetteer does not know is no name alone
        surname = (
            second is not None
            and second not in _STOP
            and (
                second in surnames()
                or _SURNAME_FORM.search(second) is not None
                or second in lone_given_names()  # "soy camila reyes": a surname that is a given name too
            )
            and second not in word_names()
        )
        if surname and second is not None and (first in given or not _word_name_or_tech(first)):
            found.append(("lower", start, start + len(first) + 1 + len(second)))
        elif first in given and first in lone_given_names():
            found.append(("lower", start, start + len(first)))
    for match in _GREETING_LOWER_HERE.finditer(text):
        group = next(name for name in ("name", "bracketed", "from") if match.group(name) is not None)
        name = match.group(group)
        if name in _STOP or name in _TECH_WORDS or name in _NOT_PEOPLE or name in _COMMON_PLACES:
            continue
        if name in given or name in word_names():  # a name that is a word too: the cue says who it is
            found.append(("lower", match.start(group), match.end(group)))
    for match in _LOWER_HERE.finditer(text):
        first = match.group("first")
        if first in given and first not in word_names() and first not in _STOP and first not in _TECH_WORDS:
            found.append(("lower", match.start("first"), match.end("name")))


def _word_name_or_tech(word: str) -> bool:
    """Whether a lower-case word is a name that is a word too, a technical word or a stop word."""
    return (
        word in word_names() or word in _TECH_WORDS or word in _STOP or word in _NOT_PEOPLE or len(word) < 3
    )


# a greeting, then a lower-case name (a word too: "sunny") and "here": "hey sunny here", "hi rob here";
# or the writer naming themself in brackets: "me again (rob)", "it's me (hope)"; or by where they write
# from: "hey its joy from the tutoring app"
_GREETING_LOWER_HERE = re.compile(
    r"(?i:\b(?:hey|hi|hello|hiya|heya|yo|hallo|hola|oi|ola|ol\u00e1|ciao|salut|hej))[ ,]+"
    r"(?P<name>[a-z][a-z\u00e0-\u024f]{2,})[ ]here\b"
    r"|(?i:\bme(?:[ ]again)?)[ ]\((?P<bracketed>[a-z][a-z\u00e0-\u024f]{2,})\)"
    r"|(?i:\b(?:it'?s|this[ ]is))[ ](?P<from>[a-z][a-z\u00e0-\u024f]{2,})[ ]from[ ](?:the|your|ur)\b"
)
# a lower-case name, then "here" in the languages of Europe, where a chat opens: "lotte van der berg hier",
# "kasia wiśniewska z tej strony", "marco rossi qui"
_LOWER_HERE = re.compile(
    r"(?:^|(?<=[,!.?:;][ ]))(?P<name>(?P<first>[a-z\u00e0-\u024f]{2,})"
    r"(?:(?:[ ](?:van|von|der|den|de|da|di|do|dos|del|la|le))*[ ][a-z\u00e0-\u024f]{2,})?)"
    r"[ ](?:here|hier|aqu[i\u00ed]|ici|qui|h\u00e4r|her|tutaj|z[ ]tej[ ]strony|speaking)(?![\w'])"
)


def _cjk(text: str, found: list[tuple[str, int, int]]) -> None:
    family_names = cjk_family_names()
    for match in _CJK_NAME.finditer(text):
        group = match.lastgroup or ""
        if group == "korean":
            if match.group("korean")[0] in family_names:
                found.append(("cjk", match.start("korean"), match.end("korean")))
        elif group == "given":
            if match.group("family") in family_names:
                found.append(("cjk", match.start("family"), match.end("given")))
        else:
            name = match.group("honored")
            if name[:2] in family_names or name[:1] in family_names:
                found.append(("cjk", match.start("honored"), match.end("honored")))


# rules whose spans refine_names reads as no name (capitals, one CJK word, a signature the gazetteer does not
# know): added after it, each rule with its own guards
_AFTER_REFINE = _word_set(
    "caps_pair cjk last_line romanised arabic vocative and_me named trailer blame lower last_word feminine "
    "initial_quoted name_age field apposition key_name asked user_name caps_label initial_prefixed acted",
    "pair surname_comma_given product_given_surname handle",
)


def _covered(start: int, end: int, findings: list[Finding]) -> bool:
    """Whether a PERSON finding covers the span, or a finding of another type overlaps it."""
    return any(
        f.start < end and start < f.end and (f.entity_type != "PERSON" or (f.start <= start and end <= f.end))
        for f in findings
    )


def _place_stands(text: str, finding: Finding, findings: list[Finding]) -> bool:
    """Whether NER's place at ``finding`` is still a place: refining kept it, or the gazetteer knows it.
    A lone given name NER read as a place that refining dropped ("on Thursday, Agnieszka has the
    charger", "pt Nadia, 29") is the person's name."""
    return is_known_place(text[finding.start : finding.end]) or any(
        f.entity_type == "LOCATION" and f.start < finding.end and finding.start < f.end for f in findings
    )


def _named_elsewhere(text: str, finding: Finding, findings: list[Finding]) -> bool:
    """Whether the words of ``finding`` are part of a PERSON finding elsewhere in the text."""
    value = text[finding.start : finding.end]
    return any(
        f.entity_type == "PERSON"
        and (f.end <= finding.start or f.start >= finding.end)
        and value in text[f.start : f.end].split()
        for f in findings
    )


def bare_names(
    text: str,
    findings: list[Finding],
    *,
    refine: Callable[[str, list[Finding]], list[Finding]] | None = None,
    person: bool = True,
) -> list[Finding]:
    """``findings`` (refined by ``refine`` when given) plus the PERSON names of the rules above that no
    other finding covers. Never raises of its own: on an error in its rules the findings go on without
    additions."""
    try:
        spans = _scan(text) if person else []
    except Exception:
        spans = []
    if not spans:
        result = refine(text, findings) if refine is not None else list(findings)
        try:
            return result + _same_person(text, result)
        except Exception:
            return result
    before: list[Finding] = []
    deferred: list[Finding] = []
    places: set[tuple[int, int]] = set()
    for rule, start, end in spans:
        if rule in _AFTER_REFINE:
            continue
        # a finding there (NER's own PERSON, with code around it, or a place or an organisation): the name
        # waits for the filter, and goes in alone when what held it was dropped ("// Tamati said")
        others = [f.entity_type for f in findings if f.start < end and start < f.end]
        (deferred if others else before).append(Finding(start, end, "PERSON", _SCORE))
        if "LOCATION" in others:
            places.add((start, end))
    result = refine(text, findings + before) if refine is not None else findings + before
    try:
        for finding in deferred:
            if (
                (finding.start, finding.end) in places
                and _place_stands(text, finding, result)
                and not _named_elsewhere(text, finding, result)
            ):
                continue  # NER's place ("the Nile"), unless the text names a person so ("Yamamoto Kenji")
            if not _covered(finding.start, finding.end, result):
                # what held the span went in the filter ("Rizal" read as a place): the name alone, refined
                kept = refine(text, [finding]) if refine is not None else []
                result += [
                    f for f in kept if f.entity_type == "PERSON" and not _covered(f.start, f.end, result)
                ]
        for rule, start, end in spans:
            if rule in _AFTER_REFINE and not _covered(start, end, result):
                result.append(Finding(start, end, "PERSON", _SCORE))
        result += _same_person(text, result)
        # the title and the record's surname before a name the rules above found ("Krüger,Hannelore")
        result = [with_title_and_surname(text, f) if f.entity_type == "PERSON" else f for f in result]
    except Exception:
        pass
    return result


def _name_parts(text: str, findings: list[Finding]) -> set[str]:
    """The words of the full names found that the gazetteers know as part of a name ("Bethany Rourke":
    "Bethany", "Rourke"; "Oluwaseun Bakare": both, by the surname), and lone given names found alone."""
    parts: set[str] = set()
    for finding in findings:
        if finding.entity_type != "PERSON":
            continue
        words = [word.strip(".,;:!?\"'()[]") for word in text[finding.start : finding.end].split()]
        words = [word for word in words if len(word) >= 3 and _title(word)]
        lowers = [word.lower() for word in words]
        if any(lower in _STOP or lower in _NOT_PEOPLE or lower in _TECH_WORDS for lower in lowers):
            continue
        if len(words) == 1 and lowers[0] in lone_given_names():
            parts.add(words[0])
        elif len(words) >= 2 and (
            any(
                (lower in lone_given_names() or lower in surnames()) and lower not in word_names()
                for lower in lowers
            )
            or all(lower in word_names() or _is_known(lower) for lower in lowers)
        ):
            parts.update(words)
    return parts


def _same_person(text: str, findings: list[Finding]) -> list[Finding]:
    """Other mentions of a name found: "Employee Bethany Rourke ... confirm with Bethany" (a word that is
    also an English word only inside a sentence: "ask Bill before", not "Bill the client")."""
    added: list[Finding] = []
    for word in _name_parts(text, findings):
        for start, end in _occurrences(text, word):
            if _covered(start, end, findings + added) or _in_code(text, start, end):
                continue
            if word.lower() in word_names() and _opens_sentence(text, start):
                continue
            added.append(Finding(_given_name_before(text, start), end, "PERSON", _SCORE))
    return added


_WORD_BEFORE = re.compile(r"(?<![\w'\u2019\-.])([^\W\d_]{3,})[ \t]\Z")


def _given_name_before(text: str, start: int) -> int:
    """Where a surname seen before starts with the given name in front of it: a relative sharing it
    ("Zeynep Arslan ... Eşi Murat Arslan") is "Murat Arslan", not "Arslan"."""
    before = _WORD_BEFORE.search(text, max(0, start - 30), start)
    if before is None or not _title(before.group(1)):
        return start
    lower = before.group(1).lower()
    if lower not in given_names() or lower in word_names() or lower in _STOP or lower in _TECH_WORDS:
        return start
    if lower in _NOT_PEOPLE or lower in _COMMON_PLACES or lower in _CALENDAR_WORDS:
        return start
    return before.start(1)
