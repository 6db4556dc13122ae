"""Paying with PayU and with Przelewy24 in a real browser, against the loopback operators.

Jan ticks an overdue instalment, pays it on the operator's page (tests/fakes/), the operator's
signed notification reaches the portal's endpoint (P24's also needs the verify call), the
return page says completed and awaiting booking; then the operator's payout arrives on the
municipality's MT940 statement, `import_statement` books it and the dues page shows the new
balance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from eservices import access
from eservices.dues import dues
from payments import checkout
from payments.models import Payment
from tests.e2e.conftest import django_sync, ui_text
from tests.e2e.test_dues_pages import JAN_EMAIL, log_in, pl
from tests.fakes.payment_operator import LoopbackOperator
from tests.fakes.payu import FakePayU
from tests.fakes.przelewy24 import FakePrzelewy24
from tests.payments.helpers import mt940_generator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def payu_fake() -> Iterator[FakePayU]:
    fake = FakePayU().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def p24_fake() -> Iterator[FakePrzelewy24]:
    fake = FakePrzelewy24().start()
    yield fake
    fake.stop()


@pytest.fixture
def operators(settings, live_server, payu_fake, p24_fake):
    payu_fake.reset()
    p24_fake.reset()
    settings.PAYMENT_GATEWAYS = ["payu", "przelewy24", "transfer"]
    settings.PAYU = payu_fake.settings
    settings.PRZELEWY24 = p24_fake.settings
    # The addresses given to the operators (notifyUrl, urlReturn) are the live server's.
    settings.PORTAL_BASE_URL = live_server.url
    cache.clear()
    return {"payu": payu_fake, "przelewy24": p24_fake}


def jan_and_dues():
    jan = get_user_model().objects.get(email=JAN_EMAIL)
    taxpayer = access.taxpayers_for(jan).get(last_name="Kowalski")
    return taxpayer, dues(access.ledgers_for(jan, taxpayer), timezone.localdate())


def pay_one_overdue_instalment(page: Page, axe, fake: LoopbackOperator, code: str, pick: int):
    log_in(page, axe)
    with django_sync():
        taxpayer, before = jan_and_dues()
        overdue = [c for c in checkout.choices_for(before) if c[2].status == "overdue"]
        token, _ledger, _item = overdue[pick]
        expected = checkout.select(before, [token])
        _fee, total = checkout.quote(expected, code)

    page.goto(f"/platnosci/{taxpayer.pk}/")
    for box in page.locator('input[name="pozycja"]').all():
        box.uncheck()
    page.locator(f"#pozycja-{token}").check()
    page.locator(f"#metoda-{code}").check()
    page.get_by_role("button", name=ui_text("Recalculate")).click()
    expect(page.locator("#summary-total")).to_have_text(pl(total))
    axe(page)
    page.locator("form.checkout-form").get_by_role(
        "button", name=ui_text("Pay"), exact=True
    ).click()

    # The operator's own page: the portal registered the order and did not follow anything.
    expect(page).to_have_url(re.compile("^" + re.escape(fake.base_url)))
    page.get_by_role("button", name="Pay", exact=True).click()

    # Back on the return page: the notification arrived while the operator redirected.
    expect(page).to_have_url(re.compile(rf"/platnosci/{taxpayer.pk}/platnosc/\d+/$"))
    notice = page.locator(".notice")
    expect(notice).to_contain_text(ui_text("The payment has been completed."))
    expect(notice).to_contain_text(
        ui_text(
            "The operator has accepted it. It will be booked on your ledger when the money "
            "reaches the municipality's account, usually within two working days."
        )
    )
    axe(page)
    with django_sync():
        payment = Payment.objects.get(taxpayer=taxpayer, gateway=code)
        assert payment.status == Payment.Status.COMPLETED
        assert payment.total == total and payment.booked_at is None
        assert payment.operator_reference
        withheld = {payment.operator_reference: payment.commission}
    return taxpayer, before, payment, withheld


def book_operator_payout(fake: LoopbackOperator, withheld, tmp_path, counterparty: str) -> str:
    payout = fake.payout(withheld=withheld)
    gen = mt940_generator()
    statement = gen.generate_statement(
        [gen.CreditLine(amount=payout.amount, title=payout.title, counterparty_name=counterparty)],
        number="1",
    )
    path = tmp_path / f"{payout.reference}.sta"
    path.write_bytes(statement)
    with django_sync():
        out = StringIO()
        call_command("import_statement", str(path), stdout=out)
    return out.getvalue()


def assert_booked_and_balance_updated(page: Page, axe, taxpayer, before, payment):
    page.reload()
    expect(page.locator(".notice")).to_contain_text(ui_text("It has been booked on your ledger."))
    with django_sync():
        payment.refresh_from_db()
        assert payment.booked_at is not None
        _taxpayer, after = jan_and_dues()
    assert after.outstanding < before.outstanding
    assert after.to_pay_today < before.to_pay_today
    page.goto(f"/moje-naleznosci/{taxpayer.pk}/")
    expect(page.locator(".figure--main .figure__amount")).to_have_text(pl(after.to_pay_today))
    axe(page)


def test_payu_payment_is_completed_by_notification_and_booked_from_the_payout(
    page: Page, axe, operators, tmp_path
):
    fake = operators["payu"]
    taxpayer, before, payment, withheld = pay_one_overdue_instalment(page, axe, fake, "payu", 0)
    # PayU told the truth twice (PENDING, COMPLETED) and the portal answered 200 each time.
    assert [d.data["order"]["status"] for d in fake.deliveries] == ["PENDING", "COMPLETED"]
    assert all(d.attempts == [200] for d in fake.deliveries)
    output = book_operator_payout(fake, withheld, tmp_path, "PayU S.A.")
    assert "1 portal payments booked" in output, output
    assert_booked_and_balance_updated(page, axe, taxpayer, before, payment)


def test_przelewy24_payment_counts_after_verify_and_is_booked_from_the_payout(
    page: Page, axe, operators, tmp_path
):
    fake = operators["przelewy24"]
    taxpayer, before, payment, withheld = pay_one_overdue_instalment(
        page, axe, fake, "przelewy24", -1
    )
    # The portal verified the transaction before counting it; P24 stops resending.
    assert fake.verify_calls == 1
    assert fake.transactions[str(payment.key)]["status"] == 2
    assert fake.retry_notifications() == 0
    output = book_operator_payout(fake, withheld, tmp_path, "PayPro S.A. Przelewy24")
    assert "1 portal payments booked" in output, output
    assert_booked_and_balance_updated(page, axe, taxpayer, before, payment)
