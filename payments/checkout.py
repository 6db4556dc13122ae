"""Checkout: what the payer chose, what it costs today, and starting the payment once.

The choices are tokens from the checkout form: ``inst-<pk>`` (an open instalment),
``arrears-<ledger pk>`` (everything overdue on a ledger with interest and reminder costs) and
``all`` (the whole balance). They are resolved against `eservices.dues` as of today, so the
total is exactly what the dues pages show, and only against ledgers the user may pay for.

A double click on "Zapłać" sends the same idempotency key twice (a signed token rendered in the
form): the second request finds the payment the first one created (unique key) instead of
creating another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from eservices.dues import Dues, LedgerDues
from eservices.money import ZERO

from . import fees
from .gateways import get_gateway
from .gateways.base import GatewayError, OrderRequest
from .models import Payment, PaymentEvent, PaymentItem
from .transitions import log_event, move

TOKEN_SALT = "payments.checkout"  # noqa: S105 - a signing namespace, not a secret
TOKEN_MAX_AGE = 2 * 60 * 60


@dataclass(frozen=True)
class Line:
    kind: str
    ledger: object
    installment: object | None
    label: str
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    reminder_costs: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.reminder_costs


@dataclass(frozen=True)
class Selection:
    choices: tuple[str, ...]
    scope: str
    lines: list[Line] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((line.interest for line in self.lines), ZERO)

    @property
    def is_empty(self) -> bool:
        return self.amount <= 0


def _installment_label(ledger_dues: LedgerDues, item) -> str:
    inst = item.installment
    return _("%(type)s, instalment %(number)s/%(year)s") % {
        "type": ledger_dues.ledger.receivable_type.name,
        "number": inst.number,
        "year": inst.year,
    }


def choices_for(dues: Dues) -> list[tuple[str, LedgerDues, object]]:
    """Every instalment that can be ticked: (token, ledger dues, instalment dues)."""
    return [
        (f"inst-{item.installment.pk}", ledger, item)
        for ledger in dues.ledgers
        for item in ledger.open
    ]


def select(dues: Dues, choices: Iterable[str]) -> Selection:
    """The lines the tokens ``choices`` stand for; unknown tokens are ignored (never trusted)."""
    chosen = tuple(sorted(set(choices)))
    whole = "all" in chosen
    arrears_of = {c.removeprefix("arrears-") for c in chosen if c.startswith("arrears-")}
    lines: list[Line] = []
    for ledger in dues.ledgers:
        key = str(ledger.ledger.pk)
        take_arrears = whole or key in arrears_of
        for item in ledger.open:
            token = f"inst-{item.installment.pk}"
            overdue = item.status == "overdue"
            if whole or (take_arrears and overdue) or token in chosen:
                lines.append(
                    Line(
                        kind=PaymentItem.Kind.INSTALLMENT,
                        ledger=ledger.ledger,
                        installment=item.installment,
                        label=_installment_label(ledger, item),
                        principal=item.outstanding,
                        interest=item.interest,
                    )
                )
        # Reminder costs are settled first by any payment (OP art. 62 §1a): include them with
        # the arrears, or with any instalment of that ledger.
        touched = any(line.ledger.pk == ledger.ledger.pk for line in lines)
        if ledger.reminder_costs > 0 and (take_arrears or touched):
            lines.append(
                Line(
                    kind=PaymentItem.Kind.REMINDER_COSTS,
                    ledger=ledger.ledger,
                    installment=None,
                    label=_("%(type)s, reminder costs")
                    % {"type": ledger.ledger.receivable_type.name},
                    reminder_costs=ledger.reminder_costs,
                )
            )
    scope = (
        Payment.Scope.BALANCE
        if whole
        else Payment.Scope.ARREARS
        if arrears_of and not any(c.startswith("inst-") for c in chosen)
        else Payment.Scope.INSTALLMENTS
    )
    return Selection(choices=chosen, scope=scope, lines=lines)


def quote(selection: Selection, gateway: str) -> tuple[Decimal, Decimal]:
    """(commission, total to pay) for ``selection`` paid with ``gateway``."""
    fee = fees.commission(gateway, selection.amount)
    return fee, selection.amount + fee


# --- The idempotency token of the form -------------------------------------------------------
def new_token(user_pk: int, taxpayer_pk: int) -> str:
    return signing.dumps(
        {"k": str(uuid.uuid4()), "u": user_pk, "t": taxpayer_pk}, salt=TOKEN_SALT, compress=True
    )


def read_token(token: str, user_pk: int, taxpayer_pk: int) -> uuid.UUID | None:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("u") != user_pk or data.get("t") != taxpayer_pk:
        return None
    try:
        return uuid.UUID(data["k"])
    except (KeyError, ValueError):
        return None


# --- Starting a payment ----------------------------------------------------------------------
class CheckoutError(Exception):
    pass


def create_payment(
    *, key: uuid.UUID, taxpayer, user, gateway: str, selection: Selection
) -> tuple[Payment, bool]:
    """The payment for ``key``: created now (True) or by an earlier submission (False)."""
    existing = Payment.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    if selection.is_empty:
        raise CheckoutError(_("Choose at least one item to pay."))
    fee, _total = quote(selection, gateway)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                key=key,
                taxpayer=taxpayer,
                user=user,
                gateway=gateway,
                scope=selection.scope,
                amount=selection.amount,
                commission=fee,
            )
            PaymentItem.objects.bulk_create(
                PaymentItem(
                    payment=payment,
                    kind=line.kind,
                    ledger=line.ledger,
                    installment=line.installment,
                    label=line.label[:255],
                    principal=line.principal,
                    interest=line.interest,
                    reminder_costs=line.reminder_costs,
                )
                for line in selection.lines
            )
            log_event(
                payment,
                PaymentEvent.Kind.CREATED,
                to_status=payment.status,
                source="checkout",
                data={"choices": list(selection.choices)},
            )
    except IntegrityError:
        # The other click of a double click won the race for this key.
        return Payment.objects.get(key=key), False
    return payment, True


def register_order(
    payment: Payment, *, continue_url: str, notify_url: str, customer_ip: str, language: str
) -> Payment:
    """Register ``payment`` with its operator once; a repeated call returns what is stored."""
    if payment.gateway_order_id or payment.is_finished:
        return payment
    gateway = get_gateway(payment.gateway)
    user = payment.user
    order = OrderRequest(
        ext_order_id=str(payment.key),
        amount=payment.total,
        description=_("Payment %(reference)s to the municipality")
        % {"reference": payment.reference},
        buyer_email=getattr(user, "email", "") or "",
        buyer_first_name=payment.taxpayer.first_name or "",
        buyer_last_name=payment.taxpayer.last_name or payment.taxpayer.organisation_name or "",
        continue_url=continue_url,
        notify_url=notify_url,
        customer_ip=customer_ip,
        language=language,
    )
    try:
        created = gateway.create_order(order)
    except GatewayError as error:
        log_event(payment, PaymentEvent.Kind.ERROR, source="checkout", message=str(error)[:500])
        raise CheckoutError(
            _("The payment operator is not available now. Nothing was charged; try again later.")
        ) from error
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.gateway_order_id:
            locked.gateway_order_id = created.gateway_order_id[:128]
            locked.redirect_url = created.redirect_url[:1024]
            locked.save(update_fields=["gateway_order_id", "redirect_url", "updated_at"])
            if locked.gateway == "transfer" and locked.status == Payment.Status.STARTED:
                # Nothing happens at an operator: the payer now owes us a transfer.
                move(locked, Payment.Status.PENDING, source="checkout")
    return locked


def paid_on(payment: Payment) -> date:
    """The payment day for interest (DOMAIN.md §13): the gateway's completion day."""
    from django.utils import timezone

    return (
        timezone.localdate(payment.completed_at) if payment.completed_at else timezone.localdate()
    )
