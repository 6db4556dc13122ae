"""Accounts: residents, businesses and staff share one user model with email as the login."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


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
