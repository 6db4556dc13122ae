"""Refunding an online payment from the admin: the operator returns the money to the payer.

An administrator asks for it with a reason; the operator's client (`Gateway.refund`, PayU and
Przelewy24 are idempotent for a repeated request) takes it, and the operator's refund
notification moves the payment to "refunded" (`transitions.apply_notification`). The demo
gateway refunds at once.

The portal is not the book of record: the zwrot is booked by the office's accounting system.
It learns of the request and of the refund from the domain systems' outbox
(``payment.refund_requested``, ``payment.refunded``) and sends the entry back with its next
import. A payment is refunded whole and once; a transfer is returned by the bank, not here.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from eservices.integration.outbox import record_event

from .gateways import get_gateway
from .gateways.base import GatewayError, GatewayStatus
from .models import Payment, PaymentEvent
from .transitions import log_event, move, refund_payload


class RefundRefused(Exception):
    """The refund was not asked for: nothing changed."""


def can_refund(payment: Payment) -> bool:
    return _refusal(payment) is None


def _refusal(payment: Payment) -> str | None:
    """Why ``payment`` cannot be refunded, or None if it can."""
    if payment.status != Payment.Status.COMPLETED:
        return _("Only a completed payment can be refunded.")
    if payment.gateway == "transfer":
        return _("A transfer is returned by the bank, not through an operator.")
    if payment.events.filter(kind=PaymentEvent.Kind.REFUND).exists():
        return _("A refund of this payment has already been requested.")
    return None


def refund_payment(payment_id: int, *, user, reason: str) -> Payment:
    """Ask the operator to return the whole of a completed online payment."""
    reason = reason.strip()
    if not reason:
        raise RefundRefused(_("Give the reason for the refund."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        refusal = _refusal(payment)
        if refusal is not None:
            raise RefundRefused(refusal)
        try:
            result = get_gateway(payment.gateway).refund(
                payment.gateway_order_id, payment.total, f"Zwrot {payment.reference}"
            )
        except GatewayError as error:
            raise RefundRefused(_("The operator refused the refund: %s") % error) from error
        data = {"refund_id": result.refund_id, "status": str(result.status), "by": user.email}
        log_event(payment, PaymentEvent.Kind.REFUND, source="admin", message=reason, data=data)
        record_event("payment.refund_requested", refund_payload(payment) | {"reason": reason})
        if result.status is GatewayStatus.REFUNDED:
            move(payment, Payment.Status.REFUNDED, source="operator", data=data)
    return payment
