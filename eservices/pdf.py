"""PDF documents of the portal (statements, letters, receipts, transfer forms, confirmations).

Each is an HTML template rendered by WeasyPrint as tagged PDF/UA: a language, a title and a
structure that screen readers follow.
"""

from __future__ import annotations

from django.http import HttpResponse


def html_to_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango through cffi, which only PDF pages need.
    from weasyprint import HTML

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def pdf_response(pdf: bytes, filename: str, *, attachment: bool = False) -> HttpResponse:
    """``pdf`` for the browser to show (or, with ``attachment``, to save) as ``filename``."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
