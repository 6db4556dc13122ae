"""The printable transfer form of a ledger, or of instalments the resident chose on it.

``GET platnosci/<taxpayer>/przelew/?kartoteka=<ledger>&rata=<instalment>&rata=…``: without
``rata`` the form pays what is overdue (or, with nothing overdue, the next instalment). Anyone
who may view the taxpayer's dues may print it (`eservices.access`, Scope.VIEW): a form moves
no money. Another taxpayer's ledger or instalment answers 404, like every resident page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eservices import access
from eservices.dues import dues
from eservices.models import Installment
from eservices.pdf import pdf_response
from home.models import MunicipalitySettings

from .transfer_form import build_form, default_choice, render_transfer_form


def _ids(values: list[str]) -> list[int]:
    try:
        return list(dict.fromkeys(int(v) for v in values))  # in order, without repeats
    except (TypeError, ValueError):
        raise Http404("No such instalment.") from None


@never_cache
@login_required
@require_GET
def transfer_form(request: HttpRequest, taxpayer_pk: int) -> HttpResponse:
    taxpayer = access.get_taxpayer(request.user, taxpayer_pk)
    chosen_ids = _ids(request.GET.getlist("rata"))
    ledger_pk = request.GET.get("kartoteka")
    if not ledger_pk:
        if not chosen_ids:
            raise Http404("Choose a ledger.")
        ledger_pk = (
            Installment.objects.filter(pk=chosen_ids[0]).values_list("ledger_id", flat=True).first()
        )
    ledger = access.get_ledger(request.user, taxpayer, ledger_pk)
    today = timezone.localdate()
    ledger_dues = dues([ledger], today).ledgers[0]
    by_id = {item.installment.pk: item for item in ledger_dues.installments}
    if chosen_ids:
        if any(pk not in by_id for pk in chosen_ids):
            raise Http404("No such instalment on this ledger.")
        chosen = [by_id[pk] for pk in chosen_ids if by_id[pk].to_pay > 0]
    else:
        chosen = default_choice(ledger_dues)
    municipality = MunicipalitySettings.for_request(request)
    form = build_form(
        taxpayer=taxpayer,
        ledger_dues=ledger_dues,
        chosen=chosen,
        municipality=municipality,
        as_of=today,
    )
    pdf = render_transfer_form(form, ledger=ledger, taxpayer=taxpayer, municipality=municipality)
    return pdf_response(pdf, f"przelew-{ledger.pk}-{today}.pdf")
