"""The interface every payment gateway implements (payu, przelewy24, demo, transfer).

Amounts cross this interface as `Decimal` PLN; a gateway that speaks grosze converts at its own
boundary. Gateways hold no business rules: they speak the operator's protocol (signatures
included) and translate it into these types. `payments.checkout` and the notification views
decide what a notification means for a `Payment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from django.http import HttpRequest, HttpResponse


class GatewayStatus(StrEnum):
    """What the operator says about an order, in our words."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class GatewayError(Exception):
    """The operator could not be reached or refused the call (logged, shown as a polite error)."""


class InvalidNotification(Exception):
    """A notification that must change nothing: bad or missing signature, malformed body,
    unknown merchant. The view logs it and answers 400."""


@dataclass(frozen=True)
class OrderRequest:
    """An order to register with the operator for one `Payment`."""

    ext_order_id: str  # our own idempotency key, unique per payment; the operator echoes it
    amount: Decimal
    description: str
    buyer_email: str
    buyer_first_name: str
    buyer_last_name: str
    continue_url: str  # absolute: where the operator sends the payer back
    notify_url: str  # absolute: where the operator posts notifications
    customer_ip: str
    language: str = "pl"
    currency: str = "PLN"


@dataclass(frozen=True)
class OrderCreated:
    gateway_order_id: str  # PayU orderId, Przelewy24 token, demo id
    redirect_url: str  # where to send the payer's browser (empty for the transfer method)


@dataclass(frozen=True)
class Notification:
    """A verified notification (its signature checked) about one order."""

    gateway_order_id: str
    ext_order_id: str
    status: GatewayStatus
    amount: Decimal
    # Operator's own id of the transaction (Przelewy24 orderId, PayU orderId), for statements.
    operator_reference: str = ""
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: GatewayStatus


class Gateway(Protocol):
    code: str  # "payu", "przelewy24", "demo", "transfer"
    name: str  # shown to the payer (translated)

    def create_order(self, order: OrderRequest) -> OrderCreated:
        """Register the order; PayU's 302 is not followed, its Location is the redirect."""

    def parse_notification(self, request: HttpRequest) -> Notification:
        """Verify the signature over the raw body and parse it; raise `InvalidNotification`."""

    def confirm(self, notification: Notification) -> bool:
        """The operator's confirmation call before a payment counts (Przelewy24 verify); True
        for operators that have none. False or `GatewayError` means: do not complete."""

    def notification_response(self, notification: Notification | None) -> HttpResponse:
        """What the operator expects back (PayU: 200; Przelewy24: 200 "OK")."""

    def fetch_status(self, gateway_order_id: str) -> Notification:
        """Ask the operator for the current state of an order (used when a return page has
        no notification yet, and by the reconciliation of stale orders)."""

    def refund(self, gateway_order_id: str, amount: Decimal, description: str) -> RefundResult:
        """Refund part or all of a completed order."""
