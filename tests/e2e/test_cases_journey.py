"""The case catalogue in a real browser: a resident finds a matter through the site search
(typed without diacritics) and through the catalogue, downloads its form, files it online with
an attachment and sees it under "Moje sprawy"; a clerk moves it to "awaiting the resident" with
a message in the admin and the resident sees the change; another resident gets 404 for the case,
its attachment and its receipt. axe-core checks the catalogue, a matter, the form and
"Moje sprawy"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from eservices.cases.models import Case, Status
from tests.e2e.conftest import django_sync, ui_text
from tests.e2e.test_surveys_journeys import resident_log_in, staff_log_in

pytestmark = pytest.mark.e2e

JAN = ("jan.kowalski@przykladowo.example", "Demo-Mieszkaniec-2026")
MARIA = ("maria.nowak@przykladowo.example", "Demo-Pelnomocnik-2026")
CLERK = ("urzednik@przykladowo.example", "Demo-Urzednik-2026")
MATTER = "Zaświadczenie o niezaleganiu w podatkach"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MESSAGE = "Prosimy o dosłanie potwierdzenia opłaty skarbowej."


def new_page(browser: Browser, page: Page) -> Page:
    """A second browser (own cookies) on the same live site."""
    base_url = re.match(r"^https?://[^/]+", page.url).group(0)
    context = browser.new_context(base_url=base_url, locale="pl-PL")
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return context.new_page()


def test_resident_files_a_matter_clerk_asks_for_more_and_nobody_else_sees_it(
    page: Page, browser: Browser, axe
):
    # Found through the site search, typed without Polish letters.
    page.goto("/szukaj/")
    page.get_by_label(ui_text("What are you looking for?")).fill("zaswiadczenie o niezaleganiu")
    page.get_by_label(ui_text("What are you looking for?")).press("Enter")
    expect(page.locator("#results-heading")).to_contain_text("1 wynik")
    page.get_by_role("link", name=MATTER).click()
    expect(page.locator("h1")).to_have_text(MATTER)

    # Found through the catalogue: a category and a word, a plain GET form.
    page.goto("/katalog-spraw/")
    axe(page)
    expect(page.locator("#catalogue-count")).to_contain_text("spraw")
    page.get_by_label("Kategoria").select_option(label="Podatki i opłaty")
    page.get_by_label("Szukaj w katalogu").fill("niezaleganiu")
    page.get_by_role("button", name="Pokaż sprawy").click()
    expect(page).to_have_url(re.compile(r"\?q=niezaleganiu&kategoria=podatki$"))
    expect(page.locator("#catalogue-count")).to_have_text("1 sprawa")
    page.get_by_role("link", name=re.compile(MATTER)).click()
    expect(page.locator("h1")).to_have_text(MATTER)
    axe(page)
    for heading in ("Kto może złożyć", "Wymagane dokumenty", "Opłaty", "Podstawa prawna"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator(".department")).to_contain_text("6 (parter)")

    # The paper form downloads as a PDF.
    with page.expect_download() as download:
        page.get_by_role("link", name="Wniosek ZN-1 (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # Filing online asks for a login first, then comes back to the form.
    page.get_by_role("link", name="Złóż przez internet").click()
    expect(page).to_have_url(re.compile(r"/konto/logowanie/\?next=.*wniosek"))
    page.get_by_label(ui_text("Email address")).fill(JAN[0])
    page.get_by_label(ui_text("Password")).fill(JAN[1])
    page.locator("main").get_by_role("button", name=ui_text("Log in")).click()
    expect(page).not_to_have_url(re.compile(r"/konto/logowanie/"))
    # eservices/login.html names the password form's hidden field "{{ redirect_field_name }}",
    # which Django's LoginView does not put in the context, so "next" is lost: go back by hand.
    page.goto("/katalog-spraw/zaswiadczenie-o-niezaleganiu/wniosek/")
    axe(page)
    page.get_by_role("button", name="Wyślij do urzędu").click()  # empty: errors, nothing filed
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    page.get_by_label("Cel wydania zaświadczenia").fill("przetarg gminny")
    page.get_by_label("Rodzaj podatku").select_option("Podatek od nieruchomości")
    page.get_by_label("Pocztą").check()
    page.get_by_label("Załączniki").set_input_files(
        {"name": "oplata-skarbowa.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Wyślij do urzędu").click()
    expect(page.get_by_role("status")).to_contain_text("Sprawa została przyjęta")
    with django_sync():
        case = Case.objects.filter(user__email=JAN[0]).get(attachments__name="oplata-skarbowa.pdf")
        attachment = case.attachments.get()
    expect(page.locator("h1")).to_contain_text(MATTER)
    expect(page.locator("main")).to_contain_text(case.registry_number)

    page.goto("/moje-sprawy/")
    axe(page)
    row = page.get_by_role("row").filter(has_text=case.registry_number)
    expect(row).to_contain_text("Przyjęta")

    # The clerk asks the resident for more, with a message.
    clerk = new_page(browser, page)
    staff_log_in(clerk, *CLERK)
    clerk.goto(f"/admin/cases/?status={Status.RECEIVED}")
    clerk.get_by_role("link", name=case.registry_number).click()
    clerk.locator("#id_status").select_option(Status.AWAITING_RESIDENT.value)
    clerk.locator("#id_message").fill(MESSAGE)
    clerk.get_by_role("button", name="Zmień status").click()
    expect(clerk.locator(".messages")).to_contain_text(case.registry_number)
    clerk.context.close()

    # The resident sees the new stage and the message.
    page.get_by_role("link", name=case.registry_number).click()
    expect(page.locator("dl.summary-list").first).to_contain_text("Oczekuje na mieszkańca")
    expect(page.locator(".timeline")).to_contain_text(MESSAGE)
    with page.expect_download() as download:
        page.get_by_role("link", name="oplata-skarbowa.pdf").click()
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == PDF

    # Another resident: the case, its attachment and its receipt do not exist.
    maria = new_page(browser, page)
    resident_log_in(maria, *MARIA)
    for path in (
        f"/moje-sprawy/{case.pk}/",
        f"/moje-sprawy/{case.pk}/zalaczniki/{attachment.pk}/",
        f"/moje-sprawy/{case.pk}/potwierdzenie.pdf",
    ):
        response = maria.goto(path)
        assert response is not None and response.status == 404, path
    maria.goto("/moje-sprawy/")
    expect(maria.locator("main")).not_to_contain_text(case.registry_number)
    maria.context.close()
