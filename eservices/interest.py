"""Interest on late payment: tax-arrears interest (OP art. 53–56d) and civil interest (KC 481).

Tax-arrears interest follows the MF regulation of 22 Aug 2005 §2 (Dz.U. 2005 nr 165 poz. 1373):
``On = Kz × L × O / 365`` per period of one rate, the periods are computed separately and only
their sum is rounded, to whole złoty half-up (OP art. 63 §1). See DOMAIN.md §5; the worked
examples of §12.2 are pinned by tests.

Rates are data: every function takes a sequence of `RatePeriod` rows. `STANDARD_RATES` and
`CIVIL_STATUTORY_RATES` are the seed rows from DOMAIN.md §5.2 and §6 for the migration that
creates the administrators' rate table; nothing here reads them behind the caller's back except
as a default argument.

Dates: ``due_date`` is the *effective* due date (after the art. 12 §5 shift, see
`eservices.duedates`); interest runs from the day after it to ``paid_on`` inclusive (art. 53 §4).
Which calendar day counts as ``paid_on`` for a transfer (art. 60: the day the payer's account is
debited) is the caller's choice per payment channel (DOMAIN.md §13).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum
from functools import cached_property
from itertools import pairwise

from eservices.money import ZERO, money, round_grosz, round_zloty

ONE_DAY = timedelta(days=1)
# The MF regulation's formula divides by 365 whatever the year; DOMAIN.md §5.1 keeps it so
# (no 366 in leap years). Civil interest uses the same convention by default (§6 gives none).
TAX_YEAR_DAYS = 365
# Working precision for the sum: numerators (up to 10^10 zł × 10^5 days × 100 %) stay exact
# and the quotient keeps ~30 places after the point before it is handed back.
_PRECISION = 50


class RateKind(StrEnum):
    """Which rate of a `RatePeriod` row applies (OP art. 56, 56a, 56b)."""

    STANDARD = "standard"
    #: Art. 56a: 50 % of the standard rate (75 % before 2016) after a corrected declaration
    #: filed within 6 months and paid within 7 days of the correction.
    REDUCED = "reduced"
    #: Art. 56b: 150 % of the standard rate (VAT and excise audit arrears; rare for a gmina).
    INCREASED = "increased"


class InterestRegime(StrEnum):
    """Which late-payment interest a receivable bears (DOMAIN.md §6 model)."""

    TAX = "tax"
    CIVIL_STATUTORY = "civil_statutory"
    #: Act of 8 Mar 2013 on payment delays in commercial transactions: reference + 10 pp
    #: (U in DOMAIN.md §6); no rate rows are seeded for it.
    COMMERCIAL = "commercial"
    #: Alcohol permit fees bear no interest (the permit lapses instead).
    NONE = "none"


@dataclass(frozen=True)
class RatePeriod:
    """One row of a rate table: rates in percent a year, in force from ``valid_from``.

    A row is in force until the next row's ``valid_from``. ``reduced_rate`` and
    ``increased_rate`` are ``None`` where that kind of rate did not exist.
    """

    valid_from: date
    annual_rate: Decimal
    reduced_rate: Decimal | None = None
    increased_rate: Decimal | None = None
    source: str = ""

    def rate(self, kind: RateKind = RateKind.STANDARD) -> Decimal:
        rate = {
            RateKind.STANDARD: self.annual_rate,
            RateKind.REDUCED: self.reduced_rate,
            RateKind.INCREASED: self.increased_rate,
        }[kind]
        if rate is None:
            raise ValueError(f"no {kind} interest rate in force from {self.valid_from}")
        return rate


def _tax_row(valid_from: date, standard: str, source: str) -> RatePeriod:
    # The 50 % and 150 % columns of DOMAIN.md §5.2 are exactly half and one and a half of
    # the standard rate (art. 56a §1, art. 56b); a test checks every row against the table.
    rate = Decimal(standard)
    return RatePeriod(
        valid_from=valid_from,
        annual_rate=rate,
        reduced_rate=rate / 2,
        increased_rate=rate * 3 / 2,
        source=source,
    )


#: Standard tax-arrears interest rates (OP art. 56 §1: 200 % of the NBP lombard rate + 2 pp,
#: at least 8 %), DOMAIN.md §5.2. Seed data for the rate-table migration.
STANDARD_RATES: tuple[RatePeriod, ...] = (
    # DOMAIN.md §5.2 gives one row 2014-10-09 → 2022-02-08 with 4.00 % / 12.00 %, but §5.1
    # says the reduced rate was 75 % before 2016 and the 150 % rate came with art. 56b in
    # 2016 (Dz.U. 2015 poz. 2233 added §2b to the regulation). So the row is split at
    # 1 Jan 2016; the standard rate is 8.00 % on both sides.
    RatePeriod(
        valid_from=date(2014, 10, 9),
        annual_rate=Decimal("8.00"),
        reduced_rate=Decimal("6.00"),
        increased_rate=None,
        source="8 % floor; e-pik 2022/06; czernikowo. Reduced 75 % before 2016 (art. 56a).",
    ),
    _tax_row(date(2016, 1, 1), "8.00", "8 % floor; e-pik 2022/06; czernikowo"),
    _tax_row(date(2022, 2, 9), "8.50", "podatkowyreferat"),
    _tax_row(date(2022, 3, 9), "10.00", "e-pik; gazetaprawna 8413989"),
    _tax_row(date(2022, 4, 7), "12.00", "e-pik; gazetaprawna 8413989"),
    _tax_row(date(2022, 5, 6), "13.50", "e-pik (M.P. 2022 poz. 468)"),
    _tax_row(date(2022, 6, 9), "15.00", "e-pik (M.P. 2022 poz. 607)"),
    _tax_row(date(2022, 7, 8), "16.00", "firma.rp.pl; czgekologiczni.pl"),
    _tax_row(date(2022, 9, 8), "16.50", "podatki.biz (M.P. 2022 poz. 905)"),
    _tax_row(date(2023, 9, 7), "15.00", "rach-mistrz (M.P. 2023 poz. 1017); start date D"),
    _tax_row(date(2023, 10, 5), "14.50", "podatkowyreferat; gazetaprawna 2025-12-04"),
    _tax_row(date(2025, 5, 8), "13.50", "gazetaprawna 2025-12-04"),
    _tax_row(date(2025, 7, 3), "13.00", "gazetaprawna 2025-12-04"),
    _tax_row(date(2025, 9, 4), "12.50", "gazetaprawna 2025-12-04"),
    _tax_row(date(2025, 10, 9), "12.00", "gazetaprawna 2025-12-04"),
    _tax_row(date(2025, 11, 6), "11.50", "gazetaprawna 2025-12-04"),
    _tax_row(date(2025, 12, 4), "11.00", "gazetaprawna 2025-12-04; warszawawpigulce; wprost"),
    _tax_row(
        date(2026, 3, 5),
        "10.50",
        "D: lombard 4.25 % × 2 + 2 (nowiny.press; bsbrodnica.pl; wpolityce); confirm in M.P.",
    ),
)

#: Statutory late-payment interest, KC art. 481 §2: NBP reference rate + 5.5 pp (DOMAIN.md §6).
#: DOMAIN.md gives no rows before 9 Oct 2025: older civil arrears need rows seeded from NBP.
CIVIL_STATUTORY_RATES: tuple[RatePeriod, ...] = (
    RatePeriod(date(2025, 10, 9), Decimal("10.00"), source="C: infor.pl"),
    RatePeriod(
        date(2025, 11, 6),
        Decimal("9.75"),
        source="D: reference rate assumed cut 0.25 pp with the lombard rate; confirm with NBP",
    ),
    RatePeriod(date(2025, 12, 4), Decimal("9.50"), source="D: reference 4.00 % + 5.5 pp"),
    RatePeriod(date(2026, 3, 5), Decimal("9.25"), source="D: reference 3.75 % + 5.5 pp"),
)


@dataclass(frozen=True)
class ThresholdPeriod:
    """OP art. 54 §1 pkt 5: no interest when it would not exceed ``amount`` (3 × the
    registered-letter surcharge of Poczta Polska), in force from ``valid_from``."""

    valid_from: date
    amount: Decimal
    source: str = ""


#: Dated no-interest thresholds (DOMAIN.md §5.1, §13). The current value is U in DOMAIN.md.
NO_INTEREST_THRESHOLDS: tuple[ThresholdPeriod, ...] = (
    # DOMAIN.md only says "6.60 zł before"; it covers everything earlier than 1 Feb 2014.
    ThresholdPeriod(date.min, Decimal("6.60"), source="legis.lubin.pl"),
    ThresholdPeriod(date(2014, 2, 1), Decimal("8.70"), source="3 × 2.90 zł; bielice.com.pl"),
)


@dataclass(frozen=True)
class InterestPart:
    """Interest for ``days`` consecutive days at one rate, unrounded (shown on statements)."""

    start: date
    end: date
    days: int
    annual_rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InterestCalculation:
    """The whole computation: parts, their unrounded sum, the rounded and the charged amount."""

    principal: Decimal
    due_date: date
    paid_on: date
    parts: tuple[InterestPart, ...]
    unrounded: Decimal
    rounded: Decimal
    threshold: Decimal | None
    charged: Decimal

    @property
    def days(self) -> int:
        return sum(part.days for part in self.parts)


DateRange = tuple[date, date]


def rate_in_force(
    rates: Sequence[RatePeriod], day: date, kind: RateKind = RateKind.STANDARD
) -> Decimal:
    """The annual rate (in percent) of ``kind`` in force on ``day``."""
    return _row_in_force(_sorted_rates(rates), day).rate(kind)


def threshold_in_force(thresholds: Sequence[ThresholdPeriod], day: date) -> Decimal | None:
    """The art. 54 §1 pkt 5 threshold in force on ``day``; ``None`` if the table is empty."""
    current = None
    for row in sorted(thresholds, key=lambda row: row.valid_from):
        if row.valid_from <= day:
            current = row.amount
    return current


def _charged(
    unrounded: Decimal, rounded: Decimal, threshold: Decimal | None, before_rounding: bool
) -> Decimal:
    """The interest charged: none at or below the no-interest threshold (art. 54 §1 pkt 5),
    compared with the rounded sum or, if so configured, the unrounded one (DOMAIN.md §13)."""
    compared = unrounded if before_rounding else rounded
    return ZERO if threshold is not None and compared <= threshold else rounded


def tax_interest_calculation(
    principal: Decimal,
    due_date: date,
    paid_on: date,
    *,
    rates: Sequence[RatePeriod] = STANDARD_RATES,
    kind: RateKind = RateKind.STANDARD,
    thresholds: Sequence[ThresholdPeriod] = NO_INTEREST_THRESHOLDS,
    compare_threshold_before_rounding: bool = False,
    round_to_zloty: bool = True,
    exempt_periods: Sequence[DateRange] = (),
) -> InterestCalculation:
    """Tax-arrears interest on ``principal`` overdue since ``due_date``, paid on ``paid_on``.

    OP art. 53 §4 (from the day after the due date to the payment day), art. 56 (rates),
    art. 54 §1 pkt 5 (threshold), art. 63 §1 (rounding to whole złoty).

    ``thresholds`` is looked up on ``paid_on``, the day the interest falls due with the
    payment. Whether to compare the threshold with the rounded or the unrounded sum is U
    (DOMAIN.md §13); the default compares the rounded sum. ``round_to_zloty=False`` keeps
    grosze, for the case a gmina reads art. 63 §2 as covering interest on its fees.
    ``exempt_periods`` are inclusive date ranges without interest (art. 54 §1, e.g. pkt 7c:
    a tax audit beyond 6 months, from 4 Nov 2025).
    """
    principal = _principal(principal)
    parts, unrounded = _accrue(principal, due_date, paid_on, rates, kind, exempt_periods)
    rounded = round_zloty(unrounded) if round_to_zloty else round_grosz(unrounded)
    threshold = threshold_in_force(thresholds, paid_on)
    charged = _charged(unrounded, rounded, threshold, compare_threshold_before_rounding)
    return InterestCalculation(
        principal=principal,
        due_date=due_date,
        paid_on=paid_on,
        parts=parts,
        unrounded=unrounded,
        rounded=rounded,
        threshold=threshold,
        charged=charged,
    )


def tax_interest(
    principal: Decimal,
    due_date: date,
    paid_on: date,
    *,
    rates: Sequence[RatePeriod] = STANDARD_RATES,
    kind: RateKind = RateKind.STANDARD,
    thresholds: Sequence[ThresholdPeriod] = NO_INTEREST_THRESHOLDS,
    compare_threshold_before_rounding: bool = False,
    round_to_zloty: bool = True,
    exempt_periods: Sequence[DateRange] = (),
) -> Decimal:
    """The tax-arrears interest charged, in złoty (``Decimal`` with two places).

    See `tax_interest_calculation` for the rules and the parameters.
    """
    return tax_interest_calculation(
        principal,
        due_date,
        paid_on,
        rates=rates,
        kind=kind,
        thresholds=thresholds,
        compare_threshold_before_rounding=compare_threshold_before_rounding,
        round_to_zloty=round_to_zloty,
        exempt_periods=exempt_periods,
    ).charged


def civil_interest_calculation(
    principal: Decimal,
    due_date: date,
    paid_on: date,
    *,
    rates: Sequence[RatePeriod] = CIVIL_STATUTORY_RATES,
    year_days: int = TAX_YEAR_DAYS,
    exempt_periods: Sequence[DateRange] = (),
) -> InterestCalculation:
    """Statutory interest for delay (KC art. 481 §1–2) on a civil receivable.

    Perpetual-usufruct fees, rent and leases (DOMAIN.md §6). Unlike tax interest: no rounding
    to whole złoty and no 8.70 zł threshold (both U), so the sum is rounded half-up to the
    grosz. It runs from the day after the due date to the payment day inclusive, like tax
    interest. DOMAIN.md gives no day-count convention for civil interest; ``year_days``
    defaults to 365 as the tax formula does.
    """
    principal = _principal(principal)
    parts, unrounded = _accrue(
        principal,
        due_date,
        paid_on,
        rates,
        RateKind.STANDARD,
        exempt_periods,
        year_days=year_days,
    )
    rounded = round_grosz(unrounded)
    return InterestCalculation(
        principal=principal,
        due_date=due_date,
        paid_on=paid_on,
        parts=parts,
        unrounded=unrounded,
        rounded=rounded,
        threshold=None,
        charged=rounded,
    )


def civil_interest(
    principal: Decimal,
    due_date: date,
    paid_on: date,
    *,
    rates: Sequence[RatePeriod] = CIVIL_STATUTORY_RATES,
    year_days: int = TAX_YEAR_DAYS,
    exempt_periods: Sequence[DateRange] = (),
) -> Decimal:
    """Statutory interest for delay, rounded to the grosz; see `civil_interest_calculation`."""
    return civil_interest_calculation(
        principal,
        due_date,
        paid_on,
        rates=rates,
        year_days=year_days,
        exempt_periods=exempt_periods,
    ).charged


class _RateDays:
    """A rate table prepared to give Σ days × rate over any period with two bisections.

    ``cumulative[i]`` is Σ rate × days from the first row's ``valid_from`` to row ``i``'s, so
    the sum over [first, last] is F(last + 1) − F(first), where F(day) is the cumulative value
    of the row in force on ``day`` plus its rate × the days since that row started. Every term
    is an exact ``Decimal`` (integers × two-place rates), so the sum is the very number
    `_accrue` gets by adding its parts: interest computed from it is equal to the grosz and to
    the last digit. Periods it cannot answer (before the first row, or across a row without
    the rate ``kind``) get ``None``, and the caller takes `_accrue`, which raises the error.
    """

    __slots__ = ("cumulative", "missing", "rates", "starts")

    def __init__(self, ordered: list[RatePeriod], kind: RateKind):
        self.starts = [row.valid_from.toordinal() for row in ordered]
        self.rates = [row.rate(kind) if _has_rate(row, kind) else None for row in ordered]
        # missing[i]: how many of the rows before row i lack the rate.
        self.missing = [0]
        self.cumulative = [Decimal(0)]
        with localcontext() as context:
            context.prec = _PRECISION
            for index, rate in enumerate(self.rates[:-1]):
                days = self.starts[index + 1] - self.starts[index]
                self.missing.append(self.missing[-1] + (rate is None))
                self.cumulative.append(self.cumulative[-1] + (rate or 0) * days)
        self.missing.append(self.missing[-1] + (self.rates[-1] is None if self.rates else 0))

    def total(self, first: int, last: int) -> Decimal | None:
        """Σ rate × days over the days ``first``..``last`` (ordinals, ``first <= last``)."""
        i = bisect.bisect_right(self.starts, first) - 1
        j = bisect.bisect_right(self.starts, last) - 1
        if i < 0 or self.missing[j + 1] - self.missing[i]:
            return None
        with localcontext() as context:
            context.prec = _PRECISION
            end = self.cumulative[j] + self.rates[j] * (last + 1 - self.starts[j])
            start = self.cumulative[i] + self.rates[i] * (first - self.starts[i])
            return end - start


def _has_rate(row: RatePeriod, kind: RateKind) -> bool:
    try:
        row.rate(kind)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class InterestRules:
    """Rate tables and settings for every interest regime, in one object to pass around.

    The defaults are the seed data; the lead builds one from the administrators' tables.
    Like every frozen value, the rules must not change once made: `interest` prepares each
    rate table once per object (cumulative rate × days, see `_RateDays`), so that a page with
    hundreds of overdue instalments does not split each period at every rate change again.
    """

    tax_rates: Sequence[RatePeriod] = STANDARD_RATES
    civil_rates: Sequence[RatePeriod] = CIVIL_STATUTORY_RATES
    commercial_rates: Sequence[RatePeriod] = ()
    thresholds: Sequence[ThresholdPeriod] = NO_INTEREST_THRESHOLDS
    compare_threshold_before_rounding: bool = False

    def interest(
        self,
        regime: InterestRegime,
        principal: Decimal,
        due_date: date,
        paid_on: date,
        kind: RateKind = RateKind.STANDARD,
    ) -> Decimal:
        """Interest charged on ``principal`` late since ``due_date`` if paid on ``paid_on``.

        The same figure as `tax_interest` / `civil_interest` with these rules' tables (the
        tests compare them), computed from the prepared tables; anything those would refuse
        (a period before the first rate row, a missing reduced or increased rate, two rows on
        one day) goes through them so that they raise.
        """
        if regime is InterestRegime.NONE:
            return ZERO
        if regime is InterestRegime.TAX:
            unrounded = self._unrounded("tax_rates", kind, principal, due_date, paid_on)
            if unrounded is None:
                return tax_interest(
                    principal,
                    due_date,
                    paid_on,
                    rates=self.tax_rates,
                    kind=kind,
                    thresholds=self.thresholds,
                    compare_threshold_before_rounding=self.compare_threshold_before_rounding,
                )
            return _charged(
                unrounded,
                round_zloty(unrounded),
                self._threshold_on(paid_on),
                self.compare_threshold_before_rounding,
            )
        table = "civil_rates" if regime is InterestRegime.CIVIL_STATUTORY else "commercial_rates"
        unrounded = self._unrounded(table, RateKind.STANDARD, principal, due_date, paid_on)
        if unrounded is None:
            return civil_interest(principal, due_date, paid_on, rates=getattr(self, table))
        return round_grosz(unrounded)

    def _unrounded(
        self,
        table_name: str,
        kind: RateKind,
        principal: Decimal,
        due_date: date,
        paid_on: date,
    ) -> Decimal | None:
        """`_accrue`'s unrounded sum, or ``None`` where `_accrue` has to answer (or raise)."""
        principal = _principal(principal)
        first, last = due_date.toordinal() + 1, paid_on.toordinal()
        if last < first or principal == 0:
            return Decimal(0)
        table = self._rate_days.get((table_name, kind))
        if table is None:
            table = self._prepare(table_name, kind)
        if table is False:
            return None
        total = table.total(first, last)
        if total is None:
            return None
        with localcontext() as context:
            context.prec = _PRECISION
            unrounded = principal * total / (100 * TAX_YEAR_DAYS)
        return +unrounded  # the caller's context, as `_accrue` hands it back

    def _prepare(self, table_name: str, kind: RateKind) -> _RateDays | bool:
        try:
            ordered = _sorted_rates(getattr(self, table_name))
        except ValueError:
            prepared: _RateDays | bool = False  # two rows on one day: `_accrue` raises
        else:
            prepared = _RateDays(ordered, kind) if ordered else False
        self._rate_days[(table_name, kind)] = prepared
        return prepared

    @cached_property
    def _rate_days(self) -> dict[tuple[str, RateKind], _RateDays | bool]:
        return {}

    @cached_property
    def _threshold_table(self) -> tuple[list[date], list[Decimal]]:
        ordered = sorted(self.thresholds, key=lambda row: row.valid_from)
        return [row.valid_from for row in ordered], [row.amount for row in ordered]

    def _threshold_on(self, day: date) -> Decimal | None:
        """`threshold_in_force` of these rules' table, by bisection."""
        starts, amounts = self._threshold_table
        index = bisect.bisect_right(starts, day) - 1
        return amounts[index] if index >= 0 else None


def _principal(value: Decimal) -> Decimal:
    principal = money(value)
    if principal < 0:
        raise ValueError(f"principal must not be negative: {principal}")
    return principal


def _sorted_rates(rates: Sequence[RatePeriod]) -> list[RatePeriod]:
    ordered = sorted(rates, key=lambda row: row.valid_from)
    for earlier, later in pairwise(ordered):
        if earlier.valid_from == later.valid_from:
            raise ValueError(f"two interest rates in force from {later.valid_from}")
    return ordered


def _row_in_force(ordered: list[RatePeriod], day: date) -> RatePeriod:
    index = bisect.bisect_right([row.valid_from for row in ordered], day) - 1
    if index < 0:
        raise ValueError(f"no interest rate in force on {day}")
    return ordered[index]


def _merged_exempt(exempt_periods: Sequence[DateRange]) -> list[DateRange]:
    merged: list[DateRange] = []
    for start, end in sorted(exempt_periods):
        if end < start:
            raise ValueError(f"exempt period ends before it starts: {start}–{end}")
        if merged and start <= merged[-1][1] + ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _accrue(
    principal: Decimal,
    due_date: date,
    paid_on: date,
    rates: Sequence[RatePeriod],
    kind: RateKind,
    exempt_periods: Sequence[DateRange],
    *,
    year_days: int = TAX_YEAR_DAYS,
) -> tuple[tuple[InterestPart, ...], Decimal]:
    """Split (due_date, paid_on] at rate changes and exempt periods; unrounded parts and sum."""
    first, last = due_date + ONE_DAY, paid_on
    if last < first or principal == 0:
        return (), Decimal(0)

    ordered = _sorted_rates(rates)
    exempt = _merged_exempt(exempt_periods)
    cuts = {first, last + ONE_DAY}
    cuts.update(row.valid_from for row in ordered if first < row.valid_from <= last)
    for start, end in exempt:
        cuts.update(day for day in (start, end + ONE_DAY) if first < day <= last)
    bounds = sorted(cuts)

    # (start, end, rate) runs of accruing days; a run is wholly inside or outside every
    # exempt period because the cuts include their edges.
    runs: list[tuple[date, date, Decimal]] = []
    for start, after in pairwise(bounds):
        end = after - ONE_DAY
        if any(ex_start <= start <= ex_end for ex_start, ex_end in exempt):
            continue
        rate = _row_in_force(ordered, start).rate(kind)
        if runs and runs[-1][1] + ONE_DAY == start and runs[-1][2] == rate:
            runs[-1] = (runs[-1][0], end, rate)  # same rate on both sides of a table row
        else:
            runs.append((start, end, rate))

    denominator = 100 * year_days
    with localcontext() as context:
        context.prec = _PRECISION
        parts = tuple(
            InterestPart(
                start=start,
                end=end,
                days=(end - start).days + 1,
                annual_rate=rate,
                amount=principal * ((end - start).days + 1) * rate / denominator,
            )
            for start, end, rate in runs
        )
        # On = Kz × L × O / 365 per part; the parts share the denominator, so summing the
        # numerators and dividing once gives the exact sum of the parts (no drift).
        numerator = sum((principal * part.days * part.annual_rate for part in parts), Decimal(0))
        unrounded = numerator / denominator
    # Hand back ordinary Decimals (the caller's context, 28 digits by default): the extra
    # digits only served the sum, and no 28-digit quotient of 365 lands next to a half.
    parts = tuple(replace(part, amount=+part.amount) for part in parts)
    return parts, +unrounded
