"""An eleventh labelled PII corpus, written blind for issue 17.

Written in December 2026 by an eleventh author who never read the recognizers, the benchmarks or the
other corpora. It leans toward HR, recruiting and payroll; property management and rentals; telecom,
energy and water utility customer service; legal and notary offices; speech-to-text call transcripts
(no punctuation, spelled-out numbers, "Agent:"/"Caller:" turns); messages mixing two languages; and
summaries an LLM wrote about a customer. About 40 % of the texts are not in English (Spanish,
Portuguese, French, German, Italian, Dutch, Polish, Swedish, Norwegian, Turkish, Indonesian,
Vietnamese, Finnish-Swedish). Every value is invented: SSNs 987-65-432x, documentation IPs, reserved
e-mail domains, Luhn-valid made-up cards, mod-97-valid made-up IBANs, random provider-shaped keys.
"""

# ruff: noqa: RUF001

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # ---- chat: utilities, telecom, rentals, HR (English and mixed) ----
    Labelled(
        "hi my names Kwabena Mensah-Bonsu, the water meter at 14 Palm Grove Road, Ealing W5 2QT is leaking "
        "since tues. acct holder is me, call back on 07700 900417 pls",
        (
            ("PERSON", "Kwabena Mensah-Bonsu"),
            ("ADDRESS", "14 Palm Grove Road, Ealing W5 2QT"),
            ("PHONE", "07700 900417"),
        ),
        "chat",
    ),
    Labelled(
        "user: hey its tiwa again lol, the fibre box still blinks red. i moved to Ibadan last month so maybe "
        "the line transfer didnt go thru?",
        (("PERSON", "tiwa"), ("LOCATION", "Ibadan")),
        "chat",
    ),
    Labelled(
        "Agent: thanks for holding can I get your full name please Caller: yeah it's Priyanka Raghunathan "
        "Agent: and the date of birth on the account Caller: fourteenth of march 1988 Agent: lovely and a "
        "contact number Caller: oh seven seven double oh nine double oh three one two",
        (
            ("PERSON", "Priyanka Raghunathan"),
            ("DATE_OF_BIRTH", "fourteenth of march 1988"),
            ("PHONE", "oh seven seven double oh nine double oh three one two"),
        ),
        "chat",
    ),
    Labelled(
        "Agent: electricity support this is Dana speaking Caller: hi um I'm calling about my bill my name is "
        "Tomasz Wiśniewski W I S N I E W S K I Caller: the address is flat 3 22 Harbour Street Leith "
        "Edinburgh EH6 6LN",
        (
            ("PERSON", "Dana"),
            ("PERSON", "Tomasz Wiśniewski"),
            ("PERSON", "W I S N I E W S K I"),
            ("ADDRESS", "flat 3 22 Harbour Street Leith Edinburgh EH6 6LN"),
        ),
        "chat",
    ),
    Labelled(
        "Caller: my card number is uh 4265 8261 0549 6244 Agent: and the expiry Caller: "
        "oh nine twenty eight Agent: thank you Mr Okonkwo I'll take that payment now",
        (("CREDIT_CARD", "4265 8261 0549 6244"), ("PERSON", "Okonkwo")),
        "chat",
    ),
    Labelled(
        "hola buenas, soy Ximena Quispe Mamani, el contrato del piso de la calle Toledo 48, 3º izq, 28005 "
        "Madrid vence en marzo y quería saber si puedo renovar. mi móvil es 612 345 078",
        (
            ("PERSON", "Ximena Quispe Mamani"),
            ("ADDRESS", "calle Toledo 48, 3º izq, 28005 Madrid"),
            ("PHONE", "612 345 078"),
        ),
        "chat",
    ),
    Labelled(
        "oi, aqui é a Joana Sardinha, a fatura da luz veio com o NIF errado. pode mandar pro meu email "
        "joana.sardinha@example.com? obrigada",
        (("PERSON", "Joana Sardinha"), ("EMAIL", "joana.sardinha@example.com")),
        "chat",
    ),
    Labelled(
        "bonjour, je suis Aïssatou Ndiaye, j'ai déménagé à Dakar et je veux résilier ma box. my english is "
        "better for writing so: please cancel from next month, number on contract +221 77 412 09 88",
        (("PERSON", "Aïssatou Ndiaye"), ("LOCATION", "Dakar"), ("PHONE", "+221 77 412 09 88")),
        "chat",
    ),
    Labelled(
        "hallo, ich bin der Mieter aus der Wohnung 4 links, Lukas Brandstätter. Die Heizung geht seit "
        "gestern nicht, i tried to reset it like the video says but nothing. Tel 0171 4402918",
        (("PERSON", "Lukas Brandstätter"), ("PHONE", "0171 4402918")),
        "chat",
    ),
    Labelled(
        "candidate chat: hi! this is Rangi, I applied for the warehouse lead role. I'm based in Rotorua so "
        "the Hamilton site would be a 90 min drive, is hybrid ok?",
        (("PERSON", "Rangi"), ("LOCATION", "Rotorua")),
        "chat",
    ),
    Labelled(
        "payroll bot > hi Summer, your payslip for November is ready. Summer > it still has my old bank "
        "acct, new one is GB84 MIDL 7392 4363 1555 25 pls update before the 25th",
        (("PERSON", "Summer"), ("IBAN", "GB84 MIDL 7392 4363 1555 25")),
        "chat",
    ),
    Labelled(
        "merhaba, ben Elif Yıldırım-Kaya. kira ödemesini bu hesaptan yapacağım: TR14 4671 0086 2663 5583 "
        "6341 97, makbuzu elif.yk@example.org adresine atar mısınız?",
        (
            ("PERSON", "Elif Yıldırım-Kaya"),
            ("IBAN", "TR14 4671 0086 2663 5583 6341 97"),
            ("EMAIL", "elif.yk@example.org"),
        ),
        "chat",
    ),
    Labelled(
        "halo kak, saya Putu Ayu Wulandari, tagihan PDAM bulan ini naik banget padahal rumah kosong, saya "
        "lagi di Denpasar. nomor WA 0812-3456-7702 ya",
        (("PERSON", "Putu Ayu Wulandari"), ("LOCATION", "Denpasar"), ("PHONE", "0812-3456-7702")),
        "chat",
    ),
    Labelled(
        "chào bạn, mình là Nguyễn Thị Thu Hà, sinh ngày 02/09/1994, muốn đổi tên chủ hợp đồng internet. "
        "sđt 090 318 4476",
        (
            ("PERSON", "Nguyễn Thị Thu Hà"),
            ("DATE_OF_BIRTH", "02/09/1994"),
            ("PHONE", "090 318 4476"),
        ),
        "chat",
    ),
    Labelled(
        "Caller: yeah hi it's bilal bilal chaudhry I rang last week about the boiler engineer Agent: "
        "I can see that Mr Chaudhry the visit is booked for Thursday the 18th of December between eight and "
        "twelve",
        (
            ("PERSON", "bilal chaudhry"),
            ("PERSON", "Chaudhry"),
            ("PERSON", "bilal"),
            ("PERSONAL_DATE", "Thursday the 18th of December"),
        ),
        "chat",
    ),
    Labelled(
        'cześć, tu Zbigniew "Zbyszek" Kowalczyk, proszę o zmianę numeru do faktur na 501 220 874 i '
        "adresu na ul. Długa 17/4, 80-827 Gdańsk. dzięki!",
        (
            ("PERSON", 'Zbigniew "Zbyszek" Kowalczyk'),
            ("PHONE", "501 220 874"),
            ("ADDRESS", "ul. Długa 17/4, 80-827 Gdańsk"),
        ),
        "chat",
    ),
    Labelled(
        "hej! jag heter Sigrid Lindqvist och bor numera i Umeå. kan ni flytta mitt elavtal från den 1 "
        "februari? ring gärna 070-412 88 31",
        (
            ("PERSON", "Sigrid Lindqvist"),
            ("LOCATION", "Umeå"),
            ("PERSONAL_DATE", "den 1 februari"),
            ("PHONE", "070-412 88 31"),
        ),
        "chat",
    ),
    Labelled(
        "ciao, sono Giancarlo De Santis, vorrei domiciliare le bollette del gas sull'IBAN "
        "IT20K2914673970129996522517. grazie mille, ci sentiamo",
        (("PERSON", "Giancarlo De Santis"), ("IBAN", "IT20K2914673970129996522517")),
        "chat",
    ),
    Labelled(
        "Agent: can you confirm the last four of your social Caller: the whole thing is "
        "987 65 4321 Agent: thank you Ms Begaye",
        (("US_SSN", "987 65 4321"), ("PERSON", "Begaye")),
        "chat",
    ),
    Labelled(
        "goedemiddag, Femke van der Berg-Hoekstra hier. de huurbetaling gaat voortaan via NL40 RABO 7695 "
        "3368 07. kunt u de oude incasso stopzetten?",
        (("PERSON", "Femke van der Berg-Hoekstra"), ("IBAN", "NL40 RABO 7695 3368 07")),
        "chat",
    ),
    # ---- ticket ----
    Labelled(
        "TICKET #48211 [Telecom / Porting]\nCustomer: Olumide Adeyemi-Bakare\nNumber to port: +44 7700 "
        "900 582\nNotes: customer relocated to Manchester, wants same number on new SIM.",
        (
            ("PERSON", "Olumide Adeyemi-Bakare"),
            ("PHONE", "+44 7700 900 582"),
            ("LOCATION", "Manchester"),
        ),
        "ticket",
    ),
    Labelled(
        "INC-20931 Tenant reports mould in bathroom. Unit: 7B, 301 Birchwood Ave, Toronto ON M6P 2R4. "
        "Tenant: Hyun-woo Park (hyunwoo.park@example.net). Inspection booked 2027-01-08 10:00.",
        (
            ("ADDRESS", "301 Birchwood Ave, Toronto ON M6P 2R4"),
            ("PERSON", "Hyun-woo Park"),
            ("EMAIL", "hyunwoo.park@example.net"),
            ("PERSONAL_DATE", "2027-01-08 10:00"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 7712 - Gas meter reading dispute\nReporter: MARGARET O'SULLIVAN\nPhone: (555) 010-4471\n"
        "Says estimated reading is wrong, actual reading photo attached.",
        (("PERSON", "MARGARET O'SULLIVAN"), ("PHONE", "(555) 010-4471")),
        "ticket",
    ),
    Labelled(
        "[HR-ONBOARD-552] New hire Aziz Karimov starts 12 Jan. Needs laptop + badge. Relocating from "
        "Tashkent, temp address: 88 Queen St, Auckland 1010. Payroll IBAN to follow.",
        (
            ("PERSON", "Aziz Karimov"),
            ("PERSONAL_DATE", "12 Jan"),
            ("LOCATION", "Tashkent"),
            ("ADDRESS", "88 Queen St, Auckland 1010"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket #PAY-3390: Employee Sione Taufa reports missing overtime on payslip. SSN on W-2 is "
        "987-65-4322, address on file 1450 Mission Blvd Apt 12, Hayward CA 94541.",
        (
            ("PERSON", "Sione Taufa"),
            ("US_SSN", "987-65-4322"),
            ("ADDRESS", "1450 Mission Blvd Apt 12, Hayward CA 94541"),
        ),
        "ticket",
    ),
    Labelled(
        "Störungsmeldung 2026-4471: Kunde Herr Jörg Pfeiffer, Lindenstraße 9, 04109 Leipzig, meldet "
        "Wasserdruck zu niedrig. Rückruf erbeten unter +49 341 2290 173.",
        (
            ("PERSON", "Jörg Pfeiffer"),
            ("ADDRESS", "Lindenstraße 9, 04109 Leipzig"),
            ("PHONE", "+49 341 2290 173"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 55021 (notariat): Mme Hélène Chevalier-Roux, née le 23 juillet 1961, demande une copie de "
        "l'acte de vente signé le 4 octobre 2019. Adresse: 12 rue des Tanneurs, 67000 Strasbourg.",
        (
            ("PERSON", "Hélène Chevalier-Roux"),
            ("DATE_OF_BIRTH", "23 juillet 1961"),
            ("PERSONAL_DATE", "4 octobre 2019"),
            ("ADDRESS", "12 rue des Tanneurs, 67000 Strasbourg"),
        ),
        "ticket",
    ),
    Labelled(
        "SR-88104 | billing | Customer Mei Ling Tan disputes card charge on 5554 2088 7569 4646. Wants "
        "refund to same card. Lives in Penang, prefers WhatsApp +60 12-408 7731.",
        (
            ("PERSON", "Mei Ling Tan"),
            ("CREDIT_CARD", "5554 2088 7569 4646"),
            ("LOCATION", "Penang"),
            ("PHONE", "+60 12-408 7731"),
        ),
        "ticket",
    ),
    Labelled(
        "Chamado 30917: cliente Thiago Albuquerque Nóbrega informa vazamento no hidrômetro. Endereço: Rua "
        "das Acácias, 215 - Pinheiros, São Paulo - SP, 05422-010. Tel (11) 98765-4310.",
        (
            ("PERSON", "Thiago Albuquerque Nóbrega"),
            ("ADDRESS", "Rua das Acácias, 215 - Pinheiros, São Paulo - SP, 05422-010"),
            ("PHONE", "(11) 98765-4310"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket #6620 — recruiting portal: applicant Dilnoza Yusupova cannot upload CV. Browser error from "
        "IP 203.0.113.87. She asks to be contacted at dilnoza.y@example.com.",
        (
            ("PERSON", "Dilnoza Yusupova"),
            ("IP", "203.0.113.87"),
            ("EMAIL", "dilnoza.y@example.com"),
        ),
        "ticket",
    ),
    Labelled(
        "Zgłoszenie 1182: najemca Agnieszka Wróbel-Nowak zgłasza awarię domofonu. Mieszkanie przy ul. "
        "Piotrkowska 120/8, 90-006 Łódź. Termin wizyty technika: 15.01.2027.",
        (
            ("PERSON", "Agnieszka Wróbel-Nowak"),
            ("ADDRESS", "ul. Piotrkowska 120/8, 90-006 Łódź"),
            ("PERSONAL_DATE", "15.01.2027"),
        ),
        "ticket",
    ),
    Labelled(
        "TKT-4409 Broadband outage. Cust: Ngozi Eze. Router WAN IP 198.51.100.23, last seen 03:12 UTC. "
        "Cust WFH, needs urgent fix, alt contact 555-0147.",
        (("PERSON", "Ngozi Eze"), ("IP", "198.51.100.23"), ("PHONE", "555-0147")),
        "ticket",
    ),
    Labelled(
        "Ärende 2291: hyresgäst Oskar Nyström, Storgatan 14 lgh 1102, 903 26 Umeå. Vill säga upp "
        "kontraktet, flyttar till Trondheim. Inflyttningsbesiktning gjordes 2024-05-02.",
        (
            ("PERSON", "Oskar Nyström"),
            ("ADDRESS", "Storgatan 14 lgh 1102, 903 26 Umeå"),
            ("LOCATION", "Trondheim"),
            ("PERSONAL_DATE", "2024-05-02"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket #9031 Legal: client Reza Tehrani-Farahani asks to reschedule will signing with notary from "
        "9 Feb to 16 Feb. Mobile 0412 555 019.",
        (
            ("PERSON", "Reza Tehrani-Farahani"),
            ("PERSONAL_DATE", "9 Feb"),
            ("PERSONAL_DATE", "16 Feb"),
            ("PHONE", "0412 555 019"),
        ),
        "ticket",
    ),
    Labelled(
        "Tiket #7730: pelanggan Budi Santoso melaporkan listrik padam sejak pagi. Alamat: Jl. Kaliurang "
        "Km 5 No. 12, Sleman, Yogyakarta 55281. Token meter dibeli pakai kartu 4297 6215 1602 7619.",
        (
            ("PERSON", "Budi Santoso"),
            ("ADDRESS", "Jl. Kaliurang Km 5 No. 12, Sleman, Yogyakarta 55281"),
            ("CREDIT_CARD", "4297 6215 1602 7619"),
        ),
        "ticket",
    ),
    # ---- crm ----
    Labelled(
        "CRM note (LLM summary): Chidi Okafor is a long-standing residential customer in Enugu. He called "
        "three times about estimated gas bills and is frustrated. Prefers email chidi.okafor@example.org.",
        (
            ("PERSON", "Chidi Okafor"),
            ("LOCATION", "Enugu"),
            ("EMAIL", "chidi.okafor@example.org"),
        ),
        "crm",
    ),
    Labelled(
        "Account summary: The customer, Ana Lucía Ferreyra, moved from Rosario to Córdoba in October and "
        "wants her fibre contract transferred. DOB 1979-11-30. Payment by Amex 3782 061958 74133.",
        (
            ("PERSON", "Ana Lucía Ferreyra"),
            ("LOCATION", "Rosario"),
            ("LOCATION", "Córdoba"),
            ("DATE_OF_BIRTH", "1979-11-30"),
            ("CREDIT_CARD", "3782 061958 74133"),
        ),
        "crm",
    ),
    Labelled(
        "Lead: Hamid Rahimi, senior payroll analyst, currently in Kabul, open to relocation. Phone +93 70 "
        "412 3377. Salary expectation discussed in call on 3 Dec.",
        (
            ("PERSON", "Hamid Rahimi"),
            ("LOCATION", "Kabul"),
            ("PHONE", "+93 70 412 3377"),
            ("PERSONAL_DATE", "3 Dec"),
        ),
        "crm",
    ),
    Labelled(
        "Kontakt: Frau Dr. Annegret Vogelsang-Kühn, Mandantin seit 2015. Testamentseröffnung ihres Vaters am "
        "14.02.2027, 10 Uhr. E-Mail: a.vogelsang@example.org",
        (
            ("PERSON", "Annegret Vogelsang-Kühn"),
            ("PERSONAL_DATE", "14.02.2027, 10 Uhr"),
            ("EMAIL", "a.vogelsang@example.org"),
        ),
        "crm",
    ),
    Labelled(
        "Summary generated by assistant: Mr. Tanaka Hiroshi (prefers 'Hiro') rents unit 2F at 5-12-3 "
        "Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023. He asked about early termination; lease started "
        "2025-04-01.",
        (
            ("PERSON", "Tanaka Hiroshi"),
            ("PERSON", "Hiro"),
            ("ADDRESS", "5-12-3 Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023"),
            ("PERSONAL_DATE", "2025-04-01"),
        ),
        "crm",
    ),
    Labelled(
        "Cliente: Francesca Lo Russo | Nata il 07/05/1990 a Bari | Vive a Torino | Contratto luce+gas "
        "attivato il 12/11/2026 | IBAN IT20 K291 4673 9701 2999 6522 517",
        (
            ("PERSON", "Francesca Lo Russo"),
            ("DATE_OF_BIRTH", "07/05/1990"),
            ("LOCATION", "Torino"),
            ("PERSONAL_DATE", "12/11/2026"),
            ("IBAN", "IT20 K291 4673 9701 2999 6522 517"),
            ("LOCATION", "Bari"),
        ),
        "crm",
    ),
    Labelled(
        "Candidate profile: Lerato Dlamini, 34, Johannesburg. Interview 1 done with Joy (HR). Next: panel "
        "on 20 January 2027. Email lerato.dlamini@example.com, cell 082 555 0193.",
        (
            ("PERSON", "Lerato Dlamini"),
            ("LOCATION", "Johannesburg"),
            ("PERSON", "Joy"),
            ("PERSONAL_DATE", "20 January 2027"),
            ("EMAIL", "lerato.dlamini@example.com"),
            ("PHONE", "082 555 0193"),
        ),
        "crm",
    ),
    Labelled(
        "Nota CRM: Sra. Maria da Graça Figueiredo quer alterar a titularidade do contrato de água para o "
        "filho, Rui. Morada: Rua do Almada 301, 4050-038 Porto. IBAN PT93 2620 1099 8101 3120 3310 8.",
        (
            ("PERSON", "Maria da Graça Figueiredo"),
            ("PERSON", "Rui"),
            ("ADDRESS", "Rua do Almada 301, 4050-038 Porto"),
            ("IBAN", "PT93 2620 1099 8101 3120 3310 8"),
        ),
        "crm",
    ),
    Labelled(
        "Customer 448-201 (Rose Kamau, Nairobi): disconnected for non-payment on 02 Nov, reconnected after "
        "M-Pesa payment. Next of kin Wanjiru Kamau +254 712 555 086.",
        (
            ("PERSON", "Rose Kamau"),
            ("LOCATION", "Nairobi"),
            ("PERSONAL_DATE", "02 Nov"),
            ("PERSON", "Wanjiru Kamau"),
            ("PHONE", "+254 712 555 086"),
        ),
        "crm",
    ),
    Labelled(
        "Notitie: dhr. Bram de Vries (bram_devries88) belde over de eindafrekening energie. Hij verhuist "
        "naar Groningen. Geboortedatum 19-06-1988.",
        (
            ("PERSON", "Bram de Vries"),
            ("PERSON", "bram_devries88"),
            ("LOCATION", "Groningen"),
            ("DATE_OF_BIRTH", "19-06-1988"),
        ),
        "crm",
    ),
    Labelled(
        "LLM summary of call: Caller identified as Fatima Zahra El Idrissi. She is a tenant in Casablanca, "
        "disputes the deposit deduction, and will send photos. Callback booked for Monday 12 January.",
        (
            ("PERSON", "Fatima Zahra El Idrissi"),
            ("LOCATION", "Casablanca"),
            ("PERSONAL_DATE", "Monday 12 January"),
        ),
        "crm",
    ),
    Labelled(
        "Müşteri notu: Kerem Aydın, Kadıköy'de oturuyor, doğum tarihi 11.08.1992. Faturayı kredi kartı "
        "3528 6188 1114 8473 ile ödemek istiyor.",
        (
            ("PERSON", "Kerem Aydın"),
            ("LOCATION", "Kadıköy"),
            ("DATE_OF_BIRTH", "11.08.1992"),
            ("CREDIT_CARD", "3528 6188 1114 8473"),
        ),
        "crm",
    ),
    Labelled(
        "Applicant: Siddharth 'Sid' Venkataraman. Phone +91 98450 12377. Currently in Pune. Offer letter "
        "sent; joining date 2 March 2027. Background check consent given.",
        (
            ("PERSON", "Siddharth 'Sid' Venkataraman"),
            ("PHONE", "+91 98450 12377"),
            ("LOCATION", "Pune"),
            ("PERSONAL_DATE", "2 March 2027"),
        ),
        "crm",
    ),
    Labelled(
        "Kund: Ingrid Haugen. Flyttade från Bergen till Göteborg. Betalar med kort 6011 0144 9746 8624. "
        "Föredrar kontakt via ingrid.haugen@example.net.",
        (
            ("PERSON", "Ingrid Haugen"),
            ("LOCATION", "Bergen"),
            ("LOCATION", "Göteborg"),
            ("CREDIT_CARD", "6011 0144 9746 8624"),
            ("EMAIL", "ingrid.haugen@example.net"),
        ),
        "crm",
    ),
    Labelled(
        "Ghi chú: khách hàng Trần Văn Minh, quê ở Huế, hiện sống ở Đà Nẵng. Đổi gói cước từ ngày "
        "15/12/2026. Email minh.tran@example.com.",
        (
            ("PERSON", "Trần Văn Minh"),
            ("LOCATION", "Huế"),
            ("LOCATION", "Đà Nẵng"),
            ("PERSONAL_DATE", "15/12/2026"),
            ("EMAIL", "minh.tran@example.com"),
        ),
        "crm",
    ),
    Labelled(
        "Account holder: ROBIN HOLLOWAY-GRANT. Tenant since 2021. Rent paid by standing order from "
        "GB84MIDL73924363155525. Note: Robin asked that post go to their sister Hope.",
        (
            ("PERSON", "ROBIN HOLLOWAY-GRANT"),
            ("IBAN", "GB84MIDL73924363155525"),
            ("PERSON", "Robin"),
            ("PERSON", "Hope"),
        ),
        "crm",
    ),
    # ---- email ----
    Labelled(
        "Subject: Tenancy renewal\n\nDear Ms Achterberg,\n\nPlease find attached the renewal for 42 "
        "Kingfisher Close, Bristol BS3 4RT. Kindly sign and return by Friday.\n\nKind regards,\nOwen "
        "Pritchard\nLettings Manager\n0117 496 0312",
        (
            ("PERSON", "Achterberg"),
            ("ADDRESS", "42 Kingfisher Close, Bristol BS3 4RT"),
            ("PERSON", "Owen Pritchard"),
            ("PHONE", "0117 496 0312"),
        ),
        "email",
    ),
    Labelled(
        "Hi Payroll team,\n\nMy bank details changed. New IBAN: DE78 9104 4493 2712 2573 71 (Sparkasse). "
        "Please use it from the January run.\n\nThanks,\nMehmet Demir\nEmployee no. 20418",
        (("IBAN", "DE78 9104 4493 2712 2573 71"), ("PERSON", "Mehmet Demir")),
        "email",
    ),
    Labelled(
        "Bonjour Maître Lefebvre,\n\nJe vous confirme notre rendez-vous du mardi 13 janvier à 14h30 pour la "
        "signature de la succession de ma mère, décédée le 2 novembre 2026.\n\nCordialement,\nCamille Moreau",
        (
            ("PERSON", "Lefebvre"),
            ("PERSONAL_DATE", "mardi 13 janvier à 14h30"),
            ("PERSONAL_DATE", "2 novembre 2026"),
            ("PERSON", "Camille Moreau"),
        ),
        "email",
    ),
    Labelled(
        "From: kofi.asante@example.com\nTo: Tamsin Blake <tamsin.blake@example.org>\nSubject: Application - "
        "Field Technician\n\nHello, I'm Kofi Asante from Kumasi. My CV is attached. Reachable on +233 24 "
        "555 0178.",
        (
            ("EMAIL", "kofi.asante@example.com"),
            ("PERSON", "Tamsin Blake"),
            ("EMAIL", "tamsin.blake@example.org"),
            ("PERSON", "Kofi Asante"),
            ("LOCATION", "Kumasi"),
            ("PHONE", "+233 24 555 0178"),
        ),
        "email",
    ),
    Labelled(
        "Hola Sr. Gutiérrez:\n\nLe recordamos que la lectura del contador de agua será el 22/01/2027. Si no "
        "estará en casa (Av. de la Constitución 14, 41001 Sevilla), avísenos.\n\nAtentamente,\nAtención al "
        "cliente",
        (
            ("PERSON", "Gutiérrez"),
            ("PERSONAL_DATE", "22/01/2027"),
            ("ADDRESS", "Av. de la Constitución 14, 41001 Sevilla"),
        ),
        "email",
    ),
    Labelled(
        "Dear Aroha,\n\nCongratulations! We're pleased to offer you the role of Site Coordinator. Your start "
        "date is 1 February 2027 and your salary will be paid to the account ending 4471.\n\nBest,\nJames "
        "Whitcombe, People Team",
        (
            ("PERSON", "Aroha"),
            ("PERSONAL_DATE", "1 February 2027"),
            ("PERSON", "James Whitcombe"),
        ),
        "email",
    ),
    Labelled(
        "Sehr geehrte Damen und Herren,\n\nich kündige meinen Stromvertrag zum 31.03.2027, da ich nach Graz "
        "ziehe. Die Abschlussrechnung bitte an mich, IBAN AT76 8455 5718 3589 0695.\n\nMit freundlichen "
        "Grüßen\nValentina Hofer-Steindl",
        (
            ("PERSONAL_DATE", "31.03.2027"),
            ("LOCATION", "Graz"),
            ("IBAN", "AT76 8455 5718 3589 0695"),
            ("PERSON", "Valentina Hofer-Steindl"),
        ),
        "email",
    ),
    Labelled(
        "hi there,\n\nreplying for my dad Arash Mohammadi who doesn't do email. his date of birth is "
        "5th April 1951 and the house is 9 Cedar Lane, Leeds LS6 1AX. can you put the gas account in my "
        "name, Shirin?\n\nthx",
        (
            ("PERSON", "Arash Mohammadi"),
            ("DATE_OF_BIRTH", "5th April 1951"),
            ("ADDRESS", "9 Cedar Lane, Leeds LS6 1AX"),
            ("PERSON", "Shirin"),
        ),
        "email",
    ),
    Labelled(
        "Subject: Re: Onboarding docs\n\nHi Bich,\n\nI got the signed contract, thanks. Could you also send "
        "your SSN (987-65-4323) confirmation letter? The scan was blurry.\n\n-- \nGrace Liu | HR Ops | "
        "grace.liu@example.com",
        (
            ("PERSON", "Bich"),
            ("US_SSN", "987-65-4323"),
            ("PERSON", "Grace Liu"),
            ("EMAIL", "grace.liu@example.com"),
        ),
        "email",
    ),
    Labelled(
        "Drogi Panie Jakubie,\n\nw załączeniu umowa najmu lokalu przy ul. Mokotowska 56/12, 00-534 "
        "Warszawa. Kaucję proszę wpłacić na PL92 9342 1586 8087 6116 9613 6276.\n\nPozdrawiam\nMarta "
        "Zielińska",
        (
            ("PERSON", "Jakubie"),
            ("ADDRESS", "ul. Mokotowska 56/12, 00-534 Warszawa"),
            ("IBAN", "PL92 9342 1586 8087 6116 9613 6276"),
            ("PERSON", "Marta Zielińska"),
        ),
        "email",
    ),
    Labelled(
        "Hi Mateus, quick one - o técnico vai passar na sua casa amanhã entre 9h e 12h to install the "
        "smart meter. If that doesn't work, call me on +351 912 555 043. Abraço, Inês",
        (("PERSON", "Mateus"), ("PHONE", "+351 912 555 043"), ("PERSON", "Inês")),
        "email",
    ),
    Labelled(
        "Dear Mr. Al-Mansouri,\n\nYour apartment viewing at Marina Heights, Tower B, Unit 1804, Dubai "
        "Marina, Dubai is confirmed for Sunday 11 January at 5 pm. Agent: Layla Haddad, +971 50 555 "
        "0129.\n\nRegards",
        (
            ("PERSON", "Al-Mansouri"),
            ("ADDRESS", "Marina Heights, Tower B, Unit 1804, Dubai Marina, Dubai"),
            ("PERSONAL_DATE", "Sunday 11 January at 5 pm"),
            ("PERSON", "Layla Haddad"),
            ("PHONE", "+971 50 555 0129"),
        ),
        "email",
    ),
    Labelled(
        "Hej Linnea!\n\nTack för intervjun igår. Vi vill gärna gå vidare och boka ett andra samtal den 19 "
        "januari kl 10. Svara på mejlet eller ring mig på 08-555 019 42.\n\nVänliga hälsningar\n"
        "Anders",
        (
            ("PERSON", "Linnea"),
            ("PERSONAL_DATE", "19 januari kl 10"),
            ("PHONE", "08-555 019 42"),
            ("PERSON", "Anders"),
        ),
        "email",
    ),
    Labelled(
        "Yth. Bapak Agus Wibowo,\n\nKami informasikan tagihan listrik Anda untuk rumah di Jl. Merdeka "
        "No. 45, "
        "Bandung 40111 telah jatuh tempo. Kami akan menelepon ke 0813-5550-2291.\n\nHormat "
        "kami,\nLayanan Pelanggan",
        (
            ("PERSON", "Agus Wibowo"),
            ("ADDRESS", "Jl. Merdeka No. 45, Bandung 40111"),
            ("PHONE", "0813-5550-2291"),
        ),
        "email",
    ),
    Labelled(
        "Gentile avv. Marchetti,\n\nle invio la procura firmata da mio fratello Salvatore Esposito, nato a "
        "Napoli il 28/02/1967. Il rogito è fissato per il 5 febbraio 2027.\n\nCordiali saluti,\nCarmela "
        "Esposito",
        (
            ("PERSON", "Marchetti"),
            ("PERSON", "Salvatore Esposito"),
            ("DATE_OF_BIRTH", "28/02/1967"),
            ("PERSONAL_DATE", "5 febbraio 2027"),
            ("PERSON", "Carmela Esposito"),
            ("LOCATION", "Napoli"),
        ),
        "email",
    ),
    Labelled(
        "Hi Dmitri,\n\nyour last payslip showed tax code BR by mistake; we have fixed it from the December "
        "payroll.\nIf you still live at 17 Ashgrove Terrace, Cork T12 X2Y4 no action needed.\n\nCheers,\n"
        "Niamh (Payroll)",
        (
            ("PERSON", "Dmitri"),
            ("ADDRESS", "17 Ashgrove Terrace, Cork T12 X2Y4"),
            ("PERSON", "Niamh"),
        ),
        "email",
    ),
    # ---- log ----
    Labelled(
        '{"ts":"2026-12-04T08:14:22Z","level":"INFO","svc":"billing-api","event":"payment.captured",'
        '"customer":{"name":"Adaeze Nwosu","email":"adaeze.nwosu@example.com"},"card":"5101 4453 6829 6699",'
        '"client_ip":"192.0.2.146"}',
        (
            ("PERSON", "Adaeze Nwosu"),
            ("EMAIL", "adaeze.nwosu@example.com"),
            ("CREDIT_CARD", "5101 4453 6829 6699"),
            ("IP", "192.0.2.146"),
        ),
        "log",
    ),
    Labelled(
        "2026-12-05 11:02:09,417 WARN  [porting-worker-3] msisdn=+34612345078 owner='Ximena Q.' "
        "donor=OperatorB status=REJECTED reason=NAME_MISMATCH src=198.51.100.77",
        (("PHONE", "+34612345078"), ("PERSON", "Ximena Q."), ("IP", "198.51.100.77")),
        "log",
    ),
    Labelled(
        '{"level":"error","msg":"payroll export failed","employee_id":88120,"employee":"KOWALSKI, PIOTR",'
        '"ssn":"987654324","iban":"PL92934215868087611696136276","trace_id":"a91f0c2e7b"}',
        (
            ("PERSON", "KOWALSKI, PIOTR"),
            ("US_SSN", "987654324"),
            ("IBAN", "PL92934215868087611696136276"),
        ),
        "log",
    ),
    Labelled(
        "Dec 06 02:31:44 gw01 sshd[22817]: Accepted publickey for deploy from 2001:db8:4f2a::17 port 51122 "
        "ssh2: user-agent set by jorge.mendoza",
        (("IP", "2001:db8:4f2a::17"), ("PERSON", "jorge.mendoza")),
        "log",
    ),
    Labelled(
        '[stt-transcribe] job=call-77812 chunk=4 text="Caller: my name is Seo-yeon Choi and my postcode is '
        'M14 5LT the address is 6 Wilmslow Road Manchester" confidence=0.82',
        (
            ("PERSON", "Seo-yeon Choi"),
            ("ADDRESS", "M14 5LT"),
            ("ADDRESS", "6 Wilmslow Road Manchester"),
        ),
        "log",
    ),
    Labelled(
        '{"event":"tool_result","tool":"crm.lookup","output":{"full_name":"Mustafa '
        'Özdemir","dob":"1983-07-14",'
        '"phone":"+90 532 555 01 88","city":"İzmir"}}',
        (
            ("PERSON", "Mustafa Özdemir"),
            ("DATE_OF_BIRTH", "1983-07-14"),
            ("PHONE", "+90 532 555 01 88"),
            ("LOCATION", "İzmir"),
        ),
        "log",
    ),
    Labelled(
        'Traceback (most recent call last):\n  File "sync.py", line 88, in push_contact\n    '
        "client.upsert(email='n.haidari@example.org', name='Nargis Haidari')\nHTTPError: 401 Unauthorized "
        "(token sk_live_1fkkjbd93oQGXy9KTUMAFGrM)",
        (
            ("EMAIL", "n.haidari@example.org"),
            ("PERSON", "Nargis Haidari"),
            ("API_KEY", "sk_live_1fkkjbd93oQGXy9KTUMAFGrM"),
        ),
        "log",
    ),
    Labelled(
        'INFO meter-reads: account=WTR-550192 holder="Nomvula Khumalo" addr="23 Jacaranda St, Hatfield, '
        'Pretoria 0083" read=04412 m3 estimated=false',
        (("PERSON", "Nomvula Khumalo"), ("ADDRESS", "23 Jacaranda St, Hatfield, Pretoria 0083")),
        "log",
    ),
    Labelled(
        'level=debug component=llm-gateway prompt_preview="summarise the complaint from Ahmad Fauzi about '
        'the late refund" api_key=sk-proj-Zqumpm08hsE8JNpjJOQGa2rb19FlY0mG1ylvuhfJXqIEnome',
        (("PERSON", "Ahmad Fauzi"), ("API_KEY", "sk-proj-Zqumpm08hsE8JNpjJOQGa2rb19FlY0mG1ylvuhfJXqIEnome")),
        "log",
    ),
    Labelled(
        '2026-12-06T19:22:03Z audit user=olga.petrenko action=VIEW_PAYSLIP target_employee="Bogdan '
        'Marchuk" ip=203.0.113.201 result=ALLOWED',
        (
            ("PERSON", "olga.petrenko"),
            ("PERSON", "Bogdan Marchuk"),
            ("IP", "203.0.113.201"),
        ),
        "log",
    ),
    Labelled(
        '{"t":"2026-12-03T10:00:00Z","msg":"sms sent","to":"+31 6 5550 1234","body":"Beste Sanne, uw '
        'monteur komt op 9 december tussen 8 en 12 uur."}',
        (("PHONE", "+31 6 5550 1234"), ("PERSON", "Sanne"), ("PERSONAL_DATE", "9 december")),
        "log",
    ),
    Labelled(
        "E 2026-12-02 14:55:10 kyc-check failed for applicant_id=3371 name=ЕКАТЕРИНА СМИРНОВА "
        "dob=12.04.1990 reason=DOC_EXPIRED ip=192.0.2.58",
        (
            ("PERSON", "ЕКАТЕРИНА СМИРНОВА"),
            ("DATE_OF_BIRTH", "12.04.1990"),
            ("IP", "192.0.2.58"),
        ),
        "log",
    ),
    Labelled(
        'webhook payload: {"type":"lease.signed","tenant":"Tupac Huamán","unit":"Av. Larco 1150, '
        'Dpto 702, Miraflores, Lima 15074","signed_at":"2026-11-28"}',
        (
            ("PERSON", "Tupac Huamán"),
            ("ADDRESS", "Av. Larco 1150, Dpto 702, Miraflores, Lima 15074"),
            ("PERSONAL_DATE", "2026-11-28"),
        ),
        "log",
    ),
    Labelled(
        "WARN github-sync: token ghp_f2mSJ5CMTIeg1ZTVnVv2fgKD0f6YYIgrCOX6 belongs to user 'amina-yusuf' "
        "and expires in 3 days",
        (("API_KEY", "ghp_f2mSJ5CMTIeg1ZTVnVv2fgKD0f6YYIgrCOX6"), ("PERSON", "amina-yusuf")),
        "log",
    ),
    Labelled(
        'call_summary id=tr-99213 lang=es-MX agent=Paola caller_name="Rigoberto Chávez" caller_phone=55 '
        "5550 1290 topic=corte_de_luz callback=2026-12-09",
        (
            ("PERSON", "Paola"),
            ("PERSON", "Rigoberto Chávez"),
            ("PHONE", "55 5550 1290"),
            ("PERSONAL_DATE", "2026-12-09"),
        ),
        "log",
    ),
    Labelled(
        'notary-docs INFO rendered deed for parties ["Henrik Sørensen", "Astrid Sørensen"] '
        'property="Nørrebrogade '
        '44, 2. tv, 2200 København N" template=skøde_v3',
        (
            ("PERSON", "Henrik Sørensen"),
            ("PERSON", "Astrid Sørensen"),
            ("ADDRESS", "Nørrebrogade 44, 2. tv, 2200 København N"),
        ),
        "log",
    ),
    # ---- code ----
    Labelled(
        "INSERT INTO tenants (full_name, email, phone, moved_in) VALUES\n  ('Kalani Kahananui', "
        "'kalani.k@example.net', '+1 808 555 0162', '2025-09-01');",
        (
            ("PERSON", "Kalani Kahananui"),
            ("EMAIL", "kalani.k@example.net"),
            ("PHONE", "+1 808 555 0162"),
            ("PERSONAL_DATE", "2025-09-01"),
        ),
        "code",
    ),
    Labelled(
        "# TODO remove before merge - test creds from Wojtek\nSLACK_BOT_TOKEN = "
        '"xoxb-705614897071-2481075690072-W1W5bSapfQ7Dh3yEg42ipqnX"\nAWS_ACCESS_KEY_ID = '
        '"AKIA9HW7DZ7PO4ZIYACD"',
        (
            ("PERSON", "Wojtek"),
            ("API_KEY", "xoxb-705614897071-2481075690072-W1W5bSapfQ7Dh3yEg42ipqnX"),
            ("API_KEY", "AKIA9HW7DZ7PO4ZIYACD"),
        ),
        "code",
    ),
    Labelled(
        'def test_payroll_export():\n    emp = Employee(name="Ayesha Siddiqui", ssn="987-65-4325", '
        'iban="BE53 6733 2188 4246")\n    assert export(emp).ok',
        (
            ("PERSON", "Ayesha Siddiqui"),
            ("US_SSN", "987-65-4325"),
            ("IBAN", "BE53 6733 2188 4246"),
        ),
        "code",
    ),
    Labelled(
        "UPDATE customers SET billing_address = 'Calle 93 #11-26, Apto 502, Bogotá', phone = '601 555 "
        "0147' WHERE customer_name = 'Valentina Ocampo';  -- per her call",
        (
            ("ADDRESS", "Calle 93 #11-26, Apto 502, Bogotá"),
            ("PHONE", "601 555 0147"),
            ("PERSON", "Valentina Ocampo"),
        ),
        "code",
    ),
    Labelled(
        "const fixture = {\n  applicant: 'Jannik Albrecht',\n  geburtsdatum: '03.10.1996',\n  wohnort: "
        "'Kiel',\n"
        "  cv_url: 's3://hr-cv/jannik_albrecht_cv.pdf'\n};",
        (
            ("PERSON", "Jannik Albrecht"),
            ("DATE_OF_BIRTH", "03.10.1996"),
            ("LOCATION", "Kiel"),
            ("PERSON", "jannik_albrecht"),
        ),
        "code",
    ),
    Labelled(
        "curl -X POST https://api.example.com/v1/sms \\\n  -H 'Authorization: Bearer "
        "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' \\\n  -d "
        '\'{"to": "+44 7700 900 731", "text": "Hi Eilidh, your rent is overdue"}\'',
        (
            ("API_KEY", "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"),
            ("PHONE", "+44 7700 900 731"),
            ("PERSON", "Eilidh"),
        ),
        "code",
    ),
    Labelled(
        "-- seed data, remove in prod\nINSERT INTO payment_methods (owner, pan, exp) VALUES ('Chukwuemeka "
        "Obi', '6205616542046611345', '11/29'), ('Léa Fontaine', '36058430823654', '03/28');",
        (
            ("PERSON", "Chukwuemeka Obi"),
            ("CREDIT_CARD", "6205616542046611345"),
            ("PERSON", "Léa Fontaine"),
            ("CREDIT_CARD", "36058430823654"),
        ),
        "code",
    ),
    Labelled(
        "HF_TOKEN=hf_pS8gELRersl9a6sLABHHNBSz40ZgRCZ3Iw\nGITLAB_TOKEN=glpat-JV9YZGWNkJnsrUgBhcpq\n"
        "# owner: tevita.fifita@example.org",
        (
            ("API_KEY", "hf_pS8gELRersl9a6sLABHHNBSz40ZgRCZ3Iw"),
            ("API_KEY", "glpat-JV9YZGWNkJnsrUgBhcpq"),
            ("EMAIL", "tevita.fifita@example.org"),
        ),
        "code",
    ),
    Labelled(
        'resp = agent.run("Draft a reminder to Mr Baurzhan Nurlanov that his lease at Abay Ave 52, apt 31, '
        'Almaty 050000 ends on 28 February")',
        (
            ("PERSON", "Baurzhan Nurlanov"),
            ("ADDRESS", "Abay Ave 52, apt 31, Almaty 050000"),
            ("PERSONAL_DATE", "28 February"),
        ),
        "code",
    ),
    Labelled(
        "SELECT * FROM employees WHERE last_name = 'Ramírez-Ochoa' AND birth_date = '1985-02-17';\n"
        "-- asked by Lupita in HR for the visa letter",
        (
            ("PERSON", "Ramírez-Ochoa"),
            ("DATE_OF_BIRTH", "1985-02-17"),
            ("PERSON", "Lupita"),
        ),
        "code",
    ),
    Labelled(
        'client = Anthropic(api_key="sk-ant-api03-rwQ2d8m3Dze9n2cldhT-7JZjyUDevwBJSMglyU59")  # Sina\'s key, '
        "rotate!\nmsg = client.messages.create(model=MODEL, messages=history)",
        (("API_KEY", "sk-ant-api03-rwQ2d8m3Dze9n2cldhT-7JZjyUDevwBJSMglyU59"), ("PERSON", "Sina")),
        "code",
    ),
    Labelled(
        'stripe.Refund.create(charge="ch_3Q", api_key="rk_live_EF6y5kyy3JBNWqb9Mt8sCG3C", '
        'metadata={"customer": "Nilufar Rashidova", "reason": "double billed"})',
        (("API_KEY", "rk_live_EF6y5kyy3JBNWqb9Mt8sCG3C"), ("PERSON", "Nilufar Rashidova")),
        "code",
    ),
    Labelled(
        "tenants.yaml:\n- name: Mose Tuilagi\n  unit: 14/3 Ponsonby Rd, Grey Lynn, Auckland 1021\n  dob: "
        "1991-12-02\n"
        "  phone: 021 555 0138",
        (
            ("PERSON", "Mose Tuilagi"),
            ("ADDRESS", "14/3 Ponsonby Rd, Grey Lynn, Auckland 1021"),
            ("DATE_OF_BIRTH", "1991-12-02"),
            ("PHONE", "021 555 0138"),
        ),
        "code",
    ),
    Labelled(
        '// regression for #4412: names with particles broke the splitter\nexpect(split("Maria van der '
        'Linden")).toEqual(["Maria", "van der Linden"]);  // reported by dieuwke.bos@example.net',
        (
            ("PERSON", "Maria van der Linden"),
            ("PERSON", "Maria"),
            ("PERSON", "van der Linden"),
            ("EMAIL", "dieuwke.bos@example.net"),
        ),
        "code",
    ),
    Labelled(
        "npm config set //registry.npmjs.org/:_authToken npm_RKbKeyv6xQrM3hwwjhCS6jkdFKsvw8f46QqX  "
        "# Hemi set this up, rotate quarterly",
        (("API_KEY", "npm_RKbKeyv6xQrM3hwwjhCS6jkdFKsvw8f46QqX"), ("PERSON", "Hemi")),
        "code",
    ),
    # ---- clinical (occupational health, HR medical, home visits) ----
    Labelled(
        "Occupational health note: Pt Abebe Tadesse, DOB 09/06/1978, forklift operator. Seen 02/12/2026 "
        "for lower back pain after lifting. Fit for light duties until review on 16/12/2026.",
        (
            ("PERSON", "Abebe Tadesse"),
            ("DATE_OF_BIRTH", "09/06/1978"),
            ("PERSONAL_DATE", "02/12/2026"),
            ("PERSONAL_DATE", "16/12/2026"),
        ),
        "clinical",
    ),
    Labelled(
        "Discharge summary: Mrs Parveen Akhtar (78) admitted 21 Nov 2026 with a fall at home, 5 Station "
        "Road, Bradford BD1 4HT. Discharged 29 Nov 2026 to daughter's care in Halifax.",
        (
            ("PERSON", "Parveen Akhtar"),
            ("PERSONAL_DATE", "21 Nov 2026"),
            ("ADDRESS", "5 Station Road, Bradford BD1 4HT"),
            ("PERSONAL_DATE", "29 Nov 2026"),
            ("LOCATION", "Halifax"),
        ),
        "clinical",
    ),
    Labelled(
        "Informe: paciente Consuelo Herrera Vidal, nacida el 3 de mayo de 1955, ingresó el 18/11/2026 por "
        "neumonía. Vive sola en Valparaíso. Contacto: hija Paz, +56 9 5550 1187.",
        (
            ("PERSON", "Consuelo Herrera Vidal"),
            ("DATE_OF_BIRTH", "3 de mayo de 1955"),
            ("PERSONAL_DATE", "18/11/2026"),
            ("LOCATION", "Valparaíso"),
            ("PERSON", "Paz"),
            ("PHONE", "+56 9 5550 1187"),
        ),
        "clinical",
    ),
    Labelled(
        "Arbeitsmedizinische Untersuchung: Herr Dragan Petrović, geb. 14.01.1970, Elektriker. Untersuchung "
        "am 01.12.2026, nächste Vorsorge am 01.12.2027. Hörtest unauffällig.",
        (
            ("PERSON", "Dragan Petrović"),
            ("DATE_OF_BIRTH", "14.01.1970"),
            ("PERSONAL_DATE", "01.12.2026"),
            ("PERSONAL_DATE", "01.12.2027"),
        ),
        "clinical",
    ),
    Labelled(
        "Sick note request via HR portal: employee Yuki Nakamura reports migraine, absent from 3 to 5 "
        "December. GP appointment on 4 Dec at 09:40. Contact yuki.nakamura@example.com.",
        (
            ("PERSON", "Yuki Nakamura"),
            ("PERSONAL_DATE", "3 to 5 December"),
            ("PERSONAL_DATE", "4 Dec at 09:40"),
            ("EMAIL", "yuki.nakamura@example.com"),
        ),
        "clinical",
    ),
    Labelled(
        "Home visit (district nurse): Mr Tāne Parata, 61, lives at 8 Rimu Street, Whanganui 4500. Wound "
        "dressing changed 05/12. Next visit Tuesday 9 Dec. Wife Mere present.",
        (
            ("PERSON", "Tāne Parata"),
            ("ADDRESS", "8 Rimu Street, Whanganui 4500"),
            ("PERSONAL_DATE", "05/12"),
            ("PERSONAL_DATE", "Tuesday 9 Dec"),
            ("PERSON", "Mere"),
        ),
        "clinical",
    ),
    Labelled(
        "Compte rendu: M. Mamadou Diallo, né le 30/08/1984, consulté le 27 novembre 2026 pour douleurs "
        "thoraciques. ECG normal. Habite à Lyon, médecin traitant Dr Perrin.",
        (
            ("PERSON", "Mamadou Diallo"),
            ("DATE_OF_BIRTH", "30/08/1984"),
            ("PERSONAL_DATE", "27 novembre 2026"),
            ("LOCATION", "Lyon"),
            ("PERSON", "Perrin"),
        ),
        "clinical",
    ),
    Labelled(
        "Nota clinica: sig.ra Giulia Bianchi-Ferri, nata il 12 settembre 1949, ricoverata il 2/12/2026, "
        "deceduta il 6/12/2026 alle 03:15. Familiari avvisati (figlio Marco).",
        (
            ("PERSON", "Giulia Bianchi-Ferri"),
            ("DATE_OF_BIRTH", "12 settembre 1949"),
            ("PERSONAL_DATE", "2/12/2026"),
            ("PERSONAL_DATE", "6/12/2026 alle 03:15"),
            ("PERSON", "Marco"),
        ),
        "clinical",
    ),
    Labelled(
        "Pre-employment medical, candidate Oyelaran Babatunde (goes by 'Tunde'), DOB 1993-03-22. BP 128/82, "
        "BMI 24.1. Cleared for offshore work. Exam date 2026-11-30.",
        (
            ("PERSON", "Oyelaran Babatunde"),
            ("PERSON", "Tunde"),
            ("DATE_OF_BIRTH", "1993-03-22"),
            ("PERSONAL_DATE", "2026-11-30"),
        ),
        "clinical",
    ),
    Labelled(
        "Verpleegkundige notitie: mevr. Joke Smulders-de Wit, geb. 02-02-1940, opgenomen 25-11-2026 na "
        "val. Woont alleen in Tilburg. Dochter Ilse bellen: 06 5550 3121.",
        (
            ("PERSON", "Joke Smulders-de Wit"),
            ("DATE_OF_BIRTH", "02-02-1940"),
            ("PERSONAL_DATE", "25-11-2026"),
            ("LOCATION", "Tilburg"),
            ("PERSON", "Ilse"),
            ("PHONE", "06 5550 3121"),
        ),
        "clinical",
    ),
    Labelled(
        "Karta pacjenta: Stanisław Mazur, ur. 8 listopada 1958, wizyta kontrolna 10.12.2026 godz. 11:30. "
        "Mieszka w Krakowie z żoną Haliną.",
        (
            ("PERSON", "Stanisław Mazur"),
            ("DATE_OF_BIRTH", "8 listopada 1958"),
            ("PERSONAL_DATE", "10.12.2026 godz. 11:30"),
            ("LOCATION", "Krakowie"),
            ("PERSON", "Haliną"),
        ),
        "clinical",
    ),
    Labelled(
        "EAP referral: Sarah-Jane McAllister (payroll clerk) self-referred for stress after her "
        "father's death on 14 October. First counselling session Wed 10 Dec, 2pm.",
        (
            ("PERSON", "Sarah-Jane McAllister"),
            ("PERSONAL_DATE", "14 October"),
            ("PERSONAL_DATE", "Wed 10 Dec, 2pm"),
        ),
        "clinical",
    ),
    Labelled(
        "Hasta notu: Ayşe Çelik, d.t. 17/04/1966, 04.12.2026 tarihinde acile başvurdu, hipertansiyon. "
        "Ankara'da oğluyla yaşıyor. Tel 0532 555 41 09.",
        (
            ("PERSON", "Ayşe Çelik"),
            ("DATE_OF_BIRTH", "17/04/1966"),
            ("PERSONAL_DATE", "04.12.2026"),
            ("LOCATION", "Ankara"),
            ("PHONE", "0532 555 41 09"),
        ),
        "clinical",
    ),
    Labelled(
        "Catatan medis: Tn. Wayan Sudarsana, lahir 21-07-1975, kontrol diabetes tanggal 11 Desember 2026. "
        "Tinggal di Gianyar, Bali.",
        (
            ("PERSON", "Wayan Sudarsana"),
            ("DATE_OF_BIRTH", "21-07-1975"),
            ("PERSONAL_DATE", "11 Desember 2026"),
            ("LOCATION", "Gianyar, Bali"),
        ),
        "clinical",
    ),
    Labelled(
        "Triage transcript Nurse: and what's the patient's name Caller: it's my son Kenji Kenji Watanabe "
        "he's "
        "seven born the second of june twenty nineteen Nurse: ok and where are you now Caller: we're in "
        "Brisbane",
        (
            ("PERSON", "Kenji Watanabe"),
            ("PERSON", "Kenji"),
            ("DATE_OF_BIRTH", "the second of june twenty nineteen"),
            ("LOCATION", "Brisbane"),
        ),
        "clinical",
    ),
    Labelled(
        "Journalanteckning: patient Eero Virtanen, f. 1982-05-09, besök 2026-12-03 för knäskada. "
        "Sjukskriven till 2026-12-17. Bor i Helsingfors.",
        (
            ("PERSON", "Eero Virtanen"),
            ("DATE_OF_BIRTH", "1982-05-09"),
            ("PERSONAL_DATE", "2026-12-03"),
            ("PERSONAL_DATE", "2026-12-17"),
            ("LOCATION", "Helsingfors"),
        ),
        "clinical",
    ),
    # ---- extra: transcripts, mixed languages, LLM summaries ----
    Labelled(
        "Agent: for security can you read me your social security number Caller: sure "
        "987-65-4326 Agent: thanks Mr Hernández and where are you calling from "
        "Caller: San Antonio",
        (("US_SSN", "987-65-4326"), ("PERSON", "Hernández"), ("LOCATION", "San Antonio")),
        "chat",
    ),
    Labelled(
        "HR ticket #HR-7781: W-4 for new hire Destiny Washington-Reyes has SSN 987 65 4327 but I-9 shows "
        "a different number, please check with her before payroll on 15 Dec. Cell 555-0173.",
        (
            ("PERSON", "Destiny Washington-Reyes"),
            ("US_SSN", "987 65 4327"),
            ("PHONE", "555-0173"),
        ),
        "ticket",
    ),
    Labelled(
        "Assistant summary: The tenant, Mr. Gonzalo Paredes, reported a broken window on 2 December. He "
        "paid the deposit with card 2221 6574 9928 9128 and his SSN 987-65-4328 is on the lease "
        "application. He works nights.",
        (
            ("PERSON", "Gonzalo Paredes"),
            ("PERSONAL_DATE", "2 December"),
            ("CREDIT_CARD", "2221 6574 9928 9128"),
            ("US_SSN", "987-65-4328"),
        ),
        "crm",
    ),
    Labelled(
        '{"level":"warn","msg":"login from new device","user":"f.oyelowo","display_name":"Funmilayo '
        'Oyelowo","ip":"2001:db8:ac10::fe01","prev_ip":"198.51.100.140"}',
        (
            ("PERSON", "f.oyelowo"),
            ("PERSON", "Funmilayo Oyelowo"),
            ("IP", "2001:db8:ac10::fe01"),
            ("IP", "198.51.100.140"),
        ),
        "log",
    ),
    Labelled(
        "hi!! soy Camila, del 4B 😅 the landlord says I owe two months but I paid, tengo los recibos. "
        "pagué con la tarjeta 4384 2891 29383, my email is cami.rojas@example.net",
        (
            ("PERSON", "Camila"),
            ("CREDIT_CARD", "4384 2891 29383"),
            ("EMAIL", "cami.rojas@example.net"),
        ),
        "chat",
    ),
    Labelled(
        "Agent: and the reason for the call today Caller: yeah the broadband keeps dropping my router "
        "says its address is 203.0.113.54 Agent: thank you Miss Afolabi can I call you back on the number "
        "ending oh one five five Caller: yeah 0161 496 0155",
        (("IP", "203.0.113.54"), ("PERSON", "Afolabi"), ("PHONE", "0161 496 0155")),
        "chat",
    ),
    Labelled(
        "Nachricht vom Mieter: hello Herr Schubert, ich bin Dong-hyun from Wohnung 12, the washing machine "
        "in the Keller is broken again. Mein Konto für die Rückerstattung: DE78910444932712257371",
        (
            ("PERSON", "Schubert"),
            ("PERSON", "Dong-hyun"),
            ("IBAN", "DE78910444932712257371"),
        ),
        "email",
    ),
    Labelled(
        'payroll-run 2026-12 ERROR employee="SOKOLOVA Irina" ssn=987-65-4329 card=3497 6390 6503 191 '
        'note="corporate card charged personally" host=192.0.2.211',
        (
            ("PERSON", "SOKOLOVA Irina"),
            ("US_SSN", "987-65-4329"),
            ("CREDIT_CARD", "3497 6390 6503 191"),
            ("IP", "192.0.2.211"),
        ),
        "log",
    ),
    Labelled(
        "Dossier notaire: les époux Benali, Karim et Yasmine, domiciliés 8 avenue Jean Jaurès, 13005 "
        "Marseille. Virement du prix sur FR92 5088 1067 72B7 3208 4905 199. Signature le 20/01/2027.",
        (
            ("PERSON", "Karim"),
            ("PERSON", "Yasmine"),
            ("PERSON", "Benali"),
            ("ADDRESS", "8 avenue Jean Jaurès, 13005 Marseille"),
            ("IBAN", "FR92 5088 1067 72B7 3208 4905 199"),
            ("PERSONAL_DATE", "20/01/2027"),
        ),
        "ticket",
    ),
    Labelled(
        "Vaka özeti (asistan): Sayın Emre Şahin, ES3836368827034533503221 IBAN'ından kira ödüyor; "
        "Barcelona'da yaşıyor, sözleşme 1 Mart'ta bitiyor. Prefers English on the phone.",
        (
            ("PERSON", "Emre Şahin"),
            ("IBAN", "ES3836368827034533503221"),
            ("LOCATION", "Barcelona"),
            ("PERSONAL_DATE", "1 Mart"),
        ),
        "crm",
    ),
    Labelled(
        "Mandant Herr Lars-Erik Johansson, Erbvertrag Termin 26.01.2027 in Zürich. Honorar bitte auf "
        "CH60 5725 9187 0015 0078 9. Rückfragen: +41 44 555 01 72.",
        (
            ("PERSON", "Lars-Erik Johansson"),
            ("PERSONAL_DATE", "26.01.2027"),
            ("IBAN", "CH60 5725 9187 0015 0078 9"),
            ("PHONE", "+41 44 555 01 72"),
        ),
        "email",
    ),
    Labelled(
        "kunde skrev: hei, det er Marius Bakke, strømmen er borte i leiligheten på Thorvald Meyers gate 30, "
        "0555 Oslo. kontonr for refusjon NO04 2037 3191 753",
        (
            ("PERSON", "Marius Bakke"),
            ("ADDRESS", "Thorvald Meyers gate 30, 0555 Oslo"),
            ("IBAN", "NO04 2037 3191 753"),
        ),
        "chat",
    ),
)
CLEAN_TEXTS: tuple[Labelled, ...] = (
    Labelled(
        "What's the average monthly water bill for a two-bedroom flat in Lisbon compared with Madrid? "
        "Give a rough range in euros.",
        (),
        "chat",
    ),
    Labelled(
        "how do i change the tariff from Standard Variable to Fixed 24 in the app? the button under "
        "Account > Energy > Switch Plan is greyed out",
        (),
        "chat",
    ),
    Labelled(
        "Agent: thanks for calling Northwind Telecom how can I help Caller: yeah the internet light is "
        "flashing orange on the Hub 4 Agent: okay let's try a restart first hold the button for ten seconds",
        (),
        "chat",
    ),
    Labelled(
        "hola, ¿cuánto tarda la portabilidad de un número de Movistar a otra compañía en España? "
        "y ¿se corta el servicio durante el cambio?",
        (),
        "chat",
    ),
    Labelled(
        "bonjour, est-ce que l'offre Fibre Max 2 Gb/s est disponible à Bordeaux ? je regarde pour un "
        "déménagement d'entreprise l'année prochaine",
        (),
        "chat",
    ),
    Labelled(
        "Caller: what are your opening hours on bank holidays Agent: the helpline is open nine till five "
        "on the twenty sixth of December and closed on Christmas Day",
        (),
        "chat",
    ),
    Labelled(
        "is the Victoria line step-free at Brixton? asking for a guide we're writing about accessible "
        "commuting in London",
        (),
        "chat",
    ),
    Labelled(
        "merhaba, Turkcell faturasız hatlarda yurt dışı paketi nasıl açılır? Almanya ve Hollanda için "
        "geçerli mi?",
        (),
        "chat",
    ),
    Labelled(
        "TICKET #48317 [Billing / Bulk]\nIssue: Invoice run INV-2026-12 generated duplicate lines for tariff "
        "code EV-NIGHT-7. Affects 412 accounts. Priority P2. Assigned: Billing Platform team.",
        (),
        "ticket",
    ),
    Labelled(
        "INC-20977 Smart meter firmware 3.14.2 fails to report half-hourly reads after DST change. Repro on "
        "SMETS2 units from batch B-7731. Rollback to 3.14.1 planned for 2027-01-05.",
        (),
        "ticket",
    ),
    Labelled(
        "Ticket 7790 - Feature request: add 'Move-out date' field to the Tenancy form and make 'Deposit "
        "scheme' a dropdown (DPS, TDS, mydeposits).",
        (),
        "ticket",
    ),
    Labelled(
        "Störung 2026-4480: Wasserrohrbruch Hauptleitung, Bereich Leipzig-Süd, Versorgung voraussichtlich "
        "bis 18:00 Uhr unterbrochen. Baustelle Karl-Liebknecht-Straße gesperrt.",
        (),
        "ticket",
    ),
    Labelled(
        "Chamado 31002: atualizar a tabela de tarifas sociais conforme resolução ANEEL nº 1.000/2021. "
        "Prazo: 31/01/2027. Responsável: equipe de Regulação.",
        (),
        "ticket",
    ),
    Labelled(
        "[HR-SYS-118] Workday sync job fails for cost centre CC-4410 'Field Ops North'. Error code "
        "WD-INT-0042. No employee records affected, retry succeeded at 04:10.",
        (),
        "ticket",
    ),
    Labelled(
        "Zgłoszenie 1190: awaria windy w budynku B, osiedle Zielone Wzgórze. Serwis Kone przyjedzie w "
        "poniedziałek. Prosimy mieszkańców o korzystanie z klatki A.",
        (),
        "ticket",
    ),
    Labelled(
        "Account segment summary: 1,284 customers on the Green Saver plan, churn 3.1 % in Q3, NPS 41. Top "
        "complaint theme: estimated bills. Recommend proactive meter-read campaign in Yorkshire.",
        (),
        "crm",
    ),
    Labelled(
        "Company: Baker & Lane Property Management Ltd. Portfolio: 320 units across Leeds and Sheffield. "
        "Contract tier: Gold. Renewal due 30 June 2027. Preferred channel: account portal.",
        (),
        "crm",
    ),
    Labelled(
        "Opportunity OPP-55120: Stadtwerke Nord wants 2,000 seats of the call transcription add-on. Stage: "
        "Negotiation. Close date 2027-02-28. Value EUR 184,000.",
        (),
        "crm",
    ),
    Labelled(
        "Nota: la cooperativa Agua Clara (Valencia) pidió presupuesto para 50 contadores inteligentes. "
        "Enviar propuesta antes del viernes. Referencia PRE-2026-881.",
        (),
        "crm",
    ),
    Labelled(
        "Persona 'Budget-conscious renter': 25-34, shares a flat, pays bills by app, churns when prices "
        "rise more than 8 %. Use for the winter campaign copy.",
        (),
        "crm",
    ),
    Labelled(
        "Dear customer,\n\nPlanned maintenance on our network will take place on 14 January 2027 from 00:00 "
        "to 04:00 CET. Mobile data may be slower during this window.\n\nKind regards,\nThe Network "
        "Operations Team",
        (),
        "email",
    ),
    Labelled(
        "Subject: Q4 payroll calendar\n\nHi all,\n\nCut-off for the December payroll is 12 December, "
        "payment date 19 December. Bonus files go through the usual SFTP folder.\n\nThanks,\nPayroll",
        (),
        "email",
    ),
    Labelled(
        "Sehr geehrte Damen und Herren,\n\nab dem 01.01.2027 gilt der neue Arbeitspreis von 31,8 ct/kWh. "
        "Der Grundpreis bleibt unverändert.\n\nIhre Stadtwerke Musterstadt",
        (),
        "email",
    ),
    Labelled(
        "Hi team,\n\nreminder that the Rentals Portal v5.2 release is scheduled for 20 January. Please "
        "freeze the 'release/5.2' branch by Friday and update CHANGELOG.md.\n\nBest,\nRelease Management",
        (),
        "email",
    ),
    Labelled(
        "Gentili clienti,\n\nvi informiamo che dal 1° febbraio la bolletta sarà disponibile solo in formato "
        "digitale nell'Area Clienti. Per domande consultate le FAQ.\n\nServizio Clienti",
        (),
        "email",
    ),
    Labelled(
        "Beste huurders,\n\nop woensdag wordt de centrale verwarming in blok C onderhouden tussen 9:00 en "
        "13:00. Excuses voor het ongemak.\n\nMet vriendelijke groet,\nWoonstichting De Linde",
        (),
        "email",
    ),
    Labelled(
        "Kepada pelanggan yang terhormat, pemeliharaan jaringan di wilayah Jakarta Selatan dijadwalkan pada "
        "Sabtu pukul 23.00 hingga 03.00 WIB. Terima kasih atas pengertiannya.",
        (),
        "email",
    ),
    Labelled(
        '{"ts":"2026-12-05T02:00:01Z","level":"INFO","svc":"meter-ingest","batch":"B-20261205-02",'
        '"records":48211,"rejected":17,"duration_ms":88412}',
        (),
        "log",
    ),
    Labelled(
        "2026-12-06 03:15:42,008 ERROR [invoice-renderer-2] TemplateNotFound: tariff_letter_v7.html "
        "(locale=pt_BR) at renderer.py:214",
        (),
        "log",
    ),
    Labelled(
        "level=info component=stt-engine model=whisper-large-v3 lang=pl duration_s=412.6 wer_est=0.087 "
        "queue=calls-eu-west-1 worker=stt-7",
        (),
        "log",
    ),
    Labelled(
        "Dec 06 04:00:00 cron[1121]: (root) CMD (/opt/payroll/bin/reconcile --period 2026-12 --dry-run) "
        "exit=0",
        (),
        "log",
    ),
    Labelled(
        "k8s event: Pod rentals-api-7d9f8b6c5-x2k4q OOMKilled (limit 512Mi), restarted 3 times in "
        "namespace prod-eu. Node ip-10-0-4-17.",
        (),
        "log",
    ),
    Labelled(
        "WARN rate-limit: tenant=acme-utilities route=/v2/outages/search 429 x 1,204 in 60s; backoff "
        "enabled until 2026-12-06T05:10Z",
        (),
        "log",
    ),
    Labelled(
        "def compute_prorated_rent(monthly_rent: Decimal, move_in: date, days_in_month: int = 30) -> "
        "Decimal:\n    return (monthly_rent / days_in_month) * (days_in_month - move_in.day + 1)",
        (),
        "code",
    ),
    Labelled(
        "SELECT tariff_code, COUNT(*) AS accounts FROM contracts WHERE region = 'NORTH_WEST' AND "
        "status = 'ACTIVE' GROUP BY tariff_code ORDER BY accounts DESC;",
        (),
        "code",
    ),
    Labelled(
        'class PayslipRenderer:\n    TEMPLATE = "payslip_v3.jinja"\n    def render(self, employee_id: '
        "int, period: str) -> bytes: ...\n# Owner: payroll-platform",
        (),
        "code",
    ),
    Labelled(
        "API_BASE_URL=https://api.example.com/v2\nAPI_KEY=${SECRETS_MANAGER:utilities/prod/api-key}\n"
        "TIMEOUT_SECONDS=30\nRETRY_MAX=5",
        (),
        "code",
    ),
    Labelled(
        '// Spanish and Portuguese month names for the date parser\nconst MESES = ["enero", "febrero", '
        '"marzo", "abril", "maio", "junho"];',
        (),
        "code",
    ),
    Labelled(
        "regex for UK postcodes: ^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$ - tested against the ONS "
        "sample file, 99.8 % match.",
        (),
        "code",
    ),
    Labelled(
        "Clinical guideline excerpt: for adults with community-acquired pneumonia, reassess at 48 hours. "
        "Amoxicillin 500 mg three times daily for 5 days is first line.",
        (),
        "clinical",
    ),
    Labelled(
        "Occupational health policy v4: night workers are offered a health assessment every 12 months. "
        "Forms OH-12 and OH-14 are on the intranet under People > Wellbeing.",
        (),
        "clinical",
    ),
    Labelled(
        "Protocolo: vacunación antigripal para personal de campo entre octubre y diciembre. Dosis única de "
        "0,5 ml. Registrar lote y fecha en el sistema.",
        (),
        "clinical",
    ),
    Labelled(
        "Ward capacity report: Ward 7 has 24 beds, 21 occupied, 2 discharges expected before noon. "
        "Infection control level: amber.",
        (),
        "clinical",
    ),
    Labelled(
        "Hinweis: Die Grippeschutzimpfung für Beschäftigte findet am Standort Hamburg im Raum 2.14 statt. "
        "Bitte Impfpass mitbringen.",
        (),
        "clinical",
    ),
    Labelled(
        "Panduan: pemeriksaan kesehatan berkala untuk pekerja lapangan dilakukan setiap tahun. Formulir "
        "MCU-03 tersedia di portal SDM versi 2.1.",
        (),
        "clinical",
    ),
    Labelled(
        "cho mình hỏi gói cước Viettel 5G tháng nào rẻ nhất ở Hà Nội? mình cần khoảng 30 GB mỗi tháng, "
        "cảm ơn shop",
        (),
        "chat",
    ),
    Labelled(
        "Ärende 2305: Fjärrvärmen i kvarteret Björken har lågt tryck. Driftteamet felsöker pumpstation 4. "
        "Beräknad åtgärd före kl 16.00.",
        (),
        "ticket",
    ),
    Labelled(
        "Notatka CRM: firma Energa Obrót zamówiła 120 licencji modułu transkrypcji. Etap: oferta wysłana. "
        "Termin decyzji: koniec stycznia. Numer szansy OPP-55188.",
        (),
        "crm",
    ),
    Labelled(
        "Segmento 'Famílias Eco': 3.410 clientes com tarifa bi-horária, consumo médio 212 kWh/mês, taxa "
        "de cancelamento 2,4 %. Próxima campanha em Coimbra e Braga.",
        (),
        "crm",
    ),
    Labelled(
        "2026-12-06T06:30:12Z INFO [facturation] lot FAC-2026-12-B généré: 9 412 factures, 0 rejet, "
        "modèle relance_v2 (fr_FR)",
        (),
        "log",
    ),
    Labelled(
        "# Calcola la caparra: due mensilità per i contratti 4+4, una per i transitori\n"
        "def caparra(canone_mensile: Decimal, tipo: str) -> Decimal: ...",
        (),
        "code",
    ),
)
NAME_ORIGINS: dict[str, str] = {
    "Kwabena Mensah-Bonsu": "west_african",
    "tiwa": "west_african",
    "Priyanka Raghunathan": "south_asian",
    "Dana": "anglo",
    "Tomasz Wiśniewski": "slavic",
    "W I S N I E W S K I": "slavic",
    "Okonkwo": "west_african",
    "Ximena Quispe Mamani": "latin_american",
    "Joana Sardinha": "iberian",
    "Aïssatou Ndiaye": "west_african",
    "Lukas Brandstätter": "germanic",
    "Rangi": "pacific",
    "Summer": "anglo",
    "Elif Yıldırım-Kaya": "turkish",
    "Putu Ayu Wulandari": "southeast_asian",
    "Nguyễn Thị Thu Hà": "southeast_asian",
    "bilal chaudhry": "south_asian",
    "Chaudhry": "south_asian",
    "bilal": "south_asian",
    'Zbigniew "Zbyszek" Kowalczyk': "slavic",
    "Sigrid Lindqvist": "nordic",
    "Giancarlo De Santis": "italian",
    "Begaye": "native_american",
    "Femke van der Berg-Hoekstra": "dutch",
    "Olumide Adeyemi-Bakare": "west_african",
    "Hyun-woo Park": "east_asian",
    "MARGARET O'SULLIVAN": "irish",
    "Aziz Karimov": "central_asian",
    "Sione Taufa": "pacific",
    "Jörg Pfeiffer": "germanic",
    "Hélène Chevalier-Roux": "french",
    "Mei Ling Tan": "southeast_asian",
    "Thiago Albuquerque Nóbrega": "latin_american",
    "Dilnoza Yusupova": "central_asian",
    "Agnieszka Wróbel-Nowak": "slavic",
    "Ngozi Eze": "west_african",
    "Oskar Nyström": "nordic",
    "Reza Tehrani-Farahani": "persian",
    "Budi Santoso": "southeast_asian",
    "Chidi Okafor": "west_african",
    "Ana Lucía Ferreyra": "latin_american",
    "Hamid Rahimi": "persian",
    "Annegret Vogelsang-Kühn": "germanic",
    "Tanaka Hiroshi": "east_asian",
    "Hiro": "east_asian",
    "Francesca Lo Russo": "italian",
    "Lerato Dlamini": "southern_african",
    "Joy": "anglo",
    "Maria da Graça Figueiredo": "iberian",
    "Rui": "iberian",
    "Rose Kamau": "east_african",
    "Wanjiru Kamau": "east_african",
    "Bram de Vries": "dutch",
    "bram_devries88": "dutch",
    "Fatima Zahra El Idrissi": "north_african",
    "Kerem Aydın": "turkish",
    "Siddharth 'Sid' Venkataraman": "south_asian",
    "Ingrid Haugen": "nordic",
    "Trần Văn Minh": "southeast_asian",
    "ROBIN HOLLOWAY-GRANT": "anglo",
    "Robin": "anglo",
    "Hope": "anglo",
    "Achterberg": "dutch",
    "Owen Pritchard": "anglo",
    "Mehmet Demir": "turkish",
    "Lefebvre": "french",
    "Camille Moreau": "french",
    "Tamsin Blake": "anglo",
    "Kofi Asante": "west_african",
    "Gutiérrez": "iberian",
    "Aroha": "pacific",
    "James Whitcombe": "anglo",
    "Valentina Hofer-Steindl": "germanic",
    "Arash Mohammadi": "persian",
    "Shirin": "persian",
    "Bich": "southeast_asian",
    "Grace Liu": "east_asian",
    "Jakubie": "slavic",
    "Marta Zielińska": "slavic",
    "Mateus": "iberian",
    "Inês": "iberian",
    "Al-Mansouri": "arabic",
    "Layla Haddad": "arabic",
    "Linnea": "nordic",
    "Anders": "nordic",
    "Agus Wibowo": "southeast_asian",
    "Marchetti": "italian",
    "Salvatore Esposito": "italian",
    "Carmela Esposito": "italian",
    "Dmitri": "slavic",
    "Niamh": "irish",
    "Adaeze Nwosu": "west_african",
    "Ximena Q.": "latin_american",
    "KOWALSKI, PIOTR": "slavic",
    "jorge.mendoza": "latin_american",
    "Seo-yeon Choi": "east_asian",
    "Mustafa Özdemir": "turkish",
    "Nargis Haidari": "central_asian",
    "Nomvula Khumalo": "southern_african",
    "Ahmad Fauzi": "southeast_asian",
    "olga.petrenko": "slavic",
    "Bogdan Marchuk": "slavic",
    "Sanne": "dutch",
    "ЕКАТЕРИНА СМИРНОВА": "slavic",
    "Tupac Huamán": "latin_american",
    "amina-yusuf": "east_african",
    "Paola": "latin_american",
    "Rigoberto Chávez": "latin_american",
    "Henrik Sørensen": "nordic",
    "Astrid Sørensen": "nordic",
    "Kalani Kahananui": "pacific",
    "Wojtek": "slavic",
    "Ayesha Siddiqui": "south_asian",
    "Valentina Ocampo": "latin_american",
    "Jannik Albrecht": "germanic",
    "jannik_albrecht": "germanic",
    "Eilidh": "anglo",
    "Chukwuemeka Obi": "west_african",
    "Léa Fontaine": "french",
    "Baurzhan Nurlanov": "central_asian",
    "Ramírez-Ochoa": "latin_american",
    "Lupita": "latin_american",
    "Sina": "pacific",
    "Nilufar Rashidova": "central_asian",
    "Mose Tuilagi": "pacific",
    "Maria van der Linden": "dutch",
    "Maria": "dutch",
    "van der Linden": "dutch",
    "Hemi": "pacific",
    "Abebe Tadesse": "east_african",
    "Parveen Akhtar": "south_asian",
    "Consuelo Herrera Vidal": "latin_american",
    "Paz": "latin_american",
    "Dragan Petrović": "slavic",
    "Yuki Nakamura": "east_asian",
    "Tāne Parata": "pacific",
    "Mere": "pacific",
    "Mamadou Diallo": "west_african",
    "Perrin": "french",
    "Giulia Bianchi-Ferri": "italian",
    "Marco": "italian",
    "Oyelaran Babatunde": "west_african",
    "Tunde": "west_african",
    "Joke Smulders-de Wit": "dutch",
    "Ilse": "dutch",
    "Stanisław Mazur": "slavic",
    "Haliną": "slavic",
    "Sarah-Jane McAllister": "anglo",
    "Ayşe Çelik": "turkish",
    "Wayan Sudarsana": "southeast_asian",
    "Kenji Watanabe": "east_asian",
    "Kenji": "east_asian",
    "Eero Virtanen": "nordic",
    "Hernández": "latin_american",
    "Destiny Washington-Reyes": "anglo",
    "Gonzalo Paredes": "latin_american",
    "f.oyelowo": "west_african",
    "Funmilayo Oyelowo": "west_african",
    "Camila": "latin_american",
    "Afolabi": "west_african",
    "Schubert": "germanic",
    "Dong-hyun": "east_asian",
    "SOKOLOVA Irina": "slavic",
    "Karim": "north_african",
    "Yasmine": "north_african",
    "Benali": "north_african",
    "Emre Şahin": "turkish",
    "Lars-Erik Johansson": "nordic",
    "Marius Bakke": "nordic",
}
