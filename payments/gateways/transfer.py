"""The traditional transfer: nothing to register with an operator. The payer gets the transfer
details (virtual account, amount, title with our payment reference) and the money is matched
on the bank statement (`payments.reconciliation`)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .base import (
    GatewayError,
    InvalidNotification,
    Notification,
    OrderCreated,
    OrderRequest,
    RefundResult,
)


class TransferGateway:
    code = "transfer"
    name = _("Bank transfer")

    def create_order(self, order: OrderRequest) -> OrderCreated:
        # The order id is our own key: the statement line is what completes the payment.
        return OrderCreated(gateway_order_id=f"TR-{order.ext_order_id}", redirect_url="")

    def parse_notification(self, request: HttpRequest) -> Notification:
        raise InvalidNotification("transfers have no notifications")

    def confirm(self, notification: Notification) -> bool:
        return True

    def notification_response(self, notification: Notification | None) -> HttpResponse:
        return HttpResponse(status=404)

    def fetch_status(self, gateway_order_id: str) -> Notification:
        raise GatewayError("a transfer is seen only on the bank statement")

    def refund(self, gateway_order_id: str, amount: Decimal, description: str) -> RefundResult:
        raise GatewayError("a transfer is refunded by the office's accounting, not here")
