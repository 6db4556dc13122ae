"""Demo content: a fictitious municipality, Gmina Przykładowo, in Polish with an English copy.

Called by ``manage.py load_demo``; safe to run again (pages are found by slug and updated).
"""

from __future__ import annotations

import datetime
from typing import Any

from wagtail.models import Locale, Page, Site

from .models import (
    AccessibilityStatementPage,
    HomePage,
    MunicipalitySettings,
    NavigationSettings,
    NewsIndexPage,
    NewsPage,
    StandardPage,
)

# Valid check digits, but not a real institution's numbers.
MUNICIPALITY = {
    "name": "Gmina Przykładowo",
    "office_name": "Urząd Gminy Przykładowo",
    "street": "ul. Rynek 1",
    "postal_code": "99-999",
    "city": "Przykładowo",
    "nip": "5251000017",
    "regon": "630400016",
    "bank_account": "60102010260000123456789012",
    "bank_name": "PKO Bank Polski S.A.",
    "phone": "+48 22 000 00 00",
    "email": "urzad@przykladowo.example",
    "epuap_address": "/ugprzykladowo/SkrytkaESP",
    "opening_hours": ("poniedziałek 8:00–17:00\nwtorek–czwartek 7:30–15:30\npiątek 7:30–14:00"),
}


def _p(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "value": text}


def _h(text: str, level: str = "h2") -> dict[str, Any]:
    return {"type": "heading", "value": {"text": text, "level": level}}


def _faq(title: str, items: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "accordion",
        "value": {
            "title": title,
            "items": [{"question": q, "answer": a} for q, a in items],
        },
    }


HELP_PAGES_PL = [
    {
        "slug": "jak-zalozyc-konto",
        "title": "Jak założyć konto i połączyć je z moimi podatkami",
        "intro": "Konto w e-Usługach pozwala zobaczyć należności, zapłacić je i wybrać sposób "
        "przypominania o terminach.",
        "body": [
            _h("Rejestracja"),
            _p(
                "<p>Konto założysz samodzielnie, podając adres e-mail i hasło, albo logując się "
                "przez <b>Profil Zaufany</b> (login.gov.pl). Firmy i instytucje zakładają konto "
                "z numerem NIP i REGON.</p>"
            ),
            _h("Połączenie konta z kartoteką podatnika"),
            _p(
                "<p>Aby zobaczyć swoje podatki i opłaty, wydrukuj wniosek o połączenie konta i "
                "złóż go w urzędzie (pokój 12) albo poproś o założenie konta przy okienku. "
                "Urzędnik sprawdzi Twoją tożsamość jeden raz.</p>"
            ),
        ],
    },
    {
        "slug": "jak-zaplacic",
        "title": "Jak zapłacić podatek lub opłatę",
        "intro": "Możesz zapłacić online, przelewem z własnego banku albo gotówką w kasie urzędu.",
        "body": [
            _h("Płatność online"),
            _p(
                "<p>Zaznacz raty, które chcesz zapłacić, i wybierz operatora płatności. Przed "
                "zapłatą zobaczysz prowizję operatora. Odsetki za zwłokę są doliczane do dnia "
                "zapłaty.</p>"
            ),
            _h("Przelew tradycyjny"),
            _p(
                "<p>Wydrukuj wypełniony formularz przelewu z kodem QR – aplikacja bankowa "
                "odczyta z niego numer rachunku, kwotę i tytuł. Jeśli gmina nadała Ci "
                "indywidualny rachunek (rachunek wirtualny), wpłata zostanie rozpoznana "
                "automatycznie.</p>"
            ),
        ],
    },
    {
        "slug": "pytania-i-odpowiedzi",
        "title": "Najczęściej zadawane pytania",
        "intro": "Odpowiedzi na pytania mieszkańców o podatki lokalne i opłaty.",
        "body": [
            _faq(
                "Podatki i opłaty",
                [
                    (
                        "Do kiedy trzeba zapłacić podatek od nieruchomości?",
                        "<p>Osoby fizyczne płacą w czterech ratach: do 15 marca, 15 maja, "
                        "15 września i 15 listopada. Jeśli podatek nie przekracza 100 zł, "
                        "płaci się go jednorazowo do 15 marca. Gdy termin przypada w sobotę, "
                        "niedzielę lub święto, przesuwa się na najbliższy dzień roboczy.</p>",
                    ),
                    (
                        "Kiedy naliczane są odsetki za zwłokę?",
                        "<p>Od dnia następującego po terminie płatności. Odsetek nie pobiera "
                        "się, jeśli nie przekraczają 8,70 zł.</p>",
                    ),
                    (
                        "Zapłaciłem, a w serwisie nadal widzę zaległość.",
                        "<p>Wpłata przelewem pojawia się po zaksięgowaniu wyciągu bankowego, "
                        "zwykle następnego dnia roboczego. Płatność online widać od razu jako "
                        "„w trakcie”, a po potwierdzeniu przez operatora – jako zaksięgowaną."
                        "</p>",
                    ),
                ],
            ),
            _faq(
                "Konto i powiadomienia",
                [
                    (
                        "Czy muszę zgodzić się na SMS-y?",
                        "<p>Nie. Powiadomienia e-mail i SMS są dobrowolne – możesz je włączyć "
                        "i wyłączyć w każdej chwili na stronie swojego konta.</p>",
                    ),
                    (
                        "Jak ustanowić pełnomocnika?",
                        "<p>Złóż w urzędzie pełnomocnictwo (druk PPS-1 lub pełnomocnictwo "
                        "ogólne). Urzędnik nada pełnomocnikowi uprawnienia w serwisie.</p>",
                    ),
                ],
            ),
        ],
    },
]

CONTACT_PL = {
    "slug": "kontakt",
    "title": "Kontakt",
    "intro": "Urząd Gminy Przykładowo, ul. Rynek 1, 99-999 Przykładowo.",
    "body": [
        _h("Referat Finansowy"),
        _p(
            "<p>Podatki i opłaty lokalne: pokój 12, telefon +48 22 000 00 12.<br>"
            "Opłata za gospodarowanie odpadami: pokój 14, telefon +48 22 000 00 14.</p>"
        ),
        _h("Biuro Obsługi Interesanta"),
        _p("<p>Parter, pokój 1, telefon +48 22 000 00 00.</p>"),
    ],
}

NEWS_PL = [
    (
        "harmonogram-odbioru-odpadow-2027",
        "Harmonogram odbioru odpadów na 2027 rok",
        datetime.date(2026, 11, 16),
        "Nowy harmonogram odbioru odpadów komunalnych jest już dostępny.",
    ),
    (
        "termin-iv-raty-podatku",
        "Przypominamy o terminie IV raty podatku",
        datetime.date(2026, 11, 2),
        "Czwarta rata podatku od nieruchomości, rolnego i leśnego mija 16 listopada 2026 r. "
        "(15 listopada wypada w niedzielę).",
    ),
    (
        "nowe-e-uslugi",
        "Ruszył portal e-Usług gminy",
        datetime.date(2026, 10, 20),
        "Należności sprawdzisz i zapłacisz teraz przez internet, bez wizyty w urzędzie.",
    ),
    (
        "dyzur-referatu-finansowego",
        "Dodatkowy dyżur Referatu Finansowego",
        datetime.date(2026, 9, 8),
        "W każdą pierwszą sobotę miesiąca pracownicy referatu przyjmują wpłaty i wnioski.",
    ),
]

STATEMENT_PL = {
    "slug": "deklaracja-dostepnosci",
    "title": "Deklaracja dostępności",
    "entity_name": "Urząd Gminy Przykładowo",
    "site_url": "https://e-uslugi.przykladowo.example",
    "published_on": datetime.date(2026, 10, 20),
    "updated_on": datetime.date(2026, 11, 16),
    "status": AccessibilityStatementPage.Status.PARTIAL,
    "non_accessible_content": (
        "<ul><li>Część dokumentów PDF do pobrania opublikowanych przed 2020 r. nie jest "
        "dostępna cyfrowo – na wniosek udostępnimy je w innej formie.</li></ul>"
    ),
    "exclusions": "<p>Mapy i plany zagospodarowania przestrzennego (wyłączone z ustawy).</p>",
    "prepared_on": datetime.date(2026, 10, 15),
    "reviewed_on": datetime.date(2026, 11, 16),
    "assessment": "Deklarację sporządzono na podstawie samooceny przeprowadzonej przez urząd.",
    "contact_person": "Anna Kowalska",
    "contact_email": "dostepnosc@przykladowo.example",
    "contact_phone": "+48 22 000 00 30",
    "procedure": (
        "<p>Każdy ma prawo wystąpić z żądaniem zapewnienia dostępności cyfrowej strony lub jej "
        "elementu. Urząd zrealizuje żądanie niezwłocznie, nie później niż w ciągu 7 dni. Jeśli "
        "nie jest to możliwe, poinformuje o terminie (do 2 miesięcy) lub zaproponuje dostęp "
        "alternatywny. Po odmowie można złożyć skargę, a następnie wniosek do Rzecznika Praw "
        "Obywatelskich.</p>"
    ),
    "architecture": (
        "<p>Wejście do urzędu od ul. Rynek jest dostępne dla osób na wózkach (pochylnia). "
        "Biuro Obsługi Interesanta znajduje się na parterze. Do budynku można wejść z psem "
        "asystującym. Dostępna jest pętla indukcyjna i tłumacz PJM online.</p>"
    ),
    "mobile_apps": "",
}


def _upsert_child(parent: Page, model: type[Page], slug: str, **fields: Any) -> Page:
    """Create or update a published child page identified by slug."""
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = model(slug=slug, **fields)
        parent.add_child(instance=page)
    else:
        for name, value in fields.items():
            setattr(page, name, value)
    page.save_revision().publish()
    return page


def _translate(page: Page, locale: Locale, **fields: Any) -> Page:
    """Create or update the English copy of ``page`` with the given fields and publish it."""
    translation = page.get_translation_or_none(locale)
    if translation is None:
        translation = page.copy_for_translation(locale, copy_parents=True)
    translation = translation.specific
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save_revision().publish()
    return translation


def _set_home_page(locale_pl: Locale) -> HomePage:
    root = Page.get_first_root_node()
    home = HomePage.objects.filter(locale=locale_pl, depth=2).first()
    fields = {
        "title": "Witamy w e-Usługach Gminy Przykładowo",
        "seo_title": "e-Usługi",
        "intro": "<p>Sprawdź i opłać podatki lokalne, wybierz powiadomienia o terminach i "
        "załatw sprawy w urzędzie przez internet.</p>",
    }
    if home is None:
        home = HomePage(slug="strona-glowna", locale=locale_pl, **fields)
        root.add_child(instance=home)
    else:
        for name, value in fields.items():
            setattr(home, name, value)
    home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    old_root_id = site.root_page_id if site.pk else None
    site.hostname, site.port, site.root_page = "localhost", 80, home
    site.site_name = MUNICIPALITY["name"]
    site.save()
    # Wagtail's "Welcome to your new Wagtail site!" page is no longer needed.
    if old_root_id and old_root_id != home.pk:
        Page.objects.filter(pk=old_root_id, depth=2).exclude(pk=home.pk).delete()
    return home


def load(report) -> None:
    locale_pl = Locale.objects.get_or_create(language_code="pl")[0]
    locale_en = Locale.objects.get_or_create(language_code="en")[0]
    home = _set_home_page(locale_pl)
    site = home.get_site()

    help_index = _upsert_child(
        home,
        StandardPage,
        "pomoc",
        title="Pomoc",
        intro="Jak korzystać z e-Usług: konto, płatności, powiadomienia.",
        body=[_p("<p>Wybierz temat z listy poniżej albo skorzystaj z wyszukiwarki.</p>")],
    )
    help_pages = [
        _upsert_child(
            help_index, StandardPage, d["slug"], **{k: v for k, v in d.items() if k != "slug"}
        )
        for d in HELP_PAGES_PL
    ]
    contact = _upsert_child(
        home,
        StandardPage,
        CONTACT_PL["slug"],
        **{k: v for k, v in CONTACT_PL.items() if k != "slug"},
    )
    news_index = _upsert_child(
        home,
        NewsIndexPage,
        "aktualnosci",
        title="Aktualności",
        intro="<p>Komunikaty urzędu dotyczące podatków, opłat i usług.</p>",
    )
    news = [
        _upsert_child(
            news_index,
            NewsPage,
            slug,
            title=title,
            date=date,
            intro=intro,
            body=[_p(f"<p>{intro}</p>")],
        )
        for slug, title, date, intro in NEWS_PL
    ]
    statement = _upsert_child(
        home,
        AccessibilityStatementPage,
        STATEMENT_PL["slug"],
        **{k: v for k, v in STATEMENT_PL.items() if k != "slug"},
    )

    # English: the same tree, translated.
    _translate(
        home,
        locale_en,
        title="Welcome to the e-services of Gmina Przykładowo",
        seo_title="e-Services",
        intro="<p>Check and pay local taxes, choose reminders about due dates and handle "
        "matters with the office online.</p>",
    )
    _translate(
        help_index,
        locale_en,
        title="Help",
        slug="help",
        intro="How to use the e-services: account, payments, notifications.",
        body=[_p("<p>Choose a topic below or use the search.</p>")],
    )
    english_help = [
        (
            "how-to-create-an-account",
            "How to create an account and link it to my taxes",
            "An e-services account lets you see your dues, pay them and choose reminders.",
            [
                _h("Registration"),
                _p(
                    "<p>Register with an email address and a password, or log in with "
                    "<b>Profil Zaufany</b> (login.gov.pl). Companies register with their "
                    "NIP and REGON.</p>"
                ),
            ],
        ),
        (
            "how-to-pay",
            "How to pay a tax or a fee",
            "Pay online, by transfer from your own bank, or in cash at the office.",
            [
                _h("Online payment"),
                _p(
                    "<p>Tick the installments you want to pay and choose a "
                    "payment operator. You will see the operator's fee before you pay.</p>"
                ),
            ],
        ),
        (
            "faq",
            "Frequently asked questions",
            "Answers to residents' questions about local taxes and fees.",
            [
                _faq(
                    "Taxes and fees",
                    [
                        (
                            "When is property tax due?",
                            "<p>Individuals pay in four installments: by 15 March, 15 May, "
                            "15 September and 15 November. A deadline on a weekend or public "
                            "holiday moves to the next working day.</p>",
                        )
                    ],
                )
            ],
        ),
    ]
    for page, (slug, title, intro, body) in zip(help_pages, english_help, strict=True):
        _translate(page, locale_en, slug=slug, title=title, intro=intro, body=body)
    _translate(
        contact,
        locale_en,
        slug="contact",
        title="Contact",
        intro="Urząd Gminy Przykładowo, ul. Rynek 1, 99-999 Przykładowo.",
        body=[
            _h("Customer service office"),
            _p("<p>Ground floor, room 1, phone +48 22 000 00 00.</p>"),
        ],
    )
    _translate(
        news_index,
        locale_en,
        slug="news",
        title="News",
        intro="<p>Announcements from the office about taxes, fees and services.</p>",
    )
    _translate(
        news[2],
        locale_en,
        slug="new-e-services",
        title="The e-services portal is live",
        intro="You can now check and pay your dues online, without visiting the office.",
        body=[_p("<p>You can now check and pay your dues online.</p>")],
    )
    _translate(
        statement, locale_en, slug="accessibility-statement", title="Accessibility statement"
    )

    MunicipalitySettings.objects.update_or_create(site=site, defaults=MUNICIPALITY)
    header = [
        {"type": "link", "value": {"page": p.pk, "url": "", "label": ""}}
        for p in (help_index, news_index, contact)
    ]
    footer = [
        {"type": "link", "value": {"page": p.pk, "url": "", "label": ""}}
        for p in (help_pages[2], contact)
    ] + [
        {
            "type": "link",
            "value": {
                "page": None,
                "url": "https://www.gov.pl/web/gov/zaloz-profil-zaufany",
                "label": "Profil Zaufany",
            },
        }
    ]
    nav, _ = NavigationSettings.objects.get_or_create(site=site)
    nav.header_links = header
    nav.footer_links = footer
    nav.save()

    report.section(
        "Strony",
        [
            f"Strona główna: {home.url}",
            f"Pomoc: {help_index.url}",
            f"Deklaracja dostępności: {statement.url}",
            "English: /en/",
        ],
    )
