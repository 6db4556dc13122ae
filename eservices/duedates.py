"""Effective due dates: the weekend and public-holiday shift (DOMAIN.md §3).

OP art. 12 §5: a deadline that falls on a Saturday, a Sunday or a public holiday moves to the
next working day. It covers everything the Ordynacja podatkowa governs (taxes, the waste fee,
the dog fee). Alcohol permit fees never move (NSA II GSK 14/10), so the shift is a per-type
flag. Interest runs from the day after the *effective* date, so instalments keep both dates.

Public holidays come from the maintained ``holidays`` package (act of 18 Jan 1951 on public
holidays as amended; it knows 24 December as a holiday from 2025 under the act of 6 Dec 2024,
Dz.U. 2024 poz. 1965 — pinned by a test). A future statutory change the package does not know
yet goes into `WorkingCalendar.extra_holidays` (DOMAIN.md §13: "generator + override table").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays

SATURDAY = 5


class ShiftRule(StrEnum):
    """How a receivable's nominal due date becomes the effective one (DOMAIN.md §13)."""

    #: OP art. 12 §5: Saturdays, Sundays and public holidays move to the next working day.
    TAX_ART12 = "tax_art12"
    #: KC art. 115 for civil dues (leases, rent, perpetual usufruct). Unconfirmed (U) in
    #: DOMAIN.md §3; the current text of art. 115 names Saturday as well as statutory days
    #: off, so the same days move as under art. 12 §5. Kept separate so it can diverge.
    CIVIL_ART115 = "civil_art115"
    #: Never moves (alcohol permit fees, uwtpa; NSA II GSK 14/10).
    NONE = "none"


@lru_cache(maxsize=256)
def _statutory_holidays(year: int) -> frozenset[date]:
    # An immutable per-year set: `holidays` objects fill themselves lazily on lookup, which is
    # not something to share between threads of a web worker.
    return frozenset(holidays.country_holidays("PL", years=year, categories=(holidays.PUBLIC,)))


@dataclass(frozen=True)
class WorkingCalendar:
    """Polish working days, with an override table on top of the holiday library.

    ``extra_holidays`` adds days the library does not know yet (a new statutory holiday, a
    one-off like 12 Nov 2018); ``removed_holidays`` drops a day the library has wrongly.
    """

    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    removed_holidays: frozenset[date] = field(default_factory=frozenset)

    def is_public_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        if day in self.removed_holidays:
            return False
        return day in _statutory_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and not self.is_public_holiday(day)

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


DEFAULT_CALENDAR = WorkingCalendar()


def is_public_holiday(day: date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Whether ``day`` is a Polish statutory public holiday (ustawa o dniach wolnych od pracy)."""
    return calendar.is_public_holiday(day)


def is_working_day(day: date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Monday to Friday and not a public holiday (the days OP art. 12 §5 does not skip)."""
    return calendar.is_working_day(day)


def effective_due_date(
    nominal: date,
    *,
    shifts: bool = True,
    rule: ShiftRule = ShiftRule.TAX_ART12,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> date:
    """The day a payment is actually due (OP art. 12 §5; KC art. 115 for civil dues).

    ``shifts=False`` (or ``rule=ShiftRule.NONE``) is for receivable types whose dates never
    move, such as alcohol permit fees: 31 Jan 2026 stays a Saturday.
    """
    if not shifts or rule is ShiftRule.NONE:
        return nominal
    return calendar.next_working_day(nominal)
