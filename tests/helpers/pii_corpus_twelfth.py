"""A twelfth labelled PII corpus, written blind for issue 17.

Written in December 2026 by a twelfth author who never read the recognizers, the benchmarks or the other
corpora; only the ``Labelled`` dataclass and the corpus checks. Every value is invented: e-mails are on
reserved domains, IPs in the documentation ranges, SSNs in 987-65-4320..4329, cards are Luhn-valid
made-up numbers of several networks (Visa, Mastercard incl. 2-series, Amex, Discover, JCB, Diners,
UnionPay, Maestro), IBANs are made-up accounts with valid mod-97 check digits (DE, FR, ES, IT, NL, PL, SE,
TR, PT, BE, GB, CH, AT, LT, IE) and every token is random in a provider's format.

The emphasis is fintech and crypto onboarding (KYC), car insurance claims and garages, restaurants and
hotels, charities and donors, gaming and community moderation (handles, reports about users) and airlines,
plus retrieval context as it reaches a model: text extracted from PDFs and scanned forms (odd spacing,
split labels), meeting minutes with attendee lists, CSV rows and spreadsheet exports. About 40 % of the
texts are not in English (Spanish, Portuguese, French, German, Italian, Dutch, Polish, Swedish, Turkish,
Indonesian, Vietnamese, Lithuanian).
"""

# The texts are multilingual on purpose: dotless i, en dashes and the like are real characters here.
# ruff: noqa: RUF001

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # --- fintech / crypto KYC ---
    Labelled(
        "hi, my kyc keeps failing?? name is Chinedu Okafor-Bello, dob 14/03/1991, "
        "I uploaded my passport twice. registered address 12 Admiralty Way, Lekki Phase 1, Lagos",
        (
            ("PERSON", "Chinedu Okafor-Bello"),
            ("DATE_OF_BIRTH", "14/03/1991"),
            ("ADDRESS", "12 Admiralty Way, Lekki Phase 1, Lagos"),
        ),
        "chat",
    ),
    Labelled(
        '{"ts":"2026-11-30T08:14:22Z","svc":"kyc-worker","level":"WARN","msg":"document mismatch",'
        '"applicant":{"full_name":"Nguyen Thi Thu '
        'Ha","birth_date":"1988-07-02","email":"thuha.nguyen@example.com"},'
        '"client_ip":"203.0.113.41"}',
        (
            ("PERSON", "Nguyen Thi Thu Ha"),
            ("DATE_OF_BIRTH", "1988-07-02"),
            ("EMAIL", "thuha.nguyen@example.com"),
            ("IP", "203.0.113.41"),
        ),
        "log",
    ),
    Labelled(
        "Olá, sou o Thiago Albuquerque e quero sacar meus bitcoins para a conta "
        "PT74 7911 8756 1302 0309 5357 4, mas o app pede nova selfie. Meu telefone é +351 912 345 678.",
        (
            ("PERSON", "Thiago Albuquerque"),
            ("IBAN", "PT74 7911 8756 1302 0309 5357 4"),
            ("PHONE", "+351 912 345 678"),
        ),
        "chat",
    ),
    Labelled(
        "KYC review #KYC-88213 (tier 2 upgrade)\nApplicant: Aigerim Bekova\nCitizenship: Kazakhstan, resides "
        "in Almaty\n"
        "DOB: 22.09.1995\nSource of funds: salary. Flag: selfie blurred, ask for re-upload.",
        (
            ("PERSON", "Aigerim Bekova"),
            ("LOCATION", "Kazakhstan"),
            ("LOCATION", "Almaty"),
            ("DATE_OF_BIRTH", "22.09.1995"),
        ),
        "ticket",
    ),
    Labelled(
        "Guten Tag,\n\nbitte aktualisieren Sie meine Auszahlungsbankverbindung auf DE93 3343 5136 0985 5915 "
        "24. "
        "Die alte Karte endet auf 4711 und ist gesperrt.\n\nMit freundlichen Grüßen\nJörg Weißmüller\nTel. "
        "0171 5523980",
        (
            ("IBAN", "DE93 3343 5136 0985 5915 24"),
            ("PERSON", "Jörg Weißmüller"),
            ("PHONE", "0171 5523980"),
        ),
        "email",
    ),
    Labelled(
        "SSN verification failed for applicant Marcus T. Whitfield (ssn on file 987-65-4321, dob Jan 9 "
        "1979). "
        "Credit bureau returned 'no hit'. Retry with manual docs.",
        (
            ("PERSON", "Marcus T. Whitfield"),
            ("US_SSN", "987-65-4321"),
            ("DATE_OF_BIRTH", "Jan 9 1979"),
        ),
        "crm",
    ),
    Labelled(
        "INSERT INTO kyc_applicants (first_name, last_name, ssn, dob, ip_addr) VALUES "
        "('Dolores', 'Quispe Mamani', '987654322', '1983-11-27', '198.51.100.23');",
        (
            ("PERSON", "Dolores"),
            ("PERSON", "Quispe Mamani"),
            ("US_SSN", "987654322"),
            ("DATE_OF_BIRTH", "1983-11-27"),
            ("IP", "198.51.100.23"),
        ),
        "code",
    ),
    Labelled(
        "user @satoshi_fan_reza (Reza Tehrani) wants to whitelist withdrawal address, but his 2FA phone "
        "changed "
        "to +49 1523 7788412. he lives in Hamburg now. escalate to compliance",
        (
            ("PERSON", "satoshi_fan_reza"),
            ("PERSON", "Reza Tehrani"),
            ("PHONE", "+49 1523 7788412"),
            ("LOCATION", "Hamburg"),
        ),
        "ticket",
    ),
    Labelled(
        "Dzień dobry, nazywam się Agnieszka Wróblewska. Proszę o zwrot środków na konto "
        "PL91 2803 6162 9443 6024 2383 3667. Data urodzenia: 3 maja 1990 r.",
        (
            ("PERSON", "Agnieszka Wróblewska"),
            ("IBAN", "PL91 2803 6162 9443 6024 2383 3667"),
            ("DATE_OF_BIRTH", "3 maja 1990"),
        ),
        "email",
    ),
    Labelled(
        'Traceback (most recent call last):\n  File "onboarding/verify.py", line 88, in submit\n'
        '    resp = client.post(url, headers={"Authorization": "Bearer '
        'sk_live_jqyoHRnES0QHqvpc3YylCXO2"})\n'
        "requests.exceptions.HTTPError: 402 Client Error for customer cus_Q8x (Fatima Al-Zahrani)",
        (
            ("API_KEY", "sk_live_jqyoHRnES0QHqvpc3YylCXO2"),
            ("PERSON", "Fatima Al-Zahrani"),
        ),
        "log",
    ),
    Labelled(
        "Merhaba, ben Emre Yıldırım. Hesabıma para yatıramıyorum, IBAN'ım TR70 3397 3070 3444 4494 1039 66. "
        "İzmir'de oturuyorum, doğum tarihim 11.06.1993.",
        (
            ("PERSON", "Emre Yıldırım"),
            ("IBAN", "TR70 3397 3070 3444 4494 1039 66"),
            ("LOCATION", "İzmir"),
            ("DATE_OF_BIRTH", "11.06.1993"),
        ),
        "chat",
    ),
    Labelled(
        "Scanned ID (OCR):\nSURNAME / Nom\nMBEKI-DLAMINI\nGiven names / Prénoms\nTHANDIWE GRACE\n"
        "Date of birth / Date de naissance\n04 OCT 1986\nPlace of birth\nDURBAN",
        (
            ("PERSON", "MBEKI-DLAMINI"),
            ("PERSON", "THANDIWE GRACE"),
            ("DATE_OF_BIRTH", "04 OCT 1986"),
            ("LOCATION", "DURBAN"),
        ),
        "crm",
    ),
    Labelled(
        "Xin chào, tôi là Trần Quốc Bảo, tài khoản ví của tôi bị khóa. Số điện thoại: 0912 345 678, "
        "email baotq@example.net. Tôi ở Đà Nẵng.",
        (
            ("PERSON", "Trần Quốc Bảo"),
            ("PHONE", "0912 345 678"),
            ("EMAIL", "baotq@example.net"),
            ("LOCATION", "Đà Nẵng"),
        ),
        "chat",
    ),
    Labelled(
        "card_on_file: 5317 5012 2646 9926 exp 08/29 holder=PRIYA RAMANATHAN; 3ds challenge failed from "
        "2001:db8:4f1::22",
        (
            ("CREDIT_CARD", "5317 5012 2646 9926"),
            ("PERSON", "PRIYA RAMANATHAN"),
            ("IP", "2001:db8:4f1::22"),
        ),
        "log",
    ),
    # --- car insurance & garages ---
    Labelled(
        "Claim CLM-2026-40418: insured Kofi Asante reports rear-end collision on 18 Nov 2026 at the A4 slip "
        "road. "
        "Policyholder phone 07700 900461. Vehicle towed to Brentford Motors.",
        (
            ("PERSON", "Kofi Asante"),
            ("PERSONAL_DATE", "18 Nov 2026"),
            ("PHONE", "07700 900461"),
        ),
        "ticket",
    ),
    Labelled(
        "Schadenmeldung\nVersicherungsnehmer:   Lukas   Brandstätter\nGeb.-Datum:\n  17.02.1984\nAnschrift: "
        "Mariahilfer Straße 54/7, 1070 Wien\nSchadentag: 02.12.2026",
        (
            ("PERSON", "Lukas   Brandstätter"),
            ("DATE_OF_BIRTH", "17.02.1984"),
            ("ADDRESS", "Mariahilfer Straße 54/7, 1070 Wien"),
            ("PERSONAL_DATE", "02.12.2026"),
        ),
        "crm",
    ),
    Labelled(
        "Buongiorno, sono Giulia Esposito, il mio carrozziere dice che il perito non è ancora passato. "
        "Il sinistro è del 21 novembre. Mi può chiamare al 347 218 9054? Abito a Napoli.",
        (
            ("PERSON", "Giulia Esposito"),
            ("PERSONAL_DATE", "21 novembre"),
            ("PHONE", "347 218 9054"),
            ("LOCATION", "Napoli"),
        ),
        "chat",
    ),
    Labelled(
        "garage booking: mr hemi te rangi, mot + brake pads, thursday 10 dec 9:30am. phone 021 555 0192. "
        "lives out in rotorua so pls have the courtesy car ready",
        (
            ("PERSON", "hemi te rangi"),
            ("PERSONAL_DATE", "thursday 10 dec 9:30am"),
            ("PHONE", "021 555 0192"),
            ("LOCATION", "rotorua"),
        ),
        "chat",
    ),
    Labelled(
        "Hola, mi nombre es Rodrigo Pérez Villanueva. Tuve un accidente el 28/11/2026 en la Av. Insurgentes. "
        "Mi póliza está a nombre de mi esposa, Mariela Soto. Tel. +52 55 1234 5678.",
        (
            ("PERSON", "Rodrigo Pérez Villanueva"),
            ("PERSONAL_DATE", "28/11/2026"),
            ("PERSON", "Mariela Soto"),
            ("PHONE", "+52 55 1234 5678"),
        ),
        "email",
    ),
    Labelled(
        "workshop_invoices.csv\ninvoice_id,customer,phone,plate,amount\nINV-7781,Björn Lindqvist,+46 70 123 "
        "45 67,"
        "ABC 123,4 350 SEK\nINV-7782,Saga Nyström,070-987 65 43,XYZ 987,1 200 SEK",
        (
            ("PERSON", "Björn Lindqvist"),
            ("PHONE", "+46 70 123 45 67"),
            ("PERSON", "Saga Nyström"),
            ("PHONE", "070-987 65 43"),
        ),
        "crm",
    ),
    Labelled(
        "Déclaration de sinistre\nNom :  Lefèvre\nPrénom :  Anne-Sophie\nAdresse : 18 rue des Tanneurs, "
        "67000 Strasbourg\nDate de l'accident : 5 décembre 2026\nRIB : FR70 4107 1617 15X2 8028 1373 078",
        (
            ("PERSON", "Lefèvre"),
            ("PERSON", "Anne-Sophie"),
            ("ADDRESS", "18 rue des Tanneurs, 67000 Strasbourg"),
            ("PERSONAL_DATE", "5 décembre 2026"),
            ("IBAN", "FR70 4107 1617 15X2 8028 1373 078"),
        ),
        "crm",
    ),
    Labelled(
        "Adjuster note: spoke w/ claimant Oluwaseun (goes by Seun) re: hail damage. Says his neighbour "
        "Mr. Hassan saw it happen. Photos uploaded from 192.0.2.77.",
        (
            ("PERSON", "Oluwaseun"),
            ("PERSON", "Seun"),
            ("PERSON", "Mr. Hassan"),
            ("IP", "192.0.2.77"),
        ),
        "crm",
    ),
    Labelled(
        "Goedemiddag, mijn auto staat sinds 30 november bij uw garage. Kunt u mij bellen op "
        "06 12345678? Groet, Daan van der Berg",
        (
            ("PERSONAL_DATE", "30 november"),
            ("PHONE", "06 12345678"),
            ("PERSON", "Daan van der Berg"),
        ),
        "email",
    ),
    Labelled(
        'def test_claim_payout():\n    claim = Claim(holder="Sione Taufa", '
        'iban="GB69NWBK47436600344723",\n'
        '                  incident_date=date(2026, 10, 3))\n    assert claim.payout_status == "pending"',
        (
            ("PERSON", "Sione Taufa"),
            ("IBAN", "GB69NWBK47436600344723"),
            ("PERSONAL_DATE", "2026, 10, 3"),
        ),
        "code",
    ),
    # --- restaurants & hotels ---
    Labelled(
        "Reservation for 4 under Yuki Tanaka, Sat 12 Dec 7:45pm, window table, one guest has a nut allergy. "
        "Contact: yuki.tanaka88@example.org / 090-1234-5678",
        (
            ("PERSON", "Yuki Tanaka"),
            ("PERSONAL_DATE", "Sat 12 Dec 7:45pm"),
            ("EMAIL", "yuki.tanaka88@example.org"),
            ("PHONE", "090-1234-5678"),
        ),
        "crm",
    ),
    Labelled(
        "guest in 412 (Mr Abdullahi Warsame) says the card 4060 0914 2037 6855 was charged twice for the "
        "minibar. checked in 3 dec, out 6 dec. pls refund one",
        (
            ("PERSON", "Abdullahi Warsame"),
            ("CREDIT_CARD", "4060 0914 2037 6855"),
            ("PERSONAL_DATE", "3 dec"),
            ("PERSONAL_DATE", "6 dec"),
        ),
        "ticket",
    ),
    Labelled(
        "Buenas noches, quisiera cambiar mi reserva del Hotel Mirador: llegada el 23 de diciembre, salida el "
        "27. "
        "A nombre de Camila Fernández Rojas, DNI aparte. Mi móvil: 612 34 56 78. Gracias!",
        (
            ("PERSONAL_DATE", "23 de diciembre"),
            ("PERSONAL_DATE", "el 27"),
            ("PERSON", "Camila Fernández Rojas"),
            ("PHONE", "612 34 56 78"),
        ),
        "email",
    ),
    Labelled(
        "[POS] 2026-12-05 21:14:09 table=14 server=Kemal tip=12.00 card=AMEX **** auth ok "
        "cardholder=ANGUS MACLEOD pan=3750 412725 73354",
        (
            ("PERSON", "Kemal"),
            ("PERSON", "ANGUS MACLEOD"),
            ("CREDIT_CARD", "3750 412725 73354"),
        ),
        "log",
    ),
    Labelled(
        "Bonjour, je suis Mme Nadia Benali, j'ai réservé une chambre pour deux nuits à partir du 14/12. "
        "Pouvez-vous me rappeler au 06 45 78 12 90 ? Nous arrivons de Marseille en voiture.",
        (
            ("PERSON", "Nadia Benali"),
            ("PERSONAL_DATE", "14/12"),
            ("PHONE", "06 45 78 12 90"),
            ("LOCATION", "Marseille"),
        ),
        "chat",
    ),
    Labelled(
        "Review flagged: '1 star. The waiter Bongani was rude and the manager (a guy called Pieter) did "
        "nothing.' "
        "Reviewer account: mthunzi.k@example.com",
        (
            ("PERSON", "Bongani"),
            ("PERSON", "Pieter"),
            ("EMAIL", "mthunzi.k@example.com"),
        ),
        "ticket",
    ),
    Labelled(
        "Hallo, ich hätte gern einen Tisch für Freitag, 18.12., 19 Uhr, auf den Namen Schneider. "
        "Meine Mutter (Ingrid) hat am selben Tag Geburtstag, sie wird 70. Rückruf: 030 12345678",
        (
            ("PERSONAL_DATE", "Freitag, 18.12., 19 Uhr"),
            ("PERSON", "Schneider"),
            ("PERSON", "Ingrid"),
            ("PHONE", "030 12345678"),
        ),
        "chat",
    ),
    Labelled(
        "Pham Minh Khoa booked suite 901 via phone, deposit on Visa 4923 0900 0667 6 (13-digit legacy card). "
        "Guest address: 45 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội.",
        (
            ("PERSON", "Pham Minh Khoa"),
            ("CREDIT_CARD", "4923 0900 0667 6"),
            ("ADDRESS", "45 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"),
        ),
        "crm",
    ),
    Labelled(
        "Ciao! Prenotazione per stasera a nome Rossi, 6 persone. Siamo di Bologna, veniamo per il compleanno "
        "di Matteo. Se serve: 333 987 6543",
        (
            ("PERSON", "Rossi"),
            ("LOCATION", "Bologna"),
            ("PERSON", "Matteo"),
            ("PHONE", "333 987 6543"),
        ),
        "chat",
    ),
    # --- charities & donors ---
    Labelled(
        "Donor record updated: Margaret O'Sullivan, 7 Willow Close, Kilkenny R95 X2Y4, Ireland. "
        "Monthly gift €25 via SEPA from IE18 AIBK 7518 7876 7269 13. Gift Aid: n/a.",
        (
            ("PERSON", "Margaret O'Sullivan"),
            ("ADDRESS", "7 Willow Close, Kilkenny R95 X2Y4, Ireland"),
            ("IBAN", "IE18 AIBK 7518 7876 7269 13"),
        ),
        "crm",
    ),
    Labelled(
        "Dear Mr. Adeyemi,\n\nThank you for your generous donation of $500 on November 28. Your receipt is "
        "attached.\n\n"
        "Warm regards,\nHelen Kowalczyk\nDonor Relations | helen.k@example.org | (555) 010-4471",
        (
            ("PERSON", "Mr. Adeyemi"),
            ("PERSONAL_DATE", "November 28"),
            ("PERSON", "Helen Kowalczyk"),
            ("EMAIL", "helen.k@example.org"),
            ("PHONE", "(555) 010-4471"),
        ),
        "email",
    ),
    Labelled(
        "donors_export_2026Q4.csv\nid;nome;email;valor;cidade\n1042;Luiza "
        "Carvalho;luiza.c@example.com;150,00;Recife\n"
        "1043;Joaquim Barros;jbarros@example.net;80,00;Curitiba",
        (
            ("PERSON", "Luiza Carvalho"),
            ("EMAIL", "luiza.c@example.com"),
            ("LOCATION", "Recife"),
            ("PERSON", "Joaquim Barros"),
            ("EMAIL", "jbarros@example.net"),
            ("LOCATION", "Curitiba"),
        ),
        "crm",
    ),
    Labelled(
        "Volunteer note: Ana Lupe Fifita will lead the food drive. She can't do Saturdays (church). "
        "Her number is 0412 555 019 and she's based in Logan, QLD.",
        (
            ("PERSON", "Ana Lupe Fifita"),
            ("PHONE", "0412 555 019"),
            ("LOCATION", "Logan, QLD"),
        ),
        "crm",
    ),
    Labelled(
        "Hej! Jag vill avsluta mitt månadsgivande. Mitt namn är Elin Håkansson, personnummer skickar jag "
        "inte här. "
        "Jag har flyttat till Göteborg. Tack, Elin",
        (
            ("PERSON", "Elin Håkansson"),
            ("LOCATION", "Göteborg"),
            ("PERSON", "Elin"),
        ),
        "email",
    ),
    Labelled(
        "stripe webhook: charge.succeeded amount=10000 currency=usd description='Gift in memory of "
        "Harold Bixby (d. 2026-09-14)' billing_email=ruth.bixby@example.com card_last4=1111",
        (
            ("PERSON", "Harold Bixby"),
            ("PERSONAL_DATE", "2026-09-14"),
            ("EMAIL", "ruth.bixby@example.com"),
        ),
        "log",
    ),
    Labelled(
        "Sponsor a child program: sponsor Wanjiru Kamau (Nairobi) paid by card 6011 1850 1589 7856 for the "
        "child "
        "profile CH-2231. Sponsor phone +254 712 345678.",
        (
            ("PERSON", "Wanjiru Kamau"),
            ("LOCATION", "Nairobi"),
            ("CREDIT_CARD", "6011 1850 1589 7856"),
            ("PHONE", "+254 712 345678"),
        ),
        "crm",
    ),
    # --- gaming & community moderation ---
    Labelled(
        "report #55120: user xX_Dmitri_Xx#4412 keeps posting another player's real address "
        "(ul. Piotrkowska 104, 90-006 Łódź) in #general. victim is @kasia.gamer. please ban asap",
        (
            ("PERSON", "xX_Dmitri_Xx#4412"),
            ("ADDRESS", "ul. Piotrkowska 104, 90-006 Łódź"),
            ("PERSON", "kasia.gamer"),
        ),
        "ticket",
    ),
    Labelled(
        "mod log 2026-12-06 03:11 UTC: banned tomas_novak_cz (ip 198.51.100.143) for ban evasion, "
        "alt of TomNov. appeal email tomas.novak@example.org",
        (
            ("PERSON", "tomas_novak_cz"),
            ("IP", "198.51.100.143"),
            ("PERSON", "TomNov"),
            ("EMAIL", "tomas.novak@example.org"),
        ),
        "log",
    ),
    Labelled(
        "yo support, someone hacked my acc and bought skins w/ my mastercard 2223 8650 7028 0444. my ign is "
        "KiwiKai, real name Kai Ngata. i'm in auckland",
        (
            ("CREDIT_CARD", "2223 8650 7028 0444"),
            ("PERSON", "KiwiKai"),
            ("PERSON", "Kai Ngata"),
            ("LOCATION", "auckland"),
        ),
        "chat",
    ),
    Labelled(
        "oi, o jogador BRUNO_SANTOS_77 está ameaçando minha filha no chat de voz. Ela tem 13 anos. "
        "Meu nome é Patrícia Santos e moro em Belo Horizonte.",
        (
            ("PERSON", "BRUNO_SANTOS_77"),
            ("PERSON", "Patrícia Santos"),
            ("LOCATION", "Belo Horizonte"),
        ),
        "chat",
    ),
    Labelled(
        "Discord bot crashed, token leaked in "
        "logs:\nclient.run('ZpNAOe1dvfWFX4jxVHs861AQ.w0l05Y.QPV7YYrtTEbI3XqfJ0-mPk_wlLh')\n"
        "owner: Arash (arash.dev on discord)",
        (
            ("API_KEY", "ZpNAOe1dvfWFX4jxVHs861AQ.w0l05Y.QPV7YYrtTEbI3XqfJ0-mPk_wlLh"),
            ("PERSON", "Arash"),
            ("PERSON", "arash.dev"),
        ),
        "code",
    ),
    Labelled(
        "Moderatie: speler 'Sanne' meldt dat 'JeroenDeVries_NL' haar geboortedatum (09-04-2010) en school "
        "heeft gepost. Account gesloten.",
        (
            ("PERSON", "Sanne"),
            ("PERSON", "JeroenDeVries_NL"),
            ("DATE_OF_BIRTH", "09-04-2010"),
        ),
        "ticket",
    ),
    Labelled(
        "Kullanıcı 'hakan.celik' turnuva ödülünü alamadığını söylüyor. Gerçek adı Hakan Çelik, Ankara'da "
        "yaşıyor, "
        "telefonu 0532 123 45 67.",
        (
            ("PERSON", "hakan.celik"),
            ("PERSON", "Hakan Çelik"),
            ("LOCATION", "Ankara"),
            ("PHONE", "0532 123 45 67"),
        ),
        "ticket",
    ),
    Labelled(
        "[anti-cheat] 2026-12-01T19:22:03Z player_id=77120 handle=Mei_Lin_Zhao ip=2001:db8:a0b:12f0::1 "
        "verdict=aimbot confidence=0.97",
        (
            ("PERSON", "Mei_Lin_Zhao"),
            ("IP", "2001:db8:a0b:12f0::1"),
        ),
        "log",
    ),
    # --- airlines ---
    Labelled(
        "PNR X7K2QM\nPAX 1: MS ADEBAYO/FOLASADE\nPAX 2: MSTR ADEBAYO/TOBI\nDOB PAX2: 15JUN2019\n"
        "CTC: +44 20 7946 0958\nFLT LOS-LHR 19DEC",
        (
            ("PERSON", "ADEBAYO/FOLASADE"),
            ("PERSON", "ADEBAYO/TOBI"),
            ("DATE_OF_BIRTH", "15JUN2019"),
            ("PHONE", "+44 20 7946 0958"),
            ("PERSONAL_DATE", "19DEC"),
        ),
        "crm",
    ),
    Labelled(
        "my bag never arrived on last nights flight 🙁 name on booking is Layla Haddad, ref 7QH2LP. "
        "reach me at layla.h@example.com pls",
        (
            ("PERSON", "Layla Haddad"),
            ("EMAIL", "layla.h@example.com"),
        ),
        "chat",
    ),
    Labelled(
        "Sehr geehrte Damen und Herren, mein Flug am 3. Januar 2027 wurde annulliert. Bitte erstatten Sie "
        "den "
        "Betrag auf meine Kreditkarte 4249 2044 4228 7695. Viele Grüße, Katarzyna Nowak-Schulz",
        (
            ("PERSONAL_DATE", "3. Januar 2027"),
            ("CREDIT_CARD", "4249 2044 4228 7695"),
            ("PERSON", "Katarzyna Nowak-Schulz"),
        ),
        "email",
    ),
    Labelled(
        "Wheelchair assistance requested for passenger Mr. Rajesh Kumar Iyer (DOB 02/11/1948), arriving "
        "BLR 21:40 on 14 Dec. Son Arjun will meet him, mobile +91 98450 12345.",
        (
            ("PERSON", "Rajesh Kumar Iyer"),
            ("DATE_OF_BIRTH", "02/11/1948"),
            ("PERSONAL_DATE", "14 Dec"),
            ("PERSON", "Arjun"),
            ("PHONE", "+91 98450 12345"),
        ),
        "ticket",
    ),
    Labelled(
        "Chào anh/chị, tôi đổi chuyến bay ngày 20/12 nhưng bị trừ tiền hai lần vào thẻ 3528 4087 8673 2612. "
        "Tên: Lê Hoàng Nam. Cảm ơn.",
        (
            ("PERSONAL_DATE", "20/12"),
            ("CREDIT_CARD", "3528 4087 8673 2612"),
            ("PERSON", "Lê Hoàng Nam"),
        ),
        "email",
    ),
    Labelled(
        "frequent flyer merge request: accounts FF 88120044 and FF 88120911 both belong to Siosaia Vaipulu "
        "(born 1979-05-30). Member moved from Nukuʻalofa to Auckland.",
        (
            ("PERSON", "Siosaia Vaipulu"),
            ("DATE_OF_BIRTH", "1979-05-30"),
            ("LOCATION", "Nukuʻalofa"),
            ("LOCATION", "Auckland"),
        ),
        "ticket",
    ),
    Labelled(
        "Hola, viajo con mi bebé el 2 de enero a Bogotá. Nombre: Valentina Ocampo. Fecha de nacimiento del "
        "bebé: "
        "12/08/2026, se llama Tomás. ¿Necesita asiento propio?",
        (
            ("PERSONAL_DATE", "2 de enero"),
            ("LOCATION", "Bogotá"),
            ("PERSON", "Valentina Ocampo"),
            ("DATE_OF_BIRTH", "12/08/2026"),
            ("PERSON", "Tomás"),
        ),
        "chat",
    ),
    # --- RAG: PDF / scanned forms ---
    Labelled(
        "--- page 2 of 3 ---\nN a m e :  S v e n    O l s e n\nDate of Birth:\n\n  1962-03-08\nAddress: "
        "Storgata 14, 0155 Oslo\nPhone ........ +47 412 34 567",
        (
            ("PERSON", "S v e n    O l s e n"),
            ("DATE_OF_BIRTH", "1962-03-08"),
            ("ADDRESS", "Storgata 14, 0155 Oslo"),
            ("PHONE", "+47 412 34 567"),
        ),
        "crm",
    ),
    Labelled(
        "Context chunk 3/7 (source: membership_form_scan.pdf):\nNom : BERTRAND\nPrénom(s) : Jean-Luc "
        "Marie\nNé le : 30/01/1957 à Lyon\nCourriel : jl.bertrand@example.org",
        (
            ("PERSON", "BERTRAND"),
            ("PERSON", "Jean-Luc Marie"),
            ("DATE_OF_BIRTH", "30/01/1957"),
            ("LOCATION", "Lyon"),
            ("EMAIL", "jl.bertrand@example.org"),
        ),
        "crm",
    ),
    Labelled(
        "Retrieved passage (tenancy_agreement.pdf, p.1): This agreement is made between the landlord, Mr "
        "Farhad "
        "Karimi, and the tenant, Ms Zainab Hussain, for the property at Flat 3, 22 Carlton Road, Manchester "
        "M16 8BE.",
        (
            ("PERSON", "Farhad Karimi"),
            ("PERSON", "Zainab Hussain"),
            ("ADDRESS", "Flat 3, 22 Carlton Road, Manchester M16 8BE"),
        ),
        "crm",
    ),
    Labelled(
        "OCR output:\nVers icherten-Nr.  A123\nName,Vorname: Krüger,Hannelore\nGeb.- Datum: 07.1 1.1949\n"
        "Straße: Lindenallee 3\nPLZ/Ort: 04109 Leipzig",
        (
            ("PERSON", "Krüger,Hannelore"),
            ("DATE_OF_BIRTH", "07.1 1.1949"),
            ("ADDRESS", "Lindenallee 3"),
            ("ADDRESS", "04109 Leipzig"),
        ),
        "clinical",
    ),
    Labelled(
        "[pdf extract] FORMULARIO DE INSCRIPCIÓN\nApellidos y nombre:\nGUTIÉRREZ LOZANO, María José\n"
        "Domicilio: Calle de Alcalá 210, 3º B, 28028 Madrid\nIBAN: ES80 5004 5918 4948 1047 4020",
        (
            ("PERSON", "GUTIÉRREZ LOZANO, María José"),
            ("ADDRESS", "Calle de Alcalá 210, 3º B, 28028 Madrid"),
            ("IBAN", "ES80 5004 5918 4948 1047 4020"),
        ),
        "crm",
    ),
    Labelled(
        "Scanned W-9 (page 1)\nName (as shown on your income tax return)\nDeShawn  L. Carter-Boyd\nAddress\n"
        "4410 Maple Ridge Dr, Apt 2C\nColumbus, OH 43215\nSocial security number\n987 65 4323",
        (
            ("PERSON", "DeShawn  L. Carter-Boyd"),
            ("ADDRESS", "4410 Maple Ridge Dr, Apt 2C\nColumbus, OH 43215"),
            ("US_SSN", "987 65 4323"),
        ),
        "crm",
    ),
    # --- meeting minutes ---
    Labelled(
        "Minutes – Garage network QBR, 2 Dec 2026\nAttendees: Ingrid Solberg (chair), Tunde Bakare, Mi-rae "
        "Jung, "
        "P. Castellanos\nApologies: Oskar\nAction: Tunde to send supplier list by Friday.",
        (
            ("PERSON", "Ingrid Solberg"),
            ("PERSON", "Tunde Bakare"),
            ("PERSON", "Mi-rae Jung"),
            ("PERSON", "P. Castellanos"),
            ("PERSON", "Oskar"),
            ("PERSON", "Tunde"),
        ),
        "email",
    ),
    Labelled(
        "Acta de la reunión del comité de donantes\nAsistentes: Lucía Márquez, Ernesto Huamán, Sor Juana "
        "Ibarra\n"
        "Punto 3: Ernesto informa que la donante Doña Carmen Aliaga falleció el 15 de noviembre; se enviará "
        "pésame.",
        (
            ("PERSON", "Lucía Márquez"),
            ("PERSON", "Ernesto Huamán"),
            ("PERSON", "Sor Juana Ibarra"),
            ("PERSON", "Ernesto"),
            ("PERSON", "Carmen Aliaga"),
            ("PERSONAL_DATE", "15 de noviembre"),
        ),
        "email",
    ),
    Labelled(
        "Notulen teamoverleg 4 december\nAanwezig: Fleur, Mohammed El Amrani, Wouter\nMohammed meldt dat "
        "klant "
        "mevr. Bakker (Zwolle) een klacht over de factuur heeft ingediend.",
        (
            ("PERSON", "Fleur"),
            ("PERSON", "Mohammed El Amrani"),
            ("PERSON", "Wouter"),
            ("PERSON", "Mohammed"),
            ("PERSON", "mevr. Bakker"),
            ("LOCATION", "Zwolle"),
        ),
        "email",
    ),
    Labelled(
        "Meeting notes (moderation sync)\nPresent: @lena.k, Bogdan, Hiroshi S.\n- Bogdan reviewed the "
        "doxxing "
        "case: the reported user posted +1 555 010 2288 as the victim's number. removed.",
        (
            ("PERSON", "lena.k"),
            ("PERSON", "Bogdan"),
            ("PERSON", "Hiroshi S."),
            ("PHONE", "+1 555 010 2288"),
        ),
        "email",
    ),
    # --- CSV / spreadsheet exports ---
    Labelled(
        "Sheet1 (export)\nName\tPhone\tDOB\nAroha Parata\t027 555 0134\t1990-12-01\n"
        "Nikolai Vasiliev\t+7 916 123-45-67\t1985-04-17",
        (
            ("PERSON", "Aroha Parata"),
            ("PHONE", "027 555 0134"),
            ("DATE_OF_BIRTH", "1990-12-01"),
            ("PERSON", "Nikolai Vasiliev"),
            ("PHONE", "+7 916 123-45-67"),
            ("DATE_OF_BIRTH", "1985-04-17"),
        ),
        "crm",
    ),
    Labelled(
        'guests.csv row 88 failed validation: "Oyelaran, Bisi","bisi.oyelaran@example.com","+234 803 '
        '555 0147",'
        '"checkin=2026-12-20"  -> error: phone format',
        (
            ("PERSON", "Oyelaran, Bisi"),
            ("EMAIL", "bisi.oyelaran@example.com"),
            ("PHONE", "+234 803 555 0147"),
            ("PERSONAL_DATE", "2026-12-20"),
        ),
        "log",
    ),
    Labelled(
        "claims_export.xlsx > Sheet 'Open'\nA2: Kowalski, Piotr | B2: 1976-08-19 | C2: 5558 3194 3094 0717 | "
        "D2: Kraków\nA3: Nilsen, Ragnhild | B3: — | C3: — | D3: Bergen",
        (
            ("PERSON", "Kowalski, Piotr"),
            ("DATE_OF_BIRTH", "1976-08-19"),
            ("CREDIT_CARD", "5558 3194 3094 0717"),
            ("LOCATION", "Kraków"),
            ("PERSON", "Nilsen, Ragnhild"),
            ("LOCATION", "Bergen"),
        ),
        "crm",
    ),
    # --- clinical (occupational health for airline crew, insurance medicals, general) ---
    Labelled(
        "ED triage note: Pt Amadou Diallo, 34M, DOB 1992-02-19, admitted 05/12/2026 after RTC (driver, "
        "seatbelted). "
        "C/o neck pain. NOK: wife Aminata, 07700 900318.",
        (
            ("PERSON", "Amadou Diallo"),
            ("DATE_OF_BIRTH", "1992-02-19"),
            ("PERSONAL_DATE", "05/12/2026"),
            ("PERSON", "Aminata"),
            ("PHONE", "07700 900318"),
        ),
        "clinical",
    ),
    Labelled(
        "Arztbrief: Frau Svetlana Petrović, geb. 12.04.1971, wurde am 28.11.2026 stationär aufgenommen und "
        "am "
        "03.12.2026 entlassen. Wohnhaft in Graz. Diagnose: Commotio cerebri.",
        (
            ("PERSON", "Svetlana Petrović"),
            ("DATE_OF_BIRTH", "12.04.1971"),
            ("PERSONAL_DATE", "28.11.2026"),
            ("PERSONAL_DATE", "03.12.2026"),
            ("LOCATION", "Graz"),
        ),
        "clinical",
    ),
    Labelled(
        "Crew medical (aviation): FO Lindiwe Khumalo, born 9 July 1990, class 1 renewal on 11 Jan 2027. "
        "Audiogram normal. Contact lindiwe.khumalo@example.com",
        (
            ("PERSON", "Lindiwe Khumalo"),
            ("DATE_OF_BIRTH", "9 July 1990"),
            ("PERSONAL_DATE", "11 Jan 2027"),
            ("EMAIL", "lindiwe.khumalo@example.com"),
        ),
        "clinical",
    ),
    Labelled(
        "Consulta 14/12/2026 – Paciente: Joana Martins Ribeiro, 58 anos, natural de Coimbra. Queixa: dor "
        "torácica "
        "atípica. Próxima consulta: 21/12/2026 às 10h.",
        (
            ("PERSONAL_DATE", "14/12/2026"),
            ("PERSON", "Joana Martins Ribeiro"),
            ("LOCATION", "Coimbra"),
            ("PERSONAL_DATE", "21/12/2026 às 10h"),
        ),
        "clinical",
    ),
    Labelled(
        "pt is Ahmad Farouk Nasser (goes by 'Dr. Ahmad' - he's a retired surgeon), dob 3/17/52. "
        "discharged home 12/4 with home health. daughter Rania is the caregiver, cell 555-0163",
        (
            ("PERSON", "Ahmad Farouk Nasser"),
            ("PERSON", "Dr. Ahmad"),
            ("DATE_OF_BIRTH", "3/17/52"),
            ("PERSONAL_DATE", "12/4"),
            ("PERSON", "Rania"),
            ("PHONE", "555-0163"),
        ),
        "clinical",
    ),
    Labelled(
        "Karta pacjenta: Zbigniew Lewandowski, ur. 21.03.1955, zmarł 02.12.2026 o godz. 04:15 na oddziale "
        "kardiologii. Powiadomiono syna (Marek).",
        (
            ("PERSON", "Zbigniew Lewandowski"),
            ("DATE_OF_BIRTH", "21.03.1955"),
            ("PERSONAL_DATE", "02.12.2026 o godz. 04:15"),
            ("PERSON", "Marek"),
        ),
        "clinical",
    ),
    Labelled(
        "Insurance medical exam scheduled: applicant Chen Jiahui, appointment 2026-12-15 09:00 at the "
        "main clinic. Applicant resides in Kowloon. SSN not applicable (HKID on file).",
        (
            ("PERSON", "Chen Jiahui"),
            ("PERSONAL_DATE", "2026-12-15 09:00"),
            ("LOCATION", "Kowloon"),
        ),
        "clinical",
    ),
    Labelled(
        "Visita del 9 dicembre: sig.ra Francesca De Luca, nata il 25/05/1968. Esiti di whiplash dopo "
        "incidente stradale del 20/11. Prognosi 15 giorni. Tel. 06 4455 2211",
        (
            ("PERSONAL_DATE", "9 dicembre"),
            ("PERSON", "Francesca De Luca"),
            ("DATE_OF_BIRTH", "25/05/1968"),
            ("PERSONAL_DATE", "20/11"),
            ("PHONE", "06 4455 2211"),
        ),
        "clinical",
    ),
    Labelled(
        "Patient: Ömer Faruk Aydın, d.t. 04.08.1981. Başvuru tarihi: 30 Kasım 2026. Tanı: sol el bileği "
        "kırığı "
        "(iş kazası, restoran mutfağı). Adres: Bağdat Cad. No:145 D:6, Kadıköy/İstanbul",
        (
            ("PERSON", "Ömer Faruk Aydın"),
            ("DATE_OF_BIRTH", "04.08.1981"),
            ("PERSONAL_DATE", "30 Kasım 2026"),
            ("ADDRESS", "Bağdat Cad. No:145 D:6, Kadıköy/İstanbul"),
        ),
        "clinical",
    ),
    Labelled(
        "SOAP – S: 'Blessing' (pref. name), 29F, seen 07-Dec-2026 for follow-up of gestational diabetes. "
        "Full name Blessing Chukwuemeka-Obi. Lives in Peckham with partner.",
        (
            ("PERSON", "Blessing"),
            ("PERSONAL_DATE", "07-Dec-2026"),
            ("PERSON", "Blessing Chukwuemeka-Obi"),
            ("LOCATION", "Peckham"),
        ),
        "clinical",
    ),
    Labelled(
        "Bệnh nhân Võ Thị Lan, sinh ngày 15/02/1964, nhập viện ngày 01/12/2026, xuất viện ngày 06/12/2026. "
        "Địa chỉ: 27 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh.",
        (
            ("PERSON", "Võ Thị Lan"),
            ("DATE_OF_BIRTH", "15/02/1964"),
            ("PERSONAL_DATE", "01/12/2026"),
            ("PERSONAL_DATE", "06/12/2026"),
            ("ADDRESS", "27 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh"),
        ),
        "clinical",
    ),
    Labelled(
        "Occupational health: chef Timur Abdullaev (kitchen burn) reviewed. Next dressing change "
        "Monday 14 December. Employer: Samarkand Grill, Leeds. Pt lives in Leeds.",
        (
            ("PERSON", "Timur Abdullaev"),
            ("PERSONAL_DATE", "Monday 14 December"),
            ("LOCATION", "Leeds"),
        ),
        "clinical",
    ),
    # --- code ---
    Labelled(
        "# TODO remove before commit!!\nOPENAI_API_KEY = "
        '"sk-proj-LOpJvR2OzKj1X3_R0-kABXhiXchwd0FVNl4vyE0f"\n'
        'TEST_USER = {"name": "Keanu Kahale", "email": "keanu.k@example.com"}',
        (
            ("API_KEY", "sk-proj-LOpJvR2OzKj1X3_R0-kABXhiXchwd0FVNl4vyE0f"),
            ("PERSON", "Keanu Kahale"),
            ("EMAIL", "keanu.k@example.com"),
        ),
        "code",
    ),
    Labelled(
        "SELECT * FROM donors WHERE last_name = 'Mwangi' AND iban = 'NL74INGB9670364606';\n"
        "-- reported by Wairimu: duplicate direct debit this month",
        (
            ("PERSON", "Mwangi"),
            ("IBAN", "NL74INGB9670364606"),
            ("PERSON", "Wairimu"),
        ),
        "code",
    ),
    Labelled(
        "export AWS_ACCESS_KEY_ID=AKIAGHMC4FGJ4747BAUT\nexport "
        "SLACK_BOT_TOKEN=xoxb-015979343371-4366785724898-"
        "pXKGy8JGEduNjPi3ryD0J0FW\n# set up by siddharth.menon on his laptop",
        (
            ("API_KEY", "AKIAGHMC4FGJ4747BAUT"),
            ("API_KEY", "xoxb-015979343371-4366785724898-pXKGy8JGEduNjPi3ryD0J0FW"),
            ("PERSON", "siddharth.menon"),
        ),
        "code",
    ),
    Labelled(
        "const seed = [\n  { id: 1, name: 'Ayşe Demir', phone: '+90 212 555 01 23', born: '1994-10-06' },\n"
        "  { id: 2, name: 'Farida Nurlanovna', phone: '+7 701 555 0199', born: '1989-02-28' },\n];",
        (
            ("PERSON", "Ayşe Demir"),
            ("PHONE", "+90 212 555 01 23"),
            ("DATE_OF_BIRTH", "1994-10-06"),
            ("PERSON", "Farida Nurlanovna"),
            ("PHONE", "+7 701 555 0199"),
            ("DATE_OF_BIRTH", "1989-02-28"),
        ),
        "code",
    ),
    Labelled(
        'git log --author: "Rangi Walker <rangi.walker@example.net>" fix: mask card 6241 6131 8465 2370 '
        "581 "
        "in unionpay test fixture (oops)",
        (
            ("PERSON", "Rangi Walker"),
            ("EMAIL", "rangi.walker@example.net"),
            ("CREDIT_CARD", "6241 6131 8465 2370 581"),
        ),
        "code",
    ),
    Labelled(
        "curl -H 'Authorization: token ghp_lLaVcUiShjNIpkDFkTtQz1ycRnOZQe5szjEo' "
        "https://api.github.example/repos/acme/kyc  # Nils' token, rotate it",
        (
            ("API_KEY", "ghp_lLaVcUiShjNIpkDFkTtQz1ycRnOZQe5szjEo"),
            ("PERSON", "Nils"),
        ),
        "code",
    ),
    Labelled(
        'ssn_samples = ["987-65-4324", "987-65-4325"]  # real ones from the Okonkwo household intake, '
        "Adaeze said it's fine for staging",
        (
            ("US_SSN", "987-65-4324"),
            ("US_SSN", "987-65-4325"),
            ("PERSON", "Okonkwo"),
            ("PERSON", "Adaeze"),
        ),
        "code",
    ),
    Labelled(
        "mailer:\n  provider: sendgrid\n  api_key: "
        "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\n"
        '  from: "Rosa Jiménez <rosa@example.org>"',
        (
            ("API_KEY", "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"),
            ("PERSON", "Rosa Jiménez"),
            ("EMAIL", "rosa@example.org"),
        ),
        "code",
    ),
    Labelled(
        'func TestRefund(t *testing.T) {\n\tacct := Account{Owner: "Sofía Benítez", IBAN: "IT16 X257 1466 '
        "7992 "
        '2213 7816 309"}\n\tif err := refund(acct, 4200); err != nil { t.Fatal(err) }\n}',
        (
            ("PERSON", "Sofía Benítez"),
            ("IBAN", "IT16 X257 1466 7992 2213 7816 309"),
        ),
        "code",
    ),
    # --- more support traffic, many languages ---
    Labelled(
        "Halo kak, saya Putri Wulandari, kartu kredit saya 4004 3198 6393 1921 kena charge dobel di restoran "
        "kemarin. Saya tinggal di Surabaya. WA saya 0812-3456-7890 ya",
        (
            ("PERSON", "Putri Wulandari"),
            ("CREDIT_CARD", "4004 3198 6393 1921"),
            ("LOCATION", "Surabaya"),
            ("PHONE", "0812-3456-7890"),
        ),
        "chat",
    ),
    Labelled(
        "Selamat pagi, atas nama Bapak Made Suarjana, lahir 17 Agustus 1975, ingin klaim asuransi mobil. "
        "Alamat: Jl. Raya Kuta No. 88, Badung, Bali.",
        (
            ("PERSON", "Made Suarjana"),
            ("DATE_OF_BIRTH", "17 Agustus 1975"),
            ("ADDRESS", "Jl. Raya Kuta No. 88, Badung, Bali"),
        ),
        "email",
    ),
    Labelled(
        "Hej, kan ni skicka återbetalningen till SE28 8427 4763 6641 8304 1057? Det gäller bokningen i "
        "namnet "
        "Oskar Lindgren. Mvh Oskar, 070-123 45 67",
        (
            ("IBAN", "SE28 8427 4763 6641 8304 1057"),
            ("PERSON", "Oskar Lindgren"),
            ("PERSON", "Oskar"),
            ("PHONE", "070-123 45 67"),
        ),
        "email",
    ),
    Labelled(
        "Bonjour,\nSuite à notre échange, je vous confirme mon IBAN belge : BE95 9518 7881 6804.\n"
        "Cordialement,\nMathilde Dubois-Vandamme\nAvenue Louise 231, 1050 Bruxelles",
        (
            ("IBAN", "BE95 9518 7881 6804"),
            ("PERSON", "Mathilde Dubois-Vandamme"),
            ("ADDRESS", "Avenue Louise 231, 1050 Bruxelles"),
        ),
        "email",
    ),
    Labelled(
        "Grüezi, ich bin Reto Zürcher und möchte meine Spende künftig von CH35 5329 6921 1530 2469 7 "
        "abbuchen lassen. Ich wohne neu in Winterthur.",
        (
            ("PERSON", "Reto Zürcher"),
            ("IBAN", "CH35 5329 6921 1530 2469 7"),
            ("LOCATION", "Winterthur"),
        ),
        "email",
    ),
    Labelled(
        'payout_failed iban=AT296368169052501565 beneficiary="Wolfgang Hofer" reason=account_closed '
        "requested_from=203.0.113.9",
        (
            ("IBAN", "AT296368169052501565"),
            ("PERSON", "Wolfgang Hofer"),
            ("IP", "203.0.113.9"),
        ),
        "log",
    ),
    Labelled(
        "Sveiki, esu Rūta Kazlauskienė. Mano sąskaita LT75 5256 6061 7952 7829, prašau grąžinti pinigus už "
        "atšauktą skrydį. Gyvenu Vilniuje.",
        (
            ("PERSON", "Rūta Kazlauskienė"),
            ("IBAN", "LT75 5256 6061 7952 7829"),
            ("LOCATION", "Vilniuje"),
        ),
        "email",
    ),
    Labelled(
        "Tenant screening: applicant Brittany Nguyen-Hall, SSN 987-65-4326, DOB 08/23/1996, current address "
        "1187 Sycamore Ln, Austin, TX 78704. Credit card on file: 3635 3271 7849 52 (Diners).",
        (
            ("PERSON", "Brittany Nguyen-Hall"),
            ("US_SSN", "987-65-4326"),
            ("DATE_OF_BIRTH", "08/23/1996"),
            ("ADDRESS", "1187 Sycamore Ln, Austin, TX 78704"),
            ("CREDIT_CARD", "3635 3271 7849 52"),
        ),
        "crm",
    ),
    Labelled(
        "hey its jamal again lol, the payroll app still shows my ssn as 987654327 which isnt even mine?? "
        "mine ends in 4328 (full 987-65-4328). pls fix",
        (
            ("PERSON", "jamal"),
            ("US_SSN", "987654327"),
            ("US_SSN", "987-65-4328"),
        ),
        "chat",
    ),
    Labelled(
        'W-4 upload parsed: employee="Consuelo Ramírez" ssn="987 65 4320" hire_date=2026-11-16 '
        "store=Denver #12 upload_ip=198.51.100.77",
        (
            ("PERSON", "Consuelo Ramírez"),
            ("US_SSN", "987 65 4320"),
            ("PERSONAL_DATE", "2026-11-16"),
            ("IP", "198.51.100.77"),
        ),
        "log",
    ),
    Labelled(
        "Charity gala RSVP: Dr. Nomvula Sithole + guest, table 7. Dietary: halal. Confirmation sent to "
        "nomvula.s@example.org. She's flying in from Johannesburg.",
        (
            ("PERSON", "Nomvula Sithole"),
            ("EMAIL", "nomvula.s@example.org"),
            ("LOCATION", "Johannesburg"),
        ),
        "crm",
    ),
    Labelled(
        "login anomaly: user=anastasia.volkova@example.com new device, ip=2001:db8:ffff:1::abcd, "
        "geo=Novosibirsk (user's profile says she lives in Riga)",
        (
            ("EMAIL", "anastasia.volkova@example.com"),
            ("IP", "2001:db8:ffff:1::abcd"),
            ("LOCATION", "Novosibirsk"),
            ("LOCATION", "Riga"),
        ),
        "log",
    ),
    Labelled(
        "Ticket #40211 – Stripe restricted key exposed\nReporter: Ji-hoon Park\nThe key "
        "rk_live_emFkwJASsDV1pavGbongvIpY "
        "was pasted in the public Discord by a volunteer. Please revoke.",
        (
            ("PERSON", "Ji-hoon Park"),
            ("API_KEY", "rk_live_emFkwJASsDV1pavGbongvIpY"),
        ),
        "ticket",
    ),
    Labelled(
        "HF_TOKEN=hf_QVRwY4gRrPNBLstD9MigFx5QDfplsuN6nV python train_moderation.py --owner ilse.jansen",
        (
            ("API_KEY", "hf_QVRwY4gRrPNBLstD9MigFx5QDfplsuN6nV"),
            ("PERSON", "ilse.jansen"),
        ),
        "code",
    ),
    Labelled(
        "2026-12-04 11:02:17 ERROR gitlab-runner: auth failed with token glpat-IGG6LNG7O4eo5wSGbfSZ "
        "(owner: bogdan.ionescu) from 192.0.2.201",
        (
            ("API_KEY", "glpat-IGG6LNG7O4eo5wSGbfSZ"),
            ("PERSON", "bogdan.ionescu"),
            ("IP", "192.0.2.201"),
        ),
        "log",
    ),
    Labelled(
        "Olá Equipe,\n\nSegue o token da Shopify que pediram: 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\n"
        "Qualquer coisa me liguem: (11) 98765-4321\n\nAbs,\nFernanda Lima",
        (
            ("API_KEY", "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"),
            ("PHONE", "(11) 98765-4321"),
            ("PERSON", "Fernanda Lima"),
        ),
        "email",
    ),
    Labelled(
        "Ciao, sono Lorenzo (lorenzo.gallo@example.com). Vi scrivo perché il bot del server Discord ha "
        "pubblicato il mio numero 345 678 1122 nel canale #annunci. Rimuovetelo per favore.",
        (
            ("PERSON", "Lorenzo"),
            ("EMAIL", "lorenzo.gallo@example.com"),
            ("PHONE", "345 678 1122"),
        ),
        "ticket",
    ),
    Labelled(
        "Kundnotering: Astrid Berg ringde 3/12 om sin hotellbokning, födelsedatum 1958-06-21. "
        "Vill ha faktura till Kungsgatan 12, 111 43 Stockholm.",
        (
            ("PERSON", "Astrid Berg"),
            ("PERSONAL_DATE", "3/12"),
            ("DATE_OF_BIRTH", "1958-06-21"),
            ("ADDRESS", "Kungsgatan 12, 111 43 Stockholm"),
        ),
        "crm",
    ),
    Labelled(
        "ANTHROPIC_API_KEY=sk-ant-api03-YA1weu6FT_9gC2OD-Yz8-_0LlvGD_t-yhB0LhruJResbDqeX\n"
        "# prompt test: 'Summarise the complaint from Mrs Goldberg about room 218'",
        (
            ("API_KEY", "sk-ant-api03-YA1weu6FT_9gC2OD-Yz8-_0LlvGD_t-yhB0LhruJResbDqeX"),
            ("PERSON", "Mrs Goldberg"),
        ),
        "code",
    ),
    Labelled(
        "kyc_webhook verify signature failed; secret whsec_bsrqmOguxv9HbIWmmDW1uC08PwesKs0J, payload "
        "applicant_name=Farzana Rahman dob=1999/01/13",
        (
            ("API_KEY", "whsec_bsrqmOguxv9HbIWmmDW1uC08PwesKs0J"),
            ("PERSON", "Farzana Rahman"),
            ("DATE_OF_BIRTH", "1999/01/13"),
        ),
        "log",
    ),
    Labelled(
        "Hi team, lost-and-found: a wallet was handed in at gate B12 with a Maestro card 6759 1602 9215 9714 "
        "and an ID for Chloé Marchetti, born 02.02.2001. Passenger called from +33 6 12 34 56 78.",
        (
            ("CREDIT_CARD", "6759 1602 9215 9714"),
            ("PERSON", "Chloé Marchetti"),
            ("DATE_OF_BIRTH", "02.02.2001"),
            ("PHONE", "+33 6 12 34 56 78"),
        ),
        "ticket",
    ),
    Labelled(
        "amex dispute: cardholder Tariq Mahmood, card 3447 258474 34138, disputes hotel no-show fee for "
        "night of 29 Nov. He says he cancelled by phone on 27 Nov.",
        (
            ("PERSON", "Tariq Mahmood"),
            ("CREDIT_CARD", "3447 258474 34138"),
            ("PERSONAL_DATE", "29 Nov"),
            ("PERSONAL_DATE", "27 Nov"),
        ),
        "ticket",
    ),
    Labelled(
        "dear support, my name is Gulnara, i from Bishkek, i send money to my brother Azamat but "
        "transfer stuck 3 days. my email gulnara.t@example.net",
        (
            ("PERSON", "Gulnara"),
            ("LOCATION", "Bishkek"),
            ("PERSON", "Azamat"),
            ("EMAIL", "gulnara.t@example.net"),
        ),
        "chat",
    ),
    Labelled(
        "Ticket: moderation appeal from user 'Rose' (display name, real name Rose Makena Otieno). "
        "Banned for sharing phone numbers; she says +254 722 000 111 is her own business line.",
        (
            ("PERSON", "Rose"),
            ("PERSON", "Rose Makena Otieno"),
            ("PHONE", "+254 722 000 111"),
        ),
        "ticket",
    ),
    Labelled(
        "INFO api.request method=POST path=/v1/donations donor_email=sebastian.kraus@example.com "
        'remote_addr=203.0.113.250 user_agent="Mozilla/5.0" status=201',
        (
            ("EMAIL", "sebastian.kraus@example.com"),
            ("IP", "203.0.113.250"),
        ),
        "log",
    ),
    Labelled(
        "DO_TOKEN=dop_v1_89312a31d9a398ebc5ab05618f6e38db84e888445e1fe28e29bcb5f219cdf691\n"
        "# droplet for Hamid's garage booking demo, delete after 15 Jan",
        (
            ("API_KEY", "dop_v1_89312a31d9a398ebc5ab05618f6e38db84e888445e1fe28e29bcb5f219cdf691"),
            ("PERSON", "Hamid"),
        ),
        "code",
    ),
    Labelled(
        "Bonjour, c'est Awa Traoré. J'ai perdu mon vol AF718 le 4 décembre à cause du retard. "
        "J'habite à Montreuil. Mon numéro : 07 81 22 34 56.",
        (
            ("PERSON", "Awa Traoré"),
            ("PERSONAL_DATE", "4 décembre"),
            ("LOCATION", "Montreuil"),
            ("PHONE", "07 81 22 34 56"),
        ),
        "chat",
    ),
    Labelled(
        "Notatka CRM: Pan Krzysztof Zieliński zgłosił szkodę parkingową 01.12.2026. Adres do korespondencji: "
        "ul. Marszałkowska 84/92 m. 15, 00-514 Warszawa. E-mail: k.zielinski@example.com",
        (
            ("PERSON", "Krzysztof Zieliński"),
            ("PERSONAL_DATE", "01.12.2026"),
            ("ADDRESS", "ul. Marszałkowska 84/92 m. 15, 00-514 Warszawa"),
            ("EMAIL", "k.zielinski@example.com"),
        ),
        "crm",
    ),
    Labelled(
        "Guten Morgen, hier ist Mehmet Öztürk vom Autohaus. Ihr Wagen ist fertig, Sie können ihn ab "
        "Mittwoch, "
        "9. Dezember abholen. Rückfragen gern an mehmet@example.com.",
        (
            ("PERSON", "Mehmet Öztürk"),
            ("PERSONAL_DATE", "Mittwoch, 9. Dezember"),
            ("EMAIL", "mehmet@example.com"),
        ),
        "email",
    ),
    Labelled(
        "@Wei Chen (CN support) the customer Liang Xiaoyu in Chengdu needs her refund on UnionPay, "
        "call 138 0013 8000 after 6pm Beijing time",
        (
            ("PERSON", "Wei Chen"),
            ("PERSON", "Liang Xiaoyu"),
            ("LOCATION", "Chengdu"),
            ("PHONE", "138 0013 8000"),
        ),
        "chat",
    ),
)

CLEAN_TEXTS: tuple[Labelled, ...] = (
    Labelled(
        "How long does KYC tier 2 verification usually take for customers in Nigeria and Kenya? "
        "Our onboarding funnel drops 30% at the selfie step.",
        (),
        "chat",
    ),
    Labelled(
        "Release 4.12.0 of the Garage Connect app ships on 15 January 2027: new claim photo uploader, "
        "fixed crash on Android 14 when the VIN scanner opens.",
        (),
        "ticket",
    ),
    Labelled(
        '{"ts":"2026-12-06T10:00:01Z","svc":"payout-batch","level":"INFO","msg":"batch complete",'
        '"batch_id":"po_7f3a9c","count":1842,"failed":3,"duration_ms":48211}',
        (),
        "log",
    ),
    Labelled(
        "Welche Unterlagen braucht man in Österreich für eine Kfz-Schadenmeldung? Gilt das auch für "
        "Leasingfahrzeuge aus Deutschland?",
        (),
        "chat",
    ),
    Labelled(
        "Ticket HOT-20931: Booking widget shows 'Check-in' and 'Check-out' labels swapped on the Italian "
        "locale "
        "(it-IT). Affects Hotel Bellavista and Palazzo Verde properties.",
        (),
        "ticket",
    ),
    Labelled(
        "SELECT donor_segment, COUNT(*) AS n, SUM(amount_eur) FROM donations WHERE campaign = 'WINTER-2026' "
        "GROUP BY donor_segment ORDER BY n DESC;",
        (),
        "code",
    ),
    Labelled(
        "Meeting minutes – Platform guild, 3 Dec\nAttendees: Payments team, Risk team, SRE on-call\n"
        "Decision: migrate the ledger to Postgres 17 before the Q1 freeze.",
        (),
        "email",
    ),
    Labelled(
        "Hola equipo, ¿qué aerolíneas permiten mascotas en cabina en vuelos de Madrid a Buenos Aires? "
        "Es para un artículo del blog de viajes.",
        (),
        "chat",
    ),
    Labelled(
        "2026-12-05 03:14:07 WARN ratelimit: bucket=kyc-ocr tokens=0 refill_in=12s route=/v2/documents/scan "
        "upstream=ocr-eu-west-1",
        (),
        "log",
    ),
    Labelled(
        'class ClaimStatus(str, Enum):\n    OPEN = "open"\n    ASSESSOR_ASSIGNED = "assessor_assigned"\n'
        '    TOTAL_LOSS = "total_loss"\n    SETTLED = "settled"',
        (),
        "code",
    ),
    Labelled(
        "Discord server rules update: no doxxing, no sharing other people's phone numbers or addresses, "
        "no selling accounts. Moderators: see #mod-handbook.",
        (),
        "ticket",
    ),
    Labelled(
        "Patient information leaflet: Ibuprofen 400 mg. Take one tablet up to three times daily after meals. "
        "Do not exceed 1200 mg in 24 hours without medical advice.",
        (),
        "clinical",
    ),
    Labelled(
        "Bonjour, est-ce que vos restaurants à Lyon et à Bordeaux proposent un menu végétarien le dimanche "
        "midi ?",
        (),
        "chat",
    ),
    Labelled(
        "Flight LH 2231 MUC-WAW delayed 45 min due to de-icing. Gate changed from G24 to G31. "
        "Connection LO 3917 protected.",
        (),
        "log",
    ),
    Labelled(
        "Order #100234-77 shipped via DHL Express, tracking 7731 9902 41. Estimated delivery 10–12 December.",
        (),
        "ticket",
    ),
    Labelled(
        "Onze stichting Warm Welkom ontvangt graag donaties via de website. Voor bedrijven: neem contact op "
        "met de afdeling Partnerschappen.",
        (),
        "email",
    ),
    Labelled(
        "Sprint 48 retro: Mobile squad finished the Apple Pay flow; Fraud squad blocked by the Visa 3DS2 "
        "certification; Growth squad shipped the referral banner.",
        (),
        "email",
    ),
    Labelled(
        "Protocol: triage category 2 (very urgent) patients must be seen within 10 minutes. Escalate to the "
        "duty consultant if the ward is at 95% capacity.",
        (),
        "clinical",
    ),
    Labelled(
        "def luhn_check(number: str) -> bool:\n    digits = [int(d) for d in number if d.isdigit()]\n"
        "    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])\n"
        "    return checksum % 10 == 0",
        (),
        "code",
    ),
    Labelled(
        "Merhaba, İstanbul Havalimanı'ndan Antalya'ya aktarmalı uçuşlarda bagaj otomatik aktarılıyor mu?",
        (),
        "chat",
    ),
    Labelled(
        "csv header: customer_id,first_name,last_name,email,phone,date_of_birth,iban,created_at\n"
        "(0 rows exported – filter 'segment = VIP_TEST' matched nothing)",
        (),
        "crm",
    ),
    Labelled(
        "Garage partner list Q4: AutoFix Leeds, Brentford Motors, Carrozzeria Milano Sud, Taller Hermanos "
        "Ruiz Sevilla. All four passed the annual audit.",
        (),
        "crm",
    ),
    Labelled(
        "nginx: 2026/12/06 04:00:12 [error] 2211#2211: *48812 upstream timed out (110: Connection timed out) "
        'while reading response header from upstream, upstream: "http://unix:/run/app.sock"',
        (),
        "log",
    ),
    Labelled(
        "Chào bạn, nhà hàng có mở cửa vào đêm Giáng Sinh không? Menu có món chay không ạ?",
        (),
        "chat",
    ),
    Labelled(
        "IBAN format reference: German IBANs have 22 characters, French 27, Polish 28. The check digits are "
        "positions 3–4 and are validated with mod-97.",
        (),
        "ticket",
    ),
    Labelled(
        "Policy doc v3.2 – Car insurance excess: €250 for glass, €500 for collision, €0 for roadside "
        "assistance. "
        "Valid from 1 March 2027.",
        (),
        "crm",
    ),
    Labelled(
        "[PDF extract] ANNUAL REPORT 2025\nFoundation for Rural Schools\nTotal income: 4.2 m EUR\n"
        "Programme spend: 87 %\nRegistered charity no. 1204455",
        (),
        "crm",
    ),
    Labelled(
        "Form template (blank):\nName: ____________\nGeb.-Datum: __.__.____\nAnschrift: ____________\n"
        "Unterschrift: ____________",
        (),
        "crm",
    ),
    Labelled(
        "Qual é o prazo para estorno no cartão de crédito quando a reserva do hotel é cancelada com 48 horas "
        "de antecedência?",
        (),
        "chat",
    ),
    Labelled(
        "ERROR kyc.provider: HTTP 503 from provider 'VeriDoc' after 3 retries (request_id=req_9a8b7c6d), "
        "falling back to manual review queue 'kyc-manual-eu'",
        (),
        "log",
    ),
    Labelled(
        "Moderation stats November: 1,204 reports, 311 bans, 88 appeals (27 upheld). Most reported channel: "
        "#trading. Bot 'Guardian' auto-removed 4,512 spam messages.",
        (),
        "ticket",
    ),
    Labelled(
        "export const ROUTES = {\n  claims: '/claims/:claimId',\n  garages: '/garages/:garageId/slots',\n"
        "  donors: '/donors/:donorId/receipts',\n};",
        (),
        "code",
    ),
    Labelled(
        "Referral guideline: refer to cardiology if resting heart rate > 120 bpm or QTc > 500 ms. "
        "Ward 7B (Cardiology) accepts direct admissions Mon–Fri.",
        (),
        "clinical",
    ),
    Labelled(
        "Czy wasza aplikacja działa w Polsce i w Czechach? Szukam giełdy kryptowalut z polskim interfejsem.",
        (),
        "chat",
    ),
    Labelled(
        "Hej! Vilka hotell i Stockholm har laddstolpar för elbil? Vi planerar en konferens i maj.",
        (),
        "email",
    ),
    Labelled(
        "Subject: Scheduled maintenance 12 Dec 01:00–03:00 UTC\n\nHi all, the payments API will be read-only "
        "during the window. Status page: status page → Payments.\n\n– Platform Operations",
        (),
        "email",
    ),
    Labelled(
        "Dosage table (paediatric paracetamol): 3–6 months 60 mg, 6–24 months 120 mg, 2–4 years 180 mg. "
        "Max 4 doses in 24 hours.",
        (),
        "clinical",
    ),
    Labelled(
        "Apa saja syarat verifikasi akun untuk warga negara asing di Indonesia? Apakah KITAS cukup?",
        (),
        "chat",
    ),
    Labelled(
        'git commit -m "fix(airline): handle PNR with infant segment (INF) and SSR WCHR codes" '
        "-- closes #8812, see ADR-0042",
        (),
        "code",
    ),
    Labelled(
        "Restaurant 'La Casa de Rosa' opening hours: Tue–Sun 12:00–23:00, closed Mondays. Private dining "
        "room "
        "seats 18. Ask for the Christmas menu.",
        (),
        "crm",
    ),
    Labelled(
        "Clinic rota template week 50: Room 1 GP clinic, Room 2 nurse clinic, Room 3 phlebotomy, Room 4 "
        "vacant. "
        "Flu clinic on Saturday morning.",
        (),
        "clinical",
    ),
    Labelled(
        "WARN sandbox: test card 'generic-decline' used, amount=1999 currency=EUR "
        "merchant=Garage_Connect_Demo "
        "outcome=declined",
        (),
        "log",
    ),
    Labelled(
        "Ticket GAR-5512: Booking calendar lets users pick 31 November. Repro: open /garages/8841/slots, "
        "switch to month view, click Nov 31.",
        (),
        "ticket",
    ),
    Labelled(
        "Spendenbescheinigung: Vorlage 2026 aktualisiert. Neuer Freibetrag und neues Logo des Vereins "
        "Tafel Nord e.V. – bitte ab Januar verwenden.",
        (),
        "email",
    ),
    Labelled(
        "Visa, Mastercard, American Express and UnionPay are accepted at all our hotels in Singapore, "
        "Kuala Lumpur and Jakarta. JCB only in Singapore.",
        (),
        "crm",
    ),
    Labelled(
        "Case study: how Rosa Hotels reduced chargebacks by 40% with 3-D Secure. Webinar on 20 January 2027, "
        "hosted by the Payments Academy.",
        (),
        "email",
    ),
    Labelled(
        "Discharge checklist (template): medication reconciliation done, follow-up booked, GP letter sent, "
        "transport arranged. Tick each box before the patient leaves.",
        (),
        "clinical",
    ),
)

NAME_ORIGINS: dict[str, str] = {
    "Chinedu Okafor-Bello": "west_african",
    "Nguyen Thi Thu Ha": "southeast_asian",
    "Thiago Albuquerque": "latin_american",
    "Aigerim Bekova": "central_asian",
    "Jörg Weißmüller": "germanic",
    "Marcus T. Whitfield": "anglo",
    "Dolores": "latin_american",
    "Quispe Mamani": "latin_american",
    "satoshi_fan_reza": "persian",
    "Reza Tehrani": "persian",
    "Agnieszka Wróblewska": "slavic",
    "Fatima Al-Zahrani": "arabic",
    "Emre Yıldırım": "turkish",
    "MBEKI-DLAMINI": "southern_african",
    "THANDIWE GRACE": "southern_african",
    "Trần Quốc Bảo": "southeast_asian",
    "PRIYA RAMANATHAN": "south_asian",
    "Kofi Asante": "west_african",
    "Lukas   Brandstätter": "germanic",
    "Giulia Esposito": "southern_european",
    "hemi te rangi": "pacific",
    "Rodrigo Pérez Villanueva": "latin_american",
    "Mariela Soto": "latin_american",
    "Björn Lindqvist": "nordic",
    "Saga Nyström": "nordic",
    "Lefèvre": "southern_european",
    "Anne-Sophie": "southern_european",
    "Oluwaseun": "west_african",
    "Seun": "west_african",
    "Mr. Hassan": "arabic",
    "Daan van der Berg": "germanic",
    "Sione Taufa": "pacific",
    "Yuki Tanaka": "east_asian",
    "Abdullahi Warsame": "east_african",
    "Camila Fernández Rojas": "latin_american",
    "Kemal": "turkish",
    "ANGUS MACLEOD": "anglo",
    "Nadia Benali": "arabic",
    "Bongani": "southern_african",
    "Pieter": "southern_african",
    "Schneider": "germanic",
    "Ingrid": "germanic",
    "Pham Minh Khoa": "southeast_asian",
    "Rossi": "southern_european",
    "Matteo": "southern_european",
    "Margaret O'Sullivan": "anglo",
    "Mr. Adeyemi": "west_african",
    "Helen Kowalczyk": "slavic",
    "Luiza Carvalho": "latin_american",
    "Joaquim Barros": "latin_american",
    "Ana Lupe Fifita": "pacific",
    "Elin Håkansson": "nordic",
    "Elin": "nordic",
    "Harold Bixby": "anglo",
    "Wanjiru Kamau": "east_african",
    "xX_Dmitri_Xx#4412": "slavic",
    "kasia.gamer": "slavic",
    "tomas_novak_cz": "slavic",
    "TomNov": "slavic",
    "KiwiKai": "pacific",
    "Kai Ngata": "pacific",
    "BRUNO_SANTOS_77": "latin_american",
    "Patrícia Santos": "latin_american",
    "Arash": "persian",
    "arash.dev": "persian",
    "Sanne": "germanic",
    "JeroenDeVries_NL": "germanic",
    "hakan.celik": "turkish",
    "Hakan Çelik": "turkish",
    "Mei_Lin_Zhao": "east_asian",
    "ADEBAYO/FOLASADE": "west_african",
    "ADEBAYO/TOBI": "west_african",
    "Layla Haddad": "arabic",
    "Katarzyna Nowak-Schulz": "slavic",
    "Rajesh Kumar Iyer": "south_asian",
    "Arjun": "south_asian",
    "Lê Hoàng Nam": "southeast_asian",
    "Siosaia Vaipulu": "pacific",
    "Valentina Ocampo": "latin_american",
    "Tomás": "latin_american",
    "S v e n    O l s e n": "nordic",
    "BERTRAND": "southern_european",
    "Jean-Luc Marie": "southern_european",
    "Farhad Karimi": "persian",
    "Zainab Hussain": "south_asian",
    "Krüger,Hannelore": "germanic",
    "GUTIÉRREZ LOZANO, María José": "southern_european",
    "DeShawn  L. Carter-Boyd": "anglo",
    "Ingrid Solberg": "nordic",
    "Tunde Bakare": "west_african",
    "Mi-rae Jung": "east_asian",
    "P. Castellanos": "latin_american",
    "Oskar": "nordic",
    "Tunde": "west_african",
    "Lucía Márquez": "latin_american",
    "Ernesto Huamán": "latin_american",
    "Sor Juana Ibarra": "latin_american",
    "Ernesto": "latin_american",
    "Carmen Aliaga": "latin_american",
    "Fleur": "germanic",
    "Mohammed El Amrani": "arabic",
    "Wouter": "germanic",
    "Mohammed": "arabic",
    "mevr. Bakker": "germanic",
    "lena.k": "germanic",
    "Bogdan": "slavic",
    "Hiroshi S.": "east_asian",
    "Aroha Parata": "pacific",
    "Nikolai Vasiliev": "slavic",
    "Oyelaran, Bisi": "west_african",
    "Kowalski, Piotr": "slavic",
    "Nilsen, Ragnhild": "nordic",
    "Amadou Diallo": "west_african",
    "Aminata": "west_african",
    "Svetlana Petrović": "slavic",
    "Lindiwe Khumalo": "southern_african",
    "Joana Martins Ribeiro": "southern_european",
    "Ahmad Farouk Nasser": "arabic",
    "Dr. Ahmad": "arabic",
    "Rania": "arabic",
    "Zbigniew Lewandowski": "slavic",
    "Marek": "slavic",
    "Chen Jiahui": "east_asian",
    "Francesca De Luca": "southern_european",
    "Ömer Faruk Aydın": "turkish",
    "Blessing": "west_african",
    "Blessing Chukwuemeka-Obi": "west_african",
    "Võ Thị Lan": "southeast_asian",
    "Timur Abdullaev": "central_asian",
    "Keanu Kahale": "pacific",
    "Mwangi": "east_african",
    "Wairimu": "east_african",
    "siddharth.menon": "south_asian",
    "Ayşe Demir": "turkish",
    "Farida Nurlanovna": "central_asian",
    "Rangi Walker": "pacific",
    "Nils": "nordic",
    "Okonkwo": "west_african",
    "Adaeze": "west_african",
    "Rosa Jiménez": "latin_american",
    "Sofía Benítez": "latin_american",
    "Putri Wulandari": "southeast_asian",
    "Made Suarjana": "southeast_asian",
    "Oskar Lindgren": "nordic",
    "Mathilde Dubois-Vandamme": "southern_european",
    "Reto Zürcher": "germanic",
    "Wolfgang Hofer": "germanic",
    "Rūta Kazlauskienė": "baltic",
    "Brittany Nguyen-Hall": "anglo",
    "jamal": "anglo",
    "Consuelo Ramírez": "latin_american",
    "Nomvula Sithole": "southern_african",
    "Ji-hoon Park": "east_asian",
    "ilse.jansen": "germanic",
    "bogdan.ionescu": "romanian",
    "Fernanda Lima": "latin_american",
    "Lorenzo": "southern_european",
    "Astrid Berg": "nordic",
    "Mrs Goldberg": "jewish",
    "Farzana Rahman": "south_asian",
    "Chloé Marchetti": "southern_european",
    "Tariq Mahmood": "south_asian",
    "Gulnara": "central_asian",
    "Azamat": "central_asian",
    "Rose": "east_african",
    "Rose Makena Otieno": "east_african",
    "Hamid": "arabic",
    "Awa Traoré": "west_african",
    "Krzysztof Zieliński": "slavic",
    "Mehmet Öztürk": "turkish",
    "Wei Chen": "east_asian",
    "Liang Xiaoyu": "east_asian",
}
