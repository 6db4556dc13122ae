"""Small builders for receivables test data (plain functions: explicit beats clever)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from eservices.models import (
    AccountLink,
    Installment,
    Ledger,
    LedgerEntry,
    Mandate,
    ReceivableType,
    Taxpayer,
)

_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def user(email: str | None = None, **fields):
    return get_user_model().objects.create_user(
        email or f"{next_id('user')}@example.pl", "x" * 12, **fields
    )


def taxpayer(**fields) -> Taxpayer:
    fields.setdefault("first_name", "Jan")
    fields.setdefault("last_name", "Kowalski")
    fields.setdefault("external_id", next_id("TP"))
    pesel = fields.pop("pesel", None)
    tp = Taxpayer(**fields)
    if pesel:
        tp.pesel = pesel
    tp.save()
    return tp


def receivable_type(code: str = "pn-osoby", **fields) -> ReceivableType:
    defaults = {
        "name": "Podatek od nieruchomości – osoby fizyczne",
        "category": ReceivableType.Category.PROPERTY_TAX,
        "interest_regime": ReceivableType.InterestRegime.TAX,
    }
    defaults.update(fields)
    return ReceivableType.objects.get_or_create(code=code, defaults=defaults)[0]


def ledger(owner: Taxpayer, rtype: ReceivableType | None = None, **fields) -> Ledger:
    fields.setdefault("number", next_id("K"))
    fields.setdefault("external_id", next_id("L"))
    return Ledger.objects.create(
        taxpayer=owner, receivable_type=rtype or receivable_type(), **fields
    )


def installment(
    led: Ledger, amount: str, due: date, number: int = 1, charge: bool = True
) -> Installment:
    inst = Installment.objects.create(
        ledger=led,
        year=due.year,
        number=number,
        nominal_due_date=due,
        due_date=due,
        assessed_amount=Decimal(amount),
        external_id=next_id("I"),
    )
    if charge:
        # Charged when assessed: never after today, or balances "as of today" would miss it.
        booked_on = min(due.replace(day=1), timezone.localdate())
        entry(inst, LedgerEntry.Kind.CHARGE, principal=amount, booked_on=booked_on)
    return inst


def entry(inst: Installment | None, kind: str, *, ledger: Ledger | None = None, **amounts):
    booked_on = amounts.pop("booked_on", date(2026, 1, 1))
    return LedgerEntry.objects.create(
        ledger=ledger or inst.ledger,
        installment=inst,
        kind=kind,
        booked_on=booked_on,
        external_id=next_id("E"),
        **{k: Decimal(v) for k, v in amounts.items()},
    )


def link(account, tp: Taxpayer, **fields) -> AccountLink:
    fields.setdefault("method", AccountLink.Method.COUNTER)
    return AccountLink.objects.create(user=account, taxpayer=tp, **fields)


def mandate(proxy, tp: Taxpayer, **fields) -> Mandate:
    fields.setdefault("document_reference", "PPS-1")
    return Mandate.objects.create(proxy=proxy, taxpayer=tp, **fields)
