"""Payments: what a resident chose to pay, how it went at the operator, and how the money was
found on the municipality's bank statement and booked.

A `Payment` moves through GOV.UK Pay's states (PRACTICES.md §1) only forwards
(`payments.transitions`); every change and every refused notification is a `PaymentEvent`
row that is never edited. "Completed" means the operator took the money; "booked" (a statement
line and ledger entries) is separate, because the money reaches the municipality later, often
in one payout covering many payments.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eservices.models import Installment, Ledger, Taxpayer
from eservices.models.append_only import AppendOnlyModel

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


def new_reference() -> str:
    # Short enough for a transfer title and a bank's 35-character title line.
    return "EU" + uuid.uuid4().hex[:10].upper()


class Payment(models.Model):
    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        PENDING = "pending", _("In progress")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    class Scope(models.TextChoices):
        INSTALLMENTS = "installments", _("Chosen instalments")
        ARREARS = "arrears", _("Arrears")
        BALANCE = "balance", _("Whole balance")

    key = models.UUIDField(
        _("idempotency key"),
        unique=True,
        default=uuid.uuid4,
        editable=False,
        help_text=_("Sent to the operator as our order id; a repeated form submission reuses it."),
    )
    reference = models.CharField(
        _("payment reference"), max_length=16, unique=True, default=new_reference, editable=False
    )
    taxpayer = models.ForeignKey(
        Taxpayer, on_delete=models.PROTECT, related_name="payments", verbose_name=_("taxpayer")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("paid by"),
    )
    gateway = models.CharField(_("method"), max_length=32, db_index=True)
    scope = models.CharField(
        _("what was chosen"), max_length=16, choices=Scope.choices, default=Scope.INSTALLMENTS
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    commission = models.DecimalField(_("commission"), **MONEY, default=ZERO)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.STARTED, db_index=True
    )
    gateway_order_id = models.CharField(_("operator's order id"), max_length=128, blank=True)
    operator_reference = models.CharField(
        _("operator's transaction reference"), max_length=128, blank=True, db_index=True
    )
    redirect_url = models.URLField(_("operator's payment page"), max_length=1024, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    statement_line = models.ForeignKey(
        "StatementLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("statement line"),
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_order_id"],
                condition=~Q(gateway_order_id=""),
                name="payment_order_unique_per_gateway",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(commission__gte=0), name="payment_commission_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.amount} PLN, {self.get_status_display()})"

    @property
    def total(self) -> Decimal:
        """What the payer is charged: the dues plus the operator's commission."""
        return self.amount + self.commission

    @property
    def is_finished(self) -> bool:
        return self.status not in (self.Status.STARTED, self.Status.PENDING)

    @property
    def awaiting_booking(self) -> bool:
        return self.status == self.Status.COMPLETED and self.booked_at is None

    @property
    def gateway_name(self) -> str:
        from .methods import method_name

        return method_name(self.gateway)


class PaymentItem(models.Model):
    """One thing the payment is for, with the amounts shown to the payer when they chose it."""

    class Kind(models.TextChoices):
        INSTALLMENT = "installment", _("Instalment")
        REMINDER_COSTS = "reminder_costs", _("Reminder costs")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="+")
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("description"), max_length=255)
    principal = models.DecimalField(_("principal"), **MONEY, default=ZERO)
    interest = models.DecimalField(_("interest"), **MONEY, default=ZERO)
    reminder_costs = models.DecimalField(_("reminder costs"), **MONEY, default=ZERO)

    class Meta:
        verbose_name = _("payment item")
        verbose_name_plural = _("payment items")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.reminder_costs


class PaymentEvent(AppendOnlyModel):
    """The history of a payment, and the log of notifications that changed nothing."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        DUPLICATE = "duplicate", _("Duplicate notification")
        IGNORED = "ignored", _("Notification ignored (would go backwards)")
        REJECTED = "rejected", _("Notification rejected")
        BOOKED = "booked", _("Booked")
        REFUND = "refund", _("Refund requested")
        ERROR = "error", _("Operator error")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    gateway = models.CharField(_("method"), max_length=32, blank=True)
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    source = models.CharField(_("source"), max_length=32, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "pk"]


class FeeBand(models.Model):
    """The operator's commission for payments from ``amount_from`` up to ``amount_to``."""

    gateway = models.CharField(_("method"), max_length=32)
    amount_from = models.DecimalField(_("from amount"), **MONEY, default=ZERO)
    amount_to = models.DecimalField(
        _("up to amount"), **MONEY, null=True, blank=True, help_text=_("Empty: no upper limit.")
    )
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2, default=ZERO)
    fixed = models.DecimalField(_("fixed fee"), **MONEY, default=ZERO)
    minimum = models.DecimalField(_("minimum fee"), **MONEY, default=ZERO)

    class Meta:
        verbose_name = _("fee band")
        verbose_name_plural = _("fee table")
        ordering = ["gateway", "amount_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "amount_from"], name="one_fee_band_per_start"
            ),
            models.CheckConstraint(
                condition=Q(amount_to__isnull=True) | Q(amount_to__gt=models.F("amount_from")),
                name="fee_band_upper_above_lower",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0, fixed__gte=0, minimum__gte=0),
                name="fee_band_not_negative",
            ),
        ]

    def __str__(self) -> str:
        upper = self.amount_to if self.amount_to is not None else "∞"
        return f"{self.gateway}: {self.amount_from}–{upper}"


class BankStatement(models.Model):
    account = models.CharField(_("account"), max_length=64)
    number = models.CharField(_("statement number"), max_length=64)
    file_hash = models.CharField(_("file hash (SHA-256)"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    opening_balance = models.DecimalField(_("opening balance"), **MONEY, null=True)
    closing_balance = models.DecimalField(_("closing balance"), **MONEY, null=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "number"], name="one_statement_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.account} / {self.number}"


class StatementLine(models.Model):
    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("Unmatched")
        MATCHED = "matched", _("Matched and booked")
        IGNORED = "ignored", _("Ignored")

    class Match(models.TextChoices):
        NONE = "", _("—")
        PAYMENT = "payment", _("Online payment")
        PAYOUT = "payout", _("Operator payout")
        VIRTUAL_ACCOUNT = "virtual_account", _("Virtual account")
        REFERENCE = "reference", _("Payment reference in the title")
        LEDGER_NUMBER = "ledger_number", _("Ledger number in the title")
        PAYER_ACCOUNT = "payer_account", _("Payer's account")
        MANUAL = "manual", pgettext_lazy("match", "Assigned by a clerk")

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line in the file"))
    line_hash = models.CharField(_("line key"), max_length=64)
    booked_on = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="PLN")
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    title = models.TextField(_("title"), blank=True)
    counterparty_account = models.CharField(_("payer's account"), max_length=34, blank=True)
    counterparty_name = models.CharField(_("payer"), max_length=255, blank=True)
    virtual_account = models.CharField(_("virtual account"), max_length=34, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UNMATCHED
    )
    match = models.CharField(
        _("matched by"), max_length=16, choices=Match.choices, default="", blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Who the line was booked for: a record of the match, never searched by. The booking's
    # ledger entries carry the enforced links; a database check and an index here too would
    # cost a statement of 100,000 lines 200,000 row lookups and as many index entries.
    # Taxpayers and ledgers are never deleted (PROTECT).
    taxpayer = models.ForeignKey(
        Taxpayer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    ledger = models.ForeignKey(
        Ledger,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
    )
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "line_no"]
        indexes = [
            # Matching by the payer's account looks up earlier matched lines of that account.
            models.Index(fields=["counterparty_account", "status"]),
            # The clerks' queue: the few unmatched lines, without indexing every line's status.
            models.Index(
                fields=["statement", "line_no"],
                condition=models.Q(status="unmatched"),
                name="statement_line_queue",
            ),
        ]
        # One index (no second one for LIKE, which nothing asks of a line key).
        constraints = [
            models.UniqueConstraint(fields=["line_hash"], name="statement_line_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.title[:40]}"
