"""A tenth labelled PII corpus, written blind for issue 17.

Written in December 2026 by a tenth author who never read the recognizers, the benchmarks or the other
corpora. It leans toward marketplaces and gig platforms, banking and lending, schools and universities,
logistics and delivery, government services, and agent tool calls (JSON arguments and results of functions
such as lookup_customer, create_ticket and send_email), in English and about a dozen other languages. All
data is invented: cards are Luhn-valid random numbers, IBANs are random accounts with valid mod-97 check
digits, SSNs are 987-65-432x, IPs come from the documentation ranges and e-mails use reserved domains.
"""

# ruff: noqa: RUF001  (Turkish dotless i and typographic dashes are part of the texts)

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # ---------------------------------------------------------------- chat
    Labelled(
        "hi, my courier never showed up. order for Chidinma Eze, she lives in Enugu, phone +234 803 555 0142",
        (("PERSON", "Chidinma Eze"), ("LOCATION", "Enugu"), ("PHONE", "+234 803 555 0142")),
        "chat",
    ),
    Labelled(
        "hola, soy Mateo Quispe Huamán, no me llegó el reembolso a mi tarjeta 4938 1666 2263 1883, me "
        "ayudan?",
        (("PERSON", "Mateo Quispe Huamán"), ("CREDIT_CARD", "4938 1666 2263 1883")),
        "chat",
    ),
    Labelled(
        "oi! aqui é a Thaís dos Santos, troquei de número, agora é (11) 91234-5678. moro em Campinas desde "
        "março",
        (("PERSON", "Thaís dos Santos"), ("PHONE", "(11) 91234-5678"), ("LOCATION", "Campinas")),
        "chat",
    ),
    Labelled(
        "agent: can I get the email on the driver account? user: its wanjiru.kamau@example.com, name Wanjiru",
        (("EMAIL", "wanjiru.kamau@example.com"), ("PERSON", "Wanjiru")),
        "chat",
    ),
    Labelled(
        "bonjour, je m'appelle Aurélien Lefèvre-Ndiaye, né le 14/02/1991, je n'arrive pas à valider mon "
        "prêt étudiant",
        (("PERSON", "Aurélien Lefèvre-Ndiaye"), ("DATE_OF_BIRTH", "14/02/1991")),
        "chat",
    ),
    Labelled(
        "pls help, my tasker hope didnt finish the job. her number was 07700 900461 and she left at 3pm",
        (("PERSON", "hope"), ("PHONE", "07700 900461")),
        "chat",
    ),
    Labelled(
        "merhaba, ben Elif Yıldırım, İzmir'de oturuyorum. kredi başvurum için IBAN: TR89 7966 3110 6501 "
        "4400 4405 90",
        (("PERSON", "Elif Yıldırım"), ("LOCATION", "İzmir"), ("IBAN", "TR89 7966 3110 6501 4400 4405 90")),
        "chat",
    ),
    Labelled(
        "halo kak, saya Putu Ayu Lestari dari Denpasar, paket saya belum sampai. no hp 0812-3456-7890 ya",
        (("PERSON", "Putu Ayu Lestari"), ("LOCATION", "Denpasar"), ("PHONE", "0812-3456-7890")),
        "chat",
    ),
    Labelled(
        "chào bạn, mình là Nguyễn Thị Hồng Nhung, sinh ngày 03/09/1998, muốn đổi lịch hẹn ở ngân hàng sang "
        "12/01/2027",
        (
            ("PERSON", "Nguyễn Thị Hồng Nhung"),
            ("DATE_OF_BIRTH", "03/09/1998"),
            ("PERSONAL_DATE", "12/01/2027"),
        ),
        "chat",
    ),
    Labelled(
        "user: my ssn is 987-65-4321 for the loan pre-check, name is Tavita Faleolo, I moved to Auckland "
        "last year",
        (("US_SSN", "987-65-4321"), ("PERSON", "Tavita Faleolo"), ("LOCATION", "Auckland")),
        "chat",
    ),
    Labelled(
        "hej! Jag heter Linnea Sjöberg och bor i Umeå. kan ni skicka fakturan till "
        "linnea.sjoberg@example.se?",
        (("PERSON", "Linnea Sjöberg"), ("LOCATION", "Umeå"), ("EMAIL", "linnea.sjoberg@example.se")),
        "chat",
    ),
    Labelled(
        "cześć, tu Bartosz Wróblewski. kurier zostawił paczkę pod złym adresem, mój to ul. Ogrodowa 17/4, "
        "90-212 Łódź",
        (("PERSON", "Bartosz Wróblewski"), ("ADDRESS", "ul. Ogrodowa 17/4, 90-212 Łódź")),
        "chat",
    ),
    Labelled(
        "[student-portal bot] hi Rustam, your make-up exam is booked for 2027-01-18 at 09:00. reply STOP "
        "to cancel",
        (("PERSON", "Rustam"), ("PERSONAL_DATE", "2027-01-18")),
        "chat",
    ),
    Labelled(
        "ok so the seller sunny_okafor88 keeps asking me to pay outside the app, he sent his phone +234 "
        "809 555 0173",
        (("PERSON", "sunny_okafor88"), ("PHONE", "+234 809 555 0173")),
        "chat",
    ),
    Labelled(
        "ciao, sono Giulia De Angelis, la mia carta 5235 2517 7605 2198 è stata addebitata due volte per "
        "lo stesso ordine",
        (("PERSON", "Giulia De Angelis"), ("CREDIT_CARD", "5235 2517 7605 2198")),
        "chat",
    ),
    Labelled(
        "me: whats ur new addr for the parcel? Kofi: 14 Ring Road East, Osu, Accra. and my mum Abena will "
        "sign",
        (("PERSON", "Kofi"), ("ADDRESS", "14 Ring Road East, Osu, Accra"), ("PERSON", "Abena")),
        "chat",
    ),
    Labelled(
        "hallo, ich bin Jonas Vogelsang aus Leipzig, mein Geburtsdatum ist der 7. März 1989. Warum wurde "
        "mein Konto gesperrt?",
        (("PERSON", "Jonas Vogelsang"), ("LOCATION", "Leipzig"), ("DATE_OF_BIRTH", "7. März 1989")),
        "chat",
    ),
    # ---------------------------------------------------------------- ticket
    Labelled(
        "TICKET #88123 – Payout failed for rider Sipho Ndlovu (Durban). Bank returned invalid account. "
        "Contact: +27 82 555 0199",
        (("PERSON", "Sipho Ndlovu"), ("LOCATION", "Durban"), ("PHONE", "+27 82 555 0199")),
        "ticket",
    ),
    Labelled(
        "Subject: Chargeback dispute\nCustomer: Haruto Ishikawa\nCard: 3530 0270 7362 0375\nAmount: JPY "
        "12,800\nStatus: awaiting docs",
        (("PERSON", "Haruto Ishikawa"), ("CREDIT_CARD", "3530 0270 7362 0375")),
        "ticket",
    ),
    Labelled(
        "Priority: High. Borrower REZA TEHRANI (DOB 1984-11-30) reports a direct debit from DE16 9756 6912 "
        "8158 1756 38 he did not authorise.",
        (
            ("PERSON", "REZA TEHRANI"),
            ("DATE_OF_BIRTH", "1984-11-30"),
            ("IBAN", "DE16 9756 6912 8158 1756 38"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 5521: courier could not deliver to 221 Kingsway, Apt 9B, Vancouver, BC V5V 3C7 – recipient "
        "M. Castellanos not home.",
        (("ADDRESS", "221 Kingsway, Apt 9B, Vancouver, BC V5V 3C7"), ("PERSON", "M. Castellanos")),
        "ticket",
    ),
    Labelled(
        "Incidencia: la alumna Valentina Ríos Ocampo no puede acceder al campus virtual desde la IP "
        "203.0.113.57. Matrícula pagada.",
        (("PERSON", "Valentina Ríos Ocampo"), ("IP", "203.0.113.57")),
        "ticket",
    ),
    Labelled(
        "Chamado: cliente Rafael Albuquerque pediu estorno; IBAN PT22 7180 8386 9872 5715 3800 0; mora em "
        "Braga.",
        (
            ("PERSON", "Rafael Albuquerque"),
            ("IBAN", "PT22 7180 8386 9872 5715 3800 0"),
            ("LOCATION", "Braga"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket: leaked key in public repo by contractor Dmitri Volkov: "
        "sk-proj-Qm7vT2xLp9RzK4nWc8YbH3aE6dJfU1sG0oVi. Rotate ASAP.",
        (("PERSON", "Dmitri Volkov"), ("API_KEY", "sk-proj-Qm7vT2xLp9RzK4nWc8YbH3aE6dJfU1sG0oVi")),
        "ticket",
    ),
    Labelled(
        "Melding: huurder Sanne van der Veen (Utrecht) vraagt terugbetaling borg naar NL46 ABNA 4489 8884 "
        "93.",
        (("PERSON", "Sanne van der Veen"), ("LOCATION", "Utrecht"), ("IBAN", "NL46 ABNA 4489 8884 93")),
        "ticket",
    ),
    Labelled(
        "Benefit claim ticket: applicant Grace Mwangi, SSN 987 65 4322, appointment at the county office "
        "on 4 February 2027.",
        (("PERSON", "Grace Mwangi"), ("US_SSN", "987 65 4322"), ("PERSONAL_DATE", "4 February 2027")),
        "ticket",
    ),
    Labelled(
        "Zgłoszenie: student Agnieszka Kowalczyk-Nowak, ur. 22.06.2003, prosi o duplikat legitymacji. Tel. "
        "+48 601 234 567.",
        (
            ("PERSON", "Agnieszka Kowalczyk-Nowak"),
            ("DATE_OF_BIRTH", "22.06.2003"),
            ("PHONE", "+48 601 234 567"),
        ),
        "ticket",
    ),
    Labelled(
        "Destek talebi: satıcı Mehmet Can Aydın mağaza ödemesini alamadı. E-posta: mcaydin@example.com.tr",
        (("PERSON", "Mehmet Can Aydın"), ("EMAIL", "mcaydin@example.com.tr")),
        "ticket",
    ),
    Labelled(
        "Ticket #30917 (Delivery): driver bilal.haddad reported a damaged parcel at 5 Rue des Lilas, 69003 "
        "Lyon.",
        (("PERSON", "bilal.haddad"), ("ADDRESS", "5 Rue des Lilas, 69003 Lyon")),
        "ticket",
    ),
    Labelled(
        "Request: freelancer Aiyana Redcloud cannot withdraw earnings; 2FA SMS to (555) 010-4477 never "
        "arrives.",
        (("PERSON", "Aiyana Redcloud"), ("PHONE", "(555) 010-4477")),
        "ticket",
    ),
    Labelled(
        "Ärende: kund Erik Lindqvist, personnummer skyddat, flyttade till Göteborg 2026-10-01. Uppdatera "
        "adress: Vasagatan 12, 411 24 Göteborg.",
        (
            ("PERSON", "Erik Lindqvist"),
            ("LOCATION", "Göteborg"),
            ("PERSONAL_DATE", "2026-10-01"),
            ("ADDRESS", "Vasagatan 12, 411 24 Göteborg"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket: passport renewal for minor Zara Qureshi, born 9 Aug 2015; parent Imran Qureshi called "
        "from 0161 496 0734.",
        (
            ("PERSON", "Zara Qureshi"),
            ("DATE_OF_BIRTH", "9 Aug 2015"),
            ("PERSON", "Imran Qureshi"),
            ("PHONE", "0161 496 0734"),
        ),
        "ticket",
    ),
    # ---------------------------------------------------------------- crm
    Labelled(
        "CRM note: spoke w/ Oluwaseun Adeyemi re: SME loan top-up. Prefers WhatsApp +234 701 555 0128. "
        "Based in Ibadan.",
        (("PERSON", "Oluwaseun Adeyemi"), ("PHONE", "+234 701 555 0128"), ("LOCATION", "Ibadan")),
        "crm",
    ),
    Labelled(
        "Kontakt: Anna-Lena Schröder, Hauptstraße 41, 10827 Berlin. Geb. 02.05.1976. Interessiert an "
        "Baufinanzierung.",
        (
            ("PERSON", "Anna-Lena Schröder"),
            ("ADDRESS", "Hauptstraße 41, 10827 Berlin"),
            ("DATE_OF_BIRTH", "02.05.1976"),
        ),
        "crm",
    ),
    Labelled(
        "Lead: Farhad Karimi, importer, moving from Tehran to Toronto in spring. Email farhad.k@example.net",
        (
            ("PERSON", "Farhad Karimi"),
            ("LOCATION", "Tehran"),
            ("LOCATION", "Toronto"),
            ("EMAIL", "farhad.k@example.net"),
        ),
        "crm",
    ),
    Labelled(
        "Nota CRM: la señora Carmen de la Cruz llamó; quiere domiciliar la cuota en ES65 9442 0860 9288 "
        "7939 9234.",
        (("PERSON", "Carmen de la Cruz"), ("IBAN", "ES65 9442 0860 9288 7939 9234")),
        "crm",
    ),
    Labelled(
        "Account owner: Tupac Mamani | segment: gig driver | city: Cochabamba | card on file: "
        "4549-2679-5810-8883",
        (("PERSON", "Tupac Mamani"), ("LOCATION", "Cochabamba"), ("CREDIT_CARD", "4549-2679-5810-8883")),
        "crm",
    ),
    Labelled(
        "Parent contact updated: Mrs. Precious Dlamini (mother of Lwazi, Grade 7). Cell 082 555 0144. "
        "Home: 18 Jacaranda St, Pretoria 0181",
        (
            ("PERSON", "Precious Dlamini"),
            ("PERSON", "Lwazi"),
            ("PHONE", "082 555 0144"),
            ("ADDRESS", "18 Jacaranda St, Pretoria 0181"),
        ),
        "crm",
    ),
    Labelled(
        "Note client : M. Jean-Baptiste Kaboré, commerçant à Ouagadougou, souhaite un découvert. RDV "
        "agence le 21/01/2027.",
        (("PERSON", "Jean-Baptiste Kaboré"), ("LOCATION", "Ouagadougou"), ("PERSONAL_DATE", "21/01/2027")),
        "crm",
    ),
    Labelled(
        "Opportunity: Kenji Morimoto (procurement) asked for volume pricing; direct line +81 90-1234-5678.",
        (("PERSON", "Kenji Morimoto"), ("PHONE", "+81 90-1234-5678")),
        "crm",
    ),
    Labelled(
        "Nota: il cliente Lorenzo Bianchi ha chiesto il bonifico su IT29 X384 9713 4203 9998 2446 983. "
        "Vive a Torino.",
        (
            ("PERSON", "Lorenzo Bianchi"),
            ("IBAN", "IT29 X384 9713 4203 9998 2446 983"),
            ("LOCATION", "Torino"),
        ),
        "crm",
    ),
    Labelled(
        "Host profile: Leilani Kahale, lists 2 cabins, payout to BE73 9716 3348 8582, lives in Hilo, Hawaii.",
        (("PERSON", "Leilani Kahale"), ("IBAN", "BE73 9716 3348 8582"), ("LOCATION", "Hilo, Hawaii")),
        "crm",
    ),
    Labelled(
        "Contact: Aigerim Bekova <aigerim.bekova@example.org>, office manager, birthday 1990-04-12 (send "
        "card).",
        (
            ("PERSON", "Aigerim Bekova"),
            ("EMAIL", "aigerim.bekova@example.org"),
            ("DATE_OF_BIRTH", "1990-04-12"),
        ),
        "crm",
    ),
    Labelled(
        "Catatan CRM: Bapak Agus Santoso, pedagang di Surabaya, ingin pinjaman modal. Tgl lahir 17-08-1979.",
        (("PERSON", "Agus Santoso"), ("LOCATION", "Surabaya"), ("DATE_OF_BIRTH", "17-08-1979")),
        "crm",
    ),
    Labelled(
        "Customer 20931: Will Hartley, 77 Mercer Street, Apt 4, New York, NY 10012. VIP since 2019. Amex "
        "3733 017750 41800.",
        (
            ("PERSON", "Will Hartley"),
            ("ADDRESS", "77 Mercer Street, Apt 4, New York, NY 10012"),
            ("CREDIT_CARD", "3733 017750 41800"),
        ),
        "crm",
    ),
    Labelled(
        "Ghi chú: anh Trần Quốc Bảo hẹn ký hợp đồng vay ngày 15/01/2027 tại chi nhánh; SĐT 0912 345 678.",
        (("PERSON", "Trần Quốc Bảo"), ("PERSONAL_DATE", "15/01/2027"), ("PHONE", "0912 345 678")),
        "crm",
    ),
    Labelled(
        "Alumni record: Dr. Ngozi Okonjo-Eze, class of 2008, now lives in Houston; prefers email "
        "ngozi.oe@example.com.",
        (("PERSON", "Ngozi Okonjo-Eze"), ("LOCATION", "Houston"), ("EMAIL", "ngozi.oe@example.com")),
        "crm",
    ),
    # ---------------------------------------------------------------- email
    Labelled(
        "Dear Ms. Abubakar,\n\nYour tuition instalment is due. Please pay via the portal.\n\nKind "
        "regards,\nBursar's Office\n\n-- sent to halima.abubakar@example.edu.ng",
        (("PERSON", "Abubakar"), ("EMAIL", "halima.abubakar@example.edu.ng")),
        "email",
    ),
    Labelled(
        "Hi team,\nPlease update the shipping address for Priya Raghunathan to 42, 3rd Cross, Indiranagar, "
        "Bengaluru 560038.\nThanks, Arjun",
        (
            ("PERSON", "Priya Raghunathan"),
            ("ADDRESS", "42, 3rd Cross, Indiranagar, Bengaluru 560038"),
            ("PERSON", "Arjun"),
        ),
        "email",
    ),
    Labelled(
        "Estimado Sr. Hernández:\nConfirmamos su cita en la oficina de extranjería el 9 de febrero de 2027 "
        "a las 10:30.\nAtentamente,\nDelegación",
        (("PERSON", "Hernández"), ("PERSONAL_DATE", "9 de febrero de 2027")),
        "email",
    ),
    Labelled(
        "Bonjour Mme Diallo,\nVotre carte se terminant par 6673 a été bloquée. Nous avons envoyé un code "
        "au +33 6 12 34 56 78.\nService client",
        (("PERSON", "Diallo"), ("PHONE", "+33 6 12 34 56 78")),
        "email",
    ),
    Labelled(
        "From: Yusuf Al-Mansouri <yusuf.almansouri@example.ae>\nTo: loans@example.com\nSubject: salary "
        "certificate\n\nAttached. Regards, Yusuf",
        (
            ("PERSON", "Yusuf Al-Mansouri"),
            ("EMAIL", "yusuf.almansouri@example.ae"),
            ("EMAIL", "loans@example.com"),
            ("PERSON", "Yusuf"),
        ),
        "email",
    ),
    Labelled(
        "Hallo Herr van Beek,\nIhr Termin beim Bürgeramt ist am 28.01.2027 um 8:15 Uhr.\nMit freundlichen "
        "Grüßen\nBürgeramt Mitte",
        (("PERSON", "van Beek"), ("PERSONAL_DATE", "28.01.2027")),
        "email",
    ),
    Labelled(
        "Hi Joy,\nYour driver Tomasz will arrive between 2-4pm. Track at the app. Questions? Reply here or "
        "call 020 7946 0321.\n— Dispatch",
        (("PERSON", "Joy"), ("PERSON", "Tomasz"), ("PHONE", "020 7946 0321")),
        "email",
    ),
    Labelled(
        "Caro Matteo,\nti confermo che il rimborso è stato disposto sulla carta 5593-8166-6226-3186.\nUn "
        "saluto,\nFederica Russo\nUfficio Pagamenti",
        (("PERSON", "Matteo"), ("CREDIT_CARD", "5593-8166-6226-3186"), ("PERSON", "Federica Russo")),
        "email",
    ),
    Labelled(
        "Beste Daan,\nWe hebben je aanvraag voor studiefinanciering ontvangen. Je geboortedatum "
        "(11-11-2004) klopt niet met DUO.\nGroet, Studentenbalie",
        (("PERSON", "Daan"), ("DATE_OF_BIRTH", "11-11-2004")),
        "email",
    ),
    Labelled(
        "Hej Astrid,\ndin lön betalas till SE12 4740 9189 1381 9058 8000 från och med nästa "
        "månad.\nHälsningar,\nLönekontoret",
        (("PERSON", "Astrid"), ("IBAN", "SE12 4740 9189 1381 9058 8000")),
        "email",
    ),
    Labelled(
        "Dear Mr. Ochieng,\nWe noticed a sign-in from 198.51.100.23 (new device). If this wasn't you, "
        "reset your password.\nSecurity Team",
        (("PERSON", "Ochieng"), ("IP", "198.51.100.23")),
        "email",
    ),
    Labelled(
        "Olá Beatriz,\nsegue o boleto do seu financiamento. O vencimento é dia 10. Sua data de nascimento "
        "no cadastro: 25/12/1995.\nAbraços, Lucas",
        (("PERSON", "Beatriz"), ("DATE_OF_BIRTH", "25/12/1995"), ("PERSON", "Lucas")),
        "email",
    ),
    Labelled(
        "Sayın Ayşe Demirtaş,\nRandevunuz 5 Şubat 2027 tarihinde Kadıköy şubemizde. Bilgi: 0532 123 45 "
        "67\nSaygılarımızla",
        (("PERSON", "Ayşe Demirtaş"), ("PERSONAL_DATE", "5 Şubat 2027"), ("PHONE", "0532 123 45 67")),
        "email",
    ),
    Labelled(
        "Hi Ravi, the admissions office needs a copy of your SSN card (987-65-4323) before enrolment. "
        "Cheers, Min-jun Park (Registrar)",
        (("PERSON", "Ravi"), ("US_SSN", "987-65-4323"), ("PERSON", "Min-jun Park")),
        "email",
    ),
    Labelled(
        "Szanowna Pani Zofio,\nprzelew na PL68 7954 5340 5896 8057 4310 7551 zostanie zrealizowany "
        "jutro.\nPozdrawiam, Krzysztof Mazur",
        (("PERSON", "Zofio"), ("IBAN", "PL68 7954 5340 5896 8057 4310 7551"), ("PERSON", "Krzysztof Mazur")),
        "email",
    ),
    Labelled(
        "Hello Mele,\nWelcome to the seller programme! Your warehouse pickup address: 12 Vaea Street, "
        "Apia, Samoa.\nBest, Onboarding",
        (("PERSON", "Mele"), ("ADDRESS", "12 Vaea Street, Apia, Samoa")),
        "email",
    ),
    # ---------------------------------------------------------------- log
    Labelled(
        '{"ts":"2026-12-02T10:14:07Z","level":"INFO","event":"login","user":"kwame.asante@example.com","ip":"192.0.2.44"}',
        (("EMAIL", "kwame.asante@example.com"), ("IP", "192.0.2.44")),
        "log",
    ),
    Labelled(
        '2026-12-03 08:01:55 WARN payout.service card_declined holder="Li Wei" pan=6212659487628673 '
        "reason=insufficient_funds",
        (("PERSON", "Li Wei"), ("CREDIT_CARD", "6212659487628673")),
        "log",
    ),
    Labelled(
        "[auth] failed login for user=siosaia.tupou from 2001:db8:85a3::8a2e:370:7334 (attempt 5/5), "
        "account locked",
        (("PERSON", "siosaia.tupou"), ("IP", "2001:db8:85a3::8a2e:370:7334")),
        "log",
    ),
    Labelled(
        'level=error msg="kyc mismatch" name="DARIUSH RAHIMI" dob=1972-03-08 ssn=987654324 provider=idv-2',
        (("PERSON", "DARIUSH RAHIMI"), ("DATE_OF_BIRTH", "1972-03-08"), ("US_SSN", "987654324")),
        "log",
    ),
    Labelled(
        '{"level":"debug","msg":"geocode ok","courier":"Amadou Sow","drop":"Calle Mayor 8, 3º B, 28013 '
        'Madrid","eta_min":14}',
        (("PERSON", "Amadou Sow"), ("ADDRESS", "Calle Mayor 8, 3º B, 28013 Madrid")),
        "log",
    ),
    Labelled(
        "INFO  http  POST /v1/charges 402 203.0.113.9 key=sk_live_51NfQx8Ty7ZpRk2LmVa9cWb3 customer=cus_Qh72",
        (("IP", "203.0.113.9"), ("API_KEY", "sk_live_51NfQx8Ty7ZpRk2LmVa9cWb3")),
        "log",
    ),
    Labelled(
        '2026-11-30T23:59:01+01:00 enrolment-worker: created record student="Lukas Novák" born=2006-07-19 '
        "school=SPS-07",
        (("PERSON", "Lukas Novák"), ("DATE_OF_BIRTH", "2006-07-19")),
        "log",
    ),
    Labelled(
        'WARN notifier: sms to +62 813-2222-9090 failed (recipient "Dewi Kartika"), retrying in 30s',
        (("PHONE", "+62 813-2222-9090"), ("PERSON", "Dewi Kartika")),
        "log",
    ),
    Labelled(
        'ERROR sepa.mandate: invalid creditor for debtor="Henrik Dahl" iban=DK0585938035746616 '
        "mandate=MND-88172",
        (("PERSON", "Henrik Dahl"), ("IBAN", "DK0585938035746616")),
        "log",
    ),
    Labelled(
        '{"svc":"gov-id","action":"appointment.booked","citizen":"Hamid '
        'Noorzai","slot":"2027-02-11T09:30","office":"Kabul-3"}',
        (("PERSON", "Hamid Noorzai"), ("PERSONAL_DATE", "2027-02-11T09:30")),
        "log",
    ),
    Labelled(
        "audit: env dump contained GITHUB_TOKEN=ghp_R8kZp2Lw9Qx4Tn7Vb1Yc6Hd3Fj0Ms5Ue2Ga9 from host "
        "198.51.100.201",
        (("API_KEY", "ghp_R8kZp2Lw9Qx4Tn7Vb1Yc6Hd3Fj0Ms5Ue2Ga9"), ("IP", "198.51.100.201")),
        "log",
    ),
    Labelled(
        '2026-12-05 17:22:40 INFO delivery.proof signed_by="Ana Lucía Paredes" phone=+52 55 1234 5678 '
        "city=Guadalajara",
        (("PERSON", "Ana Lucía Paredes"), ("PHONE", "+52 55 1234 5678"), ("LOCATION", "Guadalajara")),
        "log",
    ),
    Labelled(
        'E/Checkout: tokenization failed for "4422820361001806" (user: olga_petrenko)',
        (("CREDIT_CARD", "4422820361001806"), ("PERSON", "olga_petrenko")),
        "log",
    ),
    Labelled(
        "DEBUG slack.post channel=#payouts token=xoxb-2231847735-5518290013-qTz8Vm3KpLw1Rn6Yc0Ha "
        "notify=Nomvula",
        (("API_KEY", "xoxb-2231847735-5518290013-qTz8Vm3KpLw1Rn6Yc0Ha"), ("PERSON", "Nomvula")),
        "log",
    ),
    Labelled(
        '{"event":"loan.approved","applicant":{"name":"Sione '
        'Havili","email":"s.havili@example.org"},"amount":4500}',
        (("PERSON", "Sione Havili"), ("EMAIL", "s.havili@example.org")),
        "log",
    ),
    Labelled(
        "INFO tracker: parcel DX-551209 handed to neighbour Björn Åkesson at Storgatan 3, 753 20 Uppsala",
        (("PERSON", "Björn Åkesson"), ("ADDRESS", "Storgatan 3, 753 20 Uppsala")),
        "log",
    ),
    # ---------------------------------------------------------------- code (incl. agent tool calls)
    Labelled(
        'tool_call: lookup_customer({"email": "fatima.zahra@example.com", "include": ["loans", "cards"]})',
        (("EMAIL", "fatima.zahra@example.com"),),
        "code",
    ),
    Labelled(
        'tool_result lookup_customer -> {"id": 8812, "name": "Fatima Zahra Benali", "city": "Casablanca", '
        '"phone": "+212 661-234567"}',
        (("PERSON", "Fatima Zahra Benali"), ("LOCATION", "Casablanca"), ("PHONE", "+212 661-234567")),
        "code",
    ),
    Labelled(
        'create_ticket({"title": "Refund not received", "requester": "Ikaika Nakoa", "card_last4": "8153", '
        '"card": "2223 3740 1069 8153"})',
        (("PERSON", "Ikaika Nakoa"), ("CREDIT_CARD", "2223 3740 1069 8153")),
        "code",
    ),
    Labelled(
        'send_email(to="camila.restrepo@example.co", subject="Tu préstamo", body="Hola Camila, tu cita es '
        'el 19/01/2027.")',
        (("EMAIL", "camila.restrepo@example.co"), ("PERSON", "Camila"), ("PERSONAL_DATE", "19/01/2027")),
        "code",
    ),
    Labelled(
        "INSERT INTO students (full_name, dob, guardian_phone) VALUES ('Chen Yu-Ting', '2010-05-02', '+886 "
        "912 345 678');",
        (("PERSON", "Chen Yu-Ting"), ("DATE_OF_BIRTH", "2010-05-02"), ("PHONE", "+886 912 345 678")),
        "code",
    ),
    Labelled(
        "# TODO remove before commit\nOPENAI_API_KEY = "
        '"sk-proj-8bVn2Qw5Xe7Rt1Yu9Io3Pa6Sd4Fg0Hj2Kl8Zx"\nclient = OpenAI(api_key=OPENAI_API_KEY)',
        (("API_KEY", "sk-proj-8bVn2Qw5Xe7Rt1Yu9Io3Pa6Sd4Fg0Hj2Kl8Zx"),),
        "code",
    ),
    Labelled(
        'Traceback (most recent call last):\n  File "kyc.py", line 88, in verify\n    raise '
        'MismatchError("SSN 987-65-4325 does not match Marisol Etxeberria")',
        (("US_SSN", "987-65-4325"), ("PERSON", "Marisol Etxeberria")),
        "code",
    ),
    Labelled(
        "aws_access_key_id = AKIAQ7XK2M9PLR4TZ8VW\naws_secret_access_key = "
        "9sQ/vF2kLp+Wz8Rn4Tb7Yh1Jc3Xm6Ud0Ge5Ka2Ho\n# owner: nils.ekstrom",
        (
            ("API_KEY", "AKIAQ7XK2M9PLR4TZ8VW"),
            ("API_KEY", "9sQ/vF2kLp+Wz8Rn4Tb7Yh1Jc3Xm6Ud0Ge5Ka2Ho"),
            ("PERSON", "nils.ekstrom"),
        ),
        "code",
    ),
    Labelled(
        'assistant → function get_delivery_status(args={"tracking":"LX90218","recipient":"Mbali '
        'Khumalo","address":"9 Long Street, Cape Town 8001"})',
        (("PERSON", "Mbali Khumalo"), ("ADDRESS", "9 Long Street, Cape Town 8001")),
        "code",
    ),
    Labelled(
        "UPDATE borrowers SET iban = 'FR36 3497 4372 03A8 3665 8861 283' WHERE name = 'Hugo Marchand';",
        (("IBAN", "FR36 3497 4372 03A8 3665 8861 283"), ("PERSON", "Hugo Marchand")),
        "code",
    ),
    Labelled(
        'def test_payout():\n    user = User(name="Sebastián Villalobos", card="6011 3465 9834 4738")\n    '
        "assert payout(user).ok",
        (("PERSON", "Sebastián Villalobos"), ("CREDIT_CARD", "6011 3465 9834 4738")),
        "code",
    ),
    Labelled(
        'lookup_citizen({"national_id": "redacted", "name": "Gulnara Tashkentova", "dob": "14.09.1968"}) '
        '-> {"status": "pension_eligible"}',
        (("PERSON", "Gulnara Tashkentova"), ("DATE_OF_BIRTH", "14.09.1968")),
        "code",
    ),
    Labelled(
        'const cfg = { sendgridKey: "SG.k3Vx9Qp2Tz.Wm7Rb4Lc1Yn8Hd5Fj0Gs6Ua3Ke9Xo2Pi7Vt4", from: '
        '"noreply@example.com", admin: "yara" };',
        (
            ("API_KEY", "SG.k3Vx9Qp2Tz.Wm7Rb4Lc1Yn8Hd5Fj0Gs6Ua3Ke9Xo2Pi7Vt4"),
            ("EMAIL", "noreply@example.com"),
            ("PERSON", "yara"),
        ),
        "code",
    ),
    Labelled(
        'create_ticket(requester_email="oksana.hrytsenko@example.org", ip="192.0.2.131", summary="cannot '
        'upload diploma")',
        (("EMAIL", "oksana.hrytsenko@example.org"), ("IP", "192.0.2.131")),
        "code",
    ),
    Labelled(
        'tool_result: {"matches":[{"name":"Kaan Öztürk","iban":"TR89 7966 3110 6501 4400 4405 90"}], '
        '"note":"same IBAN as Elif"}',
        (("PERSON", "Kaan Öztürk"), ("IBAN", "TR89 7966 3110 6501 4400 4405 90"), ("PERSON", "Elif")),
        "code",
    ),
    Labelled(
        "HF_TOKEN=hf_TzQ8pWm3KvLx7Rb2Nc9Yd4Ha1Fj6Gs0Ue5 python train.py --hub-user abdi-warsame --push",
        (("API_KEY", "hf_TzQ8pWm3KvLx7Rb2Nc9Yd4Ha1Fj6Gs0Ue5"), ("PERSON", "abdi-warsame")),
        "code",
    ),
    # ---------------------------------------------------------------- clinical
    Labelled(
        "Pt: Adaeze Nwosu, DOB 12/03/1987. Admitted 2026-11-28 with suspected malaria after travel. Lives "
        "in Port Harcourt.",
        (
            ("PERSON", "Adaeze Nwosu"),
            ("DATE_OF_BIRTH", "12/03/1987"),
            ("PERSONAL_DATE", "2026-11-28"),
            ("LOCATION", "Port Harcourt"),
        ),
        "clinical",
    ),
    Labelled(
        "Paciente: Joaquín Saavedra, 54 años. Alta el 3 de diciembre de 2026. Control en consulta externa "
        "en 2 semanas.",
        (("PERSON", "Joaquín Saavedra"), ("PERSONAL_DATE", "3 de diciembre de 2026")),
        "clinical",
    ),
    Labelled(
        "SOAP – S: 'chest tight since Tue'. Pt Rangi Te Ahu, 61M, from Rotorua. Next visit 14 Jan 2027. "
        "Call wife Moana on 021 555 0188.",
        (
            ("PERSON", "Rangi Te Ahu"),
            ("LOCATION", "Rotorua"),
            ("PERSONAL_DATE", "14 Jan 2027"),
            ("PERSON", "Moana"),
            ("PHONE", "021 555 0188"),
        ),
        "clinical",
    ),
    Labelled(
        "Patientin Hannelore Brückner, geb. 30.01.1942, verstorben am 01.12.2026 um 04:10 Uhr. Angehörige "
        "informiert.",
        (("PERSON", "Hannelore Brückner"), ("DATE_OF_BIRTH", "30.01.1942"), ("PERSONAL_DATE", "01.12.2026")),
        "clinical",
    ),
    Labelled(
        "Discharge summary: SHIRIN MOHAMMADI, MRN 0048812, discharged 05-Dec-2026 to home (44 Elm Road, "
        "Leeds LS6 2AB).",
        (
            ("PERSON", "SHIRIN MOHAMMADI"),
            ("PERSONAL_DATE", "05-Dec-2026"),
            ("ADDRESS", "44 Elm Road, Leeds LS6 2AB"),
        ),
        "clinical",
    ),
    Labelled(
        "Consulta: Sra. Maria das Graças Oliveira, nasc. 08/08/1958, hipertensa. Retorno 20/01/2027. Tel "
        "(21) 98765-4321.",
        (
            ("PERSON", "Maria das Graças Oliveira"),
            ("DATE_OF_BIRTH", "08/08/1958"),
            ("PERSONAL_DATE", "20/01/2027"),
            ("PHONE", "(21) 98765-4321"),
        ),
        "clinical",
    ),
    Labelled(
        "nurse note 02:00 – pt Baraka asleep, obs stable. mother (Neema) asked to be called on +255 754 "
        "555 012 if any change.",
        (("PERSON", "Baraka"), ("PERSON", "Neema"), ("PHONE", "+255 754 555 012")),
        "clinical",
    ),
    Labelled(
        "Referral: Ananya Iyer (F, 34), DOB 1992-06-21, for MRI. Insurance billing SSN 987-65-4326. Lives "
        "in Chennai.",
        (
            ("PERSON", "Ananya Iyer"),
            ("DATE_OF_BIRTH", "1992-06-21"),
            ("US_SSN", "987-65-4326"),
            ("LOCATION", "Chennai"),
        ),
        "clinical",
    ),
    Labelled(
        "Cartella: sig. Giuseppe Esposito ricoverato il 29/11/2026 per frattura femore. Residente a Napoli.",
        (("PERSON", "Giuseppe Esposito"), ("PERSONAL_DATE", "29/11/2026"), ("LOCATION", "Napoli")),
        "clinical",
    ),
    Labelled(
        "Vaccination record: child Timur Abenov, born 2024-02-14, MMR due 2027-02-14; parent contact "
        "timur.parent@example.kz",
        (
            ("PERSON", "Timur Abenov"),
            ("DATE_OF_BIRTH", "2024-02-14"),
            ("PERSONAL_DATE", "2027-02-14"),
            ("EMAIL", "timur.parent@example.kz"),
        ),
        "clinical",
    ),
    Labelled(
        "Opname: dhr. Pieter de Groot, 72 jr, opgenomen 02-12-2026 na val. Woont alleen in Zwolle. Dochter "
        "Femke belt dagelijks.",
        (
            ("PERSON", "Pieter de Groot"),
            ("PERSONAL_DATE", "02-12-2026"),
            ("LOCATION", "Zwolle"),
            ("PERSON", "Femke"),
        ),
        "clinical",
    ),
    Labelled(
        "telehealth intake: patient connected from 198.51.100.77; name Rosa Mbeki; pays copay with card "
        "4705697184158.",
        (("IP", "198.51.100.77"), ("PERSON", "Rosa Mbeki"), ("CREDIT_CARD", "4705697184158")),
        "clinical",
    ),
    Labelled(
        "Bệnh nhân Lê Văn Hùng, 62 tuổi, nhập viện ngày 30/11/2026 vì đau ngực. Quê ở Huế.",
        (("PERSON", "Lê Văn Hùng"), ("PERSONAL_DATE", "30/11/2026"), ("LOCATION", "Huế")),
        "clinical",
    ),
    Labelled(
        "Pasien Siti Rahmawati, lahir 5 Mei 1990, kontrol kehamilan tgl 22 Januari 2027 di Puskesmas. "
        "Alamat: Jl. Melati No. 7, Bandung 40115",
        (
            ("PERSON", "Siti Rahmawati"),
            ("DATE_OF_BIRTH", "5 Mei 1990"),
            ("PERSONAL_DATE", "22 Januari 2027"),
            ("ADDRESS", "Jl. Melati No. 7, Bandung 40115"),
        ),
        "clinical",
    ),
    Labelled(
        "ED triage: J.R. Whitfield, 29M, brought by partner Faith. Arrived 06 Dec 2026 23:40. Portal login "
        "from 2001:db8::4c1.",
        (
            ("PERSON", "J.R. Whitfield"),
            ("PERSON", "Faith"),
            ("PERSONAL_DATE", "06 Dec 2026"),
            ("IP", "2001:db8::4c1"),
        ),
        "clinical",
    ),
    Labelled(
        "Hasta: Zeynep Arslan, d.t. 19.04.1983. Ameliyat tarihi 11.01.2027. Eşi Murat Arslan refakatçi.",
        (
            ("PERSON", "Zeynep Arslan"),
            ("DATE_OF_BIRTH", "19.04.1983"),
            ("PERSONAL_DATE", "11.01.2027"),
            ("PERSON", "Murat Arslan"),
        ),
        "clinical",
    ),
    # ---------------------------------------------------------------- more mixed
    Labelled(
        "lmao the buyer literally put 'kemal the seller is a scammer' in the review. kemal's shop ip was "
        "203.0.113.140",
        (("PERSON", "kemal"), ("IP", "203.0.113.140")),
        "chat",
    ),
    Labelled(
        "Chamado 7781: Pagamento do entregador Diego Farias caiu na conta errada. Ele nasceu em 1 de abril "
        "de 1993 e mora em Recife.",
        (("PERSON", "Diego Farias"), ("DATE_OF_BIRTH", "1 de abril de 1993"), ("LOCATION", "Recife")),
        "ticket",
    ),
    Labelled(
        "Lead note: Ingrid Halvorsen (Bergen) wants to refinance; IBAN NO72 3432 1504 476; call after 5pm "
        "on +47 412 34 567.",
        (
            ("PERSON", "Ingrid Halvorsen"),
            ("LOCATION", "Bergen"),
            ("IBAN", "NO72 3432 1504 476"),
            ("PHONE", "+47 412 34 567"),
        ),
        "crm",
    ),
    Labelled(
        "Guten Tag Frau Gruber,\nIhre Kaution wird auf AT72 7843 2891 8036 3924 erstattet.\nBeste "
        "Grüße\nMax Pichler\nHausverwaltung",
        (("PERSON", "Gruber"), ("IBAN", "AT72 7843 2891 8036 3924"), ("PERSON", "Max Pichler")),
        "email",
    ),
    Labelled(
        'level=info route=/api/lookup_customer q="Bashir Rahmani" ip=192.0.2.250 '
        "gitlab=glpat-Xk9mR2vT7qLw4Zp8Nb3Y",
        (("PERSON", "Bashir Rahmani"), ("IP", "192.0.2.250"), ("API_KEY", "glpat-Xk9mR2vT7qLw4Zp8Nb3Y")),
        "log",
    ),
    Labelled(
        'send_email({"to": "hana.suzuki@example.jp", "template": "exam_result", "vars": {"student": "Hana '
        'Suzuki", "score": 88}})',
        (("EMAIL", "hana.suzuki@example.jp"), ("PERSON", "Hana Suzuki")),
        "code",
    ),
    Labelled(
        "Nota: Sra. Lucía Fernández Ibarra (DNI omitido), vive en Rosario, tarjeta 3692 923983 1389 "
        "rechazada dos veces.",
        (("PERSON", "Lucía Fernández Ibarra"), ("LOCATION", "Rosario"), ("CREDIT_CARD", "3692 923983 1389")),
        "crm",
    ),
    Labelled(
        "support chat — customer: my name is Kagiso, its a business acct, card ends 0038 but full no is "
        "342198890730038 if u need",
        (("PERSON", "Kagiso"), ("CREDIT_CARD", "342198890730038")),
        "chat",
    ),
    Labelled(
        "Ticket: refund to Swiss account CH30 5313 4237 4196 2669 3 for Noémie Favre, Rue du Marché 14, "
        "1204 Genève.",
        (
            ("IBAN", "CH30 5313 4237 4196 2669 3"),
            ("PERSON", "Noémie Favre"),
            ("ADDRESS", "Rue du Marché 14, 1204 Genève"),
        ),
        "ticket",
    ),
    Labelled(
        'tool_result get_customer: {"name": "Oliver Bennett", "card": "4884228203610018094", "ssn_last": '
        '"4327", "ssn": "987-65-4327"}',
        (("PERSON", "Oliver Bennett"), ("CREDIT_CARD", "4884228203610018094"), ("US_SSN", "987-65-4327")),
        "code",
    ),
    Labelled(
        "Hi Daniyar,\nyour interview at the consulate is scheduled for 26 January 2027. Bring your "
        "diploma.\nRegards,\nAdmissions, sent from 203.0.113.12",
        (("PERSON", "Daniyar"), ("PERSONAL_DATE", "26 January 2027"), ("IP", "203.0.113.12")),
        "email",
    ),
    Labelled(
        "2026-12-06 11:00:03 INFO tax-portal: refund issued to GB98BARC12908985533525 for taxpayer Eleanor "
        "Pryce, ssn=987-65-4328",
        (("IBAN", "GB98BARC12908985533525"), ("PERSON", "Eleanor Pryce"), ("US_SSN", "987-65-4328")),
        "log",
    ),
    Labelled(
        "Pt Malak Haddad, 8F, seen at clinic with her father Samir. Follow-up 2027-01-07. Family relocated "
        "from Beirut to Marseille.",
        (
            ("PERSON", "Malak Haddad"),
            ("PERSON", "Samir"),
            ("PERSONAL_DATE", "2027-01-07"),
            ("LOCATION", "Beirut"),
            ("LOCATION", "Marseille"),
        ),
        "clinical",
    ),
    Labelled(
        "hey its mei from the tutoring app, my parent's card 4776284173278171 got charged for a session "
        "that got cancelled",
        (("PERSON", "mei"), ("CREDIT_CARD", "4776284173278171")),
        "chat",
    ),
    Labelled(
        "Ticket: gov-benefits portal. Applicant Ebere Chukwu, 987-65-4329, mailing address 3100 W Main St, "
        "Unit 12, Tulsa, OK 74107.",
        (
            ("PERSON", "Ebere Chukwu"),
            ("US_SSN", "987-65-4329"),
            ("ADDRESS", "3100 W Main St, Unit 12, Tulsa, OK 74107"),
        ),
        "ticket",
    ),
    Labelled(
        "CRM: Svetlana Ivanova-Kuznetsova, tutor on the platform, lives in Riga; google key in her profile "
        "AIzaSyD4kQ9xVp2Lm7Rt3Nw8Yb1Hc6Fj0Gs5Ue",
        (
            ("PERSON", "Svetlana Ivanova-Kuznetsova"),
            ("LOCATION", "Riga"),
            ("API_KEY", "AIzaSyD4kQ9xVp2Lm7Rt3Nw8Yb1Hc6Fj0Gs5Ue"),
        ),
        "crm",
    ),
    Labelled(
        "Dear Parent,\nWe have rescheduled Amani's parent-teacher meeting to 13 January "
        "2027.\nRegards,\nMs. Rasmussen, Year 4",
        (("PERSON", "Amani"), ("PERSONAL_DATE", "13 January 2027"), ("PERSON", "Rasmussen")),
        "email",
    ),
    Labelled(
        "npm ERR! 401 Unauthorized: token npm_Vq8Zk2Lx7Rw4Tp9Nb3Yc6Hd1Fj5Gs0Ue8Ma2 (user: rohan-mehta) "
        "from 198.51.100.9",
        (
            ("API_KEY", "npm_Vq8Zk2Lx7Rw4Tp9Nb3Yc6Hd1Fj5Gs0Ue8Ma2"),
            ("PERSON", "rohan-mehta"),
            ("IP", "198.51.100.9"),
        ),
        "log",
    ),
    Labelled(
        '{"nivel":"ERROR","msg":"pago rechazado","cliente":"Ximena Cárdenas","tarjeta":"5154 9267 9581 '
        '0885","ip":"203.0.113.88"}',
        (("PERSON", "Ximena Cárdenas"), ("CREDIT_CARD", "5154 9267 9581 0885"), ("IP", "203.0.113.88")),
        "log",
    ),
    Labelled(
        '2026-12-06 09:12:44 WARN lastschrift: Rücklastschrift für Kontoinhaber "Friedrich Oberholzer" '
        "IBAN DE70 3313 4943 8352 5177 60 Grund=MD06",
        (("PERSON", "Friedrich Oberholzer"), ("IBAN", "DE70 3313 4943 8352 5177 60")),
        "log",
    ),
    Labelled(
        "[livraison] colis remis à Mme Solène Garnier, 12 avenue Jean Jaurès, 31000 Toulouse, tél 06 98 76 "
        "54 32",
        (
            ("PERSON", "Solène Garnier"),
            ("ADDRESS", "12 avenue Jean Jaurès, 31000 Toulouse"),
            ("PHONE", "06 98 76 54 32"),
        ),
        "log",
    ),
    Labelled(
        'INFO ojol.driver: pengemudi "Bayu Pratama" login dari 192.0.2.77, tanggal lahir 1996-10-03 '
        "terverifikasi",
        (("PERSON", "Bayu Pratama"), ("IP", "192.0.2.77"), ("DATE_OF_BIRTH", "1996-10-03")),
        "log",
    ),
    Labelled(
        "INSERT INTO alunos (nome, nascimento, email) VALUES ('Joana Figueiredo', '2005-03-27', "
        "'joana.fig@example.com.br');",
        (
            ("PERSON", "Joana Figueiredo"),
            ("DATE_OF_BIRTH", "2005-03-27"),
            ("EMAIL", "joana.fig@example.com.br"),
        ),
        "code",
    ),
    Labelled(
        'crear_ticket({"cliente": "Ignacio Montalbán", "iban": "ES16 8422 8203 6100 1809 9904", "motivo": '
        '"cargo duplicado"})',
        (("PERSON", "Ignacio Montalbán"), ("IBAN", "ES16 8422 8203 6100 1809 9904")),
        "code",
    ),
    Labelled(
        'musteri_bul(ad="Burak Şahin", telefon="+90 533 987 65 43") -> {"sehir": "Ankara", "kredi_skoru": '
        '1420, "durum": "aktif"}',
        (("PERSON", "Burak Şahin"), ("PHONE", "+90 533 987 65 43"), ("LOCATION", "Ankara")),
        "code",
    ),
    Labelled(
        "Segnalazione: il rider Kwabena Owusu non riceve i pagamenti da novembre. Vive a Bologna, tel. 347 "
        "123 4567.",
        (("PERSON", "Kwabena Owusu"), ("LOCATION", "Bologna"), ("PHONE", "347 123 4567")),
        "ticket",
    ),
    Labelled(
        "WARN giao-hang: không liên lạc được người nhận Phạm Minh Châu, sđt 0987 654 321, địa chỉ 25 Lý "
        "Thường Kiệt, Hoàn Kiếm, Hà Nội",
        (
            ("PERSON", "Phạm Minh Châu"),
            ("PHONE", "0987 654 321"),
            ("ADDRESS", "25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"),
        ),
        "log",
    ),
    Labelled(
        "# TODO(kasia.zielinska): usunąć klucz przed wdrożeniem\nSTRIPE_KEY = "
        '"rk_live_51Pz8QmT3vXk9Lw2Rb7Yc4Hn"',
        (("PERSON", "kasia.zielinska"), ("API_KEY", "rk_live_51Pz8QmT3vXk9Lw2Rb7Yc4Hn")),
        "code",
    ),
    Labelled(
        'level=info msg="lånansökan mottagen" sökande="Oskar Bergström" personnummer=dolt ip=2001:db8:1f::22',
        (("PERSON", "Oskar Bergström"), ("IP", "2001:db8:1f::22")),
        "log",
    ),
    Labelled(
        "INFO bezorging: pakket afgeleverd bij mevr. Yasmina El Amrani, Kanaalstraat 88, 3531 CK Utrecht "
        "(handtekening ok)",
        (("PERSON", "Yasmina El Amrani"), ("ADDRESS", "Kanaalstraat 88, 3531 CK Utrecht")),
        "log",
    ),
)

CLEAN_TEXTS: tuple[Labelled, ...] = (
    Labelled(
        "hi, how long does delivery to Lagos usually take? and do you ship to Nairobi or only within "
        "Nigeria?",
        (),
        "chat",
    ),
    Labelled(
        "hola, ¿cuál es la tasa de interés del préstamo personal a 24 meses? vi la promo del Black Friday",
        (),
        "chat",
    ),
    Labelled(
        "oi, o app do entregador travou na versão 5.12.3 quando abro a aba Ganhos. alguém mais com isso?",
        (),
        "chat",
    ),
    Labelled(
        "does the Grace Period setting apply to all invoices or only the ones created after the 1.8 release?",
        (),
        "chat",
    ),
    Labelled(
        "bonjour, est-ce que la carte Visa Infinite marche au Maroc et en Tunisie ? merci d'avance",
        (),
        "chat",
    ),
    Labelled(
        "what documents do international students need to open an account in Germany? asking for our uni "
        "FAQ page",
        (),
        "chat",
    ),
    Labelled(
        "ok the Amazon Prime promo code didnt work, says error ERR_PROMO_409. tried on chrome and safari",
        (),
        "chat",
    ),
    Labelled(
        "TICKET #90412 – Checkout button misaligned on iPad in dark mode. Affects build 2026.48.1. "
        "Assigned: Web Platform team.",
        (),
        "ticket",
    ),
    Labelled(
        "Incidencia 4471: el mapa de repartidores no carga en Android 14 para la zona Centro. Prioridad "
        "media.",
        (),
        "ticket",
    ),
    Labelled(
        "Ticket 7720: Payout batch PB-2026-12-04 delayed by 6h due to SEPA cut-off. No customer action "
        "needed.",
        (),
        "ticket",
    ),
    Labelled(
        "Zgłoszenie 3318: eksport CSV raportu ocen przekracza limit 50 MB. Dotyczy wszystkich szkół w "
        "planie Pro.",
        (),
        "ticket",
    ),
    Labelled(
        "Bug: /v2/loans/{id}/schedule returns 500 when term_months=0. Repro in staging, order ORD-556201-A.",
        (),
        "ticket",
    ),
    Labelled(
        "Ticket: translation missing for 'Apply for student discount' in the Turkish and Vietnamese locales.",
        (),
        "ticket",
    ),
    Labelled(
        "Melding 2291: verzendlabels van PostNL worden dubbel geprint sinds update 3.4.0 van de "
        "magazijnsoftware.",
        (),
        "ticket",
    ),
    Labelled(
        "Account: Acme Logistics GmbH | segment: Enterprise | region: EMEA | renewal: Q3 FY27 | health: "
        "green",
        (),
        "crm",
    ),
    Labelled(
        "Opportunity stage moved to Negotiation. Deal size 48,000 EUR, 3-year term, competitor Stripe "
        "Billing.",
        (),
        "crm",
    ),
    Labelled(
        "Nota CRM: la Universidad del Pacífico pidió una demo del módulo de becas para el semestre 2027-I.",
        (),
        "crm",
    ),
    Labelled(
        "Partner: Harbour Freight Forwarders Pte Ltd, Singapore hub. Tier 2 reseller, 140 seats, SLA Gold.",
        (),
        "crm",
    ),
    Labelled(
        "Kunde: Stadtwerke Nord, Abteilung Kundenservice. Vertrag verlängert bis 31.12.2028, Rahmenvertrag "
        "Nr. RV-1182.",
        (),
        "crm",
    ),
    Labelled(
        "Segment note: gig workers in Jakarta and Manila churn more in Q1; test lower instant-payout fee.",
        (),
        "crm",
    ),
    Labelled(
        "Hi all,\n\nThe January release is scheduled for 2027-01-20. Code freeze on "
        "2027-01-13.\n\nThanks,\nRelease Management",
        (),
        "email",
    ),
    Labelled(
        "Estimados clientes:\nEl servicio de transferencias estará en mantenimiento el domingo de 02:00 a "
        "04:00.\nEquipo de Operaciones",
        (),
        "email",
    ),
    Labelled(
        "Bonjour à tous,\nLa rentrée universitaire commence le 5 septembre. Les inscriptions ferment le 31 "
        "août.\nLe Service Scolarité",
        (),
        "email",
    ),
    Labelled(
        "Liebe Kolleginnen und Kollegen,\ndas Onboarding-Webinar für neue Händler findet jeden Dienstag "
        "statt.\nIhr Marketplace-Team",
        (),
        "email",
    ),
    Labelled(
        "Subject: Invoice INV-2026-11873 available\n\nYour monthly statement is ready in the Billing "
        "section. Amount due: 1,249.00 USD.",
        (),
        "email",
    ),
    Labelled(
        "Olá,\na nova política de frete grátis vale para pedidos acima de R$ 199 em todo o Brasil a partir "
        "de janeiro.\nTime Comercial",
        (),
        "email",
    ),
    Labelled(
        "Hej,\nvi flyttar lagret från Malmö till Helsingborg under vecka 6. Leveranser kan "
        "försenas.\nLogistikavdelningen",
        (),
        "email",
    ),
    Labelled(
        '{"ts":"2026-12-04T06:00:00Z","level":"INFO","svc":"scheduler","msg":"nightly reconciliation '
        'finished","rows":182334}',
        (),
        "log",
    ),
    Labelled(
        "2026-12-05 13:42:10 WARN rate-limiter bucket=payouts-eu limit=600/min current=611 action=throttle",
        (),
        "log",
    ),
    Labelled(
        "ERROR grpc: connection to ledger-svc:50051 refused (retry 3/5, backoff 800ms) build=sha-9f3c2e1",
        (),
        "log",
    ),
    Labelled(
        'level=info msg="route optimised" depot=DEP-17 stops=42 distance_km=118.6 vehicle=VAN-0093', (), "log"
    ),
    Labelled(
        "INFO migrations: applied 0047_add_course_credits, 0048_index_enrolments (took 3.2s)", (), "log"
    ),
    Labelled(
        "k8s: pod payments-api-7d9f8b6c4-x2kqz OOMKilled, memory limit 512Mi, restarts=4, node ip-10-0-3-17",
        (),
        "log",
    ),
    Labelled(
        "def luhn_check(number: str) -> bool:\n    digits = [int(c) for c in number if c.isdigit()]\n    "
        "return sum(digits) % 10 == 0  # simplified",
        (),
        "code",
    ),
    Labelled(
        "SELECT course_id, COUNT(*) AS enrolled FROM enrolments WHERE term = '2027S' GROUP BY course_id "
        "ORDER BY 2 DESC;",
        (),
        "code",
    ),
    Labelled(
        'tool_call: create_ticket({"title": "Carrier API timeout", "priority": "P2", "component": '
        '"shipping-gateway"})',
        (),
        "code",
    ),
    Labelled(
        'tool_result search_faq -> {"hits": [{"id": "faq-118", "title": "How do I change my payout '
        'schedule?"}]}',
        (),
        "code",
    ),
    Labelled(
        "export const API_BASE = process.env.API_BASE ?? 'https://api.example.invalid/v3'; // TODO: move "
        "to config",
        (),
        "code",
    ),
    Labelled(
        'raise ValueError(f"IBAN length {len(iban)} invalid for country {country_code}")  # '
        "validators/iban.py:42",
        (),
        "code",
    ),
    Labelled(
        "Ward 4B census: 22 beds, 19 occupied, 2 pending discharge, 1 isolation. Pharmacy round at 14:00.",
        (),
        "clinical",
    ),
    Labelled(
        "Protocolo: administrar paracetamol 1 g cada 8 horas, máximo 3 g al día en adultos con hepatopatía.",
        (),
        "clinical",
    ),
    Labelled(
        "Clinic update: the flu vaccination drive runs from 10 to 24 January 2027 at all community sites.",
        (),
        "clinical",
    ),
    Labelled(
        "Leitlinie: Bei Verdacht auf Sepsis Blutkulturen vor Antibiotikagabe abnehmen, Laktat kontrollieren.",
        (),
        "clinical",
    ),
    Labelled(
        "Quy trình: bệnh nhân sốt xuất huyết cần theo dõi tiểu cầu mỗi 24 giờ và bù dịch theo cân nặng.",
        (),
        "clinical",
    ),
    Labelled(
        "Template: Discharge checklist v2.3 – meds reconciled, follow-up booked, transport arranged, GP "
        "letter sent.",
        (),
        "clinical",
    ),
)

NAME_ORIGINS: dict[str, str] = {
    "Chidinma Eze": "west_african",
    "sunny_okafor88": "west_african",
    "Kofi": "west_african",
    "Abena": "west_african",
    "Oluwaseun Adeyemi": "west_african",
    "Jean-Baptiste Kaboré": "west_african",
    "Ngozi Okonjo-Eze": "west_african",
    "Abubakar": "west_african",
    "Diallo": "west_african",
    "Amadou Sow": "west_african",
    "Adaeze Nwosu": "west_african",
    "Ebere Chukwu": "west_african",
    "hope": "west_african",
    "Joy": "west_african",
    "Faith": "west_african",
    "Precious Dlamini": "west_african",
    "Wanjiru": "east_african",
    "Grace Mwangi": "east_african",
    "Ochieng": "east_african",
    "Baraka": "east_african",
    "Neema": "east_african",
    "Amani": "east_african",
    "abdi-warsame": "east_african",
    "Sipho Ndlovu": "southern_african",
    "Lwazi": "southern_african",
    "Nomvula": "southern_african",
    "Mbali Khumalo": "southern_african",
    "Rosa Mbeki": "southern_african",
    "Kagiso": "southern_african",
    "Mateo Quispe Huamán": "latin_american",
    "Thaís dos Santos": "latin_american",
    "M. Castellanos": "latin_american",
    "Valentina Ríos Ocampo": "latin_american",
    "Tupac Mamani": "latin_american",
    "Hernández": "latin_american",
    "Beatriz": "latin_american",
    "Lucas": "latin_american",
    "Ana Lucía Paredes": "latin_american",
    "Camila": "latin_american",
    "Sebastián Villalobos": "latin_american",
    "Joaquín Saavedra": "latin_american",
    "Maria das Graças Oliveira": "latin_american",
    "Diego Farias": "latin_american",
    "Lucía Fernández Ibarra": "latin_american",
    "Aurélien Lefèvre-Ndiaye": "western_european",
    "Jonas Vogelsang": "western_european",
    "Sanne van der Veen": "western_european",
    "Anna-Lena Schröder": "western_european",
    "van Beek": "western_european",
    "Daan": "western_european",
    "Hugo Marchand": "western_european",
    "Hannelore Brückner": "western_european",
    "Pieter de Groot": "western_european",
    "Femke": "western_european",
    "Gruber": "western_european",
    "Max Pichler": "western_european",
    "Noémie Favre": "western_european",
    "Giulia De Angelis": "southern_european",
    "Rafael Albuquerque": "southern_european",
    "Carmen de la Cruz": "southern_european",
    "Lorenzo Bianchi": "southern_european",
    "Matteo": "southern_european",
    "Federica Russo": "southern_european",
    "Marisol Etxeberria": "southern_european",
    "Giuseppe Esposito": "southern_european",
    "Elif Yıldırım": "turkish",
    "Mehmet Can Aydın": "turkish",
    "Ayşe Demirtaş": "turkish",
    "Kaan Öztürk": "turkish",
    "Elif": "turkish",
    "Zeynep Arslan": "turkish",
    "Murat Arslan": "turkish",
    "kemal": "turkish",
    "Putu Ayu Lestari": "southeast_asian",
    "Nguyễn Thị Hồng Nhung": "southeast_asian",
    "Agus Santoso": "southeast_asian",
    "Trần Quốc Bảo": "southeast_asian",
    "Dewi Kartika": "southeast_asian",
    "Lê Văn Hùng": "southeast_asian",
    "Siti Rahmawati": "southeast_asian",
    "Tavita Faleolo": "pacific",
    "Leilani Kahale": "pacific",
    "Mele": "pacific",
    "siosaia.tupou": "pacific",
    "Sione Havili": "pacific",
    "Ikaika Nakoa": "pacific",
    "Rangi Te Ahu": "pacific",
    "Moana": "pacific",
    "Linnea Sjöberg": "nordic",
    "Erik Lindqvist": "nordic",
    "Astrid": "nordic",
    "Henrik Dahl": "nordic",
    "Björn Åkesson": "nordic",
    "nils.ekstrom": "nordic",
    "Ingrid Halvorsen": "nordic",
    "Rasmussen": "nordic",
    "Bartosz Wróblewski": "slavic",
    "Dmitri Volkov": "slavic",
    "Agnieszka Kowalczyk-Nowak": "slavic",
    "Tomasz": "slavic",
    "Zofio": "slavic",
    "Krzysztof Mazur": "slavic",
    "Lukas Novák": "slavic",
    "olga_petrenko": "slavic",
    "Svetlana Ivanova-Kuznetsova": "slavic",
    "Rustam": "central_asian",
    "Aigerim Bekova": "central_asian",
    "Gulnara Tashkentova": "central_asian",
    "Timur Abenov": "central_asian",
    "Daniyar": "central_asian",
    "Haruto Ishikawa": "east_asian",
    "Kenji Morimoto": "east_asian",
    "Min-jun Park": "east_asian",
    "Li Wei": "east_asian",
    "Chen Yu-Ting": "east_asian",
    "Hana Suzuki": "east_asian",
    "mei": "east_asian",
    "REZA TEHRANI": "persian",
    "Farhad Karimi": "persian",
    "DARIUSH RAHIMI": "persian",
    "Hamid Noorzai": "persian",
    "SHIRIN MOHAMMADI": "persian",
    "Bashir Rahmani": "persian",
    "bilal.haddad": "arabic",
    "Yusuf Al-Mansouri": "arabic",
    "Yusuf": "arabic",
    "Fatima Zahra Benali": "arabic",
    "yara": "arabic",
    "Malak Haddad": "arabic",
    "Samir": "arabic",
    "Zara Qureshi": "south_asian",
    "Imran Qureshi": "south_asian",
    "Priya Raghunathan": "south_asian",
    "Arjun": "south_asian",
    "Ravi": "south_asian",
    "Ananya Iyer": "south_asian",
    "rohan-mehta": "south_asian",
    "Will Hartley": "anglo",
    "J.R. Whitfield": "anglo",
    "Oliver Bennett": "anglo",
    "Eleanor Pryce": "anglo",
    "Aiyana Redcloud": "north_american_indigenous",
    "Ximena Cárdenas": "latin_american",
    "Friedrich Oberholzer": "western_european",
    "Solène Garnier": "western_european",
    "Bayu Pratama": "southeast_asian",
    "Joana Figueiredo": "southern_european",
    "Ignacio Montalbán": "southern_european",
    "Burak Şahin": "turkish",
    "Kwabena Owusu": "west_african",
    "Phạm Minh Châu": "southeast_asian",
    "kasia.zielinska": "slavic",
    "Oskar Bergström": "nordic",
    "Yasmina El Amrani": "arabic",
}
