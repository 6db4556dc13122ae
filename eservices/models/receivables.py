"""Receivables: what a taxpayer owes, as the office's ledger (kartoteka) records it.

The ledger is append-only. Every ``LedgerEntry`` carries *signed deltas* to the three balances of
one installment (or of the ledger, for unallocated credit): principal, interest paid and reminder
costs. Balances, arrears and overpayments are sums of those deltas, computed in SQL; nothing here
stores a balance that could drift from its entries. A changed assessment is an odpis plus a new
przypis, never an edit (DOMAIN.md §4, §12.4).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .append_only import AppendOnlyModel
from .taxpayers import Taxpayer

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class ReceivableType(models.Model):
    """A kind of due: property tax of natural persons, waste fee, perpetual usufruct, …"""

    class Category(models.TextChoices):
        PROPERTY_TAX = "property_tax", _("Property tax")
        AGRICULTURAL_TAX = "agricultural_tax", _("Agricultural tax")
        FOREST_TAX = "forest_tax", _("Forest tax")
        COMBINED_LIABILITY = "combined_liability", _("Combined monetary liability")
        TRANSPORT_TAX = "transport_tax", _("Transport tax")
        WASTE_FEE = "waste_fee", _("Waste management fee")
        DOG_FEE = "dog_fee", _("Dog fee")
        PERPETUAL_USUFRUCT = "perpetual_usufruct", _("Perpetual usufruct fee")
        LEASE = "lease", _("Lease and rent")
        ALCOHOL_PERMIT = "alcohol_permit", _("Alcohol permit fee")
        OTHER = "other", _("Other")

    class InterestRegime(models.TextChoices):
        # Values are those of eservices.interest.InterestRegime.
        TAX = "tax", _("Tax-arrears interest (Ordynacja podatkowa)")
        CIVIL_STATUTORY = "civil_statutory", _("Statutory late-payment interest (Civil Code)")
        COMMERCIAL = "commercial", _("Interest in commercial transactions")
        NONE = "none", _("No interest")

    class DueDateShift(models.TextChoices):
        TAX_ART12 = "tax_art12", _("Moves off weekends and holidays (OP art. 12 §5)")
        CIVIL_ART115 = "civil_art115", _("Moves off weekends and holidays (KC art. 115)")
        NONE = "none", _("Never moves (e.g. alcohol permit fees)")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    interest_regime = models.CharField(
        _("interest regime"), max_length=16, choices=InterestRegime.choices
    )
    due_date_shift = models.CharField(
        _("due-date shift"),
        max_length=16,
        choices=DueDateShift.choices,
        default=DueDateShift.TAX_ART12,
    )
    domain_program = models.CharField(
        _("domain program"),
        max_length=64,
        blank=True,
        help_text=_("The office's program this receivable comes from, e.g. SIGID or PUMA."),
    )
    bank_account = models.CharField(
        _("bank account (NRB)"),
        max_length=26,
        blank=True,
        help_text=_("Leave empty to use the municipality's main account."),
    )
    virtual_account_prefix = models.CharField(
        _("virtual account client prefix"),
        max_length=8,
        blank=True,
        help_text=_("The bank's client prefix for mass-payment identification of this type."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("receivable type")
        verbose_name_plural = _("receivable types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InterestRate(models.Model):
    """A rate in force from a date: tax-arrears (standard) or civil late-payment interest.

    Data, not code: administrators add a row when the rate changes, citing the legal source.
    The reduced and increased tax rates are stored, not derived: before 2016 the reduced rate
    was 75 % of the standard one and there was no increased rate.
    """

    regime = models.CharField(
        _("regime"),
        max_length=16,
        choices=[c for c in ReceivableType.InterestRegime.choices if c[0] != "none"],
    )
    valid_from = models.DateField(_("valid from"))
    annual_rate = models.DecimalField(
        _("annual rate (%)"), max_digits=6, decimal_places=2, help_text=_("e.g. 10.50")
    )
    reduced_rate = models.DecimalField(
        _("reduced rate (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        # xgettext:no-python-format
        help_text=_("OP art. 56a: 50 % of the standard rate (75 % before 2016)."),
    )
    increased_rate = models.DecimalField(
        _("increased rate (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        # xgettext:no-python-format
        help_text=_("OP art. 56b: 150 % of the standard rate."),
    )
    legal_source = models.CharField(_("legal source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("interest rate")
        verbose_name_plural = _("interest rates")
        ordering = ["regime", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "valid_from"], name="one_rate_per_day"),
            models.CheckConstraint(condition=Q(annual_rate__gte=0), name="rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_regime_display()}: {self.annual_rate}% od {self.valid_from}"


class DatedAmount(models.Model):
    """An amount in force from a day until the next row's day: data the law changes by date."""

    valid_from = models.DateField(_("valid from"), unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    legal_source = models.CharField(_("legal source"), max_length=255, blank=True)

    class Meta:
        abstract = True
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"{self.amount} zł od {self.valid_from}"


class NoInterestThreshold(DatedAmount):
    """OP art. 54 §1 pkt 5: no interest is charged when it would not exceed this amount."""

    class Meta(DatedAmount.Meta):
        verbose_name = _("no-interest threshold")
        verbose_name_plural = _("no-interest thresholds")


class ReminderCostRate(DatedAmount):
    """Cost of a reminder (koszty upomnienia) from a date: 16.00 zł since 13 Oct 2021."""

    class Meta(DatedAmount.Meta):
        verbose_name = _("reminder cost")
        verbose_name_plural = _("reminder costs")


class Ledger(models.Model):
    """A taxpayer's account (kartoteka) for one receivable type; a payer may have several."""

    taxpayer = models.ForeignKey(
        Taxpayer, on_delete=models.PROTECT, related_name="ledgers", verbose_name=_("taxpayer")
    )
    receivable_type = models.ForeignKey(
        ReceivableType,
        on_delete=models.PROTECT,
        related_name="ledgers",
        verbose_name=_("receivable type"),
    )
    # Indexed: a bank transfer's title names it.
    number = models.CharField(_("ledger number"), max_length=64, db_index=True)
    external_id = models.CharField(_("id in the domain system"), max_length=64, unique=True)
    co_obligated = models.ManyToManyField(
        Taxpayer,
        through="LedgerParty",
        related_name="co_obligated_ledgers",
        blank=True,
        verbose_name=_("co-obligated"),
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger")
        verbose_name_plural = _("ledgers")
        ordering = ["receivable_type__name", "number"]

    def __str__(self) -> str:
        return f"{self.receivable_type} – {self.number}"


class LedgerParty(models.Model):
    """A co-obligated person on a ledger (współwłaściciel, małżonek): jointly liable."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="parties")
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("co-obligated person")
        verbose_name_plural = _("co-obligated persons")
        constraints = [
            models.UniqueConstraint(fields=["ledger", "taxpayer"], name="one_party_per_ledger")
        ]

    def __str__(self) -> str:
        return f"{self.taxpayer} ({self.role})" if self.role else str(self.taxpayer)


class TaxedObject(models.Model):
    """What the tax is assessed on: a building, land, a vehicle, a dog, a household."""

    ledger = models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="taxed_objects")
    kind = models.CharField(_("kind"), max_length=150)
    description = models.CharField(_("description"), max_length=255, blank=True)
    base = models.DecimalField(_("tax base"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=16, help_text=_("e.g. m², ha, szt."))
    rate = models.DecimalField(_("rate"), max_digits=12, decimal_places=4)
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("taxed object")
        verbose_name_plural = _("taxed objects")
        ordering = ["year", "kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.base} {self.unit}"


class Installment(models.Model):
    """One instalment (rata) of a ledger, with its nominal and effective due dates.

    Interest runs from the day after the *effective* date: the nominal one moved off weekends
    and holidays where the receivable type says so (DOMAIN.md §3).
    """

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="installments")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("instalment number"))
    nominal_due_date = models.DateField(_("due date (nominal)"))
    due_date = models.DateField(_("due date (effective)"), db_index=True)
    assessed_amount = models.DecimalField(
        _("assessed amount"),
        **MONEY,
        help_text=_("As first assessed; the amount owed is derived from the ledger entries."),
    )
    external_id = models.CharField(_("id in the domain system"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["due_date", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["ledger", "year", "number"], name="one_installment_per_number"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("nominal_due_date")),
                name="effective_due_date_not_before_nominal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ledger} – {self.year}/{self.number}"


class LedgerEntry(AppendOnlyModel):
    """One accounting operation on a ledger. Never updated or deleted once written.

    ``principal``, ``interest`` and ``reminder_costs`` are signed deltas: przypis +principal,
    odpis −principal, wpłata −principal (and the interest and reminder costs it paid), zwrot
    +principal, koszty upomnienia +reminder_costs, przeksięgowanie ± on two ledgers. A payment
    that exceeds what is owed leaves credit as an entry without an installment.
    """

    class Kind(models.TextChoices):
        CHARGE = "przypis", _("Charge (przypis)")
        WRITE_DOWN = "odpis", _("Write-down (odpis)")
        PAYMENT = "wplata", _("Payment (wpłata)")
        REFUND = "zwrot", _("Refund (zwrot)")
        TRANSFER = "przeksiegowanie", _("Re-booking (przeksięgowanie)")
        REMINDER_COST = "koszty_upomnienia", _("Reminder costs (koszty upomnienia)")

    # Indexed below, with what booking sums per instalment.
    ledger = models.ForeignKey(
        Ledger, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    installment = models.ForeignKey(
        Installment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        help_text=_("Empty for credit (overpayment) not assigned to an instalment."),
    )
    kind = models.CharField(_("operation"), max_length=20, choices=Kind.choices)
    booked_on = models.DateField(_("date"), db_index=True)
    principal = models.DecimalField(_("principal"), **MONEY, default=ZERO)
    interest = models.DecimalField(_("interest paid"), **MONEY, default=ZERO)
    reminder_costs = models.DecimalField(_("reminder costs"), **MONEY, default=ZERO)
    document = models.CharField(_("document"), max_length=255, blank=True)
    external_id = models.CharField(
        _("id in the source system"),
        max_length=80,
        unique=True,
        help_text=_("Makes booking idempotent: the same operation is never booked twice."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["booked_on", "pk"]
        indexes = [
            models.Index(fields=["ledger", "booked_on"]),
            # Booking sums the principal per instalment over thousands of ledgers at once: this
            # answers it from the index alone, without reading the entries themselves.
            models.Index(
                fields=["ledger"],
                include=["installment", "principal"],
                name="entry_ledger_principal",
            ),
            # Booking looks up the reminder costs of thousands of ledgers at once; few entries
            # carry any, and this finds them without reading every entry of those ledgers.
            models.Index(
                fields=["ledger"], condition=~Q(reminder_costs=0), name="entry_reminder_costs"
            ),
        ]
        constraints = [
            # The sign of each delta follows from the kind of operation.
            models.CheckConstraint(
                condition=~Q(kind="przypis") | Q(principal__gt=0, interest=0, reminder_costs=0),
                name="charge_adds_principal",
            ),
            models.CheckConstraint(
                condition=~Q(kind="odpis") | Q(principal__lt=0, interest=0, reminder_costs=0),
                name="write_down_reduces_principal",
            ),
            models.CheckConstraint(
                condition=~Q(kind="wplata")
                | Q(principal__lte=0, interest__gte=0, reminder_costs__lte=0),
                name="payment_reduces_what_is_owed",
            ),
            models.CheckConstraint(
                condition=~Q(kind="zwrot") | Q(principal__gt=0, reminder_costs=0),
                name="refund_adds_back",
            ),
            models.CheckConstraint(
                condition=~Q(kind="koszty_upomnienia")
                | Q(principal=0, interest=0, reminder_costs__gt=0),
                name="reminder_cost_adds_costs",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.booked_on} {self.principal}"

    @property
    def amount_paid(self) -> Decimal:
        """For a payment: the money that came in (principal + interest + reminder costs)."""
        return -self.principal + self.interest - self.reminder_costs
