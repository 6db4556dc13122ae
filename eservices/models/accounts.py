"""Accounts: residents, businesses and staff share one user model with email as the login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from eservices import crypto


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Email logins are case-insensitive: "Jan@Example.pl" and "jan@example.pl" are one user.
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in: a resident, a business's representative, or a member of staff.

    Staff are told apart by ``is_staff`` and their groups (Redaktorzy, Urzędnicy,
    Administratorzy); what a resident may see of the municipality's records is decided by
    account links and proxies, never by this model alone.
    """

    class AccountKind(models.TextChoices):
        PERSON = "person", _("Natural person")
        ORGANISATION = "organisation", _("Company or institution")

    username = None
    email = models.EmailField(_("email address"), unique=True)
    kind = models.CharField(
        _("account kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.PERSON
    )
    organisation_name = models.CharField(_("organisation name"), max_length=255, blank=True)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=[("pl", "Polski"), ("en", "English")],
        default="pl",
    )
    must_change_password = models.BooleanField(
        _("must change password at next login"),
        default=False,
        help_text=_("Set for accounts created at the counter with an initial password."),
    )
    # The identifiers given at registration; the password reset asks for one of them (seed 004).
    # PESEL is encrypted at rest with a blind index for lookups, as on Taxpayer.
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    pesel_encrypted = models.TextField(_("PESEL (encrypted)"), blank=True, editable=False)
    pesel_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # Which version of the data-processing notice the holder accepted, and when.
    data_notice_version = models.CharField(_("data-processing notice"), max_length=80, blank=True)
    data_notice_accepted_at = models.DateTimeField(_("notice accepted at"), null=True, blank=True)
    # Accounts created at the counter: who created it and how the payer's identity was checked.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created at the counter by"),
    )
    identity_verification = models.TextField(_("identity verified by"), blank=True)
    # Raised by "log out other sessions": part of the session hash, so every other session
    # stops being valid (see get_session_auth_hash).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="eservices_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        if self.kind == self.AccountKind.ORGANISATION and self.organisation_name:
            return self.organisation_name
        return self.get_full_name() or self.email

    @property
    def pesel(self) -> str:
        return crypto.decrypt(self.pesel_encrypted) if self.pesel_encrypted else ""

    @pesel.setter
    def pesel(self, value: str) -> None:
        self.pesel_encrypted = crypto.encrypt(value) if value else ""
        self.pesel_index = crypto.blind_index(value) if value else ""

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's hash of the password, plus the session epoch once it has been raised.

        Without an epoch the value is exactly Django's, so existing sessions stay valid.
        """
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "eservices.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class ResidentAccountManager(UserManager):
    def get_queryset(self):
        return super().get_queryset().filter(is_staff=False, is_superuser=False)


class ResidentAccount(User):
    """A resident's or business's account as clerks manage it in the admin.

    A proxy, so that clerks get permissions on residents' accounts ("add" = create one at the
    counter) without the permissions on users that would let them edit staff.
    """

    objects = ResidentAccountManager()

    class Meta:
        proxy = True
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")
