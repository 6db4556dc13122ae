"""The printable statement: a PDF of the balance as of a day, with the figures of `dues`."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from eservices import access
from eservices.dues import dues, interest_rules
from eservices.interest import tax_interest
from eservices.models import LedgerEntry
from eservices.templatetags.eservices_tags import format_money

from . import factories as f

pytestmark = pytest.mark.django_db
Kind = LedgerEntry.Kind


@pytest.fixture(autouse=True)
def polish():
    with translation.override("pl"):
        yield


def pdf_text(content: bytes) -> str:
    """The text of every page, with runs of whitespace (and no-break spaces) as one space."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def pl(amount: Decimal) -> str:
    return format_money(amount, language="pl").replace("\u00a0", " ")


@pytest.fixture
def taxpayer_with_arrears():
    """473.00 zł overdue for 100 days with a 16.00 zł reminder cost, and 120.50 zł not yet due."""
    today = timezone.localdate()
    account = f.user()
    tp = f.taxpayer(first_name="Zofia", last_name="Wiśniewska", street="ul. Polna 3",
                    postal_code="99-999", city="Przykładowo")  # fmt: skip
    f.link(account, tp)
    ledger = f.ledger(tp, number="PN/0999")
    late = f.installment(ledger, "473.00", today - timedelta(days=100), number=1)
    f.entry(late, Kind.REMINDER_COST, reminder_costs="16.00", booked_on=today - timedelta(days=90))
    f.installment(ledger, "120.50", today + timedelta(days=20), number=2)
    return account, tp, late


def get_statement(client: Client, tp, **params):
    url = reverse("eservices:statement", kwargs={"taxpayer_pk": tp.pk})
    return client.get(url, params)


def test_statement_is_a_pdf_with_the_name_and_the_total(client: Client, taxpayer_with_arrears):
    account, tp, late = taxpayer_with_arrears
    today = timezone.localdate()
    client.force_login(account)
    response = get_statement(client, tp)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="zestawienie-{today.isoformat()}.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]

    rules = interest_rules()
    interest = tax_interest(
        Decimal("473.00"), late.due_date, today, rates=rules.tax_rates, thresholds=rules.thresholds
    )
    total = Decimal("473.00") + interest + Decimal("16.00")
    assert dues(access.ledgers_for(account, tp), today).to_pay_today == total

    text = pdf_text(response.content)
    assert "Zofia Wiśniewska" in text
    assert "PN/0999" in text
    assert pl(total) in text
    assert pl(interest) in text
    assert pl(Decimal("120.50")) in text  # not yet due
    assert today.strftime("%d.%m.%Y") in text


def test_statement_as_of_an_earlier_day_computes_interest_to_that_day(
    client: Client, taxpayer_with_arrears
):
    account, tp, late = taxpayer_with_arrears
    as_of = late.due_date + timedelta(days=60)
    client.force_login(account)
    response = get_statement(client, tp, na_dzien=as_of.isoformat())
    assert response.status_code == 200

    rules = interest_rules()
    interest = tax_interest(
        Decimal("473.00"), late.due_date, as_of, rates=rules.tax_rates, thresholds=rules.thresholds
    )
    text = pdf_text(response.content)
    assert as_of.strftime("%d.%m.%Y") in text
    assert pl(Decimal("473.00") + interest + Decimal("16.00")) in text


def test_statement_names_the_municipality_and_says_it_is_informational(demo_site, client: Client):
    from django.contrib.auth import get_user_model

    from home.models import MunicipalitySettings

    jan = get_user_model().objects.get(email="jan.kowalski@przykladowo.example")
    tp = access.taxpayers_for(jan).get(last_name="Kowalski")
    client.force_login(jan)
    response = get_statement(client, tp)
    assert response.status_code == 200
    text = pdf_text(response.content)
    municipality = MunicipalitySettings.for_site(demo_site)
    assert (municipality.office_name or municipality.name) in text
    assert municipality.street in text
    assert "Jan Kowalski" in text
    expected = dues(access.ledgers_for(jan, tp), timezone.localdate())
    assert pl(expected.to_pay_today) in text
    assert translation.gettext("This statement is for information only.") in text


def test_statement_is_a_tagged_pdf_with_a_language(client: Client, taxpayer_with_arrears):
    account, tp, _ = taxpayer_with_arrears
    client.force_login(account)
    reader = PdfReader(io.BytesIO(get_statement(client, tp).content))
    catalog = reader.trailer["/Root"]
    assert catalog.get("/Lang") == "pl"
    assert "/StructTreeRoot" in catalog
    assert "Zofia Wiśniewska" in (reader.metadata.title or "")


def test_statement_as_of_an_earlier_day_ignores_later_payments(
    client: Client, taxpayer_with_arrears
):
    account, tp, late = taxpayer_with_arrears
    today = timezone.localdate()
    f.entry(late, Kind.PAYMENT, principal="-473.00", interest="20.00", booked_on=today)
    as_of = late.due_date + timedelta(days=30)
    client.force_login(account)
    response = get_statement(client, tp, na_dzien=as_of.isoformat())
    rules = interest_rules()
    interest = tax_interest(
        Decimal("473.00"), late.due_date, as_of, rates=rules.tax_rates, thresholds=rules.thresholds
    )
    assert pl(Decimal("473.00") + interest) in pdf_text(response.content)
