"""The receipt (urzędowe poświadczenie odbioru, UPO-like) of a filed case, as a PDF.

It says what was filed and when, under which registry number, and the SHA-256 of the content
(`filing.content_digest`), so the resident can later show exactly what the office received.
Laid out by WeasyPrint from a template, like `eservices.statement`.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation

from eservices.pdf import html_to_pdf

from .models import Case

TEMPLATE = "cases/receipt.html"


def receipt_html(case: Case, *, municipality) -> str:
    return render_to_string(
        TEMPLATE,
        {
            "case": case,
            "submitted_at": timezone.localtime(case.submitted_at),
            "attachments": list(case.attachments.all()),
            "municipality": municipality,
            "LANGUAGE_CODE": translation.get_language(),
        },
    )


def render_receipt(case: Case, *, municipality) -> bytes:
    """The receipt as PDF bytes (tagged PDF/UA, like the statement)."""
    return html_to_pdf(receipt_html(case, municipality=municipality))
