"""Booking a payment onto a taxpayer's ledgers: the functions every money path calls.

Online payments, bank-statement lines and counter payments all end here. The payment is
allocated by `eservices.allocation.allocate_payment` (OP art. 62 order, art. 55 §2 split) and
written as append-only `wpłata` entries. Booking is idempotent — the caller's ``reference``
(gateway order id, statement line hash) names the entries — and race-safe: the taxpayer's
ledgers are locked, so two workers booking the same or different payments for one taxpayer
never allocate against the same stale balance.

`book_payments` books many payments (a bank statement's 100,000 lines) with a handful of
queries per chunk instead of a dozen per payment, and gives exactly what `book_payment` called
for each in turn would: a taxpayer's payments are booked one round at a time, each round
reading the balances the previous one left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from .allocation import Allocation, OpenItem, allocate_payment
from .bulk import any_of, insert_rows
from .dues import interest_rules
from .interest import InterestRegime, InterestRules
from .models import Installment, Ledger, LedgerEntry, Taxpayer
from .money import ZERO, money, round_grosz

Kind = LedgerEntry.Kind
#: Payments booked per round trip: bounds the rows held in memory.
CHUNK = 5000
REGIMES = {regime.value: regime for regime in InterestRegime}


@dataclass(frozen=True)
class Booking:
    reference: str
    entries: list[LedgerEntry]
    allocation: Allocation | None
    already_booked: bool = False

    @property
    def credit(self) -> Decimal:
        return self.allocation.credit if self.allocation else ZERO


@dataclass(frozen=True)
class PaymentToBook:
    """One payment for `book_payments`; the fields are `book_payment`'s arguments."""

    taxpayer_id: int
    amount: Decimal
    paid_on: date
    reference: str
    ledger: Ledger | None = None
    account: str | None = None
    document: str = ""


@dataclass(frozen=True)
class _Ledger:
    """What booking needs of a ledger (no model instance: a statement locks 250,000)."""

    pk: int
    taxpayer_id: int
    account: str
    regime: InterestRegime


def open_items(ledgers: Sequence[_Ledger]) -> tuple[list[OpenItem], dict[object, int]]:
    """The open items of ``ledgers`` and the ledger each belongs to.

    Instalments with principal outstanding, earliest due first (as `eservices.dues.open_item`
    shows them to the resident); then each ledger's reminder costs as a ledger-level item.
    Two aggregate queries for any number of ledgers.
    """
    by_id = {ledger.pk: ledger for ledger in ledgers}
    ledger_of: dict[object, int] = {}
    items: list[OpenItem] = []
    rows = (
        Installment.objects.filter(ledger_id__in=any_of(by_id))
        .annotate(outstanding=Sum("entries__principal"))
        .filter(outstanding__gt=0)
        .order_by("due_date", "number", "pk")
        .values_list("pk", "ledger_id", "due_date", "outstanding")
    )
    for pk, ledger_id, due_date, outstanding in rows:
        ledger = by_id[ledger_id]
        ledger_of[pk] = ledger_id
        items.append(
            OpenItem(
                item_id=pk,
                due_date=due_date,
                principal=outstanding,
                receivable=str(ledger_id),
                account=ledger.account,
                regime=ledger.regime,
            )
        )
    for ledger_id, owed in _reminder_costs(by_id).items():
        if owed > 0:
            item_id = f"rc-{ledger_id}"
            ledger_of[item_id] = ledger_id
            items.append(
                OpenItem(
                    item_id=item_id,
                    due_date=date.min,
                    principal=ZERO,
                    receivable=str(ledger_id),
                    account=by_id[ledger_id].account,
                    reminder_costs=owed,
                )
            )
    return items, ledger_of


def _reminder_costs(ledger_ids: Iterable[int]) -> dict[int, Decimal]:
    """Reminder costs still owed, per ledger that has entries with any, in primary-key order
    (as `eservices.ledger.ledger_totals` reckons them; an index holds just those entries)."""
    rows = (
        LedgerEntry.objects.filter(~Q(reminder_costs=0), ledger_id__in=any_of(ledger_ids))
        .values("ledger_id")
        .annotate(owed=Sum("reminder_costs"))
        .order_by("ledger_id")
    )
    return {row["ledger_id"]: round_grosz(row["owed"]) for row in rows}


def _check(payment: PaymentToBook) -> PaymentToBook:
    amount = money(payment.amount)
    if amount <= 0:
        raise ValueError("A payment must be positive.")
    if not payment.reference or len(payment.reference) > 70:
        raise ValueError("A booking reference of 1 to 70 characters is required.")
    return replace(payment, amount=amount)


def book_payment(
    taxpayer: Taxpayer,
    amount: Decimal,
    paid_on: date,
    reference: str,
    *,
    ledger: Ledger | None = None,
    account: str | None = None,
    document: str = "",
) -> Booking:
    """Allocate ``amount`` paid on ``paid_on`` and book it. Booking ``reference`` again is a no-op.

    ``ledger`` is the designated receivable (the payer named it, or paid into its virtual
    account); ``account`` keeps the allocation within one bank account. Credit left over is
    booked on the designated ledger, or the first ledger in scope, as an unassigned payment.
    Raises ValueError for a payment that cannot be booked (nothing is written then).
    """
    payment = PaymentToBook(taxpayer.pk, amount, paid_on, reference, ledger, account, document)
    result = book_payments([payment])[0]
    if isinstance(result, ValueError):
        raise result
    return result


@transaction.atomic
def book_payments(payments: Sequence[PaymentToBook]) -> list[Booking | ValueError]:
    """Book ``payments`` in order; per payment, its `Booking` or the ValueError that refused it.

    The same as `book_payment` for each in turn (a refused one books nothing), in a few queries
    per chunk of `CHUNK` payments. A taxpayer's second payment goes in the next round, after
    its first is written, so it is allocated against the balance the first one left.
    """
    results: list[Booking | ValueError | None] = [None] * len(payments)
    rounds: list[list[tuple[int, PaymentToBook]]] = []
    # The next free round per taxpayer and per reference (a repeated reference then finds
    # the first one's entries and is a no-op, as it would be one call later).
    next_round: dict[object, int] = defaultdict(int)
    for index, payment in enumerate(payments):
        try:
            payment = _check(payment)
        except ValueError as error:
            results[index] = error
            continue
        keys = (("taxpayer", payment.taxpayer_id), ("reference", payment.reference))
        turn = max(next_round[key] for key in keys)
        for key in keys:
            next_round[key] = turn + 1
        while len(rounds) <= turn:
            rounds.append([])
        rounds[turn].append((index, payment))
    rules = interest_rules()
    for batch in rounds:
        for start in range(0, len(batch), CHUNK):
            chunk = batch[start : start + CHUNK]
            booked = _book_chunk([payment for _, payment in chunk], rules)
            for (index, _), result in zip(chunk, booked, strict=True):
                results[index] = result
    return results  # type: ignore[return-value]


def _book_chunk(payments: list[PaymentToBook], rules: InterestRules) -> list[Booking | ValueError]:
    """Book payments of distinct taxpayers: lock, check references, allocate, insert."""
    # Lock the taxpayers' ledgers (only the ledger rows, in primary-key order so that two
    # imports never deadlock): concurrent bookings for one taxpayer queue up here.
    ledgers_of: dict[int, list[_Ledger]] = defaultdict(list)
    rows = (
        Ledger.objects.select_for_update(of=("self",))
        .filter(taxpayer_id__in=any_of({p.taxpayer_id for p in payments}))
        .order_by("pk")
        .values_list(
            "pk", "taxpayer_id", "receivable_type__bank_account", "receivable_type__interest_regime"
        )
    )
    for pk, taxpayer_id, account, regime in rows:
        ledgers_of[taxpayer_id].append(_Ledger(pk, taxpayer_id, account, REGIMES[regime]))
    # Every booking writes entry ``<reference>/0`` first, so that entry tells a booked one.
    booked = set(
        LedgerEntry.objects.filter(
            external_id__in=[f"{p.reference}/0" for p in payments]
        ).values_list("external_id", flat=True)
    )
    ledgers = [led for leds in ledgers_of.values() for led in leds]
    items, ledger_of = open_items(ledgers)
    owner = {led.pk: led.taxpayer_id for led in ledgers}
    items_of: dict[int, list[OpenItem]] = defaultdict(list)
    for item in items:  # per taxpayer, in the order `open_items` gives
        items_of[owner[ledger_of[item.item_id]]].append(item)

    results: list[Booking | ValueError] = []
    entries: list[LedgerEntry] = []
    for payment in payments:
        if f"{payment.reference}/0" in booked:
            existing = list(
                LedgerEntry.objects.filter(external_id__startswith=f"{payment.reference}/")
            )
            results.append(Booking(payment.reference, existing, None, already_booked=True))
            continue
        try:
            booking = _allocate(
                payment,
                ledgers_of[payment.taxpayer_id],
                items_of[payment.taxpayer_id],
                ledger_of,
                rules,
            )
        except ValueError as error:
            results.append(error)
            continue
        results.append(booking)
        entries.extend(booking.entries)
    insert_rows(entries)
    return results


def _allocate(
    payment: PaymentToBook,
    ledgers: list[_Ledger],
    items: list[OpenItem],
    ledger_of: dict[object, int],
    rules: InterestRules,
) -> Booking:
    designated = payment.ledger.pk if payment.ledger is not None else None
    if designated is not None and designated not in {led.pk for led in ledgers}:
        raise ValueError("The designated ledger does not belong to this taxpayer.")
    if payment.account is not None:
        ledgers = [led for led in ledgers if led.account == payment.account]
    if not ledgers:
        raise ValueError("The taxpayer has no ledger this payment could be booked on.")
    in_scope = {str(led.pk) for led in ledgers}
    allocation = allocate_payment(
        payment.amount,
        payment.paid_on,
        [item for item in items if item.receivable in in_scope],
        designation=str(designated) if designated else None,
        rules=rules,
    )
    entries = []
    for part in allocation.items:
        if not part.total:
            continue
        entries.append(
            LedgerEntry(
                ledger_id=ledger_of[part.item_id],
                installment_id=None if isinstance(part.item_id, str) else part.item_id,
                kind=Kind.PAYMENT,
                booked_on=payment.paid_on,
                principal=-part.principal,
                interest=part.interest,
                reminder_costs=-part.reminder_costs,
                document=payment.document,
            )
        )
    if allocation.credit:
        entries.append(
            LedgerEntry(
                ledger_id=designated or ledgers[0].pk,
                installment_id=None,
                kind=Kind.PAYMENT,
                booked_on=payment.paid_on,
                principal=-allocation.credit,
                document=payment.document,
            )
        )
    for number, entry in enumerate(entries):
        entry.external_id = f"{payment.reference}/{number}"
    return Booking(payment.reference, entries, allocation)
