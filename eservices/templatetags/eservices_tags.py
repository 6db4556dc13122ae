"""Template filters of the resident pages: money and statuses as a resident reads them.

``{{ amount|money }}`` writes "1 240,00 zł" in Polish and "PLN 1,240.00" in English, with
non-breaking spaces so an amount never wraps; ``signed_money`` adds "+" to positive deltas
of the operations history. A negative amount gets a real minus sign (U+2212), which screen
readers announce.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import pgettext_lazy

from eservices.dues import Status
from eservices.money import round_grosz

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"


def format_money(value, *, signed: bool = False, language: str | None = None) -> str:
    """``value`` (a Decimal, int or numeric string) as PLN in the active (or given) language."""
    if value is None or value == "":
        return ""
    try:
        amount = round_grosz(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    sign = ""
    if amount < 0:
        sign = MINUS
    elif signed and amount > 0:
        sign = "+"
    grouped = f"{abs(amount):,.2f}"  # "1,240.00"
    language = language or translation.get_language() or "pl"
    if language.startswith("en"):
        return f"PLN{NBSP}{sign}{grouped}"
    polish = grouped.replace(",", NBSP).replace(".", ",")
    return f"{sign}{polish}{NBSP}zł"


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def signed_money(value) -> str:
    return format_money(value, signed=True)


STATUS_LABELS = {
    Status.PAID: pgettext_lazy("instalment status", "Paid"),
    Status.OVERDUE: pgettext_lazy("instalment status", "Overdue"),
    Status.DUE_TODAY: pgettext_lazy("instalment status", "Due today"),
    Status.UPCOMING: pgettext_lazy("instalment status", "Not yet due"),
    Status.OVERPAID: pgettext_lazy("instalment status", "Overpaid"),
}


@register.filter
def status_label(status) -> str:
    """The text of a status: the colour of its badge only repeats it (WCAG 1.4.1)."""
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return ""


def _plain(value: Decimal) -> Decimal:
    """``142.5000`` → ``142.5``, ``912.0000`` → ``912`` (never ``9.12E+2``)."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


@register.filter
def quantity(value) -> str:
    """A tax base or a rate without trailing zeros, in the active language's number format."""
    if value is None or value == "":
        return ""
    try:
        number = _plain(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    return formats.number_format(number, use_l10n=True, force_grouping=True)


@register.filter
def rate_per_unit(rate, unit: str) -> str:
    """A rate per unit of the base: "1,19 zł/m²" in Polish, "PLN 1.19/m²" in English."""
    amount = quantity(rate)
    if not amount:
        return ""
    language = translation.get_language() or "pl"
    per_unit = f"/{unit}" if unit else ""
    if language.startswith("en"):
        return f"PLN{NBSP}{amount}{per_unit}"
    return f"{amount}{NBSP}zł{per_unit}"


@register.filter
def short_date(value) -> str:
    """A date in a table: "15.03.2026" in Polish (Django's Polish default is 15-03-2026),
    "15 Mar 2026" in English."""
    if not value:
        return ""
    language = translation.get_language() or "pl"
    return date_format(value, "j M Y" if language.startswith("en") else "d.m.Y")


@register.simple_tag(takes_context=True)
def render_account_panel(context: template.Context, panel) -> str:
    """Render an `AccountPanel`'s template with its own context (plus the request's)."""
    from django.template.loader import render_to_string

    request = context.get("request")
    return render_to_string(panel.template, dict(panel.context), request=request)


@register.simple_tag
def staff_sso_enabled() -> bool:
    """Whether the staff sign-in page offers single sign-on (eservices.staff_sso)."""
    from eservices.staff_sso.config import is_enabled

    return is_enabled()
