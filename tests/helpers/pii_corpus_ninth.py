"""A ninth labelled PII corpus, written blind for issue 17.

Written in December 2026 by a ninth author who never read the recognizers, the benchmarks or the other
corpora (only the ``Labelled`` dataclass and the corpus checks). Every value is invented: e-mails on
reserved domains, cards Luhn-valid, IBANs mod-97 valid, SSNs 987-65-432x, IPs in documentation ranges,
credentials random in provider formats. It leans toward healthcare and insurance claims, travel and
hotel bookings, e-commerce returns, developer tooling (CI logs, git, Kubernetes events, SQL, .env files)
and chats typed on phones (lower case, abbreviations, emoji), in twelve languages. ``CLEAN_TEXTS`` hold
no personal data but tempt false alarms: products, companies, wards, places in general questions,
releases and deadlines, identifiers and log lines without people. A comment names each text's language.
"""

# ruff: noqa: RUF001  (Turkish dotless i and typographic dashes are part of the texts)

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # English
    Labelled(
        (
            "hi its kwame asante, booked the harbour view room for 14/03 but ur app charged my "
            "card 4309 1129 6199 1240 twice 😩 pls call me back on +233 24 412 7788"
        ),
        (
            ("PERSON", "kwame asante"),
            ("PERSONAL_DATE", "14/03"),
            ("CREDIT_CARD", "4309 1129 6199 1240"),
            ("PHONE", "+233 24 412 7788"),
        ),
        "chat",
    ),
    # Portuguese
    Labelled(
        (
            "oi, sou a thaís barbosa, quero devolver o tênis tam 38 do pedido #88213, veio errado "
            "kkk. meu whats é (11) 98765-4321 e moro na Rua Harmonia 412, ap 31, Vila Madalena, "
            "São Paulo - SP, 05435-000"
        ),
        (
            ("PERSON", "thaís barbosa"),
            ("PHONE", "(11) 98765-4321"),
            ("ADDRESS", "Rua Harmonia 412, ap 31, Vila Madalena, São Paulo - SP, 05435-000"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "yo its jules 👋 can u move my dentist appt from tue 3rd to fri 6th? same time 9:40. "
            "thx!! my dob is 02/11/1994 if u need it"
        ),
        (
            ("PERSON", "jules"),
            ("PERSONAL_DATE", "tue 3rd"),
            ("PERSONAL_DATE", "fri 6th"),
            ("DATE_OF_BIRTH", "02/11/1994"),
        ),
        "chat",
    ),
    # Spanish
    Labelled(
        (
            "hola!! soy camila restrepo, no me llegó el reembolso de la devolución 🙄 la tarjeta "
            "terminada en 4411 y mi correo es cami.restrepo94@example.com. vivo en medellín por si "
            "importa"
        ),
        (
            ("PERSON", "camila restrepo"),
            ("EMAIL", "cami.restrepo94@example.com"),
            ("LOCATION", "medellín"),
        ),
        "chat",
    ),
    # Indonesian
    Labelled(
        (
            "kak mau tanya, atas nama Siti Rahayu, check-in tgl 22 Agustus di kamar deluxe, bisa "
            "early check in gak? no hp 0812-3456-7890 makasih 🙏"
        ),
        (
            ("PERSON", "Siti Rahayu"),
            ("PERSONAL_DATE", "22 Agustus"),
            ("PHONE", "0812-3456-7890"),
        ),
        "chat",
    ),
    # Vietnamese
    Labelled(
        (
            "chào shop, mình là trần văn minh, đơn hàng bị giao sai màu ạ. sđt mình 090 812 3344, "
            "địa chỉ 25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội nha"
        ),
        (
            ("PERSON", "trần văn minh"),
            ("PHONE", "090 812 3344"),
            ("ADDRESS", "25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "hey sunny here lol (yes thats my real name) my flight got cancelled and i need the "
            "hotel refunded to card ending... actually full # is 5110 0931 7479 6665 thx"
        ),
        (
            ("PERSON", "sunny"),
            ("CREDIT_CARD", "5110 0931 7479 6665"),
        ),
        "chat",
    ),
    # Turkish
    Labelled(
        (
            "merhaba, ben Elif Yıldız. iade ettiğim ceketin parası hala yatmadı, IBAN'ım TR64 9768 "
            "7054 4641 3009 0618 11 lütfen kontrol eder misiniz? tel 0532 418 27 90"
        ),
        (
            ("PERSON", "Elif Yıldız"),
            ("IBAN", "TR64 9768 7054 4641 3009 0618 11"),
            ("PHONE", "0532 418 27 90"),
        ),
        "chat",
    ),
    # English
    Labelled(
        ("omg sorry typo in my email, its t.nkosi.thandi@example.net not .com 🙈 — Thandiwe (cape town)"),
        (
            ("EMAIL", "t.nkosi.thandi@example.net"),
            ("PERSON", "Thandiwe"),
            ("LOCATION", "cape town"),
        ),
        "chat",
    ),
    # French
    Labelled(
        (
            "bjr, c jean-baptiste moreau, ma mère est hospitalisée depuis le 2 mars et je dois "
            "annuler la résa du 10. vous pouvez rappeler au 06 12 34 56 78 svp"
        ),
        (
            ("PERSON", "jean-baptiste moreau"),
            ("PERSONAL_DATE", "2 mars"),
            ("PHONE", "06 12 34 56 78"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "me again (rob). the guy at the front desk said to msg here. booking ref KX-2291, i'm "
            "in room 1204 till sunday. my cell 415-555-0134"
        ),
        (
            ("PERSON", "rob"),
            ("PHONE", "415-555-0134"),
        ),
        "chat",
    ),
    # German
    Labelled(
        (
            "hallo, hier matthias vogel. hab die falsche größe bestellt, schick ich zurück an "
            "welche adresse? ich wohn übrigens jetzt in graz, nicht mehr in wien"
        ),
        (
            ("PERSON", "matthias vogel"),
            ("LOCATION", "graz"),
            ("LOCATION", "wien"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "pls help!!! my insurance card says member name PRIYA RAGHUNATHAN but the clinic "
            "spelled it priya ragunathan and claim got rejected. dob 1988-07-19"
        ),
        (
            ("PERSON", "PRIYA RAGHUNATHAN"),
            ("PERSON", "priya ragunathan"),
            ("DATE_OF_BIRTH", "1988-07-19"),
        ),
        "chat",
    ),
    # Polish
    Labelled(
        (
            "dzień dobry, kasia wiśniewska z tej strony 🙂 paczka zwrotna nadana, nr konta do "
            "zwrotu PL21 4054 2711 2015 8164 2936 9764. mieszkam w gdańsku"
        ),
        (
            ("PERSON", "kasia wiśniewska"),
            ("IBAN", "PL21 4054 2711 2015 8164 2936 9764"),
            ("LOCATION", "gdańsku"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "@hope_m ur order is back in stock 🎉 — hope, reply STOP to opt out. any q's call us or "
            "txt 07700 900461"
        ),
        (
            ("PERSON", "@hope_m"),
            ("PERSON", "hope"),
            ("PHONE", "07700 900461"),
        ),
        "chat",
    ),
    # Dutch
    Labelled(
        (
            "hoi! lotte van der berg hier, ik heb een kamer geboekt voor 2 nachten vanaf 18 mei "
            "maar m'n vriend komt ook, kan dat? mijn nummer is 06-12345678"
        ),
        (
            ("PERSON", "lotte van der berg"),
            ("PERSONAL_DATE", "18 mei"),
            ("PHONE", "06-12345678"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "ok so my dad abebe tesfaye passed away on 9 jan and we need to cancel his travel "
            "insurance policy. im his daughter, selam. he lived in addis"
        ),
        (
            ("PERSON", "abebe tesfaye"),
            ("PERSONAL_DATE", "9 jan"),
            ("PERSON", "selam"),
            ("LOCATION", "addis"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "Ticket #40117 — Return not credited\n"
            "Customer: Bethany Crowther <bethany.crowther@example.org>\n"
            "Phone: +44 20 7946 0321\n"
            "She shipped the blender back last week; warehouse shows received. Refund to Visa 4107 "
            "0209 8904 9699 still pending."
        ),
        (
            ("PERSON", "Bethany Crowther"),
            ("EMAIL", "bethany.crowther@example.org"),
            ("PHONE", "+44 20 7946 0321"),
            ("CREDIT_CARD", "4107 0209 8904 9699"),
        ),
        "ticket",
    ),
    # Spanish
    Labelled(
        (
            "Incidencia 7731: El cliente Joaquín Ferreyra (DNI no aportado) indica que el hotel le "
            "cobró dos noches. Estancia del 4 al 6 de abril. Reembolsar a ES64 9444 3854 0704 5098 "
            "1696. Contacto: +54 9 11 4567-8901"
        ),
        (
            ("PERSON", "Joaquín Ferreyra"),
            ("PERSONAL_DATE", "del 4 al 6 de abril"),
            ("IBAN", "ES64 9444 3854 0704 5098 1696"),
            ("PHONE", "+54 9 11 4567-8901"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "[P2] Claim 55-10923 denied — member Farhan Chowdhury, DOB 03/22/1979, SSN 987-65-4321 "
            "on file. Provider billed the MRI on 2026-09-14 under the wrong plan. Please reprocess."
        ),
        (
            ("PERSON", "Farhan Chowdhury"),
            ("DATE_OF_BIRTH", "03/22/1979"),
            ("US_SSN", "987-65-4321"),
            ("PERSONAL_DATE", "2026-09-14"),
        ),
        "ticket",
    ),
    # German
    Labelled(
        (
            "Ticket 2026-1184 | Kundin: Jana Nováková | Rückgabe Winterjacke | Erstattung auf DE02 "
            "4060 6105 4605 2799 60 | Rückruf erbeten unter 0176 43219876"
        ),
        (
            ("PERSON", "Jana Nováková"),
            ("IBAN", "DE02 4060 6105 4605 2799 60"),
            ("PHONE", "0176 43219876"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Subject: can't log in after reset\n"
            "Reporter: sipho.dlamini (Sipho Dlamini)\n"
            "Last successful login from 198.51.100.23, then locked out. User says he's travelling "
            "in Durban this week."
        ),
        (
            ("PERSON", "sipho.dlamini"),
            ("PERSON", "Sipho Dlamini"),
            ("IP", "198.51.100.23"),
            ("LOCATION", "Durban"),
        ),
        "ticket",
    ),
    # Italian
    Labelled(
        (
            "Segnalazione #9920 – la signora Giulia De Santis lamenta che la valigia smarrita non "
            "è stata consegnata all'indirizzo Via Garibaldi 23, 10122 Torino. Telefono 333 123 "
            "4567."
        ),
        (
            ("PERSON", "Giulia De Santis"),
            ("ADDRESS", "Via Garibaldi 23, 10122 Torino"),
            ("PHONE", "333 123 4567"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "JIRA SUP-3308: Customer Haruto Sato (first address bounced) — use h.sato@example.com "
            "instead. Wants invoice re-issued to 3-14-2 Jingumae, Shibuya-ku, Tokyo 150-0001."
        ),
        (
            ("PERSON", "Haruto Sato"),
            ("EMAIL", "h.sato@example.com"),
            ("ADDRESS", "3-14-2 Jingumae, Shibuya-ku, Tokyo 150-0001"),
        ),
        "ticket",
    ),
    # Swedish
    Labelled(
        (
            "Ärende 4471: Sigrid Lindqvist vill avboka sin tandläkartid den 12 november. Hon nås "
            "på 070-123 45 67. Återbetalning till SE93 2092 4403 4398 8665 2823."
        ),
        (
            ("PERSON", "Sigrid Lindqvist"),
            ("PERSONAL_DATE", "12 november"),
            ("PHONE", "070-123 45 67"),
            ("IBAN", "SE93 2092 4403 4398 8665 2823"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Zendesk #88120 escalated. Requester: Wanjiru K. (wanjiru.kamau@example.com). Says her "
            "pharmacy order shipped to old address Plot 22 Ngong Road, Nairobi instead of new one."
        ),
        (
            ("PERSON", "Wanjiru K."),
            ("EMAIL", "wanjiru.kamau@example.com"),
            ("ADDRESS", "Plot 22 Ngong Road, Nairobi"),
        ),
        "ticket",
    ),
    # Portuguese
    Labelled(
        (
            "Chamado 30219 - Beatriz da Silva pede o estorno da reserva de 15/07 a 19/07. Cartão "
            "Mastercard 5580 3606 9678 1413. Nasc. 30/01/1990 para validação."
        ),
        (
            ("PERSON", "Beatriz da Silva"),
            ("PERSONAL_DATE", "de 15/07 a 19/07"),
            ("CREDIT_CARD", "5580 3606 9678 1413"),
            ("DATE_OF_BIRTH", "30/01/1990"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Bug report from Dmitri V. (@dvolkov on GitHub): the export button leaks the previous "
            "user's session. Repro'd from 203.0.113.77. Please don't share his handle publicly."
        ),
        (
            ("PERSON", "Dmitri V."),
            ("PERSON", "@dvolkov"),
            ("IP", "203.0.113.77"),
        ),
        "ticket",
    ),
    # French
    Labelled(
        (
            "Ticket 5521 — Mme Fatoumata Diallo, née le 8 février 1985, demande le remboursement "
            "de sa consultation du 3 octobre. IBAN FR94 1948 0958 89DF E8P3 QRNV L10."
        ),
        (
            ("PERSON", "Fatoumata Diallo"),
            ("DATE_OF_BIRTH", "8 février 1985"),
            ("PERSONAL_DATE", "3 octobre"),
            ("IBAN", "FR94 1948 0958 89DF E8P3 QRNV L10"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Priority: High. Customer GRACE OKAFOR says Amex 3435 0004 7480 566 was used for a "
            "booking she never made (check-in 2026-12-20). Her number: +234 803 555 0172."
        ),
        (
            ("PERSON", "GRACE OKAFOR"),
            ("CREDIT_CARD", "3435 0004 7480 566"),
            ("PERSONAL_DATE", "2026-12-20"),
            ("PHONE", "+234 803 555 0172"),
        ),
        "ticket",
    ),
    # Turkish
    Labelled(
        (
            "Talep #6610: Müşteri Mehmet Öztürk, adres Bağdat Cad. No:215 D:6, 34728 "
            "Kadıköy/İstanbul. Hasarlı ürün iadesi, kargo takip no 7730012."
        ),
        (
            ("PERSON", "Mehmet Öztürk"),
            ("ADDRESS", "Bağdat Cad. No:215 D:6, 34728 Kadıköy/İstanbul"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Linear ENG-912: staging token leaked in support ticket by user bill.harrow — rotate "
            "glpat-6l7GMwvY_KK9N3Vikf75 asap. Bill said he pasted it from his laptop."
        ),
        (
            ("PERSON", "bill.harrow"),
            ("API_KEY", "glpat-6l7GMwvY_KK9N3Vikf75"),
            ("PERSON", "Bill"),
        ),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Lead: Aroha Ngata | Title: Ops Manager, Kiwi Trails Ltd | Mobile +64 21 555 0147 | "
            "aroha@example.org | Based in Rotorua. Interested in group booking API."
        ),
        (
            ("PERSON", "Aroha Ngata"),
            ("PHONE", "+64 21 555 0147"),
            ("EMAIL", "aroha@example.org"),
            ("LOCATION", "Rotorua"),
        ),
        "crm",
    ),
    # Spanish
    Labelled(
        (
            "Nota CRM: llamé a Luz Marina Quispe, dueña de Hostal Inti. Prefiere WhatsApp al +51 "
            "984 123 456. Cumpleaños 12/05/1976 (enviar cupón). Vive en Cusco."
        ),
        (
            ("PERSON", "Luz Marina Quispe"),
            ("PHONE", "+51 984 123 456"),
            ("DATE_OF_BIRTH", "12/05/1976"),
            ("LOCATION", "Cusco"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "Account note: spoke with Sione Tupou (VIP). Relocating from Nuku'alofa to Auckland in "
            "Jan. New address 45 Ponsonby Road, Auckland 1011. Keep loyalty tier."
        ),
        (
            ("PERSON", "Sione Tupou"),
            ("LOCATION", "Nuku'alofa"),
            ("LOCATION", "Auckland"),
            ("ADDRESS", "45 Ponsonby Road, Auckland 1011"),
        ),
        "crm",
    ),
    # German
    Labelled(
        (
            "Kontakt: Dr. Katrin Hoffmann-Berg, Einkauf, Praxisbedarf Süd GmbH. Tel. +49 89 2190 "
            "4471, Mail (korrigiert): k.hoffmann-berg@example.com. Geb. 04.09.1971."
        ),
        (
            ("PERSON", "Katrin Hoffmann-Berg"),
            ("PHONE", "+49 89 2190 4471"),
            ("EMAIL", "k.hoffmann-berg@example.com"),
            ("DATE_OF_BIRTH", "04.09.1971"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "Opportunity 'Renewal FY27' — champion: Lin Yuting (goes by Tina). Decision maker: "
            "Arjun Mehta, CFO. Arjun's assistant: +1 (646) 555-0193."
        ),
        (
            ("PERSON", "Lin Yuting"),
            ("PERSON", "Tina"),
            ("PERSON", "Arjun Mehta"),
            ("PERSON", "Arjun"),
            ("PHONE", "+1 (646) 555-0193"),
        ),
        "crm",
    ),
    # Italian
    Labelled(
        (
            "Cliente: Marco Bellandi, nato il 17 marzo 1983 a Bari, residente a Bologna. Polizza "
            "viaggio n. TRV-448812. Cell. +39 347 889 2210."
        ),
        (
            ("PERSON", "Marco Bellandi"),
            ("DATE_OF_BIRTH", "17 marzo 1983"),
            ("LOCATION", "Bari"),
            ("LOCATION", "Bologna"),
            ("PHONE", "+39 347 889 2210"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "HubSpot import row: first=Aigerim, last=Nurlanovna, email=aigerim.n@example.net, "
            "city=Almaty, phone=+7 701 555 2044"
        ),
        (
            ("PERSON", "Aigerim"),
            ("PERSON", "Nurlanovna"),
            ("EMAIL", "aigerim.n@example.net"),
            ("LOCATION", "Almaty"),
            ("PHONE", "+7 701 555 2044"),
        ),
        "crm",
    ),
    # Dutch
    Labelled(
        (
            "Klantnotitie: mevrouw De Vries-Bakker belde over haar zorgpolis. Adres gewijzigd naar "
            "Keizersgracht 221-H, 1016 DV Amsterdam. IBAN NL21 ABNA 2427 0509 56."
        ),
        (
            ("PERSON", "De Vries-Bakker"),
            ("ADDRESS", "Keizersgracht 221-H, 1016 DV Amsterdam"),
            ("IBAN", "NL21 ABNA 2427 0509 56"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "Salesforce > Contact > Dariush Kazemi. Notes: prefers calls after 6pm, lives in "
            "Toronto, wife Shirin handles billing. Card on file Discover 6011 8303 9854 9992."
        ),
        (
            ("PERSON", "Dariush Kazemi"),
            ("LOCATION", "Toronto"),
            ("PERSON", "Shirin"),
            ("CREDIT_CARD", "6011 8303 9854 9992"),
        ),
        "crm",
    ),
    # Polish
    Labelled(
        (
            "Notatka: Bogdan Zieliński – klient hurtowy, ul. Długa 14/7, 80-827 Gdańsk. Tel. +48 "
            "601 234 567. Urodzony 1969-02-28."
        ),
        (
            ("PERSON", "Bogdan Zieliński"),
            ("ADDRESS", "ul. Długa 14/7, 80-827 Gdańsk"),
            ("PHONE", "+48 601 234 567"),
            ("DATE_OF_BIRTH", "1969-02-28"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "Pipedrive activity: call w/ Lerato Mokoena re: corporate travel. She's moving to "
            "Johannesburg office; new desk line 011 555 0198. Follow up next sprint."
        ),
        (
            ("PERSON", "Lerato Mokoena"),
            ("LOCATION", "Johannesburg"),
            ("PHONE", "011 555 0198"),
        ),
        "crm",
    ),
    # Indonesian
    Labelled(
        (
            "Catatan CRM: Bapak Budi Santoso, pemilik toko online, alamat Jl. Kemang Raya No. 18, "
            "Jakarta Selatan 12730. Lahir 5 Juni 1980. Email yang benar budi.santoso@example.org."
        ),
        (
            ("PERSON", "Budi Santoso"),
            ("ADDRESS", "Jl. Kemang Raya No. 18, Jakarta Selatan 12730"),
            ("DATE_OF_BIRTH", "5 Juni 1980"),
            ("EMAIL", "budi.santoso@example.org"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "Customer 360: Omar Al-Farsi, Platinum. Home: Muscat. Passport renewal reminder sent. "
            "Stay history: Dubai 3x, Lisbon 1x. Pref. contact omar.alfarsi@example.com"
        ),
        (
            ("PERSON", "Omar Al-Farsi"),
            ("LOCATION", "Muscat"),
            ("LOCATION", "Dubai"),
            ("LOCATION", "Lisbon"),
            ("EMAIL", "omar.alfarsi@example.com"),
        ),
        "crm",
    ),
    # Swedish
    Labelled(
        (
            "Kundanteckning: Erik Haugen ringde, flyttat från Oslo till Uppsala. Ny adress "
            "Storgatan 9, 753 20 Uppsala. Mobil 073-555 12 34."
        ),
        (
            ("PERSON", "Erik Haugen"),
            ("LOCATION", "Oslo"),
            ("LOCATION", "Uppsala"),
            ("ADDRESS", "Storgatan 9, 753 20 Uppsala"),
            ("PHONE", "073-555 12 34"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            "Hi team,\n"
            "\n"
            "I'm writing about my return (order 7719-RX). I sent the headphones back via post "
            "office on Monday. Could you refund to the original card, Visa 4371 9038 7430 9915?\n"
            "\n"
            "Thanks so much,\n"
            "Neema Mwakyusa\n"
            "+255 754 123 456"
        ),
        (
            ("CREDIT_CARD", "4371 9038 7430 9915"),
            ("PERSON", "Neema Mwakyusa"),
            ("PHONE", "+255 754 123 456"),
        ),
        "email",
    ),
    # Spanish
    Labelled(
        (
            "Estimados:\n"
            "\n"
            "Les escribo para solicitar el reembolso de mi estancia (llegada 2 de noviembre, "
            "salida 5 de noviembre). Adjunto mi IBAN: ES64 9444 3854 0704 5098 1696.\n"
            "\n"
            "Un saludo,\n"
            "Valentina Ortiz Gil\n"
            "Calle de Alcalá 87, 3º B, 28009 Madrid"
        ),
        (
            ("PERSONAL_DATE", "2 de noviembre"),
            ("PERSONAL_DATE", "5 de noviembre"),
            ("IBAN", "ES64 9444 3854 0704 5098 1696"),
            ("PERSON", "Valentina Ortiz Gil"),
            ("ADDRESS", "Calle de Alcalá 87, 3º B, 28009 Madrid"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "From: Tom Ashby <tom.ashby@example.net>\n"
            "To: Claims desk\n"
            "Subject: Claim for lost luggage\n"
            "\n"
            "Hello, my bag never arrived on my flight home on 3 Sept. Policy holder: Thomas J. "
            "Ashby, DOB 14 April 1966. Call me on 07700 900123.\n"
            "\n"
            "Tom"
        ),
        (
            ("PERSON", "Tom Ashby"),
            ("EMAIL", "tom.ashby@example.net"),
            ("PERSONAL_DATE", "3 Sept"),
            ("PERSON", "Thomas J. Ashby"),
            ("DATE_OF_BIRTH", "14 April 1966"),
            ("PHONE", "07700 900123"),
        ),
        "email",
    ),
    # French
    Labelled(
        (
            "Bonjour,\n"
            "\n"
            "Suite à mon hospitalisation du 11 au 15 juin, je vous transmets les justificatifs "
            "pour le remboursement. Mon numéro d'adhérent est 88-1203.\n"
            "\n"
            "Cordialement,\n"
            "Youssef El-Amrani\n"
            "12 rue des Lilas, 69003 Lyon\n"
            "youssef.elamrani@example.org"
        ),
        (
            ("PERSONAL_DATE", "du 11 au 15 juin"),
            ("PERSON", "Youssef El-Amrani"),
            ("ADDRESS", "12 rue des Lilas, 69003 Lyon"),
            ("EMAIL", "youssef.elamrani@example.org"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "hey support,\n"
            "my wife Layla Haddad and I checked out early (Sat 21st) bc of a family emergency. can "
            "you refund the last 2 nights to our joint account GB46 NWBK 1908 3412 4777 84?\n"
            "cheers, Karim"
        ),
        (
            ("PERSON", "Layla Haddad"),
            ("PERSONAL_DATE", "Sat 21st"),
            ("IBAN", "GB46 NWBK 1908 3412 4777 84"),
            ("PERSON", "Karim"),
        ),
        "email",
    ),
    # German
    Labelled(
        (
            "Sehr geehrte Damen und Herren,\n"
            "\n"
            "ich möchte meinen Termin in der Physiotherapie am 14.01.2027 absagen. Bitte schicken "
            "Sie die Bestätigung an lena.schaefer@example.org.\n"
            "\n"
            "Mit freundlichen Grüßen\n"
            "Lena Schäfer\n"
            "Kastanienallee 12, 10435 Berlin"
        ),
        (
            ("PERSONAL_DATE", "14.01.2027"),
            ("EMAIL", "lena.schaefer@example.org"),
            ("PERSON", "Lena Schäfer"),
            ("ADDRESS", "Kastanienallee 12, 10435 Berlin"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "Dear Ms. Perera,\n"
            "\n"
            "Your appointment with Dr. Kowalczyk is confirmed for Thursday, 8 January 2027 at "
            "10:15. Please bring your insurance card.\n"
            "\n"
            "Kind regards,\n"
            "Reception, Harbourside Clinic"
        ),
        (
            ("PERSON", "Perera"),
            ("PERSON", "Kowalczyk"),
            ("PERSONAL_DATE", "Thursday, 8 January 2027"),
        ),
        "email",
    ),
    # Portuguese
    Labelled(
        (
            "Olá equipe,\n"
            "\n"
            "Minha reserva (check-in 03/02/2027) foi feita no cartão errado. Favor estornar do Elo "
            "e cobrar no Visa 4288 1937 1180 8.\n"
            "\n"
            "Obrigado,\n"
            "Thiago Barbosa\n"
            "thiago.b@example.net"
        ),
        (
            ("PERSONAL_DATE", "03/02/2027"),
            ("CREDIT_CARD", "4288 1937 1180 8"),
            ("PERSON", "Thiago Barbosa"),
            ("EMAIL", "thiago.b@example.net"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "Hi Aino,\n"
            "\n"
            "Thanks for the call. As discussed, I've updated your billing address to "
            "Mannerheimintie 14 B 22, 00100 Helsinki and your refund will go to FI96 5379 5261 "
            "6236 78.\n"
            "\n"
            "Best,\n"
            "Marcus (Billing)"
        ),
        (
            ("PERSON", "Aino"),
            ("ADDRESS", "Mannerheimintie 14 B 22, 00100 Helsinki"),
            ("IBAN", "FI96 5379 5261 6236 78"),
            ("PERSON", "Marcus"),
        ),
        "email",
    ),
    # Italian
    Labelled(
        (
            "Gentile servizio clienti,\n"
            "\n"
            "ho restituito le scarpe la settimana scorsa ma non ho ancora ricevuto il rimborso. Il "
            "mio numero è +39 02 8765 4321.\n"
            "\n"
            "Cordiali saluti,\n"
            "Chiara Lombardi\n"
            "chiara.lombardi@example.com"
        ),
        (
            ("PHONE", "+39 02 8765 4321"),
            ("PERSON", "Chiara Lombardi"),
            ("EMAIL", "chiara.lombardi@example.com"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "To whom it may concern,\n"
            "\n"
            "Please update my address for the home insurance renewal: 742 Maple Ave Apt 3B, "
            "Springfield, IL 62704. SSN for verification: 987-65-4323.\n"
            "\n"
            "Regards,\n"
            "DeShawn Williams"
        ),
        (
            ("ADDRESS", "742 Maple Ave Apt 3B, Springfield, IL 62704"),
            ("US_SSN", "987-65-4323"),
            ("PERSON", "DeShawn Williams"),
        ),
        "email",
    ),
    # Dutch
    Labelled(
        (
            "Beste,\n"
            "\n"
            "Ik wil graag mijn boeking voor 12 t/m 14 maart wijzigen. Ik ben bereikbaar op +31 6 "
            "2345 6789.\n"
            "\n"
            "Met vriendelijke groet,\n"
            "Sanne Jansen"
        ),
        (
            ("PERSONAL_DATE", "12 t/m 14 maart"),
            ("PHONE", "+31 6 2345 6789"),
            ("PERSON", "Sanne Jansen"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "Hi there — forwarding on behalf of my mum, Rose Whitfield (born 02/06/1948). She was "
            "admitted to St. Anne's on 30 Nov and can't make the cruise. Her policy no. is "
            "TI-99120. — Amber"
        ),
        (
            ("PERSON", "Rose Whitfield"),
            ("DATE_OF_BIRTH", "02/06/1948"),
            ("PERSONAL_DATE", "30 Nov"),
            ("PERSON", "Amber"),
        ),
        "email",
    ),
    # Vietnamese
    Labelled(
        (
            "Kính gửi bộ phận chăm sóc khách hàng,\n"
            "\n"
            "Tôi là Nguyễn Thị Lan, sinh ngày 15/08/1992. Tôi muốn hủy lịch hẹn khám ngày 20/12. "
            "Số điện thoại: +84 912 345 678.\n"
            "\n"
            "Trân trọng."
        ),
        (
            ("PERSON", "Nguyễn Thị Lan"),
            ("DATE_OF_BIRTH", "15/08/1992"),
            ("PERSONAL_DATE", "20/12"),
            ("PHONE", "+84 912 345 678"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            "From: Booking notifications\n"
            "Subject: Your stay is confirmed\n"
            "\n"
            "Dear KIM MIN-JI, thank you for booking! Check-in: 2027-01-17, check-out: 2027-01-20. "
            "Guest contact: minji.kim@example.com. Card: JCB ****9661."
        ),
        (
            ("PERSON", "KIM MIN-JI"),
            ("PERSONAL_DATE", "2027-01-17"),
            ("PERSONAL_DATE", "2027-01-20"),
            ("EMAIL", "minji.kim@example.com"),
        ),
        "email",
    ),
    # Turkish
    Labelled(
        (
            "Merhaba,\n"
            "\n"
            "3 Ocak tarihli randevumu iptal etmek istiyorum. Geri ödeme için IBAN: TR64 9768 7054 "
            "4641 3009 0618 11.\n"
            "\n"
            "İyi çalışmalar,\n"
            "Ayşe Kaya\n"
            "ayse.kaya@example.com"
        ),
        (
            ("PERSONAL_DATE", "3 Ocak"),
            ("IBAN", "TR64 9768 7054 4641 3009 0618 11"),
            ("PERSON", "Ayşe Kaya"),
            ("EMAIL", "ayse.kaya@example.com"),
        ),
        "email",
    ),
    # English
    Labelled(
        (
            '{"ts":"2026-12-06T21:14:03Z","level":"warn","msg":"payment '
            'declined","user":{"id":88123,"name":"Wei '
            'Zhang","email":"wei.zhang@example.com"},"client_ip":"192.0.2.45","card_last4":"1240"}'
        ),
        (
            ("PERSON", "Wei Zhang"),
            ("EMAIL", "wei.zhang@example.com"),
            ("IP", "192.0.2.45"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "2026-12-06 08:41:17 INFO  auth.login  user=dilnoza.yusupova src=203.0.113.19 "
            'ua="Mobile Safari" result=success mfa=sms:+998 90 123 45 67'
        ),
        (
            ("PERSON", "dilnoza.yusupova"),
            ("IP", "203.0.113.19"),
            ("PHONE", "+998 90 123 45 67"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "k8s event: Warning  BackOff  pod/checkout-7d9f8-xk2lp  Back-off restarting failed "
            "container; env STRIPE_SECRET_KEY=sk_live_xDrJdbnOQuo4NJsCx2Kt0D1k exposed in describe "
            "output (reported by timur.rakhimov)"
        ),
        (
            ("API_KEY", "sk_live_xDrJdbnOQuo4NJsCx2Kt0D1k"),
            ("PERSON", "timur.rakhimov"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "[2026-12-05T17:02:44.118Z] ERROR booking-svc: failed to send confirmation to "
            'leilani.kahale@example.net (guest "Leilani Kahale", check-in 2026-12-24): SMTP 451'
        ),
        (
            ("EMAIL", "leilani.kahale@example.net"),
            ("PERSON", "Leilani Kahale"),
            ("PERSONAL_DATE", "2026-12-24"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            'Run #4412 (ci/deploy.yml) — step "Publish":\n'
            "  npm notice Publishing to https://registry.npmjs.org/\n"
            "  Using token npm_Wz4jSBuW2OEq2BN2hwMVB5eGVZbOjlKOsSS0\n"
            "  triggered by: sunita-k (Sunita Kulkarni)"
        ),
        (
            ("API_KEY", "npm_Wz4jSBuW2OEq2BN2hwMVB5eGVZbOjlKOsSS0"),
            ("PERSON", "sunita-k"),
            ("PERSON", "Sunita Kulkarni"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "Dec 06 03:12:55 web-02 sshd[2231]: Accepted publickey for deploy from "
            "2001:db8:4a1::17 port 52144 ssh2: ED25519 SHA256:Xk3... (key comment: "
            "yaw.boateng@laptop)"
        ),
        (
            ("IP", "2001:db8:4a1::17"),
            ("PERSON", "yaw.boateng"),
        ),
        "log",
    ),
    # Spanish
    Labelled(
        (
            '{"nivel":"ERROR","mensaje":"fallo al validar tarjeta","cliente":"María '
            'José Fuentes","tarjeta":"3708 095730 99278","ip":"198.51.100.201"}'
        ),
        (
            ("PERSON", "María José Fuentes"),
            ("CREDIT_CARD", "3708 095730 99278"),
            ("IP", "198.51.100.201"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "git log --format='%an <%ae> %s'\n"
            "Haruka Ito <haruka.ito@example.com> fix: retry on 429\n"
            "Mateus Carvalho <mateus@example.org> chore: bump deps\n"
            "dependabot[bot] build(deps): bump axios"
        ),
        (
            ("PERSON", "Haruka Ito"),
            ("EMAIL", "haruka.ito@example.com"),
            ("PERSON", "Mateus Carvalho"),
            ("EMAIL", "mateus@example.org"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "audit: role=admin actor=aleksandra.nowak@example.com action=EXPORT_PATIENT_LIST "
            'target="ward 4B" ip=192.0.2.130 at=2026-12-04T10:22:09Z'
        ),
        (
            ("EMAIL", "aleksandra.nowak@example.com"),
            ("IP", "192.0.2.130"),
        ),
        "log",
    ),
    # German
    Labelled(
        (
            "2026-12-06 11:03:12 WARN  versand: Adresse unvollständig für Bestellung 55812 – "
            "Empfänger Jürgen Meißner, Hauptstraße 5, 8010 Graz (Tür fehlt)"
        ),
        (
            ("PERSON", "Jürgen Meißner"),
            ("ADDRESS", "Hauptstraße 5, 8010 Graz"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "GitHub Actions: ##[warning]Secret detected in logs: "
            "GH_TOKEN=ghp_NLnWm3bmFcKrVVSVjCRrJyOzSygkqi9J16EE (workflow run by @mwangi-dev on PR "
            "#812)"
        ),
        (
            ("API_KEY", "ghp_NLnWm3bmFcKrVVSVjCRrJyOzSygkqi9J16EE"),
            ("PERSON", "@mwangi-dev"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            'tool_result: {"reservation": {"guest": "Mohammed Rahimi", "phone": "+971 50 '
            '555 0133", "arrival": "2027-02-11", "nights": 3, "room": "K-DLX"}}'
        ),
        (
            ("PERSON", "Mohammed Rahimi"),
            ("PHONE", "+971 50 555 0133"),
            ("PERSONAL_DATE", "2027-02-11"),
        ),
        "log",
    ),
    # Portuguese
    Labelled(
        (
            "[WARN] checkout: pagamento recusado para o cliente João Pedro Nunes (cpf omitido) "
            "cartão 2221 5047 9176 9268 ip 203.0.113.88"
        ),
        (
            ("PERSON", "João Pedro Nunes"),
            ("CREDIT_CARD", "2221 5047 9176 9268"),
            ("IP", "203.0.113.88"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "Events:\n"
            "  Normal  Scheduled  12s  default-scheduler  Successfully assigned prod/api-5c6 to "
            "node-3\n"
            '  Warning Failed  10s  kubelet  Error: secret "openai" value '
            "sk-proj-mfJINr619OIHRTBI4EDsz6IkLThTgRBwRIp1mWdSkH-h8qE- is invalid"
        ),
        (("API_KEY", "sk-proj-mfJINr619OIHRTBI4EDsz6IkLThTgRBwRIp1mWdSkH-h8qE-"),),
        "log",
    ),
    # English
    Labelled(
        (
            'nginx: 198.51.100.7 - chidi.okeke [06/Dec/2026:09:14:22 +0000] "GET '
            '/api/v2/claims/me HTTP/1.1" 200 5120 "-" "okhttp/4.12.0"'
        ),
        (
            ("IP", "198.51.100.7"),
            ("PERSON", "chidi.okeke"),
        ),
        "log",
    ),
    # Polish
    Labelled(
        (
            "2026-12-06T14:22:01Z INFO rejestracja: nowy pacjent Zofia Kamińska, PESEL pominięty, "
            "ur. 11.11.1955, tel. 512 345 678, wizyta 2026-12-10"
        ),
        (
            ("PERSON", "Zofia Kamińska"),
            ("DATE_OF_BIRTH", "11.11.1955"),
            ("PHONE", "512 345 678"),
            ("PERSONAL_DATE", "2026-12-10"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "INSERT INTO guests (full_name, email, phone, dob) VALUES\n"
            "  ('Adaeze Okonkwo', 'adaeze.o@example.com', '+234 809 555 0110', '1991-10-03');"
        ),
        (
            ("PERSON", "Adaeze Okonkwo"),
            ("EMAIL", "adaeze.o@example.com"),
            ("PHONE", "+234 809 555 0110"),
            ("DATE_OF_BIRTH", "1991-10-03"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "# .env.production  (DO NOT COMMIT)\n"
            "ANTHROPIC_API_KEY=sk-ant-api03-Z3yS-lu5YLrITk3xpWoQSymNfnrE-56RHFKlH28XuX4-oisLlunUA_VcWpJLLj_aXBf7yWSZUgHxjxLu9AvMyRAA\n"
            "SENDGRID_KEY=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"
        ),
        (
            (
                "API_KEY",
                "sk-ant-api03-Z3yS-lu5YLrITk3xpWoQSymNfnrE-56RHFKlH28XuX4-oisLlunUA_VcWpJLLj_aXBf7yWSZUgHxjxLu9AvMyRAA",
            ),
            ("API_KEY", "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"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "def test_refund_flow(client):\n"
            '    customer = make_customer(name="Precious Moyo", card="6011 8303 9854 9992")\n'
            '    resp = client.post("/returns", json={"order": "R-2201", "customer": '
            "customer.id})\n"
            "    assert resp.status_code == 202"
        ),
        (
            ("PERSON", "Precious Moyo"),
            ("CREDIT_CARD", "6011 8303 9854 9992"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "curl -X POST https://api.example.com/v1/bookings \\\n"
            '  -H "Authorization: Bearer hf_recqGh6AzzE32Jv08Xi8GdTgg0LEoh5yb5" \\\n'
            '  -d \'{"guest":"Emeka '
            'Nwosu","email":"emeka.nwosu@example.org","checkin":"2027-03-02"}\''
        ),
        (
            ("API_KEY", "hf_recqGh6AzzE32Jv08Xi8GdTgg0LEoh5yb5"),
            ("PERSON", "Emeka Nwosu"),
            ("EMAIL", "emeka.nwosu@example.org"),
            ("PERSONAL_DATE", "2027-03-02"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "Traceback (most recent call last):\n"
            '  File "claims/ingest.py", line 88, in parse_member\n'
            '    ssn = validate_ssn(row["ssn"])\n'
            "ValueError: SSN 987-65-4325 for member 'Kaveh Rostami' does not match DOB 1983-06-30"
        ),
        (
            ("US_SSN", "987-65-4325"),
            ("PERSON", "Kaveh Rostami"),
            ("DATE_OF_BIRTH", "1983-06-30"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "# seed data for the demo tenant\n"
            "USERS = [\n"
            '    {"handle": "ana.lucia", "name": "Ana Lúcia Ferreira", "phone": "+351 '
            '912 345 678"},\n'
            '    {"handle": "svc-backup", "name": "Backup Service", "phone": None},\n'
            "]"
        ),
        (
            ("PERSON", "ana.lucia"),
            ("PERSON", "Ana Lúcia Ferreira"),
            ("PHONE", "+351 912 345 678"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "apiVersion: v1\n"
            "kind: Secret\n"
            "metadata:\n"
            "  name: aws-creds\n"
            "  annotations:\n"
            "    owner: erlan.abdyldaev@example.com\n"
            "stringData:\n"
            "  AWS_ACCESS_KEY_ID: AKIANAKO7LYFRXFVRE6T"
        ),
        (
            ("EMAIL", "erlan.abdyldaev@example.com"),
            ("API_KEY", "AKIANAKO7LYFRXFVRE6T"),
        ),
        "code",
    ),
    # Spanish
    Labelled(
        (
            "-- corrige el teléfono de la paciente\n"
            "UPDATE pacientes SET telefono = '+52 55 1234 5678', direccion = 'Av. Insurgentes Sur "
            "1602, Col. Crédito Constructor, 03940 Ciudad de México' WHERE nombre = 'Guadalupe "
            "Ríos';"
        ),
        (
            ("PHONE", "+52 55 1234 5678"),
            ("ADDRESS", "Av. Insurgentes Sur 1602, Col. Crédito Constructor, 03940 Ciudad de México"),
            ("PERSON", "Guadalupe Ríos"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "// TODO(ravi): remove before merge\n"
            "const slack = new "
            'WebClient("xoxb-435585081079-6688903959268-BWfmdtGDURbJVt74DAvm3Oq6");\n'
            'await slack.chat.postMessage({ channel: "#returns", text: "refund ok" });'
        ),
        (
            ("PERSON", "ravi"),
            ("API_KEY", "xoxb-435585081079-6688903959268-BWfmdtGDURbJVt74DAvm3Oq6"),
        ),
        "code",
    ),
    # German
    Labelled(
        (
            "# Testfall: Rückerstattung auf Konto\n"
            'assert iban_normalisieren("AT76 2402 2152 9118 7766") == "AT762402215291187766"  '
            "# Konto von Fr. Gruber"
        ),
        (
            ("IBAN", "AT76 2402 2152 9118 7766"),
            ("IBAN", "AT762402215291187766"),
            ("PERSON", "Gruber"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            'git commit --author="Nilufar Karimova <nilufar.k@example.net>" -m "fix(returns): '
            'handle partial refunds"\n'
            "[main 3f9c2e1] fix(returns): handle partial refunds\n"
            " 2 files changed, 41 insertions(+), 7 deletions(-)"
        ),
        (
            ("PERSON", "Nilufar Karimova"),
            ("EMAIL", "nilufar.k@example.net"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "SELECT p.full_name, a.admitted_at FROM patients p JOIN admissions a USING "
            "(patient_id)\n"
            "WHERE p.full_name = 'Tevita Fifita' AND a.admitted_at = DATE '2026-11-29';"
        ),
        (
            ("PERSON", "Tevita Fifita"),
            ("PERSONAL_DATE", "2026-11-29"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "@pytest.fixture\n"
            "def traveller():\n"
            '    return Traveller(first="Ngozi", last="Eze", born=date(1987, 4, 12), '
            'home_city="Abuja")'
        ),
        (
            ("PERSON", "Ngozi"),
            ("PERSON", "Eze"),
            ("DATE_OF_BIRTH", "date(1987, 4, 12)"),
            ("LOCATION", "Abuja"),
        ),
        "code",
    ),
    # French
    Labelled(
        (
            "# FIXME: données réelles d'un client laissées dans le test !\n"
            'client = Client(nom="Léa Fontaine", tel="+33 6 98 76 54 32", carte="4309 1129 '
            '6199 1240")'
        ),
        (
            ("PERSON", "Léa Fontaine"),
            ("PHONE", "+33 6 98 76 54 32"),
            ("CREDIT_CARD", "4309 1129 6199 1240"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "terraform plan output:\n"
            '  + resource "digitalocean_project" "demo" {\n'
            '      + owner_email = "kofi.mensah@example.com"\n'
            "      + api_token   = "
            '"dop_v1_7a6d4c1d96753202c154d7d045389ea86a19433d51cd145d268dcfe5e1a24508"'
        ),
        (
            ("EMAIL", "kofi.mensah@example.com"),
            ("API_KEY", "dop_v1_7a6d4c1d96753202c154d7d045389ea86a19433d51cd145d268dcfe5e1a24508"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "mysql> SELECT id, name, card_number FROM payment_methods WHERE user_id = 4412;\n"
            "+----+--------------+---------------------+\n"
            "| 17 | Hana Suzuki  | 3559 7769 5666 9661 |\n"
            "+----+--------------+---------------------+"
        ),
        (
            ("PERSON", "Hana Suzuki"),
            ("CREDIT_CARD", "3559 7769 5666 9661"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "Pt: Mariam Yusuf, 54F, DOB 12/09/1972. Admitted 2026-11-30 with chest pain, troponin "
            "neg x2. Discharged 2026-12-02. Lives alone in Leicester; daughter to collect."
        ),
        (
            ("PERSON", "Mariam Yusuf"),
            ("DATE_OF_BIRTH", "12/09/1972"),
            ("PERSONAL_DATE", "2026-11-30"),
            ("PERSONAL_DATE", "2026-12-02"),
            ("LOCATION", "Leicester"),
        ),
        "clinical",
    ),
    # Spanish
    Labelled(
        (
            "Paciente: Rodrigo Alvarado Peña. F. nac.: 23-04-1959. Ingreso 1/12/2026 por "
            "descompensación diabética. Contacto familiar: hija, tel. 600 123 456."
        ),
        (
            ("PERSON", "Rodrigo Alvarado Peña"),
            ("DATE_OF_BIRTH", "23-04-1959"),
            ("PERSONAL_DATE", "1/12/2026"),
            ("PHONE", "600 123 456"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "SOAP note — S: 'can't sleep since the accident' (pt J.K., 29M). O: BP 128/82. A: "
            "acute stress reaction. P: f/u 19 Dec with Dr. Olumide Adeyemi."
        ),
        (
            ("PERSON", "J.K."),
            ("PERSONAL_DATE", "19 Dec"),
            ("PERSON", "Olumide Adeyemi"),
        ),
        "clinical",
    ),
    # Portuguese
    Labelled(
        (
            "Evolução: paciente Francisca Sousa, 71 anos, nascida em 4 de maio de 1955, internada "
            "desde 28/11. Alta prevista para 08/12. Reside em Braga com o marido."
        ),
        (
            ("PERSON", "Francisca Sousa"),
            ("DATE_OF_BIRTH", "4 de maio de 1955"),
            ("PERSONAL_DATE", "28/11"),
            ("PERSONAL_DATE", "08/12"),
            ("LOCATION", "Braga"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Discharge summary: Mr. Hamid Sultani (MRN 0048812) was admitted on 11/21/2026 after a "
            "fall, treated for a distal radius fracture and discharged 11/24/2026. Follow-up in "
            "fracture clinic."
        ),
        (
            ("PERSON", "Hamid Sultani"),
            ("PERSONAL_DATE", "11/21/2026"),
            ("PERSONAL_DATE", "11/24/2026"),
        ),
        "clinical",
    ),
    # German
    Labelled(
        (
            "Arztbrief: Frau Anneliese Brandt, geb. 19.03.1941, wohnhaft Lindenweg 7, 24103 Kiel, "
            "wurde am 02.12.2026 stationär aufgenommen. Verstorben am 05.12.2026."
        ),
        (
            ("PERSON", "Anneliese Brandt"),
            ("DATE_OF_BIRTH", "19.03.1941"),
            ("ADDRESS", "Lindenweg 7, 24103 Kiel"),
            ("PERSONAL_DATE", "02.12.2026"),
            ("PERSONAL_DATE", "05.12.2026"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "telehealth intake (auto-transcribed): name Koa Makoa, um born july 7 ninety-eight, "
            "calling from hilo, insurance member id HMS-22019, symptoms started yesterday"
        ),
        (
            ("PERSON", "Koa Makoa"),
            ("DATE_OF_BIRTH", "july 7 ninety-eight"),
            ("LOCATION", "hilo"),
        ),
        "clinical",
    ),
    # Italian
    Labelled(
        (
            "Referto: sig.ra Rosaria Esposito, nata il 30/06/1950, visita cardiologica del 15 "
            "gennaio 2027. Recapito 081 555 1234."
        ),
        (
            ("PERSON", "Rosaria Esposito"),
            ("DATE_OF_BIRTH", "30/06/1950"),
            ("PERSONAL_DATE", "15 gennaio 2027"),
            ("PHONE", "081 555 1234"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Pre-auth request for member Ji-woo Park (DOB 1990-01-15, SSN 987-65-4327). Procedure: "
            "knee arthroscopy scheduled 2027-01-08. Ordering physician: Dr. Helga Sørensen."
        ),
        (
            ("PERSON", "Ji-woo Park"),
            ("DATE_OF_BIRTH", "1990-01-15"),
            ("US_SSN", "987-65-4327"),
            ("PERSONAL_DATE", "2027-01-08"),
            ("PERSON", "Helga Sørensen"),
        ),
        "clinical",
    ),
    # Dutch
    Labelled(
        (
            "Verpleegkundige notitie: dhr. Pieter de Graaf, geboren 7 augustus 1948, opgenomen op "
            "3 december. Echtgenote bereikbaar via 06-87654321."
        ),
        (
            ("PERSON", "Pieter de Graaf"),
            ("DATE_OF_BIRTH", "7 augustus 1948"),
            ("PERSONAL_DATE", "3 december"),
            ("PHONE", "06-87654321"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Triage: faith (pt's first name, 6yo) brought in by mum at 02:10, fever 39.4. Mum's "
            "mobile 0412 555 019. Family visiting from Darwin."
        ),
        (
            ("PERSON", "faith"),
            ("PHONE", "0412 555 019"),
            ("LOCATION", "Darwin"),
        ),
        "clinical",
    ),
    # Indonesian
    Labelled(
        (
            "Catatan perawat: Ny. Dewi Lestari, lahir 17-08-1965, kontrol pasca operasi tanggal 9 "
            "Desember 2026. Alamat Jl. Dago No. 45, Bandung 40135."
        ),
        (
            ("PERSON", "Dewi Lestari"),
            ("DATE_OF_BIRTH", "17-08-1965"),
            ("PERSONAL_DATE", "9 Desember 2026"),
            ("ADDRESS", "Jl. Dago No. 45, Bandung 40135"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Claim line: patient ASEL TOKTOGULOVA, svc date 11/03/2026, CPT 99213, billed to card "
            "6230 5363 2811 9799 612 (UnionPay). Pt relocated to Bishkek."
        ),
        (
            ("PERSON", "ASEL TOKTOGULOVA"),
            ("PERSONAL_DATE", "11/03/2026"),
            ("CREDIT_CARD", "6230 5363 2811 9799 612"),
            ("LOCATION", "Bishkek"),
        ),
        "clinical",
    ),
    # Swedish
    Labelled(
        (
            "Journalanteckning: patienten Astrid Berg, född 1944-12-01, inkom 2026-12-03 med "
            "lunginflammation. Bor i Umeå, anhörig son Johan nås på 070-987 65 43."
        ),
        (
            ("PERSON", "Astrid Berg"),
            ("DATE_OF_BIRTH", "1944-12-01"),
            ("PERSONAL_DATE", "2026-12-03"),
            ("LOCATION", "Umeå"),
            ("PERSON", "Johan"),
            ("PHONE", "070-987 65 43"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Vaccination record: Baby boy Tauiliili (DOB 30 Oct 2026), 6-week shots due 11 Dec "
            "2026. Parent: Malia Tauiliili, 17 Moana St, Otara, Auckland 2023."
        ),
        (
            ("PERSON", "Tauiliili"),
            ("DATE_OF_BIRTH", "30 Oct 2026"),
            ("PERSONAL_DATE", "11 Dec 2026"),
            ("PERSON", "Malia Tauiliili"),
            ("ADDRESS", "17 Moana St, Otara, Auckland 2023"),
        ),
        "clinical",
    ),
    # Turkish
    Labelled(
        (
            "Hasta notu: Zeynep Arslan, doğum tarihi 21.05.1988, 14 Aralık 2026 tarihinde kontrol "
            "randevusu. Telefon +90 532 555 41 20."
        ),
        (
            ("PERSON", "Zeynep Arslan"),
            ("DATE_OF_BIRTH", "21.05.1988"),
            ("PERSONAL_DATE", "14 Aralık 2026"),
            ("PHONE", "+90 532 555 41 20"),
        ),
        "clinical",
    ),
    # English
    Labelled(
        (
            "hey its marisol, the insurance portal keeps saying my ssn 987654320 doesnt match?? i "
            "typed it right 3x 😤 dob 5/14/89 if that helps"
        ),
        (
            ("PERSON", "marisol"),
            ("US_SSN", "987654320"),
            ("DATE_OF_BIRTH", "5/14/89"),
        ),
        "chat",
    ),
    # English
    Labelled(
        (
            "Member intake: Darnell Brooks, SSN 987 65 4324, home 1180 Peachtree St NE Apt 12, "
            "Atlanta, GA 30309, cell (404) 555-0177. Plan: PPO Silver."
        ),
        (
            ("PERSON", "Darnell Brooks"),
            ("US_SSN", "987 65 4324"),
            ("ADDRESS", "1180 Peachtree St NE Apt 12, Atlanta, GA 30309"),
            ("PHONE", "(404) 555-0177"),
        ),
        "crm",
    ),
    # English
    Labelled(
        (
            '{"event":"kyc.verify","applicant":"Mei-Ling '
            'Chou","ssn":"987-65-4326","ip":"2001:db8:85a3::8a2e:370:7334","result":"manual_review"}'
        ),
        (
            ("PERSON", "Mei-Ling Chou"),
            ("US_SSN", "987-65-4326"),
            ("IP", "2001:db8:85a3::8a2e:370:7334"),
        ),
        "log",
    ),
    # English
    Labelled(
        (
            "# fixture copied from prod -- scrub before merging!\n"
            'MEMBERS = [("Kalani Akana", "987-65-4329", "1979-09-09", "Honolulu")]'
        ),
        (
            ("PERSON", "Kalani Akana"),
            ("US_SSN", "987-65-4329"),
            ("DATE_OF_BIRTH", "1979-09-09"),
            ("LOCATION", "Honolulu"),
        ),
        "code",
    ),
    # English
    Labelled(
        (
            "Billing dispute #6612: guarantor Oksana Hrytsenko (SSN 987-65-4322) disputes the "
            "charge for her son's ER visit on 2026-11-18. Callback +1 312 555 0148."
        ),
        (
            ("PERSON", "Oksana Hrytsenko"),
            ("US_SSN", "987-65-4322"),
            ("PERSONAL_DATE", "2026-11-18"),
            ("PHONE", "+1 312 555 0148"),
        ),
        "ticket",
    ),
)
CLEAN_TEXTS: tuple[Labelled, ...] = (
    # English
    Labelled(
        (
            "hi! does the Marriott Bonvoy integration support late checkout requests yet? asking "
            "for our front-desk team, thx 🙏"
        ),
        (),
        "chat",
    ),
    # English
    Labelled(
        ("lol the app crashed again on android 14 when i tap 'Track Return' 😭 v5.12.3 build 20261201"),
        (),
        "chat",
    ),
    # Spanish
    Labelled(
        ("hola, ¿hacen envíos a Canarias o solo a la península? y cuánto tarda una devolución normalmente?"),
        (),
        "chat",
    ),
    # Portuguese
    Labelled(
        "vcs aceitam pix ou só cartão? e o frete pra Manaus é grátis acima de R$ 199?",
        (),
        "chat",
    ),
    # Indonesian
    Labelled(
        "min, promo 12.12 masih berlaku gak? kode voucher HARBOLNAS26 kok gagal terus ya",
        (),
        "chat",
    ),
    # English
    Labelled(
        (
            "which is cheaper for a week in March — Lisbon or Porto? and do your hotels there have "
            "airport shuttles?"
        ),
        (),
        "chat",
    ),
    # French
    Labelled(
        "bonjour, est-ce que la chambre Deluxe Vue Mer comprend le petit-déjeuner ? merci",
        (),
        "chat",
    ),
    # English
    Labelled(
        (
            "Ticket #40233: Return label PDF renders blank in Safari 17.4. Steps: Orders > Returns "
            "> Print label. Expected: label. Actual: white page. Severity P3."
        ),
        (),
        "ticket",
    ),
    # German
    Labelled(
        (
            "Ticket 2026-1201: Der Button „Rückgabe starten“ ist im Checkout ausgegraut, wenn der "
            "Warenkorb mehr als 20 Artikel enthält. Betrifft Release 4.8.0."
        ),
        (),
        "ticket",
    ),
    # English
    Labelled(
        (
            "JIRA OPS-771: Grace period for policy renewals should be 30 days, not 14. Reported by "
            "the Claims Ops team; due before the 2027-01-01 regulatory change."
        ),
        (),
        "ticket",
    ),
    # Spanish
    Labelled(
        (
            "Incidencia 8120: el filtro 'Fecha de salida' del buscador de vuelos ignora la zona "
            "horaria de Buenos Aires. Versión web 3.22.1."
        ),
        (),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Feature request: let Hope Street Pharmacy branches share one inventory pool. Linked "
            "tickets: SUP-4410, SUP-4412."
        ),
        (),
        "ticket",
    ),
    # Italian
    Labelled(
        (
            "Segnalazione 9931: il PDF della fattura mostra l'IVA al 22% anche per gli ordini "
            "spediti in Svizzera. Priorità media."
        ),
        (),
        "ticket",
    ),
    # English
    Labelled(
        (
            "Account: Northwind Travel GmbH | Tier: Enterprise | Seats: 450 | Renewal: 2027-03-31 "
            "| Owner: EMEA Sales | Industry: Hospitality"
        ),
        (),
        "crm",
    ),
    # English
    Labelled(
        (
            "Opportunity 'Summit Health rollout' moved to stage 'Negotiation'. Amount 184,000 EUR. "
            "Close date Q1 FY27. Competitor: Contoso Care."
        ),
        (),
        "crm",
    ),
    # Dutch
    Labelled(
        (
            "Organisatie: Zorgverzekeraar Midden BV, afdeling Inkoop. Contract loopt tot "
            "31-12-2027. Notitie: wil een demo van de claimsmodule."
        ),
        (),
        "crm",
    ),
    # Polish
    Labelled(
        (
            "Firma: Bałtyk Hotele Sp. z o.o., 12 obiektów w Polsce. Status: klient aktywny od "
            "2023. Następny przegląd umowy: luty 2027."
        ),
        (),
        "crm",
    ),
    # English
    Labelled(
        (
            "Segment: 'Frequent flyers – Gold' (12,480 contacts). Campaign 'Winter Sun 2027' "
            "scheduled for Jan 5, 09:00 UTC. Channel: email + push."
        ),
        (),
        "crm",
    ),
    # Swedish
    Labelled(
        (
            "Konto: Nordkap Resor AB. Bransch: turism. Antal licenser: 75. Förnyelse 2027-04-30. "
            "Kontaktväg: supportportalen."
        ),
        (),
        "crm",
    ),
    # English
    Labelled(
        (
            "Hi all,\n"
            "\n"
            "Reminder that the Q4 release freeze starts on Friday, 12 December. Please merge "
            "anything for v6.0 before then.\n"
            "\n"
            "Thanks,\n"
            "Release Engineering"
        ),
        (),
        "email",
    ),
    # German
    Labelled(
        (
            "Hallo zusammen,\n"
            "\n"
            "die Wartung der Buchungsplattform findet am Sonntag, 14.12., zwischen 02:00 und 04:00 "
            "Uhr statt. Es ist keine Aktion erforderlich.\n"
            "\n"
            "Viele Grüße\n"
            "Ihr IT-Betrieb"
        ),
        (),
        "email",
    ),
    # English
    Labelled(
        (
            "Dear customer,\n"
            "\n"
            "Your return for order #A-772190 has been received at our Rotterdam warehouse. Refunds "
            "are usually processed within 5–7 business days.\n"
            "\n"
            "The Returns Team"
        ),
        (),
        "email",
    ),
    # French
    Labelled(
        (
            "Bonjour,\n"
            "\n"
            "Notre nouvelle offre Assurance Voyage Plus est disponible dès le 1er janvier 2027 "
            "pour tous les séjours en Europe.\n"
            "\n"
            "L'équipe Produit"
        ),
        (),
        "email",
    ),
    # English
    Labelled(
        (
            "Team — the Paris offsite is moved to the Lyon office (same dates, 19–21 Jan). Budget "
            "code TRV-2027-04. Agenda to follow.\n"
            "\n"
            "— People Ops"
        ),
        (),
        "email",
    ),
    # Turkish
    Labelled(
        (
            "Merhaba,\n"
            "\n"
            "Yeni iade politikamız 1 Ocak 2027 itibarıyla geçerli olacaktır. Detaylar için yardım "
            "merkezimizi ziyaret edebilirsiniz.\n"
            "\n"
            "Müşteri Hizmetleri"
        ),
        (),
        "email",
    ),
    # English
    Labelled(
        (
            '{"ts":"2026-12-06T21:15:00Z","level":"info","svc":"returns-api","msg":"batch '
            'refund job finished","processed":1284,"failed":3,"duration_ms":48211}'
        ),
        (),
        "log",
    ),
    # English
    Labelled(
        (
            "2026-12-06 08:00:01 INFO  scheduler  cron=0 8 * * * job=expire_holds released=37 "
            "region=eu-west-1 version=2.14.0"
        ),
        (),
        "log",
    ),
    # English
    Labelled(
        (
            "Events:\n"
            '  Normal  Pulled   3s  kubelet  Container image "ghcr.io/acme/booking-api:1.42.7" '
            "already present on machine\n"
            "  Normal  Started  2s  kubelet  Started container booking-api"
        ),
        (),
        "log",
    ),
    # English
    Labelled(
        (
            "Run #4413 (ci/test.yml) — 1,204 passed, 2 skipped, 0 failed in 6m41s. Artifact: "
            "coverage-report.zip (sha256 9f2c4e1a7b3d…)."
        ),
        (),
        "log",
    ),
    # English
    Labelled(
        ("WARN  pool: connection to 10.0.4.17:5432 reset; retrying in 2s (attempt 3/5) db=claims_prod"),
        (),
        "log",
    ),
    # Spanish
    Labelled(
        ("[INFO] sincronización de inventario completada: 8.412 productos, 17 almacenes, duración 00:03:12"),
        (),
        "log",
    ),
    # English
    Labelled(
        (
            'nginx: 10.12.0.8 - - [06/Dec/2026:09:14:23 +0000] "GET /healthz HTTP/1.1" 200 2 '
            '"-" "kube-probe/1.30"'
        ),
        (),
        "log",
    ),
    # English
    Labelled(
        (
            "def luhn_checksum(number: str) -> int:\n"
            "    digits = [int(d) for d in number]\n"
            "    odd = digits[-1::-2]\n"
            "    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]\n"
            "    return (sum(odd) + sum(even)) % 10"
        ),
        (),
        "code",
    ),
    # English
    Labelled(
        (
            "SELECT region, COUNT(*) AS returns, AVG(refund_amount) FROM returns WHERE created_at "
            ">= DATE '2026-11-01' GROUP BY region ORDER BY returns DESC;"
        ),
        (),
        "code",
    ),
    # English
    Labelled(
        (
            "class PatientAdmissionService:\n"
            "    def admit(self, ward_id: str, bed: int, admitted_at: datetime) -> Admission:\n"
            "        ..."
        ),
        (),
        "code",
    ),
    # English
    Labelled(
        (
            'git tag -a v3.9.0 -m "Release 3.9.0: faster checkout, new Apple Pay flow" && git '
            "push origin v3.9.0"
        ),
        (),
        "code",
    ),
    # English
    Labelled(
        (
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "metadata:\n"
            "  name: hotel-search\n"
            "spec:\n"
            "  replicas: 3\n"
            "  template:\n"
            "    spec:\n"
            "      containers:\n"
            "        - name: api\n"
            "          image: registry.example.com/hotel-search:2026.12.1"
        ),
        (),
        "code",
    ),
    # German
    Labelled(
        (
            "# Konstante für den Mehrwertsteuersatz in Österreich\n"
            'MWST_AT = Decimal("0.20")\n'
            'STANDARD_LAND = "DE"'
        ),
        (),
        "code",
    ),
    # English
    Labelled(
        (
            "const IBAN_REGEX = /^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$/;\n"
            "export function isIban(value: string): boolean { return "
            'IBAN_REGEX.test(value.replace(/\\s+/g, "")); }'
        ),
        (),
        "code",
    ),
    # English
    Labelled(
        (
            "Ward 4B bed occupancy at 06:00: 22/24. Two beds blocked for infection control. Next "
            "audit: Monday."
        ),
        (),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Protocol update: sepsis screening now uses NEWS2 ≥ 5 as the trigger. Effective from "
            "2027-01-15 across all sites."
        ),
        (),
        "clinical",
    ),
    # Spanish
    Labelled(
        (
            "Guía clínica: la dosis de paracetamol en adultos no debe superar 4 g al día. Revisión "
            "prevista para marzo de 2027."
        ),
        (),
        "clinical",
    ),
    # Portuguese
    Labelled(
        (
            "Boletim da UTI: 14 leitos ocupados, 2 em manutenção. Plantão noturno reforçado com "
            "equipe da cardiologia."
        ),
        (),
        "clinical",
    ),
    # English
    Labelled(
        (
            "Formulary note: Atorvastatin 20 mg replaced by 40 mg strength in the Parkinson Ward "
            "stock list; Addison Road pharmacy notified."
        ),
        (),
        "clinical",
    ),
    # Italian
    Labelled(
        (
            "Avviso: l'ambulatorio di Cardiologia resterà chiuso il 24 e 31 dicembre. Le visite "
            "saranno riprogrammate automaticamente."
        ),
        (),
        "clinical",
    ),
)
NAME_ORIGINS: dict[str, str] = {
    "kwame asante": "west_african",
    "Fatoumata Diallo": "west_african",
    "GRACE OKAFOR": "west_african",
    "yaw.boateng": "west_african",
    "chidi.okeke": "west_african",
    "Adaeze Okonkwo": "west_african",
    "Emeka Nwosu": "west_african",
    "Ngozi": "west_african",
    "Eze": "west_african",
    "Olumide Adeyemi": "west_african",
    "abebe tesfaye": "east_african",
    "selam": "east_african",
    "Wanjiru K.": "east_african",
    "Neema Mwakyusa": "east_african",
    "@mwangi-dev": "east_african",
    "Thandiwe": "southern_african",
    "sipho.dlamini": "southern_african",
    "Sipho Dlamini": "southern_african",
    "Lerato Mokoena": "southern_african",
    "Precious Moyo": "southern_african",
    "PRIYA RAGHUNATHAN": "south_asian",
    "priya ragunathan": "south_asian",
    "Farhan Chowdhury": "south_asian",
    "Arjun Mehta": "south_asian",
    "Arjun": "south_asian",
    "Perera": "south_asian",
    "sunita-k": "south_asian",
    "Sunita Kulkarni": "south_asian",
    "ravi": "south_asian",
    "Mei-Ling Chou": "east_asian",
    "Haruto Sato": "east_asian",
    "Lin Yuting": "east_asian",
    "Tina": "east_asian",
    "KIM MIN-JI": "east_asian",
    "Wei Zhang": "east_asian",
    "Haruka Ito": "east_asian",
    "Hana Suzuki": "east_asian",
    "Ji-woo Park": "east_asian",
    "Siti Rahayu": "southeast_asian",
    "trần văn minh": "southeast_asian",
    "Budi Santoso": "southeast_asian",
    "Nguyễn Thị Lan": "southeast_asian",
    "Dewi Lestari": "southeast_asian",
    "Omar Al-Farsi": "arabic",
    "Youssef El-Amrani": "arabic",
    "Layla Haddad": "arabic",
    "Karim": "arabic",
    "Mariam Yusuf": "arabic",
    "Dariush Kazemi": "persian",
    "Shirin": "persian",
    "Mohammed Rahimi": "persian",
    "Kaveh Rostami": "persian",
    "Hamid Sultani": "persian",
    "Elif Yıldız": "turkish",
    "Mehmet Öztürk": "turkish",
    "Ayşe Kaya": "turkish",
    "Zeynep Arslan": "turkish",
    "Oksana Hrytsenko": "slavic",
    "kasia wiśniewska": "slavic",
    "Jana Nováková": "slavic",
    "Dmitri V.": "slavic",
    "@dvolkov": "slavic",
    "Bogdan Zieliński": "slavic",
    "Kowalczyk": "slavic",
    "Zofia Kamińska": "slavic",
    "Sigrid Lindqvist": "nordic",
    "Erik Haugen": "nordic",
    "Aino": "nordic",
    "Helga Sørensen": "nordic",
    "Astrid Berg": "nordic",
    "Johan": "nordic",
    "marisol": "latin_american",
    "thaís barbosa": "latin_american",
    "camila restrepo": "latin_american",
    "Joaquín Ferreyra": "latin_american",
    "Luz Marina Quispe": "latin_american",
    "Thiago Barbosa": "latin_american",
    "María José Fuentes": "latin_american",
    "João Pedro Nunes": "latin_american",
    "Guadalupe Ríos": "latin_american",
    "Rodrigo Alvarado Peña": "latin_american",
    "Kalani Akana": "pacific",
    "Aroha Ngata": "pacific",
    "Sione Tupou": "pacific",
    "Leilani Kahale": "pacific",
    "Tevita Fifita": "pacific",
    "Koa Makoa": "pacific",
    "Tauiliili": "pacific",
    "Malia Tauiliili": "pacific",
    "Darnell Brooks": "anglo",
    "jules": "anglo",
    "sunny": "anglo",
    "rob": "anglo",
    "@hope_m": "anglo",
    "hope": "anglo",
    "Bethany Crowther": "anglo",
    "bill.harrow": "anglo",
    "Bill": "anglo",
    "Tom Ashby": "anglo",
    "Thomas J. Ashby": "anglo",
    "Marcus": "anglo",
    "DeShawn Williams": "anglo",
    "Rose Whitfield": "anglo",
    "Amber": "anglo",
    "J.K.": "anglo",
    "faith": "anglo",
    "Aigerim": "central_asian",
    "Nurlanovna": "central_asian",
    "dilnoza.yusupova": "central_asian",
    "timur.rakhimov": "central_asian",
    "Nilufar Karimova": "central_asian",
    "ASEL TOKTOGULOVA": "central_asian",
    "jean-baptiste moreau": "western_european",
    "matthias vogel": "western_european",
    "lotte van der berg": "western_european",
    "Giulia De Santis": "western_european",
    "Katrin Hoffmann-Berg": "western_european",
    "Marco Bellandi": "western_european",
    "De Vries-Bakker": "western_european",
    "Lena Schäfer": "western_european",
    "Chiara Lombardi": "western_european",
    "Sanne Jansen": "western_european",
    "Jürgen Meißner": "western_european",
    "Gruber": "western_european",
    "Léa Fontaine": "western_european",
    "Anneliese Brandt": "western_european",
    "Rosaria Esposito": "western_european",
    "Pieter de Graaf": "western_european",
    "Beatriz da Silva": "iberian",
    "Valentina Ortiz Gil": "iberian",
    "Mateus Carvalho": "iberian",
    "ana.lucia": "iberian",
    "Ana Lúcia Ferreira": "iberian",
    "Francisca Sousa": "iberian",
}
