"""Accounts known to an external identity provider (login.gov.pl / Profil Zaufany)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eservices import crypto


class ExternalIdentity(models.Model):
    """The portal account of a person asserted by an identity provider.

    Keyed on (provider, subject) where subject is the blind index of the PESEL, so that the
    table can be searched without decrypting it; the PESEL itself is kept encrypted.
    """

    class Provider(models.TextChoices):
        LOGIN_GOV_PL = "wk", _("login.gov.pl (Profil Zaufany)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("account"),
    )
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    subject = models.CharField(_("subject"), max_length=64, editable=False)
    pesel_encrypted = models.TextField(_("PESEL (encrypted)"), blank=True, editable=False)
    first_login_at = models.DateTimeField(_("first login"), default=timezone.now)
    last_login_at = models.DateTimeField(_("last login"), default=timezone.now)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="one_account_per_external_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} → {self.user}"

    @property
    def pesel(self) -> str:
        return crypto.decrypt(self.pesel_encrypted) if self.pesel_encrypted else ""

    @pesel.setter
    def pesel(self, value: str) -> None:
        self.pesel_encrypted = crypto.encrypt(value)
        self.subject = crypto.blind_index(value)
