"""The printable statement (zestawienie należności): a taxpayer's balance as of a day, as PDF.

Rendered from the Django template ``eservices/statement/statement.html`` by WeasyPrint. The
figures are those of `eservices.dues`, the same the resident pages show. The statement is for
information only: it is not a certificate of no arrears (zaświadczenie o niezaleganiu).
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation

from eservices.pdf import html_to_pdf

from .dues import Dues
from .models import Taxpayer

TEMPLATE = "eservices/statement/statement.html"


def statement_html(
    *,
    taxpayer: Taxpayer,
    dues: Dues,
    municipality,
    generated_at: datetime,
    generated_for=None,
    as_proxy: bool = False,
) -> str:
    """The statement as an HTML document (what WeasyPrint lays out)."""
    return render_to_string(
        TEMPLATE,
        {
            "taxpayer": taxpayer,
            "dues": dues,
            "ledgers": [
                {"dues": ledger, "not_yet_due": ledger.outstanding - ledger.arrears}
                for ledger in dues.ledgers
            ],
            "not_yet_due": dues.outstanding - dues.arrears,
            "municipality": municipality,
            "generated_at": timezone.localtime(generated_at),
            "generated_for": generated_for,
            "as_proxy": as_proxy,
            "LANGUAGE_CODE": translation.get_language(),
        },
    )


def render_statement(
    *,
    taxpayer: Taxpayer,
    dues: Dues,
    municipality,
    generated_at: datetime,
    generated_for=None,
    as_proxy: bool = False,
) -> bytes:
    """The statement as PDF bytes.

    ``municipality`` is the site's ``home.models.MunicipalitySettings`` (name and address of
    the creditor); ``generated_for`` the account that asked for it, printed with the time.
    """
    html = statement_html(
        taxpayer=taxpayer,
        dues=dues,
        municipality=municipality,
        generated_at=generated_at,
        generated_for=generated_for,
        as_proxy=as_proxy,
    )
    return html_to_pdf(html)
