"""Booking payments: allocation order, art. 55 §2 split, credit, idempotency and races."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eservices import booking
from eservices.allocation import split_proportionally
from eservices.booking import Booking, PaymentToBook, book_payment, book_payments
from eservices.dues import dues, interest_rules, open_item
from eservices.ledger import annotate_installments, ledger_totals
from eservices.models import Installment, Ledger, LedgerEntry, Taxpayer

from . import factories as f

Kind = LedgerEntry.Kind
PAID_ON = date(2026, 6, 30)


@pytest.fixture
def arrears(db):
    """A property-tax ledger with an overdue instalment, a reminder cost and a later one."""
    tp = f.taxpayer()
    led = f.ledger(tp)
    overdue = f.installment(led, "473.00", date(2026, 3, 16), number=1)
    upcoming = f.installment(led, "193.00", date(2026, 9, 15), number=2)
    f.entry(overdue, Kind.REMINDER_COST, reminder_costs="16.00", booked_on=date(2026, 4, 1))
    return tp, led, overdue, upcoming


def _interest(inst: Installment, outstanding: str, on: date) -> Decimal:
    inst.ledger = inst.ledger
    return open_item(inst, Decimal(outstanding)).interest_on(on, interest_rules())


def _outstanding(inst: Installment) -> Decimal:
    return annotate_installments(Installment.objects.filter(pk=inst.pk)).get().outstanding


def test_full_payment_clears_costs_interest_and_principal(arrears):
    tp, led, overdue, upcoming = arrears
    interest = _interest(overdue, "473.00", PAID_ON)
    assert interest > 0
    to_pay = dues(led.__class__.objects.filter(pk=led.pk), PAID_ON).to_pay_today
    assert to_pay == Decimal("473.00") + interest + Decimal("16.00")

    booking = book_payment(tp, to_pay, PAID_ON, "pay-1")

    assert sum((e.amount_paid for e in booking.entries), Decimal(0)) == to_pay
    assert _outstanding(overdue) == 0
    assert _outstanding(upcoming) == Decimal("193.00")  # not touched: arrears were enough
    assert ledger_totals([led.pk])[led.pk]["reminder_costs"] == 0
    paid = LedgerEntry.objects.filter(external_id__startswith="pay-1/", installment=overdue).get()
    assert paid.interest == interest


def test_partial_payment_is_split_in_proportion_art_55(arrears):
    tp, _led, overdue, _ = arrears
    interest = _interest(overdue, "473.00", PAID_ON)
    book_payment(tp, Decimal("216.00"), PAID_ON, "pay-2")  # 16.00 costs + 200.00 split
    to_principal, to_interest = split_proportionally(Decimal("200.00"), Decimal("473.00"), interest)
    entry = LedgerEntry.objects.get(external_id__startswith="pay-2/", installment=overdue)
    assert (-entry.principal, entry.interest) == (to_principal, to_interest)
    assert _outstanding(overdue) == Decimal("473.00") - to_principal


def test_overpayment_stays_as_credit_on_the_ledger(arrears):
    tp, led, _overdue, upcoming = arrears
    total_owed = dues(led.__class__.objects.filter(pk=led.pk), PAID_ON).to_pay_today
    booking = book_payment(tp, total_owed + Decimal("193.00") + Decimal("50.00"), PAID_ON, "p3")
    assert booking.credit == Decimal("50.00")
    assert _outstanding(upcoming) == 0  # current liability paid after the arrears
    assert ledger_totals([led.pk])[led.pk]["credit"] == Decimal("50.00")


def test_booking_the_same_reference_twice_books_once(arrears):
    tp, _led, *_ = arrears
    first = book_payment(tp, Decimal("100.00"), PAID_ON, "gateway-order-42")
    second = book_payment(tp, Decimal("100.00"), PAID_ON, "gateway-order-42")
    assert second.already_booked and not first.already_booked
    assert LedgerEntry.objects.filter(external_id__startswith="gateway-order-42/").count() == len(
        first.entries
    )


def test_designated_ledger_takes_the_payment_even_if_another_is_older(db):
    tp = f.taxpayer()
    older = f.ledger(tp, f.receivable_type("pn-osoby"))
    dog = f.ledger(tp, f.receivable_type("psy", name="Opłata od psów", category="dog_fee"))
    f.installment(older, "300.00", date(2026, 3, 16))
    dog_fee = f.installment(dog, "85.00", date(2026, 3, 31))
    book_payment(tp, Decimal("85.00"), date(2026, 3, 20), "dog", ledger=dog)
    assert _outstanding(dog_fee) == 0


def test_payment_into_the_waste_account_never_pays_taxes(db):
    tp = f.taxpayer()
    tax = f.ledger(tp, f.receivable_type("pn-osoby"))
    waste_type = f.receivable_type(
        "odpady", name="Odpady", category="waste_fee", bank_account="11102010260000190200000001"
    )
    waste = f.ledger(tp, waste_type)
    tax_item = f.installment(tax, "300.00", date(2026, 3, 16))
    f.installment(waste, "36.00", date(2026, 5, 15))
    booking = book_payment(
        tp, Decimal("100.00"), date(2026, 5, 10), "w1", account=waste_type.bank_account
    )
    assert _outstanding(tax_item) == Decimal("300.00")
    assert booking.credit == Decimal("64.00")
    assert {e.ledger_id for e in booking.entries} == {waste.pk}


def test_a_receivable_type_designates_the_first_ledger_of_it_or_none(db):
    tp = f.taxpayer()
    dog_type = f.receivable_type("psy", name="Opłata od psów", category="dog_fee")
    tax = f.ledger(tp, f.receivable_type("pn-osoby"))
    dog, second_dog = f.ledger(tp, dog_type), f.ledger(tp, dog_type)
    tax_item = f.installment(tax, "300.00", date(2026, 3, 16))
    f.installment(dog, "85.00", date(2026, 3, 31))
    f.installment(second_dog, "85.00", date(2026, 2, 28))
    paid = book_payments(
        [PaymentToBook(tp.pk, Decimal("85.00"), PAID_ON, "typed", receivable_type_id=dog_type.pk)]
    )[0]
    # The older tax arrears and the second dog ledger are not touched: the first dog ledger is.
    assert paid.ledger_id == dog.pk
    assert {e.ledger_id for e in paid.entries} == {dog.pk} and paid.credit == 0
    assert _outstanding(tax_item) == Decimal("300.00")
    # A type the taxpayer has no ledger of designates nothing: the oldest arrears are paid.
    waste_type = f.receivable_type("odpady", name="Odpady", category="waste_fee")
    untyped = book_payments(
        [
            PaymentToBook(
                tp.pk, Decimal("50.00"), PAID_ON, "untyped", receivable_type_id=waste_type.pk
            )
        ]
    )[0]
    assert untyped.ledger_id is None
    assert {e.ledger_id for e in untyped.entries} == {second_dog.pk}


@pytest.mark.parametrize(
    ("amount", "reference", "message"),
    [("0", "r", "positive"), ("-5", "r", "positive"), ("10", "", "reference")],
)
def test_bad_input_is_refused_and_books_nothing(arrears, amount, reference, message):
    tp, *_ = arrears
    before = LedgerEntry.objects.count()
    with pytest.raises(ValueError, match=message):
        book_payment(tp, Decimal(amount), PAID_ON, reference)
    assert LedgerEntry.objects.count() == before


def test_a_foreign_ledger_cannot_be_designated(arrears):
    tp, *_ = arrears
    other = f.ledger(f.taxpayer())
    with pytest.raises(ValueError, match="does not belong"):
        book_payment(tp, Decimal("10.00"), PAID_ON, "x", ledger=other)


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_for_one_taxpayer_never_overallocate():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers anyway")
    tp = f.taxpayer()
    led = f.ledger(tp)
    inst = f.installment(led, "100.00", date(2026, 9, 15))
    barrier = threading.Barrier(4)
    errors = []

    def pay(n: int) -> None:
        try:
            barrier.wait()
            book_payment(tp, Decimal("60.00"), date(2026, 9, 1), f"race-{n % 2}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # Two distinct payments of 60.00 (each sent twice): 100.00 paid off, 20.00 credit.
    assert _outstanding(inst) == 0
    assert ledger_totals([led.pk])[led.pk]["credit"] == Decimal("20.00")
    assert LedgerEntry.objects.filter(kind=Kind.PAYMENT).count() == 3


def _payer_with_history() -> tuple:
    """Two receivables, arrears with a reminder cost, one instalment not yet due."""
    tp = f.taxpayer()
    tax = f.ledger(tp, f.receivable_type("pn-osoby"))
    dog = f.ledger(tp, f.receivable_type("psy", name="Opłata od psów", category="dog_fee"))
    first = f.installment(tax, "473.00", date(2026, 3, 16), number=1)
    f.installment(tax, "473.00", date(2026, 5, 15), number=2)
    f.installment(dog, "85.00", date(2026, 3, 16), number=1)
    f.installment(tax, "193.00", date(2026, 9, 15), number=3)
    f.entry(first, Kind.REMINDER_COST, reminder_costs="16.00", booked_on=date(2026, 4, 1))
    return tp, tax, dog


def _plan(tp, tax, dog, tag: str) -> list[PaymentToBook]:
    """Partial, designated, repeated and refused payments, several per taxpayer."""
    return [
        PaymentToBook(tp.pk, Decimal("216.00"), date(2026, 6, 30), f"{tag}-1"),
        PaymentToBook(tp.pk, Decimal("85.00"), date(2026, 7, 2), f"{tag}-2", ledger_id=dog.pk),
        PaymentToBook(tp.pk, Decimal("0.00"), date(2026, 7, 3), f"{tag}-bad"),
        PaymentToBook(tp.pk, Decimal("300.00"), date(2026, 7, 10), f"{tag}-3"),
        PaymentToBook(tp.pk, Decimal("300.00"), date(2026, 7, 10), f"{tag}-3"),
        PaymentToBook(tp.pk, Decimal("2000.00"), date(2026, 8, 1), f"{tag}-4", ledger_id=tax.pk),
    ]


def _entries(tp) -> list[tuple]:
    rows = LedgerEntry.objects.filter(ledger__taxpayer=tp, kind=Kind.PAYMENT).order_by(
        "external_id"
    )
    return [
        (
            e.external_id.split("-", 1)[1],
            e.ledger.receivable_type.code,
            e.installment.number if e.installment else None,
            e.booked_on,
            e.principal,
            e.interest,
            e.reminder_costs,
        )
        for e in rows
    ]


@pytest.mark.parametrize("chunk", [5000, 1])
def test_book_payments_books_what_one_by_one_booking_would(db, monkeypatch, chunk):
    monkeypatch.setattr(booking, "CHUNK", chunk)  # across chunk boundaries too
    one_by_one, together = _payer_with_history(), _payer_with_history()
    refused = []
    for payment in _plan(*one_by_one, "a"):
        try:
            book_payment(
                Taxpayer.objects.get(pk=payment.taxpayer_id),
                payment.amount,
                payment.paid_on,
                payment.reference,
                ledger=Ledger.objects.get(pk=payment.ledger_id) if payment.ledger_id else None,
            )
        except ValueError as error:
            refused.append(str(error))
    # Interleaved with another taxpayer's payments, as statement lines come.
    other = _payer_with_history()
    plan = [p for pair in zip(_plan(*together, "b"), _plan(*other, "o"), strict=True) for p in pair]
    results = book_payments(plan)

    assert _entries(together[0]) == _entries(one_by_one[0])
    assert len(_entries(together[0])) > 5  # split, credit, designated: a real history
    assert [str(r) for r in results if isinstance(r, ValueError)] == refused * 2
    repeated = [r for r in results if isinstance(r, Booking) and r.already_booked]
    assert len(repeated) == 2  # each taxpayer's "-3" a second time
    assert _entries(other[0]) == [(row[0], *row[1:]) for row in _entries(one_by_one[0])]


def test_book_payments_takes_the_same_queries_for_ten_or_a_hundred_taxpayers(db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite splits a bulk insert by its limit on query parameters")

    def queries(count: int) -> int:
        payers = [_payer_with_history() for _ in range(count)]
        plan = [
            PaymentToBook(tp.pk, Decimal("100.00"), PAID_ON, f"q{count}-{tp.pk}")
            for tp, _, _ in payers
        ]
        with CaptureQueriesContext(connection) as captured:
            results = book_payments(plan)
        assert all(isinstance(r, Booking) and r.entries for r in results)
        return len(captured)

    assert queries(10) == queries(100)
