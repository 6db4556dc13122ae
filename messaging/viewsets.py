"""Wagtail admin of messaging, one menu "Notifications" (Powiadomienia).

Clerks edit templates and run campaigns; the consent history and the messages sent are
read-only listings (filterable, exportable to CSV/XLSX) — a history that could be edited would
prove nothing. Administrators edit reminder rules and the approval setting (Settings menu).
"""

from __future__ import annotations

import django_filters
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from eservices.viewsets import ReadOnlyModelViewSet

from . import admin_views
from .forms import QUERY_PARAMETER_FIELDS, CampaignForm, MessageTemplateForm
from .models import Campaign, ConsentEvent, Delivery, MessageTemplate, ReminderRule, Suppression

MESSAGING_MENU_HOOK = "register_messaging_menu_item"


class MessagingModelViewSet(ModelViewSet):
    copy_view_enabled = False
    add_to_reference_index = False


class MessageTemplateViewSet(MessagingModelViewSet):
    model = MessageTemplate
    name = "messaging_templates"
    url_prefix = "messaging/templates"
    icon = "doc-full"
    menu_label = _("Templates")
    list_display = [
        TitleColumn("name", label=_("name"), url_name="messaging_templates:edit"),
        "channel",
        "category",
        "source",
    ]
    list_filter = ["channel", "category"]
    search_fields = ["name", "text", "subject"]
    search_backend_name = None
    create_template_name = "messaging/admin/template_create.html"
    edit_template_name = "messaging/admin/template_edit.html"
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldRowPanel([FieldPanel("channel"), FieldPanel("category"), FieldPanel("source")]),
            FieldPanel("subject"),
            FieldPanel("text"),
            FieldPanel("html"),
            FieldPanel("transliterate"),
        ],
        base_form_class=MessageTemplateForm,
    )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("preview/", admin_views.TemplatePreviewView.as_view(), name="preview_unsaved"),
            path("<int:pk>/preview/", admin_views.TemplatePreviewView.as_view(), name="preview"),
        ]


class CampaignViewSet(MessagingModelViewSet):
    model = Campaign
    name = "messaging_campaigns"
    url_prefix = "messaging/campaigns"
    icon = "mail"
    menu_label = _("Campaigns")
    list_display = [
        TitleColumn(
            "name",
            label=_("name"),
            get_url=lambda c: reverse("messaging_campaign_detail", args=(c.pk,)),
        ),
        "template",
        "status",
        "scheduled_at",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["name"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("template"),
            MultiFieldPanel(
                [FieldPanel("query_code"), *(FieldPanel(name) for name in QUERY_PARAMETER_FIELDS)],
                heading=_("Audience: a defined query …"),
            ),
            MultiFieldPanel([FieldPanel("group")], heading=_("… or a taxpayer group")),
            FieldPanel("link"),
            FieldPanel("scheduled_at"),
        ],
        base_form_class=CampaignForm,
    )


class ConsentEventFilterSet(WagtailFilterSet):
    user = django_filters.NumberFilter(field_name="user_id", label=_("Resident (account id)"))

    class Meta:
        model = ConsentEvent
        fields = ["user", "channel", "category", "action", "source"]


class ConsentEventViewSet(ReadOnlyModelViewSet):
    model = ConsentEvent
    name = "messaging_consent_events"
    url_prefix = "messaging/consents"
    icon = "tick-inverse"
    menu_label = _("Consent history")
    filterset_class = ConsentEventFilterSet
    search_fields = ["user__email", "user__last_name", "document_reference"]
    search_backend_name = None
    list_display = ["created_at", "user", "channel", "category", "action", "source", "text_version"]
    list_export = [
        "created_at",
        "user",
        "channel",
        "category",
        "action",
        "source",
        "text_version",
        "contact_value",
        "recorded_by",
        "document_reference",
        "ip_address",
        "user_agent",
    ]
    export_filename = "historia-zgod"
    list_per_page = 50


class DeliveryFilterSet(WagtailFilterSet):
    campaign = django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.order_by("-created_at"), label=_("campaign")
    )
    user = django_filters.NumberFilter(field_name="user_id", label=_("Resident (account id)"))

    class Meta:
        model = Delivery
        fields = ["campaign", "user", "channel", "category", "status"]


class DeliveryViewSet(ReadOnlyModelViewSet):
    """What was sent, when, through what, with what result — per campaign and per resident."""

    model = Delivery
    name = "messaging_deliveries"
    url_prefix = "messaging/messages"
    icon = "history"
    menu_label = _("Sent messages")
    filterset_class = DeliveryFilterSet
    search_fields = ["to", "user__email", "subject"]
    search_backend_name = None
    list_display = ["created_at", "user", "channel", "to", "campaign", "status", "sent_at"]
    list_export = [
        "created_at",
        "user",
        "campaign",
        "channel",
        "category",
        "to",
        "status",
        "attempts",
        "parts",
        "provider_id",
        "error",
        "sent_at",
        "completed_at",
    ]
    inspect_view_fields = [
        "user",
        "campaign",
        "channel",
        "category",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "parts",
        "provider_id",
        "error",
        "created_at",
        "sent_at",
        "completed_at",
    ]
    export_filename = "wiadomosci"
    list_per_page = 50

    def get_queryset(self, request):
        return Delivery.objects.select_related("user", "campaign")


class ReminderRuleViewSet(MessagingModelViewSet):
    model = ReminderRule
    name = "messaging_reminder_rules"
    url_prefix = "messaging/reminders"
    icon = "time"
    menu_label = _("Reminder rules")
    list_display = ["name", "kind", "days", "template", "active"]
    form_fields = ["name", "kind", "days", "template", "active"]


class SuppressionViewSet(ReadOnlyModelViewSet):
    model = Suppression
    name = "messaging_suppressions"
    url_prefix = "messaging/suppressions"
    icon = "cross"
    menu_label = _("Suppressed addresses")
    list_display = ["address", "channel", "reason", "created_at"]
    list_filter = ["channel"]


class MessagingViewSetGroup(ViewSetGroup):
    """The "Notifications" (Powiadomienia) menu."""

    menu_label = _("Notifications")
    menu_icon = "mail"
    menu_order = 260
    submenu_hook = MESSAGING_MENU_HOOK
    items = (
        CampaignViewSet,
        MessageTemplateViewSet,
        ReminderRuleViewSet,
        DeliveryViewSet,
        ConsentEventViewSet,
        SuppressionViewSet,
    )
