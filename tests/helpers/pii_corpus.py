"""A labelled PII corpus for testing redaction: realistic LLM / support / agent traffic, all data invented.

Every value here is fake: names are made up, e-mail domains are reserved or invented, phone numbers come
from the fictional ranges (US 555-01xx, UK Ofcom drama numbers), cards are the well-known Luhn-valid test
cards, SSNs are 987-65-432x, IBANs are the published example accounts (valid mod-97 checksums), IPs are in
the documentation ranges (RFC 5737 / RFC 3849), and every credential is random or a documented example.

``PII_TEXTS`` carries the exact substrings that are PII; ``CLEAN_TEXTS`` contains none but is full of
numbers, identifiers and hashes that tempt false positives. ``tests/test_pii_corpus.py`` checks the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labelled:
    text: str
    # (kind, exact substring of text that is PII). kind is one of KINDS below. Every piece of personal
    # data in the text is labelled: what is not labelled counts as a false alarm when it is redacted.
    spans: tuple[tuple[str, str], ...] = ()
    # where such a text comes from: one of CATEGORIES ("" for the first corpus, which predates them)
    category: str = ""


KINDS = (
    "PERSON",
    "EMAIL",
    "PHONE",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN",
    "IP",
    "ADDRESS",
    "API_KEY",
    "DATE_OF_BIRTH",
    "PERSONAL_DATE",  # a date tied to a person: appointment, admission, visit, discharge, death
    "LOCATION",  # a city, region or country said of a person ("Amara lives in Lagos, Nigeria")
)
CATEGORIES = ("chat", "ticket", "crm", "email", "log", "code", "clinical")
# Structured identifiers a pattern can always find: these must never survive redaction.
PATTERN_KINDS = ("EMAIL", "PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "IP", "API_KEY")

# Multi-line values, kept apart so the texts that embed them stay readable.
_RSA_PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAiWq7d30HXExsEk9JHKyrn4LdDBwj41u8NMfk5PCB/yhXX7Qf\n"
    "VGjQ+nscEV7AqN8JZmFGelUwKcYFifrzptOBWWt6sr7mNStNH2yDjA3yXDQJWSVd\n"
    "tM28+wq5oz4MXBfDeYivht6RuN8dolKeSH1DR5ROcXJSf7w8O3dziQXZ08DTT1cg\n"
    "/9ckSDNyA3b/aTjNULJ5YHdXVMFC0twwspv2bfJlH4mlt9uofR6roibB+TIlRiDL\n"
    "gUtQ79pGISluDNHIgeWSe+/E5jtkH6OdVQHXL809/PLX4YVPfAX5TxcTEYRW0hSA\n"
    "-----END RSA PRIVATE KEY-----"
)
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJ1c3JfNDhmMWMyIiwicm9sZSI6InN1cHBvcnRfYWdlbnQiLCJpYXQiOjE3MTgwMDAwMDAsImV4cCI6MTcxODAwMzYwMH0"
    ".1Qjah4dXd3eOa1Zcc_a4CgOFfqRgz7IhYePP2lny2pg"
)
_OPENAI_PROJECT_KEY = (
    "sk-proj-RHtUVQcDMpg0TMkxpdzPaEMM1ZA7V0FhHVJWDBt2T3hWdQZUm14"
    "QhoxhLPAbQcEFUV2fsjGHb6HrlEOS47WgjKCu_0xxKhg5QjWV1m"
)
_OPENAI_PROJECT_KEY_2 = (
    "sk-proj-KaUyvBPs0jSO2Jkf08MMF1ulMMCw3XVy27dFanUrOSE62chn4xdeJg1Kza5KxxGWfvmaQtKnP_VSGVBrYSuIb9OZiF"
)

PII_TEXTS: tuple[Labelled, ...] = (
    # --- chat messages from users to an assistant ---------------------------------------------------
    Labelled(
        "Hi, my name is Sarah Whitfield and I can't log in to my account. The reset link goes to "
        "sarah.whitfield@example.com but nothing arrives. Can you help?",
        (("PERSON", "Sarah Whitfield"), ("EMAIL", "sarah.whitfield@example.com")),
    ),
    Labelled(
        "Please update the shipping address on my order to 1742 Evergreen Terrace, Springfield, IL 62704 "
        "and call me at (212) 555-0147 if the courier needs anything.",
        (("ADDRESS", "1742 Evergreen Terrace, Springfield, IL 62704"), ("PHONE", "(212) 555-0147")),
    ),
    Labelled(
        "I tried paying with my Visa 4111 1111 1111 1111 but the checkout page keeps saying 'card declined'. "
        "Is the problem on your side?",
        (("CREDIT_CARD", "4111 1111 1111 1111"),),
    ),
    Labelled(
        "Can you fill in this W-9 for me? Name: Rahul Mehta, SSN 987-65-4321, address "
        "350 Maplewood Avenue, Suite 400, Austin, TX 78701.",
        (
            ("PERSON", "Rahul Mehta"),
            ("US_SSN", "987-65-4321"),
            ("ADDRESS", "350 Maplewood Avenue, Suite 400, Austin, TX 78701"),
        ),
    ),
    Labelled(
        "Write a short, polite reminder to my landlord. My rent goes out from IBAN "
        "GB82 WEST 1234 5698 7654 32 on the first of each month, but this month it bounced.",
        (("IBAN", "GB82 WEST 1234 5698 7654 32"),),
    ),
    Labelled(
        "Priya Raghunathan here. I was born on March 3, 1985 and the insurance form keeps rejecting my date "
        "of birth. What format does it expect?",
        (("PERSON", "Priya Raghunathan"), ("DATE_OF_BIRTH", "March 3, 1985")),
    ),
    Labelled(
        "Oops, I pasted my key by mistake: " + _OPENAI_PROJECT_KEY + " - can you tell me how to revoke it?",
        (("API_KEY", _OPENAI_PROJECT_KEY),),
    ),
    Labelled(
        "Translate this into German for me: 'Dear Mr. Brandt, please send the signed contract to "
        "l.brandt@kanzlei-brandt.example by Friday.'",
        (("PERSON", "Brandt"), ("EMAIL", "l.brandt@kanzlei-brandt.example")),
    ),
    Labelled(
        "My mum Fatima Al-Sayed needs a new appointment with Dr. Amara Okonkwo. Her number is "
        "+44 20 7946 0958, she prefers mornings.",
        (
            ("PERSON", "Fatima Al-Sayed"),
            ("PERSON", "Amara Okonkwo"),
            ("PHONE", "+44 20 7946 0958"),
        ),
    ),
    Labelled(
        "Summarise my situation for the bank: the transfer to DE89 3704 0044 0532 0130 00 (account holder "
        "Lukas Brandt) was debited twice.",
        (("IBAN", "DE89 3704 0044 0532 0130 00"), ("PERSON", "Lukas Brandt")),
    ),
    Labelled(
        "Why does my server at 203.0.113.7 keep getting blocked by your firewall? It's just a cron job "
        "polling the status API every minute.",
        (("IP", "203.0.113.7"),),
    ),
    Labelled(
        "Oluwaseun Adebayo asked me to forward his CV. He's reachable on 212-555-0199 most afternoons. "
        "Can you draft an intro email?",
        (("PERSON", "Oluwaseun Adebayo"), ("PHONE", "212-555-0199")),
    ),
    Labelled(
        "Need a birthday message for my niece - DOB: 2001-08-05, she's turning 23. Something fun, not too "
        "long, maybe with an emoji.",
        (("DATE_OF_BIRTH", "2001-08-05"),),
    ),
    Labelled(
        "I'm moving! New address from next week is 221B Baker Street, London NW1 6XE. Landline stays the "
        "same: 020 7946 0321.",
        (("ADDRESS", "221B Baker Street, London NW1 6XE"), ("PHONE", "020 7946 0321")),
    ),
    Labelled(
        "Is it safe to store my card number 5555555555554444 in a notes app if the phone has a passcode? "
        "Asking for a friend, obviously.",
        (("CREDIT_CARD", "5555555555554444"),),
    ),
    Labelled(
        "hey so my social security number is 987-65-4322 and the portal says it's invalid?? i've typed it "
        "five times. what am i doing wrong",
        (("US_SSN", "987-65-4322"),),
    ),
    Labelled(
        "Mei-Ling Chen and Hiroshi Tanaka will both join the Thursday call. Please book a room for three and "
        "send the invite to mei-ling.chen@example.org.",
        (
            ("PERSON", "Mei-Ling Chen"),
            ("PERSON", "Hiroshi Tanaka"),
            ("EMAIL", "mei-ling.chen@example.org"),
        ),
    ),
    Labelled(
        "My ssh config has HostName 2001:db8:85a3::8a2e:370:7334 and it times out on port 22. Do I need "
        "brackets around IPv6 addresses?",
        (("IP", "2001:db8:85a3::8a2e:370:7334"),),
    ),
    Labelled(
        "Refund status? Amex 378282246310005, charged twice on the 14th. "
        "You can reach me at +1 415 555 0123.",
        (("CREDIT_CARD", "378282246310005"), ("PHONE", "+1 415 555 0123")),
    ),
    Labelled(
        "Please tell me whether this looks like a valid GitHub token before I put it in CI: "
        "ghp_17tzNlIrTtfkbSh2Cde2wioVMEuUYMjPeFXs",
        (("API_KEY", "ghp_17tzNlIrTtfkbSh2Cde2wioVMEuUYMjPeFXs"),),
    ),
    Labelled(
        "Sofia Lindqvist, date of birth 14/07/1990, passport renewal. Which documents do I need to bring to "
        "the embassy? I live in Stockholm now.",
        (("PERSON", "Sofia Lindqvist"), ("DATE_OF_BIRTH", "14/07/1990"), ("LOCATION", "Stockholm")),
    ),
    Labelled(
        "Dr. Mateo Fernández wants the lab results emailed to mfernandez@clinica-sol.example and a copy "
        "posted to 88 Ocean Drive, Miami Beach, FL 33139.",
        (
            ("PERSON", "Mateo Fernández"),
            ("EMAIL", "mfernandez@clinica-sol.example"),
            ("ADDRESS", "88 Ocean Drive, Miami Beach, FL 33139"),
        ),
    ),
    Labelled(
        "Does this IBAN look right? NL91ABNA0417164300. The payee is a small bakery and the invoice says "
        "payment within 14 days.",
        (("IBAN", "NL91ABNA0417164300"),),
    ),
    Labelled(
        "Write a cover letter for Chloé Dubois applying to a junior data analyst role. She has two years "
        "of experience with SQL and Tableau.",
        (("PERSON", "Chloé Dubois"),),
    ),
    Labelled(
        "Text the delivery driver that I'm at 4 Privet Lane, Apt 2B, Portland, OR 97201 - the buzzer is "
        "broken, so ring 212.555.0188 instead.",
        (("ADDRESS", "4 Privet Lane, Apt 2B, Portland, OR 97201"), ("PHONE", "212.555.0188")),
    ),
    # --- tool-call arguments and agent traffic ------------------------------------------------------
    Labelled(
        '{"tool": "create_customer", "arguments": {"full_name": "Kwame Mensah", '
        '"email": "kwame.mensah@example.net", "phone": "+1-312-555-0110"}}',
        (
            ("PERSON", "Kwame Mensah"),
            ("EMAIL", "kwame.mensah@example.net"),
            ("PHONE", "+1-312-555-0110"),
        ),
    ),
    Labelled(
        '{"name": "charge_card", "arguments": {"card_number": "4012-8888-8888-1881", "exp": "09/27", '
        '"amount_cents": 4599, "currency": "USD"}}',
        (("CREDIT_CARD", "4012-8888-8888-1881"),),
    ),
    Labelled(
        "Calling tool lookup_member(ssn='987-65-4323', dob='1978-11-12') to verify the caller's identity "
        "before discussing the claim.",
        (("US_SSN", "987-65-4323"), ("DATE_OF_BIRTH", "1978-11-12")),
    ),
    Labelled(
        '{"function": "send_sepa_transfer", "args": {"iban": "FR1420041010050500013M02606", '
        '"beneficiary": "Chloé Dubois", "amount": 120.0}}',
        (("IBAN", "FR1420041010050500013M02606"), ("PERSON", "Chloé Dubois")),
    ),
    Labelled(
        "Agent step 3: curl -s https://api.example.com/v1/orders -H 'Authorization: Bearer "
        "GybY9lMR4pAwBp3GVy1PixOqoRGrB5Vpg5C6QsyHZytfqY6K' returned 403.",
        (("API_KEY", "GybY9lMR4pAwBp3GVy1PixOqoRGrB5Vpg5C6QsyHZytfqY6K"),),
    ),
    Labelled(
        '{"tool": "geo_lookup", "arguments": {"ip": "198.51.100.23"}} -> {"country": "NL", "asn": 64500}',
        (("IP", "198.51.100.23"),),
    ),
    Labelled(
        '{"action": "update_profile", "user_id": 88213, "fields": {"name": "Tomasz Kowalski", '
        '"date_of_birth": "06/22/1969", "mobile": "07700 900461"}}',
        (
            ("PERSON", "Tomasz Kowalski"),
            ("DATE_OF_BIRTH", "06/22/1969"),
            ("PHONE", "07700 900461"),
        ),
    ),
    Labelled(
        "Tool result from crm.search: 1 match - Ingrid Halvorsen, ingrid.h@example.com, "
        "2150 Willow Creek Blvd, Denver, CO 80211, customer since 2017.",
        (
            ("PERSON", "Ingrid Halvorsen"),
            ("EMAIL", "ingrid.h@example.com"),
            ("ADDRESS", "2150 Willow Creek Blvd, Denver, CO 80211"),
        ),
    ),
    Labelled(
        "Set up the deploy secret for me.\n"
        "export OPENAI_API_KEY=sk-PWzUB4q60sskDI1EDL0Y6wu1JOSNta0PKhe37ak1aSJARa77\n"
        "Then run the smoke tests.",
        (("API_KEY", "sk-PWzUB4q60sskDI1EDL0Y6wu1JOSNta0PKhe37ak1aSJARa77"),),
    ),
    Labelled(
        "Decode this JWT and tell me when it expires: " + _JWT,
        (("API_KEY", _JWT),),
    ),
    # --- pasted logs and config ------------------------------------------------------------------------
    Labelled(
        "2024-06-11T09:14:22Z WARN auth: failed login for user=diego.ramirez@example.org from 192.0.2.44 "
        "(attempt 5 of 5), account locked",
        (("EMAIL", "diego.ramirez@example.org"), ("IP", "192.0.2.44")),
    ),
    Labelled(
        "Here's my ~/.aws/credentials, why does boto3 say the token is invalid?\n[default]\n"
        "aws_access_key_id = AKIAP4ILSANJ7C3C4BHO\n"
        "aws_secret_access_key = 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\n",
        (
            ("API_KEY", "AKIAP4ILSANJ7C3C4BHO"),
            ("API_KEY", "RuIr2jhTxs/OHKDpnJh+rgiOaPq+N9RtlnnudSkp"),
        ),
    ),
    Labelled(
        "The deploy fails with 'invalid format' when loading this key, what's wrong with it?\n"
        + _RSA_PRIVATE_KEY,
        (("API_KEY", _RSA_PRIVATE_KEY),),
    ),
    Labelled(
        'nginx access log: 2001:db8::1 - - [11/Jun/2024:10:02:17 +0000] "GET /api/health HTTP/1.1" 200 17 '
        "- why is IPv6 traffic hitting the old box?",
        (("IP", "2001:db8::1"),),
    ),
    Labelled(
        "Bot keeps crashing on startup. slack_bolt log says: invalid_auth for token "
        "xoxb-16788587177-5781997905374-8QvwTH6Iuj2OkDCJ23VmCwyk. Is it expired?",
        (("API_KEY", "xoxb-16788587177-5781997905374-8QvwTH6Iuj2OkDCJ23VmCwyk"),),
    ),
    Labelled(
        "Traceback says KeyError: 'region' right after this line in settings.py:\n"
        "AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'\nCan you spot the problem?",
        (("API_KEY", "AKIAIOSFODNN7EXAMPLE"),),
    ),
    Labelled(
        "[payments] ERROR card_validation failed pan=6011 1111 1111 1117 reason=expired customer=Aisha Bello "
        "ip=203.0.113.195",
        (
            ("CREDIT_CARD", "6011 1111 1111 1117"),
            ("PERSON", "Aisha Bello"),
            ("IP", "203.0.113.195"),
        ),
    ),
    Labelled(
        "Why does my .env not load? It's just two lines:\nDEBUG=false\nOPENAI_API_KEY="
        + _OPENAI_PROJECT_KEY_2,
        (("API_KEY", _OPENAI_PROJECT_KEY_2),),
    ),
    # --- e-mails and longer pasted documents ---------------------------------------------------------
    Labelled(
        "Can you make this email sound more professional?\n\nHi team, James Thornton from accounts here. "
        "The refund for Emily Carter still hasn't gone through. Her card ends in 4444 but the full number "
        "on file is 5105 1051 0510 5100. Please sort it out today. Thanks!",
        (
            ("PERSON", "James Thornton"),
            ("PERSON", "Emily Carter"),
            ("CREDIT_CARD", "5105 1051 0510 5100"),
        ),
    ),
    Labelled(
        "Proofread this letter please:\n\nDear Ms. Nguyen Thi Lan,\nThank you for your application. We have "
        "recorded your social security number as 987-65-4325 and your mailing address as "
        "603 Lakeshore Court, Madison, WI 53703. Kind regards, HR",
        (
            ("PERSON", "Nguyen Thi Lan"),
            ("US_SSN", "987-65-4325"),
            ("ADDRESS", "603 Lakeshore Court, Madison, WI 53703"),
        ),
    ),
    Labelled(
        "Forwarded message:\nFrom: Siobhan O'Connell <siobhan.oconnell@example.ie>\nSubject: invoice 2231\n\n"
        "Please pay into ES91 2100 0418 4502 0005 1332 by end of month. If anything is unclear, phone me on "
        "+44 161 496 0753.",
        (
            ("PERSON", "Siobhan O'Connell"),
            ("EMAIL", "siobhan.oconnell@example.ie"),
            ("IBAN", "ES91 2100 0418 4502 0005 1332"),
            ("PHONE", "+44 161 496 0753"),
        ),
    ),
    Labelled(
        "Summarise this support ticket in one sentence: Customer Aleksandr Volkov reports that his order "
        "never arrived at 9 Chalcot Mews, Bristol BS8 4QT. Tracking shows it was delivered to a neighbour. "
        "He is upset and wants a full refund rather than a replacement.",
        (("PERSON", "Aleksandr Volkov"), ("ADDRESS", "9 Chalcot Mews, Bristol BS8 4QT")),
    ),
    Labelled(
        "Extract the patient details as JSON: 'Patient Grace Liu, born 12 November 1978, presented with a "
        "persistent cough. Contact: 415-555-0166. Referred by Dr. Daniel Cohen.'",
        (
            ("PERSON", "Grace Liu"),
            ("DATE_OF_BIRTH", "12 November 1978"),
            ("PHONE", "415-555-0166"),
            ("PERSON", "Daniel Cohen"),
        ),
    ),
    Labelled(
        "Yesterday Jae-won Park from the Seoul office sent me his SSN 987-65-4326 over chat for the payroll "
        "form. Is that a compliance problem? What should I do with the message now?",
        (("PERSON", "Jae-won Park"), ("US_SSN", "987-65-4326"), ("LOCATION", "Seoul")),
    ),
    Labelled(
        "Reply to this customer for me: 'My card 3530 1113 3330 0000 was charged but the order page shows "
        "nothing. Ring me on (646) 555-0172 or email olivia.m@example.com.' Keep it short.",
        (
            ("CREDIT_CARD", "3530 1113 3330 0000"),
            ("PHONE", "(646) 555-0172"),
            ("EMAIL", "olivia.m@example.com"),
        ),
    ),
    Labelled(
        "Hannah Schmidt's payroll record lists SSN 987-65-4328 and IBAN IT60X0542811101000000123456. "
        "Which of those fields do we actually need for a US contractor?",
        (
            ("PERSON", "Hannah Schmidt"),
            ("US_SSN", "987-65-4328"),
            ("IBAN", "IT60X0542811101000000123456"),
        ),
    ),
    Labelled(
        "Carlos Mendoza left a voicemail from 0113 496 0427 about the broken dishwasher. Draft a callback "
        "script that apologises for the delay.",
        (("PERSON", "Carlos Mendoza"), ("PHONE", "0113 496 0427")),
    ),
    Labelled(
        "For the newsletter: Yuki Sato from our Osaka team and Ana Pereira in Lisbon both celebrate five "
        "years with the company this month. Write two sentences about each.",
        (
            ("PERSON", "Yuki Sato"),
            ("PERSON", "Ana Pereira"),
            ("LOCATION", "Osaka"),
            ("LOCATION", "Lisbon"),
        ),
    ),
    Labelled(
        "Michael Brennan called again. He says he was born on 5th of August 2001 and our system has it "
        "wrong, and his number is +1 (718) 555-0134. Can you write the correction note?",
        (
            ("PERSON", "Michael Brennan"),
            ("DATE_OF_BIRTH", "5th of August 2001"),
            ("PHONE", "+1 (718) 555-0134"),
        ),
    ),
    Labelled(
        "Test checkout with card 4242-4242-4242-4242 failed in staging, log shows client_ip=198.51.100.77. "
        "Is Stripe test mode enabled?",
        (("CREDIT_CARD", "4242-4242-4242-4242"), ("IP", "198.51.100.77")),
    ),
    Labelled(
        "Draft the onboarding ticket: Diego Ramírez approves, the new contractor is Sofia Lindqvist, SSN "
        "987 65 4327, start date next Monday, read-only access to the finance share.",
        (
            ("PERSON", "Diego Ramírez"),
            ("PERSON", "Sofia Lindqvist"),
            ("US_SSN", "987 65 4327"),
        ),
    ),
)

CLEAN_TEXTS: tuple[str, ...] = (
    "How do I reset my router to factory settings? The lights are blinking orange and nothing works.",
    "What's the return policy for order #48213? The blender arrived with a cracked jug.",
    "Convert 72 degrees Fahrenheit to Celsius and explain the formula step by step.",
    "Why does this loop print 10 ten times?\n\nfns = []\nfor i in range(10):\n    fns.append(lambda: i)\n"
    "print([f() for f in fns])",
    "Optimise this query, it takes 14 seconds on 2.3M rows:\n"
    "SELECT order_id, SUM(total) FROM orders WHERE created_at BETWEEN '2024-01-01' AND '2024-03-31' "
    "AND status_id IN (3, 7, 12) GROUP BY order_id HAVING SUM(total) > 500 ORDER BY 2 DESC LIMIT 100;",
    "I upgraded from Python 3.11.7 to 3.12.1 and now pip says 'error: externally-managed-environment'. "
    "What changed?",
    "My Flask app runs fine on localhost:8080 but inside Docker I get 'connection refused'. The compose "
    "file maps ports '8080:8080' and the container logs say Running on all addresses.",
    'Traceback (most recent call last):\n  File "/srv/app/worker.py", line 218, in process_batch\n'
    '    result = handler(item)\n  File "/srv/app/handlers/resize.py", line 42, in handler\n'
    "    w, h = img.size\nAttributeError: 'NoneType' object has no attribute 'size'",
    'Is this config valid? {"max_tokens": 4096, "temperature": 0.2, "top_p": 0.95, "timeout_s": 30, '
    '"retries": 3, "model": "gpt-4o-mini", "seed": 1234}',
    "What's the difference between git rebase and git merge? My last commit is "
    "9fceb02d0ae598e95dc970b74767f19372d61af8 and I want to squash the last 3 into it.",
    "Generate a UUID v4 example and explain the version bits, e.g. 3f2b8c1e-9a4d-4e6f-b2a1-7c5d9e0f1a2b.",
    "Solve for x: 3x^2 - 12x + 9 = 0. Then compute the integral of x^3 from 0 to 4.",
    "kubectl get pods -n payments shows CrashLoopBackOff with exit code 137 on 2 of 5 replicas. The memory "
    "limit is 512Mi and requests are 256Mi. Is it OOM?",
    "Plan a 5-day itinerary for a first trip to Japan in April: Tokyo, Kyoto and Osaka, mid-range budget, "
    "lots of food and temples.",
    "sha256sum reports e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 for the download. "
    "Does that mean the file is empty?",
    "Recipe for a Paris-style ham and butter baguette sandwich for 4 people, with a shopping list.",
    "const total = items.reduce((acc, it) => acc + it.price * it.qty, 0);\n"
    "console.log(total.toFixed(2)); // prints 1049.50 but I expected 1049.5 - why?",
    "Our p99 latency went from 180ms to 2400ms after the 4.2.0 release. Heap is at 78% and GC pauses "
    "average 350ms. Where should I start looking?",
    "Explain what HTTP status 429 means and how exponential backoff with jitter should work, with a "
    "base of 500ms and a cap of 32s.",
    "docker run -d -p 5432:5432 -e POSTGRES_PASSWORD_FILE=/run/secrets/pg -v pgdata:/var/lib/postgresql/data "
    "postgres:16.3 - why does the container exit immediately?",
    "Compare Portugal and Spain for a remote worker: cost of living, visa options, internet speeds and "
    "time zones relative to London.",
    "Windows update fails with error 0x80070005 on build 10.0.19045.3803. I already ran sfc /scannow and "
    "DISM. Any other ideas?",
    "Write a regex that matches semantic versions like 1.0.0, 2.13.4-beta.2 and 10.20.30+build.1848 but "
    "not 1.2 or 01.2.3.",
    "ALTER TABLE invoices ADD COLUMN due_date DATE NOT NULL DEFAULT '2025-01-31';\n"
    "UPDATE invoices SET due_date = issued_on + INTERVAL '30 days' WHERE id BETWEEN 1000 AND 1999;",
    "In numpy, why does np.arange(0, 1, 0.1) return 10 elements but np.arange(1, 1.3, 0.1) returns 4?",
    "My tests fail with: AssertionError: assert 0.30000000000000004 == 0.3 in tests/test_math.py:27. "
    "How should I compare floats in pytest?",
    "Summarise the plot of a heist movie in three sentences, no spoilers for the ending, and suggest two "
    "similar films from the 1990s.",
    "The invoice total is 1,284.60 EUR for 37 units at 34.72 each. Is that right, and what is it with "
    "21% VAT added?",
    'npm ERR! code ERESOLVE\nnpm ERR! peer react@"^17.0.2" from react-router-dom@5.3.4\n'
    "npm ERR! Found: react@18.3.1 - how do I fix the dependency conflict?",
    "Set the cron schedule to run at 02:30 every weekday: is '30 2 * * 1-5' correct? And what does "
    "'*/15 9-17 * * *' mean?",
    "What is the time complexity of building a heap from 1,000,000 items versus inserting them one by "
    "one? Show the maths.",
)
