"""Booking a payment onto a taxpayer's ledgers: the functions every money path calls.

Online payments, bank-statement lines and counter payments all end here. The payment is
allocated by `eservices.allocation.allocate_payment` (OP art. 62 order, art. 55 §2 split) and
written as append-only `wpłata` entries. Booking is idempotent — the caller's ``reference``
(gateway order id, statement line hash) names the entries — and race-safe: the taxpayer's
ledgers are locked, so two workers booking the same or different payments for one taxpayer
never allocate against the same stale balance.

`book_payments` books many payments (a bank statement's 100,000 lines) with a handful of
queries per thousands of taxpayers instead of a dozen per payment, and gives exactly what
`book_payment` called for each in turn would: after each payment the taxpayer's open items are
reduced by what it paid, so the next one is allocated against the balance it left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from .allocation import Allocation, OpenItem, allocate_payment, reachable_items
from .bulk import any_of, row_writer
from .dues import interest_rules
from .interest import InterestRegime, InterestRules
from .models import Installment, Ledger, LedgerEntry, Taxpayer
from .money import ZERO, money, round_grosz

Kind = LedgerEntry.Kind
#: Taxpayers whose ledgers one query locks and one reads the open items of.
CHUNK = 5000
REGIMES = {regime.value: regime for regime in InterestRegime}


#: What a booking writes per entry, in this order (`eservices.bulk.row_writer`).
ENTRY_FIELDS = (
    "ledger_id",
    "installment_id",
    "kind",
    "booked_on",
    "principal",
    "interest",
    "reminder_costs",
    "document",
    "external_id",
    "created_at",
)

_EXTERNAL_ID = ENTRY_FIELDS.index("external_id")


@dataclass(frozen=True, eq=False)
class Booking:
    """A booked payment: its reference, the allocation and the entries written for it.

    The entries are kept as the rows that were written; `entries` makes model instances of
    them when asked (a statement books 150,000 entries and needs only their ids).
    """

    reference: str
    allocation: Allocation | None
    already_booked: bool = False
    rows: tuple[tuple, ...] = ()
    saved: tuple[LedgerEntry, ...] | None = None
    ledger_id: int | None = None  # the ledger the payment was designated to, if any

    @property
    def credit(self) -> Decimal:
        return self.allocation.credit if self.allocation else ZERO

    @property
    def external_ids(self) -> list[str]:
        if self.saved is not None:
            return [entry.external_id for entry in self.saved]
        return [row[_EXTERNAL_ID] for row in self.rows]

    @cached_property
    def entries(self) -> list[LedgerEntry]:
        if self.saved is not None:
            return list(self.saved)
        entries = [LedgerEntry(**dict(zip(ENTRY_FIELDS, row, strict=True))) for row in self.rows]
        for entry in entries:
            entry._state.adding = False
        return entries


class PaymentToBook(NamedTuple):
    """One payment for `book_payments`; the fields are `book_payment`'s arguments, the
    designated ledger by its primary key. ``receivable_type_id`` designates the taxpayer's
    first ledger of that type instead (a virtual account names the type); where there is
    none, neither it nor ``account`` limits the allocation."""

    taxpayer_id: int
    amount: Decimal
    paid_on: date
    reference: str
    ledger_id: int | None = None
    account: str | None = None
    document: str = ""
    receivable_type_id: int | None = None


class _Ledger(NamedTuple):
    """What booking needs of a ledger (no model instance: a statement locks 250,000)."""

    pk: int
    taxpayer_id: int
    receivable_type_id: int
    account: str
    regime: InterestRegime


def _lock_ledgers(taxpayer_ids: Sequence[int]) -> dict[int, list[_Ledger]]:
    """Lock the taxpayers' ledgers (only the ledger rows, in primary-key order, so that two
    bookings never deadlock): concurrent bookings for one taxpayer queue up here."""
    ledgers_of: dict[int, list[_Ledger]] = defaultdict(list)
    rows = (
        Ledger.objects.select_for_update(of=("self",))
        .filter(taxpayer_id__in=any_of(taxpayer_ids))
        .order_by("pk")
        .values_list(
            "pk",
            "taxpayer_id",
            "receivable_type_id",
            "receivable_type__bank_account",
            "receivable_type__interest_regime",
        )
    )
    for pk, taxpayer_id, type_id, account, regime in rows:
        ledgers_of[taxpayer_id].append(_Ledger(pk, taxpayer_id, type_id, account, REGIMES[regime]))
    return ledgers_of


def open_items(ledgers: Sequence[_Ledger]) -> list[OpenItem]:
    """The open items of ``ledgers``; ``receivable`` is the ledger's primary key (as text).

    Instalments with principal outstanding, earliest due first (as `eservices.dues.open_item`
    shows them to the resident); then each ledger's reminder costs as a ledger-level item.
    Three queries for any number of ledgers.
    """
    by_id = {ledger.pk: ledger for ledger in ledgers}
    items: list[OpenItem] = []
    # Summed per instalment first, then only the open instalments read: about half the time
    # of summing over a join from the instalments (an entry is on its instalment's ledger).
    outstanding = dict(
        LedgerEntry.objects.filter(ledger_id__in=any_of(by_id), installment__isnull=False)
        .order_by()
        .values("installment_id")
        .annotate(owed=Sum("principal"))
        .filter(owed__gt=0)
        .values_list("installment_id", "owed")
    )
    rows = (
        Installment.objects.filter(pk__in=any_of(outstanding))
        .order_by()  # sorted below
        .values_list("pk", "ledger_id", "due_date", "number")
    )
    for pk, ledger_id, due_date, _number in sorted(rows, key=lambda row: (row[2], row[3], row[0])):
        ledger = by_id[ledger_id]
        items.append(
            OpenItem(
                item_id=pk,
                due_date=due_date,
                principal=outstanding[pk],
                receivable=str(ledger_id),
                account=ledger.account,
                regime=ledger.regime,
            )
        )
    for ledger_id, owed in _reminder_costs(by_id).items():
        if owed > 0:
            items.append(
                OpenItem(
                    item_id=f"rc-{ledger_id}",
                    due_date=date.min,
                    principal=ZERO,
                    receivable=str(ledger_id),
                    account=by_id[ledger_id].account,
                    reminder_costs=owed,
                )
            )
    return items


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


def _booked(references: Iterable[str]) -> dict[str, tuple[LedgerEntry, ...]]:
    """The entries of the references booked before, by reference. Every booking writes entry
    ``<reference>/0`` first, so that entry tells a booked one (one query when none is)."""
    firsts = any_of([f"{reference}/0" for reference in references], "text")
    found = LedgerEntry.objects.filter(external_id__in=firsts).order_by()
    return {
        reference: tuple(LedgerEntry.objects.filter(external_id__startswith=f"{reference}/"))
        for reference in (
            external_id.removesuffix("/0")
            for external_id in found.values_list("external_id", flat=True)
        )
    }


def _check(payment: PaymentToBook) -> PaymentToBook:
    amount = money(payment.amount)
    if amount <= 0:
        raise ValueError("A payment must be positive.")
    if not payment.reference or len(payment.reference) > 70:
        raise ValueError("A booking reference of 1 to 70 characters is required.")
    return payment if amount is payment.amount else payment._replace(amount=amount)


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
    payment = PaymentToBook(
        taxpayer.pk, amount, paid_on, reference, ledger.pk if ledger else None, account, document
    )
    result = book_payments([payment])[0]
    if isinstance(result, ValueError):
        raise result
    return result


@transaction.atomic
def book_payments(payments: Sequence[PaymentToBook]) -> list[Booking | ValueError]:
    """Book ``payments`` in order; per payment, its `Booking` or the ValueError that refused it.

    The same as `book_payment` for each in turn (a refused one books nothing). All taxpayers'
    ledgers are locked and their open items read first, a few queries per `CHUNK` taxpayers;
    then each payment is allocated and its entries streamed to the database, and the
    taxpayer's open items are reduced by what it paid, as reading them again would give.
    """
    results: list[Booking | ValueError | None] = [None] * len(payments)
    checked: list[tuple[int, PaymentToBook]] = []
    for index, payment in enumerate(payments):
        try:
            checked.append((index, _check(payment)))
        except ValueError as error:
            results[index] = error
    # Taxpayers in key order: each chunk reads neighbouring ledgers, instalments and entries,
    # and every booking takes its locks in the same order.
    taxpayers = sorted({payment.taxpayer_id for _, payment in checked})
    if len(taxpayers) > CHUNK // 10 and connection.vendor == "postgresql":
        # Summing a chunk's entries per instalment takes some 20 MB: in the default 4 MB the
        # server would spill it to disk. For the rest of this (the booking) transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    ledgers_of: dict[int, list[_Ledger]] = {}
    items_of: dict[int, list[OpenItem]] = defaultdict(list)
    for start in range(0, len(taxpayers), CHUNK):
        locked = _lock_ledgers(taxpayers[start : start + CHUNK])
        ledgers_of.update(locked)
        owner = {led.pk: led.taxpayer_id for leds in locked.values() for led in leds}
        for item in open_items([led for leds in locked.values() for led in leds]):
            items_of[owner[int(item.receivable)]].append(item)
    booked: dict[str, Booking] = {
        reference: Booking(reference, None, already_booked=True, saved=entries)
        for reference, entries in _booked({p.reference for _, p in checked}).items()
    }
    rules = interest_rules()
    now = timezone.now()
    with row_writer(LedgerEntry, ENTRY_FIELDS) as write:
        for index, payment in checked:
            earlier = booked.get(payment.reference)
            if earlier is not None:
                results[index] = replace(earlier, already_booked=True)
                continue
            taxpayer_id = payment.taxpayer_id
            try:
                booking = _allocate(
                    payment, ledgers_of.get(taxpayer_id, ()), items_of[taxpayer_id], rules, now
                )
            except ValueError as error:
                results[index] = error
                continue
            for row in booking.rows:
                write(row)
            items_of[taxpayer_id] = _after(items_of[taxpayer_id], booking.allocation)
            booked[payment.reference] = results[index] = booking
    return results  # type: ignore[return-value]


def _after(items: list[OpenItem], allocation: Allocation) -> list[OpenItem]:
    """The open items as `open_items` would read them once the allocation is booked: less
    principal (or reminder costs) where it paid, settled items gone."""
    paid = {part.item_id: part for part in allocation.items}
    left = []
    for item in items:
        part = paid.get(item.item_id)
        if part is None or not (part.principal or part.reminder_costs):
            left.append(item)
        elif item.reminder_costs:
            rest = item.reminder_costs - part.reminder_costs
            if rest > 0:
                left.append(replace(item, reminder_costs=rest))
        else:
            rest = item.principal - part.principal
            if rest > 0:
                left.append(replace(item, principal=rest))
    return left


def _allocate(
    payment: PaymentToBook,
    ledgers: Sequence[_Ledger],
    items: list[OpenItem],
    rules: InterestRules,
    now: datetime,
) -> Booking:
    designated, account = payment.ledger_id, payment.account
    if designated is not None and not any(led.pk == designated for led in ledgers):
        raise ValueError("The designated ledger does not belong to this taxpayer.")
    if designated is None and payment.receivable_type_id is not None:
        # Ledgers come in primary-key order: the first of the type.
        of_type = (
            led.pk for led in ledgers if led.receivable_type_id == payment.receivable_type_id
        )
        designated = next(of_type, None)
        if designated is None:
            account = None
    if account is not None:
        ledgers = [led for led in ledgers if led.account == account]
    if not ledgers:
        raise ValueError("The taxpayer has no ledger this payment could be booked on.")
    in_scope = {str(led.pk) for led in ledgers}
    if designated:
        in_scope &= {str(designated)}
    scope = reachable_items([item for item in items if item.receivable in in_scope], payment.amount)
    allocation = allocate_payment(
        payment.amount,
        payment.paid_on,
        scope,
        designation=str(designated) if designated else None,
        rules=rules,
    )
    ledger_of = {item.item_id: int(item.receivable) for item in scope}
    reference, paid_on, document = payment.reference, payment.paid_on, payment.document
    rows = []
    for part in allocation.items:
        if not part.total:
            continue
        item_id = part.item_id
        rows.append(
            (
                ledger_of[item_id],
                None if isinstance(item_id, str) else item_id,
                Kind.PAYMENT,
                paid_on,
                -part.principal,
                part.interest,
                -part.reminder_costs,
                document,
                f"{reference}/{len(rows)}",
                now,
            )
        )
    if allocation.credit:
        rows.append(
            (
                designated or ledgers[0].pk,
                None,
                Kind.PAYMENT,
                paid_on,
                -allocation.credit,
                ZERO,
                ZERO,
                document,
                f"{reference}/{len(rows)}",
                now,
            )
        )
    return Booking(reference, allocation, rows=tuple(rows), ledger_id=designated)
