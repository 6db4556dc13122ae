"""The ledger is append-only and every balance is derived from its entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from eservices.ledger import annotate_installments, ledger_totals
from eservices.models import Installment, LedgerEntry

from . import factories as f

pytestmark = pytest.mark.django_db
Kind = LedgerEntry.Kind


def test_entries_cannot_be_changed_or_deleted():
    inst = f.installment(f.ledger(f.taxpayer()), "100.00", date(2026, 3, 16))
    charge = inst.entries.get()
    charge.principal = Decimal("1.00")
    with pytest.raises(ValueError):
        charge.save()
    with pytest.raises(ValueError):
        charge.delete()


@pytest.mark.parametrize(
    ("kind", "amounts"),
    [
        (Kind.CHARGE, {"principal": "-5.00"}),
        (Kind.WRITE_DOWN, {"principal": "5.00"}),
        (Kind.PAYMENT, {"principal": "5.00"}),
        (Kind.REMINDER_COST, {"reminder_costs": "-16.00"}),
        (Kind.REMINDER_COST, {"principal": "1.00", "reminder_costs": "16.00"}),
    ],
)
def test_the_database_refuses_deltas_of_the_wrong_sign(kind, amounts):
    inst = f.installment(f.ledger(f.taxpayer()), "100.00", date(2026, 3, 16))
    with pytest.raises(IntegrityError), transaction.atomic():
        f.entry(inst, kind, **amounts)


def test_a_changed_assessment_is_an_odpis_and_a_new_przypis():
    # DOMAIN.md §12.4: the decision changes 400.00 to 350.00; the old entry stays.
    inst = f.installment(f.ledger(f.taxpayer()), "400.00", date(2026, 3, 16))
    f.entry(inst, Kind.WRITE_DOWN, principal="-400.00", booked_on=date(2026, 4, 2))
    f.entry(inst, Kind.CHARGE, principal="350.00", booked_on=date(2026, 4, 2))
    row = annotate_installments(Installment.objects.filter(pk=inst.pk)).get()
    assert row.charged == Decimal("350.00")
    assert row.outstanding == Decimal("350.00")
    assert inst.entries.count() == 3


def test_partial_payment_and_overpayment_are_derived():
    led = f.ledger(f.taxpayer())
    first = f.installment(led, "100.00", date(2026, 3, 16), number=1)
    second = f.installment(led, "100.00", date(2026, 5, 15), number=2)
    f.entry(first, Kind.PAYMENT, principal="-100.00", booked_on=date(2026, 3, 10))
    f.entry(second, Kind.PAYMENT, principal="-40.00", interest="0", booked_on=date(2026, 5, 10))
    f.entry(None, Kind.PAYMENT, ledger=led, principal="-25.00", booked_on=date(2026, 5, 10))
    f.entry(first, Kind.REMINDER_COST, reminder_costs="16.00")
    rows = {r.number: r for r in annotate_installments(led.installments.all())}
    assert rows[1].outstanding == Decimal("0.00") and rows[1].principal_paid == Decimal("100.00")
    assert rows[2].outstanding == Decimal("60.00") and rows[2].principal_paid == Decimal("40.00")
    totals = ledger_totals([led.pk])[led.pk]
    assert totals == {"reminder_costs": Decimal("16.00"), "credit": Decimal("25.00")}


def test_ledger_totals_for_a_ledger_without_entries_are_zero():
    led = f.ledger(f.taxpayer())
    assert ledger_totals([led.pk])[led.pk] == {
        "reminder_costs": Decimal("0.00"),
        "credit": Decimal("0.00"),
    }


def test_installment_effective_date_cannot_precede_the_nominal_one():
    led = f.ledger(f.taxpayer())
    with pytest.raises(IntegrityError), transaction.atomic():
        Installment.objects.create(
            ledger=led,
            year=2026,
            number=9,
            nominal_due_date=date(2026, 3, 15),
            due_date=date(2026, 3, 13),
            assessed_amount=Decimal("1.00"),
            external_id="bad",
        )
