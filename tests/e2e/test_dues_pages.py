"""A resident logs in, chooses whom to act for, reads the dues and a ledger: in a real browser,
with axe-core finding no WCAG 2.1 A/AA violation on any of these pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from eservices import access
from eservices.dues import dues
from eservices.templatetags.eservices_tags import format_money
from tests.e2e.conftest import ui_text

pytestmark = pytest.mark.e2e

JAN_EMAIL = "jan.kowalski@przykladowo.example"
JAN_PASSWORD = "Demo-Mieszkaniec-2026"
PROPERTY_TAX = "Podatek od nieruchomości – osoby fizyczne"
BAKERY = "Piekarnia Przykładowo Sp. z o.o."


def pl(amount) -> str:
    return format_money(amount, language="pl")


def expected_dues(last_name: str = "Kowalski", organisation: str = ""):
    """What `eservices.dues` computes for the demo taxpayer, read from the live database."""
    jan = get_user_model().objects.get(email=JAN_EMAIL)
    taxpayers = access.taxpayers_for(jan)
    taxpayer = (
        taxpayers.get(organisation_name=organisation)
        if organisation
        else taxpayers.get(last_name=last_name)
    )
    return taxpayer, dues(access.ledgers_for(jan, taxpayer), timezone.localdate())


def log_in(page: Page, axe) -> None:
    response = page.goto("/moje-naleznosci/")
    assert response is not None and response.status == 200
    expect(page).to_have_url(re.compile(r"/konto/logowanie/\?next=/moje-naleznosci/$"))
    expect(page.locator("h1")).to_have_text(ui_text("Log in"))
    axe(page)
    page.get_by_label(ui_text("Email address")).fill(JAN_EMAIL)
    page.get_by_label(ui_text("Password")).fill(JAN_PASSWORD)
    page.locator("main").get_by_role("button", name=ui_text("Log in")).click()
    expect(page).to_have_url(re.compile(r"/moje-naleznosci/$"))


def test_resident_chooses_taxpayer_reads_dues_and_a_ledger(page: Page, axe):
    log_in(page, axe)

    # Jan acts for himself and, as a proxy, for the bakery: the chooser asks which.
    expect(page.locator("legend")).to_have_text(ui_text("Whose dues do you want to see?"))
    own = page.get_by_role("radio", name=re.compile("Jan Kowalski"))
    proxy = page.get_by_role("radio", name=re.compile(re.escape(BAKERY)))
    expect(own).to_be_visible()
    expect(page.locator("label", has=page.locator(".choice__kind")).nth(1)).to_contain_text(
        ui_text("as proxy")
    )
    expect(proxy).to_be_visible()
    axe(page)

    own.check()
    page.get_by_role("button", name=ui_text("Show dues")).click()
    expect(page.locator("h1")).to_have_text(ui_text("My dues"))
    expect(page.locator(".acting")).to_contain_text("Jan Kowalski")
    expect(page.locator(".acting--proxy")).to_have_count(0)

    taxpayer, expected = expected_dues()
    assert expected.to_pay_today > 0 and expected.interest > 0
    main_figure = page.locator(".figure--main .figure__amount")
    expect(main_figure).to_have_text(pl(expected.to_pay_today))
    ledgers_table = page.locator("table", has=page.locator("caption#ledgers-caption"))
    totals = ledgers_table.locator("tfoot tr")
    expect(totals).to_contain_text(pl(expected.arrears))
    expect(totals).to_contain_text(pl(expected.interest))
    expect(page.locator(".status--overdue").first).to_have_text(
        ui_text_ctx("instalment status", "Overdue")
    )
    axe(page)

    # The ledger of the property tax: co-obligated wife, taxed objects, instalments, history.
    ledgers_table.get_by_role("link", name=PROPERTY_TAX).click()
    expect(page.locator("h1")).to_have_text(PROPERTY_TAX)
    expect(page.locator("main")).to_contain_text("Anna Kowalska")
    property_dues = next(
        ledger for ledger in expected.ledgers if ledger.ledger.receivable_type.name == PROPERTY_TAX
    )
    expect(page.locator(".figure--main .figure__amount")).to_have_text(
        pl(property_dues.to_pay_today)
    )
    installments = page.locator("table", has=page.locator("caption#installments-caption"))
    expect(installments.locator("tbody tr")).to_have_count(len(property_dues.installments))
    expect(installments.locator("tfoot")).to_contain_text(pl(property_dues.interest))
    entries = page.locator("table", has=page.locator("caption#entries-caption"))
    expect(entries.locator("tbody tr")).to_have_count(property_dues.ledger.entries.count())
    axe(page)

    # The printable statement of the same taxpayer, in the same session.
    statement = page.request.get(f"/moje-naleznosci/{taxpayer.pk}/zestawienie/")
    assert statement.status == 200
    assert statement.headers["content-type"] == "application/pdf"
    assert statement.body().startswith(b"%PDF")


def test_proxy_sees_the_acting_as_banner_and_a_bad_statement_date_is_explained(page: Page, axe):
    log_in(page, axe)
    page.get_by_role("radio", name=re.compile(re.escape(BAKERY))).check()
    page.get_by_role("button", name=ui_text("Show dues")).click()

    banner = page.locator(".acting--proxy")
    expect(banner).to_contain_text(ui_text("Acting as a proxy"))
    expect(banner).to_contain_text(BAKERY)
    _, expected = expected_dues(organisation=BAKERY)
    expect(page.locator(".figure--main .figure__amount")).to_have_text(pl(expected.to_pay_today))
    axe(page)

    # The remembered choice: the entry point goes straight back to the bakery.
    page.goto("/moje-naleznosci/")
    expect(page.locator(".acting--proxy")).to_contain_text(BAKERY)

    # The date picker offers no future day; a future date typed into the address anyway is a
    # form error on a page, not a PDF and not a server error.
    field = page.get_by_label(ui_text("Balance as of"))
    expect(field).to_have_attribute("max", timezone.localdate().isoformat())
    statement_url = page.locator("form.inline-form").get_attribute("action")
    response = page.goto(f"{statement_url}?na_dzien=2999-01-01")
    assert response is not None and response.status == 400
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label(ui_text("Balance as of"))).to_have_attribute("aria-invalid", "true")
    axe(page)


def test_dues_print_without_the_account_controls(page: Page, axe):
    log_in(page, axe)
    page.get_by_role("radio", name=re.compile("Jan Kowalski")).check()
    page.get_by_role("button", name=ui_text("Show dues")).click()
    expect(page.locator(".account-bar")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".account-bar")).to_be_hidden()
    expect(page.locator(".inline-form")).to_be_hidden()
    expect(page.locator(".figure--main")).to_be_visible()
    expect(page.locator("table").first).to_be_visible()


def ui_text_ctx(context: str, msgid: str, language: str = "pl") -> str:
    with translation.override(language):
        return translation.pgettext(context, msgid)
