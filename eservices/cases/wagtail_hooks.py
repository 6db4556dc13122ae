"""Admin and account-page hooks of the cases app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel

from .handling import STATUS_CHANGE_ACTION
from .models import Case
from .views import cases_for
from .viewsets import CasePermissionPolicy, CaseViewSet

# Before anything asks for the policy (Wagtail would create a default one).
register_permission_policy(Case, CasePermissionPolicy(Case))


@hooks.register("register_admin_viewset")
def register_case_viewset():
    return CaseViewSet()


@hooks.register("register_log_actions")
def register_case_log_actions(actions):
    actions.register_action(STATUS_CHANGE_ACTION, _("Change case status"), _("Case status changed"))


@hooks.register(ACCOUNT_PANEL_HOOK)
def my_cases_panel(request):
    if not request.user.is_authenticated:
        return None
    cases = cases_for(request.user)
    return AccountPanel(
        title=_("My cases"),
        template="cases/account_panel.html",
        context={"count": cases.count(), "latest": cases.first()},
        order=30,
        anchor="moje-sprawy",
    )
