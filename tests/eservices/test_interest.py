"""Tax-arrears interest (OP art. 53–56d) and civil interest (KC 481): DOMAIN.md §5, §6, §12.2."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from eservices.interest import (
    CIVIL_STATUTORY_RATES,
    NO_INTEREST_THRESHOLDS,
    STANDARD_RATES,
    InterestRegime,
    InterestRules,
    RateKind,
    RatePeriod,
    ThresholdPeriod,
    civil_interest,
    civil_interest_calculation,
    rate_in_force,
    tax_interest,
    tax_interest_calculation,
    threshold_in_force,
)
from eservices.money import round_zloty

D = Decimal
FOUR_PLACES = D("0.0001")

# DOMAIN.md §12.2: arrears, due (shifted), paid, [(days, rate, part before rounding)],
# sum before rounding, charged.
INTEREST_VECTORS = {
    "A": (
        "1000.00",
        date(2025, 3, 17),
        date(2025, 4, 16),
        [(30, "14.50", "11.9178")],
        "11.9178",
        "12.00",
    ),
    "B": (
        "500.00",
        date(2025, 3, 17),
        date(2025, 6, 30),
        [(51, "14.50", "10.1301"), (54, "13.50", "9.9863")],
        "20.1164",
        "20.00",
    ),
    "C": (
        "250.00",
        date(2025, 11, 17),
        date(2026, 3, 31),
        [(16, "11.50", "1.2603"), (91, "11.00", "6.8562"), (27, "10.50", "1.9418")],
        "10.0582",
        "10.00",
    ),
    "D": (
        "100.00",
        date(2025, 9, 15),
        date(2025, 10, 15),
        [(23, "12.50", "0.7877"), (7, "12.00", "0.2301")],
        "1.0178",
        "0.00",  # 1 zł does not exceed 8.70 zł
    ),
}


@pytest.mark.parametrize("case", sorted(INTEREST_VECTORS))
def test_domain_vectors_12_2(case: str):
    principal, due, paid, parts, unrounded, charged = INTEREST_VECTORS[case]
    calc = tax_interest_calculation(D(principal), due, paid)
    assert [
        (part.days, part.annual_rate, part.amount.quantize(FOUR_PLACES)) for part in calc.parts
    ] == [(days, D(rate), D(amount)) for days, rate, amount in parts]
    assert calc.unrounded.quantize(FOUR_PLACES) == D(unrounded)
    assert calc.charged == D(charged)
    assert tax_interest(D(principal), due, paid) == D(charged)


def test_worked_example_a_formula():
    # 1 000 × 30 × 14.5 / 100 / 365 = 11.9178 → 12 zł
    calc = tax_interest_calculation(D("1000.00"), date(2025, 3, 17), date(2025, 4, 16))
    assert calc.unrounded == D(1000) * 30 * D("14.5") / 100 / 365
    assert calc.days == 30
    assert calc.parts[0].start == date(2025, 3, 18)  # the day after the due date
    assert calc.parts[0].end == date(2025, 4, 16)  # the payment day counts
    assert calc.rounded == D("12.00")


def test_example_d_is_one_zloty_before_the_threshold():
    calc = tax_interest_calculation(D("100.00"), date(2025, 9, 15), date(2025, 10, 15))
    assert calc.rounded == D("1.00")
    assert calc.threshold == D("8.70")
    assert calc.charged == D("0.00")


# DOMAIN.md §5.2: from, standard, 50 %, 150 %
RATE_TABLE = [
    (date(2014, 10, 9), "8.00", "4.00", "12.00"),
    (date(2022, 2, 9), "8.50", "4.25", "12.75"),
    (date(2022, 3, 9), "10.00", "5.00", "15.00"),
    (date(2022, 4, 7), "12.00", "6.00", "18.00"),
    (date(2022, 5, 6), "13.50", "6.75", "20.25"),
    (date(2022, 6, 9), "15.00", "7.50", "22.50"),
    (date(2022, 7, 8), "16.00", "8.00", "24.00"),
    (date(2022, 9, 8), "16.50", "8.25", "24.75"),
    (date(2023, 9, 7), "15.00", "7.50", "22.50"),
    (date(2023, 10, 5), "14.50", "7.25", "21.75"),
    (date(2025, 5, 8), "13.50", "6.75", "20.25"),
    (date(2025, 7, 3), "13.00", "6.50", "19.50"),
    (date(2025, 9, 4), "12.50", "6.25", "18.75"),
    (date(2025, 10, 9), "12.00", "6.00", "18.00"),
    (date(2025, 11, 6), "11.50", "5.75", "17.25"),
    (date(2025, 12, 4), "11.00", "5.50", "16.50"),
    (date(2026, 3, 5), "10.50", "5.25", "15.75"),
]


@pytest.mark.parametrize(("valid_from", "standard", "reduced", "increased"), RATE_TABLE)
def test_seed_rates_match_section_5_2(valid_from: date, standard, reduced, increased):
    # The 2014 row is checked from 2016 on: before that the reduced rate was 75 % and the
    # increased rate did not exist (DOMAIN.md §5.1), so the seed splits that row.
    day = max(valid_from, date(2016, 1, 1))
    assert rate_in_force(STANDARD_RATES, day) == D(standard)
    assert rate_in_force(STANDARD_RATES, day, RateKind.REDUCED) == D(reduced)
    assert rate_in_force(STANDARD_RATES, day, RateKind.INCREASED) == D(increased)
    # ...and the day before a row starts, the previous rate still applies.
    if valid_from > date(2014, 10, 9):
        assert rate_in_force(STANDARD_RATES, valid_from - timedelta(days=1)) != D(standard)


def test_seed_rates_before_2016():
    day = date(2015, 6, 1)
    assert rate_in_force(STANDARD_RATES, day) == D("8.00")
    assert rate_in_force(STANDARD_RATES, day, RateKind.REDUCED) == D("6.00")  # 75 %
    with pytest.raises(ValueError, match="increased"):
        rate_in_force(STANDARD_RATES, day, RateKind.INCREASED)


def test_every_seed_row_cites_a_source():
    for row in (*STANDARD_RATES, *CIVIL_STATUTORY_RATES, *NO_INTEREST_THRESHOLDS):
        assert row.source


def test_no_rate_before_the_table_starts():
    with pytest.raises(ValueError, match="no interest rate in force"):
        tax_interest(D("100.00"), date(2014, 1, 1), date(2014, 12, 31))


def test_no_interest_when_paid_on_or_before_the_due_date():
    due = date(2025, 3, 17)
    for paid in (due - timedelta(days=10), due):
        calc = tax_interest_calculation(D("1000.00"), due, paid)
        assert calc.parts == ()
        assert calc.charged == D("0.00")


def test_year_is_365_days_even_in_a_leap_year():
    # 2024-02-02 .. 2024-03-01 = 29 days, including 29 February; the divisor stays 365.
    calc = tax_interest_calculation(D("1000.00"), date(2024, 2, 1), date(2024, 3, 1))
    assert calc.days == 29
    assert calc.unrounded == D(1000) * 29 * D("14.5") / 36500
    assert calc.charged == D("12.00")  # 11.5205


def test_threshold_after_rounding_is_the_default():
    # 722 × 30 × 14.5 / 36500 = 8.6047: rounded 9 zł exceeds 8.70, unrounded does not.
    args = (D("722.00"), date(2025, 3, 17), date(2025, 4, 16))
    assert tax_interest_calculation(*args).unrounded.quantize(FOUR_PLACES) == D("8.6047")
    assert tax_interest(*args) == D("9.00")
    assert tax_interest(*args, compare_threshold_before_rounding=True) == D("0.00")


def test_threshold_boundary():
    # Rounded 8 zł ≤ 8.70 → nothing; rounded 9 zł > 8.70 → charged.
    due = date(2025, 3, 17)
    assert tax_interest(D("1000.00"), due, due + timedelta(days=21)) == D("0.00")  # 8.3425
    assert tax_interest(D("1000.00"), due, due + timedelta(days=22)) == D("9.00")  # 8.7397


def test_threshold_table_is_dated():
    assert threshold_in_force(NO_INTEREST_THRESHOLDS, date(2014, 1, 31)) == D("6.60")
    assert threshold_in_force(NO_INTEREST_THRESHOLDS, date(2014, 2, 1)) == D("8.70")
    assert threshold_in_force(NO_INTEREST_THRESHOLDS, date(2026, 6, 1)) == D("8.70")
    assert threshold_in_force((), date(2026, 6, 1)) is None
    no_threshold = tax_interest(D("100.00"), date(2025, 9, 15), date(2025, 10, 15), thresholds=())
    assert no_threshold == D("1.00")
    raised = (ThresholdPeriod(date(2025, 1, 1), D("12.00"), "test"),)
    assert tax_interest(D("1000.00"), date(2025, 3, 17), date(2025, 4, 16), thresholds=raised) == 0


def test_reduced_and_increased_rates():
    due, paid = date(2025, 3, 17), date(2025, 4, 16)  # 30 days at 14.5 % (example A)
    reduced = tax_interest_calculation(D("5000.00"), due, paid, kind=RateKind.REDUCED)
    assert reduced.parts[0].annual_rate == D("7.25")
    assert reduced.unrounded.quantize(FOUR_PLACES) == D("29.7945")
    assert reduced.charged == D("30.00")
    increased = tax_interest_calculation(D("1000.00"), due, paid, kind=RateKind.INCREASED)
    assert increased.parts[0].annual_rate == D("21.75")
    assert increased.unrounded.quantize(FOUR_PLACES) == D("17.8767")
    assert increased.charged == D("18.00")


def test_exempt_period_is_left_out():
    # Example B with May 2025 exempt (art. 54 §1, e.g. pkt 7c): 44 + 30 days instead of 51 + 54.
    calc = tax_interest_calculation(
        D("500.00"),
        date(2025, 3, 17),
        date(2025, 6, 30),
        exempt_periods=[(date(2025, 5, 1), date(2025, 5, 31))],
    )
    assert [(p.start, p.end, p.days, p.annual_rate) for p in calc.parts] == [
        (date(2025, 3, 18), date(2025, 4, 30), 44, D("14.50")),
        (date(2025, 6, 1), date(2025, 6, 30), 30, D("13.50")),
    ]
    assert calc.unrounded == D(500) * (44 * D("14.5") + 30 * D("13.5")) / 36500
    assert calc.charged == D("14.00")  # 8.7397 + 5.5479 = 14.2877


def test_no_rounding_to_zloty_when_asked():
    calc = tax_interest_calculation(
        D("500.00"), date(2025, 3, 17), date(2025, 6, 30), round_to_zloty=False
    )
    assert calc.charged == D("20.12")


def test_table_rows_with_the_same_rate_make_one_part():
    # The seed splits 8.00 % at 1 Jan 2016; a period across it is one part at 8 %.
    calc = tax_interest_calculation(D("1000.00"), date(2015, 12, 1), date(2016, 1, 31))
    assert [(p.days, p.annual_rate) for p in calc.parts] == [(61, D("8.00"))]


def test_principal_with_more_than_two_places_is_refused():
    with pytest.raises(ValueError, match="two decimal places"):
        tax_interest(D("1.005"), date(2025, 3, 17), date(2025, 4, 16))
    with pytest.raises(TypeError):
        tax_interest(100.0, date(2025, 3, 17), date(2025, 4, 16))  # type: ignore[arg-type]


# Civil interest (DOMAIN.md §6). No worked example there: these are derived (D) vectors.


def test_civil_interest_across_the_rate_steps():
    # 1 000 zł due 31 Oct 2025, paid 31 Dec 2025:
    # 5 days × 10.00 % + 28 × 9.75 % + 28 × 9.50 % → 1000 × 589 / 36500 = 16.1370 → 16.14
    calc = civil_interest_calculation(D("1000.00"), date(2025, 10, 31), date(2025, 12, 31))
    assert [(p.days, p.annual_rate) for p in calc.parts] == [
        (5, D("10.00")),
        (28, D("9.75")),
        (28, D("9.50")),
    ]
    assert calc.unrounded.quantize(FOUR_PLACES) == D("16.1370")
    assert calc.charged == D("16.14")


def test_civil_interest_keeps_grosze_and_has_no_threshold():
    # 100 × 10 × 10 / 36500 = 0.27397 → 0.27 (tax interest would charge nothing).
    assert civil_interest(D("100.00"), date(2025, 10, 10), date(2025, 10, 20)) == D("0.27")
    # 2026: 9.25 % from 5 Mar; 300 × 31 × 9.25 / 36500 = 2.3568 → 2.36
    assert civil_interest(D("300.00"), date(2026, 3, 31), date(2026, 5, 1)) == D("2.36")


def test_civil_interest_needs_a_rate_for_the_whole_period():
    with pytest.raises(ValueError, match="no interest rate in force"):
        civil_interest(D("100.00"), date(2025, 3, 31), date(2025, 12, 31))


def test_interest_rules_dispatch_by_regime():
    rules = InterestRules()
    due, paid = date(2025, 11, 17), date(2026, 3, 31)
    assert rules.interest(InterestRegime.TAX, D("250.00"), due, paid) == D("10.00")
    assert rules.interest(InterestRegime.NONE, D("250.00"), due, paid) == D("0.00")
    civil = rules.interest(InterestRegime.CIVIL_STATUTORY, D("250.00"), due, paid)
    assert civil == civil_interest(D("250.00"), due, paid)
    with pytest.raises(ValueError, match="no interest rate in force"):
        rules.interest(InterestRegime.COMMERCIAL, D("250.00"), due, paid)


def test_duplicate_rate_rows_are_refused():
    rows = (RatePeriod(date(2025, 1, 1), D("8")), RatePeriod(date(2025, 1, 1), D("9")))
    with pytest.raises(ValueError, match="two interest rates"):
        tax_interest(D("100.00"), date(2025, 1, 1), date(2025, 2, 1), rates=rows)


# Property tests.

amounts = st.decimals(min_value=0, max_value=10_000_000, places=2)
due_dates = st.dates(min_value=date(2014, 10, 9), max_value=date(2027, 12, 31))
lengths = st.integers(min_value=0, max_value=3_000)
kinds = st.sampled_from([RateKind.STANDARD, RateKind.REDUCED])


@given(amounts, due_dates, lengths, lengths)
def test_monotonic_in_the_payment_date(principal, due, days, more):
    paid = due + timedelta(days=days)
    later = paid + timedelta(days=more)
    assert tax_interest(principal, due, paid) <= tax_interest(principal, due, later)


@given(amounts, amounts, due_dates, lengths)
def test_monotonic_in_the_principal(first, second, due, days):
    smaller, larger = sorted((first, second))
    paid = due + timedelta(days=days)
    assert tax_interest(smaller, due, paid) <= tax_interest(larger, due, paid)
    assert civil_interest(smaller, due, paid, rates=STANDARD_RATES) <= civil_interest(
        larger, due, paid, rates=STANDARD_RATES
    )


@given(amounts, due_dates, st.integers(min_value=0, max_value=3_000))
def test_zero_on_or_before_the_due_date(principal, due, early):
    assert tax_interest(principal, due, due - timedelta(days=early)) == 0


@given(amounts, due_dates, lengths, st.data())
def test_split_anywhere_adds_up_before_rounding(principal, due, days, data):
    # Periods are computed separately and only the sum is rounded: cutting the period at any
    # day gives two unrounded parts that add up to the whole (to the last of 28 digits).
    paid = due + timedelta(days=days)
    cut = due + timedelta(days=data.draw(st.integers(min_value=0, max_value=days)))
    whole = tax_interest_calculation(principal, due, paid)
    head = tax_interest_calculation(principal, due, cut).unrounded
    tail = tax_interest_calculation(principal, cut, paid).unrounded
    assert abs(head + tail - whole.unrounded) <= D("1e-18")
    assert round_zloty(head + tail) == whole.rounded


@given(amounts, due_dates, lengths, due_dates, kinds)
def test_a_row_repeating_the_rate_changes_nothing(principal, due, days, split, kind):
    assume(split > STANDARD_RATES[0].valid_from)
    assume(all(row.valid_from != split for row in STANDARD_RATES))
    paid = due + timedelta(days=days)
    current = next(row for row in reversed(STANDARD_RATES) if row.valid_from <= split)
    repeated = (*STANDARD_RATES, RatePeriod(split, current.annual_rate, current.reduced_rate))
    before = tax_interest_calculation(principal, due, paid, kind=kind)
    after = tax_interest_calculation(principal, due, paid, kind=kind, rates=repeated)
    assert after.unrounded == before.unrounded
    assert after.parts == before.parts


@given(amounts, due_dates, lengths, st.booleans())
def test_threshold_behaviour(principal, due, days, before_rounding):
    paid = due + timedelta(days=days)
    calc = tax_interest_calculation(
        principal, due, paid, compare_threshold_before_rounding=before_rounding
    )
    compared = calc.unrounded if before_rounding else calc.rounded
    assert calc.threshold == D("8.70")
    if compared <= calc.threshold:
        assert calc.charged == 0
    else:
        assert calc.charged == calc.rounded > calc.threshold
    assert calc.charged == calc.charged.quantize(D("1")) and calc.charged.as_tuple().exponent == -2


@given(amounts, due_dates, lengths)
def test_rounded_is_within_half_a_zloty_of_the_unrounded_sum(principal, due, days):
    calc = tax_interest_calculation(principal, due, due + timedelta(days=days))
    assert abs(calc.rounded - calc.unrounded) <= D("0.5")
    # The parts shown on a statement add up to the sum (to far below a grosz).
    assert abs(sum((part.amount for part in calc.parts), D(0)) - calc.unrounded) < D("1e-20")


# `InterestRules.interest` sums days × rate from prepared cumulative tables instead of
# splitting each period at every rate change: it must give the same figures as the functions
# that do split, and refuse what they refuse.

regimes = st.sampled_from(list(InterestRegime))
all_kinds = st.sampled_from(list(RateKind))
wide_dates = st.dates(min_value=date(2013, 1, 1), max_value=date(2028, 12, 31))


def _slow(rules: InterestRules, regime, principal, due, paid, kind) -> Decimal:
    if regime is InterestRegime.NONE:
        return D("0.00")
    if regime is InterestRegime.TAX:
        return tax_interest(
            principal,
            due,
            paid,
            rates=rules.tax_rates,
            kind=kind,
            thresholds=rules.thresholds,
            compare_threshold_before_rounding=rules.compare_threshold_before_rounding,
        )
    rates = (
        rules.civil_rates if regime is InterestRegime.CIVIL_STATUTORY else rules.commercial_rates
    )
    return civil_interest(principal, due, paid, rates=rates)


def _outcome(compute):
    try:
        value = compute()
    except ValueError as error:
        return ("error", str(error))
    return ("value", value, value.as_tuple().exponent)


@st.composite
def rate_tables(draw) -> tuple[RatePeriod, ...]:
    starts = draw(st.lists(wide_dates, min_size=0, max_size=8, unique=True))
    rates = st.decimals(min_value=0, max_value=40, places=2)
    optional = st.one_of(st.none(), rates)
    return tuple(RatePeriod(start, draw(rates), draw(optional), draw(optional)) for start in starts)


@given(
    amounts,
    wide_dates,
    st.integers(min_value=-30, max_value=5_000),
    regimes,
    all_kinds,
    st.booleans(),
    st.booleans(),
)
def test_rules_give_the_figures_of_the_split_computation(
    principal, due, days, regime, kind, before_rounding, seed_tables
):
    rules = InterestRules(compare_threshold_before_rounding=before_rounding)
    if not seed_tables:
        rules = InterestRules(
            tax_rates=STANDARD_RATES[5:],  # starts in 2022: earlier periods are refused
            civil_rates=CIVIL_STATUTORY_RATES,
            commercial_rates=STANDARD_RATES[:3],
            thresholds=(),
            compare_threshold_before_rounding=before_rounding,
        )
    if regime is not InterestRegime.TAX:
        kind = RateKind.STANDARD  # civil interest has one rate
    paid = due + timedelta(days=days)
    fast = _outcome(lambda: rules.interest(regime, principal, due, paid, kind))
    slow = _outcome(lambda: _slow(rules, regime, principal, due, paid, kind))
    assert fast == slow
    # Asked again, the prepared tables answer the same.
    assert _outcome(lambda: rules.interest(regime, principal, due, paid, kind)) == fast


@given(rate_tables(), amounts, wide_dates, st.integers(min_value=-30, max_value=5_000), all_kinds)
def test_rules_match_the_split_computation_on_any_rate_table(table, principal, due, days, kind):
    rules = InterestRules(tax_rates=table, civil_rates=table)
    paid = due + timedelta(days=days)
    for regime in (InterestRegime.TAX, InterestRegime.CIVIL_STATUTORY):
        used_kind = kind if regime is InterestRegime.TAX else RateKind.STANDARD
        fast = _outcome(lambda r=regime, k=used_kind: rules.interest(r, principal, due, paid, k))
        slow = _outcome(lambda r=regime, k=used_kind: _slow(rules, r, principal, due, paid, k))
        assert fast == slow


def test_rules_refuse_what_the_split_computation_refuses():
    due, paid = date(2025, 1, 1), date(2025, 2, 1)
    twice = (RatePeriod(date(2025, 1, 1), D("8")), RatePeriod(date(2025, 1, 1), D("9")))
    with pytest.raises(ValueError, match="two interest rates"):
        InterestRules(tax_rates=twice).interest(InterestRegime.TAX, D("100.00"), due, paid)
    no_increased = (RatePeriod(date(2024, 1, 1), D("8"), D("4"), None),)
    with pytest.raises(ValueError, match="no increased interest rate"):
        InterestRules(tax_rates=no_increased).interest(
            InterestRegime.TAX, D("100.00"), due, paid, RateKind.INCREASED
        )
    with pytest.raises(ValueError, match="no interest rate in force"):
        InterestRules().interest(InterestRegime.TAX, D("100.00"), date(2014, 1, 1), paid)
    with pytest.raises(ValueError, match="two decimal places"):
        InterestRules().interest(InterestRegime.TAX, D("1.005"), due, paid)
    with pytest.raises(ValueError, match="must not be negative"):
        InterestRules().interest(InterestRegime.TAX, D("-1.00"), due, paid)
