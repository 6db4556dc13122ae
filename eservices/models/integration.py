"""Integration with the office's domain systems (SIGID, PUMA, Gmina v.2, …).

The portal is not the book of record: taxpayers, ledgers, instalments and entries arrive in
import batches (``eservices.integration.importer``), and what happens in the portal (payments)
goes back through an outbox that the domain systems pull (``eservices.integration.outbox``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnlyModel

# The prefix is the non-secret half of a token: it finds the system in one indexed lookup, so
# the secret half is then compared in constant time against one stored hash only.
TOKEN_PREFIX_LENGTH = 12


def hash_token(token: str) -> str:
    """SHA-256 of an API token. Tokens are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class DomainSystemQuerySet(models.QuerySet):
    def authenticate(self, token: str) -> DomainSystem | None:
        """The active system this bearer token belongs to, or ``None``."""
        prefix, _dot, secret = token.partition(".")
        if len(prefix) != TOKEN_PREFIX_LENGTH or not secret:
            return None
        system = self.filter(token_prefix=prefix, is_active=True).first()
        if system is None or not system.token_hash:
            return None
        if not hmac.compare_digest(system.token_hash, hash_token(token)):
            return None
        return system


class DomainSystem(models.Model):
    """An office program that sends data to the portal and pulls its events (system dziedzinowy)."""

    name = models.CharField(_("name"), max_length=150)
    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Short identifier used on the command line, e.g. sigid or puma."),
    )
    token_prefix = models.CharField(
        _("token prefix"), max_length=TOKEN_PREFIX_LENGTH, blank=True, editable=False
    )
    token_hash = models.CharField(
        _("token hash (SHA-256)"), max_length=64, blank=True, editable=False
    )
    token_issued_at = models.DateTimeField(
        _("token issued at"), null=True, blank=True, editable=False
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive system's token is refused.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = DomainSystemQuerySet.as_manager()

    class Meta:
        verbose_name = _("domain system")
        verbose_name_plural = _("domain systems")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["token_prefix"],
                condition=~models.Q(token_prefix=""),
                name="domain_system_token_prefix_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def issue_token(self) -> str:
        """Replace the API token and return the new one: it is shown once and never stored."""
        prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
        token = f"{prefix}.{secrets.token_urlsafe(32)}"
        self.token_prefix = prefix
        self.token_hash = hash_token(token)
        self.token_issued_at = timezone.now()
        self.save(update_fields=["token_prefix", "token_hash", "token_issued_at"])
        return token

    def revoke_token(self) -> None:
        self.token_prefix = ""
        self.token_hash = ""
        self.save(update_fields=["token_prefix", "token_hash"])


class ImportBatch(models.Model):
    """One file or API push from a domain system: applied whole or rejected whole."""

    class Format(models.TextChoices):
        JSONL = "jsonl", _("JSON Lines")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    source_system = models.ForeignKey(
        DomainSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="batches",
        verbose_name=_("domain system"),
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256 of the content"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    # {"taxpayer": {"created": 3, "updated": 1, "unchanged": 0}, ...}
    counts = models.JSONField(_("counts per record type"), default=dict, blank=True)
    # [{"line": 7, "record_type": "entry", "external_id": "E-1", "message": "..."}, ...]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(
        _("number of errors"),
        default=0,
        help_text=_("All errors found; the list keeps the first ones only."),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        source = self.source_system or _("file")
        return f"#{self.pk} {source} {self.get_status_display()}"

    def total(self, what: str) -> int:
        """Sum of ``created``, ``updated`` or ``unchanged`` over all record types."""
        return sum(per_type.get(what, 0) for per_type in self.counts.values())


class OutboundEvent(AppendOnlyModel):
    """A portal event for the domain systems to pull (transactional outbox). Append-only.

    Written in the same transaction as the change it reports (``outbox.record_event``), so an
    event exists exactly when its change was committed. The id is the consumers' cursor.
    """

    kind = models.CharField(
        _("kind"), max_length=64, db_index=True, help_text=_("e.g. payment.booked")
    )
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    target_system = models.ForeignKey(
        DomainSystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for domain system"),
        help_text=_("Empty: every domain system may read it."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("outbound event")
        verbose_name_plural = _("outbound events")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"
