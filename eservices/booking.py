"""Booking a payment onto a taxpayer's ledgers: the one function every money path calls.

Online payments, bank-statement lines and counter payments all end here. The payment is
allocated by `eservices.allocation.allocate_payment` (OP art. 62 order, art. 55 §2 split) and
written as append-only `wpłata` entries. Booking is idempotent — the caller's ``reference``
(gateway order id, statement line hash) names the entries — and race-safe: the taxpayer's
ledgers are locked, so two workers booking the same or different payments for one taxpayer
never allocate against the same stale balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from .allocation import Allocation, OpenItem, allocate_payment
from .dues import interest_rules, open_item
from .ledger import annotate_installments, ledger_totals
from .models import Installment, Ledger, LedgerEntry, Taxpayer
from .money import ZERO, money

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class Booking:
    reference: str
    entries: list[LedgerEntry]
    allocation: Allocation | None
    already_booked: bool = False

    @property
    def credit(self) -> Decimal:
        return self.allocation.credit if self.allocation else ZERO


def _reminder_item(ledger: Ledger, amount: Decimal, due: date) -> OpenItem:
    return OpenItem(
        item_id=f"rc-{ledger.pk}",
        due_date=due,
        principal=ZERO,
        receivable=str(ledger.pk),
        account=ledger.receivable_type.bank_account,
        reminder_costs=amount,
    )


def open_items(ledgers: list[Ledger]) -> tuple[list[OpenItem], dict[int, Installment]]:
    """The open items of ``ledgers``; reminder costs ride on a ledger-level item."""
    by_id = {ledger.pk: ledger for ledger in ledgers}
    installments = {}
    items: list[OpenItem] = []
    rows = annotate_installments(Installment.objects.filter(ledger_id__in=by_id)).filter(
        outstanding__gt=0
    )
    for inst in rows.order_by("due_date", "number", "pk"):
        inst.ledger = by_id[inst.ledger_id]
        installments[inst.pk] = inst
        items.append(open_item(inst, inst.outstanding))
    for ledger_id, totals in ledger_totals(list(by_id)).items():
        if totals["reminder_costs"] > 0:
            items.append(_reminder_item(by_id[ledger_id], totals["reminder_costs"], date.min))
    return items, installments


@transaction.atomic
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
    """
    amount = money(amount)
    if amount <= 0:
        raise ValueError("A payment must be positive.")
    if not reference or len(reference) > 70:
        raise ValueError("A booking reference of 1 to 70 characters is required.")
    prefix = f"{reference}/"
    # Lock the taxpayer's ledgers: concurrent bookings for one taxpayer queue up here.
    ledgers = list(
        Ledger.objects.select_for_update()
        .filter(taxpayer=taxpayer)
        .select_related("receivable_type")
        .order_by("pk")
    )
    existing = list(LedgerEntry.objects.filter(external_id__startswith=prefix))
    if existing:
        return Booking(reference, existing, allocation=None, already_booked=True)
    if ledger is not None and ledger.pk not in {led.pk for led in ledgers}:
        raise ValueError("The designated ledger does not belong to this taxpayer.")
    if account is not None:
        ledgers = [led for led in ledgers if led.receivable_type.bank_account == account]
    if not ledgers:
        raise ValueError("The taxpayer has no ledger this payment could be booked on.")

    items, installments = open_items(ledgers)
    allocation = allocate_payment(
        amount,
        paid_on,
        items,
        designation=str(ledger.pk) if ledger else None,
        rules=interest_rules(),
    )
    by_id = {led.pk: led for led in ledgers}
    entries = []
    for part in allocation.items:
        if not part.total:
            continue
        inst = installments.get(part.item_id)
        target = inst.ledger if inst else by_id[int(str(part.item_id).removeprefix("rc-"))]
        entries.append(
            LedgerEntry(
                ledger=target,
                installment=inst,
                kind=Kind.PAYMENT,
                booked_on=paid_on,
                principal=-part.principal,
                interest=part.interest,
                reminder_costs=-part.reminder_costs,
                document=document,
            )
        )
    if allocation.credit:
        credit_ledger = ledger or ledgers[0]
        entries.append(
            LedgerEntry(
                ledger=credit_ledger,
                installment=None,
                kind=Kind.PAYMENT,
                booked_on=paid_on,
                principal=-allocation.credit,
                document=document,
            )
        )
    for number, entry in enumerate(entries):
        entry.external_id = f"{prefix}{number}"
    LedgerEntry.objects.bulk_create(entries)
    return Booking(reference, entries, allocation)
