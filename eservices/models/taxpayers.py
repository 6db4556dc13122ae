"""Taxpayers (podatnicy) as the office's domain system knows them, and who may act for them.

A portal account sees a taxpayer's records only through an ``AccountLink`` (the account holder
is the taxpayer, verified once at the office or by Profil Zaufany) or a ``Mandate`` (a proxy,
pełnomocnik, with a scope and validity). ``eservices.access`` is the one place that decides.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

from eservices import crypto


def validate_nip(value: str) -> None:
    if value and not stdnum_nip.is_valid(value):
        raise ValidationError(_("This is not a valid NIP (10 digits with a matching check digit)."))


def validate_regon(value: str) -> None:
    if value and not stdnum_regon.is_valid(value):
        raise ValidationError(
            _("This is not a valid REGON (9 or 14 digits with a matching check digit).")
        )


class TaxpayerQuerySet(models.QuerySet):
    def with_pesel(self, pesel: str) -> TaxpayerQuerySet:
        return self.filter(pesel_index=crypto.blind_index(stdnum_pesel.compact(pesel)))


class Taxpayer(models.Model):
    """A payer in the municipality's records: a natural person or an organisation."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Natural person")
        ORGANISATION = "organisation", _("Company or institution")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=255, blank=True)
    # PESEL is encrypted at rest; pesel_index is a keyed hash for exact lookups.
    pesel_encrypted = models.TextField(_("PESEL (encrypted)"), blank=True, editable=False)
    pesel_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    nip = models.CharField(_("NIP"), max_length=10, blank=True, db_index=True)
    regon = models.CharField(_("REGON"), max_length=14, blank=True, db_index=True)
    street = models.CharField(_("street and number"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    external_id = models.CharField(
        _("id in the domain system"),
        max_length=64,
        unique=True,
        help_text=_("The payer's identifier in the office's tax or accounting software."),
    )
    source_system = models.CharField(_("domain system"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaxpayerQuerySet.as_manager()

    class Meta:
        verbose_name = _("taxpayer")
        verbose_name_plural = _("taxpayers")
        ordering = ["last_name", "first_name", "organisation_name", "pk"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person", last_name__gt="")
                | Q(kind="organisation", organisation_name__gt=""),
                name="taxpayer_has_a_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.kind == self.Kind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def pesel(self) -> str:
        return crypto.decrypt(self.pesel_encrypted) if self.pesel_encrypted else ""

    @pesel.setter
    def pesel(self, value: str) -> None:
        value = stdnum_pesel.compact(value) if value else ""
        self.pesel_encrypted = crypto.encrypt(value) if value else ""
        self.pesel_index = crypto.blind_index(value) if value else ""

    @property
    def masked_pesel(self) -> str:
        """What a screen shows by default: the birth date part stays hidden."""
        value = self.pesel
        return f"*******{value[-4:]}" if value else ""

    def clean_fields(self, exclude=None) -> None:
        # "PL 525-100-00-17" is how people write a NIP; store the 10 digits.
        if self.nip:
            self.nip = stdnum_nip.compact(self.nip)
        if self.regon:
            self.regon = stdnum_regon.compact(self.regon)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        super().clean()
        errors = {}
        try:
            validate_nip(self.nip)
        except ValidationError as exc:
            errors["nip"] = exc.messages
        try:
            validate_regon(self.regon)
        except ValidationError as exc:
            errors["regon"] = exc.messages
        if self.kind == self.Kind.PERSON and not self.last_name:
            errors["last_name"] = _("A person needs a last name.")
        if self.kind == self.Kind.ORGANISATION:
            if not self.organisation_name:
                errors["organisation_name"] = _("An organisation needs a name.")
            if not self.nip:
                errors["nip"] = _("An organisation needs a NIP.")
        if errors:
            raise ValidationError(errors)


class TaxpayerGroup(models.Model):
    """A named set of taxpayers: an audience for campaigns and surveys."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        Taxpayer, related_name="groups", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("taxpayer group")
        verbose_name_plural = _("taxpayer groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccountLinkQuerySet(models.QuerySet):
    def active(self) -> AccountLinkQuerySet:
        return self.filter(revoked_at__isnull=True)


class MandateQuerySet(models.QuerySet):
    def in_force(self, on: date | None = None) -> MandateQuerySet:
        on = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )


class AccountLink(models.Model):
    """The account holder *is* this taxpayer (or represents the organisation), verified once."""

    class Method(models.TextChoices):
        COUNTER = "counter", _("Verified at the office")
        PROFIL_ZAUFANY = "profil_zaufany", _("Profil Zaufany (PESEL asserted by login.gov.pl)")
        DOMAIN_SYSTEM = "domain_system", _("Imported from the domain system")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="taxpayer_links",
        verbose_name=_("account"),
    )
    taxpayer = models.ForeignKey(
        Taxpayer, on_delete=models.CASCADE, related_name="account_links", verbose_name=_("taxpayer")
    )
    method = models.CharField(_("verification"), max_length=32, choices=Method.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = AccountLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("account link")
        verbose_name_plural = _("account links")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "taxpayer"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_link_per_account_and_taxpayer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.taxpayer}"


class Mandate(models.Model):
    """A proxy (pełnomocnik): rights granted by a clerk to act for a taxpayer.

    Modelled after Suomi.fi e-Authorizations (PRACTICES.md §10): scopes, validity, the document
    it rests on, who granted it, revocation.
    """

    class Scope(models.TextChoices):
        VIEW = "can_view", _("View dues")
        PAY = "can_pay", pgettext_lazy("mandate right", "Pay")
        NOTIFICATIONS = "can_manage_notifications", _("Manage notifications")

    taxpayer = models.ForeignKey(
        Taxpayer, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("taxpayer")
    )
    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mandates",
        verbose_name=_("proxy"),
    )
    # One column per right (values of Scope), so that access checks are plain SQL filters.
    can_view = models.BooleanField(_("view dues"), default=True)
    can_pay = models.BooleanField(_("pay"), default=False)
    can_manage_notifications = models.BooleanField(_("manage notifications"), default=False)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    document_reference = models.CharField(
        _("power of attorney document"),
        max_length=255,
        help_text=_("e.g. PPS-1 of 2026-05-12, registered as FN.0123.4.2026"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("proxy mandate")
        verbose_name_plural = _("proxy mandates")

    def __str__(self) -> str:
        return f"{self.proxy} ⇒ {self.taxpayer}"

    def clean(self) -> None:
        super().clean()
        if not (self.can_view or self.can_pay or self.can_manage_notifications):
            raise ValidationError(_("Choose at least one right."))
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end cannot precede the start.")})
