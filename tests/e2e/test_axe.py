"""axe-core finds no WCAG 2.1 A/AA violation on the pages a resident sees.

All pages are checked in one test (the demo is loaded once) and every violation on every page
is reported together, page by page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import AxeCheck

pytestmark = pytest.mark.e2e

PAGES = [
    ("/", 200),  # home
    ("/en/", 200),  # home, English
    ("/pomoc/", 200),  # help index
    ("/pomoc/jak-zaplacic/", 200),  # help page
    ("/pomoc/pytania-i-odpowiedzi/", 200),  # FAQ with accordions
    ("/en/help/faq/", 200),
    ("/aktualnosci/", 200),  # news index
    ("/aktualnosci/nowe-e-uslugi/", 200),  # news item
    ("/en/news/new-e-services/", 200),
    ("/deklaracja-dostepnosci/", 200),  # accessibility statement
    ("/en/accessibility-statement/", 200),
    ("/szukaj/?q=podatek", 200),  # search results
    ("/szukaj/?q=xyzzy", 200),  # search without results
    ("/nie-ma-takiej-strony/", 404),  # error page
    ("/kontakt/", 200),  # contact
]


def test_public_pages_have_no_wcag_violations(page: Page, axe: AxeCheck):
    problems = []
    for path, status in PAGES:
        response = page.goto(path)
        assert response is not None, path
        if response.status != status:
            problems.append(f"{path}: HTTP {response.status}, expected {status}")
            continue
        report = axe.report(page)
        if report:
            problems.append(report)
    assert not problems, "\n\n".join(problems)


def test_open_faq_answers_and_focused_skip_link_have_no_wcag_violations(page: Page, axe: AxeCheck):
    """States a page load does not show: every answer expanded, the skip link on screen."""
    page.goto("/pomoc/pytania-i-odpowiedzi/")
    page.locator("details").evaluate_all("items => items.forEach(d => { d.open = true; })")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    axe(page)
