"""``{% ledger_transfer_panel taxpayer ledger ledger_dues %}``: where to pay a ledger by transfer.

Shows the account for this taxpayer and receivable type (the virtual account when the type has
one), the payment QR code for what is due now (the same string the printed form carries) and a
form that prints the transfer form for chosen instalments (`payments.views_transfer`).
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from home.models import MunicipalitySettings
from payments import qr
from payments.transfer_form import build_form, default_choice
from payments.virtual_accounts import VirtualAccountUnavailable, payment_account, virtual_account

register = template.Library()


@register.inclusion_tag("payments/includes/ledger_transfer.html", takes_context=True)
def ledger_transfer_panel(context, taxpayer, ledger, ledger_dues) -> dict:
    request = context.get("request")
    municipality = MunicipalitySettings.for_request(request) if request else None
    rtype = ledger.receivable_type
    try:
        account = virtual_account(taxpayer, rtype, municipality)
        is_virtual = True
    except VirtualAccountUnavailable:
        account = payment_account(taxpayer, rtype, municipality)
        is_virtual = False
    qr_svg, qr_amount = "", None
    # With some years filtered out the page's figures are partial: no code for a partial sum.
    if account and municipality is not None and not context.get("selected_years"):
        form = build_form(
            taxpayer=taxpayer,
            ledger_dues=ledger_dues,
            chosen=default_choice(ledger_dues),
            municipality=municipality,
            as_of=timezone.localdate(),
        )
        if form.qr_payload and form.amount:
            # segno writes the markup itself; the only text in it is our own title.
            qr_svg = mark_safe(  # noqa: S308
                qr.svg(form.qr_payload, title=gettext("Payment QR code for your banking app"))
            )
            qr_amount = form.amount
    return {
        "qr_svg": qr_svg,
        "qr_amount": qr_amount,
        "taxpayer": taxpayer,
        "ledger": ledger,
        "account": account,
        "is_virtual": is_virtual,
        "open_items": [i for i in ledger_dues.installments if i.to_pay > 0],
    }
