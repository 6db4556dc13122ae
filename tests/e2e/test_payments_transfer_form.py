"""A resident finds the virtual account on a ledger page, picks an instalment and prints the
transfer form; the PDF carries the amount and a QR code that decodes to the exact ZBP string.
axe-core checks the ledger page with the transfer panel."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from eservices.dues import dues
from eservices.models import Ledger, ReceivableType
from payments import qr
from payments.virtual_accounts import compact_nrb, virtual_account
from tests.e2e.conftest import django_sync, ui_text
from tests.e2e.test_dues_pages import PROPERTY_TAX, log_in, pl

pytestmark = pytest.mark.e2e


def test_print_a_transfer_form_from_the_ledger_page(page: Page, axe):
    with django_sync():
        ReceivableType.objects.filter(name=PROPERTY_TAX).update(virtual_account_prefix="00000001")
        ledger = Ledger.objects.select_related("taxpayer", "receivable_type").get(
            receivable_type__name=PROPERTY_TAX, taxpayer__last_name="Kowalski"
        )
        account = virtual_account(ledger.taxpayer, ledger.receivable_type)
        ledger_dues = dues([ledger], timezone.localdate()).ledgers[0]
        chosen = next(i for i in ledger_dues.installments if i.to_pay > 0)
        expected_total = chosen.to_pay + ledger_dues.reminder_costs

    log_in(page, axe)
    page.goto(f"/moje-naleznosci/{ledger.taxpayer.pk}/kartoteki/{ledger.pk}/")
    panel = page.locator("section.transfer-panel")
    expect(panel.get_by_role("heading")).to_have_text(ui_text("Pay by bank transfer"))
    expect(panel.locator(".account-number")).to_have_text(account)
    axe(page)

    # The code on the page is the one the default form (what is due now) prints.
    svg_png = panel.locator("figure.payment-qr-figure svg").screenshot()
    on_page = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(svg_png)))]
    default_pdf = page.request.get(
        f"/platnosci/{ledger.taxpayer.pk}/przelew/?kartoteka={ledger.pk}"
    ).body()
    in_pdf = [
        b.text
        for image in PdfReader(io.BytesIO(default_pdf)).pages[0].images
        for b in zxingcpp.read_barcodes(image.image)
    ]
    assert len(on_page) == 1 and on_page == in_pdf
    assert on_page[0].split("|")[2] == compact_nrb(account)

    label = f"{chosen.installment.number}/{chosen.installment.year}:"  # "Rata 4/2025: 512,00 zł"
    panel.get_by_role("checkbox", name=label).check()
    with page.expect_response(re.compile(r"/przelew/\?")) as response_info:
        panel.get_by_role("button", name=ui_text("Print a transfer form (PDF)")).click()
    response = response_info.value
    assert re.search(r"/platnosci/\d+/przelew/\?kartoteka=\d+&rata=\d+$", response.url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    # Chromium hands a navigated PDF to its viewer, so the body is fetched again in the session.
    body = page.request.get(response.url).body()
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(p.extract_text() for p in reader.pages).replace("\u00a0", " ")
    assert pl(expected_total).replace("\u00a0", " ") in text
    assert account in text
    images = [image.image for image in reader.pages[0].images]
    decoded = [b.text for image in images for b in zxingcpp.read_barcodes(image)]
    title = f"{ledger.number} rata {chosen.installment.number}/{chosen.installment.year}"
    assert decoded == [
        qr.payload(
            nip="5251000017",
            account=compact_nrb(account),
            amount=expected_total,
            name="Gmina Przykładowo",
            title=title,
        )
    ]
