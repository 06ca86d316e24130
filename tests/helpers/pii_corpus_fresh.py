"""A fresh held-out labelled PII corpus for redaction (issue 17), written blind by a third author.

Neither the recognizers nor the other corpora were read while writing it, so it measures how well
recognizers tuned on ``pii_corpus_dev.py`` generalise. Format as in ``pii_corpus.py``: ``Labelled(text,
spans, category)``; every piece of personal data in a PII text is labelled with its exact substring.

All data is invented: names are made up, e-mail domains are example.* or invented, phones come from
fictional or unallocated ranges, cards are generated Luhn-valid numbers of every network, US SSNs are
987-65-432x, IBANs are generated with valid mod-97 checksums, IPs are documentation addresses and every
credential is random. ``NAME_ORIGINS`` gives the origin of every PERSON value.
"""

from __future__ import annotations

from helpers.pii_corpus import Labelled

PII_TEXTS: tuple[Labelled, ...] = (
    # --- chat -------------------------------------------------------------------------------------------
    Labelled(
        "hey, it's kwabena again. my new number is +233 20 000 4817 and I moved to Kumasi last month, so "
        "please update the delivery region too.",
        (
            ("PERSON", "kwabena"),
            ("PHONE", "+233 20 000 4817"),
            ("LOCATION", "Kumasi"),
        ),
        "chat",
    ),
    Labelled(
        "My daughter Wanjiru Kamau was born on 03/11/2009 and she needs her own login for the school "
        "portal. Can you link it to my card 4233 1083 9284 8778?",
        (
            ("PERSON", "Wanjiru Kamau"),
            ("DATE_OF_BIRTH", "03/11/2009"),
            ("CREDIT_CARD", "4233 1083 9284 8778"),
        ),
        "chat",
    ),
    Labelled(
        "Can you write a polite note to my landlord, Mr. Okonkwo, saying the rent will be paid next week "
        "and apologising for the delay? Sign it Grace.",
        (
            ("PERSON", "Okonkwo"),
            ("PERSON", "Grace"),
        ),
        "chat",
    ),
    Labelled(
        "I booked the dentist for Tue 14 Oct at 9:40 under my name, Farhan Siddiqui. Can you remind me the "
        "day before? Text me on +91 98765 43210 or write to farhan.s@example.net",
        (
            ("PERSONAL_DATE", "Tue 14 Oct at 9:40"),
            ("PERSON", "Farhan Siddiqui"),
            ("PHONE", "+91 98765 43210"),
            ("EMAIL", "farhan.s@example.net"),
        ),
        "chat",
    ),
    Labelled(
        "Summarise this for me: Lucía Fernández (lives in Rosario, Argentina) wants to move her flight "
        "booked for 22 Nov 2025 to a week later without paying the fee.",
        (
            ("PERSON", "Lucía Fernández"),
            ("LOCATION", "Rosario, Argentina"),
            ("PERSONAL_DATE", "22 Nov 2025"),
        ),
        "chat",
    ),
    Labelled(
        "ok so my brother Dmitri and I both need the family plan. His phone is +7 900 000 12 84, mine you "
        "already have. Thanks, Olga",
        (
            ("PERSON", "Dmitri"),
            ("PHONE", "+7 900 000 12 84"),
            ("PERSON", "Olga"),
        ),
        "chat",
    ),
    Labelled(
        "Translate into Japanese please: Dear Mr. Tanaka, your table for four is booked for Saturday 7 "
        "June at 19:30. Kind regards, Emily",
        (
            ("PERSON", "Tanaka"),
            ("PERSONAL_DATE", "Saturday 7 June at 19:30"),
            ("PERSON", "Emily"),
        ),
        "chat",
    ),
    Labelled(
        "I'm Nguyen Thi Mai, living in Da Nang, Vietnam. What's the cheapest way to send money to my "
        "cousin Linh in Melbourne?",
        (
            ("PERSON", "Nguyen Thi Mai"),
            ("LOCATION", "Da Nang, Vietnam"),
            ("PERSON", "Linh"),
            ("LOCATION", "Melbourne"),
        ),
        "chat",
    ),
    Labelled(
        "can u check why my card was declined?? full number 5511 3883 2027 0812, exp 09/28, name on card "
        "Will Baker",
        (
            ("CREDIT_CARD", "5511 3883 2027 0812"),
            ("PERSON", "Will Baker"),
        ),
        "chat",
    ),
    Labelled(
        "Hi! Ayesha here. My number changed, call 555-0143 from now on, and my address is 88 Cedar Hollow "
        "Rd, Apt 4B, Portland, OR 97205.",
        (
            ("PERSON", "Ayesha"),
            ("PHONE", "555-0143"),
            ("ADDRESS", "88 Cedar Hollow Rd, Apt 4B, Portland, OR 97205"),
        ),
        "chat",
    ),
    Labelled(
        "pls tell Sunny I'll be late for our 6pm booking on Sat 12 Jul, she's on +1 604 555 0187",
        (
            ("PERSON", "Sunny"),
            ("PERSONAL_DATE", "Sat 12 Jul"),
            ("PHONE", "+1 604 555 0187"),
        ),
        "chat",
    ),
    Labelled(
        "My Maestro card 6759386260382331 keeps failing at the self-checkout. I'm Róisín, in Galway, if "
        "that matters for the bank.",
        (
            ("CREDIT_CARD", "6759386260382331"),
            ("PERSON", "Róisín"),
            ("LOCATION", "Galway"),
        ),
        "chat",
    ),
    Labelled(
        "i filled the tax form for my mom, Rose Miller, her SSN is 987-65-4321 and she was born June 3, "
        "1951. Did I do it right?",
        (
            ("PERSON", "Rose Miller"),
            ("US_SSN", "987-65-4321"),
            ("DATE_OF_BIRTH", "June 3, 1951"),
        ),
        "chat",
    ),
    Labelled(
        "Table for two under the name Hunter Young, Fri 3 Oct 20:15. I'll pay with Diners 3671 903234 "
        "8305, or Mastercard 2367 5158 3904 9855 if that fails.",
        (
            ("PERSON", "Hunter Young"),
            ("PERSONAL_DATE", "Fri 3 Oct 20:15"),
            ("CREDIT_CARD", "3671 903234 8305"),
            ("CREDIT_CARD", "2367 5158 3904 9855"),
        ),
        "chat",
    ),
    Labelled(
        "my son Mateo turns 8 soon (born 21.05.2017) and we live at 455 Rue Sainte-Catherine Ouest, "
        "Montréal, QC H3B 1A7. what gifts are popular here?",
        (
            ("PERSON", "Mateo"),
            ("DATE_OF_BIRTH", "21.05.2017"),
            ("ADDRESS", "455 Rue Sainte-Catherine Ouest, Montréal, QC H3B 1A7"),
        ),
        "chat",
    ),
    # --- ticket -----------------------------------------------------------------------------------------
    Labelled(
        "Ticket #58213: customer Zanele Dlamini reports a double charge on card 3530-1340-1333-7183. "
        "Callback requested on +27 82 555 0193 after 5pm.",
        (
            ("PERSON", "Zanele Dlamini"),
            ("CREDIT_CARD", "3530-1340-1333-7183"),
            ("PHONE", "+27 82 555 0193"),
        ),
        "ticket",
    ),
    Labelled(
        "Priority: high\nReporter: Mateus Oliveira\nSummary: cannot save billing IBAN PT58 2054 1491 7732 "
        "9625 8620 4 in the portal, error 'invalid format'.",
        (
            ("PERSON", "Mateus Oliveira"),
            ("IBAN", "PT58 2054 1491 7732 9625 8620 4"),
        ),
        "ticket",
    ),
    Labelled(
        "INC-20931 escalated by sunita to tier 2: customer Bongani Nkosi (DOB 1987-02-19) failed KYC "
        "twice; his ID shows 14 Rivonia Road, Sandton, 2196, South Africa.",
        (
            ("PERSON", "sunita"),
            ("PERSON", "Bongani Nkosi"),
            ("DATE_OF_BIRTH", "1987-02-19"),
            ("ADDRESS", "14 Rivonia Road, Sandton, 2196, South Africa"),
        ),
        "ticket",
    ),
    Labelled(
        "Customer says the technician, Joy, never came for the visit scheduled 04/09/2025 between 8 and "
        "12. Customer: Hiroshi Yamamoto, tel 090-0000-4821.",
        (
            ("PERSON", "Joy"),
            ("PERSONAL_DATE", "04/09/2025"),
            ("PERSON", "Hiroshi Yamamoto"),
            ("PHONE", "090-0000-4821"),
        ),
        "ticket",
    ),
    Labelled(
        "Refund request from Kerstin Lindqvist, Kungsgatan 12, 111 43 Stockholm. Paid by Amex 3439 129169 "
        "24071. Contact: 070-1740 617.",
        (
            ("PERSON", "Kerstin Lindqvist"),
            ("ADDRESS", "Kungsgatan 12, 111 43 Stockholm"),
            ("CREDIT_CARD", "3439 129169 24071"),
            ("PHONE", "070-1740 617"),
        ),
        "ticket",
    ),
    Labelled(
        "Bug report from user Tariq Al-Mansouri: after the password change the 2FA SMS still goes to his "
        "old number +971 50 000 3921. He is based in Dubai.",
        (
            ("PERSON", "Tariq Al-Mansouri"),
            ("PHONE", "+971 50 000 3921"),
            ("LOCATION", "Dubai"),
        ),
        "ticket",
    ),
    Labelled(
        "Hotel booking issue: guest Ana Sofía Ramírez, check-in 12-Dec-2025, check-out 15-Dec-2025, card "
        "on file 6011 4234 9043 0301. She asked for a late arrival.",
        (
            ("PERSON", "Ana Sofía Ramírez"),
            ("PERSONAL_DATE", "12-Dec-2025"),
            ("PERSONAL_DATE", "15-Dec-2025"),
            ("CREDIT_CARD", "6011 4234 9043 0301"),
        ),
        "ticket",
    ),
    Labelled(
        "Ticket 4471: please close the account of the late Mr. Emeka Eze, who passed away on 2 March 2025. "
        "His son Chidi will send the certificate from chidi.eze@example.org.",
        (
            ("PERSON", "Emeka Eze"),
            ("PERSONAL_DATE", "2 March 2025"),
            ("PERSON", "Chidi"),
            ("EMAIL", "chidi.eze@example.org"),
        ),
        "ticket",
    ),
    Labelled(
        "Customer Rangi Parata called about the outage. Router WAN IP 203.0.113.77, no sync since last "
        "night. He lives in Rotorua.",
        (
            ("PERSON", "Rangi Parata"),
            ("IP", "203.0.113.77"),
            ("LOCATION", "Rotorua"),
        ),
        "ticket",
    ),
    Labelled(
        "Customer Anh Tran paid with UnionPay 6275 2335 7086 2145 508 and then Diners 3823 129435 4029; "
        "only the first charge shows. Customer lives in Hanoi.",
        (
            ("PERSON", "Anh Tran"),
            ("CREDIT_CARD", "6275 2335 7086 2145 508"),
            ("CREDIT_CARD", "3823 129435 4029"),
            ("LOCATION", "Hanoi"),
        ),
        "ticket",
    ),
    Labelled(
        "Chargeback dispute for card 2720-9403-2786-4270, cardholder Faisal Qureshi, for the stay booked "
        "01.04.2025 to 03.04.2025.",
        (
            ("CREDIT_CARD", "2720-9403-2786-4270"),
            ("PERSON", "Faisal Qureshi"),
            ("PERSONAL_DATE", "01.04.2025"),
            ("PERSONAL_DATE", "03.04.2025"),
        ),
        "ticket",
    ),
    Labelled(
        "W-9 upload failed for contractor Jamal Washington, SSN 987654325. Please ask him to retry after "
        "the fix is deployed.",
        (
            ("PERSON", "Jamal Washington"),
            ("US_SSN", "987654325"),
        ),
        "ticket",
    ),
    Labelled(
        "Member Javier Ortega Ruiz asks why the direct debit from ES41 6880 9106 7798 2666 8553 failed; he "
        "is in Sevilla until the 20th.",
        (
            ("PERSON", "Javier Ortega Ruiz"),
            ("IBAN", "ES41 6880 9106 7798 2666 8553"),
            ("LOCATION", "Sevilla"),
        ),
        "ticket",
    ),
    Labelled(
        "Caller: Otieno\nIssue: M-Pesa top-up from +254 712 000 318 not credited\nLocation given: Kisumu",
        (
            ("PERSON", "Otieno"),
            ("PHONE", "+254 712 000 318"),
            ("LOCATION", "Kisumu"),
        ),
        "ticket",
    ),
    Labelled(
        "Account takeover suspected for Oliver Hughes: logins from 2001:db8:4f2a::19 and 198.51.100.202 "
        "within a minute. Registered address 12 Kingsley Road, Leeds LS6 2AB.",
        (
            ("PERSON", "Oliver Hughes"),
            ("IP", "2001:db8:4f2a::19"),
            ("IP", "198.51.100.202"),
            ("ADDRESS", "12 Kingsley Road, Leeds LS6 2AB"),
        ),
        "ticket",
    ),
    # --- crm --------------------------------------------------------------------------------------------
    Labelled(
        "Contact: Siosaia Fifita | Title: Procurement lead | Mobile: +61 491 570 006 | Email: "
        "s.fifita@tongamarine.example | City: Nuku'alofa, Tonga",
        (
            ("PERSON", "Siosaia Fifita"),
            ("PHONE", "+61 491 570 006"),
            ("EMAIL", "s.fifita@tongamarine.example"),
            ("LOCATION", "Nuku'alofa, Tonga"),
        ),
        "crm",
    ),
    Labelled(
        "Lead note: met Björn Halvorsen at the trade fair, prefers e-mail (bjorn.halvorsen@example.no). "
        "Follow-up meeting booked Thu 20 Nov 10:00.",
        (
            ("PERSON", "Björn Halvorsen"),
            ("EMAIL", "bjorn.halvorsen@example.no"),
            ("PERSONAL_DATE", "Thu 20 Nov 10:00"),
        ),
        "crm",
    ),
    Labelled(
        "Account owner: Marguerite Dubois\nBilling IBAN: FR64 7857 0822 3650 3953 1586 682\nBilling "
        "address: 27 rue des Lilas, 69003 Lyon, France",
        (
            ("PERSON", "Marguerite Dubois"),
            ("IBAN", "FR64 7857 0822 3650 3953 1586 682"),
            ("ADDRESS", "27 rue des Lilas, 69003 Lyon, France"),
        ),
        "crm",
    ),
    Labelled(
        "Updated record for Kenji Watanabe: DOB 12 Jan 1979, moved from Osaka to Sapporo, new landline +81 "
        "11-000-3345.",
        (
            ("PERSON", "Kenji Watanabe"),
            ("DATE_OF_BIRTH", "12 Jan 1979"),
            ("LOCATION", "Osaka"),
            ("LOCATION", "Sapporo"),
            ("PHONE", "+81 11-000-3345"),
        ),
        "crm",
    ),
    Labelled(
        "Opportunity owner changed from mark to Fatima. Client contact Yusuf Demir (Istanbul) wants "
        "invoices paid to TR40 5142 5349 8156 0573 0887 74.",
        (
            ("PERSON", "mark"),
            ("PERSON", "Fatima"),
            ("PERSON", "Yusuf Demir"),
            ("LOCATION", "Istanbul"),
            ("IBAN", "TR40 5142 5349 8156 0573 0887 74"),
        ),
        "crm",
    ),
    Labelled(
        "Customer since 2016. Name: Precious Adeyemi. Preferred contact: WhatsApp +234 809 000 1423. "
        "Delivery: Plot 5, Admiralty Way, Lekki Phase 1, Lagos.",
        (
            ("PERSON", "Precious Adeyemi"),
            ("PHONE", "+234 809 000 1423"),
            ("ADDRESS", "Plot 5, Admiralty Way, Lekki Phase 1, Lagos"),
        ),
        "crm",
    ),
    Labelled(
        "Churn risk: Aigerim Bekova (Almaty) has not logged in since the onboarding call on 5.08.2025; her "
        "manager Nurlan asked us to ring +7 701 000 2290.",
        (
            ("PERSON", "Aigerim Bekova"),
            ("LOCATION", "Almaty"),
            ("PERSONAL_DATE", "5.08.2025"),
            ("PERSON", "Nurlan"),
            ("PHONE", "+7 701 000 2290"),
        ),
        "crm",
    ),
    Labelled(
        "VIP: Dr. Rosa Esposito, Via Garibaldi 41, 80134 Napoli NA. Pays by SEPA from IT22 K204 3134 1891 "
        "5862 5460 488.",
        (
            ("PERSON", "Rosa Esposito"),
            ("ADDRESS", "Via Garibaldi 41, 80134 Napoli NA"),
            ("IBAN", "IT22 K204 3134 1891 5862 5460 488"),
        ),
        "crm",
    ),
    Labelled(
        "Imported from badge scanner: Name=Thabo Mokoena; Email=thabo.mokoena@example.co.za; Phone=+27 21 "
        "555 0147; Country=South Africa",
        (
            ("PERSON", "Thabo Mokoena"),
            ("EMAIL", "thabo.mokoena@example.co.za"),
            ("PHONE", "+27 21 555 0147"),
            ("LOCATION", "South Africa"),
        ),
        "crm",
    ),
    Labelled(
        "Lead: Isabela Costa, Curitiba, Brazil. WhatsApp +55 41 95555-0123. Interested in the premium "
        "tier; demo booked 14/01 at 15h.",
        (
            ("PERSON", "Isabela Costa"),
            ("LOCATION", "Curitiba, Brazil"),
            ("PHONE", "+55 41 95555-0123"),
            ("PERSONAL_DATE", "14/01 at 15h"),
        ),
        "crm",
    ),
    Labelled(
        "Card update for Yuki Sato: old Amex 376308371874218 expired, new Mastercard 5357 7032 2410 0708. "
        "Address 2-14-5 Jingumae, Shibuya-ku, Tokyo 150-0001.",
        (
            ("PERSON", "Yuki Sato"),
            ("CREDIT_CARD", "376308371874218"),
            ("CREDIT_CARD", "5357 7032 2410 0708"),
            ("ADDRESS", "2-14-5 Jingumae, Shibuya-ku, Tokyo 150-0001"),
        ),
        "crm",
    ),
    Labelled(
        "Supplier contact Mohamed Ashraf, Cairo. Bank: EG85 9173 7290 0944 1371 0295 7304 9. Phone +20 100 "
        "000 4471.",
        (
            ("PERSON", "Mohamed Ashraf"),
            ("LOCATION", "Cairo"),
            ("IBAN", "EG85 9173 7290 0944 1371 0295 7304 9"),
            ("PHONE", "+20 100 000 4471"),
        ),
        "crm",
    ),
    Labelled(
        "Key contact Abebe Tesfaye (Addis Ababa). Mails to abebe.t@example.et bounce, use +251 91 000 2234 "
        "instead.",
        (
            ("PERSON", "Abebe Tesfaye"),
            ("LOCATION", "Addis Ababa"),
            ("EMAIL", "abebe.t@example.et"),
            ("PHONE", "+251 91 000 2234"),
        ),
        "crm",
    ),
    Labelled(
        "Cards on file: Maestro 5018 9889 4761 7805 531 and Mastercard 5151-3683-1347-9757, both "
        "registered to Amina Yusuf, Kano, Nigeria.",
        (
            ("CREDIT_CARD", "5018 9889 4761 7805 531"),
            ("CREDIT_CARD", "5151-3683-1347-9757"),
            ("PERSON", "Amina Yusuf"),
            ("LOCATION", "Kano, Nigeria"),
        ),
        "crm",
    ),
    Labelled(
        "Profile: Arjun Mehta, DOB 07-Aug-1990, Flat 302, Sai Residency, 14th Cross, Indiranagar, "
        "Bengaluru 560038. KYC level 2.",
        (
            ("PERSON", "Arjun Mehta"),
            ("DATE_OF_BIRTH", "07-Aug-1990"),
            ("ADDRESS", "Flat 302, Sai Residency, 14th Cross, Indiranagar, Bengaluru 560038"),
        ),
        "crm",
    ),
    # --- email ------------------------------------------------------------------------------------------
    Labelled(
        "Dear Ms. Novak,\n\nThank you for your order. The fitting of your new windows is confirmed for "
        "Wednesday, 19 March 2025 at 8:00.\n\nBest regards,\nPavel\nCustomer Care",
        (
            ("PERSON", "Novak"),
            ("PERSONAL_DATE", "Wednesday, 19 March 2025 at 8:00"),
            ("PERSON", "Pavel"),
        ),
        "email",
    ),
    Labelled(
        "Hi Hope,\nplease find attached the payslip. Salary goes to DE76 5574 8950 4878 4904 38 as usual. "
        "Questions? Ring me on 030 23125 417.\nCheers, Stefan Brandt",
        (
            ("PERSON", "Hope"),
            ("IBAN", "DE76 5574 8950 4878 4904 38"),
            ("PHONE", "030 23125 417"),
            ("PERSON", "Stefan Brandt"),
        ),
        "email",
    ),
    Labelled(
        "From: Aroha Ngata <aroha.ngata@example.org>\nSubject: wrong charge\n\nYou charged 4525760770026 "
        "twice this month. Please reverse one of them.",
        (
            ("PERSON", "Aroha Ngata"),
            ("EMAIL", "aroha.ngata@example.org"),
            ("CREDIT_CARD", "4525760770026"),
        ),
        "email",
    ),
    Labelled(
        "Good morning Dr. Mensah,\nOur patient Kofi Boateng (born 22/06/1958) has been referred for a "
        "cardiology review. Please contact his daughter Akosua on 07700 900482.\nKind regards,\nSister "
        "Mary Flanagan",
        (
            ("PERSON", "Mensah"),
            ("PERSON", "Kofi Boateng"),
            ("DATE_OF_BIRTH", "22/06/1958"),
            ("PERSON", "Akosua"),
            ("PHONE", "07700 900482"),
            ("PERSON", "Mary Flanagan"),
        ),
        "email",
    ),
    Labelled(
        "Hola Valentina, te confirmo la reserva para el 8 de mayo a las 20:00 a nombre de Joaquín Herrera. "
        "Si hay cambios, llámame al +52 55 5555 0142. Saludos, Camila",
        (
            ("PERSON", "Valentina"),
            ("PERSONAL_DATE", "8 de mayo a las 20:00"),
            ("PERSON", "Joaquín Herrera"),
            ("PHONE", "+52 55 5555 0142"),
            ("PERSON", "Camila"),
        ),
        "email",
    ),
    Labelled(
        "Subject: Re: lease renewal\n\nHi Sven, I've moved! New address: Vesterbrogade 58, 2. th, 1620 "
        "København V. The deposit can go to DK27 9339 9851 5602 39. Thanks, Ingrid",
        (
            ("PERSON", "Sven"),
            ("ADDRESS", "Vesterbrogade 58, 2. th, 1620 København V"),
            ("IBAN", "DK27 9339 9851 5602 39"),
            ("PERSON", "Ingrid"),
        ),
        "email",
    ),
    Labelled(
        "Dear Mr Abdullah Al-Harbi, your payment from SA27 1626 5509 8862 2922 6258 was received. Your "
        "visa interview is on 11/02/2026 at 10:15.",
        (
            ("PERSON", "Abdullah Al-Harbi"),
            ("IBAN", "SA27 1626 5509 8862 2922 6258"),
            ("PERSONAL_DATE", "11/02/2026 at 10:15"),
        ),
        "email",
    ),
    Labelled(
        "Hi team, I'm out from Monday. Urgent things go to my colleague Ji-woo Park "
        "(jiwoo.park@example.com, +82 10 0000 5678).\n-- Minseo",
        (
            ("PERSON", "Ji-woo Park"),
            ("EMAIL", "jiwoo.park@example.com"),
            ("PHONE", "+82 10 0000 5678"),
            ("PERSON", "Minseo"),
        ),
        "email",
    ),
    Labelled(
        "Bonjour Amélie,\nMerci pour ton message. Je t'appelle demain au 06 39 98 12 34.\nBises,\nKarim",
        (
            ("PERSON", "Amélie"),
            ("PHONE", "06 39 98 12 34"),
            ("PERSON", "Karim"),
        ),
        "email",
    ),
    Labelled(
        "Hi Aleksandra, the refund of 240 EUR will reach PL08 0856 5741 9605 4172 4142 8766 within five "
        "working days. Regards, Tomás",
        (
            ("PERSON", "Aleksandra"),
            ("IBAN", "PL08 0856 5741 9605 4172 4142 8766"),
            ("PERSON", "Tomás"),
        ),
        "email",
    ),
    Labelled(
        "Dear Seán, please use IE85 IMGA 6692 6849 6602 03 for the rent from next month on. Thanks a "
        "million, Niamh",
        (
            ("PERSON", "Seán"),
            ("IBAN", "IE85 IMGA 6692 6849 6602 03"),
            ("PERSON", "Niamh"),
        ),
        "email",
    ),
    Labelled(
        "Hallo Johanna, die Miete bitte ab sofort auf AT65 1803 6088 9812 6665 überweisen. Liebe Grüße, "
        "Maximilian",
        (
            ("PERSON", "Johanna"),
            ("IBAN", "AT65 1803 6088 9812 6665"),
            ("PERSON", "Maximilian"),
        ),
        "email",
    ),
    Labelled(
        "Hi Destiny,\nI paid the deposit with my Discover 6441-2520-0177-5593 and the rest with JCB 3589 "
        "5185 4389 6827. Can you confirm both arrived?\nXiu",
        (
            ("PERSON", "Destiny"),
            ("CREDIT_CARD", "6441-2520-0177-5593"),
            ("CREDIT_CARD", "3589 5185 4389 6827"),
            ("PERSON", "Xiu"),
        ),
        "email",
    ),
    Labelled(
        "Dear Mrs. Kowalczyk,\nwe have your date of birth as 2 Feb 1965 but the passport scan says "
        "02.12.1965. Could you confirm which one is correct?\nRegards, Hana",
        (
            ("PERSON", "Kowalczyk"),
            ("DATE_OF_BIRTH", "2 Feb 1965"),
            ("DATE_OF_BIRTH", "02.12.1965"),
            ("PERSON", "Hana"),
        ),
        "email",
    ),
    # --- log --------------------------------------------------------------------------------------------
    Labelled(
        "2025-06-02T14:03:11Z INFO auth login ok user=hannah.schmidt@example.de ip=198.51.100.23 "
        'ua="Mozilla/5.0" session=9f3c2a',
        (
            ("EMAIL", "hannah.schmidt@example.de"),
            ("IP", "198.51.100.23"),
        ),
        "log",
    ),
    Labelled(
        'WARN payment.declined order=ORD-77120 card=2221 7793 3855 8941 holder="Olumide Bakare" avs=fail '
        "retry=false",
        (
            ("CREDIT_CARD", "2221 7793 3855 8941"),
            ("PERSON", "Olumide Bakare"),
        ),
        "log",
    ),
    Labelled(
        "[2025-09-14 08:21:55] ERROR sms-gateway: delivery failed to=+44 7700 900917 name=Siobhan O'Neill "
        "template=appointment_reminder appt=2025-09-16 09:30",
        (
            ("PHONE", "+44 7700 900917"),
            ("PERSON", "Siobhan O'Neill"),
            ("PERSONAL_DATE", "2025-09-16 09:30"),
        ),
        "log",
    ),
    Labelled(
        'DEBUG llm.request prompt="Customer Rahul Verma (rahul.v@example.in) from Pune wants to close his '
        'account" tokens=412',
        (
            ("PERSON", "Rahul Verma"),
            ("EMAIL", "rahul.v@example.in"),
            ("LOCATION", "Pune"),
        ),
        "log",
    ),
    Labelled(
        "sshd[2231]: Accepted publickey for deploy from 2001:db8:85a3::8a2e:370:7334 port 52114 ssh2",
        (("IP", "2001:db8:85a3::8a2e:370:7334"),),
        "log",
    ),
    Labelled(
        "audit: user_id=88213 action=update_profile field=ssn old=*** new=987-65-4324 by=agent:lwazi",
        (
            ("US_SSN", "987-65-4324"),
            ("PERSON", "lwazi"),
        ),
        "log",
    ),
    Labelled(
        'level=error msg="webhook retry" customer_email=tomasz.wisniewski@example.pl client_ip=192.0.2.145 '
        "attempt=3",
        (
            ("EMAIL", "tomasz.wisniewski@example.pl"),
            ("IP", "192.0.2.145"),
        ),
        "log",
    ),
    Labelled(
        'INFO booking.created guest="Mei Ling Tan" checkin="Fri 05 Dec 2025" nights=3 phone="+65 8000 '
        '0421" room=1207',
        (
            ("PERSON", "Mei Ling Tan"),
            ("PERSONAL_DATE", "Fri 05 Dec 2025"),
            ("PHONE", "+65 8000 0421"),
        ),
        "log",
    ),
    Labelled(
        'kyc.verify ok name=Juan Pablo Castillo dob=1992-11-30 addr="Av. Corrientes 1234, Piso 5, C1043 '
        'Buenos Aires" ssn=987 65 4327',
        (
            ("PERSON", "Juan Pablo Castillo"),
            ("DATE_OF_BIRTH", "1992-11-30"),
            ("ADDRESS", "Av. Corrientes 1234, Piso 5, C1043 Buenos Aires"),
            ("US_SSN", "987 65 4327"),
        ),
        "log",
    ),
    Labelled(
        'payout.sent amount=1200.00 currency=CHF beneficiary="Luca Bernasconi" iban=CH8896139767347230446 '
        "ip=203.0.113.9",
        (
            ("PERSON", "Luca Bernasconi"),
            ("IBAN", "CH8896139767347230446"),
            ("IP", "203.0.113.9"),
        ),
        "log",
    ),
    Labelled(
        "2025-10-01 12:00:03 fraud.flag score=0.91 cards=[6220133259795714, 4588659387420289] "
        "email=li.wei@example.cn",
        (
            ("CREDIT_CARD", "6220133259795714"),
            ("CREDIT_CARD", "4588659387420289"),
            ("EMAIL", "li.wei@example.cn"),
        ),
        "log",
    ),
    Labelled(
        'sepa.mandate.created debtor="Eeva Virtanen" iban=FI1170981586287704 created_at=2025-08-19T10:22:03Z',
        (
            ("PERSON", "Eeva Virtanen"),
            ("IBAN", "FI1170981586287704"),
        ),
        "log",
    ),
    Labelled(
        'INFO ivr.callback queued caller="Beatriz" note="call back on 555-0199 after lunch" wait=4m12s',
        (
            ("PERSON", "Beatriz"),
            ("PHONE", "555-0199"),
        ),
        "log",
    ),
    Labelled(
        'WARN geoip mismatch user_ip=203.0.113.58 profile_country=Kenya account_holder="Wambui" '
        "action=step_up_auth",
        (
            ("IP", "203.0.113.58"),
            ("LOCATION", "Kenya"),
            ("PERSON", "Wambui"),
        ),
        "log",
    ),
    # --- code -------------------------------------------------------------------------------------------
    Labelled(
        "```python\nclient = "
        'Anthropic(api_key="sk-ant-api03-zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3RnjDQl-2Kvf8THRXfEuzcrJaBnx")\n'
        "```\nwhy does this raise AuthenticationError? it worked yesterday",
        (("API_KEY", "sk-ant-api03-zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3RnjDQl-2Kvf8THRXfEuzcrJaBnx"),),
        "code",
    ),
    Labelled(
        "export AWS_ACCESS_KEY_ID=AKIAF5M5DWINK4LLCHBK\nexport AWS_DEFAULT_REGION=eu-west-1\naws s3 ls   # "
        "fails with AccessDenied, any idea?",
        (("API_KEY", "AKIAF5M5DWINK4LLCHBK"),),
        "code",
    ),
    Labelled(
        'fixtures = [{"name": "Oluwaseun Adebayo", "email": "seun@example.com", "card": "6548 3916 7248 '
        '3889"}]  # copied from prod, sorry',
        (
            ("PERSON", "Oluwaseun Adebayo"),
            ("EMAIL", "seun@example.com"),
            ("CREDIT_CARD", "6548 3916 7248 3889"),
        ),
        "code",
    ),
    Labelled(
        'git commit -m "fix tz bug" --author="Priya Raghavan <priya.raghavan@example.com>"\ngit push '
        "https://ghp_ER0Af7BOfjtNayviHzm5YdOnCqIz0Wiw8SE7@github.com/acme/billing.git",
        (
            ("PERSON", "Priya Raghavan"),
            ("EMAIL", "priya.raghavan@example.com"),
            ("API_KEY", "ghp_ER0Af7BOfjtNayviHzm5YdOnCqIz0Wiw8SE7"),
        ),
        "code",
    ),
    Labelled(
        "curl -H 'Authorization: Bearer sk_test_diV3TMXVjM8AhghjsllAj7n4' "
        "https://api.example.com/v1/customers -d 'name=Lars Eriksen' -d 'phone=+46 70 174 06 42'",
        (
            ("API_KEY", "sk_test_diV3TMXVjM8AhghjsllAj7n4"),
            ("PERSON", "Lars Eriksen"),
            ("PHONE", "+46 70 174 06 42"),
        ),
        "code",
    ),
    Labelled(
        'SLACK_BOT_TOKEN = "xoxb-85734152184-090536656665-Ifl4c7xU2zXCot2PoPUtg3SU"  # TODO move to vault '
        "before Kateryna reviews this",
        (
            ("API_KEY", "xoxb-85734152184-090536656665-Ifl4c7xU2zXCot2PoPUtg3SU"),
            ("PERSON", "Kateryna"),
        ),
        "code",
    ),
    Labelled(
        'def test_invoice():\n    customer = Customer(first="Malak", last="Haddad", '
        'iban="NL78CFKL8383325863")\n    assert customer.iban_valid()',
        (
            ("PERSON", "Malak"),
            ("PERSON", "Haddad"),
            ("IBAN", "NL78CFKL8383325863"),
        ),
        "code",
    ),
    Labelled(
        "# TODO(ahmed): remove before merge\nGOOGLE_MAPS_KEY = 'AIzaOBFXL4k41GiLP9qG3L0uKW4yWRzSaTLyvH1'\n"
        "DEFAULT_HOME = '221 Harbour Street, Wellington 6011'  # my flat, for testing",
        (
            ("PERSON", "ahmed"),
            ("API_KEY", "AIzaOBFXL4k41GiLP9qG3L0uKW4yWRzSaTLyvH1"),
            ("ADDRESS", "221 Harbour Street, Wellington 6011"),
        ),
        "code",
    ),
    Labelled(
        "HF_TOKEN=hf_24Syl067EK5O46EQkeIpDHahvYFevPUaKR python train.py --epochs 3  # token from Nadia "
        "Petrenko, she said it is fine",
        (
            ("API_KEY", "hf_24Syl067EK5O46EQkeIpDHahvYFevPUaKR"),
            ("PERSON", "Nadia Petrenko"),
        ),
        "code",
    ),
    Labelled(
        "OPENAI_API_KEY=sk-eLc9dAtxJO8TLKsmWg3YzzYlqDvi4i5C32SSyAJ9TlxqnrDK  # personal key of Joseph, do "
        "not share",
        (
            ("API_KEY", "sk-eLc9dAtxJO8TLKsmWg3YzzYlqDvi4i5C32SSyAJ9TlxqnrDK"),
            ("PERSON", "Joseph"),
        ),
        "code",
    ),
    Labelled(
        "git clone https://oauth2:glpat-D0SZaozaNv4AH17KzcnN@gitlab.example.com/infra/ops.git && cd ops && "
        "make plan",
        (("API_KEY", "glpat-D0SZaozaNv4AH17KzcnN"),),
        "code",
    ),
    Labelled(
        "assert validate_iban('GB51JQHQ97911458198641')  # Harriet's real account, swap it for a generated "
        "one",
        (
            ("IBAN", "GB51JQHQ97911458198641"),
            ("PERSON", "Harriet"),
        ),
        "code",
    ),
    Labelled(
        "seed_users = [\n    ('Kiri Walker', '4863-3789-5573-1334', '203.0.113.201'),\n]\nload(seed_users)",
        (
            ("PERSON", "Kiri Walker"),
            ("CREDIT_CARD", "4863-3789-5573-1334"),
            ("IP", "203.0.113.201"),
        ),
        "code",
    ),
    # --- clinical ---------------------------------------------------------------------------------------
    Labelled(
        "Pt: Amadou Diallo, 67M, DOB 14/04/1958. Admitted 02/10/2025 with chest pain. Lives alone in "
        "Thiès, Senegal. Daughter Fatou to be contacted.",
        (
            ("PERSON", "Amadou Diallo"),
            ("DATE_OF_BIRTH", "14/04/1958"),
            ("PERSONAL_DATE", "02/10/2025"),
            ("LOCATION", "Thiès, Senegal"),
            ("PERSON", "Fatou"),
        ),
        "clinical",
    ),
    Labelled(
        "Discharge summary: Mrs. Nomvula Zulu was discharged on 17 Sep 2025 after a laparoscopic "
        "cholecystectomy performed 15 Sep 2025. Follow-up with Dr. Pillay in 6 weeks.",
        (
            ("PERSON", "Nomvula Zulu"),
            ("PERSONAL_DATE", "17 Sep 2025"),
            ("PERSONAL_DATE", "15 Sep 2025"),
            ("PERSON", "Pillay"),
        ),
        "clinical",
    ),
    Labelled(
        "SOAP. S: Ms. Chen Xiaoling reports migraines since her visit on 3/3/25. O: BP 128/82. A: "
        "tension-type headache. P: review Thu 27 Mar 2025 2:30pm, call 0491 570 159 if worse.",
        (
            ("PERSON", "Chen Xiaoling"),
            ("PERSONAL_DATE", "3/3/25"),
            ("PERSONAL_DATE", "Thu 27 Mar 2025 2:30pm"),
            ("PHONE", "0491 570 159"),
        ),
        "clinical",
    ),
    Labelled(
        "Referral: Diego Alvarez Rojas, 34 y/o, from Valparaíso, Chile. Card 4818 3836 1336 6786 208 on "
        "file for the copay. Referred by Dr. Ximena Soto.",
        (
            ("PERSON", "Diego Alvarez Rojas"),
            ("LOCATION", "Valparaíso, Chile"),
            ("CREDIT_CARD", "4818 3836 1336 6786 208"),
            ("PERSON", "Ximena Soto"),
        ),
        "clinical",
    ),
    Labelled(
        "Handover, bed 12: Astrid Solberg (b. 1944-08-02), post-op day 2, surgery was 2025-11-03. Son Erik "
        "visiting tomorrow, phone 031-3900 642.",
        (
            ("PERSON", "Astrid Solberg"),
            ("DATE_OF_BIRTH", "1944-08-02"),
            ("PERSONAL_DATE", "2025-11-03"),
            ("PERSON", "Erik"),
            ("PHONE", "031-3900 642"),
        ),
        "clinical",
    ),
    Labelled(
        "Death certificate draft: deceased Vo Van Hung, died 30 Jan 2025 at home, 45 Nguyen Hue Boulevard, "
        "District 1, Ho Chi Minh City. Informant: his wife Phuong.",
        (
            ("PERSON", "Vo Van Hung"),
            ("PERSONAL_DATE", "30 Jan 2025"),
            ("ADDRESS", "45 Nguyen Hue Boulevard, District 1, Ho Chi Minh City"),
            ("PERSON", "Phuong"),
        ),
        "clinical",
    ),
    Labelled(
        "Dear Ravi, your MRI is booked for 09-Jan-2026, 07:45. Please bring your referral letter. If you "
        "cannot attend we will call you on 020 7946 0321.",
        (
            ("PERSON", "Ravi"),
            ("PERSONAL_DATE", "09-Jan-2026, 07:45"),
            ("PHONE", "020 7946 0321"),
        ),
        "clinical",
    ),
    Labelled(
        "Triage 03:12, patient Zhanna Abenova from Shymkent, Kazakhstan; allergy: penicillin; emergency "
        "contact husband Askar +7 705 000 1188.",
        (
            ("PERSON", "Zhanna Abenova"),
            ("LOCATION", "Shymkent, Kazakhstan"),
            ("PERSON", "Askar"),
            ("PHONE", "+7 705 000 1188"),
        ),
        "clinical",
    ),
    Labelled(
        "Vaccination record: Makoa Kealoha, born 6 July 2019, dose 2 given on 12 August 2025 by nurse "
        "Leilani. Parent e-mail: kealoha.family@example.com",
        (
            ("PERSON", "Makoa Kealoha"),
            ("DATE_OF_BIRTH", "6 July 2019"),
            ("PERSONAL_DATE", "12 August 2025"),
            ("PERSON", "Leilani"),
            ("EMAIL", "kealoha.family@example.com"),
        ),
        "clinical",
    ),
    Labelled(
        "Billing: claim denied for Hector Morales, SSN 987 65 4329; the knee surgery on 6/12/2025 was not "
        "pre-authorised.",
        (
            ("PERSON", "Hector Morales"),
            ("US_SSN", "987 65 4329"),
            ("PERSONAL_DATE", "6/12/2025"),
        ),
        "clinical",
    ),
    Labelled(
        "Pre-op check for Baraka Mwangi, Nairobi: fasting from midnight before his hernia repair on Monday "
        "2 February 2026. Escort: his wife Neema, 0712 000 455.",
        (
            ("PERSON", "Baraka Mwangi"),
            ("LOCATION", "Nairobi"),
            ("PERSONAL_DATE", "Monday 2 February 2026"),
            ("PERSON", "Neema"),
            ("PHONE", "0712 000 455"),
        ),
        "clinical",
    ),
)

# Texts without personal data that tempt false alarms: places alone, order and ticket numbers, code,
# capitalised verbs, name-like words, versions, hashes and prices.
CLEAN_TEXTS: tuple[Labelled, ...] = (
    Labelled(
        "What's the weather usually like in Lisbon in October compared to Porto? Is it still warm enough "
        "for the beach?",
        (),
        "chat",
    ),
    Labelled(
        "Compare the population of Nigeria, Kenya and Ghana in a table and add the capital city of each "
        "country.",
        (),
        "chat",
    ),
    Labelled(
        "Write a haiku about autumn in Kyoto, mentioning maple leaves, a wooden bridge and a quiet temple.",
        (),
        "chat",
    ),
    Labelled(
        "Explain the difference between a Roth IRA and a traditional 401(k) in plain English, with an "
        "example at $6,500 a year.",
        (),
        "chat",
    ),
    Labelled(
        "Mark all reminders as read and tell me how long the grace period is on invoice INV-2025-00417.",
        (),
        "chat",
    ),
    Labelled(
        "Is Jordan or Chad bigger by area? And which of the two has a coastline, if any?",
        (),
        "chat",
    ),
    Labelled(
        "Victoria Falls or Cape Town for a 5-day trip in August? Compare costs, visa rules and the best "
        "sights.",
        (),
        "chat",
    ),
    Labelled(
        "Ticket #48211: checkout page returns HTTP 502 for carts over 250 items. Reproduced on build "
        "7.14.2 in eu-west-1; rollback to 7.14.1 fixes it.",
        (),
        "ticket",
    ),
    Labelled(
        "Order 7730-2291-4410 shows as shipped but tracking number 1Z999AA10123456784 has no scans yet. "
        "Warehouse: Rotterdam hub, dock 4.",
        (),
        "ticket",
    ),
    Labelled(
        "Feature request: allow exporting reports as CSV and XLSX; today only PDF works. Affects the Pro "
        "and Enterprise plans, priority P3.",
        (),
        "ticket",
    ),
    Labelled(
        "Stripe webhook signature mismatch after rotating secrets on staging; production unaffected. Retry "
        "queue has 1,382 events pending.",
        (),
        "ticket",
    ),
    Labelled(
        "The tax engine applies the Georgia (US state) rate to orders from the Tbilisi store; it should "
        "use the Georgian VAT of 18%.",
        (),
        "ticket",
    ),
    Labelled(
        "Account tier changed from Silver to Gold. ARR 48,000 USD, renewal in Q3 FY2026, 37 seats, region "
        "EMEA, industry Logistics.",
        (),
        "crm",
    ),
    Labelled(
        "Opportunity stage: Proposal. Competitors: Salesforce, HubSpot. Next step: Send the revised quote "
        "(v3) and the SOC 2 report.",
        (),
        "crm",
    ),
    Labelled(
        "Segment 'Dormant-2024' contains 4,812 accounts; the re-engagement campaign Spring Bloom is "
        "scheduled for week 14.",
        (),
        "crm",
    ),
    Labelled(
        "Deal 'Phoenix Migration' moved to Closed Won: 120,000 EUR over 3 years, handled by the Nordics "
        "team out of the Stockholm office.",
        (),
        "crm",
    ),
    Labelled(
        "Hello team, reminder that the Q4 all-hands moves to the Berlin office this year. Agenda: roadmap, "
        "hiring plan, budget. Thanks!",
        (),
        "email",
    ),
    Labelled(
        "Your invoice INV-88127 for March is ready. Amount due: £1,249.00, payment terms 30 days. Reply to "
        "this message if anything looks wrong.",
        (),
        "email",
    ),
    Labelled(
        "Reminder: the Austin office will be closed on Monday 26 May 2025 for Memorial Day. Online support "
        "stays available as usual.",
        (),
        "email",
    ),
    Labelled(
        "Newsletter: our top 5 destinations for 2026 are Tbilisi, Oaxaca, Hokkaido, Zanzibar and the Faroe "
        "Islands. Early-bird prices end Friday.",
        (),
        "email",
    ),
    Labelled(
        "Price update: Aurora Pro drops to $1,299 and Aurora Mini to $649 from 1 July; orders placed "
        "before then keep the old price.",
        (),
        "email",
    ),
    Labelled(
        "2025-06-02T14:03:11Z INFO http GET /api/v2/orders/918273 200 12ms "
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
        (),
        "log",
    ),
    Labelled(
        'ERROR worker-3 job=reindex shard=17 attempt=5 error="context deadline exceeded" elapsed=30.004s',
        (),
        "log",
    ),
    Labelled(
        "INFO agent version 10.2.0.14 started, pid 4412, config /etc/agent/agent.yaml, listening on :9464",
        (),
        "log",
    ),
    Labelled(
        "INFO scheduler: cron '0 3 * * MON' next run 2025-12-08 03:00:00 UTC, job=backup-db, retention=14d",
        (),
        "log",
    ),
    Labelled(
        "WARN ratelimit bucket=tenant_4471 tokens=0 refill=50/s model=gpt-4o-mini region=us-east-2",
        (),
        "log",
    ),
    Labelled(
        "INFO deploy service=checkout version=2025.11.3 commit=a41f9c2 replicas=6 zone=ap-southeast-2b "
        "status=healthy",
        (),
        "log",
    ),
    Labelled(
        "def luhn(number: str) -> bool:\n    digits = [int(c) for c in number]\n    return sum(digits) % "
        "10 == 0",
        (),
        "code",
    ),
    Labelled(
        "pip install 'presidio-analyzer==2.2.355' 'spacy>=3.7,<3.8' && python -m spacy download "
        "en_core_web_sm",
        (),
        "code",
    ),
    Labelled(
        "Run `git rebase -i HEAD~3`, then Pick the first commit and Squash the rest; finally Push with "
        "--force-with-lease.",
        (),
        "code",
    ),
    Labelled(
        "sha256: 9f86d081884c7d659a2feae0ea5ea7d3b6c2ef1b4e7f8a9d0c1b2a3f4e5d6c7b  "
        "dist/otel_genai-0.9.1-py3-none-any.whl",
        (),
        "code",
    ),
    Labelled(
        "class Jordan:  # Jordan normal form helper\n    def __init__(self, size: int = 4) -> None:\n      "
        "  self.size = size",
        (),
        "code",
    ),
    Labelled(
        "SELECT order_id, total FROM orders WHERE created_at >= '2025-01-01' AND status = 'Paid' ORDER BY "
        "total DESC LIMIT 20;",
        (),
        "code",
    ),
    Labelled(
        "docker run -p 8080:80 -e TZ=Europe/Paris -v /srv/data:/data ghcr.io/example/api:1.4.0",
        (),
        "code",
    ),
    Labelled(
        "Guideline: adults with BP above 140/90 on two visits should start lifestyle changes; review at 3 "
        "months. Metformin 500 mg twice daily is first line.",
        (),
        "clinical",
    ),
    Labelled(
        "Ward 7B stock check: 24 boxes of nitrile gloves (size M), 12 saline bags 0.9% 1000 ml, lot "
        "45A-2209, expiry 2027-03.",
        (),
        "clinical",
    ),
    Labelled(
        "Protocol v2.1: Parkinson's disease patients must get levodopa on time; Alzheimer's screening uses "
        "MoCA with a cutoff of 26/30.",
        (),
        "clinical",
    ),
    Labelled(
        "ICD-10 I21.4 non-ST elevation myocardial infarction; CPT 93458 left heart catheterization; NDC "
        "0002-8215-01 insulin lispro.",
        (),
        "clinical",
    ),
    Labelled(
        "Discharge checklist: Confirm medication list, Book follow-up within 14 days, Print the leaflet in "
        "the preferred language.",
        (),
        "clinical",
    ),
)

# The origin of every PERSON value above (as written).
NAME_ORIGINS: dict[str, str] = {
    "kwabena": "west_african",
    "Wanjiru Kamau": "east_african",
    "Okonkwo": "west_african",
    "Grace": "anglo",
    "Farhan Siddiqui": "south_asian",
    "Lucía Fernández": "latin_american",
    "Dmitri": "slavic",
    "Olga": "slavic",
    "Tanaka": "east_asian",
    "Emily": "anglo",
    "Nguyen Thi Mai": "southeast_asian",
    "Linh": "southeast_asian",
    "Will Baker": "anglo",
    "Ayesha": "middle_eastern",
    "Sunny": "south_asian",
    "Róisín": "western_european",
    "Rose Miller": "anglo",
    "Zanele Dlamini": "southern_african",
    "Mateus Oliveira": "western_european",
    "sunita": "south_asian",
    "Bongani Nkosi": "southern_african",
    "Joy": "anglo",
    "Hiroshi Yamamoto": "east_asian",
    "Kerstin Lindqvist": "nordic",
    "Tariq Al-Mansouri": "middle_eastern",
    "Ana Sofía Ramírez": "latin_american",
    "Emeka Eze": "west_african",
    "Chidi": "west_african",
    "Rangi Parata": "pacific",
    "Anh Tran": "southeast_asian",
    "Faisal Qureshi": "south_asian",
    "Jamal Washington": "anglo",
    "Javier Ortega Ruiz": "western_european",
    "Otieno": "east_african",
    "Siosaia Fifita": "pacific",
    "Björn Halvorsen": "nordic",
    "Marguerite Dubois": "western_european",
    "Kenji Watanabe": "east_asian",
    "mark": "anglo",
    "Fatima": "north_african",
    "Yusuf Demir": "middle_eastern",
    "Precious Adeyemi": "west_african",
    "Aigerim Bekova": "central_asian",
    "Nurlan": "central_asian",
    "Rosa Esposito": "western_european",
    "Thabo Mokoena": "southern_african",
    "Isabela Costa": "latin_american",
    "Yuki Sato": "east_asian",
    "Mohamed Ashraf": "north_african",
    "Abebe Tesfaye": "east_african",
    "Novak": "slavic",
    "Pavel": "slavic",
    "Hope": "anglo",
    "Stefan Brandt": "western_european",
    "Aroha Ngata": "pacific",
    "Mensah": "west_african",
    "Kofi Boateng": "west_african",
    "Akosua": "west_african",
    "Mary Flanagan": "western_european",
    "Valentina": "latin_american",
    "Joaquín Herrera": "latin_american",
    "Camila": "latin_american",
    "Sven": "nordic",
    "Ingrid": "nordic",
    "Abdullah Al-Harbi": "middle_eastern",
    "Ji-woo Park": "east_asian",
    "Minseo": "east_asian",
    "Amélie": "western_european",
    "Karim": "north_african",
    "Aleksandra": "slavic",
    "Tomás": "western_european",
    "Seán": "western_european",
    "Niamh": "western_european",
    "Johanna": "western_european",
    "Maximilian": "western_european",
    "Olumide Bakare": "west_african",
    "Siobhan O'Neill": "western_european",
    "Rahul Verma": "south_asian",
    "lwazi": "southern_african",
    "Mei Ling Tan": "southeast_asian",
    "Juan Pablo Castillo": "latin_american",
    "Luca Bernasconi": "western_european",
    "Eeva Virtanen": "nordic",
    "Beatriz": "latin_american",
    "Oluwaseun Adebayo": "west_african",
    "Priya Raghavan": "south_asian",
    "Lars Eriksen": "nordic",
    "Kateryna": "slavic",
    "Malak": "middle_eastern",
    "Haddad": "middle_eastern",
    "ahmed": "north_african",
    "Nadia Petrenko": "slavic",
    "Joseph": "anglo",
    "Harriet": "anglo",
    "Kiri Walker": "pacific",
    "Amadou Diallo": "west_african",
    "Fatou": "west_african",
    "Nomvula Zulu": "southern_african",
    "Pillay": "south_asian",
    "Chen Xiaoling": "east_asian",
    "Diego Alvarez Rojas": "latin_american",
    "Ximena Soto": "latin_american",
    "Astrid Solberg": "nordic",
    "Erik": "nordic",
    "Vo Van Hung": "southeast_asian",
    "Phuong": "southeast_asian",
    "Ravi": "south_asian",
    "Zhanna Abenova": "central_asian",
    "Askar": "central_asian",
    "Makoa Kealoha": "pacific",
    "Leilani": "pacific",
    "Hector Morales": "latin_american",
    "Baraka Mwangi": "east_african",
    "Neema": "east_african",
    "Hunter Young": "anglo",
    "Destiny": "anglo",
    "Xiu": "east_asian",
    "Amina Yusuf": "west_african",
    "Oliver Hughes": "anglo",
    "Arjun Mehta": "south_asian",
    "Mateo": "latin_american",
    "Wambui": "east_african",
    "Kowalczyk": "slavic",
    "Hana": "slavic",
}
