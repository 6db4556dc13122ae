"""Wagtail hooks of payments: the account-page panel and the "Płatności" admin menu."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from eservices import access
from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel

from . import viewsets


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


# --- The "Płatności" admin menu --------------------------------------------------------------
class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_viewset")
def register_payments_viewsets():
    return viewsets.PaymentsViewSetGroup()


@hooks.register("register_admin_urls")
def register_payments_admin_urls():
    return viewsets.admin_urls()


@hooks.register(viewsets.PAYMENTS_MENU_HOOK)
def register_import_menu_item():
    return PermissionMenuItem(
        _("Import a bank statement"),
        reverse_lazy("payments_import"),
        name="payments-import",
        icon_name="upload",
        order=25,
        permission="payments.add_bankstatement",
    )


@hooks.register(viewsets.PAYMENTS_MENU_HOOK)
def register_gateways_menu_item():
    return PermissionMenuItem(
        _("Payment gateways"),
        reverse_lazy("payments_gateways"),
        name="payments-gateways",
        icon_name="cogs",
        order=50,
        permission="payments.view_feeband",
    )


@hooks.register(viewsets.PAYMENTS_MENU_HOOK)
def register_report_menu_item():
    return PermissionMenuItem(
        _("Payments report"),
        reverse_lazy("payments_report"),
        name="payments-report",
        icon_name="table",
        order=60,
        permission="payments.view_payment",
    )


@hooks.register("register_log_actions")
def register_payments_log_actions(actions):
    actions.register_action(
        "payments.statement_imported", _("Import bank statement"), _("Bank statement imported")
    )
    actions.register_action(
        "payments.line_assigned",
        _("Assign statement line"),
        _("Statement line assigned and booked"),
    )
    actions.register_action(
        "payments.refund_requested", _("Refund payment"), _("Refund of the payment requested")
    )
