"""Defined queries (zapytania zdefiniowane, seed 000): who owes what, as of a day, in one SQL.

Five queries over the whole taxpayer base, each one statement run in the database — no loop
over taxpayers in Python:

``total_arrears``
    Zaległości: principal past its effective due date, plus reminder costs.
``total_dues``
    Należności: everything charged and not paid, due or not, plus reminder costs (one total).
``nearest_dues``
    Najbliższe należności: instalments falling due in a window — the due-date range, or the
    next ``days`` days from the as-of date.
``dues_and_arrears``
    Należności i zaległości: the same figures as ``total_dues``, broken down into arrears,
    reminder costs and dues not yet due.
``dues_and_arrears_with_interest``
    The breakdown plus tax-arrears or civil interest to the as-of date.

Parameters (`QueryParameters`, filled in by `DefinedQueryForm`): as-of date, due-date range,
receivable types and/or domain program, taxpayer group, minimum amount (compared with the
query's ``total``), and whether to leave out time-barred items.

Every query returns rows of the same shape (`QueryRow`); the messaging issue uses them as
campaign audiences and placeholders. Field names (``ROW_FIELDS``):

==================== =====================================================================
taxpayer_id          ``Taxpayer.pk``
external_id          the payer's id in the domain system
name                 person's first and last name, or the organisation's name
kind                 ``person`` or ``organisation``
nip, email, phone    from the taxpayer record (never the PESEL)
arrears              principal overdue on the as-of date (zaległość), PLN
interest             interest to the as-of date (``None`` unless the query computes it)
reminder_costs       reminder costs owed (``None`` where the query leaves them out)
dues                 principal not yet due (due on or after the as-of date), PLN
total                what the query sums up (see each query); rows have ``total`` > 0
items                number of instalments counted (overdue ones for ``total_arrears``)
oldest_due_date      the earliest due date among the overdue instalments
nearest_due_date     the earliest due date on or after the as-of date
time_barred          True if an overdue instalment is presumably time-barred (see below)
time_barred_amount   principal of those instalments, PLN
==================== =====================================================================

Rules, matching ``eservices.dues.dues()`` (the resident's pages) so that both show one figure:

- The outstanding principal of an instalment is the sum of its entries' ``principal`` deltas;
  an instalment counts when that sum is positive. It is *overdue* when its effective due date
  is before the as-of date (paying on the due date is on time). Balances are the ledger as it
  stands: the as-of date decides what is overdue and the day interest runs to.
- Interest (DOMAIN.md §5, §6) per overdue instalment: outstanding × rate/100 × days/365 for
  each rate period of the ``InterestRate`` table overlapping [due date + 1, as-of date], summed
  unrounded; the tax regime rounds the sum half-up to whole złoty and charges nothing if that
  does not exceed the ``NoInterestThreshold`` in force on the as-of date; the civil regimes
  round to the grosz; ``none`` bears no interest. Days before the first rate row of a regime
  bear none (``eservices.interest`` refuses such a period instead).
- Reminder costs are owed per ledger (the sum of its entries' ``reminder_costs``), so the
  due-date range does not narrow them; the type, program and group filters do.
- Prescription (OP art. 70 §1, DOMAIN.md §9): a tax liability expires 5 years after the end of
  the year its payment was due, so an instalment is flagged from 1 January of the sixth year
  after its due date. Interruptions and suspensions (enforcement, instalment agreements) are
  not recorded in the portal: the flag says "check", not "written off".
- A ledger belongs to its owner (``Ledger.taxpayer``); co-obligated persons are not rows of
  their own, so no debt is counted twice.

How: the ORM cannot aggregate twice in one statement (per instalment: outstanding principal,
interest rounded per instalment; then per taxpayer), and correlated subqueries per column would
be nested loops per taxpayer in the database. So the statement is SQL with common table
expressions and window functions (``LEAD`` over the rate table), parameterised, with the ledger
filters compiled from an ORM queryset. Money is carried as integer grosze and interest as an
exact integer numerator (grosze × days × hundredths of a percent), so SQLite (floats) and
PostgreSQL (numeric) give the same figures to the grosz as the ``Decimal`` code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    Installment,
    InterestRate,
    Ledger,
    LedgerEntry,
    NoInterestThreshold,
    ReceivableType,
    Taxpayer,
    TaxpayerGroup,
)

GROSZ = Decimal("0.01")

ROW_FIELDS: tuple[str, ...] = (
    "taxpayer_id",
    "external_id",
    "name",
    "kind",
    "nip",
    "email",
    "phone",
    "arrears",
    "interest",
    "reminder_costs",
    "dues",
    "total",
    "items",
    "oldest_due_date",
    "nearest_due_date",
    "time_barred",
    "time_barred_amount",
)

#: Column headings for the admin table and the exports.
FIELD_LABELS: dict[str, Any] = {
    "taxpayer_id": _("Taxpayer no."),
    "external_id": _("Id in the domain system"),
    "name": _("Taxpayer"),
    "kind": _("Kind"),
    "nip": _("NIP"),
    "email": _("Email"),
    "phone": _("Phone"),
    "arrears": _("Arrears"),
    "interest": _("Interest"),
    "reminder_costs": _("Reminder costs"),
    "dues": _("Not yet due"),
    "total": _("Total"),
    "items": _("Instalments"),
    "oldest_due_date": _("Oldest due date"),
    "nearest_due_date": _("Nearest due date"),
    "time_barred": _("Time-barred items"),
    "time_barred_amount": _("Time-barred principal"),
}

#: Fields that identify the taxpayer in exports (the PESEL is never exported).
IDENTITY_FIELDS: tuple[str, ...] = (
    "taxpayer_id",
    "external_id",
    "name",
    "nip",
    "email",
    "phone",
)

# Interest arithmetic in integers: principal in grosze (g), rate in hundredths of a percent
# (b), so interest in złoty = g × days × b / (100 × 100 × 36 500) = numerator / 365 000 000.
_ZLOTY_DENOMINATOR = 365_000_000
_GROSZ_DENOMINATOR = 3_650_000
_EPOCH = date(1970, 1, 1)
# An amount a query does not compute: typed, so that PostgreSQL can still SUM the column.
_NULL = "CAST(NULL AS NUMERIC)"


def day_number(day: date) -> int:
    """Days since 1 Jan 1970: how the SQL compares dates as integers."""
    return (day - _EPOCH).days


def prescription_cutoff(as_of: date) -> date:
    """Instalments due before this day are presumably time-barred on ``as_of``.

    OP art. 70 §1: 5 years from the end of the calendar year the payment was due. Due in year
    Y, the liability expires at the end of Y + 5, so it is time-barred on ``as_of`` when
    Y <= as_of.year - 6, i.e. when it was due before 1 January of ``as_of.year - 5``.
    """
    return date(as_of.year - 5, 1, 1)


# --- Parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryParameters:
    """What a defined query is asked. Dates are inclusive; amounts are PLN."""

    as_of: date
    due_from: date | None = None
    due_to: date | None = None
    #: Window of ``nearest_dues`` when no due-date range is given: as-of date + ``days``.
    days: int | None = None
    receivable_types: tuple[int, ...] = ()
    domain_program: str = ""
    group: int | None = None
    min_amount: Decimal | None = None
    exclude_time_barred: bool = False

    @classmethod
    def of(cls, value: QueryParameters | dict[str, Any]) -> QueryParameters:
        if isinstance(value, QueryParameters):
            return value
        value = dict(value)
        if "receivable_types" in value:
            value["receivable_types"] = tuple(
                getattr(t, "pk", t) for t in value["receivable_types"] or ()
            )
        if "group" in value and value["group"] is not None:
            value["group"] = getattr(value["group"], "pk", value["group"])
        return cls(**value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DefinedQueryForm(forms.Form):
    """The parameters of a defined query, validated."""

    as_of = forms.DateField(
        label=_("As of"),
        widget=DateInput,
        help_text=_("Overdue means due before this day; interest runs to this day inclusive."),
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput)
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DateInput)
    days = forms.IntegerField(
        label=_("Days ahead"),
        required=False,
        min_value=0,
        max_value=366,
        help_text=_(
            "Without a due-date range: instalments due from the as-of date to this many days later."
        ),
    )
    receivable_types = forms.ModelMultipleChoiceField(
        label=_("Receivable types"),
        queryset=ReceivableType.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    domain_program = forms.ChoiceField(label=_("Domain program"), required=False, choices=())
    group = forms.ModelChoiceField(
        label=_("Taxpayer group"),
        queryset=TaxpayerGroup.objects.order_by("name"),
        required=False,
    )
    min_amount = forms.DecimalField(
        label=_("Minimum amount (PLN)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Only taxpayers whose total is at least this amount."),
    )
    exclude_time_barred = forms.BooleanField(
        label=_("Leave out time-barred instalments"), required=False
    )

    def __init__(self, *args, query: DefinedQuery | None = None, **kwargs):
        kwargs.setdefault("initial", {"as_of": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.query = query
        if query is None or query.window_days is None:
            del self.fields["days"]
        else:
            self.fields["days"].initial = query.window_days
        programs = (
            ReceivableType.objects.exclude(domain_program="")
            .order_by("domain_program")
            .values_list("domain_program", flat=True)
            .distinct()
        )
        self.fields["domain_program"].choices = [("", _("Any"))] + [(p, p) for p in programs]

    def clean(self):
        cleaned = super().clean()
        due_from, due_to = cleaned.get("due_from"), cleaned.get("due_to")
        if due_from and due_to and due_from > due_to:
            self.add_error("due_to", _("The end of the range cannot precede its start."))
        as_of = cleaned.get("as_of")
        if as_of and not date(2000, 1, 1) <= as_of <= date(2100, 12, 31):
            self.add_error("as_of", _("Choose a day between 2000 and 2100."))
        return cleaned

    def parameters(self) -> QueryParameters:
        """The validated parameters (call after ``is_valid()``)."""
        data = self.cleaned_data
        return QueryParameters(
            as_of=data["as_of"],
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            days=data.get("days"),
            receivable_types=tuple(t.pk for t in data.get("receivable_types") or ()),
            domain_program=data.get("domain_program") or "",
            group=data["group"].pk if data.get("group") else None,
            min_amount=data.get("min_amount"),
            exclude_time_barred=bool(data.get("exclude_time_barred")),
        )


# --- Rows and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRow:
    """One taxpayer's line of a defined query (see the module docstring for the fields)."""

    taxpayer_id: int
    external_id: str
    kind: str
    first_name: str
    last_name: str
    organisation_name: str
    nip: str
    email: str
    phone: str
    arrears: Decimal
    interest: Decimal | None
    reminder_costs: Decimal | None
    dues: Decimal
    total: Decimal
    items: int
    oldest_due_date: date | None
    nearest_due_date: date | None
    time_barred_amount: Decimal

    @property
    def pk(self) -> int:
        return self.taxpayer_id

    @property
    def name(self) -> str:
        if self.kind == Taxpayer.Kind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def time_barred(self) -> bool:
        return self.time_barred_amount > 0

    def as_dict(self) -> dict[str, Any]:
        """The documented fields (``ROW_FIELDS``), e.g. for message placeholders."""
        return {name: getattr(self, name) for name in ROW_FIELDS}


@dataclass(frozen=True)
class QueryTotals:
    count: int
    arrears: Decimal
    interest: Decimal | None
    reminder_costs: Decimal | None
    dues: Decimal
    total: Decimal
    time_barred_amount: Decimal


def _zloty(value: Any) -> Decimal | None:
    """Integer grosze (int on SQLite, numeric on PostgreSQL) to złoty with two places."""
    if value is None:
        return None
    return Decimal(int(value)).scaleb(-2)  # exact: 12345 -> 123.45


_ZERO_ZLOTY = Decimal("0.00")
#: The statement's columns, in order: the fields of `QueryRow`.
_COLUMNS: tuple[str, ...] = tuple(field.name for field in dataclass_fields(QueryRow))
_AMOUNT_COLUMNS = tuple(
    _COLUMNS.index(name)
    for name in ("arrears", "interest", "reminder_costs", "dues", "total", "time_barred_amount")
)
_DATE_COLUMNS = (_COLUMNS.index("oldest_due_date"), _COLUMNS.index("nearest_due_date"))
_ITEMS_COLUMN = _COLUMNS.index("items")


def _day(value: Any) -> date | None:
    # SQLite hands back dates computed by MIN() as ISO text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class QueryResult:
    """The rows of one run, evaluated lazily in the database.

    Works as a Django ``Paginator`` object list: ``count()`` and slicing run
    ``SELECT COUNT(*)`` and ``LIMIT/OFFSET`` over the same statement; iterating streams every
    row. ``taxpayer_ids()`` is the statement as a subquery, for ``Taxpayer`` filters (campaign
    audiences), and ``totals()`` sums every column in one query.
    """

    ordered = True  # for Paginator: the statement has a stable ORDER BY

    def __init__(self, query: DefinedQuery, params: QueryParameters, sql: str, sql_params: list):
        self.query = query
        self.params = params
        self.sql = sql
        self.sql_params = sql_params
        self._totals: QueryTotals | None = None

    def __repr__(self) -> str:
        return f"<QueryResult {self.query.code} as of {self.params.as_of}>"

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _ordered_sql(self) -> str:
        return f"SELECT * FROM ({self.sql}) AS q ORDER BY q.total DESC, q.taxpayer_id"  # noqa: S608

    def _row(self, values: Sequence[Any]) -> QueryRow:
        """A `QueryRow` from a row of the statement (its columns are the row's fields).

        A result can have a hundred thousand rows, and the frozen dataclass's ``__init__``
        (an ``object.__setattr__`` per field) was the larger part of reading them; the
        fields are set on the new object's ``__dict__`` in one go instead.
        """
        fields = list(values)
        for index in _AMOUNT_COLUMNS:  # `_zloty`, inline: six per row
            grosze = fields[index]
            if grosze is not None:
                fields[index] = _ZERO_ZLOTY if grosze == 0 else Decimal(int(grosze)).scaleb(-2)
        for index in _DATE_COLUMNS:
            fields[index] = _day(fields[index])
        fields[_ITEMS_COLUMN] = int(fields[_ITEMS_COLUMN])
        row = object.__new__(QueryRow)
        row.__dict__.update(zip(_COLUMNS, fields, strict=True))
        return row

    def totals(self) -> QueryTotals:
        """Row count and column sums over every row (one query, cached)."""
        if self._totals is None:
            sums = (
                "COUNT(*), SUM(q.arrears), SUM(q.interest), SUM(q.reminder_costs), SUM(q.dues),"
                " SUM(q.total), SUM(q.time_barred_amount)"
            )
            sql = f"SELECT {sums} FROM ({self.sql}) AS q"  # noqa: S608
            ((count, arrears, interest, costs, dues, total, barred),) = self._fetch(
                sql, self.sql_params
            )
            zero = Decimal("0.00")
            self._totals = QueryTotals(
                count=int(count),
                arrears=_zloty(arrears) or zero,
                interest=(_zloty(interest) or zero) if self.query.with_interest else None,
                reminder_costs=(
                    (_zloty(costs) or zero) if self.query.with_reminder_costs else None
                ),
                dues=_zloty(dues) or zero,
                total=_zloty(total) or zero,
                time_barred_amount=_zloty(barred) or zero,
            )
        return self._totals

    def count(self) -> int:
        return self.totals().count

    # No __len__ on purpose: list() asks for it before iterating, which would run the whole
    # statement a second time just to size the list. Paginator and callers use count().

    def __getitem__(self, key: int | slice) -> QueryRow | list[QueryRow]:
        if isinstance(key, int):
            if key < 0:
                raise IndexError("negative indexing is not supported")
            rows = self[key : key + 1]
            if not rows:
                raise IndexError(key)
            return rows[0]
        start, stop, step = key.start or 0, key.stop, key.step
        if step not in (None, 1) or start < 0 or (stop is not None and stop < 0):
            raise ValueError("only forward slices without a step are supported")
        if stop is not None and stop <= start:
            return []
        sql = self._ordered_sql()
        params = list(self.sql_params)
        if stop is not None:
            sql += " LIMIT %s"
            params.append(stop - start)
        elif start:
            sql += " LIMIT -1" if connection.vendor == "sqlite" else " LIMIT ALL"
        if start:
            sql += " OFFSET %s"
            params.append(start)
        return [self._row(values) for values in self._fetch(sql, params)]

    def __iter__(self) -> Iterator[QueryRow]:
        with connection.cursor() as cursor:
            cursor.execute(self._ordered_sql(), self.sql_params)
            while chunk := cursor.fetchmany(2000):
                yield from (self._row(values) for values in chunk)

    def taxpayer_ids(self) -> RawSQL:
        """The statement as ``SELECT taxpayer_id``, for ``pk__in`` filters."""
        sql = f"SELECT q.taxpayer_id FROM ({self.sql}) AS q"  # noqa: S608
        return RawSQL(sql, list(self.sql_params))  # noqa: S611

    def taxpayers(self) -> QuerySet[Taxpayer]:
        """The taxpayers of the result as a queryset (an audience)."""
        return Taxpayer.objects.filter(pk__in=self.taxpayer_ids())


# --- The SQL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fragment:
    """SQL with its own positional parameters, to splice into a template."""

    sql: str
    params: tuple = ()


_NAMED = re.compile(r"%\((\w+)\)s")


def _compose(template: str, **values: Any) -> tuple[str, list]:
    """Turn ``%(name)s`` placeholders into positional ``%s`` in order of appearance.

    A `_Fragment` value is spliced in as SQL together with its parameters; anything else
    becomes a parameter. Identifiers never pass through here as values.
    """
    params: list = []

    def substitute(match: re.Match) -> str:
        value = values[match.group(1)]
        if isinstance(value, _Fragment):
            params.extend(value.params)
            return value.sql
        params.append(value)
        return "%s"

    return _NAMED.sub(substitute, template), params


class _Dialect:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, vendor: str):
        if vendor not in ("sqlite", "postgresql"):
            raise ImproperlyConfigured(
                f"Defined queries support SQLite and PostgreSQL, not {vendor}."
            )
        self.vendor = vendor

    def day(self, column: str) -> str:
        """A date as an integer day number (days since 1970-01-01)."""
        if self.vendor == "sqlite":
            return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
        return f"({column} - DATE '1970-01-01')"

    def grosze(self, column: str) -> str:
        """An amount in złoty (2 places) as exact whole grosze."""
        if self.vendor == "sqlite":
            return f"CAST(ROUND({column} * 100) AS INTEGER)"
        return f"ROUND({column} * 100)"  # numeric: exact, no overflow

    def div(self, numerator: str, denominator: int) -> str:
        """Integer division of non-negative integers (floor)."""
        if self.vendor == "sqlite":
            return f"(({numerator}) / {denominator})"
        return f"DIV({numerator}, {denominator})"

    def integer(self, expression: str) -> str:
        """A whole number computed as numeric, as a 64-bit integer.

        PostgreSQL sums ``bigint`` columns far faster than ``numeric`` ones, with a smaller
        state per group (less spilling to disk in a big GROUP BY). Amounts in grosze fit:
        2^63 grosze is about 9 × 10^16 zł.
        """
        if self.vendor == "sqlite":
            return expression  # already an INTEGER
        return f"CAST({expression} AS BIGINT)"

    def positive_sum(self, column: str) -> str:
        """``SUM(column) > 0`` for an amount column, compared exactly."""
        if self.vendor == "sqlite":
            return f"{self.grosze(f'SUM({column})')} > 0"  # SQLite sums the REALs as floats
        return f"SUM({column}) > 0"  # numeric(12, 2): exact

    @property
    def materialized(self) -> str:
        """Computes a CTE once, as a whole (see `_items_and_interest_ctes`)."""
        return "MATERIALIZED"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _ledger_scope(params: QueryParameters) -> _Fragment | None:
    """The ledgers the filters select, as an ORM-compiled subquery (None: all ledgers)."""
    ledgers = Ledger.objects.all()
    filtered = False
    if params.receivable_types:
        ledgers = ledgers.filter(receivable_type__in=params.receivable_types)
        filtered = True
    if params.domain_program:
        ledgers = ledgers.filter(receivable_type__domain_program=params.domain_program)
        filtered = True
    if params.group is not None:
        ledgers = ledgers.filter(taxpayer__groups=params.group)
        filtered = True
    if not filtered:
        return None
    sql, sql_params = ledgers.order_by().values("pk").query.sql_with_params()
    return _Fragment(sql, tuple(sql_params))


def _items_and_interest_ctes(d: _Dialect, *, with_interest: bool, scope_sql: str) -> str:
    """CTEs ``items`` (open instalments in scope) and, with interest, the rate tables.

    ``open_items``: outstanding principal (grosze) per instalment in scope, where positive.
    ``items``: those instalments with their taxpayer, interest regime and due date.
    ``rate_periods``: each rate row with the day the next row of its regime starts.
    ``threshold``: the no-interest threshold in force on the as-of date (grosze; -1: none).
    ``overdue_days``: the distinct due dates (day numbers) of the overdue instalments.
    ``rate_days``: per regime of the rate table and due date of an overdue instalment, Σ days
    × rate over the rate periods overlapping [due date + 1, as-of date] — computed once per
    distinct due date, not per instalment; `_interest_sql` turns it into each instalment's
    interest (an instalment whose regime has no rate row gets none).

    Summing every entry per instalment is most of the work (two million entries for a
    hundred thousand taxpayers), so ``open_items`` is written to be done once and cheaply:
    on the entries alone, grouped in the order of their instalment index, and
    ``MATERIALIZED`` — inlined, PostgreSQL may put the aggregate on the inner side of a
    parallel hash join, where every worker computes all of it again. The scope (``scope_sql``,
    conditions on the instalment ``i``) is a semi-join on the instalment ids, so a narrow scope
    (a due-date window, a group) reads only its instalments' entries. The other CTEs are small.
    """
    installment, ledger, rtype, entry = (
        _table(Installment),
        _table(Ledger),
        _table(ReceivableType),
        _table(LedgerEntry),
    )
    in_scope = "IS NOT NULL"
    # Only interest needs the receivable type (its regime).
    regime, regime_join = "NULL", ""
    if with_interest:
        regime = "rt.interest_regime"
        regime_join = f"\n        JOIN {rtype} rt ON rt.id = l.receivable_type_id"
    if scope_sql:
        in_scope = f"IN (SELECT i.id FROM {installment} i WHERE 1 = 1 {scope_sql})"  # noqa: S608
    ctes = f"""
    open_items AS {d.materialized} (
        SELECT o.installment_id AS installment_id,
               o.outstanding AS outstanding,
               i.ledger_id AS ledger_id,
               i.due_date AS due_date
        FROM (
            SELECT e.installment_id AS installment_id,
                   {d.integer(d.grosze("SUM(e.principal)"))} AS outstanding
            FROM {entry} e
            WHERE e.installment_id {in_scope}
            GROUP BY e.installment_id
            HAVING {d.positive_sum("e.principal")}
        ) o
        JOIN {installment} i ON i.id = o.installment_id
    ),
    items AS (
        SELECT o.installment_id AS installment_id,
               l.taxpayer_id AS taxpayer_id,
               {regime} AS regime,
               o.due_date AS due_date,
               {d.day("o.due_date")} AS due_day,
               o.outstanding AS outstanding
        FROM open_items o
        JOIN {ledger} l ON l.id = o.ledger_id{regime_join}
    )"""  # noqa: S608
    if not with_interest:
        return ctes
    rates, thresholds = _table(InterestRate), _table(NoInterestThreshold)
    interest_ctes = f"""
    rate_periods AS (
        SELECT regime,
               {d.day("valid_from")} AS first_day,
               LEAD({d.day("valid_from")}) OVER (PARTITION BY regime ORDER BY valid_from)
                   AS next_day,
               {d.grosze("annual_rate")} AS rate_bp
        FROM {rates}
    ),
    threshold AS (
        SELECT COALESCE(
            (SELECT {d.grosze("amount")} FROM {thresholds}
             WHERE valid_from <= %(as_of)s ORDER BY valid_from DESC LIMIT 1),
            -1
        ) AS grosze
    ),
    overdue_days AS (
        SELECT DISTINCT {d.day("due_date")} AS due_day
        FROM open_items
        WHERE due_date < %(as_of)s
    ),
    rate_days AS (
        SELECT p.regime AS regime,
               dd.due_day AS due_day,
               SUM(
                   ((CASE WHEN p.next_day IS NULL OR p.next_day > %(as_of_day)s
                          THEN %(as_of_day)s ELSE p.next_day - 1 END)
                    - (CASE WHEN p.first_day > dd.due_day
                            THEN p.first_day ELSE dd.due_day + 1 END)
                    + 1) * p.rate_bp
               ) AS rate_days
        FROM overdue_days dd
        JOIN rate_periods p
          ON p.first_day <= %(as_of_day)s
         AND (p.next_day IS NULL OR p.next_day > dd.due_day + 1)
        GROUP BY p.regime, dd.due_day
    )"""  # noqa: S608
    return f"{ctes},{interest_ctes}"


#: Joins an instalment line ``it`` to the rate-days of its regime and due date (``r``).
_RATE_DAYS_JOIN = (
    "LEFT JOIN rate_days r ON r.regime = it.regime AND r.due_day = it.due_day"
    " AND it.due_day < %(as_of_day)s"
)


def _interest_sql(d: _Dialect) -> str:
    """Interest in grosze of the instalment line ``it`` joined to ``r`` (`_RATE_DAYS_JOIN`).

    The exact numerator is outstanding grosze × Σ days × rate (hundredths of a percent);
    tax interest is whole złoty half-up and nothing up to the threshold, civil interest grosze
    half-up. No ``r`` row (not overdue, or no rate for the regime): no interest.
    """
    numerator = "it.outstanding * r.rate_days"
    zloty = d.div(f"{numerator} + {_ZLOTY_DENOMINATOR // 2}", _ZLOTY_DENOMINATOR)
    grosze = d.div(f"{numerator} + {_GROSZ_DENOMINATOR // 2}", _GROSZ_DENOMINATOR)
    return d.integer(f"""CASE
                 WHEN r.rate_days IS NULL THEN 0
                 WHEN it.regime = 'tax' THEN
                   CASE WHEN {zloty} * 100 <= (SELECT grosze FROM threshold) THEN 0
                        ELSE {zloty} * 100 END
                 ELSE {grosze}
               END""")  # noqa: S608


def _scope_sql(params: QueryParameters, window: tuple[date | None, date | None]) -> tuple:
    """The WHERE conditions on instalments, and their values."""
    conditions = []
    values: dict[str, Any] = {}
    scope = _ledger_scope(params)
    if scope is not None:
        conditions.append("AND i.ledger_id IN (%(ledgers)s)")
        values["ledgers"] = scope
    due_from, due_to = window
    if due_from is not None:
        conditions.append("AND i.due_date >= %(due_from)s")
        values["due_from"] = due_from
    if due_to is not None:
        conditions.append("AND i.due_date <= %(due_to)s")
        values["due_to"] = due_to
    if params.exclude_time_barred:
        conditions.append("AND i.due_date >= %(barred_before)s")
        values["barred_before"] = prescription_cutoff(params.as_of)
    return " ".join(conditions), values


def installment_interest_sql(
    installments: QuerySet[Installment] | Sequence[int], as_of: date
) -> dict[int, Decimal]:
    """Interest charged per overdue instalment as of ``as_of``, computed by the SQL above.

    The same CTEs as the queries, for the given instalments: what the tests compare with
    ``eservices.interest`` and what a statement could show per instalment. Instalments that
    are paid, overpaid or not yet overdue are left out.
    """
    if isinstance(installments, QuerySet):
        ids_sql, ids_params = installments.order_by().values("pk").query.sql_with_params()
        ids = _Fragment(ids_sql, tuple(ids_params))
    else:
        ids = _Fragment(", ".join(["%s"] * len(installments)) or "NULL", tuple(installments))
    d = _Dialect(connection.vendor)
    template = (
        "WITH "
        + _items_and_interest_ctes(d, with_interest=True, scope_sql="AND i.id IN (%(ids)s)")
        + f"\nSELECT it.installment_id, {_interest_sql(d)} FROM items it {_RATE_DAYS_JOIN}"
        + " WHERE it.due_day < %(as_of_day)s"
    )
    sql, sql_params = _compose(template, ids=ids, as_of=as_of, as_of_day=day_number(as_of))
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        return {pk: _zloty(interest) for pk, interest in cursor.fetchall()}


# --- The registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinedQuery:
    """One defined query: what it counts, its parameters and the columns it shows."""

    code: str
    label: Any
    description: Any
    #: Amounts (grosze columns of the statement) that make up ``total``.
    total_of: tuple[str, ...]
    #: Row fields shown in the admin table and exported, after the taxpayer's name.
    columns: tuple[str, ...]
    with_interest: bool = False
    with_reminder_costs: bool = True
    #: ``items`` counts the overdue instalments only (else every open instalment).
    items_overdue_only: bool = False
    #: For ``nearest_dues``: the default window in days when no due-date range is given.
    window_days: int | None = None

    @property
    def export_fields(self) -> tuple[str, ...]:
        return IDENTITY_FIELDS + tuple(c for c in self.columns if c not in IDENTITY_FIELDS)

    def form(self, data=None, **kwargs) -> DefinedQueryForm:
        return DefinedQueryForm(data, query=self, **kwargs)

    def window(self, params: QueryParameters) -> tuple[date | None, date | None]:
        """The due-date range the instalments are taken from."""
        if self.window_days is not None and params.due_from is None and params.due_to is None:
            days = self.window_days if params.days is None else params.days
            return params.as_of, params.as_of + timedelta(days=days)
        return params.due_from, params.due_to

    def statement(self, params: QueryParameters) -> tuple[str, list]:
        """The SQL (without ORDER BY) and its parameters: one row per taxpayer."""
        d = _Dialect(connection.vendor)
        scope_sql, scope_values = _scope_sql(params, self.window(params))
        ctes = _items_and_interest_ctes(d, with_interest=self.with_interest, scope_sql=scope_sql)
        taxpayer, ledger, entry = _table(Taxpayer), _table(Ledger), _table(LedgerEntry)
        # Per taxpayer, one GROUP BY over the open instalments (with their interest) makes
        # the figures; only those the query shows are summed. Reminder costs are summed per
        # taxpayer on their own and joined, so that PostgreSQL can estimate the instalments'
        # groups from the ledgers' statistics (a UNION of the two kinds of line hid them, and
        # it then planned for a few hundred taxpayers instead of most of them).
        interest_join = _RATE_DAYS_JOIN if self.with_interest else ""
        sums = {
            "arrears": "SUM(CASE WHEN it.due_day < %(as_of_day)s THEN it.outstanding ELSE 0 END)",
            "dues": "SUM(CASE WHEN it.due_day >= %(as_of_day)s THEN it.outstanding ELSE 0 END)",
        }
        if self.with_interest:
            sums["interest"] = f"SUM({_interest_sql(d)})"
        if self.items_overdue_only:
            sums["items"] = "SUM(CASE WHEN it.due_day < %(as_of_day)s THEN 1 ELSE 0 END)"
        else:
            sums["items"] = "COUNT(*)"
        sums["oldest_due_date"] = "MIN(CASE WHEN it.due_day < %(as_of_day)s THEN it.due_date END)"
        sums["nearest_due_date"] = "MIN(CASE WHEN it.due_day >= %(as_of_day)s THEN it.due_date END)"
        sums["time_barred_amount"] = (
            "SUM(CASE WHEN it.due_day < %(barred_day)s THEN it.outstanding ELSE 0 END)"
        )
        sums_sql = ",\n               ".join(f"{sql} AS {name}" for name, sql in sums.items())
        per_taxpayer = f"""
    item_sums AS (
        SELECT it.taxpayer_id AS taxpayer_id,
               {sums_sql}
        FROM items it
        {interest_join}
        GROUP BY it.taxpayer_id
    )"""  # noqa: S608
        if self.with_reminder_costs:
            ledger_filter = "AND l.id IN (%(ledgers)s)" if "ledgers" in scope_values else ""
            dates = ("oldest_due_date", "nearest_due_date")
            columns = ",\n               ".join(
                f"s.{name} AS {name}" if name in dates else f"COALESCE(s.{name}, 0) AS {name}"
                for name in sums
            )
            per_taxpayer += f""",
    cost_sums AS (
        SELECT l.taxpayer_id AS taxpayer_id,
               SUM({d.integer(d.grosze("e.reminder_costs"))}) AS reminder_costs
        FROM {entry} e
        JOIN {ledger} l ON l.id = e.ledger_id
        WHERE e.reminder_costs <> 0 {ledger_filter}
        GROUP BY l.taxpayer_id
    ),
    per_taxpayer AS (
        SELECT COALESCE(s.taxpayer_id, c.taxpayer_id) AS taxpayer_id,
               {columns},
               COALESCE(c.reminder_costs, 0) AS reminder_costs
        FROM item_sums s
        FULL JOIN cost_sums c ON c.taxpayer_id = s.taxpayer_id
    )"""  # noqa: S608
        else:
            per_taxpayer += """,
    per_taxpayer AS (SELECT * FROM item_sums)"""
        amounts = {
            "arrears": "p.arrears",
            "interest": "p.interest" if self.with_interest else _NULL,
            "reminder_costs": "p.reminder_costs" if self.with_reminder_costs else _NULL,
            "dues": "p.dues",
        }
        total = " + ".join(amounts[part] for part in self.total_of)
        template = f"""
WITH {ctes},{per_taxpayer},
    result AS (
        SELECT t.id AS taxpayer_id,
               t.external_id AS external_id,
               t.kind AS kind,
               t.first_name AS first_name,
               t.last_name AS last_name,
               t.organisation_name AS organisation_name,
               t.nip AS nip,
               t.email AS email,
               t.phone AS phone,
               {d.integer(amounts["arrears"])} AS arrears,
               {d.integer(amounts["interest"])} AS interest,
               {d.integer(amounts["reminder_costs"])} AS reminder_costs,
               {d.integer(amounts["dues"])} AS dues,
               {d.integer(total)} AS total,
               p.items AS items,
               p.oldest_due_date AS oldest_due_date,
               p.nearest_due_date AS nearest_due_date,
               {d.integer("p.time_barred_amount")} AS time_barred_amount
        FROM per_taxpayer p
        JOIN {taxpayer} t ON t.id = p.taxpayer_id
    )
SELECT * FROM result WHERE total > 0 AND total >= %(min_total)s"""  # noqa: S608
        min_total = 0
        if params.min_amount is not None:
            min_total = int((Decimal(params.min_amount) * 100).to_integral_value())
        return _compose(
            template,
            **scope_values,
            as_of=params.as_of,
            as_of_day=day_number(params.as_of),
            barred_day=day_number(prescription_cutoff(params.as_of)),
            min_total=min_total,
        )

    def run(self, params: QueryParameters | dict[str, Any]) -> QueryResult:
        """The rows for ``params`` (lazy: nothing runs until counted, sliced or iterated)."""
        params = QueryParameters.of(params)
        sql, sql_params = self.statement(params)
        return QueryResult(self, params, sql, sql_params)


_BREAKDOWN = (
    "arrears",
    "reminder_costs",
    "dues",
    "total",
    "items",
    "oldest_due_date",
    "nearest_due_date",
    "time_barred_amount",
)

QUERIES: dict[str, DefinedQuery] = {
    q.code: q
    for q in (
        DefinedQuery(
            code="total_arrears",
            label=_("Total arrears"),
            description=_(
                "Taxpayers with principal past its due date on the as-of day, with the "
                "reminder costs they owe."
            ),
            total_of=("arrears", "reminder_costs"),
            columns=(
                "arrears",
                "reminder_costs",
                "total",
                "items",
                "oldest_due_date",
                "time_barred_amount",
            ),
            items_overdue_only=True,
        ),
        DefinedQuery(
            code="total_dues",
            label=_("Total dues"),
            description=_(
                "Everything charged and not paid, due or not, with reminder costs: one total "
                "per taxpayer."
            ),
            total_of=("arrears", "reminder_costs", "dues"),
            columns=("total", "items", "oldest_due_date", "nearest_due_date"),
        ),
        DefinedQuery(
            code="nearest_dues",
            label=_("Nearest dues"),
            description=_(
                "Instalments falling due in a window: the due-date range, or the days after "
                "the as-of day."
            ),
            total_of=("arrears", "dues"),
            columns=("dues", "total", "items", "nearest_due_date"),
            with_reminder_costs=False,
            window_days=14,
        ),
        DefinedQuery(
            code="dues_and_arrears",
            label=_("Dues and arrears"),
            description=_(
                "Arrears, reminder costs and dues not yet due, side by side, per taxpayer."
            ),
            total_of=("arrears", "reminder_costs", "dues"),
            columns=_BREAKDOWN,
        ),
        DefinedQuery(
            code="dues_and_arrears_with_interest",
            label=_("Dues and arrears with interest"),
            description=_(
                "Arrears with interest to the as-of day, reminder costs and dues not yet due."
            ),
            total_of=("arrears", "interest", "reminder_costs", "dues"),
            columns=(_BREAKDOWN[0], "interest", *_BREAKDOWN[1:]),
            with_interest=True,
        ),
    )
}


def get_query(code: str) -> DefinedQuery:
    """The defined query with ``code`` (KeyError if there is none)."""
    return QUERIES[code]


def all_queries() -> list[DefinedQuery]:
    return list(QUERIES.values())


__all__ = [
    "FIELD_LABELS",
    "QUERIES",
    "ROW_FIELDS",
    "DefinedQuery",
    "DefinedQueryForm",
    "QueryParameters",
    "QueryResult",
    "QueryRow",
    "QueryTotals",
    "all_queries",
    "get_query",
    "installment_interest_sql",
    "prescription_cutoff",
]
