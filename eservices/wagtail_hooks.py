"""Wagtail admin hooks of the e-services app: the "Receivables" (Należności) menu.

Permission policies come first: Wagtail creates a fallback policy for a model the first time
anything asks, and a custom one registered later would be refused.
"""

from __future__ import annotations

from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from . import admin_views
from .account_panels import ACCOUNT_PANEL_HOOK, AccountPanel
from .staff_security import hooks as staff_security_hooks  # noqa: F401 - registers the 2FA views
from .viewsets import (
    READ_ONLY_MODELS,
    RECEIVABLES_MENU_HOOK,
    ReadOnlyPermissionPolicy,
    ReceivablesViewSetGroup,
)

for _model in READ_ONLY_MODELS:
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))


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
