"""Messaging data: consents (current state + append-only history), verified phones,
suppressions, templates, campaigns, reminder rules and the outbox of deliveries.

The outbox (`Delivery`) is the single source of truth of what was and will be sent: one row per
campaign, recipient and channel (unique), or per reminder rule, instalment, channel and
recipient, or per booked payment, channel and recipient (``key``, unique). A sender claims a row
by moving it from ``created`` to ``sending`` in one UPDATE, so only one process ever sends it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from eservices.models.append_only import AppendOnlyModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Category(models.TextChoices):
    UPCOMING_DUES = "upcoming_dues", _("Upcoming due dates")
    OVERDUE = "overdue", _("Overdue payments")
    PAYMENT_BOOKED = "payment_booked", _("Payment booked")
    NEWS = "news", _("Municipal news and events")
    CASE_STATUS = "case_status", _("Case status")


# --- Consents -------------------------------------------------------------------------------


class Consent(models.Model):
    """The current state of one consent, kept in step with its `ConsentEvent` history.

    Only `messaging.consents` writes it, in the same transaction as the event, so the state is
    always the last event's action; it exists so that a send-time check is one indexed lookup.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    granted = models.BooleanField(_("granted"), default=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel", "category"], name="messaging_one_consent_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.channel}/{self.category}: {self.granted}"


class ConsentEvent(AppendOnlyModel):
    """One change of a consent: who, when, what text was shown, how (GDPR art. 7(1) proof)."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("Granted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal (account page)")
        COUNTER = "counter", _("At the counter (recorded by a clerk)")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        SUPPRESSION = "suppression", _("Undeliverable address")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consent_events",
        verbose_name=_("resident"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    source = models.CharField(_("how"), max_length=16, choices=Source.choices)
    text_version = models.CharField(_("consent text version"), max_length=32)
    contact_value = models.CharField(_("contact"), max_length=254, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    document_reference = models.CharField(_("document reference"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.channel}/{self.category}"


class VerifiedPhone(models.Model):
    """The phone number SMS go to: set only after a one-time code sent to it was typed back."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_phone"
    )
    phone = models.CharField(_("phone number"), max_length=16)
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)

    class Meta:
        verbose_name = _("verified phone number")
        verbose_name_plural = _("verified phone numbers")

    def __str__(self) -> str:
        return self.phone


class PhoneVerification(models.Model):
    """A one-time code sent to a number (stored hashed), with its attempt and resend counts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications"
    )
    phone = models.CharField(_("phone number"), max_length=16)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sends = models.PositiveSmallIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")

    def __str__(self) -> str:
        return f"{self.phone} ({self.created_at:%Y-%m-%d %H:%M})"


class Suppression(models.Model):
    """An address or number nothing more is sent to (hard bounce, invalid number)."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="messaging_one_suppression")
        ]

    def __str__(self) -> str:
        return self.address


# --- Templates and campaigns ----------------------------------------------------------------


class MessageTemplate(models.Model):
    """A clerk's email or SMS text with ``((placeholders))`` — never Django template code."""

    name = models.CharField(_("name"), max_length=150)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.CharField(
        _("consent category"),
        max_length=32,
        choices=Category.choices,
        help_text=_("Messages go only to residents who consented to this category."),
    )
    source = models.CharField(
        _("data source"),
        max_length=64,
        help_text=_("Which data fills the placeholders: a defined query, reminders or none."),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    html = models.TextField(
        _("HTML version"),
        blank=True,
        help_text=_("Optional. Without it the email is sent as plain text only."),
    )
    transliterate = models.BooleanField(
        _("replace Polish letters"),
        default=True,
        help_text=_("SMS only: ą→a, ł→l … so a part holds 160 characters instead of 70."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        STOPPED = "stopped", _("Stopped")
        FINISHED = "finished", _("Finished")

    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.PROTECT, verbose_name=_("template")
    )
    query_code = models.CharField(_("defined query"), max_length=64, blank=True)
    query_params = models.JSONField(_("query parameters"), default=dict, blank=True)
    group = models.ForeignKey(
        "eservices.TaxpayerGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("taxpayer group"),
        help_text=_("Instead of a defined query: every member of the group."),
    )
    link = models.URLField(
        _("link"),
        blank=True,
        help_text=_("Fills the ((link)) placeholder, e.g. the address of a survey."),
    )
    scheduled_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: as soon as it is started.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    materialised_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        permissions = [("approve_campaign", _("Can approve campaigns"))]

    def __str__(self) -> str:
        return self.name

    @property
    def channel(self) -> str:
        return self.template.channel

    @property
    def category(self) -> str:
        return self.template.category


class ReminderRule(models.Model):
    """Send ``template`` ``days`` before an instalment's due date, or after it while unpaid."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Before the due date")
        AFTER = "after", _("After the due date, while unpaid")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("when"), max_length=8, choices=Kind.choices)
    days = models.PositiveSmallIntegerField(_("days"))
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.PROTECT, verbose_name=_("template")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["kind", "days"]

    def __str__(self) -> str:
        return self.name

    @property
    def category(self) -> str:
        return Category.UPCOMING_DUES if self.kind == self.Kind.BEFORE else Category.OVERDUE


class Delivery(models.Model):
    """One message to one recipient over one channel (Notify's statuses)."""

    class Status(models.TextChoices):
        CREATED = "created", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        PERMANENT_FAILURE = "permanent_failure", _("Permanent failure")
        TEMPORARY_FAILURE = "temporary_failure", _("Temporary failure")
        TECHNICAL_FAILURE = "technical_failure", _("Technical failure")
        SKIPPED = "skipped", _("Not sent (no consent or contact)")

    # Indexes are declared in Meta, each one deliberately: changing a row's status writes an
    # entry into every index of the table, twice per message (claim, result), so the
    # pattern-ops twins Django adds for CharFields and the campaign index that the
    # (campaign, status, id) one already serves are left out.
    key = models.CharField(max_length=120)
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("recipient"),
    )
    taxpayer = models.ForeignKey(
        "eservices.Taxpayer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(blank=True)
    to = models.CharField(_("to"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CREATED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The token of the batch claim that took this row (see messaging.sending.claim_batch).
    claim = models.CharField(max_length=32, blank=True)
    provider_id = models.CharField(max_length=255, blank=True)
    parts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="messaging_delivery_one_per_key"),
            models.UniqueConstraint(
                fields=["campaign", "user", "channel"],
                condition=Q(campaign__isnull=False),
                name="messaging_one_delivery_per_campaign_recipient_channel",
            ),
        ]
        indexes = [
            # A claim reads the next ids of a campaign's waiting rows (`sending.claim_batch`):
            # with id in the index it reads just those, in order, instead of sorting them all.
            models.Index(fields=["campaign", "status", "id"], name="messaging_delivery_claimable"),
            models.Index(fields=["status"], name="messaging_delivery_status"),
            models.Index(fields=["claim"], name="messaging_delivery_claim"),
            models.Index(fields=["provider_id"], name="messaging_delivery_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.user} ({self.status})"


@register_setting(icon="mail")
class MessagingSettings(BaseGenericSetting):
    """Set by administrators: whether a campaign needs approval before it is sent."""

    campaigns_require_approval = models.BooleanField(
        _("campaigns need an administrator's approval"),
        default=False,
        help_text=_("A clerk's campaign is sent only after an administrator approves it."),
    )
    sends_per_second = models.PositiveIntegerField(
        _("messages per second (all workers together)"), default=20
    )

    class Meta:
        verbose_name = _("messaging settings")
