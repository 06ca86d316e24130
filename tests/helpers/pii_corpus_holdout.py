# ruff: noqa: RUF001 - Turkish names and addresses are written with the dotless i, as people write them
"""HELD-OUT labelled PII corpus for redaction: used once, for an honest final measurement. NOT for tuning.

Written blind, independently of the recognizers and of the development corpus: do not read this file while
tuning redaction, and do not add its texts to any tuning set. All data is invented: names are made up,
e-mail domains are reserved or invented, phone numbers come from fictional ranges (US 555-01xx, UK drama
numbers, AU 0491 570 xxx, ...) or are made-up numbers in plausible national formats, cards are Luhn-valid
numbers generated for this file, SSNs are 987-65-432x, IBANs carry valid mod-97 checksums over invented
accounts, IPs are documentation addresses, and every credential is random.

Format as in ``helpers.pii_corpus``: ``PII_TEXTS`` label every piece of personal data with its exact
substring; ``CLEAN_TEXTS`` contain none (spans=()) but tempt false alarms. ``NAME_ORIGINS`` maps every
PERSON value to the origin of the name, for per-origin recall.
"""

from __future__ import annotations

from helpers.pii_corpus import Labelled

# A long credential, kept apart so the text that embeds it stays readable.
_ANTHROPIC_KEY = (
    "sk-ant-api03-31XOKLdr3aG6bVIOUX8v9trk-KxsEYPa9LIreXXiONi5dJF"
    "e0i_CDyVuAyZ4wgt9L5DATwf7PBHsl_5oBmaZkuVVf9c38AA"
)

PII_TEXTS: tuple[Labelled, ...] = (
    # --- chat --------------------------------------------------------------------------------------------
    Labelled(
        "hey, it's Kofi again - the refund still hasn't shown up. card was 4716 8810 1966 9456, can "
        "you check whether the money went back to that one?",
        (
            ("PERSON", "Kofi"),
            ("CREDIT_CARD", "4716 8810 1966 9456"),
        ),
        category="chat",
    ),
    Labelled(
        "My daughter Nomvula Dlamini (born 14/02/2009) needs to be added to the family plan. Her "
        "mobile is +27 72 555 0183 and she'll only use data, no calls.",
        (
            ("PERSON", "Nomvula Dlamini"),
            ("DATE_OF_BIRTH", "14/02/2009"),
            ("PHONE", "+27 72 555 0183"),
        ),
        category="chat",
    ),
    Labelled(
        "this is tomasz wieczorek, i moved to Wrocław, Poland last month and the app still shows "
        "prices in dollars. how do i change the region?",
        (
            ("PERSON", "tomasz wieczorek"),
            ("LOCATION", "Wrocław, Poland"),
        ),
        category="chat",
    ),
    Labelled(
        "Can you help me write a complaint? They charged my card 5523-0341-4716-2339 twice on the same "
        "day and the shop says it's the bank's fault.",
        (("CREDIT_CARD", "5523-0341-4716-2339"),),
        category="chat",
    ),
    Labelled(
        "Hi! I'm Grace, booking for my husband Will and me. Call me on 07700 900418 if the room isn't "
        "ready before 3pm, we land early.",
        (
            ("PERSON", "Grace"),
            ("PERSON", "Will"),
            ("PHONE", "07700 900418"),
        ),
        category="chat",
    ),
    Labelled(
        "Please draft a letter to my bank. Account holder: Mehmet Yıldırım, IBAN DE85 5001 0517 0648 "
        "2739 15. I want to dispute a direct debit they took without my consent.",
        (
            ("PERSON", "Mehmet Yıldırım"),
            ("IBAN", "DE85 5001 0517 0648 2739 15"),
        ),
        category="chat",
    ),
    Labelled(
        "my mother Lakshmi Venkataraman has a follow-up with Dr. Arjun Pillai on 12 March 2025 - can "
        "you write her a reminder in Tamil and English?",
        (
            ("PERSON", "Lakshmi Venkataraman"),
            ("PERSON", "Arjun Pillai"),
            ("PERSONAL_DATE", "12 March 2025"),
        ),
        category="chat",
    ),
    Labelled(
        "Ok so the courier keeps going to the wrong house. I'm at Lindenstraße 42, 10969 Berlin, third "
        "floor, the bell says Hoffmann. How do I add a delivery note?",
        (
            ("ADDRESS", "Lindenstraße 42, 10969 Berlin"),
            ("PERSON", "Hoffmann"),
        ),
        category="chat",
    ),
    Labelled(
        "Hola, soy Valentina Restrepo and I live in Medellín, Colombia. I need the invoice in Spanish "
        "please, sent to vale.restrepo@correo.example.com.",
        (
            ("PERSON", "Valentina Restrepo"),
            ("LOCATION", "Medellín, Colombia"),
            ("EMAIL", "vale.restrepo@correo.example.com"),
        ),
        category="chat",
    ),
    Labelled(
        "Quick question: my SSN is 987-65-4323 and the tax form asks for it twice, once with dashes "
        "and once without. Do I just write 987654323 the second time?",
        (
            ("US_SSN", "987-65-4323"),
            ("US_SSN", "987654323"),
        ),
        category="chat",
    ),
    Labelled(
        "It's Aroha here. I'm in Rotorua, New Zealand, and the support line you gave me doesn't work "
        "from here. Can someone call me at +64 21 555 0172 instead?",
        (
            ("PERSON", "Aroha"),
            ("LOCATION", "Rotorua, New Zealand"),
            ("PHONE", "+64 21 555 0172"),
        ),
        category="chat",
    ),
    Labelled(
        "I need the Amex 3482 048514 56474 removed from my profile, I cancelled it. Joy from billing "
        "said it would take a day but it's been a week.",
        (
            ("CREDIT_CARD", "3482 048514 56474"),
            ("PERSON", "Joy"),
        ),
        category="chat",
    ),
    Labelled(
        "hi there, this is Bich Ngoc Tran. The password reset goes to ngoc.tran@example.net which I "
        "can no longer open. Please use btran.home@example.org from now on.",
        (
            ("PERSON", "Bich Ngoc Tran"),
            ("EMAIL", "ngoc.tran@example.net"),
            ("EMAIL", "btran.home@example.org"),
        ),
        category="chat",
    ),
    Labelled(
        "Can you summarise this for me? 'Yusuf Abdi, born 1990-07-21, resident of Nairobi, Kenya, "
        "applies for the role of junior accountant and can start immediately.'",
        (
            ("PERSON", "Yusuf Abdi"),
            ("DATE_OF_BIRTH", "1990-07-21"),
            ("LOCATION", "Nairobi, Kenya"),
        ),
        category="chat",
    ),
    Labelled(
        "Paid the hotel deposit with my Diners Club 3056 765795 4782 - will that card also work for "
        "the minibar, or do they only take Visa?",
        (("CREDIT_CARD", "3056 765795 4782"),),
        category="chat",
    ),
    Labelled(
        "Does your shop take UnionPay? My card is 6214 9868 1056 7841. If not I can use my Mastercard "
        "2707 4987 0397 4731 instead, whichever is easier.",
        (
            ("CREDIT_CARD", "6214 9868 1056 7841"),
            ("CREDIT_CARD", "2707 4987 0397 4731"),
        ),
        category="chat",
    ),
    Labelled(
        "hi it's marisol, sorry I got cut off. my cell is 555-0162 if you need to call back, I'm home "
        "all afternoon",
        (
            ("PERSON", "marisol"),
            ("PHONE", "555-0162"),
        ),
        category="chat",
    ),
    Labelled(
        "I think I leaked my token hf_wgyN1dWW4jfdPchIa60y7ehGe1oI4O5W6l in a public notebook "
        "yesterday. How do I rotate it and check if anyone used it?",
        (("API_KEY", "hf_wgyN1dWW4jfdPchIa60y7ehGe1oI4O5W6l"),),
        category="chat",
    ),
    Labelled(
        "Write a short birthday poem for my grandfather Dawit Tesfaye, he was born on the 9th of "
        "January 1941 and still walks to the market every day.",
        (
            ("PERSON", "Dawit Tesfaye"),
            ("DATE_OF_BIRTH", "9th of January 1941"),
        ),
        category="chat",
    ),
    Labelled(
        "ok thanks. ask priya to call me back on 212.555.0144 when she's free, it's about the visa "
        "letter for my brother Arnav.",
        (
            ("PERSON", "priya"),
            ("PHONE", "212.555.0144"),
            ("PERSON", "Arnav"),
        ),
        category="chat",
    ),
    Labelled(
        "My partner Summer and I just moved to Halifax, Nova Scotia. Since version 4.1 came out on 2 "
        "May the app won't accept our Canadian postcode - is that known?",
        (
            ("PERSON", "Summer"),
            ("LOCATION", "Halifax, Nova Scotia"),
        ),
        category="chat",
    ),
    Labelled(
        "Saya Putu Ayu Wirawan. Sorry, my English is not so good. Please send the tickets for me and "
        "my son Wayan to putu.ayu@example.co.id, we live in Denpasar, Bali.",
        (
            ("PERSON", "Putu Ayu Wirawan"),
            ("PERSON", "Wayan"),
            ("EMAIL", "putu.ayu@example.co.id"),
            ("LOCATION", "Denpasar, Bali"),
        ),
        category="chat",
    ),
    # --- ticket ------------------------------------------------------------------------------------------
    Labelled(
        "TICKET #48213 | Customer: Rosa Mendoza Quispe | Phone: (503) 555-0126 | Issue: charged twice "
        "for the annual subscription. Customer requests a refund to the original card.",
        (
            ("PERSON", "Rosa Mendoza Quispe"),
            ("PHONE", "(503) 555-0126"),
        ),
        category="ticket",
    ),
    Labelled(
        "Escalation: user Dawn Hartley reports the export contains another customer's data (rows for "
        "s.oyelaran@example.com). Please investigate; Dawn is at 555-0139 until 6pm.",
        (
            ("PERSON", "Dawn Hartley"),
            ("EMAIL", "s.oyelaran@example.com"),
            ("PERSON", "Dawn"),
            ("PHONE", "555-0139"),
        ),
        category="ticket",
    ),
    Labelled(
        "Ticket 2024-11873: please change the billing address for account 30045112 to 17 rue des "
        "Tanneurs, 69002 Lyon, France. Requested by Mr. Lefebvre by phone (+33 6 39 98 41 27).",
        (
            ("ADDRESS", "17 rue des Tanneurs, 69002 Lyon, France"),
            ("PERSON", "Lefebvre"),
            ("PHONE", "+33 6 39 98 41 27"),
        ),
        category="ticket",
    ),
    Labelled(
        "Bug report from Sunny Park: uploading a PDF fails with HTTP 413. Her IP at the time was "
        "198.51.100.23. Priority: medium. Assigned: Mark.",
        (
            ("PERSON", "Sunny Park"),
            ("IP", "198.51.100.23"),
            ("PERSON", "Mark"),
        ),
        category="ticket",
    ),
    Labelled(
        "Refund request - card 2231 5850 6383 7147 (Mastercard), holder Ingrid Solberg of Bergen, "
        "Norway. Original order 771204583, amount NOK 1249.",
        (
            ("CREDIT_CARD", "2231 5850 6383 7147"),
            ("PERSON", "Ingrid Solberg"),
            ("LOCATION", "Bergen, Norway"),
        ),
        category="ticket",
    ),
    Labelled(
        "[P2] Account takeover suspected. Logins for chidi.eze@example.com from 203.0.113.88 and "
        "2001:db8:4a1::17 within five minutes. Owner Chidi Eze says he only used his phone. cc Hope",
        (
            ("EMAIL", "chidi.eze@example.com"),
            ("IP", "203.0.113.88"),
            ("IP", "2001:db8:4a1::17"),
            ("PERSON", "Chidi Eze"),
            ("PERSON", "Hope"),
        ),
        category="ticket",
    ),
    Labelled(
        "Customer asks us to fix the DOB on file from 03/09/1987 to 09/03/1987 (day and month were "
        "swapped at signup). Name on file: Siobhán Gallagher. Identity verified by video call.",
        (
            ("DATE_OF_BIRTH", "03/09/1987"),
            ("DATE_OF_BIRTH", "09/03/1987"),
            ("PERSON", "Siobhán Gallagher"),
        ),
        category="ticket",
    ),
    Labelled(
        "New ticket from Kwabena Asante: the Discover card 6011 0144 1824 9020 was declined at "
        "checkout although the bank says it's fine. Wants a callback on +233 24 555 0196.",
        (
            ("PERSON", "Kwabena Asante"),
            ("CREDIT_CARD", "6011 0144 1824 9020"),
            ("PHONE", "+233 24 555 0196"),
        ),
        category="ticket",
    ),
    Labelled(
        "Please close ticket 55120987 - Olga Kuznetsova confirmed by email (olga.k@mail.example) that "
        "the replacement arrived at Nevsky Prospekt 88, kv. 14, Saint Petersburg 191025.",
        (
            ("PERSON", "Olga Kuznetsova"),
            ("EMAIL", "olga.k@mail.example"),
            ("ADDRESS", "Nevsky Prospekt 88, kv. 14, Saint Petersburg 191025"),
        ),
        category="ticket",
    ),
    Labelled(
        "Maestro card 6759 5587 8532 1689 926 is not accepted for EU payments. Customer Emma Verhoeven "
        "from Utrecht says it worked until the 3.2 release. Please check with the processor.",
        (
            ("CREDIT_CARD", "6759 5587 8532 1689 926"),
            ("PERSON", "Emma Verhoeven"),
            ("LOCATION", "Utrecht"),
        ),
        category="ticket",
    ),
    Labelled(
        "Chargeback received for Amex 3751-367573-49278 (cardholder Ferdinand Achterberg). Merchant "
        "ref 20456781; our deadline to respond is 2025-03-15.",
        (
            ("CREDIT_CARD", "3751-367573-49278"),
            ("PERSON", "Ferdinand Achterberg"),
        ),
        category="ticket",
    ),
    Labelled(
        "Shipping label printed with the wrong address. Correct one: 2-14-7 Nishi-Azabu, Minato-ku, "
        "Tokyo 106-0031. Customer: Aiko Shimizu, reachable on +81 90-5555-0148.",
        (
            ("ADDRESS", "2-14-7 Nishi-Azabu, Minato-ku, Tokyo 106-0031"),
            ("PERSON", "Aiko Shimizu"),
            ("PHONE", "+81 90-5555-0148"),
        ),
        category="ticket",
    ),
    Labelled(
        "Form I-9 review: employee Ayesha Siddiqui, SSN 987 65 4326, DOB April 2, 1993. The scan of "
        "the passport is blurry, please ask her for a new one.",
        (
            ("PERSON", "Ayesha Siddiqui"),
            ("US_SSN", "987 65 4326"),
            ("DATE_OF_BIRTH", "April 2, 1993"),
        ),
        category="ticket",
    ),
    Labelled(
        "Reopened: the welcome letter for Ms. Bronwen Price went to the old address again. It must go "
        "to 31 Harefield Close, Chorlton, Manchester M21 9PQ.",
        (
            ("PERSON", "Bronwen Price"),
            ("ADDRESS", "31 Harefield Close, Chorlton, Manchester M21 9PQ"),
        ),
        category="ticket",
    ),
    Labelled(
        "Khun Somchai Rattanakorn reports that the Thai keyboard layout breaks search, as it has for "
        "most of the last decade. He works from Chiang Mai, Thailand; contact somchai.r@example.co.th.",
        (
            ("PERSON", "Somchai Rattanakorn"),
            ("LOCATION", "Chiang Mai, Thailand"),
            ("EMAIL", "somchai.r@example.co.th"),
        ),
        category="ticket",
    ),
    # --- crm ---------------------------------------------------------------------------------------------
    Labelled(
        "Spoke with Ms. Amina Abubakar (procurement). She prefers WhatsApp on +234 803 555 0147. "
        "Decision expected after their board meets; next step is to send pricing.",
        (
            ("PERSON", "Amina Abubakar"),
            ("PHONE", "+234 803 555 0147"),
        ),
        category="crm",
    ),
    Labelled(
        "Lead: Rafael Oliveira Santos, CTO, based in São Paulo, Brazil. Met at the logistics expo; "
        "interested in the enterprise tier. rafael@logistica-rapida.example, mobile +55 11 95555-0134.",
        (
            ("PERSON", "Rafael Oliveira Santos"),
            ("LOCATION", "São Paulo, Brazil"),
            ("EMAIL", "rafael@logistica-rapida.example"),
            ("PHONE", "+55 11 95555-0134"),
        ),
        category="crm",
    ),
    Labelled(
        "Account owner changed from Bill Okonjo to Priyanka Deshmukh this week. Priyanka's direct line "
        "is +91 98200 55501. Keep Bill cc'd on renewals until the summer.",
        (
            ("PERSON", "Bill Okonjo"),
            ("PERSON", "Priyanka Deshmukh"),
            ("PERSON", "Priyanka"),
            ("PHONE", "+91 98200 55501"),
            ("PERSON", "Bill"),
        ),
        category="crm",
    ),
    Labelled(
        "Customer profile: Mateus Ferreira, DOB 22.06.1978, Rua das Laranjeiras 245, apto 302, Rio de "
        "Janeiro - RJ, 22240-003. Prefers contact by e-mail, never before 9am.",
        (
            ("PERSON", "Mateus Ferreira"),
            ("DATE_OF_BIRTH", "22.06.1978"),
            ("ADDRESS", "Rua das Laranjeiras 245, apto 302, Rio de Janeiro - RJ, 22240-003"),
        ),
        category="crm",
    ),
    Labelled(
        "Renewal call with Keira Whitlock went well. She's relocating to Perth, Western Australia in "
        "August; new mobile 0491 570 156. Send the contract once she confirms.",
        (
            ("PERSON", "Keira Whitlock"),
            ("LOCATION", "Perth, Western Australia"),
            ("PHONE", "0491 570 156"),
        ),
        category="crm",
    ),
    Labelled(
        "Mr. Sven Åkesson asked us to only use his mobile, 070-174 06 52, and never the switchboard. "
        "He is on parental leave, so expect slow replies.",
        (
            ("PERSON", "Sven Åkesson"),
            ("PHONE", "070-174 06 52"),
        ),
        category="crm",
    ),
    Labelled(
        "Met Fatou Diallo and her colleague Moussa at the Dakar trade fair. Fatou handles the "
        "francophone accounts; reach her at fatou.diallo@senelog.example.",
        (
            ("PERSON", "Fatou Diallo"),
            ("PERSON", "Moussa"),
            ("PERSON", "Fatou"),
            ("EMAIL", "fatou.diallo@senelog.example"),
        ),
        category="crm",
    ),
    Labelled(
        "Contact: Dr. Elif Demir, head of pharmacy. Office: Bağdat Caddesi No: 214, Daire 7, 34728 "
        "Kadıköy/İstanbul. Tel +90 212 555 01 63.",
        (
            ("PERSON", "Elif Demir"),
            ("ADDRESS", "Bağdat Caddesi No: 214, Daire 7, 34728 Kadıköy/İstanbul"),
            ("PHONE", "+90 212 555 01 63"),
        ),
        category="crm",
    ),
    Labelled(
        "Customer Alejandro Fuentes called to update his card: new Visa 4556 9026 5276 9071 469, "
        "expiry 09/29. The old card can be deleted.",
        (
            ("PERSON", "Alejandro Fuentes"),
            ("CREDIT_CARD", "4556 9026 5276 9071 469"),
        ),
        category="crm",
    ),
    Labelled(
        "Chen Jiayi asked about SSO for her team of forty. Phone +86 138 5550 1243; she is based in "
        "Shenzhen, Guangdong and prefers calls after 2pm her time.",
        (
            ("PERSON", "Chen Jiayi"),
            ("PHONE", "+86 138 5550 1243"),
            ("LOCATION", "Shenzhen, Guangdong"),
        ),
        category="crm",
    ),
    Labelled(
        "Called Théo Marchand about the renewal. He has moved to 88 Rue Saint-Denis, Montréal, QC H2X "
        "3K8; new number 514.555.0187.",
        (
            ("PERSON", "Théo Marchand"),
            ("ADDRESS", "88 Rue Saint-Denis, Montréal, QC H2X 3K8"),
            ("PHONE", "514.555.0187"),
        ),
        category="crm",
    ),
    Labelled(
        "Corporate travel card: legacy 13-digit Visa 4929167516596, held by Kenji Watanabe. Replace "
        "before it expires; finance wants a new one on the 2-series Mastercard programme.",
        (
            ("CREDIT_CARD", "4929167516596"),
            ("PERSON", "Kenji Watanabe"),
        ),
        category="crm",
    ),
    Labelled(
        "Supplier bank details updated for Nordljus Interiör AB. Contact Linnea Berg; payments go to "
        "IBAN SE45 5000 0000 0583 9825 7466 from next month.",
        (
            ("PERSON", "Linnea Berg"),
            ("IBAN", "SE45 5000 0000 0583 9825 7466"),
        ),
        category="crm",
    ),
    Labelled(
        "Maricel Bautista (HR lead) is based in Davao City, Philippines; her Viber is +63 917 555 "
        "0126. She asked for the onboarding deck in Tagalog as well as English.",
        (
            ("PERSON", "Maricel Bautista"),
            ("LOCATION", "Davao City, Philippines"),
            ("PHONE", "+63 917 555 0126"),
        ),
        category="crm",
    ),
    Labelled(
        "VIP note: Mrs. Ngozi Eze-Okafor prefers to be called 'Auntie Ngozi' by staff. Lives in Enugu, "
        "Nigeria; visits the London store twice a year.",
        (
            ("PERSON", "Ngozi Eze-Okafor"),
            ("PERSON", "Ngozi"),
            ("LOCATION", "Enugu, Nigeria"),
        ),
        category="crm",
    ),
    # --- email -------------------------------------------------------------------------------------------
    Labelled(
        "Hi Kwame,\n\nThanks for sending the signed lease. I've forwarded it to Esi for "
        "countersigning.\n\nBest regards,\nMarguerite Olsen\nLeasing Office | +1 312-555-0175",
        (
            ("PERSON", "Kwame"),
            ("PERSON", "Esi"),
            ("PERSON", "Marguerite Olsen"),
            ("PHONE", "+1 312-555-0175"),
        ),
        category="email",
    ),
    Labelled(
        "Dear Prof. Haruto Matsumoto,\n\nPlease find attached the reviewer comments. We look forward "
        "to the revised manuscript.\n\nSincerely,\nRenata Kowalczyk\nEditorial Office",
        (
            ("PERSON", "Haruto Matsumoto"),
            ("PERSON", "Renata Kowalczyk"),
        ),
        category="email",
    ),
    Labelled(
        "From: Tariq Al-Mansouri <tariq.almansouri@example.org>\nSubject: Annual fee\n\nPlease debit "
        "my account ES41 2100 0418 4502 0105 1332 for the annual fee.\n\nRegards, Tariq",
        (
            ("PERSON", "Tariq Al-Mansouri"),
            ("EMAIL", "tariq.almansouri@example.org"),
            ("IBAN", "ES41 2100 0418 4502 0105 1332"),
            ("PERSON", "Tariq"),
        ),
        category="email",
    ),
    Labelled(
        "Hello team,\nmy new address for all correspondence is Flat 4B, Palm Grove Apartments, 12th "
        "Cross Road, Indiranagar, Bengaluru 560038. Please update your records.\nThanks,\nSneha",
        (
            ("ADDRESS", "Flat 4B, Palm Grove Apartments, 12th Cross Road, Indiranagar, Bengaluru 560038"),
            ("PERSON", "Sneha"),
        ),
        category="email",
    ),
    Labelled(
        "Hi Ms. Novak,\nyour appointment is confirmed for Thursday, 6 February 2025 at 10:30. We will "
        "call you on 0161 496 0382 the day before to confirm.\nKind regards, Clinic reception",
        (
            ("PERSON", "Novak"),
            ("PERSONAL_DATE", "Thursday, 6 February 2025"),
            ("PHONE", "0161 496 0382"),
        ),
        category="email",
    ),
    Labelled(
        "Good morning Rangi,\n\nattached are the invoices for March. The total with GST is NZD "
        "4,312.50.\n\nCheers,\nLiam\nSent from my phone",
        (
            ("PERSON", "Rangi"),
            ("PERSON", "Liam"),
        ),
        category="email",
    ),
    Labelled(
        "Thanks again for the quick fix, everything syncs now!\n\n--\nNadia Haddad | Operations "
        "Manager\nM: +961 71 555 018\nnadia.haddad@cedarfreight.example",
        (
            ("PERSON", "Nadia Haddad"),
            ("PHONE", "+961 71 555 018"),
            ("EMAIL", "nadia.haddad@cedarfreight.example"),
        ),
        category="email",
    ),
    Labelled(
        "Hi all, please welcome Oksana Melnyk, who joins us from Kyiv as a data engineer. Dmytro will "
        "be her buddy for the first month. cc Faith",
        (
            ("PERSON", "Oksana Melnyk"),
            ("LOCATION", "Kyiv"),
            ("PERSON", "Dmytro"),
            ("PERSON", "Faith"),
        ),
        category="email",
    ),
    Labelled(
        "Dear Mrs. Thandiwe Mokoena,\nwe received your claim for the surgery on 17/10/2024. To "
        "proceed, please confirm that we may reach you on +27 11 555 0129.\nClaims Team",
        (
            ("PERSON", "Thandiwe Mokoena"),
            ("PERSONAL_DATE", "17/10/2024"),
            ("PHONE", "+27 11 555 0129"),
        ),
        category="email",
    ),
    Labelled(
        "Hi Tunde,\nMrs. Adeyemi's parcel is back at our depot: the courier could not deliver to Plot "
        "14, Adeola Odeku Street, Victoria Island, Lagos. Can you ring her?\nSigned, Ifeoma",
        (
            ("PERSON", "Tunde"),
            ("PERSON", "Adeyemi"),
            ("ADDRESS", "Plot 14, Adeola Odeku Street, Victoria Island, Lagos"),
            ("PERSON", "Ifeoma"),
        ),
        category="email",
    ),
    Labelled(
        "Refund should go to FR13 3000 6000 0100 0412 7739 189, the account in the name of Aurélie "
        "Dubois-Martin. Please confirm once done.\nMerci, Aurélie",
        (
            ("IBAN", "FR13 3000 6000 0100 0412 7739 189"),
            ("PERSON", "Aurélie Dubois-Martin"),
            ("PERSON", "Aurélie"),
        ),
        category="email",
    ),
    Labelled(
        "Dear Sir or Madam,\nI enclose my card details for the deposit: JCB 3587 6193 0493 6893, name "
        "Daisuke Mori.\nWith regards,\nD. Mori",
        (
            ("CREDIT_CARD", "3587 6193 0493 6893"),
            ("PERSON", "Daisuke Mori"),
            ("PERSON", "D. Mori"),
        ),
        category="email",
    ),
    Labelled(
        "Hi Lerato,\n\nThemba tells me you have moved to Gqeberha, South Africa - congratulations! "
        "I've updated the delivery region for your orders.\n\nWarm regards,\nZanele",
        (
            ("PERSON", "Lerato"),
            ("PERSON", "Themba"),
            ("LOCATION", "Gqeberha, South Africa"),
            ("PERSON", "Zanele"),
        ),
        category="email",
    ),
    Labelled(
        "Hi Pita,\n\nthe package for your mum is addressed to Unit 5, 27 Banksia Street, Fitzroy VIC "
        "3065. Text me on 0491 570 159 if anything looks wrong.\n\nTalofa,\nSina",
        (
            ("PERSON", "Pita"),
            ("ADDRESS", "Unit 5, 27 Banksia Street, Fitzroy VIC 3065"),
            ("PHONE", "0491 570 159"),
            ("PERSON", "Sina"),
        ),
        category="email",
    ),
    # --- log ---------------------------------------------------------------------------------------------
    Labelled(
        '2024-06-03T14:22:07.118Z INFO auth.login user="mwanjiru@example.com" ip=203.0.113.45 '
        'ua="Mozilla/5.0" result=success',
        (
            ("EMAIL", "mwanjiru@example.com"),
            ("IP", "203.0.113.45"),
        ),
        category="log",
    ),
    Labelled(
        'WARN payment.retry attempt=3 card=5178950121832340 amount=49.00 currency=EUR customer="Lucía '
        'Navarro" reason=do_not_honor',
        (
            ("CREDIT_CARD", "5178950121832340"),
            ("PERSON", "Lucía Navarro"),
        ),
        category="log",
    ),
    Labelled(
        "ERROR [worker-7] Failed to send SMS to +44 7700 900127 for order 88412093: provider timeout "
        "after 30s",
        (("PHONE", "+44 7700 900127"),),
        category="log",
    ),
    Labelled(
        '{"level":"debug","msg":"profile update","user_id":"u_8842","fields":{"full_name":"Anders '
        'Lindqvist","phone":"+46 70 174 06 33","dob":"1969-12-01"}}',
        (
            ("PERSON", "Anders Lindqvist"),
            ("PHONE", "+46 70 174 06 33"),
            ("DATE_OF_BIRTH", "1969-12-01"),
        ),
        category="log",
    ),
    Labelled(
        '192.0.2.14 - - [12/Mar/2025:09:15:32 +0000] "POST /api/v1/invite?to=jin.woo.kang@example.com '
        'HTTP/1.1" 200 512',
        (
            ("IP", "192.0.2.14"),
            ("EMAIL", "jin.woo.kang@example.com"),
        ),
        category="log",
    ),
    Labelled(
        'audit: actor=k.brennan@example.com action=export_user subject="Olumide Bankole" '
        "subject_ssn=987-65-4325 src_ip=198.51.100.201",
        (
            ("EMAIL", "k.brennan@example.com"),
            ("PERSON", "Olumide Bankole"),
            ("US_SSN", "987-65-4325"),
            ("IP", "198.51.100.201"),
        ),
        category="log",
    ),
    Labelled(
        "Jun 11 08:41:55 mail-gw postfix/smtp[2231]: 4F2A91C0: to=<s.haugland@example.no>, "
        "relay=mx.example.no[192.0.2.77]:25, status=sent",
        (
            ("EMAIL", "s.haugland@example.no"),
            ("IP", "192.0.2.77"),
        ),
        category="log",
    ),
    Labelled(
        'INFO booking.created id=bk_7731 patient="Sipho Ndlovu" slot="2025-04-08 09:40" clinic=north '
        "phone=082 555 0164",
        (
            ("PERSON", "Sipho Ndlovu"),
            ("PERSONAL_DATE", "2025-04-08 09:40"),
            ("PHONE", "082 555 0164"),
        ),
        category="log",
    ),
    Labelled(
        'DEBUG llm.request model=gpt-4o prompt="Write a thank-you note to Beatriz Carvalho for hosting '
        'the workshop" tokens=412',
        (("PERSON", "Beatriz Carvalho"),),
        category="log",
    ),
    Labelled(
        'WARN rejected request: header Authorization="Bearer ghp_8lSliBx5hoUiwlB1gQ9JNM4wHiEeTPNOirtj" '
        "from 203.0.113.9 (token revoked)",
        (
            ("API_KEY", "ghp_8lSliBx5hoUiwlB1gQ9JNM4wHiEeTPNOirtj"),
            ("IP", "203.0.113.9"),
        ),
        category="log",
    ),
    Labelled(
        "card_vault.tokenize ok pan=6250763914460002599 network=unionpay bin_country=CN latency_ms=38 "
        "requested_by=svc-checkout",
        (("CREDIT_CARD", "6250763914460002599"),),
        category="log",
    ),
    Labelled(
        "sshd[9921]: Accepted publickey for deploy from 2001:db8:85a3::8a2e:370:7334 port 52211 ssh2; "
        "session opened by Hana Novotná via bastion",
        (
            ("IP", "2001:db8:85a3::8a2e:370:7334"),
            ("PERSON", "Hana Novotná"),
        ),
        category="log",
    ),
    Labelled(
        "INFO support.transcript agent=bot-3 user_msg=\"my number changed, it's now (646) 555-0191, "
        'and my email is r.castillo@example.com"',
        (
            ("PHONE", "(646) 555-0191"),
            ("EMAIL", "r.castillo@example.com"),
        ),
        category="log",
    ),
    # --- code --------------------------------------------------------------------------------------------
    Labelled(
        'TEST_USER = {\n    "name": "Ximena Huamán",\n    "email": "ximena.huaman@example.pe",\n    '
        '"card": "3541-8619-9419-9904",\n}',
        (
            ("PERSON", "Ximena Huamán"),
            ("EMAIL", "ximena.huaman@example.pe"),
            ("CREDIT_CARD", "3541-8619-9419-9904"),
        ),
        category="code",
    ),
    Labelled(
        "ANTHROPIC_API_KEY="
        + _ANTHROPIC_KEY
        + "\nONCALL_EMAIL=farid.rahimi@example.com\nONCALL_PHONE=+1 646 555 0152\n",
        (
            ("API_KEY", _ANTHROPIC_KEY),
            ("EMAIL", "farid.rahimi@example.com"),
            ("PHONE", "+1 646 555 0152"),
        ),
        category="code",
    ),
    Labelled(
        "INSERT INTO customers (name, iban, city) VALUES ('Wiktoria Zielińska', 'PL61 1090 1014 0000 "
        "0712 1981 2874', 'Gdańsk');",
        (
            ("PERSON", "Wiktoria Zielińska"),
            ("IBAN", "PL61 1090 1014 0000 0712 1981 2874"),
            ("LOCATION", "Gdańsk"),
        ),
        category="code",
    ),
    Labelled(
        "alerts:\n  notify:\n    - oyelowo.ade@example.com\n    - +1 415 555 0108\n  slack_token: "
        "xoxb-142481342955-2687290045286-Qb7tNzmrgAywxe8fv2je01ur\n",
        (
            ("EMAIL", "oyelowo.ade@example.com"),
            ("PHONE", "+1 415 555 0108"),
            ("API_KEY", "xoxb-142481342955-2687290045286-Qb7tNzmrgAywxe8fv2je01ur"),
        ),
        category="code",
    ),
    Labelled(
        "curl https://api.example.com/v2/charges -u sk_test_31jTzOzcT2M7zwT1wc0dKbyy: -d amount=1999 "
        '-d "source[number]=6529926488655205" -d "metadata[customer]=Haukur Sigurðsson"',
        (
            ("API_KEY", "sk_test_31jTzOzcT2M7zwT1wc0dKbyy"),
            ("CREDIT_CARD", "6529926488655205"),
            ("PERSON", "Haukur Sigurðsson"),
        ),
        category="code",
    ),
    Labelled(
        'const patient = { firstName: "Mele", lastName: "Tupou", dob: "2012-04-30", admitted: '
        '"2024-12-02" };',
        (
            ("PERSON", "Mele"),
            ("PERSON", "Tupou"),
            ("DATE_OF_BIRTH", "2012-04-30"),
            ("PERSONAL_DATE", "2024-12-02"),
        ),
        category="code",
    ),
    Labelled(
        'assertEquals("Dhruv Malhotra <dhruv.m@example.in>", formatter.format(user)); // added in 2.3, '
        "see changelog",
        (
            ("PERSON", "Dhruv Malhotra"),
            ("EMAIL", "dhruv.m@example.in"),
        ),
        category="code",
    ),
    Labelled(
        '{"event":"payment.failed","billing":{"name":"Nuno Teixeira","address":"Avenida da Liberdade '
        '190, 3.º Esq., 1250-147 Lisboa","iban":"PT50 0002 0123 1234 5678 9015 4"}}',
        (
            ("PERSON", "Nuno Teixeira"),
            ("ADDRESS", "Avenida da Liberdade 190, 3.º Esq., 1250-147 Lisboa"),
            ("IBAN", "PT50 0002 0123 1234 5678 9015 4"),
        ),
        category="code",
    ),
    Labelled(
        'shipping_address = "2470 Cedar Hollow Rd, Apt 3C, Boise, ID 83702"  # Hunter Reyes asked for '
        "this in the beta feedback",
        (
            ("ADDRESS", "2470 Cedar Hollow Rd, Apt 3C, Boise, ID 83702"),
            ("PERSON", "Hunter Reyes"),
        ),
        category="code",
    ),
    Labelled(
        'git config --global http.extraHeader "PRIVATE-TOKEN: glpat-HPQ6fl0H24pw6qHU5qQB"  # Jonas set '
        "this up for the CI runner",
        (
            ("API_KEY", "glpat-HPQ6fl0H24pw6qHU5qQB"),
            ("PERSON", "Jonas"),
        ),
        category="code",
    ),
    Labelled(
        'const MAPS_KEY = "AIzakMj8x9qFBEo-N3wc0h4ZsOcApTG_kjNQZI1"; // owner: amara.kamau@example.co.ke',
        (
            ("API_KEY", "AIzakMj8x9qFBEo-N3wc0h4ZsOcApTG_kjNQZI1"),
            ("EMAIL", "amara.kamau@example.co.ke"),
        ),
        category="code",
    ),
    Labelled(
        "def test_payout():\n    acct = Payee(name='Rashid Karimi', iban='NO16 8601 1179 473', "
        "card='5020 8776 1075 4919')\n    assert acct.valid()",
        (
            ("PERSON", "Rashid Karimi"),
            ("IBAN", "NO16 8601 1179 473"),
            ("CREDIT_CARD", "5020 8776 1075 4919"),
        ),
        category="code",
    ),
    # --- clinical ----------------------------------------------------------------------------------------
    Labelled(
        "Pt: Adaeze Nwosu, 34F, DOB 11/08/1990. Admitted 02/03/2025 with RLQ pain; appendectomy on "
        "03/03/2025. Discharged 05/03/2025, follow-up with Dr. Hassan Farouk in 2 weeks.",
        (
            ("PERSON", "Adaeze Nwosu"),
            ("DATE_OF_BIRTH", "11/08/1990"),
            ("PERSONAL_DATE", "02/03/2025"),
            ("PERSONAL_DATE", "03/03/2025"),
            ("PERSONAL_DATE", "05/03/2025"),
            ("PERSON", "Hassan Farouk"),
        ),
        category="clinical",
    ),
    Labelled(
        "Mr. Ji-hoon Seo, 67, seen in clinic on 14 Jan 2025 for HbA1c review (7.9%). Lives alone in "
        "Busan; daughter Soo-ah visits weekly. Plan: start metformin 500 mg BID.",
        (
            ("PERSON", "Ji-hoon Seo"),
            ("PERSONAL_DATE", "14 Jan 2025"),
            ("LOCATION", "Busan"),
            ("PERSON", "Soo-ah"),
        ),
        category="clinical",
    ),
    Labelled(
        "Discharge summary: Marta Gómez Ruiz (DOB 1952-10-09) discharged 2024-11-18 to home with "
        "district nursing. Next of kin: son Javier, tel. +34 612 55 50 17.",
        (
            ("PERSON", "Marta Gómez Ruiz"),
            ("DATE_OF_BIRTH", "1952-10-09"),
            ("PERSONAL_DATE", "2024-11-18"),
            ("PERSON", "Javier"),
            ("PHONE", "+34 612 55 50 17"),
        ),
        category="clinical",
    ),
    Labelled(
        "Referral: 52-year-old man from Kisumu, Kenya, Mr. Otieno Odhiambo, MRN 00482913, presenting "
        "with exertional chest pain. Echo booked for 21 May 2025.",
        (
            ("LOCATION", "Kisumu, Kenya"),
            ("PERSON", "Otieno Odhiambo"),
            ("PERSONAL_DATE", "21 May 2025"),
        ),
        category="clinical",
    ),
    Labelled(
        "Nursing note 22:10 - Bjørn Halvorsen c/o nausea after his surgery on 9 Sept. Wife Astrid at "
        "bedside; reach her on +47 412 55 018 overnight.",
        (
            ("PERSON", "Bjørn Halvorsen"),
            ("PERSONAL_DATE", "9 Sept"),
            ("PERSON", "Astrid"),
            ("PHONE", "+47 412 55 018"),
        ),
        category="clinical",
    ),
    Labelled(
        "Death certificate draft: Mrs. Parvati Iyer, born 4th May 1938, died 27th December 2024 at "
        "home in Chennai, India. Informant: grandson Karthik Iyer.",
        (
            ("PERSON", "Parvati Iyer"),
            ("DATE_OF_BIRTH", "4th May 1938"),
            ("PERSONAL_DATE", "27th December 2024"),
            ("LOCATION", "Chennai, India"),
            ("PERSON", "Karthik Iyer"),
        ),
        category="clinical",
    ),
    Labelled(
        "Pre-op checklist for Camila Rojas: surgery scheduled Mon 10/02/2025, fasting from midnight. "
        "Allergies: penicillin. Antibiotic choice per the 2016 local guideline.",
        (
            ("PERSON", "Camila Rojas"),
            ("PERSONAL_DATE", "Mon 10/02/2025"),
        ),
        category="clinical",
    ),
    Labelled(
        "Telehealth visit with Nguyen Van Minh, 45M, from Da Nang, Vietnam. Visit date 2025-02-27. BP "
        "148/92. Phone on file +84 90 555 0137.",
        (
            ("PERSON", "Nguyen Van Minh"),
            ("LOCATION", "Da Nang, Vietnam"),
            ("PERSONAL_DATE", "2025-02-27"),
            ("PHONE", "+84 90 555 0137"),
        ),
        category="clinical",
    ),
    Labelled(
        "Pt Leilani Kahale seen by Dr. Rosalind Achebe-Moore for wound check. Next visit on March "
        "28th; patient prefers SMS to (808) 555-0113.",
        (
            ("PERSON", "Leilani Kahale"),
            ("PERSON", "Rosalind Achebe-Moore"),
            ("PERSONAL_DATE", "March 28th"),
            ("PHONE", "(808) 555-0113"),
        ),
        category="clinical",
    ),
    Labelled(
        "ED triage: Abebe Girma, DOB 03-Nov-1985, brought in by his sister Hiwot after a fall at home. "
        "Address: 915 Larkspur Lane, Tacoma, WA 98404.",
        (
            ("PERSON", "Abebe Girma"),
            ("DATE_OF_BIRTH", "03-Nov-1985"),
            ("PERSON", "Hiwot"),
            ("ADDRESS", "915 Larkspur Lane, Tacoma, WA 98404"),
        ),
        category="clinical",
    ),
    Labelled(
        "Insurance pre-authorisation for Rahel Mekonnen, SSN 987-65-4327, MRI on 2025/01/19 at the "
        "imaging centre. Under the 1996 HIPAA rules only the minimum is shared.",
        (
            ("PERSON", "Rahel Mekonnen"),
            ("US_SSN", "987-65-4327"),
            ("PERSONAL_DATE", "2025/01/19"),
        ),
        category="clinical",
    ),
)

CLEAN_TEXTS: tuple[Labelled, ...] = (
    Labelled(
        "Summarize the attached incident report in three bullet points. Ticket 48213377 was opened "
        "right after the 2024-10-02 release and closed within four hours.",
        (),
        category="chat",
    ),
    Labelled(
        "What's the corporate tax rate in Ireland compared to the Netherlands and Singapore? A short "
        "table is fine, no need for sources.",
        (),
        category="chat",
    ),
    Labelled(
        "Where is my parcel? Tracking number 420913875512 has been stuck in the Memphis hub since "
        "Monday and the status page shows no update.",
        (),
        category="ticket",
    ),
    Labelled(
        "Mark all invoices older than 90 days as overdue and send the summary to the finance channel "
        "before the quarterly close.",
        (),
        category="ticket",
    ),
    Labelled(
        "Bill the customer for the extra seats starting next cycle; the price is $18.50 per seat per "
        "month, billed annually.",
        (),
        category="crm",
    ),
    Labelled(
        "git cherry-pick 3f9c2e1a7b && git push origin release/2.14 && git tag -a v2.14.3 -m 'hotfix'",
        (),
        category="code",
    ),
    Labelled(
        "pip install 'numpy>=1.26,<2.0' pandas==2.2.2 && python -m pytest -q tests/unit -k 'not slow'",
        (),
        category="code",
    ),
    Labelled(
        "The grace period for failed payments is 7 days; after that the account is downgraded to the "
        "free plan automatically.",
        (),
        category="ticket",
    ),
    Labelled(
        "Will the new pricing apply to existing annual contracts, or only to renewals after the 1 "
        "April 2025 change?",
        (),
        category="chat",
    ),
    Labelled(
        "Rose gold and midnight blue are back in stock for the Aurora 2 headphones at $149.99 each, "
        "while supplies last.",
        (),
        category="chat",
    ),
    Labelled(
        "Invoice INV-2024-000873 totals EUR 12,480.00 and is due within 30 days of receipt. Bank "
        "charges are borne by the sender.",
        (),
        category="email",
    ),
    Labelled(
        "Deployment 9aa71391-e8d0-4438-9188-750b65b88d29 failed at step 'migrate'; rollback to build "
        "cc23ee35f04ce173463bc5473333d6e1f8a790f2 succeeded.",
        (),
        category="log",
    ),
    Labelled(
        "Order 7730451288 shipped from our Rotterdam warehouse; estimated arrival in 3-5 business "
        "days, signature not required.",
        (),
        category="ticket",
    ),
    Labelled(
        "Python 3.13 was released on 7 October 2024, and the 3.8 branch reached end of life the same "
        "month. Which should we target?",
        (),
        category="chat",
    ),
    Labelled(
        "The EU AI Act entered into force on 1 August 2024; summarise the obligations for "
        "general-purpose model providers.",
        (),
        category="chat",
    ),
    Labelled(
        "Over the last decade, average first-response time in our support queue dropped from 14 hours "
        "to under 2. Great work, everyone.",
        (),
        category="email",
    ),
    Labelled(
        "2025-03-04T11:02:19Z INFO http GET /healthz 200 1.2ms pool=primary conns=12/50 region=eu-central-1",
        (),
        category="log",
    ),
    Labelled(
        "WARN cache miss ratio 0.37 over 5m window (threshold 0.30); shard=eu-west-1c node=cache-07 "
        "evictions=18231",
        (),
        category="log",
    ),
    Labelled(
        "replicas: 3\nimage: registry.example.com/app:2.14.1\nresources:\n  limits:\n    memory: "
        "512Mi\n    cpu: 500m\n",
        (),
        category="code",
    ),
    Labelled(
        "Sign in to the dashboard, open Settings > Billing and click Download to get a PDF of every "
        "invoice issued this year.",
        (),
        category="ticket",
    ),
    Labelled(
        "Hope this helps! Restart the service after changing the timeout, then check that the queue "
        "drains within a minute.",
        (),
        category="chat",
    ),
    Labelled(
        "The country dropdown is missing Georgia and Jordan, while Chad and Niger show up twice. "
        "Sorting also ignores accents.",
        (),
        category="ticket",
    ),
    Labelled(
        "Compare Berlin, Tokyo and Nairobi as locations for a new data center: latency to Europe, "
        "power prices and climate.",
        (),
        category="chat",
    ),
    Labelled(
        "SELECT order_id, SUM(amount) FROM payments WHERE created_at >= '2024-01-01' GROUP BY order_id "
        "HAVING SUM(amount) > 1000;",
        (),
        category="code",
    ),
    Labelled(
        "Error code 0x80070005 appears when the updater runs without admin rights; run it elevated and "
        "retry the install.",
        (),
        category="ticket",
    ),
    Labelled(
        "Explain the difference between the Paris Agreement and the Kyoto Protocol in two paragraphs "
        "for a high-school class.",
        (),
        category="chat",
    ),
    Labelled(
        "The Amazon and the Nile are the two longest rivers; list five facts about each for a pub quiz "
        "on Friday.",
        (),
        category="chat",
    ),
    Labelled(
        "Ticket 88120457: the Jade theme renders poorly in dark mode. Reproduced on build 4.2.0-rc.3 "
        "with Chrome 126 and Firefox 127.",
        (),
        category="ticket",
    ),
    Labelled(
        "Chase the vendor for the signed NDA before Friday; legal will not start the review without "
        "it. Thanks, the procurement desk",
        (),
        category="email",
    ),
    Labelled(
        "sha256: 5b0bf999ce901343e154667d263b817d3a3e31c9b29cae4253ec2e4e8cbe175a  otel-genai-0.9.2.tar.gz",
        (),
        category="code",
    ),
    Labelled(
        "Add a retry with exponential backoff (base 200 ms, max 6 attempts) to the webhook sender in "
        "notify/sender.py and log each attempt.",
        (),
        category="code",
    ),
    Labelled(
        "Price check: the Model S costs 89,990 USD, the Ioniq 6 about 42,450 USD and the Polestar 2 "
        "starts at 49,900 USD.",
        (),
        category="chat",
    ),
    Labelled(
        "Apple, Amazon and Shell reported earnings this week; summarise the headlines without "
        "speculation for the Monday briefing.",
        (),
        category="email",
    ),
    Labelled(
        "INFO batch 202405 sealed: 1,250 units, serials 00481200 to 00482449, qc_pass=1247 qc_fail=3",
        (),
        category="log",
    ),
    Labelled(
        "Phone model numbers like SM-S921B and A2849 differ by region; which of them support eSIM in "
        "Japan and Brazil?",
        (),
        category="chat",
    ),
    Labelled(
        "kubectl -n payments rollout restart deploy/checkout && kubectl -n payments get pods -l "
        "app=checkout -o wide",
        (),
        category="code",
    ),
    Labelled(
        "Turn off dark mode, clear the cache and reload; if the chart still starts at 1970-01-01 the "
        "timestamp field is null.",
        (),
        category="ticket",
    ),
    Labelled(
        "Guideline summary: adults with type 2 diabetes should have HbA1c checked every 3 to 6 months; "
        "the usual target is below 7%.",
        (),
        category="clinical",
    ),
    Labelled(
        "A German IBAN has 22 characters and a Norwegian one has 15. Explain how the mod-97 check "
        "works, step by step.",
        (),
        category="chat",
    ),
    Labelled(
        "Customer cannot find the Export button in version 5.3. Steps: open Reports, choose Monthly, "
        "click the cog icon, pick CSV.",
        (),
        category="ticket",
    ),
    Labelled(
        "INFO loaded model weights v1.4.2.7 in 842 ms; tokenizer revision 2.0.1; warmup batch=16 "
        "max_tokens=4096",
        (),
        category="log",
    ),
    Labelled(
        "Flight LH 4521 departs Frankfurt at 07:35 and lands in Lisbon at 09:50 local time; is the "
        "connection to Madeira realistic?",
        (),
        category="chat",
    ),
    Labelled(
        "Ward stock check: amoxicillin 500 mg x 240, paracetamol 1 g x 600, insulin glargine 100 "
        "units/ml x 35. Reorder below 20%.",
        (),
        category="clinical",
    ),
    Labelled(
        "Quarterly pipeline: 14 open deals in EMEA worth EUR 1.2M, 9 in APAC worth USD 640k. Churn "
        "risk flagged for two accounts.",
        (),
        category="crm",
    ),
    Labelled(
        "docker run --rm -p 8080:8080 -e LOG_LEVEL=debug -e MAX_WORKERS=4 "
        "ghcr.io/example/otel-collector:0.104.0",
        (),
        category="code",
    ),
    Labelled(
        "ERROR order-sync failed for order_id=104882736 invoice=INV-88213 retry_in=30s attempt=2/5 "
        "upstream=erp-eu",
        (),
        category="log",
    ),
    Labelled(
        "Frank feedback from the pilot: onboarding is too long and the reports page is slow. Sterling "
        "support response, though.",
        (),
        category="crm",
    ),
)

# Where each PERSON value in PII_TEXTS comes from (the origin of the name, not of the person).
NAME_ORIGINS: dict[str, str] = {
    "Kofi": "west_african",
    "Nomvula Dlamini": "southern_african",
    "tomasz wieczorek": "slavic",
    "Grace": "anglo",
    "Will": "anglo",
    "Mehmet Yıldırım": "middle_eastern",
    "Lakshmi Venkataraman": "south_asian",
    "Arjun Pillai": "south_asian",
    "Hoffmann": "western_european",
    "Valentina Restrepo": "latin_american",
    "Aroha": "pacific",
    "Joy": "anglo",
    "Bich Ngoc Tran": "southeast_asian",
    "Yusuf Abdi": "east_african",
    "marisol": "latin_american",
    "Dawit Tesfaye": "east_african",
    "priya": "south_asian",
    "Arnav": "south_asian",
    "Summer": "anglo",
    "Rosa Mendoza Quispe": "latin_american",
    "Dawn Hartley": "anglo",
    "Dawn": "anglo",
    "Lefebvre": "western_european",
    "Sunny Park": "east_asian",
    "Mark": "anglo",
    "Ingrid Solberg": "nordic",
    "Chidi Eze": "west_african",
    "Hope": "anglo",
    "Siobhán Gallagher": "anglo",
    "Kwabena Asante": "west_african",
    "Olga Kuznetsova": "slavic",
    "Emma Verhoeven": "western_european",
    "Ferdinand Achterberg": "western_european",
    "Aiko Shimizu": "east_asian",
    "Ayesha Siddiqui": "south_asian",
    "Bronwen Price": "anglo",
    "Amina Abubakar": "west_african",
    "Rafael Oliveira Santos": "latin_american",
    "Bill Okonjo": "west_african",
    "Bill": "west_african",
    "Priyanka Deshmukh": "south_asian",
    "Priyanka": "south_asian",
    "Mateus Ferreira": "latin_american",
    "Keira Whitlock": "anglo",
    "Sven Åkesson": "nordic",
    "Fatou Diallo": "west_african",
    "Fatou": "west_african",
    "Moussa": "west_african",
    "Elif Demir": "middle_eastern",
    "Alejandro Fuentes": "latin_american",
    "Chen Jiayi": "east_asian",
    "Théo Marchand": "western_european",
    "Kenji Watanabe": "east_asian",
    "Linnea Berg": "nordic",
    "Ngozi Eze-Okafor": "west_african",
    "Ngozi": "west_african",
    "Kwame": "west_african",
    "Esi": "west_african",
    "Marguerite Olsen": "anglo",
    "Haruto Matsumoto": "east_asian",
    "Renata Kowalczyk": "slavic",
    "Tariq Al-Mansouri": "middle_eastern",
    "Tariq": "middle_eastern",
    "Sneha": "south_asian",
    "Novak": "slavic",
    "Rangi": "pacific",
    "Liam": "anglo",
    "Nadia Haddad": "middle_eastern",
    "Oksana Melnyk": "slavic",
    "Dmytro": "slavic",
    "Faith": "anglo",
    "Thandiwe Mokoena": "southern_african",
    "Tunde": "west_african",
    "Adeyemi": "west_african",
    "Ifeoma": "west_african",
    "Aurélie Dubois-Martin": "western_european",
    "Aurélie": "western_european",
    "Daisuke Mori": "east_asian",
    "D. Mori": "east_asian",
    "Pita": "pacific",
    "Sina": "pacific",
    "Lucía Navarro": "latin_american",
    "Anders Lindqvist": "nordic",
    "Olumide Bankole": "west_african",
    "Sipho Ndlovu": "southern_african",
    "Beatriz Carvalho": "latin_american",
    "Hana Novotná": "slavic",
    "Ximena Huamán": "latin_american",
    "Wiktoria Zielińska": "slavic",
    "Haukur Sigurðsson": "nordic",
    "Mele": "pacific",
    "Tupou": "pacific",
    "Dhruv Malhotra": "south_asian",
    "Nuno Teixeira": "western_european",
    "Hunter Reyes": "latin_american",
    "Jonas": "nordic",
    "Rashid Karimi": "middle_eastern",
    "Adaeze Nwosu": "west_african",
    "Hassan Farouk": "middle_eastern",
    "Ji-hoon Seo": "east_asian",
    "Soo-ah": "east_asian",
    "Marta Gómez Ruiz": "western_european",
    "Javier": "western_european",
    "Otieno Odhiambo": "east_african",
    "Bjørn Halvorsen": "nordic",
    "Astrid": "nordic",
    "Parvati Iyer": "south_asian",
    "Karthik Iyer": "south_asian",
    "Camila Rojas": "latin_american",
    "Nguyen Van Minh": "southeast_asian",
    "Leilani Kahale": "pacific",
    "Rosalind Achebe-Moore": "west_african",
    "Abebe Girma": "east_african",
    "Hiwot": "east_african",
    "Rahel Mekonnen": "east_african",
    "Lerato": "southern_african",
    "Themba": "southern_african",
    "Zanele": "southern_african",
    "Maricel Bautista": "southeast_asian",
    "Putu Ayu Wirawan": "southeast_asian",
    "Wayan": "southeast_asian",
    "Somchai Rattanakorn": "southeast_asian",
}
