"""Allocating a payment to a payer's open items (DOMAIN.md §7, §8; OP art. 55 §2, 62, 73).

Order (OP art. 62): reminder costs first (§1a); then the arrears of the receivable the payer
named, oldest first — paying into an account dedicated to one receivable (a virtual account)
counts as naming it; without a name, the oldest arrears across all the payer's receivables;
with no arrears left, the current liabilities, earliest due first. Because arrears are exactly
the items whose effective due date has passed, "oldest arrears, then current liabilities" is
one walk in due-date order.

Within one item, a payment smaller than its principal plus the interest on the payment day is
split in their ratio (art. 55 §2); the payer cannot redirect it. What is left over stays as an
overpayment (nadpłata, art. 73) — set-off against other arrears (art. 76) is a separate
booking by the office, not part of allocation.

Allocation never crosses bank accounts: the waste fee has its own account (ucpg, since 2019),
and a payment into the wrong virtual account stays an overpayment there (DOMAIN.md §7). The
caller passes ``account`` (or only that account's items) to keep to that.

Amounts credited keep their grosze (art. 63 §3); only interest itself is in whole złoty.
Nothing here touches the database: the lead maps installments to `OpenItem` and books the
returned `Allocation` as ledger entries.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from eservices.interest import InterestRegime, InterestRules, RateKind
from eservices.money import ZERO, money, round_grosz

DEFAULT_RULES = InterestRules()


@dataclass(frozen=True)
class OpenItem:
    """One instalment (or other title) with something still owed on it.

    ``due_date`` is the effective due date. ``receivable`` is what a payer can name (the
    receivable type or ledger; a dedicated account maps to it), ``account`` the bank account
    the item is paid into. ``interest_carried`` is interest fixed by an earlier partial payment
    and still unpaid: it no longer accrues (art. 55 §2). ``interest_accrued_through`` is the
    day up to which interest on the current principal has been reckoned (that payment's day);
    ``None`` means the due date.
    """

    item_id: Hashable
    due_date: date
    principal: Decimal
    receivable: str = ""
    account: str = ""
    interest_carried: Decimal = ZERO
    interest_accrued_through: date | None = None
    reminder_costs: Decimal = ZERO
    regime: InterestRegime = InterestRegime.TAX
    rate_kind: RateKind = RateKind.STANDARD

    def __post_init__(self) -> None:
        for name in ("principal", "interest_carried", "reminder_costs"):
            amount = money(getattr(self, name))
            if amount < 0:
                raise ValueError(f"{name} of {self.item_id!r} must not be negative: {amount}")
            object.__setattr__(self, name, amount)
        # Interest is only ever fixed by a payment made after the due date.
        through = self.interest_accrued_through
        if self.interest_carried and (through is None or through <= self.due_date):
            raise ValueError(
                f"carried interest of {self.item_id!r} needs the later payment day it was "
                "fixed on (interest_accrued_through after the due date)"
            )

    @property
    def accrues_after(self) -> date:
        """Interest on ``principal`` runs from the day after this date."""
        through = self.interest_accrued_through
        return self.due_date if through is None else max(self.due_date, through)

    def is_arrears(self, on: date) -> bool:
        """Past its effective due date on ``on`` (paying on the due date is on time)."""
        return self.due_date < on

    def interest_on(self, day: date, rules: InterestRules = DEFAULT_RULES) -> Decimal:
        """Interest owed if paid on ``day``: the carried part plus what accrued since."""
        accrued = ZERO
        if self.principal and day > self.accrues_after:
            accrued = rules.interest(
                self.regime, self.principal, self.accrues_after, day, self.rate_kind
            )
        return self.interest_carried + accrued


@dataclass(frozen=True)
class ItemAllocation:
    """What one payment does to one item. ``interest_due`` is the interest on the payment
    day before the payment; the ``*_left`` amounts are what remains owed after it."""

    item_id: Hashable
    reminder_costs: Decimal
    principal: Decimal
    interest: Decimal
    interest_due: Decimal
    principal_left: Decimal
    interest_left: Decimal
    reminder_costs_left: Decimal

    @property
    def total(self) -> Decimal:
        return self.reminder_costs + self.principal + self.interest

    @property
    def settled(self) -> bool:
        return not (self.principal_left or self.interest_left or self.reminder_costs_left)


@dataclass(frozen=True)
class Allocation:
    """The split of one payment: per item, in the order it was applied, and the credit left."""

    amount: Decimal
    paid_on: date
    items: tuple[ItemAllocation, ...]
    credit: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((part.total for part in self.items), ZERO)

    def remaining(self, items: Iterable[OpenItem]) -> tuple[OpenItem, ...]:
        """The open items after this payment, fully settled ones dropped.

        A part-paid item's remaining principal accrues again from the day after the payment;
        its remaining interest is carried and does not accrue (art. 55 §2). An item the
        payment did not reach keeps its state, so its interest still runs from where it was.
        """
        parts = {part.item_id: part for part in self.items}
        left: list[OpenItem] = []
        for item in items:
            part = parts.get(item.item_id)
            if part is None:
                left.append(item)
                continue
            if part.settled:
                continue
            if part.principal or part.interest:
                through = item.interest_accrued_through
                if item.is_arrears(self.paid_on):
                    # Interest was reckoned up to the payment day: restart from there.
                    through = max(self.paid_on, item.accrues_after)
                item = replace(
                    item,
                    principal=part.principal_left,
                    interest_carried=part.interest_left,
                    interest_accrued_through=through,
                )
            left.append(replace(item, reminder_costs=part.reminder_costs_left))
        return tuple(left)


@dataclass(frozen=True)
class AmountDue:
    """What settles the arrears on a day: principal arrears + interest + reminder costs."""

    on: date
    principal: Decimal
    interest: Decimal
    reminder_costs: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.reminder_costs


def split_proportionally(
    payment: Decimal, principal: Decimal, interest: Decimal
) -> tuple[Decimal, Decimal]:
    """Split ``payment`` between principal arrears and interest (OP art. 55 §2).

    In the ratio of principal to interest on the payment day. The principal share is rounded
    half-up to the grosz and the interest takes the rest (DOMAIN.md §7, pinned by §12.3:
    436 × 883 / 953 = 403.9748 → 403.97 + 32.03). Returns ``(to_principal, to_interest)``;
    a payment that covers both returns them whole and the caller keeps the excess.
    """
    payment, principal, interest = money(payment), money(principal), money(interest)
    if min(payment, principal, interest) < 0:
        raise ValueError("amounts to split must not be negative")
    if payment >= principal + interest:
        return principal, interest
    to_principal = round_grosz(payment * principal / (principal + interest))
    # Rounding may not push either share past what is owed on it.
    to_principal = min(max(to_principal, payment - interest), principal)
    return to_principal, payment - to_principal


def allocate_payment(
    amount: Decimal,
    paid_on: date,
    items: Sequence[OpenItem],
    *,
    designation: str | None = None,
    account: str | None = None,
    rules: InterestRules = DEFAULT_RULES,
) -> Allocation:
    """Allocate a payment of ``amount`` made on ``paid_on`` (OP art. 62, 55 §2).

    ``designation`` is the receivable the payer named, or the one a dedicated/virtual account
    belongs to; only its items are considered. ``account`` keeps the allocation inside one
    bank account. Amounts in the result sum exactly to ``amount``:
    ``allocation.allocated + allocation.credit == amount``.
    """
    amount = money(amount)
    if amount < 0:
        raise ValueError(f"a payment must not be negative: {amount}")
    scope = _in_scope(items, designation=designation, account=account)

    left = amount
    reminder_paid: dict[Hashable, Decimal] = {}
    # Art. 62 §1a: reminder costs before anything else, oldest first.
    for item in scope:
        reminder_paid[item.item_id] = paid = min(left, item.reminder_costs)
        left -= paid

    parts: list[ItemAllocation] = []
    for item in scope:
        interest_due = item.interest_on(paid_on, rules)
        to_principal, to_interest = split_proportionally(left, item.principal, interest_due)
        left -= to_principal + to_interest
        paid_reminder = reminder_paid[item.item_id]
        parts.append(
            ItemAllocation(
                item_id=item.item_id,
                reminder_costs=paid_reminder,
                principal=to_principal,
                interest=to_interest,
                interest_due=interest_due,
                principal_left=item.principal - to_principal,
                interest_left=interest_due - to_interest,
                reminder_costs_left=item.reminder_costs - paid_reminder,
            )
        )
    return Allocation(amount=amount, paid_on=paid_on, items=tuple(parts), credit=left)


def reachable_items(items: Sequence[OpenItem], amount: Decimal) -> list[OpenItem]:
    """Of ``items`` in a payment's scope (its designation and account applied), those a payment
    of ``amount`` can reach, in allocation order: what `allocate_payment` gives anything to is
    the same with these as with all ``items``.

    Reminder costs are paid first wherever they are; then the principal and interest of item
    after item. Once the costs and the principal of the items so far take the whole amount,
    nothing is left for later ones (interest only adds to what is owed), so a statement's
    booking need not reckon their interest.
    """
    ordered = sorted(items, key=lambda item: item.due_date)
    owed = sum((item.reminder_costs for item in ordered), ZERO)
    for count, item in enumerate(ordered, 1):
        owed += item.principal
        if owed >= amount:
            return ordered[:count] + [item for item in ordered[count:] if item.reminder_costs]
    return ordered


def amount_due(
    items: Sequence[OpenItem],
    on: date,
    *,
    designation: str | None = None,
    account: str | None = None,
    rules: InterestRules = DEFAULT_RULES,
) -> AmountDue:
    """The amount to pay on ``on`` to clear the arrears: principal of the items past their
    due date + interest to that day (OP art. 53, 55 §1: due without demand) + reminder costs.

    Paying exactly this on ``on`` settles every overdue item (`allocate_payment` computes the
    same interest); instalments not yet due are not included.
    """
    scope = _in_scope(items, designation=designation, account=account)
    principal = sum((item.principal for item in scope if item.is_arrears(on)), ZERO)
    interest = sum((item.interest_on(on, rules) for item in scope if item.is_arrears(on)), ZERO)
    reminder_costs = sum((item.reminder_costs for item in scope), ZERO)
    return AmountDue(on=on, principal=principal, interest=interest, reminder_costs=reminder_costs)


def _in_scope(
    items: Sequence[OpenItem], *, designation: str | None, account: str | None
) -> list[OpenItem]:
    ids = [item.item_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("open items must have distinct ids")
    scope = [
        item
        for item in items
        if (designation is None or item.receivable == designation)
        and (account is None or item.account == account)
    ]
    # Earliest effective due date first; ties keep the caller's order (stable sort).
    return sorted(scope, key=lambda item: item.due_date)
