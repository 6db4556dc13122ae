"""A resident pays chosen dues in a real browser: dues → checkout (total with interest and the
operator's commission) → demo gateway → notification → completed, awaiting booking → the bank
statement is imported → booked → the balance on the dues page has gone down. axe-core checks
the checkout, return and history pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from eservices import access
from eservices.dues import dues
from eservices.templatetags.eservices_tags import format_money
from payments import fees, reconciliation
from payments.models import Payment
from tests.e2e.conftest import django_sync, ui_text
from tests.e2e.test_dues_pages import JAN_EMAIL, log_in
from tests.payments.helpers import mt940_generator

pytestmark = pytest.mark.e2e


def pl(amount) -> str:
    return format_money(amount, language="pl")


def jan_dues():
    jan = get_user_model().objects.get(email=JAN_EMAIL)
    taxpayer = access.taxpayers_for(jan).get(last_name="Kowalski")
    return taxpayer, dues(access.ledgers_for(jan, taxpayer), timezone.localdate())


def test_pay_arrears_with_the_demo_gateway_until_booked(page: Page, axe):
    log_in(page, axe)
    with django_sync():
        taxpayer, before = jan_dues()
        fee = fees.commission("demo", before.to_pay_today)
    assert before.to_pay_today > 0

    page.goto(f"/moje-naleznosci/{taxpayer.pk}/")
    page.get_by_role("link", name=ui_text("Pay dues")).click()
    expect(page.locator("h1")).to_have_text(ui_text("Pay dues"))
    # The arrears of every ledger are ticked at first: the total is what the dues page shows.
    expect(page.locator("#summary-amount")).to_have_text(pl(before.to_pay_today))
    expect(page.locator("#summary-fee")).to_have_text(pl(fee))
    expect(page.locator("#summary-total")).to_have_text(pl(before.to_pay_today + fee))
    axe(page)

    page.get_by_role("button", name=ui_text("Pay"), exact=True).click()
    expect(page.locator("h1")).to_have_text(ui_text("Demo payment gateway"))
    page.get_by_role("button", name=ui_text("Pay successfully")).click()

    # Back on the return page: the notification arrived, the money is not on the statement yet.
    expect(page.locator(".notice")).to_contain_text(ui_text("The payment has been completed."))
    expect(page.locator("main")).to_contain_text(ui_text("Completed, awaiting booking"))
    axe(page)

    with django_sync():
        payment = Payment.objects.filter(
            status=Payment.Status.COMPLETED, booked_at__isnull=True, amount=before.to_pay_today
        ).latest("pk")
        gen = mt940_generator()
        data = gen.generate_statement(
            [gen.CreditLine(amount=payment.amount, title=f"Wyplata DEMO {payment.reference}")],
            number="901",
        )
        result = reconciliation.import_statement(data)
        assert result.payments_booked == 1

    page.reload()
    expect(page.locator("main")).to_contain_text(ui_text("Completed and booked"))
    page.get_by_role("link", name=ui_text("Payment history")).first.click()
    expect(page.locator("h1")).to_have_text(ui_text("Payment history"))
    row = page.locator("tr", has=page.get_by_role("link", name=payment.reference))
    expect(row).to_contain_text(ui_text("Completed and booked"))
    expect(page.locator("tbody")).to_contain_text(ui_text("Started"))  # the demo's unfinished one
    axe(page)

    page.goto(f"/moje-naleznosci/{taxpayer.pk}/")
    with django_sync():
        _, after = jan_dues()
    assert after.arrears == 0
    expect(page.locator(".figure--main .figure__amount")).to_have_text(
        re.compile(re.escape(pl(after.to_pay_today)))
    )
