"""Keyboard use, pages without JavaScript, and the print stylesheet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ui_text

pytestmark = pytest.mark.e2e

FAQ = "/pomoc/pytania-i-odpowiedzi/"
FIRST_QUESTION = "Do kiedy trzeba zapłacić podatek od nieruchomości?"


def open_first_faq_answer_with_keyboard(page: Page) -> None:
    item = page.locator("details.accordion__item").filter(has_text=FIRST_QUESTION)
    summary = item.locator("summary")
    answer = item.locator(".accordion__answer")
    expect(item).not_to_have_attribute("open", re.compile(".*"))
    expect(answer).to_be_hidden()

    summary.focus()
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")

    expect(item).to_have_attribute("open", "")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("do 15 marca")


def test_faq_answer_opens_and_closes_with_the_keyboard(page: Page):
    page.goto(FAQ)
    open_first_faq_answer_with_keyboard(page)

    page.keyboard.press("Enter")
    item = page.locator("details.accordion__item").filter(has_text=FIRST_QUESTION)
    expect(item).not_to_have_attribute("open", re.compile(".*"))
    expect(item.locator(".accordion__answer")).to_be_hidden()


@pytest.mark.parametrize("context_options", [{"java_script_enabled": False}], ids=["no-js"])
def test_home_page_faq_and_search_work_without_javascript(page: Page):
    # JavaScript really is off in this context: a page's own script does not run.
    page.route(
        "**/__js-probe/",
        lambda route: route.fulfill(
            content_type="text/html",
            body="<title>off</title><script>document.title = 'on';</script>",
        ),
    )
    page.goto("/__js-probe/")
    expect(page).to_have_title("off")

    page.goto("/")
    expect(page.locator("h1")).to_have_text("Witamy w e-Usługach Gminy Przykładowo")
    page.locator("nav.main-nav").get_by_role("link", name="Pomoc", exact=True).click()
    expect(page.locator("h1")).to_have_text("Pomoc")

    page.goto(FAQ)
    open_first_faq_answer_with_keyboard(page)

    search = page.get_by_role("searchbox", name=ui_text("Search the portal"))
    search.fill("podatek")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/szukaj/\?q=podatek$"))
    expect(page.locator("h1")).to_have_text(ui_text("Search"))
    expect(page.locator("ul.search-results li").first).to_be_visible()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page):
    page.goto("/pomoc/jak-zaplacic/")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).not_to_be_in_viewport()

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_text(ui_text("Skip to main content"))
    expect(skip_link).to_have_attribute("href", "#main")
    expect(skip_link).to_be_in_viewport()  # visible once focused

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/pomoc/jak-zaplacic/#main$"))
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the main content, past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_skip_link_in_english(page: Page):
    page.goto("/en/")
    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_text(ui_text("Skip to main content", "en"))
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_print_stylesheet_hides_the_header_search_and_menus(page: Page):
    page.goto("/pomoc/pytania-i-odpowiedzi/")
    hidden_in_print = [
        "form.site-search",
        "nav.main-nav",
        "nav.language-switcher",
        "nav.breadcrumbs",
        "a.skip-link",
    ]

    def display(selector: str) -> str:
        return page.locator(selector).evaluate("element => getComputedStyle(element).display")

    for selector in hidden_in_print:
        assert display(selector) != "none", f"{selector} should be shown on screen"

    page.emulate_media(media="print")
    for selector in hidden_in_print:
        assert display(selector) == "none", f"{selector} should not be printed"
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("main")).to_be_visible()

    page.emulate_media(media="screen")
    assert display("form.site-search") != "none"


def test_print_shows_closed_faq_answers(page: Page):
    page.goto(FAQ)
    page.emulate_media(media="print")
    expect(page.locator(".accordion__answer").first).to_be_visible(timeout=1_000)
