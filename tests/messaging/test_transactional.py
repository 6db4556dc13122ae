"""Payment confirmations and case-status messages from the other apps' signals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from eservices.models import LedgerEntry
from eservices.signals import case_status_changed
from messaging.models import Delivery
from payments.signals import payment_booked
from tests.eservices import factories as f

from .conftest import PORTAL

pytestmark = pytest.mark.django_db


def _resident(today, grants):
    from messaging.consents import set_consent

    user = f.user(first_name="Jan")
    tp = f.taxpayer(first_name="Jan")
    f.link(user, tp)
    inst = f.installment(f.ledger(tp), "300.00", today - timedelta(days=30))
    for channel, category in grants:
        set_consent(user, channel, category, True, PORTAL)
    return user, tp, inst


def test_payment_confirmation_carries_the_new_balance(
    today, smtp_server, django_capture_on_commit_callbacks
):
    user, tp, inst = _resident(today, [("email", "payment_booked")])
    f.entry(inst, LedgerEntry.Kind.PAYMENT, principal="-100.00", booked_on=today)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # a signal delivered twice books one message
            payment_booked.send(
                sender=None,
                payment=None,
                taxpayer=tp,
                user=user,
                amount=Decimal("100.00"),
                booked_on=today,
                reference="WB-2026-1",
            )
    row = Delivery.objects.get(user=user)
    assert row.category == "payment_booked"
    assert "100,00 zł" in row.body
    # 200.00 principal left, plus tax interest on it to today.
    assert "Pozostało do zapłaty: 2" in row.body
    assert row.status == "sent"
    assert len(smtp_server.messages) == 1


def test_no_confirmation_without_that_consent(today):
    user, tp, _inst = _resident(today, [("email", "overdue")])
    payment_booked.send(
        sender=None,
        payment=None,
        taxpayer=tp,
        user=user,
        amount=Decimal("1.00"),
        booked_on=today,
        reference="WB-2",
    )
    assert not Delivery.objects.exists()


def test_case_status_message_only_with_consent(today):
    user, _tp, _inst = _resident(today, [("email", "case_status")])
    other, _tp2, _inst2 = _resident(today, [])

    class Case:
        pk = 7

    for who in (user, user, other):  # a repeated signal adds nothing
        case_status_changed.send(
            sender=None,
            case=Case(),
            user=who,
            status_label="Załatwiona",
            message="Decyzja do odbioru.",
            url="/sprawy/7/",
        )
    row = Delivery.objects.get()
    assert row.user == user
    assert "Załatwiona" in row.body
    assert "https://e-uslugi.gmina.example/sprawy/7/" in row.body
