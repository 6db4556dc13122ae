"""What a taxpayer owes as of a day: per instalment, per ledger and in total.

Shared by the resident's dues pages, the printable statement and the checkout, so that every
screen shows the same figures. Interest is computed with the same `OpenItem` the payment
allocation uses: paying the shown amount today settles the shown arrears.

Query count is fixed: ledgers, annotated instalments, ledger totals and the two rate tables,
however many instalments there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.db.models import QuerySet

from .allocation import OpenItem
from .interest import InterestRegime, InterestRules, RatePeriod, ThresholdPeriod
from .ledger import annotate_installments, ledger_totals
from .models import Installment, InterestRate, Ledger, NoInterestThreshold
from .money import ZERO


def interest_rules() -> InterestRules:
    """The interest rules from the administrators' tables (seeded by migration)."""
    tax: list[RatePeriod] = []
    civil: list[RatePeriod] = []
    commercial: list[RatePeriod] = []
    tables = {"tax": tax, "civil_statutory": civil, "commercial": commercial}
    for row in InterestRate.objects.order_by("valid_from"):
        tables[row.regime].append(
            RatePeriod(
                valid_from=row.valid_from,
                annual_rate=row.annual_rate,
                reduced_rate=row.reduced_rate,
                increased_rate=row.increased_rate,
                source=row.legal_source,
            )
        )
    thresholds = [
        ThresholdPeriod(t.valid_from, t.amount, t.legal_source)
        for t in NoInterestThreshold.objects.order_by("valid_from")
    ]
    return InterestRules(
        tax_rates=tuple(tax),
        civil_rates=tuple(civil),
        commercial_rates=tuple(commercial),
        thresholds=tuple(thresholds),
    )


class Status(StrEnum):
    PAID = "paid"
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    UPCOMING = "upcoming"
    OVERPAID = "overpaid"


@dataclass(frozen=True)
class InstallmentDues:
    installment: Installment
    charged: Decimal
    paid: Decimal
    outstanding: Decimal
    interest: Decimal
    status: Status

    @property
    def to_pay(self) -> Decimal:
        """What settles this instalment today: outstanding principal plus interest."""
        return max(self.outstanding, ZERO) + self.interest


@dataclass(frozen=True)
class LedgerDues:
    ledger: Ledger
    installments: list[InstallmentDues]
    reminder_costs: Decimal
    credit: Decimal

    @property
    def overdue(self) -> list[InstallmentDues]:
        return [i for i in self.installments if i.status == Status.OVERDUE]

    @property
    def open(self) -> list[InstallmentDues]:
        return [i for i in self.installments if i.outstanding > 0]

    @property
    def next_due(self) -> InstallmentDues | None:
        upcoming = [i for i in self.installments if i.status in (Status.DUE_TODAY, Status.UPCOMING)]
        return upcoming[0] if upcoming else None

    @property
    def arrears(self) -> Decimal:
        return sum((i.outstanding for i in self.overdue), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((i.interest for i in self.installments), ZERO)

    @property
    def to_pay_today(self) -> Decimal:
        """Principal arrears + interest to today + reminder costs (what clears the arrears)."""
        return self.arrears + self.interest + self.reminder_costs

    @property
    def outstanding(self) -> Decimal:
        return sum((i.outstanding for i in self.open), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((i.paid for i in self.installments), ZERO)


@dataclass(frozen=True)
class Dues:
    as_of: date
    ledgers: list[LedgerDues] = field(default_factory=list)

    @property
    def arrears(self) -> Decimal:
        return sum((ledger.arrears for ledger in self.ledgers), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((ledger.interest for ledger in self.ledgers), ZERO)

    @property
    def reminder_costs(self) -> Decimal:
        return sum((ledger.reminder_costs for ledger in self.ledgers), ZERO)

    @property
    def to_pay_today(self) -> Decimal:
        return sum((ledger.to_pay_today for ledger in self.ledgers), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return sum((ledger.outstanding for ledger in self.ledgers), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((ledger.credit for ledger in self.ledgers), ZERO)

    @property
    def next_due(self) -> InstallmentDues | None:
        upcoming = [ld.next_due for ld in self.ledgers if ld.next_due]
        return min(upcoming, key=lambda i: i.installment.due_date, default=None)


def _status(outstanding: Decimal, due: date, as_of: date) -> Status:
    if outstanding < 0:
        return Status.OVERPAID
    if outstanding == 0:
        return Status.PAID
    if due < as_of:
        return Status.OVERDUE
    return Status.DUE_TODAY if due == as_of else Status.UPCOMING


def open_item(installment: Installment, outstanding: Decimal) -> OpenItem:
    """The allocation's view of an instalment with ``outstanding`` principal."""
    ledger = installment.ledger
    return OpenItem(
        item_id=installment.pk,
        due_date=installment.due_date,
        principal=max(outstanding, ZERO),
        receivable=str(ledger.pk),
        account=ledger.receivable_type.bank_account,
        regime=InterestRegime(ledger.receivable_type.interest_regime),
    )


def dues(
    ledgers: QuerySet[Ledger] | Iterable[Ledger],
    as_of: date,
    *,
    rules: InterestRules | None = None,
    years: Iterable[int] | None = None,
) -> Dues:
    """Dues on ``ledgers`` as of ``as_of`` (interest computed as if paid that day)."""
    ledger_list = list(
        ledgers.select_related("receivable_type", "taxpayer")
        if isinstance(ledgers, QuerySet)
        else ledgers
    )
    if not ledger_list:
        return Dues(as_of=as_of)
    by_id = {ledger.pk: ledger for ledger in ledger_list}
    # A balance as of a day counts only what was booked by then (a statement for an earlier
    # day must not show later payments).
    installments = annotate_installments(
        Installment.objects.filter(ledger_id__in=by_id), through=as_of
    )
    if years is not None:
        installments = installments.filter(year__in=list(years))
    rules = rules or interest_rules()
    per_ledger: dict[int, list[InstallmentDues]] = {pk: [] for pk in by_id}
    # Instalments of one size falling due on one day (a payer's ledgers share the calendar)
    # bear the same interest: compute it once per regime, principal and due date.
    interest_of: dict[tuple[str, Decimal, date], Decimal] = {}
    for inst in installments.order_by("due_date", "number", "pk"):
        ledger = inst.ledger = by_id[inst.ledger_id]  # no query per row
        status = _status(inst.outstanding, inst.due_date, as_of)
        interest = ZERO
        if status == Status.OVERDUE:
            key = (ledger.receivable_type.interest_regime, inst.outstanding, inst.due_date)
            if key not in interest_of:
                interest_of[key] = open_item(inst, inst.outstanding).interest_on(as_of, rules)
            interest = interest_of[key]
        per_ledger[inst.ledger_id].append(
            InstallmentDues(
                installment=inst,
                charged=inst.charged,
                paid=inst.principal_paid,
                outstanding=inst.outstanding,
                interest=interest,
                status=status,
            )
        )
    totals = ledger_totals(list(by_id), through=as_of)
    return Dues(
        as_of=as_of,
        ledgers=[
            LedgerDues(
                ledger=ledger,
                installments=per_ledger[ledger.pk],
                reminder_costs=totals[ledger.pk]["reminder_costs"],
                credit=totals[ledger.pk]["credit"],
            )
            for ledger in ledger_list
        ],
    )
