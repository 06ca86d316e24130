"""An eighth labelled PII corpus, written blind for issue 17.

Written in December 2026 by an eighth author who never read the recognizers, the benchmarks or the other
corpora (only the ``Labelled`` dataclass and the corpus checks). Every value is invented: cards are Luhn-valid
random numbers of several networks, IBANs random with computed mod-97 check digits, SSNs 987-65-432x, IPs from
the documentation ranges, e-mails on reserved domains, tokens random in provider formats. It leans toward B2B
SaaS and fintech support, CRM exports as CSV/JSON, HR and recruiting notes, and multilingual e-mail threads
with quoted replies; about half of the texts are not in English (es, pt, fr, de, it, nl, pl, sv, tr, id, vi).
"""

# ruff: noqa: RUF001

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # ---------------------------------------------------------------- chat
    Labelled(
        "hi, my name is folake adeyemi and i cant log into the billing portal since yesterday. my phone is "
        "+234 803 555 0192 if u need to call",
        (
            ("PERSON", "folake adeyemi"),
            ("PHONE", "+234 803 555 0192"),
        ),
        "chat",
    ),
    Labelled(  # es
        "hola, soy Joaquín Ferreyra, me cobraron dos veces la suscripción Pro este mes. la tarjeta es la "
        "5402 9913 7383 3675, me pueden devolver uno de los cargos??",
        (
            ("PERSON", "Joaquín Ferreyra"),
            ("CREDIT_CARD", "5402 9913 7383 3675"),
        ),
        "chat",
    ),
    Labelled(
        "User: can you update the shipping address on my account to Flat 2, 19 Holloway Road, London N7 "
        "8JG? old one was in Leeds, moved last month. thx, Grace",
        (
            ("ADDRESS", "Flat 2, 19 Holloway Road, London N7 8JG"),
            ("LOCATION", "Leeds"),
            ("PERSON", "Grace"),
        ),
        "chat",
    ),
    Labelled(  # pt
        "oi! aqui é a Rafaela Moura, to tentando trocar meu e-mail de acesso pra rafa.moura@example.com "
        "mas o sistema diz que já existe uma conta com ele :(",
        (
            ("PERSON", "Rafaela Moura"),
            ("EMAIL", "rafa.moura@example.com"),
        ),
        "chat",
    ),
    Labelled(
        "agent: thanks Sipho, I've verified your identity with the date of birth 14/03/1988. Your "
        "replacement card will arrive in 5-7 business days. Anything else I can help with?",
        (
            ("PERSON", "Sipho"),
            ("DATE_OF_BIRTH", "14/03/1988"),
        ),
        "chat",
    ),
    Labelled(  # de
        "Hallo, ich bin Lukas Hoffmann. Mein Konto wurde gesperrt, nachdem ich von Graz nach Wien "
        "umgezogen bin. Rückruf bitte unter 0660 123 4567, danke!",
        (
            ("PERSON", "Lukas Hoffmann"),
            ("LOCATION", "Graz"),
            ("LOCATION", "Wien"),
            ("PHONE", "0660 123 4567"),
        ),
        "chat",
    ),
    Labelled(
        "[14:02] <wanjiru_k> anyone from billing around? my invoice still shows the old VAT number\n"
        "[14:03] <support-bot> Hi there, I can help. Can you confirm the email on file?\n"
        "[14:03] <wanjiru_k> wanjiru.kamau@example.org",
        (
            ("PERSON", "wanjiru_k"),
            ("EMAIL", "wanjiru.kamau@example.org"),
        ),
        "chat",
    ),
    Labelled(  # tr
        "merhaba, Emre Yıldırım ben. kartımdan 2 kez çekim yapılmış, kart no 4556 3030 7038 7103. doğum "
        "tarihim 02.11.1991 eğer doğrulama gerekiyorsa",
        (
            ("PERSON", "Emre Yıldırım"),
            ("CREDIT_CARD", "4556 3030 7038 7103"),
            ("DATE_OF_BIRTH", "02.11.1991"),
        ),
        "chat",
    ),
    Labelled(  # id
        "halo kak, saya Siti Rahmawati dari Surabaya. mau tanya kenapa transfer ke rekening saya belum "
        "masuk ya? no hp saya 0812-3456-7890",
        (
            ("PERSON", "Siti Rahmawati"),
            ("LOCATION", "Surabaya"),
            ("PHONE", "0812-3456-7890"),
        ),
        "chat",
    ),
    Labelled(
        "customer: hey its Hope again lol. still waiting on the refund for order #A-55812. you can text me "
        "at (512) 555-0147 whenever",
        (
            ("PERSON", "Hope"),
            ("PHONE", "(512) 555-0147"),
        ),
        "chat",
    ),
    Labelled(  # vi
        "chào bạn, mình là Trần Văn Minh, mình cần đổi số điện thoại đăng nhập tài khoản sang 0903 555 "
        "218. cảm ơn nhiều nha",
        (
            ("PERSON", "Trần Văn Minh"),
            ("PHONE", "0903 555 218"),
        ),
        "chat",
    ),
    Labelled(  # fr
        "bonjour, je suis Anne-Sophie Marchand, j'ai rendez-vous avec votre conseiller le 12 janvier à 14h "
        "pour l'ouverture du compte pro, c'est toujours bon ?",
        (
            ("PERSON", "Anne-Sophie Marchand"),
            ("PERSONAL_DATE", "12 janvier"),
        ),
        "chat",
    ),
    Labelled(
        "me: pls block my card asap, lost my wallet in Nairobi airport\n"
        "bot: Sorry to hear that! For security, please confirm the last transaction amount.\n"
        "me: 42.10 EUR, name on card is AMANI MWANGI",
        (
            ("LOCATION", "Nairobi"),
            ("PERSON", "AMANI MWANGI"),
        ),
        "chat",
    ),
    Labelled(  # pl
        "dzień dobry, tu Katarzyna Wiśniewska. Proszę o zwrot na konto PL63 8867 3519 4471 7201 1385 1973, "
        "bo karta jest już zamknięta.",
        (
            ("PERSON", "Katarzyna Wiśniewska"),
            ("IBAN", "PL63 8867 3519 4471 7201 1385 1973"),
        ),
        "chat",
    ),
    Labelled(  # nl
        "hoi, met Ruud de Vries. Ik heb op 3 maart een afspraak met jullie accountmanager maar ik zit die "
        "dag in Rotterdam, kan het ook via Teams?",
        (
            ("PERSON", "Ruud de Vries"),
            ("PERSONAL_DATE", "3 maart"),
            ("LOCATION", "Rotterdam"),
        ),
        "chat",
    ),
    Labelled(
        "hey, it's Venky (Venkatesh Subramaniam) from the Chennai office - can you reset 2FA on my "
        "account? my number changed to +91 98450 55123",
        (
            ("PERSON", "Venky"),
            ("PERSON", "Venkatesh Subramaniam"),
            ("LOCATION", "Chennai"),
            ("PHONE", "+91 98450 55123"),
        ),
        "chat",
    ),
    Labelled(  # sv
        "hej! Sigrid Lindqvist här. Jag har bytt adress till Storgatan 9, 114 51 Stockholm, kan ni "
        "uppdatera fakturaadressen också?",
        (
            ("PERSON", "Sigrid Lindqvist"),
            ("ADDRESS", "Storgatan 9, 114 51 Stockholm"),
        ),
        "chat",
    ),
    Labelled(
        "ok so the tax form asks for my SSN, it's 987654324. name is Grace Whitfield btw, and i'm filing "
        "from Denver now not Boise",
        (
            ("US_SSN", "987654324"),
            ("PERSON", "Grace Whitfield"),
            ("LOCATION", "Denver"),
            ("LOCATION", "Boise"),
        ),
        "chat",
    ),
    # ---------------------------------------------------------------- ticket
    Labelled(
        "Ticket #48213 - Priority: High\nReporter: Omar Al-Farsi (omar.alfarsi@example.net)\n"
        "Subject: Payout failed\nThe payout to IBAN DE35 8606 6907 7844 9564 64 bounced with code AC04. "
        "Customer is based in Dubai and needs the funds by Friday.",
        (
            ("PERSON", "Omar Al-Farsi"),
            ("EMAIL", "omar.alfarsi@example.net"),
            ("IBAN", "DE35 8606 6907 7844 9564 64"),
            ("LOCATION", "Dubai"),
        ),
        "ticket",
    ),
    Labelled(  # es
        "Incidencia INC-20931\nCliente: Lucía Navarro Gil\nTeléfono: +34 612 555 034\n"
        "Descripción: no puede acceder desde la IP 198.51.100.23, el firewall la bloquea tras 5 intentos "
        "fallidos.",
        (
            ("PERSON", "Lucía Navarro Gil"),
            ("PHONE", "+34 612 555 034"),
            ("IP", "198.51.100.23"),
        ),
        "ticket",
    ),
    Labelled(
        "JIRA SUP-7712: KYC check stuck. Applicant Tesfaye Bekele, DOB 1985-07-22, uploaded passport "
        "twice. Address on the application: Bole Road, House No. 318, Addis Ababa. Please escalate to "
        "compliance.",
        (
            ("PERSON", "Tesfaye Bekele"),
            ("DATE_OF_BIRTH", "1985-07-22"),
            ("ADDRESS", "Bole Road, House No. 318, Addis Ababa"),
        ),
        "ticket",
    ),
    Labelled(
        "Zendesk #90114 | requester: Dmitri Volkov | 'Your API returns 401 even though my key "
        "sk_live_RBHWKYvAEcOt9BZo7A0wcdup is active. Tried from 203.0.113.77 and from home, same result.'",
        (
            ("PERSON", "Dmitri Volkov"),
            ("API_KEY", "sk_live_RBHWKYvAEcOt9BZo7A0wcdup"),
            ("IP", "203.0.113.77"),
        ),
        "ticket",
    ),
    Labelled(  # de
        "Ticket 5521 - Rückerstattung\nKundin: Zofia Kowalczyk, geb. 30.05.1979\n"
        "Bitte Gutschrift auf AT71 3074 6555 0679 8426 veranlassen. Rückfragen unter +43 664 555 2190.",
        (
            ("PERSON", "Zofia Kowalczyk"),
            ("DATE_OF_BIRTH", "30.05.1979"),
            ("IBAN", "AT71 3074 6555 0679 8426"),
            ("PHONE", "+43 664 555 2190"),
        ),
        "ticket",
    ),
    Labelled(
        "Bug report from Chen Yuting: after changing my SSN on the W-9 form to 987-65-4321 the page shows "
        "the error 'TIN mismatch'. Screenshot attached.",
        (
            ("PERSON", "Chen Yuting"),
            ("US_SSN", "987-65-4321"),
        ),
        "ticket",
    ),
    Labelled(  # fr
        "Ticket #7730 - Litige carte\nTitulaire : Jean-Baptiste Lefèvre\n"
        "Carte : 3528-5161-2272-4562\nLe client conteste un paiement effectué pendant son séjour à "
        "Marseille.",
        (
            ("PERSON", "Jean-Baptiste Lefèvre"),
            ("CREDIT_CARD", "3528-5161-2272-4562"),
            ("LOCATION", "Marseille"),
        ),
        "ticket",
    ),
    Labelled(
        "HR-3310 Onboarding: new hire Thandiwe Mokoena starts on 2 February 2027. Please ship the laptop "
        "to 45 Kloof Street, Gardens, Cape Town 8001 and create her Okta account.",
        (
            ("PERSON", "Thandiwe Mokoena"),
            ("PERSONAL_DATE", "2 February 2027"),
            ("ADDRESS", "45 Kloof Street, Gardens, Cape Town 8001"),
        ),
        "ticket",
    ),
    Labelled(  # it
        "Segnalazione #3321: la cliente Giulia Ferraro (nata il 9 aprile 1990) non riceve l'SMS di "
        "verifica al numero 347 555 8821. Ha cambiato operatore a settembre.",
        (
            ("PERSON", "Giulia Ferraro"),
            ("DATE_OF_BIRTH", "9 aprile 1990"),
            ("PHONE", "347 555 8821"),
        ),
        "ticket",
    ),
    Labelled(
        "Freshdesk 66201: 'I was charged in USD though I live in Montevideo' - Valentina Restrepo. Card "
        "used: 4199-9259-6724-7355. Requested refund of the FX fee.",
        (
            ("LOCATION", "Montevideo"),
            ("PERSON", "Valentina Restrepo"),
            ("CREDIT_CARD", "4199-9259-6724-7355"),
        ),
        "ticket",
    ),
    Labelled(  # pt
        "Chamado #1189 - Inês Carvalho solicita alteração do IBAN para PT74 5402 1537 3628 4582 8173 4. "
        "Morada: Rua Augusta 112, 1100-053 Lisboa.",
        (
            ("PERSON", "Inês Carvalho"),
            ("IBAN", "PT74 5402 1537 3628 4582 8173 4"),
            ("ADDRESS", "Rua Augusta 112, 1100-053 Lisboa"),
        ),
        "ticket",
    ),
    Labelled(
        "Security ticket SEC-402: leaked token in a public gist. Owner: Henrik Bjørnstad. Token: "
        "ghp_p8PH8DYHb0FTyGyEGeFjyaiiB4tT2Pb4igJH. Revoked 09:14 UTC, please notify him at +47 412 55 903.",
        (
            ("PERSON", "Henrik Bjørnstad"),
            ("API_KEY", "ghp_p8PH8DYHb0FTyGyEGeFjyaiiB4tT2Pb4igJH"),
            ("PHONE", "+47 412 55 903"),
        ),
        "ticket",
    ),
    Labelled(  # tr
        "Talep #2207: Müşteri Elif Aydoğan fatura adresini güncellemek istiyor: Bağdat Cad. No: 221 D:5, "
        "34728 Kadıköy/İstanbul. İade hesabı TR88 1496 9076 2230 4370 4263 96. İletişim: "
        "elif.aydogan@example.com",
        (
            ("PERSON", "Elif Aydoğan"),
            ("ADDRESS", "Bağdat Cad. No: 221 D:5, 34728 Kadıköy/İstanbul"),
            ("IBAN", "TR88 1496 9076 2230 4370 4263 96"),
            ("EMAIL", "elif.aydogan@example.com"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 8812 (payroll): employee ID E-4471 - Mark Bishop - SSN on file 987-65-4325 does not match "
        "the W-2. Employee lives in Ohio now, moved from Texas in 2025.",
        (
            ("PERSON", "Mark Bishop"),
            ("US_SSN", "987-65-4325"),
            ("LOCATION", "Ohio"),
            ("LOCATION", "Texas"),
        ),
        "ticket",
    ),
    Labelled(  # id
        "Tiket #5512: Nasabah a.n. Putu Ayu Wirawan melaporkan kartu 6210-9179-1443-5704 dipakai transaksi "
        "yang tidak dikenal. Alamat: Jl. Kemang Raya No. 17, Jakarta Selatan 12730.",
        (
            ("PERSON", "Putu Ayu Wirawan"),
            ("CREDIT_CARD", "6210-9179-1443-5704"),
            ("ADDRESS", "Jl. Kemang Raya No. 17, Jakarta Selatan 12730"),
        ),
        "ticket",
    ),
    Labelled(
        "SUP-9003 Data deletion request (GDPR Art. 17) from K. Lindqvist. Verify identity via the phone "
        "number on file before erasing anything in the warehouse.",
        (("PERSON", "K. Lindqvist"),),
        "ticket",
    ),
    # ---------------------------------------------------------------- crm
    Labelled(
        "id,first_name,last_name,email,phone,city\n1042,Adaeze,Okonkwo,adaeze.o@example.com,+44 7700 "
        "900412,Manchester",
        (
            ("PERSON", "Adaeze"),
            ("PERSON", "Okonkwo"),
            ("EMAIL", "adaeze.o@example.com"),
            ("PHONE", "+44 7700 900412"),
            ("LOCATION", "Manchester"),
        ),
        "crm",
    ),
    Labelled(
        '{"contact_id": "c_88213", "name": "Dariush Farahani", "company": "Arvand Logistics", "email": '
        '"d.farahani@example.net", "dob": "1976-12-03", "lifecycle_stage": "customer"}',
        (
            ("PERSON", "Dariush Farahani"),
            ("EMAIL", "d.farahani@example.net"),
            ("DATE_OF_BIRTH", "1976-12-03"),
        ),
        "crm",
    ),
    Labelled(  # es
        "Nota CRM (cuenta Andes Pagos S.A.): llamé a Camila Ortega Ruiz al +57 310 555 4471. Dice que se "
        "muda a Medellín en enero y quiere cambiar el plan a Enterprise.",
        (
            ("PERSON", "Camila Ortega Ruiz"),
            ("PHONE", "+57 310 555 4471"),
            ("LOCATION", "Medellín"),
        ),
        "crm",
    ),
    Labelled(
        "Candidate: Arjun Mehta | Role: Senior Backend Engineer | Source: referral | Based in Pune, open "
        "to relocate to Berlin | Phone: +91 99201 55873 | Interview: 15 Jan 2027, 11:00 CET",
        (
            ("PERSON", "Arjun Mehta"),
            ("LOCATION", "Pune"),
            ("LOCATION", "Berlin"),
            ("PHONE", "+91 99201 55873"),
            ("PERSONAL_DATE", "15 Jan 2027"),
        ),
        "crm",
    ),
    Labelled(  # de
        "Lead: Frau Dr. Sabine Krüger-Hahn, Einkaufsleitung Nordwerk GmbH. Gespräch am 18.12.2026 "
        "vereinbart. Mobil: 0171 5550 382.",
        (
            ("PERSON", "Sabine Krüger-Hahn"),
            ("PERSONAL_DATE", "18.12.2026"),
            ("PHONE", "0171 5550 382"),
        ),
        "crm",
    ),
    Labelled(  # vi
        "ma_kh;ho_ten;sdt;dia_chi\nKH-3391;Nguyễn Thị Hoa;0938 555 772;27 Nguyễn Huệ, Quận 1, TP. Hồ Chí "
        "Minh",
        (
            ("PERSON", "Nguyễn Thị Hoa"),
            ("PHONE", "0938 555 772"),
            ("ADDRESS", "27 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh"),
        ),
        "crm",
    ),
    Labelled(
        "Interview feedback - Layla Haddad (applicant #A-2291). Strong SQL, weak on system design. She's "
        "currently in Amman but holds a Schengen visa. Salary expectation 70k. Reference: Yousef Barakat, "
        "former manager.",
        (
            ("PERSON", "Layla Haddad"),
            ("LOCATION", "Amman"),
            ("PERSON", "Yousef Barakat"),
        ),
        "crm",
    ),
    Labelled(
        '{"Id":"0035g00000XyZ12","FirstName":"Sione","LastName":"Tupou","MailingStreet":"14 Taufa\'ahau '
        'Road","MailingCity":"Nuku\'alofa","Phone":"+676 555 1923"}',
        (
            ("PERSON", "Sione"),
            ("PERSON", "Tupou"),
            ("ADDRESS", "14 Taufa'ahau Road"),
            ("LOCATION", "Nuku'alofa"),
            ("PHONE", "+676 555 1923"),
        ),
        "crm",
    ),
    Labelled(  # pl
        "Notatka: klient Marek Nowak (NIP firmy 5252248481) prosi o fakturę na adres ul. Marszałkowska "
        "84/12, 00-514 Warszawa. Urodzony 11.08.1983 - potrzebne do weryfikacji KYC.",
        (
            ("PERSON", "Marek Nowak"),
            ("ADDRESS", "ul. Marszałkowska 84/12, 00-514 Warszawa"),
            ("DATE_OF_BIRTH", "11.08.1983"),
        ),
        "crm",
    ),
    Labelled(
        "email,firstname,lastname,hs_lead_status,country\n"
        "thiago.barbosa@example.com,Thiago,Barbosa,OPEN,Brazil",
        (
            ("EMAIL", "thiago.barbosa@example.com"),
            ("PERSON", "Thiago"),
            ("PERSON", "Barbosa"),
            ("LOCATION", "Brazil"),
        ),
        "crm",
    ),
    Labelled(  # nl
        "Kandidaat Pieter van der Berg, beschikbaar per 1 maart. Woont in Utrecht. Telefonisch bereikbaar "
        "op 06-55512345. Geboortedatum 23-06-1994.",
        (
            ("PERSON", "Pieter van der Berg"),
            ("PERSONAL_DATE", "1 maart"),
            ("LOCATION", "Utrecht"),
            ("PHONE", "06-55512345"),
            ("DATE_OF_BIRTH", "23-06-1994"),
        ),
        "crm",
    ),
    Labelled(
        "Account review: merchant 'Steppe Crafts' (owner Aigerim Nurlanovna, based in Almaty). Settlement "
        "account LT29 6816 8464 7383 2744 verified; chargeback ratio 0.4%, keep on standard reserve.",
        (
            ("PERSON", "Aigerim Nurlanovna"),
            ("LOCATION", "Almaty"),
            ("IBAN", "LT29 6816 8464 7383 2744"),
        ),
        "crm",
    ),
    Labelled(  # it
        "Cliente: Sofia Esposito - Via Garibaldi 18, 20121 Milano - tel. 02 5550 8841 - preferisce essere "
        "contattata via email: sofia.esposito@example.com",
        (
            ("PERSON", "Sofia Esposito"),
            ("ADDRESS", "Via Garibaldi 18, 20121 Milano"),
            ("PHONE", "02 5550 8841"),
            ("EMAIL", "sofia.esposito@example.com"),
        ),
        "crm",
    ),
    Labelled(
        "QBR with Halvorsen Maritime: champion is Astrid Nyberg (VP Ops); she's going on parental leave "
        "from 1 April 2027. Backup contact: Tevita Fonua, tevita.f@example.org.",
        (
            ("PERSON", "Astrid Nyberg"),
            ("PERSONAL_DATE", "1 April 2027"),
            ("PERSON", "Tevita Fonua"),
            ("EMAIL", "tevita.f@example.org"),
        ),
        "crm",
    ),
    Labelled(  # fr
        "Fiche contact - M. Mamadou Diallo (Dakar), gérant d'une société d'import-export. Tél. +221 77 555 "
        "31 08. Prochain rendez-vous le 08/01/2027.",
        (
            ("PERSON", "Mamadou Diallo"),
            ("LOCATION", "Dakar"),
            ("PHONE", "+221 77 555 31 08"),
            ("PERSONAL_DATE", "08/01/2027"),
        ),
        "crm",
    ),
    Labelled(  # sv
        "Lönekonto uppdaterat: utbetalning till SE36 0651 7707 2576 0616 8916 för Oskar Ekström från och "
        "med decemberlönen. Ändringen godkänd av HR.",
        (
            ("IBAN", "SE36 0651 7707 2576 0616 8916"),
            ("PERSON", "Oskar Ekström"),
        ),
        "crm",
    ),
    Labelled(
        "Sourcing note: found Dilnoza Karimova on LinkedIn (handle dilnoza-karimova-dev), data engineer in "
        "Tashkent, open to remote. Email dilnoza.k@example.net",
        (
            ("PERSON", "Dilnoza Karimova"),
            ("PERSON", "dilnoza-karimova-dev"),
            ("LOCATION", "Tashkent"),
            ("EMAIL", "dilnoza.k@example.net"),
        ),
        "crm",
    ),
    Labelled(
        "Background check order for Marcus Bell: SSN 987-65-4326, DOB 08/19/1990, current address 3300 "
        "Peachtree Rd NE, Apt 1105, Atlanta, GA 30326. Package: standard + employment history.",
        (
            ("PERSON", "Marcus Bell"),
            ("US_SSN", "987-65-4326"),
            ("DATE_OF_BIRTH", "08/19/1990"),
            ("ADDRESS", "3300 Peachtree Rd NE, Apt 1105, Atlanta, GA 30326"),
        ),
        "crm",
    ),
    # ---------------------------------------------------------------- email
    Labelled(
        "Hi team,\n\nPlease find attached the signed DPA. Our billing contact is unchanged.\n"
        "\nBest regards,\nRebecca Hollis\nHead of Finance, Larkspur Analytics\n"
        "+44 20 7946 0321 | rebecca.hollis@example.com",
        (
            ("PERSON", "Rebecca Hollis"),
            ("PHONE", "+44 20 7946 0321"),
            ("EMAIL", "rebecca.hollis@example.com"),
        ),
        "email",
    ),
    Labelled(  # es
        "Hola Joaquín:\n\nGracias por tu paciencia, ya procesamos el reembolso.\n"
        "\nSaludos,\nMaría Clara\n\n> El 3 dic 2026, a las 18:04, Joaquín Ferreyra "
        "<joaquin.ferreyra@example.org> escribió:\n> ¿Hay novedades de mi reembolso? Vivo en Córdoba y el "
        "banco acá no me muestra nada.",
        (
            ("PERSON", "Joaquín"),
            ("PERSON", "María Clara"),
            ("PERSON", "Joaquín Ferreyra"),
            ("EMAIL", "joaquin.ferreyra@example.org"),
            ("LOCATION", "Córdoba"),
        ),
        "email",
    ),
    Labelled(  # de
        "Sehr geehrter Herr Hoffmann,\n\nvielen Dank für Ihre Nachricht. Ihr Termin zur Kontoeröffnung ist "
        "am 14. Januar 2027 um 9:30 Uhr in unserer Filiale.\n\nMit freundlichen Grüßen\n"
        "Jana Richter\nKundenservice",
        (
            ("PERSON", "Hoffmann"),
            ("PERSONAL_DATE", "14. Januar 2027"),
            ("PERSON", "Jana Richter"),
        ),
        "email",
    ),
    Labelled(  # pt
        "Olá Rafaela,\n\nSegue o link para redefinir sua senha. Se não foi você, responda este e-mail.\n"
        "\nAbraços,\nEquipe Conta Fácil\n\n---- Em ter., 1 de dez. de 2026 Rafaela Moura "
        "<rafa.moura@example.com> escreveu ----\n> esqueci a senha de novo kkk",
        (
            ("PERSON", "Rafaela"),
            ("PERSON", "Rafaela Moura"),
            ("EMAIL", "rafa.moura@example.com"),
        ),
        "email",
    ),
    Labelled(  # fr
        "Bonjour Madame Marchand,\n\nSuite à votre appel, nous avons bien enregistré votre nouvelle "
        "adresse : 12 rue des Lilas, 69003 Lyon, ainsi que votre nouveau RIB FR41 2380 7151 9777 6599 6027 "
        "540.\n\nCordialement,\nService Client - NovaBanque",
        (
            ("PERSON", "Marchand"),
            ("ADDRESS", "12 rue des Lilas, 69003 Lyon"),
            ("IBAN", "FR41 2380 7151 9777 6599 6027 540"),
        ),
        "email",
    ),
    Labelled(
        "From: Kwame Asante <kwame@example.com>\nTo: Billing\nSubject: RE: Invoice INV-2026-1187\n"
        "\nHi, the card we have on file is 3471 757803 16511 (Amex), please charge that instead of the "
        "expired one.\n\nKwame",
        (
            ("PERSON", "Kwame Asante"),
            ("EMAIL", "kwame@example.com"),
            ("CREDIT_CARD", "3471 757803 16511"),
            ("PERSON", "Kwame"),
        ),
        "email",
    ),
    Labelled(  # it
        "Gentile Sig.ra Ferraro,\n\nle confermiamo l'appuntamento con il consulente per il 20 dicembre "
        "alle ore 15:00.\n\n> Il giorno lun 30 nov, Giulia Ferraro ha scritto:\n"
        "> Posso spostare l'appuntamento? Sarò a Torino fino al 18.",
        (
            ("PERSON", "Ferraro"),
            ("PERSONAL_DATE", "20 dicembre"),
            ("PERSON", "Giulia Ferraro"),
            ("LOCATION", "Torino"),
        ),
        "email",
    ),
    Labelled(  # nl
        "Beste Ruud,\n\nHierbij de offerte voor 25 licenties. Let op: de prijs geldt tot 31 december.\n"
        "\nMet vriendelijke groet,\nFleur Jansen\nAccount Executive | +31 6 5550 2841",
        (
            ("PERSON", "Ruud"),
            ("PERSON", "Fleur Jansen"),
            ("PHONE", "+31 6 5550 2841"),
        ),
        "email",
    ),
    Labelled(
        "Hi Priyanka,\n\nCongratulations! We're pleased to offer you the Product Designer role. Your start "
        "date is 4 January 2027. Please send your bank details to HR.\n"
        "\n> Thanks! My IBAN is GB86 NWBK 9568 3638 6417 32.\n> Priyanka Raghunathan",
        (
            ("PERSON", "Priyanka"),
            ("PERSONAL_DATE", "4 January 2027"),
            ("IBAN", "GB86 NWBK 9568 3638 6417 32"),
            ("PERSON", "Priyanka Raghunathan"),
        ),
        "email",
    ),
    Labelled(  # pl
        "Dzień dobry Pani Zofio,\n\nw załączniku przesyłamy umowę. Prosimy o podpis do piątku.\n"
        "\nPozdrawiam serdecznie\nTomasz Zieliński\ntel. 601 555 384",
        (
            ("PERSON", "Zofio"),
            ("PERSON", "Tomasz Zieliński"),
            ("PHONE", "601 555 384"),
        ),
        "email",
    ),
    Labelled(  # sv
        "Hej Sigrid!\n\nTack för mötet igår. Som sagt skickar jag API-nyckeln för sandlådan här: "
        "sk-proj-zmv5lOaHXSa2vRDio8hSiMlCAuQBitkhD03vdj58pC4mol6a - byt den innan ni går live.\n"
        "\nMvh\nErik",
        (
            ("PERSON", "Sigrid"),
            ("API_KEY", "sk-proj-zmv5lOaHXSa2vRDio8hSiMlCAuQBitkhD03vdj58pC4mol6a"),
            ("PERSON", "Erik"),
        ),
        "email",
    ),
    Labelled(
        "Dear Mr. Barakat,\n\nWe were unable to verify the address you provided (Apartment 7, 22 Rainbow "
        "Street, Jabal Amman, Amman 11181). Please upload a utility bill dated within the last 3 months.\n"
        "\nKind regards,\nCompliance Team",
        (
            ("PERSON", "Barakat"),
            ("ADDRESS", "Apartment 7, 22 Rainbow Street, Jabal Amman, Amman 11181"),
        ),
        "email",
    ),
    Labelled(  # tr
        "Merhaba Burak Bey,\n\nŞifre sıfırlama talebiniz 203.0.113.45 IP adresinden geldi. Bu işlemi siz "
        "yapmadıysanız lütfen bu e-postayı yanıtlayın.\n\nSaygılarımızla,\n"
        "Güvenlik Ekibi",
        (
            ("PERSON", "Burak"),
            ("IP", "203.0.113.45"),
        ),
        "email",
    ),
    Labelled(  # id
        "Yth. Bapak Budi Santoso,\n\nKami informasikan bahwa jadwal kunjungan teknisi ke rumah Bapak di "
        "Jl. Diponegoro No. 45, Bandung 40115 adalah tanggal 9 Desember 2026.\n"
        "\nHormat kami,\nTim Layanan",
        (
            ("PERSON", "Budi Santoso"),
            ("ADDRESS", "Jl. Diponegoro No. 45, Bandung 40115"),
            ("PERSONAL_DATE", "9 Desember 2026"),
        ),
        "email",
    ),
    Labelled(
        "---------- Forwarded message ---------\nFrom: Shirin Moradi <shirin.moradi@example.net>\n"
        "Subject: card declined\n\nmy card 6011 0757 3709 9958 keeps getting declined at checkout, I'm "
        "travelling in Canada right now if that matters",
        (
            ("PERSON", "Shirin Moradi"),
            ("EMAIL", "shirin.moradi@example.net"),
            ("CREDIT_CARD", "6011 0757 3709 9958"),
            ("LOCATION", "Canada"),
        ),
        "email",
    ),
    Labelled(  # vi
        "Kính gửi anh Minh,\n\nChúng tôi xác nhận lịch hẹn của anh tại chi nhánh vào ngày 15/12/2026 lúc "
        "10 giờ.\n\nTrân trọng,\nPhạm Thu Trang\nBộ phận Chăm sóc Khách hàng",
        (
            ("PERSON", "Minh"),
            ("PERSONAL_DATE", "15/12/2026"),
            ("PERSON", "Phạm Thu Trang"),
        ),
        "email",
    ),
    Labelled(
        "Hi Linh,\n\nFor the I-9 we still need your SSN - please use the secure upload link, not email.\n"
        "\n> sorry, already typing it here: 987 65 4328\n> - Linh",
        (
            ("PERSON", "Linh"),
            ("US_SSN", "987 65 4328"),
        ),
        "email",
    ),
    # ---------------------------------------------------------------- log
    Labelled(
        '{"ts":"2026-12-05T10:14:22Z","level":"INFO","event":"login_success","user":"emre.yildirim@example.com","ip":"192.0.2.18","ua":"Mozilla/5.0"}',
        (
            ("EMAIL", "emre.yildirim@example.com"),
            ("IP", "192.0.2.18"),
        ),
        "log",
    ),
    Labelled(
        "2026-12-05 11:02:17,331 WARNING payments.charge: card declined for customer_id=cus_Q8x2 "
        'name="Valentina Restrepo" pan=4492768921641527 reason=insufficient_funds',
        (
            ("PERSON", "Valentina Restrepo"),
            ("CREDIT_CARD", "4492768921641527"),
        ),
        "log",
    ),
    Labelled(
        "ERROR [auth] token validation failed: Authorization: Bearer "
        "sk-ant-api03-jFuD5-7B9hoc82rYFFkIzvv0U8Qcy29_OX5Dac0vHZOc-BI2G-NfPq3u4ZYH from 2001:db8:4f2::17",
        (
            ("API_KEY", "sk-ant-api03-jFuD5-7B9hoc82rYFFkIzvv0U8Qcy29_OX5Dac0vHZOc-BI2G-NfPq3u4ZYH"),
            ("IP", "2001:db8:4f2::17"),
        ),
        "log",
    ),
    Labelled(
        '{"tool":"crm.lookup","args":{"query":"Okafor"},"result":[{"name":"Chinedu Okafor","phone":"+234 '
        '809 555 7741","city":"Abuja"}]}',
        (
            ("PERSON", "Okafor"),
            ("PERSON", "Chinedu Okafor"),
            ("PHONE", "+234 809 555 7741"),
            ("LOCATION", "Abuja"),
        ),
        "log",
    ),
    Labelled(
        '198.51.100.204 - lena.kovac [05/Dec/2026:13:45:02 +0000] "POST /api/v2/payouts HTTP/1.1" 201 512 '
        '"-" "python-requests/2.32"',
        (
            ("IP", "198.51.100.204"),
            ("PERSON", "lena.kovac"),
        ),
        "log",
    ),
    Labelled(  # es
        'INFO 2026-12-04 09:12:44 [kyc-worker] verificación completada para "Lucía de la Fuente" '
        "fecha_nacimiento=1992-02-29 pais=ES",
        (
            ("PERSON", "Lucía de la Fuente"),
            ("DATE_OF_BIRTH", "1992-02-29"),
        ),
        "log",
    ),
    Labelled(
        'DEBUG openai.request {"model":"gpt-4o","messages":[{"role":"user","content":"Summarize the '
        'complaint from Nyokabi Njoroge, SSN 987-65-4327, about the late payroll deposit"}]}',
        (
            ("PERSON", "Nyokabi Njoroge"),
            ("US_SSN", "987-65-4327"),
        ),
        "log",
    ),
    Labelled(
        "Dec  5 14:22:09 api-03 sshd[2211]: Accepted publickey for deploy from 203.0.113.9 port 52214 "
        "ssh2: ED25519 SHA256:Zq1",
        (("IP", "203.0.113.9"),),
        "log",
    ),
    Labelled(  # de
        '2026-12-05T08:01:55Z WARN webhook.lastschrift: Zahlung fehlgeschlagen, Kunde="Karl von Hagen", '
        "IBAN=CH5179476478221112146, Grund=Konto erloschen",
        (
            ("PERSON", "Karl von Hagen"),
            ("IBAN", "CH5179476478221112146"),
        ),
        "log",
    ),
    Labelled(
        '{"audit":"profile.update","actor":"admin","target_user":"u_5521","changes":{"address":{"old":"Plot '
        '12, Admiralty Way, Lekki Phase 1, Lagos","new":"221 Ikorodu Road, Palmgrove, Lagos"}}}',
        (
            ("ADDRESS", "Plot 12, Admiralty Way, Lekki Phase 1, Lagos"),
            ("ADDRESS", "221 Ikorodu Road, Palmgrove, Lagos"),
        ),
        "log",
    ),
    Labelled(
        'trace_id=7f3a9c span=llm.completion prompt="Write a birthday message for my colleague Haruka '
        'Tanabe, born 1990年4月12日, who just moved to Osaka" tokens=212',
        (
            ("PERSON", "Haruka Tanabe"),
            ("DATE_OF_BIRTH", "1990年4月12日"),
            ("LOCATION", "Osaka"),
        ),
        "log",
    ),
    Labelled(  # fr
        "WARN 2026-12-05 16:40:01 relance-facturation: échec envoi SMS à +33 6 55 51 23 48 (client: "
        "Anne-Sophie Marchand, relance n°3)",
        (
            ("PHONE", "+33 6 55 51 23 48"),
            ("PERSON", "Anne-Sophie Marchand"),
        ),
        "log",
    ),
    Labelled(
        'Traceback (most recent call last):\n  File "/app/billing/sync.py", line 88, in push_contact\n'
        "    resp.raise_for_status()\nrequests.exceptions.HTTPError: 422 Client Error: Unprocessable "
        'Entity payload={"name": "Tevita Fonua", "email": "tevita.fonua@example.org"}',
        (
            ("PERSON", "Tevita Fonua"),
            ("EMAIL", "tevita.fonua@example.org"),
        ),
        "log",
    ),
    Labelled(  # it
        '[2026-12-05 10:11:12] payout.ok beneficiario="Matteo Rinaldi" iban=IT42X6853607155494560358255 '
        "importo=1250.00 EUR",
        (
            ("PERSON", "Matteo Rinaldi"),
            ("IBAN", "IT42X6853607155494560358255"),
        ),
        "log",
    ),
    Labelled(
        'INFO slack.event message from @sunny.park in #billing-escalations: "customer at 198.51.100.61 '
        'keeps hitting rate limits"',
        (
            ("PERSON", "sunny.park"),
            ("IP", "198.51.100.61"),
        ),
        "log",
    ),
    Labelled(  # pt
        'ERRO 2026-12-03 22:10:04 cobranca: cartão 5320 1874 9946 8913 recusado para cliente "Thiago '
        'Barbosa" - endereço de cobrança Av. Paulista 1578, ap. 92, São Paulo - SP, 01310-200',
        (
            ("CREDIT_CARD", "5320 1874 9946 8913"),
            ("PERSON", "Thiago Barbosa"),
            ("ADDRESS", "Av. Paulista 1578, ap. 92, São Paulo - SP, 01310-200"),
        ),
        "log",
    ),
    Labelled(
        '{"event":"w9.submitted","tin":"987-65-4322","payee":"Grace Whitfield","status":"pending_review"}',
        (
            ("US_SSN", "987-65-4322"),
            ("PERSON", "Grace Whitfield"),
        ),
        "log",
    ),
    # ---------------------------------------------------------------- code
    Labelled(
        'AWS_ACCESS_KEY_ID = "AKIAFYSVN1X6B3WUYKWT"  # TODO move to vault - ask Dmitri before rotating',
        (
            ("API_KEY", "AKIAFYSVN1X6B3WUYKWT"),
            ("PERSON", "Dmitri"),
        ),
        "code",
    ),
    Labelled(
        "INSERT INTO customers (full_name, email, phone, dob) VALUES ('Noor El-Sayed', "
        "'noor.elsayed@example.com', '+20 100 555 2841', '1987-09-14');",
        (
            ("PERSON", "Noor El-Sayed"),
            ("EMAIL", "noor.elsayed@example.com"),
            ("PHONE", "+20 100 555 2841"),
            ("DATE_OF_BIRTH", "1987-09-14"),
        ),
        "code",
    ),
    Labelled(
        "const testUser = { name: 'Tommy Pritchard', email: 'tommy.p@example.org', address: '1420 Maple "
        "Ridge Dr, Apt 3B, Austin, TX 78704' };",
        (
            ("PERSON", "Tommy Pritchard"),
            ("EMAIL", "tommy.p@example.org"),
            ("ADDRESS", "1420 Maple Ridge Dr, Apt 3B, Austin, TX 78704"),
        ),
        "code",
    ),
    Labelled(
        "slack:\n  bot_token: xoxb-672608274994-1489734005236-6MWlEHVzKS0SypR3Pct6xu4z\n"
        "  channel: '#alerts-payments'\n  owner: farhana.chowdhury",
        (
            ("API_KEY", "xoxb-672608274994-1489734005236-6MWlEHVzKS0SypR3Pct6xu4z"),
            ("PERSON", "farhana.chowdhury"),
        ),
        "code",
    ),
    Labelled(
        "SELECT iban, holder FROM payout_accounts WHERE holder = 'Ivana Petrović';\n"
        "-- result: BE14 2542 1979 4375 | Ivana Petrović",
        (
            ("PERSON", "Ivana Petrović"),
            ("IBAN", "BE14 2542 1979 4375"),
        ),
        "code",
    ),
    Labelled(
        'def test_mask_ssn():\n    assert mask("987-65-4329") == "***-**-4329"\n    assert mask("") == ""',
        (("US_SSN", "987-65-4329"),),
        "code",
    ),
    Labelled(
        "STRIPE_SECRET_KEY=rk_live_GCSXYTsfJdVtjcwJ5m7WQoVb\n"
        "STRIPE_WEBHOOK_SECRET=whsec_6k9MNsJd6jHp0zctylP7mPp1c508sxqZ\n"
        "STRIPE_API_VERSION=2024-06-20",
        (
            ("API_KEY", "rk_live_GCSXYTsfJdVtjcwJ5m7WQoVb"),
            ("API_KEY", "whsec_6k9MNsJd6jHp0zctylP7mPp1c508sxqZ"),
        ),
        "code",
    ),
    Labelled(  # es
        "# FIXME(joaquin.f): la clienta Rosario Méndez sigue recibiendo facturas en la dirección vieja "
        "(Av. Corrientes 1847, piso 6, C1045 CABA)\ndef direccion_facturacion(cliente): ...",
        (
            ("PERSON", "joaquin.f"),
            ("PERSON", "Rosario Méndez"),
            ("ADDRESS", "Av. Corrientes 1847, piso 6, C1045 CABA"),
        ),
        "code",
    ),
    Labelled(
        "curl -H 'Authorization: Bearer glpat-UV4YZQYuNyVxM_P01AcQ' "
        "https://gitlab.example.com/api/v4/projects/42/pipelines  # run from Sipho's laptop 192.0.2.140",
        (
            ("API_KEY", "glpat-UV4YZQYuNyVxM_P01AcQ"),
            ("PERSON", "Sipho"),
            ("IP", "192.0.2.140"),
        ),
        "code",
    ),
    Labelled(
        "com.acme.billing.CardValidationException: invalid expiry for card 2223 2578 7755 9313 (holder=LIM "
        "SEO-YEON)\n\tat com.acme.billing.CardService.validate(CardService.java:118)",
        (
            ("CREDIT_CARD", "2223 2578 7755 9313"),
            ("PERSON", "LIM SEO-YEON"),
        ),
        "code",
    ),
    Labelled(  # de
        'kunde = {"vorname": "Jürgen", "nachname": "Weißmüller", "geburtsdatum": "07.03.1968", "adresse": '
        '"Sendlinger Straße 12, 80331 München"}',
        (
            ("PERSON", "Jürgen"),
            ("PERSON", "Weißmüller"),
            ("DATE_OF_BIRTH", "07.03.1968"),
            ("ADDRESS", "Sendlinger Straße 12, 80331 München"),
        ),
        "code",
    ),
    Labelled(
        'df = pd.DataFrame([{"name": "Tamar Mizrahi", "card": "36137442758668", "country": "Israel"}])\n'
        "df.to_parquet('fixtures/cards.parquet')",
        (
            ("PERSON", "Tamar Mizrahi"),
            ("CREDIT_CARD", "36137442758668"),
            ("LOCATION", "Israel"),
        ),
        "code",
    ),
    Labelled(
        'from huggingface_hub import login\nlogin(token="hf_XiezdQe0XYjudnGYuACVYURCXBhohAtWS0")  # '
        "Chidi's personal token, do not commit",
        (
            ("API_KEY", "hf_XiezdQe0XYjudnGYuACVYURCXBhohAtWS0"),
            ("PERSON", "Chidi"),
        ),
        "code",
    ),
    Labelled(  # fr
        '{"data":{"client":{"nom":"Lefèvre","prenom":"Jean-Baptiste","telephone":"06 55 58 21 '
        '47","dateNaissance":"1981-10-05"}}}',
        (
            ("PERSON", "Lefèvre"),
            ("PERSON", "Jean-Baptiste"),
            ("PHONE", "06 55 58 21 47"),
            ("DATE_OF_BIRTH", "1981-10-05"),
        ),
        "code",
    ),
    Labelled(  # tr
        "UPDATE musteriler SET telefon = '+90 532 555 1408', sehir = 'İzmir' WHERE ad_soyad = 'Burak Şahin';",
        (
            ("PHONE", "+90 532 555 1408"),
            ("LOCATION", "İzmir"),
            ("PERSON", "Burak Şahin"),
        ),
        "code",
    ),
    Labelled(
        "//registry.npmjs.org/:_authToken=npm_VpsyZV4ts3u0glx0GDNnMutfxSnHTNlzbypY\n"
        "# added by will.tanaka on the build laptop, rotate quarterly",
        (
            ("API_KEY", "npm_VpsyZV4ts3u0glx0GDNnMutfxSnHTNlzbypY"),
            ("PERSON", "will.tanaka"),
        ),
        "code",
    ),
    Labelled(
        'sg = SendGridAPIClient("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")\n'
        'sg.send(to="amara.nwosu@example.com", subject="Your monthly statement")',
        (
            ("API_KEY", "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"),
            ("EMAIL", "amara.nwosu@example.com"),
        ),
        "code",
    ),
    # ---------------------------------------------------------------- clinical
    Labelled(
        "Patient: Wanjiru Kamau, DOB 04/09/1972. Admitted 2026-11-28 with community-acquired pneumonia. "
        "Discharged 2026-12-03 on oral amoxicillin. Follow-up at clinic on 17 Dec 2026.",
        (
            ("PERSON", "Wanjiru Kamau"),
            ("DATE_OF_BIRTH", "04/09/1972"),
            ("PERSONAL_DATE", "2026-11-28"),
            ("PERSONAL_DATE", "2026-12-03"),
            ("PERSONAL_DATE", "17 Dec 2026"),
        ),
        "clinical",
    ),
    Labelled(  # es
        "Nota de evolución - Paciente: Dolores Aguirre Paz, 67 años, ingresó el 2 de diciembre por dolor "
        "torácico. Vive sola en Valparaíso. Contacto: hija, Blanca Aguirre, +56 9 5555 1234.",
        (
            ("PERSON", "Dolores Aguirre Paz"),
            ("PERSONAL_DATE", "2 de diciembre"),
            ("LOCATION", "Valparaíso"),
            ("PERSON", "Blanca Aguirre"),
            ("PHONE", "+56 9 5555 1234"),
        ),
        "clinical",
    ),
    Labelled(
        "SOAP note 12/04/2026 - S: Mr. Tesfaye reports worsening headaches since returning from Addis "
        "Ababa last week. O: BP 152/96. A: uncontrolled HTN. P: increase amlodipine to 10 mg, recheck in 2 "
        "weeks.",
        (
            ("PERSONAL_DATE", "12/04/2026"),
            ("PERSON", "Tesfaye"),
            ("LOCATION", "Addis Ababa"),
        ),
        "clinical",
    ),
    Labelled(  # de
        "Entlassbrief: Frau Ewa Mazur, geb. 19.01.1958, wurde vom 24.11. bis 02.12.2026 stationär "
        "behandelt (Hüft-TEP rechts). Wohnhaft: Lindenweg 7, 04109 Leipzig.",
        (
            ("PERSON", "Ewa Mazur"),
            ("DATE_OF_BIRTH", "19.01.1958"),
            ("PERSONAL_DATE", "24.11."),
            ("PERSONAL_DATE", "02.12.2026"),
            ("ADDRESS", "Lindenweg 7, 04109 Leipzig"),
        ),
        "clinical",
    ),
    Labelled(  # pt
        "Paciente Maria dos Santos Ferreira, 54 anos, consulta de retorno em 08/01/2027. Queixa: dor "
        "lombar. Telefone para lembrete: (11) 95555-4321.",
        (
            ("PERSON", "Maria dos Santos Ferreira"),
            ("PERSONAL_DATE", "08/01/2027"),
            ("PHONE", "(11) 95555-4321"),
        ),
        "clinical",
    ),
    Labelled(
        "Claim #CLM-88120 for patient Hinemoa Ngata (DOB 1999-03-15), policy holder SSN 987-65-4323. Date "
        "of service: Nov 30, 2026. Provider: Harbourview Physio.",
        (
            ("PERSON", "Hinemoa Ngata"),
            ("DATE_OF_BIRTH", "1999-03-15"),
            ("US_SSN", "987-65-4323"),
            ("PERSONAL_DATE", "Nov 30, 2026"),
        ),
        "clinical",
    ),
    Labelled(  # fr
        "Compte rendu : Mme Fatou Ndiaye, née le 3 mars 1961, hospitalisée le 28/11/2026 pour "
        "décompensation cardiaque. Décès constaté le 05/12/2026 à 04h10.",
        (
            ("PERSON", "Fatou Ndiaye"),
            ("DATE_OF_BIRTH", "3 mars 1961"),
            ("PERSONAL_DATE", "28/11/2026"),
            ("PERSONAL_DATE", "05/12/2026"),
        ),
        "clinical",
    ),
    Labelled(  # it
        "Referto: paziente Sig. Antonio Russo, nato il 22/06/1949, residente a Bari. Visita cardiologica "
        "programmata per il 19 gennaio 2027.",
        (
            ("PERSON", "Antonio Russo"),
            ("DATE_OF_BIRTH", "22/06/1949"),
            ("LOCATION", "Bari"),
            ("PERSONAL_DATE", "19 gennaio 2027"),
        ),
        "clinical",
    ),
    Labelled(  # nl
        "Huisarts-notitie: mw. Anouk Bakker (geb. 12-10-1985) belde over bijwerkingen van metformine. "
        "Afspraak gemaakt voor dinsdag 15 december. Tel: 06-55598712.",
        (
            ("PERSON", "Anouk Bakker"),
            ("DATE_OF_BIRTH", "12-10-1985"),
            ("PERSONAL_DATE", "dinsdag 15 december"),
            ("PHONE", "06-55598712"),
        ),
        "clinical",
    ),
    Labelled(
        "pt: hi dr, its Joy, my daughter Amara has had fever 39.2 since sunday. we're in Accra visiting "
        "family, can u prescribe something? my number +233 24 555 0187",
        (
            ("PERSON", "Joy"),
            ("PERSON", "Amara"),
            ("LOCATION", "Accra"),
            ("PHONE", "+233 24 555 0187"),
        ),
        "clinical",
    ),
    Labelled(  # pl
        "Karta informacyjna: pacjent Piotr Zając, ur. 1966-04-30, przyjęty 01.12.2026 na oddział "
        "chirurgii. Adres: ul. Długa 15/3, 80-827 Gdańsk.",
        (
            ("PERSON", "Piotr Zając"),
            ("DATE_OF_BIRTH", "1966-04-30"),
            ("PERSONAL_DATE", "01.12.2026"),
            ("ADDRESS", "ul. Długa 15/3, 80-827 Gdańsk"),
        ),
        "clinical",
    ),
    Labelled(  # tr
        "Hasta: Ayşe Kaya, doğum tarihi 14 Şubat 1980. 3 Aralık 2026 tarihinde acil servise başvurdu. "
        "Yakını: eşi Mehmet Kaya, 0533 555 42 17.",
        (
            ("PERSON", "Ayşe Kaya"),
            ("DATE_OF_BIRTH", "14 Şubat 1980"),
            ("PERSONAL_DATE", "3 Aralık 2026"),
            ("PERSON", "Mehmet Kaya"),
            ("PHONE", "0533 555 42 17"),
        ),
        "clinical",
    ),
    Labelled(  # id
        "Catatan medis: pasien Ni Made Sari, lahir 17-08-1993, kontrol kehamilan berikutnya tanggal 20 "
        "Desember 2026 di poli kandungan.",
        (
            ("PERSON", "Ni Made Sari"),
            ("DATE_OF_BIRTH", "17-08-1993"),
            ("PERSONAL_DATE", "20 Desember 2026"),
        ),
        "clinical",
    ),
    Labelled(
        "Triage note: Parisa Tehrani, 41F, arrived via ambulance 05-Dec-2026 22:40 after MVC. Home address "
        "880 Alder St, Apt 12, Portland, OR 97205. Emergency contact: brother Kaveh, (503) 555-0163.",
        (
            ("PERSON", "Parisa Tehrani"),
            ("PERSONAL_DATE", "05-Dec-2026 22:40"),
            ("ADDRESS", "880 Alder St, Apt 12, Portland, OR 97205"),
            ("PERSON", "Kaveh"),
            ("PHONE", "(503) 555-0163"),
        ),
        "clinical",
    ),
    Labelled(  # sv
        "Journalanteckning: Lars-Erik Holm, född 1955-11-02, kom på återbesök 2026-12-01. Bor i Umeå med "
        "sin fru, klarar ADL självständigt.",
        (
            ("PERSON", "Lars-Erik Holm"),
            ("DATE_OF_BIRTH", "1955-11-02"),
            ("PERSONAL_DATE", "2026-12-01"),
            ("LOCATION", "Umeå"),
        ),
        "clinical",
    ),
    Labelled(  # vi
        "Bệnh nhân: Lê Thị Mai, sinh ngày 05/07/1988, nhập viện ngày 29/11/2026, địa chỉ 14 Trần Phú, "
        "phường Hải Châu 1, Đà Nẵng.",
        (
            ("PERSON", "Lê Thị Mai"),
            ("DATE_OF_BIRTH", "05/07/1988"),
            ("PERSONAL_DATE", "29/11/2026"),
            ("ADDRESS", "14 Trần Phú, phường Hải Châu 1, Đà Nẵng"),
        ),
        "clinical",
    ),
    Labelled(
        'system: You are a clinical summarizer.\nuser: Summarize: "Pt Oksana H., seen 11/18/2026 for '
        'anxiety, on sertraline 50mg, lives in Kyiv, works remotely"',
        (
            ("PERSON", "Oksana H."),
            ("PERSONAL_DATE", "11/18/2026"),
            ("LOCATION", "Kyiv"),
        ),
        "clinical",
    ),
)
CLEAN_TEXTS: tuple[Labelled, ...] = (
    # ---------------------------------------------------------------- chat
    Labelled(
        "do you have a data center in Frankfurt or only in Virginia? our compliance team needs EU data "
        "residency before we sign",
        (),
        "chat",
    ),
    Labelled(  # es
        "hola, ¿el plan Pro incluye facturación en pesos chilenos? ¿y cuánto tarda un reembolso "
        "normalmente, 5 o 10 días hábiles?",
        (),
        "chat",
    ),
    Labelled(
        "lol the new dashboard is great but the 'Export to CSV' button under Reports > Revenue is greyed "
        "out for me, version 4.12.3, chrome 131",
        (),
        "chat",
    ),
    Labelled(  # pt
        "vocês aceitam Pix ou só cartão? e o boleto vence em quantos dias? quero saber antes de assinar o "
        "plano Business",
        (),
        "chat",
    ),
    Labelled(  # de
        "Hallo, gibt es die App auch auf Deutsch? Und funktioniert der Export nach DATEV mit der Version "
        "2.8 schon oder erst ab 3.0?",
        (),
        "chat",
    ),
    Labelled(
        "Grace period for the annual plan is 14 days, right? asking for our finance team before the Dec 31 "
        "renewal of the Summit tier",
        (),
        "chat",
    ),
    Labelled(  # id
        "kak, apakah bisa bayar pakai QRIS? lalu fitur multi-currency sudah tersedia untuk IDR dan SGD "
        "belum?",
        (),
        "chat",
    ),
    # ---------------------------------------------------------------- ticket
    Labelled(
        "Ticket #40917: Webhook retries exhausted for endpoint /v1/events (HTTP 503). Affected tenant: "
        "acme-prod. Started 2026-12-04 03:12 UTC, resolved 03:40 UTC after a Redis failover.",
        (),
        "ticket",
    ),
    Labelled(  # fr
        "Ticket #7741 - La page « Mes factures » affiche une erreur 500 depuis la mise à jour 3.4.0. "
        "Navigateur : Firefox 133. Priorité : moyenne.",
        (),
        "ticket",
    ),
    Labelled(
        "BUG-2281: Sorting by the 'Last Name' column in the Contacts table is case-sensitive; entries "
        "starting with 'van' sort after 'Z'. Repro on build 2026.48.1.",
        (),
        "ticket",
    ),
    Labelled(  # tr
        "Talep #3390: Raporlar menüsündeki PDF dışa aktarma Türkçe karakterleri (ş, ğ, İ) bozuk "
        "gösteriyor. Sürüm 5.2.1, öncelik düşük.",
        (),
        "ticket",
    ),
    Labelled(
        "SUP-10022 Feature request: allow the IBAN field to accept lowercase input and strip spaces "
        "automatically. Requested by 3 enterprise accounts in Q4.",
        (),
        "ticket",
    ),
    Labelled(  # it
        "Richiesta #5590: il modulo di pagamento non accetta carte con 19 cifre. Da verificare con il team "
        "Pagamenti entro venerdì 11 dicembre.",
        (),
        "ticket",
    ),
    Labelled(  # nl
        "Melding 8812: de koppeling met Exact Online geeft 'token expired' na 60 minuten. Graag de "
        "refresh-logica nakijken voor release 7.3.",
        (),
        "ticket",
    ),
    # ---------------------------------------------------------------- crm
    Labelled(
        "account_id,company,industry,country,arr_usd,stage\nA-1042,Nordlicht Energie "
        "GmbH,Utilities,Germany,84000,Negotiation\nA-1043,Sol de Mayo SRL,Retail,Argentina,12500,Closed Won",
        (),
        "crm",
    ),
    Labelled(
        '{"deal_id":"D-77120","name":"Q1 expansion - Jade River '
        'Logistics","amount":48000,"currency":"EUR","close_date":"2027-03-31","owner_team":"EMEA '
        'Mid-Market"}',
        (),
        "crm",
    ),
    Labelled(  # es
        "Oportunidad: renovación anual de Banco del Sur (Montevideo). Decisión prevista para el 15 de "
        "enero; requieren SOC 2 Tipo II y cláusula de residencia de datos.",
        (),
        "crm",
    ),
    Labelled(
        "Segment 'Churn risk - fintech' includes 37 accounts with NPS < 20 and more than 3 P1 tickets in "
        "the last 90 days. Owner: Customer Success (APAC).",
        (),
        "crm",
    ),
    Labelled(  # pl
        "Notatka: firma Bałtyk Software sp. z o.o. z Gdańska pyta o cennik dla 120 stanowisk i integrację "
        "z Comarch ERP.",
        (),
        "crm",
    ),
    Labelled(
        "Job req JR-4471: Senior Data Engineer, Berlin or remote EU. Pipeline: 42 applied, 9 screened, 3 "
        "onsite. Hiring manager approval pending; salary band L5.",
        (),
        "crm",
    ),
    Labelled(  # pt
        "Lead frio: Padaria Pão de Ouro Ltda., segmento varejo, 3 lojas em Belo Horizonte. Interesse no "
        "módulo de PDV. Próximo passo: demo em fevereiro.",
        (),
        "crm",
    ),
    # ---------------------------------------------------------------- email
    Labelled(
        "Hello team,\n\nReminder: the v5.0 release freeze starts Friday, December 11. Please merge "
        "outstanding PRs to main before 18:00 CET.\n\nThanks,\nRelease Management",
        (),
        "email",
    ),
    Labelled(  # de
        "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie die Rechnung Nr. 2026-11-0442 über 1.190,00 "
        "EUR. Zahlbar innerhalb von 14 Tagen.\n\nMit freundlichen Grüßen\n"
        "Ihr Buchhaltungsteam",
        (),
        "email",
    ),
    Labelled(  # es
        "Estimado cliente:\n\nA partir del 1 de enero de 2027 los precios del plan Business se "
        "actualizarán un 8 %. No necesita realizar ninguna acción.\n"
        "\nAtentamente,\nEquipo de Facturación",
        (),
        "email",
    ),
    Labelled(
        "Hi all,\n\nThe Paris and Singapore offices will be closed on December 25. Support coverage will "
        "come from the Austin hub.\n\nBest,\nPeople Ops",
        (),
        "email",
    ),
    Labelled(  # fr
        "Bonjour,\n\nVotre export « clients_2026.csv » est prêt. Il expirera dans 7 jours.\n"
        "\nL'équipe Produit",
        (),
        "email",
    ),
    Labelled(  # sv
        "Hej!\n\nVi har uppgraderat API:t till version 3. Gamla nycklar slutar fungera den 1 mars 2027. "
        "Läs migreringsguiden i hjälpcentret.\n\nVänliga hälsningar\n"
        "Supportteamet",
        (),
        "email",
    ),
    Labelled(
        "> On Tue, Customer Success wrote:\n> Can you confirm the SLA for P1 incidents?\n"
        "\nYes - 1 hour response, 4 hours mitigation, 24/7 for the Enterprise tier.",
        (),
        "email",
    ),
    # ---------------------------------------------------------------- log
    Labelled(
        '{"ts":"2026-12-05T10:14:22Z","level":"INFO","event":"job_finished","job":"nightly-invoice-run","duration_ms":48213,"records":10422}',
        (),
        "log",
    ),
    Labelled(
        "2026-12-05 03:00:01 INFO cron[1182]: rotated /var/log/app/payments.log (size=104857600)",
        (),
        "log",
    ),
    Labelled(
        "WARN rate_limiter: bucket=api:v2:payouts limit=600/min exceeded by tenant=t_9f2c1 (retry_after=12s)",
        (),
        "log",
    ),
    Labelled(
        "ERROR db.pool: connection to postgres://db-primary:5432/billing timed out after 30000ms (attempt "
        "3/5)",
        (),
        "log",
    ),
    Labelled(  # es
        "INFO 2026-12-04 09:12:44 [kyc-worker] cola vacía, esperando 30 s; procesados hoy: 1.284 expedientes",
        (),
        "log",
    ),
    Labelled(
        "kube: Pod payments-api-7d9f8b6c5-x2klm OOMKilled (limit 512Mi), restarting on node "
        "ip-10-0-3-17.eu-west-1.compute.internal",
        (),
        "log",
    ),
    Labelled(
        "otel: span llm.chat model=gpt-4o-mini input_tokens=1832 output_tokens=211 finish_reason=stop "
        "latency_ms=912 trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
        (),
        "log",
    ),
    # ---------------------------------------------------------------- code
    Labelled(
        "def luhn_check(number: str) -> bool:\n    digits = [int(c) for c in number if c.isdigit()]\n"
        "    return sum(digits) % 10 == 0  # simplified, see PAY-77",
        (),
        "code",
    ),
    Labelled(
        "SELECT account_id, SUM(amount) AS total FROM invoices WHERE issued_at >= '2026-01-01' GROUP BY "
        "account_id HAVING SUM(amount) > 10000;",
        (),
        "code",
    ),
    Labelled(
        "export function formatIban(iban: string): string {\n  return iban.replace(/(.{4})/g, '$1 "
        "').trim();\n}",
        (),
        "code",
    ),
    Labelled(
        'API_KEY = os.environ["PAYMENTS_API_KEY"]  # never hardcode; loaded from Vault path '
        "secret/payments/prod",
        (),
        "code",
    ),
    Labelled(
        "class CustomerAddress(BaseModel):\n    street: str\n    postal_code: str\n"
        '    city: str\n    country_code: str = "DE"',
        (),
        "code",
    ),
    Labelled(  # de
        "# TODO: Geburtsdatum-Validierung für Kunden unter 18 Jahren ergänzen (siehe Ticket PAY-812)\n"
        "def pruefe_alter(geburtsdatum: date) -> bool: ...",
        (),
        "code",
    ),
    Labelled(
        "uuid = 'f47ac10b-58cc-4372-a567-0e02b2c3d479'; version = '2.31.0'; build = 20261205",
        (),
        "code",
    ),
    # ---------------------------------------------------------------- clinical
    Labelled(
        "Protocol: administer amoxicillin 500 mg TID for 7 days; reassess if fever persists beyond 72 "
        "hours. Applies to adult outpatients without penicillin allergy.",
        (),
        "clinical",
    ),
    Labelled(  # es
        "Guía clínica: en pacientes con hipertensión estadio 2, iniciar tratamiento combinado. Revisión de "
        "la guía prevista para marzo de 2027.",
        (),
        "clinical",
    ),
    Labelled(
        "Ward 4B bed occupancy 92% as of 06:00; two discharges pending pharmacy review. On-call: "
        "cardiology registrar.",
        (),
        "clinical",
    ),
    Labelled(  # fr
        "Rappel : la campagne de vaccination antigrippale débute le 15 octobre dans tous les services. "
        "Doses disponibles à la pharmacie centrale.",
        (),
        "clinical",
    ),
    Labelled(
        "ICD-10 codes used most this month: J18.9 (pneumonia), I10 (hypertension), E11.9 (type 2 "
        "diabetes). Export generated 2026-12-01.",
        (),
        "clinical",
    ),
    Labelled(  # de
        "Dienstplan Station 3: Frühdienst 06:00-14:00, Spätdienst 14:00-22:00. Übergabe im Stationszimmer.",
        (),
        "clinical",
    ),
    Labelled(
        "Parkinson's disease and Hodgkin lymphoma referrals are routed to the Whitmore neurology and "
        "oncology pathways respectively.",
        (),
        "clinical",
    ),
)
NAME_ORIGINS: dict[str, str] = {
    "folake adeyemi": "west_african",
    "Joaquín Ferreyra": "latin_american",
    "Grace": "anglo",
    "Rafaela Moura": "latin_american",
    "Sipho": "southern_african",
    "Lukas Hoffmann": "german",
    "wanjiru_k": "east_african",
    "Emre Yıldırım": "turkish",
    "Siti Rahmawati": "southeast_asian",
    "Hope": "anglo",
    "Trần Văn Minh": "southeast_asian",
    "Anne-Sophie Marchand": "french",
    "AMANI MWANGI": "east_african",
    "Katarzyna Wiśniewska": "slavic",
    "Ruud de Vries": "dutch",
    "Venky": "south_asian",
    "Venkatesh Subramaniam": "south_asian",
    "Sigrid Lindqvist": "nordic",
    "Grace Whitfield": "anglo",
    "Omar Al-Farsi": "arabic",
    "Lucía Navarro Gil": "spanish",
    "Tesfaye Bekele": "east_african",
    "Dmitri Volkov": "slavic",
    "Zofia Kowalczyk": "slavic",
    "Chen Yuting": "east_asian",
    "Jean-Baptiste Lefèvre": "french",
    "Thandiwe Mokoena": "southern_african",
    "Giulia Ferraro": "italian",
    "Valentina Restrepo": "latin_american",
    "Inês Carvalho": "portuguese",
    "Henrik Bjørnstad": "nordic",
    "Elif Aydoğan": "turkish",
    "Mark Bishop": "anglo",
    "Putu Ayu Wirawan": "southeast_asian",
    "K. Lindqvist": "nordic",
    "Adaeze": "west_african",
    "Okonkwo": "west_african",
    "Dariush Farahani": "persian",
    "Camila Ortega Ruiz": "latin_american",
    "Arjun Mehta": "south_asian",
    "Sabine Krüger-Hahn": "german",
    "Nguyễn Thị Hoa": "southeast_asian",
    "Layla Haddad": "arabic",
    "Yousef Barakat": "arabic",
    "Sione": "pacific",
    "Tupou": "pacific",
    "Marek Nowak": "slavic",
    "Thiago": "latin_american",
    "Barbosa": "latin_american",
    "Pieter van der Berg": "dutch",
    "Aigerim Nurlanovna": "central_asian",
    "Sofia Esposito": "italian",
    "Astrid Nyberg": "nordic",
    "Tevita Fonua": "pacific",
    "Mamadou Diallo": "west_african",
    "Oskar Ekström": "nordic",
    "Dilnoza Karimova": "central_asian",
    "dilnoza-karimova-dev": "central_asian",
    "Marcus Bell": "anglo",
    "Rebecca Hollis": "anglo",
    "Joaquín": "latin_american",
    "María Clara": "latin_american",
    "Hoffmann": "german",
    "Jana Richter": "german",
    "Rafaela": "latin_american",
    "Marchand": "french",
    "Kwame Asante": "west_african",
    "Kwame": "west_african",
    "Ferraro": "italian",
    "Ruud": "dutch",
    "Fleur Jansen": "dutch",
    "Priyanka": "south_asian",
    "Priyanka Raghunathan": "south_asian",
    "Zofio": "slavic",
    "Tomasz Zieliński": "slavic",
    "Sigrid": "nordic",
    "Erik": "nordic",
    "Barakat": "arabic",
    "Burak": "turkish",
    "Budi Santoso": "southeast_asian",
    "Shirin Moradi": "persian",
    "Minh": "southeast_asian",
    "Phạm Thu Trang": "southeast_asian",
    "Linh": "southeast_asian",
    "Okafor": "west_african",
    "Chinedu Okafor": "west_african",
    "lena.kovac": "slavic",
    "Lucía de la Fuente": "spanish",
    "Nyokabi Njoroge": "east_african",
    "Karl von Hagen": "german",
    "Haruka Tanabe": "east_asian",
    "Matteo Rinaldi": "italian",
    "sunny.park": "east_asian",
    "Thiago Barbosa": "latin_american",
    "Dmitri": "slavic",
    "Noor El-Sayed": "arabic",
    "Tommy Pritchard": "anglo",
    "farhana.chowdhury": "south_asian",
    "Ivana Petrović": "slavic",
    "joaquin.f": "latin_american",
    "Rosario Méndez": "latin_american",
    "LIM SEO-YEON": "east_asian",
    "Jürgen": "german",
    "Weißmüller": "german",
    "Tamar Mizrahi": "hebrew",
    "Chidi": "west_african",
    "Lefèvre": "french",
    "Jean-Baptiste": "french",
    "Burak Şahin": "turkish",
    "will.tanaka": "east_asian",
    "Wanjiru Kamau": "east_african",
    "Dolores Aguirre Paz": "latin_american",
    "Blanca Aguirre": "latin_american",
    "Tesfaye": "east_african",
    "Ewa Mazur": "slavic",
    "Maria dos Santos Ferreira": "portuguese",
    "Hinemoa Ngata": "pacific",
    "Fatou Ndiaye": "west_african",
    "Antonio Russo": "italian",
    "Anouk Bakker": "dutch",
    "Joy": "anglo",
    "Amara": "west_african",
    "Piotr Zając": "slavic",
    "Ayşe Kaya": "turkish",
    "Mehmet Kaya": "turkish",
    "Ni Made Sari": "southeast_asian",
    "Parisa Tehrani": "persian",
    "Kaveh": "persian",
    "Lars-Erik Holm": "nordic",
    "Lê Thị Mai": "southeast_asian",
    "Oksana H.": "slavic",
}
