"""Defined queries (seed 000): figures on a hand-built ledger, filters, and SQL == Python.

Runs on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``): the SQL differs per backend in
a few expressions (day numbers, integer division), the figures must not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eservices import queries
from eservices.dues import dues, interest_rules
from eservices.interest import InterestRegime
from eservices.models import Installment, Ledger, LedgerEntry, ReceivableType, TaxpayerGroup
from eservices.queries import QueryParameters, get_query, installment_interest_sql

from . import factories as f

pytestmark = pytest.mark.django_db
Kind = LedgerEntry.Kind
D = Decimal
AS_OF = date(2026, 4, 15)


@dataclass
class Book:
    """The hand-built ledger every query is checked against (as of 15 Apr 2026)."""

    anna: object
    firma: object
    jan: object
    ewa: object
    piotr: object
    maria: object
    group: TaxpayerGroup
    property_tax: ReceivableType
    waste: ReceivableType
    usufruct: ReceivableType
    alcohol: ReceivableType
    anna_old: Installment
    firma_barred: Installment

    @property
    def everyone(self):
        return [self.anna, self.firma, self.jan, self.ewa, self.piotr, self.maria]


@pytest.fixture
def book() -> Book:
    R = ReceivableType
    property_tax = f.receivable_type(domain_program="SIGID")
    waste = f.receivable_type(
        "odpady",
        name="Opłata za gospodarowanie odpadami",
        category=R.Category.WASTE_FEE,
        domain_program="PUMA",
    )
    usufruct = f.receivable_type(
        "uzytkowanie",
        name="Opłata z tytułu użytkowania wieczystego",
        category=R.Category.PERPETUAL_USUFRUCT,
        interest_regime=R.InterestRegime.CIVIL_STATUTORY,
        due_date_shift=R.DueDateShift.CIVIL_ART115,
        domain_program="PUMA",
    )
    alcohol = f.receivable_type(
        "alkohol",
        name="Opłata za korzystanie z zezwoleń na sprzedaż alkoholu",
        category=R.Category.ALCOHOL_PERMIT,
        interest_regime=R.InterestRegime.NONE,
        due_date_shift=R.DueDateShift.NONE,
        domain_program="ALK",
    )

    # Anna: a partly paid old instalment with a reminder, one not yet due, a small waste fee.
    anna = f.taxpayer(first_name="Anna", last_name="Nowak", email="anna@example.pl")
    led = f.ledger(anna, property_tax)
    anna_old = f.installment(led, "1000.00", date(2025, 3, 17), number=1)
    f.entry(anna_old, Kind.PAYMENT, principal="-400.00", booked_on=date(2025, 5, 2))
    f.entry(anna_old, Kind.REMINDER_COST, reminder_costs="16.00", booked_on=date(2025, 6, 1))
    f.installment(led, "1000.00", date(2026, 5, 15), number=2)
    led = f.ledger(anna, waste)
    f.installment(led, "50.00", date(2026, 3, 16), number=1)
    paid = f.installment(led, "30.00", date(2026, 1, 15), number=2)
    f.entry(paid, Kind.PAYMENT, principal="-30.00", booked_on=date(2026, 1, 10))

    # A company: a time-barred 2020 instalment, one due on the as-of day, an alcohol fee
    # (no interest) and credit left by an overpayment.
    firma = f.taxpayer(
        kind="organisation",
        first_name="",
        last_name="",
        organisation_name="Firma Handlowa Sp. z o.o.",
        nip="8567346215",
        email="biuro@firma.example",
    )
    led = f.ledger(firma, property_tax)
    firma_barred = f.installment(led, "200.00", date(2020, 11, 16), number=1)
    f.installment(led, "300.00", AS_OF, number=2)
    f.entry(None, Kind.PAYMENT, ledger=led, principal="-100.00", booked_on=date(2026, 2, 1))
    f.installment(f.ledger(firma, alcohol), "500.00", date(2026, 1, 31))

    # Jan: a civil receivable (perpetual usufruct), interest to the grosz.
    jan = f.taxpayer(first_name="Jan", last_name="Kowalski", phone="+48600100200")
    f.installment(f.ledger(jan, usufruct), "1200.00", date(2026, 3, 31))

    # Ewa: paid more than she owed; nothing to report.
    ewa = f.taxpayer(first_name="Ewa", last_name="Zielińska")
    inst = f.installment(f.ledger(ewa, property_tax), "100.00", date(2026, 3, 16))
    f.entry(inst, Kind.PAYMENT, principal="-120.00", booked_on=date(2026, 3, 1))

    # Piotr: principal paid, the reminder cost not.
    piotr = f.taxpayer(first_name="Piotr", last_name="Wiśniewski")
    inst = f.installment(f.ledger(piotr, property_tax), "100.00", date(2025, 11, 17))
    f.entry(inst, Kind.REMINDER_COST, reminder_costs="16.00", booked_on=date(2025, 12, 1))
    f.entry(inst, Kind.PAYMENT, principal="-100.00", booked_on=date(2025, 12, 10))

    # Maria: a changed assessment, odpis 450 + przypis 380 (DOMAIN.md §12.4).
    maria = f.taxpayer(first_name="Maria", last_name="Lewandowska")
    inst = f.installment(f.ledger(maria, property_tax), "450.00", date(2026, 3, 16))
    f.entry(inst, Kind.WRITE_DOWN, principal="-450.00", booked_on=date(2026, 4, 1))
    f.entry(inst, Kind.CHARGE, principal="380.00", booked_on=date(2026, 4, 1))

    group = TaxpayerGroup.objects.create(name="Sołectwo Zalesie")
    group.members.add(anna, jan)
    return Book(
        anna=anna,
        firma=firma,
        jan=jan,
        ewa=ewa,
        piotr=piotr,
        maria=maria,
        group=group,
        property_tax=property_tax,
        waste=waste,
        usufruct=usufruct,
        alcohol=alcohol,
        anna_old=anna_old,
        firma_barred=firma_barred,
    )


def run(code: str, **params):
    params.setdefault("as_of", AS_OF)
    return get_query(code).run(params)


def by_taxpayer(result) -> dict[int, queries.QueryRow]:
    return {row.taxpayer_id: row for row in result}


def python_interest(inst: Installment, outstanding: str, as_of: date = AS_OF) -> Decimal:
    regime = InterestRegime(inst.ledger.receivable_type.interest_regime)
    return interest_rules().interest(regime, D(outstanding), inst.due_date, as_of)


# --- The queries on the hand-built ledger --------------------------------------------------


def test_listing_a_result_runs_the_statement_once(book: Book, django_assert_num_queries):
    """list() must not size the result first: that would run the whole statement twice."""
    result = run("dues_and_arrears_with_interest")
    with django_assert_num_queries(1):
        rows = list(result)
    assert len(rows) == 5


def test_total_arrears(book: Book):
    result = run("total_arrears")
    rows = list(result)
    assert [(r.name, r.arrears, r.reminder_costs, r.total) for r in rows] == [
        ("Jan Kowalski", D("1200.00"), D("0.00"), D("1200.00")),
        ("Firma Handlowa Sp. z o.o.", D("700.00"), D("0.00"), D("700.00")),
        ("Anna Nowak", D("650.00"), D("16.00"), D("666.00")),
        ("Maria Lewandowska", D("380.00"), D("0.00"), D("380.00")),
        ("Piotr Wiśniewski", D("0.00"), D("16.00"), D("16.00")),
    ]
    firma = by_taxpayer(rows)[book.firma.pk]
    assert firma.items == 2  # the 2020 instalment and the alcohol fee; not the one due today
    assert firma.oldest_due_date == date(2020, 11, 16)
    assert firma.time_barred and firma.time_barred_amount == D("200.00")
    assert firma.interest is None  # this query does not compute interest
    anna = by_taxpayer(rows)[book.anna.pk]
    assert (anna.items, anna.oldest_due_date, anna.time_barred) == (2, date(2025, 3, 17), False)
    assert anna.email == "anna@example.pl"
    assert result.count() == len(rows) == 5
    totals = result.totals()
    assert (totals.count, totals.arrears, totals.reminder_costs, totals.total) == (
        5,
        D("2930.00"),
        D("32.00"),
        D("2962.00"),
    )


def test_total_dues_counts_everything_charged_and_not_paid(book: Book):
    rows = by_taxpayer(run("total_dues"))
    assert {pk: row.total for pk, row in rows.items()} == {
        book.anna.pk: D("1666.00"),  # 600 + 50 overdue, 1000 not yet due, 16 reminder
        book.firma.pk: D("1000.00"),  # 200 + 500 overdue, 300 due today
        book.jan.pk: D("1200.00"),
        book.maria.pk: D("380.00"),
        book.piotr.pk: D("16.00"),
    }
    anna = rows[book.anna.pk]
    assert (anna.arrears, anna.dues, anna.items) == (D("650.00"), D("1000.00"), 3)
    assert anna.nearest_due_date == date(2026, 5, 15)
    assert rows[book.firma.pk].nearest_due_date == AS_OF  # due today is not arrears


def test_dues_and_arrears_is_the_breakdown_of_total_dues(book: Book):
    breakdown = by_taxpayer(run("dues_and_arrears"))
    totals = by_taxpayer(run("total_dues"))
    assert breakdown == totals  # same figures; the admin shows different columns
    for row in breakdown.values():
        assert row.total == row.arrears + row.reminder_costs + row.dues
    assert get_query("dues_and_arrears").columns != get_query("total_dues").columns


def test_nearest_dues_in_the_next_days_or_a_range(book: Book):
    rows = by_taxpayer(run("nearest_dues"))  # default window: 14 days from the as-of day
    assert list(rows) == [book.firma.pk]
    assert (rows[book.firma.pk].dues, rows[book.firma.pk].nearest_due_date) == (
        D("300.00"),
        AS_OF,
    )
    assert rows[book.firma.pk].reminder_costs is None
    rows = by_taxpayer(run("nearest_dues", days=30))
    assert {pk: r.total for pk, r in rows.items()} == {
        book.firma.pk: D("300.00"),
        book.anna.pk: D("1000.00"),
    }
    rows = by_taxpayer(
        run("nearest_dues", due_from=date(2026, 5, 1), due_to=date(2026, 5, 31), days=3)
    )
    assert list(rows) == [book.anna.pk]


def test_dues_and_arrears_with_interest(book: Book):
    rows = by_taxpayer(run("dues_and_arrears_with_interest"))
    anna_interest = python_interest(book.anna_old, "600.00")
    assert anna_interest > D("50")  # a year of 10–14.5 % on 600 zł
    anna = rows[book.anna.pk]
    assert anna.interest == anna_interest  # the 50 zł waste fee: under the 8.70 zł threshold
    assert anna.total == D("1666.00") + anna_interest
    # Civil interest keeps grosze: 1200 × 15 days × 9.25 % / 365 = 4.5616 → 4.56.
    assert rows[book.jan.pk].interest == D("4.56")
    # The alcohol fee bears none; the time-barred 2020 instalment does.
    assert rows[book.firma.pk].interest == python_interest(book.firma_barred, "200.00")
    assert rows[book.maria.pk].interest == python_interest(
        Installment.objects.get(ledger__taxpayer=book.maria), "380.00"
    )
    assert rows[book.piotr.pk].interest == D("0.00")


def test_query_totals_equal_the_residents_dues(book: Book):
    rows = by_taxpayer(run("dues_and_arrears_with_interest"))
    rules = interest_rules()
    for taxpayer in book.everyone:
        expected = dues(Ledger.objects.filter(taxpayer=taxpayer), AS_OF, rules=rules)
        row = rows.get(taxpayer.pk)
        if row is None:
            assert expected.arrears == expected.interest == expected.reminder_costs == 0
            continue
        assert (row.arrears, row.interest, row.reminder_costs) == (
            expected.arrears,
            expected.interest,
            expected.reminder_costs,
        ), taxpayer
        assert row.arrears + row.interest + row.reminder_costs == expected.to_pay_today


# --- Parameters ----------------------------------------------------------------------------


def test_filter_by_group(book: Book):
    rows = by_taxpayer(run("total_arrears", group=book.group.pk))
    assert set(rows) == {book.anna.pk, book.jan.pk}


def test_filter_by_receivable_types(book: Book):
    rows = by_taxpayer(run("total_arrears", receivable_types=[book.alcohol]))
    assert {pk: r.arrears for pk, r in rows.items()} == {book.firma.pk: D("500.00")}
    rows = by_taxpayer(run("total_arrears", receivable_types=[book.alcohol.pk, book.usufruct.pk]))
    assert set(rows) == {book.firma.pk, book.jan.pk}


def test_filter_by_domain_program_narrows_reminder_costs_too(book: Book):
    rows = by_taxpayer(run("dues_and_arrears", domain_program="PUMA"))
    assert set(rows) == {book.anna.pk, book.jan.pk}
    # Anna's reminder cost is on her property-tax ledger (SIGID), outside the program.
    assert (rows[book.anna.pk].arrears, rows[book.anna.pk].reminder_costs) == (
        D("50.00"),
        D("0.00"),
    )


def test_minimum_amount_is_inclusive(book: Book):
    rows = run("total_arrears", min_amount=D("700.00"))
    assert [r.taxpayer_id for r in rows] == [book.jan.pk, book.firma.pk]


def test_due_date_range_narrows_the_instalments(book: Book):
    rows = by_taxpayer(run("total_arrears", due_from=date(2026, 1, 1), due_to=date(2026, 12, 31)))
    assert {pk: (r.arrears, r.reminder_costs) for pk, r in rows.items()} == {
        book.anna.pk: (D("50.00"), D("16.00")),  # reminder costs are per ledger
        book.firma.pk: (D("500.00"), D("0.00")),
        book.jan.pk: (D("1200.00"), D("0.00")),
        book.maria.pk: (D("380.00"), D("0.00")),
        book.piotr.pk: (D("0.00"), D("16.00")),
    }


def test_time_barred_items_are_flagged_or_left_out(book: Book):
    # Due 16 Nov 2020: the liability expires at the end of 2025.
    assert queries.prescription_cutoff(AS_OF) == date(2021, 1, 1)
    assert by_taxpayer(run("total_arrears", as_of=date(2026, 1, 1)))[book.firma.pk].time_barred
    last_day = by_taxpayer(run("total_arrears", as_of=date(2025, 12, 31)))[book.firma.pk]
    assert (last_day.time_barred, last_day.time_barred_amount) == (False, D("0.00"))
    row = by_taxpayer(run("total_arrears", exclude_time_barred=True))[book.firma.pk]
    assert (row.arrears, row.time_barred) == (D("500.00"), False)


def test_as_of_date_decides_what_is_overdue(book: Book):
    rows = by_taxpayer(run("total_arrears", as_of=date(2026, 4, 16)))
    assert rows[book.firma.pk].arrears == D("1000.00")  # the 15 April instalment is now late


def test_result_slices_and_audience(book: Book):
    result = run("total_arrears")
    everything = list(result)
    assert result[1:3] == everything[1:3]
    assert result[3:] == everything[3:]
    assert result[0] == everything[0]
    assert result[10:20] == []
    audience = result.taxpayers().filter(email__gt="")
    assert set(audience) == {book.anna, book.firma}
    assert everything[0].as_dict().keys() == set(queries.ROW_FIELDS)


def test_form_validates_the_parameters(book: Book):
    form = get_query("nearest_dues").form(
        {
            "as_of": "2026-04-15",
            "due_from": "2026-05-01",
            "due_to": "2026-04-01",
            "min_amount": "-1",
        }
    )
    assert not form.is_valid()
    assert set(form.errors) == {"due_to", "min_amount"}
    form = get_query("total_arrears").form(
        {
            "as_of": "2026-04-15",
            "receivable_types": [book.alcohol.pk],
            "domain_program": "ALK",
            "group": book.group.pk,
            "min_amount": "10.50",
        }
    )
    assert "days" not in form.fields
    assert form.is_valid(), form.errors
    assert form.parameters() == QueryParameters(
        as_of=AS_OF,
        receivable_types=(book.alcohol.pk,),
        domain_program="ALK",
        group=book.group.pk,
        min_amount=D("10.50"),
    )
    assert ("PUMA", "PUMA") in form.fields["domain_program"].choices


def test_every_query_is_one_statement_without_a_loop_over_taxpayers(
    book: Book, django_assert_num_queries
):
    for query in queries.all_queries():
        result = query.run({"as_of": AS_OF})
        with django_assert_num_queries(2):
            result.totals()
            list(result[:2])


# --- Interest in SQL equals eservices.interest ---------------------------------------------

# DOMAIN.md §12.2 (tax) and a civil case: principal, due date, as-of date, interest.
VECTORS = [
    ("tax", "1000.00", date(2025, 3, 17), date(2025, 4, 16), "12.00"),
    ("tax", "500.00", date(2025, 3, 17), date(2025, 6, 30), "20.00"),
    ("tax", "250.00", date(2025, 11, 17), date(2026, 3, 31), "10.00"),
    ("tax", "100.00", date(2025, 9, 15), date(2025, 10, 15), "0.00"),  # ≤ 8.70 threshold
    ("tax", "1000.00", date(2025, 3, 17), date(2025, 3, 17), None),  # paid on the due date
    ("civil_statutory", "1200.00", date(2026, 3, 31), date(2026, 4, 15), "4.56"),
    ("none", "500.00", date(2026, 1, 31), date(2026, 4, 15), "0.00"),
]


@pytest.mark.parametrize(("regime", "principal", "due", "as_of", "expected"), VECTORS)
def test_sql_interest_matches_the_worked_examples(regime, principal, due, as_of, expected):
    rtype = f.receivable_type(f"t-{regime}", interest_regime=regime)
    inst = f.installment(f.ledger(f.taxpayer(), rtype), principal, due)
    got = installment_interest_sql([inst.pk], as_of).get(inst.pk)
    assert got == (None if expected is None else D(expected))
    if expected is not None:
        assert got == interest_rules().interest(InterestRegime(regime), D(principal), due, as_of)


_REGIMES = {
    # regime: earliest due date with a rate row in force on the day after it
    "tax": date(2016, 1, 1),
    "civil_statutory": date(2025, 10, 9),
    "none": date(2016, 1, 1),
}
_item = st.tuples(
    st.sampled_from(sorted(_REGIMES)),
    st.decimals(min_value=D("0.01"), max_value=D("250000.00"), places=2),
    st.integers(min_value=0, max_value=3700),  # due date: days after the regime's first row
)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(_item, min_size=1, max_size=6), as_of_shift=st.integers(0, 400))
def test_sql_interest_equals_python_interest(items, as_of_shift):
    """Random principals, due dates and as-of dates across many rate changes, both regimes."""
    rules = interest_rules()
    taxpayer = f.taxpayer()
    types = {
        regime: f.receivable_type(f"prop-{regime}", interest_regime=regime) for regime in _REGIMES
    }
    ledgers = {regime: f.ledger(taxpayer, rtype) for regime, rtype in types.items()}
    expected: dict[int, Decimal] = {}
    last_due = max(_REGIMES[regime] + timedelta(days=offset) for regime, _p, offset in items)
    as_of = last_due + timedelta(days=as_of_shift)
    for number, (regime, principal, offset) in enumerate(items, start=1):
        due = _REGIMES[regime] + timedelta(days=offset)
        inst = f.installment(ledgers[regime], str(principal), due, number=number)
        if due < as_of:
            expected[inst.pk] = rules.interest(InterestRegime(regime), principal, due, as_of)
    got = installment_interest_sql(Installment.objects.filter(ledger__taxpayer=taxpayer), as_of)
    assert got == expected
    # The per-taxpayer query adds up the same per-instalment figures.
    row = by_taxpayer(
        get_query("dues_and_arrears_with_interest").run(QueryParameters(as_of=as_of))
    ).get(taxpayer.pk)
    assert (row.interest if row else D("0.00")) == sum(expected.values(), D("0.00"))
    assert (row.interest if row else D("0.00")) == dues(taxpayer.ledgers.all(), as_of).interest


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    principal=st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2),
    days=st.integers(min_value=1, max_value=4000),
)
def test_sql_day_and_money_arithmetic_is_exact(principal, days):
    """No float creeps in: grosze and day numbers survive the backend's arithmetic."""
    d = queries._Dialect(connection.vendor)
    day = date(2016, 1, 1) + timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {d.grosze('%s')}, {d.day('%s')}",
            [principal, day],
        )
        grosze, number = cursor.fetchone()
    assert D(grosze) == principal * 100
    assert int(number) == queries.day_number(day)
