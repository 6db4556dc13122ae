"""Requests to link a portal account to the payer's records (seed 004: "wniosek o powiązanie")."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eservices import crypto

from .taxpayers import Taxpayer

# No 0/O or 1/I: the code is read aloud at the counter and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"PW-{raw[:4]}-{raw[4:]}"


class LinkRequest(models.Model):
    """A resident asks for their account to be linked to taxpayer records.

    The resident prints it (PDF with the reference code) and signs it at the office, or a clerk
    who has checked the payer's identity decides in the admin. Approval creates ``AccountLink``
    rows; nothing else grants access.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Natural person")
        ORGANISATION = "organisation", _("Company or institution")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the office")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="link_requests",
        verbose_name=_("account"),
    )
    code = models.CharField(
        _("reference code"), max_length=16, unique=True, default=new_reference_code
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("payer's name"), max_length=255)
    # PESEL for a person, NIP for an organisation; encrypted (a PESEL is personal data).
    identifier_encrypted = models.TextField(editable=False)
    reference = models.CharField(
        _("ledger number or payer id"),
        max_length=64,
        blank=True,
        help_text=_("As printed on a tax decision or payment notice, if you have one."),
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    taxpayers = models.ManyToManyField(
        Taxpayer, blank=True, related_name="link_requests", verbose_name=_("linked taxpayers")
    )

    class Meta:
        verbose_name = _("link request")
        verbose_name_plural = _("link requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def identifier(self) -> str:
        return crypto.decrypt(self.identifier_encrypted) if self.identifier_encrypted else ""

    @identifier.setter
    def identifier(self, value: str) -> None:
        self.identifier_encrypted = crypto.encrypt(value)

    @property
    def identifier_label(self) -> str:
        return _("PESEL") if self.kind == self.Kind.PERSON else _("NIP")
