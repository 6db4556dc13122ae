"""The accessibility statement (deklaracja dostępności) as the ministry's monitoring reads it:
fixed element ids, ISO dates in <time datetime>, and a link plus a <meta> on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveSite, ui_text

pytestmark = pytest.mark.e2e

STATEMENT_IDS = [
    "a11y-wstep",
    "a11y-podmiot",
    "a11y-url",
    "a11y-data-publikacja",
    "a11y-data-aktualizacja",
    "a11y-status",
    "a11y-ocena",
    "a11y-data-sporzadzenie",
    "a11y-data-przeglad",
    "a11y-kontakt",
    "a11y-osoba",
    "a11y-email",
    "a11y-telefon",
    "a11y-procedura",
    "a11y-architektura",
    "a11y-aplikacje",
]
DATES = {
    "a11y-data-publikacja": "2026-10-20",
    "a11y-data-aktualizacja": "2026-11-16",
    "a11y-data-sporzadzenie": "2026-10-15",
    "a11y-data-przeglad": "2026-11-16",
}
STATEMENT_URL = {"pl": "/deklaracja-dostepnosci/", "en": "/en/accessibility-statement/"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_statement_has_every_required_element_id_and_iso_dates(page: Page):
    for language in ("pl", "en"):
        check_statement(page, language)


def check_statement(page: Page, language: str) -> None:
    response = page.goto(STATEMENT_URL[language])
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", language)

    missing = [id_ for id_ in STATEMENT_IDS if page.locator(f"#{id_}").count() != 1]
    assert not missing, f"{page.url}: missing (or duplicated) element ids: {missing}"
    for id_ in STATEMENT_IDS:
        expect(page.locator(f"#{id_}")).not_to_be_empty()

    for id_, iso in DATES.items():
        element = page.locator(f"#{id_}")
        assert element.evaluate("e => e.tagName") == "TIME", f"#{id_} is not a <time>"
        expect(element).to_have_attribute("datetime", iso)
    for datetime in page.locator("article.a11y-statement time").evaluate_all(
        "times => times.map(t => t.getAttribute('datetime'))"
    ):
        assert datetime and ISO_DATE.match(datetime), f"<time datetime={datetime!r}>"

    expect(page.locator("#a11y-podmiot")).to_have_text("Urząd Gminy Przykładowo")
    expect(page.locator("#a11y-url")).to_have_attribute(
        "href", "https://e-uslugi.przykladowo.example"
    )
    expect(page.locator("#a11y-email")).to_have_attribute(
        "href", "mailto:dostepnosc@przykladowo.example"
    )
    expect(page.locator("#a11y-telefon")).to_have_attribute("href", "tel:+48220000030")


# One page of each kind, in both languages, and the error page.
PAGES = {
    "pl": [
        "/",
        "/pomoc/",
        "/pomoc/jak-zalozyc-konto/",
        "/pomoc/pytania-i-odpowiedzi/",
        "/aktualnosci/",
        "/aktualnosci/termin-iv-raty-podatku/",
        "/kontakt/",
        "/deklaracja-dostepnosci/",
        "/szukaj/?q=podatek",
        "/nie-ma-takiej-strony/",
    ],
    "en": [
        "/en/",
        "/en/help/",
        "/en/help/faq/",
        "/en/news/",
        "/en/news/new-e-services/",
        "/en/contact/",
        "/en/accessibility-statement/",
        "/en/szukaj/?q=tax",
        "/en/no-such-page/",
    ],
}


def test_every_page_links_to_the_statement_and_names_it_in_a_meta_tag(
    page: Page, live_site: LiveSite
):
    for language, paths in PAGES.items():
        statement = STATEMENT_URL[language]
        for path in paths:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            footer_link = page.locator("footer").get_by_role(
                "link", name=ui_text("Accessibility statement", language), exact=True
            )
            expect(footer_link, f"footer link on {path}").to_have_attribute("href", statement)
            meta = page.locator('head meta[name="deklaracja-dostępności"]')
            expect(meta, f"<meta> on {path}").to_have_attribute("content", live_site(statement))

    # The footer link leads to the statement.
    page.goto("/kontakt/")
    page.locator("footer").get_by_role(
        "link", name=ui_text("Accessibility statement"), exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/deklaracja-dostepnosci/$"))
    expect(page.locator("h1")).to_have_text("Deklaracja dostępności")
