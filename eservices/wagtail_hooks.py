"""Wagtail admin hooks of the e-services app: the "Receivables" (Należności) menu.

Permission policies come first: Wagtail creates a fallback policy for a model the first time
anything asks, and a custom one registered later would be refused.
"""

from __future__ import annotations

from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import activity, admin_views
from .account_panels import ACCOUNT_PANEL_HOOK, AccountPanel
from .admin_accounts import ResidentsViewSetGroup
from .models import AccountLink, LinkRequest, Mandate, ResidentAccount
from .staff_security import hooks as staff_security_hooks  # noqa: F401 - registers the 2FA views
from .staff_sso import hooks as staff_sso_hooks  # noqa: F401 - registers its log action
from .viewsets import (
    READ_ONLY_MODELS,
    RECEIVABLES_MENU_HOOK,
    ReadOnlyPermissionPolicy,
    ReceivablesViewSetGroup,
)

for _model in READ_ONLY_MODELS:
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))
# A proxy of User: its own permissions, not the user admin's (which the registry would inherit).
register_permission_policy(
    ResidentAccount, ModelPermissionPolicy(ResidentAccount), exact_class=True
)


@hooks.register("register_admin_viewset")
def register_receivables_viewsets():
    return ReceivablesViewSetGroup()


@hooks.register("register_admin_urls")
def register_defined_query_urls():
    urls = [
        path("", admin_views.DefinedQueryListView.as_view(), name="index"),
        path("<slug:code>/", admin_views.DefinedQueryView.as_view(), name="query"),
    ]
    return [
        path(
            "receivables/queries/",
            include((urls, "defined_queries"), namespace="defined_queries"),
        )
    ]


class DefinedQueriesMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.user_can_run_queries(request.user)


@hooks.register(RECEIVABLES_MENU_HOOK)
def register_defined_queries_menu_item():
    return DefinedQueriesMenuItem(
        _("Defined queries"),
        reverse_lazy("defined_queries:index"),
        name="defined-queries",
        icon_name="tasks",
        order=50,
    )


@hooks.register(ACCOUNT_PANEL_HOOK)
def dues_account_panel(request):
    return AccountPanel(
        title=_("My dues"),
        template="eservices/account/dues_panel.html",
        order=20,
        anchor="naleznosci",
    )


@hooks.register(ACCOUNT_PANEL_HOOK)
def my_data_account_panel(request):
    return AccountPanel(
        title=_("My data"),
        template="eservices/account/my_data_panel.html",
        order=10,
        anchor="moje-dane",
    )


@hooks.register(ACCOUNT_PANEL_HOOK)
def links_account_panel(request):
    user = request.user
    return AccountPanel(
        title=_("Whose dues you see"),
        template="eservices/account/links_panel.html",
        context={
            "own": list(AccountLink.objects.active().filter(user=user).select_related("taxpayer")),
            "mandates": list(
                Mandate.objects.in_force().filter(proxy=user).select_related("taxpayer")
            ),
            "requests": list(LinkRequest.objects.filter(user=user)[:10]),
        },
        order=15,
        anchor="powiazania",
    )


@hooks.register(ACCOUNT_PANEL_HOOK)
def activity_account_panel(request):
    return AccountPanel(
        title=_("Account activity"),
        template="eservices/account/activity_panel.html",
        context={"events": activity.recent(request.user)},
        order=90,
        anchor="aktywnosc",
    )


@hooks.register("register_admin_viewset")
def register_residents_viewsets():
    return ResidentsViewSetGroup()


@hooks.register("register_log_actions")
def register_account_log_actions(actions):
    actions.register_action(
        "eservices.initial_password", _("Issue initial password"), _("Initial password issued")
    )
    actions.register_action(
        "eservices.link_request.approve", _("Approve link request"), _("Link request approved")
    )
    actions.register_action(
        "eservices.link_request.reject", _("Reject link request"), _("Link request rejected")
    )
    actions.register_action("eservices.unlink", _("Unlink account"), _("Account unlinked"))
