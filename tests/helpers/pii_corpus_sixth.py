"""A sixth labelled PII corpus, written blind for the last measurement of issue 17.

Written in December 2026 by a sixth author who never read the recognizers, the benchmarks or the texts of
the other corpora (only the ``Labelled`` shape, the kinds, the categories and the corpus checks). It covers
every kind and category as an LLM application sees them: support chats, helpdesk tickets, CRM notes, e-mails
in English and ten other languages, application logs and JSON, source code and SQL, clinical notes. Names
come from fifteen origins, often with no cue word, as nicknames, initials, hyphenated or with particles.
Every value is invented: reserved e-mail domains, fictional phone blocks, Luhn-valid cards, SSNs
987-65-432x, IBANs with valid mod-97 checksums, documentation IP ranges, made-up credentials.
"""

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # --- chat ------------------------------------------------------------------------------------------
    Labelled(
        "hi, its Harriet Oakes again, the parcel still hasnt come. can u send it to 14 Larkspur Lane, "
        "Bristol BS6 5QT instead? my mobile is 07700 900417",
        (
            ("PERSON", "Harriet Oakes"),
            ("ADDRESS", "14 Larkspur Lane, Bristol BS6 5QT"),
            ("PHONE", "07700 900417"),
        ),
        "chat",
    ),
    Labelled(
        "thanks, Kofi 🙏 that fixed it. btw my wife Ama will call from +233 20 555 0148 tomorrow",
        (("PERSON", "Kofi"), ("PERSON", "Ama"), ("PHONE", "+233 20 555 0148")),
        "chat",
    ),
    Labelled(
        "Tomasz will bring the laptop to the office on Thursday, Agnieszka has the charger",
        (("PERSON", "Tomasz"), ("PERSON", "Agnieszka")),
        "chat",
    ),
    Labelled(
        "can you update my card? new one is 4532 9876 5432 1071 exp 09/29, name on card DWAYNE R PARKS",
        (("CREDIT_CARD", "4532 9876 5432 1071"), ("PERSON", "DWAYNE R PARKS")),
        "chat",
    ),
    Labelled(
        "my son Haruto Sato was born 03/11/2014, do kids under 12 fly free?? we live in Osaka now",
        (("PERSON", "Haruto Sato"), ("DATE_OF_BIRTH", "03/11/2014"), ("LOCATION", "Osaka")),
        "chat",
    ),
    Labelled(
        "hola! soy Ximena Rojas, necesito cambiar mi cita del martes 14 de enero a las 10:30, "
        "mi número es +56 9 5550 1234",
        (
            ("PERSON", "Ximena Rojas"),
            ("PERSONAL_DATE", "martes 14 de enero a las 10:30"),
            ("PHONE", "+56 9 5550 1234"),
        ),
        "chat",
    ),
    Labelled(
        "ok so Wanjiru and Baraka both need access, their emails are wanjiru.k@example.org and "
        "b.mwangi@example.org",
        (
            ("PERSON", "Wanjiru"),
            ("PERSON", "Baraka"),
            ("EMAIL", "wanjiru.k@example.org"),
            ("EMAIL", "b.mwangi@example.org"),
        ),
        "chat",
    ),
    Labelled(
        "Grace said the refund went to the wrong account, it should be DE44 3704 0044 0532 0130 0099 "
        "(Grace Mbatha-Lindqvist)",
        (
            ("PERSON", "Grace"),
            ("IBAN", "DE44 3704 0044 0532 0130 0099"),
            ("PERSON", "Grace Mbatha-Lindqvist"),
        ),
        "chat",
    ),
    Labelled(
        "hey! Sione here. im moving from Auckland to Nuku'alofa next month so pls change my shipping country",
        (("PERSON", "Sione"), ("LOCATION", "Auckland"), ("LOCATION", "Nuku'alofa")),
        "chat",
    ),
    Labelled(
        "user: my ssn is 987-65-4323 and DOB 1979-02-28, name Rob Whitfield. why does the form keep "
        "rejecting it",
        (("US_SSN", "987-65-4323"), ("DATE_OF_BIRTH", "1979-02-28"), ("PERSON", "Rob Whitfield")),
        "chat",
    ),
    Labelled(
        "Hallo, hier ist Jürgen. Meine Frau Anneke de Vries hat morgen, Freitag 10. Januar um 14 Uhr, "
        "einen Termin bei Ihnen, sie kommt aber etwas später.",
        (
            ("PERSON", "Jürgen"),
            ("PERSON", "Anneke de Vries"),
            ("PERSONAL_DATE", "Freitag 10. Januar um 14 Uhr"),
        ),
        "chat",
    ),
    Labelled(
        "Bonjour, c'est Inès Fontaine, j'habite à Lyon. Vous pouvez me rappeler au 06 55 50 12 87 ?",
        (("PERSON", "Inès Fontaine"), ("LOCATION", "Lyon"), ("PHONE", "06 55 50 12 87")),
        "chat",
    ),
    Labelled(
        "assistant: I've booked the table for Mele and Iosefa on Saturday 8 March at 7:30 pm. "
        "The confirmation went to mele.tuilagi@example.net.",
        (
            ("PERSON", "Mele"),
            ("PERSON", "Iosefa"),
            ("PERSONAL_DATE", "Saturday 8 March at 7:30 pm"),
            ("EMAIL", "mele.tuilagi@example.net"),
        ),
        "chat",
    ),
    Labelled(
        "Halo kak, saya Budi Santoso dari Surabaya. Pesanan saya belum sampai, alamat: Jl. Diponegoro "
        "No. 45, "
        "Surabaya 60241. HP 0812-5550-3391",
        (
            ("PERSON", "Budi Santoso"),
            ("LOCATION", "Surabaya"),
            ("ADDRESS", "Jl. Diponegoro No. 45, Surabaya 60241"),
            ("PHONE", "0812-5550-3391"),
        ),
        "chat",
    ),
    Labelled(
        "Merhaba, ben Elif Demir. Kartim 5423 1098 7654 3213 iki kez çekildi, iadeyi TR06 0006 1005 "
        "1978 6457 "
        "8413 27 hesabima yapar misiniz?",
        (
            ("PERSON", "Elif Demir"),
            ("CREDIT_CARD", "5423 1098 7654 3213"),
            ("IBAN", "TR06 0006 1005 1978 6457 8413 27"),
        ),
        "chat",
    ),
    Labelled(
        "lol Hunter just texted me, he's stuck in Denver. can the assistant move his flight? "
        "his number is 202-555-0142",
        (("PERSON", "Hunter"), ("LOCATION", "Denver"), ("PHONE", "202-555-0142")),
        "chat",
    ),
    Labelled(
        "Cześć, tu Katarzyna Zając. Mój numer się zmienił: +48 555 123 409. Mieszkam teraz w Gdańsku.",
        (("PERSON", "Katarzyna Zając"), ("PHONE", "+48 555 123 409"), ("LOCATION", "Gdańsku")),
        "chat",
    ),
    Labelled(
        "Olá, sou a Renata da Silva, moro em Belo Horizonte. Meu aniversário é 22/07/1991, "
        "posso usar o cupom?",
        (
            ("PERSON", "Renata da Silva"),
            ("LOCATION", "Belo Horizonte"),
            ("DATE_OF_BIRTH", "22/07/1991"),
        ),
        "chat",
    ),
    Labelled(
        "Hej! Jag heter Linnea Åberg och bor på Storgatan 12, 411 38 Göteborg. Ring gärna 070-555 12 84.",
        (
            ("PERSON", "Linnea Åberg"),
            ("ADDRESS", "Storgatan 12, 411 38 Göteborg"),
            ("PHONE", "070-555 12 84"),
        ),
        "chat",
    ),
    Labelled(
        "Ciao, sono Chiara Lombardi, vorrei spostare la visita di lunedì 3 febbraio alle 9:15 "
        "a un altro giorno. Grazie!",
        (("PERSON", "Chiara Lombardi"), ("PERSONAL_DATE", "lunedì 3 febbraio alle 9:15")),
        "chat",
    ),
    Labelled(
        "Hoi, ik ben Pieter van der Berg uit Utrecht. Kunnen jullie het terugstorten op NL37 ABNA 0417 "
        "1643 99?",
        (("PERSON", "Pieter van der Berg"), ("LOCATION", "Utrecht"), ("IBAN", "NL37 ABNA 0417 1643 99")),
        "chat",
    ),
    Labelled(
        "me and Aigerim are flying out of Almaty on the 12th, she's the one with the visa issue. "
        "Nursultan can vouch for us",
        (("PERSON", "Aigerim"), ("LOCATION", "Almaty"), ("PERSON", "Nursultan")),
        "chat",
    ),
    Labelled(
        "Skye & Will are coming to the demo, Faith can't make it. Rose is on leave until the 20th.",
        (("PERSON", "Skye"), ("PERSON", "Will"), ("PERSON", "Faith"), ("PERSON", "Rose")),
        "chat",
    ),
    Labelled(
        "Chidinma Okafor here, im in Abuja this week. Fatou says the promo code didnt apply for her "
        "either :(",
        (("PERSON", "Chidinma Okafor"), ("LOCATION", "Abuja"), ("PERSON", "Fatou")),
        "chat",
    ),
    Labelled(
        "pls charge the Diners one this time: 30569309025904. and send receipt to vusi.n@example.net, "
        "not my work mail. - Vusi",
        (("CREDIT_CARD", "30569309025904"), ("EMAIL", "vusi.n@example.net"), ("PERSON", "Vusi")),
        "chat",
    ),
    # --- ticket ----------------------------------------------------------------------------------------
    Labelled(
        "TICKET #48213 | REPORTER: Oluwaseun Adeyemi | PHONE: +234 803 555 0172 | "
        "ISSUE: cannot log in since password reset",
        (("PERSON", "Oluwaseun Adeyemi"), ("PHONE", "+234 803 555 0172")),
        "ticket",
    ),
    Labelled(
        "Customer (Tesfaye Bekele, Addis Ababa) reports double charge on card ending 0005, full number given "
        "in chat: 378282246310005. Escalated to billing.",
        (("PERSON", "Tesfaye Bekele"), ("LOCATION", "Addis Ababa"), ("CREDIT_CARD", "378282246310005")),
        "ticket",
    ),
    Labelled(
        "Assigned to: priya.raghavan@example.com\nRequester: Sanjay Mehta\nSummary: VPN drops every 10 min "
        "from 198.51.100.23",
        (
            ("EMAIL", "priya.raghavan@example.com"),
            ("PERSON", "Sanjay Mehta"),
            ("IP", "198.51.100.23"),
        ),
        "ticket",
    ),
    Labelled(
        "INC-20931 Laptop handover: Arjun -> Deepa. Deepa picks it up Wed 15 Jan 2025, 11:00 at reception.",
        (("PERSON", "Arjun"), ("PERSON", "Deepa"), ("PERSONAL_DATE", "Wed 15 Jan 2025, 11:00")),
        "ticket",
    ),
    Labelled(
        "Status: waiting on customer. Mr. Abdoulaye Diallo (Dakar, Senegal) asked us to call back on "
        "+221 77 555 01 63 after 5pm.",
        (
            ("PERSON", "Abdoulaye Diallo"),
            ("LOCATION", "Dakar, Senegal"),
            ("PHONE", "+221 77 555 01 63"),
        ),
        "ticket",
    ),
    Labelled(
        "Helpdesk note — user leaked an API key in ticket body: sk-ant-api03-Qm7vT2xLp9RzK4wN8dYc1BfHs6JeUa3G"
        "-oPq5Vn0iXr. Key revoked, user (M. O'Leary) informed.",
        (
            ("API_KEY", "sk-ant-api03-Qm7vT2xLp9RzK4wN8dYc1BfHs6JeUa3G-oPq5Vn0iXr"),
            ("PERSON", "M. O'Leary"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 7731: Delivery for Lerato Mokoena rescheduled to Tuesday 4 February between 08:00-12:00 at "
        "27 Jan Smuts Avenue, Parktown, Johannesburg 2193.",
        (
            ("PERSON", "Lerato Mokoena"),
            ("PERSONAL_DATE", "Tuesday 4 February between 08:00-12:00"),
            ("ADDRESS", "27 Jan Smuts Avenue, Parktown, Johannesburg 2193"),
        ),
        "ticket",
    ),
    Labelled(
        "[P2] Account locked. Owner: Dmitri Volkov <d.volkov@example.net>. Last successful login from "
        "2001:db8:4a1::17 on 2024-11-30.",
        (("PERSON", "Dmitri Volkov"), ("EMAIL", "d.volkov@example.net"), ("IP", "2001:db8:4a1::17")),
        "ticket",
    ),
    Labelled(
        "Reopened by Nguyen Thi Lan: the courier left the box at the wrong door. Correct address is "
        "112 Lê Lợi, Phường Bến Thành, Quận 1, TP. Hồ Chí Minh.",
        (
            ("PERSON", "Nguyen Thi Lan"),
            ("ADDRESS", "112 Lê Lợi, Phường Bến Thành, Quận 1, TP. Hồ Chí Minh"),
        ),
        "ticket",
    ),
    Labelled(
        "SUPPORT-5520\nName: KAGISO MOLEFE\nDOB: 14 AUG 1988\nID verified via call, callback +27 71 555 0193",
        (("PERSON", "KAGISO MOLEFE"), ("DATE_OF_BIRTH", "14 AUG 1988"), ("PHONE", "+27 71 555 0193")),
        "ticket",
    ),
    Labelled(
        "Ticket closed. Thandiwe confirmed the replacement router works; Sipho from field ops installed it "
        "at her place in Durban.",
        (("PERSON", "Thandiwe"), ("PERSON", "Sipho"), ("LOCATION", "Durban")),
        "ticket",
    ),
    Labelled(
        "Request from Chen Jiahui: please remove payment method 6011 1209 3847 5613 and add "
        "the JCB 3566 0028 4710 3922 instead.",
        (
            ("PERSON", "Chen Jiahui"),
            ("CREDIT_CARD", "6011 1209 3847 5613"),
            ("CREDIT_CARD", "3566 0028 4710 3922"),
        ),
        "ticket",
    ),
    Labelled(
        "Onboarding ticket: new hire Ingrid Dahl starts Monday 6 January at 09:00, manager Magnus Lindqvist, "
        "seat 4B. SSN on W-4: 987-65-4321.",
        (
            ("PERSON", "Ingrid Dahl"),
            ("PERSONAL_DATE", "Monday 6 January at 09:00"),
            ("PERSON", "Magnus Lindqvist"),
            ("US_SSN", "987-65-4321"),
        ),
        "ticket",
    ),
    Labelled(
        "Caller was Yousef, says his brother Farid (lives in Amman) set up the account with "
        "farid.h@example.com. Need owner consent.",
        (("PERSON", "Yousef"), ("PERSON", "Farid"), ("LOCATION", "Amman"), ("EMAIL", "farid.h@example.com")),
        "ticket",
    ),
    Labelled(
        "Issue #311 — Wi-Fi not working in room 12. reported by Tane Horomona, ext. 4410, "
        "mobile 021 555 0179",
        (("PERSON", "Tane Horomona"), ("PHONE", "021 555 0179")),
        "ticket",
    ),
    Labelled(
        "Ticket 90412: Zuzana Horváthová (Bratislava) requests GDPR export of all data held on her. "
        "Verified with birthdate 1985-06-09.",
        (
            ("PERSON", "Zuzana Horváthová"),
            ("LOCATION", "Bratislava"),
            ("DATE_OF_BIRTH", "1985-06-09"),
        ),
        "ticket",
    ),
    Labelled(
        "Chargeback received for card 6011-1209-3847-5613? No - customer Rahul Varma says the card is "
        "5423-1098-7654-3213... both on file, please check with Farrukh (ext 2231).",
        (
            ("CREDIT_CARD", "6011-1209-3847-5613"),
            ("PERSON", "Rahul Varma"),
            ("CREDIT_CARD", "5423-1098-7654-3213"),
            ("PERSON", "Farrukh"),
        ),
        "ticket",
    ),
    # --- crm -------------------------------------------------------------------------------------------
    Labelled(
        "Spoke with Omar Haddad (procurement). He prefers WhatsApp: +971 50 555 0134. Follow up after "
        "Ramadan.",
        (("PERSON", "Omar Haddad"), ("PHONE", "+971 50 555 0134")),
        "crm",
    ),
    Labelled(
        "Lead: Fatima-Zahra Benali, based in Casablanca. Interested in enterprise tier. Intro via Karim.",
        (("PERSON", "Fatima-Zahra Benali"), ("LOCATION", "Casablanca"), ("PERSON", "Karim")),
        "crm",
    ),
    Labelled(
        '{"contact": {"first_name": "Achieng", "last_name": "Otieno", "email": "achieng.otieno@example.org", '
        '"phone": "+254 712 555 018", "city": "Kisumu"}}',
        (
            ("PERSON", "Achieng"),
            ("PERSON", "Otieno"),
            ("EMAIL", "achieng.otieno@example.org"),
            ("PHONE", "+254 712 555 018"),
            ("LOCATION", "Kisumu"),
        ),
        "crm",
    ),
    Labelled(
        "Account note: Jean-Luc Moreau renewed for 3 yrs. Invoice to be paid from FR58 2004 1010 0505 "
        "0001 3M02 "
        "687. Lunch with JL on Thu 23 Jan 12:30.",
        (
            ("PERSON", "Jean-Luc Moreau"),
            ("IBAN", "FR58 2004 1010 0505 0001 3M02 687"),
            ("PERSON", "JL"),
            ("PERSONAL_DATE", "Thu 23 Jan 12:30"),
        ),
        "crm",
    ),
    Labelled(
        "Timur Rakhimov moved from Tashkent to Berlin, new office address Friedrichstraße 123, 10117 Berlin.",
        (
            ("PERSON", "Timur Rakhimov"),
            ("LOCATION", "Tashkent"),
            ("ADDRESS", "Friedrichstraße 123, 10117 Berlin"),
        ),
        "crm",
    ),
    Labelled(
        "Contact owner: Bethany Clarke. Decision maker: Imran Chaudhry (CFO). Imran's PA is Nimal Perera, "
        "reach him at nimal.p@example.com",
        (
            ("PERSON", "Bethany Clarke"),
            ("PERSON", "Imran Chaudhry"),
            ("PERSON", "Imran"),
            ("PERSON", "Nimal Perera"),
            ("EMAIL", "nimal.p@example.com"),
        ),
        "crm",
    ),
    Labelled(
        "Nota CRM: Joaquín Ibarra (Guadalajara) pide factura a nombre de su empresa; IBAN de devolución "
        "ES26 2100 0418 4502 0005 1338.",
        (
            ("PERSON", "Joaquín Ibarra"),
            ("LOCATION", "Guadalajara"),
            ("IBAN", "ES26 2100 0418 4502 0005 1338"),
        ),
        "crm",
    ),
    Labelled(
        "Met Aroha Ngata at the Wellington meetup, she runs data at a co-op in Rotorua. Mobile 027 555 0128.",
        (("PERSON", "Aroha Ngata"), ("LOCATION", "Rotorua"), ("PHONE", "027 555 0128")),
        "crm",
    ),
    Labelled(
        "Deal stage -> Negotiation. Champions: Eero Virtanen, Sigrid Halvorsen. Blocker: Bjørn in legal.",
        (("PERSON", "Eero Virtanen"), ("PERSON", "Sigrid Halvorsen"), ("PERSON", "Bjørn")),
        "crm",
    ),
    Labelled(
        "Visit scheduled: Tendai Moyo, Harare office, Wednesday 12 February 2025 at 10:00 CAT. "
        "Bring samples. Tendai's cell +263 77 555 0140",
        (
            ("PERSON", "Tendai Moyo"),
            ("PERSONAL_DATE", "Wednesday 12 February 2025 at 10:00 CAT"),
            ("PERSON", "Tendai"),
            ("PHONE", "+263 77 555 0140"),
        ),
        "crm",
    ),
    Labelled(
        "Customer since 2019. Shirin Tehrani, born 1972-09-17, lives in Toronto. Prefers e-mail over phone.",
        (("PERSON", "Shirin Tehrani"), ("DATE_OF_BIRTH", "1972-09-17"), ("LOCATION", "Toronto")),
        "crm",
    ),
    Labelled(
        "Notatka: Pani Olena (Kijów -> Wrocław) prosi o kontakt po 16:00. Konto PL34 1090 1014 0000 "
        "0712 1981 2875.",
        (
            ("PERSON", "Olena"),
            ("LOCATION", "Wrocław"),
            ("IBAN", "PL34 1090 1014 0000 0712 1981 2875"),
            ("LOCATION", "Kijów"),
        ),
        "crm",
    ),
    Labelled(
        "Arnel Dela Cruz from Cebu City wants a demo; his colleague Siti Rahayu joins from Jakarta.",
        (
            ("PERSON", "Arnel Dela Cruz"),
            ("LOCATION", "Cebu City"),
            ("PERSON", "Siti Rahayu"),
            ("LOCATION", "Jakarta"),
        ),
        "crm",
    ),
    Labelled(
        "Kontakt: Klaus Brandt, Hauptstraße 5, 80331 München, Tel. 089 5550 1172. Bevorzugt Anruf "
        "vormittags.",
        (
            ("PERSON", "Klaus Brandt"),
            ("ADDRESS", "Hauptstraße 5, 80331 München"),
            ("PHONE", "089 5550 1172"),
        ),
        "crm",
    ),
    Labelled(
        "Ariel Ben-David signed the NDA. Next: Noor Al-Sabah to review pricing before Sunday.",
        (("PERSON", "Ariel Ben-David"), ("PERSON", "Noor Al-Sabah")),
        "crm",
    ),
    Labelled(
        "Note from call w/ Keoni Kahale: relocating to Hilo, Hawaii. New billing address 88 Kamehameha Ave, "
        "Hilo, HI 96720.",
        (
            ("PERSON", "Keoni Kahale"),
            ("LOCATION", "Hilo, Hawaii"),
            ("ADDRESS", "88 Kamehameha Ave, Hilo, HI 96720"),
        ),
        "crm",
    ),
    # --- email -----------------------------------------------------------------------------------------
    Labelled(
        "Hi Megan,\n\nquick one: could you send the signed lease to my new address, Flat 3, 9 Carrick Road, "
        "Belfast BT7 1NN?\n\nCheers,\nTom Hardcastle\n07700 900562",
        (
            ("PERSON", "Megan"),
            ("ADDRESS", "Flat 3, 9 Carrick Road, Belfast BT7 1NN"),
            ("PERSON", "Tom Hardcastle"),
            ("PHONE", "07700 900562"),
        ),
        "email",
    ),
    Labelled(
        "Sehr geehrte Frau Brandt,\n\nanbei die Rechnung. Bitte überweisen Sie auf AT34 1904 3002 3457 "
        "3202.\n\n"
        "Mit freundlichen Grüßen\nHélène Dubois",
        (("PERSON", "Brandt"), ("IBAN", "AT34 1904 3002 3457 3202"), ("PERSON", "Hélène Dubois")),
        "email",
    ),
    Labelled(
        "From: Moussa Traoré <moussa.traore@example.net>\nTo: Service client\nSubject: facture\n\n"
        "Bonjour, je suis à Bamako jusqu'au 20, merci de m'écrire par mail.",
        (
            ("PERSON", "Moussa Traoré"),
            ("EMAIL", "moussa.traore@example.net"),
            ("LOCATION", "Bamako"),
        ),
        "email",
    ),
    Labelled(
        "Hola Luz,\nte confirmo la entrega para el jueves 30 de enero entre 9 y 13 h en Calle de Alcalá 210, "
        "28028 Madrid. Cualquier cosa, Esteban.",
        (
            ("PERSON", "Luz"),
            ("PERSONAL_DATE", "jueves 30 de enero entre 9 y 13 h"),
            ("ADDRESS", "Calle de Alcalá 210, 28028 Madrid"),
            ("PERSON", "Esteban"),
        ),
        "email",
    ),
    Labelled(
        "Prezado Thiago Cardoso,\nseu reembolso será enviado para PT22 0002 0123 0000 1234 5678 9. "
        "Atenciosamente,\nCamila — Financeiro",
        (
            ("PERSON", "Thiago Cardoso"),
            ("IBAN", "PT22 0002 0123 0000 1234 5678 9"),
            ("PERSON", "Camila"),
        ),
        "email",
    ),
    Labelled(
        "Gentile Lorenzo,\nla conferma per l'appuntamento di venerdì 7 marzo alle ore 16:00 è stata inviata. "
        "Per info: +39 06 5550 1293.\nCordiali saluti",
        (
            ("PERSON", "Lorenzo"),
            ("PERSONAL_DATE", "venerdì 7 marzo alle ore 16:00"),
            ("PHONE", "+39 06 5550 1293"),
        ),
        "email",
    ),
    Labelled(
        "Beste Anneke,\n\nDe monteur komt dinsdag 11 februari om 8:30 langs op Prinsengracht 263, 1016 GV "
        "Amsterdam. Groet, Marguerite",
        (
            ("PERSON", "Anneke"),
            ("PERSONAL_DATE", "dinsdag 11 februari om 8:30"),
            ("ADDRESS", "Prinsengracht 263, 1016 GV Amsterdam"),
            ("PERSON", "Marguerite"),
        ),
        "email",
    ),
    Labelled(
        "Hej Oskar!\nTack för mötet. Återbetalningen går till SE18 5000 0000 0583 9825 7467 enligt Astrid. "
        "Mvh Freja Nyström",
        (
            ("PERSON", "Oskar"),
            ("IBAN", "SE18 5000 0000 0583 9825 7467"),
            ("PERSON", "Astrid"),
            ("PERSON", "Freja Nyström"),
        ),
        "email",
    ),
    Labelled(
        "Dear Ms Nkosi,\nyour interview is confirmed for Monday, 17 February 2025 at 2:15 PM. "
        "Please bring ID. Kind regards, Hope Adair, HR",
        (
            ("PERSON", "Nkosi"),
            ("PERSONAL_DATE", "Monday, 17 February 2025 at 2:15 PM"),
            ("PERSON", "Hope Adair"),
        ),
        "email",
    ),
    Labelled(
        "Sayin Emre Aksoy,\nsiparişiniz Bağdat Caddesi No: 154, 34730 Kadiköy/İstanbul adresine teslim "
        "edildi. "
        "Sorulariniz için +90 212 555 01 77.",
        (
            ("PERSON", "Emre Aksoy"),
            ("ADDRESS", "Bağdat Caddesi No: 154, 34730 Kadiköy/İstanbul"),
            ("PHONE", "+90 212 555 01 77"),
        ),
        "email",
    ),
    Labelled(
        "Dzień dobry Panie Bogdanie,\nprzesyłam dane: Bogdan Kowalczyk, ur. 02.04.1969, ul. Długa 17/4, "
        "00-238 Warszawa.\nPozdrawiam, Ivana",
        (
            ("PERSON", "Bogdanie"),
            ("PERSON", "Bogdan Kowalczyk"),
            ("DATE_OF_BIRTH", "02.04.1969"),
            ("ADDRESS", "ul. Długa 17/4, 00-238 Warszawa"),
            ("PERSON", "Ivana"),
        ),
        "email",
    ),
    Labelled(
        "Yth. Ibu Dewi,\nkami telah menjadwalkan kunjungan teknisi pada Kamis, 13 Februari pukul 10.00 WIB. "
        "Salam, Joko",
        (("PERSON", "Dewi"), ("PERSONAL_DATE", "Kamis, 13 Februari pukul 10.00 WIB"), ("PERSON", "Joko")),
        "email",
    ),
    # --- log -------------------------------------------------------------------------------------------
    Labelled(
        "2025-01-14T09:12:44.201Z INFO auth login ok user=ngozi.okafor@example.com ip=203.0.113.58 mfa=totp",
        (("EMAIL", "ngozi.okafor@example.com"), ("IP", "203.0.113.58")),
        "log",
    ),
    Labelled(
        '{"level":"warn","msg":"payment declined","customer":"Efua Asante","card":"2221008473625194",'
        '"ip":"192.0.2.141"}',
        (("PERSON", "Efua Asante"), ("CREDIT_CARD", "2221008473625194"), ("IP", "192.0.2.141")),
        "log",
    ),
    Labelled(
        "tool_call search_customer(args={'name': 'Kwame Boateng', 'phone': '+233 24 555 0196'}) -> 1 result",
        (("PERSON", "Kwame Boateng"), ("PHONE", "+233 24 555 0196")),
        "log",
    ),
    Labelled(
        "DEBUG llm.request headers={'Authorization': 'Bearer "
        "sk-proj-7hQx2LmNvB8cRt4YwZ0pKe9sDf3GjUa6Ti1Ho5XnMbVq'}",
        (("API_KEY", "sk-proj-7hQx2LmNvB8cRt4YwZ0pKe9sDf3GjUa6Ti1Ho5XnMbVq"),),
        "log",
    ),
    Labelled(
        '[2025-02-03 17:40:02] ERROR webhook failed for order 55120 (ship_to="Mei Lin Wong, 18 Nathan Road, '
        'Tsim Sha Tsui, Kowloon") retry=3',
        (("PERSON", "Mei Lin Wong"), ("ADDRESS", "18 Nathan Road, Tsim Sha Tsui, Kowloon")),
        "log",
    ),
    Labelled(
        "audit: role granted admin to dilnoza.yusupova by zarina.akhmedova from 2001:db8:ffa0::3c",
        (("PERSON", "dilnoza.yusupova"), ("PERSON", "zarina.akhmedova"), ("IP", "2001:db8:ffa0::3c")),
        "log",
    ),
    Labelled(
        '{"event":"appointment.created","patient":"Rachid Amrani","slot":"Tue 2025-03-11 08:45",'
        '"clinic":"Rabat"}',
        (("PERSON", "Rachid Amrani"), ("PERSONAL_DATE", "Tue 2025-03-11 08:45")),
        "log",
    ),
    Labelled(
        "WARN kyc.check mismatch name='Mekdes Alemu' dob=1993-12-01 ssn=987-65-4326 source=upload",
        (("PERSON", "Mekdes Alemu"), ("DATE_OF_BIRTH", "1993-12-01"), ("US_SSN", "987-65-4326")),
        "log",
    ),
    Labelled(
        "stripe.charge.failed key=sk_live_51Nq8ZpL2vKx7RtYw3MbC9dFh0JsUe4Gi customer=cus_Q4x "
        "email=ayu.w@example.org",
        (("API_KEY", "sk_live_51Nq8ZpL2vKx7RtYw3MbC9dFh0JsUe4Gi"), ("EMAIL", "ayu.w@example.org")),
        "log",
    ),
    Labelled(
        'model_response: "I found the booking. Rawiri Te Awa is checked in to room 214 from Friday 21 March, '
        '3 pm, and his card 4916 7382 9104 7561 was pre-authorised."',
        (
            ("PERSON", "Rawiri Te Awa"),
            ("PERSONAL_DATE", "Friday 21 March, 3 pm"),
            ("CREDIT_CARD", "4916 7382 9104 7561"),
        ),
        "log",
    ),
    Labelled(
        "2025-02-11 08:03:19 INFO courier.assign driver='Tran Minh Duc' recipient='Maria Santos Reyes' "
        "phone=+84 90 555 0127 eta='Wed 12 Feb 14:00'",
        (
            ("PERSON", "Tran Minh Duc"),
            ("PERSON", "Maria Santos Reyes"),
            ("PHONE", "+84 90 555 0127"),
            ("PERSONAL_DATE", "Wed 12 Feb 14:00"),
        ),
        "log",
    ),
    Labelled(
        "fail2ban: banned 192.0.2.77 after 5 failed logins for user 'roberto.mancini'; earlier attempts from "
        "198.51.100.9 and 2001:db8:77::a1",
        (
            ("IP", "192.0.2.77"),
            ("PERSON", "roberto.mancini"),
            ("IP", "198.51.100.9"),
            ("IP", "2001:db8:77::a1"),
        ),
        "log",
    ),
    Labelled(
        'tool_result {"name": "Kalani Mahoe", "card_last_used": "3714 496353 98431", "plan": "pro", '
        '"ssn": "987-65-4327", "email": "kalani.m@example.com"}',
        (
            ("PERSON", "Kalani Mahoe"),
            ("CREDIT_CARD", "3714 496353 98431"),
            ("US_SSN", "987-65-4327"),
            ("EMAIL", "kalani.m@example.com"),
        ),
        "log",
    ),
    # --- code ------------------------------------------------------------------------------------------
    Labelled(
        '# TODO(amina.bouzid): remove before merge\nTEST_USER = {"name": "Amina Bouzid", "iban": '
        '"BE41539007547035"}',
        (("PERSON", "amina.bouzid"), ("PERSON", "Amina Bouzid"), ("IBAN", "BE41539007547035")),
        "code",
    ),
    Labelled(
        "INSERT INTO customers (name, email, phone) VALUES ('Samir Haddadi', 'samir.h@example.net', "
        "'+213 555 12 34 56');",
        (("PERSON", "Samir Haddadi"), ("EMAIL", "samir.h@example.net"), ("PHONE", "+213 555 12 34 56")),
        "code",
    ),
    Labelled(
        "commit 9f2c1e7\nAuthor: Takeshi Mori <takeshi.mori@example.com>\nDate:   Mon Jan 13 10:02:11 "
        "2025 +0900\n\n"
        "    fix retry loop in uploader",
        (("PERSON", "Takeshi Mori"), ("EMAIL", "takeshi.mori@example.com")),
        "code",
    ),
    Labelled(
        'GITHUB_TOKEN = "ghp_R4nD0mT0k3nXy9Qw2Lp8Vb6Mz1Kc7Hs5Jd3F"  # Yuna pasted this, rotate it',
        (("API_KEY", "ghp_R4nD0mT0k3nXy9Qw2Lp8Vb6Mz1Kc7Hs5Jd3F"), ("PERSON", "Yuna")),
        "code",
    ),
    Labelled(
        'def test_checkout():\n    card = "5182 0394 8571 6200"  # Pavel\'s test card from staging\n'
        "    assert pay(card, amount=1999)",
        (("CREDIT_CARD", "5182 0394 8571 6200"), ("PERSON", "Pavel")),
        "code",
    ),
    Labelled(
        "SELECT * FROM patients WHERE last_name = 'Petrović' AND dob = '1958-05-30';  -- asked by Milan",
        (("PERSON", "Petrović"), ("DATE_OF_BIRTH", "1958-05-30"), ("PERSON", "Milan")),
        "code",
    ),
    Labelled(
        "aws_access_key_id = AKIAZ7QK3MVT5XN2PLRD\naws_secret_access_key = "
        "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  # owner: Gulnara",
        (
            ("API_KEY", "AKIAZ7QK3MVT5XN2PLRD"),
            ("API_KEY", "q8Vt2Lm+Xc9Rb4Nw7Ks1Zd6Hf3Jp0Gy5Ea8Uo2Ti"),
            ("PERSON", "Gulnara"),
        ),
        "code",
    ),
    Labelled(
        "fixtures = [\n  {'id': 1, 'name': 'Bakyt Osmonov', 'city': 'Bishkek', 'phone': '+996 555 010 "
        "203'},\n]",
        (("PERSON", "Bakyt Osmonov"), ("LOCATION", "Bishkek"), ("PHONE", "+996 555 010 203")),
        "code",
    ),
    Labelled(
        "// reviewed-by: Li Wei, Zhang Hao\n// staging host 198.51.100.77, slack token below is Li's\n"
        "const SLACK = 'xoxb-2418-59301-Hk7dLq2Vz9PmWx4RtNc8Bs1Y';",
        (
            ("PERSON", "Li Wei"),
            ("PERSON", "Zhang Hao"),
            ("PERSON", "Li"),
            ("API_KEY", "xoxb-2418-59301-Hk7dLq2Vz9PmWx4RtNc8Bs1Y"),
        ),
        "code",
    ),
    Labelled(
        '# seed data for local dev only\nUSERS = [("Hemi Walker", "987-65-4324", "hemi.w@example.org"), '
        '("Seo-yeon Park", "987-65-4325", "sy.park@example.org")]',
        (
            ("PERSON", "Hemi Walker"),
            ("US_SSN", "987-65-4324"),
            ("EMAIL", "hemi.w@example.org"),
            ("PERSON", "Seo-yeon Park"),
            ("US_SSN", "987-65-4325"),
            ("EMAIL", "sy.park@example.org"),
        ),
        "code",
    ),
    Labelled(
        "export OPENAI_API_KEY=sk-proj-Xw3Vb7Nq1Lk9Mz5Tc2Rp8Hd4Jf6Gs0Ya\n"
        "export HF_TOKEN=hf_QpLmZr7KxVt2NwBc9DsYf4GhJu6EaTi1Ro  # Ayesha's laptop, 203.0.113.200",
        (
            ("API_KEY", "sk-proj-Xw3Vb7Nq1Lk9Mz5Tc2Rp8Hd4Jf6Gs0Ya"),
            ("API_KEY", "hf_QpLmZr7KxVt2NwBc9DsYf4GhJu6EaTi1Ro"),
            ("PERSON", "Ayesha"),
            ("IP", "203.0.113.200"),
        ),
        "code",
    ),
    # --- clinical --------------------------------------------------------------------------------------
    Labelled(
        "Pt: Nomvula Dlamini, 54F, DOB 03/02/1970. Admitted Sun 12 Jan 2025 22:40 with chest pain. "
        "NOK: son Themba 082 555 0116.",
        (
            ("PERSON", "Nomvula Dlamini"),
            ("DATE_OF_BIRTH", "03/02/1970"),
            ("PERSONAL_DATE", "Sun 12 Jan 2025 22:40"),
            ("PERSON", "Themba"),
            ("PHONE", "082 555 0116"),
        ),
        "clinical",
    ),
    Labelled(
        "Follow-up for Rustam: BP 142/91, continue amlodipine 5 mg. Next review Thursday 6 March 2025, "
        "09:30, "
        "Dr. Habib Said.",
        (
            ("PERSON", "Rustam"),
            ("PERSONAL_DATE", "Thursday 6 March 2025, 09:30"),
            ("PERSON", "Habib Said"),
        ),
        "clinical",
    ),
    Labelled(
        "Aufnahme: Patientin Marguerite Lenz, geb. 11.09.1947, wohnhaft Lindenweg 8, 69117 Heidelberg. "
        "Sturz zu Hause.",
        (
            ("PERSON", "Marguerite Lenz"),
            ("DATE_OF_BIRTH", "11.09.1947"),
            ("ADDRESS", "Lindenweg 8, 69117 Heidelberg"),
        ),
        "clinical",
    ),
    Labelled(
        "Discharge summary — Kidane Gebremedhin, discharged Fri 24 Jan 2025 at 11:00 to home in Asmara; "
        "GP to see him within 7 days.",
        (
            ("PERSON", "Kidane Gebremedhin"),
            ("PERSONAL_DATE", "Fri 24 Jan 2025 at 11:00"),
            ("LOCATION", "Asmara"),
        ),
        "clinical",
    ),
    Labelled(
        "triage: pt Nadia, 29, mother Imane Cherkaoui at bedside. insurance: card 4761 7390 0010 0473 "
        "on file. "
        "allergy: penicillin",
        (("PERSON", "Nadia"), ("PERSON", "Imane Cherkaoui"), ("CREDIT_CARD", "4761 7390 0010 0473")),
        "clinical",
    ),
    Labelled(
        "Consulta: Yolanda Quispe Mamani, nac. 19/03/1962, de Cusco. Control de diabetes el miércoles 19 "
        "de febrero a las 8:00.",
        (
            ("PERSON", "Yolanda Quispe Mamani"),
            ("DATE_OF_BIRTH", "19/03/1962"),
            ("LOCATION", "Cusco"),
            ("PERSONAL_DATE", "miércoles 19 de febrero a las 8:00"),
        ),
        "clinical",
    ),
    Labelled(
        "Vaccination record: Leilani Akana, born 2019-07-04, MMR dose 2 given Tue 14 Jan 2025 10:20 by nurse "
        "Losana Vuki.",
        (
            ("PERSON", "Leilani Akana"),
            ("DATE_OF_BIRTH", "2019-07-04"),
            ("PERSONAL_DATE", "Tue 14 Jan 2025 10:20"),
            ("PERSON", "Losana Vuki"),
        ),
        "clinical",
    ),
    Labelled(
        "Referral: Ravi Subramanian (SSN 987-65-4328) to cardiology. Patient lives alone in Fremont, CA; "
        "daughter Anjali Deshpande is proxy.",
        (
            ("PERSON", "Ravi Subramanian"),
            ("US_SSN", "987-65-4328"),
            ("LOCATION", "Fremont, CA"),
            ("PERSON", "Anjali Deshpande"),
        ),
        "clinical",
    ),
    Labelled(
        "Journalanteckning: Björn Eriksson, f. 1951-10-22, inlagd måndag 20 januari kl. 14:05 för pneumoni. "
        "Anhörig: Ingrid, 070-555 30 91.",
        (
            ("PERSON", "Björn Eriksson"),
            ("DATE_OF_BIRTH", "1951-10-22"),
            ("PERSONAL_DATE", "måndag 20 januari kl. 14:05"),
            ("PERSON", "Ingrid"),
            ("PHONE", "070-555 30 91"),
        ),
        "clinical",
    ),
    Labelled(
        "Note de consultation : Mme Salma Idrissi, née le 05/05/1984, suivie pour asthme. RDV le mardi 25 "
        "février à 15h30.",
        (
            ("PERSON", "Salma Idrissi"),
            ("DATE_OF_BIRTH", "05/05/1984"),
            ("PERSONAL_DATE", "mardi 25 février à 15h30"),
        ),
        "clinical",
    ),
    Labelled(
        "Home visit for Somchai Wongsakul booked Sat 1 Mar 2025, 10:00, at 59/12 Sukhumvit Soi 31, Khlong "
        "Toei Nuea, Bangkok 10110.",
        (
            ("PERSON", "Somchai Wongsakul"),
            ("PERSONAL_DATE", "Sat 1 Mar 2025, 10:00"),
            ("ADDRESS", "59/12 Sukhumvit Soi 31, Khlong Toei Nuea, Bangkok 10110"),
        ),
        "clinical",
    ),
    Labelled(
        "Ward round: Tafadzwa improving, sats 96% RA. Busisiwe (wife) asked for update; call +27 82 555 "
        "0161.",
        (("PERSON", "Tafadzwa"), ("PERSON", "Busisiwe"), ("PHONE", "+27 82 555 0161")),
        "clinical",
    ),
)

CLEAN_TEXTS: tuple[Labelled, ...] = (
    # --- chat ------------------------------------------------------------------------------------------
    Labelled(
        "summer sale runs June 1-15, up to 40% off selected Apple and Samsung phones - is it online only?",
        (),
        "chat",
    ),
    Labelled("will the 2.4.1 update fix the sync bug or do i have to wait for 2.5?", (), "chat"),
    Labelled(
        "i hope the grace period covers this, the invoice INV-2025-00418 was only 3 days late", (), "chat"
    ),
    Labelled(
        "how do I mark a rose bush as sold in the garden centre app? the SKU is RB-7714-RED", (), "chat"
    ),
    Labelled(
        "does the Berlin store open on Sundays? and is the Paris one still closed for renovation", (), "chat"
    ),
    Labelled(
        "what's the diff between the Hunter and the Ranger plan? €12.99 vs €19.99 per month right?",
        (),
        "chat",
    ),
    Labelled(
        "assistant: Order 771-20493 shipped on 2025-01-09 and should arrive within 3-5 business days.",
        (),
        "chat",
    ),
    Labelled(
        "ok cool. faith restored lol. can u also export the report as CSV, columns A-F only", (), "chat"
    ),
    # --- ticket ----------------------------------------------------------------------------------------
    Labelled(
        "TICKET #50112 | PRIORITY: P3 | COMPONENT: billing-service | VERSION: 3.18.0 | STATUS: OPEN",
        (),
        "ticket",
    ),
    Labelled(
        "Steps to reproduce: 1) open Settings > Account 2) click 'Change Name' 3) enter First Name / "
        "Last Name "
        "4) Save -> HTTP 500",
        (),
        "ticket",
    ),
    Labelled(
        "Duplicate of INC-20877. Root cause: cron job at 02:00 UTC overlaps backup window. Closing.",
        (),
        "ticket",
    ),
    Labelled(
        "Customer asks whether the Amsterdam data centre is GDPR compliant. Sent link to trust page, "
        "KB-0042.",
        (),
        "ticket",
    ),
    Labelled(
        "Request: increase rate limit from 600 to 1200 rpm for workspace ws_8f3a21. Approved by on-call.",
        (),
        "ticket",
    ),
    Labelled(
        "Printer on floor 3 (HP LaserJet M404dn, asset 00417-PRN) jams on A4 duplex. Toner replaced "
        "2024-12-02.",
        (),
        "ticket",
    ),
    # --- crm -------------------------------------------------------------------------------------------
    Labelled(
        "Account: Northwind Traders GmbH. Tier: Enterprise. ARR: $184,500. Renewal: Q3 FY25. Region: EMEA.",
        (),
        "crm",
    ),
    Labelled(
        "Opportunity OPP-33018 moved to Closed Won. Products: Analytics Pro x 40 seats, SSO add-on.",
        (),
        "crm",
    ),
    Labelled(
        "Segment: retail chains in São Paulo and Rio de Janeiro with more than 50 stores. Campaign "
        "starts March.",
        (),
        "crm",
    ),
    Labelled(
        "Field legend: First Name, Last Name, Job Title, Company, Phone (mobile), Preferred Language.",
        (),
        "crm",
    ),
    Labelled(
        "Competitor intel: Acme Corp cut prices by 15% in Nordic markets; Globex launched v7 in Singapore.",
        (),
        "crm",
    ),
    Labelled(
        "Pipeline review every Monday 10:00. Forecast category definitions: Commit, Best Case, "
        "Pipeline, Omitted.",
        (),
        "crm",
    ),
    # --- email -----------------------------------------------------------------------------------------
    Labelled(
        "Sehr geehrte Damen und Herren,\n\nwir bestätigen den Eingang Ihrer Bestellung Nr. 4410-772. "
        "Die Lieferung erfolgt in KW 7.\n\nMit freundlichen Grüßen\nIhr Kundenservice",
        (),
        "email",
    ),
    Labelled(
        "Madame, Monsieur,\n\nNous vous informons que nos bureaux seront fermés le 1er mai. "
        "Veuillez agréer nos salutations distinguées.\nLe Service Client",
        (),
        "email",
    ),
    Labelled(
        "Hej,\n\nVi vill påminna om att fakturan 2025-0193 förfaller den 28 februari. "
        "Med vänliga hälsningar\nEkonomiavdelningen",
        (),
        "email",
    ),
    Labelled(
        "Estimado cliente:\n\nLe informamos de que la versión 5.2 de la aplicación ya está disponible. "
        "Un cordial saludo,\nEl equipo de soporte",
        (),
        "email",
    ),
    Labelled(
        "Geachte heer/mevrouw,\n\nHierbij ontvangt u de offerte OFF-2025-118 voor 12 licenties. "
        "Met vriendelijke groet,\nAfdeling Verkoop",
        (),
        "email",
    ),
    Labelled(
        "Szanowni Państwo,\n\nuprzejmie informujemy, że cennik na rok 2025 jest dostępny w panelu klienta. "
        "Z poważaniem\nDział Obsługi",
        (),
        "email",
    ),
    Labelled(
        "Subject: Release notes 4.0\n\nHi all, 4.0 ships on 2025-03-03. Highlights: dark mode, faster "
        "search, "
        "new Windows installer. Thanks, the Product team",
        (),
        "email",
    ),
    # --- log -------------------------------------------------------------------------------------------
    Labelled(
        "2025-01-14T09:12:44.201Z INFO http GET /api/v2/orders?limit=50 200 38ms trace=7f3c9a1e2b4d",
        (),
        "log",
    ),
    Labelled(
        '{"level":"error","service":"worker","msg":"queue backlog","depth":18234,"ts":1736845964}',
        (),
        "log",
    ),
    Labelled(
        "kernel: [ 1842.117203] EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)",
        (),
        "log",
    ),
    Labelled(
        "WARN pool.acquire timeout after 30000ms (active=64 idle=0 pending=212) host=db-primary-02",
        (),
        "log",
    ),
    Labelled(
        "sha256=9b74c9897bac770ffc029102a200c5de9a5e7b2c4f1a06d3e8c1f0b7a6d4e2f1 build=20250114.3 ok",
        (),
        "log",
    ),
    Labelled(
        "deploy: rolled out image registry.example.internal/api:1.42.7 to 12/12 pods in eu-west-1 (took 94s)",
        (),
        "log",
    ),
    # --- code ------------------------------------------------------------------------------------------
    Labelled(
        "class MarkdownRenderer:\n    def render(self, text: str) -> str:\n        return self._grace(text)",
        (),
        "code",
    ),
    Labelled(
        "SELECT customer_id, SUM(amount) FROM invoices WHERE created_at >= '2025-01-01' GROUP BY 1 "
        "LIMIT 100;",
        (),
        "code",
    ),
    Labelled(
        "import pandas as pd\ndf = "
        "pd.read_csv('sales_2024.csv')\nprint(df.groupby('region')['total'].mean())",
        (),
        "code",
    ),
    Labelled(
        "const Victor = require('victory-charts'); // not a person: the chart lib alias\nVictor.render(cfg);",
        (),
        "code",
    ),
    Labelled(
        "git log --oneline\n3e1a9c0 bump version to 0.9.3\n77b2d41 fix flaky test_checkout on CI",
        (),
        "code",
    ),
    Labelled(
        "HASH_ROUNDS = 12  # bcrypt cost\nMAX_RETRIES = 5\nTIMEOUT_S = 30\nDEFAULT_LOCALE = 'de_DE'",
        (),
        "code",
    ),
    # --- clinical --------------------------------------------------------------------------------------
    Labelled(
        "Protocol: amoxicillin 500 mg PO TID x 7 days; reassess if fever > 38.5 C after 48 h.",
        (),
        "clinical",
    ),
    Labelled(
        "Ward 4B census: 22 beds, 19 occupied, 2 pending discharge, 1 isolation (MRSA). Shift change 19:00.",
        (),
        "clinical",
    ),
    Labelled(
        "Reference ranges: Hb 12.0-15.5 g/dL, WBC 4.0-11.0 x10^9/L, platelets 150-400 x10^9/L.",
        (),
        "clinical",
    ),
    Labelled(
        "Glasgow Coma Scale: eye 1-4, verbal 1-5, motor 1-6. Parkinson's and Addison's disease checklists "
        "attached.",
        (),
        "clinical",
    ),
    Labelled(
        "Form fields: Patient Name, Date of Birth, NHS Number, Next of Kin, GP Practice, Allergies.",
        (),
        "clinical",
    ),
    Labelled(
        "Clinic closed on 25-26 December; emergency cover via the Manchester Royal Infirmary switchboard.",
        (),
        "clinical",
    ),
)

# Where each PERSON value comes from (for the per-origin recall of the benchmark).
NAME_ORIGINS: dict[str, str] = {
    "Harriet Oakes": "anglo",
    "DWAYNE R PARKS": "anglo",
    "Grace": "anglo",
    "Rob Whitfield": "anglo",
    "Hunter": "anglo",
    "Skye": "anglo",
    "Will": "anglo",
    "Faith": "anglo",
    "Rose": "anglo",
    "M. O'Leary": "anglo",
    "Bethany Clarke": "anglo",
    "Megan": "anglo",
    "Tom Hardcastle": "anglo",
    "Hope Adair": "anglo",
    "Aigerim": "central_asian",
    "Nursultan": "central_asian",
    "Timur Rakhimov": "central_asian",
    "dilnoza.yusupova": "central_asian",
    "zarina.akhmedova": "central_asian",
    "Gulnara": "central_asian",
    "Bakyt Osmonov": "central_asian",
    "Rustam": "central_asian",
    "Wanjiru": "east_african",
    "Baraka": "east_african",
    "Tesfaye Bekele": "east_african",
    "Achieng": "east_african",
    "Otieno": "east_african",
    "Mekdes Alemu": "east_african",
    "Kidane Gebremedhin": "east_african",
    "Habib Said": "east_african",
    "Haruto Sato": "east_asian",
    "Chen Jiahui": "east_asian",
    "Mei Lin Wong": "east_asian",
    "Takeshi Mori": "east_asian",
    "Yuna": "east_asian",
    "Li Wei": "east_asian",
    "Zhang Hao": "east_asian",
    "Li": "east_asian",
    "Ximena Rojas": "latin_american",
    "Renata da Silva": "latin_american",
    "Joaquín Ibarra": "latin_american",
    "Luz": "latin_american",
    "Esteban": "latin_american",
    "Thiago Cardoso": "latin_american",
    "Camila": "latin_american",
    "Yolanda Quispe Mamani": "latin_american",
    "Elif Demir": "middle_eastern",
    "Yousef": "middle_eastern",
    "Farid": "middle_eastern",
    "Omar Haddad": "middle_eastern",
    "Shirin Tehrani": "middle_eastern",
    "Ariel Ben-David": "middle_eastern",
    "Noor Al-Sabah": "middle_eastern",
    "Emre Aksoy": "middle_eastern",
    "Linnea Åberg": "nordic",
    "Ingrid Dahl": "nordic",
    "Magnus Lindqvist": "nordic",
    "Eero Virtanen": "nordic",
    "Sigrid Halvorsen": "nordic",
    "Bjørn": "nordic",
    "Oskar": "nordic",
    "Astrid": "nordic",
    "Freja Nyström": "nordic",
    "Björn Eriksson": "nordic",
    "Ingrid": "nordic",
    "Fatima-Zahra Benali": "north_african",
    "Karim": "north_african",
    "Rachid Amrani": "north_african",
    "amina.bouzid": "north_african",
    "Amina Bouzid": "north_african",
    "Samir Haddadi": "north_african",
    "Nadia": "north_african",
    "Imane Cherkaoui": "north_african",
    "Salma Idrissi": "north_african",
    "Sione": "pacific",
    "Mele": "pacific",
    "Iosefa": "pacific",
    "Tane Horomona": "pacific",
    "Aroha Ngata": "pacific",
    "Keoni Kahale": "pacific",
    "Rawiri Te Awa": "pacific",
    "Leilani Akana": "pacific",
    "Hemi Walker": "pacific",
    "Kalani Mahoe": "pacific",
    "Seo-yeon Park": "east_asian",
    "Ayesha": "south_asian",
    "Rahul Varma": "south_asian",
    "roberto.mancini": "western_european",
    "Vusi": "southern_african",
    "Farrukh": "central_asian",
    "Losana Vuki": "pacific",
    "Tomasz": "slavic",
    "Agnieszka": "slavic",
    "Katarzyna Zając": "slavic",
    "Dmitri Volkov": "slavic",
    "Zuzana Horváthová": "slavic",
    "Olena": "slavic",
    "Bogdanie": "slavic",
    "Bogdan Kowalczyk": "slavic",
    "Ivana": "slavic",
    "Pavel": "slavic",
    "Petrović": "slavic",
    "Milan": "slavic",
    "Sanjay Mehta": "south_asian",
    "Arjun": "south_asian",
    "Deepa": "south_asian",
    "Imran Chaudhry": "south_asian",
    "Imran": "south_asian",
    "Nimal Perera": "south_asian",
    "Ravi Subramanian": "south_asian",
    "Anjali Deshpande": "south_asian",
    "Budi Santoso": "southeast_asian",
    "Nguyen Thi Lan": "southeast_asian",
    "Arnel Dela Cruz": "southeast_asian",
    "Siti Rahayu": "southeast_asian",
    "Dewi": "southeast_asian",
    "Joko": "southeast_asian",
    "Somchai Wongsakul": "southeast_asian",
    "Tran Minh Duc": "southeast_asian",
    "Maria Santos Reyes": "southeast_asian",
    "Lerato Mokoena": "southern_african",
    "KAGISO MOLEFE": "southern_african",
    "Thandiwe": "southern_african",
    "Sipho": "southern_african",
    "Tendai Moyo": "southern_african",
    "Tendai": "southern_african",
    "Nkosi": "southern_african",
    "Nomvula Dlamini": "southern_african",
    "Themba": "southern_african",
    "Tafadzwa": "southern_african",
    "Busisiwe": "southern_african",
    "Grace Mbatha-Lindqvist": "southern_african",
    "Kofi": "west_african",
    "Ama": "west_african",
    "Oluwaseun Adeyemi": "west_african",
    "Abdoulaye Diallo": "west_african",
    "Moussa Traoré": "west_african",
    "Efua Asante": "west_african",
    "Kwame Boateng": "west_african",
    "Chidinma Okafor": "west_african",
    "Fatou": "west_african",
    "Jürgen": "western_european",
    "Anneke de Vries": "western_european",
    "Inès Fontaine": "western_european",
    "Chiara Lombardi": "western_european",
    "Pieter van der Berg": "western_european",
    "Jean-Luc Moreau": "western_european",
    "JL": "western_european",
    "Klaus Brandt": "western_european",
    "Brandt": "western_european",
    "Hélène Dubois": "western_european",
    "Lorenzo": "western_european",
    "Anneke": "western_european",
    "Marguerite": "western_european",
    "Marguerite Lenz": "western_european",
}
