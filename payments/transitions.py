"""The payment state machine: statuses only move forwards, and every move is written down.

    started → pending → completed → refunded
          ↘         ↘ failed / cancelled ↗ completed (the operator took the money after all)

A completed payment is never demoted: PayU asks merchants to ignore anything after COMPLETED,
and notifications are retried and arrive out of order (PROTOCOLS.md §1). Every decision is
taken on the row locked with ``select_for_update`` inside one transaction, so two concurrent
notifications for one order see each other's result: one completes it, the other is a
duplicate. Notifications that change nothing are logged as `PaymentEvent` rows too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from eservices.integration.outbox import record_event

from .gateways.base import Gateway, GatewayError, GatewayStatus, Notification
from .models import Payment, PaymentEvent

logger = logging.getLogger(__name__)
Status = Payment.Status
Kind = PaymentEvent.Kind

# Which statuses a payment may move to from each status.
ALLOWED: dict[str, frozenset[str]] = {
    Status.STARTED: frozenset({Status.PENDING, Status.COMPLETED, Status.FAILED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED}),
    Status.FAILED: frozenset({Status.COMPLETED}),
    Status.CANCELLED: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset({Status.REFUNDED}),
    Status.REFUNDED: frozenset(),
}

FROM_GATEWAY = {
    GatewayStatus.PENDING: Status.PENDING,
    GatewayStatus.COMPLETED: Status.COMPLETED,
    GatewayStatus.FAILED: Status.FAILED,
    GatewayStatus.CANCELLED: Status.CANCELLED,
    GatewayStatus.REFUNDED: Status.REFUNDED,
}


class Outcome:
    CHANGED = "changed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Result:
    outcome: str
    payment: Payment | None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        """The operator should stop resending (the notification was authentic and about us)."""
        return self.outcome != Outcome.REJECTED


def log_event(payment: Payment | None, kind: str, *, gateway: str = "", **fields) -> PaymentEvent:
    return PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        gateway=gateway or (payment.gateway if payment else ""),
        **fields,
    )


def refund_payload(payment: Payment) -> dict:
    """What the refund events tell the accounting system about ``payment``."""
    return {
        "payment": payment.reference,
        "taxpayer": payment.taxpayer.external_id,
        "amount": str(payment.total),
        "method": payment.gateway,
        "booked": payment.booked_at is not None,
    }


def move(payment: Payment, to: str, *, source: str, message: str = "", data=None) -> bool:
    """Move a locked ``payment`` to ``to`` if that is forwards; log either way. True if moved."""
    current = payment.status
    if to == current:
        log_event(
            payment,
            Kind.DUPLICATE,
            from_status=current,
            to_status=to,
            source=source,
            message=message,
            data=data or {},
        )
        return False
    if to not in ALLOWED[current]:
        log_event(
            payment,
            Kind.IGNORED,
            from_status=current,
            to_status=to,
            source=source,
            message=message or "would move backwards",
            data=data or {},
        )
        logger.info("payment %s: %s -> %s ignored (%s)", payment.reference, current, to, source)
        return False
    payment.status = to
    fields = ["status", "updated_at"]
    if to == Status.COMPLETED and payment.completed_at is None:
        payment.completed_at = timezone.now()
        fields.append("completed_at")
    payment.save(update_fields=fields)
    if to == Status.REFUNDED:
        # The accounting system books the zwrot (payments.refunds).
        record_event("payment.refunded", refund_payload(payment))
    log_event(
        payment,
        Kind.STATUS,
        from_status=current,
        to_status=to,
        source=source,
        message=message,
        data=data or {},
    )
    return True


def reject(gateway: str, reason: str, *, payment: Payment | None = None, data=None) -> Result:
    logger.warning("payment notification from %s rejected: %s", gateway, reason)
    log_event(
        payment,
        Kind.REJECTED,
        gateway=gateway,
        source="notification",
        message=reason,
        data=data or {},
    )
    return Result(Outcome.REJECTED, payment, reason)


def apply_notification(
    gateway: Gateway, notification: Notification, *, source: str = "notification"
) -> Result:
    """What a verified notification (or a status query) means for its payment."""
    code = gateway.code
    summary = {
        "order_id": notification.gateway_order_id,
        "ext_order_id": notification.ext_order_id,
        "status": str(notification.status),
        "amount": str(notification.amount),
        "operator_reference": notification.operator_reference,
    }
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(gateway=code, key=_uuid_or_none(notification.ext_order_id))
            .first()
        )
        if payment is None:
            return reject(code, "unknown order", data=summary)
        if (
            payment.gateway_order_id
            and notification.gateway_order_id
            and (payment.gateway_order_id != notification.gateway_order_id)
        ):
            return reject(code, "order id does not match", payment=payment, data=summary)
        if notification.amount != payment.total and notification.status != GatewayStatus.REFUNDED:
            return reject(code, "amount does not match", payment=payment, data=summary)
        target = FROM_GATEWAY[notification.status]
        if target == payment.status or target not in ALLOWED[payment.status]:
            move(payment, target, source=source, data=summary)
            kind = Outcome.DUPLICATE if target == payment.status else Outcome.IGNORED
            return Result(kind, payment)
        if target == Status.COMPLETED:
            # Przelewy24: the money counts only after a successful verify call.
            try:
                confirmed = gateway.confirm(notification)
            except GatewayError as error:
                confirmed = False
                summary["error"] = str(error)
            if not confirmed:
                log_event(
                    payment, Kind.ERROR, source=source, message="confirmation failed", data=summary
                )
                return Result(Outcome.REJECTED, payment, "confirmation failed")
        if notification.operator_reference and not payment.operator_reference:
            payment.operator_reference = notification.operator_reference[:128]
            payment.save(update_fields=["operator_reference", "updated_at"])
        if notification.gateway_order_id and not payment.gateway_order_id:
            payment.gateway_order_id = notification.gateway_order_id[:128]
            payment.save(update_fields=["gateway_order_id", "updated_at"])
        move(payment, target, source=source, data=summary)
        return Result(Outcome.CHANGED, payment)


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
