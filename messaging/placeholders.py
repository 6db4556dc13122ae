"""Notify-style placeholders: ``((imie))``, ``((kwota_zaleglosci))``, ``((termin))`` and optional
blocks ``((pole??tekst))`` — the only thing staff-written text may contain.

Staff text is never handed to Django's template engine: it is split by one regular expression
and every value is inserted as text (escaped in HTML), so ``{{ … }}`` or ``{% … %}`` in a
template would only ever be printed — and is refused when the template is saved, to avoid
confusion. Names are matched ignoring case, spaces, ``_``, ``-`` and Polish letters (Notify), so
``((Kwota zaległości))`` is ``((kwota_zaleglosci))``.

What a placeholder may be depends on the template's *data source*: a defined query provides
the columns it computes (``eservices.queries``), reminders the instalment, and so on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from eservices.queries import IDENTITY_FIELDS, QUERIES
from eservices.templatetags.eservices_tags import format_money

from .sms_text import POLISH_TO_ASCII

PLACEHOLDER = re.compile(r"\(\(([^()]*?)\)\)")
OPTIONAL = "??"
TEMPLATE_CODE = re.compile(r"\{\{|\{%|%\}|\}\}")
# Values an optional block treats as "leave out" (Notify shows it for yes/true/1 …; our values
# are amounts and dates, so empty and zero mean "nothing to say").
_FALSY = (None, "", 0, Decimal("0"), False)


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.translate(POLISH_TO_ASCII)).lower()


@dataclass(frozen=True)
class Field:
    """A placeholder: its canonical name, what it means, and the row key it reads."""

    name: str
    label: Any
    key: str


def _field(name: str, label: Any, key: str | None = None) -> Field:
    return Field(name, label, key or name)


IMIE = _field("imie", _("first name (or the organisation's name)"))
NAZWISKO = _field("nazwisko", _("last name"))
NAZWA = _field("nazwa", _("full name or organisation name"))
LINK = _field("link", _("the campaign's link"))

# Defined-query row fields → placeholder names.
_QUERY_FIELDS: dict[str, Field] = {
    "arrears": _field("kwota_zaleglosci", _("arrears (principal overdue)"), "arrears"),
    "interest": _field("odsetki", _("interest to the as-of day"), "interest"),
    "reminder_costs": _field("koszty_upomnienia", _("reminder costs"), "reminder_costs"),
    "dues": _field("naleznosci", _("dues not yet due"), "dues"),
    "total": _field("kwota", _("total amount"), "total"),
    "items": _field("liczba_rat", _("number of instalments"), "items"),
    "nearest_due_date": _field("termin", _("nearest due date"), "nearest_due_date"),
    "oldest_due_date": _field("najstarszy_termin", _("oldest overdue due date"), "oldest_due_date"),
}

# Sources that are not defined queries.
GROUP = "group"
REMINDER = "reminder"
PAYMENT = "payment_booked"
CASE = "case_status"
NEWS = "none"

_OTHER_SOURCES: dict[str, tuple[Any, tuple[Field, ...]]] = {
    GROUP: (_("Taxpayer group"), (IMIE, NAZWISKO, NAZWA, LINK)),
    NEWS: (_("No data (news, invitations)"), (IMIE, NAZWISKO, NAZWA, LINK)),
    REMINDER: (
        _("Automatic reminder (one instalment)"),
        (
            IMIE,
            NAZWISKO,
            NAZWA,
            _field("kwota", _("amount of the instalment still to pay"), "amount"),
            _field("termin", _("due date"), "due_date"),
            _field("naleznosc", _("receivable (e.g. property tax)"), "receivable"),
            _field("rata", _("instalment number and year"), "installment"),
        ),
    ),
    PAYMENT: (
        _("Payment booked (confirmation)"),
        (
            IMIE,
            NAZWISKO,
            NAZWA,
            _field("kwota", _("amount paid"), "amount"),
            _field("data", _("booking date"), "booked_on"),
            _field("saldo", _("still to pay after the payment"), "balance"),
        ),
    ),
    CASE: (
        _("Case status changed"),
        (
            IMIE,
            NAZWISKO,
            NAZWA,
            _field("status", _("new status"), "status"),
            _field("wiadomosc", _("the clerk's message"), "message"),
            LINK,
        ),
    ),
}


def source_choices() -> list[tuple[str, Any]]:
    return [(code, query.label) for code, query in QUERIES.items()] + [
        (code, label) for code, (label, _fields) in _OTHER_SOURCES.items()
    ]


def fields_for(source: str) -> tuple[Field, ...]:
    """The placeholders a data source provides (KeyError for an unknown source)."""
    if source in _OTHER_SOURCES:
        return _OTHER_SOURCES[source][1]
    query = QUERIES[source]
    provided = (*IDENTITY_FIELDS, *query.columns)
    return (
        IMIE,
        NAZWISKO,
        NAZWA,
        LINK,
        *tuple(field for key, field in _QUERY_FIELDS.items() if key in provided),
    )


def placeholders_in(*texts: str) -> list[tuple[str, bool]]:
    """``(name, optional)`` of every placeholder in ``texts``, in order."""
    found = []
    for text in texts:
        for match in PLACEHOLDER.finditer(text or ""):
            inner = match.group(1)
            name, optional = (
                (inner.split(OPTIONAL, 1)[0], True)
                if OPTIONAL in inner
                else (
                    inner,
                    False,
                )
            )
            found.append((name, optional))
    return found


def validate(source: str, *texts: str) -> list[str]:
    """Errors in ``texts`` for ``source``: unknown placeholders, template code, broken brackets."""
    errors: list[str] = []
    try:
        known = {normalise(f.name): f for f in fields_for(source)}
    except KeyError:
        return [str(_("Unknown data source."))]
    for text in texts:
        text = text or ""
        if TEMPLATE_CODE.search(text):
            errors.append(
                str(_("Template code ({{ }} or {% %}) is not allowed; use ((placeholders))."))
            )
        rest = PLACEHOLDER.sub("", text)
        if "((" in rest or "))" in rest:
            errors.append(str(_("A placeholder is not closed: write ((name)).")))
    available = ", ".join(f"(({f.name}))" for f in known.values())
    for name, _optional in placeholders_in(*texts):
        if normalise(name) not in known:
            errors.append(
                str(_("Unknown placeholder ((%(name)s)). Available here: %(available)s."))
                % {"name": name.strip(), "available": available}
            )
    return list(dict.fromkeys(errors))


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    if isinstance(value, Decimal):
        return format_money(value, language="pl").replace("\u00a0", " ")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def render(
    text: str, source: str, values: Mapping[str, Any], *, escape_values: bool = False
) -> str:
    """``text`` with every placeholder filled from ``values`` (keyed by row keys)."""
    by_name = {normalise(f.name): f for f in fields_for(source)}
    quote: Callable[[str], str] = escape if escape_values else str

    def substitute(match: re.Match) -> str:
        inner = match.group(1)
        if OPTIONAL in inner:
            name, shown = inner.split(OPTIONAL, 1)
            field = by_name.get(normalise(name))
            value = values.get(field.key) if field else None
            return "" if value in _FALSY else shown
        field = by_name.get(normalise(inner))
        if field is None:
            return match.group(0)
        return quote(format_value(values.get(field.key)))

    return PLACEHOLDER.sub(substitute, text or "")


def person_values(first_name: str, last_name: str, organisation_name: str = "") -> dict:
    """The name keys every source shares."""
    full = organisation_name or f"{first_name} {last_name}".strip()
    return {
        "imie": first_name or organisation_name,
        "nazwisko": last_name,
        "nazwa": full,
    }


def query_row_values(row) -> dict[str, Any]:
    """Placeholder values of a defined query's `QueryRow`."""
    values = dict(row.as_dict())
    values.update(person_values(row.first_name, row.last_name, row.organisation_name))
    return values


# --- SMS warnings (PRACTICES.md §6: no amounts, links or account numbers in SMS) ------------

_AMOUNT_FIELDS = {"kwotazaleglosci", "odsetki", "kosztyupomnienia", "naleznosci", "kwota", "saldo"}
_AMOUNT_TEXT = re.compile(r"\d[\d\s.,]*\s*(zł|zl|pln)\b", re.IGNORECASE)
_LINK_TEXT = re.compile(r"https?://|www\.|\b[\w-]+\.(pl|com|eu|gov\.pl)\b", re.IGNORECASE)
_ACCOUNT_TEXT = re.compile(r"\b(PL)?\d{2}(\s?\d{4}){6}\b")


def sms_warnings(text: str) -> list[str]:
    """Reasons an SMS text goes against the office's practice (shown, not enforced)."""
    names = {normalise(name) for name, _optional in placeholders_in(text)}
    warnings = []
    if names & _AMOUNT_FIELDS or _AMOUNT_TEXT.search(text):
        warnings.append(str(_("The text includes an amount: SMS should not carry amounts.")))
    if "link" in names or _LINK_TEXT.search(text):
        warnings.append(
            str(_("The text includes a link: residents are taught not to trust links in SMS."))
        )
    if _ACCOUNT_TEXT.search(re.sub(r"\s", "", text)) or _ACCOUNT_TEXT.search(text):
        warnings.append(str(_("The text includes a bank account number: never send one by SMS.")))
    return warnings
