"""A fourth labelled PII corpus, written blind (without reading the recognizers or the other later corpora).

All data is invented: names are made up, e-mail domains are example.com/.org/.net or invented, phones use
fictional or obviously placeholder ranges, cards are freshly generated Luhn-valid numbers of every network,
IBANs carry computed mod-97 checksums, SSNs are 987-65-432x and IPs are documentation addresses.

``PII_TEXTS`` label every piece of personal data with its exact substring; ``CLEAN_TEXTS`` contain none but
tempt false alarms (countries and cities alone, order numbers, versions, name-like identifiers in code).
``NAME_ORIGINS`` maps every PERSON value to the origin of the name.
"""

from __future__ import annotations

from helpers.pii_corpus import Labelled

_GITHUB_TOKEN = "ghp_zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3Rn"
_AWS_KEY_ID = "AKIAJ5LVFF6UZCRA3NXF"
_STRIPE_KEY = "sk_live_DH5mMDdwin86TkVYCM7l8GQl"
_SLACK_TOKEN = "xoxb-010276161249-0652863037486-0Wiw8SE7diV3TMXVjM8Ahghj"
_GOOGLE_KEY = "AIzaLww0sAO_DGpUxjKbgRBWZRZX1VlxeVZ4DNC"
_ANTHROPIC_KEY = (
    "sk-ant-api03-NnOBFXL4k41GiLP9qG3L0uKW4yWRzSaTLyvH1D0SZaozaNv4AH17KzcnNjeh1MVLymYZwH6Qqq5X1wUGAA"
)
_GITLAB_TOKEN = "glpat-nrDK24Syl067EK5O46EQ"
_HF_TOKEN = "hf_keIpDHahvYFevPUaKRIrOaLuAqkiL6dzcd"
_SENDGRID_KEY = "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"

PII_TEXTS: tuple[Labelled, ...] = (
    # --- chat: users talking to an assistant ----------------------------------------------------------
    Labelled(
        "hey, it's kwame again. my parcel still hasn't arrived at 14 Ring Road East, Osu, Accra and the "
        "tracking page is blank. can u check?? my number is +233 20 000 0417",
        (
            ("PERSON", "kwame"),
            ("ADDRESS", "14 Ring Road East, Osu, Accra"),
            ("PHONE", "+233 20 000 0417"),
        ),
        "chat",
    ),
    Labelled(
        "Can you help me write a toast for my sister June's wedding? She met Will in Auckland, where they "
        "both live now, and they're getting married on Saturday 14 November. Funny but not embarrassing.",
        (
            ("PERSON", "June"),
            ("PERSON", "Will"),
            ("LOCATION", "Auckland"),
            ("PERSONAL_DATE", "Saturday 14 November"),
        ),
        "chat",
    ),
    Labelled(
        "Booking flights for me and my husband Tesfaye Bekele. My card is 3530 4985 6308 3715 (JCB) and his "
        "date of birth is 09/04/1981 - does the airline want it as DD/MM/YYYY or the other way round?",
        (
            ("PERSON", "Tesfaye Bekele"),
            ("CREDIT_CARD", "3530 4985 6308 3715"),
            ("DATE_OF_BIRTH", "09/04/1981"),
        ),
        "chat",
    ),
    Labelled(
        "Hola, soy Camila Rojas, vivo en Medellín. Necesito cambiar mi cita del martes 12 de marzo a las "
        "9:00 porque tengo un viaje. ¿Me ayudas a escribir el mensaje? Mi celular es +57 300 000 0193.",
        (
            ("PERSON", "Camila Rojas"),
            ("LOCATION", "Medellín"),
            ("PERSONAL_DATE", "martes 12 de marzo a las 9:00"),
            ("PHONE", "+57 300 000 0193"),
        ),
        "chat",
    ),
    Labelled(
        "My landlord Mr. Dlamini keeps asking for my bank details again. I already sent him "
        "IBAN GB16 NWBK 6511 4992 4919 02 last month. Help me write a firm but polite reply?\n- Sipho",
        (
            ("PERSON", "Dlamini"),
            ("IBAN", "GB16 NWBK 6511 4992 4919 02"),
            ("PERSON", "Sipho"),
        ),
        "chat",
    ),
    Labelled(
        "Pretend you're my assistant and remind me: dentist with Dr. Ananya Iyer on Thu, 03/10 at 4:15pm, "
        "then call Mom at 555-0142 afterwards. Make it a short checklist.",
        (
            ("PERSON", "Ananya Iyer"),
            ("PERSONAL_DATE", "Thu, 03/10 at 4:15pm"),
            ("PHONE", "555-0142"),
        ),
        "chat",
    ),
    Labelled(
        "Ich heiße Hans Becker und wohne in der Lindenstraße 27, 10969 Berlin. Können Sie mir helfen, einen "
        "Brief an meine Versicherung zu schreiben? Geburtsdatum: 12.05.1968.",
        (
            ("PERSON", "Hans Becker"),
            ("ADDRESS", "Lindenstraße 27, 10969 Berlin"),
            ("DATE_OF_BIRTH", "12.05.1968"),
        ),
        "chat",
    ),
    Labelled(
        "is it normal that my SSN 987654323 shows up in plain text on the tax form preview? asking because "
        "my friend summer said that's a huge red flag",
        (("US_SSN", "987654323"), ("PERSON", "summer")),
        "chat",
    ),
    Labelled(
        "Write a short bio for our conference page: Haruto Tanaka is a robotics engineer based in Sapporo "
        "who builds underwater drones. Contact: haruto.t@tanaka-lab.example",
        (
            ("PERSON", "Haruto Tanaka"),
            ("LOCATION", "Sapporo"),
            ("EMAIL", "haruto.t@tanaka-lab.example"),
        ),
        "chat",
    ),
    Labelled(
        "Bonjour ! Je m'appelle Élodie Marchand et j'habite à Lyon. Pouvez-vous reformuler ce message pour "
        "mon propriétaire ? Il peut me joindre au 01 99 00 27 41.",
        (
            ("PERSON", "Élodie Marchand"),
            ("LOCATION", "Lyon"),
            ("PHONE", "01 99 00 27 41"),
        ),
        "chat",
    ),
    Labelled(
        "Hi, I'm Leilani from Hilo. My Amex 3741 007011 38832 got charged twice for the same booking, can "
        "you explain how chargebacks work?",
        (
            ("PERSON", "Leilani"),
            ("LOCATION", "Hilo"),
            ("CREDIT_CARD", "3741 007011 38832"),
        ),
        "chat",
    ),
    Labelled(
        "My UnionPay card 6269240742349043036 keeps getting rejected at your checkout. I'm Li Na, studying "
        "in Leeds this year, and my bank says the card is fine. What else could it be?",
        (("CREDIT_CARD", "6269240742349043036"), ("PERSON", "Li Na"), ("LOCATION", "Leeds")),
        "chat",
    ),
    Labelled(
        "Help me fill in my daughter Freya's passport renewal: born 2015-02-28 in Inverness, and we now live "
        "at 5 Rose Street, Aberdeen AB10 1UB. Which photo size do they want?",
        (
            ("PERSON", "Freya"),
            ("DATE_OF_BIRTH", "2015-02-28"),
            ("LOCATION", "Inverness"),
            ("ADDRESS", "5 Rose Street, Aberdeen AB10 1UB"),
        ),
        "chat",
    ),
    # --- ticket: helpdesk and bug-tracker tickets ----------------------------------------------------
    Labelled(
        "Ticket #58213 - Customer: Nguyen Thi Lan (Ho Chi Minh City). Reports a double charge on Mastercard "
        "5381-8383-6133-6671. Requested refund to the original card. Assigned: Mikael.",
        (
            ("PERSON", "Nguyen Thi Lan"),
            ("LOCATION", "Ho Chi Minh City"),
            ("CREDIT_CARD", "5381-8383-6133-6671"),
            ("PERSON", "Mikael"),
        ),
        "ticket",
    ),
    Labelled(
        "Subject: Can't reset password\nReporter: Aibek Nurlanov <a.nurlanov@steppe-mail.example>\n"
        "City: Almaty\nLast login from 203.0.113.58, then locked out after 5 attempts.",
        (
            ("PERSON", "Aibek Nurlanov"),
            ("EMAIL", "a.nurlanov@steppe-mail.example"),
            ("LOCATION", "Almaty"),
            ("IP", "203.0.113.58"),
        ),
        "ticket",
    ),
    Labelled(
        "Priority: P2 | Requester: Grace Holloway | Phone: 07700 900482 | Issue: delivery to 8 Wellington "
        "Row, Leeds LS1 4AP missed twice; courier claims nobody was home.",
        (
            ("PERSON", "Grace Holloway"),
            ("PHONE", "07700 900482"),
            ("ADDRESS", "8 Wellington Row, Leeds LS1 4AP"),
        ),
        "ticket",
    ),
    Labelled(
        "[ZD-20931] Customer Dilnoza Karimova asks us to delete her account and all data (GDPR art. 17). "
        "Identity verified via DOB 1990-07-23 and the last four digits of her card. Agent: Bjørn",
        (
            ("PERSON", "Dilnoza Karimova"),
            ("DATE_OF_BIRTH", "1990-07-23"),
            ("PERSON", "Bjørn"),
        ),
        "ticket",
    ),
    Labelled(
        "Escalation: caller said her name is Rose, no surname given, calling from Brisbane about order "
        "44-1902. Callback number 0491 570 156.",
        (("PERSON", "Rose"), ("LOCATION", "Brisbane"), ("PHONE", "0491 570 156")),
        "ticket",
    ),
    Labelled(
        "Bug report from Youssef Benali: the payout to IBAN FR18 3988 9476 17A8 0553 5886 593 failed with "
        "code R04. He lives in Casablanca, so maybe a cross-border routing issue?",
        (
            ("PERSON", "Youssef Benali"),
            ("IBAN", "FR18 3988 9476 17A8 0553 5886 593"),
            ("LOCATION", "Casablanca"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 7713 reopened. Giulia Romano writes: 'Mi avevano detto che il tecnico sarebbe venuto lunedì "
        "4 novembre alle 10, ma non è venuto nessuno.' Address on file: Via Garibaldi 18, 20121 Milano.",
        (
            ("PERSON", "Giulia Romano"),
            ("PERSONAL_DATE", "lunedì 4 novembre alle 10"),
            ("ADDRESS", "Via Garibaldi 18, 20121 Milano"),
        ),
        "ticket",
    ),
    Labelled(
        "Internal note: Hunter from billing confirmed the card belongs to Astrid Lund. The full PAN in the "
        "screenshot was 4871 9032 3483 0233 - please scrub the attachment before closing.",
        (
            ("PERSON", "Hunter"),
            ("PERSON", "Astrid Lund"),
            ("CREDIT_CARD", "4871 9032 3483 0233"),
        ),
        "ticket",
    ),
    Labelled(
        "Support ticket: Olha Shevchenko (Kyiv, Ukraine) cannot verify her phone +380 44 000 0371 - the SMS "
        "code never arrives. Tried twice, both failed.",
        (
            ("PERSON", "Olha Shevchenko"),
            ("LOCATION", "Kyiv, Ukraine"),
            ("PHONE", "+380 44 000 0371"),
        ),
        "ticket",
    ),
    Labelled(
        "RMA-3302: replacement router for Sione Taufa, ship to 47 Great South Road, Otahuhu, Auckland 1062. "
        "Confirmation goes to sione.taufa@example.net.",
        (
            ("PERSON", "Sione Taufa"),
            ("ADDRESS", "47 Great South Road, Otahuhu, Auckland 1062"),
            ("EMAIL", "sione.taufa@example.net"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket #90412: customer Mele asks to move the installation visit from Wed 2 Oct 08:00 to "
        "Fri 4 Oct 08:00. Technician: Luis.",
        (
            ("PERSON", "Mele"),
            ("PERSONAL_DATE", "Wed 2 Oct 08:00"),
            ("PERSONAL_DATE", "Fri 4 Oct 08:00"),
            ("PERSON", "Luis"),
        ),
        "ticket",
    ),
    Labelled(
        "Refund request #61120: Diners Club card 3687 421391 2914 was charged twice. Cardholder: Ravi Menon, "
        "billing address 12 MG Road, Bengaluru 560001.",
        (
            ("CREDIT_CARD", "3687 421391 2914"),
            ("PERSON", "Ravi Menon"),
            ("ADDRESS", "12 MG Road, Bengaluru 560001"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket #7020 - account takeover suspected for Emre Demir (Ankara, Turkey). New device login from "
        "2001:db8:85a3::8a2e:370:7334, then the payout IBAN was changed to TR14 2546 0048 8961 3976 7347 23.",
        (
            ("PERSON", "Emre Demir"),
            ("LOCATION", "Ankara, Turkey"),
            ("IP", "2001:db8:85a3::8a2e:370:7334"),
            ("IBAN", "TR14 2546 0048 8961 3976 7347 23"),
        ),
        "ticket",
    ),
    # --- crm: contact records, exports and notes -----------------------------------------------------
    Labelled(
        '{"contact_id": "C-10482", "first_name": "Adaeze", "last_name": "Nwosu", '
        '"email": "adaeze.nwosu@example.com", "city": "Lagos", "phone": "+234 803 000 0158"}',
        (
            ("PERSON", "Adaeze"),
            ("PERSON", "Nwosu"),
            ("EMAIL", "adaeze.nwosu@example.com"),
            ("LOCATION", "Lagos"),
            ("PHONE", "+234 803 000 0158"),
        ),
        "crm",
    ),
    Labelled(
        "Lead: Mateo Gutiérrez | Company: Andes Robotics | City: Santiago | Stage: demo booked for "
        "2024-09-17 15:00 | Owner: Faith",
        (
            ("PERSON", "Mateo Gutiérrez"),
            ("LOCATION", "Santiago"),
            ("PERSONAL_DATE", "2024-09-17 15:00"),
            ("PERSON", "Faith"),
        ),
        "crm",
    ),
    Labelled(
        "name,email,country\nWei Zhang,wei.zhang@example.org,China\nMei Lin,mei.lin@example.org,Singapore",
        (
            ("PERSON", "Wei Zhang"),
            ("EMAIL", "wei.zhang@example.org"),
            ("LOCATION", "China"),
            ("PERSON", "Mei Lin"),
            ("EMAIL", "mei.lin@example.org"),
            ("LOCATION", "Singapore"),
        ),
        "crm",
    ),
    Labelled(
        "Account notes - Thandiwe Dlamini, 12 Jan Smuts Avenue, Rosebank, Johannesburg 2196. Prefers "
        "WhatsApp on +27 82 000 0364. Renewal call scheduled Tue 5 March 2024, 11:00 SAST.",
        (
            ("PERSON", "Thandiwe Dlamini"),
            ("ADDRESS", "12 Jan Smuts Avenue, Rosebank, Johannesburg 2196"),
            ("PHONE", "+27 82 000 0364"),
            ("PERSONAL_DATE", "Tue 5 March 2024, 11:00"),
        ),
        "crm",
    ),
    Labelled(
        "Customer profile\nName: Reza Tehrani\nDate of birth: 30 Aug 1975\nAddress: Rue du Marché 14, "
        "1204 Genève\nPayout IBAN: CH13 7559 5185 4389 6825 5",
        (
            ("PERSON", "Reza Tehrani"),
            ("DATE_OF_BIRTH", "30 Aug 1975"),
            ("ADDRESS", "Rue du Marché 14, 1204 Genève"),
            ("IBAN", "CH13 7559 5185 4389 6825 5"),
        ),
        "crm",
    ),
    Labelled(
        "Merged duplicate contacts 'Pieter de Vries' and 'P. de Vries' (both in Utrecht, same address "
        "pieter.devries@example.net). Kept the older record.",
        (
            ("PERSON", "Pieter de Vries"),
            ("PERSON", "P. de Vries"),
            ("LOCATION", "Utrecht"),
            ("EMAIL", "pieter.devries@example.net"),
        ),
        "crm",
    ),
    Labelled(
        "Export row: Id=003Hx00001AbCdE; FirstName=Ji-woo; LastName=Park; MailingCity=Busan; "
        "Phone=+82 10 0000 4127; Birthdate=1996-03-08",
        (
            ("PERSON", "Ji-woo"),
            ("PERSON", "Park"),
            ("LOCATION", "Busan"),
            ("PHONE", "+82 10 0000 4127"),
            ("DATE_OF_BIRTH", "1996-03-08"),
        ),
        "crm",
    ),
    Labelled(
        "Note by Valentina Herrera (account manager): client Samir El Idrissi from Rabat renewed for two "
        "years. His US SSN on file for the LLC paperwork is 987 65 4325.",
        (
            ("PERSON", "Valentina Herrera"),
            ("PERSON", "Samir El Idrissi"),
            ("LOCATION", "Rabat"),
            ("US_SSN", "987 65 4325"),
        ),
        "crm",
    ),
    Labelled(
        "contact 'bill cooper' (typed lower-case by the rep), phone 555-0173, lives in Tulsa, Oklahoma; "
        "next site visit Fri Aug 9. Interested in the 3-year plan.",
        (
            ("PERSON", "bill cooper"),
            ("PHONE", "555-0173"),
            ("LOCATION", "Tulsa, Oklahoma"),
            ("PERSONAL_DATE", "Fri Aug 9"),
        ),
        "crm",
    ),
    Labelled(
        "VIP list for the Istanbul gala: Mehmet Yılmaz (+90 212 000 0419), Zeynep Arslan, and Kenji "  # noqa: RUF001
        "Watanabe, who flies in from Osaka.",
        (
            ("PERSON", "Mehmet Yılmaz"),  # noqa: RUF001
            ("PHONE", "+90 212 000 0419"),
            ("PERSON", "Zeynep Arslan"),
            ("PERSON", "Kenji Watanabe"),
            ("LOCATION", "Osaka"),
        ),
        "crm",
    ),
    Labelled(
        "Donor record: Aroha Ngata, 9 Karaka Street, Rotorua 3010. Monthly gift of $25 charged to card "
        "2231 8620 5770 3225. Prefers no phone calls.",
        (
            ("PERSON", "Aroha Ngata"),
            ("ADDRESS", "9 Karaka Street, Rotorua 3010"),
            ("CREDIT_CARD", "2231 8620 5770 3225"),
        ),
        "crm",
    ),
    Labelled(
        "Partner onboarding form\nLegal name: Anders Nyström\nBank account: SE03 2236 5039 5315 8668 2125\n"
        "SSN (US tax residents only): 987-65-4321\nAddress: 88 Queen Street West, Toronto, ON M5H 2M9",
        (
            ("PERSON", "Anders Nyström"),
            ("IBAN", "SE03 2236 5039 5315 8668 2125"),
            ("US_SSN", "987-65-4321"),
            ("ADDRESS", "88 Queen Street West, Toronto, ON M5H 2M9"),
        ),
        "crm",
    ),
    Labelled(
        "顧客: 佐藤 花子 (Sato Hanako)\n住所: 〒150-0001 東京都渋谷区神宮前1-2-3\n電話: 03-0000-0416\n"
        "Note: prefers e-mail over phone calls.",
        (
            ("PERSON", "佐藤 花子"),
            ("PERSON", "Sato Hanako"),
            ("ADDRESS", "〒150-0001 東京都渋谷区神宮前1-2-3"),
            ("PHONE", "03-0000-0416"),
        ),
        "crm",
    ),
    # --- email: messages and replies -----------------------------------------------------------------
    Labelled(
        "Dear Ms. Kamau,\n\nThank you for your application. We would like to invite you to an interview on "
        "Wednesday, 18 September 2024 at 14:00 at our Nairobi office.\n\nKind regards,\nJames Whitaker\n"
        "Talent Team",
        (
            ("PERSON", "Kamau"),
            ("PERSONAL_DATE", "Wednesday, 18 September 2024 at 14:00"),
            ("PERSON", "James Whitaker"),
        ),
        "email",
    ),
    Labelled(
        "Hallo Katarzyna,\n\nanbei die Rechnung. Bitte überweise den Betrag auf mein Konto "
        "DE96 8621 4550 3862 6038 23 bis Freitag.\n\nViele Grüße\nTomasz Wiśniewski",
        (
            ("PERSON", "Katarzyna"),
            ("IBAN", "DE96 8621 4550 3862 6038 23"),
            ("PERSON", "Tomasz Wiśniewski"),
        ),
        "email",
    ),
    Labelled(
        "From: Nimal Perera <nimal.perera@lankamail.example>\nSubject: Wrong delivery address\n\nPlease "
        "change it to 45 Galle Road, Colombo 03. My phone is +94 77 000 0285.\n\nThanks, Nimal",
        (
            ("PERSON", "Nimal Perera"),
            ("EMAIL", "nimal.perera@lankamail.example"),
            ("ADDRESS", "45 Galle Road, Colombo 03"),
            ("PHONE", "+94 77 000 0285"),
            ("PERSON", "Nimal"),
        ),
        "email",
    ),
    Labelled(
        "Bonjour Margaux,\n\nVotre rendez-vous est confirmé pour le lundi 3 juin à 14h30. En cas "
        "d'empêchement, appelez-moi directement au 01 99 00 58 12.\n\nCordialement,\nSophie Dubois",
        (
            ("PERSON", "Margaux"),
            ("PERSONAL_DATE", "lundi 3 juin à 14h30"),
            ("PHONE", "01 99 00 58 12"),
            ("PERSON", "Sophie Dubois"),
        ),
        "email",
    ),
    Labelled(
        "Hi Jack,\n\nquick one: Farhan Chowdhury (farhan.c@example.com) is relocating to Dhaka, can you "
        "switch his salary payments to NL34 ABNA 3513 6831 34 from next month?\n\nCheers,\nAmber",
        (
            ("PERSON", "Jack"),
            ("PERSON", "Farhan Chowdhury"),
            ("EMAIL", "farhan.c@example.com"),
            ("LOCATION", "Dhaka"),
            ("IBAN", "NL34 ABNA 3513 6831 34"),
            ("PERSON", "Amber"),
        ),
        "email",
    ),
    Labelled(
        "Prezado João Batista Souza,\n\nconfirmamos sua reserva para 22/12/2024, check-in a partir das 15h. "
        "Endereço cadastrado: Rua Augusta 1500, apto 42, São Paulo - SP, 01304-001.\n\nAtenciosamente,\n"
        "Pousada Mar Azul",
        (
            ("PERSON", "João Batista Souza"),
            ("PERSONAL_DATE", "22/12/2024"),
            ("ADDRESS", "Rua Augusta 1500, apto 42, São Paulo - SP, 01304-001"),
        ),
        "email",
    ),
    Labelled(
        "---------- Forwarded message ---------\nFrom: Liam O'Connor <liam.oconnor@example.org>\n\nFor the "
        "mortgage form they need my SSN, 987-65-4324, and DOB 7 July 1988. Please don't forward this "
        "any further!\nLiam",
        (
            ("PERSON", "Liam O'Connor"),
            ("EMAIL", "liam.oconnor@example.org"),
            ("US_SSN", "987-65-4324"),
            ("DATE_OF_BIRTH", "7 July 1988"),
            ("PERSON", "Liam"),
        ),
        "email",
    ),
    Labelled(
        "Hej Sigrid!\n\nTack för igår. Min nya adress är Storgatan 12, 114 51 Stockholm och mitt nya nummer "
        "är 070-000 03 18. Ses vi på fredag?\n\nKram,\nIngrid",
        (
            ("PERSON", "Sigrid"),
            ("ADDRESS", "Storgatan 12, 114 51 Stockholm"),
            ("PHONE", "070-000 03 18"),
            ("PERSON", "Ingrid"),
        ),
        "email",
    ),
    Labelled(
        "Dear Dr. Sadykova,\n\nyour conference badge is ready. Your hotel booking runs from "
        "11 to 14 October; "
        "call me on +7 701 000 0461 if you need a transfer from the airport.\n\nBest,\nTimur",
        (
            ("PERSON", "Sadykova"),
            ("PERSONAL_DATE", "11 to 14 October"),
            ("PHONE", "+7 701 000 0461"),
            ("PERSON", "Timur"),
        ),
        "email",
    ),
    Labelled(
        "Hi team,\n\nplease welcome Ayu Lestari, who joins us from Jakarta. Her work e-mail will be "
        "ayu.lestari@example.com - say hello!\n\nRizal",
        (
            ("PERSON", "Ayu Lestari"),
            ("LOCATION", "Jakarta"),
            ("EMAIL", "ayu.lestari@example.com"),
            ("PERSON", "Rizal"),
        ),
        "email",
    ),
    Labelled(
        "Subject: Condolences\n\nDear Nadia,\n\nI was so sorry to hear that your father, Karim Bouzid, "
        "passed away on 2 February. Take all the time you need.\n\nWarm regards,\nPedro",
        (
            ("PERSON", "Nadia"),
            ("PERSON", "Karim Bouzid"),
            ("PERSONAL_DATE", "2 February"),
            ("PERSON", "Pedro"),
        ),
        "email",
    ),
    Labelled(
        "Sehr geehrter Herr Krüger,\n\nIhr Termin zur Blutabnahme ist am Dienstag, den 8. Oktober um "
        "8:15 Uhr. Bitte bringen Sie Ihre Versichertenkarte mit.\n\nMit freundlichen Grüßen\n"
        "Praxis Dr. Weber",
        (
            ("PERSON", "Krüger"),
            ("PERSONAL_DATE", "Dienstag, den 8. Oktober um 8:15 Uhr"),
            ("PERSON", "Weber"),
        ),
        "email",
    ),
    Labelled(
        "Dear Layla Haddad,\n\nwe received your transfer from AE56 5741 9605 4172 4142 876. Your stay with "
        "us from 9-12 January is confirmed.\n\nRegards,\nOmar",
        (
            ("PERSON", "Layla Haddad"),
            ("IBAN", "AE56 5741 9605 4172 4142 876"),
            ("PERSONAL_DATE", "9-12 January"),
            ("PERSON", "Omar"),
        ),
        "email",
    ),
    # --- log: application and system logs ------------------------------------------------------------
    Labelled(
        '2024-06-11T09:14:02Z INFO auth login ok user="Achieng Otieno" email=achieng.otieno@example.com '
        "ip=198.51.100.23 mfa=totp",
        (
            ("PERSON", "Achieng Otieno"),
            ("EMAIL", "achieng.otieno@example.com"),
            ("IP", "198.51.100.23"),
        ),
        "log",
    ),
    Labelled(
        'WARN payments declined card=6011855894940320 holder="SOMCHAI WONGSAKUL" reason=insufficient_funds '
        "retry=false",
        (("CREDIT_CARD", "6011855894940320"), ("PERSON", "SOMCHAI WONGSAKUL")),
        "log",
    ),
    Labelled(
        '{"level":"error","msg":"address validation failed","customer":"Dmitri Volkov",'
        '"address":"ul. Tverskaya 7, kv. 15, Moscow 125009","phone":"+7 495 000 0187"}',
        (
            ("PERSON", "Dmitri Volkov"),
            ("ADDRESS", "ul. Tverskaya 7, kv. 15, Moscow 125009"),
            ("PHONE", "+7 495 000 0187"),
        ),
        "log",
    ),
    Labelled(
        "DEBUG outbound request POST /v1/charges headers={Authorization: Bearer " + _STRIPE_KEY + "} "
        "from 192.0.2.44 tenant=acme",
        (("API_KEY", _STRIPE_KEY), ("IP", "192.0.2.44")),
        "log",
    ),
    Labelled(
        "Jun 11 03:12:09 bastion sshd[2211]: Accepted publickey for mwangi from 2001:db8:4f::1a port 51522 "
        "ssh2: ED25519",
        (("PERSON", "mwangi"), ("IP", "2001:db8:4f::1a")),
        "log",
    ),
    Labelled(
        '[audit] 2024-04-02 17:31 actor=ops-admin-3 action=export_record subject="Nuru Mwangi" '
        "dob=1979-11-02 ssn=987-65-4326",
        (
            ("PERSON", "Nuru Mwangi"),
            ("DATE_OF_BIRTH", "1979-11-02"),
            ("US_SSN", "987-65-4326"),
        ),
        "log",
    ),
    Labelled(
        'INFO booking.created id=BK-88213 guest="Yael Cohen" checkin=2024-08-03 checkout=2024-08-07 '
        'phone="+972 50 000 0229"',
        (
            ("PERSON", "Yael Cohen"),
            ("PERSONAL_DATE", "2024-08-03"),
            ("PERSONAL_DATE", "2024-08-07"),
            ("PHONE", "+972 50 000 0229"),
        ),
        "log",
    ),
    Labelled(
        'ERROR smtp: 550 mailbox unavailable for rahim.karimov@example.org (display name "Rahim Karimov", '
        "locale=uz_UZ)",
        (("EMAIL", "rahim.karimov@example.org"), ("PERSON", "Rahim Karimov")),
        "log",
    ),
    Labelled(
        "GET /api/v1/users?first=lerato&last=mokoena&city=durban 200 12ms client=203.0.113.201",
        (
            ("PERSON", "lerato"),
            ("PERSON", "mokoena"),
            ("LOCATION", "durban"),
            ("IP", "203.0.113.201"),
        ),
        "log",
    ),
    Labelled(
        "slack notifier failed: invalid_auth token=" + _SLACK_TOKEN + ' channel=#oncall mention="Kofi '
        'Boateng"',
        (("API_KEY", _SLACK_TOKEN), ("PERSON", "Kofi Boateng")),
        "log",
    ),
    Labelled(
        'pgbouncer: client 198.51.100.9 app_name="payroll-sync" last_error="IBAN PT17 6880 9106 7798 2666 '
        '8553 5 rejected for employee Inês Carvalho"',
        (
            ("IP", "198.51.100.9"),
            ("IBAN", "PT17 6880 9106 7798 2666 8553 5"),
            ("PERSON", "Inês Carvalho"),
        ),
        "log",
    ),
    Labelled(
        "2024-05-02 11:02:17 WARN fraud score=0.91 pan=4525760770026 bin_country=PL ip=2001:db8:a11::7 "
        'customer="Marta Kowalczyk"',
        (
            ("CREDIT_CARD", "4525760770026"),
            ("IP", "2001:db8:a11::7"),
            ("PERSON", "Marta Kowalczyk"),
        ),
        "log",
    ),
    Labelled(
        'ERROR kyc.check mismatch name="Alejandro Ruiz" iban="ES76 8742 0288 6337 8955 7313" dob=1983-04-19 '
        "src=198.51.100.140",
        (
            ("PERSON", "Alejandro Ruiz"),
            ("IBAN", "ES76 8742 0288 6337 8955 7313"),
            ("DATE_OF_BIRTH", "1983-04-19"),
            ("IP", "198.51.100.140"),
        ),
        "log",
    ),
    # --- code: source, configs and test data ---------------------------------------------------------
    Labelled(
        'def test_create_customer():\n    customer = Customer(\n        name="Milena Petrović",\n'
        '        email="milena.p@example.com",\n        phone="+381 11 000 0342",\n    )\n'
        "    assert customer.is_valid()",
        (
            ("PERSON", "Milena Petrović"),
            ("EMAIL", "milena.p@example.com"),
            ("PHONE", "+381 11 000 0342"),
        ),
        "code",
    ),
    Labelled(
        '# TODO(sigrid): remove the hard-coded token before merging\nGITHUB_TOKEN = "'
        + _GITHUB_TOKEN
        + '"\nclient = Github(GITHUB_TOKEN)',
        (("PERSON", "sigrid"), ("API_KEY", _GITHUB_TOKEN)),
        "code",
    ),
    Labelled(
        "export AWS_ACCESS_KEY_ID=" + _AWS_KEY_ID + "  # Deepa's personal key, rotate after the demo!\n"
        "export AWS_DEFAULT_REGION=eu-west-1",
        (("API_KEY", _AWS_KEY_ID), ("PERSON", "Deepa")),
        "code",
    ),
    Labelled(
        'const seed = [\n  { id: 1, name: "Themba Nkosi", card: "3420 270817 79332" },\n'
        '  { id: 2, name: "Mark Fisher", city: "Cork" },\n];',
        (
            ("PERSON", "Themba Nkosi"),
            ("CREDIT_CARD", "3420 270817 79332"),
            ("PERSON", "Mark Fisher"),
            ("LOCATION", "Cork"),
        ),
        "code",
    ),
    Labelled(
        "INSERT INTO patients (full_name, dob, ssn)\nVALUES ('Omar Farouk', '1969-01-15', '987-65-4329');",
        (
            ("PERSON", "Omar Farouk"),
            ("DATE_OF_BIRTH", "1969-01-15"),
            ("US_SSN", "987-65-4329"),
        ),
        "code",
    ),
    Labelled(
        'client := anthropic.NewClient(option.WithAPIKey("'
        + _ANTHROPIC_KEY
        + '")) // prod key from Rui, do not commit',
        (("API_KEY", _ANTHROPIC_KEY), ("PERSON", "Rui")),
        "code",
    ),
    Labelled(
        'oncall:\n  - name: Ingrid Halvorsen\n    phone: "+47 400 00 218"\n  - name: Bjørn Eriksen\n'
        '    phone: "+47 400 00 377"',
        (
            ("PERSON", "Ingrid Halvorsen"),
            ("PHONE", "+47 400 00 218"),
            ("PERSON", "Bjørn Eriksen"),
            ("PHONE", "+47 400 00 377"),
        ),
        "code",
    ),
    Labelled(
        'def test_owner_lookup():\n    account = parse_iban("AT75 7489 5048 7849 0438")\n'
        '    assert account.owner == "Sebastian Gruber"',
        (("IBAN", "AT75 7489 5048 7849 0438"), ("PERSON", "Sebastian Gruber")),
        "code",
    ),
    Labelled(
        "# .env.local (do not commit)\nHF_TOKEN=" + _HF_TOKEN + "\nSENDGRID_API_KEY=" + _SENDGRID_KEY + "\n"
        "ADMIN_EMAIL=valentin.popescu@example.com",
        (
            ("API_KEY", _HF_TOKEN),
            ("API_KEY", _SENDGRID_KEY),
            ("EMAIL", "valentin.popescu@example.com"),
        ),
        "code",
    ),
    Labelled(
        'fake_user = {"username": "amani", "first": "Amani", "birthday": "1994-05-27", '
        '"last_ip": "203.0.113.88"}',
        (
            ("PERSON", "amani"),
            ("PERSON", "Amani"),
            ("DATE_OF_BIRTH", "1994-05-27"),
            ("IP", "203.0.113.88"),
        ),
        "code",
    ),
    Labelled(
        'Patient p = new Patient("Chidi Okafor", "1984-06-02", "Port Harcourt");\n'
        "// maps.key = " + _GOOGLE_KEY,
        (
            ("PERSON", "Chidi Okafor"),
            ("DATE_OF_BIRTH", "1984-06-02"),
            ("LOCATION", "Port Harcourt"),
            ("API_KEY", _GOOGLE_KEY),
        ),
        "code",
    ),
    Labelled(
        "git remote set-url origin https://oauth2:" + _GITLAB_TOKEN + "@gitlab.example.com/infra/deploy.git"
        "  # yaw's token, works for now",
        (("API_KEY", _GITLAB_TOKEN), ("PERSON", "yaw")),
        "code",
    ),
    Labelled(
        'TEST_CARDS = {\n    "maestro": "6759 0483 9167 2483 81",\n    "mir": "2200 8134 0133 3711",\n'
        '    "discover": "6578-6427-5158-3905",\n    "visa19": "4325979571752335707",\n}\n'
        "# FIXME: these came from Aleksei Smirnov's real account logs, replace them!",
        (
            ("CREDIT_CARD", "6759 0483 9167 2483 81"),
            ("CREDIT_CARD", "2200 8134 0133 3711"),
            ("CREDIT_CARD", "6578-6427-5158-3905"),
            ("CREDIT_CARD", "4325979571752335707"),
            ("PERSON", "Aleksei Smirnov"),
        ),
        "code",
    ),
    # --- clinical: notes, referrals, summaries -------------------------------------------------------
    Labelled(
        "Pt: Wanjiru Kamau, 54F. Admitted 2024-03-02 with central chest pain, troponin negative x2. "
        "Discharged 2024-03-05 on aspirin and atorvastatin.",
        (
            ("PERSON", "Wanjiru Kamau"),
            ("PERSONAL_DATE", "2024-03-02"),
            ("PERSONAL_DATE", "2024-03-05"),
        ),
        "clinical",
    ),
    Labelled(
        "Referral: Mr. Vikram Reddy (DOB 14/02/1979), 3 Granby Street, Leicester LE1 6FB, tel. 07700 900731. "
        "Seen in clinic Thu 9 May; please book an MRI of the lumbar spine.",
        (
            ("PERSON", "Vikram Reddy"),
            ("DATE_OF_BIRTH", "14/02/1979"),
            ("ADDRESS", "3 Granby Street, Leicester LE1 6FB"),
            ("PHONE", "07700 900731"),
            ("PERSONAL_DATE", "Thu 9 May"),
        ),
        "clinical",
    ),
    Labelled(
        "S: Gulnara Sadykova (lives in Bishkek, visiting family) reports 3 days of fever and myalgia. "
        "O: T 38.9, HR 102. A: likely viral. P: fluids, review Friday 16 Aug at 09:30.",
        (
            ("PERSON", "Gulnara Sadykova"),
            ("LOCATION", "Bishkek"),
            ("PERSONAL_DATE", "Friday 16 Aug at 09:30"),
        ),
        "clinical",
    ),
    Labelled(
        "Theatre list for Tue 12 Nov 2024: 1) Rosa Jiménez - laparoscopic cholecystectomy; 2) Pavel Novák - "
        "inguinal hernia repair. Surgeon: Dr. Ahmed.",
        (
            ("PERSONAL_DATE", "Tue 12 Nov 2024"),
            ("PERSON", "Rosa Jiménez"),
            ("PERSON", "Pavel Novák"),
            ("PERSON", "Ahmed"),
        ),
        "clinical",
    ),
    Labelled(
        "Discharge summary: Leilani Kahale discharged 06/18/2024 to home at 1180 Kapiolani Blvd, Honolulu, "
        "HI 96814. Follow-up with Dr. Grace Holloway in two weeks.",
        (
            ("PERSON", "Leilani Kahale"),
            ("PERSONAL_DATE", "06/18/2024"),
            ("ADDRESS", "1180 Kapiolani Blvd, Honolulu, HI 96814"),
            ("PERSON", "Grace Holloway"),
        ),
        "clinical",
    ),
    Labelled(
        "Handover, bed 7: Mrs. Abena Mensah, day 2 after surgery on 10 Jan, pain controlled, mobilising. "
        "Daughter Efua can be reached on +233 24 000 0613.",
        (
            ("PERSON", "Abena Mensah"),
            ("PERSONAL_DATE", "10 Jan"),
            ("PERSON", "Efua"),
            ("PHONE", "+233 24 000 0613"),
        ),
        "clinical",
    ),
    Labelled(
        "Paciente: Luis Fernando Castillo, fecha de nacimiento 22/11/1985, domicilio Av. Insurgentes Sur "
        "1602, Col. Crédito Constructor, 03940 Ciudad de México. Próxima consulta: jueves 5 de septiembre.",
        (
            ("PERSON", "Luis Fernando Castillo"),
            ("DATE_OF_BIRTH", "22/11/1985"),
            ("ADDRESS", "Av. Insurgentes Sur 1602, Col. Crédito Constructor, 03940 Ciudad de México"),
            ("PERSONAL_DATE", "jueves 5 de septiembre"),
        ),
        "clinical",
    ),
    Labelled(
        "Telehealth transcript\nDoctor: Good morning, can you confirm your name?\nPatient: It's Hope "
        "Adeyemi, born the 4th of December 1992.\nDoctor: Thank you, Hope.",
        (
            ("PERSON", "Hope Adeyemi"),
            ("DATE_OF_BIRTH", "4th of December 1992"),
            ("PERSON", "Hope"),
        ),
        "clinical",
    ),
    Labelled(
        "Lab flag: potassium 6.1 for Kenji (Yamamoto Kenji in the Japanese chart), sample drawn "
        "Mon 21 Oct 07:45. Patient lives in Yokohama; repeat sample requested.",
        (
            ("PERSON", "Kenji"),
            ("PERSON", "Yamamoto Kenji"),
            ("PERSONAL_DATE", "Mon 21 Oct 07:45"),
            ("LOCATION", "Yokohama"),
        ),
        "clinical",
    ),
    Labelled(
        "Immunisation record - child: Aarav Nair, DOB 2019-09-14; parent/guardian: Lakshmi Nair, "
        "0491 570 239. Next dose due 14 March 2025.",
        (
            ("PERSON", "Aarav Nair"),
            ("DATE_OF_BIRTH", "2019-09-14"),
            ("PERSON", "Lakshmi Nair"),
            ("PHONE", "0491 570 239"),
            ("PERSONAL_DATE", "14 March 2025"),
        ),
        "clinical",
    ),
    Labelled(
        "Death certificate draft: deceased Heinrich Vogel, born 03.01.1931 in Linz, died 27.10.2024 at his "
        "home, Hauptplatz 5, 8010 Graz.",
        (
            ("PERSON", "Heinrich Vogel"),
            ("DATE_OF_BIRTH", "03.01.1931"),
            ("LOCATION", "Linz"),
            ("PERSONAL_DATE", "27.10.2024"),
            ("ADDRESS", "Hauptplatz 5, 8010 Graz"),
        ),
        "clinical",
    ),
    Labelled(
        "Admission note: Mrs. Sunita Deshpande, 67, admitted 14-08-2024 after a fall at home; lives alone at "
        "Flat 4B, Sea View Apartments, Carter Road, Bandra West, Mumbai 400050. Son Rohan: +91 98200 00417.",
        (
            ("PERSON", "Sunita Deshpande"),
            ("PERSONAL_DATE", "14-08-2024"),
            ("ADDRESS", "Flat 4B, Sea View Apartments, Carter Road, Bandra West, Mumbai 400050"),
            ("PERSON", "Rohan"),
            ("PHONE", "+91 98200 00417"),
        ),
        "clinical",
    ),
    Labelled(
        "Billing query for the outpatient visit on 3/14/2024: patient Kalani Akana, SSN 987-65-4322, card on "
        "file 5512 9435 4022 0135 was declined. Please call the patient before resubmitting.",
        (
            ("PERSONAL_DATE", "3/14/2024"),
            ("PERSON", "Kalani Akana"),
            ("US_SSN", "987-65-4322"),
            ("CREDIT_CARD", "5512 9435 4022 0135"),
        ),
        "clinical",
    ),
)

CLEAN_TEXTS: tuple[Labelled, ...] = (
    # --- chat ----------------------------------------------------------------------------------------
    Labelled(
        "What's the best time of year to visit Morocco? I'm thinking Marrakesh and Fes, maybe a night in "
        "the Sahara too.",
        (),
        "chat",
    ),
    Labelled(
        "Is Jordan a good destination in spring? How does Petra compare with Wadi Rum for a first trip?",
        (),
        "chat",
    ),
    Labelled(
        "Can you explain when to use Will and when to use Shall in British English, with a few examples?",
        (),
        "chat",
    ),
    Labelled(
        "Summarise the history of the Ottoman Empire in five bullet points for a school presentation.",
        (),
        "chat",
    ),
    Labelled(
        "Why do prices in Norway feel so much higher than in Sweden? Give me three reasons with "
        "rough numbers.",
        (),
        "chat",
    ),
    Labelled(
        "The grace period on my plan is 14 days, right? Order 4471-2290 still says Pending after a week.",
        (),
        "chat",
    ),
    # --- ticket --------------------------------------------------------------------------------------
    Labelled(
        "Ticket #88213: Checkout fails on Safari 17.4 when the basket has more than 20 items. Steps: add "
        "items, click Pay, spinner forever. Priority P2.",
        (),
        "ticket",
    ),
    Labelled(
        "INC0012345 - VPN client 5.1.2.44 disconnects every 10 minutes on macOS Sonoma. Reproduced on three "
        "laptops. Workaround: downgrade to 5.0.9.",
        (),
        "ticket",
    ),
    Labelled(
        "Feature request: allow exporting invoices as CSV with ISO dates (e.g. 2024-05-31) and a VAT column. "
        "Customers in Germany and Austria asked for it.",
        (),
        "ticket",
    ),
    Labelled(
        "Customer cannot find the order number; invoice INV-2024-004417 shows a total of 1 299,00 EUR and "
        "the parcel reference is PR 7781 2210 4.",
        (),
        "ticket",
    ),
    Labelled(
        "Bug: the Reset button on the Settings page is labelled Apply in the French locale. Version 3.8.0, "
        "build 2207. Severity: minor.",
        (),
        "ticket",
    ),
    # --- crm -----------------------------------------------------------------------------------------
    Labelled(
        "Pipeline report Q3: 42 opportunities, 17 won, average deal size 18,400 USD. Top regions: Brazil, "
        "Kenya, Poland.",
        (),
        "crm",
    ),
    Labelled(
        '{"account_id": "ACC-000918", "industry": "Logistics", "tier": "Gold", "region": "EMEA", '
        '"seats": 250, "renewal_month": 11}',
        (),
        "crm",
    ),
    Labelled(
        "Segment 'Churn risk' = accounts with NPS below 6 and more than 3 open tickets in 30 days. Export to "
        "campaign 7014x000000AbC.",
        (),
        "crm",
    ),
    Labelled(
        "Company: Marshall & Price Freight GmbH; HQ: Hamburg; employees: 1,200; industry: freight "
        "forwarding; status: prospect.",
        (),
        "crm",
    ),
    Labelled(
        "Stage definitions: Lead -> Qualified -> Demo -> Proposal -> Closed Won. Move deals to Proposal only "
        "after pricing sign-off.",
        (),
        "crm",
    ),
    # --- email ---------------------------------------------------------------------------------------
    Labelled(
        "Hi all,\n\nreminder that the Lisbon office is closed on public holidays. The Q2 all-hands moves to "
        "Thursday.\n\nThanks,\nThe Facilities Team",
        (),
        "email",
    ),
    Labelled(
        "Subject: Your invoice INV-88412 is ready\n\nThe invoice for May is attached. Amount due: 349.00 USD "
        "by 2024-06-30. Reply to this message if anything looks wrong.",
        (),
        "email",
    ),
    Labelled(
        "Newsletter: this month we shipped dark mode, faster search and a new Berlin data centre. Read the "
        "changelog for version 2.14 on our blog.",
        (),
        "email",
    ),
    Labelled(
        "Dear customer,\n\nwe have updated our privacy policy, effective 1 January 2025. No action is "
        "needed on your side.\n\nKind regards,\nCustomer Care",
        (),
        "email",
    ),
    Labelled(
        "Subject: Maintenance window\n\nThe support desk is closed until Monday 06:00 UTC while we migrate "
        "to the new ticketing system. Urgent billing questions: use the web form.",
        (),
        "email",
    ),
    # --- log -----------------------------------------------------------------------------------------
    Labelled(
        "2024-06-11T09:14:02.331Z INFO http GET /health 200 1.2ms version=4.12.0 build=20240611.3",
        (),
        "log",
    ),
    Labelled(
        "WARN retrying job id=7c1e0d2a attempt=3/5 backoff=1600ms queue=emails-outbound",
        (),
        "log",
    ),
    Labelled(
        "kernel: [12345.678901] eth0: link up, 1000 Mbps, full duplex; firmware 10.4.255.1, driver 5.15.0",
        (),
        "log",
    ),
    Labelled(
        "ERROR OrderService.placeOrder failed: DeadlineExceeded after 30000ms (order_id=100238841, "
        "region=eu-west-1)",
        (),
        "log",
    ),
    Labelled(
        "INFO scheduler: cron 'nightly-backup' next run 2024-07-01 02:00 UTC; retention 14 days; "
        "snapshots=31",
        (),
        "log",
    ),
    # --- code ----------------------------------------------------------------------------------------
    Labelled(
        "class Jordan(Scheduler):\n    def pick(self, jobs: list[Job]) -> Job:\n"
        "        return min(jobs, key=lambda j: j.deadline)",
        (),
        "code",
    ),
    Labelled(
        "def Grant(role: str, user_id: int) -> bool:\n    Audit.log('grant', role, user_id)\n"
        "    return Policy.allows(role)",
        (),
        "code",
    ),
    Labelled(
        "import pandas as pd\ndf = pd.read_csv('sales_2024.csv')\n"
        "print(df.groupby('country')['revenue'].sum().sort_values())",
        (),
        "code",
    ),
    Labelled(
        "version = '1.2.3.4'  # four-part version, not an address\n"
        "assert Version(version) > Version('1.2.3')",
        (),
        "code",
    ),
    Labelled(
        "// Marshall converts the order to JSON\nfunc (o *Order) Marshall() ([]byte, error) {\n"
        "\treturn json.Marshal(o)\n}",
        (),
        "code",
    ),
    Labelled(
        "public class AliceBobHandshakeTest {\n  @Test void aliceSendsNonceBobSigns() {\n"
        "    assertTrue(new Handshake(Role.ALICE, Role.BOB).complete());\n  }\n}",
        (),
        "code",
    ),
    # --- clinical ------------------------------------------------------------------------------------
    Labelled(
        "Guideline: adults with community-acquired pneumonia and a CURB-65 score of 0-1 can usually be "
        "treated at home with amoxicillin 500 mg three times daily for 5 days.",
        (),
        "clinical",
    ),
    Labelled(
        "What is the difference between type 1 and type 2 diabetes? Explain HbA1c targets such as "
        "48 mmol/mol.",
        (),
        "clinical",
    ),
    Labelled(
        "Ward 7B protocol: check vital signs every 4 hours and escalate if NEWS2 >= 5. Paracetamol maximum "
        "4 g in 24 hours.",
        (),
        "clinical",
    ),
    Labelled(
        "Parkinson's disease versus essential tremor: list the key clinical differences and first-line "
        "treatments.",
        (),
        "clinical",
    ),
    Labelled(
        "Is Addison's disease related to Cushing's syndrome? Compare the causes and the cortisol levels.",
        (),
        "clinical",
    ),
)

NAME_ORIGINS: dict[str, str] = {
    "kwame": "west_african",
    "June": "anglo",
    "Will": "anglo",
    "Tesfaye Bekele": "east_african",
    "Camila Rojas": "latin_american",
    "Dlamini": "southern_african",
    "Sipho": "southern_african",
    "Ananya Iyer": "south_asian",
    "Hans Becker": "western_european",
    "summer": "anglo",
    "Haruto Tanaka": "east_asian",
    "Élodie Marchand": "western_european",
    "Leilani": "pacific",
    "Nguyen Thi Lan": "southeast_asian",
    "Mikael": "nordic",
    "Aibek Nurlanov": "central_asian",
    "Grace Holloway": "anglo",
    "Dilnoza Karimova": "central_asian",
    "Bjørn": "nordic",
    "Rose": "anglo",
    "Youssef Benali": "north_african",
    "Giulia Romano": "western_european",
    "Hunter": "anglo",
    "Astrid Lund": "nordic",
    "Olha Shevchenko": "slavic",
    "Sione Taufa": "pacific",
    "Mele": "pacific",
    "Luis": "latin_american",
    "Adaeze": "west_african",
    "Nwosu": "west_african",
    "Mateo Gutiérrez": "latin_american",
    "Faith": "anglo",
    "Wei Zhang": "east_asian",
    "Mei Lin": "east_asian",
    "Thandiwe Dlamini": "southern_african",
    "Reza Tehrani": "middle_eastern",
    "Pieter de Vries": "western_european",
    "P. de Vries": "western_european",
    "Ji-woo": "east_asian",
    "Park": "east_asian",
    "Valentina Herrera": "latin_american",
    "Samir El Idrissi": "north_african",
    "bill cooper": "anglo",
    "Mehmet Yılmaz": "middle_eastern",  # noqa: RUF001
    "Zeynep Arslan": "middle_eastern",
    "Kenji Watanabe": "east_asian",
    "Aroha Ngata": "pacific",
    "Kamau": "east_african",
    "James Whitaker": "anglo",
    "Katarzyna": "slavic",
    "Tomasz Wiśniewski": "slavic",
    "Nimal Perera": "south_asian",
    "Nimal": "south_asian",
    "Margaux": "western_european",
    "Sophie Dubois": "western_european",
    "Jack": "anglo",
    "Farhan Chowdhury": "south_asian",
    "Amber": "anglo",
    "João Batista Souza": "latin_american",
    "Liam O'Connor": "anglo",
    "Liam": "anglo",
    "Sigrid": "nordic",
    "Ingrid": "nordic",
    "Sadykova": "central_asian",
    "Timur": "central_asian",
    "Ayu Lestari": "southeast_asian",
    "Rizal": "southeast_asian",
    "Nadia": "north_african",
    "Karim Bouzid": "north_african",
    "Pedro": "latin_american",
    "Achieng Otieno": "east_african",
    "SOMCHAI WONGSAKUL": "southeast_asian",
    "Dmitri Volkov": "slavic",
    "mwangi": "east_african",
    "Nuru Mwangi": "east_african",
    "Yael Cohen": "middle_eastern",
    "Rahim Karimov": "central_asian",
    "lerato": "southern_african",
    "mokoena": "southern_african",
    "Kofi Boateng": "west_african",
    "Inês Carvalho": "western_european",
    "Milena Petrović": "slavic",
    "sigrid": "nordic",
    "Deepa": "south_asian",
    "Themba Nkosi": "southern_african",
    "Mark Fisher": "anglo",
    "Omar Farouk": "middle_eastern",
    "Rui": "western_european",
    "Ingrid Halvorsen": "nordic",
    "Bjørn Eriksen": "nordic",
    "Sebastian Gruber": "western_european",
    "amani": "east_african",
    "Amani": "east_african",
    "Chidi Okafor": "west_african",
    "yaw": "west_african",
    "Wanjiru Kamau": "east_african",
    "Vikram Reddy": "south_asian",
    "Gulnara Sadykova": "central_asian",
    "Rosa Jiménez": "latin_american",
    "Pavel Novák": "slavic",
    "Ahmed": "middle_eastern",
    "Leilani Kahale": "pacific",
    "Abena Mensah": "west_african",
    "Efua": "west_african",
    "Luis Fernando Castillo": "latin_american",
    "Hope Adeyemi": "west_african",
    "Hope": "west_african",
    "Kenji": "east_asian",
    "Yamamoto Kenji": "east_asian",
    "Aarav Nair": "south_asian",
    "Lakshmi Nair": "south_asian",
    "Heinrich Vogel": "western_european",
    "Li Na": "east_asian",
    "Freya": "anglo",
    "Ravi Menon": "south_asian",
    "Emre Demir": "middle_eastern",
    "Anders Nyström": "nordic",
    "佐藤 花子": "east_asian",
    "Sato Hanako": "east_asian",
    "Krüger": "western_european",
    "Weber": "western_european",
    "Layla Haddad": "middle_eastern",
    "Omar": "middle_eastern",
    "Marta Kowalczyk": "slavic",
    "Alejandro Ruiz": "western_european",
    "Aleksei Smirnov": "slavic",
    "Sunita Deshpande": "south_asian",
    "Rohan": "south_asian",
    "Kalani Akana": "pacific",
}
