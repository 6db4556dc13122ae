"""Fixtures of the payments tests: a resident with arrears, a proxy, a stranger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from eservices.models import LedgerEntry
from payments.models import FeeBand
from tests.eservices import factories as f


@dataclass
class Resident:
    user: object
    taxpayer: object
    ledger: object
    overdue: object
    upcoming: object
    client: Client


@pytest.fixture
def resident(db, settings) -> Resident:
    settings.PAYMENT_GATEWAYS = ["demo", "transfer"]
    today = timezone.localdate()
    user = f.user("jan@example.pl")
    tp = f.taxpayer()
    f.link(user, tp)
    led = f.ledger(tp)
    overdue = f.installment(led, "473.00", today - timedelta(days=120), number=1)
    upcoming = f.installment(led, "193.00", today + timedelta(days=30), number=2)
    f.entry(
        overdue,
        LedgerEntry.Kind.REMINDER_COST,
        reminder_costs="16.00",
        booked_on=today - timedelta(days=60),
    )
    FeeBand.objects.create(
        gateway="demo",
        amount_from=Decimal("0"),
        amount_to=Decimal("1000"),
        percent=Decimal("1.00"),
        fixed=Decimal("0.50"),
    )
    FeeBand.objects.create(gateway="demo", amount_from=Decimal("1000.01"), percent=Decimal("0.50"))
    client = Client()
    client.force_login(user)
    return Resident(user, tp, led, overdue, upcoming, client)


def pay_date() -> date:
    return timezone.localdate()
