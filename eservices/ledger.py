"""Balances derived from the append-only ledger, computed in SQL.

Nothing stores a balance: every figure here is a sum over ``LedgerEntry`` deltas, so it can
never disagree with the entries it comes from.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import Installment, LedgerEntry
from .money import round_grosz

Kind = LedgerEntry.Kind
_MONEY = DecimalField(max_digits=14, decimal_places=2)
_ZERO = Value(Decimal("0.00"), output_field=_MONEY)


def _sum(field: str, condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum(field, filter=condition, output_field=_MONEY), _ZERO)


def annotate_installments(
    queryset: QuerySet[Installment], through: date | None = None
) -> QuerySet[Installment]:
    """Add ``charged``, ``principal_paid``, ``outstanding`` and ``interest_paid`` to each row.

    charged: przypis − odpis (the assessment as it stands);
    principal_paid: principal settled by payments, re-bookings and refunds (net);
    outstanding: what remains of the principal (negative = overpaid instalment).
    With ``through``, only entries booked on or before that day count (a balance as of a day).
    """
    booked = Q(entries__booked_on__lte=through) if through else Q()
    return queryset.annotate(
        charged=_sum(
            "entries__principal", booked & Q(entries__kind__in=[Kind.CHARGE, Kind.WRITE_DOWN])
        ),
        principal_paid=-_sum(
            "entries__principal",
            booked & Q(entries__kind__in=[Kind.PAYMENT, Kind.REFUND, Kind.TRANSFER]),
        ),
        outstanding=_sum("entries__principal", booked or None),
        interest_paid=_sum("entries__interest", booked & Q(entries__kind=Kind.PAYMENT)),
    )


def ledger_totals(
    ledger_ids: list[int], through: date | None = None
) -> dict[int, dict[str, Decimal]]:
    """Per ledger: reminder costs still owed and credit not assigned to an instalment.

    One query for any number of ledgers; ``through`` as in `annotate_installments`.
    """
    entries = LedgerEntry.objects.filter(ledger_id__in=ledger_ids)
    if through:
        entries = entries.filter(booked_on__lte=through)
    rows = entries.values("ledger_id").annotate(
        reminder_costs=_sum("reminder_costs"),
        unassigned=_sum("principal", Q(installment__isnull=True)),
    )
    totals = {
        pk: {"reminder_costs": Decimal("0.00"), "credit": Decimal("0.00")} for pk in ledger_ids
    }
    for row in rows:
        totals[row["ledger_id"]] = {
            "reminder_costs": round_grosz(row["reminder_costs"]),
            # Credit is the overpayment left on the ledger: a negative principal delta.
            "credit": round_grosz(max(-row["unassigned"], Decimal("0.00"))),
        }
    return totals
