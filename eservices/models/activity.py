"""What happened to a resident's account, as the resident and clerks see it (PRACTICES.md §10)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnlyModel


class AccountEvent(AppendOnlyModel):
    """One entry of an account's activity log: logins, failed logins, credential changes, links.

    Append-only: entries are never edited. Times are stored in UTC (ASVS 16.2.1).
    """

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Account registered")
        ACTIVATED = "activated", _("Account activated")
        COUNTER_CREATED = "counter_created", _("Account created at the office")
        INITIAL_PASSWORD = "initial_password", _("Initial password issued at the office")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logged out")
        SESSION_EXPIRED = "session_expired", _("Session expired")
        OTHER_SESSIONS_ENDED = "other_sessions_ended", _("Other sessions ended")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        PASSWORD_RESET = "password_reset", _("Password reset")
        DATA_CHANGED = "data_changed", _("Account data changed")
        EMAIL_CHANGE_REQUESTED = "email_change_requested", _("Email change requested")
        EMAIL_CHANGED = "email_changed", _("Email address changed")
        LINK_REQUESTED = "link_requested", _("Link to taxpayer records requested")
        LINKED = "linked", _("Linked to taxpayer records")
        LINK_REJECTED = "link_rejected", _("Link request rejected")
        UNLINKED = "unlinked", _("Link to taxpayer records removed")
        MANDATE_GRANTED = "mandate_granted", _("Proxy rights granted")
        MANDATE_REVOKED = "mandate_revoked", _("Proxy rights revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_events",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # How (a login method: "password", "profil_zaufany"), or a short detail for staff actions.
    method = models.CharField(_("method"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    # A clerk who did it for the resident (staff actions are also in Wagtail's audit log).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
