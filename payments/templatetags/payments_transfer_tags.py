"""``{% ledger_transfer_panel taxpayer ledger ledger_dues %}``: where to pay a ledger by transfer.

Shows the account for this taxpayer and receivable type (the virtual account when the type has
one) and a form that prints the transfer form for chosen instalments (`payments.views_transfer`).
"""

from __future__ import annotations

from django import template

from home.models import MunicipalitySettings
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
    return {
        "taxpayer": taxpayer,
        "ledger": ledger,
        "account": account,
        "is_virtual": is_virtual,
        "open_items": [i for i in ledger_dues.installments if i.to_pay > 0],
    }
