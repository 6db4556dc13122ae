"""Effective due dates: OP art. 12 §5 weekend and holiday shift (DOMAIN.md §3, §12.1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eservices.duedates import (
    ShiftRule,
    WorkingCalendar,
    effective_due_date,
    is_public_holiday,
    is_working_day,
)

# DOMAIN.md §12.1: (nominal, weekday, effective)
SHIFT_VECTORS = [
    (date(2025, 3, 15), "Saturday", date(2025, 3, 17)),
    (date(2025, 11, 15), "Saturday", date(2025, 11, 17)),
    (date(2026, 2, 15), "Sunday", date(2026, 2, 16)),
    (date(2026, 3, 15), "Sunday", date(2026, 3, 16)),
    (date(2026, 11, 15), "Sunday", date(2026, 11, 16)),
    (date(2026, 1, 31), "Saturday", date(2026, 2, 2)),
]


@pytest.mark.parametrize(("nominal", "weekday", "effective"), SHIFT_VECTORS)
def test_domain_vectors_12_1(nominal: date, weekday: str, effective: date):
    assert nominal.strftime("%A") == weekday
    assert effective_due_date(nominal) == effective


def test_alcohol_permit_fee_does_not_move_12_1():
    # 31 Jan 2026 is a Saturday; alcohol permit fees keep it (NSA II GSK 14/10).
    assert effective_due_date(date(2026, 1, 31), shifts=False) == date(2026, 1, 31)
    assert effective_due_date(date(2026, 1, 31), rule=ShiftRule.NONE) == date(2026, 1, 31)


def test_civil_rule_moves_the_same_days_as_the_tax_rule():
    for nominal, _, effective in SHIFT_VECTORS:
        assert effective_due_date(nominal, rule=ShiftRule.CIVIL_ART115) == effective


def test_working_day_is_not_moved():
    assert effective_due_date(date(2025, 9, 15)) == date(2025, 9, 15)  # a Monday


def test_the_fourteen_public_holidays_of_2025_section_3():
    expected = {
        date(2025, 1, 1),
        date(2025, 1, 6),
        date(2025, 4, 20),  # Easter Sunday
        date(2025, 4, 21),  # Easter Monday
        date(2025, 5, 1),
        date(2025, 5, 3),
        date(2025, 6, 8),  # Pentecost
        date(2025, 6, 19),  # Corpus Christi
        date(2025, 8, 15),
        date(2025, 11, 1),
        date(2025, 11, 11),
        date(2025, 12, 24),
        date(2025, 12, 25),
        date(2025, 12, 26),
    }
    day, found = date(2025, 1, 1), set()
    while day.year == 2025:
        if is_public_holiday(day):
            found.add(day)
        day += timedelta(days=1)
    assert found == expected


def test_christmas_eve_is_a_holiday_from_2025_only():
    # Act of 6 Dec 2024 (Dz.U. 2024 poz. 1965). If a `holidays` upgrade ever lost it, this
    # fails and the day goes into WorkingCalendar.extra_holidays.
    assert not is_public_holiday(date(2024, 12, 24))
    assert is_public_holiday(date(2025, 12, 24))
    assert is_public_holiday(date(2026, 12, 24))


def test_christmas_run_2025_moves_to_the_next_monday():
    # Wed 24, Thu 25, Fri 26 are holidays, then the weekend.
    assert effective_due_date(date(2025, 12, 24)) == date(2025, 12, 29)


def test_easter_monday_after_a_saturday():
    assert effective_due_date(date(2026, 4, 4)) == date(2026, 4, 7)


def test_a_holiday_on_a_weekday_moves_to_the_next_day():
    assert effective_due_date(date(2025, 5, 1)) == date(2025, 5, 2)  # Thursday → Friday


def test_override_table_adds_and_removes_days():
    extra = WorkingCalendar(extra_holidays=frozenset({date(2026, 5, 4)}))
    assert effective_due_date(date(2026, 5, 3)) == date(2026, 5, 4)
    assert effective_due_date(date(2026, 5, 3), calendar=extra) == date(2026, 5, 5)
    removed = WorkingCalendar(removed_holidays=frozenset({date(2025, 5, 1)}))
    assert is_working_day(date(2025, 5, 1), calendar=removed)
    assert effective_due_date(date(2025, 5, 1), calendar=removed) == date(2025, 5, 1)


def test_one_off_holiday_known_to_the_library():
    assert is_public_holiday(date(2018, 11, 12))  # 100th anniversary of independence


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@given(dates)
def test_effective_date_is_a_working_day_on_or_after_nominal(nominal: date):
    effective = effective_due_date(nominal)
    assert effective >= nominal
    assert is_working_day(effective)
    # A Polish run of days off is at most 5 long (e.g. Wed 24 Dec – Sun 28 Dec).
    assert effective - nominal <= timedelta(days=5)


@given(dates)
def test_effective_date_is_idempotent(nominal: date):
    effective = effective_due_date(nominal)
    assert effective_due_date(effective) == effective


@given(dates)
def test_no_working_day_is_skipped(nominal: date):
    effective = effective_due_date(nominal)
    day = nominal
    while day < effective:
        assert not is_working_day(day)
        day += timedelta(days=1)


@given(dates)
def test_fixed_dates_never_move(nominal: date):
    assert effective_due_date(nominal, shifts=False) == nominal


@given(dates)
def test_working_day_means_weekday_and_no_holiday(day: date):
    assert is_working_day(day) == (day.weekday() < 5 and not is_public_holiday(day))
