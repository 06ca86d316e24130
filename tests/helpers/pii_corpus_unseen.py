"""A blind labelled PII corpus for issue 17's final measurement, written without sight of the engine.

Written on 2026-12-06 by a helper session that had not read the redaction code, the benchmarks, the
redaction tests or the texts of the other corpora (only the ``Labelled`` shape, the kinds, the categories
and the checks in ``tests/test_pii_corpus.py``). Nobody tuned on it: it is meant to be measured once, for
the honest numbers on text nobody has seen.

It covers what an LLM application sees in prompts, tool arguments, tool results and model answers: support
chats (often lower-case, with typos), helpdesk tickets, CRM notes, e-mails in English, German, French,
Spanish, Portuguese, Italian, Dutch, Swedish and Polish, application logs and JSON, source code, SQL, YAML
and git metadata, and clinical notes. Names come from many origins (``NAME_ORIGINS``), appear with and
without cue words, alone, in signatures, JSON fields, code comments and commit lines, with particles
(van, de, von, al-, bin), hyphens, initials and in capitals; some are also English words. Clean texts are
hard on purpose: ids, versions, prices, timestamps, place names not said of a person, company and product
names, code identifiers and words that are also names.

Every value is invented: e-mail domains are example.com/.org/.net, phones come from fictional ranges or are
made up, cards are Luhn-valid random numbers, SSNs are 987-65-4321..4329, IBANs are random accounts with
valid mod-97 checksums, IPs are in the documentation ranges and every key is random.
"""

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # --- chat ------------------------------------------------------------------------------------------
    Labelled(
        "hi, my card got declined twice at checkout. its 4233 1083 9284 8778 exp 09/28, name on card is "
        "Gavin Thorpe. can u check??",
        (("CREDIT_CARD", "4233 1083 9284 8778"), ("PERSON", "Gavin Thorpe")),
        "chat",
    ),
    Labelled(
        "hey so i moved to Almaty last month and need to update my address, new one is Dostyk Avenue 188, "
        "apt 41, Almaty 050051. phone +7 701 555 0134. thx, Aibek",
        (
            ("LOCATION", "Almaty"),
            ("ADDRESS", "Dostyk Avenue 188, apt 41, Almaty 050051"),
            ("PHONE", "+7 701 555 0134"),
            ("PERSON", "Aibek"),
        ),
        "chat",
    ),
    Labelled(
        "can you draft a reply to wanjiru? she says the parcel never reached her in Nakuru and she wants "
        "the refund on the same card",
        (("PERSON", "wanjiru"), ("LOCATION", "Nakuru")),
        "chat",
    ),
    Labelled(
        "Tomasz will bring the laptop back tomorrow, he said text him on +48 601 555 014 if anything changes",
        (("PERSON", "Tomasz"), ("PHONE", "+48 601 555 014")),
        "chat",
    ),
    Labelled(
        "thanks, Kofi, that fixed it!! the export works again on my side, closing the chat now",
        (("PERSON", "Kofi"),),
        "chat",
    ),
    Labelled(
        "my son Haruto Sakamoto has an appointment with the orthodontist on Tue 14 Jan 2025 at 15:40, can "
        "you move it to the following week? same time if poss.",
        (("PERSON", "Haruto Sakamoto"), ("PERSONAL_DATE", "Tue 14 Jan 2025 at 15:40")),
        "chat",
    ),
    Labelled(
        "I've updated the delivery for Ms. Ximena Paredes to Avenida Providencia 1208, depto 503, "
        "7500000 Providencia, Santiago. The courier will arrive Saturday 8 March between 10:00 and 12:00.",
        (
            ("PERSON", "Ximena Paredes"),
            ("ADDRESS", "Avenida Providencia 1208, depto 503, 7500000 Providencia, Santiago"),
            ("PERSONAL_DATE", "Saturday 8 March between 10:00 and 12:00"),
        ),
        "chat",
    ),
    Labelled(
        "hallo, hier ist Klaus Obermeier, ich wohne seit Mai in Graz und brauche eine neue Rechnung an "
        "meine Adresse: Annenstraße 27, 8020 Graz. Danke!",
        (
            ("PERSON", "Klaus Obermeier"),
            ("LOCATION", "Graz"),
            ("ADDRESS", "Annenstraße 27, 8020 Graz"),
        ),
        "chat",
    ),
    Labelled(
        "ok so me and Mele are flying to Nuku'alofa on the 22nd for my grandma's funeral, can you help me "
        "rebook? booking ref QX7H2L, my email sione.taufa@example.net",
        (
            ("PERSON", "Mele"),
            ("LOCATION", "Nuku'alofa"),
            ("PERSONAL_DATE", "the 22nd"),
            ("EMAIL", "sione.taufa@example.net"),
        ),
        "chat",
    ),
    Labelled(
        "pls summarise this for me: 'Hi Priya, the bank details for the deposit are IBAN GB47 NWBK 9826 "
        "6685 5352 04, ref PR-2231. Regards, Hollis'",
        (("PERSON", "Priya"), ("IBAN", "GB47 NWBK 9826 6685 5352 04"), ("PERSON", "Hollis")),
        "chat",
    ),
    Labelled(
        "my ssn is 987-65-4321 and dob 03/17/1984, why does the form keep saying invalid?? name is Dwayne "
        "Carver",
        (("US_SSN", "987-65-4321"), ("DATE_OF_BIRTH", "03/17/1984"), ("PERSON", "Dwayne Carver")),
        "chat",
    ),
    Labelled(
        "hola! soy Joaquín Villalobos, vivo en Guadalajara y quiero cambiar el número de teléfono de mi "
        "cuenta al +52 33 5550 0142. gracias",
        (
            ("PERSON", "Joaquín Villalobos"),
            ("LOCATION", "Guadalajara"),
            ("PHONE", "+52 33 5550 0142"),
        ),
        "chat",
    ),
    Labelled(
        "fyi Grace Whitlock rang about her prescription, told her it's ready Friday 3 May after 2pm. "
        "she'll ring back on 020 7946 0318 if not",
        (
            ("PERSON", "Grace Whitlock"),
            ("PERSONAL_DATE", "Friday 3 May after 2pm"),
            ("PHONE", "020 7946 0318"),
        ),
        "chat",
    ),
    Labelled(
        "bro can u check why Nguyen Thi Lan's login keeps failing from 203.0.113.57? she's in Da Nang this "
        "week visiting family",
        (("PERSON", "Nguyen Thi Lan"), ("IP", "203.0.113.57"), ("LOCATION", "Da Nang")),
        "chat",
    ),
    Labelled(
        "oi, aqui é a Renata Guimarães. meu cartão final 0700 foi clonado, o número completo é "
        "5157 7032 2410 0700. estou em Recife agora",
        (
            ("PERSON", "Renata Guimarães"),
            ("CREDIT_CARD", "5157 7032 2410 0700"),
            ("LOCATION", "Recife"),
        ),
        "chat",
    ),
    Labelled(
        "Sure, here's the message for Thabo: 'Hi Thabo, Naledi from accounts here. Your refund was sent "
        "today, please confirm on +27 82 555 0147 when it shows.'",
        (("PERSON", "Thabo"), ("PERSON", "Naledi"), ("PHONE", "+27 82 555 0147")),
        "chat",
    ),
    Labelled(
        "will do. Hope is covering for Sigrid while she's on leave until 2 June, so ping Hope for anything "
        "urgent",
        (("PERSON", "Hope"), ("PERSON", "Sigrid"), ("PERSONAL_DATE", "2 June")),
        "chat",
    ),
    Labelled(
        "hey, can you check this transfer? sending 850 EUR to PL17 2729 5181 7560 4806 3581 7839 for "
        "Jaroslav Novák, he's my landlord in Kraków. ref 'czynsz marzec'",
        (
            ("IBAN", "PL17 2729 5181 7560 4806 3581 7839"),
            ("PERSON", "Jaroslav Novák"),
            ("LOCATION", "Kraków"),
        ),
        "chat",
    ),
    Labelled(
        "grüezi, bitte die Rückzahlung auf CH95 5460 4889 6139 7673 4 überweisen, nicht auf die alte "
        "Karte. Gruss, Reto Gasser",
        (("IBAN", "CH95 5460 4889 6139 7673 4"), ("PERSON", "Reto Gasser")),
        "chat",
    ),
    Labelled(
        "my visa is 4383613366786209 and my wife's mastercard 5429-4354-0220-1339, both stopped working "
        "since we landed in Tokyo. i'm Hemi, she's Kalena",
        (
            ("CREDIT_CARD", "4383613366786209"),
            ("CREDIT_CARD", "5429-4354-0220-1339"),
            ("LOCATION", "Tokyo"),
            ("PERSON", "Hemi"),
            ("PERSON", "Kalena"),
        ),
        "chat",
    ),
    Labelled(
        "pagué con UnionPay 6219 0323 4830 2313 en el hotel y me cobraron dos veces 😡 estoy de viaje en "
        "Cusco hasta el viernes. soy wilson mamani",
        (
            ("CREDIT_CARD", "6219 0323 4830 2313"),
            ("LOCATION", "Cusco"),
            ("PERSON", "wilson mamani"),
        ),
        "chat",
    ),
    # --- helpdesk tickets ---------------------------------------------------------------------------------
    Labelled(
        "TICKET #48213 | PRIORITY: HIGH\nREPORTER: Oskar Lindqvist <oskar.lindqvist@example.org>\n"
        "SUBJECT: cannot login after password reset\nUser reports lockout since the reset; last attempt "
        "from 198.51.100.23.",
        (
            ("PERSON", "Oskar Lindqvist"),
            ("EMAIL", "oskar.lindqvist@example.org"),
            ("IP", "198.51.100.23"),
        ),
        "ticket",
    ),
    Labelled(
        "[HELPDESK-2291] Laptop handover\nAssignee: Farrukh Alimov\nNotes: Bogdan Petrović leaves on "
        "31.03.2025; collect the device at his desk. Bogdan asked for a call on +381 64 555 0192 first.",
        (
            ("PERSON", "Farrukh Alimov"),
            ("PERSON", "Bogdan Petrović"),
            ("PERSONAL_DATE", "31.03.2025"),
            ("PERSON", "Bogdan"),
            ("PHONE", "+381 64 555 0192"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 7730 - refund request. Customer Adaeze Okonkwo (DOB 1991-06-12) was charged twice on card "
        "3528 9129 1692 4072. Please reverse one charge and email her at adaeze.o@example.com.",
        (
            ("PERSON", "Adaeze Okonkwo"),
            ("DATE_OF_BIRTH", "1991-06-12"),
            ("CREDIT_CARD", "3528 9129 1692 4072"),
            ("EMAIL", "adaeze.o@example.com"),
        ),
        "ticket",
    ),
    Labelled(
        "INC0041187 - VPN drops every 20 min\nCaller: Mikko Virtanen, working from Oulu this month\n"
        "Client IP 2001:db8:4f2a::1b7, gateway vpn-eu-2\nNext step: remote session booked Wed 12 Feb "
        "10:30 EET",
        (
            ("PERSON", "Mikko Virtanen"),
            ("LOCATION", "Oulu"),
            ("IP", "2001:db8:4f2a::1b7"),
            ("PERSONAL_DATE", "Wed 12 Feb 10:30 EET"),
        ),
        "ticket",
    ),
    Labelled(
        "SUP-5521: customer says 'i did not authorise the payment to IBAN DE65 7086 2145 5038 6260 38, my "
        "name is Matthias Brenner and i live in Dresden'. Escalated to fraud team.",
        (
            ("IBAN", "DE65 7086 2145 5038 6260 38"),
            ("PERSON", "Matthias Brenner"),
            ("LOCATION", "Dresden"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket #90211\nStatus: waiting on customer\nmsg from Layla al-Hashimi: the technician never came "
        "on Monday 17 March, i waited all morning at Al Wasl Road 2145, Villa 12, Dubai. please reschedule",
        (
            ("PERSON", "Layla al-Hashimi"),
            ("PERSONAL_DATE", "Monday 17 March"),
            ("ADDRESS", "Al Wasl Road 2145, Villa 12, Dubai"),
        ),
        "ticket",
    ),
    Labelled(
        "[JIRA] OPS-3310 key leaked in support thread\nReporter: Diego Quispe\nThe customer pasted their "
        "live key sk_live_c8mkzgimfPoJPOMALndLcks8 into the chat. Rotate it and notify them.",
        (("PERSON", "Diego Quispe"), ("API_KEY", "sk_live_c8mkzgimfPoJPOMALndLcks8")),
        "ticket",
    ),
    Labelled(
        "Zendesk #11873 (fr)\nBonjour, je m'appelle Hélène Marchand, j'habite au 14 rue des Carmes, "
        "31000 Toulouse. Mon colis n'est jamais arrivé. Tél. : 01 99 00 42 17.",
        (
            ("PERSON", "Hélène Marchand"),
            ("ADDRESS", "14 rue des Carmes, 31000 Toulouse"),
            ("PHONE", "01 99 00 42 17"),
        ),
        "ticket",
    ),
    Labelled(
        "TICKET 3382 / ACCESS REQUEST\nRequester: Kavya Iyer\nManager approval: Ravi Subramanian\nNeeds "
        "read access to billing-prod. Kavya is based in Pune and starts on 1 April.",
        (
            ("PERSON", "Kavya Iyer"),
            ("PERSON", "Ravi Subramanian"),
            ("PERSON", "Kavya"),
            ("LOCATION", "Pune"),
            ("PERSONAL_DATE", "1 April"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 6604: Dutch customer writes 'Mijn naam is Joost de Vries, ik woon op Oudegracht 231, "
        "3511 NK Utrecht. Graag terugstorten op NL80 ABNA 5200 1775 59.'",
        (
            ("PERSON", "Joost de Vries"),
            ("ADDRESS", "Oudegracht 231, 3511 NK Utrecht"),
            ("IBAN", "NL80 ABNA 5200 1775 59"),
        ),
        "ticket",
    ),
    Labelled(
        "#2219 card replacement - cardholder Tesfaye Bekele, Addis Ababa. Old card 6011 0837 1874 2133 "
        "blocked; new card shipped to Bole Road, House 77, Addis Ababa, arrives Thu 6 Nov.",
        (
            ("PERSON", "Tesfaye Bekele"),
            ("LOCATION", "Addis Ababa"),
            ("CREDIT_CARD", "6011 0837 1874 2133"),
            ("ADDRESS", "Bole Road, House 77, Addis Ababa"),
            ("PERSONAL_DATE", "Thu 6 Nov"),
        ),
        "ticket",
    ),
    Labelled(
        "BUG-881 export crashes for one account\nAffected user: sanjana pillai (lower-case in CRM)\nsteps: "
        "open Reports > Export, choose CSV\nonly reproduces from her IP 192.0.2.144",
        (("PERSON", "sanjana pillai"), ("IP", "192.0.2.144")),
        "ticket",
    ),
    Labelled(
        "Ticket #55190 - ES\n'Buenos días, soy Lucía Herrero. Tengo cita para la instalación el jueves 20 "
        "de febrero a las 9:30 y no podré estar. Mi móvil: +34 611 555 038.'",
        (
            ("PERSON", "Lucía Herrero"),
            ("PERSONAL_DATE", "jueves 20 de febrero a las 9:30"),
            ("PHONE", "+34 611 555 038"),
        ),
        "ticket",
    ),
    Labelled(
        "HD-7741 SSN mismatch\nEmployee Bethany Rourke entered 987-65-4322 but payroll has 987 65 4323. "
        "Please confirm with Bethany which one is correct.",
        (
            ("PERSON", "Bethany Rourke"),
            ("US_SSN", "987-65-4322"),
            ("US_SSN", "987 65 4323"),
            ("PERSON", "Bethany"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 4410 (it): 'Salve, sono Giulia Bernardi, nata il 02/09/1987 a Bologna. Non riesco ad "
        "accedere, il mio indirizzo è via Zamboni 33, 40126 Bologna.'",
        (
            ("PERSON", "Giulia Bernardi"),
            ("DATE_OF_BIRTH", "02/09/1987"),
            ("LOCATION", "Bologna"),
            ("ADDRESS", "via Zamboni 33, 40126 Bologna"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 8123: 'Buongiorno, vi prego di addebitare la rata su IT44 X255 7489 504A BC87 8490 438 da "
        "marzo. Grazie, Lorenzo Gatti, Torino'",
        (
            ("IBAN", "IT44 X255 7489 504A BC87 8490 438"),
            ("PERSON", "Lorenzo Gatti"),
            ("LOCATION", "Torino"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 3301 - Rücklastschrift\nKontoinhaber: Maximilian von Thaden, IBAN DE87 2339 8894 7617 8055 "
        "35. Herr von Thaden bittet um Rückruf unter +49 40 555 01 77.",
        (
            ("PERSON", "Maximilian von Thaden"),
            ("IBAN", "DE87 2339 8894 7617 8055 35"),
            ("PERSON", "von Thaden"),
            ("PHONE", "+49 40 555 01 77"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 2290: the SSN 987-65-4328 on the W-2 for Shelby Cartwright belongs to her ex-husband, the "
        "correct one is 987-65-4329. Reissue the form.",
        (
            ("US_SSN", "987-65-4328"),
            ("PERSON", "Shelby Cartwright"),
            ("US_SSN", "987-65-4329"),
        ),
        "ticket",
    ),
    # --- CRM notes ---------------------------------------------------------------------------------------
    Labelled(
        "CRM note: called Rania Khoury re: renewal. She's relocating to Beirut in spring and wants the "
        "invoices sent to rania.khoury@example.org from now on.",
        (("PERSON", "Rania Khoury"), ("LOCATION", "Beirut"), ("EMAIL", "rania.khoury@example.org")),
        "crm",
    ),
    Labelled(
        "Contact: Tendai Moyo (CFO)\nMobile: +263 77 555 0163\nNotes: prefers WhatsApp, lives in Harare, "
        "decision expected by end of Q2",
        (("PERSON", "Tendai Moyo"), ("PHONE", "+263 77 555 0163"), ("LOCATION", "Harare")),
        "crm",
    ),
    Labelled(
        "lead: Ahmad Faizal bin Rahman, procurement at a hospital group. lives in Shah Alam, commutes to KL. "
        "met him at the expo, said call after Hari Raya. ph 012-555 0178",
        (
            ("PERSON", "Ahmad Faizal bin Rahman"),
            ("LOCATION", "Shah Alam"),
            ("LOCATION", "KL"),
            ("PHONE", "012-555 0178"),
        ),
        "crm",
    ),
    Labelled(
        "Opportunity #OPP-2210 | Stage: Proposal\nOwner: Megan Ashworth\nChampion: Pieter Verhoeven "
        "(lives in Rotterdam)\nNext step: demo on 2025-03-04 14:00 CET with Pieter and his CTO",
        (
            ("PERSON", "Megan Ashworth"),
            ("PERSON", "Pieter Verhoeven"),
            ("LOCATION", "Rotterdam"),
            ("PERSONAL_DATE", "2025-03-04 14:00 CET"),
            ("PERSON", "Pieter"),
        ),
        "crm",
    ),
    Labelled(
        "Kunde: Anneke van der Berg\nAnsprechpartnerin seit 2019, sehr zufrieden. Rückruf gewünscht am "
        "Mittwoch, 12. März um 16 Uhr unter 030 90182044.",
        (
            ("PERSON", "Anneke van der Berg"),
            ("PERSONAL_DATE", "Mittwoch, 12. März um 16 Uhr"),
            ("PHONE", "030 90182044"),
        ),
        "crm",
    ),
    Labelled(
        "note from Shelby: Yerlan Dzhaksybekov called from the airport, flying back to Astana tonight, "
        "upset about the late shipment. offered 10% credit. direct line +7 7172 55 01 92",
        (
            ("PERSON", "Shelby"),
            ("PERSON", "Yerlan Dzhaksybekov"),
            ("LOCATION", "Astana"),
            ("PHONE", "+7 7172 55 01 92"),
        ),
        "crm",
    ),
    Labelled(
        "Contact record\nName: Chen Wei-ting\nEmail: weiting.chen@example.com\nTel: +886 912 555 041\n"
        "Home city: Taichung\nTags: VIP, APAC",
        (
            ("PERSON", "Chen Wei-ting"),
            ("EMAIL", "weiting.chen@example.com"),
            ("PHONE", "+886 912 555 041"),
            ("LOCATION", "Taichung"),
        ),
        "crm",
    ),
    Labelled(
        "Spoke to Achieng (Otieno's wife): Otieno Odhiambo is in hospital until 15 Aug, account on hold. "
        "Do NOT send collections letters.",
        (
            ("PERSON", "Achieng"),
            ("PERSON", "Otieno"),
            ("PERSON", "Otieno Odhiambo"),
            ("PERSONAL_DATE", "15 Aug"),
        ),
        "crm",
    ),
    Labelled(
        "Renewal call w/ Dalia Nassar + Yousef Haddad. Yousef will sign once he's back from Doha next week, "
        "Dalia wants SSO first.",
        (
            ("PERSON", "Dalia Nassar"),
            ("PERSON", "Yousef Haddad"),
            ("PERSON", "Yousef"),
            ("LOCATION", "Doha"),
            ("PERSON", "Dalia"),
        ),
        "crm",
    ),
    Labelled(
        "CRM > Contacts > Freja Møller\nPhone: +45 20 55 01 87\nAddress: Vesterbrogade 118, 1620 København "
        "V\nBirthday: 23 Nov 1979\nSegment: SMB",
        (
            ("PERSON", "Freja Møller"),
            ("PHONE", "+45 20 55 01 87"),
            ("ADDRESS", "Vesterbrogade 118, 1620 København V"),
            ("DATE_OF_BIRTH", "23 Nov 1979"),
        ),
        "crm",
    ),
    Labelled(
        "Called Mr. Sipho Nkosi back. He lives in Durban now; card on file updated to Amex 3494 032786 "
        "42752. His daughter Lindiwe will manage the account from July.",
        (
            ("PERSON", "Sipho Nkosi"),
            ("LOCATION", "Durban"),
            ("CREDIT_CARD", "3494 032786 42752"),
            ("PERSON", "Lindiwe"),
        ),
        "crm",
    ),
    Labelled(
        "Nota CRM: cliente Inês Carvalho ligou, mudou-se para o Porto. Nova morada: Rua de Santa Catarina "
        "512, 4000-447 Porto. Pagamento por IBAN PT45 4906 5286 3037 4862 5702 9.",
        (
            ("PERSON", "Inês Carvalho"),
            ("LOCATION", "Porto"),
            ("ADDRESS", "Rua de Santa Catarina 512, 4000-447 Porto"),
            ("IBAN", "PT45 4906 5286 3037 4862 5702 9"),
        ),
        "crm",
    ),
    Labelled(
        "account owner Kerem Aydoğan - churn risk. last login came from 198.51.100.201. said on the phone "
        "he's moving to Izmir and may cancel",
        (("PERSON", "Kerem Aydoğan"), ("IP", "198.51.100.201"), ("LOCATION", "Izmir")),
        "crm",
    ),
    Labelled(
        "Lead source: webinar. Name: Aino Korhonen. Asked about data residency; she's in Tampere and "
        "prefers Finnish invoices. Mobile 040 555 0129",
        (("PERSON", "Aino Korhonen"), ("LOCATION", "Tampere"), ("PHONE", "040 555 0129")),
        "crm",
    ),
    Labelled(
        "Kundanteckning: Björn Åkesson (070-174 06 55) vill byta till autogiro från konto SE03 2236 5039 "
        "5315 8668 2125. Bor numera i Malmö.",
        (
            ("PERSON", "Björn Åkesson"),
            ("PHONE", "070-174 06 55"),
            ("IBAN", "SE03 2236 5039 5315 8668 2125"),
            ("LOCATION", "Malmö"),
        ),
        "crm",
    ),
    Labelled(
        "Notitie: mevr. Anouk Smit-van Dijk betaalt voortaan via NL89 INGB 5185 4389 68 en verhuist op "
        "1 mei naar Haarlem.",
        (
            ("PERSON", "Anouk Smit-van Dijk"),
            ("IBAN", "NL89 INGB 5185 4389 68"),
            ("PERSONAL_DATE", "1 mei"),
            ("LOCATION", "Haarlem"),
        ),
        "crm",
    ),
    # --- e-mails -----------------------------------------------------------------------------------------
    Labelled(
        "Subject: Your appointment\n\nDear Mrs Nomvula Mahlangu,\n\nthis confirms your consultation on "
        "Thursday, 5 June 2025 at 11:15 at our Sandton branch. To reschedule please call 011 555 0134.\n\n"
        "Kind regards,\nRefilwe Sithole\nClient Services",
        (
            ("PERSON", "Nomvula Mahlangu"),
            ("PERSONAL_DATE", "Thursday, 5 June 2025 at 11:15"),
            ("PHONE", "011 555 0134"),
            ("PERSON", "Refilwe Sithole"),
        ),
        "email",
    ),
    Labelled(
        "Sehr geehrte Frau Zielińska,\n\nvielen Dank für Ihre Nachricht. Ihr Termin zur "
        "Vertragsunterzeichnung ist am Dienstag, 18.02.2025, 10:00 Uhr. Bitte bringen Sie Ihren Ausweis "
        "mit.\n\nMit freundlichen Grüßen\nLukas Hofstetter",
        (
            ("PERSON", "Zielińska"),
            ("PERSONAL_DATE", "Dienstag, 18.02.2025, 10:00 Uhr"),
            ("PERSON", "Lukas Hofstetter"),
        ),
        "email",
    ),
    Labelled(
        "Bonjour Margaux,\n\nJe vous confirme le virement sur votre compte FR36 8865 9387 42A0 2886 3378 955 "
        "ce vendredi. Pour toute question : jl.fournier@example.com\n\nCordialement,\nJean-Luc Fournier",
        (
            ("PERSON", "Margaux"),
            ("IBAN", "FR36 8865 9387 42A0 2886 3378 955"),
            ("EMAIL", "jl.fournier@example.com"),
            ("PERSON", "Jean-Luc Fournier"),
        ),
        "email",
    ),
    Labelled(
        "Hola Valentina:\n\nte escribo porque Esteban Ocampo me pasó tu contacto. ¿Podemos vernos el lunes "
        "10 de marzo a las 17:00? Llego a Medellín ese mismo día.\n\nSaludos,\nFernanda Beltrán",
        (
            ("PERSON", "Valentina"),
            ("PERSON", "Esteban Ocampo"),
            ("PERSONAL_DATE", "lunes 10 de marzo a las 17:00"),
            ("LOCATION", "Medellín"),
            ("PERSON", "Fernanda Beltrán"),
        ),
        "email",
    ),
    Labelled(
        "Olá Thiago,\n\nsegue o cartão corporativo para a tua viagem a Lisboa: 4525 7607 7002 8188, validade "
        "11/27. Não partilhes com ninguém.\n\nAbraço,\nLuciana",
        (
            ("PERSON", "Thiago"),
            ("LOCATION", "Lisboa"),
            ("CREDIT_CARD", "4525 7607 7002 8188"),
            ("PERSON", "Luciana"),
        ),
        "email",
    ),
    Labelled(
        "Gentile dott.ssa Chiara Lombardi,\nle ricordiamo la visita di controllo fissata per martedì 8 "
        "aprile alle ore 9:45. Per disdire chiami lo +39 02 555 0196.\nCordiali saluti",
        (
            ("PERSON", "Chiara Lombardi"),
            ("PERSONAL_DATE", "martedì 8 aprile alle ore 9:45"),
            ("PHONE", "+39 02 555 0196"),
        ),
        "email",
    ),
    Labelled(
        "Beste Sophie,\n\nDank je voor je sollicitatie. We nodigen je uit voor een gesprek op vrijdag 21 "
        "maart om 14.30 uur op ons kantoor.\n\nMet vriendelijke groet,\nJoost",
        (
            ("PERSON", "Sophie"),
            ("PERSONAL_DATE", "vrijdag 21 maart om 14.30 uur"),
            ("PERSON", "Joost"),
        ),
        "email",
    ),
    Labelled(
        "Hej Elin!\n\nBjörn och jag kommer till Umeå på torsdag. Kan du skicka din nya adress? Mitt nummer "
        "är 070-174 06 12 om du vill ringa.\n\nHälsningar,\nAstrid",
        (
            ("PERSON", "Elin"),
            ("PERSON", "Björn"),
            ("LOCATION", "Umeå"),
            ("PERSONAL_DATE", "torsdag"),
            ("PHONE", "070-174 06 12"),
            ("PERSON", "Astrid"),
        ),
        "email",
    ),
    Labelled(
        "Dzień dobry Pani Katarzyno,\n\nprzesyłam potwierdzenie wizyty technika: środa 26 lutego, godz. "
        "8:00-10:00, ul. Piotrkowska 104/6, 90-006 Łódź.\n\nPozdrawiam,\nPiotr Kamiński",
        (
            ("PERSON", "Katarzyno"),
            ("PERSONAL_DATE", "środa 26 lutego, godz. 8:00-10:00"),
            ("ADDRESS", "ul. Piotrkowska 104/6, 90-006 Łódź"),
            ("PERSON", "Piotr Kamiński"),
        ),
        "email",
    ),
    Labelled(
        "Hi all,\n\nquick one: Aminata Diallo joins the Dakar team on Monday 7 April. Please set up her "
        "laptop and send credentials to aminata.diallo@example.org. Her mobile is +221 77 555 01 23.\n\n"
        "Cheers,\nNeil",
        (
            ("PERSON", "Aminata Diallo"),
            ("LOCATION", "Dakar"),
            ("PERSONAL_DATE", "Monday 7 April"),
            ("EMAIL", "aminata.diallo@example.org"),
            ("PHONE", "+221 77 555 01 23"),
            ("PERSON", "Neil"),
        ),
        "email",
    ),
    Labelled(
        "From: Ibrahim Sesay <i.sesay@example.net>\nTo: payroll@example.com\nSubject: bank change\n\nPlease "
        "pay my salary into IE64 AIBK 5880 8565 7419 60 from next month. Thanks, Ibrahim",
        (
            ("PERSON", "Ibrahim Sesay"),
            ("EMAIL", "i.sesay@example.net"),
            ("EMAIL", "payroll@example.com"),
            ("IBAN", "IE64 AIBK 5880 8565 7419 60"),
            ("PERSON", "Ibrahim"),
        ),
        "email",
    ),
    Labelled(
        "Dear Dr. Hamid Sadeghi,\n\nthank you for registering. We look forward to welcoming you in Vienna; "
        "your hotel check-in is Sunday 11 May from 15:00.\n\nBest,\nThe organising team",
        (
            ("PERSON", "Hamid Sadeghi"),
            ("LOCATION", "Vienna"),
            ("PERSONAL_DATE", "Sunday 11 May from 15:00"),
        ),
        "email",
    ),
    Labelled(
        "hey Bongani,\n\nforwarding the login for the staging box as discussed: host 203.0.113.12, user "
        "deploy, token glpat-og7z0ImMT0E6yjkFRlui. pls don't paste it in slack again lol\n\n- Zanele",
        (
            ("PERSON", "Bongani"),
            ("IP", "203.0.113.12"),
            ("API_KEY", "glpat-og7z0ImMT0E6yjkFRlui"),
            ("PERSON", "Zanele"),
        ),
        "email",
    ),
    Labelled(
        "Guten Tag Frau Horváthová,\n\nwir haben Ihre Lastschrift auf das Konto AT11 7230 4469 3446 8528 "
        "umgestellt. Ihre neue Anschrift Mariahilfer Straße 88, 1070 Wien ist hinterlegt.\n\nFreundliche "
        "Grüße\nIhr Kundenservice",
        (
            ("PERSON", "Horváthová"),
            ("IBAN", "AT11 7230 4469 3446 8528"),
            ("ADDRESS", "Mariahilfer Straße 88, 1070 Wien"),
        ),
        "email",
    ),
    Labelled(
        "Madame, Monsieur,\n\nJe soussigné Rachid El Amrani, né le 4 mai 1982 à Casablanca, demeurant 9 "
        "avenue Jean Médecin, 06000 Nice, certifie sur l'honneur l'exactitude des informations ci-jointes.",
        (
            ("PERSON", "Rachid El Amrani"),
            ("DATE_OF_BIRTH", "4 mai 1982"),
            ("LOCATION", "Casablanca"),
            ("ADDRESS", "9 avenue Jean Médecin, 06000 Nice"),
        ),
        "email",
    ),
    Labelled(
        "Hi Arjun,\nthe courier will collect the samples from your place on Fri 28 Feb between 9 and 11: "
        "42 Copperbeech Lane, Manchester M14 9ZZ. Reply here or call 07700 900412.\nDeepika",
        (
            ("PERSON", "Arjun"),
            ("PERSONAL_DATE", "Fri 28 Feb between 9 and 11"),
            ("ADDRESS", "42 Copperbeech Lane, Manchester M14 9ZZ"),
            ("PHONE", "07700 900412"),
            ("PERSON", "Deepika"),
        ),
        "email",
    ),
    Labelled(
        "Subject: Re: visa letter\n\nHi Imane, attached is the invitation letter. Your flight lands in "
        "Montréal on 3 June; Soraya will pick you up. The name must read IMANE TAZI exactly.\n- Leila",
        (
            ("PERSON", "Imane"),
            ("LOCATION", "Montréal"),
            ("PERSONAL_DATE", "3 June"),
            ("PERSON", "Soraya"),
            ("PERSON", "IMANE TAZI"),
            ("PERSON", "Leila"),
        ),
        "email",
    ),
    Labelled(
        "Estimado Sr. Mateo Huamán:\nsu pedido será entregado en Jr. Junín 455, Miraflores, Lima el "
        "miércoles 2 de abril. Si no estará en casa, avísenos a pedidos@example.com o al +51 1 555 0176.",
        (
            ("PERSON", "Mateo Huamán"),
            ("ADDRESS", "Jr. Junín 455, Miraflores, Lima"),
            ("PERSONAL_DATE", "miércoles 2 de abril"),
            ("EMAIL", "pedidos@example.com"),
            ("PHONE", "+51 1 555 0176"),
        ),
        "email",
    ),
    Labelled(
        "Buenas tardes,\nadjunto mis datos para la domiciliación: titular Martina Echeverría, IBAN "
        "ES95 7313 3513 6831 3479 7512, dirección Calle de Toledo 88, 3º B, 28005 Madrid.\n"
        "Un saludo, Martina",
        (
            ("PERSON", "Martina Echeverría"),
            ("IBAN", "ES95 7313 3513 6831 3479 7512"),
            ("ADDRESS", "Calle de Toledo 88, 3º B, 28005 Madrid"),
            ("PERSON", "Martina"),
        ),
        "email",
    ),
    Labelled(
        "Dear Ms Dizon,\nyour Diners Club card 3642 349043 0305 has been renewed and will be couriered to "
        "Unit 12B, 88 Mabini St, Malate, Manila 1004 on Tue 15 Apr. Please be home to sign.",
        (
            ("PERSON", "Dizon"),
            ("CREDIT_CARD", "3642 349043 0305"),
            ("ADDRESS", "Unit 12B, 88 Mabini St, Malate, Manila 1004"),
            ("PERSONAL_DATE", "Tue 15 Apr"),
        ),
        "email",
    ),
    Labelled(
        "Mark, can you sign off Will Hargreaves' expenses before Friday? He's off to Cardiff for his "
        "sister's wedding and his card 4259 7957 1752 3356 is maxed. Ta, Rob",
        (
            ("PERSON", "Mark"),
            ("PERSON", "Will Hargreaves"),
            ("LOCATION", "Cardiff"),
            ("CREDIT_CARD", "4259 7957 1752 3356"),
            ("PERSON", "Rob"),
        ),
        "email",
    ),
    # --- logs and JSON -----------------------------------------------------------------------------------
    Labelled(
        "2025-02-11T09:14:03.221Z INFO auth.login user_id=88213 email=kylie.brandt@example.com "
        "ip=192.0.2.77 result=success mfa=totp",
        (("EMAIL", "kylie.brandt@example.com"), ("IP", "192.0.2.77")),
        "log",
    ),
    Labelled(
        '{"level":"warn","ts":"2025-03-02T17:45:11Z","msg":"payment declined","customer":{"name":'
        '"Kiprono Rotich","card":"5511 3883 2027 0812","home_city":"Eldoret"},'
        '"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}',
        (
            ("PERSON", "Kiprono Rotich"),
            ("CREDIT_CARD", "5511 3883 2027 0812"),
            ("LOCATION", "Eldoret"),
        ),
        "log",
    ),
    Labelled(
        "Mar 03 08:12:44 api-7 app[1123]: WARN request contained Authorization: Bearer "
        "sk-HMaOTFi5Zv5jOB7vFIanOzOpUR6h2eAj3KE3wSlcJpULv8pb from 198.51.100.9",
        (("API_KEY", "sk-HMaOTFi5Zv5jOB7vFIanOzOpUR6h2eAj3KE3wSlcJpULv8pb"), ("IP", "198.51.100.9")),
        "log",
    ),
    Labelled(
        '[2025-01-30 22:01:17] tool_call name=book_appointment args={"patient":"Hsu Pei-ling",'
        '"slot":"2025-02-04 09:20","clinic":"Xinyi"} status=ok',
        (("PERSON", "Hsu Pei-ling"), ("PERSONAL_DATE", "2025-02-04 09:20")),
        "log",
    ),
    Labelled(
        'ERROR sync.contacts failed for record 5521: {"first_name":"Losana","last_name":"Vakaloloma",'
        '"phone":"+679 555 0143","dob":"1990-08-19"} reason=duplicate',
        (
            ("PERSON", "Losana"),
            ("PERSON", "Vakaloloma"),
            ("PHONE", "+679 555 0143"),
            ("DATE_OF_BIRTH", "1990-08-19"),
        ),
        "log",
    ),
    Labelled(
        'level=info msg="profile updated" uid=u_19fa3 changes="address: \'Karl Johans gate 31, 0159 Oslo\' '
        '-> \'Storgata 12, 9008 Tromsø\'" actor="Henrik Dahl"',
        (
            ("ADDRESS", "Karl Johans gate 31, 0159 Oslo"),
            ("ADDRESS", "Storgata 12, 9008 Tromsø"),
            ("PERSON", "Henrik Dahl"),
        ),
        "log",
    ),
    Labelled(
        '2025-04-01 12:00:00,114 DEBUG llm.request prompt="Summarise the complaint from Farhan Chowdhury '
        '(farhan.c@example.net, +880 1711 555018) about order 99812" tokens=412',
        (
            ("PERSON", "Farhan Chowdhury"),
            ("EMAIL", "farhan.c@example.net"),
            ("PHONE", "+880 1711 555018"),
        ),
        "log",
    ),
    Labelled(
        "WARN secret-scanner: found AWS key AKIADFQHFYHWIQSSXNLG in commit a91f3e2 pushed by Lars-Erik "
        "Sandvik, blocking merge",
        (("API_KEY", "AKIADFQHFYHWIQSSXNLG"), ("PERSON", "Lars-Erik Sandvik")),
        "log",
    ),
    Labelled(
        '{"event":"kyc.submitted","applicant":"Salma Chaabane","ssn":"987-65-4324","dob":"07/22/1993",'
        '"ip":"2001:db8:ac10::fe01","status":"pending"}',
        (
            ("PERSON", "Salma Chaabane"),
            ("US_SSN", "987-65-4324"),
            ("DATE_OF_BIRTH", "07/22/1993"),
            ("IP", "2001:db8:ac10::fe01"),
        ),
        "log",
    ),
    Labelled(
        "INFO  notifier: posted escalation for Amani to #support using "
        "xoxb-454929762423-0503892763779-b71PjKsHuD1FwKJJiVrb3p0J (workspace acme)",
        (("PERSON", "Amani"), ("API_KEY", "xoxb-454929762423-0503892763779-b71PjKsHuD1FwKJJiVrb3p0J")),
        "log",
    ),
    Labelled(
        "audit 2025-02-14 16:20:05 UTC: Kim Min-seo exported 1,204 rows from the customers table; "
        "approved by Takeshi Ono",
        (("PERSON", "Kim Min-seo"), ("PERSON", "Takeshi Ono")),
        "log",
    ),
    Labelled(
        '2025-03-18T06:30:00Z INFO reminder.sent to="+61 491 570 156" body="Hi Aroha, your delivery is '
        'booked for Wed 19 Mar, 7-9am. Reply STOP to opt out."',
        (
            ("PHONE", "+61 491 570 156"),
            ("PERSON", "Aroha"),
            ("PERSONAL_DATE", "Wed 19 Mar, 7-9am"),
        ),
        "log",
    ),
    Labelled(
        'tool_result get_customer -> {"id":"c_7741","name":"Yaw Boateng","iban":"BE22 3134 1891 5862",'
        '"address":"Rue Haute 201, 1000 Bruxelles","phone":"+32 470 55 01 29"}',
        (
            ("PERSON", "Yaw Boateng"),
            ("IBAN", "BE22 3134 1891 5862"),
            ("ADDRESS", "Rue Haute 201, 1000 Bruxelles"),
            ("PHONE", "+32 470 55 01 29"),
        ),
        "log",
    ),
    Labelled(
        '{"ts":"2025-05-09T11:02:44Z","svc":"checkout","msg":"3ds challenge","pan":"2221 7793 3855 8941",'
        '"cardholder":"ZUZANA HRUŠKOVÁ","ip":"203.0.113.201"}',
        (
            ("CREDIT_CARD", "2221 7793 3855 8941"),
            ("PERSON", "ZUZANA HRUŠKOVÁ"),
            ("IP", "203.0.113.201"),
        ),
        "log",
    ),
    Labelled(
        '{"op":"charge","card":"371583904985633","name":"J. Bautista","amount":"49.00","currency":"PHP"}',
        (("CREDIT_CARD", "371583904985633"), ("PERSON", "J. Bautista")),
        "log",
    ),
    Labelled(
        "2025-06-02 14:03:51 WARN agent.memory stored fact: 'user Tran Van Minh lives in Hue and his wife "
        "Pham Thu Ha is due to give birth on 14 July' session=9f2e",
        (
            ("PERSON", "Tran Van Minh"),
            ("LOCATION", "Hue"),
            ("PERSON", "Pham Thu Ha"),
            ("PERSONAL_DATE", "14 July"),
        ),
        "log",
    ),
    # --- code, SQL, config -------------------------------------------------------------------------------
    Labelled(
        '# TODO(olena): remove before release\nSTRIPE_KEY = "rk_test_xEtxeBjHqcjOOKQoxxLpNgPz"\n'
        "client = stripe.Client(STRIPE_KEY)",
        (("PERSON", "olena"), ("API_KEY", "rk_test_xEtxeBjHqcjOOKQoxxLpNgPz")),
        "code",
    ),
    Labelled(
        "3f2c1a9d (Oluwaseun Bakare 2024-11-02 14:22:10 +0100  42)     retries = 3  # Oluwaseun: bump "
        "this if the bank API flakes again",
        (("PERSON", "Oluwaseun Bakare"), ("PERSON", "Oluwaseun")),
        "code",
    ),
    Labelled(
        "INSERT INTO customers (name, email, phone, dob) VALUES ('Camila Ortúzar', "
        "'camila.ortuzar@example.com', '+56 9 5550 1234', '1988-12-30');",
        (
            ("PERSON", "Camila Ortúzar"),
            ("EMAIL", "camila.ortuzar@example.com"),
            ("PHONE", "+56 9 5550 1234"),
            ("DATE_OF_BIRTH", "1988-12-30"),
        ),
        "code",
    ),
    Labelled(
        "def test_invoice_total():\n"
        '    customer = Customer(name="Jónas Gunnarsson", iban="DK72 5417 2414 2876 65")\n'
        '    assert invoice_for(customer).total == Decimal("129.00")',
        (("PERSON", "Jónas Gunnarsson"), ("IBAN", "DK72 5417 2414 2876 65")),
        "code",
    ),
    Labelled(
        'const HF_TOKEN = "hf_DN2SgPhowomeMVUHMbt56rkPGTkNvQiOwa"; // Tamati said this one is read-only',
        (("API_KEY", "hf_DN2SgPhowomeMVUHMbt56rkPGTkNvQiOwa"), ("PERSON", "Tamati")),
        "code",
    ),
    Labelled(
        "# .env.local (do not commit)\n"
        "ANTHROPIC_API_KEY=sk-ant-api03-jP4zJAzctQf-MWAs6DOSWU5-Dk6mUXVQDt9qVFuv85fMrmtY60m-6Pxn8SKxAA\n"
        "SENDGRID_API_KEY=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\n"
        "ADMIN_EMAIL=leilani.kealoha@example.org",
        (
            ("API_KEY", "sk-ant-api03-jP4zJAzctQf-MWAs6DOSWU5-Dk6mUXVQDt9qVFuv85fMrmtY60m-6Pxn8SKxAA"),
            ("API_KEY", "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"),
            ("EMAIL", "leilani.kealoha@example.org"),
        ),
        "code",
    ),
    Labelled(
        "SELECT id, diagnosis FROM patients\nWHERE last_name = 'Belkacem' AND first_name = 'Mehdi'\n"
        "  AND dob = '1975-04-09';",
        (("PERSON", "Belkacem"), ("PERSON", "Mehdi"), ("DATE_OF_BIRTH", "1975-04-09")),
        "code",
    ),
    Labelled(
        "cfg := Config{\n"
        '    Owner:  "Keoni Kahananui", // pager owner this quarter\n'
        '    Pager:  "+1 808 555 0119",\n'
        '    APIKey: "dop_v1_2884929c7a12f0e3f4c455549af5a46bbc3b7d8171c7a0f95ee532850f30d958",\n}',
        (
            ("PERSON", "Keoni Kahananui"),
            ("PHONE", "+1 808 555 0119"),
            ("API_KEY", "dop_v1_2884929c7a12f0e3f4c455549af5a46bbc3b7d8171c7a0f95ee532850f30d958"),
        ),
        "code",
    ),
    Labelled(
        "contacts:\n  - name: Gulnara Abenova\n    role: DPO\n    email: g.abenova@example.org\n"
        '    phone: "+7 727 555 0152"\n  - name: Azamat Toktogulov\n    role: on-call',
        (
            ("PERSON", "Gulnara Abenova"),
            ("EMAIL", "g.abenova@example.org"),
            ("PHONE", "+7 727 555 0152"),
            ("PERSON", "Azamat Toktogulov"),
        ),
        "code",
    ),
    Labelled(
        "-    # ask Bill before changing the rounding\n"
        "+    # ask Bill Tanner (bill.tanner@example.com) before changing the rounding\n"
        "     amount = round(amount, 2)",
        (("PERSON", "Bill"), ("PERSON", "Bill Tanner"), ("EMAIL", "bill.tanner@example.com")),
        "code",
    ),
    Labelled(
        "export const demoUser = {\n"
        '  name: "Zoya Siddiqui",\n  card: "4340133371878",\n  ssn: "987654325",\n  ip: "2001:db8::7:1",\n};',
        (
            ("PERSON", "Zoya Siddiqui"),
            ("CREDIT_CARD", "4340133371878"),
            ("US_SSN", "987654325"),
            ("IP", "2001:db8::7:1"),
        ),
        "code",
    ),
    Labelled(
        'curl -H "X-Api-Key: AIzaibDJYTwKP2ZhQ3XKgKkeAlR48Z066y22gIF" "$GEOCODE_URL"  '
        "# geocode Budi Santoso's home: Jalan Kemang Raya 45, Jakarta 12730",
        (
            ("API_KEY", "AIzaibDJYTwKP2ZhQ3XKgKkeAlR48Z066y22gIF"),
            ("PERSON", "Budi Santoso"),
            ("ADDRESS", "Jalan Kemang Raya 45, Jakarta 12730"),
        ),
        "code",
    ),
    Labelled(
        "commit 9b1e77f\nAuthor: Kagiso Molefe <kagiso@example.net>\n\n    fix: mask npm token "
        "npm_57PHXa6PsYQlIy3lRtn3bOdQBeY5XsIH0U2N in CI logs\n\n    Reported-by: Tatenda Chikwanha",
        (
            ("PERSON", "Kagiso Molefe"),
            ("EMAIL", "kagiso@example.net"),
            ("API_KEY", "npm_57PHXa6PsYQlIy3lRtn3bOdQBeY5XsIH0U2N"),
            ("PERSON", "Tatenda Chikwanha"),
        ),
        "code",
    ),
    Labelled(
        "// Maestro fixture for the 19-digit path: 6759 4839 1672 4838 816\n"
        "// owner of the sandbox account: Lin Xiaoyu (ask her before rotating)",
        (("CREDIT_CARD", "6759 4839 1672 4838 816"), ("PERSON", "Lin Xiaoyu")),
        "code",
    ),
    Labelled(
        "    # Twilio creds, Sunil Thapa's personal trial account - replace!\n"
        '    TWILIO_SID = "SKd87a8674959698a1d4a8bb0dc6580b1f"\n'
        '    FROM_NUMBER = "+1 415 555 0163"',
        (
            ("PERSON", "Sunil Thapa"),
            ("API_KEY", "SKd87a8674959698a1d4a8bb0dc6580b1f"),
            ("PHONE", "+1 415 555 0163"),
        ),
        "code",
    ),
    Labelled(
        "UPDATE users SET address = 'Hauptstraße 14, 6020 Innsbruck', city = 'Innsbruck'\n"
        "WHERE email = 'tobias.brandstaetter@example.com';  -- Tobias moved, see ticket 4471",
        (
            ("ADDRESS", "Hauptstraße 14, 6020 Innsbruck"),
            ("LOCATION", "Innsbruck"),
            ("EMAIL", "tobias.brandstaetter@example.com"),
            ("PERSON", "Tobias"),
        ),
        "code",
    ),
    # --- clinical notes ----------------------------------------------------------------------------------
    Labelled(
        "Pt: Efua Asante, F, DOB 14/02/1969. Admitted 03/03/2025 with chest pain. Hx: HTN, T2DM. Lives "
        "alone in Kumasi; daughter Akosua Owusu is NOK, tel +233 24 555 0171.",
        (
            ("PERSON", "Efua Asante"),
            ("DATE_OF_BIRTH", "14/02/1969"),
            ("PERSONAL_DATE", "03/03/2025"),
            ("LOCATION", "Kumasi"),
            ("PERSON", "Akosua Owusu"),
            ("PHONE", "+233 24 555 0171"),
        ),
        "clinical",
    ),
    Labelled(
        "Discharge summary: Mr Tevita Havili (MRN 00482213) discharged home on 12 Jan 2025 at 16:00. "
        "Follow-up in fracture clinic Mon 27 Jan 09:30.",
        (
            ("PERSON", "Tevita Havili"),
            ("PERSONAL_DATE", "12 Jan 2025 at 16:00"),
            ("PERSONAL_DATE", "Mon 27 Jan 09:30"),
        ),
        "clinical",
    ),
    Labelled(
        "SOAP note\nS: 34yo male c/o cough x 2 wks, recently back from Lagos (visiting family)\n"
        "O: T 38.1, SpO2 95%\nA: ?CAP\nP: CXR, amoxicillin. Seen by Dr Chukwuemeka Eze.",
        (("LOCATION", "Lagos"), ("PERSON", "Chukwuemeka Eze")),
        "clinical",
    ),
    Labelled(
        "Dear Dr Nodira Karimova,\nI would be grateful if you could see Mr Timur Sadykov (born 2 October "
        "1958) regarding worsening dyspnoea. He is booked with you for 16/04/2025 at 10:20.\nYours "
        "sincerely,\nDr Saltanat Bekova",
        (
            ("PERSON", "Nodira Karimova"),
            ("PERSON", "Timur Sadykov"),
            ("DATE_OF_BIRTH", "2 October 1958"),
            ("PERSONAL_DATE", "16/04/2025 at 10:20"),
            ("PERSON", "Saltanat Bekova"),
        ),
        "clinical",
    ),
    Labelled(
        "Aufnahme: Frau Ivana Kovačević, geb. 11.07.1946, wohnhaft Lindenstraße 5, 50674 Köln. Aufnahme am "
        "02.03.2025 um 22:40 Uhr über die Notaufnahme. Angehöriger: Sohn Dario, Tel. 0221 555 0193",
        (
            ("PERSON", "Ivana Kovačević"),
            ("DATE_OF_BIRTH", "11.07.1946"),
            ("ADDRESS", "Lindenstraße 5, 50674 Köln"),
            ("PERSONAL_DATE", "02.03.2025 um 22:40 Uhr"),
            ("PERSON", "Dario"),
            ("PHONE", "0221 555 0193"),
        ),
        "clinical",
    ),
    Labelled(
        "nursing note 07:00 - pt Wang Jun settled overnight, pain 3/10. asked that his brother in Chengdu "
        "not be told about the admission.",
        (("PERSON", "Wang Jun"), ("LOCATION", "Chengdu")),
        "clinical",
    ),
    Labelled(
        "Telehealth intake: Ana Tuimavave, 29, from Apia, currently staying in Auckland for treatment. "
        "Consent obtained. Next video visit Thursday 22 May 2025, 13:00 NZST.",
        (
            ("PERSON", "Ana Tuimavave"),
            ("LOCATION", "Apia"),
            ("LOCATION", "Auckland"),
            ("PERSONAL_DATE", "Thursday 22 May 2025, 13:00 NZST"),
        ),
        "clinical",
    ),
    Labelled(
        "Compte rendu : Mme Nadia Ferhat, née le 30/01/1977, hospitalisée du 10 au 14 février 2025 pour "
        "pyélonéphrite. RDV de contrôle le lundi 3 mars à 8h30 avec le Dr Anis Trabelsi.",
        (
            ("PERSON", "Nadia Ferhat"),
            ("DATE_OF_BIRTH", "30/01/1977"),
            ("PERSONAL_DATE", "du 10 au 14 février 2025"),
            ("PERSONAL_DATE", "lundi 3 mars à 8h30"),
            ("PERSON", "Anis Trabelsi"),
        ),
        "clinical",
    ),
    Labelled(
        "Pharmacy note: Rx for Amani Mwakyusa collected by her husband Baraka on 18/03. Patient phone "
        "+255 754 555 012, prefers SMS reminders.",
        (
            ("PERSON", "Amani Mwakyusa"),
            ("PERSON", "Baraka"),
            ("PERSONAL_DATE", "18/03"),
            ("PHONE", "+255 754 555 012"),
        ),
        "clinical",
    ),
    Labelled(
        "Ward round 14/03: Mrs Ploy Chaiyaporn, day 3 post lap chole, tolerating diet. Plan home tomorrow if "
        "bloods ok. Husband Somchai will drive her back to Chiang Mai.",
        (
            ("PERSONAL_DATE", "14/03"),
            ("PERSON", "Ploy Chaiyaporn"),
            ("PERSON", "Somchai"),
            ("LOCATION", "Chiang Mai"),
        ),
        "clinical",
    ),
    Labelled(
        "Paciente: Yolanda Cárdenas, fecha de nacimiento 19/05/1963. Ingresa el 8 de enero de 2025 por "
        "fractura de cadera. Vive con su hija en Cuenca.",
        (
            ("PERSON", "Yolanda Cárdenas"),
            ("DATE_OF_BIRTH", "19/05/1963"),
            ("PERSONAL_DATE", "8 de enero de 2025"),
            ("LOCATION", "Cuenca"),
        ),
        "clinical",
    ),
    Labelled(
        "PATIENT: Rob Kettering   SSN: 987-65-4326   DOB: 09/30/1955\nAddress: 1820 Ridgeview Dr, Apt 4B, "
        "Boise, ID 83702\nPCP: Dr. Mark Penhallow",
        (
            ("PERSON", "Rob Kettering"),
            ("US_SSN", "987-65-4326"),
            ("DATE_OF_BIRTH", "09/30/1955"),
            ("ADDRESS", "1820 Ridgeview Dr, Apt 4B, Boise, ID 83702"),
            ("PERSON", "Mark Penhallow"),
        ),
        "clinical",
    ),
    Labelled(
        "Mr Nimal Perera attended the diabetes clinic on Tuesday 4 March 2025 at 14:10. He travels to "
        "Colombo for two months from April; extra insulin supplied.",
        (
            ("PERSON", "Nimal Perera"),
            ("PERSONAL_DATE", "Tuesday 4 March 2025 at 14:10"),
            ("LOCATION", "Colombo"),
        ),
        "clinical",
    ),
    Labelled(
        "Triage: Madina Rakhimova, 41, SSN 987-65-4327, arrived by ambulance Sat 1 Mar 2025 at 03:12. "
        "Lives in Bakersfield with her partner Bakhyt.",
        (
            ("PERSON", "Madina Rakhimova"),
            ("US_SSN", "987-65-4327"),
            ("PERSONAL_DATE", "Sat 1 Mar 2025 at 03:12"),
            ("LOCATION", "Bakersfield"),
            ("PERSON", "Bakhyt"),
        ),
        "clinical",
    ),
    Labelled(
        "Verpleegkundige notitie: dhr. Bram Oosterhuis, geboren 05-11-1950, klaagt over duizeligheid. "
        "Dochter Femke komt donderdag om 10.00 uur op bezoek.",
        (
            ("PERSON", "Bram Oosterhuis"),
            ("DATE_OF_BIRTH", "05-11-1950"),
            ("PERSON", "Femke"),
            ("PERSONAL_DATE", "donderdag om 10.00 uur"),
        ),
        "clinical",
    ),
    # --- more names --------------------------------------------------------------------------------------
    Labelled(
        "can you translate this for Aoi Morikawa? she's flying in from Sapporo on Sunday 9 Feb and Park "
        "Ji-woo will meet her at arrivals with the badge",
        (
            ("PERSON", "Aoi Morikawa"),
            ("LOCATION", "Sapporo"),
            ("PERSONAL_DATE", "Sunday 9 Feb"),
            ("PERSON", "Park Ji-woo"),
        ),
        "chat",
    ),
    Labelled(
        "Contact: Zhao Lei (goes by Leo in meetings). Wants quotes in CNY, lives in Hangzhou, best reached "
        "on WeChat or +86 138 5550 0172.",
        (
            ("PERSON", "Zhao Lei"),
            ("PERSON", "Leo"),
            ("LOCATION", "Hangzhou"),
            ("PHONE", "+86 138 5550 0172"),
        ),
        "crm",
    ),
    Labelled(
        "Ticket 6120: Tariq al-Mansouri asks that his wife Maryam bint Saeed be added as a secondary user "
        "on the family plan; her address for the invite is maryam.saeed@example.com",
        (
            ("PERSON", "Tariq al-Mansouri"),
            ("PERSON", "Maryam bint Saeed"),
            ("EMAIL", "maryam.saeed@example.com"),
        ),
        "ticket",
    ),
    Labelled(
        "feat(search): add fuzzy matching for product names\n\nCo-authored-by: Shirin Farahani "
        "<shirin.f@example.org>\nCo-authored-by: Selam Tadesse <selam.t@example.net>",
        (
            ("PERSON", "Shirin Farahani"),
            ("EMAIL", "shirin.f@example.org"),
            ("PERSON", "Selam Tadesse"),
            ("EMAIL", "selam.t@example.net"),
        ),
        "code",
    ),
    Labelled(
        "Avi Ben-Haim is visiting Haifa for his mother's 80th, back on the 14th. Siti Rahmawati covers "
        "his queue until then.",
        (
            ("PERSON", "Avi Ben-Haim"),
            ("LOCATION", "Haifa"),
            ("PERSONAL_DATE", "the 14th"),
            ("PERSON", "Siti Rahmawati"),
        ),
        "chat",
    ),
)

CLEAN_TEXTS: tuple[Labelled, ...] = (
    # --- chat ------------------------------------------------------------------------------------------
    Labelled(
        "what's the best time of year to visit Lisbon and Porto? thinking 5 days, budget around 1,200 EUR, "
        "no car",
        (),
        "chat",
    ),
    Labelled(
        "can you explain the difference between will and shall in legal drafting? i hope this isn't a "
        "silly question",
        (),
        "chat",
    ),
    Labelled("how long is the Jordan river and which countries does it flow through?", (), "chat"),
    Labelled(
        "The new pricing tier is $49.99/mo for up to 5 seats and the annual plan saves 20%. Can you write "
        "a short announcement for the changelog?",
        (),
        "chat",
    ),
    Labelled("convert 2025-03-14 09:30 UTC to Tokyo, Nairobi and São Paulo time please", (), "chat"),
    Labelled(
        "my rose bushes have black spots on the leaves, what's going on and how do i treat it without "
        "chemicals?",
        (),
        "chat",
    ),
    Labelled(
        "the grace period for invoice INV-2025-00417 ends on 30 April; draft a friendly reminder template "
        "with placeholders like {customer_name} and {due_date}",
        (),
        "chat",
    ),
    # --- tickets -----------------------------------------------------------------------------------------
    Labelled(
        "TICKET #51102 | PRIORITY: LOW\nSUBJECT: Export to CSV truncates at 65,536 rows\nVersion: v2.10.3.1 "
        "(build 8841)\nSteps: Reports > Export > CSV. Expected: all rows.",
        (),
        "ticket",
    ),
    Labelled(
        "INC0049921 - Outage in eu-west-1\nStart: 2025-03-02 04:11 UTC, end 05:02 UTC\nImpact: 12% of API "
        "calls returned 503\nRoot cause: expired TLS certificate on lb-eu-3",
        (),
        "ticket",
    ),
    Labelled(
        "Ticket 7781: Der Kunde bittet um eine Gutschrift für die Rechnung RE-2025-0193 über 1.249,00 EUR. "
        "Bitte prüfen Sie den Vorgang und geben Sie dem Vertrieb Bescheid.",
        (),
        "ticket",
    ),
    Labelled(
        "BUG-1204: 'Mark all as read' does nothing on Safari 17.4; works in Chrome 123 and Firefox 124. "
        "Console: TypeError: Cannot read properties of undefined (reading 'unread')",
        (),
        "ticket",
    ),
    Labelled(
        "Ticket 9902 (fr) : Bonjour, la facture n° FA-2025-3381 du 12/02/2025 comporte une erreur de TVA "
        "(20 % au lieu de 5,5 %). Merci de nous envoyer un avoir.",
        (),
        "ticket",
    ),
    Labelled(
        'HD-8120 Request: six 27" USB-C monitors for the Berlin office. Budget code CC-4410, delivery to '
        "loading dock B, Mon-Fri 08:00-16:00.",
        (),
        "ticket",
    ),
    # --- CRM ---------------------------------------------------------------------------------------------
    Labelled(
        "Account: Northwind Traders GmbH\nIndustry: Logistics\nEmployees: 1,200\nARR: 84,000 EUR\n"
        "Stage: Negotiation\nNext step: send revised quote Q-2025-118",
        (),
        "crm",
    ),
    Labelled(
        "Pipeline review Q2: 14 open opportunities, weighted value 412k USD; largest deal Contoso Retail "
        "(renewal, 96k). Win rate 31% vs 27% in Q1.",
        (),
        "crm",
    ),
    Labelled(
        "Segment notes: SMB customers in the Nordics churn less in winter; average contract length is 18 "
        "months. The campaign 'Spring Bloom' launches on 1 April.",
        (),
        "crm",
    ),
    Labelled(
        "Firmenkonto: Müller & Söhne KG (Sitz in Hamburg), Rahmenvertrag bis 31.12.2026, Zahlungsziel 30 "
        "Tage netto. Ansprechpartner laut Vertrag: die Einkaufsabteilung.",
        (),
        "crm",
    ),
    Labelled(
        "Lead scoring rules v3: +10 if the job title contains 'Director', +5 for webinar attendance, -20 if "
        "the e-mail domain is a free provider. MQL threshold: 45 points.",
        (),
        "crm",
    ),
    Labelled(
        "Cuenta: Grupo Andino S.A. (Lima). Volumen anual estimado 250.000 USD. Próxima revisión del "
        "contrato en el tercer trimestre.",
        (),
        "crm",
    ),
    # --- e-mails -----------------------------------------------------------------------------------------
    Labelled(
        "Subject: Quarterly maintenance window\n\nDear customer,\n\nscheduled maintenance will take place "
        "on Saturday, 15 March 2025, 22:00-02:00 CET. The dashboard may be unavailable.\n\nKind regards,\n"
        "The Operations Team",
        (),
        "email",
    ),
    Labelled(
        "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unser Angebot Nr. 2025-117 über 40 Lizenzen. "
        "Das Angebot ist gültig bis zum 30.04.2025. Für Rückfragen stehen wir Ihnen gerne zur Verfügung.\n\n"
        "Mit freundlichen Grüßen\nIhr Vertriebsteam",
        (),
        "email",
    ),
    Labelled(
        "Madame, Monsieur,\n\nNous vous informons que nos bureaux seront fermés du 24 décembre au 2 janvier. "
        "Les commandes seront traitées dès la réouverture.\n\nVeuillez agréer nos salutations distinguées.\n"
        "Le service client",
        (),
        "email",
    ),
    Labelled(
        "Estimados clientes:\n\nles recordamos que a partir del 1 de julio el precio del plan Pro pasa a "
        "29 € al mes. Los contratos anuales no se ven afectados.\n\nAtentamente,\nEl equipo de Facturación",
        (),
        "email",
    ),
    Labelled(
        "Hi team,\n\nthe release notes for 4.2.0 are attached. Highlights: faster search, a dark mode, and "
        "the Grace Period setting for failed payments now defaults to 7 days.\n\nThanks!",
        (),
        "email",
    ),
    Labelled(
        "Hej,\n\nvi har uppdaterat våra villkor. Ändringarna gäller från 1 maj 2025 och påverkar inte "
        "befintliga abonnemang.\n\nVänliga hälsningar\nKundtjänst",
        (),
        "email",
    ),
    Labelled(
        "Gentili clienti,\nvi informiamo che il nuovo listino prezzi entrerà in vigore dal 1° giugno. Il "
        "codice sconto PRIMAVERA25 resta valido fino al 31 maggio.\nCordiali saluti",
        (),
        "email",
    ),
    # --- logs --------------------------------------------------------------------------------------------
    Labelled(
        "2025-03-02T04:11:09.114Z ERROR lb-eu-3 tls: certificate expired (notAfter=2025-03-02T04:00:00Z) "
        "serial=5f:1a:9c:33 upstream=api-pool-2",
        (),
        "log",
    ),
    Labelled(
        '{"level":"info","ts":"2025-04-11T10:22:03Z","svc":"billing","msg":"invoice generated",'
        '"invoice_id":"INV-2025-00417","amount":"1249.00","currency":"EUR","items":3}',
        (),
        "log",
    ),
    Labelled(
        "Mar 14 09:30:01 worker-12 cron[2231]: (root) CMD (/usr/local/bin/rotate-logs --keep 14 --compress)",
        (),
        "log",
    ),
    Labelled(
        '"GET /api/v2/orders/88213/items?page=2&limit=50 HTTP/1.1" 200 4821 "-" "python-requests/2.31.0" '
        "rt=0.042",
        (),
        "log",
    ),
    Labelled(
        "INFO model=gpt-4o-mini prompt_tokens=1832 completion_tokens=412 latency_ms=2311 cost_usd=0.00052 "
        "trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7",
        (),
        "log",
    ),
    Labelled(
        "WARN scheduler: job 'nightly-mark-sweep' ran 1h12m (threshold 45m); next run 2025-05-10 02:00:00 "
        "Europe/Berlin",
        (),
        "log",
    ),
    Labelled(
        "k8s event: pod payments-7d9f8c6b5-x2xqz OOMKilled (limit 512Mi), restarts=4, "
        "node=worker-pool-b-17, zone=eu-central-1b",
        (),
        "log",
    ),
    # --- code --------------------------------------------------------------------------------------------
    Labelled(
        "class MarkdownRenderer:\n    def render(self, text: str) -> str:\n"
        "        return self.parser.parse(text).to_html()",
        (),
        "code",
    ),
    Labelled(
        "def parse_will(document: str) -> Will:\n"
        '    """Parse a last will and testament into clauses."""\n'
        "    return Will(clauses=split_clauses(document), executor=None)",
        (),
        "code",
    ),
    Labelled(
        "SELECT region, SUM(amount) AS revenue FROM orders WHERE created_at >= '2025-01-01' GROUP BY region "
        "ORDER BY revenue DESC LIMIT 10;",
        (),
        "code",
    ),
    Labelled(
        "const grace = config.gracePeriodDays ?? 7;\nconst hope = retries > 0 && !aborted;\n"
        "if (hope) scheduleRetry(jobId, grace);",
        (),
        "code",
    ),
    Labelled(
        "requests==2.31.0\nurllib3>=2.0.7,<3\nnumpy==1.26.4\npydantic==2.6.3\nopentelemetry-sdk==1.24.0",
        (),
        "code",
    ),
    Labelled(
        'export const ROUTES = { home: "/", pricing: "/pricing", jordan: "/regions/jordan", '
        'austin: "/offices/austin" };',
        (),
        "code",
    ),
    Labelled(
        "git log --oneline\n3f2c1a9 fix: handle empty carts\n9b1e77f chore: bump ruff to 0.4.1\n"
        "a91f3e2 feat: add Bill of Materials export",
        (),
        "code",
    ),
    # --- clinical ----------------------------------------------------------------------------------------
    Labelled(
        "Protocol: adults with community-acquired pneumonia (CURB-65 score 0-1) start amoxicillin 500 mg "
        "TDS for 5 days; review at 48-72 h.",
        (),
        "clinical",
    ),
    Labelled(
        "Ward 7B bed status 06:00: 24 beds, 21 occupied, 2 awaiting cleaning, 1 blocked (infection "
        "control). Next handover 14:00.",
        (),
        "clinical",
    ),
    Labelled(
        "Formulary update v2025.2: apixaban 2.5 mg replaces rivaroxaban 10 mg for VTE prophylaxis on "
        "orthopaedic theatre lists from 1 March.",
        (),
        "clinical",
    ),
    Labelled(
        "Patient leaflet: What is Addison's disease? A rare disorder of the adrenal glands. Symptoms "
        "include tiredness, weight loss and low blood pressure.",
        (),
        "clinical",
    ),
    Labelled(
        "Clinic template\nPatient name: ____\nDate of birth: ____\nNHS number: ____\nReason for referral: "
        "____\nReferring clinician: ____",
        (),
        "clinical",
    ),
    Labelled(
        "Leitlinie: Bei Verdacht auf Lungenembolie zunächst den Wells-Score bestimmen; bei niedriger "
        "Wahrscheinlichkeit D-Dimer, sonst CT-Angiographie.",
        (),
        "clinical",
    ),
)

_ORIGIN_NAMES: dict[str, tuple[str, ...]] = {
    "anglo": (
        "Gavin Thorpe",
        "Hollis",
        "Dwayne Carver",
        "Grace Whitlock",
        "Hope",
        "Bethany Rourke",
        "Bethany",
        "Shelby Cartwright",
        "Megan Ashworth",
        "Shelby",
        "Neil",
        "Mark",
        "Will Hargreaves",
        "Rob",
        "Bill",
        "Bill Tanner",
        "Rob Kettering",
        "Mark Penhallow",
    ),
    "central_asian": (
        "Aibek",
        "Farrukh Alimov",
        "Yerlan Dzhaksybekov",
        "Gulnara Abenova",
        "Azamat Toktogulov",
        "Nodira Karimova",
        "Timur Sadykov",
        "Saltanat Bekova",
        "Madina Rakhimova",
        "Bakhyt",
    ),
    "east_african": (
        "wanjiru",
        "Tesfaye Bekele",
        "Achieng",
        "Otieno",
        "Otieno Odhiambo",
        "Kiprono Rotich",
        "Amani",
        "Amani Mwakyusa",
        "Baraka",
        "Selam Tadesse",
    ),
    "east_asian": (
        "Haruto Sakamoto",
        "Chen Wei-ting",
        "Hsu Pei-ling",
        "Kim Min-seo",
        "Takeshi Ono",
        "Wang Jun",
        "Lin Xiaoyu",
        "Aoi Morikawa",
        "Park Ji-woo",
        "Zhao Lei",
        "Leo",
    ),
    "latin_american": (
        "Ximena Paredes",
        "Joaquín Villalobos",
        "Renata Guimarães",
        "wilson mamani",
        "Diego Quispe",
        "Valentina",
        "Esteban Ocampo",
        "Fernanda Beltrán",
        "Thiago",
        "Luciana",
        "Mateo Huamán",
        "Camila Ortúzar",
        "Yolanda Cárdenas",
    ),
    "middle_eastern": (
        "Layla al-Hashimi",
        "Rania Khoury",
        "Dalia Nassar",
        "Yousef Haddad",
        "Yousef",
        "Dalia",
        "Kerem Aydoğan",
        "Hamid Sadeghi",
        "Tariq al-Mansouri",
        "Maryam bint Saeed",
        "Shirin Farahani",
        "Avi Ben-Haim",
    ),
    "nordic": (
        "Sigrid",
        "Oskar Lindqvist",
        "Mikko Virtanen",
        "Freja Møller",
        "Aino Korhonen",
        "Björn Åkesson",
        "Elin",
        "Björn",
        "Astrid",
        "Henrik Dahl",
        "Lars-Erik Sandvik",
        "Jónas Gunnarsson",
    ),
    "north_african": (
        "Rachid El Amrani",
        "Imane",
        "Soraya",
        "IMANE TAZI",
        "Leila",
        "Salma Chaabane",
        "Belkacem",
        "Mehdi",
        "Nadia Ferhat",
        "Anis Trabelsi",
    ),
    "pacific": (
        "Mele",
        "Hemi",
        "Kalena",
        "Losana",
        "Vakaloloma",
        "Aroha",
        "Tamati",
        "Keoni Kahananui",
        "Tevita Havili",
        "Ana Tuimavave",
    ),
    "slavic": (
        "Tomasz",
        "Jaroslav Novák",
        "Bogdan Petrović",
        "Bogdan",
        "Zielińska",
        "Katarzyno",
        "Piotr Kamiński",
        "Horváthová",
        "ZUZANA HRUŠKOVÁ",
        "olena",
        "Ivana Kovačević",
        "Dario",
    ),
    "south_asian": (
        "Priya",
        "Kavya Iyer",
        "Ravi Subramanian",
        "Kavya",
        "sanjana pillai",
        "Arjun",
        "Deepika",
        "Farhan Chowdhury",
        "Zoya Siddiqui",
        "Sunil Thapa",
        "Nimal Perera",
    ),
    "southeast_asian": (
        "Nguyen Thi Lan",
        "Ahmad Faizal bin Rahman",
        "Dizon",
        "J. Bautista",
        "Tran Van Minh",
        "Pham Thu Ha",
        "Budi Santoso",
        "Ploy Chaiyaporn",
        "Somchai",
        "Siti Rahmawati",
    ),
    "southern_african": (
        "Thabo",
        "Naledi",
        "Tendai Moyo",
        "Sipho Nkosi",
        "Lindiwe",
        "Nomvula Mahlangu",
        "Refilwe Sithole",
        "Bongani",
        "Zanele",
        "Kagiso Molefe",
        "Tatenda Chikwanha",
    ),
    "west_african": (
        "Kofi",
        "Adaeze Okonkwo",
        "Aminata Diallo",
        "Ibrahim Sesay",
        "Ibrahim",
        "Yaw Boateng",
        "Oluwaseun Bakare",
        "Oluwaseun",
        "Chukwuemeka Eze",
        "Efua Asante",
        "Akosua Owusu",
    ),
    "western_european": (
        "Klaus Obermeier",
        "Reto Gasser",
        "Matthias Brenner",
        "Hélène Marchand",
        "Joost de Vries",
        "Lucía Herrero",
        "Giulia Bernardi",
        "Lorenzo Gatti",
        "Maximilian von Thaden",
        "von Thaden",
        "Pieter Verhoeven",
        "Pieter",
        "Anneke van der Berg",
        "Anouk Smit-van Dijk",
        "Lukas Hofstetter",
        "Margaux",
        "Jean-Luc Fournier",
        "Chiara Lombardi",
        "Sophie",
        "Joost",
        "Martina Echeverría",
        "Martina",
        "Tobias",
        "Bram Oosterhuis",
        "Femke",
        "Inês Carvalho",
    ),
}
# Where each PERSON value's name comes from (a name alone or in capitals counts as its own value).
NAME_ORIGINS: dict[str, str] = {name: origin for origin, names in _ORIGIN_NAMES.items() for name in names}
