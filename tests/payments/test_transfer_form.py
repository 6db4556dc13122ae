"""The printable transfer form: filled in from the dues, with a QR that decodes exactly; 404s."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from eservices.models import LedgerEntry
from home.models import MunicipalitySettings
from payments import qr
from payments.transfer_form import amount_in_words
from payments.virtual_accounts import compact_nrb, virtual_account
from tests.eservices import factories as f

pytestmark = pytest.mark.django_db
MAIN = "60102010260000123456789012"


@pytest.fixture(autouse=True)
def polish():
    with translation.override("pl"):
        yield


@pytest.fixture
def municipality(db):
    from wagtail.models import Site

    settings = MunicipalitySettings.for_site(Site.objects.get(is_default_site=True))
    settings.name = "Gmina Przykładowo"
    settings.nip = "5251000017"
    settings.street, settings.postal_code, settings.city = "ul. Rynek 1", "99-999", "Przykładowo"
    settings.bank_account = MAIN
    settings.save()
    return settings


@pytest.fixture
def resident(municipality):
    """Overdue 473.00 zł (instalment 1) + 16.00 zł reminder cost; 120.50 zł due in 20 days."""
    today = timezone.localdate()
    account = f.user()
    tp = f.taxpayer(first_name="Zofia", last_name="Wiśniewska", street="ul. Polna 3",
                    postal_code="99-999", city="Przykładowo")  # fmt: skip
    f.link(account, tp)
    rtype = f.receivable_type("pn-osoby", virtual_account_prefix="00000001")
    ledger = f.ledger(tp, rtype, number="PN/0999")
    late = f.installment(ledger, "473.00", today - timedelta(days=100), number=1)
    f.entry(late, LedgerEntry.Kind.REMINDER_COST, reminder_costs="16.00",
            booked_on=today - timedelta(days=90))  # fmt: skip
    upcoming = f.installment(ledger, "120.50", today + timedelta(days=20), number=2)
    client = Client()
    client.force_login(account)
    return client, tp, ledger, late, upcoming


def url(tp, **params) -> str:
    query = "&".join(f"{k}={v}" for k, values in params.items() for v in values)
    return reverse("payments:transfer_form", kwargs={"taxpayer_pk": tp.pk}) + "?" + query


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def pdf_qr(content: bytes) -> list[str]:
    """Decode every image embedded in the PDF as a QR code."""
    reader = PdfReader(io.BytesIO(content))
    found = []
    for page in reader.pages:
        for image in page.images:
            found += [b.text for b in zxingcpp.read_barcodes(image.image)]
    return found


def test_overdue_instalment_with_interest_and_costs(resident):
    client, tp, ledger, late, _ = resident
    response = client.get(url(tp, kartoteka=[ledger.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    # Interest for 100 days on 473.00 zł at the tax rate is a positive whole złoty amount.
    match = re.search(r"Rata 1/\d{4} z odsetkami ([\d ]+,\d\d) zł", text)
    assert match, text
    instalment = Decimal(match.group(1).replace(" ", "").replace(",", "."))
    assert instalment > Decimal("473.00")
    total = instalment + Decimal("16.00")
    total_pl = f"{total:,.2f}".replace(",", " ").replace(".", ",")
    assert f"Razem {total_pl} zł" in text
    va = virtual_account(tp, ledger.receivable_type, None)
    assert va in text
    assert "Gmina Przykładowo" in text and "Zofia Wiśniewska" in text
    assert "ul. Polna 3, 99-999 Przykładowo" in text
    assert f"PN/0999 rata 1/{late.year}" in text
    assert text.count("Polecenie przelewu / wpłata gotówkowa") >= 2  # bank's and payer's copy
    assert amount_in_words(total) in text
    title = f"PN/0999 rata 1/{late.year}"
    expected = qr.payload(
        nip="5251000017",
        account=compact_nrb(va),
        amount=total,
        name="Gmina Przykładowo",
        title=title,
    )
    assert pdf_qr(response.content) == [expected]
    assert f"|{int(total * 100):06d}|" in expected


def test_chosen_instalments_only(resident):
    client, tp, ledger, _, upcoming = resident
    response = client.get(url(tp, kartoteka=[ledger.pk], rata=[upcoming.pk]))
    text = pdf_text(response.content)
    assert f"PN/0999 rata 2/{upcoming.year}" in text
    assert "Rata 1/" not in text
    # 120.50 zł plus the reminder cost, which a payment settles first (OP art. 62 §1a).
    assert "Razem 136,50 zł" in text
    (payload,) = pdf_qr(response.content)
    assert payload.split("|")[3] == "013650"


def test_instalments_alone_find_their_ledger_and_repeats_count_once(resident):
    client, tp, _, _, upcoming = resident
    response = client.get(url(tp, rata=[upcoming.pk, upcoming.pk]))
    assert response.status_code == 200
    assert "Razem 136,50 zł" in pdf_text(response.content)


def test_no_qr_above_the_standards_cap(resident):
    client, tp, ledger, _, _ = resident
    big = f.installment(ledger, "12000.00", timezone.localdate() + timedelta(days=40), number=3)
    response = client.get(url(tp, kartoteka=[ledger.pk], rata=[big.pk]))
    assert response.status_code == 200
    assert pdf_qr(response.content) == []
    text = pdf_text(response.content)
    assert "12 016,00 zł" in text and "Brak kodu QR" in text


def test_main_account_when_the_type_has_no_prefix(municipality):
    account = f.user()
    tp = f.taxpayer()
    f.link(account, tp)
    ledger = f.ledger(tp, f.receivable_type("psy"))
    f.installment(ledger, "50.00", timezone.localdate() + timedelta(days=5))
    client = Client()
    client.force_login(account)
    text = pdf_text(client.get(url(tp, kartoteka=[ledger.pk])).content)
    assert "60 1020 1026 0000 1234 5678 9012" in text


def test_a_proxy_with_view_rights_may_print(resident):
    _, tp, ledger, _, _ = resident
    proxy = f.user()
    f.mandate(proxy, tp)
    client = Client()
    client.force_login(proxy)
    assert client.get(url(tp, kartoteka=[ledger.pk])).status_code == 200


def test_foreign_taxpayer_ledger_and_instalment_are_404(resident):
    client, tp, ledger, _, _ = resident
    other = f.taxpayer(last_name="Obcy")
    other_ledger = f.ledger(other)
    other_inst = f.installment(other_ledger, "10.00", timezone.localdate())
    assert client.get(url(other, kartoteka=[other_ledger.pk])).status_code == 404
    assert client.get(url(tp, kartoteka=[other_ledger.pk])).status_code == 404
    assert client.get(url(tp, kartoteka=[ledger.pk], rata=[other_inst.pk])).status_code == 404
    assert client.get(url(tp, rata=[other_inst.pk])).status_code == 404
    assert client.get(url(tp, kartoteka=[ledger.pk], rata=["x"])).status_code == 404
    assert client.get(url(tp, kartoteka=["x"])).status_code == 404
    assert client.get(url(tp)).status_code == 404


def test_login_required(resident):
    _, tp, ledger, _, _ = resident
    response = Client().get(url(tp, kartoteka=[ledger.pk]))
    assert response.status_code == 302 and "logowanie" in response["Location"]


def test_the_ledger_page_shows_the_account_and_the_form(resident):
    client, tp, ledger, late, upcoming = resident
    page = client.get(
        reverse("eservices:ledger", kwargs={"taxpayer_pk": tp.pk, "ledger_pk": ledger.pk})
    )
    html = page.content.decode()
    assert virtual_account(tp, ledger.receivable_type, None) in html
    assert reverse("payments:transfer_form", kwargs={"taxpayer_pk": tp.pk}) in html
    assert f'name="rata" value="{upcoming.pk}"' in html and f'value="{late.pk}"' in html
    assert "Zapłać przelewem" in html
    # The page shows the payment QR of what is due now, as an SVG with an accessible name.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert "<title>Kod QR płatności do aplikacji bankowej</title>" in html
    filtered = client.get(
        reverse("eservices:ledger", kwargs={"taxpayer_pk": tp.pk, "ledger_pk": ledger.pk}),
        {"rok": late.year},
    ).content.decode()
    assert "payment-qr-figure" not in filtered and "transfer-panel" in filtered


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.45", "zero złotych 45/100"),
        ("1.00", "jeden złoty 00/100"),
        ("2.50", "dwa złote 50/100"),
        ("12.00", "dwanaście złotych 00/100"),
        ("22.01", "dwadzieścia dwa złote 01/100"),
        ("115.00", "sto piętnaście złotych 00/100"),
        ("1000.00", "jeden tysiąc złotych 00/100"),
        ("2345.67", "dwa tysiące trzysta czterdzieści pięć złotych 67/100"),
        ("12016.00", "dwanaście tysięcy szesnaście złotych 00/100"),
        ("1000000.00", "jeden milion złotych 00/100"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_nothing_due_leaves_the_amount_to_the_payer(municipality):
    account = f.user()
    tp = f.taxpayer(kind="organisation", organisation_name="Piekarnia Sp. z o.o.", nip="5251000017")
    f.link(account, tp)
    ledger = f.ledger(tp, f.receivable_type("psy", virtual_account_prefix="00000003"))
    paid = f.installment(ledger, "50.00", timezone.localdate() - timedelta(days=10))
    f.entry(paid, LedgerEntry.Kind.PAYMENT, principal="-50.00", booked_on=paid.due_date)
    client = Client()
    client.force_login(account)
    response = client.get(url(tp, kartoteka=[ledger.pk]))
    text = pdf_text(response.content)
    assert "Na tej kartotece nie ma teraz nic do zapłaty" in text
    assert "Piekarnia Sp. z o.o." in text
    (payload,) = pdf_qr(response.content)
    assert payload.split("|")[3] == "000000"  # the payer types the amount in the app
    assert payload.split("|")[5] == ledger.number
    # Choosing a paid instalment puts nothing on the form either.
    response = client.get(url(tp, kartoteka=[ledger.pk], rata=[paid.pk]))
    assert pdf_qr(response.content)[0].split("|")[3] == "000000"


def test_the_form_in_english(resident):
    client, tp, ledger, _, _ = resident
    with translation.override("en"):
        path = url(tp, kartoteka=[ledger.pk])
    assert path.startswith("/en/")
    text = pdf_text(client.get(path).content)
    assert "Transfer order / cash payment" in text and "copy for the bank" in text


def test_no_panel_without_any_account(db):
    account = f.user()
    tp = f.taxpayer()
    f.link(account, tp)
    ledger = f.ledger(tp, f.receivable_type("psy"))
    client = Client()
    client.force_login(account)
    page = client.get(
        reverse("eservices:ledger", kwargs={"taxpayer_pk": tp.pk, "ledger_pk": ledger.pk})
    )
    assert page.status_code == 200
    assert "transfer-panel" not in page.content.decode()
