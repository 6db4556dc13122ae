"""The demo gateway of the embedded default: a local page where the payer chooses to succeed,
fail or abandon, and which then notifies the portal like an operator would.

It speaks a tiny protocol of its own through the same notification view as the real operators:
a JSON body signed with HMAC-SHA256 (key derived from SECRET_KEY) in ``X-Demo-Signature``,
verified in constant time. Production settings refuse the "demo" code.
"""

from __future__ import annotations

import hmac
import json
import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .base import (
    GatewayError,
    GatewayStatus,
    InvalidNotification,
    Notification,
    OrderCreated,
    OrderRequest,
    RefundResult,
)

SIGNATURE_HEADER = "HTTP_X_DEMO_SIGNATURE"
ORDER_SALT = "payments.demo.order"
OUTCOMES = {
    "success": GatewayStatus.COMPLETED,
    "failure": GatewayStatus.FAILED,
}


def sign(body: bytes) -> str:
    return salted_hmac("payments.demo.notification", body, algorithm="sha256").hexdigest()


def order_token(order: OrderRequest, order_id: str) -> str:
    """Everything the demo page needs, signed so that it cannot be altered in the address."""
    return signing.dumps(
        {
            "id": order_id,
            "ext": order.ext_order_id,
            "amount": str(order.amount),
            "desc": order.description,
            # Paths only: the demo operator lives on the portal itself.
            "continue": urlsplit(order.continue_url).path,
        },
        salt=ORDER_SALT,
    )


def read_order(token: str) -> dict:
    try:
        return signing.loads(token, salt=ORDER_SALT, max_age=24 * 3600)
    except signing.BadSignature as error:
        raise GatewayError("unknown demo order") from error


def notification_body(order: dict, outcome: str) -> bytes:
    return json.dumps(
        {
            "orderId": order["id"],
            "extOrderId": order["ext"],
            "status": str(OUTCOMES[outcome]),
            "amount": order["amount"],
        },
        separators=(",", ":"),
    ).encode()


class DemoGateway:
    code = "demo"
    name = _("Demo gateway")

    def create_order(self, order: OrderRequest) -> OrderCreated:
        order_id = "DEMO-" + uuid.uuid4().hex[:20].upper()
        url = reverse("payments:demo_gateway", kwargs={"token": order_token(order, order_id)})
        return OrderCreated(gateway_order_id=order_id, redirect_url=url)

    def parse_notification(self, request: HttpRequest) -> Notification:
        body = request.body
        signature = request.META.get(SIGNATURE_HEADER, "")
        if not signature or not hmac.compare_digest(signature.lower(), sign(body)):
            raise InvalidNotification("bad or missing signature")
        try:
            data = json.loads(body)
            return Notification(
                gateway_order_id=str(data["orderId"]),
                ext_order_id=str(data["extOrderId"]),
                status=GatewayStatus(data["status"]),
                amount=Decimal(str(data["amount"])).quantize(Decimal("0.01")),
                operator_reference=str(data["orderId"]),
                raw=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise InvalidNotification(f"malformed body: {error}") from error

    def confirm(self, notification: Notification) -> bool:
        return True

    def notification_response(self, notification: Notification | None) -> HttpResponse:
        return HttpResponse("OK", content_type="text/plain")

    def fetch_status(self, gateway_order_id: str) -> Notification:
        # The demo operator keeps no state: what it knows arrives as notifications.
        raise GatewayError("the demo gateway has no status query")

    def refund(self, gateway_order_id: str, amount: Decimal, description: str) -> RefundResult:
        return RefundResult(
            refund_id="DEMO-REFUND-" + gateway_order_id, status=GatewayStatus.REFUNDED
        )
