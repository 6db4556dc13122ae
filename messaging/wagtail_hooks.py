"""Wagtail hooks of messaging: the "Notifications" menu, its extra admin views, log actions
and the consents section of the resident's account page."""

from __future__ import annotations

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel
from eservices.viewsets import ReadOnlyPermissionPolicy

from . import admin_views
from .models import ConsentEvent, Delivery, Suppression
from .viewsets import MESSAGING_MENU_HOOK, MessagingViewSetGroup

# Before anything asks for a policy (Wagtail would create a default one).
for _model in (ConsentEvent, Delivery, Suppression):
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))


@hooks.register("register_admin_viewset")
def register_messaging_viewsets():
    return MessagingViewSetGroup()


@hooks.register("register_admin_urls")
def register_messaging_admin_urls():
    return [
        path(
            "messaging/campaigns/<int:pk>/status/",
            admin_views.CampaignDetailView.as_view(),
            name="messaging_campaign_detail",
        ),
        path(
            "messaging/counter-consent/",
            admin_views.CounterConsentView.as_view(),
            name="messaging_counter_consent",
        ),
    ]


class CounterConsentMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("messaging.add_consentevent")


@hooks.register(MESSAGING_MENU_HOOK)
def register_counter_consent_menu_item():
    return CounterConsentMenuItem(
        _("Record a consent at the counter"),
        reverse_lazy("messaging_counter_consent"),
        name="messaging-counter-consent",
        icon_name="form",
        order=90,
    )


@hooks.register("register_log_actions")
def register_messaging_log_actions(actions):
    actions.register_action(
        admin_views.COUNTER_ACTION,
        _("Record a consent at the counter"),
        _("Consent recorded at the counter"),
    )
    actions.register_action(
        admin_views.CAMPAIGN_ACTIONS["submit"], _("Start a campaign"), _("Campaign started")
    )
    actions.register_action(
        admin_views.CAMPAIGN_ACTIONS["approve"], _("Approve a campaign"), _("Campaign approved")
    )
    actions.register_action(
        admin_views.CAMPAIGN_ACTIONS["stop"], _("Stop a campaign"), _("Campaign stopped")
    )


@hooks.register(ACCOUNT_PANEL_HOOK)
def consents_account_panel(request):
    if not request.user.is_authenticated:
        return None
    from .views import ANCHOR, panel_context

    return AccountPanel(
        title=_("Notifications"),
        template="messaging/account_panel.html",
        context=panel_context(request),
        order=40,
        anchor=ANCHOR,
    )
