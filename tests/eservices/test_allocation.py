"""Allocation of payments (OP art. 55 §2, 62; DOMAIN.md §7, §8, §12.3) and the amount due."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from eservices.allocation import (
    OpenItem,
    allocate_payment,
    amount_due,
    reachable_items,
    split_proportionally,
)
from eservices.interest import InterestRegime, civil_interest, tax_interest

D = Decimal
GROSZ = D("0.01")


# DOMAIN.md §12.3: (arrears, interest, paid, to principal, to interest)
PARTIAL_PAYMENT_VECTORS = {
    "court case (gazetaprawna 693082)": ("883.00", "70.00", "436.00", "403.97", "32.03"),
    "example B continued": ("500.00", "20.00", "300.00", "288.46", "11.54"),
}


@pytest.mark.parametrize("case", sorted(PARTIAL_PAYMENT_VECTORS))
def test_domain_vectors_12_3_split(case: str):
    arrears, interest, paid, to_principal, to_interest = PARTIAL_PAYMENT_VECTORS[case]
    assert split_proportionally(D(paid), D(arrears), D(interest)) == (
        D(to_principal),
        D(to_interest),
    )


def test_court_case_through_allocation():
    # The interest of 70 zł is implied (D); it was fixed on the payment day.
    paid_on = date(2018, 6, 1)
    item = OpenItem(
        "court",
        date(2017, 3, 15),
        D("883.00"),
        interest_carried=D("70.00"),
        interest_accrued_through=paid_on,
    )
    allocation = allocate_payment(D("436.00"), paid_on, [item])
    (part,) = allocation.items
    assert (part.principal, part.interest, part.interest_due) == (
        D("403.97"),
        D("32.03"),
        D("70.00"),
    )
    assert (part.principal_left, part.interest_left) == (D("479.03"), D("37.97"))
    assert allocation.credit == 0


def example_b() -> OpenItem:
    # DOMAIN.md §12.2 B: 500 zł due (shifted) 17 Mar 2025.
    return OpenItem("B", date(2025, 3, 17), D("500.00"), receivable="property", account="tax")


def test_example_b_continued_12_3():
    item = example_b()
    allocation = allocate_payment(D("300.00"), date(2025, 6, 30), [item])
    (part,) = allocation.items
    assert part.interest_due == D("20.00")  # example B: 20.1164 → 20 zł
    assert (part.principal, part.interest) == (D("288.46"), D("11.54"))
    # "Left: principal 211.54 (accruing), interest 8.46 (not accruing)"
    assert (part.principal_left, part.interest_left) == (D("211.54"), D("8.46"))
    (left,) = allocation.remaining([item])
    assert left.principal == D("211.54")
    assert left.interest_carried == D("8.46")
    assert left.accrues_after == date(2025, 6, 30)
    # The carried 8.46 does not grow; the principal accrues from 1 Jul 2025 on its own and
    # that new interest is rounded and tested against the threshold by itself.
    assert left.interest_on(date(2025, 6, 30)) == D("8.46")
    assert left.interest_on(date(2025, 7, 31)) == D("8.46")  # 211.54 × 31 d ≈ 2.34 → nothing
    # 1 Jul – 31 Dec 2025: 211.54 × (2×13.5 + 63×13 + 35×12.5 + 28×12 + 28×11.5 + 28×11)
    # / 36500 = 13.0372 → 13 zł.
    new = tax_interest(D("211.54"), date(2025, 6, 30), date(2025, 12, 31))
    assert new == D("13.00")
    assert left.interest_on(date(2025, 12, 31)) == D("21.46")
    due = amount_due([left], date(2025, 12, 31))
    assert (due.principal, due.interest, due.total) == (D("211.54"), D("21.46"), D("233.00"))
    final = allocate_payment(due.total, date(2025, 12, 31), [left])
    assert final.credit == 0
    assert final.remaining([left]) == ()


def test_reminder_costs_are_paid_first():
    item = OpenItem("B", date(2025, 3, 17), D("500.00"), reminder_costs=D("16.00"))
    allocation = allocate_payment(D("316.00"), date(2025, 6, 30), [item])
    (part,) = allocation.items
    assert part.reminder_costs == D("16.00")
    assert (part.principal, part.interest) == (D("288.46"), D("11.54"))
    small = allocate_payment(D("10.00"), date(2025, 6, 30), [item])
    assert (small.items[0].reminder_costs, small.items[0].principal) == (D("10.00"), 0)
    assert small.remaining([item])[0].reminder_costs == D("6.00")
    # Only reminder costs paid: the item's interest keeps running from its due date.
    assert small.remaining([item])[0].accrues_after == date(2025, 3, 17)


def test_reminder_costs_of_every_item_come_before_any_principal():
    older = OpenItem("older", date(2025, 3, 17), D("100.00"))
    newer = OpenItem("newer", date(2025, 5, 15), D("100.00"), reminder_costs=D("16.00"))
    allocation = allocate_payment(D("50.00"), date(2025, 5, 20), [older, newer])
    by_id = {part.item_id: part for part in allocation.items}
    assert by_id["newer"].reminder_costs == D("16.00")
    assert by_id["older"].principal == D("34.00")
    assert by_id["newer"].principal == 0


PAID_ON = date(2025, 5, 20)


def ledger() -> list[OpenItem]:
    # Small amounts: their interest stays under 8.70 zł, so only the order shows.
    return [
        OpenItem("p2", date(2025, 5, 15), D("100.00"), receivable="property", account="tax"),
        OpenItem("p3", date(2025, 9, 15), D("100.00"), receivable="property", account="tax"),
        OpenItem("w1", date(2025, 4, 15), D("60.00"), receivable="waste", account="waste"),
        OpenItem("d1", date(2025, 3, 31), D("50.00"), receivable="dog", account="tax"),
        OpenItem("p1", date(2025, 3, 17), D("100.00"), receivable="property", account="tax"),
    ]


def paid(allocation) -> dict[str, Decimal]:
    return {part.item_id: part.principal for part in allocation.items if part.principal}


def test_without_designation_the_oldest_arrears_across_taxes_go_first():
    allocation = allocate_payment(D("230.00"), PAID_ON, ledger(), account="tax")
    assert [part.item_id for part in allocation.items] == ["p1", "d1", "p2", "p3"]
    assert all(part.interest_due == 0 for part in allocation.items)
    assert paid(allocation) == {"p1": D("100.00"), "d1": D("50.00"), "p2": D("80.00")}
    assert allocation.credit == 0


def test_designated_receivable_then_its_current_liability():
    allocation = allocate_payment(
        D("250.00"), PAID_ON, ledger(), designation="property", account="tax"
    )
    assert paid(allocation) == {"p1": D("100.00"), "p2": D("100.00"), "p3": D("50.00")}


def test_overpayment_is_left_as_credit():
    allocation = allocate_payment(D("400.00"), PAID_ON, ledger(), designation="property")
    assert paid(allocation) == {"p1": D("100.00"), "p2": D("100.00"), "p3": D("100.00")}
    assert allocation.credit == D("100.00")
    assert allocation.allocated + allocation.credit == D("400.00")


def test_waste_account_never_pays_taxes():
    allocation = allocate_payment(D("100.00"), PAID_ON, ledger(), account="waste")
    assert paid(allocation) == {"w1": D("60.00")}
    assert allocation.credit == D("40.00")


def test_payment_to_a_dedicated_account_stays_there():
    # Poronin: a payment into the dog-fee virtual account stays an overpayment there while
    # older property-tax arrears remain.
    allocation = allocate_payment(D("200.00"), PAID_ON, ledger(), designation="dog")
    assert paid(allocation) == {"d1": D("50.00")}
    assert allocation.credit == D("150.00")


def test_remaining_items_after_a_payment():
    items = ledger()
    allocation = allocate_payment(D("230.00"), PAID_ON, items, account="tax")
    left = {item.item_id: item for item in allocation.remaining(items)}
    assert set(left) == {"p2", "p3", "w1"}
    assert left["p2"].principal == D("20.00")
    assert left["p2"].accrues_after == PAID_ON
    assert left["p3"] == items[1]  # untouched
    assert left["w1"] == items[2]  # other account, untouched


def test_interest_is_part_of_the_allocation():
    items = [
        OpenItem("A", date(2025, 3, 17), D("1000.00")),  # §12.2 A: 12 zł on 16 Apr 2025
        OpenItem("later", date(2025, 4, 15), D("100.00")),
    ]
    allocation = allocate_payment(D("1050.00"), date(2025, 4, 16), items)
    first, second = allocation.items
    assert (first.principal, first.interest, first.interest_due) == (
        D("1000.00"),
        D("12.00"),
        D("12.00"),
    )
    assert (second.principal, second.interest) == (D("38.00"), 0)


def test_no_interest_regime_for_alcohol_fees():
    item = OpenItem("alc", date(2025, 1, 31), D("1000.00"), regime=InterestRegime.NONE)
    assert item.interest_on(date(2026, 1, 31)) == 0
    assert amount_due([item], date(2026, 1, 31)).total == D("1000.00")


def test_civil_regime_uses_civil_interest():
    item = OpenItem(
        "usufruct", date(2025, 10, 31), D("1000.00"), regime=InterestRegime.CIVIL_STATUTORY
    )
    on = date(2025, 12, 31)
    assert item.interest_on(on) == civil_interest(D("1000.00"), date(2025, 10, 31), on)
    assert item.interest_on(on) == D("16.14")


def test_amount_due_today():
    items = [
        OpenItem("B", date(2025, 3, 17), D("500.00"), reminder_costs=D("16.00")),
        OpenItem("due-today", date(2025, 6, 30), D("100.00")),  # paying today is on time
        OpenItem("future", date(2025, 9, 15), D("100.00")),
    ]
    due = amount_due(items, date(2025, 6, 30))
    assert (due.principal, due.interest, due.reminder_costs) == (
        D("500.00"),
        D("20.00"),
        D("16.00"),
    )
    assert due.total == D("536.00")
    allocation = allocate_payment(due.total, date(2025, 6, 30), items)
    assert [part.item_id for part in allocation.items if part.settled] == ["B"]
    assert allocation.credit == 0


def test_invalid_input_is_refused():
    item = example_b()
    with pytest.raises(ValueError, match="negative"):
        allocate_payment(D("-1.00"), PAID_ON, [item])
    with pytest.raises(ValueError, match="two decimal places"):
        allocate_payment(D("1.001"), PAID_ON, [item])
    with pytest.raises(ValueError, match="distinct"):
        allocate_payment(D("1.00"), PAID_ON, [item, item])
    with pytest.raises(ValueError, match="negative"):
        OpenItem("x", PAID_ON, D("-5.00"))
    with pytest.raises(ValueError, match="carried interest"):
        OpenItem("x", PAID_ON, D("5.00"), interest_carried=D("1.00"))


# Property tests.

money = st.decimals(min_value=0, max_value=20_000, places=2)
small_money = st.decimals(min_value=0, max_value=60, places=2)
RECEIVABLES = {"property": "tax", "dog": "tax", "waste": "waste", "alcohol": "tax"}


@st.composite
def open_items(draw) -> list[OpenItem]:
    count = draw(st.integers(min_value=0, max_value=6))
    items = []
    for index in range(count):
        receivable = draw(st.sampled_from(sorted(RECEIVABLES)))
        due = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 6, 30)))
        carried = draw(st.sampled_from([D("0.00"), draw(small_money)]))
        items.append(
            OpenItem(
                item_id=index,
                due_date=due,
                principal=draw(money),
                receivable=receivable,
                account=RECEIVABLES[receivable],
                interest_carried=carried,
                interest_accrued_through=(
                    due + timedelta(days=draw(st.integers(1, 200))) if carried else None
                ),
                reminder_costs=draw(st.sampled_from([D("0.00"), D("16.00"), D("11.60")])),
                regime=InterestRegime.NONE if receivable == "alcohol" else InterestRegime.TAX,
            )
        )
    return items


payment_days = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))
designations = st.sampled_from([None, *sorted(RECEIVABLES)])


def two_places(amount: Decimal) -> bool:
    return amount.as_tuple().exponent == -2


@given(money, money, small_money.map(lambda x: x * 10))
def test_split_stays_within_what_is_owed(payment, principal, interest):
    to_principal, to_interest = split_proportionally(payment, principal, interest)
    assert to_principal + to_interest == min(payment, principal + interest)
    assert 0 <= to_principal <= principal
    assert 0 <= to_interest <= interest
    assert two_places(to_principal) and two_places(to_interest)
    if payment < principal + interest:
        exact = payment * principal / (principal + interest)
        assert abs(to_principal - exact) <= GROSZ


@given(money, payment_days, open_items(), designations, st.sampled_from([None, "tax", "waste"]))
def test_allocation_invariants(amount, paid_on, items, designation, account):
    allocation = allocate_payment(amount, paid_on, items, designation=designation, account=account)
    by_id = {item.item_id: item for item in items}

    # Every grosz is accounted for, and nothing is negative or finer than a grosz.
    assert allocation.allocated + allocation.credit == amount
    assert allocation.credit >= 0
    for part in allocation.items:
        item = by_id[part.item_id]
        assert 0 <= part.reminder_costs <= item.reminder_costs
        assert 0 <= part.principal <= item.principal
        assert 0 <= part.interest <= part.interest_due
        assert part.interest_due == item.interest_on(paid_on)
        assert part.principal_left == item.principal - part.principal
        assert part.interest_left == part.interest_due - part.interest
        for value in (part.reminder_costs, part.principal, part.interest, allocation.credit):
            assert two_places(value)
        # Scope: the named receivable and the account, nothing else.
        assert designation is None or item.receivable == designation
        assert account is None or item.account == account

    # Order: reminder costs before anything else; earlier due dates settled first.
    if any(part.principal or part.interest for part in allocation.items):
        assert all(part.reminder_costs_left == 0 for part in allocation.items)
    reached = False
    for part in reversed(allocation.items):
        if reached:
            assert part.principal_left == 0 and part.interest_left == 0
        reached = reached or bool(part.principal or part.interest)
    # Credit only once everything in scope is settled.
    if allocation.credit:
        assert all(part.settled for part in allocation.items)


@given(payment_days, open_items(), designations)
def test_paying_the_amount_due_clears_the_arrears(on, items, designation):
    # States as the ledger produces them: no payment is dated after the day we pay.
    assume(all((item.interest_accrued_through or item.due_date) <= on for item in items))
    due = amount_due(items, on, designation=designation)
    allocation = allocate_payment(due.total, on, items, designation=designation)
    assert allocation.credit == 0
    for part in allocation.items:
        item = next(item for item in items if item.item_id == part.item_id)
        assert part.reminder_costs_left == 0
        assert part.interest_left == 0
        if item.is_arrears(on):
            assert part.principal_left == 0


@given(money, money, payment_days, open_items())
def test_two_payments_never_take_more_than_owed(first, second, on, items):
    allocation = allocate_payment(first, on, items)
    left = allocation.remaining(items)
    later = on + timedelta(days=30)
    follow_up = allocate_payment(second, later, left)
    assert follow_up.allocated + follow_up.credit == second
    remaining_ids = {item.item_id for item in left}
    assert {part.item_id for part in follow_up.items} == remaining_ids
    for item in left:
        assert item.principal >= 0 and item.interest_carried >= 0


@given(money, payment_days, open_items(), designations)
def test_reachable_items_are_all_a_payment_gives_anything_to(amount, paid_on, items, designation):
    def given_to(allocation):
        return [part for part in allocation.items if part.total]

    in_scope = [item for item in items if designation in (None, item.receivable)]
    reachable = reachable_items(in_scope, amount)
    whole = allocate_payment(amount, paid_on, items, designation=designation)
    part = allocate_payment(amount, paid_on, reachable, designation=designation)
    assert given_to(part) == given_to(whole)
    assert part.credit == whole.credit
