"""Wagtail hooks of payments: the account-page panel (the admin menu is in `payments.admin`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from eservices import access
from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel


@hooks.register(ACCOUNT_PANEL_HOOK)
def payments_account_panel(request):
    taxpayers = list(access.taxpayers_for(request.user).order_by("last_name", "organisation_name"))
    if not taxpayers:
        return None
    return AccountPanel(
        title=_("My payments"),
        template="payments/account_panel.html",
        context={"taxpayers": taxpayers},
        order=30,
        anchor="platnosci",
    )
