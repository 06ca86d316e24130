"""The development labelled corpus for redaction: texts to tune against (the held-out set is elsewhere).

Everything here is invented. Names are made up (from many origins, see ``NAME_ORIGINS``), e-mail domains are
example.* or invented, phones use fictional ranges where a country has them (US 555-01xx, UK 07700 900xxx /
020 7946 0xxx / 0113 496 0xxx, AU 0491 570 xxx, FR 01 99 00 xx xx) and plausible fake numbers elsewhere,
cards are Luhn-valid numbers generated for this file, SSNs are 987-65-432x, IBANs carry valid mod-97
checksums, IPs are in the documentation ranges and every key or password is random.

Labels: ``Labelled.spans`` holds (kind, exact substring) for EVERY piece of personal data in a text; a name
is labelled as written without its title ("Dr. Amara Okafor" -> "Amara Okafor"), an address whole, a city
or country only when said of a person (LOCATION), and a date only when tied to a person (DATE_OF_BIRTH, or
PERSONAL_DATE for appointments, admissions, discharges, surgery, death, visits). Passwords hard-coded in code
or config are labelled API_KEY (a secret). Company names, products and public places are never labelled.
``CLEAN_TEXTS`` hold no personal data at all but are full of things that tempt false alarms.
"""

from __future__ import annotations

from helpers.pii_corpus import Labelled

_ANTHROPIC_KEY = (
    "sk-ant-api03-OEJjOZeT_yd4_LmXsWRVf1svusYxVQoorhQk64pYoewmGo4D7wcbKNlB-ngvS4CaG_1IGYfzHwIAr2Ef_HvNQBAA"
)
_GITHUB_FINE_GRAINED = (
    "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"
)

PII_TEXTS: tuple[Labelled, ...] = (
    # --- support chats: users writing to an assistant ---------------------------------------------------
    Labelled(
        "hi its deepika again, the app logged me out for the third time today. my cell is 555 0199 if "
        "someone can call, i'm in Pune this week so evenings are better",
        (("PERSON", "deepika"), ("PHONE", "555 0199"), ("LOCATION", "Pune")),
        category="chat",
    ),
    Labelled(
        "Can you help me write a short thank-you note to my grandmother Nkechi? She turns 80 on "
        "14 March 2025 and still lives in Enugu, Nigeria, so I'll post it this week.",
        (("PERSON", "Nkechi"), ("PERSONAL_DATE", "14 March 2025"), ("LOCATION", "Enugu, Nigeria")),
        category="chat",
    ),
    Labelled(
        "This is Tomasz. My Visa 4233 1083 9284 8778 got charged twice for the same subscription this "
        "month. How do I dispute one of the charges?",
        (("PERSON", "Tomasz"), ("CREDIT_CARD", "4233 1083 9284 8778")),
        category="chat",
    ),
    Labelled(
        "Draft a message to my landlord Mr Adeyemi saying the rent for March will go out a few days late "
        "from my account DE44 5001 0517 5407 3249 31. Keep it friendly but short.",
        (("PERSON", "Adeyemi"), ("IBAN", "DE44 5001 0517 5407 3249 31")),
        category="chat",
    ),
    Labelled(
        "Will and I are planning a trip abroad and he wants to know if his passport is still valid. "
        "His date of birth is 03/14/1988 and the passport was issued in 2016. How long do they last?",
        (("PERSON", "Will"), ("DATE_OF_BIRTH", "03/14/1988")),
        category="chat",
    ),
    Labelled(
        "my daughter Grace has a dentist appointment on 14.03.2025 at 9:30, can you write a cheerful "
        "reminder text I can send her the night before?",
        (("PERSON", "Grace"), ("PERSONAL_DATE", "14.03.2025")),
        category="chat",
    ),
    Labelled(
        "Card number is 2221 3883 2027 0810, exp 08/27. Why does your app say Mastercard isn't supported "
        "when this clearly is one?",
        (("CREDIT_CARD", "2221 3883 2027 0810"),),
        category="chat",
    ),
    Labelled(
        "I'm Oluwaseun Bakare, please call me on +234 803 555 0142 rather than sending e-mails. I moved "
        "from Lagos to Abuja last month and the delivery still goes to the old flat.",
        (
            ("PERSON", "Oluwaseun Bakare"),
            ("PHONE", "+234 803 555 0142"),
            ("LOCATION", "Lagos"),
            ("LOCATION", "Abuja"),
        ),
        category="chat",
    ),
    Labelled(
        "Translate into Japanese: 'Dear Ms Nakamura, your package will be delivered tomorrow to "
        "2-14-5 Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023. Please be home between 14:00 and 16:00.'",
        (("PERSON", "Nakamura"), ("ADDRESS", "2-14-5 Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023")),
        category="chat",
    ),
    Labelled(
        "Amex 3451 583904 98566 keeps getting declined on your site but works everywhere else. The name "
        "on the card is Hamid Rezaei, if that matters.",
        (("CREDIT_CARD", "3451 583904 98566"), ("PERSON", "Hamid Rezaei")),
        category="chat",
    ),
    Labelled(
        "Sunny and I need a reply to our wedding venue about the deposit. Our shared e-mail is "
        "sunnyandmo@example.net and my number is +44 7700 900123. Make it sound grown-up please.",
        (("PERSON", "Sunny"), ("EMAIL", "sunnyandmo@example.net"), ("PHONE", "+44 7700 900123")),
        category="chat",
    ),
    Labelled(
        "Please rewrite this bio in a warmer tone: Lars Eriksson was born on 2 February 1975 in Tromsø and "
        "now lives in Bergen, Norway, where he teaches chemistry and coaches the school chess club.",
        (
            ("PERSON", "Lars Eriksson"),
            ("DATE_OF_BIRTH", "2 February 1975"),
            ("LOCATION", "Tromsø"),
            ("LOCATION", "Bergen, Norway"),
        ),
        category="chat",
    ),
    Labelled(
        "Quick q: is 6175550134 a valid format for the phone field or do I need dashes? It's my own "
        "number. Thanks, Hope Mitchell",
        (("PHONE", "6175550134"), ("PERSON", "Hope Mitchell")),
        category="chat",
    ),
    Labelled(
        "My UnionPay 6252 3357 0862 1455 034 isn't accepted at checkout. Does your shop take 19-digit "
        "cards at all? - Zhang Wei",
        (("CREDIT_CARD", "6252 3357 0862 1455 034"), ("PERSON", "Zhang Wei")),
        category="chat",
    ),
    Labelled(
        "Paid with my Maestro 6759 1368 3134 7975 120 an hour ago but no confirmation mail has arrived and "
        "the order page is blank. Did it go through?",
        (("CREDIT_CARD", "6759 1368 3134 7975 120"),),
        category="chat",
    ),
    Labelled(
        "Hi, this is Anh. I used my Discover 6443 9167 2483 8817 on the 2nd and got hit with a foreign "
        "transaction fee. I thought Discover didn't charge those?",
        (("PERSON", "Anh"), ("CREDIT_CARD", "6443 9167 2483 8817")),
        category="chat",
    ),
    Labelled(
        "is 30053588659386 a valid diners number?? my dad Bill wants to pay the bill for the cabin with "
        "it and the form keeps rejecting it",
        (("CREDIT_CARD", "30053588659386"), ("PERSON", "Bill")),
        category="chat",
    ),
    Labelled(
        "New card: 2367 9403 2786 4278. Can you explain why the subscription still tries the old one? "
        "Call me on 555-0143 if it's easier, I'm around all afternoon.",
        (("CREDIT_CARD", "2367 9403 2786 4278"), ("PHONE", "555-0143")),
        category="chat",
    ),
    Labelled(
        "Help me fill in the 1040: my SSN is 987654326 and my wife Marisol Vega's is 987-65-4322. Do we "
        "file jointly if she moved back to Monterrey, Mexico in October?",
        (
            ("US_SSN", "987654326"),
            ("PERSON", "Marisol Vega"),
            ("US_SSN", "987-65-4322"),
            ("LOCATION", "Monterrey, Mexico"),
        ),
        category="chat",
    ),
    Labelled(
        "Write a birthday poem for my friend kemal, he was born 1990-06-21 and loves football and bad "
        "puns. Four lines max.",
        (("PERSON", "kemal"), ("DATE_OF_BIRTH", "1990-06-21")),
        category="chat",
    ),
    # --- support tickets ------------------------------------------------------------------------------
    Labelled(
        "Ticket #48213907: Customer Wanjiru Kamau (wanjiru.kamau@example.co.ke) reports her parcel never "
        "reached House 12, Ngong Road, Kilimani, Nairobi 00100. Callback requested on +254 712 345 678.",
        (
            ("PERSON", "Wanjiru Kamau"),
            ("EMAIL", "wanjiru.kamau@example.co.ke"),
            ("ADDRESS", "House 12, Ngong Road, Kilimani, Nairobi 00100"),
            ("PHONE", "+254 712 345 678"),
        ),
        category="ticket",
    ),
    Labelled(
        "Subject: refund to a different account\nCard used: 5161-3366-7862-0578. Customer asks for the "
        "refund to go to IBAN PL61 1090 1014 0000 0712 1981 2874 instead. cc Marta Wiśniewska",
        (
            ("CREDIT_CARD", "5161-3366-7862-0578"),
            ("IBAN", "PL61 1090 1014 0000 0712 1981 2874"),
            ("PERSON", "Marta Wiśniewska"),
        ),
        category="ticket",
    ),
    Labelled(
        "Escalated by Priyanka: user Rohan Iyer cannot verify his account. DOB on file 1991-07-23, mobile "
        "+91 98450 12345. Please check the KYC provider logs before replying.",
        (
            ("PERSON", "Priyanka"),
            ("PERSON", "Rohan Iyer"),
            ("DATE_OF_BIRTH", "1991-07-23"),
            ("PHONE", "+91 98450 12345"),
        ),
        category="ticket",
    ),
    Labelled(
        "P2: login loop for Ngozi Eze since the 2.8.1 update. Device iPhone 13, iOS 17.4, last seen from "
        "198.51.100.42, account e-mail ngozi.eze@example.org. Clearing the cache did not help.",
        (("PERSON", "Ngozi Eze"), ("IP", "198.51.100.42"), ("EMAIL", "ngozi.eze@example.org")),
        category="ticket",
    ),
    Labelled(
        "Reopened: customer Mateus Oliveira is still waiting for the replacement router. Shipping address: "
        "Rua Augusta, 1508, apto 72, Consolação, São Paulo - SP, 01304-001. WhatsApp +55 11 98765-4321.",
        (
            ("PERSON", "Mateus Oliveira"),
            ("ADDRESS", "Rua Augusta, 1508, apto 72, Consolação, São Paulo - SP, 01304-001"),
            ("PHONE", "+55 11 98765-4321"),
        ),
        category="ticket",
    ),
    Labelled(
        "Billing dispute: Diners Club 3686 260382 3395 charged twice on invoice INV-2024-0091. Cardholder "
        "Ahmed Al-Farsi lives in Dubai; reach him at +971 50 123 4567 after 6pm local time.",
        (
            ("CREDIT_CARD", "3686 260382 3395"),
            ("PERSON", "Ahmed Al-Farsi"),
            ("LOCATION", "Dubai"),
            ("PHONE", "+971 50 123 4567"),
        ),
        category="ticket",
    ),
    Labelled(
        "Hi, it's Siosaia Taufa. The VPN drops every ten minutes when I connect from 203.0.113.18. My "
        "manager Mele Fifita asked me to raise this as urgent because payroll closes Friday.",
        (("PERSON", "Siosaia Taufa"), ("IP", "203.0.113.18"), ("PERSON", "Mele Fifita")),
        category="ticket",
    ),
    Labelled(
        "Customer rang from 020 7946 0734 asking to change the delivery address on order 58302214 to "
        "Flat 2, 27 Holloway Road, London N7 8JG. Name on the account: Bukola Adeyemi-Jones.",
        (
            ("PHONE", "020 7946 0734"),
            ("ADDRESS", "Flat 2, 27 Holloway Road, London N7 8JG"),
            ("PERSON", "Bukola Adeyemi-Jones"),
        ),
        category="ticket",
    ),
    Labelled(
        "JCB card 3528 1903 2348 3020 rejected at checkout with response code 05. Customer Haruto Watanabe "
        "says his bank sees no attempt. Contact 090-5555-0123.",
        (
            ("CREDIT_CARD", "3528 1903 2348 3020"),
            ("PERSON", "Haruto Watanabe"),
            ("PHONE", "090-5555-0123"),
        ),
        category="ticket",
    ),
    Labelled(
        "Account deletion request from Kateryna Bondarenko, born 12.05.1993, e-mail kateryna.b@example.com. "
        "She has moved to Warsaw, Poland and no longer needs the service.",
        (
            ("PERSON", "Kateryna Bondarenko"),
            ("DATE_OF_BIRTH", "12.05.1993"),
            ("EMAIL", "kateryna.b@example.com"),
            ("LOCATION", "Warsaw, Poland"),
        ),
        category="ticket",
    ),
    Labelled(
        "Payment failed: Discover 6542-3490-4303-0488 returned an AVS mismatch for billing address "
        "1187 Juniper Hollow Rd, Boulder, CO 80302. Cardholder Jordan Reyes insists it's correct.",
        (
            ("CREDIT_CARD", "6542-3490-4303-0488"),
            ("ADDRESS", "1187 Juniper Hollow Rd, Boulder, CO 80302"),
            ("PERSON", "Jordan Reyes"),
        ),
        category="ticket",
    ),
    Labelled(
        "from sunita: 'my ssn is 987-65-4324 and the tax form still says it is invalid, please help before "
        "the deadline, i have tried everything'",
        (("PERSON", "sunita"), ("US_SSN", "987-65-4324")),
        category="ticket",
    ),
    Labelled(
        "Customer reports UnionPay 6201 3325 9795 7175 works in store but fails online with 3DS_TIMEOUT. "
        "Customer: Li Xiaoming, phone +86 138 0013 8000, prefers a call in Mandarin.",
        (
            ("CREDIT_CARD", "6201 3325 9795 7175"),
            ("PERSON", "Li Xiaoming"),
            ("PHONE", "+86 138 0013 8000"),
        ),
        category="ticket",
    ),
    Labelled(
        "Chargeback on JCB 3589-3129-4354-0221 for order 99120473. Sipho Ndlovu says the goods never "
        "arrived at 31 Jan Smuts Avenue, Parktown, Johannesburg 2193. Courier proof of delivery missing.",
        (
            ("CREDIT_CARD", "3589-3129-4354-0221"),
            ("PERSON", "Sipho Ndlovu"),
            ("ADDRESS", "31 Jan Smuts Avenue, Parktown, Johannesburg 2193"),
        ),
        category="ticket",
    ),
    Labelled(
        "Ticket 3318: Mr. Ravi Shankar Pillai cannot receive OTPs on 0091 80 5555 0123. Please resend to "
        "ravi.pillai@example.in and note that he travels to Chennai every other week.",
        (
            ("PERSON", "Ravi Shankar Pillai"),
            ("PHONE", "0091 80 5555 0123"),
            ("EMAIL", "ravi.pillai@example.in"),
            ("LOCATION", "Chennai"),
        ),
        category="ticket",
    ),
    # --- CRM notes ----------------------------------------------------------------------------------------
    Labelled(
        "Met Kwabena Asante at the fintech meetup last night. Interested in the enterprise tier for 40 "
        "seats. Mobile +233 24 555 0190, e-mail kwabena@asante-logistics.example. Follow up next week.",
        (
            ("PERSON", "Kwabena Asante"),
            ("PHONE", "+233 24 555 0190"),
            ("EMAIL", "kwabena@asante-logistics.example"),
        ),
        category="crm",
    ),
    Labelled(
        "Account owner: Ingrid Solberg. Decision maker is her CFO, Mr. Henrik Dahl; he prefers calls "
        "before noon on +47 912 34 567 and hates long decks.",
        (("PERSON", "Ingrid Solberg"), ("PERSON", "Henrik Dahl"), ("PHONE", "+47 912 34 567")),
        category="crm",
    ),
    Labelled(
        "Lead: Aroha Ngata, based in Wellington. Wants a demo for 12 seats. Phone +64 21 555 0147. Notes: "
        "dislikes cold calls, prefers e-mail at aroha.ngata@example.nz.",
        (
            ("PERSON", "Aroha Ngata"),
            ("LOCATION", "Wellington"),
            ("PHONE", "+64 21 555 0147"),
            ("EMAIL", "aroha.ngata@example.nz"),
        ),
        category="crm",
    ),
    Labelled(
        "Renewal call with Dr. Fatemeh Hosseini went well; she'll sign if we match last year's price. Her "
        "assistant is Parisa (+49 151 2345 6789), book the follow-up through her.",
        (("PERSON", "Fatemeh Hosseini"), ("PERSON", "Parisa"), ("PHONE", "+49 151 2345 6789")),
        category="crm",
    ),
    Labelled(
        "Customer since 2019. Primary contact Chukwuemeka Obi, who works from home at 15 Adeola Odeku "
        "Street, Victoria Island, Lagos. Billing contact is Grace Okoro (grace.okoro@example.com).",
        (
            ("PERSON", "Chukwuemeka Obi"),
            ("ADDRESS", "15 Adeola Odeku Street, Victoria Island, Lagos"),
            ("PERSON", "Grace Okoro"),
            ("EMAIL", "grace.okoro@example.com"),
        ),
        category="crm",
    ),
    Labelled(
        "Note from call: Mrs Siti Nurhaliza Rahman wants invoices in Malay from now on. Lives in "
        "Johor Bahru, Malaysia; direct line +60 12-345 6789.",
        (
            ("PERSON", "Siti Nurhaliza Rahman"),
            ("LOCATION", "Johor Bahru, Malaysia"),
            ("PHONE", "+60 12-345 6789"),
        ),
        category="crm",
    ),
    Labelled(
        "VIP: Alejandro Gutiérrez Morales, born 30/11/1982, card on file 5570 3224 1007 0111. Upgrade to "
        "the gold tier approved by Sunny Park.",
        (
            ("PERSON", "Alejandro Gutiérrez Morales"),
            ("DATE_OF_BIRTH", "30/11/1982"),
            ("CREDIT_CARD", "5570 3224 1007 0111"),
            ("PERSON", "Sunny Park"),
        ),
        category="crm",
    ),
    Labelled(
        "Prospect: Björn Lindgren, head of ops. Moved from Gothenburg to Oslo in January and is setting up "
        "the new team there. Prefers WhatsApp: +46 70 123 45 67.",
        (
            ("PERSON", "Björn Lindgren"),
            ("LOCATION", "Gothenburg"),
            ("LOCATION", "Oslo"),
            ("PHONE", "+46 70 123 45 67"),
        ),
        category="crm",
    ),
    Labelled(
        "Spoke with Mr Juan Pablo Restrepo about the overdue balance. He will pay from ES28 2100 0418 4502 "
        "0005 1399 by Friday. Home address: Calle de Alcalá 48, 3º izq., 28014 Madrid.",
        (
            ("PERSON", "Juan Pablo Restrepo"),
            ("IBAN", "ES28 2100 0418 4502 0005 1399"),
            ("ADDRESS", "Calle de Alcalá 48, 3º izq., 28014 Madrid"),
        ),
        category="crm",
    ),
    Labelled(
        "Contact card\nName: Olga Petrenko\nPhone: 0044 20 7946 0999\nEmail: olga.petrenko@example.org\n"
        "City: Manchester, UK\nSource: webinar sign-up",
        (
            ("PERSON", "Olga Petrenko"),
            ("PHONE", "0044 20 7946 0999"),
            ("EMAIL", "olga.petrenko@example.org"),
            ("LOCATION", "Manchester, UK"),
        ),
        category="crm",
    ),
    Labelled(
        "Customer Tevita Havili asked us to keep 2720779338558947 on file for the monthly plan. Confirmed "
        "verbally on (808) 555-0112, recording saved.",
        (
            ("PERSON", "Tevita Havili"),
            ("CREDIT_CARD", "2720779338558947"),
            ("PHONE", "(808) 555-0112"),
        ),
        category="crm",
    ),
    Labelled(
        "Account review: Lucía Fernández, SSN 987-65-4329, address 4410 Sycamore Lane, Apt 7C, Tucson, "
        "AZ 85719. Flagged for manual KYC because the SSN check timed out.",
        (
            ("PERSON", "Lucía Fernández"),
            ("US_SSN", "987-65-4329"),
            ("ADDRESS", "4410 Sycamore Lane, Apt 7C, Tucson, AZ 85719"),
        ),
        category="crm",
    ),
    Labelled(
        "Card on file updated: Maestro 5018 7895 5731 3357 (exp 11/28). Requested by May Thornton over the "
        "phone; she also asked us to stop the paper statements.",
        (("CREDIT_CARD", "5018 7895 5731 3357"), ("PERSON", "May Thornton")),
        category="crm",
    ),
    Labelled(
        "Onboarding: Mariam Tesfaye joins as account manager for the logistics vertical, reporting to "
        "Otieno Odhiambo. She relocated from Addis Ababa to Kisumu, Kenya. Desk phone +254 20 555 0166.",
        (
            ("PERSON", "Mariam Tesfaye"),
            ("PERSON", "Otieno Odhiambo"),
            ("LOCATION", "Addis Ababa"),
            ("LOCATION", "Kisumu, Kenya"),
            ("PHONE", "+254 20 555 0166"),
        ),
        category="crm",
    ),
    Labelled(
        "Call log: spoke to Ji-hoon Choi re: contract renewal, he asked for a 10% discount. "
        "Cell (917) 555-0138, e-mail jihoon.choi@example.kr. Next step: legal review.",
        (
            ("PERSON", "Ji-hoon Choi"),
            ("PHONE", "(917) 555-0138"),
            ("EMAIL", "jihoon.choi@example.kr"),
        ),
        category="crm",
    ),
    # --- e-mails ------------------------------------------------------------------------------------------
    Labelled(
        "Hi Oluwaseun,\n\nThanks for the quick turnaround. Could you send the contract to my colleague "
        "Abebe Girma (abebe.girma@example.com)? He's based in Addis Ababa, Ethiopia now.\n\nBest,\nMarek",
        (
            ("PERSON", "Oluwaseun"),
            ("PERSON", "Abebe Girma"),
            ("EMAIL", "abebe.girma@example.com"),
            ("LOCATION", "Addis Ababa, Ethiopia"),
            ("PERSON", "Marek"),
        ),
        category="email",
    ),
    Labelled(
        "Dear Ms Nakashima,\n\nYour appointment with Dr. Kenji Mori is confirmed for 14/03/2025 at 10:00. "
        "Please arrive 15 minutes early and bring your insurance card.\n\nKind regards,\nReception",
        (("PERSON", "Nakashima"), ("PERSON", "Kenji Mori"), ("PERSONAL_DATE", "14/03/2025")),
        category="email",
    ),
    Labelled(
        "Dear Prof. Adaeze Nwosu,\n\nWe would be delighted if you could give the keynote at our spring "
        "workshop. Please send your bio and a photo when convenient.\n\nRegards,\nLiam O'Sullivan\n"
        "+353 1 555 0148",
        (("PERSON", "Adaeze Nwosu"), ("PERSON", "Liam O'Sullivan"), ("PHONE", "+353 1 555 0148")),
        category="email",
    ),
    Labelled(
        "Hi Wei,\n\nI've attached the signed NDA. My new address for couriers is Lindenstraße 42, "
        "10969 Berlin, and the landline there is +49 30 5555 0123.\n\nCheers,\nJonas Becker",
        (
            ("PERSON", "Wei"),
            ("ADDRESS", "Lindenstraße 42, 10969 Berlin"),
            ("PHONE", "+49 30 5555 0123"),
            ("PERSON", "Jonas Becker"),
        ),
        category="email",
    ),
    Labelled(
        "From: Amina Yusuf <amina.yusuf@example.ng>\nTo: Dev Patel <dev.patel@example.co.uk>\n"
        "Subject: flights\n\nI land on the 3rd of June, any chance you can pick me up?",
        (
            ("PERSON", "Amina Yusuf"),
            ("EMAIL", "amina.yusuf@example.ng"),
            ("PERSON", "Dev Patel"),
            ("EMAIL", "dev.patel@example.co.uk"),
            ("PERSONAL_DATE", "3rd of June"),
        ),
        category="email",
    ),
    Labelled(
        "Dear Mr Oyelaran-Smith,\n\nRe: the estate of the late Samuel Oyelaran (died 2 January 2025). We "
        "enclose the probate forms; please return them signed within 28 days.\n\nYours sincerely,\n"
        "Catherine Holt",
        (
            ("PERSON", "Oyelaran-Smith"),
            ("PERSON", "Samuel Oyelaran"),
            ("PERSONAL_DATE", "2 January 2025"),
            ("PERSON", "Catherine Holt"),
        ),
        category="email",
    ),
    Labelled(
        "Let me know if Thursday works for the tasting.\n\nRegards,\nNomvula Dlamini\nSenior Buyer\n"
        "M: +27 82 555 0123\nE: nomvula.dlamini@example.co.za",
        (
            ("PERSON", "Nomvula Dlamini"),
            ("PHONE", "+27 82 555 0123"),
            ("EMAIL", "nomvula.dlamini@example.co.za"),
        ),
        category="email",
    ),
    Labelled(
        "Hi team, please reimburse my conference ticket. Bank details: NO93 8601 1117 947, account holder "
        "Sigrid Haugen. Receipt attached. Thanks!",
        (("IBAN", "NO93 8601 1117 947"), ("PERSON", "Sigrid Haugen")),
        category="email",
    ),
    Labelled(
        "Hi Ana,\nthe sample kit goes to Unit 5, 18 Beach Road, Bondi NSW 2026 - please ring 0491 570 110 "
        "when you're outside, the buzzer is dead.\nta, Mick",
        (
            ("PERSON", "Ana"),
            ("ADDRESS", "Unit 5, 18 Beach Road, Bondi NSW 2026"),
            ("PHONE", "0491 570 110"),
            ("PERSON", "Mick"),
        ),
        category="email",
    ),
    Labelled(
        "Dear Mrs Chowdhury,\n\nYour daughter Ayesha's vaccination is booked for March 14, 2025 at the "
        "Elm Street clinic. If you need to reschedule, simply reply to this message.\n\nThe practice team",
        (("PERSON", "Chowdhury"), ("PERSON", "Ayesha"), ("PERSONAL_DATE", "March 14, 2025")),
        category="email",
    ),
    Labelled(
        "Hello,\nI am writing on behalf of my brother Farid Haddad, who was admitted on 2025-02-11 and "
        "discharged on 2025-02-19. Please send the invoice to farid.haddad@example.com.\nThanks, Leila",
        (
            ("PERSON", "Farid Haddad"),
            ("PERSONAL_DATE", "2025-02-11"),
            ("PERSONAL_DATE", "2025-02-19"),
            ("EMAIL", "farid.haddad@example.com"),
            ("PERSON", "Leila"),
        ),
        category="email",
    ),
    Labelled(
        "Hi Joy,\n\nThe registration fee went on the company Diners card, 3888 947617 8050, so don't pay it "
        "again. Receipts are in the shared folder.\n\nBest wishes,\nKhadija",
        (("PERSON", "Joy"), ("CREDIT_CARD", "3888 947617 8050"), ("PERSON", "Khadija")),
        category="email",
    ),
    Labelled(
        "Bonjour Camille,\n\nPlease update my postal address to 12 rue des Lilas, 69003 Lyon before the "
        "next statement. My mobile is +33 1 99 00 12 34 if anything is unclear.\n\nMerci,\nÉloïse Martin",
        (
            ("PERSON", "Camille"),
            ("ADDRESS", "12 rue des Lilas, 69003 Lyon"),
            ("PHONE", "+33 1 99 00 12 34"),
            ("PERSON", "Éloïse Martin"),
        ),
        category="email",
    ),
    Labelled(
        "Good morning,\n\nSigned, sealed and attached. For the wire, use AE07 0331 2345 6789 0123 456 "
        "(Emirates branch).\n\nSigned,\nYousef Khalil\nProcurement",
        (("IBAN", "AE07 0331 2345 6789 0123 456"), ("PERSON", "Yousef Khalil")),
        category="email",
    ),
    # --- application logs ---------------------------------------------------------------------------------
    Labelled(
        "2025-03-14T08:12:44.118Z INFO auth.login ok user_email=chiamaka.obi@example.com src_ip=192.0.2.17 "
        "mfa=totp duration_ms=84",
        (("EMAIL", "chiamaka.obi@example.com"), ("IP", "192.0.2.17")),
        category="log",
    ),
    Labelled(
        "[2025-03-14 09:01:03,552] WARNING sms.gateway: delivery failed to +44 7700 900456 (carrier timeout "
        "after 30s), retry 2/5",
        (("PHONE", "+44 7700 900456"),),
        category="log",
    ),
    Labelled(
        'ERROR 2025-03-14 10:22:15 payments.charge customer="Rafael Souza" card=6011912916924079 '
        "amount=149.90 currency=BRL decline=insufficient_funds",
        (("PERSON", "Rafael Souza"), ("CREDIT_CARD", "6011912916924079")),
        category="log",
    ),
    Labelled(
        '203.0.113.54 - - [14/Mar/2025:11:05:09 +0000] "POST /api/v2/profile?email=mei.tanaka@example.jp '
        'HTTP/1.1" 422 311 "-" "okhttp/4.12.0"',
        (("IP", "203.0.113.54"), ("EMAIL", "mei.tanaka@example.jp")),
        category="log",
    ),
    Labelled(
        '{"level":"info","ts":"2025-03-14T12:00:01Z","msg":"profile updated","user":{"name":"Dmitri '
        'Sokolov","phone":"+7 912 555-01-23","city":"Novosibirsk"},"request_id":'
        '"9b1c2e4f-7a7d-4c55-bd13-0f5e2a6c9d10"}',
        (("PERSON", "Dmitri Sokolov"), ("PHONE", "+7 912 555-01-23"), ("LOCATION", "Novosibirsk")),
        category="log",
    ),
    Labelled(
        "Mar 14 13:37:02 edge-3 sshd[4121]: Failed password for invalid user admin from 2001:db8:4f2a::17 "
        "port 51234 ssh2",
        (("IP", "2001:db8:4f2a::17"),),
        category="log",
    ),
    Labelled(
        "INFO  [notify] queued reminder patient_name='Esi Mensah' appt_date=2025-03-18 appt_time=09:30 "
        "phone=(202) 555-0161 channel=sms",
        (("PERSON", "Esi Mensah"), ("PERSONAL_DATE", "2025-03-18"), ("PHONE", "(202) 555-0161")),
        category="log",
    ),
    Labelled(
        "2025-03-14 14:02:11 DEBUG checkout: billing_iban=FR76 3000 6000 0112 3456 7890 189 "
        "holder='Camille Laurent' ip=198.51.100.203 step=confirm",
        (
            ("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
            ("PERSON", "Camille Laurent"),
            ("IP", "198.51.100.203"),
        ),
        category="log",
    ),
    Labelled(
        "worker-2 | 2025-03-14T15:16:17Z ERROR twilio: error 21211 invalid 'To' number +1-305-555-0187 "
        'contact_name="Will Harrington" attempt=3',
        (("PHONE", "+1-305-555-0187"), ("PERSON", "Will Harrington")),
        category="log",
    ),
    Labelled(
        "audit: user li.na@example.cn exported 1,204 rows from table customers at 2025-03-14 16:40:02 UTC "
        "from 192.0.2.201 (role=analyst)",
        (("EMAIL", "li.na@example.cn"), ("IP", "192.0.2.201")),
        category="log",
    ),
    Labelled(
        "DEBUG httpx: request headers {'authorization': 'Bearer "
        "sk-proj-RHq3PNTbV6smHtGpGL43CKhh0tuH4gLHyreE3IwETcUHZ9l0', 'user-agent': 'openai-python/1.40.0'}",
        (("API_KEY", "sk-proj-RHq3PNTbV6smHtGpGL43CKhh0tuH4gLHyreE3IwETcUHZ9l0"),),
        category="log",
    ),
    Labelled(
        "2025-03-14T17:03:44Z INFO otp: sms sent to=+81 90-1234-5678 template=otp_v2 latency=212ms "
        "provider=aws-sns",
        (("PHONE", "+81 90-1234-5678"),),
        category="log",
    ),
    Labelled(
        "card_bin_lookup pan=5020520017750 result=maestro issuer_country=GB took=3ms; "
        "card_bin_lookup pan=630459518543896824 result=maestro issuer_country=IE took=2ms",
        (("CREDIT_CARD", "5020520017750"), ("CREDIT_CARD", "630459518543896824")),
        category="log",
    ),
    Labelled(
        "WARN  crm.sync: duplicate contact merged: 'Kofi Boateng' <kofi.b@example.gh> +233 20 555 0110, "
        "kept id=88127, dropped id=88129",
        (("PERSON", "Kofi Boateng"), ("EMAIL", "kofi.b@example.gh"), ("PHONE", "+233 20 555 0110")),
        category="log",
    ),
    Labelled(
        "2025-03-14 18:20:00 ERROR refund: Discover 6492 3401 3337 1874 rejected, user=Paulo Mendes "
        "ip=2001:db8:a0b:12f0::1 code=R05",
        (
            ("CREDIT_CARD", "6492 3401 3337 1874"),
            ("PERSON", "Paulo Mendes"),
            ("IP", "2001:db8:a0b:12f0::1"),
        ),
        category="log",
    ),
    # --- code and configuration ---------------------------------------------------------------------------
    Labelled(
        'DATABASES = {"default": {"USER": "app", "PASSWORD": "Hunter2-Prod!2024", "HOST": "db.internal"}}\n'
        'ADMINS = [("Kwesi Ampofo", "kwesi.ampofo@example.com")]',
        (
            ("API_KEY", "Hunter2-Prod!2024"),
            ("PERSON", "Kwesi Ampofo"),
            ("EMAIL", "kwesi.ampofo@example.com"),
        ),
        category="code",
    ),
    Labelled(
        "const stripe = require('stripe')('sk_test_dwrhtWNfF5CmZlNAjw7HBkaT'); // TODO move to env, ask "
        "Svetlana which account this is",
        (("API_KEY", "sk_test_dwrhtWNfF5CmZlNAjw7HBkaT"), ("PERSON", "Svetlana")),
        category="code",
    ),
    Labelled(
        "# .env.local\nHF_TOKEN=hf_qKp7oZLK0G4wXR7gvBdknN938Wwhr648Pj\n"
        "GITLAB_TOKEN=glpat-rEbMWIexH2P3zQkTJCCb\nALERT_EMAIL=r.kapoor@example.in\nLOG_LEVEL=debug",
        (
            ("API_KEY", "hf_qKp7oZLK0G4wXR7gvBdknN938Wwhr648Pj"),
            ("API_KEY", "glpat-rEbMWIexH2P3zQkTJCCb"),
            ("EMAIL", "r.kapoor@example.in"),
        ),
        category="code",
    ),
    Labelled(
        'user = User(name="Nguyễn Văn An", email="an.nguyen@example.vn", phone="+84 912 345 678", '
        'dob="1990-04-17")\nassert user.age_on(date(2025, 1, 1)) == 34',
        (
            ("PERSON", "Nguyễn Văn An"),
            ("EMAIL", "an.nguyen@example.vn"),
            ("PHONE", "+84 912 345 678"),
            ("DATE_OF_BIRTH", "1990-04-17"),
        ),
        category="code",
    ),
    Labelled(
        "smtp:\n  host: smtp.example.com\n  port: 587\n  username: hamza.qureshi@example.pk\n"
        "  password: 'Zx9!pQ7#vL2m'\nallowlist:\n  - 203.0.113.77",
        (
            ("EMAIL", "hamza.qureshi@example.pk"),
            ("API_KEY", "Zx9!pQ7#vL2m"),
            ("IP", "203.0.113.77"),
        ),
        category="code",
    ),
    Labelled(
        "INSERT INTO customers (full_name, email, card_number) VALUES ('Thandiwe Nkosi', "
        "'thandi.nkosi@example.co.za', '373083718742138');",
        (
            ("PERSON", "Thandiwe Nkosi"),
            ("EMAIL", "thandi.nkosi@example.co.za"),
            ("CREDIT_CARD", "373083718742138"),
        ),
        category="code",
    ),
    Labelled(
        'curl https://api.anthropic.com/v1/messages -H "x-api-key: ' + _ANTHROPIC_KEY + '" '
        '-d \'{"messages":[{"role":"user","content":"Summarize the complaint from Ioana Popescu"}]}\'',
        (("API_KEY", _ANTHROPIC_KEY), ("PERSON", "Ioana Popescu")),
        category="code",
    ),
    Labelled(
        '{"fixture": "customer_br", "name": "Ana Beatriz Costa", '
        '"iban": "BR97 0036 0305 0000 1000 9795 493P 1", "city": "Recife"}',
        (
            ("PERSON", "Ana Beatriz Costa"),
            ("IBAN", "BR97 0036 0305 0000 1000 9795 493P 1"),
            ("LOCATION", "Recife"),
        ),
        category="code",
    ),
    Labelled(
        '[user]\n\tname = Aigerim Nurlanovna\n\temail = aigerim.n@example.kz\n[remote "origin"]\n'
        "\turl = https://" + _GITHUB_FINE_GRAINED + "@github.com/acme/billing.git",
        (
            ("PERSON", "Aigerim Nurlanovna"),
            ("EMAIL", "aigerim.n@example.kz"),
            ("API_KEY", _GITHUB_FINE_GRAINED),
        ),
        category="code",
    ),
    Labelled(
        'provider "aws" {\n  region     = "eu-west-1"\n  access_key = "AKIAP514MS4LMDTQZOSS"\n'
        '  secret_key = "XPwQeQZT6Hm2hSLm6vKjMu8WXRnoKxKlbtQHevtj"\n}\n# owner: pedro.alvarez@example.mx',
        (
            ("API_KEY", "AKIAP514MS4LMDTQZOSS"),
            ("API_KEY", "XPwQeQZT6Hm2hSLm6vKjMu8WXRnoKxKlbtQHevtj"),
            ("EMAIL", "pedro.alvarez@example.mx"),
        ),
        category="code",
    ),
    Labelled(
        'const MAPS_KEY = "AIzaO_URo9slkhA3dltWW3PGWAaXZw2M31atfDw"; // billed to Dmitri\'s card, rotate '
        "after the demo",
        (("API_KEY", "AIzaO_URo9slkhA3dltWW3PGWAaXZw2M31atfDw"), ("PERSON", "Dmitri")),
        category="code",
    ),
    Labelled(
        'Customer c = new Customer("Hemi Walker", "4525760770028183838", LocalDate.parse("1986-09-02"));\n'
        "assertTrue(validator.isValid(c));",
        (
            ("PERSON", "Hemi Walker"),
            ("CREDIT_CARD", "4525760770028183838"),
            ("DATE_OF_BIRTH", "1986-09-02"),
        ),
        category="code",
    ),
    Labelled(
        'TEST_CARDS = {\n    "visa_13": "4557489504873",\n    "amex": "3723 310839 28480",\n}\n'
        "# from the sandbox account of ashok.menon@example.in",
        (
            ("CREDIT_CARD", "4557489504873"),
            ("CREDIT_CARD", "3723 310839 28480"),
            ("EMAIL", "ashok.menon@example.in"),
        ),
        category="code",
    ),
    Labelled(
        "headers = {'Authorization': 'Bearer zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3RnjDQl'}\n"
        "resp = requests.post(URL, json={'to': 'ewa.kaczmarek@example.pl', 'template': 'welcome'})",
        (
            ("API_KEY", "zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3RnjDQl"),
            ("EMAIL", "ewa.kaczmarek@example.pl"),
        ),
        category="code",
    ),
    # --- clinical notes -----------------------------------------------------------------------------------
    Labelled(
        "Pt: Amara Okafor, DOB 07/09/1962. Admitted 2025-03-02 with community-acquired pneumonia, "
        "discharged 2025-03-09 on oral amoxicillin. GP: Dr. Helen Marsh.",
        (
            ("PERSON", "Amara Okafor"),
            ("DATE_OF_BIRTH", "07/09/1962"),
            ("PERSONAL_DATE", "2025-03-02"),
            ("PERSONAL_DATE", "2025-03-09"),
            ("PERSON", "Helen Marsh"),
        ),
        category="clinical",
    ),
    Labelled(
        "Dear Dr. Raghavan, I would be grateful if you could see Mr Ikechukwu Nnamdi (DOB 19.04.1957) about "
        "worsening angina. He lives alone at 42 Marlowe Road, Leeds LS6 2AB, tel 0113 496 0555.",
        (
            ("PERSON", "Raghavan"),
            ("PERSON", "Ikechukwu Nnamdi"),
            ("DATE_OF_BIRTH", "19.04.1957"),
            ("ADDRESS", "42 Marlowe Road, Leeds LS6 2AB"),
            ("PHONE", "0113 496 0555"),
        ),
        category="clinical",
    ),
    Labelled(
        "Nursing note: Mrs. Rosa Delgado (78) fell at home overnight, no head injury. Daughter Marisol "
        "informed by phone on (505) 555-0176. Next review Mar 20th.",
        (
            ("PERSON", "Rosa Delgado"),
            ("PERSON", "Marisol"),
            ("PHONE", "(505) 555-0176"),
            ("PERSONAL_DATE", "Mar 20th"),
        ),
        category="clinical",
    ),
    Labelled(
        "Discharge summary - patient Hinemoa Tane, born 22 August 1948. Left hip replacement performed on "
        "4 March 2025; discharged 11/03/2025 to her home in Rotorua, New Zealand.",
        (
            ("PERSON", "Hinemoa Tane"),
            ("DATE_OF_BIRTH", "22 August 1948"),
            ("PERSONAL_DATE", "4 March 2025"),
            ("PERSONAL_DATE", "11/03/2025"),
            ("LOCATION", "Rotorua, New Zealand"),
        ),
        category="clinical",
    ),
    Labelled(
        "Clinic letter: Ms Yuki Hasegawa attended on 2025-03-12. HbA1c 58 mmol/mol, up from 52. Plan: "
        "increase metformin to 1 g BD, review in 3 months. Copy to GP, Dr. Paul Whitaker.",
        (("PERSON", "Yuki Hasegawa"), ("PERSONAL_DATE", "2025-03-12"), ("PERSON", "Paul Whitaker")),
        category="clinical",
    ),
    Labelled(
        "S: 34F, Fatima Zahra Benali, c/o migraines for 3 weeks. Lives in Casablanca, currently visiting "
        "her sister in Leeds. Contact +212 661 555 014. O: BP 128/82, neuro exam normal.",
        (
            ("PERSON", "Fatima Zahra Benali"),
            ("LOCATION", "Casablanca"),
            ("LOCATION", "Leeds"),
            ("PHONE", "+212 661 555 014"),
        ),
        category="clinical",
    ),
    Labelled(
        "Death certificate draft: Kamal Hossain, date of death 01/02/2025, place of death: home, "
        "House 7, Road 45, Gulshan 2, Dhaka 1212. Informant: son, Rafiq Hossain.",
        (
            ("PERSON", "Kamal Hossain"),
            ("PERSONAL_DATE", "01/02/2025"),
            ("ADDRESS", "House 7, Road 45, Gulshan 2, Dhaka 1212"),
            ("PERSON", "Rafiq Hossain"),
        ),
        category="clinical",
    ),
    Labelled(
        "Triage: patient asks us to 'call my husband Tomás on +61 491 570 156, he's picking me up'. "
        "BP 142/88, HR 96, SpO2 97% on room air, pain 6/10.",
        (("PERSON", "Tomás"), ("PHONE", "+61 491 570 156")),
        category="clinical",
    ),
    Labelled(
        "Pre-op checklist for Olumide Adebayo: surgery scheduled 21/03/2025, consent signed, fasting from "
        "midnight. Allergies: penicillin. NOK: wife, Funmilayo, +234 809 555 0177.",
        (
            ("PERSON", "Olumide Adebayo"),
            ("PERSONAL_DATE", "21/03/2025"),
            ("PERSON", "Funmilayo"),
            ("PHONE", "+234 809 555 0177"),
        ),
        category="clinical",
    ),
    Labelled(
        "Patient Mohammed Al-Rashid (DOB 1979-10-05), SSN 987-65-4323 for the US insurer, admitted "
        "03/10/2025 via ED. Address: Flat 402, Shanti Apartments, 14th Cross Road, Indiranagar, "
        "Bengaluru 560038.",
        (
            ("PERSON", "Mohammed Al-Rashid"),
            ("DATE_OF_BIRTH", "1979-10-05"),
            ("US_SSN", "987-65-4323"),
            ("PERSONAL_DATE", "03/10/2025"),
            ("ADDRESS", "Flat 402, Shanti Apartments, 14th Cross Road, Indiranagar, Bengaluru 560038"),
        ),
        category="clinical",
    ),
    Labelled(
        "Physio note: Ewa Zielińska seen today for the knee, good progress, 0-115 degrees flexion. She flies "
        "home to Gdańsk, Poland on the 3rd of April; follow-up booked for April 28, 2025.",
        (
            ("PERSON", "Ewa Zielińska"),
            ("LOCATION", "Gdańsk, Poland"),
            ("PERSONAL_DATE", "3rd of April"),
            ("PERSONAL_DATE", "April 28, 2025"),
        ),
        category="clinical",
    ),
    Labelled(
        "Midwife visit: Hope Nakato, G2P1, 32 weeks. Her mother lives in Kampala, Uganda and will fly in "
        "for the birth. EDD 2025-05-09. Partner Daniel reachable on 07700 900871.",
        (
            ("PERSON", "Hope Nakato"),
            ("LOCATION", "Kampala, Uganda"),
            ("PERSONAL_DATE", "2025-05-09"),
            ("PERSON", "Daniel"),
            ("PHONE", "07700 900871"),
        ),
        category="clinical",
    ),
    Labelled(
        "Ward round: Mr Nguyen Minh Tuan, day 3 post-op. Observations stable. Son Khoa asked for the "
        "discharge date; provisionally 17 March 2025. Contact (702) 555-0129.",
        (
            ("PERSON", "Nguyen Minh Tuan"),
            ("PERSON", "Khoa"),
            ("PERSONAL_DATE", "17 March 2025"),
            ("PHONE", "(702) 555-0129"),
        ),
        category="clinical",
    ),
)

# Every PERSON value above -> where the name comes from (to measure recall per origin).
NAME_ORIGINS: dict[str, str] = {
    "deepika": "south_asian",
    "Nkechi": "west_african",
    "Tomasz": "slavic",
    "Adeyemi": "west_african",
    "Will": "anglo",
    "Grace": "anglo",
    "Oluwaseun Bakare": "west_african",
    "Nakamura": "east_asian",
    "Hamid Rezaei": "middle_eastern",
    "Sunny": "anglo",
    "Lars Eriksson": "nordic",
    "Hope Mitchell": "anglo",
    "Zhang Wei": "east_asian",
    "Anh": "southeast_asian",
    "Bill": "anglo",
    "Marisol Vega": "latin_american",
    "kemal": "middle_eastern",
    "Wanjiru Kamau": "east_african",
    "Marta Wiśniewska": "slavic",
    "Priyanka": "south_asian",
    "Rohan Iyer": "south_asian",
    "Ngozi Eze": "west_african",
    "Mateus Oliveira": "latin_american",
    "Ahmed Al-Farsi": "middle_eastern",
    "Siosaia Taufa": "pacific",
    "Mele Fifita": "pacific",
    "Bukola Adeyemi-Jones": "west_african",
    "Haruto Watanabe": "east_asian",
    "Kateryna Bondarenko": "slavic",
    "Jordan Reyes": "latin_american",
    "sunita": "south_asian",
    "Li Xiaoming": "east_asian",
    "Sipho Ndlovu": "southern_african",
    "Ravi Shankar Pillai": "south_asian",
    "Kwabena Asante": "west_african",
    "Ingrid Solberg": "nordic",
    "Henrik Dahl": "nordic",
    "Aroha Ngata": "pacific",
    "Fatemeh Hosseini": "middle_eastern",
    "Parisa": "middle_eastern",
    "Chukwuemeka Obi": "west_african",
    "Grace Okoro": "west_african",
    "Siti Nurhaliza Rahman": "southeast_asian",
    "Alejandro Gutiérrez Morales": "latin_american",
    "Sunny Park": "east_asian",
    "Björn Lindgren": "nordic",
    "Juan Pablo Restrepo": "latin_american",
    "Olga Petrenko": "slavic",
    "Tevita Havili": "pacific",
    "Lucía Fernández": "latin_american",
    "May Thornton": "anglo",
    "Mariam Tesfaye": "east_african",
    "Otieno Odhiambo": "east_african",
    "Ji-hoon Choi": "east_asian",
    "Oluwaseun": "west_african",
    "Abebe Girma": "east_african",
    "Marek": "slavic",
    "Nakashima": "east_asian",
    "Kenji Mori": "east_asian",
    "Adaeze Nwosu": "west_african",
    "Liam O'Sullivan": "anglo",
    "Wei": "east_asian",
    "Jonas Becker": "western_european",
    "Amina Yusuf": "west_african",
    "Dev Patel": "south_asian",
    "Oyelaran-Smith": "west_african",
    "Samuel Oyelaran": "west_african",
    "Catherine Holt": "anglo",
    "Nomvula Dlamini": "southern_african",
    "Sigrid Haugen": "nordic",
    "Ana": "latin_american",
    "Mick": "anglo",
    "Chowdhury": "south_asian",
    "Ayesha": "south_asian",
    "Farid Haddad": "middle_eastern",
    "Leila": "middle_eastern",
    "Joy": "anglo",
    "Khadija": "middle_eastern",
    "Camille": "western_european",
    "Éloïse Martin": "western_european",
    "Yousef Khalil": "middle_eastern",
    "Rafael Souza": "latin_american",
    "Dmitri Sokolov": "slavic",
    "Esi Mensah": "west_african",
    "Camille Laurent": "western_european",
    "Will Harrington": "anglo",
    "Kofi Boateng": "west_african",
    "Paulo Mendes": "latin_american",
    "Kwesi Ampofo": "west_african",
    "Svetlana": "slavic",
    "Nguyễn Văn An": "southeast_asian",
    "Thandiwe Nkosi": "southern_african",
    "Ioana Popescu": "eastern_european",
    "Ana Beatriz Costa": "latin_american",
    "Aigerim Nurlanovna": "central_asian",
    "Dmitri": "slavic",
    "Hemi Walker": "pacific",
    "Amara Okafor": "west_african",
    "Helen Marsh": "anglo",
    "Raghavan": "south_asian",
    "Ikechukwu Nnamdi": "west_african",
    "Rosa Delgado": "latin_american",
    "Marisol": "latin_american",
    "Hinemoa Tane": "pacific",
    "Yuki Hasegawa": "east_asian",
    "Paul Whitaker": "anglo",
    "Fatima Zahra Benali": "north_african",
    "Kamal Hossain": "south_asian",
    "Rafiq Hossain": "south_asian",
    "Tomás": "latin_american",
    "Olumide Adebayo": "west_african",
    "Funmilayo": "west_african",
    "Mohammed Al-Rashid": "middle_eastern",
    "Ewa Zielińska": "slavic",
    "Hope Nakato": "east_african",
    "Daniel": "anglo",
    "Nguyen Minh Tuan": "southeast_asian",
    "Khoa": "southeast_asian",
}

CLEAN_TEXTS: tuple[Labelled, ...] = (
    # --- chats --------------------------------------------------------------------------------------------
    Labelled(
        "What was Nigeria's average GDP growth over the last decade, and how does it compare with Kenya "
        "and Ghana? A small table is fine.",
        category="chat",
    ),
    Labelled(
        "What's the best time of year to visit Bogotá, Medellín and Cartagena? Rainy seasons, prices and "
        "whether two weeks is enough for all three.",
        category="chat",
    ),
    Labelled(
        "Will it rain in Manchester this weekend? The outdoor market on Saturday gets cancelled if the "
        "forecast is above 60% for showers.",
        category="chat",
    ),
    Labelled(
        "Convert 72 kg to pounds and 183 cm to feet and inches, then explain how BMI is calculated.",
        category="chat",
    ),
    Labelled(
        "Summarize the main arguments for and against a four-day work week in about 200 words, neutral "
        "tone, with one study cited on each side.",
        category="chat",
    ),
    Labelled(
        "Translate 'the meeting will start at noon and should last about forty minutes' into French, "
        "Spanish and Portuguese.",
        category="chat",
    ),
    Labelled(
        "Compare the iPhone 15 Pro and the Pixel 8 Pro for low-light photos. Prices are 999 USD and "
        "899 USD here; which is better value?",
        category="chat",
    ),
    Labelled(
        "Is Lisbon sunnier than Porto in October? Sunny afternoons matter more to me than beaches, and I "
        "have about 1,500 EUR for the week.",
        category="chat",
    ),
    Labelled(
        "How tall is Kilimanjaro in feet and metres, and how many days does the Machame route usually "
        "take compared with Marangu?",
        category="chat",
    ),
    Labelled(
        "Hope you can help: what's 15% of 2,480, and is there a trick to do percentages like that in my "
        "head quickly?",
        category="chat",
    ),
    Labelled(
        "Draft a LinkedIn post announcing that Brightwave raised a 12M USD Series A led by Northstar "
        "Ventures. Upbeat but not cringe, under 120 words.",
        category="chat",
    ),
    Labelled(
        "Who won the 2010 World Cup, where was it held, and how many goals were scored in the tournament "
        "in total?",
        category="chat",
    ),
    Labelled(
        "Explain the difference between the Tokyo, Osaka and Nagoya metro day passes. Is a 72-hour pass "
        "worth it for a 3-night stay?",
        category="chat",
    ),
    # --- tickets ------------------------------------------------------------------------------------------
    Labelled(
        "Order 4830019275 shows 'delivered' but nothing arrived. Tracking number 1Z999AA10123456784, "
        "parcel weight 2.4 kg, shipped 3 days ago.",
        category="ticket",
    ),
    Labelled(
        "Ticket 100293847: printer on floor 3 shows error E-05 after the firmware 4.11.2 update. Already "
        "power-cycled twice; the queue holds 37 jobs.",
        category="ticket",
    ),
    Labelled(
        "Does the 14-day grace period also apply to annual plans, or only to monthly ones? Invoice "
        "INV-000482931 is due and the card expires next month.",
        category="ticket",
    ),
    Labelled(
        "Refund request for invoice 2025031400427: the kettle (SKU KT-2200-BLK) arrived with a cracked "
        "lid. Photos attached, box kept.",
        category="ticket",
    ),
    Labelled(
        "Sync fails since version 3.14.2 with 'E_CONFLICT 409' on about 1 in 20 uploads. Rolled back to "
        "3.13.9 and it works. Build hash a94a8fe5.",
        category="ticket",
    ),
    Labelled(
        "Feature request: let admins export audit logs as CSV for a date range, e.g. 2024-01-01 to "
        "2024-12-31, without opening a support case each time.",
        category="ticket",
    ),
    # --- CRM ----------------------------------------------------------------------------------------------
    Labelled(
        "Q3 pipeline review: 14 open opportunities, 3 in legal, average deal size 18,400 USD; renewal rate "
        "92% versus 88% last quarter.",
        category="crm",
    ),
    Labelled(
        "Company: Northwind Traders. Industry: logistics. HQ Rotterdam, offices in Singapore and Lagos. "
        "1,200 employees, fiscal year ends in June.",
        category="crm",
    ),
    Labelled(
        "Acme Corp renewal: 250 seats at 19.99 per seat per month, 3-year term, 8% uplift cap. Procurement "
        "wants the MSA redlines back by end of quarter.",
        category="crm",
    ),
    Labelled(
        "Segment note: churn in the Benelux region rose from 2.1% to 3.4% after the price change in May; "
        "APAC flat at 1.8%.",
        category="crm",
    ),
    Labelled(
        "Compare last year's win rate per region: EMEA 31%, NA 27%, LATAM 22%, APAC 35%. Add the trend "
        "since 2021 if possible.",
        category="crm",
    ),
    # --- e-mails ------------------------------------------------------------------------------------------
    Labelled(
        "Hi all,\n\nA reminder that the office is closed on Monday 26 May for the bank holiday. The bill "
        "for the team lunch will be split as usual.\n\nThanks!",
        category="email",
    ),
    Labelled(
        "Hello team,\n\nOur spring sale runs from 1 April 2025 to 14 April 2025: 20% off annual plans, "
        "code SPRING25. Please update the banners by Friday.",
        category="email",
    ),
    Labelled(
        "Dear customer,\n\nYour order has shipped and should arrive within 3-5 working days. You can track "
        "it in the app under Orders > Recent.\n\nThe Support Team",
        category="email",
    ),
    Labelled(
        "Team,\n\nRelease 2.4.0 is tagged. Changelog: 17 fixes, 3 features, p95 latency down from 240ms "
        "to 190ms. Rollout to 10% of traffic at 14:00 UTC.\n\nCheers",
        category="email",
    ),
    Labelled(
        "Draft a reply to the supplier: the pallets (120 x 80 cm, max 1,000 kg) arrived late, and we'd "
        "like a 5% credit on PO 7730194452.",
        category="email",
    ),
    # --- logs ---------------------------------------------------------------------------------------------
    Labelled(
        "2025-03-14T08:00:00Z INFO scheduler: job nightly-backup finished in 00:14:32 (rows=1203344, "
        "bytes=8.1GiB, exit=0)",
        category="log",
    ),
    Labelled(
        "GET /api/v2/orders/883920114 200 43ms\nGET /api/v2/orders/883920117 404 12ms\nPOST /api/v2/cart "
        "201 88ms trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
        category="log",
    ),
    Labelled(
        "rate-limit: tenant acme-eu-west-1 got 429 after 600 requests in 60s; window resets at "
        "1710403260123 (epoch ms), backoff 2s -> 4s -> 8s",
        category="log",
    ),
    Labelled(
        "kernel: [12345.678901] eth0: link up, 1000 Mbps, full duplex, flow control rx/tx\n"
        "kernel: [12346.001122] EXT4-fs (sda1): mounted filesystem with ordered data mode",
        category="log",
    ),
    Labelled(
        "WARN  gc: pause 212ms (young), heap 3.1GiB/4GiB, 14 threads; request 7f3c9a2e-1b4d-4c8e-9f10-"
        "2a3b4c5d6e7f took 1843ms",
        category="log",
    ),
    Labelled(
        "INFO  deploy: image registry.example.com/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822"
        "cd15d6c15b0f00a08 rolled out to 6/6 pods in 2m14s",
        category="log",
    ),
    # --- code ---------------------------------------------------------------------------------------------
    Labelled(
        "git rebase -i HEAD~5 && git push --force-with-lease origin feature/retry-logic\n"
        "git bisect start v2.4.1 v2.3.0",
        category="code",
    ),
    Labelled(
        "kubectl rollout restart deployment/api -n prod && kubectl rollout status deployment/api -n prod "
        "--timeout=120s",
        category="code",
    ),
    Labelled(
        "SELECT date_trunc('month', created_at) AS month, count(*) FROM orders WHERE created_at >= now() - "
        "interval '10 years' GROUP BY 1 ORDER BY 1;",
        category="code",
    ),
    Labelled(
        "Refactor this to use a dict instead of the if/elif chain:\n"
        "def rate(code):\n    if code == 'A': return 0.05\n    elif code == 'B': return 0.075\n"
        "    else: return 0.1",
        category="code",
    ),
    Labelled(
        "import datetime as dt\nrelease = dt.date(2025, 4, 1)\nprint((release - dt.date.today()).days, "
        "'days until the 1.0 release')",
        category="code",
    ),
    Labelled(
        "services:\n  db:\n    image: postgres:16.3\n    ports: ['5432:5432']\n    environment:\n"
        "      POSTGRES_DB: shop\n  cache:\n    image: redis:7.2-alpine",
        category="code",
    ),
    Labelled(
        "PHONE_RE = re.compile(r'^\\+?[0-9 ()-]{7,15}$')  # why does this accept '((((((('?",
        category="code",
    ),
    Labelled(
        "Will `pip install 'numpy>=1.26,<2'` break pandas 2.2.1? The lock file pins numpy 1.26.4 and "
        "scipy 1.12.0.",
        category="code",
    ),
    # --- clinical (no patient) ----------------------------------------------------------------------------
    Labelled(
        "What is the usual adult dose of amoxicillin for community-acquired pneumonia, and how long should "
        "treatment last?",
        category="clinical",
    ),
    Labelled(
        "Explain the difference between type 1 and type 2 diabetes for a patient leaflet, reading age 11, "
        "under 250 words.",
        category="clinical",
    ),
    Labelled(
        "Ward stats for March: 312 admissions, mean length of stay 4.6 days, 18 readmissions within 30 "
        "days, bed occupancy 94%.",
        category="clinical",
    ),
    Labelled(
        "Protocol: check capillary glucose every 4 hours, target 6-10 mmol/L; escalate to the on-call "
        "registrar if above 20 or below 4.",
        category="clinical",
    ),
    Labelled(
        "Draft a leaflet on the new visiting hours from 1 June: 10:00-12:00 and 14:00-20:00, two visitors "
        "per bed, children under 12 with an adult.",
        category="clinical",
    ),
)
