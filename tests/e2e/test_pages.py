"""Pages render in a real browser, menus and the language switcher take a resident where
the link says, and the site answers on 127.0.0.1 as well as on localhost."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from home.models import StandardPage
from tests.e2e.conftest import LiveSite, django_sync, ui_text

pytestmark = pytest.mark.e2e

HOME_PL = "Witamy w e-Usługach Gminy Przykładowo"
HOME_EN = "Welcome to the e-services of Gmina Przykładowo"
PAY_PL = "Jak zapłacić podatek lub opłatę"
PAY_EN = "How to pay a tax or a fee"
FAQ_PL = "Najczęściej zadawane pytania"


def test_home_page_renders(page: Page):
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page).to_have_title("e-Usługi – Gmina Przykładowo")
    expect(page.locator("h1")).to_have_text(HOME_PL)
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("footer.site-footer")).to_be_visible()


def test_help_page_renders(page: Page):
    response = page.goto("/pomoc/jak-zaplacic/")
    assert response is not None and response.status == 200
    expect(page).to_have_title(f"{PAY_PL} – Gmina Przykładowo")
    expect(page.locator("h1")).to_have_text(PAY_PL)
    expect(page.get_by_role("heading", name="Płatność online", level=2)).to_be_visible()


def test_header_menu_and_breadcrumbs_lead_through_the_help_section(page: Page):
    page.goto("/")
    main_nav = page.get_by_role("navigation", name=ui_text("Main menu"))
    main_nav.get_by_role("link", name="Pomoc", exact=True).click()

    expect(page).to_have_url(re.compile(r"/pomoc/$"))
    expect(page.locator("h1")).to_have_text("Pomoc")
    expect(main_nav.get_by_role("link", name="Pomoc", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    breadcrumbs = page.get_by_role("navigation", name=ui_text("Breadcrumb"))
    expect(breadcrumbs.get_by_role("link")).to_have_text([HOME_PL])

    # The help index does not list its children itself; the footer links to the FAQ.
    page.locator("footer").get_by_role("link", name=FAQ_PL, exact=True).click()
    expect(page).to_have_url(re.compile(r"/pomoc/pytania-i-odpowiedzi/$"))
    expect(page.locator("h1")).to_have_text(FAQ_PL)
    expect(breadcrumbs.get_by_role("link")).to_have_text([HOME_PL, "Pomoc"])
    expect(breadcrumbs.locator('[aria-current="page"]')).to_have_text(FAQ_PL)

    breadcrumbs.get_by_role("link", name="Pomoc", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pomoc/$"))
    page.get_by_role("navigation", name=ui_text("Main menu")).get_by_role(
        "link", name="Aktualności", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/aktualnosci/$"))
    expect(page.locator("h1")).to_have_text("Aktualności")


def test_language_switcher_goes_to_the_translation_of_the_same_page_and_back(page: Page):
    page.goto("/pomoc/jak-zaplacic/")
    page.locator("nav.language-switcher").get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/en/help/how-to-pay/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(PAY_EN)
    switcher = page.locator("nav.language-switcher")
    expect(switcher.locator('[aria-current="true"]')).to_have_text("English")
    expect(page.locator("nav.main-nav")).to_contain_text("Help")

    switcher.get_by_role("link", name="Polski").click()
    expect(page).to_have_url(re.compile(r"/pomoc/jak-zaplacic/$"))
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("h1")).to_have_text(PAY_PL)


def test_default_site_also_answers_on_127_0_0_1(page: Page, live_site: LiveSite):
    """The demo Site is localhost:80; any other host falls back to it (is_default_site)."""
    port = live_site.url.rsplit(":", 1)[1]
    response = page.goto(f"http://127.0.0.1:{port}/")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(HOME_PL)
    # Links stay relative, so a resident who came in on 127.0.0.1 stays there.
    page.locator("nav.main-nav").get_by_role("link", name="Kontakt", exact=True).click()
    expect(page).to_have_url(f"http://127.0.0.1:{port}/kontakt/")
    expect(page.locator("h1")).to_have_text("Kontakt")


def test_page_unpublished_in_the_database_drops_out_of_the_menu(page: Page):
    page.goto("/")
    main_nav = page.locator("nav.main-nav")
    expect(main_nav.get_by_role("link", name="Kontakt", exact=True)).to_be_visible()

    with django_sync():
        StandardPage.objects.get(slug="kontakt", locale__language_code="pl").unpublish()

    page.reload()
    expect(main_nav.get_by_role("link")).to_have_text(["Pomoc", "Aktualności"])
    assert page.goto("/kontakt/").status == 404
